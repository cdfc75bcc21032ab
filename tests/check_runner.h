/* SPDX-License-Identifier: MIT */
/* tests/check_runner.h - the main() of every Check runner: `RUNNER SUITE`
 * runs one suite (meson registers each as its own test, so they run in
 * parallel), `RUNNER` runs them all. */
#ifndef TESTS_CHECK_RUNNER_H
#define TESTS_CHECK_RUNNER_H

#include <stddef.h>

#include <check.h>

typedef struct check_suite_entry {
    const char *name;
    Suite *(*make)(void);
} check_suite_entry_t;

/* Returns the process exit status: 0 all passed, 1 a failure, 2 no suite
 * of that name. */
int check_runner_main(const char *prog, int argc, char **argv,
                      const check_suite_entry_t *suites, size_t n);

#define CHECK_RUNNER_MAIN(prog, table)                                       \
    int main(int argc, char **argv)                                          \
    {                                                                        \
        return check_runner_main(prog, argc, argv, table,                    \
                                 sizeof table / sizeof table[0]);            \
    }

#endif /* TESTS_CHECK_RUNNER_H */
