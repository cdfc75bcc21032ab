/* SPDX-License-Identifier: MIT */
/* tests/se_rom/test_rom_cpu.c - the built ROM image (se_rom.elf) on the
 * Cortex-M0 model (models/cpu), with register-level stand-ins for the SE's
 * SYSCTL, FLASHC, CRYPTO and ISO 7816 UART, and the scripted terminal of
 * fake_term.c on the line. It checks what the host tests cannot: the
 * vector table and start-up, rom_hal_mmio.c against the register
 * contracts (FLASHC key, busy and error bits; CRYPTO digest word order;
 * UART TXE/TC/RXNE, CLKCNT, ETU), sleeping in WFI until each peripheral's
 * interrupt, and the jump into the COS (VTOR, MSP, PC, r0, PRIMASK).
 *
 * The stand-ins follow firmware/include/regs/ (not models/flash.c etc.,
 * which need a kernel): operations take fixed numbers of core cycles,
 * CLK is 4 MHz (8 core cycles), characters take 12 etu, the terminal
 * answers 2 etu after the card's last character. They flag every misuse
 * (no KEY, BUSY, unaligned, unerased word, bad operand) as an error the
 * test counts. Run: test_se_rom_cpu [ELF] (default: $SE_ROM_ELF). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>

#include "apdu.h"
#include "fake_term.h"
#include "image.h"
#include "models/cpu/cpu.h"
#include "models/elf_load.h"
#include "regs/crypto.h"
#include "regs/flashc.h"
#include "regs/iso7816_uart.h"
#include "regs/se_map.h"
#include "regs/se_sysctl.h"
#include "rom_hal.h"
#include "rom_link.h"
#include "rom_loader.h"
#include "tools/cos_image_host.h"

#define CORE_HZ     32000000u
#define PS_PER_CYC  31250u
#define CYC_PER_CLK 8u          /* CLK 4 MHz */
#define ERASE_CYC   2000u       /* shortened: the ROM's waits, not time */
#define PROG_CYC    50u
#define SHA_CYC     40u
#define ECDSA_CYC   3000u
#define SLICE       64u

typedef struct rig {
    cpu_t cpu;
    elf_image_t elf;
    uint8_t rom[SE_ROM_SIZE];
    uint8_t ram[SE_RAM_SIZE];
    uint8_t flash[SE_FLASH_SIZE];
    uint64_t now;               /* core cycle of the access being served */
    unsigned errors;            /* misuses of the registers */
    char first_error[160];
    /* SYSCTL */
    uint32_t resetcause, portsrc;
    /* FLASHC */
    uint32_t f_addr, f_data, f_status, f_irqen;
    uint32_t f_cmd, f_op_addr, f_op_data;
    uint64_t f_end;
    unsigned f_erases, f_programs;
    /* CRYPTO */
    uint32_t c_src, c_len, c_key, c_sig, c_status, c_irqen;
    uint32_t c_digest[8], c_res[8];
    uint32_t c_cmd;
    bool c_valid;
    uint64_t c_end;
    bool sha_active;
    mbedtls_sha256_context sha;
    unsigned c_cmds;
    /* UART */
    uint64_t rst_at;            /* cycle RST rose */
    uint32_t u_ctrl, u_etu, u_gt, u_irqen, u_sticky;
    bool rxne;
    uint8_t rx;
    bool tx_busy, hold_full;
    uint8_t hold;
    uint64_t tx_end;            /* current character's guard time ends */
    uint64_t tx_idle_at;        /* the line went quiet */
    bool card_spoke;            /* the card sent since the terminal's turn */
    bool rx_active;             /* the terminal's block is being sent */
    uint64_t rx_next;           /* next character from the terminal */
    uint32_t first_tx_clk;
    bool any_tx;
    unsigned etu_writes;
    uint32_t etu_history[4];
    bool line_down;             /* the script ended: warm reset */
} rig_t;

static rig_t *rg;

static void err(const char *what, uint32_t v)
{
    if (!rg->errors)
        snprintf(rg->first_error, sizeof rg->first_error,
                 "%s (0x%08x) at cycle %llu, pc 0x%08x", what, v,
                 (unsigned long long)rg->now, cpu_reg(&rg->cpu, 15));
    rg->errors++;
}

static uint64_t cyc_of(sim_time_t t)
{
    return t / PS_PER_CYC;
}

static uint64_t etu_cyc(void)
{
    return (uint64_t)rg->u_etu * CYC_PER_CLK;
}

/* ---- interrupt lines --------------------------------------------------- */

static uint32_t uart_status(void);

static void irqs(void)
{
    cpu_set_irq(&rg->cpu, SE_IRQ_FLASHC,
                (rg->f_status & FLASHC_STATUS_DONE) &&
                    (rg->f_irqen & FLASHC_IRQEN_DONE));
    cpu_set_irq(&rg->cpu, SE_IRQ_CRYPTO,
                (rg->c_status & CRYPTO_STATUS_DONE) &&
                    (rg->c_irqen & CRYPTO_IRQEN_DONE));
    cpu_set_irq(&rg->cpu, SE_IRQ_UART, (uart_status() & rg->u_irqen) != 0);
}

/* ---- FLASHC ------------------------------------------------------------ */

static bool flash_in(uint32_t a)
{
    return a >= SE_FLASH_BASE && a - SE_FLASH_BASE < SE_FLASH_SIZE;
}

static void flashc_update(void)
{
    if (!(rg->f_status & FLASHC_STATUS_BUSY) || rg->now < rg->f_end)
        return;
    uint32_t o = rg->f_op_addr - SE_FLASH_BASE;
    if (rg->f_cmd == FLASHC_CMD_ERASE) {
        o &= ~(SE_FLASH_PAGE - 1u);
        memset(rg->flash + o, 0xFF, SE_FLASH_PAGE);
        cpu_invalidate(&rg->cpu, SE_FLASH_BASE + o, SE_FLASH_PAGE);
        rg->f_erases++;
    } else {
        uint32_t w;
        memcpy(&w, rg->flash + o, 4);
        w &= rg->f_op_data;
        memcpy(rg->flash + o, &w, 4);
        cpu_invalidate(&rg->cpu, SE_FLASH_BASE + o, 4);
        rg->f_programs++;
    }
    rg->f_status = (rg->f_status & ~FLASHC_STATUS_BUSY) | FLASHC_STATUS_DONE;
}

static void flashc_ctrl(uint32_t v)
{
    uint32_t cmd = v & FLASHC_CMD_MASK;
    if ((v & FLASHC_CTRL_KEY_MASK) != FLASHC_CTRL_KEY) {
        rg->f_status |= FLASHC_STATUS_ERR_KEY;
        return err("FLASHC CTRL without KEY", v);
    }
    if (rg->f_status & FLASHC_STATUS_BUSY) {
        rg->f_status |= FLASHC_STATUS_ERR_BUSY;
        return err("FLASHC CTRL while BUSY", v);
    }
    if (cmd != FLASHC_CMD_ERASE && cmd != FLASHC_CMD_PROG)
        return err("FLASHC unknown command", v);
    if (!flash_in(rg->f_addr) ||
        (cmd == FLASHC_CMD_PROG && (rg->f_addr & 3u))) {
        rg->f_status |= FLASHC_STATUS_ERR_ADDR;
        return err("FLASHC bad ADDR", rg->f_addr);
    }
    if (cmd == FLASHC_CMD_PROG) {
        uint32_t w;
        memcpy(&w, rg->flash + (rg->f_addr - SE_FLASH_BASE), 4);
        if (w != 0xFFFFFFFFu) {
            rg->f_status |= FLASHC_STATUS_ERR_UNERASED;
            err("FLASHC program of an unerased word", rg->f_addr);
        }
    }
    rg->f_status &= ~FLASHC_STATUS_DONE;
    rg->f_status |= FLASHC_STATUS_BUSY;
    rg->f_cmd = cmd;
    rg->f_op_addr = rg->f_addr;
    rg->f_op_data = rg->f_data;
    rg->f_end = rg->now + (cmd == FLASHC_CMD_ERASE ? ERASE_CYC : PROG_CYC);
}

/* ---- CRYPTO ------------------------------------------------------------ */

static bool mem(uint32_t addr, void *buf, uint32_t len)
{
    return cpu_read_mem(&rg->cpu, addr, buf, len);
}

static void crypto_update(void)
{
    if (!(rg->c_status & CRYPTO_STATUS_BUSY) || rg->now < rg->c_end)
        return;
    rg->c_status = (rg->c_status & ~CRYPTO_STATUS_BUSY) | CRYPTO_STATUS_DONE;
    if (rg->c_cmd == CRYPTO_CMD_SHA_FINAL)
        memcpy(rg->c_digest, rg->c_res, sizeof rg->c_digest);
    if (rg->c_cmd == CRYPTO_CMD_ECDSA_VERIFY && rg->c_valid)
        rg->c_status |= CRYPTO_STATUS_VALID;
}

static bool verify(const uint8_t key[64], const uint8_t sig[64],
                   const uint8_t hash[32])
{
    return cos_image_host_verify_hash(key, hash, sig);
}

static void crypto_ctrl(uint32_t v)
{
    uint64_t cyc = 8;
    if (rg->c_status & CRYPTO_STATUS_BUSY) {
        rg->c_status |= CRYPTO_STATUS_ERR;
        return err("CRYPTO CTRL while BUSY", v);
    }
    rg->c_cmds++;
    rg->c_status &= ~(CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR |
                      CRYPTO_STATUS_VALID);
    rg->c_valid = false;
    switch (v) {
    case CRYPTO_CMD_SHA_INIT:
        if (rg->sha_active)
            mbedtls_sha256_free(&rg->sha);
        mbedtls_sha256_init(&rg->sha);
        mbedtls_sha256_starts_ret(&rg->sha, 0);
        rg->sha_active = true;
        break;
    case CRYPTO_CMD_SHA_UPDATE: {
        if (!rg->sha_active)
            return err("SHA_UPDATE without SHA_INIT", v);
        uint8_t *buf = malloc(rg->c_len ? rg->c_len : 1);
        if (!mem(rg->c_src, buf, rg->c_len)) {
            free(buf);
            rg->c_status |= CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR;
            return err("SHA_UPDATE operand not readable", rg->c_src);
        }
        mbedtls_sha256_update_ret(&rg->sha, buf, rg->c_len);
        free(buf);
        cyc += SHA_CYC * (rg->c_len / 64u + 1u);
        break;
    }
    case CRYPTO_CMD_SHA_FINAL: {
        uint8_t d[32];
        if (!rg->sha_active)
            return err("SHA_FINAL without SHA_INIT", v);
        mbedtls_sha256_finish_ret(&rg->sha, d);
        mbedtls_sha256_free(&rg->sha);
        rg->sha_active = false;
        for (unsigned i = 0; i < 8; i++)
            rg->c_res[i] = (uint32_t)d[4 * i] << 24 |
                           (uint32_t)d[4 * i + 1] << 16 |
                           (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
        cyc += SHA_CYC;
        break;
    }
    case CRYPTO_CMD_ECDSA_VERIFY: {
        uint8_t key[64], sig[64], h[32];
        if (!mem(rg->c_key, key, 64) || !mem(rg->c_sig, sig, 64)) {
            rg->c_status |= CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR;
            return err("ECDSA operand not readable", rg->c_key);
        }
        for (unsigned i = 0; i < 8; i++)
            for (unsigned k = 0; k < 4; k++)
                h[4 * i + k] = (uint8_t)(rg->c_digest[i] >> (24 - 8 * k));
        rg->c_valid = verify(key, sig, h);
        cyc += ECDSA_CYC;
        break;
    }
    default:
        rg->c_status |= CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR;
        return err("CRYPTO unknown command", v);
    }
    rg->c_cmd = v;
    rg->c_status |= CRYPTO_STATUS_BUSY;
    rg->c_end = rg->now + cyc;
}

/* ---- UART -------------------------------------------------------------- */

static uint32_t clkcnt(void)
{
    return (uint32_t)((rg->now - rg->rst_at) / CYC_PER_CLK);
}

static void uart_update(void)
{
    /* transmitter: the shifter finishes, the holding byte follows */
    while (rg->tx_busy && rg->now >= rg->tx_end) {
        if (rg->hold_full) {
            rg->hold_full = false;
            fake_term_from_card(rg->hold);
            rg->tx_end += 12u * etu_cyc();
        } else {
            rg->tx_busy = false;
            rg->tx_idle_at = rg->tx_end;
        }
    }
    if (rg->line_down || !(rg->u_ctrl & UART_CTRL_EN))
        return;
    /* receiver: the terminal's block, one character per 12 etu */
    if (rg->rx_active && rg->now >= rg->rx_next) {
        int c = fake_term_to_card(false);
        if (c == ROM_UART_TIMEOUT) {
            rg->rx_active = false;
        } else {
            if (rg->rxne)
                rg->u_sticky |= UART_STATUS_OVR;
            rg->rxne = true;
            rg->rx = c >= 0 ? (uint8_t)c : 0x00;
            if (c == ROM_UART_ERROR)
                rg->u_sticky |= UART_STATUS_PE;
            rg->rx_next += 12u * etu_cyc();
        }
    }
    /* the terminal's turn: the card spoke and fell silent for 2 etu */
    if (!rg->rx_active && !rg->tx_busy && rg->card_spoke &&
        rg->now >= rg->tx_idle_at + 2u * etu_cyc()) {
        rg->card_spoke = false;
        int c = fake_term_to_card(true);
        if (c == ROM_UART_RESET) {
            rg->line_down = true;
            return;
        }
        rg->rxne = true;
        rg->rx = (uint8_t)c;
        rg->rx_active = true;
        rg->rx_next = rg->now + 12u * etu_cyc();
    }
}

static uint32_t uart_status(void)
{
    uint32_t s = rg->u_sticky | UART_STATUS_CLKON;
    if (!rg->line_down)
        s |= UART_STATUS_RST;
    if (rg->rxne)
        s |= UART_STATUS_RXNE;
    if (!rg->hold_full)
        s |= UART_STATUS_TXE;
    if (!rg->hold_full && !rg->tx_busy)
        s |= UART_STATUS_TC;
    return s;
}

static void uart_data(uint8_t b)
{
    if (!(rg->u_ctrl & UART_CTRL_EN))
        return err("UART DATA written while disabled", b);
    if (rg->hold_full)
        return err("UART DATA written while TXE is clear", b);
    if (!rg->any_tx) {
        rg->any_tx = true;
        rg->first_tx_clk = clkcnt();
    }
    rg->card_spoke = true;
    if (!rg->tx_busy) {
        rg->tx_busy = true;
        rg->tx_end = rg->now + 12u * etu_cyc();
        fake_term_from_card(b);
    } else {
        rg->hold_full = true;
        rg->hold = b;
    }
}

/* ---- the bus ------------------------------------------------------------- */

static void update_all(sim_time_t t)
{
    uint64_t c = cyc_of(t);
    if (c > rg->now)
        rg->now = c;
    flashc_update();
    crypto_update();
    uart_update();
}

static uint32_t mmio_read(void *ctx, uint32_t addr, unsigned size,
                          sim_time_t t, bool *bus_err)
{
    (void)ctx;
    update_all(t);
    if (size != 4) {
        *bus_err = true;
        err("non-word register read", addr);
        return 0;
    }
    uint32_t v = 0;
    switch (addr) {
    case SE_SYSCTL_BASE + SYSCTL_CHIPID: v = SYSCTL_CHIPID_MAGIC; break;
    case SE_SYSCTL_BASE + SYSCTL_RESETCAUSE: v = rg->resetcause; break;
    case SE_SYSCTL_BASE + SYSCTL_PORTSRC: v = rg->portsrc; break;
    case SE_FLASHC_BASE + FLASHC_ADDR: v = rg->f_addr; break;
    case SE_FLASHC_BASE + FLASHC_DATA: v = rg->f_data; break;
    case SE_FLASHC_BASE + FLASHC_STATUS: v = rg->f_status; break;
    case SE_FLASHC_BASE + FLASHC_IRQEN: v = rg->f_irqen; break;
    case SE_CRYPTO_BASE + CRYPTO_STATUS: v = rg->c_status; break;
    case SE_UART_BASE + UART_CTRL: v = rg->u_ctrl; break;
    case SE_UART_BASE + UART_ETU: v = rg->u_etu; break;
    case SE_UART_BASE + UART_STATUS: v = uart_status(); break;
    case SE_UART_BASE + UART_DATA: v = rg->rx; rg->rxne = false; break;
    case SE_UART_BASE + UART_GT: v = rg->u_gt; break;
    case SE_UART_BASE + UART_IRQEN: v = rg->u_irqen; break;
    case SE_UART_BASE + UART_CLKCNT: v = clkcnt(); break;
    default:
        if (addr >= SE_CRYPTO_BASE + CRYPTO_DIGEST(0) &&
            addr <= SE_CRYPTO_BASE + CRYPTO_DIGEST(7)) {
            v = rg->c_digest[(addr - SE_CRYPTO_BASE - CRYPTO_DIGEST(0)) / 4];
            break;
        }
        *bus_err = true;
        err("read of no register", addr);
    }
    irqs();
    return v;
}

static void mmio_write(void *ctx, uint32_t addr, uint32_t v, unsigned size,
                       sim_time_t t, bool *bus_err)
{
    (void)ctx;
    update_all(t);
    if (size != 4) {
        *bus_err = true;
        return err("non-word register write", addr);
    }
    switch (addr) {
    case SE_SYSCTL_BASE + SYSCTL_RESETCAUSE: rg->resetcause &= ~v; break;
    case SE_FLASHC_BASE + FLASHC_CTRL: flashc_ctrl(v); break;
    case SE_FLASHC_BASE + FLASHC_ADDR: rg->f_addr = v; break;
    case SE_FLASHC_BASE + FLASHC_DATA: rg->f_data = v; break;
    case SE_FLASHC_BASE + FLASHC_STATUS:
        rg->f_status &= ~(v & (FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_MASK));
        break;
    case SE_FLASHC_BASE + FLASHC_IRQEN: rg->f_irqen = v; break;
    case SE_CRYPTO_BASE + CRYPTO_CTRL: crypto_ctrl(v); break;
    case SE_CRYPTO_BASE + CRYPTO_SRC: rg->c_src = v; break;
    case SE_CRYPTO_BASE + CRYPTO_LEN: rg->c_len = v; break;
    case SE_CRYPTO_BASE + CRYPTO_KEY: rg->c_key = v; break;
    case SE_CRYPTO_BASE + CRYPTO_SIG: rg->c_sig = v; break;
    case SE_CRYPTO_BASE + CRYPTO_STATUS:
        rg->c_status &= ~(v & (CRYPTO_STATUS_DONE | CRYPTO_STATUS_ERR));
        break;
    case SE_CRYPTO_BASE + CRYPTO_IRQEN: rg->c_irqen = v; break;
    case SE_UART_BASE + UART_CTRL: rg->u_ctrl = v; break;
    case SE_UART_BASE + UART_ETU:
        if (rg->tx_busy || rg->hold_full)
            err("ETU written while a character is on the line", v);
        if (rg->etu_writes < 4)
            rg->etu_history[rg->etu_writes] = v;
        rg->etu_writes++;
        rg->u_etu = v;
        break;
    case SE_UART_BASE + UART_STATUS: rg->u_sticky &= ~(v & UART_STATUS_W1C); break;
    case SE_UART_BASE + UART_DATA: uart_data((uint8_t)v); break;
    case SE_UART_BASE + UART_GT: rg->u_gt = v; break;
    case SE_UART_BASE + UART_IRQEN: rg->u_irqen = v; break;
    default:
        if (addr >= SE_CRYPTO_BASE + CRYPTO_DIGEST(0) &&
            addr <= SE_CRYPTO_BASE + CRYPTO_DIGEST(7)) {
            rg->c_digest[(addr - SE_CRYPTO_BASE - CRYPTO_DIGEST(0)) / 4] = v;
            break;
        }
        *bus_err = true;
        err("write of no register", addr);
    }
    irqs();
}

static void on_fault(void *ctx, cpu_t *cpu, const cpu_fault_t *f)
{
    (void)ctx;
    (void)cpu;
    err(cpu_fault_name(f->kind), f->pc);
}

/* ---- the chip ------------------------------------------------------------ */

/* Power-on or warm reset: peripherals to their reset values, RST high. */
static void chip_reset(uint32_t cause)
{
    rg->resetcause = cause;
    rg->f_status = rg->f_irqen = 0;
    rg->c_status = rg->c_irqen = 0;
    if (rg->sha_active)
        mbedtls_sha256_free(&rg->sha);
    rg->sha_active = false;
    rg->u_ctrl = rg->u_gt = rg->u_irqen = rg->u_sticky = 0;
    rg->u_etu = UART_ETU_DEFAULT;
    rg->rxne = rg->tx_busy = rg->hold_full = false;
    rg->rx_active = rg->card_spoke = rg->line_down = false;
    rg->any_tx = false;
    rg->rst_at = rg->now;
    for (unsigned i = 0; i < 4; i++)
        cpu_set_irq(&rg->cpu, i, false);
    cpu_reset(&rg->cpu);
}

static void rig_open(const char *path)
{
    char msg[256];
    rg = calloc(1, sizeof *rg);
    ck_assert_ptr_nonnull(rg);
    memset(rg->flash, 0xFF, sizeof rg->flash);
    ck_assert_msg(path && elf_load(&rg->elf, path, msg, sizeof msg) == 0,
                  "cannot load the ROM image: %s", path ? msg : "no path");
    for (size_t i = 0; i < rg->elf.nsegs; i++) {
        const elf_segment_t *s = &rg->elf.segs[i];
        if (s->paddr + s->memsz <= SE_ROM_SIZE)
            memcpy(rg->rom + s->paddr, s->data, s->memsz);
        else if (s->paddr >= SE_RAM_BASE &&
                 s->paddr - SE_RAM_BASE + s->memsz <= SE_RAM_SIZE)
            memcpy(rg->ram + (s->paddr - SE_RAM_BASE), s->data, s->memsz);
        else
            ck_abort_msg("segment %zu at 0x%08x outside ROM and RAM", i,
                         s->paddr);
    }
    cpu_init(&rg->cpu, &(cpu_cfg_t){ .name = "se", .hz = CORE_HZ });
    cpu_map(&rg->cpu, &(cpu_map_cfg_t){ .name = "rom", .kind = CPU_MEM_ROM,
        .base = SE_ROM_BASE, .size = SE_ROM_SIZE, .host = rg->rom });
    cpu_map(&rg->cpu, &(cpu_map_cfg_t){ .name = "flash",
        .kind = CPU_MEM_FLASH, .base = SE_FLASH_BASE, .size = SE_FLASH_SIZE,
        .host = rg->flash });
    cpu_map(&rg->cpu, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
        .base = SE_RAM_BASE, .size = SE_RAM_SIZE, .host = rg->ram });
    cpu_map(&rg->cpu, &(cpu_map_cfg_t){ .name = "periph",
        .kind = CPU_MEM_MMIO, .base = SE_SYSCTL_BASE,
        .size = 5u * SE_PERIPH_SIZE, .read = mmio_read, .write = mmio_write });
    cpu_set_fault_handler(&rg->cpu, on_fault, NULL);
    rg->portsrc = SYSCTL_PORTSRC_PADS;
    chip_reset(SYSCTL_RESETCAUSE_POR);
}

static void rig_close(void)
{
    if (!rg)
        return;
    if (rg->sha_active)
        mbedtls_sha256_free(&rg->sha);
    cpu_cleanup(&rg->cpu);
    elf_free(&rg->elf);
    free(rg);
    rg = NULL;
}

/* Runs until `done` or max cycles; between slices the peripherals move
 * on (and wake a sleeping core through their interrupt lines). */
static bool run_until(bool (*done)(void), uint64_t max)
{
    uint64_t end = cpu_cycles(&rg->cpu) + max;
    while (!done() && cpu_cycles(&rg->cpu) < end) {
        if (cpu_state(&rg->cpu) == CPU_LOCKUP)
            return false;
        cpu_run_cycles(&rg->cpu, SLICE);
        update_all(cpu_time(&rg->cpu));
        irqs();
    }
    return done();
}

static bool line_down(void)
{
    return rg->line_down;
}

static uint32_t cos_entry;

static bool in_cos(void)
{
    return cpu_reg(&rg->cpu, 15) == cos_entry;
}

static uint32_t sym_word(const char *name)
{
    const elf_symbol_t *s = elf_find_symbol(&rg->elf, name);
    uint32_t v = 0xDEADBEEFu;
    ck_assert_msg(s != NULL, "no symbol %s", name);
    ck_assert(cpu_read_mem(&rg->cpu, s->addr, &v, 4));
    return v;
}

/* ---- tests ------------------------------------------------------------- */

static const char *elf_path;
static test_image_t *im;

static void setup(void)
{
    ck_assert_int_eq(test_key_load(), 0);
    fake_term_reset();
    im = malloc(sizeof *im);
    ck_assert_ptr_nonnull(im);
    test_image_make(im, 3, 2600, 11);
    im->code[8] = 0xFE;     /* b . : the "COS" waits where it starts */
    im->code[9] = 0xE7;
    test_image_rehash(im);
    cos_entry = SE_FLASH_IMAGE + 8;
    rig_open(elf_path);
}

static void teardown(void)
{
    rig_close();
    free(im);
}

static void script_update(void)
{
    uint8_t a[APDU_SHORT_MAX];
    fake_term_add(a, test_apdu_begin(a, &im->hdr));
    for (uint32_t n = 0; n < im->nblocks; n++)
        fake_term_add(a, test_apdu_load(a, im, n));
    fake_term_add(a, test_apdu_status(a));
    fake_term_add(a, test_apdu_commit(a));
}

START_TEST(rom_updates_then_boots_the_cos)
{
    term.cfg.pps = true;
    script_update();

    /* power-on: no COS, the loader serves the script until "RST falls" */
    ck_assert_msg(run_until(line_down, 400000000u),
                  "the script did not end: %s / %s", term.err,
                  rg->first_error);
    ck_assert_msg(rg->errors == 0, "%u register misuses, first: %s",
                  rg->errors, rg->first_error);
    ck_assert_msg(term.err[0] == 0, "terminal: %s", term.err);
    ck_assert_uint_eq(cpu_fault_count(&rg->cpu), 0);
    ck_assert_uint_eq(rg->resetcause, 0);  /* read and cleared */
    ck_assert_uint_eq(sym_word("rom_reset_cause"), SYSCTL_RESETCAUSE_POR);
    ck_assert_uint_eq(sym_word("rom_port_mode"), SYSCTL_PORTSRC_PADS);
    ck_assert_uint_eq(sym_word("rom_boot_result"), 1);  /* ROM_ID_MAGIC */

    ck_assert_int_eq(term.atr_rc, ATR_OK);
    ck_assert_mem_eq(term.parsed.hist, "CSLDR\x01", 6);
    ck_assert_uint_ge(rg->first_tx_clk, ROM_ATR_MIN_CLK);
    ck_assert_uint_le(rg->first_tx_clk, ROM_ATR_MAX_CLK);
    ck_assert_uint_eq(term.pps_ans_len, 4);
    ck_assert_uint_eq(rg->etu_writes, 2);        /* 372 at start, then 16 */
    ck_assert_uint_eq(rg->etu_history[0], UART_ETU_DEFAULT);
    ck_assert_uint_eq(rg->etu_history[1], 16);

    ck_assert_uint_eq(term.nresp, im->nblocks + 3);
    for (size_t i = 0; i < term.nresp; i++)
        ck_assert_msg(fake_term_sw(i) == SW_OK, "response %zu: %04x", i,
                      fake_term_sw(i));
    ck_assert_uint_eq(term.resp[im->nblocks + 1][0], ROM_LD_LOADED);
    ck_assert_uint_eq(term.card_wtx, 2);
    ck_assert_mem_eq(rg->flash + (SE_FLASH_IMAGE - SE_FLASH_BASE), im->code,
                     im->len);
    /* 3 image pages + session + progress + identifier */
    ck_assert_uint_eq(rg->f_erases, 6);

    /* warm reset: the boot checks the COS and jumps into it */
    chip_reset(SYSCTL_RESETCAUSE_RSTPIN);
    ck_assert_msg(run_until(in_cos, 20000000u), "no jump into the COS: pc "
                  "0x%08x, %s", cpu_reg(&rg->cpu, 15), rg->first_error);
    ck_assert_uint_eq(rg->errors, 0);
    ck_assert_uint_eq(rg->any_tx, false);         /* no ATR from the ROM */
    ck_assert_uint_eq(rg->cpu.vtor, SE_FLASH_IMAGE);
    ck_assert_uint_eq(cpu_special(&rg->cpu, CPU_SPECIAL_MSP),
                      SE_RAM_BASE + SE_RAM_SIZE);
    ck_assert_uint_eq(cpu_special(&rg->cpu, CPU_SPECIAL_PRIMASK), 0);
    ck_assert_uint_eq(cpu_reg(&rg->cpu, 0), SYSCTL_RESETCAUSE_RSTPIN);
    ck_assert_uint_eq(rg->cpu.irq_en, 0);
    ck_assert_uint_eq(cpu_pending(&rg->cpu), 0);
    ck_assert_uint_eq(rg->f_irqen | rg->c_irqen | rg->u_irqen, 0);
    ck_assert_uint_eq(sym_word("rom_boot_result"), 0);
    ck_assert_uint_eq(sym_word("rom_reset_cause"), SYSCTL_RESETCAUSE_RSTPIN);
}
END_TEST

START_TEST(rom_refuses_a_bad_signature_on_the_cpu)
{
    uint8_t a[APDU_SHORT_MAX];
    cos_image_header_t h = im->hdr;
    h.signature[40] ^= 0x20;
    fake_term_add(a, test_apdu_begin(a, &h));
    fake_term_add(a, test_apdu_begin(a, &im->hdr));
    fake_term_add(a, test_apdu_status(a));
    ck_assert(run_until(line_down, 100000000u));
    ck_assert_msg(rg->errors == 0, "%s", rg->first_error);
    ck_assert_uint_eq(term.nresp, 3);
    ck_assert_uint_eq(fake_term_sw(0), SW_SECURITY);
    ck_assert_uint_eq(fake_term_sw(1), SW_OK);
    ck_assert_uint_eq(term.resp[2][0], ROM_LD_LOADING);
    ck_assert_uint_eq(term.resp[2][6], 3);
}
END_TEST

START_TEST(rom_contactless_mode_recorded)
{
    uint8_t a[8];
    rg->portsrc = SYSCTL_PORTSRC_MCU;
    fake_term_add(a, test_apdu_status(a));
    ck_assert(run_until(line_down, 100000000u));
    ck_assert_uint_eq(sym_word("rom_port_mode"), SYSCTL_PORTSRC_MCU);
    ck_assert_uint_eq(fake_term_sw(0), SW_OK);
    ck_assert_uint_eq(rg->etu_writes, 1);  /* no PPS: 372 only */
}
END_TEST

/* Two characters of the 6th block never come: the ROM's character waiting
 * time (SysTick, rom_hal_mmio.c) ends the block, the card asks again with
 * an R-block, and the update goes on. */
START_TEST(rom_cwt_on_the_cpu)
{
    term.cfg.pps = true;
    term.cfg.truncate_block = 5;
    script_update();
    ck_assert_msg(run_until(line_down, 400000000u),
                  "the script did not end: %s / %s", term.err,
                  rg->first_error);
    ck_assert_msg(rg->errors == 0, "%s", rg->first_error);
    ck_assert_msg(term.err[0] == 0, "terminal: %s", term.err);
    ck_assert_uint_eq(term.nresp, im->nblocks + 3);
    for (size_t i = 0; i < term.nresp; i++)
        ck_assert_uint_eq(fake_term_sw(i), SW_OK);
    unsigned r_err = 0;
    for (size_t i = 0; i < term.ncard_pcb; i++)
        if (T1_IS_R(term.card_pcb[i]) && (term.card_pcb[i] & 0x03))
            r_err++;
    ck_assert_uint_eq(r_err, 1);
    ck_assert_mem_eq(rg->flash + (SE_FLASH_IMAGE - SE_FLASH_BASE), im->code,
                     im->len);
}
END_TEST

static Suite *make_rom_cpu_suite(void)
{
    Suite *s = suite_create("rom_cpu");
    TCase *tc = tcase_create("cpu");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, rom_updates_then_boots_the_cos);
    tcase_add_test(tc, rom_refuses_a_bad_signature_on_the_cpu);
    tcase_add_test(tc, rom_contactless_mode_recorded);
    tcase_add_test(tc, rom_cwt_on_the_cpu);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    elf_path = argc > 1 ? argv[1] : getenv("SE_ROM_ELF");
    SRunner *sr = srunner_create(make_rom_cpu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
