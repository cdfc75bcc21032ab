/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/crypto.h - the SE's crypto engine (models/crypto.c):
 * SHA-256 over memory, ECDSA P-256 signature verification, and a seeded
 * random number generator. A bus master: it reads its operands from memory
 * (ROM, flash or RAM) itself. Offsets from SE_CRYPTO_BASE; 32-bit
 * accesses only (others, and offsets with no register, are bus errors).
 *
 * Every command written to CTRL sets STATUS.BUSY for its cycle cost
 * (docs/crypto.md) and then STATUS.DONE (with ERR if it failed: operand
 * address not readable memory); wait for BUSY to clear (or the DONE
 * interrupt) after each command, SHA_INIT and SHA_FINAL included, before
 * writing CTRL again: a CTRL write while BUSY is ignored and sets ERR.
 * Starting a command clears DONE and ERR. An unknown command, or
 * SHA_UPDATE/SHA_FINAL with no SHA_INIT before, sets DONE | ERR at once.
 * Operands (SRC, LEN, KEY, SIG, DIGEST and the memory they point to) are
 * read when the command starts.
 *
 * SHA-256: CTRL = CMD_SHA_INIT; then for each chunk SRC, LEN, CTRL =
 * CMD_SHA_UPDATE (any alignment and length, 0 allowed); CTRL =
 * CMD_SHA_FINAL: when BUSY clears, the digest is in DIGEST0..7 as FIPS
 * 180-4 writes it: DIGEST(i) = H(i), i.e. digest bytes 4i..4i+3 with the
 * first in bits 31..24 (to compare with a byte string in memory, byte-swap
 * each word, e.g. REV). A failed UPDATE abandons the hash (SHA_INIT again).
 * ECDSA: KEY = address of the public key (x || y, 64 bytes big-endian),
 * SIG = address of r || s (64 bytes big-endian), DIGEST0..7 = the hash
 * (words as above; written by the firmware or left by CMD_SHA_FINAL);
 * CTRL = CMD_ECDSA_VERIFY; when BUSY clears, STATUS.VALID says whether the
 * signature holds (a key not on the curve is "not valid", not ERR).
 * RNG: CTRL = CMD_RNG; when BUSY clears, RNG0..1 hold 8 fresh bytes. */
#ifndef FIRMWARE_INCLUDE_REGS_CRYPTO_H
#define FIRMWARE_INCLUDE_REGS_CRYPTO_H

#define CRYPTO_CTRL         0x00u   /* WO (reads 0): command */
#define CRYPTO_SRC          0x04u   /* RW: SHA input address */
#define CRYPTO_LEN          0x08u   /* RW: SHA input length in bytes */
#define CRYPTO_KEY          0x0Cu   /* RW: public key address */
#define CRYPTO_SIG          0x10u   /* RW: signature address */
#define CRYPTO_STATUS       0x14u   /* R; W1C: DONE, ERR (BUSY, VALID RO) */
#define CRYPTO_IRQEN        0x18u   /* RW: DONE interrupt enable */
#define CRYPTO_DIGEST(i)    (0x20u + 4u * (i))  /* RW, i = 0..7 */
#define CRYPTO_RNG(i)       (0x40u + 4u * (i))  /* RO, i = 0..1 */

#define CRYPTO_CMD_SHA_INIT     0x1u
#define CRYPTO_CMD_SHA_UPDATE   0x2u
#define CRYPTO_CMD_SHA_FINAL    0x3u
#define CRYPTO_CMD_ECDSA_VERIFY 0x4u
#define CRYPTO_CMD_RNG          0x5u

#define CRYPTO_STATUS_BUSY  (1u << 0)
#define CRYPTO_STATUS_DONE  (1u << 1)
#define CRYPTO_STATUS_VALID (1u << 2)   /* last ECDSA verify held */
#define CRYPTO_STATUS_ERR   (1u << 3)   /* bad address or command */

#define CRYPTO_IRQEN_DONE   (1u << 0)

#endif /* FIRMWARE_INCLUDE_REGS_CRYPTO_H */
