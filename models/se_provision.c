/* SPDX-License-Identifier: MIT */
/* models/se_provision.c - factory programming of a COS into SE flash. */
#include "models/se_provision.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "firmware/include/cos_image.h"
#include "firmware/include/regs/se_map.h"

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint8_t *read_file(const char *path, size_t *len, char *err,
                          size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap && n < (SE_FLASH_IMAGE_SIZE + COS_IMAGE_HEADER_LEN) * 2) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            } else {
                buf = b;
            }
        } else if (n == cap) {
            break;
        }
    }
    fclose(f);
    if (!buf)
        snprintf(err, errlen, "%s: out of memory", path);
    *len = n;
    return buf;
}

int se_provision_cos(flash_t *fl, const char *path, uint32_t *version,
                     char *err, size_t errlen)
{
    size_t n;
    uint8_t *img = read_file(path, &n, err, errlen);
    if (!img)
        return -1;
    int rc = -1;
    if (n < COS_IMAGE_HEADER_LEN) {
        snprintf(err, errlen, "%s: offset %zu: file ends inside the "
                 "%u-byte image header", path, n, COS_IMAGE_HEADER_LEN);
        goto out;
    }
    uint32_t magic = le32(img), format = le32(img + 4);
    uint32_t ver = le32(img + 8), load = le32(img + 12), len = le32(img + 16);
    if (magic != COS_IMAGE_MAGIC || format != COS_IMAGE_FORMAT) {
        snprintf(err, errlen, "%s: offset 0: expected a signed COS image "
                 "(magic \"CSIM\", format 1)", path);
        goto out;
    }
    if (load != SE_FLASH_IMAGE || len == 0 || len % 4 ||
        len > SE_FLASH_IMAGE_SIZE) {
        snprintf(err, errlen, "%s: offset 12: load address 0x%08x / length "
                 "%u do not fit the image area (0x%08x, %u bytes)", path,
                 load, len, SE_FLASH_IMAGE, SE_FLASH_IMAGE_SIZE);
        goto out;
    }
    if (ver > 0xFFFF) {
        snprintf(err, errlen, "%s: offset 8: version %u does not fit the "
                 "16-bit anti-rollback log", path, ver);
        goto out;
    }
    if (n != COS_IMAGE_HEADER_LEN + len) {
        snprintf(err, errlen, "%s: offset %zu: expected %u bytes of code "
                 "after the header, the file has %zu", path,
                 (size_t)COS_IMAGE_HEADER_LEN, len,
                 n - COS_IMAGE_HEADER_LEN);
        goto out;
    }
    const uint8_t *code = img + COS_IMAGE_HEADER_LEN;
    uint8_t sha[32];
    mbedtls_sha256_ret(code, len, sha, 0);
    if (memcmp(sha, img + 0x20, 32) != 0) {
        snprintf(err, errlen, "%s: offset 32: the code's SHA-256 does not "
                 "match the header", path);
        goto out;
    }
    uint8_t *mem = fl->mem;
    /* the image, then the rollback log's first word, then the record */
    memcpy(mem + (SE_FLASH_IMAGE - SE_FLASH_BASE), code, len);
    uint32_t logw = (ver & 0xFFFFu) | (~ver & 0xFFFFu) << 16;
    put32(mem + (SE_FLASH_ROLLBACK_PAGE - SE_FLASH_BASE), logw);
    uint8_t rec[sizeof(cos_id_record_t)];
    memset(rec, 0, sizeof rec);
    put32(rec + 0x00, COS_ID_MAGIC);
    put32(rec + 0x04, ver);
    put32(rec + 0x08, SE_FLASH_IMAGE);
    put32(rec + 0x0C, len);
    memcpy(rec + 0x10, sha, 32);
    put32(rec + 0x30, crc32_ieee(rec, 0x30));
    memcpy(mem + (SE_FLASH_ID_PAGE - SE_FLASH_BASE), rec, sizeof rec);
    if (version)
        *version = ver;
    rc = 0;
out:
    free(img);
    return rc;
}
