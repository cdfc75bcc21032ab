/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_start.c - vector table and reset handler of the COS
 * (at 0x1000_4000, cos.ld).
 *
 * The ROM enters Reset_Handler by a branch, not a reset: it has set VTOR
 * to this table and MSP from its word 0, cleared its NVIC enables and
 * PRIMASK, and passes the reset cause in r0 (unused here). Reset_Handler
 * masks interrupts (the COS never takes one: it only wakes from WFI), sets
 * VTOR again (so a debugger starting the image directly gets the same
 * state), sets up .data and .bss and enters cos_main().
 *
 * Every exception lands in cos_fault(), which leaves the card mute
 * (interrupts masked, WFI for ever): the reader resets it. The SE's four
 * interrupt lines (regs/se_map.h) have named handlers, aliases of the same
 * sink, so a trace symbolizes a stray one by its peripheral. */
#include <stdint.h>

#include "cm0.h"
#include "cos_target.h"
#include "regs/se_map.h"

#define COS_NUM_IRQ 32u

typedef void (*vector_fn)(void);

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
extern const struct cos_vectors cos_vectors;

/* The exception number of the last fault, for a debugger or the trace. */
volatile uint32_t cos_fault_ipsr;

void Reset_Handler(void);

void Reset_Handler(void)
{
    cm0_irq_disable();
    cm0_write32(SCB_VTOR, (uint32_t)(uintptr_t)&cos_vectors);
    const uint32_t *src = __data_load;
    uint32_t *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++)
        *dst = 0;
    cos_main();
}

void cos_fault(void)
{
    cm0_irq_disable();
    cos_fault_ipsr = cm0_ipsr();
    for (;;)
        cm0_wfi();
}

#define ALIAS_FAULT __attribute__((alias("cos_fault"), noreturn))
void HardFault_Handler(void) ALIAS_FAULT;
void FLASHC_IRQHandler(void) ALIAS_FAULT;
void UART_IRQHandler(void) ALIAS_FAULT;
void TIMER_IRQHandler(void) ALIAS_FAULT;
void CRYPTO_IRQHandler(void) ALIAS_FAULT;

/* ARMv6-M ARM B1.5.3: initial SP, exceptions 1..15, external interrupts. */
struct cos_vectors {
    uint32_t *initial_sp;
    vector_fn exceptions[15];
    vector_fn irqs[COS_NUM_IRQ];
};

#define F cos_fault
/* "used" and KEEP() in cos.ld: the ROM reads it at the image start. */
__attribute__((section(".vectors"), used))
const struct cos_vectors cos_vectors = {
    .initial_sp = __stack_top,
    .exceptions = { Reset_Handler, F, HardFault_Handler, F, F, F, F, F, F,
                    F, F, F, F, F, F },
    .irqs = {
        [SE_IRQ_FLASHC] = FLASHC_IRQHandler,
        [SE_IRQ_UART] = UART_IRQHandler,
        [SE_IRQ_TIMER] = TIMER_IRQHandler,
        [SE_IRQ_CRYPTO] = CRYPTO_IRQHandler,
        [4] = F, F, F, F, F, F, F, F, F, F, F, F, F, F,
        F, F, F, F, F, F, F, F, F, F, F, F, F, F,
    },
};
#undef F
