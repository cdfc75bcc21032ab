/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/test_router.c - the MCU's APDU router and card manager
 * (firmware/mcu/router.c, cmgr.c): SELECT of the card manager, LIST,
 * OPEN/CLOSE/RESET, refusals, AID routing order and fallback, the
 * no-session answer, pads take-over and field loss. Exact bytes, status
 * words and ROUTE words (MCU_ROUTE(se, chan, decision)). */
#include <check.h>
#include <stdarg.h>
#include <string.h>

#include "card_manager.h"
#include "mcu_fw_tests.h"
#include "regs/mcu_sysctl.h"
#include "router.h"

#define NFC MCU_CHAN_NFC
#define BLE MCU_CHAN_BLE

static router_t r;
static router_act_t act;
static uint32_t routes[32];
static unsigned nroutes;

static void route_cb(void *ctx, uint32_t v)
{
    ck_assert_ptr_eq(ctx, &r);
    ck_assert_uint_lt(nroutes, 32);
    routes[nroutes++] = v;
}

/* SE 0 COS v1, SE 1 LOADER v1, SE 2 COS v2 */
static void setup(void)
{
    router_init(&r, 3, route_cb, &r);
    nroutes = 0;
    router_set_se(&r, 0, MCU_SE_COS, 1, &act);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);
    router_set_se(&r, 1, MCU_SE_LOADER, 1, &act);
    router_set_se(&r, 2, MCU_SE_COS, 2, &act);
    ck_assert_uint_eq(nroutes, 0);
}

static const uint8_t SEL_CM[] = { 0x00, 0xA4, 0x04, 0x00, 0x0A, 0xA0, 0x00,
                                  0x00, 0x09, 0x99, 0x43, 0x53, 0x4D, 0x47,
                                  0x52 };
static const uint8_t SEL_CM_LE[] = { 0x00, 0xA4, 0x04, 0x00, 0x0A, 0xA0,
                                     0x00, 0x00, 0x09, 0x99, 0x43, 0x53,
                                     0x4D, 0x47, 0x52, 0x00 };
static const uint8_t LIST[] = { 0x80, 0x10, 0x00, 0x00, 0x00 };
static const uint8_t CLOSE[] = { 0x80, 0x16, 0x00, 0x00 };
static const uint8_t SEL_APP[] = { 0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00,
                                   0x00, 0x09, 0x99, 0x01, 0x00 };
static const uint8_t READ[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
static const uint8_t BEGIN[] = { 0x80, 0xE6, 0x00, 0x00, 0x02, 0xAA, 0xBB };
static const uint8_t OK[] = { 0x90, 0x00 };
static const uint8_t NOTFOUND[] = { 0x6A, 0x82 };

static void apdu(const uint8_t *a, size_t n)
{
    router_apdu(&r, NFC, a, n, &act);
}
#define APDU(x) apdu(x, sizeof x)

static void cm_cmd(uint8_t ins, uint8_t p1, bool le)
{
    static uint8_t c[5];
    c[0] = CM_CLA;
    c[1] = ins;
    c[2] = p1;
    c[3] = 0;
    c[4] = 0;
    apdu(c, le ? 5 : 4);
}

static void expect_reply(const uint8_t *b, size_t n)
{
    ck_assert_uint_eq(act.kind, ROUTER_ACT_REPLY);
    ck_assert_uint_eq(act.chan, NFC);
    ck_assert_uint_eq(act.len, n);
    ck_assert_mem_eq(act.data, b, n);
}

static void expect_sw(uint16_t sw)
{
    uint8_t b[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
    expect_reply(b, 2);
}

static void expect_send(unsigned se, const uint8_t *a, size_t n)
{
    ck_assert_uint_eq(act.kind, ROUTER_ACT_SEND);
    ck_assert_uint_eq(act.se, se);
    ck_assert_uint_eq(act.len, n);
    ck_assert_mem_eq(act.data, a, n);
    ck_assert(router_busy(&r));
}

/* The ROUTE words since the last call, exactly. */
static void expect_routes(unsigned n, ...)
{
    va_list ap;
    va_start(ap, n);
    ck_assert_uint_eq(nroutes, n);
    for (unsigned i = 0; i < n; i++)
        ck_assert_uint_eq(routes[i], va_arg(ap, unsigned));
    va_end(ap);
    nroutes = 0;
}

static void se_answers(unsigned se, const uint8_t *rsp, size_t n)
{
    router_se_done(&r, se, ROUTER_SE_OK, rsp, n, &act);
}

START_TEST(route_word_layout)
{
    ck_assert_uint_eq(MCU_ROUTE(1, MCU_CHAN_NFC, MCU_ROUTE_SESSION), 0x111);
    ck_assert_uint_eq(MCU_ROUTE(15, MCU_CHAN_NFC, MCU_ROUTE_NO_AID), 0x71F);
}
END_TEST

START_TEST(select_cm)
{
    APDU(SEL_CM);
    expect_sw(0x9000);
    ck_assert(r.ch[NFC].cm_selected);
    ck_assert(!router_busy(&r));
    APDU(SEL_CM_LE);
    expect_sw(0x9000);
    expect_routes(0);
}
END_TEST

START_TEST(list_records)
{
    APDU(SEL_CM);
    APDU(LIST);
    static const uint8_t want[] = { 0x00, 0x02, 0x01, 0x00,
                                    0x01, 0x01, 0x01, 0x00,
                                    0x02, 0x02, 0x02, 0x00, 0x90, 0x00 };
    expect_reply(want, sizeof want);
    /* case 1 works too; wrong P1/P2, data, unknown INS, CLA */
    cm_cmd(CM_INS_LIST, 0, false);
    expect_reply(want, sizeof want);
    cm_cmd(CM_INS_LIST, 1, true);
    expect_sw(CM_SW_WRONG_P1P2);
    static const uint8_t with_data[] = { 0x80, 0x10, 0x00, 0x00, 0x01, 0x00 };
    APDU(with_data);
    expect_sw(CM_SW_LENGTH);
    cm_cmd(0x20, 0, true);
    expect_sw(CM_SW_INS);
    static const uint8_t cla84[] = { 0x84, 0x10, 0x00, 0x00, 0x00 };
    APDU(cla84);
    expect_sw(CM_SW_NO_SESSION); /* not CLA 80: not the card manager's */
    expect_routes(0);
}
END_TEST

START_TEST(list_needs_cm_selected)
{
    APDU(LIST);
    expect_sw(CM_SW_NO_SESSION);
    cm_cmd(CM_INS_OPEN, 1, false);
    expect_sw(CM_SW_NO_SESSION);
    APDU(READ);
    expect_sw(CM_SW_NO_SESSION);
    expect_routes(0);
}
END_TEST

START_TEST(open_forward_close)
{
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 1, false);
    expect_sw(0x9000);
    expect_routes(1, 0x111);
    APDU(LIST);
    static const uint8_t want[] = { 0x00, 0x02, 0x01, 0x00,
                                    0x01, 0x01, 0x01, 0x01,
                                    0x02, 0x02, 0x02, 0x00, 0x90, 0x00 };
    expect_reply(want, sizeof want);
    /* the loader's commands go to SE 1, unchanged */
    APDU(BEGIN);
    expect_send(1, BEGIN, sizeof BEGIN);
    static const uint8_t rsp[] = { 0x01, 0x02, 0x90, 0x00 };
    se_answers(1, rsp, sizeof rsp);
    expect_reply(rsp, sizeof rsp);
    ck_assert(!router_busy(&r));
    APDU(READ);
    expect_send(1, READ, sizeof READ);
    se_answers(1, NOTFOUND, 2);
    expect_reply(NOTFOUND, 2);
    APDU(CLOSE);
    expect_sw(0x9000);
    expect_routes(1, 0x511);
    APDU(READ);
    expect_sw(CM_SW_NO_SESSION);
    /* CLOSE without a session: 9000, nothing to trace */
    APDU(CLOSE);
    expect_sw(0x9000);
    expect_routes(0);
}
END_TEST

START_TEST(open_other_se_closes_first)
{
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 1, false);
    cm_cmd(CM_INS_OPEN, 2, false);
    expect_sw(0x9000);
    expect_routes(3, 0x111, 0x511, 0x112);
    /* the card manager's SELECT ends the session */
    APDU(SEL_CM);
    expect_sw(0x9000);
    expect_routes(1, 0x512);
}
END_TEST

START_TEST(open_refused)
{
    router_set_se(&r, 0, MCU_SE_CONTACT, 1, &act);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);
    router_set_se(&r, 2, MCU_SE_ABSENT, 0, &act);
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 0, false);
    expect_sw(CM_SW_CONTACT);
    expect_routes(1, 0x310);
    cm_cmd(CM_INS_OPEN, 2, false);
    expect_sw(CM_SW_SE_MUTE);
    expect_routes(1, 0x412);
    cm_cmd(CM_INS_OPEN, 3, false);
    expect_sw(CM_SW_NO_SE);
    static const uint8_t p2[] = { 0x80, 0x12, 0x01, 0x01 };
    APDU(p2);
    expect_sw(CM_SW_WRONG_P1P2);
    expect_routes(0);
    APDU(READ);
    expect_sw(CM_SW_NO_SESSION);
    /* RESET of a pads-owned SE is refused too */
    cm_cmd(CM_INS_RESET, 0, true);
    expect_sw(CM_SW_CONTACT);
    expect_routes(1, 0x310);
}
END_TEST

START_TEST(reset_returns_new_record)
{
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 1, false);
    expect_routes(1, 0x111);
    cm_cmd(CM_INS_RESET, 1, true);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_RESET);
    ck_assert_uint_eq(act.se, 1);
    ck_assert(router_busy(&r));
    /* after an update SE 1 boots COS version 2; the session stays */
    router_set_se(&r, 1, MCU_SE_COS, 2, &act);
    static const uint8_t want[] = { 0x01, 0x02, 0x02, 0x01, 0x90, 0x00 };
    expect_reply(want, sizeof want);
    ck_assert(!router_busy(&r));
    expect_routes(0);
    /* RESET of an SE without a session: no flag; ABSENT after it */
    cm_cmd(CM_INS_RESET, 0, true);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_RESET);
    router_set_se(&r, 0, MCU_SE_ABSENT, 0, &act);
    static const uint8_t want0[] = { 0x00, 0x00, 0x00, 0x00, 0x90, 0x00 };
    expect_reply(want0, sizeof want0);
}
END_TEST

START_TEST(aid_routing_order)
{
    /* COS SEs in index order (0, 2); the loader (1) is skipped */
    APDU(SEL_APP);
    expect_send(0, SEL_APP, sizeof SEL_APP);
    se_answers(0, NOTFOUND, 2);
    expect_send(2, SEL_APP, sizeof SEL_APP);
    static const uint8_t fci[] = { 0x6F, 0x00, 0x90, 0x00 };
    se_answers(2, fci, sizeof fci);
    expect_reply(fci, sizeof fci);
    expect_routes(1, 0x212);
    ck_assert(!r.ch[NFC].cm_selected);
    /* now everything goes to SE 2, card manager commands too */
    APDU(READ);
    expect_send(2, READ, sizeof READ);
    se_answers(2, OK, 2);
    expect_reply(OK, 2);
    APDU(LIST);
    expect_send(2, LIST, sizeof LIST);
    se_answers(2, OK, 2);
    /* a SELECT inside the session goes to the session's SE */
    APDU(SEL_APP);
    expect_send(2, SEL_APP, sizeof SEL_APP);
    se_answers(2, NOTFOUND, 2);
    expect_reply(NOTFOUND, 2);
    expect_routes(0);
}
END_TEST

START_TEST(aid_first_wins)
{
    APDU(SEL_APP);
    expect_send(0, SEL_APP, sizeof SEL_APP);
    se_answers(0, OK, 2);
    expect_reply(OK, 2);
    expect_routes(1, 0x210);
}
END_TEST

START_TEST(aid_not_found)
{
    APDU(SEL_APP);
    se_answers(0, NOTFOUND, 2);
    /* SE 2 mute: counts as not having it */
    router_se_done(&r, 2, ROUTER_SE_MUTE, NULL, 0, &act);
    expect_sw(CM_SW_NO_SE);
    expect_routes(1, 0x71F);
    ck_assert(!router_busy(&r));
    APDU(READ);
    expect_sw(CM_SW_NO_SESSION);
    /* no COS at all: answered at once */
    router_set_se(&r, 0, MCU_SE_LOADER, 1, &act);
    router_set_se(&r, 2, MCU_SE_CONTACT, 2, &act);
    APDU(SEL_APP);
    expect_sw(CM_SW_NO_SE);
    expect_routes(1, 0x71F);
}
END_TEST

START_TEST(pads_take_over)
{
    APDU(SEL_APP);
    se_answers(0, OK, 2);
    expect_routes(1, 0x210);
    APDU(READ);
    expect_send(0, READ, sizeof READ);
    /* the reader takes SE 0 mid-exchange: the phone gets 6985 at once */
    router_set_se(&r, 0, MCU_SE_CONTACT, 1, &act);
    expect_sw(CM_SW_CONTACT);
    expect_routes(1, 0x610);
    ck_assert(!router_busy(&r));
    /* while the pads own it, every APDU of the session is refused */
    APDU(READ);
    expect_sw(CM_SW_CONTACT);
    expect_routes(1, 0x310);
    APDU(SEL_CM);
    expect_sw(0x9000);
    expect_routes(1, 0x510);
    cm_cmd(CM_INS_OPEN, 0, false);
    expect_sw(CM_SW_CONTACT);
    expect_routes(1, 0x310);
    /* the AID search skips it */
    APDU(SEL_APP);
    expect_send(2, SEL_APP, sizeof SEL_APP);
}
END_TEST

START_TEST(pads_release_ends_session)
{
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 1, false);
    expect_routes(1, 0x111);
    router_set_se(&r, 1, MCU_SE_CONTACT, 1, &act);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);  /* nothing in flight */
    APDU(BEGIN);
    expect_sw(CM_SW_CONTACT);
    expect_routes(1, 0x311);
    /* re-activated after the pads let go: the SE was reset */
    router_set_se(&r, 1, MCU_SE_LOADER, 1, &act);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);
    expect_routes(1, 0x511);
    /* the card manager is still current: CLA 80 is its, other CLAs
     * have no session */
    APDU(BEGIN);
    expect_sw(CM_SW_INS);
    APDU(READ);
    expect_sw(CM_SW_NO_SESSION);
}
END_TEST

START_TEST(field_off_cuts_exchange)
{
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 1, false);
    APDU(BEGIN);
    expect_send(1, BEGIN, sizeof BEGIN);
    expect_routes(1, 0x111);
    router_end(&r, NFC);
    expect_routes(2, 0x511, 0x611);
    ck_assert(router_busy(&r));     /* until the SE has answered */
    ck_assert(!r.ch[NFC].cm_selected);
    se_answers(1, OK, 2);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);
    ck_assert(!router_busy(&r));
    APDU(LIST);
    expect_sw(CM_SW_NO_SESSION);
    expect_routes(0);
}
END_TEST

START_TEST(se_mute_in_session)
{
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 2, false);
    expect_routes(1, 0x112);
    APDU(READ);
    router_se_done(&r, 2, ROUTER_SE_MUTE, NULL, 0, &act);
    expect_sw(CM_SW_SE_MUTE);
    expect_routes(1, 0x412);
    /* the link died: the SE is ABSENT, the session refuses */
    router_set_se(&r, 2, MCU_SE_ABSENT, 0, &act);
    APDU(READ);
    expect_sw(CM_SW_SE_MUTE);
    expect_routes(1, 0x412);
}
END_TEST

START_TEST(stale_answers_ignored)
{
    se_answers(0, OK, 2);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);
    APDU(SEL_APP);
    se_answers(1, OK, 2);           /* not the SE asked */
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);
    ck_assert(router_busy(&r));
    /* an APDU while busy (the caller's mistake) is answered 6F00 */
    APDU(READ);
    expect_sw(CM_SW_SE_MUTE);
}
END_TEST

/* A C-APDU on BLE; its answer must come back on BLE. */
static void ble(const uint8_t *a, size_t n)
{
    router_apdu(&r, BLE, a, n, &act);
}
#define BLE_APDU(x) ble(x, sizeof x)

static void expect_ble_sw(uint16_t sw)
{
    uint8_t b[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
    ck_assert_uint_eq(act.kind, ROUTER_ACT_REPLY);
    ck_assert_uint_eq(act.chan, BLE);
    ck_assert_uint_eq(act.len, 2);
    ck_assert_mem_eq(act.data, b, 2);
}

START_TEST(sessions_per_channel)
{
    /* NFC opens SE 1, BLE opens SE 0: neither closes the other */
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 1, false);
    expect_sw(0x9000);
    BLE_APDU(SEL_CM);
    expect_ble_sw(0x9000);
    ck_assert(r.ch[BLE].cm_selected);
    static const uint8_t open0[] = { 0x80, 0x12, 0x00, 0x00 };
    BLE_APDU(open0);
    expect_ble_sw(0x9000);
    expect_routes(2, 0x111, 0x120);
    /* LIST on BLE flags BLE's session's SE */
    BLE_APDU(LIST);
    static const uint8_t want[] = { 0x00, 0x02, 0x01, 0x01,
                                    0x01, 0x01, 0x01, 0x00,
                                    0x02, 0x02, 0x02, 0x00, 0x90, 0x00 };
    ck_assert_uint_eq(act.chan, BLE);
    ck_assert_uint_eq(act.len, sizeof want);
    ck_assert_mem_eq(act.data, want, sizeof want);
    /* each channel's APDU goes to its own session's SE */
    BLE_APDU(READ);
    expect_send(0, READ, sizeof READ);
    ck_assert_uint_eq(act.chan, BLE);
    se_answers(0, OK, 2);
    ck_assert_uint_eq(act.chan, BLE);
    APDU(READ);
    expect_send(1, READ, sizeof READ);
    se_answers(1, OK, 2);
    expect_reply(OK, 2);
    /* a BLE SELECT of the card manager closes BLE's session only */
    BLE_APDU(SEL_CM);
    expect_routes(1, 0x520);
    APDU(READ);
    expect_send(1, READ, sizeof READ);
    se_answers(1, OK, 2);
    /* the link's end: BLE's state only */
    BLE_APDU(open0);
    router_end(&r, BLE);
    expect_routes(2, 0x120, 0x520);
    ck_assert(!r.ch[BLE].cm_selected);
    ck_assert(r.ch[NFC].cm_selected);
    ck_assert_uint_eq(r.ch[NFC].sess, ROUTER_SESS_OPEN);
    BLE_APDU(READ);
    expect_ble_sw(CM_SW_NO_SESSION);
}
END_TEST

START_TEST(aid_session_on_ble)
{
    BLE_APDU(SEL_APP);
    expect_send(0, SEL_APP, sizeof SEL_APP);
    se_answers(0, NOTFOUND, 2);
    expect_send(2, SEL_APP, sizeof SEL_APP);
    se_answers(2, OK, 2);
    ck_assert_uint_eq(act.chan, BLE);
    expect_routes(1, 0x222);
    ck_assert_uint_eq(r.ch[BLE].sess, ROUTER_SESS_AID);
    ck_assert_uint_eq(r.ch[NFC].sess, ROUTER_SESS_NONE);
    APDU(READ);
    expect_sw(CM_SW_NO_SESSION);
}
END_TEST

START_TEST(one_exchange_for_the_card)
{
    APDU(SEL_CM);
    cm_cmd(CM_INS_OPEN, 1, false);
    static const uint8_t open0[] = { 0x80, 0x12, 0x00, 0x00 };
    BLE_APDU(SEL_CM);
    BLE_APDU(open0);
    expect_routes(2, 0x111, 0x120);
    APDU(READ);
    expect_send(1, READ, sizeof READ);
    /* BLE must wait: the caller holds it while busy */
    ck_assert(router_busy(&r));
    se_answers(1, OK, 2);
    expect_reply(OK, 2);
    BLE_APDU(READ);
    expect_send(0, READ, sizeof READ);
}
END_TEST

START_TEST(ble_cancel_keeps_session)
{
    static const uint8_t open0[] = { 0x80, 0x12, 0x00, 0x00 };
    BLE_APDU(SEL_CM);
    BLE_APDU(open0);
    BLE_APDU(READ);
    expect_send(0, READ, sizeof READ);
    router_cancel(&r, NFC);             /* not NFC's: nothing */
    router_cancel(&r, BLE);
    expect_routes(2, 0x120, 0x620);
    ck_assert(router_busy(&r));         /* it finishes on the SE */
    se_answers(0, OK, 2);
    ck_assert_uint_eq(act.kind, ROUTER_ACT_NONE);
    ck_assert(!router_busy(&r));
    router_cancel(&r, BLE);             /* nothing in flight */
    expect_routes(0);
    BLE_APDU(READ);
    expect_send(0, READ, sizeof READ);
}
END_TEST

Suite *make_mcu_router_suite(void)
{
    Suite *s = suite_create("mcu_router");
    TCase *tc = tcase_create("router");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, route_word_layout);
    tcase_add_test(tc, select_cm);
    tcase_add_test(tc, list_records);
    tcase_add_test(tc, list_needs_cm_selected);
    tcase_add_test(tc, open_forward_close);
    tcase_add_test(tc, open_other_se_closes_first);
    tcase_add_test(tc, open_refused);
    tcase_add_test(tc, reset_returns_new_record);
    tcase_add_test(tc, aid_routing_order);
    tcase_add_test(tc, aid_first_wins);
    tcase_add_test(tc, aid_not_found);
    tcase_add_test(tc, pads_take_over);
    tcase_add_test(tc, pads_release_ends_session);
    tcase_add_test(tc, field_off_cuts_exchange);
    tcase_add_test(tc, se_mute_in_session);
    tcase_add_test(tc, stale_answers_ignored);
    tcase_add_test(tc, sessions_per_channel);
    tcase_add_test(tc, aid_session_on_ble);
    tcase_add_test(tc, one_exchange_for_the_card);
    tcase_add_test(tc, ble_cancel_keeps_session);
    suite_add_tcase(s, tc);
    return s;
}
