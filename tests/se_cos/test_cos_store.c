/* SPDX-License-Identifier: MIT */
/* tests/se_cos/test_cos_store.c - the COS data area (cos_store.c): the word
 * encoding and its tear property, CRC-32, journals (alternating pages,
 * erase when full, torn records skipped, never a program onto a programmed
 * word), the flash layout, and controller errors -> 6581 with the old
 * state kept. */
#include <stdio.h>
#include <string.h>

#include "cos_hal.h"
#include "cos_store.h"
#include "cos_util.h"
#include "se_cos_suites.h"

static uint32_t xs(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Every 16-bit value round-trips; a word with any extra 1 bit (a program
 * that stopped early, an erase that started) fails the check, as do the
 * erased word and zero. */
START_TEST(word_encoding)
{
    uint32_t seed = 12345;
    uint16_t v;
    ck_assert(!cos_word_dec(0xFFFFFFFFu, &v));
    ck_assert(!cos_word_dec(0x00000000u, &v));
    for (uint32_t x = 0; x <= 0xFFFF; x++) {
        uint32_t w = cos_word_enc((uint16_t)x);
        ck_assert(cos_word_dec(w, &v));
        ck_assert_uint_eq(v, x);
        ck_assert_uint_eq(__builtin_popcount(~w), 16);
        for (unsigned b = 0; b < 32; b++)
            if (!(w & (1u << b)))
                ck_assert(!cos_word_dec(w | 1u << b, &v));
        for (unsigned k = 0; k < 4; k++) {
            uint32_t m = xs(&seed) & ~w;
            if (m)
                ck_assert(!cos_word_dec(w | m, &v));
        }
    }
}
END_TEST

START_TEST(crc32_reference)
{
    ck_assert_uint_eq(cos_crc32(0, (const uint8_t *)"123456789", 9),
                      0xCBF43926u);
    ck_assert_uint_eq(cos_crc32(cos_crc32(0, (const uint8_t *)"1234", 4),
                                (const uint8_t *)"56789", 5),
                      0xCBF43926u);
    ck_assert_uint_eq(cos_crc32(0, NULL, 0), 0);
}
END_TEST

static void check_scan_matches(const cos_jrn_t *j)
{
    cos_jrn_t r = *j;
    cos_jrn_scan(&r);
    ck_assert_int_eq(r.valid, j->valid);
    ck_assert_uint_eq(r.page, j->page);
    ck_assert_uint_eq(r.seq, j->seq);
    ck_assert_mem_eq(r.pay, j->pay, j->npay * sizeof j->pay[0]);
}

/* Records alternate between the two pages; a page is erased only when a
 * record must go into it and it is full; the rescan always finds what the
 * cache says. The PIN journal: 6 words a record, 42 a page. */
START_TEST(journal_alternates_and_wraps)
{
    tu_fresh(1);
    cos_store_t *s = &tcos.store;
    cos_store_init(s);
    ck_assert(!s->pin.valid);
    ck_assert_uint_eq(cos_store_pin_tries(s), 3);
    for (unsigned i = 1; i <= 200; i++) {
        unsigned erases = fake.erases;
        ck_assert_int_eq(cos_store_pin_set(s, i % 4), COS_STORE_OK);
        ck_assert_uint_eq(s->pin.seq, i);
        ck_assert_uint_eq(s->pin.page, (i - 1) % 2);
        ck_assert_uint_eq(cos_store_pin_tries(s), i % 4);
        /* record i goes to slot ((i - 1) / 2) % 42 of its page: an erase
         * exactly when that wraps to 0 after the first round */
        unsigned slot = ((i - 1) / 2) % 42;
        ck_assert_uint_eq(fake.erases - erases, slot == 0 && i > 84);
        uint32_t a = COS_STORE_PIN_BASE + s->pin.page * SE_FLASH_PAGE +
                     slot * 24;
        ck_assert_uint_eq(fake_word(a), cos_word_enc(COS_STORE_TAG_PIN));
        check_scan_matches(&s->pin);
    }
    ck_assert_uint_eq(fake.unerased, 0);
    ck_assert_uint_eq(fake.bad_access, 0);
    /* only the PIN pages were touched */
    for (unsigned i = 0; i < fake.nlog; i++) {
        uint32_t a = fake.log[i].addr;
        ck_assert(a >= COS_STORE_PIN_BASE &&
                  a < COS_STORE_PIN_BASE + 2 * SE_FLASH_PAGE);
    }
}
END_TEST

/* The layout of docs/se-cos.md, word by word, after one write of each. */
START_TEST(layout_words)
{
    tu_fresh(2);
    TU_EXPECT("0020000104 39393939", "63C2");
    TU_EXPECT("8030000004 00012345", "9000");
    TU_EXPECT("00D6000204 A1B2C3D4", "9000");
    /* PIN: [tag PI, seq 1, 0, tries 2, crc lo, crc hi] at page 4 */
    uint16_t pin[4] = { 0x5049, 1, 0, 2 };
    uint8_t b[8];
    for (unsigned i = 0; i < 4; i++) {
        b[2 * i] = (uint8_t)pin[i];
        b[2 * i + 1] = (uint8_t)(pin[i] >> 8);
    }
    uint32_t crc = cos_crc32(0, b, 8);
    uint32_t want_pin[6] = {
        0xAFB65049u, 0xFFFE0001u, 0xFFFF0000u, 0xFFFD0002u,
        cos_word_enc((uint16_t)crc), cos_word_enc((uint16_t)(crc >> 16)),
    };
    for (unsigned i = 0; i < 6; i++)
        ck_assert_uint_eq(fake_word(0x10001000u + 4 * i), want_pin[i]);
    ck_assert_uint_eq(fake_word(0x10001000u + 24), 0xFFFFFFFFu);
    ck_assert_uint_eq(fake_word(0x10001400u), 0xFFFFFFFFu);
    /* purse at page 6: tag PU, seq, balance lo/hi, counter */
    ck_assert_uint_eq(fake_word(0x10001800u), cos_word_enc(0x5055));
    ck_assert_uint_eq(fake_word(0x10001804u), cos_word_enc(1));
    ck_assert_uint_eq(fake_word(0x1000180Cu), cos_word_enc(0x2345));
    ck_assert_uint_eq(fake_word(0x10001810u), cos_word_enc(0x0001));
    ck_assert_uint_eq(fake_word(0x10001814u), cos_word_enc(1));
    /* the file: bank 0 (page 10) holds the content, the record at page 8
     * names bank 0 with the bank's CRC-32 */
    ck_assert_uint_eq(fake_word(0x10002800u), 0xB2A10000u);
    ck_assert_uint_eq(fake_word(0x10002804u), 0x0000D4C3u);
    uint8_t file[COS_FILE_SIZE] = { 0 };
    memcpy(file + 2, "\xA1\xB2\xC3\xD4", 4);
    crc = cos_crc32(0, file, sizeof file);
    ck_assert_uint_eq(fake_word(0x10002000u), cos_word_enc(0x4649));
    ck_assert_uint_eq(fake_word(0x1000200Cu), cos_word_enc(0));
    ck_assert_uint_eq(fake_word(0x10002010u), cos_word_enc((uint16_t)crc));
    ck_assert_uint_eq(fake_word(0x10002014u),
                      cos_word_enc((uint16_t)(crc >> 16)));
    /* the second write goes to bank 1 (page 11), its record to page 9 */
    TU_EXPECT("00D6000001 55", "9000");
    ck_assert_uint_eq(fake_word(0x10002C00u), 0xB2A10055u);
    ck_assert_uint_eq(fake_word(0x10002400u), cos_word_enc(0x4649));
    ck_assert_uint_eq(fake_word(0x1000240Cu), cos_word_enc(1));
    /* pages 0..3 (ROM) and 12..15 untouched */
    for (unsigned i = 0; i < fake.nlog; i++) {
        uint32_t a = fake.log[i].addr;
        ck_assert(a >= 0x10001000u && a < 0x10003000u);
    }
}
END_TEST

/* A torn record (a half-programmed word, or a record cut short) is
 * skipped by the scan and never programmed again: the next record goes
 * after it. */
START_TEST(torn_record_skipped)
{
    tu_fresh(1);
    cos_store_t *s = &tcos.store;
    cos_store_init(s);
    ck_assert_int_eq(cos_store_pin_set(s, 2), COS_STORE_OK);  /* page 0 */
    ck_assert_int_eq(cos_store_pin_set(s, 1), COS_STORE_OK);  /* page 1 */
    /* record 3 torn in page 0 slot 1: three words, the fourth half */
    uint32_t a = COS_STORE_PIN_BASE + 24;
    ck_assert_int_eq(cos_hal_flash_program(a, cos_word_enc(COS_STORE_TAG_PIN)),
                     0);
    ck_assert_int_eq(cos_hal_flash_program(a + 4, cos_word_enc(3)), 0);
    ck_assert_int_eq(cos_hal_flash_program(a + 8, cos_word_enc(0)), 0);
    ck_assert_int_eq(cos_hal_flash_program(a + 12, 0xFFFF0000u), 0);
    cos_store_init(s);
    ck_assert_uint_eq(s->pin.seq, 2);
    ck_assert_uint_eq(cos_store_pin_tries(s), 1);
    unsigned unerased = fake.unerased;
    ck_assert_int_eq(cos_store_pin_set(s, 0), COS_STORE_OK);
    ck_assert_uint_eq(fake.unerased, unerased);
    ck_assert_uint_eq(fake_word(a + 24), cos_word_enc(COS_STORE_TAG_PIN));
    ck_assert_uint_eq(fake_word(a + 28), cos_word_enc(3));
    cos_store_init(s);
    ck_assert_uint_eq(s->pin.seq, 3);
    ck_assert_uint_eq(cos_store_pin_tries(s), 0);
    /* a record whose CRC does not match (every word well-formed) */
    a = COS_STORE_PIN_BASE + SE_FLASH_PAGE + 24;
    uint16_t bad[6] = { COS_STORE_TAG_PIN, 4, 0, 3, 0x1234, 0x5678 };
    for (unsigned i = 0; i < 6; i++)
        ck_assert_int_eq(cos_hal_flash_program(a + 4 * i,
                                               cos_word_enc(bad[i])), 0);
    cos_store_init(s);
    ck_assert_uint_eq(s->pin.seq, 3);
    ck_assert_uint_eq(cos_store_pin_tries(s), 0);
}
END_TEST

/* A half-erased page (one bit left, or garbage at its end) counts as full
 * and is erased again before use; garbage in its middle is skipped. */
START_TEST(half_erased_page)
{
    tu_fresh(1);
    cos_store_t *s = &tcos.store;
    cos_store_init(s);
    /* page 0 of the purse: all blank but one bit of its last word */
    uint32_t last = COS_STORE_PURSE_BASE + SE_FLASH_PAGE - 4;
    ck_assert_int_eq(cos_hal_flash_program(last, 0xFFFFFFFEu), 0);
    unsigned erases = fake.erases;
    ck_assert_int_eq(cos_store_purse_set(s, 7, 1), COS_STORE_OK);
    ck_assert_uint_eq(fake.erases, erases + 1);
    ck_assert_uint_eq(fake_word(last), 0xFFFFFFFFu);
    ck_assert_uint_eq(fake_word(COS_STORE_PURSE_BASE),
                      cos_word_enc(COS_STORE_TAG_PURSE));
    /* page 1: garbage in slot 3 -> the record lands in slot 4 */
    uint32_t g = COS_STORE_PURSE_BASE + SE_FLASH_PAGE + 3 * 32 + 8;
    ck_assert_int_eq(cos_hal_flash_program(g, 0x12345678u), 0);
    ck_assert_int_eq(cos_store_purse_set(s, 8, 2), COS_STORE_OK);
    ck_assert_uint_eq(fake.erases, erases + 1);
    ck_assert_uint_eq(fake_word(COS_STORE_PURSE_BASE + SE_FLASH_PAGE + 128),
                      cos_word_enc(COS_STORE_TAG_PURSE));
    cos_store_init(s);
    ck_assert_uint_eq(cos_store_balance(s), 8);
    ck_assert_uint_eq(cos_store_counter(s), 2);
    ck_assert_uint_eq(fake.unerased, 0);
}
END_TEST

/* Controller errors (ERR bits) at each operation of a command: 6581, and
 * the state is the old one or, if the error struck after the commit, the
 * new one; the next command works. */
static void fail_each_op(const char *cmd, const char *ok_sw, bool mid)
{
    tu_fresh(2);
    TU_EXPECT("8030000004 00000100", "9000");
    TU_EXPECT("00D6000004 01020304", "9000");
    TU_EXPECT("0020000104 30303030", "63C2");
    uint8_t snap[FAKE_FLASH_SIZE];
    memcpy(snap, fake.flash, sizeof snap);
    tu_state_t before, after, now;
    tu_probe(&before);
    /* the uncut run: how many operations */
    fake.ops = 0;
    tu_tx(cmd);
    char sw[8];
    snprintf(sw, sizeof sw, "%04X", tu_sw());
    ck_assert_str_eq(sw, ok_sw);
    long n = fake.ops;
    tu_probe(&after);
    ck_assert_int_gt(n, 0);
    for (long k = 0; k < n; k++) {
        memcpy(fake.flash, snap, sizeof snap);
        tu_reboot(2);
        fake.ops = 0;
        fake.fail_at = k;
        tu_tx(cmd);
        char what[64];
        snprintf(what, sizeof what, "%s, error at op %ld", cmd, k);
        ck_assert_msg(tu_sw() == 0x6581, "%s: SW %04X", what, tu_sw());
        fake.fail_at = -1;
        tu_probe(&now);
        /* old or new; a right PIN may also stop after its decrement */
        tu_state_t mid_st = before;
        mid_st.tries = before.tries - 1;
        if (memcmp(&now, &after, sizeof now) != 0)
            tu_state_eq(&now, mid && now.tries == mid_st.tries ? &mid_st
                                                               : &before,
                        what);
        /* and the next command goes through */
        tu_tx(cmd);
        ck_assert_msg(tu_sw() != 0x6581, "%s: retry %04X", what, tu_sw());
        ck_assert_uint_eq(fake.unerased, 0);
    }
}

START_TEST(flash_errors_update)
{
    fail_each_op("00D6000404 05060708", "9000", false);
}
END_TEST

START_TEST(flash_errors_debit)
{
    fail_each_op("8032000004 00000010", "9000", false);
}
END_TEST

START_TEST(flash_errors_verify)
{
    fail_each_op("0020000104 31323334", "9000", true);
    fail_each_op("0020000104 31313131", "63C1", false);
}
END_TEST

/* A stuck bit in a file bank: the bank no longer matches its CRC, READ
 * and UPDATE report 6581 instead of returning wrong data. */
START_TEST(corrupt_bank)
{
    tu_fresh(1);
    TU_EXPECT("00D6006404 01020304", "9000");
    *fake_at(COS_STORE_BANK_BASE + 103) &= 0xFB;  /* a bit stuck at 0 */
    TU_EXPECT("00B0000004", "00000000 9000");  /* checked once per boot */
    tu_reboot(1);
    TU_EXPECT("00B0000004", "6581");
    TU_EXPECT("00D6000004 01020304", "6581");
    TU_EXPECT("8034000000", "00000000 9000");   /* the rest works */
}
END_TEST

Suite *make_cos_store_suite(void)
{
    Suite *s = suite_create("cos_store");
    TCase *tc = tcase_create("store");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, word_encoding);
    tcase_add_test(tc, crc32_reference);
    tcase_add_test(tc, journal_alternates_and_wraps);
    tcase_add_test(tc, layout_words);
    tcase_add_test(tc, torn_record_skipped);
    tcase_add_test(tc, half_erased_page);
    tcase_add_test(tc, flash_errors_update);
    tcase_add_test(tc, flash_errors_debit);
    tcase_add_test(tc, flash_errors_verify);
    tcase_add_test(tc, corrupt_bank);
    suite_add_tcase(s, tc);
    return s;
}
