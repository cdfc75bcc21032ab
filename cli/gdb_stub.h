/* SPDX-License-Identifier: MIT */
/* cli/gdb_stub.h - `cardsim run --gdb CORE:PORT`: a GDB remote stub per
 * core, on 127.0.0.1, that stops the whole card when its core stops.
 *
 * Usage (cli/cmd_run.c): gdb_spec_parse() each --gdb while reading the
 * flags; once the card is built, look up each spec's core, then
 * gdb_server_open() before the outputs are created (a port that cannot
 * be listened on is bad input); scn_run_execute() then runs under the
 * server's hold (scn_run_t.hold); gdb_server_close() with the run's exit
 * code when it is over. docs/gdb.md says what GDB can do with it. */
#ifndef CLI_GDB_STUB_H
#define CLI_GDB_STUB_H

#include <stdbool.h>
#include <stddef.h>

#include "models/cpu/cpu.h"
#include "sim/scenario_run.h"

#define GDB_MAX_STUBS 9 /* one per core: the MCU and 8 SEs */

typedef struct gdb_spec {
    const char *arg;     /* CORE:PORT as given, for messages */
    char core[16];       /* "mcu", "se0", ... */
    unsigned port;       /* 0: a free port */
    cpu_t *cpu;          /* set by the caller before gdb_server_open */
} gdb_spec_t;

/* Parses CORE:PORT (PORT 0..65535). 0, or -1 with a message naming the
 * argument. The core's existence is the caller's business. */
int gdb_spec_parse(gdb_spec_t *spec, const char *arg, char *err,
                   size_t errlen);

typedef struct gdb_server gdb_server_t;

/* Listens for each spec (printing "gdb: CORE waiting on 127.0.0.1:PORT"
 * on stderr), sets run->hold and a round hook on run->sim. wait: the card
 * stays at its start until each debugger, in the order given, attached
 * and resumed it. Returns 0, or -1 with a message and nothing left open.
 * Close it once the run is over: the kernel must not run after that (the
 * round hook stays registered). */
int gdb_server_open(gdb_server_t **out, const gdb_spec_t *specs, size_t n,
                    bool wait, scn_run_t *run, char *err, size_t errlen);
/* The run is over with exit code rc: debuggers still attached learn it
 * (the inferior exited with rc), the sockets are closed, s freed. */
void gdb_server_close(gdb_server_t *s, int rc);

#endif /* CLI_GDB_STUB_H */
