/* SPDX-License-Identifier: MIT */
/* tests/cpu/cpu_suites.h - the CPU's Check suites (run by cpu_main.c). */
#ifndef TESTS_CPU_CPU_SUITES_H
#define TESTS_CPU_CPU_SUITES_H

#include <check.h>

Suite *make_cpu_cycles_suite(void);
Suite *make_cpu_exc_suite(void);
Suite *make_cpu_mem_suite(void);
Suite *make_cpu_kernel_suite(void);
Suite *make_cpu_bp_suite(void);
Suite *make_cpu_watch_suite(void);

#endif /* TESTS_CPU_CPU_SUITES_H */
