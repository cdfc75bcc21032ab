/* SPDX-License-Identifier: MIT */
/* tests/test_iso7816.c - the ISO 7816-3 line: a terminal port and a card
 * UART in two nodes of a real sim exchanging characters with times exact
 * to the picosecond (Fi 372 / Di 1 at 3.5712 MHz, and Fi 512 / Di 32 =
 * 16 clocks), guard time, T=0 error signal and repetition both ways,
 * RXNE/OVR, framing errors, CLKCNT, the VCC/RST callbacks, the pads'
 * route and status pins, seeded bit errors, a busy card CPU (lookahead),
 * and the refusal of an etu below 2 us.
 *
 * Expected times are computed outside the simulator: CLK edge n of a clock
 * started at t0 is at t0 + floor(n * 10^12 / f) ps; the terminal's CLK
 * starts at its set time, the card's 100 ns later (control link). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/include/regs/iso7816_uart.h"
#include "firmware/include/regs/se_map.h"
#include "models/iso7816_line.h"
#include "models/iso7816_port.h"
#include "models/iso7816_uart.h"
#include "models/pads.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "suites.h"

Suite *make_iso7816_suite(void);

#define F_CLK 3571200ULL /* 3.5712 MHz: Fi 372 / Di 1 -> 9600 bit/s */
#define MAXLOG 512

/* ---- trace capture --------------------------------------------------- */

typedef struct cap_rec {
    trace_kind_t kind;
    sim_time_t time, start;
    trace_dir_t dir;
    char source[32], path[32], text[64];
    uint8_t byte;
    int level;
} cap_rec_t;

typedef struct cap {
    cap_rec_t r[MAXLOG];
    size_t n;
} cap_t;

static void cap_record(void *ctx, const trace_rec_t *rec)
{
    cap_t *c = ctx;
    if (rec->kind != TRACE_LINE_BYTE && rec->kind != TRACE_SIGNAL &&
        rec->kind != TRACE_LOG)
        return;
    ck_assert_uint_lt(c->n, MAXLOG);
    cap_rec_t *r = &c->r[c->n++];
    memset(r, 0, sizeof *r);
    r->kind = rec->kind;
    r->time = rec->time;
    r->start = rec->start;
    r->dir = rec->dir;
    snprintf(r->source, sizeof r->source, "%s", rec->source ? rec->source : "");
    snprintf(r->path, sizeof r->path, "%s", rec->path ? rec->path : "");
    snprintf(r->text, sizeof r->text, "%s", rec->text ? rec->text : "");
    if (rec->data && rec->len)
        r->byte = rec->data[0];
    if (rec->kind == TRACE_SIGNAL)
        r->level = rec->u.signal.level;
    if (rec->kind == TRACE_LOG)
        r->level = rec->u.log.level;
}

/* The n-th captured record of a kind and path (NULL if none). */
static const cap_rec_t *cap_find(const cap_t *c, trace_kind_t kind,
                                 const char *path, trace_dir_t dir, size_t n)
{
    for (size_t i = 0; i < c->n; i++) {
        const cap_rec_t *r = &c->r[i];
        if (r->kind == kind && strcmp(r->path, path) == 0 &&
            (kind != TRACE_LINE_BYTE || r->dir == dir) && n-- == 0)
            return r;
    }
    return NULL;
}

/* ---- a card stand-in: firmware acting through the UART's registers --- */

typedef struct tlog {
    sim_time_t t;
    int v;
} tlog_t;

typedef struct card card_t;

typedef struct fw_op {
    sim_event_t ev;
    card_t *card;
    uint32_t off, val;
    bool read;
    uint32_t result;
} fw_op_t;

struct card {
    sim_node_t node;
    iso7816_uart_t uart;
    bool fw_read;              /* read DATA on RXNE */
    bool echo;                 /* answer each byte with its complement */
    bool in_fw;
    uint32_t extra_irqen;
    /* bytes received by the firmware */
    sim_time_t rx_t[MAXLOG];
    uint8_t rx_b[MAXLOG];
    uint32_t rx_st[MAXLOG];    /* STATUS before reading DATA */
    size_t n_rx;
    /* bytes to send */
    uint8_t tx[MAXLOG];
    size_t tx_n, tx_i;
    sim_time_t tx_from;        /* ... from this time on */
    /* callbacks */
    tlog_t irq[MAXLOG], power[64], rstpin[64], portsrc[64];
    size_t n_irq, n_power, n_rstpin, n_portsrc;
    fw_op_t ops[64];
    size_t n_ops;
};

static uint32_t rd(card_t *c, uint32_t off, sim_time_t t)
{
    bool err = false;
    uint32_t v = iso7816_uart_read(&c->uart, SE_UART_BASE + off, 4, t, &err);
    ck_assert(!err);
    return v;
}

static void wr(card_t *c, uint32_t off, uint32_t v, sim_time_t t)
{
    bool err = false;
    iso7816_uart_write(&c->uart, SE_UART_BASE + off, v, 4, t, &err);
    ck_assert(!err);
}

/* What an interrupt handler would do: take a received byte, send the
 * next one while TXE, mask TXE when nothing is left to send. */
static void fw_service(card_t *c, sim_time_t now)
{
    uint32_t st = rd(c, UART_STATUS, now);
    if (c->fw_read && (st & UART_STATUS_RXNE)) {
        ck_assert_uint_lt(c->n_rx, MAXLOG);
        c->rx_t[c->n_rx] = now;
        c->rx_st[c->n_rx] = st;
        c->rx_b[c->n_rx] = (uint8_t)rd(c, UART_DATA, now);
        if (c->echo)
            c->tx[c->tx_n++] = (uint8_t)~c->rx_b[c->n_rx];
        c->n_rx++;
        if (st & UART_STATUS_PE)
            wr(c, UART_STATUS, UART_STATUS_PE, now);
    }
    st = rd(c, UART_STATUS, now);
    bool send = now >= c->tx_from && c->tx_i < c->tx_n;
    if ((st & UART_STATUS_TXE) && send)
        wr(c, UART_DATA, c->tx[c->tx_i++], now);
    send = now >= c->tx_from && c->tx_i < c->tx_n;
    wr(c, UART_IRQEN,
       (c->fw_read ? UART_STATUS_RXNE : 0) | (send ? UART_STATUS_TXE : 0) |
           c->extra_irqen,
       now);
}

static void card_irq(void *ctx, sim_time_t now, bool level)
{
    card_t *c = ctx;
    ck_assert_uint_lt(c->n_irq, MAXLOG);
    c->irq[c->n_irq++] = (tlog_t){ now, level };
    if (!level || c->in_fw)
        return;
    c->in_fw = true;
    for (int i = 0; i < 8 && iso7816_uart_irq(&c->uart); i++)
        fw_service(c, now);
    c->in_fw = false;
}

static void card_power(void *ctx, sim_time_t now, bool vcc)
{
    card_t *c = ctx;
    c->power[c->n_power++] = (tlog_t){ now, vcc };
}

static void card_rstpin(void *ctx, sim_time_t now, bool level)
{
    card_t *c = ctx;
    c->rstpin[c->n_rstpin++] = (tlog_t){ now, level };
}

static void card_portsrc(void *ctx, sim_time_t now, unsigned src)
{
    card_t *c = ctx;
    c->portsrc[c->n_portsrc++] = (tlog_t){ now, (int)src };
}

static void fw_op_fire(sim_event_t *ev, sim_time_t now)
{
    fw_op_t *op = ev->ctx;
    if (op->read)
        op->result = rd(op->card, op->off, now);
    else
        wr(op->card, op->off, op->val, now);
}

/* A register write (or read, kept in the op) at time t on the card. */
static fw_op_t *fw_at(card_t *c, sim_time_t t, bool read, uint32_t off,
                      uint32_t val)
{
    ck_assert_uint_lt(c->n_ops, 64);
    fw_op_t *op = &c->ops[c->n_ops++];
    op->card = c;
    op->off = off;
    op->val = val;
    op->read = read;
    sim_event_init(&op->ev, "fw-op", fw_op_fire, op);
    sim_schedule(&c->node, &op->ev, t);
    return op;
}

static void card_init(card_t *c, sim_t *sim, const char *name)
{
    memset(c, 0, sizeof *c);
    sim_node_init(&c->node, sim, name, c);
    iso7816_uart_cfg_t cfg = {
        .name = name, .node = &c->node, .base = SE_UART_BASE, .ctx = c,
        .on_irq = card_irq, .on_power = card_power,
        .on_reset_pin = card_rstpin, .on_portsrc = card_portsrc,
    };
    iso7816_uart_init(&c->uart, sim, &cfg);
    c->fw_read = true;
}

/* ---- a terminal port and its log ------------------------------------- */

typedef struct term {
    iso7816_port_t port;
    sim_time_t rx_t[MAXLOG];
    uint8_t rx_b[MAXLOG];
    unsigned rx_f[MAXLOG];
    size_t n_rx;
    unsigned nak_next;        /* reject that many characters */
    sim_time_t idle_t[MAXLOG];
    size_t n_idle;
} term_t;

static void term_rx(void *ctx, sim_time_t now, uint8_t byte, unsigned flags)
{
    term_t *t = ctx;
    ck_assert_uint_lt(t->n_rx, MAXLOG);
    if (t->nak_next && !(flags & ISO7816_RX_NAKED)) {
        t->nak_next--;
        iso7816_port_nak(&t->port, now);
        flags |= ISO7816_RX_NAKED;
    }
    t->rx_t[t->n_rx] = now;
    t->rx_b[t->n_rx] = byte;
    t->rx_f[t->n_rx] = flags;
    t->n_rx++;
}

static void term_idle(void *ctx, sim_time_t now)
{
    term_t *t = ctx;
    t->idle_t[t->n_idle++] = now;
}

static void term_init(term_t *t, sim_t *sim, sim_node_t *node,
                      trace_bus_t *bus, const char *name, const char *path)
{
    memset(t, 0, sizeof *t);
    iso7816_port_cfg_t cfg = {
        .name = name, .path = path, .node = node, .bus = bus,
        .on_rx = term_rx, .on_idle = term_idle, .ctx = t,
    };
    iso7816_port_init(&t->port, sim, &cfg);
}

/* ---- the bench: terminal node + card node on one line ---------------- */

typedef struct bench {
    sim_t sim;
    sim_node_t tnode;
    term_t term;
    card_t card;
    iso7816_line_t line;
    trace_bus_t bus;
    cap_t cap;
} bench_t;

static bench_t *bench_new(uint64_t seed)
{
    bench_t *b = calloc(1, sizeof *b);
    ck_assert_ptr_nonnull(b);
    sim_init(&b->sim, seed);
    trace_bus_init(&b->bus);
    trace_sink_t sink = {
        .name = "cap",
        .mask = TRACE_MASK(TRACE_LINE_BYTE) | TRACE_MASK(TRACE_SIGNAL) |
                TRACE_MASK(TRACE_LOG),
        .record = cap_record, .ctx = &b->cap,
    };
    trace_bus_add_sink(&b->bus, &sink);
    trace_bus_attach(&b->bus, &b->sim);
    sim_node_init(&b->tnode, &b->sim, "term", b);
    card_init(&b->card, &b->sim, "se0");
    term_init(&b->term, &b->sim, &b->tnode, &b->bus, "mcu.iso0", "mcu-se0");
    iso7816_port_connect(&b->term.port, &b->line, &b->sim, "mcu-se0",
                         iso7816_uart_end(&b->card.uart, ISO7816_SRC_MCU));
    iso7816_uart_attach(&b->card.uart, ISO7816_SRC_MCU, &b->line);
    return b;
}

static void bench_free(bench_t *b)
{
    char err[128];
    ck_assert_int_eq(trace_bus_close(&b->bus, err, sizeof err), 0);
    iso7816_port_cleanup(&b->term.port);
    iso7816_uart_cleanup(&b->card.uart);
    sim_cleanup(&b->sim);
    free(b);
}

/* Cold activation by the terminal: VCC and CLK at 0, RST high at t_rst;
 * the card firmware enables the UART at 1 us (after VCC arrived). */
static void activate(bench_t *b, sim_time_t t_rst, uint32_t ctrl)
{
    iso7816_port_set_vcc(&b->term.port, 0, true);
    iso7816_port_set_clk(&b->term.port, 0, F_CLK);
    iso7816_port_set_rst(&b->term.port, t_rst, true);
    fw_at(&b->card, SIM_US(1), false, UART_CTRL, ctrl);
    fw_at(&b->card, SIM_US(1), false, UART_IRQEN, UART_STATUS_RXNE);
}

/* ---- exchanges at Fi 372 / Di 1 -------------------------------------- */

START_TEST(port_to_uart_default_rate)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN);
    static const uint8_t cmd[] = { 0x00, 0xA4, 0x04 };
    iso7816_port_send(&b->term.port, SIM_MS(1), cmd, sizeof cmd);
    sim_run_until(&b->sim, SIM_MS(10));

    /* etu = 372 / 3.5712 MHz = 104.1666.. us; the port's grid starts at
     * its CLK edge 0 (t = 0); first boundary at or after 1 ms: edge 3720
     * (1041666666 ps); characters every 12 etu = 4464 edges; each ends
     * 3720 edges after its start */
    ck_assert_uint_eq(iso7816_uart_etu(&b->card.uart), 104166666);
    ck_assert_uint_eq(iso7816_port_etu(&b->term.port), 104166666);
    static const sim_time_t start[] = { 1041666666, 2291666666, 3541666666 };
    static const sim_time_t end[] = { 2083333333, 3333333333, 4583333333 };
    ck_assert_uint_eq(b->card.n_rx, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(b->card.rx_t[i], end[i]);
        ck_assert_uint_eq(b->card.rx_b[i], cmd[i]);
        ck_assert_uint_eq(b->card.rx_st[i] & (UART_STATUS_PE | UART_STATUS_OVR),
                          0);
        const cap_rec_t *r = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu-se0",
                                      TRACE_DIR_CMD, (size_t)i);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->start, start[i]);
        ck_assert_uint_eq(r->time, end[i]);
        ck_assert_uint_eq(r->byte, cmd[i]);
        ck_assert_str_eq(r->source, "mcu.iso0");
    }
    /* the port went idle when the last guard time ended: 12 etu after
     * the last start (edge 12648 + 4464 = 17112) */
    ck_assert_uint_eq(b->term.n_idle, 1);
    ck_assert_uint_eq(b->term.idle_t[0], 4791666666);
    /* the control lines were traced when set */
    const cap_rec_t *s = cap_find(&b->cap, TRACE_SIGNAL, "mcu-se0.RST", 0, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->time, SIM_US(200));
    ck_assert_int_eq(s->level, 1);
    s = cap_find(&b->cap, TRACE_SIGNAL, "mcu-se0.CLK", 0, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->level, (int)F_CLK);
    ck_assert_ptr_nonnull(cap_find(&b->cap, TRACE_SIGNAL, "mcu-se0.VCC", 0, 0));
    bench_free(b);
}
END_TEST

START_TEST(uart_to_port_default_rate)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN);
    static const uint8_t atr[] = { 0x3B, 0x00, 0x90 };
    memcpy(b->card.tx, atr, sizeof atr);
    b->card.tx_n = sizeof atr;
    /* the firmware starts sending at 500 us (TXE interrupt) */
    fw_at(&b->card, SIM_US(500), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    fw_op_t *tc_early = fw_at(&b->card, SIM_MS(4), true, UART_STATUS, 0);
    fw_op_t *tc_late = fw_at(&b->card, SIM_MS(5), true, UART_STATUS, 0);
    sim_run_until(&b->sim, SIM_MS(10));

    /* the card's CLK edge 0 is at 100 ns; its grid starts there. DATA
     * written at 500 us starts at edge 1860 (520933333 ps); the next two
     * wait for the guard time: edges 6324 and 10788. */
    static const sim_time_t start[] = { 520933333, 1770933333, 3020933333 };
    static const sim_time_t end[] = { 1562600000, 2812600000, 4062600000 };
    ck_assert_uint_eq(b->term.n_rx, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(b->term.rx_t[i], end[i]);
        ck_assert_uint_eq(b->term.rx_b[i], atr[i]);
        ck_assert_uint_eq(b->term.rx_f[i], 0);
        const cap_rec_t *r = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu-se0",
                                      TRACE_DIR_RSP, (size_t)i);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->start, start[i]);
        ck_assert_uint_eq(r->time, end[i]);
        ck_assert_uint_eq(r->byte, atr[i]);
    }
    /* TC: the last guard time ends at edge 10788 + 4464 = 15252 */
    ck_assert_uint_eq(tc_early->result & UART_STATUS_TC, 0);
    ck_assert_uint_eq(tc_early->result & UART_STATUS_TXE, UART_STATUS_TXE);
    ck_assert_uint_eq(tc_late->result & UART_STATUS_TC, UART_STATUS_TC);
    ck_assert_uint_eq(b->card.uart.chars_sent, 3);
    bench_free(b);
}
END_TEST

/* ---- fast rate, guard time ------------------------------------------ */

START_TEST(fast_rate_after_etu_change)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN);
    /* after a PPS to Fi 512 / Di 32: 16 clocks per etu on both sides */
    fw_at(&b->card, SIM_MS(9), false, UART_ETU, 16);
    iso7816_port_set_etu(&b->term.port, SIM_MS(10), 16);
    static const uint8_t cmd[] = { 0x80, 0xCA };
    iso7816_port_send(&b->term.port, SIM_MS(10), cmd, sizeof cmd);
    static const uint8_t rsp[] = { 0x90, 0x00 };
    memcpy(b->card.tx, rsp, sizeof rsp);
    b->card.tx_n = sizeof rsp;
    b->card.tx_from = SIM_MS(11);
    fw_at(&b->card, SIM_MS(11), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    sim_run_until(&b->sim, SIM_MS(12));

    ck_assert_uint_eq(iso7816_port_etu(&b->term.port), 4480286);
    ck_assert_uint_eq(iso7816_uart_etu(&b->card.uart), 4480286);
    /* port grid restarts at its edge 35712 (10 ms exactly); characters
     * at edges 35712 and 35904, each 160 edges long */
    ck_assert_uint_eq(b->card.n_rx, 2);
    ck_assert_uint_eq(b->card.rx_t[0], 10044802867);
    ck_assert_uint_eq(b->card.rx_t[1], 10098566308);
    ck_assert_uint_eq(b->card.rx_b[0], 0x80);
    ck_assert_uint_eq(b->card.rx_b[1], 0xCA);
    /* card grid restarts at its edge 32141 (first at or after 9 ms);
     * DATA at 11 ms starts at edge 39293, the next at 39485 */
    ck_assert_uint_eq(b->term.n_rx, 2);
    ck_assert_uint_eq(b->term.rx_t[0], 11047647043);
    ck_assert_uint_eq(b->term.rx_t[1], 11101410483);
    ck_assert_uint_eq(b->term.rx_b[0], 0x90);
    ck_assert_uint_eq(b->term.rx_b[1], 0x00);
    const cap_rec_t *r = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu-se0",
                                  TRACE_DIR_RSP, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->start, 11002844175);
    bench_free(b);
}
END_TEST

START_TEST(guard_time_both_ways)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN);
    iso7816_port_set_guard(&b->term.port, 0, 2);   /* N = 2: 14 etu */
    fw_at(&b->card, SIM_US(2), false, UART_GT, 3); /* GT = 3: 15 etu */
    static const uint8_t cmd[] = { 1, 2, 3 };
    iso7816_port_send(&b->term.port, SIM_MS(1), cmd, sizeof cmd);
    static const uint8_t rsp[] = { 4, 5, 6 };
    memcpy(b->card.tx, rsp, sizeof rsp);
    b->card.tx_n = sizeof rsp;
    b->card.tx_from = SIM_MS(6);
    fw_at(&b->card, SIM_MS(6), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    sim_run_until(&b->sim, SIM_MS(12));

    static const sim_time_t cmd_end[] = { 2083333333, 3541666666,
                                          5000000000 };
    static const sim_time_t rsp_end[] = { 7083433333, 8645933333,
                                          10208433333 };
    ck_assert_uint_eq(b->card.n_rx, 3);
    ck_assert_uint_eq(b->term.n_rx, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(b->card.rx_t[i], cmd_end[i]);
        ck_assert_uint_eq(b->term.rx_t[i], rsp_end[i]);
        ck_assert_uint_eq(b->term.rx_b[i], rsp[i]);
    }
    bench_free(b);
}
END_TEST

/* ---- T=0 error signal and repetition --------------------------------- */

START_TEST(t0_card_rejects_port_repeats)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN | UART_CTRL_T0);
    iso7816_port_set_t0(&b->term.port, 0, true);
    /* only the first transmission gets a bit error */
    iso7816_port_set_bit_errors(&b->term.port, 0, 1.0, 0.0);
    iso7816_port_set_bit_errors(&b->term.port, SIM_US(1500), 0.0, 0.0);
    static const uint8_t cmd[] = { 0xA4 };
    iso7816_port_send(&b->term.port, SIM_MS(1), cmd, 1);
    sim_run_until(&b->sim, SIM_MS(6));

    /* the card NAKs at 2083333333 + etu/2; the port samples at 11 etu
     * (2187500000), repeats 13 etu after the first start (edge 8556) */
    ck_assert_uint_eq(b->card.uart.parity_errors, 1);
    ck_assert_uint_eq(b->card.uart.errsigs_sent, 1);
    ck_assert_uint_eq(b->term.port.errsigs_received, 1);
    ck_assert_uint_eq(b->term.port.repeats, 1);
    ck_assert_uint_eq(b->term.port.bit_errors, 1);
    ck_assert_uint_eq(b->card.n_rx, 1);
    ck_assert_uint_eq(b->card.rx_t[0], 3437500000);
    ck_assert_uint_eq(b->card.rx_b[0], 0xA4);
    ck_assert_uint_eq(b->card.rx_st[0] & UART_STATUS_PE, UART_STATUS_PE);
    const cap_rec_t *r0 = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu-se0",
                                   TRACE_DIR_CMD, 0);
    const cap_rec_t *r1 = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu-se0",
                                   TRACE_DIR_CMD, 1);
    ck_assert_ptr_nonnull(r0);
    ck_assert_ptr_nonnull(r1);
    ck_assert_str_eq(r0->text, "bit error");
    ck_assert_uint_eq(r1->start, 2395833333);
    ck_assert_uint_eq(r1->byte, 0xA4);
    ck_assert_str_eq(r1->text, "repetition 1");
    ck_assert_uint_eq(b->term.n_idle, 1);
    ck_assert_uint_eq(b->term.idle_t[0], 3645833333);
    bench_free(b);
}
END_TEST

START_TEST(t0_port_gives_up_after_four_repetitions)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN | UART_CTRL_T0);
    iso7816_port_set_t0(&b->term.port, 0, true);
    iso7816_port_set_bit_errors(&b->term.port, 0, 1.0, 0.0);
    iso7816_port_set_bit_errors(&b->term.port, SIM_MS(7), 0.0, 0.0);
    static const uint8_t cmd[] = { 0x11, 0x22 };
    iso7816_port_send(&b->term.port, SIM_MS(1), cmd, 2);
    sim_run_until(&b->sim, SIM_MS(10));

    /* 0x11 sent 5 times (13 etu apart), dropped; 0x22 follows at the end
     * of the last repetition slot (edge 27900) */
    ck_assert_uint_eq(b->term.port.chars_sent, 6);
    ck_assert_uint_eq(b->term.port.repeats, 4);
    ck_assert_uint_eq(b->term.port.tx_failed, 1);
    ck_assert_uint_eq(b->card.uart.errsigs_sent, 5);
    ck_assert_uint_eq(b->card.n_rx, 1);
    ck_assert_uint_eq(b->card.rx_b[0], 0x22);
    ck_assert_uint_eq(b->card.rx_t[0], 8854166666);
    /* the port warned (a log record through the trace bus) */
    bool warned = false;
    for (size_t i = 0; i < b->cap.n; i++)
        if (b->cap.r[i].kind == TRACE_LOG &&
            strstr(b->cap.r[i].text, "rejected 5 times"))
            warned = true;
    ck_assert(warned);
    bench_free(b);
}
END_TEST

START_TEST(t0_port_rejects_card_repeats)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN | UART_CTRL_T0);
    iso7816_port_set_t0(&b->term.port, 0, true);
    b->term.nak_next = 2;
    static const uint8_t rsp[] = { 0x3B, 0x9F };
    memcpy(b->card.tx, rsp, sizeof rsp);
    b->card.tx_n = sizeof rsp;
    fw_at(&b->card, SIM_US(500), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    sim_run_until(&b->sim, SIM_MS(8));

    /* 0x3B at card edges 1860, 6696 (NAKed), 11532 (taken); 0x9F after
     * the guard time of the accepted one (edge 15996) */
    static const sim_time_t end[] = { 1562600000, 2916766666, 4270933333,
                                      5520933333 };
    static const uint8_t byte[] = { 0x3B, 0x3B, 0x3B, 0x9F };
    static const unsigned flags[] = { ISO7816_RX_NAKED, ISO7816_RX_NAKED, 0,
                                      0 };
    ck_assert_uint_eq(b->term.n_rx, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(b->term.rx_t[i], end[i]);
        ck_assert_uint_eq(b->term.rx_b[i], byte[i]);
        ck_assert_uint_eq(b->term.rx_f[i], flags[i]);
    }
    ck_assert_uint_eq(b->card.uart.repeats, 2);
    ck_assert_uint_eq(b->term.port.errsigs_sent, 2);
    const cap_rec_t *r = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu-se0",
                                  TRACE_DIR_RSP, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->text, "error signal");
    bench_free(b);
}
END_TEST

START_TEST(t0_card_sets_txerr_after_four_repetitions)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN | UART_CTRL_T0);
    iso7816_port_set_t0(&b->term.port, 0, true);
    b->term.nak_next = 5;
    static const uint8_t rsp[] = { 0x3B, 0x9F };
    memcpy(b->card.tx, rsp, sizeof rsp);
    b->card.tx_n = sizeof rsp;
    fw_at(&b->card, SIM_US(500), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    fw_op_t *before = fw_at(&b->card, SIM_PS(7083433332), true,
                            UART_STATUS, 0);
    /* (an op at the sample instant itself would fire first: it was
     * scheduled earlier) */
    fw_op_t *after = fw_at(&b->card, SIM_PS(7083433334), true,
                           UART_STATUS, 0);
    sim_run_until(&b->sim, SIM_MS(10));

    /* the 5th transmission (edge 21204) is sampled at edge 25296 */
    ck_assert_uint_eq(before->result & UART_STATUS_TXERR, 0);
    ck_assert_uint_eq(after->result & UART_STATUS_TXERR, UART_STATUS_TXERR);
    ck_assert_uint_eq(b->card.uart.chars_sent, 6);
    ck_assert_uint_eq(b->card.uart.tx_failed, 1);
    ck_assert_uint_eq(b->term.n_rx, 6);
    ck_assert_uint_eq(b->term.rx_t[4], 6979266666);
    ck_assert_uint_eq(b->term.rx_b[5], 0x9F);
    ck_assert_uint_eq(b->term.rx_t[5], 8333433333);
    ck_assert_uint_eq(b->term.rx_f[5], 0);
    bench_free(b);
}
END_TEST

/* ---- receiver flags --------------------------------------------------- */

static void passive_irq(void *ctx, sim_time_t now, bool level)
{
    card_t *c = ctx;
    c->irq[c->n_irq++] = (tlog_t){ now, level };
}

START_TEST(rxne_and_overrun)
{
    bench_t *b = bench_new(1);
    b->card.uart.on_irq = passive_irq;
    activate(b, SIM_US(200), UART_CTRL_EN);
    static const uint8_t cmd[] = { 0x01, 0x02 };
    iso7816_port_send(&b->term.port, SIM_MS(1), cmd, 2);
    fw_op_t *st0 = fw_at(&b->card, SIM_MS(5), true, UART_STATUS, 0);
    fw_op_t *data = fw_at(&b->card, SIM_MS(5), true, UART_DATA, 0);
    fw_op_t *st1 = fw_at(&b->card, SIM_MS(5), true, UART_STATUS, 0);
    fw_at(&b->card, SIM_MS(5), false, UART_STATUS, UART_STATUS_OVR);
    fw_op_t *st2 = fw_at(&b->card, SIM_MS(5), true, UART_STATUS, 0);
    sim_run_until(&b->sim, SIM_MS(6));

    uint32_t both = UART_STATUS_RXNE | UART_STATUS_OVR;
    ck_assert_uint_eq(st0->result & both, both);
    ck_assert_uint_eq(data->result, 0x01); /* the second byte was lost */
    ck_assert_uint_eq(st1->result & both, UART_STATUS_OVR);
    ck_assert_uint_eq(st2->result & both, 0);
    ck_assert_uint_eq(b->card.uart.overruns, 1);
    /* the interrupt (IRQEN = RXNE) rose when the first byte ended and
     * fell when DATA was read */
    ck_assert_uint_eq(b->card.n_irq, 2);
    ck_assert_uint_eq(b->card.irq[0].t, 2083333333);
    ck_assert_int_eq(b->card.irq[0].v, 1);
    ck_assert_uint_eq(b->card.irq[1].t, SIM_MS(5));
    ck_assert_int_eq(b->card.irq[1].v, 0);
    bench_free(b);
}
END_TEST

START_TEST(etu_mismatch_is_a_framing_error)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN);
    /* 300 clocks: 19.4 % off the port's 372, still read right; 297:
     * 20.2 % off, a framing error */
    fw_at(&b->card, SIM_US(10), false, UART_ETU, 300);
    static const uint8_t cmd[] = { 0x3B };
    iso7816_port_send(&b->term.port, SIM_MS(1), cmd, 1);
    fw_at(&b->card, SIM_MS(3), false, UART_ETU, 297);
    iso7816_port_send(&b->term.port, SIM_MS(4), cmd, 1);
    sim_run_until(&b->sim, SIM_MS(6));

    ck_assert_uint_eq(b->card.n_rx, 2);
    ck_assert_uint_eq(b->card.rx_b[0], 0x3B);
    ck_assert_uint_eq(b->card.rx_st[0] & UART_STATUS_PE, 0);
    /* sampled at (i + 1/2) * 297/372 etu of the port: 1,1,1,0,1,1,1,1 */
    ck_assert_uint_eq(b->card.rx_b[1], 0xF7);
    ck_assert_uint_eq(b->card.rx_st[1] & UART_STATUS_PE, UART_STATUS_PE);
    bench_free(b);
}
END_TEST

START_TEST(byte_waits_for_clk)
{
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN);
    iso7816_port_set_clk(&b->term.port, SIM_US(400), 0);
    b->card.tx[0] = 0x3B;
    b->card.tx_n = 1;
    b->card.tx_from = SIM_US(500);
    fw_at(&b->card, SIM_US(500), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    fw_op_t *st = fw_at(&b->card, SIM_MS(1), true, UART_STATUS, 0);
    iso7816_port_set_clk(&b->term.port, SIM_MS(2), F_CLK);
    sim_run_until(&b->sim, SIM_MS(4));

    /* CLK stopped: the byte waits in DATA (TXE clear, CLKON clear) */
    ck_assert_uint_eq(st->result & (UART_STATUS_TXE | UART_STATUS_CLKON), 0);
    /* CLK back at 2.0001 ms on the card: its edge 0 starts the byte,
     * which ends 3720 edges later */
    ck_assert_uint_eq(b->term.n_rx, 1);
    ck_assert_uint_eq(b->term.rx_b[0], 0x3B);
    ck_assert_uint_eq(b->term.rx_t[0], 3041766666);
    bench_free(b);
}
END_TEST

/* ---- levels: CLKCNT, RST, VCC ----------------------------------------- */

START_TEST(clkcnt_counts_from_rst_rise)
{
    bench_t *b = bench_new(1);
    b->card.uart.on_irq = passive_irq;
    activate(b, SIM_US(200), UART_CTRL_EN);
    fw_op_t *c150 = fw_at(&b->card, SIM_US(150), true, UART_CLKCNT, 0);
    fw_op_t *s150 = fw_at(&b->card, SIM_US(150), true, UART_STATUS, 0);
    fw_op_t *cr = fw_at(&b->card, SIM_NS(200100), true, UART_CLKCNT, 0);
    fw_op_t *c1 = fw_at(&b->card, SIM_MS(1), true, UART_CLKCNT, 0);
    fw_op_t *s1 = fw_at(&b->card, SIM_MS(1), true, UART_STATUS, 0);
    fw_at(&b->card, SIM_MS(1), false, UART_STATUS, UART_STATUS_RSTEDGE);
    fw_op_t *s1b = fw_at(&b->card, SIM_MS(1), true, UART_STATUS, 0);
    fw_op_t *c2 = fw_at(&b->card, SIM_MS(2), true, UART_CLKCNT, 0);
    iso7816_port_set_clk(&b->term.port, SIM_MS(3), 4000000);
    fw_op_t *c5 = fw_at(&b->card, SIM_MS(5), true, UART_CLKCNT, 0);
    iso7816_port_set_rst(&b->term.port, SIM_MS(6), false);
    fw_op_t *c6 = fw_at(&b->card, SIM_US(6500), true, UART_CLKCNT, 0);
    fw_op_t *s6 = fw_at(&b->card, SIM_US(6500), true, UART_STATUS, 0);
    iso7816_port_set_rst(&b->term.port, SIM_MS(7), true);
    fw_op_t *c8 = fw_at(&b->card, SIM_MS(8), true, UART_CLKCNT, 0);
    iso7816_port_set_clk(&b->term.port, SIM_US(8500), 0);
    fw_op_t *s9 = fw_at(&b->card, SIM_MS(9), true, UART_STATUS, 0);
    fw_op_t *c9 = fw_at(&b->card, SIM_MS(9), true, UART_CLKCNT, 0);
    sim_run_until(&b->sim, SIM_MS(10));

    ck_assert_uint_eq(c150->result, 0);
    ck_assert_uint_eq(s150->result & (UART_STATUS_RST | UART_STATUS_CLKON),
                      UART_STATUS_CLKON);
    ck_assert_uint_eq(cr->result, 0);
    /* card CLK edges in (200.1 us, t] at 3.5712 MHz from 100 ns */
    ck_assert_uint_eq(c1->result, 2856);
    ck_assert_uint_eq(s1->result & (UART_STATUS_RST | UART_STATUS_RSTEDGE),
                      UART_STATUS_RST | UART_STATUS_RSTEDGE);
    ck_assert_uint_eq(s1b->result & UART_STATUS_RSTEDGE, 0);
    ck_assert_uint_eq(c2->result, 6428);
    /* 9999 edges before the change at 3.0001 ms, then 8000 at 4 MHz */
    ck_assert_uint_eq(c5->result, 17999);
    ck_assert_uint_eq(c6->result, 0);
    ck_assert_uint_eq(s6->result & UART_STATUS_RST, 0);
    /* edges of the 4 MHz clock (from 3.0001 ms) in (7.0001 ms, 8 ms] */
    ck_assert_uint_eq(c8->result, 3999);
    /* CLK stopped at 8.5001 ms: the count holds, CLKON falls */
    ck_assert_uint_eq(s9->result & UART_STATUS_CLKON, 0);
    ck_assert_uint_eq(c9->result, 3999 + 2000);
    bench_free(b);
}
END_TEST

START_TEST(vcc_and_rst_reach_the_owner)
{
    bench_t *b = bench_new(1);
    b->card.uart.on_irq = passive_irq;
    iso7816_port_t *p = &b->term.port;
    iso7816_port_set_vcc(p, 0, true);
    iso7816_port_set_clk(p, 0, F_CLK);
    iso7816_port_set_rst(p, SIM_US(50), true);
    iso7816_port_set_rst(p, SIM_US(80), false);
    iso7816_port_set_vcc(p, SIM_US(100), false);
    iso7816_port_set_vcc(p, SIM_US(120), true);
    fw_at(&b->card, SIM_US(10), false, UART_ETU, 16);
    fw_at(&b->card, SIM_US(10), false, UART_IRQEN, UART_STATUS_RSTEDGE);
    fw_op_t *etu = fw_at(&b->card, SIM_US(130), true, UART_ETU, 0);
    fw_op_t *en = fw_at(&b->card, SIM_US(130), true, UART_IRQEN, 0);
    sim_run_until(&b->sim, SIM_US(200));

    ck_assert_uint_eq(b->card.n_power, 3);
    ck_assert_uint_eq(b->card.power[0].t, SIM_NS(100));
    ck_assert_int_eq(b->card.power[0].v, 1);
    ck_assert_uint_eq(b->card.power[1].t, SIM_NS(100100));
    ck_assert_int_eq(b->card.power[1].v, 0);
    ck_assert_uint_eq(b->card.power[2].t, SIM_NS(120100));
    ck_assert_int_eq(b->card.power[2].v, 1);
    ck_assert_uint_eq(b->card.n_rstpin, 2);
    ck_assert_uint_eq(b->card.rstpin[0].t, SIM_NS(50100));
    ck_assert_int_eq(b->card.rstpin[0].v, 1);
    ck_assert_uint_eq(b->card.rstpin[1].t, SIM_NS(80100));
    ck_assert_int_eq(b->card.rstpin[1].v, 0);
    /* the interrupt: RSTEDGE at 50.1 us, gone with the power at 100.1 */
    ck_assert_uint_eq(b->card.n_irq, 2);
    ck_assert_uint_eq(b->card.irq[0].t, SIM_NS(50100));
    ck_assert_uint_eq(b->card.irq[1].t, SIM_NS(100100));
    ck_assert_int_eq(b->card.irq[1].v, 0);
    /* the power cut reset the registers */
    ck_assert_uint_eq(etu->result, UART_ETU_DEFAULT);
    ck_assert_uint_eq(en->result, 0);
    ck_assert(iso7816_uart_vcc(&b->card.uart));
    ck_assert(!iso7816_uart_rst(&b->card.uart));
    bench_free(b);
}
END_TEST

START_TEST(bus_errors_on_bad_access)
{
    bench_t *b = bench_new(1);
    bool err = false;
    iso7816_uart_read(&b->card.uart, SE_UART_BASE + UART_STATUS, 2, 0, &err);
    ck_assert(err);
    err = false;
    iso7816_uart_read(&b->card.uart, SE_UART_BASE + 0x1C, 4, 0, &err);
    ck_assert(err);
    err = false;
    uint32_t st = iso7816_uart_read(&b->card.uart, SE_UART_BASE + UART_STATUS,
                                    4, 0, &err);
    ck_assert(!err);
    ck_assert_uint_eq(st, UART_STATUS_TXE | UART_STATUS_TC);
    bench_free(b);
}
END_TEST

/* ---- seeded bit errors ------------------------------------------------ */

#define BER_N 64

static void ber_run(uint64_t seed, uint8_t *bytes, uint32_t *st,
                    uint64_t *n_err)
{
    bench_t *b = bench_new(seed);
    activate(b, SIM_US(200), UART_CTRL_EN);
    uint8_t cmd[BER_N];
    for (int i = 0; i < BER_N; i++)
        cmd[i] = (uint8_t)(i * 37 + 5);
    iso7816_port_set_bit_errors(&b->term.port, 0, 0.25, 0.0);
    iso7816_port_send(&b->term.port, SIM_MS(1), cmd, BER_N);
    sim_run_until(&b->sim, SIM_MS(90));
    ck_assert_uint_eq(b->card.n_rx, BER_N);
    uint64_t pe = 0;
    for (int i = 0; i < BER_N; i++) {
        bytes[i] = b->card.rx_b[i];
        st[i] = b->card.rx_st[i] & UART_STATUS_PE;
        /* a clean character arrives intact (a corrupted one may still
         * carry the right byte: its parity bit was the one flipped) */
        if (!st[i])
            ck_assert_uint_eq(bytes[i], cmd[i]);
        pe += st[i] != 0;
    }
    ck_assert_uint_eq(pe, b->term.port.bit_errors);
    *n_err = pe;
    bench_free(b);
}

START_TEST(bit_errors_are_reproducible)
{
    uint8_t b1[BER_N], b2[BER_N], b3[BER_N];
    uint32_t s1[BER_N], s2[BER_N], s3[BER_N];
    uint64_t n1, n2, n3;
    ber_run(42, b1, s1, &n1);
    ber_run(42, b2, s2, &n2);
    ber_run(43, b3, s3, &n3);
    ck_assert_uint_gt(n1, 4);
    ck_assert_uint_lt(n1, 40);
    ck_assert_uint_eq(n1, n2);
    ck_assert_mem_eq(b1, b2, BER_N);
    ck_assert_mem_eq(s1, s2, sizeof s1);
    ck_assert(memcmp(s1, s3, sizeof s1) != 0 || memcmp(b1, b3, BER_N) != 0);
}
END_TEST

/* ---- pads: route and status pins ------------------------------------- */

typedef struct rig {
    sim_t sim;
    trace_bus_t bus;
    cap_t cap;
    sim_node_t world, mcu;
    term_t reader, mport[2];
    card_t se[2];
    pads_t pads;
    iso7816_line_t mline[2], pline[2];
} rig_t;

static void tlog_eq(const tlog_t *log, size_t n, const tlog_t *want,
                    size_t n_want)
{
    ck_assert_uint_eq(n, n_want);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(log[i].t, want[i].t);
        ck_assert_int_eq(log[i].v, want[i].v);
    }
}

START_TEST(pads_route_and_status_pins)
{
    static const char *const se_name[] = { "se0", "se1" };
    static const char *const mport_name[] = { "mcu.iso0", "mcu.iso1" };
    static const char *const mpath[] = { "mcu-se0", "mcu-se1" };
    static const char *const ppath[] = { "contact-se0", "contact-se1" };
    rig_t *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    sim_init(&r->sim, 5);
    trace_bus_init(&r->bus);
    trace_sink_t sink = {
        .name = "cap",
        .mask = TRACE_MASK(TRACE_LINE_BYTE) | TRACE_MASK(TRACE_SIGNAL),
        .record = cap_record, .ctx = &r->cap,
    };
    trace_bus_add_sink(&r->bus, &sink);
    trace_bus_attach(&r->bus, &r->sim);
    sim_node_init(&r->world, &r->sim, "world", r);
    sim_node_init(&r->mcu, &r->sim, "mcu", r);
    term_init(&r->reader, &r->sim, &r->world, &r->bus, "reader", "contact");
    pads_cfg_t pc = { .name = "pads", .path = "contact", .node = &r->world,
                      .bus = &r->bus, .n_se = 2, .route = 0 };
    pads_init(&r->pads, &r->sim, &pc);
    pads_attach_port(&r->pads, &r->reader.port);
    for (int i = 0; i < 2; i++) {
        card_t *c = &r->se[i];
        card_init(c, &r->sim, se_name[i]);
        term_init(&r->mport[i], &r->sim, &r->mcu, &r->bus, mport_name[i],
                  mpath[i]);
        iso7816_port_connect(&r->mport[i].port, &r->mline[i], &r->sim,
                             mpath[i],
                             iso7816_uart_end(&c->uart, ISO7816_SRC_MCU));
        iso7816_uart_attach(&c->uart, ISO7816_SRC_MCU, &r->mline[i]);
        pads_connect(&r->pads, (unsigned)i, &r->pline[i], &r->sim, ppath[i],
                     iso7816_uart_end(&c->uart, ISO7816_SRC_PADS));
        iso7816_uart_attach(&c->uart, ISO7816_SRC_PADS, &r->pline[i]);
        /* the MCU powers both SEs at 4 MHz */
        iso7816_port_t *mp = &r->mport[i].port;
        iso7816_port_set_vcc(mp, 0, true);
        iso7816_port_set_clk(mp, 0, 4000000);
        iso7816_port_set_rst(mp, SIM_US(10), true);
        fw_at(c, SIM_US(1), false, UART_CTRL, UART_CTRL_EN);
        fw_at(c, SIM_US(1), false, UART_IRQEN, UART_STATUS_RXNE);
    }
    iso7816_port_t *rd_port = &r->reader.port;
    iso7816_port_set_vcc(rd_port, SIM_US(100), true);
    iso7816_port_set_clk(rd_port, SIM_US(100), F_CLK);
    iso7816_port_set_rst(rd_port, SIM_US(150), true);
    static const uint8_t a0 = 0xA0, a1 = 0xA1, c0 = 0xC0, b1 = 0xB1,
                         b2 = 0xB2;
    iso7816_port_send(rd_port, SIM_MS(1), &a0, 1);
    iso7816_port_send(&r->mport[0].port, SIM_MS(1), &c0, 1);
    iso7816_port_send(&r->mport[1].port, SIM_MS(1), &b1, 1);
    pads_set_route(&r->pads, SIM_MS(5), 1);
    iso7816_port_send(rd_port, SIM_MS(6), &a1, 1);
    iso7816_port_send(&r->mport[1].port, SIM_MS(6), &b2, 1);
    r->se[1].tx[0] = 0x90;
    r->se[1].tx_n = 1;
    r->se[1].tx_from = SIM_MS(7);
    fw_at(&r->se[1], SIM_MS(7), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    iso7816_port_set_vcc(rd_port, SIM_MS(9), false);
    sim_run_until(&r->sim, SIM_MS(10));

    /* SE0: the MCU powered it; the pads took it over at 100.1 us (RST
     * fell: the pads' RST was low), gave it back at the route change
     * (a power cut, then the MCU's levels again) */
    card_t *s0 = &r->se[0], *s1 = &r->se[1];
    static const tlog_t s0_src[] = { { SIM_NS(100100), ISO7816_SRC_PADS },
                                     { SIM_NS(5000100), ISO7816_SRC_MCU } };
    static const tlog_t s0_pwr[] = { { SIM_NS(100), 1 },
                                     { SIM_NS(5000100), 0 },
                                     { SIM_NS(5000100), 1 } };
    static const tlog_t s0_rst[] = { { SIM_NS(10100), 1 },
                                     { SIM_NS(100100), 0 },
                                     { SIM_NS(150100), 1 },
                                     { SIM_NS(5000100), 0 },
                                     { SIM_NS(5000100), 1 } };
    tlog_eq(s0->portsrc, s0->n_portsrc, s0_src, 2);
    tlog_eq(s0->power, s0->n_power, s0_pwr, 3);
    tlog_eq(s0->rstpin, s0->n_rstpin, s0_rst, 5);
    /* it heard the reader's 0xA0 (reader CLK from 100 us: edge 3348 +
     * 3720), not its MCU port's 0xC0 */
    ck_assert_uint_eq(s0->n_rx, 1);
    ck_assert_uint_eq(s0->rx_b[0], 0xA0);
    ck_assert_uint_eq(s0->rx_t[0], 2079166666);
    ck_assert_uint_eq(s0->uart.dropped, 1);
    /* SE1: its MCU port until 5.0001 ms (0xB1 at 4 MHz), then the pads
     * (only its CLK changed: no power edge), then the MCU again when the
     * reader cut VCC at 9 ms */
    static const tlog_t s1_src[] = { { SIM_NS(5000100), ISO7816_SRC_PADS },
                                     { SIM_NS(9000100), ISO7816_SRC_MCU } };
    static const tlog_t s1_pwr[] = { { SIM_NS(100), 1 },
                                     { SIM_NS(9000100), 0 },
                                     { SIM_NS(9000100), 1 } };
    static const tlog_t s1_rst[] = { { SIM_NS(10100), 1 } };
    tlog_eq(s1->portsrc, s1->n_portsrc, s1_src, 2);
    tlog_eq(s1->power, s1->n_power, s1_pwr, 3);
    tlog_eq(s1->rstpin, s1->n_rstpin, s1_rst, 1);
    ck_assert_uint_eq(s1->n_rx, 2);
    ck_assert_uint_eq(s1->rx_b[0], 0xB1);
    ck_assert_uint_eq(s1->rx_t[0], 1953000000);
    ck_assert_uint_eq(s1->rx_b[1], 0xA1);
    ck_assert_uint_eq(s1->rx_t[1], 7079166666);
    ck_assert_uint_eq(s1->uart.dropped, 1); /* 0xB2 from its MCU port */
    /* SE1's answer reached the reader (its CLK restarted at 5.0001 ms:
     * edge 7440 + 3720), not the MCU */
    ck_assert_uint_eq(r->reader.n_rx, 1);
    ck_assert_uint_eq(r->reader.rx_b[0], 0x90);
    ck_assert_uint_eq(r->reader.rx_t[0], 8125100000);
    ck_assert_uint_eq(r->mport[1].n_rx, 0);
    ck_assert_uint_eq(pads_route(&r->pads), 1);
    ck_assert(!pads_status(&r->pads, 0));
    ck_assert(!pads_status(&r->pads, 1));
    ck_assert_uint_eq(r->pads.chars_lost, 0);
    /* status pins and the route, as traced by the pads */
    const cap_rec_t *t;
    t = cap_find(&r->cap, TRACE_SIGNAL, "contact.SE0", 0, 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->time, SIM_US(100));
    ck_assert_int_eq(t->level, 1);
    t = cap_find(&r->cap, TRACE_SIGNAL, "contact.SE0", 0, 1);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->time, SIM_MS(5));
    ck_assert_int_eq(t->level, 0);
    t = cap_find(&r->cap, TRACE_SIGNAL, "contact.route", 0, 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->time, SIM_MS(5));
    ck_assert_int_eq(t->level, 1);
    t = cap_find(&r->cap, TRACE_SIGNAL, "contact.SE1", 0, 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->time, SIM_MS(5));
    ck_assert_int_eq(t->level, 1);
    t = cap_find(&r->cap, TRACE_SIGNAL, "contact.SE1", 0, 1);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->time, SIM_MS(9));
    ck_assert_int_eq(t->level, 0);
    t = cap_find(&r->cap, TRACE_LINE_BYTE, "contact", TRACE_DIR_RSP, 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->byte, 0x90);
    ck_assert_str_eq(t->source, "reader");

    char err[128];
    ck_assert_int_eq(trace_bus_close(&r->bus, err, sizeof err), 0);
    pads_cleanup(&r->pads);
    iso7816_port_cleanup(&r->reader.port);
    for (int i = 0; i < 2; i++) {
        iso7816_port_cleanup(&r->mport[i].port);
        iso7816_uart_cleanup(&r->se[i].uart);
    }
    sim_cleanup(&r->sim);
    free(r);
}
END_TEST

/* ---- lookahead: a busy card CPU changes the slicing, not the results -- */

static sim_time_t spin_run(void *cpu, sim_time_t now, const sim_time_t *limit)
{
    (void)now;
    ++*(uint64_t *)cpu;
    return *limit;
}

static bool spin_active(void *cpu)
{
    (void)cpu;
    return true;
}

typedef struct mixed_out {
    sim_time_t card_t[16], term_t[16];
    uint8_t card_b[16], term_b[16];
    unsigned term_f[16];
    size_t n_card, n_term;
    uint64_t rounds, slices;
} mixed_out_t;

static void mixed_run(bool busy, mixed_out_t *o)
{
    bench_t *b = bench_new(9);
    uint64_t slices = 0;
    if (busy) {
        sim_cpu_hook_t h = { spin_run, spin_active, &slices };
        sim_node_set_cpu(&b->card.node, &h);
    }
    activate(b, SIM_US(200), UART_CTRL_EN | UART_CTRL_T0);
    iso7816_port_t *p = &b->term.port;
    iso7816_port_set_t0(p, 0, true);
    iso7816_port_set_bit_errors(p, 0, 1.0, 0.0);
    iso7816_port_set_bit_errors(p, SIM_US(1500), 0.0, 0.0);
    static const uint8_t c1[] = { 0xA4, 0x01 }, c2[] = { 0x55 },
                         c3[] = { 0x66, 0x77 };
    iso7816_port_send(p, SIM_MS(1), c1, 2);
    static const uint8_t rsp[] = { 0x3B, 0x9F, 0x00 };
    memcpy(b->card.tx, rsp, sizeof rsp);
    b->card.tx_n = sizeof rsp;
    b->card.tx_from = SIM_MS(6);
    fw_at(&b->card, SIM_MS(6), false, UART_IRQEN,
          UART_STATUS_RXNE | UART_STATUS_TXE);
    b->term.nak_next = 1;
    iso7816_port_send(p, SIM_MS(12), c2, 1);
    fw_at(&b->card, SIM_MS(13), false, UART_ETU, 16);
    iso7816_port_set_etu(p, SIM_MS(14), 16);
    iso7816_port_send(p, SIM_MS(14), c3, 2);
    sim_run_until(&b->sim, SIM_MS(20));
    memset(o, 0, sizeof *o);
    o->n_card = b->card.n_rx;
    o->n_term = b->term.n_rx;
    ck_assert_uint_le(o->n_card, 16);
    ck_assert_uint_le(o->n_term, 16);
    memcpy(o->card_t, b->card.rx_t, o->n_card * sizeof o->card_t[0]);
    memcpy(o->card_b, b->card.rx_b, o->n_card);
    memcpy(o->term_t, b->term.rx_t, o->n_term * sizeof o->term_t[0]);
    memcpy(o->term_b, b->term.rx_b, o->n_term);
    memcpy(o->term_f, b->term.rx_f, o->n_term * sizeof o->term_f[0]);
    o->rounds = b->sim.rounds;
    o->slices = slices;
    bench_free(b);
}

START_TEST(busy_card_cpu_changes_nothing)
{
    mixed_out_t *idle = calloc(1, sizeof *idle);
    mixed_out_t *busy = calloc(1, sizeof *busy);
    ck_assert_ptr_nonnull(idle);
    ck_assert_ptr_nonnull(busy);
    mixed_run(false, idle);
    mixed_run(true, busy);
    ck_assert_uint_eq(idle->n_card, 5);
    ck_assert_uint_eq(idle->n_term, 4);
    ck_assert_uint_eq(idle->term_f[0], ISO7816_RX_NAKED);
    ck_assert_uint_eq(busy->n_card, idle->n_card);
    ck_assert_uint_eq(busy->n_term, idle->n_term);
    ck_assert_mem_eq(busy->card_t, idle->card_t, sizeof idle->card_t);
    ck_assert_mem_eq(busy->card_b, idle->card_b, sizeof idle->card_b);
    ck_assert_mem_eq(busy->term_t, idle->term_t, sizeof idle->term_t);
    ck_assert_mem_eq(busy->term_b, idle->term_b, sizeof idle->term_b);
    ck_assert_mem_eq(busy->term_f, idle->term_f, sizeof idle->term_f);
    /* the busy card ran in ~20 us slices (its terminal's control link
     * plus the I/O link's lookahead: a character lands 10 etu of at least
     * 2 us after it starts): about a thousand rounds in 20 ms instead of
     * a few */
    ck_assert_uint_gt(busy->rounds, 800);
    ck_assert_uint_lt(idle->rounds, 200);
    ck_assert_uint_gt(busy->slices, 800);
    free(idle);
    free(busy);
}
END_TEST

/* ---- refusals --------------------------------------------------------- */

START_TEST(port_etu_below_2us_is_fatal)
{
    SKIP_WITHOUT_FORK();
    bench_t *b = bench_new(1);
    iso7816_port_set_vcc(&b->term.port, 0, true);
    iso7816_port_set_clk(&b->term.port, 0, 5000000);
    iso7816_port_set_etu(&b->term.port, 0, 8); /* 1.6 us */
    static const uint8_t x = 0;
    iso7816_port_send(&b->term.port, SIM_US(1), &x, 1);
    sim_run_until(&b->sim, SIM_MS(1)); /* exits with status 3 */
}
END_TEST

START_TEST(uart_etu_below_2us_is_fatal)
{
    SKIP_WITHOUT_FORK();
    bench_t *b = bench_new(1);
    activate(b, SIM_US(200), UART_CTRL_EN);
    fw_at(&b->card, SIM_US(300), false, UART_ETU, 4); /* 1.12 us */
    fw_at(&b->card, SIM_US(300), false, UART_DATA, 0x3B);
    sim_run_until(&b->sim, SIM_MS(1)); /* exits with status 3 */
}
END_TEST

/* ---- suite ----------------------------------------------------------- */

Suite *make_iso7816_suite(void)
{
    Suite *s = suite_create("iso7816");
    TCase *tc = tcase_create("line");
    tcase_add_test(tc, port_to_uart_default_rate);
    tcase_add_test(tc, uart_to_port_default_rate);
    tcase_add_test(tc, fast_rate_after_etu_change);
    tcase_add_test(tc, guard_time_both_ways);
    tcase_add_test(tc, t0_card_rejects_port_repeats);
    tcase_add_test(tc, t0_port_gives_up_after_four_repetitions);
    tcase_add_test(tc, t0_port_rejects_card_repeats);
    tcase_add_test(tc, t0_card_sets_txerr_after_four_repetitions);
    tcase_add_test(tc, rxne_and_overrun);
    tcase_add_test(tc, etu_mismatch_is_a_framing_error);
    tcase_add_test(tc, byte_waits_for_clk);
    tcase_add_test(tc, clkcnt_counts_from_rst_rise);
    tcase_add_test(tc, vcc_and_rst_reach_the_owner);
    tcase_add_test(tc, bus_errors_on_bad_access);
    tcase_add_test(tc, bit_errors_are_reproducible);
    tcase_add_test(tc, pads_route_and_status_pins);
    tcase_add_test(tc, busy_card_cpu_changes_nothing);
    tcase_add_exit_test(tc, port_etu_below_2us_is_fatal, 3);
    tcase_add_exit_test(tc, uart_etu_below_2us_is_fatal, 3);
    suite_add_tcase(s, tc);
    return s;
}
