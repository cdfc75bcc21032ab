/* SPDX-License-Identifier: MIT */
/* sim/fatal.h - the simulator's broken-invariant and warning reporting.
 *
 * Three kinds of error exist in cardsim (docs/architecture.md):
 *  - input errors from loaders and parsers are returned to the caller with a
 *    message (never through this file);
 *  - a broken simulation invariant is fatal: sim_fatal() prints the message
 *    with the simulated time and exits with status 3 (after the registered
 *    flush hook ran, so traces written so far are complete);
 *  - a model anomaly (firmware misuses a peripheral) is a warning with the
 *    simulated time; it also reaches the trace bus when one is attached. */
#ifndef SIM_FATAL_H
#define SIM_FATAL_H

#include <stdarg.h>

#include "sim/time.h"

#define SIM_EXIT_FATAL 3

#if defined(__GNUC__)
#define SIM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SIM_NORETURN __attribute__((noreturn))
#else
#define SIM_PRINTF(a, b)
#define SIM_NORETURN
#endif

SIM_NORETURN void sim_fatal(sim_time_t now, const char *fmt, ...)
    SIM_PRINTF(2, 3);

/* For invariants broken outside simulated time (setup, configuration). */
SIM_NORETURN void sim_fatal_plain(const char *fmt, ...) SIM_PRINTF(1, 2);

/* Called once by sim_fatal() before exiting, e.g. to flush trace sinks
 * and record msg (the message as printed, without "cardsim: fatal"). */
typedef void (*sim_fatal_hook_fn)(void *ctx, const char *msg);
void sim_fatal_set_hook(sim_fatal_hook_fn fn, void *ctx);

/* Warning sink: by default warnings go to stderr. A trace bus installs
 * itself here so warnings become log records. */
typedef void (*sim_warn_fn)(void *ctx, sim_time_t now, const char *source,
                            const char *msg);
void sim_warn_set_sink(sim_warn_fn fn, void *ctx);

void sim_warn(sim_time_t now, const char *source, const char *fmt, ...)
    SIM_PRINTF(3, 4);

#endif /* SIM_FATAL_H */
