/* SPDX-License-Identifier: MIT */
/* sim/time.h - the one time type of cardsim: unsigned 64-bit picoseconds.
 *
 * 2^64 ps is about 213 days of simulated time. SIM_NEVER marks "no time".
 * Every API takes and returns sim_time_t; cycles are converted only through
 * the clock that owns them (sim/clock.h). */
#ifndef SIM_TIME_H
#define SIM_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t sim_time_t;

#define SIM_NEVER ((sim_time_t)UINT64_MAX)

#define SIM_PS(x) ((sim_time_t)(x))
#define SIM_NS(x) ((sim_time_t)(x) * 1000ULL)
#define SIM_US(x) ((sim_time_t)(x) * 1000000ULL)
#define SIM_MS(x) ((sim_time_t)(x) * 1000000000ULL)
#define SIM_S(x)  ((sim_time_t)(x) * 1000000000000ULL)

#define SIM_PS_PER_S ((uint64_t)1000000000000ULL)

/* a + b, saturating at SIM_NEVER (SIM_NEVER + anything stays SIM_NEVER). */
static inline sim_time_t sim_time_add(sim_time_t a, sim_time_t b)
{
    return (a > SIM_NEVER - b) ? SIM_NEVER : a + b;
}

static inline sim_time_t sim_time_min(sim_time_t a, sim_time_t b)
{
    return a < b ? a : b;
}

static inline sim_time_t sim_time_max(sim_time_t a, sim_time_t b)
{
    return a > b ? a : b;
}

/* Seconds as a double, for progress lines and summaries only (never for
 * scheduling decisions). */
static inline double sim_time_to_s(sim_time_t t)
{
    return (double)t / (double)SIM_PS_PER_S;
}

/* Writes t as fixed-point seconds with all 12 digits of picoseconds,
 * e.g. "0.000123456789", or "never". Returns buf. The format sorts
 * lexicographically only within equal integer-second widths; it is meant
 * for people and for byte-exact log comparisons. */
char *sim_time_fmt(char *buf, size_t len, sim_time_t t);

/* Writes t in the largest unit that keeps it readable, e.g. "12.5 us",
 * "3 ms", "250 ps". Exact: trailing zeros are dropped, no rounding. */
char *sim_time_fmt_short(char *buf, size_t len, sim_time_t t);

#define SIM_TIME_FMT_LEN 32

#endif /* SIM_TIME_H */
