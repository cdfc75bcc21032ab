/* SPDX-License-Identifier: MIT */
/* models/iso7816_port.c - the terminal side of an ISO 7816-3 port (see
 * iso7816_port.h for what is modelled, the reference and the Notes). */
#include "models/iso7816_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fatal.h"

#define ETU_DEFAULT 372u

/* what tx_ev does when it fires */
enum { PH_NONE, PH_START, PH_SAMPLE, PH_GUARD };

enum act_kind {
    ACT_VCC, ACT_RST, ACT_CLK, ACT_ETU, ACT_GUARD, ACT_T0, ACT_BER, ACT_SEND,
};

/* An action at a chosen time: one event each, from a free list. */
struct iso7816_port_action {
    sim_event_t ev;
    iso7816_port_t *port;
    struct iso7816_port_action *next_all, *next_free;
    int kind;
    uint64_t value;
    double cmd, rsp;
    uint8_t *bytes;
    size_t len, cap;
};

/* ---- traces ---------------------------------------------------------- */

static void trace_byte(iso7816_port_t *p, trace_dir_t dir, uint8_t b,
                       sim_time_t start, sim_time_t end, const char *text)
{
    if (!trace_wants(p->bus, TRACE_LINE_BYTE))
        return;
    trace_rec_t r = {
        .time = end, .start = start, .kind = TRACE_LINE_BYTE,
        .source = p->name, .path = p->path, .dir = dir,
        .data = &b, .len = 1, .text = text,
    };
    trace_publish(p->bus, &r);
}

static void trace_signal(iso7816_port_t *p, sim_time_t now, const char *wire,
                         uint64_t level)
{
    if (!trace_wants(p->bus, TRACE_SIGNAL))
        return;
    char path[96];
    snprintf(path, sizeof path, "%s.%s", p->path, wire);
    trace_rec_t r = {
        .time = now, .start = now, .kind = TRACE_SIGNAL,
        .source = p->name, .path = path,
        .u.signal.level = level > (uint64_t)INT32_MAX ? INT32_MAX
                                                      : (int)level,
    };
    trace_publish(p->bus, &r);
}

static void add_text(char *buf, size_t len, const char *s)
{
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, "%s%s", n ? ", " : "", s);
}

/* ---- helpers --------------------------------------------------------- */

static sim_time_t etu_ps(const iso7816_port_t *p)
{
    return p->clk_hz ? sim_clock_cycles(&p->clk, p->etu_clocks) : 0;
}

static void check_etu(const iso7816_port_t *p, sim_time_t now, sim_time_t e)
{
    if (e < ISO7816_MIN_ETU)
        sim_fatal(now,
                  "iso7816 port '%s': etu of %llu ps (F/D %u at CLK %llu Hz) "
                  "is faster than the line's minimum of %llu ps",
                  p->name, (unsigned long long)e, p->etu_clocks,
                  (unsigned long long)p->clk_hz,
                  (unsigned long long)ISO7816_MIN_ETU);
}

static void emit(iso7816_port_t *p, sim_time_t now, sim_time_t at,
                 uint32_t kind, uint64_t value)
{
    if (p->out)
        p->out(p->out_ctx, now, at, kind, value);
    else
        p->dropped++;
}

static uint64_t grid_at_or_after(const iso7816_port_t *p, sim_time_t t)
{
    uint64_t n = sim_clock_edge_at_or_after(&p->clk, t);
    if (n <= p->grid0)
        return p->grid0;
    uint64_t k = (n - p->grid0 + p->etu_clocks - 1) / p->etu_clocks;
    return p->grid0 + k * p->etu_clocks;
}

/* One bit error: flips one of the 9 parity-covered bits of a character
 * value (data bits 0-7, parity bit 8). */
static bool maybe_bit_error(iso7816_port_t *p, double prob, uint64_t *v)
{
    if (prob <= 0.0)
        return false;
    sim_rng_t *rng = &p->node->rng;
    if (sim_rng_unit(rng) >= prob)
        return false;
    unsigned k = (unsigned)sim_rng_below(rng, 9);
    *v ^= (uint64_t)1 << k;
    p->bit_errors++;
    return true;
}

/* ---- send queue ------------------------------------------------------ */

static void q_push(iso7816_port_t *p, const uint8_t *b, size_t n)
{
    if (p->q_len + n > p->q_cap) {
        size_t cap = p->q_cap ? p->q_cap : 64;
        while (cap < p->q_len + n)
            cap *= 2;
        uint8_t *q = malloc(cap);
        if (!q)
            sim_fatal_plain("iso7816 port '%s': out of memory", p->name);
        for (size_t i = 0; i < p->q_len; i++)
            q[i] = p->q[(p->q_head + i) % p->q_cap];
        free(p->q);
        p->q = q;
        p->q_cap = cap;
        p->q_head = 0;
    }
    for (size_t i = 0; i < n; i++)
        p->q[(p->q_head + p->q_len + i) % p->q_cap] = b[i];
    p->q_len += n;
}

static uint8_t q_pop(iso7816_port_t *p)
{
    uint8_t b = p->q[p->q_head];
    p->q_head = (p->q_head + 1) % p->q_cap;
    p->q_len--;
    return b;
}

/* ---- transmitter ----------------------------------------------------- */

static void tx_clear(iso7816_port_t *p)
{
    sim_cancel(p->node, &p->tx_ev);
    p->phase = PH_NONE;
    p->busy = false;
    p->rep_pending = false;
    p->q_len = 0;
    p->q_head = 0;
}

static void tx_start(iso7816_port_t *p, sim_time_t now, uint64_t cycle)
{
    if (!p->busy) {
        p->shift = q_pop(p);
        p->busy = true;
        p->reps = 0;
    }
    p->rep_pending = false;
    p->nak = false;
    p->sampled = false;
    p->tx_start = now;
    sim_time_t e = etu_ps(p);
    check_etu(p, now, e);
    uint64_t etu = p->etu_clocks;
    sim_time_t at = sim_clock_edge(&p->clk, cycle + 10 * etu);
    p->t_guard = sim_clock_edge(&p->clk, cycle + (12 + p->guard) * etu);
    uint64_t rep_gap = 12 + (p->guard ? p->guard : 1);
    p->t_repeat = sim_clock_edge(&p->clk, cycle + rep_gap * etu);
    uint64_t v = iso7816_char_pack(p->shift, iso7816_parity(p->shift), e);
    bool injected = maybe_bit_error(p, p->ber_cmd, &v);
    emit(p, now, at, ISO7816_MSG_CHAR, v);
    p->chars_sent++;
    char text[64] = "";
    if (injected)
        add_text(text, sizeof text, "bit error");
    if (p->reps) {
        char r[32];
        snprintf(r, sizeof r, "repetition %u", p->reps);
        add_text(text, sizeof text, r);
    }
    trace_byte(p, TRACE_DIR_CMD, iso7816_char_byte(v), now, at,
               text[0] ? text : NULL);
    if (p->tap)
        p->tap(p->tap_ctx, ISO7816_TAP_CHAR, false, iso7816_char_byte(v),
               now, at, 0);
    if (p->t0) {
        p->phase = PH_SAMPLE;
        sim_schedule(p->node, &p->tx_ev,
                     sim_clock_edge(&p->clk, cycle + 11 * etu));
    } else {
        p->phase = PH_GUARD;
        sim_schedule(p->node, &p->tx_ev, p->t_guard);
    }
}

static void tx_kick(iso7816_port_t *p, sim_time_t now)
{
    if (p->phase != PH_NONE || !p->vcc || !p->clk_hz)
        return;
    if (p->busy ? !p->rep_pending : p->q_len == 0)
        return;
    uint64_t c = grid_at_or_after(p, now);
    sim_time_t t = sim_clock_edge(&p->clk, c);
    if (t == now) {
        tx_start(p, now, c);
        return;
    }
    p->phase = PH_START;
    p->next_cycle = c;
    sim_schedule(p->node, &p->tx_ev, t);
}

static void tx_regrid(iso7816_port_t *p, sim_time_t now)
{
    if (p->phase == PH_START) {
        sim_cancel(p->node, &p->tx_ev);
        p->phase = PH_NONE;
        tx_kick(p, now);
    }
}

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    iso7816_port_t *p = ev->ctx;
    int ph = p->phase;
    p->phase = PH_NONE;
    switch (ph) {
    case PH_START:
        tx_start(p, now, p->next_cycle);
        return;
    case PH_SAMPLE:
        p->sampled = true;
        if (p->nak) {
            if (p->reps < ISO7816_T0_MAX_REPEATS) {
                p->reps++;
                p->repeats++;
                p->rep_pending = true;
            } else {
                p->tx_failed++;
                sim_warn(now, p->name,
                         "T=0: character 0x%02X rejected %u times, dropped",
                         p->shift, p->reps + 1);
            }
            p->phase = PH_GUARD;
            sim_schedule(p->node, &p->tx_ev, p->t_repeat);
            return;
        }
        p->phase = PH_GUARD;
        sim_schedule(p->node, &p->tx_ev, p->t_guard);
        return;
    case PH_GUARD:
        if (!p->rep_pending)
            p->busy = false;
        tx_kick(p, now);
        if (!p->busy && p->q_len == 0 && p->phase == PH_NONE && p->on_idle)
            p->on_idle(p->ctx, now);
        return;
    default:
        return;
    }
}

/* ---- levels and settings --------------------------------------------- */

static void ctrl_out(iso7816_port_t *p, sim_time_t now, uint32_t kind,
                     uint64_t value)
{
    emit(p, now, now + ISO7816_CTRL_LATENCY, kind, value);
}

static void do_vcc(iso7816_port_t *p, sim_time_t now, bool on)
{
    if (on == p->vcc)
        return;
    p->vcc = on;
    if (!on)
        tx_clear(p);
    trace_signal(p, now, "VCC", on);
    if (p->tap)
        p->tap(p->tap_ctx, ISO7816_TAP_VCC, false, on, now, now, 0);
    ctrl_out(p, now, ISO7816_MSG_VCC, on);
    tx_kick(p, now);
}

static void do_rst(iso7816_port_t *p, sim_time_t now, bool level)
{
    if (level == p->rst)
        return;
    p->rst = level;
    trace_signal(p, now, "RST", level);
    if (p->tap)
        p->tap(p->tap_ctx, ISO7816_TAP_RST, false, level, now, now, 0);
    ctrl_out(p, now, ISO7816_MSG_RST, level);
}

static void do_clk(iso7816_port_t *p, sim_time_t now, uint64_t hz)
{
    if (hz == p->clk_hz)
        return;
    p->clk_hz = hz;
    if (hz)
        sim_clock_restart(&p->clk, hz, now);
    p->grid0 = 0;
    trace_signal(p, now, "CLK", hz);
    ctrl_out(p, now, ISO7816_MSG_CLK, hz);
    if (!hz && p->phase == PH_START) {
        sim_cancel(p->node, &p->tx_ev);
        p->phase = PH_NONE;
    }
    tx_regrid(p, now);
    tx_kick(p, now);
}

static void do_etu(iso7816_port_t *p, sim_time_t now, unsigned clocks)
{
    p->etu_clocks = clocks;
    p->grid0 = p->clk_hz ? sim_clock_edge_at_or_after(&p->clk, now) : 0;
    tx_regrid(p, now);
}

/* ---- timed actions --------------------------------------------------- */

static void act_fire(sim_event_t *ev, sim_time_t now)
{
    struct iso7816_port_action *a = ev->ctx;
    iso7816_port_t *p = a->port;
    switch (a->kind) {
    case ACT_VCC:
        do_vcc(p, now, a->value != 0);
        break;
    case ACT_RST:
        do_rst(p, now, a->value != 0);
        break;
    case ACT_CLK:
        do_clk(p, now, a->value);
        break;
    case ACT_ETU:
        do_etu(p, now, (unsigned)a->value);
        break;
    case ACT_GUARD:
        p->guard = (unsigned)a->value;
        break;
    case ACT_T0:
        p->t0 = a->value != 0;
        break;
    case ACT_BER:
        p->ber_cmd = a->cmd;
        p->ber_rsp = a->rsp;
        break;
    case ACT_SEND:
        if (!p->vcc) {
            sim_warn(now, p->name, "send with VCC off: %zu bytes dropped",
                     a->len);
            break;
        }
        q_push(p, a->bytes, a->len);
        tx_kick(p, now);
        break;
    default:
        break;
    }
    a->next_free = p->act_free;
    p->act_free = a;
}

static struct iso7816_port_action *act_new(iso7816_port_t *p, int kind)
{
    struct iso7816_port_action *a = p->act_free;
    if (a) {
        p->act_free = a->next_free;
    } else {
        a = calloc(1, sizeof *a);
        if (!a)
            sim_fatal_plain("iso7816 port '%s': out of memory", p->name);
        a->port = p;
        a->next_all = p->act_all;
        p->act_all = a;
        sim_event_init(&a->ev, "iso7816-port-action", act_fire, a);
    }
    a->kind = kind;
    a->value = 0;
    a->len = 0;
    return a;
}

static void act_at(iso7816_port_t *p, int kind, sim_time_t t, uint64_t value)
{
    struct iso7816_port_action *a = act_new(p, kind);
    a->value = value;
    sim_schedule(p->node, &a->ev, t);
}

void iso7816_port_set_vcc(iso7816_port_t *p, sim_time_t t, bool on)
{
    act_at(p, ACT_VCC, t, on);
}

void iso7816_port_set_rst(iso7816_port_t *p, sim_time_t t, bool level)
{
    act_at(p, ACT_RST, t, level);
}

void iso7816_port_set_clk(iso7816_port_t *p, sim_time_t t, uint64_t hz)
{
    act_at(p, ACT_CLK, t, hz);
}

void iso7816_port_set_etu(iso7816_port_t *p, sim_time_t t, unsigned clocks)
{
    if (clocks == 0)
        sim_fatal(t, "iso7816 port '%s': F/D of 0 clocks", p->name);
    act_at(p, ACT_ETU, t, clocks);
}

void iso7816_port_set_guard(iso7816_port_t *p, sim_time_t t, unsigned n)
{
    act_at(p, ACT_GUARD, t, n);
}

void iso7816_port_set_t0(iso7816_port_t *p, sim_time_t t, bool on)
{
    act_at(p, ACT_T0, t, on);
}

void iso7816_port_set_bit_errors(iso7816_port_t *p, sim_time_t t,
                                 double cmd, double rsp)
{
    struct iso7816_port_action *a = act_new(p, ACT_BER);
    a->cmd = cmd;
    a->rsp = rsp;
    sim_schedule(p->node, &a->ev, t);
}

void iso7816_port_send(iso7816_port_t *p, sim_time_t t, const uint8_t *b,
                       size_t n)
{
    if (n == 0)
        return;
    struct iso7816_port_action *a = act_new(p, ACT_SEND);
    if (n > a->cap) {
        uint8_t *nb = realloc(a->bytes, n);
        if (!nb)
            sim_fatal_plain("iso7816 port '%s': out of memory", p->name);
        a->bytes = nb;
        a->cap = n;
    }
    memcpy(a->bytes, b, n);
    a->len = n;
    sim_schedule(p->node, &a->ev, t);
}

/* ---- receiving ------------------------------------------------------- */

static void send_errsig(iso7816_port_t *p, sim_time_t now, sim_time_t start)
{
    emit(p, now, now + etu_ps(p) / 2, ISO7816_MSG_ERRSIG, start);
    p->errsigs_sent++;
}

static void rx_char(iso7816_port_t *p, const sim_msg_t *m, sim_time_t now)
{
    if (!p->vcc || !p->clk_hz) {
        p->dropped++;
        return;
    }
    sim_time_t e = etu_ps(p);
    check_etu(p, now, e);
    uint64_t v = m->value;
    bool injected = maybe_bit_error(p, p->ber_rsp, &v);
    uint8_t b;
    unsigned flags = iso7816_char_receive(v, e, &b);
    p->chars_received++;
    if (flags & ISO7816_RX_PARITY) {
        p->parity_errors++;
        if (p->t0) {
            send_errsig(p, now, m->sent);
            flags |= ISO7816_RX_NAKED;
        }
    }
    p->rx_open = true;
    p->rx_start = m->sent;
    p->rx_time = now;
    p->rx_flags = flags;
    if (p->on_rx)
        p->on_rx(p->ctx, now, b, flags);
    p->rx_open = false;
    flags = p->rx_flags;
    char text[64] = "";
    if (injected)
        add_text(text, sizeof text, "bit error");
    if (flags & ISO7816_RX_FRAMING)
        add_text(text, sizeof text, "framing error");
    else if (flags & ISO7816_RX_PARITY)
        add_text(text, sizeof text, "parity error");
    if (flags & ISO7816_RX_NAKED)
        add_text(text, sizeof text, "error signal");
    trace_byte(p, TRACE_DIR_RSP, b, m->sent, now, text[0] ? text : NULL);
    if (p->tap)
        p->tap(p->tap_ctx, ISO7816_TAP_CHAR, true, b, m->sent, now, flags);
}

void iso7816_port_set_tap(iso7816_port_t *p, iso7816_port_tap_fn fn,
                          void *ctx)
{
    p->tap = fn;
    p->tap_ctx = ctx;
}

void iso7816_port_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    iso7816_port_t *p = ctx;
    switch (m->kind) {
    case ISO7816_MSG_CHAR:
        rx_char(p, m, now);
        return;
    case ISO7816_MSG_ERRSIG:
        if (!p->t0 || !p->busy || p->rep_pending || p->sampled ||
            m->value != p->tx_start)
            return;
        p->nak = true;
        p->errsigs_received++;
        if (trace_wants(p->bus, TRACE_LOG))
            trace_logf(p->bus, now, p->name, 0,
                       "T=0 error signal from the card on 0x%02X", p->shift);
        return;
    default:
        sim_fatal(now, "iso7816 port '%s': unexpected line message kind %u",
                  p->name, m->kind);
    }
}

void iso7816_port_nak(iso7816_port_t *p, sim_time_t now)
{
    if (!p->rx_open || now != p->rx_time) {
        sim_warn(now, p->name,
                 "error signal requested outside a character's reception");
        return;
    }
    if (p->rx_flags & ISO7816_RX_NAKED)
        return;
    send_errsig(p, now, p->rx_start);
    p->rx_flags |= ISO7816_RX_NAKED;
}

/* ---- lifecycle and wiring -------------------------------------------- */

void iso7816_port_init(iso7816_port_t *p, sim_t *sim,
                       const iso7816_port_cfg_t *cfg)
{
    (void)sim;
    memset(p, 0, sizeof *p);
    p->name = cfg->name ? cfg->name : "port";
    p->path = cfg->path ? cfg->path : p->name;
    p->node = cfg->node;
    p->bus = cfg->bus;
    p->on_rx = cfg->on_rx;
    p->on_idle = cfg->on_idle;
    p->ctx = cfg->ctx;
    if (!p->node)
        sim_fatal_plain("iso7816 port '%s': no node", p->name);
    p->cfg_etu = cfg->etu_clocks ? cfg->etu_clocks : ETU_DEFAULT;
    p->cfg_guard = cfg->guard;
    p->cfg_t0 = cfg->t0;
    p->clk.name = p->name;
    sim_event_init(&p->tx_ev, "iso7816-port-tx", tx_fire, p);
    iso7816_port_reset(p);
}

void iso7816_port_reset(iso7816_port_t *p)
{
    tx_clear(p);
    p->etu_clocks = p->cfg_etu;
    p->guard = p->cfg_guard;
    p->t0 = p->cfg_t0;
    p->grid0 = 0;
}

void iso7816_port_cleanup(iso7816_port_t *p)
{
    sim_cancel(p->node, &p->tx_ev);
    struct iso7816_port_action *a = p->act_all;
    while (a) {
        struct iso7816_port_action *n = a->next_all;
        sim_cancel(p->node, &a->ev);
        free(a->bytes);
        free(a);
        a = n;
    }
    p->act_all = p->act_free = NULL;
    free(p->q);
    p->q = NULL;
    p->q_cap = p->q_len = p->q_head = 0;
}

static void line_out(void *ctx, sim_time_t now, sim_time_t at, uint32_t kind,
                     uint64_t value)
{
    iso7816_line_send(ctx, now, at, kind, value);
}

iso7816_end_t iso7816_port_end(iso7816_port_t *p)
{
    return (iso7816_end_t){ .node = p->node, .rx = iso7816_port_rx,
                            .ctx = p };
}

void iso7816_port_connect(iso7816_port_t *p, iso7816_line_t *line,
                          sim_t *sim, const char *name, iso7816_end_t card)
{
    iso7816_line_init(line, sim, name, iso7816_port_end(p), card);
    iso7816_port_set_output(p, line_out, line);
}

void iso7816_port_set_output(iso7816_port_t *p, iso7816_out_fn out,
                             void *ctx)
{
    p->out = out;
    p->out_ctx = ctx;
}

/* ---- observers ------------------------------------------------------- */

sim_time_t iso7816_port_etu(const iso7816_port_t *p)
{
    return etu_ps(p);
}

bool iso7816_port_idle(const iso7816_port_t *p)
{
    return !p->busy && p->q_len == 0 && p->phase == PH_NONE;
}

size_t iso7816_port_queued(const iso7816_port_t *p)
{
    return p->q_len;
}
