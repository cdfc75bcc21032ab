/* SPDX-License-Identifier: MIT */
/* models/terminals/phone.h - the phone as an NFC reader: an ISO/IEC
 * 14443-A PCD that switches the field, activates the card (layer 3 and
 * RATS) and exchanges APDUs in ISO 14443-4 blocks.
 *
 * Models: the PCD side of the air interface of models/iso14443.h, living
 * in the scenario's world node. It sends frames on a link to the PICC
 * (phone_attach_air) and receives the PICC's frames through phone_air_rx
 * (the rx function of the PICC -> PCD link). The carrier starts when the
 * field goes on: that instant is carrier cycle 0, and every frame starts on
 * an exact carrier edge. Every operation is asynchronous, like the contact
 * reader's (reader.h): it takes the present time and a completion
 * callback, called once, in the phone's node, never from inside the call:
 *  - field on / off (FIELD messages; the carrier clock restarts at on);
 *  - activation: field on if off, 5 ms of unmodulated carrier, REQA (WUPA
 *    after a DESELECT), ANTICOLLISION (NVB 20) and SELECT (NVB 70) per
 *    cascade level (93, 95, 97) with the BCC and CRC_A checked, the UID
 *    assembled without cascade tags, then RATS (FSDI, CID) and the ATS
 *    parsed (FSCI, FWI, SFGI, CID support, historical bytes) when the SAK
 *    says ISO 14443-4;
 *  - transmit: one command APDU (activating first if needed) in I-blocks
 *    (block number from 0 after RATS, CID when the PICC supports it, never
 *    NAD), chained under FSC with an R(ACK) awaited for each chained block;
 *    a chained response acknowledged block by block with R(ACK); S(WTX)
 *    answered and the next wait stretched to FWT x WTXM once; a timeout or
 *    an invalid block answered with R(NAK) (R(ACK) while the PICC chains),
 *    up to `retries` times, then the exchange fails;
 *  - deselect: S(DESELECT) and its answer; the next activation uses WUPA.
 * Timing: the PCD's frames start at least `turnaround_fc` (default the
 * minimum PCD frame delay time, 1172 fc) after the end of the PICC's last
 * frame, and SFGT after the ATS. Answers are awaited with these limits on
 * the start of the PICC's frame (counted from the end of the PCD's frame):
 * REQA, ANTICOLLISION, SELECT: the layer 3 FDT (n = 9) plus
 * PHONE_L3_TOLERANCE_FC; RATS: PHONE_FWT_ACTIVATION_FC; blocks: FWT +
 * PHONE_DELTA_FWT_FC (FWT x WTXM after an S(WTX)). The time-out event
 * fires when the longest acceptable answer that started at the limit would
 * have ended, plus one bit period (answers arrive whole at their end).
 * Traces (source cfg.name, path cfg.path): field on/off and every frame
 * both ways as TRACE_FRAME (proto NFC_A, nfc_event FIELD_ON/OFF,
 * PCD_TO_PICC, PICC_TO_PCD; data with the CRC_A; crc_ok), each whole
 * command and response APDU as TRACE_APDU on cfg.apdu_path, dir CMD (at
 * the end of its last block, start = its first block's start) and RSP
 * (likewise, SW included); R-block recovery, WTX and failures as
 * TRACE_LOG.
 *
 * Reference: ISO/IEC 14443-2 (106 kbit/s), 14443-3:2018 6.1-6.2 (frames,
 * FDT), 6.3-6.5 (REQA/WUPA, ATQA, anticollision and select, cascade
 * levels, BCC, SAK), 14443-4:2018 5 (RATS, ATS, FSDI/FSCI, FWI/SFGI, TC1),
 * 7 (block format, FWT, S(WTX), chaining, PCD rules 1-6 of the block
 * protocol), 8 (DESELECT). docs/phone.md, /work/shared/design/
 * PROTOCOLS.md.
 *
 * Notes:
 *  - one PICC in the field: the whole UID is asked with NVB 20 (no
 *    bit-oriented anticollision), no HLTA, no PPS (106 kbit/s only);
 *  - layer 3 has no retries: a missing or wrong ATQA, UID, SAK or ATS ends
 *    the activation with the field left on;
 *  - PHONE_DELTA_FWT_FC is 49152 fc (unverified against the standard);
 *  - a frame of the PCD already on air when the field is switched off is
 *    finished first (the field goes off at the end of that frame);
 *  - after a failed operation the card is taken as lost (not active):
 *    switch the field off and on before activating again;
 *  - an operation aborted by phone_field(off) gets its callback with now =
 *    the t given to phone_field;
 *  - fault injection: phone_drop_rx() makes the phone ignore the next n
 *    frames of the PICC, as if they were lost on the air. */
#ifndef MODELS_TERMINALS_PHONE_H
#define MODELS_TERMINALS_PHONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/iso14443.h"
#include "models/terminals/cos_update.h"
#include "sim/clock.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/trace.h"

#define PHONE_FSDI_DEFAULT      8u        /* FSD 256 */
#define PHONE_RETRIES_DEFAULT   2u
#define PHONE_DELTA_FWT_FC      49152u
#define PHONE_FWT_ACTIVATION_FC 65536u    /* RATS -> start of the ATS */
#define PHONE_L3_TOLERANCE_FC   (4u * ISO14443_BIT_FC)
#define PHONE_FWI_DEFAULT       4u        /* ATS without TB1 */
#define PHONE_FSCI_DEFAULT      2u        /* ATS without T0: FSC 32 */
#define PHONE_UID_MAX           10u
#define PHONE_ATS_MAX           256u
#define PHONE_CMD_MAX           (65535u + 9u) /* extended APDU */
#define PHONE_RSP_MAX           (65536u + 2u) /* data + SW */

typedef struct phone phone_t;
typedef struct phone_result phone_result_t;

typedef enum phone_op {
    PHONE_OP_NONE = 0,
    PHONE_OP_FIELD,
    PHONE_OP_ACTIVATE,
    PHONE_OP_TRANSMIT,
    PHONE_OP_DESELECT,
} phone_op_t;

typedef enum phone_status {
    PHONE_OK = 0,
    PHONE_ERR_BUSY,         /* another operation is in progress (returned
                             * by the call; the callback is not called) */
    PHONE_ERR_STATE,        /* not allowed now: no air link, already
                             * active, not active (deselect), the PICC is
                             * not ISO 14443-4 (SAK), APDU empty or too
                             * long */
    PHONE_ERR_TIMEOUT,      /* no answer in time (layer 3, RATS, or a block
                             * after the retries) */
    PHONE_ERR_PROTOCOL,     /* a wrong answer: ATQA, UID BCC, SAK/ATS CRC
                             * or format, an invalid block after the
                             * retries, an unexpected block, a response
                             * without SW or over PHONE_RSP_MAX */
    PHONE_ERR_ABORTED,      /* ended by phone_field(off) */
} phone_status_t;

/* Completion of an operation; r (and the bytes it points to) is valid
 * only during the call. The callback may start the next operation. */
typedef void (*phone_done_fn)(void *ctx, sim_time_t now,
                              const phone_result_t *r);

struct phone_result {
    phone_op_t op;
    phone_status_t status;
    const char *error;      /* "" when status == PHONE_OK */
    /* bytes: the ATS without its CRC (activation), or the response data
     * without the SW (transmit) */
    const uint8_t *data;
    size_t len;
    uint16_t sw;            /* transmit: SW1 SW2 (0 if none) */
    sim_time_t start, end;  /* operation called, completed */

    /* activation (also filled by a transmit that activated first) */
    bool activated;         /* layer 3 done in this operation */
    sim_time_t field_on;    /* carrier cycle 0 */
    sim_time_t reqa_start;  /* start of REQA/WUPA */
    uint8_t atqa[2];
    uint8_t uid[PHONE_UID_MAX];
    size_t uid_len;         /* 4, 7 or 10 */
    uint8_t sak;            /* the last SAK */
    uint8_t ats[PHONE_ATS_MAX]; /* without CRC_A */
    size_t ats_len;
    sim_time_t ats_end;     /* end of the ATS frame */
    bool iso_dep;           /* SAK bit 0x20: the ATS was read */
    unsigned fsci, fsc, fsd, fwi, sfgi;
    bool cid_supported;     /* TC1 bit 2 */
    bool cid_used;          /* blocks carry the CID byte */
    uint64_t fwt_fc, sfgt_fc;
    const uint8_t *hist;    /* historical bytes, inside ats */
    size_t hist_len;

    /* exchange (transmit) */
    sim_time_t cmd_start;   /* start of the command's first I-block */
    sim_time_t cmd_end;     /* end of its last I-block */
    sim_time_t rsp_start;   /* start of the response's first I-block */
    unsigned frames_sent, frames_received;
    unsigned retries;       /* R(NAK)/R(ACK) sent for recovery, I-blocks
                             * and S(DESELECT) sent again */
    unsigned wtx;           /* S(WTX) requests answered */
    unsigned timeouts;      /* waits that expired */
};

typedef struct phone_cfg {
    const char *name;       /* trace source: "phone" */
    const char *path;       /* air bus: "nfc" */
    const char *apdu_path;  /* APDU path: "NFC>MCU" */
    sim_node_t *node;       /* the world node */
    trace_bus_t *bus;       /* may be NULL */
    unsigned fsdi;          /* 1..8 in RATS; 0 = PHONE_FSDI_DEFAULT */
    int cid;                /* 0..14 (RATS and blocks), -1 none */
    int retries;            /* recovery attempts per block; 0 = default 2,
                             * negative: none */
    unsigned turnaround_fc; /* PICC frame end -> PCD frame; 0 and values
                             * under 1172 give 1172 */
} phone_cfg_t;

/* Statistics over the phone's life. */
typedef struct phone_stats {
    uint64_t frames_sent, frames_received, apdus, activations, wtx, retries,
        timeouts, dropped, stray;
    uint64_t apdu_bytes;    /* command and response APDUs, SW included */
} phone_stats_t;

struct phone {
    /* configuration */
    const char *name, *path, *apdu_path;
    sim_node_t *node;
    trace_bus_t *bus;
    unsigned fsdi;
    int cid;
    unsigned retries;
    unsigned turnaround;
    sim_link_t *air;        /* PCD -> PICC */

    /* the field and the card */
    bool field;
    sim_clock_t fc;         /* carrier; edge 0 at field on */
    bool halted;            /* deselected since the field went on: WUPA */
    bool active;            /* ISO 14443-4 active (ATS received) */
    bool l3_done;           /* selected (SAK received) */
    uint8_t uid[PHONE_UID_MAX];
    size_t uid_len;
    uint8_t sak;
    uint8_t ats[PHONE_ATS_MAX];
    size_t ats_len;
    unsigned fsc, fwi, sfgi;
    bool use_cid;
    uint64_t fwt_fc;
    unsigned bn;            /* PCD block number */

    /* air timing (carrier cycles) */
    uint64_t next_tx_fc;    /* earliest start of the PCD's next frame */
    uint64_t tx_end_fc;     /* end of the PCD's last frame */
    sim_time_t tx_end;      /* the same as a time */
    uint64_t rx_limit_fc;   /* latest start of the awaited answer */
    bool waiting;           /* an answer is awaited */
    unsigned drop_rx;       /* PICC frames still to drop */

    /* the operation in progress */
    phone_op_t op;
    int step;               /* phone.c's step of the operation */
    phone_done_fn done;
    void *done_ctx;
    phone_result_t res;
    char msg[200];
    bool in_call;
    bool then_transmit;     /* transmit: activating first */
    bool field_target;      /* phone_field: on / off */
    sim_event_t seq_ev, tmo_ev, tx_ev;
    int seq_kind;

    /* the frame to send / on air */
    uint8_t txf[ISO14443_FRAME_MAX];
    size_t txf_len;
    bool txf_short;
    uint64_t txf_start_fc;

    /* layer 3 / 4 */
    unsigned cascade;       /* 0..2 */
    uint8_t l3_rx[5];       /* the UID CLn + BCC */
    uint8_t last_i[ISO14443_FRAME_MAX]; /* last I-block, for resending */
    size_t last_i_len;
    bool last_i_chain;
    int last_sent;          /* phone.c's kind of the last block sent */
    bool rx_chaining;       /* the PICC is chaining its response */
    unsigned retry_count;   /* recovery actions for the awaited block */
    unsigned wtxm;          /* next wait x WTXM (1: none) */

    /* the APDU exchange */
    uint8_t cmd[PHONE_CMD_MAX];
    size_t cmd_len, cmd_off, cmd_chunk;
    bool cmd_traced;
    uint8_t rsp[PHONE_RSP_MAX];
    size_t rsp_len;

    /* phone_update_transmit's caller */
    cos_update_rsp_fn chan_done;
    void *chan_ctx;

    phone_stats_t stats;
};

void phone_init(phone_t *p, sim_t *sim, const phone_cfg_t *cfg);
/* Cancels the operation in progress (no callback) and forgets the card
 * and the field state (no FIELD message is sent). */
void phone_reset(phone_t *p);
void phone_cleanup(phone_t *p);

/* The link that carries the phone's messages to the PICC (created by the
 * composition or the test, src = the phone's node). */
void phone_attach_air(phone_t *p, sim_link_t *to_picc);
/* The rx function of the PICC -> PCD link (rx_ctx = the phone). */
void phone_air_rx(void *ctx, const sim_msg_t *msg, sim_time_t now);

/* Operations. Each returns PHONE_OK when started (done is then called
 * exactly once, never from inside this call), or PHONE_ERR_BUSY when
 * another operation is in progress (done is not called). Other refusals
 * (PHONE_ERR_STATE) are reported through done. */

/* Switches the field at t (>= now; the node's present is used if
 * earlier). Switching it to the state it has is a no-op that succeeds.
 * Switching it off is allowed while another operation runs: that one ends
 * with PHONE_ERR_ABORTED (its callback first, from inside this call). */
phone_status_t phone_field(phone_t *p, sim_time_t t, bool on,
                           phone_done_fn done, void *ctx);
/* Field on if off, then layer 3 and (SAK 0x20) RATS/ATS. */
phone_status_t phone_activate(phone_t *p, sim_time_t now,
                              phone_done_fn done, void *ctx);
/* One command APDU (copied, 1..PHONE_CMD_MAX bytes); activates first if
 * the card is not active. */
phone_status_t phone_transmit(phone_t *p, sim_time_t now,
                              const uint8_t *apdu, size_t len,
                              phone_done_fn done, void *ctx);
/* S(DESELECT) to the active card. */
phone_status_t phone_deselect(phone_t *p, sim_time_t now,
                              phone_done_fn done, void *ctx);

/* The phone as a cos_update channel (cos_update_transmit_fn; chan = the
 * phone): phone_transmit, its result turned into a cos_update_rsp_t.
 * Returns non-zero if the phone is busy. */
int phone_update_transmit(void *chan, sim_time_t now, const uint8_t *apdu,
                          size_t len, cos_update_rsp_fn done, void *ctx);

/* Fault injection: the next n frames from the PICC are ignored (counted
 * in stats.dropped), as if lost on the air. */
void phone_drop_rx(phone_t *p, unsigned n);

/* Observers. */
bool phone_busy(const phone_t *p);
bool phone_field_on(const phone_t *p);
bool phone_active(const phone_t *p);    /* ATS received, not deselected */
/* Time of carrier cycle n of the present field (SIM_NEVER if off). */
sim_time_t phone_cycle_time(const phone_t *p, uint64_t n);
const phone_stats_t *phone_stats(const phone_t *p);
const char *phone_status_name(phone_status_t s);
const char *phone_op_name(phone_op_t op);

#endif /* MODELS_TERMINALS_PHONE_H */
