/* SPDX-License-Identifier: MIT */
/* sim/trace.c - the trace bus: deep-copying reorder buffer and fan-out to
 * sinks in (time, publication sequence) order. */
#include "sim/trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"

/* A buffered record: the struct and every byte it points to live in one
 * allocation (bytes[]), so publishing costs one block, usually recycled. */
struct trace_pending {
    uint64_t seq;
    trace_pending_t *next_free;
    size_t cls;              /* size class, or NO_CLASS for a one-off */
    trace_rec_t rec;
    char bytes[];
};

#define NO_CLASS ((size_t)-1)
#define CLASS0_SIZE ((size_t)128)

static const char *const kind_names[TRACE_KIND_COUNT] = {
    [TRACE_LINE_BYTE] = "BYTE",
    [TRACE_FRAME] = "FRAME",
    [TRACE_APDU] = "APDU",
    [TRACE_ATR] = "ATR",
    [TRACE_SIGNAL] = "SIGNAL",
    [TRACE_FLASH_OP] = "FLASH",
    [TRACE_MODE] = "MODE",
    [TRACE_CPU_FAULT] = "FAULT",
    [TRACE_LOG] = "LOG",
};

const char *trace_kind_name(trace_kind_t kind)
{
    if ((unsigned)kind >= TRACE_KIND_COUNT)
        return "?";
    return kind_names[kind];
}

void trace_bus_init(trace_bus_t *bus)
{
    memset(bus, 0, sizeof *bus);
}

void trace_bus_add_sink(trace_bus_t *bus, const trace_sink_t *sink)
{
    if (bus->n_sinks == TRACE_MAX_SINKS)
        sim_fatal_plain("trace bus: too many sinks (max %d), cannot add '%s'",
                        TRACE_MAX_SINKS, sink->name ? sink->name : "?");
    if (!sink->record)
        sim_fatal_plain("trace bus: sink '%s' has no record function",
                        sink->name ? sink->name : "?");
    bus->sinks[bus->n_sinks++] = *sink;
    bus->mask |= sink->mask & TRACE_MASK_ALL;
}

/* ---- pending-record blocks ---- */

static trace_pending_t *block_get(trace_bus_t *bus, size_t extra)
{
    size_t need = sizeof(trace_pending_t) + extra;
    size_t cls = 0, size = CLASS0_SIZE;
    while (size < need && cls < TRACE_FREE_CLASSES) {
        size <<= 1;
        cls++;
    }
    trace_pending_t *p;
    if (cls == TRACE_FREE_CLASSES) {
        /* rare giant record (an extended APDU): not worth keeping */
        cls = NO_CLASS;
        size = need;
    } else if (bus->free_list[cls]) {
        p = bus->free_list[cls];
        bus->free_list[cls] = p->next_free;
        return p;
    }
    p = malloc(size);
    if (!p)
        sim_fatal_plain("trace bus: out of memory (%zu bytes)", size);
    p->cls = cls;
    return p;
}

static void block_put(trace_bus_t *bus, trace_pending_t *p)
{
    if (p->cls == NO_CLASS) {
        free(p);
        return;
    }
    p->next_free = bus->free_list[p->cls];
    bus->free_list[p->cls] = p;
}

/* ---- the heap ---- */

static inline bool before(const trace_pending_t *a, const trace_pending_t *b)
{
    if (a->rec.time != b->rec.time)
        return a->rec.time < b->rec.time;
    return a->seq < b->seq;
}

static void heap_push(trace_bus_t *bus, trace_pending_t *p)
{
    if (bus->n_heap == bus->cap_heap) {
        size_t cap = bus->cap_heap ? bus->cap_heap * 2 : 256;
        trace_pending_t **h = realloc(bus->heap, cap * sizeof *h);
        if (!h)
            sim_fatal_plain("trace bus: out of memory (%zu pending records)",
                            cap);
        bus->heap = h;
        bus->cap_heap = cap;
    }
    trace_pending_t **h = bus->heap;
    size_t i = bus->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(p, h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = p;
}

static trace_pending_t *heap_pop(trace_bus_t *bus)
{
    trace_pending_t **h = bus->heap;
    trace_pending_t *top = h[0];
    trace_pending_t *last = h[--bus->n_heap];
    size_t n = bus->n_heap, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(h[c + 1], h[c]))
            c++;
        if (!before(h[c], last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (n)
        h[i] = last;
    return top;
}

/* ---- publishing ---- */

/* Appends s (with its NUL) at *at; returns the copy, NULL for NULL. */
static const char *copy_str(char **at, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = *at;
    memcpy(d, s, n + 1);
    *at += n + 1;
    return d;
}

static inline size_t str_size(const char *s)
{
    return s ? strlen(s) : 0;
}

void trace_publish(trace_bus_t *bus, const trace_rec_t *rec)
{
    if (!trace_wants(bus, rec->kind))
        return;
    if (rec->time < bus->last_time)
        sim_fatal(rec->time,
                  "trace bus: %s record from '%s' published after a record "
                  "at a later time was released (the watermark promised "
                  "nothing earlier would come)",
                  trace_kind_name(rec->kind),
                  rec->source ? rec->source : "?");

    const char *mode = rec->kind == TRACE_MODE ? rec->u.mode.mode : NULL;
    const char *where =
        rec->kind == TRACE_CPU_FAULT ? rec->u.fault.where : NULL;
    size_t n_source = str_size(rec->source), n_path = str_size(rec->path),
           n_text = str_size(rec->text), n_mode = str_size(mode),
           n_where = str_size(where);
    size_t len = rec->data ? rec->len : 0;
    size_t extra = len + n_source + n_path + n_text + n_mode + n_where + 5;

    trace_pending_t *p = block_get(bus, extra);
    p->seq = bus->next_seq++;
    p->rec = *rec;
    char *at = p->bytes;
    if (len) {
        memcpy(at, rec->data, len);
        p->rec.data = (const uint8_t *)at;
        at += len;
    } else {
        p->rec.data = NULL;
    }
    p->rec.len = len;
    p->rec.source = copy_str(&at, rec->source, n_source);
    p->rec.path = copy_str(&at, rec->path, n_path);
    p->rec.text = copy_str(&at, rec->text, n_text);
    if (rec->kind == TRACE_MODE)
        p->rec.u.mode.mode = copy_str(&at, mode, n_mode);
    if (rec->kind == TRACE_CPU_FAULT)
        p->rec.u.fault.where = copy_str(&at, where, n_where);
    heap_push(bus, p);
    bus->published[rec->kind]++;
}

void trace_logf(trace_bus_t *bus, sim_time_t now, const char *source,
                int level, const char *fmt, ...)
{
    if (!trace_wants(bus, TRACE_LOG))
        return;
    char small[256];
    char *text = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        small[0] = '\0';
    } else if ((size_t)n >= sizeof small) {
        text = malloc((size_t)n + 1);
        if (!text)
            sim_fatal_plain("trace bus: out of memory");
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    trace_rec_t rec = {
        .time = now,
        .start = now,
        .kind = TRACE_LOG,
        .source = source,
        .text = text,
        .u.log.level = level,
    };
    trace_publish(bus, &rec);
    if (text != small)
        free(text);
}

/* ---- releasing ---- */

static void release_one(trace_bus_t *bus)
{
    trace_pending_t *p = heap_pop(bus);
    /* cannot fail: publish refuses anything earlier than last_time */
    bus->last_time = p->rec.time;
    uint32_t bit = TRACE_MASK(p->rec.kind);
    for (size_t i = 0; i < bus->n_sinks; i++) {
        const trace_sink_t *s = &bus->sinks[i];
        if (s->mask & bit)
            s->record(s->ctx, &p->rec);
    }
    block_put(bus, p);
}

void trace_bus_release(trace_bus_t *bus, sim_time_t watermark)
{
    while (bus->n_heap && bus->heap[0]->rec.time < watermark)
        release_one(bus);
}

size_t trace_bus_discard(trace_bus_t *bus)
{
    size_t n = bus->n_heap;
    for (size_t i = 0; i < n; i++)
        block_put(bus, bus->heap[i]);
    bus->n_heap = 0;
    return n;
}

static void round_hook(void *ctx, sim_time_t watermark)
{
    trace_bus_release(ctx, watermark);
}

static void warn_hook(void *ctx, sim_time_t now, const char *source,
                      const char *msg)
{
    trace_bus_t *bus = ctx;
    if (!trace_wants(bus, TRACE_LOG)) {
        char t[SIM_TIME_FMT_LEN];
        fprintf(stderr, "cardsim: warning at t=%s s [%s]: %s\n",
                sim_time_fmt(t, sizeof t, now), source ? source : "-", msg);
        return;
    }
    /* a warning raised outside a node's time (setup, teardown) may be
     * stamped before what was already released; it is still worth seeing */
    trace_logf(bus, sim_time_max(now, bus->last_time), source, 1, "%s", msg);
}

void trace_bus_attach(trace_bus_t *bus, sim_t *sim)
{
    sim_add_round_hook(sim, round_hook, bus);
    sim_warn_set_sink(warn_hook, bus);
    bus->warn_hooked = true;
}

int trace_bus_close(trace_bus_t *bus, char *err, size_t errlen)
{
    if (bus->closed)
        return 0;
    if (bus->warn_hooked) {
        sim_warn_set_sink(NULL, NULL);
        bus->warn_hooked = false;
    }
    while (bus->n_heap)
        release_one(bus);
    /* the sim's round hook may still fire later: keep it harmless */
    bus->closed = true;
    int rc = 0;
    for (size_t i = 0; i < bus->n_sinks; i++) {
        const trace_sink_t *s = &bus->sinks[i];
        if (!s->close)
            continue;
        char msg[512] = "";
        if (s->close(s->ctx, msg, sizeof msg) != 0 && rc == 0) {
            rc = -1;
            if (err && errlen)
                snprintf(err, errlen, "%s",
                         msg[0] ? msg : "a trace sink failed to close");
        }
    }
    free(bus->heap);
    bus->heap = NULL;
    bus->n_heap = bus->cap_heap = 0;
    for (size_t c = 0; c < TRACE_FREE_CLASSES; c++) {
        while (bus->free_list[c]) {
            trace_pending_t *p = bus->free_list[c];
            bus->free_list[c] = p->next_free;
            free(p);
        }
    }
    bus->n_sinks = 0;
    bus->mask = 0;
    return rc;
}
