/* SPDX-License-Identifier: MIT */
/* cli/gdb_int.h - what the GDB stub's files share and nobody else sees:
 * gdb_stub.c (sockets, the card's stops, the hold) and gdb_session.c (one
 * debugger's packets while the card is stopped). */
#ifndef CLI_GDB_INT_H
#define CLI_GDB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/gdb_rsp.h"
#include "cli/gdb_stub.h"
#include "sim/time.h"

typedef struct gdb_conn gdb_conn_t;

/* A Z0/Z1 breakpoint or a Z2/Z3/Z4 watchpoint; the core's handler gets
 * its slot (slots do not move). */
typedef struct gdb_point {
    gdb_conn_t *conn;
    bool used;
    char type;               /* '0'..'4' as in the Z packet */
    uint32_t addr, len;
} gdb_point_t;

struct gdb_conn {
    gdb_server_t *srv;
    char core[16];
    cpu_t *cpu;
    int lfd;                 /* listening socket */
    unsigned port;
    gdb_rsp_t rsp;           /* the debugger (fd -1: none) */
    bool running;            /* it waits for a stop reply */
    bool swbreak, hwbreak;   /* it understands these stop reasons */
    int sig;                 /* the stop to report (0: none) */
    char why[48];            /* its reason: "swbreak:;", "watch:ADDR;" */
    sim_time_t stop_time;    /* when the card stopped for it */
    gdb_point_t bp[CPU_MAX_BREAKPOINTS];
    gdb_point_t wp[CPU_MAX_WATCHPOINTS];
};

struct gdb_server {
    scn_run_t *run;
    sim_t *sim;
    gdb_conn_t conn[GDB_MAX_STUBS];
    size_t n;
    bool wait, started;
    bool stopped;            /* the stub stopped the kernel */
    double next_poll;
    char pkt[GDB_RSP_MAX + 1];
    char out[GDB_RSP_MAX + 1];
};

/* gdb_stub.c */
/* Z/z: adds (add) or removes a point of type '0'..'4' (Z packet types;
 * len: a watchpoint's bytes) on c's core. "OK", or "E01" (bad, or no slot
 * or core breakpoint left). */
const char *gdb__point(gdb_conn_t *c, bool add, char type, uint32_t addr,
                       uint32_t len);
/* c's core goes on from a halt of the stub's (a core held in reset or
 * unpowered stays so); step: one instruction, then a stop. */
void gdb__resume(gdb_conn_t *c, bool step);
/* c's debugger is gone (detached, or its connection closed): its points
 * go, its core runs on, the port takes a new debugger. */
void gdb__detach(gdb_conn_t *c);

/* gdb_session.c */
/* Serves c's debugger while the card is stopped, first with the stop
 * reply it waits for if it is running. SCN_HOLD_RESUME when it resumed
 * the card (continue, step) or left, SCN_HOLD_END when it killed the run. */
scn_hold_t gdb__serve(gdb_conn_t *c);

#endif /* CLI_GDB_INT_H */
