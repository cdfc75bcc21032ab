/* SPDX-License-Identifier: MIT */
/* firmware/include/nfc_spi.h - the NFC front end's SPI frame format, shared
 * by the MCU firmware and models/nfc.c (docs/nfc.md has it in full).
 *
 * The front end does ISO/IEC 14443-A layers 3 and 4 itself (activation,
 * anticollision, RATS/ATS, I/R/S blocks, chaining, CID, automatic S(WTX),
 * DESELECT) and hands the MCU only whole APDUs and field events.
 *
 * SPI mode 0, MSB first, up to 8 MHz SCK. A transaction is one chip-select
 * period. Its first byte from the MCU is a command; the byte the front end
 * returns during it is STATUS. The IRQ pin is high while the event queue is
 * not empty.
 *
 *   READ_EVENT:  MOSI 01 00 00 00 ...   MISO STATUS type lenH lenL data...
 *                The front end returns the oldest event; it is removed when
 *                chip select rises after at least its 3 header bytes were
 *                clocked out (data not clocked out is lost). With no event:
 *                type NFC_EVT_NONE, length 0.
 *   RESPONSE:    MOSI 02 lenH lenL data...   MISO STATUS 00 00 ...
 *                The R-APDU for the APDU of the last NFC_EVT_APDU. Taken
 *                when chip select rises with exactly len data bytes; else
 *                dropped and an NFC_EVT_ERROR (NFC_ERR_SPI) queued. Only in
 *                STATUS.WAITING; otherwise dropped with NFC_ERR_STATE.
 *   STATUS:      MOSI 03 00            MISO STATUS STATUS
 *   anything else: ignored, MISO STATUS then 00. */
#ifndef FIRMWARE_INCLUDE_NFC_SPI_H
#define FIRMWARE_INCLUDE_NFC_SPI_H

#define NFC_CMD_READ_EVENT      0x01u
#define NFC_CMD_RESPONSE        0x02u
#define NFC_CMD_STATUS          0x03u

/* STATUS bits */
#define NFC_STATUS_EVENT        (1u << 0)   /* an event is queued (IRQ pin) */
#define NFC_STATUS_FIELD        (1u << 1)   /* the PCD's field is present */
#define NFC_STATUS_ACTIVE       (1u << 2)   /* ISO 14443-4 active (after RATS) */
#define NFC_STATUS_WAITING      (1u << 3)   /* an APDU was handed over; its
                                             * response is awaited (the front
                                             * end keeps the PCD alive with
                                             * S(WTX)) */
#define NFC_STATUS_TX           (1u << 4)   /* a response is being sent */

/* Event types */
#define NFC_EVT_NONE            0x00u
#define NFC_EVT_FIELD_ON        0x01u   /* no data */
#define NFC_EVT_FIELD_OFF       0x02u   /* no data; any APDU in progress is
                                         * dropped */
#define NFC_EVT_ACTIVATED       0x03u   /* RATS answered: data FSD (2 bytes
                                         * BE), CID (0xFF none) */
#define NFC_EVT_APDU            0x04u   /* data = the whole C-APDU */
#define NFC_EVT_DESELECTED      0x05u   /* S(DESELECT) answered; no data */
#define NFC_EVT_HALTED          0x06u   /* HLTA; no data */
#define NFC_EVT_ERROR           0x07u   /* data = one NFC_ERR_* byte */

#define NFC_ERR_SPI             0x01u   /* RESPONSE length mismatch */
#define NFC_ERR_STATE           0x02u   /* RESPONSE with no APDU waiting */
#define NFC_ERR_OVERFLOW        0x03u   /* C-APDU longer than NFC_APDU_MAX */
#define NFC_ERR_PROTOCOL        0x04u   /* the PCD broke ISO 14443-4 */
#define NFC_ERR_QUEUE           0x05u   /* events were lost (queue full) */

#define NFC_APDU_MAX            512u    /* largest C-APDU or R-APDU */
#define NFC_EVENT_QUEUE         8u      /* events held */

#endif /* FIRMWARE_INCLUDE_NFC_SPI_H */
