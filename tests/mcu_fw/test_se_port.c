/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/test_se_port.c - one SE line of the MCU (firmware/mcu/
 * se_port.c) over the fake HAL, the SE's side played byte by byte:
 * activation timing (RST low 500 CLK, the 40 000 CLK ATR window), the
 * loader's ATR, PPS 96, S(IFS) 254, an exchange with S(WTX), BWT and CWT
 * expiry, a refused PPS, a mute SE. Times in core cycles (16 MHz; CLK is
 * 4 MHz, so 4 core cycles per CLK; etu 372 = 1488, etu 16 = 64). */
#include <check.h>
#include <string.h>

#include "fake_hal.h"
#include "mcu_fw_tests.h"
#include "regs/mcu_iso.h"
#include "regs/mcu_sysctl.h"
#include "router.h"
#include "se_port.h"

#define VCC MCU_ISO_CTRL_VCC
#define CLK MCU_ISO_CTRL_CLKEN
#define RST MCU_ISO_CTRL_RST

static se_port_t port;
static uint8_t tx[FAKE_BUF];

static const uint8_t ATR_LDR[] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81, 0x31,
                                   0xFE, 0x45, 0x43, 0x53, 0x4C, 0x44, 0x52,
                                   0x01, 0x20 };
static const uint8_t PPS[] = { 0xFF, 0x11, 0x96, 0x78 };
static const uint8_t IFS_REQ[] = { 0x00, 0xC1, 0x01, 0xFE, 0x3E };
static const uint8_t IFS_RSP[] = { 0x00, 0xE1, 0x01, 0xFE, 0x1E };

static void setup(void)
{
    fake_reset();
    fake_now = 1000;
    se_port_init(&port, 2);
}

static uint32_t deadline(void)
{
    uint32_t w = 0;
    ck_assert(se_port_deadline(&port, &w));
    return w;
}

static unsigned poll_at(uint32_t t)
{
    fake_now = t;
    return se_port_poll(&port, t);
}

static void expect_tx(const uint8_t *b, size_t n)
{
    size_t k = fake_take_tx(2, tx, sizeof tx);
    ck_assert_uint_eq(k, n);
    ck_assert_mem_eq(tx, b, n);
}

static void se_sends(uint32_t t, const uint8_t *b, size_t n)
{
    fake_now = t;
    fake_rx(2, b, n);
}

/* Power-on to the end of S(IFS), checking every step's time. */
static void activate_loader(void)
{
    se_port_activate(&port);
    ck_assert_uint_eq(fake_iso[2].nctrl, 2);
    ck_assert_uint_eq(fake_iso[2].ctrl_log[0], VCC);
    ck_assert_uint_eq(fake_iso[2].ctrl_log[1], VCC | CLK);
    ck_assert_uint_eq(fake_iso[2].etu, 372);
    /* RST low for 500 CLK */
    ck_assert_uint_eq(deadline(), 1000 + 500 * 4);
    ck_assert_uint_eq(poll_at(2999), 0);
    ck_assert_uint_eq(fake_iso[2].ctrl, VCC | CLK);
    ck_assert_uint_eq(poll_at(3000), 0);
    ck_assert_uint_eq(fake_iso[2].ctrl, VCC | CLK | RST);
    /* the ATR window: 40 000 CLK + 12 etu for its RXNE */
    ck_assert_uint_eq(deadline(), 3000 + 160000 + 12 * 1488);
    se_sends(50000, ATR_LDR, sizeof ATR_LDR);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), 0);
    /* PPS after the turnaround: 13 etu since the last character */
    ck_assert_uint_eq(deadline(), 50000 + 13 * 1488);
    ck_assert_uint_eq(poll_at(deadline()), 0);
    expect_tx(PPS, sizeof PPS);
    ck_assert_uint_eq(deadline(), 50000 + 13 * 1488 + (9600 + 60) * 1488);
    se_sends(100000, PPS, sizeof PPS);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), 0);
    ck_assert_uint_eq(fake_iso[2].etu, 16);
    ck_assert_uint_eq(port.fi, 512);
    ck_assert_uint_eq(port.di, 32);
    /* S(IFS) 16 etu of the old rate later */
    ck_assert_uint_eq(deadline(), 100000 + 16 * 1488);
    ck_assert_uint_eq(poll_at(deadline()), 0);
    expect_tx(IFS_REQ, sizeof IFS_REQ);
    /* BWT: 11 etu + 2^4 * 960 * 372 CLK at Fi 512 / Di 32, plus the
     * block's own 5 x 12 etu */
    ck_assert_uint_eq(deadline(),
                      100000 + 16 * 1488 + (176 + 5713920) * 4 + 60 * 64);
    se_sends(200000, IFS_RSP, sizeof IFS_RSP);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), SE_PORT_EV_STATE);
    ck_assert_uint_eq(port.state, MCU_SE_LOADER);
    ck_assert_uint_eq(port.version, 1);
    ck_assert_uint_eq(t1_ifsd(&port.t1), 254);
    ck_assert(!se_port_deadline(&port, &(uint32_t){ 0 }));
}

START_TEST(activation_loader)
{
    activate_loader();
    ck_assert_uint_eq(port.activations, 1);
}
END_TEST

START_TEST(activation_cos_version)
{
    static const uint8_t atr[] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81, 0x31,
                                   0xFE, 0x45, 'C', 'S', 'C', 'O', 'S',
                                   0x02, 0x00 };
    uint8_t a[sizeof atr];
    memcpy(a, atr, sizeof a);
    uint8_t tck = 0;
    for (size_t i = 1; i + 1 < sizeof a; i++)
        tck ^= a[i];
    a[sizeof a - 1] = tck;
    se_port_activate(&port);
    poll_at(3000);
    se_sends(40000, a, sizeof a);
    se_port_poll(&port, fake_now);
    poll_at(deadline());
    expect_tx(PPS, sizeof PPS);
    se_sends(60000, PPS, sizeof PPS);
    se_port_poll(&port, fake_now);
    poll_at(deadline());
    expect_tx(IFS_REQ, sizeof IFS_REQ);
    se_sends(90000, IFS_RSP, sizeof IFS_RSP);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), SE_PORT_EV_STATE);
    ck_assert_uint_eq(port.state, MCU_SE_COS);
    ck_assert_uint_eq(port.version, 2);
}
END_TEST

START_TEST(exchange_with_wtx)
{
    activate_loader();
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    ck_assert_int_eq(se_port_transmit(&port, status, sizeof status), 0);
    ck_assert_int_eq(se_port_transmit(&port, status, sizeof status), -1);
    /* BGT: 13 etu of 64 after the S(IFS) response */
    ck_assert_uint_eq(deadline(), 200000 + 13 * 64);
    ck_assert_uint_eq(poll_at(deadline()), 0);
    static const uint8_t blk[] = { 0x00, 0x00, 0x05, 0x80, 0xF2, 0x00, 0x00,
                                   0x00, 0x77 };
    expect_tx(blk, sizeof blk);
    /* the SE asks for more time */
    static const uint8_t wtx_req[] = { 0x00, 0xC3, 0x01, 0x02, 0xC0 };
    se_sends(300000, wtx_req, sizeof wtx_req);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), 0);
    poll_at(deadline());
    static const uint8_t wtx_rsp[] = { 0x00, 0xE3, 0x01, 0x02, 0xE0 };
    expect_tx(wtx_rsp, sizeof wtx_rsp);
    ck_assert_uint_eq(port.wtx_seen, 1);
    /* the next wait is BWT x 2 */
    uint32_t t = 300000 + 13 * 64;
    ck_assert_uint_eq(deadline(), t + 2 * (176 + 5713920) * 4 + 60 * 64);
    static const uint8_t rsp[] = { 0x00, 0x00, 0x04, 0x01, 0x02, 0x90, 0x00,
                                   0x97 };
    se_sends(t + 40000000, rsp, sizeof rsp);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), SE_PORT_EV_DONE);
    ck_assert_int_eq(port.result, ROUTER_SE_OK);
    ck_assert_uint_eq(port.rsp_len, 4);
    static const uint8_t want[] = { 0x01, 0x02, 0x90, 0x00 };
    ck_assert_mem_eq(port.rsp, want, 4);
    ck_assert(!se_port_deadline(&port, &(uint32_t){ 0 }));
}
END_TEST

START_TEST(bwt_and_cwt_expiry)
{
    activate_loader();
    static const uint8_t cmd[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
    se_port_transmit(&port, cmd, sizeof cmd);
    poll_at(deadline());
    fake_take_tx(2, tx, sizeof tx);
    /* BWT runs out: R(0) with error 2 ("other") */
    uint32_t bwt = deadline();
    ck_assert_uint_eq(poll_at(bwt - 1), 0);
    poll_at(bwt);   /* sent at once: BGT is long over */
    static const uint8_t r_other[] = { 0x00, 0x82, 0x00, 0x82 };
    expect_tx(r_other, sizeof r_other);
    /* half a block, then silence for CWT (11 + 2^5 etu, +2) */
    static const uint8_t half[] = { 0x00, 0x00, 0x04, 0x01 };
    se_sends(fake_now + 100000, half, sizeof half);
    uint32_t t = fake_now;
    se_port_poll(&port, t);
    ck_assert_uint_eq(deadline(), t + (43 + 2) * 64);
    poll_at(deadline());
    static const uint8_t r_edc[] = { 0x00, 0x81, 0x00, 0x81 };
    expect_tx(r_edc, sizeof r_edc);
    /* then the whole answer */
    static const uint8_t rsp[] = { 0x00, 0x00, 0x02, 0x90, 0x00, 0x92 };
    se_sends(fake_now + 5000, rsp, sizeof rsp);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), SE_PORT_EV_DONE);
    ck_assert_int_eq(port.result, ROUTER_SE_OK);
    ck_assert_uint_eq(port.rsp_len, 2);
}
END_TEST

START_TEST(no_atr_absent)
{
    se_port_activate(&port);
    poll_at(3000);
    uint32_t d = deadline();
    ck_assert_uint_eq(poll_at(d - 1), 0);
    ck_assert_uint_eq(poll_at(d), SE_PORT_EV_STATE);
    ck_assert_uint_eq(port.state, MCU_SE_ABSENT);
    ck_assert_uint_eq(fake_iso[2].ctrl, 0);     /* deactivated */
    ck_assert(!port.powered);
    static const uint8_t cmd[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
    ck_assert_int_eq(se_port_transmit(&port, cmd, sizeof cmd), -1);
}
END_TEST

START_TEST(pps_unanswered_resets_without_pps)
{
    se_port_activate(&port);
    poll_at(3000);
    se_sends(50000, ATR_LDR, sizeof ATR_LDR);
    se_port_poll(&port, fake_now);
    poll_at(deadline());
    expect_tx(PPS, sizeof PPS);
    /* no answer within the initial waiting time: warm reset */
    uint32_t d = deadline();
    ck_assert_uint_eq(poll_at(d), 0);
    ck_assert_uint_eq(fake_iso[2].ctrl, VCC | CLK);   /* RST low again */
    ck_assert_uint_eq(deadline(), d + 2000);
    poll_at(deadline());
    ck_assert_uint_eq(fake_iso[2].ctrl, VCC | CLK | RST);
    /* a character ending sooner than TS can (400 CLK + 10 etu after RST
     * rose: 16 480 core cycles) began before the reset: ignored */
    se_sends(fake_now + 16479, (const uint8_t[]){ 0x3B }, 1);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), 0);
    se_sends(fake_now + 20000, ATR_LDR, sizeof ATR_LDR);
    se_port_poll(&port, fake_now);
    /* no PPS this time: S(IFS) at 372 */
    poll_at(deadline());
    expect_tx(IFS_REQ, sizeof IFS_REQ);
    ck_assert_uint_eq(fake_iso[2].etu, 372);
    se_sends(fake_now + 100000, IFS_RSP, sizeof IFS_RSP);
    ck_assert_uint_eq(se_port_poll(&port, fake_now), SE_PORT_EV_STATE);
    ck_assert_uint_eq(port.state, MCU_SE_LOADER);
    ck_assert_uint_eq(port.activations, 1);
}
END_TEST

START_TEST(hold_and_reactivate)
{
    activate_loader();
    static const uint8_t cmd[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
    se_port_transmit(&port, cmd, sizeof cmd);
    se_port_hold(&port);
    ck_assert_uint_eq(port.state, MCU_SE_CONTACT);
    ck_assert_uint_eq(fake_iso[2].ctrl, 0);
    ck_assert(!se_port_deadline(&port, &(uint32_t){ 0 }));
    ck_assert_uint_eq(poll_at(fake_now + 100000000), 0);  /* no event */
    /* the pads let go: a cold activation */
    fake_iso[2].nctrl = 0;
    fake_now = 5000000;
    se_port_activate(&port);
    ck_assert_uint_eq(fake_iso[2].ctrl_log[0], VCC);
    ck_assert_uint_eq(deadline(), 5000000 + 2000);
}
END_TEST

Suite *make_mcu_se_port_suite(void)
{
    Suite *s = suite_create("mcu_se_port");
    TCase *tc = tcase_create("se_port");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, activation_loader);
    tcase_add_test(tc, activation_cos_version);
    tcase_add_test(tc, exchange_with_wtx);
    tcase_add_test(tc, bwt_and_cwt_expiry);
    tcase_add_test(tc, no_atr_absent);
    tcase_add_test(tc, pps_unanswered_resets_without_pps);
    tcase_add_test(tc, hold_and_reactivate);
    suite_add_tcase(s, tc);
    return s;
}
