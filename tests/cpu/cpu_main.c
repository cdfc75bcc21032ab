/* SPDX-License-Identifier: MIT */
/* tests/cpu/cpu_main.c - runner of the CPU's Check suites: `test_cpu SUITE`
 * runs one (meson runs each as its own test), `test_cpu` all. */
#include "cpu_suites.h"
#include "../check_runner.h"

static const check_suite_entry_t suites[] = {
    { "cycles", make_cpu_cycles_suite },
    { "exc", make_cpu_exc_suite },
    { "mem", make_cpu_mem_suite },
    { "kernel", make_cpu_kernel_suite },
    { "bp", make_cpu_bp_suite },
    { "watch", make_cpu_watch_suite },
};

CHECK_RUNNER_MAIN("test_cpu", suites)
