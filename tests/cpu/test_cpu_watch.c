/* SPDX-License-Identifier: MIT */
/* tests/cpu/test_cpu_watch.c - watchpoints and single step: a watchpoint
 * stops the core after the instruction that accessed the range (write,
 * read or either; byte and partial overlaps; PUSH and exception stacking),
 * never changes timing (the same cycles, instructions, registers and
 * memory as without it, counting or halting; and decoding the code ahead
 * with cpu_predecode changes nothing either), and removing the last one
 * gives the regions their fast path back; a single step executes exactly
 * one instruction or one exception entry, keeps a core that was asleep
 * asleep, waits for the instruction under a breakpoint; resuming from a
 * breakpoint that was removed leaves no stale skip behind. */
#include <check.h>
#include <stdlib.h>

#include "cpu_fixture.h"
#include "cpu_suites.h"

#define DATA (FX_RAM + 0x100)
#define POOL 0x400u

typedef struct whits {
    unsigned n;
    uint32_t addr, pc;
    cpu_watch_kind_t kind;
    uint64_t cycles;
    bool stop;
} whits_t;

static bool on_watch(void *ctx, cpu_t *cpu, uint32_t addr,
                     cpu_watch_kind_t kind)
{
    whits_t *h = ctx;
    h->n++;
    h->addr = addr;
    h->kind = kind;
    h->pc = cpu_reg(cpu, 15);
    h->cycles = cpu_cycles(cpu);
    return h->stop;
}

typedef struct shits {
    unsigned n;
    uint32_t pc;
} shits_t;

static bool on_step(void *ctx, cpu_t *cpu)
{
    shits_t *h = ctx;
    h->n++;
    h->pc = cpu_reg(cpu, 15);
    return true;
}

static bool on_bp(void *ctx, cpu_t *cpu, uint32_t pc)
{
    (void)cpu;
    (void)pc;
    (*(unsigned *)ctx)++;
    return true;
}

/* 0x100 LDR r0, =DATA (2); 0x102 MOVS r1, #42 (1); 0x104 STR r1, [r0]
 * (2); 0x106 LDR r2, [r0] (2); 0x108 STRB r1, [r0, #5] (2); 0x10A LDRH
 * r3, [r0, #6] (2); 0x10C ADDS r3, r2, #1 (1); 0x10E B . */
static uint32_t accesses(fx_t *f)
{
    fx_ldr_const(f, 0, POOL, DATA);
    fx_emit(f, T_MOVS_I(1, 42));
    fx_emit(f, T_STR_I(1, 0, 0));
    fx_emit(f, T_LDR_I(2, 0, 0));
    fx_emit(f, T_STRB_I(1, 0, 5));
    fx_emit(f, T_LDRH_I(3, 0, 6));
    fx_emit(f, T_ADDS_I3(3, 2, 1));
    return fx_emit(f, fx_b(fx_here(f), fx_here(f)));
}

START_TEST(test_write_stops_after_the_store)
{
    fx_t *f = fx_new(0, 0);
    uint32_t end = accesses(f);
    fx_reset(f);
    whits_t h = { .stop = true };
    ck_assert(cpu_add_watchpoint(&f->cpu, DATA, 4, CPU_WATCH_WRITE,
                                 on_watch, &h));
    uint64_t c0 = cpu_cycles(&f->cpu);
    /* LDR, MOVS, STR: 5 cycles, then the core halts after the STR */
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 5);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(h.addr, DATA);
    ck_assert_int_eq(h.kind, CPU_WATCH_WRITE);
    ck_assert_uint_eq(h.pc, FX_CODE + 6);
    ck_assert_uint_eq(h.cycles, c0 + 5);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_HALTED);
    ck_assert(cpu_debug_halted(&f->cpu));
    ck_assert(!cpu_at_breakpoint(&f->cpu));
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), FX_CODE + 6);
    ck_assert_uint_eq(cpu_instructions(&f->cpu), 3);
    ck_assert_uint_eq(fx_rd32(f, DATA), 42); /* the store happened */
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 0);
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 0); /* halted */

    /* the LDR reads (not watched), the STRB writes outside */
    cpu_resume(&f->cpu);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_RUNNING);
    ck_assert(!cpu_debug_halted(&f->cpu));
    ck_assert_uint_eq(fx_run_to(f, end, 10), 7);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 3), 43);
    ck_assert_uint_eq(cpu_cycles(&f->cpu), c0 + 12);
    fx_free(f);
}
END_TEST

START_TEST(test_read_access_and_overlaps)
{
    fx_t *f = fx_new(0, 0);
    uint32_t end = accesses(f);
    fx_reset(f);
    /* a read watch on the upper half of the word: the LDR's word hits it
     * at its first watched byte; the STR to it is not a read */
    whits_t r = { .stop = true }, a = { .stop = true };
    ck_assert(cpu_add_watchpoint(&f->cpu, DATA + 2, 2, CPU_WATCH_READ,
                                 on_watch, &r));
    /* an access watch on one byte: the STRB writes it */
    ck_assert(cpu_add_watchpoint(&f->cpu, DATA + 5, 1, CPU_WATCH_ACCESS,
                                 on_watch, &a));
    cpu_run_cycles(&f->cpu, 100);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_uint_eq(a.n, 0);
    ck_assert_uint_eq(r.addr, DATA + 2);
    ck_assert_int_eq(r.kind, CPU_WATCH_READ);
    ck_assert_uint_eq(r.pc, FX_CODE + 8); /* after the LDR */
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 42);
    cpu_resume(&f->cpu);
    cpu_run_cycles(&f->cpu, 100);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_uint_eq(a.addr, DATA + 5);
    ck_assert_int_eq(a.kind, CPU_WATCH_WRITE);
    ck_assert_uint_eq(a.pc, FX_CODE + 10);
    /* the LDRH reads bytes 6-7: neither watch */
    cpu_resume(&f->cpu);
    ck_assert_uint_eq(fx_run_to(f, end, 10), 3);
    ck_assert_uint_eq(r.n + a.n, 2);
    /* bad arguments */
    ck_assert(!cpu_add_watchpoint(&f->cpu, DATA, 0, CPU_WATCH_READ, on_watch,
                                  &r));
    ck_assert(!cpu_add_watchpoint(&f->cpu, 0xFFFFFFFEu, 4, CPU_WATCH_READ,
                                  on_watch, &r));
    ck_assert(!cpu_remove_watchpoint(&f->cpu, DATA, 4, CPU_WATCH_READ,
                                     on_watch, &r));
    ck_assert(cpu_remove_watchpoint(&f->cpu, DATA + 2, 2, CPU_WATCH_READ,
                                    on_watch, &r));
    fx_free(f);
}
END_TEST

/* The regions' fast path goes away while a watchpoint covers them, for the
 * directions watched only, and comes back with the last one removed. */
START_TEST(test_fast_path_restored)
{
    fx_t *f = fx_new(0, 0);
    whits_t h = { 0 };
    const cpu_region_t *ram = &f->cpu.regions[f->ram_rg];
    const cpu_region_t *fl = &f->cpu.regions[f->flash_rg];
    ck_assert_uint_eq(ram->rsize, FX_RAM_SIZE);
    ck_assert_uint_eq(ram->wsize, FX_RAM_SIZE);
    ck_assert(cpu_add_watchpoint(&f->cpu, DATA, 4, CPU_WATCH_WRITE,
                                 on_watch, &h));
    ck_assert_uint_eq(ram->rsize, FX_RAM_SIZE);
    ck_assert_uint_eq(ram->wsize, 0);
    ck_assert(cpu_add_watchpoint(&f->cpu, DATA + 8, 4, CPU_WATCH_READ,
                                 on_watch, &h));
    ck_assert_uint_eq(ram->rsize, 0);
    ck_assert_uint_eq(fl->rsize, FX_FLASH_SIZE);
    ck_assert(cpu_remove_watchpoint(&f->cpu, DATA, 4, CPU_WATCH_WRITE,
                                    on_watch, &h));
    ck_assert_uint_eq(ram->wsize, FX_RAM_SIZE);
    ck_assert_uint_eq(ram->rsize, 0);
    ck_assert(cpu_remove_watchpoint(&f->cpu, DATA + 8, 4, CPU_WATCH_READ,
                                    on_watch, &h));
    ck_assert_uint_eq(ram->rsize, FX_RAM_SIZE);
    ck_assert_uint_eq(f->cpu.n_wp, 0);
    fx_free(f);
}
END_TEST

/* A loop of every kind of data access, on flash and RAM with wait states:
 * r0 = DATA, r4 = 4 rounds of
 *   PUSH {r1-r3, lr}; STM r0!, {r1, r2}; SUBS r0, #8; LDM r0!, {r5, r6};
 *   SUBS r0, #8; LDR r7, [pc, #lit]; STRH r4, [r0, #12]; LDRB r5,
 *   [r0, #12]; POP {r1-r3}; POP {r7}; ADDS r1, #1; SUBS r4, #1; BNE
 * then B . */
static uint32_t busy_loop(fx_t *f)
{
    fx_ldr_const(f, 0, POOL, DATA);
    fx_emit(f, T_MOVS_I(4, 4));
    fx_emit(f, T_MOVS_I(1, 1));
    fx_emit(f, T_MOVS_I(2, 2));
    fx_emit(f, T_MOVS_I(3, 3));
    uint32_t top = fx_here(f);
    fx_emit(f, T_PUSH(0x10E));
    fx_emit(f, T_STM(0, 0x06));
    fx_emit(f, T_SUBS_I8(0, 8));
    fx_emit(f, T_LDM(0, 0x60));
    fx_emit(f, T_SUBS_I8(0, 8));
    fx_ldr_const(f, 7, POOL + 4, 0x12345678);
    fx_emit(f, T_STRH_I(4, 0, 12));
    fx_emit(f, T_LDRB_I(5, 0, 12));
    fx_emit(f, T_POP(0x0E));
    fx_emit(f, T_POP(0x80));
    fx_emit(f, T_ADDS_I8(1, 1));
    fx_emit(f, T_SUBS_I8(4, 1));
    fx_emit(f, fx_bcc(CC_NE, fx_here(f), top));
    return fx_emit(f, fx_b(fx_here(f), fx_here(f)));
}

typedef struct run_result {
    uint64_t cycles, insns;
    uint32_t r[16];
    uint8_t ram[0x200];
    unsigned hits;
} run_result_t;

/* mode 0: no watchpoint; 1: counting ones on the data, the stack and the
 * literal pool; 2: the same, halting (resumed each time); 3: no
 * watchpoint, the whole flash decoded before the run (cpu_predecode) */
static void run_busy(int mode, run_result_t *out)
{
    fx_t *f = fx_new(1, 2);
    uint32_t end = busy_loop(f);
    fx_reset(f);
    whits_t h = { .stop = mode == 2 };
    if (mode == 3)
        cpu_predecode(&f->cpu, FX_FLASH, FX_FLASH_SIZE);
    if (mode == 1 || mode == 2) {
        ck_assert(cpu_add_watchpoint(&f->cpu, DATA, 16, CPU_WATCH_ACCESS,
                                     on_watch, &h));
        ck_assert(cpu_add_watchpoint(&f->cpu, FX_SP - 16, 16,
                                     CPU_WATCH_WRITE, on_watch, &h));
        ck_assert(cpu_add_watchpoint(&f->cpu, POOL + 4, 4, CPU_WATCH_READ,
                                     on_watch, &h));
    }
    for (unsigned guard = 0; cpu_reg(&f->cpu, 15) != end; guard++) {
        ck_assert_uint_lt(guard, 1000);
        cpu_run_cycles(&f->cpu, 1);
        if (cpu_debug_halted(&f->cpu))
            cpu_resume(&f->cpu);
    }
    out->cycles = cpu_cycles(&f->cpu);
    out->insns = cpu_instructions(&f->cpu);
    for (unsigned i = 0; i < 16; i++)
        out->r[i] = cpu_reg(&f->cpu, i);
    ck_assert(cpu_read_mem(&f->cpu, FX_RAM_SIZE - 0x100 + FX_RAM, out->ram,
                           0x100));
    ck_assert(cpu_read_mem(&f->cpu, DATA, out->ram + 0x100, 0x100));
    out->hits = h.n;
    fx_free(f);
}

START_TEST(test_timing_unchanged)
{
    static run_result_t res[4];
    for (int mode = 0; mode < 4; mode++)
        run_busy(mode, &res[mode]);
    /* flash 1 wait state (per word fetched, per literal), RAM 2 (per
     * access): setup LDR 4 + MOVS 1 + 2 + 1 + 2 = 10; a round PUSH 13,
     * STM 8, SUBS 1, LDM 8, SUBS 1, LDR 4, STRH 4, LDRB 5, POP 10, POP 5,
     * ADDS 1, SUBS 2, BNE taken 4 (3 + the target's word) = 66; the last
     * BNE falls through (1): 10 + 4 * 66 - 3 */
    ck_assert_uint_eq(res[0].cycles, 271);
    ck_assert_uint_eq(res[0].insns, 57);
    ck_assert_uint_eq(res[0].hits, 0);
    for (int mode = 1; mode < 3; mode++) {
        ck_assert_uint_eq(res[mode].cycles, res[0].cycles);
        ck_assert_uint_eq(res[mode].insns, res[0].insns);
        ck_assert_mem_eq(res[mode].r, res[0].r, sizeof res[0].r);
        ck_assert_mem_eq(res[mode].ram, res[0].ram, sizeof res[0].ram);
        /* per round: PUSH, STM, LDM, the literal, STRH, LDRB */
        ck_assert_uint_eq(res[mode].hits, 4 * 6);
    }
    /* decoding ahead changes nothing the core does */
    ck_assert_uint_eq(res[3].cycles, res[0].cycles);
    ck_assert_uint_eq(res[3].insns, res[0].insns);
    ck_assert_mem_eq(res[3].r, res[0].r, sizeof res[0].r);
    ck_assert_mem_eq(res[3].ram, res[0].ram, sizeof res[0].ram);
    ck_assert_uint_eq(res[3].hits, 0);
}
END_TEST

START_TEST(test_exception_stacking)
{
    fx_t *f = fx_new(0, 0);
    uint32_t handler = 0x300;
    fx_vector(f, CPU_EXC_NMI, handler);
    fx_org(f, handler);
    fx_emit(f, T_MOVS_I(5, 9));
    fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    fx_org(f, FX_CODE);
    fx_emit(f, T_MOVS_I(0, 1));
    fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    fx_reset(f);
    whits_t h = { .stop = true };
    /* the stacked xPSR is the highest word of the frame */
    ck_assert(cpu_add_watchpoint(&f->cpu, FX_SP - 4, 4, CPU_WATCH_WRITE,
                                 on_watch, &h));
    ck_assert_uint_eq(fx_step(f), 1);
    cpu_set_nmi(&f->cpu);
    /* the entry (16 cycles) stacks, the core halts before the handler */
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 16);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(h.addr, FX_SP - 4);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), handler);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 5), 0);
    cpu_resume(&f->cpu);
    ck_assert_uint_eq(fx_step(f), 1);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 5), 9);
    fx_free(f);
}
END_TEST

START_TEST(test_step_one_instruction)
{
    fx_t *f = fx_new(0, 0);
    hw_t bl[2];
    accesses(f);
    fx_org(f, 0x200);
    T_BL(bl, 0x280 - (0x200 + 4));
    fx_emit2(f, bl);
    fx_org(f, 0x280);
    fx_emit(f, T_WFI);
    fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    fx_reset(f);
    shits_t s = { 0 };
    /* each step: one instruction, its cycles, halted after it */
    static const struct { uint32_t pc; unsigned cycles; } expect[] = {
        { FX_CODE + 2, 2 }, { FX_CODE + 4, 1 }, { FX_CODE + 6, 2 },
        { FX_CODE + 8, 2 },
    };
    for (unsigned i = 0; i < 4; i++) {
        cpu_set_step(&f->cpu, on_step, &s);
        ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 1000), expect[i].cycles);
        ck_assert_uint_eq(s.n, i + 1);
        ck_assert_uint_eq(s.pc, expect[i].pc);
        ck_assert_uint_eq(cpu_instructions(&f->cpu), i + 1);
        ck_assert(cpu_debug_halted(&f->cpu));
        ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 1000), 0);
        cpu_resume(&f->cpu);
    }
    /* a BL steps whole (4 cycles) */
    cpu_set_reg(&f->cpu, 15, 0x200);
    cpu_set_step(&f->cpu, on_step, &s);
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 1000), 4);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), 0x280);
    cpu_resume(&f->cpu);
    /* WFI steps into sleep, and resume leaves the core asleep */
    cpu_set_step(&f->cpu, on_step, &s);
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 1000), 2);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_HALTED);
    cpu_resume(&f->cpu);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    ck_assert_uint_eq(s.n, 6);
    /* asleep, the step waits; an NMI wakes the core: the step is the
     * entry (16 cycles after the wake), halted at the handler */
    fx_vector(f, CPU_EXC_NMI, 0x2C0);
    cpu_set_step(&f->cpu, on_step, &s);
    ck_assert_uint_eq(cpu_step(&f->cpu), 0);
    ck_assert_uint_eq(s.n, 6);
    cpu_set_nmi(&f->cpu);
    uint64_t c0 = cpu_cycles(&f->cpu);
    uint64_t i0 = cpu_instructions(&f->cpu);
    cpu_run_cycles(&f->cpu, 1000);
    ck_assert_uint_eq(s.n, 7);
    ck_assert_uint_eq(s.pc, 0x2C0);
    ck_assert_uint_eq(cpu_cycles(&f->cpu), c0 + 16);
    ck_assert_uint_eq(cpu_instructions(&f->cpu), i0);
    /* disarmed: nothing */
    cpu_resume(&f->cpu);
    cpu_set_step(&f->cpu, on_step, &s);
    cpu_set_step(&f->cpu, NULL, NULL);
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 10), 10);
    ck_assert_uint_eq(s.n, 7);
    fx_free(f);
}
END_TEST

START_TEST(test_step_and_breakpoints)
{
    fx_t *f = fx_new(0, 0);
    accesses(f);
    fx_reset(f);
    unsigned bp_hits = 0;
    shits_t s = { 0 };
    /* a breakpoint where the core is: the step stays armed */
    ck_assert(cpu_add_breakpoint(&f->cpu, FX_CODE, on_bp, &bp_hits));
    cpu_set_step(&f->cpu, on_step, &s);
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 0);
    ck_assert_uint_eq(bp_hits, 1);
    ck_assert_uint_eq(s.n, 0);
    ck_assert(cpu_at_breakpoint(&f->cpu));
    ck_assert(!cpu_debug_halted(&f->cpu));
    /* resumed: the instruction under it, then the step halts */
    cpu_resume(&f->cpu);
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 2);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_uint_eq(s.pc, FX_CODE + 2);
    ck_assert_uint_eq(bp_hits, 1);
    ck_assert(cpu_debug_halted(&f->cpu));
    fx_free(f);
}
END_TEST

/* Stopped at a breakpoint, a debugger removes it, steps over and sets it
 * again: the next pass must stop there (no skip left from the resume). */
START_TEST(test_no_stale_skip)
{
    fx_t *f = fx_new(0, 0);
    fx_emit(f, T_MOVS_I(0, 5));
    fx_emit(f, T_MOVS_I(1, 0));
    uint32_t top = fx_here(f);
    uint32_t bp = fx_emit(f, T_ADDS_I8(1, 3));
    fx_emit(f, T_SUBS_I8(0, 1));
    fx_emit(f, fx_bcc(CC_NE, fx_here(f), top));
    fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    fx_reset(f);
    unsigned hits = 0;
    ck_assert(cpu_add_breakpoint(&f->cpu, bp, on_bp, &hits));
    cpu_run_cycles(&f->cpu, 100);
    ck_assert_uint_eq(hits, 1);
    ck_assert(cpu_remove_breakpoint(&f->cpu, bp, on_bp, &hits));
    cpu_resume(&f->cpu);
    ck_assert_uint_eq(fx_step(f), 1); /* the ADDS */
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 3);
    ck_assert(cpu_add_breakpoint(&f->cpu, bp, on_bp, &hits));
    cpu_run_cycles(&f->cpu, 100);
    ck_assert_uint_eq(hits, 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), bp);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 3); /* second ADDS not run */
    fx_free(f);
}
END_TEST

START_TEST(test_limits)
{
    fx_t *f = fx_new(0, 0);
    whits_t h = { 0 };
    for (unsigned i = 0; i < CPU_MAX_WATCHPOINTS; i++)
        ck_assert(cpu_add_watchpoint(&f->cpu, DATA + 4 * i, 4,
                                     CPU_WATCH_READ, on_watch, &h));
    ck_assert(!cpu_add_watchpoint(&f->cpu, 0x400, 4, CPU_WATCH_READ,
                                  on_watch, &h));
    fx_free(f);
}
END_TEST

Suite *make_cpu_watch_suite(void)
{
    Suite *s = suite_create("cpu_watch");
    TCase *tc = tcase_create("watchpoints");
    tcase_add_test(tc, test_write_stops_after_the_store);
    tcase_add_test(tc, test_read_access_and_overlaps);
    tcase_add_test(tc, test_fast_path_restored);
    tcase_add_test(tc, test_timing_unchanged);
    tcase_add_test(tc, test_exception_stacking);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("step");
    tcase_add_test(tc, test_step_one_instruction);
    tcase_add_test(tc, test_step_and_breakpoints);
    tcase_add_test(tc, test_no_stale_skip);
    suite_add_tcase(s, tc);
    return s;
}
