/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_run.c - boot or loader, once per reset (see
 * rom_run.h). */
#include "rom_run.h"

#include "rom_boot.h"
#include "rom_hal.h"
#include "rom_key.h"

volatile uint32_t rom_reset_cause;
volatile uint32_t rom_boot_result;
volatile uint32_t rom_port_mode;
rom_loader_t rom_loader;
rom_link_t rom_link;

uint32_t rom_run(void)
{
    rom_reset_cause = rom_hal_reset_cause();
    uint32_t image = 0;
    int rc = rom_boot_check(&image);
    rom_boot_result = (uint32_t)rc;
    if (rc == ROM_ID_OK)
        return image;

    /* Both modes serve the same protocol; the mode is only recorded. */
    rom_port_mode = rom_hal_portsrc();
    rom_loader_init(&rom_loader, rom_issuer_key, NULL, NULL);
    rom_link_run(&rom_link, &rom_loader);
    return 0;
}
