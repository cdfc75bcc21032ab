/* SPDX-License-Identifier: MIT */
/* tests/cpu/test_cpu_bp.c - breakpoints: the core stops before the
 * instruction (not executed, not counted, no cycles), cpu_resume() runs
 * that instruction without stopping again, a counting breakpoint changes
 * nothing of the run (same registers, cycles and instruction count), a
 * breakpoint added on code already decoded is still met, a removed one is
 * not, and a 32-bit BL under a breakpoint executes whole. */
#include <check.h>
#include <stdlib.h>

#include "cpu_fixture.h"
#include "cpu_suites.h"

typedef struct hits {
    unsigned n;
    uint32_t last_pc;
    uint64_t last_cycles;
    bool stop;
} hits_t;

static bool on_hit(void *ctx, cpu_t *cpu, uint32_t pc)
{
    hits_t *h = ctx;
    h->n++;
    h->last_pc = pc;
    h->last_cycles = cpu_cycles(cpu);
    ck_assert_uint_eq(cpu_reg(cpu, 15), pc);
    return h->stop;
}

/* r0 = 1; r1 = 2 (the breakpoint); r2 = r0 + r1; b . */
static uint32_t straight_line(fx_t *f, uint32_t *bp)
{
    fx_emit(f, T_MOVS_I(0, 1));
    *bp = fx_emit(f, T_MOVS_I(1, 2));
    fx_emit(f, T_ADDS_R(2, 0, 1));
    return fx_emit(f, fx_b(fx_here(f), fx_here(f)));
}

START_TEST(test_stops_before_the_instruction)
{
    fx_t *f = fx_new(0, 0);
    uint32_t bp;
    uint32_t loop = straight_line(f, &bp);
    fx_reset(f);
    hits_t h = { .stop = true };
    ck_assert(cpu_add_breakpoint(&f->cpu, bp, on_hit, &h));
    uint64_t c0 = cpu_cycles(&f->cpu);
    /* the first MOVS (1 cycle) runs, then the core halts at bp */
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 1);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(h.last_pc, bp);
    ck_assert_uint_eq(h.last_cycles, c0 + 1);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_HALTED);
    ck_assert(cpu_at_breakpoint(&f->cpu));
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), bp);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), 1);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 0);
    ck_assert_uint_eq(cpu_instructions(&f->cpu), 1);
    /* a halted core does nothing */
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 0);
    ck_assert_uint_eq(h.n, 1);

    /* resume: MOVS r1 runs without a second stop, then ADDS, then B */
    cpu_resume(&f->cpu);
    ck_assert(!cpu_at_breakpoint(&f->cpu));
    ck_assert_uint_eq(fx_run_to(f, loop, 10), 2);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 3);
    ck_assert_uint_eq(cpu_instructions(&f->cpu), 3);
    ck_assert_uint_eq(cpu_cycles(&f->cpu), c0 + 3);
    fx_free(f);
}
END_TEST

/* r0 = 5; loop: r1 += 3 (the breakpoint); r0 -= 1; bne loop; b . */
static uint32_t counted_loop(fx_t *f, uint32_t *bp)
{
    fx_emit(f, T_MOVS_I(0, 5));
    fx_emit(f, T_MOVS_I(1, 0));
    uint32_t top = fx_here(f);
    *bp = fx_emit(f, T_ADDS_I8(1, 3));
    fx_emit(f, T_SUBS_I8(0, 1));
    fx_emit(f, fx_bcc(1 /* NE */, fx_here(f), top));
    return fx_emit(f, fx_b(fx_here(f), fx_here(f)));
}

START_TEST(test_counting_breakpoint_changes_nothing)
{
    uint64_t cycles[2], insns[2];
    for (int with = 0; with < 2; with++) {
        fx_t *f = fx_new(1, 0); /* a flash wait state: fetch costs count */
        uint32_t bp;
        uint32_t end = counted_loop(f, &bp);
        fx_reset(f);
        hits_t h = { .stop = false };
        if (with)
            ck_assert(cpu_add_breakpoint(&f->cpu, bp, on_hit, &h));
        ck_assert_uint_ne(fx_run_to(f, end, 100), UINT64_MAX);
        ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 15);
        ck_assert_uint_eq(h.n, with ? 5u : 0u);
        cycles[with] = cpu_cycles(&f->cpu);
        insns[with] = cpu_instructions(&f->cpu);
        fx_free(f);
    }
    ck_assert_uint_eq(cycles[1], cycles[0]);
    ck_assert_uint_eq(insns[1], insns[0]);
}
END_TEST

START_TEST(test_added_on_decoded_code_and_removed)
{
    fx_t *f = fx_new(0, 0);
    uint32_t bp;
    uint32_t end = counted_loop(f, &bp);
    fx_reset(f);
    hits_t h = { .stop = true };
    /* one pass through the loop decodes it */
    ck_assert_uint_ne(fx_run_to(f, bp + 4, 10), UINT64_MAX);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 3);
    ck_assert(cpu_add_breakpoint(&f->cpu, bp, on_hit, &h));
    cpu_run_cycles(&f->cpu, 100);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), bp);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 3); /* second ADDS not run */
    /* the stop repeats each time round until the breakpoint goes */
    cpu_resume(&f->cpu);
    cpu_run_cycles(&f->cpu, 100);
    ck_assert_uint_eq(h.n, 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 6);
    ck_assert(cpu_remove_breakpoint(&f->cpu, bp, on_hit, &h));
    ck_assert(!cpu_remove_breakpoint(&f->cpu, bp, on_hit, &h));
    cpu_resume(&f->cpu);
    ck_assert_uint_ne(fx_run_to(f, end, 100), UINT64_MAX);
    ck_assert_uint_eq(h.n, 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 15);
    fx_free(f);
}
END_TEST

START_TEST(test_bl_under_a_breakpoint)
{
    fx_t *f = fx_new(0, 0);
    hw_t bl[2];
    T_BL(bl, 0x200 - (FX_CODE + 4));
    uint32_t bp = fx_emit2(f, bl);
    fx_org(f, 0x200);
    fx_emit(f, T_MOVS_I(3, 7));
    uint32_t end = fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    fx_reset(f);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), bp);
    hits_t h = { .stop = true };
    ck_assert(cpu_add_breakpoint(&f->cpu, bp, on_hit, &h));
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 0);
    ck_assert_uint_eq(h.n, 1);
    cpu_resume(&f->cpu);
    /* BL is 4 cycles, MOVS 1 */
    ck_assert_uint_eq(fx_run_to(f, end, 10), 5);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 3), 7);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 14), (FX_CODE + 4) | 1);
    ck_assert_uint_eq(h.n, 1);
    fx_free(f);
}
END_TEST

START_TEST(test_limits)
{
    fx_t *f = fx_new(0, 0);
    hits_t h = { 0 };
    ck_assert(!cpu_add_breakpoint(&f->cpu, 0x101, on_hit, &h)); /* odd */
    for (unsigned i = 0; i < CPU_MAX_BREAKPOINTS; i++)
        ck_assert(cpu_add_breakpoint(&f->cpu, 0x100 + 2 * i, on_hit, &h));
    ck_assert(!cpu_add_breakpoint(&f->cpu, 0x400, on_hit, &h));
    fx_free(f);
}
END_TEST

Suite *make_cpu_bp_suite(void)
{
    Suite *s = suite_create("cpu_bp");
    TCase *tc = tcase_create("breakpoints");
    tcase_add_test(tc, test_stops_before_the_instruction);
    tcase_add_test(tc, test_counting_breakpoint_changes_nothing);
    tcase_add_test(tc, test_added_on_decoded_code_and_removed);
    tcase_add_test(tc, test_bl_under_a_breakpoint);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    return s;
}
