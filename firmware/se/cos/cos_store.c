/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_store.c - the COS data in flash: two-page journals of
 * check-encoded records for the PIN counter, the purse and the file's bank
 * pointer, and the file's two 1 KiB banks (cos_store.h; docs/se-cos.md).
 *
 * Rules every writer here keeps, on which the tear-safety rests:
 *  - a word is programmed only when it reads 0xFFFFFFFF (never twice);
 *  - the page holding the newest record of a journal, and the file bank
 *    that record names, are never erased or programmed;
 *  - the last word programmed is what makes a record valid;
 *  - every operation is read back; any difference is a flash error. */
#include "cos_store.h"

#include "cos_hal.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

#define PAGE            SE_FLASH_PAGE
#define PAGE_WORDS      (SE_FLASH_PAGE / 4u)
#define REC_HEAD        3u  /* tag, seq lo, seq hi */
#define REC_WORDS(j)    (REC_HEAD + (j)->npay + 2u)
#define REC_MAX_WORDS   (REC_HEAD + COS_JRN_MAX_PAYLOAD + 2u)
#define BLANK           0xFFFFFFFFu

uint32_t cos_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (unsigned k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* CRC-32 of a record's values before the CRC (little-endian half-words). */
static uint32_t rec_crc(const uint16_t *v, unsigned n)
{
    uint8_t b[2 * (REC_HEAD + COS_JRN_MAX_PAYLOAD)];
    for (unsigned i = 0; i < n; i++) {
        b[2 * i] = (uint8_t)v[i];
        b[2 * i + 1] = (uint8_t)(v[i] >> 8);
    }
    return cos_crc32(0, b, 2u * n);
}

/* Erases a page and checks that it reads blank. */
static int erase_page(uint32_t page)
{
    if (cos_hal_flash_erase(page) != 0)
        return COS_STORE_EFLASH;
    for (uint32_t a = page; a < page + PAGE; a += 4)
        if (cos_hal_flash_read(a) != BLANK)
            return COS_STORE_EFLASH;
    return COS_STORE_OK;
}

static int program(uint32_t addr, uint32_t v)
{
    if (cos_hal_flash_program(addr, v) != 0 || cos_hal_flash_read(addr) != v)
        return COS_STORE_EFLASH;
    return COS_STORE_OK;
}

/* Journals ----------------------------------------------------------------*/

static unsigned slots(const cos_jrn_t *j)
{
    return PAGE_WORDS / REC_WORDS(j);
}

static uint32_t slot_addr(const cos_jrn_t *j, unsigned page, unsigned slot)
{
    return j->base + page * PAGE + slot * REC_WORDS(j) * 4u;
}

/* Decodes the record at addr into v[0..words-2) (tag, seq, payload; the
 * CRC checked and dropped). False if any word fails or the tag/CRC. */
static bool rec_read(const cos_jrn_t *j, uint32_t addr, uint16_t *v)
{
    unsigned n = REC_WORDS(j);
    uint16_t crc_lo, crc_hi;
    for (unsigned i = 0; i < n - 2; i++)
        if (!cos_word_dec(cos_hal_flash_read(addr + 4 * i), &v[i]))
            return false;
    if (!cos_word_dec(cos_hal_flash_read(addr + 4 * (n - 2)), &crc_lo) ||
        !cos_word_dec(cos_hal_flash_read(addr + 4 * (n - 1)), &crc_hi))
        return false;
    return v[0] == j->tag &&
           rec_crc(v, n - 2) == ((uint32_t)crc_hi << 16 | crc_lo);
}

void cos_jrn_scan(cos_jrn_t *j)
{
    uint16_t v[REC_MAX_WORDS];
    j->valid = false;
    for (unsigned p = 0; p < 2; p++) {
        for (unsigned s = 0; s < slots(j); s++) {
            if (!rec_read(j, slot_addr(j, p, s), v))
                continue;
            uint32_t seq = (uint32_t)v[2] << 16 | v[1];
            if (j->valid && seq <= j->seq)
                continue;
            j->valid = true;
            j->page = (uint8_t)p;
            j->seq = seq;
            memcpy(j->pay, v + REC_HEAD, j->npay * sizeof j->pay[0]);
        }
    }
}

/* The first slot of the page after its last non-blank one: torn records
 * and half-erased words are skipped, never programmed again. slots(j)
 * when the page is full. */
static unsigned next_free(const cos_jrn_t *j, unsigned page)
{
    unsigned n = slots(j);
    while (n > 0) {
        uint32_t a = slot_addr(j, page, n - 1);
        bool blank = true;
        for (unsigned i = 0; i < REC_WORDS(j) && blank; i++)
            blank = cos_hal_flash_read(a + 4 * i) == BLANK;
        if (!blank)
            break;
        n--;
    }
    return n;
}

int cos_jrn_append(cos_jrn_t *j, const uint16_t *pay)
{
    /* The page without the newest record: erasing it or writing into it
     * cannot disturb the state (it holds only older records). */
    unsigned page = j->valid ? 1u - j->page : 0u;
    uint32_t seq = j->valid ? j->seq + 1u : 1u;
    unsigned slot = next_free(j, page);
    int rc = COS_STORE_OK;
    if (slot == slots(j)) {
        rc = erase_page(j->base + page * PAGE);
        slot = 0;
    }
    uint16_t v[REC_MAX_WORDS];
    unsigned n = REC_WORDS(j);
    v[0] = j->tag;
    v[1] = (uint16_t)seq;
    v[2] = (uint16_t)(seq >> 16);
    memcpy(v + REC_HEAD, pay, j->npay * sizeof v[0]);
    uint32_t crc = rec_crc(v, n - 2);
    v[n - 2] = (uint16_t)crc;
    v[n - 1] = (uint16_t)(crc >> 16);
    /* In address order: the CRC's high half, programmed last, commits. */
    uint32_t a = slot_addr(j, page, slot);
    for (unsigned i = 0; i < n && rc == COS_STORE_OK; i++)
        rc = program(a + 4 * i, cos_word_enc(v[i]));
    if (rc != COS_STORE_OK) {
        cos_jrn_scan(j);  /* whatever the array now says is the state */
        return rc;
    }
    j->valid = true;
    j->page = (uint8_t)page;
    j->seq = seq;
    memcpy(j->pay, pay, j->npay * sizeof j->pay[0]);
    return COS_STORE_OK;
}

/* The store ---------------------------------------------------------------*/

void cos_store_init(cos_store_t *s)
{
    memset(s, 0, sizeof *s);
    s->pin = (cos_jrn_t){ .base = COS_STORE_PIN_BASE,
                          .tag = COS_STORE_TAG_PIN, .npay = 1 };
    s->purse = (cos_jrn_t){ .base = COS_STORE_PURSE_BASE,
                            .tag = COS_STORE_TAG_PURSE, .npay = 3 };
    s->file = (cos_jrn_t){ .base = COS_STORE_FLOG_BASE,
                           .tag = COS_STORE_TAG_FILE, .npay = 3 };
    cos_jrn_scan(&s->pin);
    cos_jrn_scan(&s->purse);
    cos_jrn_scan(&s->file);
    s->file_ok = -1;
}

unsigned cos_store_pin_tries(const cos_store_t *s)
{
    if (!s->pin.valid)
        return COS_PIN_TRIES_MAX;
    /* Only this file writes PIN records (CRC-checked): a larger value
     * cannot occur; should it, it counts as blocked, never as more. */
    return s->pin.pay[0] <= COS_PIN_TRIES_MAX ? s->pin.pay[0] : 0;
}

int cos_store_pin_set(cos_store_t *s, unsigned tries)
{
    uint16_t pay[1] = { (uint16_t)tries };
    return cos_jrn_append(&s->pin, pay);
}

uint32_t cos_store_balance(const cos_store_t *s)
{
    return s->purse.valid
               ? (uint32_t)s->purse.pay[1] << 16 | s->purse.pay[0] : 0;
}

uint16_t cos_store_counter(const cos_store_t *s)
{
    return s->purse.valid ? s->purse.pay[2] : 0;
}

int cos_store_purse_set(cos_store_t *s, uint32_t balance, uint16_t counter)
{
    uint16_t pay[3] = { (uint16_t)balance, (uint16_t)(balance >> 16),
                        counter };
    return cos_jrn_append(&s->purse, pay);
}

/* Files -------------------------------------------------------------------*/

static uint32_t bank_addr(unsigned bank)
{
    return COS_STORE_BANK_BASE + bank * PAGE;
}

/* The current bank checked against the CRC in its record (once). */
static int file_check(cos_store_t *s)
{
    if (!s->file.valid)
        return COS_STORE_OK;
    if (s->file_ok < 0) {
        uint32_t crc = 0, a = bank_addr(s->file.pay[0] & 1u);
        for (unsigned i = 0; i < PAGE_WORDS; i++) {
            uint32_t w = cos_hal_flash_read(a + 4 * i);
            uint8_t b[4] = { (uint8_t)w, (uint8_t)(w >> 8),
                             (uint8_t)(w >> 16), (uint8_t)(w >> 24) };
            crc = cos_crc32(crc, b, 4);
        }
        s->file_ok = s->file.pay[0] <= 1 &&
                     crc == ((uint32_t)s->file.pay[2] << 16 |
                             s->file.pay[1]);
    }
    return s->file_ok ? COS_STORE_OK : COS_STORE_ECORRUPT;
}

/* Byte i of the current content (0 before the first write). */
static uint8_t file_byte(const cos_store_t *s, uint32_t i)
{
    if (!s->file.valid)
        return 0;
    uint32_t w = cos_hal_flash_read(bank_addr(s->file.pay[0] & 1u) +
                                    (i & ~3u));
    return (uint8_t)(w >> (8 * (i & 3u)));
}

int cos_store_file_read(cos_store_t *s, uint32_t off, uint8_t *buf, size_t n)
{
    int rc = file_check(s);
    if (rc != COS_STORE_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        buf[i] = file_byte(s, off + (uint32_t)i);
    return COS_STORE_OK;
}

int cos_store_file_write(cos_store_t *s, uint32_t off, const uint8_t *buf,
                         size_t n)
{
    int rc = file_check(s);
    if (rc != COS_STORE_OK)
        return rc;
    /* The other bank gets the whole new content, then one journal record
     * moves the pointer: until that record's last word, the old bank is
     * the file. */
    unsigned bank = s->file.valid ? 1u - (s->file.pay[0] & 1u) : 0u;
    uint32_t a = bank_addr(bank), crc = 0;
    rc = erase_page(a);
    for (uint32_t i = 0; i < COS_FILE_SIZE && rc == COS_STORE_OK; i += 4) {
        uint8_t b[4];
        for (unsigned k = 0; k < 4; k++) {
            uint32_t x = i + k;
            b[k] = x >= off && x - off < n ? buf[x - off] : file_byte(s, x);
        }
        crc = cos_crc32(crc, b, 4);
        uint32_t w = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        if (w != BLANK)  /* erased already */
            rc = program(a + i, w);
    }
    if (rc == COS_STORE_OK) {
        uint16_t pay[3] = { (uint16_t)bank, (uint16_t)crc,
                            (uint16_t)(crc >> 16) };
        rc = cos_jrn_append(&s->file, pay);
    }
    /* Written and read back: the new bank matches its CRC. After a
     * failure, whichever record is newest gets checked again. */
    s->file_ok = rc == COS_STORE_OK ? 1 : -1;
    return rc;
}

int cos_store_erase_id(void)
{
    return erase_page(SE_FLASH_ID_PAGE);
}
