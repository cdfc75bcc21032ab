/* SPDX-License-Identifier: MIT */
/* tests/test_mcu.c - placeholder suite, being written. */
#include "suites.h"

Suite *make_mcu_suite(void)
{
    return suite_create("mcu");
}
