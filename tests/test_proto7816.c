/* SPDX-License-Identifier: MIT */
/* tests/test_proto7816.c - the portable ISO 7816 libraries of firmware/lib
 * (atr, pps, apdu, t1, t0) on the host: exact bytes for our ATRs and
 * real-world ones, PPS, APDU cases, T=1 blocks and a terminal and a card
 * wired back to back (chaining both ways, EDC errors, lost blocks, WTX,
 * S(IFS), RESYNCH, ABORT), T=0 procedure bytes. */
#include <stdio.h>
#include <string.h>

#include "apdu.h"
#include "atr.h"
#include "pps.h"
#include "suites.h"
#include "t0.h"
#include "t1.h"

Suite *make_proto7816_suite(void);

/* "3B F6 96" -> bytes; returns the count. */
static size_t hex(const char *s, uint8_t *out)
{
    size_t n = 0;
    unsigned v;
    int used;
    while (sscanf(s, " %2x%n", &v, &used) == 1) {
        out[n++] = (uint8_t)v;
        s += used;
    }
    return n;
}

#define ASSERT_BYTES(got, got_len, hexstr)                                   \
    do {                                                                     \
        uint8_t exp_[512];                                                   \
        size_t en_ = hex(hexstr, exp_);                                      \
        ck_assert_uint_eq((size_t)(got_len), en_);                           \
        ck_assert_mem_eq((got), exp_, en_);                                  \
    } while (0)

/* ATR ------------------------------------------------------------------- */

#define LOADER_ATR "3B F6 96 00 00 81 31 FE 45 43 53 4C 44 52 01 20"

/* The loader's ATR of docs/se.md, described field by field. */
static void loader_atr_struct(atr_t *a)
{
    memset(a, 0, sizeof *a);
    a->ts = ATR_TS_DIRECT;
    a->ngroups = 3;
    a->g[0].present = ATR_TA | ATR_TB | ATR_TC;
    a->g[0].ta = 0x96;  /* Fi = 512, Di = 32 */
    a->g[1].t = 1;      /* TD1 = 81: T=1, only TD2 follows */
    a->g[2].t = 1;      /* TD2 = 31: T=1, TA3 TB3 */
    a->g[2].present = ATR_TA | ATR_TB;
    a->g[2].ta = 0xFE;  /* IFSC 254 */
    a->g[2].tb = 0x45;  /* BWI 4, CWI 5 */
    a->nhist = 6;
    memcpy(a->hist, "CSLDR\x01", 6);
}

START_TEST(atr_loader_build_and_parse)
{
    atr_t a, p;
    uint8_t out[ATR_MAX_LEN], again[ATR_MAX_LEN];
    loader_atr_struct(&a);
    int n = atr_build(&a, out, sizeof out);
    /* T0 = F6 (TA1 TB1 TC1 TD1, 6 historical bytes), TCK = 20 */
    ASSERT_BYTES(out, n, LOADER_ATR);

    ck_assert_int_eq(atr_parse(out, (size_t)n, &p), ATR_OK);
    ck_assert_uint_eq(p.len, 16);
    ck_assert(p.has_tck);
    ck_assert_uint_eq(p.tck, 0x20);
    ck_assert(!p.inverse);
    ck_assert_uint_eq(p.fi_code, 9);
    ck_assert_uint_eq(p.di_code, 6);
    ck_assert_uint_eq(p.fi, 512);
    ck_assert_uint_eq(p.di, 32);
    ck_assert_uint_eq(p.f_max_khz, 5000);
    ck_assert_uint_eq(p.n, 0);
    ck_assert_uint_eq(p.protocols, 1u << 1);
    ck_assert_uint_eq(p.t_first, 1);
    ck_assert_uint_eq(p.ifsc, 254);
    ck_assert_uint_eq(p.bwi, 4);
    ck_assert_uint_eq(p.cwi, 5);
    ck_assert_uint_eq(p.edc, ATR_EDC_LRC);
    ck_assert_uint_eq(p.wi, 10);
    ck_assert(!p.specific);
    ck_assert_uint_eq(p.nhist, 6);
    ck_assert_mem_eq(p.hist, "CSLDR\x01", 6);
    /* the parsed struct builds the same bytes */
    int m = atr_build(&p, again, sizeof again);
    ck_assert_int_eq(m, n);
    ck_assert_mem_eq(again, out, (size_t)n);
    /* etu = 512/32 = 16 clocks; CWT = 11 + 2^5 = 43 etu */
    ck_assert_uint_eq(atr_etu_to_clocks(1, p.fi, p.di), 16);
    ck_assert_uint_eq(atr_cwt_etu(p.cwi), 43);
    ck_assert_uint_eq(atr_bwt_clocks(p.bwi, p.fi, p.di),
                      11 * 16 + 16 * 960 * 372);
}
END_TEST

START_TEST(atr_cos_version_byte)
{
    /* "CSCOS" 02: only the historical bytes and TCK change */
    atr_t a, p;
    uint8_t out[ATR_MAX_LEN];
    loader_atr_struct(&a);
    memcpy(a.hist, "CSCOS\x02", 6);
    int n = atr_build(&a, out, sizeof out);
    ASSERT_BYTES(out, n, "3B F6 96 00 00 81 31 FE 45 43 53 43 4F 53 02 26");
    ck_assert_int_eq(atr_parse(out, (size_t)n, &p), ATR_OK);
    ck_assert_mem_eq(p.hist, "CSCOS", 5);
    ck_assert_uint_eq(p.hist[5], 2);
}
END_TEST

START_TEST(atr_emv_t0_only)
{
    /* EMV payment card, T=0 only: no TD1, so no TCK */
    uint8_t b[ATR_MAX_LEN], out[ATR_MAX_LEN];
    size_t n = hex("3B 6E 00 00 80 31 80 66 B0 84 12 01 6E 01 83 00 90 00", b);
    atr_t a;
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_OK);
    ck_assert(!a.has_tck);
    ck_assert_uint_eq(a.ngroups, 1);
    ck_assert_uint_eq(a.protocols, 1u << 0);
    ck_assert_uint_eq(a.t_first, 0);
    ck_assert_uint_eq(a.fi, 372);
    ck_assert_uint_eq(a.di, 1);
    ck_assert_uint_eq(a.g[0].present, ATR_TB | ATR_TC);
    ck_assert_uint_eq(a.n, 0);
    ck_assert_uint_eq(a.wi, 10);
    ck_assert_uint_eq(a.nhist, 14);
    ck_assert_uint_eq(a.hist[0], 0x80);
    ck_assert_uint_eq(a.hist[13], 0x00);
    ck_assert_int_eq(atr_build(&a, out, sizeof out), (int)n);
    ck_assert_mem_eq(out, b, n);
    /* WWT with the default WI = 10, Fi = 372: 960 * 10 * 372 clocks */
    ck_assert_uint_eq(atr_wwt_clocks(a.wi, a.fi), 3571200);

    n = hex("3B 68 00 00 80 66 A2 06 02 01 32 0E", b);
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_OK);
    ck_assert_uint_eq(a.nhist, 8);
    ck_assert_uint_eq(a.protocols, 1);
}
END_TEST

START_TEST(atr_javacard_t1)
{
    /* NXP JCOP v2.4.1 ("JCOP v241"): TA1 = 13 (Fi 372, Di 4) */
    uint8_t b[ATR_MAX_LEN], out[ATR_MAX_LEN];
    size_t n = hex("3B F8 13 00 00 81 31 FE 45 4A 43 4F 50 76 32 34 31 B7", b);
    atr_t a;
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_OK);
    ck_assert_uint_eq(a.fi, 372);
    ck_assert_uint_eq(a.di, 4);
    ck_assert_uint_eq(atr_etu_to_clocks(1, a.fi, a.di), 93);
    ck_assert_uint_eq(a.protocols, 2);
    ck_assert_uint_eq(a.ifsc, 254);
    ck_assert_uint_eq(a.bwi, 4);
    ck_assert_uint_eq(a.cwi, 5);
    ck_assert_mem_eq(a.hist, "JCOPv241", 8);
    ck_assert_uint_eq(a.tck, 0xB7);
    ck_assert_int_eq(atr_build(&a, out, sizeof out), (int)n);
    ck_assert_mem_eq(out, b, n);

    /* YubiKey (JavaCard-like, T=1, BWI 1, CWI 5) */
    n = hex("3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4", b);
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_OK);
    ck_assert_uint_eq(a.bwi, 1);
    ck_assert_uint_eq(a.cwi, 5);
    ck_assert_mem_eq(a.hist, "Yubikey4", 8);
}
END_TEST

START_TEST(atr_t0_and_t1_with_crc)
{
    /* Both protocols (T=0 first), TC2 = WI 20, T=1 with CRC and IFSC 128 */
    atr_t a, p;
    uint8_t out[ATR_MAX_LEN];
    memset(&a, 0, sizeof a);
    a.ts = ATR_TS_DIRECT;
    a.ngroups = 3;
    a.g[0].present = ATR_TA;
    a.g[0].ta = 0x18;                   /* Fi 372, Di 12: 31 clocks */
    a.g[1].t = 0;
    a.g[1].present = ATR_TC;
    a.g[1].tc = 20;
    a.g[2].t = 1;
    a.g[2].present = ATR_TA | ATR_TB | ATR_TC;
    a.g[2].ta = 0x80;
    a.g[2].tb = 0x73;
    a.g[2].tc = 0x01;
    int n = atr_build(&a, out, sizeof out);
    /* T0 = 90, TD1 = C0 (TC2, TD2; T=0), TD2 = 71 (TA3 TB3 TC3; T=1) */
    ASSERT_BYTES(out, n, "3B 90 18 C0 14 71 80 73 01 DF");
    ck_assert_int_eq(atr_parse(out, (size_t)n, &p), ATR_OK);
    ck_assert_uint_eq(p.protocols, 3);
    ck_assert_uint_eq(p.t_first, 0);
    ck_assert_uint_eq(p.wi, 20);
    ck_assert_uint_eq(p.di, 12);
    ck_assert_uint_eq(atr_etu_to_clocks(1, p.fi, p.di), 31);
    ck_assert_uint_eq(p.ifsc, 128);
    ck_assert_uint_eq(p.bwi, 7);
    ck_assert_uint_eq(p.cwi, 3);
    ck_assert_uint_eq(p.edc, ATR_EDC_CRC);
}
END_TEST

START_TEST(atr_errors)
{
    uint8_t b[ATR_MAX_LEN + 2];
    atr_t a;
    size_t n = hex(LOADER_ATR, b);
    /* every proper prefix is truncated */
    for (size_t k = 0; k < n; k++)
        ck_assert_int_eq(atr_parse(b, k, &a), ATR_ERR_TRUNCATED);
    /* the length is known once TB3 is in (9 bytes) */
    ck_assert_int_eq(atr_length(b, 8), ATR_ERR_TRUNCATED);
    ck_assert_int_eq(atr_length(b, 9), 16);
    ck_assert_int_eq(atr_length(b, n), 16);
    /* bad TCK */
    b[n - 1] ^= 0x01;
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_ERR_TCK);
    b[n - 1] ^= 0x01;
    /* a historical byte changed: TCK no longer matches */
    b[10] ^= 0x20;
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_ERR_TCK);
    b[10] ^= 0x20;
    /* bad TS */
    b[0] = 0x3C;
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_ERR_TS);
    ck_assert_int_eq(atr_length(b, 1), ATR_ERR_TS);
    b[0] = 0x3B;
    /* a byte after the end */
    b[n] = 0x00;
    ck_assert_int_eq(atr_parse(b, n + 1, &a), ATR_ERR_LENGTH);
    /* RFU FI = 7 (TCK fixed up so only the value is wrong) */
    b[2] = 0x76;
    b[n - 1] ^= 0x96 ^ 0x76;
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_ERR_VALUE);
    /* IFSC = FF is RFU */
    n = hex("3B 80 81 11 FF EF", b);  /* TD1 81, TD2 11 (TA3), TA3 FF */
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_ERR_VALUE);
    /* 15 historical bytes and a long chain push it over 33 bytes */
    n = hex("3B FF 11 00 00 F1 00 00 00 F1 00 00 00 F1 00 00 00 71 00 00 00", b);
    ck_assert_int_eq(atr_length(b, n), ATR_ERR_LENGTH);
    /* T=0-only: no TCK expected, so a 13th byte is too many */
    n = hex("3B 68 00 00 80 66 A2 06 02 01 32 0E 00", b);
    ck_assert_int_eq(atr_parse(b, n, &a), ATR_ERR_LENGTH);
    /* build: bad TS, too many historical bytes, buffer too small */
    loader_atr_struct(&a);
    a.ts = 0x3C;
    ck_assert_int_eq(atr_build(&a, b, sizeof b), ATR_ERR_PARAM);
    loader_atr_struct(&a);
    a.nhist = 16;
    ck_assert_int_eq(atr_build(&a, b, sizeof b), ATR_ERR_PARAM);
    loader_atr_struct(&a);
    ck_assert_int_eq(atr_build(&a, b, 15), ATR_ERR_PARAM);
}
END_TEST

START_TEST(atr_inverse_convention)
{
    uint8_t logical[ATR_MAX_LEN], raw[ATR_MAX_LEN];
    size_t n = hex(LOADER_ATR, logical);
    atr_t a, p;
    ck_assert_uint_eq(atr_inverse_byte(0x3F), 0x03);
    ck_assert_uint_eq(atr_inverse_byte(0x03), 0x3F);
    /* inverse-convention ATR, bytes decoded by the UART: TS = 3F */
    logical[0] = ATR_TS_INVERSE;
    ck_assert_int_eq(atr_parse(logical, n, &a), ATR_OK);
    ck_assert(a.inverse);
    ck_assert_uint_eq(a.fi, 512);
    /* the same bytes as read in direct convention off the line */
    for (size_t i = 0; i < n; i++)
        raw[i] = atr_inverse_byte(logical[i]);
    ck_assert_uint_eq(raw[0], 0x03);
    ck_assert_int_eq(atr_parse(raw, n, &p), ATR_OK);
    ck_assert(p.inverse);
    ck_assert_uint_eq(p.ts, ATR_TS_INVERSE);
    ck_assert_uint_eq(p.ifsc, 254);
    ck_assert_mem_eq(p.hist, "CSLDR\x01", 6);
    ck_assert_int_eq(atr_length(raw, n), (int)n);
}
END_TEST

START_TEST(atr_tables_and_timing)
{
    ck_assert_uint_eq(atr_fi_value(0), 372);
    ck_assert_uint_eq(atr_fi_value(1), 372);
    ck_assert_uint_eq(atr_fi_value(6), 1860);
    ck_assert_uint_eq(atr_fi_value(7), 0);
    ck_assert_uint_eq(atr_fi_value(9), 512);
    ck_assert_uint_eq(atr_fi_value(13), 2048);
    ck_assert_uint_eq(atr_di_value(0), 0);
    ck_assert_uint_eq(atr_di_value(6), 32);
    ck_assert_uint_eq(atr_di_value(8), 12);
    ck_assert_uint_eq(atr_di_value(9), 20);
    ck_assert_uint_eq(atr_fmax_khz(10), 7500);
    /* 372/32 = 11.625 clocks: a count of etu rounds up, one etu to nearest */
    ck_assert_uint_eq(atr_etu_to_clocks(1, 372, 32), 12);
    ck_assert_uint_eq(atr_etu_to_clocks(8, 372, 32), 93);
    ck_assert_uint_eq(atr_etu_to_clocks(12, 372, 32), 140);
    ck_assert_uint_eq(atr_etu_clocks_round(372, 32), 12);
    ck_assert_uint_eq(atr_etu_clocks_round(372, 20), 19);  /* 18.6 */
    ck_assert_uint_eq(atr_etu_clocks_round(512, 32), 16);
    ck_assert_uint_eq(atr_etu_to_clocks(1, 372, 0), 0);
    /* BWT default (BWI 4) at Fi 372, Di 1 */
    ck_assert_uint_eq(atr_bwt_clocks(4, 372, 1), 11 * 372 + 16 * 960 * 372);
    ck_assert_uint_eq(atr_cwt_etu(13), 8203);
    ck_assert_uint_eq(atr_guard_etu(0, 0), 12);
    ck_assert_uint_eq(atr_guard_etu(2, 0), 14);
    ck_assert_uint_eq(atr_guard_etu(255, 0), 12);
    ck_assert_uint_eq(atr_guard_etu(255, 1), 11);
    ck_assert_uint_eq(ATR_BGT_ETU, 22);
}
END_TEST

/* PPS ------------------------------------------------------------------- */

START_TEST(pps_fast_rate_echo)
{
    uint8_t req[PPS_MAX_LEN], ans[PPS_MAX_LEN];
    pps_t r = { .t = 1, .present = PPS0_PPS1, .pps1 = 0x96 };
    int n = pps_build(&r, req, sizeof req);
    ASSERT_BYTES(req, n, "FF 11 96 78");
    ck_assert_int_eq(pps_length(req, 1), PPS_ERR_TRUNCATED);
    ck_assert_int_eq(pps_length(req, 2), 4);

    /* the card that offered TA1 = 96 and T=1 echoes it */
    pps_card_caps_t caps = { .protocols = 1u << 1, .ta1 = 0x96 };
    pps_t agreed;
    int m = pps_card_answer(req, (size_t)n, &caps, ans, sizeof ans, &agreed);
    ASSERT_BYTES(ans, m, "FF 11 96 78");
    ck_assert_uint_eq(agreed.pps1, 0x96);

    pps_t term;
    ck_assert_int_eq(pps_check_answer(&r, ans, (size_t)m, &term), PPS_OK);
    ck_assert(term.present & PPS0_PPS1);
    ck_assert_uint_eq(atr_fi_value(term.pps1 >> 4), 512);
    ck_assert_uint_eq(atr_di_value(term.pps1 & 15), 32);

    /* the same for T=0 */
    r.t = 0;
    n = pps_build(&r, req, sizeof req);
    ASSERT_BYTES(req, n, "FF 10 96 79");
    /* ... which this card does not offer: it stays silent */
    ck_assert_int_eq(pps_card_answer(req, (size_t)n, &caps, ans, sizeof ans,
                                     &agreed), PPS_ERR_REFUSED);
}
END_TEST

START_TEST(pps_partial_and_refused)
{
    uint8_t b[8], ans[PPS_MAX_LEN];
    pps_t r = { .t = 1, .present = PPS0_PPS1, .pps1 = 0x96 }, agreed;
    pps_card_caps_t caps = { .protocols = 2, .ta1 = 0x96 };
    size_t n;

    /* answer without PPS1: success at the default Fd/Dd */
    n = hex("FF 01 FE", b);
    ck_assert_int_eq(pps_check_answer(&r, b, n, &agreed), PPS_OK);
    ck_assert(!(agreed.present & PPS0_PPS1));
    /* another PPS1, another T, a PPS2 not asked for: refused */
    n = hex("FF 11 95 7B", b);
    ck_assert_int_eq(pps_check_answer(&r, b, n, &agreed), PPS_ERR_REFUSED);
    n = hex("FF 10 96 79", b);
    ck_assert_int_eq(pps_check_answer(&r, b, n, &agreed), PPS_ERR_REFUSED);
    n = hex("FF 31 96 00 58", b);
    ck_assert_int_eq(pps_check_answer(&r, b, n, &agreed), PPS_ERR_REFUSED);
    /* bad PCK, bad PPSS, truncated, trailing byte */
    n = hex("FF 11 96 77", b);
    ck_assert_int_eq(pps_check_answer(&r, b, n, &agreed), PPS_ERR_PCK);
    n = hex("FE 11 96 79", b);
    ck_assert_int_eq(pps_parse(b, n, &agreed), PPS_ERR_FORMAT);
    n = hex("FF 11 96", b);
    ck_assert_int_eq(pps_parse(b, n, &agreed), PPS_ERR_TRUNCATED);
    n = hex("FF 11 96 78 00", b);
    ck_assert_int_eq(pps_parse(b, n, &agreed), PPS_ERR_FORMAT);

    /* card side: Di 64 (above the offered 32) -> answer keeps defaults */
    n = hex("FF 11 97 79", b);
    int m = pps_card_answer(b, n, &caps, ans, sizeof ans, &agreed);
    ASSERT_BYTES(ans, m, "FF 01 FE");
    /* Di 16 with the offered Fi is fine; PPS2 is left out */
    n = hex("FF 31 95 01 5A", b);
    m = pps_card_answer(b, n, &caps, ans, sizeof ans, &agreed);
    ASSERT_BYTES(ans, m, "FF 11 95 7B");
    /* default rate asked: echoed */
    n = hex("FF 11 11 FF", b);
    m = pps_card_answer(b, n, &caps, ans, sizeof ans, &agreed);
    ASSERT_BYTES(ans, m, "FF 11 11 FF");
    /* bad PCK: silence */
    n = hex("FF 11 96 00", b);
    ck_assert_int_eq(pps_card_answer(b, n, &caps, ans, sizeof ans, &agreed),
                     PPS_ERR_PCK);
}
END_TEST

/* APDU ------------------------------------------------------------------ */

START_TEST(apdu_cases)
{
    uint8_t b[320], out[300];
    apdu_cmd_t c;
    size_t n;

    n = hex("80 EC 00 00", b);
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_OK);
    ck_assert_uint_eq(c.apdu_case, APDU_CASE_1);
    ck_assert_uint_eq(c.nc, 0);
    ck_assert_uint_eq(c.ne, 0);

    n = hex("80 F2 00 00 07", b);
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_OK);
    ck_assert_uint_eq(c.apdu_case, APDU_CASE_2S);
    ck_assert_uint_eq(c.ne, 7);
    b[4] = 0;
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_OK);
    ck_assert_uint_eq(c.ne, 256);

    n = hex("00 A4 04 00 06 A0 00 00 09 99 01", b);
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_OK);
    ck_assert_uint_eq(c.apdu_case, APDU_CASE_3S);
    ck_assert_uint_eq(c.cla, 0x00);
    ck_assert_uint_eq(c.ins, 0xA4);
    ck_assert_uint_eq(c.p1, 0x04);
    ck_assert_uint_eq(c.nc, 6);
    ck_assert_ptr_eq(c.data, b + 5);
    ck_assert_int_eq(apdu_build(&c, out, sizeof out), (int)n);
    ck_assert_mem_eq(out, b, n);

    n = hex("00 A4 04 00 06 A0 00 00 09 99 01 00", b);
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_OK);
    ck_assert_uint_eq(c.apdu_case, APDU_CASE_4S);
    ck_assert_uint_eq(c.ne, 256);
    ck_assert_int_eq(apdu_build(&c, out, sizeof out), (int)n);
    ck_assert_mem_eq(out, b, n);

    /* extended length: recognised, refused */
    n = hex("00 B0 00 00 00 01 00", b);
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_ERR_EXTENDED);
    n = hex("80 E8 00 00 00 01 2C", b);
    memset(b + n, 0x5A, 300);
    ck_assert_int_eq(apdu_parse(b, n + 300, &c), APDU_ERR_EXTENDED);
    /* wrong lengths */
    n = hex("00 A4 04 00 06 A0", b);
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_ERR_LENGTH);
    n = hex("00 A4 04 00 00 A0", b);
    ck_assert_int_eq(apdu_parse(b, n, &c), APDU_ERR_LENGTH);
    ck_assert_int_eq(apdu_parse(b, 3, &c), APDU_ERR_SHORT);
    /* build limits */
    c.nc = 256;
    ck_assert_int_eq(apdu_build(&c, out, sizeof out), APDU_ERR_PARAM);
    c.nc = 0;
    c.ne = 257;
    ck_assert_int_eq(apdu_build(&c, out, sizeof out), APDU_ERR_PARAM);
    c.ne = 256;
    ck_assert_int_eq(apdu_build(&c, out, 4), APDU_ERR_PARAM);
    ck_assert_int_eq(apdu_build(&c, out, 5), 5);
    ck_assert_uint_eq(out[4], 0x00);
}
END_TEST

START_TEST(apdu_responses)
{
    uint8_t out[16];
    const uint8_t ver[4] = { 0, 0, 0, 2 };
    int n = apdu_response(out, sizeof out, ver, 4, SW_OK);
    ASSERT_BYTES(out, n, "00 00 00 02 90 00");
    ck_assert_uint_eq(apdu_sw(out, (size_t)n), SW_OK);
    /* data already in place */
    n = apdu_response(out, sizeof out, out, 2, SW_BYTES_REMAINING(0x10));
    ASSERT_BYTES(out, n, "00 00 61 10");
    n = apdu_response(out, sizeof out, NULL, 0, SW_WRONG_LE(8));
    ASSERT_BYTES(out, n, "6C 08");
    ck_assert_int_eq(apdu_response(out, 3, ver, 2, SW_OK), APDU_ERR_PARAM);
    ck_assert_uint_eq(apdu_sw(out, 1), 0);
    ck_assert_uint_eq(SW_PIN_TRIES(2), 0x63C2);
    ck_assert_uint_eq(APDU_SW1(SW_CONDITIONS), 0x69);
    ck_assert_uint_eq(APDU_SW2(SW_CONDITIONS), 0x85);
}
END_TEST

/* T=1 blocks ------------------------------------------------------------- */

START_TEST(t1_block_bytes)
{
    uint8_t out[T1_BLOCK_MAX], inf[8];
    size_t k = hex("00 A4 04 00 00", inf);
    int n = t1_block_encode(out, sizeof out, 0x00, inf, k, T1_EDC_LRC);
    ASSERT_BYTES(out, n, "00 00 05 00 A4 04 00 00 A5");
    n = t1_block_encode(out, sizeof out, T1_PCB_R | T1_PCB_R_NR, NULL, 0,
                        T1_EDC_LRC);
    ASSERT_BYTES(out, n, "00 90 00 90");
    uint8_t v = 0xFE;
    n = t1_block_encode(out, sizeof out, T1_PCB_S | T1_S_IFS, &v, 1,
                        T1_EDC_LRC);
    ASSERT_BYTES(out, n, "00 C1 01 FE 3E");
    v = 2;
    n = t1_block_encode(out, sizeof out,
                        T1_PCB_S | T1_PCB_S_RESPONSE | T1_S_WTX, &v, 1,
                        T1_EDC_LRC);
    ASSERT_BYTES(out, n, "00 E3 01 02 E0");

    /* CRC: check value of the reflected 0x8408 / FFFF CRC-16 */
    ck_assert_uint_eq(t1_crc((const uint8_t *)"123456789", 9), 0x6F91);
    n = t1_block_encode(out, sizeof out, 0x00, inf, k, T1_EDC_CRC);
    ck_assert_int_eq(n, 10);
    uint16_t c = t1_crc(out, 8);
    ck_assert_uint_eq(out[8], c >> 8);
    ck_assert_uint_eq(out[9], c & 0xFF);
    t1_block_t b;
    ck_assert_int_eq(t1_block_decode(out, 10, T1_EDC_CRC, &b), T1_OK);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_mem_eq(b.inf, inf, 5);
    out[4] ^= 0x01;
    ck_assert_int_eq(t1_block_decode(out, 10, T1_EDC_CRC, &b), T1_ERR_EDC);
    ck_assert_uint_eq(t1_block_size(5, T1_EDC_CRC), 10);
    ck_assert_uint_eq(t1_block_size(254, T1_EDC_LRC), 258);
    ck_assert_int_eq(t1_block_encode(out, 8, 0x00, inf, k, T1_EDC_LRC),
                     T1_ERR_PARAM);
}
END_TEST

START_TEST(t1_block_decode_errors)
{
    uint8_t b[16];
    t1_block_t blk;
    size_t n;
    n = hex("00 00 05 00 A4 04 00 00 A5", b);
    ck_assert_int_eq(t1_block_decode(b, n, T1_EDC_LRC, &blk), T1_OK);
    ck_assert_int_eq(t1_block_decode(b, n - 1, T1_EDC_LRC, &blk), T1_ERR_FORMAT);
    b[8] ^= 0xFF;
    ck_assert_int_eq(t1_block_decode(b, n, T1_EDC_LRC, &blk), T1_ERR_EDC);
    /* well-formed EDC, bad PCB/INF combinations */
    const char *bad[] = {
        "00 01 00 01",          /* I-block with low PCB bits */
        "00 80 01 00 81",       /* R-block with INF */
        "00 83 00 83",          /* R-block error code 3 */
        "00 A0 00 A0",          /* R-block bit 6 */
        "00 C1 00 C1",          /* S(IFS) without INF */
        "00 C0 01 00 C1",       /* S(RESYNCH) with INF */
        "00 C4 00 C4",          /* S type 4 */
        "00 00 FF 00",          /* LEN = FF */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = hex(bad[i], b);
        ck_assert_int_eq(t1_block_decode(b, n, T1_EDC_LRC, &blk), T1_ERR_FORMAT);
    }
}
END_TEST

/* T=1 terminal and card back to back --------------------------------------- */

#define MAXLOG 256

typedef struct rig {
    t1_t term, card;
    uint8_t term_rx[1024], card_rx[1024];
    uint8_t resp[1024];         /* what the card answers */
    size_t resp_len;
    uint8_t cmd_seen[1024];     /* what the card got */
    size_t cmd_len;
    int commands;
    /* card application */
    uint8_t wtx, ifs;           /* ask for these once per command (0: no) */
    bool wtx_done, ifs_done, answered;
    int wait_timeouts;          /* stay silent until the terminal has
                                 * timed out this many times */
    /* line faults, by block index in each direction */
    uint64_t t2c_bad, c2t_bad, t2c_lost, c2t_lost;
    bool c2t_all_lost;
    /* log */
    int t2c_n, c2t_n, timeouts;
    uint8_t t2c_pcb[MAXLOG], c2t_pcb[MAXLOG];
    uint32_t t2c_wait[MAXLOG];  /* t1_timeout_clocks after each block */
} rig_t;

static rig_t *rig_new(uint8_t ifsc, uint8_t edc, size_t term_cap,
                      size_t card_cap)
{
    rig_t *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    t1_params_t p = { .ifsc = ifsc, .edc = edc, .bwi = 4, .fi = 512,
                      .di = 32 };
    p.rx_buf = r->term_rx;
    p.rx_cap = term_cap;
    ck_assert_int_eq(t1_init(&r->term, T1_TERMINAL, &p), T1_OK);
    p.rx_buf = r->card_rx;
    p.rx_cap = card_cap;
    ck_assert_int_eq(t1_init(&r->card, T1_CARD, &p), T1_OK);
    return r;
}

static void card_app(rig_t *r)
{
    t1_t *c = &r->card;
    if (t1_status(c) == T1_APDU) {
        size_t n = t1_take_apdu(c);
        memcpy(r->cmd_seen, r->card_rx, n);
        r->cmd_len = n;
        r->commands++;
        r->wtx_done = r->ifs_done = r->answered = false;
    }
    if (t1_status(c) != T1_PROCESSING || r->answered)
        return;
    if (r->timeouts < r->wait_timeouts)
        return;
    if (r->wtx && !r->wtx_done) {
        if (t1_request_wtx(c, r->wtx) == T1_OK)
            r->wtx_done = true;
        return;
    }
    if (r->ifs && !r->ifs_done) {
        if (t1_request_ifs(c, r->ifs) == T1_OK)
            r->ifs_done = true;
        return;
    }
    /* The response is built in the receive buffer, as firmware would. */
    memcpy(r->card_rx, r->resp, r->resp_len);
    ck_assert_int_eq(t1_send_apdu(c, r->card_rx, r->resp_len), T1_OK);
    r->answered = true;
}

static bool bit(uint64_t set, int i)
{
    return i < 64 && (set >> i) & 1;
}

/* Moves blocks both ways until nothing moves; expires BWT when the
 * terminal waits and nothing comes. */
static void rig_run(rig_t *r)
{
    uint8_t blk[T1_BLOCK_MAX];
    for (int step = 0; step < 2000; step++) {
        bool moved = false;
        int n = t1_next_tx(&r->term, blk, sizeof blk);
        ck_assert_int_ge(n, 0);
        if (n > 0) {
            int i = r->t2c_n++;
            ck_assert_int_lt(i, MAXLOG);
            r->t2c_pcb[i] = blk[1];
            r->t2c_wait[i] = t1_timeout_clocks(&r->term);
            if (bit(r->t2c_bad, i))
                blk[n - 1] ^= 0x5A;  /* EDC no longer matches */
            if (!bit(r->t2c_lost, i))
                t1_rx_block(&r->card, blk, (size_t)n, false);
            moved = true;
        }
        card_app(r);
        n = t1_next_tx(&r->card, blk, sizeof blk);
        ck_assert_int_ge(n, 0);
        if (n > 0) {
            int i = r->c2t_n++;
            ck_assert_int_lt(i, MAXLOG);
            r->c2t_pcb[i] = blk[1];
            if (bit(r->c2t_bad, i))
                blk[n - 1] ^= 0x5A;
            if (!bit(r->c2t_lost, i) && !r->c2t_all_lost)
                t1_rx_block(&r->term, blk, (size_t)n, false);
            moved = true;
        }
        if (moved)
            continue;
        if (t1_timeout_clocks(&r->term)) {
            r->timeouts++;
            t1_timeout(&r->term);
            continue;
        }
        return;
    }
    ck_abort_msg("rig did not settle");
}

static void pattern(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* Runs one exchange of cmd -> r->resp; returns the terminal's status. */
static t1_status_t exchange(rig_t *r, const uint8_t *cmd, size_t len)
{
    ck_assert_int_eq(t1_send_apdu(&r->term, cmd, len), T1_OK);
    rig_run(r);
    return t1_status(&r->term);
}

static void assert_pcbs(const uint8_t *got, int n, const char *hexstr)
{
    uint8_t exp[MAXLOG];
    size_t en = hex(hexstr, exp);
    if ((size_t)n != en || memcmp(got, exp, en) != 0) {
        char line[3 * MAXLOG + 1] = "";
        for (int i = 0; i < n && i < MAXLOG; i++)
            snprintf(line + 3 * i, 4, "%02X ", got[i]);
        ck_abort_msg("PCBs %s, expected %s", line, hexstr);
    }
}

START_TEST(t1_simple_exchange_bytes)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t blk[T1_BLOCK_MAX], cmd[8];
    size_t k = hex("00 A4 04 00 00", cmd);

    /* Terminal's first I-block: N(S) = 0 */
    ck_assert_int_eq(t1_send_apdu(&r->term, cmd, k), T1_OK);
    ck_assert_int_eq(t1_status(&r->term), T1_BUSY);
    int n = t1_next_tx(&r->term, blk, sizeof blk);
    ASSERT_BYTES(blk, n, "00 00 05 00 A4 04 00 00 A5");
    ck_assert_uint_eq(t1_timeout_clocks(&r->term), 11 * 16 + 16 * 960 * 372);
    ck_assert_int_eq(t1_next_tx(&r->term, blk, sizeof blk), 0);

    ck_assert_int_eq(t1_rx_block(&r->card, blk, (size_t)n, false), T1_OK);
    ck_assert_int_eq(t1_status(&r->card), T1_APDU);
    ck_assert_uint_eq(t1_take_apdu(&r->card), 5);
    ck_assert_mem_eq(r->card_rx, cmd, 5);
    ck_assert_int_eq(t1_status(&r->card), T1_PROCESSING);
    ck_assert_uint_eq(t1_timeout_clocks(&r->card), 0);

    uint8_t ok[2] = { 0x90, 0x00 };
    ck_assert_int_eq(t1_send_apdu(&r->card, ok, 2), T1_OK);
    n = t1_next_tx(&r->card, blk, sizeof blk);
    ASSERT_BYTES(blk, n, "00 00 02 90 00 92");
    ck_assert_int_eq(t1_status(&r->card), T1_IDLE);

    ck_assert_int_eq(t1_rx_block(&r->term, blk, (size_t)n, false), T1_OK);
    ck_assert_int_eq(t1_status(&r->term), T1_APDU);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 2);
    ck_assert_mem_eq(r->term_rx, ok, 2);
    ck_assert_int_eq(t1_status(&r->term), T1_IDLE);
    ck_assert_uint_eq(t1_timeout_clocks(&r->term), 0);

    /* Second exchange: both N(S) are 1 now */
    ck_assert_int_eq(t1_send_apdu(&r->term, cmd, k), T1_OK);
    n = t1_next_tx(&r->term, blk, sizeof blk);
    ASSERT_BYTES(blk, n, "00 40 05 00 A4 04 00 00 E5");
    ck_assert_int_eq(t1_rx_block(&r->card, blk, (size_t)n, false), T1_OK);
    ck_assert_uint_eq(t1_take_apdu(&r->card), 5);
    ck_assert_int_eq(t1_send_apdu(&r->card, ok, 2), T1_OK);
    n = t1_next_tx(&r->card, blk, sizeof blk);
    ASSERT_BYTES(blk, n, "00 40 02 90 00 D2");
    ck_assert_int_eq(t1_rx_block(&r->term, blk, (size_t)n, false), T1_OK);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 2);

    /* a block while the terminal waits for nothing is ignored */
    ck_assert_int_eq(t1_rx_block(&r->term, blk, (size_t)n, false),
                     T1_ERR_STATE);
    free(r);
}
END_TEST

START_TEST(t1_chaining_both_ways_with_faults)
{
    /* IFSC 32 from the ATR; the terminal announces IFSD 254. A 300-byte
     * command goes in 10 blocks (9 x 32 + 12), the third one corrupted;
     * the card asks for WTX 2, then answers 500 bytes in 2 blocks (254 +
     * 246), the first one corrupted. */
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    ck_assert_int_eq(t1_request_ifs(&r->term, 254), T1_OK);
    ck_assert_int_eq(t1_status(&r->term), T1_BUSY);
    rig_run(r);
    ck_assert_int_eq(t1_status(&r->term), T1_IDLE);
    ck_assert_uint_eq(t1_ifsd(&r->term), 254);
    ck_assert_uint_eq(t1_ifsd(&r->card), 254);
    ck_assert_uint_eq(t1_ifsc(&r->term), 32);

    uint8_t cmd[300];
    pattern(cmd, sizeof cmd, 0x11);
    pattern(r->resp, 500, 0x77);
    r->resp_len = 500;
    r->wtx = 2;
    r->t2c_bad = 1ull << 3;   /* S(IFS) is block 0: the 3rd I-block */
    r->c2t_bad = 1ull << 12;  /* first response I-block */
    ck_assert_int_eq(exchange(r, cmd, sizeof cmd), T1_APDU);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 500);
    ck_assert_mem_eq(r->term_rx, r->resp, 500);
    ck_assert_uint_eq(r->cmd_len, 300);
    ck_assert_mem_eq(r->cmd_seen, cmd, 300);
    ck_assert_int_eq(r->timeouts, 0);

    /* terminal: S(IFS req), I-blocks N(S) 0/1 with M, the corrupted one
     * (20) sent again, the last (40), S(WTX resp), R(0) EDC error, R(1) */
    assert_pcbs(r->t2c_pcb, r->t2c_n,
                "C1 20 60 20 20 60 20 60 20 60 20 40 E3 81 90");
    /* card: S(IFS resp), R-blocks acknowledging each chained block, R(0)
     * EDC error for the corrupted one, S(WTX req), I-blocks (the first
     * twice) */
    assert_pcbs(r->c2t_pcb, r->c2t_n,
                "E1 90 80 81 90 80 90 80 90 80 90 C3 20 20 40");
    /* BWT x 2 after S(WTX resp) (block 12), plain BWT before and after */
    uint32_t bwt = 11 * 16 + 16 * 960 * 372;
    ck_assert_uint_eq(r->t2c_wait[11], bwt);
    ck_assert_uint_eq(r->t2c_wait[12], 2 * bwt);
    ck_assert_uint_eq(r->t2c_wait[13], bwt);

    /* the next exchange starts with N(S) = 0 both ways again */
    int t0 = r->t2c_n, c0 = r->c2t_n;
    r->wtx = 0;
    r->t2c_bad = r->c2t_bad = 0;
    r->resp_len = 2;
    r->resp[0] = 0x90;
    r->resp[1] = 0x00;
    ck_assert_int_eq(exchange(r, cmd, 4), T1_APDU);
    ck_assert_uint_eq(r->t2c_pcb[t0], 0x00);
    ck_assert_uint_eq(r->c2t_pcb[c0], 0x00);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 2);
    free(r);
}
END_TEST

START_TEST(t1_default_ifsd_response_chain)
{
    /* Without S(IFS) the card sends at most 32 bytes per block */
    rig_t *r = rig_new(254, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[5] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    pattern(r->resp, 500, 3);
    r->resp_len = 500;
    ck_assert_int_eq(exchange(r, cmd, 5), T1_APDU);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 500);
    ck_assert_mem_eq(r->term_rx, r->resp, 500);
    /* 16 card I-blocks (15 x 32 + 20), 15 acknowledgements */
    ck_assert_int_eq(r->c2t_n, 16);
    ck_assert_int_eq(r->t2c_n, 16);
    ck_assert_uint_eq(r->c2t_pcb[0], 0x20);
    ck_assert_uint_eq(r->c2t_pcb[1], 0x60);
    ck_assert_uint_eq(r->c2t_pcb[15], 0x40);
    ck_assert_uint_eq(r->t2c_pcb[1], 0x90);
    ck_assert_uint_eq(r->t2c_pcb[2], 0x80);
    free(r);
}
END_TEST

START_TEST(t1_lost_blocks_and_bad_acks)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[100];
    pattern(cmd, sizeof cmd, 9);
    pattern(r->resp, 100, 1);
    r->resp_len = 100;
    /* t2c: I I I I(last) R R R ; c2t: R R R I I I I
     * lose the card's 2nd response block, corrupt the terminal's 2nd
     * acknowledgement */
    r->c2t_lost = 1ull << 4;
    r->t2c_bad = 1ull << 5;
    ck_assert_int_eq(exchange(r, cmd, sizeof cmd), T1_APDU);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 100);
    ck_assert_mem_eq(r->term_rx, r->resp, 100);
    ck_assert_mem_eq(r->cmd_seen, cmd, 100);
    ck_assert_int_eq(r->timeouts, 1);
    /* After the lost block: BWT, then R(1) "other error" (the N(R) of the
     * acknowledgement before it), corrupted on the way; the card answers
     * the bad block with R(0) "EDC error" (its own N(R)); the terminal
     * asks again with R(1), which brings the lost block back (60). */
    assert_pcbs(r->t2c_pcb, r->t2c_n, "20 60 20 40 90 92 92 80 90");
    assert_pcbs(r->c2t_pcb, r->c2t_n, "90 80 90 20 60 81 60 20 40");
    free(r);
}
END_TEST

START_TEST(t1_slow_card_times_out_then_answers)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[4] = { 0x80, 0xEC, 0x00, 0x00 };
    r->resp[0] = 0x90;
    r->resp[1] = 0x00;
    r->resp_len = 2;
    r->wait_timeouts = 2;  /* two BWTs without a word (no WTX) */
    ck_assert_int_eq(exchange(r, cmd, 4), T1_APDU);
    ck_assert_int_eq(r->timeouts, 2);
    /* the R-blocks asking again are ignored by the busy card */
    assert_pcbs(r->t2c_pcb, r->t2c_n, "00 82 82");
    assert_pcbs(r->c2t_pcb, r->c2t_n, "00");
    ck_assert_uint_eq(t1_take_apdu(&r->term), 2);
    free(r);
}
END_TEST

START_TEST(t1_card_ifs_request_and_crc)
{
    /* CRC on the line; the card raises its IFSC to 64 before answering */
    rig_t *r = rig_new(32, T1_EDC_CRC, 1024, 1024);
    uint8_t cmd[200];
    pattern(cmd, sizeof cmd, 5);
    r->resp[0] = 0x90;
    r->resp[1] = 0x00;
    r->resp_len = 2;
    r->ifs = 64;
    ck_assert_int_eq(exchange(r, cmd, sizeof cmd), T1_APDU);
    ck_assert_uint_eq(t1_ifsc(&r->term), 64);
    ck_assert_uint_eq(t1_ifsc(&r->card), 64);
    assert_pcbs(r->c2t_pcb, r->c2t_n, "90 80 90 80 90 80 C1 00");
    assert_pcbs(r->t2c_pcb, r->t2c_n, "20 60 20 60 20 60 00 E1");
    ck_assert_uint_eq(t1_take_apdu(&r->term), 2);
    /* the next command goes in 64-byte blocks: 64 64 64 8 */
    r->ifs = 0;
    int t0 = r->t2c_n;
    ck_assert_int_eq(exchange(r, cmd, sizeof cmd), T1_APDU);
    ck_assert_int_eq(r->t2c_n - t0, 4);
    ck_assert_mem_eq(r->cmd_seen, cmd, sizeof cmd);
    free(r);
}
END_TEST

START_TEST(t1_s_blocks_under_errors)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    /* S(IFS req) corrupted: the card answers R(0) EDC error, the terminal
     * repeats its request; the card's S(IFS resp) corrupted: the terminal
     * repeats it again (rule 7.3) */
    r->t2c_bad = 1ull << 0;
    r->c2t_bad = 1ull << 1;
    ck_assert_int_eq(t1_request_ifs(&r->term, 100), T1_OK);
    rig_run(r);
    ck_assert_int_eq(t1_status(&r->term), T1_IDLE);
    ck_assert_uint_eq(t1_ifsd(&r->term), 100);
    ck_assert_uint_eq(t1_ifsd(&r->card), 100);
    assert_pcbs(r->t2c_pcb, r->t2c_n, "C1 C1 C1");
    assert_pcbs(r->c2t_pcb, r->c2t_n, "81 E1 E1");

    /* S(WTX req 3) corrupted, then S(WTX resp) corrupted: the card repeats
     * its request both times; BWT x 3 after the answer that arrives */
    rig_t *w = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[4] = { 0x80, 0xF2, 0x00, 0x00 };
    w->resp[0] = 0x90;
    w->resp[1] = 0x00;
    w->resp_len = 2;
    w->wtx = 3;
    w->c2t_bad = 1ull << 0;
    w->t2c_bad = 1ull << 2;
    ck_assert_int_eq(exchange(w, cmd, 4), T1_APDU);
    assert_pcbs(w->t2c_pcb, w->t2c_n, "00 81 E3 E3");
    assert_pcbs(w->c2t_pcb, w->c2t_n, "C3 C3 C3 00");
    uint32_t bwt = 11 * 16 + 16 * 960 * 372;
    ck_assert_uint_eq(w->t2c_wait[1], bwt);
    ck_assert_uint_eq(w->t2c_wait[3], 3 * bwt);
    ck_assert_uint_eq(t1_take_apdu(&w->term), 2);
    free(r);
    free(w);
}
END_TEST

START_TEST(t1_resynch_after_retries)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[4] = { 0x80, 0xF2, 0x00, 0x00 };
    r->resp[0] = 0x90;
    r->resp[1] = 0x00;
    r->resp_len = 2;
    ck_assert_int_eq(t1_request_ifs(&r->term, 200), T1_OK);
    rig_run(r);
    ck_assert_uint_eq(t1_ifsd(&r->card), 200);
    /* the card's answer and its three retransmissions all corrupted */
    r->c2t_bad = 0xFull << 1;
    ck_assert_int_eq(exchange(r, cmd, 4), T1_FAILED);
    ck_assert_int_eq(t1_error(&r->term), T1_ERR_RESYNCH);
    /* I, R(0) x 3 (EDC), then S(RESYNCH req) answered */
    assert_pcbs(r->t2c_pcb, r->t2c_n, "C1 00 81 81 81 C0");
    assert_pcbs(r->c2t_pcb, r->c2t_n, "E1 00 00 00 00 E0");
    /* both ends are back to N(S) = 0 and IFSD 32 */
    ck_assert_uint_eq(t1_ifsd(&r->term), 32);
    ck_assert_uint_eq(t1_ifsd(&r->card), 32);
    r->c2t_bad = 0;
    int t0 = r->t2c_n, c0 = r->c2t_n;
    ck_assert_int_eq(exchange(r, cmd, 4), T1_APDU);
    ck_assert_uint_eq(r->t2c_pcb[t0], 0x00);
    ck_assert_uint_eq(r->c2t_pcb[c0], 0x00);
    ck_assert_int_eq(r->commands, 2);
    free(r);
}
END_TEST

START_TEST(t1_dead_card)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[4] = { 0x80, 0xF2, 0x00, 0x00 };
    r->c2t_all_lost = true;
    ck_assert_int_eq(exchange(r, cmd, 4), T1_DEAD);
    ck_assert_int_eq(t1_error(&r->term), T1_ERR_DEAD);
    /* I, three R(0) other error, three S(RESYNCH req), 7 BWT expiries */
    assert_pcbs(r->t2c_pcb, r->t2c_n, "00 82 82 82 C0 C0 C0");
    ck_assert_int_eq(r->timeouts, 7);
    ck_assert_uint_eq(t1_timeout_clocks(&r->term), 0);
    ck_assert_int_eq(t1_send_apdu(&r->term, cmd, 4), T1_ERR_STATE);
    free(r);
}
END_TEST

START_TEST(t1_explicit_resynch)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[4] = { 0x80, 0xF2, 0x00, 0x00 };
    r->resp[0] = 0x90;
    r->resp[1] = 0x00;
    r->resp_len = 2;
    ck_assert_int_eq(exchange(r, cmd, 4), T1_APDU);
    t1_take_apdu(&r->term);
    ck_assert_int_eq(t1_request_resynch(&r->term), T1_OK);
    rig_run(r);
    ck_assert_int_eq(t1_status(&r->term), T1_IDLE);
    ck_assert_int_eq(t1_error(&r->term), T1_OK);
    int t0 = r->t2c_n;
    ck_assert_int_eq(exchange(r, cmd, 4), T1_APDU);
    ck_assert_uint_eq(r->t2c_pcb[t0 - 1], 0xC0);
    ck_assert_uint_eq(r->t2c_pcb[t0], 0x00);  /* N(S) back to 0 */
    free(r);
}
END_TEST

START_TEST(t1_abort_on_overflow)
{
    /* The terminal's buffer holds 100 bytes; the card answers 500 */
    rig_t *r = rig_new(32, T1_EDC_LRC, 100, 64);
    uint8_t cmd[300];
    pattern(cmd, sizeof cmd, 2);
    pattern(r->resp, 500, 4);
    r->resp_len = 500;
    ck_assert_int_eq(exchange(r, cmd, 5), T1_FAILED);
    ck_assert_int_eq(t1_error(&r->term), T1_ERR_OVERFLOW);
    /* 3 x 32 accepted, the 4th refused with S(ABORT req) */
    assert_pcbs(r->t2c_pcb, r->t2c_n, "00 90 80 90 C2");
    assert_pcbs(r->c2t_pcb, r->c2t_n, "20 60 20 60 E2");
    ck_assert_int_eq(t1_status(&r->card), T1_IDLE);

    /* The card's buffer holds 64 bytes; the command has 300: the card
     * aborts the chain after two blocks */
    int t0 = r->t2c_n, c0 = r->c2t_n;
    ck_assert_int_eq(exchange(r, cmd, sizeof cmd), T1_FAILED);
    ck_assert_int_eq(t1_error(&r->term), T1_ERR_ABORTED);
    assert_pcbs(r->t2c_pcb + t0, r->t2c_n - t0, "60 20 60 E2");
    assert_pcbs(r->c2t_pcb + c0, r->c2t_n - c0, "80 90 C2");

    /* and the link still works: N(S) went on where the peers agree */
    r->resp_len = 2;
    r->resp[0] = 0x90;
    r->resp[1] = 0x00;
    ck_assert_int_eq(exchange(r, cmd, 10), T1_APDU);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 2);
    ck_assert_mem_eq(r->cmd_seen, cmd, 10);
    free(r);
}
END_TEST

START_TEST(t1_api_misuse)
{
    rig_t *r = rig_new(32, T1_EDC_LRC, 1024, 1024);
    uint8_t cmd[4] = { 0 }, blk[8];
    /* card cannot start; terminal cannot WTX; bad values */
    ck_assert_int_eq(t1_send_apdu(&r->card, cmd, 4), T1_ERR_STATE);
    ck_assert_int_eq(t1_request_wtx(&r->term, 2), T1_ERR_STATE);
    ck_assert_int_eq(t1_request_wtx(&r->card, 2), T1_ERR_STATE);
    ck_assert_int_eq(t1_request_wtx(&r->card, 0), T1_ERR_PARAM);
    ck_assert_int_eq(t1_request_ifs(&r->term, 0), T1_ERR_PARAM);
    ck_assert_int_eq(t1_request_ifs(&r->term, 255), T1_ERR_PARAM);
    ck_assert_int_eq(t1_request_resynch(&r->card), T1_ERR_STATE);
    ck_assert_uint_eq(t1_take_apdu(&r->term), 0);
    /* busy terminal */
    ck_assert_int_eq(t1_send_apdu(&r->term, cmd, 4), T1_OK);
    ck_assert_int_eq(t1_send_apdu(&r->term, cmd, 4), T1_ERR_STATE);
    ck_assert_int_eq(t1_request_ifs(&r->term, 100), T1_ERR_STATE);
    /* too small an output buffer: nothing lost */
    ck_assert_int_eq(t1_next_tx(&r->term, blk, 5), T1_ERR_PARAM);
    ck_assert_int_eq(t1_next_tx(&r->term, blk, sizeof blk), 8);
    /* first block to the card corrupted: R(0) with EDC error (rule 7.5) */
    blk[7] ^= 1;
    ck_assert_int_eq(t1_rx_block(&r->card, blk, 8, false), T1_ERR_EDC);
    ck_assert_int_eq(t1_next_tx(&r->card, blk, sizeof blk), 4);
    ASSERT_BYTES(blk, 4, "00 81 00 81");
    /* a character error reported by the caller */
    ck_assert_int_eq(t1_rx_block(&r->term, blk, 4, true), T1_ERR_RX);
    ck_assert_int_eq(t1_next_tx(&r->term, blk, sizeof blk), 4);
    ASSERT_BYTES(blk, 4, "00 81 00 81");
    t1_params_t bad = { .ifsc = 255 };
    ck_assert_int_eq(t1_init(&r->term, T1_TERMINAL, &bad), T1_ERR_PARAM);
    free(r);
}
END_TEST

/* T=0 -------------------------------------------------------------------- */

/* Terminal: takes everything it wants to send and compares it. */
static void t0_expect_tx(t0_term_t *t, const char *hexstr)
{
    uint8_t out[300];
    size_t n = t0_term_next_tx(t, out, sizeof out);
    ASSERT_BYTES(out, n, hexstr);
}

static void t0_feed(t0_term_t *t, const char *hexstr)
{
    uint8_t b[300];
    size_t n = hex(hexstr, b);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(t0_term_rx(t, b[i]), T0_OK);
}

START_TEST(t0_case2_get_response)
{
    t0_term_t t;
    uint8_t apdu[5], resp[64];
    t0_term_init(&t, 10, 372);
    size_t n = hex("80 CA 00 01 10", apdu);  /* Le = 16 */
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    ck_assert_uint_eq(t0_term_timeout_clocks(&t), 0);
    t0_expect_tx(&t, "80 CA 00 01 10");
    ck_assert_uint_eq(t0_term_timeout_clocks(&t), 960 * 10 * 372);
    /* NULL, then the card wants a GET RESPONSE for 16 bytes */
    t0_feed(&t, "60 61 10");
    t0_expect_tx(&t, "00 C0 00 00 10");
    /* INS of GET RESPONSE: all 16 bytes, then 9000 */
    t0_feed(&t, "C0 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 90 00");
    ck_assert_int_eq(t0_term_status(&t), T0_DONE);
    ASSERT_BYTES(resp, t0_term_resp_len(&t),
                 "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 90 00");
    ck_assert_uint_eq(t0_term_timeout_clocks(&t), 0);
}
END_TEST

START_TEST(t0_case4_6c)
{
    t0_term_t t;
    uint8_t apdu[16], resp[300];
    t0_term_init(&t, 0, 0);
    size_t n = hex("80 CA 00 01 02 AA BB 00", apdu);  /* Lc 2, Le 256 */
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    t0_expect_tx(&t, "80 CA 00 01 02");
    t0_feed(&t, "CA");
    t0_expect_tx(&t, "AA BB");
    /* 61 00: up to 256 bytes -> GET RESPONSE with P3 = 00 */
    t0_feed(&t, "61 00");
    t0_expect_tx(&t, "00 C0 00 00 00");
    /* wrong length, 4 bytes available: the same header with P3 = 04 */
    t0_feed(&t, "6C 04");
    t0_expect_tx(&t, "00 C0 00 00 04");
    /* one byte at a time (INS xor FF), then the rest (INS) */
    t0_feed(&t, "3F 11 3F 22 C0 33 44 90 00");
    ck_assert_int_eq(t0_term_status(&t), T0_DONE);
    ASSERT_BYTES(resp, t0_term_resp_len(&t), "11 22 33 44 90 00");
}
END_TEST

START_TEST(t0_cases_1_3_and_errors)
{
    t0_term_t t;
    uint8_t apdu[300], resp[8];
    size_t n;
    t0_term_init(&t, 10, 372);
    /* case 1: P3 = 00 */
    n = hex("80 EC 00 00", apdu);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    t0_expect_tx(&t, "80 EC 00 00 00");
    t0_feed(&t, "69 85");
    ASSERT_BYTES(resp, t0_term_resp_len(&t), "69 85");
    /* case 3, data one byte at a time then all; 61xx kept (no Le) */
    n = hex("00 20 00 01 04 31 32 33 34", apdu);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    t0_expect_tx(&t, "00 20 00 01 04");
    t0_feed(&t, "DF");
    t0_expect_tx(&t, "31");
    t0_feed(&t, "60 20");
    t0_expect_tx(&t, "32 33 34");
    t0_feed(&t, "61 05");
    ASSERT_BYTES(resp, t0_term_resp_len(&t), "61 05");
    /* a byte that is no procedure byte */
    n = hex("80 CA 00 01 04", apdu);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    t0_expect_tx(&t, "80 CA 00 01 04");
    ck_assert_int_eq(t0_term_rx(&t, 0x42), T0_ERR_PROTOCOL);
    ck_assert_int_eq(t0_term_status(&t), T0_FAILED);
    ck_assert_int_eq(t0_term_error(&t), T0_ERR_PROTOCOL);
    /* WWT expiry */
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    t0_expect_tx(&t, "80 CA 00 01 04");
    t0_term_timeout(&t);
    ck_assert_int_eq(t0_term_error(&t), T0_ERR_TIMEOUT);
    /* response larger than the buffer (8 = 6 data + SW) */
    n = hex("80 CA 00 01 08", apdu);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    t0_expect_tx(&t, "80 CA 00 01 08");
    t0_feed(&t, "CA 01 02 03 04 05 06");
    ck_assert_int_eq(t0_term_rx(&t, 7), T0_ERR_OVERFLOW);
    /* INS 6x/9x, extended APDU, busy */
    n = hex("00 60 00 00", apdu);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_ERR_INS);
    n = hex("00 B0 00 00 00 01 00", apdu);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_ERR_APDU);
    n = hex("00 B0 00 00 04", apdu);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_OK);
    ck_assert_int_eq(t0_term_start(&t, apdu, n, resp, sizeof resp), T0_ERR_STATE);
    ck_assert_int_eq(t0_term_rx(&t, 0x90), T0_ERR_STATE);  /* header not sent */
}
END_TEST

/* T=0 terminal and t0_card back to back. */
typedef struct t0_rig {
    t0_term_t term;
    t0_card_t card;
    uint8_t card_buf[300];
    uint8_t data[300];      /* the card's answer */
    size_t data_len;
    uint16_t sw;
    bool nulls;             /* send a NULL before each answer */
    bool null_sent;
    uint8_t seen[300];      /* header and data at T0_EV_DATA */
    uint8_t wire[1024];     /* every byte, both ways, in order */
    size_t wire_len;
} t0_rig_t;

static void t0_rig_run(t0_rig_t *r)
{
    uint8_t b[300];
    for (int step = 0; step < 1000; step++) {
        size_t n = t0_term_next_tx(&r->term, b, 1);  /* one char at a time */
        for (size_t i = 0; i < n; i++) {
            r->wire[r->wire_len++] = b[i];
            int ev = t0_card_rx(&r->card, b[i]);
            ck_assert_int_ge(ev, 0);
            const uint8_t *h = t0_card_buf(&r->card);
            if (ev == T0_EV_DATA)
                memcpy(r->seen, h, 5u + h[4]);
            if (ev == T0_EV_HEADER && r->nulls && !r->null_sent) {
                r->null_sent = true;
                ck_assert_int_eq(t0_card_null(&r->card), T0_OK);
                continue;
            }
            /* the "application": INS D6 carries data (case 3/4) */
            if (ev == T0_EV_HEADER && h[1] == 0xD6)
                ck_assert_int_eq(t0_card_receive_data(&r->card), T0_OK);
            else if (ev == T0_EV_HEADER || ev == T0_EV_DATA)
                ck_assert_int_eq(t0_card_respond(&r->card, r->data,
                                                 r->data_len, r->sw), T0_OK);
        }
        size_t m = t0_card_next_tx(&r->card, b, sizeof b);
        for (size_t i = 0; i < m; i++) {
            r->wire[r->wire_len++] = b[i];
            ck_assert_int_eq(t0_term_rx(&r->term, b[i]), T0_OK);
        }
        /* after the NULL, the application answers the header */
        if (r->null_sent && m == 1 && b[0] == T0_NULL) {
            const uint8_t *h = t0_card_buf(&r->card);
            if (h[1] == 0xD6)
                ck_assert_int_eq(t0_card_receive_data(&r->card), T0_OK);
            else
                ck_assert_int_eq(t0_card_respond(&r->card, r->data,
                                                 r->data_len, r->sw), T0_OK);
            continue;
        }
        if (!n && !m)
            return;
    }
    ck_abort_msg("T=0 rig did not settle");
}

START_TEST(t0_back_to_back)
{
    t0_rig_t *r = calloc(1, sizeof *r);
    uint8_t apdu[300], resp[300];
    size_t n;
    t0_term_init(&r->term, 10, 512);
    ck_assert_int_eq(t0_card_init(&r->card, r->card_buf, sizeof r->card_buf),
                     T0_OK);
    pattern(r->data, 20, 0xA0);
    r->data_len = 20;
    r->sw = SW_OK;

    /* case 2, Le = 256: the card has 20 -> 6C 14, reissued with P3 = 14 */
    n = hex("80 CA 00 02 00", apdu);
    ck_assert_int_eq(t0_term_start(&r->term, apdu, n, resp, sizeof resp), T0_OK);
    t0_rig_run(r);
    ck_assert_int_eq(t0_term_status(&r->term), T0_DONE);
    ck_assert_uint_eq(t0_term_resp_len(&r->term), 22);
    ck_assert_mem_eq(resp, r->data, 20);
    ck_assert_uint_eq(apdu_sw(resp, 22), SW_OK);
    ck_assert_uint_eq(r->wire_len, 5 + 2 + 5 + 1 + 20 + 2);
    ck_assert_mem_eq(r->wire, "\x80\xCA\x00\x02\x00\x6C\x14\x80\xCA\x00\x02\x14\xCA", 13);

    /* case 4 with a NULL first: data in, 61 14, GET RESPONSE 14 */
    r->wire_len = 0;
    r->nulls = true;
    n = hex("00 D6 00 00 03 01 02 03 00", apdu);
    ck_assert_int_eq(t0_term_start(&r->term, apdu, n, resp, sizeof resp), T0_OK);
    t0_rig_run(r);
    ck_assert_int_eq(t0_term_status(&r->term), T0_DONE);
    ck_assert_mem_eq(r->seen, "\x00\xD6\x00\x00\x03\x01\x02\x03", 8);
    ck_assert_uint_eq(t0_term_resp_len(&r->term), 22);
    ck_assert_mem_eq(resp, r->data, 20);
    ck_assert_mem_eq(r->wire,
                     "\x00\xD6\x00\x00\x03\x60\xD6\x01\x02\x03\x61\x14"
                     "\x00\xC0\x00\x00\x14\xC0", 18);

    /* case 4 with Le = 8 < 20: GET RESPONSE 8, then 61 0C handed over */
    r->wire_len = 0;
    r->nulls = r->null_sent = false;
    n = hex("00 D6 00 00 01 55 08", apdu);
    ck_assert_int_eq(t0_term_start(&r->term, apdu, n, resp, sizeof resp), T0_OK);
    t0_rig_run(r);
    ck_assert_uint_eq(t0_term_resp_len(&r->term), 10);
    ck_assert_mem_eq(resp, r->data, 8);
    ck_assert_uint_eq(apdu_sw(resp, 10), SW_BYTES_REMAINING(12));
    /* ... and a GET RESPONSE for the rest is served from what was left */
    n = hex("00 C0 00 00 0C", apdu);
    ck_assert_int_eq(t0_term_start(&r->term, apdu, n, resp, sizeof resp), T0_OK);
    t0_rig_run(r);
    ck_assert_uint_eq(t0_term_resp_len(&r->term), 14);
    ck_assert_mem_eq(resp, r->data + 8, 12);
    ck_assert_uint_eq(apdu_sw(resp, 14), SW_OK);

    /* case 2 asking 8 of the 20: 8 now, then 61 0C */
    n = hex("80 CA 00 02 08", apdu);
    ck_assert_int_eq(t0_term_start(&r->term, apdu, n, resp, sizeof resp), T0_OK);
    t0_rig_run(r);
    ck_assert_uint_eq(t0_term_resp_len(&r->term), 10);
    ck_assert_uint_eq(apdu_sw(resp, 10), SW_BYTES_REMAINING(12));

    /* case 3 answered by a status word only */
    r->data_len = 0;
    r->sw = SW_WRONG_DATA;
    n = hex("00 D6 00 00 02 01 02", apdu);
    ck_assert_int_eq(t0_term_start(&r->term, apdu, n, resp, sizeof resp), T0_OK);
    t0_rig_run(r);
    ASSERT_BYTES(resp, t0_term_resp_len(&r->term), "6A 80");

    /* card side misuse */
    ck_assert_int_eq(t0_card_respond(&r->card, NULL, 0, SW_OK), T0_ERR_STATE);
    ck_assert_int_eq(t0_card_receive_data(&r->card), T0_ERR_STATE);
    ck_assert_int_eq(t0_card_init(&r->card, r->card_buf, 4), T0_ERR_PARAM);
    free(r);
}
END_TEST

Suite *make_proto7816_suite(void)
{
    Suite *s = suite_create("proto7816");
    TCase *tc = tcase_create("atr");
    tcase_add_test(tc, atr_loader_build_and_parse);
    tcase_add_test(tc, atr_cos_version_byte);
    tcase_add_test(tc, atr_emv_t0_only);
    tcase_add_test(tc, atr_javacard_t1);
    tcase_add_test(tc, atr_t0_and_t1_with_crc);
    tcase_add_test(tc, atr_errors);
    tcase_add_test(tc, atr_inverse_convention);
    tcase_add_test(tc, atr_tables_and_timing);
    suite_add_tcase(s, tc);

    tc = tcase_create("pps_apdu");
    tcase_add_test(tc, pps_fast_rate_echo);
    tcase_add_test(tc, pps_partial_and_refused);
    tcase_add_test(tc, apdu_cases);
    tcase_add_test(tc, apdu_responses);
    suite_add_tcase(s, tc);

    tc = tcase_create("t1");
    tcase_add_test(tc, t1_block_bytes);
    tcase_add_test(tc, t1_block_decode_errors);
    tcase_add_test(tc, t1_simple_exchange_bytes);
    tcase_add_test(tc, t1_chaining_both_ways_with_faults);
    tcase_add_test(tc, t1_default_ifsd_response_chain);
    tcase_add_test(tc, t1_lost_blocks_and_bad_acks);
    tcase_add_test(tc, t1_slow_card_times_out_then_answers);
    tcase_add_test(tc, t1_card_ifs_request_and_crc);
    tcase_add_test(tc, t1_s_blocks_under_errors);
    tcase_add_test(tc, t1_resynch_after_retries);
    tcase_add_test(tc, t1_dead_card);
    tcase_add_test(tc, t1_explicit_resynch);
    tcase_add_test(tc, t1_abort_on_overflow);
    tcase_add_test(tc, t1_api_misuse);
    suite_add_tcase(s, tc);

    tc = tcase_create("t0");
    tcase_add_test(tc, t0_case2_get_response);
    tcase_add_test(tc, t0_case4_6c);
    tcase_add_test(tc, t0_cases_1_3_and_errors);
    tcase_add_test(tc, t0_back_to_back);
    suite_add_tcase(s, tc);
    return s;
}
