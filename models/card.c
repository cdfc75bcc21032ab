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
#include "models/card_int.h"
#include "models/card_mcu.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardsim_config.h"
#include "models/pads.h"
#include "models/se.h"
#include "models/se_provision.h"
#include "models/terminals/reader.h"
#include "sim/fatal.h"

#define ROM_ELF CARDSIM_BUILD_ROOT "/firmware/se_rom.elf"
/* From a cut to the world's start of the recovery (see se_fault_lookahead) */
#define SE_FAULT_LATENCY SIM_US(50)

/* ---- the section ----------------------------------------------------- */

static const scn_field_t se_fields[] = {
    { .key = "cos", .type = SCN_T_INT, .min = 1, .max = 2,
      .help = "a COS of this version factory-programmed (built image)" },
    { .key = "image", .type = SCN_T_STRING,
      .help = "a signed COS image file factory-programmed into flash" },
    { .key = "flash", .type = SCN_T_ANY,
      .help = "a flash image file (saved by cardsim, or a raw dump): its "
              "path, or {\"file\": path}" },
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
    { .key = "mcu", .type = SCN_T_OBJECT, .fields = card_mcu_fields,
      .help = "the BLE master MCU and its firmware" },
    { .key = "nfc", .type = SCN_T_OBJECT, .fields = card_nfc_fields,
      .help = "the NFC front end (ISO 14443-A card emulation)" },
    { .key = "phone", .type = SCN_T_OBJECT, .fields = card_phone_fields,
      .help = "the phone's NFC reader" },
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
        const cJSON *fl = cJSON_GetObjectItemCaseSensitive(se, "flash");
        if (fl && !cJSON_IsString(fl)) {
            const cJSON *file = cJSON_GetObjectItemCaseSensitive(fl, "file");
            snprintf(p, sizeof p, "%s.ses[%d].flash", path, i);
            if (!cJSON_IsObject(fl) || !cJSON_IsString(file) ||
                cJSON_GetArraySize(fl) != 1)
                return scn_error(c, p, "expected a file name, or an object "
                                       "{\"file\": name}");
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

/* ---- a field dump in place of the scenario's flash (--flash) ---------- */

int card_load_flash(void *model, unsigned se, const char *path, char *err,
                    size_t errlen)
{
    card_t *cd = model;
    if (se >= cd->n_se) {
        snprintf(err, errlen, "--flash SE%u: the card has %zu SEs", se,
                 cd->n_se);
        return -1;
    }
    char sub[512];
    if (flash_load_image(&cd->se[se].flash, path, sub, sizeof sub) != 0) {
        snprintf(err, errlen, "--flash SE%u=%s: %s", se, path, sub);
        return -1;
    }
    /* card.expect_flash compares with what the run started from */
    memcpy(cd->flash0[se], cd->se[se].flash.mem, cd->se[se].flash.geom.size);
    return 0;
}

/* ---- sweeps ------------------------------------------------------------ */

/* In the world node: a cut happened on SE msg->value. */
static void cut_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    card_t *cd = ctx;
    if (!cd->recover_on_cut)
        return;
    char why[64];
    snprintf(why, sizeof why, "power cut of SE%u", (unsigned)m->value);
    scn_run_recover(cd->run, now, why);
}

/* In the SE's node, just after the cut tore what it tore. */
static void on_cut(void *ctx, se_t *se, sim_time_t now)
{
    card_t *cd = ctx;
    if (cd->recover_on_cut && !cd->sweep_op && !cd->cut_flash[se->index]) {
        /* the flash as the cut left it, for se<N>-cut.flash (a --cut run;
         * a sweep's children write no files) */
        cd->cut_flash[se->index] = malloc(se->flash.geom.size);
        if (cd->cut_flash[se->index])
            memcpy(cd->cut_flash[se->index], se->flash.mem,
                   se->flash.geom.size);
    }
    /* the world starts the recovery after the first cut only */
    if (cd->recover_on_cut && !cd->cut_sent[se->index]) {
        cd->cut_sent[se->index] = true;
        sim_link_send(&cd->fault_links[se->index], now, 1, se->index, NULL,
                      0);
    }
}

/* The lookahead of SE i's "a cut happened" link: it carries one message,
 * and only in a sweep or a --cut run; otherwise, and once that message
 * has gone, nothing more comes on it. While it may still come, its bound
 * is the SE's plus SE_FAULT_LATENCY, looser than the contact line's (at
 * most 10 minimum etu, 20 us): the line, not this link, paces the world.
 * With 1 us here the world got 1.1 us of progress per round while the
 * SE's core ran, ten rounds per character on the contact line. */
static sim_time_t se_fault_lookahead(void *ctx, const sim_link_t *l,
                                     sim_time_t src_eot)
{
    const card_t *cd = ctx;
    size_t i = (size_t)(l - cd->fault_links);
    if (cd->recover_on_cut && !cd->cut_sent[i])
        return sim_time_add(src_eot, l->latency);
    return SIM_NEVER;
}

static void on_flash_op(void *ctx, se_t *se, const flash_op_t *op)
{
    card_t *cd = ctx;
    if (cd->sweep_op)
        cd->sweep_op(cd->sweep_ctx, se->index, op);
}

/* The run jumps to its recovery steps: what the terminals were doing is
 * gone with the card's power. */
static void abort_all(void *model, sim_time_t now)
{
    card_t *cd = model;
    cd->op.running = false;
    cd->nfc.op.running = false;
    cd->ble.op.running = false;
    reader_drop(&cd->reader, now);
    card_mcu_drop(cd, now);
}

void card_sweep_setup(void *model, unsigned se,
                      void (*op_fn)(void *ctx, unsigned se,
                                    const flash_op_t *op),
                      void *ctx)
{
    card_t *cd = model;
    cd->recover_on_cut = true;
    cd->run->abort_model = abort_all;
    if (se < cd->n_se) {
        cd->sweep_op = op_fn;
        cd->sweep_ctx = ctx;
    }
}

void card_arm_cut(void *model, unsigned se, unsigned op, unsigned num,
                  unsigned den)
{
    card_t *cd = model;
    if (se < cd->n_se)
        se_arm_cut(&cd->se[se], op, num, den, CARD_CUT_OFF);
}

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
    if (card_mcu_build(cd, sec, err, errlen) != 0)
        return -1;

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
            card_cos_image_path((int)scn_get_int(sj, "cos", 1), path, sizeof path);
            rc2 = se_provision_cos(&cd->se[i].flash, path, &version, sub,
                                   sizeof sub);
        } else if (cJSON_GetObjectItemCaseSensitive(sj, "image")) {
            card_resolve(cd, scn_get_string(sj, "image", ""), path, sizeof path);
            rc2 = se_provision_cos(&cd->se[i].flash, path, &version, sub,
                                   sizeof sub);
        } else if (cJSON_GetObjectItemCaseSensitive(sj, "flash")) {
            const cJSON *fl = cJSON_GetObjectItemCaseSensitive(sj, "flash");
            const char *name = cJSON_IsString(fl)
                                   ? fl->valuestring
                                   : scn_get_string(fl, "file", "");
            card_resolve(cd, name, path, sizeof path);
            rc2 = flash_load_image(&cd->se[i].flash, path, sub, sizeof sub);
        }
        if (rc2 != 0) {
            snprintf(err, errlen, "%s: $.card.ses[%zu]: %s", scn->file, i,
                     sub);
            return -1;
        }
        cd->flash0[i] = malloc(cd->se[i].flash.geom.size);
        if (!cd->flash0[i])
            sim_fatal_plain("out of memory");
        memcpy(cd->flash0[i], cd->se[i].flash.mem, cd->se[i].flash.geom.size);
        char name[32];
        snprintf(name, sizeof name, "contact-se%zu", i);
        pads_connect(&cd->pads, (unsigned)i, &cd->lines[i], run->sim, name,
                     se_port_end(&cd->se[i], ISO7816_SRC_PADS));
        se_attach_line(&cd->se[i], ISO7816_SRC_PADS, &cd->lines[i]);
    }
    reader_attach_pads(&cd->reader, &cd->pads);
    card_mcu_wire(cd);
    cd->fault_links = calloc(cd->n_se, sizeof *cd->fault_links);
    cd->faults = calloc(cd->n_se, sizeof *cd->faults);
    if (!cd->fault_links || !cd->faults)
        sim_fatal_plain("out of memory");
    for (size_t i = 0; i < cd->n_se; i++)
        card_fault_init(cd, &cd->faults[i], &cd->se[i], NULL);
    if (card_mcu_chip(cd))
        card_fault_init(cd, &cd->mcu_fault, NULL, card_mcu_chip(cd));
    for (size_t i = 0; i < cd->n_se; i++) {
        sim_link_init(&cd->fault_links[i], run->sim, "se-fault",
                      &cd->se[i].node, &run->world, SE_FAULT_LATENCY, 0,
                      cut_rx, cd);
        sim_link_set_lookahead(&cd->fault_links[i], se_fault_lookahead, cd);
        cd->se[i].on_cut = on_cut;
        cd->se[i].on_flash_op = on_flash_op;
        cd->se[i].fault_ctx = cd;
    }
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
    card_mcu_destroy(cd);
    free(cd->fault_links);
    free(cd->faults);
    for (size_t i = 0; i < CARD_MAX_SE; i++) {
        free(cd->flash0[i]);
        free(cd->cut_flash[i]);
    }
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
    if (cd->mp)
        card_mcu_stats(cd, out);
}

/* What each channel's terminal moved. */
static void channels(const void *model, cJSON *out)
{
    const card_t *cd = model;
    cJSON *o = cJSON_AddObjectToObject(out, "contact");
    cJSON_AddNumberToObject(o, "apdus", (double)cd->reader.apdus);
    cJSON_AddNumberToObject(o, "bytes", (double)cd->reader.apdu_bytes);
    if (cd->mp)
        card_mcu_channels(cd, out);
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
    /* after a sweep's cut: the flash as the cut left it (its erase
     * counters are the end's) */
    static const char *const cut_files[CARD_MAX_SE] = {
        "se0-cut.flash", "se1-cut.flash", "se2-cut.flash", "se3-cut.flash",
        "se4-cut.flash", "se5-cut.flash", "se6-cut.flash", "se7-cut.flash",
    };
    for (size_t i = 0; i < cd->n_se && i < CARD_MAX_SE; i++) {
        if (!cd->cut_flash[i])
            continue;
        flash_t f = cd->se[i].flash;
        f.mem = cd->cut_flash[i];
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, cut_files[i]);
        if (flash_save_image(&f, path, err, errlen) != 0)
            return -1;
        if (*n < max)
            names[(*n)++] = cut_files[i];
    }
    return 0;
}

const model_section_t card_section = {
    .def = &card_section_def,
    .pcaps = MODEL_PCAP_APDU | MODEL_PCAP_NFC | MODEL_PCAP_BLE,
    .build = build,
    .destroy = destroy,
    .stats = stats,
    .channels = channels,
    .save = save,
};
