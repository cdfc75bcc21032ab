/* SPDX-License-Identifier: MIT */
/* viewer/render.c - draws the bus viewer's model with SDL2 (render.h).
 *
 * Draws: the card (outline, contact pads, the per-SE switches in the
 * position the model says, the SEs with their state badges and update
 * progress, the MCU, the NFC front end), the contact reader and the phone
 * at the edges, the wires between them with the traffic on them; the
 * timeline lanes with a ruler; the APDU panel; the header; the help.
 *
 * Reference: what is on the card and how it is wired, docs/architecture.md
 * ("The card as built today"); the trace records, docs/trace-format.md.
 *
 * Notes:
 *  - text is drawn from a glyph atlas (ASCII only) built once per
 *    renderer: a frame costs a texture copy per character, no TTF work;
 *  - SE state, routing and mode are drawn as the model holds them (its
 *    latest record), not rewound to t; spans, APDUs and an SE's `writing`
 *    (from its flash lane) are drawn at t;
 *  - the layout does not depend on the font: rows are sized for a 13 pt
 *    monospace cell (8 x 16 px). */
#include "viewer/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_H 30
#define RULER_H 20
#define LABEL_W 92
#define APDU_ROW_H 18
#define BTN_W 40
#define BTN_GAP 4

static const char *const btn_label[VIEW_BTN_COUNT] = {
    [VIEW_BTN_PAUSE] = "||", [VIEW_BTN_STEP] = ">|", [VIEW_BTN_APDU] = "A>",
    [VIEW_BTN_SLOWER] = "-", [VIEW_BTN_FASTER] = "+", [VIEW_BTN_MAX] = "max",
    [VIEW_BTN_ZOOM_IN] = "z+", [VIEW_BTN_ZOOM_OUT] = "z-",
    [VIEW_BTN_HELP] = "?",
};

/* ---- colours --------------------------------------------------------- */

uint32_t view_chan_rgb(view_chan_t c)
{
    switch (c) {
    case VIEW_CH_CONTACT: return 0xE6B428u;
    case VIEW_CH_NFC: return 0x3CAAFFu;
    case VIEW_CH_BLE: return 0xB46EFFu;
    case VIEW_CH_MCU_SE: return 0x3CD278u;
    case VIEW_CH_SPI: return 0xFF7A3Cu;
    case VIEW_CH_FLASH: return 0xF05078u;
    default: return 0xC0C0C0u;
    }
}

uint32_t view_se_rgb(view_se_state_t s, bool busy)
{
    if (busy)
        return view_chan_rgb(VIEW_CH_FLASH);
    switch (s) {
    case VIEW_SE_OFF: return 0x505050u;
    case VIEW_SE_POWERED: return 0xC8C864u;
    case VIEW_SE_LOADER: return 0xF0A030u;
    case VIEW_SE_COS: return 0x50C878u;
    default: return 0xA0A0A0u;
    }
}

#define RGB_TEXT 0xE0E0E0u
#define RGB_DIM 0x8C8C96u
#define RGB_BOX 0x2A2D34u
#define RGB_EDGE 0x70737Cu
#define RGB_CARD 0x20242Cu
#define RGB_LANE_A 0x1E2026u
#define RGB_LANE_B 0x23262Du
#define RGB_SEL 0xFFFFFFu
#define RGB_PANEL 0x1C1F25u

/* ---- layout ---------------------------------------------------------- */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static view_rect_t rect(int x, int y, int w, int h)
{
    return (view_rect_t){ x, y, w, h };
}

static bool in_rect(view_rect_t r, int x, int y)
{
    return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

void view_layout_compute(view_layout_t *lo, int w, int h, unsigned n_se,
                         bool has_mcu)
{
    memset(lo, 0, sizeof *lo);
    if (n_se > VIEW_MAX_SE)
        n_se = VIEW_MAX_SE;
    if (n_se < 1)
        n_se = 1;
    if (w < 640)
        w = 640;
    if (h < 400)
        h = 400;
    lo->w = w;
    lo->h = h;
    lo->n_se = n_se;
    lo->has_mcu = has_mcu;
    lo->n_lanes = 4 + n_se + (has_mcu ? n_se : 0);

    lo->header = rect(0, 0, w, HEADER_H);
    lo->time_text = rect(8, 6, 200, 18);
    lo->mode_text = rect(216, 6, 240, 18);
    lo->speed_text = rect(464, 6, 200, 18);
    int bx = w - VIEW_BTN_COUNT * (BTN_W + BTN_GAP);
    for (int i = 0; i < VIEW_BTN_COUNT; i++)
        lo->buttons[i] = rect(bx + i * (BTN_W + BTN_GAP), 4, BTN_W, 22);

    /* lanes at the bottom, above the ruler */
    int body = h - HEADER_H;
    lo->lane_h = clampi((int)((body * 0.45 - RULER_H) / (double)lo->n_lanes),
                        12, 28);
    int lanes_h = lo->lane_h * (int)lo->n_lanes;
    lo->label_w = LABEL_W;
    lo->ruler = rect(0, h - RULER_H, w, RULER_H);
    lo->lanes = rect(0, h - RULER_H - lanes_h, w, lanes_h);

    int top = HEADER_H + 2;
    int area_h = lo->lanes.y - 6 - top;
    int apdu_w = clampi(w * 32 / 100, 300, 440);
    lo->card_area = rect(0, top, w - apdu_w, area_h);
    lo->apdu_panel = rect(w - apdu_w, top, apdu_w - 4, area_h);
    lo->apdu_row_h = APDU_ROW_H;
    lo->apdu_y0 = top + 24;
    int rows = (area_h - 28) / APDU_ROW_H;
    rows -= 3; /* the selected APDU's details at the bottom */
    lo->apdu_rows = rows > 0 ? (size_t)rows : 0;

    view_rect_t a = lo->card_area;
    lo->route_text = rect(a.x + 8, a.y + a.h - 20, a.w - 16, 18);
    lo->card = rect(a.x + 130, a.y + 10, a.w - 260, a.h - 36);
    view_rect_t c = lo->card;
    lo->reader = rect(a.x + 10, c.y + c.h / 2 - 30, 96, 60);
    lo->phone = rect(a.x + a.w - 104, c.y + c.h / 2 - 60, 96, 120);
    lo->pads = rect(c.x + 16, c.y + c.h / 2 - 36, 56, 72);

    int se_x = lo->pads.x + lo->pads.w + 90;
    lo->nfc_fe = rect(c.x + c.w - 16 - 72, c.y + 20, 72, 50);
    lo->mcu = rect(lo->nfc_fe.x - 50 - 64, 0, 64, 0);
    int se_w = (has_mcu ? lo->mcu.x - 24 : c.x + c.w - 20) - se_x;
    int avail = c.h - 24;
    int row_h = avail / (int)n_se;
    int box_h = clampi(row_h - 12, 20, 64);
    int y0 = c.y + 12;
    for (unsigned i = 0; i < n_se; i++) {
        int y = y0 + (int)i * row_h + 2;
        lo->se[i] = rect(se_x, y, se_w, box_h);
        lo->badge[i] = rect(se_x + 40, y + 3, clampi(se_w - 44, 40, 96), 17);
        if (box_h >= 30)
            lo->progress[i] = rect(se_x + 4, y + box_h - 8, se_w - 8, 4);
        lo->sw[i] = rect(se_x - 46, y + box_h / 2 - 9, 18, 18);
    }
    /* the MCU spans the SE column; its port i leaves under SE i */
    int last = (int)n_se - 1;
    int mcu_bot = lo->se[last].y + lo->se[last].h + (row_h - box_h) / 2 + 6;
    lo->mcu.y = lo->se[0].y;
    lo->mcu.h = mcu_bot - lo->mcu.y;
    if (lo->mcu.h < 120)
        lo->mcu.h = 120;
    if (!has_mcu) {
        lo->mcu = rect(0, 0, 0, 0);
        lo->nfc_fe = rect(0, 0, 0, 0);
        lo->phone = rect(0, 0, 0, 0);
    }
}

view_rect_t view_layout_se_badge(const view_layout_t *lo, unsigned se)
{
    return se < lo->n_se ? lo->badge[se] : rect(0, 0, 0, 0);
}

view_rect_t view_layout_mode(const view_layout_t *lo)
{
    return lo->mode_text;
}

view_rect_t view_layout_apdu_row(const view_layout_t *lo, size_t row)
{
    view_rect_t p = lo->apdu_panel;
    return rect(p.x + 2, lo->apdu_y0 + (int)row * lo->apdu_row_h, p.w - 4,
                lo->apdu_row_h);
}

view_rect_t view_layout_lane(const view_layout_t *lo, size_t lane)
{
    return rect(lo->lanes.x, lo->lanes.y + (int)lane * lo->lane_h,
                lo->lanes.w, lo->lane_h);
}

static view_pt_t pt(int x, int y)
{
    return (view_pt_t){ x, y };
}

static int cx(view_rect_t r) { return r.x + r.w / 2; }
static int cy(view_rect_t r) { return r.y + r.h / 2; }

void view_layout_wire(const view_layout_t *lo, view_wire_t w, unsigned se,
                      view_poly_t *out)
{
    out->n = 0;
    bool per_se = w == VIEW_W_PADS_SE || w == VIEW_W_MCU_SE;
    if (per_se && se >= lo->n_se)
        return;
    bool mcu_side = w == VIEW_W_MCU_SE || w == VIEW_W_NFC_AIR ||
                    w == VIEW_W_BLE_AIR || w == VIEW_W_SPI;
    if (mcu_side && !lo->has_mcu)
        return;
    view_pt_t *p = out->p;
    switch (w) {
    case VIEW_W_READER:
        p[0] = pt(lo->reader.x + lo->reader.w, cy(lo->reader));
        p[1] = pt(lo->pads.x, cy(lo->pads));
        out->n = 2;
        break;
    case VIEW_W_PADS_SE: {
        view_rect_t s = lo->sw[se];
        p[0] = pt(lo->pads.x + lo->pads.w, cy(lo->pads));
        p[1] = pt(lo->pads.x + lo->pads.w + 14, cy(lo->pads));
        p[2] = pt(s.x, cy(s));
        p[3] = pt(s.x + s.w, cy(s));
        p[4] = pt(lo->se[se].x, cy(s));
        out->n = 5;
        break;
    }
    case VIEW_W_MCU_SE: {
        view_rect_t s = lo->sw[se];
        view_rect_t b = lo->se[se];
        int yb = b.y + b.h + 5;
        p[0] = pt(lo->mcu.x, yb);
        p[1] = pt(cx(s), yb);
        p[2] = pt(cx(s), s.y + s.h);
        p[3] = pt(s.x + s.w, cy(s));
        p[4] = pt(b.x, cy(s));
        out->n = 5;
        break;
    }
    case VIEW_W_NFC_AIR:
        p[0] = pt(lo->phone.x, lo->phone.y + 30);
        p[1] = pt(lo->nfc_fe.x + lo->nfc_fe.w, cy(lo->nfc_fe));
        out->n = 2;
        break;
    case VIEW_W_BLE_AIR:
        p[0] = pt(lo->phone.x, lo->phone.y + lo->phone.h - 30);
        p[1] = pt(lo->mcu.x + lo->mcu.w, lo->mcu.y + lo->mcu.h * 3 / 4);
        out->n = 2;
        break;
    case VIEW_W_SPI:
        p[0] = pt(lo->mcu.x + lo->mcu.w, cy(lo->nfc_fe));
        p[1] = pt(lo->nfc_fe.x, cy(lo->nfc_fe));
        out->n = 2;
        break;
    default:
        break;
    }
}

static double seg_len(view_pt_t a, view_pt_t b)
{
    double dx = b.x - a.x, dy = b.y - a.y;
    return sqrt(dx * dx + dy * dy);
}

static view_pt_t poly_point(const view_poly_t *w, double frac)
{
    if (w->n == 0)
        return pt(0, 0);
    double total = 0;
    for (int i = 1; i < w->n; i++)
        total += seg_len(w->p[i - 1], w->p[i]);
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    double want = frac * total;
    for (int i = 1; i < w->n; i++) {
        double l = seg_len(w->p[i - 1], w->p[i]);
        if (want <= l || i == w->n - 1) {
            double f = l > 0 ? want / l : 0;
            if (f > 1)
                f = 1;
            return pt((int)lround(w->p[i - 1].x + f * (w->p[i].x -
                                                       w->p[i - 1].x)),
                      (int)lround(w->p[i - 1].y + f * (w->p[i].y -
                                                       w->p[i - 1].y)));
        }
        want -= l;
    }
    return w->p[w->n - 1];
}

view_pt_t view_layout_wire_point(const view_layout_t *lo, view_wire_t w,
                                 unsigned se, double frac)
{
    view_poly_t p;
    view_layout_wire(lo, w, se, &p);
    return poly_point(&p, frac);
}

int view_layout_apdu_row_at(const view_layout_t *lo, int x, int y)
{
    for (size_t i = 0; i < lo->apdu_rows; i++)
        if (in_rect(view_layout_apdu_row(lo, i), x, y))
            return (int)i;
    return -1;
}

int view_layout_button_at(const view_layout_t *lo, int x, int y)
{
    for (int i = 0; i < VIEW_BTN_COUNT; i++)
        if (in_rect(lo->buttons[i], x, y))
            return i;
    return -1;
}

int view_layout_lane_at(const view_layout_t *lo, int x, int y)
{
    if (!in_rect(lo->lanes, x, y) || lo->lane_h <= 0)
        return -1;
    return (y - lo->lanes.y) / lo->lane_h;
}

/* ---- text ------------------------------------------------------------ */

static const char *view_font_file(void)
{
    const char *e = getenv("CARDSIM_VIEW_FONT");
    return e && *e ? e : VIEW_FONT_PATH;
}

int view_render_init(view_render_t *vr, SDL_Renderer *r, int w, int h,
                     const view_model_t *m, char *err, size_t errlen)
{
    memset(vr, 0, sizeof *vr);
    vr->r = r;
    const char *path = view_font_file();
    vr->font = TTF_OpenFont(path, VIEW_FONT_PT);
    if (!vr->font) {
        snprintf(err, errlen, "viewer: cannot open the font %s: %s "
                 "(Debian: fonts-dejavu-core; or set CARDSIM_VIEW_FONT)",
                 path, TTF_GetError());
        return -1;
    }
    int minx, maxx, miny, maxy, adv;
    if (TTF_GlyphMetrics(vr->font, 'M', &minx, &maxx, &miny, &maxy, &adv))
        adv = 8;
    vr->cw = adv;
    vr->ch = TTF_FontHeight(vr->font);
    SDL_Surface *atlas = SDL_CreateRGBSurfaceWithFormat(
        0, vr->cw * 95, vr->ch, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!atlas) {
        snprintf(err, errlen, "viewer: %s", SDL_GetError());
        view_render_cleanup(vr);
        return -1;
    }
    SDL_FillRect(atlas, NULL, SDL_MapRGBA(atlas->format, 255, 255, 255, 0));
    SDL_Color white = { 255, 255, 255, 255 };
    for (int c = 33; c < 127; c++) {
        SDL_Surface *g = TTF_RenderGlyph_Blended(vr->font, (Uint16)c, white);
        if (!g)
            continue;
        SDL_SetSurfaceBlendMode(g, SDL_BLENDMODE_NONE);
        SDL_Rect dst = { (c - 32) * vr->cw, 0, g->w, g->h };
        SDL_Rect src = { 0, 0, g->w < vr->cw ? g->w : vr->cw, g->h };
        dst.w = src.w;
        SDL_BlitSurface(g, &src, atlas, &dst);
        SDL_FreeSurface(g);
    }
    vr->glyphs = SDL_CreateTextureFromSurface(r, atlas);
    SDL_FreeSurface(atlas);
    if (!vr->glyphs) {
        snprintf(err, errlen, "viewer: %s", SDL_GetError());
        view_render_cleanup(vr);
        return -1;
    }
    SDL_SetTextureBlendMode(vr->glyphs, SDL_BLENDMODE_BLEND);
    view_render_resize(vr, w, h, m);
    return 0;
}

void view_render_resize(view_render_t *vr, int w, int h,
                        const view_model_t *m)
{
    view_layout_compute(&vr->lo, w, h, m->n_se, m->has_mcu);
}

void view_render_cleanup(view_render_t *vr)
{
    if (vr->glyphs)
        SDL_DestroyTexture(vr->glyphs);
    if (vr->font)
        TTF_CloseFont(vr->font);
    vr->glyphs = NULL;
    vr->font = NULL;
}

static void set_rgb(view_render_t *vr, uint32_t rgb)
{
    SDL_SetRenderDrawColor(vr->r, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF,
                           rgb & 0xFF, 255);
}

/* Draws s at (x, y) clipped to max_chars; returns the x after it. */
static int text_n(view_render_t *vr, int x, int y, uint32_t rgb,
                  const char *s, size_t max_chars)
{
    SDL_SetTextureColorMod(vr->glyphs, (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF,
                           rgb & 0xFF);
    for (size_t i = 0; s[i] && i < max_chars; i++, x += vr->cw) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 32 || c >= 127)
            continue;
        SDL_Rect src = { (c - 32) * vr->cw, 0, vr->cw, vr->ch };
        SDL_Rect dst = { x, y, vr->cw, vr->ch };
        SDL_RenderCopy(vr->r, vr->glyphs, &src, &dst);
    }
    return x;
}

static int text(view_render_t *vr, int x, int y, uint32_t rgb, const char *s)
{
    return text_n(vr, x, y, rgb, s, SIZE_MAX);
}

static void text_center(view_render_t *vr, view_rect_t r, uint32_t rgb,
                        const char *s)
{
    size_t n = strlen(s);
    size_t fit = vr->cw > 0 ? (size_t)(r.w / vr->cw) : n;
    if (n > fit)
        n = fit;
    text_n(vr, r.x + (r.w - (int)n * vr->cw) / 2, r.y + (r.h - vr->ch) / 2,
           rgb, s, n);
}

static void fill(view_render_t *vr, view_rect_t r, uint32_t rgb)
{
    set_rgb(vr, rgb);
    SDL_Rect q = { r.x, r.y, r.w, r.h };
    SDL_RenderFillRect(vr->r, &q);
}

static void frame_rect(view_render_t *vr, view_rect_t r, uint32_t rgb,
                       int thick)
{
    set_rgb(vr, rgb);
    for (int i = 0; i < thick; i++) {
        SDL_Rect q = { r.x + i, r.y + i, r.w - 2 * i, r.h - 2 * i };
        SDL_RenderDrawRect(vr->r, &q);
    }
}

static void box(view_render_t *vr, view_rect_t r, uint32_t fill_rgb,
                uint32_t edge, const char *label)
{
    fill(vr, r, fill_rgb);
    frame_rect(vr, r, edge, 1);
    if (label)
        text(vr, r.x + 4, r.y + 3, RGB_TEXT, label);
}

/* A line `thick` pixels wide (axis-parallel offsets, good enough for the
 * short diagonals of the drawing). */
static void line(view_render_t *vr, view_pt_t a, view_pt_t b, int thick)
{
    int dx = abs(b.x - a.x), dy = abs(b.y - a.y);
    for (int i = -(thick / 2); i <= thick / 2 - (thick % 2 == 0); i++) {
        if (dx >= dy)
            SDL_RenderDrawLine(vr->r, a.x, a.y + i, b.x, b.y + i);
        else
            SDL_RenderDrawLine(vr->r, a.x + i, a.y, b.x + i, b.y);
    }
}

static void poly(view_render_t *vr, const view_poly_t *p, uint32_t rgb,
                 int thick)
{
    set_rgb(vr, rgb);
    for (int i = 1; i < p->n; i++)
        line(vr, p->p[i - 1], p->p[i], thick);
}

/* ---- formatting ------------------------------------------------------ */

void view_fmt_dur(char *buf, size_t len, sim_time_t d)
{
    static const struct { uint64_t ps; const char *unit; } u[] = {
        { SIM_PS_PER_S, "s" }, { 1000000000ULL, "ms" }, { 1000000ULL, "us" },
        { 1000ULL, "ns" }, { 1, "ps" },
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        if (d >= u[i].ps || u[i].ps == 1) {
            double v = (double)d / (double)u[i].ps;
            if (u[i].ps == 1 || v >= 100)
                snprintf(buf, len, "%.0f %s", v, u[i].unit);
            else if (v >= 10)
                snprintf(buf, len, "%.1f %s", v, u[i].unit);
            else
                snprintf(buf, len, "%.2f %s", v, u[i].unit);
            return;
        }
    }
}

/* "2.725703961 s" (ns resolution). */
static void fmt_abs(char *buf, size_t len, sim_time_t t)
{
    snprintf(buf, len, "%llu.%09llu s",
             (unsigned long long)(t / SIM_PS_PER_S),
             (unsigned long long)(t % SIM_PS_PER_S / 1000));
}

static void fmt_speed(char *buf, size_t len, double s)
{
    if (s <= 0)
        snprintf(buf, len, "max");
    else if (s >= 1)
        snprintf(buf, len, "%gx", s);
    else
        snprintf(buf, len, "1/%gx", 1.0 / s);
}

/* ---- the card -------------------------------------------------------- */

typedef struct wire_state {
    bool lit;
    bool sel;   /* carries the selected APDU */
} wire_state_t;

typedef struct wires {
    wire_state_t fixed[VIEW_W_NONE];            /* READER, NFC, BLE, SPI */
    wire_state_t pads[VIEW_MAX_SE], mcu[VIEW_MAX_SE];
} wires_t;

static wire_state_t *wire_of(wires_t *ws, view_wire_t w, unsigned se)
{
    if (w == VIEW_W_PADS_SE)
        return se < VIEW_MAX_SE ? &ws->pads[se] : NULL;
    if (w == VIEW_W_MCU_SE)
        return se < VIEW_MAX_SE ? &ws->mcu[se] : NULL;
    if (w < VIEW_W_NONE)
        return &ws->fixed[w];
    return NULL;
}

/* The wires a lane's span runs on: the contact lane's run from the reader
 * to the pads and on to the SE routed. */
static int span_wires(const view_lane_t *l, const view_span_t *s,
                      view_wire_t *w, unsigned *se)
{
    switch (l->wire) {
    case VIEW_W_READER:
    case VIEW_W_PADS_SE:
        w[0] = VIEW_W_READER; se[0] = 0;
        w[1] = VIEW_W_PADS_SE; se[1] = s->se;
        return 2;
    case VIEW_W_MCU_SE:
        w[0] = VIEW_W_MCU_SE; se[0] = l->se;
        return 1;
    case VIEW_W_NONE:
        return 0;
    default:
        w[0] = l->wire; se[0] = l->se;
        return 1;
    }
}

static void collect_wires(const view_model_t *m, const view_frame_t *f,
                          wires_t *ws)
{
    memset(ws, 0, sizeof *ws);
    for (size_t li = 0; li < m->n_lanes; li++) {
        const view_lane_t *l = &m->lanes[li];
        for (size_t k = l->count; k-- > 0;) {
            const view_span_t *s = view_lane_span(l, k);
            if (sim_time_add(s->end, f->persist) <= f->t)
                break;
            if (s->start > f->t)
                continue;
            view_wire_t w[2];
            unsigned se[2];
            int n = span_wires(l, s, w, se);
            for (int i = 0; i < n; i++) {
                wire_state_t *st = wire_of(ws, w[i], se[i]);
                if (!st)
                    continue;
                st->lit = true;
                if (f->selected && s->apdu == f->selected)
                    st->sel = true;
            }
        }
    }
}

/* The blocks on the wires: spans with start <= t < end. */
static void draw_traffic(view_render_t *vr, const view_model_t *m,
                         const view_frame_t *f)
{
    for (size_t li = 0; li < m->n_lanes; li++) {
        const view_lane_t *l = &m->lanes[li];
        uint32_t rgb = view_chan_rgb(l->chan);
        for (size_t k = l->count; k-- > 0;) {
            const view_span_t *s = view_lane_span(l, k);
            if (s->end <= f->t)
                break;
            if (s->start > f->t)
                continue;
            double frac = s->end > s->start ?
                (double)(f->t - s->start) / (double)(s->end - s->start) : 1;
            view_wire_t w[2];
            unsigned se[2];
            int n = span_wires(l, s, w, se);
            if (n == 0)
                continue;
            /* along the whole route: reader -> pads -> SE as one path */
            int i = 0;
            double g = s->to_card ? frac : 1 - frac;
            if (n == 2) {
                i = g < 0.35 ? 0 : 1;
                g = i == 0 ? g / 0.35 : (g - 0.35) / 0.65;
            }
            view_poly_t path;
            view_layout_wire(&vr->lo, w[i], se[i], &path);
            if (path.n == 0)
                continue;
            view_pt_t p = poly_point(&path, g);
            bool sel = f->selected && s->apdu == f->selected;
            view_rect_t b = { p.x - 5, p.y - 5, 11, 11 };
            fill(vr, b, rgb);
            frame_rect(vr, b, sel ? RGB_SEL : 0x000000u, 1);
            char lab[16];
            if (s->kind == VIEW_SPAN_BYTE)
                snprintf(lab, sizeof lab, "%02X", s->byte);
            else
                snprintf(lab, sizeof lab, "%uB", s->len);
            text(vr, p.x + 7, p.y - vr->ch - 2, RGB_TEXT, lab);
        }
    }
}

static void draw_pads(view_render_t *vr, const view_model_t *m)
{
    view_rect_t p = vr->lo.pads;
    uint32_t gold = m->contact_vcc ? view_chan_rgb(VIEW_CH_CONTACT)
                                   : 0x8C7A3Cu;
    fill(vr, p, 0x3A3420u);
    frame_rect(vr, p, gold, 1);
    int cw = (p.w - 12) / 2, chh = (p.h - 16) / 3;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 2; c++)
            fill(vr, rect(p.x + 4 + c * (cw + 4), p.y + 4 + r * (chh + 4),
                          cw, chh), gold);
    text(vr, p.x, p.y + p.h + 2, RGB_DIM, "pads");
}

static void draw_switch(view_render_t *vr, const view_model_t *m, unsigned i,
                        const wires_t *ws)
{
    view_rect_t s = vr->lo.sw[i];
    bool pads = m->se[i].pads_own;
    fill(vr, s, RGB_BOX);
    frame_rect(vr, s, RGB_EDGE, 1);
    view_pt_t pivot = { s.x + s.w - 2, cy(s) };
    view_pt_t to = pads ? pt(s.x + 1, cy(s)) : pt(cx(s), s.y + s.h - 1);
    bool lit = pads ? ws->pads[i].lit : ws->mcu[i].lit;
    uint32_t rgb = lit ? view_chan_rgb(pads ? VIEW_CH_CONTACT
                                            : VIEW_CH_MCU_SE) : RGB_TEXT;
    set_rgb(vr, rgb);
    line(vr, pivot, to, 2);
}

/* A flash operation of SE i runs at t: from its lane, exact at t (the
 * model's busy_until is as of its latest record). */
static bool flash_busy(const view_model_t *m, unsigned i, sim_time_t t)
{
    for (size_t li = 0; li < m->n_lanes; li++) {
        const view_lane_t *l = &m->lanes[li];
        if (l->chan != VIEW_CH_FLASH || l->se != i)
            continue;
        for (size_t k = l->count; k-- > 0;) {
            const view_span_t *s = view_lane_span(l, k);
            if (s->end <= t)
                return false;
            if (s->start <= t)
                return true;
        }
        return false;
    }
    return m->se[i].busy_until > t;
}

static void draw_se(view_render_t *vr, const view_model_t *m, unsigned i,
                    const view_frame_t *f)
{
    const view_se_t *se = &m->se[i];
    view_rect_t b = vr->lo.se[i];
    bool busy = flash_busy(m, i, f->t);
    bool on = se->vcc_pads || se->vcc_mcu || se->state != VIEW_SE_OFF;
    box(vr, b, RGB_BOX, busy ? view_chan_rgb(VIEW_CH_FLASH) : RGB_EDGE,
        NULL);
    char s[48];
    snprintf(s, sizeof s, "SE%u", i);
    text(vr, b.x + 4, b.y + 3, on ? RGB_TEXT : RGB_DIM, s);
    view_rect_t g = vr->lo.badge[i];
    fill(vr, g, view_se_rgb(se->state, busy));
    if (busy)
        snprintf(s, sizeof s, "writing");
    else if (se->state == VIEW_SE_COS)
        snprintf(s, sizeof s, "COS v%u", se->version);
    else if (se->state == VIEW_SE_LOADER)
        snprintf(s, sizeof s, "loader");
    else if (se->state == VIEW_SE_POWERED)
        snprintf(s, sizeof s, "on");
    else if (se->state == VIEW_SE_OFF)
        snprintf(s, sizeof s, "off");
    else
        snprintf(s, sizeof s, "?");
    text_center(vr, g, 0x101010u, s);
    /* the update's progress: bytes of the image programmed */
    int tx = g.x + g.w + 6;
    if (se->image_bytes > 0 && tx + 8 * vr->cw < b.x + b.w) {
        snprintf(s, sizeof s, "img %llu B",
                 (unsigned long long)se->image_bytes);
        text_n(vr, tx, b.y + 3, RGB_TEXT, s,
               (size_t)((b.x + b.w - tx - 2) / vr->cw));
    }
    if (vr->lo.progress[i].w > 0) {
        view_rect_t p = vr->lo.progress[i];
        fill(vr, p, 0x34373Eu);
        /* full at 16 KiB: the size of a COS image of the demo's order */
        double frac = (double)se->image_bytes / 16384.0;
        if (frac > 1)
            frac = 1;
        fill(vr, rect(p.x, p.y, (int)(p.w * frac), p.h),
             view_chan_rgb(VIEW_CH_FLASH));
        if (b.h >= 44 && vr->lo.progress[i].w > 0) {
            snprintf(s, sizeof s, "flash e%llu p%llu",
                     (unsigned long long)se->erases,
                     (unsigned long long)se->programs);
            text_n(vr, b.x + 4, b.y + 22, RGB_DIM, s,
                   (size_t)((b.w - 8) / vr->cw));
        }
    }
}

typedef struct wire_item {
    view_wire_t w;
    unsigned se;
    view_chan_t ch;
} wire_item_t;

static void draw_card(view_render_t *vr, const view_model_t *m,
                      const view_frame_t *f)
{
    view_layout_t *lo = &vr->lo;
    wires_t ws;
    collect_wires(m, f, &ws);

    fill(vr, lo->card, RGB_CARD);
    frame_rect(vr, lo->card, 0x9098A8u, 2);
    text(vr, lo->card.x + 8, lo->card.y + lo->card.h - vr->ch - 4, RGB_DIM,
         "card");

    /* wires under everything */
    wire_item_t list[4 + 2 * VIEW_MAX_SE];
    size_t n = 0;
    list[n++] = (wire_item_t){ VIEW_W_READER, 0, VIEW_CH_CONTACT };
    for (unsigned i = 0; i < lo->n_se; i++) {
        list[n++] = (wire_item_t){ VIEW_W_PADS_SE, i, VIEW_CH_CONTACT };
        if (lo->has_mcu)
            list[n++] = (wire_item_t){ VIEW_W_MCU_SE, i,
                                           VIEW_CH_MCU_SE };
    }
    if (lo->has_mcu) {
        list[n++] = (wire_item_t){ VIEW_W_NFC_AIR, 0, VIEW_CH_NFC };
        list[n++] = (wire_item_t){ VIEW_W_BLE_AIR, 0, VIEW_CH_BLE };
        list[n++] = (wire_item_t){ VIEW_W_SPI, 0, VIEW_CH_SPI };
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            wire_state_t *st = wire_of(&ws, list[i].w, list[i].se);
            if (st->lit != (pass == 1))
                continue;
            view_poly_t p;
            view_layout_wire(lo, list[i].w, list[i].se, &p);
            if (st->sel) {
                view_poly_t q = p;
                poly(vr, &q, RGB_SEL, 7);
            }
            poly(vr, &p, st->lit ? view_chan_rgb(list[i].ch)
                                 : VIEW_RGB_WIRE_IDLE, st->lit ? 3 : 1);
        }
    }
    if (lo->has_mcu && m->field) {
        /* the field: a ring around the front end's antenna side */
        frame_rect(vr, rect(lo->nfc_fe.x - 6, lo->nfc_fe.y - 6,
                            lo->nfc_fe.w + 12, lo->nfc_fe.h + 12),
                   view_chan_rgb(VIEW_CH_NFC), 1);
    }

    box(vr, lo->reader, RGB_BOX, view_chan_rgb(VIEW_CH_CONTACT), "reader");
    text(vr, lo->reader.x + 4, lo->reader.y + 3 + vr->ch, RGB_DIM,
         m->contact_vcc ? "VCC on" : "VCC off");
    draw_pads(vr, m);
    if (lo->has_mcu) {
        box(vr, lo->phone, RGB_BOX, RGB_EDGE, "phone");
        text(vr, lo->phone.x + 4, lo->phone.y + 3 + vr->ch, RGB_DIM,
             m->field ? "field on" : "NFC/BLE");
        box(vr, lo->mcu, RGB_BOX, view_chan_rgb(VIEW_CH_MCU_SE), "MCU");
        text(vr, lo->mcu.x + 4, lo->mcu.y + 3 + vr->ch, RGB_DIM, "BLE");
        box(vr, lo->nfc_fe, RGB_BOX, view_chan_rgb(VIEW_CH_NFC), "NFC");
        text(vr, lo->nfc_fe.x + 4, lo->nfc_fe.y + 3 + vr->ch, RGB_DIM,
             "front");
    }
    for (unsigned i = 0; i < lo->n_se; i++) {
        draw_switch(vr, m, i, &ws);
        draw_se(vr, m, i, f);
    }
    draw_traffic(vr, m, f);

    char s[96];
    snprintf(s, sizeof s, "pads -> SE%u   route: %s", m->route,
             m->route_text[0] ? m->route_text : "-");
    text_n(vr, lo->route_text.x, lo->route_text.y, RGB_DIM, s,
           (size_t)(lo->route_text.w / vr->cw));
    if (f->title)
        text(vr, lo->card_area.x + 8, lo->card_area.y + 2, RGB_DIM,
             f->title);
}

/* ---- lanes ----------------------------------------------------------- */

static double x_of(const view_layout_t *lo, const view_frame_t *f,
                   sim_time_t time)
{
    double x0 = lo->lanes.x + lo->label_w, x1 = lo->lanes.x + lo->lanes.w - 4;
    double back = time >= f->t ? -(double)(time - f->t)
                               : (double)(f->t - time);
    return x1 - back / (double)f->width * (x1 - x0);
}

static void draw_lanes(view_render_t *vr, const view_model_t *m,
                       const view_frame_t *f)
{
    view_layout_t *lo = &vr->lo;
    int ax0 = lo->lanes.x + lo->label_w, ax1 = lo->lanes.x + lo->lanes.w - 4;
    sim_time_t from = f->t > f->width ? f->t - f->width : 0;
    for (size_t li = 0; li < m->n_lanes && li < lo->n_lanes; li++) {
        const view_lane_t *l = &m->lanes[li];
        view_rect_t r = view_layout_lane(lo, li);
        fill(vr, r, li % 2 ? RGB_LANE_B : RGB_LANE_A);
        uint32_t rgb = view_chan_rgb(l->chan);
        text_n(vr, r.x + 4, r.y + (r.h - vr->ch) / 2, rgb, l->name,
               (size_t)((lo->label_w - 6) / vr->cw));
        SDL_Rect clip = { ax0, r.y, ax1 - ax0 + 1, r.h };
        SDL_RenderSetClipRect(vr->r, &clip);
        int half = (r.h - 4) / 2;
        for (size_t k = l->count; k-- > 0;) {
            const view_span_t *s = view_lane_span(l, k);
            if (s->end < from)
                break;
            if (s->start > f->t)
                continue;
            int x0 = (int)floor(x_of(lo, f, s->start));
            sim_time_t e = s->end < f->t ? s->end : f->t;
            int x1 = (int)ceil(x_of(lo, f, e));
            if (x1 <= x0)
                x1 = x0 + 1;
            view_rect_t b;
            if (s->kind == VIEW_SPAN_BYTE || s->kind == VIEW_SPAN_FRAME)
                b = rect(x0, r.y + 2 + (s->to_card ? 0 : half), x1 - x0,
                         half);
            else
                b = rect(x0, r.y + 2, x1 - x0, r.h - 4);
            uint32_t c = s->kind == VIEW_SPAN_ERASE ? 0xA03C5Au : rgb;
            fill(vr, b, c);
            if (f->selected && s->apdu == f->selected)
                frame_rect(vr, b, RGB_SEL, 1);
            else if (b.w > 3)
                frame_rect(vr, b, 0x101010u, 1);
            if (b.w >= 2 * vr->cw + 2 && half + 2 >= vr->ch - 4) {
                char lab[16];
                if (s->kind == VIEW_SPAN_BYTE)
                    snprintf(lab, sizeof lab, "%02X", s->byte);
                else
                    snprintf(lab, sizeof lab, "%u", s->len);
                text_n(vr, b.x + 2, b.y + (b.h - vr->ch) / 2, 0x101010u, lab,
                       (size_t)((b.w - 2) / vr->cw));
            }
        }
        SDL_RenderSetClipRect(vr->r, NULL);
    }
    /* the ruler: ticks back from t, labelled relative to it */
    fill(vr, lo->ruler, RGB_PANEL);
    double per_px = (double)f->width / (ax1 - ax0);
    double want = per_px * 110; /* a label every ~110 px at least */
    double step = 1;
    while (step < want) {
        if (step * 2 >= want) { step *= 2; break; }
        if (step * 5 >= want) { step *= 5; break; }
        step *= 10;
    }
    set_rgb(vr, RGB_DIM);
    for (int k = 0; ; k++) {
        double back = k * step;
        if (back > (double)f->width)
            break;
        int x = (int)lround(ax1 - back / per_px);
        SDL_RenderDrawLine(vr->r, x, lo->ruler.y, x, lo->ruler.y + 5);
        SDL_RenderDrawLine(vr->r, x, lo->lanes.y, x, lo->lanes.y + 2);
        char lab[32] = "now";
        if (k > 0) {
            lab[0] = '-';
            view_fmt_dur(lab + 1, sizeof lab - 1, (sim_time_t)back);
        }
        int tw = (int)strlen(lab) * vr->cw;
        if (x - tw - 2 >= ax0)
            text(vr, x - tw - 2, lo->ruler.y + 4, RGB_DIM, lab);
        set_rgb(vr, RGB_DIM);
    }
    set_rgb(vr, 0xFFFFFFu);
    SDL_RenderDrawLine(vr->r, ax1, lo->lanes.y, ax1,
                       lo->lanes.y + lo->lanes.h);
    char w[32];
    view_fmt_dur(w, sizeof w, f->width);
    char s[48];
    snprintf(s, sizeof s, "%s", w);
    text_n(vr, 4, lo->ruler.y + 4, RGB_DIM, s,
           (size_t)((lo->label_w - 6) / vr->cw));
}

/* ---- the APDU panel -------------------------------------------------- */

size_t view_render_apdu_rows(const view_model_t *m, sim_time_t t,
                             uint32_t *ids, size_t max)
{
    size_t n = 0;
    for (size_t i = m->apdu_count; i-- > 0 && n < max;) {
        const view_apdu_t *a = view_model_apdu(m, i);
        if (a->start > t)
            continue;
        ids[n++] = a->id;
    }
    return n;
}

static void draw_apdus(view_render_t *vr, const view_model_t *m,
                       const view_frame_t *f)
{
    view_layout_t *lo = &vr->lo;
    view_rect_t p = lo->apdu_panel;
    fill(vr, p, RGB_PANEL);
    frame_rect(vr, p, 0x3A3D46u, 1);
    size_t cols = (size_t)((p.w - 8) / vr->cw);
    text_n(vr, p.x + 4, p.y + 4, RGB_TEXT,
           "  id path        command       SW   time", cols);
    uint32_t ids[256];
    size_t max = lo->apdu_rows < 256 ? lo->apdu_rows : 256;
    size_t n = view_render_apdu_rows(m, f->t, ids, max);
    for (size_t i = 0; i < n; i++) {
        const view_apdu_t *a = view_model_apdu_by_id(m, ids[i]);
        if (!a)
            continue;
        view_rect_t r = view_layout_apdu_row(lo, i);
        bool sel = a->id == f->selected;
        if (sel)
            fill(vr, r, 0x3C4660u);
        bool done = a->answered && a->end <= f->t;
        char sw[8] = "....", dur[24] = "";
        if (done) {
            snprintf(sw, sizeof sw, "%04X", a->sw);
            view_fmt_dur(dur, sizeof dur, a->end - a->start);
        }
        char s[128];
        snprintf(s, sizeof s, "%4u %-11.11s %-13.13s %s %s", a->id, a->path,
                 a->name, sw, dur);
        uint32_t c = RGB_TEXT;
        if (done && a->sw != 0x9000 && (a->sw >> 8) != 0x61)
            c = 0xFF8080u;
        text_n(vr, r.x + 2, r.y + 1, sel ? 0xFFFFFFu : c, s, cols);
    }
    /* the selected APDU in full */
    const view_apdu_t *a = f->selected ?
        view_model_apdu_by_id(m, f->selected) : NULL;
    int y = p.y + p.h - 3 * APDU_ROW_H - 2;
    set_rgb(vr, 0x3A3D46u);
    SDL_RenderDrawLine(vr->r, p.x, y - 2, p.x + p.w - 1, y - 2);
    if (!a) {
        text_n(vr, p.x + 4, y, RGB_DIM,
               "click an APDU (or Up/Down) to follow it", cols);
        return;
    }
    char s[160], h[40] = "";
    size_t k = a->cmd_len < sizeof a->cmd ? a->cmd_len : sizeof a->cmd;
    for (size_t i = 0; i < k; i++)
        snprintf(h + 3 * i, sizeof h - 3 * i, "%02X ", a->cmd[i]);
    snprintf(s, sizeof s, "#%u %s %s", a->id, a->path, a->name);
    text_n(vr, p.x + 4, y, 0xFFFFFFu, s, cols);
    snprintf(s, sizeof s, "cmd %s%s(%zu B)", h,
             a->cmd_len > sizeof a->cmd ? "... " : "", a->cmd_len);
    text_n(vr, p.x + 4, y + APDU_ROW_H, RGB_TEXT, s, cols);
    char t0[32], d[24];
    fmt_abs(t0, sizeof t0, a->start);
    if (a->answered) {
        view_fmt_dur(d, sizeof d, a->end - a->start);
        snprintf(s, sizeof s, "at %s, %s; rsp %zu B SW %04X", t0, d,
                 a->rsp_len, a->sw);
    } else {
        snprintf(s, sizeof s, "at %s, not answered yet", t0);
    }
    text_n(vr, p.x + 4, y + 2 * APDU_ROW_H, RGB_TEXT, s, cols);
}

/* ---- header, help ---------------------------------------------------- */

static void draw_header(view_render_t *vr, const view_model_t *m,
                        const view_frame_t *f)
{
    view_layout_t *lo = &vr->lo;
    fill(vr, lo->header, 0x262A33u);
    char s[96], t[40];
    fmt_abs(t, sizeof t, f->t);
    snprintf(s, sizeof s, "t %s", t);
    text(vr, lo->time_text.x, lo->time_text.y, 0xFFFFFFu, s);
    snprintf(s, sizeof s, "mode: %s", m->mode[0] ? m->mode : "-");
    fill(vr, lo->mode_text, 0x303644u);
    text_n(vr, lo->mode_text.x + 4, lo->mode_text.y + 1, 0xFFE080u, s,
           (size_t)((lo->mode_text.w - 8) / vr->cw));
    if (f->snapshot)
        return;
    char sp[24];
    fmt_speed(sp, sizeof sp, f->speed);
    snprintf(s, sizeof s, "speed %s%s%s", sp,
             f->finished ? "  END" : f->paused ? "  PAUSED" : "",
             f->status ? "" : "");
    text(vr, lo->speed_text.x, lo->speed_text.y,
         f->paused ? 0xFF9060u : RGB_TEXT, s);
    if (f->status)
        text(vr, lo->speed_text.x + lo->speed_text.w, lo->speed_text.y,
             RGB_DIM, f->status);
    for (int i = 0; i < VIEW_BTN_COUNT; i++) {
        bool on = (i == VIEW_BTN_PAUSE && f->paused) ||
                  (i == VIEW_BTN_MAX && f->speed <= 0) ||
                  (i == VIEW_BTN_HELP && f->help);
        box(vr, lo->buttons[i], on ? 0x4A5670u : 0x363B46u, RGB_EDGE, NULL);
        text_center(vr, lo->buttons[i], RGB_TEXT,
                    i == VIEW_BTN_PAUSE && f->paused ? ">" : btn_label[i]);
    }
}

static const char *const help_lines[] = {
    "cardsim bus viewer",
    "",
    "Space / P     pause, resume",
    "Right / N     step to the next record",
    "Enter / A     step to the next APDU",
    "+ / -         faster, slower (1/100000x .. 10x)",
    "M             maximum speed on/off",
    "Z / X, wheel  zoom the timeline in, out",
    "Up / Down     select an APDU (pauses); C clears",
    "click a row   select that APDU (pauses)",
    "H / F1 / ?    this help",
    "Q / Esc       close the viewer (the run finishes)",
    "",
    "speed: simulated seconds per wall second",
    "wires light in their channel's colour:",
};

static void draw_help(view_render_t *vr)
{
    int n = (int)(sizeof help_lines / sizeof help_lines[0]);
    int w = 52 * vr->cw + 24, h = (n + 3) * (vr->ch + 2) + 16;
    view_rect_t r = rect((vr->lo.w - w) / 2, (vr->lo.h - h) / 2, w, h);
    SDL_SetRenderDrawBlendMode(vr->r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(vr->r, 16, 18, 24, 235);
    SDL_Rect q = { r.x, r.y, r.w, r.h };
    SDL_RenderFillRect(vr->r, &q);
    SDL_SetRenderDrawBlendMode(vr->r, SDL_BLENDMODE_NONE);
    frame_rect(vr, r, 0xA0A8B8u, 2);
    int y = r.y + 10;
    for (int i = 0; i < n; i++, y += vr->ch + 2)
        text(vr, r.x + 12, y, i == 0 ? 0xFFFFFFu : RGB_TEXT, help_lines[i]);
    int x = r.x + 12;
    for (int c = 0; c < VIEW_CH_COUNT; c++) {
        const char *name = view_chan_name((view_chan_t)c);
        x = text(vr, x, y, view_chan_rgb((view_chan_t)c), name ? name : "?");
        x += vr->cw;
    }
}

void view_render_draw(view_render_t *vr, const view_model_t *m,
                      const view_frame_t *f)
{
    set_rgb(vr, VIEW_RGB_BG);
    SDL_RenderClear(vr->r);
    SDL_SetRenderDrawBlendMode(vr->r, SDL_BLENDMODE_NONE);
    draw_card(vr, m, f);
    draw_apdus(vr, m, f);
    draw_lanes(vr, m, f);
    draw_header(vr, m, f);
    if (f->help)
        draw_help(vr);
}
