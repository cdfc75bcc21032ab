/* SPDX-License-Identifier: MIT */
/* cli/cmd_schema.c - `cardsim schema` (the JSON Schema of scenario files)
 * and `cardsim reference` (the Markdown reference of sections and actions),
 * both generated from the registry's tables so that they cannot drift from
 * what the loader accepts.
 *
 * Both outputs are checked in (scenarios/schema.json,
 * docs/scenario-reference.md) and tests/schema/check.sh compares them with
 * a fresh run, so the output must be the same bytes every time: everything
 * is walked in table order, and the schema is printed by print_json() below
 * (the layout of the former hand-written file; integers exactly as int64,
 * where cJSON_Print's "%1.15g" prints 10^15 as 1e+15). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "models/registry.h"
#include "sim/fatal.h"

/* cJSON keeps numbers as doubles, exact up to 2^53; the loader takes an
 * SCN_T_INT field with min == max == 0 as any integer within that. */
#define EXACT_INT_MAX INT64_C(9007199254740992)

#define REF_PREFIX "#/$defs/"

/* ---- building cJSON values (out of memory is fatal) ------------------- */

static cJSON *need(cJSON *v)
{
    if (!v)
        sim_fatal_plain("schema: out of memory");
    return v;
}

static cJSON *add(cJSON *obj, const char *key, cJSON *v)
{
    if (!cJSON_AddItemToObject(obj, key, v))
        sim_fatal_plain("schema: out of memory");
    return v;
}

static cJSON *push(cJSON *arr, cJSON *v)
{
    if (!cJSON_AddItemToArray(arr, v))
        sim_fatal_plain("schema: out of memory");
    return v;
}

static cJSON *str(const char *s)
{
    return need(cJSON_CreateString(s));
}

/* Integers as raw text, so int64 bounds print exactly. */
static cJSON *num(int64_t n)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, n);
    return need(cJSON_CreateRaw(buf));
}

static void add_ref(cJSON *o, const char *def)
{
    char buf[sizeof REF_PREFIX + 256];
    snprintf(buf, sizeof buf, REF_PREFIX "%s", def);
    add(o, "$ref", str(buf));
}

static cJSON *obj(void)
{
    return need(cJSON_CreateObject());
}

static cJSON *arr(void)
{
    return need(cJSON_CreateArray());
}

/* ---- the tables ------------------------------------------------------ */

/* A comment key without a help text: the convention of every table
 * (docs/scenario-format.md: "comment is accepted only where a table lists
 * it"), documented once in $defs/comment. */
static bool is_comment(const scn_field_t *f)
{
    return f->type == SCN_T_STRING && f->key && !f->help &&
           strcmp(f->key, "comment") == 0;
}

static const char *field_help(const scn_field_t *f)
{
    if (f->help)
        return f->help;
    return is_comment(f) ? "ignored" : "";
}

/* "at most 16 bytes" etc. for HEX and ARRAY counts; "" if unbounded. */
static void count_text(char *buf, size_t len, const scn_field_t *f,
                       const char *unit)
{
    if (f->min > 0 && f->max > 0)
        snprintf(buf, len, "%" PRId64 " to %" PRId64 "%s", f->min, f->max,
                 unit);
    else if (f->max > 0)
        snprintf(buf, len, "at most %" PRId64 "%s", f->max, unit);
    else if (f->min > 0)
        snprintf(buf, len, "at least %" PRId64 "%s", f->min, unit);
    else
        buf[0] = '\0';
}

static void int_range(const scn_field_t *f, int64_t *min, int64_t *max)
{
    *min = f->min;
    *max = f->max;
    if (*min == 0 && *max == 0) {
        *min = -EXACT_INT_MAX;
        *max = EXACT_INT_MAX;
    }
}

typedef struct action_iter {
    const scn_action_def_t *const *const *table;
    const scn_action_def_t *const *entry;
} action_iter_t;

/* Walks every action of every table in registry order; NULL at the end. */
static const scn_action_def_t *next_action(action_iter_t *it)
{
    while (it->table && *it->table) {
        if (!it->entry)
            it->entry = *it->table;
        if (*it->entry)
            return *it->entry++;
        it->table++;
        it->entry = NULL;
    }
    return NULL;
}

/* A name given twice would give two $defs entries of one key; the loader
 * would silently use the first. */
static bool registry_ok(const scn_registry_t *reg)
{
    for (const scn_section_def_t *const *s = reg->sections; s && *s; s++)
        for (const scn_section_def_t *const *t = reg->sections; t != s; t++)
            if (strcmp((*s)->key, (*t)->key) == 0) {
                fprintf(stderr, "cardsim: the registry lists section \"%s\" "
                        "twice\n", (*s)->key);
                return false;
            }
    action_iter_t it = { .table = reg->actions };
    const scn_action_def_t *a;
    /* by position: one entry may be listed in two tables */
    for (size_t i = 0; (a = next_action(&it)); i++) {
        action_iter_t jt = { .table = reg->actions };
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->name, next_action(&jt)->name) == 0) {
                fprintf(stderr, "cardsim: the registry lists action \"%s\" "
                        "twice\n", a->name);
                return false;
            }
    }
    return true;
}

/* ---- JSON Schema ------------------------------------------------------ */

static cJSON *field_schema(const scn_field_t *f);

/* Adds the fields' schemas to o's "properties" (created if absent) and
 * their "required" list, which starts with first if not NULL. */
static void add_fields(cJSON *o, const scn_field_t *fields, const char *first)
{
    cJSON *req = arr();
    if (first)
        push(req, str(first));
    cJSON *props = cJSON_GetObjectItemCaseSensitive(o, "properties");
    if (!props)
        props = add(o, "properties", obj());
    for (const scn_field_t *f = fields; f && f->key; f++) {
        add(props, f->key, field_schema(f));
        if (f->required)
            push(req, str(f->key));
    }
    if (cJSON_GetArraySize(req) > 0)
        add(o, "required", req);
    else
        cJSON_Delete(req);
}

static cJSON *object_schema(const char *help, const scn_field_t *fields)
{
    cJSON *o = obj();
    if (help && *help)
        add(o, "description", str(help));
    add(o, "type", str("object"));
    add_fields(o, fields, NULL);
    add(o, "additionalProperties", need(cJSON_CreateFalse()));
    return o;
}

static cJSON *field_schema(const scn_field_t *f)
{
    char help[512], count[96];
    int64_t min, max;

    if (f->type == SCN_T_OBJECT)
        return object_schema(f->help, f->fields);
    snprintf(help, sizeof help, "%s", f->help ? f->help : "");
    if (f->type == SCN_T_HEX) {
        /* the byte count has no JSON Schema keyword: the length of the
         * text depends on its spaces */
        count_text(count, sizeof count, f, " bytes");
        if (*count)
            snprintf(help + strlen(help), sizeof help - strlen(help),
                     *help ? " (%s)" : "%s", count);
    }
    cJSON *o = obj();
    if (*help)
        add(o, "description", str(help));
    switch (f->type) {
    case SCN_T_STRING:
        if (is_comment(f))
            add_ref(o, "comment");
        else
            add(o, "type", str("string"));
        break;
    case SCN_T_ENUM: {
        add(o, "type", str("string"));
        cJSON *e = add(o, "enum", arr());
        for (const char *const *c = f->choices; c && *c; c++)
            push(e, str(*c));
        break;
    }
    case SCN_T_INT:
        int_range(f, &min, &max);
        add(o, "type", str("integer"));
        add(o, "minimum", num(min));
        add(o, "maximum", num(max));
        break;
    case SCN_T_BOOL:
        add(o, "type", str("boolean"));
        break;
    case SCN_T_TIME:
        add_ref(o, "time");
        break;
    case SCN_T_FREQ:
        add_ref(o, "frequency");
        break;
    case SCN_T_HEX:
        add_ref(o, "hex");
        break;
    case SCN_T_ARRAY:
        add(o, "type", str("array"));
        if (f->min > 0)
            add(o, "minItems", num(f->min));
        if (f->max > 0)
            add(o, "maxItems", num(f->max));
        if (f->item)
            add(o, "items", field_schema(f->item));
        break;
    case SCN_T_NODE:
        add_ref(o, "node");
        break;
    case SCN_T_OBJECT:
    case SCN_T_ANY:
        break;
    }
    return o;
}

/* {"description": d, "type": "string", "pattern": p} */
static cJSON *string_def(const char *d, const char *pattern)
{
    cJSON *o = obj();
    add(o, "description", str(d));
    add(o, "type", str("string"));
    if (pattern)
        add(o, "pattern", str(pattern));
    return o;
}

/* {"description": d, "$ref": "#/$defs/def"} */
static cJSON *described_ref(const char *d, const char *def)
{
    cJSON *o = obj();
    if (d)
        add(o, "description", str(d));
    add_ref(o, def);
    return o;
}

/* A oneOf that matches nothing when the registry lists nothing (an empty
 * oneOf is not a valid schema). */
static void end_one_of(cJSON *one_of)
{
    if (cJSON_GetArraySize(one_of) == 0)
        push(one_of, need(cJSON_CreateFalse()));
}

/* The value types and the common step keys: what the loader checks
 * itself, not a table (sim/scenario_load.c, sim/units.c). */
static void add_generic_defs(cJSON *defs)
{
    add(defs, "name", string_def(
        "1 to 100 characters, usable as a directory name; default: the file "
        "name without .json.",
        "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$"));
    add(defs, "comment", string_def("Ignored.", NULL));
    add(defs, "time", string_def(
        "A time with a unit (\"10us\", \"1.5 ms\"), exact to 1 ps, or cycles "
        "of a clock the section declares (\"372clk@contact\").",
        "^[0-9]+(\\.[0-9]+)? ?(ps|ns|us|ms|s)$"
        "|^[0-9]+ ?clk@[A-Za-z0-9_.-]+$"));
    add(defs, "frequency", string_def(
        "A frequency with a unit (\"13.56MHz\"), exact to 1 Hz, above 0 Hz.",
        "^[0-9]+(\\.[0-9]+)? ?(Hz|kHz|MHz|GHz)$"));
    add(defs, "hex", string_def(
        "Hex bytes, optionally one space between bytes (\"00 A4 04 00\"); "
        "may be empty.",
        "^([0-9A-Fa-f]{2}( ?[0-9A-Fa-f]{2})*)?$"));
    add(defs, "node", string_def(
        "The name of a node the section declares.", NULL));
}

static cJSON *step_def(void)
{
    cJSON *o = obj();
    add(o, "description", str(
        "One step of the timeline: the common keys here, the action's own "
        "fields in action_fields."));
    add(o, "type", str("object"));
    push(add(o, "required", arr()), str("action"));
    cJSON *p = add(o, "properties", obj());
    add(p, "action", string_def(
        "The name of an action (see action_fields).", NULL));
    add(p, "name", string_def("A label for reports.", NULL));
    add(p, "at", described_ref("Earliest start, absolute time.", "time"));
    add(p, "delay", described_ref(
        "Wait this long after the previous step completed; default 0.",
        "time"));
    add(p, "timeout", described_ref(
        "The step fails if it has not completed this long after it started.",
        "time"));
    add(p, "comment", described_ref(NULL, "comment"));
    push(add(o, "allOf", arr()), described_ref(NULL, "action_fields"));
    /* Sees the keys evaluated by the common properties and by the one
     * action_NAME that matched inside action_fields' oneOf (annotations of
     * failed branches are dropped), so a key of another action, or of
     * none, is refused. additionalProperties could not see into allOf. */
    add(o, "unevaluatedProperties", need(cJSON_CreateFalse()));
    return o;
}

static cJSON *action_def(const scn_action_def_t *a)
{
    cJSON *o = obj();
    if (a->help && *a->help)
        add(o, "description", str(a->help));
    cJSON *p = add(o, "properties", obj());
    add(add(p, "action", obj()), "const", str(a->name));
    add_fields(o, a->fields, "action");
    return o;
}

static cJSON *build_schema(const scn_registry_t *reg)
{
    char name[256];
    cJSON *root = obj();

    add(root, "$schema", str("https://json-schema.org/draft/2020-12/schema"));
    add(root, "$id", str("https://cardsim.invalid/scenarios/schema.json"));
    add(root, "$comment", str(
        "Generated from the tables of models/registry.c by: cardsim schema "
        "> scenarios/schema.json; do not edit."));
    add(root, "title", str("cardsim scenario, format " SCN_FORMAT));
    add(root, "description", str(
        "The structure of a scenario file (docs/scenario-format.md, "
        "docs/scenario-reference.md). The loader (sim/scenario_load.c) is "
        "the authority: it also checks what a schema cannot, e.g. that "
        "nodes and clocks named in a step are declared by the section, "
        "exact time arithmetic, hex byte counts, and the rules each "
        "section's and action's own check adds."));
    add(root, "type", str("object"));
    cJSON *req = add(root, "required", arr());
    push(req, str("format"));
    push(req, str("timeline"));

    cJSON *p = add(root, "properties", obj());
    add(add(p, "format", obj()), "const", str(SCN_FORMAT));
    add(p, "name", described_ref(NULL, "name"));
    add(add(p, "description", obj()), "type", str("string"));
    add(p, "comment", described_ref(NULL, "comment"));
    cJSON *seed = add(p, "seed", obj());
    add(seed, "description", str("Seeds every random stream; default 0."));
    add(seed, "type", str("integer"));
    add(seed, "minimum", num(0));
    add(seed, "maximum", num(EXACT_INT_MAX));
    add(p, "timeout", described_ref(
        "The run fails if the timeline has not finished by then; "
        "default 60s.", "time"));
    for (const scn_section_def_t *const *s = reg->sections; s && *s; s++) {
        snprintf(name, sizeof name, "section_%s", (*s)->key);
        add(p, (*s)->key, described_ref(NULL, name));
    }
    cJSON *tl = add(p, "timeline", obj());
    add(tl, "type", str("array"));
    add(tl, "items", described_ref(NULL, "step"));
    /* "sweep": what cardsim sweep cuts, and the recovery steps */
    cJSON *sw = add(p, "sweep", obj());
    add(sw, "description", str(
        "For cardsim sweep (docs/sweep.md): the SE whose flash operations "
        "are cut, optionally the timeline step during which, the cuts per "
        "operation, and the steps run after each cut (the invariants)."));
    add(sw, "type", str("object"));
    cJSON *swr = add(sw, "required", arr());
    push(swr, str("se"));
    push(swr, str("recovery"));
    cJSON *swp = add(sw, "properties", obj());
    cJSON *se = add(swp, "se", obj());
    add(se, "type", str("integer"));
    add(se, "minimum", num(0));
    add(se, "maximum", num(7));
    add(add(swp, "during", obj()), "type", str("string"));
    cJSON *pts = add(swp, "points", obj());
    add(pts, "type", str("integer"));
    add(pts, "minimum", num(1));
    add(pts, "maximum", num(16));
    cJSON *rec = add(swp, "recovery", obj());
    add(rec, "type", str("array"));
    add(rec, "minItems", num(1));
    add(rec, "items", described_ref(NULL, "step"));
    add(add(swp, "comment", obj()), "type", str("string"));
    add(sw, "additionalProperties", need(cJSON_CreateFalse()));
    add(root, "additionalProperties", need(cJSON_CreateFalse()));

    /* exactly one section key */
    cJSON *one = add(root, "oneOf", arr());
    for (const scn_section_def_t *const *s = reg->sections; s && *s; s++)
        push(add(push(one, obj()), "required", arr()), str((*s)->key));
    end_one_of(one);

    cJSON *defs = add(root, "$defs", obj());
    add_generic_defs(defs);
    for (const scn_section_def_t *const *s = reg->sections; s && *s; s++) {
        snprintf(name, sizeof name, "section_%s", (*s)->key);
        add(defs, name, object_schema((*s)->help, (*s)->fields));
    }
    add(defs, "step", step_def());

    cJSON *af = add(defs, "action_fields", obj());
    add(af, "description", str(
        "The fields of the step's action: exactly one action_NAME matches, "
        "the one whose const is the step's action."));
    cJSON *actions = add(af, "oneOf", arr());
    action_iter_t it = { .table = reg->actions };
    const scn_action_def_t *a;
    while ((a = next_action(&it))) {
        snprintf(name, sizeof name, "action_%s", a->name);
        push(actions, described_ref(NULL, name));
    }
    end_one_of(actions);
    it = (action_iter_t){ .table = reg->actions };
    while ((a = next_action(&it))) {
        snprintf(name, sizeof name, "action_%s", a->name);
        add(defs, name, action_def(a));
    }
    return root;
}

/* ---- printing JSON ---------------------------------------------------- */

static void print_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out); /* UTF-8 passes through */
    }
    fputc('"', out);
}

static bool is_container(const cJSON *v)
{
    return cJSON_IsObject(v) || cJSON_IsArray(v);
}

/* A value printed on one line: a scalar, an array of scalars ("required",
 * "enum"), or a container of one such value ({ "$ref": ... }). */
static bool is_inline(const cJSON *v)
{
    if (!is_container(v) || !v->child)
        return true;
    if (!v->child->next)
        return is_inline(v->child);
    if (cJSON_IsObject(v))
        return false;
    for (const cJSON *c = v->child; c; c = c->next)
        if (is_container(c))
            return false;
    return true;
}

/* Two spaces of indentation and one member per line, except inline
 * values, as the hand-written schema had them. */
static void print_json(FILE *out, const cJSON *v, int depth)
{
    if (is_container(v)) {
        bool is_obj = cJSON_IsObject(v), flat = is_inline(v);
        fputc(is_obj ? '{' : '[', out);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (flat)
                fputs(c != v->child ? ", " : is_obj ? " " : "", out);
            else
                fprintf(out, "%s\n%*s", c == v->child ? "" : ",",
                        2 * (depth + 1), "");
            if (is_obj) {
                print_string(out, c->string);
                fputs(": ", out);
            }
            print_json(out, c, depth + 1);
        }
        if (!flat)
            fprintf(out, "\n%*s", 2 * depth, "");
        else if (is_obj && v->child)
            fputc(' ', out);
        fputc(is_obj ? '}' : ']', out);
    } else if (cJSON_IsString(v)) {
        print_string(out, v->valuestring);
    } else if (cJSON_IsRaw(v)) {
        fputs(v->valuestring, out);
    } else if (cJSON_IsNumber(v)) {
        fprintf(out, "%.17g", v->valuedouble);
    } else if (cJSON_IsTrue(v)) {
        fputs("true", out);
    } else if (cJSON_IsFalse(v)) {
        fputs("false", out);
    } else {
        fputs("null", out);
    }
}

/* ---- Markdown reference ------------------------------------------------ */

#define FMT_DOC "scenario-format.md"

/* Text in a table cell: '|' would end the cell, '<' could open a tag. */
static void md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '<')
            fputs("&lt;", out);
        else
            fputc(*s, out);
    }
}

/* Appends printf-style to buf (len bytes in all). */
static void cat(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cat(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    if (used >= len - 1)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* The type column: "[time](...)", "array of 1 to 64 objects", ...; the
 * plural form for array items. */
static void type_text(char *buf, size_t len, const scn_field_t *f,
                      bool plural)
{
    char count[96];
    int64_t min, max;
    const char *s = plural ? "s" : "";

    buf[0] = '\0';
    switch (f->type) {
    case SCN_T_STRING:
        cat(buf, len, "string%s", s);
        break;
    case SCN_T_ENUM:
        cat(buf, len, "%s", plural ? "strings, each one of " : "one of ");
        for (const char *const *c = f->choices; c && *c; c++)
            cat(buf, len, "%s`\"%s\"`", c == f->choices ? "" : ", ", *c);
        break;
    case SCN_T_INT:
        cat(buf, len, "integer%s", s);
        int_range(f, &min, &max);
        if (f->min != 0 || f->max != 0)
            cat(buf, len, " from %" PRId64 " to %" PRId64, min, max);
        break;
    case SCN_T_BOOL:
        cat(buf, len, "boolean%s", s);
        break;
    case SCN_T_TIME:
        cat(buf, len, "[time%s](" FMT_DOC "#times)", s);
        break;
    case SCN_T_FREQ:
        cat(buf, len, "[frequenc%s](" FMT_DOC "#frequencies)",
            plural ? "ies" : "y");
        break;
    case SCN_T_HEX:
        cat(buf, len, "[hex %s](" FMT_DOC "#hex-bytes)",
            plural ? "byte strings" : "bytes");
        count_text(count, sizeof count, f, " bytes");
        if (*count)
            cat(buf, len, " (%s%s)", count, plural ? " each" : "");
        break;
    case SCN_T_OBJECT:
        cat(buf, len, "object%s", s);
        break;
    case SCN_T_ARRAY: {
        count_text(count, sizeof count, f, "");
        cat(buf, len, "array%s", s);
        if (f->item) {
            char item[512];
            type_text(item, sizeof item, f->item, true);
            cat(buf, len, " of %s%s%s", count, *count ? " " : "", item);
        } else if (*count) {
            cat(buf, len, " of %s items", count);
        }
        break;
    }
    case SCN_T_NODE:
        cat(buf, len, "node name%s", s);
        break;
    case SCN_T_ANY:
        cat(buf, len, "%s", plural ? "values" : "any value");
        break;
    }
}

static void md_rows(FILE *out, const char *prefix, const scn_field_t *fields);

/* The rows of the keys inside f: "key.sub", "key[].sub". */
static void md_nested(FILE *out, const char *key, const scn_field_t *f)
{
    char sub[256];
    if (f->type == SCN_T_OBJECT) {
        snprintf(sub, sizeof sub, "%s.", key);
        md_rows(out, sub, f->fields);
    } else if (f->type == SCN_T_ARRAY && f->item) {
        snprintf(sub, sizeof sub, "%s[]", key);
        md_nested(out, sub, f->item);
    }
}

static void md_rows(FILE *out, const char *prefix, const scn_field_t *fields)
{
    char key[256], type[1024];
    for (const scn_field_t *f = fields; f && f->key; f++) {
        snprintf(key, sizeof key, "%s%s", prefix, f->key);
        type_text(type, sizeof type, f, false);
        fprintf(out, "| `%s` | ", key);
        md_text(out, type);
        fprintf(out, " | %s | ", f->required ? "yes" : "no");
        md_text(out, field_help(f));
        fputs(" |\n", out);
        md_nested(out, key, f);
    }
}

/* "### `name`", the help line, the table of the fields. */
static void md_entry(FILE *out, const char *name, const char *help,
                     const scn_field_t *fields, const char *none)
{
    fprintf(out, "\n### `%s`\n\n", name);
    if (help && *help) {
        md_text(out, help);
        fputs("\n\n", out);
    }
    if (!fields || !fields->key) {
        fprintf(out, "%s\n", none);
        return;
    }
    fputs("| key | type | required | meaning |\n"
          "|-----|------|----------|---------|\n", out);
    md_rows(out, "", fields);
}

static void print_reference(FILE *out, const scn_registry_t *reg)
{
    fputs("<!-- generated by: cardsim reference > docs/scenario-reference.md;"
          " do not edit -->\n"
          "# Scenario reference: sections and actions\n"
          "\n"
          "The configuration sections and the timeline actions of scenario "
          "files\n"
          "([scenario-format.md](" FMT_DOC ")), generated from the tables "
          "of\n"
          "`models/registry.c`, in their order. The types are those of\n"
          "[Value syntax](" FMT_DOC "#value-syntax). A key `a.b` is the "
          "key `b` of\n"
          "the object `a`, and `a[].b` the key `b` of each object in the "
          "array `a`;\n"
          "\"required\" means required in the object that holds the key. "
          "What the\n"
          "tables cannot say (the checks across fields, when an action "
          "completes\n"
          "or fails) is in [Sections](" FMT_DOC "#sections) and\n"
          "[Actions](" FMT_DOC "#actions).\n"
          "\n"
          "## Sections\n"
          "\n"
          "A scenario holds exactly one of these sections, under its key at "
          "the top\n"
          "level.\n", out);
    for (const scn_section_def_t *const *s = reg->sections; s && *s; s++)
        md_entry(out, (*s)->key, (*s)->help, (*s)->fields, "No keys.");
    fputs("\n"
          "## Actions\n"
          "\n"
          "A step's `action` is one of these names. Besides the fields "
          "listed, every\n"
          "step may carry the [common keys](" FMT_DOC "#the-timeline) "
          "`action`, `name`,\n"
          "`at`, `delay`, `timeout` and `comment`.\n", out);
    action_iter_t it = { .table = reg->actions };
    const scn_action_def_t *a;
    while ((a = next_action(&it)))
        md_entry(out, a->name, a->help, a->fields,
                 "No fields besides the common keys.");
}

/* ---- the subcommands ---------------------------------------------------- */

/* -1 to go on, else the exit code: no arguments but --help. */
static int parse_args(int argc, char **argv, const char *what)
{
    if (argc == 1)
        return -1;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        printf("usage: cardsim %s\n%s\n", argv[0], what);
        return CLI_EXIT_OK;
    }
    return cli_bad_input("%s: takes no arguments (see cardsim %s --help)",
                         argv[0], argv[0]);
}

static int finish(const char *cmd)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cardsim: %s: cannot write the output: %s\n", cmd,
                strerror(errno));
        return CLI_EXIT_SIM_ERROR;
    }
    return CLI_EXIT_OK;
}

int cmd_schema(int argc, char **argv)
{
    int rc = parse_args(argc, argv,
        "prints the JSON Schema (draft 2020-12) of scenario files, built "
        "from the\nregistry's tables; the checked-in copy is made by\n"
        "  cardsim schema > scenarios/schema.json");
    if (rc >= 0)
        return rc;
    if (!registry_ok(&model_registry))
        return CLI_EXIT_SIM_ERROR;
    cJSON *root = build_schema(&model_registry);
    print_json(stdout, root, 0);
    putchar('\n');
    cJSON_Delete(root);
    return finish("schema");
}

int cmd_reference(int argc, char **argv)
{
    int rc = parse_args(argc, argv,
        "prints the Markdown reference of the scenario sections and "
        "actions, built\nfrom the registry's tables; the checked-in copy "
        "is made by\n  cardsim reference > docs/scenario-reference.md");
    if (rc >= 0)
        return rc;
    if (!registry_ok(&model_registry))
        return CLI_EXIT_SIM_ERROR;
    print_reference(stdout, &model_registry);
    return finish("reference");
}
