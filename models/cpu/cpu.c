/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu.c - the core's lifecycle, memory map and slow bus paths,
 * run loops (standalone and as a kernel node's CPU hook), accessors.
 *
 * Reference: ARMv6-M Architecture Reference Manual (DDI 0419) B1.5.5
 * (reset), B3.1 (default memory map, XN regions); sim/sim.h for the hook
 * contract.
 *
 * Notes:
 *  - reset takes no cycles (the vector fetches are not charged);
 *  - instruction fetch is allowed from 0x00000000-0x3FFFFFFF and
 *    0x60000000-0x9FFFFFFF only (the XN regions of the default map fault),
 *    and only from RAM/ROM/flash regions;
 *  - an MMIO or flash-write callback must not call cpu_reset() (schedule an
 *    event instead); SYSRESETREQ is reported after its instruction, so its
 *    callback may. */
#include "models/cpu/cpu_int.h"

#include <stdlib.h>

#include "sim/fatal.h"

static const uint32_t size_mask[5] = { 0, 0xFFu, 0xFFFFu, 0, 0xFFFFFFFFu };

void cpu_init(cpu_t *c, const cpu_cfg_t *cfg)
{
    memset(c, 0, sizeof *c);
    c->name = cfg->name ? cfg->name : "cpu";
    sim_clock_init(&c->clk, c->name, cfg->hz, cfg->t0);
    c->mul_cycles = cfg->small_multiplier ? 32 : 1;
    c->has_vtor = !cfg->no_vtor;
    c->unpriv_ext = cfg->unpriv_ext;
    c->calib = cfg->systick_calib;
    if (!c->calib) {
        /* NOREF: no reference clock; TENMS: cycles in 10 ms, SKEW if the
         * 10 ms are not a whole number of cycles */
        uint64_t tenms = cfg->hz / 100;
        c->calib = 0x80000000u;
        if (tenms > 0 && tenms - 1 <= 0xFFFFFF)
            c->calib |= (uint32_t)(tenms - 1);
        if (cfg->hz % 100)
            c->calib |= 0x40000000u;
    }
    c->node = cfg->node;
    sim_event_init(&c->st_event, "systick-wake", cpu__sleep_event, c);
    c->n_regions = 1; /* regions[0]: unmapped */
    c->fz = 1;
    c->tbit = true;
    c->state = CPU_HALTED; /* until cpu_reset() */
    c->bp_skip = CPU_NO_BP;
    c->st_fire = c->st_next = c->st_zero_at = CPU_NEVER;
}

void cpu_cleanup(cpu_t *c)
{
    for (unsigned i = 1; i < c->n_regions; i++) {
        free(c->regions[i].icache);
        c->regions[i].icache = NULL;
    }
    if (c->node && sim_event_scheduled(&c->st_event))
        sim_cancel(c->node, &c->st_event);
}

void cpu_set_node(cpu_t *c, sim_node_t *node)
{
    if (c->node && sim_event_scheduled(&c->st_event))
        sim_cancel(c->node, &c->st_event);
    c->node = node;
}

int cpu_map(cpu_t *c, const cpu_map_cfg_t *m)
{
    const char *nm = m->name ? m->name : "?";
    uint64_t end = (uint64_t)m->base + m->size;
    if (c->n_regions > CPU_MAX_REGIONS)
        sim_fatal_plain("cpu '%s': too many regions (max %d)", c->name,
                        CPU_MAX_REGIONS);
    if (m->size == 0 || (m->base & 3) || (m->size & 3) || end > 1ull << 32)
        sim_fatal_plain("cpu '%s': region '%s' base 0x%08x size 0x%x: must "
                        "be non-empty, 4-aligned, below 4 GiB",
                        c->name, nm, m->base, m->size);
    if (m->kind != CPU_MEM_MMIO && !m->host)
        sim_fatal_plain("cpu '%s': memory region '%s' has no host memory",
                        c->name, nm);
    if (m->base < 0xE0100000u && end > 0xE0000000u)
        sim_fatal_plain("cpu '%s': region '%s' overlaps the PPB "
                        "(0xE0000000-0xE00FFFFF), which the core owns",
                        c->name, nm);
    if (m->wait_states > 64)
        sim_fatal_plain("cpu '%s': region '%s': %u wait states (max 64)",
                        c->name, nm, m->wait_states);
    for (unsigned i = 1; i < c->n_regions; i++) {
        const cpu_region_t *o = &c->regions[i];
        if (m->base < (uint64_t)o->base + o->size && o->base < end)
            sim_fatal_plain("cpu '%s': region '%s' overlaps '%s'", c->name,
                            nm, o->name);
    }
    unsigned idx = c->n_regions++;
    cpu_region_t *rg = &c->regions[idx];
    memset(rg, 0, sizeof *rg);
    rg->name = nm;
    rg->kind = m->kind;
    rg->base = m->base;
    rg->size = m->size;
    rg->host = m->kind == CPU_MEM_MMIO ? NULL : m->host;
    rg->rsize = m->kind == CPU_MEM_MMIO ? 0 : m->size;
    rg->wsize = m->kind == CPU_MEM_RAM ? m->size : 0;
    rg->ws = m->wait_states;
    rg->read = m->read;
    rg->write = m->write;
    rg->ctx = m->ctx;
    for (uint64_t p = m->base >> 16; p <= (end - 1) >> 16; p++)
        c->page[p] = c->page[p] ? CPU_REGION_MULTI : (uint8_t)idx;
    if (c->n_wp)
        cpu__watch_regions(c);
    return (int)idx;
}

static void icache_clear(cpu_region_t *rg)
{
    if (rg->icache)
        memset(rg->icache, 0, (rg->size / 2) * sizeof *rg->icache);
}

void cpu_set_wait_states(cpu_t *c, int region, unsigned ws)
{
    if (region < 1 || (unsigned)region >= c->n_regions || ws > 64)
        sim_fatal_plain("cpu '%s': bad region %d or wait states %u", c->name,
                        region, ws);
    c->regions[region].ws = ws;
    /* fetch wait states are baked into decoded cycle counts */
    for (unsigned i = 1; i < c->n_regions; i++)
        icache_clear(&c->regions[i]);
}

const cpu_region_t *cpu__find(const cpu_t *c, uint32_t addr)
{
    for (unsigned i = 1; i < c->n_regions; i++) {
        const cpu_region_t *rg = &c->regions[i];
        if (addr - rg->base < rg->size)
            return rg;
    }
    return NULL;
}

bool cpu__exec_ok(const cpu_region_t *rg, uint32_t addr)
{
    if (rg->kind == CPU_MEM_MMIO || !rg->host)
        return false;
    return addr < 0x40000000u || (addr >= 0x60000000u && addr < 0xA0000000u);
}

void cpu__alloc_icache(cpu_region_t *rg)
{
    size_t n = rg->size / 2 + 1;
    rg->icache = calloc(n, sizeof *rg->icache);
    if (!rg->icache)
        sim_fatal_plain("out of memory (decoded code of '%s')", rg->name);
    rg->icache[n - 1].op = 1; /* OP_END sentinel */
}

uint32_t cpu__fetch_ws(const cpu_t *c, uint32_t addr)
{
    const cpu_region_t *rg = cpu__find(c, addr);
    return rg && cpu__exec_ok(rg, addr) ? rg->ws : 0;
}

void cpu_invalidate(cpu_t *c, uint32_t addr, uint32_t len)
{
    if (!len)
        return;
    uint64_t end = (uint64_t)addr + len;
    for (unsigned i = 1; i < c->n_regions; i++) {
        cpu_region_t *rg = &c->regions[i];
        uint64_t lo = rg->base > addr ? rg->base : addr;
        uint64_t hi = (uint64_t)rg->base + rg->size;
        if (end < hi)
            hi = end;
        if (!rg->icache || lo >= hi)
            continue;
        cpu_icache_drop(rg->icache, (uint32_t)(lo - rg->base),
                        (uint32_t)(hi - lo));
    }
}

void cpu_predecode(cpu_t *c, uint32_t addr, uint32_t len)
{
    cpu_region_t *rg = (cpu_region_t *)cpu__find(c, addr);
    if (!rg || !cpu__exec_ok(rg, addr))
        return;
    uint32_t off = (addr - rg->base) & ~1u;
    uint64_t end = (uint64_t)addr - rg->base + len;
    if (end > rg->size)
        end = rg->size;
    if (!rg->icache)
        cpu__alloc_icache(rg);
    for (; off < end; off += 2) {
        cpu_insn_t *in = &rg->icache[off >> 1];
        if (in->op == 0 && cpu__bp_index(c, rg->base + off) < 0)
            cpu__decode(c, rg, off, in);
    }
}

/* ------------------------------------------------------------------ */
/* Slow bus paths                                                      */

/* After an MMIO callback: if it moved the kernel's slice limit, make the
 * interpreter stop after this instruction so the limit is re-read. */
static void after_mmio(cpu_t *c)
{
    c->mmio_touched = true;
    if (c->limit_ptr && *c->limit_ptr != c->limit_val)
        c->stop = 0;
}

bool cpu__read_slow(cpu_t *c, uint32_t a, unsigned size, uint64_t cyc,
                    uint64_t *cycp, uint32_t *out)
{
    if (CPU_UNLIKELY(c->n_wp))
        cpu__watch_access(c, a, size, CPU_WATCH_READ);
    const cpu_region_t *rg = cpu__find(c, a);
    if (rg) {
        uint32_t off = a - rg->base;
        *cycp += rg->ws;
        if (rg->host) { /* direct memory: in a shared page, or watched */
            const uint8_t *p = rg->host + off;
            *out = size == 4 ? cpu_ld32(p) : size == 2 ? cpu_ld16(p) : *p;
            return true;
        }
        if (!rg->read)
            return false;
        bool err = false;
        *out = rg->read(rg->ctx, a, size, sim_clock_edge(&c->clk, cyc),
                        &err) & size_mask[size];
        after_mmio(c);
        return !err;
    }
    if (a >= 0xE0000000u && a < 0xE0100000u)
        return cpu__ppb_read(c, a, size, cyc, out);
    return false;
}

bool cpu__write_slow(cpu_t *c, uint32_t a, uint32_t v, unsigned size,
                     uint64_t cyc, uint64_t *cycp)
{
    if (CPU_UNLIKELY(c->n_wp))
        cpu__watch_access(c, a, size, CPU_WATCH_WRITE);
    const cpu_region_t *crg = cpu__find(c, a);
    if (crg) {
        cpu_region_t *rg = &c->regions[crg - c->regions];
        uint32_t off = a - rg->base;
        *cycp += rg->ws;
        if (rg->kind == CPU_MEM_RAM) { /* shared page, or watched */
            uint8_t *p = rg->host + off;
            if (size == 4)
                cpu_st32(p, v);
            else if (size == 2)
                cpu_st16(p, (uint16_t)v);
            else
                *p = (uint8_t)v;
            if (rg->icache)
                cpu_icache_drop(rg->icache, off, size);
            return true;
        }
        if (!rg->write || rg->kind == CPU_MEM_ROM)
            return false;
        bool err = false;
        rg->write(rg->ctx, a, v & size_mask[size], size,
                  sim_clock_edge(&c->clk, cyc), &err);
        after_mmio(c);
        return !err;
    }
    if (a >= 0xE0000000u && a < 0xE0100000u)
        return cpu__ppb_write(c, a, v, size, cyc);
    return false;
}

bool cpu__read32(cpu_t *c, uint32_t a, uint64_t cyc, uint64_t *cycp,
                 uint32_t *out)
{
    if (a & 3)
        return false;
    const cpu_region_t *rg = &c->regions[c->page[a >> 16]];
    uint32_t off = a - rg->base;
    if (off < rg->rsize) {
        *out = cpu_ld32(rg->host + off);
        *cycp += rg->ws;
        return true;
    }
    return cpu__read_slow(c, a, 4, cyc, cycp, out);
}

bool cpu__write32(cpu_t *c, uint32_t a, uint32_t v, uint64_t cyc,
                  uint64_t *cycp)
{
    if (a & 3)
        return false;
    return cpu__write_slow(c, a, v, 4, cyc, cycp);
}

/* ------------------------------------------------------------------ */
/* Reset and run loops                                                 */

void cpu_reset(cpu_t *c)
{
    memset(c->r, 0, sizeof c->r);
    c->fn = 0;
    c->fz = 1;
    c->fc = 0;
    c->fv = 0;
    cpu__sys_reset(c);
    c->state = CPU_RUNNING;
    c->bp_halted = false;
    c->bp_skip = CPU_NO_BP;
    c->dbg_halted = false;
    uint32_t sp = 0, pc = 0;
    uint64_t ws = 0;
    bool ok = cpu__read32(c, 0, c->cycles, &ws, &sp) &&
              cpu__read32(c, 4, c->cycles, &ws, &pc);
    if (c->n_wp)
        cpu__watch_forget(c); /* the reset is not the program's access */
    c->r[13] = sp & ~3u;
    c->r[14] = 0xFFFFFFFFu;
    c->r[15] = pc & ~1u;
    c->tbit = pc & 1;
    if (!ok) {
        c->handler = true; /* the reset "handler" is at priority -3 */
        c->active = 1ull << CPU_EXC_RESET;
        cpu__fault(c, CPU_FAULT_VECTOR, 0, 0);
        c->active = 0;
        c->handler = false;
    }
}

static void wake(cpu_t *c)
{
    if (c->sleep_wfe)
        c->event_reg = false;
    c->state = CPU_RUNNING;
    if (c->node && sim_event_scheduled(&c->st_event))
        sim_cancel(c->node, &c->st_event);
}

/* The outer loop: runs while cycles < c->run_lim. A sleeping core skips
 * to the limit or its SysTick wake-up if skip_sleep, else returns. */
static void run_loop(cpu_t *c, bool skip_sleep)
{
    while (c->cycles < c->run_lim) {
        if (c->state != CPU_RUNNING) {
            if (c->state != CPU_SLEEPING)
                break;
            cpu__systick_advance(c, c->cycles);
            if (cpu__wake_ready(c)) {
                wake(c);
                continue;
            }
            if (!skip_sleep)
                break;
            uint64_t to = c->st_next < c->run_lim ? c->st_next : c->run_lim;
            c->cycles = to;
            continue;
        }
        if (c->st_next <= c->cycles) {
            cpu__systick_advance(c, c->cycles);
            continue;
        }
        if (c->exc_ready) {
            c->bp_skip = CPU_NO_BP; /* the return meets the breakpoint */
            cpu__take_exception(c);
        } else if (!c->tbit) {
            cpu__fault(c, CPU_FAULT_INVSTATE, c->r[15], c->r[15]);
        } else {
            c->stop = c->st_next < c->run_lim ? c->st_next : c->run_lim;
            if (CPU_UNLIKELY(c->step_fn != NULL) && c->stop > c->cycles + 1)
                c->stop = c->cycles + 1; /* one instruction */
            cpu__exec(c);
            if (c->reset_req_seen) {
                c->reset_req_seen = false;
                if (c->reset_req)
                    c->reset_req(c->reset_req_ctx, c, c->reset_req_time);
                else
                    cpu_reset(c);
            }
            if (c->mmio_touched) {
                c->mmio_touched = false;
                if (c->limit_ptr && *c->limit_ptr != c->limit_val) {
                    c->limit_val = *c->limit_ptr;
                    c->run_lim = sim_clock_edge_at_or_after(&c->clk,
                                                            c->limit_val);
                }
            }
        }
        /* watchpoints hit and a single step: after the instruction */
        if (CPU_UNLIKELY(c->wp_pending || c->step_fn) && cpu__debug_after(c))
            break;
    }
}

unsigned cpu_step(cpu_t *c)
{
    uint64_t start = c->cycles;
    c->run_lim = start + 1;
    run_loop(c, false);
    return (unsigned)(c->cycles - start);
}

uint64_t cpu_run_cycles(cpu_t *c, uint64_t max)
{
    uint64_t start = c->cycles;
    c->run_lim = max > CPU_NEVER - start ? CPU_NEVER : start + max;
    run_loop(c, true);
    return c->cycles - start;
}

static sim_time_t hook_run(void *p, sim_time_t now, const sim_time_t *limit)
{
    cpu_t *c = p;
    uint64_t nc = sim_clock_edge_at_or_after(&c->clk, now);
    if (c->cycles < nc) {
        /* asleep (or stopped) until now: those cycles passed */
        c->cycles = nc;
        cpu__systick_advance(c, nc);
    }
    c->limit_ptr = limit;
    c->limit_val = *limit;
    c->run_lim = sim_clock_edge_at_or_after(&c->clk, c->limit_val);
    run_loop(c, false);
    c->limit_ptr = NULL;
    return sim_clock_edge(&c->clk, c->cycles);
}

static bool hook_active(void *p)
{
    return cpu_is_active(p);
}

void cpu_hook(cpu_t *c, sim_cpu_hook_t *out)
{
    out->run = hook_run;
    out->active = hook_active;
    out->cpu = c;
}

/* ------------------------------------------------------------------ */
/* Callbacks and accessors                                             */

void cpu_set_reset_request(cpu_t *c, cpu_reset_req_fn fn, void *ctx)
{
    c->reset_req = fn;
    c->reset_req_ctx = ctx;
}

void cpu_set_semihost(cpu_t *c, cpu_semihost_fn fn, void *ctx)
{
    c->semihost = fn;
    c->semihost_ctx = ctx;
}

void cpu_set_fault_handler(cpu_t *c, cpu_fault_fn fn, void *ctx)
{
    c->on_fault = fn;
    c->on_fault_ctx = ctx;
}

cpu_state_t cpu_state(const cpu_t *c) { return c->state; }

bool cpu_is_active(const cpu_t *c)
{
    return cpu__wake_ready(c);
}

void cpu_halt(cpu_t *c)
{
    if (c->state == CPU_RUNNING || c->state == CPU_SLEEPING) {
        c->state = CPU_HALTED;
        c->stop = 0;
    }
}

void cpu_resume(cpu_t *c)
{
    if (c->dbg_halted) {
        c->dbg_halted = false;
        if (c->state == CPU_HALTED)
            c->state = c->dbg_state;
        return;
    }
    if (c->state == CPU_HALTED)
        c->state = CPU_RUNNING;
    if (c->bp_halted) {
        c->bp_halted = false;
        /* only a breakpoint still there is passed once: a stale skip
         * would miss the next real hit at that address */
        if (cpu__bp_index(c, c->r[15]) >= 0)
            c->bp_skip = c->r[15];
    }
}

/* ------------------------------------------------------------------ */
/* Breakpoints                                                         */

int cpu__bp_index(const cpu_t *c, uint32_t addr)
{
    for (unsigned i = 0; i < c->n_bp; i++)
        if (c->bp[i].addr == addr)
            return (int)i;
    return -1;
}

/* The decoded entry at addr is made again: marked or not. */
static void bp_redecode(cpu_t *c, uint32_t addr)
{
    const cpu_region_t *rg = cpu__find(c, addr);
    if (rg && rg->icache)
        cpu_icache_drop(rg->icache, addr - rg->base, 2);
}

bool cpu_add_breakpoint(cpu_t *c, uint32_t addr, cpu_break_fn fn,
                        void *ctx)
{
    if (c->n_bp == CPU_MAX_BREAKPOINTS || (addr & 1) || !fn)
        return false;
    c->bp[c->n_bp++] = (cpu_breakpoint_t){ addr, fn, ctx };
    bp_redecode(c, addr);
    return true;
}

bool cpu_remove_breakpoint(cpu_t *c, uint32_t addr, cpu_break_fn fn,
                           void *ctx)
{
    for (unsigned i = 0; i < c->n_bp; i++) {
        if (c->bp[i].addr != addr || c->bp[i].fn != fn ||
            c->bp[i].ctx != ctx)
            continue;
        c->bp[i] = c->bp[--c->n_bp];
        bp_redecode(c, addr);
        if (c->bp_skip == addr && cpu__bp_index(c, addr) < 0)
            c->bp_skip = CPU_NO_BP;
        return true;
    }
    return false;
}

bool cpu_at_breakpoint(const cpu_t *c)
{
    return c->bp_halted;
}

uint64_t cpu_cycles(const cpu_t *c) { return c->cycles; }
uint64_t cpu_instructions(const cpu_t *c) { return c->insns; }

sim_time_t cpu_time(const cpu_t *c)
{
    return sim_clock_edge(&c->clk, c->cycles);
}

uint32_t cpu_reg(const cpu_t *c, unsigned n)
{
    return n < 16 ? c->r[n] : 0;
}

void cpu_set_reg(cpu_t *c, unsigned n, uint32_t v)
{
    if (n == 13)
        v &= ~3u;
    else if (n == 15)
        v &= ~1u;
    if (n < 16)
        c->r[n] = v;
}

uint32_t cpu_special(const cpu_t *c, cpu_special_reg_t reg)
{
    switch (reg) {
    case CPU_SPECIAL_XPSR: return cpu__xpsr(c);
    case CPU_SPECIAL_MSP: return cpu__get_sp(c, false);
    case CPU_SPECIAL_PSP: return cpu__get_sp(c, true);
    case CPU_SPECIAL_PRIMASK: return c->primask;
    case CPU_SPECIAL_CONTROL: return c->npriv | (c->spsel << 1);
    }
    return 0;
}

void cpu_set_special(cpu_t *c, cpu_special_reg_t reg, uint32_t v)
{
    switch (reg) {
    case CPU_SPECIAL_XPSR:
        cpu__msr(c, 0, v);
        c->tbit = (v >> 24) & 1;
        break;
    case CPU_SPECIAL_MSP: cpu__set_sp(c, false, v); break;
    case CPU_SPECIAL_PSP: cpu__set_sp(c, true, v); break;
    case CPU_SPECIAL_PRIMASK:
        c->primask = v & 1;
        cpu__exc_update(c);
        break;
    case CPU_SPECIAL_CONTROL: {
        uint32_t npriv = c->npriv;
        c->npriv = 0; /* the debugger is privileged */
        cpu__msr(c, 20, v);
        if (!c->unpriv_ext)
            c->npriv = npriv;
        break;
    }
    }
}

bool cpu_read_mem(const cpu_t *c, uint32_t addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    for (size_t i = 0; i < len; i++) {
        uint32_t a = addr + (uint32_t)i;
        const cpu_region_t *rg = cpu__find(c, a);
        if (!rg || !rg->host)
            return false;
        out[i] = rg->host[a - rg->base];
    }
    return true;
}

bool cpu_write_mem(cpu_t *c, uint32_t addr, const void *buf, size_t len)
{
    const uint8_t *in = buf;
    for (size_t i = 0; i < len; i++) {
        uint32_t a = addr + (uint32_t)i;
        const cpu_region_t *rg = cpu__find(c, a);
        if (!rg || !rg->host)
            return false;
        rg->host[a - rg->base] = in[i];
    }
    cpu_invalidate(c, addr, (uint32_t)len);
    return true;
}

const cpu_fault_t *cpu_last_fault(const cpu_t *c) { return &c->last_fault; }
uint64_t cpu_fault_count(const cpu_t *c) { return c->n_faults; }
uint64_t cpu_pending(const cpu_t *c) { return c->pend; }
uint64_t cpu_active_exceptions(const cpu_t *c) { return c->active; }

const char *cpu_fault_name(cpu_fault_kind_t kind)
{
    static const char *const names[] = {
        [CPU_FAULT_NONE] = "none",
        [CPU_FAULT_UNDEF] = "undefined instruction",
        [CPU_FAULT_UNALIGNED] = "unaligned access",
        [CPU_FAULT_BUS_READ] = "bus error (read)",
        [CPU_FAULT_BUS_WRITE] = "bus error (write)",
        [CPU_FAULT_FETCH] = "instruction fetch fault",
        [CPU_FAULT_INVSTATE] = "invalid state (Thumb bit clear)",
        [CPU_FAULT_SVC] = "SVC at too high a priority",
        [CPU_FAULT_BKPT] = "breakpoint",
        [CPU_FAULT_EXC_RETURN] = "invalid exception return",
        [CPU_FAULT_STACKING] = "bus error while stacking",
        [CPU_FAULT_UNSTACKING] = "bus error while unstacking",
        [CPU_FAULT_VECTOR] = "bus error reading a vector",
    };
    if ((unsigned)kind < sizeof names / sizeof names[0] && names[kind])
        return names[kind];
    return "?";
}
