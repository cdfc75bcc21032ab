/* SPDX-License-Identifier: MIT */
/* tests/test_tmp.c - per-test temporary directories (see test_tmp.h). */
#include "test_tmp.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

char test_tmpdir[64];

void test_tmp_setup(void)
{
    snprintf(test_tmpdir, sizeof test_tmpdir, "/tmp/cardsim-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(test_tmpdir));
}

void test_tmp_teardown(void)
{
    DIR *d = opendir(test_tmpdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", test_tmpdir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(test_tmpdir);
}

const char *test_tmp_path(const char *name)
{
    static char paths[8][160];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", test_tmpdir, name);
    return p;
}
