/* SPDX-License-Identifier: MIT */
/* models/terminals/reader.h - the contact reader: the terminal that
 * activates a card through its contact pads, reads and checks the ATR,
 * negotiates the rate with PPS and exchanges APDUs in T=1 or T=0.
 *
 * Models: an ISO 7816-3 interface device living in the scenario's world
 * node. It owns an iso7816_port (VCC, RST, CLK, I/O), which the card
 * composition wires to the pads (reader_attach_pads) or straight to a line.
 * Every operation is asynchronous: it takes the present time and a
 * completion callback, called once, in the reader's node, when it is over:
 *  - power on (cold reset): VCC, CLK (3.5712 MHz), RST low for 500 clocks,
 *    RST high; the ATR received character by character, its first
 *    character checked against the 400..40 000 clock window, the ATR
 *    parsed; PPS to the card's TA1 when it is faster; T=1 set up (IFSC
 *    from the ATR, S(IFS request) for IFSD 254) or T=0 (WWT);
 *  - warm reset: RST low for 500 clocks then high, the ATR and PPS again;
 *  - transmit: one command APDU, its response (data + SW); T=1 through
 *    firmware/lib/t1 as the terminal (BGT before each block, BWT/CWT
 *    time-outs as events, chaining both ways, R-block recovery, S(WTX)),
 *    T=0 through firmware/lib/t0 (procedure bytes, 61xx, 6Cxx, WWT);
 *  - power off: deactivation in the order RST low, CLK stopped, VCC off.
 * Traces: the ATR as TRACE_ATR and every command and response APDU as
 * TRACE_APDU on the path "CONTACT>SE<n>" (n: the pads' route, else the
 * configured SE index), dir CMD / RSP; T=1 blocks as TRACE_FRAME (proto
 * T1) on the port's path; PPS, WTX, R-block recovery, S(IFS), resynch and
 * failures as TRACE_LOG. The port itself traces characters and levels.
 *
 * Reference: ISO/IEC 7816-3:2006 clauses 6.2-6.4 (activation, cold and
 * warm reset, deactivation), 8 (ATR: 8.1 the 400..40 000 clock window,
 * 8.2 the characters, initial waiting time 9600 etu), 9 (PPS), 10 (T=0,
 * WWT), 11 (T=1: BGT, BWT, CWT, chaining, error handling 11.6.3), 7.2 (16
 * etu between a character received and one sent the other way). docs/
 * reader.md, docs/t1.md, docs/iso7816.md.
 *
 * Notes:
 *  - a failed activation (ATR outside the window, incomplete, unparsable,
 *    no usable protocol, PPS refused or unanswered, S(IFS) failed) ends in
 *    a deactivation; the operation reports the error when VCC is off;
 *  - PPS is tried only in negotiable mode, with TA1 from the ATR (or a
 *    configured PPS1), and only when the resulting etu is shorter than the
 *    default and at least the line's 2 us floor; a refused PPS is not
 *    retried with the default rate (the caller may power on with PPS off);
 *  - the guard time TC1 = 255 (the minimum: 11 etu in T=1) is sent as 12
 *    etu (N = 0): the port has no 11-etu spacing;
 *  - time-outs: a character is late when its start bit begins after the
 *    limit (BWT, CWT, WWT, initial waiting time); the event that detects
 *    it fires 11 etu after the limit (a character that started in time has
 *    been received by then, with 1 etu of tolerance for a card whose etu
 *    differs a little);
 *  - a sent APDU or T=1 block is traced when the port has finished it
 *    (the end of the last character's guard time), so that records are
 *    never stamped before the node's present;
 *  - the clock frequency is not checked against the ATR's f(max); no
 *    inverse convention (the line model is direct-only); no NAD; no
 *    S(ABORT) from the reader side (firmware/lib/t1's limits). */
#ifndef MODELS_TERMINALS_READER_H
#define MODELS_TERMINALS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/lib/atr.h"
#include "firmware/lib/pps.h"
#include "firmware/lib/t0.h"
#include "firmware/lib/t1.h"
#include "models/iso7816_port.h"
#include "models/pads.h"
#include "models/terminals/cos_update.h"
#include "sim/clock.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/trace.h"

#define READER_CLK_DEFAULT      3571200u  /* Hz */
#define READER_RST_LOW_DEFAULT  500u      /* clocks (ISO: >= 400) */
#define READER_DEACT_DEFAULT    10u       /* clocks between deactivation
                                             steps */
#define READER_IFSD_DEFAULT     254u
#define READER_ATR_MIN_CLOCKS   400u      /* ISO/IEC 7816-3 8.1 */
#define READER_ATR_MAX_CLOCKS   40000u
#define READER_WT_INITIAL_ETU   9600u     /* 960 x WI 10: ATR and PPS */
#define READER_TURN_ETU         16u       /* ISO 7.2: received -> sent */
#define READER_APDU_MAX         4096u     /* command and response bytes */

typedef struct reader reader_t;
typedef struct reader_result reader_result_t;

typedef enum reader_op {
    READER_OP_NONE = 0,
    READER_OP_POWER_ON,
    READER_OP_WARM_RESET,
    READER_OP_TRANSMIT,
    READER_OP_POWER_OFF,
} reader_op_t;

typedef enum reader_status {
    READER_OK = 0,
    READER_ERR_BUSY,        /* another operation is in progress (returned
                             * by the call; the callback is not called) */
    READER_ERR_STATE,       /* not allowed now: card not powered/active,
                             * already powered, APDU too long */
    READER_ERR_ATR_TIMING,  /* first character outside 400..40 000 clocks
                             * (or none), or a gap over 9600 etu */
    READER_ERR_ATR,         /* ATR malformed: bad TS/TCK/length/values,
                             * character error, no T=0 or T=1 */
    READER_ERR_PPS,         /* PPS answer missing, wrong or refused */
    READER_ERR_TIMEOUT,     /* T=0 WWT expired */
    READER_ERR_PROTOCOL,    /* T=1 exchange failed (aborted, resynch,
                             * overflow), T=0 procedure error, response
                             * shorter than a SW */
    READER_ERR_DEAD,        /* T=1 S(RESYNCH) unanswered: reset the card */
    READER_ERR_ABORTED,     /* ended by reader_power_off */
} reader_status_t;

typedef enum reader_pps_policy {
    READER_PPS_AUTO = 0,    /* PPS when TA1 offers a faster rate */
    READER_PPS_OFF,         /* never: default rate, the ATR's first T */
} reader_pps_policy_t;

/* Completion of an operation; r (and the bytes it points to) is valid
 * only during the call. The callback may start the next operation. */
typedef void (*reader_done_fn)(void *ctx, sim_time_t now,
                               const reader_result_t *r);

struct reader_result {
    reader_op_t op;
    reader_status_t status;
    const char *error;      /* "" when status == READER_OK */
    /* bytes: the ATR (power on, warm reset: also after an ATR error, as
     * far as it was received), or the response data without the SW */
    const uint8_t *data;
    size_t len;
    uint16_t sw;            /* transmit: SW1 SW2 (0 if none) */
    sim_time_t start, end;  /* operation called, completed */

    /* activation (power on, warm reset) */
    sim_time_t rst_rise;    /* RST went high */
    sim_time_t atr_start;   /* start bit of TS; SIM_NEVER if none */
    sim_time_t atr_end;     /* end of the last ATR character */
    uint64_t atr_clocks;    /* CLK cycles from RST high to TS's start */
    bool pps;               /* a PPS exchange took place and succeeded */
    uint8_t pps1;           /* Fi/Di in force, PPS1 form (0x11 default) */
    uint8_t protocol;       /* 0 or 1 */
    uint16_t fi;
    uint8_t di;
    unsigned etu_clocks;    /* F/D of the port now */
    uint8_t ifsc, ifsd;     /* T=1 */
    uint32_t bwt_clocks, cwt_etu, wwt_clocks;

    /* exchange (transmit) */
    sim_time_t cmd_start;   /* start bit of the command's first character */
    sim_time_t cmd_end;     /* the command was on the line (see Notes) */
    sim_time_t rsp_start;   /* start bit of the response's first character */
    unsigned blocks_sent, blocks_received; /* T=1 */
    unsigned chars_sent, chars_received;
    unsigned retransmissions; /* T=1 R-blocks with an error, repeated
                               * blocks, S(RESYNCH) requests */
    unsigned wtx;           /* T=1 S(WTX) requests answered */
    unsigned timeouts;      /* BWT / CWT expiries */
};

typedef struct reader_cfg {
    const char *name;       /* trace source: "reader" */
    const char *path;       /* the port's bus: "contact" */
    const char *apdu_path;  /* APDU/ATR path prefix: "CONTACT" */
    sim_node_t *node;       /* the world node */
    trace_bus_t *bus;       /* may be NULL */
    uint64_t clk_hz;        /* 0 = READER_CLK_DEFAULT */
    unsigned rst_low_clocks;/* 0 = READER_RST_LOW_DEFAULT */
    unsigned deact_clocks;  /* 0 = READER_DEACT_DEFAULT */
    reader_pps_policy_t pps;
    uint8_t pps1;           /* 0: TA1; else this PPS1 is requested */
    uint8_t ifsd;           /* 0 = 254; 32 sends no S(IFS) */
    unsigned se_index;      /* route in APDU paths when no pads attached */
} reader_cfg_t;

/* Internal phases (reader.c). */
enum reader_phase {
    READER_PH_IDLE = 0,
    READER_PH_RST_LOW,      /* waiting to raise RST */
    READER_PH_ATR,          /* receiving the ATR */
    READER_PH_PPS,          /* PPS request sent, answer awaited */
    READER_PH_T1,           /* a T=1 exchange (S(IFS) or an APDU) */
    READER_PH_T0,           /* a T=0 command */
    READER_PH_OFF,          /* deactivating */
    READER_PH_FINISH,       /* result ready, callback pending */
};

struct reader {
    /* configuration */
    const char *name, *path, *apdu_path;
    sim_node_t *node;
    trace_bus_t *bus;
    uint64_t clk_hz;
    unsigned rst_low, deact;
    reader_pps_policy_t pps_policy;
    uint8_t pps1_cfg, ifsd_cfg;
    unsigned se_index;
    const pads_t *pads;

    iso7816_port_t port;
    sim_clock_t clk;        /* the CLK the reader drives (valid if on) */

    /* card state */
    bool vcc, clk_on, active;
    uint8_t atr[ATR_MAX_LEN];
    size_t atr_len;
    atr_t atr_info;
    uint8_t protocol;
    uint16_t fi;
    uint8_t di;
    uint8_t pps1_now;       /* Fi/Di in force, PPS1 form */
    unsigned etu_clocks, guard;
    uint32_t cwt_etu;
    t1_t t1;
    t0_term_t t0;

    /* the operation in progress */
    reader_op_t op;
    int phase;
    reader_done_fn done;
    void *done_ctx;
    reader_result_t res;
    char msg[200];
    sim_event_t seq_ev, tmo_ev, tx_ev;
    int seq_step, tmo_kind;
    bool in_call;           /* inside the call that started the op */
    uint64_t rst_edge;      /* CLK edge at which RST rises */

    /* receiving */
    sim_time_t last_rx_start; /* start bit of the last character received */
    uint8_t blk[T1_BLOCK_MAX + 8];
    size_t blk_len, blk_want;
    bool blk_err;
    sim_time_t blk_start;
    uint8_t pps_req[8], pps_rsp[8];
    size_t pps_req_len, pps_rsp_len;
    pps_t pps_want;         /* the request */

    /* sending */
    uint8_t txq[T1_BLOCK_MAX + 8];
    size_t txq_len;
    uint8_t txb[T1_BLOCK_MAX + 8]; /* the block on the line (trace) */
    size_t txb_len;
    uint8_t last_i[T1_BLOCK_MAX];  /* the last I-block of this exchange */
    size_t last_i_len;
    bool tx_busy;               /* bytes handed to the port, not idle yet */
    sim_time_t tx_not_before;   /* card still switching its rate */
    uint64_t tx_repeats0;       /* port repetitions when they were sent */

    /* the APDU exchange */
    uint8_t cmd[READER_APDU_MAX];
    size_t cmd_len, cmd_hdr_need, cmd_sent;
    bool cmd_traced, rsp_started;
    uint8_t rsp[READER_APDU_MAX];
    size_t rsp_len;

    /* reader_update_transmit's caller */
    cos_update_rsp_fn chan_done;
    void *chan_ctx;

    /* statistics over the reader's life */
    uint64_t stray_chars, apdus, atrs;
    uint64_t apdu_bytes;     /* command and response APDUs, SW included */
};

void reader_init(reader_t *r, sim_t *sim, const reader_cfg_t *cfg);
/* Cancels the operation in progress (no callback) and forgets the card's
 * state; levels on the port are left as driven. */
void reader_reset(reader_t *r);
void reader_cleanup(reader_t *r);
/* The card is gone (a power cut): the operation in progress is dropped
 * (no callback) and the pads are switched off at once (RST, CLK, VCC). */
void reader_drop(reader_t *r, sim_time_t now);

/* The reader's port, for the composition's wiring (pads_attach_port,
 * iso7816_port_connect). */
iso7816_port_t *reader_port(reader_t *r);
/* Wires the port to the pads and takes the APDU route from them. */
void reader_attach_pads(reader_t *r, pads_t *pads);

/* Operations. Each returns READER_OK when started (done is then called
 * exactly once, never from inside this call), or READER_ERR_BUSY when
 * another operation is in progress (done is not called). Other refusals
 * (READER_ERR_STATE) are reported through done. */
reader_status_t reader_power_on(reader_t *r, sim_time_t now,
                                reader_done_fn done, void *ctx);
reader_status_t reader_warm_reset(reader_t *r, sim_time_t now,
                                  reader_done_fn done, void *ctx);
/* The APDU is copied (up to READER_APDU_MAX bytes). */
reader_status_t reader_transmit(reader_t *r, sim_time_t now,
                                const uint8_t *apdu, size_t len,
                                reader_done_fn done, void *ctx);
/* Allowed while another operation runs: that one ends with
 * READER_ERR_ABORTED (its callback first), then the card is deactivated. */
reader_status_t reader_power_off(reader_t *r, sim_time_t now,
                                 reader_done_fn done, void *ctx);

/* The reader as a cos_update channel (cos_update_transmit_fn; chan = the
 * reader): reader_transmit, its result turned into a cos_update_rsp_t.
 * Returns non-zero if the reader is busy. */
int reader_update_transmit(void *chan, sim_time_t now, const uint8_t *apdu,
                           size_t len, cos_update_rsp_fn done, void *ctx);

/* Bit errors (iso7816_port_set_bit_errors): a probability per character
 * sent (cmd) and received (rsp), from time t. */
void reader_set_bit_errors(reader_t *r, sim_time_t t, double cmd,
                           double rsp);

/* Observers. */
bool reader_busy(const reader_t *r);
bool reader_active(const reader_t *r);   /* ATR done, protocol set up */
/* The last ATR received (its length in *len), NULL if none. */
const uint8_t *reader_atr(const reader_t *r, size_t *len);
unsigned reader_route(const reader_t *r);
const char *reader_status_name(reader_status_t s);
const char *reader_op_name(reader_op_t op);

#endif /* MODELS_TERMINALS_READER_H */
