/* SPDX-License-Identifier: MIT */
/* cli/gdb_stub.c - the GDB remote stubs of `cardsim run --gdb`: one
 * listening socket and one debugger per core; a stop of any core stops
 * the whole card, and its debugger is served (gdb_session.c) while the
 * card waits.
 *
 * Reference: GDB manual, appendix E "GDB Remote Serial Protocol" (E.3
 * stop replies, E.6 breakpoints and watchpoints via Z/z, E.8
 * interrupts); docs/gdb.md for what is offered and its limits.
 *
 * How a stop works: the core's breakpoint, watchpoint and step handlers
 * (models/cpu) record the stop on the core's connection and call
 * sim_request_stop(), which ends the kernel's run at once; the core is
 * halted. scn_run_execute() then calls hold(), which has that core's
 * debugger served until it resumes (continue, step, detach) or kills the
 * run; the core is resumed and the kernel run again.
 * Between the kernel's rounds, a round hook looks (every 20 ms of wall
 * time) for an interrupt (Ctrl-C) from a running debugger and for a new
 * debugger on a free port: either stops the card at the end of the round.
 *
 * Notes:
 *  - one thread per core (thread 1); GDB's all-stop mode only;
 *  - the card only runs while no debugger is being served: every
 *    attached debugger but the one served is "running"; a stop is
 *    reported to its core's debugger only;
 *  - a core is resumed only from a halt of the stub's (breakpoint,
 *    watchpoint, step): a core held in reset stays held;
 *  - quitting GDB detaches (qAttached is 1): the run goes on to its end;
 *    `kill` ends it (exit code 3, outputs written). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/gdb_int.h"

#define POLL_EVERY_S 0.02 /* wall time between looks at the sockets */

/* ---- specs and sockets ---------------------------------------------- */

int gdb_spec_parse(gdb_spec_t *spec, const char *arg, char *err,
                   size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    spec->arg = arg;
    const char *colon = strrchr(arg, ':');
    size_t cl = colon ? (size_t)(colon - arg) : 0;
    if (!colon || cl == 0 || cl >= sizeof spec->core) {
        snprintf(err, errlen, "run: --gdb %s: expected CORE:PORT (e.g. "
                 "se0:3333; PORT 0 picks a free port)", arg);
        return -1;
    }
    memcpy(spec->core, arg, cl);
    spec->core[cl] = '\0';
    const char *ps = colon + 1;
    char *end;
    errno = 0;
    unsigned long port = strtoul(ps, &end, 10);
    if (!*ps || *ps == '-' || *ps == '+' || *end || errno || port > 65535) {
        snprintf(err, errlen, "run: --gdb %s: PORT: expected a TCP port "
                 "0..65535 (0: a free one), got \"%s\"", arg, ps);
        return -1;
    }
    spec->port = (unsigned)port;
    return 0;
}

static int listen_on(gdb_conn_t *c, unsigned port, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "gdb: socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        snprintf(err, errlen, "run: --gdb %s:%u: cannot listen on "
                 "127.0.0.1:%u: %s", c->core, port, port, strerror(errno));
        close(fd);
        return -1;
    }
    c->lfd = fd;
    c->port = ntohs(a.sin_port);
    return 0;
}

/* Accepts the debugger waiting on c's port (blocking if `block`);
 * false if none. A new debugger finds the card stopped. */
static bool attach(gdb_conn_t *c, bool block)
{
    if (!block) {
        struct pollfd pf = { .fd = c->lfd, .events = POLLIN };
        if (poll(&pf, 1, 0) != 1)
            return false;
    }
    int fd;
    do
        fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    gdb_rsp_init(&c->rsp, fd);
    c->running = false;
    c->swbreak = c->hwbreak = false;
    c->sig = 5;
    c->why[0] = '\0';
    c->stop_time = c->srv->sim->watermark;
    return true;
}

/* ---- stops ------------------------------------------------------------ */

/* c's core stopped: the first reason of an instruction is kept. */
static void core_stop(gdb_conn_t *c, const char *why)
{
    if (!c->sig) {
        c->sig = 5; /* SIGTRAP */
        snprintf(c->why, sizeof c->why, "%s", why);
        c->stop_time = cpu_time(c->cpu);
    }
    c->srv->stopped = true;
    sim_request_stop(c->srv->sim);
}

static bool on_break(void *ctx, cpu_t *cpu, uint32_t pc)
{
    gdb_point_t *p = ctx;
    gdb_conn_t *c = p->conn;
    (void)cpu;
    (void)pc;
    if (p->type == '1')
        core_stop(c, c->hwbreak ? "hwbreak:;" : "");
    else
        core_stop(c, c->swbreak ? "swbreak:;" : "");
    return true;
}

static bool on_watch(void *ctx, cpu_t *cpu, uint32_t addr,
                     cpu_watch_kind_t kind)
{
    gdb_point_t *p = ctx;
    char why[48];
    (void)cpu;
    (void)kind;
    snprintf(why, sizeof why, "%s:%" PRIx32 ";",
             p->type == '2' ? "watch" : p->type == '3' ? "rwatch" : "awatch",
             addr);
    core_stop(p->conn, why);
    return true;
}

static bool on_step(void *ctx, cpu_t *cpu)
{
    (void)cpu;
    core_stop(ctx, "");
    return true;
}

void gdb__resume(gdb_conn_t *c, bool step)
{
    cpu_set_step(c->cpu, step ? on_step : NULL, c);
    if (cpu_at_breakpoint(c->cpu) || cpu_debug_halted(c->cpu))
        cpu_resume(c->cpu);
}

static cpu_watch_kind_t watch_kind(char type)
{
    return type == '2' ? CPU_WATCH_WRITE
           : type == '3' ? CPU_WATCH_READ
                         : CPU_WATCH_ACCESS;
}

static void clear_points(gdb_conn_t *c)
{
    for (unsigned i = 0; i < CPU_MAX_BREAKPOINTS; i++)
        if (c->bp[i].used)
            gdb__point(c, false, c->bp[i].type, c->bp[i].addr, 0);
    for (unsigned i = 0; i < CPU_MAX_WATCHPOINTS; i++)
        if (c->wp[i].used)
            gdb__point(c, false, c->wp[i].type, c->wp[i].addr, c->wp[i].len);
}

const char *gdb__point(gdb_conn_t *c, bool add, char type, uint32_t addr,
                       uint32_t len)
{
    bool is_bp = type <= '1';
    gdb_point_t *set = is_bp ? c->bp : c->wp;
    unsigned max = is_bp ? CPU_MAX_BREAKPOINTS : CPU_MAX_WATCHPOINTS;
    cpu_watch_kind_t kind = watch_kind(type);
    if (is_bp) {
        len = 0; /* the size of the instruction does not matter */
        addr &= ~1u; /* a Thumb address may come with its bit 0 */
    }
    for (unsigned i = 0; i < max; i++) {
        gdb_point_t *pt = &set[i];
        if (add ? pt->used
                : !pt->used || pt->type != type || pt->addr != addr ||
                      pt->len != len)
            continue;
        if (!add) {
            if (is_bp)
                cpu_remove_breakpoint(c->cpu, addr, on_break, pt);
            else
                cpu_remove_watchpoint(c->cpu, addr, len, kind, on_watch, pt);
            pt->used = false;
            return "OK";
        }
        *pt = (gdb_point_t){ .conn = c, .used = true, .type = type,
                             .addr = addr, .len = len };
        bool ok = is_bp ? cpu_add_breakpoint(c->cpu, addr, on_break, pt)
                        : cpu_add_watchpoint(c->cpu, addr, len, kind,
                                             on_watch, pt);
        if (!ok) {
            pt->used = false;
            return "E01";
        }
        return "OK";
    }
    return add ? "E01" : "OK"; /* full / not set: nothing to remove */
}

void gdb__detach(gdb_conn_t *c)
{
    clear_points(c);
    gdb__resume(c, false);
    gdb_rsp_close(&c->rsp);
    c->running = false;
    c->sig = 0;
}

/* Between rounds: an interrupt from a running debugger, a debugger gone,
 * a new debugger. */
static void on_round(void *ctx, sim_time_t watermark)
{
    gdb_server_t *s = ctx;
    double now = cli_wall_seconds();
    if (now < s->next_poll)
        return;
    s->next_poll = now + POLL_EVERY_S;
    for (size_t i = 0; i < s->n; i++) {
        gdb_conn_t *c = &s->conn[i];
        if (c->rsp.fd < 0) {
            if (attach(c, false)) {
                s->stopped = true;
                sim_request_stop(s->sim);
            }
            continue;
        }
        int r = gdb_rsp_poll_intr(&c->rsp);
        if (r < 0) {
            gdb__detach(c);
        } else if (r > 0 && !c->sig) {
            c->sig = 2; /* SIGINT */
            c->why[0] = '\0';
            c->stop_time = watermark;
            s->stopped = true;
            sim_request_stop(s->sim);
        }
    }
}

/* ---- the hold and the server ------------------------------------------ */

static scn_hold_t hold(void *ctx)
{
    gdb_server_t *s = ctx;
    bool held = s->stopped;
    s->stopped = false;
    if (!s->started) {
        s->started = true;
        /* the card waits at its start for each debugger in turn */
        for (size_t i = 0; s->wait && i < s->n; i++) {
            gdb_conn_t *c = &s->conn[i];
            if (c->rsp.fd >= 0 || !attach(c, true))
                continue;
            held = true;
            if (gdb__serve(c) == SCN_HOLD_END)
                return SCN_HOLD_END;
        }
    }
    for (;;) {
        gdb_conn_t *c = NULL;
        for (size_t i = 0; i < s->n && !c; i++)
            if (s->conn[i].sig && s->conn[i].rsp.fd >= 0)
                c = &s->conn[i];
        if (!c)
            break;
        held = true;
        if (gdb__serve(c) == SCN_HOLD_END)
            return SCN_HOLD_END;
    }
    /* stops of cores whose debugger left meanwhile: the cores go on */
    for (size_t i = 0; i < s->n; i++)
        if (s->conn[i].rsp.fd < 0 && s->conn[i].sig) {
            s->conn[i].sig = 0;
            gdb__resume(&s->conn[i], false);
            held = true;
        }
    return held ? SCN_HOLD_RESUME : SCN_HOLD_NONE;
}

int gdb_server_open(gdb_server_t **out, const gdb_spec_t *specs, size_t n,
                    bool wait, scn_run_t *run, char *err, size_t errlen)
{
    if (n > GDB_MAX_STUBS) {
        snprintf(err, errlen, "run: --gdb: at most %d", GDB_MAX_STUBS);
        return -1;
    }
    gdb_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->run = run;
    s->sim = run->sim;
    s->wait = wait;
    for (size_t i = 0; i < n; i++) {
        gdb_conn_t *c = &s->conn[i];
        c->srv = s;
        c->cpu = specs[i].cpu;
        c->lfd = -1;
        gdb_rsp_init(&c->rsp, -1);
        snprintf(c->core, sizeof c->core, "%s", specs[i].core);
        for (size_t k = 0; k < i; k++)
            if (s->conn[k].cpu == c->cpu) {
                snprintf(err, errlen, "run: --gdb %s: core %s has a "
                         "debugger port already", specs[i].arg, c->core);
                s->n = i;
                gdb_server_close(s, 0);
                return -1;
            }
        if (listen_on(c, specs[i].port, err, errlen) != 0) {
            s->n = i;
            gdb_server_close(s, 0);
            return -1;
        }
        s->n = i + 1;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "gdb: %s waiting on 127.0.0.1:%u\n", s->conn[i].core,
                s->conn[i].port);
    run->hold = hold;
    run->hold_ctx = s;
    sim_add_round_hook(s->sim, on_round, s);
    *out = s;
    return 0;
}

void gdb_server_close(gdb_server_t *s, int rc)
{
    if (!s)
        return;
    char w[8];
    snprintf(w, sizeof w, "W%02x", rc & 0xFF);
    for (size_t i = 0; i < s->n; i++) {
        gdb_conn_t *c = &s->conn[i];
        if (c->rsp.fd >= 0 && c->running)
            gdb_rsp_send_str(&c->rsp, w);
        gdb_rsp_close(&c->rsp);
        if (c->lfd >= 0)
            close(c->lfd);
        c->lfd = -1;
    }
    if (s->run && s->run->hold_ctx == s) {
        s->run->hold = NULL;
        s->run->hold_ctx = NULL;
    }
    free(s);
}
