/* SPDX-License-Identifier: MIT */
/* tests/test_scenario_load.c - scenario loading and validation against a
 * small fake registry: exact values from the getters, and the exact
 * message of every refusal. */
#include <stdio.h>
#include <string.h>

#include "sim/scenario.h"
#include "suites.h"

/* ---- the fake registry ------------------------------------------------ */

static const char *const modes[] = { "fast", "slow", NULL };
static const char *const expects[] = { "ok", "error", NULL };

static const scn_field_t node_fields[] = {
    { .key = "name", .type = SCN_T_STRING, .required = true },
    { .key = "clock", .type = SCN_T_FREQ },
    { .key = NULL },
};
static const scn_field_t node_item = { .type = SCN_T_OBJECT,
                                       .fields = node_fields };
static const scn_field_t link_fields[] = {
    { .key = "from", .type = SCN_T_NODE, .required = true },
    { .key = "to", .type = SCN_T_NODE, .required = true },
    { .key = "latency", .type = SCN_T_TIME },
    { .key = NULL },
};
static const scn_field_t link_item = { .type = SCN_T_OBJECT,
                                       .fields = link_fields };
static const scn_field_t bench_fields[] = {
    { .key = "nodes", .type = SCN_T_ARRAY, .required = true,
      .item = &node_item, .min = 1, .max = 4 },
    { .key = "links", .type = SCN_T_ARRAY, .item = &link_item },
    { .key = "mode", .type = SCN_T_ENUM, .choices = modes },
    { .key = "count", .type = SCN_T_INT, .min = 1, .max = 8 },
    { .key = "verbose", .type = SCN_T_BOOL },
    { .key = "key", .type = SCN_T_HEX, .max = 4 },
    { .key = "extra", .type = SCN_T_ANY },
    { .key = "comment", .type = SCN_T_STRING },
    { .key = NULL },
};

/* Declares a fixed clock, and each node (with its clock, if it has one);
 * node names must be unique. */
static bool bench_check(scn_ctx_t *c, const cJSON *section, const char *path)
{
    char sub[128];
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(section, "nodes");
    const cJSON *n;
    int i = 0;

    ck_assert_str_eq(path, "$.bench");
    ck_assert_ptr_eq(scn_ctx_scenario(c)->config, section);
    scn_declare_clock(c, "contact", 3571200);
    cJSON_ArrayForEach(n, nodes) {
        const char *name = scn_get_string(n, "name", NULL);
        snprintf(sub, sizeof sub, "%s.nodes[%d].name", path, i++);
        if (scn_node_declared(c, name))
            return scn_error(c, sub, "duplicate node name \"%s\"", name);
        scn_declare_node(c, name);
        uint64_t hz = scn_get_freq(n, "clock", 0);
        if (hz)
            scn_declare_clock(c, name, hz);
    }
    return true;
}

static const scn_section_def_t bench_section = {
    .key = "bench", .help = "test nodes", .fields = bench_fields,
    .check = bench_check,
};

static const scn_field_t card_fields[] = {
    { .key = "ses", .type = SCN_T_INT, .required = true, .min = 1,
      .max = 4 },
    { .key = "boot", .type = SCN_T_TIME },
    { .key = NULL },
};

static const scn_section_def_t card_section = {
    .key = "card", .help = "a card", .fields = card_fields,
};

static const scn_field_t wait_fields[] = {
    { .key = "for", .type = SCN_T_TIME, .required = true },
    { .key = NULL },
};
static const scn_field_t ping_fields[] = {
    { .key = "to", .type = SCN_T_NODE, .required = true },
    { .key = "count", .type = SCN_T_INT, .min = 1, .max = 10 },
    { .key = "payload", .type = SCN_T_HEX, .min = 1, .max = 8 },
    { .key = NULL },
};
static const scn_field_t retries_fields[] = {
    { .key = "retries", .type = SCN_T_INT, .required = true, .min = 0,
      .max = 3 },
    { .key = NULL },
};
static const scn_field_t size_item = { .type = SCN_T_INT, .min = 0,
                                       .max = 255 };
static const scn_field_t apdu_fields[] = {
    { .key = "to", .type = SCN_T_NODE, .required = true },
    { .key = "data", .type = SCN_T_HEX, .required = true, .max = 16 },
    { .key = "expect", .type = SCN_T_ENUM, .choices = expects },
    { .key = "strict", .type = SCN_T_BOOL },
    { .key = "note", .type = SCN_T_STRING },
    { .key = "opts", .type = SCN_T_OBJECT, .fields = retries_fields },
    { .key = "sizes", .type = SCN_T_ARRAY, .item = &size_item, .max = 3 },
    { .key = "freq", .type = SCN_T_FREQ },
    { .key = "any", .type = SCN_T_ANY },
    { .key = "big", .type = SCN_T_INT },
    { .key = NULL },
};

/* A semantic rule across two fields, as real actions have. */
static bool apdu_check(scn_ctx_t *c, const cJSON *step, const char *path)
{
    if (scn_get_bool(step, "strict", false)
        && strcmp(scn_get_string(step, "expect", "ok"), "ok") != 0)
        return scn_error(c, path, "\"strict\" needs \"expect\": \"ok\"");
    return true;
}

/* Fails without saying why: the loader must still report something. */
static bool mute_check(scn_ctx_t *c, const cJSON *step, const char *path)
{
    (void)c;
    (void)step;
    (void)path;
    return false;
}

static const scn_action_def_t wait_action = {
    .name = "wait", .help = "waits", .fields = wait_fields,
};
static const scn_action_def_t ping_action = {
    .name = "ping", .help = "pings", .fields = ping_fields,
};
static const scn_action_def_t apdu_action = {
    .name = "apdu", .help = "sends an APDU", .fields = apdu_fields,
    .check = apdu_check,
};
static const scn_action_def_t mute_action = {
    .name = "mute", .help = "always refused", .check = mute_check,
};

static const scn_action_def_t *const table_a[] = {
    &wait_action, &ping_action, NULL,
};
static const scn_action_def_t *const table_b[] = {
    &apdu_action, &mute_action, NULL,
};
static const scn_action_def_t *const *const action_tables[] = {
    table_a, table_b, NULL,
};
static const scn_section_def_t *const sections[] = {
    &bench_section, &card_section, NULL,
};
static const scn_registry_t reg = {
    .sections = sections, .actions = action_tables,
};

/* A second registry: a section whose check() refuses without a JSON path,
 * or without any message at all. */
static const scn_field_t quiet_fields[] = {
    { .key = "say", .type = SCN_T_STRING },
    { .key = NULL },
};

static bool quiet_check(scn_ctx_t *c, const cJSON *section, const char *path)
{
    const char *say = scn_get_string(section, "say", NULL);
    (void)path;
    if (say)
        return scn_error(c, NULL, "said %s", say);
    return false;
}

static const scn_section_def_t quiet_section = {
    .key = "quiet", .help = "refuses", .fields = quiet_fields,
    .check = quiet_check,
};
static const scn_section_def_t *const quiet_sections[] = {
    &quiet_section, NULL,
};
static const scn_registry_t quiet_reg = {
    .sections = quiet_sections, .actions = action_tables,
};

/* ---- helpers ------------------------------------------------------------ */

/* Test JSON is written with ' for " to stay readable in C. */
static char *dq(const char *text)
{
    static char buf[8192];
    size_t n = strlen(text);
    ck_assert_uint_lt(n, sizeof buf);
    for (size_t i = 0; i <= n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    return buf;
}

static bool all_zero(const scenario_t *s)
{
    static const scenario_t zero;
    return memcmp(s, &zero, sizeof zero) == 0;
}

/* Loads text (with ' for ") as file "t.json"; it must be refused. */
static const char *refused_as(const char *file, const char *text, bool raw)
{
    static char err[1024];
    scenario_t s;
    memset(&s, 0x5A, sizeof s);
    err[0] = '\0';
    ck_assert_int_eq(scenario_load_text(&s, file, raw ? text : dq(text),
                                        &reg, err, sizeof err), -1);
    ck_assert_msg(all_zero(&s), "scenario not left empty after an error");
    ck_assert_msg(err[0] != '\0', "no message");
    return err;
}

static const char *refused(const char *text)
{
    return refused_as("t.json", text, false);
}

static void load_ok(scenario_t *s, const char *text)
{
    char err[1024] = "";
    int rc = scenario_load_text(s, "t.json", dq(text), &reg, err, sizeof err);
    ck_assert_msg(rc == 0, "refused: %s", err);
}

#define BENCH "'bench': {'nodes': [{'name': 'card'}, " \
              "{'name': 'phone', 'clock': '13.56MHz'}]}"
/* A scenario with extra top-level keys and the given steps. */
#define SCN(top, steps) \
    "{'format': 'cardsim-scenario/1', " BENCH top ", 'timeline': [" steps "]}"
/* A scenario with the given bench section and no steps. */
#define WITH_BENCH(bench) \
    "{'format': 'cardsim-scenario/1', 'bench': " bench ", 'timeline': []}"
#define STEP_ERR(step, msg) \
    ck_assert_str_eq(refused(SCN("", step)), "t.json: " msg)

/* ---- valid scenarios ---------------------------------------------------- */

static void check_valid_fixture(const scenario_t *s)
{
    static const uint8_t key[] = { 0xDE, 0xAD, 0xBE, 0xEF };
    static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00 };
    uint8_t buf[16];

    ck_assert_str_eq(s->name, "valid-demo");
    ck_assert_str_eq(s->description, "every field type once");
    ck_assert_uint_eq(s->seed, 9007199254740992ULL);
    ck_assert_uint_eq(s->timeout, 2500000000ULL);
    ck_assert_ptr_eq(s->section, &bench_section);

    /* the section: what check() declared, and typed values */
    ck_assert_uint_eq(s->n_clocks, 3);
    ck_assert_str_eq(s->clocks[0].name, "contact");
    ck_assert_uint_eq(s->clocks[0].hz, 3571200);
    ck_assert_str_eq(s->clocks[1].name, "card");
    ck_assert_uint_eq(s->clocks[1].hz, 3571200);
    ck_assert_str_eq(s->clocks[2].name, "phone");
    ck_assert_uint_eq(s->clocks[2].hz, 13560000);
    ck_assert_uint_eq(s->n_nodes, 2);
    ck_assert_str_eq(s->nodes[0], "card");
    ck_assert_str_eq(s->nodes[1], "phone");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(s->config, "nodes");
    ck_assert_uint_eq(scn_get_freq(cJSON_GetArrayItem(nodes, 0), "clock", 0),
                      3571200);
    ck_assert_uint_eq(scn_get_freq(cJSON_GetArrayItem(nodes, 1), "clock", 0),
                      13560000);
    const cJSON *links = cJSON_GetObjectItemCaseSensitive(s->config, "links");
    ck_assert_uint_eq(scn_get_time(s, cJSON_GetArrayItem(links, 0),
                                   "latency", 0), 1500000);
    /* 2 cycles of 13.56 MHz: floor(2 * 10^12 / 13560000) */
    ck_assert_uint_eq(scn_get_time(s, cJSON_GetArrayItem(links, 1),
                                   "latency", 0), 147492);
    ck_assert_str_eq(scn_get_string(s->config, "mode", NULL), "slow");
    ck_assert_int_eq(scn_get_int(s->config, "count", 0), 8);
    ck_assert(scn_get_bool(s->config, "verbose", false));
    ck_assert_uint_eq(scn_get_hex(s->config, "key", buf, sizeof buf), 4);
    ck_assert_mem_eq(buf, key, 4);

    /* the steps */
    ck_assert_uint_eq(s->n_steps, 4);
    const scn_step_t *st = s->steps;
    ck_assert_uint_eq(st[0].index, 0);
    ck_assert_str_eq(st[0].path, "$.timeline[0]");
    ck_assert_ptr_eq(st[0].def, &wait_action);
    ck_assert_ptr_eq(st[0].label, NULL);
    ck_assert_uint_eq(st[0].at, SIM_NEVER);
    ck_assert_uint_eq(st[0].delay, 0);
    ck_assert_uint_eq(st[0].timeout, SIM_NEVER);
    ck_assert_uint_eq(scn_get_time(s, st[0].json, "for", 0), 10000000);

    ck_assert_str_eq(st[1].path, "$.timeline[1]");
    ck_assert_ptr_eq(st[1].def, &ping_action);
    ck_assert_str_eq(st[1].label, "first ping");
    ck_assert_uint_eq(st[1].at, 1000000000ULL);
    ck_assert_uint_eq(st[1].delay, 0);
    ck_assert_uint_eq(st[1].timeout, 104166666);   /* 372 clk@3.5712MHz */
    ck_assert_str_eq(scn_get_string(st[1].json, "to", NULL), "phone");
    ck_assert_int_eq(scn_get_int(st[1].json, "count", 1), 3);
    ck_assert_uint_eq(scn_get_hex(st[1].json, "payload", buf, sizeof buf),
                      2);
    ck_assert_uint_eq(buf[0], 1);
    ck_assert_uint_eq(buf[1], 2);

    ck_assert_ptr_eq(st[2].def, &apdu_action);
    ck_assert_uint_eq(st[2].delay, 500);
    ck_assert_uint_eq(scn_get_hex(st[2].json, "data", buf, sizeof buf), 4);
    ck_assert_mem_eq(buf, select, 4);
    ck_assert_str_eq(scn_get_string(st[2].json, "expect", NULL), "ok");
    ck_assert(!scn_get_bool(st[2].json, "strict", true));
    ck_assert_uint_eq(scn_get_freq(st[2].json, "freq", 0), 16000000);
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(st[2].json, "opts");
    ck_assert_int_eq(scn_get_int(opts, "retries", 0), 2);

    /* one cycle of 3.5712 MHz: floor(10^12 / 3571200) */
    ck_assert_uint_eq(scn_get_time(s, st[3].json, "for", 0), 280017);

    /* absent keys give the default */
    ck_assert_uint_eq(scn_get_time(s, st[0].json, "nope", 77), 77);
    ck_assert_uint_eq(scn_get_freq(st[0].json, "nope", 78), 78);
    ck_assert_int_eq(scn_get_int(st[0].json, "nope", -79), -79);
    ck_assert(scn_get_bool(st[0].json, "nope", true));
    ck_assert_str_eq(scn_get_string(st[0].json, "nope", "dflt"), "dflt");
    ck_assert_uint_eq(scn_get_hex(st[0].json, "nope", buf, sizeof buf), 0);
    ck_assert_uint_eq(scn_get_time(s, NULL, "for", 80), 80);
}

START_TEST(valid_file)
{
    scenario_t s;
    char err[1024] = "";
    int rc = scenario_load(&s, TESTS_DIR "/scenarios/valid.json", &reg, err,
                           sizeof err);
    ck_assert_msg(rc == 0, "refused: %s", err);
    ck_assert_str_eq(s.file, TESTS_DIR "/scenarios/valid.json");
    check_valid_fixture(&s);
    scenario_free(&s);
    ck_assert(all_zero(&s));
    scenario_free(&s);      /* twice is harmless */
}
END_TEST

START_TEST(valid_text_and_defaults)
{
    scenario_t s;
    char err[256];

    /* defaults: name from the file, no description, seed 0, 60 s */
    ck_assert_int_eq(scenario_load_text(&s, "some/dir/claim-1.json",
                                        dq(SCN("", "")), &reg, err,
                                        sizeof err), 0);
    ck_assert_str_eq(s.name, "claim-1");
    ck_assert_ptr_eq(s.description, NULL);
    ck_assert_uint_eq(s.seed, 0);
    ck_assert_uint_eq(s.timeout, SIM_S(60));
    ck_assert_uint_eq(s.n_steps, 0);
    scenario_free(&s);

    ck_assert_int_eq(scenario_load_text(&s, "noext", dq(SCN("", "")), &reg,
                                        err, sizeof err), 0);
    ck_assert_str_eq(s.name, "noext");
    scenario_free(&s);

    /* "name" wins over the file name; times may use the section's clocks */
    load_ok(&s, SCN(", 'name': 'A.b_c-9', 'seed': 0, 'timeout': '3clk@phone'",
                    "{'action': 'wait', 'for': '0s', 'at': '1.5us', "
                    "'delay': '2 ns', 'timeout': '1s'}"));
    ck_assert_str_eq(s.name, "A.b_c-9");
    ck_assert_uint_eq(s.timeout, 221238);   /* floor(3e12 / 13.56e6) */
    ck_assert_uint_eq(s.steps[0].at, 1500000);
    ck_assert_uint_eq(s.steps[0].delay, 2000);
    ck_assert_uint_eq(s.steps[0].timeout, SIM_S(1));
    scenario_free(&s);

    /* the other section; a UTF-8 byte order mark is skipped */
    ck_assert_int_eq(scenario_load_text(&s, "t.json",
        "\xEF\xBB\xBF{\"format\": \"cardsim-scenario/1\", \"card\": "
        "{\"ses\": 4}, \"timeline\": []}", &reg, err, sizeof err), 0);
    ck_assert_ptr_eq(s.section, &card_section);
    ck_assert_int_eq(scn_get_int(s.config, "ses", 0), 4);
    ck_assert_uint_eq(s.n_clocks, 0);
    scenario_free(&s);

    /* an unbounded integer takes any magnitude up to 2^53 */
    load_ok(&s, SCN("", "{'action': 'apdu', 'to': 'card', 'data': '', "
                    "'big': -9007199254740992}"));
    ck_assert_int_eq(scn_get_int(s.steps[0].json, "big", 0),
                     -9007199254740992LL);
    scenario_free(&s);
}
END_TEST

/* ---- syntax errors -------------------------------------------------------- */

START_TEST(bad_json)
{
    /* line 1: a missing comma; cJSON stops at the next key */
    ck_assert_str_eq(refused("{'format': 'cardsim-scenario/1' 'bench': {}}"),
        "t.json:1:33: invalid JSON near '\"bench\": {}}'");
    ck_assert_str_eq(refused("{'seed': tru}"),
        "t.json:1:10: invalid JSON near 'tru}'");
    /* deep inside: the column counts characters, not bytes */
    ck_assert_str_eq(refused(
        "{\n"
        "  'format': 'cardsim-scenario/1',\n"
        "  'description': 'caf\xC3\xA9',\n"
        "  'bench': {\n"
        "    'nodes': [\n"
        "      {'name': 'card'}, {'name': 'x\xC3\xA9'} {'name': 'phone'}\n"
        "    ]\n"
        "  }\n"
        "}\n"),
        "t.json:6:40: invalid JSON near '{\"name\": \"phone\"}'");
    /* a trailing comma: cJSON reads on to the end, the message shows the
     * last token */
    ck_assert_str_eq(refused("{\n  'format': 'cardsim-scenario/1',\n}\n"),
        "t.json:3:1: invalid JSON near '}' at the end of the file");
    /* a truncated file */
    ck_assert_str_eq(refused("{\n  'timeline': [\n    1,\n"),
        "t.json:3:6: invalid JSON near ',' at the end of the file");
    ck_assert_str_eq(refused(""), "t.json:1:1: invalid JSON: the file is "
                     "empty");
    ck_assert_str_eq(refused(" \n\t\n"),
        "t.json:1:1: invalid JSON: the file is empty");
    /* garbage after the value */
    ck_assert_str_eq(refused("{}\n\n  x"),
        "t.json:3:3: invalid JSON near 'x'");
    /* a long line is quoted in part; control characters are escaped */
    ck_assert_str_eq(refused("[1 2345678901234567890123456789]"),
        "t.json:1:4: invalid JSON near '23456789012345678901'");
    ck_assert_str_eq(refused("{'a': \x7F}"),
        "t.json:1:7: invalid JSON near '\\x7F}'");
}
END_TEST

START_TEST(bad_json_file)
{
    scenario_t s;
    char err[1024];
    memset(&s, 0x5A, sizeof s);
    ck_assert_int_eq(scenario_load(&s, TESTS_DIR "/scenarios/bad-syntax.json",
                                   &reg, err, sizeof err), -1);
    ck_assert(all_zero(&s));
    ck_assert_str_eq(err, TESTS_DIR "/scenarios/bad-syntax.json:6:7: "
                     "invalid JSON near '{ \"name\": \"phone\" }'");
}
END_TEST

START_TEST(nul_byte)
{
    static const char text[] = "{\"format\": \0 \"x\"}";
    scenario_t s;
    char err[256];
    FILE *f = tmpfile();
    ck_assert_ptr_ne(f, NULL);
    /* only a file can hold a NUL byte: text in memory ends at it */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(f));
    ck_assert_uint_eq(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
    fflush(f);
    memset(&s, 0x5A, sizeof s);
    ck_assert_int_eq(scenario_load(&s, path, &reg, err, sizeof err), -1);
    fclose(f);
    ck_assert(all_zero(&s));
    char want[128];
    snprintf(want, sizeof want, "%s:1:12: invalid JSON: a NUL byte", path);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(unreadable_file)
{
    scenario_t s;
    char err[1024];
    memset(&s, 0x5A, sizeof s);
    ck_assert_int_eq(scenario_load(&s, TESTS_DIR "/scenarios/missing.json",
                                   &reg, err, sizeof err), -1);
    ck_assert(all_zero(&s));
    ck_assert_str_eq(err, TESTS_DIR "/scenarios/missing.json: cannot read: "
                     "No such file or directory");
    memset(&s, 0x5A, sizeof s);
    ck_assert_int_eq(scenario_load(&s, TESTS_DIR "/scenarios", &reg, err,
                                   sizeof err), -1);
    ck_assert(all_zero(&s));
    ck_assert_str_eq(err, TESTS_DIR "/scenarios: cannot read: Is a "
                     "directory");
    /* a file that never ends */
    memset(&s, 0x5A, sizeof s);
    ck_assert_int_eq(scenario_load(&s, "/dev/zero", &reg, err, sizeof err),
                     -1);
    ck_assert(all_zero(&s));
    ck_assert_str_eq(err, "/dev/zero: cannot read: the file is larger than "
                     "64 MiB");
}
END_TEST

/* ---- the top level ---------------------------------------------------- */

START_TEST(top_level)
{
    ck_assert_str_eq(refused("[]"),
        "t.json: $: expected an object, got an array");
    ck_assert_str_eq(refused("{'bench': {}, 'timeline': []}"),
        "t.json: $: missing required key \"format\" "
        "(expected \"cardsim-scenario/1\")");
    ck_assert_str_eq(refused("{'format': 'cardsim-scenario/2'}"),
        "t.json: $.format: expected \"cardsim-scenario/1\", "
        "got \"cardsim-scenario/2\"");
    ck_assert_str_eq(refused("{'format': 1}"),
        "t.json: $.format: expected \"cardsim-scenario/1\", got number 1");
    ck_assert_str_eq(refused(SCN(", 'colour': 'red'", "")),
        "t.json: $.colour: unknown key; allowed keys: format, name, "
        "description, comment, seed, timeout, timeline, sweep, bench, card");
    ck_assert_str_eq(refused(SCN(", 'a b': 1", "")),
        "t.json: $[\"a b\"]: unknown key; allowed keys: format, name, "
        "description, comment, seed, timeout, timeline, sweep, bench, card");
    ck_assert_str_eq(refused(SCN(", 'seed': 1, 'seed': 2", "")),
        "t.json: $.seed: duplicate key (already given above)");
    ck_assert_str_eq(refused(SCN(", 'card': {'ses': 1}", "")),
        "t.json: $.card: only one configuration section is allowed, and "
        "\"bench\" is already given");
    ck_assert_str_eq(refused("{'format': 'cardsim-scenario/1', "
                             "'timeline': []}"),
        "t.json: $: missing the configuration section (one of: bench, "
        "card)");
    ck_assert_str_eq(refused("{'format': 'cardsim-scenario/1', " BENCH "}"),
        "t.json: $: missing required key \"timeline\"");
    ck_assert_str_eq(refused("{'format': 'cardsim-scenario/1', " BENCH
                             ", 'timeline': {}}"),
        "t.json: $.timeline: expected an array of steps, got an object");
    ck_assert_str_eq(refused(SCN(", 'description': 5", "")),
        "t.json: $.description: expected a string, got number 5");
    ck_assert_str_eq(refused(SCN(", 'comment': ['x']", "")),
        "t.json: $.comment: expected a string, got an array");
    ck_assert_str_eq(refused(SCN(", 'timeout': 100", "")),
        "t.json: $.timeout: expected a string with a time, e.g. \"10us\", "
        "got number 100");
    ck_assert_str_eq(refused(SCN(", 'timeout': '100'", "")),
        "t.json: $.timeout: expected a time with a unit (ps, ns, us, ms, s) "
        "or N clk@CLOCK, got \"100\"");
}
END_TEST

START_TEST(bad_names)
{
    ck_assert_str_eq(refused(SCN(", 'name': 'a/b'", "")),
        "t.json: $.name: expected a name of 1 to 100 characters from A-Z "
        "a-z 0-9 . _ -, not starting with '.' (it names the output "
        "directory), got \"a/b\"");
    ck_assert_str_eq(refused(SCN(", 'name': '.hidden'", "")),
        "t.json: $.name: expected a name of 1 to 100 characters from A-Z "
        "a-z 0-9 . _ -, not starting with '.' (it names the output "
        "directory), got \".hidden\"");
    ck_assert_str_eq(refused(SCN(", 'name': ''", "")),
        "t.json: $.name: expected a name of 1 to 100 characters from A-Z "
        "a-z 0-9 . _ -, not starting with '.' (it names the output "
        "directory), got \"\"");
    ck_assert_str_eq(refused(SCN(", 'name': '.'", "")),
        "t.json: $.name: expected a name of 1 to 100 characters from A-Z "
        "a-z 0-9 . _ -, not starting with '.' (it names the output "
        "directory), got \".\"");
    ck_assert_str_eq(refused(SCN(", 'name': 7", "")),
        "t.json: $.name: expected a string, got number 7");
    /* 101 characters */
    ck_assert_str_eq(refused(SCN(", 'name': '"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'", "")),
        "t.json: $.name: expected a name of 1 to 100 characters from A-Z "
        "a-z 0-9 . _ -, not starting with '.' (it names the output "
        "directory), got \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxx\"...");
    /* the default name must be valid too */
    ck_assert_str_eq(refused_as("dir/my scenario.json", SCN("", ""), false),
        "dir/my scenario.json: $: no \"name\" given, and the file name "
        "gives \"my scenario\", which is not a valid name (1 to 100 "
        "characters from A-Z a-z 0-9 . _ -, not starting with '.'); add a "
        "\"name\"");
}
END_TEST

START_TEST(bad_seed)
{
    scenario_t s;
    ck_assert_str_eq(refused(SCN(", 'seed': -1", "")),
        "t.json: $.seed: expected an integer from 0 to 9007199254740992, "
        "got number -1");
    ck_assert_str_eq(refused(SCN(", 'seed': 9007199254740994", "")),
        "t.json: $.seed: expected an integer from 0 to 9007199254740992, "
        "got number 9007199254740994");
    ck_assert_str_eq(refused(SCN(", 'seed': 1.5", "")),
        "t.json: $.seed: expected an integer from 0 to 9007199254740992, "
        "got number 1.5");
    ck_assert_str_eq(refused(SCN(", 'seed': '5'", "")),
        "t.json: $.seed: expected an integer from 0 to 9007199254740992, "
        "got string \"5\"");
    ck_assert_str_eq(refused(SCN(", 'seed': 1e999", "")),
        "t.json: $.seed: expected an integer from 0 to 9007199254740992, "
        "got number out of range");
    load_ok(&s, SCN(", 'seed': 1e3", ""));
    ck_assert_uint_eq(s.seed, 1000);
    scenario_free(&s);
}
END_TEST

/* ---- the section ------------------------------------------------------ */

START_TEST(section_fields)
{
    ck_assert_str_eq(refused(WITH_BENCH("[]")),
        "t.json: $.bench: expected an object, got an array");
    ck_assert_str_eq(refused(WITH_BENCH("{}")),
        "t.json: $.bench: missing required key \"nodes\"");
    ck_assert_str_eq(refused(WITH_BENCH("{'x': 1, 'nodes': []}")),
        "t.json: $.bench.x: unknown key; allowed keys: nodes, links, mode, "
        "count, verbose, key, extra, comment");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': []}")),
        "t.json: $.bench.nodes: expected at least 1 item, got 0");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}, "
        "{'name': 'b'}, {'name': 'c'}, {'name': 'd'}, {'name': 'e'}]}")),
        "t.json: $.bench.nodes: expected at most 4 items, got 5");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': 'card'}")),
        "t.json: $.bench.nodes: expected an array, got string \"card\"");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}, 5]}")),
        "t.json: $.bench.nodes[1]: expected an object, got number 5");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}, "
                                        "{'clock': '1MHz'}]}")),
        "t.json: $.bench.nodes[1]: missing required key \"name\"");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a', "
                                        "'clock': 13560000}]}")),
        "t.json: $.bench.nodes[0].clock: expected a string with a "
        "frequency, e.g. \"13.56MHz\", got number 13560000");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a', "
                                        "'clock': '13.56 mhz'}]}")),
        "t.json: $.bench.nodes[0].clock: expected a frequency unit (Hz, "
        "kHz, MHz, GHz), got \"mhz\" in \"13.56 mhz\"");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a', "
                                        "'comment': 'x'}]}")),
        "t.json: $.bench.nodes[0].comment: unknown key; allowed keys: name, "
        "clock");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
                                        "'mode': 'medium'}")),
        "t.json: $.bench.mode: expected one of \"fast\", \"slow\", "
        "got \"medium\"");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
                                        "'mode': 1}")),
        "t.json: $.bench.mode: expected one of \"fast\", \"slow\", "
        "got number 1");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
                                        "'count': 9}")),
        "t.json: $.bench.count: expected an integer from 1 to 8, "
        "got number 9");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
                                        "'verbose': 'yes'}")),
        "t.json: $.bench.verbose: expected true or false, got string "
        "\"yes\"");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
                                        "'verbose': null}")),
        "t.json: $.bench.verbose: expected true or false, got null");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
                                        "'key': '01 02 03 04 05'}")),
        "t.json: $.bench.key: expected at most 4 hex bytes, got 5 (bytes "
        "from offset 4 do not fit)");
}
END_TEST

START_TEST(section_check)
{
    /* the section's own check() */
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}, "
                                        "{'name': 'a'}]}")),
        "t.json: $.bench.nodes[1].name: duplicate node name \"a\"");
    /* nodes and clocks it declares are usable in the section itself;
     * references are checked after it ran, with the path to the value */
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}, "
        "{'name': 'b', 'clock': '1MHz'}], 'links': [{'from': 'a', 'to': 'b',"
        " 'latency': '2clk@b'}, {'from': 'b', 'to': 'a', "
        "'latency': '2clk@c'}]}")),
        "t.json: $.bench.links[1].latency: expected a declared clock, got "
        "unknown clock \"c\" in \"2clk@c\" (declared clocks: contact, b)");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
        "'links': [{'from': 'a', 'to': 'nobody'}]}")),
        "t.json: $.bench.links[0].to: expected a declared node (one of: a), "
        "got \"nobody\"");
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
        "'links': [{'from': 'a', 'to': 5}]}")),
        "t.json: $.bench.links[0].to: expected a string naming a node, got "
        "number 5");
    /* syntax errors in times are found before check() runs */
    ck_assert_str_eq(refused(WITH_BENCH("{'nodes': [{'name': 'a'}], "
        "'links': [{'from': 'a', 'to': 'a', 'latency': '5'}]}")),
        "t.json: $.bench.links[0].latency: expected a time with a unit (ps, "
        "ns, us, ms, s) or N clk@CLOCK, got \"5\"");
    /* a section that declares no clock */
    ck_assert_str_eq(refused("{'format': 'cardsim-scenario/1', 'card': "
                             "{'ses': 1, 'boot': '5clk@contact'}, "
                             "'timeline': []}"),
        "t.json: $.card.boot: expected a declared clock, got unknown clock "
        "\"contact\" in \"5clk@contact\" (no clocks are declared)");
    ck_assert_str_eq(refused("{'format': 'cardsim-scenario/1', 'card': "
                             "{'ses': 0}, 'timeline': []}"),
        "t.json: $.card.ses: expected an integer from 1 to 4, got number 0");
}
END_TEST

START_TEST(section_check_messages)
{
    scenario_t s;
    char err[256];
    memset(&s, 0x5A, sizeof s);
    ck_assert_int_eq(scenario_load_text(&s, "q.json", dq("{'format': "
        "'cardsim-scenario/1', 'quiet': {}, 'timeline': []}"), &quiet_reg,
        err, sizeof err), -1);
    ck_assert(all_zero(&s));
    ck_assert_str_eq(err, "q.json: $.quiet: invalid (its check gave no "
                     "reason)");
    ck_assert_int_eq(scenario_load_text(&s, "q.json", dq("{'format': "
        "'cardsim-scenario/1', 'quiet': {'say': 'no'}, 'timeline': []}"),
        &quiet_reg, err, sizeof err), -1);
    ck_assert(all_zero(&s));
    ck_assert_str_eq(err, "q.json: said no");
}
END_TEST

/* ---- the timeline --------------------------------------------------------- */

START_TEST(steps)
{
    STEP_ERR("'wait'",
        "$.timeline[0]: expected an object with an \"action\", got string "
        "\"wait\"");
    STEP_ERR("{'for': '1us'}",
        "$.timeline[0]: missing required key \"action\"");
    STEP_ERR("{'action': 5}",
        "$.timeline[0].action: expected a string naming an action, got "
        "number 5");
    STEP_ERR("{'action': 'pnig'}",
        "$.timeline[0].action: unknown action \"pnig\"; known actions: "
        "wait, ping, apdu, mute");
    STEP_ERR("{'action': 'wait'}",
        "$.timeline[0]: missing required key \"for\"");
    STEP_ERR("{'action': 'wait', 'for': '1us', 'colour': 'red'}",
        "$.timeline[0].colour: unknown key; allowed keys: action, name, at, "
        "delay, timeout, comment, for");
    STEP_ERR("{'action': 'wait', 'for': '1us', 'for': '2us'}",
        "$.timeline[0].for: duplicate key (already given above)");
    STEP_ERR("{'action': 'wait', 'for': '1us', 'name': 3}",
        "$.timeline[0].name: expected a string, got number 3");
    STEP_ERR("{'action': 'wait', 'for': '1us', 'comment': false}",
        "$.timeline[0].comment: expected a string, got false");
    /* the path names the failing step, not the first */
    STEP_ERR("{'action': 'wait', 'for': '1us'}, "
             "{'action': 'wait', 'for': '1us'}, "
             "{'action': 'wait', 'for': '1us'}, "
             "{'action': 'ping', 'to': 'card', 'count': 11}",
        "$.timeline[3].count: expected an integer from 1 to 10, got number "
        "11");
    /* the action's check(), with and without a message */
    STEP_ERR("{'action': 'apdu', 'to': 'card', 'data': '', "
             "'strict': true, 'expect': 'error'}",
        "$.timeline[0]: \"strict\" needs \"expect\": \"ok\"");
    STEP_ERR("{'action': 'mute'}",
        "$.timeline[0]: invalid (the check of action \"mute\" gave no "
        "reason)");
}
END_TEST

START_TEST(step_times)
{
    STEP_ERR("{'action': 'wait', 'for': 5}",
        "$.timeline[0].for: expected a string with a time, e.g. \"10us\", "
        "got number 5");
    STEP_ERR("{'action': 'wait', 'for': -5}",
        "$.timeline[0].for: expected a string with a time, e.g. \"10us\", "
        "got number -5");
    STEP_ERR("{'action': 'wait', 'for': '100'}",
        "$.timeline[0].for: expected a time with a unit (ps, ns, us, ms, s) "
        "or N clk@CLOCK, got \"100\"");
    STEP_ERR("{'action': 'wait', 'for': '-5us'}",
        "$.timeline[0].for: expected a non-negative time, got \"-5us\"");
    STEP_ERR("{'action': 'wait', 'for': '5 min'}",
        "$.timeline[0].for: expected a time unit (ps, ns, us, ms, s) or "
        "clk@CLOCK, got \"min\" in \"5 min\"");
    STEP_ERR("{'action': 'wait', 'for': '0.000001ps'}",
        "$.timeline[0].for: expected a time in whole picoseconds, got "
        "\"0.000001ps\" (finer than 1 ps)");
    STEP_ERR("{'action': 'wait', 'for': '18446745s'}",
        "$.timeline[0].for: expected a time of at most 18446744073709551615 "
        "ps (about 213 days), got \"18446745s\"");
    STEP_ERR("{'action': 'wait', 'for': '10clk@mcu'}",
        "$.timeline[0].for: expected a declared clock, got unknown clock "
        "\"mcu\" in \"10clk@mcu\" (declared clocks: contact, phone)");
    STEP_ERR("{'action': 'wait', 'for': '1us', 'at': -1}",
        "$.timeline[0].at: expected a string with a time, e.g. \"10us\", "
        "got number -1");
    STEP_ERR("{'action': 'wait', 'for': '1us', 'delay': '-1ns'}",
        "$.timeline[0].delay: expected a non-negative time, got \"-1ns\"");
    STEP_ERR("{'action': 'wait', 'for': '1us', 'timeout': true}",
        "$.timeline[0].timeout: expected a string with a time, e.g. "
        "\"10us\", got true");
}
END_TEST

#define APDU(extra) "{'action': 'apdu', 'to': 'card', 'data': '00'" extra "}"

START_TEST(step_field_types)
{
    STEP_ERR(APDU(", 'note': 5"),
        "$.timeline[0].note: expected a string, got number 5");
    STEP_ERR(APDU(", 'expect': 'maybe'"),
        "$.timeline[0].expect: expected one of \"ok\", \"error\", got "
        "\"maybe\"");
    STEP_ERR(APDU(", 'expect': ['ok']"),
        "$.timeline[0].expect: expected one of \"ok\", \"error\", got an "
        "array");
    STEP_ERR(APDU(", 'big': 1.5"),
        "$.timeline[0].big: expected an integer, got number 1.5");
    STEP_ERR(APDU(", 'big': 9007199254740994"),
        "$.timeline[0].big: expected an integer, got number "
        "9007199254740994");
    STEP_ERR(APDU(", 'big': '3'"),
        "$.timeline[0].big: expected an integer, got string \"3\"");
    STEP_ERR(APDU(", 'strict': 1"),
        "$.timeline[0].strict: expected true or false, got number 1");
    STEP_ERR(APDU(", 'freq': 16000000"),
        "$.timeline[0].freq: expected a string with a frequency, e.g. "
        "\"13.56MHz\", got number 16000000");
    STEP_ERR(APDU(", 'freq': '0Hz'"),
        "$.timeline[0].freq: expected a frequency above 0 Hz, got \"0Hz\"");
    STEP_ERR(APDU(", 'opts': []"),
        "$.timeline[0].opts: expected an object, got an array");
    STEP_ERR(APDU(", 'opts': {}"),
        "$.timeline[0].opts: missing required key \"retries\"");
    STEP_ERR(APDU(", 'opts': {'retries': 4}"),
        "$.timeline[0].opts.retries: expected an integer from 0 to 3, got "
        "number 4");
    STEP_ERR(APDU(", 'opts': {'retries': 1, 'extra': 1}"),
        "$.timeline[0].opts.extra: unknown key; allowed keys: retries");
    STEP_ERR(APDU(", 'sizes': {}"),
        "$.timeline[0].sizes: expected an array, got an object");
    STEP_ERR(APDU(", 'sizes': [1, 2, 3, 4]"),
        "$.timeline[0].sizes: expected at most 3 items, got 4");
    STEP_ERR(APDU(", 'sizes': [1, 256]"),
        "$.timeline[0].sizes[1]: expected an integer from 0 to 255, got "
        "number 256");
    STEP_ERR("{'action': 'apdu', 'to': 'nobody', 'data': '00'}",
        "$.timeline[0].to: expected a declared node (one of: card, phone), "
        "got \"nobody\"");
    STEP_ERR("{'action': 'apdu', 'to': 5, 'data': '00'}",
        "$.timeline[0].to: expected a string naming a node, got number 5");
    STEP_ERR("{'action': 'apdu', 'to': 'card', 'data': 0}",
        "$.timeline[0].data: expected a string of hex bytes, e.g. \"00 A4 "
        "04 00\", got number 0");
    STEP_ERR("{'action': 'apdu', 'to': 'card', 'data': '00 A4 G4'}",
        "$.timeline[0].data: expected hex bytes such as \"00 A4 04 00\", "
        "got 'G' at byte offset 2 of \"00 A4 G4\"");
    STEP_ERR("{'action': 'apdu', 'to': 'card', 'data': '00 A'}",
        "$.timeline[0].data: expected hex bytes such as \"00 A4 04 00\" "
        "(two digits each), got a lone digit at byte offset 1 of \"00 A\"");
    STEP_ERR("{'action': 'apdu', 'to': 'card', "
             "'data': '00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10'}",
        "$.timeline[0].data: expected at most 16 hex bytes, got 17 (bytes "
        "from offset 16 do not fit)");
    STEP_ERR("{'action': 'ping', 'to': 'card', 'payload': ''}",
        "$.timeline[0].payload: expected at least 1 hex byte, got 0");
    STEP_ERR("{'action': 'apdu', 'to': 'card'}",
        "$.timeline[0]: missing required key \"data\"");
}
END_TEST

Suite *make_scenario_load_suite(void)
{
    Suite *s = suite_create("scenario_load");
    TCase *tc = tcase_create("scenario_load");
    tcase_add_test(tc, valid_file);
    tcase_add_test(tc, valid_text_and_defaults);
    tcase_add_test(tc, bad_json);
    tcase_add_test(tc, bad_json_file);
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, unreadable_file);
    tcase_add_test(tc, top_level);
    tcase_add_test(tc, bad_names);
    tcase_add_test(tc, bad_seed);
    tcase_add_test(tc, section_fields);
    tcase_add_test(tc, section_check);
    tcase_add_test(tc, section_check_messages);
    tcase_add_test(tc, steps);
    tcase_add_test(tc, step_times);
    tcase_add_test(tc, step_field_types);
    suite_add_tcase(s, tc);
    return s;
}
