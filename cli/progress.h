/* SPDX-License-Identifier: MIT */
/* cli/progress.h - the progress line of long runs (a TTY on stderr only). */
#ifndef CLI_PROGRESS_H
#define CLI_PROGRESS_H

#include <stdbool.h>

#include "sim/sim.h"

typedef struct cli_progress {
    bool enabled;
    bool shown;
    double start_wall, last_wall;
    sim_time_t limit;       /* the scenario's timeout, for context */
    uint64_t rounds_seen;
} cli_progress_t;

/* Enabled only when stderr is a terminal and not quiet. Hooks into the
 * kernel's rounds; reads the wall clock only every few thousand rounds. */
void cli_progress_init(cli_progress_t *p, sim_t *sim, bool quiet,
                       sim_time_t limit);
/* Erases the line if one was drawn. */
void cli_progress_end(cli_progress_t *p);

#endif /* CLI_PROGRESS_H */
