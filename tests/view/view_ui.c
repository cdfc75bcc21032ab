/* SPDX-License-Identifier: MIT */
/* tests/view/view_ui.c - the viewer's window driven through its controls:
 * a one-node simulation publishes contact characters and APDUs while a
 * timer thread plays keys and clicks into SDL's event queue (help, pause,
 * step, step to an APDU, select, zoom, speed, maximum speed; and in a
 * second run, quit in the middle). Checks that every run ends, draws
 * frames, and that the sink saw every record whatever the controls did.
 * Needs a display: run under xvfb-run; exits 77 (skipped) without one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "sim/event.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "viewer/app.h"
#include "viewer/render.h"

#define END SIM_MS(300)
#define PERIOD SIM_US(100)

typedef struct gen {
    sim_t sim;
    sim_node_t node, peer;
    sim_link_t link, back; /* keep the kernel's rounds short, as on the
                              card */
    sim_event_t ev;
    trace_bus_t bus;
    unsigned n;
    uint64_t seen;      /* records a second sink counted */
} gen_t;

static void tick(sim_event_t *ev, sim_time_t now)
{
    gen_t *g = ev->ctx;
    uint8_t b = (uint8_t)g->n;
    bool rsp = (g->n / 16) % 2;
    trace_rec_t r = {
        .time = now, .start = now - SIM_US(50), .kind = TRACE_LINE_BYTE,
        .source = "gen", .path = "contact",
        .dir = rsp ? TRACE_DIR_RSP : TRACE_DIR_CMD, .data = &b, .len = 1,
    };
    trace_publish(&g->bus, &r);
    if (g->n % 16 == 15) {
        static const uint8_t cmd[] = { 0x00, 0xA4, 0x04, 0x00, 0x00 };
        static const uint8_t ok[] = { 0x90, 0x00 };
        trace_rec_t a = {
            .time = now, .start = now - 15 * PERIOD - SIM_US(50),
            .kind = TRACE_APDU, .source = "gen", .path = "CONTACT>SE0",
            .dir = rsp ? TRACE_DIR_RSP : TRACE_DIR_CMD,
            .data = rsp ? ok : cmd, .len = rsp ? 2 : 5,
        };
        trace_publish(&g->bus, &a);
    }
    sim_link_send(&g->link, now, 0, b, NULL, 0);
    g->n++;
    if (now < END)
        sim_schedule(&g->node, ev, now + PERIOD);
}

static void peer_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    (void)ctx;
    (void)m;
    (void)now;
}

static void count(void *ctx, const trace_rec_t *rec)
{
    (void)rec;
    ((gen_t *)ctx)->seen++;
}

/* The script: one event per timer tick. */
typedef struct step { int type; SDL_Keycode key; } step_t;
enum { KEY, CLICK_ROW, CLICK_PAUSE, WHEEL };

static const step_t script_all[] = {
    { KEY, SDLK_h }, { KEY, SDLK_h }, { KEY, SDLK_SPACE }, { KEY, SDLK_n },
    { KEY, SDLK_n }, { KEY, SDLK_a }, { KEY, SDLK_DOWN }, { KEY, SDLK_UP },
    { CLICK_ROW, 0 }, { KEY, SDLK_c }, { KEY, SDLK_z }, { WHEEL, 0 },
    { KEY, SDLK_x }, { KEY, SDLK_MINUS }, { KEY, SDLK_PLUS },
    { CLICK_PAUSE, 0 }, { KEY, SDLK_m }, { 0, 0 },
};
static const step_t script_quit[] = {
    { KEY, SDLK_SPACE }, { KEY, SDLK_q }, { 0, 0 },
};

typedef struct player {
    const step_t *script;
    size_t at;
    view_layout_t lo;
} player_t;

static void push_click(int x, int y)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_MOUSEBUTTONDOWN;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.x = x;
    e.button.y = y;
    SDL_PushEvent(&e);
}

static Uint32 play(Uint32 interval, void *ctx)
{
    player_t *p = ctx;
    const step_t *s = &p->script[p->at];
    SDL_Event e;
    memset(&e, 0, sizeof e);
    switch (s->type) {
    case KEY:
        e.type = SDL_KEYDOWN;
        e.key.keysym.sym = s->key;
        SDL_PushEvent(&e);
        break;
    case CLICK_ROW: {
        view_rect_t r = view_layout_apdu_row(&p->lo, 0);
        push_click(r.x + r.w / 2, r.y + r.h / 2);
        break;
    }
    case CLICK_PAUSE: {
        view_rect_t r = p->lo.buttons[VIEW_BTN_PAUSE];
        push_click(r.x + r.w / 2, r.y + r.h / 2);
        break;
    }
    case WHEEL:
        e.type = SDL_MOUSEWHEEL;
        e.wheel.y = 1;
        SDL_PushEvent(&e);
        break;
    default:
        return 0; /* done */
    }
    p->at++;
    return interval;
}

static int run(const step_t *script, const char *what)
{
    gen_t *g = calloc(1, sizeof *g);
    sim_init(&g->sim, 1);
    sim_node_init(&g->node, &g->sim, "gen", g);
    sim_node_init(&g->peer, &g->sim, "peer", g);
    sim_link_init(&g->link, &g->sim, "gen>peer", &g->node, &g->peer,
                  SIM_US(20), 0, peer_rx, g);
    sim_link_init(&g->back, &g->sim, "peer>gen", &g->peer, &g->node,
                  SIM_US(20), 0, peer_rx, g);
    sim_event_init(&g->ev, "gen.tick", tick, g);
    trace_bus_init(&g->bus);
    trace_sink_t s = { .name = "count", .mask = TRACE_MASK_ALL,
                       .record = count, .ctx = g };
    trace_bus_add_sink(&g->bus, &s);

    view_app_cfg_t cfg = {
        .window = true, .speed = 0.2, .width = 1280, .height = 800,
        .close_at_end = true, .stats = true, .title = what, .n_se = 1,
        .has_mcu = false,
    };
    view_app_t *app;
    char err[512];
    if (view_app_open(&app, &cfg, err, sizeof err) != 0) {
        printf("skipped: %s\n", err);
        return 77;
    }
    view_app_add_sink(app, &g->bus);
    trace_bus_attach(&g->bus, &g->sim);
    view_app_start(app, &g->sim);
    sim_schedule(&g->node, &g->ev, PERIOD);

    player_t p = { .script = script };
    view_layout_compute(&p.lo, 1280, 800, 1, false);
    if (SDL_InitSubSystem(SDL_INIT_TIMER) != 0) {
        printf("FAIL: timer: %s\n", SDL_GetError());
        return 1;
    }
    SDL_TimerID tid = SDL_AddTimer(150, play, &p);
    sim_time_t end = sim_run_until(&g->sim, END + 1);
    trace_bus_release(&g->bus, end);
    int rc = 0;
    if (view_app_finish(app, end, err, sizeof err) != 0) {
        printf("FAIL: %s: %s\n", what, err);
        rc = 1;
    }
    SDL_RemoveTimer(tid);
    double wall;
    uint64_t frames = view_app_frames(app, &wall);
    view_app_free(app);
    trace_bus_close(&g->bus, err, sizeof err);
    /* 3000 characters and 187 APDUs, whatever the controls did */
    uint64_t want = 3000 + 3000 / 16;
    if (g->seen != want) {
        printf("FAIL: %s: %llu records, expected %llu\n", what,
               (unsigned long long)g->seen, (unsigned long long)want);
        rc = 1;
    }
    if (frames < 5) {
        printf("FAIL: %s: %llu frames\n", what, (unsigned long long)frames);
        rc = 1;
    }
    printf("%s: %llu frames in %.2f s, %zu events played\n", what,
           (unsigned long long)frames, wall, p.at);
    if (!rc)
        printf("ok: %s: %llu frames in %.2f s, %zu events played\n", what,
               (unsigned long long)frames, wall, p.at);
    sim_cleanup(&g->sim);
    free(g);
    return rc;
}

int main(void)
{
    int rc = run(script_all, "controls");
    if (rc == 0)
        rc = run(script_quit, "quit");
    return rc;
}
