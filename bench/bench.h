/* SPDX-License-Identifier: MIT */
/* bench/bench.h - benchmarks run by `cardsim bench`. Each fills results
 * that the command prints as JSON lines. Speed is measured here, never by
 * timed tests. */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stddef.h>

typedef struct bench_result {
    char name[48];      /* "kernel", "kernel.heap", ... */
    double value;
    char unit[24];      /* "events/s" */
    char note[160];     /* what was measured, in a few words */
} bench_result_t;

typedef struct bench_def {
    const char *name;
    const char *help;
    /* Fills up to max results; returns how many, or -1 with err. */
    int (*run)(bench_result_t *out, size_t max, char *err, size_t errlen);
} bench_def_t;

int bench_kernel(bench_result_t *out, size_t max, char *err, size_t errlen);
int bench_cpu(bench_result_t *out, size_t max, char *err, size_t errlen);
int bench_ble_update(bench_result_t *out, size_t max, char *err,
                     size_t errlen);
int bench_demo(bench_result_t *out, size_t max, char *err, size_t errlen);
int bench_nfc_update(bench_result_t *out, size_t max, char *err,
                     size_t errlen);
int bench_contact_update(bench_result_t *out, size_t max, char *err,
                         size_t errlen);

#endif /* BENCH_BENCH_H */
