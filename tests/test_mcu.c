/* SPDX-License-Identifier: MIT */
/* tests/test_mcu.c - the BLE master MCU model (models/mcu.c) through its
 * registers: timer count and compare match times, SPI byte times and the
 * slave calls, an ISO master port powering a line and sending to a fake
 * card end (exact arrival times), RX FIFO, PERR and OVR, TXIDLE, sense
 * edges and IRQ lines, the MODE/ROUTE/SE_STATE trace records, power off
 * and on, and a Thumb program that writes MODE and resets itself with
 * SYSRESETREQ.
 *
 * Register accesses are made with mcu_bus_read/mcu_bus_write from events
 * of the MCU node at chosen times, while the core sleeps in a WFI loop
 * written over the firmware image (exit_code.elf only provides a loadable
 * ELF). The core clock is 16 MHz: cycle n is at n * 62.5 ns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardsim_config.h"
#include "firmware/include/regs/mcu_iso.h"
#include "firmware/include/regs/mcu_map.h"
#include "firmware/include/regs/mcu_spi.h"
#include "firmware/include/regs/mcu_sysctl.h"
#include "firmware/include/regs/mcu_timer.h"
#include "models/mcu.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "suites.h"

#define ELF CARDSIM_BUILD_ROOT "/firmware/exit_code.elf"
#define MAXREC 256
#define MAXOPS 128
#define CYC(n) ((sim_time_t)(n) * 62500u) /* core cycles -> ps */

/* ---- trace capture --------------------------------------------------- */

typedef struct rec {
    trace_kind_t kind;
    sim_time_t time, start;
    trace_dir_t dir;
    char source[24], path[24], text[64], mode[32];
    uint8_t byte;
} rec_t;

typedef struct cap {
    rec_t r[MAXREC];
    size_t n;
} cap_t;

static void cap_record(void *ctx, const trace_rec_t *t)
{
    cap_t *c = ctx;
    ck_assert_uint_lt(c->n, MAXREC);
    rec_t *r = &c->r[c->n++];
    memset(r, 0, sizeof *r);
    r->kind = t->kind;
    r->time = t->time;
    r->start = t->start;
    r->dir = t->dir;
    snprintf(r->source, sizeof r->source, "%s", t->source ? t->source : "");
    snprintf(r->path, sizeof r->path, "%s", t->path ? t->path : "");
    snprintf(r->text, sizeof r->text, "%s", t->text ? t->text : "");
    if (t->kind == TRACE_MODE)
        snprintf(r->mode, sizeof r->mode, "%s", t->u.mode.mode);
    if (t->data && t->len)
        r->byte = t->data[0];
}

/* The n-th record of a kind from source src. */
static const rec_t *cap_find(const cap_t *c, trace_kind_t kind,
                             const char *src, size_t n)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->r[i].kind == kind && strcmp(c->r[i].source, src) == 0 &&
            n-- == 0)
            return &c->r[i];
    return NULL;
}

static size_t cap_count(const cap_t *c, trace_kind_t kind, const char *src)
{
    size_t n = 0;
    while (cap_find(c, kind, src, n))
        n++;
    return n;
}

/* ---- the bench ------------------------------------------------------- */

typedef struct bench bench_t;

typedef struct op {
    sim_event_t ev;
    bench_t *b;
    uint32_t addr, val;
    int what;           /* OP_* */
    uint32_t result;
    bool ok;
    sim_time_t t;
} op_t;

enum { OP_READ, OP_WRITE, OP_SENSE, OP_NFC_IRQ, OP_POWER, OP_IRQS };

/* What the fake card end of ISO line 0 received. */
typedef struct msg_log {
    sim_time_t t;
    uint32_t kind;
    uint64_t value;
} msg_log_t;

struct bench {
    sim_t sim;
    trace_bus_t bus;
    cap_t cap;
    mcu_t mcu;
    /* fake SPI slave */
    mcu_spi_slave_t slave;
    sim_time_t cs_t[16];
    bool cs_v[16];
    size_t n_cs;
    sim_time_t xf_t[16];
    uint8_t xf_b[16];
    size_t n_xf;
    uint8_t last_mosi;
    /* fake card end of ISO port 0 */
    sim_node_t card;
    iso7816_line_t line;
    msg_log_t msgs[MAXREC];
    size_t n_msgs;
    /* a sense link from the card node */
    sim_link_t sense_link;
    op_t ops[MAXOPS];
    size_t n_ops;
    bool closed;
};

static void slave_cs(void *ctx, sim_time_t now, bool asserted)
{
    bench_t *b = ctx;
    ck_assert_uint_lt(b->n_cs, 16);
    b->cs_t[b->n_cs] = now;
    b->cs_v[b->n_cs++] = asserted;
}

/* Echo: shifts back the byte of the previous transfer. */
static uint8_t slave_xfer(void *ctx, sim_time_t now, uint8_t mosi)
{
    bench_t *b = ctx;
    ck_assert_uint_lt(b->n_xf, 16);
    b->xf_t[b->n_xf] = now;
    b->xf_b[b->n_xf++] = mosi;
    uint8_t miso = b->last_mosi;
    b->last_mosi = mosi;
    return miso;
}

static void card_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    bench_t *b = ctx;
    ck_assert_uint_lt(b->n_msgs, MAXREC);
    b->msgs[b->n_msgs++] = (msg_log_t){ now, m->kind, m->value };
}

/* The core sleeps for ever: vector table (SP, reset) then WFI; B .-2. */
static void park_core(mcu_t *m)
{
    static const uint8_t prog[] = {
        0x00, 0x80, 0x00, 0x20, 0x09, 0x00, 0x00, 0x00, /* SP, PC = 8 */
        0x30, 0xBF, 0xFD, 0xE7,                         /* wfi; b wfi */
    };
    ck_assert(cpu_write_mem(&m->cpu, 0, prog, sizeof prog));
    cpu_reset(&m->cpu);
}

static bench_t *bench_new(unsigned n_se, bool with_slave)
{
    bench_t *b = calloc(1, sizeof *b);
    ck_assert_ptr_nonnull(b);
    sim_init(&b->sim, 1);
    trace_bus_init(&b->bus);
    trace_sink_t sink = { .name = "cap", .mask = TRACE_MASK_ALL,
                          .record = cap_record, .ctx = &b->cap };
    trace_bus_add_sink(&b->bus, &sink);
    trace_bus_attach(&b->bus, &b->sim);
    b->slave = (mcu_spi_slave_t){ .cs = slave_cs, .xfer = slave_xfer,
                                  .ctx = b };
    mcu_cfg_t cfg = { .firmware_elf = ELF, .n_se = n_se, .bus = &b->bus,
                      .spi = with_slave ? &b->slave : NULL };
    char err[256];
    ck_assert_msg(mcu_init(&b->mcu, &b->sim, &cfg, err, sizeof err) == 0,
                  "%s", err);
    park_core(&b->mcu);
    sim_node_init(&b->card, &b->sim, "se0", b);
    if (n_se > 0)
        mcu_connect_se(&b->mcu, 0, &b->line, &b->sim, "mcu-se0",
                       (iso7816_end_t){ .node = &b->card, .rx = card_rx,
                                        .ctx = b });
    sim_link_init(&b->sense_link, &b->sim, "sense", &b->card,
                  mcu_node(&b->mcu), SIM_NS(1), 0, mcu_sense_rx, &b->mcu);
    return b;
}

static void bench_close(bench_t *b)
{
    char err[128];
    if (!b->closed)
        ck_assert_int_eq(trace_bus_close(&b->bus, err, sizeof err), 0);
    b->closed = true;
}

static void bench_free(bench_t *b)
{
    bench_close(b);
    mcu_cleanup(&b->mcu);
    sim_cleanup(&b->sim);
    free(b);
}

static void op_fire(sim_event_t *ev, sim_time_t now)
{
    op_t *op = ev->ctx;
    mcu_t *m = &op->b->mcu;
    op->t = now;
    switch (op->what) {
    case OP_READ:
        op->ok = mcu_bus_read(m, op->addr, now, &op->result);
        break;
    case OP_WRITE:
        op->ok = mcu_bus_write(m, op->addr, op->val, now);
        break;
    case OP_SENSE:
        mcu_set_sense(m, now, op->addr, op->val);
        op->ok = true;
        break;
    case OP_NFC_IRQ:
        mcu_set_nfc_irq(m, now, op->val != 0);
        op->ok = true;
        break;
    case OP_POWER:
        mcu_power(m, now, op->val != 0);
        op->ok = true;
        break;
    case OP_IRQS: /* snapshot of the NVIC input lines */
        op->result = m->cpu.irq_level;
        op->ok = true;
        break;
    default:
        break;
    }
}

static op_t *op_at(bench_t *b, sim_time_t t, int what, uint32_t addr,
                   uint32_t val)
{
    ck_assert_uint_lt(b->n_ops, MAXOPS);
    op_t *op = &b->ops[b->n_ops++];
    memset(op, 0, sizeof *op);
    op->b = b;
    op->what = what;
    op->addr = addr;
    op->val = val;
    sim_event_init(&op->ev, "test-op", op_fire, op);
    sim_schedule(mcu_node(&b->mcu), &op->ev, t);
    return op;
}

static op_t *rd(bench_t *b, sim_time_t t, uint32_t addr)
{
    return op_at(b, t, OP_READ, addr, 0);
}

static op_t *wr(bench_t *b, sim_time_t t, uint32_t addr, uint32_t v)
{
    return op_at(b, t, OP_WRITE, addr, v);
}

static op_t *irqs(bench_t *b, sim_time_t t)
{
    return op_at(b, t, OP_IRQS, 0, 0);
}

#define IRQBIT(n) (1u << (n))

/* ---- init ------------------------------------------------------------ */

START_TEST(init_reports_bad_elf)
{
    sim_t sim;
    sim_init(&sim, 1);
    mcu_t *m = calloc(1, sizeof *m);
    char err[256];
    mcu_cfg_t cfg = { .firmware_elf = "/nonexistent/mcu.elf", .n_se = 1 };
    ck_assert_int_eq(mcu_init(m, &sim, &cfg, err, sizeof err), -1);
    ck_assert_msg(strncmp(err, "/nonexistent/mcu.elf: ", 22) == 0, "%s",
                  err);
    ck_assert_uint_eq(sim.n_nodes, 0);
    sim_cleanup(&sim);
    free(m);
}
END_TEST

START_TEST(chipid_resetcause_and_bus_errors)
{
    bench_t *b = bench_new(3, false);
    op_t *id = rd(b, SIM_US(1), MCU_SYSCTL_BASE + MCU_SYSCTL_CHIPID);
    op_t *rc = rd(b, SIM_US(1), MCU_SYSCTL_BASE + MCU_SYSCTL_RESETCAUSE);
    wr(b, SIM_US(2), MCU_SYSCTL_BASE + MCU_SYSCTL_RESETCAUSE,
       MCU_RESETCAUSE_POR);
    op_t *rc2 = rd(b, SIM_US(3), MCU_SYSCTL_BASE + MCU_SYSCTL_RESETCAUSE);
    op_t *bad = rd(b, SIM_US(3), MCU_SYSCTL_BASE + 0x20);
    op_t *iso3 = rd(b, SIM_US(3), MCU_ISO_PORT_BASE(3) + MCU_ISO_CTRL);
    op_t *iso2 = rd(b, SIM_US(3), MCU_ISO_PORT_BASE(2) + MCU_ISO_STATUS);
    op_t *flash = wr(b, SIM_US(3), 0x100, 0);
    op_t *radio = rd(b, SIM_US(3), MCU_RADIO_BASE);
    sim_run_until(&b->sim, SIM_US(10));
    ck_assert_uint_eq(id->result, 0x4D430003u);
    ck_assert_uint_eq(rc->result, MCU_RESETCAUSE_POR);
    ck_assert_uint_eq(rc2->result, 0);
    ck_assert(!bad->ok);
    ck_assert(!iso3->ok);
    ck_assert(iso2->ok);
    /* VCC off, nothing queued: TX FIFO not full, idle */
    ck_assert_uint_eq(iso2->result,
                      MCU_ISO_STATUS_TXNF | MCU_ISO_STATUS_TXIDLE);
    ck_assert(!flash->ok);
    ck_assert(!radio->ok);
    ck_assert_uint_eq(mcu_se_state(&b->mcu, 0), MCU_SE_STATE_NONE);
    bench_free(b);
}
END_TEST

/* ---- timer ----------------------------------------------------------- */

START_TEST(timer_count_and_match_time)
{
    bench_t *b = bench_new(1, false);
    const uint32_t T = MCU_TIMER_BASE;
    op_t *cnt = rd(b, SIM_US(10), T + MCU_TIMER_CNT);  /* 160 cycles */
    op_t *cnt2 = rd(b, SIM_NS(10030), T + MCU_TIMER_CNT); /* 160.48 -> 161 */
    wr(b, SIM_US(10), T + MCU_TIMER_CMP, 1000);
    wr(b, SIM_US(10), T + MCU_TIMER_CTRL,
       MCU_TIMER_CTRL_CMPEN | MCU_TIMER_CTRL_IRQEN);
    /* cycle 1000 = 62.5 us */
    op_t *before = rd(b, CYC(1000) - 1, T + MCU_TIMER_STATUS);
    op_t *irq_before = irqs(b, CYC(1000) - 1);
    op_t *after = rd(b, CYC(1000) + 1, T + MCU_TIMER_STATUS);
    op_t *irq_after = irqs(b, CYC(1000) + 1);
    wr(b, SIM_US(70), T + MCU_TIMER_STATUS, MCU_TIMER_STATUS_MATCH);
    op_t *cleared = rd(b, SIM_US(70), T + MCU_TIMER_STATUS);
    op_t *irq_cleared = irqs(b, SIM_US(70));
    op_t *cnt3 = rd(b, SIM_US(100), T + MCU_TIMER_CNT);
    sim_run_until(&b->sim, SIM_US(200));
    ck_assert_uint_eq(cnt->result, 160);
    ck_assert_uint_eq(cnt2->result, 161);
    ck_assert_uint_eq(before->result, 0);
    ck_assert_uint_eq(irq_before->result & IRQBIT(MCU_IRQ_TIMER), 0);
    ck_assert_uint_eq(after->result, MCU_TIMER_STATUS_MATCH);
    ck_assert_uint_ne(irq_after->result & IRQBIT(MCU_IRQ_TIMER), 0);
    ck_assert_uint_eq(cleared->result, 0);
    ck_assert_uint_eq(irq_cleared->result & IRQBIT(MCU_IRQ_TIMER), 0);
    ck_assert_uint_eq(cnt3->result, 1600);
    /* armed for the next wrap */
    ck_assert_uint_eq(b->mcu.tm_match_cycle, 1000 + (1ull << 32));
    ck_assert_uint_eq(b->mcu.tm_ev.time, CYC(1000 + (1ull << 32)));
    bench_free(b);
}
END_TEST

START_TEST(timer_cmp_equal_to_count_waits_a_wrap)
{
    bench_t *b = bench_new(1, false);
    const uint32_t T = MCU_TIMER_BASE;
    wr(b, SIM_US(10), T + MCU_TIMER_CTRL, MCU_TIMER_CTRL_CMPEN);
    wr(b, SIM_US(10), T + MCU_TIMER_CMP, 160); /* CNT is 160 now */
    sim_run_until(&b->sim, SIM_US(20));
    ck_assert_uint_eq(b->mcu.tm_match_cycle, 160 + (1ull << 32));
    ck_assert_uint_eq(b->mcu.tm_status, 0);
    bench_free(b);
}
END_TEST

/* ---- SPI ------------------------------------------------------------- */

START_TEST(spi_byte_times_and_slave)
{
    bench_t *b = bench_new(1, true);
    const uint32_t S = MCU_SPI_BASE;
    wr(b, SIM_US(1), S + MCU_SPI_IRQEN, MCU_SPI_STATUS_RXNE);
    wr(b, SIM_US(1), S + MCU_SPI_CTRL, MCU_SPI_CTRL_EN | MCU_SPI_CTRL_CS);
    wr(b, SIM_US(1), S + MCU_SPI_DATA, 0xA5);      /* DIV 0: 4 MHz, 2 us */
    op_t *busy = rd(b, SIM_US(2), S + MCU_SPI_STATUS);
    op_t *ovr_w = wr(b, SIM_US(2), S + MCU_SPI_DATA, 0x11); /* ignored */
    op_t *st1 = rd(b, SIM_US(3) - 1, S + MCU_SPI_STATUS);
    op_t *st2 = rd(b, SIM_US(3), S + MCU_SPI_STATUS);
    op_t *irq1 = irqs(b, SIM_US(3) + 1);
    op_t *d1 = rd(b, SIM_US(4), S + MCU_SPI_DATA);
    op_t *irq2 = irqs(b, SIM_US(4));
    wr(b, SIM_US(4), S + MCU_SPI_STATUS, MCU_SPI_STATUS_OVR);
    /* DIV 8: 2 MHz, 4 us a byte */
    wr(b, SIM_US(5), S + MCU_SPI_CTRL,
       MCU_SPI_CTRL_EN | MCU_SPI_CTRL_CS | (8u << MCU_SPI_CTRL_DIV_SHIFT));
    wr(b, SIM_US(5), S + MCU_SPI_DATA, 0x3C);
    op_t *d2 = rd(b, SIM_US(10), S + MCU_SPI_DATA);
    op_t *st3 = rd(b, SIM_US(10), S + MCU_SPI_STATUS);
    wr(b, SIM_US(11), S + MCU_SPI_CTRL, MCU_SPI_CTRL_EN);
    /* CS released: the slave is not selected, MISO floats high */
    wr(b, SIM_US(12), S + MCU_SPI_DATA, 0x77);
    op_t *d3 = rd(b, SIM_US(20), S + MCU_SPI_DATA);
    sim_run_until(&b->sim, SIM_US(30));

    ck_assert_uint_eq(busy->result, MCU_SPI_STATUS_BUSY);
    ck_assert(ovr_w->ok);
    ck_assert_uint_eq(st1->result, MCU_SPI_STATUS_BUSY | MCU_SPI_STATUS_OVR);
    /* the byte ends at 1 us + 8 SCK = 3 us; events at 3 us fire in order:
     * this read was scheduled before the transfer's end */
    ck_assert_uint_eq(st2->result, MCU_SPI_STATUS_BUSY | MCU_SPI_STATUS_OVR);
    ck_assert_uint_ne(irq1->result & IRQBIT(MCU_IRQ_SPI), 0);
    ck_assert_uint_eq(d1->result, 0x00); /* echo of nothing */
    ck_assert_uint_eq(irq2->result & IRQBIT(MCU_IRQ_SPI), 0);
    ck_assert_uint_eq(d2->result, 0xA5);
    ck_assert_uint_eq(st3->result, 0);
    ck_assert_uint_eq(d3->result, 0xFF);

    ck_assert_uint_eq(b->n_cs, 2);
    ck_assert_uint_eq(b->cs_t[0], SIM_US(1));
    ck_assert(b->cs_v[0]);
    ck_assert_uint_eq(b->cs_t[1], SIM_US(11));
    ck_assert(!b->cs_v[1]);
    ck_assert_uint_eq(b->n_xf, 2);
    ck_assert_uint_eq(b->xf_t[0], SIM_US(3));
    ck_assert_uint_eq(b->xf_b[0], 0xA5);
    ck_assert_uint_eq(b->xf_t[1], SIM_US(9));
    ck_assert_uint_eq(b->xf_b[1], 0x3C);

    bench_close(b);
    ck_assert_uint_eq(cap_count(&b->cap, TRACE_LINE_BYTE, "mcu.spi"), 6);
    const rec_t *r0 = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu.spi", 0);
    const rec_t *r1 = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu.spi", 1);
    const rec_t *r3 = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu.spi", 3);
    const rec_t *r5 = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu.spi", 5);
    ck_assert_str_eq(r0->path, "spi");
    ck_assert_int_eq(r0->dir, TRACE_DIR_CMD);
    ck_assert_uint_eq(r0->byte, 0xA5);
    ck_assert_uint_eq(r0->start, SIM_US(1));
    ck_assert_uint_eq(r0->time, SIM_US(3));
    ck_assert_int_eq(r1->dir, TRACE_DIR_RSP);
    ck_assert_uint_eq(r1->byte, 0x00);
    ck_assert_uint_eq(r1->start, SIM_US(1));
    ck_assert_uint_eq(r1->time, SIM_US(3));
    ck_assert_uint_eq(r3->byte, 0xA5);
    ck_assert_uint_eq(r3->start, SIM_US(5));
    ck_assert_uint_eq(r3->time, SIM_US(9));
    ck_assert_uint_eq(r5->byte, 0xFF);
    ck_assert_uint_eq(r5->time, SIM_US(14));
    bench_free(b);
}
END_TEST

/* ---- ISO 7816 master port -------------------------------------------- */

#define ETU_PS SIM_US(4) /* ETU 16 clocks at CLK = 16 MHz / 4 */

static void card_send(bench_t *b, sim_time_t t, uint8_t byte, bool bad);

typedef struct card_tx {
    sim_event_t ev;
    bench_t *b;
    uint8_t byte;
    bool bad;
} card_tx_t;

static card_tx_t card_txs[64];
static size_t n_card_txs;

static void card_tx_fire(sim_event_t *ev, sim_time_t now)
{
    card_tx_t *c = ev->ctx;
    unsigned par = iso7816_parity(c->byte) ^ (c->bad ? 1u : 0u);
    sim_link_send_at(&c->b->line.up, now, now + 10 * ETU_PS,
                     ISO7816_MSG_CHAR,
                     iso7816_char_pack(c->byte, par, ETU_PS), NULL, 0);
}

/* The card starts a character at t (received 10 etu later). */
static void card_send(bench_t *b, sim_time_t t, uint8_t byte, bool bad)
{
    ck_assert_uint_lt(n_card_txs, 64);
    card_tx_t *c = &card_txs[n_card_txs++];
    c->b = b;
    c->byte = byte;
    c->bad = bad;
    sim_event_init(&c->ev, "card-tx", card_tx_fire, c);
    sim_schedule(&b->card, &c->ev, t);
}

START_TEST(iso_port_activates_and_sends)
{
    bench_t *b = bench_new(1, false);
    const uint32_t P = MCU_ISO_PORT_BASE(0);
    wr(b, SIM_US(10), P + MCU_ISO_CTRL,
       MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_CLKEN);
    wr(b, SIM_US(10), P + MCU_ISO_ETU, 16);
    wr(b, SIM_US(10), P + MCU_ISO_IRQEN, MCU_ISO_STATUS_TXIDLE);
    op_t *irq0 = irqs(b, SIM_US(11));
    wr(b, SIM_US(20), P + MCU_ISO_CTRL,
       MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_CLKEN | MCU_ISO_CTRL_RST);
    wr(b, SIM_US(30), P + MCU_ISO_DATA, 0x3B);
    wr(b, SIM_US(30), P + MCU_ISO_DATA, 0x42);
    op_t *st0 = rd(b, SIM_US(30), P + MCU_ISO_STATUS);
    op_t *irq1 = irqs(b, SIM_US(31));
    /* the last guard time ends 24 etu after 30 us: 126 us */
    op_t *st1 = rd(b, SIM_US(126) - 1, P + MCU_ISO_STATUS);
    op_t *st2 = rd(b, SIM_US(126) + 1, P + MCU_ISO_STATUS);
    op_t *irq2 = irqs(b, SIM_US(126) + 1);
    /* deactivation: RST, CLK, VCC */
    wr(b, SIM_US(200), P + MCU_ISO_CTRL, 0);
    sim_run_until(&b->sim, SIM_US(300));

    ck_assert_uint_ne(irq0->result & IRQBIT(MCU_IRQ_ISO(0)), 0);
    ck_assert_uint_eq(st0->result, MCU_ISO_STATUS_TXNF);
    ck_assert_uint_eq(irq1->result & IRQBIT(MCU_IRQ_ISO(0)), 0);
    ck_assert_uint_eq(st1->result, MCU_ISO_STATUS_TXNF);
    ck_assert_uint_eq(st2->result,
                      MCU_ISO_STATUS_TXNF | MCU_ISO_STATUS_TXIDLE);
    ck_assert_uint_ne(irq2->result & IRQBIT(MCU_IRQ_ISO(0)), 0);

    /* what the card end saw: control 100 ns after the write, characters
     * at the end of their parity bit (start + 10 etu) */
    const msg_log_t want[] = {
        { SIM_NS(10100), ISO7816_MSG_VCC, 1 },
        { SIM_NS(10100), ISO7816_MSG_CLK, 4000000 },
        { SIM_NS(20100), ISO7816_MSG_RST, 1 },
        { SIM_US(70), ISO7816_MSG_CHAR, 0x3B },
        { SIM_US(118), ISO7816_MSG_CHAR, 0x42 },
        { SIM_NS(200100), ISO7816_MSG_RST, 0 },
        { SIM_NS(200100), ISO7816_MSG_CLK, 0 },
        { SIM_NS(200100), ISO7816_MSG_VCC, 0 },
    };
    ck_assert_uint_eq(b->n_msgs, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < b->n_msgs; i++) {
        ck_assert_uint_eq(b->msgs[i].t, want[i].t);
        ck_assert_uint_eq(b->msgs[i].kind, want[i].kind);
        if (want[i].kind == ISO7816_MSG_CHAR) {
            ck_assert_uint_eq(iso7816_char_byte(b->msgs[i].value),
                              want[i].value);
            ck_assert_uint_eq(iso7816_char_etu(b->msgs[i].value), ETU_PS);
        } else {
            ck_assert_uint_eq(b->msgs[i].value, want[i].value);
        }
    }
    bench_close(b);
    const rec_t *c0 = cap_find(&b->cap, TRACE_LINE_BYTE, "mcu.iso0", 0);
    ck_assert_ptr_nonnull(c0);
    ck_assert_str_eq(c0->path, "mcu-se0");
    ck_assert_uint_eq(c0->start, SIM_US(30));
    ck_assert_uint_eq(c0->time, SIM_US(70));
    bench_free(b);
}
END_TEST

START_TEST(iso_port_rx_fifo_perr_ovr)
{
    n_card_txs = 0;
    bench_t *b = bench_new(1, false);
    const uint32_t P = MCU_ISO_PORT_BASE(0);
    wr(b, SIM_US(10), P + MCU_ISO_CTRL,
       MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_CLKEN | MCU_ISO_CTRL_RST);
    wr(b, SIM_US(10), P + MCU_ISO_ETU, 16);
    wr(b, SIM_US(10), P + MCU_ISO_IRQEN, MCU_ISO_STATUS_RXNE);
    /* 34 characters 12 etu apart from 20 us; the 3rd with bad parity */
    for (unsigned i = 0; i < 34; i++)
        card_send(b, SIM_US(20) + i * 12 * ETU_PS, (uint8_t)(0x10 + i),
                  i == 2);
    sim_time_t first = SIM_US(20) + 10 * ETU_PS; /* 60 us */
    op_t *irq_before = irqs(b, first - 1);
    op_t *irq_after = irqs(b, first + 1);
    op_t *cnt1 = rd(b, first + 1, P + MCU_ISO_RXCOUNT);
    sim_time_t end = SIM_US(20) + 33 * 12 * ETU_PS + 10 * ETU_PS;
    op_t *st = rd(b, end + 1, P + MCU_ISO_STATUS);
    op_t *cnt = rd(b, end + 1, P + MCU_ISO_RXCOUNT);
    op_t *d[3];
    for (int i = 0; i < 3; i++)
        d[i] = rd(b, end + 2, P + MCU_ISO_DATA);
    op_t *cnt2 = rd(b, end + 3, P + MCU_ISO_RXCOUNT);
    wr(b, end + 4, P + MCU_ISO_STATUS,
       MCU_ISO_STATUS_PERR | MCU_ISO_STATUS_OVR);
    op_t *st2 = rd(b, end + 5, P + MCU_ISO_STATUS);
    sim_run_until(&b->sim, end + SIM_US(10));

    ck_assert_uint_eq(irq_before->result & IRQBIT(MCU_IRQ_ISO(0)), 0);
    ck_assert_uint_ne(irq_after->result & IRQBIT(MCU_IRQ_ISO(0)), 0);
    ck_assert_uint_eq(cnt1->result, 1);
    ck_assert_uint_eq(st->result,
                      MCU_ISO_STATUS_RXNE | MCU_ISO_STATUS_TXNF |
                          MCU_ISO_STATUS_TXIDLE | MCU_ISO_STATUS_PERR |
                          MCU_ISO_STATUS_OVR);
    ck_assert_uint_eq(cnt->result, 32);
    ck_assert_uint_eq(d[0]->result, 0x10);
    ck_assert_uint_eq(d[1]->result, 0x11);
    ck_assert_uint_eq(d[2]->result, 0x12); /* kept as received */
    ck_assert_uint_eq(cnt2->result, 29);
    ck_assert_uint_eq(st2->result, MCU_ISO_STATUS_RXNE |
                                       MCU_ISO_STATUS_TXNF |
                                       MCU_ISO_STATUS_TXIDLE);
    bench_free(b);
}
END_TEST

START_TEST(iso_port_tx_fifo_full_sets_ovr)
{
    bench_t *b = bench_new(1, false);
    const uint32_t P = MCU_ISO_PORT_BASE(0);
    wr(b, SIM_US(10), P + MCU_ISO_CTRL,
       MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_CLKEN | MCU_ISO_CTRL_RST);
    wr(b, SIM_US(10), P + MCU_ISO_ETU, 16);
    wr(b, SIM_US(10), P + MCU_ISO_IRQEN, MCU_ISO_STATUS_TXNF);
    /* 22 us is on the etu grid (CLK from 10 us, 16 clocks of 250 ns): the
     * first byte starts at once and leaves the queue, 32 more fit */
    for (unsigned i = 0; i < 34; i++)
        wr(b, SIM_US(22) + i, P + MCU_ISO_DATA, i);
    op_t *st = rd(b, SIM_US(23), P + MCU_ISO_STATUS);
    op_t *irq = irqs(b, SIM_US(23));
    /* the second character starts 12 etu after the first: room again */
    op_t *st2 = rd(b, SIM_US(22) + 12 * ETU_PS + 1, P + MCU_ISO_STATUS);
    op_t *irq2 = irqs(b, SIM_US(22) + 12 * ETU_PS + 1);
    sim_run_until(&b->sim, SIM_US(100));
    ck_assert_uint_eq(st->result, MCU_ISO_STATUS_OVR);
    ck_assert_uint_eq(irq->result & IRQBIT(MCU_IRQ_ISO(0)), 0);
    ck_assert_uint_eq(st2->result, MCU_ISO_STATUS_OVR | MCU_ISO_STATUS_TXNF);
    ck_assert_uint_ne(irq2->result & IRQBIT(MCU_IRQ_ISO(0)), 0);
    ck_assert_uint_eq(iso7816_port_queued(mcu_port(&b->mcu, 0)), 31);
    bench_free(b);
}
END_TEST

/* ---- sense inputs ---------------------------------------------------- */

typedef struct sense_tx {
    sim_event_t ev;
    bench_t *b;
    uint64_t value;
    uint32_t kind;
} sense_tx_t;

static void sense_tx_fire(sim_event_t *ev, sim_time_t now)
{
    sense_tx_t *s = ev->ctx;
    sim_link_send(&s->b->sense_link, now, s->kind, s->value, NULL, 0);
}

START_TEST(sense_edges_and_irqs)
{
    bench_t *b = bench_new(2, false);
    const uint32_t Y = MCU_SYSCTL_BASE;
    wr(b, SIM_US(1), Y + MCU_SYSCTL_SENSE_IRQEN, MCU_SENSE_CONTACT_VCC);
    /* from the card node over the 1 ns link: VCC and SE 1's pads pin */
    sense_tx_t s = { .b = b, .kind = MCU_MSG_SENSE,
                     .value = ((uint64_t)(MCU_SENSE_CONTACT_VCC |
                                          MCU_SENSE_PADS_SE(1)) << 32) |
                              MCU_SENSE_CONTACT_VCC | MCU_SENSE_PADS_SE(1) };
    sim_event_init(&s.ev, "sense-tx", sense_tx_fire, &s);
    sim_schedule(&b->card, &s.ev, SIM_US(5));
    op_t *i0 = irqs(b, SIM_US(5));
    op_t *i1 = irqs(b, SIM_US(5) + SIM_NS(1) + 1);
    op_t *lv = rd(b, SIM_US(6), Y + MCU_SYSCTL_SENSE);
    op_t *eg = rd(b, SIM_US(6), Y + MCU_SYSCTL_SENSE_EDGE);
    wr(b, SIM_US(7), Y + MCU_SYSCTL_SENSE_EDGE, MCU_SENSE_CONTACT_VCC);
    op_t *eg2 = rd(b, SIM_US(7), Y + MCU_SYSCTL_SENSE_EDGE);
    op_t *i2 = irqs(b, SIM_US(7));
    /* the same levels again: no edge */
    op_at(b, SIM_US(8), OP_SENSE, MCU_SENSE_CONTACT_VCC,
          MCU_SENSE_CONTACT_VCC);
    op_t *eg3 = rd(b, SIM_US(8), Y + MCU_SYSCTL_SENSE_EDGE);
    /* the NFC IRQ pin: sense bit and its own NVIC line */
    op_at(b, SIM_US(9), OP_NFC_IRQ, 0, 1);
    op_t *i3 = irqs(b, SIM_US(9));
    op_t *lv2 = rd(b, SIM_US(9), Y + MCU_SYSCTL_SENSE);
    op_t *eg4 = rd(b, SIM_US(9), Y + MCU_SYSCTL_SENSE_EDGE);
    op_at(b, SIM_US(10), OP_NFC_IRQ, 0, 0);
    op_t *i4 = irqs(b, SIM_US(10));
    sim_run_until(&b->sim, SIM_US(20));

    ck_assert_uint_eq(i0->result & IRQBIT(MCU_IRQ_SENSE), 0);
    ck_assert_uint_ne(i1->result & IRQBIT(MCU_IRQ_SENSE), 0);
    ck_assert_uint_eq(lv->result,
                      MCU_SENSE_CONTACT_VCC | MCU_SENSE_PADS_SE(1));
    ck_assert_uint_eq(eg->result,
                      MCU_SENSE_CONTACT_VCC | MCU_SENSE_PADS_SE(1));
    ck_assert_uint_eq(eg2->result, MCU_SENSE_PADS_SE(1));
    ck_assert_uint_eq(i2->result & IRQBIT(MCU_IRQ_SENSE), 0);
    ck_assert_uint_eq(eg3->result, MCU_SENSE_PADS_SE(1));
    ck_assert_uint_ne(i3->result & IRQBIT(MCU_IRQ_NFC), 0);
    ck_assert_uint_eq(i3->result & IRQBIT(MCU_IRQ_SENSE), 0);
    ck_assert_uint_eq(lv2->result, MCU_SENSE_CONTACT_VCC |
                                       MCU_SENSE_PADS_SE(1) |
                                       MCU_SENSE_NFC_IRQ);
    ck_assert_uint_eq(eg4->result,
                      MCU_SENSE_PADS_SE(1) | MCU_SENSE_NFC_IRQ);
    ck_assert_uint_eq(i4->result & IRQBIT(MCU_IRQ_NFC), 0);
    bench_free(b);
}
END_TEST

/* ---- MODE, ROUTE, SE_STATE ------------------------------------------- */

START_TEST(mode_route_se_state_traced)
{
    bench_t *b = bench_new(3, false);
    const uint32_t Y = MCU_SYSCTL_BASE;
    wr(b, SIM_US(1), Y + MCU_SYSCTL_MODE, MCU_MODE_CONTACT | MCU_MODE_NFC);
    wr(b, SIM_US(2), Y + MCU_SYSCTL_MODE, MCU_MODE_CONTACT | MCU_MODE_NFC);
    wr(b, SIM_US(3), Y + MCU_SYSCTL_ROUTE,
       MCU_ROUTE(1, MCU_CHAN_NFC, MCU_ROUTE_SESSION));
    wr(b, SIM_US(4), Y + MCU_SYSCTL_ROUTE,
       MCU_ROUTE(0, MCU_CHAN_NFC, MCU_ROUTE_REFUSED_CONTACT));
    wr(b, SIM_US(5), Y + MCU_SYSCTL_ROUTE,
       MCU_ROUTE(15, MCU_CHAN_NFC, MCU_ROUTE_NO_AID));
    wr(b, SIM_US(6), Y + MCU_SYSCTL_SE_STATE,
       (1u << 16) | (1u << 8) | MCU_SE_LOADER);
    wr(b, SIM_US(7), Y + MCU_SYSCTL_SE_STATE, (2u << 8) | MCU_SE_ABSENT);
    wr(b, SIM_US(8), Y + MCU_SYSCTL_SE_STATE,
       (5u << 16) | (0u << 8) | MCU_SE_UNKNOWN);
    wr(b, SIM_US(9), Y + MCU_SYSCTL_MODE, MCU_MODE_NFC | MCU_MODE_BLE);
    op_t *mode = rd(b, SIM_US(10), Y + MCU_SYSCTL_MODE);
    op_t *route = rd(b, SIM_US(10), Y + MCU_SYSCTL_ROUTE);
    sim_run_until(&b->sim, SIM_US(20));

    ck_assert_uint_eq(mode->result, MCU_MODE_NFC | MCU_MODE_BLE);
    ck_assert_uint_eq(route->result, 0); /* write-only */
    ck_assert_uint_eq(mcu_mode(&b->mcu), MCU_MODE_NFC | MCU_MODE_BLE);
    ck_assert_uint_eq(mcu_route(&b->mcu), 0x71Fu);
    ck_assert_uint_eq(mcu_se_state(&b->mcu, 1), 0x10101u);
    ck_assert_uint_eq(mcu_se_state(&b->mcu, 2), 0x200u);
    ck_assert_uint_eq(mcu_se_state(&b->mcu, 0), 0x50004u);
    ck_assert_str_eq(mcu_mode_name(0), "none");
    ck_assert_str_eq(mcu_mode_name(7), "contact+nfc+ble");

    bench_close(b);
    const struct {
        sim_time_t t;
        const char *path, *mode, *text;
    } want[] = {
        { SIM_US(1), "mode", "contact+nfc", "" },
        { SIM_US(3), "route", "contact+nfc", "nfc>se1 session" },
        { SIM_US(4), "route", "contact+nfc", "nfc>se0 refused: contact" },
        { SIM_US(5), "route", "contact+nfc", "nfc no aid" },
        { SIM_US(9), "mode", "nfc+ble", "" },
    };
    ck_assert_uint_eq(cap_count(&b->cap, TRACE_MODE, "mcu"), 5);
    for (size_t i = 0; i < 5; i++) {
        const rec_t *r = cap_find(&b->cap, TRACE_MODE, "mcu", i);
        ck_assert_uint_eq(r->time, want[i].t);
        ck_assert_uint_eq(r->start, want[i].t);
        ck_assert_str_eq(r->source, "mcu");
        ck_assert_str_eq(r->path, want[i].path);
        ck_assert_str_eq(r->mode, want[i].mode);
        ck_assert_str_eq(r->text, want[i].text);
    }
    const char *logs[] = { "se1 loader v1", "se2 absent", "se0 unknown v5" };
    for (size_t i = 0; i < 3; i++) {
        const rec_t *r = cap_find(&b->cap, TRACE_LOG, "mcu", i);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->time, SIM_US(6 + i));
        ck_assert_str_eq(r->text, logs[i]);
    }
    bench_free(b);
}
END_TEST

/* ---- power ----------------------------------------------------------- */

START_TEST(power_off_and_on)
{
    bench_t *b = bench_new(1, true);
    const uint32_t Y = MCU_SYSCTL_BASE, P = MCU_ISO_PORT_BASE(0);
    wr(b, SIM_US(1), MCU_RAM_BASE + 0x100, 0xDEADBEEF);
    wr(b, SIM_US(1), Y + MCU_SYSCTL_MODE, MCU_MODE_CONTACT);
    wr(b, SIM_US(1), P + MCU_ISO_CTRL,
       MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_CLKEN | MCU_ISO_CTRL_RST);
    wr(b, SIM_US(1), MCU_SPI_BASE + MCU_SPI_CTRL,
       MCU_SPI_CTRL_EN | MCU_SPI_CTRL_CS);
    wr(b, SIM_US(1), MCU_TIMER_BASE + MCU_TIMER_CMP, 100000);
    wr(b, SIM_US(1), MCU_TIMER_BASE + MCU_TIMER_CTRL, MCU_TIMER_CTRL_CMPEN);
    op_at(b, SIM_US(100), OP_POWER, 0, 0);
    /* an unpowered chip latches no edge */
    op_at(b, SIM_US(150), OP_SENSE, MCU_SENSE_CONTACT_VCC,
          MCU_SENSE_CONTACT_VCC);
    op_at(b, SIM_US(200), OP_POWER, 0, 1);
    op_t *ram = rd(b, SIM_US(210), MCU_RAM_BASE + 0x100);
    op_t *cnt = rd(b, SIM_US(210), MCU_TIMER_BASE + MCU_TIMER_CNT);
    op_t *rc = rd(b, SIM_US(210), Y + MCU_SYSCTL_RESETCAUSE);
    op_t *lv = rd(b, SIM_US(210), Y + MCU_SYSCTL_SENSE);
    op_t *eg = rd(b, SIM_US(210), Y + MCU_SYSCTL_SENSE_EDGE);
    sim_run_until(&b->sim, SIM_US(300));

    ck_assert_uint_eq(ram->result, 0);
    ck_assert_uint_eq(cnt->result, 160);
    ck_assert_uint_eq(rc->result, MCU_RESETCAUSE_POR);
    ck_assert_uint_eq(lv->result, MCU_SENSE_CONTACT_VCC);
    ck_assert_uint_eq(eg->result, 0);
    ck_assert(!sim_event_scheduled(&b->mcu.tm_ev));
    ck_assert_uint_eq(b->mcu.resets, 2); /* power-on at 0 and at 200 us */
    ck_assert_uint_eq(mcu_mode(&b->mcu), 0);
    /* the SPI released CS, the port went down RST, CLK, VCC */
    ck_assert_uint_eq(b->n_cs, 2);
    ck_assert_uint_eq(b->cs_t[1], SIM_US(100));
    ck_assert(!b->cs_v[1]);
    ck_assert_uint_eq(b->msgs[b->n_msgs - 3].kind, ISO7816_MSG_RST);
    ck_assert_uint_eq(b->msgs[b->n_msgs - 2].kind, ISO7816_MSG_CLK);
    ck_assert_uint_eq(b->msgs[b->n_msgs - 1].kind, ISO7816_MSG_VCC);
    ck_assert_uint_eq(b->msgs[b->n_msgs - 1].t, SIM_NS(100100));
    ck_assert_uint_eq(b->msgs[b->n_msgs - 1].value, 0);

    bench_close(b);
    const rec_t *m1 = cap_find(&b->cap, TRACE_MODE, "mcu", 1);
    ck_assert_ptr_nonnull(m1);
    ck_assert_uint_eq(m1->time, SIM_US(100));
    ck_assert_str_eq(m1->mode, "none");
    ck_assert_str_eq(m1->text, "reset");
    const rec_t *l0 = cap_find(&b->cap, TRACE_LOG, "mcu", 0);
    const rec_t *l1 = cap_find(&b->cap, TRACE_LOG, "mcu", 1);
    ck_assert_str_eq(l0->text, "power off");
    ck_assert_uint_eq(l0->time, SIM_US(100));
    ck_assert_str_eq(l1->text, "reset released (power-on)");
    ck_assert_uint_eq(l1->time, SIM_US(200));
    bench_free(b);
}
END_TEST

/* ---- the core drives the registers ----------------------------------- */

/* Writes MODE = contact+nfc; on a power-on boot (RESETCAUSE bit 2 clear)
 * requests a system reset, after it sleeps. */
static const uint16_t boot_prog[] = {
    /* 0x00 */ 0x8000, 0x2000, 0x0009, 0x0000, /* SP 0x20008000, PC 8 */
    /* 0x08 */ 0x4805, /* ldr r0, =0x40000000 */
    /* 0x0A */ 0x2103, /* movs r1, #3 */
    /* 0x0C */ 0x6141, /* str r1, [r0, #0x14]   MODE */
    /* 0x0E */ 0x6841, /* ldr r1, [r0, #4]      RESETCAUSE */
    /* 0x10 */ 0x08C9, /* lsrs r1, r1, #3       C = SYSRESET */
    /* 0x12 */ 0xD202, /* bcs 0x1A */
    /* 0x14 */ 0x4A03, /* ldr r2, =0xE000ED0C   AIRCR */
    /* 0x16 */ 0x4B04, /* ldr r3, =0x05FA0004   VECTKEY | SYSRESETREQ */
    /* 0x18 */ 0x6013, /* str r3, [r2] */
    /* 0x1A */ 0xBF30, /* wfi */
    /* 0x1C */ 0xE7FD, /* b 0x1A */
    /* 0x1E */ 0xBF00, /* nop */
    /* 0x20 */ 0x0000, 0x4000, 0xED0C, 0xE000, 0x0004, 0x05FA,
};

START_TEST(core_writes_mode_and_resets_itself)
{
    bench_t *b = bench_new(1, false);
    ck_assert(cpu_write_mem(&b->mcu.cpu, 0, boot_prog, sizeof boot_prog));
    cpu_reset(&b->mcu.cpu);
    op_t *rc = rd(b, SIM_US(10), MCU_SYSCTL_BASE + MCU_SYSCTL_RESETCAUSE);
    sim_run_until(&b->sim, SIM_US(20));
    ck_assert_uint_eq(rc->result,
                      MCU_RESETCAUSE_POR | MCU_RESETCAUSE_SYSRESET);
    ck_assert_uint_eq(b->mcu.resets, 2);
    ck_assert_uint_eq(mcu_mode(&b->mcu), 3);
    ck_assert_uint_eq(cpu_state(&b->mcu.cpu), CPU_SLEEPING);
    bench_close(b);
    ck_assert_uint_eq(cap_count(&b->cap, TRACE_MODE, "mcu"), 3);
    const rec_t *m0 = cap_find(&b->cap, TRACE_MODE, "mcu", 0);
    const rec_t *m1 = cap_find(&b->cap, TRACE_MODE, "mcu", 1);
    const rec_t *m2 = cap_find(&b->cap, TRACE_MODE, "mcu", 2);
    /* ldr (2 cycles), movs (1), str: its bus cycle is cycle 4 */
    ck_assert_uint_eq(m0->time, CYC(4));
    ck_assert_str_eq(m0->mode, "contact+nfc");
    ck_assert_str_eq(m1->mode, "none");
    ck_assert_str_eq(m1->text, "reset");
    ck_assert_str_eq(m2->mode, "contact+nfc");
    ck_assert_uint_eq(m2->time, m1->time + CYC(4) + CYC(1));
    const rec_t *l0 = cap_find(&b->cap, TRACE_LOG, "mcu", 0);
    ck_assert_str_eq(l0->text, "system reset request");
    bench_free(b);
}
END_TEST

Suite *make_mcu_suite(void)
{
    Suite *s = suite_create("mcu");
    TCase *tc = tcase_create("registers");
    tcase_add_test(tc, init_reports_bad_elf);
    tcase_add_test(tc, chipid_resetcause_and_bus_errors);
    tcase_add_test(tc, timer_count_and_match_time);
    tcase_add_test(tc, timer_cmp_equal_to_count_waits_a_wrap);
    tcase_add_test(tc, spi_byte_times_and_slave);
    tcase_add_test(tc, iso_port_activates_and_sends);
    tcase_add_test(tc, iso_port_rx_fifo_perr_ovr);
    tcase_add_test(tc, iso_port_tx_fifo_full_sets_ovr);
    tcase_add_test(tc, sense_edges_and_irqs);
    tcase_add_test(tc, mode_route_se_state_traced);
    tcase_add_test(tc, power_off_and_on);
    tcase_add_test(tc, core_writes_mode_and_resets_itself);
    suite_add_tcase(s, tc);
    return s;
}
