/* SPDX-License-Identifier: MIT */
/* tests/se_rom/test_rom_store.c - the ROM's flash records and the boot
 * check: CRC-32, tear-safe log words (encoding, torn words skipped, the
 * append slot), checked writes, the identifier record, and every outcome
 * of rom_boot_check() on the fake chip. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rom_boot.h"
#include "rom_hal.h"
#include "rom_key.h"
#include "rom_store.h"

START_TEST(crc32_check_value)
{
    ck_assert_uint_eq(rom_crc32("123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(rom_crc32("", 0), 0);
}
END_TEST

START_TEST(log_word_encoding)
{
    uint16_t v;
    ck_assert_uint_eq(rom_log_encode(0), 0xFFFF0000u);
    ck_assert_uint_eq(rom_log_encode(1), 0xFFFE0001u);
    ck_assert_uint_eq(rom_log_encode(0xFFFF), 0x0000FFFFu);
    for (uint32_t x = 0; x <= 0xFFFF; x += 0x1111) {
        ck_assert(rom_log_decode(rom_log_encode((uint16_t)x), &v));
        ck_assert_uint_eq(v, x);
    }
    ck_assert(!rom_log_decode(0xFFFFFFFFu, &v));    /* erased */
    ck_assert(!rom_log_decode(0xFFFFAAAAu, &v));    /* torn */
    ck_assert(!rom_log_decode(0x00000000u, &v));    /* all cleared */
}
END_TEST

/* Tearing only clears bits towards the intended word, so a torn word can
 * never read as another valid value: for every v and every subset of the
 * bits still to clear (sampled), decode fails unless the word is whole. */
START_TEST(torn_word_never_decodes_to_another_value)
{
    uint16_t got;
    for (uint32_t v = 0; v <= 0xFFFF; v += 0x0101) {
        uint32_t w = rom_log_encode((uint16_t)v);
        uint32_t zeros = ~w;
        for (uint32_t m = 1; m < 64; m++) {
            /* a pseudo-random subset of the zeros left at 1 */
            uint32_t keep = zeros & (m * 0x9E3779B9u);
            uint32_t t = w | keep;
            if (t == w)
                continue;
            bool ok = rom_log_decode(t, &got);
            ck_assert_msg(!ok || t == 0xFFFFFFFFu,
                          "v=%04x torn %08x decoded", v, t);
        }
    }
}
END_TEST

START_TEST(log_scan_skips_torn_and_erased_words)
{
    uint32_t p = SE_FLASH_PROGRESS_PAGE;
    uint8_t seen[32] = { 0 };
    rom_log_scan_t s;
    rom_log_scan(p, &s, seen, 256);
    ck_assert_uint_eq(s.used, 0);
    ck_assert_uint_eq(s.valid, 0);

    ck_assert_int_eq(rom_log_append(p, 0, 0), 0);
    /* slot 1: torn while programming 7 (7 must not count) */
    ck_assert_int_eq(rom_hal_flash_program_word(p + 4, rom_log_encode(7) |
                                                       0xAAAAAAAAu), 0);
    ck_assert_int_eq(rom_log_append(p, 2, 1), 0);
    rom_log_scan(p, &s, seen, 256);
    ck_assert_uint_eq(s.used, 3);
    ck_assert_uint_eq(s.valid, 2);
    ck_assert_uint_eq(s.torn, 1);
    ck_assert_uint_eq(s.max, 1);
    ck_assert_uint_eq(seen[0], 0x03);   /* pages 0 and 1, not 7 */

    /* a torn word in the anti-rollback log does not raise the floor */
    uint32_t rb = SE_FLASH_ROLLBACK_PAGE;
    ck_assert_int_eq(rom_log_append(rb, 0, 3), 0);
    ck_assert_int_eq(rom_hal_flash_program_word(rb + 4,
                                                rom_log_encode(9) | 0x00FF0000u),
                     0);
    rom_log_scan(rb, &s, NULL, 0);
    ck_assert_uint_eq(s.valid, 1);
    ck_assert_uint_eq(s.max, 3);
    ck_assert_uint_eq(s.used, 2);
}
END_TEST

START_TEST(log_append_full_and_failing)
{
    uint32_t p = SE_FLASH_ROLLBACK_PAGE;
    ck_assert_int_eq(rom_log_append(p, ROM_LOG_WORDS, 1), -1);
    /* a slot already programmed: the read-back differs */
    ck_assert_int_eq(rom_log_append(p, 0, 1), 0);
    ck_assert_int_eq(rom_log_append(p, 0, 2), -1);
    /* FLASHC error */
    fake.fail_at = fake.ops;
    ck_assert_int_eq(rom_log_append(p, 1, 2), -1);
    ck_assert_uint_eq(fake_word(p + 4), 0xFFFFFFFFu);
}
END_TEST

START_TEST(flash_write_pads_with_ff)
{
    const uint8_t d[6] = { 1, 2, 3, 4, 5, 6 };
    ck_assert_int_eq(rom_flash_write(SE_FLASH_IMAGE, d, sizeof d), 0);
    ck_assert_uint_eq(fake_word(SE_FLASH_IMAGE), 0x04030201u);
    ck_assert_uint_eq(fake_word(SE_FLASH_IMAGE + 4), 0xFFFF0605u);
    ck_assert_uint_eq(fake_word(SE_FLASH_IMAGE + 8), 0xFFFFFFFFu);
    ck_assert_uint_eq(fake.ops, 2);
}
END_TEST

START_TEST(id_record_checks)
{
    uint8_t sha[32];
    cos_id_record_t r;
    memset(sha, 0x5A, sizeof sha);
    rom_id_build(&r, 7, SE_FLASH_IMAGE, 4096, sha);
    ck_assert_int_eq(rom_id_check(&r), ROM_ID_OK);
    ck_assert_uint_eq(r.crc32, rom_crc32(&r, 0x30));

    cos_id_record_t x = r;
    x.magic ^= 1;
    ck_assert_int_eq(rom_id_check(&x), ROM_ID_MAGIC);
    x = r;
    x.image_sha256[31] ^= 1;
    ck_assert_int_eq(rom_id_check(&x), ROM_ID_CRC);

    const struct { uint32_t addr, len; int want; } cases[] = {
        { SE_FLASH_IMAGE, SE_FLASH_IMAGE_SIZE, ROM_ID_OK },
        { SE_FLASH_IMAGE, SE_FLASH_IMAGE_SIZE + 1, ROM_ID_RANGE },
        { SE_FLASH_IMAGE, 7, ROM_ID_RANGE },
        { SE_FLASH_IMAGE - 0x400, 1024, ROM_ID_RANGE },   /* COS data */
        { SE_FLASH_IMAGE + 0x40, 1024, ROM_ID_RANGE },    /* VTOR align */
        { SE_FLASH_IMAGE + 0x400, SE_FLASH_IMAGE_SIZE - 0x400, ROM_ID_OK },
        { SE_FLASH_BASE + SE_FLASH_SIZE, 8, ROM_ID_RANGE },
        { 0xFFFFFF80u, 0x100, ROM_ID_RANGE },             /* wraps */
        { SE_FLASH_IMAGE, 0xFFFFFFF0u, ROM_ID_RANGE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rom_id_build(&x, 1, cases[i].addr, cases[i].len, sha);
        ck_assert_msg(rom_id_check(&x) == cases[i].want, "case %zu", i);
    }
}
END_TEST

static void write_record(uint32_t version, uint32_t addr, uint32_t len,
                         const uint8_t sha[32])
{
    cos_id_record_t r;
    rom_id_build(&r, version, addr, len, sha);
    ck_assert_int_eq(rom_hal_flash_erase_page(SE_FLASH_ID_PAGE), 0);
    ck_assert_int_eq(rom_flash_write(SE_FLASH_ID_PAGE, &r, sizeof r), 0);
}

static void write_image(const test_image_t *im)
{
    for (uint32_t o = 0; o < im->len; o += SE_FLASH_PAGE)
        ck_assert_int_eq(rom_hal_flash_erase_page(SE_FLASH_IMAGE + o), 0);
    ck_assert_int_eq(rom_flash_write(SE_FLASH_IMAGE, im->code, im->len), 0);
}

START_TEST(boot_check_outcomes)
{
    test_image_t *im = malloc(sizeof *im);
    uint32_t addr = 0;
    test_image_make(im, 1, 3000, 5);

    ck_assert_int_eq(rom_boot_check(&addr), ROM_ID_MAGIC);  /* erased */
    ck_assert_uint_eq(fake.sha_runs, 0);  /* no hash without a record */

    write_image(im);
    write_record(1, SE_FLASH_IMAGE, im->len, im->hdr.code_sha256);
    ck_assert_int_eq(rom_boot_check(&addr), ROM_ID_OK);
    ck_assert_uint_eq(addr, SE_FLASH_IMAGE);
    ck_assert_uint_eq(fake.sha_runs, 1);

    /* one bit of the image */
    fake_at(SE_FLASH_IMAGE + 2999)[0] ^= 0x10;
    ck_assert_int_eq(rom_boot_check(&addr), ROM_BOOT_HASH);
    fake_at(SE_FLASH_IMAGE + 2999)[0] ^= 0x10;
    ck_assert_int_eq(rom_boot_check(&addr), ROM_ID_OK);

    /* a record torn in its CRC word */
    fake_at(SE_FLASH_ID_PAGE + 0x30)[0] ^= 0xFF;
    ck_assert_int_eq(rom_boot_check(&addr), ROM_ID_CRC);

    /* bad magic */
    write_record(1, SE_FLASH_IMAGE, im->len, im->hdr.code_sha256);
    fake_at(SE_FLASH_ID_PAGE)[0] = 0x00;
    ck_assert_int_eq(rom_boot_check(&addr), ROM_ID_MAGIC);

    /* length beyond the image area, CRC right */
    write_record(1, SE_FLASH_IMAGE, SE_FLASH_IMAGE_SIZE + 4,
                 im->hdr.code_sha256);
    ck_assert_int_eq(rom_boot_check(&addr), ROM_ID_RANGE);

    /* hash right but an even reset vector */
    im->code[4] &= 0xFE;
    test_image_rehash(im);
    write_image(im);
    write_record(1, SE_FLASH_IMAGE, im->len, im->hdr.code_sha256);
    ck_assert_int_eq(rom_boot_check(&addr), ROM_BOOT_VECTORS);

    /* initial SP outside RAM */
    im->code[4] |= 1;
    im->code[3] = 0x30;
    test_image_rehash(im);
    write_image(im);
    write_record(1, SE_FLASH_IMAGE, im->len, im->hdr.code_sha256);
    ck_assert_int_eq(rom_boot_check(&addr), ROM_BOOT_VECTORS);
    free(im);
}
END_TEST

START_TEST(rom_key_is_the_test_issuer_key)
{
    uint8_t pub[64];
    test_key_public(pub);
    ck_assert_mem_eq(pub, rom_issuer_key, 64);
}
END_TEST

Suite *make_rom_store_suite(void)
{
    Suite *s = suite_create("rom_store");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, h_setup, h_teardown);
    tcase_add_test(tc, crc32_check_value);
    tcase_add_test(tc, log_word_encoding);
    tcase_add_test(tc, torn_word_never_decodes_to_another_value);
    tcase_add_test(tc, log_scan_skips_torn_and_erased_words);
    tcase_add_test(tc, log_append_full_and_failing);
    tcase_add_test(tc, flash_write_pads_with_ff);
    tcase_add_test(tc, id_record_checks);
    tcase_add_test(tc, boot_check_outcomes);
    tcase_add_test(tc, rom_key_is_the_test_issuer_key);
    suite_add_tcase(s, tc);
    return s;
}
