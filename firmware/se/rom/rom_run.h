/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_run.h - one run of the SE ROM after a reset, the
 * portable part of it (docs/se-rom.md, "Boot flow"): reset cause, boot
 * check, and if there is no COS the loader until RST falls. The target's
 * rom_main.c wraps it with the HAL set-up and the jump into the COS; the
 * host tests call it directly, once per simulated reset. */
#ifndef FIRMWARE_SE_ROM_ROM_RUN_H
#define FIRMWARE_SE_ROM_ROM_RUN_H

#include <stdint.h>

#include "rom_link.h"
#include "rom_loader.h"

/* In RAM for a debugger or the trace (by symbol); a COS overwrites them. */
extern volatile uint32_t rom_reset_cause;  /* SYSCTL.RESETCAUSE, this reset */
extern volatile uint32_t rom_boot_result;  /* ROM_ID_* / ROM_BOOT_*; 0 = COS */
extern volatile uint32_t rom_port_mode;    /* SYSCTL.PORTSRC when the loader
                                            * started: 1 contact, 0 MCU */
extern rom_loader_t rom_loader;
extern rom_link_t rom_link;

/* Reads and clears the reset cause, checks the COS: returns its image
 * address if it is valid. Otherwise records the port mode and serves the
 * loader on the ISO 7816 port until RST falls, then returns 0. */
uint32_t rom_run(void);

#endif /* FIRMWARE_SE_ROM_ROM_RUN_H */
