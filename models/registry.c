/* SPDX-License-Identifier: MIT */
/* models/registry.c - the sections and actions scenarios may use. */
#include "models/registry.h"

#include "models/card.h"
#include "models/card_mcu.h"
#include "models/testbench/testbench.h"

/* One entry per kind of system. */
static const model_section_t *const sections[] = {
    &testbench_section,
    &card_section,
    NULL,
};

/* The same sections as the loader sees them, in the same order. */
static const scn_section_def_t *const section_defs[] = {
    &testbench_section_def,
    &card_section_def,
    NULL,
};

/* Action tables: the core ones, then each model's. */
static const scn_action_def_t *const *const action_tables[] = {
    scn_core_actions,
    testbench_actions,
    card_contact_actions,
    card_mcu_actions,
    card_phone_actions,
    card_fault_actions,
    NULL,
};

const scn_registry_t model_registry = {
    .sections = section_defs,
    .actions = action_tables,
};

const model_section_t *model_section_of(const scenario_t *scn)
{
    for (size_t i = 0; sections[i]; i++)
        if (sections[i]->def == scn->section)
            return sections[i];
    return NULL;
}
