/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/armv6m.h - addresses and bits of the ARMv6-M System
 * Control Space (SysTick, NVIC, SCB), shared by firmware and the CPU model.
 *
 * Reference: ARMv6-M Architecture Reference Manual (DDI 0419), B3.2-B3.4;
 * Cortex-M0 Technical Reference Manual (DDI 0432), chapter 4.
 *
 * Plain integer constants only, so host code can use them as MMIO offsets and
 * firmware wraps them in its own volatile accessor (firmware/lib/cm0.h).
 * Notes:
 *  - ARMv6-M allows only word accesses to NVIC_IPR and SCB_SHPR; the priority
 *    of one interrupt is one byte lane of a word (NVIC_IPR_SHIFT).
 *  - The Cortex-M0 implements 2 priority bits: 0x00, 0x40, 0x80, 0xC0.
 *  - VTOR is optional in ARMv6-M and absent on the Cortex-M0. */
#ifndef FIRMWARE_INCLUDE_REGS_ARMV6M_H
#define FIRMWARE_INCLUDE_REGS_ARMV6M_H

#define SCS_BASE            0xE000E000u

/* SysTick (B3.3) */
#define SYST_CSR            0xE000E010u
#define SYST_RVR            0xE000E014u
#define SYST_CVR            0xE000E018u
#define SYST_CALIB          0xE000E01Cu

#define SYST_CSR_ENABLE     (1u << 0)
#define SYST_CSR_TICKINT    (1u << 1)
#define SYST_CSR_CLKSOURCE  (1u << 2)   /* 1 = processor clock */
#define SYST_CSR_COUNTFLAG  (1u << 16)  /* cleared by a read of CSR */
#define SYST_RVR_MASK       0x00FFFFFFu

/* NVIC (B3.4): 32 external interrupts at most, one bit each. */
#define NVIC_ISER           0xE000E100u
#define NVIC_ICER           0xE000E180u
#define NVIC_ISPR           0xE000E200u
#define NVIC_ICPR           0xE000E280u
#define NVIC_IPR(n)         (0xE000E400u + 4u * ((unsigned)(n) / 4u))
#define NVIC_IPR_SHIFT(n)   (8u * ((unsigned)(n) % 4u))
#define NVIC_NUM_IRQ        32u

/* System Control Block (B3.2) */
#define SCB_CPUID           0xE000ED00u
#define SCB_ICSR            0xE000ED04u
#define SCB_VTOR            0xE000ED08u
#define SCB_AIRCR           0xE000ED0Cu
#define SCB_SCR             0xE000ED10u
#define SCB_CCR             0xE000ED14u
#define SCB_SHPR2           0xE000ED1Cu  /* SVCall priority in bits 31:24 */
#define SCB_SHPR3           0xE000ED20u  /* SysTick 31:24, PendSV 23:16 */

#define SCB_ICSR_VECTACTIVE_MASK  0x1FFu
#define SCB_ICSR_VECTPENDING_SHIFT 12
#define SCB_ICSR_VECTPENDING_MASK (0x1FFu << 12)
#define SCB_ICSR_ISRPENDING (1u << 22)
#define SCB_ICSR_PENDSTCLR  (1u << 25)
#define SCB_ICSR_PENDSTSET  (1u << 26)
#define SCB_ICSR_PENDSVCLR  (1u << 27)
#define SCB_ICSR_PENDSVSET  (1u << 28)
#define SCB_ICSR_NMIPENDSET (1u << 31)

#define SCB_AIRCR_VECTKEY   (0x05FAu << 16)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)

#define SCB_SCR_SLEEPONEXIT (1u << 1)
#define SCB_SCR_SLEEPDEEP   (1u << 2)
#define SCB_SCR_SEVONPEND   (1u << 4)

/* Exception numbers (IPSR values); external interrupt n is 16 + n. */
#define EXC_RESET           1u
#define EXC_NMI             2u
#define EXC_HARDFAULT       3u
#define EXC_SVCALL          11u
#define EXC_PENDSV          14u
#define EXC_SYSTICK         15u
#define EXC_IRQ0            16u

#endif /* FIRMWARE_INCLUDE_REGS_ARMV6M_H */
