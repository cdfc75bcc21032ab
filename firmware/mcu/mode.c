/* SPDX-License-Identifier: MIT */
/* firmware/mcu/mode.c - working mode detection (mode.h). */
#include "mode.h"

#include "regs/mcu_sysctl.h"

uint32_t mode_compute(uint32_t sense, bool nfc_field, bool ble_conn)
{
    uint32_t m = 0;
    if (sense & MCU_SENSE_CONTACT_VCC)
        m |= MCU_MODE_CONTACT;
    if (nfc_field)
        m |= MCU_MODE_NFC;
    if (ble_conn || (sense & MCU_SENSE_BLE_LINK))
        m |= MCU_MODE_BLE;
    return m;
}

bool mode_update(mode_state_t *m, uint32_t sense, bool nfc_field,
                 bool ble_conn)
{
    uint32_t v = mode_compute(sense, nfc_field, ble_conn);
    if (m->reported && v == m->value)
        return false;
    m->value = v;
    m->reported = true;
    return true;
}
