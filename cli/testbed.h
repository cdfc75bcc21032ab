/* SPDX-License-Identifier: MIT */
/* cli/testbed.h - the bare test machine of `cardsim cpu-run` and of the CPU
 * benchmarks: one Cortex-M0, 1 MiB of flash at 0x00000000 (erased to 0xFF,
 * read-only to the core), 256 KiB of RAM at 0x20000000, and ARM
 * semihosting through BKPT 0xAB (SYS_WRITEC, SYS_WRITE0, SYS_WRITE to
 * handles 1/2, SYS_CLOCK, SYS_EXIT, SYS_EXIT_EXTENDED). Memory map:
 * firmware/testbed/testbed.h. */
#ifndef CLI_TESTBED_H
#define CLI_TESTBED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/cpu/cpu.h"
#include "models/elf_load.h"

typedef struct testbed {
    cpu_t cpu;
    elf_image_t elf;
    uint8_t *flash, *ram;
    FILE *out, *err;      /* program's stdout/stderr (NULL: discarded) */
    bool report_faults;   /* print each fault to stderr */
    bool exited;
    int exit_code;
} testbed_t;

typedef struct testbed_cfg {
    uint64_t hz;          /* core clock (default 16 MHz if 0) */
    unsigned flash_ws;    /* flash wait states */
    FILE *out, *err;
    bool report_faults;
} testbed_cfg_t;

/* Allocates a machine and loads an ELF image into it (segments at their
 * load addresses), then resets the core. Returns NULL with err set ("FILE:
 * ...") if the file is not a loadable program for this memory map. */
testbed_t *testbed_new(const char *elf_path, const testbed_cfg_t *cfg,
                       char *err, size_t errlen);
void testbed_free(testbed_t *tb);

/* Overwrites the 32-bit word at a symbol's address in the loaded image
 * (e.g. a benchmark's iteration count). Returns false if there is no such
 * symbol in flash or RAM. */
bool testbed_patch_u32(testbed_t *tb, const char *symbol, uint32_t value);

/* True when the core sleeps with nothing that can wake it on this machine
 * (no interrupt pending, SysTick not counting to an interrupt). */
bool testbed_deadlocked(const testbed_t *tb);

/* Runs until the program exits, the core locks up or deadlocks, or
 * max_cycles elapse. Returns true if the program exited. */
bool testbed_run(testbed_t *tb, uint64_t max_cycles);

#endif /* CLI_TESTBED_H */
