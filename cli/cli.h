/* SPDX-License-Identifier: MIT */
/* cli/cli.h - the cardsim command line: subcommands and shared helpers. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes of every subcommand (docs/cli.md). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,   /* an expectation failed */
    CLI_EXIT_BAD_INPUT = 2,
    CLI_EXIT_SIM_ERROR = 3,
};

typedef struct cli_command {
    const char *name;
    const char *args;     /* usage after the name */
    const char *help;     /* one line */
    int (*main)(int argc, char **argv); /* argv[0] is the subcommand */
} cli_command_t;

int cmd_run(int argc, char **argv);
int cmd_suite(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_cpu_run(int argc, char **argv);
int cmd_flash(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_reference(int argc, char **argv);

/* Prints "cardsim: " + message to stderr and returns CLI_EXIT_BAD_INPUT. */
int cli_bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wall-clock seconds from a monotonic clock. */
double cli_wall_seconds(void);

/* Creates dir and its parents (like mkdir -p). Returns 0 or -1 with err. */
int cli_mkdir_p(const char *dir, char *err, size_t errlen);

#endif /* CLI_CLI_H */
