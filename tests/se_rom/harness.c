/* SPDX-License-Identifier: MIT */
/* tests/se_rom/harness.c - shared helpers of the ROM tests (harness.h). */
#include "harness.h"

#include <string.h>

#include "apdu.h"
#include "regs/se_sysctl.h"
#include "rom_key.h"

rom_loader_t tl;
unsigned tl_wtx;
uint8_t tl_wtx_last;
uint8_t tl_resp[ROM_LD_RESP_MAX];
size_t tl_resp_len;

static uint8_t snap[SE_FLASH_SIZE];

static void count_wtx(void *ctx, uint8_t mult)
{
    (void)ctx;
    tl_wtx++;
    tl_wtx_last = mult;
}

void h_setup(void)
{
    ck_assert_int_eq(test_key_load(), 0);
    fake_reset();
    tl_wtx = 0;
    rom_loader_init(&tl, rom_issuer_key, count_wtx, NULL);
}

void h_teardown(void)
{
    /* nothing on the heap: fake_reset() at the next set-up frees the
     * engine's hash if a cut left one open */
    fake_chip_reset(0);
}

void h_reboot(void)
{
    fake_chip_reset(SYSCTL_RESETCAUSE_RSTPIN);
    rom_loader_init(&tl, rom_issuer_key, count_wtx, NULL);
}

uint16_t h_apdu(const uint8_t *apdu, size_t len)
{
    return rom_loader_apdu(&tl, apdu, len, tl_resp, &tl_resp_len);
}

uint16_t h_begin(const cos_image_header_t *h)
{
    uint8_t a[APDU_SHORT_MAX];
    return h_apdu(a, test_apdu_begin(a, h));
}

uint16_t h_load(const test_image_t *im, uint32_t n)
{
    uint8_t a[APDU_SHORT_MAX];
    return h_apdu(a, test_apdu_load(a, im, n));
}

uint16_t h_status(void)
{
    uint8_t a[8];
    return h_apdu(a, test_apdu_status(a));
}

uint16_t h_commit(void)
{
    uint8_t a[8];
    return h_apdu(a, test_apdu_commit(a));
}

unsigned h_st_state(void)
{
    return tl_resp[0];
}

unsigned h_st_next(void)
{
    return (unsigned)tl_resp[1] << 8 | tl_resp[2];
}

uint32_t h_st_version(void)
{
    return (uint32_t)tl_resp[3] << 24 | (uint32_t)tl_resp[4] << 16 |
           (uint32_t)tl_resp[5] << 8 | tl_resp[6];
}

uint16_t h_update(const test_image_t *im)
{
    uint16_t sw = h_begin(&im->hdr);
    if (sw != SW_OK)
        return sw;
    if ((sw = h_status()) != SW_OK)
        return sw;
    for (uint32_t n = h_st_next(); n < im->nblocks; n++)
        if ((sw = h_load(im, n)) != SW_OK)
            return sw;
    return h_commit();
}

void h_snap(void)
{
    memcpy(snap, fake.flash, sizeof snap);
}

bool h_same(void)
{
    return memcmp(snap, fake.flash, sizeof snap) == 0;
}

bool h_page_same(uint32_t page)
{
    size_t o = (size_t)page * SE_FLASH_PAGE;
    return memcmp(snap + o, fake.flash + o, SE_FLASH_PAGE) == 0;
}

bool h_page_erased(uint32_t page)
{
    const uint8_t *p = fake.flash + (size_t)page * SE_FLASH_PAGE;
    for (size_t i = 0; i < SE_FLASH_PAGE; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

bool h_image_in_flash(const test_image_t *im)
{
    const uint8_t *p = fake_at(SE_FLASH_IMAGE);
    if (memcmp(p, im->code, im->len) != 0)
        return false;
    uint32_t end = (im->len + SE_FLASH_PAGE - 1) / SE_FLASH_PAGE *
                   SE_FLASH_PAGE;
    for (uint32_t i = im->len; i < end; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}
