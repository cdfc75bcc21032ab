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

#endif /* MODELS_CARD_H */
