/* SPDX-License-Identifier: MIT */
/* firmware/mcu/nfc_link.c - SPI frames to the NFC front end (nfc_link.h).
 *
 * Reference: firmware/include/nfc_spi.h (docs/nfc.md): one transaction
 * per chip-select period, command first, STATUS clocked back with it. */
#include "nfc_link.h"

#include "mcu_hal.h"

void nfc_link_read_event(nfc_event_t *ev, uint8_t *buf, size_t cap)
{
    mcu_hal_spi_begin();
    ev->status = mcu_hal_spi_xfer(NFC_CMD_READ_EVENT);
    ev->type = mcu_hal_spi_xfer(0);
    size_t len = (size_t)mcu_hal_spi_xfer(0) << 8;
    len |= mcu_hal_spi_xfer(0);
    ev->len = len;
    ev->kept = len < cap ? len : cap;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = mcu_hal_spi_xfer(0);
        if (i < cap)
            buf[i] = b;
    }
    mcu_hal_spi_end();  /* the event is removed now */
}

void nfc_link_respond(const uint8_t *rapdu, size_t len)
{
    mcu_hal_spi_begin();
    (void)mcu_hal_spi_xfer(NFC_CMD_RESPONSE);
    (void)mcu_hal_spi_xfer((uint8_t)(len >> 8));
    (void)mcu_hal_spi_xfer((uint8_t)len);
    for (size_t i = 0; i < len; i++)
        (void)mcu_hal_spi_xfer(rapdu[i]);
    mcu_hal_spi_end();
}
