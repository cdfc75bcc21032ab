/* SPDX-License-Identifier: MIT */
/* cli/gdb_target.c - the target description GDB gets for a Cortex-M0
 * core, and its registers by GDB number.
 *
 * Reference: GDB manual, appendix G "Target Descriptions" (G.5.1 ARM
 * Features: org.gnu.gdb.arm.m-profile with r0-r12, sp, lr, pc, xpsr;
 * org.gnu.gdb.arm.m-system with msp and psp). ARMv6-M ARM (DDI 0419)
 * B1.4 for the special registers.
 *
 * Notes:
 *  - registers are numbered in document order (no regnum attributes), so
 *    the `g` packet is exactly the 21 registers below, 4 bytes each,
 *    target (little-endian) order;
 *  - primask and control ride in the m-system feature: GDB shows them
 *    as $primask and $control;
 *  - a write to xpsr sets the flags (APSR) and the Thumb bit; IPSR is
 *    read-only (the exception number follows the core's state). */
#include "cli/gdb_target.h"

#include <stddef.h>

static const char xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "  <architecture>arm</architecture>\n"
    "  <feature name=\"org.gnu.gdb.arm.m-profile\">\n"
    "    <reg name=\"r0\" bitsize=\"32\"/>\n"
    "    <reg name=\"r1\" bitsize=\"32\"/>\n"
    "    <reg name=\"r2\" bitsize=\"32\"/>\n"
    "    <reg name=\"r3\" bitsize=\"32\"/>\n"
    "    <reg name=\"r4\" bitsize=\"32\"/>\n"
    "    <reg name=\"r5\" bitsize=\"32\"/>\n"
    "    <reg name=\"r6\" bitsize=\"32\"/>\n"
    "    <reg name=\"r7\" bitsize=\"32\"/>\n"
    "    <reg name=\"r8\" bitsize=\"32\"/>\n"
    "    <reg name=\"r9\" bitsize=\"32\"/>\n"
    "    <reg name=\"r10\" bitsize=\"32\"/>\n"
    "    <reg name=\"r11\" bitsize=\"32\"/>\n"
    "    <reg name=\"r12\" bitsize=\"32\"/>\n"
    "    <reg name=\"sp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "    <reg name=\"lr\" bitsize=\"32\"/>\n"
    "    <reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "    <reg name=\"xpsr\" bitsize=\"32\"/>\n"
    "  </feature>\n"
    "  <feature name=\"org.gnu.gdb.arm.m-system\">\n"
    "    <reg name=\"msp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "    <reg name=\"psp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "    <reg name=\"primask\" bitsize=\"32\"/>\n"
    "    <reg name=\"control\" bitsize=\"32\"/>\n"
    "  </feature>\n"
    "</target>\n";

const char *gdb_target_xml(void)
{
    return xml;
}

/* GDB numbers 16-20 and the core's special registers */
static const cpu_special_reg_t specials[] = {
    CPU_SPECIAL_XPSR, CPU_SPECIAL_MSP, CPU_SPECIAL_PSP,
    CPU_SPECIAL_PRIMASK, CPU_SPECIAL_CONTROL,
};

bool gdb_target_reg(const cpu_t *cpu, unsigned n, uint32_t *v)
{
    if (n < 16)
        *v = cpu_reg(cpu, n);
    else if (n < GDB_TARGET_NREGS)
        *v = cpu_special(cpu, specials[n - 16]);
    else
        return false;
    return true;
}

bool gdb_target_set_reg(cpu_t *cpu, unsigned n, uint32_t v)
{
    if (n < 16)
        cpu_set_reg(cpu, n, v);
    else if (n < GDB_TARGET_NREGS)
        cpu_set_special(cpu, specials[n - 16], v);
    else
        return false;
    return true;
}
