/* SPDX-License-Identifier: MIT */
/* sim/scenario.h - scenario files: loading, validation and the tables that
 * extend them.
 *
 * A scenario (docs/scenario-format.md) is a JSON object:
 *   format       "cardsim-scenario/1" (required)
 *   name         string; default: file name without ".json"
 *   description  string
 *   comment      string (ignored; allowed on any object that lists it)
 *   seed         integer 0..2^53
 *   timeout      time; the run fails if the timeline is not done by then
 *                (default 60 s of simulated time)
 *   <section>    exactly one configuration section from the registry,
 *                e.g. "testbench" (the platform's test nodes) or "card"
 *   timeline     array of steps, each {"action": NAME, ...}
 *
 * Every step may carry the common keys:
 *   action   (required) a name from the registry's action tables
 *   name     a label for reports
 *   at       earliest start, absolute time
 *   delay    wait this long after the previous step completed (default 0)
 *   timeout  the step fails if it has not completed after this long
 *   comment  ignored
 * plus the fields its action declares.
 *
 * Validation happens entirely before any simulation: syntax errors name the
 * line and column; every other error names the file, the JSON path
 * ("$.timeline[2].delay") and what was expected. Nothing is created or
 * written on error.
 *
 * Sections and actions are extended by adding a table entry (one line per
 * action in the model's table), never by editing the loader. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sim/time.h"

#define SCN_FORMAT "cardsim-scenario/1"
#define SCN_DEFAULT_TIMEOUT SIM_S(60)

typedef enum scn_type {
    SCN_T_STRING,   /* any string */
    SCN_T_ENUM,     /* one of field->choices */
    SCN_T_INT,      /* integer number in [min, max] */
    SCN_T_BOOL,
    SCN_T_TIME,     /* string, units_parse_time (clocks: those declared) */
    SCN_T_FREQ,     /* string, units_parse_freq */
    SCN_T_HEX,      /* string, units_parse_hex, at most max bytes */
    SCN_T_OBJECT,   /* object with field->fields */
    SCN_T_ARRAY,    /* array whose elements are described by field->item */
    SCN_T_NODE,     /* string naming a node declared by the section */
    SCN_T_ANY,      /* not checked here (the owner's check() does it) */
} scn_type_t;

typedef struct scn_field scn_field_t;
struct scn_field {
    const char *key;             /* NULL ends a field list */
    scn_type_t type;
    bool required;
    const char *help;            /* one line, for docs and --help */
    const scn_field_t *fields;   /* SCN_T_OBJECT: its keys */
    const scn_field_t *item;     /* SCN_T_ARRAY: one field describing items
                                    (its key is ignored) */
    const char *const *choices;  /* SCN_T_ENUM: NULL-terminated */
    int64_t min, max;            /* SCN_T_INT range (min == max == 0: any
                                    integer of magnitude <= 2^53);
                                    SCN_T_HEX/ARRAY: max count when max > 0
                                    (min: min count) */
};

typedef struct scn_ctx scn_ctx_t;

/* Sets the error for path and returns false, so checks can
 * `return scn_error(c, path, "...")`. */
bool scn_error(scn_ctx_t *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Declares a clock usable as "N clk@name" in times, and a node name
 * usable by SCN_T_NODE fields. Sections call these from check(). */
void scn_declare_clock(scn_ctx_t *c, const char *name, uint64_t hz);
void scn_declare_node(scn_ctx_t *c, const char *name);
bool scn_node_declared(const scn_ctx_t *c, const char *name);
struct scenario;
/* The scenario being loaded, so checks can use the scn_get_*() getters on
 * fields the generic walk has already validated. */
const struct scenario *scn_ctx_scenario(const scn_ctx_t *c);

typedef struct scn_section_def {
    const char *key;            /* top-level key, e.g. "testbench" */
    const char *help;
    const scn_field_t *fields;
    /* Semantic checks after the generic ones (names unique, links between
     * declared nodes, ...); declares clocks and nodes. May be NULL. Since
     * it declares them, the section's own SCN_T_NODE fields and its
     * "N clk@NAME" times are checked right after it returns. */
    bool (*check)(scn_ctx_t *c, const cJSON *section, const char *path);
} scn_section_def_t;

struct scn_run;
struct scn_step;
typedef enum scn_status { SCN_STEP_DONE, SCN_STEP_PENDING } scn_status_t;
/* Starts a step at time now in the scenario's driver node. Returns
 * SCN_STEP_DONE if it completed at once, SCN_STEP_PENDING if it will call
 * scn_step_complete() later. */
typedef scn_status_t (*scn_start_fn)(struct scn_run *run,
                                     struct scn_step *step, sim_time_t now);

typedef struct scn_action_def {
    const char *name;           /* "wait", "ping", "apdu", ... */
    const char *help;
    const scn_field_t *fields;  /* besides the common step keys */
    bool (*check)(scn_ctx_t *c, const cJSON *step, const char *path);
    scn_start_fn start;
} scn_action_def_t;

typedef struct scn_registry {
    const scn_section_def_t *const *sections;   /* NULL-terminated */
    const scn_action_def_t *const *const *actions; /* NULL-terminated list of
                                                  NULL-terminated tables */
} scn_registry_t;

typedef struct scn_clock {
    char *name;
    uint64_t hz;
} scn_clock_t;

typedef struct scn_step {
    size_t index;
    char path[32];              /* "$.timeline[3]" */
    const char *label;          /* "name", or NULL */
    const scn_action_def_t *def;
    const cJSON *json;          /* the step object */
    sim_time_t at;              /* SIM_NEVER if not given */
    sim_time_t delay;
    sim_time_t timeout;         /* SIM_NEVER if not given */
} scn_step_t;

typedef struct scenario {
    char *file;
    char *text;
    cJSON *root;
    const char *name;           /* points into root, or name_buf */
    char name_buf[128];
    const char *description;    /* may be NULL */
    uint64_t seed;
    sim_time_t timeout;
    const scn_section_def_t *section;
    const cJSON *config;        /* the section's object */
    scn_step_t *steps;          /* the timeline, then the sweep's recovery */
    size_t n_steps;             /* timeline steps */
    size_t n_recovery;          /* recovery steps, at steps[n_steps...] */
    const cJSON *sweep;         /* the "sweep" object, or NULL */
    scn_clock_t *clocks;
    size_t n_clocks;
    char **nodes;
    size_t n_nodes;
} scenario_t;

/* Loads and validates file. Returns 0, or -1 with err holding one message
 * of the form "FILE:LINE:COL: ..." (syntax) or "FILE: $.path: ..." (all
 * else). On error *s is left empty (nothing to free). */
int scenario_load(scenario_t *s, const char *file, const scn_registry_t *reg,
                  char *err, size_t errlen);
/* Same, from a string already in memory (tests); file names it in errors. */
int scenario_load_text(scenario_t *s, const char *file, const char *text,
                       const scn_registry_t *reg, char *err, size_t errlen);
void scenario_free(scenario_t *s);

/* The action called name in the registry's tables, or NULL. */
const scn_action_def_t *scn_find_action(const scn_registry_t *reg,
                                        const char *name);

/* Typed access to fields already validated by scenario_load (so these
 * cannot fail): the value of key in obj, or dflt when absent. */
sim_time_t scn_get_time(const scenario_t *s, const cJSON *obj,
                        const char *key, sim_time_t dflt);
uint64_t scn_get_freq(const cJSON *obj, const char *key, uint64_t dflt);
int64_t scn_get_int(const cJSON *obj, const char *key, int64_t dflt);
bool scn_get_bool(const cJSON *obj, const char *key, bool dflt);
const char *scn_get_string(const cJSON *obj, const char *key,
                           const char *dflt);
/* Hex field into buf (cap bytes); returns the length, 0 if absent. */
size_t scn_get_hex(const cJSON *obj, const char *key, uint8_t *buf,
                   size_t cap);

#endif /* SIM_SCENARIO_H */
