/* SPDX-License-Identifier: MIT */
/* firmware/lib/apdu.h - ISO/IEC 7816-4 APDUs: parse a short command APDU
 * (cases 1, 2S, 3S, 4S), build commands and responses, status words.
 *
 * Portable (docs/t1.md, "Portability"): the same C builds for the Cortex-M0
 * firmware (SE loader/COS, MCU) and for the host models. No allocation: a
 * parsed command points into the caller's buffer.
 *
 * Extended length (Lc = 00 hi lo, Le = 00 hi lo) is recognised and refused
 * with APDU_ERR_EXTENDED: no cardsim chip announces it. */
#ifndef FIRMWARE_LIB_APDU_H
#define FIRMWARE_LIB_APDU_H

#include <stddef.h>
#include <stdint.h>

#include "cos_image.h" /* SW_OK, SW_WRONG_LENGTH, ... of the loader and COS */

/* Status words cos_image.h does not have (ISO/IEC 7816-4, PROTOCOLS.md). */
#define SW_BYTES_REMAINING(n)   (0x6100u | ((n) & 0xFFu)) /* 61xx */
#define SW_WRONG_LE(n)          (0x6C00u | ((n) & 0xFFu)) /* 6Cxx */
#define SW_END_OF_FILE          0x6282u
#define SW_NOT_ALLOWED          0x6986u
#define SW_FUNC_NOT_SUPPORTED   0x6A81u
#define SW_DATA_NOT_FOUND       0x6A88u
#define SW_WRONG_P1P2_NO_INFO   0x6B00u
#define SW_UNKNOWN              0x6F00u

#define APDU_SW1(sw)            ((uint8_t)((sw) >> 8))
#define APDU_SW2(sw)            ((uint8_t)(sw))

#define APDU_HEADER_LEN         4u
#define APDU_SHORT_MAX          261u  /* 4 + 1 + 255 + 1 */

enum apdu_case {
    APDU_CASE_1 = 1,    /* CLA INS P1 P2 */
    APDU_CASE_2S = 2,   /* ... Le */
    APDU_CASE_3S = 3,   /* ... Lc data */
    APDU_CASE_4S = 4,   /* ... Lc data Le */
};

enum apdu_err {
    APDU_OK = 0,
    APDU_ERR_SHORT = -1,    /* fewer than 4 bytes */
    APDU_ERR_LENGTH = -2,   /* Lc does not match the length */
    APDU_ERR_EXTENDED = -3, /* extended-length APDU: not supported */
    APDU_ERR_PARAM = -4,    /* build: bad Nc/Ne or the buffer is too small */
};

typedef struct apdu_cmd {
    uint8_t cla, ins, p1, p2;
    uint8_t apdu_case;      /* enum apdu_case (set by apdu_parse) */
    uint16_t nc;            /* Lc: command data length, 0..255 */
    uint16_t ne;            /* Le: expected response length 1..256 (Le 00
                             * = 256); 0 = no Le (cases 1 and 3S) */
    const uint8_t *data;    /* nc bytes (inside the parsed buffer) */
} apdu_cmd_t;

/* Parses a short command APDU of exactly `len` bytes. Returns APDU_OK and
 * fills *cmd, or an APDU_ERR_* (cmd unspecified). */
int apdu_parse(const uint8_t *buf, size_t len, apdu_cmd_t *cmd);

/* Writes the command APDU; the case follows from nc and ne (apdu_case is
 * ignored). Returns its length, or APDU_ERR_PARAM. */
int apdu_build(const apdu_cmd_t *cmd, uint8_t *out, size_t cap);

/* Writes data ‖ SW1 SW2 into out (data may already sit at out, or overlap
 * it). Returns len + 2, or APDU_ERR_PARAM if cap is too small. */
int apdu_response(uint8_t *out, size_t cap, const uint8_t *data, size_t len,
                  uint16_t sw);

/* The status word of a response (its last two bytes); 0 if len < 2. */
uint16_t apdu_sw(const uint8_t *resp, size_t len);

#endif /* FIRMWARE_LIB_APDU_H */
