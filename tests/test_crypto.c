/* SPDX-License-Identifier: MIT */
/* tests/test_crypto.c - the SE crypto engine (models/crypto.c): FIPS 180-4
 * digests over memory in odd chunks, ECDSA P-256 verification with the test
 * issuer key, exact BUSY times on a kernel node at 32 MHz, errors, the
 * interrupt line, reset, and the seeded RNG. */
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/pk.h>

#include "firmware/include/regs/crypto.h"
#include "firmware/include/regs/se_map.h"
#include "models/crypto.h"
#include "sim/fatal.h"
#include "sim/sim.h"
#include "suites.h"
#include "tools/keys/test-issuer-public.h"

#define PERIOD_PS 31250ULL        /* 32 MHz */
#define STEP SIM_S(1)             /* one command per simulated second */
#define BIG_BASE 0x30000000u      /* 1 000 000 bytes of 'a' */
#define BIG_LEN 1000000u

/* ---- fixture: one SE node, 16 KiB of RAM, a 1 MB region of 'a' -------- */

typedef struct fx {
    sim_t sim;
    sim_node_t node;
    crypto_t c;
    uint8_t ram[SE_RAM_SIZE];
    sim_time_t cursor;            /* time of the next command */
    int irq_rises, irq_falls;
    bool irq_level;
    sim_time_t irq_time;          /* last rise */
    int warnings;
} fx_t;

static bool fx_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    fx_t *f = ctx;
    if (addr >= SE_RAM_BASE && addr - SE_RAM_BASE <= SE_RAM_SIZE &&
        len <= SE_RAM_SIZE - (addr - SE_RAM_BASE)) {
        memcpy(buf, f->ram + (addr - SE_RAM_BASE), len);
        return true;
    }
    if (addr >= BIG_BASE && addr - BIG_BASE <= BIG_LEN &&
        len <= BIG_LEN - (addr - BIG_BASE)) {
        memset(buf, 'a', len);
        return true;
    }
    return false;
}

static void fx_irq(void *ctx, bool level, sim_time_t t)
{
    fx_t *f = ctx;
    ck_assert(level != f->irq_level); /* only changes are reported */
    f->irq_level = level;
    if (level) {
        f->irq_rises++;
        f->irq_time = t;
    } else {
        f->irq_falls++;
    }
}

static void fx_warn(void *ctx, sim_time_t now, const char *source,
                    const char *msg)
{
    (void)now;
    (void)msg;
    ck_assert_str_eq(source, "se0.crypto");
    ((fx_t *)ctx)->warnings++;
}

static fx_t *fx_new(uint64_t seed)
{
    fx_t *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    sim_init(&f->sim, seed);
    sim_node_init(&f->node, &f->sim, "se0", f);
    crypto_cfg_t cfg = {
        .name = "se0.crypto", .hz = SE_CORE_HZ, .t0 = 0,
        .base = SE_CRYPTO_BASE, .read_mem = fx_read, .mem_ctx = f,
        .irq = fx_irq, .irq_ctx = f,
    };
    crypto_init(&f->c, &f->node, NULL, &cfg);
    sim_warn_set_sink(fx_warn, f);
    return f;
}

static void fx_free(fx_t *f)
{
    sim_warn_set_sink(NULL, NULL);
    crypto_cleanup(&f->c);
    sim_cleanup(&f->sim);
    free(f);
}

static void wr(fx_t *f, uint32_t off, uint32_t v)
{
    bool err = false;
    crypto_mmio_write(&f->c, SE_CRYPTO_BASE + off, v, 4, f->cursor, &err);
    ck_assert(!err);
}

static uint32_t rd(fx_t *f, uint32_t off)
{
    bool err = false;
    uint32_t v = crypto_mmio_read(&f->c, SE_CRYPTO_BASE + off, 4, f->cursor,
                                  &err);
    ck_assert(!err);
    return v;
}

/* Writes CTRL = cmd at the cursor, runs the node for one second, and
 * returns the command's duration in cycles (from the first clock edge at
 * or after the write to the DONE interrupt; SIM_NEVER if none came). */
static uint64_t cmd(fx_t *f, uint32_t command)
{
    wr(f, CRYPTO_IRQEN, CRYPTO_IRQEN_DONE);
    int rises = f->irq_rises;
    sim_time_t start = f->cursor;
    wr(f, CRYPTO_CTRL, command);
    f->cursor += STEP;
    sim_run_until(&f->sim, f->cursor);
    if (f->irq_rises != rises + 1)
        return SIM_NEVER;
    sim_time_t edge = (start + PERIOD_PS - 1) / PERIOD_PS * PERIOD_PS;
    ck_assert_uint_eq((f->irq_time - edge) % PERIOD_PS, 0);
    wr(f, CRYPTO_STATUS, CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    ck_assert(!f->irq_level);
    return (f->irq_time - edge) / PERIOD_PS;
}

static void put_ram(fx_t *f, uint32_t addr, const void *p, size_t n)
{
    memcpy(f->ram + (addr - SE_RAM_BASE), p, n);
}

static void digest_bytes(fx_t *f, uint8_t out[32])
{
    for (unsigned i = 0; i < 8; i++) {
        uint32_t w = rd(f, CRYPTO_DIGEST(i));
        out[4 * i] = (uint8_t)(w >> 24);
        out[4 * i + 1] = (uint8_t)(w >> 16);
        out[4 * i + 2] = (uint8_t)(w >> 8);
        out[4 * i + 3] = (uint8_t)w;
    }
}

static const uint8_t sha_abc[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

/* ---- SHA-256 ---------------------------------------------------------- */

START_TEST(sha_abc_digest_and_cycles)
{
    fx_t *f = fx_new(1);
    put_ram(f, 0x20000100u, "abc", 3);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_INIT), 8);
    wr(f, CRYPTO_SRC, 0x20000100u);
    wr(f, CRYPTO_LEN, 3);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_UPDATE), 8 + 1);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_FINAL), 8 + 66);
    /* FIPS 180-4 example: DIGEST0 is H0 = 0xba7816bf */
    ck_assert_uint_eq(rd(f, CRYPTO_DIGEST(0)), 0xba7816bfu);
    ck_assert_uint_eq(rd(f, CRYPTO_DIGEST(7)), 0xf20015adu);
    uint8_t d[32];
    digest_bytes(f, d);
    ck_assert_mem_eq(d, sha_abc, 32);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), 0);
    ck_assert_int_eq(f->warnings, 0);
    fx_free(f);
}
END_TEST

START_TEST(sha_two_block_padding)
{
    /* FIPS 180-4 example 2: 56 bytes leave no room for the length */
    static const char m[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const uint32_t h[8] = {
        0x248d6a61, 0xd20638b8, 0xe5c02693, 0x0c3e6039,
        0xa33ce459, 0x64ff2167, 0xf6ecedd4, 0x19db06c1,
    };
    fx_t *f = fx_new(1);
    put_ram(f, 0x20000200u, m, 56);
    cmd(f, CRYPTO_CMD_SHA_INIT);
    wr(f, CRYPTO_SRC, 0x20000200u);
    wr(f, CRYPTO_LEN, 56);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_UPDATE), 8 + 14);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_FINAL), 8 + 2 * 66);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(rd(f, CRYPTO_DIGEST(i)), h[i]);
    fx_free(f);
}
END_TEST

START_TEST(sha_1000_bytes_in_odd_chunks)
{
    /* bytes (7i + 3) mod 256 at an odd address, in odd-sized chunks that
     * straddle block boundaries; digest from an independent SHA-256
     * (Python hashlib) */
    static const uint8_t want[32] = {
        0x1e, 0x9b, 0xc3, 0x8c, 0xbf, 0x86, 0x0b, 0x9e, 0xc3, 0x19, 0x18,
        0xb0, 0x65, 0xf9, 0xb5, 0x24, 0x76, 0xc5, 0x49, 0xa7, 0x82, 0xe0,
        0xe7, 0x99, 0x0b, 0xed, 0x8c, 0xe3, 0x86, 0x8d, 0x23, 0x71,
    };
    static const uint32_t chunks[] = { 1, 3, 5, 7, 13, 31, 61, 63, 65,
                                       127, 129, 131, 251, 113 };
    fx_t *f = fx_new(1);
    uint8_t b[1000];
    for (unsigned i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)(i * 7u + 3u);
    put_ram(f, 0x20000401u, b, sizeof b);
    cmd(f, CRYPTO_CMD_SHA_INIT);
    uint32_t addr = 0x20000401u;
    uint64_t cycles = 0;
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        wr(f, CRYPTO_SRC, addr);
        wr(f, CRYPTO_LEN, chunks[i]);
        cycles += cmd(f, CRYPTO_CMD_SHA_UPDATE);
        addr += chunks[i];
    }
    ck_assert_uint_eq(addr, 0x20000401u + 1000u);
    /* 14 x 8 setup + 257 words + 15 blocks x 66 (computed by hand) */
    ck_assert_uint_eq(cycles, 1359);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_FINAL), 74); /* 40 left */
    uint8_t d[32];
    digest_bytes(f, d);
    ck_assert_mem_eq(d, want, 32);
    fx_free(f);
}
END_TEST

START_TEST(sha_million_a)
{
    /* FIPS 180-2 appendix B.3: one million 'a' in one UPDATE */
    static const uint32_t h[8] = {
        0xcdc76e5c, 0x9914fb92, 0x81a1c7e2, 0x84d73e67,
        0xf1809a48, 0xa497200e, 0x046d39cc, 0xc7112cd0,
    };
    fx_t *f = fx_new(1);
    cmd(f, CRYPTO_CMD_SHA_INIT);
    wr(f, CRYPTO_SRC, BIG_BASE);
    wr(f, CRYPTO_LEN, BIG_LEN);
    /* 8 + 250 000 words + 15 625 blocks x 66 */
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_UPDATE), 1281258);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_FINAL), 74);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(rd(f, CRYPTO_DIGEST(i)), h[i]);
    fx_free(f);
}
END_TEST

START_TEST(sha_empty_update_and_cost_helpers)
{
    fx_t *f = fx_new(1);
    cmd(f, CRYPTO_CMD_SHA_INIT);
    wr(f, CRYPTO_SRC, 0xdead0000u); /* never read: length 0 */
    wr(f, CRYPTO_LEN, 0);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_UPDATE), 8);
    cmd(f, CRYPTO_CMD_SHA_FINAL);
    ck_assert_uint_eq(rd(f, CRYPTO_DIGEST(0)), 0xe3b0c442u); /* SHA-256("") */
    ck_assert_uint_eq(rd(f, CRYPTO_DIGEST(7)), 0x7852b855u);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS) & CRYPTO_STATUS_ERR, 0);
    ck_assert_uint_eq(crypto_cycles_sha_update(63, 1), 8 + 1 + 66);
    ck_assert_uint_eq(crypto_cycles_sha_update(0, 64), 8 + 16 + 66);
    ck_assert_uint_eq(crypto_cycles_sha_final(55), 74);
    ck_assert_uint_eq(crypto_cycles_sha_final(56), 140);
    ck_assert_uint_eq(crypto_cycles_ecdsa_verify(), 1500040);
    ck_assert_uint_eq(crypto_cycles_rng(), 136);
    fx_free(f);
}
END_TEST

/* ---- ECDSA P-256 ------------------------------------------------------ */

/* The RFC 6979 signature of SHA-256("abc") by tools/keys/test-issuer-
 * private.pem (made by cos_image_host_sign_hash, checked with `openssl
 * dgst -sha256 -verify`; the test below re-signs to keep them in step). */
static const uint8_t sig_abc[64] = {
    0x78, 0x1a, 0x43, 0x7e, 0xb2, 0x64, 0xf3, 0xb8,
    0x58, 0x69, 0x82, 0xe6, 0x1e, 0x6f, 0x81, 0xaa,
    0x6f, 0x11, 0x56, 0x28, 0xc9, 0x9b, 0x1e, 0xd5,
    0xe4, 0x81, 0x2d, 0xe6, 0x44, 0x49, 0xd4, 0x90,
    0x54, 0x03, 0x2d, 0x21, 0xec, 0x66, 0x65, 0x23,
    0xa1, 0x84, 0xae, 0xbd, 0x65, 0x6b, 0x14, 0x71,
    0xea, 0x57, 0x30, 0xb3, 0xce, 0x13, 0xc1, 0xf7,
    0x54, 0x3e, 0x79, 0x2b, 0x2f, 0x25, 0xc1, 0xca,
};

static const uint8_t issuer_pub[TEST_ISSUER_PUBLIC_KEY_LEN] =
    TEST_ISSUER_PUBLIC_KEY;

#define KEY_AT 0x20001000u
#define SIG_AT 0x20001040u

static void set_digest(fx_t *f, const uint8_t h[32])
{
    for (unsigned i = 0; i < 8; i++)
        wr(f, CRYPTO_DIGEST(i),
           (uint32_t)h[4 * i] << 24 | (uint32_t)h[4 * i + 1] << 16 |
               (uint32_t)h[4 * i + 2] << 8 | h[4 * i + 3]);
}

/* VALID after a verify of (key, sig, hash); checks the exact cost. */
static bool verify(fx_t *f, const uint8_t key[64], const uint8_t sig[64],
                   const uint8_t hash[32])
{
    put_ram(f, KEY_AT, key, 64);
    put_ram(f, SIG_AT, sig, 64);
    set_digest(f, hash);
    wr(f, CRYPTO_KEY, KEY_AT);
    wr(f, CRYPTO_SIG, SIG_AT);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_ECDSA_VERIFY), 1500040);
    uint32_t st = rd(f, CRYPTO_STATUS);
    ck_assert_uint_eq(st & (CRYPTO_STATUS_ERR | CRYPTO_STATUS_BUSY), 0);
    return st & CRYPTO_STATUS_VALID;
}

START_TEST(ecdsa_signature_constant_is_the_test_keys)
{
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    ck_assert_int_eq(mbedtls_pk_parse_keyfile(
                         &pk, TESTS_DIR "/../tools/keys/test-issuer-private.pem",
                         NULL),
                     0);
    mbedtls_ecp_keypair *kp = mbedtls_pk_ec(pk);
    ck_assert_ptr_nonnull(kp);
    uint8_t q[65];
    size_t olen;
    ck_assert_int_eq(mbedtls_ecp_point_write_binary(
                         &kp->grp, &kp->Q, MBEDTLS_ECP_PF_UNCOMPRESSED,
                         &olen, q, sizeof q),
                     0);
    ck_assert_mem_eq(q + 1, issuer_pub, 64); /* .pem and .h agree */
    mbedtls_hmac_drbg_context drbg;
    mbedtls_hmac_drbg_init(&drbg);
    ck_assert_int_eq(mbedtls_hmac_drbg_seed_buf(
                         &drbg, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                         (const unsigned char *)"x", 1),
                     0);
    mbedtls_mpi r, s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    ck_assert_int_eq(mbedtls_ecdsa_sign_det_ext(
                         &kp->grp, &r, &s, &kp->d, sha_abc, 32,
                         MBEDTLS_MD_SHA256, mbedtls_hmac_drbg_random, &drbg),
                     0);
    uint8_t sig[64];
    ck_assert_int_eq(mbedtls_mpi_write_binary(&r, sig, 32), 0);
    ck_assert_int_eq(mbedtls_mpi_write_binary(&s, sig + 32, 32), 0);
    ck_assert_mem_eq(sig, sig_abc, 64);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_hmac_drbg_free(&drbg);
    mbedtls_pk_free(&pk);
}
END_TEST

START_TEST(ecdsa_verify_good_and_flipped)
{
    fx_t *f = fx_new(1);
    ck_assert(verify(f, issuer_pub, sig_abc, sha_abc));
    uint8_t bad[64], h[32];
    memcpy(bad, sig_abc, 64);
    bad[5] ^= 0x10;                      /* r */
    ck_assert(!verify(f, issuer_pub, bad, sha_abc));
    memcpy(bad, sig_abc, 64);
    bad[63] ^= 0x01;                     /* s */
    ck_assert(!verify(f, issuer_pub, bad, sha_abc));
    memcpy(h, sha_abc, 32);
    h[31] ^= 0x80;                       /* hash */
    ck_assert(!verify(f, issuer_pub, sig_abc, h));
    memcpy(bad, issuer_pub, 64);
    bad[63] ^= 0x01;                     /* key off the curve: not ERR */
    ck_assert(!verify(f, bad, sig_abc, sha_abc));
    ck_assert(verify(f, issuer_pub, sig_abc, sha_abc)); /* and back */
    /* the remembered results (models/crypto.h) are the computed ones */
    ck_assert(!verify(f, bad, sig_abc, sha_abc));
    ck_assert(verify(f, issuer_pub, sig_abc, sha_abc));
    memcpy(h, sha_abc, 32);
    h[0] ^= 0x01;
    ck_assert(!verify(f, issuer_pub, sig_abc, h));
    ck_assert(!verify(f, issuer_pub, sig_abc, h));
    ck_assert_int_eq(f->warnings, 0);
    fx_free(f);
}
END_TEST

START_TEST(ecdsa_after_sha_final)
{
    /* the firmware's path: hash in memory, FINAL leaves it in DIGEST */
    fx_t *f = fx_new(1);
    put_ram(f, 0x20000100u, "abc", 3);
    cmd(f, CRYPTO_CMD_SHA_INIT);
    wr(f, CRYPTO_SRC, 0x20000100u);
    wr(f, CRYPTO_LEN, 3);
    cmd(f, CRYPTO_CMD_SHA_UPDATE);
    cmd(f, CRYPTO_CMD_SHA_FINAL);
    put_ram(f, KEY_AT, issuer_pub, 64);
    put_ram(f, SIG_AT, sig_abc, 64);
    wr(f, CRYPTO_KEY, KEY_AT);
    wr(f, CRYPTO_SIG, SIG_AT);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_ECDSA_VERIFY), 1500040);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), CRYPTO_STATUS_VALID);
    fx_free(f);
}
END_TEST

/* ---- exact timing ----------------------------------------------------- */

START_TEST(busy_time_to_the_picosecond)
{
    fx_t *f = fx_new(1);
    put_ram(f, KEY_AT, issuer_pub, 64);
    put_ram(f, SIG_AT, sig_abc, 64);
    set_digest(f, sha_abc);
    wr(f, CRYPTO_KEY, KEY_AT);
    wr(f, CRYPTO_SIG, SIG_AT);
    wr(f, CRYPTO_IRQEN, CRYPTO_IRQEN_DONE);
    /* a write 7 ps after an edge: the engine starts at the next edge */
    f->cursor = SIM_US(10) + 7;
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_ECDSA_VERIFY);
    const sim_time_t done = SIM_US(10) + PERIOD_PS + 1500040ULL * PERIOD_PS;
    ck_assert_uint_eq(done, 46886281250ULL); /* 46.88628125 ms */
    /* polled one picosecond before the end: still busy */
    f->cursor = done - 1;
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), CRYPTO_STATUS_BUSY);
    sim_run_until(&f->sim, done);  /* everything before `done` */
    ck_assert_int_eq(f->irq_rises, 0);
    sim_run_until(&f->sim, done + 1);
    ck_assert_int_eq(f->irq_rises, 1);
    ck_assert_uint_eq(f->irq_time, done);
    f->cursor = done + 1;
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_DONE | CRYPTO_STATUS_VALID);
    fx_free(f);
}
END_TEST

START_TEST(polling_sees_completion_before_the_event)
{
    /* an access in a long instruction that started before the end */
    fx_t *f = fx_new(1);
    wr(f, CRYPTO_IRQEN, CRYPTO_IRQEN_DONE);
    f->cursor = SIM_US(1); /* exactly edge 32 */
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_RNG);
    const sim_time_t done = SIM_US(1) + 136ULL * PERIOD_PS;
    f->cursor = done;
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), CRYPTO_STATUS_DONE);
    ck_assert_int_eq(f->irq_rises, 1);
    ck_assert_uint_eq(f->irq_time, done);
    sim_run_until(&f->sim, done + STEP); /* the event was cancelled */
    ck_assert_int_eq(f->irq_rises, 1);
    ck_assert_uint_eq(f->node.events_fired, 0);
    fx_free(f);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(bad_address_sets_err_after_setup)
{
    fx_t *f = fx_new(1);
    cmd(f, CRYPTO_CMD_SHA_INIT);
    wr(f, CRYPTO_SRC, SE_RAM_BASE + SE_RAM_SIZE - 2); /* runs off RAM */
    wr(f, CRYPTO_LEN, 4);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_SHA_UPDATE), 8);
    ck_assert_int_eq(f->warnings, 1);
    /* cmd() cleared DONE/ERR; look at them before clearing next time */
    wr(f, CRYPTO_SRC, 0x20000000u);
    wr(f, CRYPTO_LEN, 4);
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_SHA_UPDATE); /* the hash was abandoned */
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    ck_assert_int_eq(f->warnings, 2);
    /* a range that wraps past 4 GiB */
    cmd(f, CRYPTO_CMD_SHA_INIT);
    wr(f, CRYPTO_SRC, 0xFFFFFFF0u);
    wr(f, CRYPTO_LEN, 0x20u);
    wr(f, CRYPTO_IRQEN, 0);
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_SHA_UPDATE);
    f->cursor += STEP;
    sim_run_until(&f->sim, f->cursor);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    ck_assert(!f->irq_level); /* IRQEN off */
    /* ECDSA with the signature in no memory */
    wr(f, CRYPTO_KEY, KEY_AT);
    wr(f, CRYPTO_SIG, 0x50000000u);
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_ECDSA_VERIFY), 8);
    ck_assert_int_eq(f->warnings, 4);
    fx_free(f);
}
END_TEST

START_TEST(bad_commands)
{
    fx_t *f = fx_new(1);
    wr(f, CRYPTO_IRQEN, CRYPTO_IRQEN_DONE);
    wr(f, CRYPTO_CTRL, 0x7); /* unknown: DONE | ERR at once, no BUSY */
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    ck_assert_int_eq(f->irq_rises, 1);
    ck_assert_uint_eq(f->irq_time, 0);
    wr(f, CRYPTO_STATUS, CRYPTO_STATUS_ERR); /* W1C one bit */
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), CRYPTO_STATUS_DONE);
    ck_assert(f->irq_level);
    wr(f, CRYPTO_STATUS, CRYPTO_STATUS_DONE);
    ck_assert(!f->irq_level);
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_SHA_FINAL); /* no SHA_INIT */
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    wr(f, CRYPTO_STATUS, 0xFFFFFFFFu);
    /* CTRL while BUSY: ignored, ERR; the running command completes */
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_RNG);
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_SHA_INIT);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_BUSY | CRYPTO_STATUS_ERR);
    f->cursor += STEP;
    sim_run_until(&f->sim, f->cursor);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    ck_assert_uint_ne(rd(f, CRYPTO_RNG(0)) | rd(f, CRYPTO_RNG(1)), 0);
    ck_assert_int_eq(f->warnings, 3);
    ck_assert_uint_eq(f->c.errors, 3);
    fx_free(f);
}
END_TEST

START_TEST(bus_errors)
{
    fx_t *f = fx_new(1);
    bool err = false;
    crypto_mmio_read(&f->c, SE_CRYPTO_BASE + CRYPTO_STATUS, 1, 0, &err);
    ck_assert(err); /* byte access */
    err = false;
    crypto_mmio_write(&f->c, SE_CRYPTO_BASE + CRYPTO_SRC, 1, 2, 0, &err);
    ck_assert(err);
    err = false;
    crypto_mmio_read(&f->c, SE_CRYPTO_BASE + 0x1C, 4, 0, &err);
    ck_assert(err); /* hole */
    err = false;
    crypto_mmio_read(&f->c, SE_CRYPTO_BASE + 0x48, 4, 0, &err);
    ck_assert(err); /* past RNG1 */
    ck_assert_int_eq(f->warnings, 4);
    /* read-only and write-only registers */
    wr(f, CRYPTO_RNG(0), 0x1234);
    ck_assert_uint_eq(rd(f, CRYPTO_RNG(0)), 0);
    wr(f, CRYPTO_SRC, 0x20000004u);
    ck_assert_uint_eq(rd(f, CRYPTO_SRC), 0x20000004u);
    ck_assert_uint_eq(rd(f, CRYPTO_CTRL), 0);
    wr(f, CRYPTO_STATUS, CRYPTO_STATUS_BUSY | CRYPTO_STATUS_VALID);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), 0);
    wr(f, CRYPTO_IRQEN, 0xFFFFFFFFu);
    ck_assert_uint_eq(rd(f, CRYPTO_IRQEN), CRYPTO_IRQEN_DONE);
    fx_free(f);
}
END_TEST

/* ---- interrupt, reset, RNG ------------------------------------------- */

START_TEST(irq_follows_done_and_enable)
{
    fx_t *f = fx_new(1);
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_SHA_INIT);
    f->cursor += STEP;
    sim_run_until(&f->sim, f->cursor);
    ck_assert_int_eq(f->irq_rises, 0); /* IRQEN off */
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), CRYPTO_STATUS_DONE);
    wr(f, CRYPTO_IRQEN, CRYPTO_IRQEN_DONE); /* enabling raises it */
    ck_assert_int_eq(f->irq_rises, 1);
    wr(f, CRYPTO_IRQEN, 0);
    ck_assert_int_eq(f->irq_falls, 1);
    wr(f, CRYPTO_IRQEN, CRYPTO_IRQEN_DONE);
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_RNG); /* a new command clears DONE */
    ck_assert(!f->irq_level);
    ck_assert_int_eq(f->irq_falls, 2);
    fx_free(f);
}
END_TEST

START_TEST(reset_drops_the_command)
{
    fx_t *f = fx_new(1);
    wr(f, CRYPTO_IRQEN, CRYPTO_IRQEN_DONE);
    wr(f, CRYPTO_SRC, 0x20000010u);
    set_digest(f, sha_abc);
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_ECDSA_VERIFY);
    crypto_reset(&f->c, f->cursor + 5);
    f->cursor += STEP;
    sim_run_until(&f->sim, f->cursor);
    ck_assert_int_eq(f->irq_rises, 0);
    ck_assert_uint_eq(f->node.events_fired, 0);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS), 0);
    ck_assert_uint_eq(rd(f, CRYPTO_SRC), 0);
    ck_assert_uint_eq(rd(f, CRYPTO_DIGEST(0)), 0);
    /* and a hash in progress is gone */
    wr(f, CRYPTO_CTRL, CRYPTO_CMD_SHA_FINAL);
    ck_assert_uint_eq(rd(f, CRYPTO_STATUS),
                      CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    fx_free(f);
}
END_TEST

static uint64_t draw(fx_t *f)
{
    ck_assert_uint_eq(cmd(f, CRYPTO_CMD_RNG), 136);
    return (uint64_t)rd(f, CRYPTO_RNG(1)) << 32 | rd(f, CRYPTO_RNG(0));
}

START_TEST(rng_reproducible_per_seed)
{
    fx_t *a = fx_new(42), *b = fx_new(42), *c = fx_new(43);
    sim_rng_t ref;
    sim_rng_seed(&ref, 42, "se0.crypto"); /* the engine's own stream */
    int same_ac = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = draw(a);
        ck_assert_uint_eq(x, draw(b));
        ck_assert_uint_eq(x, sim_rng_next(&ref));
        same_ac += x == draw(c);
    }
    ck_assert_int_eq(same_ac, 0);
    /* the stream runs on across a reset */
    crypto_reset(&a->c, a->cursor);
    ck_assert_uint_eq(rd(a, CRYPTO_RNG(0)), 0);
    ck_assert_uint_eq(draw(a), sim_rng_next(&ref));
    fx_free(c);
    fx_free(b);
    fx_free(a);
}
END_TEST

Suite *make_crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *t = tcase_create("sha256");
    tcase_add_test(t, sha_abc_digest_and_cycles);
    tcase_add_test(t, sha_two_block_padding);
    tcase_add_test(t, sha_1000_bytes_in_odd_chunks);
    tcase_add_test(t, sha_million_a);
    tcase_add_test(t, sha_empty_update_and_cost_helpers);
    suite_add_tcase(s, t);
    t = tcase_create("ecdsa");
    tcase_add_test(t, ecdsa_signature_constant_is_the_test_keys);
    tcase_add_test(t, ecdsa_verify_good_and_flipped);
    tcase_add_test(t, ecdsa_after_sha_final);
    suite_add_tcase(s, t);
    t = tcase_create("timing");
    tcase_add_test(t, busy_time_to_the_picosecond);
    tcase_add_test(t, polling_sees_completion_before_the_event);
    suite_add_tcase(s, t);
    t = tcase_create("errors");
    tcase_add_test(t, bad_address_sets_err_after_setup);
    tcase_add_test(t, bad_commands);
    tcase_add_test(t, bus_errors);
    suite_add_tcase(s, t);
    t = tcase_create("control");
    tcase_add_test(t, irq_follows_done_and_enable);
    tcase_add_test(t, reset_drops_the_command);
    tcase_add_test(t, rng_reproducible_per_seed);
    suite_add_tcase(s, t);
    return s;
}
