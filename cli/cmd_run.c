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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cardsim_config.h"

#include "cli/cli.h"
#include "cli/gdb_stub.h"
#include "cli/progress.h"
#include "cli/session.h"
#include "cli/summary.h"
#include "models/card.h"
#include "models/registry.h"
#include "sim/fatal.h"
#include "sim/pcap_sink.h"
#include "sim/scenario.h"
#include "sim/scenario_run.h"
#include "sim/trace.h"
#include "sim/trace_log.h"
#include "sim/units.h"
#if CARDSIM_HAVE_VIEWER
#include "viewer/app.h"
#endif

#define MAX_SNAPSHOTS 64

/* The viewer's flags (docs/viewer.md). The viewer is part of the run only
 * if --view or a snapshot asks for it. */
typedef struct view_opts {
    bool window, close_at_end, stats;
    double speed;
    int width, height;
    struct { sim_time_t t; const char *file; } snaps[MAX_SNAPSHOTS];
    size_t n_snaps;
    const char *flag;   /* the first viewer flag seen, for messages */
} view_opts_t;

/* A run is a session (cli/session.h): the system and its outputs. */
typedef cli_session_t run_ctx_t;

/* --cut OP:K/N: the one power cut of a sweep (docs/sweep.md), in
 * operation OP of the scenario's sweep SE at K/N of it, the run then going
 * on with the recovery steps. */
static int arm_cut(run_ctx_t *c, const char *spec)
{
    unsigned op, k, n;
    char tail;
    if (sscanf(spec, "%u:%u/%u%c", &op, &k, &n, &tail) != 3 || n == 0 ||
        k >= n) {
        cli_bad_input("--cut %s: expected OP:K/N with K < N", spec);
        return -1;
    }
    if (!c->scn.sweep || strcmp(c->section->def->key, "card") != 0) {
        cli_bad_input("%s: $: --cut needs a card scenario with a "
                      "\"sweep\" object", c->scn.file);
        return -1;
    }
    unsigned se = (unsigned)scn_get_int(c->scn.sweep, "se", 0);
    card_sweep_setup(c->run.model, se, NULL, NULL);
    card_arm_cut(c->run.model, se, op, k, n);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: cardsim run SCENARIO.json [--out DIR] [--seed N] [--quiet]\n"
        "  --out DIR   output directory (default out/<scenario name>/)\n"
        "  --seed N    override the scenario's seed (0..2^64-1)\n"
        "  --quiet     print nothing but errors\n"
        "  --flash SE<n>=FILE  start SE n from this flash image (a field "
        "dump;\n"
        "              repeatable)\n"
        "  --cut OP:K/N  one power cut of the scenario's sweep (docs/sweep.md)"
        "\n"
        "  --view      watch the card work in a window (docs/viewer.md)\n"
        "  --view-speed X     simulated seconds per wall second, or max\n"
        "                     (default 0.1)\n"
        "  --view-snapshot TIME:FILE.png  draw the viewer at simulated TIME\n"
        "                     into FILE.png, no display needed (repeatable)\n"
        "  --view-size WxH    window and snapshot size (default 1280x800)\n"
        "  --view-close       close the window when the run ends\n"
        "  --view-stats       print the window's frames and frames/s\n"
        "  --gdb CORE:PORT    a GDB remote stub for core mcu, se0, se1... on\n"
        "                     127.0.0.1:PORT (0: a free one; repeatable); the\n"
        "                     card waits at its start for the debugger\n"
        "                     (docs/gdb.md)\n"
        "  --gdb-nowait       with --gdb: run at once, debuggers attach later\n"
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

/* --view-speed: "max" or simulated seconds per wall second */
static int parse_view_speed(const char *s, double *out)
{
    if (!strcmp(s, "max")) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 1e-6 || v > 1e3)
        return -1;
    *out = v;
    return 0;
}

static int parse_view_size(const char *s, int *w, int *h)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *hs = end + 1;
    long y = strtol(hs, &end, 10);
    if (errno || end == hs || *end || x < 640 || x > 7680 || y < 400 ||
        y > 4320)
        return -1;
    *w = (int)x;
    *h = (int)y;
    return 0;
}

/* --view-snapshot TIME:FILE.png; err names what is wrong. */
static int parse_view_snapshot(view_opts_t *v, const char *arg, char *err,
                               size_t errlen)
{
    char q[UNITS_QUOTE_LEN];
    const char *colon = strchr(arg, ':');
    if (v->n_snaps == MAX_SNAPSHOTS) {
        snprintf(err, errlen, "at most %d snapshots", MAX_SNAPSHOTS);
        return -1;
    }
    if (!colon) {
        snprintf(err, errlen, "expected TIME:FILE.png, got %s",
                 units_quote(q, sizeof q, arg));
        return -1;
    }
    char tbuf[64];
    size_t tl = (size_t)(colon - arg);
    if (tl >= sizeof tbuf) {
        snprintf(err, errlen, "expected a time before ':', got %s",
                 units_quote(q, sizeof q, arg));
        return -1;
    }
    memcpy(tbuf, arg, tl);
    tbuf[tl] = 0;
    char terr[256];
    sim_time_t t;
    if (units_parse_time(tbuf, &t, NULL, NULL, terr, sizeof terr) != 0) {
        snprintf(err, errlen, "TIME: %s", terr);
        return -1;
    }
    const char *file = colon + 1;
    size_t fl = strlen(file);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if (fl < 5 || strlen(base) < 5 || strcasecmp(file + fl - 4, ".png")) {
        snprintf(err, errlen, "FILE: expected a file name ending in .png, "
                 "got %s", units_quote(q, sizeof q, file));
        return -1;
    }
    v->snaps[v->n_snaps].t = t;
    v->snaps[v->n_snaps].file = file;
    v->n_snaps++;
    return 0;
}

/* Every snapshot's directory must exist and be writable. */
static int check_view_files(const view_opts_t *v, char *err, size_t errlen)
{
    for (size_t i = 0; i < v->n_snaps; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", v->snaps[i].file);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            dir[1] = 0;
        else if (slash)
            *slash = 0;
        else
            snprintf(dir, sizeof dir, ".");
        if (access(dir, W_OK) != 0) {
            char q[UNITS_QUOTE_LEN];
            snprintf(err, errlen, "run: --view-snapshot: FILE: cannot write "
                     "into the directory of %s: %s",
                     units_quote(q, sizeof q, v->snaps[i].file),
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* sim_fatal() lands here: keep what was traced, say what happened. */
static void on_fatal(void *ctx, const char *msg)
{
    cli_session_finish_outputs(ctx, msg);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "seed", required_argument, NULL, 's' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "view", no_argument, NULL, 'V' },
        { "view-speed", required_argument, NULL, 'S' },
        { "view-snapshot", required_argument, NULL, 'P' },
        { "view-size", required_argument, NULL, 'Z' },
        { "view-close", no_argument, NULL, 'C' },
        { "view-stats", no_argument, NULL, 'T' },
        { "cut", required_argument, NULL, 'K' },
        { "flash", required_argument, NULL, 'F' },
        { "gdb", required_argument, NULL, 'G' },
        { "gdb-nowait", no_argument, NULL, 'N' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *seed_arg = NULL, *cut = NULL;
    const char *flash_args[8];
    size_t n_flash = 0;
    bool quiet = false;
    gdb_spec_t gdb[GDB_MAX_STUBS];
    size_t n_gdb = 0;
    bool gdb_nowait = false;
    view_opts_t view = { .speed = 0.1, .width = 1280, .height = 800 };
    char verr[512];
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "o:s:qh", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 's': seed_arg = optarg; break;
        case 'q': quiet = true; break;
        case 'K': cut = optarg; break;
        case 'F':
            if (n_flash == 8)
                return cli_bad_input("--flash: at most 8");
            flash_args[n_flash++] = optarg;
            break;
        case 'G':
            if (n_gdb == GDB_MAX_STUBS)
                return cli_bad_input("run: --gdb: at most %d (one per core)",
                                     GDB_MAX_STUBS);
            if (gdb_spec_parse(&gdb[n_gdb], optarg, verr, sizeof verr) != 0)
                return cli_bad_input("%s", verr);
            n_gdb++;
            break;
        case 'N': gdb_nowait = true; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        case 'V': case 'S': case 'P': case 'Z': case 'C': case 'T':
            if (!view.flag)
                view.flag = argv[optind - 1];
            if (o == 'V')
                view.window = true;
            else if (o == 'C')
                view.close_at_end = true;
            else if (o == 'T')
                view.stats = true;
            else if (o == 'S' && parse_view_speed(optarg, &view.speed) != 0)
                return cli_bad_input("run: --view-speed: expected max or "
                                     "simulated seconds per wall second "
                                     "(1e-6..1000), got \"%s\"", optarg);
            else if (o == 'Z' && parse_view_size(optarg, &view.width,
                                                 &view.height) != 0)
                return cli_bad_input("run: --view-size: expected WxH "
                                     "(640..7680 x 400..4320), got \"%s\"",
                                     optarg);
            else if (o == 'P' && parse_view_snapshot(&view, optarg, verr,
                                                     sizeof verr) != 0)
                return cli_bad_input("run: --view-snapshot %s: %s", optarg,
                                     verr);
            break;
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
    bool want_view = view.window || view.n_snaps > 0;
#if !CARDSIM_HAVE_VIEWER
    if (view.flag)
        return cli_bad_input("run: %s: this cardsim was built without the "
                             "viewer (it needs SDL2, SDL2_ttf and "
                             "SDL2_image)", view.flag);
#endif
    if (want_view && check_view_files(&view, verr, sizeof verr) != 0)
        return cli_bad_input("%s", verr);
    if (gdb_nowait && n_gdb == 0)
        return cli_bad_input("run: --gdb-nowait: needs --gdb CORE:PORT");

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
    bool is_card = c->scn.section && !strcmp(c->scn.section->key, "card");
    if (want_view && !is_card) {
        scenario_free(&c->scn);
        free(c);
        return cli_bad_input("run: %s: the viewer draws the card; this "
                             "scenario has no \"card\" section",
                             view.window ? "--view" : "--view-snapshot");
    }
    sim_init(&c->sim, c->scn.seed);
    trace_bus_init(&c->bus);
    scn_run_init(&c->run, &c->sim, &c->scn, &c->bus);
    c->run.wall_clock = cli_wall_seconds;
    int rc = CLI_EXIT_BAD_INPUT;
    if (c->section->build(&c->run, &c->bus, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        goto cleanup_model;
    }
    if (cut && arm_cut(c, cut) != 0)
        goto cleanup_model;
    for (size_t i = 0; i < n_flash; i++) {
        unsigned se;
        int pos = 0;
        if (sscanf(flash_args[i], "SE%u=%n", &se, &pos) != 1 || pos == 0 ||
            !flash_args[i][pos]) {
            cli_bad_input("--flash %s: expected SE<n>=FILE", flash_args[i]);
            goto cleanup_model;
        }
        if (strcmp(c->section->def->key, "card") != 0 ||
            card_load_flash(c->run.model, se, flash_args[i] + pos, err,
                            sizeof err) != 0) {
            cli_bad_input("%s", strcmp(c->section->def->key, "card")
                                    ? "--flash needs a card scenario" : err);
            goto cleanup_model;
        }
    }
    gdb_server_t *gdb_srv = NULL;
    if (n_gdb && cli_session_open_gdb(c, "run", gdb, n_gdb, !gdb_nowait,
                                      &gdb_srv) != 0)
        goto cleanup_model;
#if CARDSIM_HAVE_VIEWER
    view_app_t *app = NULL;
    const view_app_api_t *view_api = NULL;
    if (want_view && !(view_api = view_app_load(err, sizeof err))) {
        cli_bad_input("run: %s", err);
        gdb_server_close(gdb_srv, CLI_EXIT_BAD_INPUT);
        goto cleanup_model;
    }
    if (want_view) {
        const cJSON *ses = cJSON_GetObjectItemCaseSensitive(c->scn.config,
                                                            "ses");
        view_snap_t snaps[MAX_SNAPSHOTS];
        for (size_t i = 0; i < view.n_snaps; i++)
            snaps[i] = (view_snap_t){ view.snaps[i].t, view.snaps[i].file };
        view_app_cfg_t vc = {
            .window = view.window, .speed = view.speed,
            .width = view.width, .height = view.height,
            .close_at_end = view.close_at_end, .stats = view.stats,
            .snaps = snaps, .n_snaps = view.n_snaps, .title = c->scn.name,
            .n_se = (unsigned)cJSON_GetArraySize(ses), .has_mcu = true,
        };
        if (view_api->open(&app, &vc, err, sizeof err) != 0) {
            cli_bad_input("run: %s", err);
            gdb_server_close(gdb_srv, CLI_EXIT_BAD_INPUT);
            goto cleanup_model;
        }
    }
#endif
    if (cli_mkdir_p(c->out_dir, err, sizeof err) != 0 ||
        cli_session_open_outputs(c, err, sizeof err) != 0) {
        cli_bad_input("%s", err);
        trace_bus_close(&c->bus, err, sizeof err);
        gdb_server_close(gdb_srv, CLI_EXIT_BAD_INPUT);
#if CARDSIM_HAVE_VIEWER
        if (app)
            view_api->free(app);
#endif
        goto cleanup_model;
    }
#if CARDSIM_HAVE_VIEWER
    if (app)
        view_api->add_sink(app, &c->bus);
#endif
    trace_bus_attach(&c->bus, &c->sim);
    cli_progress_t progress;
    cli_progress_init(&progress, &c->sim, quiet, c->scn.timeout);
#if CARDSIM_HAVE_VIEWER
    if (app)
        view_api->start(app, &c->sim);
#endif
    sim_fatal_set_hook(on_fatal, c);
    c->wall_start = cli_wall_seconds();

    bool ok = scn_run_execute(&c->run);

    cli_progress_end(&progress);
    sim_fatal_set_hook(NULL, NULL);
    trace_bus_release(&c->bus, sim_time_add(c->run.end_time, 1));
    trace_bus_discard(&c->bus);
    cli_session_finish_outputs(c, c->run.killed ? "the debugger killed the run"
                                                : NULL);
    rc = c->run.killed ? CLI_EXIT_SIM_ERROR
         : ok          ? CLI_EXIT_OK
                       : CLI_EXIT_FAILED;
    gdb_server_close(gdb_srv, rc);
#if CARDSIM_HAVE_VIEWER
    if (app) {
        /* after the outputs: the window may wait for the user */
        if (view_api->finish(app, c->run.end_time, err, sizeof err) != 0) {
            fprintf(stderr, "cardsim: run: %s\n", err);
            rc = CLI_EXIT_SIM_ERROR;
        }
        view_api->free(app);
    }
#endif

cleanup_model:
    sim_cleanup(&c->sim); /* first: the heaps still point into the models */
    if (c->run.model)
        c->section->destroy(c->run.model);
    scn_run_cleanup(&c->run);
    scenario_free(&c->scn);
    free(c);
    return rc;
}
