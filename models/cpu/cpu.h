/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu.h - the ARMv6-M (Cortex-M0) core: a cycle-counted
 * interpreter with NVIC, SysTick, SCB, exceptions, sleep and lockup, a
 * memory bus of direct-pointer regions and MMIO callbacks, and the hook
 * through which a kernel node runs it.
 *
 * Reference: ARMv6-M Architecture Reference Manual (ARM DDI 0419), Cortex-M0
 * Technical Reference Manual r0p0 (ARM DDI 0432C) table 3-1 for cycles.
 * docs/cpu.md has the cycle table, the wait-state model and every
 * simplification.
 *
 * Usage: cpu_init() into storage the caller owns (the struct is large: it
 * holds a 64 KiB page table; embed it in the chip, do not put it on a small
 * stack), cpu_map() the memory, cpu_reset(), then either hand cpu_hook() to
 * a kernel node or drive it directly with cpu_step()/cpu_run_cycles().
 * Each core is self-contained: many cores can live in one process.
 *
 * Notes:
 *  - the host must be little-endian (as the target); memory images are
 *    little-endian byte arrays;
 *  - memory regions must have base and size multiples of 4;
 *  - all time handed to callbacks is exact: the start time of the
 *    instruction plus the cycles before the access. */
#ifndef MODELS_CPU_CPU_H
#define MODELS_CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/clock.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/time.h"

#define CPU_MAX_REGIONS 30
#define CPU_MAX_BREAKPOINTS 32
#define CPU_MAX_WATCHPOINTS 16
#define CPU_NUM_IRQ 32
#define CPU_NUM_EXC (16 + CPU_NUM_IRQ)

/* Exception numbers (ARMv6-M B1.5.2). */
enum {
    CPU_EXC_RESET = 1,
    CPU_EXC_NMI = 2,
    CPU_EXC_HARDFAULT = 3,
    CPU_EXC_SVCALL = 11,
    CPU_EXC_PENDSV = 14,
    CPU_EXC_SYSTICK = 15,
    CPU_EXC_IRQ0 = 16,
};

/* Special registers for cpu_special()/cpu_set_special(). */
typedef enum cpu_special_reg {
    CPU_SPECIAL_XPSR,
    CPU_SPECIAL_MSP,
    CPU_SPECIAL_PSP,
    CPU_SPECIAL_PRIMASK,
    CPU_SPECIAL_CONTROL,
} cpu_special_reg_t;

typedef struct cpu cpu_t;

/* MMIO callbacks. t is the time of the bus cycle. Set *err to report a bus
 * error (the core takes a HardFault); *err is false on entry. size is 1, 2
 * or 4; addr is aligned to size. A read returns the value zero-extended. */
typedef uint32_t (*cpu_mmio_read_fn)(void *ctx, uint32_t addr, unsigned size,
                                     sim_time_t t, bool *err);
typedef void (*cpu_mmio_write_fn)(void *ctx, uint32_t addr, uint32_t value,
                                  unsigned size, sim_time_t t, bool *err);

typedef enum cpu_mem_kind {
    CPU_MEM_RAM,   /* read, write, execute through the host pointer */
    CPU_MEM_ROM,   /* read and execute; a write is a bus error */
    CPU_MEM_FLASH, /* read and execute; a write goes to `write` (a flash
                      controller, which calls cpu_invalidate() for what it
                      changes), or is a bus error if write is NULL */
    CPU_MEM_MMIO,  /* read/write callbacks; executing from it is a fault */
} cpu_mem_kind_t;

typedef struct cpu_map_cfg {
    const char *name;
    cpu_mem_kind_t kind;
    uint32_t base, size;     /* multiples of 4, no overlap */
    uint8_t *host;           /* RAM/ROM/FLASH: size bytes */
    unsigned wait_states;    /* added per data access and per word fetched */
    cpu_mmio_read_fn read;   /* MMIO (NULL: reads are bus errors) */
    cpu_mmio_write_fn write; /* MMIO, FLASH (NULL: writes are bus errors) */
    void *ctx;
} cpu_map_cfg_t;

typedef enum cpu_fault_kind {
    CPU_FAULT_NONE,
    CPU_FAULT_UNDEF,       /* UDF or an undefined encoding */
    CPU_FAULT_UNALIGNED,   /* unaligned data access */
    CPU_FAULT_BUS_READ,    /* read of an unmapped address / callback error */
    CPU_FAULT_BUS_WRITE,   /* write to unmapped, ROM, or callback error */
    CPU_FAULT_FETCH,       /* instruction fetch from unmapped/MMIO/XN */
    CPU_FAULT_INVSTATE,    /* execution with EPSR.T == 0 (BX to even) */
    CPU_FAULT_SVC,         /* SVC with execution priority >= SVCall's */
    CPU_FAULT_BKPT,        /* BKPT with no debugger/semihosting */
    CPU_FAULT_EXC_RETURN,  /* invalid EXC_RETURN or return state */
    CPU_FAULT_STACKING,    /* bus error while stacking on entry */
    CPU_FAULT_UNSTACKING,  /* bus error while unstacking on return */
    CPU_FAULT_VECTOR,      /* bus error reading the vector table */
} cpu_fault_kind_t;

/* What happened, for reports: filled when a HardFault is raised or the
 * core locks up. */
typedef struct cpu_fault {
    cpu_fault_kind_t kind;
    bool lockup;          /* the fault escalated to lockup: core stopped */
    uint32_t pc;          /* address of the faulting instruction */
    uint32_t addr;        /* the data or fetch address involved, else 0 */
    uint32_t r[16];       /* registers at the fault (r[15] == pc) */
    uint32_t xpsr;
    uint64_t cycle;       /* core cycle of the fault */
    sim_time_t time;
} cpu_fault_t;

typedef enum cpu_state {
    CPU_RUNNING,
    CPU_SLEEPING, /* WFI/WFE/sleep-on-exit; wakes on interrupt or event */
    CPU_LOCKUP,   /* a fault at priority < 0; stays until cpu_reset() */
    CPU_HALTED,   /* stopped by cpu_halt() (e.g. semihosting exit) */
} cpu_state_t;

typedef struct cpu_cfg {
    const char *name;        /* for messages and the clock */
    uint64_t hz;             /* core clock, > 0 */
    sim_time_t t0;           /* time of cycle 0 */
    bool small_multiplier;   /* MULS takes 32 cycles instead of 1 */
    bool no_vtor;            /* VTOR reads as zero, writes ignored (r0p0) */
    bool unpriv_ext;         /* CONTROL.nPRIV implemented (else RAZ/WI) */
    uint32_t systick_calib;  /* SYST_CALIB value; 0: derived from hz */
    /* Optional kernel node: lets a sleeping core be woken by its own
     * SysTick (an event is scheduled on this node). */
    sim_node_t *node;
} cpu_cfg_t;

/* SYSRESETREQ written to AIRCR: the owner decides what a reset is (it
 * usually resets peripherals and calls cpu_reset()). Called from inside
 * the instruction's execution at the write's bus time. */
typedef void (*cpu_reset_req_fn)(void *ctx, cpu_t *cpu, sim_time_t t);
/* BKPT 0xAB (semihosting). The callback reads r0/r1 and memory through the
 * accessors below, writes r0, and returns true if handled (execution goes
 * on after the BKPT), false to let it fault. It may call cpu_halt(). */
typedef bool (*cpu_semihost_fn)(void *ctx, cpu_t *cpu);
/* A fault was raised (HardFault taken next) or the core locked up. */
typedef void (*cpu_fault_fn)(void *ctx, cpu_t *cpu, const cpu_fault_t *f);

/* A breakpoint was reached: the core is before the instruction at pc
 * (not executed; r15 == pc, time and cycles as before it). Return true to
 * stop there (the core halts; cpu_resume() goes on and executes that
 * instruction without stopping again), false to execute it now (a
 * breakpoint that only counts). Called from inside the interpreter: it may
 * read state and schedule events, not reset or power the chip. */
typedef bool (*cpu_break_fn)(void *ctx, cpu_t *cpu, uint32_t pc);

typedef struct cpu_breakpoint {
    uint32_t addr;
    cpu_break_fn fn;
    void *ctx;
} cpu_breakpoint_t;

/* What a watchpoint watches, and what an access that hit one was. */
typedef enum cpu_watch_kind {
    CPU_WATCH_WRITE = 1,
    CPU_WATCH_READ = 2,
    CPU_WATCH_ACCESS = 3, /* read or write */
} cpu_watch_kind_t;

/* A data access hit a watchpoint. Called after the instruction that made
 * it (or the exception entry or return whose stacking made it) completed:
 * r15 is the next instruction, time and cycles are after it. addr is the
 * first byte of the access inside the watched range, kind the access's
 * (CPU_WATCH_READ or CPU_WATCH_WRITE). Return true to halt there
 * (cpu_resume() goes on), false to only count. Called from the core's run
 * loop between instructions: it may read and write state, schedule events
 * and stop the kernel, not reset or power the chip, nor add or remove
 * watchpoints. */
typedef bool (*cpu_watch_fn)(void *ctx, cpu_t *cpu, uint32_t addr,
                             cpu_watch_kind_t kind);

typedef struct cpu_watchpoint {
    uint32_t addr, len;
    cpu_watch_kind_t kind;
    cpu_watch_fn fn;
    void *ctx;
    bool hit;                  /* hit by the current instruction */
    uint32_t hit_addr;
    cpu_watch_kind_t hit_kind;
} cpu_watchpoint_t;

/* A single step completed (see cpu_set_step): the core is after the
 * instruction, or after the exception entry it took instead. Return true
 * to halt there. Same context rules as cpu_watch_fn. */
typedef bool (*cpu_step_fn)(void *ctx, cpu_t *cpu);

/* One pre-decoded halfword (private to the core). */
typedef struct cpu_insn {
    uint8_t op;   /* handler index */
    uint8_t cyc;  /* static cycles: base + fetch wait states */
    uint8_t a;    /* first register field (rd / rt / rn for LDM) */
    uint8_t b;    /* second register field or count */
    uint32_t k;   /* immediate, third register, target or register list */
} cpu_insn_t;

/* A mapped region (private to the core). */
typedef struct cpu_region {
    uint32_t base, size;
    uint32_t rsize;        /* size if read directly, else 0 (slow path) */
    uint32_t wsize;        /* size if written directly, else 0 */
    uint8_t *host;
    cpu_insn_t *icache;    /* size/2 + 1 entries once executed from */
    uint32_t ws;
    cpu_mem_kind_t kind;
    cpu_mmio_read_fn read;
    cpu_mmio_write_fn write;
    void *ctx;
    const char *name;
} cpu_region_t;

struct cpu {
    /* --- hot state (the interpreter's) --- */
    uint32_t r[16];          /* r[13] is the current SP; r[15] the PC of
                                the next instruction when not executing */
    uint32_t fn, fz, fc, fv; /* N = fn>>31, Z = (fz == 0), C, V in bit 0 */
    uint64_t cycles;         /* core cycles since t0 */
    uint64_t stop;           /* the interpreter runs while cycles < stop */
    uint64_t insns;          /* instructions executed */
    bool mmio_touched;       /* an MMIO callback ran: re-read the limit */

    /* --- configuration --- */
    const char *name;
    sim_clock_t clk;
    uint8_t mul_cycles;
    bool has_vtor, unpriv_ext;
    uint32_t calib;
    sim_node_t *node;

    /* --- architectural system state --- */
    cpu_state_t state;
    bool handler;            /* Handler mode */
    uint32_t ipsr;           /* exception number in Handler mode */
    bool tbit;               /* EPSR.T */
    uint32_t primask;
    uint32_t spsel, npriv;   /* CONTROL bits */
    uint32_t sp_other;       /* the banked SP not in r[13] */
    bool event_reg;
    bool sleep_wfe;          /* asleep in WFE (else WFI-like) */
    uint32_t vtor, scr;
    uint64_t pend, active;   /* bit = exception number */
    uint32_t irq_en, irq_level;
    int16_t prio[CPU_NUM_EXC];
    bool exc_ready;          /* a pending exception can preempt now */

    /* --- SysTick (see cpu_sys.c) --- */
    uint32_t st_csr, st_rvr; /* CSR: ENABLE | TICKINT (CLKSOURCE reads 1) */
    bool st_countflag;
    uint32_t st_val;         /* value at st_base (frozen when disabled) */
    uint64_t st_base;        /* cycle of the last materialization */
    uint64_t st_fire;        /* next cycle the counter reaches 0 */
    uint64_t st_period;      /* RVR + 1, 0 if RVR == 0 */
    uint64_t st_zero_at;     /* cycle the counter sat at 0 (no reload) */
    uint64_t st_next;        /* st_fire if the core must stop for it */
    sim_event_t st_event;    /* wakes a sleeping core (needs node) */

    /* --- run loop and kernel slice --- */
    uint64_t run_lim;        /* the outer loop runs while cycles < run_lim */
    const sim_time_t *limit_ptr;
    sim_time_t limit_val;
    bool reset_req_seen;     /* SYSRESETREQ written: reported after the
                                instruction, from the outer loop */
    sim_time_t reset_req_time;

    /* --- callbacks --- */
    cpu_reset_req_fn reset_req;
    void *reset_req_ctx;
    cpu_semihost_fn semihost;
    void *semihost_ctx;
    cpu_fault_fn on_fault;
    void *on_fault_ctx;
    cpu_fault_t last_fault;
    uint64_t n_faults;

    /* --- breakpoints (cpu_exec.c marks their decoded entries) --- */
    unsigned n_bp;
    cpu_breakpoint_t bp[CPU_MAX_BREAKPOINTS];
    uint32_t bp_skip;        /* execute the instruction here once without
                                stopping (resumed from a breakpoint) */
    bool bp_halted;          /* halted by a breakpoint */
    cpu_insn_t bp_insn;      /* the real instruction under a breakpoint */

    /* --- watchpoints and single step (cpu_debug.c) --- */
    unsigned n_wp;
    cpu_watchpoint_t wp[CPU_MAX_WATCHPOINTS];
    bool wp_pending;         /* a watchpoint was hit: report it after the
                                instruction */
    cpu_step_fn step_fn;     /* armed single step, or NULL */
    void *step_ctx;
    bool dbg_halted;         /* halted after a watchpoint or a step */
    cpu_state_t dbg_state;   /* the state cpu_resume() returns to */

    /* --- memory --- */
    unsigned n_regions;      /* regions[0] is the empty "unmapped" one */
    cpu_region_t regions[CPU_MAX_REGIONS + 2];
    uint8_t page[65536];     /* region index per 64 KiB page */
};

/* Lifecycle. cpu_init does not reset: map memory, then cpu_reset(). */
void cpu_init(cpu_t *cpu, const cpu_cfg_t *cfg);
void cpu_cleanup(cpu_t *cpu);
/* Maps a region; returns its index (for cpu_set_wait_states). Overlap or a
 * bad alignment is fatal. */
int cpu_map(cpu_t *cpu, const cpu_map_cfg_t *m);
void cpu_set_wait_states(cpu_t *cpu, int region, unsigned ws);
/* Reset: core registers, NVIC, SysTick, SCB to their reset values; MSP
 * from word 0 and PC from word 1 of the vector table at VTOR (0 after
 * reset). Keeps the cycle counter. A bad reset vector locks up. */
void cpu_reset(cpu_t *cpu);

/* Kernel integration (see sim_cpu_hook_t in sim/sim.h). */
void cpu_hook(cpu_t *cpu, sim_cpu_hook_t *out);
void cpu_set_node(cpu_t *cpu, sim_node_t *node);

/* Standalone driving. cpu_step executes one instruction, or takes one
 * exception (entry), and returns the cycles it took; a sleeping, locked
 * or halted core does nothing and returns 0. cpu_run_cycles runs
 * instructions starting in the next max cycles (sleep skips cycles at no
 * cost; SysTick still wakes it) and returns the cycles elapsed. */
unsigned cpu_step(cpu_t *cpu);
uint64_t cpu_run_cycles(cpu_t *cpu, uint64_t max);

/* Interrupt lines and events from peripherals. Level semantics: while the
 * line is high and the IRQ not active, it is pending (it re-pends after
 * its handler returns if still high). cpu_pulse_irq pends it once. */
void cpu_set_irq(cpu_t *cpu, unsigned irq, bool level);
void cpu_pulse_irq(cpu_t *cpu, unsigned irq);
void cpu_set_nmi(cpu_t *cpu);
void cpu_event(cpu_t *cpu); /* external event (RXEV) for WFE */

/* Callbacks. */
void cpu_set_reset_request(cpu_t *cpu, cpu_reset_req_fn fn, void *ctx);
void cpu_set_semihost(cpu_t *cpu, cpu_semihost_fn fn, void *ctx);
void cpu_set_fault_handler(cpu_t *cpu, cpu_fault_fn fn, void *ctx);

/* Breakpoints: add returns false if CPU_MAX_BREAKPOINTS are set or addr
 * is odd. Several may share an address (each handler is called; the core
 * stops if any returns true). Remove takes the one with that addr, fn and
 * ctx. A breakpoint costs nothing until it is reached. */
bool cpu_add_breakpoint(cpu_t *cpu, uint32_t addr, cpu_break_fn fn,
                        void *ctx);
bool cpu_remove_breakpoint(cpu_t *cpu, uint32_t addr, cpu_break_fn fn,
                           void *ctx);
/* The core halted at a breakpoint (and has not been resumed). */
bool cpu_at_breakpoint(const cpu_t *cpu);

/* Watchpoints (docs/cpu.md "Watchpoints"): every data access of the core
 * that touches [addr, addr+len) and is of the kind watched calls fn after
 * its instruction. Add returns false if CPU_MAX_WATCHPOINTS are set, len
 * is 0 or the range wraps. While any is set, the accesses of the regions
 * it overlaps take the core's slow path (no change to timing); none set,
 * they cost nothing. Remove takes the one with exactly these arguments. */
bool cpu_add_watchpoint(cpu_t *cpu, uint32_t addr, uint32_t len,
                        cpu_watch_kind_t kind, cpu_watch_fn fn, void *ctx);
bool cpu_remove_watchpoint(cpu_t *cpu, uint32_t addr, uint32_t len,
                           cpu_watch_kind_t kind, cpu_watch_fn fn,
                           void *ctx);
/* Single step (a debugger's): fn is called after the next instruction the
 * core executes, or the next exception entry it takes, wherever it runs
 * (a sleeping or held core steps when it runs again; a core that halts at
 * a breakpoint first keeps the step armed). One shot. NULL fn disarms. */
void cpu_set_step(cpu_t *cpu, cpu_step_fn fn, void *ctx);
/* The core halted after a watchpoint or a step (and was not resumed). */
bool cpu_debug_halted(const cpu_t *cpu);

/* Code in [addr, addr+len) changed behind the core's back (flash
 * controller, DMA): drop its decoded instructions. */
void cpu_invalidate(cpu_t *cpu, uint32_t addr, uint32_t len);
/* Decodes [addr, addr+len) of ROM, flash or RAM now instead of at first
 * execution; changes no simulated state. For code that never changes
 * (a boot ROM): a forked sweep child then finds it decoded and never
 * writes (copies) those pages of the cache (docs/performance.md). */
void cpu_predecode(cpu_t *cpu, uint32_t addr, uint32_t len);

/* State and accessors for tools and a debugger. */
cpu_state_t cpu_state(const cpu_t *cpu);
bool cpu_is_active(const cpu_t *cpu);
void cpu_halt(cpu_t *cpu);
/* A halted core runs again (one halted by a watchpoint or a step goes
 * back to the state it was in: running or asleep). */
void cpu_resume(cpu_t *cpu);
uint64_t cpu_cycles(const cpu_t *cpu);
uint64_t cpu_instructions(const cpu_t *cpu);
sim_time_t cpu_time(const cpu_t *cpu); /* start of the next instruction */
uint32_t cpu_reg(const cpu_t *cpu, unsigned n);  /* r0..r15 */
void cpu_set_reg(cpu_t *cpu, unsigned n, uint32_t v);
uint32_t cpu_special(const cpu_t *cpu, cpu_special_reg_t reg);
void cpu_set_special(cpu_t *cpu, cpu_special_reg_t reg, uint32_t v);
/* Debug memory access: direct memory only (no MMIO side effects); writes
 * also go into ROM/flash and invalidate decoded code. Return false if any
 * byte is not in direct memory. */
bool cpu_read_mem(const cpu_t *cpu, uint32_t addr, void *buf, size_t len);
bool cpu_write_mem(cpu_t *cpu, uint32_t addr, const void *buf, size_t len);
/* Last fault record (kind CPU_FAULT_NONE if none) and the fault count. */
const cpu_fault_t *cpu_last_fault(const cpu_t *cpu);
uint64_t cpu_fault_count(const cpu_t *cpu);
const char *cpu_fault_name(cpu_fault_kind_t kind);
/* Pending/active bit masks by exception number (tests, reports). */
uint64_t cpu_pending(const cpu_t *cpu);
uint64_t cpu_active_exceptions(const cpu_t *cpu);

#endif /* MODELS_CPU_CPU_H */
