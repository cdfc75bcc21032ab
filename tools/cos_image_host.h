/* SPDX-License-Identifier: MIT */
/* tools/cos_image_host.h - builds, signs and checks signed COS images on the
 * host (docs/se.md "COS image and signing", firmware/include/cos_image.h):
 * the library behind tools/cos_sign.c, also for tests and scenario tooling
 * that need good or deliberately broken images, or ECDSA signatures by the
 * issuer key (e.g. the COS's INVALIDATE command).
 *
 * Reference: FIPS 180-4 (SHA-256); FIPS 186-4 section 6 and SEC 1 v2
 * section 4.1 (ECDSA over P-256); RFC 6979 (deterministic nonces, so one
 * input always gives one image).
 *
 * Notes:
 *  - the image code is the ELF's loadable bytes at their load addresses
 *    (p_paddr), gaps filled with 0xFF (erased flash), padded with 0xFF to a
 *    multiple of 4 bytes (the flash is programmed in 32-bit words);
 *  - a segment with p_paddr != p_vaddr (.data: stored in flash, run in RAM)
 *    contributes its file bytes only; a segment with no file bytes whose
 *    run address is outside the image area (.bss, stacks in RAM) is not part
 *    of the image and is skipped; anything else must lie inside the image
 *    area, and the lowest byte must be the load address (the vector table);
 *  - every function reports input errors into a caller's buffer naming the
 *    file (and segment or offset) and never exits. */
#ifndef TOOLS_COS_IMAGE_HOST_H
#define TOOLS_COS_IMAGE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#include "firmware/include/cos_image.h"

/* The image area in the SE's flash (docs/se.md "Flash layout"). */
#define COS_IMAGE_HOST_AREA_BASE 0x10004000u
#define COS_IMAGE_HOST_AREA_END  0x10040000u
#define COS_IMAGE_HOST_MAX_CODE  (COS_IMAGE_HOST_AREA_END - \
                                  COS_IMAGE_HOST_AREA_BASE)

/* Deliberate defects for negative tests; each leaves everything else right
 * so that exactly one check fails. */
typedef enum cos_image_host_corrupt {
    COS_IMAGE_HOST_OK = 0,      /* a good image */
    COS_IMAGE_HOST_BAD_SIGNATURE, /* one bit of s flipped (BEGIN: 6982) */
    COS_IMAGE_HOST_BAD_HASH,    /* header's code hash has a bit flipped,
                                   header signed after it: BEGIN accepts,
                                   COMMIT finds the mismatch (6A80) */
    COS_IMAGE_HOST_BAD_MAGIC,   /* magic "CSIN", signed (BEGIN: 6A80) */
    COS_IMAGE_HOST_BAD_CODE,    /* one bit of the last code byte flipped
                                   after signing (COMMIT: 6A80) */
    COS_IMAGE_HOST_CORRUPT_COUNT
} cos_image_host_corrupt_t;

/* "signature", "hash", "magic", "code" (NULL for COS_IMAGE_HOST_OK). */
const char *cos_image_host_corrupt_name(cos_image_host_corrupt_t c);
/* The variant called `name`; false if none. */
bool cos_image_host_corrupt_parse(const char *name,
                                  cos_image_host_corrupt_t *out);

/* The outcome of checking an image, field by field. */
typedef struct cos_image_host_check {
    cos_image_header_t hdr;  /* decoded header (host byte order) */
    bool magic_ok;           /* COS_IMAGE_MAGIC */
    bool format_ok;          /* COS_IMAGE_FORMAT */
    bool addr_ok;            /* load address == COS_IMAGE_HOST_AREA_BASE */
    bool len_ok;             /* 0 < code_len <= MAX_CODE, file size right */
    bool hash_ok;            /* SHA-256 of the code == header's */
    bool sig_ok;             /* signature by the given key holds */
} cos_image_host_check_t;

/* Reads a P-256 private key (PEM or DER) into *pk (initialized here; the
 * caller frees it with mbedtls_pk_free, also after a failure). Returns 0,
 * or -1 with a message naming the file in err. */
int cos_image_host_load_private(mbedtls_pk_context *pk, const char *path,
                                char *err, size_t errlen);

/* Reads a P-256 public key (PEM or DER SubjectPublicKeyInfo) as x || y
 * (64 bytes, big-endian). Returns 0, or -1 with a message in err. */
int cos_image_host_load_public(uint8_t pub[64], const char *path, char *err,
                               size_t errlen);

/* The public half of a loaded private key as x || y. Returns 0 or -1. */
int cos_image_host_public_of(const mbedtls_pk_context *pk, uint8_t pub[64]);

/* Deterministic (RFC 6979, HMAC-SHA-256) ECDSA P-256 signature over a
 * 32-byte hash: r || s, 32 bytes each, big-endian. Returns 0, or -1 with a
 * message in err. */
int cos_image_host_sign_hash(const mbedtls_pk_context *pk,
                             const uint8_t hash[32], uint8_t sig[64],
                             char *err, size_t errlen);

/* True if sig (r || s) is a valid signature of hash by pub (x || y). A
 * public key not on the curve is just "not valid". */
bool cos_image_host_verify_hash(const uint8_t pub[64], const uint8_t hash[32],
                                const uint8_t sig[64]);

/* Turns the ELF at path into image code (see Notes): *code is malloc'd
 * (free() it), *len its size. Returns 0, or -1 with a message naming the
 * file and the offending segment in err. */
int cos_image_host_code_from_elf(const char *path, uint8_t **code,
                                 size_t *len, char *err, size_t errlen);

/* Builds a signed image (header + code) of `version`, signed by pk, with
 * the defect `corrupt`: *img is malloc'd (free() it), *img_len its size.
 * Returns 0, or -1 with a message in err (code empty or too long, signing
 * failed). */
int cos_image_host_build(const mbedtls_pk_context *pk, uint32_t version,
                         const uint8_t *code, size_t len,
                         cos_image_host_corrupt_t corrupt, uint8_t **img,
                         size_t *img_len, char *err, size_t errlen);

/* Checks an image against the public key pub; fills *chk (every check is
 * made, even after one fails; with len < 128 only len_ok is meaningful and
 * false). Returns true if every check holds. */
bool cos_image_host_verify(const uint8_t *img, size_t len,
                           const uint8_t pub[64], cos_image_host_check_t *chk);

/* SHA-256 of the header's signed part (bytes 0x00..0x3F of hdr_bytes). */
void cos_image_host_header_hash(const uint8_t *hdr_bytes, uint8_t out[32]);

/* Writes the test-only issuer key pair, generated from a fixed seed so it
 * is the same on every run, into dir: test-issuer-private.pem,
 * test-issuer-public.pem, test-issuer-public.h. Returns 0, or -1 with a
 * message naming the file in err. */
int cos_image_host_genkey(const char *dir, char *err, size_t errlen);

/* Reads a whole file: *buf malloc'd, *len its size. Returns 0, or -1 with
 * a message naming the file. */
int cos_image_host_read_file(const char *path, uint8_t **buf, size_t *len,
                             char *err, size_t errlen);
/* Writes len bytes to path (created or truncated). Returns 0, or -1. */
int cos_image_host_write_file(const char *path, const void *buf, size_t len,
                              char *err, size_t errlen);

#endif /* TOOLS_COS_IMAGE_HOST_H */
