/* SPDX-License-Identifier: MIT */
/* models/terminals/phone_ble.c - the phone's Bluetooth LE central: link
 * layer, L2CAP, ATT/GATT client and the APDU transport (see phone_ble.h
 * for what is modelled, the references and the Notes; docs/phone-ble.md
 * for the behaviour in full). */
#include "models/terminals/phone_ble.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/fatal.h"

/* link-layer state */
enum { LL_IDLE, LL_SCAN, LL_INIT, LL_CONN };

/* what tx_ev does when it fires */
enum { TX_CONNECT_IND, TX_ANCHOR, TX_NEXT, TX_END };

/* the ATT response awaited */
enum { A_NONE, A_MTU, A_SVC, A_CHR, A_DESC, A_LEN, A_CCCD, A_WRITE };

/* tags of an L2CAP SDU: the APDU's first / last fragment */
enum { TAG_FIRST = 1, TAG_LAST = 2 };

static const uint8_t uuid_svc[16] = BLE_APDU_UUID(BLE_APDU_UUID_SERVICE);
static const uint8_t uuid_in[16] = BLE_APDU_UUID(BLE_APDU_UUID_IN);
static const uint8_t uuid_out[16] = BLE_APDU_UUID(BLE_APDU_UUID_OUT);
static const uint8_t uuid_len[16] = BLE_APDU_UUID(BLE_APDU_UUID_LENGTH);

/* ---- small helpers -------------------------------------------------- */

static void put16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static unsigned get16(const uint8_t *b)
{
    return (unsigned)b[0] | (unsigned)b[1] << 8;
}

static sim_time_t units_1250(unsigned n)
{
    return SIM_US(1250) * n;
}

/* The supervision timeout (10 ms units) for an interval. */
static uint16_t sup_units(const phone_ble_t *p, unsigned interval)
{
    unsigned u = p->supervision_ms ? p->supervision_ms / 10u
                                   : (interval * 125u + 9u) / 10u;
    unsigned min = interval / 4u + 1u; /* > 2 intervals */
    if (u < min)
        u = min;
    if (u < 10u)
        u = 10u;
    if (u > 3200u)
        u = 3200u;
    return (uint16_t)u;
}

/* ---- traces --------------------------------------------------------- */

static void logf_(phone_ble_t *p, sim_time_t now, int level,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void logf_(phone_ble_t *p, sim_time_t now, int level,
                  const char *fmt, ...)
{
    if (!trace_wants(p->bus, TRACE_LOG))
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    trace_logf(p->bus, now, p->name, level, "%s", buf);
}

static void trace_packet(phone_ble_t *p, sim_time_t start, sim_time_t end,
                         const uint8_t *d, size_t n, unsigned ch,
                         unsigned type)
{
    if (!trace_wants(p->bus, TRACE_FRAME))
        return;
    trace_rec_t rec = {
        .time = end, .start = start, .kind = TRACE_FRAME,
        .source = p->name, .path = p->path, .dir = TRACE_DIR_CMD,
        .data = d, .len = n,
    };
    rec.u.frame.proto = TRACE_PROTO_BLE_LL;
    rec.u.frame.ble_channel = (uint8_t)ch;
    rec.u.frame.ble_pdu_type = (uint8_t)type;
    rec.u.frame.crc_ok = true;
    trace_publish(p->bus, &rec);
}

static void trace_apdu(phone_ble_t *p, trace_dir_t dir, sim_time_t start,
                       sim_time_t end, const uint8_t *d, size_t n)
{
    p->stats.apdu_bytes += n;
    if (!trace_wants(p->bus, TRACE_APDU))
        return;
    trace_rec_t rec = {
        .time = end, .start = start <= end ? start : end,
        .kind = TRACE_APDU, .source = p->name, .path = p->apdu_path,
        .dir = dir, .data = d, .len = n,
    };
    trace_publish(p->bus, &rec);
}

/* ---- completion ----------------------------------------------------- */

/* Calls the operation's callback now, or from seq_ev at now when inside
 * the call that started the operation. */
static void complete(phone_ble_t *p, sim_time_t now)
{
    if (p->in_call) {
        sim_cancel(p->node, &p->seq_ev);
        sim_schedule(p->node, &p->seq_ev, now);
        return;
    }
    sim_cancel(p->node, &p->op_tmo_ev);
    p->op_tmo_rsp = false;
    p->att = A_NONE;
    phone_ble_result_t res = p->res;
    res.end = now;
    res.error = p->msg;
    phone_ble_done_fn done = p->done;
    void *ctx = p->done_ctx;
    p->op = PHONE_BLE_OP_NONE;
    p->done = NULL;
    p->done_ctx = NULL;
    if (res.status != PHONE_BLE_OK)
        logf_(p, now, 2, "%s failed: %s", phone_ble_op_name(res.op),
              p->msg);
    if (done)
        done(ctx, now, &res);
}

static void fail(phone_ble_t *p, sim_time_t now, phone_ble_status_t st,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(phone_ble_t *p, sim_time_t now, phone_ble_status_t st,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->res.status = st;
    complete(p, now);
}

static void seq_fire(sim_event_t *ev, sim_time_t now)
{
    complete(ev->ctx, now);
}

/* ---- the link ending ------------------------------------------------ */

static void forget_link(phone_ble_t *p)
{
    sim_cancel(p->node, &p->tx_ev);
    sim_cancel(p->node, &p->rx_tmo_ev);
    sim_cancel(p->node, &p->sup_ev);
    p->ll = LL_IDLE;
    p->in_event = false;
    p->ready = false;
    p->cur_valid = false;
    p->n_ctrl = 0;
    p->sdu_len = p->sdu_off = 0;
    p->rsdu_on = false;
    p->upd_pending = p->upd_sent = false;
    p->term_sent = p->term_ack = false;
    p->att = A_NONE;
}

static void link_down(phone_ble_t *p, sim_time_t now, uint8_t reason,
                      const char *why)
{
    forget_link(p);
    p->last_reason = reason;
    p->stats.disconnects++;
    logf_(p, now, reason == BLE_ERR_REMOTE_USER_TERMINATED ? 0 : 1,
          "disconnected: %s (reason 0x%02X)", why, reason);
    p->res.reason = reason;
    if (p->op == PHONE_BLE_OP_DISCONNECT) {
        p->res.status = PHONE_BLE_OK;
        complete(p, now);
    } else if (p->op != PHONE_BLE_OP_NONE) {
        fail(p, now, PHONE_BLE_ERR_DISCONNECTED, "link %s (reason 0x%02X)",
             why, reason);
    }
}

/* ---- fault injection ------------------------------------------------ */

static bool lost(phone_ble_t *p, sim_time_t now)
{
    if (p->drop_rx) {
        p->drop_rx--;
        p->stats.dropped++;
        logf_(p, now, 1, "packet from the peripheral dropped");
        return true;
    }
    if (p->loss > 0.0 && sim_rng_unit(&p->node->rng) < p->loss) {
        p->stats.dropped++;
        logf_(p, now, 1, "packet from the peripheral lost");
        return true;
    }
    return false;
}

/* ---- link layer: the central's packets ------------------------------ */

static void ctrl_push(phone_ble_t *p, const uint8_t *d, size_t n,
                      bool front)
{
    if (p->n_ctrl == PHONE_BLE_CTRL_QUEUE) {
        sim_warn(p->node->now, p->name, "LL control queue full");
        return;
    }
    if (front) {
        memmove(&p->ctrl[1], &p->ctrl[0], p->n_ctrl * sizeof p->ctrl[0]);
    }
    phone_ble_pdu_t *c = &p->ctrl[front ? 0 : p->n_ctrl];
    memset(c, 0, sizeof *c);
    c->llid = BLE_LLID_CTRL;
    c->len = (uint8_t)n;
    memcpy(c->d, d, n);
    p->n_ctrl++;
}

static bool more_after_cur(const phone_ble_t *p)
{
    return p->n_ctrl > 0 || p->sdu_off < p->sdu_len ||
           (p->upd_pending && !p->upd_sent);
}

/* Length of the PDU the next packet would carry. */
static size_t next_len(const phone_ble_t *p)
{
    if (p->cur_valid)
        return p->cur.len;
    if (p->upd_pending && !p->upd_sent)
        return 12;
    if (p->n_ctrl)
        return p->ctrl[0].len;
    if (p->sdu_off < p->sdu_len) {
        size_t left = p->sdu_len - p->sdu_off;
        return left < p->tx_octets ? left : p->tx_octets;
    }
    return 0;
}

static void next_pdu(phone_ble_t *p)
{
    phone_ble_pdu_t *c = &p->cur;
    memset(c, 0, sizeof *c);
    if (p->upd_pending && !p->upd_sent) {
        p->upd_instant = (uint16_t)(p->counter + 6u);
        p->upd_sent = true;
        c->llid = BLE_LLID_CTRL;
        c->d[0] = BLE_LL_CONNECTION_UPDATE_IND;
        c->d[1] = 1;                    /* WinSize */
        put16(c->d + 2, 0);             /* WinOffset */
        put16(c->d + 4, p->upd_interval);
        put16(c->d + 6, 0);             /* latency */
        put16(c->d + 8, p->upd_timeout);
        put16(c->d + 10, p->upd_instant);
        c->len = 12;
    } else if (p->n_ctrl) {
        *c = p->ctrl[0];
        p->n_ctrl--;
        memmove(&p->ctrl[0], &p->ctrl[1], p->n_ctrl * sizeof p->ctrl[0]);
    } else if (p->sdu_off < p->sdu_len) {
        size_t left = p->sdu_len - p->sdu_off;
        size_t f = left < p->tx_octets ? left : p->tx_octets;
        c->llid = p->sdu_off == 0 ? BLE_LLID_START : BLE_LLID_CONT;
        c->len = (uint8_t)f;
        memcpy(c->d, p->sdu + p->sdu_off, f);
        c->sdu_first = p->sdu_off == 0;
        p->sdu_off += f;
        c->sdu_last = p->sdu_off == p->sdu_len;
        c->tag = p->sdu_tag;
    } else {
        c->llid = BLE_LLID_CONT;        /* empty PDU */
    }
    p->cur_valid = true;
    p->cur_sent = false;
}

static void send_data(phone_ble_t *p, sim_time_t now)
{
    if (!p->cur_valid)
        next_pdu(p);
    else if (p->cur_sent)
        p->stats.retransmissions++;
    phone_ble_pdu_t *c = &p->cur;
    uint8_t pdu[2 + BLE_PAYLOAD_MAX];
    p->tx_md = more_after_cur(p);
    pdu[0] = (uint8_t)(c->llid | (p->nesn ? BLE_HDR_NESN : 0u) |
                       (p->sn ? BLE_HDR_SN : 0u) |
                       (p->tx_md ? BLE_HDR_MD : 0u));
    pdu[1] = c->len;
    memcpy(pdu + 2, c->d, c->len);
    uint8_t pkt[BLE_PACKET_MAX];
    size_t n = ble_packet_build(pkt, p->cp.aa, pdu, 2u + c->len,
                                p->cp.crc_init);
    sim_time_t end = now + ble_packet_time(c->len);
    sim_link_send_at(p->air, now, end, BLE_MSG_PACKET, p->channel, pkt, n);
    trace_packet(p, now, end, pkt, n, p->channel, BLE_TRACE_M2S);
    p->stats.packets_sent++;
    if (!p->cur_sent && p->op == PHONE_BLE_OP_TRANSMIT) {
        if ((c->tag & TAG_FIRST) && c->sdu_first)
            p->res.cmd_start = now;
        if ((c->tag & TAG_LAST) && c->sdu_last) {
            p->res.cmd_end = end;
            trace_apdu(p, TRACE_DIR_CMD, p->res.cmd_start, end, p->cmd + 3,
                       p->msg_len - 3);
            p->stats.bytes_sent += p->msg_len - 3;
        }
    }
    p->cur_sent = true;
    p->tx_end = end;
    if (p->term_ack) {
        /* this packet acknowledges the peripheral's LL_TERMINATE_IND */
        p->tx_kind = TX_END;
        sim_schedule(p->node, &p->tx_ev, end);
        return;
    }
    sim_schedule(p->node, &p->rx_tmo_ev,
                 end + BLE_T_IFS + PHONE_BLE_IFS_TOL +
                     ble_packet_time(p->rx_octets) + PHONE_BLE_IFS_TOL);
}

static void close_event(phone_ble_t *p)
{
    p->in_event = false;
    p->tx_kind = TX_ANCHOR;
    sim_cancel(p->node, &p->tx_ev);
    sim_schedule(p->node, &p->tx_ev, p->anchor + p->interval_t);
}

static void start_connection(phone_ble_t *p, sim_time_t now,
                             sim_time_t ind_end);

static void send_connect_ind(phone_ble_t *p, sim_time_t now)
{
    uint8_t pdu[2 + BLE_CONNECT_IND_LEN];
    pdu[0] = (uint8_t)(BLE_CONNECT_IND | BLE_ADV_TXADD |
                       (p->peer_random ? BLE_ADV_RXADD : 0u));
    pdu[1] = BLE_CONNECT_IND_LEN;
    ble_connect_ind_encode(&p->cp, pdu + 2);
    uint8_t pkt[BLE_PACKET_MAX];
    size_t n = ble_packet_build(pkt, BLE_ADV_AA, pdu, sizeof pdu,
                                BLE_ADV_CRC_INIT);
    sim_time_t end = now + ble_packet_time(BLE_CONNECT_IND_LEN);
    sim_link_send_at(p->air, now, end, BLE_MSG_PACKET, p->channel, pkt, n);
    trace_packet(p, now, end, pkt, n, p->channel, BLE_TRACE_ADV);
    p->stats.packets_sent++;
    p->res.connect_ind_start = now;
    start_connection(p, now, end);
}

static void apply_update(phone_ble_t *p, sim_time_t now)
{
    p->upd_pending = p->upd_sent = false;
    p->cp.interval = p->upd_interval;
    p->cp.timeout = p->upd_timeout;
    p->interval_t = units_1250(p->upd_interval);
    p->sup_t = SIM_MS(10) * p->upd_timeout;
    logf_(p, now, 0, "connection update at event %u: interval %u x 1.25 ms,"
          " supervision %u0 ms", p->counter, p->cp.interval, p->cp.timeout);
    if (p->op == PHONE_BLE_OP_SET_INTERVAL) {
        p->res.status = PHONE_BLE_OK;
        p->res.params = p->cp;
        complete(p, now);
    }
}

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    phone_ble_t *p = ev->ctx;
    switch (p->tx_kind) {
    case TX_CONNECT_IND:
        send_connect_ind(p, now);
        return;
    case TX_ANCHOR:
        if (p->first_event)
            p->first_event = false;
        else
            p->counter++;
        p->anchor = now;
        if (p->upd_pending && p->upd_sent && p->counter == p->upd_instant)
            apply_update(p, now);
        p->channel = ble_csa1_next(&p->csa_last, p->cp.hop, p->cp.chm);
        p->stats.events++;
        p->in_event = true;
        send_data(p, now);
        return;
    case TX_NEXT:
        send_data(p, now);
        return;
    case TX_END:
        link_down(p, now, p->term_reason, "terminated by the peripheral");
        return;
    default:
        return;
    }
}

static void rx_tmo_fire(sim_event_t *ev, sim_time_t now)
{
    phone_ble_t *p = ev->ctx;
    (void)now;
    p->stats.no_answer++;
    close_event(p);
}

static void sup_fire(sim_event_t *ev, sim_time_t now)
{
    phone_ble_t *p = ev->ctx;
    sim_time_t deadline = p->got_rx ? p->last_rx + p->sup_t
                                    : p->anchor0 + 6u * p->interval_t;
    if (now < deadline) {
        sim_schedule(p->node, &p->sup_ev, deadline);
        return;
    }
    if (p->got_rx)
        link_down(p, now, BLE_ERR_CONN_TIMEOUT, "supervision timeout");
    else
        link_down(p, now, 0x3Eu, "failed to be established");
}

/* ---- ATT client: requests ------------------------------------------- */

/* Queues an ATT PDU as an L2CAP frame; false if the last one is still
 * being sent (one frame at a time: ATT has one request outstanding). */
static bool att_send(phone_ble_t *p, const uint8_t *d, size_t n, int tag)
{
    if (p->sdu_off < p->sdu_len || n + 4 > sizeof p->sdu)
        return false;
    put16(p->sdu, (unsigned)n);
    put16(p->sdu + 2, L2CAP_CID_ATT);
    memcpy(p->sdu + 4, d, n);
    p->sdu_len = n + 4;
    p->sdu_off = 0;
    p->sdu_tag = tag;
    return true;
}

/* A request: its response is awaited (ATT timeout). */
static void att_request(phone_ble_t *p, sim_time_t now, int awaited,
                        const uint8_t *d, size_t n, int tag)
{
    if (!att_send(p, d, n, tag)) {
        fail(p, now, PHONE_BLE_ERR_PROTOCOL,
             "ATT request while the last PDU is still being sent");
        return;
    }
    p->att = awaited;
    if (!p->op_tmo_rsp) {
        sim_cancel(p->node, &p->op_tmo_ev);
        sim_schedule(p->node, &p->op_tmo_ev, now + PHONE_BLE_ATT_TIMEOUT);
    }
}

static void req_group(phone_ble_t *p, sim_time_t now, unsigned start)
{
    uint8_t b[7] = { ATT_READ_BY_GROUP_REQ };
    put16(b + 1, start);
    put16(b + 3, 0xFFFF);
    put16(b + 5, GATT_UUID_PRIMARY);
    att_request(p, now, A_SVC, b, sizeof b, 0);
}

static void req_chr(phone_ble_t *p, sim_time_t now, unsigned start)
{
    uint8_t b[7] = { ATT_READ_BY_TYPE_REQ };
    put16(b + 1, start);
    put16(b + 3, p->svc_end);
    put16(b + 5, GATT_UUID_CHARACTERISTIC);
    att_request(p, now, A_CHR, b, sizeof b, 0);
}

static void req_desc(phone_ble_t *p, sim_time_t now, unsigned start)
{
    uint8_t b[5] = { ATT_FIND_INFO_REQ };
    put16(b + 1, start);
    put16(b + 3, p->next_decl - 1u);
    att_request(p, now, A_DESC, b, sizeof b, 0);
}

static void req_cccd(phone_ble_t *p, sim_time_t now)
{
    uint8_t b[5] = { ATT_WRITE_REQ };
    put16(b + 1, p->cccd_handle);
    b[3] = 0x01;
    b[4] = 0x00;
    att_request(p, now, A_CCCD, b, sizeof b, 0);
}

static void after_desc(phone_ble_t *p, sim_time_t now)
{
    if (p->len_handle) {
        uint8_t b[3] = { ATT_READ_REQ };
        put16(b + 1, p->len_handle);
        att_request(p, now, A_LEN, b, sizeof b, 0);
    } else {
        req_cccd(p, now);
    }
}

/* The next fragment of the command message as a Write Request. */
static void send_fragment(phone_ble_t *p, sim_time_t now)
{
    uint8_t b[3 + ATT_MTU_MAX];
    size_t o = 3;
    b[0] = ATT_WRITE_REQ;
    put16(b + 1, p->in_handle);
    int tag = p->msg_off == 0 ? TAG_FIRST : 0;
    if (p->msg_off > 0)
        b[o++] = (uint8_t)(p->seq_tx++ & 0x7Fu);
    size_t room = p->frag - (o - 3);
    size_t left = p->msg_len - p->msg_off;
    size_t f = left < room ? left : room;
    memcpy(b + o, p->cmd + p->msg_off, f);
    p->msg_off += f;
    if (p->msg_off == p->msg_len)
        tag |= TAG_LAST;
    p->res.frags_sent++;
    att_request(p, now, A_WRITE, b, o + f, tag);
}

static void arm_rsp_timer(phone_ble_t *p, sim_time_t now)
{
    p->op_tmo_rsp = true;
    sim_cancel(p->node, &p->op_tmo_ev);
    sim_schedule(p->node, &p->op_tmo_ev, now + p->rsp_timeout);
}

static void op_tmo_fire(sim_event_t *ev, sim_time_t now)
{
    phone_ble_t *p = ev->ctx;
    if (p->op == PHONE_BLE_OP_CONNECT && p->ll == LL_SCAN) {
        forget_link(p);
        fail(p, now, PHONE_BLE_ERR_TIMEOUT, "no advertiser found");
        return;
    }
    if (p->op_tmo_rsp)
        fail(p, now, PHONE_BLE_ERR_TIMEOUT, "no APDU response");
    else
        fail(p, now, PHONE_BLE_ERR_TIMEOUT, "no ATT response");
}

/* ---- ATT client: responses and notifications ------------------------ */

static void connect_ready(phone_ble_t *p, sim_time_t now)
{
    unsigned max = p->mtu - 3u;
    p->frag = p->len_char && p->len_char < max ? p->len_char : max;
    p->ready = true;
    phone_ble_result_t *r = &p->res;
    r->mtu = p->mtu;
    r->tx_octets = p->tx_octets;
    r->rx_octets = p->rx_octets;
    r->svc_start = p->svc_start;
    r->svc_end = p->svc_end;
    r->in_handle = p->in_handle;
    r->out_handle = p->out_handle;
    r->cccd_handle = p->cccd_handle;
    r->len_handle = p->len_handle;
    r->len_char = p->len_char;
    r->frag = p->frag;
    r->params = p->cp;
    r->status = PHONE_BLE_OK;
    logf_(p, now, 0, "APDU service ready: fragments of %u bytes", p->frag);
    complete(p, now);
}

static void notif_rx(phone_ble_t *p, sim_time_t now, const uint8_t *v,
                     size_t n)
{
    if (p->op != PHONE_BLE_OP_TRANSMIT || n == 0) {
        p->stats.stray++;
        return;
    }
    phone_ble_result_t *r = &p->res;
    r->frags_received++;
    const uint8_t *d;
    size_t dn;
    if (!p->rsp_on) {
        switch (v[0]) {
        case BLE_APDU_CMD_KEEPALIVE:
            r->keepalives++;
            p->stats.keepalives++;
            if (p->op_tmo_rsp)
                arm_rsp_timer(p, now);
            return;
        case BLE_APDU_CMD_PING:
            return;
        case BLE_APDU_CMD_ERROR:
            r->card_error = n >= 4 ? v[3] : BLE_APDU_ERR_OTHER;
            fail(p, now, PHONE_BLE_ERR_CARD, "the card answered ERROR %02X",
                 r->card_error);
            return;
        case BLE_APDU_CMD_MSG:
            if (n < 3) {
                fail(p, now, PHONE_BLE_ERR_PROTOCOL, "MSG of %zu bytes", n);
                return;
            }
            p->rsp_want = (size_t)v[1] << 8 | v[2];
            if (p->rsp_want > sizeof p->rsp) {
                fail(p, now, PHONE_BLE_ERR_PROTOCOL,
                     "response of %zu bytes", p->rsp_want);
                return;
            }
            p->rsp_on = true;
            p->rsp_len = 0;
            p->seq_rx = 0;
            r->rsp_start = p->rsdu_start;
            d = v + 3;
            dn = n - 3;
            break;
        default:
            fail(p, now, PHONE_BLE_ERR_PROTOCOL,
                 "notification with command %02X", v[0]);
            return;
        }
    } else {
        if (v[0] != p->seq_rx) {
            fail(p, now, PHONE_BLE_ERR_PROTOCOL,
                 "continuation SEQ %02X, %02X expected", v[0], p->seq_rx);
            return;
        }
        p->seq_rx = (p->seq_rx + 1u) & 0x7Fu;
        d = v + 1;
        dn = n - 1;
    }
    if (p->rsp_len + dn > p->rsp_want) {
        fail(p, now, PHONE_BLE_ERR_PROTOCOL, "response longer than %zu",
             p->rsp_want);
        return;
    }
    memcpy(p->rsp + p->rsp_len, d, dn);
    p->rsp_len += dn;
    if (p->rsp_len < p->rsp_want) {
        if (p->op_tmo_rsp)
            arm_rsp_timer(p, now);
        return;
    }
    p->rsp_on = false;
    if (p->rsp_len < 2) {
        fail(p, now, PHONE_BLE_ERR_PROTOCOL, "response without SW");
        return;
    }
    trace_apdu(p, TRACE_DIR_RSP, r->rsp_start, now, p->rsp, p->rsp_len);
    p->stats.apdus++;
    p->stats.bytes_received += p->rsp_len;
    r->sw = (uint16_t)(p->rsp[p->rsp_len - 2] << 8 | p->rsp[p->rsp_len - 1]);
    r->data = p->rsp;
    r->len = p->rsp_len - 2;
    r->status = PHONE_BLE_OK;
    complete(p, now);
}

static bool uuid_is(const uint8_t *u, size_t n, const uint8_t want[16])
{
    return n == 16 && memcmp(u, want, 16) == 0;
}

static void att_rx(phone_ble_t *p, sim_time_t now, const uint8_t *d,
                   size_t n)
{
    if (n == 0)
        return;
    uint8_t op = d[0];
    if (op == ATT_NOTIFY) {
        if (n >= 3 && p->ready && get16(d + 1) == p->out_handle)
            notif_rx(p, now, d + 3, n - 3);
        else
            p->stats.stray++;
        return;
    }
    if (op == ATT_MTU_REQ && n >= 3) {
        /* the card as a client: our MTU */
        uint8_t b[3] = { ATT_MTU_RSP };
        put16(b + 1, p->mtu_asked);
        unsigned m = get16(d + 1);
        if (m < p->mtu_asked && m >= ATT_MTU_DEFAULT)
            p->mtu = m;
        if (!att_send(p, b, sizeof b, 0))
            logf_(p, now, 1, "Exchange MTU from the card not answered");
        return;
    }
    if (op != ATT_ERROR_RSP && (op & 1u) == 0 && op < 0x40u &&
        op != 0x1Eu /* Handle Value Confirmation */) {
        /* a request: the phone has no GATT server of its own */
        uint8_t b[5] = { ATT_ERROR_RSP, op, 0, 0, ATT_ERR_REQ_NOT_SUPPORTED };
        if (!att_send(p, b, sizeof b, 0))
            logf_(p, now, 1, "ATT request %02X from the card not answered",
                  op);
        return;
    }
    int awaited = p->att;
    if (awaited == A_NONE) {
        p->stats.stray++;
        return;
    }
    bool err = op == ATT_ERROR_RSP && n >= 5;
    uint8_t code = err ? d[4] : 0;
    bool not_found = err && code == ATT_ERR_ATTR_NOT_FOUND;
    p->att = A_NONE;
    if (!p->op_tmo_rsp)
        sim_cancel(p->node, &p->op_tmo_ev);
    if (err && !(not_found && (awaited == A_SVC || awaited == A_CHR ||
                               awaited == A_DESC))) {
        fail(p, now, PHONE_BLE_ERR_PROTOCOL,
             "ATT error %02X on request %02X, handle %04X", code, d[1],
             get16(d + 2));
        return;
    }
    switch (awaited) {
    case A_MTU: {
        if (op != ATT_MTU_RSP || n < 3)
            break;
        unsigned m = get16(d + 1);
        p->mtu = m < p->mtu_asked ? m : p->mtu_asked;
        if (p->mtu < ATT_MTU_DEFAULT)
            p->mtu = ATT_MTU_DEFAULT;
        logf_(p, now, 0, "ATT MTU %u (asked %u, server %u)", p->mtu,
              p->mtu_asked, m);
        req_group(p, now, 1);
        return;
    }
    case A_SVC: {
        unsigned last = 0xFFFF;
        if (!not_found) {
            if (op != ATT_READ_BY_GROUP_RSP || n < 2 || d[1] < 6)
                break;
            size_t el = d[1];
            for (size_t o = 2; o + el <= n; o += el) {
                unsigned s = get16(d + o), e = get16(d + o + 2);
                if (uuid_is(d + o + 4, el - 4, uuid_svc)) {
                    p->svc_start = (uint16_t)s;
                    p->svc_end = (uint16_t)e;
                }
                last = e;
            }
        }
        if (!not_found && last < 0xFFFF) {
            req_group(p, now, last + 1u);
            return;
        }
        if (!p->svc_start) {
            fail(p, now, PHONE_BLE_ERR_NOT_FOUND, "no APDU service");
            return;
        }
        logf_(p, now, 0, "APDU service: handles %04X..%04X", p->svc_start,
              p->svc_end);
        req_chr(p, now, p->svc_start);
        return;
    }
    case A_CHR: {
        unsigned last = p->svc_end;
        if (!not_found) {
            if (op != ATT_READ_BY_TYPE_RSP || n < 2 || d[1] < 7)
                break;
            size_t el = d[1];
            for (size_t o = 2; o + el <= n; o += el) {
                unsigned h = get16(d + o), vh = get16(d + o + 3);
                const uint8_t *u = d + o + 5;
                if (p->out_decl && h > p->out_decl && !p->next_decl)
                    p->next_decl = (uint16_t)h;
                if (uuid_is(u, el - 5, uuid_in))
                    p->in_handle = (uint16_t)vh;
                if (uuid_is(u, el - 5, uuid_out)) {
                    p->out_handle = (uint16_t)vh;
                    p->out_decl = (uint16_t)h;
                }
                if (uuid_is(u, el - 5, uuid_len))
                    p->len_handle = (uint16_t)vh;
                last = h;
            }
        }
        if (!not_found && last < p->svc_end) {
            req_chr(p, now, last + 1u);
            return;
        }
        if (!p->in_handle || !p->out_handle) {
            fail(p, now, PHONE_BLE_ERR_NOT_FOUND,
                 "APDU-in or APDU-out characteristic missing");
            return;
        }
        if (!p->next_decl)
            p->next_decl = (uint16_t)(p->svc_end + 1u);
        logf_(p, now, 0, "APDU-in %04X, APDU-out %04X, length %04X",
              p->in_handle, p->out_handle, p->len_handle);
        if (p->out_handle + 1u >= p->next_decl) {
            fail(p, now, PHONE_BLE_ERR_NOT_FOUND, "no CCCD on APDU-out");
            return;
        }
        req_desc(p, now, p->out_handle + 1u);
        return;
    }
    case A_DESC: {
        unsigned last = p->next_decl - 1u;
        if (!not_found) {
            if (op != ATT_FIND_INFO_RSP || n < 2)
                break;
            size_t el = d[1] == 1 ? 4 : 18;
            for (size_t o = 2; o + el <= n; o += el) {
                unsigned h = get16(d + o);
                if (el == 4 && get16(d + o + 2) == GATT_UUID_CCCD &&
                    !p->cccd_handle)
                    p->cccd_handle = (uint16_t)h;
                last = h;
            }
        }
        if (p->cccd_handle) {
            logf_(p, now, 0, "APDU-out CCCD %04X", p->cccd_handle);
            after_desc(p, now);
            return;
        }
        if (!not_found && last + 1u < p->next_decl) {
            req_desc(p, now, last + 1u);
            return;
        }
        fail(p, now, PHONE_BLE_ERR_NOT_FOUND, "no CCCD on APDU-out");
        return;
    }
    case A_LEN:
        if (op != ATT_READ_RSP || n < 3)
            break;
        p->len_char = (uint16_t)(d[1] << 8 | d[2]);
        logf_(p, now, 0, "length characteristic %u", p->len_char);
        req_cccd(p, now);
        return;
    case A_CCCD:
        if (op != ATT_WRITE_RSP)
            break;
        connect_ready(p, now);
        return;
    case A_WRITE:
        if (op != ATT_WRITE_RSP)
            break;
        if (p->op != PHONE_BLE_OP_TRANSMIT)
            return;
        if (p->msg_off < p->msg_len)
            send_fragment(p, now);
        else
            arm_rsp_timer(p, now);
        return;
    default:
        return;
    }
    fail(p, now, PHONE_BLE_ERR_PROTOCOL, "unexpected ATT PDU %02X (%zu bytes)",
         op, n);
}

/* ---- link layer: the peripheral's packets --------------------------- */

static void set_lengths(phone_ble_t *p, sim_time_t now, const uint8_t *d)
{
    unsigned peer_rx = get16(d + 1), peer_tx = get16(d + 5);
    unsigned tx = peer_rx < PHONE_BLE_DATA_LEN ? peer_rx : PHONE_BLE_DATA_LEN;
    unsigned rx = peer_tx < PHONE_BLE_DATA_LEN ? peer_tx : PHONE_BLE_DATA_LEN;
    p->tx_octets = tx < BLE_DATA_LEN_DEFAULT ? BLE_DATA_LEN_DEFAULT : tx;
    p->rx_octets = rx < BLE_DATA_LEN_DEFAULT ? BLE_DATA_LEN_DEFAULT : rx;
    logf_(p, now, 0, "data length: tx %u, rx %u octets", p->tx_octets,
          p->rx_octets);
}

/* LL_LENGTH_REQ/RSP with 251 octets and 2120 us (the 1M PHY time of 251
 * octets with a MIC, Vol 6 Part B 4.5.10) both ways. */
static void length_pdu(uint8_t op, uint8_t b[9])
{
    b[0] = op;
    put16(b + 1, PHONE_BLE_DATA_LEN);
    put16(b + 3, PHONE_BLE_DATA_TIME_US);
    put16(b + 5, PHONE_BLE_DATA_LEN);
    put16(b + 7, PHONE_BLE_DATA_TIME_US);
}

static void ctrl_rx(phone_ble_t *p, sim_time_t now, const uint8_t *d,
                    size_t n)
{
    uint8_t b[9];
    switch (d[0]) {
    case BLE_LL_LENGTH_REQ:
        if (n < 9)
            return;
        length_pdu(BLE_LL_LENGTH_RSP, b);
        ctrl_push(p, b, 9, false);
        set_lengths(p, now, d);
        return;
    case BLE_LL_LENGTH_RSP:
        if (n >= 9)
            set_lengths(p, now, d);
        return;
    case BLE_LL_TERMINATE_IND:
        p->term_ack = true;
        p->term_reason = n >= 2 ? d[1] : 0;
        return;
    case BLE_LL_FEATURE_REQ:
    case BLE_LL_PERIPHERAL_FEATURE_REQ:
        memset(b, 0, sizeof b);
        b[0] = BLE_LL_FEATURE_RSP;
        b[1] = 0x20; /* LE Data Packet Length Extension */
        ctrl_push(p, b, 9, false);
        return;
    case BLE_LL_VERSION_IND:
        b[0] = BLE_LL_VERSION_IND;
        b[1] = 0x0C; /* 5.3 */
        put16(b + 2, 0xFFFF);
        put16(b + 4, 0);
        ctrl_push(p, b, 6, false);
        return;
    case BLE_LL_FEATURE_RSP:
    case BLE_LL_UNKNOWN_RSP:
        return;
    default:
        b[0] = BLE_LL_UNKNOWN_RSP;
        b[1] = d[0];
        ctrl_push(p, b, 2, false);
        return;
    }
}

/* L2CAP reassembly (basic frames) of the peripheral's data PDUs. */
static void l2cap_rx(phone_ble_t *p, sim_time_t now, sim_time_t start,
                     unsigned llid, const uint8_t *d, size_t n)
{
    if (llid == BLE_LLID_START) {
        if (n < 4) {
            p->rsdu_on = false;
            return;
        }
        p->rsdu_want = 4u + get16(d);
        p->rsdu_len = 0;
        p->rsdu_on = p->rsdu_want <= sizeof p->rsdu;
        p->rsdu_start = start;
    } else if (!p->rsdu_on) {
        p->stats.stray++;
        return;
    }
    if (!p->rsdu_on || p->rsdu_len + n > p->rsdu_want) {
        p->rsdu_on = false;
        logf_(p, now, 1, "L2CAP frame longer than announced: dropped");
        return;
    }
    memcpy(p->rsdu + p->rsdu_len, d, n);
    p->rsdu_len += n;
    if (p->rsdu_len < p->rsdu_want)
        return;
    p->rsdu_on = false;
    if (get16(p->rsdu + 2) == L2CAP_CID_ATT)
        att_rx(p, now, p->rsdu + 4, p->rsdu_want - 4);
}

/* The central's packet `cur` was acknowledged. */
static void acked(phone_ble_t *p, sim_time_t now)
{
    p->cur_valid = false;
    if (p->cur.llid == BLE_LLID_CTRL && p->cur.len &&
        p->cur.d[0] == BLE_LL_TERMINATE_IND)
        link_down(p, now, p->cur.d[1], "terminated by the phone");
}

static void conn_rx(phone_ble_t *p, sim_time_t now, sim_time_t start,
                    unsigned ch, const uint8_t *pkt, size_t len)
{
    sim_time_t expect = p->tx_end + BLE_T_IFS;
    if (!p->in_event || !sim_event_scheduled(&p->rx_tmo_ev) ||
        ch != p->channel || ble_packet_aa(pkt) != p->cp.aa ||
        start + PHONE_BLE_IFS_TOL < expect ||
        start > expect + PHONE_BLE_IFS_TOL) {
        p->stats.stray++;
        return;
    }
    if (lost(p, now))
        return; /* the wait runs out */
    sim_cancel(p->node, &p->rx_tmo_ev);
    const uint8_t *pdu;
    size_t n;
    if (!ble_packet_check(pkt, len, p->cp.crc_init, &pdu, &n)) {
        p->stats.crc_errors++;
        logf_(p, now, 1, "packet with a bad CRC: event closed");
        close_event(p);
        return;
    }
    p->stats.packets_received++;
    if (!p->got_rx)
        logf_(p, now, 0, "connection established");
    p->got_rx = true;
    p->last_rx = now;
    uint8_t h = pdu[0];
    size_t plen = pdu[1];
    bool peer_nesn = (h & BLE_HDR_NESN) != 0, peer_sn = (h & BLE_HDR_SN) != 0;
    if (peer_nesn != (p->sn != 0)) {
        p->sn ^= 1u;
        acked(p, now);
        if (p->ll != LL_CONN)
            return;
    }
    if (peer_sn == (p->nesn != 0)) {
        p->nesn ^= 1u;
        if (plen) {
            unsigned llid = h & BLE_LLID_MASK;
            if (llid == BLE_LLID_CTRL)
                ctrl_rx(p, now, pdu + 2, plen);
            else
                l2cap_rx(p, now, start, llid, pdu + 2, plen);
            if (p->ll != LL_CONN)
                return;
        }
    } else {
        p->stats.duplicates++;
    }
    sim_time_t next = now + BLE_T_IFS;
    if (p->term_ack) {
        p->tx_kind = TX_NEXT;
        sim_schedule(p->node, &p->tx_ev, next);
        return;
    }
    /* Vol 6 Part B 4.5.6: the event goes on while either side's last
     * packet had MD set; data queued since ours was sent waits for the
     * next event (the peripheral has stopped listening) */
    bool more = (h & BLE_HDR_MD) || p->tx_md;
    sim_time_t need = next + ble_packet_time(next_len(p)) + BLE_T_IFS +
                      ble_packet_time(p->rx_octets) + BLE_T_IFS;
    if (more && need <= p->anchor + p->interval_t) {
        p->tx_kind = TX_NEXT;
        sim_schedule(p->node, &p->tx_ev, next);
    } else {
        close_event(p);
    }
}

static void scan_rx(phone_ble_t *p, sim_time_t now, sim_time_t start,
                    unsigned ch, const uint8_t *pkt, size_t len)
{
    if (start < p->scan_t0 ||
        ch != 37u + (unsigned)(((start - p->scan_t0) /
                                PHONE_BLE_SCAN_WINDOW) % 3u) ||
        ble_packet_aa(pkt) != BLE_ADV_AA) {
        p->stats.stray++;
        return;
    }
    if (lost(p, now))
        return;
    const uint8_t *pdu;
    size_t n;
    if (!ble_packet_check(pkt, len, BLE_ADV_CRC_INIT, &pdu, &n)) {
        p->stats.crc_errors++;
        return;
    }
    p->stats.packets_received++;
    if ((pdu[0] & 0x0Fu) != BLE_ADV_IND || pdu[1] < 6)
        return;
    if (p->use_peer && memcmp(pdu + 2, p->peer, 6) != 0)
        return;
    memcpy(p->peer_addr, pdu + 2, 6);
    p->peer_random = (pdu[0] & BLE_ADV_TXADD) != 0;
    /* the connection's parameters */
    sim_rng_t *rng = &p->node->rng;
    ble_conn_params_t *c = &p->cp;
    memcpy(c->init_a, p->addr, 6);
    memcpy(c->adv_a, p->peer_addr, 6);
    c->aa = ble_ll_access_address((uint32_t)sim_rng_next(rng));
    c->crc_init = (uint32_t)sim_rng_next(rng) & 0xFFFFFFu;
    c->hop = (uint8_t)(5u + sim_rng_below(rng, 12));
    c->win_size = PHONE_BLE_WIN_SIZE;
    c->win_offset = 0;
    c->latency = 0;
    c->timeout = sup_units(p, c->interval);
    memset(c->chm, 0xFF, 4);
    c->chm[4] = 0x1F;
    c->sca = PHONE_BLE_SCA;
    p->channel = ch;
    p->ll = LL_INIT;
    sim_cancel(p->node, &p->op_tmo_ev);
    p->res.adv_channel = ch;
    p->res.adv_end = now;
    p->tx_kind = TX_CONNECT_IND;
    sim_schedule(p->node, &p->tx_ev, now + BLE_T_IFS);
}

void phone_ble_air_rx(void *ctx, const sim_msg_t *msg, sim_time_t now)
{
    phone_ble_t *p = ctx;
    if (msg->kind != BLE_MSG_PACKET || msg->len < 9 ||
        msg->len > BLE_PACKET_MAX) {
        p->stats.stray++;
        return;
    }
    sim_time_t start = now - ble_packet_time(msg->len - 9u);
    unsigned ch = (unsigned)msg->value;
    if (p->ll == LL_SCAN)
        scan_rx(p, now, start, ch, msg->data, msg->len);
    else if (p->ll == LL_CONN)
        conn_rx(p, now, start, ch, msg->data, msg->len);
    else
        p->stats.stray++;
}

static void start_connection(phone_ble_t *p, sim_time_t now,
                             sim_time_t ind_end)
{
    p->ll = LL_CONN;
    p->stats.connections++;
    p->anchor0 = ind_end + units_1250(1u + p->cp.win_offset);
    p->interval_t = units_1250(p->cp.interval);
    p->sup_t = SIM_MS(10) * p->cp.timeout;
    p->first_event = true;
    p->counter = 0;
    p->csa_last = 0;
    p->sn = p->nesn = 0;
    p->cur_valid = false;
    p->n_ctrl = 0;
    p->sdu_len = p->sdu_off = 0;
    p->rsdu_on = false;
    p->tx_octets = p->rx_octets = BLE_DATA_LEN_DEFAULT;
    p->mtu = ATT_MTU_DEFAULT;
    p->got_rx = false;
    p->in_event = false;
    p->svc_start = p->svc_end = p->in_handle = p->out_handle = 0;
    p->cccd_handle = p->len_handle = p->out_decl = p->next_decl = 0;
    p->len_char = 0;
    p->res.first_anchor = p->anchor0;
    p->res.params = p->cp;
    const uint8_t *a = p->peer_addr;
    logf_(p, now, 0, "CONNECT_IND to %02X:%02X:%02X:%02X:%02X:%02X: AA %08X,"
          " CRCInit %06X, interval %u x 1.25 ms, hop %u, supervision %u0 ms",
          a[5], a[4], a[3], a[2], a[1], a[0], p->cp.aa, p->cp.crc_init,
          p->cp.interval, p->cp.hop, p->cp.timeout);
    uint8_t b[9];
    length_pdu(BLE_LL_LENGTH_REQ, b);
    ctrl_push(p, b, 9, false);
    uint8_t m[3] = { ATT_MTU_REQ };
    put16(m + 1, p->mtu_asked);
    att_request(p, now, A_MTU, m, sizeof m, 0);
    p->tx_kind = TX_ANCHOR;
    sim_schedule(p->node, &p->tx_ev, p->anchor0);
    sim_schedule(p->node, &p->sup_ev, p->anchor0 + 6u * p->interval_t);
}

/* ---- operations ----------------------------------------------------- */

static phone_ble_status_t begin(phone_ble_t *p, phone_ble_op_t op,
                                sim_time_t now, phone_ble_done_fn done,
                                void *ctx)
{
    if (p->op != PHONE_BLE_OP_NONE)
        return PHONE_BLE_ERR_BUSY;
    memset(&p->res, 0, sizeof p->res);
    p->res.op = op;
    p->res.start = now;
    p->res.cmd_start = p->res.cmd_end = p->res.rsp_start = SIM_NEVER;
    p->res.adv_end = p->res.connect_ind_start = SIM_NEVER;
    p->res.first_anchor = SIM_NEVER;
    p->msg[0] = 0;
    p->op = op;
    p->done = done;
    p->done_ctx = ctx;
    p->in_call = true;
    return PHONE_BLE_OK;
}

phone_ble_status_t phone_ble_connect(phone_ble_t *p, sim_time_t now,
                                     unsigned interval,
                                     phone_ble_done_fn done, void *ctx)
{
    if (begin(p, PHONE_BLE_OP_CONNECT, now, done, ctx) != PHONE_BLE_OK)
        return PHONE_BLE_ERR_BUSY;
    unsigned iv = interval ? interval : p->interval_default;
    if (!p->air)
        fail(p, now, PHONE_BLE_ERR_STATE, "no air link");
    else if (p->ll != LL_IDLE)
        fail(p, now, PHONE_BLE_ERR_STATE, "already connected");
    else if (iv < 6 || iv > 3200)
        fail(p, now, PHONE_BLE_ERR_STATE, "interval %u (6..3200)", iv);
    else {
        p->cp.interval = (uint16_t)iv;
        p->ll = LL_SCAN;
        p->scan_t0 = now;
        sim_schedule(p->node, &p->op_tmo_ev, now + p->scan_time);
        logf_(p, now, 0, "scanning 37, 38, 39");
    }
    p->in_call = false;
    return PHONE_BLE_OK;
}

phone_ble_status_t phone_ble_disconnect(phone_ble_t *p, sim_time_t now,
                                        phone_ble_done_fn done, void *ctx)
{
    if (begin(p, PHONE_BLE_OP_DISCONNECT, now, done, ctx) != PHONE_BLE_OK)
        return PHONE_BLE_ERR_BUSY;
    if (p->ll != LL_CONN) {
        fail(p, now, PHONE_BLE_ERR_STATE, "not connected");
    } else if (!p->term_sent) {
        uint8_t b[2] = { BLE_LL_TERMINATE_IND,
                         BLE_ERR_REMOTE_USER_TERMINATED };
        ctrl_push(p, b, 2, true);
        p->term_sent = true;
    }
    p->in_call = false;
    return PHONE_BLE_OK;
}

phone_ble_status_t phone_ble_set_interval(phone_ble_t *p, sim_time_t now,
                                          unsigned interval,
                                          phone_ble_done_fn done, void *ctx)
{
    if (begin(p, PHONE_BLE_OP_SET_INTERVAL, now, done, ctx) != PHONE_BLE_OK)
        return PHONE_BLE_ERR_BUSY;
    if (p->ll != LL_CONN || p->term_sent) {
        fail(p, now, PHONE_BLE_ERR_STATE, "not connected");
    } else if (interval < 6 || interval > 3200) {
        fail(p, now, PHONE_BLE_ERR_STATE, "interval %u (6..3200)",
             interval);
    } else {
        p->upd_pending = true;
        p->upd_sent = false;
        p->upd_interval = (uint16_t)interval;
        p->upd_timeout = sup_units(p, interval);
    }
    p->in_call = false;
    return PHONE_BLE_OK;
}

phone_ble_status_t phone_ble_transmit(phone_ble_t *p, sim_time_t now,
                                      const uint8_t *apdu, size_t len,
                                      phone_ble_done_fn done, void *ctx)
{
    if (begin(p, PHONE_BLE_OP_TRANSMIT, now, done, ctx) != PHONE_BLE_OK)
        return PHONE_BLE_ERR_BUSY;
    if (p->ll != LL_CONN || !p->ready || p->term_sent) {
        fail(p, now, PHONE_BLE_ERR_STATE, "APDU service not ready");
    } else if (len == 0 || len > PHONE_BLE_APDU_MAX) {
        fail(p, now, PHONE_BLE_ERR_STATE, "APDU of %zu bytes (1..%u)", len,
             PHONE_BLE_APDU_MAX);
    } else {
        p->cmd[0] = BLE_APDU_CMD_MSG;
        p->cmd[1] = (uint8_t)(len >> 8);
        p->cmd[2] = (uint8_t)len;
        memcpy(p->cmd + 3, apdu, len);
        p->msg_len = len + 3;
        p->msg_off = 0;
        p->seq_tx = 0;
        p->rsp_on = false;
        p->rsp_len = 0;
        p->op_tmo_rsp = false;
        send_fragment(p, now);
    }
    p->in_call = false;
    return PHONE_BLE_OK;
}

/* ---- the cos_update channel ----------------------------------------- */

static void chan_result(void *ctx, sim_time_t now,
                        const phone_ble_result_t *res)
{
    phone_ble_t *p = ctx;
    cos_update_rsp_t c = {
        .ok = res->status == PHONE_BLE_OK, .error = res->error,
        .data = res->data, .len = res->len, .sw = res->sw,
    };
    cos_update_rsp_fn f = p->chan_done;
    void *fc = p->chan_ctx;
    p->chan_done = NULL;
    p->chan_ctx = NULL;
    if (f)
        f(fc, now, &c);
}

int phone_ble_update_transmit(void *chan, sim_time_t now,
                              const uint8_t *apdu, size_t len,
                              cos_update_rsp_fn done, void *ctx)
{
    phone_ble_t *p = chan;
    if (p->op != PHONE_BLE_OP_NONE)
        return -1;
    p->chan_done = done;
    p->chan_ctx = ctx;
    if (phone_ble_transmit(p, now, apdu, len, chan_result, p) !=
        PHONE_BLE_OK) {
        p->chan_done = NULL;
        return -1;
    }
    return 0;
}

/* ---- fault injection and observers ---------------------------------- */

void phone_ble_drop_rx(phone_ble_t *p, unsigned n)
{
    p->drop_rx = n;
}

void phone_ble_set_loss(phone_ble_t *p, double probability)
{
    p->loss = probability;
}

bool phone_ble_busy(const phone_ble_t *p)
{
    return p->op != PHONE_BLE_OP_NONE;
}

bool phone_ble_connected(const phone_ble_t *p)
{
    return p->ll == LL_CONN;
}

bool phone_ble_ready(const phone_ble_t *p)
{
    return p->ll == LL_CONN && p->ready;
}

const ble_conn_params_t *phone_ble_params(const phone_ble_t *p)
{
    return p->ll == LL_CONN ? &p->cp : NULL;
}

unsigned phone_ble_mtu(const phone_ble_t *p)
{
    return p->mtu;
}

uint8_t phone_ble_last_reason(const phone_ble_t *p)
{
    return p->last_reason;
}

const phone_ble_stats_t *phone_ble_stats(const phone_ble_t *p)
{
    return &p->stats;
}

const char *phone_ble_status_name(phone_ble_status_t s)
{
    switch (s) {
    case PHONE_BLE_OK: return "ok";
    case PHONE_BLE_ERR_BUSY: return "busy";
    case PHONE_BLE_ERR_STATE: return "state";
    case PHONE_BLE_ERR_TIMEOUT: return "timeout";
    case PHONE_BLE_ERR_NOT_FOUND: return "not found";
    case PHONE_BLE_ERR_PROTOCOL: return "protocol";
    case PHONE_BLE_ERR_CARD: return "card error";
    case PHONE_BLE_ERR_DISCONNECTED: return "disconnected";
    }
    return "?";
}

const char *phone_ble_op_name(phone_ble_op_t op)
{
    switch (op) {
    case PHONE_BLE_OP_NONE: return "none";
    case PHONE_BLE_OP_CONNECT: return "connect";
    case PHONE_BLE_OP_DISCONNECT: return "disconnect";
    case PHONE_BLE_OP_SET_INTERVAL: return "set_interval";
    case PHONE_BLE_OP_TRANSMIT: return "transmit";
    }
    return "?";
}

/* ---- lifecycle ------------------------------------------------------ */

void phone_ble_init(phone_ble_t *p, sim_t *sim, const phone_ble_cfg_t *cfg)
{
    (void)sim;
    memset(p, 0, sizeof *p);
    p->name = cfg->name ? cfg->name : "phone.ble";
    p->path = cfg->path ? cfg->path : "ble";
    p->apdu_path = cfg->apdu_path ? cfg->apdu_path : "BLE>MCU";
    p->node = cfg->node;
    p->bus = cfg->bus;
    if (!p->node)
        sim_fatal_plain("phone_ble '%s': no node", p->name);
    static const uint8_t def_addr[6] = { 0x50, 0x48, 0x4F, 0x4E, 0x45, 0xC0 };
    bool zero = true;
    for (int i = 0; i < 6; i++)
        zero &= cfg->addr[i] == 0;
    memcpy(p->addr, zero ? def_addr : cfg->addr, 6);
    p->addr[5] |= 0xC0u; /* random static */
    if (cfg->peer) {
        memcpy(p->peer, cfg->peer, 6);
        p->use_peer = true;
    }
    p->interval_default =
        cfg->interval ? cfg->interval : PHONE_BLE_INTERVAL_DEFAULT;
    if (p->interval_default < 6 || p->interval_default > 3200)
        sim_fatal_plain("phone_ble '%s': interval %u (6..3200)", p->name,
                        p->interval_default);
    p->mtu_asked = cfg->mtu ? cfg->mtu : ATT_MTU_MAX;
    if (p->mtu_asked < ATT_MTU_DEFAULT || p->mtu_asked > ATT_MTU_MAX)
        sim_fatal_plain("phone_ble '%s': MTU %u (23..517)", p->name,
                        p->mtu_asked);
    p->rsp_timeout = SIM_MS(cfg->timeout_ms ? cfg->timeout_ms
                                            : BLE_APDU_REQ_TIMEOUT_MS);
    p->supervision_ms = cfg->supervision_ms;
    p->scan_time = SIM_MS(cfg->scan_ms ? cfg->scan_ms
                                       : PHONE_BLE_SCAN_MS_DEFAULT);
    p->mtu = ATT_MTU_DEFAULT;
    sim_event_init(&p->seq_ev, "phone-ble-seq", seq_fire, p);
    sim_event_init(&p->tx_ev, "phone-ble-tx", tx_fire, p);
    sim_event_init(&p->rx_tmo_ev, "phone-ble-rx-timeout", rx_tmo_fire, p);
    sim_event_init(&p->sup_ev, "phone-ble-supervision", sup_fire, p);
    sim_event_init(&p->op_tmo_ev, "phone-ble-op-timeout", op_tmo_fire, p);
}

void phone_ble_reset(phone_ble_t *p)
{
    forget_link(p);
    sim_cancel(p->node, &p->seq_ev);
    sim_cancel(p->node, &p->op_tmo_ev);
    p->op_tmo_rsp = false;
    p->op = PHONE_BLE_OP_NONE;
    p->done = NULL;
    p->done_ctx = NULL;
    p->chan_done = NULL;
    p->chan_ctx = NULL;
    p->in_call = false;
    p->drop_rx = 0;
    p->mtu = ATT_MTU_DEFAULT;
}

void phone_ble_cleanup(phone_ble_t *p)
{
    phone_ble_reset(p);
}

void phone_ble_attach_air(phone_ble_t *p, sim_link_t *to_peripheral)
{
    p->air = to_peripheral;
}
