/* SPDX-License-Identifier: MIT */
/* models/terminals/cos_update.h - the COS update client: sends a signed
 * COS image to an SE's loader with the update protocol of docs/se.md
 * (BEGIN, LOAD blocks, STATUS, COMMIT) over any APDU channel.
 *
 * Models: the host side of the update, as a state machine driven by the
 * channel's completions: BEGIN with the 128-byte header, STATUS when
 * resuming (the loader says which block comes next), LOAD blocks of 128
 * bytes in order (P1 bit 7 on the last, block number in P1 & 0x7F : P2),
 * COMMIT. It stops at the first status word other than 9000 (or the first
 * channel failure) and reports it with the step and block. The channel is
 * a function (the contact reader's reader_update_transmit; the NFC and BLE
 * paths bring their own). Negative scenarios: skip a block, send one
 * twice, stop after N blocks (a truncated image, optionally committed
 * anyway), send a block of the wrong length. Progress and the outcome are
 * traced as TRACE_LOG lines when a bus is given.
 *
 * Reference: docs/se.md "The update protocol", firmware/include/
 * cos_image.h (header layout, INS codes, SWs); GlobalPlatform-style
 * LOAD numbering (PROTOCOLS.md).
 *
 * Notes:
 *  - the image is taken as given (header + code, kept by pointer while the
 *    update runs): the client does not check the signature or the hash,
 *    the loader does; the code length is the file's, not the header's;
 *  - no retry: a channel error ends the update (the loader's session
 *    survives, a later update with resume continues it). */
#ifndef MODELS_TERMINALS_COS_UPDATE_H
#define MODELS_TERMINALS_COS_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"
#include "sim/trace.h"

/* ---- the channel ---------------------------------------------------- */

/* What a channel reports for one command APDU. */
typedef struct cos_update_rsp {
    bool ok;                /* a response came back (any SW) */
    const char *error;      /* why not, when !ok */
    const uint8_t *data;    /* response data without the SW */
    size_t len;
    uint16_t sw;
} cos_update_rsp_t;

typedef void (*cos_update_rsp_fn)(void *ctx, sim_time_t now,
                                  const cos_update_rsp_t *rsp);

/* Sends one command APDU (the channel copies it) and calls done(ctx, ...)
 * once with the outcome. Returns 0 if started, non-zero if the channel
 * refused (busy): done is then not called. */
typedef int (*cos_update_transmit_fn)(void *chan, sim_time_t now,
                                      const uint8_t *apdu, size_t len,
                                      cos_update_rsp_fn done, void *ctx);

/* ---- the client ----------------------------------------------------- */

typedef enum cos_update_step {
    COS_UPDATE_STEP_NONE = 0,
    COS_UPDATE_STEP_BEGIN,
    COS_UPDATE_STEP_STATUS,
    COS_UPDATE_STEP_LOAD,
    COS_UPDATE_STEP_COMMIT,
    COS_UPDATE_STEP_DONE,
} cos_update_step_t;

typedef enum cos_update_status {
    COS_UPDATE_OK = 0,          /* COMMIT answered 9000 */
    COS_UPDATE_SW,              /* a step got a SW other than 9000 */
    COS_UPDATE_CHANNEL,         /* the channel failed or refused */
    COS_UPDATE_BAD_IMAGE,       /* shorter than the header, no code */
    COS_UPDATE_TRUNCATED,       /* stopped after N blocks as configured
                                 * (no COMMIT sent) */
} cos_update_status_t;

typedef struct cos_update_result {
    cos_update_status_t status;
    cos_update_step_t step;     /* the step that ended it */
    uint16_t sw;                /* its SW (0 if none) */
    uint32_t block;             /* LOAD: the block number sent */
    const char *error;          /* message ("" when ok) */
    size_t bytes_sent;          /* command APDU bytes, all steps */
    size_t code_bytes;          /* LOAD data bytes answered 9000 */
    unsigned blocks;            /* LOAD blocks answered 9000 */
    unsigned apdus;             /* command APDUs sent */
    uint32_t first_block;       /* where loading started (STATUS) */
    uint8_t loader_state;       /* STATUS: 0 idle, 1 loading, 2 loaded */
    sim_time_t start, end;
} cos_update_result_t;

typedef void (*cos_update_done_fn)(void *ctx, sim_time_t now,
                                   const cos_update_result_t *r);

#define COS_UPDATE_NONE (-1)    /* "no such block" for the options */

typedef struct cos_update_cfg {
    const char *name;           /* trace source: "update" */
    trace_bus_t *bus;           /* may be NULL */
    const uint8_t *image;       /* header (128) + code; kept by pointer */
    size_t image_len;
    cos_update_transmit_fn transmit;
    void *chan;
    cos_update_done_fn done;
    void *ctx;
    bool resume;                /* STATUS after BEGIN, load from its next
                                 * block (COMMIT at once if all loaded) */
    /* negative scenarios (COS_UPDATE_NONE = off) */
    long skip_block;            /* this block is not sent */
    long repeat_block;          /* this block is sent twice in a row */
    long stop_after;            /* stop after this many LOAD blocks */
    bool commit_after_stop;     /* ... and send COMMIT anyway */
    long wrong_len_block;       /* sent one byte short (one byte long if
                                 * it has a single byte) */
} cos_update_cfg_t;

typedef struct cos_update {
    cos_update_cfg_t cfg;
    size_t code_len;
    uint32_t nblocks;
    cos_update_step_t step;
    uint32_t next;              /* next block to send */
    uint32_t cur;               /* block of the LOAD in flight */
    long loads;                 /* LOAD APDUs sent */
    bool repeated;              /* the repeat was sent */
    bool running;
    uint8_t apdu[5 + 255];
    size_t apdu_len;
    cos_update_result_t res;
    char msg[160];
    /* for channels that answer from inside transmit (see send()) */
    bool in_send, have_rsp, looping, want_send;
    sim_time_t rsp_now, send_now;
    cos_update_rsp_t rsp;
    uint8_t rsp_data[16];
} cos_update_t;

/* Fills *cfg with the defaults: every option off. */
void cos_update_cfg_default(cos_update_cfg_t *cfg);
void cos_update_init(cos_update_t *u, const cos_update_cfg_t *cfg);
/* Starts the update: the first APDU goes to the channel now. done is
 * called once at the end (possibly from inside this call if the image is
 * bad or the channel refuses at once). Returns false if already running. */
bool cos_update_start(cos_update_t *u, sim_time_t now);
bool cos_update_running(const cos_update_t *u);

/* Number of LOAD blocks of an image of code_len bytes. */
uint32_t cos_update_blocks(size_t code_len);
const char *cos_update_step_name(cos_update_step_t s);
const char *cos_update_status_name(cos_update_status_t s);

#endif /* MODELS_TERMINALS_COS_UPDATE_H */
