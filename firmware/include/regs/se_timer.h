/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/se_timer.h - a 32-bit down-counter at the core
 * clock with a one-shot or periodic interrupt (models/se.c). Offsets from
 * SE_TIMER_BASE; word access. */
#ifndef FIRMWARE_INCLUDE_REGS_SE_TIMER_H
#define FIRMWARE_INCLUDE_REGS_SE_TIMER_H

#define TIMER_CTRL          0x00u   /* RW */
#define TIMER_LOAD          0x04u   /* RW: start value (cycles) */
#define TIMER_VALUE         0x08u   /* RO: current value */
#define TIMER_STATUS        0x0Cu   /* W1C: EXPIRED */

#define TIMER_CTRL_EN       (1u << 0)
#define TIMER_CTRL_IRQEN    (1u << 1)
#define TIMER_CTRL_PERIODIC (1u << 2)
#define TIMER_STATUS_EXPIRED (1u << 0)

#endif /* FIRMWARE_INCLUDE_REGS_SE_TIMER_H */
