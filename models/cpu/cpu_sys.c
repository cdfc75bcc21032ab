/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu_sys.c - ARMv6-M exception model, NVIC, SysTick and SCB.
 *
 * Reference: ARMv6-M Architecture Reference Manual (DDI 0419) B1.5
 * (exception model: PushStack, ExceptionTaken, ExceptionReturn, PopStack),
 * B3.2 (SCS/SCB), B3.3 (SysTick), B3.4 (NVIC); Cortex-M0 TRM r0p0 for the
 * implemented options (2 priority bits, 32 IRQs, CPUID 0x410CC200) and the
 * 16-cycle interrupt latency.
 *
 * Notes:
 *  - exceptions are taken at instruction boundaries only (no late arrival,
 *    no abandoned LDM/STM/MULS); no tail-chaining: a return followed by a
 *    pending exception unstacks and stacks again (same memory, more
 *    cycles);
 *  - entry costs 16 cycles + the wait states of the 8 stacking writes and
 *    the vector read; a return costs 13 cycles on top of the returning
 *    instruction (BX LR: 3 + 13 = 16) + the unstacking reads' wait states;
 *  - SysTick counts core cycles only (CLKSOURCE reads 1, CALIB.NOREF = 1);
 *    enabling it counts down from the current value (0 after a CVR write:
 *    it reloads on the next cycle);
 *  - the SCS is word-access only (sub-word accesses are bus errors);
 *    unimplemented SCS words read as zero, writes are ignored; the rest of
 *    the PPB is a bus error;
 *  - lockup is permanent until cpu_reset() (an NMI does not leave it);
 *  - VTOR is implemented (as on Cortex-M0+) unless cfg.no_vtor. */
#include "models/cpu/cpu_int.h"

#include "sim/fatal.h"

#define BIT(n) (1ull << (n))
/* exceptions that are always enabled (NMI, HardFault, SVCall, PendSV,
 * SysTick) */
#define SYS_EXC_MASK (BIT(2) | BIT(3) | BIT(11) | BIT(14) | BIT(15))

#define SCR_SLEEPONEXIT 0x02u
#define SCR_SLEEPDEEP 0x04u
#define SCR_SEVONPEND 0x10u

#define EXC_RETURN_COST 13 /* on top of the returning instruction */
#define EXC_ENTRY_COST 16

/* ------------------------------------------------------------------ */
/* Priorities                                                          */

static int exec_prio_raw(const cpu_t *c)
{
    int p = CPU_PRIO_THREAD;
    for (uint64_t a = c->active; a; a &= a - 1) {
        int n = __builtin_ctzll(a);
        if (c->prio[n] < p)
            p = c->prio[n];
    }
    return p;
}

static int exec_prio(const cpu_t *c)
{
    int p = exec_prio_raw(c);
    if (c->primask && p > 0)
        p = 0;
    return p;
}

static uint64_t pend_enabled(const cpu_t *c)
{
    return c->pend & (SYS_EXC_MASK | ((uint64_t)c->irq_en << 16));
}

/* Highest-priority pending enabled exception (lowest number on ties), or
 * 0 if none; its priority in *prio. */
static unsigned top_pending(const cpu_t *c, int *prio)
{
    unsigned best = 0;
    int bp = CPU_PRIO_THREAD + 1;
    for (uint64_t p = pend_enabled(c); p; p &= p - 1) {
        unsigned n = (unsigned)__builtin_ctzll(p);
        if (c->prio[n] < bp) {
            bp = c->prio[n];
            best = n;
        }
    }
    *prio = bp;
    return best;
}

void cpu__exc_update(cpu_t *c)
{
    int p;
    unsigned n = top_pending(c, &p);
    c->exc_ready = n != 0 && p < exec_prio(c) && c->state != CPU_LOCKUP;
    if (c->exc_ready)
        c->stop = 0;
}

bool cpu__wake_ready(const cpu_t *c)
{
    if (c->state == CPU_RUNNING)
        return true;
    if (c->state != CPU_SLEEPING)
        return false;
    if (c->sleep_wfe && (c->event_reg || c->exc_ready))
        return true;
    /* WFI (and sleep-on-exit): an exception that would preempt if
     * PRIMASK were clear */
    int p;
    unsigned n = top_pending(c, &p);
    return n != 0 && p < exec_prio_raw(c);
}

static void pend_exc(cpu_t *c, unsigned n)
{
    if (!(c->pend & BIT(n))) {
        c->pend |= BIT(n);
        if (c->scr & SCR_SEVONPEND)
            c->event_reg = true;
    }
}

static void deactivate(cpu_t *c, unsigned n)
{
    c->active &= ~BIT(n);
    if (n >= 16 && (c->irq_level & (1u << (n - 16))))
        pend_exc(c, n);
}

/* ------------------------------------------------------------------ */
/* Public interrupt inputs                                             */

void cpu_set_irq(cpu_t *c, unsigned irq, bool level)
{
    if (irq >= CPU_NUM_IRQ)
        sim_fatal_plain("cpu '%s': IRQ %u out of range", c->name, irq);
    uint32_t b = 1u << irq;
    if (level) {
        if (!(c->irq_level & b)) {
            c->irq_level |= b;
            if (!(c->active & BIT(16 + irq)))
                pend_exc(c, 16 + irq);
        }
    } else {
        c->irq_level &= ~b;
    }
    cpu__exc_update(c);
}

void cpu_pulse_irq(cpu_t *c, unsigned irq)
{
    if (irq >= CPU_NUM_IRQ)
        sim_fatal_plain("cpu '%s': IRQ %u out of range", c->name, irq);
    pend_exc(c, 16 + irq);
    cpu__exc_update(c);
}

void cpu_set_nmi(cpu_t *c)
{
    pend_exc(c, CPU_EXC_NMI);
    cpu__exc_update(c);
}

void cpu_event(cpu_t *c)
{
    c->event_reg = true;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */

uint32_t cpu__xpsr(const cpu_t *c)
{
    return (c->fn & 0x80000000u) | (c->fz == 0 ? 0x40000000u : 0) |
           ((c->fc & 1) << 29) | ((c->fv & 1) << 28) |
           (c->tbit ? 0x01000000u : 0) | (c->handler ? c->ipsr : 0);
}

static void set_apsr(cpu_t *c, uint32_t v)
{
    c->fn = v & 0x80000000u;
    c->fz = (v & 0x40000000u) ? 0 : 1;
    c->fc = (v >> 29) & 1;
    c->fv = (v >> 28) & 1;
}

static bool using_psp(const cpu_t *c)
{
    return !c->handler && c->spsel;
}

uint32_t cpu__get_sp(const cpu_t *c, bool psp)
{
    return psp == using_psp(c) ? c->r[13] : c->sp_other;
}

void cpu__set_sp(cpu_t *c, bool psp, uint32_t v)
{
    v &= ~3u;
    if (psp == using_psp(c))
        c->r[13] = v;
    else
        c->sp_other = v;
}

/* Changes mode/SPSEL, swapping r[13] with the banked SP if needed. */
static void set_stack_state(cpu_t *c, bool handler, uint32_t spsel)
{
    bool before = using_psp(c);
    c->handler = handler;
    c->spsel = spsel;
    if (using_psp(c) != before) {
        uint32_t t = c->r[13];
        c->r[13] = c->sp_other;
        c->sp_other = t;
    }
}

static bool privileged(const cpu_t *c)
{
    return c->handler || !c->npriv;
}

uint32_t cpu__mrs(cpu_t *c, uint32_t sysm)
{
    switch (sysm) {
    case 0: case 1: case 2: case 3: case 5: case 6: case 7: {
        uint32_t v = 0;
        if (!(sysm & 4))
            v |= cpu__xpsr(c) & 0xF0000000u;
        if (sysm & 1)
            v |= c->handler ? c->ipsr : 0;
        return v; /* EPSR reads as zero */
    }
    case 8: return cpu__get_sp(c, false);
    case 9: return cpu__get_sp(c, true);
    case 16: return c->primask;
    case 20: return c->npriv | (c->spsel << 1);
    default: return 0;
    }
}

void cpu__msr(cpu_t *c, uint32_t sysm, uint32_t v)
{
    switch (sysm) {
    case 0: case 1: case 2: case 3:
        set_apsr(c, v);
        break;
    case 8:
        if (privileged(c))
            cpu__set_sp(c, false, v);
        break;
    case 9:
        if (privileged(c))
            cpu__set_sp(c, true, v);
        break;
    case 16:
        if (privileged(c)) {
            c->primask = v & 1;
            cpu__exc_update(c);
        }
        break;
    case 20:
        if (privileged(c)) {
            if (c->unpriv_ext)
                c->npriv = v & 1;
            if (!c->handler)
                set_stack_state(c, false, (v >> 1) & 1);
        }
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Faults and lockup                                                   */

static void record_fault(cpu_t *c, cpu_fault_kind_t kind, uint32_t pc,
                         uint32_t addr, bool lockup)
{
    cpu_fault_t *f = &c->last_fault;
    f->kind = kind;
    f->lockup = lockup;
    f->pc = pc;
    f->addr = addr;
    memcpy(f->r, c->r, sizeof f->r);
    f->r[15] = pc;
    f->xpsr = cpu__xpsr(c);
    f->cycle = c->cycles;
    f->time = sim_clock_edge(&c->clk, c->cycles);
    c->n_faults++;
    if (c->on_fault)
        c->on_fault(c->on_fault_ctx, c, f);
}

void cpu__lockup(cpu_t *c)
{
    c->state = CPU_LOCKUP;
    c->exc_ready = false;
    c->stop = 0;
    c->r[15] = 0xFFFFFFFEu;
    if (c->node && sim_event_scheduled(&c->st_event))
        sim_cancel(c->node, &c->st_event);
}

void cpu__fault(cpu_t *c, cpu_fault_kind_t kind, uint32_t pc, uint32_t addr)
{
    bool lockup = exec_prio(c) < 0; /* in HardFault or NMI */
    record_fault(c, kind, pc, addr, lockup);
    if (lockup) {
        cpu__lockup(c);
        return;
    }
    pend_exc(c, CPU_EXC_HARDFAULT);
    cpu__exc_update(c);
}

/* ------------------------------------------------------------------ */
/* Exception entry and return                                          */

bool cpu__take_exception(cpu_t *c)
{
    int p;
    unsigned n = top_pending(c, &p);
    if (!c->exc_ready || n == 0)
        return false;
    bool escalate_lockup = n == CPU_EXC_HARDFAULT || n == CPU_EXC_NMI ||
                           exec_prio(c) < 0;

    /* PushStack: 8 words, 8-byte aligned frame */
    uint64_t e = c->cycles, ws = 0;
    bool psp = using_psp(c);
    uint32_t sp = c->r[13];
    uint32_t align = (sp >> 2) & 1;
    uint32_t frame = (sp - 0x20) & ~4u;
    uint32_t words[8] = { c->r[0], c->r[1], c->r[2], c->r[3], c->r[12],
                          c->r[14], c->r[15],
                          cpu__xpsr(c) | (align << 9) };
    bool ok = true;
    uint32_t bad = 0;
    for (unsigned j = 0; j < 8; j++) {
        uint64_t before = ws;
        if (!cpu__write32(c, frame + 4 * j, words[j], e + 1 + j + before,
                          &ws) && ok) {
            ok = false;
            bad = frame + 4 * j;
        }
    }
    uint32_t ret_pc = c->r[15];
    c->r[13] = frame;
    c->r[14] = c->handler ? 0xFFFFFFF1u : psp ? 0xFFFFFFFDu : 0xFFFFFFF9u;

    /* ExceptionTaken */
    set_stack_state(c, true, 0);
    c->ipsr = n;
    c->pend &= ~BIT(n);
    c->active |= BIT(n);
    uint32_t vec;
    bool vok = cpu__read32(c, c->vtor + 4 * n, e + 9 + ws, &ws, &vec);
    c->cycles = e + EXC_ENTRY_COST + ws;
    if (!ok || !vok) {
        cpu_fault_kind_t k = ok ? CPU_FAULT_VECTOR : CPU_FAULT_STACKING;
        record_fault(c, k, ret_pc, ok ? c->vtor + 4 * n : bad,
                     escalate_lockup);
        if (escalate_lockup) {
            cpu__lockup(c);
            return true;
        }
        pend_exc(c, CPU_EXC_HARDFAULT);
        if (!vok)
            vec = 0xFFFFFFFFu; /* never reached: HardFault preempts */
    }
    c->tbit = vec & 1;
    c->r[15] = vec & ~1u;
    if (c->r[15] & 2)
        c->cycles += cpu__fetch_ws(c, c->r[15]);
    cpu__exc_update(c);
    return true;
}

static void sleep_enter(cpu_t *c, bool wfe)
{
    c->state = CPU_SLEEPING;
    c->sleep_wfe = wfe;
    c->stop = 0;
    if (c->node && c->st_next != CPU_NEVER &&
        !sim_event_scheduled(&c->st_event))
        sim_schedule(c->node, &c->st_event,
                     sim_clock_edge(&c->clk, c->st_next));
}

void cpu__exc_return(cpu_t *c, uint32_t excret, uint64_t acc)
{
    uint32_t pc = c->r[15]; /* the returning instruction */
    uint32_t low = excret & 0xF;
    if ((excret & 0x0FFFFFF0u) != 0x0FFFFFF0u ||
        (low != 0x1 && low != 0x9 && low != 0xD)) {
        cpu__fault(c, CPU_FAULT_EXC_RETURN, pc, excret);
        return;
    }
    bool to_handler = low == 0x1, to_psp = low == 0xD;
    uint32_t frame = to_psp ? c->sp_other : c->r[13];
    uint32_t w[8];
    uint64_t ws = 0;
    for (unsigned j = 0; j < 8; j++) {
        if (!cpu__read32(c, frame + 4 * j, acc + j + ws, &ws, &w[j])) {
            c->cycles += EXC_RETURN_COST + ws;
            cpu__fault(c, CPU_FAULT_UNSTACKING, pc, frame + 4 * j);
            return;
        }
    }
    deactivate(c, c->ipsr);
    uint32_t newsp = frame + 0x20 + ((w[7] >> 9) & 1) * 4;
    if (to_psp) {
        c->sp_other = newsp; /* becomes r[13] by the switch below */
    } else {
        c->r[13] = newsp;
    }
    set_stack_state(c, to_handler, to_psp);
    c->r[0] = w[0];
    c->r[1] = w[1];
    c->r[2] = w[2];
    c->r[3] = w[3];
    c->r[12] = w[4];
    c->r[14] = w[5];
    c->r[15] = w[6] & ~1u;
    set_apsr(c, w[7]);
    c->tbit = (w[7] >> 24) & 1;
    c->ipsr = w[7] & 0x3F;
    c->event_reg = true;
    c->cycles += EXC_RETURN_COST + ws;
    if (c->r[15] & 2)
        c->cycles += cpu__fetch_ws(c, c->r[15]);
    if ((to_handler && c->ipsr == 0) || (!to_handler && c->ipsr != 0)) {
        cpu__fault(c, CPU_FAULT_EXC_RETURN, c->r[15], excret);
        return;
    }
    cpu__exc_update(c);
    if (!to_handler && (c->scr & SCR_SLEEPONEXIT))
        sleep_enter(c, false);
}

void cpu__svc(cpu_t *c, uint32_t pc)
{
    if (c->prio[CPU_EXC_SVCALL] < exec_prio(c)) {
        pend_exc(c, CPU_EXC_SVCALL);
        cpu__exc_update(c);
    } else {
        cpu__fault(c, CPU_FAULT_SVC, pc, 0);
    }
}

void cpu__wfi(cpu_t *c)
{
    c->state = CPU_SLEEPING;
    c->sleep_wfe = false;
    if (cpu__wake_ready(c)) {
        c->state = CPU_RUNNING;
        return;
    }
    sleep_enter(c, false);
}

void cpu__wfe(cpu_t *c)
{
    if (c->event_reg) {
        c->event_reg = false;
        return;
    }
    if (c->exc_ready)
        return;
    sleep_enter(c, true);
}

/* The SysTick wake-up of a sleeping core on a kernel node. */
void cpu__sleep_event(sim_event_t *ev, sim_time_t now)
{
    cpu_t *c = ev->ctx;
    cpu__systick_advance(c, sim_clock_edge_at_or_after(&c->clk, now));
    cpu__exc_update(c);
}

/* ------------------------------------------------------------------ */
/* SysTick: the counter is kept as the cycle of its next zero (st_fire)
 * and the period, and materialized on access.                         */

static void st_set_next(cpu_t *c)
{
    c->st_next = (c->st_csr & 3) == 3 ? c->st_fire : CPU_NEVER;
}

/* The counter is enabled and holds v at cycle t. */
static void st_start(cpu_t *c, uint64_t t, uint32_t v)
{
    c->st_base = t;
    c->st_val = v;
    c->st_period = c->st_rvr ? (uint64_t)c->st_rvr + 1 : 0;
    if (v) {
        c->st_fire = t + v;
        c->st_zero_at = CPU_NEVER;
    } else {
        c->st_zero_at = t;
        c->st_fire = c->st_rvr ? t + 1 + c->st_rvr : CPU_NEVER;
    }
    st_set_next(c);
}

void cpu__systick_advance(cpu_t *c, uint64_t cyc)
{
    if (!(c->st_csr & 1) || c->st_fire > cyc)
        return;
    uint64_t last = c->st_fire;
    if (c->st_period) {
        last += (cyc - c->st_fire) / c->st_period * c->st_period;
        c->st_fire = last + c->st_period;
    } else {
        c->st_fire = CPU_NEVER;
    }
    c->st_zero_at = last;
    c->st_countflag = true;
    if (c->st_csr & 2)
        pend_exc(c, CPU_EXC_SYSTICK);
    st_set_next(c);
    cpu__exc_update(c);
}

static uint32_t st_value(cpu_t *c, uint64_t cyc)
{
    if (!(c->st_csr & 1))
        return c->st_val;
    cpu__systick_advance(c, cyc);
    if (cyc == c->st_zero_at || c->st_fire == CPU_NEVER)
        return 0;
    return (uint32_t)(c->st_fire - cyc);
}

static void st_write_csr(cpu_t *c, uint32_t v, uint64_t cyc)
{
    uint32_t cur = st_value(c, cyc);
    c->st_csr = v & 3;
    if (c->st_csr & 1) {
        st_start(c, cyc, cur);
    } else {
        c->st_val = cur;
        c->st_fire = CPU_NEVER;
        st_set_next(c);
    }
}

/* ------------------------------------------------------------------ */
/* System control space                                                */

static uint32_t icsr_read(const cpu_t *c)
{
    int p;
    uint32_t v = c->handler ? c->ipsr : 0;
    v |= (uint32_t)top_pending(c, &p) << 12;
    if (c->pend >> 16)
        v |= 1u << 22; /* ISRPENDING */
    if (c->pend & BIT(CPU_EXC_NMI))
        v |= 1u << 31;
    if (c->pend & BIT(CPU_EXC_PENDSV))
        v |= 1u << 28;
    if (c->pend & BIT(CPU_EXC_SYSTICK))
        v |= 1u << 26;
    return v;
}

static bool scs_ok(const cpu_t *c, uint32_t addr, unsigned size)
{
    if (addr < 0xE000E000u || addr >= 0xE000F000u)
        return false; /* PPB outside the SCS: nothing there */
    if (size != 4)
        return false;
    return privileged(c);
}

bool cpu__ppb_read(cpu_t *c, uint32_t addr, unsigned size, uint64_t cyc,
                   uint32_t *out)
{
    if (!scs_ok(c, addr, size))
        return false;
    uint32_t v = 0;
    if (addr >= 0xE000E400u && addr < 0xE000E420u) {
        unsigned n = 16 + (addr - 0xE000E400u);
        for (unsigned i = 0; i < 4; i++)
            v |= (uint32_t)(c->prio[n + i] & 0xC0) << (8 * i);
        *out = v;
        return true;
    }
    switch (addr) {
    case 0xE000E010u:
        cpu__systick_advance(c, cyc);
        v = c->st_csr | 4u | (c->st_countflag ? 1u << 16 : 0);
        c->st_countflag = false;
        break;
    case 0xE000E014u: v = c->st_rvr; break;
    case 0xE000E018u: v = st_value(c, cyc); break;
    case 0xE000E01Cu: v = c->calib; break;
    case 0xE000E100u:
    case 0xE000E180u: v = c->irq_en; break;
    case 0xE000E200u:
    case 0xE000E280u: v = (uint32_t)(c->pend >> 16); break;
    case 0xE000ED00u: v = 0x410CC200u; break; /* Cortex-M0 r0p0 */
    case 0xE000ED04u: v = icsr_read(c); break;
    case 0xE000ED08u: v = c->vtor; break;
    case 0xE000ED0Cu: v = 0xFA050000u; break;
    case 0xE000ED10u: v = c->scr; break;
    case 0xE000ED14u: v = 0x208u; break; /* STKALIGN, UNALIGN_TRP */
    case 0xE000ED1Cu:
        v = (uint32_t)(c->prio[CPU_EXC_SVCALL] & 0xC0) << 24;
        break;
    case 0xE000ED20u:
        v = ((uint32_t)(c->prio[CPU_EXC_SYSTICK] & 0xC0) << 24) |
            ((uint32_t)(c->prio[CPU_EXC_PENDSV] & 0xC0) << 16);
        break;
    default: break; /* RAZ */
    }
    *out = v;
    return true;
}

bool cpu__ppb_write(cpu_t *c, uint32_t addr, uint32_t v, unsigned size,
                    uint64_t cyc)
{
    if (!scs_ok(c, addr, size))
        return false;
    if (addr >= 0xE000E400u && addr < 0xE000E420u) {
        unsigned n = 16 + (addr - 0xE000E400u);
        for (unsigned i = 0; i < 4; i++)
            c->prio[n + i] = (int16_t)((v >> (8 * i)) & 0xC0);
        cpu__exc_update(c);
        return true;
    }
    switch (addr) {
    case 0xE000E010u:
        st_write_csr(c, v, cyc);
        break;
    case 0xE000E014u: {
        uint32_t cur = st_value(c, cyc);
        c->st_rvr = v & 0x00FFFFFFu;
        if (c->st_csr & 1)
            st_start(c, cyc, cur); /* the current count runs on; the new
                                      period applies from the next reload */
        break;
    }
    case 0xE000E018u:
        cpu__systick_advance(c, cyc);
        c->st_countflag = false;
        if (c->st_csr & 1)
            st_start(c, cyc, 0);
        else
            c->st_val = 0;
        break;
    case 0xE000E100u: c->irq_en |= v; break;
    case 0xE000E180u: c->irq_en &= ~v; break;
    case 0xE000E200u:
        for (uint32_t m = v; m; m &= m - 1)
            pend_exc(c, 16 + (unsigned)__builtin_ctz(m));
        break;
    case 0xE000E280u:
        c->pend &= ~((uint64_t)v << 16);
        /* a line still high re-pends at once unless its IRQ is active */
        c->pend |= ((uint64_t)(c->irq_level & v) << 16) & ~c->active;
        break;
    case 0xE000ED04u:
        if (v & (1u << 31))
            pend_exc(c, CPU_EXC_NMI);
        if (v & (1u << 28))
            pend_exc(c, CPU_EXC_PENDSV);
        else if (v & (1u << 27))
            c->pend &= ~BIT(CPU_EXC_PENDSV);
        if (v & (1u << 26))
            pend_exc(c, CPU_EXC_SYSTICK);
        else if (v & (1u << 25))
            c->pend &= ~BIT(CPU_EXC_SYSTICK);
        break;
    case 0xE000ED08u:
        if (c->has_vtor)
            c->vtor = v & 0xFFFFFF80u;
        break;
    case 0xE000ED0Cu:
        if ((v >> 16) == 0x05FA && (v & 4)) {
            c->reset_req_seen = true;
            c->reset_req_time = sim_clock_edge(&c->clk, cyc);
            c->stop = 0;
        }
        break;
    case 0xE000ED10u:
        c->scr = v & (SCR_SLEEPONEXIT | SCR_SLEEPDEEP | SCR_SEVONPEND);
        break;
    case 0xE000ED1Cu:
        c->prio[CPU_EXC_SVCALL] = (int16_t)((v >> 24) & 0xC0);
        break;
    case 0xE000ED20u:
        c->prio[CPU_EXC_SYSTICK] = (int16_t)((v >> 24) & 0xC0);
        c->prio[CPU_EXC_PENDSV] = (int16_t)((v >> 16) & 0xC0);
        break;
    default: break; /* WI */
    }
    cpu__exc_update(c);
    return true;
}

/* ------------------------------------------------------------------ */

void cpu__sys_reset(cpu_t *c)
{
    c->handler = false;
    c->ipsr = 0;
    c->primask = 0;
    c->spsel = 0;
    c->npriv = 0;
    c->sp_other = 0;
    c->event_reg = false;
    c->sleep_wfe = false;
    c->vtor = 0;
    c->scr = 0;
    c->pend = 0;
    c->active = 0;
    c->irq_en = 0;
    for (unsigned i = 0; i < CPU_NUM_EXC; i++)
        c->prio[i] = 0;
    c->prio[CPU_EXC_RESET] = -3;
    c->prio[CPU_EXC_NMI] = -2;
    c->prio[CPU_EXC_HARDFAULT] = -1;
    /* interrupt lines are wires outside the core: still high, pending */
    c->pend = (uint64_t)c->irq_level << 16;
    c->st_csr = 0;
    c->st_rvr = 0;
    c->st_countflag = false;
    c->st_val = 0;
    c->st_base = c->cycles;
    c->st_fire = CPU_NEVER;
    c->st_period = 0;
    c->st_zero_at = CPU_NEVER;
    c->st_next = CPU_NEVER;
    if (c->node && sim_event_scheduled(&c->st_event))
        sim_cancel(c->node, &c->st_event);
    c->reset_req_seen = false;
    c->exc_ready = false;
}
