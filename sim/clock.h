/* SPDX-License-Identifier: MIT */
/* sim/clock.h - clock domains with exact edge times.
 *
 * Edge n of a clock at f Hz starting at t0 is at t0 + floor(n * 10^12 / f)
 * picoseconds, computed in 128-bit arithmetic: no period is ever added to
 * itself, so no rounding error accumulates (13.56 MHz stays exact over any
 * simulated span). Edge 0 is at t0. */
#ifndef SIM_CLOCK_H
#define SIM_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

typedef struct sim_clock {
    const char *name; /* e.g. "contact", "mcu"; used by "N clk@name" times */
    uint64_t hz;      /* > 0 */
    sim_time_t t0;    /* time of edge 0 */
    uint64_t period;  /* ps per cycle when hz divides 1 s exactly (32 MHz:
                         31 250), else 0; set by sim_clock_init, it only
                         takes the exact arithmetic a 64-bit short cut */
} sim_clock_t;

void sim_clock_init(sim_clock_t *clk, const char *name, uint64_t hz,
                    sim_time_t t0);

/* Time of edge n. SIM_NEVER if it would not fit in 64 bits. */
sim_time_t sim_clock_edge(const sim_clock_t *clk, uint64_t n);

/* Number of edges at or before t (edges 0..n-1 have time <= t); 0 if
 * t < t0. */
uint64_t sim_clock_edges_through(const sim_clock_t *clk, sim_time_t t);

/* Index of the first edge at or after t. */
uint64_t sim_clock_edge_at_or_after(const sim_clock_t *clk, sim_time_t t);

/* Duration of n cycles measured from edge 0 (exact, floor). */
sim_time_t sim_clock_cycles(const sim_clock_t *clk, uint64_t n);

/* Restarts the clock so that edge 0 is at t (frequency change, gating). */
void sim_clock_restart(sim_clock_t *clk, uint64_t hz, sim_time_t t);

#endif /* SIM_CLOCK_H */
