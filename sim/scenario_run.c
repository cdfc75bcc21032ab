/* SPDX-License-Identifier: MIT */
/* sim/scenario_run.c - the timeline driver on the world node. */
#include "sim/scenario_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"

static void start_step(sim_event_t *ev, sim_time_t now);
static void step_timed_out(sim_event_t *ev, sim_time_t now);
static void wait_done(sim_event_t *ev, sim_time_t now);

const char *scn_result_name(scn_result_t r)
{
    static const char *const names[] = { "not-run", "running", "passed",
                                         "failed" };
    return names[r];
}

/* Schedules the step at index run->cur, whose predecessor ended at `after`. */
static void schedule_step(scn_run_t *run, sim_time_t after)
{
    if (run->cur >= run->last) {
        run->finished = true;
        run->end_time = after;
        sim_request_stop(run->sim);
        return;
    }
    const scn_step_t *st = &run->scn->steps[run->cur];
    sim_time_t t = sim_time_add(after, st->delay);
    if (st->at != SIM_NEVER && st->at > t)
        t = st->at;
    sim_schedule(&run->world, &run->step_ev, t);
}

void scn_run_init(scn_run_t *run, sim_t *sim, const scenario_t *scn,
                  trace_bus_t *bus)
{
    memset(run, 0, sizeof *run);
    run->sim = sim;
    run->scn = scn;
    run->bus = bus;
    size_t n = scn->n_steps + scn->n_recovery;
    run->steps = calloc(n ? n : 1, sizeof *run->steps);
    run->last = scn->n_steps;
    if (!run->steps)
        sim_fatal_plain("out of memory");
    sim_node_init(&run->world, sim, "world", run);
    sim_event_init(&run->step_ev, "scenario.step", start_step, run);
    sim_event_init(&run->timeout_ev, "scenario.timeout", step_timed_out, run);
    sim_event_init(&run->wait_ev, "scenario.wait", wait_done, run);
    run->end_time = SIM_NEVER;
    schedule_step(run, 0);
}

void scn_run_cleanup(scn_run_t *run)
{
    free(run->steps);
    run->steps = NULL;
}

static void set_message(scn_step_state_t *s, const char *fmt, va_list ap)
{
    if (s->message[0] == '\0' && fmt)
        vsnprintf(s->message, sizeof s->message, fmt, ap);
}

static void log_step(scn_run_t *run, sim_time_t now, const char *what)
{
    if (!trace_wants(run->bus, TRACE_LOG))
        return;
    const scn_step_t *st = &run->scn->steps[run->cur];
    const scn_step_state_t *s = &run->steps[run->cur];
    trace_logf(run->bus, now, "scenario", s->result == SCN_FAILED ? 2 : 0,
               "step %zu %s%s%s%s %s%s%s", st->index, st->def->name,
               st->label ? " \"" : "", st->label ? st->label : "",
               st->label ? "\"" : "", what, s->message[0] ? ": " : "",
               s->message);
}

static void start_step(sim_event_t *ev, sim_time_t now)
{
    scn_run_t *run = ev->ctx;
    scn_step_t *st = &((scenario_t *)run->scn)->steps[run->cur];
    scn_step_state_t *s = &run->steps[run->cur];
    s->result = SCN_RUNNING;
    s->start = now;
    if (run->wall_clock)
        s->wall_start = run->wall_clock();
    log_step(run, now, "start");
    if (st->timeout != SIM_NEVER)
        sim_schedule(&run->world, &run->timeout_ev,
                     sim_time_add(now, st->timeout));
    if (st->def->start(run, st, now) == SCN_STEP_DONE &&
        s->result == SCN_RUNNING)
        scn_step_complete(run, now, true, NULL);
}

void scn_step_fail(scn_run_t *run, const char *fmt, ...)
{
    scn_step_state_t *s = &run->steps[run->cur];
    va_list ap;
    va_start(ap, fmt);
    set_message(s, fmt, ap);
    va_end(ap);
    if (s->result == SCN_RUNNING)
        s->result = SCN_FAILED;
}

void scn_step_complete(scn_run_t *run, sim_time_t now, bool ok,
                       const char *fmt, ...)
{
    if (run->cur >= run->last || run->aborted)
        return; /* a late report after a timeout: already accounted */
    scn_step_state_t *s = &run->steps[run->cur];
    if (s->result != SCN_RUNNING && s->result != SCN_FAILED)
        sim_fatal(now, "scenario: step %zu completed twice", run->cur);
    va_list ap;
    va_start(ap, fmt);
    set_message(s, fmt, ap);
    va_end(ap);
    if (!ok)
        s->result = SCN_FAILED;
    if (s->result == SCN_RUNNING)
        s->result = SCN_PASSED;
    s->end = now;
    if (run->wall_clock)
        s->wall_end = run->wall_clock();
    if (s->result == SCN_PASSED)
        run->passed++;
    else
        run->failed++;
    sim_cancel(&run->world, &run->timeout_ev);
    log_step(run, now, s->result == SCN_PASSED ? "passed" : "failed");
    run->cur++;
    schedule_step(run, now);
}

static void step_timed_out(sim_event_t *ev, sim_time_t now)
{
    scn_run_t *run = ev->ctx;
    scn_step_state_t *s = &run->steps[run->cur];
    char t[SIM_TIME_FMT_LEN];
    s->message[0] = '\0';
    snprintf(s->message, sizeof s->message, "timed out after %s",
             sim_time_fmt_short(t, sizeof t,
                                run->scn->steps[run->cur].timeout));
    s->result = SCN_FAILED;
    s->end = now;
    if (run->wall_clock)
        s->wall_end = run->wall_clock();
    run->failed++;
    log_step(run, now, "failed");
    run->aborted = true;
    run->end_time = now;
    sim_request_stop(run->sim);
}

void scn_run_recover(scn_run_t *run, sim_time_t now, const char *why)
{
    if (run->recovering || run->aborted)
        return;
    run->recovering = true;
    sim_cancel(&run->world, &run->timeout_ev);
    sim_cancel(&run->world, &run->step_ev);
    sim_cancel(&run->world, &run->wait_ev);
    if (run->cur < run->last) {
        scn_step_state_t *s = &run->steps[run->cur];
        if (s->result == SCN_RUNNING || s->result == SCN_FAILED) {
            snprintf(s->message, sizeof s->message, "%s", why);
            s->result = SCN_FAILED;
            s->end = now;
            if (run->wall_clock)
                s->wall_end = run->wall_clock();
            log_step(run, now, "cut");
        }
    }
    if (run->abort_model && run->model)
        run->abort_model(run->model, now);
    run->finished = false;
    run->cur = run->scn->n_steps;
    run->last = run->scn->n_steps + run->scn->n_recovery;
    schedule_step(run, now);
}

/* Runs the kernel to `until`. With a hold, a stop that was not the
 * timeline's is served (the card is held) and the kernel runs on; while
 * the timeline runs (timeline), its own end is not run past. Returns false
 * if the hold ended the run. */
bool scn_run_kernel(scn_run_t *run, sim_time_t until, bool timeline)
{
    if (!run->hold) {
        sim_run_until(run->sim, until);
        return true;
    }
    scn_hold_t h = run->hold(run->hold_ctx); /* held at the start? */
    while (h != SCN_HOLD_END) {
        sim_run_until(run->sim, until);
        if (!run->sim->stop)
            return true; /* reached `until`, or nothing left to do */
        h = run->hold(run->hold_ctx);
        if (h == SCN_HOLD_NONE ||
            (timeline && (run->finished || run->aborted)))
            return true;
    }
    return false;
}

void scn_run_killed(scn_run_t *run)
{
    sim_time_t now = run->sim->watermark;
    run->killed = true;
    if (run->cur < run->last && !run->finished && !run->aborted) {
        scn_step_state_t *s = &run->steps[run->cur];
        if (s->result == SCN_RUNNING || s->result == SCN_FAILED) {
            snprintf(s->message, sizeof s->message,
                     "the debugger killed the run");
            s->result = SCN_FAILED;
            s->end = now;
            if (run->wall_clock)
                s->wall_end = run->wall_clock();
            run->failed++;
        }
    }
    run->finished = false;
    run->aborted = true;
    run->end_time = now;
}

bool scn_run_execute(scn_run_t *run)
{
    if (!scn_run_kernel(run, run->scn->timeout, true)) {
        scn_run_killed(run);
        return false;
    }
    if (!run->finished && !run->aborted) {
        /* the scenario's own timeout: fail the step in progress */
        sim_time_t now = sim_time_min(run->scn->timeout, run->sim->watermark);
        if (run->cur < run->last) {
            scn_step_state_t *s = &run->steps[run->cur];
            char t[SIM_TIME_FMT_LEN];
            snprintf(s->message, sizeof s->message,
                     "scenario timeout (%s) reached before this step ended",
                     sim_time_fmt_short(t, sizeof t, run->scn->timeout));
            s->result = SCN_FAILED;
            s->end = now;
            run->failed++;
        }
        run->aborted = true;
        run->end_time = now;
    }
    /* bring every node to the end instant */
    if (run->end_time != SIM_NEVER &&
        !scn_run_kernel(run, sim_time_add(run->end_time, 1), false)) {
        scn_run_killed(run);
        return false;
    }
    return run->finished && run->failed == 0;
}

/* ---- core actions ---------------------------------------------------- */

static const scn_field_t wait_fields[] = {
    { .key = "for", .type = SCN_T_TIME, .required = true,
      .help = "how long to wait" },
    { 0 },
};

static void wait_done(sim_event_t *ev, sim_time_t now)
{
    scn_step_complete(ev->ctx, now, true, NULL);
}

static scn_status_t wait_start(scn_run_t *run, scn_step_t *st, sim_time_t now)
{
    sim_schedule(&run->world, &run->wait_ev,
                 sim_time_add(now, scn_get_time(run->scn, st->json, "for", 0)));
    return SCN_STEP_PENDING;
}

static const scn_action_def_t wait_action = {
    .name = "wait",
    .help = "let simulated time pass",
    .fields = wait_fields,
    .start = wait_start,
};

static const scn_field_t log_fields[] = {
    { .key = "text", .type = SCN_T_STRING, .required = true,
      .help = "text written to events.log" },
    { 0 },
};

static scn_status_t log_start(scn_run_t *run, scn_step_t *st, sim_time_t now)
{
    trace_logf(run->bus, now, "scenario", 0, "%s",
               scn_get_string(st->json, "text", ""));
    return SCN_STEP_DONE;
}

static const scn_action_def_t log_action = {
    .name = "log",
    .help = "write a line into the trace",
    .fields = log_fields,
    .start = log_start,
};

const scn_action_def_t *const scn_core_actions[] = {
    &wait_action,
    &log_action,
    NULL,
};
