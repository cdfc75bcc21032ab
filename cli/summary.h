/* SPDX-License-Identifier: MIT */
/* cli/summary.h - summary.json and the human summary of a run. */
#ifndef CLI_SUMMARY_H
#define CLI_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "models/registry.h"
#include "sim/scenario_run.h"

typedef struct cli_run_info {
    const scenario_t *scn;
    const scn_run_t *run;
    const model_section_t *section;
    const trace_bus_t *bus;
    const sim_t *sim;
    double wall_s;
    const char *out_dir;
    const char *const *outputs; /* file names written, NULL-terminated */
    const char *error;          /* simulation error, or NULL */
} cli_run_info_t;

/* Writes DIR/summary.json. Returns 0 or -1 with err. */
int cli_summary_write(const cli_run_info_t *info, char *err, size_t errlen);
/* Prints the per-step results and the verdict. */
void cli_summary_print(FILE *f, const cli_run_info_t *info);

#endif /* CLI_SUMMARY_H */
