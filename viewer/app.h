/* SPDX-License-Identifier: MIT */
/* viewer/app.h - the bus viewer of `cardsim run --view`: a trace sink
 * (feeding viewer/model.h) and a kernel round hook that paces the run
 * against the wall clock, renders frames and handles the controls; and
 * headless snapshots (--view-snapshot) rendered at exact simulated times.
 *
 * The viewer never changes what the simulation does, only when it runs:
 * it publishes nothing and only waits (or renders) inside the round hook,
 * after the trace bus released the round's records. A run gives the same
 * bytes with and without it (tests/scenario/check.sh, view-determinism).
 *
 * Use: view_app_open(), view_app_add_sink() before trace_bus_attach(),
 * view_app_start() after it, the run, view_app_finish() after the last
 * trace_bus_release(), view_app_free(). */
#ifndef VIEWER_APP_H
#define VIEWER_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/time.h"
#include "sim/trace.h"

#define VIEW_DEFAULT_WIDTH 1280
#define VIEW_DEFAULT_HEIGHT 800
/* Simulated seconds per wall second: the demo's 5 s in about a minute, an
 * APDU of the contact update (about 0.26 s) in a few seconds. */
#define VIEW_DEFAULT_SPEED 0.1

typedef struct view_snap {
    sim_time_t t;       /* the simulated instant drawn */
    const char *file;   /* a .png; the string must outlive the app */
} view_snap_t;

typedef struct view_app_cfg {
    bool window;        /* open a window (--view) */
    double speed;       /* initial speed; <= 0: maximum */
    int width, height;  /* of the window and of the snapshots */
    bool close_at_end;  /* close when the run ends (--view-close) */
    bool stats;         /* print frames and wall time (--view-stats) */
    const view_snap_t *snaps; /* copied; taken in time order */
    size_t n_snaps;
    const char *title;  /* shown in the window, may be NULL */
    unsigned n_se;      /* the card's shape */
    bool has_mcu;
} view_app_cfg_t;

typedef struct view_app view_app_t;

/* Initialises SDL (the video subsystem only with a window) and the font.
 * Returns 0, or -1 with err (e.g. no display, no font). */
int view_app_open(view_app_t **out, const view_app_cfg_t *cfg, char *err,
                  size_t errlen);
/* Adds the viewer's sink: call before trace_bus_attach(). */
void view_app_add_sink(view_app_t *a, trace_bus_t *bus);
/* Adds the round hook (with a window): call after trace_bus_attach(). */
void view_app_start(view_app_t *a, sim_t *sim);
/* The run ended at `end` and every record up to it was released: takes the
 * snapshots not taken yet (drawn at `end`), and with a window shows the
 * rest of the run and waits for the user to close it (or not, with
 * close_at_end). Returns 0, or -1 with err if a snapshot was not written. */
int view_app_finish(view_app_t *a, sim_time_t end, char *err, size_t errlen);
void view_app_free(view_app_t *a);

/* Frames rendered in the window so far, and the wall seconds they took. */
uint64_t view_app_frames(const view_app_t *a, double *wall_s);

/* The functions above as `cardsim` reaches them: the SDL part of the
 * viewer is a module (cardsim-viewer.so) loaded only for --view and
 * --view-snapshot, so that every other run, and every child a sweep forks,
 * maps 17 shared libraries instead of 75 (docs/viewer.md). The module
 * defines view_app_api; cardsim calls view_app_load() (viewer/app_load.c). */
typedef struct view_app_api {
    int (*open)(view_app_t **out, const view_app_cfg_t *cfg, char *err,
                size_t errlen);
    void (*add_sink)(view_app_t *a, trace_bus_t *bus);
    void (*start)(view_app_t *a, sim_t *sim);
    int (*finish)(view_app_t *a, sim_time_t end, char *err, size_t errlen);
    void (*free)(view_app_t *a);
} view_app_api_t;

extern const view_app_api_t view_app_api;

/* Loads the module (once); NULL with err if it cannot be. */
const view_app_api_t *view_app_load(char *err, size_t errlen);

#endif /* VIEWER_APP_H */
