/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/flashc.h - NOR flash controller (models/flash.c).
 * Offsets from the controller's base; 32-bit registers, word access.
 *
 * To erase a page: ADDR = any address in it, CTRL = KEY | CMD_ERASE. To
 * program a word: ADDR = word address, DATA = value, CTRL = KEY | CMD_PROG.
 * ADDR is the bus address the core reads the array at (on the SE,
 * SE_FLASH_BASE + offset). STATUS.BUSY stays set for the operation's time
 * (models/flash.c has the table); STATUS.DONE (and the IRQ, if IRQEN.DONE)
 * when it ends; starting an operation clears DONE. A CTRL write without
 * KEY, or while BUSY, is ignored and sets ERR_KEY / ERR_BUSY; ADDR outside
 * the array (or, for a program, not word-aligned) sets ERR_ADDR and starts
 * nothing; an unknown CMD is ignored. Programming only clears bits (NOR):
 * the word becomes old AND new; a word that was not erased sets
 * ERR_UNERASED when the program starts (a firmware bug, also reported in
 * the trace). Registers take word accesses only (others are bus errors). */
#ifndef FIRMWARE_INCLUDE_REGS_FLASHC_H
#define FIRMWARE_INCLUDE_REGS_FLASHC_H

#define FLASHC_CTRL         0x00u   /* WO: KEY | CMD */
#define FLASHC_ADDR         0x04u   /* RW: byte address in the array */
#define FLASHC_DATA         0x08u   /* RW: word to program */
#define FLASHC_STATUS       0x0Cu   /* R: BUSY; W1C: DONE and ERR_* */
#define FLASHC_IRQEN        0x10u   /* RW: DONE interrupt enable */
#define FLASHC_ERASECNT     0x14u   /* RO: erase count of ADDR's page */

#define FLASHC_CTRL_KEY     0xA5000000u
#define FLASHC_CTRL_KEY_MASK 0xFF000000u
#define FLASHC_CMD_ERASE    0x1u
#define FLASHC_CMD_PROG     0x2u
#define FLASHC_CMD_MASK     0xFu

#define FLASHC_STATUS_BUSY          (1u << 0)
#define FLASHC_STATUS_DONE          (1u << 1)
#define FLASHC_STATUS_ERR_UNERASED  (1u << 2)
#define FLASHC_STATUS_ERR_ADDR      (1u << 3)
#define FLASHC_STATUS_ERR_KEY       (1u << 4)
#define FLASHC_STATUS_ERR_BUSY      (1u << 5)
#define FLASHC_STATUS_ERR_FAIL      (1u << 6)  /* injected failure */
#define FLASHC_STATUS_ERR_MASK      0x7Cu

#define FLASHC_IRQEN_DONE   (1u << 0)

#endif /* FIRMWARE_INCLUDE_REGS_FLASHC_H */
