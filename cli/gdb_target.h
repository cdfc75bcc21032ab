/* SPDX-License-Identifier: MIT */
/* cli/gdb_target.h - what GDB is told a core looks like: the target
 * description (an M-profile core and its system registers) and the
 * registers by GDB's number in it. */
#ifndef CLI_GDB_TARGET_H
#define CLI_GDB_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpu/cpu.h"

/* r0-r12, sp, lr, pc (0-15), xpsr (16), msp, psp, primask, control
 * (17-20): the order of the `g` packet. */
#define GDB_TARGET_NREGS 21

/* The "target.xml" annex of qXfer:features:read. */
const char *gdb_target_xml(void);

/* Register n (false if there is no such register). */
bool gdb_target_reg(const cpu_t *cpu, unsigned n, uint32_t *v);
bool gdb_target_set_reg(cpu_t *cpu, unsigned n, uint32_t v);

#endif /* CLI_GDB_TARGET_H */
