/* SPDX-License-Identifier: MIT */
/* models/iso7816_line.h - the ISO 7816-3 line between a terminal (the
 * contact reader through the pads, or an MCU master port) and an SE's
 * card-side UART, carried as kernel messages on three links.
 *
 * Models: the contacts VCC, RST, CLK (terminal -> card) and I/O (both
 * ways). One message per level change on the control link; one message per
 * character on the I/O links, sent when its start bit begins and delivered
 * when its parity bit ends (10 etu later), carrying the byte, the parity
 * bit as put on the line and the sender's etu; one message per T=0 error
 * signal. docs/iso7816.md has the timing and the causality argument.
 *
 * Reference: ISO/IEC 7816-3:2006 clause 6 (activation, deactivation, cold
 * and warm reset), 7.1 (etu = F / (D * f)), 7.2 (character frame: start
 * bit, 8 data bits, even parity, 12 etu + extra guard time N), 7.3 (T=0
 * error signal and repetition), 10.2 (N).
 *
 * Notes:
 *  - the control link's 100 ns is a modelling latency (the lookahead needs
 *    one), not a wire delay of the real card: the card sees every level
 *    change, and every CLK edge, 100 ns after the terminal made it;
 *  - the I/O links' 1 us bounds the fastest etu either side may use to
 *    2 us: an error signal is sent when the character is delivered (10 etu)
 *    and must land half an etu later (10.5 etu), before the sender samples
 *    I/O at 11 etu. Faster is refused with sim_fatal() naming the port;
 *  - a receiver whose etu differs from the sender's by more than 1/5 of
 *    the sender's sees a framing error: it samples the sender's waveform at
 *    the middle of its own bit times (deterministic garbage) and reports a
 *    parity error; within 1/5 a character is received exactly;
 *  - only the direct convention is modelled (TS = 3B; inverse convention
 *    is a firmware matter of the byte values). */
#ifndef MODELS_ISO7816_LINE_H
#define MODELS_ISO7816_LINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"
#include "sim/time.h"

/* Latencies of the three links (see the Notes above). */
#define ISO7816_CTRL_LATENCY SIM_NS(100)
#define ISO7816_IO_LATENCY   SIM_US(1)
/* The fastest etu a port or UART may send or receive with. */
#define ISO7816_MIN_ETU      (2 * ISO7816_IO_LATENCY)

/* T=0: a character rejected by an error signal is sent again at most this
 * many times (so up to 5 transmissions), then the sender gives up. */
#define ISO7816_T0_MAX_REPEATS 4u

/* Message kinds (sim_msg_t.kind) and their value. */
enum iso7816_msg_kind {
    ISO7816_MSG_VCC = 1, /* ctrl: 0 off / 1 on */
    ISO7816_MSG_RST,     /* ctrl: level 0/1 */
    ISO7816_MSG_CLK,     /* ctrl: frequency in Hz, 0 = stopped */
    ISO7816_MSG_PORTSRC, /* ctrl, pads lines only: the SE's status pin,
                            0 = its MCU port drives it, 1 = the pads */
    ISO7816_MSG_CHAR,    /* I/O: iso7816_char_pack(); sent = start bit */
    ISO7816_MSG_ERRSIG,  /* I/O: T=0 error signal; value = start time of
                            the rejected character (its message's sent) */
};

/* The two sources an SE's UART can be driven by; the values are those of
 * SYSCTL.PORTSRC (regs/se_sysctl.h). */
enum iso7816_src {
    ISO7816_SRC_MCU = 0,
    ISO7816_SRC_PADS = 1,
    ISO7816_NSRC = 2,
};

/* Receive outcome flags (iso7816_char_receive, the port's on_rx). */
#define ISO7816_RX_PARITY  (1u << 0) /* parity wrong (or framing error) */
#define ISO7816_RX_FRAMING (1u << 1) /* etu mismatch beyond 1/5: garbage */
#define ISO7816_RX_NAKED   (1u << 2) /* port only: it sent a T=0 error
                                        signal, a repetition follows */

/* Even parity: the bit that makes the number of ones in data + parity
 * even. */
static inline unsigned iso7816_parity(uint8_t b)
{
    return (unsigned)__builtin_parity(b);
}

/* A character's message value: bits 0-7 the byte, bit 8 the parity bit
 * as on the line, bits 16-63 the sender's etu in ps (floor of the exact
 * value; used only for the mismatch check). */
static inline uint64_t iso7816_char_pack(uint8_t byte, unsigned parity,
                                         sim_time_t etu)
{
    return (uint64_t)byte | ((uint64_t)(parity & 1u) << 8) |
           ((uint64_t)etu << 16);
}

static inline uint8_t iso7816_char_byte(uint64_t v)
{
    return (uint8_t)v;
}

static inline unsigned iso7816_char_parity(uint64_t v)
{
    return (unsigned)(v >> 8) & 1u;
}

static inline sim_time_t iso7816_char_etu(uint64_t v)
{
    return (sim_time_t)(v >> 16);
}

/* Level of bit j of a character's waveform (0 start, 1..8 data LSB first,
 * 9 parity, then the idle high level). */
static inline unsigned iso7816_char_bit(uint8_t byte, unsigned parity,
                                        uint64_t j)
{
    if (j == 0)
        return 0;
    if (j <= 8)
        return (byte >> (j - 1)) & 1u;
    if (j == 9)
        return parity & 1u;
    return 1;
}

/* What a receiver with etu my_etu (ps) makes of a character message:
 * stores the byte it read in *byte and returns ISO7816_RX_* flags. */
static inline unsigned iso7816_char_receive(uint64_t v, sim_time_t my_etu,
                                            uint8_t *byte)
{
    uint8_t b = iso7816_char_byte(v);
    unsigned p = iso7816_char_parity(v);
    sim_time_t es = iso7816_char_etu(v);
    sim_time_t diff = es > my_etu ? es - my_etu : my_etu - es;
    if (es == 0 || diff * 5 > es) {
        /* sample bit i at the middle of the receiver's bit time i, on the
         * sender's waveform: bit index floor((i + 1/2) * er / es) */
        uint8_t r = 0;
        for (unsigned i = 1; i <= 8; i++) {
            uint64_t j = es ? ((2 * (uint64_t)i + 1) * my_etu) / (2 * es)
                            : 10;
            r |= (uint8_t)(iso7816_char_bit(b, p, j) << (i - 1));
        }
        *byte = r;
        return ISO7816_RX_FRAMING | ISO7816_RX_PARITY;
    }
    *byte = b;
    return iso7816_parity(b) != p ? ISO7816_RX_PARITY : 0;
}

/* True while an end cannot answer a character with a T=0 error signal
 * and cannot start to before its node's next event (its receiver is not
 * in T=0 mode and nothing but an event can change that: its core is
 * asleep). See iso7816_line_io_lookahead. */
typedef bool (*iso7816_quiet_fn)(void *ctx);

/* One end of a line: the node it lives in and the receive callback for
 * the links that end there; quiet (may be NULL: never known quiet) for
 * the lookahead. */
typedef struct iso7816_end {
    sim_node_t *node;
    sim_link_rx_fn rx;
    void *ctx;
    iso7816_quiet_fn quiet;
    void *quiet_ctx;
} iso7816_end_t;

/* The three links of one terminal <-> card line. Owned by the
 * composition; must outlive the sim. */
typedef struct iso7816_line {
    sim_link_t ctrl; /* terminal -> card: VCC, RST, CLK, PORTSRC; 100 ns */
    sim_link_t down; /* terminal -> card: CHAR, ERRSIG; 1 us */
    sim_link_t up;   /* card -> terminal: CHAR, ERRSIG; 1 us */
    char name_ctrl[64], name_down[64], name_up[64];
    iso7816_quiet_fn card_quiet; /* the card end's (may be NULL) */
    void *card_quiet_ctx;
} iso7816_line_t;

/* The lookahead of an I/O link (sim_link_lookahead_fn, ctx = the line).
 * What can still come on it: a character its sender starts, delivered 10
 * etu later, so no earlier than src_eot + 10 * ISO7816_MIN_ETU; or a T=0
 * error signal, sent when a character from the other side arrives (one in
 * flight, or one that side starts later) and landing ISO7816_IO_LATENCY
 * after. Without it a sleeping SE would hold the MCU to 1.1 us of progress
 * per scheduling round through the ctrl and I/O latencies. */
static inline sim_time_t iso7816_line_io_lookahead(void *ctx,
                                                   const sim_link_t *l,
                                                   sim_time_t src_eot)
{
    const iso7816_line_t *line = (const iso7816_line_t *)ctx;
    const sim_link_t *other = l == &line->down ? &line->up : &line->down;
    sim_time_t chr = sim_time_add(src_eot, 10 * ISO7816_MIN_ETU);
    sim_time_t first = sim_link_inflight(other);
    /* A character the card receives at its next event, while it is quiet,
     * gets no error signal: the event fires before its core can run and
     * change the receiver's mode. Without this, a sleeping card's T=1
     * receiver held the terminal to 1 us past each character's arrival,
     * two scheduling rounds per character. */
    if (l == &line->up && line->card_quiet &&
        sim_link_inflight_single(other) <= src_eot &&
        line->card_quiet(line->card_quiet_ctx))
        first = SIM_NEVER;
    sim_time_t arrive = sim_time_min(
        first, sim_time_add(other->src->eot, 10 * ISO7816_MIN_ETU));
    if (arrive < src_eot)
        arrive = src_eot;
    return sim_time_min(chr, sim_time_add(arrive, ISO7816_IO_LATENCY));
}

/* Creates the links of a line named `name` (links "<name>.ctrl",
 * "<name>.down", "<name>.up"). */
static inline void iso7816_line_init(iso7816_line_t *line, sim_t *sim,
                                     const char *name, iso7816_end_t term,
                                     iso7816_end_t card)
{
    snprintf(line->name_ctrl, sizeof line->name_ctrl, "%s.ctrl", name);
    snprintf(line->name_down, sizeof line->name_down, "%s.down", name);
    snprintf(line->name_up, sizeof line->name_up, "%s.up", name);
    sim_link_init(&line->ctrl, sim, line->name_ctrl, term.node, card.node,
                  ISO7816_CTRL_LATENCY, 0, card.rx, card.ctx);
    sim_link_init(&line->down, sim, line->name_down, term.node, card.node,
                  ISO7816_IO_LATENCY, 0, card.rx, card.ctx);
    sim_link_init(&line->up, sim, line->name_up, card.node, term.node,
                  ISO7816_IO_LATENCY, 0, term.rx, term.ctx);
    line->card_quiet = card.quiet;
    line->card_quiet_ctx = card.quiet_ctx;
    sim_link_set_lookahead(&line->down, iso7816_line_io_lookahead, line);
    sim_link_set_lookahead(&line->up, iso7816_line_io_lookahead, line);
}

/* How a terminal's port emits line messages: ctrl kinds (delivered at
 * `at` = now + ISO7816_CTRL_LATENCY) and I/O kinds (delivered at `at`).
 * A port drives a line directly, or the pads stand in between. */
typedef void (*iso7816_out_fn)(void *ctx, sim_time_t now, sim_time_t at,
                               uint32_t kind, uint64_t value);

static inline bool iso7816_kind_is_ctrl(uint32_t kind)
{
    return kind == ISO7816_MSG_VCC || kind == ISO7816_MSG_RST ||
           kind == ISO7816_MSG_CLK || kind == ISO7816_MSG_PORTSRC;
}

/* Sends a message on the link of `line` that carries its kind. */
static inline void iso7816_line_send(iso7816_line_t *line, sim_time_t now,
                                     sim_time_t at, uint32_t kind,
                                     uint64_t value)
{
    sim_link_send_at(iso7816_kind_is_ctrl(kind) ? &line->ctrl : &line->down,
                     now, at, kind, value, NULL, 0);
}

#endif /* MODELS_ISO7816_LINE_H */
