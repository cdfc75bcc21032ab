/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_hal.h - what the COS logic (cos.c, cos_store.c) needs
 * from the chip: NOR flash operations, the chip serial, random bytes,
 * SHA-256 and ECDSA P-256 verification.
 *
 * Two implementations: cos_hal_se.c drives the SE's FLASHC, SYSCTL and
 * CRYPTO registers; tests/se_cos/fake_hal.c is a host fake with the same
 * NOR semantics (program ANDs, erase sets to 0xFF), mbedTLS for the crypto
 * and power cuts at any flash operation. Addresses are bus addresses
 * (SE_FLASH_BASE + offset), as the core reads the array. */
#ifndef FIRMWARE_SE_COS_COS_HAL_H
#define FIRMWARE_SE_COS_COS_HAL_H

#include <stddef.h>
#include <stdint.h>

/* Erases the 1 KiB page holding addr. Returns 0 when the controller
 * reported success, -1 on any error bit. The caller verifies the page. */
int cos_hal_flash_erase(uint32_t addr);
/* Programs one word (addr word-aligned, the word erased). 0 or -1. */
int cos_hal_flash_program(uint32_t addr, uint32_t value);
/* Reads one word of the array. */
uint32_t cos_hal_flash_read(uint32_t addr);

/* The 64-bit chip serial as 8 bytes, most significant first
 * (SYSCTL_SERIAL_HI then SERIAL_LO, each big-endian). */
void cos_hal_serial(uint8_t out[8]);
/* 8 fresh random bytes. 0, or -1 if the generator failed. */
int cos_hal_random(uint8_t out[8]);
/* SHA-256 of msg[0..len). 0, or -1 if the engine failed. */
int cos_hal_sha256(const uint8_t *msg, size_t len, uint8_t out[32]);
/* ECDSA P-256 verification of sig (r || s, big-endian) over digest with
 * key (x || y, big-endian). 1 valid, 0 not valid, -1 engine failure. */
int cos_hal_ecdsa_verify(const uint8_t key[64], const uint8_t digest[32],
                         const uint8_t sig[64]);

#endif /* FIRMWARE_SE_COS_COS_HAL_H */
