/* SPDX-License-Identifier: MIT */
/* models/terminals/reader.c - the contact reader (see reader.h for what is
 * modelled, the references and the Notes; docs/reader.md for the
 * behaviour in full). */
#include "models/terminals/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "firmware/lib/pps.h"
#include "sim/fatal.h"

/* what tmo_ev detects when it fires */
enum {
    TMO_NONE,
    TMO_ATR_FIRST,  /* no TS within 40 000 clocks of RST high */
    TMO_ATR_NEXT,   /* a gap of more than 9600 etu inside the ATR */
    TMO_PPS,        /* PPS answer (or its next character) missing */
    TMO_BWT,        /* T=1: no block within BWT (x WTX) */
    TMO_CWT,        /* T=1: the block stopped arriving */
    TMO_WWT,        /* T=0: no byte within WWT */
};

/* what seq_ev does when it fires */
enum { SEQ_NONE, SEQ_RST_RISE, SEQ_CLK_STOP, SEQ_VCC_OFF, SEQ_FINISH };

/* Tolerance of every time-out event: it fires this many etu after the
 * latest start bit allowed, when a character that started in time has
 * been received (10 etu) with 1 etu to spare. */
#define TMO_SLACK_ETU 11u

/* ---- small helpers -------------------------------------------------- */

static sim_time_t cycles(const reader_t *r, uint64_t n)
{
    return sim_clock_cycles(&r->clk, n);
}

static sim_time_t etus(const reader_t *r, uint64_t n)
{
    return cycles(r, n * r->etu_clocks);
}

static const char *t1_err_name(int e)
{
    switch (e) {
    case T1_OK: return "ok";
    case T1_ERR_EDC: return "EDC error";
    case T1_ERR_FORMAT: return "bad block format";
    case T1_ERR_RX: return "character error or CWT";
    case T1_ERR_PROTOCOL: return "unexpected block";
    case T1_ERR_PARAM: return "bad parameter";
    case T1_ERR_STATE: return "not allowed now";
    case T1_ERR_OVERFLOW: return "response larger than the reader's buffer";
    case T1_ERR_ABORTED: return "aborted by the card (S(ABORT))";
    case T1_ERR_RESYNCH: return "retries exhausted, link resynchronised";
    case T1_ERR_DEAD: return "S(RESYNCH) unanswered";
    case T1_ERR_TIMEOUT: return "BWT expired";
    default: return "unknown error";
    }
}

static const char *t0_err_name(int e)
{
    switch (e) {
    case T0_OK: return "ok";
    case T0_ERR_APDU: return "not a short APDU";
    case T0_ERR_INS: return "INS 6x/9x cannot be sent in T=0";
    case T0_ERR_PROTOCOL: return "invalid procedure byte";
    case T0_ERR_TIMEOUT: return "WWT expired";
    case T0_ERR_OVERFLOW: return "response larger than the reader's buffer";
    case T0_ERR_STATE: return "not allowed now";
    default: return "error";
    }
}

static const char *atr_err_name(int e)
{
    switch (e) {
    case ATR_ERR_TRUNCATED: return "truncated";
    case ATR_ERR_TS: return "bad TS";
    case ATR_ERR_TCK: return "TCK wrong";
    case ATR_ERR_LENGTH: return "too long";
    case ATR_ERR_VALUE: return "reserved value";
    default: return "invalid";
    }
}

static void hex(char *buf, size_t cap, const uint8_t *b, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%02X", i ? " " : "",
                              b[i]);
}

/* ---- traces --------------------------------------------------------- */

static void logf_(reader_t *r, sim_time_t now, int level, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static void logf_(reader_t *r, sim_time_t now, int level, const char *fmt,
                  ...)
{
    if (!trace_wants(r->bus, TRACE_LOG))
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    trace_logf(r->bus, now, r->name, level, "%s", buf);
}

static void apdu_path(const reader_t *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s>SE%u", r->apdu_path, reader_route(r));
}

static void trace_bytes(reader_t *r, trace_kind_t kind, trace_dir_t dir,
                        sim_time_t start, sim_time_t now, const uint8_t *d,
                        size_t n)
{
    if (kind == TRACE_APDU)
        r->apdu_bytes += n;
    if (!trace_wants(r->bus, kind))
        return;
    char path[48];
    apdu_path(r, path, sizeof path);
    trace_rec_t rec = {
        .time = now, .start = start <= now ? start : now, .kind = kind,
        .source = r->name, .path = path, .dir = dir, .data = d, .len = n,
    };
    trace_publish(r->bus, &rec);
}

static void trace_block(reader_t *r, trace_dir_t dir, sim_time_t start,
                        sim_time_t now, const uint8_t *d, size_t n)
{
    if (!trace_wants(r->bus, TRACE_FRAME))
        return;
    t1_block_t b;
    trace_rec_t rec = {
        .time = now, .start = start <= now ? start : now,
        .kind = TRACE_FRAME, .source = r->name, .path = r->path, .dir = dir,
        .data = d, .len = n,
    };
    rec.u.frame.proto = TRACE_PROTO_T1;
    rec.u.frame.crc_ok =
        t1_block_decode(d, n, r->atr_info.edc, &b) != T1_ERR_EDC;
    trace_publish(r->bus, &rec);
}

/* ---- completion ----------------------------------------------------- */

static void set_error(reader_t *r, reader_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(reader_t *r, reader_status_t st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->res.status = st;
}

static void fill_state(reader_t *r)
{
    reader_result_t *s = &r->res;
    s->protocol = r->protocol;
    s->fi = r->fi;
    s->di = r->di;
    s->etu_clocks = r->etu_clocks;
    s->pps1 = r->pps1_now;
    if (r->active && r->protocol == 1) {
        s->ifsc = t1_ifsc(&r->t1);
        s->ifsd = t1_ifsd(&r->t1);
        s->bwt_clocks = atr_bwt_clocks(r->atr_info.bwi, r->fi, r->di);
        s->cwt_etu = r->cwt_etu;
    } else if (r->active) {
        s->wwt_clocks = atr_wwt_clocks(r->atr_info.wi, r->fi);
    }
}

/* Calls the operation's callback now, or from seq_ev at now when inside
 * the call that started the operation. */
static void complete(reader_t *r, sim_time_t now)
{
    sim_cancel(r->node, &r->tmo_ev);
    r->tmo_kind = TMO_NONE;
    if (r->in_call) {
        r->phase = READER_PH_FINISH;
        r->seq_step = SEQ_FINISH;
        sim_cancel(r->node, &r->seq_ev);
        sim_schedule(r->node, &r->seq_ev, now);
        return;
    }
    fill_state(r);
    reader_result_t res = r->res;
    res.end = now;
    res.error = r->msg;
    reader_done_fn done = r->done;
    void *ctx = r->done_ctx;
    r->op = READER_OP_NONE;
    r->phase = READER_PH_IDLE;
    r->done = NULL;
    r->done_ctx = NULL;
    if (res.status != READER_OK && trace_wants(r->bus, TRACE_LOG))
        logf_(r, now, 2, "%s failed: %s", reader_op_name(res.op), r->msg);
    if (done)
        done(ctx, now, &res);
}

/* ---- sending -------------------------------------------------------- */

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    reader_t *r = ev->ctx;
    if (!r->txq_len)
        return;
    memcpy(r->txb, r->txq, r->txq_len);
    r->txb_len = r->txq_len;
    r->tx_repeats0 = r->port.repeats;
    r->tx_busy = true;
    iso7816_port_send(&r->port, now, r->txq, r->txq_len);
    r->res.chars_sent += (unsigned)r->txq_len;
    r->txq_len = 0;
}

/* Sends n bytes no earlier than t (a turnaround after the last character
 * received, or after a rate change). */
static void queue_send(reader_t *r, sim_time_t now, sim_time_t t,
                       const uint8_t *b, size_t n)
{
    t = sim_time_max(t, sim_time_max(now, r->tx_not_before));
    if (sim_event_scheduled(&r->tx_ev)) {
        /* still waiting to go: append, keep the later time */
        t = sim_time_max(t, r->tx_ev.time);
        sim_cancel(r->node, &r->tx_ev);
    } else {
        r->txq_len = 0;
    }
    if (r->txq_len + n > sizeof r->txq)
        sim_fatal(now, "reader '%s': %zu bytes to send exceed its buffer",
                  r->name, r->txq_len + n);
    memcpy(r->txq + r->txq_len, b, n);
    r->txq_len += n;
    sim_schedule(r->node, &r->tx_ev, t);
}

/* Start bit of the first character of the burst the port just finished
 * (its last one started at port.tx_start, each 12 + N etu after the one
 * before; exact unless T=0 repeated a character). */
static sim_time_t burst_start(const reader_t *r)
{
    const iso7816_port_t *p = &r->port;
    if (!p->clk_hz || r->txb_len == 0)
        return p->tx_start;
    uint64_t e = sim_clock_edge_at_or_after(&p->clk, p->tx_start);
    uint64_t back = (uint64_t)(r->txb_len - 1) * (12u + p->guard) *
                    p->etu_clocks;
    if (p->repeats != r->tx_repeats0 || back > e)
        return p->tx_start;
    return sim_clock_edge(&p->clk, e - back);
}

/* ---- time-outs ------------------------------------------------------ */

/* Arms tmo_ev for a start bit due at or before `limit`. */
static void arm(reader_t *r, int kind, sim_time_t limit)
{
    r->tmo_kind = kind;
    sim_cancel(r->node, &r->tmo_ev);
    sim_time_t t = sim_time_add(limit, etus(r, TMO_SLACK_ETU));
    /* a deadline counted from a character's start bit can already be
     * past when that character is delivered (a card sending at another
     * etu than agreed, after it lost power): it expires now */
    if (t < r->node->firing)
        t = r->node->firing;
    sim_schedule(r->node, &r->tmo_ev, t);
}

static void disarm(reader_t *r)
{
    r->tmo_kind = TMO_NONE;
    sim_cancel(r->node, &r->tmo_ev);
}

/* ---- deactivation --------------------------------------------------- */

/* RST low now, CLK stopped deact clocks later, VCC off as much later;
 * the operation completes when VCC is off. */
static void deactivate(reader_t *r, sim_time_t now)
{
    disarm(r);
    sim_cancel(r->node, &r->tx_ev);
    r->txq_len = 0;
    r->tx_busy = false;
    r->active = false;
    r->phase = READER_PH_OFF;
    iso7816_port_set_rst(&r->port, now, false);
    sim_cancel(r->node, &r->seq_ev);
    if (r->clk_on) {
        r->seq_step = SEQ_CLK_STOP;
        uint64_t e = sim_clock_edge_at_or_after(&r->clk, now);
        sim_schedule(r->node, &r->seq_ev,
                     sim_clock_edge(&r->clk, e + r->deact));
    } else {
        r->seq_step = SEQ_VCC_OFF;
        sim_schedule(r->node, &r->seq_ev, now);
    }
}

/* An activation failed: the error is set; deactivate, report at VCC off. */
static void fail_activation(reader_t *r, sim_time_t now,
                            reader_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_activation(reader_t *r, sim_time_t now,
                            reader_status_t st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->res.status = st;
    logf_(r, now, 1, "%s: %s; deactivating", reader_op_name(r->op), r->msg);
    deactivate(r, now);
}

/* ---- activation ----------------------------------------------------- */

static void forget_card(reader_t *r)
{
    r->active = false;
    r->atr_len = 0;
    memset(&r->atr_info, 0, sizeof r->atr_info);
    r->protocol = 0;
    r->fi = ATR_FI_DEFAULT;
    r->di = ATR_DI_DEFAULT;
    r->pps1_now = 0x11;
    r->etu_clocks = ATR_FI_DEFAULT;
    r->guard = 0;
    r->cwt_etu = 0;
    r->blk_len = 0;
    r->tx_not_before = 0;
    r->last_rx_start = SIM_NEVER;
    r->txq_len = 0;
    r->tx_busy = false;
    memset(&r->t1, 0, sizeof r->t1);
    memset(&r->t0, 0, sizeof r->t0);
}

/* RST rises rst_low clocks after CLK edge e0. */
static void start_reset(reader_t *r, uint64_t e0)
{
    r->rst_edge = e0 + r->rst_low;
    r->res.rst_rise = sim_clock_edge(&r->clk, r->rst_edge);
    r->phase = READER_PH_RST_LOW;
    r->seq_step = SEQ_RST_RISE;
    sim_cancel(r->node, &r->seq_ev);
    sim_schedule(r->node, &r->seq_ev, r->res.rst_rise);
}

static void activation_done(reader_t *r, sim_time_t now)
{
    r->active = true;
    r->res.status = READER_OK;
    r->res.data = r->atr;
    r->res.len = r->atr_len;
    complete(r, now);
}

static void t1_pump(reader_t *r, sim_time_t now);

/* Protocol set up after the ATR (and the PPS). */
static void setup_protocol(reader_t *r, sim_time_t now)
{
    const atr_t *a = &r->atr_info;
    r->guard = a->n == 255 ? 0 : a->n;
    iso7816_port_set_guard(&r->port, now, r->guard);
    if (r->protocol == 1) {
        t1_params_t p = { .ifsc = a->ifsc, .edc = a->edc, .bwi = a->bwi,
                          .fi = r->fi, .di = r->di, .rx_buf = r->rsp,
                          .rx_cap = sizeof r->rsp };
        int rc = t1_init(&r->t1, T1_TERMINAL, &p);
        if (rc != T1_OK) {
            fail_activation(r, now, READER_ERR_ATR,
                            "T=1 parameters rejected (%s)", t1_err_name(rc));
            return;
        }
        r->cwt_etu = atr_cwt_etu(a->cwi);
        iso7816_port_set_t0(&r->port, now, false);
        if (r->ifsd_cfg != T1_IFS_DEFAULT) {
            rc = t1_request_ifs(&r->t1, r->ifsd_cfg);
            if (rc != T1_OK) {
                fail_activation(r, now, READER_ERR_ATR,
                                "S(IFS request) for IFSD %u refused (%s)",
                                r->ifsd_cfg, t1_err_name(rc));
                return;
            }
            r->phase = READER_PH_T1;
            t1_pump(r, now);
            return;
        }
    } else {
        t0_term_init(&r->t0, a->wi, r->fi);
        iso7816_port_set_t0(&r->port, now, true);
    }
    activation_done(r, now);
}

static void pps_send(reader_t *r, sim_time_t now, uint8_t t, uint8_t pps1)
{
    pps_t p = { .t = t, .present = PPS0_PPS1, .pps1 = pps1 };
    int n = pps_build(&p, r->pps_req, sizeof r->pps_req);
    if (n < 0) {
        fail_activation(r, now, READER_ERR_PPS, "cannot build PPS");
        return;
    }
    r->pps_req_len = (size_t)n;
    r->pps_rsp_len = 0;
    r->pps_want = p;
    r->phase = READER_PH_PPS;
    char h[32];
    hex(h, sizeof h, r->pps_req, r->pps_req_len);
    logf_(r, now, 0, "PPS request %s (T=%u, Fi %u, Di %u)", h, t,
          atr_fi_value(pps1 >> 4), atr_di_value(pps1 & 0x0F));
    queue_send(r, now,
               sim_time_add(r->last_rx_start, etus(r, READER_TURN_ETU)),
               r->pps_req, r->pps_req_len);
}

/* The whole ATR is in: check it, choose the protocol, PPS or not. */
static void atr_complete(reader_t *r, sim_time_t now)
{
    disarm(r);
    r->atrs++;
    r->res.atr_end = now;
    r->res.data = r->atr;
    r->res.len = r->atr_len;
    trace_bytes(r, TRACE_ATR, TRACE_DIR_RSP, r->res.atr_start, now, r->atr,
                r->atr_len);
    atr_t *a = &r->atr_info;
    int rc = atr_parse(r->atr, r->atr_len, a);
    if (rc != ATR_OK) {
        fail_activation(r, now, READER_ERR_ATR, "ATR rejected: %s",
                        atr_err_name(rc));
        return;
    }
    logf_(r, now, 0,
          "ATR of %zu bytes, TS %llu clocks after RST rose (window %u..%u)",
          r->atr_len, (unsigned long long)r->res.atr_clocks,
          READER_ATR_MIN_CLOCKS, READER_ATR_MAX_CLOCKS);

    if (a->specific) {
        /* specific mode (TA2): no PPS; TA1 applies unless implicit */
        if (a->specific_t > 1) {
            fail_activation(r, now, READER_ERR_ATR,
                            "specific mode with T=%u: not supported",
                            a->specific_t);
            return;
        }
        r->protocol = a->specific_t;
        if (!a->specific_implicit) {
            r->fi = a->fi;
            r->di = a->di;
            r->etu_clocks = atr_etu_clocks_round(a->fi, a->di);
            r->pps1_now = (uint8_t)(a->fi_code << 4 | a->di_code);
            iso7816_port_set_etu(&r->port, now, r->etu_clocks);
            r->tx_not_before = sim_time_add(now, etus(r, READER_TURN_ETU));
        }
        setup_protocol(r, now);
        return;
    }

    uint8_t ta1 = (a->g[0].present & ATR_TA) ? a->g[0].ta : 0x11;
    uint8_t pps1 = r->pps1_cfg ? r->pps1_cfg : ta1;
    bool want = r->pps_policy == READER_PPS_AUTO && pps1 != 0x11;
    if (want && !r->pps1_cfg) {
        /* only a faster rate the line can carry */
        unsigned e = atr_etu_clocks_round(atr_fi_value(pps1 >> 4),
                                          atr_di_value(pps1 & 0x0F));
        if (e == 0 || e >= ATR_FI_DEFAULT) {
            want = false;
        } else if (cycles(r, e) < ISO7816_MIN_ETU) {
            logf_(r, now, 1,
                  "TA1 %02X: etu of %u clocks is below the line's 2 us "
                  "floor; default rate kept", ta1, e);
            want = false;
        }
    }
    if (want) {
        uint8_t t = (a->protocols & 2u) ? 1 : (a->protocols & 1u) ? 0 : 0xFF;
        if (t == 0xFF) {
            fail_activation(r, now, READER_ERR_ATR,
                            "ATR offers neither T=0 nor T=1");
            return;
        }
        pps_send(r, now, t, pps1);
        return;
    }
    if (a->t_first > 1) {
        fail_activation(r, now, READER_ERR_ATR,
                        "ATR's first protocol T=%u is not supported",
                        a->t_first);
        return;
    }
    r->protocol = a->t_first;
    r->tx_not_before =
        sim_time_add(r->last_rx_start, etus(r, READER_TURN_ETU));
    setup_protocol(r, now);
}

static void atr_rx(reader_t *r, sim_time_t now, sim_time_t start, uint8_t b,
                   unsigned flags)
{
    if (r->atr_len == 0) {
        r->res.atr_start = start;
        sim_time_t rise = r->res.rst_rise;
        uint64_t c = start > rise
                         ? sim_clock_edges_through(&r->clk, start) -
                               sim_clock_edges_through(&r->clk, rise)
                         : 0;
        r->res.atr_clocks = c;
        if (start <= rise || c < READER_ATR_MIN_CLOCKS) {
            r->atr[r->atr_len++] = b;
            fail_activation(r, now, READER_ERR_ATR_TIMING,
                            "ATR started %llu clocks after RST rose, before "
                            "the %u-clock minimum",
                            (unsigned long long)c, READER_ATR_MIN_CLOCKS);
            return;
        }
        if (c > READER_ATR_MAX_CLOCKS) {
            r->atr[r->atr_len++] = b;
            fail_activation(r, now, READER_ERR_ATR_TIMING,
                            "ATR not started within %u clocks (TS after "
                            "%llu)",
                            READER_ATR_MAX_CLOCKS, (unsigned long long)c);
            return;
        }
    }
    if (r->atr_len >= sizeof r->atr) {
        fail_activation(r, now, READER_ERR_ATR, "ATR longer than %u bytes",
                        ATR_MAX_LEN);
        return;
    }
    r->atr[r->atr_len++] = b;
    r->res.atr_end = now;
    if (flags & ISO7816_RX_PARITY) {
        fail_activation(r, now, READER_ERR_ATR,
                        "ATR character %zu: %s error", r->atr_len - 1,
                        (flags & ISO7816_RX_FRAMING) ? "framing" : "parity");
        return;
    }
    int n = atr_length(r->atr, r->atr_len);
    if (n == ATR_ERR_TRUNCATED) {
        arm(r, TMO_ATR_NEXT,
            sim_time_add(start, etus(r, READER_WT_INITIAL_ETU)));
        return;
    }
    if (n < 0) {
        fail_activation(r, now, READER_ERR_ATR, "ATR rejected: %s",
                        atr_err_name(n));
        return;
    }
    if (r->atr_len >= (size_t)n)
        atr_complete(r, now);
    else
        arm(r, TMO_ATR_NEXT,
            sim_time_add(start, etus(r, READER_WT_INITIAL_ETU)));
}

static void pps_rx(reader_t *r, sim_time_t now, sim_time_t start, uint8_t b,
                   unsigned flags)
{
    if (flags & ISO7816_RX_PARITY) {
        fail_activation(r, now, READER_ERR_PPS,
                        "PPS answer character %zu: parity error",
                        r->pps_rsp_len);
        return;
    }
    if (r->pps_rsp_len < sizeof r->pps_rsp)
        r->pps_rsp[r->pps_rsp_len++] = b;
    int n = pps_length(r->pps_rsp, r->pps_rsp_len);
    if (n == PPS_ERR_TRUNCATED ||
        (n > 0 && r->pps_rsp_len < (size_t)n)) {
        arm(r, TMO_PPS, sim_time_add(start, etus(r, READER_WT_INITIAL_ETU)));
        return;
    }
    char req[32], ans[32];
    hex(req, sizeof req, r->pps_req, r->pps_req_len);
    hex(ans, sizeof ans, r->pps_rsp, r->pps_rsp_len);
    pps_t agreed;
    int rc = n < 0 ? n
                   : pps_check_answer(&r->pps_want, r->pps_rsp, r->pps_rsp_len,
                                      &agreed);
    if (rc != PPS_OK) {
        fail_activation(r, now, READER_ERR_PPS, "PPS %s answered %s: %s", req,
                        ans,
                        rc == PPS_ERR_REFUSED ? "refused"
                        : rc == PPS_ERR_PCK   ? "PCK wrong"
                                              : "malformed");
        return;
    }
    disarm(r);
    uint16_t fi = ATR_FI_DEFAULT;
    uint8_t di = ATR_DI_DEFAULT;
    if (agreed.present & PPS0_PPS1) {
        fi = atr_fi_value(agreed.pps1 >> 4);
        di = atr_di_value(agreed.pps1 & 0x0F);
    }
    unsigned e = atr_etu_clocks_round(fi, di);
    if (e == 0) {
        fail_activation(r, now, READER_ERR_PPS,
                        "PPS %s answered %s: RFU Fi/Di", req, ans);
        return;
    }
    /* The card switches once its answer's guard time is over (12 etu at
     * the old rate from the last start bit); our first character then
     * waits a turnaround at the new rate. */
    sim_time_t card_switch = sim_time_add(start, etus(r, 12));
    r->fi = fi;
    r->di = di;
    r->etu_clocks = e;
    r->protocol = agreed.t;
    r->res.pps = true;
    r->pps1_now = (agreed.present & PPS0_PPS1) ? agreed.pps1 : 0x11;
    iso7816_port_set_etu(&r->port, now, e);
    r->tx_not_before = sim_time_add(card_switch, etus(r, READER_TURN_ETU));
    logf_(r, now, 0, "PPS %s answered %s: T=%u, Fi %u, Di %u, etu %u clocks",
          req, ans, agreed.t, fi, di, e);
    setup_protocol(r, now);
}

/* ---- T=1 ------------------------------------------------------------ */

static void t1_finished(reader_t *r, sim_time_t now, t1_status_t st);

static void t1_note_sent(reader_t *r, const uint8_t *blk, size_t n,
                         sim_time_t now)
{
    uint8_t pcb = blk[1];
    r->res.blocks_sent++;
    if (T1_IS_I(pcb)) {
        /* the same I-block again within one exchange: a retransmission */
        bool again = r->last_i_len == n && memcmp(r->last_i, blk, n) == 0;
        memcpy(r->last_i, blk, n);
        r->last_i_len = n;
        if (again) {
            r->res.retransmissions++;
            logf_(r, now, 1, "T=1: I-block N(S)=%u sent again",
                  (pcb & T1_PCB_I_NS) ? 1 : 0);
        }
    } else if (T1_IS_R(pcb) && (pcb & 0x03u)) {
        r->res.retransmissions++;
        logf_(r, now, 1, "T=1: R-block N(R)=%u error %u (block lost or "
              "broken)", (pcb & T1_PCB_R_NR) ? 1 : 0, pcb & 0x03u);
    } else if (pcb == (T1_PCB_S | T1_S_RESYNCH)) {
        r->res.retransmissions++;
        logf_(r, now, 1, "T=1: S(RESYNCH request)");
    } else if (pcb == (T1_PCB_S | T1_PCB_S_RESPONSE | T1_S_WTX)) {
        logf_(r, now, 0, "T=1: S(WTX response) x%u", blk[3]);
    } else if (pcb == (T1_PCB_S | T1_S_IFS)) {
        logf_(r, now, 0, "T=1: S(IFS request) IFSD %u", blk[3]);
    }
}

static void t1_pump(reader_t *r, sim_time_t now)
{
    uint8_t blk[T1_BLOCK_MAX];
    int n = t1_next_tx(&r->t1, blk, sizeof blk);
    if (n > 0) {
        t1_note_sent(r, blk, (size_t)n, now);
        sim_time_t t = r->last_rx_start == SIM_NEVER
                           ? now
                           : sim_time_add(r->last_rx_start,
                                          etus(r, ATR_BGT_ETU));
        queue_send(r, now, t, blk, (size_t)n);
    }
    t1_status_t st = t1_status(&r->t1);
    if (st == T1_BUSY) {
        if (n <= 0 && !r->tx_busy && !sim_event_scheduled(&r->tx_ev)) {
            uint32_t c = t1_timeout_clocks(&r->t1);
            if (c)
                arm(r, TMO_BWT, sim_time_add(now, cycles(r, c)));
        }
        return;
    }
    t1_finished(r, now, st);
}

static void t1_finished(reader_t *r, sim_time_t now, t1_status_t st)
{
    disarm(r);
    bool activating = r->op == READER_OP_POWER_ON ||
                      r->op == READER_OP_WARM_RESET;
    switch (st) {
    case T1_APDU: {
        size_t len = t1_take_apdu(&r->t1);
        if (r->op != READER_OP_TRANSMIT)
            return;
        r->rsp_len = len;
        if (len < 2) {
            set_error(r, READER_ERR_PROTOCOL,
                      "response of %zu bytes: no status word", len);
            complete(r, now);
            return;
        }
        trace_bytes(r, TRACE_APDU, TRACE_DIR_RSP, r->res.rsp_start, now,
                    r->rsp, len);
        r->res.status = READER_OK;
        r->res.data = r->rsp;
        r->res.len = len - 2;
        r->res.sw = (uint16_t)(r->rsp[len - 2] << 8 | r->rsp[len - 1]);
        complete(r, now);
        return;
    }
    case T1_IDLE:
        if (activating) {
            logf_(r, now, 0, "T=1: IFSD %u accepted by the card",
                  t1_ifsd(&r->t1));
            activation_done(r, now);
        }
        return;
    case T1_FAILED:
        if (activating) {
            fail_activation(r, now, READER_ERR_PROTOCOL,
                            "S(IFS) exchange failed: %s",
                            t1_err_name(t1_error(&r->t1)));
            return;
        }
        set_error(r, READER_ERR_PROTOCOL, "T=1 exchange failed: %s",
                  t1_err_name(t1_error(&r->t1)));
        complete(r, now);
        return;
    case T1_DEAD:
        if (activating) {
            fail_activation(r, now, READER_ERR_DEAD,
                            "T=1 link dead during S(IFS)");
            return;
        }
        r->active = false;
        set_error(r, READER_ERR_DEAD,
                  "T=1: S(RESYNCH) unanswered, the card must be reset");
        complete(r, now);
        return;
    default:
        return;
    }
}

static void t1_block_in(reader_t *r, sim_time_t now)
{
    disarm(r);
    size_t n = r->blk_len;
    trace_block(r, TRACE_DIR_RSP, r->blk_start, now, r->blk, n);
    r->res.blocks_received++;
    t1_block_t b;
    if (!r->blk_err && t1_block_decode(r->blk, n, r->atr_info.edc, &b) ==
                           T1_OK) {
        if (b.pcb == (T1_PCB_S | T1_S_WTX) && b.len == 1) {
            r->res.wtx++;
            logf_(r, now, 0,
                  "T=1: S(WTX request) x%u: next block within BWT x%u",
                  b.inf[0], b.inf[0]);
        } else if (b.pcb == (T1_PCB_S | T1_S_IFS) && b.len == 1) {
            logf_(r, now, 0, "T=1: S(IFS request) from the card: IFSC %u",
                  b.inf[0]);
        } else if (T1_IS_I(b.pcb) && r->op == READER_OP_TRANSMIT &&
                   r->res.rsp_start == SIM_NEVER) {
            r->res.rsp_start = r->blk_start;
        }
    }
    int rc = t1_rx_block(&r->t1, r->blk, n, r->blk_err);
    if (rc != T1_OK && rc != T1_ERR_STATE)
        logf_(r, now, 1, "T=1: block of %zu bytes rejected: %s", n,
              t1_err_name(rc));
    r->blk_len = 0;
    r->blk_err = false;
    t1_pump(r, now);
}

static void t1_rx(reader_t *r, sim_time_t now, sim_time_t start, uint8_t b,
                  unsigned flags)
{
    disarm(r);
    if (r->blk_len == 0) {
        r->blk_start = start;
        r->blk_err = false;
        r->blk_want = 3;
    }
    if (flags & ISO7816_RX_PARITY)
        r->blk_err = true;
    if (r->blk_len < sizeof r->blk)
        r->blk[r->blk_len] = b;
    r->blk_len++;
    if (r->blk_len == 3)
        r->blk_want = t1_block_size(r->blk[2], r->atr_info.edc);
    if (r->blk_len >= r->blk_want) {
        if (r->blk_len > sizeof r->blk)
            r->blk_len = sizeof r->blk;
        t1_block_in(r, now);
        return;
    }
    arm(r, TMO_CWT, sim_time_add(start, etus(r, r->cwt_etu)));
}

/* ---- T=0 ------------------------------------------------------------ */

static void t0_pump(reader_t *r, sim_time_t now)
{
    uint8_t out[T1_BLOCK_MAX];
    size_t n = t0_term_next_tx(&r->t0, out, sizeof out);
    if (n > 0) {
        sim_time_t t = r->last_rx_start == SIM_NEVER
                           ? now
                           : sim_time_add(r->last_rx_start,
                                          etus(r, READER_TURN_ETU));
        queue_send(r, now, t, out, n);
    }
    switch (t0_term_status(&r->t0)) {
    case T0_DONE: {
        disarm(r);
        size_t len = t0_term_resp_len(&r->t0);
        r->rsp_len = len;
        trace_bytes(r, TRACE_APDU, TRACE_DIR_RSP, r->res.rsp_start, now,
                    r->rsp, len);
        r->res.status = READER_OK;
        r->res.data = r->rsp;
        r->res.len = len >= 2 ? len - 2 : 0;
        r->res.sw = len >= 2
                        ? (uint16_t)(r->rsp[len - 2] << 8 | r->rsp[len - 1])
                        : 0;
        complete(r, now);
        return;
    }
    case T0_FAILED: {
        disarm(r);
        int e = t0_term_error(&r->t0);
        set_error(r, e == T0_ERR_TIMEOUT ? READER_ERR_TIMEOUT
                                         : READER_ERR_PROTOCOL,
                  "T=0: %s", t0_err_name(e));
        complete(r, now);
        return;
    }
    default:
        break;
    }
    if (n == 0 && !r->tx_busy && !sim_event_scheduled(&r->tx_ev)) {
        uint32_t c = t0_term_timeout_clocks(&r->t0);
        sim_time_t from = r->last_rx_start == SIM_NEVER ? now
                                                        : r->last_rx_start;
        if (c)
            arm(r, TMO_WWT, sim_time_add(from, cycles(r, c)));
    }
}

static void t0_rx(reader_t *r, sim_time_t now, sim_time_t start, uint8_t b,
                  unsigned flags)
{
    if (flags & ISO7816_RX_NAKED)
        return;  /* rejected with an error signal: the card repeats it */
    disarm(r);
    if (r->res.rsp_start == SIM_NEVER)
        r->res.rsp_start = start;
    int rc = t0_term_rx(&r->t0, b);
    if (rc != T0_OK)
        logf_(r, now, 1, "T=0: byte %02X refused: %s", b, t0_err_name(rc));
    t0_pump(r, now);
}

/* ---- port callbacks ------------------------------------------------- */

static void on_rx(void *ctx, sim_time_t now, uint8_t b, unsigned flags)
{
    reader_t *r = ctx;
    /* the start bit of the character being delivered (exact; the port
     * keeps it for iso7816_port_nak while on_rx runs) */
    sim_time_t start = r->port.rx_start;
    r->res.chars_received++;
    switch (r->phase) {
    case READER_PH_ATR:
        if (start < r->res.start) {
            /* begun before this activation or reset (a card that was cut
             * off mid-character on the pads): not part of the ATR */
            r->stray_chars++;
            return;
        }
        r->last_rx_start = start;
        atr_rx(r, now, start, b, flags);
        return;
    case READER_PH_PPS:
        r->last_rx_start = start;
        pps_rx(r, now, start, b, flags);
        return;
    case READER_PH_T1:
        r->last_rx_start = start;
        t1_rx(r, now, start, b, flags);
        return;
    case READER_PH_T0:
        r->last_rx_start = start;
        t0_rx(r, now, start, b, flags);
        return;
    default:
        r->res.chars_received--;
        r->stray_chars++;
        if (r->active)
            r->last_rx_start = start;
        logf_(r, now, 1, "character %02X from the card outside an exchange",
              b);
        return;
    }
}

static void on_idle(void *ctx, sim_time_t now)
{
    reader_t *r = ctx;
    if (!r->tx_busy)
        return;
    r->tx_busy = false;
    sim_time_t first = burst_start(r);
    sim_time_t last = r->port.tx_start;
    switch (r->phase) {
    case READER_PH_PPS:
        arm(r, TMO_PPS, sim_time_add(last, etus(r, READER_WT_INITIAL_ETU)));
        return;
    case READER_PH_T1: {
        trace_block(r, TRACE_DIR_CMD, first, now, r->txb, r->txb_len);
        uint8_t pcb = r->txb[1];
        if (r->op == READER_OP_TRANSMIT && T1_IS_I(pcb)) {
            if (r->res.cmd_start == SIM_NEVER)
                r->res.cmd_start = first;
            if (!(pcb & T1_PCB_I_MORE) && !r->cmd_traced) {
                r->cmd_traced = true;
                r->res.cmd_end = now;
                trace_bytes(r, TRACE_APDU, TRACE_DIR_CMD, r->res.cmd_start,
                            now, r->cmd, r->cmd_len);
            }
        }
        uint32_t c = t1_timeout_clocks(&r->t1);
        if (c && r->blk_len == 0 && t1_status(&r->t1) == T1_BUSY)
            arm(r, TMO_BWT, sim_time_add(last, cycles(r, c)));
        return;
    }
    case READER_PH_T0: {
        if (r->res.cmd_start == SIM_NEVER)
            r->res.cmd_start = first;
        r->cmd_sent += r->txb_len;
        if (!r->cmd_traced && r->cmd_sent >= r->cmd_hdr_need) {
            r->cmd_traced = true;
            r->res.cmd_end = now;
            trace_bytes(r, TRACE_APDU, TRACE_DIR_CMD, r->res.cmd_start, now,
                        r->cmd, r->cmd_len);
        }
        uint32_t c = t0_term_timeout_clocks(&r->t0);
        if (c && t0_term_status(&r->t0) == T0_BUSY)
            arm(r, TMO_WWT, sim_time_add(last, cycles(r, c)));
        return;
    }
    default:
        return;
    }
}

/* ---- events --------------------------------------------------------- */

static void tmo_fire(sim_event_t *ev, sim_time_t now)
{
    reader_t *r = ev->ctx;
    int kind = r->tmo_kind;
    r->tmo_kind = TMO_NONE;
    switch (kind) {
    case TMO_ATR_FIRST:
        r->res.atr_clocks = 0;
        fail_activation(r, now, READER_ERR_ATR_TIMING,
                        "ATR not started within %u clocks",
                        READER_ATR_MAX_CLOCKS);
        return;
    case TMO_ATR_NEXT:
        fail_activation(r, now, READER_ERR_ATR_TIMING,
                        "ATR incomplete: %zu bytes, then nothing for %u etu",
                        r->atr_len, READER_WT_INITIAL_ETU);
        return;
    case TMO_PPS:
        fail_activation(r, now, READER_ERR_PPS,
                        "PPS not answered (%zu bytes within %u etu)",
                        r->pps_rsp_len, READER_WT_INITIAL_ETU);
        return;
    case TMO_BWT:
        r->res.timeouts++;
        logf_(r, now, 1, "T=1: BWT expired (%u clocks)",
              t1_timeout_clocks(&r->t1));
        t1_timeout(&r->t1);
        t1_pump(r, now);
        return;
    case TMO_CWT:
        r->res.timeouts++;
        logf_(r, now, 1, "T=1: CWT expired after %zu bytes of a block",
              r->blk_len);
        r->blk_err = true;
        t1_block_in(r, now);
        return;
    case TMO_WWT:
        r->res.timeouts++;
        t0_term_timeout(&r->t0);
        t0_pump(r, now);
        return;
    default:
        return;
    }
}

static void seq_fire(sim_event_t *ev, sim_time_t now)
{
    reader_t *r = ev->ctx;
    int step = r->seq_step;
    r->seq_step = SEQ_NONE;
    switch (step) {
    case SEQ_RST_RISE:
        iso7816_port_set_rst(&r->port, now, true);
        r->phase = READER_PH_ATR;
        r->atr_len = 0;
        sim_cancel(r->node, &r->tmo_ev);
        r->tmo_kind = TMO_ATR_FIRST;
        sim_schedule(r->node, &r->tmo_ev,
                     sim_time_add(sim_clock_edge(&r->clk,
                                                 r->rst_edge +
                                                     READER_ATR_MAX_CLOCKS),
                                  etus(r, TMO_SLACK_ETU)));
        return;
    case SEQ_CLK_STOP:
        iso7816_port_set_clk(&r->port, now, 0);
        r->clk_on = false;
        r->seq_step = SEQ_VCC_OFF;
        sim_schedule(r->node, &r->seq_ev, sim_time_add(now, cycles(r,
                                                                   r->deact)));
        return;
    case SEQ_VCC_OFF:
        iso7816_port_set_vcc(&r->port, now, false);
        r->vcc = false;
        r->active = false;
        complete(r, now);
        return;
    case SEQ_FINISH:
        complete(r, now);
        return;
    default:
        return;
    }
}

/* ---- operations ----------------------------------------------------- */

static reader_status_t begin(reader_t *r, reader_op_t op, sim_time_t now,
                             reader_done_fn done, void *ctx)
{
    if (r->op != READER_OP_NONE)
        return READER_ERR_BUSY;
    memset(&r->res, 0, sizeof r->res);
    r->res.op = op;
    r->res.start = now;
    r->res.atr_start = SIM_NEVER;
    r->res.cmd_start = SIM_NEVER;
    r->res.rsp_start = SIM_NEVER;
    r->res.pps1 = 0x11;
    r->msg[0] = 0;
    r->op = op;
    r->done = done;
    r->done_ctx = ctx;
    r->in_call = true;
    return READER_OK;
}

reader_status_t reader_power_on(reader_t *r, sim_time_t now,
                                reader_done_fn done, void *ctx)
{
    reader_status_t st = begin(r, READER_OP_POWER_ON, now, done, ctx);
    if (st != READER_OK)
        return st;
    if (r->vcc) {
        set_error(r, READER_ERR_STATE,
                  "card already powered (warm reset or power off first)");
        complete(r, now);
    } else {
        forget_card(r);
        iso7816_port_reset(&r->port);
        sim_clock_init(&r->clk, r->path, r->clk_hz, now);
        /* ISO 7816-3 6.2.2: RST low, VCC, I/O receiving, CLK */
        iso7816_port_set_rst(&r->port, now, false);
        iso7816_port_set_vcc(&r->port, now, true);
        iso7816_port_set_clk(&r->port, now, r->clk_hz);
        r->vcc = true;
        r->clk_on = true;
        start_reset(r, 0);
    }
    r->in_call = false;
    return READER_OK;
}

reader_status_t reader_warm_reset(reader_t *r, sim_time_t now,
                                  reader_done_fn done, void *ctx)
{
    reader_status_t st = begin(r, READER_OP_WARM_RESET, now, done, ctx);
    if (st != READER_OK)
        return st;
    if (!r->vcc || !r->clk_on) {
        set_error(r, READER_ERR_STATE, "card not powered");
        complete(r, now);
    } else {
        disarm(r);
        sim_cancel(r->node, &r->tx_ev);
        forget_card(r);
        iso7816_port_reset(&r->port);
        iso7816_port_set_rst(&r->port, now, false);
        start_reset(r, sim_clock_edge_at_or_after(&r->clk, now));
    }
    r->in_call = false;
    return READER_OK;
}

/* Bytes of a short command the card must have before it is complete on
 * the line in T=0: the 5-byte header and Lc data bytes. */
static size_t t0_cmd_need(const uint8_t *c, size_t len)
{
    if (len > 5 && (len == 5u + c[4] || len == 6u + c[4]))
        return 5u + c[4];
    return 5;
}

reader_status_t reader_transmit(reader_t *r, sim_time_t now,
                                const uint8_t *apdu, size_t len,
                                reader_done_fn done, void *ctx)
{
    reader_status_t st = begin(r, READER_OP_TRANSMIT, now, done, ctx);
    if (st != READER_OK)
        return st;
    r->rsp_len = 0;
    r->last_i_len = 0;
    r->cmd_traced = false;
    r->cmd_sent = 0;
    r->blk_len = 0;
    if (!r->active) {
        set_error(r, READER_ERR_STATE, "card not active");
    } else if (len == 0 || len > sizeof r->cmd) {
        set_error(r, READER_ERR_STATE, "APDU of %zu bytes (1..%u)", len,
                  READER_APDU_MAX);
    } else {
        memcpy(r->cmd, apdu, len);
        r->cmd_len = len;
        r->apdus++;
        if (r->protocol == 1) {
            int rc = t1_send_apdu(&r->t1, r->cmd, len);
            if (rc != T1_OK) {
                set_error(r, READER_ERR_PROTOCOL, "T=1: cannot send (%s)",
                          t1_err_name(rc));
            } else {
                r->phase = READER_PH_T1;
                t1_pump(r, now);
            }
        } else {
            int rc = t0_term_start(&r->t0, r->cmd, len, r->rsp,
                                   sizeof r->rsp);
            if (rc != T0_OK) {
                set_error(r, READER_ERR_PROTOCOL, "T=0: %s",
                          t0_err_name(rc));
            } else {
                r->cmd_hdr_need = t0_cmd_need(r->cmd, len);
                r->phase = READER_PH_T0;
                t0_pump(r, now);
            }
        }
    }
    if (r->res.status != READER_OK)
        complete(r, now);
    r->in_call = false;
    return READER_OK;
}

reader_status_t reader_power_off(reader_t *r, sim_time_t now,
                                 reader_done_fn done, void *ctx)
{
    if (r->op == READER_OP_POWER_OFF)
        return READER_ERR_BUSY;
    if (r->op != READER_OP_NONE) {
        /* the operation in progress ends first, with its own callback */
        sim_cancel(r->node, &r->seq_ev);
        r->seq_step = SEQ_NONE;
        if (r->res.status == READER_OK)
            set_error(r, READER_ERR_ABORTED, "aborted by power off");
        reader_done_fn d = r->done;
        void *c = r->done_ctx;
        fill_state(r);
        reader_result_t res = r->res;
        res.end = now;
        res.error = r->msg;
        r->op = READER_OP_POWER_OFF; /* refuses new operations meanwhile */
        disarm(r);
        if (d)
            d(c, now, &res);
        r->op = READER_OP_NONE;
    }
    reader_status_t st = begin(r, READER_OP_POWER_OFF, now, done, ctx);
    if (st != READER_OK)
        return st;
    if (!r->vcc)
        complete(r, now);
    else
        deactivate(r, now);
    r->in_call = false;
    return READER_OK;
}

/* ---- the cos_update channel ----------------------------------------- */

static void chan_result(void *ctx, sim_time_t now, const reader_result_t *res)
{
    reader_t *r = ctx;
    cos_update_rsp_t c = {
        .ok = res->status == READER_OK, .error = res->error,
        .data = res->data, .len = res->len, .sw = res->sw,
    };
    cos_update_rsp_fn f = r->chan_done;
    void *fc = r->chan_ctx;
    r->chan_done = NULL;
    r->chan_ctx = NULL;
    if (f)
        f(fc, now, &c);
}

int reader_update_transmit(void *chan, sim_time_t now, const uint8_t *apdu,
                           size_t len, cos_update_rsp_fn done, void *ctx)
{
    reader_t *r = chan;
    if (r->op != READER_OP_NONE)
        return -1;
    r->chan_done = done;
    r->chan_ctx = ctx;
    if (reader_transmit(r, now, apdu, len, chan_result, r) != READER_OK) {
        r->chan_done = NULL;
        return -1;
    }
    return 0;
}

/* ---- lifecycle ------------------------------------------------------ */

void reader_init(reader_t *r, sim_t *sim, const reader_cfg_t *cfg)
{
    memset(r, 0, sizeof *r);
    r->name = cfg->name ? cfg->name : "reader";
    r->path = cfg->path ? cfg->path : "contact";
    r->apdu_path = cfg->apdu_path ? cfg->apdu_path : "CONTACT";
    r->node = cfg->node;
    r->bus = cfg->bus;
    if (!r->node)
        sim_fatal_plain("reader '%s': no node", r->name);
    r->clk_hz = cfg->clk_hz ? cfg->clk_hz : READER_CLK_DEFAULT;
    r->rst_low = cfg->rst_low_clocks ? cfg->rst_low_clocks
                                     : READER_RST_LOW_DEFAULT;
    r->deact = cfg->deact_clocks ? cfg->deact_clocks : READER_DEACT_DEFAULT;
    r->pps_policy = cfg->pps;
    r->pps1_cfg = cfg->pps1;
    r->ifsd_cfg = cfg->ifsd ? cfg->ifsd : READER_IFSD_DEFAULT;
    if (r->ifsd_cfg == 0xFF)
        sim_fatal_plain("reader '%s': IFSD 255 is reserved", r->name);
    r->se_index = cfg->se_index;
    sim_clock_init(&r->clk, r->path, r->clk_hz, 0);
    iso7816_port_cfg_t pc = { .name = r->name, .path = r->path,
                              .node = r->node, .bus = r->bus,
                              .on_rx = on_rx, .on_idle = on_idle,
                              .ctx = r };
    iso7816_port_init(&r->port, sim, &pc);
    sim_event_init(&r->seq_ev, "reader-seq", seq_fire, r);
    sim_event_init(&r->tmo_ev, "reader-timeout", tmo_fire, r);
    sim_event_init(&r->tx_ev, "reader-tx", tx_fire, r);
    forget_card(r);
}

void reader_reset(reader_t *r)
{
    sim_cancel(r->node, &r->seq_ev);
    sim_cancel(r->node, &r->tmo_ev);
    sim_cancel(r->node, &r->tx_ev);
    r->op = READER_OP_NONE;
    r->phase = READER_PH_IDLE;
    r->done = NULL;
    r->done_ctx = NULL;
    r->chan_done = NULL;
    r->in_call = false;
    forget_card(r);
}

void reader_drop(reader_t *r, sim_time_t now)
{
    reader_reset(r);
    if (!r->vcc)
        return;
    iso7816_port_set_rst(&r->port, now, false);
    iso7816_port_set_clk(&r->port, now, 0);
    iso7816_port_set_vcc(&r->port, now, false);
    r->vcc = false;
}

void reader_cleanup(reader_t *r)
{
    sim_cancel(r->node, &r->seq_ev);
    sim_cancel(r->node, &r->tmo_ev);
    sim_cancel(r->node, &r->tx_ev);
    iso7816_port_cleanup(&r->port);
}

iso7816_port_t *reader_port(reader_t *r)
{
    return &r->port;
}

void reader_attach_pads(reader_t *r, pads_t *pads)
{
    pads_attach_port(pads, &r->port);
    r->pads = pads;
}

void reader_set_bit_errors(reader_t *r, sim_time_t t, double cmd, double rsp)
{
    iso7816_port_set_bit_errors(&r->port, t, cmd, rsp);
}

/* ---- observers ------------------------------------------------------ */

bool reader_busy(const reader_t *r)
{
    return r->op != READER_OP_NONE;
}

bool reader_active(const reader_t *r)
{
    return r->active;
}

const uint8_t *reader_atr(const reader_t *r, size_t *len)
{
    if (len)
        *len = r->atr_len;
    return r->atr_len ? r->atr : NULL;
}

unsigned reader_route(const reader_t *r)
{
    return r->pads ? pads_route(r->pads) : r->se_index;
}

const char *reader_status_name(reader_status_t s)
{
    switch (s) {
    case READER_OK: return "ok";
    case READER_ERR_BUSY: return "busy";
    case READER_ERR_STATE: return "state";
    case READER_ERR_ATR_TIMING: return "atr-timing";
    case READER_ERR_ATR: return "atr";
    case READER_ERR_PPS: return "pps";
    case READER_ERR_TIMEOUT: return "timeout";
    case READER_ERR_PROTOCOL: return "protocol";
    case READER_ERR_DEAD: return "dead";
    case READER_ERR_ABORTED: return "aborted";
    }
    return "?";
}

const char *reader_op_name(reader_op_t op)
{
    switch (op) {
    case READER_OP_NONE: return "none";
    case READER_OP_POWER_ON: return "power on";
    case READER_OP_WARM_RESET: return "warm reset";
    case READER_OP_TRANSMIT: return "transmit";
    case READER_OP_POWER_OFF: return "power off";
    }
    return "?";
}
