/* SPDX-License-Identifier: MIT */
/* sim/scenario_load.c - reads a scenario file and validates all of it
 * against the registry's tables before anything runs. */
#include "sim/scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"
#include "sim/units.h"

/* Scenario files are small; this only stops a wrong path (a device, a
 * huge log) from eating memory. */
#define MAX_FILE_SIZE (64u << 20)
#define NAME_MAX_LEN 100
#define PATH_LEN 512
#define LIST_LEN 512
#define MSG_LEN 1024
/* describe(): "string " and a quoted string */
#define DESC_LEN (UNITS_QUOTE_LEN + 16)
/* Integers beyond 2^53 are not exact in cJSON's doubles. */
#define EXACT_INT_MAX 9007199254740992LL

struct scn_ctx {
    scenario_t *s;
    const scn_registry_t *reg;
    char *err;
    size_t errlen;
    bool failed;
    /* First walk over the section: its check() has not declared clocks
     * and nodes yet, so references to them are checked in a second walk. */
    bool defer;
    /* Set by the clock lookup when a time named an undeclared clock. */
    bool clock_miss;
};

static const scn_field_t common_step_fields[] = {
    { .key = "action", .type = SCN_T_STRING, .required = true,
      .help = "the action to run" },
    { .key = "name", .type = SCN_T_STRING, .help = "a label for reports" },
    { .key = "at", .type = SCN_T_TIME, .help = "earliest start" },
    { .key = "delay", .type = SCN_T_TIME,
      .help = "wait after the previous step completed" },
    { .key = "timeout", .type = SCN_T_TIME,
      .help = "fail if not completed after this long" },
    { .key = "comment", .type = SCN_T_STRING, .help = "ignored" },
    { .key = NULL },
};

static const scn_field_t seed_field = {
    .key = "seed", .type = SCN_T_INT, .min = 0, .max = EXACT_INT_MAX,
};
static const scn_field_t string_field = { .type = SCN_T_STRING };

/* "sweep": what `cardsim sweep` cuts and how the card must recover */
static const scn_field_t sweep_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = 7, .help = "the SE whose flash operations are cut" },
    { .key = "during", .type = SCN_T_STRING,
      .help = "only the operations while this timeline step (its name) "
              "runs (default: every operation of the run)" },
    { .key = "points", .type = SCN_T_INT, .min = 1, .max = 16,
      .help = "cuts per operation: at fractions 0, 1/N, ... (N-1)/N of "
              "its duration; 0 is its start, before it changes anything "
              "(default 3)" },
    { .key = "recovery", .type = SCN_T_ANY, .required = true,
      .help = "the steps run after each cut, from the instant the SE's "
              "supply is back: they carry the invariants" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};
static const scn_field_t sweep_field = { .type = SCN_T_OBJECT,
                                         .fields = sweep_fields };
static const scn_field_t time_field = { .type = SCN_T_TIME };

/* The fixed top-level keys; the registry's section keys are added. */
static const char *const top_keys[] = {
    "format", "name", "description", "comment", "seed", "timeout",
    "timeline", "sweep", NULL,
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        sim_fatal_plain("scenario: out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

/* Appends to a fixed buffer, ending it with "..." when it is full, so
 * long lists stay readable and bounded. */
static void list_add(char *buf, size_t len, const char *item)
{
    size_t used = strlen(buf);
    size_t need = strlen(item) + (used ? 2 : 0);
    if (used >= 3 && strcmp(buf + used - 3, "...") == 0)
        return;
    /* Room is always left for a final ", ..." and the terminator. */
    if (used + need + 6 > len) {
        snprintf(buf + used, len - used, "%s...", used ? ", " : "");
        return;
    }
    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", item);
}

static bool is_ident(const char *k)
{
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
        return false;
    for (k++; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')
              || (*k >= '0' && *k <= '9') || *k == '_'))
            return false;
    return true;
}

static void path_key(char *dst, size_t len, const char *parent,
                     const char *key)
{
    char q[UNITS_QUOTE_LEN];
    if (is_ident(key))
        snprintf(dst, len, "%s.%s", parent, key);
    else
        snprintf(dst, len, "%s[%s]", parent, units_quote(q, sizeof q, key));
}

static void path_index(char *dst, size_t len, const char *parent, size_t i)
{
    snprintf(dst, len, "%s[%zu]", parent, i);
}

/* The shortest "%g" that reads back as the same double, so the number
 * quoted in a message looks like the one in the file. */
static void fmt_number(char *buf, size_t len, double d)
{
    if (!(d - d == 0)) {        /* inf or nan: 1e999 in the file */
        snprintf(buf, len, "out of range");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* What a JSON value is, for "got ..." in messages. */
static const char *describe(char *buf, size_t len, const cJSON *v)
{
    char tmp[UNITS_QUOTE_LEN], num[40];
    if (cJSON_IsString(v)) {
        snprintf(buf, len, "string %s",
                 units_quote(tmp, sizeof tmp, v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        fmt_number(num, sizeof num, v->valuedouble);
        snprintf(buf, len, "number %s", num);
    } else if (cJSON_IsTrue(v)) {
        snprintf(buf, len, "true");
    } else if (cJSON_IsFalse(v)) {
        snprintf(buf, len, "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, len, "null");
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, len, "an object");
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, len, "an array");
    } else {
        snprintf(buf, len, "an invalid value");
    }
    return buf;
}

bool scn_error(scn_ctx_t *c, const char *path, const char *fmt, ...)
{
    char msg[MSG_LEN];
    va_list ap;

    /* The first error is the one to fix; later ones may follow from it. */
    if (c->failed)
        return false;
    c->failed = true;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err && c->errlen) {
        if (path && *path)
            snprintf(c->err, c->errlen, "%s: %s: %s", c->s->file, path, msg);
        else
            snprintf(c->err, c->errlen, "%s: %s", c->s->file, msg);
    }
    return false;
}

static bool type_error(scn_ctx_t *c, const char *path, const char *expected,
                       const cJSON *v)
{
    char got[DESC_LEN];
    return scn_error(c, path, "expected %s, got %s", expected,
                     describe(got, sizeof got, v));
}

void scn_declare_clock(scn_ctx_t *c, const char *name, uint64_t hz)
{
    scenario_t *s = c->s;
    if (hz == 0)
        sim_fatal_plain("scenario: clock '%s' declared with 0 Hz", name);
    for (size_t i = 0; i < s->n_clocks; i++) {
        if (strcmp(s->clocks[i].name, name) == 0) {
            s->clocks[i].hz = hz;
            return;
        }
    }
    s->clocks = xrealloc(s->clocks, (s->n_clocks + 1) * sizeof *s->clocks);
    s->clocks[s->n_clocks].name = xstrdup(name);
    s->clocks[s->n_clocks].hz = hz;
    s->n_clocks++;
}

void scn_declare_node(scn_ctx_t *c, const char *name)
{
    scenario_t *s = c->s;
    if (scn_node_declared(c, name))
        return;
    s->nodes = xrealloc(s->nodes, (s->n_nodes + 1) * sizeof *s->nodes);
    s->nodes[s->n_nodes++] = xstrdup(name);
}

bool scn_node_declared(const scn_ctx_t *c, const char *name)
{
    for (size_t i = 0; i < c->s->n_nodes; i++)
        if (strcmp(c->s->nodes[i], name) == 0)
            return true;
    return false;
}

const scenario_t *scn_ctx_scenario(const scn_ctx_t *c)
{
    return c->s;
}

static uint64_t scenario_clock(const scenario_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_clocks; i++)
        if (strcmp(s->clocks[i].name, name) == 0)
            return s->clocks[i].hz;
    return 0;
}

static uint64_t lookup_getter(void *ctx, const char *name)
{
    return scenario_clock(ctx, name);
}

static uint64_t lookup_ctx(void *ctx, const char *name)
{
    scn_ctx_t *c = ctx;
    uint64_t hz = scenario_clock(c->s, name);
    if (hz == 0)
        c->clock_miss = true;
    return hz;
}

/* Parses a time with the clocks declared so far. */
static int ctx_parse_time(scn_ctx_t *c, const char *str, sim_time_t *out,
                          char *msg, size_t len)
{
    c->clock_miss = false;
    return units_parse_time(str, out, lookup_ctx, c, msg, len);
}

static bool check_time(scn_ctx_t *c, const cJSON *v, const char *path)
{
    char msg[MSG_LEN], names[LIST_LEN] = "";
    sim_time_t t;

    if (!cJSON_IsString(v))
        return type_error(c, path, "a string with a time, e.g. \"10us\"", v);
    if (ctx_parse_time(c, v->valuestring, &t, msg, sizeof msg) == 0)
        return true;
    if (!c->clock_miss)
        return scn_error(c, path, "expected %s", msg);
    if (c->defer)
        return true;
    for (size_t i = 0; i < c->s->n_clocks; i++)
        list_add(names, sizeof names, c->s->clocks[i].name);
    if (!*names)
        return scn_error(c, path, "expected %s (no clocks are declared)",
                         msg);
    return scn_error(c, path, "expected %s (declared clocks: %s)", msg,
                     names);
}

static bool check_int(scn_ctx_t *c, const scn_field_t *f, const cJSON *v,
                      const char *path)
{
    char expected[128];
    int64_t min = f->min, max = f->max;

    if (min == 0 && max == 0) {
        min = -EXACT_INT_MAX;
        max = EXACT_INT_MAX;
        snprintf(expected, sizeof expected, "an integer");
    } else {
        snprintf(expected, sizeof expected, "an integer from %lld to %lld",
                 (long long)min, (long long)max);
    }
    if (!cJSON_IsNumber(v))
        return type_error(c, path, expected, v);
    double d = v->valuedouble;
    /* The bounds are 2^63, exact in a double; outside them (or NaN) the
     * cast to int64_t would be undefined. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return type_error(c, path, expected, v);
    int64_t i = (int64_t)d;
    if ((double)i != d || i < min || i > max)
        return type_error(c, path, expected, v);
    return true;
}

static bool check_enum(scn_ctx_t *c, const scn_field_t *f, const cJSON *v,
                       const char *path)
{
    char expected[LIST_LEN] = "", q[UNITS_QUOTE_LEN], got[DESC_LEN];
    const char *const *ch;

    if (cJSON_IsString(v) && f->choices)
        for (ch = f->choices; *ch; ch++)
            if (strcmp(*ch, v->valuestring) == 0)
                return true;
    for (ch = f->choices; ch && *ch; ch++)
        list_add(expected, sizeof expected, units_quote(q, sizeof q, *ch));
    if (cJSON_IsString(v))
        return scn_error(c, path, "expected one of %s, got %s", expected,
                         units_quote(got, sizeof got, v->valuestring));
    return scn_error(c, path, "expected one of %s, got %s", expected,
                     describe(got, sizeof got, v));
}

static bool check_node(scn_ctx_t *c, const cJSON *v, const char *path)
{
    char names[LIST_LEN] = "", q[UNITS_QUOTE_LEN];

    if (!cJSON_IsString(v))
        return type_error(c, path, "a string naming a node", v);
    if (c->defer || scn_node_declared(c, v->valuestring))
        return true;
    units_quote(q, sizeof q, v->valuestring);
    for (size_t i = 0; i < c->s->n_nodes; i++)
        list_add(names, sizeof names, c->s->nodes[i]);
    if (!*names)
        return scn_error(c, path, "expected a declared node, got %s (no "
                         "nodes are declared)", q);
    return scn_error(c, path, "expected a declared node (one of: %s), got %s",
                     names, q);
}

static bool check_hex(scn_ctx_t *c, const scn_field_t *f, const cJSON *v,
                      const char *path)
{
    char msg[MSG_LEN];
    size_t n;

    if (!cJSON_IsString(v))
        return type_error(c, path,
                          "a string of hex bytes, e.g. \"00 A4 04 00\"", v);
    if (units_parse_hex(v->valuestring, NULL,
                        f->max > 0 ? (size_t)f->max : SIZE_MAX, &n, msg,
                        sizeof msg) != 0)
        return scn_error(c, path, "expected %s", msg);
    if (f->min > 0 && n < (uint64_t)f->min)
        return scn_error(c, path, "expected at least %lld hex byte%s, got %zu",
                         (long long)f->min, f->min == 1 ? "" : "s", n);
    return true;
}

static bool check_object(scn_ctx_t *c, const scn_field_t *const *lists,
                         size_t n_lists, const cJSON *obj, const char *path);

static bool check_value(scn_ctx_t *c, const scn_field_t *f, const cJSON *v,
                        const char *path)
{
    char msg[MSG_LEN], sub[PATH_LEN];
    uint64_t hz;

    switch (f->type) {
    case SCN_T_STRING:
        if (!cJSON_IsString(v))
            return type_error(c, path, "a string", v);
        return true;
    case SCN_T_ENUM:
        return check_enum(c, f, v, path);
    case SCN_T_INT:
        return check_int(c, f, v, path);
    case SCN_T_BOOL:
        if (!cJSON_IsBool(v))
            return type_error(c, path, "true or false", v);
        return true;
    case SCN_T_TIME:
        return check_time(c, v, path);
    case SCN_T_FREQ:
        if (!cJSON_IsString(v))
            return type_error(c, path,
                              "a string with a frequency, e.g. \"13.56MHz\"",
                              v);
        if (units_parse_freq(v->valuestring, &hz, msg, sizeof msg) != 0)
            return scn_error(c, path, "expected %s", msg);
        return true;
    case SCN_T_HEX:
        return check_hex(c, f, v, path);
    case SCN_T_OBJECT:
        if (!cJSON_IsObject(v))
            return type_error(c, path, "an object", v);
        return check_object(c, &f->fields, 1, v, path);
    case SCN_T_ARRAY: {
        if (!cJSON_IsArray(v))
            return type_error(c, path, "an array", v);
        size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
        if (f->max > 0 && n > (uint64_t)f->max)
            return scn_error(c, path, "expected at most %lld item%s, got %zu",
                             (long long)f->max, f->max == 1 ? "" : "s", n);
        if (f->min > 0 && n < (uint64_t)f->min)
            return scn_error(c, path, "expected at least %lld item%s, got %zu",
                             (long long)f->min, f->min == 1 ? "" : "s", n);
        if (!f->item)
            return true;
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            path_index(sub, sizeof sub, path, i);
            if (!check_value(c, f->item, e, sub))
                return false;
        }
        return true;
    }
    case SCN_T_NODE:
        return check_node(c, v, path);
    case SCN_T_ANY:
        return true;
    }
    return scn_error(c, path, "field has an unknown type %d in its table",
                     (int)f->type);
}

static const scn_field_t *find_field(const scn_field_t *const *lists,
                                     size_t n_lists, const char *key)
{
    for (size_t l = 0; l < n_lists; l++)
        for (const scn_field_t *f = lists[l]; f && f->key; f++)
            if (strcmp(f->key, key) == 0)
                return f;
    return NULL;
}

/* Reports a key given twice: cJSON keeps both and readers would see only
 * the first, silently ignoring the second. */
static bool check_duplicate(scn_ctx_t *c, const cJSON *obj,
                            const cJSON *item, const char *path)
{
    for (const cJSON *e = obj->child; e != item; e = e->next)
        if (strcmp(e->string, item->string) == 0)
            return scn_error(c, path, "duplicate key (already given above)");
    return true;
}

/* Walks obj: every key must be in one of the field lists, with a value of
 * the right type; every required key must be present. */
static bool check_object(scn_ctx_t *c, const scn_field_t *const *lists,
                         size_t n_lists, const cJSON *obj, const char *path)
{
    char sub[PATH_LEN], allowed[LIST_LEN] = "";

    for (const cJSON *e = obj->child; e; e = e->next) {
        path_key(sub, sizeof sub, path, e->string);
        if (!check_duplicate(c, obj, e, sub))
            return false;
        const scn_field_t *f = find_field(lists, n_lists, e->string);
        if (!f) {
            for (size_t l = 0; l < n_lists; l++)
                for (const scn_field_t *g = lists[l]; g && g->key; g++)
                    list_add(allowed, sizeof allowed, g->key);
            if (!*allowed)
                return scn_error(c, sub, "unknown key; this object takes "
                                 "no keys");
            return scn_error(c, sub, "unknown key; allowed keys: %s",
                             allowed);
        }
        if (!check_value(c, f, e, sub))
            return false;
    }
    for (size_t l = 0; l < n_lists; l++)
        for (const scn_field_t *f = lists[l]; f && f->key; f++)
            if (f->required
                && !cJSON_GetObjectItemCaseSensitive(obj, f->key))
                return scn_error(c, path, "missing required key \"%s\"",
                                 f->key);
    return true;
}

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > NAME_MAX_LEN || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_'
              || *p == '-'))
            return false;
    return true;
}

#define NAME_RULE "1 to 100 characters from A-Z a-z 0-9 . _ -, not " \
                  "starting with '.'"

static bool check_name(scn_ctx_t *c, const cJSON *v)
{
    scenario_t *s = c->s;
    char q[UNITS_QUOTE_LEN];

    if (v) {
        if (!cJSON_IsString(v))
            return type_error(c, "$.name", "a string", v);
        if (!valid_name(v->valuestring))
            return scn_error(c, "$.name", "expected a name of " NAME_RULE
                             " (it names the output directory), got %s",
                             units_quote(q, sizeof q, v->valuestring));
        s->name = v->valuestring;
        return true;
    }
    /* The default is the file's base name without ".json". */
    const char *base = strrchr(s->file, '/');
    base = base ? base + 1 : s->file;
    size_t n = strlen(base);
    if (n >= 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    if (n >= sizeof s->name_buf)
        n = sizeof s->name_buf - 1;
    memcpy(s->name_buf, base, n);
    s->name_buf[n] = '\0';
    if (!valid_name(s->name_buf))
        return scn_error(c, "$", "no \"name\" given, and the file name "
                         "gives %s, which is not a valid name (" NAME_RULE
                         "); add a \"name\"",
                         units_quote(q, sizeof q, s->name_buf));
    s->name = s->name_buf;
    return true;
}

static bool is_top_key(const char *key)
{
    for (const char *const *k = top_keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

static const scn_section_def_t *find_section(const scn_registry_t *reg,
                                             const char *key)
{
    for (const scn_section_def_t *const *d = reg->sections; d && *d; d++)
        if (strcmp((*d)->key, key) == 0)
            return *d;
    return NULL;
}

const scn_action_def_t *scn_find_action(const scn_registry_t *reg,
                                        const char *name)
{
    for (const scn_action_def_t *const *const *t = reg->actions; t && *t;
         t++)
        for (const scn_action_def_t *const *a = *t; *a; a++)
            if (strcmp((*a)->name, name) == 0)
                return *a;
    return NULL;
}

static bool check_format(scn_ctx_t *c, const cJSON *root)
{
    char got[DESC_LEN];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "format");

    if (!v)
        return scn_error(c, "$", "missing required key \"format\" (expected "
                         "\"" SCN_FORMAT "\")");
    if (!cJSON_IsString(v))
        return type_error(c, "$.format", "\"" SCN_FORMAT "\"", v);
    if (strcmp(v->valuestring, SCN_FORMAT) != 0)
        return scn_error(c, "$.format", "expected \"" SCN_FORMAT "\", got %s",
                         units_quote(got, sizeof got, v->valuestring));
    return true;
}

/* Checks the top-level keys; finds the one section. */
static bool check_top_keys(scn_ctx_t *c, const cJSON *root,
                           const cJSON **section_json,
                           const scn_section_def_t **section)
{
    char sub[PATH_LEN], allowed[LIST_LEN] = "";

    *section_json = NULL;
    *section = NULL;
    for (const cJSON *e = root->child; e; e = e->next) {
        path_key(sub, sizeof sub, "$", e->string);
        if (!check_duplicate(c, root, e, sub))
            return false;
        if (is_top_key(e->string))
            continue;
        const scn_section_def_t *d = find_section(c->reg, e->string);
        if (d) {
            if (*section)
                return scn_error(c, sub, "only one configuration section "
                                 "is allowed, and \"%s\" is already given",
                                 (*section)->key);
            *section = d;
            *section_json = e;
            continue;
        }
        for (const char *const *k = top_keys; *k; k++)
            list_add(allowed, sizeof allowed, *k);
        for (const scn_section_def_t *const *s = c->reg->sections; s && *s;
             s++)
            list_add(allowed, sizeof allowed, (*s)->key);
        return scn_error(c, sub, "unknown key; allowed keys: %s", allowed);
    }
    if (!*section) {
        for (const scn_section_def_t *const *s = c->reg->sections; s && *s;
             s++)
            list_add(allowed, sizeof allowed, (*s)->key);
        return scn_error(c, "$", "missing the configuration section (one "
                         "of: %s)", allowed);
    }
    return true;
}

static bool check_section(scn_ctx_t *c, const scn_section_def_t *def,
                          const cJSON *v)
{
    char path[PATH_LEN];
    const scn_field_t f = { .key = def->key, .type = SCN_T_OBJECT,
                            .fields = def->fields };

    path_key(path, sizeof path, "$", def->key);
    c->defer = true;
    bool ok = check_value(c, &f, v, path);
    c->defer = false;
    if (!ok)
        return false;
    if (def->check) {
        ok = def->check(c, v, path);
        if (!c->failed && !ok)
            return scn_error(c, path, "invalid (its check gave no reason)");
        if (c->failed)
            return false;
    }
    /* Now that check() declared the clocks and nodes, the references to
     * them deferred above are checked. */
    return check_value(c, &f, v, path);
}

static sim_time_t get_time(scn_ctx_t *c, const cJSON *obj, const char *key,
                           sim_time_t dflt)
{
    char msg[8];
    sim_time_t t;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v)
        || ctx_parse_time(c, v->valuestring, &t, msg, sizeof msg) != 0)
        return dflt;
    return t;
}

static bool check_step(scn_ctx_t *c, const cJSON *v, const char *list,
                       size_t index, scn_step_t *step)
{
    char path[PATH_LEN], sub[PATH_LEN], known[LIST_LEN] = "";
    char q[UNITS_QUOTE_LEN];

    path_index(path, sizeof path, list, index);
    if (!cJSON_IsObject(v))
        return type_error(c, path, "an object with an \"action\"", v);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "action");
    if (!a)
        return scn_error(c, path, "missing required key \"action\"");
    path_key(sub, sizeof sub, path, "action");
    if (!cJSON_IsString(a))
        return type_error(c, sub, "a string naming an action", a);
    const scn_action_def_t *def = scn_find_action(c->reg, a->valuestring);
    if (!def) {
        for (const scn_action_def_t *const *const *t = c->reg->actions;
             t && *t; t++)
            for (const scn_action_def_t *const *d = *t; *d; d++)
                list_add(known, sizeof known, (*d)->name);
        return scn_error(c, sub, "unknown action %s; known actions: %s",
                         units_quote(q, sizeof q, a->valuestring), known);
    }
    const scn_field_t *lists[2] = { common_step_fields, def->fields };
    if (!check_object(c, lists, 2, v, path))
        return false;
    if (def->check) {
        bool ok = def->check(c, v, path);
        if (!c->failed && !ok)
            return scn_error(c, path, "invalid (the check of action \"%s\" "
                             "gave no reason)", def->name);
        if (c->failed)
            return false;
    }
    step->index = index;
    path_index(step->path, sizeof step->path, list, index);
    step->label = scn_get_string(v, "name", NULL);
    step->def = def;
    step->json = v;
    step->at = get_time(c, v, "at", SIM_NEVER);
    step->delay = get_time(c, v, "delay", 0);
    step->timeout = get_time(c, v, "timeout", SIM_NEVER);
    return true;
}

/* The order matters: format first (another version may have other keys),
 * the section before any time (its check declares the clocks), the
 * timeline last. */
static bool validate(scn_ctx_t *c)
{
    scenario_t *s = c->s;
    const cJSON *root = s->root, *v, *section_json;
    const scn_section_def_t *section;

    if (!cJSON_IsObject(root))
        return type_error(c, "$", "an object", root);
    if (!check_format(c, root) || !check_top_keys(c, root, &section_json,
                                                  &section))
        return false;
    if (!check_name(c, cJSON_GetObjectItemCaseSensitive(root, "name")))
        return false;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "description"))) {
        if (!check_value(c, &string_field, v, "$.description"))
            return false;
        s->description = v->valuestring;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "comment"))
        && !check_value(c, &string_field, v, "$.comment"))
        return false;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "seed"))) {
        if (!check_value(c, &seed_field, v, "$.seed"))
            return false;
        s->seed = (uint64_t)v->valuedouble;
    }
    s->section = section;
    s->config = section_json;
    if (!check_section(c, section, section_json))
        return false;
    s->timeout = SCN_DEFAULT_TIMEOUT;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "timeout"))) {
        if (!check_value(c, &time_field, v, "$.timeout"))
            return false;
        s->timeout = get_time(c, root, "timeout", SCN_DEFAULT_TIMEOUT);
    }
    v = cJSON_GetObjectItemCaseSensitive(root, "timeline");
    if (!v)
        return scn_error(c, "$", "missing required key \"timeline\"");
    if (!cJSON_IsArray(v))
        return type_error(c, "$.timeline", "an array of steps", v);
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(root, "sweep");
    const cJSON *rec = NULL;
    if (sw) {
        if (!check_value(c, &sweep_field, sw, "$.sweep"))
            return false;
        rec = cJSON_GetObjectItemCaseSensitive(sw, "recovery");
        if (!cJSON_IsArray(rec) || cJSON_GetArraySize(rec) == 0)
            return type_error(c, "$.sweep.recovery",
                              "a non-empty array of steps", rec);
        s->sweep = sw;
    }
    size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
    size_t nr = rec ? (size_t)cJSON_GetArraySize(rec) : 0;
    s->steps = xrealloc(NULL, (n + nr) * sizeof *s->steps);
    memset(s->steps, 0, (n + nr) * sizeof *s->steps);
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        if (!check_step(c, e, "$.timeline", i, &s->steps[i]))
            return false;
        s->n_steps = i + 1;
    }
    i = 0;
    for (const cJSON *e = rec ? rec->child : NULL; e; e = e->next, i++) {
        if (!check_step(c, e, "$.sweep.recovery", i, &s->steps[n + i]))
            return false;
        s->n_recovery = i + 1;
    }
    const char *during = sw ? scn_get_string(sw, "during", NULL) : NULL;
    if (during) {
        bool found = false;
        for (size_t k = 0; k < n; k++)
            found |= s->steps[k].label && strcmp(s->steps[k].label,
                                                 during) == 0;
        if (!found)
            return scn_error(c, "$.sweep.during", "no timeline step is "
                             "named \"%s\"", during);
    }
    return true;
}

/* Copies up to 20 bytes from p (not past a line end, not inside a UTF-8
 * character) with control characters escaped, for "near '...'". */
static void snippet(char *buf, size_t len, const char *p)
{
    size_t o = 0, used = 0;
    const unsigned char *u = (const unsigned char *)p;
    while (*u && *u != '\n' && *u != '\r' && used < 20 && o + 5 < len) {
        size_t n = 1;
        if (*u >= 0xC0)
            while (u[n] >= 0x80 && u[n] < 0xC0 && n < 4)
                n++;
        if (*u < 0x20 || *u == 0x7F) {
            o += (size_t)snprintf(buf + o, len - o, "\\x%02X", *u);
        } else {
            if (o + n + 1 > len)
                break;
            memcpy(buf + o, u, n);
            o += n;
        }
        u += n;
        used += n;
    }
    buf[o] = '\0';
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Reports a syntax error at pos (from cJSON) as FILE:LINE:COL, counting
 * columns in characters as editors do. */
static void syntax_error(scn_ctx_t *c, const char *json, size_t len,
                         const char *pos)
{
    char near[128];
    size_t line = 1, col = 1;
    bool at_end = false;

    if (!pos || pos < json || pos > json + len)
        pos = json + len;
    /* cJSON may stop on the blank before the culprit or past the last
     * token; point at the token instead. */
    while (pos < json + len && is_space(*pos))
        pos++;
    if (pos == json + len) {
        at_end = true;
        while (pos > json && is_space(pos[-1]))
            pos--;
        if (pos > json)
            pos--;
        while (pos > json && ((unsigned char)*pos & 0xC0) == 0x80)
            pos--;
    }
    for (const char *p = json; p < pos; p++) {
        if (*p == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            col++;
        }
    }
    c->failed = true;
    if (!c->err || !c->errlen)
        return;
    if (at_end && pos == json && (len == 0 || is_space(*pos))) {
        snprintf(c->err, c->errlen, "%s:%zu:%zu: invalid JSON: the file is "
                 "empty", c->s->file, line, col);
        return;
    }
    if (*pos == '\0') {
        snprintf(c->err, c->errlen, "%s:%zu:%zu: invalid JSON: a NUL byte",
                 c->s->file, line, col);
        return;
    }
    snippet(near, sizeof near, pos);
    snprintf(c->err, c->errlen, "%s:%zu:%zu: invalid JSON near '%s'%s",
             c->s->file, line, col, near,
             at_end ? " at the end of the file" : "");
}

/* Takes ownership of text (len bytes plus a terminating NUL). */
static int load_owned(scenario_t *s, const char *file, char *text,
                      size_t len, const scn_registry_t *reg, char *err,
                      size_t errlen)
{
    scn_ctx_t c = { .s = s, .reg = reg, .err = err, .errlen = errlen };
    const char *json = text, *end = NULL;

    memset(s, 0, sizeof *s);
    s->file = xstrdup(file);
    s->text = text;
    if (err && errlen)
        err[0] = '\0';
    /* Editors on some systems start UTF-8 files with a byte order mark;
     * JSON parsers may ignore it (RFC 8259, 8.1). */
    if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0) {
        json += 3;
        len -= 3;
    }
    /* cJSON stops at a NUL byte; one inside the file would hide the rest. */
    const char *nul = memchr(json, '\0', len);
    if (nul) {
        syntax_error(&c, json, len, nul);
        goto fail;
    }
    /* The length includes the terminator: with require_null_terminated,
     * cJSON wants to see it to know that nothing follows the value. */
    s->root = cJSON_ParseWithLengthOpts(json, len + 1, &end, true);
    if (!s->root) {
        if (!end)
            end = cJSON_GetErrorPtr();
        syntax_error(&c, json, len, end);
        goto fail;
    }
    if (validate(&c) && !c.failed)
        return 0;
    if (!c.failed)
        scn_error(&c, "$", "invalid");
fail:
    scenario_free(s);
    return -1;
}

int scenario_load_text(scenario_t *s, const char *file, const char *text,
                       const scn_registry_t *reg, char *err, size_t errlen)
{
    return load_owned(s, file, xstrdup(text), strlen(text), reg, err,
                      errlen);
}

int scenario_load(scenario_t *s, const char *file, const scn_registry_t *reg,
                  char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    FILE *f = fopen(file, "rb");

    memset(s, 0, sizeof *s);
    if (!f)
        goto fail_errno;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 16384;
            text = xrealloc(text, cap + 1);
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                goto fail_errno;
            break;
        }
        if (len > MAX_FILE_SIZE) {
            if (err && errlen)
                snprintf(err, errlen, "%s: cannot read: the file is larger than "
                     "%u MiB", file, MAX_FILE_SIZE >> 20);
            fclose(f);
            free(text);
            return -1;
        }
    }
    fclose(f);
    text[len] = '\0';
    return load_owned(s, file, text, len, reg, err, errlen);

fail_errno:;
    int e = errno;
    if (f)
        fclose(f);
    free(text);
    if (err && errlen)
        snprintf(err, errlen, "%s: cannot read: %s", file, strerror(e));
    return -1;
}

void scenario_free(scenario_t *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->text);
    cJSON_Delete(s->root);
    free(s->steps);
    for (size_t i = 0; i < s->n_clocks; i++)
        free(s->clocks[i].name);
    free(s->clocks);
    for (size_t i = 0; i < s->n_nodes; i++)
        free(s->nodes[i]);
    free(s->nodes);
    memset(s, 0, sizeof *s);
}

sim_time_t scn_get_time(const scenario_t *s, const cJSON *obj,
                        const char *key, sim_time_t dflt)
{
    char msg[8];
    sim_time_t t;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    /* The getter cannot modify s: the lookup only reads its clocks. */
    if (!cJSON_IsString(v)
        || units_parse_time(v->valuestring, &t, lookup_getter, (void *)s,
                            msg, sizeof msg) != 0)
        return dflt;
    return t;
}

uint64_t scn_get_freq(const cJSON *obj, const char *key, uint64_t dflt)
{
    char msg[8];
    uint64_t hz;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v)
        || units_parse_freq(v->valuestring, &hz, msg, sizeof msg) != 0)
        return dflt;
    return hz;
}

int64_t scn_get_int(const cJSON *obj, const char *key, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return dflt;
    double d = v->valuedouble;
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return dflt;
    return (int64_t)d;
}

bool scn_get_bool(const cJSON *obj, const char *key, bool dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsBool(v))
        return dflt;
    return cJSON_IsTrue(v);
}

const char *scn_get_string(const cJSON *obj, const char *key,
                           const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v))
        return dflt;
    return v->valuestring;
}

size_t scn_get_hex(const cJSON *obj, const char *key, uint8_t *buf,
                   size_t cap)
{
    char msg[8];
    size_t n;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v)
        || units_parse_hex(v->valuestring, buf, cap, &n, msg, sizeof msg)
               != 0)
        return 0;
    return n;
}
