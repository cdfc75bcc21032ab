/* SPDX-License-Identifier: MIT */
/* sim/fatal.c - fatal errors and warnings stamped with simulated time. */
#include "sim/fatal.h"

#include <stdio.h>
#include <stdlib.h>

static sim_fatal_hook_fn fatal_hook;
static void *fatal_hook_ctx;
static sim_warn_fn warn_sink;
static void *warn_sink_ctx;

void sim_fatal_set_hook(sim_fatal_hook_fn fn, void *ctx)
{
    fatal_hook = fn;
    fatal_hook_ctx = ctx;
}

void sim_warn_set_sink(sim_warn_fn fn, void *ctx)
{
    warn_sink = fn;
    warn_sink_ctx = ctx;
}

static SIM_NORETURN void die(const char *when, const char *fmt, va_list ap)
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "%s%s", when[0] ? when + 1 : "",
                     when[0] ? ": " : "");
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    fprintf(stderr, "cardsim: fatal%s%s\n", when[0] ? " " : ": ", msg);
    sim_fatal_hook_fn hook = fatal_hook;
    fatal_hook = NULL; /* a fatal inside the hook must not recurse */
    if (hook)
        hook(fatal_hook_ctx, msg);
    exit(SIM_EXIT_FATAL);
}

void sim_fatal(sim_time_t now, const char *fmt, ...)
{
    char t[SIM_TIME_FMT_LEN], when[SIM_TIME_FMT_LEN + 16];
    snprintf(when, sizeof when, " at t=%s s", sim_time_fmt(t, sizeof t, now));
    va_list ap;
    va_start(ap, fmt);
    die(when, fmt, ap);
}

void sim_fatal_plain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    die("", fmt, ap);
}

void sim_warn(sim_time_t now, const char *source, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (warn_sink) {
        warn_sink(warn_sink_ctx, now, source, msg);
        return;
    }
    char t[SIM_TIME_FMT_LEN];
    fprintf(stderr, "cardsim: warning at t=%s s [%s]: %s\n",
            sim_time_fmt(t, sizeof t, now), source ? source : "-", msg);
}
