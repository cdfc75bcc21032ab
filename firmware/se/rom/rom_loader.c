/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_loader.c - BEGIN / LOAD / STATUS / COMMIT of the SE
 * loader (docs/se.md, "The update protocol"; rom_loader.h). Each command
 * runs its checks in the documented order and writes flash only once all
 * of them have passed. */
#include "rom_loader.h"

#include "apdu.h"
#include "rom_hal.h"
#include "rom_store.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

#define P1P2(c)     ((uint16_t)((c)->p1 << 8 | (c)->p2))

static void put_be(uint8_t *p, uint32_t v, unsigned n)
{
    while (n--) {
        p[n] = (uint8_t)v;
        v >>= 8;
    }
}

static uint32_t npages_of(const rom_loader_t *ld)
{
    return (ld->hdr.code_len + SE_FLASH_PAGE - 1u) / SE_FLASH_PAGE;
}

static void wtx(rom_loader_t *ld, uint8_t mult)
{
    if (ld->wtx)
        ld->wtx(ld->wtx_ctx, mult);
}

void rom_loader_init(rom_loader_t *ld, const uint8_t key[64],
                     rom_wtx_fn wtx_fn, void *wtx_ctx)
{
    memset(ld, 0, sizeof *ld);
    ld->key = key;
    ld->wtx = wtx_fn;
    ld->wtx_ctx = wtx_ctx;
    ld->state = ROM_LD_IDLE;
}

/* The session ends (COMMIT's hash mismatch): its pages are erased so that
 * no later BEGIN resumes it. */
static void drop_session(rom_loader_t *ld)
{
    ld->state = ROM_LD_IDLE;
    ld->next = 0;
    (void)rom_hal_flash_erase_page(SE_FLASH_SESSION_PAGE);
    (void)rom_hal_flash_erase_page(SE_FLASH_PROGRESS_PAGE);
}

/* Same header in page 2: where to go on. The first image page missing
 * from the progress log is reloaded from its first block (and erased when
 * that block arrives). false if the log has too few free slots left for
 * the pages still to load (many torn words): start afresh instead. */
static bool resume_point(rom_loader_t *ld)
{
    uint8_t seen[(SE_FLASH_IMAGE_SIZE / SE_FLASH_PAGE + 7u) / 8u];
    rom_log_scan_t s;
    memset(seen, 0, sizeof seen);
    rom_log_scan(SE_FLASH_PROGRESS_PAGE, &s, seen, 8u * sizeof seen);
    uint32_t n = npages_of(ld), k = 0;
    while (k < n && (seen[k >> 3] & (1u << (k & 7u))))
        k++;
    if (n - k > ROM_LOG_WORDS - s.used)
        return false;
    ld->slot = s.used;
    ld->next = k * ROM_LD_BLOCKS_PER_PAGE;
    if (ld->next > ld->nblocks)
        ld->next = ld->nblocks;
    return true;
}

static uint16_t cmd_begin(rom_loader_t *ld, const apdu_cmd_t *c, bool ok)
{
    cos_image_header_t h;

    if (P1P2(c) != 0x0200u)
        return SW_WRONG_P1P2;
    if (!ok || c->nc != COS_IMAGE_HEADER_LEN)
        return SW_WRONG_LENGTH;
    memcpy(&h, c->data, sizeof h);
    /* The version must fit a 16-bit log word; the image must hold at
     * least the two vector words the boot reads. */
    if (h.magic != COS_IMAGE_MAGIC || h.format != COS_IMAGE_FORMAT ||
        h.load_addr != SE_FLASH_IMAGE || h.version > 0xFFFFu ||
        h.code_len < 8u)
        return SW_WRONG_DATA;
    if (h.code_len > SE_FLASH_IMAGE_SIZE)
        return SW_NO_MEMORY;

    wtx(ld, ROM_LD_WTX_BEGIN);
    uint8_t d[32];
    if (rom_hal_sha256_start() != 0 ||
        rom_hal_sha256_update(c->data, COS_IMAGE_SIGNED_LEN) != 0 ||
        rom_hal_sha256_final(d) != 0 ||
        rom_hal_ecdsa_verify(ld->key, h.signature, d) != 1)
        return SW_SECURITY;

    rom_log_scan_t rb;
    rom_log_scan(SE_FLASH_ROLLBACK_PAGE, &rb, NULL, 0);
    if (rb.valid && h.version < rb.max)
        return SW_CONDITIONS;

    /* Checks done: from here on flash may change. */
    ld->state = ROM_LD_IDLE;
    ld->hdr = h;
    ld->nblocks = (h.code_len + COS_BLOCK_LEN - 1u) / COS_BLOCK_LEN;
    cos_image_header_t old;
    rom_hal_flash_read(SE_FLASH_SESSION_PAGE, &old, sizeof old);
    if (memcmp(&old, &h, sizeof h) != 0 || !resume_point(ld)) {
        /* The header goes in only once both pages are erased: until it
         * is whole, no BEGIN matches it, and a mismatch erases both
         * again (a torn erase can leave old progress words behind). */
        if (rom_hal_flash_erase_page(SE_FLASH_SESSION_PAGE) != 0 ||
            rom_hal_flash_erase_page(SE_FLASH_PROGRESS_PAGE) != 0 ||
            rom_flash_write(SE_FLASH_SESSION_PAGE, &h, sizeof h) != 0)
            return SW_MEMORY_FAILURE;
        ld->slot = 0;
        ld->next = 0;
    }
    ld->state = ld->next == ld->nblocks ? ROM_LD_LOADED : ROM_LD_LOADING;
    return SW_OK;
}

static uint16_t cmd_load(rom_loader_t *ld, const apdu_cmd_t *c, bool ok)
{
    if (ld->state == ROM_LD_IDLE)
        return SW_CONDITIONS;
    uint32_t n = (uint32_t)(c->p1 & 0x7Fu) << 8 | c->p2;
    bool last = (c->p1 & COS_LOAD_P1_LAST) != 0;
    if (n != ld->next)
        return SW_WRONG_P1P2;
    uint32_t off = n * COS_BLOCK_LEN, len = c->nc;
    uint32_t rest = off < ld->hdr.code_len ? ld->hdr.code_len - off : 0;
    if (!ok || len == 0 || len != (last ? rest : COS_BLOCK_LEN))
        return SW_WRONG_LENGTH;
    if (off + len > ld->hdr.code_len)
        return SW_NO_MEMORY;

    uint32_t addr = SE_FLASH_IMAGE + off;
    uint32_t first = n - n % ROM_LD_BLOCKS_PER_PAGE;
    if (addr % SE_FLASH_PAGE == 0 && rom_hal_flash_erase_page(addr) != 0)
        goto fail;
    if (rom_flash_write(addr, c->data, len) != 0)
        goto fail;
    if ((n + 1u) % ROM_LD_BLOCKS_PER_PAGE == 0 || n + 1u == ld->nblocks) {
        if (rom_log_append(SE_FLASH_PROGRESS_PAGE, ld->slot,
                           (uint16_t)(off / SE_FLASH_PAGE)) != 0) {
            ld->slot++;  /* the slot is spent, whatever it holds now */
            goto fail;
        }
        ld->slot++;
    }
    ld->next = n + 1u;
    if (ld->next == ld->nblocks)
        ld->state = ROM_LD_LOADED;
    return SW_OK;

fail:
    /* The page is reloaded from its first block, which erases it again
     * (STATUS tells the host where to go on). */
    ld->next = first;
    return SW_MEMORY_FAILURE;
}

static uint16_t cmd_status(rom_loader_t *ld, const apdu_cmd_t *c, bool ok,
                           uint8_t *out, size_t *out_len)
{
    if (P1P2(c) != 0)
        return SW_WRONG_P1P2;
    if (!ok || c->nc != 0)
        return SW_WRONG_LENGTH;
    out[0] = ld->state;
    put_be(out + 1, ld->state == ROM_LD_IDLE ? 0 : ld->next, 2);
    put_be(out + 3, ld->state == ROM_LD_IDLE ? 0 : ld->hdr.version, 4);
    *out_len = ROM_LD_STATUS_LEN;
    return SW_OK;
}

/* COMMIT: check the image's hash, log the version floor, write the COS
 * identifier. Kept out of line under this name: fault.at_symbol and gdb
 * stop here (docs/faults.md, docs/real-tools.md). */
static __attribute__((noinline)) uint16_t loader_commit(rom_loader_t *ld,
                                                        const apdu_cmd_t *c,
                                                        bool ok)
{
    if (P1P2(c) != 0)
        return SW_WRONG_P1P2;
    if (!ok || c->nc != 0)
        return SW_WRONG_LENGTH;
    if (ld->state != ROM_LD_LOADED)
        return SW_CONDITIONS;

    wtx(ld, ROM_LD_WTX_COMMIT);
    uint8_t d[32];
    if (rom_hal_sha256_start() != 0 ||
        rom_hal_sha256_update_flash(SE_FLASH_IMAGE, ld->hdr.code_len) != 0 ||
        rom_hal_sha256_final(d) != 0)
        return SW_MEMORY_FAILURE;
    if (memcmp(d, ld->hdr.code_sha256, sizeof d) != 0) {
        drop_session(ld);
        return SW_WRONG_DATA;
    }

    /* The floor first: once the identifier exists, a cut can no longer
     * lose the version. A version equal to the floor is logged already. */
    rom_log_scan_t rb;
    rom_log_scan(SE_FLASH_ROLLBACK_PAGE, &rb, NULL, 0);
    if ((!rb.valid || ld->hdr.version > rb.max) &&
        rom_log_append(SE_FLASH_ROLLBACK_PAGE, rb.used,
                       (uint16_t)ld->hdr.version) != 0)
        return SW_MEMORY_FAILURE;

    /* The identifier last, CRC word last of all (rom_flash_write goes up
     * in address order): a cut anywhere before leaves no valid record. */
    cos_id_record_t r;
    rom_id_build(&r, ld->hdr.version, SE_FLASH_IMAGE, ld->hdr.code_len, d);
    if (rom_hal_flash_erase_page(SE_FLASH_ID_PAGE) != 0 ||
        rom_flash_write(SE_FLASH_ID_PAGE, &r, sizeof r) != 0)
        return SW_MEMORY_FAILURE;
    ld->state = ROM_LD_IDLE;
    return SW_OK;
}

uint16_t rom_loader_apdu(rom_loader_t *ld, const uint8_t *apdu, size_t len,
                         uint8_t *out, size_t *out_len)
{
    apdu_cmd_t c;
    *out_len = 0;
    if (len < APDU_HEADER_LEN)
        return SW_WRONG_LENGTH;
    /* A malformed length (Lc disagreeing with the APDU's size) is each
     * command's "wrong length", found at its place in the check order. */
    bool ok = apdu_parse(apdu, len, &c) == APDU_OK;
    if (!ok) {
        c.cla = apdu[0];
        c.ins = apdu[1];
        c.p1 = apdu[2];
        c.p2 = apdu[3];
        c.nc = 0;
        c.data = NULL;
    }
    if (c.cla != COS_CLA_PROPRIETARY)
        return SW_CLA_NOT_SUPPORTED;
    switch (c.ins) {
    case COS_INS_BEGIN:
        return cmd_begin(ld, &c, ok);
    case COS_INS_LOAD:
        return cmd_load(ld, &c, ok);
    case COS_INS_STATUS:
        return cmd_status(ld, &c, ok, out, out_len);
    case COS_INS_COMMIT:
        return loader_commit(ld, &c, ok);
    default:
        return SW_INS_NOT_SUPPORTED;
    }
}
