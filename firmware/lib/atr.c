/* SPDX-License-Identifier: MIT */
/* firmware/lib/atr.c - ATR parsing and building, Fi/Di/f(max) tables and
 * the time-out formulas of ISO/IEC 7816-3 (sections 8, 10.2, 11.4.3;
 * PROTOCOLS.md). See atr.h for the contract. */
#include "atr.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

/* ISO/IEC 7816-3:2006 table 7 (Fi, f(max) in kHz) and table 8 (Di). */
static const uint16_t fi_tab[16] = {
    372, 372, 558, 744, 1116, 1488, 1860, 0,
    0, 512, 768, 1024, 1536, 2048, 0, 0,
};
static const uint16_t fmax_tab[16] = {
    4000, 5000, 6000, 8000, 12000, 16000, 20000, 0,
    0, 5000, 7500, 10000, 15000, 20000, 0, 0,
};
static const uint8_t di_tab[16] = {
    0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0,
};

uint16_t atr_fi_value(uint8_t fi_code) { return fi_tab[fi_code & 15]; }
uint8_t atr_di_value(uint8_t di_code) { return di_tab[di_code & 15]; }
uint16_t atr_fmax_khz(uint8_t fi_code) { return fmax_tab[fi_code & 15]; }

uint8_t atr_inverse_byte(uint8_t b)
{
    uint8_t r = 0;
    for (unsigned k = 0; k < 8; k++)
        if (b & (1u << k))
            r |= (uint8_t)(0x80u >> k);
    return (uint8_t)~r;
}

/* Walks TS, T0, the interface byte chain, the historical bytes and TCK,
 * filling the byte fields of *a. Returns the ATR's length or an error;
 * ATR_ERR_TRUNCATED as soon as `len` bytes are not enough: for the whole
 * ATR, or with length_only for the bytes that fix its length. */
static int atr_walk(const uint8_t *buf, size_t len, atr_t *a, bool length_only)
{
    if (len < 1)
        return ATR_ERR_TRUNCATED;
    /* 03: an inverse-convention TS read in direct convention; every byte
     * then needs decoding. */
    bool raw = buf[0] == 0x03;
    uint8_t ts = raw ? ATR_TS_INVERSE : buf[0];
    if (ts != ATR_TS_DIRECT && ts != ATR_TS_INVERSE)
        return ATR_ERR_TS;
    memset(a, 0, sizeof *a);
    a->ts = ts;
    size_t i = 1;
    if (i >= len)
        return ATR_ERR_TRUNCATED;
    uint8_t y = raw ? atr_inverse_byte(buf[i]) : buf[i];
    i++;
    a->nhist = y & 0x0F;
    unsigned gi = 0;
    for (;;) {
        atr_group_t *g = &a->g[gi];
        g->present = y & (ATR_TA | ATR_TB | ATR_TC);
        uint8_t *dst[3] = { &g->ta, &g->tb, &g->tc };
        for (unsigned k = 0; k < 3; k++) {
            if (!(y & (ATR_TA << k)))
                continue;
            if (i >= len)
                return ATR_ERR_TRUNCATED;
            *dst[k] = raw ? atr_inverse_byte(buf[i]) : buf[i];
            i++;
        }
        if (!(y & ATR_TD))
            break;
        if (i >= len)
            return ATR_ERR_TRUNCATED;
        y = raw ? atr_inverse_byte(buf[i]) : buf[i];
        i++;
        if (++gi >= ATR_MAX_GROUPS)
            return ATR_ERR_LENGTH;
        a->g[gi].t = y & 0x0F;
        if (a->g[gi].t != 0)
            a->has_tck = true;  /* "T=0 only" is the one case without TCK */
    }
    a->ngroups = (uint8_t)(gi + 1);
    size_t end = i + a->nhist + (a->has_tck ? 1 : 0);
    if (end > ATR_MAX_LEN)
        return ATR_ERR_LENGTH;
    if (length_only)
        return (int)end;
    if (len < end)
        return ATR_ERR_TRUNCATED;
    for (unsigned k = 0; k < a->nhist; k++, i++)
        a->hist[k] = raw ? atr_inverse_byte(buf[i]) : buf[i];
    if (a->has_tck)
        a->tck = raw ? atr_inverse_byte(buf[i]) : buf[i];
    a->len = (uint8_t)end;
    return (int)end;
}

int atr_length(const uint8_t *buf, size_t len)
{
    atr_t tmp;
    return atr_walk(buf, len, &tmp, true);
}

int atr_parse(const uint8_t *buf, size_t len, atr_t *a)
{
    int n = atr_walk(buf, len, a, false);
    if (n < 0)
        return n;
    if ((size_t)n != len)
        return ATR_ERR_LENGTH;
    if (a->has_tck) {
        /* over the logical bytes: complementing an odd number of bytes
         * does not cancel out */
        bool raw = buf[0] == 0x03;
        uint8_t x = 0;
        for (size_t i = 1; i < len; i++)
            x ^= raw ? atr_inverse_byte(buf[i]) : buf[i];
        if (x != 0)
            return ATR_ERR_TCK;
    }
    return atr_interpret(a);
}

int atr_interpret(atr_t *a)
{
    const atr_group_t *g = a->g;
    a->inverse = a->ts == ATR_TS_INVERSE;
    a->fi_code = 1;
    a->di_code = 1;
    if (g[0].present & ATR_TA) {
        a->fi_code = g[0].ta >> 4;
        a->di_code = g[0].ta & 0x0F;
    }
    a->fi = atr_fi_value(a->fi_code);
    a->di = atr_di_value(a->di_code);
    a->f_max_khz = atr_fmax_khz(a->fi_code);
    a->n = (g[0].present & ATR_TC) ? g[0].tc : 0;
    a->protocols = 0;
    a->t_first = 0;
    a->specific = false;
    a->specific_t = 0;
    a->specific_changeable = false;
    a->specific_implicit = false;
    a->wi = ATR_WI_DEFAULT;
    a->ifsc = ATR_IFSC_DEFAULT;
    a->bwi = ATR_BWI_DEFAULT;
    a->cwi = ATR_CWI_DEFAULT;
    a->edc = ATR_EDC_LRC;
    if (!a->fi || !a->di)
        return ATR_ERR_VALUE;
    for (unsigned i = 1; i < a->ngroups && i < ATR_MAX_GROUPS; i++)
        if (g[i].t != 15)
            a->protocols |= (uint16_t)(1u << g[i].t);
    if (a->ngroups > 1 && g[1].t != 15)
        a->t_first = g[1].t;
    if (!a->protocols)
        a->protocols = 1;  /* no TD1 (or T=15 only): T=0 */
    if (a->ngroups > 1) {
        if (g[1].present & ATR_TA) {
            a->specific = true;
            a->specific_t = g[1].ta & 0x0F;
            a->specific_changeable = !(g[1].ta & 0x80);
            a->specific_implicit = (g[1].ta & 0x10) != 0;
        }
        if (g[1].present & ATR_TC) {
            a->wi = g[1].tc;
            if (a->wi == 0)
                return ATR_ERR_VALUE;
        }
    }
    /* T=1 parameters: the first group i > 2 that a TD(i-1) gives to T=1 */
    for (unsigned i = 2; i < a->ngroups && i < ATR_MAX_GROUPS; i++) {
        if (g[i].t != 1)
            continue;
        if (g[i].present & ATR_TA) {
            a->ifsc = g[i].ta;
            if (a->ifsc == 0 || a->ifsc == 0xFF)
                return ATR_ERR_VALUE;
        }
        if (g[i].present & ATR_TB) {
            a->bwi = g[i].tb >> 4;
            a->cwi = g[i].tb & 0x0F;
            if (a->bwi > 9)
                return ATR_ERR_VALUE;
        }
        if (g[i].present & ATR_TC)
            a->edc = g[i].tc & 1;
        break;
    }
    return ATR_OK;
}

int atr_build(const atr_t *a, uint8_t *out, size_t cap)
{
    const uint8_t yb = ATR_TA | ATR_TB | ATR_TC;
    if ((a->ts != ATR_TS_DIRECT && a->ts != ATR_TS_INVERSE) ||
        a->ngroups < 1 || a->ngroups > ATR_MAX_GROUPS ||
        a->nhist > ATR_MAX_HIST)
        return ATR_ERR_PARAM;
    /* First pass: the length, TCK or not */
    size_t n = 2 + a->nhist;
    bool tck = false;
    for (unsigned gi = 0; gi < a->ngroups; gi++) {
        const atr_group_t *g = &a->g[gi];
        if ((g->present & ~yb) || g->t > 15)
            return ATR_ERR_PARAM;
        n += ((g->present & ATR_TA) != 0) + ((g->present & ATR_TB) != 0) +
             ((g->present & ATR_TC) != 0);
        if (gi > 0) {
            n++;  /* the TD(gi) introducing it */
            if (g->t != 0)
                tck = true;
        }
    }
    n += tck;
    if (n > ATR_MAX_LEN || n > cap)
        return ATR_ERR_PARAM;
    size_t i = 0;
    out[i++] = a->ts;
    out[i++] = (uint8_t)(a->g[0].present | (a->ngroups > 1 ? ATR_TD : 0) |
                         a->nhist);
    for (unsigned gi = 0; gi < a->ngroups; gi++) {
        const atr_group_t *g = &a->g[gi];
        if (g->present & ATR_TA)
            out[i++] = g->ta;
        if (g->present & ATR_TB)
            out[i++] = g->tb;
        if (g->present & ATR_TC)
            out[i++] = g->tc;
        if (gi + 1u < a->ngroups) {
            const atr_group_t *nx = &a->g[gi + 1];
            out[i++] = (uint8_t)(nx->present |
                                 (gi + 2u < a->ngroups ? ATR_TD : 0) | nx->t);
        }
    }
    memcpy(out + i, a->hist, a->nhist);
    i += a->nhist;
    if (tck) {
        uint8_t x = 0;
        for (size_t k = 1; k < i; k++)
            x ^= out[k];
        out[i++] = x;
    }
    return (int)i;
}

uint32_t atr_etu_to_clocks(uint32_t etu, uint16_t fi, uint8_t di)
{
    if (!di)
        return 0;
    /* Split so that nothing overflows before the result does. */
    uint32_t q = etu / di, r = etu % di;
    return q * fi + (r * fi + di - 1u) / di;
}

uint32_t atr_etu_clocks_round(uint16_t fi, uint8_t di)
{
    if (!di)
        return 0;
    return (2u * fi + di) / (2u * di);
}

uint32_t atr_wwt_clocks(uint8_t wi, uint16_t fi)
{
    return 960u * wi * fi;
}

uint32_t atr_bwt_clocks(uint8_t bwi, uint16_t fi, uint8_t di)
{
    if (bwi > 13)
        return UINT32_MAX;  /* RFU anyway; 2^14 * 960 * 372 > 2^32 */
    return atr_etu_to_clocks(11, fi, di) + ((960u * 372u) << bwi);
}

uint32_t atr_cwt_etu(uint8_t cwi)
{
    return 11u + (1u << (cwi & 15));
}

uint32_t atr_guard_etu(uint8_t n, uint8_t t)
{
    if (n == 255)
        return t == 1 ? 11u : 12u;
    return 12u + n;
}
