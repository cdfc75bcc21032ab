/* SPDX-License-Identifier: MIT */
/* models/terminals/cos_update.c - the COS update client (see
 * cos_update.h for what is modelled and the Notes). */
#include "models/terminals/cos_update.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "firmware/include/cos_image.h"

#define STATUS_LEN 7u   /* state (1), next block (2), version (4) */

uint32_t cos_update_blocks(size_t code_len)
{
    return (uint32_t)((code_len + COS_BLOCK_LEN - 1) / COS_BLOCK_LEN);
}

const char *cos_update_step_name(cos_update_step_t s)
{
    switch (s) {
    case COS_UPDATE_STEP_NONE: return "none";
    case COS_UPDATE_STEP_BEGIN: return "BEGIN";
    case COS_UPDATE_STEP_STATUS: return "STATUS";
    case COS_UPDATE_STEP_LOAD: return "LOAD";
    case COS_UPDATE_STEP_COMMIT: return "COMMIT";
    case COS_UPDATE_STEP_DONE: return "done";
    }
    return "?";
}

const char *cos_update_status_name(cos_update_status_t s)
{
    switch (s) {
    case COS_UPDATE_OK: return "ok";
    case COS_UPDATE_SW: return "sw";
    case COS_UPDATE_CHANNEL: return "channel";
    case COS_UPDATE_BAD_IMAGE: return "bad-image";
    case COS_UPDATE_TRUNCATED: return "truncated";
    }
    return "?";
}

void cos_update_cfg_default(cos_update_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->name = "update";
    cfg->skip_block = COS_UPDATE_NONE;
    cfg->repeat_block = COS_UPDATE_NONE;
    cfg->stop_after = COS_UPDATE_NONE;
    cfg->wrong_len_block = COS_UPDATE_NONE;
}

void cos_update_init(cos_update_t *u, const cos_update_cfg_t *cfg)
{
    memset(u, 0, sizeof *u);
    u->cfg = *cfg;
    if (!u->cfg.name)
        u->cfg.name = "update";
}

bool cos_update_running(const cos_update_t *u)
{
    return u->running;
}

static void note(cos_update_t *u, sim_time_t now, int level,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void note(cos_update_t *u, sim_time_t now, int level,
                 const char *fmt, ...)
{
    if (!trace_wants(u->cfg.bus, TRACE_LOG))
        return;
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    trace_logf(u->cfg.bus, now, u->cfg.name, level, "%s", buf);
}

static void finish(cos_update_t *u, sim_time_t now, cos_update_status_t st,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void finish(cos_update_t *u, sim_time_t now, cos_update_status_t st,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->msg, sizeof u->msg, fmt, ap);
    va_end(ap);
    u->res.status = st;
    u->res.step = st == COS_UPDATE_OK ? COS_UPDATE_STEP_DONE : u->step;
    u->res.end = now;
    u->res.error = u->msg;
    u->running = false;
    u->step = COS_UPDATE_STEP_DONE;
    note(u, now, st == COS_UPDATE_OK || st == COS_UPDATE_TRUNCATED ? 0 : 2,
         "update %s: %s (%u blocks, %zu bytes sent)",
         cos_update_status_name(st), u->msg, u->res.blocks,
         u->res.bytes_sent);
    cos_update_result_t r = u->res;
    if (u->cfg.done)
        u->cfg.done(u->cfg.ctx, now, &r);
}

/* ---- the APDUs ------------------------------------------------------ */

static void build_begin(cos_update_t *u)
{
    uint8_t *a = u->apdu;
    a[0] = COS_CLA_PROPRIETARY;
    a[1] = COS_INS_BEGIN;
    a[2] = 0x02;
    a[3] = 0x00;
    a[4] = COS_IMAGE_HEADER_LEN;
    memcpy(a + 5, u->cfg.image, COS_IMAGE_HEADER_LEN);
    u->apdu_len = 5 + COS_IMAGE_HEADER_LEN;
}

static void build_status(cos_update_t *u)
{
    static const uint8_t status[] = { COS_CLA_PROPRIETARY, COS_INS_STATUS,
                                      0x00, 0x00, 0x00 };
    memcpy(u->apdu, status, sizeof status);
    u->apdu_len = sizeof status;
}

static void build_commit(cos_update_t *u)
{
    static const uint8_t commit[] = { COS_CLA_PROPRIETARY, COS_INS_COMMIT,
                                      0x00, 0x00 };
    memcpy(u->apdu, commit, sizeof commit);
    u->apdu_len = sizeof commit;
}

static void build_load(cos_update_t *u, uint32_t n)
{
    const uint8_t *code = u->cfg.image + COS_IMAGE_HEADER_LEN;
    size_t off = (size_t)n * COS_BLOCK_LEN;
    size_t len = u->code_len - off;
    if (len > COS_BLOCK_LEN)
        len = COS_BLOCK_LEN;
    size_t send = len;
    if (u->cfg.wrong_len_block == (long)n)
        send = len > 1 ? len - 1 : len + 1;
    uint8_t *a = u->apdu;
    bool last = n + 1 == u->nblocks;
    a[0] = COS_CLA_PROPRIETARY;
    a[1] = COS_INS_LOAD;
    a[2] = (uint8_t)(((n >> 8) & 0x7Fu) | (last ? COS_LOAD_P1_LAST : 0));
    a[3] = (uint8_t)n;
    a[4] = (uint8_t)send;
    /* one byte long: the byte after the block (0xFF past the image) */
    for (size_t i = 0; i < send; i++)
        a[5 + i] = off + i < u->code_len ? code[off + i] : 0xFF;
    u->apdu_len = 5 + send;
}

/* ---- the state machine ---------------------------------------------- */

static void on_rsp(void *ctx, sim_time_t now, const cos_update_rsp_t *rsp);
static void step_rsp(cos_update_t *u, sim_time_t now,
                     const cos_update_rsp_t *rsp);

/* Hands u->apdu to the channel. A channel that answers from inside its
 * transmit call does not make this recurse over the blocks: the answer is
 * kept (on_rsp), handled here, and the APDU it leads to is sent by the
 * same loop. */
static void send(cos_update_t *u, sim_time_t now)
{
    if (u->looping) {
        u->want_send = true;
        u->send_now = now;
        return;
    }
    u->looping = true;
    for (;;) {
        u->res.apdus++;
        u->res.bytes_sent += u->apdu_len;
        u->in_send = true;
        u->have_rsp = false;
        int rc = u->cfg.transmit(u->cfg.chan, now, u->apdu, u->apdu_len,
                                 on_rsp, u);
        u->in_send = false;
        if (rc != 0) {
            u->res.apdus--;
            u->res.bytes_sent -= u->apdu_len;
            finish(u, now, COS_UPDATE_CHANNEL,
                   "%s: channel refused the APDU",
                   cos_update_step_name(u->step));
            break;
        }
        if (!u->have_rsp)
            break;
        u->have_rsp = false;
        u->want_send = false;
        cos_update_rsp_t r = u->rsp;
        step_rsp(u, u->rsp_now, &r);
        if (!u->want_send)
            break;
        now = u->send_now;
    }
    u->looping = false;
}

/* The next LOAD to send, or COMMIT / the end when there is none. */
static void next_load(cos_update_t *u, sim_time_t now)
{
    if (u->cfg.stop_after >= 0 && u->loads >= u->cfg.stop_after) {
        if (u->cfg.commit_after_stop) {
            u->step = COS_UPDATE_STEP_COMMIT;
            build_commit(u);
            send(u, now);
            return;
        }
        finish(u, now, COS_UPDATE_TRUNCATED, "stopped after %ld blocks",
               u->loads);
        return;
    }
    if (u->cfg.skip_block >= 0 && u->next == (uint32_t)u->cfg.skip_block) {
        note(u, now, 1, "block %u skipped", u->next);
        u->next++;
    }
    if (u->next >= u->nblocks) {
        u->step = COS_UPDATE_STEP_COMMIT;
        build_commit(u);
        send(u, now);
        return;
    }
    u->step = COS_UPDATE_STEP_LOAD;
    u->cur = u->next;
    u->res.block = u->cur;
    build_load(u, u->cur);
    u->loads++;
    if (u->cfg.repeat_block == (long)u->cur && !u->repeated)
        u->repeated = true;  /* the same block once more after this one */
    else
        u->next++;
    send(u, now);
}

static void step_rsp(cos_update_t *u, sim_time_t now,
                     const cos_update_rsp_t *rsp)
{
    if (!rsp->ok) {
        finish(u, now, COS_UPDATE_CHANNEL, "%s: %s",
               cos_update_step_name(u->step),
               rsp->error && rsp->error[0] ? rsp->error : "channel error");
        return;
    }
    u->res.sw = rsp->sw;
    if (rsp->sw != SW_OK) {
        if (u->step == COS_UPDATE_STEP_LOAD)
            finish(u, now, COS_UPDATE_SW, "LOAD block %u: SW %04X", u->cur,
                   rsp->sw);
        else
            finish(u, now, COS_UPDATE_SW, "%s: SW %04X",
                   cos_update_step_name(u->step), rsp->sw);
        return;
    }
    switch (u->step) {
    case COS_UPDATE_STEP_BEGIN:
        if (u->cfg.resume) {
            u->step = COS_UPDATE_STEP_STATUS;
            build_status(u);
            send(u, now);
            return;
        }
        u->next = 0;
        u->res.first_block = 0;
        next_load(u, now);
        return;
    case COS_UPDATE_STEP_STATUS:
        if (rsp->len < STATUS_LEN) {
            finish(u, now, COS_UPDATE_SW,
                   "STATUS: %zu bytes of data, %u expected", rsp->len,
                   STATUS_LEN);
            return;
        }
        u->res.loader_state = rsp->data[0];
        u->next = (uint32_t)rsp->data[1] << 8 | rsp->data[2];
        u->res.first_block = u->next;
        note(u, now, 0, "resuming: loader state %u, next block %u",
             rsp->data[0], u->next);
        if (rsp->data[0] == 2)
            u->next = u->nblocks;  /* all loaded: COMMIT */
        next_load(u, now);
        return;
    case COS_UPDATE_STEP_LOAD: {
        size_t off = (size_t)u->cur * COS_BLOCK_LEN;
        size_t len = u->code_len - off;
        u->res.blocks++;
        u->res.code_bytes += len > COS_BLOCK_LEN ? COS_BLOCK_LEN : len;
        next_load(u, now);
        return;
    }
    case COS_UPDATE_STEP_COMMIT:
        if (u->cfg.stop_after >= 0 && u->loads >= u->cfg.stop_after &&
            u->next < u->nblocks) {
            finish(u, now, COS_UPDATE_TRUNCATED,
                   "stopped after %ld blocks, COMMIT answered 9000",
                   u->loads);
            return;
        }
        finish(u, now, COS_UPDATE_OK, "COMMIT 9000");
        return;
    default:
        return;
    }
}

static void on_rsp(void *ctx, sim_time_t now, const cos_update_rsp_t *rsp)
{
    cos_update_t *u = ctx;
    if (!u->running)
        return;
    if (u->in_send) {
        /* answered from inside transmit: keep a copy, send() goes on */
        u->rsp = *rsp;
        u->rsp.len = rsp->len < sizeof u->rsp_data ? rsp->len
                                                   : sizeof u->rsp_data;
        if (u->rsp.len)
            memcpy(u->rsp_data, rsp->data, u->rsp.len);
        u->rsp.data = u->rsp_data;
        u->rsp_now = now;
        u->have_rsp = true;
        return;
    }
    step_rsp(u, now, rsp);
}

bool cos_update_start(cos_update_t *u, sim_time_t now)
{
    if (u->running)
        return false;
    memset(&u->res, 0, sizeof u->res);
    u->msg[0] = 0;
    u->res.start = now;
    u->res.error = u->msg;
    u->running = true;
    u->loads = 0;
    u->repeated = false;
    u->next = 0;
    u->step = COS_UPDATE_STEP_BEGIN;
    if (!u->cfg.image || u->cfg.image_len <= COS_IMAGE_HEADER_LEN ||
        !u->cfg.transmit) {
        u->step = COS_UPDATE_STEP_NONE;
        finish(u, now, COS_UPDATE_BAD_IMAGE,
               "image of %zu bytes: a %u-byte header and code expected",
               u->cfg.image ? u->cfg.image_len : 0, COS_IMAGE_HEADER_LEN);
        return true;
    }
    u->code_len = u->cfg.image_len - COS_IMAGE_HEADER_LEN;
    u->nblocks = cos_update_blocks(u->code_len);
    if (u->nblocks > 0x8000u) {
        u->step = COS_UPDATE_STEP_NONE;
        finish(u, now, COS_UPDATE_BAD_IMAGE,
               "%u blocks: more than LOAD can number", u->nblocks);
        return true;
    }
    note(u, now, 0, "update: %zu bytes of code in %u blocks%s", u->code_len,
         u->nblocks, u->cfg.resume ? ", resuming" : "");
    build_begin(u);
    send(u, now);
    return true;
}
