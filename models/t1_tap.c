/* SPDX-License-Identifier: MIT */
/* models/t1_tap.c - ATR, PPS, T=1 and APDU decoder on a 7816 line (see
 * t1_tap.h). */
#include "models/t1_tap.h"

#include <string.h>

#include "firmware/lib/atr.h"
#include "firmware/lib/pps.h"

enum { PH_OFF, PH_ATR, PH_AFTER_ATR, PH_PPS, PH_BLOCKS };

void t1_tap_init(t1_tap_t *t, const char *source, const char *bus_path,
                 const char *apdu_path, trace_bus_t *bus)
{
    memset(t, 0, sizeof *t);
    t->source = source;
    t->bus_path = bus_path;
    t->apdu_path = apdu_path;
    t->bus = bus;
    t1_tap_reset(t);
}

void t1_tap_reset(t1_tap_t *t)
{
    t->phase = PH_ATR;
    t->atr_len = 0;
    t->pps_len = 0;
    t->edc = T1_EDC_LRC;
    for (int d = 0; d < 2; d++) {
        t->dir[d].blk_len = 0;
        t->dir[d].ns = 0;
        t->dir[d].apdu_open = false;
        t->dir[d].apdu_len = 0;
    }
}

static void publish(t1_tap_t *t, trace_kind_t kind, trace_dir_t dir,
                    const char *path, sim_time_t start, sim_time_t end,
                    const uint8_t *d, size_t n, bool crc_ok)
{
    if (!trace_wants(t->bus, kind))
        return;
    trace_rec_t r = {
        .time = end, .start = start <= end ? start : end, .kind = kind,
        .source = t->source, .path = path, .dir = dir, .data = d, .len = n,
    };
    if (kind == TRACE_FRAME) {
        r.u.frame.proto = TRACE_PROTO_T1;
        r.u.frame.crc_ok = crc_ok;
    }
    trace_publish(t->bus, &r);
}

static void atr_char(t1_tap_t *t, uint8_t b, sim_time_t start,
                     sim_time_t end)
{
    if (t->atr_len == 0)
        t->atr_start = start;
    if (t->atr_len < sizeof t->atr)
        t->atr[t->atr_len++] = b;
    int n = atr_length(t->atr, t->atr_len);
    if (n == ATR_ERR_TRUNCATED)
        return;
    if (n < 0 || (size_t)n > sizeof t->atr) {
        t->phase = PH_OFF; /* not an ATR we can follow: stay silent */
        return;
    }
    if (t->atr_len < (size_t)n)
        return;
    publish(t, TRACE_ATR, TRACE_DIR_RSP, t->apdu_path, t->atr_start, end,
            t->atr, t->atr_len, true);
    atr_t a;
    if (atr_parse(t->atr, t->atr_len, &a) == ATR_OK)
        t->edc = a.edc == ATR_EDC_CRC ? T1_EDC_CRC : T1_EDC_LRC;
    t->phase = PH_AFTER_ATR;
}

/* PPS request (terminal) then its answer (card), each pps_length long. */
static void pps_char(t1_tap_t *t, bool from_card, uint8_t b)
{
    if (from_card != t->pps_from_card) {
        t->pps_len = 0;
        t->pps_from_card = from_card;
    }
    if (t->pps_len < sizeof t->pps)
        t->pps[t->pps_len++] = b;
    int n = pps_length(t->pps, t->pps_len);
    if (n == PPS_ERR_TRUNCATED)
        return;
    if (n < 0 || t->pps_len >= (size_t)n) {
        if (from_card)
            t->phase = PH_BLOCKS;
        t->pps_len = 0;
    }
}

static void block_done(t1_tap_t *t, int d, sim_time_t now, sim_time_t end)
{
    t1_tap_dir_t *s = &t->dir[d];
    t1_block_t b;
    int rc = t1_block_decode(s->blk, s->blk_len, t->edc, &b);
    bool ok = rc == T1_OK && !s->blk_err;
    t->blocks++;
    if (!ok)
        t->bad_blocks++;
    trace_dir_t dir = d ? TRACE_DIR_RSP : TRACE_DIR_CMD;
    publish(t, TRACE_FRAME, dir, t->bus_path, s->blk_start, end, s->blk,
            s->blk_len, rc != T1_ERR_EDC);
    if (!ok)
        return;
    if (T1_IS_S(b.pcb)) {
        /* S(RESYNCH response): both ways start again at N(S) 0 */
        if ((b.pcb & 0x3Fu) == (T1_PCB_S_RESPONSE | T1_S_RESYNCH)) {
            for (int k = 0; k < 2; k++) {
                t->dir[k].ns = 0;
                t->dir[k].apdu_open = false;
                t->dir[k].apdu_len = 0;
            }
        }
        return;
    }
    if (!T1_IS_I(b.pcb))
        return;
    uint8_t ns = (b.pcb & T1_PCB_I_NS) ? 1 : 0;
    if (ns != s->ns)
        return; /* a retransmission */
    s->ns ^= 1u;
    if (!s->apdu_open) {
        s->apdu_open = true;
        s->apdu_len = 0;
        s->apdu_overflow = false;
        s->apdu_start = s->blk_start;
    }
    if (s->apdu_len + b.len <= sizeof s->apdu) {
        memcpy(s->apdu + s->apdu_len, b.inf, b.len);
        s->apdu_len += b.len;
    } else {
        s->apdu_overflow = true;
    }
    if (b.pcb & T1_PCB_I_MORE)
        return;
    s->apdu_open = false;
    t->apdus++;
    if (t->on_apdu)
        t->on_apdu(t->on_apdu_ctx, d == 1, now, end);
    if (!s->apdu_overflow)
        publish(t, TRACE_APDU, dir, t->apdu_path, s->apdu_start, end,
                s->apdu, s->apdu_len, true);
}

static void block_char(t1_tap_t *t, bool from_card, uint8_t b,
                       sim_time_t start, sim_time_t end, bool err)
{
    int d = from_card ? 1 : 0;
    t1_tap_dir_t *s = &t->dir[d];
    /* a character of the other side ends any block left open this way */
    t->dir[!d].blk_len = 0;
    if (s->blk_len == 0) {
        s->blk_start = start;
        s->blk_err = false;
    }
    s->blk[s->blk_len++] = b;
    s->blk_err |= err;
    if (s->blk_len < 3)
        return;
    size_t want = t1_block_size(s->blk[2], t->edc);
    if (s->blk_len >= want || s->blk_len >= sizeof s->blk) {
        block_done(t, d, from_card ? end : start, end);
        s->blk_len = 0;
    }
}

void t1_tap_char(t1_tap_t *t, bool from_card, uint8_t b, sim_time_t start,
                 sim_time_t end, bool err)
{
    switch (t->phase) {
    case PH_OFF:
        return;
    case PH_ATR:
        if (from_card)
            atr_char(t, b, start, end);
        return;
    case PH_AFTER_ATR:
        if (!from_card && b == 0xFF) {
            t->phase = PH_PPS;
            t->pps_len = 0;
            t->pps_from_card = false;
            pps_char(t, false, b);
            return;
        }
        t->phase = PH_BLOCKS;
        block_char(t, from_card, b, start, end, err);
        return;
    case PH_PPS:
        pps_char(t, from_card, b);
        return;
    default:
        block_char(t, from_card, b, start, end, err);
        return;
    }
}
