/* SPDX-License-Identifier: MIT */
/* tests/se_cos/test_cos_fw.c - the real COS images (cos_v1.elf,
 * cos_v2.elf) on the Cortex-M0 model (models/cpu) with small behavioural
 * SE peripherals written here, talking to a terminal that uses
 * firmware/lib/{atr,pps,t1} over a character-timed ISO 7816 line: ATR
 * bytes and timing, PPS and the etu switch, T=1 with chaining, every
 * command's response, S(WTX) with a slow flash, a flash error -> 6581,
 * INVALIDATE with a real signature -> page 0 erased and SYSRESETREQ.
 *
 * Usage: test_se_cos_fw COS_V1_ELF COS_V2_ELF [SE_ROM_ELF]
 * With the ROM image, one more test boots the COS through the real ROM (an
 * identifier record with the image's SHA-256 in page 0) and, after
 * INVALIDATE, sees the ROM come back up as the loader ("CSLDR" ATR).
 *
 * Notes (how this differs from the SE models and docs/se.md): CLK is
 * 4 MHz exactly, 8 core cycles; a character starts when written (no etu
 * grid) and is delivered 10 etu later; the flash array changes at the end
 * of an operation, as in models/flash.c; the crypto engine's costs are
 * those of docs/crypto.md; without the ROM image the ROM is a stub holding
 * the COS's initial SP and entry (the COS sets VTOR itself); a system
 * reset resets the peripherals here but RST stays high (CLKCNT runs on);
 * no tearing here (the host tests of cos_store do that); the loop below
 * does not know when a sleeping core's SysTick wraps (the ROM's
 * character waiting time, rom_hal_mmio.c), so a time-out inside a block
 * would be seen at the next event, not at its cycle - no test here lets
 * one happen; the terminal sends no character before now, nor before the
 * end of the card's last character (a PPS answer's is at the old etu). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "atr.h"
#include "cos_image.h"
#include "cos_store.h"
#include "cos_util.h"
#include "models/cpu/cpu.h"
#include "models/elf_load.h"
#include "pps.h"
#include "regs/armv6m.h"
#include "regs/crypto.h"
#include "regs/flashc.h"
#include "regs/iso7816_uart.h"
#include "regs/se_map.h"
#include "regs/se_sysctl.h"
#include "t1.h"
#include "tools/cos_image_host.h"

#define CYC_PER_CLK     8u              /* 32 MHz core, 4 MHz CLK */
#define NEVER           UINT64_MAX
#define PS_PER_CYCLE    31250u

static const char *elf_path[3];
static const char *rom_path;

/* A queued character: delivered at `at` (core cycles). */
typedef struct ch {
    uint64_t at, start;
    uint8_t byte;
    uint32_t etu_clk;   /* sender's etu */
} ch_t;

#define QMAX 2048

typedef struct queue {
    ch_t c[QMAX];
    unsigned head, tail;
} queue_t;

typedef struct fw {
    cpu_t cpu;
    uint8_t rom[SE_ROM_SIZE], flash[SE_FLASH_SIZE], ram[SE_RAM_SIZE];
    uint64_t now;               /* core cycles processed up to */
    sim_time_t limit;           /* the CPU's run limit (ps), lowered when
                                 * an MMIO access schedules something */
    sim_cpu_hook_t hook;
    bool reset_req, fault;
    bool reset_after_tc;        /* the UART was idle at SYSRESETREQ */
    bool real_rom;              /* se_rom.elf at 0: resets reboot it */
    unsigned resets;
    uint32_t reset_cause;       /* SYSCTL.RESETCAUSE (W1C) */
    char fault_msg[128];

    /* FLASHC */
    uint32_t fc_addr, fc_data, fc_status, fc_irqen;
    uint64_t fc_end;            /* NEVER when idle */
    uint32_t fc_op, fc_op_addr, fc_op_data;
    uint64_t erase_cycles, prog_cycles;
    bool fc_fail_next;
    unsigned fc_unerased, fc_erases, fc_programs;

    /* CRYPTO */
    uint32_t cr_src, cr_len, cr_key, cr_sig, cr_status, cr_irqen;
    uint32_t cr_digest[8], cr_rng[2];
    uint64_t cr_end;
    uint32_t cr_result;         /* status bits set at the end */
    bool sha_on;
    mbedtls_sha256_context sha;
    uint32_t rng_ctr;
    unsigned ecdsa_runs;

    /* UART (card side) */
    uint32_t u_ctrl, u_etu, u_gt, u_irqen, u_sticky;
    bool u_rxne;
    uint8_t u_rx;
    uint64_t u_txe_at, u_tc_at; /* TXE / TC true from these cycles */
    bool u_irq_level;
    queue_t to_term, to_card;
    unsigned u_writes_dropped;

    /* the terminal */
    int phase;                  /* 0 ATR, 1 PPS answer, 2 T=1 */
    bool do_pps;
    uint32_t t_etu;             /* terminal etu in CLK */
    uint8_t t_in[600];
    size_t t_nin;
    uint64_t t_last_in_start;   /* start of the last card character */
    uint64_t t_last_in_end;     /* and the end of its guard time (12 etu
                                 * at its own rate: a PPS answer's is at
                                 * the old one) */
    uint64_t t_tx_free, t_last_out_start;
    uint64_t t_deadline;        /* BWT expiry, NEVER if none */
    unsigned t_timeouts, t_framing, t_wtx, t_blocks_in;
    uint8_t atr[ATR_MAX_LEN];
    size_t atr_len;
    uint64_t atr_start;         /* TS start, cycles */
    uint64_t pps_ans_etu;       /* etu (CLK) the PPS answer came at */
    t1_t t1;
    uint8_t t1_buf[600];
    bool t1_on;
} fw_t;

/* Queue --------------------------------------------------------------------*/

static void q_push(queue_t *q, ch_t c)
{
    ck_assert_uint_lt(q->tail - q->head, QMAX);
    q->c[q->tail++ % QMAX] = c;
}

static uint64_t q_next(const queue_t *q)
{
    return q->head != q->tail ? q->c[q->head % QMAX].at : NEVER;
}

/* Peripherals ------------------------------------------------------------- */

static uint64_t cyc_of(sim_time_t t)
{
    return t / PS_PER_CYCLE;
}

static uint32_t uart_status(fw_t *f)
{
    uint32_t s = f->u_sticky | UART_STATUS_RST | UART_STATUS_CLKON;
    if (f->u_rxne)
        s |= UART_STATUS_RXNE;
    if (f->now >= f->u_txe_at)
        s |= UART_STATUS_TXE;
    if (f->now >= f->u_tc_at)
        s |= UART_STATUS_TC;
    return s;
}

static void update_irqs(fw_t *f)
{
    cpu_set_irq(&f->cpu, SE_IRQ_FLASHC,
                (f->fc_status & FLASHC_STATUS_DONE) &&
                    (f->fc_irqen & FLASHC_IRQEN_DONE));
    cpu_set_irq(&f->cpu, SE_IRQ_CRYPTO,
                (f->cr_status & CRYPTO_STATUS_DONE) &&
                    (f->cr_irqen & CRYPTO_IRQEN_DONE));
    cpu_set_irq(&f->cpu, SE_IRQ_UART, (uart_status(f) & f->u_irqen) != 0);
}

static void term_on_char(fw_t *f, const ch_t *c);
static void term_timeout(fw_t *f);

static void flash_set_word(fw_t *f, uint32_t addr, uint32_t v)
{
    memcpy(f->flash + (addr - SE_FLASH_BASE), &v, 4);
    cpu_invalidate(&f->cpu, addr, 4);
}

static uint32_t flash_word(const fw_t *f, uint32_t addr)
{
    uint32_t v;
    memcpy(&v, f->flash + (addr - SE_FLASH_BASE), 4);
    return v;
}

/* The next cycle at which something happens that the CPU may see. */
static uint64_t next_event(const fw_t *f)
{
    uint64_t next = NEVER;
    if (f->fc_end < next) next = f->fc_end;
    if (f->cr_end < next) next = f->cr_end;
    if (q_next(&f->to_card) < next) next = q_next(&f->to_card);
    if (q_next(&f->to_term) < next) next = q_next(&f->to_term);
    if (f->t_deadline < next) next = f->t_deadline;
    /* TXE / TC rising matter only if enabled as interrupts */
    if ((f->u_irqen & UART_STATUS_TXE) && f->u_txe_at > f->now &&
        f->u_txe_at < next)
        next = f->u_txe_at;
    if ((f->u_irqen & UART_STATUS_TC) && f->u_tc_at > f->now &&
        f->u_tc_at < next)
        next = f->u_tc_at;
    return next;
}

/* After an MMIO access: an event scheduled before the CPU's limit lowers
 * it (the CPU re-reads it after the instruction). */
static void lower_limit(fw_t *f)
{
    uint64_t n = next_event(f);
    if (n != NEVER && (sim_time_t)n * PS_PER_CYCLE < f->limit)
        f->limit = (sim_time_t)n * PS_PER_CYCLE;
}

/* Everything due up to cycle `now`, in time order. */
static void advance(fw_t *f, uint64_t now)
{
    if (now < f->now)
        return;
    for (;;) {
        uint64_t t = NEVER;
        int what = -1;
        if (f->fc_end < t) t = f->fc_end, what = 0;
        if (f->cr_end < t) t = f->cr_end, what = 1;
        if (q_next(&f->to_card) < t) t = q_next(&f->to_card), what = 2;
        if (q_next(&f->to_term) < t) t = q_next(&f->to_term), what = 3;
        if (f->t_deadline < t) t = f->t_deadline, what = 4;
        if (t > now)
            break;
        f->now = t;
        switch (what) {
        case 0:
            f->fc_end = NEVER;
            if (f->fc_fail_next) {
                f->fc_fail_next = false;
                f->fc_status |= FLASHC_STATUS_ERR_FAIL;
            } else if (f->fc_op == FLASHC_CMD_ERASE) {
                uint32_t p = f->fc_op_addr & ~(SE_FLASH_PAGE - 1u);
                memset(f->flash + (p - SE_FLASH_BASE), 0xFF, SE_FLASH_PAGE);
                cpu_invalidate(&f->cpu, p, SE_FLASH_PAGE);
            } else {
                flash_set_word(f, f->fc_op_addr,
                               flash_word(f, f->fc_op_addr) & f->fc_op_data);
            }
            f->fc_status = (f->fc_status & ~FLASHC_STATUS_BUSY) |
                           FLASHC_STATUS_DONE;
            break;
        case 1:
            f->cr_end = NEVER;
            f->cr_status = (f->cr_status & ~CRYPTO_STATUS_BUSY) |
                           CRYPTO_STATUS_DONE | f->cr_result;
            break;
        case 2: {
            ch_t c = f->to_card.c[f->to_card.head++ % QMAX];
            if (c.etu_clk != f->u_etu)
                f->u_sticky |= UART_STATUS_PE;
            if (f->u_rxne) {
                f->u_sticky |= UART_STATUS_OVR;
            } else {
                f->u_rxne = true;
                f->u_rx = c.byte;
            }
            break;
        }
        case 3: {
            ch_t c = f->to_term.c[f->to_term.head++ % QMAX];
            term_on_char(f, &c);
            break;
        }
        default:
            term_timeout(f);
            break;
        }
    }
    f->now = now;
    update_irqs(f);
}

static uint32_t mmio_read(void *ctx, uint32_t addr, unsigned size,
                          sim_time_t t, bool *err)
{
    fw_t *f = ctx;
    advance(f, cyc_of(t));
    if (size != 4) {
        *err = true;
        return 0;
    }
    uint32_t base = addr & ~(SE_PERIPH_SIZE - 1u), off = addr - base;
    uint32_t v = 0;
    if (base == SE_SYSCTL_BASE) {
        switch (off) {
        case SYSCTL_CHIPID: v = SYSCTL_CHIPID_MAGIC; break;
        case SYSCTL_RESETCAUSE: v = f->reset_cause; break;
        case SYSCTL_PORTSRC: v = SYSCTL_PORTSRC_PADS; break;
        case SYSCTL_SERIAL_LO: v = 0x89ABCDEFu; break;
        case SYSCTL_SERIAL_HI: v = 0x01234567u; break;
        default: break;
        }
    } else if (base == SE_FLASHC_BASE) {
        switch (off) {
        case FLASHC_ADDR: v = f->fc_addr; break;
        case FLASHC_DATA: v = f->fc_data; break;
        case FLASHC_STATUS: v = f->fc_status; break;
        case FLASHC_IRQEN: v = f->fc_irqen; break;
        default: break;
        }
    } else if (base == SE_UART_BASE) {
        switch (off) {
        case UART_CTRL: v = f->u_ctrl; break;
        case UART_ETU: v = f->u_etu; break;
        case UART_STATUS: v = uart_status(f); break;
        case UART_DATA: v = f->u_rx; f->u_rxne = false; break;
        case UART_GT: v = f->u_gt; break;
        case UART_IRQEN: v = f->u_irqen; break;
        case UART_CLKCNT: v = (uint32_t)(f->now / CYC_PER_CLK); break;
        default: *err = true; break;
        }
    } else if (base == SE_CRYPTO_BASE) {
        if (off == CRYPTO_STATUS)
            v = f->cr_status;
        else if (off == CRYPTO_IRQEN)
            v = f->cr_irqen;
        else if (off >= CRYPTO_DIGEST(0) && off <= CRYPTO_DIGEST(7))
            v = f->cr_digest[(off - CRYPTO_DIGEST(0)) / 4];
        else if (off == CRYPTO_RNG(0) || off == CRYPTO_RNG(1))
            v = f->cr_rng[(off - CRYPTO_RNG(0)) / 4];
    } else if (base != SE_TIMER_BASE) {
        *err = true;
    }
    update_irqs(f);
    lower_limit(f);
    return v;
}

static bool ecdsa_ok(const uint8_t key[64], const uint8_t hash[32],
                     const uint8_t sig[64])
{
    return cos_image_host_verify_hash(key, hash, sig);
}

static void crypto_cmd(fw_t *f, uint32_t cmd)
{
    if (f->cr_end != NEVER) {
        f->cr_status |= CRYPTO_STATUS_ERR;
        return;
    }
    f->cr_status &= ~(CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR |
                      CRYPTO_STATUS_VALID);
    f->cr_result = 0;
    uint64_t cost = 8;
    switch (cmd) {
    case CRYPTO_CMD_SHA_INIT:
        mbedtls_sha256_free(&f->sha);
        mbedtls_sha256_init(&f->sha);
        mbedtls_sha256_starts_ret(&f->sha, 0);
        f->sha_on = true;
        break;
    case CRYPTO_CMD_SHA_UPDATE: {
        uint8_t *buf = malloc(f->cr_len ? f->cr_len : 1);
        ck_assert_ptr_nonnull(buf);
        if (!f->sha_on || !cpu_read_mem(&f->cpu, f->cr_src, buf, f->cr_len)) {
            f->cr_result = CRYPTO_STATUS_ERR;
            f->sha_on = false;
        } else {
            mbedtls_sha256_update_ret(&f->sha, buf, f->cr_len);
            cost += (f->cr_len + 3) / 4 + 66 * ((f->cr_len + 63) / 64);
        }
        free(buf);
        break;
    }
    case CRYPTO_CMD_SHA_FINAL: {
        uint8_t d[32];
        if (!f->sha_on) {
            f->cr_result = CRYPTO_STATUS_ERR;
            break;
        }
        mbedtls_sha256_finish_ret(&f->sha, d);
        f->sha_on = false;
        for (unsigned i = 0; i < 8; i++)
            f->cr_digest[i] = (uint32_t)d[4 * i] << 24 |
                              (uint32_t)d[4 * i + 1] << 16 |
                              (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
        cost += 66;
        break;
    }
    case CRYPTO_CMD_ECDSA_VERIFY: {
        uint8_t key[64], sig[64], h[32];
        if (!cpu_read_mem(&f->cpu, f->cr_key, key, 64) ||
            !cpu_read_mem(&f->cpu, f->cr_sig, sig, 64)) {
            f->cr_result = CRYPTO_STATUS_ERR;
            break;
        }
        for (unsigned i = 0; i < 8; i++)
            for (unsigned k = 0; k < 4; k++)
                h[4 * i + k] = (uint8_t)(f->cr_digest[i] >> (24 - 8 * k));
        f->ecdsa_runs++;
        if (ecdsa_ok(key, h, sig))
            f->cr_result = CRYPTO_STATUS_VALID;
        cost = 1500040;
        break;
    }
    case CRYPTO_CMD_RNG:
        f->rng_ctr++;
        f->cr_rng[0] = 0xA5A50000u + f->rng_ctr;
        f->cr_rng[1] = 0x5A5A0000u + f->rng_ctr;
        cost = 136;
        break;
    default:
        f->cr_status |= CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR;
        return;
    }
    f->cr_status |= CRYPTO_STATUS_BUSY;
    f->cr_end = f->now + cost;
}

static void flash_cmd(fw_t *f, uint32_t v)
{
    if ((v & FLASHC_CTRL_KEY_MASK) != FLASHC_CTRL_KEY) {
        f->fc_status |= FLASHC_STATUS_ERR_KEY;
        return;
    }
    if (f->fc_end != NEVER) {
        f->fc_status |= FLASHC_STATUS_ERR_BUSY;
        return;
    }
    uint32_t cmd = v & FLASHC_CMD_MASK;
    bool in = f->fc_addr >= SE_FLASH_BASE &&
              f->fc_addr < SE_FLASH_BASE + SE_FLASH_SIZE;
    if (!in || (cmd == FLASHC_CMD_PROG && (f->fc_addr & 3u))) {
        f->fc_status |= FLASHC_STATUS_ERR_ADDR;
        return;
    }
    if (cmd != FLASHC_CMD_ERASE && cmd != FLASHC_CMD_PROG)
        return;
    f->fc_op = cmd;
    f->fc_op_addr = f->fc_addr;
    f->fc_op_data = f->fc_data;
    f->fc_status = (f->fc_status & ~FLASHC_STATUS_DONE) | FLASHC_STATUS_BUSY;
    if (cmd == FLASHC_CMD_PROG) {
        f->fc_programs++;
        if (flash_word(f, f->fc_addr) != 0xFFFFFFFFu) {
            f->fc_unerased++;
            f->fc_status |= FLASHC_STATUS_ERR_UNERASED;
        }
    } else {
        f->fc_erases++;
    }
    f->fc_end = f->now + (cmd == FLASHC_CMD_ERASE ? f->erase_cycles
                                                  : f->prog_cycles);
}

static void uart_tx(fw_t *f, uint8_t b)
{
    if (!(f->u_ctrl & UART_CTRL_EN) || f->now < f->u_txe_at) {
        f->u_writes_dropped++;
        return;
    }
    uint64_t etu = (uint64_t)f->u_etu * CYC_PER_CLK;
    /* after the previous character's guard time */
    uint64_t start = f->now > f->u_tc_at ? f->now : f->u_tc_at;
    q_push(&f->to_term, (ch_t){ start + 10 * etu, start, b, f->u_etu });
    f->u_txe_at = start;
    f->u_tc_at = start + (12 + f->u_gt) * etu;
}

static void mmio_write(void *ctx, uint32_t addr, uint32_t v, unsigned size,
                       sim_time_t t, bool *err)
{
    fw_t *f = ctx;
    advance(f, cyc_of(t));
    if (size != 4) {
        *err = true;
        return;
    }
    uint32_t base = addr & ~(SE_PERIPH_SIZE - 1u), off = addr - base;
    if (base == SE_FLASHC_BASE) {
        switch (off) {
        case FLASHC_CTRL: flash_cmd(f, v); break;
        case FLASHC_ADDR: f->fc_addr = v; break;
        case FLASHC_DATA: f->fc_data = v; break;
        case FLASHC_STATUS:
            f->fc_status &= ~(v & (FLASHC_STATUS_DONE |
                                   FLASHC_STATUS_ERR_MASK));
            break;
        case FLASHC_IRQEN: f->fc_irqen = v; break;
        default: break;
        }
    } else if (base == SE_UART_BASE) {
        switch (off) {
        case UART_CTRL: f->u_ctrl = v; break;
        case UART_ETU: f->u_etu = v; break;
        case UART_STATUS: f->u_sticky &= ~(v & UART_STATUS_W1C); break;
        case UART_DATA: uart_tx(f, (uint8_t)v); break;
        case UART_GT: f->u_gt = v; break;
        case UART_IRQEN: f->u_irqen = v; break;
        default: *err = true; break;
        }
    } else if (base == SE_CRYPTO_BASE) {
        switch (off) {
        case CRYPTO_CTRL: crypto_cmd(f, v); break;
        case CRYPTO_SRC: f->cr_src = v; break;
        case CRYPTO_LEN: f->cr_len = v; break;
        case CRYPTO_KEY: f->cr_key = v; break;
        case CRYPTO_SIG: f->cr_sig = v; break;
        case CRYPTO_STATUS:
            f->cr_status &= ~(v & (CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR));
            break;
        case CRYPTO_IRQEN: f->cr_irqen = v; break;
        default:
            if (off >= CRYPTO_DIGEST(0) && off <= CRYPTO_DIGEST(7))
                f->cr_digest[(off - CRYPTO_DIGEST(0)) / 4] = v;
            break;
        }
    } else if (base == SE_SYSCTL_BASE) {
        if (off == SYSCTL_RESETCAUSE)
            f->reset_cause &= ~v;
    } else if (base != SE_TIMER_BASE) {
        *err = true;
    }
    update_irqs(f);
    lower_limit(f);
}

/* The terminal ---------------------------------------------------------- */

static void term_send(fw_t *f, const uint8_t *p, size_t n, uint64_t earliest)
{
    uint64_t etu = (uint64_t)f->t_etu * CYC_PER_CLK;
    uint64_t start = earliest > f->t_tx_free ? earliest : f->t_tx_free;
    if (start < f->now)
        start = f->now; /* not in the past */
    for (size_t i = 0; i < n; i++) {
        q_push(&f->to_card, (ch_t){ start + 10 * etu, start, p[i], f->t_etu });
        f->t_last_out_start = start;
        start += 12 * etu;
    }
    f->t_tx_free = start;
}

/* Sends the block t1 has queued, BGT after the card's last character, and
 * arms BWT. */
static void term_t1_tx(fw_t *f)
{
    uint8_t blk[T1_BLOCK_MAX];
    int n = t1_next_tx(&f->t1, blk, sizeof blk);
    if (n <= 0)
        return;
    uint64_t etu = (uint64_t)f->t_etu * CYC_PER_CLK;
    uint64_t earliest = f->t_last_in_start + ATR_BGT_ETU * etu;
    if (earliest < f->t_last_in_end)
        earliest = f->t_last_in_end;
    term_send(f, blk, (size_t)n, earliest);
    uint32_t to = t1_timeout_clocks(&f->t1);
    f->t_deadline = to ? f->t_last_out_start + (uint64_t)to * CYC_PER_CLK
                       : NEVER;
}

static void term_timeout(fw_t *f)
{
    /* a character that started in time is not late, even if it has not
     * been delivered yet (delivery is 10 etu after the start) */
    const queue_t *q = &f->to_term;
    bool started = q->head != q->tail &&
                   q->c[q->head % QMAX].start <= f->t_deadline;
    f->t_deadline = NEVER;
    if (started)
        return;
    f->t_timeouts++;
    t1_timeout(&f->t1);
    term_t1_tx(f);
}

static void term_on_char(fw_t *f, const ch_t *c)
{
    uint64_t etu = (uint64_t)f->t_etu * CYC_PER_CLK;
    if (c->etu_clk != f->t_etu)
        f->t_framing++;
    if (f->t_nin == 0)
        f->t_deadline = NEVER;  /* the card's block has begun */
    f->t_last_in_start = c->start;
    f->t_last_in_end = c->start + 12u * (uint64_t)c->etu_clk * CYC_PER_CLK;
    ck_assert_uint_lt(f->t_nin, sizeof f->t_in);
    f->t_in[f->t_nin++] = c->byte;
    if (f->phase == 0) {
        if (f->t_nin == 1)
            f->atr_start = c->start;
        int len = atr_length(f->t_in, f->t_nin);
        if (len > 0 && (size_t)len == f->t_nin) {
            memcpy(f->atr, f->t_in, f->t_nin);
            f->atr_len = f->t_nin;
            f->t_nin = 0;
            if (f->do_pps) {
                static const uint8_t req[] = { 0xFF, 0x11, 0x96, 0x78 };
                term_send(f, req, sizeof req, c->start + 20 * etu);
                f->phase = 1;
            } else {
                f->phase = 2;
            }
        }
        return;
    }
    if (f->phase == 1) {
        if (f->t_nin == 4) {
            pps_t req = { .t = 1, .present = PPS0_PPS1, .pps1 = 0x96 }, ag;
            ck_assert_int_eq(pps_check_answer(&req, f->t_in, 4, &ag), PPS_OK);
            ck_assert_uint_eq(ag.pps1, 0x96);
            f->pps_ans_etu = c->etu_clk;
            f->t_etu = atr_etu_clocks_round(512, 32);
            f->t_nin = 0;
            f->phase = 2;
        }
        return;
    }
    if (f->t_nin >= 3 && f->t_nin == t1_block_size(f->t_in[2], T1_EDC_LRC)) {
        f->t_blocks_in++;
        if (f->t_nin == 5 && f->t_in[1] == (T1_PCB_S | T1_S_WTX))
            f->t_wtx++;
        t1_rx_block(&f->t1, f->t_in, f->t_nin, false);
        f->t_nin = 0;
        term_t1_tx(f);
    }
}

/* The machine -------------------------------------------------------------- */

/* The SE's peripherals at a system reset (RST stays high: CLKCNT goes on;
 * characters on the line are lost). */
static void periph_reset(fw_t *f)
{
    f->fc_addr = f->fc_data = f->fc_status = f->fc_irqen = 0;
    f->fc_end = NEVER;
    f->cr_src = f->cr_len = f->cr_key = f->cr_sig = 0;
    f->cr_status = f->cr_irqen = 0;
    f->cr_end = NEVER;
    f->sha_on = false;
    f->u_ctrl = f->u_gt = f->u_irqen = f->u_sticky = 0;
    f->u_etu = UART_ETU_DEFAULT;
    f->u_rxne = false;
    f->to_card.head = f->to_card.tail;
}

static void on_reset_req(void *ctx, cpu_t *cpu, sim_time_t t)
{
    fw_t *f = ctx;
    f->reset_req = true;
    f->reset_after_tc = cyc_of(t) >= f->u_tc_at;
    if (!f->real_rom) {
        cpu_halt(cpu);
        return;
    }
    /* the ROM boots again; the terminal listens for a new ATR */
    f->resets++;
    periph_reset(f);
    f->reset_cause = SYSCTL_RESETCAUSE_SYSRESET;
    f->phase = 0;
    f->t_nin = 0;
    f->t_etu = UART_ETU_DEFAULT;
    f->t_deadline = NEVER;
    f->do_pps = false;
    cpu_reset(cpu);
}

static void on_fault(void *ctx, cpu_t *cpu, const cpu_fault_t *ft)
{
    (void)cpu;
    fw_t *f = ctx;
    f->fault = true;
    snprintf(f->fault_msg, sizeof f->fault_msg, "%s at pc %08x addr %08x",
             cpu_fault_name(ft->kind), ft->pc, ft->addr);
}

static void fw_map(fw_t *f)
{
    cpu_t *c = &f->cpu;
    cpu_map(c, &(cpu_map_cfg_t){ .name = "rom", .kind = CPU_MEM_ROM,
                                 .base = SE_ROM_BASE, .size = SE_ROM_SIZE,
                                 .host = f->rom });
    cpu_map(c, &(cpu_map_cfg_t){ .name = "flash", .kind = CPU_MEM_FLASH,
                                 .base = SE_FLASH_BASE, .size = SE_FLASH_SIZE,
                                 .host = f->flash });
    cpu_map(c, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
                                 .base = SE_RAM_BASE, .size = SE_RAM_SIZE,
                                 .host = f->ram });
    static const uint32_t per[] = { SE_SYSCTL_BASE, SE_FLASHC_BASE,
                                    SE_UART_BASE, SE_TIMER_BASE,
                                    SE_CRYPTO_BASE };
    for (unsigned i = 0; i < 5; i++)
        cpu_map(c, &(cpu_map_cfg_t){ .name = "mmio", .kind = CPU_MEM_MMIO,
                                     .base = per[i], .size = SE_PERIPH_SIZE,
                                     .read = mmio_read, .write = mmio_write,
                                     .ctx = f });
}

/* A fresh SE with the COS image of `version`, a COS identifier-like record
 * in page 0, RST high at cycle 0. */
static void load_elf(const char *path, uint8_t *mem, uint32_t base,
                     uint32_t size, uint32_t *entry)
{
    elf_image_t img;
    char err[256];
    ck_assert_msg(elf_load(&img, path, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < img.nsegs; i++) {
        const elf_segment_t *s = &img.segs[i];
        if (s->filesz == 0)
            continue;
        ck_assert_msg(s->paddr >= base && s->paddr - base <= size &&
                          s->filesz <= size - (s->paddr - base),
                      "%s: segment %zu at %08x outside %08x+%x", path, i,
                      s->paddr, base, size);
        memcpy(mem + (s->paddr - base), s->data, s->filesz);
    }
    if (entry)
        *entry = img.entry;
    elf_free(&img);
}

static fw_t *fw_new_rom(unsigned version, bool do_pps, const char *rom);

static fw_t *fw_new(unsigned version, bool do_pps)
{
    return fw_new_rom(version, do_pps, NULL);
}

/* A COS identifier record for the image in flash (docs/se.md). */
static void put_id_record(fw_t *f, unsigned version, uint32_t len)
{
    uint8_t r[0x34];
    uint32_t w[4] = { COS_ID_MAGIC, version, SE_FLASH_IMAGE, len };
    memcpy(r, w, 16);
    ck_assert_int_eq(mbedtls_sha256_ret(f->flash + (SE_FLASH_IMAGE -
                                                    SE_FLASH_BASE),
                                        len, r + 16, 0), 0);
    uint32_t crc = cos_crc32(0, r, 0x30);
    memcpy(r + 0x30, &crc, 4);
    memset(f->flash, 0xFF, SE_FLASH_PAGE);
    memcpy(f->flash, r, sizeof r);
}

static fw_t *fw_new_rom(unsigned version, bool do_pps, const char *rom)
{
    fw_t *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    memset(f->flash, 0xFF, sizeof f->flash);
    for (unsigned i = 0; i < 0x34; i++)
        f->flash[i] = (uint8_t)(0x43 + i);
    uint32_t entry;
    load_elf(elf_path[version], f->flash, SE_FLASH_BASE, SE_FLASH_SIZE,
             &entry);
    ck_assert_uint_eq(entry & ~1u, flash_word(f, SE_FLASH_IMAGE + 4) & ~1u);
    if (rom) {
        /* the real ROM; page 0 names the image (its length: up to the
         * last non-erased byte, rounded to words) */
        load_elf(rom, f->rom, SE_ROM_BASE, SE_ROM_SIZE, NULL);
        uint32_t len = SE_FLASH_IMAGE_SIZE;
        while (len && f->flash[SE_FLASH_IMAGE - SE_FLASH_BASE + len - 1] ==
                          0xFF)
            len--;
        put_id_record(f, version, (len + 3u) & ~3u);
        f->real_rom = true;
    } else {
        /* the ROM stub: the COS's SP and entry */
        memcpy(f->rom, f->flash + (SE_FLASH_IMAGE - SE_FLASH_BASE), 8);
    }
    f->reset_cause = SYSCTL_RESETCAUSE_POR;

    cpu_init(&f->cpu, &(cpu_cfg_t){ .name = "se0", .hz = SE_CORE_HZ });
    fw_map(f);
    cpu_set_reset_request(&f->cpu, on_reset_req, f);
    cpu_set_fault_handler(&f->cpu, on_fault, f);
    cpu_reset(&f->cpu);
    cpu_hook(&f->cpu, &f->hook);
    f->fc_end = f->cr_end = f->t_deadline = NEVER;
    f->erase_cycles = 2 * SE_CORE_HZ / 1000;   /* 2 ms */
    f->prog_cycles = 25 * SE_CORE_HZ / 1000000; /* 25 us */
    mbedtls_sha256_init(&f->sha);
    f->u_etu = UART_ETU_DEFAULT;
    f->t_etu = UART_ETU_DEFAULT;
    f->do_pps = do_pps;
    return f;
}

static void fw_free(fw_t *f)
{
    mbedtls_sha256_free(&f->sha);
    cpu_cleanup(&f->cpu);
    free(f);
}

/* Runs until done(f) or `limit` cycles from now; false on a time-out.
 * The CPU runs through its kernel hook, so that an event an MMIO access
 * schedules inside a slice ends the slice there, and a sleeping CPU skips
 * straight to the next event. */
static bool fw_run(fw_t *f, bool (*done)(fw_t *), uint64_t limit)
{
    uint64_t end = cpu_cycles(&f->cpu) + limit;
    while (!done(f)) {
        if (f->fault || cpu_state(&f->cpu) == CPU_LOCKUP)
            ck_abort_msg("COS fault: %s", f->fault_msg);
        if (cpu_state(&f->cpu) == CPU_HALTED)
            return false;
        uint64_t now = cpu_cycles(&f->cpu);
        if (now >= end)
            return false;
        uint64_t next = next_event(f);
        if (next > end)
            next = end;
        if (next <= now)
            next = now + 1;
        if (cpu_is_active(&f->cpu)) {
            f->limit = (sim_time_t)next * PS_PER_CYCLE;
            f->hook.run(f->hook.cpu, (sim_time_t)now * PS_PER_CYCLE,
                        &f->limit);
            advance(f, cpu_cycles(&f->cpu));
        } else {
            /* asleep: nothing happens until the next event */
            f->limit = (sim_time_t)next * PS_PER_CYCLE;
            f->hook.run(f->hook.cpu, f->limit, &f->limit);
            advance(f, next);
        }
    }
    return true;
}

static bool t1_ready(fw_t *f) { return f->phase == 2 && f->t_nin == 0; }
static bool atr_done(fw_t *f) { return f->phase == 2; }

static bool apdu_done(fw_t *f)
{
    t1_status_t s = t1_status(&f->t1);
    return s == T1_APDU || s == T1_FAILED || s == T1_DEAD;
}

static bool halted(fw_t *f) { return f->reset_req; }  /* reset asked */

/* Boot: ATR (and PPS), then T=1 ready with IFSD 32. */
static void fw_boot(fw_t *f)
{
    ck_assert(fw_run(f, atr_done, 4000000));
    ck_assert(fw_run(f, t1_ready, 400000));
    t1_params_t p = { .ifsc = 254, .edc = T1_EDC_LRC, .bwi = 4,
                      .fi = f->do_pps ? 512 : 372, .di = f->do_pps ? 32 : 1,
                      .rx_buf = f->t1_buf, .rx_cap = sizeof f->t1_buf };
    ck_assert_int_eq(t1_init(&f->t1, T1_TERMINAL, &p), T1_OK);
}

/* One command APDU (hex) through T=1; the response as hex. */
static const char *fw_apdu(fw_t *f, const char *hex)
{
    static uint8_t a[300];
    size_t n = tu_unhex(hex, a, sizeof a);
    ck_assert_int_eq(t1_send_apdu(&f->t1, a, n), T1_OK);
    term_t1_tx(f);
    ck_assert_msg(fw_run(f, apdu_done, 400000000ull), "no response to %s",
                  hex);
    ck_assert_int_eq(t1_status(&f->t1), T1_APDU);
    size_t rl = t1_take_apdu(&f->t1);
    return tu_hex(f->t1_buf, rl);
}

#define FW_EXPECT(f, cmd, resp) ck_assert_str_eq(fw_apdu(f, cmd), tu_norm(resp))

/* Tests ------------------------------------------------------------------ */

static void check_clean(fw_t *f)
{
    ck_assert(!f->fault);
    ck_assert_uint_eq(f->t_timeouts, 0);
    ck_assert_uint_eq(f->t_framing, 0);
    ck_assert_uint_eq(f->fc_unerased, 0);
    ck_assert_uint_eq(f->u_writes_dropped, 0);
    ck_assert_uint_eq(f->u_sticky & (UART_STATUS_PE | UART_STATUS_OVR), 0);
}

START_TEST(atr_and_pps)
{
    fw_t *f = fw_new((unsigned)_i, true);
    fw_boot(f);
    /* 3B F6 96 00 00 81 31 FE 45 "CSCOS" vv TCK */
    uint8_t want[16] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81, 0x31, 0xFE,
                         0x45, 'C', 'S', 'C', 'O', 'S', (uint8_t)_i, 0 };
    for (unsigned i = 1; i < 15; i++)
        want[15] ^= want[i];
    ck_assert_str_eq(tu_hex(f->atr, f->atr_len), tu_hex(want, 16));
    atr_t a;
    ck_assert_int_eq(atr_parse(f->atr, f->atr_len, &a), ATR_OK);
    ck_assert_uint_eq(a.ifsc, 254);
    ck_assert_uint_eq(a.bwi, 4);
    ck_assert_uint_eq(a.cwi, 5);
    ck_assert_uint_eq(a.fi, 512);
    ck_assert_uint_eq(a.di, 32);
    /* TS within 400..40 000 CLK of RST */
    uint64_t ts_clk = f->atr_start / CYC_PER_CLK;
    ck_assert_uint_ge(ts_clk, 400);
    ck_assert_uint_le(ts_clk, 40000);
    /* the PPS answer at the old rate, then 16 clocks an etu */
    ck_assert_uint_eq(f->pps_ans_etu, 372);
    FW_EXPECT(f, "80CA000100", _i == 1 ? "00000001 9000" : "00000002 9000");
    ck_assert_uint_eq(f->u_etu, 16);
    check_clean(f);
    fw_free(f);
}
END_TEST

START_TEST(commands)
{
    fw_t *f = fw_new((unsigned)_i, true);
    fw_boot(f);
    bool v2 = _i == 2;
    FW_EXPECT(f, "00A4040006 A00000099901", "9000");
    FW_EXPECT(f, "00A4040006 A00000099902", "6A82");
    FW_EXPECT(f, "80CA0002", "0123456789ABCDEF 9000");
    FW_EXPECT(f, "10CA0001", "6E00");
    FW_EXPECT(f, "80CC0000", "6D00");
    FW_EXPECT(f, "8034000000", v2 ? "000000000000 9000" : "00000000 9000");
    FW_EXPECT(f, "8030000004 00000100", "9000");
    FW_EXPECT(f, "8032000004 00000101", "6985");
    FW_EXPECT(f, "8032000004 00000001", "9000");
    FW_EXPECT(f, "8034000000", v2 ? "000000FF0002 9000" : "000000FF 9000");
    FW_EXPECT(f, "0020000104 31313131", "63C2");
    FW_EXPECT(f, "0020000104 31323334", "9000");
    FW_EXPECT(f, "00200001", "63C3");
    /* 255 bytes in, 256 out: chained both ways (IFSC 254, IFSD 32) */
    char cmd[600], want[600];
    uint8_t d[255];
    for (unsigned i = 0; i < 255; i++)
        d[i] = (uint8_t)(3 * i + 7);
    snprintf(cmd, sizeof cmd, "00D60010FF%s", tu_hex(d, 255));
    FW_EXPECT(f, cmd, "9000");
    snprintf(want, sizeof want, "00000000000000000000000000000000%s9000",
             tu_hex(d, 240));
    FW_EXPECT(f, "00B0000000", want);
    snprintf(want, sizeof want, "%s", tu_hex(d + 240, 15));
    for (unsigned i = 15; i < 256; i++)
        strcat(want, "00");
    strcat(want, "9000");
    FW_EXPECT(f, "00B0010000", want);
    FW_EXPECT(f, "00B003FF00", "00 6282");
    FW_EXPECT(f, "0084000008", "01 00 A5 A5 01 00 5A 5A 9000");
    check_clean(f);
    ck_assert_uint_gt(f->fc_erases, 0);
    fw_free(f);
}
END_TEST

START_TEST(no_pps)
{
    fw_t *f = fw_new((unsigned)_i, false);
    fw_boot(f);
    FW_EXPECT(f, "80CA0001", _i == 1 ? "00000001 9000" : "00000002 9000");
    ck_assert_uint_eq(f->u_etu, 372);
    check_clean(f);
    fw_free(f);
}
END_TEST

/* A page erase of 0.8 s and word programs of 5 ms: UPDATE BINARY takes
 * about 2.1 s, longer than BWT (1.43 s at 4 MHz, Fi 512, Di 32, BWI 4).
 * Past BWT / 2 the card asks for more time; the terminal never times
 * out. With the usual timing (2 ms, 25 us) no WTX. */
START_TEST(wtx_with_slow_flash)
{
    fw_t *f = fw_new((unsigned)_i, true);
    fw_boot(f);
    f->erase_cycles = 8 * SE_CORE_HZ / 10;
    f->prog_cycles = 5 * SE_CORE_HZ / 1000;
    uint64_t t0 = cpu_cycles(&f->cpu);
    FW_EXPECT(f, "00D6000004 01020304", "9000");
    uint64_t bwt = (uint64_t)atr_bwt_clocks(4, 512, 32) * CYC_PER_CLK;
    ck_assert_uint_gt(cpu_cycles(&f->cpu) - t0, bwt);
    ck_assert_uint_ge(f->t_wtx, 2);
    FW_EXPECT(f, "00B0000004", "01020304 9000");
    check_clean(f);
    f->erase_cycles = 2 * SE_CORE_HZ / 1000;
    f->prog_cycles = 25 * SE_CORE_HZ / 1000000;
    unsigned w = f->t_wtx;
    FW_EXPECT(f, "00D6000004 05060708", "9000");
    ck_assert_uint_eq(f->t_wtx, w);
    check_clean(f);
    fw_free(f);
}
END_TEST

START_TEST(flash_error)
{
    fw_t *f = fw_new((unsigned)_i, true);
    fw_boot(f);
    FW_EXPECT(f, "8030000004 00000010", "9000");
    f->fc_fail_next = true;
    FW_EXPECT(f, "8030000004 00000001", "6581");
    FW_EXPECT(f, "8034000004", _i == 2 ? "6C06" : "00000010 9000");
    FW_EXPECT(f, "8030000004 00000001", "9000");
    FW_EXPECT(f, "8034000000", _i == 2 ? "000000110002 9000"
                                       : "00000011 9000");
    check_clean(f);
    fw_free(f);
}
END_TEST

/* The real ROM checks page 0 and the image hash, starts the COS; after
 * INVALIDATE the system reset brings the ROM up as the loader. */
START_TEST(rom_boots_cos_then_loader)
{
    if (!rom_path)
        return;
    fw_t *f = fw_new_rom((unsigned)_i, true, rom_path);
    fw_boot(f);
    ck_assert_uint_eq(f->atr[13], 'S');
    ck_assert_uint_eq(f->atr[14], (uint8_t)_i);  /* "CSCOS" vv */
    ck_assert_uint_le(f->atr_start / CYC_PER_CLK, 40000);
    FW_EXPECT(f, "80CA0001", _i == 1 ? "00000001 9000" : "00000002 9000");
    FW_EXPECT(f, "8030000004 00000042", "9000");
    FW_EXPECT(f, "0084000008", "01 00 A5 A5 01 00 5A 5A 9000");
    uint8_t serial[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF };
    uint8_t chal[8] = { 0x01, 0x00, 0xA5, 0xA5, 0x01, 0x00, 0x5A, 0x5A };
    uint8_t sig[64];
    tu_sign_invalidate(serial, chal, sig);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "80E4000040%s", tu_hex(sig, 64));
    FW_EXPECT(f, cmd, "9000");
    /* reset -> ROM -> no identifier -> loader ATR */
    ck_assert(fw_run(f, halted, 10000000));
    ck_assert(fw_run(f, atr_done, 40000000));
    ck_assert_uint_eq(f->resets, 1);
    ck_assert(f->reset_after_tc);
    static const uint8_t ldr[] = { 'C', 'S', 'L', 'D', 'R', 0x01 };
    ck_assert_uint_eq(f->atr_len, 16);
    ck_assert_mem_eq(f->atr + 9, ldr, sizeof ldr);
    ck_assert_uint_eq(flash_word(f, SE_FLASH_ID_PAGE), 0xFFFFFFFFu);
    /* the COS data is still there for the next COS */
    ck_assert_uint_ne(flash_word(f, 0x10001800u), 0xFFFFFFFFu);
    check_clean(f);
    fw_free(f);
}
END_TEST

START_TEST(invalidate_resets)
{
    fw_t *f = fw_new((unsigned)_i, true);
    fw_boot(f);
    FW_EXPECT(f, "0084000008", "01 00 A5 A5 01 00 5A 5A 9000");
    uint8_t serial[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF };
    uint8_t chal[8] = { 0x01, 0x00, 0xA5, 0xA5, 0x01, 0x00, 0x5A, 0x5A };
    uint8_t sig[64];
    tu_sign_invalidate(serial, chal, sig);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "80E4000040%s", tu_hex(sig, 64));
    sig[0] ^= 0x80;
    char bad[300];
    snprintf(bad, sizeof bad, "80E4000040%s", tu_hex(sig, 64));
    FW_EXPECT(f, bad, "6982");
    FW_EXPECT(f, cmd, "6985");  /* challenge used up */
    ck_assert_uint_eq(flash_word(f, SE_FLASH_ID_PAGE), 0x46454443u);
    FW_EXPECT(f, "0084000008", "02 00 A5 A5 02 00 5A 5A 9000");
    chal[0] = chal[4] = 0x02;
    tu_sign_invalidate(serial, chal, sig);
    snprintf(cmd, sizeof cmd, "80E4000040%s", tu_hex(sig, 64));
    FW_EXPECT(f, cmd, "9000");
    ck_assert(fw_run(f, halted, 10000000));
    for (uint32_t a = SE_FLASH_ID_PAGE; a < SE_FLASH_ID_PAGE + SE_FLASH_PAGE;
         a += 4)
        ck_assert_uint_eq(flash_word(f, a), 0xFFFFFFFFu);
    ck_assert_uint_eq(f->ecdsa_runs, 2);
    /* the 9000 had left the UART, guard time included, at the reset */
    ck_assert(f->reset_after_tc);
    check_clean(f);
    fw_free(f);
}
END_TEST

static Suite *make_cos_fw_suite(void)
{
    Suite *s = suite_create("cos_fw");
    TCase *tc = tcase_create("fw");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, atr_and_pps, 1, 3);
    tcase_add_loop_test(tc, commands, 1, 3);
    tcase_add_loop_test(tc, no_pps, 1, 3);
    tcase_add_loop_test(tc, wtx_with_slow_flash, 1, 3);
    tcase_add_loop_test(tc, flash_error, 1, 3);
    tcase_add_loop_test(tc, invalidate_resets, 1, 3);
    tcase_add_loop_test(tc, rom_boots_cos_then_loader, 1, 3);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: test_se_cos_fw COS_V1_ELF COS_V2_ELF [SE_ROM_ELF]\n");
        return 2;
    }
    elf_path[1] = argv[1];
    elf_path[2] = argv[2];
    rom_path = argc > 3 ? argv[3] : NULL;
    SRunner *sr = srunner_create(make_cos_fw_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
