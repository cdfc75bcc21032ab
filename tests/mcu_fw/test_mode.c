/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/test_mode.c - working mode detection (firmware/mcu/mode.c). */
#include <check.h>

#include "mcu_fw_tests.h"
#include "mode.h"
#include "regs/mcu_sysctl.h"

START_TEST(compute_each_channel)
{
    ck_assert_uint_eq(mode_compute(0, false, false), 0);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_CONTACT_VCC, false, false), 0x1);
    ck_assert_uint_eq(mode_compute(0, true, false), 0x2);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_BLE_LINK, false, false), 0x4);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_CONTACT_VCC, true, false),
                      MCU_MODE_CONTACT | MCU_MODE_NFC);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_CONTACT_VCC |
                                   MCU_SENSE_BLE_LINK, true, false), 0x7);
}
END_TEST

START_TEST(compute_ignores_other_inputs)
{
    /* the pads' switch pins and the NFC IRQ pin are not channels */
    uint32_t s = MCU_SENSE_NFC_IRQ | MCU_SENSE_PADS_SE(0) |
                 MCU_SENSE_PADS_SE(3);
    ck_assert_uint_eq(mode_compute(s, false, false), 0);
    ck_assert_uint_eq(mode_compute(s | MCU_SENSE_BLE_LINK, false, false),
                      MCU_MODE_BLE);
}
END_TEST

START_TEST(update_reports_changes_only)
{
    mode_state_t m = { 0 };
    /* the first value is always reported, even 0 */
    ck_assert(mode_update(&m, 0, false, false));
    ck_assert_uint_eq(m.value, 0);
    ck_assert(!mode_update(&m, MCU_SENSE_PADS_SE(1), false, false));
    ck_assert(mode_update(&m, MCU_SENSE_CONTACT_VCC, false, false));
    ck_assert_uint_eq(m.value, MCU_MODE_CONTACT);
    ck_assert(mode_update(&m, MCU_SENSE_CONTACT_VCC, true, false));
    ck_assert_uint_eq(m.value, MCU_MODE_CONTACT | MCU_MODE_NFC);
    ck_assert(!mode_update(&m, MCU_SENSE_CONTACT_VCC, true, false));
    ck_assert(mode_update(&m, 0, true, false));
    ck_assert_uint_eq(m.value, MCU_MODE_NFC);
    ck_assert(mode_update(&m, 0, false, false));
    ck_assert_uint_eq(m.value, 0);
}
END_TEST

START_TEST(ble_from_the_radio)
{
    ck_assert_uint_eq(mode_compute(0, false, true), MCU_MODE_BLE);
    /* the stub input is or-ed in */
    ck_assert_uint_eq(mode_compute(MCU_SENSE_BLE_LINK, false, true),
                      MCU_MODE_BLE);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_CONTACT_VCC, true, true), 0x7);
    mode_state_t m = { 0 };
    ck_assert(mode_update(&m, 0, true, false));
    ck_assert(mode_update(&m, 0, true, true));
    ck_assert_uint_eq(m.value, MCU_MODE_NFC | MCU_MODE_BLE);
    ck_assert(!mode_update(&m, MCU_SENSE_BLE_LINK, true, true));
    ck_assert(mode_update(&m, 0, true, false));
    ck_assert_uint_eq(m.value, MCU_MODE_NFC);
}
END_TEST

Suite *make_mcu_mode_suite(void)
{
    Suite *s = suite_create("mcu_mode");
    TCase *tc = tcase_create("mode");
    tcase_add_test(tc, compute_each_channel);
    tcase_add_test(tc, compute_ignores_other_inputs);
    tcase_add_test(tc, update_reports_changes_only);
    tcase_add_test(tc, ble_from_the_radio);
    suite_add_tcase(s, tc);
    return s;
}
