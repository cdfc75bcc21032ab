/* SPDX-License-Identifier: MIT */
/* cli/main.c - `cardsim` entry point: dispatches to the subcommand table. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cardsim_config.h"
#include "cli/cli.h"

static const cli_command_t commands[] = {
    { "run", "SCENARIO.json [--out DIR] [--seed N] [--quiet]",
      "run a scenario; exit 0 all expectations held, 1 one failed, "
      "2 bad input, 3 simulation error", cmd_run },
    { "suite", "DIR|FILE... [-j N] [--junit FILE] [--shard K/N] [--list]",
      "run many scenarios in parallel processes; progress, JUnit report; "
      "exit 1 if any failed", cmd_suite },
    { "sweep", "SCENARIO.json [-j N] [--points N] | --cut OP:K/N",
      "cut an SE's power inside every flash operation and check the "
      "scenario's recovery after each cut", cmd_sweep },
    { "serve", "SCENARIO.json [--pcsc HOST:PORT] [--no-nfc]",
      "the scenario's card as a PC/SC card (contact and contactless "
      "readers) through vsmartcard's vpcd", cmd_serve },
    { "cpu-run", "FILE.elf [--max-cycles N] [--trace]",
      "run a program on one bare Cortex-M0 with semihosting; prints "
      "cycles=N instructions=M on exit", cmd_cpu_run },
    { "flash", "inspect FILE",
      "explain an SE flash image (identifier, logs, COS data, erase "
      "counters)", cmd_flash },
    { "bench", "[NAME...]",
      "run benchmarks, one JSON object per line (names: kernel, cpu, "
      "contact-update, nfc-update, ble-update, demo)", cmd_bench },
    { "schema", "[--help]",
      "print the JSON Schema of scenario files (scenarios/schema.json)",
      cmd_schema },
    { "reference", "[--help]",
      "print the Markdown reference of scenario sections and actions "
      "(docs/scenario-reference.md)", cmd_reference },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cardsim COMMAND [ARGS]\n"
               "       cardsim --help | --version\n\n"
               "cycle-level simulator of a multi-chip smart card\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s %s\n      %s\n", commands[i].name, commands[i].args,
                commands[i].help);
    fprintf(f, "\nexit codes: 0 ok, 1 expectation failed, 2 bad input, "
               "3 simulation error\n"
               "documentation: README.md, docs/ (scenario-format.md, cli.md)\n");
}

int cli_bad_input(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cardsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_BAD_INPUT;
}

double cli_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_mkdir_p(const char *dir, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create directory: %s", buf,
                     strerror(errno));
            return -1;
        }
        struct stat st;
        if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: exists and is not a directory", buf);
            return -1;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_BAD_INPUT;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cardsim %s\n", CARDSIM_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "cardsim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_BAD_INPUT;
}
