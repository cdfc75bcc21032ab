/* SPDX-License-Identifier: MIT */
/* tests/test_nfc.c - placeholder suite, being written. */
#include "suites.h"

Suite *make_nfc_suite(void)
{
    return suite_create("nfc");
}
