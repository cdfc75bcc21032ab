/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_target.h - target-only parts of the SE ROM: HAL set
 * up and tear down around the portable code (rom_hal_mmio.c), the entry
 * from the reset handler (rom_main.c) and the fault sink (rom_start.c). */
#ifndef FIRMWARE_SE_ROM_ROM_TARGET_H
#define FIRMWARE_SE_ROM_ROM_TARGET_H

#include <stdint.h>

/* Interrupts stay masked (PRIMASK) in the ROM: the FLASHC, UART and
 * CRYPTO lines are enabled in the NVIC only to wake WFI. */
void rom_hal_init(void);
/* Undoes rom_hal_init before the COS starts: peripheral interrupt enables
 * and NVIC enables/pendings cleared, PRIMASK cleared (the reset state). */
void rom_hal_quiesce(void);

__attribute__((noreturn)) void rom_main(void);
__attribute__((noreturn)) void rom_fault(void);

#endif /* FIRMWARE_SE_ROM_ROM_TARGET_H */
