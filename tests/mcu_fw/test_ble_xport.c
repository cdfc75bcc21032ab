/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/test_ble_xport.c - the APDU transport over GATT
 * (firmware/mcu/ble_xport.c): fragmentation of answers at ATT MTU 23 and
 * 247, reassembly, sequence and length errors, the request timeout, the
 * KEEPALIVE cadence (core cycles at 16 MHz), BUSY, CANCEL and PING. */
#include <check.h>
#include <string.h>

#include "ble_apdu.h"
#include "ble_xport.h"
#include "mcu_fw_tests.h"

static ble_xport_t x;
static uint8_t out[600];

static void setup(void)
{
    ble_xport_init(&x);
}

static unsigned rx(const uint8_t *f, size_t n, uint32_t now)
{
    return ble_xport_rx(&x, f, n, now);
}
#define RX(now, ...) rx((const uint8_t[]){ __VA_ARGS__ }, \
                        sizeof((const uint8_t[]){ __VA_ARGS__ }), now)

static void expect_frag(size_t max, const uint8_t *b, size_t n)
{
    ck_assert_uint_eq(ble_xport_next(&x, out, max), n);
    ck_assert_mem_eq(out, b, n);
}
#define EXPECT(max, ...) do { static const uint8_t e_[] = { __VA_ARGS__ }; \
                              expect_frag(max, e_, sizeof e_); } while (0)

static void expect_none(void)
{
    ck_assert(!ble_xport_tx_ready(&x));
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 0);
}

static void pattern(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 7 + 1);
}

/* A one-fragment MSG, taken. */
static void pending_msg(uint32_t now)
{
    ck_assert_uint_eq(RX(now, 0x83, 0x00, 0x02, 0x00, 0xB0),
                      BLE_XPORT_EV_MSG);
    const uint8_t *a;
    size_t n;
    ck_assert(ble_xport_take(&x, &a, &n));
}

START_TEST(answer_at_mtu_23)
{
    uint8_t r[40];
    pattern(r, sizeof r);
    pending_msg(0);
    ble_xport_respond(&x, r, sizeof r);
    ck_assert(ble_xport_tx_ready(&x));
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 20);
    ck_assert_uint_eq(out[0], 0x83);
    ck_assert_uint_eq(out[1], 0x00);
    ck_assert_uint_eq(out[2], 40);
    ck_assert_mem_eq(&out[3], r, 17);
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 20);
    ck_assert_uint_eq(out[0], 0x00);
    ck_assert_mem_eq(&out[1], &r[17], 19);
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 5);
    ck_assert_uint_eq(out[0], 0x01);
    ck_assert_mem_eq(&out[1], &r[36], 4);
    expect_none();
}
END_TEST

START_TEST(answer_at_mtu_247)
{
    uint8_t r[300];
    pattern(r, sizeof r);
    pending_msg(0);
    ble_xport_respond(&x, r, sizeof r);
    ck_assert_uint_eq(ble_xport_next(&x, out, 244), 244);
    ck_assert_uint_eq(out[0], 0x83);
    ck_assert_uint_eq(out[1], 0x01);
    ck_assert_uint_eq(out[2], 0x2C);
    ck_assert_mem_eq(&out[3], r, 241);
    ck_assert_uint_eq(ble_xport_next(&x, out, 244), 60);
    ck_assert_uint_eq(out[0], 0x00);
    ck_assert_mem_eq(&out[1], &r[241], 59);
    expect_none();
    /* 512 bytes at 20: 17 then 26 x 19 = 511, then 1: SEQ 0..26 */
    uint8_t big[512];
    pattern(big, sizeof big);
    pending_msg(0);
    ble_xport_respond(&x, big, sizeof big);
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 20);
    for (unsigned s = 0; s < 26; s++) {
        ck_assert_uint_eq(ble_xport_next(&x, out, 20), 20);
        ck_assert_uint_eq(out[0], s);
    }
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 2);
    ck_assert_uint_eq(out[0], 26);
    ck_assert_uint_eq(out[1], big[511]);
    expect_none();
}
END_TEST

START_TEST(reassembly)
{
    uint8_t m[30 + 3];
    m[0] = 0x83;
    m[1] = 0;
    m[2] = 30;
    pattern(&m[3], 30);
    ck_assert_uint_eq(rx(m, 20, 100), 0);
    uint32_t when;
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 100 + 48000000u);
    uint8_t c[14];
    c[0] = 0x00;
    memcpy(&c[1], &m[20], 13);
    ck_assert_uint_eq(rx(c, 14, 200), BLE_XPORT_EV_MSG);
    const uint8_t *a;
    size_t n;
    ck_assert(ble_xport_take(&x, &a, &n));
    ck_assert_uint_eq(n, 30);
    ck_assert_mem_eq(a, &m[3], 30);
    ck_assert(!ble_xport_take(&x, &a, &n));
    /* the keep-alive replaces the request timeout */
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 200 + 1600000u);
    expect_none();
}
END_TEST

START_TEST(sequence_errors)
{
    ck_assert_uint_eq(RX(0, 0x83, 0x00, 0x06, 0x01, 0x02), 0);
    ck_assert_uint_eq(RX(0, 0x01, 0x03, 0x04), 0);      /* SEQ 1, not 0 */
    EXPECT(20, 0xBF, 0x00, 0x01, 0x04);
    /* the message is dropped: later continuations too */
    ck_assert_uint_eq(RX(0, 0x00, 0x03, 0x04, 0x05, 0x06), 0);
    expect_none();
    uint32_t when;
    ck_assert(!ble_xport_deadline(&x, &when));
    /* a new command while one is assembled */
    ck_assert_uint_eq(RX(0, 0x83, 0x00, 0x06, 0x01, 0x02), 0);
    ck_assert_uint_eq(RX(0, 0x81, 0x00, 0x01, 0x01), 0);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x04);
    /* more data than announced */
    ck_assert_uint_eq(RX(0, 0x83, 0x00, 0x04, 0x01, 0x02), 0);
    ck_assert_uint_eq(RX(0, 0x00, 0x03, 0x04, 0x05), 0);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x03);
    ck_assert_uint_eq(x.errors, 3);
}
END_TEST

START_TEST(framing_errors)
{
    RX(0, 0x83, 0x02, 0x01);            /* 513 */
    EXPECT(20, 0xBF, 0x00, 0x01, 0x03);
    RX(0, 0x83, 0x00, 0x00);            /* empty MSG */
    EXPECT(20, 0xBF, 0x00, 0x01, 0x02);
    RX(0, 0x83, 0x00, 0x01, 0x01, 0x02);    /* more than announced */
    EXPECT(20, 0xBF, 0x00, 0x01, 0x03);
    RX(0, 0x82, 0x00, 0x01, 0x01);      /* KEEPALIVE is the card's */
    EXPECT(20, 0xBF, 0x00, 0x01, 0x01);
    RX(0, 0xC0, 0x00, 0x00);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x01);
    RX(0, 0x83, 0x00);                  /* no length */
    EXPECT(20, 0xBF, 0x00, 0x01, 0x03);
    RX(0, 0x05, 0x01);                  /* a stray continuation */
    ck_assert_uint_eq(rx(out, 0, 0), 0);    /* an empty write */
    expect_none();
}
END_TEST

START_TEST(request_timeout)
{
    RX(1000, 0x83, 0x00, 0x20, 0x01, 0x02);
    uint32_t when;
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 48001000u);
    /* each fragment restarts it */
    RX(2000000, 0x00, 0x03);
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 50000000u);
    ble_xport_poll(&x, 49999999u);
    expect_none();
    ble_xport_poll(&x, 50000000u);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x05);
    ck_assert(!ble_xport_deadline(&x, &when));
    RX(50000001u, 0x01, 0x04);          /* too late: dropped */
    expect_none();
    /* the timer wraps */
    RX(0xFFFFFF00u, 0x83, 0x00, 0x20, 0x01);
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 0xFFFFFF00u + 48000000u);
    ble_xport_poll(&x, 0x10u);
    expect_none();
    ble_xport_poll(&x, 0xFFFFFF00u + 48000000u);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x05);
}
END_TEST

START_TEST(keepalive_cadence)
{
    pending_msg(1000);
    uint32_t when;
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 1601000u);
    ble_xport_poll(&x, 1600999u);
    expect_none();
    ble_xport_poll(&x, 1601000u);
    EXPECT(20, 0x82, 0x00, 0x01, 0x01);
    expect_none();
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 3201000u);
    /* late polls keep the cadence; an unsent one is not doubled */
    ble_xport_poll(&x, 3300000u);
    ck_assert(ble_xport_deadline(&x, &when));
    ck_assert_uint_eq(when, 4801000u);
    ble_xport_poll(&x, 4801000u);
    EXPECT(20, 0x82, 0x00, 0x01, 0x01);
    expect_none();
    ck_assert_uint_eq(x.keepalives, 2);
    /* the answer ends them, one due is dropped */
    ble_xport_poll(&x, 6401000u);
    static const uint8_t sw[] = { 0x90, 0x00 };
    ble_xport_respond(&x, sw, 2);
    EXPECT(20, 0x83, 0x00, 0x02, 0x90, 0x00);
    expect_none();
    ck_assert(!ble_xport_deadline(&x, &when));
}
END_TEST

START_TEST(keepalive_before_taken)
{
    /* waiting for the router (the other channel's APDU on an SE) counts */
    ck_assert_uint_eq(RX(0, 0x83, 0x00, 0x01, 0x00), BLE_XPORT_EV_MSG);
    ble_xport_poll(&x, 1600000u);
    EXPECT(20, 0x82, 0x00, 0x01, 0x01);
}
END_TEST

START_TEST(busy)
{
    pending_msg(0);
    ck_assert_uint_eq(RX(10, 0x83, 0x00, 0x01, 0x00), 0);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x06);
    RX(10, 0x81, 0x00, 0x01, 0x00);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x06);
    /* its continuations are dropped */
    RX(10, 0x00, 0x01);
    expect_none();
    /* while an answer is being sent: BUSY after its last fragment */
    uint8_t r[40];
    pattern(r, sizeof r);
    ble_xport_respond(&x, r, sizeof r);
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 20);
    RX(20, 0x83, 0x00, 0x01, 0x00);
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 20);
    ck_assert_uint_eq(out[0], 0x00);
    ck_assert_uint_eq(ble_xport_next(&x, out, 20), 5);
    ck_assert_uint_eq(out[0], 0x01);
    EXPECT(20, 0xBF, 0x00, 0x01, 0x06);
    expect_none();
    /* then a new MSG is taken */
    pending_msg(30);
}
END_TEST

START_TEST(cancel)
{
    uint32_t when;
    ck_assert_uint_eq(RX(0, 0xBE, 0x00, 0x00), 0);     /* nothing pending */
    pending_msg(0);
    ck_assert_uint_eq(RX(5, 0xBE, 0x00, 0x00), BLE_XPORT_EV_CANCEL);
    ck_assert(!ble_xport_deadline(&x, &when));
    static const uint8_t sw[] = { 0x90, 0x00 };
    ble_xport_respond(&x, sw, 2);       /* the SE's late answer: dropped */
    expect_none();
    /* a new MSG is accepted at once */
    pending_msg(10);
    ble_xport_respond(&x, sw, 2);
    EXPECT(20, 0x83, 0x00, 0x02, 0x90, 0x00);
    /* CANCEL drops a partial message silently */
    RX(20, 0x83, 0x00, 0x20, 0x01);
    ck_assert_uint_eq(RX(21, 0xBE, 0x00, 0x00), 0);
    ck_assert(!ble_xport_deadline(&x, &when));
    RX(22, 0x00, 0x01);
    expect_none();
}
END_TEST

START_TEST(ping)
{
    RX(0, 0x81, 0x00, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
       15, 16, 17);
    RX(0, 0x00, 18, 19, 20, 21, 22, 23, 24, 25);
    EXPECT(20, 0x81, 0x00, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
           14, 15, 16, 17);
    EXPECT(20, 0x00, 18, 19, 20, 21, 22, 23, 24, 25);
    expect_none();
    RX(0, 0x81, 0x00, 0x00);            /* an empty PING is fine */
    EXPECT(20, 0x81, 0x00, 0x00);
    uint32_t when;
    ck_assert(!ble_xport_deadline(&x, &when));
}
END_TEST

START_TEST(long_message_seq_wrap)
{
    /* 512 bytes in 20-byte fragments: SEQ 0..26 */
    uint8_t m[512];
    pattern(m, sizeof m);
    uint8_t f[20];
    f[0] = 0x83;
    f[1] = 0x02;
    f[2] = 0x00;
    memcpy(&f[3], m, 17);
    ck_assert_uint_eq(rx(f, 20, 0), 0);
    size_t off = 17;
    unsigned seq = 0, ev = 0;
    while (off < 512) {
        size_t k = 512 - off < 19 ? 512 - off : 19;
        f[0] = (uint8_t)seq++;
        memcpy(&f[1], &m[off], k);
        ev = rx(f, k + 1, 0);
        off += k;
    }
    ck_assert_uint_eq(seq, 27);
    ck_assert_uint_eq(ev, BLE_XPORT_EV_MSG);
    const uint8_t *a;
    size_t n;
    ck_assert(ble_xport_take(&x, &a, &n));
    ck_assert_uint_eq(n, 512);
    ck_assert_mem_eq(a, m, 512);
}
END_TEST

Suite *make_mcu_ble_xport_suite(void)
{
    Suite *s = suite_create("mcu_ble_xport");
    TCase *tc = tcase_create("xport");
    tcase_add_checked_fixture(tc, setup, 0);
    tcase_add_test(tc, answer_at_mtu_23);
    tcase_add_test(tc, answer_at_mtu_247);
    tcase_add_test(tc, reassembly);
    tcase_add_test(tc, sequence_errors);
    tcase_add_test(tc, framing_errors);
    tcase_add_test(tc, request_timeout);
    tcase_add_test(tc, keepalive_cadence);
    tcase_add_test(tc, keepalive_before_taken);
    tcase_add_test(tc, busy);
    tcase_add_test(tc, cancel);
    tcase_add_test(tc, ping);
    tcase_add_test(tc, long_message_seq_wrap);
    suite_add_tcase(s, tc);
    return s;
}
