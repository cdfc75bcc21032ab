/* SPDX-License-Identifier: MIT */
/* models/testbench/testbench.c - builds a testbench from its scenario
 * section and carries out the "ping" action.
 *
 *   "testbench": {
 *     "nodes": [ {"name": "ping", "clock": "16MHz"},
 *                {"name": "pong", "clock": "16MHz", "work_cycles": 40} ],
 *     "links": [ {"from": "ping", "to": "pong", "latency": "250ns"},
 *                {"from": "pong", "to": "ping", "latency": "250ns"} ]
 *   }
 *   {"action": "ping", "from": "ping", "to": "pong", "count": 10,
 *    "interval": "10us", "expect_rtt": "3us"}
 *
 * The driver (world node) reaches a pinging node through a command link and
 * hears the end of the series through a report link, both of latency
 * SCN_DRIVER_LINK_LATENCY; they exist only for nodes that ping. */
#include "models/testbench/testbench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/testbench/testnode.h"
#include "sim/fatal.h"

enum { CMD_PING = 1, REPORT_DONE = 2 };

typedef struct testbench testbench_t;

typedef struct tb_driver_link {
    testbench_t *tb;
    testnode_t *tn;
    sim_link_t cmd;     /* world -> node */
    sim_link_t report;  /* node -> world */
} tb_driver_link_t;

struct testbench {
    scn_run_t *run;
    testnode_t *nodes;
    size_t n_nodes;
    sim_link_t *links;
    size_t n_links;
    tb_driver_link_t *drv;
    size_t n_drv;
};

/* ---- scenario section ------------------------------------------------ */

static const scn_field_t node_fields[] = {
    { .key = "name", .type = SCN_T_STRING, .required = true,
      .help = "node name (lower case letters, digits, '_')" },
    { .key = "clock", .type = SCN_T_FREQ, .required = true,
      .help = "frequency of the node's clock; also usable as N clk@NAME" },
    { .key = "work_cycles", .type = SCN_T_INT, .min = 0,
      .max = 1000000000000LL,
      .help = "cycles of work before answering a request (default 0)" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

static const scn_field_t link_fields[] = {
    { .key = "from", .type = SCN_T_NODE, .required = true,
      .help = "node that sends on the link" },
    { .key = "to", .type = SCN_T_NODE, .required = true,
      .help = "node that receives" },
    { .key = "latency", .type = SCN_T_TIME, .required = true,
      .help = "delivery latency, > 0" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

static const scn_field_t node_item = { .type = SCN_T_OBJECT,
                                       .fields = node_fields };
static const scn_field_t link_item = { .type = SCN_T_OBJECT,
                                       .fields = link_fields };

static const scn_field_t section_fields[] = {
    { .key = "nodes", .type = SCN_T_ARRAY, .required = true, .item = &node_item,
      .min = 1, .max = 64, .help = "the test nodes, in run order" },
    { .key = "links", .type = SCN_T_ARRAY, .item = &link_item, .max = 256,
      .help = "one-way links between nodes" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

static bool valid_node_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 24)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* Runs before links and the timeline are checked: declares the nodes and
 * their clocks; link endpoints are then checked as SCN_T_NODE fields. */
static bool section_check(scn_ctx_t *c, const cJSON *sec, const char *path)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(sec, "nodes");
    const cJSON *n;
    size_t i = 0;
    char p[160];
    cJSON_ArrayForEach(n, nodes) {
        const char *name = scn_get_string(n, "name", "");
        snprintf(p, sizeof p, "%s.nodes[%zu].name", path, i);
        if (!valid_node_name(name))
            return scn_error(c, p, "expected 1..24 characters of a-z, 0-9 "
                                   "or '_', got \"%s\"", name);
        if (strcmp(name, "world") == 0)
            return scn_error(c, p, "\"world\" is the scenario driver's node");
        if (scn_node_declared(c, name))
            return scn_error(c, p, "node \"%s\" is declared twice", name);
        scn_declare_node(c, name);
        scn_declare_clock(c, name, scn_get_freq(n, "clock", 1));
        i++;
    }
    const cJSON *links = cJSON_GetObjectItemCaseSensitive(sec, "links");
    i = 0;
    cJSON_ArrayForEach(n, links) {
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(n, "from");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(n, "to");
        if (cJSON_IsString(from) && cJSON_IsString(to) &&
            strcmp(from->valuestring, to->valuestring) == 0) {
            snprintf(p, sizeof p, "%s.links[%zu].to", path, i);
            return scn_error(c, p, "a link needs two different nodes");
        }
        i++;
    }
    return true;
}

const scn_section_def_t testbench_section_def = {
    .key = "testbench",
    .help = "the platform's own test nodes and links (no card)",
    .fields = section_fields,
    .check = section_check,
};

/* ---- the "ping" action ----------------------------------------------- */

static const scn_field_t ping_fields[] = {
    { .key = "from", .type = SCN_T_NODE, .required = true,
      .help = "node that sends the requests" },
    { .key = "to", .type = SCN_T_NODE, .required = true,
      .help = "node that answers them" },
    { .key = "count", .type = SCN_T_INT, .required = true, .min = 1,
      .max = 1000000000, .help = "number of round trips" },
    { .key = "interval", .type = SCN_T_TIME,
      .help = "sleep between a reply and the next request (default 0)" },
    { .key = "expect_rtt", .type = SCN_T_TIME,
      .help = "every round trip must take exactly this long" },
    { 0 },
};

static testnode_t *find_node(testbench_t *tb, const char *name)
{
    for (size_t i = 0; i < tb->n_nodes; i++)
        if (strcmp(tb->nodes[i].node.name, name) == 0)
            return &tb->nodes[i];
    return NULL;
}

static tb_driver_link_t *find_driver(testbench_t *tb, const testnode_t *tn)
{
    for (size_t i = 0; i < tb->n_drv; i++)
        if (tb->drv[i].tn == tn)
            return &tb->drv[i];
    return NULL;
}

static void ping_done(void *ctx, testnode_t *tn, sim_time_t now,
                      uint64_t count, uint64_t mismatches, sim_time_t last_rtt)
{
    tb_driver_link_t *d = ctx;
    (void)tn;
    (void)count;
    sim_link_send(&d->report, now, REPORT_DONE, mismatches, &last_rtt,
                  sizeof last_rtt);
}

/* In the pinging node: the driver's command arrived. */
static void cmd_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    tb_driver_link_t *d = ctx;
    (void)m;
    scn_run_t *run = d->tb->run;
    const scn_step_t *st = scn_run_current(run);
    testnode_t *to = find_node(d->tb, scn_get_string(st->json, "to", ""));
    testnode_ping(d->tn, to, now, (uint64_t)scn_get_int(st->json, "count", 1),
                  scn_get_time(run->scn, st->json, "interval", 0),
                  scn_get_time(run->scn, st->json, "expect_rtt", SIM_NEVER),
                  ping_done, d);
}

/* In the world node: the series ended. */
static void report_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    scn_run_t *run = ctx;
    const scn_step_t *st = scn_run_current(run);
    sim_time_t rtt;
    memcpy(&rtt, m->data, sizeof rtt);
    char want[SIM_TIME_FMT_LEN], got[SIM_TIME_FMT_LEN];
    if (m->value)
        scn_step_complete(run, now, false,
                          "%llu of %lld round trips took other than %s "
                          "(last: %s)",
                          (unsigned long long)m->value,
                          (long long)scn_get_int(st->json, "count", 0),
                          sim_time_fmt_short(want, sizeof want,
                              scn_get_time(run->scn, st->json, "expect_rtt",
                                           0)),
                          sim_time_fmt_short(got, sizeof got, rtt));
    else
        scn_step_complete(run, now, true, "last rtt %s",
                          sim_time_fmt_short(got, sizeof got, rtt));
}

static scn_status_t ping_start(scn_run_t *run, scn_step_t *st, sim_time_t now)
{
    testbench_t *tb = run->model;
    testnode_t *from = find_node(tb, scn_get_string(st->json, "from", ""));
    tb_driver_link_t *d = find_driver(tb, from);
    sim_link_send(&d->cmd, now, CMD_PING, st->index, NULL, 0);
    return SCN_STEP_PENDING;
}

static const scn_action_def_t ping_action = {
    .name = "ping",
    .help = "testbench: round trips between two test nodes",
    .fields = ping_fields,
    .start = ping_start,
};

const scn_action_def_t *const testbench_actions[] = {
    &ping_action,
    NULL,
};

/* ---- build ----------------------------------------------------------- */

static bool has_link(const testbench_t *tb, const testnode_t *a,
                     const testnode_t *b)
{
    for (size_t i = 0; i < tb->n_links; i++)
        if (tb->links[i].src == &a->node && tb->links[i].dst == &b->node)
            return true;
    return false;
}

static int build(scn_run_t *run, trace_bus_t *bus, char *err, size_t errlen)
{
    const scenario_t *scn = run->scn;
    const cJSON *sec = scn->config;
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(sec, "nodes");
    const cJSON *links = cJSON_GetObjectItemCaseSensitive(sec, "links");
    testbench_t *tb = calloc(1, sizeof *tb);
    size_t nn = (size_t)cJSON_GetArraySize(nodes);
    size_t nl = (size_t)cJSON_GetArraySize(links);
    tb->nodes = calloc(nn, sizeof *tb->nodes);
    tb->links = calloc(nl ? nl : 1, sizeof *tb->links);
    tb->drv = calloc(nn, sizeof *tb->drv);
    if (!tb->nodes || !tb->links || !tb->drv)
        sim_fatal_plain("out of memory");
    tb->run = run;
    run->model = tb;

    const cJSON *n;
    cJSON_ArrayForEach(n, nodes) {
        testnode_cfg_t cfg = {
            .name = scn_get_string(n, "name", ""),
            .hz = scn_get_freq(n, "clock", 1),
            .work_cycles = (uint64_t)scn_get_int(n, "work_cycles", 0),
        };
        testnode_init(&tb->nodes[tb->n_nodes++], run->sim, bus, &cfg);
    }
    size_t i = 0;
    cJSON_ArrayForEach(n, links) {
        testnode_t *a = find_node(tb, scn_get_string(n, "from", ""));
        testnode_t *b = find_node(tb, scn_get_string(n, "to", ""));
        sim_time_t lat = scn_get_time(scn, n, "latency", 0);
        if (lat == 0) {
            snprintf(err, errlen, "%s: $.testbench.links[%zu].latency: "
                     "expected a latency > 0 (lookahead needs it)",
                     scn->file, i);
            return -1;
        }
        if (has_link(tb, a, b)) {
            snprintf(err, errlen, "%s: $.testbench.links[%zu]: a link from "
                     "\"%s\" to \"%s\" already exists", scn->file, i,
                     a->node.name, b->node.name);
            return -1;
        }
        testnode_connect(a, b, &tb->links[tb->n_links++], lat);
        i++;
    }
    /* driver links for the nodes that ping; both directions must exist */
    for (size_t k = 0; k < scn->n_steps; k++) {
        const scn_step_t *st = &scn->steps[k];
        if (st->def != &ping_action)
            continue;
        testnode_t *from = find_node(tb, scn_get_string(st->json, "from", ""));
        testnode_t *to = find_node(tb, scn_get_string(st->json, "to", ""));
        if (from == to || !has_link(tb, from, to) || !has_link(tb, to, from)) {
            snprintf(err, errlen, "%s: %s: expected two different nodes "
                     "linked both ways, \"%s\" and \"%s\" are not",
                     scn->file, st->path, from->node.name, to->node.name);
            return -1;
        }
        if (find_driver(tb, from))
            continue;
        tb_driver_link_t *d = &tb->drv[tb->n_drv++];
        d->tb = tb;
        d->tn = from;
        sim_link_init(&d->cmd, run->sim, "world>node", &run->world,
                      &from->node, SCN_DRIVER_LINK_LATENCY, 0, cmd_rx, d);
        sim_link_init(&d->report, run->sim, "node>world", &from->node,
                      &run->world, SCN_DRIVER_LINK_LATENCY, sizeof(sim_time_t),
                      report_rx, run);
    }
    return 0;
}

static void destroy(void *model)
{
    testbench_t *tb = model;
    if (!tb)
        return;
    free(tb->nodes);
    free(tb->links);
    free(tb->drv);
    free(tb);
}

static void stats(const void *model, cJSON *out)
{
    const testbench_t *tb = model;
    for (size_t i = 0; i < tb->n_nodes; i++) {
        const testnode_t *tn = &tb->nodes[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", tn->node.name);
        cJSON_AddNumberToObject(o, "events", (double)tn->node.events_fired);
        cJSON_AddNumberToObject(o, "cpu_slices", (double)tn->node.cpu_slices);
        cJSON_AddNumberToObject(o, "cycles", (double)tn->cycle);
        cJSON_AddNumberToObject(o, "requests_served",
                                (double)tn->requests_served);
        cJSON_AddNumberToObject(o, "replies_received",
                                (double)tn->replies_received);
        cJSON_AddItemToArray(out, o);
    }
}

const model_section_t testbench_section = {
    .def = &testbench_section_def,
    .pcaps = MODEL_PCAP_APDU,
    .build = build,
    .destroy = destroy,
    .stats = stats,
};
