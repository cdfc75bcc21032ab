/* SPDX-License-Identifier: MIT */
/* tests/test_view_model.c - placeholder suite, being written. */
#include "suites.h"

Suite *make_view_model_suite(void)
{
    return suite_create("view_model");
}
