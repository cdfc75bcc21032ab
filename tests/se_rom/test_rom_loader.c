/* SPDX-License-Identifier: MIT */
/* tests/se_rom/test_rom_loader.c - the update protocol (docs/se.md, "The
 * update protocol") APDU by APDU on the fake chip: a whole update then a
 * successful boot check; every refusal with its status word and the flash
 * byte-compared before and after; the check order; resume after power
 * cuts (mid-page, in a progress word, in COMMIT, and at every single flash
 * operation of an update); FLASHC failures. */
#include <stdlib.h>
#include <string.h>

#include "apdu.h"
#include "harness.h"
#include "rom_boot.h"
#include "rom_store.h"

#define IMG_LEN     2600u   /* 3 pages (1024 + 1024 + 552), 21 blocks */
#define PG(a)       (((a) - SE_FLASH_BASE) / SE_FLASH_PAGE)
#define PAGE0       PG(SE_FLASH_IMAGE)  /* first image page: 16 */

static test_image_t *im;

static void setup(void)
{
    h_setup();
    im = malloc(sizeof *im);
    ck_assert_ptr_nonnull(im);
    test_image_make(im, 1, IMG_LEN, 1);
}

static void teardown(void)
{
    free(im);
    h_teardown();
}

static uint32_t boot(void)
{
    uint32_t a = 0;
    int rc = rom_boot_check(&a);
    return rc == ROM_ID_OK ? a : 0;
}

static void assert_status(unsigned state, unsigned next, uint32_t version)
{
    ck_assert_uint_eq(h_status(), SW_OK);
    ck_assert_uint_eq(tl_resp_len, ROM_LD_STATUS_LEN);
    ck_assert_uint_eq(h_st_state(), state);
    ck_assert_uint_eq(h_st_next(), next);
    ck_assert_uint_eq(h_st_version(), version);
}

/* ---- the whole update ------------------------------------------------ */

START_TEST(full_update_then_boot)
{
    assert_status(ROM_LD_IDLE, 0, 0);
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    ck_assert_uint_eq(tl_wtx, 1);
    ck_assert_uint_eq(tl_wtx_last, ROM_LD_WTX_BEGIN);
    ck_assert_uint_eq(fake.ecdsa_runs, 1);
    assert_status(ROM_LD_LOADING, 0, 1);
    /* the session header is in page 2, the progress log empty */
    ck_assert_mem_eq(fake_at(SE_FLASH_SESSION_PAGE), &im->hdr, 128);
    ck_assert(h_page_erased(PG(SE_FLASH_PROGRESS_PAGE)));

    for (uint32_t n = 0; n < im->nblocks; n++) {
        ck_assert_uint_eq(h_load(im, n), SW_OK);
        /* each image page erased when its first block arrives */
        ck_assert_uint_eq(fake.erases[PAGE0 + n / 8], 1);
        if (n + 1 < im->nblocks)
            ck_assert_uint_eq(fake.erases[PAGE0 + n / 8 + 1], 0);
    }
    assert_status(ROM_LD_LOADED, 21, 1);
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE), rom_log_encode(0));
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE + 4), rom_log_encode(1));
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE + 8), rom_log_encode(2));
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE + 12), 0xFFFFFFFFu);
    ck_assert_uint_eq(boot(), 0);  /* no identifier yet */

    ck_assert_uint_eq(h_commit(), SW_OK);
    ck_assert_uint_eq(tl_wtx, 2);
    ck_assert_uint_eq(tl_wtx_last, ROM_LD_WTX_COMMIT);
    assert_status(ROM_LD_IDLE, 0, 0);
    ck_assert(h_image_in_flash(im));
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE), rom_log_encode(1));
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE + 4), 0xFFFFFFFFu);

    cos_id_record_t r;
    memcpy(&r, fake_at(SE_FLASH_ID_PAGE), sizeof r);
    ck_assert_int_eq(rom_id_check(&r), ROM_ID_OK);
    ck_assert_uint_eq(r.version, 1);
    ck_assert_uint_eq(r.image_addr, SE_FLASH_IMAGE);
    ck_assert_uint_eq(r.image_len, IMG_LEN);
    ck_assert_mem_eq(r.image_sha256, im->hdr.code_sha256, 32);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);

    /* nothing programmed over unerased words, nothing outside the ROM's
     * pages and the image touched */
    ck_assert_uint_eq(fake.programs_unerased, 0);
    for (uint32_t p = 4; p < 16; p++)
        ck_assert(h_page_erased(p));
    ck_assert(h_page_erased(PAGE0 + 3));
}
END_TEST

START_TEST(image_of_whole_pages_and_maximum_size)
{
    /* 2048 bytes: the last block is a full 128 bytes and ends a page */
    test_image_make(im, 4, 2048, 9);
    ck_assert_uint_eq(h_update(im), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
    ck_assert(h_image_in_flash(im));

    /* the largest image the area holds is accepted by BEGIN */
    cos_image_header_t h = im->hdr;
    h.code_len = SE_FLASH_IMAGE_SIZE;
    test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_OK);
    assert_status(ROM_LD_LOADING, 0, 4);
}
END_TEST

START_TEST(second_update_replaces_the_first)
{
    ck_assert_uint_eq(h_update(im), SW_OK);
    test_image_t *v2 = malloc(sizeof *v2);
    test_image_make(v2, 2, 1500, 2);
    h_reboot();
    ck_assert_uint_eq(h_update(v2), SW_OK);
    ck_assert(h_image_in_flash(v2));
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
    cos_id_record_t r;
    memcpy(&r, fake_at(SE_FLASH_ID_PAGE), sizeof r);
    ck_assert_uint_eq(r.version, 2);
    ck_assert_uint_eq(r.image_len, 1500);
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE), rom_log_encode(1));
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE + 4), rom_log_encode(2));
    /* the same version again: allowed, the floor not logged twice */
    h_reboot();
    ck_assert_uint_eq(h_update(v2), SW_OK);
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE + 8), 0xFFFFFFFFu);
    free(v2);
}
END_TEST

/* ---- BEGIN refusals --------------------------------------------------- */

START_TEST(begin_bad_signature)
{
    h_snap();
    cos_image_header_t h = im->hdr;
    h.signature[10] ^= 0x01;
    ck_assert_uint_eq(h_begin(&h), SW_SECURITY);
    ck_assert(h_same());
    /* a signed field changed after signing */
    h = im->hdr;
    h.code_sha256[0] ^= 0x80;
    ck_assert_uint_eq(h_begin(&h), SW_SECURITY);
    h = im->hdr;
    h.version = 2;
    ck_assert_uint_eq(h_begin(&h), SW_SECURITY);
    /* r = s = 0 */
    h = im->hdr;
    memset(h.signature, 0, 64);
    ck_assert_uint_eq(h_begin(&h), SW_SECURITY);
    ck_assert(h_same());
    assert_status(ROM_LD_IDLE, 0, 0);
    ck_assert_uint_eq(fake.ops, 0);
}
END_TEST

START_TEST(begin_rollback)
{
    test_image_t *v3 = malloc(sizeof *v3);
    test_image_make(v3, 3, 1000, 3);
    ck_assert_uint_eq(h_update(v3), SW_OK);
    h_reboot();
    h_snap();
    test_image_make(im, 2, IMG_LEN, 1);
    ck_assert_uint_eq(h_begin(&im->hdr), SW_CONDITIONS);
    ck_assert(h_same());
    assert_status(ROM_LD_IDLE, 0, 0);
    /* equal to the floor is allowed */
    ck_assert_uint_eq(h_begin(&v3->hdr), SW_OK);
    free(v3);
}
END_TEST

START_TEST(begin_wrong_length)
{
    uint8_t a[APDU_SHORT_MAX];
    h_snap();
    size_t n = test_apdu_begin(a, &im->hdr);
    a[4] = 127;
    ck_assert_uint_eq(h_apdu(a, n - 1), SW_WRONG_LENGTH);   /* Lc 127 */
    a[4] = 128;
    ck_assert_uint_eq(h_apdu(a, 100), SW_WRONG_LENGTH);     /* truncated */
    ck_assert_uint_eq(h_apdu(a, 5), SW_WRONG_LENGTH);       /* Le only */
    ck_assert_uint_eq(h_apdu(a, 4), SW_WRONG_LENGTH);       /* no data */
    ck_assert(h_same());
    ck_assert_uint_eq(fake.ecdsa_runs, 0);
    /* case 4 (an Le after the header) is accepted */
    a[n] = 0x00;
    ck_assert_uint_eq(h_apdu(a, n + 1), SW_OK);
}
END_TEST

START_TEST(begin_bad_header_fields)
{
    h_snap();
    cos_image_header_t h;
    h = im->hdr; h.magic ^= 1; test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_WRONG_DATA);
    h = im->hdr; h.format = 2; test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_WRONG_DATA);
    h = im->hdr; h.load_addr = SE_FLASH_IMAGE + 0x400; test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_WRONG_DATA);
    h = im->hdr; h.version = 0x10000; test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_WRONG_DATA);
    h = im->hdr; h.code_len = 4; test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_WRONG_DATA);
    h = im->hdr; h.code_len = SE_FLASH_IMAGE_SIZE + 1; test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_NO_MEMORY);
    h = im->hdr; h.code_len = 0xFFFFFFFFu; test_image_sign(&h);
    ck_assert_uint_eq(h_begin(&h), SW_NO_MEMORY);
    ck_assert(h_same());
    ck_assert_uint_eq(fake.ecdsa_runs, 0);  /* refused before verifying */
}
END_TEST

/* docs/se.md: Lc, then magic/format/address, then length, then signature,
 * then version. Each header below fails two checks; the earlier one's
 * status word must win. */
START_TEST(begin_check_order)
{
    test_image_t *v5 = malloc(sizeof *v5);
    test_image_make(v5, 5, 600, 5);
    ck_assert_uint_eq(h_update(v5), SW_OK);  /* floor 5 */
    h_reboot();
    h_snap();
    cos_image_header_t h;
    uint8_t a[APDU_SHORT_MAX];

    h = im->hdr; h.magic = 0; h.signature[0] ^= 1;          /* 6A80 > 6982 */
    ck_assert_uint_eq(h_begin(&h), SW_WRONG_DATA);
    h = im->hdr; h.format = 0; h.code_len = 0x7FFFFFFF;     /* 6A80 > 6A84 */
    ck_assert_uint_eq(h_begin(&h), SW_WRONG_DATA);
    h = im->hdr; h.code_len = SE_FLASH_IMAGE_SIZE + 4;      /* 6A84 > 6982 */
    ck_assert_uint_eq(h_begin(&h), SW_NO_MEMORY);
    h = im->hdr; h.signature[5] ^= 1;                       /* 6982 > 6985 */
    ck_assert_uint_eq(h_begin(&h), SW_SECURITY);            /* (v1 < 5) */
    h = im->hdr; h.magic = 0;                               /* 6700 > 6A80 */
    size_t n = test_apdu_begin(a, &h);
    ck_assert_uint_eq(h_apdu(a, n - 1), SW_WRONG_LENGTH);
    ck_assert_uint_eq(h_begin(&im->hdr), SW_CONDITIONS);    /* v1 < 5 */
    ck_assert(h_same());
    free(v5);
}
END_TEST

START_TEST(class_instruction_and_parameters)
{
    uint8_t a[APDU_SHORT_MAX];
    h_snap();
    size_t n = test_apdu_begin(a, &im->hdr);
    a[0] = 0x00;
    ck_assert_uint_eq(h_apdu(a, n), SW_CLA_NOT_SUPPORTED);
    a[0] = 0x81;
    ck_assert_uint_eq(h_apdu(a, n), SW_CLA_NOT_SUPPORTED);
    a[0] = 0x80;
    a[1] = 0xE4;  /* INVALIDATE is the COS's, not the loader's */
    ck_assert_uint_eq(h_apdu(a, n), SW_INS_NOT_SUPPORTED);
    a[1] = 0xA4;
    ck_assert_uint_eq(h_apdu(a, 4), SW_INS_NOT_SUPPORTED);
    /* CLA is checked before INS */
    a[0] = 0x00;
    ck_assert_uint_eq(h_apdu(a, 4), SW_CLA_NOT_SUPPORTED);
    /* P1/P2 */
    n = test_apdu_begin(a, &im->hdr);
    a[2] = 0x00;
    ck_assert_uint_eq(h_apdu(a, n), SW_WRONG_P1P2);
    a[2] = 0x02;
    a[3] = 0x01;
    ck_assert_uint_eq(h_apdu(a, n), SW_WRONG_P1P2);
    n = test_apdu_status(a);
    a[2] = 1;
    ck_assert_uint_eq(h_apdu(a, n), SW_WRONG_P1P2);
    n = test_apdu_commit(a);
    a[3] = 1;
    ck_assert_uint_eq(h_apdu(a, n), SW_WRONG_P1P2);
    /* STATUS and COMMIT take no data */
    const uint8_t st_data[] = { 0x80, 0xF2, 0, 0, 1, 0xAA };
    ck_assert_uint_eq(h_apdu(st_data, sizeof st_data), SW_WRONG_LENGTH);
    const uint8_t co_data[] = { 0x80, 0xEC, 0, 0, 1, 0xAA };
    ck_assert_uint_eq(h_apdu(co_data, sizeof co_data), SW_WRONG_LENGTH);
    /* fewer than 4 bytes */
    ck_assert_uint_eq(h_apdu(a, 3), SW_WRONG_LENGTH);
    /* STATUS without Le is fine */
    const uint8_t st_case1[] = { 0x80, 0xF2, 0, 0 };
    ck_assert_uint_eq(h_apdu(st_case1, 4), SW_OK);
    ck_assert(h_same());
}
END_TEST

/* ---- LOAD refusals ---------------------------------------------------- */

START_TEST(load_without_session)
{
    uint8_t a[APDU_SHORT_MAX];
    h_snap();
    ck_assert_uint_eq(h_load(im, 0), SW_CONDITIONS);
    /* no session beats every other LOAD check */
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 9, 1, im->code, 3)),
                      SW_CONDITIONS);
    ck_assert(h_same());
}
END_TEST

START_TEST(load_out_of_order)
{
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    h_snap();
    ck_assert_uint_eq(h_load(im, 1), SW_WRONG_P1P2);   /* skipped */
    ck_assert(h_same());
    ck_assert_uint_eq(h_load(im, 0), SW_OK);
    h_snap();
    ck_assert_uint_eq(h_load(im, 0), SW_WRONG_P1P2);   /* repeated */
    ck_assert_uint_eq(h_load(im, 2), SW_WRONG_P1P2);
    ck_assert_uint_eq(h_load(im, 20), SW_WRONG_P1P2);
    /* block number 0x0101 has P1 = 01: not 1 */
    uint8_t a[APDU_SHORT_MAX];
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 0x101, 0,
                                                   im->code + 128, 128)),
                      SW_WRONG_P1P2);
    /* out of order beats wrong length */
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 3, 0, im->code, 5)),
                      SW_WRONG_P1P2);
    ck_assert(h_same());
    assert_status(ROM_LD_LOADING, 1, 1);
}
END_TEST

START_TEST(load_wrong_length)
{
    uint8_t a[APDU_SHORT_MAX];
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    h_snap();
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 0, 0, im->code, 127)),
                      SW_WRONG_LENGTH);
    size_t n = test_apdu_load_raw(a, 0, 0, im->code, 128);
    ck_assert_uint_eq(h_apdu(a, n - 28), SW_WRONG_LENGTH);  /* truncated */
    ck_assert_uint_eq(h_apdu(a, 4), SW_WRONG_LENGTH);       /* no data */
    /* a middle block flagged last is not "exactly the rest" */
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 0, 1, im->code, 128)),
                      SW_WRONG_LENGTH);
    ck_assert(h_same());
    for (uint32_t k = 0; k < 20; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    h_snap();
    /* the last block: 40 bytes, flagged */
    const uint8_t *last = im->code + 20 * 128;
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 20, 1, last, 39)),
                      SW_WRONG_LENGTH);
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 20, 1, last, 41)),
                      SW_WRONG_LENGTH);
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 20, 0, last, 40)),
                      SW_WRONG_LENGTH);  /* not flagged: must be 128 */
    ck_assert(h_same());
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 20, 1, last, 40)),
                      SW_OK);
}
END_TEST

START_TEST(load_beyond_image)
{
    uint8_t a[APDU_SHORT_MAX];
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 20; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    h_snap();
    /* the last block sent as a full, unflagged one: past the end */
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 20, 0, im->code, 128)),
                      SW_NO_MEMORY);
    ck_assert(h_same());
    ck_assert_uint_eq(h_load(im, 20), SW_OK);
    h_snap();
    /* a block after the last one */
    ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 21, 0, im->code, 128)),
                      SW_NO_MEMORY);
    ck_assert(h_same());
    assert_status(ROM_LD_LOADED, 21, 1);
}
END_TEST

/* ---- COMMIT refusals -------------------------------------------------- */

START_TEST(commit_before_all_blocks)
{
    h_snap();
    ck_assert_uint_eq(h_commit(), SW_CONDITIONS);  /* no session */
    ck_assert(h_same());
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 20; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    h_snap();
    ck_assert_uint_eq(h_commit(), SW_CONDITIONS);
    ck_assert(h_same());
    ck_assert_uint_eq(fake.sha_runs, 1);  /* BEGIN's only */
    ck_assert_uint_eq(boot(), 0);
    assert_status(ROM_LD_LOADING, 20, 1);
}
END_TEST

START_TEST(commit_hash_mismatch)
{
    uint8_t a[APDU_SHORT_MAX];
    uint8_t bad[128];
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 21; k++) {
        if (k == 9) {
            memcpy(bad, im->code + 9 * 128, 128);
            bad[77] ^= 0x04;
            ck_assert_uint_eq(h_apdu(a, test_apdu_load_raw(a, 9, 0, bad, 128)),
                              SW_OK);
        } else {
            ck_assert_uint_eq(h_load(im, k), SW_OK);
        }
    }
    h_snap();
    ck_assert_uint_eq(h_commit(), SW_WRONG_DATA);
    /* identifier, anti-rollback log and image untouched; the session
     * dropped (pages 2 and 3 erased) */
    ck_assert(h_page_same(0));
    ck_assert(h_page_same(1));
    for (uint32_t p = 4; p < FAKE_PAGES; p++)
        ck_assert(h_page_same(p));
    ck_assert(h_page_erased(2));
    ck_assert(h_page_erased(3));
    ck_assert_uint_eq(boot(), 0);
    assert_status(ROM_LD_IDLE, 0, 0);
    ck_assert_uint_eq(h_commit(), SW_CONDITIONS);
    ck_assert_uint_eq(h_load(im, 0), SW_CONDITIONS);
    /* the image must be loaded again from block 0 */
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    assert_status(ROM_LD_LOADING, 0, 1);
    ck_assert_uint_eq(h_update(im), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
}
END_TEST

/* ---- flash failures --------------------------------------------------- */

START_TEST(flash_failure_in_load)
{
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 10; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    /* block 10 (page 1, third block): its 5th word fails */
    fake.fail_at = fake.ops + 4;
    ck_assert_uint_eq(h_load(im, 10), SW_MEMORY_FAILURE);
    /* back to the page's first block, which erases it again */
    assert_status(ROM_LD_LOADING, 8, 1);
    ck_assert_uint_eq(h_load(im, 10), SW_WRONG_P1P2);
    for (uint32_t k = 8; k < 21; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    ck_assert_uint_eq(fake.erases[PAGE0 + 1], 2);
    ck_assert_uint_eq(h_commit(), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
    ck_assert(h_image_in_flash(im));
    ck_assert_uint_eq(fake.programs_unerased, 0);
}
END_TEST

START_TEST(flash_failure_in_begin_and_commit)
{
    /* BEGIN: the session page erase fails */
    fake.fail_at = 0;
    ck_assert_uint_eq(h_begin(&im->hdr), SW_MEMORY_FAILURE);
    assert_status(ROM_LD_IDLE, 0, 0);
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 21; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    /* COMMIT: the identifier erase fails (after the rollback append) */
    fake.fail_at = fake.ops + 1;
    ck_assert_uint_eq(h_commit(), SW_MEMORY_FAILURE);
    ck_assert_uint_eq(boot(), 0);
    assert_status(ROM_LD_LOADED, 21, 1);
    ck_assert_uint_eq(h_commit(), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE + 4), 0xFFFFFFFFu);
}
END_TEST

/* ---- power cuts and resume ------------------------------------------- */

/* Loads blocks from STATUS's next one, with a cut armed at flash
 * operation `at` (absolute). true if the cut happened. */
static bool load_until_cut(long at)
{
    fake.cut_at = at;
    if (setjmp(fake_cut_env) != 0)
        return true;
    ck_assert_uint_eq(h_status(), SW_OK);
    for (uint32_t n = h_st_next(); n < im->nblocks; n++)
        ck_assert_uint_eq(h_load(im, n), SW_OK);
    fake.cut_at = -1;
    return false;
}

START_TEST(resume_after_cut_mid_page)
{
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 10; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    /* block 10: cut at its 7th word */
    ck_assert(load_until_cut(fake.ops + 6));
    h_reboot();
    assert_status(ROM_LD_IDLE, 0, 0);  /* RAM lost: no session yet */
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    assert_status(ROM_LD_LOADING, 8, 1);  /* page 1 again */
    ck_assert_uint_eq(fake.erases[2], 1);  /* session not restarted */
    ck_assert(!load_until_cut(-1));
    ck_assert_uint_eq(fake.erases[PAGE0 + 1], 2);
    ck_assert_uint_eq(h_commit(), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
    ck_assert(h_image_in_flash(im));
    ck_assert_uint_eq(fake.programs_unerased, 0);
}
END_TEST

START_TEST(resume_skips_torn_progress_word)
{
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 15; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    /* block 15 ends page 1: its 32 words, then the progress word (cut) */
    ck_assert(load_until_cut(fake.ops + 32));
    uint32_t torn = fake_word(SE_FLASH_PROGRESS_PAGE + 4);
    uint16_t v;
    ck_assert_uint_ne(torn, 0xFFFFFFFFu);
    ck_assert(!rom_log_decode(torn, &v));
    h_reboot();
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    assert_status(ROM_LD_LOADING, 8, 1);  /* page 1 not logged: again */
    ck_assert(!load_until_cut(-1));
    /* the torn word stays; the log goes on after it */
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE), rom_log_encode(0));
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE + 4), torn);
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE + 8), rom_log_encode(1));
    ck_assert_uint_eq(fake_word(SE_FLASH_PROGRESS_PAGE + 12), rom_log_encode(2));
    ck_assert_uint_eq(h_commit(), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
    ck_assert_uint_eq(fake.programs_unerased, 0);
}
END_TEST

START_TEST(resume_after_all_loaded_and_cut_in_commit)
{
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    ck_assert(!load_until_cut(-1));
    /* COMMIT: rollback word (op 0), ID erase (1), 13 record words: cut
     * in the 12th record word, the CRC never written */
    fake.cut_at = fake.ops + 13;
    if (setjmp(fake_cut_env) == 0) {
        h_commit();
        ck_abort_msg("no cut");
    }
    ck_assert_uint_eq(boot(), 0);
    h_reboot();
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    assert_status(ROM_LD_LOADED, 21, 1);
    ck_assert_uint_eq(h_commit(), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
    /* the version was logged once */
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE), rom_log_encode(1));
    ck_assert_uint_eq(fake_word(SE_FLASH_ROLLBACK_PAGE + 4), 0xFFFFFFFFu);
}
END_TEST

START_TEST(new_header_restarts_the_session)
{
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t k = 0; k < 12; k++)
        ck_assert_uint_eq(h_load(im, k), SW_OK);
    h_reboot();
    test_image_t *other = malloc(sizeof *other);
    test_image_make(other, 1, IMG_LEN, 77);
    ck_assert_uint_eq(h_begin(&other->hdr), SW_OK);
    assert_status(ROM_LD_LOADING, 0, 1);
    ck_assert(h_page_erased(3));
    ck_assert_mem_eq(fake_at(SE_FLASH_SESSION_PAGE), &other->hdr, 128);
    free(other);
}
END_TEST

/* A cut at every flash operation of an update, then a reset and the
 * update again (BEGIN resumes, STATUS says where): it always ends with the
 * image booting; and at no cut point does the boot check accept anything
 * but the complete new image. */
START_TEST(cut_at_every_flash_operation)
{
    test_image_make(im, 1, 1100, 4);  /* 2 pages, 9 blocks */
    ck_assert_uint_eq(h_update(im), SW_OK);
    long total = fake.ops;
    ck_assert_int_gt(total, 300);
    for (long k = 0; k < total; k++) {
        fake_reset();
        rom_loader_init(&tl, tl.key, NULL, NULL);
        fake.cut_at = k;
        volatile int cuts = 0;
        if (setjmp(fake_cut_env) != 0) {
            cuts++;
            uint32_t a = 0;
            int rc = rom_boot_check(&a);
            ck_assert_msg(rc != ROM_ID_OK || h_image_in_flash(im),
                          "cut %ld: boots a wrong image", k);
            h_reboot();
        }
        if (cuts == 0)
            (void)h_update(im);
        ck_assert_msg(cuts == 1, "cut %ld did not happen", k);
        ck_assert_msg(h_update(im) == SW_OK, "cut %ld: update fails", k);
        ck_assert_msg(boot() == SE_FLASH_IMAGE, "cut %ld: no boot", k);
        ck_assert(h_image_in_flash(im));
        ck_assert_msg(fake.programs_unerased == 0, "cut %ld", k);
        /* version 1 logged (after a torn word, if the cut hit it) */
        rom_log_scan_t rb;
        rom_log_scan(SE_FLASH_ROLLBACK_PAGE, &rb, NULL, 0);
        ck_assert_msg(rb.valid == 1 && rb.max == 1, "cut %ld", k);
    }
}
END_TEST

START_TEST(rollback_log_full)
{
    /* 256 versions logged: a higher one cannot be appended */
    for (uint32_t i = 0; i < ROM_LOG_WORDS; i++)
        ck_assert_int_eq(rom_log_append(SE_FLASH_ROLLBACK_PAGE, i,
                                        (uint16_t)i), 0);
    test_image_make(im, 300, 600, 1);
    ck_assert_uint_eq(h_begin(&im->hdr), SW_OK);
    for (uint32_t n = 0; n < im->nblocks; n++)
        ck_assert_uint_eq(h_load(im, n), SW_OK);
    h_snap();
    ck_assert_uint_eq(h_commit(), SW_MEMORY_FAILURE);
    ck_assert(h_same());
    ck_assert_uint_eq(boot(), 0);
    /* the current floor itself is accepted (nothing to append) */
    test_image_make(im, 255, 600, 1);
    ck_assert_uint_eq(h_update(im), SW_OK);
    ck_assert_uint_eq(boot(), SE_FLASH_IMAGE);
}
END_TEST

Suite *make_rom_loader_suite(void)
{
    Suite *s = suite_create("rom_loader");
    TCase *tc = tcase_create("protocol");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, full_update_then_boot);
    tcase_add_test(tc, image_of_whole_pages_and_maximum_size);
    tcase_add_test(tc, second_update_replaces_the_first);
    tcase_add_test(tc, begin_bad_signature);
    tcase_add_test(tc, begin_rollback);
    tcase_add_test(tc, begin_wrong_length);
    tcase_add_test(tc, begin_bad_header_fields);
    tcase_add_test(tc, begin_check_order);
    tcase_add_test(tc, class_instruction_and_parameters);
    tcase_add_test(tc, load_without_session);
    tcase_add_test(tc, load_out_of_order);
    tcase_add_test(tc, load_wrong_length);
    tcase_add_test(tc, load_beyond_image);
    tcase_add_test(tc, commit_before_all_blocks);
    tcase_add_test(tc, commit_hash_mismatch);
    tcase_add_test(tc, flash_failure_in_load);
    tcase_add_test(tc, flash_failure_in_begin_and_commit);
    tcase_add_test(tc, resume_after_cut_mid_page);
    tcase_add_test(tc, resume_skips_torn_progress_word);
    tcase_add_test(tc, resume_after_all_loaded_and_cut_in_commit);
    tcase_add_test(tc, new_header_restarts_the_session);
    tcase_add_test(tc, rollback_log_full);
    suite_add_tcase(s, tc);
    TCase *cuts = tcase_create("power_cuts");
    tcase_add_checked_fixture(cuts, setup, teardown);
    tcase_set_timeout(cuts, 600);
    tcase_add_test(cuts, cut_at_every_flash_operation);
    suite_add_tcase(s, cuts);
    return s;
}
