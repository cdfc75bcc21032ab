/* SPDX-License-Identifier: MIT */
/* cli/cmd_run.c - `cardsim run`: validate a scenario, build its system,
 * run the timeline, write events.log, the pcaps and summary.json.
 *
 * Order matters for the "bad input writes nothing" rule: the scenario is
 * loaded and validated and the system built (which can still refuse input)
 * before the output directory is created or touched. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/summary.h"
#include "models/registry.h"
#include "sim/fatal.h"
#include "sim/pcap_sink.h"
#include "sim/scenario.h"
#include "sim/scenario_run.h"
#include "sim/trace.h"
#include "sim/trace_log.h"

#define MAX_OUTPUTS 24

typedef struct run_ctx {
    scenario_t scn;
    sim_t sim;
    trace_bus_t bus;
    scn_run_t run;
    const model_section_t *section;
    trace_log_t log;
    pcap_sink_t pcaps[3];
    size_t n_pcaps;
    const char *outputs[MAX_OUTPUTS];
    size_t n_outputs;
    char out_dir[4096];
    double wall_start;
    bool quiet;
} run_ctx_t;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: cardsim run SCENARIO.json [--out DIR] [--seed N] [--quiet]\n"
        "  --out DIR   output directory (default out/<scenario name>/)\n"
        "  --seed N    override the scenario's seed (0..2^64-1)\n"
        "  --quiet     print nothing but errors\n"
        "writes DIR/events.log, DIR/summary.json and the pcaps of the system\n"
        "(apdu.pcap; nfc.pcap, ble.pcap where the card has them)\n"
        "exit: 0 all expectations held, 1 one failed, 2 bad input, "
        "3 simulation error\n");
}

static int parse_seed(const char *s, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static void finish_outputs(run_ctx_t *c, const char *error)
{
    char err[1024];
    if (trace_bus_close(&c->bus, err, sizeof err) != 0)
        fprintf(stderr, "cardsim: %s\n", err);
    /* the system's end state, then summary.json, which lists every file */
    if (c->section->save && c->run.model &&
        c->section->save(c->run.model, c->out_dir, c->outputs, &c->n_outputs,
                         MAX_OUTPUTS - 2, err, sizeof err) != 0)
        fprintf(stderr, "cardsim: %s\n", err);
    c->outputs[c->n_outputs++] = "summary.json";
    c->outputs[c->n_outputs] = NULL;
    cli_run_info_t info = {
        .scn = &c->scn, .run = &c->run, .section = c->section,
        .bus = &c->bus, .sim = &c->sim,
        .wall_s = cli_wall_seconds() - c->wall_start,
        .out_dir = c->out_dir, .outputs = c->outputs, .error = error,
    };
    if (cli_summary_write(&info, err, sizeof err) != 0)
        fprintf(stderr, "cardsim: %s\n", err);
    if (!c->quiet || error)
        cli_summary_print(error ? stderr : stdout, &info);
}

/* sim_fatal() lands here: keep what was traced, say what happened. */
static void on_fatal(void *ctx, const char *msg)
{
    finish_outputs(ctx, msg);
}

static int open_outputs(run_ctx_t *c, char *err, size_t errlen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/events.log", c->out_dir);
    if (trace_log_open(&c->log, path, err, errlen) != 0)
        return -1;
    trace_sink_t sink;
    trace_log_sink(&c->log, &sink);
    trace_bus_add_sink(&c->bus, &sink);
    c->outputs[c->n_outputs++] = "events.log";

    static const struct {
        unsigned flag;
        pcap_sink_format_t fmt;
        const char *file;
    } pcaps[] = {
        { MODEL_PCAP_APDU, PCAP_SINK_APDU, "apdu.pcap" },
        { MODEL_PCAP_NFC, PCAP_SINK_NFC, "nfc.pcap" },
        { MODEL_PCAP_BLE, PCAP_SINK_BLE, "ble.pcap" },
    };
    for (size_t i = 0; i < 3; i++) {
        if (!(c->section->pcaps & pcaps[i].flag))
            continue;
        snprintf(path, sizeof path, "%s/%s", c->out_dir, pcaps[i].file);
        pcap_sink_t *ps = &c->pcaps[c->n_pcaps];
        if (pcap_sink_open(ps, pcaps[i].fmt, path, err, errlen) != 0)
            return -1;
        c->n_pcaps++;
        pcap_sink_sink(ps, &sink);
        trace_bus_add_sink(&c->bus, &sink);
        c->outputs[c->n_outputs++] = pcaps[i].file;
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "seed", required_argument, NULL, 's' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *seed_arg = NULL;
    bool quiet = false;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "o:s:qh", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 's': seed_arg = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default:
            usage(stderr);
            return cli_bad_input("run: unknown or incomplete option '%s'",
                                 argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return cli_bad_input("run: expected exactly one scenario file");
    }
    uint64_t seed = 0;
    if (seed_arg && parse_seed(seed_arg, &seed) != 0)
        return cli_bad_input("run: --seed: expected an integer 0..2^64-1, "
                             "got \"%s\"", seed_arg);

    run_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return CLI_EXIT_SIM_ERROR;
    c->quiet = quiet;
    char err[2048];
    if (scenario_load(&c->scn, argv[optind], &model_registry, err,
                      sizeof err) != 0) {
        free(c);
        return cli_bad_input("%s", err);
    }
    if (seed_arg)
        c->scn.seed = seed;
    if (out)
        snprintf(c->out_dir, sizeof c->out_dir, "%s", out);
    else
        snprintf(c->out_dir, sizeof c->out_dir, "out/%s", c->scn.name);

    c->section = model_section_of(&c->scn);
    sim_init(&c->sim, c->scn.seed);
    trace_bus_init(&c->bus);
    scn_run_init(&c->run, &c->sim, &c->scn, &c->bus);
    c->run.wall_clock = cli_wall_seconds;
    int rc = CLI_EXIT_BAD_INPUT;
    if (c->section->build(&c->run, &c->bus, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        goto cleanup_model;
    }
    if (cli_mkdir_p(c->out_dir, err, sizeof err) != 0 ||
        open_outputs(c, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        trace_bus_close(&c->bus, err, sizeof err);
        goto cleanup_model;
    }
    trace_bus_attach(&c->bus, &c->sim);
    cli_progress_t progress;
    cli_progress_init(&progress, &c->sim, quiet, c->scn.timeout);
    sim_fatal_set_hook(on_fatal, c);
    c->wall_start = cli_wall_seconds();

    bool ok = scn_run_execute(&c->run);

    cli_progress_end(&progress);
    sim_fatal_set_hook(NULL, NULL);
    trace_bus_release(&c->bus, sim_time_add(c->run.end_time, 1));
    trace_bus_discard(&c->bus);
    finish_outputs(c, NULL);
    rc = ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;

cleanup_model:
    sim_cleanup(&c->sim); /* first: the heaps still point into the models */
    if (c->run.model)
        c->section->destroy(c->run.model);
    scn_run_cleanup(&c->run);
    scenario_free(&c->scn);
    free(c);
    return rc;
}
