/* SPDX-License-Identifier: MIT */
/* models/card_util.c - what the card's actions share whatever the channel:
 * paths and files, APDU expectations, and the COS update step (its fields,
 * its image, the channel-independent update client of
 * models/terminals/cos_update.c, and the check of its outcome). */
#include "models/card_int.h"

#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardsim_config.h"
#include "tools/cos_image_host.h"

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

void card_resolve(const card_t *cd, const char *name, char *out, size_t len)
{
    if (name[0] == '/')
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "%s/%s", cd->dir, name);
}

void card_cos_image_path(int version, char *out, size_t len)
{
    snprintf(out, len, "%s/firmware/images/cos_v%d.img", CARDSIM_BUILD_ROOT,
             version);
}

void card_hex(char *out, size_t len, const uint8_t *b, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 3 < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02X", b[i]);
}

uint8_t *card_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = b ? (size_t)n : 0;
    return b;
}

/* ---- operations ----------------------------------------------------- */

void card_op_start(card_op_t *op, scn_run_t *run, const scn_step_t *st)
{
    op->run = run;
    op->json = st->json;
    op->detached = scn_get_bool(st->json, "detach", false);
    op->running = true;
    op->ok = false;
    op->join_waiting = false;
    op->msg[0] = '\0';
}

scn_status_t card_op_started(const card_op_t *op)
{
    return op->detached ? SCN_STEP_DONE : SCN_STEP_PENDING;
}

void card_op_end(card_op_t *op, sim_time_t now, bool ok, const char *fmt,
                 ...)
{
    if (!op->running)
        return; /* dropped (a sweep's cut): its step is gone */
    op->running = false;
    op->ok = ok;
    op->msg[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(op->msg, sizeof op->msg, fmt, ap);
        va_end(ap);
    }
    if (!op->detached || op->join_waiting) {
        op->join_waiting = false;
        scn_step_complete(op->run, now, ok, op->msg[0] ? "%s" : NULL,
                          op->msg);
    }
}

scn_status_t card_op_join(card_op_t *op, sim_time_t now)
{
    if (!op->run || !op->detached) {
        return SCN_STEP_DONE;
    }
    if (op->running) {
        op->join_waiting = true;
        return SCN_STEP_PENDING;
    }
    op->detached = false;
    scn_step_complete(op->run, now, op->ok, op->msg[0] ? "%s" : NULL,
                      op->msg);
    return SCN_STEP_PENDING;
}

/* ---- APDU steps ------------------------------------------------------ */

const scn_field_t card_sw_item = { .type = SCN_T_HEX, .min = 2, .max = 2 };
const scn_field_t card_data_item = { .type = SCN_T_HEX, .max = 256 };

/* Is (b, n) one of the hex strings of the array? */
static bool one_of(const cJSON *arr, const uint8_t *b, size_t n)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        uint8_t v[256];
        size_t k = 0;
        const char *p = e->valuestring;
        while (*p && k < sizeof v) {
            if (*p == ' ') {
                p++;
                continue;
            }
            unsigned x;
            if (sscanf(p, "%2x", &x) != 1)
                break;
            v[k++] = (uint8_t)x;
            p += 2;
        }
        if (k == n && memcmp(v, b, n) == 0)
            return true;
    }
    return false;
}

void card_set_last(card_t *cd, card_last_kind_t kind, const uint8_t *b,
                   size_t len, uint16_t sw)
{
    if (len > sizeof cd->last.bytes)
        len = sizeof cd->last.bytes;
    cd->last.kind = kind;
    memcpy(cd->last.bytes, b, len);
    cd->last.len = len;
    cd->last.sw = sw;
}

const card_last_t *card_last(void *model)
{
    return &((card_t *)model)->last;
}

void card_last_clear(void *model)
{
    ((card_t *)model)->last = (card_last_t){ 0 };
}

void card_apdu_result(card_op_t *op, sim_time_t now, uint16_t sw,
                      const uint8_t *data, size_t dlen)
{
    card_set_last(op->run->model, CARD_LAST_RAPDU, data, dlen, sw);
    uint8_t want[256];
    char got[600], w[600];
    size_t n = scn_get_hex(op->json, "expect_sw", want, sizeof want);
    if (n == 2 && sw != (uint16_t)(want[0] << 8 | want[1])) {
        card_op_end(op, now, false, "SW %04X, expected %02X%02X", sw,
                          want[0], want[1]);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(op->json, "expect_data")) {
        n = scn_get_hex(op->json, "expect_data", want, sizeof want);
        if (n != dlen || memcmp(want, data, n) != 0) {
            card_hex(got, sizeof got, data, dlen);
            card_hex(w, sizeof w, want, n);
            card_op_end(op, now, false, "data %s, expected %s",
                              dlen ? got : "(none)", n ? w : "(none)");
            return;
        }
    }
    const cJSON *any = cJSON_GetObjectItemCaseSensitive(op->json,
                                                        "expect_sw_any");
    uint8_t swb[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
    if (any && !one_of(any, swb, 2)) {
        card_op_end(op, now, false, "SW %04X, none of those expected", sw);
        return;
    }
    any = cJSON_GetObjectItemCaseSensitive(op->json, "expect_data_any");
    if (any && !one_of(any, data, dlen)) {
        card_hex(got, sizeof got, data, dlen);
        card_op_end(op, now, false, "data %s, none of those expected",
                    dlen ? got : "(none)");
        return;
    }
    card_hex(got, sizeof got, data, dlen);
    card_op_end(op, now, true, "SW %04X%s%s", sw, dlen ? " data " : "",
                got);
}

/* ---- COS update steps ----------------------------------------------- */

const char *const card_built_images[] = {
    "cos_v1", "cos_v2", "cos_v1_bad_signature", "cos_v1_bad_hash",
    "cos_v1_bad_magic", NULL,
};

const char *const card_update_steps[] = { "begin", "load", "status",
                                          "commit", NULL };

const scn_field_t card_update_fields[] = {
    CARD_UPDATE_FIELDS
    { 0 },
};

bool card_update_check(scn_ctx_t *c, const cJSON *step, const char *path)
{
    int n = (cJSON_GetObjectItemCaseSensitive(step, "cos") != NULL) +
            (cJSON_GetObjectItemCaseSensitive(step, "image") != NULL) +
            (cJSON_GetObjectItemCaseSensitive(step, "built_image") != NULL);
    if (n != 1)
        return scn_error(c, path, "expected exactly one of \"cos\", "
                                  "\"image\" and \"built_image\"");
    return true;
}

static void update_done(void *ctx, sim_time_t now,
                        const cos_update_result_t *r)
{
    card_op_t *op = ctx;
    card_t *cd = op->run->model;
    free(cd->image);
    cd->image = NULL;
    uint8_t want[2] = { 0x90, 0x00 };
    scn_get_hex(op->json, "expect_sw", want, sizeof want);
    uint16_t sw = (uint16_t)(want[0] << 8 | want[1]);
    const char *step = scn_get_string(op->json, "expect_step", NULL);
    bool ok = r->sw == sw &&
              (!step || strcasecmp(step, cos_update_step_name(r->step)) == 0);
    /* 9000 means COMMIT went through, unless the step was named: a
     * stop_after update ends with 9000 at its last LOAD */
    if (sw == 0x9000 && r->status != COS_UPDATE_OK &&
        !(step && r->status == COS_UPDATE_TRUNCATED))
        ok = false;
    if (!ok) {
        card_op_end(op, now, false,
                          "update ended at %s with SW %04X (%s), expected "
                          "%s%sSW %04X", cos_update_step_name(r->step), r->sw,
                          r->error && r->error[0] ? r->error : "no error",
                          step ? step : "", step ? " with " : "", sw);
        return;
    }
    card_op_end(op, now, true,
                      "%s at %s with SW %04X: %u blocks, %zu code bytes, %zu "
                      "APDU bytes", sw == 0x9000 ? "updated" : "refused",
                      cos_update_step_name(r->step), r->sw, r->blocks,
                      r->code_bytes, r->bytes_sent);
}

bool card_update_load(card_op_t *op, sim_time_t now)
{
    card_t *cd = op->run->model;
    char path[4200];
    if (cJSON_GetObjectItemCaseSensitive(op->json, "cos"))
        card_cos_image_path((int)scn_get_int(op->json, "cos", 1), path,
                            sizeof path);
    else if (cJSON_GetObjectItemCaseSensitive(op->json, "built_image"))
        snprintf(path, sizeof path, "%s/firmware/images/%s.img",
                 CARDSIM_BUILD_ROOT,
                 scn_get_string(op->json, "built_image", ""));
    else
        card_resolve(cd, scn_get_string(op->json, "image", ""), path,
                     sizeof path);
    free(cd->image);
    cd->image = card_read_all(path, &cd->image_len);
    if (!cd->image) {
        card_op_end(op, now, false, "%s: cannot read the image",
                          path);
        return false;
    }
    return true;
}

void card_update_begin(card_op_t *op, sim_time_t now,
                       cos_update_transmit_fn transmit, void *chan)
{
    card_t *cd = op->run->model;
    cos_update_cfg_t uc;
    cos_update_cfg_default(&uc);
    uc.name = "update";
    uc.bus = cd->bus;
    uc.image = cd->image;
    uc.image_len = cd->image_len;
    uc.transmit = transmit;
    uc.chan = chan;
    uc.done = update_done;
    uc.ctx = op;
    uc.resume = scn_get_bool(op->json, "resume", false);
    uc.skip_block = (long)scn_get_int(op->json, "skip_block", COS_UPDATE_NONE);
    uc.repeat_block = (long)scn_get_int(op->json, "repeat_block",
                                        COS_UPDATE_NONE);
    uc.stop_after = (long)scn_get_int(op->json, "stop_after", COS_UPDATE_NONE);
    uc.commit_after_stop = scn_get_bool(op->json, "commit_after_stop", false);
    uc.wrong_len_block = (long)scn_get_int(op->json, "wrong_length_block",
                                           COS_UPDATE_NONE);
    cos_update_init(&cd->update, &uc);
    if (!cos_update_start(&cd->update, now))
        card_op_end(op, now, false, "the channel is busy");
}

/* ---- the issuer's INVALIDATE ---------------------------------------- */

/* GET DATA serial, GET CHALLENGE, then INVALIDATE with an ECDSA signature
 * over SHA-256("INVALIDATE" || serial || challenge) by the issuer key (the
 * TEST key of tools/keys/). */
#define ISSUER_KEY CARDSIM_SOURCE_ROOT "/tools/keys/test-issuer-private.pem"

const scn_field_t card_invalidate_fields[] = {
    CARD_INVALIDATE_FIELDS
    { 0 },
};

static bool sign_invalidate(card_t *cd, uint8_t sig[64], char *err,
                            size_t errlen)
{
    uint8_t msg[26], hash[32];
    memcpy(msg, "INVALIDATE", 10);
    memcpy(msg + 10, cd->inv_serial, 8);
    memcpy(msg + 18, cd->inv_challenge, 8);
    mbedtls_sha256_ret(msg, sizeof msg, hash, 0);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    bool ok = cos_image_host_load_private(&pk, ISSUER_KEY, err, errlen) == 0 &&
              cos_image_host_sign_hash(&pk, hash, sig, err, errlen) == 0;
    mbedtls_pk_free(&pk);
    return ok;
}

static void inv_step(void *ctx, sim_time_t now, const cos_update_rsp_t *r);

static void inv_send(card_op_t *op, sim_time_t now, const uint8_t *apdu,
                     size_t n)
{
    card_t *cd = op->run->model;
    if (cd->inv_tx(cd->inv_chan, now, apdu, n, inv_step, op) != 0)
        card_op_end(op, now, false, "the channel is busy");
}

static void inv_step(void *ctx, sim_time_t now, const cos_update_rsp_t *r)
{
    card_op_t *op = ctx;
    card_t *cd = op->run->model;
    static const char *const what[] = { "GET DATA serial", "GET CHALLENGE",
                                        "INVALIDATE" };
    if (!r->ok) {
        card_op_end(op, now, false, "%s: %s", what[cd->inv_phase],
                    r->error ? r->error : "no response");
        return;
    }
    uint8_t want[2] = { 0x90, 0x00 };
    if (cd->inv_phase == 2)
        scn_get_hex(op->json, "expect_sw", want, sizeof want);
    uint16_t sw = (uint16_t)(want[0] << 8 | want[1]);
    if (r->sw != sw || (cd->inv_phase < 2 && r->len != 8)) {
        card_op_end(op, now, false, "%s: SW %04X with %zu bytes, expected "
                    "SW %04X%s", what[cd->inv_phase], r->sw, r->len, sw,
                    cd->inv_phase < 2 ? " with 8 bytes" : "");
        return;
    }
    if (cd->inv_phase == 0) {
        memcpy(cd->inv_serial, r->data, 8);
        cd->inv_phase = 1;
        static const uint8_t get_challenge[] = { 0x00, 0x84, 0x00, 0x00,
                                                 0x08 };
        inv_send(op, now, get_challenge, sizeof get_challenge);
        return;
    }
    if (cd->inv_phase == 1) {
        memcpy(cd->inv_challenge, r->data, 8);
        uint8_t apdu[5 + 64] = { 0x80, 0xE4, 0x00, 0x00, 0x40 };
        char err[256];
        if (!sign_invalidate(cd, apdu + 5, err, sizeof err)) {
            card_op_end(op, now, false, "signing: %s", err);
            return;
        }
        if (scn_get_bool(op->json, "corrupt_signature", false))
            apdu[5 + 10] ^= 0x01;
        cd->inv_phase = 2;
        inv_send(op, now, apdu, sizeof apdu);
        return;
    }
    card_op_end(op, now, true, "INVALIDATE answered %04X", r->sw);
}

void card_invalidate_begin(card_op_t *op, sim_time_t now,
                           cos_update_transmit_fn transmit, void *chan)
{
    card_t *cd = op->run->model;
    cd->inv_phase = 0;
    cd->inv_tx = transmit;
    cd->inv_chan = chan;
    static const uint8_t get_serial[] = { 0x80, 0xCA, 0x00, 0x02, 0x00 };
    inv_send(op, now, get_serial, sizeof get_serial);
}
