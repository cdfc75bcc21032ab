/* SPDX-License-Identifier: MIT */
/* tests/cpu/test_cpu_exc.c - exceptions: interrupt entry and return with
 * their cycle cost, NVIC priorities, PRIMASK, SysTick timing, sleep,
 * HardFaults, lockup, SVC, PendSV, NMI, VTOR, SYSRESETREQ, stacks. */
#include <check.h>
#include <stdlib.h>

#include "cpu_fixture.h"
#include "cpu_suites.h"

#define POOL 0x1C0u     /* literal pool of the thread code */
#define H0 0x200u       /* IRQ0 handler */
#define H1 0x300u       /* IRQ1 handler */
#define HF 0x400u       /* HardFault handler */
#define HS 0x500u       /* SVCall / PendSV / SysTick / NMI handler */

#define XPSR(f) cpu_special(&(f)->cpu, CPU_SPECIAL_XPSR)
#define PC(f) cpu_reg(&(f)->cpu, 15)
#define SP(f) cpu_reg(&(f)->cpu, 13)

/* Thread code: r0 = ISER, r1 = mask, STR (enables IRQs in `mask`), then
 * NOPs; returns the address of the first NOP. Handlers are "NOP x n;
 * BX LR" at H0/H1, "B ." at HF. */
static uint32_t setup(fx_t *f, uint32_t mask, unsigned handler_nops)
{
    fx_org(f, FX_CODE);
    fx_ldr_const(f, 0, POOL, 0xE000E100u);
    fx_ldr_const(f, 1, POOL + 4, mask);
    fx_emit(f, T_STR_I(1, 0, 0));
    uint32_t first = fx_here(f);
    for (unsigned i = 0; i < 64; i++)
        fx_emit(f, T_NOP);
    fx_emit(f, fx_b(fx_here(f), fx_here(f)));
    uint32_t hs[2] = { H0, H1 };
    for (unsigned k = 0; k < 2; k++) {
        fx_org(f, hs[k]);
        for (unsigned i = 0; i < handler_nops; i++)
            fx_emit(f, T_NOP);
        fx_emit(f, T_BX(14));
        fx_vector(f, 16 + k, hs[k]);
    }
    fx_org(f, HF);
    fx_emit(f, fx_b(HF, HF));
    fx_vector(f, CPU_EXC_HARDFAULT, HF);
    fx_reset(f);
    ck_assert_uint_ne(fx_run_to(f, first, 10), UINT64_MAX);
    return first;
}

START_TEST(test_irq_entry_and_return)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 1, 1);
    fx_step(f);                              /* one NOP */
    cpu_pulse_irq(&f->cpu, 0);
    ck_assert_uint_eq(fx_step(f), 16);       /* entry */
    ck_assert_uint_eq(PC(f), H0);
    ck_assert_uint_eq(XPSR(f) & 0x3F, 16);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 14), 0xFFFFFFF9u);
    ck_assert_uint_eq(SP(f), FX_SP - 32);
    ck_assert_uint_eq(fx_rd32(f, FX_SP - 32 + 24), first + 2); /* PC */
    ck_assert_uint_eq(fx_rd32(f, FX_SP - 32 + 28) & 0x010003FFu,
                      0x01000000u);          /* T set, thread, aligned */
    ck_assert_uint_eq(cpu_active_exceptions(&f->cpu), 1ull << 16);
    ck_assert_uint_eq(fx_step(f), 1);        /* NOP */
    ck_assert_uint_eq(fx_step(f), 16);       /* BX LR: return */
    ck_assert_uint_eq(PC(f), first + 2);
    ck_assert_uint_eq(SP(f), FX_SP);
    ck_assert_uint_eq(XPSR(f) & 0x3F, 0);
    ck_assert_uint_eq(cpu_active_exceptions(&f->cpu), 0);
    /* the interrupted code goes on */
    ck_assert_uint_eq(fx_step(f), 1);
    ck_assert_uint_eq(PC(f), first + 4);
    fx_free(f);
}
END_TEST

START_TEST(test_irq_wait_states_and_alignment)
{
    /* stack in RAM with 2 wait states: +8*2 on entry and on return;
     * SP = 4 mod 8: the frame is aligned down and bit 9 remembers it */
    fx_t *f = fx_new(0, 2);
    setup(f, 1, 0);
    cpu_set_reg(&f->cpu, 13, FX_SP - 4);
    cpu_pulse_irq(&f->cpu, 0);
    ck_assert_uint_eq(fx_step(f), 16 + 16);
    ck_assert_uint_eq(SP(f), FX_SP - 40);
    ck_assert_uint_eq(fx_rd32(f, FX_SP - 40 + 28) & 0x200, 0x200);
    ck_assert_uint_eq(fx_step(f), 16 + 16);
    ck_assert_uint_eq(SP(f), FX_SP - 4);
    fx_free(f);
}
END_TEST

START_TEST(test_nvic_priority_nesting)
{
    fx_t *f = fx_new(0, 0);
    setup(f, 3, 2);
    /* IRQ0 priority 192 (lowest), IRQ1 priority 0 (highest) */
    uint32_t first = cpu_reg(&f->cpu, 15);
    fx_org(f, first);
    fx_ldr_const(f, 2, POOL + 8, 0xE000E400u);
    fx_ldr_const(f, 3, POOL + 12, 0x000000C0u);
    fx_emit(f, T_STR_I(3, 2, 0));
    fx_emit(f, T_LDR_I(4, 2, 0));
    fx_run_to(f, first + 8, 10);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 4), 0xC0);

    /* high preempts low */
    cpu_pulse_irq(&f->cpu, 0);
    fx_step(f);
    ck_assert_uint_eq(PC(f), H0);
    fx_step(f); /* NOP in IRQ0 */
    cpu_pulse_irq(&f->cpu, 1);
    ck_assert_uint_eq(fx_step(f), 16);
    ck_assert_uint_eq(PC(f), H1);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 14), 0xFFFFFFF1u); /* from handler */
    ck_assert_uint_eq(cpu_active_exceptions(&f->cpu), 3ull << 16);
    fx_step(f);
    fx_step(f);
    fx_step(f); /* BX LR back into IRQ0 */
    ck_assert_uint_eq(PC(f), H0 + 2);
    ck_assert_uint_eq(XPSR(f) & 0x3F, 16);
    fx_step(f);
    fx_step(f); /* return to thread */
    ck_assert_uint_eq(XPSR(f) & 0x3F, 0);

    /* low does not preempt high: it waits for the return, then runs */
    cpu_pulse_irq(&f->cpu, 1);
    fx_step(f);
    ck_assert_uint_eq(PC(f), H1);
    cpu_pulse_irq(&f->cpu, 0);
    ck_assert_uint_eq(fx_step(f), 1); /* NOP of IRQ1, not an entry */
    ck_assert_uint_eq(PC(f), H1 + 2);
    ck_assert_uint_eq(cpu_pending(&f->cpu), 1ull << 16);
    fx_step(f);
    fx_step(f); /* return to thread (no tail-chaining) */
    ck_assert_uint_eq(XPSR(f) & 0x3F, 0);
    ck_assert_uint_eq(fx_step(f), 16); /* IRQ0 entry */
    ck_assert_uint_eq(PC(f), H0);
    fx_free(f);
}
END_TEST

START_TEST(test_primask)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 1, 0);
    fx_patch(f, first, T_CPSID);
    fx_patch(f, first + 4, T_CPSIE);
    fx_step(f); /* CPSID */
    cpu_pulse_irq(&f->cpu, 0);
    ck_assert_uint_eq(fx_step(f), 1); /* NOP: masked */
    ck_assert_uint_eq(PC(f), first + 4);
    ck_assert_uint_eq(fx_step(f), 1); /* CPSIE */
    ck_assert_uint_eq(fx_step(f), 16); /* taken right after */
    ck_assert_uint_eq(PC(f), H0);
    ck_assert_uint_eq(fx_rd32(f, SP(f) + 24), first + 6);
    fx_free(f);
}
END_TEST

START_TEST(test_wfi_sleep)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 1, 0);
    fx_patch(f, first, T_WFI);
    ck_assert_uint_eq(fx_step(f), 2);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    ck_assert(!cpu_is_active(&f->cpu));
    ck_assert_uint_eq(fx_step(f), 0);
    uint64_t c0 = cpu_cycles(&f->cpu), n0 = cpu_instructions(&f->cpu);
    /* a million sleeping cycles in one call, no instruction */
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 1000000), 1000000);
    ck_assert_uint_eq(cpu_cycles(&f->cpu), c0 + 1000000);
    ck_assert_uint_eq(cpu_instructions(&f->cpu), n0);
    cpu_set_irq(&f->cpu, 0, true);
    ck_assert(cpu_is_active(&f->cpu));
    ck_assert_uint_eq(fx_step(f), 16);
    ck_assert_uint_eq(PC(f), H0);
    ck_assert_uint_eq(fx_rd32(f, SP(f) + 24), first + 2);
    cpu_set_irq(&f->cpu, 0, false);
    fx_free(f);

    /* with PRIMASK set, WFI wakes on the interrupt but does not take it */
    f = fx_new(0, 0);
    first = setup(f, 1, 0);
    fx_patch(f, first, T_CPSID);
    fx_patch(f, first + 2, T_WFI);
    fx_step(f);
    fx_step(f);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    cpu_pulse_irq(&f->cpu, 0);
    ck_assert_uint_eq(fx_step(f), 1); /* the NOP after WFI */
    ck_assert_uint_eq(PC(f), first + 6);
    ck_assert_uint_eq(cpu_pending(&f->cpu), 1ull << 16);
    fx_free(f);
}
END_TEST

START_TEST(test_wfe_sev_event)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 0, 0);
    fx_patch(f, first, T_WFE);       /* event clear: sleeps */
    fx_patch(f, first + 2, T_SEV);
    fx_patch(f, first + 4, T_WFE);   /* event set: clears it, goes on */
    fx_step(f);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    cpu_run_cycles(&f->cpu, 100);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    cpu_event(&f->cpu);
    ck_assert(cpu_is_active(&f->cpu));
    ck_assert_uint_eq(fx_step(f), 1); /* SEV */
    ck_assert_uint_eq(fx_step(f), 2); /* WFE: no sleep */
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_RUNNING);
    ck_assert_uint_eq(PC(f), first + 6);
    fx_free(f);
}
END_TEST

START_TEST(test_sleep_on_exit)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 1, 0);
    fx_word(f, POOL + 8, 0xE000ED10u);
    fx_org(f, first);
    fx_ldr_const(f, 2, POOL + 8, 0xE000ED10u);
    fx_emit(f, T_MOVS_I(3, 2));
    fx_emit(f, T_STR_I(3, 2, 0));   /* SCR.SLEEPONEXIT */
    fx_emit(f, T_WFI);
    fx_run_to(f, first + 8, 10);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    cpu_pulse_irq(&f->cpu, 0);
    fx_step(f);                      /* entry */
    ck_assert_uint_eq(PC(f), H0);
    fx_step(f);                      /* BX LR: back to Thread, asleep */
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_SLEEPING);
    ck_assert_uint_eq(XPSR(f) & 0x3F, 0);
    cpu_pulse_irq(&f->cpu, 0);
    ck_assert_uint_eq(fx_step(f), 16);
    ck_assert_uint_eq(PC(f), H0);
    fx_free(f);
}
END_TEST

START_TEST(test_level_irq_repends)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 1, 0);
    cpu_set_irq(&f->cpu, 0, true);
    fx_step(f);
    ck_assert_uint_eq(PC(f), H0);
    ck_assert_uint_eq(cpu_pending(&f->cpu), 0); /* cleared on entry */
    fx_step(f); /* return: line still high -> pending again */
    ck_assert_uint_eq(cpu_pending(&f->cpu), 1ull << 16);
    fx_step(f);
    ck_assert_uint_eq(PC(f), H0);
    cpu_set_irq(&f->cpu, 0, false);
    fx_step(f);
    ck_assert_uint_eq(PC(f), first);
    ck_assert_uint_eq(cpu_pending(&f->cpu), 0);
    fx_free(f);
}
END_TEST

START_TEST(test_systick_exact)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 0, 0);
    fx_org(f, HS);
    fx_emit(f, T_BX(14));
    fx_vector(f, CPU_EXC_SYSTICK, HS);
    fx_org(f, first);
    fx_ldr_const(f, 0, POOL + 8, 0xE000E010u);
    fx_ldr_const(f, 1, POOL + 12, 99);
    fx_emit(f, T_STR_I(1, 0, 4));    /* RVR = 99: period 100 */
    fx_emit(f, T_MOVS_I(1, 0));
    fx_emit(f, T_STR_I(1, 0, 8));    /* CVR = 0 */
    fx_emit(f, T_MOVS_I(1, 7));
    uint32_t enable = fx_emit(f, T_STR_I(1, 0, 0)); /* CSR */
    fx_emit(f, T_NOP);
    fx_emit(f, T_NOP);
    fx_emit(f, T_NOP);
    fx_emit(f, T_LDR_I(2, 0, 8));    /* CVR at S + 6 */
    fx_emit(f, fx_b(fx_here(f), 0x700));
    fx_org(f, 0x700);
    for (unsigned i = 0; i < 400; i++)
        fx_emit(f, T_NOP);
    fx_run_to(f, enable, 20);
    uint64_t s = cpu_cycles(&f->cpu);
    /* enabled at the STR's bus cycle S+1 with CVR 0: reload at S+2,
     * reaches 0 at S+101, then every 100 cycles */
    uint64_t fires[2] = { s + 101, s + 201 };
    unsigned nf = 0;
    for (unsigned i = 0; i < 400 && nf < 2; i++) {
        uint64_t c = cpu_cycles(&f->cpu);
        bool was = cpu_active_exceptions(&f->cpu) & (1ull << 15);
        fx_step(f);
        if (!was && (cpu_active_exceptions(&f->cpu) & (1ull << 15))) {
            ck_assert_uint_eq(c, fires[nf]);
            ck_assert_uint_eq(cpu_cycles(&f->cpu), c + 16);
            nf++;
        }
    }
    ck_assert_uint_eq(nf, 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 95); /* CVR read at S+6 */
    fx_free(f);
}
END_TEST

START_TEST(test_systick_countflag)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 0, 0);
    fx_org(f, first);
    fx_ldr_const(f, 0, POOL + 8, 0xE000E010u);
    fx_emit(f, T_MOVS_I(1, 9));
    fx_emit(f, T_STR_I(1, 0, 4));    /* RVR 9 */
    fx_emit(f, T_MOVS_I(1, 5));
    fx_emit(f, T_STR_I(1, 0, 0));    /* ENABLE, no TICKINT */
    for (unsigned i = 0; i < 20; i++)
        fx_emit(f, T_NOP);
    fx_emit(f, T_LDR_I(2, 0, 0));    /* COUNTFLAG set (read clears) */
    fx_emit(f, T_LDR_I(3, 0, 0));
    fx_emit(f, T_LDR_I(4, 0, 12));   /* CALIB */
    uint32_t end = fx_here(f);
    fx_emit(f, fx_b(end, end));
    fx_run_to(f, end, 100);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 0x10005);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 3), 0x5);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 4), 0x80000000u | 159999);
    ck_assert_uint_eq(cpu_active_exceptions(&f->cpu), 0);
    fx_free(f);
}
END_TEST

static uint32_t fault_setup(fx_t *f, const hw_t *code, size_t n)
{
    uint32_t first = setup(f, 0, 0);
    fx_org(f, first);
    for (size_t i = 0; i < n; i++)
        fx_emit(f, code[i]);
    return first;
}

START_TEST(test_hardfaults)
{
    const struct {
        hw_t code[4];
        unsigned n, fault_at;
        cpu_fault_kind_t kind;
        uint32_t addr;
    } cases[] = {
        { { T_UDF(7) }, 1, 0, CPU_FAULT_UNDEF, 0 },
        { { T_MOVS_I(0, 0x20), T_LSLS_I(0, 0, 24), T_LDR_I(1, 0, 0) }, 3, 0,
          CPU_FAULT_NONE, 0 }, /* aligned: no fault (control) */
        { { T_MOVS_I(0, 0x20), T_LSLS_I(0, 0, 24), T_ADDS_I8(0, 2),
            T_LDR_I(1, 0, 0) }, 4, 3, CPU_FAULT_UNALIGNED, 0x20000002u },
        { { T_MOVS_I(0, 0x10), T_LSLS_I(0, 0, 24), T_LDR_I(1, 0, 0) }, 3, 2,
          CPU_FAULT_BUS_READ, 0x10000000u },
        { { T_MOVS_I(0, 0x30), T_LSLS_I(0, 0, 24), T_STRB_I(1, 0, 1) }, 3, 2,
          CPU_FAULT_BUS_WRITE, 0x30000001u },
        { { T_MOVS_I(0, 0x10), T_BX(0) }, 2, 1, CPU_FAULT_INVSTATE, 0x10 },
        { { T_BKPT(1) }, 1, 0, CPU_FAULT_BKPT, 0 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fx_t *f = fx_new(0, 0);
        uint32_t first = fault_setup(f, cases[k].code, cases[k].n);
        for (unsigned i = 0; i < cases[k].n + 1; i++)
            fx_step(f);
        if (cases[k].kind == CPU_FAULT_NONE) {
            ck_assert_uint_eq(cpu_fault_count(&f->cpu), 0);
            fx_free(f);
            continue;
        }
        ck_assert_uint_eq(cpu_fault_count(&f->cpu), 1);
        const cpu_fault_t *fl = cpu_last_fault(&f->cpu);
        ck_assert_int_eq(fl->kind, cases[k].kind);
        ck_assert(!fl->lockup);
        uint32_t fpc = cases[k].kind == CPU_FAULT_INVSTATE
                           ? cases[k].addr : first + 2 * cases[k].fault_at;
        ck_assert_uint_eq(fl->pc, fpc);
        if (cases[k].kind != CPU_FAULT_UNDEF &&
            cases[k].kind != CPU_FAULT_BKPT)
            ck_assert_uint_eq(fl->addr, cases[k].addr);
        ck_assert_uint_eq(PC(f), HF);
        ck_assert_uint_eq(XPSR(f) & 0x3F, 3);
        ck_assert_uint_eq(fx_rd32(f, SP(f) + 24), fpc); /* stacked PC */
        fx_free(f);
    }
}
END_TEST

START_TEST(test_fetch_fault_and_lockup)
{
    fx_t *f = fx_new(0, 0);
    /* executing from an unmapped address: HardFault, then a UDF in the
     * HardFault handler: lockup */
    uint32_t first = fault_setup(f, (const hw_t[]){ T_MOVS_I(0, 0x41),
                                                    T_LSLS_I(0, 0, 24),
                                                    T_ADDS_I8(0, 1),
                                                    T_BX(0) }, 4);
    fx_patch(f, HF, T_UDF(0));
    for (unsigned i = 0; i < 5; i++)
        fx_step(f);
    ck_assert_uint_eq(cpu_fault_count(&f->cpu), 1);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_FETCH);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->addr, 0x41000000u);
    ck_assert_uint_eq(PC(f), HF);
    ck_assert_uint_eq(fx_rd32(f, SP(f) + 24), 0x41000000u);
    fx_step(f); /* UDF inside HardFault */
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_LOCKUP);
    ck_assert(cpu_last_fault(&f->cpu)->lockup);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_UNDEF);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->pc, HF);
    ck_assert(!cpu_is_active(&f->cpu));
    ck_assert_uint_eq(fx_step(f), 0);
    ck_assert_uint_eq(cpu_run_cycles(&f->cpu, 100), 0);
    (void)first;
    fx_free(f);
}
END_TEST

START_TEST(test_svc_and_escalation)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = fault_setup(f, (const hw_t[]){ T_SVC(5), T_NOP,
                                                    T_CPSID, T_SVC(6) }, 4);
    fx_org(f, HS);
    fx_emit(f, T_BX(14));
    fx_vector(f, CPU_EXC_SVCALL, HS);
    ck_assert_uint_eq(fx_step(f), 1);  /* SVC */
    ck_assert_uint_eq(fx_step(f), 16); /* entry */
    ck_assert_uint_eq(PC(f), HS);
    ck_assert_uint_eq(XPSR(f) & 0x3F, 11);
    ck_assert_uint_eq(fx_rd32(f, SP(f) + 24), first + 2);
    fx_step(f); /* return */
    ck_assert_uint_eq(PC(f), first + 2);
    fx_step(f); /* NOP */
    fx_step(f); /* CPSID */
    fx_step(f); /* SVC with PRIMASK: HardFault */
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_SVC);
    fx_step(f);
    ck_assert_uint_eq(PC(f), HF);
    fx_free(f);
}
END_TEST

START_TEST(test_pendsv_and_nmi)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 0, 0);
    fx_org(f, HS);
    fx_emit(f, T_BX(14));
    fx_vector(f, CPU_EXC_PENDSV, HS);
    fx_vector(f, CPU_EXC_NMI, HS + 0x10);
    fx_org(f, HS + 0x10);
    fx_emit(f, T_BX(14));
    fx_org(f, first);
    fx_ldr_const(f, 0, POOL + 8, 0xE000ED04u);
    fx_ldr_const(f, 1, POOL + 12, 1u << 28);
    fx_emit(f, T_STR_I(1, 0, 0)); /* ICSR.PENDSVSET */
    fx_emit(f, T_LDR_I(2, 0, 0)); /* not reached before PendSV */
    fx_run_to(f, first + 4, 5);
    fx_step(f); /* STR */
    ck_assert_uint_eq(cpu_pending(&f->cpu), 1ull << 14);
    ck_assert_uint_eq(fx_step(f), 16);
    ck_assert_uint_eq(PC(f), HS);
    ck_assert_uint_eq(XPSR(f) & 0x3F, 14);
    fx_step(f);
    /* NMI ignores PRIMASK */
    cpu_set_special(&f->cpu, CPU_SPECIAL_PRIMASK, 1);
    cpu_set_nmi(&f->cpu);
    ck_assert_uint_eq(fx_step(f), 16);
    ck_assert_uint_eq(PC(f), HS + 0x10);
    ck_assert_uint_eq(XPSR(f) & 0x3F, 2);
    fx_free(f);
}
END_TEST

START_TEST(test_vtor_relocation)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 1, 0);
    /* a table in RAM whose IRQ0 entry points to RAM code */
    uint32_t table = FX_RAM + 0x200, h = FX_RAM + 0x400;
    fx_word(f, table + 4 * 16, h | 1);
    fx_org(f, h);
    fx_emit(f, T_MOVS_I(5, 0x55));
    fx_emit(f, T_BX(14));
    fx_org(f, first);
    fx_ldr_const(f, 0, POOL + 8, 0xE000ED08u);
    fx_ldr_const(f, 1, POOL + 12, table);
    fx_emit(f, T_STR_I(1, 0, 0));
    fx_emit(f, T_LDR_I(2, 0, 0));
    fx_run_to(f, first + 8, 10);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), table);
    cpu_pulse_irq(&f->cpu, 0);
    fx_step(f);
    ck_assert_uint_eq(PC(f), h);
    fx_step(f);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 5), 0x55);
    fx_free(f);
}
END_TEST

static sim_time_t reset_time;
static int reset_calls;

static void on_reset(void *ctx, cpu_t *cpu, sim_time_t t)
{
    (void)ctx;
    reset_time = t;
    reset_calls++;
    cpu_reset(cpu);
}

START_TEST(test_sysresetreq)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 0, 0);
    fx_org(f, first);
    fx_ldr_const(f, 0, POOL + 8, 0xE000ED0Cu);
    fx_ldr_const(f, 1, POOL + 12, 0x05FA0004u);
    uint32_t str = fx_emit(f, T_STR_I(1, 0, 0));
    fx_run_to(f, str, 10);
    uint64_t s = cpu_cycles(&f->cpu);
    reset_calls = 0;
    cpu_set_reset_request(&f->cpu, on_reset, NULL);
    fx_step(f);
    ck_assert_int_eq(reset_calls, 1);
    ck_assert_uint_eq(reset_time, (s + 1) * 62500); /* bus cycle, 16 MHz */
    ck_assert_uint_eq(PC(f), FX_CODE);               /* reset by callback */
    ck_assert_uint_eq(SP(f), FX_SP);
    /* a wrong key does nothing */
    fx_word(f, POOL + 12, 0x12340004u);
    fx_run_to(f, str, 10);
    fx_step(f);
    ck_assert_int_eq(reset_calls, 1);
    fx_free(f);
}
END_TEST

START_TEST(test_process_stack)
{
    fx_t *f = fx_new(0, 0);
    uint32_t first = setup(f, 1, 0);
    hw_t msr[2], isb[2];
    uint32_t psp = FX_RAM + 0x1000;
    fx_org(f, first);
    fx_ldr_const(f, 0, POOL + 8, psp);
    T_MSR(msr, SYSM_PSP, 0);
    fx_emit2(f, msr);
    fx_emit(f, T_MOVS_I(0, 2));
    T_MSR(msr, SYSM_CONTROL, 0);
    fx_emit2(f, msr);
    T_ISB(isb);
    uint32_t after = fx_emit2(f, isb) + 4;
    fx_run_to(f, after, 10);
    ck_assert_uint_eq(SP(f), psp);
    ck_assert_uint_eq(cpu_special(&f->cpu, CPU_SPECIAL_MSP), FX_SP);
    cpu_pulse_irq(&f->cpu, 0);
    fx_step(f);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 14), 0xFFFFFFFDu);
    ck_assert_uint_eq(SP(f), FX_SP);   /* handler on MSP */
    ck_assert_uint_eq(cpu_special(&f->cpu, CPU_SPECIAL_PSP), psp - 32);
    ck_assert_uint_eq(fx_rd32(f, psp - 32 + 24), after);
    fx_step(f);
    ck_assert_uint_eq(SP(f), psp);
    ck_assert_uint_eq(cpu_special(&f->cpu, CPU_SPECIAL_CONTROL), 2);
    ck_assert_uint_eq(PC(f), after);
    fx_free(f);
}
END_TEST

START_TEST(test_bad_exc_return)
{
    fx_t *f = fx_new(0, 0);
    setup(f, 1, 0);
    /* the handler returns with 0xFFFFFFF5: invalid -> HardFault */
    fx_org(f, H0);
    fx_emit(f, T_MOV_HI(1, 14));
    fx_emit(f, T_SUBS_I8(1, 4));
    fx_emit(f, T_BX(1));
    cpu_pulse_irq(&f->cpu, 0);
    for (unsigned i = 0; i < 5; i++)
        fx_step(f);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_EXC_RETURN);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->addr, 0xFFFFFFF5u);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->pc, H0 + 4);
    ck_assert_uint_eq(PC(f), HF);
    fx_free(f);
}
END_TEST

Suite *make_cpu_exc_suite(void)
{
    Suite *s = suite_create("cpu_exc");
    TCase *tc = tcase_create("exceptions");
    tcase_add_test(tc, test_irq_entry_and_return);
    tcase_add_test(tc, test_irq_wait_states_and_alignment);
    tcase_add_test(tc, test_nvic_priority_nesting);
    tcase_add_test(tc, test_primask);
    tcase_add_test(tc, test_wfi_sleep);
    tcase_add_test(tc, test_wfe_sev_event);
    tcase_add_test(tc, test_sleep_on_exit);
    tcase_add_test(tc, test_level_irq_repends);
    tcase_add_test(tc, test_systick_exact);
    tcase_add_test(tc, test_systick_countflag);
    tcase_add_test(tc, test_hardfaults);
    tcase_add_test(tc, test_fetch_fault_and_lockup);
    tcase_add_test(tc, test_svc_and_escalation);
    tcase_add_test(tc, test_pendsv_and_nmi);
    tcase_add_test(tc, test_vtor_relocation);
    tcase_add_test(tc, test_sysresetreq);
    tcase_add_test(tc, test_process_stack);
    tcase_add_test(tc, test_bad_exc_return);
    suite_add_tcase(s, tc);
    return s;
}
