/* SPDX-License-Identifier: MIT */
/* cli/cmd_sweep.c - `cardsim sweep SCENARIO.json [-j N] [--points N]`:
 * cuts the power of one SE inside every flash operation it starts (at N
 * points of each: its start, 1/N, ... of its duration), and after each cut
 * runs the scenario's recovery steps, which carry the invariants (the SE
 * boots the old or the new COS or its loader in a resumable state, a
 * balance is the old or the new, ...). The scenario's "sweep" object
 * names the SE, optionally the timeline step during which to cut, the
 * points and the recovery steps (docs/sweep.md).
 *
 * The prefix of each cut is not simulated again: the scenario runs once,
 * and when an operation starts the process forks, one child per point;
 * a child arms its cut, lets the run go on into the cut and the recovery,
 * and reports one line through a pipe. -j children at a time.
 *
 * `cardsim sweep SCENARIO.json --cut OP:K/N [--out DIR]` runs one cut
 * without forking and writes the usual outputs (events.log, pcaps, flash
 * images, summary.json): the exact reproduction of a failure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "models/card.h"
#include "models/registry.h"
#include "sim/fatal.h"
#include "sim/scenario.h"
#include "sim/scenario_run.h"
#include "sim/trace.h"
#include "sim/trace_log.h"

typedef struct sweep {
    const char *file;
    scenario_t scn;
    sim_t sim;
    trace_bus_t bus;
    scn_run_t run;
    const model_section_t *section;
    unsigned se, points;
    size_t during;          /* step index, or SIZE_MAX: every operation */
    unsigned ops_from, ops_to; /* --ops: only operations in [from, to] */
    long jobs;
    int pipe_w, pipe_r;
    bool child;
    unsigned child_op, child_k;
    trace_log_t child_log;      /* CARDSIM_SWEEP_LOG=DIR: each cut's trace */
    bool child_logging;
    /* parent */
    size_t running, tried, passed, failed, ops;
    char *fails;            /* failure lines */
    size_t fails_len, fails_cap;
} sweep_t;

static void fcntl_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void fcntl_block(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

/* One cut with outputs: `cardsim run FILE --cut SPEC [--out DIR]`. */
static int cli_run_with_cut(const char *file, const char *out,
                            const char *spec)
{
    char *argv[8];
    int argc = 0;
    argv[argc++] = (char *)"run";
    argv[argc++] = (char *)file;
    argv[argc++] = (char *)"--cut";
    argv[argc++] = (char *)spec;
    if (out) {
        argv[argc++] = (char *)"--out";
        argv[argc++] = (char *)out;
    }
    argv[argc] = NULL;
    return cmd_run(argc, argv);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: cardsim sweep SCENARIO.json [-j N] [--points N] "
        "[--ops FIRST-LAST]\n"
        "       cardsim sweep SCENARIO.json --cut OP:K/N [--out DIR]\n"
        "  -j N          N cuts at a time (default: the CPUs)\n"
        "  --points N    cuts per flash operation (default: the scenario's "
        "sweep.points, else 3)\n"
        "  --ops A-B     only the operations numbered A to B\n"
        "  --cut OP:K/N  one cut, in operation OP at K/N of it, with "
        "outputs\n"
        "the scenario needs a \"sweep\" object (docs/sweep.md); exit 0 no "
        "cut broke an invariant, 1 some did, 2 bad input\n");
}

static void add_fail(sweep_t *s, const char *line)
{
    size_t n = strlen(line);
    if (s->fails_len + n + 1 > s->fails_cap) {
        s->fails_cap = (s->fails_len + n + 1) * 2;
        char *p = realloc(s->fails, s->fails_cap);
        if (!p)
            return;
        s->fails = p;
    }
    memcpy(s->fails + s->fails_len, line, n + 1);
    s->fails_len += n;
}

/* Reads one result line per finished child and reaps one child. */
static void reap_one(sweep_t *s)
{
    int st;
    pid_t pid = wait(&st);
    if (pid < 0)
        return;
    s->running--;
}

static void read_results(sweep_t *s, bool block)
{
    (void)block;
    char buf[1024];
    static char acc[65536];
    static size_t acc_len;
    ssize_t n;
    while ((n = read(s->pipe_r, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (acc_len < sizeof acc - 1)
                acc[acc_len++] = buf[i];
            if (buf[i] != '\n')
                continue;
            acc[acc_len] = '\0';
            if (strncmp(acc, "ok ", 3) == 0) {
                s->passed++;
            } else if (strncmp(acc, "fail ", 5) == 0) {
                s->failed++;
                add_fail(s, acc + 5);
            } else {
                add_fail(s, acc); /* a failure's reproduce line */
            }
            acc_len = 0;
        }
    }
}

/* In the SE's node, in the parent: an operation starts. */
static void on_op(void *ctx, unsigned se, const flash_op_t *op)
{
    sweep_t *s = ctx;
    if (s->child || se != s->se || op->index < s->ops_from ||
        op->index > s->ops_to)
        return;
    if (s->during != SIZE_MAX &&
        (s->run.cur != s->during ||
         s->run.steps[s->during].result != SCN_RUNNING))
        return;
    s->ops++;
    for (unsigned k = 0; k < s->points; k++) {
        while (s->running >= (size_t)s->jobs) {
            reap_one(s);
            read_results(s, false);
        }
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            sim_fatal_plain("sweep: fork: %s", strerror(errno));
        }
        if (pid == 0) {
            s->child = true;
            s->child_op = op->index;
            s->child_k = k;
            card_arm_cut(s->run.model, s->se, op->index, k, s->points);
            const char *dir = getenv("CARDSIM_SWEEP_LOG");
            if (dir) {
                char path[4200], err[256];
                snprintf(path, sizeof path, "%s/cut-%u-%u.log", dir,
                         op->index, k);
                if (trace_log_open(&s->child_log, path, err,
                                   sizeof err) == 0) {
                    trace_sink_t sink;
                    trace_log_sink(&s->child_log, &sink);
                    trace_bus_add_sink(&s->bus, &sink);
                    s->child_logging = true;
                }
            }
            return;
        }
        s->running++;
        s->tried++;
    }
}

/* In a child, after the run: the verdict of the recovery steps. */
static void child_report(sweep_t *s, bool ran_recovery)
{
    char line[1024];
    const scenario_t *scn = &s->scn;
    const scn_run_t *run = &s->run;
    const char *what = NULL;
    char msg[700] = "";
    if (!ran_recovery) {
        what = "the cut did not happen (no recovery ran)";
    } else {
        for (size_t i = scn->n_steps; i < scn->n_steps + scn->n_recovery;
             i++) {
            const scn_step_state_t *st = &run->steps[i];
            if (st->result == SCN_PASSED)
                continue;
            snprintf(msg, sizeof msg, "recovery step %zu %s: %s",
                     i - scn->n_steps, scn->steps[i].def->name,
                     st->result == SCN_NOT_RUN ? "not run" : st->message);
            what = msg;
            break;
        }
    }
    if (!what)
        snprintf(line, sizeof line, "ok %u:%u/%u\n", s->child_op,
                 s->child_k, s->points);
    else
        snprintf(line, sizeof line, "fail op %u at %u/%u: %s\n  reproduce: "
                 "cardsim sweep %s --cut %u:%u/%u --out out/cut-%u-%u\n",
                 s->child_op, s->child_k, s->points, what, s->file,
                 s->child_op, s->child_k, s->points, s->child_op, s->child_k);
    size_t n = strlen(line);
    if (write(s->pipe_w, line, n) != (ssize_t)n)
        _exit(4);
}

static int parse_cut(const char *arg, unsigned *op, unsigned *k, unsigned *n)
{
    char tail;
    if (sscanf(arg, "%u:%u/%u%c", op, k, n, &tail) != 3 || *n == 0 ||
        *k >= *n)
        return -1;
    return 0;
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        { "points", required_argument, NULL, 'p' },
        { "cut", required_argument, NULL, 'c' },
        { "out", required_argument, NULL, 'o' },
        { "ops", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    long points = 0;
    const char *cut = NULL, *out = NULL;
    unsigned ops_from = 0, ops_to = UINT_MAX;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'j':
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > 256)
                return cli_bad_input("-j %s: expected 1..256", optarg);
            break;
        case 'p':
            points = strtol(optarg, &end, 10);
            if (*end || points < 1 || points > 16)
                return cli_bad_input("--points %s: expected 1..16", optarg);
            break;
        case 'c': cut = optarg; break;
        case 'r': {
            char tail;
            if (sscanf(optarg, "%u-%u%c", &ops_from, &ops_to, &tail) != 2 ||
                ops_from > ops_to)
                return cli_bad_input("--ops %s: expected FIRST-LAST "
                                     "operation numbers", optarg);
            break;
        }
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_BAD_INPUT;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return CLI_EXIT_BAD_INPUT;
    }
    unsigned cut_op = 0, cut_k = 0, cut_n = 0;
    if (cut && parse_cut(cut, &cut_op, &cut_k, &cut_n) != 0)
        return cli_bad_input("--cut %s: expected OP:K/N with K < N", cut);
    if (cut) {
        /* one cut, with outputs: cardsim run does that */
        char spec[64];
        snprintf(spec, sizeof spec, "%u:%u/%u", cut_op, cut_k, cut_n);
        return cli_run_with_cut(argv[optind], out, spec);
    }

    sweep_t *s = calloc(1, sizeof *s);
    if (!s)
        return cli_bad_input("out of memory");
    s->file = argv[optind];
    s->jobs = jobs;
    s->ops_from = ops_from;
    s->ops_to = ops_to;
    char err[1024];
    int rc = CLI_EXIT_BAD_INPUT;
    if (scenario_load(&s->scn, s->file, &model_registry, err,
                      sizeof err) != 0) {
        cli_bad_input("%s", err);
        free(s);
        return rc;
    }
    if (!s->scn.sweep) {
        cli_bad_input("%s: $: no \"sweep\" object: nothing says which SE "
                      "to cut and how it must recover", s->file);
        goto out_scn;
    }
    s->se = (unsigned)scn_get_int(s->scn.sweep, "se", 0);
    s->points = points ? (unsigned)points
                       : (unsigned)scn_get_int(s->scn.sweep, "points", 3);
    s->during = SIZE_MAX;
    const char *during = scn_get_string(s->scn.sweep, "during", NULL);
    for (size_t i = 0; during && i < s->scn.n_steps; i++)
        if (s->scn.steps[i].label &&
            strcmp(s->scn.steps[i].label, during) == 0)
            s->during = i;

    s->section = model_section_of(&s->scn);
    sim_init(&s->sim, s->scn.seed);
    trace_bus_init(&s->bus);
    scn_run_init(&s->run, &s->sim, &s->scn, &s->bus);
    if (s->section->build(&s->run, &s->bus, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        goto out_model;
    }
    if (s->section != model_section_of(&s->scn) ||
        strcmp(s->section->def->key, "card") != 0) {
        cli_bad_input("%s: sweeps cut a card's SE: the scenario has no "
                      "\"card\"", s->file);
        goto out_model;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        cli_bad_input("pipe: %s", strerror(errno));
        goto out_model;
    }
    s->pipe_r = fds[0];
    s->pipe_w = fds[1];
    /* the parent reads results without blocking between children */
    fcntl_nonblock(s->pipe_r);
    card_sweep_setup(s->run.model, s->se, on_op, s);
    trace_bus_attach(&s->bus, &s->sim);
    double t0 = cli_wall_seconds();

    bool ok = scn_run_execute(&s->run);

    if (s->child) {
        child_report(s, s->run.recovering);
        if (s->child_logging) {
            trace_bus_release(&s->bus, sim_time_add(s->run.end_time, 1));
            trace_log_close(&s->child_log, err, sizeof err);
        }
        _exit(0);
    }
    close(s->pipe_w);
    while (s->running > 0) {
        reap_one(s);
        read_results(s, false);
    }
    fcntl_block(s->pipe_r);
    read_results(s, true);
    close(s->pipe_r);
    double wall = cli_wall_seconds() - t0;
    if (s->fails)
        fputs(s->fails, stdout);
    printf("sweep of SE%u: %zu flash operations, %zu cuts (%u per "
           "operation): %zu passed, %zu failed; %.1f s wall, %ld at a "
           "time\n", s->se, s->ops, s->tried, s->points, s->passed,
           s->failed, wall, s->jobs);
    if (!ok)
        printf("the scenario itself (no cut) failed\n");
    rc = s->failed || !ok || s->passed != s->tried ? CLI_EXIT_FAILED
                                                   : CLI_EXIT_OK;
out_model:
    trace_bus_close(&s->bus, err, sizeof err);
    sim_cleanup(&s->sim);
    if (s->run.model)
        s->section->destroy(s->run.model);
    scn_run_cleanup(&s->run);
out_scn:
    scenario_free(&s->scn);
    free(s->fails);
    free(s);
    return rc;
}
