/* SPDX-License-Identifier: MIT */
/* sim/scenario_run.h - executes a loaded scenario's timeline.
 *
 * The timeline is driven from one node, the "world" node: the scenario
 * driver lives there together with the outside parties that models put in
 * it (the terminals of the card). A step starts at max(at, completion of the
 * previous step + delay); it either completes at once or later, when the
 * model that carries it out calls scn_step_complete() in the world node's
 * context (a model on another node reports through a link, see
 * SCN_DRIVER_LINK_LATENCY). A step with a timeout fails when it expires, and
 * so does the whole run when the scenario timeout passes: a failed wait
 * leaves the simulated system in an unknown state, so later steps are
 * reported as not run.
 *
 * The run ends at the completion time of the last step: every node is
 * brought to that instant, and only trace records up to it are kept, so the
 * outputs do not depend on how far the lookahead let some node run ahead. */
#ifndef SIM_SCENARIO_RUN_H
#define SIM_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/scenario.h"
#include "sim/sim.h"
#include "sim/trace.h"

/* Latency of the links models create between the world node and nodes the
 * driver commands or hears from: the tester's reaction time. Kept at 1 ns,
 * below every physical time constant of the card, so that a step following
 * a completion on another node starts within 2 ns of when it would in
 * zero time. */
#define SCN_DRIVER_LINK_LATENCY SIM_NS(1)

typedef enum scn_result {
    SCN_NOT_RUN = 0,
    SCN_RUNNING,
    SCN_PASSED,
    SCN_FAILED,
} scn_result_t;

/* What a hold (scn_run_t.hold) did. */
typedef enum scn_hold {
    SCN_HOLD_NONE,    /* nothing held the run: the stop was not its own */
    SCN_HOLD_RESUME,  /* the run was held (a debugger served) and goes on */
    SCN_HOLD_END,     /* the run ends here (the debugger killed it) */
} scn_hold_t;

typedef struct scn_step_state {
    scn_result_t result;
    sim_time_t start, end;
    double wall_start, wall_end; /* host seconds (scn_run_t.wall_clock) */
    char message[256];      /* failure reason, or a short note on success */
} scn_step_state_t;

typedef struct scn_run {
    sim_t *sim;
    const scenario_t *scn;
    trace_bus_t *bus;
    sim_node_t world;          /* the driver's node */
    sim_event_t step_ev;       /* starts the current step */
    sim_event_t timeout_ev;    /* the current step's timeout */
    sim_event_t wait_ev;       /* the "wait" action's timer */
    size_t cur;                /* index of the current step */
    scn_step_state_t *steps;   /* one per step */
    bool finished;             /* every step completed */
    bool aborted;              /* a step timed out */
    sim_time_t end_time;       /* completion of the last step */
    size_t passed, failed;
    void *model;               /* the composed system, for actions */
    size_t last;               /* steps run: the timeline's, or, after
                                  scn_run_recover, also the recovery's */
    bool recovering;           /* scn_run_recover was called */
    void (*abort_model)(void *model, sim_time_t now); /* see recover */
    /* Host seconds (monotonic), read when a step starts and ends, for the
     * summary's wall time per step; NULL: not read. Nothing the
     * simulation does depends on it. */
    double (*wall_clock)(void);
    /* A debugger's hold (cli/gdb_stub.c); NULL: none, the kernel runs in
     * one go. Called before the kernel first runs (a card held at its
     * start) and whenever the kernel stopped before the run's end: it
     * serves the debugger while the card is stopped and says whether it
     * held the run. Simulated time does not pass meanwhile. */
    scn_hold_t (*hold)(void *ctx);
    void *hold_ctx;
    bool killed;               /* a hold ended the run (SCN_HOLD_END) */
} scn_run_t;

/* Creates the world node (registered first, so it runs first in each
 * round) and schedules the first step. */
void scn_run_init(scn_run_t *run, sim_t *sim, const scenario_t *scn,
                  trace_bus_t *bus);
void scn_run_cleanup(scn_run_t *run);

/* Runs the timeline to its end (or the scenario timeout). Returns true if
 * the timeline finished and every step passed. With a hold, the kernel
 * may stop anywhere (a breakpoint) and go on: the outputs are those of a
 * run without stops. A hold that ends the run (killed) leaves every node
 * where it stopped, the step in progress failed, end_time the watermark. */
bool scn_run_execute(scn_run_t *run);

/* Runs the kernel to `until` under the run's hold (if any): a stop that
 * is not the run's own is served and the kernel goes on; with timeline,
 * it returns once the steps have finished or aborted. False if the hold
 * ended the run: then call scn_run_killed(), which fails the step in
 * progress ("the debugger killed the run") and ends the run at the
 * watermark. (scn_run_execute and the live steps use them.) */
bool scn_run_kernel(scn_run_t *run, sim_time_t until, bool timeline);
void scn_run_killed(scn_run_t *run);

/* A sweep's cut happened (in the world node, at now): the step in
 * progress ends as failed ("cut"), abort_model(model, now) makes the
 * terminals drop what they were doing, and the run goes on with the
 * scenario's recovery steps (scenario_t.n_recovery; none: it ends). */
void scn_run_recover(scn_run_t *run, sim_time_t now, const char *why);

/* Called by a pending step's model, in the world node, at time now. ok
 * false fails the step with the formatted message (NULL fmt: no message). */
void scn_step_complete(scn_run_t *run, sim_time_t now, bool ok,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records a failed expectation on the current step without completing it
 * (several expectations of one step can fail; the first message is kept). */
void scn_step_fail(scn_run_t *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The step being executed. */
static inline scn_step_t *scn_run_current(scn_run_t *run)
{
    return &((scenario_t *)run->scn)->steps[run->cur];
}

const char *scn_result_name(scn_result_t r);

/* Actions every scenario has, whatever its section: "wait" (does nothing
 * for `for`), "log" (writes `text` to the trace). */
extern const scn_action_def_t *const scn_core_actions[];

#endif /* SIM_SCENARIO_RUN_H */
