/* SPDX-License-Identifier: MIT */
/* sim/units.h - parsing of times, frequencies and hex byte strings as they
 * appear in scenarios and on the command line.
 *
 * Times: "<decimal><unit>" with unit ps, ns, us, ms or s (a space between
 * is allowed; decimals are exact: "1.5us" is 1 500 000 ps, a fraction
 * finer than 1 ps is an error), or "<integer> clk@<clock>" / "<integer>clk@
 * <clock>" for cycles of a named clock. A bare number, a negative value or
 * an unknown unit is an error. Frequencies: "<decimal><unit>" with Hz, kHz,
 * MHz or GHz, exact to 1 Hz. Hex: pairs of hex digits, spaces allowed
 * between bytes ("00 A4 04 00"). */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

/* Looks a clock up by name; returns its frequency in Hz or 0 if unknown. */
typedef uint64_t (*units_clock_lookup_fn)(void *ctx, const char *name);

/* Each returns 0 on success, or -1 with err holding what was expected
 * (a sentence fragment such as "a time with a unit (ps, ns, us, ms, s) or
 * N clk@CLOCK, got \"5\""). lookup may be NULL (then clk@ is an error). */
int units_parse_time(const char *s, sim_time_t *out,
                     units_clock_lookup_fn lookup, void *lookup_ctx,
                     char *err, size_t errlen);
int units_parse_freq(const char *s, uint64_t *hz, char *err, size_t errlen);
/* Writes up to cap bytes; *len gets the count. More than cap bytes is an
 * error. buf may be NULL to only check and count (cap is still the limit;
 * pass SIZE_MAX for none). An empty string is zero bytes. */
int units_parse_hex(const char *s, uint8_t *buf, size_t cap, size_t *len,
                    char *err, size_t errlen);

/* Writes s into buf as it appears in error messages: in double quotes,
 * with quotes, backslashes and control characters escaped, and cut (with
 * "...") after 60 bytes at a character boundary. Returns buf. */
char *units_quote(char *buf, size_t len, const char *s);

/* The value of one hex digit (either case), or -1. */
int units_hex_digit(int c);
#define UNITS_QUOTE_LEN 256

#endif /* SIM_UNITS_H */
