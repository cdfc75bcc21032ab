/* SPDX-License-Identifier: MIT */
/* models/se.c - the secure element chip (see se.h): composition of the
 * core, memories and peripherals, SYSCTL and TIMER, and reset/power. */
#include "models/se.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/include/regs/iso7816_uart.h"
#include "firmware/include/regs/se_map.h"
#include "firmware/include/regs/se_sysctl.h"
#include "firmware/include/regs/se_timer.h"
#include "sim/fatal.h"

/* ---- interrupt lines ------------------------------------------------- */

static void flash_irq(void *ctx, bool level)
{
    se_t *se = ctx;
    cpu_set_irq(&se->cpu, SE_IRQ_FLASHC, level);
}

static void flash_changed(void *ctx, uint32_t addr, uint32_t len)
{
    se_t *se = ctx;
    cpu_invalidate(&se->cpu, addr, len);
}

static void crypto_irq(void *ctx, bool level, sim_time_t t)
{
    se_t *se = ctx;
    (void)t;
    cpu_set_irq(&se->cpu, SE_IRQ_CRYPTO, level);
}

static void uart_irq(void *ctx, sim_time_t now, bool level)
{
    se_t *se = ctx;
    (void)now;
    cpu_set_irq(&se->cpu, SE_IRQ_UART, level);
}

/* ---- reset and power ------------------------------------------------- */

static void timer_reset(se_t *se)
{
    se->tm_ctrl = se->tm_load = se->tm_status = 0;
    sim_cancel(&se->node, &se->tm_ev);
    cpu_set_irq(&se->cpu, SE_IRQ_TIMER, false);
}

/* Everything but the core goes back to its reset state. */
static void peripherals_reset(se_t *se, sim_time_t now)
{
    flash_reset(&se->flash, now); /* tears an operation in progress */
    crypto_reset(&se->crypto, now);
    timer_reset(se);
}

static void hold(se_t *se, sim_time_t now)
{
    if (se->in_reset)
        return;
    se->in_reset = true;
    cpu_halt(&se->cpu);
    peripherals_reset(se, now);
    /* the UART's registers and queues too (its view of the port's levels
     * stays): a character queued before the reset must not leave after */
    iso7816_uart_reset(&se->uart, now);
}

static void release(se_t *se, sim_time_t now)
{
    if (!se->in_reset || !se->vcc || !se->rst)
        return;
    se->in_reset = false;
    se->reset_cause |= se->por_pending ? SYSCTL_RESETCAUSE_POR
                                       : SYSCTL_RESETCAUSE_RSTPIN;
    se->por_pending = false;
    se->resets++;
    cpu_reset(&se->cpu);
    if (trace_wants(se->bus, TRACE_LOG))
        trace_logf(se->bus, now, se->name, 0, "reset released (%s)",
                   se->reset_cause & SYSCTL_RESETCAUSE_POR ? "power-on"
                                                           : "RST pin");
}

static void apply_power(se_t *se, sim_time_t now)
{
    bool vcc = se->port_vcc && !se->supply_cut;
    if (vcc == se->vcc)
        return;
    se->vcc = vcc;
    if (!vcc) {
        hold(se, now);
        flash_power_cut(&se->flash, now);
        memset(se->ram, 0, SE_RAM_SIZE);
        cpu_invalidate(&se->cpu, SE_RAM_BASE, SE_RAM_SIZE);
        se->reset_cause = 0;
        se->por_pending = true;
        return;
    }
    release(se, now);
}

static void on_power(void *ctx, sim_time_t now, bool vcc)
{
    se_t *se = ctx;
    se->port_vcc = vcc;
    apply_power(se, now);
}

/* ---- fault injection ------------------------------------------------- */

static void restore_fire(sim_event_t *ev, sim_time_t now)
{
    se_t *se = ev->ctx;
    se->supply_cut = false;
    if (trace_wants(se->bus, TRACE_LOG))
        trace_logf(se->bus, now, se->name, 1, "fault: supply back");
    apply_power(se, now);
}

void se_supply_cut(se_t *se, sim_time_t now, sim_time_t off)
{
    flash_op_t op;
    bool in_op = flash_op_in_progress(&se->flash, &op);
    if (trace_wants(se->bus, TRACE_LOG))
        trace_logf(se->bus, now, se->name, 1, "fault: supply cut%s",
                   in_op ? " inside a flash operation" : "");
    se->supply_cut = true;
    apply_power(se, now);
    sim_reschedule(&se->node, &se->restore_ev, sim_time_add(now, off));
    if (se->on_cut)
        se->on_cut(se->fault_ctx, se, now);
}

static void cut_fire(sim_event_t *ev, sim_time_t now)
{
    se_t *se = ev->ctx;
    se_supply_cut(se, now, se->cut_off);
}

static void flash_op_started(void *ctx, flash_t *flash, unsigned index,
                             const flash_op_t *op)
{
    se_t *se = ctx;
    (void)flash;
    if (se->cut_armed && index == se->cut_op) {
        se->cut_armed = false;
        sim_time_t t = op->start + (op->end - op->start) * se->cut_num /
                                       se->cut_den;
        sim_reschedule(&se->node, &se->cut_ev, t);
    }
    if (se->on_flash_op)
        se->on_flash_op(se->fault_ctx, se, op);
}

void se_arm_cut(se_t *se, unsigned op, unsigned num, unsigned den,
                sim_time_t off)
{
    se->cut_op = op;
    se->cut_num = num;
    se->cut_den = den ? den : 1;
    se->cut_off = off;
    flash_op_t cur;
    if (flash_op_in_progress(&se->flash, &cur) && cur.index == op) {
        sim_time_t t = cur.start + (cur.end - cur.start) * se->cut_num /
                                       se->cut_den;
        if (t < se->node.now)
            t = se->node.now;
        sim_reschedule(&se->node, &se->cut_ev, t);
        se->cut_armed = false;
        return;
    }
    se->cut_armed = true;
}

static void on_reset_pin(void *ctx, sim_time_t now, bool level)
{
    se_t *se = ctx;
    se->rst = level;
    if (!level)
        hold(se, now);
    else
        release(se, now);
}

static void on_portsrc(void *ctx, sim_time_t now, unsigned src)
{
    se_t *se = ctx;
    (void)now;
    se->portsrc = src;
}

/* AIRCR.SYSRESETREQ: the whole chip but the pins resets */
static void on_sysreset(void *ctx, cpu_t *cpu, sim_time_t t)
{
    se_t *se = ctx;
    peripherals_reset(se, t);
    se->reset_cause |= SYSCTL_RESETCAUSE_SYSRESET;
    se->resets++;
    cpu_reset(cpu);
    if (trace_wants(se->bus, TRACE_LOG))
        trace_logf(se->bus, t, se->name, 0, "system reset request");
}

static void on_fault(void *ctx, cpu_t *cpu, const cpu_fault_t *f)
{
    se_t *se = ctx;
    (void)cpu;
    if (!trace_wants(se->bus, TRACE_CPU_FAULT))
        return;
    char where[160];
    se_where(se, f->pc, where, sizeof where);
    trace_rec_t r = {
        .time = f->time, .start = f->time, .kind = TRACE_CPU_FAULT,
        .source = se->name, .text = cpu_fault_name(f->kind),
        .u.fault = { .pc = f->pc, .where = where },
    };
    trace_publish(se->bus, &r);
}

/* ---- SYSCTL ---------------------------------------------------------- */

static uint32_t sysctl_read(void *ctx, uint32_t addr, unsigned size,
                            sim_time_t t, bool *err)
{
    se_t *se = ctx;
    (void)t;
    if (size != 4) {
        *err = true;
        return 0;
    }
    switch (addr - SE_SYSCTL_BASE) {
    case SYSCTL_CHIPID: return SYSCTL_CHIPID_MAGIC | se->index;
    case SYSCTL_RESETCAUSE: return se->reset_cause;
    case SYSCTL_PORTSRC: return se->portsrc;
    case SYSCTL_SERIAL_LO: return (uint32_t)se->serial;
    case SYSCTL_SERIAL_HI: return (uint32_t)(se->serial >> 32);
    default:
        *err = true;
        return 0;
    }
}

static void sysctl_write(void *ctx, uint32_t addr, uint32_t value,
                         unsigned size, sim_time_t t, bool *err)
{
    se_t *se = ctx;
    (void)t;
    if (size != 4 || addr - SE_SYSCTL_BASE != SYSCTL_RESETCAUSE) {
        *err = size != 4 || addr - SE_SYSCTL_BASE > SYSCTL_SERIAL_HI;
        return; /* read-only registers ignore writes */
    }
    se->reset_cause &= ~value;
}

/* ---- TIMER: a down-counter at the core clock ------------------------- */

static uint64_t cycle_at(const se_t *se, sim_time_t t)
{
    return sim_clock_edge_at_or_after(&se->cpu.clk, t);
}

static uint32_t timer_value(const se_t *se, sim_time_t t)
{
    if (!(se->tm_ctrl & TIMER_CTRL_EN) || se->tm_load == 0)
        return se->tm_ctrl & TIMER_CTRL_EN ? 0 : se->tm_load;
    uint64_t el = cycle_at(se, t) - se->tm_start_cycle;
    if (se->tm_ctrl & TIMER_CTRL_PERIODIC)
        return se->tm_load - (uint32_t)(el % se->tm_load);
    return el >= se->tm_load ? 0 : se->tm_load - (uint32_t)el;
}

static void timer_update_irq(se_t *se)
{
    cpu_set_irq(&se->cpu, SE_IRQ_TIMER,
                (se->tm_status & TIMER_STATUS_EXPIRED) &&
                    (se->tm_ctrl & TIMER_CTRL_IRQEN));
}

static void timer_arm(se_t *se)
{
    sim_cancel(&se->node, &se->tm_ev);
    if (!(se->tm_ctrl & TIMER_CTRL_EN) || se->tm_load == 0)
        return;
    sim_schedule(&se->node, &se->tm_ev,
                 sim_clock_edge(&se->cpu.clk,
                                se->tm_start_cycle + se->tm_load));
}

static void timer_fire(sim_event_t *ev, sim_time_t now)
{
    se_t *se = ev->ctx;
    (void)now;
    se->tm_status |= TIMER_STATUS_EXPIRED;
    timer_update_irq(se);
    if (se->tm_ctrl & TIMER_CTRL_PERIODIC) {
        se->tm_start_cycle += se->tm_load;
        timer_arm(se);
    }
}

static uint32_t timer_read(void *ctx, uint32_t addr, unsigned size,
                           sim_time_t t, bool *err)
{
    se_t *se = ctx;
    if (size != 4) {
        *err = true;
        return 0;
    }
    switch (addr - SE_TIMER_BASE) {
    case TIMER_CTRL: return se->tm_ctrl;
    case TIMER_LOAD: return se->tm_load;
    case TIMER_VALUE: return timer_value(se, t);
    case TIMER_STATUS: return se->tm_status;
    default:
        *err = true;
        return 0;
    }
}

static void timer_write(void *ctx, uint32_t addr, uint32_t value,
                        unsigned size, sim_time_t t, bool *err)
{
    se_t *se = ctx;
    if (size != 4) {
        *err = true;
        return;
    }
    switch (addr - SE_TIMER_BASE) {
    case TIMER_CTRL: {
        bool was_on = se->tm_ctrl & TIMER_CTRL_EN;
        se->tm_ctrl = value & (TIMER_CTRL_EN | TIMER_CTRL_IRQEN |
                               TIMER_CTRL_PERIODIC);
        if ((se->tm_ctrl & TIMER_CTRL_EN) && !was_on) {
            se->tm_start_cycle = cycle_at(se, t);
            timer_arm(se);
        } else if (!(se->tm_ctrl & TIMER_CTRL_EN)) {
            sim_cancel(&se->node, &se->tm_ev);
        }
        timer_update_irq(se);
        return;
    }
    case TIMER_LOAD:
        se->tm_load = value;
        if (se->tm_ctrl & TIMER_CTRL_EN) { /* restart the count */
            se->tm_start_cycle = cycle_at(se, t);
            timer_arm(se);
        }
        return;
    case TIMER_STATUS:
        se->tm_status &= ~value;
        timer_update_irq(se);
        return;
    default:
        *err = true;
    }
}

/* ---- composition ----------------------------------------------------- */

static int load_rom(se_t *se, const char *path, char *err, size_t errlen)
{
    if (elf_load(&se->rom_elf, path, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < se->rom_elf.nsegs; i++) {
        const elf_segment_t *s = &se->rom_elf.segs[i];
        if (s->filesz == 0)
            continue; /* .bss: RAM the ROM's startup code zeroes */
        uint64_t end = (uint64_t)s->paddr + s->memsz;
        if (end > SE_ROM_BASE + SE_ROM_SIZE) {
            snprintf(err, errlen, "%s: segment %zu at 0x%08" PRIx32 "..0x%08"
                     PRIx64 " does not fit the SE's 64 KiB ROM at 0x00000000",
                     path, i, s->paddr, end);
            elf_free(&se->rom_elf);
            return -1;
        }
        memcpy(se->rom + s->paddr, s->data, s->memsz);
    }
    return 0;
}

int se_init(se_t *se, sim_t *sim, trace_bus_t *bus, const se_cfg_t *cfg,
            char *err, size_t errlen)
{
    memset(se, 0, sizeof *se);
    se->index = cfg->index;
    se->bus = bus;
    se->serial = cfg->serial ? cfg->serial
                             : 0x0CA5D5E000000000ULL | cfg->index;
    snprintf(se->name, sizeof se->name, "se%u", cfg->index);
    static const char *const subs[4] = { "flash", "crypto", "uart", "cpu" };
    for (int i = 0; i < 4; i++)
        snprintf(se->sub_names[i], sizeof se->sub_names[i], "%s.%s",
                 se->name, subs[i]);
    se->rom = malloc(SE_ROM_SIZE);
    se->ram = calloc(1, SE_RAM_SIZE);
    if (!se->rom || !se->ram)
        sim_fatal_plain("%s: out of memory", se->name);
    memset(se->rom, 0xFF, SE_ROM_SIZE);
    if (load_rom(se, cfg->rom_elf, err, errlen) != 0) {
        free(se->rom);
        free(se->ram);
        se->rom = se->ram = NULL;
        return -1;
    }

    sim_node_init(&se->node, sim, se->name, se);
    cpu_cfg_t cc = { .name = se->sub_names[3], .hz = SE_CORE_HZ,
                     .node = &se->node };
    cpu_init(&se->cpu, &cc);
    sim_cpu_hook_t hook;
    cpu_hook(&se->cpu, &hook);
    sim_node_set_cpu(&se->node, &hook);
    cpu_set_reset_request(&se->cpu, on_sysreset, se);
    cpu_set_fault_handler(&se->cpu, on_fault, se);

    flash_cfg_t fc = { .name = se->sub_names[0], .base = SE_FLASH_BASE,
                       .regs_base = SE_FLASHC_BASE, .irq = flash_irq,
                       .on_change = flash_changed,
                       .on_op_start = flash_op_started, .ctx = se };
    flash_init(&se->flash, &se->node, bus, &fc);
    crypto_cfg_t kc = { .name = se->sub_names[1], .hz = SE_CORE_HZ,
                        .base = SE_CRYPTO_BASE,
                        .read_mem = crypto_read_cpu_mem, .mem_ctx = &se->cpu,
                        .irq = crypto_irq, .irq_ctx = se };
    crypto_init(&se->crypto, &se->node, bus, &kc);
    iso7816_uart_cfg_t uc = { .name = se->sub_names[2], .node = &se->node,
                              .base = SE_UART_BASE, .ctx = se,
                              .on_irq = uart_irq, .on_power = on_power,
                              .on_reset_pin = on_reset_pin,
                              .on_portsrc = on_portsrc };
    iso7816_uart_init(&se->uart, sim, &uc);
    sim_event_init(&se->tm_ev, "se.timer", timer_fire, se);
    sim_event_init(&se->cut_ev, "se.fault-cut", cut_fire, se);
    sim_event_init(&se->restore_ev, "se.fault-restore", restore_fire, se);

    cpu_map(&se->cpu, &(cpu_map_cfg_t){ .name = "rom", .kind = CPU_MEM_ROM,
        .base = SE_ROM_BASE, .size = SE_ROM_SIZE, .host = se->rom });
    cpu_map(&se->cpu, &(cpu_map_cfg_t){ .name = "flash",
        .kind = CPU_MEM_FLASH, .base = SE_FLASH_BASE, .size = SE_FLASH_SIZE,
        .host = se->flash.mem, .wait_states = 1 });
    cpu_map(&se->cpu, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
        .base = SE_RAM_BASE, .size = SE_RAM_SIZE, .host = se->ram });
    /* the ROM never changes: decode its code once, here */
    for (size_t i = 0; i < se->rom_elf.nsegs; i++) {
        const elf_segment_t *sg = &se->rom_elf.segs[i];
        if (sg->filesz && sg->paddr < SE_ROM_BASE + SE_ROM_SIZE)
            cpu_predecode(&se->cpu, sg->paddr, (uint32_t)sg->memsz);
    }
    const struct {
        const char *name;
        uint32_t base;
        cpu_mmio_read_fn rd;
        cpu_mmio_write_fn wr;
        void *ctx;
    } mmio[] = {
        { "sysctl", SE_SYSCTL_BASE, sysctl_read, sysctl_write, se },
        { "flashc", SE_FLASHC_BASE, flash_mmio_read, flash_mmio_write,
          &se->flash },
        { "uart", SE_UART_BASE, iso7816_uart_read, iso7816_uart_write,
          &se->uart },
        { "timer", SE_TIMER_BASE, timer_read, timer_write, se },
        { "crypto", SE_CRYPTO_BASE, crypto_mmio_read, crypto_mmio_write,
          &se->crypto },
    };
    for (size_t i = 0; i < sizeof mmio / sizeof mmio[0]; i++)
        cpu_map(&se->cpu, &(cpu_map_cfg_t){ .name = mmio[i].name,
            .kind = CPU_MEM_MMIO, .base = mmio[i].base,
            .size = SE_PERIPH_SIZE, .read = mmio[i].rd,
            .write = mmio[i].wr, .ctx = mmio[i].ctx });
    /* unpowered: the core waits for VCC and RST */
    se->in_reset = true;
    se->por_pending = true;
    return 0;
}

void se_cleanup(se_t *se)
{
    iso7816_uart_cleanup(&se->uart);
    crypto_cleanup(&se->crypto);
    flash_cleanup(&se->flash);
    cpu_cleanup(&se->cpu);
    elf_free(&se->rom_elf);
    free(se->rom);
    free(se->ram);
    se->rom = se->ram = NULL;
}

/* The SE's UART sends error signals only in T=0 mode, which only its
 * core sets: with the mode off and the core asleep, nothing changes it
 * before the SE's next event (iso7816_quiet_fn). */
static bool line_quiet(void *ctx)
{
    se_t *se = ctx;
    return !(se->uart.ctrl & UART_CTRL_T0) && !cpu_is_active(&se->cpu);
}

iso7816_end_t se_port_end(se_t *se, unsigned src)
{
    iso7816_end_t e = iso7816_uart_end(&se->uart, src);
    e.quiet = line_quiet;
    e.quiet_ctx = se;
    return e;
}

void se_attach_line(se_t *se, unsigned src, iso7816_line_t *line)
{
    iso7816_uart_attach(&se->uart, src, line);
}

void se_where(const se_t *se, uint32_t pc, char *buf, size_t len)
{
    if (pc < SE_ROM_BASE + SE_ROM_SIZE)
        elf_symbolize(&se->rom_elf, pc, buf, len);
    else
        snprintf(buf, len, "0x%08" PRIx32, pc);
}
