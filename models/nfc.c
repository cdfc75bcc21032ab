/* SPDX-License-Identifier: MIT */
/* models/nfc.c - the ISO/IEC 14443-A card-emulation front end (see nfc.h
 * for what is modelled, the reference and the Notes; docs/nfc.md for the
 * SPI protocol and the block handling rules implemented). */
#include "models/nfc.h"

#include <stdio.h>
#include <string.h>

#include "sim/fatal.h"

/* What a frame to send is, for what happens when it goes out. */
enum tx_kind {
    TX_PLAIN,     /* layer 3 answer, ATS, S(DESELECT) response */
    TX_BLOCK,     /* R(ACK), a chained response block, a chip answer */
    TX_WTX,       /* S(WTX) request: its response is awaited */
    TX_RESP_LAST, /* the last block of the MCU's response */
};

static const char *const evt_names[] = {
    "NONE", "FIELD_ON", "FIELD_OFF", "ACTIVATED", "APDU", "DESELECTED",
    "HALTED", "ERROR",
};

static const char *const err_names[] = {
    "?", "SPI", "STATE", "OVERFLOW", "PROTOCOL", "QUEUE",
};

/* ---- status, events, IRQ --------------------------------------------- */

uint8_t nfc_status(const nfc_t *n)
{
    uint8_t s = 0;
    if (n->q_len)
        s |= NFC_STATUS_EVENT;
    if (n->field)
        s |= NFC_STATUS_FIELD;
    if (n->l4)
        s |= NFC_STATUS_ACTIVE;
    if (n->waiting)
        s |= NFC_STATUS_WAITING;
    if (n->resp_ready)
        s |= NFC_STATUS_TX;
    return (uint8_t)s;
}

unsigned nfc_events_queued(const nfc_t *n)
{
    return n->q_len;
}

static void update_irq(nfc_t *n, sim_time_t now)
{
    bool level = n->q_len != 0;
    if (level == n->irq_level)
        return;
    n->irq_level = level;
    if (n->irq)
        n->irq(n->irq_ctx, now, level);
}

static void log_line(nfc_t *n, sim_time_t now, const char *fmt,
                     unsigned a, unsigned b)
{
    trace_logf(n->bus, now, n->name, 0, fmt, a, b);
}

/* Queues an event; a full queue drops it and remembers the loss (reported
 * as NFC_ERR_QUEUE once a slot frees). */
static void q_push(nfc_t *n, sim_time_t now, uint8_t type, const uint8_t *d,
                   size_t len)
{
    if (type == NFC_EVT_ERROR)
        trace_logf(n->bus, now, n->name, 1, "event ERROR %s",
                   err_names[d[0] < 6 ? d[0] : 0]);
    else if (type == NFC_EVT_APDU)
        trace_logf(n->bus, now, n->name, 0, "event APDU %zu bytes", len);
    else
        trace_logf(n->bus, now, n->name, 0, "event %s", evt_names[type]);
    if (n->q_len == NFC_EVENT_QUEUE) {
        n->q_lost = true;
        n->events_lost++;
        sim_warn(now, n->name, "event queue full: event %s lost",
                 evt_names[type]);
        return;
    }
    nfc_event_slot_t *e = &n->q[(n->q_head + n->q_len) % NFC_EVENT_QUEUE];
    e->type = type;
    e->len = (uint16_t)len;
    if (len)
        memcpy(e->data, d, len);
    n->q_len++;
    update_irq(n, now);
}

static void q_error(nfc_t *n, sim_time_t now, uint8_t err)
{
    q_push(n, now, NFC_EVT_ERROR, &err, 1);
}

static void q_pop(nfc_t *n, sim_time_t now)
{
    n->q_head = (n->q_head + 1) % NFC_EVENT_QUEUE;
    n->q_len--;
    if (n->q_lost) {
        n->q_lost = false;
        q_error(n, now, NFC_ERR_QUEUE);
    }
    update_irq(n, now);
}

/* ---- sending ---------------------------------------------------------- */

static sim_time_t fc_edge(const nfc_t *n, uint64_t cycle)
{
    return sim_clock_edge(&n->fc, cycle);
}

/* First answer slot last_end + k * 128 + 84/20 (k >= 9) at or after
 * carrier cycle c. */
static uint64_t slot_at_or_after(const nfc_t *n, uint64_t c)
{
    uint64_t base = n->last_end + iso14443_fdt_picc_fc(0, n->last_bit);
    uint64_t k = ISO14443_FDT_N_L3;
    if (c > base + k * ISO14443_BIT_FC)
        k = (c - base + ISO14443_BIT_FC - 1) / ISO14443_BIT_FC;
    return base + k * ISO14443_BIT_FC;
}

static uint64_t slot_now(const nfc_t *n)
{
    return slot_at_or_after(n, 0);
}

static void schedule_tx(nfc_t *n, const uint8_t *p, size_t len,
                        uint64_t cycle, int kind)
{
    memcpy(n->tx, p, len);
    n->tx_len = len;
    n->tx_cycle = cycle;
    n->tx_kind = kind;
    sim_cancel(n->node, &n->tx_ev);
    sim_schedule(n->node, &n->tx_ev, fc_edge(n, cycle));
}

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    nfc_t *n = ev->ctx;
    if (!n->to_pcd)
        sim_fatal(now, "%s: no air link attached", n->name);
    sim_time_t end = fc_edge(n, n->tx_cycle + iso14443_frame_fc(n->tx_len));
    sim_link_send_at(n->to_pcd, now, end, ISO14443_MSG_FRAME, n->tx_cycle,
                     n->tx, n->tx_len);
    n->frames_out++;
    if (n->tx_kind == TX_WTX) {
        n->wtx_pending = true;
        n->wtx_sent++;
        log_line(n, now, "auto S(WTX) WTXM %u", n->wtxm, 0);
    } else if (n->tx_kind == TX_RESP_LAST) {
        n->resp_ready = false;
    }
}

/* A layer 3 answer (or the ATS) at the n = 9 slot. */
static void answer_plain(nfc_t *n, uint8_t *p, size_t len, bool crc)
{
    if (crc)
        len = iso14443_add_crc(p, len);
    schedule_tx(n, p, len, slot_now(n), TX_PLAIN);
}

/* Block header: PCB, with the CID if the PCD's last block had one. */
static size_t blk_hdr(const nfc_t *n, uint8_t *p, uint8_t pcb)
{
    if (n->blk_cid) {
        p[0] = (uint8_t)(pcb | ISO14443_PCB_CID);
        p[1] = n->cid;
        return 2;
    }
    p[0] = pcb;
    return 1;
}

/* Makes p the block to (re)send and sends it at `cycle`. */
static void send_block(nfc_t *n, uint8_t *p, size_t len, uint64_t cycle,
                       int kind)
{
    len = iso14443_add_crc(p, len);
    memcpy(n->last_blk, p, len);
    n->last_blk_len = len;
    n->last_kind = kind;
    schedule_tx(n, p, len, cycle, kind);
}

static void send_r_ack(nfc_t *n)
{
    uint8_t b[4];
    size_t k = blk_hdr(n, b, (uint8_t)(ISO14443_PCB_R_ACK | n->bn));
    send_block(n, b, k, slot_now(n), TX_BLOCK);
}

/* The automatic S(WTX), decided NFC_WTX_MARGIN_FC before the (extended)
 * FWT from the last PCD frame runs out. */
static void arm_wtx(nfc_t *n, unsigned mult)
{
    uint64_t fwt = iso14443_fwt_fc(n->fwi) * mult;
    uint64_t at = n->last_end + fwt - NFC_WTX_MARGIN_FC;
    uint8_t b[5];
    size_t k = blk_hdr(n, b, ISO14443_PCB_S_WTX);
    b[k++] = (uint8_t)n->wtxm;
    send_block(n, b, k, slot_at_or_after(n, at), TX_WTX);
}

/* The next block of the response at the first slot at or after cycle. */
static void send_resp_block(nfc_t *n, uint64_t cycle)
{
    uint8_t b[ISO14443_FRAME_MAX];
    size_t room = n->fsd - 3u - (n->blk_cid ? 1u : 0u);
    size_t left = n->resp_len - n->resp_off;
    bool more = left > room;
    size_t chunk = more ? room : left;
    size_t k = blk_hdr(n, b, (uint8_t)(ISO14443_PCB_I | n->bn |
                                       (more ? ISO14443_PCB_CHAIN : 0u)));
    memcpy(b + k, n->resp + n->resp_off, chunk);
    n->resp_off += chunk;
    n->tx_chaining = more;
    send_block(n, b, k + chunk, slot_at_or_after(n, cycle),
               more ? TX_BLOCK : TX_RESP_LAST);
}

/* ---- state changes ---------------------------------------------------- */

/* Drops layer 4 and any APDU in progress. */
static void l4_drop(nfc_t *n)
{
    n->l4 = false;
    n->rx_len = n->rx_total = 0;
    n->rx_chaining = false;
    n->waiting = n->wtx_pending = n->resp_ready = n->tx_chaining = false;
    n->resp_len = n->resp_off = 0;
    n->last_blk_len = 0;
}

/* A state change makes any answer not yet sent moot. */
static void to_state(nfc_t *n, nfc_l3_state_t s)
{
    sim_cancel(n->node, &n->tx_ev);
    n->state = s;
    n->level = 0;
    if (s != NFC_ACTIVE)
        l4_drop(n);
    if (s == NFC_IDLE || s == NFC_POWER_OFF)
        n->from_halt = false;
}

/* Unexpected frame or transmission error in layer 3: ISO 14443-3 goes
 * back to IDLE, or HALT for READY* / ACTIVE*. */
static void l3_error(nfc_t *n)
{
    to_state(n, n->from_halt ? NFC_HALT : NFC_IDLE);
}

static void field_off(nfc_t *n, sim_time_t now)
{
    bool busy = n->rx_chaining || n->waiting || n->resp_ready;
    n->field = false;
    to_state(n, NFC_POWER_OFF);
    if (busy)
        trace_logf(n->bus, now, n->name, 0, "field off: APDU dropped");
    q_push(n, now, NFC_EVT_FIELD_OFF, NULL, 0);
}

/* ---- layer 3 ---------------------------------------------------------- */

static unsigned uid_levels(const nfc_t *n)
{
    return n->uid_len == 4 ? 1u : n->uid_len == 7 ? 2u : 3u;
}

/* The 4 UID CLn bytes of cascade level lv and their BCC at out[4]. */
static void uid_cl(const nfc_t *n, unsigned lv, uint8_t out[5])
{
    bool more = lv + 1 < uid_levels(n);
    const uint8_t *u = n->uid + 3 * lv;
    if (more) {
        out[0] = ISO14443_CASCADE_TAG;
        memcpy(out + 1, u, 3);
    } else {
        memcpy(out, u, 4);
    }
    out[4] = (uint8_t)(out[0] ^ out[1] ^ out[2] ^ out[3]);
}

static bool is_hlta(const uint8_t *p, size_t len)
{
    return len == 4 && p[0] == ISO14443_HLTA && p[1] == 0x00 &&
           iso14443_crc_ok(p, len);
}

static void send_atqa(nfc_t *n)
{
    uint8_t a[2] = { (uint8_t)(0x04u | ((uid_levels(n) - 1u) << 6)), 0x00 };
    answer_plain(n, a, 2, false);
}

/* Returns false if the frame is ignored (nothing changes). */
static bool l3_short(nfc_t *n, uint8_t cmd)
{
    switch (n->state) {
    case NFC_IDLE:
        if (cmd != ISO14443_REQA && cmd != ISO14443_WUPA)
            return false;
        to_state(n, NFC_READY);
        send_atqa(n);
        return true;
    case NFC_HALT:
        if (cmd != ISO14443_WUPA)
            return false;
        to_state(n, NFC_READY);
        n->from_halt = true;
        send_atqa(n);
        return true;
    case NFC_READY:
        l3_error(n);
        return true;
    case NFC_ACTIVE:
        if (n->l4)
            return false; /* layer 4 ignores short frames */
        l3_error(n);
        return true;
    default:
        return false;
    }
}

static void rats(nfc_t *n, sim_time_t now, const uint8_t *p)
{
    n->fsd = iso14443_fs_bytes(p[1] >> 4);
    n->cid = p[1] & 0x0Fu;
    n->l4 = true;
    n->bn = 1; /* rule C */
    n->blk_cid = false;
    uint8_t ats[ISO14443_FRAME_MAX];
    ats[0] = (uint8_t)(5u + n->hist_len);
    ats[1] = (uint8_t)(0x70u | n->fsci);
    ats[2] = 0x00;
    ats[3] = (uint8_t)(n->fwi << 4 | n->sfgi);
    ats[4] = 0x02;
    memcpy(ats + 5, n->hist, n->hist_len);
    answer_plain(n, ats, 5 + n->hist_len, true);
    uint8_t d[3] = { (uint8_t)(n->fsd >> 8), (uint8_t)n->fsd, n->cid };
    log_line(n, now, "activated FSD %u CID %u", n->fsd, n->cid);
    q_push(n, now, NFC_EVT_ACTIVATED, d, 3);
}

static bool l3_frame(nfc_t *n, sim_time_t now, const uint8_t *p, size_t len)
{
    switch (n->state) {
    case NFC_READY: {
        uint8_t sel = (uint8_t)(ISO14443_SEL_CL1 + 2u * n->level);
        uint8_t cl[5];
        uid_cl(n, n->level, cl);
        if (len == 2 && p[0] == sel && p[1] == ISO14443_NVB_ANTICOLL) {
            answer_plain(n, cl, 5, false);
            return true;
        }
        if (len == 9 && p[0] == sel && p[1] == ISO14443_NVB_SELECT &&
            iso14443_crc_ok(p, len) && memcmp(p + 2, cl, 5) == 0) {
            uint8_t sak[3];
            if (n->level + 1 < uid_levels(n)) {
                sak[0] = ISO14443_SAK_INCOMPLETE;
                n->level++;
            } else {
                sak[0] = ISO14443_SAK_ISO14443_4;
                n->state = NFC_ACTIVE;
            }
            answer_plain(n, sak, 1, true);
            return true;
        }
        l3_error(n);
        return true;
    }
    case NFC_ACTIVE:
        if (is_hlta(p, len)) {
            to_state(n, NFC_HALT);
            q_push(n, now, NFC_EVT_HALTED, NULL, 0);
            return true;
        }
        if (len == 4 && p[0] == ISO14443_RATS && iso14443_crc_ok(p, len) &&
            (p[1] & 0x0Fu) != 0x0Fu) {
            rats(n, now, p);
            return true;
        }
        l3_error(n);
        return true;
    default:
        return false; /* IDLE, HALT: only short frames count */
    }
}

/* ---- layer 4 ---------------------------------------------------------- */

static void protocol_error(nfc_t *n, sim_time_t now, const char *why)
{
    trace_logf(n->bus, now, n->name, 1, "block ignored: %s", why);
    q_error(n, now, NFC_ERR_PROTOCOL);
}

/* Rule 11 (and the NAK of a block not yet sent): the last block again,
 * at once; while waiting with nothing sent, an S(WTX). */
static void retransmit(nfc_t *n, sim_time_t now)
{
    if (n->last_blk_len) {
        n->retransmits++;
        uint8_t b[ISO14443_FRAME_MAX];
        memcpy(b, n->last_blk, n->last_blk_len);
        schedule_tx(n, b, n->last_blk_len, slot_now(n), n->last_kind);
        return;
    }
    protocol_error(n, now, "R-block with nothing to repeat");
}

static void i_block(nfc_t *n, sim_time_t now, uint8_t pcb, const uint8_t *inf,
                    size_t len)
{
    n->bn ^= 1u; /* rule D */
    if (!n->rx_chaining)
        n->rx_len = n->rx_total = 0;
    if (n->rx_total + len <= NFC_APDU_MAX) {
        memcpy(n->rx_apdu + n->rx_len, inf, len);
        n->rx_len += len;
    }
    n->rx_total += len;
    if (pcb & ISO14443_PCB_CHAIN) {
        n->rx_chaining = true;
        send_r_ack(n); /* rule 2 */
        return;
    }
    n->rx_chaining = false;
    if (n->rx_total > NFC_APDU_MAX) {
        /* the chip answers by itself: the MCU only hears of it */
        trace_logf(n->bus, now, n->name, 1, "C-APDU of %zu bytes refused",
                   n->rx_total);
        q_error(n, now, NFC_ERR_OVERFLOW);
        n->resp[0] = (uint8_t)(NFC_SW_OVERFLOW >> 8);
        n->resp[1] = (uint8_t)NFC_SW_OVERFLOW;
        n->resp_len = 2;
        n->resp_off = 0;
        send_resp_block(n, 0);
        return;
    }
    n->apdus++;
    n->waiting = true;
    q_push(n, now, NFC_EVT_APDU, n->rx_apdu, n->rx_len);
    arm_wtx(n, 1);
}

/* Returns false if the block is not for us or broke the protocol (it is
 * then ignored). */
static bool l4_frame(nfc_t *n, sim_time_t now, const uint8_t *p, size_t len)
{
    if (is_hlta(p, len)) {
        to_state(n, NFC_HALT);
        q_push(n, now, NFC_EVT_HALTED, NULL, 0);
        return true;
    }
    if (len < 3 || !iso14443_crc_ok(p, len)) {
        n->frames_bad++;
        return false;
    }
    len -= 2;
    uint8_t pcb = p[0];
    bool is_i = ISO14443_IS_I(pcb), is_r = ISO14443_IS_R(pcb),
         is_s = ISO14443_IS_S(pcb);
    if (!is_i && !is_r && !is_s) {
        protocol_error(n, now, "unknown PCB");
        return false;
    }
    bool has_cid = (pcb & ISO14443_PCB_CID) != 0;
    size_t k = 1;
    if (has_cid) {
        if (len < 2 || (p[1] & 0x0Fu) != n->cid)
            return false; /* another PICC's */
        k = 2;
    } else if (n->cid != 0) {
        return false;
    }
    const uint8_t *inf = p + k;
    size_t inf_len = len - k;

    if (is_s) {
        if ((pcb & 0x30u) == 0x00u && inf_len == 0) {
            to_state(n, NFC_HALT);
            n->blk_cid = has_cid;
            uint8_t b[4];
            size_t m = blk_hdr(n, b, ISO14443_PCB_S_DESELECT);
            answer_plain(n, b, m, true);
            q_push(n, now, NFC_EVT_DESELECTED, NULL, 0);
            return true;
        }
        if ((pcb & 0x30u) == 0x30u && inf_len == 1 && n->wtx_pending &&
            (inf[0] & 0x3Fu) == n->wtxm) {
            n->blk_cid = has_cid;
            n->wtx_pending = false;
            sim_cancel(n->node, &n->tx_ev);
            if (n->resp_ready)
                send_resp_block(n, 0);
            else
                arm_wtx(n, n->wtxm);
            return true;
        }
        protocol_error(n, now, "unexpected S-block");
        return false;
    }

    if (is_r) {
        if (inf_len != 0) {
            protocol_error(n, now, "R-block with INF");
            return false;
        }
        unsigned rbn = pcb & 1u;
        bool nak = (pcb & 0x10u) != 0;
        if (rbn == n->bn) {
            if (!n->last_blk_len) {
                protocol_error(n, now, "R-block with nothing to repeat");
                return false;
            }
            n->blk_cid = has_cid;
            retransmit(n, now); /* rule 11 */
            return true;
        }
        if (nak) {
            n->blk_cid = has_cid;
            send_r_ack(n); /* rule 12 */
            return true;
        }
        if (n->tx_chaining && !n->wtx_pending) {
            n->blk_cid = has_cid;
            n->bn ^= 1u; /* rule E */
            send_resp_block(n, 0); /* rule 13 */
            return true;
        }
        protocol_error(n, now, "R(ACK) out of chaining");
        return false;
    }

    /* I-block */
    if (pcb & 0x04u) {
        protocol_error(n, now, "NAD not supported");
        return false;
    }
    if (n->waiting || n->wtx_pending || n->resp_ready || n->tx_chaining) {
        protocol_error(n, now, "I-block while the PICC has the turn");
        return false;
    }
    if ((pcb & 1u) == n->bn) {
        protocol_error(n, now, "I-block with the PICC's block number");
        return false;
    }
    n->blk_cid = has_cid;
    i_block(n, now, pcb, inf, inf_len);
    return true;
}

/* ---- the air ---------------------------------------------------------- */

void nfc_air_rx(void *ctx, const sim_msg_t *msg, sim_time_t now)
{
    nfc_t *n = ctx;
    if (msg->kind == ISO14443_MSG_FIELD) {
        if (msg->value && !n->field) {
            n->field = true;
            sim_clock_init(&n->fc, "nfc", ISO14443_FC_HZ, msg->sent);
            to_state(n, NFC_IDLE);
            q_push(n, now, NFC_EVT_FIELD_ON, NULL, 0);
        } else if (!msg->value && n->field) {
            field_off(n, now);
        }
        return;
    }
    if (!n->field || msg->len == 0)
        return;
    bool shrt = msg->kind == ISO14443_MSG_SHORT;
    if (!shrt && msg->kind != ISO14443_MSG_FRAME)
        return;
    n->frames_in++;
    uint64_t old_end = n->last_end;
    unsigned old_bit = n->last_bit;
    n->last_end = msg->value + (shrt ? ISO14443_SHORT_FRAME_FC
                                     : iso14443_frame_fc(msg->len));
    n->last_bit = iso14443_last_bit(msg->data, msg->len, shrt);
    bool taken;
    if (shrt)
        taken = l3_short(n, msg->data[0] & 0x7Fu);
    else if (n->l4)
        taken = l4_frame(n, now, msg->data, msg->len);
    else
        taken = l3_frame(n, now, msg->data, msg->len);
    if (!taken) {
        n->last_end = old_end;
        n->last_bit = old_bit;
    }
}

/* ---- SPI -------------------------------------------------------------- */

static const nfc_event_slot_t *spi_event(const nfc_t *n)
{
    return n->spi_evt_some ? &n->q[n->q_head] : NULL;
}

uint8_t nfc_spi_xfer(void *ctx, sim_time_t now, uint8_t mosi)
{
    nfc_t *n = ctx;
    if (!n->cs) {
        sim_warn(now, n->name, "SPI byte without chip select");
        return 0x00;
    }
    size_t pos = n->spi_n++;
    if (pos < sizeof n->mosi)
        n->mosi[pos] = mosi;
    if (pos == 0) {
        n->spi_cmd = mosi;
        return nfc_status(n);
    }
    switch (n->spi_cmd) {
    case NFC_CMD_READ_EVENT: {
        if (pos == 1) {
            n->spi_evt_latched = true;
            n->spi_evt_some = n->q_len != 0;
        }
        const nfc_event_slot_t *e = spi_event(n);
        if (!e)
            return 0x00;
        if (pos == 1)
            return e->type;
        if (pos == 2)
            return (uint8_t)(e->len >> 8);
        if (pos == 3)
            return (uint8_t)e->len;
        return pos - 4 < e->len ? e->data[pos - 4] : 0x00;
    }
    case NFC_CMD_STATUS:
        return pos == 1 ? nfc_status(n) : 0x00;
    default:
        return 0x00;
    }
}

static void spi_response(nfc_t *n, sim_time_t now)
{
    size_t want = n->spi_n >= 3 ? ((size_t)n->mosi[1] << 8 | n->mosi[2])
                                : SIZE_MAX;
    if (want > NFC_APDU_MAX || n->spi_n - 3 != want) {
        q_error(n, now, NFC_ERR_SPI);
        return;
    }
    if (!n->waiting) {
        q_error(n, now, NFC_ERR_STATE);
        return;
    }
    memcpy(n->resp, n->mosi + 3, want);
    n->resp_len = want;
    n->resp_off = 0;
    n->waiting = false;
    n->resp_ready = true;
    n->responses++;
    if (n->wtx_pending)
        return; /* sent once the PCD has answered the S(WTX) */
    sim_cancel(n->node, &n->tx_ev); /* the S(WTX) it replaces */
    send_resp_block(n, sim_clock_edge_at_or_after(&n->fc, now));
}

static const char *cmd_name(uint8_t c)
{
    switch (c) {
    case NFC_CMD_READ_EVENT: return "READ_EVENT";
    case NFC_CMD_RESPONSE: return "RESPONSE";
    case NFC_CMD_STATUS: return "STATUS";
    default: return "unknown";
    }
}

void nfc_spi_cs(void *ctx, sim_time_t now, bool asserted)
{
    nfc_t *n = ctx;
    if (asserted) {
        if (n->cs)
            sim_warn(now, n->name, "SPI chip select asserted twice");
        n->cs = true;
        n->cs_time = now;
        n->spi_n = 0;
        n->spi_evt_latched = n->spi_evt_some = false;
        return;
    }
    if (!n->cs)
        return;
    n->cs = false;
    if (n->spi_n == 0)
        return;
    n->spi_transactions++;
    if (trace_wants(n->bus, TRACE_FRAME)) {
        trace_rec_t r = {
            .time = now, .start = n->cs_time, .kind = TRACE_FRAME,
            .source = n->name, .path = "spi", .dir = TRACE_DIR_CMD,
            .data = n->mosi,
            .len = n->spi_n < sizeof n->mosi ? n->spi_n : sizeof n->mosi,
            .text = cmd_name(n->spi_cmd),
            .u.frame = { .proto = TRACE_PROTO_SPI, .crc_ok = true },
        };
        trace_publish(n->bus, &r);
    }
    if (n->spi_cmd == NFC_CMD_READ_EVENT) {
        if (n->spi_evt_some && n->spi_n >= 4)
            q_pop(n, now);
    } else if (n->spi_cmd == NFC_CMD_RESPONSE) {
        spi_response(n, now);
    }
}

/* ---- lifecycle -------------------------------------------------------- */

void nfc_cfg_default(nfc_cfg_t *cfg)
{
    static const uint8_t uid[4] = { 0x08, 0x12, 0x34, 0x56 };
    memset(cfg, 0, sizeof *cfg);
    cfg->name = "nfc";
    memcpy(cfg->uid, uid, sizeof uid);
    cfg->uid_len = 4;
    cfg->fsci = NFC_DEFAULT_FSCI;
    cfg->fwi = NFC_DEFAULT_FWI;
    cfg->sfgi = NFC_DEFAULT_SFGI;
    cfg->wtxm = NFC_DEFAULT_WTXM;
}

int nfc_cfg_check(const nfc_cfg_t *cfg, char *err, size_t errlen)
{
    const char *name = cfg->name ? cfg->name : "nfc";
    if (cfg->uid_len != 4 && cfg->uid_len != 7 && cfg->uid_len != 10)
        snprintf(err, errlen, "%s: UID of %u bytes (4, 7 or 10)", name,
                 cfg->uid_len);
    else if (cfg->fsci > 8)
        snprintf(err, errlen, "%s: FSCI %u (0..8)", name, cfg->fsci);
    else if (cfg->fwi > 14)
        snprintf(err, errlen, "%s: FWI %u (0..14)", name, cfg->fwi);
    else if (cfg->sfgi > 14)
        snprintf(err, errlen, "%s: SFGI %u (0..14)", name, cfg->sfgi);
    else if (cfg->hist_len > 15)
        snprintf(err, errlen, "%s: %u historical bytes (at most 15)", name,
                 cfg->hist_len);
    else if (cfg->wtxm < 1 || cfg->wtxm > 59)
        snprintf(err, errlen, "%s: WTXM %u (1..59)", name, cfg->wtxm);
    else
        return 0;
    return -1;
}

void nfc_init(nfc_t *n, sim_t *sim, const nfc_cfg_t *cfg)
{
    (void)sim;
    const char *name = cfg->name ? cfg->name : "nfc";
    char err[128];
    if (!cfg->node)
        sim_fatal_plain("%s: no node", name);
    if (nfc_cfg_check(cfg, err, sizeof err) != 0)
        sim_fatal_plain("%s", err);
    memset(n, 0, sizeof *n);
    n->name = name;
    n->node = cfg->node;
    n->bus = cfg->bus;
    memcpy(n->uid, cfg->uid, sizeof n->uid);
    n->uid_len = cfg->uid_len;
    n->fsci = cfg->fsci;
    n->fwi = cfg->fwi;
    n->sfgi = cfg->sfgi;
    n->wtxm = cfg->wtxm;
    memcpy(n->hist, cfg->hist, sizeof n->hist);
    n->hist_len = cfg->hist_len;
    n->irq = cfg->irq;
    n->irq_ctx = cfg->irq_ctx;
    n->state = NFC_POWER_OFF;
    n->fsd = 256;
    sim_clock_init(&n->fc, "nfc", ISO14443_FC_HZ, 0);
    sim_event_init(&n->tx_ev, "nfc.tx", tx_fire, n);
}

/* Nothing is allocated; the pending event dies with the node's heap. */
void nfc_cleanup(nfc_t *n)
{
    (void)n;
}

void nfc_attach_air(nfc_t *n, sim_link_t *to_pcd)
{
    n->to_pcd = to_pcd;
}
