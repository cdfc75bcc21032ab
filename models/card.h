/* SPDX-License-Identifier: MIT */
/* models/card.h - the "card" scenario section: builds the card (secure
 * elements, contact pads) and its outside parties (the contact reader in
 * the world node); card_contact.c carries out the contact actions. */
#ifndef MODELS_CARD_H
#define MODELS_CARD_H

#include "models/registry.h"

extern const scn_section_def_t card_section_def;
extern const model_section_t card_section;
extern const scn_action_def_t *const card_contact_actions[];
extern const scn_action_def_t *const card_fault_actions[];

#include <stdbool.h>

#include "models/cpu/cpu.h"
#include "models/flash.h"

/* Replaces SE se's flash by an image file (cardsim run --flash SE1=FILE,
 * a field dump), after the card is built and before it runs. 0, or -1
 * with a message. */
int card_load_flash(void *model, unsigned se, const char *path, char *err,
                    size_t errlen);

/* The card's cores by name (card_cores.c, for cardsim run --gdb): "mcu"
 * (a card with an MCU) or "se<n>"; NULL if the card has no such core.
 * card_core_names writes the names there are ("mcu, se0, se1"). */
cpu_t *card_core(void *model, const char *name);
void card_core_names(void *model, char *buf, size_t len);

/* Sweeps (cli/cmd_sweep.c). After the card is built: every flash
 * operation SE se starts is told to op_fn (in the SE's node, as it
 * starts); a power cut of that SE sends the scenario to its recovery
 * steps (scn_run_recover), the terminals dropping what they were doing
 * and the contact reader switching the pads off. */
void card_sweep_setup(void *model, unsigned se,
                      void (*op_fn)(void *ctx, unsigned se,
                                    const flash_op_t *op),
                      void *ctx);
/* Arms a cut of SE se's supply inside its flash operation `op` (counted
 * from 0), at num / den of its duration, for CARD_CUT_OFF. */
#define CARD_CUT_OFF SIM_MS(2)
void card_arm_cut(void *model, unsigned se, unsigned op, unsigned num,
                  unsigned den);

/* The bytes of the last contact or contactless exchange a step made,
 * for `cardsim serve`: the ATR (contact.power_on / reset), the ATS
 * (nfc.activate), or an R-APDU's data and SW (contact.apdu, nfc.apdu,
 * ble.apdu). kind says which; it is CARD_LAST_NONE before any. */
typedef enum card_last_kind {
    CARD_LAST_NONE = 0,
    CARD_LAST_ATR,
    CARD_LAST_ATS,
    CARD_LAST_RAPDU,
} card_last_kind_t;

typedef struct card_last {
    card_last_kind_t kind;
    uint8_t bytes[300];   /* ATR, ATS, or the response data */
    size_t len;
    uint16_t sw;          /* CARD_LAST_RAPDU */
} card_last_t;

const card_last_t *card_last(void *model);
void card_last_clear(void *model);

#endif /* MODELS_CARD_H */
