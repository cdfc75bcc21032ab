/* SPDX-License-Identifier: MIT */
/* tests/se_rom/se_rom_main.c - the runner of the SE ROM's host tests:
 * `test_se_rom SUITE` runs one suite, `test_se_rom` all of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
    { "rom_store", make_rom_store_suite },
    { "rom_loader", make_rom_loader_suite },
    { "rom_link", make_rom_link_suite },
};

int main(int argc, char **argv)
{
    SRunner *sr = NULL;
    size_t n = sizeof suites / sizeof suites[0];
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], suites[i].name) != 0)
            continue;
        if (!sr)
            sr = srunner_create(suites[i].make());
        else
            srunner_add_suite(sr, suites[i].make());
    }
    if (!sr) {
        fprintf(stderr, "test_se_rom: no suite named '%s'\n", argv[1]);
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
