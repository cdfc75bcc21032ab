/* SPDX-License-Identifier: MIT */
/* tests/se_rom/se_rom_main.c - the runner of the SE ROM's host tests:
 * `test_se_rom SUITE` runs one suite, `test_se_rom` all of them. */
#include "harness.h"
#include "../check_runner.h"

static const check_suite_entry_t suites[] = {
    { "rom_store", make_rom_store_suite },
    { "rom_loader", make_rom_loader_suite },
    { "rom_link", make_rom_link_suite },
};

CHECK_RUNNER_MAIN("test_se_rom", suites)
