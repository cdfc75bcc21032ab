/* SPDX-License-Identifier: MIT */
/* models/card.c - composes the card from its scenario section:
 *
 *   "card": {
 *     "ses": [ {}, {"cos": 1}, {"image": "my_cos.img"},
 *              {"flash": "dump.bin", "serial": 7} ],
 *     "contact_route": 0,
 *     "reader": { "clock": "3.5712MHz", "pps": true }
 *   }
 *
 * Each SE starts with an erased flash ({}), a COS factory-programmed from a
 * built image ("cos": version, i.e. build/firmware/images/cos_v<N>.img),
 * from a
 * signed image file ("image"), or a flash image file ("flash", as saved by
 * the flash model or a raw dump). Relative paths are taken from the
 * scenario file's directory.
 *
 * The contact reader and the pads live in the world node (the pads are
 * card wiring, but they only join the reader's lines to the SEs). Actions
 * run the reader at exact times; their completions end the steps. */
#include "models/card.h"

#include <libgen.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardsim_config.h"
#include "models/pads.h"
#include "models/se.h"
#include "models/se_provision.h"
#include "models/terminals/cos_update.h"
#include "models/terminals/reader.h"
#include "sim/fatal.h"
#include "tools/cos_image_host.h"

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#define CARD_MAX_SE PADS_MAX_SE
#define ROM_ELF CARDSIM_BUILD_ROOT "/firmware/se_rom.elf"

typedef struct card {
    scn_run_t *run;
    trace_bus_t *bus;
    se_t *se;
    size_t n_se;
    pads_t pads;
    iso7816_line_t *lines;   /* pads -> SE i */
    reader_t reader;
    /* the contact update in progress */
    cos_update_t update;
    uint8_t *image;
    size_t image_len;
    /* the INVALIDATE in progress: serial, then challenge, then command */
    int inv_phase;
    uint8_t inv_serial[8], inv_challenge[8];
    char dir[4096];          /* the scenario's directory */
} card_t;

/* ---- the section ----------------------------------------------------- */

static const scn_field_t se_fields[] = {
    { .key = "cos", .type = SCN_T_INT, .min = 1, .max = 2,
      .help = "a COS of this version factory-programmed (built image)" },
    { .key = "image", .type = SCN_T_STRING,
      .help = "a signed COS image file factory-programmed into flash" },
    { .key = "flash", .type = SCN_T_STRING,
      .help = "a flash image file (saved by cardsim, or a raw dump)" },
    { .key = "serial", .type = SCN_T_INT, .min = 1,
      .max = 9007199254740991LL, .help = "chip serial (default derived "
                                         "from the SE index)" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};
static const scn_field_t se_item = { .type = SCN_T_OBJECT,
                                     .fields = se_fields };

static const scn_field_t reader_fields[] = {
    { .key = "clock", .type = SCN_T_FREQ,
      .help = "CLK the reader drives (default 3.5712 MHz)" },
    { .key = "pps", .type = SCN_T_BOOL,
      .help = "negotiate the rate the ATR offers (default true)" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

static const scn_field_t card_fields[] = {
    { .key = "ses", .type = SCN_T_ARRAY, .required = true, .item = &se_item,
      .min = 1, .max = CARD_MAX_SE,
      .help = "the secure elements SE0, SE1, ... with their initial flash" },
    { .key = "contact_route", .type = SCN_T_INT, .min = 0,
      .max = CARD_MAX_SE - 1,
      .help = "the SE the contact pads reach at start (default 0)" },
    { .key = "reader", .type = SCN_T_OBJECT, .fields = reader_fields,
      .help = "the contact reader" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

static bool card_check(scn_ctx_t *c, const cJSON *sec, const char *path)
{
    const cJSON *ses = cJSON_GetObjectItemCaseSensitive(sec, "ses");
    int n = cJSON_GetArraySize(ses);
    char p[160];
    for (int i = 0; i < n; i++) {
        const cJSON *se = cJSON_GetArrayItem(ses, i);
        int kinds = !!cJSON_GetObjectItemCaseSensitive(se, "cos") +
                    !!cJSON_GetObjectItemCaseSensitive(se, "image") +
                    !!cJSON_GetObjectItemCaseSensitive(se, "flash");
        if (kinds > 1) {
            snprintf(p, sizeof p, "%s.ses[%d]", path, i);
            return scn_error(c, p, "expected at most one of \"cos\", "
                                   "\"image\", \"flash\"");
        }
    }
    int route = (int)scn_get_int(sec, "contact_route", 0);
    if (route >= n) {
        snprintf(p, sizeof p, "%s.contact_route", path);
        return scn_error(c, p, "expected an SE index below %d, got %d", n,
                         route);
    }
    uint64_t hz = 3571200;
    const cJSON *rd = cJSON_GetObjectItemCaseSensitive(sec, "reader");
    if (rd)
        hz = scn_get_freq(rd, "clock", hz);
    scn_declare_clock(c, "contact", hz);
    return true;
}

const scn_section_def_t card_section_def = {
    .key = "card",
    .help = "the smart card: its secure elements, contact pads and reader",
    .fields = card_fields,
    .check = card_check,
};

/* ---- helpers --------------------------------------------------------- */

static void resolve(const card_t *cd, const char *name, char *out,
                    size_t len)
{
    if (name[0] == '/')
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "%s/%s", cd->dir, name);
}

static void cos_image_path(int version, char *out, size_t len)
{
    snprintf(out, len, "%s/firmware/images/cos_v%d.img", CARDSIM_BUILD_ROOT,
             version);
}

static void hex(char *out, size_t len, const uint8_t *b, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o + 3 < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02X", b[i]);
}

static uint8_t *read_all(const char *path, size_t *len)
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

/* ---- actions --------------------------------------------------------- */

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
    const scn_step_t *st = scn_run_current(run);
    uint8_t want[64];
    char got[160], w[160];
    hex(got, sizeof got, r->data, r->len);
    size_t n = scn_get_hex(st->json, "expect_atr", want, sizeof want);
    if (n && (n != r->len || memcmp(want, r->data, n) != 0)) {
        hex(w, sizeof w, want, n);
        scn_step_complete(run, now, false, "ATR %s, expected %s", got, w);
        return;
    }
    n = scn_get_hex(st->json, "expect_historical", want, sizeof want);
    if (n) {
        const atr_t *a = &((card_t *)run->model)->reader.atr_info;
        if (a->nhist != n || memcmp(a->hist, want, n) != 0) {
            char h[160];
            hex(h, sizeof h, a->hist, a->nhist);
            hex(w, sizeof w, want, n);
            scn_step_complete(run, now, false,
                              "historical bytes %s, expected %s", h, w);
            return;
        }
    }
    scn_step_complete(run, now, true, "ATR %s after %llu clocks%s", got,
                      (unsigned long long)r->atr_clocks,
                      r->pps ? ", PPS done" : "");
}

static const scn_field_t atr_fields[] = {
    { .key = "expect_atr", .type = SCN_T_HEX, .max = 33,
      .help = "the whole ATR expected" },
    { .key = "expect_historical", .type = SCN_T_HEX, .max = 15,
      .help = "the ATR's historical bytes expected (\"43534C445201\" is "
              "the loader's CSLDR 01)" },
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

static const scn_field_t apdu_fields[] = {
    { .key = "apdu", .type = SCN_T_HEX, .required = true, .max = 261,
      .help = "the command APDU" },
    { .key = "expect_sw", .type = SCN_T_HEX, .min = 2, .max = 2,
      .help = "the status word expected, e.g. \"9000\"" },
    { .key = "expect_data", .type = SCN_T_HEX, .max = 256,
      .help = "the response data expected (without the SW)" },
    { 0 },
};

static void apdu_done(void *ctx, sim_time_t now, const reader_result_t *r)
{
    scn_run_t *run = ctx;
    if (!reader_ok(run, now, r))
        return;
    const scn_step_t *st = scn_run_current(run);
    uint8_t want[256];
    char got[600], w[600];
    size_t dlen = r->len; /* the reader gives the data without the SW */
    size_t n = scn_get_hex(st->json, "expect_sw", want, sizeof want);
    if (n == 2 && r->sw != (uint16_t)(want[0] << 8 | want[1])) {
        scn_step_complete(run, now, false, "SW %04X, expected %02X%02X",
                          r->sw, want[0], want[1]);
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(st->json, "expect_data")) {
        n = scn_get_hex(st->json, "expect_data", want, sizeof want);
        if (n != dlen || memcmp(want, r->data, n) != 0) {
            hex(got, sizeof got, r->data, dlen);
            hex(w, sizeof w, want, n);
            scn_step_complete(run, now, false, "data %s, expected %s",
                              dlen ? got : "(none)", n ? w : "(none)");
            return;
        }
    }
    hex(got, sizeof got, r->data, dlen);
    scn_step_complete(run, now, true, "SW %04X%s%s", r->sw, dlen ? " data " : "",
                      got);
}

static scn_status_t apdu_start(scn_run_t *run, scn_step_t *st,
                               sim_time_t now)
{
    card_t *cd = run->model;
    uint8_t apdu[261];
    size_t n = scn_get_hex(st->json, "apdu", apdu, sizeof apdu);
    return started(run, now, reader_transmit(&cd->reader, now, apdu, n,
                                             apdu_done, run));
}

static const char *const built_images[] = {
    "cos_v1", "cos_v2", "cos_v1_bad_signature", "cos_v1_bad_hash",
    "cos_v1_bad_magic", NULL,
};

static const scn_field_t update_fields[] = {
    { .key = "cos", .type = SCN_T_INT, .min = 1, .max = 2,
      .help = "the built image of this COS version" },
    { .key = "image", .type = SCN_T_STRING,
      .help = "a signed image file (relative to the scenario)" },
    { .key = "built_image", .type = SCN_T_ENUM, .choices = built_images,
      .help = "an image built with cardsim (build/firmware/images/), "
              "including the deliberately broken ones" },
    { .key = "expect_sw", .type = SCN_T_HEX, .min = 2, .max = 2,
      .help = "the SW that ends the update (default \"9000\": COMMIT ok)" },
    { .key = "expect_step", .type = SCN_T_ENUM,
      .choices = (const char *const[]){ "begin", "load", "status",
                                        "commit", NULL },
      .help = "the step expected to end the update (with expect_sw)" },
    { .key = "skip_block", .type = SCN_T_INT, .min = 0, .max = 32767,
      .help = "negative test: this block is not sent" },
    { .key = "repeat_block", .type = SCN_T_INT, .min = 0, .max = 32767,
      .help = "negative test: this block is sent twice" },
    { .key = "stop_after", .type = SCN_T_INT, .min = 0, .max = 32767,
      .help = "negative test: stop after this many blocks" },
    { .key = "commit_after_stop", .type = SCN_T_BOOL,
      .help = "with stop_after: send COMMIT anyway" },
    { .key = "wrong_length_block", .type = SCN_T_INT, .min = 0,
      .max = 32767, .help = "negative test: this block one byte short" },
    { .key = "resume", .type = SCN_T_BOOL,
      .help = "ask STATUS after BEGIN and continue where the card is" },
    { 0 },
};

static bool update_check(scn_ctx_t *c, const cJSON *step, const char *path)
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
    scn_run_t *run = ctx;
    card_t *cd = run->model;
    const scn_step_t *st = scn_run_current(run);
    free(cd->image);
    cd->image = NULL;
    uint8_t want[2] = { 0x90, 0x00 };
    scn_get_hex(st->json, "expect_sw", want, sizeof want);
    uint16_t sw = (uint16_t)(want[0] << 8 | want[1]);
    const char *step = scn_get_string(st->json, "expect_step", NULL);
    bool ok = r->sw == sw &&
              (!step || strcasecmp(step, cos_update_step_name(r->step)) == 0);
    if (sw == 0x9000 && r->status != COS_UPDATE_OK)
        ok = false;
    if (!ok) {
        scn_step_complete(run, now, false,
                          "update ended at %s with SW %04X (%s), expected "
                          "%s%sSW %04X", cos_update_step_name(r->step), r->sw,
                          r->error && r->error[0] ? r->error : "no error",
                          step ? step : "", step ? " with " : "", sw);
        return;
    }
    scn_step_complete(run, now, true,
                      "%s at %s with SW %04X: %u blocks, %zu code bytes, %zu "
                      "APDU bytes", sw == 0x9000 ? "updated" : "refused",
                      cos_update_step_name(r->step), r->sw, r->blocks,
                      r->code_bytes, r->bytes_sent);
}

static scn_status_t update_start(scn_run_t *run, scn_step_t *st,
                                 sim_time_t now)
{
    card_t *cd = run->model;
    char path[4200];
    if (cJSON_GetObjectItemCaseSensitive(st->json, "cos"))
        cos_image_path((int)scn_get_int(st->json, "cos", 1), path,
                       sizeof path);
    else if (cJSON_GetObjectItemCaseSensitive(st->json, "built_image"))
        snprintf(path, sizeof path, "%s/firmware/images/%s.img",
                 CARDSIM_BUILD_ROOT,
                 scn_get_string(st->json, "built_image", ""));
    else
        resolve(cd, scn_get_string(st->json, "image", ""), path, sizeof path);
    cd->image = read_all(path, &cd->image_len);
    if (!cd->image) {
        scn_step_complete(run, now, false, "%s: cannot read the image",
                          path);
        return SCN_STEP_PENDING;
    }
    cos_update_cfg_t uc;
    cos_update_cfg_default(&uc);
    uc.name = "update";
    uc.bus = cd->bus;
    uc.image = cd->image;
    uc.image_len = cd->image_len;
    uc.transmit = reader_update_transmit;
    uc.chan = &cd->reader;
    uc.done = update_done;
    uc.ctx = run;
    uc.resume = scn_get_bool(st->json, "resume", false);
    uc.skip_block = (long)scn_get_int(st->json, "skip_block", COS_UPDATE_NONE);
    uc.repeat_block = (long)scn_get_int(st->json, "repeat_block",
                                        COS_UPDATE_NONE);
    uc.stop_after = (long)scn_get_int(st->json, "stop_after", COS_UPDATE_NONE);
    uc.commit_after_stop = scn_get_bool(st->json, "commit_after_stop", false);
    uc.wrong_len_block = (long)scn_get_int(st->json, "wrong_length_block",
                                           COS_UPDATE_NONE);
    cos_update_init(&cd->update, &uc);
    if (!cos_update_start(&cd->update, now))
        scn_step_complete(run, now, false, "the reader is busy");
    return SCN_STEP_PENDING;
}

/* contact.invalidate: the issuer's signed INVALIDATE of a running COS:
 * GET DATA serial, GET CHALLENGE, then INVALIDATE with an ECDSA signature
 * over SHA-256("INVALIDATE" || serial || challenge) by the issuer key (the
 * TEST key of tools/keys/). */
#define ISSUER_KEY CARDSIM_SOURCE_ROOT "/tools/keys/test-issuer-private.pem"

static void inv_step(void *ctx, sim_time_t now, const reader_result_t *r);

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

static void inv_send(scn_run_t *run, sim_time_t now, const uint8_t *apdu,
                     size_t n)
{
    card_t *cd = run->model;
    reader_status_t s = reader_transmit(&cd->reader, now, apdu, n, inv_step,
                                        run);
    if (s != READER_OK)
        scn_step_complete(run, now, false, "reader: %s",
                          reader_status_name(s));
}

static void inv_step(void *ctx, sim_time_t now, const reader_result_t *r)
{
    scn_run_t *run = ctx;
    card_t *cd = run->model;
    if (!reader_ok(run, now, r))
        return;
    static const char *const what[] = { "GET DATA serial", "GET CHALLENGE",
                                        "INVALIDATE" };
    const scn_step_t *st = scn_run_current(run);
    uint8_t want[2] = { 0x90, 0x00 };
    if (cd->inv_phase == 2)
        scn_get_hex(st->json, "expect_sw", want, sizeof want);
    uint16_t sw = (uint16_t)(want[0] << 8 | want[1]);
    if (r->sw != sw || (cd->inv_phase < 2 && r->len != 8)) {
        scn_step_complete(run, now, false, "%s: SW %04X with %zu bytes, "
                          "expected SW %04X%s", what[cd->inv_phase], r->sw,
                          r->len, sw, cd->inv_phase < 2 ? " with 8 bytes" : "");
        return;
    }
    if (cd->inv_phase == 0) {
        memcpy(cd->inv_serial, r->data, 8);
        cd->inv_phase = 1;
        static const uint8_t get_challenge[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
        inv_send(run, now, get_challenge, sizeof get_challenge);
        return;
    }
    if (cd->inv_phase == 1) {
        memcpy(cd->inv_challenge, r->data, 8);
        uint8_t apdu[5 + 64] = { 0x80, 0xE4, 0x00, 0x00, 0x40 };
        char err[256];
        if (!sign_invalidate(cd, apdu + 5, err, sizeof err)) {
            scn_step_complete(run, now, false, "signing: %s", err);
            return;
        }
        if (scn_get_bool(st->json, "corrupt_signature", false))
            apdu[5 + 10] ^= 0x01;
        cd->inv_phase = 2;
        inv_send(run, now, apdu, sizeof apdu);
        return;
    }
    scn_step_complete(run, now, true, "INVALIDATE answered %04X", r->sw);
}

static scn_status_t invalidate_start(scn_run_t *run, scn_step_t *st,
                                     sim_time_t now)
{
    (void)st;
    card_t *cd = run->model;
    cd->inv_phase = 0;
    static const uint8_t get_serial[] = { 0x80, 0xCA, 0x00, 0x02, 0x00 };
    inv_send(run, now, get_serial, sizeof get_serial);
    return SCN_STEP_PENDING;
}

static const scn_field_t invalidate_fields[] = {
    { .key = "expect_sw", .type = SCN_T_HEX, .min = 2, .max = 2,
      .help = "the INVALIDATE's SW expected (default \"9000\")" },
    { .key = "corrupt_signature", .type = SCN_T_BOOL,
      .help = "negative test: flip a bit of the signature" },
    { 0 },
};

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
    .fields = apdu_fields, .start = apdu_start,
};
static const scn_action_def_t update_action = {
    .name = "contact.update_cos",
    .help = "update the routed SE's COS from an image: BEGIN, LOAD blocks, "
            "COMMIT",
    .fields = update_fields, .check = update_check, .start = update_start,
};
static const scn_action_def_t invalidate_action = {
    .name = "contact.invalidate",
    .help = "the issuer's signed INVALIDATE of the running COS (GET DATA "
            "serial, GET CHALLENGE, INVALIDATE signed with the test key)",
    .fields = invalidate_fields, .start = invalidate_start,
};
static const scn_action_def_t route_action = {
    .name = "card.contact_route",
    .help = "route the contact pads to another SE",
    .fields = route_fields, .start = route_start,
};

const scn_action_def_t *const card_actions[] = {
    &power_on_action, &power_off_action, &reset_action, &apdu_action,
    &update_action, &invalidate_action, &route_action, NULL,
};

/* ---- build ----------------------------------------------------------- */

static int build(scn_run_t *run, trace_bus_t *bus, char *err, size_t errlen)
{
    const scenario_t *scn = run->scn;
    const cJSON *sec = scn->config;
    const cJSON *ses = cJSON_GetObjectItemCaseSensitive(sec, "ses");
    card_t *cd = calloc(1, sizeof *cd);
    if (!cd)
        sim_fatal_plain("out of memory");
    cd->run = run;
    cd->bus = bus;
    run->model = cd;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", scn->file);
    snprintf(cd->dir, sizeof cd->dir, "%s", dirname(tmp));
    cd->n_se = (size_t)cJSON_GetArraySize(ses);
    cd->se = calloc(cd->n_se, sizeof *cd->se);
    cd->lines = calloc(cd->n_se, sizeof *cd->lines);
    if (!cd->se || !cd->lines)
        sim_fatal_plain("out of memory");

    /* the world node's parties first, then the SE nodes in order */
    const cJSON *rd = cJSON_GetObjectItemCaseSensitive(sec, "reader");
    reader_cfg_t rc = {
        .name = "reader", .path = "contact", .apdu_path = "CONTACT",
        .node = &run->world, .bus = bus,
        .clk_hz = rd ? scn_get_freq(rd, "clock", 0) : 0,
        .pps = rd && !scn_get_bool(rd, "pps", true) ? READER_PPS_OFF
                                                   : READER_PPS_AUTO,
    };
    reader_init(&cd->reader, run->sim, &rc);
    pads_cfg_t pc = { .name = "pads", .path = "contact", .node = &run->world,
                      .bus = bus, .n_se = (unsigned)cd->n_se,
                      .route = (unsigned)scn_get_int(sec, "contact_route",
                                                     0) };
    pads_init(&cd->pads, run->sim, &pc);

    for (size_t i = 0; i < cd->n_se; i++) {
        const cJSON *sj = cJSON_GetArrayItem(ses, (int)i);
        se_cfg_t sc = { .index = (unsigned)i, .rom_elf = ROM_ELF,
                        .serial = (uint64_t)scn_get_int(sj, "serial", 0) };
        if (se_init(&cd->se[i], run->sim, bus, &sc, err, errlen) != 0)
            return -1;
        char path[4200], sub[256];
        uint32_t version;
        int rc2 = 0;
        if (cJSON_GetObjectItemCaseSensitive(sj, "cos")) {
            cos_image_path((int)scn_get_int(sj, "cos", 1), path, sizeof path);
            rc2 = se_provision_cos(&cd->se[i].flash, path, &version, sub,
                                   sizeof sub);
        } else if (cJSON_GetObjectItemCaseSensitive(sj, "image")) {
            resolve(cd, scn_get_string(sj, "image", ""), path, sizeof path);
            rc2 = se_provision_cos(&cd->se[i].flash, path, &version, sub,
                                   sizeof sub);
        } else if (cJSON_GetObjectItemCaseSensitive(sj, "flash")) {
            resolve(cd, scn_get_string(sj, "flash", ""), path, sizeof path);
            rc2 = flash_load_image(&cd->se[i].flash, path, sub, sizeof sub);
        }
        if (rc2 != 0) {
            snprintf(err, errlen, "%s: $.card.ses[%zu]: %s", scn->file, i,
                     sub);
            return -1;
        }
        char name[32];
        snprintf(name, sizeof name, "contact-se%zu", i);
        pads_connect(&cd->pads, (unsigned)i, &cd->lines[i], run->sim, name,
                     se_port_end(&cd->se[i], ISO7816_SRC_PADS));
        se_attach_line(&cd->se[i], ISO7816_SRC_PADS, &cd->lines[i]);
    }
    reader_attach_pads(&cd->reader, &cd->pads);
    return 0;
}

static void destroy(void *model)
{
    card_t *cd = model;
    if (!cd)
        return;
    for (size_t i = 0; i < cd->n_se; i++)
        if (cd->se[i].rom)
            se_cleanup(&cd->se[i]);
    reader_cleanup(&cd->reader);
    pads_cleanup(&cd->pads);
    free(cd->image);
    free(cd->se);
    free(cd->lines);
    free(cd);
}

static void stats(const void *model, cJSON *out)
{
    const card_t *cd = model;
    for (size_t i = 0; i < cd->n_se; i++) {
        const se_t *se = &cd->se[i];
        flash_stats_t fs;
        flash_get_stats(&se->flash, &fs);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", se->name);
        cJSON_AddNumberToObject(o, "events", (double)se->node.events_fired);
        cJSON_AddNumberToObject(o, "cpu_slices", (double)se->node.cpu_slices);
        cJSON_AddNumberToObject(o, "cycles", (double)cpu_cycles(&se->cpu));
        cJSON_AddNumberToObject(o, "instructions",
                                (double)cpu_instructions(&se->cpu));
        cJSON_AddNumberToObject(o, "resets", (double)se->resets);
        cJSON_AddNumberToObject(o, "flash_erases", (double)fs.erases);
        cJSON_AddNumberToObject(o, "flash_programs", (double)fs.programs);
        cJSON_AddItemToArray(out, o);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "reader");
    cJSON_AddNumberToObject(o, "apdus", (double)cd->reader.apdus);
    cJSON_AddNumberToObject(o, "atrs", (double)cd->reader.atrs);
    cJSON_AddItemToArray(out, o);
}

/* The SEs' flash at the end of the run: out/<scenario>/se<N>.flash, for
 * `cardsim flash inspect` or to start another scenario from ("flash"). */
static int save(const void *model, const char *dir, const char **names,
                size_t *n, size_t max, char *err, size_t errlen)
{
    static const char *const files[CARD_MAX_SE] = {
        "se0.flash", "se1.flash", "se2.flash", "se3.flash",
        "se4.flash", "se5.flash", "se6.flash", "se7.flash",
    };
    const card_t *cd = model;
    for (size_t i = 0; i < cd->n_se && i < CARD_MAX_SE; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (flash_save_image(&cd->se[i].flash, path, err, errlen) != 0)
            return -1;
        if (*n < max)
            names[(*n)++] = files[i];
    }
    return 0;
}

const model_section_t card_section = {
    .def = &card_section_def,
    .pcaps = MODEL_PCAP_APDU,
    .build = build,
    .destroy = destroy,
    .stats = stats,
    .save = save,
};
