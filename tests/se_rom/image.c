/* SPDX-License-Identifier: MIT */
/* tests/se_rom/image.c - signed test images and loader APDUs (see
 * image.h). */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "regs/se_map.h"

static mbedtls_pk_context pk;
static int key_state;  /* 0 not tried, 1 loaded, -1 failed */

static void key_free(void)
{
    mbedtls_pk_free(&pk);
}

int test_key_load(void)
{
    if (key_state)
        return key_state > 0 ? 0 : -1;
    mbedtls_pk_init(&pk);
    atexit(key_free);
    const char *path = SE_ROM_KEYS_DIR "/test-issuer-private.pem";
    int rc = mbedtls_pk_parse_keyfile(&pk, path, NULL);
    if (rc != 0 || !mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY)) {
        fprintf(stderr, "%s: cannot load the test issuer key (-0x%04x)\n",
                path, (unsigned)-rc);
        key_state = -1;
        return -1;
    }
    key_state = 1;
    return 0;
}

void test_key_public(uint8_t out[64])
{
    mbedtls_ecp_keypair *k = mbedtls_pk_ec(pk);
    uint8_t pt[65];
    size_t n = 0;
    memset(out, 0, 64);
    if (mbedtls_ecp_point_write_binary(&k->grp, &k->Q,
                                       MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pt,
                                       sizeof pt) == 0 && n == 65)
        memcpy(out, pt + 1, 64);
}

/* Blinding values for the deterministic signature: any will do here. */
static int blind_rng(void *ctx, unsigned char *buf, size_t len)
{
    uint32_t *s = ctx;
    for (size_t i = 0; i < len; i++) {
        *s = *s * 1103515245u + 12345u;
        buf[i] = (uint8_t)(*s >> 16);
    }
    return 0;
}

void test_image_sign(cos_image_header_t *h)
{
    mbedtls_ecp_keypair *k = mbedtls_pk_ec(pk);
    uint8_t d[32];
    mbedtls_mpi r, s;
    uint32_t seed = 1;
    mbedtls_sha256_ret((const uint8_t *)h, COS_IMAGE_SIGNED_LEN, d, 0);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (mbedtls_ecdsa_sign_det_ext(&k->grp, &r, &s, &k->d, d, sizeof d,
                                   MBEDTLS_MD_SHA256, blind_rng, &seed) != 0 ||
        mbedtls_mpi_write_binary(&r, h->signature, 32) != 0 ||
        mbedtls_mpi_write_binary(&s, h->signature + 32, 32) != 0)
        memset(h->signature, 0, sizeof h->signature);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
}

void test_image_rehash(test_image_t *im)
{
    mbedtls_sha256_ret(im->code, im->len, im->hdr.code_sha256, 0);
    test_image_sign(&im->hdr);
}

static void put_le(uint8_t *p, uint32_t v)
{
    for (unsigned k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

void test_image_make(test_image_t *im, uint32_t version, uint32_t len,
                     uint32_t seed)
{
    memset(im, 0, sizeof *im);
    if (len > TEST_CODE_MAX)
        len = TEST_CODE_MAX;
    im->len = len;
    im->nblocks = (len + COS_BLOCK_LEN - 1) / COS_BLOCK_LEN;
    uint32_t x = seed * 2654435761u + 1u;
    for (uint32_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        im->code[i] = (uint8_t)x;
    }
    put_le(im->code, SE_RAM_BASE + SE_RAM_SIZE);
    put_le(im->code + 4, SE_FLASH_IMAGE + (len > 8 ? 8u : 0u) + 1u);
    im->hdr.magic = COS_IMAGE_MAGIC;
    im->hdr.format = COS_IMAGE_FORMAT;
    im->hdr.version = version;
    im->hdr.load_addr = SE_FLASH_IMAGE;
    im->hdr.code_len = len;
    test_image_rehash(im);
}

size_t test_apdu_begin(uint8_t *out, const cos_image_header_t *h)
{
    out[0] = COS_CLA_PROPRIETARY;
    out[1] = COS_INS_BEGIN;
    out[2] = 0x02;
    out[3] = 0x00;
    out[4] = COS_IMAGE_HEADER_LEN;
    memcpy(out + 5, h, COS_IMAGE_HEADER_LEN);
    return 5 + COS_IMAGE_HEADER_LEN;
}

size_t test_apdu_load_raw(uint8_t *out, uint32_t n, int last,
                          const uint8_t *data, size_t len)
{
    out[0] = COS_CLA_PROPRIETARY;
    out[1] = COS_INS_LOAD;
    out[2] = (uint8_t)((n >> 8) & 0x7Fu) | (last ? COS_LOAD_P1_LAST : 0);
    out[3] = (uint8_t)n;
    if (!len)
        return 4;
    out[4] = (uint8_t)len;
    memcpy(out + 5, data, len);
    return 5 + len;
}

size_t test_apdu_load(uint8_t *out, const test_image_t *im, uint32_t n)
{
    uint32_t off = n * COS_BLOCK_LEN;
    uint32_t len = im->len - off < COS_BLOCK_LEN ? im->len - off
                                                 : COS_BLOCK_LEN;
    return test_apdu_load_raw(out, n, n + 1 == im->nblocks, im->code + off,
                              len);
}

size_t test_apdu_status(uint8_t *out)
{
    const uint8_t a[] = { 0x80, COS_INS_STATUS, 0x00, 0x00, 0x00 };
    memcpy(out, a, sizeof a);
    return sizeof a;
}

size_t test_apdu_commit(uint8_t *out)
{
    const uint8_t a[] = { 0x80, COS_INS_COMMIT, 0x00, 0x00 };
    memcpy(out, a, sizeof a);
    return sizeof a;
}
