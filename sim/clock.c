/* SPDX-License-Identifier: MIT */
/* sim/clock.c - exact clock edge arithmetic (128-bit, no accumulated error). */
#include "sim/clock.h"

#include "sim/fatal.h"

typedef unsigned __int128 u128;

void sim_clock_init(sim_clock_t *clk, const char *name, uint64_t hz,
                    sim_time_t t0)
{
    if (hz == 0)
        sim_fatal_plain("clock '%s': frequency must be > 0 Hz", name);
    clk->name = name;
    clk->hz = hz;
    clk->t0 = t0;
    clk->period = SIM_PS_PER_S % hz == 0 ? SIM_PS_PER_S / hz : 0;
}

void sim_clock_restart(sim_clock_t *clk, uint64_t hz, sim_time_t t)
{
    sim_clock_init(clk, clk->name, hz, t);
}

sim_time_t sim_clock_cycles(const sim_clock_t *clk, uint64_t n)
{
    if (clk->period && n < SIM_NEVER / clk->period)
        return n * clk->period;
    u128 ps = (u128)n * SIM_PS_PER_S / clk->hz;
    return ps >= SIM_NEVER ? SIM_NEVER : (sim_time_t)ps;
}

sim_time_t sim_clock_edge(const sim_clock_t *clk, uint64_t n)
{
    return sim_time_add(clk->t0, sim_clock_cycles(clk, n));
}

uint64_t sim_clock_edges_through(const sim_clock_t *clk, sim_time_t t)
{
    if (t < clk->t0)
        return 0;
    /* edge n <= t  <=>  floor(n*P/f) <= d  <=>  n*P < (d+1)*f
     * so the count is ceil((d+1)*f / P). */
    if (clk->period && t - clk->t0 < SIM_NEVER - clk->period)
        return (t - clk->t0 + clk->period) / clk->period;
    u128 d1 = (u128)(t - clk->t0) + 1;
    u128 num = d1 * clk->hz;
    return (uint64_t)((num + SIM_PS_PER_S - 1) / SIM_PS_PER_S);
}

uint64_t sim_clock_edge_at_or_after(const sim_clock_t *clk, sim_time_t t)
{
    if (t <= clk->t0)
        return 0;
    /* edges strictly before t are those through t-1 */
    return sim_clock_edges_through(clk, t - 1);
}
