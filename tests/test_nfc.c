/* SPDX-License-Identifier: MIT */
/* tests/test_nfc.c - the NFC front end (models/nfc.c) between a scripted
 * PCD in its own node and a fake SPI master in the MCU's node: ATQA for
 * every UID size, the cascade with BCC and SAK, the ATS, FDT 1172/1236,
 * RATS -> ACTIVATED read over SPI, a C-APDU chained by the PCD, the
 * R-APDU chained under a small FSD with retransmissions, the automatic
 * S(WTX), DESELECT, HLTA, field off mid-APDU, bad CRC, RESPONSE errors,
 * the IRQ pin and the trace lines. Every frame's start is checked to the
 * carrier cycle. */
#include <stdio.h>
#include <string.h>

#include "firmware/include/nfc_spi.h"
#include "models/iso14443.h"
#include "models/nfc.h"
#include "sim/clock.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "suites.h"

Suite *make_nfc_suite(void);

/* The field goes on at T0: carrier cycle 0 */
#define T0 SIM_US(10)
#define START_FC 100000u   /* first command (after the 5 ms power-up) */
#define SPI_BYTE SIM_US(1) /* 8 MHz SCK */
#define MAX_RX 64
#define MAX_ACT 64
#define MAX_SPI 32

typedef struct rxf {
    uint64_t start, end;
    uint8_t b[ISO14443_FRAME_MAX];
    size_t len;
} rxf_t;

typedef struct tb tb_t;

typedef struct pcd_act {
    sim_event_t ev;
    tb_t *tb;
    uint32_t kind;
    uint64_t cycle;
    uint8_t b[600];
    size_t len;
} pcd_act_t;

typedef struct spi_txn {
    sim_event_t ev;
    tb_t *tb;
    uint8_t mosi[600], miso[600];
    size_t n, step;
    sim_time_t t0;
} spi_txn_t;

struct tb {
    sim_t sim;
    sim_node_t pcd, mcu;
    sim_link_t down, up;
    nfc_t nfc;
    sim_clock_t fc;
    rxf_t rx[MAX_RX];
    size_t n_rx;
    pcd_act_t act[MAX_ACT];
    size_t n_act;
    uint64_t free_fc;       /* end of the last frame either way */
    unsigned pcd_lb;        /* last bit of the PCD's last frame */
    sim_time_t ran;         /* the simulation has run up to here */
    spi_txn_t spi[MAX_SPI];
    size_t n_spi;
    int irq_changes;
    bool irq;
    sim_time_t irq_time;
    /* trace capture */
    trace_bus_t bus;
    char logs[4096];
    unsigned spi_frames;
    uint8_t spi_last[16];
};

static tb_t *tb;

static sim_time_t fc_t(uint64_t c)
{
    return sim_clock_edge(&tb->fc, c);
}

static void pcd_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    (void)ctx;
    ck_assert_uint_eq(m->kind, ISO14443_MSG_FRAME);
    ck_assert_uint_lt(tb->n_rx, MAX_RX);
    rxf_t *f = &tb->rx[tb->n_rx++];
    f->start = m->value;
    f->end = m->value + iso14443_frame_fc(m->len);
    /* delivered at the frame's exact end, sent at its exact start */
    ck_assert_uint_eq(now, fc_t(f->end));
    ck_assert_uint_eq(m->sent, fc_t(f->start));
    memcpy(f->b, m->data, m->len);
    f->len = m->len;
    if (f->end > tb->free_fc)
        tb->free_fc = f->end;
}

static void act_fire(sim_event_t *ev, sim_time_t now)
{
    pcd_act_t *a = ev->ctx;
    if (a->kind == ISO14443_MSG_FIELD) {
        sim_link_send(&tb->down, now, ISO14443_MSG_FIELD, a->len, NULL, 0);
        return;
    }
    uint64_t dur = a->kind == ISO14443_MSG_SHORT ? ISO14443_SHORT_FRAME_FC
                                                 : iso14443_frame_fc(a->len);
    sim_link_send_at(&tb->down, now, fc_t(a->cycle + dur), a->kind, a->cycle,
                     a->b, a->len);
}

static pcd_act_t *new_act(void)
{
    ck_assert_uint_lt(tb->n_act, MAX_ACT);
    pcd_act_t *a = &tb->act[tb->n_act++];
    sim_event_init(&a->ev, "pcd.act", act_fire, a);
    return a;
}

static void field(sim_time_t t, bool on)
{
    pcd_act_t *a = new_act();
    a->kind = ISO14443_MSG_FIELD;
    a->len = on;
    sim_schedule(&tb->pcd, &a->ev, t);
}

/* A frame from the PCD at carrier cycle c (crc: append CRC_A). Returns
 * its end. */
static uint64_t pcd_frame(uint64_t c, const uint8_t *b, size_t n, bool crc)
{
    pcd_act_t *a = new_act();
    a->kind = ISO14443_MSG_FRAME;
    a->cycle = c;
    memcpy(a->b, b, n);
    a->len = crc ? iso14443_add_crc(a->b, n) : n;
    tb->pcd_lb = iso14443_last_bit(a->b, a->len, false);
    sim_schedule(&tb->pcd, &a->ev, fc_t(c));
    uint64_t end = c + iso14443_frame_fc(a->len);
    tb->free_fc = end;
    return end;
}

static uint64_t pcd_short(uint64_t c, uint8_t cmd)
{
    pcd_act_t *a = new_act();
    a->kind = ISO14443_MSG_SHORT;
    a->cycle = c;
    a->b[0] = cmd;
    a->len = 1;
    tb->pcd_lb = iso14443_last_bit(a->b, 1, true);
    sim_schedule(&tb->pcd, &a->ev, fc_t(c));
    tb->free_fc = c + ISO14443_SHORT_FRAME_FC;
    return tb->free_fc;
}

/* FDT n = 9 after the PCD's last frame. */
static uint64_t fdt9(void)
{
    return iso14443_fdt_picc_fc(9, tb->pcd_lb);
}

/* The first answer slot (n >= 9) after the PCD frame ending at end at or
 * after time t. */
static uint64_t slot_after(uint64_t end, sim_time_t t)
{
    uint64_t base = end + iso14443_fdt_picc_fc(0, tb->pcd_lb);
    uint64_t c = sim_clock_edge_at_or_after(&tb->fc, t);
    uint64_t k = c > base + 9 * 128 ? (c - base + 127) / 128 : 9;
    return base + k * 128;
}

static void run_t(sim_time_t t)
{
    sim_run_until(&tb->sim, t);
    if (t > tb->ran)
        tb->ran = t;
}

static void run_fc(uint64_t c)
{
    run_t(fc_t(c));
}

/* The earliest a test can act: after the last frame and the last run. */
static sim_time_t t_free(void)
{
    return sim_time_max(fc_t(tb->free_fc), tb->ran);
}

/* Where the PCD's next frame can start: the PCD's minimum FDT after the
 * last frame, and not in the simulated past. */
static uint64_t next_fc(void)
{
    uint64_t c = tb->free_fc + ISO14443_FDT_PCD_MIN_FC;
    uint64_t r = sim_clock_edge_at_or_after(&tb->fc, tb->ran);
    return c > r ? c : r;
}

/* Sends a frame ISO14443_FDT_PCD_MIN_FC after the last one ends and runs
 * long enough for any hardware answer of up to 64 bytes. Returns the
 * frame's end. */
static uint64_t xchg(const uint8_t *b, size_t n, bool crc)
{
    uint64_t end = pcd_frame(next_fc(), b, n,
                             crc);
    run_fc(end + 1300 + iso14443_frame_fc(64));
    return end;
}

static uint64_t xshort(uint8_t cmd)
{
    uint64_t end = pcd_short(next_fc(), cmd);
    run_fc(end + 1300 + iso14443_frame_fc(8));
    return end;
}

/* The last frame received must be b (+ CRC if crc) starting at cycle. */
static void expect_rx(size_t idx, uint64_t cycle, const uint8_t *b, size_t n,
                      bool crc)
{
    uint8_t want[ISO14443_FRAME_MAX];
    memcpy(want, b, n);
    if (crc)
        n = iso14443_add_crc(want, n);
    ck_assert_uint_eq(tb->n_rx, idx + 1);
    const rxf_t *f = &tb->rx[idx];
    ck_assert_uint_eq(f->start, cycle);
    ck_assert_uint_eq(f->len, n);
    ck_assert_mem_eq(f->b, want, n);
}

/* ---- fake SPI master in the MCU node --------------------------------- */

static void spi_fire(sim_event_t *ev, sim_time_t now)
{
    spi_txn_t *s = ev->ctx;
    if (s->step == 0) {
        nfc_spi_cs(&tb->nfc, now, true);
    } else if (s->step <= s->n) {
        s->miso[s->step - 1] = nfc_spi_xfer(&tb->nfc, now,
                                            s->mosi[s->step - 1]);
    } else {
        nfc_spi_cs(&tb->nfc, now, false);
        return;
    }
    s->step++;
    sim_schedule(&tb->mcu, ev, now + SPI_BYTE);
}

/* A transaction of n bytes with chip select falling at t; chip select
 * rises at t + (n + 1) us. */
static spi_txn_t *spi(sim_time_t t, const uint8_t *mosi, size_t n)
{
    ck_assert_uint_lt(tb->n_spi, MAX_SPI);
    spi_txn_t *s = &tb->spi[tb->n_spi++];
    t = sim_time_max(t, tb->ran);
    sim_event_init(&s->ev, "spi", spi_fire, s);
    memcpy(s->mosi, mosi, n);
    s->n = n;
    s->step = 0;
    s->t0 = t;
    sim_schedule(&tb->mcu, &s->ev, t);
    return s;
}

static sim_time_t spi_end(const spi_txn_t *s)
{
    return s->t0 + (s->n + 1) * SPI_BYTE;
}

/* READ_EVENT of n bytes at t, run through it; returns the MISO bytes. */
static const uint8_t *read_event(sim_time_t t, size_t n)
{
    uint8_t mosi[600] = { NFC_CMD_READ_EVENT };
    spi_txn_t *s = spi(t, mosi, n);
    run_t(spi_end(s) + 1);
    return s->miso;
}

/* READ_EVENT at t expecting type and data. */
static void expect_event(sim_time_t t, uint8_t type, const uint8_t *d,
                         size_t len)
{
    const uint8_t *m = read_event(t, 4 + len);
    ck_assert_uint_eq(m[1], type);
    ck_assert_uint_eq(m[2], len >> 8);
    ck_assert_uint_eq(m[3], len & 0xFF);
    if (len)
        ck_assert_mem_eq(m + 4, d, len);
}

static spi_txn_t *response(sim_time_t t, const uint8_t *d, size_t len,
                           size_t declared)
{
    uint8_t mosi[600] = { NFC_CMD_RESPONSE, (uint8_t)(declared >> 8),
                          (uint8_t)declared };
    memcpy(mosi + 3, d, len);
    return spi(t, mosi, 3 + len);
}

static uint8_t status_at(sim_time_t t)
{
    uint8_t mosi[2] = { NFC_CMD_STATUS, 0 };
    spi_txn_t *s = spi(t, mosi, 2);
    run_t(spi_end(s) + 1);
    ck_assert_uint_eq(s->miso[0], s->miso[1]);
    return s->miso[1];
}

/* ---- fixture ---------------------------------------------------------- */

static void irq_cb(void *ctx, sim_time_t now, bool level)
{
    (void)ctx;
    ck_assert(level != tb->irq);
    tb->irq = level;
    tb->irq_time = now;
    tb->irq_changes++;
}

static void sink_rec(void *ctx, const trace_rec_t *r)
{
    (void)ctx;
    if (r->kind == TRACE_LOG) {
        size_t k = strlen(tb->logs);
        snprintf(tb->logs + k, sizeof tb->logs - k, "%s|", r->text);
    } else if (r->kind == TRACE_FRAME) {
        ck_assert_int_eq(r->u.frame.proto, TRACE_PROTO_SPI);
        ck_assert_str_eq(r->path, "spi");
        ck_assert_str_eq(r->source, "nfc");
        ck_assert_int_eq(r->dir, TRACE_DIR_CMD);
        tb->spi_frames++;
        memset(tb->spi_last, 0, sizeof tb->spi_last);
        memcpy(tb->spi_last, r->data, r->len < 16 ? r->len : 16);
    }
}

static void setup_cfg(const nfc_cfg_t *cfg_in)
{
    tb = calloc(1, sizeof *tb);
    ck_assert_ptr_nonnull(tb);
    sim_init(&tb->sim, 1);
    sim_node_init(&tb->pcd, &tb->sim, "pcd", tb);
    sim_node_init(&tb->mcu, &tb->sim, "mcu", tb);
    trace_bus_init(&tb->bus);
    trace_bus_attach(&tb->bus, &tb->sim);
    trace_sink_t sk = {
        .name = "test",
        .mask = TRACE_MASK(TRACE_LOG) | TRACE_MASK(TRACE_FRAME),
        .record = sink_rec,
    };
    trace_bus_add_sink(&tb->bus, &sk);
    nfc_cfg_t cfg = *cfg_in;
    cfg.node = &tb->mcu;
    cfg.bus = &tb->bus;
    cfg.irq = irq_cb;
    nfc_init(&tb->nfc, &tb->sim, &cfg);
    sim_link_init(&tb->down, &tb->sim, "pcd>nfc", &tb->pcd, &tb->mcu,
                  ISO14443_AIR_LATENCY, ISO14443_FRAME_MAX + 400, nfc_air_rx,
                  &tb->nfc);
    sim_link_init(&tb->up, &tb->sim, "nfc>pcd", &tb->mcu, &tb->pcd,
                  ISO14443_AIR_LATENCY, ISO14443_FRAME_MAX, pcd_rx, tb);
    nfc_attach_air(&tb->nfc, &tb->up);
    sim_clock_init(&tb->fc, "nfc", ISO14443_FC_HZ, T0);
    field(T0, true);
    tb->free_fc = START_FC - ISO14443_FDT_PCD_MIN_FC;
}

static void setup_uid(const uint8_t *uid, unsigned len, unsigned fwi)
{
    nfc_cfg_t cfg;
    nfc_cfg_default(&cfg);
    memcpy(cfg.uid, uid, len);
    cfg.uid_len = len;
    cfg.fwi = fwi;
    setup_cfg(&cfg);
}

static void teardown(void)
{
    char err[128];
    trace_bus_close(&tb->bus, err, sizeof err);
    nfc_cleanup(&tb->nfc);
    sim_cleanup(&tb->sim);
    free(tb);
    tb = NULL;
}

static const uint8_t uid4[4] = { 0x08, 0x12, 0x34, 0x56 };
static const uint8_t uid7[7] = { 0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6 };
static const uint8_t uid10[10] = { 0x04, 0x11, 0x22, 0x33, 0x44,
                                   0x55, 0x66, 0x77, 0x88, 0x99 };

/* REQA, anticollision and select of a 4-byte UID; returns the SELECT's
 * end. */
static void select4(void)
{
    xshort(ISO14443_REQA);
    xchg((const uint8_t[]){ 0x93, 0x20 }, 2, false);
    uint8_t sel[7] = { 0x93, 0x70, 0x08, 0x12, 0x34, 0x56,
                       0x08 ^ 0x12 ^ 0x34 ^ 0x56 };
    xchg(sel, 7, true);
}

/* select4 + RATS with this parameter byte. */
static void activate(uint8_t param)
{
    select4();
    xchg((const uint8_t[]){ ISO14443_RATS, param }, 2, true);
}

/* Reads (and checks) FIELD_ON and ACTIVATED at t. */
static void read_activation(sim_time_t t, unsigned fsd, uint8_t cid)
{
    expect_event(t, NFC_EVT_FIELD_ON, NULL, 0);
    uint8_t d[3] = { (uint8_t)(fsd >> 8), (uint8_t)fsd, cid };
    expect_event(t + SIM_US(20), NFC_EVT_ACTIVATED, d, 3);
}

/* ---- layer 3 ----------------------------------------------------------- */

START_TEST(atqa_by_uid_size)
{
    static const struct { const uint8_t *uid; unsigned len; uint8_t a0; }
        c[] = { { uid4, 4, 0x04 }, { uid7, 7, 0x44 }, { uid10, 10, 0x84 } };
    for (size_t i = 0; i < 3; i++) {
        setup_uid(c[i].uid, c[i].len, 7);
        /* REQA 26: last bit 0 -> FDT 9 * 128 + 20 = 1172 */
        uint64_t end = pcd_short(START_FC, ISO14443_REQA);
        ck_assert_uint_eq(end, START_FC + 1024);
        run_fc(end + 20000);
        uint8_t atqa[2] = { c[i].a0, 0x00 };
        expect_rx(0, end + 1172, atqa, 2, false);
        ck_assert_uint_eq(tb->rx[0].start, 102196);
        /* HLTA is not valid in READY: back to IDLE, no answer */
        xchg((const uint8_t[]){ 0x50, 0x00 }, 2, true);
        ck_assert_uint_eq(tb->n_rx, 1);
        /* WUPA 52: last bit 1 -> FDT 1236 */
        end = xshort(ISO14443_WUPA);
        expect_rx(1, end + 1236, atqa, 2, false);
        teardown();
    }
}
END_TEST

START_TEST(cascade_7_byte_uid)
{
    setup_uid(uid7, 7, 7);
    xshort(ISO14443_REQA);
    /* CL1: cascade tag + 3 UID bytes + BCC, no CRC; 93 20 ends on a 0
     * parity bit: FDT 1172 */
    uint64_t end = xchg((const uint8_t[]){ 0x93, 0x20 }, 2, false);
    uint8_t cl1[5] = { 0x88, 0x04, 0xA1, 0xB2, 0x88 ^ 0x04 ^ 0xA1 ^ 0xB2 };
    expect_rx(1, end + 1172, cl1, 5, false);
    uint8_t sel1[7] = { 0x93, 0x70, 0x88, 0x04, 0xA1, 0xB2, cl1[4] };
    end = xchg(sel1, 7, true);
    uint8_t sak04[3] = { 0x04, 0xDA, 0x17 };
    expect_rx(2, end + fdt9(), sak04, 3, false);
    /* CL2: the last 4 bytes */
    end = xchg((const uint8_t[]){ 0x95, 0x20 }, 2, false);
    uint8_t cl2[5] = { 0xC3, 0xD4, 0xE5, 0xF6, 0xC3 ^ 0xD4 ^ 0xE5 ^ 0xF6 };
    /* 95 20: 0x20 has one 1 -> parity 0 -> 1172 */
    expect_rx(3, end + 1172, cl2, 5, false);
    uint8_t sel2[7] = { 0x95, 0x70, 0xC3, 0xD4, 0xE5, 0xF6, cl2[4] };
    end = xchg(sel2, 7, true);
    uint8_t sak20[3] = { 0x20, 0xFC, 0x70 };
    expect_rx(4, end + fdt9(), sak20, 3, false);
    ck_assert_int_eq(tb->nfc.state, NFC_ACTIVE);
    teardown();
}
END_TEST

START_TEST(cascade_10_byte_uid_and_wrong_select)
{
    setup_uid(uid10, 10, 7);
    xshort(ISO14443_WUPA);
    xchg((const uint8_t[]){ 0x93, 0x20 }, 2, false);
    uint8_t cl1[5] = { 0x88, 0x04, 0x11, 0x22, 0x88 ^ 0x04 ^ 0x11 ^ 0x22 };
    ck_assert_mem_eq(tb->rx[1].b, cl1, 5);
    uint8_t s1[7] = { 0x93, 0x70, 0x88, 0x04, 0x11, 0x22, cl1[4] };
    xchg(s1, 7, true);
    ck_assert_uint_eq(tb->rx[2].b[0], 0x04);
    xchg((const uint8_t[]){ 0x95, 0x20 }, 2, false);
    uint8_t cl2[5] = { 0x88, 0x33, 0x44, 0x55, 0x88 ^ 0x33 ^ 0x44 ^ 0x55 };
    ck_assert_mem_eq(tb->rx[3].b, cl2, 5);
    uint8_t s2[7] = { 0x95, 0x70, 0x88, 0x33, 0x44, 0x55, cl2[4] };
    xchg(s2, 7, true);
    ck_assert_uint_eq(tb->rx[4].b[0], 0x04);
    xchg((const uint8_t[]){ 0x97, 0x20 }, 2, false);
    uint8_t cl3[5] = { 0x66, 0x77, 0x88, 0x99, 0x66 ^ 0x77 ^ 0x88 ^ 0x99 };
    ck_assert_mem_eq(tb->rx[5].b, cl3, 5);
    /* a SELECT with a wrong BCC: no answer, back to IDLE */
    uint8_t bad[7] = { 0x97, 0x70, 0x66, 0x77, 0x88, 0x99, 0xFF };
    xchg(bad, 7, true);
    ck_assert_uint_eq(tb->n_rx, 6);
    ck_assert_int_eq(tb->nfc.state, NFC_IDLE);
    /* IDLE ignores anticollision */
    xchg((const uint8_t[]){ 0x93, 0x20 }, 2, false);
    ck_assert_uint_eq(tb->n_rx, 6);
    teardown();
}
END_TEST

START_TEST(hlta_then_wupa)
{
    setup_uid(uid4, 4, 7);
    select4();
    ck_assert_uint_eq(tb->n_rx, 3);
    ck_assert_uint_eq(tb->rx[2].b[0], 0x20);
    xchg((const uint8_t[]){ 0x50, 0x00 }, 2, true);
    ck_assert_uint_eq(tb->n_rx, 3); /* no answer */
    ck_assert_int_eq(tb->nfc.state, NFC_HALT);
    xshort(ISO14443_REQA);
    ck_assert_uint_eq(tb->n_rx, 3); /* HALT ignores REQA */
    uint64_t end = xshort(ISO14443_WUPA);
    uint8_t atqa[2] = { 0x04, 0x00 };
    expect_rx(3, end + 1236, atqa, 2, false);
    sim_time_t t = t_free() + SIM_US(100);
    expect_event(t, NFC_EVT_FIELD_ON, NULL, 0);
    expect_event(t + SIM_US(20), NFC_EVT_HALTED, NULL, 0);
    expect_event(t + SIM_US(40), NFC_EVT_NONE, NULL, 0);
    ck_assert(strstr(tb->logs, "event HALTED|") != NULL);
    teardown();
}
END_TEST

/* ---- layer 4 ---------------------------------------------------------- */

START_TEST(rats_ats_and_activated_event)
{
    nfc_cfg_t cfg;
    nfc_cfg_default(&cfg);
    cfg.hist_len = 2;
    cfg.hist[0] = 0x80;
    cfg.hist[1] = 0x71;
    cfg.sfgi = 1;
    setup_cfg(&cfg);
    ck_assert(!tb->irq);
    select4();
    /* FIELD_ON raised IRQ when the field message arrived */
    ck_assert(tb->irq);
    ck_assert_uint_eq(tb->irq_time, T0 + ISO14443_AIR_LATENCY);
    /* E0 80 31 73: 0x73 has five 1s -> parity 0 -> FDT 1172 */
    uint64_t end = xchg((const uint8_t[]){ 0xE0, 0x80 }, 2, true);
    uint8_t ats[7] = { 0x07, 0x78, 0x00, 0x71, 0x02, 0x80, 0x71 };
    expect_rx(3, end + 1172, ats, 7, true);
    sim_time_t t = t_free() + SIM_US(50);
    ck_assert_uint_eq(status_at(t), NFC_STATUS_EVENT | NFC_STATUS_FIELD |
                                        NFC_STATUS_ACTIVE);
    read_activation(t + SIM_US(10), 256, 0);
    ck_assert(!tb->irq);
    ck_assert_uint_eq(tb->irq_changes, 2);
    ck_assert_uint_eq(status_at(t + SIM_US(60)),
                      NFC_STATUS_FIELD | NFC_STATUS_ACTIVE);
    ck_assert(strstr(tb->logs, "activated FSD 256 CID 0|") != NULL);
    /* READ_EVENT traced with its MOSI bytes */
    ck_assert_uint_ge(tb->spi_frames, 4);
    teardown();
}
END_TEST

/* FSDI 0 (FSD 16), CID 1 in RATS: a C-APDU chained by the PCD, the
 * R-APDU chained back with CID, and retransmissions. */
START_TEST(chained_apdu_both_ways)
{
    setup_uid(uid4, 4, 7);
    activate(0x01);
    sim_time_t t = t_free() + SIM_US(50);
    read_activation(t, 16, 1);
    /* C-APDU of 20 bytes in 3 blocks with CID: 12 01 ..., 13 01 ..., 0A
     * 01 ... ; each chained block acknowledged by R(ACK) with CID */
    uint8_t apdu[20];
    for (int i = 0; i < 20; i++)
        apdu[i] = (uint8_t)(0xA0 + i);
    uint8_t b[32] = { 0x1A, 0x01 };
    memcpy(b + 2, apdu, 8);
    uint64_t end = xchg(b, 10, true);
    uint8_t ack0[2] = { 0xAA, 0x01 };
    expect_rx(4, end + fdt9(), ack0, 2, true);
    b[0] = 0x1B;
    memcpy(b + 2, apdu + 8, 8);
    end = xchg(b, 10, true);
    uint8_t ack1[2] = { 0xAB, 0x01 };
    expect_rx(5, end + fdt9(), ack1, 2, true);
    b[0] = 0x0A;
    memcpy(b + 2, apdu + 16, 4);
    end = xchg(b, 6, true);
    ck_assert_uint_eq(tb->n_rx, 6); /* waiting for the MCU */
    t = fc_t(end) + SIM_US(100);
    ck_assert_uint_eq(status_at(t), NFC_STATUS_EVENT | NFC_STATUS_FIELD |
                                        NFC_STATUS_ACTIVE |
                                        NFC_STATUS_WAITING);
    expect_event(t + SIM_US(10), NFC_EVT_APDU, apdu, 20);
    ck_assert(strstr(tb->logs, "event APDU 20 bytes|") != NULL);
    /* R-APDU of 30 bytes: INF <= 16 - PCB - CID - CRC = 12 per block */
    uint8_t r[30];
    for (int i = 0; i < 30; i++)
        r[i] = (uint8_t)i;
    spi_txn_t *s = response(t + SIM_US(200), r, 30, 30);
    sim_time_t rise = spi_end(s);
    run_t(rise + SIM_MS(2));
    /* first block at the first slot after the RESPONSE's CS rise */
    uint64_t slot = slot_after(end, rise);
    uint8_t i0[14] = { 0x1A, 0x01 };
    memcpy(i0 + 2, r, 12);
    expect_rx(6, slot, i0, 14, true);
    ck_assert_uint_ge(slot - end, 9 * 128);
    ck_assert_uint_eq(status_at(t_free() + SIM_US(10)),
                      NFC_STATUS_FIELD | NFC_STATUS_ACTIVE | NFC_STATUS_TX);
    /* R(NAK) with the PICC's block number: the same block again (rule 11) */
    end = xchg((const uint8_t[]){ 0xBA, 0x01 }, 2, true);
    expect_rx(7, end + fdt9(), i0, 14, true);
    /* R(ACK) 1: next block, block number 1 (rules E, 13) */
    end = xchg((const uint8_t[]){ 0xAB, 0x01 }, 2, true);
    uint8_t i1[14] = { 0x1B, 0x01 };
    memcpy(i1 + 2, r + 12, 12);
    expect_rx(8, end + fdt9(), i1, 14, true);
    /* a repeated R(ACK) 1 (the PCD lost the block): the block again */
    end = xchg((const uint8_t[]){ 0xAB, 0x01 }, 2, true);
    expect_rx(9, end + fdt9(), i1, 14, true);
    /* R(ACK) 0: the last block, no chaining */
    end = xchg((const uint8_t[]){ 0xAA, 0x01 }, 2, true);
    uint8_t i2[8] = { 0x0A, 0x01 };
    memcpy(i2 + 2, r + 24, 6);
    expect_rx(10, end + fdt9(), i2, 8, true);
    ck_assert_uint_eq(status_at(t_free() + SIM_US(10)),
                      NFC_STATUS_FIELD | NFC_STATUS_ACTIVE);
    /* a block with another CID is not for us */
    xchg((const uint8_t[]){ 0x0B, 0x02, 0x00 }, 3, true);
    ck_assert_uint_eq(tb->n_rx, 11);
    /* next APDU: block number 1 */
    end = xchg((const uint8_t[]){ 0x0B, 0x01, 0x00, 0xB0, 0x00, 0x00 }, 6,
               true);
    ck_assert_uint_eq(tb->n_rx, 11);
    ck_assert(tb->nfc.waiting);
    ck_assert_uint_eq(tb->nfc.apdus, 2);
    ck_assert_uint_eq(tb->nfc.retransmits, 2);
    teardown();
}
END_TEST

/* FWI 4: FWT 65536 fc. The MCU is slow: S(WTX) at the first slot at or
 * after FWT - 1024 fc, again after the PCD's answer, then the response
 * while an S(WTX) is pending goes out 9 slots after the S(WTX) response. */
START_TEST(auto_wtx)
{
    setup_uid(uid4, 4, 4);
    activate(0x80);
    uint8_t ats[5] = { 0x05, 0x78, 0x00, 0x40, 0x02 };
    ck_assert_mem_eq(tb->rx[3].b, ats, 5);
    uint8_t cmd[8] = { 0x02, 0x00, 0xA4, 0x04, 0x00 };
    uint64_t end = pcd_frame(next_fc(), cmd, 5, true);
    uint64_t slot = slot_after(end, fc_t(end + 65536 - NFC_WTX_MARGIN_FC));
    run_fc(slot - 1);
    ck_assert_uint_eq(tb->n_rx, 4);
    run_fc(slot + 6000);
    uint8_t wtx[2] = { 0xF2, 0x01 };
    expect_rx(4, slot, wtx, 2, true);
    ck_assert_uint_le(slot + 0, end + 65536);
    ck_assert(strstr(tb->logs, "auto S(WTX) WTXM 1|") != NULL);
    /* the PCD's S(WTX) response */
    uint64_t e2 = pcd_frame(next_fc(), wtx, 2, true);
    slot = slot_after(e2, fc_t(e2 + 65536 - NFC_WTX_MARGIN_FC));
    run_fc(slot + 6000);
    expect_rx(5, slot, wtx, 2, true);
    ck_assert_uint_eq(tb->nfc.wtx_sent, 2);
    /* the MCU answers now, while the S(WTX) waits for its response */
    spi_txn_t *s = response(t_free() + SIM_US(10),
                            (const uint8_t[]){ 0x90, 0x00 }, 2, 2);
    run_t(spi_end(s) + 1);
    ck_assert_uint_eq(tb->n_rx, 6);
    uint64_t e3 = pcd_frame(next_fc(), wtx, 2, true);
    run_fc(e3 + 10000);
    uint8_t rsp[3] = { 0x02, 0x90, 0x00 };
    expect_rx(6, e3 + fdt9(), rsp, 3, true);
    /* the APDU event, then nothing left */
    sim_time_t t = t_free() + SIM_US(10);
    expect_event(t, NFC_EVT_FIELD_ON, NULL, 0);
    expect_event(t + SIM_US(20), NFC_EVT_ACTIVATED,
                 (const uint8_t[]){ 0x01, 0x00, 0x00 }, 3);
    expect_event(t + SIM_US(40), NFC_EVT_APDU, cmd + 1, 4);
    expect_event(t + SIM_US(60), NFC_EVT_NONE, NULL, 0);
    teardown();
}
END_TEST

/* The MCU answers just after the first S(WTX) decision point is known:
 * before it, the response replaces the S(WTX). */
START_TEST(response_before_wtx)
{
    setup_uid(uid4, 4, 4);
    activate(0x80);
    uint8_t cmd[8] = { 0x02, 0x00, 0xB0, 0x00, 0x00 };
    uint64_t end = pcd_frame(next_fc(), cmd, 5, true);
    /* CS rises 10000 fc after the end */
    sim_time_t rise = fc_t(end + 10000);
    spi_txn_t *s = response(rise - 6 * SPI_BYTE,
                            (const uint8_t[]){ 0x6A, 0x82 }, 2, 2);
    ck_assert_uint_eq(spi_end(s), rise);
    run_fc(end + 70000 + 20000);
    uint64_t slot = slot_after(end, rise);
    uint8_t rsp[3] = { 0x02, 0x6A, 0x82 };
    expect_rx(4, slot, rsp, 3, true);
    ck_assert_uint_eq(tb->nfc.wtx_sent, 0);
    teardown();
}
END_TEST

START_TEST(deselect)
{
    setup_uid(uid4, 4, 7);
    activate(0x80);
    uint64_t end = xchg((const uint8_t[]){ 0xC2 }, 1, true);
    /* C2 E0 B4: 0xB4 has four 1s -> parity 1 -> 1236 */
    uint8_t d[3] = { 0xC2, 0xE0, 0xB4 };
    expect_rx(4, end + 1236, d, 3, false);
    ck_assert_int_eq(tb->nfc.state, NFC_HALT);
    ck_assert(!tb->nfc.l4);
    sim_time_t t = t_free() + SIM_US(10);
    read_activation(t, 256, 0);
    expect_event(t + SIM_US(40), NFC_EVT_DESELECTED, NULL, 0);
    xshort(ISO14443_REQA);
    ck_assert_uint_eq(tb->n_rx, 5);
    end = xshort(ISO14443_WUPA);
    expect_rx(5, end + 1236, (const uint8_t[]){ 0x04, 0x00 }, 2, false);
    teardown();
}
END_TEST

/* HLTA in layer 4 while the MCU works: HALT, no S(WTX) ever */
START_TEST(hlta_in_layer4)
{
    setup_uid(uid4, 4, 7);
    activate(0x80);
    xchg((const uint8_t[]){ 0x02, 0x00, 0xA4 }, 3, true);
    ck_assert(tb->nfc.waiting);
    xchg((const uint8_t[]){ 0x50, 0x00 }, 2, true);
    run_fc(tb->free_fc + 1200000);
    ck_assert_uint_eq(tb->n_rx, 4);
    ck_assert_uint_eq(tb->nfc.wtx_sent, 0);
    ck_assert_int_eq(tb->nfc.state, NFC_HALT);
    ck_assert_uint_eq(status_at(t_free()), NFC_STATUS_EVENT |
                                               NFC_STATUS_FIELD);
    teardown();
}
END_TEST

START_TEST(field_off_mid_apdu)
{
    setup_uid(uid4, 4, 7);
    activate(0x80);
    uint64_t end = xchg((const uint8_t[]){ 0x02, 0x00, 0xA4 }, 3, true);
    ck_assert(tb->nfc.waiting);
    (void)end;
    sim_time_t off = t_free() + SIM_US(10);
    field(off, false);
    run_t(off + SIM_US(20));
    ck_assert(!tb->nfc.waiting);
    ck_assert_int_eq(tb->nfc.state, NFC_POWER_OFF);
    /* the response comes too late: dropped with NFC_ERR_STATE */
    spi_txn_t *s = response(off + SIM_US(30), (const uint8_t[]){ 0x90, 0 },
                            2, 2);
    run_t(spi_end(s) + SIM_MS(50));
    ck_assert_uint_eq(tb->n_rx, 4);
    sim_time_t t = spi_end(s) + SIM_MS(50);
    ck_assert_uint_eq(status_at(t), NFC_STATUS_EVENT);
    read_activation(t + SIM_US(10), 256, 0);
    expect_event(t + SIM_US(50), NFC_EVT_APDU,
                 (const uint8_t[]){ 0x00, 0xA4 }, 2);
    expect_event(t + SIM_US(70), NFC_EVT_FIELD_OFF, NULL, 0);
    expect_event(t + SIM_US(90), NFC_EVT_ERROR,
                 (const uint8_t[]){ NFC_ERR_STATE }, 1);
    ck_assert(strstr(tb->logs, "field off: APDU dropped|") != NULL);
    teardown();
}
END_TEST

START_TEST(bad_crc_ignored)
{
    setup_uid(uid4, 4, 7);
    select4();
    /* a RATS with a bad CRC in ACTIVE: no answer, back to IDLE */
    uint8_t rats[4] = { 0xE0, 0x80, 0x31, 0x74 };
    xchg(rats, 4, false);
    ck_assert_uint_eq(tb->n_rx, 3);
    ck_assert_int_eq(tb->nfc.state, NFC_IDLE);
    activate(0x80);
    ck_assert_uint_eq(tb->n_rx, 7);
    /* an I-block with a bad CRC: ignored, no event, nothing changes */
    uint8_t ib[5] = { 0x02, 0x00, 0xB0 };
    iso14443_add_crc(ib, 3);
    ib[4] ^= 0x01;
    xchg(ib, 5, false);
    ck_assert_uint_eq(tb->n_rx, 7);
    ck_assert(!tb->nfc.waiting);
    ck_assert_uint_eq(tb->nfc.frames_bad, 1);
    ck_assert_uint_eq(tb->nfc.q_len, 2); /* FIELD_ON, ACTIVATED */
    /* the same block with a good CRC is taken */
    xchg((const uint8_t[]){ 0x02, 0x00, 0xB0 }, 3, true);
    ck_assert(tb->nfc.waiting);
    ck_assert_uint_eq(tb->nfc.q_len, 3);
    teardown();
}
END_TEST

START_TEST(response_errors)
{
    setup_uid(uid4, 4, 7);
    activate(0x80);
    /* RESPONSE with no APDU waiting */
    sim_time_t t = t_free() + SIM_US(10);
    spi_txn_t *s = response(t, (const uint8_t[]){ 0x90, 0x00 }, 2, 2);
    run_t(spi_end(s) + 1);
    ck_assert_uint_eq(s->miso[0], NFC_STATUS_EVENT | NFC_STATUS_FIELD |
                                      NFC_STATUS_ACTIVE);
    ck_assert_uint_eq(s->miso[1], 0);
    uint64_t end = xchg((const uint8_t[]){ 0x02, 0x00, 0xCA }, 3, true);
    /* declared 5, sent 3: NFC_ERR_SPI, still waiting */
    t = fc_t(end) + SIM_US(10);
    s = response(t, (const uint8_t[]){ 1, 2, 3 }, 3, 5);
    run_t(spi_end(s) + 1);
    ck_assert(tb->nfc.waiting);
    ck_assert_uint_eq(tb->spi_last[0], NFC_CMD_RESPONSE);
    ck_assert_uint_eq(tb->spi_last[2], 5);
    t = spi_end(s) + SIM_US(10);
    read_activation(t, 256, 0);
    expect_event(t + SIM_US(40), NFC_EVT_ERROR,
                 (const uint8_t[]){ NFC_ERR_STATE }, 1);
    expect_event(t + SIM_US(60), NFC_EVT_APDU,
                 (const uint8_t[]){ 0x00, 0xCA }, 2);
    expect_event(t + SIM_US(80), NFC_EVT_ERROR,
                 (const uint8_t[]){ NFC_ERR_SPI }, 1);
    /* a good RESPONSE: sent */
    s = response(t + SIM_US(100), (const uint8_t[]){ 0x90, 0x00 }, 2, 2);
    run_t(spi_end(s) + SIM_MS(2));
    ck_assert_uint_eq(tb->n_rx, 5);
    ck_assert_mem_eq(tb->rx[4].b, ((const uint8_t[]){ 0x02, 0x90, 0x00 }),
                     3);
    teardown();
}
END_TEST

START_TEST(apdu_overflow_answered_by_chip)
{
    setup_uid(uid4, 4, 7);
    activate(0x80);
    /* 3 chained blocks of 200 bytes: 600 > NFC_APDU_MAX */
    uint8_t b[210] = { 0 };
    for (int i = 0; i < 3; i++) {
        b[0] = (uint8_t)((i == 2 ? 0x02 : 0x12) | (i & 1));
        xchg(b, 201, true);
        run_fc(tb->free_fc + iso14443_frame_fc(210));
    }
    ck_assert_uint_eq(tb->n_rx, 7);
    ck_assert_uint_eq(tb->rx[4].b[0], 0xA2);
    ck_assert_uint_eq(tb->rx[5].b[0], 0xA3);
    uint8_t sw[3] = { 0x02, 0x67, 0x00 };
    expect_rx(6, tb->rx[6].start, sw, 3, true);
    ck_assert(!tb->nfc.waiting);
    sim_time_t t = t_free() + SIM_US(10);
    read_activation(t, 256, 0);
    expect_event(t + SIM_US(40), NFC_EVT_ERROR,
                 (const uint8_t[]){ NFC_ERR_OVERFLOW }, 1);
    teardown();
}
END_TEST

START_TEST(event_queue_overflow)
{
    setup_uid(uid4, 4, 7);
    /* 8 events fill the queue; the 9th is lost and reported once a slot
     * frees */
    sim_time_t t = T0;
    for (int i = 0; i < 4; i++) {
        t += SIM_MS(1);
        field(t, false);
        t += SIM_MS(1);
        field(t, true);
    }
    run_t(t + SIM_MS(1));
    ck_assert_uint_eq(tb->nfc.q_len, 8);
    ck_assert_uint_eq(tb->nfc.events_lost, 1);
    t += SIM_MS(2);
    expect_event(t, NFC_EVT_FIELD_ON, NULL, 0);
    ck_assert_uint_eq(tb->nfc.q_len, 8);
    for (int i = 0; i < 7; i++)
        read_event(t + SIM_US(20) * (unsigned)(i + 1), 4);
    expect_event(t + SIM_US(200), NFC_EVT_ERROR,
                 (const uint8_t[]){ NFC_ERR_QUEUE }, 1);
    ck_assert(!tb->irq);
    teardown();
}
END_TEST

START_TEST(cfg_check)
{
    nfc_cfg_t c;
    char err[128];
    nfc_cfg_default(&c);
    ck_assert_int_eq(nfc_cfg_check(&c, err, sizeof err), 0);
    c.uid_len = 5;
    ck_assert_int_eq(nfc_cfg_check(&c, err, sizeof err), -1);
    ck_assert_str_eq(err, "nfc: UID of 5 bytes (4, 7 or 10)");
    nfc_cfg_default(&c);
    c.wtxm = 60;
    ck_assert_int_eq(nfc_cfg_check(&c, err, sizeof err), -1);
    ck_assert_str_eq(err, "nfc: WTXM 60 (1..59)");
    nfc_cfg_default(&c);
    c.fsci = 9;
    ck_assert_int_eq(nfc_cfg_check(&c, err, sizeof err), -1);
}
END_TEST

Suite *make_nfc_suite(void)
{
    Suite *s = suite_create("nfc");
    TCase *l3 = tcase_create("layer3");
    tcase_add_test(l3, cfg_check);
    tcase_add_test(l3, atqa_by_uid_size);
    tcase_add_test(l3, cascade_7_byte_uid);
    tcase_add_test(l3, cascade_10_byte_uid_and_wrong_select);
    tcase_add_test(l3, hlta_then_wupa);
    suite_add_tcase(s, l3);
    TCase *l4 = tcase_create("layer4");
    tcase_add_test(l4, rats_ats_and_activated_event);
    tcase_add_test(l4, chained_apdu_both_ways);
    tcase_add_test(l4, auto_wtx);
    tcase_add_test(l4, response_before_wtx);
    tcase_add_test(l4, deselect);
    tcase_add_test(l4, hlta_in_layer4);
    tcase_add_test(l4, field_off_mid_apdu);
    tcase_add_test(l4, bad_crc_ignored);
    tcase_add_test(l4, response_errors);
    tcase_add_test(l4, apdu_overflow_answered_by_chip);
    tcase_add_test(l4, event_queue_overflow);
    suite_add_tcase(s, l4);
    return s;
}
