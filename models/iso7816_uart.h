/* SPDX-License-Identifier: MIT */
/* models/iso7816_uart.h - the card-side ISO 7816-3 UART of an SE: the
 * register block of firmware/include/regs/iso7816_uart.h, timed by the
 * external CLK, on a port that one of two terminals drives (its MCU master
 * port or the contact pads, chosen by the status pin the pads' switch
 * sends).
 *
 * Models: character transmission (start at an etu boundary, 10 etu on the
 * line, 12 etu + GT per character; etu = ETU CLK cycles, exact from CLK
 * edges), reception (RXNE at the end of the parity bit, even parity, OVR),
 * T=0 error signalling and repetition (up to 4 repetitions, then TXERR),
 * the observed levels VCC, RST (STATUS.RST, RSTEDGE), CLK (CLKON, CLKCNT),
 * the interrupt line, and the two sources of the port.
 *
 * Reference: ISO/IEC 7816-3:2006 clauses 6.2-6.3 (contacts, activation,
 * reset), 7.1-7.3 (etu, character frame, guard time, T=0 error signal and
 * repetition), 10.2 (extra guard time N). docs/iso7816.md.
 *
 * Notes:
 *  - the etu grid: character starts fall on CLK edges that are multiples
 *    of ETU cycles from the grid origin, which is the first CLK edge after
 *    the CLK (re)started or ETU was written. A character already on the
 *    line finishes on the timing it started with, even if CLK stops or
 *    changes frequency meanwhile;
 *  - a character is accepted only if its source is the selected one when
 *    it is delivered (at the end of its parity bit), and only while VCC is
 *    on, CTRL.EN is set and CLK runs; a character arriving while the UART
 *    transmits is received normally (no collision model);
 *  - a framing error (etu mismatch beyond 1/5) sets PE and, with T=0, is
 *    answered by an error signal like a parity error;
 *  - the UART does not check RST or the ATR window: firmware reads CLKCNT;
 *  - GT = 255 has no special meaning here (ISO gives it one): firmware
 *    writes 0 for the minimum guard time;
 *  - CLKCNT wraps modulo 2^32 (about 14 min at 5 MHz);
 *  - the switch between sources is instantaneous: the UART applies the new
 *    source's levels in the order VCC, CLK, RST at the instant the status
 *    pin message arrives. */
#ifndef MODELS_ISO7816_UART_H
#define MODELS_ISO7816_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "models/iso7816_line.h"
#include "sim/clock.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/time.h"

typedef struct iso7816_uart iso7816_uart_t;

typedef struct iso7816_uart_cfg {
    const char *name;  /* "se0.uart": warnings and fatal messages */
    sim_node_t *node;  /* the SE's node */
    uint32_t base;     /* MMIO base the CPU passes addresses from
                          (SE_UART_BASE: cpu.c hands absolute addresses) */
    /* Owner callbacks; each may be NULL. All are called at the simulated
     * time of the change, from inside the UART (do not call back into the
     * UART's line inputs from them; MMIO accesses are fine). */
    void *ctx;
    /* interrupt line level (STATUS & IRQEN != 0) changed */
    void (*on_irq)(void *ctx, sim_time_t now, bool level);
    /* VCC of the selected source changed; on false the UART has already
     * reset itself. The SE holds its core in reset while VCC is off. */
    void (*on_power)(void *ctx, sim_time_t now, bool vcc);
    /* RST of the selected source changed (also reported while VCC is off;
     * the owner combines: the core runs while VCC is on and RST high). */
    void (*on_reset_pin)(void *ctx, sim_time_t now, bool level);
    /* the status pin changed: ISO7816_SRC_MCU or ISO7816_SRC_PADS now
     * drives the port (SYSCTL.PORTSRC) */
    void (*on_portsrc)(void *ctx, sim_time_t now, unsigned src);
} iso7816_uart_cfg_t;

/* What one source drives on the port. */
typedef struct iso7816_uart_src {
    iso7816_uart_t *uart;
    unsigned idx;       /* ISO7816_SRC_* */
    bool vcc, rst;
    uint64_t clk_hz;
    sim_link_t *up;     /* where the UART's characters go (NULL: nowhere) */
} iso7816_uart_src_t;

struct iso7816_uart {
    /* configuration */
    const char *name;
    sim_node_t *node;
    uint32_t base;
    void *ctx;
    void (*on_irq)(void *, sim_time_t, bool);
    void (*on_power)(void *, sim_time_t, bool);
    void (*on_reset_pin)(void *, sim_time_t, bool);
    void (*on_portsrc)(void *, sim_time_t, unsigned);

    /* the port */
    iso7816_uart_src_t src[ISO7816_NSRC];
    unsigned sel;            /* selected source (status pin) */
    bool vcc, rst;           /* effective levels (those of src[sel]) */
    uint64_t clk_hz;         /* effective CLK, 0 = stopped */
    sim_clock_t clk;         /* valid while clk_hz != 0 */
    uint64_t grid0;          /* CLK edge of the etu grid origin */
    uint32_t cnt_acc;        /* CLKCNT counted in earlier CLK segments */
    sim_time_t cnt_from;     /* count edges of this segment at or after */
    bool counting;           /* RST high while powered */

    /* registers */
    uint32_t ctrl, etu, gt, irqen;
    uint32_t sticky;         /* PE, OVR, TXERR, RSTEDGE */
    uint8_t rx_data;
    bool rxne;
    bool irq;

    /* transmitter */
    bool hold_full;          /* DATA written, not yet started */
    uint8_t hold;
    sim_time_t hold_t;       /* when DATA was written */
    bool busy;               /* the shifter holds a character */
    bool rep_pending;        /* ... rejected, waiting for its repetition */
    uint8_t shift;
    sim_time_t tx_start;     /* start of its last transmission (ERRSIG key) */
    sim_time_t t_guard;      /* its guard time ends (12 etu + GT) */
    sim_time_t t_repeat;     /* a repetition may start (12 + max(GT,1)) */
    uint64_t next_cycle;     /* CLK edge of a scheduled start */
    unsigned reps;
    bool nak, sampled;
    int phase;               /* what tx_ev does next */
    sim_event_t tx_ev;

    /* statistics */
    uint64_t chars_sent, chars_received, repeats, tx_failed, parity_errors,
        overruns, errsigs_sent, dropped;
};

void iso7816_uart_init(iso7816_uart_t *u, sim_t *sim,
                       const iso7816_uart_cfg_t *cfg);
/* Registers to their reset values, transmitter and receiver emptied (the
 * levels seen on the port are kept). For VCC loss the UART does this
 * itself; the SE may call it on a system reset. */
void iso7816_uart_reset(iso7816_uart_t *u, sim_time_t now);
void iso7816_uart_cleanup(iso7816_uart_t *u);

/* Wiring: the card end of a line for source src (pass it to
 * iso7816_line_init / iso7816_port_connect / pads_connect), then attach
 * the line so the UART can answer on it. */
iso7816_end_t iso7816_uart_end(iso7816_uart_t *u, unsigned src);
void iso7816_uart_attach(iso7816_uart_t *u, unsigned src,
                         iso7816_line_t *line);

/* MMIO (cpu_mmio_read_fn / cpu_mmio_write_fn; ctx = the UART). Word
 * access only; other sizes and offsets past CLKCNT are bus errors. */
uint32_t iso7816_uart_read(void *ctx, uint32_t addr, unsigned size,
                           sim_time_t t, bool *err);
void iso7816_uart_write(void *ctx, uint32_t addr, uint32_t value,
                        unsigned size, sim_time_t t, bool *err);

/* Observers for the SE model and tests. */
unsigned iso7816_uart_source(const iso7816_uart_t *u);
bool iso7816_uart_vcc(const iso7816_uart_t *u);
bool iso7816_uart_rst(const iso7816_uart_t *u);
bool iso7816_uart_irq(const iso7816_uart_t *u);
/* Current etu in ps (floor), 0 if CLK is stopped. */
sim_time_t iso7816_uart_etu(const iso7816_uart_t *u);

#endif /* MODELS_ISO7816_UART_H */
