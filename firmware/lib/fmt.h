/* SPDX-License-Identifier: MIT */
/* firmware/lib/fmt.h - printf-free number formatting for test firmware.
 *
 * The fmt_* writers fill a caller's buffer, NUL-terminate it and return a
 * pointer to the NUL so calls chain into one line:
 *     char line[64], *p = line;
 *     p = fmt_str(p, "crc = "); p = fmt_hex(p, crc, 8); fmt_str(p, "\n");
 * The fmt_put_* helpers send the same text to semihosting stdout. */
#ifndef FIRMWARE_LIB_FMT_H
#define FIRMWARE_LIB_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest outputs, NUL included. */
#define FMT_U32_LEN 11
#define FMT_I32_LEN 12
#define FMT_U64_LEN 21
#define FMT_HEX_LEN 9

/* Exactly `digits` lower-case hex digits (1..8) of v, no "0x". */
char *fmt_hex(char *buf, uint32_t v, unsigned digits);
char *fmt_u32(char *buf, uint32_t v);
char *fmt_i32(char *buf, int32_t v);
/* Uses 64-bit division, i.e. libgcc's __aeabi_uldivmod. */
char *fmt_u64(char *buf, uint64_t v);
/* Two hex digits per byte, no separators (digests). buf: 2 * len + 1. */
char *fmt_bytes_hex(char *buf, const uint8_t *bytes, size_t len);
char *fmt_str(char *buf, const char *s);

void fmt_put_str(const char *s);
void fmt_put_hex(uint32_t v, unsigned digits);
void fmt_put_u32(uint32_t v);
void fmt_put_i32(int32_t v);
void fmt_put_u64(uint64_t v);
void fmt_put_bytes_hex(const uint8_t *bytes, size_t len);

#endif /* FIRMWARE_LIB_FMT_H */
