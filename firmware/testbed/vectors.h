/* SPDX-License-Identifier: MIT */
/* firmware/testbed/vectors.h - the handlers of the test machine's vector
 * table (vectors.c). All but Reset_Handler and Default_Handler are weak: a
 * program overrides one by defining a function of the same name. */
#ifndef FIRMWARE_TESTBED_VECTORS_H
#define FIRMWARE_TESTBED_VECTORS_H

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void SVC_Handler(void);
void PendSV_Handler(void);
void SysTick_Handler(void);
void IRQ0_Handler(void);
void IRQ1_Handler(void);
void IRQ2_Handler(void);
void IRQ3_Handler(void);
void IRQ4_Handler(void);
void IRQ5_Handler(void);
void IRQ6_Handler(void);
void IRQ7_Handler(void);
void IRQ8_Handler(void);
void IRQ9_Handler(void);
void IRQ10_Handler(void);
void IRQ11_Handler(void);
void IRQ12_Handler(void);
void IRQ13_Handler(void);
void IRQ14_Handler(void);
void IRQ15_Handler(void);
void IRQ16_Handler(void);
void IRQ17_Handler(void);
void IRQ18_Handler(void);
void IRQ19_Handler(void);
void IRQ20_Handler(void);
void IRQ21_Handler(void);
void IRQ22_Handler(void);
void IRQ23_Handler(void);
void IRQ24_Handler(void);
void IRQ25_Handler(void);
void IRQ26_Handler(void);
void IRQ27_Handler(void);
void IRQ28_Handler(void);
void IRQ29_Handler(void);
void IRQ30_Handler(void);
void IRQ31_Handler(void);

#endif /* FIRMWARE_TESTBED_VECTORS_H */
