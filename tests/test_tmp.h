/* SPDX-License-Identifier: MIT */
/* tests/test_tmp.h - a temporary directory for a test case's files, as a
 * Check fixture: created before each test, removed with its files after. */
#ifndef TESTS_TEST_TMP_H
#define TESTS_TEST_TMP_H

extern char test_tmpdir[64];

void test_tmp_setup(void);
void test_tmp_teardown(void);
/* "<test_tmpdir>/<name>" in one of 8 rotating buffers. */
const char *test_tmp_path(const char *name);

#endif /* TESTS_TEST_TMP_H */
