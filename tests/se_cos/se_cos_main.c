/* SPDX-License-Identifier: MIT */
/* tests/se_cos/se_cos_main.c - runner of the COS host tests: `test_se_cos
 * SUITE` runs one suite (meson runs each as its own test); no argument
 * runs them all. */
#include "se_cos_suites.h"
#include "../check_runner.h"

static const check_suite_entry_t suites[] = {
    { "cmd", make_cos_cmd_suite },
    { "store", make_cos_store_suite },
    { "tear", make_cos_tear_suite },
};

CHECK_RUNNER_MAIN("test_se_cos", suites)
