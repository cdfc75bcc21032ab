/* SPDX-License-Identifier: MIT */
/* firmware/mcu/ble_host.c - L2CAP and the BLE host's glue (ble_host.h).
 *
 * Reference: Bluetooth Core 5.3 Vol 3 Part A (L2CAP: 3.1 basic frames,
 * 4.1 Command Reject, 2.1 fixed channels 0x0004 ATT and 0x0005 LE
 * signalling), Vol 3 Part C 11 and the Core Specification Supplement
 * Part A 1.1, 1.2, 1.3 (AD types Local Name, 128-bit UUIDs, Flags).
 *
 * Notes
 * - The radio does fragmentation and recombination (MCU_RADIO_*): frames
 *   here are whole. A frame whose L2CAP length disagrees with its size is
 *   dropped, as is any channel other than 4 and 5.
 * - Every LE signalling command but Command Reject itself is rejected
 *   with reason 0x0000 (not understood): the card asks for no parameter
 *   update and offers no credit-based channels.
 * - One ATT response is kept: a client sending a new request before the
 *   last response left replaces it (ATT allows one outstanding request).
 * - Notifications while the CCCD is off are dropped, not delayed: the
 *   phone enables them before its first MSG (Core Vol 3 Part G 3.3.3.3). */
#include "ble_host.h"

#include "ble_apdu.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

#define SIG_CMD_REJECT  0x01u

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

size_t ble_host_adv_data(uint8_t *out)
{
    static const uint8_t adv[BLE_HOST_ADV_LEN] = {
        0x02, 0x01, 0x06,           /* LE General Discoverable, no BR/EDR */
        0x11, 0x07, 0x6d, 0x73, 0x64, 0x72, 0x61, 0x63, 0x1d, 0x9c, 0x3b,
        0x4a, 0x6e, 0x2f, BLE_APDU_UUID_SERVICE, 0x00, 0x5a, 0x7c,
        0x08, 0x08, 'c', 'a', 'r', 'd', 's', 'i', 'm',
    };
    memcpy(out, adv, sizeof adv);
    return sizeof adv;
}

void ble_host_init(ble_host_t *h)
{
    memset(h, 0, sizeof *h);
    att_init(&h->att);
    ble_xport_init(&h->xp);
}

static void reset_link(ble_host_t *h)
{
    att_init(&h->att);
    ble_xport_init(&h->xp);
    h->att_rsp_len = 0;
    h->sig_len = 0;
}

void ble_host_connected(ble_host_t *h)
{
    reset_link(h);
    h->connected = true;
}

void ble_host_disconnected(ble_host_t *h)
{
    reset_link(h);
    h->connected = false;
}

/* What the transport made while notifications are off goes nowhere. */
static void drop_unnotified(ble_host_t *h)
{
    if (att_notify_on(&h->att))
        return;
    uint8_t scrap[BLE_HOST_FRAME_MAX];
    while (ble_xport_next(&h->xp, scrap, att_notify_max(&h->att)) != 0)
        h->dropped++;
}

static void signalling(ble_host_t *h, const uint8_t *p, size_t len)
{
    if (len < 4 || p[0] == SIG_CMD_REJECT)
        return;
    uint8_t *s = h->sig;
    put16(&s[0], 6);
    put16(&s[2], L2CAP_CID_SIGNALING);
    s[4] = SIG_CMD_REJECT;
    s[5] = p[1];                    /* the command's identifier */
    put16(&s[6], 2);
    put16(&s[8], 0x0000);           /* command not understood */
    h->sig_len = 10;
}

unsigned ble_host_rx(ble_host_t *h, const uint8_t *f, size_t len,
                     uint32_t now)
{
    h->rx_frames++;
    if (!h->connected || len < 4 || (size_t)(f[0] | f[1] << 8) != len - 4) {
        h->dropped++;
        return 0;
    }
    unsigned cid = (unsigned)(f[2] | f[3] << 8);
    const uint8_t *p = &f[4];
    size_t n = len - 4;
    unsigned ev = 0;
    if (cid == L2CAP_CID_ATT) {
        att_write_t w;
        size_t r = att_request(&h->att, p, n, &h->att_rsp[4], &w);
        if (r) {
            put16(&h->att_rsp[0], r);
            put16(&h->att_rsp[2], L2CAP_CID_ATT);
            h->att_rsp_len = 4 + r;
        }
        if (w.data)
            ev = ble_xport_rx(&h->xp, w.data, w.len, now);
    } else if (cid == L2CAP_CID_SIGNALING) {
        signalling(h, p, n);
    } else {
        h->dropped++;
    }
    drop_unnotified(h);
    return ev;
}

bool ble_host_take(ble_host_t *h, const uint8_t **apdu, size_t *len)
{
    return ble_xport_take(&h->xp, apdu, len);
}

void ble_host_respond(ble_host_t *h, const uint8_t *rsp, size_t len)
{
    ble_xport_respond(&h->xp, rsp, len);
    drop_unnotified(h);
}

void ble_host_poll(ble_host_t *h, uint32_t now)
{
    ble_xport_poll(&h->xp, now);
    drop_unnotified(h);
}

bool ble_host_deadline(const ble_host_t *h, uint32_t *when)
{
    return ble_xport_deadline(&h->xp, when);
}

bool ble_host_tx_ready(const ble_host_t *h)
{
    return h->att_rsp_len || h->sig_len || ble_xport_tx_ready(&h->xp);
}

size_t ble_host_next_tx(ble_host_t *h, uint8_t *out)
{
    size_t n = 0;
    if (h->att_rsp_len) {
        n = h->att_rsp_len;
        memcpy(out, h->att_rsp, n);
        h->att_rsp_len = 0;
    } else if (h->sig_len) {
        n = h->sig_len;
        memcpy(out, h->sig, n);
        h->sig_len = 0;
    } else {
        size_t v = ble_xport_next(&h->xp, &out[7], att_notify_max(&h->att));
        if (v == 0)
            return 0;
        size_t a = att_notification(&h->att, &out[7], v, &out[4]);
        put16(&out[0], a);
        put16(&out[2], L2CAP_CID_ATT);
        n = 4 + a;
    }
    h->tx_frames++;
    return n;
}
