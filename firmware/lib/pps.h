/* SPDX-License-Identifier: MIT */
/* firmware/lib/pps.h - ISO/IEC 7816-3 protocol and parameters selection
 * (PPS): the terminal builds a request and checks the card's answer; the
 * card checks a request and builds its answer (an echo, or a partial echo
 * that keeps the default Fd/Dd).
 *
 * Portable (docs/t1.md, "Portability"). Bytes: PPSS = FF, PPS0 (bit 5/6/7
 * = PPS1/2/3 present, low nibble T), PPS1 = FI << 4 | DI, [PPS2], [PPS3],
 * PCK so that all bytes XOR to 0 (ISO/IEC 7816-3:2006 section 9).
 *
 * Notes
 * - A card does not answer a request it refuses (wrong PCK, T not
 *   offered): pps_card_answer returns an error and the terminal's time-out
 *   (initial waiting time) ends the exchange, as the standard has it.
 * - The card side never accepts PPS2 (SPU) or PPS3: it leaves them out of
 *   its answer, which the standard allows. */
#ifndef FIRMWARE_LIB_PPS_H
#define FIRMWARE_LIB_PPS_H

#include <stddef.h>
#include <stdint.h>

#define PPS_PPSS        0xFFu
#define PPS_MAX_LEN     6u
#define PPS0_PPS1       0x10u
#define PPS0_PPS2       0x20u
#define PPS0_PPS3       0x40u

enum pps_err {
    PPS_OK = 0,
    PPS_ERR_TRUNCATED = -1, /* more bytes needed */
    PPS_ERR_FORMAT = -2,    /* PPSS != FF, PPS0 bit 8 set, extra bytes */
    PPS_ERR_PCK = -3,       /* the bytes do not XOR to 0 */
    PPS_ERR_REFUSED = -4,   /* answer does not accept the request / card
                             * refuses it (send nothing) */
    PPS_ERR_PARAM = -5,     /* bad pps_t or buffer too small */
};

typedef struct pps {
    uint8_t t;          /* protocol type, 0..14 */
    uint8_t present;    /* PPS0_PPS1 | PPS0_PPS2 | PPS0_PPS3 */
    uint8_t pps1;       /* FI << 4 | DI */
    uint8_t pps2, pps3;
} pps_t;

/* What a card accepts: the protocols it offered in its ATR (bit T) and
 * its TA1. PPS1 is accepted when it equals TA1, is the default 11, or has
 * TA1's FI and a valid Di not above TA1's. */
typedef struct pps_card_caps {
    uint16_t protocols;
    uint8_t ta1;
} pps_card_caps_t;

/* Writes the request (or answer) for *p, PCK computed. Returns 3..6, or
 * PPS_ERR_PARAM. */
int pps_build(const pps_t *p, uint8_t *out, size_t cap);

/* Total length of the PPS message `buf` starts, once PPS0 is there;
 * PPS_ERR_TRUNCATED before, PPS_ERR_FORMAT if PPSS is not FF. */
int pps_length(const uint8_t *buf, size_t len);

/* Parses exactly `len` bytes. Returns PPS_OK or an error. */
int pps_parse(const uint8_t *buf, size_t len, pps_t *p);

/* Terminal: checks the card's answer to `req`. PPS_OK: the exchange
 * succeeded and *agreed holds what applies (PPS1 absent from `present`
 * means the default Fd = 372, Dd = 1). PPS_ERR_REFUSED: the answer does
 * not match (the terminal must reset the card); other errors as
 * pps_parse. */
int pps_check_answer(const pps_t *req, const uint8_t *buf, size_t len,
                     pps_t *agreed);

/* Card: checks the request in buf[0..len) and writes its answer. Returns
 * the answer's length and fills *agreed, or a PPS_ERR_* and writes
 * nothing (the card then stays silent). */
int pps_card_answer(const uint8_t *buf, size_t len,
                    const pps_card_caps_t *caps, uint8_t *out, size_t cap,
                    pps_t *agreed);

#endif /* FIRMWARE_LIB_PPS_H */
