/* SPDX-License-Identifier: MIT */
/* firmware/mcu/mode.h - the card's working mode (claim 5): which channels
 * are active, from the SENSE inputs, the NFC field state and the BLE
 * radio's connection state.
 *
 * Portable: no register access (host-tested in tests/mcu_fw/). */
#ifndef FIRMWARE_MCU_MODE_H
#define FIRMWARE_MCU_MODE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct mode_state {
    uint32_t value;     /* MCU_MODE_* bits last reported */
    bool reported;      /* value has been written once */
} mode_state_t;

/* CONTACT while SENSE.CONTACT_VCC, NFC while the field is on (between
 * the front end's FIELD_ON and FIELD_OFF events), BLE while the radio is
 * connected (its CONNECTED..DISCONNECTED events) or SENSE.BLE_LINK is
 * high (the scenario's stub input, or-ed in so scenarios without a radio
 * peer still drive the mode). */
uint32_t mode_compute(uint32_t sense, bool nfc_field, bool ble_conn);

/* Recomputes; returns true when the value differs from the last one
 * reported (or none was), i.e. when SYSCTL.MODE must be written. */
bool mode_update(mode_state_t *m, uint32_t sense, bool nfc_field,
                 bool ble_conn);

#endif /* FIRMWARE_MCU_MODE_H */
