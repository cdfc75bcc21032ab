/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/mcu_map.h - the BLE master MCU's memory map, IRQ
 * numbers and clocks (docs/mcu.md), shared by the MCU firmware and
 * models/mcu.c. */
#ifndef FIRMWARE_INCLUDE_REGS_MCU_MAP_H
#define FIRMWARE_INCLUDE_REGS_MCU_MAP_H

#define MCU_CORE_HZ         16000000u

#define MCU_FLASH_BASE      0x00000000u
#define MCU_FLASH_SIZE      0x00040000u     /* 256 KiB, program memory */
#define MCU_RAM_BASE        0x20000000u
#define MCU_RAM_SIZE        0x00008000u     /* 32 KiB */

#define MCU_SYSCTL_BASE     0x40000000u     /* regs/mcu_sysctl.h */
#define MCU_TIMER_BASE      0x40001000u     /* regs/mcu_timer.h */
#define MCU_SPI_BASE        0x40002000u     /* regs/mcu_spi.h */
#define MCU_ISO_BASE        0x40010000u     /* regs/mcu_iso.h, port n at */
#define MCU_ISO_STRIDE      0x00000100u     /*   MCU_ISO_BASE + n * stride */
#define MCU_ISO_PORTS       8u
#define MCU_RADIO_BASE      0x40020000u     /* BLE radio (next issue) */
#define MCU_PERIPH_SIZE     0x00001000u

#define MCU_ISO_PORT_BASE(n) (MCU_ISO_BASE + (n) * MCU_ISO_STRIDE)

/* NVIC lines */
#define MCU_IRQ_TIMER       0u
#define MCU_IRQ_SPI         1u
#define MCU_IRQ_NFC         2u      /* the NFC front end's IRQ pin, level */
#define MCU_IRQ_SENSE       3u      /* SYSCTL.SENSE edge (regs/mcu_sysctl.h) */
#define MCU_IRQ_RADIO       4u      /* BLE radio (next issue) */
#define MCU_IRQ_ISO(n)      (8u + (n))  /* ISO 7816 master port n */

#endif /* FIRMWARE_INCLUDE_REGS_MCU_MAP_H */
