/* SPDX-License-Identifier: MIT */
/* firmware/mcu/att.h - the card's ATT server and its static GATT table:
 * the GAP and GATT services and the APDU service of ble_apdu.h
 * (docs/mcu-firmware.md, "BLE").
 *
 * Portable: no register access, no time (host-tested in tests/mcu_fw/).
 * att_request() takes one ATT PDU from the client (the L2CAP payload on
 * CID 4) and writes the response PDU, if any, into the caller's buffer;
 * a write to APDU-in is handed back to the caller (the transport).
 *
 * Handles (fixed):
 *    1  0x2800  GAP service 0x1800                        (group 1..3)
 *    2  0x2803  read, value 3, Device Name 0x2A00
 *    3  0x2A00  "cardsim"                                  read
 *    4  0x2800  GATT service 0x1801                       (group 4..4)
 *    5  0x2800  APDU service 7c5a0001-...                 (group 5..12)
 *    6  0x2803  write | write-no-rsp, value 7, 7c5a0002-...
 *    7  APDU-in                                            write, write cmd
 *    8  0x2803  notify, value 9, 7c5a0003-...
 *    9  APDU-out                                           (notify only)
 *   10  0x2902  CCCD of APDU-out                           read, write
 *   11  0x2803  read, value 12, 7c5a0004-...
 *   12  length: u16 BE, ATT MTU - 3                        read */
#ifndef FIRMWARE_MCU_ATT_H
#define FIRMWARE_MCU_ATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATT_H_GAP           1u
#define ATT_H_NAME          3u
#define ATT_H_GATT          4u
#define ATT_H_APDU          5u
#define ATT_H_IN            7u
#define ATT_H_OUT           9u
#define ATT_H_CCCD          10u
#define ATT_H_LENGTH        12u
#define ATT_H_LAST          12u

#define ATT_SERVER_MTU      517u    /* ATT_MTU_MAX: one ATT PDU per frame */
#define ATT_ERR_CCCD_CONFIG 0xFDu   /* Core Supplement Part B 1.2 */
#define ATT_ERR_RSP_LEN     5u

typedef struct att {
    uint16_t mtu;           /* effective ATT_MTU (23 until Exchange MTU) */
    uint16_t cccd;          /* APDU-out's CCCD value (bit 0: notify) */
} att_t;

/* A write to APDU-in (Write Request or Write Command), for the transport */
typedef struct att_write {
    const uint8_t *data;    /* into the request PDU; NULL: none */
    size_t len;
} att_write_t;

/* MTU 23, notifications off: the state of a new connection. */
void att_init(att_t *a);

/* Handles one PDU from the client. Writes the response into rsp (room
 * for a->mtu bytes, at most ATT_SERVER_MTU) and returns its length, 0
 * when none is due (commands, confirmations, malformed commands). *w
 * gets the value of a write to APDU-in, data NULL otherwise. */
size_t att_request(att_t *a, const uint8_t *pdu, size_t len, uint8_t *rsp,
                   att_write_t *w);

/* Notifications of APDU-out are enabled (CCCD bit 0). */
bool att_notify_on(const att_t *a);

/* The largest notification value: ATT_MTU - 3. */
size_t att_notify_max(const att_t *a);

/* Builds a Handle Value Notification of APDU-out carrying v[0..n) into
 * out (n <= att_notify_max; v may be &out[3] already); returns its
 * length, 3 + n. */
size_t att_notification(const att_t *a, const uint8_t *v, size_t n,
                        uint8_t *out);

#endif /* FIRMWARE_MCU_ATT_H */
