/* SPDX-License-Identifier: MIT */
/* firmware/tests/sha256_lib.h - SHA-256 (FIPS 180-4) for the SHA test
 * programs: a plain, portable implementation, no tables in RAM. */
#ifndef FIRMWARE_TESTS_SHA256_LIB_H
#define FIRMWARE_TESTS_SHA256_LIB_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32u
#define SHA256_BLOCK_LEN 64u

typedef struct {
    uint32_t state[8];
    uint64_t total;             /* bytes hashed so far */
    uint8_t block[SHA256_BLOCK_LEN];
    uint32_t fill;              /* bytes waiting in block */
} sha256_ctx_t;

void sha256_init(sha256_ctx_t *ctx);
void sha256_update(sha256_ctx_t *ctx, const void *data, size_t len);
void sha256_final(sha256_ctx_t *ctx, uint8_t digest[SHA256_DIGEST_LEN]);

#endif /* FIRMWARE_TESTS_SHA256_LIB_H */
