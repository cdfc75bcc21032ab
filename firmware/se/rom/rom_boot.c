/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_boot.c - the boot check of the SE ROM: identifier
 * record (magic, CRC-32, range), SHA-256 of the image by the crypto engine,
 * vector sanity (see rom_boot.h). */
#include "rom_boot.h"

#include "rom_hal.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

int rom_boot_check(uint32_t *image_addr)
{
    cos_id_record_t r;
    rom_hal_flash_read(SE_FLASH_ID_PAGE, &r, sizeof r);
    int rc = rom_id_check(&r);
    if (rc != ROM_ID_OK)
        return rc;

    uint8_t d[32];
    if (rom_hal_sha256_start() != 0 ||
        rom_hal_sha256_update_flash(r.image_addr, r.image_len) != 0 ||
        rom_hal_sha256_final(d) != 0)
        return ROM_BOOT_ENGINE;
    if (memcmp(d, r.image_sha256, sizeof d) != 0)
        return ROM_BOOT_HASH;

    /* The hash proves the image is the one COMMIT checked; these two
     * words keep a signed but broken image from faulting the ROM's jump
     * (the loader stays reachable instead). */
    uint32_t sp = rom_flash_word(r.image_addr);
    uint32_t pc = rom_flash_word(r.image_addr + 4u);
    uint32_t code = pc & ~1u;
    if (sp < SE_RAM_BASE || sp > SE_RAM_BASE + SE_RAM_SIZE || (sp & 3u) ||
        !(pc & 1u) || code < r.image_addr ||
        code - r.image_addr >= r.image_len)
        return ROM_BOOT_VECTORS;
    *image_addr = r.image_addr;
    return ROM_ID_OK;
}
