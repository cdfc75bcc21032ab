/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/mcu_fw_tests.h - the suites of the MCU firmware's host
 * tests. */
#ifndef TESTS_MCU_FW_MCU_FW_TESTS_H
#define TESTS_MCU_FW_MCU_FW_TESTS_H

#include <check.h>

Suite *make_mcu_router_suite(void);
Suite *make_mcu_mode_suite(void);
Suite *make_mcu_se_port_suite(void);
Suite *make_mcu_ble_att_suite(void);
Suite *make_mcu_ble_xport_suite(void);

#endif /* TESTS_MCU_FW_MCU_FW_TESTS_H */
