/* SPDX-License-Identifier: MIT */
/* tests/se_cos/test_cos_cmd.c - every COS command with exact response
 * bytes and status words, for version 1 and 2 (loop tests: _i is the
 * version), on the fake HAL (docs/se-cos.md has the same tables). */
#include <stdio.h>
#include <string.h>

#include "cos_util.h"
#include "se_cos_suites.h"
#include "test-issuer-public.h"

START_TEST(cla_ins_and_length)
{
    tu_fresh((uint32_t)_i);
    TU_EXPECT("", "6700");
    TU_EXPECT("80", "6700");
    TU_EXPECT("80CA00", "6700");
    /* CLA other than 00 / 80: secure messaging, chaining, channels */
    TU_EXPECT("10CA0001", "6E00");
    TU_EXPECT("0CA4040006A00000099901", "6E00");
    TU_EXPECT("01B0000000", "6E00");
    TU_EXPECT("81CA0001", "6E00");
    TU_EXPECT("FFCA0001", "6E00");
    /* INS not in the class */
    TU_EXPECT("80FF0000", "6D00");
    TU_EXPECT("00CA0001", "6D00");
    TU_EXPECT("80A4040006A00000099901", "6D00");
    TU_EXPECT("00300000 04 00000001", "6D00");
    TU_EXPECT("80E6020000", "6D00");  /* the loader's BEGIN */
    /* length bytes that do not match the APDU */
    TU_EXPECT("80300000 04 000001", "6700");
    TU_EXPECT("80300000 04 000000010203", "6700");
    TU_EXPECT("80300000 04 00000001 00", "9000");  /* an Le is ignored */
    TU_EXPECT("80300000 00 0004 00000001", "6700");  /* extended */
    TU_EXPECT("8030000000", "6700");                 /* case 2: no data */
}
END_TEST

START_TEST(select_by_aid)
{
    tu_fresh((uint32_t)_i);
    TU_EXPECT("00A4040006 A00000099901", "9000");
    TU_EXPECT("00A4040006 A00000099901 00", "9000");
    TU_EXPECT("00A4040C06 A00000099901", "9000");
    TU_EXPECT("00A4040006 A00000099902", "6A82");
    TU_EXPECT("00A4040005 A000000999", "6A82");     /* no partial match */
    TU_EXPECT("00A4040007 A0000009990100", "6A82");
    TU_EXPECT("00A4040010 A0000009990100000000000000000000", "6A82");
    TU_EXPECT("00A4000002 3F00", "6A86");           /* by FID */
    TU_EXPECT("00A4040106 A00000099901", "6A86");
    TU_EXPECT("00A4050006 A00000099901", "6A86");
    TU_EXPECT("00A4040004 A0000009", "6700");       /* AID 5..16 bytes */
    TU_EXPECT("00A4040011 A000000999010000000000000000000000", "6700");
    TU_EXPECT("00A40400", "6700");
    TU_EXPECT("00A4040000", "6700");
    /* a failed SELECT leaves the application selected */
    TU_EXPECT("80CA000100", _i == 1 ? "00000001 9000" : "00000002 9000");
}
END_TEST

START_TEST(get_data)
{
    tu_fresh((uint32_t)_i);
    const char *ver = _i == 1 ? "00000001 9000" : "00000002 9000";
    TU_EXPECT("80CA0001", ver);
    TU_EXPECT("80CA000100", ver);
    TU_EXPECT("80CA000104", ver);
    TU_EXPECT("80CA000108", ver);
    TU_EXPECT("80CA000103", "6C04");
    TU_EXPECT("80CA0002", "0123456789ABCDEF 9000");
    TU_EXPECT("80CA000208", "0123456789ABCDEF 9000");
    TU_EXPECT("80CA000207", "6C08");
    fake.serial[0] = 0xFE;
    fake.serial[7] = 0x10;
    TU_EXPECT("80CA000200", "FE23456789ABCD10 9000");
    TU_EXPECT("80CA0000", "6A86");
    TU_EXPECT("80CA0003", "6A86");
    TU_EXPECT("80CA0101", "6A86");
    TU_EXPECT("80CA000101 AA", "6700");
    TU_EXPECT("80CA000101 AA 00", "6700");
    ck_assert_int_eq(fake.ops, 0);
}
END_TEST

START_TEST(read_update_binary)
{
    tu_fresh((uint32_t)_i);
    /* a fresh file reads as zeros */
    TU_EXPECT("00B0000004", "00000000 9000");
    TU_EXPECT("00D6000004 DEADBEEF", "9000");
    TU_EXPECT("00B0000004", "DEADBEEF 9000");
    TU_EXPECT("00B0000108", "ADBEEF0000000000 9000");
    /* unaligned, across words */
    TU_EXPECT("00D6000303 010203", "9000");
    TU_EXPECT("00B0000008", "DEADBE0102030000 9000");
    /* the last bytes; reading past the end returns what is there + 6282 */
    TU_EXPECT("00D603FC04 CAFEBABE", "9000");
    TU_EXPECT("00B003FC04", "CAFEBABE 9000");
    TU_EXPECT("00B003FC08", "CAFEBABE 6282");
    TU_EXPECT("00B003FC00", "CAFEBABE 6282");
    TU_EXPECT("00B003FF", "BE 6282");
    /* offsets: at or past the end 6B00; P1 bit 8 (SFI) 6A86 */
    TU_EXPECT("00B0040001", "6B00");
    TU_EXPECT("00B07FFF01", "6B00");
    TU_EXPECT("00B0800001", "6A86");
    TU_EXPECT("00B0810001", "6A86");
    TU_EXPECT("00D6040001 00", "6B00");
    TU_EXPECT("00D6800001 00", "6A86");
    /* data running past the end 6A84, nothing written */
    TU_EXPECT("00D603FD04 01020304", "6A84");
    TU_EXPECT("00D6000000", "6700");  /* no data */
    TU_EXPECT("00D60000", "6700");
    TU_EXPECT("00B0000001 AA", "6700");  /* READ with data */
    TU_EXPECT("00B003FC04", "CAFEBABE 9000");

    /* 256 bytes: Le 00 and no Le */
    uint8_t cmd[5 + 255];
    memcpy(cmd, "\x00\xD6\x01\x00\xFF", 5);
    for (unsigned i = 0; i < 255; i++)
        cmd[5 + i] = (uint8_t)(i * 7 + 1);
    ck_assert_str_eq(tu_tx_bytes(cmd, sizeof cmd), "9000");
    char want255[2 * 257 + 1], want256[2 * 258 + 1];
    snprintf(want255, sizeof want255, "%s9000", tu_hex(cmd + 5, 255));
    snprintf(want256, sizeof want256, "%s009000", tu_hex(cmd + 5, 255));
    TU_EXPECT("00B00100FF00", "6700");  /* Lc FF with one byte */
    TU_EXPECT("00B00100FF", want255);
    TU_EXPECT("00B0010000", want256);
    TU_EXPECT("00B00100", want256);

    /* it survives a reboot, in either version */
    tu_reboot(3 - (uint32_t)_i);
    TU_EXPECT("00B0000008", "DEADBE0102030000 9000");
    TU_EXPECT("00B003FC04", "CAFEBABE 9000");
    ck_assert_uint_eq(fake.unerased, 0);
    ck_assert_uint_eq(fake.bad_access, 0);
}
END_TEST

START_TEST(verify_pin)
{
    tu_fresh((uint32_t)_i);
    TU_EXPECT("00200001", "63C3");
    TU_EXPECT("0020000104 31323334", "9000");
    TU_EXPECT("00200001", "63C3");
    TU_EXPECT("0020000104 31323335", "63C2");
    TU_EXPECT("00200001", "63C2");
    TU_EXPECT("0020000104 31323334", "9000");     /* right: back to 3 */
    TU_EXPECT("00200001", "63C3");
    TU_EXPECT("0020000104 00000000", "63C2");
    TU_EXPECT("0020000108 3132333400000000", "63C1");  /* longer: wrong */
    tu_reboot((uint32_t)_i);
    TU_EXPECT("00200001", "63C1");
    TU_EXPECT("0020000105 3132333435", "63C0");
    TU_EXPECT("00200001", "6983");
    TU_EXPECT("0020000104 31323334", "6983");      /* blocked for good */
    tu_reboot((uint32_t)_i);
    TU_EXPECT("0020000104 31323334", "6983");
    ck_assert_uint_eq(fake.unerased, 0);
}
END_TEST

START_TEST(verify_pin_checks)
{
    tu_fresh((uint32_t)_i);
    long ops = fake.ops;
    TU_EXPECT("0020000204 31323334", "6A86");  /* reference 01 only */
    TU_EXPECT("0020010104 31323334", "6A86");
    TU_EXPECT("0020800104 31323334", "6A86");
    TU_EXPECT("0020000103 313233", "6700");     /* 4..8 bytes */
    TU_EXPECT("0020000109 313233340000000000", "6700");
    TU_EXPECT("0020000100", "63C3");            /* Le only: a query */
    ck_assert_int_eq(fake.ops, ops);            /* nothing written */
    TU_EXPECT("00200001", "63C3");
}
END_TEST

START_TEST(purse)
{
    tu_fresh((uint32_t)_i);
    bool v2 = _i == 2;
    TU_EXPECT("8034000000", v2 ? "000000000000 9000" : "00000000 9000");
    TU_EXPECT("8034000000", v2 ? "000000000000 9000" : "00000000 9000");
    TU_EXPECT("8030000004 00000064", "9000");
    TU_EXPECT("8034000000", v2 ? "000000640001 9000" : "00000064 9000");
    TU_EXPECT("8032000004 00000014", "9000");
    TU_EXPECT("8034000000", v2 ? "000000500002 9000" : "00000050 9000");
    TU_EXPECT("8032000004 00000051", "6985");  /* insufficient funds */
    TU_EXPECT("8032000004 00000050", "9000");  /* all of it */
    TU_EXPECT("8034000000", v2 ? "000000000003 9000" : "00000000 9000");
    TU_EXPECT("8032000004 00000001", "6985");
    TU_EXPECT("8030000004 FFFFFFFF", "9000");
    TU_EXPECT("8030000004 00000001", "6985");  /* would overflow */
    TU_EXPECT("8034000000", v2 ? "FFFFFFFF0004 9000" : "FFFFFFFF 9000");
    TU_EXPECT("8032000004 FFFFFFF0", "9000");
    /* a reboot keeps it; the version only changes what BALANCE shows */
    tu_reboot(3 - (uint32_t)_i);
    TU_EXPECT("8034000000", !v2 ? "0000000F0005 9000" : "0000000F 9000");
    tu_reboot((uint32_t)_i);
    TU_EXPECT("8034000000", v2 ? "0000000F0005 9000" : "0000000F 9000");
    /* Le */
    TU_EXPECT("8034000004", v2 ? "6C06" : "0000000F 9000");
    TU_EXPECT("8034000006", v2 ? "0000000F0005 9000" : "0000000F 9000");
    TU_EXPECT("8034000003", v2 ? "6C06" : "6C04");
    TU_EXPECT("80340000", v2 ? "0000000F0005 9000" : "0000000F 9000");
    ck_assert_uint_eq(fake.unerased, 0);
}
END_TEST

START_TEST(purse_checks)
{
    tu_fresh((uint32_t)_i);
    long ops = fake.ops;
    TU_EXPECT("8030000004 00000000", "6A80");  /* amount 0 */
    TU_EXPECT("8032000004 00000000", "6A80");
    TU_EXPECT("8030000104 00000001", "6A86");
    TU_EXPECT("8032010004 00000001", "6A86");
    TU_EXPECT("8030000003 000001", "6700");
    TU_EXPECT("8032000005 0000000001", "6700");
    TU_EXPECT("80300000", "6700");
    TU_EXPECT("80320000", "6700");
    TU_EXPECT("8034000100", "6A86");
    TU_EXPECT("8034010000", "6A86");
    TU_EXPECT("8034000001 00", "6700");
    ck_assert_int_eq(fake.ops, ops);
    /* the transaction counter stops the purse at FFFF */
    ck_assert_int_eq(cos_store_purse_set(&tcos.store, 10, 0xFFFE), 0);
    TU_EXPECT("8032000004 00000001", "9000");
    TU_EXPECT("8032000004 00000001", "6985");
    TU_EXPECT("8030000004 00000001", "6985");
    TU_EXPECT("8034000000", _i == 2 ? "00000009FFFF 9000" : "00000009 9000");
}
END_TEST

START_TEST(get_challenge)
{
    tu_fresh((uint32_t)_i);
    TU_EXPECT("0084000008", "1122334455667788 9000");
    TU_EXPECT("0084000008", "1223344556677889 9000");
    TU_EXPECT("0084000004", "6700");
    TU_EXPECT("0084000000", "6700");
    TU_EXPECT("00840000", "6700");
    TU_EXPECT("0084000001 00 08", "6700");
    TU_EXPECT("0084010008", "6A86");
    TU_EXPECT("0084000108", "6A86");
    ck_assert_uint_eq(fake.random_runs, 2);
    fake.random_fail = true;
    TU_EXPECT("0084000008", "6F00");
    ck_assert_uint_eq(fake.random_runs, 3);
}
END_TEST

/* A COS identifier record in page 0, as COMMIT leaves it (not checked by
 * the COS: only erased). */
static void put_id_record(void)
{
    for (unsigned i = 0; i < 0x34; i++)
        *fake_at(SE_FLASH_ID_PAGE + i) = (uint8_t)(0x43 + i);
}

static bool id_page_blank(void)
{
    for (unsigned i = 0; i < SE_FLASH_PAGE; i++)
        if (*fake_at(SE_FLASH_ID_PAGE + i) != 0xFF)
            return false;
    return true;
}

static void invalidate_cmd(const uint8_t sig[64], char *out)
{
    strcpy(out, "80E4000040");
    strcat(out, tu_hex(sig, 64));
}

START_TEST(invalidate)
{
    tu_fresh((uint32_t)_i);
    put_id_record();
    uint8_t chal[8], sig[64];
    char cmd[300];
    memset(sig, 0x5A, sizeof sig);
    invalidate_cmd(sig, cmd);
    TU_EXPECT(cmd, "6985");  /* no challenge yet */

    TU_EXPECT("0084000008", "1122334455667788 9000");
    tu_unhex("1122334455667788", chal, 8);
    tu_sign_invalidate(fake.serial, chal, sig);
    sig[40] ^= 0x01;
    invalidate_cmd(sig, cmd);
    TU_EXPECT(cmd, "6982");
    sig[40] ^= 0x01;
    invalidate_cmd(sig, cmd);
    TU_EXPECT(cmd, "6985");  /* the challenge was used up */
    ck_assert(!id_page_blank());
    ck_assert(!cos_reset_requested(&tcos));

    /* signed for another chip */
    TU_EXPECT("0084000008", "1223344556677889 9000");
    tu_unhex("1223344556677889", chal, 8);
    uint8_t other[8];
    memcpy(other, fake.serial, 8);
    other[7] ^= 1;
    tu_sign_invalidate(other, chal, sig);
    invalidate_cmd(sig, cmd);
    TU_EXPECT(cmd, "6982");

    /* an older challenge */
    TU_EXPECT("0084000008", "132435465768798A 9000");
    tu_sign_invalidate(fake.serial, chal, sig);
    invalidate_cmd(sig, cmd);
    TU_EXPECT(cmd, "6982");

    /* checks before the challenge is used */
    TU_EXPECT("0084000008", "1425364758697A8B 9000");
    tu_unhex("1425364758697A8B", chal, 8);
    tu_sign_invalidate(fake.serial, chal, sig);
    invalidate_cmd(sig, cmd);
    cmd[7] = '1';  /* P2 = 01 */
    TU_EXPECT(cmd, "6A86");
    cmd[7] = '0';
    TU_EXPECT("80E400003F 00", "6700");
    TU_EXPECT("80E40000", "6700");
    ck_assert(!id_page_blank());
    long ops = fake.ops;
    TU_EXPECT(cmd, "9000");
    ck_assert(cos_reset_requested(&tcos));
    ck_assert(id_page_blank());
    ck_assert_int_eq(fake.ops, ops + 1);  /* one erase, nothing else */
    ck_assert_int_eq(fake.log[fake.nlog - 1].op, FAKE_OP_ERASE);
    ck_assert_uint_eq(fake.log[fake.nlog - 1].addr, SE_FLASH_ID_PAGE);
}
END_TEST

START_TEST(invalidate_engine_errors)
{
    tu_fresh((uint32_t)_i);
    put_id_record();
    uint8_t chal[8], sig[64];
    char cmd[300];
    TU_EXPECT("0084000008", "1122334455667788 9000");
    tu_unhex("1122334455667788", chal, 8);
    tu_sign_invalidate(fake.serial, chal, sig);
    invalidate_cmd(sig, cmd);
    fake.sha_fail = true;
    TU_EXPECT(cmd, "6F00");
    fake.sha_fail = false;
    TU_EXPECT("0084000008", "1223344556677889 9000");
    tu_unhex("1223344556677889", chal, 8);
    tu_sign_invalidate(fake.serial, chal, sig);
    invalidate_cmd(sig, cmd);
    fake.ecdsa_fail = true;
    TU_EXPECT(cmd, "6F00");
    fake.ecdsa_fail = false;
    TU_EXPECT("0084000008", "132435465768798A 9000");
    tu_unhex("132435465768798A", chal, 8);
    tu_sign_invalidate(fake.serial, chal, sig);
    invalidate_cmd(sig, cmd);
    fake.fail_at = fake.ops;  /* the erase reports an error */
    TU_EXPECT(cmd, "6581");
    ck_assert(!cos_reset_requested(&tcos));
}
END_TEST

/* The issuer key compiled into the COS is the public half of the TEST
 * private key the tests sign with. */
START_TEST(issuer_key_matches)
{
    static const uint8_t built_in[64] = TEST_ISSUER_PUBLIC_KEY;
    uint8_t pub[64];
    tu_issuer_public(pub);
    ck_assert_mem_eq(pub, built_in, 64);
}
END_TEST

Suite *make_cos_cmd_suite(void)
{
    Suite *s = suite_create("cos_cmd");
    TCase *tc = tcase_create("cmd");
    tcase_add_loop_test(tc, cla_ins_and_length, 1, 3);
    tcase_add_loop_test(tc, select_by_aid, 1, 3);
    tcase_add_loop_test(tc, get_data, 1, 3);
    tcase_add_loop_test(tc, read_update_binary, 1, 3);
    tcase_add_loop_test(tc, verify_pin, 1, 3);
    tcase_add_loop_test(tc, verify_pin_checks, 1, 3);
    tcase_add_loop_test(tc, purse, 1, 3);
    tcase_add_loop_test(tc, purse_checks, 1, 3);
    tcase_add_loop_test(tc, get_challenge, 1, 3);
    tcase_add_loop_test(tc, invalidate, 1, 3);
    tcase_add_loop_test(tc, invalidate_engine_errors, 1, 3);
    tcase_add_test(tc, issuer_key_matches);
    suite_add_tcase(s, tc);
    return s;
}
