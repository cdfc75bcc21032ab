/* SPDX-License-Identifier: MIT */
/* viewer/model.c - the bus viewer's model of the card, built only from
 * trace records (see model.h for the mapping of each record kind).
 *
 * Reference: docs/trace-format.md (records, paths, sources); ISO/IEC
 * 7816-3 clause 8 (ATR: T0, TA..TD interface bytes, historical bytes);
 * ISO/IEC 7816-4 clause 5 (command APDU header CLA INS P1 P2, status
 * word); ISO/IEC 14443 pcap events (PROTOCOLS.md); firmware/include/
 * cos_image.h, card_manager.h and docs/se-cos.md (our commands).
 *
 * Notes:
 *  - view_model_record is O(1) per record and never allocates: lanes are
 *    fixed rings, allocated once by view_model_init. Two exceptions,
 *    bounded: an APDU record scans back over the spans of its own command
 *    (to give them its id) and over the VIEW_APDUS list (to pair a
 *    response).
 *  - APDU ids of spans (best effort): a path's APDU in flight owns a set
 *    of lanes: the first path element names the terminal side ("CONTACT"
 *    -> lane contact, "NFC" -> nfc and spi, "BLE" -> ble, "MCU" -> mcu-se<n>
 *    of the final "SE<n>"), and a final "SE<n>" adds lane "flash se<n>".
 *    A span on such a lane gets the id of the command APDU last seen there
 *    if it starts at or after that command's start and, once the response
 *    came, before the response's end. The spans of the command itself
 *    (published before the APDU record) are tagged when the command
 *    arrives. Nested APDUs (NFC>MCU carrying MCU>SE1) keep their own ids
 *    on their own lanes.
 *  - SE power: SE i has pads VCC while contact.VCC is on and the route is
 *    i (models/pads.c); MCU VCC from mcu-se<i>.VCC. A rising VCC on an SE
 *    that was off makes it POWERED (its ATR then says what runs); no VCC
 *    on either port makes it OFF. RST alone does not change the state.
 *  - Update progress: image_bytes counts bytes programmed at or above
 *    0x10004000 (torn programs excluded); an erase of the image's first
 *    page (0x10004000) restarts it at 0, as a new image is being written.
 *  - The route is also set from "contact.SE<i>" level 1 (the pads reach
 *    SE i only if it is routed).
 *  - T=1 frames (contact, mcu-se<i>) are not drawn: their bytes are. NFC
 *    field on/off events set `field` and make no span. */
#include "viewer/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/include/card_manager.h"
#include "firmware/include/cos_image.h"
#include "sim/fatal.h"

#define IMAGE_AREA 0x10004000u
#define PATH_CAP sizeof(((view_apdu_t *)0)->path)

/* Fixed lanes, then mcu-se0..n-1 (if has_mcu), then flash se0..n-1. */
enum { L_CONTACT, L_NFC, L_BLE, L_SPI, L_FIXED };

/* Per-lane APDU tagging (see the Notes). Kept after the lanes in the same
 * allocation, so model.h stays plain data. */
typedef struct lane_tag {
    uint32_t cur;           /* command in flight, 0 if none */
    sim_time_t cur_start;
    uint32_t last;          /* last answered one */
    sim_time_t last_start, last_end;
} lane_tag_t;

static lane_tag_t *tags(view_model_t *m)
{
    return (lane_tag_t *)(void *)(m->lanes + m->n_lanes);
}

static size_t mcu_lane(const view_model_t *m, unsigned se)
{
    (void)m;
    return L_FIXED + se;
}

static size_t flash_lane(const view_model_t *m, unsigned se)
{
    return L_FIXED + (m->has_mcu ? m->n_se : 0) + se;
}

static void lane_setup(view_lane_t *l, const char *name, view_chan_t chan,
                       view_wire_t wire, unsigned se)
{
    snprintf(l->name, sizeof l->name, "%s", name);
    l->chan = chan;
    l->wire = wire;
    l->se = (uint8_t)se;
}

void view_model_init(view_model_t *m, unsigned n_se, bool has_mcu)
{
    memset(m, 0, sizeof *m);
    if (n_se > VIEW_MAX_SE)
        n_se = VIEW_MAX_SE;
    m->n_se = n_se;
    m->has_mcu = has_mcu;
    m->n_lanes = L_FIXED + (has_mcu ? n_se : 0) + n_se;
    m->lanes = calloc(1, m->n_lanes * (sizeof(view_lane_t) +
                                       sizeof(lane_tag_t)));
    if (!m->lanes)
        sim_fatal_plain("viewer: out of memory for %zu lanes", m->n_lanes);
    lane_setup(&m->lanes[L_CONTACT], "contact", VIEW_CH_CONTACT,
               VIEW_W_READER, 0);
    lane_setup(&m->lanes[L_NFC], "nfc", VIEW_CH_NFC, VIEW_W_NFC_AIR, 0);
    lane_setup(&m->lanes[L_BLE], "ble", VIEW_CH_BLE, VIEW_W_BLE_AIR, 0);
    lane_setup(&m->lanes[L_SPI], "spi", VIEW_CH_SPI, VIEW_W_SPI, 0);
    char name[24];
    for (unsigned i = 0; i < n_se; i++) {
        if (has_mcu) {
            snprintf(name, sizeof name, "mcu-se%u", i);
            lane_setup(&m->lanes[mcu_lane(m, i)], name, VIEW_CH_MCU_SE,
                       VIEW_W_MCU_SE, i);
        }
        snprintf(name, sizeof name, "flash se%u", i);
        lane_setup(&m->lanes[flash_lane(m, i)], name, VIEW_CH_FLASH,
                   VIEW_W_NONE, i);
    }
    m->next_apdu_id = 1;
}

void view_model_cleanup(view_model_t *m)
{
    free(m->lanes);
    m->lanes = NULL;
    m->n_lanes = 0;
}

view_lane_t *view_model_lane(view_model_t *m, const char *name)
{
    for (size_t i = 0; i < m->n_lanes; i++)
        if (!strcmp(m->lanes[i].name, name))
            return &m->lanes[i];
    return NULL;
}

const view_span_t *view_lane_span(const view_lane_t *l, size_t i)
{
    if (i >= l->count)
        return NULL;
    return &l->span[(l->head + VIEW_SPANS - l->count + i) % VIEW_SPANS];
}

const view_apdu_t *view_model_apdu(const view_model_t *m, size_t i)
{
    if (i >= m->apdu_count)
        return NULL;
    return &m->apdu[(m->apdu_head + VIEW_APDUS - m->apdu_count + i) %
                    VIEW_APDUS];
}

/* Ids are given in list order, so the kept ones are consecutive. */
const view_apdu_t *view_model_apdu_by_id(const view_model_t *m, uint32_t id)
{
    uint32_t newest = m->next_apdu_id - 1;
    if (id == 0 || id > newest || newest - id >= m->apdu_count)
        return NULL;
    return view_model_apdu(m, m->apdu_count - 1 - (newest - id));
}

/* ---- names ---- */

const char *view_chan_name(view_chan_t c)
{
    static const char *const names[VIEW_CH_COUNT] = {
        [VIEW_CH_CONTACT] = "contact", [VIEW_CH_NFC] = "nfc",
        [VIEW_CH_BLE] = "ble", [VIEW_CH_MCU_SE] = "mcu-se",
        [VIEW_CH_SPI] = "spi", [VIEW_CH_FLASH] = "flash",
    };
    return (unsigned)c < VIEW_CH_COUNT ? names[c] : "?";
}

const char *view_se_state_name(view_se_state_t s)
{
    switch (s) {
    case VIEW_SE_OFF: return "off";
    case VIEW_SE_POWERED: return "powered";
    case VIEW_SE_LOADER: return "loader";
    case VIEW_SE_COS: return "cos";
    case VIEW_SE_UNKNOWN: return "unknown";
    }
    return "?";
}

/* INS -> name: our card's commands first (they reuse ISO INS codes E4,
 * E6, E8 with CLA 80), then the usual ISO/IEC 7816-4 ones. */
static const struct {
    uint8_t ins;
    const char *name;
} ins_names[] = {
    { 0xA4, "SELECT" },
    { 0xCA, "GET DATA" },
    { 0xB0, "READ BINARY" },
    { 0xD6, "UPDATE BINARY" },
    { 0x20, "VERIFY" },
    { 0x30, "CREDIT" },
    { 0x32, "DEBIT" },
    { 0x34, "BALANCE" },
    { 0x84, "GET CHALLENGE" },
    { COS_INS_BEGIN, "BEGIN" },
    { COS_INS_STATUS, "STATUS" },
    { COS_INS_COMMIT, "COMMIT" },
    { COS_INS_INVALIDATE, "INVALIDATE" },
    { 0x04, "DEACTIVATE FILE" },
    { 0x0E, "ERASE BINARY" },
    { 0x22, "MSE" },
    { 0x24, "CHANGE REF DATA" },
    { 0x2A, "PSO" },
    { 0x2C, "RESET RETRY CTR" },
    { 0x44, "ACTIVATE FILE" },
    { 0x70, "MANAGE CHANNEL" },
    { 0x82, "EXTERNAL AUTH" },
    { 0x86, "GENERAL AUTH" },
    { 0x88, "INTERNAL AUTH" },
    { 0xB2, "READ RECORD" },
    { 0xC0, "GET RESPONSE" },
    { 0xC2, "ENVELOPE" },
    { 0xCB, "GET DATA" },
    { 0xD0, "WRITE BINARY" },
    { 0xDA, "PUT DATA" },
    { 0xDC, "UPDATE RECORD" },
    { 0xE2, "APPEND RECORD" },
};

void view_apdu_name(const uint8_t *cmd, size_t len, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    if (!cmd || len == 0)
        return;
    if (len == 1) {
        snprintf(out, cap, "%02X", cmd[0]);
        return;
    }
    uint8_t cla = cmd[0], ins = cmd[1];
    unsigned p1 = len > 2 ? cmd[2] : 0, p2 = len > 3 ? cmd[3] : 0;
    if (cla == CM_CLA) {
        switch (ins) {
        case CM_INS_LIST: snprintf(out, cap, "LIST"); return;
        case CM_INS_OPEN: snprintf(out, cap, "OPEN SE%u", p1); return;
        case CM_INS_RESET: snprintf(out, cap, "RESET SE%u", p1); return;
        case CM_INS_CLOSE: snprintf(out, cap, "CLOSE"); return;
        default: break;
        }
    }
    if (ins == COS_INS_LOAD) {
        snprintf(out, cap, "LOAD %u", p2);
        return;
    }
    for (size_t i = 0; i < sizeof ins_names / sizeof ins_names[0]; i++)
        if (ins_names[i].ins == ins) {
            snprintf(out, cap, "%s", ins_names[i].name);
            return;
        }
    snprintf(out, cap, "%02X %02X", cla, ins);
}

/* ---- path parsing ---- */

/* s ends with suffix. */
static bool ends(const char *s, const char *suffix)
{
    const char *e = strchr(s, suffix[0]);
    return e && !strcmp(e, suffix);
}

/* s is prefix followed by a decimal number < n (and nothing else up to
 * end, which is '\0' or the character stop). */
static bool parse_index(const char *s, const char *prefix, char stop,
                        unsigned n, unsigned *idx)
{
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) != 0)
        return false;
    s += pl;
    if (*s < '0' || *s > '9')
        return false;
    unsigned v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned)(*s - '0');
        if (v >= 1000)
            return false;
        s++;
    }
    if (*s != '\0' && *s != stop)
        return false;
    if (v >= n)
        return false;
    *idx = v;
    return true;
}

/* The SE of an APDU/ATR path ending ">SE<n>". */
static bool path_se(const view_model_t *m, const char *path, unsigned *se)
{
    if (!path)
        return false;
    const char *last = strrchr(path, '>');
    return parse_index(last ? last + 1 : path, "SE", '\0', m->n_se, se);
}

static bool starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix)) &&
           (s[strlen(prefix)] == '>' || s[strlen(prefix)] == '\0');
}

/* The lanes an APDU on `path` runs on (see the Notes). */
static size_t path_lanes(const view_model_t *m, const char *path,
                         size_t out[3])
{
    size_t n = 0;
    if (!path)
        return 0;
    unsigned se;
    bool has_se = path_se(m, path, &se);
    if (starts(path, "CONTACT")) {
        out[n++] = L_CONTACT;
    } else if (starts(path, "NFC")) {
        out[n++] = L_NFC;
        out[n++] = L_SPI;
    } else if (starts(path, "BLE")) {
        out[n++] = L_BLE;
    } else if (starts(path, "MCU") && has_se && m->has_mcu) {
        out[n++] = mcu_lane(m, se);
    }
    if (has_se)
        out[n++] = flash_lane(m, se);
    return n;
}

/* ---- spans ---- */

static void lane_add(view_model_t *m, size_t li, const trace_rec_t *rec,
                     view_span_kind_t kind, bool to_card, uint8_t se,
                     size_t len)
{
    view_lane_t *l = &m->lanes[li];
    const lane_tag_t *t = &tags(m)[li];
    view_span_t *s = &l->span[l->head];
    s->start = rec->start <= rec->time ? rec->start : rec->time;
    s->end = rec->time;
    s->kind = (uint8_t)kind;
    s->to_card = to_card;
    s->se = se;
    s->byte = rec->data && rec->len ? rec->data[0] : 0;
    s->len = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
    s->apdu = 0;
    if (t->cur && s->start >= t->cur_start)
        s->apdu = t->cur;
    else if (t->last && s->start >= t->last_start && s->start < t->last_end)
        s->apdu = t->last;
    l->head = (l->head + 1) % VIEW_SPANS;
    if (l->count < VIEW_SPANS)
        l->count++;
    l->total++;
}

static void take_byte(view_model_t *m, const trace_rec_t *rec)
{
    const char *p = rec->path;
    bool to_card = rec->dir == TRACE_DIR_CMD;
    unsigned se;
    if (!p)
        return;
    if (!strcmp(p, "contact"))
        lane_add(m, L_CONTACT, rec, VIEW_SPAN_BYTE, to_card,
                 (uint8_t)m->route, 1);
    else if (!strcmp(p, "spi"))
        lane_add(m, L_SPI, rec, VIEW_SPAN_BYTE, to_card, 0, 1);
    else if (m->has_mcu && parse_index(p, "mcu-se", '\0', m->n_se, &se))
        lane_add(m, mcu_lane(m, se), rec, VIEW_SPAN_BYTE, to_card,
                 (uint8_t)se, 1);
}

static void take_frame(view_model_t *m, const trace_rec_t *rec)
{
    bool to_card;
    switch (rec->u.frame.proto) {
    case TRACE_PROTO_NFC_A:
        switch (rec->u.frame.nfc_event) {
        case TRACE_NFC_EV_FIELD_ON:
            m->field = true;
            return;
        case TRACE_NFC_EV_FIELD_OFF:
            m->field = false;
            return;
        case TRACE_NFC_EV_PCD_TO_PICC:
            to_card = true;
            break;
        case TRACE_NFC_EV_PICC_TO_PCD:
            to_card = false;
            break;
        default:
            to_card = rec->dir == TRACE_DIR_CMD;
            break;
        }
        lane_add(m, L_NFC, rec, VIEW_SPAN_FRAME, to_card, 0, rec->len);
        return;
    case TRACE_PROTO_BLE_LL:
        if (rec->dir != TRACE_DIR_NONE)
            to_card = rec->dir == TRACE_DIR_CMD;
        else
            to_card = rec->u.frame.ble_pdu_type == 2;
        lane_add(m, L_BLE, rec, VIEW_SPAN_FRAME, to_card, 0, rec->len);
        return;
    case TRACE_PROTO_SPI:
        lane_add(m, L_SPI, rec, VIEW_SPAN_FRAME, rec->dir == TRACE_DIR_CMD,
                 0, rec->len);
        return;
    default:
        return;
    }
}

/* ---- SEs ---- */

static void se_power(view_se_t *s)
{
    if (!s->vcc_pads && !s->vcc_mcu) {
        s->state = VIEW_SE_OFF;
        s->version = 0;
    } else if (s->state == VIEW_SE_OFF) {
        s->state = VIEW_SE_POWERED;
    }
}

static void pads_power(view_model_t *m)
{
    for (unsigned i = 0; i < m->n_se; i++) {
        m->se[i].vcc_pads = m->contact_vcc && m->route == i;
        se_power(&m->se[i]);
    }
}

/* ISO/IEC 7816-3 8.2: TS T0 [TAi TBi TCi TDi]... historical [TCK]. */
static void take_atr(view_model_t *m, const trace_rec_t *rec)
{
    unsigned se;
    if (!path_se(m, rec->path, &se))
        return;
    view_se_t *s = &m->se[se];
    const uint8_t *d = rec->data;
    size_t n = d ? rec->len : 0, i;
    s->state = VIEW_SE_UNKNOWN;
    s->version = 0;
    if (n < 2)
        return;
    unsigned k = d[1] & 0x0Fu;
    uint8_t y = d[1] >> 4;
    i = 2;
    for (;;) {
        i += (size_t)((y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1));
        if (!(y & 8))
            break;
        if (i >= n)
            return;
        y = d[i] >> 4;
        i++;
    }
    if (i + k > n || k < 6)
        return;
    const uint8_t *h = d + i;
    if (!memcmp(h, "CSLDR", 5))
        s->state = VIEW_SE_LOADER;
    else if (!memcmp(h, "CSCOS", 5))
        s->state = VIEW_SE_COS;
    else
        return;
    s->version = h[k - 1];
}

static void take_signal(view_model_t *m, const trace_rec_t *rec)
{
    const char *p = rec->path;
    int level = rec->u.signal.level;
    unsigned i;
    if (!p)
        return;
    if (!strcmp(p, "contact.VCC")) {
        m->contact_vcc = level != 0;
        pads_power(m);
    } else if (!strcmp(p, "contact.route")) {
        if (level >= 0 && (unsigned)level < m->n_se) {
            m->route = (unsigned)level;
            pads_power(m);
        }
    } else if (parse_index(p, "contact.SE", '\0', m->n_se, &i)) {
        m->se[i].pads_own = level != 0;
        if (level && m->route != i) {
            m->route = i;
            pads_power(m);
        }
    } else if (parse_index(p, "mcu-se", '.', m->n_se, &i) &&
               ends(p, ".VCC")) {
        m->se[i].vcc_mcu = level != 0;
        se_power(&m->se[i]);
    }
}

static void take_flash(view_model_t *m, const trace_rec_t *rec)
{
    unsigned se;
    if (!rec->source || !parse_index(rec->source, "se", '.', m->n_se, &se) ||
        !ends(rec->source, ".flash"))
        return;
    view_se_t *s = &m->se[se];
    uint32_t addr = rec->u.flash.addr, len = rec->u.flash.len;
    bool erase = rec->u.flash.op == TRACE_FLASH_ERASE;
    lane_add(m, flash_lane(m, se), rec,
             erase ? VIEW_SPAN_ERASE : VIEW_SPAN_PROGRAM, true, (uint8_t)se,
             len);
    if (rec->time > s->busy_until)
        s->busy_until = rec->time;
    if (erase) {
        s->erases++;
        if (addr == IMAGE_AREA)
            s->image_bytes = 0;
    } else {
        s->programs++;
        if (addr >= IMAGE_AREA && !rec->u.flash.torn)
            s->image_bytes += len;
    }
}

/* ---- APDUs ---- */

static bool same_path(const char *kept, const char *path)
{
    return !strncmp(kept, path, PATH_CAP - 1) &&
           (strlen(path) >= PATH_CAP - 1 ||
            kept[strlen(path)] == '\0');
}

static void take_apdu(view_model_t *m, const trace_rec_t *rec)
{
    const char *path = rec->path ? rec->path : "";
    size_t lanes[3];
    size_t nl = path_lanes(m, rec->path, lanes);
    sim_time_t start = rec->start <= rec->time ? rec->start : rec->time;
    size_t n = rec->data ? rec->len : 0;
    if (rec->dir == TRACE_DIR_CMD) {
        view_apdu_t *a = &m->apdu[m->apdu_head];
        memset(a, 0, sizeof *a);
        a->id = m->next_apdu_id++;
        if (!m->next_apdu_id)  /* after 2^32 - 1 commands: never 0 */
            m->next_apdu_id = 1;
        snprintf(a->path, sizeof a->path, "%s", path);
        view_apdu_name(rec->data, n, a->name, sizeof a->name);
        if (n)
            memcpy(a->cmd, rec->data, n < sizeof a->cmd ? n : sizeof a->cmd);
        a->cmd_len = n;
        a->start = start;
        a->cmd_end = rec->time;
        m->apdu_head = (m->apdu_head + 1) % VIEW_APDUS;
        if (m->apdu_count < VIEW_APDUS)
            m->apdu_count++;
        /* the command's own spans came before it */
        for (size_t k = 0; k < nl; k++) {
            view_lane_t *l = &m->lanes[lanes[k]];
            lane_tag_t *t = &tags(m)[lanes[k]];
            t->cur = a->id;
            t->cur_start = start;
            for (size_t j = 0; j < l->count; j++) {
                view_span_t *s =
                    &l->span[(l->head + VIEW_SPANS - 1 - j) % VIEW_SPANS];
                if (s->start < start)
                    break;
                s->apdu = a->id;
            }
        }
        return;
    }
    if (rec->dir != TRACE_DIR_RSP)
        return;
    for (size_t j = 0; j < m->apdu_count; j++) {
        view_apdu_t *a =
            &m->apdu[(m->apdu_head + VIEW_APDUS - 1 - j) % VIEW_APDUS];
        if (a->answered || !same_path(a->path, path))
            continue;
        a->answered = true;
        a->end = rec->time;
        if (n >= 2) {
            a->sw = (uint16_t)(rec->data[n - 2] << 8 | rec->data[n - 1]);
            a->rsp_len = n - 2;
        }
        for (size_t k = 0; k < nl; k++) {
            lane_tag_t *t = &tags(m)[lanes[k]];
            if (t->cur != a->id)
                continue;
            t->last = a->id;
            t->last_start = t->cur_start;
            t->last_end = rec->time;
            t->cur = 0;
        }
        return;
    }
}

/* ---- the sink ---- */

static void take_mode(view_model_t *m, const trace_rec_t *rec)
{
    if (rec->path && !strcmp(rec->path, "route"))
        snprintf(m->route_text, sizeof m->route_text, "%s",
                 rec->text ? rec->text : "");
    else
        snprintf(m->mode, sizeof m->mode, "%s",
                 rec->u.mode.mode ? rec->u.mode.mode : "");
}

void view_model_record(void *ctx, const trace_rec_t *rec)
{
    view_model_t *m = ctx;
    m->records++;
    if (rec->time > m->now)
        m->now = rec->time;
    switch (rec->kind) {
    case TRACE_LINE_BYTE:
        take_byte(m, rec);
        break;
    case TRACE_FRAME:
        take_frame(m, rec);
        break;
    case TRACE_APDU:
        take_apdu(m, rec);
        break;
    case TRACE_ATR:
        take_atr(m, rec);
        break;
    case TRACE_SIGNAL:
        take_signal(m, rec);
        break;
    case TRACE_FLASH_OP:
        take_flash(m, rec);
        break;
    case TRACE_MODE:
        take_mode(m, rec);
        break;
    default:
        break;
    }
}
