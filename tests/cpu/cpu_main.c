/* SPDX-License-Identifier: MIT */
/* tests/cpu/cpu_main.c - runner of the CPU's Check suites: `test_cpu SUITE`
 * runs one (meson runs each as its own test), `test_cpu` all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_suites.h"

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
    { "cycles", make_cpu_cycles_suite },
    { "exc", make_cpu_exc_suite },
    { "mem", make_cpu_mem_suite },
    { "kernel", make_cpu_kernel_suite },
};

int main(int argc, char **argv)
{
    SRunner *sr = NULL;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (argc > 1 && strcmp(argv[1], suites[i].name) != 0)
            continue;
        if (!sr)
            sr = srunner_create(suites[i].make());
        else
            srunner_add_suite(sr, suites[i].make());
    }
    if (!sr) {
        fprintf(stderr, "test_cpu: no suite named '%s'\n", argv[1]);
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
