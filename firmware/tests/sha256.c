/* SPDX-License-Identifier: MIT */
/* firmware/tests/sha256.c - SHA-256 of the FIPS 180-4 example messages
 * (and the empty one) against their published digests. */
#include <stdint.h>

#include "fmt.h"
#include "sha256_lib.h"
#include "str.h"

static const struct {
    const char *label;
    const char *msg;
    uint8_t digest[SHA256_DIGEST_LEN];
} cases[] = {
    { "\"\"", "",
      { 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
        0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
        0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 } },
    { "\"abc\"", "abc",
      { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad } },
    { "448-bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      { 0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
        0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
        0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1 } },
    { "896-bit",
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      { 0xcf, 0x5b, 0x16, 0xa7, 0x78, 0xaf, 0x83, 0x80, 0x03, 0x6c, 0xe5,
        0x9e, 0x7b, 0x04, 0x92, 0x37, 0x0b, 0x24, 0x9b, 0x11, 0xe8, 0xf0,
        0x7a, 0x51, 0xaf, 0xac, 0x45, 0x03, 0x7a, 0xfe, 0xe9, 0xd1 } },
};

int main(void)
{
    int failed = 0;
    uint8_t digest[SHA256_DIGEST_LEN];
    sha256_ctx_t ctx;

    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sha256_init(&ctx);
        sha256_update(&ctx, cases[i].msg, strlen(cases[i].msg));
        sha256_final(&ctx, digest);

        fmt_put_str("sha256(");
        fmt_put_str(cases[i].label);
        fmt_put_str(") = ");
        fmt_put_bytes_hex(digest, sizeof digest);
        if (memcmp(digest, cases[i].digest, sizeof digest) != 0) {
            fmt_put_str(" FAIL");
            failed = 1;
        }
        fmt_put_str("\n");
    }

    /* Odd-sized pieces cross block boundaries differently from one call. */
    const char *msg = cases[3].msg;
    size_t len = strlen(msg), off = 0, piece = 1;
    sha256_init(&ctx);
    while (off < len) {
        size_t n = len - off < piece ? len - off : piece;
        sha256_update(&ctx, msg + off, n);
        off += n;
        piece = piece * 3 + 1;
    }
    sha256_final(&ctx, digest);
    if (memcmp(digest, cases[3].digest, sizeof digest) != 0) {
        fmt_put_str("sha256: FAIL piecewise\n");
        failed = 1;
    }

    fmt_put_str(failed ? "sha256: FAIL\n" : "sha256: ok\n");
    return failed;
}
