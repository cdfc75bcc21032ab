/* SPDX-License-Identifier: MIT */
/* tests/test_trace.c - the trace bus (ordering, watermark, deep copies,
 * masks, warnings, the order invariant) and the events.log sink. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/fatal.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "sim/trace_log.h"
#include "suites.h"
#include "test_tmp.h"

/* ---- a sink that keeps copies of what it is handed ---- */

typedef struct cap_rec {
    sim_time_t time, start;
    trace_kind_t kind;
    trace_dir_t dir;
    char source[32], path[32], text[320], mode[32], where[32];
    uint8_t data[64];
    size_t len;
    bool data_null;
    int level;
    uint32_t flash_addr;
} cap_rec_t;

typedef struct cap_sink {
    cap_rec_t *recs;
    size_t n, cap;
    int closed;
} cap_sink_t;

static void cp(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "(null)");
}

static void cap_record(void *ctx, const trace_rec_t *rec)
{
    cap_sink_t *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->recs = realloc(c->recs, c->cap * sizeof *c->recs);
        if (!c->recs)
            ck_abort_msg("out of memory");
    }
    cap_rec_t *r = &c->recs[c->n++];
    memset(r, 0, sizeof *r);
    r->time = rec->time;
    r->start = rec->start;
    r->kind = rec->kind;
    r->dir = rec->dir;
    cp(r->source, sizeof r->source, rec->source);
    cp(r->path, sizeof r->path, rec->path);
    cp(r->text, sizeof r->text, rec->text);
    if (rec->kind == TRACE_MODE)
        cp(r->mode, sizeof r->mode, rec->u.mode.mode);
    if (rec->kind == TRACE_CPU_FAULT)
        cp(r->where, sizeof r->where, rec->u.fault.where);
    r->data_null = rec->data == NULL;
    if (rec->len > sizeof r->data)
        ck_abort_msg("record of %zu bytes: too long for the test", rec->len);
    if (rec->data)
        memcpy(r->data, rec->data, rec->len);
    r->len = rec->len;
    r->level = rec->kind == TRACE_LOG ? rec->u.log.level : rec->u.signal.level;
    if (rec->kind == TRACE_FLASH_OP)
        r->flash_addr = rec->u.flash.addr;
}

static int cap_close(void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    cap_sink_t *c = ctx;
    c->closed++;
    return 0;
}

static void cap_attach(trace_bus_t *bus, cap_sink_t *c, uint32_t mask)
{
    memset(c, 0, sizeof *c);
    trace_sink_t s = {
        .name = "capture",
        .mask = mask,
        .record = cap_record,
        .close = cap_close,
        .ctx = c,
    };
    trace_bus_add_sink(bus, &s);
}

static void cap_free(cap_sink_t *c)
{
    free(c->recs);
    memset(c, 0, sizeof *c);
}

/* A TRACE_SIGNAL record whose text labels it. */
static void pub_label(trace_bus_t *bus, sim_time_t t, const char *node,
                      const char *label)
{
    trace_rec_t r = {
        .time = t,
        .start = t,
        .kind = TRACE_SIGNAL,
        .source = node,
        .text = label,
    };
    trace_publish(bus, &r);
}

static void close_ok(trace_bus_t *bus)
{
    char err[256] = "";
    ck_assert_int_eq(trace_bus_close(bus, err, sizeof err), 0);
    ck_assert_str_eq(err, "");
}


static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* ---- the reorder buffer ---- */

START_TEST(test_kind_names)
{
    static const char *const want[] = { "BYTE", "FRAME", "APDU",
                                        "ATR", "SIGNAL", "FLASH",
                                        "MODE", "FAULT", "LOG" };
    ck_assert_int_eq(TRACE_KIND_COUNT, 9);
    for (int k = 0; k < TRACE_KIND_COUNT; k++)
        ck_assert_str_eq(trace_kind_name((trace_kind_t)k), want[k]);
}
END_TEST

START_TEST(test_order_across_nodes)
{
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);

    /* three nodes each ahead by their own slice, publishing interleaved */
    pub_label(&bus, 10, "A", "A10");
    pub_label(&bus, 5, "B", "B5");
    pub_label(&bus, 40, "C", "C40");
    pub_label(&bus, 40, "A", "A40");
    pub_label(&bus, 40, "B", "B40");
    pub_label(&bus, 20, "C", "C20");
    pub_label(&bus, 70, "A", "A70");
    pub_label(&bus, 90, "B", "B90");
    pub_label(&bus, 60, "C", "C60");
    ck_assert_uint_eq(bus.n_heap, 9);

    trace_bus_release(&bus, 60);
    static const char *const first[] = { "B5",  "A10", "C20",
                                         "C40", "A40", "B40" };
    ck_assert_uint_eq(c.n, 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(c.recs[i].text, first[i]);
    ck_assert_uint_eq(bus.last_time, 40);

    /* the same watermark again releases nothing more */
    trace_bus_release(&bus, 60);
    ck_assert_uint_eq(c.n, 6);

    /* equal to the last released time is still in order */
    pub_label(&bus, 40, "A", "A40b");
    trace_bus_release(&bus, 91);
    static const char *const second[] = { "A40b", "C60", "A70", "B90" };
    ck_assert_uint_eq(c.n, 10);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(c.recs[6 + i].text, second[i]);
    ck_assert_uint_eq(bus.n_heap, 0);
    ck_assert_uint_eq(bus.published[TRACE_SIGNAL], 10);

    close_ok(&bus);
    ck_assert_int_eq(c.closed, 1);
    cap_free(&c);
}
END_TEST

START_TEST(test_watermark_is_exclusive)
{
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);

    pub_label(&bus, 0, "n", "t0");
    pub_label(&bus, 100, "n", "t100");
    trace_bus_release(&bus, 0);
    ck_assert_uint_eq(c.n, 0);
    trace_bus_release(&bus, 1);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(c.recs[0].text, "t0");
    trace_bus_release(&bus, 100);
    ck_assert_uint_eq(c.n, 1);
    trace_bus_release(&bus, 101);
    ck_assert_uint_eq(c.n, 2);
    ck_assert_str_eq(c.recs[1].text, "t100");
    ck_assert_uint_eq(c.recs[1].time, 100);

    close_ok(&bus);
    cap_free(&c);
}
END_TEST

START_TEST(test_close_releases_everything)
{
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);

    pub_label(&bus, SIM_NEVER, "n", "never");
    pub_label(&bus, SIM_NEVER - 1, "n", "almost");
    pub_label(&bus, 7, "n", "seven");
    trace_bus_release(&bus, SIM_NEVER); /* "< watermark": keeps NEVER */
    ck_assert_uint_eq(c.n, 2);
    close_ok(&bus);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.recs[0].text, "seven");
    ck_assert_str_eq(c.recs[1].text, "almost");
    ck_assert_str_eq(c.recs[2].text, "never");

    /* a closed bus takes nothing and closes once */
    pub_label(&bus, SIM_NEVER, "n", "late");
    trace_bus_release(&bus, SIM_NEVER);
    close_ok(&bus);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_int_eq(c.closed, 1);
    cap_free(&c);
}
END_TEST

START_TEST(test_discard)
{
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);
    pub_label(&bus, 10, "n", "kept");
    pub_label(&bus, 30, "n", "past the end");
    pub_label(&bus, 20, "n", "at the end");
    trace_bus_release(&bus, 21); /* end instant 20, inclusive */
    ck_assert_uint_eq(trace_bus_discard(&bus), 1);
    ck_assert_uint_eq(trace_bus_discard(&bus), 0);
    /* the bus stays usable: blocks went back to its free lists */
    pub_label(&bus, 40, "n", "later");
    close_ok(&bus);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.recs[0].text, "kept");
    ck_assert_str_eq(c.recs[1].text, "at the end");
    ck_assert_str_eq(c.recs[2].text, "later");
    cap_free(&c);
}
END_TEST

START_TEST(test_deep_copy)
{
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);

    uint8_t data[5] = { 0x00, 0xA4, 0x04, 0x00, 0x00 };
    char source[] = "reader", path[] = "CONTACT>SE0", text[] = "SELECT";
    char mode[] = "contact", where[] = "main+0x12";
    trace_rec_t r = {
        .time = 50, .start = 20, .kind = TRACE_APDU,
        .source = source, .path = path, .dir = TRACE_DIR_CMD,
        .data = data, .len = sizeof data, .text = text,
    };
    trace_publish(&bus, &r);
    trace_rec_t m = { .time = 60, .start = 60, .kind = TRACE_MODE,
                      .source = source, .u.mode.mode = mode };
    trace_publish(&bus, &m);
    trace_rec_t f = { .time = 70, .start = 70, .kind = TRACE_CPU_FAULT,
                      .source = source, .u.fault.pc = 0x12A,
                      .u.fault.where = where };
    trace_publish(&bus, &f);
    /* a length with no data pointer carries no bytes */
    trace_rec_t z = { .time = 80, .start = 80, .kind = TRACE_LINE_BYTE,
                      .len = 3 };
    trace_publish(&bus, &z);

    memset(data, 0xEE, sizeof data);
    memset(source, 'x', sizeof source - 1);
    memset(path, 'x', sizeof path - 1);
    memset(text, 'x', sizeof text - 1);
    memset(mode, 'x', sizeof mode - 1);
    memset(where, 'x', sizeof where - 1);

    trace_bus_release(&bus, 100);
    ck_assert_uint_eq(c.n, 4);
    const cap_rec_t *a = &c.recs[0];
    ck_assert_uint_eq(a->time, 50);
    ck_assert_uint_eq(a->start, 20);
    ck_assert_int_eq(a->kind, TRACE_APDU);
    ck_assert_int_eq(a->dir, TRACE_DIR_CMD);
    ck_assert_str_eq(a->source, "reader");
    ck_assert_str_eq(a->path, "CONTACT>SE0");
    ck_assert_str_eq(a->text, "SELECT");
    ck_assert_uint_eq(a->len, 5);
    static const uint8_t want[5] = { 0x00, 0xA4, 0x04, 0x00, 0x00 };
    ck_assert_mem_eq(a->data, want, 5);
    ck_assert_str_eq(c.recs[1].mode, "contact");
    ck_assert_str_eq(c.recs[2].where, "main+0x12");
    ck_assert_str_eq(c.recs[2].path, "(null)");
    ck_assert_str_eq(c.recs[2].text, "(null)");
    ck_assert(c.recs[3].data_null);
    ck_assert_uint_eq(c.recs[3].len, 0);
    ck_assert_str_eq(c.recs[3].source, "(null)");

    close_ok(&bus);
    cap_free(&c);
}
END_TEST

START_TEST(test_masks)
{
    trace_bus_t bus;
    cap_sink_t apdu, other;
    trace_bus_init(&bus);
    ck_assert(!trace_wants(&bus, TRACE_LOG));
    ck_assert(!trace_wants(NULL, TRACE_LOG));

    /* no sink: publishing buffers nothing */
    pub_label(&bus, 1, "n", "lost");
    ck_assert_uint_eq(bus.n_heap, 0);
    ck_assert_uint_eq(bus.published[TRACE_SIGNAL], 0);

    cap_attach(&bus, &apdu, TRACE_MASK(TRACE_APDU));
    cap_attach(&bus, &other, TRACE_MASK(TRACE_SIGNAL) | TRACE_MASK(TRACE_LOG));
    ck_assert_uint_eq(bus.mask, TRACE_MASK(TRACE_APDU) |
                                    TRACE_MASK(TRACE_SIGNAL) |
                                    TRACE_MASK(TRACE_LOG));
    ck_assert(trace_wants(&bus, TRACE_APDU));
    ck_assert(trace_wants(&bus, TRACE_LOG));
    ck_assert(!trace_wants(&bus, TRACE_FRAME));
    ck_assert(!trace_wants(&bus, TRACE_FLASH_OP));

    for (int k = 0; k < TRACE_KIND_COUNT; k++) {
        trace_rec_t r = { .time = (sim_time_t)(10 + k),
                          .kind = (trace_kind_t)k, .text = "k" };
        trace_publish(&bus, &r);
    }
    ck_assert_uint_eq(bus.n_heap, 3); /* unwanted kinds are not buffered */
    trace_logf(&bus, 30, "n", 0, "x=%d", 5);
    close_ok(&bus);

    ck_assert_uint_eq(apdu.n, 1);
    ck_assert_int_eq(apdu.recs[0].kind, TRACE_APDU);
    ck_assert_uint_eq(other.n, 3);
    ck_assert_int_eq(other.recs[0].kind, TRACE_SIGNAL);
    ck_assert_int_eq(other.recs[1].kind, TRACE_LOG);
    ck_assert_int_eq(other.recs[2].kind, TRACE_LOG);
    ck_assert_str_eq(other.recs[2].text, "x=5");
    ck_assert_uint_eq(other.recs[2].time, 30);
    ck_assert_int_eq(apdu.closed, 1);
    ck_assert_int_eq(other.closed, 1);
    cap_free(&apdu);
    cap_free(&other);
}
END_TEST

START_TEST(test_logf_long)
{
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK(TRACE_LOG));
    char want[301];
    memset(want, 'q', 300);
    want[300] = '\0';
    trace_logf(&bus, 5, "long", 2, "%s", want);
    close_ok(&bus);
    ck_assert_uint_eq(c.n, 1);
    ck_assert_str_eq(c.recs[0].text, want);
    ck_assert_int_eq(c.recs[0].level, 2);
    ck_assert_str_eq(c.recs[0].source, "long");
    cap_free(&c);
}
END_TEST

/* Many nodes, random times ahead of the watermark, random release points:
 * the output must be exactly the stable sort of the input. */
START_TEST(test_random_against_sort)
{
    enum { N = 20000, NODES = 5 };
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);
    sim_rng_t rng;
    sim_rng_seed(&rng, 42, "trace-test");

    sim_time_t wm = 0;
    uint8_t payload[40];
    for (int i = 0; i < N; i++) {
        sim_time_t t = wm + sim_rng_below(&rng, 50);
        size_t len = (size_t)sim_rng_below(&rng, sizeof payload + 1);
        memset(payload, i & 0xFF, sizeof payload);
        trace_rec_t r = {
            .time = t, .start = t, .kind = TRACE_LINE_BYTE,
            .source = "n", .data = payload, .len = len,
        };
        r.u.signal.level = i; /* publication index, for the check */
        trace_publish(&bus, &r);
        if (sim_rng_below(&rng, 8) == 0) {
            wm += sim_rng_below(&rng, 30);
            trace_bus_release(&bus, wm);
        }
    }
    close_ok(&bus);
    ck_assert_uint_eq(c.n, N);
    /* plain ifs: a Check assertion per record is slow in forked mode */
    for (size_t i = 1; i < c.n; i++) {
        const cap_rec_t *a = &c.recs[i - 1], *b = &c.recs[i];
        if (!(a->time < b->time ||
              (a->time == b->time && a->level < b->level)))
            ck_abort_msg("records %zu and %zu out of order", i - 1, i);
    }
    for (size_t i = 0; i < c.n; i++)
        for (size_t k = 0; k < c.recs[i].len; k++)
            if (c.recs[i].data[k] != (c.recs[i].level & 0xFF))
                ck_abort_msg("record %zu: byte %zu changed", i, k);
    cap_free(&c);
}
END_TEST

START_TEST(test_backwards_is_fatal)
{
    /* without a fork the exit would end the whole runner (valgrind runs
     * use CK_FORK=no); Check only checks exit codes of forked tests */
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode && strcmp(fork_mode, "no") == 0)
        return;
    trace_bus_t bus;
    cap_sink_t c;
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);
    pub_label(&bus, 100, "a", "first");
    trace_bus_release(&bus, 200);
    ck_assert_uint_eq(c.n, 1);
    pub_label(&bus, 50, "b", "too late"); /* exits with status 3 */
    ck_abort_msg("publishing into the released past did not fail");
}
END_TEST

/* ---- the kernel hooks ---- */

typedef struct warn_ctx {
    trace_bus_t *bus;
    sim_event_t ev;
} warn_ctx_t;

static void warn_event(sim_event_t *ev, sim_time_t now)
{
    warn_ctx_t *w = ev->ctx;
    uint8_t b = 0x3B;
    trace_rec_t r = { .time = now, .start = now, .kind = TRACE_LINE_BYTE,
                      .source = "uart0", .path = "contact",
                      .dir = TRACE_DIR_RSP, .data = &b, .len = 1 };
    trace_publish(w->bus, &r);
    sim_warn(now, "uart0", "rx overrun (%d bytes lost)", 3);
}

START_TEST(test_attach_rounds_and_warnings)
{
    sim_t sim;
    sim_node_t node;
    trace_bus_t bus;
    cap_sink_t c;
    warn_ctx_t w = { .bus = &bus };

    sim_init(&sim, 1);
    sim_node_init(&node, &sim, "se0", &w);
    trace_bus_init(&bus);
    cap_attach(&bus, &c, TRACE_MASK_ALL);
    trace_bus_attach(&bus, &sim);
    sim_event_init(&w.ev, "warn", warn_event, &w);
    sim_schedule(&node, &w.ev, SIM_US(1));

    sim_run_until(&sim, SIM_US(2));
    /* released by the round hook, before any close */
    ck_assert_uint_eq(c.n, 2);
    ck_assert_int_eq(c.recs[0].kind, TRACE_LINE_BYTE);
    ck_assert_int_eq(c.recs[1].kind, TRACE_LOG);
    ck_assert_uint_eq(c.recs[1].time, SIM_US(1));
    ck_assert_int_eq(c.recs[1].level, 1);
    ck_assert_str_eq(c.recs[1].source, "uart0");
    ck_assert_str_eq(c.recs[1].text, "rx overrun (3 bytes lost)");

    /* a warning stamped before what was released is moved up, not fatal */
    sim_warn(0, "cli", "late %s", "note");
    close_ok(&bus);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_uint_eq(c.recs[2].time, SIM_US(1));
    ck_assert_str_eq(c.recs[2].text, "late note");

    /* after close, warnings no longer reach the bus (stderr again), and
     * later rounds of the sim do not touch it */
    sim_warn(SIM_US(3), "se0", "after close");
    sim_schedule(&node, &w.ev, SIM_US(3));
    sim_run_until(&sim, SIM_US(4));
    ck_assert_uint_eq(c.n, 3);
    sim_cleanup(&sim);
    cap_free(&c);
}
END_TEST

/* ---- events.log ---- */

static const uint8_t select_apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0,
                                       0x00, 0x00, 0x00, 0x03, 0x10, 0x10 };

static void publish_all_kinds(trace_bus_t *bus)
{
    static const uint8_t atr[] = { 0x3B, 0x00 };
    static const uint8_t iblock[] = { 0x02, 0x00, 0xA4, 0x63, 0x9F };
    static const uint8_t adv[] = { 0xD6, 0xBE, 0x89, 0x8E, 0x40, 0x00 };
    static const uint8_t t1[] = { 0x00, 0x00, 0x00, 0x01 };
    static const uint8_t page[] = { 0xDE, 0xAD };
    static const uint8_t byte = 0x3B;
    const trace_rec_t recs[] = {
        /* published out of order: the file is sorted by time */
        { .time = 123456789, .start = 100000000, .kind = TRACE_APDU,
          .source = "reader", .path = "CONTACT>SE0", .dir = TRACE_DIR_CMD,
          .data = select_apdu, .len = sizeof select_apdu },
        { .time = 123456789, .kind = TRACE_FLASH_OP, .source = "se0",
          .u.flash = { TRACE_FLASH_PROGRAM, 0x10000, 4, 0 } },
        { .time = 250000, .kind = TRACE_LOG, .source = "ping",
          .text = "rtt=12.5 us" },
        { .time = SIM_US(1), .kind = TRACE_LINE_BYTE, .source = "se0",
          .path = "contact", .dir = TRACE_DIR_RSP, .data = &byte, .len = 1 },
        { .time = SIM_US(2), .kind = TRACE_ATR, .source = "se0",
          .path = "CONTACT>SE0", .dir = TRACE_DIR_RSP, .data = atr,
          .len = sizeof atr },
        { .time = SIM_US(3), .kind = TRACE_FRAME, .source = "reader",
          .path = "nfc", .dir = TRACE_DIR_CMD,
          .u.frame = { .proto = TRACE_PROTO_NFC_A,
                       .nfc_event = TRACE_NFC_EV_FIELD_ON } },
        { .time = SIM_US(4), .kind = TRACE_FRAME, .source = "reader",
          .path = "nfc", .dir = TRACE_DIR_CMD, .data = iblock,
          .len = sizeof iblock,
          .u.frame = { .proto = TRACE_PROTO_NFC_A,
                       .nfc_event = TRACE_NFC_EV_PCD_TO_PICC,
                       .crc_ok = true } },
        { .time = SIM_US(5), .kind = TRACE_FRAME, .source = "phone",
          .path = "ble", .dir = TRACE_DIR_CMD, .data = adv,
          .len = sizeof adv,
          .u.frame = { .proto = TRACE_PROTO_BLE_LL, .ble_channel = 37,
                       .ble_pdu_type = 0, .crc_ok = true } },
        { .time = SIM_US(6), .kind = TRACE_FRAME, .source = "mcu.iso0",
          .path = "mcu-se1", .dir = TRACE_DIR_CMD, .data = t1,
          .len = sizeof t1, .text = "EDC error",
          .u.frame = { .proto = TRACE_PROTO_T1, .crc_ok = false } },
        { .time = SIM_US(7), .kind = TRACE_FRAME, .source = "mcu",
          .path = "spi", .dir = TRACE_DIR_NONE,
          .u.frame = { .proto = TRACE_PROTO_SPI } },
        { .time = SIM_US(8), .kind = TRACE_SIGNAL, .source = "reader",
          .path = "contact.RST", .u.signal.level = 1 },
        { .time = SIM_US(9), .kind = TRACE_MODE, .source = "mcu",
          .u.mode.mode = "contactless-nfc" },
        { .time = SIM_US(10), .kind = TRACE_CPU_FAULT, .source = "se1",
          .text = "HardFault",
          .u.fault = { .pc = 0x12A, .where = "main+0x12" } },
        { .time = SIM_MS(1), .kind = TRACE_FLASH_OP, .source = "se0",
          .data = page, .len = sizeof page,
          .u.flash = { TRACE_FLASH_ERASE, 0x2ABC0, 4096, 1 } },
        { .time = SIM_S(2), .kind = TRACE_LOG, .source = NULL,
          .text = "a\nb\\c\td\x01", .u.log.level = 1 },
        { .time = SIM_S(2), .kind = TRACE_LOG, .source = "my node",
          .path = "x y", .text = "odd", .u.log.level = 7 },
        { .time = SIM_S(2), .kind = TRACE_LOG, .source = "s",
          .u.log.level = 2 },
    };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
        trace_publish(bus, &recs[i]);
}

static const char all_kinds_log[] =
    "0.000000250000 ping LOG info: rtt=12.5 us\n"
    "0.000001000000 se0 BYTE contact rsp 3B\n"
    "0.000002000000 se0 ATR CONTACT>SE0 rsp 3B 00\n"
    "0.000003000000 reader FRAME nfc cmd nfc-a ev=field-on\n"
    "0.000004000000 reader FRAME nfc cmd nfc-a ev=pcd>picc crc=ok "
    "02 00 A4 63 9F\n"
    "0.000005000000 phone FRAME ble cmd ble-ll ch=37 pdu=0 crc=ok "
    "D6 BE 89 8E 40 00\n"
    "0.000006000000 mcu.iso0 FRAME mcu-se1 cmd t1 crc=bad 00 00 00 01 "
    "| EDC error\n"
    "0.000007000000 mcu FRAME spi - spi\n"
    "0.000008000000 reader SIGNAL contact.RST level=1\n"
    "0.000009000000 mcu MODE mode=contactless-nfc\n"
    "0.000010000000 se1 FAULT pc=0x0000012A where=main+0x12 | HardFault\n"
    "0.000123456789 reader APDU CONTACT>SE0 cmd "
    "00 A4 04 00 07 A0 00 00 00 03 10 10\n"
    "0.000123456789 se0 FLASH program addr=0x00010000 len=4 torn=0\n"
    "0.001000000000 se0 FLASH erase addr=0x0002ABC0 len=4096 torn=1 "
    "data=DEAD\n"
    "2.000000000000 - LOG warning: a\\nb\\\\c\\td\\x01\n"
    "2.000000000000 my\\x20node LOG x\\x20y level7: odd\n"
    "2.000000000000 s LOG error: \n";

START_TEST(test_events_log_content)
{
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/events.log", test_tmpdir);
    /* two runs: byte-identical output */
    for (int run = 0; run < 2; run++) {
        trace_bus_t bus;
        trace_log_t log;
        trace_sink_t sink;
        trace_bus_init(&bus);
        ck_assert_int_eq(trace_log_open(&log, path, err, sizeof err), 0);
        trace_log_sink(&log, &sink);
        ck_assert_uint_eq(sink.mask, TRACE_MASK_ALL);
        trace_bus_add_sink(&bus, &sink);
        publish_all_kinds(&bus);
        ck_assert_uint_eq(log.lines, 0); /* nothing before release */
        close_ok(&bus);
        char *got = slurp(path);
        ck_assert_str_eq(got, all_kinds_log);
        free(got);
    }
}
END_TEST

START_TEST(test_log_format_snprintf)
{
    trace_rec_t r = { .time = 250000, .kind = TRACE_LOG, .source = "ping",
                      .text = "rtt=12.5 us" };
    const char *want = "0.000000250000 ping LOG info: rtt=12.5 us";
    char buf[64], small[8];
    ck_assert_uint_eq(trace_log_format(&r, buf, sizeof buf), strlen(want));
    ck_assert_str_eq(buf, want);
    ck_assert_uint_eq(trace_log_format(&r, small, sizeof small),
                      strlen(want));
    ck_assert_str_eq(small, "0.00000");
    ck_assert_uint_eq(trace_log_format(&r, NULL, 0), strlen(want));
}
END_TEST

START_TEST(test_log_write_error)
{
    trace_bus_t bus;
    trace_log_t log;
    trace_sink_t sink;
    char err[256] = "";
    trace_bus_init(&bus);
    ck_assert_int_eq(trace_log_open(&log, "/dev/full", err, sizeof err), 0);
    trace_log_sink(&log, &sink);
    trace_bus_add_sink(&bus, &sink);
    trace_logf(&bus, 1, "n", 0, "hello");
    ck_assert_int_eq(trace_bus_close(&bus, err, sizeof err), -1);
    ck_assert_str_eq(err, "/dev/full: write failed: No space left on device");
}
END_TEST

START_TEST(test_log_open_error)
{
    trace_log_t log;
    char path[160], err[256] = "";
    snprintf(path, sizeof path, "%s/no/such/dir/events.log", test_tmpdir);
    ck_assert_int_eq(trace_log_open(&log, path, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot create: No such file or directory",
             path);
    ck_assert_str_eq(err, want);
    /* closing a log that never opened is harmless */
    ck_assert_int_eq(trace_log_close(&log, err, sizeof err), 0);
}
END_TEST

START_TEST(test_log_stream)
{
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/stream.log", test_tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("header\n", f);
    trace_log_t log;
    ck_assert_int_eq(trace_log_open_stream(&log, f, "stream", err,
                                           sizeof err), 0);
    trace_rec_t r = { .time = SIM_NS(1), .kind = TRACE_SIGNAL,
                      .source = "reader", .path = "contact.VCC",
                      .u.signal.level = 0 };
    trace_log_write(&log, &r);
    ck_assert_int_eq(trace_log_close(&log, err, sizeof err), 0);
    fputs("footer\n", f); /* still the caller's, still usable */
    fclose(f);
    char *got = slurp(path);
    ck_assert_str_eq(got, "header\n"
                          "0.000000001000 reader SIGNAL contact.VCC level=0\n"
                          "footer\n");
    free(got);
}
END_TEST

Suite *make_trace_suite(void)
{
    Suite *s = suite_create("trace");

    TCase *bus = tcase_create("bus");
    tcase_add_test(bus, test_kind_names);
    tcase_add_test(bus, test_order_across_nodes);
    tcase_add_test(bus, test_watermark_is_exclusive);
    tcase_add_test(bus, test_close_releases_everything);
    tcase_add_test(bus, test_discard);
    tcase_add_test(bus, test_deep_copy);
    tcase_add_test(bus, test_masks);
    tcase_add_test(bus, test_logf_long);
    tcase_add_test(bus, test_random_against_sort);
    tcase_add_exit_test(bus, test_backwards_is_fatal, SIM_EXIT_FATAL);
    tcase_add_test(bus, test_attach_rounds_and_warnings);
    suite_add_tcase(s, bus);

    TCase *log = tcase_create("events.log");
    tcase_add_unchecked_fixture(log, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(log, test_events_log_content);
    tcase_add_test(log, test_log_format_snprintf);
    tcase_add_test(log, test_log_write_error);
    tcase_add_test(log, test_log_open_error);
    tcase_add_test(log, test_log_stream);
    suite_add_tcase(s, log);
    return s;
}
