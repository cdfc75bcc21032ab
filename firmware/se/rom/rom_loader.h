/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_loader.h - the update protocol of the SE loader
 * (docs/se.md, "The update protocol"): BEGIN, LOAD, STATUS, COMMIT on CLA
 * 0x80, one command APDU in, response data and a status word out.
 *
 * Portable: flash and crypto through rom_hal.h only; the transport (ATR,
 * PPS, T=1) is rom_link.c's, which hands each command APDU to
 * rom_loader_apdu() and lends a callback for S(WTX) before long work.
 *
 * Flash use (docs/se-rom.md has the details):
 *  - page 2 (session): the BEGIN header of the session, 32 words;
 *  - page 3 (progress): one log word per completed image page, holding
 *    the page's index from the image start (0 = the page at 0x1000_4000);
 *  - page 1 (anti-rollback): one log word per committed version (16 bits:
 *    a BEGIN for a version above 0xFFFF is refused with 6A80);
 *  - page 0 (identifier): erased and written last by COMMIT.
 * Every check of a command is made before its first flash write. */
#ifndef FIRMWARE_SE_ROM_ROM_LOADER_H
#define FIRMWARE_SE_ROM_ROM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "cos_image.h"
#include "regs/se_map.h"

/* STATUS state byte */
enum rom_ld_state {
    ROM_LD_IDLE = 0,        /* no session */
    ROM_LD_LOADING = 1,     /* blocks expected */
    ROM_LD_LOADED = 2,      /* every block written: COMMIT may go */
};

#define ROM_LD_STATUS_LEN   7u  /* state, next block (BE16), version (BE32) */
#define ROM_LD_RESP_MAX     ROM_LD_STATUS_LEN
#define ROM_LD_BLOCKS_PER_PAGE (SE_FLASH_PAGE / COS_BLOCK_LEN)

/* S(WTX) multipliers asked for before the long steps. The worst case of
 * each (BEGIN: ECDSA ~47 ms + 2 page erases; COMMIT: SHA-256 of 240 KiB
 * ~8 ms + 1 erase) is far below one BWT (BWI 4: >= 1.1 s at the fastest
 * CLK the ATR allows, 5 MHz); the requests keep the reader's timer honest
 * on any clock and show the long steps in the trace. */
#define ROM_LD_WTX_BEGIN    2u
#define ROM_LD_WTX_COMMIT   2u

/* Asks the transport for waiting time extension (mult x BWT) before a
 * long operation; returns when the terminal has answered (or the link is
 * gone: the operation goes on regardless). */
typedef void (*rom_wtx_fn)(void *ctx, uint8_t mult);

typedef struct rom_loader {
    const uint8_t *key;     /* issuer public key, x || y */
    rom_wtx_fn wtx;         /* may be NULL */
    void *wtx_ctx;
    uint8_t state;          /* enum rom_ld_state */
    uint32_t next;          /* next block expected */
    uint32_t nblocks;       /* blocks of the session's image */
    uint32_t slot;          /* next free slot of the progress log */
    cos_image_header_t hdr; /* the session's header (state != IDLE) */
} rom_loader_t;

/* No session after a reset: state IDLE until a BEGIN (which resumes from
 * flash when the session page holds the same header). */
void rom_loader_init(rom_loader_t *ld, const uint8_t key[64],
                     rom_wtx_fn wtx, void *wtx_ctx);

/* Serves one command APDU of len bytes. Writes the response data (at most
 * ROM_LD_RESP_MAX bytes) to out, its length to *out_len, and returns the
 * status word. */
uint16_t rom_loader_apdu(rom_loader_t *ld, const uint8_t *apdu, size_t len,
                         uint8_t *out, size_t *out_len);

#endif /* FIRMWARE_SE_ROM_ROM_LOADER_H */
