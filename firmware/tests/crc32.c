/* SPDX-License-Identifier: MIT */
/* firmware/tests/crc32.c - CRC-32 of fixed buffers against known values
 * (the "123456789" check value of the CRC catalogue, and two more computed
 * with Python's zlib.crc32). */
#include <stdint.h>

#include "crc32_lib.h"
#include "fmt.h"
#include "str.h"

static const struct {
    const char *label;
    const char *text;       /* NULL: the bytes 0..255 */
    uint32_t expected;
} cases[] = {
    { "\"123456789\"", "123456789", 0xCBF43926u },
    { "\"The quick brown fox jumps over the lazy dog\"",
      "The quick brown fox jumps over the lazy dog", 0x414FA339u },
    { "0..255", 0, 0x29058C73u },
};

int main(void)
{
    uint8_t bytes[256];
    int failed = 0;

    crc32_init();
    for (unsigned i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)i;

    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const void *data = cases[i].text ? (const void *)cases[i].text : bytes;
        size_t len = cases[i].text ? strlen(cases[i].text) : sizeof bytes;
        uint32_t table = crc32_update(0, data, len);
        uint32_t bitwise = crc32_bitwise(0, data, len);

        fmt_put_str("crc32(");
        fmt_put_str(cases[i].label);
        fmt_put_str(") = ");
        fmt_put_hex(table, 8);
        if (table != cases[i].expected || bitwise != table) {
            fmt_put_str(" FAIL (bitwise ");
            fmt_put_hex(bitwise, 8);
            fmt_put_str(", expected ");
            fmt_put_hex(cases[i].expected, 8);
            fmt_put_str(")");
            failed = 1;
        }
        fmt_put_str("\n");
    }

    /* Chunked updates must give the same CRC as one pass. */
    uint32_t crc = crc32_update(0, bytes, 100);
    crc = crc32_update(crc, bytes + 100, sizeof bytes - 100);
    if (crc != cases[2].expected) {
        fmt_put_str("crc32: FAIL chunked ");
        fmt_put_hex(crc, 8);
        fmt_put_str("\n");
        failed = 1;
    }

    fmt_put_str(failed ? "crc32: FAIL\n" : "crc32: ok\n");
    return failed;
}
