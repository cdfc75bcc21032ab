/* SPDX-License-Identifier: MIT */
/* firmware/tests/crc32_lib.h - CRC-32 (IEEE 802.3, reflected, polynomial
 * 0xEDB88320, as zlib's crc32()) for the CRC test programs. */
#ifndef FIRMWARE_TESTS_CRC32_LIB_H
#define FIRMWARE_TESTS_CRC32_LIB_H

#include <stddef.h>
#include <stdint.h>

/* Builds the 1 KiB lookup table in .bss; call once before crc32_update(). */
void crc32_init(void);

/* zlib convention: start with crc = 0, feed chunks, the result after each
 * call is the CRC of everything so far. Table-driven. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

/* Same result, one bit at a time, to cross-check the table. */
uint32_t crc32_bitwise(uint32_t crc, const void *data, size_t len);

#endif /* FIRMWARE_TESTS_CRC32_LIB_H */
