/* SPDX-License-Identifier: MIT */
/* models/card_int.h - the card's composition shared by the files that
 * carry out its scenario actions (card.c builds it; card_contact.c,
 * card_nfc.c and card_mcu.c act on it). Not for other models. */
#ifndef MODELS_CARD_INT_H
#define MODELS_CARD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/card.h"
#include "models/pads.h"
#include "models/registry.h"
#include "models/se.h"
#include "models/terminals/cos_update.h"
#include "models/terminals/reader.h"

#define CARD_MAX_SE PADS_MAX_SE

/* An operation a step started on a terminal: its outcome completes that
 * step, or, when the step said "detach": true, is kept until a later
 * join step (the operation then runs while the next steps do). */
typedef struct card_op {
    scn_run_t *run;
    const cJSON *json;      /* the step that started it */
    bool detached, running, ok, join_waiting;
    char msg[512];
} card_op_t;

/* A contactless channel of the phone (NFC, BLE): its terminal as a
 * cos_update channel, and the operation a step started on it. */
typedef struct card_chan {
    const char *name;              /* "nfc", "ble": in messages */
    cos_update_transmit_fn tx;     /* one APDU over the channel */
    void *term;                    /* the terminal (tx's chan) */
    card_op_t op;
    int phase;                     /* update/invalidate: 0 SELECT the card
                                      manager, 1 OPEN, 2 the rest */
    unsigned se;
    bool invalidate;
} card_chan_t;

/* A fault channel to one SE (card_fault.c): commands from the world. */
typedef struct card_fault {
    se_t *se;                 /* the SE, or NULL: the MCU's channel */
    struct mcu *mcu;          /* the MCU (se == NULL) */
    cpu_t *cpu;               /* the core of either */
    sim_node_t *node;         /* its node */
    const char *name;         /* "se0", "mcu" */
    sim_link_t link;          /* world -> that node, 1 us */
    sim_event_t cycle_ev;     /* fault.at_cycle */
    sim_time_t cycle_off;
    /* fault.at_symbol: a breakpoint on the SE's core; the hit that cuts
     * halts the core and schedules sym_ev at that instant */
    uint32_t sym_addr;
    uint64_t sym_left;        /* hits still to pass (0: none armed) */
    sim_time_t sym_off;
    char sym_name[64];
    sim_event_t sym_ev;
} card_fault_t;

void card_fault_rx(void *ctx, const sim_msg_t *m, sim_time_t now);
void card_fault_cycle_fire(sim_event_t *ev, sim_time_t now);
void card_fault_symbol_fire(sim_event_t *ev, sim_time_t now);
/* Sets up a fault channel to SE se (or to the MCU when se is NULL). */
struct card;
void card_fault_init(struct card *cd, card_fault_t *f, se_t *se,
                     struct mcu *mcu);

struct mcu_part;   /* card_mcu.c: the MCU, the NFC front end, the phone */

typedef struct card {
    scn_run_t *run;
    trace_bus_t *bus;
    se_t *se;
    size_t n_se;
    uint8_t *flash0[CARD_MAX_SE]; /* each SE's flash as built */
    pads_t pads;
    iso7816_line_t *lines;   /* pads -> SE i */
    reader_t reader;
    struct mcu_part *mp;     /* NULL: a card without MCU */
    card_chan_t nfc, ble;    /* the phone's channels (card_phone.c) */
    card_op_t op;            /* the contact reader's operation */
    /* the COS update in progress (contact, NFC) */
    cos_update_t update;
    uint8_t *image;
    size_t image_len;
    /* the INVALIDATE in progress: serial, then challenge, then command */
    int inv_phase;
    uint8_t inv_serial[8], inv_challenge[8];
    cos_update_transmit_fn inv_tx;
    void *inv_chan;
    char dir[4096];          /* the scenario's directory */
    /* sweeps (card_sweep_setup) */
    sim_link_t *fault_links; /* SE i -> world: a cut happened */
    card_fault_t *faults;    /* world -> SE i: fault commands */
    card_fault_t mcu_fault;  /* world -> the MCU (its cpu NULL: none) */
    bool recover_on_cut;
    bool cut_sent[CARD_MAX_SE];      /* SE i's cut was reported */
    uint8_t *cut_flash[CARD_MAX_SE]; /* SE i's flash just after its cut */
    void (*sweep_op)(void *ctx, unsigned se, const flash_op_t *op);
    void *sweep_ctx;
    card_last_t last;        /* the last exchange's bytes (card_last) */
} card_t;

/* Records the bytes of an exchange in cd->last. */
void card_set_last(card_t *cd, card_last_kind_t kind, const uint8_t *b,
                   size_t len, uint16_t sw);

/* helpers (card_util.c) */
void card_resolve(const card_t *cd, const char *name, char *out, size_t len);
void card_cos_image_path(int version, char *out, size_t len);
void card_hex(char *out, size_t len, const uint8_t *b, size_t n);
uint8_t *card_read_all(const char *path, size_t *len);


void card_op_start(card_op_t *op, scn_run_t *run, const scn_step_t *st);
/* What the starting step returns: done at once when detached. */
scn_status_t card_op_started(const card_op_t *op);
void card_op_end(card_op_t *op, sim_time_t now, bool ok, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
/* A join step: completes with the detached operation's outcome, now or
 * when it ends. */
scn_status_t card_op_join(card_op_t *op, sim_time_t now);

/* An APDU step's fields, to open its table with ("apdu", "expect_sw",
 * "expect_data", "expect_sw_any", "expect_data_any"), and the check of its
 * response: completes the step. */
extern const scn_field_t card_sw_item, card_data_item;
#define CARD_APDU_FIELDS                                                    \
    { .key = "apdu", .type = SCN_T_HEX, .required = true, .max = 261,       \
      .help = "the command APDU" },                                         \
    { .key = "expect_sw", .type = SCN_T_HEX, .min = 2, .max = 2,            \
      .help = "the status word expected, e.g. \"9000\"" },                  \
    { .key = "expect_data", .type = SCN_T_HEX, .max = 256,                  \
      .help = "the response data expected (without the SW)" },              \
    { .key = "expect_sw_any", .type = SCN_T_ARRAY, .item = &card_sw_item,   \
      .min = 1, .max = 16,                                                  \
      .help = "the SW must be one of these (a sweep's invariant)" },        \
    { .key = "expect_data_any", .type = SCN_T_ARRAY,                        \
      .item = &card_data_item, .min = 1, .max = 16,                         \
      .help = "the data must be one of these, e.g. the old or the new "     \
              "balance (a sweep's invariant)" },
void card_apdu_result(card_op_t *op, sim_time_t now, uint16_t sw,
                      const uint8_t *data, size_t len);

/* A COS update step's fields (image choice, expectations, the negative
 * variants), its check, and its start over any channel. The update client
 * calls transmit(chan, ...) for each APDU; the step completes at its end. */
extern const char *const card_built_images[];
extern const char *const card_update_steps[];
#define CARD_UPDATE_FIELDS \
    { .key = "cos", .type = SCN_T_INT, .min = 1, .max = 2, \
      .help = "the built image of this COS version" }, \
    { .key = "image", .type = SCN_T_STRING, \
      .help = "a signed image file (relative to the scenario)" }, \
    { .key = "built_image", .type = SCN_T_ENUM, .choices = card_built_images, \
      .help = "an image built with cardsim (build/firmware/images/), " \
              "including the deliberately broken ones" }, \
    { .key = "expect_sw", .type = SCN_T_HEX, .min = 2, .max = 2, \
      .help = "the SW that ends the update (default \"9000\": COMMIT ok)" }, \
    { .key = "expect_step", .type = SCN_T_ENUM, \
      .choices = (const char *const[]){ "begin", "load", "status", \
                                        "commit", NULL }, \
      .help = "the step expected to end the update (with expect_sw)" }, \
    { .key = "skip_block", .type = SCN_T_INT, .min = 0, .max = 32767, \
      .help = "negative test: this block is not sent" }, \
    { .key = "repeat_block", .type = SCN_T_INT, .min = 0, .max = 32767, \
      .help = "negative test: this block is sent twice" }, \
    { .key = "stop_after", .type = SCN_T_INT, .min = 0, .max = 32767, \
      .help = "negative test: stop after this many blocks" }, \
    { .key = "commit_after_stop", .type = SCN_T_BOOL, \
      .help = "with stop_after: send COMMIT anyway" }, \
    { .key = "wrong_length_block", .type = SCN_T_INT, .min = 0, \
      .max = 32767, .help = "negative test: this block one byte short" }, \
    { .key = "resume", .type = SCN_T_BOOL, \
      .help = "ask STATUS after BEGIN and continue where the card is" },
extern const scn_field_t card_update_fields[];
bool card_update_check(scn_ctx_t *c, const cJSON *step, const char *path);
/* Reads the image of the operation's step into cd->image; false (the
 * operation ended as failed) if it cannot. */
bool card_update_load(card_op_t *op, sim_time_t now);
void card_update_begin(card_op_t *op, sim_time_t now,
                       cos_update_transmit_fn transmit, void *chan);

/* The issuer's signed INVALIDATE of a running COS over any channel: GET
 * DATA serial, GET CHALLENGE, INVALIDATE signed with the test issuer key.
 * Its step fields: */
#define CARD_INVALIDATE_FIELDS \
    { .key = "expect_sw", .type = SCN_T_HEX, .min = 2, .max = 2, \
      .help = "the INVALIDATE's SW expected (default \"9000\")" }, \
    { .key = "corrupt_signature", .type = SCN_T_BOOL, \
      .help = "negative test: flip a bit of the signature" },
extern const scn_field_t card_invalidate_fields[];
void card_invalidate_begin(card_op_t *op, sim_time_t now,
                           cos_update_transmit_fn transmit, void *chan);

#endif /* MODELS_CARD_INT_H */
