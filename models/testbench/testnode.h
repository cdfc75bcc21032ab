/* SPDX-License-Identifier: MIT */
/* models/testbench/testnode.h - the platform's own test node.
 *
 * Models: a small synchronous island with a clock and a stand-in CPU, used
 * to exercise the kernel end to end (lookahead, links, the CPU hook,
 * tracing) before real chips exist, and kept as the kernel's bench.
 * A node answers each request it receives by "working" for work_cycles
 * cycles of its clock on its stand-in CPU (the CPU is active, so the node
 * can output at any time: the scheduler must treat it as busy), then sends
 * the reply back on the link to the requester. A node told to ping sends a
 * request, waits for the reply, sleeps `interval` (an idle timer: no CPU),
 * and repeats. Requests and replies are traced as APDUs (a READ BINARY and
 * its 4 data bytes + 9000) on the path "FROM>TO", and each round trip as a
 * log line "rtt=...".
 *
 * Reference: none (a test fixture). Notes:
 *  - the stand-in CPU executes one 1-cycle "instruction" per clock edge and
 *    does nothing else; work starts at the first clock edge at or after the
 *    request's arrival.
 *  - a node reports to the scenario driver only when it initiates pings; a
 *    node that both initiates and works would make the driver's 1 ns link
 *    the lookahead bound (see docs/kernel.md). */
#ifndef MODELS_TESTBENCH_TESTNODE_H
#define MODELS_TESTBENCH_TESTNODE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/clock.h"
#include "sim/sim.h"
#include "sim/trace.h"

#define TESTNODE_MAX_PEERS 8

typedef struct testnode testnode_t;

typedef struct testnode_cfg {
    const char *name;
    uint64_t hz;
    uint64_t work_cycles;
} testnode_cfg_t;

/* Called when a ping series ends: mismatches = round trips whose time
 * differed from the expected one (0 if none was expected). */
typedef void (*testnode_done_fn)(void *ctx, testnode_t *node, sim_time_t now,
                                 uint64_t count, uint64_t mismatches,
                                 sim_time_t last_rtt);

struct testnode {
    sim_node_t node;
    trace_bus_t *bus;
    sim_clock_t clk;
    char upper[32];          /* name in capitals, for APDU paths */
    uint64_t work_cycles;
    /* peers: out[i] goes to peer i; requests arrive on any in-link */
    sim_link_t *out[TESTNODE_MAX_PEERS];
    testnode_t *peer[TESTNODE_MAX_PEERS];
    size_t n_peers;
    /* responder state (stand-in CPU) */
    bool busy;
    uint64_t cycle;          /* CPU cycle counter (edges of clk) */
    sim_time_t busy_end;     /* when the current work completes */
    uint64_t busy_end_cycle;
    sim_link_t *reply_link;
    uint32_t reply_seq;
    /* initiator state */
    sim_event_t next_ping;
    testnode_t *target;
    sim_link_t *target_link;
    uint64_t count, sent, mismatches;
    sim_time_t interval, expect_rtt, sent_at, last_rtt;
    testnode_done_fn done;
    void *done_ctx;
    /* statistics */
    uint64_t requests_served, replies_received;
};

void testnode_init(testnode_t *tn, sim_t *sim, trace_bus_t *bus,
                   const testnode_cfg_t *cfg);
/* Creates the link tn -> peer with latency L (the reverse link is made by
 * the peer's own call). */
void testnode_connect(testnode_t *tn, testnode_t *peer, sim_link_t *link,
                      sim_time_t latency);
/* Starts a series of count pings to peer at time now (in tn's node). */
void testnode_ping(testnode_t *tn, testnode_t *peer, sim_time_t now,
                   uint64_t count, sim_time_t interval, sim_time_t expect_rtt,
                   testnode_done_fn done, void *done_ctx);

#endif /* MODELS_TESTBENCH_TESTNODE_H */
