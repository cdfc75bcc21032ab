/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/mcu_timer.h - a free-running 32-bit up-counter at
 * the core clock with one compare match interrupt (models/mcu.c). Offsets
 * from MCU_TIMER_BASE; word access. */
#ifndef FIRMWARE_INCLUDE_REGS_MCU_TIMER_H
#define FIRMWARE_INCLUDE_REGS_MCU_TIMER_H

#define MCU_TIMER_CNT           0x00u   /* RO: core cycles since reset, mod 2^32 */
#define MCU_TIMER_CMP           0x04u   /* RW: MATCH when CNT == CMP */
#define MCU_TIMER_CTRL          0x08u   /* RW */
#define MCU_TIMER_STATUS        0x0Cu   /* W1C */

#define MCU_TIMER_CTRL_CMPEN    (1u << 0)   /* compare armed */
#define MCU_TIMER_CTRL_IRQEN    (1u << 1)   /* MATCH raises IRQ_TIMER */
#define MCU_TIMER_STATUS_MATCH  (1u << 0)

#endif /* FIRMWARE_INCLUDE_REGS_MCU_TIMER_H */
