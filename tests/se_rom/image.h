/* SPDX-License-Identifier: MIT */
/* tests/se_rom/image.h - signed COS images and loader APDUs for the ROM
 * tests: a code of any length (a vector table, then seeded bytes), its
 * header signed with the TEST issuer private key (tools/keys/, read with
 * mbedTLS), and the BEGIN / LOAD / STATUS / COMMIT command APDUs. */
#ifndef TESTS_SE_ROM_IMAGE_H
#define TESTS_SE_ROM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cos_image.h"

#define TEST_CODE_MAX   (12u * 1024u)

typedef struct test_image {
    cos_image_header_t hdr;
    uint8_t code[TEST_CODE_MAX];
    uint32_t len;
    uint32_t nblocks;
} test_image_t;

/* Loads the private key (once per process; freed at exit). Returns 0, or
 * -1 with a message on stderr. */
int test_key_load(void);
/* The public key of the private key file, x || y. */
void test_key_public(uint8_t out[64]);

/* A valid signed image of `len` bytes (8 <= len <= TEST_CODE_MAX):
 * initial SP 0x20004000, reset vector inside the image, code from seed. */
void test_image_make(test_image_t *im, uint32_t version, uint32_t len,
                     uint32_t seed);
/* Recomputes the code's SHA-256 into the header, then signs. */
void test_image_rehash(test_image_t *im);
/* Signs the header as it is (after a test changed a field). */
void test_image_sign(cos_image_header_t *h);

size_t test_apdu_begin(uint8_t *out, const cos_image_header_t *h);
/* LOAD of block n with the image's bytes (last flag set on the last). */
size_t test_apdu_load(uint8_t *out, const test_image_t *im, uint32_t n);
/* LOAD with explicit fields. */
size_t test_apdu_load_raw(uint8_t *out, uint32_t n, int last,
                          const uint8_t *data, size_t len);
size_t test_apdu_status(uint8_t *out);
size_t test_apdu_commit(uint8_t *out);

#endif /* TESTS_SE_ROM_IMAGE_H */
