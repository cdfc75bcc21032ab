/* SPDX-License-Identifier: MIT */
/* tests/cpu/test_cpu_kernel.c - the core as a kernel node's CPU: exact
 * slice ends, an MMIO write that schedules an earlier event shortens the
 * slice, WFI sleeps until an event raises an IRQ (the sleeping cycles are
 * counted), and SysTick wakes a sleeping core through its node. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"
#include "cpu_suites.h"
#include "sim/sim.h"

#define MMIO 0x40000000u
#define POOL 0x1C0u
#define H0 0x200u
#define CYC 62500u /* ps per cycle at 16 MHz */

START_TEST(test_run_returns_next_instruction_time)
{
    fx_t *f = fx_new(0, 0);
    for (unsigned i = 0; i < 40; i++)
        fx_emit(f, T_NOP);
    uint32_t loop = fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    fx_reset(f);
    sim_cpu_hook_t h;
    cpu_hook(&f->cpu, &h);
    ck_assert(h.active(h.cpu));
    /* 1 us = 16 cycles: NOPs start at cycles 0..15 */
    sim_time_t limit = SIM_US(1);
    ck_assert_uint_eq(h.run(h.cpu, 0, &limit), 16 * CYC);
    ck_assert_uint_eq(cpu_cycles(&f->cpu), 16);
    /* a limit 1 ps past an edge lets the instruction on that edge run */
    limit = 16 * CYC + 1;
    ck_assert_uint_eq(h.run(h.cpu, 16 * CYC, &limit), 17 * CYC);
    /* a limit between edges: the next edge is the first excluded */
    limit = 20 * CYC + CYC / 2;
    ck_assert_uint_eq(h.run(h.cpu, 17 * CYC, &limit), 21 * CYC);
    /* the B loop (3 cycles): the last instruction straddles the limit */
    fx_run_to(f, loop, 100);
    uint64_t c = cpu_cycles(&f->cpu);
    limit = (c + 4) * CYC;
    ck_assert_uint_eq(h.run(h.cpu, c * CYC, &limit), (c + 6) * CYC);
    fx_free(f);
}
END_TEST

/* A peripheral on the node: a write schedules an event 1 us later; the
 * event records the core's cycle and pulses IRQ0. */
typedef struct periph {
    sim_node_t *node;
    cpu_t *cpu;
    sim_event_t ev;
    sim_time_t wrote_at, fired_at, irq_store_at;
    uint64_t cycles_at_fire;
    bool raise_irq;
} periph_t;

static void periph_fire(sim_event_t *ev, sim_time_t now)
{
    periph_t *p = ev->ctx;
    p->fired_at = now;
    p->cycles_at_fire = cpu_cycles(p->cpu);
    if (p->raise_irq)
        cpu_pulse_irq(p->cpu, 0);
}

static void periph_write(void *ctx, uint32_t addr, uint32_t value,
                         unsigned size, sim_time_t t, bool *err)
{
    periph_t *p = ctx;
    (void)value;
    (void)size;
    (void)err;
    if (addr == MMIO) {
        p->wrote_at = t;
        sim_schedule(p->node, &p->ev, t + SIM_US(1));
    } else {
        p->irq_store_at = t;
    }
}

static uint32_t periph_read(void *ctx, uint32_t addr, unsigned size,
                            sim_time_t t, bool *err)
{
    (void)ctx; (void)addr; (void)size; (void)t; (void)err;
    return 0;
}

typedef struct kfx {
    sim_t sim;
    sim_node_t node;
    periph_t p;
    fx_t *f;
} kfx_t;

static kfx_t *kfx_new(void)
{
    kfx_t *k = calloc(1, sizeof *k);
    sim_init(&k->sim, 1);
    sim_node_init(&k->node, &k->sim, "chip", k);
    cpu_cfg_t cfg = { .name = "chip", .hz = 16000000, .node = &k->node };
    k->f = fx_new_cfg(&cfg, 0, 0);
    k->p.node = &k->node;
    k->p.cpu = &k->f->cpu;
    sim_event_init(&k->p.ev, "periph", periph_fire, &k->p);
    cpu_map(&k->f->cpu, &(cpu_map_cfg_t){ .name = "periph",
                                          .kind = CPU_MEM_MMIO,
                                          .base = MMIO, .size = 0x100,
                                          .read = periph_read,
                                          .write = periph_write,
                                          .ctx = &k->p });
    sim_cpu_hook_t h;
    cpu_hook(&k->f->cpu, &h);
    sim_node_set_cpu(&k->node, &h);
    return k;
}

static void kfx_free(kfx_t *k)
{
    fx_free(k->f);
    sim_cleanup(&k->sim);
    free(k);
}

START_TEST(test_mmio_event_shortens_slice)
{
    kfx_t *k = kfx_new();
    fx_t *f = k->f;
    fx_ldr_const(f, 0, POOL, MMIO);
    uint32_t str = fx_emit(f, T_STR_I(1, 0, 0));  /* at cycle 2 */
    for (unsigned i = 0; i < 80; i++)   /* stays below POOL */
        fx_emit(f, T_NOP);
    uint32_t end = fx_here(f);
    fx_emit(f, fx_b(end, end));
    fx_reset(f);
    (void)str;
    sim_run_until(&k->sim, SIM_US(20));
    /* the write's bus cycle is 3; the event at 3 cycles + 1 us (19) fires
     * when the core has reached exactly that cycle, not 20 us */
    ck_assert_uint_eq(k->p.wrote_at, 3 * CYC);
    ck_assert_uint_eq(k->p.fired_at, 3 * CYC + SIM_US(1));
    ck_assert_uint_eq(k->p.cycles_at_fire, 19);
    ck_assert_uint_ge(cpu_cycles(&f->cpu), 20 * 16);
    kfx_free(k);
}
END_TEST

START_TEST(test_wfi_until_event)
{
    kfx_t *k = kfx_new();
    fx_t *f = k->f;
    k->p.raise_irq = true;
    fx_ldr_const(f, 0, POOL, MMIO);
    fx_ldr_const(f, 1, POOL + 4, 0xE000E100u);
    fx_emit(f, T_MOVS_I(2, 1));
    fx_emit(f, T_STR_I(2, 1, 0));   /* ISER: IRQ0 */
    fx_emit(f, T_STR_I(2, 0, 0));   /* periph: event 1 us later */
    uint32_t wfi = fx_emit(f, T_WFI);
    uint32_t after = fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    fx_org(f, H0);
    fx_emit(f, T_STR_I(2, 0, 4));   /* record the handler's time */
    fx_emit(f, T_MOVS_I(4, 0x99));    /* r4: not in the stack frame */
    fx_emit(f, T_BX(14));
    fx_vector(f, 16, H0);
    fx_reset(f);
    (void)wfi;
    sim_run_until(&k->sim, SIM_US(10));
    /* STR to periph at cycle 7 (bus 8): event at 8 cycles + 1 us = cycle
     * 24. The core slept from cycle 11 and caught up to 24; entry 16
     * cycles; the handler's STR at 40, its bus cycle 41 */
    ck_assert_uint_eq(k->p.wrote_at, 8 * CYC);
    ck_assert_uint_eq(k->p.fired_at, 24 * CYC);
    ck_assert_uint_eq(k->p.irq_store_at, 41 * CYC);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 4), 0x99);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), after);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_RUNNING);
    kfx_free(k);
}
END_TEST

START_TEST(test_systick_wakes_sleeping_core)
{
    kfx_t *k = kfx_new();
    fx_t *f = k->f;
    fx_ldr_const(f, 0, POOL, MMIO);
    fx_ldr_const(f, 1, POOL + 4, 0xE000E010u);
    fx_ldr_const(f, 2, POOL + 8, 159);  /* 10 us */
    fx_emit(f, T_STR_I(2, 1, 4));       /* RVR */
    fx_emit(f, T_MOVS_I(2, 7));
    uint32_t en = fx_emit(f, T_STR_I(2, 1, 0)); /* CSR at cycle 9 */
    uint32_t wfi = fx_emit(f, T_WFI);
    fx_emit(f, fx_b(fx_here(f), wfi));
    fx_org(f, H0);
    fx_emit(f, T_STR_I(2, 0, 4));
    fx_emit(f, T_BX(14));
    fx_vector(f, CPU_EXC_SYSTICK, H0);
    fx_reset(f);
    (void)en;
    sim_run_until(&k->sim, SIM_US(15));
    /* enabled at bus cycle 10, CVR 0: zero at 10 + 160 = 170; entry ends
     * at 186, the handler's STR bus cycle is 187 */
    ck_assert_uint_eq(k->p.irq_store_at, 187 * CYC);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    /* the sleeping core costs nothing: few slices, few instructions */
    ck_assert_uint_lt(cpu_instructions(&f->cpu), 20);
    sim_run_until(&k->sim, SIM_US(25));
    ck_assert_uint_eq(k->p.irq_store_at, (187 + 160) * CYC);
    kfx_free(k);
}
END_TEST

Suite *make_cpu_kernel_suite(void)
{
    Suite *s = suite_create("cpu_kernel");
    TCase *tc = tcase_create("kernel");
    tcase_add_test(tc, test_run_returns_next_instruction_time);
    tcase_add_test(tc, test_mmio_event_shortens_slice);
    tcase_add_test(tc, test_wfi_until_event);
    tcase_add_test(tc, test_systick_wakes_sleeping_core);
    suite_add_tcase(s, tc);
    return s;
}
