/* SPDX-License-Identifier: MIT */
/* cli/testbed.c - the bare test machine (see testbed.h). */
#include "cli/testbed.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/testbed/testbed.h"

enum {
    SYS_WRITEC = 0x03,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_CLOCK = 0x10,
    SYS_EXIT = 0x18,
    SYS_EXIT_EXTENDED = 0x20,
    ADP_STOPPED_APPLICATION_EXIT = 0x20026,
};

static bool read_u32(const cpu_t *cpu, uint32_t addr, uint32_t *v)
{
    return cpu_read_mem(cpu, addr, v, 4);
}

static void put(FILE *f, const void *b, size_t n)
{
    if (f)
        fwrite(b, 1, n, f);
}

static void write_bytes(testbed_t *tb, FILE *f, uint32_t addr, uint32_t len)
{
    uint8_t buf[256];
    while (len) {
        uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
        if (!cpu_read_mem(&tb->cpu, addr, buf, n))
            break;
        put(f, buf, n);
        addr += n;
        len -= n;
    }
}

static bool semihost(void *ctx, cpu_t *cpu)
{
    testbed_t *tb = ctx;
    uint32_t op = cpu_reg(cpu, 0), arg = cpu_reg(cpu, 1), w[3];
    uint8_t c;
    switch (op) {
    case SYS_WRITEC:
        if (!cpu_read_mem(cpu, arg, &c, 1))
            return false;
        put(tb->out, &c, 1);
        return true;
    case SYS_WRITE0:
        while (cpu_read_mem(cpu, arg++, &c, 1) && c)
            put(tb->out, &c, 1);
        return true;
    case SYS_WRITE:
        if (!read_u32(cpu, arg, &w[0]) || !read_u32(cpu, arg + 4, &w[1]) ||
            !read_u32(cpu, arg + 8, &w[2]))
            return false;
        if (w[0] != 1 && w[0] != 2) {
            cpu_set_reg(cpu, 0, w[2]); /* nothing written */
            return true;
        }
        write_bytes(tb, w[0] == 2 ? tb->err : tb->out, w[1], w[2]);
        cpu_set_reg(cpu, 0, 0);
        return true;
    case SYS_CLOCK: /* centiseconds of simulated time */
        cpu_set_reg(cpu, 0, (uint32_t)(cpu_time(cpu) / SIM_MS(10)));
        return true;
    case SYS_EXIT:
        /* on AArch32 the reason itself is in r1 */
        tb->exit_code = arg == ADP_STOPPED_APPLICATION_EXIT ? 0 : 1;
        break;
    case SYS_EXIT_EXTENDED:
        if (!read_u32(cpu, arg, &w[0]) || !read_u32(cpu, arg + 4, &w[1]))
            return false;
        tb->exit_code =
            w[0] == ADP_STOPPED_APPLICATION_EXIT ? (int)w[1] : 1;
        break;
    default:
        if (tb->err)
            fprintf(stderr, "cardsim: unsupported semihosting call 0x%02"
                            PRIx32 " at pc=0x%08" PRIx32 "\n", op,
                    cpu_reg(cpu, 15));
        cpu_set_reg(cpu, 0, UINT32_MAX);
        return true;
    }
    tb->exited = true;
    cpu_halt(cpu);
    return true;
}

static const char *const reg_names[16] = {
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
    "r8", "r9", "r10", "r11", "r12", "sp", "lr", "pc",
};

static void on_fault(void *ctx, cpu_t *cpu, const cpu_fault_t *f)
{
    testbed_t *tb = ctx;
    (void)cpu;
    if (!tb->report_faults)
        return;
    char where[160], lr[160];
    elf_symbolize(&tb->elf, f->pc, where, sizeof where);
    elf_symbolize(&tb->elf, f->r[14] & ~1u, lr, sizeof lr);
    fprintf(stderr, "cardsim: %s: %s at pc=0x%08" PRIx32 " (%s)",
            f->lockup ? "lockup" : "fault", cpu_fault_name(f->kind), f->pc,
            where);
    if (f->addr)
        fprintf(stderr, " address 0x%08" PRIx32, f->addr);
    fprintf(stderr, ", cycle %" PRIu64 "\n", f->cycle);
    for (int i = 0; i < 16; i++)
        fprintf(stderr, "  %-3s 0x%08" PRIx32 "%s", reg_names[i], f->r[i],
                i % 4 == 3 ? "\n" : "");
    fprintf(stderr, "  xpsr 0x%08" PRIx32 "  lr in %s\n", f->xpsr, lr);
}

static bool contains(uint32_t base, uint32_t size, uint32_t addr,
                     uint64_t end)
{
    return addr >= base && end <= (uint64_t)base + size;
}

static uint8_t *host_addr(testbed_t *tb, uint32_t addr, uint64_t end)
{
    if (contains(TESTBED_FLASH_BASE, TESTBED_FLASH_SIZE, addr, end))
        return tb->flash + (addr - TESTBED_FLASH_BASE);
    if (contains(TESTBED_RAM_BASE, TESTBED_RAM_SIZE, addr, end))
        return tb->ram + (addr - TESTBED_RAM_BASE);
    return NULL;
}

testbed_t *testbed_new(const char *elf_path, const testbed_cfg_t *cfg,
                       char *err, size_t errlen)
{
    testbed_t *tb = calloc(1, sizeof *tb);
    if (!tb || !(tb->flash = malloc(TESTBED_FLASH_SIZE)) ||
        !(tb->ram = calloc(1, TESTBED_RAM_SIZE))) {
        snprintf(err, errlen, "out of memory");
        if (tb)
            free(tb->flash);
        free(tb);
        return NULL;
    }
    memset(tb->flash, 0xFF, TESTBED_FLASH_SIZE); /* erased NOR flash */
    tb->out = cfg->out;
    tb->err = cfg->err;
    tb->report_faults = cfg->report_faults;
    if (elf_load(&tb->elf, elf_path, err, errlen) != 0) {
        free(tb->flash);
        free(tb->ram);
        free(tb);
        return NULL;
    }
    for (size_t i = 0; i < tb->elf.nsegs; i++) {
        const elf_segment_t *s = &tb->elf.segs[i];
        uint64_t end = (uint64_t)s->paddr + s->memsz;
        uint8_t *dst = host_addr(tb, s->paddr, end);
        if (!dst) {
            snprintf(err, errlen, "%s: segment %zu (file offset 0x%" PRIx32
                     ") at 0x%08" PRIx32 "..0x%08" PRIx64 " is outside "
                     "flash (0x00000000, 1 MiB) and RAM (0x20000000, "
                     "256 KiB)", elf_path, i, s->offset, s->paddr, end);
            elf_free(&tb->elf);
            free(tb->flash);
            free(tb->ram);
            free(tb);
            return NULL;
        }
        memcpy(dst, s->data, s->memsz);
    }
    cpu_cfg_t cc = { .name = "cpu", .hz = cfg->hz ? cfg->hz : 16000000 };
    cpu_init(&tb->cpu, &cc);
    cpu_map(&tb->cpu, &(cpu_map_cfg_t){ .name = "flash",
        .kind = CPU_MEM_FLASH, .base = TESTBED_FLASH_BASE,
        .size = TESTBED_FLASH_SIZE, .host = tb->flash,
        .wait_states = cfg->flash_ws });
    cpu_map(&tb->cpu, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
        .base = TESTBED_RAM_BASE, .size = TESTBED_RAM_SIZE, .host = tb->ram });
    cpu_set_semihost(&tb->cpu, semihost, tb);
    cpu_set_fault_handler(&tb->cpu, on_fault, tb);
    cpu_reset(&tb->cpu);
    return tb;
}

void testbed_free(testbed_t *tb)
{
    if (!tb)
        return;
    cpu_cleanup(&tb->cpu);
    elf_free(&tb->elf);
    free(tb->flash);
    free(tb->ram);
    free(tb);
}

bool testbed_patch_u32(testbed_t *tb, const char *symbol, uint32_t value)
{
    const elf_symbol_t *s = elf_find_symbol(&tb->elf, symbol);
    if (!s)
        return false;
    uint8_t *p = host_addr(tb, s->addr, (uint64_t)s->addr + 4);
    if (!p)
        return false;
    memcpy(p, &value, 4);
    cpu_invalidate(&tb->cpu, s->addr, 4);
    return true;
}

bool testbed_deadlocked(const testbed_t *tb)
{
    return cpu_state(&tb->cpu) == CPU_SLEEPING && !cpu_pending(&tb->cpu) &&
           (tb->cpu.st_csr & 3u) != 3u; /* SysTick ENABLE | TICKINT */
}

bool testbed_run(testbed_t *tb, uint64_t max_cycles)
{
    while (!tb->exited && cpu_state(&tb->cpu) != CPU_LOCKUP &&
           cpu_state(&tb->cpu) != CPU_HALTED &&
           cpu_cycles(&tb->cpu) < max_cycles && !testbed_deadlocked(tb)) {
        uint64_t left = max_cycles - cpu_cycles(&tb->cpu);
        cpu_run_cycles(&tb->cpu, left < (1u << 24) ? left : (1u << 24));
    }
    return tb->exited;
}
