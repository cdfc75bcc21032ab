/* SPDX-License-Identifier: MIT */
/* models/se.h - a secure element chip: Cortex-M0 core at 32 MHz, 64 KiB
 * ROM (the boot ROM + loader firmware), 256 KiB NOR flash with its
 * controller, 16 KiB RAM, the ISO 7816 UART, a timer, the crypto engine
 * and system control (chip id, reset cause, port-source status pin).
 *
 * Reference: docs/se.md (memory map, registers, reset and boot), the
 * register maps in firmware/include/regs/.
 *
 * Notes:
 *  - The core is held in reset while VCC is off or RST is low at the
 *    selected port; it starts from the ROM's reset vector at the first core
 *    clock edge after RST rises with VCC on (ISO 7816-3 cold/warm reset).
 *  - Power off: RAM is cleared (its content is lost; zeros keep reruns
 *    identical), a flash operation in progress is torn, the peripherals
 *    reset. A reset (RST low, SYSRESETREQ) also tears a flash operation.
 *  - The internal oscillator is exact and starts at once; real parts have a
 *    start-up time and a frequency tolerance. */
#ifndef MODELS_SE_H
#define MODELS_SE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/cpu/cpu.h"
#include "models/crypto.h"
#include "models/elf_load.h"
#include "models/flash.h"
#include "models/iso7816_uart.h"
#include "sim/sim.h"
#include "sim/trace.h"

typedef struct se_cfg {
    unsigned index;         /* SE number: node "se<index>", CHIPID */
    const char *rom_elf;    /* the boot ROM image */
    uint64_t serial;        /* SYSCTL_SERIAL (0: derived from the index) */
} se_cfg_t;

typedef struct se se_t;
struct se {
    char name[16];          /* "se0" */
    char sub_names[4][24];  /* "se0.flash", "se0.crypto", "se0.uart", ... */
    unsigned index;
    sim_node_t node;
    trace_bus_t *bus;
    cpu_t cpu;
    elf_image_t rom_elf;
    uint8_t *rom, *ram;
    flash_t flash;
    crypto_t crypto;
    iso7816_uart_t uart;
    /* SYSCTL */
    uint32_t reset_cause;
    uint32_t portsrc;
    uint64_t serial;
    /* TIMER */
    uint32_t tm_ctrl, tm_load, tm_status;
    uint64_t tm_start_cycle;   /* core cycle the count started */
    sim_event_t tm_ev;
    /* power and reset */
    bool vcc, rst;          /* as the chip sees them (vcc: port and supply) */
    bool port_vcc;          /* VCC on the selected port */
    bool supply_cut;        /* fault injection: the supply is cut */
    /* fault injection: a cut armed inside flash operation `cut_op`, at
     * cut_num / cut_den of its duration, for cut_off of time */
    bool cut_armed;
    unsigned cut_op, cut_num, cut_den;
    sim_time_t cut_off;
    sim_event_t cut_ev, restore_ev;
    /* observers: every flash operation started (the sweep), a cut done */
    void (*on_flash_op)(void *ctx, struct se *se, const flash_op_t *op);
    void (*on_cut)(void *ctx, struct se *se, sim_time_t now);
    void *fault_ctx;
    bool por_pending;          /* next release is a power-on reset */
    bool in_reset;
    uint64_t resets;
};

/* Builds the chip (its node registered in sim). Returns -1 with "FILE:
 * ..." in err if the ROM image cannot be loaded. */
int se_init(se_t *se, sim_t *sim, trace_bus_t *bus, const se_cfg_t *cfg,
            char *err, size_t errlen);
void se_cleanup(se_t *se);

/* The card end of an ISO 7816 line for the given source
 * (ISO7816_SRC_MCU or ISO7816_SRC_PADS), and attaching the line. */
iso7816_end_t se_port_end(se_t *se, unsigned src);
void se_attach_line(se_t *se, unsigned src, iso7816_line_t *line);

/* Fault injection, at the SE node's present. The supply cut: the chip
 * loses power whatever its ports drive (a flash operation in progress is
 * torn, RAM lost), for `off`, then powers up again if its port has VCC.
 * se_arm_cut: the same cut inside flash operation number `op` (counted
 * from 0 since the chip was built, flash_op_t.index), at num / den of its
 * duration (0: at its start, before it changes anything); if that
 * operation is the one starting now (from on_flash_op), the cut is
 * scheduled at once. on_cut is told when a cut happens. */
void se_supply_cut(se_t *se, sim_time_t now, sim_time_t off);
void se_arm_cut(se_t *se, unsigned op, unsigned num, unsigned den,
                sim_time_t off);

/* The PC of the core as "function+0x12" from the ROM's symbols (the COS
 * has its own ELF; addresses outside the ROM print as hex). */
void se_where(const se_t *se, uint32_t pc, char *buf, size_t len);

#endif /* MODELS_SE_H */
