/* SPDX-License-Identifier: MIT */
/* models/pads.c - the contact pads, their route to one SE and the per-SE
 * port switch (see pads.h for what is modelled and the Notes). */
#include "models/pads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"

/* A route change at a chosen time. */
struct pads_action {
    sim_event_t ev;
    pads_t *pads;
    struct pads_action *next_all, *next_free;
    unsigned route;
};

static void trace_signal(pads_t *p, sim_time_t now, const char *wire,
                         int level)
{
    if (!trace_wants(p->bus, TRACE_SIGNAL))
        return;
    char path[96];
    snprintf(path, sizeof path, "%s.%s", p->path, wire);
    trace_rec_t r = {
        .time = now, .start = now, .kind = TRACE_SIGNAL,
        .source = p->name, .path = path, .u.signal.level = level,
    };
    trace_publish(p->bus, &r);
}

static void send_ctrl(pads_t *p, unsigned i, sim_time_t now, uint32_t kind,
                      uint64_t value)
{
    iso7816_line_t *l = p->se[i].line;
    if (l)
        sim_link_send_at(&l->ctrl, now, now + ISO7816_CTRL_LATENCY, kind,
                         value, NULL, 0);
}

static void notify(pads_t *p, sim_time_t now)
{
    uint32_t st = 0;
    for (unsigned i = 0; i < p->n_se; i++)
        if (p->se[i].status)
            st |= 1u << i;
    if (!p->observer || (p->vcc == p->seen_vcc && st == p->seen_status))
        return;
    p->seen_vcc = p->vcc;
    p->seen_status = st;
    p->observer(p->observer_ctx, now, p->vcc, st);
}

void pads_set_observer(pads_t *p, pads_observer_fn fn, void *ctx)
{
    p->observer = fn;
    p->observer_ctx = ctx;
    p->seen_vcc = false;
    p->seen_status = 0;
}

/* The switch of SE i: the pads drive it while their VCC is on and the
 * route is i. Its status pin follows, after the levels already sent. */
static void update_status(pads_t *p, unsigned i, sim_time_t now)
{
    bool want = p->vcc && p->route == i;
    if (want == p->se[i].status)
        return;
    p->se[i].status = want;
    char wire[16];
    snprintf(wire, sizeof wire, "SE%u", i);
    trace_signal(p, now, wire, want);
    send_ctrl(p, i, now, ISO7816_MSG_PORTSRC, want);
    notify(p, now);
}

/* What the reader's port emits: to the routed SE. */
static void port_out(void *ctx, sim_time_t now, sim_time_t at, uint32_t kind,
                     uint64_t value)
{
    pads_t *p = ctx;
    unsigned i = p->route;
    iso7816_line_t *l = p->se[i].line;
    switch (kind) {
    case ISO7816_MSG_VCC:
        p->vcc = value != 0;
        break;
    case ISO7816_MSG_RST:
        p->rst = value != 0;
        break;
    case ISO7816_MSG_CLK:
        p->clk_hz = value;
        break;
    case ISO7816_MSG_CHAR:
        p->chars_to_se++;
        break;
    default:
        break;
    }
    if (l)
        iso7816_line_send(l, now, at, kind, value);
    if (kind == ISO7816_MSG_VCC) {
        update_status(p, i, now);
        notify(p, now);
    }
}

/* What SE i sends: to the reader if SE i is routed when it arrives. */
static void se_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    pads_se_t *s = ctx;
    pads_t *p = s->pads;
    if (p->route != s->idx || !p->port) {
        if (m->kind == ISO7816_MSG_CHAR)
            p->chars_lost++;
        return;
    }
    if (m->kind == ISO7816_MSG_CHAR)
        p->chars_to_reader++;
    iso7816_port_rx(p->port, m, now);
}

static void do_route(pads_t *p, sim_time_t now, unsigned to)
{
    unsigned from = p->route;
    if (to == from)
        return;
    /* the old SE's pads lines fall (deactivation order), then its pin */
    if (p->rst)
        send_ctrl(p, from, now, ISO7816_MSG_RST, 0);
    if (p->clk_hz)
        send_ctrl(p, from, now, ISO7816_MSG_CLK, 0);
    if (p->vcc)
        send_ctrl(p, from, now, ISO7816_MSG_VCC, 0);
    p->route = to;
    p->route_changes++;
    update_status(p, from, now);
    trace_signal(p, now, "route", (int)to);
    /* the new SE sees the pads' levels (activation order), then its pin */
    if (p->vcc)
        send_ctrl(p, to, now, ISO7816_MSG_VCC, 1);
    if (p->clk_hz)
        send_ctrl(p, to, now, ISO7816_MSG_CLK, p->clk_hz);
    if (p->rst)
        send_ctrl(p, to, now, ISO7816_MSG_RST, 1);
    update_status(p, to, now);
}

static void act_fire(sim_event_t *ev, sim_time_t now)
{
    struct pads_action *a = ev->ctx;
    pads_t *p = a->pads;
    do_route(p, now, a->route);
    a->next_free = p->act_free;
    p->act_free = a;
}

void pads_set_route(pads_t *p, sim_time_t t, unsigned se)
{
    if (se >= p->n_se)
        sim_fatal(t, "pads '%s': no SE %u (there are %u)", p->name, se,
                  p->n_se);
    struct pads_action *a = p->act_free;
    if (a) {
        p->act_free = a->next_free;
    } else {
        a = calloc(1, sizeof *a);
        if (!a)
            sim_fatal_plain("pads '%s': out of memory", p->name);
        a->pads = p;
        a->next_all = p->act_all;
        p->act_all = a;
        sim_event_init(&a->ev, "pads-route", act_fire, a);
    }
    a->route = se;
    sim_schedule(p->node, &a->ev, t);
}

void pads_init(pads_t *p, sim_t *sim, const pads_cfg_t *cfg)
{
    (void)sim;
    memset(p, 0, sizeof *p);
    p->name = cfg->name ? cfg->name : "pads";
    p->path = cfg->path ? cfg->path : "contact";
    p->node = cfg->node;
    p->bus = cfg->bus;
    p->n_se = cfg->n_se;
    p->cfg_route = cfg->route;
    if (!p->node)
        sim_fatal_plain("pads '%s': no node", p->name);
    if (p->n_se == 0 || p->n_se > PADS_MAX_SE)
        sim_fatal_plain("pads '%s': %u SEs (1..%d)", p->name, p->n_se,
                        PADS_MAX_SE);
    if (p->cfg_route >= p->n_se)
        sim_fatal_plain("pads '%s': route %u, but only %u SEs", p->name,
                        p->cfg_route, p->n_se);
    for (unsigned i = 0; i < PADS_MAX_SE; i++) {
        p->se[i].pads = p;
        p->se[i].idx = i;
    }
    p->route = p->cfg_route;
}

void pads_reset(pads_t *p)
{
    for (struct pads_action *a = p->act_all; a; a = a->next_all)
        if (sim_cancel(p->node, &a->ev)) {
            a->next_free = p->act_free;
            p->act_free = a;
        }
}

void pads_cleanup(pads_t *p)
{
    struct pads_action *a = p->act_all;
    while (a) {
        struct pads_action *n = a->next_all;
        sim_cancel(p->node, &a->ev);
        free(a);
        a = n;
    }
    p->act_all = p->act_free = NULL;
}

iso7816_end_t pads_end(pads_t *p, unsigned se)
{
    if (se >= p->n_se)
        sim_fatal_plain("pads '%s': no SE %u", p->name, se);
    return (iso7816_end_t){ .node = p->node, .rx = se_rx, .ctx = &p->se[se] };
}

void pads_connect(pads_t *p, unsigned se, iso7816_line_t *line, sim_t *sim,
                  const char *name, iso7816_end_t card)
{
    iso7816_line_init(line, sim, name, pads_end(p, se), card);
    p->se[se].line = line;
}

void pads_attach_port(pads_t *p, iso7816_port_t *port)
{
    if (port->node != p->node)
        sim_fatal_plain("pads '%s': port '%s' is in another node", p->name,
                        port->name);
    p->port = port;
    iso7816_port_set_output(port, port_out, p);
}

unsigned pads_route(const pads_t *p)
{
    return p->route;
}

bool pads_status(const pads_t *p, unsigned se)
{
    return se < p->n_se && p->se[se].status;
}
