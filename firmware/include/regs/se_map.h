/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/se_map.h - the secure element's memory map, IRQ
 * numbers and clocks (docs/se.md), shared by the SE firmware and models. */
#ifndef FIRMWARE_INCLUDE_REGS_SE_MAP_H
#define FIRMWARE_INCLUDE_REGS_SE_MAP_H

#define SE_CORE_HZ          32000000u

#define SE_ROM_BASE         0x00000000u
#define SE_ROM_SIZE         0x00010000u     /* 64 KiB */
#define SE_FLASH_BASE       0x10000000u
#define SE_FLASH_SIZE       0x00040000u     /* 256 KiB */
#define SE_FLASH_PAGE       0x00000400u     /* 1 KiB */
#define SE_RAM_BASE         0x20000000u
#define SE_RAM_SIZE         0x00004000u     /* 16 KiB */

#define SE_SYSCTL_BASE      0x40000000u
#define SE_FLASHC_BASE      0x40001000u
#define SE_UART_BASE        0x40002000u
#define SE_TIMER_BASE       0x40003000u
#define SE_CRYPTO_BASE      0x40004000u
#define SE_PERIPH_SIZE      0x00001000u

#define SE_IRQ_FLASHC       0u
#define SE_IRQ_UART         1u
#define SE_IRQ_TIMER        2u
#define SE_IRQ_CRYPTO       3u

/* Flash layout (docs/se.md, "Flash layout") */
#define SE_FLASH_ID_PAGE        (SE_FLASH_BASE + 0x0000u)  /* identifier */
#define SE_FLASH_ROLLBACK_PAGE  (SE_FLASH_BASE + 0x0400u)  /* version log */
#define SE_FLASH_SESSION_PAGE   (SE_FLASH_BASE + 0x0800u)  /* BEGIN header */
#define SE_FLASH_PROGRESS_PAGE  (SE_FLASH_BASE + 0x0C00u)  /* page log */
#define SE_FLASH_COS_DATA       (SE_FLASH_BASE + 0x1000u)  /* pages 4..15 */
#define SE_FLASH_COS_DATA_SIZE  0x00003000u
#define SE_FLASH_IMAGE          (SE_FLASH_BASE + 0x4000u)  /* pages 16.. */
#define SE_FLASH_IMAGE_SIZE     (SE_FLASH_SIZE - 0x4000u)

#endif /* FIRMWARE_INCLUDE_REGS_SE_MAP_H */
