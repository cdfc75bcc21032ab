/* SPDX-License-Identifier: MIT */
/* cli/progress.c - a one-line progress display: sim time reached and speed. */
#include "cli/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"

static void on_round(void *ctx, sim_time_t watermark)
{
    cli_progress_t *p = ctx;
    if (++p->rounds_seen % 4096 != 0)
        return;
    double now = cli_wall_seconds();
    if (now - p->last_wall < 0.25)
        return;
    p->last_wall = now;
    double wall = now - p->start_wall;
    if (wall < 1.0)
        return; /* short runs print nothing */
    double sim_s = sim_time_to_s(watermark);
    fprintf(stderr, "\r\033[K  sim %.6f s  wall %.1f s  %.3gx real time",
            sim_s, wall, sim_s / wall);
    fflush(stderr);
    p->shown = true;
}

void cli_progress_init(cli_progress_t *p, sim_t *sim, bool quiet,
                       sim_time_t limit)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->shown = false;
    p->start_wall = p->last_wall = cli_wall_seconds();
    p->limit = limit;
    p->rounds_seen = 0;
    if (p->enabled)
        sim_add_round_hook(sim, on_round, p);
}

void cli_progress_end(cli_progress_t *p)
{
    if (p->shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}
