/* SPDX-License-Identifier: MIT */
/* sim/event.c - binary min-heap of events keyed by (time, sequence). */
#include "sim/event.h"

#include <stdlib.h>

#include "sim/fatal.h"

static inline bool before(const sim_heap_entry_t *a, const sim_heap_entry_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void place(sim_heap_t *h, uint32_t i, sim_heap_entry_t e)
{
    h->v[i] = e;
    e.ev->heap_idx = i;
}

static void sift_up(sim_heap_t *h, uint32_t i, sim_heap_entry_t e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
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
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!before(&h->v[c], &e))
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
}

void sim_heap_cleanup(sim_heap_t *h)
{
    for (uint32_t i = 0; i < h->n; i++)
        h->v[i].ev->heap_idx = SIM_EVENT_UNSCHEDULED;
    free(h->v);
    sim_heap_init(h);
}

void sim_heap_push(sim_heap_t *h, sim_event_t *ev, sim_time_t t)
{
    if (ev->heap_idx != SIM_EVENT_UNSCHEDULED)
        sim_fatal(t, "event '%s' scheduled twice", ev->name);
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
    if (i > 0 && before(&last, &h->v[(i - 1) / 2]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

bool sim_heap_remove(sim_heap_t *h, sim_event_t *ev)
{
    uint32_t i = ev->heap_idx;
    if (i == SIM_EVENT_UNSCHEDULED)
        return false;
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
    if (i >= h->n || h->v[i].ev != ev)
        sim_fatal(t, "event '%s' is not in this queue", ev->name);
    ev->time = t;
    sim_heap_entry_t e = { t, h->next_seq++, ev };
    if (i > 0 && before(&e, &h->v[(i - 1) / 2]))
        sift_up(h, i, e);
    else
        sift_down(h, i, e);
}

sim_event_t *sim_heap_pop(sim_heap_t *h)
{
    if (h->n == 0)
        return NULL;
    sim_event_t *ev = h->v[0].ev;
    remove_at(h, 0);
    return ev;
}
