/* SPDX-License-Identifier: MIT */
/* models/ble_radio.c - the MCU's BLE radio, an LE 1M link-layer
 * controller in the peripheral role (see ble_radio.h for what is
 * modelled, the reference and the Notes; docs/ble-radio.md for the
 * timings and the register behaviour). */
#include "models/ble_radio.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "firmware/include/regs/mcu_map.h"
#include "sim/fatal.h"

#define UNIT_1250US SIM_US(1250)
#define UNIT_625US  SIM_US(625)
#define OP_NONE     0xFFu

static void put_le16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static unsigned get_le16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* ---- events register and IRQ ----------------------------------------- */

static void update_irq(ble_radio_t *r, sim_time_t now)
{
    bool level = (r->event & r->irqen) != 0;
    if (level == r->irq_level)
        return;
    r->irq_level = level;
    if (r->irq)
        r->irq(r->irq_ctx, now, level);
}

static void raise_ev(ble_radio_t *r, sim_time_t now, uint32_t bits)
{
    r->event |= bits;
    update_irq(r, now);
}

/* ---- air -------------------------------------------------------------- */

/* Sends a packet (PDU = header + payload) starting now; traced. */
static void send_packet(ble_radio_t *r, sim_time_t now, unsigned ch,
                        uint32_t aa, uint32_t crc_init, const uint8_t *pdu,
                        size_t n, uint8_t pdu_type)
{
    uint8_t pkt[BLE_PACKET_MAX];
    size_t len = ble_packet_build(pkt, aa, pdu, n, crc_init);
    sim_time_t end = now + ble_packet_time(n - 2);
    r->stats.tx_packets++;
    if (r->air)
        sim_link_send_at(r->air, now, end, BLE_MSG_PACKET, ch, pkt, len);
    if (!trace_wants(r->bus, TRACE_FRAME))
        return;
    trace_rec_t rec = {
        .time = end, .start = now, .kind = TRACE_FRAME, .source = r->name,
        .path = "ble", .dir = TRACE_DIR_RSP, .data = pkt, .len = len,
    };
    rec.u.frame.proto = TRACE_PROTO_BLE_LL;
    rec.u.frame.ble_channel = (uint8_t)ch;
    rec.u.frame.ble_pdu_type = pdu_type;
    rec.u.frame.crc_ok = true;
    trace_publish(r->bus, &rec);
}

static void listen(ble_radio_t *r, unsigned ch, uint32_t aa,
                   uint32_t crc_init, sim_time_t lo, sim_time_t hi)
{
    r->rx_on = true;
    r->rx_ch = ch;
    r->rx_aa = aa;
    r->rx_crc_init = crc_init;
    r->rx_lo = lo;
    r->rx_hi = hi;
}

/* ---- advertising ------------------------------------------------------ */

static sim_time_t adv_interval(const ble_radio_t *r)
{
    uint32_t v = r->adv_int ? r->adv_int : 160u;
    if (v < 32u)
        v = 32u;
    if (v > 16384u)
        v = 16384u;
    return v * UNIT_625US;
}

static void adv_start(ble_radio_t *r, sim_time_t now)
{
    r->state = BLE_RADIO_ADV;
    r->adv_idx = 0;
    r->adv_evt_start = now;
    sim_reschedule(r->node, &r->ev_adv, now);
}

static void adv_stop(ble_radio_t *r)
{
    sim_cancel(r->node, &r->ev_adv);
    r->rx_on = false;
    r->state = BLE_RADIO_IDLE;
}

static void adv_fire(sim_event_t *ev, sim_time_t now)
{
    ble_radio_t *r = ev->ctx;
    unsigned ch = 37u + r->adv_idx;
    uint8_t pdu[2 + 6 + 31];
    size_t dlen = r->adv_len;
    pdu[0] = BLE_ADV_IND | BLE_ADV_TXADD;
    pdu[1] = (uint8_t)(6u + dlen);
    memcpy(pdu + 2, r->addr, 6);
    memcpy(pdu + 8, r->adv_data, dlen);
    send_packet(r, now, ch, BLE_ADV_AA, BLE_ADV_CRC_INIT, pdu, 8 + dlen,
                BLE_TRACE_ADV);
    sim_time_t end = now + ble_packet_time(6 + dlen);
    listen(r, ch, BLE_ADV_AA, BLE_ADV_CRC_INIT,
           end + BLE_T_IFS - BLE_RADIO_RX_TOL,
           end + BLE_T_IFS + BLE_RADIO_RX_TOL);
    if (r->adv_idx < 2) {
        r->adv_idx++;
        sim_schedule(r->node, ev, end + BLE_RADIO_ADV_GAP);
        return;
    }
    uint64_t delay_us = sim_rng_below(&r->node->rng,
                                      BLE_RADIO_ADV_DELAY_MAX_US + 1u);
    r->adv_idx = 0;
    r->adv_evt_start += adv_interval(r) + SIM_US(delay_us);
    sim_schedule(r->node, ev, r->adv_evt_start);
}

/* ---- connection: setup and teardown ------------------------------------ */

static void logf_conn(ble_radio_t *r, sim_time_t now, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_conn(ble_radio_t *r, sim_time_t now, const char *fmt, ...)
{
    if (!trace_wants(r->bus, TRACE_LOG))
        return;
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    trace_logf(r->bus, now, r->name, 0, "%s", buf);
}

static void disconnect(ble_radio_t *r, sim_time_t now, uint8_t reason)
{
    sim_cancel(r->node, &r->ev_conn);
    sim_cancel(r->node, &r->ev_tx);
    sim_cancel(r->node, &r->ev_sup);
    r->rx_on = false;
    r->state = BLE_RADIO_IDLE;
    /* frames not yet acknowledged are lost, as an HCI flush */
    r->tx_n = 0;
    r->tx_head = 0;
    r->tx_off = 0;
    r->rx_asm = false;
    r->disc_reason = reason;
    logf_conn(r, now, "disconnected, reason 0x%02X", reason);
    raise_ev(r, now, MCU_RADIO_EV_DISCONNECTED);
    if (r->ctrl & MCU_RADIO_CTRL_ADV)
        adv_start(r, now);
}

static void sup_fire(sim_event_t *ev, sim_time_t now)
{
    ble_radio_t *r = ev->ctx;
    disconnect(r, now, r->sup_reason);
}

static void sup_restart(ble_radio_t *r, sim_time_t at, uint8_t reason)
{
    r->sup_reason = reason;
    sim_reschedule(r->node, &r->ev_sup, at);
}

/* What a supervision timeout reports: our own termination if one is
 * under way (the central never acknowledged it). */
static uint8_t sup_reason_now(const ble_radio_t *r)
{
    return r->terminating ? BLE_ERR_LOCAL_HOST_TERMINATED
                          : BLE_ERR_CONN_TIMEOUT;
}

/* Opens a listening window for the first packet of a new anchor:
 * [start, start + len] on the event's channel. */
static void open_window(ble_radio_t *r, sim_time_t start, sim_time_t len)
{
    r->window_mode = true;
    r->win_start = start;
    r->win_len = len;
}

static void connect(ble_radio_t *r, sim_time_t now,
                    const ble_conn_params_t *c)
{
    adv_stop(r);
    r->state = BLE_RADIO_CONN;
    r->conn = *c;
    r->interval = c->interval * UNIT_1250US;
    r->timeout = c->timeout * SIM_MS(10);
    r->established = false;
    r->counter = 0xFFFFu;
    r->last_unmapped = 0;
    r->sn = r->nesn = 0;
    r->rx_md = false;
    r->crc_bad = 0;
    r->cur_valid = false;
    r->ctrlq_head = r->ctrlq_n = 0;
    r->version_sent = false;
    r->terminating = false;
    r->peer_term = false;
    r->eff_tx = r->eff_rx = BLE_DATA_LEN_DEFAULT;
    r->pend_tx = r->pend_rx = 0;
    r->upd_pending = r->chm_pending = false;
    r->tx_n = r->tx_head = r->tx_off = 0;
    r->rx_asm = false;
    r->stats.connections++;
    sim_time_t ws = now + UNIT_1250US + c->win_offset * UNIT_1250US;
    open_window(r, ws, c->win_size * UNIT_1250US);
    sim_schedule(r->node, &r->ev_conn, ws);
    /* before the first packet: 6 intervals (4.5.2) */
    sup_restart(r, now + 6u * r->interval, BLE_ERR_CONN_FAILED);
    logf_conn(r, now,
              "connected: AA 0x%08X CRCInit 0x%06X interval %u latency %u "
              "timeout %u hop %u window %u+%u",
              c->aa, c->crc_init, c->interval, c->latency, c->timeout,
              c->hop, c->win_offset, c->win_size);
    raise_ev(r, now, MCU_RADIO_EV_CONNECTED);
}

/* ---- connection events ------------------------------------------------ */

static void conn_fire(sim_event_t *ev, sim_time_t now)
{
    ble_radio_t *r = ev->ctx;
    r->counter++;
    if (r->upd_pending && r->counter == r->upd_instant) {
        /* now is the instant's anchor with the old parameters */
        r->upd_pending = false;
        r->conn.interval = r->upd_interval;
        r->conn.latency = r->upd_latency;
        r->conn.timeout = r->upd_timeout;
        r->interval = r->upd_interval * UNIT_1250US;
        r->timeout = r->upd_timeout * SIM_MS(10);
        open_window(r, now + r->upd_win_offset * UNIT_1250US,
                    r->upd_win_size * UNIT_1250US);
        sup_restart(r, now + r->timeout, sup_reason_now(r));
        logf_conn(r, now,
                  "connection update at instant %u: interval %u latency %u "
                  "timeout %u window %u+%u",
                  r->counter, r->upd_interval, r->upd_latency,
                  r->upd_timeout, r->upd_win_offset, r->upd_win_size);
        raise_ev(r, now, MCU_RADIO_EV_PARAMS);
    }
    if (r->chm_pending && r->counter == r->chm_instant) {
        r->chm_pending = false;
        memcpy(r->conn.chm, r->chm_new, 5);
        logf_conn(r, now,
                  "channel map at instant %u: %02X %02X %02X %02X %02X",
                  r->counter, r->chm_new[0], r->chm_new[1], r->chm_new[2],
                  r->chm_new[3], r->chm_new[4]);
    }
    r->ch = ble_csa1_next(&r->last_unmapped, r->conn.hop, r->conn.chm);
    r->anchored = false;
    r->crc_bad = 0;
    sim_cancel(r->node, &r->ev_tx);
    if (r->window_mode) {
        listen(r, r->ch, r->conn.aa, r->conn.crc_init, r->win_start,
               r->win_start + r->win_len);
        /* a window with no packet: the same window one interval later */
        r->evt_time = r->win_start;
        r->win_start += r->interval;
        sim_schedule(r->node, ev, r->win_start);
    } else {
        r->evt_time = now;
        listen(r, r->ch, r->conn.aa, r->conn.crc_init,
               now - BLE_RADIO_RX_TOL, now + BLE_RADIO_RX_TOL);
        sim_schedule(r->node, ev, now + r->interval);
    }
}

static bool ctrlq_push(ble_radio_t *r, const uint8_t *b, size_t n)
{
    if (r->ctrlq_n == BLE_RADIO_CTRL_Q)
        return false;
    ble_radio_ctrl_t *c =
        &r->ctrlq[(r->ctrlq_head + r->ctrlq_n) % BLE_RADIO_CTRL_Q];
    memcpy(c->b, b, n);
    c->n = (uint8_t)n;
    r->ctrlq_n++;
    return true;
}

static bool data_pending(const ble_radio_t *r)
{
    return r->tx_n != 0 && !r->terminating;
}

/* More to send after the PDU in flight (the MD bit). */
static bool more_after_cur(const ble_radio_t *r)
{
    if (r->ctrlq_n)
        return true;
    if (!data_pending(r))
        return false;
    if (r->cur_valid && r->cur_op == OP_NONE && r->cur_frag) {
        const ble_radio_frame_t *f = &r->tx[r->tx_head];
        return r->tx_off + r->cur_frag < f->len || r->tx_n > 1;
    }
    return true;
}

/* Builds the next PDU to send into cur (header byte 1 and payload; byte 0
 * is written at transmission). */
static void build_next(ble_radio_t *r)
{
    r->cur_frag = 0;
    r->cur_op = OP_NONE;
    if (r->ctrlq_n) {
        ble_radio_ctrl_t *c = &r->ctrlq[r->ctrlq_head];
        r->ctrlq_head = (r->ctrlq_head + 1) % BLE_RADIO_CTRL_Q;
        r->ctrlq_n--;
        r->cur[0] = BLE_LLID_CTRL;
        r->cur[1] = c->n;
        memcpy(r->cur + 2, c->b, c->n);
        r->cur_n = 2u + c->n;
        r->cur_op = c->b[0];
    } else if (data_pending(r)) {
        const ble_radio_frame_t *f = &r->tx[r->tx_head];
        unsigned n = f->len - r->tx_off;
        if (n > r->eff_tx)
            n = r->eff_tx;
        r->cur[0] = r->tx_off ? BLE_LLID_CONT : BLE_LLID_START;
        r->cur[1] = (uint8_t)n;
        memcpy(r->cur + 2, f->b + r->tx_off, n);
        r->cur_n = 2u + n;
        r->cur_frag = n;
    } else {
        r->cur[0] = BLE_LLID_CONT;
        r->cur[1] = 0;
        r->cur_n = 2;
    }
    r->cur_valid = true;
}

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    ble_radio_t *r = ev->ctx;
    if (r->cur_valid) {
        r->stats.retransmissions++;
    } else {
        build_next(r);
    }
    bool md = more_after_cur(r);
    r->cur[0] = (uint8_t)((r->cur[0] & BLE_LLID_MASK) |
                          (r->nesn ? BLE_HDR_NESN : 0) |
                          (r->sn ? BLE_HDR_SN : 0) | (md ? BLE_HDR_MD : 0));
    send_packet(r, now, r->tx_ch, r->conn.aa, r->conn.crc_init, r->cur,
                r->cur_n, BLE_TRACE_S2M);
    sim_time_t end = now + ble_packet_time(r->cur_n - 2);
    if (r->peer_term) {
        /* this packet acknowledges the central's LL_TERMINATE_IND */
        sup_restart(r, end, r->peer_reason);
        r->rx_on = false;
        return;
    }
    /* the event goes on while either side has more, or after a CRC
     * error (the central's MD is unknown) */
    if (r->rx_md || md || r->crc_bad)
        listen(r, r->tx_ch, r->conn.aa, r->conn.crc_init,
               end + BLE_T_IFS - BLE_RADIO_RX_TOL,
               end + BLE_T_IFS + BLE_RADIO_RX_TOL);
    else
        r->rx_on = false;
}

/* Our PDU in flight was acknowledged. Returns false if it ended the
 * connection. */
static bool cur_acked(ble_radio_t *r, sim_time_t now)
{
    r->cur_valid = false;
    if (r->cur_op == BLE_LL_TERMINATE_IND) {
        disconnect(r, now, BLE_ERR_LOCAL_HOST_TERMINATED);
        return false;
    }
    if (r->cur_op == BLE_LL_LENGTH_RSP && r->pend_tx) {
        bool changed = r->pend_tx != r->eff_tx || r->pend_rx != r->eff_rx;
        r->eff_tx = r->pend_tx;
        r->eff_rx = r->pend_rx;
        r->pend_tx = r->pend_rx = 0;
        logf_conn(r, now, "data length: TX %u RX %u octets", r->eff_tx,
                  r->eff_rx);
        if (changed)
            raise_ev(r, now, MCU_RADIO_EV_PARAMS);
    }
    if (r->cur_op == OP_NONE && r->cur_frag) {
        ble_radio_frame_t *f = &r->tx[r->tx_head];
        r->tx_off += r->cur_frag;
        if (r->tx_off >= f->len) {
            r->stats.l2cap_tx_bytes += f->len - 4u;
            r->tx_head = (r->tx_head + 1) % MCU_RADIO_TX_SLOTS;
            r->tx_n--;
            r->tx_off = 0;
            raise_ev(r, now, MCU_RADIO_EV_TXDONE);
        }
    }
    return true;
}

static unsigned octets_of(unsigned octets, unsigned time_us)
{
    unsigned by_time = time_us / 8u > 14u ? time_us / 8u - 14u : 0u;
    unsigned n = octets < by_time ? octets : by_time;
    if (n > BLE_RADIO_MAX_OCTETS)
        n = BLE_RADIO_MAX_OCTETS;
    return n < BLE_DATA_LEN_DEFAULT ? BLE_DATA_LEN_DEFAULT : n;
}

static void unknown_rsp(ble_radio_t *r, sim_time_t now, uint8_t op)
{
    uint8_t b[2] = { BLE_LL_UNKNOWN_RSP, op };
    logf_conn(r, now, "LL opcode 0x%02X unknown: LL_UNKNOWN_RSP", op);
    ctrlq_push(r, b, 2);
}

/* True if an instant is already too close or passed (5.5.x). */
static bool instant_passed(const ble_radio_t *r, uint16_t instant)
{
    uint16_t d = (uint16_t)(instant - r->counter);
    return d == 0 || d >= 32767u;
}

/* A new LL control PDU from the central. Returns false if it cannot be
 * taken now (no room to answer: NESN stays) or ended the connection. */
static bool rx_ctrl(ble_radio_t *r, sim_time_t now, const uint8_t *p,
                    size_t n)
{
    if (n == 0)
        return true;
    if (r->ctrlq_n == BLE_RADIO_CTRL_Q)
        return false;
    uint8_t op = p[0];
    uint8_t b[27];
    switch (op) {
    case BLE_LL_LENGTH_REQ:
        if (n != 9)
            return true;
        r->pend_tx = octets_of(get_le16(p + 1), get_le16(p + 3));
        r->pend_rx = octets_of(get_le16(p + 5), get_le16(p + 7));
        b[0] = BLE_LL_LENGTH_RSP;
        put_le16(b + 1, BLE_RADIO_MAX_OCTETS);
        put_le16(b + 3, BLE_RADIO_MAX_TIME);
        put_le16(b + 5, BLE_RADIO_MAX_OCTETS);
        put_le16(b + 7, BLE_RADIO_MAX_TIME);
        logf_conn(r, now,
                  "LL_LENGTH_REQ rx %u/%u us tx %u/%u us: LL_LENGTH_RSP",
                  get_le16(p + 1), get_le16(p + 3), get_le16(p + 5),
                  get_le16(p + 7));
        ctrlq_push(r, b, 9);
        return true;
    case BLE_LL_FEATURE_REQ:
        if (n != 9)
            return true;
        memset(b, 0, 9);
        b[0] = BLE_LL_FEATURE_RSP;
        /* byte 0: the features both sides use; the rest ours */
        b[1] = p[1] & BLE_RADIO_FEATURES0;
        logf_conn(r, now, "LL_FEATURE_REQ: LL_FEATURE_RSP 0x%02X", b[1]);
        ctrlq_push(r, b, 9);
        return true;
    case BLE_LL_VERSION_IND:
        if (n != 6)
            return true;
        logf_conn(r, now, "LL_VERSION_IND version 0x%02X company 0x%04X "
                  "subversion 0x%04X", p[1], get_le16(p + 2),
                  get_le16(p + 4));
        if (r->version_sent)
            return true;
        b[0] = BLE_LL_VERSION_IND;
        b[1] = BLE_RADIO_LL_VERSION;
        put_le16(b + 2, BLE_RADIO_COMPANY);
        put_le16(b + 4, BLE_RADIO_SUBVERSION);
        r->version_sent = true;
        ctrlq_push(r, b, 6);
        return true;
    case BLE_LL_CONNECTION_UPDATE_IND: {
        if (n != 12)
            return true;
        uint16_t instant = (uint16_t)get_le16(p + 10);
        logf_conn(r, now, "LL_CONNECTION_UPDATE_IND interval %u latency %u "
                  "timeout %u window %u+%u instant %u", get_le16(p + 4),
                  get_le16(p + 6), get_le16(p + 8), get_le16(p + 2), p[1],
                  instant);
        if (instant_passed(r, instant)) {
            disconnect(r, now, BLE_ERR_INSTANT_PASSED);
            return false;
        }
        r->upd_pending = true;
        r->upd_instant = instant;
        r->upd_win_size = p[1];
        r->upd_win_offset = (uint16_t)get_le16(p + 2);
        r->upd_interval = (uint16_t)get_le16(p + 4);
        r->upd_latency = (uint16_t)get_le16(p + 6);
        r->upd_timeout = (uint16_t)get_le16(p + 8);
        return true;
    }
    case BLE_LL_CHANNEL_MAP_IND: {
        if (n != 8)
            return true;
        uint16_t instant = (uint16_t)get_le16(p + 6);
        logf_conn(r, now, "LL_CHANNEL_MAP_IND instant %u", instant);
        if (instant_passed(r, instant)) {
            disconnect(r, now, BLE_ERR_INSTANT_PASSED);
            return false;
        }
        r->chm_pending = true;
        r->chm_instant = instant;
        memcpy(r->chm_new, p + 1, 5);
        r->chm_new[4] &= 0x1Fu;
        return true;
    }
    case BLE_LL_TERMINATE_IND:
        if (n != 2)
            return true;
        logf_conn(r, now, "LL_TERMINATE_IND reason 0x%02X", p[1]);
        /* disconnected at the end of our acknowledging packet */
        r->peer_term = true;
        r->peer_reason = p[1];
        r->ctrlq_n = 0;
        return true;
    case BLE_LL_UNKNOWN_RSP:
    case BLE_LL_LENGTH_RSP:
    case BLE_LL_FEATURE_RSP:
        return true;
    default:
        unknown_rsp(r, now, op);
        return true;
    }
}

/* A new L2CAP data PDU. Returns false if it is refused (RX queue full). */
static bool rx_data(ble_radio_t *r, sim_time_t now, unsigned llid,
                    const uint8_t *p, size_t n)
{
    if (n == 0)
        return true;    /* empty PDU */
    if (r->rx_n == MCU_RADIO_RX_SLOTS) {
        r->stats.rx_nacked++;
        return false;
    }
    ble_radio_frame_t *f = &r->rx[(r->rx_head + r->rx_n) % MCU_RADIO_RX_SLOTS];
    if (llid == BLE_LLID_START) {
        if (r->rx_asm)
            sim_warn(now, r->name, "L2CAP start with %u bytes of a frame "
                     "pending: dropped", r->rx_asm_len);
        r->rx_asm = true;
        r->rx_asm_len = 0;
    } else if (!r->rx_asm) {
        sim_warn(now, r->name, "L2CAP continuation without a start: "
                 "dropped");
        return true;
    }
    if (r->rx_asm_len + n > MCU_RADIO_FRAME_MAX) {
        sim_warn(now, r->name, "L2CAP frame over %u bytes: dropped",
                 MCU_RADIO_FRAME_MAX);
        r->rx_asm = false;
        return true;
    }
    memcpy(f->b + r->rx_asm_len, p, n);
    r->rx_asm_len += (unsigned)n;
    if (r->rx_asm_len < 4)
        return true;
    unsigned total = 4u + get_le16(f->b);
    if (total > MCU_RADIO_FRAME_MAX) {
        sim_warn(now, r->name, "L2CAP frame of %u bytes: dropped", total);
        r->rx_asm = false;
        return true;
    }
    if (r->rx_asm_len < total)
        return true;
    if (r->rx_asm_len > total)
        sim_warn(now, r->name, "L2CAP frame: %u bytes past its length "
                 "dropped", r->rx_asm_len - total);
    f->len = (uint16_t)total;
    r->rx_asm = false;
    r->rx_n++;
    r->stats.l2cap_rx_bytes += total - 4u;
    raise_ev(r, now, MCU_RADIO_EV_RX);
    return true;
}

static void conn_rx(ble_radio_t *r, const sim_msg_t *m, sim_time_t now)
{
    const uint8_t *pdu;
    size_t n;
    if (m->len != m->data[5] + 9u || m->data[5] > BLE_PAYLOAD_MAX)
        return; /* not a packet we could have demodulated */
    bool ok = ble_packet_check(m->data, m->len, r->conn.crc_init, &pdu, &n);
    pdu = m->data + 4;
    n = m->len - 7u;
    r->rx_on = false;
    if (!r->anchored) {
        /* the central's first packet of the event is its anchor: the
         * next event is one interval after it */
        r->anchored = true;
        r->window_mode = false;
        r->evt_time = m->sent;
        sim_reschedule(r->node, &r->ev_conn, m->sent + r->interval);
    }
    r->tx_ch = r->ch;
    if (!ok) {
        r->stats.crc_errors++;
        if (++r->crc_bad >= 2)
            return; /* two CRC errors in a row close the event */
        /* answered, unacknowledged (NESN stays), our PDU repeated */
        sim_reschedule(r->node, &r->ev_tx, now + BLE_T_IFS);
        return;
    }
    r->stats.rx_packets++;
    r->crc_bad = 0;
    if (!r->established) {
        r->established = true;
        logf_conn(r, now, "connection established, anchor at event %u",
                  r->counter);
    }
    if (!r->peer_term)
        sup_restart(r, now + r->timeout, sup_reason_now(r));
    unsigned hdr = pdu[0];
    r->rx_md = (hdr & BLE_HDR_MD) != 0;
    /* 4.5.9: their NESN acknowledges our SN */
    if (((hdr & BLE_HDR_NESN) != 0) != (r->sn != 0)) {
        r->sn ^= 1u;
        if (r->cur_valid && !cur_acked(r, now))
            return;
    }
    /* their SN: new data if it is the one we expect */
    if (((hdr & BLE_HDR_SN) != 0) == (r->nesn != 0)) {
        unsigned llid = hdr & BLE_LLID_MASK;
        bool take;
        if (llid == BLE_LLID_CTRL) {
            take = rx_ctrl(r, now, pdu + 2, n - 2);
            if (r->state != BLE_RADIO_CONN)
                return;
        } else if (llid == BLE_LLID_START || llid == BLE_LLID_CONT) {
            take = rx_data(r, now, llid, pdu + 2, n - 2);
        } else {
            take = true;    /* reserved LLID: acknowledged, ignored */
        }
        if (take)
            r->nesn ^= 1u;
    }
    sim_reschedule(r->node, &r->ev_tx, now + BLE_T_IFS);
}

static void adv_rx(ble_radio_t *r, const sim_msg_t *m, sim_time_t now)
{
    const uint8_t *pdu;
    size_t n;
    if (!ble_packet_check(m->data, m->len, BLE_ADV_CRC_INIT, &pdu, &n))
        return;
    if ((pdu[0] & 0x0Fu) != BLE_CONNECT_IND || n != 2 + BLE_CONNECT_IND_LEN)
        return; /* SCAN_REQ and the rest: passive scanning only */
    if (!(pdu[0] & BLE_ADV_RXADD) || memcmp(pdu + 8, r->addr, 6) != 0)
        return;
    ble_conn_params_t c;
    if (!ble_connect_ind_decode(pdu + 2, &c)) {
        sim_warn(now, r->name, "CONNECT_IND with invalid LLData ignored");
        return;
    }
    r->stats.rx_packets++;
    connect(r, now, &c);
}

void ble_radio_air_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    ble_radio_t *r = ctx;
    if (m->kind != BLE_MSG_PACKET || !r->rx_on || m->value != r->rx_ch ||
        m->sent < r->rx_lo || m->sent > r->rx_hi || m->len < 9 ||
        ble_packet_aa(m->data) != r->rx_aa)
        return;
    if (r->state == BLE_RADIO_ADV)
        adv_rx(r, m, now);
    else if (r->state == BLE_RADIO_CONN)
        conn_rx(r, m, now);
}

/* ---- registers ----------------------------------------------------------- */

static uint32_t status(const ble_radio_t *r)
{
    uint32_t s = 0;
    if (r->state == BLE_RADIO_CONN)
        s |= MCU_RADIO_STATUS_CONNECTED;
    if (r->state == BLE_RADIO_ADV)
        s |= MCU_RADIO_STATUS_ADVERTISING;
    if (r->state == BLE_RADIO_CONN && r->tx_n < MCU_RADIO_TX_SLOTS &&
        !r->terminating)
        s |= MCU_RADIO_STATUS_TXFREE;
    if (r->rx_n)
        s |= MCU_RADIO_STATUS_RXAVAIL;
    return s;
}

static uint32_t buf_read(const uint8_t *b, uint32_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)b[off + i] << (8 * i);
    return v;
}

uint32_t ble_radio_read(void *ctx, uint32_t addr, unsigned size,
                        sim_time_t t, bool *err)
{
    ble_radio_t *r = ctx;
    (void)t;
    uint32_t off = addr - MCU_RADIO_BASE;
    if (off >= MCU_RADIO_ADV_DATA && off < MCU_RADIO_ADV_DATA + 32u)
        return buf_read(r->adv_data, off - MCU_RADIO_ADV_DATA, size);
    if (off >= MCU_RADIO_TXBUF && off < MCU_RADIO_TXBUF + MCU_RADIO_BUF_SIZE)
        return buf_read(r->txbuf, off - MCU_RADIO_TXBUF, size);
    if (off >= MCU_RADIO_RXBUF && off < MCU_RADIO_RXBUF + MCU_RADIO_BUF_SIZE) {
        uint32_t o = off - MCU_RADIO_RXBUF, v = 0;
        if (!r->rx_n)
            return 0;
        const ble_radio_frame_t *f = &r->rx[r->rx_head];
        for (unsigned i = 0; i < size; i++)
            if (o + i < f->len)
                v |= (uint32_t)f->b[o + i] << (8 * i);
        return v;
    }
    if (size != 4) {
        *err = true;
        return 0;
    }
    switch (off) {
    case MCU_RADIO_CTRL: return r->ctrl & MCU_RADIO_CTRL_ADV;
    case MCU_RADIO_ADV_INT: return r->adv_int;
    case MCU_RADIO_ADDR_LO:
        return buf_read(r->addr, 0, 4);
    case MCU_RADIO_ADDR_HI:
        return buf_read(r->addr, 4, 2);
    case MCU_RADIO_ADV_LEN: return r->adv_len;
    case MCU_RADIO_STATUS: return status(r);
    case MCU_RADIO_EVENT: return r->event;
    case MCU_RADIO_IRQEN: return r->irqen;
    case MCU_RADIO_CONN_INT:
        return r->state == BLE_RADIO_CONN ? r->conn.interval : 0;
    case MCU_RADIO_DISC_REASON: return r->disc_reason;
    case MCU_RADIO_TX_LEN: return 0;
    case MCU_RADIO_RX_LEN: return r->rx_n ? r->rx[r->rx_head].len : 0;
    case MCU_RADIO_RX_POP: return 0;
    case MCU_RADIO_DATA_LEN:
        if (r->state != BLE_RADIO_CONN)
            return BLE_DATA_LEN_DEFAULT;
        return r->eff_tx < r->eff_rx ? r->eff_tx : r->eff_rx;
    default:
        *err = true;
        return 0;
    }
}

static void buf_write(uint8_t *b, uint32_t off, uint32_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

static void queue_tx(ble_radio_t *r, sim_time_t t, uint32_t len)
{
    if (len < 4 || len > MCU_RADIO_FRAME_MAX ||
        r->state != BLE_RADIO_CONN || r->tx_n == MCU_RADIO_TX_SLOTS ||
        r->terminating) {
        sim_warn(t, r->name, "TX_LEN %u refused (%s)", len,
                 r->state != BLE_RADIO_CONN ? "no link"
                 : len < 4 || len > MCU_RADIO_FRAME_MAX ? "length"
                                                        : "no free slot");
        raise_ev(r, t, MCU_RADIO_EV_OVR);
        return;
    }
    if (get_le16(r->txbuf) + 4u != len)
        sim_warn(t, r->name, "TX frame of %u bytes with L2CAP length %u",
                 len, get_le16(r->txbuf));
    ble_radio_frame_t *f = &r->tx[(r->tx_head + r->tx_n) % MCU_RADIO_TX_SLOTS];
    memcpy(f->b, r->txbuf, len);
    f->len = (uint16_t)len;
    r->tx_n++;
}

static void terminate(ble_radio_t *r, sim_time_t t)
{
    if (r->state != BLE_RADIO_CONN || r->terminating)
        return;
    r->terminating = true;
    /* the peer is told "remote user terminated" (what hosts send);
     * DISC_REASON reports 0x16 here, as a controller reports its own
     * host's termination */
    r->term_reason = BLE_ERR_REMOTE_USER_TERMINATED;
    r->ctrlq_n = 0;
    uint8_t b[2] = { BLE_LL_TERMINATE_IND, r->term_reason };
    ctrlq_push(r, b, 2);
    logf_conn(r, t, "terminating: LL_TERMINATE_IND 0x%02X", r->term_reason);
}

void ble_radio_write(void *ctx, uint32_t addr, uint32_t value, unsigned size,
                     sim_time_t t, bool *err)
{
    ble_radio_t *r = ctx;
    uint32_t off = addr - MCU_RADIO_BASE;
    if (off >= MCU_RADIO_ADV_DATA && off < MCU_RADIO_ADV_DATA + 32u) {
        buf_write(r->adv_data, off - MCU_RADIO_ADV_DATA, value, size);
        return;
    }
    if (off >= MCU_RADIO_TXBUF && off < MCU_RADIO_TXBUF + MCU_RADIO_BUF_SIZE) {
        buf_write(r->txbuf, off - MCU_RADIO_TXBUF, value, size);
        return;
    }
    if (size != 4) {
        *err = true;
        return;
    }
    switch (off) {
    case MCU_RADIO_CTRL: {
        bool was = r->ctrl & MCU_RADIO_CTRL_ADV;
        r->ctrl = value & MCU_RADIO_CTRL_ADV;
        if (!was && (value & MCU_RADIO_CTRL_ADV) &&
            r->state == BLE_RADIO_IDLE)
            adv_start(r, t);
        else if (was && !(value & MCU_RADIO_CTRL_ADV) &&
                 r->state == BLE_RADIO_ADV)
            adv_stop(r);
        if (value & MCU_RADIO_CTRL_TERMINATE)
            terminate(r, t);
        return;
    }
    case MCU_RADIO_ADV_INT:
        r->adv_int = value & 0xFFFFu;
        return;
    case MCU_RADIO_ADV_LEN:
        r->adv_len = value > 31u ? 31u : value;
        return;
    case MCU_RADIO_EVENT:
        r->event &= ~value;
        update_irq(r, t);
        return;
    case MCU_RADIO_IRQEN:
        r->irqen = value & 0x3Fu;
        update_irq(r, t);
        return;
    case MCU_RADIO_TX_LEN:
        queue_tx(r, t, value);
        return;
    case MCU_RADIO_RX_POP:
        if (!r->rx_n) {
            sim_warn(t, r->name, "RX_POP with no frame");
            return;
        }
        /* a frame being reassembled stays in slot head + n */
        r->rx_head = (r->rx_head + 1) % MCU_RADIO_RX_SLOTS;
        r->rx_n--;
        return;
    case MCU_RADIO_ADDR_LO:
    case MCU_RADIO_ADDR_HI:
    case MCU_RADIO_STATUS:
    case MCU_RADIO_CONN_INT:
    case MCU_RADIO_DISC_REASON:
    case MCU_RADIO_RX_LEN:
    case MCU_RADIO_DATA_LEN:
        return; /* read-only: writes ignored */
    default:
        *err = true;
        return;
    }
}

/* ---- lifecycle ------------------------------------------------------------ */

static void reset_state(ble_radio_t *r)
{
    r->ctrl = 0;
    r->adv_int = 0;
    r->adv_len = 0;
    r->event = 0;
    r->irqen = 0;
    r->disc_reason = 0;
    memset(r->adv_data, 0, sizeof r->adv_data);
    memset(r->txbuf, 0, sizeof r->txbuf);
    r->tx_head = r->tx_n = r->tx_off = 0;
    r->rx_head = r->rx_n = 0;
    r->rx_asm = false;
    r->state = BLE_RADIO_IDLE;
    r->rx_on = false;
    r->terminating = false;
    r->cur_valid = false;
    r->ctrlq_head = r->ctrlq_n = 0;
    r->eff_tx = r->eff_rx = BLE_DATA_LEN_DEFAULT;
}

void ble_radio_init(ble_radio_t *r, sim_t *sim, const ble_radio_cfg_t *cfg)
{
    memset(r, 0, sizeof *r);
    r->name = cfg->name ? cfg->name : "radio";
    r->sim = sim;
    r->node = cfg->node;
    r->bus = cfg->bus;
    memcpy(r->addr, cfg->addr, 6);
    r->irq = cfg->irq;
    r->irq_ctx = cfg->irq_ctx;
    sim_event_init(&r->ev_adv, "radio.adv", adv_fire, r);
    sim_event_init(&r->ev_conn, "radio.conn", conn_fire, r);
    sim_event_init(&r->ev_tx, "radio.tx", tx_fire, r);
    sim_event_init(&r->ev_sup, "radio.sup", sup_fire, r);
    reset_state(r);
}

void ble_radio_cleanup(ble_radio_t *r)
{
    (void)r;
}

void ble_radio_attach_air(ble_radio_t *r, sim_link_t *to_central)
{
    r->air = to_central;
}

void ble_radio_reset(void *ctx, sim_time_t now)
{
    ble_radio_t *r = ctx;
    sim_cancel(r->node, &r->ev_adv);
    sim_cancel(r->node, &r->ev_conn);
    sim_cancel(r->node, &r->ev_tx);
    sim_cancel(r->node, &r->ev_sup);
    if (r->state == BLE_RADIO_CONN)
        logf_conn(r, now, "chip reset: link dropped");
    reset_state(r);
    update_irq(r, now);
}

bool ble_radio_connected(const ble_radio_t *r)
{
    return r->state == BLE_RADIO_CONN;
}
