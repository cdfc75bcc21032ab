/* SPDX-License-Identifier: MIT */
/* sim/units.c - exact parsing of times, frequencies and hex byte strings. */
#include "sim/units.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef unsigned __int128 u128;

#define EXP_TIME "a time with a unit (ps, ns, us, ms, s) or N clk@CLOCK"
#define EXP_FREQ "a frequency with a unit (Hz, kHz, MHz, GHz)"
#define EXP_HEX "hex bytes such as \"00 A4 04 00\""

/* Longest part of a string quoted in a message; the rest becomes "...". */
#define QUOTE_MAX 60

typedef struct unit {
    const char *name;
    unsigned exp10;     /* the unit is 10^exp10 of the base unit */
} unit_t;

static const unit_t time_units[] = {
    { "ps", 0 }, { "ns", 3 }, { "us", 6 }, { "ms", 9 }, { "s", 12 },
    { NULL, 0 },
};

static const unit_t freq_units[] = {
    { "Hz", 0 }, { "kHz", 3 }, { "MHz", 6 }, { "GHz", 9 }, { NULL, 0 },
};

/* A decimal "digits[.digits]" as it appears in the text; never converted
 * through floating point. */
typedef struct decimal {
    const char *ip;     /* integer digits */
    size_t in;
    const char *fp;     /* fraction digits (fn == 0: no fraction) */
    size_t fn;
    bool dot;           /* a '.' was seen */
} decimal_t;

typedef enum scale_result {
    SCALE_OK,
    SCALE_FINER,        /* digits below the base unit are not all zero */
    SCALE_OVERFLOW,     /* the value does not fit in 64 bits */
} scale_result_t;

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int units_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *units_quote(char *buf, size_t len, const char *s)
{
    size_t o = 0;
    /* Leaves room for the closing quote, "..." and the terminator. */
    size_t limit = len > 5 ? len - 5 : 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t used = 0;

    if (len == 0)
        return buf;
    if (o < limit)
        buf[o++] = '"';
    while (*p && o < limit) {
        char tmp[8];
        size_t n;
        size_t chlen = 1;
        /* A UTF-8 sequence is kept whole: cutting it would garble the
         * message. */
        if (*p >= 0xC0)
            while (p[chlen] >= 0x80 && p[chlen] < 0xC0 && chlen < 4)
                chlen++;
        if (used + chlen > QUOTE_MAX)
            break;
        if (*p == '"' || *p == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*p;
            n = 2;
        } else if (*p == '\n') {
            memcpy(tmp, "\\n", 2);
            n = 2;
        } else if (*p == '\t') {
            memcpy(tmp, "\\t", 2);
            n = 2;
        } else if (*p < 0x20 || *p == 0x7F) {
            snprintf(tmp, sizeof tmp, "\\x%02X", *p);
            n = 4;
        } else {
            memcpy(tmp, p, chlen);
            n = chlen;
        }
        if (o + n > limit)
            break;
        memcpy(buf + o, tmp, n);
        o += n;
        p += chlen;
        used += chlen;
    }
    if (len > 5) {
        buf[o++] = '"';
        if (*p) {
            memcpy(buf + o, "...", 3);
            o += 3;
        }
    }
    buf[o < len ? o : len - 1] = '\0';
    return buf;
}

/* Reads "digits[.digits]" at s; returns the end, or NULL if s does not
 * start with a digit or a '.' is not followed by one. */
static const char *parse_decimal(const char *s, decimal_t *d)
{
    const char *p = s;
    memset(d, 0, sizeof *d);
    d->ip = p;
    while (is_digit(*p))
        p++;
    d->in = (size_t)(p - s);
    if (d->in == 0)
        return NULL;
    if (*p == '.') {
        d->dot = true;
        d->fp = ++p;
        while (is_digit(*p))
            p++;
        d->fn = (size_t)(p - d->fp);
        if (d->fn == 0)
            return NULL;
    }
    return p;
}

/* out = d * 10^exp10 exactly, in integer arithmetic. */
static scale_result_t scale_decimal(const decimal_t *d, unsigned exp10,
                                    uint64_t *out)
{
    u128 v = 0;
    bool big = false;

    /* Digits past 10^-exp10 must be zero; checked first so that a value
     * both too fine and too large reports the finer problem. */
    for (size_t i = exp10; i < d->fn; i++)
        if (d->fp[i] != '0')
            return SCALE_FINER;
    for (size_t i = 0; i < d->in + exp10; i++) {
        unsigned digit;
        if (i < d->in)
            digit = (unsigned)(d->ip[i] - '0');
        else if (i - d->in < d->fn)
            digit = (unsigned)(d->fp[i - d->in] - '0');
        else
            digit = 0;
        /* Once past 64 bits the value only grows: stop, so that any
         * number of digits is safe in 128 bits. */
        if (!big) {
            v = v * 10 + digit;
            if (v > UINT64_MAX)
                big = true;
        }
    }
    if (big)
        return SCALE_OVERFLOW;
    *out = (uint64_t)v;
    return SCALE_OK;
}

static const unit_t *find_unit(const unit_t *units, const char *name)
{
    for (const unit_t *u = units; u->name; u++)
        if (strcmp(u->name, name) == 0)
            return u;
    return NULL;
}

static bool is_clock_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || c == '_' || c == '.' || c == '-';
}

static int parse_cycles(const char *s, const decimal_t *d, const char *name,
                        sim_time_t *out, units_clock_lookup_fn lookup,
                        void *lookup_ctx, char *err, size_t errlen)
{
    char q[UNITS_QUOTE_LEN], qn[UNITS_QUOTE_LEN];
    uint64_t n, hz;

    units_quote(q, sizeof q, s);
    if (d->dot) {
        seterr(err, errlen, "a whole number of cycles before clk@, got %s",
               q);
        return -1;
    }
    if (*name == '\0') {
        seterr(err, errlen, "a clock name after clk@, got %s", q);
        return -1;
    }
    for (const char *p = name; *p; p++) {
        if (!is_clock_char(*p)) {
            seterr(err, errlen,
                   "a clock name of A-Z a-z 0-9 _ . - after clk@, got %s", q);
            return -1;
        }
    }
    hz = lookup ? lookup(lookup_ctx, name) : 0;
    if (hz == 0) {
        seterr(err, errlen, "a declared clock, got unknown clock %s in %s",
               units_quote(qn, sizeof qn, name), q);
        return -1;
    }
    if (scale_decimal(d, 0, &n) != SCALE_OK) {
        seterr(err, errlen, "a cycle count of at most %llu, got %s",
               (unsigned long long)UINT64_MAX, q);
        return -1;
    }
    /* floor(n * 10^12 / hz): the product needs at most 104 bits. */
    u128 ps = (u128)n * SIM_PS_PER_S / hz;
    if (ps > UINT64_MAX) {
        seterr(err, errlen,
               "a time of at most %llu ps (about 213 days), got %s",
               (unsigned long long)UINT64_MAX, q);
        return -1;
    }
    *out = (sim_time_t)ps;
    return 0;
}

int units_parse_time(const char *s, sim_time_t *out,
                     units_clock_lookup_fn lookup, void *lookup_ctx,
                     char *err, size_t errlen)
{
    char q[UNITS_QUOTE_LEN], qu[UNITS_QUOTE_LEN];
    decimal_t d;
    const char *p;
    const unit_t *u;
    uint64_t v;

    if (!s)
        s = "";
    units_quote(q, sizeof q, s);
    if (s[0] == '-' && parse_decimal(s + 1, &d)) {
        seterr(err, errlen, "a non-negative time, got %s", q);
        return -1;
    }
    p = parse_decimal(s, &d);
    if (!p) {
        seterr(err, errlen, EXP_TIME ", got %s", q);
        return -1;
    }
    if (*p == ' ')
        p++;
    if (strncmp(p, "clk@", 4) == 0)
        return parse_cycles(s, &d, p + 4, out, lookup, lookup_ctx, err,
                            errlen);
    if (*p == '\0') {
        seterr(err, errlen, EXP_TIME ", got %s", q);
        return -1;
    }
    u = find_unit(time_units, p);
    if (!u) {
        seterr(err, errlen,
               "a time unit (ps, ns, us, ms, s) or clk@CLOCK, got %s in %s",
               units_quote(qu, sizeof qu, p), q);
        return -1;
    }
    switch (scale_decimal(&d, u->exp10, &v)) {
    case SCALE_FINER:
        seterr(err, errlen,
               "a time in whole picoseconds, got %s (finer than 1 ps)", q);
        return -1;
    case SCALE_OVERFLOW:
        seterr(err, errlen,
               "a time of at most %llu ps (about 213 days), got %s",
               (unsigned long long)UINT64_MAX, q);
        return -1;
    case SCALE_OK:
        break;
    }
    *out = v;
    return 0;
}

int units_parse_freq(const char *s, uint64_t *hz, char *err, size_t errlen)
{
    char q[UNITS_QUOTE_LEN], qu[UNITS_QUOTE_LEN];
    decimal_t d;
    const char *p;
    const unit_t *u;
    uint64_t v;

    if (!s)
        s = "";
    units_quote(q, sizeof q, s);
    if (s[0] == '-' && parse_decimal(s + 1, &d)) {
        seterr(err, errlen, "a frequency above 0 Hz, got %s", q);
        return -1;
    }
    p = parse_decimal(s, &d);
    if (!p) {
        seterr(err, errlen, EXP_FREQ ", got %s", q);
        return -1;
    }
    if (*p == ' ')
        p++;
    if (*p == '\0') {
        seterr(err, errlen, EXP_FREQ ", got %s", q);
        return -1;
    }
    u = find_unit(freq_units, p);
    if (!u) {
        seterr(err, errlen, "a frequency unit (Hz, kHz, MHz, GHz), got %s "
               "in %s", units_quote(qu, sizeof qu, p), q);
        return -1;
    }
    switch (scale_decimal(&d, u->exp10, &v)) {
    case SCALE_FINER:
        seterr(err, errlen,
               "a frequency in whole hertz, got %s (finer than 1 Hz)", q);
        return -1;
    case SCALE_OVERFLOW:
        seterr(err, errlen, "a frequency of at most %llu Hz, got %s",
               (unsigned long long)UINT64_MAX, q);
        return -1;
    case SCALE_OK:
        break;
    }
    /* A clock of 0 Hz has no edges; every user divides by it. */
    if (v == 0) {
        seterr(err, errlen, "a frequency above 0 Hz, got %s", q);
        return -1;
    }
    *hz = v;
    return 0;
}

/* Describes the character at p for a message: 'G', or a space. */
static const char *describe_char(char *buf, size_t len, const char *p)
{
    unsigned char c = (unsigned char)*p;
    if (c == ' ')
        snprintf(buf, len, "a misplaced space");
    else if (c < 0x20 || c >= 0x7F)
        snprintf(buf, len, "byte 0x%02X", c);
    else if (c == '\'' || c == '\\')
        snprintf(buf, len, "'\\%c'", c);
    else
        snprintf(buf, len, "'%c'", c);
    return buf;
}

int units_parse_hex(const char *s, uint8_t *buf, size_t cap, size_t *len,
                    char *err, size_t errlen)
{
    char q[UNITS_QUOTE_LEN], what[32];
    const char *p;
    size_t n = 0;

    if (!s)
        s = "";
    units_quote(q, sizeof q, s);
    p = s;
    while (*p) {
        int hi, lo;
        /* One space may separate two bytes; any other space (leading,
         * trailing, doubled) is reported where it stands. */
        if (n > 0 && *p == ' ' && p[1] != ' ' && p[1] != '\0')
            p++;
        if ((hi = units_hex_digit(*p)) < 0)
            goto bad;
        p++;
        if ((lo = units_hex_digit(*p)) < 0) {
            if (*p == '\0' || *p == ' ') {
                seterr(err, errlen, EXP_HEX " (two digits each), got a lone "
                       "digit at byte offset %zu of %s", n, q);
                return -1;
            }
            goto bad;
        }
        p++;
        if (buf && n < cap)
            buf[n] = (uint8_t)(hi << 4 | lo);
        n++;
    }
    if (n > cap) {
        seterr(err, errlen, "at most %zu hex byte%s, got %zu (bytes from "
               "offset %zu do not fit)", cap, cap == 1 ? "" : "s", n, cap);
        return -1;
    }
    *len = n;
    return 0;

bad:
    seterr(err, errlen, EXP_HEX ", got %s at byte offset %zu of %s",
           describe_char(what, sizeof what, p), n, q);
    return -1;
}
