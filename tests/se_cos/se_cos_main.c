/* SPDX-License-Identifier: MIT */
/* tests/se_cos/se_cos_main.c - runner of the COS host tests: `test_se_cos
 * SUITE` runs one suite (meson runs each as its own test); no argument
 * runs them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "se_cos_suites.h"

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
    { "cmd", make_cos_cmd_suite },
    { "store", make_cos_store_suite },
    { "tear", make_cos_tear_suite },
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
        fprintf(stderr, "test_se_cos: no suite named '%s'\n", argv[1]);
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
