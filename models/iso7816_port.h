/* SPDX-License-Identifier: MIT */
/* models/iso7816_port.h - the terminal side of an ISO 7816-3 port: what
 * the contact reader drives through the pads, and what each of the MCU's
 * per-SE master ports drives directly.
 *
 * Models: the terminal's contacts VCC, RST and CLK (frequency, 0 =
 * stopped), set at chosen times; characters sent from a queue at the
 * port's etu (F/D CLK cycles of its own CLK, exact from its edges), 12 etu
 * + extra guard time N apart, starting on the port's etu grid; characters
 * received with their exact arrival time (the end of their parity bit);
 * T=0 error signalling both ways (automatic on a parity error when T=0 is
 * on, or on request for fault injection) and repetition (up to 4 times);
 * seeded bit errors (a probability per character, drawn from the node's
 * RNG, flipping one of the 9 parity-covered bits so the receiver detects
 * it). Every character is traced as TRACE_LINE_BYTE on the port's path
 * (dir CMD sent, RSP received), every level change as TRACE_SIGNAL on
 * "<path>.VCC", "<path>.RST", "<path>.CLK" (level = Hz).
 *
 * Reference: ISO/IEC 7816-3:2006 clauses 6.2-6.3 (activation, cold and
 * warm reset, deactivation), 7.1-7.3 (etu, character frame, guard time,
 * error signal and repetition), 10.2 (N). docs/iso7816.md.
 *
 * Notes:
 *  - the port does not sequence activation or check the ATR window: its
 *    user sets VCC, CLK and RST at the times it wants;
 *  - a character that has started is finished on the timing it started
 *    with, whatever happens to CLK meanwhile; VCC off empties the queue;
 *  - F/D is an integer number of CLK cycles (as in the card's ETU
 *    register); N = 255 has no special meaning;
 *  - a character is traced once per transmission; a received character
 *    the port rejected (T=0) carries ISO7816_RX_NAKED and is repeated by
 *    the card. */
#ifndef MODELS_ISO7816_PORT_H
#define MODELS_ISO7816_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/iso7816_line.h"
#include "sim/clock.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/time.h"
#include "sim/trace.h"

typedef struct iso7816_port iso7816_port_t;
struct iso7816_port_action;

/* A character arrived (now = the end of its parity bit, exact). flags:
 * ISO7816_RX_*. The callback may call iso7816_port_nak() and
 * iso7816_port_send(). */
typedef void (*iso7816_port_rx_fn)(void *ctx, sim_time_t now, uint8_t byte,
                                   unsigned flags);
/* The send queue ran empty and the guard time of the last character is
 * over (so is a T=0 repetition). */
typedef void (*iso7816_port_idle_fn)(void *ctx, sim_time_t now);

/* An observer of the line (a protocol analyser, models/t1_tap.h): every
 * character sent (from_card false; reported when it starts, with its end)
 * and received (from_card true), and RST/VCC changes (level in byte).
 * flags: ISO7816_RX_* of a received character. */
typedef enum iso7816_tap_event {
    ISO7816_TAP_CHAR,
    ISO7816_TAP_RST,
    ISO7816_TAP_VCC,
} iso7816_tap_event_t;
typedef void (*iso7816_port_tap_fn)(void *ctx, iso7816_tap_event_t ev,
                                    bool from_card, uint8_t byte,
                                    sim_time_t start, sim_time_t end,
                                    unsigned flags);

typedef struct iso7816_port_cfg {
    const char *name;     /* trace source and messages: "reader", "mcu.iso0" */
    const char *path;     /* bus of its characters: "contact", "mcu-se0" */
    sim_node_t *node;     /* the terminal's node */
    trace_bus_t *bus;     /* may be NULL */
    unsigned etu_clocks;  /* F/D in CLK cycles; 0 = 372 */
    unsigned guard;       /* extra guard time N in etu */
    bool t0;              /* T=0 error signalling and repetition */
    iso7816_port_rx_fn on_rx;
    iso7816_port_idle_fn on_idle;
    void *ctx;
} iso7816_port_cfg_t;

struct iso7816_port {
    /* configuration */
    const char *name, *path;
    sim_node_t *node;
    trace_bus_t *bus;
    iso7816_port_rx_fn on_rx;
    iso7816_port_idle_fn on_idle;
    void *ctx;
    unsigned cfg_etu, cfg_guard;
    bool cfg_t0;
    iso7816_out_fn out;   /* where its messages go (a line, the pads) */
    void *out_ctx;
    iso7816_port_tap_fn tap; /* observer (NULL: none) */
    void *tap_ctx;

    /* what it drives */
    bool vcc, rst;
    uint64_t clk_hz;
    sim_clock_t clk;      /* valid while clk_hz != 0 */
    uint64_t grid0;       /* CLK edge of the etu grid origin */
    unsigned etu_clocks, guard;
    bool t0;
    double ber_cmd, ber_rsp; /* bit error probability per character */

    /* send queue (ring) */
    uint8_t *q;
    size_t q_head, q_len, q_cap;

    /* transmitter */
    bool busy, rep_pending, nak, sampled;
    uint8_t shift;
    unsigned reps;
    sim_time_t tx_start, t_guard, t_repeat;
    uint64_t next_cycle;
    int phase;
    sim_event_t tx_ev;

    /* the character being handed to on_rx (for iso7816_port_nak) */
    bool rx_open;
    sim_time_t rx_start, rx_time;
    unsigned rx_flags;

    /* timed actions (set_* and send at a future time) */
    struct iso7816_port_action *act_free, *act_all;

    /* statistics */
    uint64_t chars_sent, chars_received, repeats, tx_failed, parity_errors,
        errsigs_sent, errsigs_received, bit_errors, dropped;
};

void iso7816_port_init(iso7816_port_t *p, sim_t *sim,
                       const iso7816_port_cfg_t *cfg);
/* Empties the queue and stops the transmitter; etu, N and T=0 back to the
 * configuration. Levels are left as driven (nothing is sent). */
void iso7816_port_reset(iso7816_port_t *p);
void iso7816_port_cleanup(iso7816_port_t *p);

/* Wiring. The terminal end of a line (its receive callback is
 * iso7816_port_rx), or: connect = iso7816_line_init() with this end +
 * drive that line. set_output makes something else carry its messages
 * (the pads). */
iso7816_end_t iso7816_port_end(iso7816_port_t *p);
void iso7816_port_connect(iso7816_port_t *p, iso7816_line_t *line,
                          sim_t *sim, const char *name, iso7816_end_t card);
void iso7816_port_set_output(iso7816_port_t *p, iso7816_out_fn out,
                             void *ctx);
/* Attaches an observer of the line (one; NULL detaches). */
void iso7816_port_set_tap(iso7816_port_t *p, iso7816_port_tap_fn fn,
                          void *ctx);
/* A message from the card (a sim_link_rx_fn; ctx = the port). */
void iso7816_port_rx(void *ctx, const sim_msg_t *m, sim_time_t now);

/* Actions at time t (>= the node's present; equal times keep call order).
 * VCC off also empties the send queue. */
void iso7816_port_set_vcc(iso7816_port_t *p, sim_time_t t, bool on);
void iso7816_port_set_rst(iso7816_port_t *p, sim_time_t t, bool level);
void iso7816_port_set_clk(iso7816_port_t *p, sim_time_t t, uint64_t hz);
/* etu = clocks CLK cycles (F/D, > 0); the grid restarts at t. */
void iso7816_port_set_etu(iso7816_port_t *p, sim_time_t t, unsigned clocks);
void iso7816_port_set_guard(iso7816_port_t *p, sim_time_t t, unsigned n);
void iso7816_port_set_t0(iso7816_port_t *p, sim_time_t t, bool on);
/* Probability per character of one bit error on characters sent (cmd)
 * and received (rsp). Drawn from the node's RNG only when > 0. */
void iso7816_port_set_bit_errors(iso7816_port_t *p, sim_time_t t,
                                 double cmd, double rsp);
/* Queues bytes, sent from t on. */
void iso7816_port_send(iso7816_port_t *p, sim_time_t t, const uint8_t *b,
                       size_t n);

/* From inside on_rx: reject the character just received with a T=0 error
 * signal (fault injection; automatic on a parity error when T=0 is on). */
void iso7816_port_nak(iso7816_port_t *p, sim_time_t now);

/* Observers. */
sim_time_t iso7816_port_etu(const iso7816_port_t *p); /* ps, 0: no CLK */
bool iso7816_port_idle(const iso7816_port_t *p);
size_t iso7816_port_queued(const iso7816_port_t *p);

#endif /* MODELS_ISO7816_PORT_H */
