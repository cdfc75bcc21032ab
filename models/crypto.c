/* SPDX-License-Identifier: MIT */
/* models/crypto.c - the SE's crypto engine: SHA-256, ECDSA P-256 verify,
 * seeded RNG (see crypto.h for the model, its costs, the references and the
 * Notes; docs/crypto.md for the sources of the costs). */
#include "models/crypto.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/ecdsa.h>

#include "firmware/include/regs/crypto.h"
#include "models/cpu/cpu.h"
#include "sim/fatal.h"

#define REG_SPAN 0x48u /* one past the last register (RNG1) */

/* ------------------------------------------------------------------ */
/* Costs                                                               */

uint64_t crypto_cycles_sha_init(void)
{
    return CRYPTO_CYC_SETUP;
}

uint64_t crypto_cycles_sha_update(uint64_t buffered, uint32_t len)
{
    uint64_t words = ((uint64_t)len + 3u) / 4u;
    uint64_t blocks = ((buffered % 64u) + len) / 64u;
    return CRYPTO_CYC_SETUP + words + CRYPTO_CYC_SHA_BLOCK * blocks;
}

uint64_t crypto_cycles_sha_final(uint64_t buffered)
{
    /* FIPS 180-4 5.1.1: 0x80, zeros, 8 length bytes: one more block if
     * fewer than 9 bytes are free in the last one */
    uint64_t blocks = (buffered % 64u) < 56u ? 1u : 2u;
    return CRYPTO_CYC_SETUP + CRYPTO_CYC_SHA_BLOCK * blocks;
}

uint64_t crypto_cycles_ecdsa_verify(void)
{
    return CRYPTO_CYC_SETUP + CRYPTO_CYC_ECDSA_FETCH + CRYPTO_CYC_ECDSA_PKA;
}

uint64_t crypto_cycles_rng(void)
{
    return CRYPTO_CYC_SETUP + 2u * CRYPTO_CYC_RNG_WORD;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static const char *cmd_name(uint32_t cmd)
{
    switch (cmd) {
    case CRYPTO_CMD_SHA_INIT: return "SHA_INIT";
    case CRYPTO_CMD_SHA_UPDATE: return "SHA_UPDATE";
    case CRYPTO_CMD_SHA_FINAL: return "SHA_FINAL";
    case CRYPTO_CMD_ECDSA_VERIFY: return "ECDSA_VERIFY";
    case CRYPTO_CMD_RNG: return "RNG";
    default: return "?";
    }
}

static void update_irq(crypto_t *c, sim_time_t t)
{
    bool level = (c->status & CRYPTO_STATUS_DONE) &&
                 (c->irqen & CRYPTO_IRQEN_DONE);
    if (level == c->irq_level)
        return;
    c->irq_level = level;
    if (c->irq)
        c->irq(c->irq_ctx, level, t);
}

/* Reads [addr, addr + len) through the callback; false on a bad address
 * (including a range that wraps past 4 GiB). */
static bool fetch(crypto_t *c, uint32_t addr, void *buf, size_t len)
{
    if ((uint64_t)addr + len > 0x100000000ull)
        return false;
    return len == 0 || c->read_mem(c->mem_ctx, addr, buf, len);
}

static void sha_drop(crypto_t *c)
{
    mbedtls_sha256_free(&c->sha);
    mbedtls_sha256_init(&c->sha);
    c->sha_active = false;
    c->sha_bytes = 0;
}

/* Hashes LEN bytes at SRC into the running hash; false on a bad address
 * (the hash is then abandoned). */
static bool sha_feed(crypto_t *c, uint32_t src, uint32_t len)
{
    uint8_t buf[512];
    if ((uint64_t)src + len > 0x100000000ull)
        return false;
    while (len) {
        uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
        if (!fetch(c, src, buf, n) ||
            mbedtls_sha256_update_ret(&c->sha, buf, n) != 0)
            return false;
        src += n;
        len -= n;
    }
    return true;
}

static bool ecdsa_compute(crypto_t *c, const uint8_t key[64],
                          const uint8_t sig[64], const uint8_t hash[32])
{
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    uint8_t pt[65];
    pt[0] = 0x04; /* SEC 1 2.3.3 uncompressed point */
    memcpy(pt + 1, key, 64);
    bool ok = mbedtls_ecp_point_read_binary(&c->p256, &q, pt, sizeof pt) ==
                  0 &&
              mbedtls_ecp_check_pubkey(&c->p256, &q) == 0 &&
              mbedtls_mpi_read_binary(&r, sig, 32) == 0 &&
              mbedtls_mpi_read_binary(&s, sig + 32, 32) == 0 &&
              mbedtls_ecdsa_verify(&c->p256, hash, 32, &q, &r, &s) == 0;
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    return ok;
}

static bool ecdsa_verify(crypto_t *c, const uint8_t key[64],
                         const uint8_t sig[64], const uint8_t hash[32])
{
    uint8_t in[160];
    memcpy(in, key, 64);
    memcpy(in + 64, sig, 64);
    memcpy(in + 128, hash, 32);
    for (unsigned i = 0; i < CRYPTO_MEMO; i++)
        if (c->memo[i].used && memcmp(c->memo[i].in, in, sizeof in) == 0)
            return c->memo[i].valid;
    bool ok = ecdsa_compute(c, key, sig, hash);
    struct crypto_memo *m = &c->memo[c->memo_next];
    c->memo_next = (c->memo_next + 1u) % CRYPTO_MEMO;
    memcpy(m->in, in, sizeof in);
    m->used = true;
    m->valid = ok;
    return ok;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

static void complete(crypto_t *c, sim_time_t t)
{
    c->status &= ~CRYPTO_STATUS_BUSY;
    c->status |= CRYPTO_STATUS_DONE;
    if (c->res_err) {
        c->status |= CRYPTO_STATUS_ERR;
    } else if (c->cmd == CRYPTO_CMD_SHA_FINAL) {
        memcpy(c->digest, c->res_digest, sizeof c->digest);
        if (trace_wants(c->bus, TRACE_LOG))
            trace_logf(c->bus, t, c->name,
                       0, "sha256 done: %08x%08x%08x%08x%08x%08x%08x%08x",
                       c->digest[0], c->digest[1], c->digest[2],
                       c->digest[3], c->digest[4], c->digest[5],
                       c->digest[6], c->digest[7]);
    } else if (c->cmd == CRYPTO_CMD_ECDSA_VERIFY) {
        if (c->res_valid)
            c->status |= CRYPTO_STATUS_VALID;
        if (trace_wants(c->bus, TRACE_LOG))
            trace_logf(c->bus, t, c->name, 0, "ecdsa-p256 verify: %s",
                       c->res_valid ? "valid" : "invalid");
    } else if (c->cmd == CRYPTO_CMD_RNG) {
        c->rng_out[0] = c->res_rng[0];
        c->rng_out[1] = c->res_rng[1];
    }
    c->cmd = 0;
    c->done_at = SIM_NEVER;
    update_irq(c, t);
}

static void done_fire(sim_event_t *ev, sim_time_t now)
{
    complete(ev->ctx, now);
}

/* A register access at bus time t: a command whose last cycle has ended by
 * then is complete, whether or not its event has fired. */
static void catch_up(crypto_t *c, sim_time_t t)
{
    if ((c->status & CRYPTO_STATUS_BUSY) && t >= c->done_at) {
        sim_cancel(c->node, &c->ev);
        complete(c, c->done_at);
    }
}

/* A command refused at decode: DONE | ERR at once, no BUSY. */
static void refuse(crypto_t *c, sim_time_t t, const char *why)
{
    c->errors++;
    c->status |= CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR;
    sim_warn(t, c->name, "%s", why);
    update_irq(c, t);
}

static void start(crypto_t *c, uint32_t cmd, sim_time_t t)
{
    uint64_t cycles = CRYPTO_CYC_SETUP;
    c->res_err = false;
    c->res_valid = false;
    switch (cmd) {
    case CRYPTO_CMD_SHA_INIT:
        sha_drop(c);
        (void)mbedtls_sha256_starts_ret(&c->sha, 0);
        c->sha_active = true;
        cycles = crypto_cycles_sha_init();
        break;
    case CRYPTO_CMD_SHA_UPDATE:
        if (!sha_feed(c, c->src, c->len)) {
            sim_warn(t, c->name,
                     "SHA_UPDATE: 0x%08x..+0x%x is not readable memory; "
                     "the hash is abandoned", c->src, c->len);
            sha_drop(c);
            c->res_err = true;
            break;
        }
        cycles = crypto_cycles_sha_update(c->sha_bytes, c->len);
        c->sha_bytes += c->len;
        break;
    case CRYPTO_CMD_SHA_FINAL: {
        uint8_t d[32];
        cycles = crypto_cycles_sha_final(c->sha_bytes);
        (void)mbedtls_sha256_finish_ret(&c->sha, d);
        for (unsigned i = 0; i < 8; i++)
            c->res_digest[i] = be32(d + 4 * i);
        sha_drop(c);
        break;
    }
    case CRYPTO_CMD_ECDSA_VERIFY: {
        uint8_t key[64], sig[64], hash[32];
        c->status &= ~CRYPTO_STATUS_VALID;
        if (!fetch(c, c->key, key, sizeof key) ||
            !fetch(c, c->sig, sig, sizeof sig)) {
            sim_warn(t, c->name,
                     "ECDSA_VERIFY: key 0x%08x or signature 0x%08x (64 "
                     "bytes each) is not readable memory", c->key, c->sig);
            c->res_err = true;
            break;
        }
        for (unsigned i = 0; i < 8; i++)
            put_be32(hash + 4 * i, c->digest[i]);
        c->res_valid = ecdsa_verify(c, key, sig, hash);
        cycles = crypto_cycles_ecdsa_verify();
        break;
    }
    case CRYPTO_CMD_RNG: {
        uint64_t v = sim_rng_next(&c->rng);
        c->res_rng[0] = (uint32_t)v;
        c->res_rng[1] = (uint32_t)(v >> 32);
        cycles = crypto_cycles_rng();
        break;
    }
    default:
        break; /* refused by the caller */
    }
    if (c->res_err)
        c->errors++;
    c->cmd = cmd;
    c->status |= CRYPTO_STATUS_BUSY;
    uint64_t first = sim_clock_edge_at_or_after(&c->clk, t);
    c->done_at = sim_clock_edge(&c->clk, first + cycles);
    sim_schedule(c->node, &c->ev, c->done_at);
    update_irq(c, t);
}

static void write_ctrl(crypto_t *c, uint32_t v, sim_time_t t)
{
    char why[96];
    if (c->status & CRYPTO_STATUS_BUSY) {
        c->errors++;
        c->status |= CRYPTO_STATUS_ERR;
        sim_warn(t, c->name, "CTRL = 0x%x while BUSY with %s: ignored", v,
                 cmd_name(c->cmd));
        return;
    }
    c->commands++;
    /* the line is updated once the command's first state is known, so a
     * refused command does not glitch it low and high */
    c->status &= ~(CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    switch (v) {
    case CRYPTO_CMD_SHA_UPDATE:
    case CRYPTO_CMD_SHA_FINAL:
        if (!c->sha_active) {
            snprintf(why, sizeof why, "%s with no hash started (SHA_INIT)",
                     cmd_name(v));
            refuse(c, t, why);
            return;
        }
        start(c, v, t);
        return;
    case CRYPTO_CMD_SHA_INIT:
    case CRYPTO_CMD_ECDSA_VERIFY:
    case CRYPTO_CMD_RNG:
        start(c, v, t);
        return;
    default:
        snprintf(why, sizeof why, "CTRL = 0x%x: unknown command", v);
        refuse(c, t, why);
        return;
    }
}

/* ------------------------------------------------------------------ */
/* Bus interface                                                       */

static bool reg_ok(crypto_t *c, uint32_t addr, unsigned size, sim_time_t t,
                   const char *what, uint32_t *off)
{
    *off = addr - c->base;
    if (addr < c->base || *off >= REG_SPAN || (*off & 3u) ||
        (*off >= 0x1Cu && *off < 0x20u)) {
        sim_warn(t, c->name, "%s of 0x%08x: no register there", what, addr);
        return false;
    }
    if (size != 4) {
        sim_warn(t, c->name, "%u-byte %s of 0x%08x: registers are 32-bit",
                 size, what, addr);
        return false;
    }
    return true;
}

uint32_t crypto_mmio_read(void *ctx, uint32_t addr, unsigned size,
                          sim_time_t t, bool *err)
{
    crypto_t *c = ctx;
    uint32_t off;
    if (!reg_ok(c, addr, size, t, "read", &off)) {
        *err = true;
        return 0;
    }
    catch_up(c, t);
    switch (off) {
    case CRYPTO_CTRL: return 0; /* write-only */
    case CRYPTO_SRC: return c->src;
    case CRYPTO_LEN: return c->len;
    case CRYPTO_KEY: return c->key;
    case CRYPTO_SIG: return c->sig;
    case CRYPTO_STATUS: return c->status;
    case CRYPTO_IRQEN: return c->irqen;
    case CRYPTO_RNG(0): return c->rng_out[0];
    case CRYPTO_RNG(1): return c->rng_out[1];
    default: return c->digest[(off - CRYPTO_DIGEST(0)) / 4u];
    }
}

void crypto_mmio_write(void *ctx, uint32_t addr, uint32_t value,
                       unsigned size, sim_time_t t, bool *err)
{
    crypto_t *c = ctx;
    uint32_t off;
    if (!reg_ok(c, addr, size, t, "write", &off)) {
        *err = true;
        return;
    }
    catch_up(c, t);
    switch (off) {
    case CRYPTO_CTRL: write_ctrl(c, value, t); break;
    case CRYPTO_SRC: c->src = value; break;
    case CRYPTO_LEN: c->len = value; break;
    case CRYPTO_KEY: c->key = value; break;
    case CRYPTO_SIG: c->sig = value; break;
    case CRYPTO_STATUS:
        c->status &= ~(value & (CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR));
        update_irq(c, t);
        break;
    case CRYPTO_IRQEN:
        c->irqen = value & CRYPTO_IRQEN_DONE;
        update_irq(c, t);
        break;
    case CRYPTO_RNG(0):
    case CRYPTO_RNG(1):
        break; /* read-only */
    default:
        c->digest[(off - CRYPTO_DIGEST(0)) / 4u] = value;
        break;
    }
}

bool crypto_read_cpu_mem(void *cpu, uint32_t addr, void *buf, size_t len)
{
    return cpu_read_mem(cpu, addr, buf, len);
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */

static void clear_regs(crypto_t *c)
{
    c->src = c->len = c->key = c->sig = 0;
    c->status = c->irqen = 0;
    memset(c->digest, 0, sizeof c->digest);
    memset(c->rng_out, 0, sizeof c->rng_out);
    c->cmd = 0;
    c->done_at = SIM_NEVER;
    c->res_err = c->res_valid = false;
}

void crypto_init(crypto_t *c, sim_node_t *node, trace_bus_t *bus,
                 const crypto_cfg_t *cfg)
{
    if (!cfg->name || !cfg->hz || !cfg->read_mem)
        sim_fatal_plain("crypto_init: a name, a clock and read_mem are "
                        "required");
    memset(c, 0, sizeof *c);
    c->node = node;
    c->bus = bus;
    c->name = cfg->name;
    sim_clock_init(&c->clk, cfg->name, cfg->hz, cfg->t0);
    c->base = cfg->base;
    c->read_mem = cfg->read_mem;
    c->mem_ctx = cfg->mem_ctx;
    c->irq = cfg->irq;
    c->irq_ctx = cfg->irq_ctx;
    sim_event_init(&c->ev, "crypto.done", done_fire, c);
    mbedtls_sha256_init(&c->sha);
    mbedtls_ecp_group_init(&c->p256);
    if (mbedtls_ecp_group_load(&c->p256, MBEDTLS_ECP_DP_SECP256R1) != 0)
        sim_fatal_plain("%s: mbedTLS has no P-256 curve", cfg->name);
    sim_rng_seed(&c->rng, node->sim->seed, cfg->name);
    clear_regs(c);
}

void crypto_reset(crypto_t *c, sim_time_t now)
{
    sim_cancel(c->node, &c->ev);
    sha_drop(c);
    clear_regs(c);
    update_irq(c, now);
}

void crypto_cleanup(crypto_t *c)
{
    sim_cancel(c->node, &c->ev);
    mbedtls_sha256_free(&c->sha);
    mbedtls_ecp_group_free(&c->p256);
}
