/* SPDX-License-Identifier: MIT */
/* models/card_contact.c - the contact actions: the contact reader drives
 * the pads at exact times (activation, warm reset, deactivation, APDUs, a
 * COS update, the issuer's signed INVALIDATE) and the route of the pads;
 * the reader's completions end the steps. */
#include "models/card_int.h"
#include "models/card.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardsim_config.h"

static bool reader_ok(scn_run_t *run, sim_time_t now, const reader_result_t *r)
{
    if (r->status == READER_OK)
        return true;
    scn_step_complete(run, now, false, "reader: %s%s%s",
                      reader_status_name(r->status),
                      r->error && r->error[0] ? ": " : "",
                      r->error ? r->error : "");
    return false;
}

/* ATR expectations of power_on and reset */
static void atr_done(void *ctx, sim_time_t now, const reader_result_t *r)
{
    scn_run_t *run = ctx;
    if (!reader_ok(run, now, r))
        return;
    card_set_last(run->model, CARD_LAST_ATR, r->data, r->len, 0);
    const scn_step_t *st = scn_run_current(run);
    uint8_t want[64];
    char got[160], w[160];
    card_hex(got, sizeof got, r->data, r->len);
    size_t n = scn_get_hex(st->json, "expect_atr", want, sizeof want);
    if (n && (n != r->len || memcmp(want, r->data, n) != 0)) {
        card_hex(w, sizeof w, want, n);
        scn_step_complete(run, now, false, "ATR %s, expected %s", got, w);
        return;
    }
    n = scn_get_hex(st->json, "expect_historical", want, sizeof want);
    if (n) {
        const atr_t *a = &((card_t *)run->model)->reader.atr_info;
        if (a->nhist != n || memcmp(a->hist, want, n) != 0) {
            char h[160];
            card_hex(h, sizeof h, a->hist, a->nhist);
            card_hex(w, sizeof w, want, n);
            scn_step_complete(run, now, false,
                              "historical bytes %s, expected %s", h, w);
            return;
        }
    }
    const cJSON *any = cJSON_GetObjectItemCaseSensitive(st->json,
                                                        "expect_historical_any");
    if (any) {
        const atr_t *a = &((card_t *)run->model)->reader.atr_info;
        bool match = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, any) {
            uint8_t h[16];
            size_t hn = 0;
            for (const char *p = e->valuestring; p[0] && p[1] && hn < 16;
                 p += 2) {
                unsigned v;
                if (sscanf(p, "%2x", &v) != 1)
                    break;
                h[hn++] = (uint8_t)v;
            }
            match |= hn == a->nhist && memcmp(h, a->hist, hn) == 0;
        }
        if (!match) {
            char hh[160];
            card_hex(hh, sizeof hh, a->hist, a->nhist);
            scn_step_complete(run, now, false, "historical bytes %s, none of "
                              "those expected", hh);
            return;
        }
    }
    scn_step_complete(run, now, true, "ATR %s after %llu clocks%s", got,
                      (unsigned long long)r->atr_clocks,
                      r->pps ? ", PPS done" : "");
}

static const scn_field_t hist_item = { .type = SCN_T_HEX, .max = 15 };

static const scn_field_t atr_fields[] = {
    { .key = "expect_atr", .type = SCN_T_HEX, .max = 33,
      .help = "the whole ATR expected" },
    { .key = "expect_historical", .type = SCN_T_HEX, .max = 15,
      .help = "the ATR's historical bytes expected (\"43534C445201\" is "
              "the loader's CSLDR 01)" },
    { .key = "expect_historical_any", .type = SCN_T_ARRAY,
      .item = &hist_item, .min = 1, .max = 8,
      .help = "the historical bytes must be one of these (a sweep's "
              "recovery: the old COS, the new, or the loader)" },
    { 0 },
};

static scn_status_t started(scn_run_t *run, sim_time_t now,
                            reader_status_t s)
{
    if (s != READER_OK)
        scn_step_complete(run, now, false, "reader: %s",
                          reader_status_name(s));
    return SCN_STEP_PENDING;
}

static scn_status_t power_on_start(scn_run_t *run, scn_step_t *st,
                                   sim_time_t now)
{
    (void)st;
    card_t *cd = run->model;
    return started(run, now, reader_power_on(&cd->reader, now, atr_done,
                                             run));
}

static scn_status_t reset_start(scn_run_t *run, scn_step_t *st,
                                sim_time_t now)
{
    (void)st;
    card_t *cd = run->model;
    return started(run, now, reader_warm_reset(&cd->reader, now, atr_done,
                                               run));
}

static void off_done(void *ctx, sim_time_t now, const reader_result_t *r)
{
    scn_run_t *run = ctx;
    if (reader_ok(run, now, r))
        scn_step_complete(run, now, true, NULL);
}

static scn_status_t power_off_start(scn_run_t *run, scn_step_t *st,
                                    sim_time_t now)
{
    (void)st;
    card_t *cd = run->model;
    return started(run, now, reader_power_off(&cd->reader, now, off_done,
                                              run));
}

static void apdu_done(void *ctx, sim_time_t now, const reader_result_t *r)
{
    scn_run_t *run = ctx;
    card_t *cd = run->model;
    const char *want = scn_get_string(cd->op.json, "expect_error", NULL);
    if (want) {
        /* a fault's step: the exchange must fail, and this way */
        const char *got = reader_status_name(r->status);
        if (r->status != READER_OK && strcmp(got, want) == 0)
            card_op_end(&cd->op, now, true, "reader: %s: %s", got,
                        r->error ? r->error : "");
        else
            card_op_end(&cd->op, now, false, "reader: %s, expected the "
                        "exchange to fail with %s", got, want);
        return;
    }
    if (reader_ok(run, now, r)) /* the reader gives the data without SW */
        card_apdu_result(&cd->op, now, r->sw, r->data, r->len);
}

static const char *const reader_errors[] = { "timeout", "protocol", "dead",
                                             "aborted", NULL };

static const scn_field_t contact_apdu_fields[] = {
    CARD_APDU_FIELDS
    { .key = "expect_error", .type = SCN_T_ENUM, .choices = reader_errors,
      .help = "the exchange must fail this way (a fault's step: e.g. "
              "\"dead\" when the card lost its power)" },
    { 0 },
};

static scn_status_t apdu_start(scn_run_t *run, scn_step_t *st,
                               sim_time_t now)
{
    card_t *cd = run->model;
    uint8_t apdu[261];
    size_t n = scn_get_hex(st->json, "apdu", apdu, sizeof apdu);
    card_op_start(&cd->op, run, st);
    return started(run, now, reader_transmit(&cd->reader, now, apdu, n,
                                             apdu_done, run));
}

static const scn_field_t contact_update_fields[] = {
    CARD_UPDATE_FIELDS
    { .key = "only_if_historical", .type = SCN_T_HEX, .max = 15,
      .help = "run only if the last ATR had these historical bytes (else "
              "the step passes, skipped): a sweep's recovery resumes an "
              "update only where the loader answered" },
    { 0 },
};

static scn_status_t update_start(scn_run_t *run, scn_step_t *st,
                                 sim_time_t now)
{
    card_t *cd = run->model;
    uint8_t want[16];
    size_t n = scn_get_hex(st->json, "only_if_historical", want, sizeof want);
    const atr_t *a = &cd->reader.atr_info;
    if (n && (a->nhist != n || memcmp(a->hist, want, n) != 0)) {
        char h[40];
        card_hex(h, sizeof h, a->hist, a->nhist);
        scn_step_complete(run, now, true, "skipped: the ATR's historical "
                          "bytes are %s", h);
        return SCN_STEP_PENDING;
    }
    card_op_start(&cd->op, run, st);
    if (card_update_load(&cd->op, now))
        card_update_begin(&cd->op, now, reader_update_transmit, &cd->reader);
    return SCN_STEP_PENDING;
}

static scn_status_t invalidate_start(scn_run_t *run, scn_step_t *st,
                                     sim_time_t now)
{
    card_t *cd = run->model;
    card_op_start(&cd->op, run, st);
    card_invalidate_begin(&cd->op, now, reader_update_transmit, &cd->reader);
    return SCN_STEP_PENDING;
}

static const scn_field_t route_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE the contact pads reach" },
    { 0 },
};

static scn_status_t route_start(scn_run_t *run, scn_step_t *st,
                                sim_time_t now)
{
    card_t *cd = run->model;
    unsigned se = (unsigned)scn_get_int(st->json, "se", 0);
    if (se >= cd->n_se) {
        scn_step_complete(run, now, false, "the card has no SE%u", se);
        return SCN_STEP_PENDING;
    }
    pads_set_route(&cd->pads, now, se);
    return SCN_STEP_DONE;
}

/* card.expect_flash: an SE's flash compared with what it was built with,
 * read at the step's time (the SE idle). */
static const scn_field_t flash_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE" },
    { .key = "unchanged", .type = SCN_T_BOOL, .required = true,
      .help = "true: byte for byte as built; false: changed" },
    { 0 },
};

static scn_status_t flash_start(scn_run_t *run, scn_step_t *st,
                                sim_time_t now)
{
    card_t *cd = run->model;
    unsigned se = (unsigned)scn_get_int(st->json, "se", 0);
    if (se >= cd->n_se) {
        scn_step_complete(run, now, false, "the card has no SE%u", se);
        return SCN_STEP_PENDING;
    }
    const flash_t *f = &cd->se[se].flash;
    size_t diff = f->geom.size, ndiff = 0;
    for (size_t i = 0; i < f->geom.size; i++) {
        if (f->mem[i] != cd->flash0[se][i]) {
            if (!ndiff)
                diff = i;
            ndiff++;
        }
    }
    bool want = scn_get_bool(st->json, "unchanged", true);
    if (want && ndiff) {
        scn_step_complete(run, now, false, "SE%u flash: %zu bytes changed, "
                          "the first at offset 0x%zX", se, ndiff, diff);
        return SCN_STEP_PENDING;
    }
    if (!want && !ndiff) {
        scn_step_complete(run, now, false, "SE%u flash unchanged", se);
        return SCN_STEP_PENDING;
    }
    scn_step_complete(run, now, true, "SE%u flash: %zu bytes changed", se,
                      ndiff);
    return SCN_STEP_PENDING;
}

static const scn_action_def_t power_on_action = {
    .name = "contact.power_on",
    .help = "the contact reader activates the card and reads its ATR "
            "(window 400..40 000 clocks checked), then PPS",
    .fields = atr_fields, .start = power_on_start,
};
static const scn_action_def_t reset_action = {
    .name = "contact.reset",
    .help = "warm reset through RST, ATR and PPS again",
    .fields = atr_fields, .start = reset_start,
};
static const scn_action_def_t power_off_action = {
    .name = "contact.power_off",
    .help = "deactivation: RST low, CLK stopped, VCC off",
    .fields = (const scn_field_t[]){ { 0 } }, .start = power_off_start,
};
static const scn_action_def_t apdu_action = {
    .name = "contact.apdu",
    .help = "one command APDU over the contact interface (T=1 or T=0)",
    .fields = contact_apdu_fields, .start = apdu_start,
};
static const scn_action_def_t update_action = {
    .name = "contact.update_cos",
    .help = "update the routed SE's COS from an image: BEGIN, LOAD blocks, "
            "COMMIT",
    .fields = contact_update_fields, .check = card_update_check,
    .start = update_start,
};
static const scn_action_def_t invalidate_action = {
    .name = "contact.invalidate",
    .help = "the issuer's signed INVALIDATE of the running COS (GET DATA "
            "serial, GET CHALLENGE, INVALIDATE signed with the test key)",
    .fields = card_invalidate_fields, .start = invalidate_start,
};
static const scn_action_def_t route_action = {
    .name = "card.contact_route",
    .help = "route the contact pads to another SE",
    .fields = route_fields, .start = route_start,
};

static const scn_action_def_t flash_action = {
    .name = "card.expect_flash",
    .help = "compare an SE's flash with the one it was built with",
    .fields = flash_fields, .start = flash_start,
};

const scn_action_def_t *const card_contact_actions[] = {
    &power_on_action, &power_off_action, &reset_action, &apdu_action,
    &update_action, &invalidate_action, &route_action, &flash_action, NULL,
};

