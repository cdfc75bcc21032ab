/* SPDX-License-Identifier: MIT */
/* firmware/lib/atr.h - ISO/IEC 7816-3 Answer-To-Reset: parse one into its
 * bytes and their meaning, build one (T0, TDi and TCK computed), and the
 * Fi/Di/f(max) tables and character-timing helpers (etu, WWT, BWT, CWT,
 * BGT, guard time) the T=0 and T=1 layers arm their time-outs with.
 *
 * Portable (docs/t1.md, "Portability"): firmware and host. No time source:
 * every duration is returned in clock cycles (of the card's CLK) or etu.
 *
 * Notes
 * - Bytes are taken in logical (decoded) form. TS = 3B is the direct
 *   convention, TS = 3F the inverse one with bytes already decoded by the
 *   UART; a first byte 03 (an inverse-convention TS read in direct
 *   convention) makes atr_parse decode every byte itself, so it reports
 *   TS = 3F and the logical values.
 * - Values the standard reserves (RFU Fi or Di, IFSC 00 or FF, BWI > 9,
 *   WI = 0) fail atr_parse with ATR_ERR_VALUE: a terminal must not use
 *   such an ATR (ISO/IEC 7816-3 8.3, EMV 4.3 book 1 8.3).
 * - Di code 7 (Di = 64) is in ISO/IEC 7816-3:2006 but not in PROTOCOLS.md.
 */
#ifndef FIRMWARE_LIB_ATR_H
#define FIRMWARE_LIB_ATR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATR_MAX_LEN     33u  /* TS + 32 bytes */
#define ATR_MAX_HIST    15u
#define ATR_MAX_GROUPS  8u   /* interface byte groups kept (i = 1..8) */

#define ATR_TS_DIRECT   0x3Bu
#define ATR_TS_INVERSE  0x3Fu

/* Presence bits of T0 / TDi (the Y nibble) */
#define ATR_TA          0x10u
#define ATR_TB          0x20u
#define ATR_TC          0x40u
#define ATR_TD          0x80u

/* ISO/IEC 7816-3 defaults */
#define ATR_FI_DEFAULT  372u
#define ATR_DI_DEFAULT  1u
#define ATR_WI_DEFAULT  10u
#define ATR_IFSC_DEFAULT 32u
#define ATR_BWI_DEFAULT 4u
#define ATR_CWI_DEFAULT 13u
#define ATR_BGT_ETU     22u  /* T=1 block guard time */

enum atr_err {
    ATR_OK = 0,
    ATR_ERR_TRUNCATED = -1, /* more bytes needed (the ATR is incomplete) */
    ATR_ERR_TS = -2,        /* first byte neither 3B, 3F nor 03 */
    ATR_ERR_TCK = -3,       /* TCK present and the XOR of T0..TCK != 0 */
    ATR_ERR_LENGTH = -4,    /* over 33 bytes, more than ATR_MAX_GROUPS
                             * groups, or bytes after the end */
    ATR_ERR_VALUE = -5,     /* a reserved value (see Notes) */
    ATR_ERR_PARAM = -6,     /* atr_build: bad struct or buffer too small */
};

enum atr_edc { ATR_EDC_LRC = 0, ATR_EDC_CRC = 1 };

/* One group of interface bytes: TAi, TBi, TCi and the protocol T that the
 * TD(i-1) introducing it indicates. TDi itself is implied: it is present
 * when group i+1 exists, and carries that group's presence bits and T. */
typedef struct atr_group {
    uint8_t t;          /* group 1: 0 (global) */
    uint8_t present;    /* ATR_TA | ATR_TB | ATR_TC */
    uint8_t ta, tb, tc;
} atr_group_t;

typedef struct atr {
    /* The bytes (what atr_build reads) */
    uint8_t ts;                 /* ATR_TS_DIRECT or ATR_TS_INVERSE */
    uint8_t ngroups;            /* 1 + the number of TD bytes */
    atr_group_t g[ATR_MAX_GROUPS]; /* g[0] is group 1 (TA1 TB1 TC1) */
    uint8_t nhist;
    uint8_t hist[ATR_MAX_HIST];
    /* Filled by atr_parse (atr_build computes them) */
    bool has_tck;               /* some TDi indicates a T other than 0 */
    uint8_t tck;
    uint8_t len;                /* bytes, TS and TCK included */
    /* Meaning (filled by atr_parse / atr_interpret) */
    bool inverse;
    uint16_t protocols;         /* bit T set for each T offered (not 15) */
    uint8_t t_first;            /* first offered T: the default protocol */
    uint8_t fi_code, di_code;   /* TA1, or 1 and 1 */
    uint16_t fi;                /* their values: 372, 512, ... */
    uint8_t di;                 /* 1, 2, 4, ... 32, 64, 12, 20 */
    uint16_t f_max_khz;         /* f(max) for fi_code */
    uint8_t n;                  /* TC1: extra guard time N (0) */
    bool specific;              /* TA2 present: specific mode */
    uint8_t specific_t;         /* TA2 low nibble */
    bool specific_changeable;   /* TA2 bit 8 = 0: mode can change */
    bool specific_implicit;     /* TA2 bit 5 = 1: implicit Fi/Di */
    uint8_t wi;                 /* TC2 (T=0): waiting integer (10) */
    uint8_t ifsc;               /* first T=1 group: TA (32) */
    uint8_t bwi, cwi;           /* first T=1 group: TB high/low (4, 13) */
    uint8_t edc;                /* first T=1 group: TC bit 1 (LRC) */
} atr_t;

/* Parses a complete ATR of exactly `len` bytes into *a. Returns ATR_OK or
 * an ATR_ERR_*; ATR_ERR_TRUNCATED means more bytes are needed (a reader
 * receiving character by character calls it again after each one, or
 * uses atr_length). */
int atr_parse(const uint8_t *buf, size_t len, atr_t *a);

/* The total length of the ATR that `buf` starts, once the first `len`
 * bytes are enough to tell (TS, T0 and the TDi chain); ATR_ERR_TRUNCATED
 * before that, ATR_ERR_TS / ATR_ERR_LENGTH if it cannot be an ATR. */
int atr_length(const uint8_t *buf, size_t len);

/* Derives the meaning fields from the byte fields of *a (atr_parse does
 * it). Returns ATR_OK or ATR_ERR_VALUE. */
int atr_interpret(atr_t *a);

/* Writes the ATR described by ts, ngroups, g[], nhist and hist[]: T0 and
 * the TDi bytes from the groups' presence bits and T, TCK when a TDi
 * indicates a T other than 0. Returns the length, or ATR_ERR_PARAM. */
int atr_build(const atr_t *a, uint8_t *out, size_t cap);

/* The byte an inverse-convention character has when read in direct
 * convention, and back (the mapping is its own inverse): bits reversed and
 * complemented. 3F <-> 03. */
uint8_t atr_inverse_byte(uint8_t b);

/* Tables (ISO/IEC 7816-3:2006 tables 7 and 8); 0 for an RFU code. */
uint16_t atr_fi_value(uint8_t fi_code);
uint8_t atr_di_value(uint8_t di_code);
uint16_t atr_fmax_khz(uint8_t fi_code);   /* e.g. 5000 for FI = 1 or 9 */

/* Durations. One etu is Fi/Di clock cycles; it is not a whole number when
 * Di does not divide Fi (372/32 = 11.625). atr_etu_to_clocks(n, ...)
 * returns ceil(n * Fi / Di), exact for whole numbers and never short for a
 * time-out; atr_etu_clocks_round() is one etu rounded to the nearest
 * whole clock (halves up), for a UART's clock divider. Both return 0 if
 * di is 0. */
uint32_t atr_etu_to_clocks(uint32_t etu, uint16_t fi, uint8_t di);
uint32_t atr_etu_clocks_round(uint16_t fi, uint8_t di);

/* T=0 waiting time WWT = 960 * WI * Fi clock cycles (WI default 10),
 * i.e. 960 * WI * Di etu. */
uint32_t atr_wwt_clocks(uint8_t wi, uint16_t fi);
/* T=1 block waiting time BWT = 11 etu + 2^BWI * 960 * 372 clock cycles. */
uint32_t atr_bwt_clocks(uint8_t bwi, uint16_t fi, uint8_t di);
/* T=1 character waiting time CWT = 11 + 2^CWI etu. */
uint32_t atr_cwt_etu(uint8_t cwi);
/* Character guard time in etu (start of one character to the next):
 * 12 + N; N = 255 means the minimum, 12 for T=0 and 11 for T=1. */
uint32_t atr_guard_etu(uint8_t n, uint8_t t);

#endif /* FIRMWARE_LIB_ATR_H */
