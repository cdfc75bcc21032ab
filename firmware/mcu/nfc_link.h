/* SPDX-License-Identifier: MIT */
/* firmware/mcu/nfc_link.h - the MCU's side of the NFC front end's SPI
 * frames (firmware/include/nfc_spi.h): read one event, send one R-APDU. */
#ifndef FIRMWARE_MCU_NFC_LINK_H
#define FIRMWARE_MCU_NFC_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "nfc_spi.h"

typedef struct nfc_event {
    uint8_t status;     /* NFC_STATUS_* clocked out with the command */
    uint8_t type;       /* NFC_EVT_* (NFC_EVT_NONE: queue empty) */
    size_t len;         /* data length the event has */
    size_t kept;        /* bytes of it in the buffer (<= cap) */
} nfc_event_t;

/* READ_EVENT: the oldest event, its data into buf[0..cap); data beyond
 * cap is clocked out and lost (it is never more than NFC_APDU_MAX). */
void nfc_link_read_event(nfc_event_t *ev, uint8_t *buf, size_t cap);

/* RESPONSE: the R-APDU for the last NFC_EVT_APDU (len <= NFC_APDU_MAX). */
void nfc_link_respond(const uint8_t *rapdu, size_t len);

#endif /* FIRMWARE_MCU_NFC_LINK_H */
