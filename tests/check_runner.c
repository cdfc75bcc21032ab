/* SPDX-License-Identifier: MIT */
/* tests/check_runner.c - the shared Check runner (see check_runner.h). */
#include "check_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int check_runner_main(const char *prog, int argc, char **argv,
                      const check_suite_entry_t *suites, size_t n)
{
    SRunner *sr = NULL;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], suites[i].name) != 0)
            continue;
        if (!sr)
            sr = srunner_create(suites[i].make());
        else
            srunner_add_suite(sr, suites[i].make());
    }
    if (!sr) {
        fprintf(stderr, "%s: no suite named '%s'\n", prog, argv[1]);
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
