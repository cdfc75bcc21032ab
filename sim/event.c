/* SPDX-License-Identifier: MIT */
/* sim/event.c - 4-ary min-heap of events keyed by (time, sequence).
 * Four children per node halve the depth of a binary heap; with the keys
 * inline, the four children of a node share one or two cache lines. */
#include "sim/event.h"

#include <stdlib.h>

#include "sim/fatal.h"

/* (time, seq) as one 128-bit number: one wide compare, no data-dependent
 * branch, which lets the compiler pick children with conditional moves */
static inline unsigned __int128 key(const sim_heap_entry_t *e)
{
    return ((unsigned __int128)e->time << 64) | e->seq;
}

static inline bool before(const sim_heap_entry_t *a, const sim_heap_entry_t *b)
{
    return key(a) < key(b);
}

static inline void place(sim_heap_t *h, uint32_t i, sim_heap_entry_t e)
{
    h->v[i] = e;
    e.ev->heap_idx = i;
}

#define ARITY 4

static void sift_up(sim_heap_t *h, uint32_t i, sim_heap_entry_t e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / ARITY;
        if (!before(&e, &h->v[parent]))
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, e);
}

static void sift_down(sim_heap_t *h, uint32_t i, sim_heap_entry_t e)
{
    uint32_t n = h->n;
    for (;;) {
        uint32_t first = ARITY * i + 1;
        if (first >= n)
            break;
        uint32_t c = first;
        unsigned __int128 kc = key(&h->v[c]);
        if (first + ARITY <= n) {
            /* all four children exist: the common case, unrolled */
            for (uint32_t k = first + 1; k < first + ARITY; k++) {
                unsigned __int128 kk = key(&h->v[k]);
                bool less = kk < kc;
                c = less ? k : c;
                kc = less ? kk : kc;
            }
        } else {
            for (uint32_t k = first + 1; k < n; k++) {
                unsigned __int128 kk = key(&h->v[k]);
                if (kk < kc) {
                    c = k;
                    kc = kk;
                }
            }
        }
        if (!(kc < key(&e)))
            break;
        place(h, i, h->v[c]);
        i = c;
    }
    place(h, i, e);
}

void sim_heap_init(sim_heap_t *h)
{
    h->v = NULL;
    h->n = h->cap = 0;
    h->next_seq = 0;
    h->top_firing = false;
}

/* Removes the top entry without touching its event: the event may belong
 * to another heap by now. */
void sim_heap_settle(sim_heap_t *h)
{
    h->top_firing = false;
    sim_heap_entry_t last = h->v[--h->n];
    if (h->n > 0)
        sift_down(h, 0, last);
}

void sim_heap_cleanup(sim_heap_t *h)
{
    if (h->top_firing)
        sim_heap_settle(h);
    for (uint32_t i = 0; i < h->n; i++)
        h->v[i].ev->heap_idx = SIM_EVENT_UNSCHEDULED;
    free(h->v);
    sim_heap_init(h);
}

void sim_heap_push(sim_heap_t *h, sim_event_t *ev, sim_time_t t)
{
    if (ev->heap_idx != SIM_EVENT_UNSCHEDULED)
        sim_fatal(t, "event '%s' scheduled twice", ev->name);
    if (h->top_firing) {
        if (h->v[0].ev == ev) {
            /* the event being fired, scheduled again: reuse its entry */
            h->top_firing = false;
            ev->time = t;
            sim_heap_entry_t e = { t, h->next_seq++, ev };
            sift_down(h, 0, e);
            return;
        }
        sim_heap_settle(h);
    }
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        if (cap <= h->cap || cap >= SIM_EVENT_UNSCHEDULED)
            sim_fatal(t, "event queue full (%u events)", h->n);
        sim_heap_entry_t *v = realloc(h->v, (size_t)cap * sizeof *v);
        if (!v)
            sim_fatal(t, "out of memory growing event queue to %u", cap);
        h->v = v;
        h->cap = cap;
    }
    ev->time = t;
    sim_heap_entry_t e = { t, h->next_seq++, ev };
    sift_up(h, h->n++, e);
}

static void remove_at(sim_heap_t *h, uint32_t i)
{
    h->v[i].ev->heap_idx = SIM_EVENT_UNSCHEDULED;
    sim_heap_entry_t last = h->v[--h->n];
    if (i == h->n)
        return;
    if (i > 0 && before(&last, &h->v[(i - 1) / ARITY]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

bool sim_heap_remove(sim_heap_t *h, sim_event_t *ev)
{
    uint32_t i = ev->heap_idx;
    if (i == SIM_EVENT_UNSCHEDULED)
        return false;
    if (h->top_firing) {
        sim_heap_settle(h);
        i = ev->heap_idx;
    }
    if (i >= h->n || h->v[i].ev != ev)
        sim_fatal(ev->time, "event '%s' is not in this queue", ev->name);
    remove_at(h, i);
    return true;
}

void sim_heap_move(sim_heap_t *h, sim_event_t *ev, sim_time_t t)
{
    uint32_t i = ev->heap_idx;
    if (i == SIM_EVENT_UNSCHEDULED) {
        sim_heap_push(h, ev, t);
        return;
    }
    if (h->top_firing) {
        sim_heap_settle(h);
        i = ev->heap_idx;
    }
    if (i >= h->n || h->v[i].ev != ev)
        sim_fatal(t, "event '%s' is not in this queue", ev->name);
    ev->time = t;
    sim_heap_entry_t e = { t, h->next_seq++, ev };
    if (i > 0 && before(&e, &h->v[(i - 1) / ARITY]))
        sift_up(h, i, e);
    else
        sift_down(h, i, e);
}

sim_event_t *sim_heap_pop(sim_heap_t *h)
{
    if (h->top_firing)
        sim_heap_settle(h);
    if (h->n == 0)
        return NULL;
    sim_event_t *ev = h->v[0].ev;
    remove_at(h, 0);
    return ev;
}
