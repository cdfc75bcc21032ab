/* SPDX-License-Identifier: MIT */
/* tests/test_flash.c - the NOR flash and its controller (models/flash.c):
 * NOR semantics, BUSY to the picosecond on a real sim, the IRQ level,
 * register errors, erase counters, trace records, seeded tearing, injected
 * failures, stuck bits, the op-start hook and images. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "firmware/include/regs/flashc.h"
#include "firmware/include/regs/se_map.h"
#include "models/cpu/cpu.h"
#include "models/flash.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "suites.h"

/* The MMIO callbacks must fit the core's callback types. */
static const cpu_mmio_read_fn mmio_read_type_check = flash_mmio_read;
static const cpu_mmio_write_fn mmio_write_type_check = flash_mmio_write;

#define BASE SE_FLASH_BASE
#define PAGE SE_FLASH_PAGE
#define T_PROG SIM_US(25)
#define T_ERASE SIM_MS(2)

/* ---- fixture: one sim, one node, a trace bus with a capturing sink ---- */

typedef struct rec {
    sim_time_t time, start;
    trace_kind_t kind;
    int op, torn, level;
    uint32_t addr, len;
    uint8_t data[4];
    size_t n_data;
    char source[32], text[160];
} rec_t;

typedef struct fx {
    sim_t sim;
    sim_node_t node;
    trace_bus_t bus;
    flash_t fl;
    bool bus_closed;
    rec_t recs[64];
    size_t n_recs;
    /* callbacks */
    int irq_calls;
    bool irq_level;
    int changes;
    uint32_t change_addr, change_len;
    int starts;
    unsigned start_index;
    flash_op_t start_op;
    bool cut_at_start;      /* on_op_start cuts the op at once */
} fx_t;

static void cap_record(void *ctx, const trace_rec_t *r)
{
    fx_t *x = ctx;
    if (x->n_recs == sizeof x->recs / sizeof x->recs[0])
        ck_abort_msg("too many trace records");
    rec_t *c = &x->recs[x->n_recs++];
    memset(c, 0, sizeof *c);
    c->time = r->time;
    c->start = r->start;
    c->kind = r->kind;
    snprintf(c->source, sizeof c->source, "%s", r->source ? r->source : "");
    snprintf(c->text, sizeof c->text, "%s", r->text ? r->text : "");
    if (r->kind == TRACE_FLASH_OP) {
        c->op = (int)r->u.flash.op;
        c->addr = r->u.flash.addr;
        c->len = r->u.flash.len;
        c->torn = r->u.flash.torn;
        ck_assert_uint_le(r->len, sizeof c->data);
        if (r->data)
            memcpy(c->data, r->data, r->len);
        c->n_data = r->len;
    }
    if (r->kind == TRACE_LOG)
        c->level = r->u.log.level;
}

static int cap_close(void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    (void)err;
    (void)errlen;
    return 0;
}

static void on_irq(void *ctx, bool level)
{
    fx_t *x = ctx;
    x->irq_calls++;
    x->irq_level = level;
}

static void on_change(void *ctx, uint32_t addr, uint32_t len)
{
    fx_t *x = ctx;
    x->changes++;
    x->change_addr = addr;
    x->change_len = len;
}

static void on_op_start(void *ctx, flash_t *fl, unsigned index,
                        const flash_op_t *op)
{
    fx_t *x = ctx;
    x->starts++;
    x->start_index = index;
    x->start_op = *op;
    if (x->cut_at_start)
        flash_power_cut(fl, op->start);
}

static fx_t *fx_new_geom(uint64_t seed, const flash_geom_t *geom)
{
    fx_t *x = calloc(1, sizeof *x);
    ck_assert_ptr_nonnull(x);
    sim_init(&x->sim, seed);
    sim_node_init(&x->node, &x->sim, "se0", x);
    trace_bus_init(&x->bus);
    trace_sink_t s = {
        .name = "capture",
        .mask = TRACE_MASK(TRACE_FLASH_OP) | TRACE_MASK(TRACE_LOG),
        .record = cap_record,
        .close = cap_close,
        .ctx = x,
    };
    trace_bus_add_sink(&x->bus, &s);
    trace_bus_attach(&x->bus, &x->sim);
    flash_cfg_t cfg = {
        .name = "se0.flash",
        .base = BASE,
        .regs_base = SE_FLASHC_BASE,
        .irq = on_irq,
        .on_change = on_change,
        .on_op_start = on_op_start,
        .ctx = x,
    };
    if (geom)
        cfg.geom = *geom;
    flash_init(&x->fl, &x->node, &x->bus, &cfg);
    return x;
}

static fx_t *fx_new(uint64_t seed)
{
    return fx_new_geom(seed, NULL);
}

static void fx_close_bus(fx_t *x)
{
    if (x->bus_closed)
        return;
    char err[128] = "";
    ck_assert_int_eq(trace_bus_close(&x->bus, err, sizeof err), 0);
    x->bus_closed = true;
}

static void fx_free(fx_t *x)
{
    fx_close_bus(x);
    flash_cleanup(&x->fl);
    sim_cleanup(&x->sim);
    free(x);
}

/* Runs the sim so that everything before t has happened (records before
 * t are handed to the sink). */
static void run_to(fx_t *x, sim_time_t t)
{
    ck_assert_uint_eq(sim_run_until(&x->sim, t), t);
}

static uint32_t rd(fx_t *x, uint32_t off, sim_time_t t)
{
    return flash_reg_read(&x->fl, off, t);
}

static void wr(fx_t *x, uint32_t off, uint32_t v, sim_time_t t)
{
    flash_reg_write(&x->fl, off, v, t);
}

static void program_at(fx_t *x, uint32_t addr, uint32_t data, sim_time_t t)
{
    wr(x, FLASHC_ADDR, addr, t);
    wr(x, FLASHC_DATA, data, t);
    wr(x, FLASHC_CTRL, FLASHC_CTRL_KEY | FLASHC_CMD_PROG, t);
}

static void erase_at(fx_t *x, uint32_t addr, sim_time_t t)
{
    wr(x, FLASHC_ADDR, addr, t);
    wr(x, FLASHC_CTRL, FLASHC_CTRL_KEY | FLASHC_CMD_ERASE, t);
}

/* Programs and runs to the end; returns the time after it. */
static sim_time_t program(fx_t *x, uint32_t addr, uint32_t data, sim_time_t t)
{
    program_at(x, addr, data, t);
    run_to(x, t + T_PROG + 1);
    return t + T_PROG + 1;
}

static sim_time_t erase(fx_t *x, uint32_t addr, sim_time_t t)
{
    erase_at(x, addr, t);
    run_to(x, t + T_ERASE + 1);
    return t + T_ERASE + 1;
}

static uint32_t word_at(fx_t *x, uint32_t addr)
{
    return flash_peek32(&x->fl, addr);
}

/* Stores a word directly (a preloaded, unerased content). */
static void poke(fx_t *x, uint32_t addr, uint32_t v)
{
    uint8_t *p = x->fl.mem + (addr - BASE);
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static size_t count_kind(fx_t *x, trace_kind_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_recs; i++)
        n += x->recs[i].kind == kind;
    return n;
}

static const rec_t *nth_flash_rec(fx_t *x, size_t k)
{
    for (size_t i = 0; i < x->n_recs; i++)
        if (x->recs[i].kind == TRACE_FLASH_OP && k-- == 0)
            return &x->recs[i];
    ck_abort_msg("no flash record %zu", k);
    return NULL;
}

static unsigned popcount32(uint32_t v)
{
    return (unsigned)__builtin_popcount(v);
}

static unsigned page_ones(fx_t *x, uint32_t addr)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < PAGE; i += 4)
        n += popcount32(word_at(x, addr + i));
    return n;
}

/* FNV-1a of a page, to compare torn pages exactly. */
static uint32_t page_hash(fx_t *x, uint32_t addr)
{
    uint32_t h = 0x811C9DC5u;
    const uint8_t *p = x->fl.mem + (addr - BASE);
    for (uint32_t i = 0; i < PAGE; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

/* ---- the part table ---- */

START_TEST(test_part_table)
{
    const flash_geom_t *g = flash_part(FLASH_PART_SE);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_eq(flash_part_at(0), g);
    ck_assert_ptr_null(flash_part("no-such-part"));
    ck_assert_uint_eq(g->size, SE_FLASH_SIZE);
    ck_assert_uint_eq(g->page, SE_FLASH_PAGE);
    ck_assert_uint_eq(g->word, 4);
    ck_assert_uint_eq(g->t_erase, SIM_US(2000));
    ck_assert_uint_eq(g->t_program, SIM_US(25));
    (void)mmio_read_type_check;
    (void)mmio_write_type_check;

    /* a zero geometry in the config is the SE's part; a blank part */
    fx_t *x = fx_new(1);
    ck_assert_uint_eq(x->fl.geom.size, SE_FLASH_SIZE);
    ck_assert_uint_eq(x->fl.n_pages, 256);
    for (uint32_t a = BASE; a < BASE + SE_FLASH_SIZE; a += 4)
        if (word_at(x, a) != 0xFFFFFFFFu)
            ck_abort_msg("word 0x%08X not blank", a);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), 0);
    fx_free(x);
}
END_TEST

/* ---- NOR semantics ---- */

START_TEST(test_erase_sets_page_ff)
{
    fx_t *x = fx_new(1);
    uint32_t pg = BASE + 5 * PAGE;
    for (uint32_t i = 0; i < PAGE; i += 4)
        poke(x, pg + i, i * 0x01010101u);
    poke(x, pg - 4, 0x11111111u);    /* neighbours stay as they are */
    poke(x, pg + PAGE, 0x22222222u);
    sim_time_t t = erase(x, pg + 0x123, SIM_NS(100)); /* any address in it */
    for (uint32_t i = 0; i < PAGE; i += 4)
        ck_assert_uint_eq(word_at(x, pg + i), 0xFFFFFFFFu);
    ck_assert_uint_eq(word_at(x, pg - 4), 0x11111111u);
    ck_assert_uint_eq(word_at(x, pg + PAGE), 0x22222222u);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t), FLASHC_STATUS_DONE);
    ck_assert_int_eq(x->changes, 1);
    ck_assert_uint_eq(x->change_addr, pg);
    ck_assert_uint_eq(x->change_len, PAGE);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_int_eq(r->op, TRACE_FLASH_ERASE);
    ck_assert_uint_eq(r->addr, pg);
    ck_assert_uint_eq(r->len, PAGE);
    ck_assert_uint_eq(r->n_data, 0);
    fx_free(x);
}
END_TEST

START_TEST(test_program_clean)
{
    fx_t *x = fx_new(1);
    sim_time_t t = program(x, BASE + 0x40, 0x12345678u, SIM_NS(10));
    ck_assert_uint_eq(word_at(x, BASE + 0x40), 0x12345678u);
    ck_assert_uint_eq(word_at(x, BASE + 0x3C), 0xFFFFFFFFu);
    ck_assert_uint_eq(word_at(x, BASE + 0x44), 0xFFFFFFFFu);
    ck_assert_uint_eq(x->fl.mem[0x40], 0x78); /* little-endian */
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t), FLASHC_STATUS_DONE);
    ck_assert_int_eq(x->changes, 1);
    ck_assert_uint_eq(x->change_addr, BASE + 0x40);
    ck_assert_uint_eq(x->change_len, 4);
    fx_close_bus(x);
    ck_assert_uint_eq(count_kind(x, TRACE_LOG), 0);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_int_eq(r->op, TRACE_FLASH_PROGRAM);
    ck_assert_uint_eq(r->addr, BASE + 0x40);
    ck_assert_uint_eq(r->len, 4);
    ck_assert_int_eq(r->torn, 0);
    ck_assert_uint_eq(r->n_data, 4);
    ck_assert_mem_eq(r->data, "\x78\x56\x34\x12", 4);
    ck_assert_str_eq(r->text, "");
    flash_stats_t st;
    flash_get_stats(&x->fl, &st);
    ck_assert_uint_eq(st.programs, 1);
    ck_assert_uint_eq(st.unerased, 0);
    fx_free(x);
}
END_TEST

START_TEST(test_program_and_unerased)
{
    fx_t *x = fx_new(1);
    sim_time_t t = program(x, BASE + 0x100, 0x12345678u, SIM_NS(10));
    /* programming again: only clears bits, and is flagged */
    program_at(x, BASE + 0x100, 0xFF00FF0Fu, t);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t),
                      FLASHC_STATUS_BUSY | FLASHC_STATUS_ERR_UNERASED);
    run_to(x, t + T_PROG + 1);
    ck_assert_uint_eq(word_at(x, BASE + 0x100), 0x12005608u);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t),
                      FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_UNERASED);
    /* W1C */
    wr(x, FLASHC_STATUS, FLASHC_STATUS_ERR_UNERASED, t + T_PROG + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t), FLASHC_STATUS_DONE);
    /* a word programmed to all ones is still unerased-clean: AND with
     * 0xFFFFFFFF changes nothing */
    program_at(x, BASE + 0x100, 0xFFFFFFFFu, t + T_PROG + 1);
    run_to(x, t + 2 * T_PROG + 2);
    ck_assert_uint_eq(word_at(x, BASE + 0x100), 0x12005608u);
    fx_close_bus(x);
    /* one warning each, stamped at the program's start, from the flash */
    ck_assert_uint_eq(count_kind(x, TRACE_LOG), 2);
    const rec_t *w = NULL;
    for (size_t i = 0; i < x->n_recs && !w; i++)
        if (x->recs[i].kind == TRACE_LOG)
            w = &x->recs[i];
    ck_assert_ptr_nonnull(w);
    ck_assert_uint_eq(w->time, t);
    ck_assert_int_eq(w->level, 1);
    ck_assert_str_eq(w->source, "se0.flash");
    ck_assert_str_eq(w->text,
                     "program of a word that is not erased: 0x10000100 "
                     "holds 0x12345678, programming 0xFF00FF0F gives "
                     "0x12005608");
    const rec_t *r = nth_flash_rec(x, 1);
    ck_assert_str_eq(r->text, "unerased word");
    flash_stats_t st;
    flash_get_stats(&x->fl, &st);
    ck_assert_uint_eq(st.programs, 3);
    ck_assert_uint_eq(st.unerased, 2);
    fx_free(x);
}
END_TEST

/* ---- timing, DONE and the IRQ ---- */

START_TEST(test_program_busy_25us)
{
    fx_t *x = fx_new(1);
    sim_time_t t0 = SIM_NS(1234) + 7;
    wr(x, FLASHC_IRQEN, FLASHC_IRQEN_DONE, t0);
    ck_assert_int_eq(x->irq_calls, 0);
    program_at(x, BASE + 8, 0xA5A5A5A5u, t0);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t0), FLASHC_STATUS_BUSY);
    flash_op_t op;
    ck_assert(flash_op_in_progress(&x->fl, &op));
    ck_assert_int_eq(op.kind, FLASH_OP_PROGRAM);
    ck_assert_uint_eq(op.start, t0);
    ck_assert_uint_eq(op.end, t0 + SIM_US(25));
    ck_assert_uint_eq(x->node.heap.n, 1);
    ck_assert_uint_eq(x->node.heap.v[0].time, t0 + SIM_US(25));

    /* everything before the end: still busy, array unchanged */
    run_to(x, t0 + SIM_US(25));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_BUSY);
    ck_assert_uint_eq(word_at(x, BASE + 8), 0xFFFFFFFFu);
    ck_assert_int_eq(x->irq_calls, 0);
    /* the picosecond at the end */
    run_to(x, t0 + SIM_US(25) + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_DONE);
    ck_assert_uint_eq(word_at(x, BASE + 8), 0xA5A5A5A5u);
    ck_assert(!flash_op_in_progress(&x->fl, NULL));
    ck_assert_int_eq(x->irq_calls, 1);
    ck_assert(x->irq_level);
    ck_assert_uint_eq(sim_events_fired(&x->sim), 1);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_uint_eq(r->start, t0);
    ck_assert_uint_eq(r->time, t0 + SIM_US(25));

    /* clearing DONE drops the line; IRQEN off with DONE set keeps it low */
    sim_time_t t1 = t0 + SIM_US(30);
    wr(x, FLASHC_STATUS, FLASHC_STATUS_DONE, t1);
    ck_assert_int_eq(x->irq_calls, 2);
    ck_assert(!x->irq_level);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t1), 0);
    wr(x, FLASHC_IRQEN, 0, t1);
    program(x, BASE + 12, 0, t1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_DONE);
    ck_assert_int_eq(x->irq_calls, 2);
    /* enabling with DONE pending raises it; a new op clears DONE */
    wr(x, FLASHC_IRQEN, FLASHC_IRQEN_DONE, t1 + SIM_US(26));
    ck_assert_int_eq(x->irq_calls, 3);
    ck_assert(x->irq_level);
    program_at(x, BASE + 16, 0, t1 + SIM_US(26));
    ck_assert_int_eq(x->irq_calls, 4);
    ck_assert(!x->irq_level);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_BUSY);
    fx_free(x);
}
END_TEST

START_TEST(test_erase_busy_2ms)
{
    fx_t *x = fx_new(1);
    sim_time_t t0 = SIM_US(3) + 1;
    wr(x, FLASHC_IRQEN, FLASHC_IRQEN_DONE, t0);
    erase_at(x, BASE + 2 * PAGE, t0);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t0), FLASHC_STATUS_BUSY);
    run_to(x, t0 + SIM_US(2000));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_BUSY);
    ck_assert_int_eq(x->irq_calls, 0);
    run_to(x, t0 + SIM_US(2000) + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_DONE);
    ck_assert_int_eq(x->irq_calls, 1);
    ck_assert(x->irq_level);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_uint_eq(r->start, t0);
    ck_assert_uint_eq(r->time, t0 + SIM_MS(2));
    ck_assert_uint_eq(r->addr, BASE + 2 * PAGE);
    fx_free(x);
}
END_TEST

/* ---- register errors ---- */

START_TEST(test_key_and_busy_errors)
{
    fx_t *x = fx_new(1);
    /* no key, wrong key: ignored */
    wr(x, FLASHC_ADDR, BASE, 0);
    wr(x, FLASHC_CTRL, FLASHC_CMD_ERASE, 0);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_ERR_KEY);
    wr(x, FLASHC_CTRL, 0x5A000000u | FLASHC_CMD_ERASE, 0);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_ERR_KEY);
    ck_assert(!flash_op_in_progress(&x->fl, NULL));
    ck_assert_int_eq(x->starts, 0);
    wr(x, FLASHC_STATUS, FLASHC_STATUS_ERR_KEY, 0);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), 0);

    /* while busy: CTRL ignored with ERR_BUSY; ADDR/DATA do not touch it */
    program_at(x, BASE + 4, 0x0000FFFFu, SIM_NS(5));
    wr(x, FLASHC_ADDR, BASE + 0x800, SIM_NS(6));
    wr(x, FLASHC_DATA, 0, SIM_NS(6));
    wr(x, FLASHC_CTRL, FLASHC_CTRL_KEY | FLASHC_CMD_ERASE, SIM_NS(6));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0),
                      FLASHC_STATUS_BUSY | FLASHC_STATUS_ERR_BUSY);
    /* a keyless write while busy is a key error */
    wr(x, FLASHC_CTRL, FLASHC_CMD_PROG, SIM_NS(6));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0),
                      FLASHC_STATUS_BUSY | FLASHC_STATUS_ERR_BUSY |
                      FLASHC_STATUS_ERR_KEY);
    ck_assert_int_eq(x->starts, 1);
    flash_op_t op;
    ck_assert(flash_op_in_progress(&x->fl, &op));
    ck_assert_uint_eq(op.addr, BASE + 4);
    ck_assert_uint_eq(op.data, 0x0000FFFFu);
    ck_assert_uint_eq(op.end, SIM_NS(5) + T_PROG);
    run_to(x, SIM_NS(5) + T_PROG + 1);
    ck_assert_uint_eq(word_at(x, BASE + 4), 0x0000FFFFu);
    ck_assert_uint_eq(word_at(x, BASE + 0x800), 0xFFFFFFFFu);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0),
                      FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_BUSY |
                      FLASHC_STATUS_ERR_KEY);
    /* W1C: writing zeros changes nothing; BUSY is not writable */
    wr(x, FLASHC_STATUS, FLASHC_STATUS_BUSY, 0 + SIM_NS(5) + T_PROG + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0),
                      FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_BUSY |
                      FLASHC_STATUS_ERR_KEY);
    wr(x, FLASHC_STATUS, 0xFFFFFFFFu, SIM_NS(5) + T_PROG + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), 0);
    ck_assert_uint_eq(count_kind(x, TRACE_FLASH_OP), 1);

    /* the other registers */
    ck_assert_uint_eq(rd(x, FLASHC_ADDR, 0), BASE + 0x800);
    ck_assert_uint_eq(rd(x, FLASHC_DATA, 0), 0);
    ck_assert_uint_eq(rd(x, FLASHC_CTRL, 0), 0);
    wr(x, FLASHC_IRQEN, 0xFFFFFFFFu, SIM_US(30));
    ck_assert_uint_eq(rd(x, FLASHC_IRQEN, 0), FLASHC_IRQEN_DONE);
    ck_assert_uint_eq(rd(x, 0x40, 0), 0);
    fx_free(x);
}
END_TEST

START_TEST(test_unknown_command)
{
    fx_t *x = fx_new(1);
    wr(x, FLASHC_ADDR, BASE, SIM_NS(1));
    wr(x, FLASHC_CTRL, FLASHC_CTRL_KEY | 0x7u, SIM_NS(1));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), 0);
    ck_assert(!flash_op_in_progress(&x->fl, NULL));
    fx_close_bus(x);
    ck_assert_uint_eq(count_kind(x, TRACE_LOG), 1);
    ck_assert_str_eq(x->recs[0].text,
                     "CTRL written with an unknown command 7: ignored");
    fx_free(x);
}
END_TEST

START_TEST(test_address_errors)
{
    fx_t *x = fx_new(1);
    const struct {
        uint32_t addr, cmd;
    } bad[] = {
        { BASE - 4, FLASHC_CMD_ERASE },
        { BASE + SE_FLASH_SIZE, FLASHC_CMD_ERASE },
        { 0, FLASHC_CMD_ERASE },
        { BASE - 4, FLASHC_CMD_PROG },
        { BASE + SE_FLASH_SIZE, FLASHC_CMD_PROG },
        { BASE + 2, FLASHC_CMD_PROG },
        { BASE + 0x401, FLASHC_CMD_PROG },
        { BASE + SE_FLASH_SIZE - 1, FLASHC_CMD_PROG },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wr(x, FLASHC_ADDR, bad[i].addr, 0);
        wr(x, FLASHC_DATA, 0, 0);
        wr(x, FLASHC_CTRL, FLASHC_CTRL_KEY | bad[i].cmd, 0);
        ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_ERR_ADDR);
        ck_assert(!flash_op_in_progress(&x->fl, NULL));
        wr(x, FLASHC_STATUS, FLASHC_STATUS_ERR_ADDR, 0);
    }
    ck_assert_int_eq(x->starts, 0);
    ck_assert_int_eq(x->changes, 0);
    ck_assert_uint_eq(x->node.heap.n, 0);
    /* the last word and the last page are fine */
    program(x, BASE + SE_FLASH_SIZE - 4, 0x01020304u, 0);
    ck_assert_uint_eq(word_at(x, BASE + SE_FLASH_SIZE - 4), 0x01020304u);
    erase(x, BASE + SE_FLASH_SIZE - 1, SIM_US(30));
    ck_assert_uint_eq(word_at(x, BASE + SE_FLASH_SIZE - 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 255), 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_DONE);
    fx_free(x);
}
END_TEST

START_TEST(test_mmio_callbacks)
{
    fx_t *x = fx_new(1);
    bool err = false;
    flash_mmio_write(&x->fl, SE_FLASHC_BASE + FLASHC_ADDR, BASE + 0x20, 4,
                     0, &err);
    ck_assert(!err);
    flash_mmio_write(&x->fl, SE_FLASHC_BASE + FLASHC_DATA, 0xCAFEF00Du, 4,
                     0, &err);
    flash_mmio_write(&x->fl, SE_FLASHC_BASE + FLASHC_CTRL,
                     FLASHC_CTRL_KEY | FLASHC_CMD_PROG, 4, SIM_NS(40), &err);
    ck_assert(!err);
    ck_assert_uint_eq(flash_mmio_read(&x->fl, SE_FLASHC_BASE + FLASHC_STATUS,
                                      4, SIM_NS(41), &err),
                      FLASHC_STATUS_BUSY);
    ck_assert(!err);
    /* byte and half-word accesses are bus errors */
    flash_mmio_read(&x->fl, SE_FLASHC_BASE + FLASHC_STATUS, 1, 0, &err);
    ck_assert(err);
    err = false;
    flash_mmio_write(&x->fl, SE_FLASHC_BASE + FLASHC_STATUS, 0xFF, 2, 0,
                     &err);
    ck_assert(err);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_BUSY);
    run_to(x, SIM_NS(40) + T_PROG + 1);
    ck_assert_uint_eq(word_at(x, BASE + 0x20), 0xCAFEF00Du);
    fx_free(x);
}
END_TEST

/* ---- counters and trace ---- */

START_TEST(test_erase_counters)
{
    fx_t *x = fx_new(1);
    sim_time_t t = 0;
    for (int i = 0; i < 3; i++)
        t = erase(x, BASE + 3 * PAGE + 4u * (uint32_t)i, t);
    t = erase(x, BASE + 4 * PAGE, t);
    t = program(x, BASE + 4 * PAGE, 0x0u, t);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 3), 3);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 4), 1);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 0), 0);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 256), 0);
    wr(x, FLASHC_ADDR, BASE + 3 * PAGE + 0x3FF, t);
    ck_assert_uint_eq(rd(x, FLASHC_ERASECNT, t), 3);
    wr(x, FLASHC_ADDR, BASE + 4 * PAGE, t);
    ck_assert_uint_eq(rd(x, FLASHC_ERASECNT, t), 1);
    wr(x, FLASHC_ADDR, BASE - 1, t);
    ck_assert_uint_eq(rd(x, FLASHC_ERASECNT, t), 0);
    wr(x, FLASHC_ERASECNT, 99, t); /* read-only */
    wr(x, FLASHC_ADDR, BASE + 4 * PAGE, t);
    ck_assert_uint_eq(rd(x, FLASHC_ERASECNT, t), 1);
    flash_stats_t st;
    flash_get_stats(&x->fl, &st);
    ck_assert_uint_eq(st.erases, 4);
    ck_assert_uint_eq(st.programs, 1);
    ck_assert_uint_eq(st.torn, 0);
    ck_assert_uint_eq(st.failed, 0);
    fx_free(x);
}
END_TEST

START_TEST(test_trace_records)
{
    fx_t *x = fx_new(1);
    sim_time_t t = erase(x, BASE + PAGE, SIM_NS(1));
    t = program(x, BASE + PAGE + 4, 0x00C0FFEEu, t);
    fx_close_bus(x);
    ck_assert_uint_eq(count_kind(x, TRACE_FLASH_OP), 2);
    const rec_t *e = nth_flash_rec(x, 0), *p = nth_flash_rec(x, 1);
    ck_assert_str_eq(e->source, "se0.flash");
    ck_assert_int_eq(e->op, TRACE_FLASH_ERASE);
    ck_assert_uint_eq(e->start, SIM_NS(1));
    ck_assert_uint_eq(e->time, SIM_NS(1) + T_ERASE);
    ck_assert_uint_eq(e->addr, BASE + PAGE);
    ck_assert_uint_eq(e->len, PAGE);
    ck_assert_int_eq(e->torn, 0);
    ck_assert_int_eq(p->op, TRACE_FLASH_PROGRAM);
    ck_assert_uint_eq(p->start, SIM_NS(1) + T_ERASE + 1);
    ck_assert_uint_eq(p->time, SIM_NS(1) + T_ERASE + 1 + T_PROG);
    ck_assert_uint_eq(p->addr, BASE + PAGE + 4);
    ck_assert_uint_eq(p->len, 4);
    ck_assert_int_eq(p->torn, 0);
    ck_assert_mem_eq(p->data, "\xEE\xFF\xC0\x00", 4);
    ck_assert_uint_eq(x->bus.published[TRACE_FLASH_OP], 2);
    fx_free(x);
}
END_TEST

/* ---- tearing ---- */

/* Programs 0x00000000 over 0xFFFF00FF at t0 and cuts at `pct` percent. */
static uint32_t torn_program(uint64_t seed, unsigned pct, fx_t **keep)
{
    fx_t *x = fx_new(seed);
    uint32_t a = BASE + 0x1000;
    poke(x, a, 0xFFFF00FFu);
    sim_time_t t0 = SIM_US(7);
    program_at(x, a, 0x00000000u, t0);
    flash_power_cut(&x->fl, t0 + T_PROG * pct / 100);
    uint32_t w = word_at(x, a);
    if (keep)
        *keep = x;
    else
        fx_free(x);
    return w;
}

START_TEST(test_tear_program)
{
    fx_t *x;
    uint32_t w1 = torn_program(42, 50, &x);
    uint32_t w2 = torn_program(42, 50, NULL);
    uint32_t w3 = torn_program(43, 50, NULL);
    ck_assert_uint_eq(w1, 0xB0A10020u);
    ck_assert_uint_eq(w2, w1);
    ck_assert_uint_eq(w3, 0xCF7E003Du);
    ck_assert_uint_ne(w3, w1);
    /* only bits that were to clear went; none came back */
    ck_assert_uint_eq(w1 & ~0xFFFF00FFu, 0);
    ck_assert_uint_eq(w3 & ~0xFFFF00FFu, 0);
    /* the ends: nothing at 0 %, (almost) everything late */
    ck_assert_uint_eq(torn_program(42, 0, NULL), 0xFFFF00FFu);
    ck_assert_uint_eq(torn_program(42, 99, NULL), 0x00000000u);

    /* the controller is idle with its registers reset; the event is gone */
    ck_assert(!flash_op_in_progress(&x->fl, NULL));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), 0);
    ck_assert_uint_eq(rd(x, FLASHC_ADDR, 0), 0);
    ck_assert_uint_eq(rd(x, FLASHC_DATA, 0), 0);
    ck_assert_uint_eq(rd(x, FLASHC_IRQEN, 0), 0);
    ck_assert_uint_eq(x->node.heap.n, 0);
    ck_assert_int_eq(x->changes, 1);
    ck_assert_uint_eq(x->change_addr, BASE + 0x1000);
    run_to(x, SIM_MS(1));
    ck_assert_uint_eq(word_at(x, BASE + 0x1000), w1);
    ck_assert_uint_eq(sim_events_fired(&x->sim), 0);
    fx_close_bus(x);
    ck_assert_uint_eq(count_kind(x, TRACE_FLASH_OP), 1);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_int_eq(r->torn, 1);
    ck_assert_uint_eq(r->start, SIM_US(7));
    ck_assert_uint_eq(r->time, SIM_US(7) + T_PROG / 2);
    ck_assert_str_eq(r->text,
                     "power cut at 50.0 % of the program, unerased word");
    flash_stats_t st;
    flash_get_stats(&x->fl, &st);
    ck_assert_uint_eq(st.programs, 1);
    ck_assert_uint_eq(st.torn, 1);
    fx_free(x);
}
END_TEST

/* A page of 0x00 erased and cut at pct percent; returns its hash. */
static uint32_t torn_erase(uint64_t seed, unsigned pct, unsigned *ones)
{
    fx_t *x = fx_new(seed);
    uint32_t pg = BASE + 9 * PAGE;
    memset(x->fl.mem + 9 * PAGE, 0x00, PAGE);
    x->fl.mem[9 * PAGE + 17] = 0x5A;
    sim_time_t t0 = SIM_US(1);
    erase_at(x, pg + 0x10, t0);
    flash_power_cut(&x->fl, t0 + T_ERASE * pct / 100);
    *ones = page_ones(x, pg);
    uint32_t h = page_hash(x, pg);
    /* bits that were 1 stay 1; the neighbours are untouched */
    ck_assert_uint_eq(x->fl.mem[9 * PAGE + 17] & 0x5A, 0x5A);
    ck_assert_uint_eq(word_at(x, pg - 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 9), 1);
    ck_assert_uint_eq(x->change_addr, pg);
    ck_assert_uint_eq(x->change_len, PAGE);
    fx_close_bus(x);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_int_eq(r->op, TRACE_FLASH_ERASE);
    ck_assert_int_eq(r->torn, 1);
    ck_assert_uint_eq(r->time, t0 + T_ERASE * pct / 100);
    fx_free(x);
    return h;
}

START_TEST(test_tear_erase)
{
    unsigned o1, o2, o3, o0;
    uint32_t h1 = torn_erase(42, 25, &o1);
    uint32_t h2 = torn_erase(42, 25, &o2);
    uint32_t h3 = torn_erase(7, 25, &o3);
    ck_assert_uint_eq(h2, h1);
    ck_assert_uint_eq(o2, o1);
    ck_assert_uint_ne(h3, h1);
    ck_assert_uint_eq(o1, 2015u);
    ck_assert_uint_eq(h1, 0x7E63F4E8u);
    ck_assert_uint_eq(o3, 2081u);
    torn_erase(42, 0, &o0);
    ck_assert_uint_eq(o0, 4); /* only the 0x5A byte's bits */
}
END_TEST

START_TEST(test_cut_after_end_completes)
{
    fx_t *x = fx_new(1);
    wr(x, FLASHC_IRQEN, FLASHC_IRQEN_DONE, 0);
    program_at(x, BASE + 0x30, 0x0F0F0F0Fu, SIM_NS(3));
    /* the cut comes at or after the end, before the event fired */
    flash_power_cut(&x->fl, SIM_NS(3) + T_PROG);
    ck_assert_uint_eq(word_at(x, BASE + 0x30), 0x0F0F0F0Fu);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), 0);
    ck_assert_int_eq(x->irq_calls, 2); /* DONE raised it, the reset lowered */
    ck_assert(!x->irq_level);
    ck_assert_uint_eq(x->node.heap.n, 0);
    fx_close_bus(x);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_int_eq(r->torn, 0);
    ck_assert_uint_eq(r->time, SIM_NS(3) + T_PROG);
    fx_free(x);
}
END_TEST

START_TEST(test_reset_tears)
{
    fx_t *x = fx_new(5);
    erase_at(x, BASE, SIM_US(1));
    flash_reset(&x->fl, SIM_US(1) + T_ERASE / 4);
    ck_assert(!flash_op_in_progress(&x->fl, NULL));
    /* the page was blank: a torn erase of a blank page leaves it blank */
    ck_assert_uint_eq(page_ones(x, BASE), 8 * PAGE);
    fx_close_bus(x);
    const rec_t *r = nth_flash_rec(x, 0);
    ck_assert_int_eq(r->torn, 1);
    ck_assert_str_eq(r->text, "reset at 25.0 % of the erase");
    fx_free(x);
}
END_TEST

/* ---- op-start hook ---- */

START_TEST(test_op_start_hook)
{
    fx_t *x = fx_new(1);
    sim_time_t t = erase(x, BASE + 7 * PAGE + 8, SIM_NS(2));
    ck_assert_int_eq(x->starts, 1);
    ck_assert_uint_eq(x->start_index, 0);
    ck_assert_int_eq(x->start_op.kind, FLASH_OP_ERASE);
    ck_assert_uint_eq(x->start_op.addr, BASE + 7 * PAGE);
    ck_assert_uint_eq(x->start_op.len, PAGE);
    ck_assert_uint_eq(x->start_op.start, SIM_NS(2));
    ck_assert_uint_eq(x->start_op.end, SIM_NS(2) + T_ERASE);
    t = program(x, BASE + 7 * PAGE, 0x1u, t);
    ck_assert_uint_eq(x->start_index, 1);
    ck_assert_uint_eq(x->start_op.index, 1);
    ck_assert_int_eq(x->start_op.kind, FLASH_OP_PROGRAM);
    ck_assert_uint_eq(x->start_op.data, 0x1u);
    /* a refused CTRL does not count */
    wr(x, FLASHC_ADDR, 3, t);
    wr(x, FLASHC_CTRL, FLASHC_CTRL_KEY | FLASHC_CMD_PROG, t);
    ck_assert_int_eq(x->starts, 2);

    /* the hook cuts the op at its start: nothing changed, torn, idle */
    x->cut_at_start = true;
    program_at(x, BASE + 7 * PAGE + 4, 0x0u, t);
    ck_assert_int_eq(x->starts, 3);
    ck_assert_uint_eq(x->start_index, 2);
    ck_assert(!flash_op_in_progress(&x->fl, NULL));
    ck_assert_uint_eq(word_at(x, BASE + 7 * PAGE + 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t), 0);
    run_to(x, t + SIM_MS(1));
    fx_close_bus(x);
    ck_assert_uint_eq(count_kind(x, TRACE_FLASH_OP), 3);
    const rec_t *r = nth_flash_rec(x, 2);
    ck_assert_int_eq(r->torn, 1);
    ck_assert_uint_eq(r->time, t);
    ck_assert_str_eq(r->text, "power cut at 0.0 % of the program");
    fx_free(x);
}
END_TEST

/* ---- injected failures and stuck bits ---- */

START_TEST(test_fail_next_program)
{
    fx_t *x = fx_new(1);
    flash_fail_next(&x->fl, FLASH_FAIL_PROGRAM);
    /* an erase is not in the mask: it succeeds and keeps it armed */
    sim_time_t t = erase(x, BASE, 0);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t), FLASHC_STATUS_DONE);
    program_at(x, BASE + 4, 0x12345678u, t);
    run_to(x, t + T_PROG);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_BUSY);
    run_to(x, t + T_PROG + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0),
                      FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_FAIL);
    ck_assert_uint_eq(word_at(x, BASE + 4), 0xFFFFFFFFu);
    /* one failure disarms */
    wr(x, FLASHC_STATUS, 0xFFFFFFFFu, t + T_PROG + 1);
    program(x, BASE + 4, 0x12345678u, t + T_PROG + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_DONE);
    ck_assert_uint_eq(word_at(x, BASE + 4), 0x12345678u);
    fx_close_bus(x);
    ck_assert_str_eq(nth_flash_rec(x, 1)->text, "failed (injected)");
    ck_assert_int_eq(nth_flash_rec(x, 1)->torn, 0);
    flash_stats_t st;
    flash_get_stats(&x->fl, &st);
    ck_assert_uint_eq(st.failed, 1);
    ck_assert_uint_eq(st.programs, 2);
    fx_free(x);
}
END_TEST

START_TEST(test_fail_next_erase)
{
    fx_t *x = fx_new(3);
    uint32_t pg = BASE + 20 * PAGE;
    memset(x->fl.mem + 20 * PAGE, 0, PAGE);
    flash_fail_next(&x->fl, FLASH_FAIL_ERASE | FLASH_FAIL_PROGRAM);
    sim_time_t t = erase(x, pg, SIM_NS(9));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t),
                      FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_FAIL);
    unsigned ones = page_ones(x, pg);
    ck_assert_uint_eq(ones, 4181u);
    ck_assert_uint_eq(page_hash(x, pg), 0x9F5AFC36u);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 20), 1);
    /* disarmed for both kinds */
    t = erase(x, pg, t);
    ck_assert_uint_eq(page_ones(x, pg), 8 * PAGE);
    flash_fail_next(&x->fl, FLASH_FAIL_ERASE);
    flash_fail_next(&x->fl, 0);
    t = erase(x, pg, t);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t),
                      FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_FAIL);
    fx_free(x);
}
END_TEST

START_TEST(test_stuck_bits)
{
    fx_t *x = fx_new(1);
    uint32_t a = BASE + 0x2000, b = BASE + 0x2004;
    ck_assert(flash_set_stuck(&x->fl, a, 0x00000001u, 0)); /* stuck at 0 */
    ck_assert_uint_eq(word_at(x, a), 0xFFFFFFFEu);
    ck_assert_int_eq(x->changes, 1);
    ck_assert_uint_eq(x->change_addr, a);
    /* a stuck-at-0 bit is not "unerased": no flag, no warning */
    sim_time_t t = program(x, a, 0xFFFF0FFFu, SIM_NS(1));
    ck_assert_uint_eq(word_at(x, a), 0xFFFF0FFEu);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, t), FLASHC_STATUS_DONE);
    t = erase(x, a, t);
    ck_assert_uint_eq(word_at(x, a), 0xFFFFFFFEu);

    ck_assert(flash_set_stuck(&x->fl, b, 0x80000001u, 0x80000000u));
    ck_assert_uint_eq(word_at(x, b), 0xFFFFFFFEu);
    t = program(x, b, 0x00000000u, t);
    ck_assert_uint_eq(word_at(x, b), 0x80000000u);
    /* merging: bit 0 freed? no, merged masks only grow; bit 1 added */
    ck_assert(flash_set_stuck(&x->fl, b, 0x00000002u, 0x2u));
    ck_assert_uint_eq(word_at(x, b), 0x80000002u);
    ck_assert_uint_eq(x->fl.n_stuck, 2);

    /* bad addresses */
    ck_assert(!flash_set_stuck(&x->fl, BASE + 2, 1, 0));
    ck_assert(!flash_set_stuck(&x->fl, BASE - 4, 1, 0));
    ck_assert(!flash_set_stuck(&x->fl, BASE + SE_FLASH_SIZE, 1, 0));
    ck_assert_uint_eq(x->fl.n_stuck, 2);
    fx_close_bus(x);
    ck_assert_uint_eq(count_kind(x, TRACE_LOG), 0);
    fx_free(x);
}
END_TEST

/* ---- images ---- */

static char tmpdir[64];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cardsim-flash-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

static char *tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
    return buf;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    ck_assert_int_ge(n, 0);
    rewind(fp);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const void *b, size_t len)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(b, 1, len, fp), len);
    ck_assert_int_eq(fclose(fp), 0);
}

static size_t count_dir(void)
{
    DIR *d = opendir(tmpdir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

#define HLEN (FLASH_IMAGE_FIXED + 4u * 256u)

START_TEST(test_image_round_trip)
{
    char p1[256], p2[256], err[256] = "";
    fx_t *x = fx_new(1);
    sim_time_t t = erase(x, BASE + 3 * PAGE, 0);
    t = erase(x, BASE + 3 * PAGE, t);
    t = erase(x, BASE + 200 * PAGE, t);
    t = program(x, BASE + 3 * PAGE + 8, 0xDEADBEEFu, t);
    t = program(x, BASE + 0x10, 0x00000000u, t);
    ck_assert_int_eq(flash_save_image(&x->fl, tmp_path(p1, sizeof p1, "a.img"),
                                      err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(count_dir(), 1); /* no temporary file left */

    size_t n1;
    uint8_t *b1 = slurp(p1, &n1);
    ck_assert_uint_eq(n1, HLEN + SE_FLASH_SIZE);
    ck_assert_mem_eq(b1, "CSFLASH1", 8);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_HDRLEN, "\x30\x04\x00\x00", 4);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_SIZE, "\x00\x00\x04\x00", 4);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_PAGE, "\x00\x04\x00\x00", 4);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_WORD, "\x04\x00\x00\x00", 4);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_PAGES, "\x00\x01\x00\x00", 4);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_ERASES,
                     "\x03\x00\x00\x00\x00\x00\x00\x00", 8);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_PROGS,
                     "\x02\x00\x00\x00\x00\x00\x00\x00", 8);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_COUNTS + 3 * 4, "\x02\0\0\0", 4);
    ck_assert_mem_eq(b1 + FLASH_IMAGE_OFF_COUNTS + 200 * 4, "\x01\0\0\0", 4);
    ck_assert_mem_eq(b1 + HLEN + 3 * PAGE + 8, "\xEF\xBE\xAD\xDE", 4);
    ck_assert_mem_eq(b1 + HLEN, x->fl.mem, SE_FLASH_SIZE);

    fx_t *y = fx_new(2);
    y->changes = 0;
    ck_assert_int_eq(flash_load_image(&y->fl, p1, err, sizeof err), 0);
    ck_assert_mem_eq(y->fl.mem, x->fl.mem, SE_FLASH_SIZE);
    ck_assert_uint_eq(flash_erase_count(&y->fl, 3), 2);
    ck_assert_uint_eq(flash_erase_count(&y->fl, 200), 1);
    flash_stats_t st;
    flash_get_stats(&y->fl, &st);
    ck_assert_uint_eq(st.erases, 3);
    ck_assert_uint_eq(st.programs, 2);
    ck_assert_int_eq(y->changes, 1);
    ck_assert_uint_eq(y->change_addr, BASE);
    ck_assert_uint_eq(y->change_len, SE_FLASH_SIZE);
    wr(y, FLASHC_ADDR, BASE + 3 * PAGE, 0);
    ck_assert_uint_eq(rd(y, FLASHC_ERASECNT, 0), 2);

    /* saved again: byte-identical, also over an existing file */
    ck_assert_int_eq(flash_save_image(&y->fl, tmp_path(p2, sizeof p2, "b.img"),
                                      err, sizeof err), 0);
    ck_assert_int_eq(flash_save_image(&y->fl, p2, err, sizeof err), 0);
    size_t n2;
    uint8_t *b2 = slurp(p2, &n2);
    ck_assert_uint_eq(n2, n1);
    ck_assert_mem_eq(b2, b1, n1);
    ck_assert_uint_eq(count_dir(), 2);
    free(b1);
    free(b2);
    fx_free(x);
    fx_free(y);
}
END_TEST

START_TEST(test_image_rejects)
{
    char p[256], err[256];
    fx_t *x = fx_new(1);
    program(x, BASE, 0x0u, 0);
    ck_assert_int_eq(flash_save_image(&x->fl, tmp_path(p, sizeof p, "g.img"),
                                      err, sizeof err), 0);
    size_t n;
    uint8_t *good = slurp(p, &n);
    fx_t *y = fx_new(1);
    char bad[256], want[512];
    tmp_path(bad, sizeof bad, "bad.img");

    /* truncated in the array */
    spit(bad, good, HLEN + 1000);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: truncated at byte offset 2072: the "
             "array ends at offset 263216", bad);
    ck_assert_str_eq(err, want);
    /* truncated in the counters, in the header, in the magic */
    spit(bad, good, 100);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: truncated at byte offset 100: the "
             "erase counter table ends at offset 1072", bad);
    ck_assert_str_eq(err, want);
    spit(bad, good, 20);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: truncated at byte offset 20: the "
             "header is 48 bytes", bad);
    ck_assert_str_eq(err, want);
    spit(bad, good, 5);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: truncated at byte offset 5: the "
             "header is 48 bytes", bad);
    ck_assert_str_eq(err, want);
    /* trailing bytes */
    uint8_t *big = calloc(1, n + 3);
    memcpy(big, good, n);
    spit(bad, big, n + 3);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: byte offset 263216: 3 bytes after the "
             "end of the array", bad);
    ck_assert_str_eq(err, want);
    free(big);
    /* a geometry field that does not match */
    uint8_t *g2 = malloc(n);
    memcpy(g2, good, n);
    g2[FLASH_IMAGE_OFF_PAGE + 1] = 0x08; /* 2 KiB pages */
    spit(bad, g2, n);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: byte offset 20: the page size is 2048, "
             "this flash's is 1024", bad);
    ck_assert_str_eq(err, want);
    memcpy(g2, good, n);
    g2[FLASH_IMAGE_OFF_FLAGS] = 1;
    spit(bad, g2, n);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: byte offset 12: the flags word is 1, "
             "this flash's is 0", bad);
    ck_assert_str_eq(err, want);
    free(g2);
    /* neither an image nor a raw array */
    spit(bad, "hello", 5);
    ck_assert_int_eq(flash_load_image(&y->fl, bad, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: byte offset 0: no \"CSFLASH1\" magic, "
             "and not a raw array either (5 bytes, the flash has 262144)",
             bad);
    ck_assert_str_eq(err, want);
    /* a missing file */
    ck_assert_int_eq(flash_load_image(&y->fl, tmp_path(p, sizeof p, "none"),
                                      err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: No such file or directory", p);
    ck_assert_str_eq(err, want);
    /* nothing changed by any of it */
    ck_assert_int_eq(y->changes, 0);
    ck_assert_uint_eq(word_at(y, BASE), 0xFFFFFFFFu);

    /* refused while busy */
    program_at(y, BASE, 0, SIM_NS(1));
    tmp_path(p, sizeof p, "g.img");
    ck_assert_int_eq(flash_load_image(&y->fl, p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot load while the flash is busy", p);
    ck_assert_str_eq(err, want);

    /* a save into a missing directory */
    snprintf(p, sizeof p, "%s/no/such/dir.img", tmpdir);
    ck_assert_int_eq(flash_save_image(&x->fl, p, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot create a temporary file: No such "
             "file or directory", p);
    ck_assert_str_eq(err, want);
    free(good);
    fx_free(x);
    fx_free(y);
}
END_TEST

START_TEST(test_image_raw)
{
    char p[256], err[256] = "";
    fx_t *x = fx_new(1);
    erase(x, BASE + 4 * PAGE, 0); /* counters the raw load zeroes */
    uint8_t *raw = malloc(SE_FLASH_SIZE);
    for (uint32_t i = 0; i < SE_FLASH_SIZE; i++)
        raw[i] = (uint8_t)(i * 7u + (i >> 10));
    spit(tmp_path(p, sizeof p, "raw.bin"), raw, SE_FLASH_SIZE);
    ck_assert_int_eq(flash_load_image(&x->fl, p, err, sizeof err), 0);
    ck_assert_mem_eq(x->fl.mem, raw, SE_FLASH_SIZE);
    ck_assert_uint_eq(flash_erase_count(&x->fl, 4), 0);
    flash_stats_t st;
    flash_get_stats(&x->fl, &st);
    ck_assert_uint_eq(st.erases, 0);
    /* stuck bits survive a load */
    ck_assert(flash_set_stuck(&x->fl, BASE + 8, 0xFFu, 0xA5u));
    ck_assert_int_eq(flash_load_image(&x->fl, p, err, sizeof err), 0);
    ck_assert_uint_eq(word_at(x, BASE + 8) & 0xFFu, 0xA5u);
    ck_assert_uint_eq(word_at(x, BASE + 8) >> 8,
                      (raw[9] | raw[10] << 8 | (uint32_t)raw[11] << 16));
    /* a raw file one byte short is refused */
    spit(p, raw, SE_FLASH_SIZE - 1);
    ck_assert_int_eq(flash_load_image(&x->fl, p, err, sizeof err), -1);
    free(raw);
    fx_free(x);
}
END_TEST

/* Another geometry from the config: 8 KiB of 512-byte pages, 10 us/1 ms. */
START_TEST(test_other_geometry)
{
    flash_geom_t g = { "test-8k", 8192, 512, 4, SIM_MS(1), SIM_US(10) };
    fx_t *x = fx_new_geom(1, &g);
    ck_assert_uint_eq(x->fl.n_pages, 16);
    program_at(x, BASE + 8188, 0x0u, 0);
    run_to(x, SIM_US(10));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_BUSY);
    run_to(x, SIM_US(10) + 1);
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0), FLASHC_STATUS_DONE);
    erase_at(x, BASE + 8192, SIM_US(11));
    ck_assert_uint_eq(rd(x, FLASHC_STATUS, 0),
                      FLASHC_STATUS_DONE | FLASHC_STATUS_ERR_ADDR);
    erase_at(x, BASE + 600, SIM_US(11));
    flash_op_t op;
    ck_assert(flash_op_in_progress(&x->fl, &op));
    ck_assert_uint_eq(op.addr, BASE + 512);
    ck_assert_uint_eq(op.len, 512);
    ck_assert_uint_eq(op.end, SIM_US(11) + SIM_MS(1));
    fx_free(x);
}
END_TEST

Suite *make_flash_suite(void)
{
    Suite *s = suite_create("flash");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_part_table);
    tcase_add_test(tc, test_erase_sets_page_ff);
    tcase_add_test(tc, test_program_clean);
    tcase_add_test(tc, test_program_and_unerased);
    tcase_add_test(tc, test_program_busy_25us);
    tcase_add_test(tc, test_erase_busy_2ms);
    tcase_add_test(tc, test_key_and_busy_errors);
    tcase_add_test(tc, test_unknown_command);
    tcase_add_test(tc, test_address_errors);
    tcase_add_test(tc, test_mmio_callbacks);
    tcase_add_test(tc, test_erase_counters);
    tcase_add_test(tc, test_trace_records);
    tcase_add_test(tc, test_other_geometry);
    suite_add_tcase(s, tc);

    TCase *tf = tcase_create("faults");
    tcase_add_test(tf, test_tear_program);
    tcase_add_test(tf, test_tear_erase);
    tcase_add_test(tf, test_cut_after_end_completes);
    tcase_add_test(tf, test_reset_tears);
    tcase_add_test(tf, test_op_start_hook);
    tcase_add_test(tf, test_fail_next_program);
    tcase_add_test(tf, test_fail_next_erase);
    tcase_add_test(tf, test_stuck_bits);
    suite_add_tcase(s, tf);

    TCase *ti = tcase_create("image");
    tcase_add_checked_fixture(ti, tmp_setup, tmp_teardown);
    tcase_add_test(ti, test_image_round_trip);
    tcase_add_test(ti, test_image_rejects);
    tcase_add_test(ti, test_image_raw);
    suite_add_tcase(s, ti);
    return s;
}
