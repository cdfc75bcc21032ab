/* SPDX-License-Identifier: MIT */
/* sim/sim.h - nodes, links and the conservative-lookahead scheduler.
 *
 * A node is a synchronous island (one chip, or chips on a synchronous bus,
 * or a terminal). It owns an event heap and at most one CPU. Nodes talk only
 * through links; a link delivers a message no earlier than its latency L
 * after it was sent. L is physical (a synchronizer, the end of a character
 * or frame) and must be > 0.
 *
 * Scheduling (docs/kernel.md has the argument in full):
 *  - eot(n), the earliest time node n can still send anything, is its CPU's
 *    time if the CPU is active, else its next event, bounded by what its own
 *    inputs could still make it do: eot(n) = min(own(n), min over links
 *    m->n of eot(m) + L). The scheduler computes this fixed point each round.
 *  - In a round every node, in a fixed order, advances to its safe horizon
 *    H(n) = min over links m->n of eot(m) + L (capped by the run's end): it
 *    fires its events with time < H and runs its CPU for instructions that
 *    start before H. Nothing at or after H is processed, so no input can
 *    arrive in a node's past. A sleeping node jumps straight to its next
 *    event; when all sleep, time jumps to the earliest event.
 *  - Time inside a node: an event at time T is seen by CPU instructions that
 *    start at or after T (instructions are atomic). A CPU may therefore end
 *    its last instruction of a slice past H; the events it straddled fire
 *    next, with their own times, before its next instruction.
 * The order of everything is a function of the scenario alone: reruns are
 * bit-identical. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/event.h"
#include "sim/rng.h"
#include "sim/time.h"

typedef struct sim sim_t;
typedef struct sim_node sim_node_t;
typedef struct sim_link sim_link_t;
typedef struct sim_msg sim_msg_t;

/* The hook through which a node runs its CPU (models/cpu provides one).
 *
 * run(): execute instructions starting at `now` (the node's time; a CPU
 *   that was asleep first catches its cycle count up to it) while the start
 *   time of the next instruction is below *limit. *limit may shrink during
 *   the run: an MMIO write that schedules an event earlier than the current
 *   limit lowers it (sim_schedule does this), and the CPU must re-read it
 *   after every instruction that touched a peripheral. Returns the CPU time
 *   reached (>= now): the start time of its next instruction. It returns
 *   early when the CPU goes to sleep (WFI/WFE with nothing pending).
 * active(): true if the CPU would execute an instruction now (not asleep,
 *   halted or unpowered). Called between runs and after events fire. */
typedef struct sim_cpu_hook {
    sim_time_t (*run)(void *cpu, sim_time_t now, const sim_time_t *limit);
    bool (*active)(void *cpu);
    void *cpu;
} sim_cpu_hook_t;

struct sim_node {
    sim_t *sim;
    const char *name;
    uint32_t id;           /* index in the sim, also the run order */
    sim_heap_t heap;
    sim_time_t now;        /* time of the node: last event or CPU time */
    sim_time_t done;       /* everything before this is final */
    sim_time_t run_limit;  /* current CPU slice limit (see sim_cpu_hook_t) */
    sim_time_t firing;     /* time of the event being handled, or now */
    sim_cpu_hook_t cpu;    /* cpu.run == NULL: no CPU */
    sim_rng_t rng;         /* this node's own stream, seeded by name */
    void *ctx;             /* the model that owns the node */
    /* scheduler state */
    sim_time_t eot;
    sim_time_t horizon;
    uint64_t events_fired;
    uint64_t cpu_slices;
};

/* A message in flight; owned by the link, valid only during rx(). */
struct sim_msg {
    sim_event_t ev;
    sim_link_t *link;
    sim_msg_t *next_free;
    sim_time_t sent;
    uint32_t kind;   /* meaning is the link's business */
    uint32_t len;    /* bytes in data */
    uint64_t value;
    uint8_t data[];  /* link->max_len bytes */
};

typedef void (*sim_link_rx_fn)(void *ctx, const sim_msg_t *msg, sim_time_t now);

/* A link's lookahead beyond its latency (optional): given src_eot, the
 * earliest time its source node can still do anything, the earliest
 * delivery time of any message the link may still carry. It must be a
 * true bound (a message delivered earlier breaks causality: fatal when
 * caught), at least src_eot + latency, and non-decreasing in src_eot and
 * in the eot of every node it reads. It may read the eot of any node and
 * sim_link_inflight() of any link. Used by links whose protocol delivers
 * later than the latency allows, e.g. a serial character 10 etu after its
 * start (models/iso7816_line.h). */
typedef sim_time_t (*sim_link_lookahead_fn)(void *ctx, const sim_link_t *l,
                                            sim_time_t src_eot);

struct sim_link {
    sim_t *sim;
    const char *name;
    sim_node_t *src, *dst;
    sim_time_t latency;
    size_t max_len;
    sim_link_rx_fn rx;
    void *rx_ctx;
    sim_link_lookahead_fn lookahead; /* NULL: src_eot + latency */
    void *lookahead_ctx;
    sim_time_t inflight_min; /* <= every undelivered message's time */
    sim_msg_t *free_list;
    sim_msg_t **all;    /* every message ever allocated, for cleanup */
    size_t n_all, cap_all;
    uint64_t sent, delivered;
    sim_time_t last_at; /* delivery time of the last message sent */
};

/* Called after every scheduling round with the watermark: every node has
 * processed everything before it, so records stamped earlier are final. */
typedef void (*sim_round_fn)(void *ctx, sim_time_t watermark);

#define SIM_MAX_ROUND_HOOKS 8

struct sim {
    uint64_t seed;
    sim_node_t **nodes;
    size_t n_nodes, cap_nodes;
    sim_link_t **links;
    size_t n_links, cap_links;
    bool stop;                 /* set by sim_request_stop() */
    sim_time_t watermark;      /* min over nodes of done */
    uint64_t rounds;
    struct { sim_round_fn fn; void *ctx; } round_hooks[SIM_MAX_ROUND_HOOKS];
    size_t n_round_hooks;
};

void sim_init(sim_t *sim, uint64_t seed);
/* Frees the kernel's own storage (node heaps, link pools); nodes and links
 * themselves belong to their models. */
void sim_cleanup(sim_t *sim);

/* Registers a node; nodes run in registration order. name must outlive
 * the sim. */
void sim_node_init(sim_node_t *node, sim_t *sim, const char *name, void *ctx);
void sim_node_set_cpu(sim_node_t *node, const sim_cpu_hook_t *hook);

/* Creates a link src -> dst. latency > 0. max_len: largest payload. */
void sim_link_init(sim_link_t *link, sim_t *sim, const char *name,
                   sim_node_t *src, sim_node_t *dst, sim_time_t latency,
                   size_t max_len, sim_link_rx_fn rx, void *rx_ctx);

/* Sets the link's lookahead (see sim_link_lookahead_fn). */
void sim_link_set_lookahead(sim_link_t *link, sim_link_lookahead_fn fn,
                            void *ctx);
/* A lower bound on the delivery time of the messages in flight on the
 * link; SIM_NEVER when none is. */
static inline sim_time_t sim_link_inflight(const sim_link_t *link)
{
    return link->inflight_min;
}

/* The delivery time of the one message in flight on the link; SIM_NEVER
 * if there is none or more than one (messages arrive in the order sent,
 * so a lone one is the last sent). */
static inline sim_time_t sim_link_inflight_single(const sim_link_t *link)
{
    return link->sent - link->delivered == 1 ? link->last_at : SIM_NEVER;
}

/* Sends at time now (the sender's time; it must be >= the sender's
 * earliest-output bound); delivered at now + latency. */
void sim_link_send(sim_link_t *link, sim_time_t now, uint32_t kind,
                   uint64_t value, const void *data, size_t len);
/* As sim_link_send, delivered at `at` (>= now + latency). */
void sim_link_send_at(sim_link_t *link, sim_time_t now, sim_time_t at,
                      uint32_t kind, uint64_t value, const void *data,
                      size_t len);

/* Event scheduling on a node. t must not be before node->done (the node's
 * final past); violating that is fatal. Scheduling earlier than the current
 * CPU slice limit shortens the slice. */
void sim_schedule(sim_node_t *node, sim_event_t *ev, sim_time_t t);
void sim_reschedule(sim_node_t *node, sim_event_t *ev, sim_time_t t);
bool sim_cancel(sim_node_t *node, sim_event_t *ev);

void sim_add_round_hook(sim_t *sim, sim_round_fn fn, void *ctx);

/* Runs until every node has processed everything before `until`, or
 * sim_request_stop() was called, or nothing is left to do. Returns the
 * watermark reached. May be called again to continue. */
sim_time_t sim_run_until(sim_t *sim, sim_time_t until);
void sim_request_stop(sim_t *sim);

/* Total events fired over all nodes. */
uint64_t sim_events_fired(const sim_t *sim);

#endif /* SIM_SIM_H */
