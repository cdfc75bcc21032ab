/* SPDX-License-Identifier: MIT */
/* viewer/app.c - the bus viewer's window, pacing, controls and snapshots
 * (app.h).
 *
 * Pacing: with speed s (simulated seconds per wall second) the displayed
 * instant follows base_t + (wall - base_wall) * s. After a round whose
 * watermark W is more than LEAD ahead of it, the round hook waits,
 * rendering frames at up to 60 Hz and handling input, until the displayed
 * instant reaches W - LEAD (the lead: every frame is known from its start,
 * so it is drawn moving); paused, it loops the same way without
 * advancing. At maximum speed it never waits and renders a frame every
 * 33 ms of wall time (on a grid), reading the clock only every 64
 * rounds. Stepping lets the run go on until the sink takes the next
 * record (or APDU), then pauses at that record's time.
 * Quitting closes the window; the run then finishes with no viewer work.
 *
 * Snapshots: the sink renders snapshot T just before it applies the first
 * record with time >= T, so the model holds exactly the records before T;
 * the rest are rendered at the run's end. They use a software renderer on
 * a surface: no window, no display, no video subsystem.
 *
 * Notes:
 *  - the wall clock is read here only (CLOCK_MONOTONIC); it decides when
 *    the hook returns, never what the simulation does;
 *  - SDL's signal handlers are off: Ctrl-C ends the run as without the
 *    viewer. */
#include "viewer/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>

#include "viewer/model.h"
#include "viewer/render.h"

#define FRAME_S (1.0 / 60.0)       /* paced and paused frames */
#define MAX_FRAME_S (1.0 / 30.0)   /* frames at maximum speed */
#define SNAP_PERSIST SIM_MS(2)     /* afterglow of a wire in a snapshot */
#define DEFAULT_WIDTH_PS SIM_MS(50) /* the timeline's initial width */
#define LEAD SIM_MS(30)            /* the run ahead of the display: longer
                                      than an NFC frame of 256 bytes (22 ms) */

enum { STEP_NONE, STEP_RECORD, STEP_APDU };

static const double speeds[] = {
    1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2,
    0.1, 0.2, 0.5, 1, 2, 5, 10,
};
#define N_SPEEDS (sizeof speeds / sizeof speeds[0])

struct view_app {
    view_app_cfg_t cfg;
    view_snap_t *snaps;
    size_t n_snaps, next_snap;
    view_model_t model;
    char title[128];

    /* the window */
    SDL_Window *win;
    SDL_Renderer *wr;
    view_render_t wview;
    bool open;          /* the window is up */
    bool video;         /* the video subsystem is initialised */

    /* snapshots */
    SDL_Surface *surf;
    SDL_Renderer *sr;
    view_render_t sview;
    bool sview_ok;
    char snap_err[512];

    /* pacing */
    double speed;       /* <= 0: maximum */
    bool paused, help, finished;
    sim_time_t watermark, shown, width;
    sim_time_t base_t, last_target, last_frame_t;
    double base_wall, last_frame, start_wall, end_wall;
    uint64_t rounds, frames;
    double next_frame;  /* the frame grid: frames at most FRAME_S apart on
                           average, never two within one round */
    double render_s;    /* wall time spent drawing and presenting */
    char renderer_name[32];

    /* stepping and selection */
    int step;
    bool step_hit;
    sim_time_t step_time;
    uint32_t selected;
    bool review;        /* paused on a selected APDU: draw review_t */
    sim_time_t review_t;
};

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int snap_cmp(const void *a, const void *b)
{
    const view_snap_t *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    /* stable: keep the command line's order for equal times */
    return x < y ? -1 : x > y;
}

/* ---- drawing ---------------------------------------------------------- */

static sim_time_t persist_now(const view_app_t *a)
{
    sim_time_t p;
    if (a->speed > 0)
        p = (sim_time_t)(a->speed * 0.15 * (double)SIM_PS_PER_S);
    else
        p = 2 * (a->shown - a->last_frame_t);
    return p > SIM_US(50) ? p : SIM_US(50);
}

static void draw_window(view_app_t *a, double now)
{
    if (!a->open)
        return;
    char status[64] = "";
    double el = now - a->start_wall;
    if (el > 0)
        snprintf(status, sizeof status, " %.0f fps",
                 a->frames / (el > 0 ? el : 1));
    sim_time_t t = a->review ? a->review_t : a->shown;
    view_frame_t f = {
        .t = t, .width = a->width, .persist = persist_now(a),
        .selected = a->selected, .speed = a->speed, .paused = a->paused,
        .help = a->help, .finished = a->finished, .title = a->title,
        .status = status,
    };
    view_render_draw(&a->wview, &a->model, &f);
    SDL_RenderPresent(a->wr);
    a->frames++;
    a->last_frame = now;
    a->last_frame_t = a->shown;
    /* the next frame on a grid, so frames keep their rate on average; if
     * far behind, no burst to catch up */
    double period = a->speed <= 0 && !a->paused ? MAX_FRAME_S : FRAME_S;
    a->next_frame += period;
    if (a->next_frame < now)
        a->next_frame = now + period / 2;
    a->render_s += wall() - now;
}

static void take_snapshot(view_app_t *a, sim_time_t t, const char *file)
{
    if (!a->sview_ok)
        return;
    view_frame_t f = {
        .t = t, .width = DEFAULT_WIDTH_PS, .persist = SNAP_PERSIST,
        .snapshot = true, .title = a->title,
    };
    view_render_draw(&a->sview, &a->model, &f);
    SDL_RenderPresent(a->sr);
    if (IMG_SavePNG(a->surf, file) != 0 && !a->snap_err[0])
        snprintf(a->snap_err, sizeof a->snap_err,
                 "--view-snapshot: cannot write %s: %s", file,
                 IMG_GetError());
}

/* ---- controls --------------------------------------------------------- */

static void close_window(view_app_t *a)
{
    if (!a->open)
        return;
    view_render_cleanup(&a->wview);
    SDL_DestroyRenderer(a->wr);
    SDL_DestroyWindow(a->win);
    a->wr = NULL;
    a->win = NULL;
    a->open = false;
    a->paused = false;
    a->step = STEP_NONE;
    a->end_wall = wall();
}

static void rebase(view_app_t *a, double now)
{
    a->base_t = a->shown;
    a->base_wall = now;
    a->last_target = a->shown;
}

static void set_paused(view_app_t *a, bool p)
{
    a->paused = p;
    if (!p) {
        a->review = false;
        rebase(a, wall());
    }
}

static void change_speed(view_app_t *a, int dir)
{
    size_t i = 0;
    double cur = a->speed <= 0 ? speeds[N_SPEEDS - 1] * 2 : a->speed;
    if (dir > 0) {
        while (i < N_SPEEDS && speeds[i] <= cur * 1.0001)
            i++;
        if (i == N_SPEEDS)
            return;
    } else {
        i = N_SPEEDS;
        while (i > 0 && speeds[i - 1] >= cur * 0.9999)
            i--;
        if (i == 0)
            return;
        i--;
    }
    a->speed = speeds[i];
    rebase(a, wall());
}

static void zoom(view_app_t *a, int dir)
{
    sim_time_t w = dir > 0 ? a->width / 2 : a->width * 2;
    if (w < SIM_US(10))
        w = SIM_US(10);
    if (w > SIM_S(20))
        w = SIM_S(20);
    a->width = w;
}

static void start_step(view_app_t *a, int kind)
{
    a->step = kind;
    a->step_hit = false;
    a->review = false;
    a->paused = false;
}

static void select_apdu(view_app_t *a, uint32_t id)
{
    const view_apdu_t *ap = view_model_apdu_by_id(&a->model, id);
    if (!ap)
        return;
    a->selected = id;
    a->paused = true;
    a->step = STEP_NONE;
    /* show it whole: its end a little left of the right edge */
    sim_time_t end = ap->answered ? ap->end : ap->cmd_end;
    if (end < ap->start || end > a->shown)
        end = a->shown;
    sim_time_t dur = end - ap->start;
    sim_time_t w = dur + dur / 4 + SIM_US(20);
    if (w < SIM_US(10))
        w = SIM_US(10);
    if (w > SIM_S(20))
        w = SIM_S(20);
    a->width = w;
    sim_time_t t = end + dur / 10 + SIM_US(5);
    a->review_t = t < a->shown ? t : a->shown;
    a->review = true;
}

/* Moves the selection by dir rows of the panel (+1: older). */
static void move_selection(view_app_t *a, int dir)
{
    uint32_t ids[256];
    size_t n = view_render_apdu_rows(&a->model, a->shown, ids, 256);
    if (n == 0)
        return;
    size_t at = 0;
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == a->selected) {
            at = i;
            found = true;
        }
    if (!found)
        at = 0;
    else if (dir > 0 && at + 1 < n)
        at++;
    else if (dir < 0 && at > 0)
        at--;
    select_apdu(a, ids[at]);
}

static void on_button(view_app_t *a, int b)
{
    switch (b) {
    case VIEW_BTN_PAUSE: set_paused(a, !a->paused); break;
    case VIEW_BTN_STEP: start_step(a, STEP_RECORD); break;
    case VIEW_BTN_APDU: start_step(a, STEP_APDU); break;
    case VIEW_BTN_SLOWER: change_speed(a, -1); break;
    case VIEW_BTN_FASTER: change_speed(a, +1); break;
    case VIEW_BTN_MAX:
        a->speed = a->speed <= 0 ? VIEW_DEFAULT_SPEED : 0;
        rebase(a, wall());
        break;
    case VIEW_BTN_ZOOM_IN: zoom(a, +1); break;
    case VIEW_BTN_ZOOM_OUT: zoom(a, -1); break;
    case VIEW_BTN_HELP: a->help = !a->help; break;
    default: break;
    }
}

static void on_key(view_app_t *a, SDL_Keycode k)
{
    switch (k) {
    case SDLK_q:
    case SDLK_ESCAPE: close_window(a); break;
    case SDLK_SPACE:
    case SDLK_p: on_button(a, VIEW_BTN_PAUSE); break;
    case SDLK_RIGHT:
    case SDLK_n: on_button(a, VIEW_BTN_STEP); break;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
    case SDLK_a: on_button(a, VIEW_BTN_APDU); break;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS: on_button(a, VIEW_BTN_FASTER); break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS: on_button(a, VIEW_BTN_SLOWER); break;
    case SDLK_m: on_button(a, VIEW_BTN_MAX); break;
    case SDLK_z: on_button(a, VIEW_BTN_ZOOM_IN); break;
    case SDLK_x: on_button(a, VIEW_BTN_ZOOM_OUT); break;
    case SDLK_h:
    case SDLK_F1:
    case SDLK_QUESTION:
    case SDLK_SLASH: on_button(a, VIEW_BTN_HELP); break;
    case SDLK_UP: move_selection(a, -1); break;
    case SDLK_DOWN: move_selection(a, +1); break;
    case SDLK_c:
    case SDLK_BACKSPACE:
        a->selected = 0;
        a->review = false;
        break;
    default: break;
    }
}

static void on_click(view_app_t *a, int x, int y)
{
    const view_layout_t *lo = &a->wview.lo;
    int b = view_layout_button_at(lo, x, y);
    if (b >= 0) {
        on_button(a, b);
        return;
    }
    int row = view_layout_apdu_row_at(lo, x, y);
    if (row >= 0) {
        uint32_t ids[256];
        size_t n = view_render_apdu_rows(&a->model,
                                         a->review ? a->review_t : a->shown,
                                         ids, 256);
        if ((size_t)row < n)
            select_apdu(a, ids[row]);
        return;
    }
    if (a->help)
        a->help = false;
}

static void on_event(view_app_t *a, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT:
        close_window(a);
        break;
    case SDL_KEYDOWN:
        on_key(a, e->key.keysym.sym);
        break;
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button == SDL_BUTTON_LEFT)
            on_click(a, e->button.x, e->button.y);
        break;
    case SDL_MOUSEWHEEL:
        if (e->wheel.y)
            zoom(a, e->wheel.y > 0 ? +1 : -1);
        break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            int w, h;
            SDL_GetRendererOutputSize(a->wr, &w, &h);
            view_render_resize(&a->wview, w, h, &a->model);
        }
        break;
    default:
        break;
    }
}

static void poll_events(view_app_t *a)
{
    SDL_Event e;
    while (a->open && SDL_PollEvent(&e))
        on_event(a, &e);
}

static void frame(view_app_t *a, double now)
{
    poll_events(a);
    draw_window(a, now);
}

/* ---- the sink and the round hook -------------------------------------- */

static void on_record(void *ctx, const trace_rec_t *rec)
{
    view_app_t *a = ctx;
    while (a->next_snap < a->n_snaps &&
           rec->time >= a->snaps[a->next_snap].t) {
        take_snapshot(a, a->snaps[a->next_snap].t,
                      a->snaps[a->next_snap].file);
        a->next_snap++;
    }
    view_model_record(&a->model, rec);
    if (a->step && !a->step_hit &&
        (a->step == STEP_RECORD || rec->kind == TRACE_APDU)) {
        a->step_hit = true;
        a->step_time = rec->time;
        if (rec->kind == TRACE_APDU) {
            /* the APDU this record began or completed */
            for (size_t i = a->model.apdu_count; i-- > 0;) {
                const view_apdu_t *ap = view_model_apdu(&a->model, i);
                if (ap->cmd_end == rec->time ||
                    (ap->answered && ap->end == rec->time)) {
                    a->selected = ap->id;
                    break;
                }
            }
        }
    }
}

static sim_time_t target_at(const view_app_t *a, double now)
{
    double d = (now - a->base_wall) * a->speed * (double)SIM_PS_PER_S;
    if (d < 0)
        d = 0;
    if (d > 1e18)
        d = 1e18;
    return a->base_t + (sim_time_t)d;
}

/* Waits (rendering, handling input) until the displayed instant reaches
 * `until`, or the run may go on for another reason (stepping, closed,
 * maximum speed). The displayed instant never goes back. */
static void pace(view_app_t *a, sim_time_t until)
{
    for (;;) {
        if (!a->open || a->step)
            return;
        double now = wall();
        if (!a->paused) {
            if (a->speed <= 0) {
                if (until > a->shown)
                    a->shown = until;
                if (now >= a->next_frame)
                    frame(a, now);
                if (!a->paused)
                    return;
                continue;
            }
            sim_time_t target = target_at(a, now);
            a->last_target = target;
            if (target >= until) {
                /* the run cannot keep up: follow it, do not run ahead */
                double lag = (double)(target - until) / (a->speed *
                                                         (double)SIM_PS_PER_S);
                if (until > a->shown)
                    a->shown = until;
                if (lag > 0.05)
                    rebase(a, now);
                if (now >= a->next_frame)
                    frame(a, now);
                if (!a->paused && !a->step)
                    return;
                continue;
            }
            if (target > a->shown)
                a->shown = target;
        }
        if (now >= a->next_frame) {
            frame(a, now);
        } else {
            double left = a->next_frame - now;
            if (!a->paused && a->speed > 0 && until > a->shown) {
                double to_w = (double)(until - a->shown) /
                              (a->speed * (double)SIM_PS_PER_S);
                if (to_w < left)
                    left = to_w;
            }
            Uint32 ms = (Uint32)(left * 1000);
            SDL_Delay(ms > 0 ? ms : 1);
        }
    }
}

static void on_round(void *ctx, sim_time_t w)
{
    view_app_t *a = ctx;
    if (!a->open)
        return;
    a->watermark = w;
    if (a->step) {
        if (!a->step_hit)
            return;
        a->step = STEP_NONE;
        a->paused = true;
        a->shown = a->step_time;
        frame(a, wall());
    }
    if (!a->paused) {
        if (a->speed <= 0) {
            if ((++a->rounds & 63) != 0)
                return;
            double now = wall();
            if (now < a->next_frame)
                return;
            if (w > a->shown)
                a->shown = w;
            frame(a, now);
            if (!a->paused || !a->open)
                return;
        } else if (w < sim_time_add(a->last_target, LEAD) &&
                   (++a->rounds & 7) != 0) {
            /* the run is not LEAD ahead of the display yet: let it go */
            return;
        }
    }
    /* the display follows the run LEAD behind its watermark, so that a
     * frame or character shorter than LEAD is known (its record released)
     * from its start, and is drawn moving along its wire */
    pace(a, w > LEAD ? w - LEAD : 0);
}

/* ---- lifecycle -------------------------------------------------------- */

int view_app_open(view_app_t **out, const view_app_cfg_t *cfg, char *err,
                  size_t errlen)
{
    *out = NULL;
    view_app_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "viewer: out of memory");
        return -1;
    }
    a->cfg = *cfg;
    if (a->cfg.width <= 0)
        a->cfg.width = VIEW_DEFAULT_WIDTH;
    if (a->cfg.height <= 0)
        a->cfg.height = VIEW_DEFAULT_HEIGHT;
    snprintf(a->title, sizeof a->title, "%s", cfg->title ? cfg->title : "");
    if (cfg->n_snaps) {
        a->snaps = calloc(cfg->n_snaps, sizeof *a->snaps);
        if (!a->snaps) {
            free(a);
            snprintf(err, errlen, "viewer: out of memory");
            return -1;
        }
        memcpy(a->snaps, cfg->snaps, cfg->n_snaps * sizeof *a->snaps);
        a->n_snaps = cfg->n_snaps;
        qsort(a->snaps, a->n_snaps, sizeof *a->snaps, snap_cmp);
    }
    view_model_init(&a->model, cfg->n_se, cfg->has_mcu);
    a->speed = cfg->speed;
    a->width = DEFAULT_WIDTH_PS;

    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    /* the window's frame buffer in memory, not through OpenGL (the
     * environment variable SDL_FRAMEBUFFER_ACCELERATION still wins) */
    SDL_SetHintWithPriority(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0",
                            SDL_HINT_DEFAULT);
    if (SDL_Init(0) != 0 || TTF_Init() != 0) {
        snprintf(err, errlen, "viewer: cannot initialise SDL: %s",
                 SDL_GetError());
        view_app_free(a);
        return -1;
    }
    int w = a->cfg.width, h = a->cfg.height;
    if (a->n_snaps) {
        a->surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32,
                                                 SDL_PIXELFORMAT_ARGB8888);
        a->sr = a->surf ? SDL_CreateSoftwareRenderer(a->surf) : NULL;
        if (!a->sr) {
            snprintf(err, errlen, "viewer: no software renderer: %s",
                     SDL_GetError());
            view_app_free(a);
            return -1;
        }
        if (view_render_init(&a->sview, a->sr, w, h, &a->model, err,
                             errlen) != 0) {
            view_app_free(a);
            return -1;
        }
        a->sview_ok = true;
    }
    if (cfg->window) {
        if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
            snprintf(err, errlen, "--view: cannot open a window: %s",
                     SDL_GetError());
            view_app_free(a);
            return -1;
        }
        a->video = true;
        char t[160];
        snprintf(t, sizeof t, "cardsim - %s", a->title);
        a->win = SDL_CreateWindow(t, SDL_WINDOWPOS_CENTERED,
                                  SDL_WINDOWPOS_CENTERED, w, h,
                                  SDL_WINDOW_RESIZABLE);
        /* SDL's software renderer straight into the window's frame
         * buffer: a frame is a few ms of CPU, where OpenGL on a software
         * rasteriser (Xvfb, VMs) costs several times that. SDL_RENDER_DRIVER
         * picks another. */
        bool user_driver = SDL_getenv("SDL_RENDER_DRIVER") != NULL;
        if (a->win && !user_driver)
            a->wr = SDL_CreateRenderer(a->win, -1, SDL_RENDERER_SOFTWARE);
        if (a->win && !a->wr)
            a->wr = SDL_CreateRenderer(a->win, -1, 0);
        if (!a->wr) {
            snprintf(err, errlen, "--view: cannot open a window: %s",
                     SDL_GetError());
            view_app_free(a);
            return -1;
        }
        SDL_RendererInfo ri;
        if (SDL_GetRendererInfo(a->wr, &ri) == 0)
            snprintf(a->renderer_name, sizeof a->renderer_name, "%s",
                     ri.name);
        int ow = w, oh = h;
        SDL_GetRendererOutputSize(a->wr, &ow, &oh);
        if (view_render_init(&a->wview, a->wr, ow, oh, &a->model, err,
                             errlen) != 0) {
            view_app_free(a);
            return -1;
        }
        a->open = true;
    }
    *out = a;
    return 0;
}

void view_app_add_sink(view_app_t *a, trace_bus_t *bus)
{
    trace_sink_t s = {
        .name = "viewer",
        .mask = TRACE_MASK_ALL & ~TRACE_MASK(TRACE_LOG),
        .record = on_record,
        .close = NULL,
        .ctx = a,
    };
    trace_bus_add_sink(bus, &s);
}

void view_app_start(view_app_t *a, sim_t *sim)
{
    a->start_wall = wall();
    rebase(a, a->start_wall);
    a->last_frame = 0;
    a->next_frame = a->start_wall;
    if (a->open) {
        sim_add_round_hook(sim, on_round, a);
        frame(a, a->start_wall);
    }
}

static void print_stats(view_app_t *a)
{
    if (!a->cfg.stats || !a->cfg.window)
        return;
    double w;
    uint64_t n = view_app_frames(a, &w);
    fprintf(stderr, "viewer: %llu frames in %.3f s wall, %.1f frames/s, "
            "%.1f ms to draw a frame (%s renderer)\n", (unsigned long long)n,
            w, w > 0 ? n / w : 0.0, n ? a->render_s * 1000 / n : 0.0,
            a->renderer_name);
}

int view_app_finish(view_app_t *a, sim_time_t end, char *err, size_t errlen)
{
    while (a->next_snap < a->n_snaps) {
        take_snapshot(a, end, a->snaps[a->next_snap].file);
        a->next_snap++;
    }
    if (a->open) {
        a->watermark = end;
        /* the rest of the run at the chosen speed */
        while (a->open && a->shown < end) {
            if (a->step) {
                /* nothing more will come: stop where the run ended */
                a->step = STEP_NONE;
                a->paused = true;
                a->shown = end;
            }
            pace(a, end);
            if (a->speed <= 0 && !a->paused)
                a->shown = end;
        }
        a->finished = true;
        a->end_wall = wall();
        if (a->open)
            frame(a, a->end_wall);
        print_stats(a);
        if (a->cfg.close_at_end)
            close_window(a);
        while (a->open) {
            /* the run is over: the last frame stays until the user quits */
            SDL_Event e;
            if (SDL_WaitEventTimeout(&e, 100)) {
                on_event(a, &e);
                poll_events(a);
            }
            if (a->step) {
                a->step = STEP_NONE;
                a->paused = true;
            }
            if (a->open)
                draw_window(a, wall());
        }
    } else {
        print_stats(a);
    }
    if (a->snap_err[0]) {
        snprintf(err, errlen, "%s", a->snap_err);
        return -1;
    }
    return 0;
}

uint64_t view_app_frames(const view_app_t *a, double *wall_s)
{
    if (wall_s) {
        double end = a->end_wall > 0 ? a->end_wall : wall();
        *wall_s = a->start_wall > 0 ? end - a->start_wall : 0;
    }
    return a->frames;
}

void view_app_free(view_app_t *a)
{
    if (!a)
        return;
    close_window(a);
    if (a->sview_ok)
        view_render_cleanup(&a->sview);
    if (a->sr)
        SDL_DestroyRenderer(a->sr);
    if (a->surf)
        SDL_FreeSurface(a->surf);
    if (TTF_WasInit())
        TTF_Quit();
    SDL_Quit();
    view_model_cleanup(&a->model);
    free(a->snaps);
    free(a);
}

const view_app_api_t view_app_api = {
    view_app_open, view_app_add_sink, view_app_start, view_app_finish,
    view_app_free,
};
