/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_store.h - the COS's data in flash pages 4..15: the
 * PIN try counter, the purse and the 1 KiB transparent file, each kept so
 * that a power cut at any instant leaves the old or the new state
 * (docs/se-cos.md has the layout and the arguments).
 *
 * Building block: a journal of records in two pages. Every word of a
 * record is a 16-bit value v stored as v | ~v << 16, so an erased word, a
 * half-programmed word and a half-erased word all fail the check; a record
 * is [tag, seq lo, seq hi, payload..., CRC-32 lo, CRC-32 hi] and counts
 * only when every word checks and the CRC matches. The newest valid record
 * (highest seq) of the two pages is the state; a new one is appended to
 * the page that does not hold it, which is erased first when full. */
#ifndef FIRMWARE_SE_COS_COS_STORE_H
#define FIRMWARE_SE_COS_COS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regs/se_map.h"

/* Page pairs in the COS data area (pages 4..15; 12..15 unused) */
#define COS_STORE_PIN_BASE      (SE_FLASH_COS_DATA + 0x0000u) /* pages 4, 5 */
#define COS_STORE_PURSE_BASE    (SE_FLASH_COS_DATA + 0x0800u) /* pages 6, 7 */
#define COS_STORE_FLOG_BASE     (SE_FLASH_COS_DATA + 0x1000u) /* pages 8, 9 */
#define COS_STORE_BANK_BASE     (SE_FLASH_COS_DATA + 0x1800u) /* 10, 11 */

/* Record tags (the first word of each record) */
#define COS_STORE_TAG_PIN       0x5049u  /* "PI" */
#define COS_STORE_TAG_PURSE     0x5055u  /* "PU" */
#define COS_STORE_TAG_FILE      0x4649u  /* "FI" */

#define COS_FILE_SIZE           1024u
#define COS_PIN_TRIES_MAX       3u
#define COS_JRN_MAX_PAYLOAD     3u

enum cos_store_err {
    COS_STORE_OK = 0,
    COS_STORE_EFLASH = -1,   /* the controller reported an error, or the
                              * array did not read back as written */
    COS_STORE_ECORRUPT = -2, /* the file's bank does not match its CRC */
};

/* One journal: where it lives and its newest valid record. */
typedef struct cos_jrn {
    uint32_t base;              /* the first of its two pages */
    uint16_t tag;
    uint8_t npay;               /* payload half-words */
    bool valid;                 /* a valid record exists */
    uint8_t page;               /* the page (0, 1) holding the newest */
    uint32_t seq;
    uint16_t pay[COS_JRN_MAX_PAYLOAD];
} cos_jrn_t;

typedef struct cos_store {
    cos_jrn_t pin, purse, file;
    int8_t file_ok;             /* bank CRC: -1 not checked yet, 0, 1 */
} cos_store_t;

/* Reads the three journals from flash (no write). */
void cos_store_init(cos_store_t *s);

/* Journal primitives (exported for the tests). cos_jrn_scan reads the
 * newest valid record into *j; cos_jrn_append writes one with seq + 1.
 * Returns COS_STORE_OK or COS_STORE_EFLASH (the cache is then re-read). */
void cos_jrn_scan(cos_jrn_t *j);
int cos_jrn_append(cos_jrn_t *j, const uint16_t *pay);

/* PIN try counter: 3 until the first record. */
unsigned cos_store_pin_tries(const cos_store_t *s);
int cos_store_pin_set(cos_store_t *s, unsigned tries);

/* Purse: balance 0, counter 0 until the first record. */
uint32_t cos_store_balance(const cos_store_t *s);
uint16_t cos_store_counter(const cos_store_t *s);
int cos_store_purse_set(cos_store_t *s, uint32_t balance, uint16_t counter);

/* The transparent file (all zero until the first write); off + n must be
 * within COS_FILE_SIZE (the caller checks). */
int cos_store_file_read(cos_store_t *s, uint32_t off, uint8_t *buf,
                        size_t n);
int cos_store_file_write(cos_store_t *s, uint32_t off, const uint8_t *buf,
                         size_t n);

/* Erases the COS identifier record (flash page 0) and checks it blank. */
int cos_store_erase_id(void);

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, init and final XOR ~0). */
uint32_t cos_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* The word encoding: v | ~v << 16, and its check. */
static inline uint32_t cos_word_enc(uint16_t v)
{
    return v | (uint32_t)(uint16_t)~v << 16;
}

static inline bool cos_word_dec(uint32_t w, uint16_t *v)
{
    if (((w >> 16) ^ (w & 0xFFFFu)) != 0xFFFFu)
        return false;
    *v = (uint16_t)w;
    return true;
}

#endif /* FIRMWARE_SE_COS_COS_STORE_H */
