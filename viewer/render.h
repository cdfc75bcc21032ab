/* SPDX-License-Identifier: MIT */
/* viewer/render.h - drawing the bus viewer's model (viewer/model.h) with
 * SDL2: the card and its wires with the traffic moving along them, the
 * timeline lanes, the APDU panel, the header (time, mode, speed) and the
 * help overlay. One frame shows one simulated instant t <= the model's now.
 *
 * The layout is plain arithmetic on the window size and the card's shape,
 * public so that tests and the app find things on screen (an SE's badge, a
 * point on a wire, the APDU rows, the buttons) without a renderer.
 *
 * Drawing an instant t:
 *  - a span (byte, frame) is on its wire while start <= t < end, drawn as
 *    a block moving from the sender to the receiver in proportion; the
 *    wire is lit in its channel's colour from the span's start until
 *    `persist` after its end (an afterglow, so that traffic that lasts
 *    less than a frame is still seen, and a snapshot, which holds only the
 *    records completed before t, shows the wire that is busy);
 *  - lanes show the spans of the last `width` of simulated time, t at the
 *    right edge; spans of the selected APDU are outlined in white;
 *  - SE states, routing, mode and progress are the model's (as of its
 *    latest record; in a snapshot exactly those before t). */
#ifndef VIEWER_RENDER_H
#define VIEWER_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "sim/time.h"
#include "viewer/model.h"

/* The font: DejaVu Sans Mono (Debian fonts-dejavu-core); the environment
 * variable CARDSIM_VIEW_FONT overrides the path. */
#define VIEW_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define VIEW_FONT_PT 13

/* Colours as 0xRRGGBB, exactly as drawn (tests look for them). */
#define VIEW_RGB_BG        0x181A1Eu   /* window background */
#define VIEW_RGB_WIRE_IDLE 0x50525Au   /* a wire with nothing on it */
uint32_t view_chan_rgb(view_chan_t c);
/* The badge colour of an SE state (VIEW_SE_*), busy = writing flash. */
uint32_t view_se_rgb(view_se_state_t s, bool busy);

typedef struct view_rect { int x, y, w, h; } view_rect_t;
typedef struct view_pt { int x, y; } view_pt_t;

#define VIEW_POLY_MAX 6
/* A wire's path, from its terminal side (p[0]) to its card side. */
typedef struct view_poly {
    view_pt_t p[VIEW_POLY_MAX];
    int n;
} view_poly_t;

typedef enum view_button {
    VIEW_BTN_PAUSE,
    VIEW_BTN_STEP,      /* to the next record */
    VIEW_BTN_APDU,      /* to the next APDU */
    VIEW_BTN_SLOWER,
    VIEW_BTN_FASTER,
    VIEW_BTN_MAX,       /* maximum speed on/off */
    VIEW_BTN_ZOOM_IN,
    VIEW_BTN_ZOOM_OUT,
    VIEW_BTN_HELP,
    VIEW_BTN_COUNT,
} view_button_t;

typedef struct view_layout {
    int w, h;
    unsigned n_se;
    bool has_mcu;
    size_t n_lanes;
    view_rect_t header, time_text, mode_text, speed_text, route_text;
    view_rect_t buttons[VIEW_BTN_COUNT];
    view_rect_t card_area;  /* left part under the header */
    view_rect_t card;       /* the card's outline */
    view_rect_t reader, phone, pads, mcu, nfc_fe;
    view_rect_t se[VIEW_MAX_SE];
    view_rect_t badge[VIEW_MAX_SE];    /* the state badge in the SE box */
    view_rect_t progress[VIEW_MAX_SE]; /* image bytes written */
    view_rect_t sw[VIEW_MAX_SE];       /* the per-SE switch */
    view_rect_t apdu_panel;
    int apdu_row_h, apdu_y0;
    size_t apdu_rows;       /* rows that fit */
    view_rect_t lanes;      /* all lanes, labels included */
    int lane_h, label_w;
    view_rect_t ruler;
} view_layout_t;

/* Lanes: 4 + n_se (flash) + n_se more with an MCU (model.h's order). */
void view_layout_compute(view_layout_t *lo, int w, int h, unsigned n_se,
                         bool has_mcu);
view_rect_t view_layout_se_badge(const view_layout_t *lo, unsigned se);
view_rect_t view_layout_mode(const view_layout_t *lo);
/* Row 0 is the newest APDU shown (top of the panel). */
view_rect_t view_layout_apdu_row(const view_layout_t *lo, size_t row);
/* The lane's whole row; its time axis is x from lanes.x + label_w to the
 * right edge. */
view_rect_t view_layout_lane(const view_layout_t *lo, size_t lane);
/* The wire's path; `se` is used by the per-SE wires. n = 0 if the card has
 * no such wire. */
void view_layout_wire(const view_layout_t *lo, view_wire_t w, unsigned se,
                      view_poly_t *out);
/* The point at `frac` (0 = terminal side, 1 = card side) of the path's
 * length. */
view_pt_t view_layout_wire_point(const view_layout_t *lo, view_wire_t w,
                                 unsigned se, double frac);
/* Hit tests: the APDU row, the button, the lane under (x, y), or -1. */
int view_layout_apdu_row_at(const view_layout_t *lo, int x, int y);
int view_layout_button_at(const view_layout_t *lo, int x, int y);
int view_layout_lane_at(const view_layout_t *lo, int x, int y);

/* What a frame shows besides the model. */
typedef struct view_frame {
    sim_time_t t;           /* the instant drawn (<= the model's now) */
    sim_time_t width;       /* simulated time across the lanes */
    sim_time_t persist;     /* afterglow of a wire */
    uint32_t selected;      /* APDU id highlighted, 0: none */
    double speed;           /* simulated s per wall s; <= 0: maximum */
    bool paused, help, finished;
    bool snapshot;          /* no speed or controls in the header */
    const char *title;      /* scenario name, may be NULL */
    const char *status;     /* extra header text (frames/s), may be NULL */
} view_frame_t;

typedef struct view_render {
    SDL_Renderer *r;
    TTF_Font *font;
    SDL_Texture *glyphs;    /* ASCII 32..126 in one row, white */
    int cw, ch;             /* the monospace cell */
    view_layout_t lo;
} view_render_t;

/* Opens the font and builds the glyph atlas for renderer r, lays out a
 * w x h window. TTF_Init() must have run. Returns 0, or -1 with err. */
int view_render_init(view_render_t *vr, SDL_Renderer *r, int w, int h,
                     const view_model_t *m, char *err, size_t errlen);
void view_render_resize(view_render_t *vr, int w, int h,
                        const view_model_t *m);
/* Draws a whole frame (does not present it). */
void view_render_draw(view_render_t *vr, const view_model_t *m,
                      const view_frame_t *f);
void view_render_cleanup(view_render_t *vr);

/* The APDUs the panel lists at instant t, newest first: writes up to max
 * ids, returns how many. The app maps a clicked row to its APDU with it. */
size_t view_render_apdu_rows(const view_model_t *m, sim_time_t t,
                             uint32_t *ids, size_t max);
/* A duration in the unit that suits it: "850 ns", "12.5 us", "3.20 ms",
 * "1.250 s" (3 significant digits at least). */
void view_fmt_dur(char *buf, size_t len, sim_time_t d);

#endif /* VIEWER_RENDER_H */
