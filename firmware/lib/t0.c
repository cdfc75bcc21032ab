/* SPDX-License-Identifier: MIT */
/* firmware/lib/t0.c - T=0 command transport through procedure bytes,
 * terminal and card sides (ISO/IEC 7816-3:2006 section 10 and 12.2;
 * PROTOCOLS.md). See t0.h for the contract. */
#include "t0.h"

#include "apdu.h"
#include "atr.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

/* Terminal ---------------------------------------------------------------- */

enum {
    TS_IDLE,
    TS_HDR,         /* sending the header */
    TS_PROC,        /* waiting for a procedure byte or SW1 */
    TS_DATA_OUT,    /* sending command data */
    TS_DATA_IN,     /* receiving response data */
    TS_SW2,         /* SW1 received */
    TS_DONE,
    TS_FAILED,
};

static bool is_sw1(uint8_t b)
{
    return (b & 0xF0) == 0x60 || (b & 0xF0) == 0x90;
}

void t0_term_init(t0_term_t *t, uint8_t wi, uint16_t fi)
{
    memset(t, 0, sizeof *t);
    t->wi = wi ? wi : ATR_WI_DEFAULT;
    t->fi = fi ? fi : ATR_FI_DEFAULT;
    t->state = TS_IDLE;
}

static int term_fail(t0_term_t *t, int err)
{
    t->state = TS_FAILED;
    t->err = (int8_t)err;
    return err;
}

/* (Re)sends hdr with P3 = n (256 -> 00) for n incoming bytes. */
static void term_incoming(t0_term_t *t, size_t n)
{
    t->hdr[4] = (uint8_t)n;
    t->incoming = true;
    t->tpdu_left = (uint16_t)n;
    t->hdr_off = 0;
    t->state = TS_HDR;
}

int t0_term_start(t0_term_t *t, const uint8_t *apdu, size_t len,
                  uint8_t *resp, size_t resp_cap)
{
    if (t->state != TS_IDLE && t->state != TS_DONE && t->state != TS_FAILED)
        return T0_ERR_STATE;
    if (!resp || resp_cap < 2)
        return T0_ERR_PARAM;
    apdu_cmd_t c;
    if (apdu_parse(apdu, len, &c) != APDU_OK)
        return T0_ERR_APDU;
    if (is_sw1(c.ins))
        return T0_ERR_INS;
    t->err = T0_OK;
    t->reissues = 0;
    t->ins = c.ins;
    t->data = c.data;
    t->nc = c.nc;
    t->data_off = 0;
    t->ne = c.ne;
    t->resp = resp;
    t->resp_cap = resp_cap;
    t->resp_len = 0;
    t->hdr[0] = c.cla;
    t->hdr[1] = c.ins;
    t->hdr[2] = c.p1;
    t->hdr[3] = c.p2;
    if (c.apdu_case == APDU_CASE_2S) {
        term_incoming(t, c.ne);
    } else {
        t->hdr[4] = (uint8_t)c.nc;  /* case 1: P3 = 00 */
        t->incoming = false;
        t->tpdu_left = 0;
        t->hdr_off = 0;
        t->state = TS_HDR;
    }
    return T0_OK;
}

size_t t0_term_next_tx(t0_term_t *t, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (t->state == TS_HDR) {
        while (n < cap && t->hdr_off < 5)
            out[n++] = t->hdr[t->hdr_off++];
        if (t->hdr_off == 5)
            t->state = TS_PROC;
    } else if (t->state == TS_DATA_OUT) {
        while (n < cap && t->now_left) {
            out[n++] = t->data[t->data_off++];
            t->now_left--;
        }
        if (!t->now_left)
            t->state = TS_PROC;
    }
    return n;
}

/* SW1 SW2 ended a TPDU: GET RESPONSE, reissue, or the end. */
static int term_sw(t0_term_t *t, uint8_t sw2)
{
    if (t->sw1 == 0x61 && t->ne && t->resp_len < t->ne) {
        size_t avail = sw2 ? sw2 : 256, want = t->ne - t->resp_len;
        t->hdr[0] = 0x00;
        t->hdr[1] = T0_INS_GET_RESPONSE;
        t->hdr[2] = 0x00;
        t->hdr[3] = 0x00;
        t->ins = T0_INS_GET_RESPONSE;
        t->reissues = 0;
        term_incoming(t, avail < want ? avail : want);
        return T0_OK;
    }
    if (t->sw1 == 0x6C && t->incoming && t->reissues < T0_MAX_REISSUE) {
        t->reissues++;
        term_incoming(t, sw2 ? sw2 : 256);
        return T0_OK;
    }
    t->resp[t->resp_len++] = t->sw1;  /* room kept by the data check */
    t->resp[t->resp_len++] = sw2;
    t->state = TS_DONE;
    return T0_OK;
}

int t0_term_rx(t0_term_t *t, uint8_t b)
{
    switch (t->state) {
    case TS_PROC:
        if (b == T0_NULL)
            return T0_OK;
        if (is_sw1(b)) {
            t->sw1 = b;
            t->state = TS_SW2;
            return T0_OK;
        }
        uint8_t one = (uint8_t)(t->ins ^ 0xFFu);  /* INS xor FF: one byte */
        if (b == t->ins || b == one) {
            size_t left = t->incoming ? t->tpdu_left : (size_t)(t->nc - t->data_off);
            if (!left)
                return term_fail(t, T0_ERR_PROTOCOL);
            t->now_left = (uint16_t)(b == t->ins ? left : 1);
            t->state = t->incoming ? TS_DATA_IN : TS_DATA_OUT;
            return T0_OK;
        }
        return term_fail(t, T0_ERR_PROTOCOL);
    case TS_DATA_IN:
        if (t->resp_len + 3 > t->resp_cap)
            return term_fail(t, T0_ERR_OVERFLOW);
        t->resp[t->resp_len++] = b;
        t->tpdu_left--;
        if (--t->now_left == 0)
            t->state = TS_PROC;
        return T0_OK;
    case TS_SW2:
        return term_sw(t, b);
    default:
        return T0_ERR_STATE;  /* nothing awaited: dropped */
    }
}

static bool term_waiting(const t0_term_t *t)
{
    return t->state == TS_PROC || t->state == TS_DATA_IN ||
           t->state == TS_SW2;
}

void t0_term_timeout(t0_term_t *t)
{
    if (term_waiting(t))
        term_fail(t, T0_ERR_TIMEOUT);
}

uint32_t t0_term_timeout_clocks(const t0_term_t *t)
{
    return term_waiting(t) ? atr_wwt_clocks(t->wi, t->fi) : 0;
}

t0_status_t t0_term_status(const t0_term_t *t)
{
    switch (t->state) {
    case TS_IDLE:
        return T0_IDLE;
    case TS_DONE:
        return T0_DONE;
    case TS_FAILED:
        return T0_FAILED;
    default:
        return T0_BUSY;
    }
}

int t0_term_error(const t0_term_t *t)
{
    return t->state == TS_FAILED ? t->err : T0_OK;
}

size_t t0_term_resp_len(const t0_term_t *t)
{
    return t->state == TS_DONE ? t->resp_len : 0;
}

/* Card -------------------------------------------------------------------- */

enum {
    CS_HDR,     /* receiving a header */
    CS_APP,     /* header (and data) delivered: the application answers */
    CS_DATA,    /* receiving command data */
    CS_SEND,    /* sending procedure byte / data / SW */
};

int t0_card_init(t0_card_t *c, uint8_t *buf, size_t cap)
{
    if (!buf || cap < 5)
        return T0_ERR_PARAM;
    memset(c, 0, sizeof *c);
    c->buf = buf;
    c->cap = cap;
    c->want = 5;
    c->state = CS_HDR;
    return T0_OK;
}

const uint8_t *t0_card_buf(const t0_card_t *c)
{
    return c->buf;
}

static void card_sw(t0_card_t *c, uint16_t sw)
{
    c->sw[0] = (uint8_t)(sw >> 8);
    c->sw[1] = (uint8_t)sw;
    c->sw_left = 2;
}

/* SW for "n bytes still to get": 61 n, 61 00 for 256 or more. */
static uint16_t more_sw(size_t n)
{
    return (uint16_t)(0x6100u | (n >= 256 ? 0 : n));
}

static void card_send(t0_card_t *c, uint8_t after)
{
    c->after = after;
    c->state = CS_SEND;
}

/* GET RESPONSE while response data wait: answered here. */
static void card_get_response(t0_card_t *c)
{
    size_t n = c->buf[4] ? c->buf[4] : 256;
    c->has_pre = false;
    c->out_len = 0;
    if (n > c->rlen) {
        card_sw(c, (uint16_t)(0x6C00u | c->rlen));  /* rlen < n <= 256 */
    } else {
        c->has_pre = true;
        c->pre = T0_INS_GET_RESPONSE;
        c->out = c->rdata;
        c->out_len = n;
        c->rdata += n;
        c->rlen -= n;
        card_sw(c, c->rlen ? more_sw(c->rlen) : c->rsw);
    }
    card_send(c, CS_HDR);
}

int t0_card_rx(t0_card_t *c, uint8_t b)
{
    if (c->state != CS_HDR && c->state != CS_DATA)
        return T0_ERR_STATE;
    c->buf[c->got++] = b;
    if (c->got < c->want)
        return T0_EV_NONE;
    if (c->state == CS_DATA) {
        c->data_in = true;
        c->state = CS_APP;
        return T0_EV_DATA;
    }
    c->data_in = false;
    if (c->buf[1] == T0_INS_GET_RESPONSE && c->rlen) {
        card_get_response(c);
        return T0_EV_NONE;
    }
    c->rlen = 0;  /* any other command drops what was left */
    c->state = CS_APP;
    return T0_EV_HEADER;
}

int t0_card_receive_data(t0_card_t *c)
{
    if (c->state != CS_APP || c->data_in)
        return T0_ERR_STATE;
    size_t p3 = c->buf[4];
    if (!p3)
        return T0_ERR_PARAM;
    if (5 + p3 > c->cap)
        return T0_ERR_OVERFLOW;
    c->want = 5 + p3;
    c->has_pre = true;
    c->pre = c->buf[1];  /* INS: send all the data */
    c->out_len = 0;
    c->sw_left = 0;
    card_send(c, CS_DATA);
    return T0_OK;
}

int t0_card_respond(t0_card_t *c, const uint8_t *data, size_t len,
                    uint16_t sw)
{
    if (c->state != CS_APP)
        return T0_ERR_STATE;
    if (len && !data)
        return T0_ERR_PARAM;
    c->has_pre = false;
    c->out_len = 0;
    c->rlen = 0;
    if (!len) {
        card_sw(c, sw);
    } else if (c->data_in) {  /* case 4: the data go by GET RESPONSE */
        c->rdata = data;
        c->rlen = len;
        c->rsw = sw;
        card_sw(c, more_sw(len));
    } else {
        size_t le = c->buf[4] ? c->buf[4] : 256;
        if (len < le) {
            card_sw(c, (uint16_t)(0x6C00u | len));  /* "ask for len" */
        } else {
            c->has_pre = true;
            c->pre = c->buf[1];
            c->out = data;
            c->out_len = le;
            if (len > le) {
                c->rdata = data + le;
                c->rlen = len - le;
                c->rsw = sw;
                card_sw(c, more_sw(c->rlen));
            } else {
                card_sw(c, sw);
            }
        }
    }
    card_send(c, CS_HDR);
    return T0_OK;
}

int t0_card_null(t0_card_t *c)
{
    if (c->state != CS_APP)
        return T0_ERR_STATE;
    c->has_pre = true;
    c->pre = T0_NULL;
    c->out_len = 0;
    c->sw_left = 0;
    card_send(c, CS_APP);
    return T0_OK;
}

size_t t0_card_next_tx(t0_card_t *c, uint8_t *out, size_t cap)
{
    if (c->state != CS_SEND)
        return 0;
    size_t n = 0;
    if (c->has_pre && n < cap) {
        out[n++] = c->pre;
        c->has_pre = false;
    }
    while (c->out_len && n < cap) {
        out[n++] = *c->out++;
        c->out_len--;
    }
    while (c->sw_left && n < cap) {
        out[n++] = c->sw[2 - c->sw_left];
        c->sw_left--;
    }
    if (!c->has_pre && !c->out_len && !c->sw_left) {
        c->state = c->after;
        if (c->state == CS_HDR) {
            c->got = 0;
            c->want = 5;
        }
    }
    return n;
}
