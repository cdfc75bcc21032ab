/* SPDX-License-Identifier: MIT */
/* tests/test_ble_radio.c - placeholder suite, being written. */
#include "suites.h"

Suite *make_ble_radio_suite(void)
{
    return suite_create("ble_radio");
}
