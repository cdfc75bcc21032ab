/* SPDX-License-Identifier: MIT */
/* tests/view/view_check.c - checks the viewer's snapshots of
 * scenarios/demo.json for their content (not pixel-exact images): finds
 * the wires, badges and the mode text with the viewer's own layout
 * (viewer/render.h) and compares colours and regions.
 *
 * usage: view_check W H LOADER.png CONTACT.png NFC.png
 *   LOADER:  0.03 s, the MCU found each SE's loader, nothing on the wires
 *   CONTACT: mid-block of the contact update (SE0 routed to the pads)
 *   NFC:     mid-block of the NFC update of SE1 (SE0 runs COS v1)
 * (times: tests/view/snapshots.sh)
 * Exit 0 when every check holds, 1 (with what failed) otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>

#include "viewer/render.h"

static int failures;

#define CHECK(cond, ...) do { \
        if (!(cond)) { \
            printf("FAIL: "); \
            printf(__VA_ARGS__); \
            printf("\n"); \
            failures++; \
        } else { \
            printf("ok: "); \
            printf(__VA_ARGS__); \
            printf("\n"); \
        } \
    } while (0)

static SDL_Surface *load(const char *file, int w, int h)
{
    SDL_Surface *s = IMG_Load(file);
    if (!s) {
        fprintf(stderr, "view_check: cannot load %s: %s\n", file,
                IMG_GetError());
        exit(1);
    }
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(s);
    if (!c || c->w != w || c->h != h) {
        fprintf(stderr, "view_check: %s: expected %dx%d\n", file, w, h);
        exit(1);
    }
    return c;
}

static uint32_t px(const SDL_Surface *s, int x, int y)
{
    if (x < 0 || y < 0 || x >= s->w || y >= s->h)
        return 0xFFFFFFFFu;
    const uint8_t *row = (const uint8_t *)s->pixels + (size_t)y * s->pitch;
    return ((const uint32_t *)row)[x] & 0xFFFFFFu;
}

/* The colour within one pixel of (x, y)? */
static bool near(const SDL_Surface *s, view_pt_t p, uint32_t rgb)
{
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
            if (px(s, p.x + dx, p.y + dy) == rgb)
                return true;
    return false;
}

/* Of 7 points along the wire (past the part the pads' wires share), how
 * many show its channel's colour. */
static int lit_points(const SDL_Surface *s, const view_layout_t *lo,
                      view_wire_t w, unsigned se, view_chan_t ch)
{
    int n = 0;
    for (int i = 3; i <= 9; i++) {
        view_pt_t p = view_layout_wire_point(lo, w, se, i / 10.0);
        n += near(s, p, view_chan_rgb(ch));
    }
    return n;
}

static int idle_points(const SDL_Surface *s, const view_layout_t *lo,
                       view_wire_t w, unsigned se)
{
    int n = 0;
    for (int i = 3; i <= 9; i++) {
        view_pt_t p = view_layout_wire_point(lo, w, se, i / 10.0);
        n += near(s, p, VIEW_RGB_WIRE_IDLE);
    }
    return n;
}

/* Pixels that differ between a and b in r. */
static long diff(const SDL_Surface *a, const SDL_Surface *b, view_rect_t r)
{
    long n = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            n += px(a, x, y) != px(b, x, y);
    return n;
}

/* Pixels of colour rgb in r. */
static long count(const SDL_Surface *s, view_rect_t r, uint32_t rgb)
{
    long n = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            n += px(s, x, y) == rgb;
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: view_check W H LOADER.png CONTACT.png "
                        "NFC.png\n");
        return 2;
    }
    int w = atoi(argv[1]), h = atoi(argv[2]);
    SDL_Surface *loader = load(argv[3], w, h);
    SDL_Surface *contact = load(argv[4], w, h);
    SDL_Surface *nfc = load(argv[5], w, h);
    view_layout_t lo;
    view_layout_compute(&lo, w, h, 3, true); /* the demo's card */

    /* wires: lit in their channel's colour while busy, idle otherwise */
    int n = lit_points(contact, &lo, VIEW_W_READER, 0, VIEW_CH_CONTACT);
    CHECK(n >= 6, "contact: reader wire lit in the contact colour "
          "(%d of 7 points)", n);
    n = lit_points(contact, &lo, VIEW_W_PADS_SE, 0, VIEW_CH_CONTACT);
    CHECK(n >= 6, "contact: pads -> SE0 wire lit (%d of 7)", n);
    n = lit_points(contact, &lo, VIEW_W_PADS_SE, 1, VIEW_CH_CONTACT);
    CHECK(n == 0, "contact: pads -> SE1 wire not lit (%d of 7)", n);
    n = lit_points(nfc, &lo, VIEW_W_READER, 0, VIEW_CH_CONTACT);
    CHECK(n == 0, "nfc: reader wire not lit (%d of 7)", n);
    n = idle_points(nfc, &lo, VIEW_W_READER, 0);
    CHECK(n >= 6, "nfc: reader wire drawn idle (%d of 7)", n);
    n = lit_points(loader, &lo, VIEW_W_READER, 0, VIEW_CH_CONTACT);
    CHECK(n == 0, "loader: reader wire not lit (%d of 7)", n);
    n = lit_points(nfc, &lo, VIEW_W_MCU_SE, 1, VIEW_CH_MCU_SE);
    CHECK(n >= 6, "nfc: MCU -> SE1 wire lit in the MCU-SE colour "
          "(%d of 7)", n);
    n = lit_points(contact, &lo, VIEW_W_MCU_SE, 1, VIEW_CH_MCU_SE);
    CHECK(n == 0, "contact: MCU -> SE1 wire not lit (%d of 7)", n);

    /* SE0's badge: loader at first, COS v1 after the contact update */
    view_rect_t b = view_layout_se_badge(&lo, 0);
    long d = diff(loader, nfc, b);
    CHECK(d > b.w * b.h / 4, "SE0 badge differs between loader and COS "
          "(%ld of %d pixels)", d, b.w * b.h);
    long c = count(loader, b, view_se_rgb(VIEW_SE_LOADER, false));
    CHECK(c > b.w * b.h / 2, "loader: SE0 badge in the loader colour "
          "(%ld px)", c);
    c = count(nfc, b, view_se_rgb(VIEW_SE_COS, false));
    CHECK(c > b.w * b.h / 2, "nfc: SE0 badge in the COS colour (%ld px)",
          c);
    view_rect_t b2 = view_layout_se_badge(&lo, 2);
    d = diff(loader, nfc, b2);
    CHECK(d == 0, "SE2 badge the same (loader) in both (%ld pixels)", d);

    /* the mode: contact, then nfc */
    view_rect_t m = view_layout_mode(&lo);
    d = diff(contact, nfc, m);
    CHECK(d > 20, "mode text region changes from contact to nfc "
          "(%ld pixels)", d);

    SDL_FreeSurface(loader);
    SDL_FreeSurface(contact);
    SDL_FreeSurface(nfc);
    return failures ? 1 : 0;
}
