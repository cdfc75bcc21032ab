/* SPDX-License-Identifier: MIT */
/* tests/se_cos/se_cos_suites.h - the Check suites of the COS host tests
 * (test_se_cos SUITE runs one; without an argument, all). */
#ifndef TESTS_SE_COS_SE_COS_SUITES_H
#define TESTS_SE_COS_SE_COS_SUITES_H

#include <check.h>

Suite *make_cos_cmd_suite(void);
Suite *make_cos_store_suite(void);
Suite *make_cos_tear_suite(void);

#endif /* TESTS_SE_COS_SE_COS_SUITES_H */
