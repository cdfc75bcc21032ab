/* SPDX-License-Identifier: MIT */
/* tests/unit_main.c - the one Check runner: `unit SUITE` runs one suite
 * (meson runs each as its own test, in parallel); `unit` runs them all. */
#include "suites.h"
#include "check_runner.h"

static const check_suite_entry_t suites[] = {
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
    { "iso14443", make_iso14443_suite },
    { "nfc", make_nfc_suite },
    { "phone", make_phone_suite },
    { "mcu", make_mcu_suite },
    { "t1_tap", make_t1_tap_suite },
    { "ble_ll", make_ble_ll_suite },
    { "ble_radio", make_ble_radio_suite },
    { "phone_ble", make_phone_ble_suite },
    { "view_model", make_view_model_suite },
};

CHECK_RUNNER_MAIN("unit", suites)
