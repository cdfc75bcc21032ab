/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_hal_mmio.c - the SE ROM's HAL on the chip: FLASHC,
 * CRYPTO, SYSCTL and the ISO 7816 UART through their registers
 * (firmware/include/regs/, docs/se.md).
 *
 * Waiting: the ROM runs with PRIMASK set and each peripheral's DONE (or
 * the UART's TXE/TC/RXNE) enabled as an interrupt in the NVIC only, so WFI
 * sleeps until the event and no handler ever runs. Each wait clears the
 * NVIC pending bit and reads the status again before WFI, so an event
 * between the check and the WFI is not lost. Build with -DROM_HAL_POLL to
 * spin instead. Waits with a time-out (a character inside a block, a PPS
 * character) sleep too, bounded by SysTick on the core clock: there is no
 * CLK-based timer to wake on (see rom_hal_uart_get). */
#include <stdint.h>

#include "cm0.h"
#include "regs/armv6m.h"
#include "regs/crypto.h"
#include "regs/flashc.h"
#include "regs/iso7816_uart.h"
#include "regs/se_map.h"
#include "regs/se_sysctl.h"
#include "rom_hal.h"
#include "rom_target.h"
#include "str.h"

#define FLASHC(r)   (SE_FLASHC_BASE + (r))
#define CRYPTO(r)   (SE_CRYPTO_BASE + (r))
#define UART(r)     (SE_UART_BASE + (r))
#define SYSCTL(r)   (SE_SYSCTL_BASE + (r))

#define IRQ_BITS    (1u << SE_IRQ_FLASHC | 1u << SE_IRQ_UART | \
                     1u << SE_IRQ_CRYPTO)

static inline uint32_t rd(uint32_t a) { return cm0_read32(a); }
static inline void wr(uint32_t a, uint32_t v) { cm0_write32(a, v); }

/* One sleep. The caller has cleared the line's NVIC pending bit and then
 * seen its condition still unmet: an event since then pends the line
 * again, and WFI returns at once. */
static void idle(void)
{
#ifndef ROM_HAL_POLL
    cm0_wfi();
#endif
}

void rom_hal_init(void)
{
    cm0_irq_disable();
    wr(FLASHC(FLASHC_IRQEN), FLASHC_IRQEN_DONE);
    wr(CRYPTO(CRYPTO_IRQEN), CRYPTO_IRQEN_DONE);
    wr(UART(UART_IRQEN), 0);
    wr(NVIC_ICPR, IRQ_BITS);
    wr(NVIC_ISER, IRQ_BITS);
}

void rom_hal_quiesce(void)
{
    wr(FLASHC(FLASHC_IRQEN), 0);
    wr(CRYPTO(CRYPTO_IRQEN), 0);
    wr(UART(UART_IRQEN), 0);
    wr(NVIC_ICER, 0xFFFFFFFFu);
    wr(NVIC_ICPR, 0xFFFFFFFFu);
    cm0_barrier();
    cm0_irq_enable();
}

/* Flash -------------------------------------------------------------------- */

void rom_hal_flash_read(uint32_t addr, void *buf, uint32_t len)
{
    memcpy(buf, (const void *)(uintptr_t)addr, len);
}

/* Starts a FLASHC command and waits for its end; -1 on any ERR bit (a
 * refused command sets ERR at once and never BUSY). */
static int flashc_run(uint32_t addr, uint32_t cmd)
{
    wr(FLASHC(FLASHC_STATUS), FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_MASK);
    wr(FLASHC(FLASHC_ADDR), addr);
    wr(FLASHC(FLASHC_CTRL), FLASHC_CTRL_KEY | cmd);
    uint32_t st;
    while ((st = rd(FLASHC(FLASHC_STATUS))) & FLASHC_STATUS_BUSY) {
        wr(NVIC_ICPR, 1u << SE_IRQ_FLASHC);
        if (rd(FLASHC(FLASHC_STATUS)) & FLASHC_STATUS_BUSY)
            idle();
    }
    wr(FLASHC(FLASHC_STATUS), FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_MASK);
    wr(NVIC_ICPR, 1u << SE_IRQ_FLASHC);  /* no stale wake-up for others */
    return (st & FLASHC_STATUS_ERR_MASK) ? -1 : 0;
}

int rom_hal_flash_erase_page(uint32_t addr)
{
    return flashc_run(addr & ~(SE_FLASH_PAGE - 1u), FLASHC_CMD_ERASE);
}

int rom_hal_flash_program_word(uint32_t addr, uint32_t value)
{
    wr(FLASHC(FLASHC_DATA), value);
    return flashc_run(addr, FLASHC_CMD_PROG);
}

/* Crypto engine -------------------------------------------------------------- */

/* Runs one command; returns the final STATUS (ERR, VALID). */
static uint32_t crypto_run(uint32_t cmd)
{
    wr(CRYPTO(CRYPTO_CTRL), cmd);
    uint32_t st;
    while ((st = rd(CRYPTO(CRYPTO_STATUS))) & CRYPTO_STATUS_BUSY) {
        wr(NVIC_ICPR, 1u << SE_IRQ_CRYPTO);
        if (rd(CRYPTO(CRYPTO_STATUS)) & CRYPTO_STATUS_BUSY)
            idle();
    }
    wr(CRYPTO(CRYPTO_STATUS), CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR);
    wr(NVIC_ICPR, 1u << SE_IRQ_CRYPTO);
    return st;
}

int rom_hal_sha256_start(void)
{
    return (crypto_run(CRYPTO_CMD_SHA_INIT) & CRYPTO_STATUS_ERR) ? -1 : 0;
}

int rom_hal_sha256_update_flash(uint32_t addr, uint32_t len)
{
    wr(CRYPTO(CRYPTO_SRC), addr);
    wr(CRYPTO(CRYPTO_LEN), len);
    return (crypto_run(CRYPTO_CMD_SHA_UPDATE) & CRYPTO_STATUS_ERR) ? -1 : 0;
}

int rom_hal_sha256_update(const void *data, uint32_t len)
{
    return rom_hal_sha256_update_flash((uint32_t)(uintptr_t)data, len);
}

int rom_hal_sha256_final(uint8_t digest[32])
{
    if (crypto_run(CRYPTO_CMD_SHA_FINAL) & CRYPTO_STATUS_ERR)
        return -1;
    /* DIGEST(i) holds bytes 4i..4i+3, the first in bits 31..24 */
    for (unsigned i = 0; i < 8; i++) {
        uint32_t w = rd(CRYPTO(CRYPTO_DIGEST(i)));
        digest[4 * i] = (uint8_t)(w >> 24);
        digest[4 * i + 1] = (uint8_t)(w >> 16);
        digest[4 * i + 2] = (uint8_t)(w >> 8);
        digest[4 * i + 3] = (uint8_t)w;
    }
    return 0;
}

int rom_hal_ecdsa_verify(const uint8_t key[64], const uint8_t sig[64],
                         const uint8_t hash[32])
{
    for (unsigned i = 0; i < 8; i++) {
        const uint8_t *p = hash + 4 * i;
        wr(CRYPTO(CRYPTO_DIGEST(i)), (uint32_t)p[0] << 24 |
                                     (uint32_t)p[1] << 16 |
                                     (uint32_t)p[2] << 8 | p[3]);
    }
    wr(CRYPTO(CRYPTO_KEY), (uint32_t)(uintptr_t)key);
    wr(CRYPTO(CRYPTO_SIG), (uint32_t)(uintptr_t)sig);
    uint32_t st = crypto_run(CRYPTO_CMD_ECDSA_VERIFY);
    if (st & CRYPTO_STATUS_ERR)
        return -1;
    return (st & CRYPTO_STATUS_VALID) ? 1 : 0;
}

/* SYSCTL ------------------------------------------------------------------ */

uint32_t rom_hal_reset_cause(void)
{
    uint32_t v = rd(SYSCTL(SYSCTL_RESETCAUSE));
    wr(SYSCTL(SYSCTL_RESETCAUSE), v);
    return v;
}

uint32_t rom_hal_portsrc(void)
{
    return rd(SYSCTL(SYSCTL_PORTSRC));
}

/* UART ------------------------------------------------------------------- */

/* Waits until one of `mask` is set in STATUS (asleep on the UART line). */
static uint32_t uart_wait(uint32_t mask)
{
    uint32_t st;
    while (!((st = rd(UART(UART_STATUS))) & mask)) {
        wr(UART(UART_IRQEN), mask);
        wr(NVIC_ICPR, 1u << SE_IRQ_UART);
        if (!(rd(UART(UART_STATUS)) & mask))
            idle();
    }
    wr(UART(UART_IRQEN), 0);
    wr(NVIC_ICPR, 1u << SE_IRQ_UART);
    return st;
}

void rom_hal_uart_start(void)
{
    wr(UART(UART_CTRL), 0);
    wr(UART(UART_IRQEN), 0);
    wr(UART(UART_ETU), UART_ETU_DEFAULT);
    wr(UART(UART_GT), 0);
    wr(UART(UART_STATUS), UART_STATUS_W1C);
    wr(UART(UART_CTRL), UART_CTRL_EN);
    /* The core runs only while RST is high (the SE holds it in reset
     * otherwise), so this normally passes at once; CLK may start later. */
    while ((rd(UART(UART_STATUS)) & (UART_STATUS_RST | UART_STATUS_CLKON)) !=
           (UART_STATUS_RST | UART_STATUS_CLKON))
        ;
    wr(UART(UART_STATUS), UART_STATUS_RSTEDGE);
}

uint32_t rom_hal_uart_clkcnt(void)
{
    return rd(UART(UART_CLKCNT));
}

void rom_hal_uart_set_etu(uint32_t clocks)
{
    wr(UART(UART_ETU), clocks);
}

void rom_hal_uart_put(uint8_t byte)
{
    uart_wait(UART_STATUS_TXE);
    wr(UART(UART_DATA), byte);
}

void rom_hal_uart_flush(void)
{
    uart_wait(UART_STATUS_TC);
}

/* The character waiting time is counted in CLK cycles, but there is no
 * CLK-based timer to wake on: the core sleeps (RXNE wakes it) and SysTick,
 * on the core clock, bounds the wait. Converted with the slowest CLK the
 * ROM accepts (ROM_MIN_CLK_HZ), SysTick's bound is never shorter than the
 * time-out; at a faster CLK it is later, which only delays the detection of
 * a broken block. Sleeping instead of polling is what lets the simulator
 * skip the idle time of a transfer (docs/performance.md). */
#define ROM_MIN_CLK_HZ      1000000u
#define CYCLES_PER_CLK      ((SE_CORE_HZ + ROM_MIN_CLK_HZ - 1) / ROM_MIN_CLK_HZ)

static void systick_stop(void)
{
    wr(SYST_CSR, 0);
    wr(SCB_ICSR, SCB_ICSR_PENDSTCLR);
}

/* The byte a STATUS with RXNE announces, or ROM_UART_ERROR (consumed). */
static int take(uint32_t st)
{
    uint32_t b = rd(UART(UART_DATA));
    if (st & (UART_STATUS_PE | UART_STATUS_OVR)) {
        wr(UART(UART_STATUS), UART_STATUS_PE | UART_STATUS_OVR);
        return ROM_UART_ERROR;
    }
    return (int)(b & 0xFFu);
}

/* A wait with a time-out: SysTick runs `rx_wraps` times through
 * `rx_period` cycles (the time-out split into equal wraps that fit its 24
 * bits, so the bound is never short), loaded once by rom_hal_uart_rx_open
 * and restarted for each character by one write to CVR; RXNE stays
 * enabled as the UART's wake-up until close. Per character: the CVR write,
 * and when the character is not there yet, the two pending bits cleared,
 * COUNTFLAG and STATUS read, WFI, then STATUS and DATA. */
static uint32_t rx_period, rx_wraps;

void rom_hal_uart_rx_open(uint32_t timeout_clocks)
{
    uint32_t cyc = timeout_clocks > UINT32_MAX / CYCLES_PER_CLK
                       ? UINT32_MAX
                       : timeout_clocks * CYCLES_PER_CLK;
    if (cyc == 0)
        cyc = 1;
    rx_wraps = ((cyc - 1u) >> 24) + 1u;
    rx_period = rx_wraps == 1u ? cyc : (cyc - 1u) / rx_wraps + 1u;
    wr(SYST_CSR, 0);
    wr(SYST_RVR, rx_period - 1u);
    wr(SYST_CVR, 0);
    /* TICKINT: the pending SysTick wakes WFI; PRIMASK keeps its handler
     * from running */
    wr(SYST_CSR, SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE);
    wr(UART(UART_IRQEN), UART_STATUS_RXNE);
}

int rom_hal_uart_next(void)
{
    uint32_t left = rx_wraps;
    wr(SYST_CVR, 0);    /* the count starts again; COUNTFLAG cleared */
    for (;;) {
        uint32_t st = rd(UART(UART_STATUS));
        if (st & UART_STATUS_RXNE)
            return take(st);
        if (!(st & UART_STATUS_RST))
            return ROM_UART_RESET;
        /* pending bits first: a wrap or a character after the reads
         * below pends its line again, and WFI returns at once */
        wr(NVIC_ICPR, 1u << SE_IRQ_UART);
        wr(SCB_ICSR, SCB_ICSR_PENDSTCLR);
        if ((rd(SYST_CSR) & SYST_CSR_COUNTFLAG) && --left == 0)
            return ROM_UART_TIMEOUT;
        if (!(rd(UART(UART_STATUS)) & UART_STATUS_RXNE))
            idle();
    }
}

void rom_hal_uart_rx_close(void)
{
    systick_stop();
    wr(UART(UART_IRQEN), 0);
    wr(NVIC_ICPR, 1u << SE_IRQ_UART);
}

int rom_hal_uart_get(uint32_t timeout_clocks)
{
    if (timeout_clocks) {
        rom_hal_uart_rx_open(timeout_clocks);
        int c = rom_hal_uart_next();
        rom_hal_uart_rx_close();
        return c;
    }
    for (;;) {
        uint32_t st = rd(UART(UART_STATUS));
        if (!(st & UART_STATUS_RST))
            return ROM_UART_RESET;
        if (st & UART_STATUS_RXNE)
            return take(st);
        uart_wait(UART_STATUS_RXNE);
    }
}
