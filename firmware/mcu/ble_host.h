/* SPDX-License-Identifier: MIT */
/* firmware/mcu/ble_host.h - the card's BLE host above the radio's link
 * layer: the advertising data, L2CAP basic frames (CID 4 to the ATT
 * server, CID 5 LE signalling answered with Command Reject, others
 * dropped), the connection's ATT and transport state, and the order in
 * which frames go out (docs/mcu-firmware.md, "BLE").
 *
 * Portable: no register access (host-tested in tests/mcu_fw/). The
 * caller (mcu_main.c) moves frames between the radio's buffers and
 * ble_host_rx / ble_host_next_tx, routes the C-APDUs it takes and
 * answers them with ble_host_respond. Frames are whole L2CAP basic frames,
 * 4-byte header included, at most MCU_RADIO_FRAME_MAX bytes. */
#ifndef FIRMWARE_MCU_BLE_HOST_H
#define FIRMWARE_MCU_BLE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "att.h"
#include "ble_xport.h"

#define BLE_HOST_ADV_LEN    30u     /* Flags, 128-bit UUID, short name */
#define BLE_HOST_ADV_INT    160u    /* 0.625 ms units: 100 ms */
#define BLE_HOST_FRAME_MAX  (4u + ATT_SERVER_MTU)

typedef struct ble_host {
    bool connected;
    att_t att;
    ble_xport_t xp;
    uint8_t att_rsp[BLE_HOST_FRAME_MAX];    /* the ATT response to send */
    size_t att_rsp_len;
    uint8_t sig[10];                /* a Command Reject to send */
    size_t sig_len;
    uint32_t rx_frames, tx_frames, dropped; /* counters for a debugger */
} ble_host_t;

/* The AdvData (BLE_HOST_ADV_LEN bytes): 02 01 06, 11 07 + the APDU
 * service's UUID, 08 08 "cardsim". Returns its length. */
size_t ble_host_adv_data(uint8_t *out);

/* Not connected, nothing pending. */
void ble_host_init(ble_host_t *h);

/* The link came up: MTU 23, notifications off. */
void ble_host_connected(ble_host_t *h);

/* The link went down: the ATT and transport state is dropped (MTU back
 * to 23, CCCD off, a partial or pending message forgotten, nothing left
 * to send). The caller ends the channel in the router. */
void ble_host_disconnected(ble_host_t *h);

/* A frame from the radio at `now` (TIMER count); returns BLE_XPORT_EV_*
 * from the transport. Frames whose L2CAP length does not match are
 * dropped. */
unsigned ble_host_rx(ble_host_t *h, const uint8_t *frame, size_t len,
                     uint32_t now);

/* The transport's request: see ble_xport_take / _respond. */
bool ble_host_take(ble_host_t *h, const uint8_t **apdu, size_t *len);
void ble_host_respond(ble_host_t *h, const uint8_t *rsp, size_t len);

/* Time-outs and keep-alives (ble_xport_poll / _deadline). */
void ble_host_poll(ble_host_t *h, uint32_t now);
bool ble_host_deadline(const ble_host_t *h, uint32_t *when);

/* A frame waits to be sent. */
bool ble_host_tx_ready(const ble_host_t *h);

/* The next frame into out (BLE_HOST_FRAME_MAX bytes of room); returns
 * its length, 0 if none. Order: the ATT response, the Command Reject,
 * then APDU-out notifications (only while the CCCD enables them: what
 * the transport produces otherwise is dropped). */
size_t ble_host_next_tx(ble_host_t *h, uint8_t *out);

#endif /* FIRMWARE_MCU_BLE_HOST_H */
