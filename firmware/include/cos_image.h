/* SPDX-License-Identifier: MIT */
/* firmware/include/cos_image.h - the signed COS image header and the COS
 * identifier record (docs/se.md), shared by the SE ROM, the COS, the host
 * signer and the flash inspector. All fields little-endian except the
 * SHA-256 digests and the signature (byte strings). */
#ifndef FIRMWARE_INCLUDE_COS_IMAGE_H
#define FIRMWARE_INCLUDE_COS_IMAGE_H

#include <stdint.h>

#define COS_IMAGE_MAGIC         0x4D495343u  /* "CSIM" */
#define COS_IMAGE_FORMAT        1u
#define COS_IMAGE_HEADER_LEN    128u
#define COS_IMAGE_SIGNED_LEN    0x40u        /* signature covers 0x00..0x3F */
#define COS_BLOCK_LEN           128u         /* LOAD block size */

typedef struct cos_image_header {
    uint32_t magic;
    uint32_t format;
    uint32_t version;
    uint32_t load_addr;
    uint32_t code_len;
    uint32_t reserved[3];
    uint8_t code_sha256[32];
    uint8_t signature[64];       /* r || s, big-endian */
} cos_image_header_t;

#define COS_ID_MAGIC            0x49534F43u  /* "COSI" */

typedef struct cos_id_record {
    uint32_t magic;
    uint32_t version;
    uint32_t image_addr;
    uint32_t image_len;
    uint8_t image_sha256[32];
    uint32_t crc32;              /* CRC-32 (IEEE) of the bytes before it */
} cos_id_record_t;

_Static_assert(sizeof(cos_image_header_t) == COS_IMAGE_HEADER_LEN,
               "image header layout");
_Static_assert(sizeof(cos_id_record_t) == 0x34, "identifier layout");

/* The update protocol (loader, CLA 0x80) */
#define COS_CLA_PROPRIETARY     0x80u
#define COS_INS_BEGIN           0xE6u
#define COS_INS_LOAD            0xE8u
#define COS_INS_STATUS          0xF2u
#define COS_INS_COMMIT          0xECu
#define COS_INS_INVALIDATE      0xE4u
#define COS_LOAD_P1_LAST        0x80u

/* Status words used by the loader and the COS */
#define SW_OK                   0x9000u
#define SW_WRONG_LENGTH         0x6700u
#define SW_SECURITY             0x6982u
#define SW_PIN_BLOCKED          0x6983u
#define SW_CONDITIONS           0x6985u
#define SW_WRONG_DATA           0x6A80u
#define SW_NOT_FOUND            0x6A82u
#define SW_NO_MEMORY            0x6A84u
#define SW_WRONG_P1P2           0x6A86u
#define SW_MEMORY_FAILURE       0x6581u
#define SW_INS_NOT_SUPPORTED    0x6D00u
#define SW_CLA_NOT_SUPPORTED    0x6E00u
#define SW_PIN_TRIES(n)         (0x63C0u | ((n) & 0xFu))

#endif /* FIRMWARE_INCLUDE_COS_IMAGE_H */
