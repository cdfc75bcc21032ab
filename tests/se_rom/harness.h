/* SPDX-License-Identifier: MIT */
/* tests/se_rom/harness.h - what the ROM test files share: the suites, a
 * loader driven APDU by APDU, flash snapshots, whole updates. */
#ifndef TESTS_SE_ROM_HARNESS_H
#define TESTS_SE_ROM_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_hal.h"
#include "image.h"
#include "rom_loader.h"

Suite *make_rom_store_suite(void);
Suite *make_rom_loader_suite(void);
Suite *make_rom_link_suite(void);

/* The loader under test (rom_issuer_key), its WTX requests counted. */
extern rom_loader_t tl;
extern unsigned tl_wtx;
extern uint8_t tl_wtx_last;
extern uint8_t tl_resp[ROM_LD_RESP_MAX];
extern size_t tl_resp_len;

/* Fresh fake chip (erased flash), key loaded, tl initialised. */
void h_setup(void);
void h_teardown(void);
/* A reset: RAM state lost (tl initialised again), flash kept. */
void h_reboot(void);

uint16_t h_apdu(const uint8_t *apdu, size_t len);
uint16_t h_begin(const cos_image_header_t *h);
uint16_t h_load(const test_image_t *im, uint32_t n);
uint16_t h_status(void);
uint16_t h_commit(void);
/* BEGIN, every block from STATUS's next one, COMMIT: 0x9000 or the first
 * other status word. */
uint16_t h_update(const test_image_t *im);
/* STATUS fields (after h_status). */
unsigned h_st_state(void);
unsigned h_st_next(void);
uint32_t h_st_version(void);

/* Flash snapshots. */
void h_snap(void);
bool h_same(void);                  /* the whole array */
bool h_page_same(uint32_t page);    /* page index 0..255 */
bool h_page_erased(uint32_t page);
/* The image area holds the image's code (and the rest of the last page
 * is erased). */
bool h_image_in_flash(const test_image_t *im);

#endif /* TESTS_SE_ROM_HARNESS_H */
