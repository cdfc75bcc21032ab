/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_hal_se.c - the COS HAL (cos_hal.h) on the SE: FLASHC,
 * SYSCTL and CRYPTO through their registers (firmware/include/regs/,
 * docs/se.md, docs/flash.md, docs/crypto.md).
 *
 * Waiting: the COS runs with PRIMASK set and FLASHC's and CRYPTO's DONE
 * enabled as interrupts in the NVIC only, so WFI sleeps until the
 * operation ends and no handler runs. Each wait clears the NVIC pending
 * bit and reads STATUS again before WFI, so an end between the check and
 * the WFI is not lost. A refused command (ERR_KEY/ADDR/BUSY) never sets
 * BUSY, so the loop ends at once with the error. Build with -DCOS_HAL_POLL
 * to spin instead of sleeping.
 *
 * Before every flash operation and crypto command the hook runs (the link
 * sends S(WTX) from it when a command has run long). */
#include <stdbool.h>
#include <stdint.h>

#include "cm0.h"
#include "cos_hal.h"
#include "cos_target.h"
#include "regs/crypto.h"
#include "regs/flashc.h"
#include "regs/se_map.h"
#include "regs/se_sysctl.h"

#define FLASHC(r)   (SE_FLASHC_BASE + (r))
#define CRYPTO(r)   (SE_CRYPTO_BASE + (r))
#define SYSCTL(r)   (SE_SYSCTL_BASE + (r))
#define IRQ_BITS    (1u << SE_IRQ_FLASHC | 1u << SE_IRQ_UART | \
                     1u << SE_IRQ_CRYPTO)

static void (*hook_fn)(void *);
static void *hook_ctx;

static inline uint32_t rd(uint32_t a) { return cm0_read32(a); }
static inline void wr(uint32_t a, uint32_t v) { cm0_write32(a, v); }

static void idle(void)
{
#ifndef COS_HAL_POLL
    cm0_wfi();
#endif
}

static void hook(void)
{
    if (hook_fn)
        hook_fn(hook_ctx);
}

void cos_hal_se_init(void)
{
    cm0_irq_disable();
    wr(FLASHC(FLASHC_IRQEN), FLASHC_IRQEN_DONE);
    wr(CRYPTO(CRYPTO_IRQEN), CRYPTO_IRQEN_DONE);
    wr(NVIC_ICER, 0xFFFFFFFFu);
    wr(NVIC_ICPR, 0xFFFFFFFFu);
    wr(NVIC_ISER, IRQ_BITS);
}

void cos_hal_se_set_hook(void (*fn)(void *ctx), void *ctx)
{
    hook_fn = fn;
    hook_ctx = ctx;
}

/* Waits while `busy` is set in the status register `st_reg`, asleep on
 * interrupt line `irq`. Returns the last status read. */
static uint32_t wait_idle(uint32_t st_reg, uint32_t busy, unsigned irq)
{
    uint32_t st;
    while ((st = rd(st_reg)) & busy) {
        wr(NVIC_ICPR, 1u << irq);
        if (rd(st_reg) & busy)
            idle();
    }
    return st;
}

/* Flash ------------------------------------------------------------------- */

static int flashc_run(uint32_t addr, uint32_t cmd)
{
    hook();
    wr(FLASHC(FLASHC_STATUS), FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_MASK);
    wr(FLASHC(FLASHC_ADDR), addr);
    wr(FLASHC(FLASHC_CTRL), FLASHC_CTRL_KEY | cmd);
    uint32_t st = wait_idle(FLASHC(FLASHC_STATUS), FLASHC_STATUS_BUSY,
                            SE_IRQ_FLASHC);
    wr(FLASHC(FLASHC_STATUS), FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_MASK);
    wr(NVIC_ICPR, 1u << SE_IRQ_FLASHC);
    return (st & FLASHC_STATUS_ERR_MASK) || !(st & FLASHC_STATUS_DONE)
               ? -1 : 0;
}

int cos_hal_flash_erase(uint32_t addr)
{
    return flashc_run(addr & ~(SE_FLASH_PAGE - 1u), FLASHC_CMD_ERASE);
}

int cos_hal_flash_program(uint32_t addr, uint32_t value)
{
    wr(FLASHC(FLASHC_DATA), value);
    return flashc_run(addr, FLASHC_CMD_PROG);
}

uint32_t cos_hal_flash_read(uint32_t addr)
{
    return *(const volatile uint32_t *)(uintptr_t)addr;
}

/* SYSCTL ------------------------------------------------------------------ */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void cos_hal_serial(uint8_t out[8])
{
    put_be32(out, rd(SYSCTL(SYSCTL_SERIAL_HI)));
    put_be32(out + 4, rd(SYSCTL(SYSCTL_SERIAL_LO)));
}

/* Crypto engine ------------------------------------------------------------ */

/* Runs one command; returns the final STATUS (DONE, ERR, VALID). */
static uint32_t crypto_run(uint32_t cmd)
{
    hook();
    wr(CRYPTO(CRYPTO_STATUS), CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    wr(CRYPTO(CRYPTO_CTRL), cmd);
    uint32_t st = wait_idle(CRYPTO(CRYPTO_STATUS), CRYPTO_STATUS_BUSY,
                            SE_IRQ_CRYPTO);
    wr(CRYPTO(CRYPTO_STATUS), CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    wr(NVIC_ICPR, 1u << SE_IRQ_CRYPTO);
    return st;
}

static bool crypto_ok(uint32_t st)
{
    return (st & (CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR)) ==
           CRYPTO_STATUS_DONE;
}

int cos_hal_random(uint8_t out[8])
{
    if (!crypto_ok(crypto_run(CRYPTO_CMD_RNG)))
        return -1;
    uint32_t lo = rd(CRYPTO(CRYPTO_RNG(0))), hi = rd(CRYPTO(CRYPTO_RNG(1)));
    for (unsigned i = 0; i < 4; i++) {
        out[i] = (uint8_t)(lo >> (8 * i));
        out[4 + i] = (uint8_t)(hi >> (8 * i));
    }
    return 0;
}

int cos_hal_sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
    if (!crypto_ok(crypto_run(CRYPTO_CMD_SHA_INIT)))
        return -1;
    wr(CRYPTO(CRYPTO_SRC), (uint32_t)(uintptr_t)msg);
    wr(CRYPTO(CRYPTO_LEN), (uint32_t)len);
    if (!crypto_ok(crypto_run(CRYPTO_CMD_SHA_UPDATE)) ||
        !crypto_ok(crypto_run(CRYPTO_CMD_SHA_FINAL)))
        return -1;
    /* DIGEST(i) holds bytes 4i..4i+3, the first in bits 31..24 */
    for (unsigned i = 0; i < 8; i++)
        put_be32(out + 4 * i, rd(CRYPTO(CRYPTO_DIGEST(i))));
    return 0;
}

int cos_hal_ecdsa_verify(const uint8_t key[64], const uint8_t digest[32],
                         const uint8_t sig[64])
{
    for (unsigned i = 0; i < 8; i++) {
        const uint8_t *p = digest + 4 * i;
        wr(CRYPTO(CRYPTO_DIGEST(i)), (uint32_t)p[0] << 24 |
                                     (uint32_t)p[1] << 16 |
                                     (uint32_t)p[2] << 8 | p[3]);
    }
    wr(CRYPTO(CRYPTO_KEY), (uint32_t)(uintptr_t)key);
    wr(CRYPTO(CRYPTO_SIG), (uint32_t)(uintptr_t)sig);
    uint32_t st = crypto_run(CRYPTO_CMD_ECDSA_VERIFY);
    if (!crypto_ok(st))
        return -1;
    return (st & CRYPTO_STATUS_VALID) ? 1 : 0;
}
