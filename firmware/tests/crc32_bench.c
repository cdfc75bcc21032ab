/* SPDX-License-Identifier: MIT */
/* firmware/tests/crc32_bench.c - benchmark kernel: CRC-32 over a 1 KiB
 * buffer, chained crc32_bench_iterations times (the CRC of the buffer
 * repeated N times, i.e. Python's zlib.crc32(buf * N)). */
#include <stdint.h>

#include "crc32_lib.h"
#include "fmt.h"

#define BUF_LEN 1024u
/* zlib.crc32(bytes((i * 131 + 7) & 0xFF for i in range(1024))) */
#define CRC_ONE_BUFFER 0x0824E952u

/* In flash (.rodata): a bench harness may patch the word in the loaded
 * image at the symbol's address (elf_find_symbol) to change N without
 * rebuilding. Read through a volatile pointer so the compiler cannot use the
 * default instead (a const volatile object would land in .data, in RAM). */
const uint32_t crc32_bench_iterations = 100;

static uint8_t buf[BUF_LEN];

int main(void)
{
    uint32_t n = *(const volatile uint32_t *)&crc32_bench_iterations;

    crc32_init();
    for (uint32_t i = 0; i < BUF_LEN; i++)
        buf[i] = (uint8_t)(i * 131u + 7u);

    /* Guards the kernel itself; the chained value depends on N. */
    if (crc32_update(0, buf, BUF_LEN) != CRC_ONE_BUFFER) {
        fmt_put_str("crc32_bench: FAIL one buffer\n");
        return 1;
    }

    uint32_t crc = 0;
    for (uint32_t i = 0; i < n; i++)
        crc = crc32_update(crc, buf, BUF_LEN);

    fmt_put_str("crc32_bench: ");
    fmt_put_u32(n);
    fmt_put_str(" x 1024 bytes, crc = ");
    fmt_put_hex(crc, 8);
    fmt_put_str("\n");
    return 0;
}
