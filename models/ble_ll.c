/* SPDX-License-Identifier: MIT */
/* models/ble_ll.c - Bluetooth LE link-layer arithmetic shared by the
 * central and the peripheral (see ble_ll.h). */
#include "models/ble_ll.h"

#include <string.h>

static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

void ble_connect_ind_encode(const ble_conn_params_t *c, uint8_t out[34])
{
    memcpy(out, c->init_a, 6);
    memcpy(out + 6, c->adv_a, 6);
    put_le(out + 12, c->aa, 4);
    put_le(out + 16, c->crc_init, 3);
    out[19] = c->win_size;
    put_le(out + 20, c->win_offset, 2);
    put_le(out + 22, c->interval, 2);
    put_le(out + 24, c->latency, 2);
    put_le(out + 26, c->timeout, 2);
    memcpy(out + 28, c->chm, 5);
    out[33] = (uint8_t)((c->hop & 0x1Fu) | (c->sca & 0x7u) << 5);
}

bool ble_connect_ind_decode(const uint8_t in[34], ble_conn_params_t *c)
{
    memcpy(c->init_a, in, 6);
    memcpy(c->adv_a, in + 6, 6);
    c->aa = get_le(in + 12, 4);
    c->crc_init = get_le(in + 16, 3);
    c->win_size = in[19];
    c->win_offset = (uint16_t)get_le(in + 20, 2);
    c->interval = (uint16_t)get_le(in + 22, 2);
    c->latency = (uint16_t)get_le(in + 24, 2);
    c->timeout = (uint16_t)get_le(in + 26, 2);
    memcpy(c->chm, in + 28, 5);
    c->chm[4] &= 0x1Fu;
    c->hop = in[33] & 0x1Fu;
    c->sca = in[33] >> 5;
    bool any = false;
    for (int i = 0; i < 5; i++)
        any |= c->chm[i] != 0;
    return any && c->hop >= 5 && c->hop <= 16 && c->interval >= 6 &&
           c->interval <= 3200 && c->win_size >= 1 && c->timeout >= 10;
}

uint32_t ble_crc24(const uint8_t *pdu, size_t n, uint32_t init)
{
    /* LSB first: the register holds the bit-reversed init */
    uint32_t state = 0;
    for (int i = 0; i < 24; i++)
        if (init & (1u << i))
            state |= 1u << (23 - i);
    for (size_t i = 0; i < n; i++) {
        uint8_t byte = pdu[i];
        for (int b = 0; b < 8; b++) {
            uint32_t bit = (state ^ byte) & 1u;
            byte >>= 1;
            state >>= 1;
            if (bit)
                state ^= 0xDA6000u;
        }
    }
    return state;
}

size_t ble_packet_build(uint8_t *out, uint32_t aa, const uint8_t *pdu,
                        size_t n, uint32_t crc_init)
{
    put_le(out, aa, 4);
    memcpy(out + 4, pdu, n);
    uint32_t crc = ble_crc24(pdu, n, crc_init);
    put_le(out + 4 + n, crc, 3);
    return n + 7;
}

bool ble_packet_check(const uint8_t *pkt, size_t len, uint32_t crc_init,
                      const uint8_t **pdu, size_t *n)
{
    if (len < 9)
        return false;
    size_t plen = pkt[5];
    if (len != plen + 9)
        return false;
    *pdu = pkt + 4;
    *n = plen + 2;
    return ble_crc24(pkt + 4, plen + 2, crc_init) ==
           get_le(pkt + 6 + plen, 3);
}

uint32_t ble_packet_aa(const uint8_t *pkt)
{
    return get_le(pkt, 4);
}

void ble_ll_whiten(uint8_t *p, size_t n, unsigned channel)
{
    /* positions x0..x6: x0 = 1, x1..x6 = channel bits 5..0; the output is
     * x6, fed back into x0 and, with x3, into x4 (x^7 + x^4 + 1) */
    unsigned reg[7];
    reg[0] = 1;
    for (int i = 1; i <= 6; i++)
        reg[i] = (channel >> (6 - i)) & 1u;
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++) {
            unsigned out = reg[6];
            p[i] ^= (uint8_t)(out << b);
            for (int k = 6; k > 0; k--)
                reg[k] = reg[k - 1];
            reg[0] = out;
            reg[4] ^= out;
        }
    }
}

unsigned ble_csa1_next(unsigned *last, unsigned hop, const uint8_t chm[5])
{
    unsigned unmapped = (*last + hop) % 37u;
    *last = unmapped;
    if (chm[unmapped / 8] & (1u << (unmapped % 8)))
        return unmapped;
    unsigned used[37], nused = 0;
    for (unsigned c = 0; c < 37; c++)
        if (chm[c / 8] & (1u << (c % 8)))
            used[nused++] = c;
    return nused ? used[unmapped % nused] : unmapped;
}

static bool aa_valid(uint32_t aa)
{
    if (aa == BLE_ADV_AA || __builtin_popcount(aa ^ BLE_ADV_AA) == 1)
        return false;
    uint8_t b0 = (uint8_t)aa;
    if (b0 == (uint8_t)(aa >> 8) && b0 == (uint8_t)(aa >> 16) &&
        b0 == (uint8_t)(aa >> 24))
        return false;
    unsigned run = 1, transitions = 0;
    for (int i = 1; i < 32; i++) {
        unsigned a = (aa >> i) & 1u, b = (aa >> (i - 1)) & 1u;
        if (a == b) {
            if (++run > 6)
                return false;
        } else {
            run = 1;
            transitions++;
        }
    }
    if (transitions > 24)
        return false;
    unsigned msb_tr = 0;
    for (int i = 27; i < 32; i++)
        msb_tr += ((aa >> i) & 1u) != ((aa >> (i - 1)) & 1u);
    return msb_tr >= 2;
}

uint32_t ble_ll_access_address(uint32_t seed)
{
    uint32_t x = seed ? seed : 0x12345678u;
    for (;;) {
        /* xorshift32 */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if (aa_valid(x))
            return x;
    }
}
