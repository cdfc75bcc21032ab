/* SPDX-License-Identifier: MIT */
/* tests/test_iso14443.c - the ISO/IEC 14443-A arithmetic of
 * models/iso14443.c: CRC_A against frames whose CRC is published (HLTA,
 * RATS), frame durations, the last bit and the frame delay times, FWT and
 * FSD. */
#include "suites.h"

#include "models/iso14443.h"

START_TEST(crc_a_known_frames)
{
    uint8_t hlta[4] = { 0x50, 0x00 };
    ck_assert_uint_eq(iso14443_add_crc(hlta, 2), 4);
    ck_assert_uint_eq(hlta[2], 0x57);
    ck_assert_uint_eq(hlta[3], 0xCD);
    uint8_t rats[4] = { 0xE0, 0x80 };
    iso14443_add_crc(rats, 2);
    ck_assert_uint_eq(rats[2], 0x31);
    ck_assert_uint_eq(rats[3], 0x73);
    ck_assert(iso14443_crc_ok(rats, 4));
    rats[1] ^= 0x01;
    ck_assert(!iso14443_crc_ok(rats, 4));
    ck_assert(!iso14443_crc_ok(rats, 2));
}
END_TEST

START_TEST(frame_timing)
{
    /* REQA: 8 bit periods; a 4-byte frame: 1 + 36 bits */
    ck_assert_uint_eq(ISO14443_SHORT_FRAME_FC, 1024);
    ck_assert_uint_eq(iso14443_frame_fc(4), 37u * 128u);
    /* REQA 26 = 0100110 (7 bits): bit 6 is 0 */
    uint8_t reqa = ISO14443_REQA, wupa = ISO14443_WUPA;
    ck_assert_uint_eq(iso14443_last_bit(&reqa, 1, true), 0);
    ck_assert_uint_eq(iso14443_last_bit(&wupa, 1, true), 1);
    /* odd parity of the last byte: 0x00 -> 1, 0x01 -> 0 */
    uint8_t b[2] = { 0xFF, 0x00 };
    ck_assert_uint_eq(iso14443_last_bit(b, 2, false), 1);
    b[1] = 0x01;
    ck_assert_uint_eq(iso14443_last_bit(b, 2, false), 0);
    ck_assert_uint_eq(iso14443_fdt_picc_fc(9, 1), 1236);
    ck_assert_uint_eq(iso14443_fdt_picc_fc(9, 0), 1172);
}
END_TEST

START_TEST(fwt_and_sizes)
{
    ck_assert_uint_eq(iso14443_fwt_fc(0), 4096);
    ck_assert_uint_eq(iso14443_fwt_fc(4), 65536);   /* 4.833 ms */
    ck_assert_uint_eq(iso14443_fwt_fc(14), 4096u << 14);
    ck_assert_uint_eq(iso14443_sfgt_fc(0), 0);
    ck_assert_uint_eq(iso14443_fs_bytes(0), 16);
    ck_assert_uint_eq(iso14443_fs_bytes(2), 32);
    ck_assert_uint_eq(iso14443_fs_bytes(5), 64);
    ck_assert_uint_eq(iso14443_fs_bytes(8), 256);
    ck_assert_uint_eq(iso14443_fs_bytes(12), 256);
}
END_TEST

Suite *make_iso14443_suite(void)
{
    Suite *s = suite_create("iso14443");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, crc_a_known_frames);
    tcase_add_test(tc, frame_timing);
    tcase_add_test(tc, fwt_and_sizes);
    suite_add_tcase(s, tc);
    return s;
}
