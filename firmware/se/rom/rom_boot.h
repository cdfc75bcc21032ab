/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_boot.h - the boot decision of the SE ROM (docs/se.md,
 * "Boot"): is there a COS to run? Portable; the jump itself (VTOR, MSP,
 * branch) is target code in rom_main.c. */
#ifndef FIRMWARE_SE_ROM_ROM_BOOT_H
#define FIRMWARE_SE_ROM_ROM_BOOT_H

#include <stdint.h>

#include "rom_store.h"

/* Results beyond rom_id_err's (ROM_ID_OK, _MAGIC, _CRC, _RANGE). */
enum rom_boot_err {
    ROM_BOOT_HASH = 4,      /* SHA-256 of the image differs from the record */
    ROM_BOOT_ENGINE = 5,    /* the crypto engine reported an error */
    ROM_BOOT_VECTORS = 6,   /* initial SP not in RAM or reset vector not a
                             * Thumb address inside the image */
};

/* Checks the identifier record of page 0 and, if it is well formed, the
 * image's SHA-256 with the crypto engine, then the image's first two
 * vector words. ROM_ID_OK with *image_addr set: boot it. Anything else:
 * run the loader. */
int rom_boot_check(uint32_t *image_addr);

#endif /* FIRMWARE_SE_ROM_ROM_BOOT_H */
