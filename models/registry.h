/* SPDX-License-Identifier: MIT */
/* models/registry.h - what scenarios can build and do: the table of
 * configuration sections (each builds a system of models) and of actions.
 * A new kind of system or action is one entry here. */
#ifndef MODELS_REGISTRY_H
#define MODELS_REGISTRY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sim/scenario.h"
#include "sim/scenario_run.h"
#include "sim/sim.h"
#include "sim/trace.h"

/* pcap files a system produces */
enum {
    MODEL_PCAP_APDU = 1u << 0,
    MODEL_PCAP_NFC = 1u << 1,
    MODEL_PCAP_BLE = 1u << 2,
};

typedef struct model_section {
    const scn_section_def_t *def;
    unsigned pcaps;
    /* Builds the system described by the scenario into run->model. Errors
     * that validation could not see (e.g. a link to a missing peer, an
     * unreadable image) return -1 with "FILE: $.path: ..." in err. */
    int (*build)(scn_run_t *run, trace_bus_t *bus, char *err, size_t errlen);
    void (*destroy)(void *model);
    /* Adds per-node statistics to the summary (an array of objects). */
    void (*stats)(const void *model, cJSON *nodes);
    /* Adds per channel ("contact", "nfc", "ble") what its terminal moved:
     * an object per channel with "apdus" and "bytes". May be NULL. */
    void (*channels)(const void *model, cJSON *out);
    /* Writes the system's end state into dir (e.g. flash images) and adds
     * the file names (static strings) to names[*n], up to max. May be
     * NULL. Returns 0, or -1 with a message. */
    int (*save)(const void *model, const char *dir, const char **names,
                size_t *n, size_t max, char *err, size_t errlen);
} model_section_t;

extern const scn_registry_t model_registry;

/* The section entry for a loaded scenario. */
const model_section_t *model_section_of(const scenario_t *scn);

#endif /* MODELS_REGISTRY_H */
