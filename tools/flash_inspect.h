/* SPDX-License-Identifier: MIT */
/* tools/flash_inspect.h - explains an SE flash image: the COS identifier
 * and whether the ROM would boot it, the anti-rollback and loader logs,
 * the COS's data (PIN tries, purse, file) and the erase counters. The
 * records are decoded by the firmware's own code (firmware/se/rom/
 * rom_store.c, firmware/se/cos/cos_store.c) over a read-only view of the
 * image, so the inspector and the card cannot disagree. */
#ifndef TOOLS_FLASH_INSPECT_H
#define TOOLS_FLASH_INSPECT_H

#include <stdio.h>

/* Prints the report on out. Returns 0, or -1 with "FILE: ..." in err if
 * the file is not an SE flash image. */
int flash_inspect(const char *path, FILE *out, char *err, size_t errlen);

#endif /* TOOLS_FLASH_INSPECT_H */
