/* SPDX-License-Identifier: MIT */
/* firmware/mcu/mcu_start.c - vector table and reset handler of the MCU
 * firmware (at 0x0000_0000, mcu.ld).
 *
 * Reset_Handler sets up .data and .bss and enters mcu_main(). The
 * peripheral handlers are mcu_hal.c's (TIMER, SPI, NFC, SENSE, RADIO,
 * ISO 0-7);
 * every other exception lands in mcu_fault(), which leaves the MCU
 * stopped (interrupts masked, WFI for ever); mcu_fault_ipsr keeps the
 * exception number for a debugger or the trace. */
#include <stdint.h>

#include "cm0.h"
#include "mcu_hal.h"
#include "regs/mcu_map.h"

#define MCU_NUM_IRQ 32u

typedef void (*vector_fn)(void);

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

volatile uint32_t mcu_fault_ipsr;

void Reset_Handler(void);
void mcu_fault(void);
void mcu_main(void) __attribute__((noreturn));

void Reset_Handler(void)
{
    cm0_irq_disable();
    const uint32_t *src = __data_load;
    uint32_t *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++)
        *dst = 0;
    mcu_main();
}

void mcu_fault(void)
{
    cm0_irq_disable();
    mcu_fault_ipsr = cm0_ipsr();
    for (;;)
        cm0_wfi();
}

/* ARMv6-M ARM B1.5.3: initial SP, exceptions 1..15, external interrupts. */
struct mcu_vectors {
    uint32_t *initial_sp;
    vector_fn exceptions[15];
    vector_fn irqs[MCU_NUM_IRQ];
};

#define F mcu_fault
/* "used" and KEEP() in mcu.ld: the core reads it at 0 on reset. Lines as
 * regs/mcu_map.h: 0 TIMER, 1 SPI, 2 NFC, 3 SENSE, 4 RADIO, 8+n ISO n. */
__attribute__((section(".vectors"), used))
const struct mcu_vectors mcu_vectors = {
    .initial_sp = __stack_top,
    .exceptions = { Reset_Handler, F, F, F, F, F, F, F, F, F, F, F, F, F, F },
    .irqs = { mcu_hal_timer_irq, mcu_hal_spi_irq, mcu_hal_nfc_irq,
              mcu_hal_sense_irq, mcu_hal_radio_irq, F, F, F,
              mcu_hal_iso_irq0, mcu_hal_iso_irq1, mcu_hal_iso_irq2,
              mcu_hal_iso_irq3, mcu_hal_iso_irq4, mcu_hal_iso_irq5,
              mcu_hal_iso_irq6, mcu_hal_iso_irq7,
              F, F, F, F, F, F, F, F, F, F, F, F, F, F, F, F },
};
#undef F
