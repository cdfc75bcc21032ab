/* SPDX-License-Identifier: MIT */
/* models/pads.h - the card's contact pads (C1 VCC, C2 RST, C3 CLK, C7 I/O)
 * and the route from them to one SE at a time, with the per-SE port
 * switch that decides who drives each SE's ISO 7816 port.
 *
 * Models: the pads sit in the contact reader's node, between the reader's
 * iso7816_port and one line per SE (links to the SE's node, whose UART
 * listens on two lines: its MCU port's and the pads'). The route (which SE
 * the pads reach; default 0) can change at chosen times. Switch of SE i:
 * while the pads' VCC is on and the route is i, the pads drive SE i's port
 * and its status pin (SYSCTL.PORTSRC) is 1; otherwise its MCU port drives
 * it and the pin is 0. The pin travels to the SE as an
 * ISO7816_MSG_PORTSRC message on the pads' control link (100 ns), after
 * the level change that caused it. The reader's levels and characters go
 * to the routed SE only; characters from an SE reach the reader only if
 * that SE is routed when they end. Route changes and status pins are
 * traced as TRACE_SIGNAL "<path>.route" and "<path>.SE<i>".
 *
 * Reference: ISO/IEC 7816-2 (contact assignment), 7816-3:2006 clause 6
 * (activation/deactivation). The switch is this card's design
 * (docs/se.md, docs/iso7816.md).
 *
 * Notes:
 *  - the switch is ideal and instantaneous: a route change while the
 *    reader powers the pads deactivates the old SE's pads lines (RST, CLK,
 *    VCC to 0, then its pin to 0: it falls back to its MCU port) and
 *    presents the pads' levels to the new SE (VCC, CLK, RST, then its pin
 *    to 1), all at the same instant;
 *  - the pads going off is a power cut for the routed SE even if its MCU
 *    port powers it: the UART sees VCC fall, then the MCU port's levels
 *    (a zero-length cut, so the SE restarts in contactless mode);
 *  - a character cut by a route change is not modelled: a character is
 *    delivered whole if its end falls while its route holds, else lost. */
#ifndef MODELS_PADS_H
#define MODELS_PADS_H

#include <stdbool.h>
#include <stdint.h>

#include "models/iso7816_line.h"
#include "models/iso7816_port.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/trace.h"

#define PADS_MAX_SE 8

typedef struct pads pads_t;
struct pads_action;

typedef struct pads_cfg {
    const char *name;   /* trace source: "pads" */
    const char *path;   /* wire prefix of its signals: "contact" */
    sim_node_t *node;   /* the reader's node */
    trace_bus_t *bus;   /* may be NULL */
    unsigned n_se;      /* 1..PADS_MAX_SE */
    unsigned route;     /* SE reached at start (default 0) */
} pads_cfg_t;

/* Told of every change of the pads' VCC or of a status pin (the MCU's
 * sense inputs): vcc as the reader drives it, status bit i = SE i's pin. */
typedef void (*pads_observer_fn)(void *ctx, sim_time_t now, bool vcc,
                                 uint32_t status);

typedef struct pads_se {
    pads_t *pads;
    unsigned idx;
    iso7816_line_t *line; /* pads -> SE idx (NULL: not connected) */
    bool status;          /* its status pin as last sent */
} pads_se_t;

struct pads {
    const char *name, *path;
    sim_node_t *node;
    trace_bus_t *bus;
    unsigned n_se, cfg_route;
    pads_se_t se[PADS_MAX_SE];
    iso7816_port_t *port; /* the reader's port (NULL: none) */
    /* levels the reader drives on the pads */
    bool vcc, rst;
    uint64_t clk_hz;
    unsigned route;
    struct pads_action *act_free, *act_all;
    pads_observer_fn observer;
    void *observer_ctx;
    bool seen_vcc;
    uint32_t seen_status;
    /* statistics */
    uint64_t route_changes, chars_to_se, chars_to_reader, chars_lost;
};

void pads_init(pads_t *p, sim_t *sim, const pads_cfg_t *cfg);
/* Cancels pending route changes (levels and route are kept). */
void pads_reset(pads_t *p);
void pads_cleanup(pads_t *p);

/* Wiring: the pads' end of SE se's contact line; connect = create that
 * line (iso7816_line_init) and drive it. The reader's port drives the
 * pads: attach_port makes the pads its output and their receiver. */
iso7816_end_t pads_end(pads_t *p, unsigned se);
void pads_connect(pads_t *p, unsigned se, iso7816_line_t *line, sim_t *sim,
                  const char *name, iso7816_end_t card);
void pads_attach_port(pads_t *p, iso7816_port_t *port);

/* One observer of VCC and the status pins (NULL detaches). */
void pads_set_observer(pads_t *p, pads_observer_fn fn, void *ctx);

/* Route the pads to SE se from time t (>= the node's present). */
void pads_set_route(pads_t *p, sim_time_t t, unsigned se);

unsigned pads_route(const pads_t *p);
/* Status pin of SE se as driven by the switch (the SE sees it 100 ns
 * later). */
bool pads_status(const pads_t *p, unsigned se);

#endif /* MODELS_PADS_H */
