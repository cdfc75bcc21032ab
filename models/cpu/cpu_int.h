/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu_int.h - what the core's files share and nobody else sees:
 * cpu.c (lifecycle, bus, run loops, hook), cpu_sys.c (exceptions, NVIC,
 * SysTick, SCB), cpu_exec.c (decoder and interpreter). */
#ifndef MODELS_CPU_CPU_INT_H
#define MODELS_CPU_CPU_INT_H

#include <string.h>

#include "models/cpu/cpu.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "models/cpu needs a little-endian host"
#endif

#define CPU_NEVER UINT64_MAX
#define CPU_NO_BP UINT32_MAX /* bp_skip: none (never an instruction) */

/* regions[0] is "unmapped"; regions[CPU_REGION_MULTI] stands for a 64 KiB
 * page shared by several regions (the slow path searches). */
#define CPU_REGION_MULTI (CPU_MAX_REGIONS + 1)

/* Priority of Thread mode with nothing active (above every real level). */
#define CPU_PRIO_THREAD 256

#define CPU_LIKELY(x) __builtin_expect(!!(x), 1)
#define CPU_UNLIKELY(x) __builtin_expect(!!(x), 0)

static inline uint32_t cpu_ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint16_t cpu_ld16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static inline void cpu_st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void cpu_st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* Drops the decoded entries that cover bytes [off, off+size) of a region,
 * including a 32-bit instruction that starts one halfword earlier. */
static inline void cpu_icache_drop(cpu_insn_t *ic, uint32_t off,
                                   uint32_t size)
{
    uint32_t first = off >> 1, last = (off + size - 1) >> 1;
    if (first)
        first--;
    /* only entries that hold something: a write would dirty the page
     * (in a forked sweep child, a copy-on-write fault) for nothing */
    for (uint32_t i = first; i <= last; i++)
        if (ic[i].op)
            ic[i] = (cpu_insn_t){ 0 };
}

/* cpu.c */
const cpu_region_t *cpu__find(const cpu_t *c, uint32_t addr);
/* The first breakpoint at addr, or -1. */
int cpu__bp_index(const cpu_t *c, uint32_t addr);
bool cpu__exec_ok(const cpu_region_t *rg, uint32_t addr);
void cpu__alloc_icache(cpu_region_t *rg);
/* Slow bus paths: MMIO, PPB, flash writes, faults. cyc is the access's
 * core cycle; they add the region's wait states to *cycp. They return
 * false on a bus error. After an MMIO or PPB access they set c->stop = 0
 * (the interpreter stops after the instruction) and c->mmio_touched. */
bool cpu__read_slow(cpu_t *c, uint32_t addr, unsigned size, uint64_t cyc,
                    uint64_t *cycp, uint32_t *out);
bool cpu__write_slow(cpu_t *c, uint32_t addr, uint32_t v, unsigned size,
                     uint64_t cyc, uint64_t *cycp);
/* Plain bus access for stacking and vectors (uses the fast path too). */
bool cpu__read32(cpu_t *c, uint32_t addr, uint64_t cyc, uint64_t *cycp,
                 uint32_t *out);
bool cpu__write32(cpu_t *c, uint32_t addr, uint32_t v, uint64_t cyc,
                  uint64_t *cycp);
/* Wait states of an instruction fetch at addr (0 if not executable). */
uint32_t cpu__fetch_ws(const cpu_t *c, uint32_t addr);

/* cpu_debug.c */
/* A data access of size bytes at a (kind: CPU_WATCH_READ or _WRITE) on
 * the slow path: marks the watchpoints it hits and makes the interpreter
 * stop after the instruction. Only called while c->n_wp > 0. */
void cpu__watch_access(cpu_t *c, uint32_t a, unsigned size,
                       cpu_watch_kind_t kind);
/* Forgets hits not reported yet (the vector reads of a reset). */
void cpu__watch_forget(cpu_t *c);
/* Sets every region's direct sizes: 0 where a watchpoint of that
 * direction overlaps it (slow path), else the region's size. */
void cpu__watch_regions(cpu_t *c);
/* After an instruction or exception entry (c->wp_pending or c->step_fn):
 * reports hits and a completed step to their handlers; returns true if
 * the core halted. */
bool cpu__debug_after(cpu_t *c);

/* cpu_sys.c */
void cpu__sys_reset(cpu_t *c);
void cpu__exc_update(cpu_t *c);
bool cpu__wake_ready(const cpu_t *c);
/* Raises a synchronous fault for the instruction at pc (c's registers and
 * flags must be up to date, r[15] = return address): HardFault pending,
 * or lockup at priority < 0. */
void cpu__fault(cpu_t *c, cpu_fault_kind_t kind, uint32_t pc, uint32_t addr);
/* Takes the highest pending exception if it can preempt; returns whether
 * it did (cycles charged). */
bool cpu__take_exception(cpu_t *c);
/* Exception return with EXC_RETURN value excret; c->cycles is the start
 * of the returning instruction plus its cycles. */
void cpu__exc_return(cpu_t *c, uint32_t excret, uint64_t acc_cyc);
void cpu__svc(cpu_t *c, uint32_t pc);
void cpu__wfi(cpu_t *c);
void cpu__wfe(cpu_t *c);
uint32_t cpu__xpsr(const cpu_t *c);
uint32_t cpu__mrs(cpu_t *c, uint32_t sysm);
void cpu__msr(cpu_t *c, uint32_t sysm, uint32_t v);
void cpu__set_sp(cpu_t *c, bool psp, uint32_t v);
uint32_t cpu__get_sp(const cpu_t *c, bool psp);
bool cpu__ppb_read(cpu_t *c, uint32_t addr, unsigned size, uint64_t cyc,
                   uint32_t *out);
bool cpu__ppb_write(cpu_t *c, uint32_t addr, uint32_t v, unsigned size,
                    uint64_t cyc);
void cpu__systick_advance(cpu_t *c, uint64_t cyc);
void cpu__sleep_event(sim_event_t *ev, sim_time_t now);
void cpu__lockup(cpu_t *c);

/* cpu_exec.c */
/* Runs instructions from c->r[15] while c->cycles < c->stop. */
void cpu__exec(cpu_t *c);
void cpu__decode(const cpu_t *c, const cpu_region_t *rg, uint32_t off,
                 cpu_insn_t *out);

#endif /* MODELS_CPU_CPU_INT_H */
