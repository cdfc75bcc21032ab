/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_store.c - identifier record, tear-safe logs and
 * checked flash writes of the SE boot ROM (see rom_store.h). */
#include "rom_store.h"

#include "rom_hal.h"

uint32_t rom_crc32(const void *data, size_t len)
{
    /* Bitwise: 1 KiB of ROM for a table would buy nothing here (the
     * record is 48 bytes). */
    const uint8_t *p = data;
    uint32_t c = 0xFFFFFFFFu;
    while (len--) {
        c ^= *p++;
        for (unsigned k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

uint32_t rom_log_encode(uint16_t v)
{
    return (uint32_t)v | (uint32_t)(uint16_t)~v << 16;
}

bool rom_log_decode(uint32_t word, uint16_t *v)
{
    uint16_t lo = (uint16_t)word, hi = (uint16_t)(word >> 16);
    if (word == ROM_LOG_ERASED || (uint16_t)(hi ^ lo) != 0xFFFFu)
        return false;
    *v = lo;
    return true;
}

uint32_t rom_flash_word(uint32_t addr)
{
    uint8_t b[4];
    rom_hal_flash_read(addr, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

void rom_log_scan(uint32_t page_addr, rom_log_scan_t *s, uint8_t *seen,
                  uint32_t seen_bits)
{
    s->used = s->valid = s->torn = 0;
    s->max = 0;
    for (uint32_t i = 0; i < ROM_LOG_WORDS; i++) {
        uint32_t w = rom_flash_word(page_addr + 4u * i);
        uint16_t v;
        if (w == ROM_LOG_ERASED)
            continue;
        s->used = i + 1u;
        if (!rom_log_decode(w, &v)) {
            s->torn++;
            continue;
        }
        if (s->valid == 0 || v > s->max)
            s->max = v;
        s->valid++;
        if (seen && v < seen_bits)
            seen[v >> 3] |= (uint8_t)(1u << (v & 7u));
    }
}

static int program_checked(uint32_t addr, uint32_t w)
{
    if (rom_hal_flash_program_word(addr, w) != 0)
        return -1;
    return rom_flash_word(addr) == w ? 0 : -1;
}

int rom_log_append(uint32_t page_addr, uint32_t slot, uint16_t v)
{
    if (slot >= ROM_LOG_WORDS)
        return -1;
    return program_checked(page_addr + 4u * slot, rom_log_encode(v));
}

int rom_flash_write(uint32_t addr, const void *data, uint32_t len)
{
    const uint8_t *p = data;
    for (uint32_t off = 0; off < len; off += 4) {
        uint32_t w = 0;
        for (unsigned k = 0; k < 4; k++)
            w |= (uint32_t)(off + k < len ? p[off + k] : 0xFFu) << (8 * k);
        if (program_checked(addr + off, w) != 0)
            return -1;
    }
    return 0;
}

void rom_id_build(cos_id_record_t *r, uint32_t version, uint32_t addr,
                  uint32_t len, const uint8_t sha256[32])
{
    r->magic = COS_ID_MAGIC;
    r->version = version;
    r->image_addr = addr;
    r->image_len = len;
    for (unsigned i = 0; i < 32; i++)
        r->image_sha256[i] = sha256[i];
    r->crc32 = rom_crc32(r, offsetof(cos_id_record_t, crc32));
}

int rom_id_check(const cos_id_record_t *r)
{
    if (r->magic != COS_ID_MAGIC)
        return ROM_ID_MAGIC;
    if (r->crc32 != rom_crc32(r, offsetof(cos_id_record_t, crc32)))
        return ROM_ID_CRC;
    /* Two vector words at least; the address a valid VTOR value (bits
     * 6..0 are zero on this core); all of it inside the image area. */
    uint32_t a = r->image_addr, n = r->image_len;
    if (a < SE_FLASH_IMAGE || a - SE_FLASH_IMAGE >= SE_FLASH_IMAGE_SIZE ||
        (a & 0x7Fu) || n < 8u || n > SE_FLASH_IMAGE + SE_FLASH_IMAGE_SIZE - a)
        return ROM_ID_RANGE;
    return ROM_ID_OK;
}
