/* SPDX-License-Identifier: MIT */
/* firmware/mcu/ble_xport.c - the APDU transport's framing (ble_xport.h).
 *
 * Reference: ble_apdu.h; modelled on FIDO CTAP 2.1 section 11.4 (BLE
 * framing: CMD HLEN LLEN then SEQ continuations, KEEPALIVE, CANCEL,
 * ERROR).
 *
 * Notes
 * - One request at a time: a MSG or PING arriving while one is pending or
 *   its answer is still being sent gets ERROR BUSY; the request in
 *   progress goes on.
 * - A continuation with no message being assembled (those of a refused
 *   message) is dropped silently; a command frame while one is being
 *   assembled is ERROR INVALID_SEQ and drops both (CANCEL excepted: it
 *   drops the partial message without an answer).
 * - CANCEL ends the pending request: no MSG answers it, KEEPALIVEs stop;
 *   the caller cuts the SE exchange (it finishes on the SE, its answer is
 *   dropped). An answer already being sent is not cut. CANCEL with nothing
 *   pending is ignored.
 * - KEEPALIVE (PROCESSING) every BLE_APDU_KEEPALIVE_MS from the MSG's last
 *   fragment until the answer, on a fixed cadence; one left unsent when
 *   the next is due is not doubled.
 * - A notification is never interleaved into a message being sent: an
 *   ERROR or KEEPALIVE waits for its end. */
#include "ble_xport.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

static bool due(uint32_t when, uint32_t now)
{
    return (int32_t)(now - when) >= 0;
}

static void error(ble_xport_t *x, unsigned code)
{
    x->err = (uint8_t)code;
    x->errors++;
}

static bool sending(const ble_xport_t *x)
{
    return x->tx_off < x->tx_len;
}

void ble_xport_init(ble_xport_t *x)
{
    memset(x, 0, sizeof *x);
}

/* A whole message is in rx. */
static unsigned complete(ble_xport_t *x, uint32_t now)
{
    x->assembling = false;
    if (x->rx_cmd == BLE_APDU_CMD_PING) {
        x->tx[0] = BLE_APDU_CMD_PING;
        x->tx[1] = (uint8_t)(x->rx_total >> 8);
        x->tx[2] = (uint8_t)x->rx_total;
        memcpy(&x->tx[3], x->rx, x->rx_total);
        x->tx_len = (uint16_t)(3u + x->rx_total);
        x->tx_off = 0;
        x->tx_seq = 0;
        return 0;
    }
    x->pending = true;
    x->held = true;
    x->ka_next = now + BLE_XPORT_KA_CYCLES;
    x->ka_due = false;
    return BLE_XPORT_EV_MSG;
}

static unsigned command(ble_xport_t *x, const uint8_t *f, size_t n,
                        uint32_t now)
{
    unsigned cmd = f[0];
    if (cmd == BLE_APDU_CMD_CANCEL) {
        x->assembling = false;
        if (!x->pending)
            return 0;
        x->pending = false;
        x->held = false;
        x->ka_due = false;
        return BLE_XPORT_EV_CANCEL;
    }
    if (x->assembling) {
        x->assembling = false;
        error(x, BLE_APDU_ERR_INVALID_SEQ);
        return 0;
    }
    if (n < 3) {
        error(x, BLE_APDU_ERR_INVALID_LEN);
        return 0;
    }
    if (cmd != BLE_APDU_CMD_MSG && cmd != BLE_APDU_CMD_PING) {
        error(x, BLE_APDU_ERR_INVALID_CMD);
        return 0;
    }
    if (x->pending || sending(x)) {
        error(x, BLE_APDU_ERR_BUSY);
        return 0;
    }
    size_t total = (size_t)f[1] << 8 | f[2];
    if (total > BLE_APDU_MSG_MAX || n - 3 > total) {
        error(x, BLE_APDU_ERR_INVALID_LEN);
        return 0;
    }
    if (cmd == BLE_APDU_CMD_MSG && total == 0) {
        error(x, BLE_APDU_ERR_INVALID_PAR);
        return 0;
    }
    x->rx_cmd = (uint8_t)cmd;
    x->rx_total = (uint16_t)total;
    x->rx_len = (uint16_t)(n - 3);
    memcpy(x->rx, &f[3], n - 3);
    x->rx_seq = 0;
    if (x->rx_len == total)
        return complete(x, now);
    x->assembling = true;
    x->rx_deadline = now + BLE_XPORT_TIMEOUT_CYCLES;
    return 0;
}

unsigned ble_xport_rx(ble_xport_t *x, const uint8_t *f, size_t n,
                      uint32_t now)
{
    if (n == 0)
        return 0;
    if (f[0] & 0x80u)
        return command(x, f, n, now);
    if (!x->assembling)
        return 0;
    if (f[0] != x->rx_seq) {
        x->assembling = false;
        error(x, BLE_APDU_ERR_INVALID_SEQ);
        return 0;
    }
    if (n - 1 > (size_t)(x->rx_total - x->rx_len)) {
        x->assembling = false;
        error(x, BLE_APDU_ERR_INVALID_LEN);
        return 0;
    }
    memcpy(&x->rx[x->rx_len], &f[1], n - 1);
    x->rx_len = (uint16_t)(x->rx_len + n - 1);
    x->rx_seq = (uint8_t)((x->rx_seq + 1u) & 0x7Fu);
    if (x->rx_len == x->rx_total)
        return complete(x, now);
    x->rx_deadline = now + BLE_XPORT_TIMEOUT_CYCLES;
    return 0;
}

bool ble_xport_take(ble_xport_t *x, const uint8_t **apdu, size_t *len)
{
    if (!x->held)
        return false;
    x->held = false;
    *apdu = x->rx;
    *len = x->rx_total;
    return true;
}

void ble_xport_respond(ble_xport_t *x, const uint8_t *rsp, size_t len)
{
    if (!x->pending)
        return;
    if (len > BLE_APDU_MSG_MAX)
        len = BLE_APDU_MSG_MAX;
    x->pending = false;
    x->held = false;
    x->ka_due = false;
    x->tx[0] = BLE_APDU_CMD_MSG;
    x->tx[1] = (uint8_t)(len >> 8);
    x->tx[2] = (uint8_t)len;
    memcpy(&x->tx[3], rsp, len);
    x->tx_len = (uint16_t)(3u + len);
    x->tx_off = 0;
    x->tx_seq = 0;
}

void ble_xport_poll(ble_xport_t *x, uint32_t now)
{
    if (x->assembling && due(x->rx_deadline, now)) {
        x->assembling = false;
        error(x, BLE_APDU_ERR_REQ_TIMEOUT);
    }
    if (x->pending && due(x->ka_next, now)) {
        x->ka_due = true;
        while (due(x->ka_next, now))
            x->ka_next += BLE_XPORT_KA_CYCLES;
    }
}

bool ble_xport_deadline(const ble_xport_t *x, uint32_t *when)
{
    bool any = false;
    if (x->assembling) {
        *when = x->rx_deadline;
        any = true;
    }
    if (x->pending && (!any || (int32_t)(x->ka_next - *when) < 0)) {
        *when = x->ka_next;
        any = true;
    }
    return any;
}

bool ble_xport_tx_ready(const ble_xport_t *x)
{
    return sending(x) || x->err || x->ka_due;
}

size_t ble_xport_next(ble_xport_t *x, uint8_t *out, size_t max)
{
    if (!sending(x) || x->tx_off == 0) {
        if (x->err) {
            out[0] = BLE_APDU_CMD_ERROR;
            out[1] = 0;
            out[2] = 1;
            out[3] = x->err;
            x->err = 0;
            return 4;
        }
        if (!sending(x)) {
            if (!x->ka_due)
                return 0;
            x->ka_due = false;
            x->keepalives++;
            out[0] = BLE_APDU_CMD_KEEPALIVE;
            out[1] = 0;
            out[2] = 1;
            out[3] = BLE_APDU_KA_PROCESSING;
            return 4;
        }
    }
    size_t n;
    if (x->tx_off == 0) {
        n = x->tx_len < max ? x->tx_len : max;
        memcpy(out, x->tx, n);
    } else {
        size_t left = (size_t)(x->tx_len - x->tx_off);
        n = left < max - 1 ? left : max - 1;
        out[0] = x->tx_seq;
        memcpy(&out[1], &x->tx[x->tx_off], n);
        x->tx_seq = (uint8_t)((x->tx_seq + 1u) & 0x7Fu);
        x->tx_off = (uint16_t)(x->tx_off + n);
        if (x->tx_off == x->tx_len)
            x->tx_len = x->tx_off = 0;
        return n + 1;
    }
    x->tx_off = (uint16_t)n;
    if (x->tx_off == x->tx_len)
        x->tx_len = x->tx_off = 0;
    return n;
}
