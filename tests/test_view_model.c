/* SPDX-License-Identifier: MIT */
/* tests/test_view_model.c - the bus viewer's model of the card
 * (viewer/model.c) fed with synthetic trace records: lanes and their
 * spans (times, direction, kind, the routed SE), the ring of spans, SE
 * states from VCC and ATRs, the pads' route and switch, flash busy time
 * and update progress, the working mode and routing text, the APDU list
 * and its ring, APDU ids of spans, and the names of commands. */
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "suites.h"
#include "viewer/model.h"

/* ---- records ---- */

static void feed(view_model_t *m, trace_kind_t kind, sim_time_t start,
                 sim_time_t time, const char *source, const char *path,
                 trace_dir_t dir, const uint8_t *d, size_t n)
{
    trace_rec_t r = {
        .time = time, .start = start, .kind = kind, .source = source,
        .path = path, .dir = dir, .data = d, .len = n,
    };
    view_model_record(m, &r);
}

static void byte(view_model_t *m, sim_time_t start, sim_time_t end,
                 const char *path, trace_dir_t dir, uint8_t b)
{
    feed(m, TRACE_LINE_BYTE, start, end, "x", path, dir, &b, 1);
}

static void frame(view_model_t *m, sim_time_t start, sim_time_t end,
                  const char *path, trace_proto_t proto, uint8_t ev,
                  uint8_t pdu, trace_dir_t dir, const uint8_t *d, size_t n)
{
    trace_rec_t r = {
        .time = end, .start = start, .kind = TRACE_FRAME, .source = "x",
        .path = path, .dir = dir, .data = d, .len = n,
        .u.frame = { .proto = proto, .nfc_event = ev, .ble_pdu_type = pdu,
                     .crc_ok = true },
    };
    view_model_record(m, &r);
}

static void sig(view_model_t *m, sim_time_t t, const char *path,
                int level)
{
    trace_rec_t r = {
        .time = t, .start = t, .kind = TRACE_SIGNAL, .source = "x",
        .path = path, .u.signal.level = level,
    };
    view_model_record(m, &r);
}

static void flash(view_model_t *m, sim_time_t start, sim_time_t end,
                  const char *source, trace_flash_op_t op, uint32_t addr,
                  uint32_t len, int torn)
{
    trace_rec_t r = {
        .time = end, .start = start, .kind = TRACE_FLASH_OP,
        .source = source,
        .u.flash = { .op = op, .addr = addr, .len = len, .torn = torn },
    };
    view_model_record(m, &r);
}

static void mode(view_model_t *m, sim_time_t t, const char *path,
                 const char *name, const char *text)
{
    trace_rec_t r = {
        .time = t, .start = t, .kind = TRACE_MODE, .source = "mcu",
        .path = path, .text = text, .u.mode.mode = name,
    };
    view_model_record(m, &r);
}

static void apdu(view_model_t *m, sim_time_t start, sim_time_t end,
                 const char *path, trace_dir_t dir, const uint8_t *d,
                 size_t n)
{
    feed(m, TRACE_APDU, start, end, "x", path, dir, d, n);
}

static const uint8_t loader_atr[] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81,
                                      0x31, 0xFE, 0x45, 0x43, 0x53, 0x4C,
                                      0x44, 0x52, 0x01, 0x20 };
static const uint8_t cos2_atr[] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81,
                                    0x31, 0xFE, 0x45, 0x43, 0x53, 0x43,
                                    0x4F, 0x53, 0x02, 0x26 };
/* T=0 only, no interface bytes but TA1: "CSCOS" 07 */
static const uint8_t cos7_t0_atr[] = { 0x3B, 0x16, 0x96, 0x43, 0x53, 0x43,
                                       0x4F, 0x53, 0x07 };
static const uint8_t other_atr[] = { 0x3B, 0x16, 0x96, 0x41, 0x42, 0x43,
                                     0x44, 0x45, 0x01 };
/* says 6 historical bytes, has 3 */
static const uint8_t short_atr[] = { 0x3B, 0x16, 0x96, 0x43, 0x53, 0x43 };

static const uint8_t sel_cm[] = { 0x00, 0xA4, 0x04, 0x00, 0x0A, 0xA0, 0x00,
                                  0x00, 0x09, 0x99, 0x43, 0x53, 0x4D, 0x47,
                                  0x52 };
static const uint8_t ok[] = { 0x90, 0x00 };

/* ---- lanes ---- */

START_TEST(lanes_in_order)
{
    static const char *const names[] = {
        "contact", "nfc", "ble", "spi", "mcu-se0", "mcu-se1", "mcu-se2",
        "flash se0", "flash se1", "flash se2",
    };
    static const view_chan_t chans[] = {
        VIEW_CH_CONTACT, VIEW_CH_NFC, VIEW_CH_BLE, VIEW_CH_SPI,
        VIEW_CH_MCU_SE, VIEW_CH_MCU_SE, VIEW_CH_MCU_SE, VIEW_CH_FLASH,
        VIEW_CH_FLASH, VIEW_CH_FLASH,
    };
    static const view_wire_t wires[] = {
        VIEW_W_READER, VIEW_W_NFC_AIR, VIEW_W_BLE_AIR, VIEW_W_SPI,
        VIEW_W_MCU_SE, VIEW_W_MCU_SE, VIEW_W_MCU_SE, VIEW_W_NONE,
        VIEW_W_NONE, VIEW_W_NONE,
    };
    static const uint8_t ses[] = { 0, 0, 0, 0, 0, 1, 2, 0, 1, 2 };
    view_model_t m;
    view_model_init(&m, 3, true);
    ck_assert_uint_eq(m.n_se, 3);
    ck_assert(m.has_mcu);
    ck_assert_uint_eq(m.n_lanes, 10);
    for (size_t i = 0; i < 10; i++) {
        ck_assert_str_eq(m.lanes[i].name, names[i]);
        ck_assert_int_eq(m.lanes[i].chan, chans[i]);
        ck_assert_int_eq(m.lanes[i].wire, wires[i]);
        ck_assert_uint_eq(m.lanes[i].se, ses[i]);
        ck_assert_uint_eq(m.lanes[i].count, 0);
        ck_assert_uint_eq(m.lanes[i].total, 0);
        ck_assert_ptr_eq(view_model_lane(&m, names[i]), &m.lanes[i]);
    }
    ck_assert_ptr_null(view_model_lane(&m, "mcu-se3"));
    ck_assert_ptr_null(view_lane_span(&m.lanes[0], 0));
    ck_assert_str_eq(m.mode, "");
    ck_assert_str_eq(m.route_text, "");
    ck_assert_uint_eq(m.next_apdu_id, 1);
    ck_assert_uint_eq(m.apdu_count, 0);
    ck_assert_ptr_null(view_model_apdu(&m, 0));
    for (unsigned i = 0; i < 3; i++)
        ck_assert_int_eq(m.se[i].state, VIEW_SE_OFF);
    view_model_cleanup(&m);
    ck_assert_ptr_null(m.lanes);

    view_model_init(&m, 2, false);
    ck_assert_uint_eq(m.n_lanes, 6);
    ck_assert_str_eq(m.lanes[4].name, "flash se0");
    ck_assert_str_eq(m.lanes[5].name, "flash se1");
    ck_assert_ptr_null(view_model_lane(&m, "mcu-se0"));
    /* an MCU port's bytes have no lane without an MCU */
    byte(&m, 10, 20, "mcu-se0", TRACE_DIR_CMD, 0x00);
    for (size_t i = 0; i < m.n_lanes; i++)
        ck_assert_uint_eq(m.lanes[i].total, 0);
    view_model_cleanup(&m);

    view_model_init(&m, 12, true);
    ck_assert_uint_eq(m.n_se, VIEW_MAX_SE);
    ck_assert_uint_eq(m.n_lanes, 4 + 2 * VIEW_MAX_SE);
    ck_assert_str_eq(m.lanes[m.n_lanes - 1].name, "flash se7");
    view_model_cleanup(&m);
}
END_TEST

START_TEST(byte_spans)
{
    view_model_t m;
    view_model_init(&m, 3, true);
    byte(&m, SIM_US(10), SIM_US(13), "contact", TRACE_DIR_CMD, 0x00);
    byte(&m, SIM_US(20), SIM_US(23), "contact", TRACE_DIR_RSP, 0x90);
    sig(&m, SIM_US(30), "contact.route", 2);
    ck_assert_uint_eq(m.route, 2);
    byte(&m, SIM_US(40), SIM_US(43), "contact", TRACE_DIR_RSP, 0x61);
    byte(&m, SIM_US(50), SIM_US(52), "mcu-se1", TRACE_DIR_CMD, 0xA5);
    byte(&m, SIM_NS(60), SIM_NS(62), "spi", TRACE_DIR_CMD, 0x01);
    byte(&m, SIM_NS(60), SIM_NS(62), "spi", TRACE_DIR_RSP, 0x03);
    /* not ours: an SE the card does not have, a path nobody draws */
    byte(&m, SIM_US(70), SIM_US(72), "mcu-se3", TRACE_DIR_CMD, 0x00);
    byte(&m, SIM_US(70), SIM_US(72), "mcu-se1x", TRACE_DIR_CMD, 0x00);
    byte(&m, SIM_US(70), SIM_US(72), "uart", TRACE_DIR_CMD, 0x00);
    byte(&m, SIM_US(70), SIM_US(72), NULL, TRACE_DIR_CMD, 0x00);
    ck_assert_uint_eq(m.records, 11);
    ck_assert_uint_eq(m.now, SIM_US(72));

    view_lane_t *c = view_model_lane(&m, "contact");
    ck_assert_uint_eq(c->count, 3);
    ck_assert_uint_eq(c->total, 3);
    const view_span_t *s = view_lane_span(c, 0);
    ck_assert_uint_eq(s->start, SIM_US(10));
    ck_assert_uint_eq(s->end, SIM_US(13));
    ck_assert_uint_eq(s->kind, VIEW_SPAN_BYTE);
    ck_assert_uint_eq(s->to_card, 1);
    ck_assert_uint_eq(s->se, 0);
    ck_assert_uint_eq(s->byte, 0x00);
    ck_assert_uint_eq(s->len, 1);
    ck_assert_uint_eq(s->apdu, 0);
    s = view_lane_span(c, 1);
    ck_assert_uint_eq(s->to_card, 0);
    ck_assert_uint_eq(s->byte, 0x90);
    ck_assert_uint_eq(s->se, 0);
    s = view_lane_span(c, 2);
    ck_assert_uint_eq(s->start, SIM_US(40));
    ck_assert_uint_eq(s->se, 2); /* routed to SE2 when it ran */
    ck_assert_uint_eq(s->byte, 0x61);
    ck_assert_ptr_null(view_lane_span(c, 3));

    view_lane_t *p = view_model_lane(&m, "mcu-se1");
    ck_assert_uint_eq(p->count, 1);
    s = view_lane_span(p, 0);
    ck_assert_uint_eq(s->start, SIM_US(50));
    ck_assert_uint_eq(s->end, SIM_US(52));
    ck_assert_uint_eq(s->se, 1);
    ck_assert_uint_eq(s->byte, 0xA5);
    ck_assert_uint_eq(s->to_card, 1);
    ck_assert_uint_eq(view_model_lane(&m, "mcu-se0")->count, 0);
    ck_assert_uint_eq(view_model_lane(&m, "mcu-se2")->count, 0);

    view_lane_t *spi = view_model_lane(&m, "spi");
    ck_assert_uint_eq(spi->count, 2);
    ck_assert_uint_eq(view_lane_span(spi, 0)->to_card, 1);
    ck_assert_uint_eq(view_lane_span(spi, 0)->byte, 0x01);
    ck_assert_uint_eq(view_lane_span(spi, 1)->to_card, 0);
    ck_assert_uint_eq(view_lane_span(spi, 1)->byte, 0x03);
    ck_assert_uint_eq(view_lane_span(spi, 1)->start, SIM_NS(60));
    ck_assert_uint_eq(view_lane_span(spi, 1)->end, SIM_NS(62));
    view_model_cleanup(&m);
}
END_TEST

START_TEST(frame_spans)
{
    static const uint8_t reqa[] = { 0x26 };
    static const uint8_t atqa[] = { 0x04, 0x00 };
    static const uint8_t ble_m[] = { 0xD6, 0xBE, 0x89, 0x8E, 0x01, 0x00 };
    static const uint8_t ble_s[] = { 0x11, 0x22, 0x33, 0x44, 0x05, 0x00,
                                     0x00 };
    static const uint8_t spi_f[] = { 0x01, 0x00, 0x00, 0x00 };
    static const uint8_t t1[] = { 0x00, 0xC1, 0x01, 0xFE, 0x3E };
    view_model_t m;
    view_model_init(&m, 2, true);
    frame(&m, 100, 100, "nfc", TRACE_PROTO_NFC_A, TRACE_NFC_EV_FIELD_ON, 0,
          TRACE_DIR_NONE, NULL, 0);
    ck_assert(m.field);
    frame(&m, SIM_US(10), SIM_US(12), "nfc", TRACE_PROTO_NFC_A,
          TRACE_NFC_EV_PCD_TO_PICC, 0, TRACE_DIR_CMD, reqa, 1);
    frame(&m, SIM_US(20), SIM_US(25), "nfc", TRACE_PROTO_NFC_A,
          TRACE_NFC_EV_PICC_TO_PCD, 0, TRACE_DIR_RSP, atqa, 2);
    /* event not set: the direction says */
    frame(&m, SIM_US(30), SIM_US(35), "nfc", TRACE_PROTO_NFC_A, 0, 0,
          TRACE_DIR_RSP, atqa, 2);
    frame(&m, SIM_US(40), SIM_US(40), "nfc", TRACE_PROTO_NFC_A,
          TRACE_NFC_EV_FIELD_OFF, 0, TRACE_DIR_NONE, NULL, 0);
    ck_assert(!m.field);
    frame(&m, SIM_US(50), SIM_US(98), "ble", TRACE_PROTO_BLE_LL, 0, 2,
          TRACE_DIR_CMD, ble_m, sizeof ble_m);
    frame(&m, SIM_US(150), SIM_US(206), "ble", TRACE_PROTO_BLE_LL, 0, 3,
          TRACE_DIR_RSP, ble_s, sizeof ble_s);
    frame(&m, SIM_US(300), SIM_US(348), "ble", TRACE_PROTO_BLE_LL, 0, 2,
          TRACE_DIR_NONE, ble_m, sizeof ble_m);
    frame(&m, SIM_US(400), SIM_US(456), "ble", TRACE_PROTO_BLE_LL, 0, 3,
          TRACE_DIR_NONE, ble_s, sizeof ble_s);
    frame(&m, SIM_US(500), SIM_US(510), "spi", TRACE_PROTO_SPI, 0, 0,
          TRACE_DIR_CMD, spi_f, sizeof spi_f);
    /* T=1 blocks: their bytes are drawn, not the blocks */
    frame(&m, SIM_US(600), SIM_US(700), "contact", TRACE_PROTO_T1, 0, 0,
          TRACE_DIR_CMD, t1, sizeof t1);
    frame(&m, SIM_US(600), SIM_US(700), "mcu-se1", TRACE_PROTO_T1, 0, 0,
          TRACE_DIR_CMD, t1, sizeof t1);

    view_lane_t *nfc = view_model_lane(&m, "nfc");
    ck_assert_uint_eq(nfc->count, 3);
    const view_span_t *s = view_lane_span(nfc, 0);
    ck_assert_uint_eq(s->start, SIM_US(10));
    ck_assert_uint_eq(s->end, SIM_US(12));
    ck_assert_uint_eq(s->kind, VIEW_SPAN_FRAME);
    ck_assert_uint_eq(s->to_card, 1);
    ck_assert_uint_eq(s->byte, 0x26);
    ck_assert_uint_eq(s->len, 1);
    s = view_lane_span(nfc, 1);
    ck_assert_uint_eq(s->to_card, 0);
    ck_assert_uint_eq(s->byte, 0x04);
    ck_assert_uint_eq(s->len, 2);
    ck_assert_uint_eq(view_lane_span(nfc, 2)->to_card, 0);
    ck_assert_uint_eq(view_lane_span(nfc, 2)->start, SIM_US(30));

    view_lane_t *ble = view_model_lane(&m, "ble");
    ck_assert_uint_eq(ble->count, 4);
    static const uint8_t ble_dir[] = { 1, 0, 1, 0 };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(view_lane_span(ble, i)->to_card, ble_dir[i]);
        ck_assert_uint_eq(view_lane_span(ble, i)->kind, VIEW_SPAN_FRAME);
    }
    ck_assert_uint_eq(view_lane_span(ble, 1)->start, SIM_US(150));
    ck_assert_uint_eq(view_lane_span(ble, 1)->end, SIM_US(206));
    ck_assert_uint_eq(view_lane_span(ble, 1)->len, 7);
    ck_assert_uint_eq(view_lane_span(ble, 1)->byte, 0x11);

    view_lane_t *spi = view_model_lane(&m, "spi");
    ck_assert_uint_eq(spi->count, 1);
    ck_assert_uint_eq(view_lane_span(spi, 0)->kind, VIEW_SPAN_FRAME);
    ck_assert_uint_eq(view_lane_span(spi, 0)->len, 4);
    ck_assert_uint_eq(view_lane_span(spi, 0)->to_card, 1);
    ck_assert_uint_eq(view_model_lane(&m, "contact")->total, 0);
    ck_assert_uint_eq(view_model_lane(&m, "mcu-se1")->total, 0);
    view_model_cleanup(&m);
}
END_TEST

START_TEST(span_ring_wraps)
{
    view_model_t m;
    view_model_init(&m, 1, true);
    const size_t n = VIEW_SPANS + 10;
    for (size_t i = 0; i < n; i++)
        byte(&m, SIM_US(i), SIM_US(i) + 500, "mcu-se0", TRACE_DIR_RSP,
             (uint8_t)i);
    view_lane_t *l = view_model_lane(&m, "mcu-se0");
    ck_assert_uint_eq(l->count, VIEW_SPANS);
    ck_assert_uint_eq(l->total, n);
    ck_assert_uint_eq(l->head, 10);
    const view_span_t *s = view_lane_span(l, 0);
    ck_assert_uint_eq(s->start, SIM_US(10)); /* the 10 first are gone */
    ck_assert_uint_eq(s->byte, 10);
    s = view_lane_span(l, VIEW_SPANS - 1);
    ck_assert_uint_eq(s->start, SIM_US(n - 1));
    ck_assert_uint_eq(s->end, SIM_US(n - 1) + 500);
    ck_assert_uint_eq(s->byte, (uint8_t)(n - 1));
    for (size_t i = 1; i < VIEW_SPANS; i++)
        ck_assert_uint_eq(view_lane_span(l, i)->start,
                          view_lane_span(l, i - 1)->start + SIM_US(1));
    ck_assert_ptr_null(view_lane_span(l, VIEW_SPANS));
    view_model_cleanup(&m);
}
END_TEST

/* ---- SEs ---- */

START_TEST(se_states_from_mcu_port)
{
    view_model_t m;
    view_model_init(&m, 3, true);
    sig(&m, 100, "mcu-se1.VCC", 1);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_POWERED);
    ck_assert(m.se[1].vcc_mcu);
    ck_assert(!m.se[1].vcc_pads);
    ck_assert_int_eq(m.se[0].state, VIEW_SE_OFF);
    /* RST and CLK change nothing */
    sig(&m, 200, "mcu-se1.RST", 1);
    sig(&m, 200, "mcu-se1.CLK", 4000000);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_POWERED);
    feed(&m, TRACE_ATR, 300, 400, "mcu.iso1", "MCU>SE1", TRACE_DIR_RSP,
         loader_atr, sizeof loader_atr);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_LOADER);
    ck_assert_uint_eq(m.se[1].version, 1);
    feed(&m, TRACE_ATR, 500, 600, "mcu.iso1", "MCU>SE1", TRACE_DIR_RSP,
         cos2_atr, sizeof cos2_atr);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_COS);
    ck_assert_uint_eq(m.se[1].version, 2);
    feed(&m, TRACE_ATR, 700, 800, "mcu.iso1", "MCU>SE1", TRACE_DIR_RSP,
         cos7_t0_atr, sizeof cos7_t0_atr);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_COS);
    ck_assert_uint_eq(m.se[1].version, 7);
    feed(&m, TRACE_ATR, 700, 800, "mcu.iso1", "MCU>SE1", TRACE_DIR_RSP,
         other_atr, sizeof other_atr);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_UNKNOWN);
    ck_assert_uint_eq(m.se[1].version, 0);
    feed(&m, TRACE_ATR, 900, 1000, "mcu.iso1", "MCU>SE1", TRACE_DIR_RSP,
         loader_atr, sizeof loader_atr);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_LOADER);
    feed(&m, TRACE_ATR, 900, 1000, "mcu.iso1", "MCU>SE1", TRACE_DIR_RSP,
         short_atr, sizeof short_atr);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_UNKNOWN);
    /* an ATR of an SE the card does not have */
    feed(&m, TRACE_ATR, 900, 1000, "mcu.iso1", "MCU>SE3", TRACE_DIR_RSP,
         loader_atr, sizeof loader_atr);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_int_ne(m.se[i].state, VIEW_SE_LOADER);
    feed(&m, TRACE_ATR, 1100, 1200, "mcu.iso2", "MCU>SE2", TRACE_DIR_RSP,
         cos2_atr, sizeof cos2_atr);
    ck_assert_int_eq(m.se[2].state, VIEW_SE_COS);
    sig(&m, 1300, "mcu-se1.VCC", 0);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_OFF);
    ck_assert_uint_eq(m.se[1].version, 0);
    ck_assert(!m.se[1].vcc_mcu);
    sig(&m, 1400, "mcu-se1.VCC", 1);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_POWERED);
    view_model_cleanup(&m);
}
END_TEST

START_TEST(se_states_from_pads)
{
    view_model_t m;
    view_model_init(&m, 2, true);
    ck_assert_uint_eq(m.route, 0);
    /* SE0 runs on the MCU; the reader takes it (demo.json's order) */
    sig(&m, 100, "mcu-se0.VCC", 1);
    feed(&m, TRACE_ATR, 200, 300, "mcu.iso0", "MCU>SE0", TRACE_DIR_RSP,
         loader_atr, sizeof loader_atr);
    sig(&m, 400, "contact.VCC", 1);
    ck_assert(m.contact_vcc);
    ck_assert(m.se[0].vcc_pads);
    ck_assert(!m.se[1].vcc_pads);
    ck_assert_int_eq(m.se[0].state, VIEW_SE_LOADER); /* until its ATR */
    sig(&m, 400, "contact.SE0", 1);
    ck_assert(m.se[0].pads_own);
    sig(&m, 500, "mcu-se0.VCC", 0);
    ck_assert_int_eq(m.se[0].state, VIEW_SE_LOADER);
    feed(&m, TRACE_ATR, 600, 700, "reader", "CONTACT>SE0", TRACE_DIR_RSP,
         cos2_atr, sizeof cos2_atr);
    ck_assert_int_eq(m.se[0].state, VIEW_SE_COS);
    ck_assert_uint_eq(m.se[0].version, 2);
    /* the route moves to SE1: SE0 loses the pads' VCC */
    sig(&m, 800, "contact.SE0", 0);
    sig(&m, 800, "contact.route", 1);
    ck_assert_uint_eq(m.route, 1);
    ck_assert(!m.se[0].pads_own);
    ck_assert(!m.se[0].vcc_pads);
    ck_assert_int_eq(m.se[0].state, VIEW_SE_OFF);
    ck_assert(m.se[1].vcc_pads);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_POWERED);
    sig(&m, 800, "contact.SE1", 1);
    ck_assert(m.se[1].pads_own);
    /* a route the card does not have is ignored */
    sig(&m, 850, "contact.route", 2);
    ck_assert_uint_eq(m.route, 1);
    /* the reader powers off: the pads give SE1 back to its MCU port */
    sig(&m, 900, "contact.VCC", 0);
    sig(&m, 900, "contact.SE1", 0);
    ck_assert(!m.contact_vcc);
    ck_assert(!m.se[1].pads_own);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_OFF);
    /* a status pin alone says where the pads route */
    sig(&m, 1000, "contact.VCC", 1);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_POWERED);
    sig(&m, 1000, "contact.SE0", 1);
    ck_assert_uint_eq(m.route, 0);
    ck_assert(m.se[0].pads_own);
    ck_assert(m.se[0].vcc_pads);
    ck_assert_int_eq(m.se[0].state, VIEW_SE_POWERED);
    ck_assert_int_eq(m.se[1].state, VIEW_SE_OFF);
    view_model_cleanup(&m);
}
END_TEST

START_TEST(flash_ops)
{
    view_model_t m;
    view_model_init(&m, 3, true);
    flash(&m, SIM_US(100), SIM_US(2100), "se1.flash", TRACE_FLASH_ERASE,
          0x10004000, 1024, 0);
    ck_assert_uint_eq(m.se[1].busy_until, SIM_US(2100));
    ck_assert_uint_eq(m.se[1].erases, 1);
    flash(&m, SIM_US(2200), SIM_US(2230), "se1.flash", TRACE_FLASH_PROGRAM,
          0x10004000, 4, 0);
    flash(&m, SIM_US(2300), SIM_US(2330), "se1.flash", TRACE_FLASH_PROGRAM,
          0x10004004, 4, 0);
    ck_assert_uint_eq(m.se[1].image_bytes, 8);
    ck_assert_uint_eq(m.se[1].busy_until, SIM_US(2330));
    /* below the image area: not update progress */
    flash(&m, SIM_US(2400), SIM_US(2430), "se1.flash", TRACE_FLASH_PROGRAM,
          0x10000800, 4, 0);
    /* cut by a power loss: not counted either */
    flash(&m, SIM_US(2500), SIM_US(2510), "se1.flash", TRACE_FLASH_PROGRAM,
          0x10004008, 4, 1);
    ck_assert_uint_eq(m.se[1].image_bytes, 8);
    ck_assert_uint_eq(m.se[1].programs, 4);
    ck_assert_uint_eq(m.se[1].busy_until, SIM_US(2510));
    /* the rest of the image area: no restart */
    flash(&m, SIM_US(2600), SIM_US(4600), "se1.flash", TRACE_FLASH_ERASE,
          0x10004400, 1024, 0);
    ck_assert_uint_eq(m.se[1].image_bytes, 8);
    /* a new image starts */
    flash(&m, SIM_US(5000), SIM_US(7000), "se1.flash", TRACE_FLASH_ERASE,
          0x10004000, 1024, 0);
    ck_assert_uint_eq(m.se[1].image_bytes, 0);
    ck_assert_uint_eq(m.se[1].erases, 3);
    /* not a flash of ours */
    flash(&m, SIM_US(8000), SIM_US(9000), "se3.flash", TRACE_FLASH_ERASE,
          0x10004000, 1024, 0);
    flash(&m, SIM_US(8000), SIM_US(9000), "se1", TRACE_FLASH_ERASE,
          0x10004000, 1024, 0);
    flash(&m, SIM_US(8000), SIM_US(9000), "se1.flashx", TRACE_FLASH_ERASE,
          0x10004000, 1024, 0);
    flash(&m, SIM_US(8000), SIM_US(9000), NULL, TRACE_FLASH_ERASE,
          0x10004000, 1024, 0);
    ck_assert_uint_eq(m.se[1].erases, 3);
    ck_assert_uint_eq(m.se[1].busy_until, SIM_US(7000));
    ck_assert_uint_eq(m.se[0].erases + m.se[2].erases, 0);

    view_lane_t *l = view_model_lane(&m, "flash se1");
    ck_assert_uint_eq(l->count, 7);
    const view_span_t *s = view_lane_span(l, 0);
    ck_assert_uint_eq(s->kind, VIEW_SPAN_ERASE);
    ck_assert_uint_eq(s->start, SIM_US(100));
    ck_assert_uint_eq(s->end, SIM_US(2100));
    ck_assert_uint_eq(s->len, 1024);
    ck_assert_uint_eq(s->se, 1);
    s = view_lane_span(l, 1);
    ck_assert_uint_eq(s->kind, VIEW_SPAN_PROGRAM);
    ck_assert_uint_eq(s->len, 4);
    ck_assert_uint_eq(view_model_lane(&m, "flash se0")->total, 0);
    ck_assert_uint_eq(view_model_lane(&m, "flash se2")->total, 0);
    view_model_cleanup(&m);
}
END_TEST

START_TEST(mode_and_route_text)
{
    view_model_t m;
    view_model_init(&m, 3, true);
    mode(&m, 100, "mode", "contact", NULL);
    ck_assert_str_eq(m.mode, "contact");
    mode(&m, 200, "mode", "nfc", NULL);
    ck_assert_str_eq(m.mode, "nfc");
    ck_assert_str_eq(m.route_text, "");
    mode(&m, 300, "route", "nfc", "nfc>se1 session");
    ck_assert_str_eq(m.route_text, "nfc>se1 session");
    ck_assert_str_eq(m.mode, "nfc");
    mode(&m, 400, "route", "nfc", "nfc>se1 closed");
    ck_assert_str_eq(m.route_text, "nfc>se1 closed");
    mode(&m, 500, "mode", "none", NULL);
    ck_assert_str_eq(m.mode, "none");
    ck_assert_str_eq(m.route_text, "nfc>se1 closed");
    mode(&m, 600, "route", "none", NULL);
    ck_assert_str_eq(m.route_text, "");
    ck_assert_uint_eq(m.records, 6);
    ck_assert_uint_eq(m.now, 600);
    view_model_cleanup(&m);
}
END_TEST

/* ---- APDUs ---- */

START_TEST(apdu_list)
{
    static const uint8_t load[] = { 0x80, 0xE8, 0x00, 0x0C, 0x03, 0xAA,
                                    0xBB, 0xCC, 0xDD, 0xEE };
    static const uint8_t rsp[] = { 0x01, 0x02, 0x03, 0x61, 0x10 };
    view_model_t m;
    view_model_init(&m, 3, true);
    apdu(&m, SIM_US(10), SIM_US(20), "NFC>MCU", TRACE_DIR_CMD, load,
         sizeof load);
    apdu(&m, SIM_US(30), SIM_US(40), "MCU>SE1", TRACE_DIR_CMD, load,
         sizeof load);
    /* a response with no command on its path */
    apdu(&m, SIM_US(45), SIM_US(46), "BLE>MCU", TRACE_DIR_RSP, ok, 2);
    ck_assert_uint_eq(m.apdu_count, 2);
    ck_assert_uint_eq(m.next_apdu_id, 3);
    const view_apdu_t *a = view_model_apdu(&m, 0);
    ck_assert_uint_eq(a->id, 1);
    ck_assert_str_eq(a->path, "NFC>MCU");
    ck_assert_str_eq(a->name, "LOAD 12");
    ck_assert_mem_eq(a->cmd, load, 8);
    ck_assert_uint_eq(a->cmd_len, 10);
    ck_assert_uint_eq(a->start, SIM_US(10));
    ck_assert_uint_eq(a->cmd_end, SIM_US(20));
    ck_assert(!a->answered);
    ck_assert_uint_eq(a->end, 0);
    apdu(&m, SIM_US(50), SIM_US(60), "MCU>SE1", TRACE_DIR_RSP, rsp,
         sizeof rsp);
    a = view_model_apdu(&m, 1);
    ck_assert_uint_eq(a->id, 2);
    ck_assert(a->answered);
    ck_assert_uint_eq(a->end, SIM_US(60));
    ck_assert_uint_eq(a->sw, 0x6110);
    ck_assert_uint_eq(a->rsp_len, 3);
    ck_assert(!view_model_apdu(&m, 0)->answered);
    apdu(&m, SIM_US(70), SIM_US(80), "NFC>MCU", TRACE_DIR_RSP, ok, 2);
    a = view_model_apdu_by_id(&m, 1);
    ck_assert_ptr_eq(a, view_model_apdu(&m, 0));
    ck_assert(a->answered);
    ck_assert_uint_eq(a->end, SIM_US(80));
    ck_assert_uint_eq(a->sw, 0x9000);
    ck_assert_uint_eq(a->rsp_len, 0);
    /* a second response on a path: nothing open, nothing changes */
    apdu(&m, SIM_US(90), SIM_US(95), "NFC>MCU", TRACE_DIR_RSP, rsp,
         sizeof rsp);
    ck_assert_uint_eq(view_model_apdu(&m, 0)->sw, 0x9000);
    ck_assert_uint_eq(view_model_apdu(&m, 0)->end, SIM_US(80));
    /* a command left unanswered, then another on the same path: the
     * response completes the newest */
    apdu(&m, SIM_US(100), SIM_US(110), "CONTACT>SE0", TRACE_DIR_CMD,
         sel_cm, sizeof sel_cm);
    apdu(&m, SIM_US(200), SIM_US(210), "CONTACT>SE0", TRACE_DIR_CMD,
         sel_cm, 4);
    apdu(&m, SIM_US(220), SIM_US(230), "CONTACT>SE0", TRACE_DIR_RSP, ok,
         2);
    ck_assert(!view_model_apdu_by_id(&m, 3)->answered);
    ck_assert(view_model_apdu_by_id(&m, 4)->answered);
    ck_assert_str_eq(view_model_apdu_by_id(&m, 4)->name, "SELECT");
    ck_assert_uint_eq(view_model_apdu_by_id(&m, 4)->cmd_len, 4);
    ck_assert_uint_eq(view_model_apdu_by_id(&m, 3)->cmd_len, 15);
    ck_assert_ptr_null(view_model_apdu_by_id(&m, 0));
    ck_assert_ptr_null(view_model_apdu_by_id(&m, 5));
    ck_assert_ptr_null(view_model_apdu(&m, 4));
    view_model_cleanup(&m);
}
END_TEST

START_TEST(apdu_ring_wraps)
{
    view_model_t m;
    view_model_init(&m, 2, true);
    const unsigned n = VIEW_APDUS + 6;
    for (unsigned i = 0; i < n; i++) {
        uint8_t cmd[5] = { 0x80, 0xE8, 0x00, (uint8_t)i, 0x00 };
        apdu(&m, SIM_US(10 * i), SIM_US(10 * i + 5), "MCU>SE0",
             TRACE_DIR_CMD, cmd, sizeof cmd);
        apdu(&m, SIM_US(10 * i + 6), SIM_US(10 * i + 8), "MCU>SE0",
             TRACE_DIR_RSP, ok, 2);
    }
    ck_assert_uint_eq(m.apdu_count, VIEW_APDUS);
    ck_assert_uint_eq(m.next_apdu_id, n + 1);
    const view_apdu_t *a = view_model_apdu(&m, 0);
    ck_assert_uint_eq(a->id, 7);
    ck_assert_str_eq(a->name, "LOAD 6");
    ck_assert_uint_eq(a->start, SIM_US(60));
    a = view_model_apdu(&m, VIEW_APDUS - 1);
    ck_assert_uint_eq(a->id, n);
    ck_assert_str_eq(a->name, "LOAD 69");
    ck_assert(a->answered);
    ck_assert_uint_eq(a->end, SIM_US(10 * (n - 1) + 8));
    ck_assert_ptr_null(view_model_apdu_by_id(&m, 6));
    ck_assert_ptr_eq(view_model_apdu_by_id(&m, 7), view_model_apdu(&m, 0));
    ck_assert_ptr_eq(view_model_apdu_by_id(&m, 40),
                     view_model_apdu(&m, 33));
    ck_assert_ptr_null(view_model_apdu_by_id(&m, n + 1));
    view_model_cleanup(&m);
}
END_TEST

/* Spans get the id of the APDU in flight on their lanes. */
START_TEST(span_apdu_ids_contact)
{
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00 };
    view_model_t m;
    view_model_init(&m, 2, true);
    /* the ATR: no APDU */
    byte(&m, SIM_US(1), SIM_US(2), "contact", TRACE_DIR_RSP, 0x3B);
    /* the command's bytes, then its APDU record at the last one's end */
    byte(&m, SIM_US(10), SIM_US(11), "contact", TRACE_DIR_CMD, 0x00);
    byte(&m, SIM_US(11), SIM_US(12), "contact", TRACE_DIR_CMD, 0x00);
    byte(&m, SIM_US(12), SIM_US(13), "contact", TRACE_DIR_CMD, 0x04);
    apdu(&m, SIM_US(10), SIM_US(13), "CONTACT>SE0", TRACE_DIR_CMD, status,
         sizeof status);
    /* a flash operation of SE0 while it runs */
    flash(&m, SIM_US(14), SIM_US(15), "se0.flash", TRACE_FLASH_PROGRAM,
          0x10004000, 4, 0);
    /* ... but not SE1's */
    flash(&m, SIM_US(14), SIM_US(15), "se1.flash", TRACE_FLASH_PROGRAM,
          0x10004000, 4, 0);
    byte(&m, SIM_US(20), SIM_US(21), "contact", TRACE_DIR_RSP, 0x00);
    byte(&m, SIM_US(21), SIM_US(22), "contact", TRACE_DIR_RSP, 0x90);
    /* the response record comes before its last byte (same time) */
    apdu(&m, SIM_US(21), SIM_US(23), "CONTACT>SE0", TRACE_DIR_RSP, ok, 2);
    byte(&m, SIM_US(22), SIM_US(23), "contact", TRACE_DIR_RSP, 0x00);
    /* after it: none */
    byte(&m, SIM_US(30), SIM_US(31), "contact", TRACE_DIR_CMD, 0x00);
    flash(&m, SIM_US(30), SIM_US(31), "se0.flash", TRACE_FLASH_PROGRAM,
          0x10004004, 4, 0);

    static const uint32_t want[] = { 0, 1, 1, 1, 1, 1, 1, 0 };
    view_lane_t *c = view_model_lane(&m, "contact");
    ck_assert_uint_eq(c->count, 8);
    for (size_t i = 0; i < 8; i++)
        ck_assert_msg(view_lane_span(c, i)->apdu == want[i],
                      "span %zu: apdu %u, want %u", i,
                      view_lane_span(c, i)->apdu, want[i]);
    view_lane_t *f0 = view_model_lane(&m, "flash se0");
    ck_assert_uint_eq(view_lane_span(f0, 0)->apdu, 1);
    ck_assert_uint_eq(view_lane_span(f0, 1)->apdu, 0);
    ck_assert_uint_eq(view_lane_span(view_model_lane(&m, "flash se1"), 0)
                          ->apdu, 0);
    /* the next command gets the next id */
    byte(&m, SIM_US(40), SIM_US(41), "contact", TRACE_DIR_CMD, 0x00);
    apdu(&m, SIM_US(40), SIM_US(41), "CONTACT>SE0", TRACE_DIR_CMD, status,
         sizeof status);
    ck_assert_uint_eq(view_lane_span(c, 8)->apdu, 2);
    ck_assert_uint_eq(view_lane_span(c, 7)->apdu, 0);
    view_model_cleanup(&m);
}
END_TEST

/* An NFC APDU the MCU forwards to SE1: four records, two ids. */
START_TEST(span_apdu_ids_nested)
{
    static const uint8_t iblk[] = { 0x02, 0x00, 0xA4 };
    view_model_t m;
    view_model_init(&m, 2, true);
    frame(&m, SIM_US(1), SIM_US(2), "nfc", TRACE_PROTO_NFC_A,
          TRACE_NFC_EV_PCD_TO_PICC, 0, TRACE_DIR_CMD, iblk, 3);
    byte(&m, SIM_US(3), SIM_US(4), "spi", TRACE_DIR_CMD, 0x01);
    frame(&m, SIM_US(10), SIM_US(20), "nfc", TRACE_PROTO_NFC_A,
          TRACE_NFC_EV_PCD_TO_PICC, 0, TRACE_DIR_CMD, iblk, 3);
    apdu(&m, SIM_US(10), SIM_US(20), "NFC>MCU", TRACE_DIR_CMD, sel_cm,
         sizeof sel_cm);
    byte(&m, SIM_US(21), SIM_US(22), "spi", TRACE_DIR_CMD, 0x01);
    byte(&m, SIM_US(21), SIM_US(22), "spi", TRACE_DIR_RSP, 0x0F);
    byte(&m, SIM_US(30), SIM_US(31), "mcu-se1", TRACE_DIR_CMD, 0x00);
    byte(&m, SIM_US(31), SIM_US(32), "mcu-se1", TRACE_DIR_CMD, 0xA4);
    apdu(&m, SIM_US(30), SIM_US(32), "MCU>SE1", TRACE_DIR_CMD, sel_cm,
         sizeof sel_cm);
    flash(&m, SIM_US(33), SIM_US(34), "se1.flash", TRACE_FLASH_PROGRAM,
          0x10001000, 4, 0);
    byte(&m, SIM_US(40), SIM_US(41), "mcu-se1", TRACE_DIR_RSP, 0x90);
    byte(&m, SIM_US(41), SIM_US(42), "mcu-se1", TRACE_DIR_RSP, 0x00);
    apdu(&m, SIM_US(40), SIM_US(42), "MCU>SE1", TRACE_DIR_RSP, ok, 2);
    byte(&m, SIM_US(50), SIM_US(51), "spi", TRACE_DIR_CMD, 0x02);
    frame(&m, SIM_US(60), SIM_US(65), "nfc", TRACE_PROTO_NFC_A,
          TRACE_NFC_EV_PICC_TO_PCD, 0, TRACE_DIR_RSP, iblk, 3);
    apdu(&m, SIM_US(60), SIM_US(65), "NFC>MCU", TRACE_DIR_RSP, ok, 2);
    frame(&m, SIM_US(70), SIM_US(75), "nfc", TRACE_PROTO_NFC_A,
          TRACE_NFC_EV_PCD_TO_PICC, 0, TRACE_DIR_CMD, iblk, 3);
    byte(&m, SIM_US(80), SIM_US(81), "mcu-se1", TRACE_DIR_RSP, 0x00);

    view_lane_t *nfc = view_model_lane(&m, "nfc");
    static const uint32_t want_nfc[] = { 0, 1, 1, 0 };
    ck_assert_uint_eq(nfc->count, 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(view_lane_span(nfc, i)->apdu, want_nfc[i]);
    view_lane_t *spi = view_model_lane(&m, "spi");
    static const uint32_t want_spi[] = { 0, 1, 1, 1 };
    ck_assert_uint_eq(spi->count, 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(view_lane_span(spi, i)->apdu, want_spi[i]);
    view_lane_t *p = view_model_lane(&m, "mcu-se1");
    static const uint32_t want_p[] = { 2, 2, 2, 2, 0 };
    ck_assert_uint_eq(p->count, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_uint_eq(view_lane_span(p, i)->apdu, want_p[i]);
    ck_assert_uint_eq(view_lane_span(view_model_lane(&m, "flash se1"), 0)
                          ->apdu, 2);
    ck_assert_str_eq(view_model_apdu_by_id(&m, 1)->path, "NFC>MCU");
    ck_assert_str_eq(view_model_apdu_by_id(&m, 2)->path, "MCU>SE1");
    ck_assert(view_model_apdu_by_id(&m, 1)->answered);
    ck_assert(view_model_apdu_by_id(&m, 2)->answered);
    view_model_cleanup(&m);
}
END_TEST

START_TEST(span_apdu_ids_ble)
{
    static const uint8_t pkt[] = { 0x11, 0x22, 0x33, 0x44, 0x02, 0x00 };
    view_model_t m;
    view_model_init(&m, 3, true);
    frame(&m, SIM_US(10), SIM_US(20), "ble", TRACE_PROTO_BLE_LL, 0, 2,
          TRACE_DIR_CMD, pkt, sizeof pkt);
    apdu(&m, SIM_US(10), SIM_US(20), "BLE>MCU", TRACE_DIR_CMD, sel_cm,
         sizeof sel_cm);
    frame(&m, SIM_US(30), SIM_US(40), "ble", TRACE_PROTO_BLE_LL, 0, 3,
          TRACE_DIR_RSP, pkt, sizeof pkt);
    apdu(&m, SIM_US(30), SIM_US(40), "BLE>MCU", TRACE_DIR_RSP, ok, 2);
    frame(&m, SIM_US(50), SIM_US(60), "ble", TRACE_PROTO_BLE_LL, 0, 2,
          TRACE_DIR_CMD, pkt, sizeof pkt);
    view_lane_t *l = view_model_lane(&m, "ble");
    ck_assert_uint_eq(view_lane_span(l, 0)->apdu, 1);
    ck_assert_uint_eq(view_lane_span(l, 1)->apdu, 1);
    ck_assert_uint_eq(view_lane_span(l, 2)->apdu, 0);
    /* other lanes untouched */
    ck_assert_uint_eq(view_model_lane(&m, "nfc")->total, 0);
    view_model_cleanup(&m);
}
END_TEST

/* ---- names ---- */

static const char *name_of(const uint8_t *cmd, size_t len)
{
    static char buf[24];
    view_apdu_name(cmd, len, buf, sizeof buf);
    return buf;
}

START_TEST(apdu_names)
{
    static const struct {
        uint8_t cmd[4];
        size_t len;
        const char *name;
    } t[] = {
        { { 0x00, 0xA4, 0x04, 0x00 }, 4, "SELECT" },
        { { 0x80, 0xCA, 0x00, 0x01 }, 4, "GET DATA" },
        { { 0x00, 0xB0, 0x00, 0x10 }, 4, "READ BINARY" },
        { { 0x00, 0xD6, 0x00, 0x10 }, 4, "UPDATE BINARY" },
        { { 0x00, 0x20, 0x00, 0x01 }, 4, "VERIFY" },
        { { 0x80, 0x30, 0x00, 0x00 }, 4, "CREDIT" },
        { { 0x80, 0x32, 0x00, 0x00 }, 4, "DEBIT" },
        { { 0x80, 0x34, 0x00, 0x00 }, 4, "BALANCE" },
        { { 0x00, 0x84, 0x00, 0x00 }, 4, "GET CHALLENGE" },
        { { 0x80, 0xE6, 0x02, 0x00 }, 4, "BEGIN" },
        { { 0x80, 0xE8, 0x00, 0x0C }, 4, "LOAD 12" },
        { { 0x80, 0xE8, 0x80, 0x4F }, 4, "LOAD 79" },
        { { 0x80, 0xF2, 0x00, 0x00 }, 4, "STATUS" },
        { { 0x80, 0xEC, 0x00, 0x00 }, 4, "COMMIT" },
        { { 0x80, 0xE4, 0x00, 0x00 }, 4, "INVALIDATE" },
        { { 0x80, 0x10, 0x00, 0x00 }, 4, "LIST" },
        { { 0x80, 0x12, 0x01, 0x00 }, 4, "OPEN SE1" },
        { { 0x80, 0x14, 0x02, 0x00 }, 4, "RESET SE2" },
        { { 0x80, 0x16, 0x00, 0x00 }, 4, "CLOSE" },
        { { 0x00, 0xC0, 0x00, 0x00 }, 4, "GET RESPONSE" },
        { { 0x00, 0xB2, 0x01, 0x0C }, 4, "READ RECORD" },
        /* the card manager's INS only with its CLA */
        { { 0x00, 0x12, 0x01, 0x00 }, 4, "00 12" },
        { { 0x80, 0x50, 0x00, 0x00 }, 4, "80 50" },
        { { 0x84, 0xFE, 0x00, 0x00 }, 2, "84 FE" },
        { { 0x80, 0x12 }, 2, "OPEN SE0" },
        { { 0x80, 0xE8, 0x00 }, 3, "LOAD 0" },
        { { 0x6F }, 1, "6F" },
        { { 0 }, 0, "" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        ck_assert_str_eq(name_of(t[i].cmd, t[i].len), t[i].name);
    ck_assert_str_eq(name_of(NULL, 4), "");
    /* cut to the caller's buffer */
    static const uint8_t gc[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
    char small[5] = "xxxx";
    view_apdu_name(gc, sizeof gc, small, sizeof small);
    ck_assert_str_eq(small, "GET ");
    view_apdu_name(gc, sizeof gc, small, 0);
    ck_assert_str_eq(small, "GET ");
}
END_TEST

START_TEST(enum_names)
{
    ck_assert_str_eq(view_chan_name(VIEW_CH_CONTACT), "contact");
    ck_assert_str_eq(view_chan_name(VIEW_CH_NFC), "nfc");
    ck_assert_str_eq(view_chan_name(VIEW_CH_BLE), "ble");
    ck_assert_str_eq(view_chan_name(VIEW_CH_MCU_SE), "mcu-se");
    ck_assert_str_eq(view_chan_name(VIEW_CH_SPI), "spi");
    ck_assert_str_eq(view_chan_name(VIEW_CH_FLASH), "flash");
    ck_assert_str_eq(view_chan_name(VIEW_CH_COUNT), "?");
    ck_assert_str_eq(view_se_state_name(VIEW_SE_OFF), "off");
    ck_assert_str_eq(view_se_state_name(VIEW_SE_POWERED), "powered");
    ck_assert_str_eq(view_se_state_name(VIEW_SE_LOADER), "loader");
    ck_assert_str_eq(view_se_state_name(VIEW_SE_COS), "cos");
    ck_assert_str_eq(view_se_state_name(VIEW_SE_UNKNOWN), "unknown");
}
END_TEST

/* Records the model does not draw change nothing but the counters. */
START_TEST(other_records)
{
    view_model_t m;
    view_model_init(&m, 1, true);
    trace_rec_t r = {
        .time = 500, .start = 500, .kind = TRACE_LOG, .source = "se0",
        .text = "hello",
    };
    view_model_record(&m, &r);
    r.kind = TRACE_CPU_FAULT;
    r.time = 600;
    view_model_record(&m, &r);
    ck_assert_uint_eq(m.records, 2);
    ck_assert_uint_eq(m.now, 600);
    for (size_t i = 0; i < m.n_lanes; i++)
        ck_assert_uint_eq(m.lanes[i].total, 0);
    ck_assert_uint_eq(m.apdu_count, 0);
    view_model_cleanup(&m);
}
END_TEST

Suite *make_view_model_suite(void)
{
    Suite *s = suite_create("view_model");
    TCase *tc = tcase_create("lanes");
    tcase_add_test(tc, lanes_in_order);
    tcase_add_test(tc, byte_spans);
    tcase_add_test(tc, frame_spans);
    tcase_add_test(tc, span_ring_wraps);
    tcase_add_test(tc, other_records);
    suite_add_tcase(s, tc);
    tc = tcase_create("se");
    tcase_add_test(tc, se_states_from_mcu_port);
    tcase_add_test(tc, se_states_from_pads);
    tcase_add_test(tc, flash_ops);
    tcase_add_test(tc, mode_and_route_text);
    suite_add_tcase(s, tc);
    tc = tcase_create("apdu");
    tcase_add_test(tc, apdu_list);
    tcase_add_test(tc, apdu_ring_wraps);
    tcase_add_test(tc, span_apdu_ids_contact);
    tcase_add_test(tc, span_apdu_ids_nested);
    tcase_add_test(tc, span_apdu_ids_ble);
    tcase_add_test(tc, apdu_names);
    tcase_add_test(tc, enum_names);
    suite_add_tcase(s, tc);
    return s;
}
