/* SPDX-License-Identifier: MIT */
/* firmware/lib/fmt.c - printf-free number formatting for test firmware. */
#include "fmt.h"

#include "semihost.h"

static const char hex_digits[] = "0123456789abcdef";

char *fmt_hex(char *buf, uint32_t v, unsigned digits)
{
    if (digits < 1)
        digits = 1;
    if (digits > 8)
        digits = 8;
    for (unsigned i = 0; i < digits; i++)
        buf[i] = hex_digits[(v >> (4u * (digits - 1u - i))) & 0xFu];
    buf[digits] = '\0';
    return buf + digits;
}

char *fmt_u32(char *buf, uint32_t v)
{
    char tmp[FMT_U32_LEN];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        *buf++ = tmp[--n];
    *buf = '\0';
    return buf;
}

char *fmt_i32(char *buf, int32_t v)
{
    if (v < 0) {
        *buf++ = '-';
        /* Negate in unsigned arithmetic so INT32_MIN does not overflow. */
        return fmt_u32(buf, 0u - (uint32_t)v);
    }
    return fmt_u32(buf, (uint32_t)v);
}

char *fmt_u64(char *buf, uint64_t v)
{
    char tmp[FMT_U64_LEN];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + (unsigned)(v % 10u));
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        *buf++ = tmp[--n];
    *buf = '\0';
    return buf;
}

char *fmt_bytes_hex(char *buf, const uint8_t *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf = fmt_hex(buf, bytes[i], 2);
    *buf = '\0';
    return buf;
}

char *fmt_str(char *buf, const char *s)
{
    while (*s)
        *buf++ = *s++;
    *buf = '\0';
    return buf;
}

void fmt_put_str(const char *s)
{
    semihost_write0(s);
}

void fmt_put_hex(uint32_t v, unsigned digits)
{
    char buf[FMT_HEX_LEN];
    fmt_hex(buf, v, digits);
    semihost_write0(buf);
}

void fmt_put_u32(uint32_t v)
{
    char buf[FMT_U32_LEN];
    fmt_u32(buf, v);
    semihost_write0(buf);
}

void fmt_put_i32(int32_t v)
{
    char buf[FMT_I32_LEN];
    fmt_i32(buf, v);
    semihost_write0(buf);
}

void fmt_put_u64(uint64_t v)
{
    char buf[FMT_U64_LEN];
    fmt_u64(buf, v);
    semihost_write0(buf);
}

void fmt_put_bytes_hex(const uint8_t *bytes, size_t len)
{
    /* Chunks keep the stack use bounded for long inputs. */
    char buf[2 * 16 + 1];
    while (len > 0) {
        size_t n = len < 16 ? len : 16;
        fmt_bytes_hex(buf, bytes, n);
        semihost_write0(buf);
        bytes += n;
        len -= n;
    }
}
