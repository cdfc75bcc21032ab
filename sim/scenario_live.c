/* SPDX-License-Identifier: MIT */
/* sim/scenario_live.c - steps that come one at a time from outside the
 * scenario file (`cardsim serve`: a PC/SC client's power-ons and APDUs).
 * Each is appended to the run's timeline once the steps before it have
 * ended, starts where the last one ended (as the next step of a file
 * would), and the simulation runs until it completes. Simulated time does
 * not pass between two of them: the card waits, in no time, for the next
 * request. */
#include "sim/scenario_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"

void scn_run_live_begin(scn_run_t *run)
{
    scenario_t *scn = (scenario_t *)run->scn;
    scn->n_recovery = 0; /* a sweep's recovery has no place here */
    scn->sweep = NULL;
}

scn_live_status_t scn_run_live(scn_run_t *run, const scn_action_def_t *def,
                               const cJSON *json, sim_time_t budget,
                               const scn_step_state_t **out)
{
    scenario_t *scn = (scenario_t *)run->scn;
    if (run->aborted)
        return SCN_LIVE_ABORTED;
    size_t i = scn->n_steps;
    scn_step_t *steps = realloc(scn->steps, (i + 1) * sizeof *steps);
    scn_step_state_t *states = realloc(run->steps, (i + 1) * sizeof *states);
    if (!steps || !states)
        sim_fatal_plain("out of memory");
    scn->steps = steps;
    run->steps = states;
    memset(&steps[i], 0, sizeof steps[i]);
    memset(&states[i], 0, sizeof states[i]);
    steps[i].index = i;
    snprintf(steps[i].path, sizeof steps[i].path, "$.live[%zu]", i);
    steps[i].def = def;
    steps[i].json = json;
    steps[i].at = SIM_NEVER;
    steps[i].timeout = SIM_NEVER;
    scn->n_steps = i + 1;

    /* the step starts where the last one ended; every node has been
     * brought to just after that instant (scn_run_execute, below) */
    sim_time_t t = run->end_time == SIM_NEVER ? 0 : run->end_time;
    if (t < run->world.done)
        t = run->world.done;
    run->cur = i;
    run->last = i + 1;
    run->finished = false;
    sim_schedule(&run->world, &run->step_ev, t);
    if (!scn_run_kernel(run, sim_time_add(t, budget), true)) {
        scn_run_killed(run);
        *out = &states[i];
        return SCN_LIVE_KILLED;
    }
    if (!run->finished) {
        states[i].result = SCN_FAILED;
        snprintf(states[i].message, sizeof states[i].message,
                 "not done within its budget of simulated time");
        run->aborted = true;
        *out = &states[i];
        return SCN_LIVE_ABORTED;
    }
    if (!scn_run_kernel(run, sim_time_add(run->end_time, 1), false)) {
        scn_run_killed(run);
        *out = &states[i];
        return SCN_LIVE_KILLED;
    }
    *out = &states[i];
    return SCN_LIVE_DONE;
}
