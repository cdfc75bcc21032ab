/* SPDX-License-Identifier: MIT */
/* tests/se_rom/test_rom_link.c - the ROM from reset through the ISO 7816
 * link (rom_run: reset cause, boot check, loader ATR, PPS, T=1) against
 * the scripted terminal of fake_term.c: a whole update over T=1 then a
 * warm reset that boots the COS; the ATR bytes and window; PPS accepted,
 * partially accepted and refused; chaining both ways; S(WTX) before long
 * work; recovery from broken blocks; contactless mode. */
#include <stdlib.h>
#include <string.h>

#include "apdu.h"
#include "fake_term.h"
#include "harness.h"
#include "regs/iso7816_uart.h"
#include "regs/se_sysctl.h"
#include "rom_boot.h"
#include "rom_link.h"
#include "rom_run.h"

static test_image_t *im;

static void setup(void)
{
    h_setup();
    im = malloc(sizeof *im);
    ck_assert_ptr_nonnull(im);
    test_image_make(im, 1, 2600, 1);
}

static void teardown(void)
{
    free(im);
    h_teardown();
}

/* The whole update as a terminal script: BEGIN, LOADs, STATUS, COMMIT. */
static void script_update(const test_image_t *m)
{
    uint8_t a[APDU_SHORT_MAX];
    fake_term_add(a, test_apdu_begin(a, &m->hdr));
    for (uint32_t n = 0; n < m->nblocks; n++)
        fake_term_add(a, test_apdu_load(a, m, n));
    fake_term_add(a, test_apdu_status(a));
    fake_term_add(a, test_apdu_commit(a));
}

static void assert_update_responses(const test_image_t *m)
{
    ck_assert_msg(term.err[0] == 0, "terminal: %s", term.err);
    ck_assert_uint_eq(term.nresp, m->nblocks + 3);
    for (size_t i = 0; i < term.nresp; i++)
        ck_assert_msg(fake_term_sw(i) == SW_OK, "response %zu: %04x", i,
                      fake_term_sw(i));
    /* STATUS: 02, next = nblocks, version */
    const uint8_t *st = term.resp[m->nblocks + 1];
    ck_assert_uint_eq(term.resp_len[m->nblocks + 1], 9);
    ck_assert_uint_eq(st[0], ROM_LD_LOADED);
    ck_assert_uint_eq((unsigned)st[1] << 8 | st[2], m->nblocks);
    ck_assert_uint_eq(st[6], m->hdr.version);
}

START_TEST(atr_bytes)
{
    static const uint8_t want[] = {
        0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45,
        'C', 'S', 'L', 'D', 'R', 0x01, 0x00 /* TCK below */
    };
    uint8_t tck = 0, atr[ATR_MAX_LEN];
    for (size_t i = 1; i < sizeof want - 1; i++)
        tck ^= want[i];
    ck_assert_int_eq(rom_link_atr(atr, sizeof atr), ROM_ATR_LEN);
    ck_assert_mem_eq(atr, want, sizeof want - 1);
    ck_assert_uint_eq(atr[15], tck);

    atr_t a;
    ck_assert_int_eq(atr_parse(atr, ROM_ATR_LEN, &a), ATR_OK);
    ck_assert_uint_eq(a.protocols, 1u << 1);
    ck_assert_uint_eq(a.fi, 512);
    ck_assert_uint_eq(a.di, 32);
    ck_assert_uint_eq(a.ifsc, 254);
    ck_assert_uint_eq(a.bwi, 4);
    ck_assert_uint_eq(a.cwi, 5);
    ck_assert_uint_eq(a.edc, ATR_EDC_LRC);
    ck_assert_int_eq(rom_link_atr(atr, 10), ATR_ERR_PARAM);
}
END_TEST

START_TEST(update_over_t1_then_warm_reset_boots)
{
    term.cfg.pps = true;
    script_update(im);
    fake.reset_cause = SYSCTL_RESETCAUSE_POR;
    ck_assert_uint_eq(rom_run(), 0);  /* loader, until "RST falls" */
    ck_assert_uint_eq(rom_reset_cause, SYSCTL_RESETCAUSE_POR);
    ck_assert_uint_eq(fake.reset_cause, 0);  /* cleared */
    ck_assert_uint_eq(rom_boot_result, ROM_ID_MAGIC);
    ck_assert_uint_eq(rom_port_mode, SYSCTL_PORTSRC_PADS);

    /* ATR: the loader's, TS within 400..40 000 CLK after RST */
    ck_assert_int_eq(term.atr_rc, ATR_OK);
    ck_assert_uint_eq(term.atr_len, ROM_ATR_LEN);
    ck_assert_mem_eq(term.parsed.hist, "CSLDR\x01", 6);
    ck_assert_uint_ge(fake.first_tx_clk, ROM_ATR_MIN_CLK);
    ck_assert_uint_le(fake.first_tx_clk, ROM_ATR_MAX_CLK);
    ck_assert_uint_eq(rom_link.atr_clk >= ROM_ATR_MIN_CLK, 1);

    /* PPS echoed at 372, then etu 16 (Fi 512 / Di 32) after a flush */
    ck_assert_uint_eq(term.pps_ans_len, 4);
    ck_assert_mem_eq(term.pps_ans, "\xFF\x11\x96\x78", 4);
    for (unsigned i = 0; i < ROM_ATR_LEN + 4; i++)
        ck_assert_uint_eq(fake.tx_etu[i], UART_ETU_DEFAULT);
    ck_assert_uint_eq(fake.tx_etu[ROM_ATR_LEN + 4], 16);
    ck_assert_uint_eq(fake.etu, 16);
    ck_assert_uint_eq(fake.etu_writes, 1);
    ck_assert(!fake.etu_write_unflushed);
    ck_assert_uint_eq(rom_link.pps1, 0x96);

    assert_update_responses(im);
    /* S(WTX) before BEGIN's signature check and COMMIT's hash */
    ck_assert_uint_eq(term.card_wtx, 2);
    ck_assert_uint_eq(rom_link.wtx_count, 2);
    /* BGT: at least 22 etu between a received block and the answer */
    ck_assert_uint_ge(fake.min_turnaround, 22u * 16u);

    /* warm reset: the boot runs again and finds the COS */
    unsigned starts = fake.uart_starts;
    fake_chip_reset(SYSCTL_RESETCAUSE_RSTPIN);
    ck_assert_uint_eq(rom_run(), SE_FLASH_IMAGE);
    ck_assert_uint_eq(rom_reset_cause, SYSCTL_RESETCAUSE_RSTPIN);
    ck_assert_uint_eq(rom_boot_result, ROM_ID_OK);
    ck_assert_uint_eq(fake.uart_starts, starts);  /* the loader did not run */
    ck_assert(h_image_in_flash(im));
}
END_TEST

START_TEST(no_pps_default_rate)
{
    script_update(im);
    ck_assert_uint_eq(rom_run(), 0);
    assert_update_responses(im);
    ck_assert(!term.pps_sent);
    ck_assert_uint_eq(fake.etu_writes, 0);
    ck_assert_uint_eq(fake.etu, UART_ETU_DEFAULT);
    ck_assert_uint_eq(rom_link.pps1, 0x11);
    ck_assert_uint_ge(fake.min_turnaround, 22u * UART_ETU_DEFAULT);
}
END_TEST

START_TEST(pps_partial_and_refused)
{
    uint8_t a[8];
    /* Di 64 is above the ATR's 32: answered without PPS1 (default rate) */
    term.cfg.pps = true;
    term.cfg.pps1 = 0x97;
    fake_term_add(a, test_apdu_status(a));
    ck_assert_uint_eq(rom_run(), 0);
    ck_assert_msg(term.err[0] == 0, "%s", term.err);
    ck_assert_uint_eq(term.pps_ans_len, 3);
    ck_assert_mem_eq(term.pps_ans, "\xFF\x01\xFE", 3);
    ck_assert_uint_eq(fake.etu, UART_ETU_DEFAULT);
    ck_assert_uint_eq(term.nresp, 1);
    ck_assert_uint_eq(fake_term_sw(0), SW_OK);

    /* T=0 was not offered: no answer at all */
    fake_reset();
    term.cfg.pps = true;
    term.cfg.pps_t = 0;
    fake_term_add(a, test_apdu_status(a));
    ck_assert_uint_eq(rom_run(), 0);
    ck_assert(term.pps_sent);
    ck_assert_uint_eq(term.pps_ans_len, 0);
    ck_assert_uint_eq(fake.tx_count, ROM_ATR_LEN);
    ck_assert_uint_eq(term.nresp, 0);
}
END_TEST

START_TEST(chaining_both_ways)
{
    /* terminal blocks of 32 bytes: BEGIN (133 bytes) and LOAD in 5; card
     * blocks of at most 4 (S(IFS)): STATUS's 9 bytes in 3 */
    term.cfg.ifsc = 32;
    term.cfg.ifsd = 4;
    script_update(im);
    ck_assert_uint_eq(rom_run(), 0);
    assert_update_responses(im);
    ck_assert_uint_ge(term.term_blocks, 5u * (im->nblocks + 1));
    /* the card's chained I-blocks (M bit) for STATUS */
    unsigned chained = 0;
    for (size_t i = 0; i < term.ncard_pcb; i++)
        if (T1_IS_I(term.card_pcb[i]) && (term.card_pcb[i] & T1_PCB_I_MORE))
            chained++;
    ck_assert_uint_eq(chained, 2);
    ck_assert_uint_eq(t1_ifsd(&rom_link.t1), 4);
    ck_assert_uint_eq(fake_term_sw(im->nblocks + 2), SW_OK);
}
END_TEST

static void recovery_case(int corrupt, int broken, int truncate)
{
    fake_reset();
    term.cfg.corrupt_block = corrupt;
    term.cfg.broken_char_block = broken;
    term.cfg.truncate_block = truncate;
    script_update(im);
    ck_assert_uint_eq(rom_run(), 0);
    assert_update_responses(im);
    /* the card answered the broken block with an R-block asking again */
    unsigned r_err = 0;
    for (size_t i = 0; i < term.ncard_pcb; i++)
        if (T1_IS_R(term.card_pcb[i]) && (term.card_pcb[i] & 0x03))
            r_err++;
    ck_assert_uint_eq(r_err, 1);
    ck_assert(h_image_in_flash(im));
}

START_TEST(recovery_from_broken_blocks)
{
    recovery_case(3, -1, -1);   /* wrong LRC: R-block, error 1 */
    recovery_case(-1, 7, -1);   /* parity error in a character */
    recovery_case(-1, -1, 11);  /* two characters missing: CWT */
    recovery_case(0, -1, -1);   /* the very first block (rule 7.5) */
}
END_TEST

START_TEST(contactless_mode_same_protocol)
{
    fake.portsrc = SYSCTL_PORTSRC_MCU;
    term.cfg.pps = true;
    script_update(im);
    ck_assert_uint_eq(rom_run(), 0);
    ck_assert_uint_eq(rom_port_mode, SYSCTL_PORTSRC_MCU);
    assert_update_responses(im);
    fake_chip_reset(SYSCTL_RESETCAUSE_SYSRESET);
    ck_assert_uint_eq(rom_run(), SE_FLASH_IMAGE);
}
END_TEST

START_TEST(refusal_over_t1)
{
    uint8_t a[APDU_SHORT_MAX];
    cos_image_header_t h = im->hdr;
    h.signature[0] ^= 1;
    fake_term_add(a, test_apdu_begin(a, &h));
    const uint8_t bad_cla[] = { 0x00, 0xF2, 0, 0, 0 };
    fake_term_add(bad_cla, sizeof bad_cla);
    fake_term_add(a, test_apdu_load(a, im, 0));
    h_snap();
    ck_assert_uint_eq(rom_run(), 0);
    ck_assert_uint_eq(term.nresp, 3);
    ck_assert_uint_eq(term.resp_len[0], 2);
    ck_assert_uint_eq(fake_term_sw(0), SW_SECURITY);
    ck_assert_uint_eq(fake_term_sw(1), SW_CLA_NOT_SUPPORTED);
    ck_assert_uint_eq(fake_term_sw(2), SW_CONDITIONS);
    ck_assert(h_same());
    ck_assert_uint_eq(term.card_wtx, 1);  /* BEGIN got as far as ECDSA */
}
END_TEST

Suite *make_rom_link_suite(void)
{
    Suite *s = suite_create("rom_link");
    TCase *tc = tcase_create("link");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, atr_bytes);
    tcase_add_test(tc, update_over_t1_then_warm_reset_boots);
    tcase_add_test(tc, no_pps_default_rate);
    tcase_add_test(tc, pps_partial_and_refused);
    tcase_add_test(tc, chaining_both_ways);
    tcase_add_test(tc, recovery_from_broken_blocks);
    tcase_add_test(tc, contactless_mode_same_protocol);
    tcase_add_test(tc, refusal_over_t1);
    suite_add_tcase(s, tc);
    return s;
}
