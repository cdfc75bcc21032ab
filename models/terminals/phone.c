/* SPDX-License-Identifier: MIT */
/* models/terminals/phone.c - the phone's NFC reader, an ISO/IEC 14443-A
 * PCD (see phone.h for what is modelled, the references and the Notes;
 * docs/phone.md for the behaviour in full). */
#include "models/terminals/phone.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/fatal.h"

/* the step of the operation: what the awaited answer is */
enum {
    ST_NONE,
    ST_FIELD,   /* waiting to switch the field */
    ST_REQA,    /* REQA/WUPA sent: ATQA awaited */
    ST_AC,      /* ANTICOLLISION sent: UID CLn + BCC awaited */
    ST_SEL,     /* SELECT sent: SAK awaited */
    ST_RATS,    /* RATS sent: ATS awaited */
    ST_L4,      /* APDU exchange */
    ST_DESEL,   /* S(DESELECT) sent */
};

/* what seq_ev does when it fires */
enum { SEQ_NONE, SEQ_FIELD, SEQ_FINISH };

/* the last block the PCD sent (layer 4) */
enum { LS_NONE, LS_I, LS_R_ACK, LS_R_NAK, LS_S_WTX, LS_S_DESEL };

/* ---- small helpers -------------------------------------------------- */

static sim_time_t cyc(const phone_t *p, uint64_t n)
{
    return sim_clock_edge(&p->fc, n);
}

static uint64_t frame_dur(size_t n, bool short_frame)
{
    return short_frame ? ISO14443_SHORT_FRAME_FC : iso14443_frame_fc(n);
}

static unsigned fsd_bytes(const phone_t *p)
{
    return iso14443_fs_bytes(p->fsdi);
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

static void logf_(phone_t *p, sim_time_t now, int level, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static void logf_(phone_t *p, sim_time_t now, int level, const char *fmt,
                  ...)
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

static void trace_frame(phone_t *p, uint8_t ev, sim_time_t start,
                        sim_time_t end, const uint8_t *d, size_t n,
                        bool crc_ok, const char *text)
{
    if (!trace_wants(p->bus, TRACE_FRAME))
        return;
    trace_rec_t rec = {
        .time = end, .start = start, .kind = TRACE_FRAME,
        .source = p->name, .path = p->path,
        .dir = ev == TRACE_NFC_EV_PCD_TO_PICC   ? TRACE_DIR_CMD
               : ev == TRACE_NFC_EV_PICC_TO_PCD ? TRACE_DIR_RSP
                                                : TRACE_DIR_NONE,
        .data = n ? d : NULL, .len = n, .text = text,
    };
    rec.u.frame.proto = TRACE_PROTO_NFC_A;
    rec.u.frame.nfc_event = ev;
    rec.u.frame.crc_ok = crc_ok;
    trace_publish(p->bus, &rec);
}

static void trace_apdu(phone_t *p, trace_dir_t dir, sim_time_t start,
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

static void set_error(phone_t *p, phone_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(phone_t *p, phone_status_t st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->res.status = st;
}

static void disarm(phone_t *p)
{
    p->waiting = false;
    sim_cancel(p->node, &p->tmo_ev);
}

/* Calls the operation's callback now, or from seq_ev at now when inside
 * the call that started the operation. */
static void complete(phone_t *p, sim_time_t now)
{
    disarm(p);
    if (p->in_call) {
        p->seq_kind = SEQ_FINISH;
        sim_cancel(p->node, &p->seq_ev);
        sim_schedule(p->node, &p->seq_ev, now);
        return;
    }
    phone_result_t res = p->res;
    res.end = now;
    res.error = p->msg;
    phone_done_fn done = p->done;
    void *ctx = p->done_ctx;
    p->op = PHONE_OP_NONE;
    p->step = ST_NONE;
    p->done = NULL;
    p->done_ctx = NULL;
    p->then_transmit = false;
    if (res.status != PHONE_OK)
        logf_(p, now, 2, "%s failed: %s", phone_op_name(res.op), p->msg);
    if (done)
        done(ctx, now, &res);
}

static void fail(phone_t *p, sim_time_t now, phone_status_t st,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The operation failed: the card is no longer taken as active. */
static void fail(phone_t *p, sim_time_t now, phone_status_t st,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->res.status = st;
    p->active = false;
    p->l3_done = false;
    sim_cancel(p->node, &p->tx_ev);
    complete(p, now);
}

/* ---- sending -------------------------------------------------------- */

/* Queues a frame for the earliest carrier edge allowed: not before now,
 * the end of the PCD's previous frame, or next_tx_fc (the turnaround
 * after the PICC's last frame, SFGT, the power-up time). */
static void send_frame(phone_t *p, sim_time_t now, const uint8_t *d,
                       size_t n, bool short_frame)
{
    if (n > sizeof p->txf || n == 0)
        sim_fatal(now, "phone '%s': frame of %zu bytes", p->name, n);
    memcpy(p->txf, d, n);
    p->txf_len = n;
    p->txf_short = short_frame;
    uint64_t s = sim_clock_edge_at_or_after(&p->fc, now);
    if (s < p->next_tx_fc)
        s = p->next_tx_fc;
    if (s < p->tx_end_fc)
        s = p->tx_end_fc;
    p->txf_start_fc = s;
    sim_cancel(p->node, &p->tx_ev);
    sim_schedule(p->node, &p->tx_ev, cyc(p, s));
}

/* Arms the wait for an answer that must start at or before limit_fc and
 * be at most max_len bytes long. */
static void expect(phone_t *p, uint64_t limit_fc, size_t max_len)
{
    p->waiting = true;
    p->rx_limit_fc = limit_fc;
    sim_cancel(p->node, &p->tmo_ev);
    sim_schedule(p->node, &p->tmo_ev,
                 cyc(p, limit_fc + iso14443_frame_fc(max_len) +
                            ISO14443_BIT_FC));
}

static uint64_t l3_limit(const phone_t *p)
{
    unsigned last = iso14443_last_bit(p->txf, p->txf_len, p->txf_short);
    return p->tx_end_fc + iso14443_fdt_picc_fc(ISO14443_FDT_N_L3, last) +
           PHONE_L3_TOLERANCE_FC;
}

static uint64_t l4_limit(phone_t *p)
{
    uint64_t w = p->fwt_fc * (p->wtxm ? p->wtxm : 1u);
    p->wtxm = 1;
    return p->tx_end_fc + w + PHONE_DELTA_FWT_FC;
}

/* The frame is on air from now (its start): what it means for the
 * exchange, then the wait for the answer. */
static void after_send(phone_t *p, sim_time_t now)
{
    switch (p->step) {
    case ST_REQA:
        p->res.reqa_start = now;
        expect(p, l3_limit(p), 2);
        return;
    case ST_AC:
        expect(p, l3_limit(p), 5);
        return;
    case ST_SEL:
        expect(p, l3_limit(p), 3);
        return;
    case ST_RATS:
        expect(p, p->tx_end_fc + PHONE_FWT_ACTIVATION_FC, fsd_bytes(p));
        return;
    case ST_L4:
        if (p->last_sent == LS_I) {
            if (p->res.cmd_start == SIM_NEVER)
                p->res.cmd_start = now;
            if (!p->last_i_chain && !p->cmd_traced) {
                p->cmd_traced = true;
                p->res.cmd_end = p->tx_end;
                trace_apdu(p, TRACE_DIR_CMD, p->res.cmd_start, p->tx_end,
                           p->cmd, p->cmd_len);
            }
        }
        expect(p, l4_limit(p), fsd_bytes(p));
        return;
    case ST_DESEL:
        expect(p, l4_limit(p), 4);
        return;
    default:
        return;
    }
}

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    phone_t *p = ev->ctx;
    if (!p->field || !p->air || !p->txf_len)
        return;
    uint64_t s = p->txf_start_fc;
    uint64_t e = s + frame_dur(p->txf_len, p->txf_short);
    sim_time_t end = cyc(p, e);
    sim_link_send_at(p->air, now, end,
                     p->txf_short ? ISO14443_MSG_SHORT : ISO14443_MSG_FRAME,
                     s, p->txf, p->txf_len);
    p->tx_end_fc = e;
    p->tx_end = end;
    /* REQA/WUPA and ANTICOLLISION carry no CRC_A */
    bool has_crc = !p->txf_short && p->step != ST_AC;
    trace_frame(p, TRACE_NFC_EV_PCD_TO_PICC, now, end, p->txf, p->txf_len,
                !has_crc || iso14443_crc_ok(p->txf, p->txf_len), NULL);
    p->stats.frames_sent++;
    p->res.frames_sent++;
    after_send(p, now);
}

/* ---- layer 4 blocks ------------------------------------------------- */

static size_t block_head(phone_t *p, uint8_t *b, uint8_t pcb)
{
    if (p->use_cid) {
        b[0] = (uint8_t)(pcb | ISO14443_PCB_CID);
        b[1] = (uint8_t)p->cid;
        return 2;
    }
    b[0] = pcb;
    return 1;
}

static void send_block(phone_t *p, sim_time_t now, uint8_t pcb,
                       const uint8_t *inf, size_t n, int kind)
{
    uint8_t b[ISO14443_FRAME_MAX];
    size_t o = block_head(p, b, pcb);
    if (n)
        memcpy(b + o, inf, n);
    size_t len = iso14443_add_crc(b, o + n);
    p->last_sent = kind;
    send_frame(p, now, b, len, false);
}

/* The next I-block of the command: as much as FSC allows. */
static void send_next_i(phone_t *p, sim_time_t now)
{
    size_t max_inf = p->fsc - 3u - (p->use_cid ? 1u : 0u);
    size_t left = p->cmd_len - p->cmd_off;
    bool chain = left > max_inf;
    size_t n = chain ? max_inf : left;
    p->cmd_chunk = n;
    uint8_t pcb = (uint8_t)(ISO14443_PCB_I | p->bn |
                            (chain ? ISO14443_PCB_CHAIN : 0u));
    send_block(p, now, pcb, p->cmd + p->cmd_off, n, LS_I);
    memcpy(p->last_i, p->txf, p->txf_len);
    p->last_i_len = p->txf_len;
    p->last_i_chain = chain;
}

static void start_exchange(phone_t *p, sim_time_t now)
{
    p->step = ST_L4;
    p->cmd_off = 0;
    p->rsp_len = 0;
    p->rx_chaining = false;
    p->retry_count = 0;
    p->wtxm = 1;
    p->cmd_traced = false;
    send_next_i(p, now);
}

/* A time-out or an invalid block: ask again (PCD rules 4 and 5), or give
 * up when the retries are spent. */
static void recover(phone_t *p, sim_time_t now, bool timeout,
                    const char *why)
{
    if (p->retry_count >= p->retries) {
        fail(p, now, timeout ? PHONE_ERR_TIMEOUT : PHONE_ERR_PROTOCOL,
             "%s after %u retries", why, p->retry_count);
        return;
    }
    p->retry_count++;
    p->res.retries++;
    p->stats.retries++;
    if (p->step == ST_DESEL) {
        logf_(p, now, 1, "%s: S(DESELECT) again", why);
        send_block(p, now, ISO14443_PCB_S_DESELECT, NULL, 0, LS_S_DESEL);
    } else if (p->rx_chaining) {
        logf_(p, now, 1, "%s: R(ACK) %u while the PICC chains", why, p->bn);
        send_block(p, now, (uint8_t)(ISO14443_PCB_R_ACK | p->bn), NULL, 0,
                   LS_R_ACK);
    } else {
        logf_(p, now, 1, "%s: R(NAK) %u", why, p->bn);
        send_block(p, now, (uint8_t)(ISO14443_PCB_R_NAK | p->bn), NULL, 0,
                   LS_R_NAK);
    }
}

static void response_done(phone_t *p, sim_time_t now)
{
    if (p->rsp_len < 2) {
        fail(p, now, PHONE_ERR_PROTOCOL, "response of %zu bytes: no SW",
             p->rsp_len);
        return;
    }
    trace_apdu(p, TRACE_DIR_RSP, p->res.rsp_start, now, p->rsp, p->rsp_len);
    p->res.status = PHONE_OK;
    p->res.data = p->rsp;
    p->res.len = p->rsp_len - 2;
    p->res.sw = (uint16_t)(p->rsp[p->rsp_len - 2] << 8 |
                           p->rsp[p->rsp_len - 1]);
    complete(p, now);
}

static void rx_block(phone_t *p, sim_time_t now, sim_time_t start,
                     const uint8_t *f, size_t n)
{
    if (n < 3 || !iso14443_crc_ok(f, n)) {
        recover(p, now, false, "invalid block (CRC_A)");
        return;
    }
    uint8_t pcb = f[0];
    size_t o = 1;
    if (pcb & ISO14443_PCB_CID) {
        if (n < 4 || (f[1] & 0x0Fu) != (unsigned)(p->cid < 0 ? 0 : p->cid)) {
            recover(p, now, false, "block for another CID");
            return;
        }
        o = 2;
    }
    const uint8_t *inf = f + o;
    size_t inf_len = n - 2 - o;

    if (ISO14443_IS_S(pcb)) {
        uint8_t type = (uint8_t)(pcb & ~ISO14443_PCB_CID);
        if (type == ISO14443_PCB_S_DESELECT && p->step == ST_DESEL) {
            p->active = false;
            p->l3_done = false;
            p->halted = true;
            p->res.status = PHONE_OK;
            complete(p, now);
            return;
        }
        if (type == ISO14443_PCB_S_WTX && p->step == ST_L4 && inf_len >= 1 &&
            (inf[0] & 0x3Fu) >= 1 && (inf[0] & 0x3Fu) <= 59) {
            uint8_t wtxm = (uint8_t)(inf[0] & 0x3Fu);
            p->retry_count = 0;
            p->res.wtx++;
            p->stats.wtx++;
            logf_(p, now, 0, "S(WTX) x%u: next wait %llu fc", wtxm,
                  (unsigned long long)(p->fwt_fc * wtxm +
                                       PHONE_DELTA_FWT_FC));
            send_block(p, now, ISO14443_PCB_S_WTX, &wtxm, 1, LS_S_WTX);
            p->wtxm = wtxm;
            return;
        }
        recover(p, now, false, "unexpected S-block");
        return;
    }
    if (p->step != ST_L4) {
        recover(p, now, false, "unexpected block");
        return;
    }
    if (ISO14443_IS_R(pcb)) {
        if (pcb & 0x10u) {
            recover(p, now, false, "R(NAK) from the PICC");
            return;
        }
        if ((pcb & 1u) == p->bn) {
            if (!p->last_i_chain || p->rx_chaining) {
                fail(p, now, PHONE_ERR_PROTOCOL,
                     "R(ACK) %u while not chaining", p->bn);
                return;
            }
            /* rule 2: the chained block is acknowledged */
            p->bn ^= 1u;
            p->cmd_off += p->cmd_chunk;
            p->retry_count = 0;
            send_next_i(p, now);
            return;
        }
        /* rule 6: R(ACK) with another block number: the PICC did not get
         * the last I-block */
        if (p->retry_count >= p->retries) {
            fail(p, now, PHONE_ERR_PROTOCOL,
                 "I-block not received by the PICC after %u retries",
                 p->retry_count);
            return;
        }
        p->retry_count++;
        p->res.retries++;
        p->stats.retries++;
        logf_(p, now, 1, "R(ACK) %u: I-block %u sent again", pcb & 1u,
              p->bn);
        p->last_sent = LS_I;
        send_frame(p, now, p->last_i, p->last_i_len, false);
        return;
    }
    if (!ISO14443_IS_I(pcb)) {
        recover(p, now, false, "invalid PCB");
        return;
    }
    if (p->last_i_chain) {
        fail(p, now, PHONE_ERR_PROTOCOL,
             "I-block from the PICC while the PCD chains");
        return;
    }
    if ((pcb & 1u) != p->bn) {
        recover(p, now, false, "I-block with the wrong block number");
        return;
    }
    if (pcb & 0x04u) { /* NAD: never asked for, skipped */
        if (inf_len == 0) {
            recover(p, now, false, "invalid I-block");
            return;
        }
        inf++;
        inf_len--;
    }
    if (p->rsp_len + inf_len > sizeof p->rsp) {
        fail(p, now, PHONE_ERR_PROTOCOL, "response over %u bytes",
             PHONE_RSP_MAX);
        return;
    }
    if (p->res.rsp_start == SIM_NEVER)
        p->res.rsp_start = start;
    memcpy(p->rsp + p->rsp_len, inf, inf_len);
    p->rsp_len += inf_len;
    p->bn ^= 1u;
    p->retry_count = 0;
    if (pcb & ISO14443_PCB_CHAIN) {
        p->rx_chaining = true;
        send_block(p, now, (uint8_t)(ISO14443_PCB_R_ACK | p->bn), NULL, 0,
                   LS_R_ACK);
        return;
    }
    p->rx_chaining = false;
    response_done(p, now);
}

/* ---- activation ----------------------------------------------------- */

static void start_activation(phone_t *p, sim_time_t now)
{
    phone_result_t *r = &p->res;
    r->activated = false;
    r->uid_len = 0;
    r->ats_len = 0;
    r->iso_dep = false;
    r->field_on = p->fc.t0;
    p->uid_len = 0;
    p->ats_len = 0;
    p->l3_done = false;
    p->active = false;
    p->cascade = 0;
    p->stats.activations++;
    p->step = ST_REQA;
    if (p->next_tx_fc < ISO14443_POWERUP_FC)
        p->next_tx_fc = ISO14443_POWERUP_FC;
    uint8_t cmd = p->halted ? ISO14443_WUPA : ISO14443_REQA;
    send_frame(p, now, &cmd, 1, true);
}

static void send_anticoll(phone_t *p, sim_time_t now)
{
    static const uint8_t sel[3] = { ISO14443_SEL_CL1, ISO14443_SEL_CL2,
                                    ISO14443_SEL_CL3 };
    uint8_t b[2] = { sel[p->cascade], ISO14443_NVB_ANTICOLL };
    p->step = ST_AC;
    send_frame(p, now, b, 2, false);
}

static void parse_ats(phone_t *p)
{
    phone_result_t *r = &p->res;
    const uint8_t *a = p->ats;
    size_t tl = p->ats_len;
    unsigned fsci = PHONE_FSCI_DEFAULT, fwi = PHONE_FWI_DEFAULT, sfgi = 0;
    uint8_t tc1 = 0x02; /* default: CID supported, no NAD */
    size_t i = 1;
    if (tl > 1) {
        uint8_t t0 = a[1];
        fsci = t0 & 0x0Fu;
        i = 2;
        if ((t0 & 0x10u) && i < tl)
            i++; /* TA1: bit rates, 106 kbit/s used anyway */
        if ((t0 & 0x20u) && i < tl) {
            fwi = a[i] >> 4;
            sfgi = a[i] & 0x0Fu;
            i++;
        }
        if ((t0 & 0x40u) && i < tl)
            tc1 = a[i++];
    }
    if (fwi == 15)
        fwi = PHONE_FWI_DEFAULT;
    if (sfgi == 15)
        sfgi = 0;
    p->fsc = iso14443_fs_bytes(fsci);
    p->fwi = fwi;
    p->sfgi = sfgi;
    p->fwt_fc = iso14443_fwt_fc(fwi);
    p->use_cid = p->cid >= 0 && (tc1 & 0x02u);
    r->fsci = fsci;
    r->fsc = p->fsc;
    r->fsd = fsd_bytes(p);
    r->fwi = fwi;
    r->sfgi = sfgi;
    r->fwt_fc = p->fwt_fc;
    r->sfgt_fc = iso14443_sfgt_fc(sfgi);
    r->cid_supported = (tc1 & 0x02u) != 0;
    r->cid_used = p->use_cid;
    r->hist_len = i < tl ? tl - i : 0;
}

/* The last byte of the answer a layer 3 step got; frame already checked
 * against the window. */
static void rx_l3(phone_t *p, sim_time_t now, const uint8_t *f, size_t n,
                  bool short_frame, uint64_t end_fc)
{
    phone_result_t *r = &p->res;
    char h[64];
    switch (p->step) {
    case ST_REQA:
        if (short_frame || n != 2) {
            fail(p, now, PHONE_ERR_PROTOCOL, "ATQA of %zu bytes", n);
            return;
        }
        r->atqa[0] = f[0];
        r->atqa[1] = f[1];
        send_anticoll(p, now);
        return;
    case ST_AC: {
        if (short_frame || n != 5) {
            fail(p, now, PHONE_ERR_PROTOCOL,
                 "anticollision answer of %zu bytes", n);
            return;
        }
        uint8_t bcc = f[0] ^ f[1] ^ f[2] ^ f[3];
        if (bcc != f[4]) {
            hex(h, sizeof h, f, n);
            fail(p, now, PHONE_ERR_PROTOCOL, "UID CL%u %s: BCC wrong",
                 p->cascade + 1, h);
            return;
        }
        memcpy(p->l3_rx, f, 5);
        uint8_t b[9] = { 0, ISO14443_NVB_SELECT };
        b[0] = (uint8_t)(ISO14443_SEL_CL1 + 2u * p->cascade);
        memcpy(b + 2, f, 5);
        p->step = ST_SEL;
        send_frame(p, now, b, iso14443_add_crc(b, 7), false);
        return;
    }
    case ST_SEL: {
        if (short_frame || n != 3 || !iso14443_crc_ok(f, n)) {
            fail(p, now, PHONE_ERR_PROTOCOL,
                 "SAK of %zu bytes or CRC_A wrong", n);
            return;
        }
        uint8_t sak = f[0];
        r->sak = sak;
        p->sak = sak;
        if (sak & ISO14443_SAK_INCOMPLETE) {
            if (p->l3_rx[0] != ISO14443_CASCADE_TAG || p->cascade == 2) {
                fail(p, now, PHONE_ERR_PROTOCOL,
                     "SAK %02X: UID incomplete at cascade level %u", sak,
                     p->cascade + 1);
                return;
            }
            memcpy(p->uid + p->uid_len, p->l3_rx + 1, 3);
            p->uid_len += 3;
            p->cascade++;
            send_anticoll(p, now);
            return;
        }
        memcpy(p->uid + p->uid_len, p->l3_rx, 4);
        p->uid_len += 4;
        p->l3_done = true;
        r->activated = true;
        memcpy(r->uid, p->uid, p->uid_len);
        r->uid_len = p->uid_len;
        hex(h, sizeof h, p->uid, p->uid_len);
        logf_(p, now, 0, "selected UID %s, SAK %02X", h, sak);
        if (!(sak & ISO14443_SAK_ISO14443_4)) {
            if (p->then_transmit) {
                fail(p, now, PHONE_ERR_STATE,
                     "SAK %02X: the PICC is not ISO 14443-4", sak);
                return;
            }
            r->status = PHONE_OK;
            complete(p, now);
            return;
        }
        uint8_t b[4] = { ISO14443_RATS,
                         (uint8_t)(p->fsdi << 4 |
                                   (p->cid < 0 ? 0u : (unsigned)p->cid)) };
        p->step = ST_RATS;
        send_frame(p, now, b, iso14443_add_crc(b, 2), false);
        return;
    }
    case ST_RATS: {
        if (short_frame || n < 3 || !iso14443_crc_ok(f, n) ||
            f[0] != n - 2 || n - 2 > PHONE_ATS_MAX) {
            fail(p, now, PHONE_ERR_PROTOCOL,
                 "ATS of %zu bytes: TL or CRC_A wrong", n);
            return;
        }
        memcpy(p->ats, f, n - 2);
        p->ats_len = n - 2;
        memcpy(r->ats, p->ats, p->ats_len);
        r->ats_len = p->ats_len;
        r->ats_end = now;
        r->iso_dep = true;
        parse_ats(p);
        r->hist = r->ats + (r->ats_len - r->hist_len);
        /* SFGT before the next frame (and the usual turnaround) */
        uint64_t sfgt = iso14443_sfgt_fc(p->sfgi);
        if (p->next_tx_fc < end_fc + sfgt)
            p->next_tx_fc = end_fc + sfgt;
        p->active = true;
        p->bn = 0;
        logf_(p, now, 0, "ATS: FSC %u, FWI %u, SFGI %u, CID %s", p->fsc,
              p->fwi, p->sfgi, p->use_cid ? "used" : "not used");
        if (p->then_transmit) {
            p->then_transmit = false;
            start_exchange(p, now);
            return;
        }
        r->status = PHONE_OK;
        r->data = r->ats;
        r->len = r->ats_len;
        complete(p, now);
        return;
    }
    default:
        return;
    }
}

/* ---- receiving ------------------------------------------------------ */

void phone_air_rx(void *ctx, const sim_msg_t *msg, sim_time_t now)
{
    phone_t *p = ctx;
    if (msg->kind != ISO14443_MSG_FRAME && msg->kind != ISO14443_MSG_SHORT)
        return;
    if (!p->field) {
        p->stats.stray++;
        return;
    }
    bool sf = msg->kind == ISO14443_MSG_SHORT;
    const uint8_t *f = msg->data;
    size_t n = msg->len;
    uint64_t s = msg->value;
    uint64_t e = s + frame_dur(n, sf);
    sim_time_t start = cyc(p, s);
    bool dropped = p->drop_rx > 0;
    /* frames without CRC_A: short ones and the ATQA / UID answers */
    bool has_crc = !sf && p->step != ST_REQA && p->step != ST_AC;
    trace_frame(p, TRACE_NFC_EV_PICC_TO_PCD, start, now, f, n,
                !has_crc || iso14443_crc_ok(f, n),
                dropped ? "dropped (fault injection)" : NULL);
    if (dropped) {
        p->drop_rx--;
        p->stats.dropped++;
        logf_(p, now, 1, "PICC frame of %zu bytes dropped", n);
        return;
    }
    if (p->next_tx_fc < e + p->turnaround)
        p->next_tx_fc = e + p->turnaround;
    if (!p->waiting || s < p->tx_end_fc || s > p->rx_limit_fc) {
        p->stats.stray++;
        logf_(p, now, 1, "PICC frame of %zu bytes at fc %llu %s", n,
              (unsigned long long)s,
              p->waiting ? "outside the waiting window" : "not awaited");
        return;
    }
    disarm(p);
    p->stats.frames_received++;
    p->res.frames_received++;
    if (p->step == ST_L4 || p->step == ST_DESEL) {
        if (sf) {
            recover(p, now, false, "short frame");
            return;
        }
        rx_block(p, now, start, f, n);
    } else {
        rx_l3(p, now, f, n, sf, e);
    }
}

/* ---- events --------------------------------------------------------- */

static void tmo_fire(sim_event_t *ev, sim_time_t now)
{
    phone_t *p = ev->ctx;
    if (!p->waiting)
        return;
    p->waiting = false;
    p->res.timeouts++;
    p->stats.timeouts++;
    switch (p->step) {
    case ST_REQA:
        fail(p, now, PHONE_ERR_TIMEOUT, "no ATQA");
        return;
    case ST_AC:
        fail(p, now, PHONE_ERR_TIMEOUT, "no UID at cascade level %u",
             p->cascade + 1);
        return;
    case ST_SEL:
        fail(p, now, PHONE_ERR_TIMEOUT, "no SAK at cascade level %u",
             p->cascade + 1);
        return;
    case ST_RATS:
        fail(p, now, PHONE_ERR_TIMEOUT, "no ATS");
        return;
    case ST_L4:
    case ST_DESEL:
        recover(p, now, true, "no answer within FWT");
        return;
    default:
        return;
    }
}

static void forget_card(phone_t *p)
{
    p->active = false;
    p->l3_done = false;
    p->halted = false;
    p->uid_len = 0;
    p->ats_len = 0;
    p->bn = 0;
    p->waiting = false;
    p->next_tx_fc = 0;
    p->tx_end_fc = 0;
    p->txf_len = 0;
}

static void field_change(phone_t *p, sim_time_t now, bool on)
{
    if (on) {
        sim_clock_init(&p->fc, p->path, ISO14443_FC_HZ, now);
        forget_card(p);
        p->tx_end = now;
        p->field = true;
    } else {
        sim_cancel(p->node, &p->tx_ev);
        disarm(p);
        forget_card(p);
        p->field = false;
    }
    sim_link_send(p->air, now, ISO14443_MSG_FIELD, on ? 1u : 0u, NULL, 0);
    trace_frame(p, on ? TRACE_NFC_EV_FIELD_ON : TRACE_NFC_EV_FIELD_OFF, now,
                now, NULL, 0, true, NULL);
    if (on)
        p->res.field_on = now;
}

static void seq_fire(sim_event_t *ev, sim_time_t now)
{
    phone_t *p = ev->ctx;
    int kind = p->seq_kind;
    p->seq_kind = SEQ_NONE;
    switch (kind) {
    case SEQ_FIELD:
        field_change(p, now, p->field_target);
        if (p->op == PHONE_OP_FIELD) {
            p->res.status = PHONE_OK;
            complete(p, now);
        } else {
            start_activation(p, now);
        }
        return;
    case SEQ_FINISH:
        complete(p, now);
        return;
    default:
        return;
    }
}

/* ---- operations ----------------------------------------------------- */

static phone_status_t begin(phone_t *p, phone_op_t op, sim_time_t now,
                            phone_done_fn done, void *ctx)
{
    if (p->op != PHONE_OP_NONE)
        return PHONE_ERR_BUSY;
    memset(&p->res, 0, sizeof p->res);
    p->res.op = op;
    p->res.start = now;
    p->res.field_on = p->field ? p->fc.t0 : SIM_NEVER;
    p->res.reqa_start = SIM_NEVER;
    p->res.ats_end = SIM_NEVER;
    p->res.cmd_start = SIM_NEVER;
    p->res.cmd_end = SIM_NEVER;
    p->res.rsp_start = SIM_NEVER;
    p->msg[0] = 0;
    p->op = op;
    p->done = done;
    p->done_ctx = ctx;
    p->in_call = true;
    p->then_transmit = false;
    return PHONE_OK;
}

/* Field on at now if off (activation follows), else the activation. */
static void activate_now(phone_t *p, sim_time_t now)
{
    if (!p->field) {
        p->field_target = true;
        p->seq_kind = SEQ_FIELD;
        sim_cancel(p->node, &p->seq_ev);
        sim_schedule(p->node, &p->seq_ev, now);
    } else {
        start_activation(p, now);
    }
}

phone_status_t phone_field(phone_t *p, sim_time_t t, bool on,
                           phone_done_fn done, void *ctx)
{
    if (p->op == PHONE_OP_FIELD)
        return PHONE_ERR_BUSY;
    if (!on && p->op != PHONE_OP_NONE) {
        /* the operation in progress ends first, with its own callback */
        if (p->res.status == PHONE_OK)
            set_error(p, PHONE_ERR_ABORTED, "aborted by field off");
        phone_done_fn d = p->done;
        void *c = p->done_ctx;
        phone_result_t res = p->res;
        res.end = t;
        res.error = p->msg;
        p->op = PHONE_OP_FIELD; /* refuses new operations meanwhile */
        disarm(p);
        sim_cancel(p->node, &p->tx_ev);
        sim_cancel(p->node, &p->seq_ev);
        p->seq_kind = SEQ_NONE;
        p->active = false;
        if (d)
            d(c, t, &res);
        p->op = PHONE_OP_NONE;
    }
    phone_status_t st = begin(p, PHONE_OP_FIELD, t, done, ctx);
    if (st != PHONE_OK)
        return st;
    if (!p->air) {
        set_error(p, PHONE_ERR_STATE, "no air link attached");
        complete(p, t);
    } else if (on == p->field) {
        complete(p, t);
    } else {
        sim_time_t at = t;
        /* a frame on air is finished first */
        if (!on && p->tx_end > at && p->tx_end_fc)
            at = p->tx_end;
        p->field_target = on;
        p->seq_kind = SEQ_FIELD;
        sim_cancel(p->node, &p->seq_ev);
        sim_schedule(p->node, &p->seq_ev, at);
    }
    p->in_call = false;
    return PHONE_OK;
}

phone_status_t phone_activate(phone_t *p, sim_time_t now,
                              phone_done_fn done, void *ctx)
{
    phone_status_t st = begin(p, PHONE_OP_ACTIVATE, now, done, ctx);
    if (st != PHONE_OK)
        return st;
    if (!p->air) {
        set_error(p, PHONE_ERR_STATE, "no air link attached");
        complete(p, now);
    } else if (p->active || p->l3_done) {
        set_error(p, PHONE_ERR_STATE, "card already active");
        complete(p, now);
    } else {
        activate_now(p, now);
    }
    p->in_call = false;
    return PHONE_OK;
}

phone_status_t phone_transmit(phone_t *p, sim_time_t now,
                              const uint8_t *apdu, size_t len,
                              phone_done_fn done, void *ctx)
{
    phone_status_t st = begin(p, PHONE_OP_TRANSMIT, now, done, ctx);
    if (st != PHONE_OK)
        return st;
    if (!p->air) {
        set_error(p, PHONE_ERR_STATE, "no air link attached");
    } else if (len == 0 || len > sizeof p->cmd) {
        set_error(p, PHONE_ERR_STATE, "APDU of %zu bytes (1..%u)", len,
                  PHONE_CMD_MAX);
    } else if (!p->active && p->l3_done) {
        set_error(p, PHONE_ERR_STATE, "SAK %02X: the PICC is not ISO "
                  "14443-4", p->sak);
    } else {
        memcpy(p->cmd, apdu, len);
        p->cmd_len = len;
        p->stats.apdus++;
        if (p->active) {
            start_exchange(p, now);
        } else {
            p->then_transmit = true;
            activate_now(p, now);
        }
    }
    if (p->res.status != PHONE_OK)
        complete(p, now);
    p->in_call = false;
    return PHONE_OK;
}

phone_status_t phone_deselect(phone_t *p, sim_time_t now,
                              phone_done_fn done, void *ctx)
{
    phone_status_t st = begin(p, PHONE_OP_DESELECT, now, done, ctx);
    if (st != PHONE_OK)
        return st;
    if (!p->active) {
        set_error(p, PHONE_ERR_STATE, "card not active");
        complete(p, now);
    } else {
        p->step = ST_DESEL;
        p->retry_count = 0;
        p->wtxm = 1;
        send_block(p, now, ISO14443_PCB_S_DESELECT, NULL, 0, LS_S_DESEL);
    }
    p->in_call = false;
    return PHONE_OK;
}

/* ---- the cos_update channel ----------------------------------------- */

static void chan_result(void *ctx, sim_time_t now, const phone_result_t *res)
{
    phone_t *p = ctx;
    cos_update_rsp_t c = {
        .ok = res->status == PHONE_OK, .error = res->error,
        .data = res->data, .len = res->len, .sw = res->sw,
    };
    cos_update_rsp_fn f = p->chan_done;
    void *fc = p->chan_ctx;
    p->chan_done = NULL;
    p->chan_ctx = NULL;
    if (f)
        f(fc, now, &c);
}

int phone_update_transmit(void *chan, sim_time_t now, const uint8_t *apdu,
                          size_t len, cos_update_rsp_fn done, void *ctx)
{
    phone_t *p = chan;
    if (p->op != PHONE_OP_NONE)
        return -1;
    p->chan_done = done;
    p->chan_ctx = ctx;
    if (phone_transmit(p, now, apdu, len, chan_result, p) != PHONE_OK) {
        p->chan_done = NULL;
        return -1;
    }
    return 0;
}

/* ---- lifecycle ------------------------------------------------------ */

void phone_init(phone_t *p, sim_t *sim, const phone_cfg_t *cfg)
{
    (void)sim;
    memset(p, 0, sizeof *p);
    p->name = cfg->name ? cfg->name : "phone";
    p->path = cfg->path ? cfg->path : "nfc";
    p->apdu_path = cfg->apdu_path ? cfg->apdu_path : "NFC>MCU";
    p->node = cfg->node;
    p->bus = cfg->bus;
    if (!p->node)
        sim_fatal_plain("phone '%s': no node", p->name);
    p->fsdi = cfg->fsdi ? cfg->fsdi : PHONE_FSDI_DEFAULT;
    if (p->fsdi > 8)
        sim_fatal_plain("phone '%s': FSDI %u (1..8)", p->name, p->fsdi);
    p->cid = cfg->cid;
    if (p->cid > 14)
        sim_fatal_plain("phone '%s': CID %d (0..14, -1 none)", p->name,
                        p->cid);
    p->retries = cfg->retries == 0  ? PHONE_RETRIES_DEFAULT
                 : cfg->retries < 0 ? 0u
                                    : (unsigned)cfg->retries;
    p->turnaround = cfg->turnaround_fc > ISO14443_FDT_PCD_MIN_FC
                        ? cfg->turnaround_fc
                        : ISO14443_FDT_PCD_MIN_FC;
    sim_clock_init(&p->fc, p->path, ISO14443_FC_HZ, 0);
    sim_event_init(&p->seq_ev, "phone-seq", seq_fire, p);
    sim_event_init(&p->tmo_ev, "phone-timeout", tmo_fire, p);
    sim_event_init(&p->tx_ev, "phone-tx", tx_fire, p);
    forget_card(p);
}

void phone_reset(phone_t *p)
{
    sim_cancel(p->node, &p->seq_ev);
    sim_cancel(p->node, &p->tmo_ev);
    sim_cancel(p->node, &p->tx_ev);
    p->op = PHONE_OP_NONE;
    p->step = ST_NONE;
    p->done = NULL;
    p->done_ctx = NULL;
    p->chan_done = NULL;
    p->in_call = false;
    p->then_transmit = false;
    p->field = false;
    p->drop_rx = 0;
    forget_card(p);
}

void phone_cleanup(phone_t *p)
{
    sim_cancel(p->node, &p->seq_ev);
    sim_cancel(p->node, &p->tmo_ev);
    sim_cancel(p->node, &p->tx_ev);
}

void phone_attach_air(phone_t *p, sim_link_t *to_picc)
{
    p->air = to_picc;
}

void phone_drop_rx(phone_t *p, unsigned n)
{
    p->drop_rx = n;
}

/* ---- observers ------------------------------------------------------ */

bool phone_busy(const phone_t *p)
{
    return p->op != PHONE_OP_NONE;
}

bool phone_field_on(const phone_t *p)
{
    return p->field;
}

bool phone_active(const phone_t *p)
{
    return p->active;
}

sim_time_t phone_cycle_time(const phone_t *p, uint64_t n)
{
    return p->field ? sim_clock_edge(&p->fc, n) : SIM_NEVER;
}

const phone_stats_t *phone_stats(const phone_t *p)
{
    return &p->stats;
}

const char *phone_status_name(phone_status_t s)
{
    switch (s) {
    case PHONE_OK: return "ok";
    case PHONE_ERR_BUSY: return "busy";
    case PHONE_ERR_STATE: return "state";
    case PHONE_ERR_TIMEOUT: return "timeout";
    case PHONE_ERR_PROTOCOL: return "protocol";
    case PHONE_ERR_ABORTED: return "aborted";
    }
    return "?";
}

const char *phone_op_name(phone_op_t op)
{
    switch (op) {
    case PHONE_OP_NONE: return "none";
    case PHONE_OP_FIELD: return "field";
    case PHONE_OP_ACTIVATE: return "activate";
    case PHONE_OP_TRANSMIT: return "transmit";
    case PHONE_OP_DESELECT: return "deselect";
    }
    return "?";
}
