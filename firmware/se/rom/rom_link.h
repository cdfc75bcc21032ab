/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_link.h - the loader's side of the ISO 7816 line: the
 * loader ATR inside the 400..40 000 CLK window, an optional PPS (echoed
 * when its Fi/Di is supported, then the etu switched), and T=1 as the card
 * (firmware/lib/t1: blocks, chaining, IFS, S(WTX) before long work),
 * handing each command APDU to rom_loader_apdu().
 *
 * Portable: the UART through rom_hal.h only. Card behaviour per ISO/IEC
 * 7816-3:2006 8.1 (ATR timing), 9 (PPS), 11 (T=1); BGT (22 etu) is kept
 * before each block the card sends, CWT (CWI 5: 43 etu) ends a block that
 * stops arriving (it is then received as broken).
 *
 * Notes
 *  - the card never times out waiting for a block (ISO: only the terminal
 *    has BWT); a warm reset ends rom_link_run (ROM_UART_RESET);
 *  - PPS is accepted only as the first thing after the ATR; a request the
 *    card refuses (PCK, T other than 1, Fi/Di not offered) is not
 *    answered, as ISO/IEC 7816-3 9.3 has it: the reader resets the card. */
#ifndef FIRMWARE_SE_ROM_ROM_LINK_H
#define FIRMWARE_SE_ROM_ROM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "rom_loader.h"
#include "t1.h"

/* docs/se.md, "ATRs": T=1, TA1 = 96 (Fi 512, Di 32), IFSC 254, BWI 4,
 * CWI 5, historical bytes "CSLDR" 01. */
#define ROM_ATR_TA1         0x96u
#define ROM_ATR_IFSC        0xFEu
#define ROM_ATR_TB3         0x45u   /* BWI 4, CWI 5 */
#define ROM_ATR_CWI         5u
#define ROM_ATR_MIN_CLK     400u    /* ISO/IEC 7816-3 8.1: TS after 400.. */
#define ROM_ATR_MAX_CLK     40000u  /* ..40 000 CLK cycles from RST high */
#define ROM_ATR_LEN         16u
#define ROM_PPS_WAIT_ETU    9600u   /* initial waiting time between PPS
                                     * characters (WI 10: 960 x 10) */

typedef struct rom_link {
    rom_loader_t *ld;
    t1_t t1;
    uint32_t etu;           /* current etu in CLK cycles */
    uint32_t last_rx;       /* CLKCNT when the last character arrived */
    uint32_t atr_clk;       /* CLKCNT when TS was handed to the UART */
    uint8_t pps1;           /* Fi/Di in use (PPS1 form; 11 = default) */
    bool dead;              /* RST fell: stop serving */
    uint32_t blocks_rx, blocks_tx, wtx_count, apdus;  /* for the trace */
    uint8_t rx[T1_BLOCK_MAX];
    uint8_t tx[T1_BLOCK_MAX];
    uint8_t apdu[APDU_SHORT_MAX];
    uint8_t resp[ROM_LD_RESP_MAX + 2u];
} rom_link_t;

/* Writes the loader ATR (T0 and TCK computed by atr_build) to out.
 * Returns its length (ROM_ATR_LEN), or a negative ATR_ERR_*. */
int rom_link_atr(uint8_t *out, size_t cap);

/* Serves the line until RST falls: start the UART, wait for RST, ATR,
 * PPS, then T=1 commands for *ld (whose WTX callback it sets). */
void rom_link_run(rom_link_t *l, rom_loader_t *ld);

#endif /* FIRMWARE_SE_ROM_ROM_LINK_H */
