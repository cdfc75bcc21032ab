/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_link.h - the COS's side of the ISO 7816 line: the
 * COS ATR inside the 400..40 000 CLK window, an optional PPS (echoed when
 * its Fi/Di is supported, then the etu switched), then T=1 as the card
 * (firmware/lib/t1: blocks, chaining, IFS, S(WTX) while a command runs
 * long), handing each command APDU to cos_process().
 *
 * Card behaviour per ISO/IEC 7816-3:2006 8.1 (ATR timing), 9 (PPS), 11
 * (T=1); BGT (22 etu) is kept before each block the card sends, CWT (CWI
 * 5: 43 etu) ends a block that stops arriving (then received as broken).
 *
 * Notes
 *  - the card never times out waiting for a block (ISO: only the terminal
 *    has BWT); RST low ends cos_link_run (the SE holds the core in reset
 *    then anyway);
 *  - PPS is accepted only as the first thing after the ATR; a request the
 *    card refuses is not answered (ISO/IEC 7816-3 9.3);
 *  - WTX: before each flash operation and crypto command, if more than
 *    BWT / COS_LINK_WTX_DIV has passed since the last character of the
 *    terminal's block, the card sends S(WTX request) with multiplier 1 and
 *    waits for the response, which starts a new BWT. Any one operation
 *    (a 2 ms page erase, a 47 ms ECDSA verification) is far below
 *    BWT / 2 (BWI 4: about 1.4 s at 4 MHz), so the card never overruns. */
#ifndef FIRMWARE_SE_COS_COS_LINK_H
#define FIRMWARE_SE_COS_COS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "cos.h"
#include "t1.h"

/* docs/se.md, "ATRs": the loader's interface bytes; historical bytes
 * "CSCOS" and the version byte. */
#define COS_ATR_TA1         0x96u   /* Fi 512, Di 32 offered */
#define COS_ATR_IFSC        0xFEu
#define COS_ATR_TB3         0x45u   /* BWI 4, CWI 5 */
#define COS_ATR_BWI         4u
#define COS_ATR_CWI         5u
#define COS_ATR_MIN_CLK     400u    /* ISO/IEC 7816-3 8.1: TS after 400.. */
#define COS_ATR_LEN         16u
#define COS_PPS_WAIT_ETU    9600u   /* WI 10: 960 x 10 etu */

#ifndef COS_LINK_WTX_DIV
#define COS_LINK_WTX_DIV    2u      /* S(WTX) after BWT / this */
#endif

typedef struct cos_link {
    cos_t *cos;
    t1_t t1;
    uint32_t etu;           /* current etu in CLK cycles */
    uint32_t bwt;           /* BWT in CLK cycles at the current rate */
    uint32_t last_rx;       /* CLKCNT when the last character arrived */
    uint8_t pps1;           /* Fi/Di in use (PPS1 form; 11 = default) */
    bool in_cmd;            /* a command is being processed */
    bool dead;              /* RST fell */
    uint32_t blocks_rx, blocks_tx, wtx_count, apdus;  /* for a debugger */
    uint8_t rx[T1_BLOCK_MAX];
    uint8_t tx[T1_BLOCK_MAX];
    uint8_t apdu[APDU_SHORT_MAX];
    uint8_t resp[COS_RESP_MAX];
} cos_link_t;

/* Writes the COS ATR of `version` (T0 and TCK by atr_build). Returns its
 * length (COS_ATR_LEN) or a negative ATR_ERR_*. */
int cos_link_atr(uint32_t version, uint8_t *out, size_t cap);

/* Serves the line: UART on, ATR, PPS, then T=1 commands for *cos until
 * RST falls or a command asked for a reset (its response sent first). */
void cos_link_run(cos_link_t *l, cos_t *cos);

#endif /* FIRMWARE_SE_COS_COS_LINK_H */
