/* SPDX-License-Identifier: MIT */
/* models/mcu.h - the card's BLE master MCU: Cortex-M0 core at 16 MHz,
 * 256 KiB program flash (loaded from the firmware ELF), 32 KiB RAM, system
 * control (chip id, reset cause, sense inputs, the traced MODE / ROUTE /
 * SE_STATE registers), a free-running timer with one compare, the SPI
 * master wired to the NFC front end, and one ISO 7816-3 master port per SE.
 *
 * Reference: docs/mcu.md (memory map, every register, timing, IRQs), the
 * register maps firmware/include/regs/mcu_*.h; ISO/IEC 7816-3:2006
 * clauses 6.2-6.4 (activation, deactivation) and 7 (characters) for the
 * master ports (models/iso7816_port.h does the line).
 *
 * Notes:
 *  - battery powered: the core leaves reset at t = 0 (power-on reset) and
 *    runs until mcu_power(off); the oscillator is exact and starts at once;
 *  - the program flash is read-only to the core (a write is a bus fault),
 *    zero wait states at 16 MHz; there is no flash controller;
 *  - the BLE radio block (MCU_RADIO_BASE) is a hook: without a radio in
 *    the configuration it is unmapped (accesses are bus faults);
 *  - the SPI clock phases, the ISO ports' pin electricals and the sense
 *    inputs' synchronizers are not modelled (docs/mcu.md lists the rest). */
#ifndef MODELS_MCU_H
#define MODELS_MCU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/include/regs/mcu_map.h"
#include "models/cpu/cpu.h"
#include "models/elf_load.h"
#include "models/iso7816_line.h"
#include "models/iso7816_port.h"
#include "sim/sim.h"
#include "sim/trace.h"

/* Messages of the link rx function mcu_sense_rx (sim_msg_t.kind). */
enum mcu_msg_kind {
    MCU_MSG_SENSE = 1, /* value = ((uint64_t)mask << 32) | levels */
    MCU_MSG_POWER = 2, /* value = 0 off / 1 on (fault injection) */
};

/* mcu_se_state() of an SE the firmware has not reported since reset. */
#define MCU_SE_STATE_NONE 0xFFFFFFFFu

/* The slave on the SPI bus (the NFC front end). cs() is called when the
 * chip select pin changes; xfer() at the end of each byte's 8th SCK
 * period with the byte the master shifted out, returning the byte shifted
 * in. Both are called at the MCU node's time. */
typedef struct mcu_spi_slave {
    void (*cs)(void *ctx, sim_time_t now, bool asserted);
    uint8_t (*xfer)(void *ctx, sim_time_t now, uint8_t mosi);
    void *ctx;
} mcu_spi_slave_t;

/* A peripheral mapped at MCU_RADIO_BASE (MCU_PERIPH_SIZE bytes): the BLE
 * radio of a later issue. Its accesses are those of the core's bus (addr
 * is the full address). reset (may be NULL) is called when the chip
 * resets (power off, SYSRESETREQ); the radio raises its NVIC line with
 * mcu_set_radio_irq(). */
typedef struct mcu_mmio {
    cpu_mmio_read_fn read;
    cpu_mmio_write_fn write;
    void (*reset)(void *ctx, sim_time_t now);
    void *ctx;
} mcu_mmio_t;

/* A SYSCTL report register was written (reg = MCU_SYSCTL_MODE, _ROUTE or
 * _SE_STATE, value as stored: MODE masked to its bits), at the write's
 * time in the MCU node; also MODE = 0 when a chip reset clears a non-zero
 * MODE, and reg = MCU_REPORT_RESET (value 0) when a chip reset clears
 * every SE_STATE. Lets the composition forward the firmware's reports
 * over a link. */
#define MCU_REPORT_RESET 0x1001u
typedef void (*mcu_report_fn)(void *ctx, sim_time_t now, unsigned reg,
                              uint32_t value);

typedef struct mcu_cfg {
    const char *firmware_elf;   /* program flash image */
    unsigned n_se;              /* ISO ports 0..n_se-1 (<= MCU_ISO_PORTS) */
    trace_bus_t *bus;           /* may be NULL */
    const mcu_spi_slave_t *spi; /* may be NULL: MISO reads 0xFF */
    const mcu_mmio_t *radio;    /* may be NULL: radio block unmapped */
    mcu_report_fn report;       /* may be NULL */
    void *report_ctx;
} mcu_cfg_t;

typedef struct mcu mcu_t;

/* One ISO 7816 master port: the line-level port and its register state. */
typedef struct mcu_iso {
    mcu_t *mcu;
    unsigned index;
    iso7816_port_t port;
    char name[24], path[24];    /* "mcu.iso0", "mcu-se0" */
    uint32_t ctrl, clkdiv, etu, gt, irqen;
    uint32_t sticky;            /* PERR | OVR | TXFAIL */
    uint8_t rx[32];             /* RX FIFO (MCU_ISO_FIFO) */
    unsigned rx_head, rx_n;
    unsigned tx_pending;        /* DATA bytes handed to the port whose
                                   send action has not run yet */
    sim_event_t tx_mark;        /* fires after those actions */
    uint64_t tx_failed_seen;    /* port.tx_failed already reported */
    iso7816_line_t *line;       /* set by mcu_connect_se() */
    bool irq;
} mcu_iso_t;

struct mcu {
    sim_node_t node;            /* "mcu" (the NFC front end shares it) */
    trace_bus_t *bus;
    cpu_t cpu;
    elf_image_t elf;
    uint8_t *flash, *ram;
    unsigned n_se;
    mcu_spi_slave_t spi_slave;  /* copy of cfg->spi (zeroed if none) */
    mcu_mmio_t radio;           /* copy of cfg->radio (zeroed if none) */
    mcu_report_fn report;
    void *report_ctx;

    /* power and reset */
    bool powered;
    sim_event_t battery_ev;     /* mcu_battery_cut: the battery is back */
    uint64_t resets;            /* core resets (POR and SYSRESETREQ) */
    uint64_t reset_cycle;       /* core clock edge of the last reset */

    /* SYSCTL */
    uint32_t reset_cause;
    uint32_t sense, sense_edge, sense_irqen;
    uint32_t mode, route;
    uint32_t se_state[MCU_ISO_PORTS];
    bool nfc_irq;

    /* TIMER */
    uint32_t tm_cmp, tm_ctrl, tm_status;
    uint64_t tm_match_cycle;    /* core edge of the armed match */
    sim_event_t tm_ev;

    /* SPI */
    uint32_t spi_ctrl, spi_status, spi_irqen;
    uint8_t spi_rx, spi_tx;
    bool spi_cs;                /* the CS pin as the slave sees it */
    sim_time_t spi_start;
    sim_event_t spi_ev;
    uint64_t spi_bytes;

    /* ISO 7816 master ports */
    mcu_iso_t iso[MCU_ISO_PORTS];
};

/* Builds the chip: loads the firmware, registers node "mcu" in sim (the
 * caller chooses the registration order), maps memory and peripherals,
 * and resets the core (power-on reset at t = 0). Returns 0, or -1 with
 * "FILE: reason" in err if the image cannot be loaded or does not fit. */
int mcu_init(mcu_t *m, sim_t *sim, const mcu_cfg_t *cfg, char *err,
             size_t errlen);
void mcu_cleanup(mcu_t *m);

sim_node_t *mcu_node(mcu_t *m);

/* Power (battery, fault injection), at the MCU node's present (from one of
 * its events or link messages). Off: core held, RAM cleared, peripherals
 * reset, the ports drive RST, CLK, VCC low. On: power-on reset. */
void mcu_power(mcu_t *m, sim_time_t now, bool on);

/* Sense inputs (regs/mcu_sysctl.h): bits under mask take levels; changed
 * bits set SENSE_EDGE. At the MCU node's present. */
void mcu_set_sense(mcu_t *m, sim_time_t now, uint32_t mask, uint32_t levels);
/* A link rx function (ctx = mcu_t *) for MCU_MSG_SENSE and MCU_MSG_POWER
 * from other nodes. */
void mcu_sense_rx(void *ctx, const sim_msg_t *msg, sim_time_t now);
/* The NFC front end's IRQ pin: SENSE bit MCU_SENSE_NFC_IRQ and NVIC line
 * MCU_IRQ_NFC (level). */
void mcu_set_nfc_irq(mcu_t *m, sim_time_t now, bool level);
/* NVIC line MCU_IRQ_RADIO, for the radio of mcu_cfg_t.radio. */
void mcu_set_radio_irq(mcu_t *m, sim_time_t now, bool level);

/* ISO master port n (< n_se), for wiring. mcu_connect_se() makes the line
 * (iso7816_port_connect) and lets the MCU see each character start, so
 * that the TXNF interrupt rises the moment the FIFO gets room; wiring with
 * iso7816_port_connect() directly works too, but then TXNF only rises
 * with the next register access, character received or TXIDLE. */
iso7816_port_t *mcu_port(mcu_t *m, unsigned n);
void mcu_connect_se(mcu_t *m, unsigned n, iso7816_line_t *line, sim_t *sim,
                    const char *name, iso7816_end_t card);

/* What the firmware last reported: MODE (MCU_MODE_* bits), ROUTE (0: none
 * since reset), SE_STATE of SE se (MCU_SE_STATE_NONE: none since reset). */
unsigned mcu_mode(const mcu_t *m);
uint32_t mcu_route(const mcu_t *m);
uint32_t mcu_se_state(const mcu_t *m, unsigned se);
/* "none", or the MODE bits joined by '+' in the order contact, nfc, ble
 * ("contact+nfc"). A static string. */
const char *mcu_mode_name(unsigned mode);
/* A ROUTE value as traced: "nfc>se1 session", "nfc>se0 refused: contact",
 * "nfc no aid", ... (docs/mcu.md). */
void mcu_route_text(uint32_t route, char *buf, size_t len);

/* Bus access as the core makes it (same callbacks, same effects), at the
 * node's present: for tests and tools. Returns false on a bus error. */
bool mcu_bus_read(mcu_t *m, uint32_t addr, sim_time_t t, uint32_t *value);
bool mcu_bus_write(mcu_t *m, uint32_t addr, uint32_t value, sim_time_t t);

/* The PC as "function+0x12" from the firmware's symbols. */
void mcu_where(const mcu_t *m, uint32_t pc, char *buf, size_t len);

/* Statistics. */
uint64_t mcu_cycles(const mcu_t *m);
uint64_t mcu_instructions(const mcu_t *m);

/* A fault from inside the MCU's node (fault.at_cycle / at_symbol on the
 * MCU): the battery off now, back after `off`, as mcu_power(). */
void mcu_battery_cut(mcu_t *m, sim_time_t now, sim_time_t off);

#endif /* MODELS_MCU_H */
