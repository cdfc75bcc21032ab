/* SPDX-License-Identifier: MIT */
/* sim/sim.c - node registry, links, and the conservative-lookahead rounds. */
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"

static void *grow(void *v, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 8;
    void *p = realloc(v, n * elem);
    if (!p)
        sim_fatal_plain("out of memory");
    *cap = n;
    return p;
}

void sim_init(sim_t *sim, uint64_t seed)
{
    memset(sim, 0, sizeof *sim);
    sim->seed = seed;
}

void sim_cleanup(sim_t *sim)
{
    for (size_t i = 0; i < sim->n_nodes; i++)
        sim_heap_cleanup(&sim->nodes[i]->heap);
    for (size_t i = 0; i < sim->n_links; i++) {
        sim_link_t *l = sim->links[i];
        for (size_t k = 0; k < l->n_all; k++)
            free(l->all[k]);
        free(l->all);
        l->all = NULL;
        l->n_all = l->cap_all = 0;
        l->free_list = NULL;
    }
    free(sim->nodes);
    free(sim->links);
    memset(sim, 0, sizeof *sim);
}

void sim_node_init(sim_node_t *node, sim_t *sim, const char *name, void *ctx)
{
    memset(node, 0, sizeof *node);
    node->sim = sim;
    node->name = name;
    node->ctx = ctx;
    node->run_limit = SIM_NEVER;
    sim_heap_init(&node->heap);
    sim_rng_seed(&node->rng, sim->seed, name);
    if (sim->n_nodes == sim->cap_nodes)
        sim->nodes = grow(sim->nodes, &sim->cap_nodes, sizeof *sim->nodes);
    node->id = (uint32_t)sim->n_nodes;
    sim->nodes[sim->n_nodes++] = node;
}

void sim_node_set_cpu(sim_node_t *node, const sim_cpu_hook_t *hook)
{
    node->cpu = *hook;
}

void sim_link_init(sim_link_t *link, sim_t *sim, const char *name,
                   sim_node_t *src, sim_node_t *dst, sim_time_t latency,
                   size_t max_len, sim_link_rx_fn rx, void *rx_ctx)
{
    if (latency == 0)
        sim_fatal_plain("link '%s': latency must be > 0 (lookahead needs it)",
                        name);
    if (src == dst)
        sim_fatal_plain("link '%s': a node cannot link to itself", name);
    memset(link, 0, sizeof *link);
    link->sim = sim;
    link->name = name;
    link->src = src;
    link->dst = dst;
    link->latency = latency;
    link->max_len = max_len;
    link->rx = rx;
    link->rx_ctx = rx_ctx;
    link->inflight_min = SIM_NEVER;
    if (sim->n_links == sim->cap_links)
        sim->links = grow(sim->links, &sim->cap_links, sizeof *sim->links);
    sim->links[sim->n_links++] = link;
}

static void msg_deliver(sim_event_t *ev, sim_time_t now)
{
    sim_msg_t *m = ev->ctx;
    sim_link_t *l = m->link;
    l->delivered++;
    /* messages are delivered in time order: the rest are not earlier */
    l->inflight_min = l->delivered == l->sent ? SIM_NEVER : now;
    l->rx(l->rx_ctx, m, now);
    m->next_free = l->free_list;
    l->free_list = m;
}

static sim_msg_t *msg_alloc(sim_link_t *l)
{
    sim_msg_t *m = l->free_list;
    if (m) {
        l->free_list = m->next_free;
        return m;
    }
    m = malloc(sizeof *m + l->max_len);
    if (!m)
        sim_fatal_plain("out of memory (link '%s')", l->name);
    if (l->n_all == l->cap_all)
        l->all = grow(l->all, &l->cap_all, sizeof *l->all);
    l->all[l->n_all++] = m;
    sim_event_init(&m->ev, l->name, msg_deliver, m);
    m->link = l;
    return m;
}

void sim_link_send_at(sim_link_t *l, sim_time_t now, sim_time_t at,
                      uint32_t kind, uint64_t value, const void *data,
                      size_t len)
{
    if (len > l->max_len)
        sim_fatal(now, "link '%s': message of %zu bytes exceeds %zu", l->name,
                  len, l->max_len);
    sim_time_t earliest = sim_time_add(now, l->latency);
    if (at < earliest)
        sim_fatal(now, "link '%s': delivery before send time + latency",
                  l->name);
    if (at < l->dst->done)
        sim_fatal(now,
                  "causality violation on link '%s': delivery at %llu ps but "
                  "'%s' has already passed %llu ps",
                  l->name, (unsigned long long)at, l->dst->name,
                  (unsigned long long)l->dst->done);
    sim_msg_t *m = msg_alloc(l);
    m->sent = now;
    m->kind = kind;
    m->value = value;
    m->len = (uint32_t)len;
    if (len)
        memcpy(m->data, data, len);
    l->sent++;
    l->last_at = at;
    if (at < l->inflight_min)
        l->inflight_min = at;
    sim_schedule(l->dst, &m->ev, at);
}

void sim_link_set_lookahead(sim_link_t *link, sim_link_lookahead_fn fn,
                            void *ctx)
{
    link->lookahead = fn;
    link->lookahead_ctx = ctx;
}

/* The earliest delivery of anything still to come on l, or any value at
 * or above `above` when it is not below it (the callers only use bounds
 * below their current value; the lookahead is not asked then). */
static inline sim_time_t link_bound(const sim_link_t *l, sim_time_t above)
{
    sim_time_t c = sim_time_add(l->src->eot, l->latency);
    if (l->lookahead && c < above) {
        sim_time_t h = l->lookahead(l->lookahead_ctx, l, l->src->eot);
        if (h > c)
            c = h;
    }
    return c;
}

void sim_link_send(sim_link_t *l, sim_time_t now, uint32_t kind,
                   uint64_t value, const void *data, size_t len)
{
    sim_link_send_at(l, now, sim_time_add(now, l->latency), kind, value, data,
                     len);
}

void sim_schedule(sim_node_t *node, sim_event_t *ev, sim_time_t t)
{
    if (t < node->done)
        sim_fatal(node->now,
                  "node '%s': event '%s' scheduled at %llu ps, before the "
                  "node's final past (%llu ps)",
                  node->name, ev->name, (unsigned long long)t,
                  (unsigned long long)node->done);
    sim_heap_push(&node->heap, ev, t);
    if (t < node->run_limit)
        node->run_limit = t;
}

void sim_reschedule(sim_node_t *node, sim_event_t *ev, sim_time_t t)
{
    if (t < node->done)
        sim_fatal(node->now, "node '%s': event '%s' rescheduled into the past",
                  node->name, ev->name);
    sim_heap_move(&node->heap, ev, t);
    if (t < node->run_limit)
        node->run_limit = t;
}

bool sim_cancel(sim_node_t *node, sim_event_t *ev)
{
    return sim_heap_remove(&node->heap, ev);
}

void sim_add_round_hook(sim_t *sim, sim_round_fn fn, void *ctx)
{
    if (sim->n_round_hooks == SIM_MAX_ROUND_HOOKS)
        sim_fatal_plain("too many round hooks (max %d)", SIM_MAX_ROUND_HOOKS);
    sim->round_hooks[sim->n_round_hooks].fn = fn;
    sim->round_hooks[sim->n_round_hooks].ctx = ctx;
    sim->n_round_hooks++;
}

void sim_request_stop(sim_t *sim)
{
    sim->stop = true;
    /* make a running CPU return after its current instruction */
    for (size_t i = 0; i < sim->n_nodes; i++)
        sim->nodes[i]->run_limit = 0;
}

static inline bool cpu_active(const sim_node_t *n)
{
    return n->cpu.run && n->cpu.active(n->cpu.cpu);
}

/* Processes everything of node n before horizon h (see sim.h). */
static void node_advance(sim_node_t *n, sim_time_t h)
{
    sim_t *sim = n->sim;
    for (;;) {
        sim_time_t t_ev = sim_heap_min_time(&n->heap);
        if (t_ev < h && (t_ev <= n->now || !cpu_active(n))) {
            /* due, or asleep: jump to it */
            if (t_ev > n->now)
                n->now = t_ev;
            sim_event_t *ev = sim_heap_fire_begin(&n->heap);
            n->firing = t_ev;
            n->events_fired++;
            ev->fn(ev, t_ev);
            sim_heap_fire_end(&n->heap);
            if (sim->stop)
                return;
            continue;
        }
        if (cpu_active(n)) {
            sim_time_t limit = sim_time_min(t_ev, h);
            if (n->now >= limit)
                break;
            n->run_limit = limit;
            n->firing = n->now;
            sim_time_t t = n->cpu.run(n->cpu.cpu, n->now, &n->run_limit);
            n->run_limit = SIM_NEVER;
            n->cpu_slices++;
            if (t < n->now)
                sim_fatal(n->now, "node '%s': CPU time went backwards",
                          n->name);
            if (t == n->now && cpu_active(n) && !sim->stop &&
                sim_heap_min_time(&n->heap) > n->now)
                sim_fatal(n->now, "node '%s': CPU made no progress", n->name);
            n->now = t;
            if (sim->stop)
                return;
            continue;
        }
        break;
    }
    if (h > n->done)
        n->done = h;
}

static void compute_bounds(sim_t *sim, sim_time_t until)
{
    for (size_t i = 0; i < sim->n_nodes; i++) {
        sim_node_t *n = sim->nodes[i];
        n->eot = cpu_active(n) ? n->now : sim_heap_min_time(&n->heap);
        n->horizon = until;
    }
    /* Bellman-Ford relaxation; L > 0 on every link, so n passes suffice */
    for (size_t pass = 0; pass < sim->n_nodes; pass++) {
        bool changed = false;
        for (size_t k = 0; k < sim->n_links; k++) {
            sim_link_t *l = sim->links[k];
            sim_time_t c = link_bound(l, l->dst->eot);
            if (c < l->dst->eot) {
                l->dst->eot = c;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    for (size_t k = 0; k < sim->n_links; k++) {
        sim_link_t *l = sim->links[k];
        sim_time_t c = link_bound(l, l->dst->horizon);
        if (c < l->dst->horizon)
            l->dst->horizon = c;
    }
}

static sim_time_t watermark(const sim_t *sim)
{
    sim_time_t w = SIM_NEVER;
    for (size_t i = 0; i < sim->n_nodes; i++)
        w = sim_time_min(w, sim->nodes[i]->done);
    return w;
}

static void end_round(sim_t *sim)
{
    sim->watermark = watermark(sim);
    sim->rounds++;
    for (size_t i = 0; i < sim->n_round_hooks; i++)
        sim->round_hooks[i].fn(sim->round_hooks[i].ctx, sim->watermark);
}

sim_time_t sim_run_until(sim_t *sim, sim_time_t until)
{
    sim->stop = false;
    for (size_t i = 0; i < sim->n_nodes; i++)
        sim->nodes[i]->run_limit = SIM_NEVER;
    while (!sim->stop && watermark(sim) < until) {
        compute_bounds(sim, until);
        bool work = false;
        for (size_t i = 0; i < sim->n_nodes; i++)
            if (sim->nodes[i]->eot < until)
                work = true;
        if (!work) {
            /* nothing can happen before `until`: everyone gets there
             * (an open-ended run just ends, time stays usable) */
            if (until != SIM_NEVER) {
                for (size_t i = 0; i < sim->n_nodes; i++)
                    if (sim->nodes[i]->done < until)
                        sim->nodes[i]->done = until;
                end_round(sim);
            }
            break;
        }
        for (size_t i = 0; i < sim->n_nodes && !sim->stop; i++) {
            sim_node_t *n = sim->nodes[i];
            if (n->horizon > n->done)
                node_advance(n, n->horizon);
        }
        end_round(sim);
    }
    return sim->watermark;
}

uint64_t sim_events_fired(const sim_t *sim)
{
    uint64_t total = 0;
    for (size_t i = 0; i < sim->n_nodes; i++)
        total += sim->nodes[i]->events_fired;
    return total;
}
