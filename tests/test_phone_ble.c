/* SPDX-License-Identifier: MIT */
/* tests/test_phone_ble.c - placeholder suite, being written. */
#include "suites.h"

Suite *make_phone_ble_suite(void)
{
    return suite_create("phone_ble");
}
