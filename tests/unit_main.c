/* SPDX-License-Identifier: MIT */
/* tests/unit_main.c - the one Check runner: `unit SUITE` runs one suite
 * (meson runs each as its own test, in parallel); `unit` runs them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
    { "clock", make_clock_suite },
    { "heap", make_heap_suite },
    { "rng", make_rng_suite },
    { "sim", make_sim_suite },
    { "trace", make_trace_suite },
    { "pcap", make_pcap_suite },
    { "units", make_units_suite },
    { "scenario_load", make_scenario_load_suite },
    { "flash", make_flash_suite },
    { "crypto", make_crypto_suite },
    { "proto7816", make_proto7816_suite },
    { "iso7816", make_iso7816_suite },
    { "se", make_se_suite },
    { "reader", make_reader_suite },
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
        fprintf(stderr, "unit: no suite named '%s'\n", argv[1]);
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
