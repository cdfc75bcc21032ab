/* SPDX-License-Identifier: MIT */
/* tests/cpu/test_cpu_cycles.c - exact results, flags and cycle counts of
 * each instruction class (Cortex-M0 TRM r0p0 table 3-1, docs/cpu.md), and
 * of wait states on flash and RAM. */
#include <check.h>
#include <stdlib.h>

#include "cpu_fixture.h"
#include "cpu_suites.h"

#define APSR_N (1u << 31)
#define APSR_Z (1u << 30)
#define APSR_C (1u << 29)
#define APSR_V (1u << 28)

static uint32_t flags(fx_t *f)
{
    return cpu_special(&f->cpu, CPU_SPECIAL_XPSR) & 0xF0000000u;
}

/* Emits code at FX_CODE, resets, runs to its end: returns the cycles. */
static uint64_t run_code(fx_t *f, const hw_t *code, size_t n)
{
    fx_org(f, FX_CODE);
    for (size_t i = 0; i < n; i++)
        fx_emit(f, code[i]);
    uint32_t end = fx_here(f);
    fx_emit(f, fx_b(end, end));
    fx_reset(f);
    return fx_run_to(f, end, 1000);
}

#define RUN(f, ...)                                                       \
    run_code(f, (const hw_t[]){ __VA_ARGS__ },                            \
             sizeof((const hw_t[]){ __VA_ARGS__ }) / sizeof(hw_t))

START_TEST(test_data_processing)
{
    fx_t *f = fx_new(0, 0);
    /* 3 - 5: N, borrow (C=0) */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 5), T_MOVS_I(1, 3),
                          T_SUBS_R(2, 1, 0)), 3);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 0xFFFFFFFEu);
    ck_assert_uint_eq(flags(f), APSR_N);
    /* 0x7FFFFFFF + 1: signed overflow */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 1), T_LSLS_I(1, 0, 31),
                          T_DP(DP_MVN, 1, 1), T_ADDS_R(2, 1, 0)), 4);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 0x80000000u);
    ck_assert_uint_eq(flags(f), APSR_N | APSR_V);
    /* 5 - 5 = 0: Z and C (no borrow); CMP sets the same, 1 cycle */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 5), T_CMP_I(0, 5)), 2);
    ck_assert_uint_eq(flags(f), APSR_Z | APSR_C);
    /* LSLS #30 of 5: C = bit 2 = 1, result 0x40000000 */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 5), T_LSLS_I(1, 0, 30)), 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 0x40000000u);
    ck_assert_uint_eq(flags(f), APSR_C);
    /* LSRS by register 32: result 0, C = bit 31 */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 1), T_LSLS_I(0, 0, 31),
                          T_MOVS_I(1, 32), T_DP(DP_LSR, 0, 1)), 4);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), 0);
    ck_assert_uint_eq(flags(f), APSR_Z | APSR_C);
    /* ADCS with carry in, SBCS, RSBS (NEGS), MVNS, BICS, ORRS, EORS */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 0), T_CMP_I(0, 0), /* C=1 */
                          T_MOVS_I(1, 7), T_MOVS_I(2, 8),
                          T_DP(DP_ADC, 1, 2),               /* 16 */
                          T_DP(DP_SBC, 2, 0),               /* 8-0-1 */
                          T_DP(DP_RSB, 3, 1),               /* -16 */
                          T_DP(DP_ORR, 2, 1),               /* 23 */
                          T_DP(DP_BIC, 2, 1),               /* 7 */
                          T_DP(DP_EOR, 2, 1)), 10);         /* 23 */
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 16);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 3), 0xFFFFFFF0u);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 23);
    /* extend and reverse: 1 cycle each */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 0x80), T_SXTB(1, 0), T_UXTB(2, 1),
                          T_REV(3, 2), T_REV16(4, 3), T_REVSH(5, 0),
                          T_SXTH(6, 4), T_UXTH(7, 1)), 8);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 0xFFFFFF80u);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 0x80);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 3), 0x80000000u);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 4), 0x00800000u);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 5), 0xFFFF8000u);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 6), 0);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 7), 0xFF80);
    /* high registers, ADR, ADD SP: 1 cycle each */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 9), T_MOV_HI(10, 0),
                          T_ADD_HI(10, 10), T_MOV_HI(1, 10),
                          T_ADR(2, 8), T_ADD_SPI(3, 16), T_SUB_SP(8),
                          T_MOV_HI(4, 13)), 8);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 18);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), ((FX_CODE + 8 + 4) & ~3u) + 8);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 3), FX_SP + 16);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 4), FX_SP - 8);
    fx_free(f);
}
END_TEST

START_TEST(test_multiply)
{
    fx_t *f = fx_new(0, 0);
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 200), T_MOVS_I(1, 100),
                          T_DP(DP_MUL, 1, 0)), 3);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 20000);
    fx_free(f);
    cpu_cfg_t cfg = { .name = "small", .hz = 16000000,
                      .small_multiplier = true };
    f = fx_new_cfg(&cfg, 0, 0);
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 200), T_MOVS_I(1, 100),
                          T_DP(DP_MUL, 1, 0)), 2 + 32);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 20000);
    fx_free(f);
}
END_TEST

START_TEST(test_loads_stores)
{
    fx_t *f = fx_new(0, 0);
    /* r7 = RAM base; every single load/store is 2 cycles */
    fx_word(f, 0x128, 0x12345678u);
    uint64_t c = RUN(f, T_MOVS_I(7, 0x20), T_LSLS_I(7, 7, 24), T_SUB_SP(8),
                     T_MOVS_I(0, 0xA5), T_MOVS_I(1, 4),
                     T_STR_I(0, 7, 0), T_STRB_I(0, 7, 4), T_STRH_I(0, 7, 6),
                     T_LS_R(LS_STR, 0, 7, 1),
                     T_LDR_I(2, 7, 0), T_LDRB_I(3, 7, 4), T_LDRH_I(4, 7, 6),
                     T_LS_R(LS_LDRSB, 5, 7, 1), T_LS_R(LS_LDRSH, 6, 7, 1),
                     T_STR_SP(0, 0), T_LDR_SP(1, 0), T_LDR_LIT(1, 4));
    ck_assert_uint_eq(c, 5 + 12 * 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 0xA5);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 5), 0xFFFFFFA5u);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 6), 0xA5);
    /* LDR literal at 0x120: Align(0x124, 4) + 4 */
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 0x12345678u);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 4), 0);
    fx_free(f);
}
END_TEST

START_TEST(test_load_store_multiple)
{
    for (unsigned n = 1; n <= 8; n++) {
        fx_t *f = fx_new(0, 0);
        unsigned list = (1u << n) - 1;
        /* STM/LDM base r7 when not in the list; else r0 */
        unsigned rb = n < 8 ? 7 : 0;
        uint64_t c = RUN(f, T_MOVS_I(rb, 0x20), T_LSLS_I(rb, rb, 24),
                         T_STM(rb, list),
                         T_MOVS_I(rb, 0x20), T_LSLS_I(rb, rb, 24),
                         T_LDM(rb, list));
        ck_assert_uint_eq(c, 2 + (1 + n) + 2 + (1 + n));
        if (rb == 7)
            ck_assert_uint_eq(cpu_reg(&f->cpu, 7), FX_RAM + 4 * n);
        fx_free(f);

        /* PUSH 1+N (LR counts), POP 1+N */
        f = fx_new(0, 0);
        c = RUN(f, T_PUSH(list | 0x100), T_POP(list | 0));
        ck_assert_uint_eq(c, (1 + n + 1) + (1 + n));
        ck_assert_uint_eq(cpu_reg(&f->cpu, 13), FX_SP - 4);
        fx_free(f);
    }
}
END_TEST

START_TEST(test_pop_pc)
{
    /* POP {PC}: 4 cycles; POP {r0-r2, PC}: 4 + 3 */
    for (unsigned n = 0; n <= 3; n++) {
        fx_t *f = fx_new(0, 0);
        uint32_t target = 0x300;
        fx_org(f, target);
        fx_emit(f, fx_b(target, target));
        fx_org(f, FX_CODE);
        fx_emit(f, T_MOVS_I(4, 3)); /* r4 = 0x301 */
        fx_emit(f, T_LSLS_I(4, 4, 8));
        fx_emit(f, T_ADDS_I8(4, 1));
        fx_emit(f, T_PUSH(1u << 4));
        if (n)
            fx_emit(f, T_PUSH((1u << n) - 1));
        fx_emit(f, T_POP(0x100 | ((1u << n) - 1)));
        fx_reset(f);
        fx_run_to(f, FX_CODE + 8 + (n ? 2 : 0), 10);
        ck_assert_uint_eq(fx_step(f), 4 + n);
        ck_assert_uint_eq(cpu_reg(&f->cpu, 15), target);
        ck_assert_uint_eq(cpu_reg(&f->cpu, 13), FX_SP);
        fx_free(f);
    }
}
END_TEST

START_TEST(test_branches)
{
    fx_t *f = fx_new(0, 0);
    /* B taken: 3 */
    uint32_t a = FX_CODE;
    ck_assert_uint_eq(RUN(f, fx_b(a, a + 4), T_NOP), 3);
    /* B<cond> taken 3, not taken 1 */
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 0), fx_bcc(CC_EQ, a + 2, a + 6),
                          T_NOP), 1 + 3);
    ck_assert_uint_eq(RUN(f, T_MOVS_I(0, 0), fx_bcc(CC_NE, a + 2, a + 6),
                          T_NOP), 1 + 1 + 1);
    fx_free(f);

    /* BL 4, BX 3, BLX 3, MOV PC 3 */
    f = fx_new(0, 0);
    hw_t bl[2];
    T_BL(bl, 0x200 - (FX_CODE + 4));
    fx_org(f, FX_CODE);
    fx_emit2(f, bl);
    fx_org(f, 0x200);
    fx_emit(f, T_BX(14));
    fx_reset(f);
    ck_assert_uint_eq(fx_step(f), 4);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), 0x200);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 14), (FX_CODE + 4) | 1);
    ck_assert_uint_eq(fx_step(f), 3);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), FX_CODE + 4);
    fx_free(f);

    f = fx_new(0, 0);
    fx_org(f, 0x200);
    fx_emit(f, T_MOV_HI(15, 14)); /* MOV PC, LR */
    fx_org(f, FX_CODE);
    fx_emit(f, T_MOVS_I(0, 0x81));
    fx_emit(f, T_LSLS_I(0, 0, 2)); /* 0x204 */
    fx_emit(f, T_SUBS_I3(0, 0, 3)); /* 0x201 */
    fx_emit(f, T_BLX(0));
    fx_reset(f);
    ck_assert_uint_eq(fx_run_to(f, 0x200, 10), 3 + 3);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 14), (FX_CODE + 8) | 1);
    ck_assert_uint_eq(fx_step(f), 3);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 15), FX_CODE + 8);
    fx_free(f);
}
END_TEST

START_TEST(test_system_instructions)
{
    fx_t *f = fx_new(0, 0);
    hw_t mrs[2], msr[2], dmb[2], dsb[2], isb[2];
    T_MRS(mrs, 0, SYSM_XPSR);
    T_MSR(msr, SYSM_APSR, 1);
    T_DMB(dmb);
    T_DSB(dsb);
    T_ISB(isb);
    fx_org(f, FX_CODE);
    fx_emit(f, T_MOVS_I(1, 0xF));
    fx_emit(f, T_LSLS_I(1, 1, 28));
    fx_emit2(f, msr);
    fx_emit2(f, mrs);
    fx_emit2(f, dmb);
    fx_emit2(f, dsb);
    fx_emit2(f, isb);
    fx_emit(f, T_NOP);
    fx_emit(f, T_YIELD);
    fx_emit(f, T_SEV);
    fx_emit(f, T_WFE); /* event set by SEV: clears it, 2 cycles, no sleep */
    fx_emit(f, T_CPSID);
    fx_emit(f, T_CPSIE);
    uint32_t end = fx_here(f);
    fx_emit(f, fx_b(end, end));
    fx_reset(f);
    ck_assert_uint_eq(fx_run_to(f, end, 100), 2 + 5 * 4 + 3 + 2 + 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), 0xF0000000u); /* EPSR reads 0 */
    ck_assert_uint_eq(flags(f), 0xF0000000u);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_RUNNING);
    fx_free(f);
}
END_TEST

START_TEST(test_wait_states)
{
    /* flash 2 wait states, RAM 1: a word fetch costs 2 (one per two
     * 16-bit instructions), each data access its region's */
    fx_t *f = fx_new(2, 1);
    fx_org(f, FX_CODE);
    fx_emit(f, T_NOP);                       /* 0x100: 1 + 2 (fetch) */
    fx_emit(f, T_NOP);                       /* 0x102: 1 */
    fx_emit(f, T_LDR_LIT(0, 0x100));         /* 0x104: 2 + 2 + 2 (data) */
    fx_emit(f, T_MOVS_I(7, 0x20));           /* 0x106: 1 */
    fx_emit(f, T_LSLS_I(7, 7, 24));          /* 0x108: 1 + 2 */
    fx_emit(f, T_STR_I(0, 7, 0));            /* 0x10a: 2 + 1 (RAM) */
    fx_emit(f, fx_b(0x10c, 0x112));          /* 0x10c: 3 + 2 + 2 (target
                                                0x112 is mid-word) */
    fx_emit(f, T_NOP);                       /* 0x10e: skipped */
    fx_word(f, 0x208, 0xCAFEF00Du);          /* literal */
    fx_org(f, 0x110);
    fx_emit(f, T_NOP);                       /* 0x110: skipped */
    fx_emit(f, T_NOP);                       /* 0x112: 1 */
    hw_t bl[2];
    T_BL(bl, 0x200 - (0x114 + 4));
    fx_emit2(f, bl);                         /* 0x114: 4 + 2 */
    fx_org(f, 0x200);
    fx_emit(f, fx_b(0x200, 0x200));
    fx_reset(f);
    ck_assert_uint_eq(fx_run_to(f, 0x200, 20),
                      3 + 1 + 6 + 1 + 3 + 3 + 7 + 1 + 6);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), 0xCAFEF00Du);
    ck_assert_uint_eq(fx_rd32(f, FX_RAM), 0xCAFEF00Du);
    /* the same B loop from flash: 3 + 2 per iteration */
    ck_assert_uint_eq(fx_step(f), 5);
    fx_free(f);

    /* code in RAM with 1 wait state; changing flash's wait states at run
     * time re-times decoded code */
    f = fx_new(0, 1);
    fx_org(f, FX_RAM + 0x100);
    fx_emit(f, T_NOP);
    fx_emit(f, T_NOP);
    fx_emit(f, T_NOP);
    uint32_t end = fx_here(f);
    fx_emit(f, fx_b(end, end));
    fx_word(f, 4, (FX_RAM + 0x100) | 1);
    fx_reset(f);
    ck_assert_uint_eq(fx_run_to(f, end, 10), 1 + 1 + 1 + 1 + 1);
    cpu_set_wait_states(&f->cpu, f->ram_rg, 3);
    ck_assert_uint_eq(fx_step(f), 3 + 3);
    fx_free(f);
}
END_TEST

Suite *make_cpu_cycles_suite(void)
{
    Suite *s = suite_create("cpu_cycles");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_data_processing);
    tcase_add_test(tc, test_multiply);
    tcase_add_test(tc, test_loads_stores);
    tcase_add_test(tc, test_load_store_multiple);
    tcase_add_test(tc, test_pop_pc);
    tcase_add_test(tc, test_branches);
    tcase_add_test(tc, test_system_instructions);
    tcase_add_test(tc, test_wait_states);
    suite_add_tcase(s, tc);
    return s;
}
