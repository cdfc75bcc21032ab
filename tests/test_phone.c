/* SPDX-License-Identifier: MIT */
/* tests/test_phone.c - placeholder suite, being written. */
#include "suites.h"

Suite *make_phone_suite(void)
{
    return suite_create("phone");
}
