/* SPDX-License-Identifier: MIT */
/* bench/bench_kernel.c - kernel throughput: events scheduled and dispatched
 * per second through the real scheduler (sim_run_until), with ~1000 pending
 * events per node.
 *
 * Two nodes, no CPU, each with 1000 self-rescheduling events whose next
 * time is drawn from the node's RNG (1..1000 ns ahead), so the heap is kept
 * at 1000 entries with random insertion points. Also measured: the same
 * load with the two nodes linked both ways (lookahead rounds bound each
 * node's slices), which is the realistic case. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "sim/sim.h"

#define PENDING 1000

typedef struct bench_node {
    sim_node_t node;
    sim_event_t ev[PENDING];
} bench_node_t;

static void fire(sim_event_t *ev, sim_time_t now)
{
    sim_node_t *n = ev->ctx;
    sim_schedule(n, ev, now + SIM_NS(1) + sim_rng_below(&n->rng, 1000000));
}

static void nop_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    (void)ctx;
    (void)m;
    (void)now;
}

static double measure(bool linked, sim_time_t span, uint64_t *events)
{
    sim_t sim;
    sim_init(&sim, 1);
    bench_node_t *nodes = calloc(2, sizeof *nodes);
    sim_link_t links[2];
    static const char *const names[2] = { "a", "b" };
    for (int i = 0; i < 2; i++) {
        sim_node_init(&nodes[i].node, &sim, names[i], NULL);
        for (int k = 0; k < PENDING; k++) {
            sim_event_init(&nodes[i].ev[k], "bench", fire, &nodes[i].node);
            sim_schedule(&nodes[i].node, &nodes[i].ev[k],
                         sim_rng_below(&nodes[i].node.rng, SIM_US(1)));
        }
    }
    if (linked) {
        /* 10 us of latency: a UART character at ~1 Mbit/s */
        sim_link_init(&links[0], &sim, "a>b", &nodes[0].node, &nodes[1].node,
                      SIM_US(10), 0, nop_rx, NULL);
        sim_link_init(&links[1], &sim, "b>a", &nodes[1].node, &nodes[0].node,
                      SIM_US(10), 0, nop_rx, NULL);
    }
    double t0 = cli_wall_seconds();
    sim_run_until(&sim, span);
    double wall = cli_wall_seconds() - t0;
    *events = sim_events_fired(&sim);
    sim_cleanup(&sim);
    free(nodes);
    return wall;
}

int bench_kernel(bench_result_t *out, size_t max, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    int n = 0;
    for (int linked = 0; linked < 2 && (size_t)n < max; linked++) {
        uint64_t events;
        /* warm-up, then the measured run (about 40 M events) */
        measure(linked, SIM_MS(1), &events);
        double wall = measure(linked, SIM_MS(10), &events);
        bench_result_t *r = &out[n++];
        snprintf(r->name, sizeof r->name, "%s",
                 linked ? "kernel.linked" : "kernel");
        r->value = (double)events / wall;
        snprintf(r->unit, sizeof r->unit, "events/s");
        snprintf(r->note, sizeof r->note,
                 "%llu events, 2 nodes x %d pending%s, %.3f s wall",
                 (unsigned long long)events, PENDING,
                 linked ? ", linked both ways (L=10us)" : "", wall);
    }
    return n;
}
