/* SPDX-License-Identifier: MIT */
/* firmware/include/ble_apdu.h - the card's APDU transport over GATT,
 * shared by the MCU firmware (the GATT server) and the phone's BLE side
 * (the client) (docs/ble.md).
 *
 * A custom primary service with three characteristics:
 *   APDU-in   (write, write without response): fragments from the phone
 *   APDU-out  (notify, with its CCCD): fragments from the card
 *   length    (read): u16 BE, the largest fragment either side may send
 *             (ATT MTU - 3), like FIDO's fidoControlPointLength
 * Framing (modelled on FIDO's BLE transport, CTAP 2.1 section 11.4): a
 * message is a command byte, a 16-bit big-endian length and the data, cut
 * into fragments of at most `length` bytes: the first carries CMD, HLEN,
 * LLEN and the start of the data; each continuation carries a sequence
 * byte (0x00..0x7F, wrapping) and more data.
 *   MSG (0x83)       an APDU: command (phone) or response (card)
 *   KEEPALIVE (0x82) card -> phone while an SE works: one status byte
 *   PING (0x81)      echoed by the card
 *   CANCEL (0xBE)    phone -> card: give up the APDU in progress
 *   ERROR (0xBF)     card -> phone: one error byte (below)
 * The card answers every MSG with MSG (the R-APDU) or ERROR; while the SE
 * has not answered it sends KEEPALIVE every BLE_APDU_KEEPALIVE_MS. */
#ifndef FIRMWARE_INCLUDE_BLE_APDU_H
#define FIRMWARE_INCLUDE_BLE_APDU_H

#define BLE_APDU_CMD_PING       0x81u
#define BLE_APDU_CMD_KEEPALIVE  0x82u
#define BLE_APDU_CMD_MSG        0x83u
#define BLE_APDU_CMD_CANCEL     0xBEu
#define BLE_APDU_CMD_ERROR      0xBFu

#define BLE_APDU_KA_PROCESSING  0x01u

#define BLE_APDU_ERR_INVALID_CMD 0x01u  /* unknown command byte */
#define BLE_APDU_ERR_INVALID_PAR 0x02u  /* bad parameter (empty MSG, ...) */
#define BLE_APDU_ERR_INVALID_LEN 0x03u  /* length over BLE_APDU_MSG_MAX, or
                                         * more data than announced */
#define BLE_APDU_ERR_INVALID_SEQ 0x04u  /* continuation out of sequence */
#define BLE_APDU_ERR_REQ_TIMEOUT 0x05u  /* a message left unfinished */
#define BLE_APDU_ERR_BUSY       0x06u   /* MSG while one is in progress */
#define BLE_APDU_ERR_OTHER      0x7Fu

#define BLE_APDU_MSG_MAX        512u    /* largest APDU either way */
#define BLE_APDU_KEEPALIVE_MS   100u
#define BLE_APDU_REQ_TIMEOUT_MS 3000u   /* between fragments of a message */

/* 128-bit UUIDs, little-endian as in ATT PDUs:
 * service  7c5a0001-2f6e-4a3b-9c1d-63617264736d ("cardsm" in the node)
 * APDU-in  7c5a0002-..., APDU-out 7c5a0003-..., length 7c5a0004-... */
#define BLE_APDU_UUID(n)        { 0x6d, 0x73, 0x64, 0x72, 0x61, 0x63, \
                                  0x1d, 0x9c, 0x3b, 0x4a, 0x6e, 0x2f, \
                                  (n), 0x00, 0x5a, 0x7c }
#define BLE_APDU_UUID_SERVICE   0x01u
#define BLE_APDU_UUID_IN        0x02u
#define BLE_APDU_UUID_OUT       0x03u
#define BLE_APDU_UUID_LENGTH    0x04u

/* ATT (Vol 3 Part F) opcodes and errors both sides use */
#define ATT_ERROR_RSP           0x01u
#define ATT_MTU_REQ             0x02u
#define ATT_MTU_RSP             0x03u
#define ATT_FIND_INFO_REQ       0x04u
#define ATT_FIND_INFO_RSP       0x05u
#define ATT_READ_BY_TYPE_REQ    0x08u
#define ATT_READ_BY_TYPE_RSP    0x09u
#define ATT_READ_REQ            0x0Au
#define ATT_READ_RSP            0x0Bu
#define ATT_READ_BY_GROUP_REQ   0x10u
#define ATT_READ_BY_GROUP_RSP   0x11u
#define ATT_WRITE_REQ           0x12u
#define ATT_WRITE_RSP           0x13u
#define ATT_WRITE_CMD           0x52u
#define ATT_NOTIFY              0x1Bu
#define ATT_ERR_INVALID_HANDLE  0x01u
#define ATT_ERR_READ_NOT_PERMITTED 0x02u
#define ATT_ERR_WRITE_NOT_PERMITTED 0x03u
#define ATT_ERR_INVALID_PDU     0x04u
#define ATT_ERR_REQ_NOT_SUPPORTED 0x06u
#define ATT_ERR_ATTR_NOT_FOUND  0x0Au
#define ATT_ERR_INVALID_LENGTH  0x0Du
#define ATT_ERR_UNSUPPORTED_GROUP 0x10u
#define ATT_MTU_DEFAULT         23u
#define ATT_MTU_MAX             517u
#define L2CAP_CID_ATT           0x0004u
#define L2CAP_CID_SIGNALING     0x0005u

/* GATT declarations (16-bit UUIDs) */
#define GATT_UUID_PRIMARY       0x2800u
#define GATT_UUID_CHARACTERISTIC 0x2803u
#define GATT_UUID_CCCD          0x2902u
#define GATT_UUID_GAP           0x1800u
#define GATT_UUID_GATT          0x1801u
#define GATT_UUID_DEVICE_NAME   0x2A00u
#define GATT_PROP_READ          0x02u
#define GATT_PROP_WRITE_NO_RSP  0x04u
#define GATT_PROP_WRITE         0x08u
#define GATT_PROP_NOTIFY        0x10u

#endif /* FIRMWARE_INCLUDE_BLE_APDU_H */
