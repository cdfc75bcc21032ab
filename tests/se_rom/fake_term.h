/* SPDX-License-Identifier: MIT */
/* tests/se_rom/fake_term.h - the scripted terminal at the other end of the
 * fake UART: it reads the card's ATR, optionally sends a PPS request, then
 * sends a list of command APDUs over T=1 (firmware/lib/t1 as the terminal)
 * and keeps the responses. It runs only when the card waits for the first
 * character of something and nothing is queued; when the script is over
 * (or the exchange failed) the card sees RST fall (ROM_UART_RESET).
 *
 * Faults it can inject into the blocks it sends (counted from 0 over all
 * its T=1 blocks): a wrong LRC, a block cut short (the card's CWT ends
 * it), a character received broken (parity). */
#ifndef TESTS_SE_ROM_FAKE_TERM_H
#define TESTS_SE_ROM_FAKE_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atr.h"
#include "pps.h"
#include "t1.h"

#define FAKE_TERM_CMDS      400
#define FAKE_TERM_APDU      300
#define FAKE_TERM_PCBS      2048

typedef struct fake_term_cfg {
    bool pps;               /* send a PPS request after the ATR */
    uint8_t pps_t;          /* its protocol (1) */
    uint8_t pps1;           /* its PPS1 (96: Fi 512, Di 32) */
    uint8_t ifsc;           /* terminal's block size to the card; 0: ATR's */
    uint8_t ifsd;           /* S(IFS request) with this IFSD first; 0: no */
    int corrupt_block;      /* -1: none */
    int truncate_block;     /* -1: none */
    int broken_char_block;  /* -1: none */
} fake_term_cfg_t;

typedef struct fake_term {
    fake_term_cfg_t cfg;
    int phase;
    /* bytes from the card not consumed yet */
    uint8_t out[1024];
    size_t out_len;
    /* characters queued for the card (ROM_UART_ERROR for a broken one) */
    int in[FAKE_TERM_APDU + 16];
    size_t in_len, in_off;
    /* what the card said */
    uint8_t atr[64];
    size_t atr_len;
    int atr_rc;
    atr_t parsed;
    bool pps_sent;
    uint8_t pps_ans[16];
    size_t pps_ans_len;
    pps_t pps_req, pps_agreed;
    /* T=1 */
    t1_t t1;
    uint8_t rbuf[FAKE_TERM_APDU];
    uint8_t blk[T1_BLOCK_MAX];
    unsigned term_blocks;
    uint8_t card_pcb[FAKE_TERM_PCBS];
    size_t ncard_pcb;
    unsigned card_wtx;      /* S(WTX request) blocks from the card */
    /* script */
    uint8_t cmd[FAKE_TERM_CMDS][FAKE_TERM_APDU];
    size_t cmd_len[FAKE_TERM_CMDS];
    size_t ncmd, next_cmd;
    uint8_t resp[FAKE_TERM_CMDS][FAKE_TERM_APDU];
    size_t resp_len[FAKE_TERM_CMDS];
    size_t nresp;
    bool ended;
    char err[160];          /* first thing that went wrong, "" if none */
} fake_term_t;

extern fake_term_t term;

/* Empty script, default configuration (no PPS, no faults). */
void fake_term_reset(void);
/* Appends a command to the script. */
void fake_term_add(const uint8_t *apdu, size_t len);
/* The status word of response i (0 if there is none). */
uint16_t fake_term_sw(size_t i);

/* For the fake UART. */
void fake_term_from_card(uint8_t byte);
int fake_term_to_card(bool may_step);
bool fake_term_in_t1(void);

#endif /* TESTS_SE_ROM_FAKE_TERM_H */
