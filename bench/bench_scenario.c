/* SPDX-License-Identifier: MIT */
/* bench/bench_scenario.c - real-time factor of whole scenarios: simulated
 * seconds per wall second, with every node simulated cycle by cycle, the
 * trace bus on but no sinks (the outputs' cost is measured elsewhere). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cardsim_config.h"
#include "cli/cli.h"
#include "models/registry.h"
#include "sim/scenario.h"
#include "sim/scenario_run.h"
#include "sim/trace.h"

/* Runs SOURCE_ROOT/path once: *sim_s and *wall_s, *rounds. Returns 0 or
 * -1 with err. */
static int run_once(const char *path, double *sim_s, double *wall_s,
                    unsigned long long *rounds, char *err, size_t errlen)
{
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", CARDSIM_SOURCE_ROOT, path);
    scenario_t scn;
    if (scenario_load(&scn, full, &model_registry, err, errlen) != 0)
        return -1;
    const model_section_t *sec = model_section_of(&scn);
    sim_t sim;
    trace_bus_t bus;
    scn_run_t run;
    sim_init(&sim, scn.seed);
    trace_bus_init(&bus);
    scn_run_init(&run, &sim, &scn, &bus);
    int rc = -1;
    if (sec->build(&run, &bus, err, errlen) == 0) {
        trace_bus_attach(&bus, &sim);
        double t0 = cli_wall_seconds();
        bool ok = scn_run_execute(&run);
        double wall = cli_wall_seconds() - t0;
        if (!ok) {
            snprintf(err, errlen, "%s: the scenario failed", full);
        } else {
            *sim_s = sim_time_to_s(run.end_time);
            *wall_s = wall;
            *rounds = (unsigned long long)sim.rounds;
            rc = 0;
        }
    }
    char e2[256];
    trace_bus_close(&bus, e2, sizeof e2);
    sim_cleanup(&sim);
    if (run.model)
        sec->destroy(run.model);
    scn_run_cleanup(&run);
    scenario_free(&scn);
    return rc;
}

#define BENCH_RUNS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs the scenario BENCH_RUNS times: the value is the real-time factor
 * of the fastest run (the least disturbed by the host), the note gives
 * the median too. Short runs on a shared virtual machine vary by 2x from
 * one to the next. */
static int run_scenario(bench_result_t *r, const char *bench_name,
                        const char *path, char *err, size_t errlen)
{
    double wall[BENCH_RUNS], sim_s = 0;
    unsigned long long rounds = 0;
    for (int i = 0; i < BENCH_RUNS; i++)
        if (run_once(path, &sim_s, &wall[i], &rounds, err, errlen) != 0)
            return -1;
    qsort(wall, BENCH_RUNS, sizeof wall[0], cmp_double);
    snprintf(r->name, sizeof r->name, "%s", bench_name);
    r->value = sim_s / wall[0];
    snprintf(r->unit, sizeof r->unit, "x real time");
    snprintf(r->note, sizeof r->note,
             "%s: %.3f s simulated in %.3f s wall (best of %d; median "
             "%.3f s, %.1fx), %llu rounds", path, sim_s, wall[0], BENCH_RUNS,
             wall[BENCH_RUNS / 2], sim_s / wall[BENCH_RUNS / 2], rounds);
    return 0;
}

int bench_contact_update(bench_result_t *out, size_t max, char *err,
                         size_t errlen)
{
    if (max < 1)
        return 0;
    if (run_scenario(&out[0], "contact-update", "bench/contact_update.json",
                     err, errlen) != 0)
        return -1;
    /* the image moved: the signed v1 image's size */
    char img[4096];
    snprintf(img, sizeof img, "%s/firmware/images/cos_v1.img",
             CARDSIM_BUILD_ROOT);
    FILE *f = fopen(img, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        size_t n = strlen(out[0].note);
        snprintf(out[0].note + n, sizeof out[0].note - n,
                 ", COS v1 image %ld bytes", ftell(f));
        fclose(f);
    }
    return 1;
}

int bench_nfc_update(bench_result_t *out, size_t max, char *err,
                     size_t errlen)
{
    if (max < 1)
        return 0;
    if (run_scenario(&out[0], "nfc-update", "bench/nfc_update.json", err,
                     errlen) != 0)
        return -1;
    return 1;
}

int bench_ble_update(bench_result_t *out, size_t max, char *err,
                     size_t errlen)
{
    if (max < 1)
        return 0;
    if (run_scenario(&out[0], "ble-update", "bench/ble_update.json", err,
                     errlen) != 0)
        return -1;
    return 1;
}

/* The README's main job: its real-time factor, and its wall time. */
int bench_demo(bench_result_t *out, size_t max, char *err, size_t errlen)
{
    if (max < 2)
        return 0;
    if (run_scenario(&out[0], "demo", "scenarios/demo.json", err,
                     errlen) != 0)
        return -1;
    double sim_s = 0, wall = 0;
    if (sscanf(out[0].note, "scenarios/demo.json: %lf s simulated in %lf",
               &sim_s, &wall) != 2)
        wall = 0;
    snprintf(out[1].name, sizeof out[1].name, "demo.wall");
    out[1].value = wall;
    snprintf(out[1].unit, sizeof out[1].unit, "s");
    snprintf(out[1].note, sizeof out[1].note,
             "wall time of the whole demo (best of 5; %.3f s simulated)",
             sim_s);
    return 2;
}
