/* SPDX-License-Identifier: MIT */
/* cli/gdb_session.c - one debugger's session while the card is stopped:
 * its packets (registers, memory, break- and watchpoints, queries, the
 * monitor commands) until it resumes the card, leaves or kills the run.
 *
 * Reference: GDB manual, appendix E "GDB Remote Serial Protocol": E.2
 * packets, E.3 stop reply packets, E.4 general query packets (qSupported,
 * qXfer:features:read, qRcmd, thread queries), E.6 Z/z.
 *
 * Notes:
 *  - one thread (1); vCont takes the first action for it;
 *  - a packet the stub does not know gets the empty reply;
 *  - `c ADDR`/`s ADDR` resume at ADDR; the signal of C/S is ignored;
 *  - a memory read returns the readable prefix, E01 if none is. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gdb_int.h"
#include "cli/gdb_target.h"

typedef enum { ACT_STAY, ACT_GO, ACT_KILL } gdb_act_t;

static int reply(gdb_conn_t *c, const char *s)
{
    return gdb_rsp_send_str(&c->rsp, s);
}

static void stop_reply(gdb_conn_t *c, char *out, size_t cap)
{
    snprintf(out, cap, "T%02x%sthread:01;", c->sig ? c->sig : 5, c->why);
}

/* Hex number at *p (at least one digit); *p moves past it. */
static bool hexnum(const char **p, uint32_t *v)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(*p, &end, 16);
    if (end == *p || errno || x > UINT32_MAX || **p == '-' || **p == '+')
        return false;
    *v = (uint32_t)x;
    *p = end;
    return true;
}

static bool expect(const char **p, char ch)
{
    if (**p != ch)
        return false;
    (*p)++;
    return true;
}

static void read_regs(gdb_conn_t *c, char *out)
{
    for (unsigned i = 0; i < GDB_TARGET_NREGS; i++) {
        uint32_t v = 0;
        gdb_target_reg(c->cpu, i, &v);
        gdb_hex(out + 8 * i, &v, 4);
    }
}

static const char *write_regs(gdb_conn_t *c, const char *hex)
{
    size_t n = strlen(hex) / 8;
    if (n > GDB_TARGET_NREGS || strlen(hex) % 8)
        return "E01";
    for (unsigned i = 0; i < n; i++) {
        uint32_t v;
        if (!gdb_unhex(&v, hex + 8 * i, 4))
            return "E01";
        gdb_target_set_reg(c->cpu, i, v);
    }
    return "OK";
}

/* m addr,len: the readable prefix, E01 if none */
static void read_mem(gdb_conn_t *c, const char *p, char *out, size_t cap)
{
    uint32_t addr, len;
    if (!hexnum(&p, &addr) || !expect(&p, ',') || !hexnum(&p, &len) || *p) {
        snprintf(out, cap, "E01");
        return;
    }
    uint8_t buf[GDB_RSP_MAX / 2];
    if (len > sizeof buf)
        len = sizeof buf;
    size_t got = len;
    if (!cpu_read_mem(c->cpu, addr, buf, len))
        for (got = 0; got < len; got++)
            if (!cpu_read_mem(c->cpu, addr + (uint32_t)got, buf + got, 1))
                break;
    if (got == 0 && len > 0)
        snprintf(out, cap, "E01");
    else
        gdb_hex(out, buf, got);
}

/* M addr,len:hex and X addr,len:binary (n: the packet's length) */
static const char *write_mem(gdb_conn_t *c, char *pkt, size_t n)
{
    const char *p = pkt + 1;
    uint32_t addr, len;
    if (!hexnum(&p, &addr) || !expect(&p, ',') || !hexnum(&p, &len) ||
        !expect(&p, ':') || len > GDB_RSP_MAX)
        return "E01";
    uint8_t *data = (uint8_t *)p;
    size_t have = n - (size_t)(p - pkt);
    if (pkt[0] == 'X') {
        have = gdb_unescape(data, have);
    } else {
        if (have != 2 * (size_t)len || !gdb_unhex(data, p, len))
            return "E01";
        have = len;
    }
    if (have != len)
        return "E01";
    if (len && !cpu_write_mem(c->cpu, addr, data, len))
        return "E01";
    return "OK";
}

/* Z/z TYPE,ADDR,KIND (KIND: a watchpoint's length, a breakpoint's
 * instruction size) */
static const char *point(gdb_conn_t *c, const char *pkt)
{
    const char *p = pkt + 2;
    uint32_t addr, len;
    if (pkt[1] < '0' || pkt[1] > '4')
        return ""; /* not supported */
    if (!expect(&p, ',') || !hexnum(&p, &addr) || !expect(&p, ',') ||
        !hexnum(&p, &len) || (*p && *p != ';'))
        return "E01";
    return gdb__point(c, pkt[0] == 'Z', pkt[1], addr, len);
}

/* qRcmd: the monitor commands; text for the debugger's console */
static void monitor(gdb_conn_t *c, const char *cmd, char *text, size_t cap)
{
    char t[SIM_TIME_FMT_LEN];
    while (*cmd == ' ')
        cmd++;
    if (!strcmp(cmd, "time")) {
        snprintf(text, cap, "simulated time %s s\n",
                 sim_time_fmt(t, sizeof t, c->stop_time));
    } else if (!strcmp(cmd, "cycles")) {
        snprintf(text, cap, "%s: %" PRIu64 " cycles, %" PRIu64
                 " instructions (core time %s s)\n", c->core,
                 cpu_cycles(c->cpu), cpu_instructions(c->cpu),
                 sim_time_fmt(t, sizeof t, cpu_time(c->cpu)));
    } else if (!strcmp(cmd, "help") || !*cmd) {
        snprintf(text, cap,
                 "cardsim monitor commands:\n"
                 "  monitor time    the simulated time the card stopped "
                 "at\n"
                 "  monitor cycles  this core's cycle and instruction "
                 "counts\n"
                 "  monitor help    this list\n");
    } else {
        snprintf(text, cap, "unknown monitor command \"%s\" (monitor help "
                 "lists them)\n", cmd);
    }
}

static void query(gdb_conn_t *c, const char *p, char *out, size_t cap)
{
    out[0] = '\0';
    if (!strncmp(p, "qSupported", 10)) {
        c->swbreak = strstr(p, "swbreak+") != NULL;
        c->hwbreak = strstr(p, "hwbreak+") != NULL;
        snprintf(out, cap, "PacketSize=%x;qXfer:features:read+;"
                 "QStartNoAckMode+;swbreak+;hwbreak+", GDB_RSP_MAX);
    } else if (!strncmp(p, "qXfer:features:read:target.xml:", 31)) {
        const char *q = p + 31;
        uint32_t off, len;
        const char *xml = gdb_target_xml();
        size_t xl = strlen(xml);
        if (!hexnum(&q, &off) || !expect(&q, ',') || !hexnum(&q, &len)) {
            snprintf(out, cap, "E01");
        } else if (off >= xl) {
            snprintf(out, cap, "l");
        } else {
            if (len > cap - 2)
                len = (uint32_t)(cap - 2);
            size_t ol, took = gdb_escape(out + 1, len, &ol, xml + off,
                                         xl - off);
            out[0] = off + took >= xl ? 'l' : 'm';
            out[1 + ol] = '\0';
        }
    } else if (!strncmp(p, "qXfer:", 6)) {
        snprintf(out, cap, "E00");
    } else if (!strcmp(p, "qAttached")) {
        snprintf(out, cap, "1");
    } else if (!strcmp(p, "qC")) {
        snprintf(out, cap, "QC01");
    } else if (!strcmp(p, "qfThreadInfo")) {
        snprintf(out, cap, "m01");
    } else if (!strcmp(p, "qsThreadInfo")) {
        snprintf(out, cap, "l");
    } else if (!strncmp(p, "qSymbol", 7)) {
        snprintf(out, cap, "OK");
    } else if (!strncmp(p, "qRcmd,", 6)) {
        char cmd[256], text[1024];
        size_t hl = strlen(p + 6);
        if (hl % 2 || hl / 2 >= sizeof cmd || !gdb_unhex(cmd, p + 6, hl / 2)) {
            snprintf(out, cap, "E01");
            return;
        }
        cmd[hl / 2] = '\0';
        monitor(c, cmd, text, sizeof text);
        gdb_hex(out, text, strlen(text));
    }
}

/* vCont;ACTION[:THREAD]...: our one thread takes the first action that
 * names it or no thread */
static gdb_act_t vcont(gdb_conn_t *c, const char *p)
{
    while (*p == ';') {
        char a = p[1];
        const char *next = strchr(p + 1, ';');
        const char *colon = strchr(p + 1, ':');
        bool ours = !colon || (next && colon > next) ||
                    strtol(colon + 1, NULL, 16) == 1 ||
                    strtol(colon + 1, NULL, 16) == -1;
        if (ours && (a == 'c' || a == 'C' || a == 's' || a == 'S')) {
            gdb__resume(c, a == 's' || a == 'S');
            return ACT_GO;
        }
        if (!next)
            break;
        p = next;
    }
    reply(c, "E01");
    return ACT_STAY;
}

/* Serves one packet; replies to it unless it resumes the card. */
static gdb_act_t packet(gdb_conn_t *c, size_t n)
{
    gdb_server_t *s = c->srv;
    char *p = s->pkt, *out = s->out;
    size_t cap = sizeof s->out;
    uint32_t a, v;
    const char *q = p + 1;
    out[0] = '\0';
    switch (p[0]) {
    case '?':
        stop_reply(c, out, cap);
        break;
    case 'g':
        read_regs(c, out);
        break;
    case 'G':
        snprintf(out, cap, "%s", write_regs(c, p + 1));
        break;
    case 'p':
        if (hexnum(&q, &a) && !*q && gdb_target_reg(c->cpu, a, &v))
            gdb_hex(out, &v, 4);
        else
            snprintf(out, cap, "E01");
        break;
    case 'P':
        if (hexnum(&q, &a) && expect(&q, '=') && strlen(q) == 8 &&
            gdb_unhex(&v, q, 4) && gdb_target_set_reg(c->cpu, a, v))
            snprintf(out, cap, "OK");
        else
            snprintf(out, cap, "E01");
        break;
    case 'm':
        read_mem(c, p + 1, out, cap);
        break;
    case 'M':
    case 'X':
        snprintf(out, cap, "%s", write_mem(c, p, n));
        break;
    case 'c':
    case 's':
    case 'C':
    case 'S': {
        /* [sig;]addr: resume there */
        const char *at = (p[0] == 'C' || p[0] == 'S') ? strchr(q, ';') : q;
        if (at && *at == ';')
            at++;
        if (at && *at && hexnum(&at, &a))
            cpu_set_reg(c->cpu, 15, a);
        gdb__resume(c, p[0] == 's' || p[0] == 'S');
        return ACT_GO;
    }
    case 'D':
        reply(c, "OK");
        gdb__detach(c);
        return ACT_GO;
    case 'k':
        return ACT_KILL;
    case 'H':
    case 'T':
        snprintf(out, cap, "OK");
        break;
    case 'Z':
    case 'z':
        snprintf(out, cap, "%s", point(c, p));
        break;
    case 'q':
        query(c, p, out, cap);
        break;
    case 'Q':
        if (!strcmp(p, "QStartNoAckMode")) {
            reply(c, "OK");
            c->rsp.noack = true;
            return ACT_STAY;
        }
        break;
    case 'v':
        if (!strcmp(p, "vCont?"))
            snprintf(out, cap, "vCont;c;C;s;S");
        else if (!strncmp(p, "vCont;", 6))
            return vcont(c, p + 5);
        else if (!strncmp(p, "vKill", 5)) {
            reply(c, "OK");
            return ACT_KILL;
        }
        break;
    default:
        break; /* "": not supported */
    }
    reply(c, out);
    return ACT_STAY;
}

scn_hold_t gdb__serve(gdb_conn_t *c)
{
    gdb_server_t *s = c->srv;
    if (c->running) { /* it waits for this stop */
        c->running = false;
        stop_reply(c, s->out, sizeof s->out);
        if (reply(c, s->out) != 0) {
            gdb__detach(c);
            return SCN_HOLD_RESUME;
        }
    }
    for (;;) {
        int n = gdb_rsp_recv(&c->rsp, s->pkt, sizeof s->pkt);
        if (n == GDB_RSP_INTR)
            continue; /* already stopped */
        if (n < 0) {
            gdb__detach(c);
            return SCN_HOLD_RESUME;
        }
        switch (packet(c, (size_t)n)) {
        case ACT_STAY:
            break;
        case ACT_GO:
            if (c->rsp.fd >= 0) {
                c->running = true;
                c->sig = 0;
            }
            return SCN_HOLD_RESUME;
        case ACT_KILL:
            gdb_rsp_close(&c->rsp);
            c->sig = 0;
            return SCN_HOLD_END;
        }
    }
}
