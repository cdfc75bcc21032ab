/* SPDX-License-Identifier: MIT */
/* models/se_provision.h - factory programming of an SE's flash: puts a
 * signed COS image into the image area, appends its version to the
 * anti-rollback log and writes the COS identifier record, exactly as the
 * loader's COMMIT leaves them (docs/se.md), but before the simulation
 * starts and without simulated time. Scenarios use it for SEs that start
 * with a COS installed.
 *
 * Notes:
 *  - The image's signature is not checked here (a factory programs what it
 *    was given); its header must be well-formed, and the ROM's boot check
 *    still verifies the code's SHA-256 on every reset. */
#ifndef MODELS_SE_PROVISION_H
#define MODELS_SE_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "models/flash.h"

/* Returns 0, or -1 with "FILE: ..." (or "FILE: offset N: ...") in err. On
 * error the flash is unchanged. *version receives the image's version. */
int se_provision_cos(flash_t *flash, const char *image_path,
                     uint32_t *version, char *err, size_t errlen);

#endif /* MODELS_SE_PROVISION_H */
