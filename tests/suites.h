/* SPDX-License-Identifier: MIT */
/* tests/suites.h - every Check suite of the unit test runner. Add a suite:
 * write tests/test_<module>.c exporting make_<module>_suite(), add it to the
 * table in unit_main.c and to `unit_suites` in tests/meson.build. */
#ifndef TESTS_SUITES_H
#define TESTS_SUITES_H

#include <check.h>

Suite *make_clock_suite(void);
Suite *make_heap_suite(void);
Suite *make_rng_suite(void);
Suite *make_sim_suite(void);
Suite *make_trace_suite(void);
Suite *make_pcap_suite(void);
Suite *make_units_suite(void);
Suite *make_scenario_load_suite(void);
Suite *make_flash_suite(void);
Suite *make_crypto_suite(void);
Suite *make_proto7816_suite(void);
Suite *make_iso7816_suite(void);
Suite *make_se_suite(void);
Suite *make_reader_suite(void);
Suite *make_iso14443_suite(void);
Suite *make_nfc_suite(void);
Suite *make_phone_suite(void);
Suite *make_mcu_suite(void);
Suite *make_t1_tap_suite(void);
Suite *make_ble_ll_suite(void);
Suite *make_ble_radio_suite(void);
Suite *make_phone_ble_suite(void);
Suite *make_view_model_suite(void);

#include <stdlib.h>
#include <string.h>

/* Tests that expect sim_fatal() to exit the process can only run in a
 * forked child; under CK_FORK=no (valgrind runs) they return at once. The
 * normal suite run checks their exit status. */
#define SKIP_WITHOUT_FORK()                                                  \
    do {                                                                     \
        const char *f_ = getenv("CK_FORK");                                  \
        if (f_ && strcmp(f_, "no") == 0)                                     \
            return;                                                          \
    } while (0)

/* Directory holding test fixtures (tests/), set by the build. */
#ifndef TESTS_DIR
#error "TESTS_DIR must be defined by the build"
#endif

#endif /* TESTS_SUITES_H */
