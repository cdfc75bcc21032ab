/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/mcu_fw_main.c - the runner of the MCU firmware's host
 * tests: `test_mcu_fw SUITE` runs one suite, `test_mcu_fw` all of them. */
#include "../check_runner.h"
#include "mcu_fw_tests.h"

static const check_suite_entry_t suites[] = {
    { "mcu_router", make_mcu_router_suite },
    { "mcu_mode", make_mcu_mode_suite },
    { "mcu_se_port", make_mcu_se_port_suite },
    { "mcu_ble_att", make_mcu_ble_att_suite },
    { "mcu_ble_xport", make_mcu_ble_xport_suite },
};

CHECK_RUNNER_MAIN("test_mcu_fw", suites)
