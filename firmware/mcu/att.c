/* SPDX-License-Identifier: MIT */
/* firmware/mcu/att.c - ATT server over a static GATT table (att.h).
 *
 * Reference: Bluetooth Core 5.3 Vol 3 Part F (ATT: 3.4.2 Exchange MTU,
 * 3.4.3.1 Find Information, 3.4.4.1 Read By Type, 3.4.4.3 Read, 3.4.4.9
 * Read By Group Type, 3.4.5 writes, 3.4.1.1 Error Response) and Part G
 * (GATT: 3.1 service, 3.3.1 characteristic declarations, 3.3.3.3 CCCD).
 *
 * Notes
 * - Only the requests the phone needs: Exchange MTU, Find Information,
 *   Read By Type, Read By Group Type, Read, Write Request and Write
 *   Command. Every other request (Read Blob, Read Multiple, Find By Type
 *   Value, Prepare/Execute Write, ...) gets Request Not Supported; other
 *   commands, confirmations and responses are ignored.
 * - No security: every attribute is open. The GATT service has no
 *   Service Changed characteristic (the table never changes).
 * - Values are at most 19 bytes, so a Read never needs Read Blob.
 * - A second Exchange MTU is answered and applied again. */
#include "att.h"

#include "ble_apdu.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

#define P_READ      0x01u
#define P_WRITE     0x02u   /* Write Request */
#define P_WCMD      0x04u   /* Write Command */

typedef struct attr {
    uint16_t type16;        /* 16-bit type, or 0: 128-bit type below */
    uint8_t type128;        /* n of BLE_APDU_UUID(n) */
    uint8_t perm;
    const uint8_t *val;     /* static value, NULL: computed or none */
    uint8_t len;
} attr_t;

#define U128(n) BLE_APDU_UUID(n)
#define U128_BYTES(n) 0x6d, 0x73, 0x64, 0x72, 0x61, 0x63, 0x1d, 0x9c, \
                      0x3b, 0x4a, 0x6e, 0x2f, (n), 0x00, 0x5a, 0x7c

static const uint8_t V_GAP[] = { 0x00, 0x18 };
static const uint8_t V_NAME_DECL[] = { GATT_PROP_READ, ATT_H_NAME, 0x00,
                                       0x00, 0x2A };
static const uint8_t V_NAME[] = { 'c', 'a', 'r', 'd', 's', 'i', 'm' };
static const uint8_t V_GATT[] = { 0x01, 0x18 };
static const uint8_t V_APDU[] = U128(BLE_APDU_UUID_SERVICE);
static const uint8_t V_IN_DECL[] = {
    GATT_PROP_WRITE | GATT_PROP_WRITE_NO_RSP, ATT_H_IN, 0x00,
    U128_BYTES(BLE_APDU_UUID_IN) };
static const uint8_t V_OUT_DECL[] = {
    GATT_PROP_NOTIFY, ATT_H_OUT, 0x00, U128_BYTES(BLE_APDU_UUID_OUT) };
static const uint8_t V_LEN_DECL[] = {
    GATT_PROP_READ, ATT_H_LENGTH, 0x00, U128_BYTES(BLE_APDU_UUID_LENGTH) };

/* index = handle - 1 */
static const attr_t table[ATT_H_LAST] = {
    { GATT_UUID_PRIMARY, 0, P_READ, V_GAP, sizeof V_GAP },
    { GATT_UUID_CHARACTERISTIC, 0, P_READ, V_NAME_DECL, sizeof V_NAME_DECL },
    { GATT_UUID_DEVICE_NAME, 0, P_READ, V_NAME, sizeof V_NAME },
    { GATT_UUID_PRIMARY, 0, P_READ, V_GATT, sizeof V_GATT },
    { GATT_UUID_PRIMARY, 0, P_READ, V_APDU, sizeof V_APDU },
    { GATT_UUID_CHARACTERISTIC, 0, P_READ, V_IN_DECL, sizeof V_IN_DECL },
    { 0, BLE_APDU_UUID_IN, P_WRITE | P_WCMD, 0, 0 },
    { GATT_UUID_CHARACTERISTIC, 0, P_READ, V_OUT_DECL, sizeof V_OUT_DECL },
    { 0, BLE_APDU_UUID_OUT, 0, 0, 0 },
    { GATT_UUID_CCCD, 0, P_READ | P_WRITE | P_WCMD, 0, 0 },
    { GATT_UUID_CHARACTERISTIC, 0, P_READ, V_LEN_DECL, sizeof V_LEN_DECL },
    { 0, BLE_APDU_UUID_LENGTH, P_READ, 0, 0 },
};

/* Bluetooth Base UUID 00000000-0000-1000-8000-00805F9B34FB, LE */
static const uint8_t BASE_UUID[16] = { 0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00,
                                       0x00, 0x80, 0x00, 0x10, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00 };

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static const attr_t *attr(unsigned h)
{
    return &table[h - 1];
}

/* The attribute's type as ATT sends it (2 or 16 bytes); returns the size */
static size_t attr_type(unsigned h, uint8_t *out)
{
    const attr_t *a = attr(h);
    if (a->type16) {
        put16(out, a->type16);
        return 2;
    }
    static const uint8_t apdu[16] = U128(0);
    memcpy(out, apdu, 16);
    out[12] = a->type128;
    return 16;
}

/* Expands a 2- or 16-byte UUID to 128 bits. */
static void uuid128(const uint8_t *u, size_t n, uint8_t *out)
{
    if (n == 16) {
        memcpy(out, u, 16);
        return;
    }
    memcpy(out, BASE_UUID, 16);
    out[12] = u[0];
    out[13] = u[1];
}

static bool type_is(unsigned h, const uint8_t *u, size_t n)
{
    uint8_t t[16], a[16], b[16];
    size_t tn = attr_type(h, t);
    uuid128(t, tn, a);
    uuid128(u, n, b);
    return memcmp(a, b, 16) == 0;
}

/* The value (at most 19 bytes) into buf; returns its length. */
static size_t attr_value(const att_t *s, unsigned h, uint8_t *buf)
{
    const attr_t *a = attr(h);
    if (h == ATT_H_CCCD) {
        put16(buf, s->cccd);
        return 2;
    }
    if (h == ATT_H_LENGTH) {
        unsigned v = (unsigned)att_notify_max(s);
        buf[0] = (uint8_t)(v >> 8);
        buf[1] = (uint8_t)v;
        return 2;
    }
    memcpy(buf, a->val, a->len);
    return a->len;
}

static size_t error_rsp(uint8_t *rsp, unsigned op, unsigned h, unsigned err)
{
    rsp[0] = ATT_ERROR_RSP;
    rsp[1] = (uint8_t)op;
    put16(&rsp[2], h);
    rsp[4] = (uint8_t)err;
    return ATT_ERR_RSP_LEN;
}

/* A handle range's common checks (3.4.3.1): 0 when usable, else the
 * error response's length. */
static size_t bad_range(uint8_t *rsp, unsigned op, unsigned start,
                        unsigned end)
{
    if (start == 0 || start > end)
        return error_rsp(rsp, op, start, ATT_ERR_INVALID_HANDLE);
    if (start > ATT_H_LAST)
        return error_rsp(rsp, op, start, ATT_ERR_ATTR_NOT_FOUND);
    return 0;
}

static unsigned range_end(unsigned end)
{
    return end > ATT_H_LAST ? ATT_H_LAST : end;
}

void att_init(att_t *a)
{
    a->mtu = ATT_MTU_DEFAULT;
    a->cccd = 0;
}

bool att_notify_on(const att_t *a)
{
    return (a->cccd & 0x0001u) != 0;
}

size_t att_notify_max(const att_t *a)
{
    return (size_t)a->mtu - 3u;
}

size_t att_notification(const att_t *a, const uint8_t *v, size_t n,
                        uint8_t *out)
{
    (void)a;
    out[0] = ATT_NOTIFY;
    put16(&out[1], ATT_H_OUT);
    memmove(&out[3], v, n);     /* v may already be in place */
    return 3 + n;
}

static size_t find_info(att_t *s, const uint8_t *pdu, size_t len,
                        uint8_t *rsp)
{
    if (len != 5)
        return error_rsp(rsp, pdu[0], 0, ATT_ERR_INVALID_PDU);
    unsigned start = get16(&pdu[1]), end = get16(&pdu[3]);
    size_t bad = bad_range(rsp, pdu[0], start, end);
    if (bad)
        return bad;
    size_t n = 2, tn = 0;
    for (unsigned h = start; h <= range_end(end); h++) {
        uint8_t t[16];
        size_t k = attr_type(h, t);
        if (tn == 0)
            tn = k;
        if (k != tn || n + 2 + k > s->mtu)
            break;
        put16(&rsp[n], h);
        memcpy(&rsp[n + 2], t, k);
        n += 2 + k;
    }
    rsp[0] = ATT_FIND_INFO_RSP;
    rsp[1] = tn == 2 ? 0x01 : 0x02;
    return n;
}

/* Read By Type and Read By Group Type: their lists differ only by the
 * group end handle. */
static size_t read_list(att_t *s, const uint8_t *pdu, size_t len,
                        uint8_t *rsp, bool group)
{
    unsigned op = pdu[0];
    if (len != 7 && len != 21)
        return error_rsp(rsp, op, 0, ATT_ERR_INVALID_PDU);
    unsigned start = get16(&pdu[1]), end = get16(&pdu[3]);
    const uint8_t *u = &pdu[5];
    size_t un = len - 5;
    size_t bad = bad_range(rsp, op, start, end);
    if (bad)
        return bad;
    if (group) {
        static const uint8_t prim[2] = { 0x00, 0x28 };
        static const uint8_t second[2] = { 0x01, 0x28 };
        uint8_t a[16], b[16], c[16];
        uuid128(u, un, a);
        uuid128(prim, 2, b);
        uuid128(second, 2, c);
        if (memcmp(a, c, 16) == 0)  /* a grouping type, none here */
            return error_rsp(rsp, op, start, ATT_ERR_ATTR_NOT_FOUND);
        if (memcmp(a, b, 16) != 0)
            return error_rsp(rsp, op, start, ATT_ERR_UNSUPPORTED_GROUP);
    }
    size_t hdr = group ? 4 : 2;
    size_t n = 2, each = 0;
    for (unsigned h = start; h <= range_end(end); h++) {
        if (!type_is(h, u, un))
            continue;
        if (!(attr(h)->perm & P_READ)) {
            if (each == 0)
                return error_rsp(rsp, op, h, ATT_ERR_READ_NOT_PERMITTED);
            break;
        }
        uint8_t v[20];
        size_t vl = attr_value(s, h, v);
        size_t room = (size_t)s->mtu - 2 - hdr;     /* one entry alone */
        if (room > 255 - hdr)
            room = 255 - hdr;
        if (vl > room)
            vl = room;
        if (each == 0)
            each = hdr + vl;
        if (hdr + vl != each || n + each > s->mtu)
            break;
        put16(&rsp[n], h);
        if (group) {
            unsigned g = h;
            while (g < ATT_H_LAST && attr(g + 1)->type16 != GATT_UUID_PRIMARY)
                g++;
            put16(&rsp[n + 2], g);
        }
        memcpy(&rsp[n + hdr], v, vl);
        n += each;
    }
    if (each == 0)
        return error_rsp(rsp, op, start, ATT_ERR_ATTR_NOT_FOUND);
    rsp[0] = group ? ATT_READ_BY_GROUP_RSP : ATT_READ_BY_TYPE_RSP;
    rsp[1] = (uint8_t)each;
    return n;
}

static size_t read_one(att_t *s, const uint8_t *pdu, size_t len, uint8_t *rsp)
{
    if (len != 3)
        return error_rsp(rsp, pdu[0], 0, ATT_ERR_INVALID_PDU);
    unsigned h = get16(&pdu[1]);
    if (h == 0 || h > ATT_H_LAST)
        return error_rsp(rsp, pdu[0], h, ATT_ERR_INVALID_HANDLE);
    if (!(attr(h)->perm & P_READ))
        return error_rsp(rsp, pdu[0], h, ATT_ERR_READ_NOT_PERMITTED);
    uint8_t v[20];
    size_t vl = attr_value(s, h, v);
    if (vl > (size_t)s->mtu - 1)
        vl = (size_t)s->mtu - 1;
    rsp[0] = ATT_READ_RSP;
    memcpy(&rsp[1], v, vl);
    return 1 + vl;
}

/* Write Request (rsp != NULL) or Write Command (errors are silent). */
static size_t write_one(att_t *s, const uint8_t *pdu, size_t len, uint8_t *rsp,
                    att_write_t *w)
{
    bool req = pdu[0] == ATT_WRITE_REQ;
    if (len < 3)
        return req ? error_rsp(rsp, pdu[0], 0, ATT_ERR_INVALID_PDU) : 0;
    unsigned h = get16(&pdu[1]);
    const uint8_t *v = &pdu[3];
    size_t vl = len - 3;
    if (h == 0 || h > ATT_H_LAST)
        return req ? error_rsp(rsp, pdu[0], h, ATT_ERR_INVALID_HANDLE) : 0;
    if (!(attr(h)->perm & (req ? P_WRITE : P_WCMD)))
        return req ? error_rsp(rsp, pdu[0], h, ATT_ERR_WRITE_NOT_PERMITTED)
                   : 0;
    if (h == ATT_H_CCCD) {
        if (vl != 2)
            return req ? error_rsp(rsp, pdu[0], h, ATT_ERR_INVALID_LENGTH)
                       : 0;
        unsigned c = get16(v);
        if (c & ~0x0001u)   /* APDU-out has no indications */
            return req ? error_rsp(rsp, pdu[0], h, ATT_ERR_CCCD_CONFIG) : 0;
        s->cccd = (uint16_t)c;
    } else {    /* ATT_H_IN */
        w->data = v;
        w->len = vl;
    }
    if (!req)
        return 0;
    rsp[0] = ATT_WRITE_RSP;
    return 1;
}

size_t att_request(att_t *s, const uint8_t *pdu, size_t len, uint8_t *rsp,
                   att_write_t *w)
{
    w->data = 0;
    w->len = 0;
    if (len == 0)
        return 0;
    if (len > s->mtu)   /* a client ignoring the MTU */
        return (pdu[0] & 0x40u) ? 0
                                : error_rsp(rsp, pdu[0], 0,
                                            ATT_ERR_INVALID_PDU);
    switch (pdu[0]) {
    case ATT_MTU_REQ: {
        if (len != 3)
            return error_rsp(rsp, pdu[0], 0, ATT_ERR_INVALID_PDU);
        unsigned c = get16(&pdu[1]);
        if (c < ATT_MTU_DEFAULT)
            c = ATT_MTU_DEFAULT;
        if (c > ATT_SERVER_MTU)
            c = ATT_SERVER_MTU;
        rsp[0] = ATT_MTU_RSP;
        put16(&rsp[1], ATT_SERVER_MTU);
        s->mtu = (uint16_t)c;   /* after the response: it is sent at 23 */
        return 3;
    }
    case ATT_FIND_INFO_REQ:
        return find_info(s, pdu, len, rsp);
    case ATT_READ_BY_TYPE_REQ:
        return read_list(s, pdu, len, rsp, false);
    case ATT_READ_BY_GROUP_REQ:
        return read_list(s, pdu, len, rsp, true);
    case ATT_READ_REQ:
        return read_one(s, pdu, len, rsp);
    case ATT_WRITE_REQ:
    case ATT_WRITE_CMD:
        return write_one(s, pdu, len, rsp, w);
    default:
        /* commands (bit 6), the confirmation (0x1E) and responses (odd
         * opcodes below 0x20) are not answered */
        if ((pdu[0] & 0x40u) || pdu[0] == 0x1Eu ||
            (pdu[0] < 0x20u && (pdu[0] & 1u)))
            return 0;
        return error_rsp(rsp, pdu[0], 0, ATT_ERR_REQ_NOT_SUPPORTED);
    }
}
