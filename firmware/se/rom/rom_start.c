/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_start.c - vector table and reset handler of the SE
 * boot ROM (at 0x0000_0000, rom.ld).
 *
 * Reset_Handler masks interrupts (the ROM never takes one: it only wakes
 * from WFI), sets up .data and .bss and enters rom_main(). Every other
 * exception lands in rom_fault(), which leaves the card mute (interrupts
 * masked, WFI for ever): a card that faulted answers nothing and the
 * reader resets it, which runs the boot again. rom_fault_ipsr keeps the
 * exception number for a debugger or the trace. */
#include <stdint.h>

#include "cm0.h"
#include "regs/se_map.h"
#include "rom_target.h"

#define ROM_NUM_IRQ 32u

typedef void (*vector_fn)(void);

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

volatile uint32_t rom_fault_ipsr;

void Reset_Handler(void);

void Reset_Handler(void)
{
    cm0_irq_disable();
    const uint32_t *src = __data_load;
    uint32_t *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++)
        *dst = 0;
    rom_main();
}

void rom_fault(void)
{
    cm0_irq_disable();
    rom_fault_ipsr = cm0_ipsr();
    for (;;)
        cm0_wfi();
}

/* ARMv6-M ARM B1.5.3: initial SP, exceptions 1..15, external interrupts. */
struct rom_vectors {
    uint32_t *initial_sp;
    vector_fn exceptions[15];
    vector_fn irqs[ROM_NUM_IRQ];
};

#define F rom_fault
/* "used" and KEEP() in rom.ld: the core reads it at 0 on reset. */
__attribute__((section(".vectors"), used))
const struct rom_vectors rom_vectors = {
    .initial_sp = __stack_top,
    .exceptions = { Reset_Handler, F, F, F, F, F, F, F, F, F, F, F, F, F, F },
    .irqs = { F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F,
              F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F },
};
#undef F
