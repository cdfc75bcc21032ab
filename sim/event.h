/* SPDX-License-Identifier: MIT */
/* sim/event.h - events and the intrusive min-heap each node owns.
 *
 * An event is embedded in the model that owns it (no allocation to
 * schedule). The heap orders events by (time, insertion sequence): two
 * events at the same time fire in the order they were scheduled, on every
 * run. Schedule, cancel and reschedule are O(log n). The heap's entry array
 * grows by doubling; a failed growth is fatal, an event is never dropped.
 * Keys live in the entry array, next to the event pointer, so sifting
 * touches only that array. */
#ifndef SIM_EVENT_H
#define SIM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

typedef struct sim_event sim_event_t;

/* Called when the event fires; now == ev->time. The event is no longer
 * scheduled when this runs, so the handler may schedule it again. */
typedef void (*sim_event_fn)(sim_event_t *ev, sim_time_t now);

#define SIM_EVENT_UNSCHEDULED UINT32_MAX

struct sim_event {
    sim_event_fn fn;
    void *ctx;          /* owner, for the handler */
    const char *name;   /* for diagnostics */
    sim_time_t time;    /* when scheduled */
    uint32_t heap_idx;  /* position in the heap, or SIM_EVENT_UNSCHEDULED */
};

typedef struct sim_heap_entry {
    sim_time_t time;
    uint64_t seq;
    sim_event_t *ev;
} sim_heap_entry_t;

typedef struct sim_heap {
    sim_heap_entry_t *v;
    uint32_t n, cap;
    uint64_t next_seq;
    /* v[0] is an event being fired (see sim_heap_fire_begin): its entry
     * stays in place so that rescheduling it costs one sift, not two */
    bool top_firing;
} sim_heap_t;

static inline void sim_event_init(sim_event_t *ev, const char *name,
                                  sim_event_fn fn, void *ctx)
{
    ev->fn = fn;
    ev->ctx = ctx;
    ev->name = name;
    ev->time = SIM_NEVER;
    ev->heap_idx = SIM_EVENT_UNSCHEDULED;
}

static inline bool sim_event_scheduled(const sim_event_t *ev)
{
    return ev->heap_idx != SIM_EVENT_UNSCHEDULED;
}

void sim_heap_init(sim_heap_t *h);
void sim_heap_cleanup(sim_heap_t *h);

/* Inserts ev at time t; ev must not be scheduled. */
void sim_heap_push(sim_heap_t *h, sim_event_t *ev, sim_time_t t);
/* Removes ev if scheduled; returns whether it was. */
bool sim_heap_remove(sim_heap_t *h, sim_event_t *ev);
/* Moves ev to time t (scheduling it if it was not). It counts as a new
 * insertion: among events at t it fires after those already there. */
void sim_heap_move(sim_heap_t *h, sim_event_t *ev, sim_time_t t);

/* Drops a fired top entry that its handler did not reschedule. */
void sim_heap_settle(sim_heap_t *h);

static inline sim_time_t sim_heap_min_time(sim_heap_t *h)
{
    if (h->top_firing)
        sim_heap_settle(h);
    return h->n ? h->v[0].time : SIM_NEVER;
}

/* Removes and returns the earliest event, or NULL if empty. */
sim_event_t *sim_heap_pop(sim_heap_t *h);

/* Firing protocol used by the scheduler: fire_begin() returns the earliest
 * event, already unscheduled as far as its owner can tell, but leaves its
 * entry at the top; if the handler schedules that same event again in this
 * heap, the entry is replaced in place (one sift instead of a pop and a
 * push: the common case of periodic events). fire_end() drops the entry if
 * it was not reused. Every other heap operation settles first. */
static inline sim_event_t *sim_heap_fire_begin(sim_heap_t *h)
{
    sim_event_t *ev = h->v[0].ev;
    ev->heap_idx = SIM_EVENT_UNSCHEDULED;
    h->top_firing = true;
    return ev;
}

static inline void sim_heap_fire_end(sim_heap_t *h)
{
    if (h->top_firing)
        sim_heap_settle(h);
}

#endif /* SIM_EVENT_H */
