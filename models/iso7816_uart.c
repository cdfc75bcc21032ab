/* SPDX-License-Identifier: MIT */
/* models/iso7816_uart.c - the card-side ISO 7816-3 UART (see
 * iso7816_uart.h for what is modelled, the reference and the Notes). */
#include "models/iso7816_uart.h"

#include <string.h>

#include "firmware/include/regs/iso7816_uart.h"
#include "sim/fatal.h"

#define ETU_MAX 2048u

/* what tx_ev does when it fires */
enum { PH_NONE, PH_START, PH_SAMPLE, PH_GUARD };

static void tx_fire(sim_event_t *ev, sim_time_t now);

/* ---- levels, clock, interrupt ---------------------------------------- */

static uint32_t status_of(const iso7816_uart_t *u)
{
    uint32_t s = u->sticky;
    if (u->rxne)
        s |= UART_STATUS_RXNE;
    if (!u->hold_full)
        s |= UART_STATUS_TXE;
    if (!u->hold_full && !u->busy)
        s |= UART_STATUS_TC;
    if (u->rst)
        s |= UART_STATUS_RST;
    if (u->clk_hz)
        s |= UART_STATUS_CLKON;
    return s;
}

static void update_irq(iso7816_uart_t *u, sim_time_t now)
{
    bool level = u->vcc && (status_of(u) & u->irqen) != 0;
    if (level == u->irq)
        return;
    u->irq = level;
    if (u->on_irq)
        u->on_irq(u->ctx, now, level);
}

/* Edges of the current CLK segment at times in [from, to]. */
static uint64_t edges_between(const iso7816_uart_t *u, sim_time_t from,
                              sim_time_t to)
{
    if (!u->clk_hz || to < from)
        return 0;
    uint64_t before = from ? sim_clock_edges_through(&u->clk, from - 1) : 0;
    return sim_clock_edges_through(&u->clk, to) - before;
}

static uint32_t clkcnt(const iso7816_uart_t *u, sim_time_t t)
{
    if (!u->counting)
        return 0;
    return u->cnt_acc + (uint32_t)edges_between(u, u->cnt_from, t);
}

static sim_time_t etu_ps(const iso7816_uart_t *u)
{
    return u->clk_hz ? sim_clock_cycles(&u->clk, u->etu) : 0;
}

static void check_etu(const iso7816_uart_t *u, sim_time_t now, sim_time_t e)
{
    if (e < ISO7816_MIN_ETU)
        sim_fatal(now,
                  "iso7816 uart '%s': etu of %llu ps (ETU %u at CLK %llu Hz) "
                  "is faster than the line's minimum of %llu ps",
                  u->name, (unsigned long long)e, u->etu,
                  (unsigned long long)u->clk_hz,
                  (unsigned long long)ISO7816_MIN_ETU);
}

/* First CLK edge of the etu grid at or after t. */
static uint64_t grid_at_or_after(const iso7816_uart_t *u, sim_time_t t)
{
    uint64_t n = sim_clock_edge_at_or_after(&u->clk, t);
    if (n <= u->grid0)
        return u->grid0;
    uint64_t k = (n - u->grid0 + u->etu - 1) / u->etu;
    return u->grid0 + k * u->etu;
}

/* ---- transmitter ----------------------------------------------------- */

static void tx_cancel(iso7816_uart_t *u)
{
    sim_cancel(u->node, &u->tx_ev);
    u->phase = PH_NONE;
}

static void tx_clear(iso7816_uart_t *u)
{
    tx_cancel(u);
    u->hold_full = false;
    u->busy = false;
    u->rep_pending = false;
}

static void tx_start(iso7816_uart_t *u, sim_time_t now, uint64_t cycle)
{
    if (!u->busy) {
        u->shift = u->hold;
        u->hold_full = false;
        u->busy = true;
        u->reps = 0;
    }
    u->rep_pending = false;
    u->nak = false;
    u->sampled = false;
    u->tx_start = now;
    sim_time_t e = etu_ps(u);
    check_etu(u, now, e);
    uint64_t etu = u->etu;
    sim_time_t at = sim_clock_edge(&u->clk, cycle + 10 * etu);
    u->t_guard = sim_clock_edge(&u->clk, cycle + (12 + u->gt) * etu);
    u->t_repeat = sim_clock_edge(&u->clk,
                                 cycle + (12 + (u->gt ? u->gt : 1)) * etu);
    sim_link_t *up = u->src[u->sel].up;
    if (up)
        sim_link_send_at(up, now, at, ISO7816_MSG_CHAR,
                         iso7816_char_pack(u->shift, iso7816_parity(u->shift),
                                           e),
                         NULL, 0);
    u->chars_sent++;
    if (u->ctrl & UART_CTRL_T0) {
        u->phase = PH_SAMPLE;
        sim_schedule(u->node, &u->tx_ev,
                     sim_clock_edge(&u->clk, cycle + 11 * etu));
    } else {
        u->phase = PH_GUARD;
        sim_schedule(u->node, &u->tx_ev, u->t_guard);
    }
    update_irq(u, now);
}

/* Starts (or schedules) the next character if one waits and the line is
 * free: at the first etu boundary at or after now (and after the DATA
 * write that filled the holding register). */
static void tx_kick(iso7816_uart_t *u, sim_time_t now)
{
    if (u->phase != PH_NONE || !u->vcc || !(u->ctrl & UART_CTRL_EN) ||
        !u->clk_hz)
        return;
    if (u->busy ? !u->rep_pending : !u->hold_full)
        return;
    sim_time_t from = now;
    if (!u->busy && u->hold_t > from)
        from = u->hold_t;
    uint64_t c = grid_at_or_after(u, from);
    sim_time_t t = sim_clock_edge(&u->clk, c);
    if (t == now) {
        tx_start(u, now, c);
        return;
    }
    u->phase = PH_START;
    u->next_cycle = c;
    sim_schedule(u->node, &u->tx_ev, t);
}

/* CLK or ETU changed: a start computed on the old grid is recomputed. */
static void tx_regrid(iso7816_uart_t *u, sim_time_t now)
{
    if (u->phase == PH_START) {
        tx_cancel(u);
        tx_kick(u, now);
    }
}

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    iso7816_uart_t *u = ev->ctx;
    int ph = u->phase;
    u->phase = PH_NONE;
    switch (ph) {
    case PH_START:
        tx_start(u, now, u->next_cycle);
        return;
    case PH_SAMPLE:
        /* T=0: the sender samples I/O at 11 etu */
        u->sampled = true;
        if (u->nak) {
            if (u->reps < ISO7816_T0_MAX_REPEATS) {
                u->reps++;
                u->repeats++;
                u->rep_pending = true;
            } else {
                u->sticky |= UART_STATUS_TXERR;
                u->tx_failed++;
            }
            u->phase = PH_GUARD;
            sim_schedule(u->node, &u->tx_ev, u->t_repeat);
            update_irq(u, now);
            return;
        }
        u->phase = PH_GUARD;
        sim_schedule(u->node, &u->tx_ev, u->t_guard);
        return;
    case PH_GUARD:
        if (!u->rep_pending)
            u->busy = false;
        tx_kick(u, now);
        update_irq(u, now);
        return;
    default:
        return;
    }
}

/* ---- registers ------------------------------------------------------- */

static void regs_reset(iso7816_uart_t *u, sim_time_t now)
{
    tx_clear(u);
    u->ctrl = 0;
    u->etu = UART_ETU_DEFAULT;
    u->gt = 0;
    u->irqen = 0;
    u->sticky = 0;
    u->rx_data = 0;
    u->rxne = false;
    u->hold = 0;
    u->hold_t = 0;
    u->grid0 = u->clk_hz ? sim_clock_edge_at_or_after(&u->clk, now) : 0;
}

void iso7816_uart_reset(iso7816_uart_t *u, sim_time_t now)
{
    regs_reset(u, now);
    update_irq(u, now);
}

/* ---- the port: levels of the selected source ------------------------- */

static void start_count(iso7816_uart_t *u, sim_time_t now)
{
    u->counting = true;
    u->cnt_acc = 0;
    u->cnt_from = now + 1; /* edges strictly after the rise */
}

static void clock_change(iso7816_uart_t *u, sim_time_t now, uint64_t hz)
{
    if (u->counting && u->clk_hz && now > 0) {
        u->cnt_acc += (uint32_t)edges_between(u, u->cnt_from, now - 1);
        if (u->cnt_from < now)
            u->cnt_from = now;
    }
    u->clk_hz = hz;
    if (hz)
        sim_clock_restart(&u->clk, hz, now);
    u->grid0 = 0;
    tx_regrid(u, now);
    tx_kick(u, now); /* a byte that waited for CLK to run */
}

/* Makes the UART see the levels of the selected source, in the order VCC,
 * CLK, RST. */
static void apply_levels(iso7816_uart_t *u, sim_time_t now)
{
    const iso7816_uart_src_t *s = &u->src[u->sel];
    if (s->vcc != u->vcc) {
        u->vcc = s->vcc;
        regs_reset(u, now);
        u->counting = false;
        if (u->vcc && u->rst)
            start_count(u, now);
        update_irq(u, now);
        if (u->on_power)
            u->on_power(u->ctx, now, u->vcc);
    }
    if (s->clk_hz != u->clk_hz) {
        clock_change(u, now, s->clk_hz);
        update_irq(u, now);
    }
    if (s->rst != u->rst) {
        u->rst = s->rst;
        if (u->rst && u->vcc) {
            u->sticky |= UART_STATUS_RSTEDGE;
            start_count(u, now);
        } else if (!u->rst) {
            u->counting = false;
        }
        update_irq(u, now);
        if (u->on_reset_pin)
            u->on_reset_pin(u->ctx, now, u->rst);
    }
}

static void rx_char(iso7816_uart_t *u, iso7816_uart_src_t *s,
                    const sim_msg_t *m, sim_time_t now)
{
    if (s->idx != u->sel || !u->vcc || !(u->ctrl & UART_CTRL_EN) ||
        !u->clk_hz) {
        u->dropped++;
        return;
    }
    sim_time_t e = etu_ps(u);
    check_etu(u, now, e);
    uint8_t b;
    unsigned flags = iso7816_char_receive(m->value, e, &b);
    u->chars_received++;
    if (flags & ISO7816_RX_PARITY) {
        u->sticky |= UART_STATUS_PE;
        u->parity_errors++;
        if (u->ctrl & UART_CTRL_T0) {
            /* pull I/O low from 10.5 etu: the sender repeats; the
             * character is not kept */
            if (s->up)
                sim_link_send_at(s->up, now, now + e / 2,
                                 ISO7816_MSG_ERRSIG, m->sent, NULL, 0);
            u->errsigs_sent++;
            update_irq(u, now);
            return;
        }
    }
    if (u->rxne) {
        u->sticky |= UART_STATUS_OVR;
        u->overruns++;
    } else {
        u->rx_data = b;
        u->rxne = true;
    }
    update_irq(u, now);
}

static void rx_errsig(iso7816_uart_t *u, iso7816_uart_src_t *s,
                      const sim_msg_t *m)
{
    if (s->idx != u->sel || !(u->ctrl & UART_CTRL_T0) || !u->busy ||
        u->rep_pending || u->sampled || m->value != u->tx_start)
        return;
    u->nak = true;
}

static void line_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    iso7816_uart_src_t *s = ctx;
    iso7816_uart_t *u = s->uart;
    switch (m->kind) {
    case ISO7816_MSG_VCC:
        s->vcc = m->value != 0;
        break;
    case ISO7816_MSG_RST:
        s->rst = m->value != 0;
        break;
    case ISO7816_MSG_CLK:
        s->clk_hz = m->value;
        break;
    case ISO7816_MSG_PORTSRC: {
        if (s->idx != ISO7816_SRC_PADS) {
            sim_warn(now, u->name, "status pin message on a non-pads line");
            return;
        }
        unsigned sel = m->value ? ISO7816_SRC_PADS : ISO7816_SRC_MCU;
        if (sel == u->sel)
            return;
        u->sel = sel;
        if (u->on_portsrc)
            u->on_portsrc(u->ctx, now, sel);
        apply_levels(u, now);
        return;
    }
    case ISO7816_MSG_CHAR:
        rx_char(u, s, m, now);
        return;
    case ISO7816_MSG_ERRSIG:
        rx_errsig(u, s, m);
        return;
    default:
        sim_fatal(now, "iso7816 uart '%s': unknown line message kind %u",
                  u->name, m->kind);
    }
    if (s->idx == u->sel)
        apply_levels(u, now);
}

/* ---- lifecycle and wiring -------------------------------------------- */

void iso7816_uart_init(iso7816_uart_t *u, sim_t *sim,
                       const iso7816_uart_cfg_t *cfg)
{
    (void)sim;
    memset(u, 0, sizeof *u);
    u->name = cfg->name ? cfg->name : "uart";
    u->node = cfg->node;
    u->base = cfg->base;
    u->ctx = cfg->ctx;
    u->on_irq = cfg->on_irq;
    u->on_power = cfg->on_power;
    u->on_reset_pin = cfg->on_reset_pin;
    u->on_portsrc = cfg->on_portsrc;
    if (!u->node)
        sim_fatal_plain("iso7816 uart '%s': no node", u->name);
    for (unsigned i = 0; i < ISO7816_NSRC; i++) {
        u->src[i].uart = u;
        u->src[i].idx = i;
    }
    u->sel = ISO7816_SRC_MCU;
    u->clk.name = u->name;
    sim_event_init(&u->tx_ev, "iso7816-uart-tx", tx_fire, u);
    regs_reset(u, 0);
}

void iso7816_uart_cleanup(iso7816_uart_t *u)
{
    tx_cancel(u);
}

iso7816_end_t iso7816_uart_end(iso7816_uart_t *u, unsigned src)
{
    if (src >= ISO7816_NSRC)
        sim_fatal_plain("iso7816 uart '%s': no source %u", u->name, src);
    return (iso7816_end_t){ .node = u->node, .rx = line_rx,
                            .ctx = &u->src[src] };
}

void iso7816_uart_attach(iso7816_uart_t *u, unsigned src,
                         iso7816_line_t *line)
{
    if (src >= ISO7816_NSRC)
        sim_fatal_plain("iso7816 uart '%s': no source %u", u->name, src);
    if (line->up.src != u->node)
        sim_fatal_plain("iso7816 uart '%s': line '%s' does not start at "
                        "the UART's node", u->name, line->up.name);
    u->src[src].up = &line->up;
}

/* ---- MMIO ------------------------------------------------------------ */

static bool reg_ok(const iso7816_uart_t *u, uint32_t addr, unsigned size,
                   uint32_t *off)
{
    *off = addr - u->base;
    return size == 4 && (*off & 3u) == 0 && *off <= UART_CLKCNT;
}

uint32_t iso7816_uart_read(void *ctx, uint32_t addr, unsigned size,
                           sim_time_t t, bool *err)
{
    iso7816_uart_t *u = ctx;
    uint32_t off;
    if (!reg_ok(u, addr, size, &off)) {
        *err = true;
        return 0;
    }
    switch (off) {
    case UART_CTRL:
        return u->ctrl;
    case UART_ETU:
        return u->etu;
    case UART_STATUS:
        return status_of(u);
    case UART_DATA:
        if (!u->rxne)
            sim_warn(t, u->name, "DATA read with RXNE clear");
        u->rxne = false;
        update_irq(u, t);
        return u->rx_data;
    case UART_GT:
        return u->gt;
    case UART_IRQEN:
        return u->irqen;
    case UART_CLKCNT:
        return clkcnt(u, t);
    default:
        return 0;
    }
}

void iso7816_uart_write(void *ctx, uint32_t addr, uint32_t v, unsigned size,
                        sim_time_t t, bool *err)
{
    iso7816_uart_t *u = ctx;
    uint32_t off;
    if (!reg_ok(u, addr, size, &off)) {
        *err = true;
        return;
    }
    switch (off) {
    case UART_CTRL: {
        uint32_t old = u->ctrl;
        u->ctrl = v & (UART_CTRL_EN | UART_CTRL_T0);
        if ((old & UART_CTRL_EN) && !(u->ctrl & UART_CTRL_EN))
            tx_clear(u); /* a character already on the line still ends */
        else if (!(old & UART_CTRL_EN) && (u->ctrl & UART_CTRL_EN))
            tx_kick(u, t);
        break;
    }
    case UART_ETU:
        if (v == 0 || v > ETU_MAX) {
            sim_warn(t, u->name, "ETU %u out of 1..%u: ignored", v, ETU_MAX);
            return;
        }
        u->etu = v;
        u->grid0 = u->clk_hz ? sim_clock_edge_at_or_after(&u->clk, t) : 0;
        tx_regrid(u, t);
        break;
    case UART_STATUS:
        u->sticky &= ~(v & UART_STATUS_W1C);
        break;
    case UART_DATA:
        if (!(u->ctrl & UART_CTRL_EN)) {
            sim_warn(t, u->name, "DATA written with CTRL.EN clear: dropped");
            return;
        }
        if (u->hold_full) {
            sim_warn(t, u->name, "DATA written with TXE clear: dropped");
            return;
        }
        u->hold = (uint8_t)v;
        u->hold_full = true;
        u->hold_t = t;
        tx_kick(u, t);
        break;
    case UART_GT:
        if (v > 255)
            sim_warn(t, u->name, "GT %u > 255: using %u", v, v & 0xFFu);
        u->gt = v & 0xFFu;
        break;
    case UART_IRQEN:
        u->irqen = v & (UART_STATUS_RXNE | UART_STATUS_TXE | UART_STATUS_TC |
                        UART_STATUS_PE | UART_STATUS_OVR | UART_STATUS_TXERR |
                        UART_STATUS_RST | UART_STATUS_RSTEDGE |
                        UART_STATUS_CLKON);
        break;
    default:
        sim_warn(t, u->name, "write to read-only register 0x%02X", off);
        return;
    }
    update_irq(u, t);
}

/* ---- observers ------------------------------------------------------- */

unsigned iso7816_uart_source(const iso7816_uart_t *u)
{
    return u->sel;
}

bool iso7816_uart_vcc(const iso7816_uart_t *u)
{
    return u->vcc;
}

bool iso7816_uart_rst(const iso7816_uart_t *u)
{
    return u->rst;
}

bool iso7816_uart_irq(const iso7816_uart_t *u)
{
    return u->irq;
}

sim_time_t iso7816_uart_etu(const iso7816_uart_t *u)
{
    return etu_ps(u);
}
