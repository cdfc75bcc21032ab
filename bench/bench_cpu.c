/* SPDX-License-Identifier: MIT */
/* bench/bench_cpu.c - CPU speed: instructions per host second and simulated
 * MHz, with exact cycle accounting, on firmware built by arm-none-eabi-gcc
 * -O2 for cortex-m0 (firmware/tests/crc32_bench.c, sha256_bench.c) run on
 * the bare test machine, plus the core's own hand-assembled CRC-32 loop
 * (models/cpu/cpu_bench.c). The firmware's iteration count is patched in
 * the loaded image so one run lasts about a second. */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "cardsim_config.h"
#include "cli/cli.h"
#include "cli/testbed.h"
#include "models/cpu/cpu_bench.h"

static int run_elf(bench_result_t *r, const char *name, const char *symbol,
                   uint32_t iterations, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/firmware/%s.elf", CARDSIM_BUILD_ROOT,
             name);
    testbed_cfg_t cfg = { .hz = 16000000 };
    testbed_t *tb = testbed_new(path, &cfg, err, errlen);
    if (!tb)
        return -1;
    if (!testbed_patch_u32(tb, symbol, iterations)) {
        snprintf(err, errlen, "%s: no symbol %s", path, symbol);
        testbed_free(tb);
        return -1;
    }
    double t0 = cli_wall_seconds();
    bool exited = testbed_run(tb, UINT64_MAX);
    double wall = cli_wall_seconds() - t0;
    if (!exited || tb->exit_code != 0) {
        snprintf(err, errlen, "%s did not exit cleanly", path);
        testbed_free(tb);
        return -1;
    }
    uint64_t insns = cpu_instructions(&tb->cpu), cyc = cpu_cycles(&tb->cpu);
    snprintf(r->name, sizeof r->name, "cpu.%s", name);
    r->value = (double)insns / wall;
    snprintf(r->unit, sizeof r->unit, "instructions/s");
    snprintf(r->note, sizeof r->note,
             "%llu insns, %llu cycles (%.1f simulated MHz), %.3f s wall, "
             "gcc -O2 cortex-m0, 0 wait states",
             (unsigned long long)insns, (unsigned long long)cyc,
             (double)cyc / wall / 1e6, wall);
    testbed_free(tb);
    return 0;
}

int bench_cpu(bench_result_t *out, size_t max, char *err, size_t errlen)
{
    if (max < 3)
        return 0;
    int n = 0;
    if (run_elf(&out[n], "crc32_bench", "crc32_bench_iterations", 40000, err,
                errlen) != 0)
        return -1;
    n++;
    if (run_elf(&out[n], "sha256_bench", "sha256_bench_iterations", 8000,
                err, errlen) != 0)
        return -1;
    n++;
    cpu_bench_result_t res;
    cpu_bench_crc32(16u << 20, 0, &res);
    if (!res.ok) {
        snprintf(err, errlen, "hand-assembled CRC-32 loop computed a wrong "
                              "CRC");
        return -1;
    }
    bench_result_t *r = &out[n++];
    snprintf(r->name, sizeof r->name, "cpu.crc32_asm");
    r->value = res.insns_per_s;
    snprintf(r->unit, sizeof r->unit, "instructions/s");
    snprintf(r->note, sizeof r->note,
             "%llu insns, bitwise CRC-32 hand-assembled, %.1f simulated MHz, "
             "%.3f s wall", (unsigned long long)res.instructions, res.sim_mhz,
             res.seconds);
    return n;
}
