/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu_bench.c - CRC-32 speed bench of the core (no kernel).
 *
 * The firmware is the classic bitwise reflected CRC-32 (poly 0xEDB88320),
 * about 42 instructions per byte, hand-assembled below; the host checks
 * its result. The core runs it through cpu_run_cycles(), the same loop as
 * any simulation, with every cycle counted. */
#include "models/cpu/cpu_bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/cpu/cpu.h"

#define FLASH_BASE 0x00000000u
#define RAM_BASE 0x20000000u
#define BUF_LEN 1024u

/* Registers on entry: r0 = crc, r3 = poly, r6 = passes, r7 = buffer,
 * r8 = buffer length. Code at 0x08 (vectors: SP, reset). */
static const uint16_t crc_code[] = {
    0x4639, /* 08 pass:  mov   r1, r7          */
    0x4642, /* 0a        mov   r2, r8          */
    0x780C, /* 0c byte:  ldrb  r4, [r1]        */
    0x3101, /* 0e        adds  r1, #1          */
    0x4060, /* 10        eors  r0, r4          */
    0x2508, /* 12        movs  r5, #8          */
    0x0840, /* 14 bit:   lsrs  r0, r0, #1      */
    0xD300, /* 16        bcc   1f              */
    0x4058, /* 18        eors  r0, r3          */
    0x3D01, /* 1a 1:     subs  r5, #1          */
    0xD1FA, /* 1c        bne   bit             */
    0x3A01, /* 1e        subs  r2, #1          */
    0xD1F4, /* 20        bne   byte            */
    0x3E01, /* 22        subs  r6, #1          */
    0xD1F0, /* 24        bne   pass            */
    0x43C0, /* 26        mvns  r0, r0          */
    0xBEAB, /* 28        bkpt  0xab (stop)     */
};

static bool bench_stop(void *ctx, cpu_t *cpu)
{
    (void)ctx;
    cpu_halt(cpu);
    return true;
}

static uint32_t host_crc(uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return crc;
}

double cpu_bench_crc32(uint64_t bytes, unsigned flash_ws,
                       cpu_bench_result_t *out)
{
    static uint8_t flash[4096], ram[8192];
    cpu_t *cpu = malloc(sizeof *cpu);
    if (!cpu)
        return 0;
    memset(flash, 0xFF, sizeof flash);
    uint32_t sp = RAM_BASE + sizeof ram, reset = FLASH_BASE + 0x08 + 1;
    memcpy(flash, &sp, 4);
    memcpy(flash + 4, &reset, 4);
    memcpy(flash + 8, crc_code, sizeof crc_code);
    for (unsigned i = 0; i < BUF_LEN; i++)
        ram[i] = (uint8_t)(i * 7 + 3);

    uint64_t passes = (bytes + BUF_LEN - 1) / BUF_LEN;
    if (passes == 0)
        passes = 1;
    if (passes > UINT32_MAX)
        passes = UINT32_MAX;

    cpu_cfg_t cfg = { .name = "bench", .hz = 16000000 };
    cpu_init(cpu, &cfg);
    cpu_map(cpu, &(cpu_map_cfg_t){ .name = "flash", .kind = CPU_MEM_FLASH,
                                   .base = FLASH_BASE, .size = sizeof flash,
                                   .host = flash, .wait_states = flash_ws });
    cpu_map(cpu, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
                                   .base = RAM_BASE, .size = sizeof ram,
                                   .host = ram });
    cpu_set_semihost(cpu, bench_stop, NULL);
    cpu_reset(cpu);
    cpu_set_reg(cpu, 0, 0xFFFFFFFFu);
    cpu_set_reg(cpu, 3, 0xEDB88320u);
    cpu_set_reg(cpu, 6, (uint32_t)passes);
    cpu_set_reg(cpu, 7, RAM_BASE);
    cpu_set_reg(cpu, 8, BUF_LEN);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (cpu_state(cpu) == CPU_RUNNING)
        cpu_run_cycles(cpu, UINT64_MAX / 2);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    cpu_bench_result_t r = { 0 };
    r.bytes = passes * BUF_LEN;
    r.instructions = cpu_instructions(cpu);
    r.cycles = cpu_cycles(cpu);
    r.seconds = (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    r.crc = cpu_reg(cpu, 0);
    uint32_t want = 0xFFFFFFFFu;
    for (uint64_t p = 0; p < passes; p++)
        want = host_crc(want, ram, BUF_LEN);
    r.ok = cpu_state(cpu) == CPU_HALTED && r.crc == ~want &&
           cpu_fault_count(cpu) == 0;
    if (r.seconds > 0) {
        r.insns_per_s = (double)r.instructions / r.seconds;
        r.sim_mhz = (double)r.cycles / r.seconds / 1e6;
    }
    cpu_cleanup(cpu);
    free(cpu);
    if (out)
        *out = r;
    return r.ok ? r.insns_per_s : 0;
}
