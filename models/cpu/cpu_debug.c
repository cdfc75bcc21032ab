/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu_debug.c - a debugger's watchpoints and single step: the
 * core stops after the instruction that accessed a watched range, or
 * after the one instruction it was asked to step.
 *
 * Reference: ARMv6-M Architecture Reference Manual (DDI 0419) C1.8 (DWT
 * comparators: address match on data accesses, the debug event taken
 * after the access's instruction) and C1.5 (halting debug, DHCSR.C_STEP).
 * docs/cpu.md "Watchpoints" and "Single step".
 *
 * Watchpoints cost nothing while none is set. Setting one sets the direct
 * sizes (cpu_region_t.rsize / wsize) of the regions it overlaps to 0 for
 * the directions it watches, so those accesses take cpu__read_slow /
 * cpu__write_slow, which charge the same wait states as the fast path and
 * call cpu__watch_access. A hit sets c->stop = 0: the interpreter leaves
 * after the instruction, and the run loop calls cpu__debug_after.
 *
 * Notes:
 *  - any number of bytes and any alignment may be watched (the DWT of a
 *    Cortex-M0 has 2 comparators on power-of-two masked ranges);
 *  - every data access of the core is seen: loads and stores, LDM/STM and
 *    PUSH/POP, literal loads, exception stacking, unstacking and vector
 *    reads; instruction fetches and a debugger's cpu_read_mem /
 *    cpu_write_mem are not;
 *  - a watchpoint is reported once per instruction, at its first access
 *    that hits; an access that faults is reported too, after the fault
 *    was raised;
 *  - a step is one instruction or one exception entry, whichever the core
 *    does next (C_STEP with C_MASKINTS clear). */
#include "models/cpu/cpu_int.h"

void cpu__watch_access(cpu_t *c, uint32_t a, unsigned size,
                       cpu_watch_kind_t kind)
{
    for (unsigned i = 0; i < c->n_wp; i++) {
        cpu_watchpoint_t *w = &c->wp[i];
        if (!(w->kind & kind) || w->hit)
            continue;
        uint64_t lo = a > w->addr ? a : w->addr;
        uint64_t hi = (uint64_t)a + size;
        uint64_t wend = (uint64_t)w->addr + w->len;
        if (wend < hi)
            hi = wend;
        if (lo >= hi)
            continue;
        w->hit = true;
        w->hit_addr = (uint32_t)lo;
        w->hit_kind = kind;
        c->wp_pending = true;
        c->stop = 0; /* report after this instruction */
    }
}

void cpu__watch_forget(cpu_t *c)
{
    for (unsigned i = 0; i < c->n_wp; i++)
        c->wp[i].hit = false;
    c->wp_pending = false;
}

static bool overlaps(const cpu_region_t *rg, const cpu_watchpoint_t *w)
{
    return w->addr < (uint64_t)rg->base + rg->size &&
           rg->base < (uint64_t)w->addr + w->len;
}

void cpu__watch_regions(cpu_t *c)
{
    for (unsigned i = 1; i < c->n_regions; i++) {
        cpu_region_t *rg = &c->regions[i];
        rg->rsize = rg->kind == CPU_MEM_MMIO ? 0 : rg->size;
        rg->wsize = rg->kind == CPU_MEM_RAM ? rg->size : 0;
        for (unsigned k = 0; k < c->n_wp; k++) {
            if (!overlaps(rg, &c->wp[k]))
                continue;
            if (c->wp[k].kind & CPU_WATCH_READ)
                rg->rsize = 0;
            if (c->wp[k].kind & CPU_WATCH_WRITE)
                rg->wsize = 0;
        }
    }
}

bool cpu_add_watchpoint(cpu_t *c, uint32_t addr, uint32_t len,
                        cpu_watch_kind_t kind, cpu_watch_fn fn, void *ctx)
{
    if (c->n_wp == CPU_MAX_WATCHPOINTS || len == 0 || !fn ||
        (uint64_t)addr + len > 1ull << 32 || !(kind & CPU_WATCH_ACCESS))
        return false;
    c->wp[c->n_wp++] = (cpu_watchpoint_t){
        .addr = addr, .len = len, .kind = kind, .fn = fn, .ctx = ctx };
    cpu__watch_regions(c);
    return true;
}

bool cpu_remove_watchpoint(cpu_t *c, uint32_t addr, uint32_t len,
                           cpu_watch_kind_t kind, cpu_watch_fn fn,
                           void *ctx)
{
    for (unsigned i = 0; i < c->n_wp; i++) {
        const cpu_watchpoint_t *w = &c->wp[i];
        if (w->addr != addr || w->len != len || w->kind != kind ||
            w->fn != fn || w->ctx != ctx)
            continue;
        c->wp[i] = c->wp[--c->n_wp];
        cpu__watch_regions(c);
        return true;
    }
    return false;
}

void cpu_set_step(cpu_t *c, cpu_step_fn fn, void *ctx)
{
    c->step_fn = fn;
    c->step_ctx = fn ? ctx : NULL;
}

bool cpu_debug_halted(const cpu_t *c)
{
    return c->dbg_halted;
}

bool cpu__debug_after(cpu_t *c)
{
    /* the handlers may change the set: call them from a copy */
    struct { cpu_watch_fn fn; void *ctx; uint32_t addr;
             cpu_watch_kind_t kind; } hits[CPU_MAX_WATCHPOINTS];
    unsigned n = 0;
    bool halt = false;
    if (c->wp_pending) {
        c->wp_pending = false;
        for (unsigned i = 0; i < c->n_wp; i++) {
            cpu_watchpoint_t *w = &c->wp[i];
            if (!w->hit)
                continue;
            w->hit = false;
            hits[n].fn = w->fn;
            hits[n].ctx = w->ctx;
            hits[n].addr = w->hit_addr;
            hits[n].kind = w->hit_kind;
            n++;
        }
    }
    for (unsigned i = 0; i < n; i++)
        if (hits[i].fn(hits[i].ctx, c, hits[i].addr, hits[i].kind))
            halt = true;
    /* a core that stopped at a breakpoint executed nothing: the step
     * waits for the instruction under it */
    if (c->step_fn && !c->bp_halted) {
        cpu_step_fn fn = c->step_fn;
        c->step_fn = NULL;
        if (fn(c->step_ctx, c))
            halt = true;
    }
    if (!halt)
        return false;
    if (c->state == CPU_RUNNING || c->state == CPU_SLEEPING) {
        c->dbg_state = c->state;
        c->state = CPU_HALTED;
        c->dbg_halted = true;
        c->stop = 0;
    }
    return true;
}
