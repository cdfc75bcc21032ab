/* SPDX-License-Identifier: MIT */
/* tests/test_phone.c - the phone's NFC reader (models/terminals/phone.c,
 * an ISO/IEC 14443-A PCD) against a scripted fake PICC written here, in
 * its own node ("card") on the two air links of models/iso14443.h. The
 * fake answers per ISO 14443-3 (REQA/WUPA, anticollision and select at
 * each cascade level, SAK) and 14443-4 (RATS/ATS, I-blocks with chaining
 * both ways, R-blocks per the PICC rules, S(WTX), S(DESELECT)) at exact
 * frame delay times (iso14443_fdt_picc_fc). Checked: 4- and 7-byte UIDs,
 * the ATS parsed, an APDU exchange with every frame's start and end in
 * carrier cycles, chaining under FSC 16 and FSD 24, S(WTX) and its longer
 * wait, a lost answer recovered with R(NAK), retries exhausted at the
 * exact time, DESELECT (then WUPA), field off, the TRACE_FRAME and
 * TRACE_APDU records, and the cos_update channel adapter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/iso14443.h"
#include "models/terminals/phone.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "suites.h"

Suite *make_phone_suite(void);

#define REQUIRE(x)                                                           \
    do {                                                                     \
        if (!(x))                                                            \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #x);               \
    } while (0)

/* ==== the fake PICC ================================================== */

enum { P_IDLE, P_READY, P_ACTIVE, P_L4, P_HALT };

typedef struct picc {
    sim_node_t node;
    sim_link_t to_pcd;
    sim_clock_t fc;
    bool field;
    sim_event_t tx_ev;
    uint8_t txf[ISO14443_FRAME_MAX];
    size_t txf_len;
    uint64_t tx_start;
    /* identity */
    uint8_t atqa[2];
    uint8_t uid[10];
    size_t uid_len;
    uint8_t ats[32];
    size_t ats_len;
    /* behaviour */
    unsigned l4_n;          /* FDT n of block answers */
    uint8_t wtx_ins;        /* this INS is answered with S(WTX) first */
    uint8_t wtxm;
    unsigned wtx_n;         /* FDT n of the answer after S(WTX) */
    bool mute_l4;           /* never answers a block */
    unsigned ignore_blocks; /* the next n blocks are lost on the way in */
    unsigned corrupt;       /* the next n answers have a bad CRC_A */
    /* state */
    int st;
    unsigned level;
    unsigned fsd, bn;
    bool cid;               /* the last block carried a CID */
    uint8_t cmd[4096];
    size_t cmd_len;
    uint8_t apdu[4096];     /* the last whole command */
    size_t apdu_len;
    uint8_t rsp[4096];
    size_t rsp_len, rsp_off, rsp_chunk;
    bool chaining;          /* sending a chained response */
    uint8_t last[ISO14443_FRAME_MAX];
    size_t last_len;
    /* statistics */
    unsigned frames_in, apdus, field_ons, field_offs, reqa, wupa, deselects;
} picc_t;

static uint64_t dur(size_t n, bool sf)
{
    return sf ? ISO14443_SHORT_FRAME_FC : iso14443_frame_fc(n);
}

static void picc_tx_fire(sim_event_t *ev, sim_time_t now)
{
    picc_t *f = ev->ctx;
    if (!f->field)
        return;
    sim_link_send_at(&f->to_pcd, now,
                     sim_clock_edge(&f->fc, f->tx_start +
                                                dur(f->txf_len, false)),
                     ISO14443_MSG_FRAME, f->tx_start, f->txf, f->txf_len);
}

/* Answers the frame that ended at rx_end with last bit `last`, FDT n. */
static void picc_send(picc_t *f, uint64_t rx_end, unsigned last, unsigned n,
                      const uint8_t *d, size_t len)
{
    REQUIRE(len <= sizeof f->txf);
    memcpy(f->txf, d, len);
    f->txf_len = len;
    f->tx_start = rx_end + iso14443_fdt_picc_fc(n, last);
    sim_cancel(&f->node, &f->tx_ev);
    sim_schedule(&f->node, &f->tx_ev, sim_clock_edge(&f->fc, f->tx_start));
}

/* A block (PCB, CID when the PCD used one, INF, CRC_A), kept for
 * retransmission. */
static void picc_block(picc_t *f, uint64_t rx_end, unsigned last,
                       unsigned n, uint8_t pcb, const uint8_t *inf,
                       size_t len)
{
    uint8_t b[ISO14443_FRAME_MAX];
    size_t o = 0;
    if (f->cid) {
        b[o++] = (uint8_t)(pcb | ISO14443_PCB_CID);
        b[o++] = 0;
    } else {
        b[o++] = pcb;
    }
    if (len)
        memcpy(b + o, inf, len);
    size_t m = iso14443_add_crc(b, o + len);
    memcpy(f->last, b, m);
    f->last_len = m;
    if (f->corrupt) {
        f->corrupt--;
        b[m - 1] ^= 0x01; /* the stored copy stays good */
    }
    picc_send(f, rx_end, last, n, b, m);
}

static void picc_rsp_block(picc_t *f, uint64_t rx_end, unsigned last,
                           unsigned n)
{
    size_t max = f->fsd - 3u - (f->cid ? 1u : 0u);
    size_t left = f->rsp_len - f->rsp_off;
    bool chain = left > max;
    f->rsp_chunk = chain ? max : left;
    f->chaining = chain;
    picc_block(f, rx_end, last, n,
               (uint8_t)(ISO14443_PCB_I | f->bn |
                         (chain ? ISO14443_PCB_CHAIN : 0u)),
               f->rsp + f->rsp_off, f->rsp_chunk);
}

/* The card's application: B0 returns a pattern of Le bytes (P2 bytes
 * when the command has data), anything else 9000. */
static void picc_apdu(picc_t *f)
{
    memcpy(f->apdu, f->cmd, f->cmd_len);
    f->apdu_len = f->cmd_len;
    f->apdus++;
    f->rsp_len = 0;
    if (f->cmd_len >= 4 && f->cmd[1] == 0xB0) {
        unsigned n = f->cmd_len == 5 ? f->cmd[4] : f->cmd[3];
        for (unsigned i = 0; i < n; i++)
            f->rsp[f->rsp_len++] = (uint8_t)(i * 3 + 1);
    }
    f->rsp[f->rsp_len++] = 0x90;
    f->rsp[f->rsp_len++] = 0x00;
    f->rsp_off = 0;
}

static void picc_l4(picc_t *f, const uint8_t *d, size_t n, uint64_t end,
                    unsigned last)
{
    if (f->mute_l4 || n < 3 || !iso14443_crc_ok(d, n))
        return;
    if (f->ignore_blocks) {
        f->ignore_blocks--;
        return;
    }
    uint8_t pcb = d[0];
    size_t o = 1;
    f->cid = (pcb & ISO14443_PCB_CID) != 0;
    if (f->cid)
        o = 2;
    const uint8_t *inf = d + o;
    size_t len = n - 2 - o;
    unsigned nf = f->l4_n;
    if (ISO14443_IS_I(pcb)) {
        f->bn ^= 1u; /* rule D */
        REQUIRE(f->cmd_len + len <= sizeof f->cmd);
        memcpy(f->cmd + f->cmd_len, inf, len);
        f->cmd_len += len;
        if (pcb & ISO14443_PCB_CHAIN) {
            picc_block(f, end, last, nf,
                       (uint8_t)(ISO14443_PCB_R_ACK | f->bn), NULL, 0);
            return;
        }
        picc_apdu(f);
        f->cmd_len = 0;
        if (f->wtx_ins && f->apdu[1] == f->wtx_ins) {
            uint8_t w = f->wtxm;
            picc_block(f, end, last, nf, ISO14443_PCB_S_WTX, &w, 1);
            return;
        }
        picc_rsp_block(f, end, last, nf);
        return;
    }
    if (ISO14443_IS_R(pcb)) {
        bool nak = pcb & 0x10u;
        if ((pcb & 1u) == f->bn) { /* rule 10: the last block again */
            picc_send(f, end, last, nf, f->last, f->last_len);
            return;
        }
        if (nak) { /* rule 11 */
            picc_block(f, end, last, nf,
                       (uint8_t)(ISO14443_PCB_R_ACK | f->bn), NULL, 0);
            return;
        }
        if (f->chaining) { /* rule 12: next block of the chain */
            f->bn ^= 1u;
            f->rsp_off += f->rsp_chunk;
            picc_rsp_block(f, end, last, nf);
        }
        return;
    }
    if (ISO14443_IS_S(pcb)) {
        uint8_t type = (uint8_t)(pcb & ~ISO14443_PCB_CID);
        if (type == ISO14443_PCB_S_DESELECT) {
            f->deselects++;
            picc_block(f, end, last, ISO14443_FDT_N_L3,
                       ISO14443_PCB_S_DESELECT, NULL, 0);
            f->st = P_HALT;
            return;
        }
        if (type == ISO14443_PCB_S_WTX) {
            REQUIRE(len == 1 && inf[0] == f->wtxm);
            picc_rsp_block(f, end, last, f->wtx_n);
        }
    }
}

static void picc_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    picc_t *f = ctx;
    (void)now;
    if (m->kind == ISO14443_MSG_FIELD) {
        f->field = m->value != 0;
        if (f->field) {
            sim_clock_init(&f->fc, "nfc", ISO14443_FC_HZ, m->sent);
            f->field_ons++;
        } else {
            f->field_offs++;
            sim_cancel(&f->node, &f->tx_ev);
        }
        f->st = P_IDLE;
        return;
    }
    if (!f->field)
        return;
    f->frames_in++;
    bool sf = m->kind == ISO14443_MSG_SHORT;
    const uint8_t *d = m->data;
    size_t n = m->len;
    uint64_t end = m->value + dur(n, sf);
    unsigned last = iso14443_last_bit(d, n, sf);
    REQUIRE(sim_clock_edge(&f->fc, end) == now);
    if (sf) {
        bool wake = (d[0] == ISO14443_REQA && f->st == P_IDLE) ||
                    (d[0] == ISO14443_WUPA &&
                     (f->st == P_IDLE || f->st == P_HALT));
        if (d[0] == ISO14443_REQA)
            f->reqa++;
        else
            f->wupa++;
        if (!wake)
            return;
        f->st = P_READY;
        f->level = 0;
        picc_send(f, end, last, ISO14443_FDT_N_L3, f->atqa, 2);
        return;
    }
    switch (f->st) {
    case P_READY: {
        if (d[0] != ISO14443_SEL_CL1 + 2u * f->level)
            return;
        uint8_t cl[5];
        size_t levels = f->uid_len == 4 ? 1 : f->uid_len == 7 ? 2 : 3;
        bool more = f->level + 1 < levels;
        if (more) {
            cl[0] = ISO14443_CASCADE_TAG;
            memcpy(cl + 1, f->uid + 3 * f->level, 3);
        } else {
            memcpy(cl, f->uid + 3 * f->level, 4);
        }
        cl[4] = cl[0] ^ cl[1] ^ cl[2] ^ cl[3];
        if (n == 2 && d[1] == ISO14443_NVB_ANTICOLL) {
            picc_send(f, end, last, ISO14443_FDT_N_L3, cl, 5);
            return;
        }
        if (n == 9 && d[1] == ISO14443_NVB_SELECT &&
            iso14443_crc_ok(d, 9) && memcmp(d + 2, cl, 5) == 0) {
            uint8_t sak[3] = { more ? ISO14443_SAK_INCOMPLETE
                                    : ISO14443_SAK_ISO14443_4 };
            iso14443_add_crc(sak, 1);
            if (more)
                f->level++;
            else
                f->st = P_ACTIVE;
            picc_send(f, end, last, ISO14443_FDT_N_L3, sak, 3);
        }
        return;
    }
    case P_ACTIVE: {
        if (n != 4 || d[0] != ISO14443_RATS || !iso14443_crc_ok(d, 4))
            return;
        f->fsd = iso14443_fs_bytes(d[1] >> 4);
        uint8_t a[40];
        memcpy(a, f->ats, f->ats_len);
        f->st = P_L4;
        f->bn = 1;
        f->cmd_len = 0;
        f->chaining = false;
        picc_send(f, end, last, ISO14443_FDT_N_L3, a,
                  iso14443_add_crc(a, f->ats_len));
        return;
    }
    case P_L4:
        picc_l4(f, d, n, end, last);
        return;
    default:
        return;
    }
}

/* ATS: TL 05, T0 78 (TA, TB, TC; FSCI 8), TA1 80, TB1 40 (FWI 4, SFGI
 * 0), TC1 02 (CID), then the historical bytes "CS". */
static const uint8_t ats_default[] = { 0x07, 0x78, 0x80, 0x40, 0x02, 0x43,
                                       0x53 };

static void picc_init(picc_t *f, sim_t *sim)
{
    memset(f, 0, sizeof *f);
    sim_node_init(&f->node, sim, "card", f);
    sim_event_init(&f->tx_ev, "picc-tx", picc_tx_fire, f);
    f->atqa[0] = 0x04;
    f->atqa[1] = 0x00;
    static const uint8_t uid4[4] = { 0x08, 0x12, 0x34, 0x56 };
    memcpy(f->uid, uid4, 4);
    f->uid_len = 4;
    memcpy(f->ats, ats_default, sizeof ats_default);
    f->ats_len = sizeof ats_default;
    f->l4_n = ISO14443_FDT_N_L3;
}

/* ==== the bench ====================================================== */

#define MAXREC 4096

typedef struct rec {
    trace_kind_t kind;
    sim_time_t time, start;
    trace_dir_t dir;
    char path[32], source[16], text[120];
    uint8_t data[300];
    size_t len;
    uint8_t ev;
    bool crc_ok;
    trace_proto_t proto;
} rec_t;

typedef struct bench {
    sim_t sim;
    sim_node_t world;
    trace_bus_t bus;
    rec_t *rec;
    size_t nrec;
    sim_link_t air_to_picc;
    phone_t *phone;
    picc_t picc;
    sim_time_t now;
    /* the last result */
    bool done;
    unsigned ncalls;
    phone_result_t res;
    char error[200];
    uint8_t data[4096];
    /* cos_update channel */
    bool chan_done;
    cos_update_rsp_t chan;
} bench_t;

static void rec_sink(void *ctx, const trace_rec_t *r)
{
    bench_t *b = ctx;
    if (b->nrec == MAXREC)
        return;
    rec_t *x = &b->rec[b->nrec++];
    memset(x, 0, sizeof *x);
    x->kind = r->kind;
    x->time = r->time;
    x->start = r->start;
    x->dir = r->dir;
    if (r->path)
        snprintf(x->path, sizeof x->path, "%s", r->path);
    if (r->source)
        snprintf(x->source, sizeof x->source, "%s", r->source);
    if (r->text)
        snprintf(x->text, sizeof x->text, "%s", r->text);
    x->len = r->len < sizeof x->data ? r->len : sizeof x->data;
    if (x->len)
        memcpy(x->data, r->data, x->len);
    if (r->kind == TRACE_FRAME) {
        x->ev = r->u.frame.nfc_event;
        x->crc_ok = r->u.frame.crc_ok;
        x->proto = r->u.frame.proto;
    }
}

static bench_t *bench_new_cfg(const phone_cfg_t *pcfg)
{
    bench_t *b = calloc(1, sizeof *b);
    b->rec = calloc(MAXREC, sizeof *b->rec);
    b->phone = calloc(1, sizeof *b->phone);
    sim_init(&b->sim, 3);
    sim_node_init(&b->world, &b->sim, "world", b);
    trace_bus_init(&b->bus);
    trace_sink_t sink = { .name = "test", .mask = TRACE_MASK_ALL,
                          .record = rec_sink, .ctx = b };
    trace_bus_add_sink(&b->bus, &sink);
    trace_bus_attach(&b->bus, &b->sim);
    picc_init(&b->picc, &b->sim);
    phone_cfg_t pc = pcfg ? *pcfg : (phone_cfg_t){ 0 };
    pc.node = &b->world;
    pc.bus = &b->bus;
    phone_init(b->phone, &b->sim, &pc);
    sim_link_init(&b->air_to_picc, &b->sim, "nfc-pcd", &b->world,
                  &b->picc.node, ISO14443_AIR_LATENCY, ISO14443_FRAME_MAX,
                  picc_rx, &b->picc);
    sim_link_init(&b->picc.to_pcd, &b->sim, "nfc-picc", &b->picc.node,
                  &b->world, ISO14443_AIR_LATENCY, ISO14443_FRAME_MAX,
                  phone_air_rx, b->phone);
    phone_attach_air(b->phone, &b->air_to_picc);
    return b;
}

static bench_t *bench_new(void)
{
    return bench_new_cfg(NULL);
}

static void bench_free(bench_t *b)
{
    char err[256];
    b->now = sim_run_until(&b->sim, b->now + SIM_MS(1));
    ck_assert_int_eq(trace_bus_close(&b->bus, err, sizeof err), 0);
    sim_cleanup(&b->sim);
    phone_cleanup(b->phone);
    free(b->phone);
    free(b->rec);
    free(b);
}

static void on_done(void *ctx, sim_time_t now, const phone_result_t *r)
{
    bench_t *b = ctx;
    REQUIRE(now == r->end);
    b->done = true;
    b->ncalls++;
    b->res = *r;
    snprintf(b->error, sizeof b->error, "%s", r->error);
    b->res.error = b->error;
    REQUIRE(r->len <= sizeof b->data);
    if (r->len)
        memcpy(b->data, r->data, r->len);
    b->res.data = b->data;
}

static void wait_done(bench_t *b, sim_time_t limit)
{
    sim_time_t end = b->now + limit;
    while (!b->done && b->now < end)
        b->now = sim_run_until(&b->sim, b->now + SIM_MS(1));
    ck_assert_msg(b->done, "no completion within the limit");
}

/* Runs on to let the trace bus release what was published. */
static void settle(bench_t *b)
{
    b->now = sim_run_until(&b->sim, b->now + SIM_MS(2));
}

static void activate(bench_t *b)
{
    b->done = false;
    ck_assert_int_eq(phone_activate(b->phone, b->now, on_done, b), PHONE_OK);
    ck_assert(!b->done);
    wait_done(b, SIM_MS(50));
}

static void transmit(bench_t *b, const uint8_t *apdu, size_t len)
{
    b->done = false;
    ck_assert_int_eq(phone_transmit(b->phone, b->now, apdu, len, on_done,
                                    b),
                     PHONE_OK);
    ck_assert(!b->done);
    wait_done(b, SIM_S(2));
}

/* Time of carrier cycle c of a field switched on at t0 (independent of
 * the model's clock). */
static sim_time_t fc_time(sim_time_t t0, uint64_t c)
{
    return t0 + (sim_time_t)(((unsigned __int128)c * 1000000000000ULL) /
                             ISO14443_FC_HZ);
}

/* The i-th NFC data frame record (field events skipped), NULL if none. */
static const rec_t *frame(const bench_t *b, size_t i)
{
    for (size_t k = 0; k < b->nrec; k++) {
        const rec_t *r = &b->rec[k];
        if (r->kind != TRACE_FRAME ||
            (r->ev != TRACE_NFC_EV_PCD_TO_PICC &&
             r->ev != TRACE_NFC_EV_PICC_TO_PCD))
            continue;
        if (i-- == 0)
            return r;
    }
    return NULL;
}

static size_t count_frames(const bench_t *b)
{
    size_t n = 0;
    while (frame(b, n))
        n++;
    return n;
}

static const rec_t *find_kind(const bench_t *b, trace_kind_t kind,
                              trace_dir_t dir, size_t i)
{
    for (size_t k = 0; k < b->nrec; k++)
        if (b->rec[k].kind == kind && b->rec[k].dir == dir && i-- == 0)
            return &b->rec[k];
    return NULL;
}

/* Frame i starts at carrier cycle c and lasts for its bytes. */
static void check_frame_at(const bench_t *b, size_t i, sim_time_t t0,
                           uint64_t c)
{
    const rec_t *r = frame(b, i);
    ck_assert_msg(r != NULL, "frame %zu missing", i);
    bool sf = r->len == 1 && r->ev == TRACE_NFC_EV_PCD_TO_PICC &&
              (r->data[0] == ISO14443_REQA || r->data[0] == ISO14443_WUPA);
    ck_assert_msg(r->start == fc_time(t0, c), "frame %zu start", i);
    ck_assert_msg(r->time == fc_time(t0, c + dur(r->len, sf)),
                  "frame %zu end", i);
}

/* Checks frames from..to-1 back to back: each PICC frame starts at the
 * FDT (n) after the PCD's, each PCD frame the turnaround after the
 * PICC's; returns the end cycle of the last one. */
static uint64_t check_chain(const bench_t *b, size_t from, size_t to,
                            sim_time_t t0, uint64_t c, unsigned n,
                            unsigned turn)
{
    for (size_t i = from; i < to; i++) {
        const rec_t *r = frame(b, i);
        ck_assert_msg(r != NULL, "frame %zu missing", i);
        if (i > from) {
            const rec_t *prev = frame(b, i - 1);
            bool psf = prev->len == 1 &&
                       prev->ev == TRACE_NFC_EV_PCD_TO_PICC;
            if (r->ev == TRACE_NFC_EV_PICC_TO_PCD)
                c += iso14443_fdt_picc_fc(
                    n, iso14443_last_bit(prev->data, prev->len, psf));
            else
                c += turn;
        }
        check_frame_at(b, i, t0, c);
        bool sf = r->len == 1 && r->ev == TRACE_NFC_EV_PCD_TO_PICC &&
                  (r->data[0] == ISO14443_REQA ||
                   r->data[0] == ISO14443_WUPA);
        c += dur(r->len, sf);
    }
    return c;
}

static void check_bytes(const rec_t *r, const uint8_t *d, size_t n)
{
    ck_assert_msg(r != NULL, "record missing");
    ck_assert_uint_eq(r->len, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(r->data[i] == d[i], "byte %zu: %02X, want %02X", i,
                      r->data[i], d[i]);
}

/* A block as the phone (CID 0) or the PICC sends it: PCB|08, 00, INF,
 * CRC_A. */
static size_t blk(uint8_t *out, uint8_t pcb, const uint8_t *inf, size_t n)
{
    out[0] = (uint8_t)(pcb | ISO14443_PCB_CID);
    out[1] = 0;
    if (n)
        memcpy(out + 2, inf, n);
    return iso14443_add_crc(out, 2 + n);
}

/* ==== tests ========================================================== */

START_TEST(activation_4byte_uid)
{
    bench_t *b = bench_new();
    activate(b);
    const phone_result_t *r = &b->res;
    ck_assert_msg(r->status == PHONE_OK, "%s", r->error);
    ck_assert_str_eq(r->error, "");
    ck_assert_int_eq(r->op, PHONE_OP_ACTIVATE);
    sim_time_t t0 = r->field_on;
    ck_assert_uint_eq(t0, 0);
    ck_assert_uint_eq(r->reqa_start, SIM_MS(5));
    ck_assert_uint_eq(r->atqa[0], 0x04);
    ck_assert_uint_eq(r->uid_len, 4);
    static const uint8_t uid[4] = { 0x08, 0x12, 0x34, 0x56 };
    ck_assert_mem_eq(r->uid, uid, 4);
    ck_assert_uint_eq(r->sak, 0x20);
    ck_assert(r->iso_dep);
    ck_assert_uint_eq(r->ats_len, sizeof ats_default);
    ck_assert_mem_eq(r->ats, ats_default, sizeof ats_default);
    ck_assert_uint_eq(r->len, sizeof ats_default);
    ck_assert_uint_eq(r->fsci, 8);
    ck_assert_uint_eq(r->fsc, 256);
    ck_assert_uint_eq(r->fsd, 256);
    ck_assert_uint_eq(r->fwi, 4);
    ck_assert_uint_eq(r->fwt_fc, 65536);
    ck_assert_uint_eq(r->sfgi, 0);
    ck_assert(r->cid_supported);
    ck_assert(r->cid_used);
    ck_assert_uint_eq(r->hist_len, 2);
    ck_assert_uint_eq(r->hist[0], 0x43);
    ck_assert(phone_active(b->phone));
    ck_assert(phone_field_on(b->phone));
    settle(b);

    /* REQA at 67800 fc (5 ms), ATQA 1172 fc after its end, ... */
    ck_assert_uint_eq(count_frames(b), 8);
    check_frame_at(b, 0, t0, 67800);
    check_frame_at(b, 1, t0, 67800 + 1024 + 1172);
    uint64_t end = check_chain(b, 0, 8, t0, 67800, ISO14443_FDT_N_L3,
                               ISO14443_FDT_PCD_MIN_FC);
    ck_assert_uint_eq(r->ats_end, fc_time(t0, end));
    ck_assert_uint_eq(r->end, r->ats_end);
    /* the bytes */
    uint8_t reqa = ISO14443_REQA;
    check_bytes(frame(b, 0), &reqa, 1);
    ck_assert(frame(b, 0)->crc_ok);
    static const uint8_t atqa[2] = { 0x04, 0x00 };
    check_bytes(frame(b, 1), atqa, 2);
    static const uint8_t ac[2] = { 0x93, 0x20 };
    check_bytes(frame(b, 2), ac, 2);
    static const uint8_t cl1[5] = { 0x08, 0x12, 0x34, 0x56, 0x08 ^ 0x12 ^
                                                                0x34 ^ 0x56 };
    check_bytes(frame(b, 3), cl1, 5);
    uint8_t sel[9] = { 0x93, 0x70 };
    memcpy(sel + 2, cl1, 5);
    iso14443_add_crc(sel, 7);
    check_bytes(frame(b, 4), sel, 9);
    uint8_t sak[3] = { 0x20 };
    iso14443_add_crc(sak, 1);
    check_bytes(frame(b, 5), sak, 3);
    /* RATS E0 80: FSDI 8, CID 0; CRC 31 73 (ISO 14443-3 Annex) */
    static const uint8_t rats[4] = { 0xE0, 0x80, 0x31, 0x73 };
    check_bytes(frame(b, 6), rats, 4);
    uint8_t ats[9];
    memcpy(ats, ats_default, sizeof ats_default);
    iso14443_add_crc(ats, sizeof ats_default);
    check_bytes(frame(b, 7), ats, 9);
    ck_assert(frame(b, 7)->crc_ok);
    ck_assert_int_eq(frame(b, 7)->ev, TRACE_NFC_EV_PICC_TO_PCD);
    ck_assert_int_eq(frame(b, 7)->dir, TRACE_DIR_RSP);
    ck_assert_int_eq(frame(b, 6)->ev, TRACE_NFC_EV_PCD_TO_PICC);
    ck_assert_str_eq(frame(b, 6)->path, "nfc");
    ck_assert_str_eq(frame(b, 6)->source, "phone");
    ck_assert_int_eq(frame(b, 6)->proto, TRACE_PROTO_NFC_A);
    /* the field-on record first, at 0 */
    ck_assert_int_eq(b->rec[0].kind, TRACE_FRAME);
    ck_assert_int_eq(b->rec[0].ev, TRACE_NFC_EV_FIELD_ON);
    ck_assert_uint_eq(b->rec[0].time, 0);
    ck_assert_uint_eq(b->rec[0].len, 0);
    ck_assert_uint_eq(b->picc.field_ons, 1);
    ck_assert_uint_eq(b->picc.reqa, 1);
    /* activating again is refused */
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_ERR_STATE);
    bench_free(b);
}
END_TEST

START_TEST(activation_7byte_uid_cascade)
{
    bench_t *b = bench_new();
    static const uint8_t uid7[7] = { 0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5,
                                     0x80 };
    memcpy(b->picc.uid, uid7, 7);
    b->picc.uid_len = 7;
    b->picc.atqa[0] = 0x44;
    /* minimal ATS: TL only (defaults FSCI 2, FWI 4, CID supported) */
    b->picc.ats[0] = 0x01;
    b->picc.ats_len = 1;
    /* the field first, on its own, at 100 us */
    b->done = false;
    ck_assert_int_eq(phone_field(b->phone, SIM_US(100), true, on_done, b),
                     PHONE_OK);
    wait_done(b, SIM_MS(1));
    ck_assert_int_eq(b->res.status, PHONE_OK);
    ck_assert_uint_eq(b->res.end, SIM_US(100));
    ck_assert_uint_eq(b->res.field_on, SIM_US(100));
    activate(b);
    const phone_result_t *r = &b->res;
    ck_assert_msg(r->status == PHONE_OK, "%s", r->error);
    sim_time_t t0 = SIM_US(100);
    ck_assert_uint_eq(r->field_on, t0);
    ck_assert_uint_eq(r->uid_len, 7);
    ck_assert_mem_eq(r->uid, uid7, 7);
    ck_assert_uint_eq(r->sak, 0x20);
    ck_assert_uint_eq(r->fsc, 32);
    ck_assert_uint_eq(r->hist_len, 0);
    ck_assert(r->cid_used);
    settle(b);
    /* REQA ATQA AC CL1 SEL SAK(04) AC CL2 SEL SAK(20) RATS ATS */
    ck_assert_uint_eq(count_frames(b), 12);
    /* the REQA went at 67800 fc even though the activation was asked
     * later than the field went on (5 ms of carrier) */
    check_chain(b, 0, 12, t0, 67800, ISO14443_FDT_N_L3,
                ISO14443_FDT_PCD_MIN_FC);
    uint8_t sel1[9] = { 0x93, 0x70, 0x88, 0x04, 0xA1, 0xB2,
                        0x88 ^ 0x04 ^ 0xA1 ^ 0xB2 };
    iso14443_add_crc(sel1, 7);
    check_bytes(frame(b, 4), sel1, 9);
    uint8_t sak1[3] = { 0x04 };
    iso14443_add_crc(sak1, 1);
    check_bytes(frame(b, 5), sak1, 3);
    static const uint8_t ac2[2] = { 0x95, 0x20 };
    check_bytes(frame(b, 6), ac2, 2);
    uint8_t sel2[9] = { 0x95, 0x70, 0xC3, 0xD4, 0xE5, 0x80,
                        0xC3 ^ 0xD4 ^ 0xE5 ^ 0x80 };
    iso14443_add_crc(sel2, 7);
    check_bytes(frame(b, 8), sel2, 9);
    bench_free(b);
}
END_TEST

START_TEST(apdu_exchange_exact_cycles)
{
    bench_t *b = bench_new();
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    sim_time_t t0 = b->res.field_on;
    settle(b);
    size_t f0 = count_frames(b);
    const rec_t *ats = frame(b, f0 - 1);
    uint64_t ats_end = 0;
    while (fc_time(t0, ats_end) < ats->time)
        ats_end++;
    ck_assert_uint_eq(fc_time(t0, ats_end), ats->time);

    /* READ BINARY of 4 bytes, called well after the ATS */
    static const uint8_t apdu[5] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
    transmit(b, apdu, sizeof apdu);
    const phone_result_t *r = &b->res;
    ck_assert_msg(r->status == PHONE_OK, "%s", r->error);
    ck_assert_int_eq(r->op, PHONE_OP_TRANSMIT);
    ck_assert_uint_eq(r->sw, 0x9000);
    ck_assert_uint_eq(r->len, 4);
    static const uint8_t data[4] = { 1, 4, 7, 10 };
    ck_assert_mem_eq(r->data, data, 4);
    ck_assert_uint_eq(r->frames_sent, 1);
    ck_assert_uint_eq(r->frames_received, 1);
    ck_assert_uint_eq(r->retries, 0);
    ck_assert(!r->activated);
    ck_assert_uint_eq(b->picc.apdu_len, 5);
    ck_assert_mem_eq(b->picc.apdu, apdu, 5);
    settle(b);
    ck_assert_uint_eq(count_frames(b), f0 + 2);

    /* the I-block starts on the first carrier edge at or after the call
     * (the turnaround after the ATS is long past) */
    uint64_t c = 0;
    while (fc_time(t0, c) < r->start)
        c++;
    uint8_t ib[16];
    size_t n = blk(ib, 0x02, apdu, 5);
    check_bytes(frame(b, f0), ib, n);
    check_frame_at(b, f0, t0, c);
    uint64_t end = c + iso14443_frame_fc(n);
    uint64_t rs = end + iso14443_fdt_picc_fc(9, iso14443_last_bit(ib, n,
                                                                  false));
    uint8_t rsp[6] = { 1, 4, 7, 10, 0x90, 0x00 };
    uint8_t rb[16];
    size_t rn = blk(rb, 0x02, rsp, 6);
    check_bytes(frame(b, f0 + 1), rb, rn);
    check_frame_at(b, f0 + 1, t0, rs);
    ck_assert(frame(b, f0 + 1)->crc_ok);
    ck_assert_uint_eq(r->cmd_start, fc_time(t0, c));
    ck_assert_uint_eq(r->cmd_end, fc_time(t0, end));
    ck_assert_uint_eq(r->rsp_start, fc_time(t0, rs));
    ck_assert_uint_eq(r->end, fc_time(t0, rs + iso14443_frame_fc(rn)));

    /* the APDUs on NFC>MCU */
    const rec_t *cmd = find_kind(b, TRACE_APDU, TRACE_DIR_CMD, 0);
    check_bytes(cmd, apdu, 5);
    ck_assert_str_eq(cmd->path, "NFC>MCU");
    ck_assert_uint_eq(cmd->start, r->cmd_start);
    ck_assert_uint_eq(cmd->time, r->cmd_end);
    const rec_t *rr = find_kind(b, TRACE_APDU, TRACE_DIR_RSP, 0);
    check_bytes(rr, rsp, 6);
    ck_assert_str_eq(rr->path, "NFC>MCU");
    ck_assert_uint_eq(rr->start, r->rsp_start);
    ck_assert_uint_eq(rr->time, r->end);

    /* a second APDU: block number 1 and the turnaround after the
     * response when called at once */
    b->done = false;
    sim_time_t at = b->now;
    ck_assert_int_eq(phone_transmit(b->phone, at, apdu, 5, on_done, b),
                     PHONE_OK);
    wait_done(b, SIM_S(1));
    ck_assert_int_eq(b->res.status, PHONE_OK);
    settle(b);
    n = blk(ib, 0x03, apdu, 5);
    check_bytes(frame(b, f0 + 2), ib, n);
    rn = blk(rb, 0x03, rsp, 6);
    check_bytes(frame(b, f0 + 3), rb, rn);
    const phone_stats_t *st = phone_stats(b->phone);
    ck_assert_uint_eq(st->apdus, 2);
    ck_assert_uint_eq(st->frames_sent, 4 + 2);
    ck_assert_uint_eq(st->frames_received, 4 + 2);
    bench_free(b);
}
END_TEST

START_TEST(transmit_activates_first_and_turnaround)
{
    phone_cfg_t pc = { .turnaround_fc = 2000, .cid = -1 };
    bench_t *b = bench_new_cfg(&pc);
    static const uint8_t apdu[4] = { 0x00, 0xA4, 0x04, 0x00 };
    transmit(b, apdu, 4);
    const phone_result_t *r = &b->res;
    ck_assert_msg(r->status == PHONE_OK, "%s", r->error);
    ck_assert(r->activated);
    ck_assert_uint_eq(r->uid_len, 4);
    ck_assert(!r->cid_used);
    ck_assert_uint_eq(r->sw, 0x9000);
    ck_assert_uint_eq(r->len, 0);
    settle(b);
    ck_assert_uint_eq(count_frames(b), 10);
    /* every PCD frame 2000 fc after the PICC's */
    check_chain(b, 0, 10, 0, 67800, ISO14443_FDT_N_L3, 2000);
    /* no CID: RATS E0 80, I-block 02 ... */
    ck_assert_uint_eq(frame(b, 6)->data[1], 0x80);
    uint8_t ib[16] = { 0x02, 0x00, 0xA4, 0x04, 0x00 };
    size_t n = iso14443_add_crc(ib, 5);
    check_bytes(frame(b, 8), ib, n);
    bench_free(b);
}
END_TEST

START_TEST(chaining_both_ways)
{
    /* FSD 24 (FSDI 1), FSC 16 (FSCI 0) */
    phone_cfg_t pc = { .fsdi = 1 };
    bench_t *b = bench_new_cfg(&pc);
    static const uint8_t ats[] = { 0x05, 0x70, 0x80, 0x40, 0x02 };
    memcpy(b->picc.ats, ats, sizeof ats);
    b->picc.ats_len = sizeof ats;
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    ck_assert_uint_eq(b->res.fsc, 16);
    ck_assert_uint_eq(b->res.fsd, 24);
    settle(b);
    ck_assert_uint_eq(frame(b, 6)->data[1], 0x10);
    size_t f0 = count_frames(b);

    /* 40 bytes: 00 B0 00 32 23 <35 bytes>: asks 50 bytes back */
    uint8_t apdu[40] = { 0x00, 0xB0, 0x00, 50, 35 };
    for (unsigned i = 5; i < 40; i++)
        apdu[i] = (uint8_t)i;
    transmit(b, apdu, sizeof apdu);
    const phone_result_t *r = &b->res;
    ck_assert_msg(r->status == PHONE_OK, "%s", r->error);
    ck_assert_uint_eq(b->picc.apdu_len, 40);
    ck_assert_mem_eq(b->picc.apdu, apdu, 40);
    ck_assert_uint_eq(r->len, 50);
    for (unsigned i = 0; i < 50; i++)
        ck_assert_uint_eq(r->data[i], (uint8_t)(i * 3 + 1));
    ck_assert_uint_eq(r->sw, 0x9000);
    settle(b);
    /* command: 12 + 12 + 12 + 4 bytes of INF (FSC 16 - PCB, CID, CRC);
     * response: 52 bytes as 20 + 20 + 12 (FSD 24) */
    static const uint8_t pcbs[] = {
        0x1A, 0xAA, 0x1B, 0xAB, 0x1A, 0xAA, 0x0B, /* command */
        0x1B, 0xAA, 0x1A, 0xAB, 0x0B,             /* response */
    };
    ck_assert_uint_eq(count_frames(b), f0 + sizeof pcbs);
    for (size_t i = 0; i < sizeof pcbs; i++) {
        const rec_t *fr = frame(b, f0 + i);
        ck_assert_msg(fr->data[0] == pcbs[i], "frame %zu: PCB %02X, want "
                      "%02X", i, fr->data[0], pcbs[i]);
        ck_assert(fr->crc_ok);
    }
    ck_assert_uint_eq(frame(b, f0)->len, 2 + 12 + 2);
    ck_assert_mem_eq(frame(b, f0)->data + 2, apdu, 12);
    ck_assert_uint_eq(frame(b, f0 + 6)->len, 2 + 4 + 2);
    ck_assert_uint_eq(frame(b, f0 + 7)->len, 24);
    ck_assert_uint_eq(frame(b, f0 + 11)->len, 2 + 12 + 2);
    /* back to back at the minimum delays */
    uint64_t c = 0;
    while (fc_time(0, c) < frame(b, f0)->start)
        c++;
    check_chain(b, f0, f0 + sizeof pcbs, 0, c, 9, 1172);
    /* the APDU records: start of the first block, end of the last */
    const rec_t *cmd = find_kind(b, TRACE_APDU, TRACE_DIR_CMD, 0);
    check_bytes(cmd, apdu, 40);
    ck_assert_uint_eq(cmd->start, frame(b, f0)->start);
    ck_assert_uint_eq(cmd->time, frame(b, f0 + 6)->time);
    const rec_t *rr = find_kind(b, TRACE_APDU, TRACE_DIR_RSP, 0);
    ck_assert_uint_eq(rr->len, 52);
    ck_assert_uint_eq(rr->start, frame(b, f0 + 7)->start);
    ck_assert_uint_eq(rr->time, frame(b, f0 + 11)->time);
    ck_assert_uint_eq(r->frames_sent, 6);
    ck_assert_uint_eq(r->frames_received, 6);
    bench_free(b);
}
END_TEST

START_TEST(wtx_extends_the_wait)
{
    bench_t *b = bench_new();
    /* S(WTX) x3, then the answer 2 FWT after the S(WTX) response: later
     * than FWT + delta FWT, within 3 FWT + delta */
    b->picc.wtx_ins = 0xCA;
    b->picc.wtxm = 3;
    b->picc.wtx_n = (2u * 65536u) / 128u;
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    settle(b);
    size_t f0 = count_frames(b);
    static const uint8_t apdu[5] = { 0x80, 0xCA, 0x00, 0x00, 0x00 };
    transmit(b, apdu, 5);
    const phone_result_t *r = &b->res;
    ck_assert_msg(r->status == PHONE_OK, "%s", r->error);
    ck_assert_uint_eq(r->wtx, 1);
    ck_assert_uint_eq(r->timeouts, 0);
    ck_assert_uint_eq(r->retries, 0);
    ck_assert_uint_eq(r->sw, 0x9000);
    settle(b);
    ck_assert_uint_eq(count_frames(b), f0 + 4);
    uint8_t w[8];
    uint8_t m = 3;
    size_t n = blk(w, ISO14443_PCB_S_WTX, &m, 1);
    check_bytes(frame(b, f0 + 1), w, n); /* FA 00 03 CRC */
    check_bytes(frame(b, f0 + 2), w, n); /* echoed */
    const rec_t *resp = frame(b, f0 + 3);
    const rec_t *echo = frame(b, f0 + 2);
    /* answer 2 x 65536 + 84 or 20 fc after the echo's end */
    sim_time_t gap = resp->start - echo->time;
    ck_assert(gap > fc_time(0, 65536 + PHONE_DELTA_FWT_FC));
    ck_assert_uint_eq(phone_stats(b->phone)->wtx, 1);
    bench_free(b);
}
END_TEST

START_TEST(lost_answer_recovered_by_nak)
{
    bench_t *b = bench_new();
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    settle(b);
    size_t f0 = count_frames(b);
    phone_drop_rx(b->phone, 1);
    static const uint8_t apdu[5] = { 0x00, 0xB0, 0x00, 0x00, 0x02 };
    transmit(b, apdu, 5);
    const phone_result_t *r = &b->res;
    ck_assert_msg(r->status == PHONE_OK, "%s", r->error);
    ck_assert_uint_eq(r->retries, 1);
    ck_assert_uint_eq(r->timeouts, 1);
    ck_assert_uint_eq(r->len, 2);
    ck_assert_uint_eq(r->sw, 0x9000);
    settle(b);
    /* I(0), its answer (dropped), R(NAK) 0, the answer again */
    ck_assert_uint_eq(count_frames(b), f0 + 4);
    ck_assert_str_eq(frame(b, f0 + 1)->text, "dropped (fault injection)");
    uint8_t nak[4];
    size_t n = blk(nak, ISO14443_PCB_R_NAK, NULL, 0);
    check_bytes(frame(b, f0 + 2), nak, n); /* BA 00 CRC */
    check_bytes(frame(b, f0 + 3), frame(b, f0 + 1)->data,
                frame(b, f0 + 1)->len);
    /* the R(NAK) at the time-out: FWT + delta FWT after the I-block, plus
     * a frame of FSD bytes and one bit */
    const rec_t *ib = frame(b, f0);
    uint64_t ce = 0;
    while (fc_time(0, ce) < ib->time)
        ce++;
    uint64_t tmo = ce + 65536 + PHONE_DELTA_FWT_FC +
                   iso14443_frame_fc(256) + 128;
    check_frame_at(b, f0 + 2, 0, tmo);
    ck_assert_uint_eq(phone_stats(b->phone)->dropped, 1);
    ck_assert_uint_eq(phone_stats(b->phone)->retries, 1);
    /* the response APDU starts with the retransmitted block */
    const rec_t *rr = find_kind(b, TRACE_APDU, TRACE_DIR_RSP, 0);
    ck_assert_uint_eq(rr->start, frame(b, f0 + 3)->start);
    bench_free(b);
}
END_TEST

START_TEST(bad_crc_and_lost_command)
{
    bench_t *b = bench_new();
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    settle(b);
    size_t f0 = count_frames(b);
    /* the answer arrives with a bad CRC_A: R(NAK) 1172 fc after it */
    b->picc.corrupt = 1;
    static const uint8_t apdu[5] = { 0x00, 0xB0, 0x00, 0x00, 0x01 };
    transmit(b, apdu, 5);
    ck_assert_msg(b->res.status == PHONE_OK, "%s", b->res.error);
    ck_assert_uint_eq(b->res.retries, 1);
    ck_assert_uint_eq(b->res.timeouts, 0);
    ck_assert_uint_eq(b->res.len, 1);
    settle(b);
    ck_assert_uint_eq(count_frames(b), f0 + 4);
    ck_assert(!frame(b, f0 + 1)->crc_ok);
    uint8_t nak[4];
    size_t nn = blk(nak, ISO14443_PCB_R_NAK, NULL, 0);
    check_bytes(frame(b, f0 + 2), nak, nn);
    uint64_t c = 0;
    while (fc_time(0, c) < frame(b, f0)->start)
        c++;
    check_chain(b, f0, f0 + 4, 0, c, 9, 1172);
    ck_assert(frame(b, f0 + 3)->crc_ok);

    /* the next command is lost on the way in: R(NAK) 1 at the time-out,
     * the PICC (still at block 0) says R(ACK) 0, the I-block goes again */
    f0 = count_frames(b);
    b->picc.ignore_blocks = 1;
    transmit(b, apdu, 5);
    ck_assert_msg(b->res.status == PHONE_OK, "%s", b->res.error);
    ck_assert_uint_eq(b->res.retries, 2);
    ck_assert_uint_eq(b->res.timeouts, 1);
    settle(b);
    static const uint8_t pcbs[] = { 0x0B, 0xBB, 0xAA, 0x0B, 0x0B };
    ck_assert_uint_eq(count_frames(b), f0 + sizeof pcbs);
    for (size_t i = 0; i < sizeof pcbs; i++)
        ck_assert_msg(frame(b, f0 + i)->data[0] == pcbs[i],
                      "frame %zu: PCB %02X, want %02X", i,
                      frame(b, f0 + i)->data[0], pcbs[i]);
    check_bytes(frame(b, f0 + 3), frame(b, f0)->data, frame(b, f0)->len);
    /* one command APDU record per transmit: the resent block is not
     * traced again */
    ck_assert_ptr_nonnull(find_kind(b, TRACE_APDU, TRACE_DIR_CMD, 1));
    ck_assert_ptr_null(find_kind(b, TRACE_APDU, TRACE_DIR_CMD, 2));
    bench_free(b);
}
END_TEST

START_TEST(retries_exhausted_timeout)
{
    bench_t *b = bench_new();
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    settle(b);
    size_t f0 = count_frames(b);
    b->picc.mute_l4 = true;
    static const uint8_t apdu[4] = { 0x00, 0xA4, 0x00, 0x00 };
    transmit(b, apdu, 4);
    const phone_result_t *r = &b->res;
    ck_assert_int_eq(r->status, PHONE_ERR_TIMEOUT);
    ck_assert_str_eq(phone_status_name(r->status), "timeout");
    ck_assert_uint_eq(r->retries, 2);
    ck_assert_uint_eq(r->timeouts, 3);
    ck_assert(!phone_active(b->phone));
    settle(b);
    /* I-block, R(NAK), R(NAK), each at the time-out of the one before */
    ck_assert_uint_eq(count_frames(b), f0 + 3);
    uint64_t c = 0;
    while (fc_time(0, c) < frame(b, f0)->start)
        c++;
    uint8_t nak[4];
    size_t nn = blk(nak, ISO14443_PCB_R_NAK, NULL, 0);
    uint64_t wait = 65536 + PHONE_DELTA_FWT_FC + iso14443_frame_fc(256) +
                    128;
    uint64_t e = c + iso14443_frame_fc(2 + 4 + 2);
    check_frame_at(b, f0 + 1, 0, e + wait);
    check_bytes(frame(b, f0 + 1), nak, nn);
    e = e + wait + iso14443_frame_fc(nn);
    check_frame_at(b, f0 + 2, 0, e + wait);
    e = e + wait + iso14443_frame_fc(nn);
    ck_assert_uint_eq(r->end, fc_time(0, e + wait));
    /* the command was traced, no response */
    ck_assert_ptr_nonnull(find_kind(b, TRACE_APDU, TRACE_DIR_CMD, 0));
    ck_assert_ptr_null(find_kind(b, TRACE_APDU, TRACE_DIR_RSP, 0));
    bench_free(b);
}
END_TEST

START_TEST(deselect_wupa_and_field_off)
{
    bench_t *b = bench_new();
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    settle(b);
    size_t f0 = count_frames(b);
    b->done = false;
    ck_assert_int_eq(phone_deselect(b->phone, b->now, on_done, b),
                     PHONE_OK);
    wait_done(b, SIM_MS(100));
    ck_assert_msg(b->res.status == PHONE_OK, "%s", b->res.error);
    ck_assert(!phone_active(b->phone));
    ck_assert_uint_eq(b->picc.deselects, 1);
    settle(b);
    uint8_t d[4];
    size_t n = blk(d, ISO14443_PCB_S_DESELECT, NULL, 0);
    check_bytes(frame(b, f0), d, n); /* CA 00 CRC */
    check_bytes(frame(b, f0 + 1), d, n);
    /* deselect again: refused */
    b->done = false;
    ck_assert_int_eq(phone_deselect(b->phone, b->now, on_done, b),
                     PHONE_OK);
    ck_assert(!b->done);
    wait_done(b, SIM_MS(1));
    ck_assert_int_eq(b->res.status, PHONE_ERR_STATE);
    /* the next activation wakes the halted PICC with WUPA */
    activate(b);
    ck_assert_msg(b->res.status == PHONE_OK, "%s", b->res.error);
    ck_assert_uint_eq(b->picc.wupa, 1);
    settle(b);
    ck_assert_uint_eq(frame(b, f0 + 2)->data[0], ISO14443_WUPA);
    /* field off: traced, the PICC sees it, the card is forgotten */
    b->done = false;
    sim_time_t t = b->now + SIM_US(10);
    ck_assert_int_eq(phone_field(b->phone, t, false, on_done, b), PHONE_OK);
    wait_done(b, SIM_MS(1));
    ck_assert_int_eq(b->res.status, PHONE_OK);
    ck_assert_uint_eq(b->res.end, t);
    ck_assert(!phone_field_on(b->phone));
    ck_assert(!phone_active(b->phone));
    settle(b);
    ck_assert_uint_eq(b->picc.field_offs, 1);
    const rec_t *last = NULL;
    for (size_t k = 0; k < b->nrec; k++)
        if (b->rec[k].kind == TRACE_FRAME)
            last = &b->rec[k];
    ck_assert_int_eq(last->ev, TRACE_NFC_EV_FIELD_OFF);
    ck_assert_uint_eq(last->time, t);
    /* after the field cycles: REQA again */
    transmit(b, (const uint8_t[]){ 0x00, 0xA4, 0x00, 0x00 }, 4);
    ck_assert_msg(b->res.status == PHONE_OK, "%s", b->res.error);
    ck_assert_uint_eq(b->picc.reqa, 2);
    ck_assert_uint_eq(b->res.field_on, b->res.start);
    ck_assert_uint_eq(b->res.reqa_start, b->res.start + SIM_MS(5));
    bench_free(b);
}
END_TEST

START_TEST(field_off_aborts_and_busy)
{
    bench_t *b = bench_new();
    b->done = false;
    ck_assert_int_eq(phone_activate(b->phone, 0, on_done, b), PHONE_OK);
    /* busy while activating */
    ck_assert_int_eq(phone_transmit(b->phone, 0, (const uint8_t[]){ 0 }, 1,
                                    on_done, b),
                     PHONE_ERR_BUSY);
    b->now = sim_run_until(&b->sim, SIM_MS(2));
    ck_assert(!b->done);
    /* field off at 3 ms: the activation is aborted first */
    sim_time_t t = SIM_MS(3);
    b->ncalls = 0;
    ck_assert_int_eq(phone_field(b->phone, t, false, on_done, b), PHONE_OK);
    ck_assert_uint_eq(b->ncalls, 1);
    ck_assert_int_eq(b->res.status, PHONE_ERR_ABORTED);
    ck_assert_int_eq(b->res.op, PHONE_OP_ACTIVATE);
    b->done = false;
    wait_done(b, SIM_MS(5));
    ck_assert_int_eq(b->res.op, PHONE_OP_FIELD);
    ck_assert_int_eq(b->res.status, PHONE_OK);
    ck_assert_uint_eq(b->res.end, t);
    ck_assert_uint_eq(b->picc.reqa, 0);
    bench_free(b);
}
END_TEST

START_TEST(no_card_timeout)
{
    bench_t *b = bench_new();
    /* the PICC never wakes: REQA only */
    b->picc.st = P_HALT;
    b->done = false;
    ck_assert_int_eq(phone_field(b->phone, 0, true, on_done, b), PHONE_OK);
    wait_done(b, SIM_MS(1));
    b->picc.st = P_HALT;
    activate(b);
    ck_assert_int_eq(b->res.status, PHONE_ERR_TIMEOUT);
    /* REQA 67800..68824, limit 68824 + 1172 + 512, an ATQA's length and a
     * bit after it */
    uint64_t limit = 68824 + 1172 + PHONE_L3_TOLERANCE_FC;
    ck_assert_uint_eq(b->res.end,
                      fc_time(0, limit + iso14443_frame_fc(2) + 128));
    ck_assert_str_eq(b->res.error, "no ATQA");
    bench_free(b);
}
END_TEST

static void chan_done(void *ctx, sim_time_t now, const cos_update_rsp_t *r)
{
    bench_t *b = ctx;
    (void)now;
    b->chan_done = true;
    b->chan = *r;
}

START_TEST(cos_update_channel)
{
    bench_t *b = bench_new();
    static const uint8_t apdu[5] = { 0x80, 0xB0, 0x00, 0x00, 0x03 };
    ck_assert_int_eq(phone_update_transmit(b->phone, 0, apdu, 5, chan_done,
                                           b),
                     0);
    /* busy meanwhile */
    ck_assert_int_ne(phone_update_transmit(b->phone, 0, apdu, 5, chan_done,
                                           b),
                     0);
    while (!b->chan_done && b->now < SIM_MS(100))
        b->now = sim_run_until(&b->sim, b->now + SIM_MS(1));
    ck_assert(b->chan_done);
    ck_assert(b->chan.ok);
    ck_assert_uint_eq(b->chan.len, 3);
    ck_assert_uint_eq(b->chan.sw, 0x9000);
    bench_free(b);
}
END_TEST

Suite *make_phone_suite(void)
{
    Suite *s = suite_create("phone");
    TCase *tc = tcase_create("pcd");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, activation_4byte_uid);
    tcase_add_test(tc, activation_7byte_uid_cascade);
    tcase_add_test(tc, apdu_exchange_exact_cycles);
    tcase_add_test(tc, transmit_activates_first_and_turnaround);
    tcase_add_test(tc, chaining_both_ways);
    tcase_add_test(tc, wtx_extends_the_wait);
    tcase_add_test(tc, lost_answer_recovered_by_nak);
    tcase_add_test(tc, bad_crc_and_lost_command);
    tcase_add_test(tc, retries_exhausted_timeout);
    tcase_add_test(tc, deselect_wupa_and_field_off);
    tcase_add_test(tc, field_off_aborts_and_busy);
    tcase_add_test(tc, no_card_timeout);
    tcase_add_test(tc, cos_update_channel);
    suite_add_tcase(s, tc);
    return s;
}
