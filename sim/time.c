/* SPDX-License-Identifier: MIT */
/* sim/time.c - formatting of sim_time_t for logs and people. */
#include "sim/time.h"

#include <inttypes.h>
#include <stdio.h>

char *sim_time_fmt(char *buf, size_t len, sim_time_t t)
{
    if (t == SIM_NEVER)
        snprintf(buf, len, "never");
    else
        snprintf(buf, len, "%" PRIu64 ".%012" PRIu64,
                 t / SIM_PS_PER_S, t % SIM_PS_PER_S);
    return buf;
}

char *sim_time_fmt_short(char *buf, size_t len, sim_time_t t)
{
    static const struct { const char *name; uint64_t ps; } units[] = {
        { "s", 1000000000000ULL }, { "ms", 1000000000ULL },
        { "us", 1000000ULL }, { "ns", 1000ULL }, { "ps", 1ULL },
    };
    if (t == SIM_NEVER) {
        snprintf(buf, len, "never");
        return buf;
    }
    size_t u = 0;
    while (u + 1 < sizeof units / sizeof units[0] && t < units[u].ps)
        u++;
    uint64_t whole = t / units[u].ps, frac = t % units[u].ps;
    if (frac == 0) {
        snprintf(buf, len, "%" PRIu64 " %s", whole, units[u].name);
        return buf;
    }
    /* digits of the fraction: ps per unit has 3*k zeros */
    int digits = 0;
    for (uint64_t p = units[u].ps; p > 1; p /= 10)
        digits++;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64 " %s", whole, digits, frac,
             units[u].name);
    return buf;
}
