/* SPDX-License-Identifier: MIT */
/* models/card_fault.c - the scenario's fault actions (fault.*): break the
 * card at a chosen instant, reproducibly.
 *
 * A fault on an SE is a command sent from the world node to the SE's node
 * on a link of its own (1 us): the SE applies it when the message arrives,
 * at its present, so causality holds and reruns are identical. The step
 * itself ends at once; give it an "at" (absolute time) or a "delay" to
 * place it. Faults of the terminals (the contact line's bit errors, BLE
 * packet loss) apply in the world node at the step's start.
 *
 *   fault.power        cut an SE's supply, or the MCU's battery, for "off"
 *   fault.flash_cut    cut an SE's supply inside its k-th flash operation
 *                      from now, at num/den of it
 *   fault.at_cycle     cut an SE's supply (or the MCU's battery) when its
 *                      core reaches a cycle
 *   fault.at_symbol    the same when the core reaches a firmware function
 *                      (the n-th time), before it runs
 *   fault.flash_fail   the SE's next program and/or erase fails
 *   fault.stuck_bits   bits of an SE's flash word stuck
 *   fault.line_errors  seeded bit errors on the contact line, per character
 *   fault.ble_loss     seeded loss of the card's BLE packets at the phone
 *
 * Reference: docs/faults.md. Probabilities are parts per million (the
 * scenario format has no fractions); draws come from the models' own
 * named RNG streams, so they follow the scenario's seed. */
#include <stdio.h>
#include <string.h>

#include "cardsim_config.h"
#include "models/elf_load.h"

#include "models/card.h"
#include "models/card_int.h"
#include "models/card_mcu.h"
#include "models/mcu.h"
#include "models/terminals/phone_ble.h"

enum fault_kind {
    FK_POWER = 1,   /* value: off time */
    FK_FLASH_CUT,   /* data: k, num, den */
    FK_AT_CYCLE,    /* value: cycle; data: off */
    FK_FAIL,        /* value: op mask */
    FK_STUCK,       /* data: addr, mask, value */
    FK_AT_SYMBOL,   /* value: address; data: hit, off; the name follows */
};

typedef struct fault_msg {
    uint64_t a, b, c, d;
    char name[64];
} fault_msg_t;

/* ---- in the SE's (or the MCU's) node ------------------------------------ */

void card_fault_init(card_t *cd, card_fault_t *f, se_t *se, mcu_t *mcu)
{
    f->se = se;
    f->mcu = mcu;
    f->cpu = se ? &se->cpu : &mcu->cpu;
    f->node = se ? &se->node : &mcu->node;
    f->name = se ? se->name : "mcu";
    sim_link_init(&f->link, cd->run->sim, se ? "fault" : "fault.mcu",
                  &cd->run->world, f->node, SIM_US(1), sizeof(fault_msg_t),
                  card_fault_rx, f);
    sim_event_init(&f->cycle_ev, "fault.at-cycle", card_fault_cycle_fire, f);
    sim_event_init(&f->sym_ev, "fault.at-symbol", card_fault_symbol_fire, f);
}

/* The cut of a core's power: an SE's supply, the MCU's battery. */
static void cut_now(card_fault_t *f, sim_time_t now, sim_time_t off)
{
    if (f->se)
        se_supply_cut(f->se, now, off);
    else
        mcu_battery_cut(f->mcu, now, off);
}

/* The core reached the symbol: pass, or stop there and cut at this very
 * instant (the function has not run one instruction). */
static bool symbol_hit(void *ctx, cpu_t *cpu, uint32_t pc)
{
    card_fault_t *f = ctx;
    (void)pc;
    if (f->sym_left == 0 || --f->sym_left > 0)
        return false;
    sim_reschedule(f->node, &f->sym_ev, cpu_time(cpu));
    return true;
}

void card_fault_symbol_fire(sim_event_t *ev, sim_time_t now)
{
    card_fault_t *f = ev->ctx;
    trace_bus_t *bus = f->se ? f->se->bus : f->mcu->bus;
    cpu_remove_breakpoint(f->cpu, f->sym_addr, symbol_hit, f);
    if (trace_wants(bus, TRACE_LOG))
        trace_logf(bus, now, f->name, 1,
                   "fault: the core reached %s (0x%08x) at cycle %llu",
                   f->sym_name, (unsigned)f->sym_addr,
                   (unsigned long long)cpu_cycles(f->cpu));
    cut_now(f, now, f->sym_off);
}

void card_fault_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    card_fault_t *f = ctx;
    se_t *se = f->se; /* NULL on the MCU's channel: core faults only */
    fault_msg_t d = { 0 };
    memcpy(&d, m->data, m->len < sizeof d ? m->len : sizeof d);
    if (!se && m->kind != FK_AT_CYCLE && m->kind != FK_AT_SYMBOL)
        return;
    switch (m->kind) {
    case FK_POWER:
        se_supply_cut(se, now, m->value);
        break;
    case FK_FLASH_CUT: {
        /* the k-th operation from now: k = 1 is the next one to start */
        unsigned next = se->flash.next_index;
        se_arm_cut(se, next + (unsigned)d.a - 1, (unsigned)d.b,
                   (unsigned)d.c, m->value);
        break;
    }
    case FK_AT_CYCLE: {
        sim_time_t t = sim_clock_edge(&f->cpu->clk, m->value);
        if (t < now)
            t = now;
        f->cycle_off = d.a;
        sim_reschedule(f->node, &f->cycle_ev, t);
        break;
    }
    case FK_AT_SYMBOL:
        if (f->sym_left)
            cpu_remove_breakpoint(f->cpu, f->sym_addr, symbol_hit, f);
        f->sym_addr = (uint32_t)m->value;
        f->sym_left = d.a;
        f->sym_off = d.b;
        memcpy(f->sym_name, d.name, sizeof f->sym_name);
        f->sym_name[sizeof f->sym_name - 1] = '\0';
        cpu_add_breakpoint(f->cpu, f->sym_addr, symbol_hit, f);
        break;
    case FK_FAIL:
        flash_fail_next(&se->flash, (unsigned)m->value);
        break;
    case FK_STUCK:
        flash_set_stuck(&se->flash, (uint32_t)d.a, (uint32_t)d.b,
                        (uint32_t)d.c);
        break;
    default:
        break;
    }
}

void card_fault_cycle_fire(sim_event_t *ev, sim_time_t now)
{
    card_fault_t *f = ev->ctx;
    cut_now(f, now, f->cycle_off);
}

/* ---- actions (world node) ------------------------------------------------ */

static card_t *card(scn_run_t *run)
{
    return run->model;
}

static bool se_ok(scn_run_t *run, sim_time_t now, unsigned se)
{
    if (se < card(run)->n_se)
        return true;
    scn_step_complete(run, now, false, "the card has no SE%u", se);
    return false;
}

static void send(scn_run_t *run, sim_time_t now, unsigned se, uint32_t kind,
                 uint64_t value, const fault_msg_t *d)
{
    sim_link_send(&card(run)->faults[se].link, now, kind, value, d,
                  d ? sizeof *d : 0);
}

static const char *const targets[] = { "se0", "se1", "se2", "se3", "se4",
                                       "se5", "se6", "se7", "mcu", NULL };

static const scn_field_t power_fields[] = {
    { .key = "target", .type = SCN_T_ENUM, .required = true,
      .choices = targets,
      .help = "an SE's supply, or the MCU's battery (\"mcu\")" },
    { .key = "off", .type = SCN_T_TIME,
      .help = "how long the power stays off (default 2 ms)" },
    { 0 },
};

static scn_status_t power_start(scn_run_t *run, scn_step_t *st,
                                sim_time_t now)
{
    const char *t = scn_get_string(st->json, "target", "se0");
    sim_time_t off = scn_get_time(run->scn, st->json, "off", SIM_MS(2));
    if (strcmp(t, "mcu") == 0) {
        if (!card_mcu_power_cut(card(run), now, off)) {
            scn_step_complete(run, now, false, "the card has no MCU");
            return SCN_STEP_PENDING;
        }
        return SCN_STEP_DONE;
    }
    unsigned se = (unsigned)(t[2] - '0');
    if (!se_ok(run, now, se))
        return SCN_STEP_PENDING;
    send(run, now, se, FK_POWER, off, NULL);
    return SCN_STEP_DONE;
}

static const scn_field_t flash_cut_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE" },
    { .key = "op", .type = SCN_T_INT, .min = 1, .max = 1000000,
      .help = "the k-th flash operation the SE starts from now (default "
              "1: the next)" },
    { .key = "num", .type = SCN_T_INT, .min = 0, .max = 1000,
      .help = "the cut at num/den of the operation (default 0/1: at its "
              "start)" },
    { .key = "den", .type = SCN_T_INT, .min = 1, .max = 1000 },
    { .key = "off", .type = SCN_T_TIME,
      .help = "how long the supply stays off (default 2 ms)" },
    { 0 },
};

static bool flash_cut_check(scn_ctx_t *c, const cJSON *step,
                            const char *path)
{
    if (scn_get_int(step, "num", 0) >= scn_get_int(step, "den", 1))
        return scn_error(c, path, "expected num below den (a point inside "
                                  "the operation)");
    return true;
}

static scn_status_t flash_cut_start(scn_run_t *run, scn_step_t *st,
                                    sim_time_t now)
{
    unsigned se = (unsigned)scn_get_int(st->json, "se", 0);
    if (!se_ok(run, now, se))
        return SCN_STEP_PENDING;
    fault_msg_t d = { .a = (uint64_t)scn_get_int(st->json, "op", 1),
                      .b = (uint64_t)scn_get_int(st->json, "num", 0),
                      .c = (uint64_t)scn_get_int(st->json, "den", 1) };
    send(run, now, se, FK_FLASH_CUT,
         scn_get_time(run->scn, st->json, "off", SIM_MS(2)), &d);
    return SCN_STEP_DONE;
}

/* The core a fault.at_cycle or fault.at_symbol names: "core" ("se0" ..
 * "se7", "mcu") or "se" (an index). */
static const char *const cores[] = { "se0", "se1", "se2", "se3", "se4",
                                     "se5", "se6", "se7", "mcu", NULL };

#define CORE_FIELDS                                                       \
    { .key = "se", .type = SCN_T_INT, .min = 0, .max = CARD_MAX_SE - 1,   \
      .help = "the SE (or give \"core\")" },                               \
    { .key = "core", .type = SCN_T_ENUM, .choices = cores,                \
      .help = "the core: an SE's (its supply is cut) or the MCU's (its "   \
              "battery is cut)" },

static bool core_check(scn_ctx_t *c, const cJSON *step, const char *path)
{
    bool se = cJSON_GetObjectItemCaseSensitive(step, "se") != NULL;
    bool core = cJSON_GetObjectItemCaseSensitive(step, "core") != NULL;
    if (se == core)
        return scn_error(c, path, "expected one of \"se\" and \"core\"");
    return true;
}

/* The fault channel of the step's core, or NULL with the step failed. */
static card_fault_t *core_of(scn_run_t *run, scn_step_t *st, sim_time_t now)
{
    card_t *cd = card(run);
    const char *core = scn_get_string(st->json, "core", NULL);
    if (core && strcmp(core, "mcu") == 0) {
        if (!cd->mcu_fault.cpu) {
            scn_step_complete(run, now, false, "the card has no MCU");
            return NULL;
        }
        return &cd->mcu_fault;
    }
    unsigned se = core ? (unsigned)(core[2] - '0')
                       : (unsigned)scn_get_int(st->json, "se", 0);
    if (!se_ok(run, now, se))
        return NULL;
    return &cd->faults[se];
}

static const scn_field_t cycle_fields[] = {
    CORE_FIELDS
    { .key = "cycle", .type = SCN_T_INT, .required = true, .min = 0,
      .help = "its clock cycle, counted from 0 at the start of the run "
              "(SE cores 32 MHz, the MCU's 16 MHz)" },
    { .key = "off", .type = SCN_T_TIME,
      .help = "how long the power stays off (default 2 ms)" },
    { 0 },
};

static scn_status_t cycle_start(scn_run_t *run, scn_step_t *st,
                                sim_time_t now)
{
    card_fault_t *f = core_of(run, st, now);
    if (!f)
        return SCN_STEP_PENDING;
    fault_msg_t d = { .a = scn_get_time(run->scn, st->json, "off",
                                        SIM_MS(2)) };
    sim_link_send(&f->link, now, FK_AT_CYCLE,
                  (uint64_t)scn_get_int(st->json, "cycle", 0), &d, sizeof d);
    return SCN_STEP_DONE;
}

static const scn_field_t symbol_fields[] = {
    CORE_FIELDS
    { .key = "symbol", .type = SCN_T_STRING, .required = true,
      .help = "a function of the core's firmware: an SE's boot ROM (e.g. "
              "\"loader_commit\"), COS vN's with \"cos\": N, the MCU's "
              "firmware" },
    { .key = "cos", .type = SCN_T_INT, .min = 1, .max = 2,
      .help = "an SE: take the symbol from COS vN's ELF (it runs from "
              "flash) instead of the ROM's" },
    { .key = "hit", .type = SCN_T_INT, .min = 1,
      .help = "cut at the n-th time the core gets there from now "
              "(default 1)" },
    { .key = "off", .type = SCN_T_TIME,
      .help = "how long the power stays off (default 2 ms)" },
    { 0 },
};

/* An SE's firmware ELF a symbol is looked up in. */
static void symbol_elf(const cJSON *step, char *out, size_t len)
{
    int cos = scn_get_int(step, "cos", 0);
    if (cos)
        snprintf(out, len, "%s/firmware/cos_v%d.elf", CARDSIM_BUILD_ROOT,
                 cos);
    else
        snprintf(out, len, "%s/firmware/se_rom.elf", CARDSIM_BUILD_ROOT);
}

static bool symbol_in(const elf_image_t *img, const char *what,
                      const char *name, uint32_t *addr, char *err,
                      size_t errlen)
{
    const elf_symbol_t *sym = elf_find_symbol(img, name);
    if (sym && sym->kind == ELF_SYM_FUNC) {
        *addr = sym->addr;
        return true;
    }
    snprintf(err, errlen, "expected a function of %s; \"%s\" is %s", what,
             name, sym ? "not a function" : "not one of its symbols");
    return false;
}

/* Address of an SE step's function, or false with err filled. */
static bool se_symbol(const cJSON *step, uint32_t *addr, char *err,
                      size_t errlen)
{
    char path[4200];
    symbol_elf(step, path, sizeof path);
    elf_image_t img;
    if (elf_load(&img, path, err, errlen) != 0)
        return false;
    bool ok = symbol_in(&img, path, scn_get_string(step, "symbol", ""), addr,
                        err, errlen);
    elf_free(&img);
    return ok;
}

static bool is_mcu(const cJSON *step)
{
    const char *core = scn_get_string(step, "core", NULL);
    return core && strcmp(core, "mcu") == 0;
}

/* At load time: an SE's symbols are known (its ROM and COS are built with
 * cardsim); the MCU's firmware may be the scenario's own, looked up when
 * the step starts. */
static bool symbol_check(scn_ctx_t *c, const cJSON *step, const char *path)
{
    char err[4400];
    uint32_t addr;
    if (!core_check(c, step, path))
        return false;
    if (strlen(scn_get_string(step, "symbol", "")) >= 64)
        return scn_error(c, path, "expected a symbol name of at most 63 "
                                  "characters");
    if (is_mcu(step) && cJSON_GetObjectItemCaseSensitive(step, "cos"))
        return scn_error(c, path, "\"cos\" names an SE's firmware, not the "
                                  "MCU's");
    if (!is_mcu(step) && !se_symbol(step, &addr, err, sizeof err))
        return scn_error(c, path, "%s", err);
    return true;
}

static scn_status_t symbol_start(scn_run_t *run, scn_step_t *st,
                                 sim_time_t now)
{
    card_fault_t *f = core_of(run, st, now);
    if (!f)
        return SCN_STEP_PENDING;
    char err[4400];
    uint32_t addr;
    bool ok = f->se ? se_symbol(st->json, &addr, err, sizeof err)
                    : symbol_in(&f->mcu->elf, "the MCU's firmware",
                                scn_get_string(st->json, "symbol", ""),
                                &addr, err, sizeof err);
    if (!ok) {
        scn_step_complete(run, now, false, "%s", err);
        return SCN_STEP_PENDING;
    }
    fault_msg_t d = { .a = (uint64_t)scn_get_int(st->json, "hit", 1),
                      .b = scn_get_time(run->scn, st->json, "off",
                                        SIM_MS(2)) };
    snprintf(d.name, sizeof d.name, "%s",
             scn_get_string(st->json, "symbol", ""));
    sim_link_send(&f->link, now, FK_AT_SYMBOL, addr, &d, sizeof d);
    return SCN_STEP_DONE;
}

static const char *const fail_ops[] = { "program", "erase", "both", NULL };

static const scn_field_t fail_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE" },
    { .key = "ops", .type = SCN_T_ENUM, .choices = fail_ops,
      .help = "which operation fails next (default both kinds: the first "
              "to come)" },
    { 0 },
};

static scn_status_t fail_start(scn_run_t *run, scn_step_t *st,
                               sim_time_t now)
{
    unsigned se = (unsigned)scn_get_int(st->json, "se", 0);
    if (!se_ok(run, now, se))
        return SCN_STEP_PENDING;
    const char *ops = scn_get_string(st->json, "ops", "both");
    unsigned mask = strcmp(ops, "program") == 0 ? FLASH_FAIL_PROGRAM
                    : strcmp(ops, "erase") == 0 ? FLASH_FAIL_ERASE
                    : FLASH_FAIL_PROGRAM | FLASH_FAIL_ERASE;
    send(run, now, se, FK_FAIL, mask, NULL);
    return SCN_STEP_DONE;
}

static const scn_field_t stuck_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE" },
    { .key = "addr", .type = SCN_T_HEX, .required = true, .min = 4,
      .max = 4, .help = "the word's bus address, big-endian, e.g. "
                         "\"10001000\"" },
    { .key = "mask", .type = SCN_T_HEX, .required = true, .min = 4,
      .max = 4, .help = "the stuck bits" },
    { .key = "value", .type = SCN_T_HEX, .required = true, .min = 4,
      .max = 4, .help = "what they are stuck at" },
    { 0 },
};

static uint32_t be32_of(const cJSON *j, const char *key)
{
    uint8_t b[4] = { 0 };
    scn_get_hex(j, key, b, sizeof b);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | b[3];
}

static scn_status_t stuck_start(scn_run_t *run, scn_step_t *st,
                                sim_time_t now)
{
    unsigned se = (unsigned)scn_get_int(st->json, "se", 0);
    if (!se_ok(run, now, se))
        return SCN_STEP_PENDING;
    fault_msg_t d = { .a = be32_of(st->json, "addr"),
                      .b = be32_of(st->json, "mask"),
                      .c = be32_of(st->json, "value") };
    send(run, now, se, FK_STUCK, 0, &d);
    return SCN_STEP_DONE;
}

static const scn_field_t line_fields[] = {
    { .key = "cmd_ppm", .type = SCN_T_INT, .min = 0, .max = 1000000,
      .help = "characters from the reader hit by a bit error, per million" },
    { .key = "rsp_ppm", .type = SCN_T_INT, .min = 0, .max = 1000000,
      .help = "characters from the card hit, per million" },
    { 0 },
};

static scn_status_t line_start(scn_run_t *run, scn_step_t *st,
                               sim_time_t now)
{
    reader_set_bit_errors(&card(run)->reader, now,
                          (double)scn_get_int(st->json, "cmd_ppm", 0) / 1e6,
                          (double)scn_get_int(st->json, "rsp_ppm", 0) / 1e6);
    return SCN_STEP_DONE;
}

static const scn_field_t loss_fields[] = {
    { .key = "ppm", .type = SCN_T_INT, .required = true, .min = 0,
      .max = 1000000,
      .help = "the card's BLE packets the phone loses, per million" },
    { 0 },
};

static scn_status_t loss_start(scn_run_t *run, scn_step_t *st,
                               sim_time_t now)
{
    card_t *cd = card(run);
    if (!cd->ble.term) {
        scn_step_complete(run, now, false, "the card has no BLE");
        return SCN_STEP_PENDING;
    }
    phone_ble_set_loss(cd->ble.term,
                       (double)scn_get_int(st->json, "ppm", 0) / 1e6);
    return SCN_STEP_DONE;
}

static const scn_action_def_t power_action = {
    .name = "fault.power",
    .help = "cut an SE's supply or the MCU's battery for a while (the SE: "
            "a flash operation in progress is torn, RAM lost)",
    .fields = power_fields, .start = power_start,
};
static const scn_action_def_t flash_cut_action = {
    .name = "fault.flash_cut",
    .help = "cut an SE's supply inside its k-th flash operation from now, "
            "at num/den of it (a torn program or erase)",
    .fields = flash_cut_fields, .check = flash_cut_check,
    .start = flash_cut_start,
};
static const scn_action_def_t cycle_action = {
    .name = "fault.at_cycle",
    .help = "cut an SE's supply, or the MCU's battery, when its core's "
            "clock reaches a cycle",
    .fields = cycle_fields, .check = core_check, .start = cycle_start,
};
static const scn_action_def_t symbol_action = {
    .name = "fault.at_symbol",
    .help = "cut an SE's supply, or the MCU's battery, when its core "
            "reaches a firmware function (before the function's first "
            "instruction)",
    .fields = symbol_fields, .check = symbol_check, .start = symbol_start,
};
static const scn_action_def_t fail_action = {
    .name = "fault.flash_fail",
    .help = "the SE's next flash program and/or erase fails (the "
            "controller reports ERR_FAIL)",
    .fields = fail_fields, .start = fail_start,
};
static const scn_action_def_t stuck_action = {
    .name = "fault.stuck_bits",
    .help = "bits of an SE's flash word stuck at a value",
    .fields = stuck_fields, .start = stuck_start,
};
static const scn_action_def_t line_action = {
    .name = "fault.line_errors",
    .help = "seeded bit errors on the contact line (each hit character has "
            "one bit flipped: a parity error)",
    .fields = line_fields, .start = line_start,
};
static const scn_action_def_t loss_action = {
    .name = "fault.ble_loss",
    .help = "seeded loss of the card's BLE packets at the phone",
    .fields = loss_fields, .start = loss_start,
};

const scn_action_def_t *const card_fault_actions[] = {
    &power_action, &flash_cut_action, &cycle_action, &symbol_action,
    &fail_action,
    &stuck_action, &line_action, &loss_action, NULL,
};
