/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/test_mode.c - working mode detection (firmware/mcu/mode.c). */
#include <check.h>

#include "mcu_fw_tests.h"
#include "mode.h"
#include "regs/mcu_sysctl.h"

START_TEST(compute_each_channel)
{
    ck_assert_uint_eq(mode_compute(0, false), 0);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_CONTACT_VCC, false), 0x1);
    ck_assert_uint_eq(mode_compute(0, true), 0x2);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_BLE_LINK, false), 0x4);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_CONTACT_VCC, true),
                      MCU_MODE_CONTACT | MCU_MODE_NFC);
    ck_assert_uint_eq(mode_compute(MCU_SENSE_CONTACT_VCC |
                                   MCU_SENSE_BLE_LINK, true), 0x7);
}
END_TEST

START_TEST(compute_ignores_other_inputs)
{
    /* the pads' switch pins and the NFC IRQ pin are not channels */
    uint32_t s = MCU_SENSE_NFC_IRQ | MCU_SENSE_PADS_SE(0) |
                 MCU_SENSE_PADS_SE(3);
    ck_assert_uint_eq(mode_compute(s, false), 0);
    ck_assert_uint_eq(mode_compute(s | MCU_SENSE_BLE_LINK, false),
                      MCU_MODE_BLE);
}
END_TEST

START_TEST(update_reports_changes_only)
{
    mode_state_t m = { 0 };
    /* the first value is always reported, even 0 */
    ck_assert(mode_update(&m, 0, false));
    ck_assert_uint_eq(m.value, 0);
    ck_assert(!mode_update(&m, MCU_SENSE_PADS_SE(1), false));
    ck_assert(mode_update(&m, MCU_SENSE_CONTACT_VCC, false));
    ck_assert_uint_eq(m.value, MCU_MODE_CONTACT);
    ck_assert(mode_update(&m, MCU_SENSE_CONTACT_VCC, true));
    ck_assert_uint_eq(m.value, MCU_MODE_CONTACT | MCU_MODE_NFC);
    ck_assert(!mode_update(&m, MCU_SENSE_CONTACT_VCC, true));
    ck_assert(mode_update(&m, 0, true));
    ck_assert_uint_eq(m.value, MCU_MODE_NFC);
    ck_assert(mode_update(&m, 0, false));
    ck_assert_uint_eq(m.value, 0);
}
END_TEST

Suite *make_mcu_mode_suite(void)
{
    Suite *s = suite_create("mcu_mode");
    TCase *tc = tcase_create("mode");
    tcase_add_test(tc, compute_each_channel);
    tcase_add_test(tc, compute_ignores_other_inputs);
    tcase_add_test(tc, update_reports_changes_only);
    suite_add_tcase(s, tc);
    return s;
}
