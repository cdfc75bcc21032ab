/* SPDX-License-Identifier: MIT */
/* tests/se_rom/fake_hal.c - rom_hal.h on the host (see fake_hal.h). */
#include "fake_hal.h"

#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>

#include "fake_term.h"
#include "regs/iso7816_uart.h"
#include "regs/se_sysctl.h"
#include "rom_hal.h"

fake_hal_t fake;
jmp_buf fake_cut_env;

static mbedtls_sha256_context sha;

void fake_reset(void)
{
    if (fake.sha_active)
        mbedtls_sha256_free(&sha);
    memset(&fake, 0, sizeof fake);
    memset(fake.flash, 0xFF, sizeof fake.flash);
    fake.cut_at = -1;
    fake.fail_at = -1;
    fake.reset_cause = SYSCTL_RESETCAUSE_POR;
    fake.portsrc = SYSCTL_PORTSRC_PADS;
    fake.etu = UART_ETU_DEFAULT;
    fake.min_turnaround = UINT32_MAX;
    fake_term_reset();
}

void fake_chip_reset(uint32_t cause)
{
    if (fake.sha_active)
        mbedtls_sha256_free(&sha);
    fake.sha_active = false;
    fake.reset_cause = cause;
    fake.uart_started = false;
    fake.clk = 0;
    fake.etu = UART_ETU_DEFAULT;
    fake.tx_in_flight = false;
    fake.any_tx = false;
    fake.rx_since_tx = false;
    fake.tx_count = 0;
    fake.min_turnaround = UINT32_MAX;
}

static size_t off_of(uint32_t addr)
{
    return (size_t)(addr - SE_FLASH_BASE);
}

static bool in_flash(uint32_t addr, uint32_t len)
{
    return addr >= SE_FLASH_BASE && addr - SE_FLASH_BASE <= SE_FLASH_SIZE &&
           len <= SE_FLASH_SIZE - (addr - SE_FLASH_BASE);
}

uint8_t *fake_at(uint32_t addr)
{
    return fake.flash + off_of(addr);
}

uint32_t fake_word(uint32_t addr)
{
    const uint8_t *p = fake_at(addr);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put_word(uint32_t addr, uint32_t w)
{
    uint8_t *p = fake_at(addr);
    for (unsigned k = 0; k < 4; k++)
        p[k] = (uint8_t)(w >> (8 * k));
}

/* ---- flash ---------------------------------------------------------- */

void rom_hal_flash_read(uint32_t addr, void *buf, uint32_t len)
{
    if (!in_flash(addr, len)) {
        memset(buf, 0xEE, len);  /* the tests never read outside */
        return;
    }
    memcpy(buf, fake_at(addr), len);
}

/* Counts an operation; true if it is the one to cut (the caller tears it
 * and calls cut()). */
static bool next_op(bool *fail)
{
    long n = fake.ops++;
    *fail = n == fake.fail_at;
    return n == fake.cut_at;
}

static void cut(void)
{
    fake.cut_at = -1;
    longjmp(fake_cut_env, 1);
}

int rom_hal_flash_erase_page(uint32_t addr)
{
    bool fail;
    if (!in_flash(addr, 1))
        return -1;
    uint32_t page = (addr - SE_FLASH_BASE) / SE_FLASH_PAGE;
    uint32_t base = SE_FLASH_BASE + page * SE_FLASH_PAGE;
    if (next_op(&fail)) {
        for (uint32_t i = 0; i < SE_FLASH_PAGE; i += 8)
            put_word(base + i, 0xFFFFFFFFu);
        cut();
    }
    if (fail)
        return -1;
    memset(fake_at(base), 0xFF, SE_FLASH_PAGE);
    fake.erases[page]++;
    return 0;
}

int rom_hal_flash_program_word(uint32_t addr, uint32_t value)
{
    bool fail;
    if (!in_flash(addr, 4) || (addr & 3u))
        return -1;
    uint32_t old = fake_word(addr);
    if (next_op(&fail)) {
        /* half of the bits that were to clear have cleared */
        put_word(addr, old & (value | 0xAAAAAAAAu));
        cut();
    }
    if (fail)
        return -1;
    if (old != 0xFFFFFFFFu)
        fake.programs_unerased++;
    put_word(addr, old & value);
    return 0;
}

/* ---- crypto ---------------------------------------------------------- */

int rom_hal_sha256_start(void)
{
    if (fake.sha_active)
        mbedtls_sha256_free(&sha);
    mbedtls_sha256_init(&sha);
    fake.sha_active = true;
    fake.sha_runs++;
    return mbedtls_sha256_starts_ret(&sha, 0) == 0 ? 0 : -1;
}

int rom_hal_sha256_update(const void *data, uint32_t len)
{
    if (!fake.sha_active)
        return -1;
    return mbedtls_sha256_update_ret(&sha, data, len) == 0 ? 0 : -1;
}

int rom_hal_sha256_update_flash(uint32_t addr, uint32_t len)
{
    if (!fake.sha_active)
        return -1;
    if (!in_flash(addr, len)) {
        /* the engine abandons the hash on an unreadable operand */
        mbedtls_sha256_free(&sha);
        fake.sha_active = false;
        return -1;
    }
    return rom_hal_sha256_update(fake_at(addr), len);
}

int rom_hal_sha256_final(uint8_t digest[32])
{
    if (!fake.sha_active)
        return -1;
    int rc = mbedtls_sha256_finish_ret(&sha, digest);
    mbedtls_sha256_free(&sha);
    fake.sha_active = false;
    return rc == 0 ? 0 : -1;
}

int rom_hal_ecdsa_verify(const uint8_t key[64], const uint8_t sig[64],
                         const uint8_t hash[32])
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    uint8_t pt[65];
    fake.ecdsa_runs++;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    pt[0] = 0x04;
    memcpy(pt + 1, key, 64);
    int ok = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
             mbedtls_ecp_point_read_binary(&grp, &q, pt, sizeof pt) == 0 &&
             mbedtls_ecp_check_pubkey(&grp, &q) == 0 &&
             mbedtls_mpi_read_binary(&r, sig, 32) == 0 &&
             mbedtls_mpi_read_binary(&s, sig + 32, 32) == 0 &&
             mbedtls_ecdsa_verify(&grp, hash, 32, &q, &r, &s) == 0;
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ok;
}

/* ---- SYSCTL ---------------------------------------------------------- */

uint32_t rom_hal_reset_cause(void)
{
    uint32_t v = fake.reset_cause;
    fake.reset_cause = 0;
    fake.reset_cause_reads++;
    return v;
}

uint32_t rom_hal_portsrc(void)
{
    return fake.portsrc;
}

/* ---- UART ------------------------------------------------------------ */

void rom_hal_uart_start(void)
{
    fake.uart_started = true;
    fake.uart_starts++;
    fake.etu = UART_ETU_DEFAULT;
}

uint32_t rom_hal_uart_clkcnt(void)
{
    fake.clk += 8;
    return fake.clk;
}

void rom_hal_uart_set_etu(uint32_t clocks)
{
    if (fake.tx_in_flight)
        fake.etu_write_unflushed = true;
    fake.etu = clocks;
    fake.etu_writes++;
}

void rom_hal_uart_put(uint8_t byte)
{
    if (!fake.any_tx) {
        fake.any_tx = true;
        fake.first_tx_clk = fake.clk;
    }
    if (fake.rx_since_tx && fake_term_in_t1()) {
        uint32_t gap = fake.clk - fake.last_rx_clk;
        if (gap < fake.min_turnaround)
            fake.min_turnaround = gap;
    }
    fake.rx_since_tx = false;
    if (fake.tx_count < sizeof fake.tx_etu / sizeof fake.tx_etu[0])
        fake.tx_etu[fake.tx_count] = fake.etu;
    fake.tx_count++;
    fake.tx_in_flight = true;
    fake.clk += 12u * fake.etu;
    fake_term_from_card(byte);
}

void rom_hal_uart_flush(void)
{
    fake.tx_in_flight = false;
}

int rom_hal_uart_get(uint32_t timeout_clocks)
{
    int c = fake_term_to_card(timeout_clocks == 0);
    if (c >= 0 || c == ROM_UART_ERROR) {
        fake.clk += 12u * fake.etu;
        fake.last_rx_clk = fake.clk;
        fake.rx_since_tx = true;
    }
    return c;
}

static uint32_t rx_window;

void rom_hal_uart_rx_open(uint32_t timeout_clocks)
{
    rx_window = timeout_clocks;
}

int rom_hal_uart_next(void)
{
    return rom_hal_uart_get(rx_window);
}

void rom_hal_uart_rx_close(void)
{
    rx_window = 0;
}
