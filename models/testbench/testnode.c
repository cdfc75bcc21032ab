/* SPDX-License-Identifier: MIT */
/* models/testbench/testnode.c - the platform's test node (see testnode.h). */
#include "models/testbench/testnode.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sim/fatal.h"

enum { MSG_REQUEST = 1, MSG_REPLY = 2 };

static void trace_apdu(testnode_t *tn, sim_time_t now, const char *path,
                       trace_dir_t dir, const uint8_t *b, size_t len)
{
    if (!trace_wants(tn->bus, TRACE_APDU))
        return;
    trace_rec_t r = {
        .time = now, .start = now, .kind = TRACE_APDU,
        .source = tn->node.name, .path = path, .dir = dir,
        .data = b, .len = len,
    };
    trace_publish(tn->bus, &r);
}

static void apdu_path(char *buf, size_t len, const testnode_t *from,
                      const testnode_t *to)
{
    snprintf(buf, len, "%s>%s", from->upper, to->upper);
}

static void send_request(testnode_t *tn, sim_time_t now)
{
    /* READ BINARY of 4 bytes at offset = sequence number */
    uint32_t seq = (uint32_t)tn->sent;
    uint8_t apdu[5] = { 0x00, 0xB0, (uint8_t)(seq >> 8), (uint8_t)seq, 0x04 };
    char path[80];
    apdu_path(path, sizeof path, tn, tn->target);
    trace_apdu(tn, now, path, TRACE_DIR_CMD, apdu, sizeof apdu);
    tn->sent_at = now;
    tn->sent++;
    sim_link_send(tn->target_link, now, MSG_REQUEST, seq, NULL, 0);
}

static void next_ping_fire(sim_event_t *ev, sim_time_t now)
{
    send_request(ev->ctx, now);
}

static size_t peer_index(const testnode_t *tn, const testnode_t *peer)
{
    for (size_t i = 0; i < tn->n_peers; i++)
        if (tn->peer[i] == peer)
            return i;
    return SIZE_MAX;
}

static void on_reply(testnode_t *tn, const sim_msg_t *m, sim_time_t now)
{
    tn->replies_received++;
    sim_time_t rtt = now - tn->sent_at;
    tn->last_rtt = rtt;
    uint32_t seq = (uint32_t)m->value;
    uint8_t rsp[6] = { (uint8_t)(seq >> 24), (uint8_t)(seq >> 16),
                       (uint8_t)(seq >> 8), (uint8_t)seq, 0x90, 0x00 };
    char path[80], t[SIM_TIME_FMT_LEN];
    apdu_path(path, sizeof path, tn, tn->target);
    trace_apdu(tn, now, path, TRACE_DIR_RSP, rsp, sizeof rsp);
    bool ok = tn->expect_rtt == SIM_NEVER || rtt == tn->expect_rtt;
    if (!ok)
        tn->mismatches++;
    if (trace_wants(tn->bus, TRACE_LOG))
        trace_logf(tn->bus, now, tn->node.name, ok ? 0 : 2, "rtt=%s seq=%u%s",
                   sim_time_fmt_short(t, sizeof t, rtt), seq,
                   ok ? "" : " (unexpected)");
    if (tn->sent < tn->count) {
        sim_schedule(&tn->node, &tn->next_ping,
                     sim_time_add(now, tn->interval));
        return;
    }
    tn->target = NULL;
    if (tn->done)
        tn->done(tn->done_ctx, tn, now, tn->count, tn->mismatches, rtt);
}

static void on_request(testnode_t *tn, const sim_msg_t *m, sim_time_t now)
{
    if (tn->busy)
        sim_fatal(now, "testnode '%s': request while busy (one at a time)",
                  tn->node.name);
    size_t i = peer_index(tn, m->link->src->ctx);
    if (i == SIZE_MAX)
        sim_fatal(now, "testnode '%s': no link back to '%s'", tn->node.name,
                  m->link->src->name);
    tn->requests_served++;
    tn->reply_link = tn->out[i];
    tn->reply_seq = (uint32_t)m->value;
    /* wake the CPU: it catches up to the first edge at or after now */
    uint64_t first = sim_clock_edge_at_or_after(&tn->clk, now);
    if (first > tn->cycle)
        tn->cycle = first;
    tn->busy_end_cycle = tn->cycle + tn->work_cycles;
    tn->busy_end = sim_clock_edge(&tn->clk, tn->busy_end_cycle);
    tn->busy = true;
}

static void rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    testnode_t *tn = ctx;
    if (m->kind == MSG_REQUEST)
        on_request(tn, m, now);
    else
        on_reply(tn, m, now);
}

/* Stand-in CPU: one cycle per edge until the work is done or the limit. */
static sim_time_t cpu_run(void *cpu, sim_time_t now, const sim_time_t *limit)
{
    testnode_t *tn = cpu;
    (void)now;
    if (tn->busy_end < *limit) {
        tn->cycle = tn->busy_end_cycle;
        tn->busy = false;
        sim_link_send(tn->reply_link, tn->busy_end, MSG_REPLY, tn->reply_seq,
                      NULL, 0);
        return tn->busy_end;
    }
    tn->cycle = sim_clock_edge_at_or_after(&tn->clk, *limit);
    return sim_clock_edge(&tn->clk, tn->cycle);
}

static bool cpu_active(void *cpu)
{
    return ((testnode_t *)cpu)->busy;
}

void testnode_init(testnode_t *tn, sim_t *sim, trace_bus_t *bus,
                   const testnode_cfg_t *cfg)
{
    memset(tn, 0, sizeof *tn);
    tn->bus = bus;
    tn->work_cycles = cfg->work_cycles;
    sim_node_init(&tn->node, sim, cfg->name, tn);
    sim_clock_init(&tn->clk, cfg->name, cfg->hz, 0);
    size_t i = 0;
    for (; cfg->name[i] && i + 1 < sizeof tn->upper; i++)
        tn->upper[i] = (char)toupper((unsigned char)cfg->name[i]);
    tn->upper[i] = '\0';
    sim_cpu_hook_t hook = { cpu_run, cpu_active, tn };
    sim_node_set_cpu(&tn->node, &hook);
    sim_event_init(&tn->next_ping, "testnode.ping", next_ping_fire, tn);
}

void testnode_connect(testnode_t *tn, testnode_t *peer, sim_link_t *link,
                      sim_time_t latency)
{
    if (tn->n_peers == TESTNODE_MAX_PEERS)
        sim_fatal_plain("testnode '%s': more than %d peers", tn->node.name,
                        TESTNODE_MAX_PEERS);
    sim_link_init(link, tn->node.sim, tn->node.name, &tn->node, &peer->node,
                  latency, 0, rx, peer);
    tn->out[tn->n_peers] = link;
    tn->peer[tn->n_peers] = peer;
    tn->n_peers++;
}

void testnode_ping(testnode_t *tn, testnode_t *peer, sim_time_t now,
                   uint64_t count, sim_time_t interval, sim_time_t expect_rtt,
                   testnode_done_fn done, void *done_ctx)
{
    size_t i = peer_index(tn, peer);
    if (i == SIZE_MAX)
        sim_fatal(now, "testnode '%s': no link to '%s'", tn->node.name,
                  peer->node.name);
    if (tn->target)
        sim_fatal(now, "testnode '%s': a ping series is already running",
                  tn->node.name);
    tn->target = peer;
    tn->target_link = tn->out[i];
    tn->count = count;
    tn->sent = 0;
    tn->mismatches = 0;
    tn->interval = interval;
    tn->expect_rtt = expect_rtt;
    tn->done = done;
    tn->done_ctx = done_ctx;
    if (count == 0) {
        if (done)
            done(done_ctx, tn, now, 0, 0, 0);
        return;
    }
    send_request(tn, now);
}
