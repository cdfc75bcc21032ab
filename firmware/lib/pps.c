/* SPDX-License-Identifier: MIT */
/* firmware/lib/pps.c - PPS request/answer (ISO/IEC 7816-3:2006 section 9,
 * PROTOCOLS.md). See pps.h for the contract. */
#include "pps.h"

#include "atr.h"

int pps_build(const pps_t *p, uint8_t *out, size_t cap)
{
    if (p->t > 14 || (p->present & ~(PPS0_PPS1 | PPS0_PPS2 | PPS0_PPS3)))
        return PPS_ERR_PARAM;
    uint8_t tmp[PPS_MAX_LEN];
    size_t n = 0;
    tmp[n++] = PPS_PPSS;
    tmp[n++] = (uint8_t)(p->present | p->t);
    if (p->present & PPS0_PPS1)
        tmp[n++] = p->pps1;
    if (p->present & PPS0_PPS2)
        tmp[n++] = p->pps2;
    if (p->present & PPS0_PPS3)
        tmp[n++] = p->pps3;
    uint8_t pck = 0;
    for (size_t i = 0; i < n; i++)
        pck ^= tmp[i];
    tmp[n++] = pck;
    if (n > cap)
        return PPS_ERR_PARAM;
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[i];
    return (int)n;
}

int pps_length(const uint8_t *buf, size_t len)
{
    if (len < 1)
        return PPS_ERR_TRUNCATED;
    if (buf[0] != PPS_PPSS)
        return PPS_ERR_FORMAT;
    if (len < 2)
        return PPS_ERR_TRUNCATED;
    if (buf[1] & 0x80)
        return PPS_ERR_FORMAT;
    return 3 + ((buf[1] & PPS0_PPS1) != 0) + ((buf[1] & PPS0_PPS2) != 0) +
           ((buf[1] & PPS0_PPS3) != 0);
}

int pps_parse(const uint8_t *buf, size_t len, pps_t *p)
{
    int n = pps_length(buf, len);
    if (n < 0)
        return n;
    if (len < (size_t)n)
        return PPS_ERR_TRUNCATED;
    if (len > (size_t)n)
        return PPS_ERR_FORMAT;
    uint8_t x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= buf[i];
    if (x)
        return PPS_ERR_PCK;
    p->t = buf[1] & 0x0F;
    p->present = buf[1] & (PPS0_PPS1 | PPS0_PPS2 | PPS0_PPS3);
    p->pps1 = p->pps2 = p->pps3 = 0;
    size_t i = 2;
    if (p->present & PPS0_PPS1)
        p->pps1 = buf[i++];
    if (p->present & PPS0_PPS2)
        p->pps2 = buf[i++];
    if (p->present & PPS0_PPS3)
        p->pps3 = buf[i++];
    if (p->t == 15)
        return PPS_ERR_FORMAT;  /* T=15 is not a protocol */
    return PPS_OK;
}

int pps_check_answer(const pps_t *req, const uint8_t *buf, size_t len,
                     pps_t *agreed)
{
    pps_t ans;
    int rc = pps_parse(buf, len, &ans);
    if (rc != PPS_OK)
        return rc;
    /* Each of PPS1..3 is either echoed unchanged or left out; T is echoed;
     * nothing may appear that the request did not have. */
    if (ans.t != req->t || (ans.present & ~req->present))
        return PPS_ERR_REFUSED;
    if (((ans.present & PPS0_PPS1) && ans.pps1 != req->pps1) ||
        ((ans.present & PPS0_PPS2) && ans.pps2 != req->pps2) ||
        ((ans.present & PPS0_PPS3) && ans.pps3 != req->pps3))
        return PPS_ERR_REFUSED;
    *agreed = ans;
    return PPS_OK;
}

int pps_card_answer(const uint8_t *buf, size_t len,
                    const pps_card_caps_t *caps, uint8_t *out, size_t cap,
                    pps_t *agreed)
{
    pps_t req;
    int rc = pps_parse(buf, len, &req);
    if (rc != PPS_OK)
        return rc;
    if (!(caps->protocols & (1u << req.t)))
        return PPS_ERR_REFUSED;
    pps_t ans = { .t = req.t, .present = 0 };
    if (req.present & PPS0_PPS1) {
        uint8_t f = req.pps1 >> 4, d = req.pps1 & 0x0F;
        bool ok = req.pps1 == caps->ta1 || req.pps1 == 0x11 ||
                  (f == caps->ta1 >> 4 && atr_di_value(d) != 0 &&
                   atr_di_value(d) <= atr_di_value(caps->ta1 & 0x0F));
        if (ok && atr_fi_value(f) != 0) {
            ans.present |= PPS0_PPS1;
            ans.pps1 = req.pps1;
        }
    }
    rc = pps_build(&ans, out, cap);
    if (rc > 0)
        *agreed = ans;
    return rc;
}
