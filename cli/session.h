/* SPDX-License-Identifier: MIT */
/* cli/session.h - one simulated system and its outputs, as `cardsim run`
 * and `cardsim serve` make them: the scenario, the kernel, the trace bus,
 * the run, and the files in the output directory (events.log, the pcaps
 * the section asks for, the section's saved state, summary.json). */
#ifndef CLI_SESSION_H
#define CLI_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/gdb_stub.h"
#include "models/registry.h"
#include "sim/pcap_sink.h"
#include "sim/scenario.h"
#include "sim/scenario_run.h"
#include "sim/trace.h"
#include "sim/trace_log.h"

#define CLI_MAX_OUTPUTS 24

typedef struct cli_session {
    scenario_t scn;
    sim_t sim;
    trace_bus_t bus;
    scn_run_t run;
    const model_section_t *section;
    trace_log_t log;
    pcap_sink_t pcaps[3];
    size_t n_pcaps;
    const char *outputs[CLI_MAX_OUTPUTS];
    size_t n_outputs;
    char out_dir[4096];
    double wall_start;
    bool quiet;
} cli_session_t;

/* Opens events.log and the section's pcaps in out_dir (which exists) as
 * sinks of the bus. 0, or -1 with a message. */
int cli_session_open_outputs(cli_session_t *s, char *err, size_t errlen);

/* Closes the sinks, saves the section's state, writes summary.json and
 * prints the summary (to stderr with `error`, a fatal error's message; to
 * stdout unless quiet otherwise). */
void cli_session_finish_outputs(cli_session_t *s, const char *error);

/* --gdb: each spec's core must exist on the session's card; the ports are
 * listened on before anything is written (a port in use is bad input).
 * cmd names the command in messages. 0, or -1 with the message printed
 * (exit code CLI_EXIT_BAD_INPUT). */
int cli_session_open_gdb(cli_session_t *s, const char *cmd,
                         gdb_spec_t *specs, size_t n, bool wait,
                         gdb_server_t **out);

#endif /* CLI_SESSION_H */
