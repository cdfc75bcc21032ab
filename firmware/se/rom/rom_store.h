/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_store.h - the ROM's flash records (docs/se.md, "Flash
 * layout"): the COS identifier record of page 0 with its CRC-32, and the
 * two append-only, tear-safe logs (page 1: committed versions, page 3:
 * completed image pages), plus checked flash writes.
 *
 * Log words: a value v (16 bits) is stored as v | ~v << 16. An erased word
 * reads FFFFFFFF; a word torn by a power cut while it was programmed has
 * some of its bits still 1 and cannot pass the check (a torn word never
 * decodes to another value: bits only clear towards the intended word), so
 * it is skipped. Appends go after the last programmed word, torn or not:
 * a log is never erased in place except when a new session starts
 * (progress log). Portable: the HAL is the only way to the hardware. */
#ifndef FIRMWARE_SE_ROM_ROM_STORE_H
#define FIRMWARE_SE_ROM_ROM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cos_image.h"
#include "regs/se_map.h"

#define ROM_LOG_WORDS       (SE_FLASH_PAGE / 4u)   /* 256 slots per log */
#define ROM_LOG_ERASED      0xFFFFFFFFu

/* Why an identifier record is not valid (rom_id_check); also the values of
 * rom_boot_result (rom_boot.h adds the ones found while booting). */
enum rom_id_err {
    ROM_ID_OK = 0,
    ROM_ID_MAGIC = 1,       /* no record (erased page, or not "COSI") */
    ROM_ID_CRC = 2,         /* CRC-32 of 0x00..0x2F wrong (torn record) */
    ROM_ID_RANGE = 3,       /* address/length not inside the image area */
};

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, init and final XOR FFFFFFFF):
 * crc32("123456789") = CBF43926. */
uint32_t rom_crc32(const void *data, size_t len);

uint32_t rom_log_encode(uint16_t v);
/* true and *v for a well-formed word; false for an erased or torn one. */
bool rom_log_decode(uint32_t word, uint16_t *v);

/* What a scan of a log page found. */
typedef struct rom_log_scan {
    uint32_t used;      /* slots up to the last programmed word: the next
                         * append goes to slot `used` */
    uint32_t valid;     /* well-formed words */
    uint32_t torn;      /* programmed words that failed the check */
    uint16_t max;       /* largest value among the valid ones */
} rom_log_scan_t;

/* Scans the log page at page_addr. If seen is not NULL, sets bit v of
 * seen[] (seen_bits bits long) for every valid v below seen_bits. */
void rom_log_scan(uint32_t page_addr, rom_log_scan_t *s, uint8_t *seen,
                  uint32_t seen_bits);

/* Appends v at slot `slot` of the log at page_addr. 0, or -1 if the log is
 * full or the flash failed (program error or read-back mismatch). */
int rom_log_append(uint32_t page_addr, uint32_t slot, uint16_t v);

/* Reads the little-endian word at addr. */
uint32_t rom_flash_word(uint32_t addr);

/* Programs and reads back len bytes (a multiple of 4, or padded with FF
 * bytes up to one) from data at addr, word by word in increasing order.
 * 0, or -1 at the first failing word. */
int rom_flash_write(uint32_t addr, const void *data, uint32_t len);

/* Fills in *r (magic, fields, CRC). */
void rom_id_build(cos_id_record_t *r, uint32_t version, uint32_t addr,
                  uint32_t len, const uint8_t sha256[32]);
/* Magic, CRC and range of a record read from page 0 (no hash check). */
int rom_id_check(const cos_id_record_t *r);

#endif /* FIRMWARE_SE_ROM_ROM_STORE_H */
