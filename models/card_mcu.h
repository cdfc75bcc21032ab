/* SPDX-License-Identifier: MIT */
/* models/card_mcu.h - the card's MCU side (card_mcu.c): the MCU with its
 * firmware, the NFC front end, the MCU -> SE lines, the phone, and their
 * scenario actions. Used by card.c only. */
#ifndef MODELS_CARD_MCU_H
#define MODELS_CARD_MCU_H

#include <cjson/cJSON.h>

#include "models/card_int.h"

typedef struct mcu_part mcu_part_t;

/* The section's "mcu", "nfc" and "phone" objects. */
extern const scn_field_t card_mcu_fields[];
extern const scn_field_t card_nfc_fields[];
extern const scn_field_t card_phone_fields[];

extern const scn_action_def_t *const card_mcu_actions[];
/* card_phone.c: nfc.* and ble.* */
extern const scn_action_def_t *const card_phone_actions[];

/* Builds the MCU (registering its node), the NFC front end and the phone;
 * after the pads and the reader, before the SEs. -1 with "FILE: $.path:
 * ..." in err. */
int card_mcu_build(card_t *cd, const cJSON *sec, char *err, size_t errlen);
/* Once the SEs exist: the MCU -> SE lines and their analysers. */
void card_mcu_wire(card_t *cd);
void card_mcu_destroy(card_t *cd);
void card_mcu_stats(const card_t *cd, cJSON *nodes);
/* The state the MCU last reported for SE se (SE_STATE: (version << 16) |
 * (se << 8) | state), MCU_SE_STATE_NONE if none. */
uint32_t card_mcu_se_state(const card_t *cd, unsigned se);
/* A sweep's cut: the phone's NFC field goes off and its BLE link is
 * dropped, whatever they were doing. */
void card_mcu_drop(card_t *cd, sim_time_t now);
/* fault.power on the MCU: its battery off now, back after off (through
 * the sense link). false if the card has no MCU. */
bool card_mcu_power_cut(card_t *cd, sim_time_t now, sim_time_t off);
/* The MCU chip (NULL if the card has none). */
struct mcu *card_mcu_chip(card_t *cd);
/* The "nfc" (and "ble") channel objects: apdus, bytes. */
void card_mcu_channels(const card_t *cd, cJSON *out);

#endif /* MODELS_CARD_MCU_H */
