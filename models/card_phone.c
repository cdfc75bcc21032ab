/* SPDX-License-Identifier: MIT */
/* models/card_phone.c - the phone's actions on the card, over NFC
 * (nfc.*) and BLE (ble.*).
 *
 * What both channels do is written once over a card_chan_t (its terminal
 * as a cos_update channel): one APDU with expectations; a COS update or the
 * issuer's INVALIDATE of SE n (SELECT the card manager, OPEN n, then the
 * update client or the INVALIDATE sequence of card_util.c); the join of a
 * detached operation. What only one channel has stays with it: the NFC
 * field, activation and DESELECT; the BLE connection and its interval. */
#include <stdio.h>
#include <string.h>

#include "firmware/include/card_manager.h"
#include "models/card_int.h"
#include "models/card_mcu.h"
#include "models/terminals/phone.h"
#include "models/terminals/phone_ble.h"

/* ---- both channels ----------------------------------------------------- */

static card_chan_t *chan_of(scn_run_t *run, const scn_step_t *st)
{
    card_t *cd = run->model;
    return strncmp(st->def->name, "ble.", 4) == 0 ? &cd->ble : &cd->nfc;
}

static void chan_apdu_done(void *ctx, sim_time_t now,
                           const cos_update_rsp_t *r)
{
    card_chan_t *ch = ctx;
    if (!r->ok) {
        card_op_end(&ch->op, now, false, "%s: %s", ch->name,
                    r->error ? r->error : "no response");
        return;
    }
    card_apdu_result(&ch->op, now, r->sw, r->data, r->len);
}

/* Sends one APDU; a refusal ends the operation. */
static void chan_send(card_chan_t *ch, sim_time_t now, const uint8_t *apdu,
                      size_t n, cos_update_rsp_fn done)
{
    if (ch->tx(ch->term, now, apdu, n, done, ch) != 0)
        card_op_end(&ch->op, now, false, "%s: busy", ch->name);
}

static scn_status_t apdu_start(scn_run_t *run, scn_step_t *st,
                               sim_time_t now)
{
    card_chan_t *ch = chan_of(run, st);
    uint8_t apdu[261];
    size_t n = scn_get_hex(st->json, "apdu", apdu, sizeof apdu);
    card_op_start(&ch->op, run, st);
    chan_send(ch, now, apdu, n, chan_apdu_done);
    return card_op_started(&ch->op);
}

static scn_status_t join_start(scn_run_t *run, scn_step_t *st,
                               sim_time_t now)
{
    return card_op_join(&chan_of(run, st)->op, now);
}

/* SELECT the card manager, OPEN the SE, then the update or INVALIDATE. */
static void open_step(void *ctx, sim_time_t now, const cos_update_rsp_t *r)
{
    card_chan_t *ch = ctx;
    static const char *const what[] = { "SELECT card manager", "OPEN" };
    if (!r->ok) {
        card_op_end(&ch->op, now, false, "%s: %s: %s", ch->name,
                    what[ch->phase], r->error ? r->error : "no response");
        return;
    }
    if (r->sw != CM_SW_OK) {
        card_op_end(&ch->op, now, false, "%s: SW %04X", what[ch->phase],
                    r->sw);
        return;
    }
    if (ch->phase == 0) {
        ch->phase = 1;
        uint8_t open[4] = { CM_CLA, CM_INS_OPEN, (uint8_t)ch->se, 0 };
        chan_send(ch, now, open, sizeof open, open_step);
        return;
    }
    ch->phase = 2;
    if (ch->invalidate)
        card_invalidate_begin(&ch->op, now, ch->tx, ch->term);
    else
        card_update_begin(&ch->op, now, ch->tx, ch->term);
}

static scn_status_t open_then(scn_run_t *run, scn_step_t *st, sim_time_t now,
                              bool invalidate)
{
    card_t *cd = run->model;
    card_chan_t *ch = chan_of(run, st);
    card_op_start(&ch->op, run, st);
    ch->se = (unsigned)scn_get_int(st->json, "se", 0);
    ch->invalidate = invalidate;
    if (ch->se >= cd->n_se) {
        card_op_end(&ch->op, now, false, "the card has no SE%u", ch->se);
        return card_op_started(&ch->op);
    }
    const char *only = scn_get_string(st->json, "only_if_se_state", NULL);
    if (only) {
        static const char *const names[] = { "absent", "loader", "cos",
                                             "contact", "unknown" };
        uint32_t v = card_mcu_se_state(cd, ch->se);
        unsigned k = v == 0xFFFFFFFFu ? 5u : v & 0xFFu;
        const char *now_state = k < 5 ? names[k] : "none";
        if (strcmp(now_state, only) != 0) {
            card_op_end(&ch->op, now, true, "skipped: the MCU reports SE%u "
                        "%s", ch->se, now_state);
            return card_op_started(&ch->op);
        }
    }
    if (!invalidate && !card_update_load(&ch->op, now))
        return card_op_started(&ch->op);
    ch->phase = 0;
    static const uint8_t select_cm[5 + CM_AID_LEN] = {
        0x00, 0xA4, 0x04, 0x00, CM_AID_LEN, 0xA0, 0x00, 0x00, 0x09, 0x99,
        0x43, 0x53, 0x4D, 0x47, 0x52,
    };
    chan_send(ch, now, select_cm, sizeof select_cm, open_step);
    return card_op_started(&ch->op);
}

static scn_status_t update_start(scn_run_t *run, scn_step_t *st,
                                 sim_time_t now)
{
    return open_then(run, st, now, false);
}

static scn_status_t invalidate_start(scn_run_t *run, scn_step_t *st,
                                     sim_time_t now)
{
    return open_then(run, st, now, true);
}

#define DETACH_FIELD                                                        \
    { .key = "detach", .type = SCN_T_BOOL,                                  \
      .help = "the step ends at once; the channel's join step waits for "   \
              "the outcome" },

static const scn_field_t apdu_fields[] = {
    CARD_APDU_FIELDS
    DETACH_FIELD
    { 0 },
};

static const char *const se_state_names[] = { "absent", "loader", "cos",
                                              "contact", "unknown", NULL };

static const scn_field_t update_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE to update" },
    CARD_UPDATE_FIELDS
    { .key = "only_if_se_state", .type = SCN_T_ENUM,
      .choices = se_state_names,
      .help = "run only if the MCU last reported the SE in this state "
              "(else the step passes, skipped): a sweep's recovery "
              "resumes an update only where the loader answers" },
    DETACH_FIELD
    { 0 },
};

static const scn_field_t invalidate_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE whose COS is invalidated" },
    CARD_INVALIDATE_FIELDS
    DETACH_FIELD
    { 0 },
};

/* ---- NFC only -------------------------------------------------------- */

static phone_t *nfc_phone(scn_run_t *run)
{
    return ((card_t *)run->model)->nfc.term;
}

static scn_status_t phone_started(card_chan_t *ch, sim_time_t now,
                                  phone_status_t s)
{
    if (s != PHONE_OK)
        card_op_end(&ch->op, now, false, "phone: %s", phone_status_name(s));
    return card_op_started(&ch->op);
}

static bool phone_ok(card_chan_t *ch, sim_time_t now, const phone_result_t *r)
{
    if (r->status == PHONE_OK)
        return true;
    card_op_end(&ch->op, now, false, "phone: %s%s%s",
                phone_status_name(r->status),
                r->error && r->error[0] ? ": " : "", r->error ? r->error : "");
    return false;
}

static void simple_done(void *ctx, sim_time_t now, const phone_result_t *r)
{
    card_chan_t *ch = ctx;
    if (phone_ok(ch, now, r))
        card_op_end(&ch->op, now, true, NULL);
}

static const scn_field_t field_fields[] = {
    { .key = "on", .type = SCN_T_BOOL, .required = true,
      .help = "true: the phone's field on; false: off" },
    { 0 },
};

static scn_status_t field_start(scn_run_t *run, scn_step_t *st,
                                sim_time_t now)
{
    card_chan_t *ch = &((card_t *)run->model)->nfc;
    card_op_start(&ch->op, run, st);
    ch->op.detached = false;
    return phone_started(ch, now,
                         phone_field(nfc_phone(run), now,
                                     scn_get_bool(st->json, "on", true),
                                     simple_done, ch));
}

static const scn_field_t activate_fields[] = {
    { .key = "expect_uid", .type = SCN_T_HEX, .min = 4, .max = 10,
      .help = "the UID expected" },
    { .key = "expect_ats", .type = SCN_T_HEX, .max = 32,
      .help = "the ATS expected (without CRC_A)" },
    { 0 },
};

static void activate_done(void *ctx, sim_time_t now, const phone_result_t *r)
{
    card_chan_t *ch = ctx;
    if (!phone_ok(ch, now, r))
        return;
    card_set_last(ch->op.run->model, CARD_LAST_ATS, r->ats, r->ats_len, 0);
    uint8_t want[32];
    char got[80], w[80];
    size_t n = scn_get_hex(ch->op.json, "expect_uid", want, sizeof want);
    if (n && (n != r->uid_len || memcmp(want, r->uid, n) != 0)) {
        card_hex(got, sizeof got, r->uid, r->uid_len);
        card_hex(w, sizeof w, want, n);
        card_op_end(&ch->op, now, false, "UID %s, expected %s", got, w);
        return;
    }
    n = scn_get_hex(ch->op.json, "expect_ats", want, sizeof want);
    if (n && (n != r->ats_len || memcmp(want, r->ats, n) != 0)) {
        card_hex(got, sizeof got, r->ats, r->ats_len);
        card_hex(w, sizeof w, want, n);
        card_op_end(&ch->op, now, false, "ATS %s, expected %s", got, w);
        return;
    }
    card_hex(got, sizeof got, r->uid, r->uid_len);
    card_hex(w, sizeof w, r->ats, r->ats_len);
    card_op_end(&ch->op, now, true, "UID %s SAK %02X ATS %s", got, r->sak, w);
}

static scn_status_t activate_start(scn_run_t *run, scn_step_t *st,
                                   sim_time_t now)
{
    card_chan_t *ch = &((card_t *)run->model)->nfc;
    card_op_start(&ch->op, run, st);
    return phone_started(ch, now, phone_activate(nfc_phone(run), now,
                                                 activate_done, ch));
}

static scn_status_t deselect_start(scn_run_t *run, scn_step_t *st,
                                   sim_time_t now)
{
    card_chan_t *ch = &((card_t *)run->model)->nfc;
    card_op_start(&ch->op, run, st);
    return phone_started(ch, now, phone_deselect(nfc_phone(run), now,
                                                 simple_done, ch));
}

/* ---- BLE only -------------------------------------------------------- */

static phone_ble_t *ble_phone(scn_run_t *run)
{
    return ((card_t *)run->model)->ble.term;
}

static scn_status_t ble_started(card_chan_t *ch, sim_time_t now,
                                phone_ble_status_t s)
{
    if (s != PHONE_BLE_OK)
        card_op_end(&ch->op, now, false, "phone: %s",
                    phone_ble_status_name(s));
    return card_op_started(&ch->op);
}

static void ble_done(void *ctx, sim_time_t now, const phone_ble_result_t *r)
{
    card_chan_t *ch = ctx;
    if (r->status != PHONE_BLE_OK) {
        card_op_end(&ch->op, now, false, "phone: %s%s%s",
                    phone_ble_status_name(r->status),
                    r->error && r->error[0] ? ": " : "",
                    r->error ? r->error : "");
        return;
    }
    if (r->op == PHONE_BLE_OP_CONNECT)
        card_op_end(&ch->op, now, true, "connected on channel %u, interval "
                    "%u x 1.25 ms, MTU %u, data length %u, APDU service "
                    "%04X-%04X", r->adv_channel, r->params.interval, r->mtu,
                    r->tx_octets, r->svc_start, r->svc_end);
    else
        card_op_end(&ch->op, now, true, NULL);
}

/* An interval in 1.25 ms units from a time field (checked multiple). */
static unsigned interval_units(const scn_step_t *st, const char *key,
                               const scenario_t *scn)
{
    sim_time_t t = scn_get_time(scn, st->json, key, 0);
    return (unsigned)(t / SIM_US(1250));
}

static bool interval_check(scn_ctx_t *c, const cJSON *step, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(step, "interval");
    if (!v)
        return true;
    sim_time_t t = scn_get_time(scn_ctx_scenario(c), step, "interval", 0);
    char p[160];
    snprintf(p, sizeof p, "%s.interval", path);
    if (t % SIM_US(1250) != 0 || t < SIM_US(7500) || t > SIM_S(4))
        return scn_error(c, p, "expected a multiple of 1.25 ms from 7.5 ms "
                               "to 4 s");
    return true;
}

static const scn_field_t connect_fields[] = {
    { .key = "interval", .type = SCN_T_TIME,
      .help = "the connection interval (7.5 ms .. 4 s in 1.25 ms steps; "
              "default 7.5 ms)" },
    { 0 },
};

static scn_status_t connect_start(scn_run_t *run, scn_step_t *st,
                                  sim_time_t now)
{
    card_chan_t *ch = &((card_t *)run->model)->ble;
    card_op_start(&ch->op, run, st);
    ch->op.detached = false;
    return ble_started(ch, now,
                       phone_ble_connect(ble_phone(run), now,
                                         interval_units(st, "interval",
                                                        run->scn),
                                         ble_done, ch));
}

static scn_status_t disconnect_start(scn_run_t *run, scn_step_t *st,
                                     sim_time_t now)
{
    card_chan_t *ch = &((card_t *)run->model)->ble;
    card_op_start(&ch->op, run, st);
    ch->op.detached = false;
    return ble_started(ch, now, phone_ble_disconnect(ble_phone(run), now,
                                                     ble_done, ch));
}

static const scn_field_t interval_fields[] = {
    { .key = "interval", .type = SCN_T_TIME, .required = true,
      .help = "the new connection interval (LL_CONNECTION_UPDATE_IND)" },
    { 0 },
};

static scn_status_t interval_start(scn_run_t *run, scn_step_t *st,
                                   sim_time_t now)
{
    card_chan_t *ch = &((card_t *)run->model)->ble;
    card_op_start(&ch->op, run, st);
    ch->op.detached = false;
    return ble_started(ch, now,
                       phone_ble_set_interval(ble_phone(run), now,
                                              interval_units(st, "interval",
                                                             run->scn),
                                              ble_done, ch));
}

/* ---- the tables ------------------------------------------------------- */

static const scn_field_t no_fields[] = { { 0 } };

static const scn_action_def_t nfc_field = {
    .name = "nfc.field", .help = "the phone's field on or off",
    .fields = field_fields, .start = field_start,
};
static const scn_action_def_t nfc_activate = {
    .name = "nfc.activate",
    .help = "the phone activates the card: REQA, anticollision, SELECT, "
            "RATS/ATS (field on first if off)",
    .fields = activate_fields, .start = activate_start,
};
static const scn_action_def_t nfc_apdu = {
    .name = "nfc.apdu",
    .help = "one command APDU from the phone over NFC (ISO 14443-4), "
            "activating first if needed",
    .fields = apdu_fields, .start = apdu_start,
};
static const scn_action_def_t nfc_deselect = {
    .name = "nfc.deselect", .help = "the phone sends S(DESELECT)",
    .fields = no_fields, .start = deselect_start,
};
static const scn_action_def_t nfc_update = {
    .name = "nfc.update_cos",
    .help = "update SE se's COS from the phone over NFC: SELECT the card "
            "manager, OPEN se, BEGIN, LOAD blocks, COMMIT",
    .fields = update_fields, .check = card_update_check,
    .start = update_start,
};
static const scn_action_def_t nfc_invalidate = {
    .name = "nfc.invalidate",
    .help = "the issuer's signed INVALIDATE of SE se's COS from the phone "
            "over NFC: SELECT the card manager, OPEN se, GET DATA serial, "
            "GET CHALLENGE, INVALIDATE",
    .fields = invalidate_fields, .start = invalidate_start,
};
static const scn_action_def_t nfc_join = {
    .name = "nfc.join",
    .help = "wait for the phone's detached NFC operation and take its "
            "outcome",
    .fields = no_fields, .start = join_start,
};

static const scn_action_def_t ble_connect = {
    .name = "ble.connect",
    .help = "the phone scans, connects (CONNECT_IND with the interval), "
            "sets the data length and MTU, discovers the APDU service and "
            "enables its notifications",
    .fields = connect_fields, .check = interval_check,
    .start = connect_start,
};
static const scn_action_def_t ble_disconnect = {
    .name = "ble.disconnect", .help = "the phone ends the connection "
                                      "(LL_TERMINATE_IND)",
    .fields = no_fields, .start = disconnect_start,
};
static const scn_action_def_t ble_interval = {
    .name = "ble.interval",
    .help = "the phone changes the connection interval "
            "(LL_CONNECTION_UPDATE_IND)",
    .fields = interval_fields, .check = interval_check,
    .start = interval_start,
};
static const scn_action_def_t ble_apdu = {
    .name = "ble.apdu",
    .help = "one command APDU from the phone over BLE (GATT, the card's "
            "APDU service)",
    .fields = apdu_fields, .start = apdu_start,
};
static const scn_action_def_t ble_update = {
    .name = "ble.update_cos",
    .help = "update SE se's COS from the phone over BLE: SELECT the card "
            "manager, OPEN se, BEGIN, LOAD blocks, COMMIT",
    .fields = update_fields, .check = card_update_check,
    .start = update_start,
};
static const scn_action_def_t ble_invalidate = {
    .name = "ble.invalidate",
    .help = "the issuer's signed INVALIDATE of SE se's COS from the phone "
            "over BLE",
    .fields = invalidate_fields, .start = invalidate_start,
};
static const scn_action_def_t ble_join = {
    .name = "ble.join",
    .help = "wait for the phone's detached BLE operation and take its "
            "outcome",
    .fields = no_fields, .start = join_start,
};

const scn_action_def_t *const card_phone_actions[] = {
    &nfc_field, &nfc_activate, &nfc_apdu, &nfc_deselect, &nfc_update,
    &nfc_invalidate, &nfc_join, &ble_connect, &ble_disconnect,
    &ble_interval, &ble_apdu, &ble_update, &ble_invalidate, &ble_join, NULL,
};
