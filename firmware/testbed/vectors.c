/* SPDX-License-Identifier: MIT */
/* firmware/testbed/vectors.c - vector table of the test machine and its
 * weak default handlers.
 *
 * A program overrides a handler by defining a function of the same name
 * (SysTick_Handler, IRQ5_Handler, ...). Defaults:
 *  - HardFault_Handler prints "HardFault" and exits with code 3. The fault
 *    itself (cause, PC, function name) is reported by the simulator when the
 *    exception is taken; the firmware's line only makes the exit visible in
 *    stdout, and keeps stdout free of addresses that move with the code.
 *  - every other exception goes to Default_Handler, which prints
 *    "unexpected exception N" (N = IPSR) and exits with code 4. */
#include <stdint.h>

#include "cm0.h"
#include "fmt.h"
#include "semihost.h"
#include "testbed.h"
#include "vectors.h"

typedef void (*vector_fn)(void);

extern uint32_t __stack_top[];

void Default_Handler(void)
{
    fmt_put_str("unexpected exception ");
    fmt_put_u32(cm0_ipsr());
    fmt_put_str("\n");
    semihost_exit(TESTBED_EXIT_UNEXPECTED);
}

__attribute__((weak)) void HardFault_Handler(void)
{
    semihost_puts("HardFault");
    semihost_exit(TESTBED_EXIT_HARDFAULT);
}

#define WEAK_DEFAULT(name) \
    void name(void) __attribute__((weak, alias("Default_Handler")))

WEAK_DEFAULT(NMI_Handler);
WEAK_DEFAULT(SVC_Handler);
WEAK_DEFAULT(PendSV_Handler);
WEAK_DEFAULT(SysTick_Handler);
WEAK_DEFAULT(IRQ0_Handler);
WEAK_DEFAULT(IRQ1_Handler);
WEAK_DEFAULT(IRQ2_Handler);
WEAK_DEFAULT(IRQ3_Handler);
WEAK_DEFAULT(IRQ4_Handler);
WEAK_DEFAULT(IRQ5_Handler);
WEAK_DEFAULT(IRQ6_Handler);
WEAK_DEFAULT(IRQ7_Handler);
WEAK_DEFAULT(IRQ8_Handler);
WEAK_DEFAULT(IRQ9_Handler);
WEAK_DEFAULT(IRQ10_Handler);
WEAK_DEFAULT(IRQ11_Handler);
WEAK_DEFAULT(IRQ12_Handler);
WEAK_DEFAULT(IRQ13_Handler);
WEAK_DEFAULT(IRQ14_Handler);
WEAK_DEFAULT(IRQ15_Handler);
WEAK_DEFAULT(IRQ16_Handler);
WEAK_DEFAULT(IRQ17_Handler);
WEAK_DEFAULT(IRQ18_Handler);
WEAK_DEFAULT(IRQ19_Handler);
WEAK_DEFAULT(IRQ20_Handler);
WEAK_DEFAULT(IRQ21_Handler);
WEAK_DEFAULT(IRQ22_Handler);
WEAK_DEFAULT(IRQ23_Handler);
WEAK_DEFAULT(IRQ24_Handler);
WEAK_DEFAULT(IRQ25_Handler);
WEAK_DEFAULT(IRQ26_Handler);
WEAK_DEFAULT(IRQ27_Handler);
WEAK_DEFAULT(IRQ28_Handler);
WEAK_DEFAULT(IRQ29_Handler);
WEAK_DEFAULT(IRQ30_Handler);
WEAK_DEFAULT(IRQ31_Handler);

/* Layout fixed by the architecture (ARMv6-M ARM B1.5.3): the initial SP,
 * then exception numbers 1..15, then external interrupts 0..31. */
struct testbed_vectors {
    uint32_t *initial_sp;
    vector_fn exceptions[15];
    vector_fn irqs[TESTBED_NUM_IRQ];
};

/* "used" and KEEP() in testbed.ld: nothing references the table, the
 * hardware reads it at 0 on reset. */
__attribute__((section(".vectors"), used))
const struct testbed_vectors testbed_vectors = {
    .initial_sp = __stack_top,
    .exceptions = {
        [EXC_RESET - 1] = Reset_Handler,
        [EXC_NMI - 1] = NMI_Handler,
        [EXC_HARDFAULT - 1] = HardFault_Handler,
        [EXC_SVCALL - 1] = SVC_Handler,
        [EXC_PENDSV - 1] = PendSV_Handler,
        [EXC_SYSTICK - 1] = SysTick_Handler,
    },
    .irqs = {
        IRQ0_Handler, IRQ1_Handler, IRQ2_Handler, IRQ3_Handler,
        IRQ4_Handler, IRQ5_Handler, IRQ6_Handler, IRQ7_Handler,
        IRQ8_Handler, IRQ9_Handler, IRQ10_Handler, IRQ11_Handler,
        IRQ12_Handler, IRQ13_Handler, IRQ14_Handler, IRQ15_Handler,
        IRQ16_Handler, IRQ17_Handler, IRQ18_Handler, IRQ19_Handler,
        IRQ20_Handler, IRQ21_Handler, IRQ22_Handler, IRQ23_Handler,
        IRQ24_Handler, IRQ25_Handler, IRQ26_Handler, IRQ27_Handler,
        IRQ28_Handler, IRQ29_Handler, IRQ30_Handler, IRQ31_Handler,
    },
};
