/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_key.h - the issuer public key compiled into the ROM
 * (ECDSA P-256, x || y big-endian): the TEST key of tools/keys/. */
#ifndef FIRMWARE_SE_ROM_ROM_KEY_H
#define FIRMWARE_SE_ROM_ROM_KEY_H

#include <stdint.h>

extern const uint8_t rom_issuer_key[64];

#endif /* FIRMWARE_SE_ROM_ROM_KEY_H */
