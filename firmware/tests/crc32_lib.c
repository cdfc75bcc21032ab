/* SPDX-License-Identifier: MIT */
/* firmware/tests/crc32_lib.c - CRC-32 (IEEE), table-driven and bitwise. */
#include "crc32_lib.h"

#define CRC32_POLY 0xEDB88320u

/* Computed at run time (not const) so the programs also exercise .bss and
 * stores to RAM. */
static uint32_t crc32_table[256];

void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ CRC32_POLY : c >> 1;
        crc32_table[i] = c;
    }
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc32_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

uint32_t crc32_bitwise(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1u) ? (crc >> 1) ^ CRC32_POLY : crc >> 1;
    }
    return ~crc;
}
