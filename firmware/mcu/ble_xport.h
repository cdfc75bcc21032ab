/* SPDX-License-Identifier: MIT */
/* firmware/mcu/ble_xport.h - the APDU transport over GATT (ble_apdu.h):
 * reassembles the phone's MSG / PING / CANCEL fragments written to
 * APDU-in, hands a whole C-APDU to the caller, cuts the R-APDU, PING
 * echoes, KEEPALIVEs and ERRORs into fragments for APDU-out
 * (docs/mcu-firmware.md, "BLE").
 *
 * Portable: no register access; time is the caller's TIMER count (core
 * cycles, wrapping, compared as mcu_hal_due does). Host-tested in
 * tests/mcu_fw/.
 *
 * Use: ble_xport_rx() with each fragment; when it returns
 * BLE_XPORT_EV_MSG, ble_xport_take() gives the C-APDU (copy it: the
 * buffer is reused once the request is answered or cancelled); answer
 * with ble_xport_respond(). BLE_XPORT_EV_CANCEL: the phone gave up the
 * request it had sent (cut the exchange). ble_xport_poll() at
 * ble_xport_deadline(); ble_xport_next() gives the fragments to notify,
 * one at a time, as the link takes them. */
#ifndef FIRMWARE_MCU_BLE_XPORT_H
#define FIRMWARE_MCU_BLE_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ble_apdu.h"
#include "regs/mcu_map.h"

#define BLE_XPORT_CYCLES_PER_MS (MCU_CORE_HZ / 1000u)
/* 1 600 000 and 48 000 000 core cycles */
#define BLE_XPORT_KA_CYCLES \
    (BLE_APDU_KEEPALIVE_MS * BLE_XPORT_CYCLES_PER_MS)
#define BLE_XPORT_TIMEOUT_CYCLES \
    (BLE_APDU_REQ_TIMEOUT_MS * BLE_XPORT_CYCLES_PER_MS)

#define BLE_XPORT_EV_MSG        (1u << 0)   /* a C-APDU is ready to take */
#define BLE_XPORT_EV_CANCEL     (1u << 1)   /* the pending request ended */

typedef struct ble_xport {
    /* receiving */
    bool assembling;            /* a message's continuations are due */
    uint8_t rx_cmd, rx_seq;     /* its command, the next SEQ expected */
    uint16_t rx_total, rx_len;
    uint32_t rx_deadline;       /* REQ_TIMEOUT after the last fragment */
    uint8_t rx[BLE_APDU_MSG_MAX];
    /* the request: from the MSG's last fragment until its answer */
    bool pending;
    bool held;                  /* not yet taken by the caller */
    uint32_t ka_next;           /* the next KEEPALIVE's time */
    bool ka_due;                /* a KEEPALIVE waits to be sent */
    uint8_t err;                /* an ERROR code waits to be sent, 0 none */
    /* sending: one message (MSG or PING echo), cut as the link takes it */
    uint8_t tx[3 + BLE_APDU_MSG_MAX];
    uint16_t tx_len, tx_off;
    uint8_t tx_seq;
    uint32_t keepalives, errors;    /* counters for a debugger */
} ble_xport_t;

/* Idle: nothing received, pending or to send. */
void ble_xport_init(ble_xport_t *x);

/* One fragment written to APDU-in at `now`; returns BLE_XPORT_EV_*. An
 * empty write is ignored. */
unsigned ble_xport_rx(ble_xport_t *x, const uint8_t *frag, size_t len,
                      uint32_t now);

/* The C-APDU of a complete MSG not yet taken: true once. */
bool ble_xport_take(ble_xport_t *x, const uint8_t **apdu, size_t *len);

/* The R-APDU of the pending request (at most BLE_APDU_MSG_MAX bytes);
 * ignored when none is pending (cancelled, or the link was reset). */
void ble_xport_respond(ble_xport_t *x, const uint8_t *rsp, size_t len);

/* Handles what is due at `now`: the request timeout of a message left
 * unfinished (ERROR REQ_TIMEOUT), the KEEPALIVEs of a pending request. */
void ble_xport_poll(ble_xport_t *x, uint32_t now);

/* The next time ble_xport_poll has work; false: none. */
bool ble_xport_deadline(const ble_xport_t *x, uint32_t *when);

/* A fragment waits to be sent. */
bool ble_xport_tx_ready(const ble_xport_t *x);

/* The next fragment, at most max bytes (ATT MTU - 3, at least 4), into
 * out; returns its length, 0 if none. Order: the rest of a message being
 * sent, an ERROR, the next message, a KEEPALIVE. */
size_t ble_xport_next(ble_xport_t *x, uint8_t *out, size_t max);

#endif /* FIRMWARE_MCU_BLE_XPORT_H */
