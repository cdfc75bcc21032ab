/* SPDX-License-Identifier: MIT */
/* firmware/tests/sha256_bench.c - benchmark kernel: one SHA-256 over a
 * 1 KiB buffer fed sha256_bench_iterations times (Python's
 * hashlib.sha256(buf * N)). */
#include <stdint.h>

#include "fmt.h"
#include "sha256_lib.h"
#include "str.h"

#define BUF_LEN 1024u

/* In flash, patchable in the loaded image: see crc32_bench.c. */
const uint32_t sha256_bench_iterations = 16;

/* hashlib.sha256(bytes((i * 7 + 1) & 0xFF for i in range(1024))) */
static const uint8_t digest_one_buffer[SHA256_DIGEST_LEN] = {
    0xe5, 0xd3, 0x66, 0x8c, 0x0d, 0xe5, 0x5a, 0x2c, 0xbc, 0xb3, 0x98,
    0x25, 0x3c, 0xa4, 0x8b, 0x10, 0x0a, 0xe5, 0x9a, 0xf4, 0xec, 0x2a,
    0x72, 0x14, 0x67, 0x2d, 0xb8, 0x90, 0x33, 0xb8, 0xd4, 0x16,
};

static uint8_t buf[BUF_LEN];

int main(void)
{
    uint32_t n = *(const volatile uint32_t *)&sha256_bench_iterations;
    uint8_t digest[SHA256_DIGEST_LEN];
    sha256_ctx_t ctx;

    for (uint32_t i = 0; i < BUF_LEN; i++)
        buf[i] = (uint8_t)(i * 7u + 1u);

    sha256_init(&ctx);
    sha256_update(&ctx, buf, BUF_LEN);
    sha256_final(&ctx, digest);
    if (memcmp(digest, digest_one_buffer, sizeof digest) != 0) {
        fmt_put_str("sha256_bench: FAIL one buffer\n");
        return 1;
    }

    sha256_init(&ctx);
    for (uint32_t i = 0; i < n; i++)
        sha256_update(&ctx, buf, BUF_LEN);
    sha256_final(&ctx, digest);

    fmt_put_str("sha256_bench: ");
    fmt_put_u32(n);
    fmt_put_str(" x 1024 bytes, sha256 = ");
    fmt_put_bytes_hex(digest, sizeof digest);
    fmt_put_str("\n");
    return 0;
}
