/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu_bench.h - the core's speed bench: a bitwise CRC-32 loop
 * (hand-assembled Thumb, code in flash, data in RAM) run without the
 * kernel, with exact cycle accounting, timed on the host. */
#ifndef MODELS_CPU_CPU_BENCH_H
#define MODELS_CPU_CPU_BENCH_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cpu_bench_result {
    uint64_t bytes;        /* bytes run through the CRC */
    uint64_t instructions; /* instructions executed */
    uint64_t cycles;       /* simulated core cycles */
    double seconds;        /* host wall time of the run */
    double insns_per_s;    /* instructions per host second */
    double sim_mhz;        /* simulated cycles per host microsecond */
    uint32_t crc;          /* CRC-32 the firmware computed */
    bool ok;               /* crc matches the host's, core halted cleanly */
} cpu_bench_result_t;

/* Runs the CRC-32 loop over at least `bytes` bytes (a 1 KiB buffer run
 * repeatedly; rounded up to whole passes) with `flash_ws` wait states on
 * the code. Returns instructions per second (0 if the result was wrong);
 * fills *out if not NULL. */
double cpu_bench_crc32(uint64_t bytes, unsigned flash_ws,
                       cpu_bench_result_t *out);

#endif /* MODELS_CPU_CPU_BENCH_H */
