/* SPDX-License-Identifier: MIT */
/* sim/scenario_live.h - steps from outside the scenario file, one at a
 * time, after its timeline (see scenario_live.c). */
#ifndef SIM_SCENARIO_LIVE_H
#define SIM_SCENARIO_LIVE_H

#include <cJSON.h>

#include "sim/scenario_run.h"

typedef enum scn_live_status {
    SCN_LIVE_DONE,     /* the step completed (passed or failed) */
    SCN_LIVE_ABORTED,  /* it did not complete within its budget: the run
                          is in an unknown state and takes no more steps */
    SCN_LIVE_KILLED,   /* a debugger's hold ended the run */
} scn_live_status_t;

/* Before the first live step, after the timeline ran (scn_run_execute). */
void scn_run_live_begin(scn_run_t *run);

/* Appends a step (its action's def, and its JSON object, which must stay
 * valid until the run is cleaned up) and runs the simulation until it
 * completes, at most `budget` of simulated time. *out: its state. */
scn_live_status_t scn_run_live(scn_run_t *run, const scn_action_def_t *def,
                               const cJSON *json, sim_time_t budget,
                               const scn_step_state_t **out);

#endif /* SIM_SCENARIO_LIVE_H */
