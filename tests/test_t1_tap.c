/* SPDX-License-Identifier: MIT */
/* tests/test_t1_tap.c - the line protocol analyser (models/t1_tap.c): an
 * SE's ATR, a PPS exchange, chained T=1 I-blocks with R-blocks between
 * them, a retransmitted block counted once, a bad LRC, and a reset, turned
 * into exact TRACE_ATR / TRACE_APDU records. */
#include "suites.h"

#include <string.h>

#include "firmware/lib/t1.h"
#include "models/t1_tap.h"

typedef struct cap {
    int n;
    trace_kind_t kind[32];
    trace_dir_t dir[32];
    uint8_t data[32][64];
    size_t len[32];
    sim_time_t start[32], time[32];
    bool crc_ok[32];
} cap_t;

static void rec(void *ctx, const trace_rec_t *r)
{
    cap_t *c = ctx;
    if (c->n >= 32 || r->kind == TRACE_LOG)
        return;
    int i = c->n++;
    c->kind[i] = r->kind;
    c->dir[i] = r->dir;
    c->len[i] = r->len < 64 ? r->len : 64;
    memcpy(c->data[i], r->data, c->len[i]);
    c->start[i] = r->start;
    c->time[i] = r->time;
    c->crc_ok[i] = r->kind == TRACE_FRAME && r->u.frame.crc_ok;
}

/* Feeds bytes 10 us apart starting at *t (each 8 us long). */
static void feed(t1_tap_t *t, bool card, const uint8_t *b, size_t n,
                 sim_time_t *at)
{
    for (size_t i = 0; i < n; i++) {
        t1_tap_char(t, card, b[i], *at, *at + SIM_US(8), false);
        *at += SIM_US(10);
    }
}

static void block(t1_tap_t *t, bool card, uint8_t pcb, const uint8_t *inf,
                  size_t n, sim_time_t *at)
{
    uint8_t blk[T1_BLOCK_MAX];
    int len = t1_block_encode(blk, sizeof blk, pcb, inf, n, T1_EDC_LRC);
    ck_assert_int_gt(len, 0);
    feed(t, card, blk, (size_t)len, at);
}

START_TEST(atr_pps_chained_apdus)
{
    trace_bus_t bus;
    trace_bus_init(&bus);
    cap_t c = { 0 };
    trace_sink_t s = { .name = "cap", .mask = TRACE_MASK_ALL, .record = rec,
                       .ctx = &c };
    trace_bus_add_sink(&bus, &s);
    t1_tap_t t;
    t1_tap_init(&t, "mcu.iso1", "mcu-se1", "MCU>SE1", &bus);
    sim_time_t at = SIM_US(100);
    static const uint8_t atr[] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81, 0x31,
                                   0xFE, 0x45, 0x43, 0x53, 0x4C, 0x44, 0x52,
                                   0x01, 0x20 };
    feed(&t, true, atr, sizeof atr, &at);
    static const uint8_t pps[] = { 0xFF, 0x10, 0x96, 0x79 };
    feed(&t, false, pps, sizeof pps, &at);
    feed(&t, true, pps, sizeof pps, &at);
    /* command 80 F2 00 00 00 in two chained blocks, the first sent twice */
    static const uint8_t c1[] = { 0x80, 0xF2, 0x00 }, c2[] = { 0x00, 0x00 };
    sim_time_t cmd_start = at;
    block(&t, false, T1_PCB_I_MORE, c1, 3, &at);
    block(&t, true, T1_PCB_R | T1_R_OTHER, NULL, 0, &at);   /* R(0) err */
    block(&t, false, T1_PCB_I_MORE, c1, 3, &at);             /* again */
    block(&t, true, T1_PCB_R | T1_PCB_R_NR, NULL, 0, &at);  /* R(1) */
    block(&t, false, T1_PCB_I_NS, c2, 2, &at);
    sim_time_t cmd_end = at - SIM_US(2);
    static const uint8_t rsp[] = { 0x01, 0x90, 0x00 };
    block(&t, true, 0x00, rsp, 3, &at);
    /* a block with a wrong LRC carries nothing */
    uint8_t bad[] = { 0x00, 0x40, 0x01, 0xAA, 0x00 };
    feed(&t, false, bad, sizeof bad, &at);
    ck_assert_int_eq(trace_bus_close(&bus, NULL, 0), 0);

    /* ATR, 7 T=1 blocks (+1 bad), 2 APDUs, in time order */
    ck_assert_int_eq(c.kind[0], TRACE_ATR);
    ck_assert_uint_eq(c.len[0], sizeof atr);
    ck_assert_mem_eq(c.data[0], atr, sizeof atr);
    ck_assert_uint_eq(c.start[0], SIM_US(100));
    ck_assert_uint_eq(c.time[0], SIM_US(100 + 150 + 8));
    int apdus = 0, frames = 0, bad_frames = 0;
    for (int i = 1; i < c.n; i++) {
        if (c.kind[i] == TRACE_FRAME) {
            frames++;
            bad_frames += !c.crc_ok[i];
        }
        if (c.kind[i] != TRACE_APDU)
            continue;
        if (apdus++ == 0) {
            ck_assert_int_eq(c.dir[i], TRACE_DIR_CMD);
            ck_assert_uint_eq(c.len[i], 5);
            ck_assert_mem_eq(c.data[i], "\x80\xF2\x00\x00\x00", 5);
            ck_assert_uint_eq(c.start[i], cmd_start);
            ck_assert_uint_eq(c.time[i], cmd_end);
        } else {
            ck_assert_int_eq(c.dir[i], TRACE_DIR_RSP);
            ck_assert_uint_eq(c.len[i], 3);
            ck_assert_mem_eq(c.data[i], rsp, 3);
        }
    }
    ck_assert_int_eq(apdus, 2);
    ck_assert_int_eq(frames, 7);
    ck_assert_int_eq(bad_frames, 1);
    ck_assert_uint_eq(t.apdus, 2);
}
END_TEST

START_TEST(reset_restarts_at_atr)
{
    trace_bus_t bus;
    trace_bus_init(&bus);
    cap_t c = { 0 };
    trace_sink_t s = { .name = "cap", .mask = TRACE_MASK_ALL, .record = rec,
                       .ctx = &c };
    trace_bus_add_sink(&bus, &s);
    t1_tap_t t;
    t1_tap_init(&t, "mcu.iso0", "mcu-se0", "MCU>SE0", &bus);
    sim_time_t at = 0;
    static const uint8_t part[] = { 0x3B, 0xF6, 0x96 };
    feed(&t, true, part, sizeof part, &at);
    t1_tap_reset(&t);
    static const uint8_t atr[] = { 0x3B, 0x00 };
    feed(&t, true, atr, sizeof atr, &at);
    ck_assert_int_eq(trace_bus_close(&bus, NULL, 0), 0);
    ck_assert_int_eq(c.n, 1);
    ck_assert_int_eq(c.kind[0], TRACE_ATR);
    ck_assert_uint_eq(c.len[0], 2);
    ck_assert_uint_eq(c.start[0], SIM_US(30));
}
END_TEST

Suite *make_t1_tap_suite(void)
{
    Suite *s = suite_create("t1_tap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, atr_pps_chained_apdus);
    tcase_add_test(tc, reset_restarts_at_atr);
    suite_add_tcase(s, tc);
    return s;
}
