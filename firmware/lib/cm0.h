/* SPDX-License-Identifier: MIT */
/* firmware/lib/cm0.h - Cortex-M0 intrinsics and MMIO accessors for firmware.
 *
 * Register addresses come from firmware/include/regs/; this header only adds
 * the volatile access and the few instructions C cannot express. */
#ifndef FIRMWARE_LIB_CM0_H
#define FIRMWARE_LIB_CM0_H

#include <stdint.h>

#include "regs/armv6m.h"

static inline uint32_t cm0_read32(uint32_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void cm0_write32(uint32_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

/* DSB + ISB: makes a pend or enable written to the NVIC take effect before
 * the next instruction (ARMv6-M ARM, A3.7.3), which the interrupt tests need
 * to observe preemption at a known point. */
static inline void cm0_barrier(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

static inline void cm0_wfi(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

static inline void cm0_irq_disable(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
}

static inline void cm0_irq_enable(void)
{
    __asm__ volatile("cpsie i" ::: "memory");
}

static inline uint32_t cm0_ipsr(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, ipsr" : "=r"(v));
    return v;
}

/* ARMv6-M has no byte access to NVIC_IPR: read-modify-write the word. */
static inline void cm0_nvic_set_priority(unsigned irq, uint8_t prio)
{
    uint32_t addr = NVIC_IPR(irq);
    uint32_t shift = NVIC_IPR_SHIFT(irq);
    uint32_t v = cm0_read32(addr);
    v = (v & ~(0xFFu << shift)) | ((uint32_t)prio << shift);
    cm0_write32(addr, v);
}

static inline void cm0_nvic_enable(unsigned irq)
{
    cm0_write32(NVIC_ISER, 1u << irq);
}

static inline void cm0_nvic_pend(unsigned irq)
{
    cm0_write32(NVIC_ISPR, 1u << irq);
}

/* Hides a value from the optimiser so tests really compute at run time
 * (e.g. divisions go through libgcc instead of being folded). volatile:
 * two calls on the same value must not be merged into one. */
static inline uint32_t cm0_opaque32(uint32_t x)
{
    __asm__ volatile("" : "+r"(x));
    return x;
}

static inline uint64_t cm0_opaque64(uint64_t x)
{
    __asm__ volatile("" : "+r"(x));
    return x;
}

#endif /* FIRMWARE_LIB_CM0_H */
