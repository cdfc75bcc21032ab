/* SPDX-License-Identifier: MIT */
/* tests/cpu/test_cpu_mem.c - the memory bus: MMIO callbacks with exact
 * times and wait states, bus errors, ROM, flash writes through a
 * callback, code in RAM and self-modifying code, shared 64 KiB pages,
 * semihosting and the debugger accessors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fixture.h"
#include "cpu_suites.h"

#define MMIO 0x40000000u
#define POOL 0x1C0u
#define HF 0x400u
#define PC(f) cpu_reg(&(f)->cpu, 15)

typedef struct mmio_log {
    unsigned n;
    uint32_t addr[8], value[8];
    unsigned size[8];
    sim_time_t t[8];
    uint32_t err_addr;
} mmio_log_t;

static uint32_t mmio_read(void *ctx, uint32_t addr, unsigned size,
                          sim_time_t t, bool *err)
{
    mmio_log_t *l = ctx;
    if (addr == l->err_addr) {
        *err = true;
        return 0;
    }
    if (l->n < 8) {
        l->addr[l->n] = addr;
        l->size[l->n] = size;
        l->value[l->n] = 0;
        l->t[l->n++] = t;
    }
    return 0xA5A5A500u | (addr & 0xFF); /* wider than size: masked */
}

static void mmio_write(void *ctx, uint32_t addr, uint32_t value,
                       unsigned size, sim_time_t t, bool *err)
{
    mmio_log_t *l = ctx;
    if (addr == l->err_addr) {
        *err = true;
        return;
    }
    if (l->n < 8) {
        l->addr[l->n] = addr;
        l->size[l->n] = size;
        l->value[l->n] = value;
        l->t[l->n++] = t;
    }
}

static fx_t *with_mmio(mmio_log_t *log, unsigned ws)
{
    fx_t *f = fx_new(0, 0);
    memset(log, 0, sizeof *log);
    log->err_addr = 0xFFFFFFFFu;
    cpu_map(&f->cpu, &(cpu_map_cfg_t){ .name = "periph",
                                       .kind = CPU_MEM_MMIO, .base = MMIO,
                                       .size = 0x100, .wait_states = ws,
                                       .read = mmio_read,
                                       .write = mmio_write, .ctx = log });
    fx_org(f, HF);
    fx_emit(f, fx_b(HF, HF));
    fx_vector(f, CPU_EXC_HARDFAULT, HF);
    fx_org(f, FX_CODE);
    return f;
}

START_TEST(test_mmio_time_and_wait_states)
{
    mmio_log_t log;
    fx_t *f = with_mmio(&log, 3);
    fx_ldr_const(f, 0, POOL, MMIO);
    fx_emit(f, T_MOVS_I(1, 0xAB));
    uint32_t strb = fx_emit(f, T_STRB_I(1, 0, 3));
    fx_emit(f, T_LDRH_I(2, 0, 2));
    fx_emit(f, T_NOP);
    fx_emit(f, T_MOVS_I(3, 0x81));
    fx_emit(f, T_STM(0, 0x0A)); /* r1, r3 to MMIO+0, +4: r0 written back */
    uint32_t end = fx_here(f);
    fx_emit(f, fx_b(end, end));
    fx_reset(f);
    fx_run_to(f, strb, 5);
    uint64_t s = cpu_cycles(&f->cpu);
    ck_assert_uint_eq(fx_step(f), 2 + 3); /* STRB + 3 wait states */
    ck_assert_uint_eq(fx_step(f), 2 + 3); /* LDRH */
    fx_step(f);
    fx_step(f);
    ck_assert_uint_eq(fx_step(f), 1 + 2 + 3 + 3); /* STM of 2 */
    ck_assert_uint_eq(log.n, 4);
    ck_assert_uint_eq(log.addr[0], MMIO + 3);
    ck_assert_uint_eq(log.size[0], 1);
    ck_assert_uint_eq(log.value[0], 0xAB);
    ck_assert_uint_eq(log.t[0], (s + 1) * 62500);     /* the bus cycle */
    ck_assert_uint_eq(log.addr[1], MMIO + 2);
    ck_assert_uint_eq(log.size[1], 2);
    ck_assert_uint_eq(log.t[1], (s + 5 + 1) * 62500);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 0xA502);    /* masked to 16 */
    /* STM at s+12: its accesses at +1 and +2 plus the first's 3 WS */
    ck_assert_uint_eq(log.t[2], (s + 12 + 1) * 62500);
    ck_assert_uint_eq(log.t[3], (s + 12 + 2 + 3) * 62500);
    ck_assert_uint_eq(log.value[3], 0x81);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), MMIO + 8);
    fx_free(f);
}
END_TEST

START_TEST(test_bus_errors)
{
    mmio_log_t log;
    fx_t *f = with_mmio(&log, 0);
    log.err_addr = MMIO + 0x10;
    fx_ldr_const(f, 0, POOL, MMIO);
    uint32_t bad = fx_emit(f, T_STR_I(1, 0, 0x10));
    fx_reset(f);
    fx_step(f);
    fx_step(f);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_BUS_WRITE);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->addr, MMIO + 0x10);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->pc, bad);
    fx_step(f);
    ck_assert_uint_eq(PC(f), HF);
    fx_free(f);

    /* read error from the callback */
    f = with_mmio(&log, 0);
    log.err_addr = MMIO + 0x10;
    fx_ldr_const(f, 0, POOL, MMIO);
    fx_emit(f, T_LDR_I(1, 0, 0x10));
    fx_reset(f);
    fx_step(f);
    fx_step(f);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_BUS_READ);
    fx_free(f);

    /* the SCS is word-only: a byte store to ISER is a bus error */
    f = with_mmio(&log, 0);
    fx_ldr_const(f, 0, POOL, 0xE000E100u);
    fx_emit(f, T_STRB_I(1, 0, 0));
    fx_reset(f);
    fx_step(f);
    fx_step(f);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_BUS_WRITE);
    fx_free(f);

    /* executing from MMIO */
    f = with_mmio(&log, 0);
    fx_ldr_const(f, 0, POOL, MMIO | 1);
    fx_emit(f, T_BX(0));
    fx_reset(f);
    fx_step(f);
    fx_step(f);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_FETCH);
    ck_assert_uint_eq(log.n, 0);
    fx_free(f);
}
END_TEST

START_TEST(test_rom_is_read_only)
{
    static uint8_t rom[256];
    fx_t *f = fx_new(0, 0);
    memset(rom, 0x5A, sizeof rom);
    cpu_map(&f->cpu, &(cpu_map_cfg_t){ .name = "rom", .kind = CPU_MEM_ROM,
                                       .base = 0x10000000u, .size = 256,
                                       .host = rom });
    fx_vector(f, CPU_EXC_HARDFAULT, HF);
    fx_org(f, HF);
    fx_emit(f, fx_b(HF, HF));
    fx_org(f, FX_CODE);
    fx_emit(f, T_MOVS_I(0, 0x10));
    fx_emit(f, T_LSLS_I(0, 0, 24));
    fx_emit(f, T_LDR_I(1, 0, 4));
    fx_emit(f, T_STR_I(1, 0, 4));
    fx_reset(f);
    for (unsigned i = 0; i < 4; i++)
        fx_step(f);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 1), 0x5A5A5A5Au);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_BUS_WRITE);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->addr, 0x10000004u);
    fx_free(f);
}
END_TEST

/* A flash "controller": programs halfwords straight away. */
typedef struct flashctl {
    cpu_t *cpu;
    uint8_t *mem;
    unsigned writes;
    uint32_t last_addr, last_value;
} flashctl_t;

static void flash_write(void *ctx, uint32_t addr, uint32_t value,
                        unsigned size, sim_time_t t, bool *err)
{
    flashctl_t *fc = ctx;
    (void)t;
    if (size != 2) {
        *err = true;
        return;
    }
    memcpy(fc->mem + addr, &value, 2);
    cpu_invalidate(fc->cpu, addr, 2);
    fc->writes++;
    fc->last_addr = addr;
    fc->last_value = value;
}

START_TEST(test_flash_write_callback)
{
    static cpu_t cpu;
    static uint8_t flash[4096], ram[4096];
    flashctl_t fc = { .cpu = &cpu, .mem = flash };
    cpu_cfg_t cfg = { .name = "fl", .hz = 16000000 };
    cpu_init(&cpu, &cfg);
    cpu_map(&cpu, &(cpu_map_cfg_t){ .name = "flash", .kind = CPU_MEM_FLASH,
                                    .base = 0, .size = sizeof flash,
                                    .host = flash, .write = flash_write,
                                    .ctx = &fc });
    cpu_map(&cpu, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
                                    .base = FX_RAM, .size = sizeof ram,
                                    .host = ram });
    memset(flash, 0, sizeof flash);
    uint32_t v[2] = { FX_RAM + sizeof ram, 0x101 };
    memcpy(flash, v, 8);
    const hw_t code[] = {
        T_MOVS_I(0, 0x11),          /* 0x100: patched below */
        T_MOVS_I(1, 0x20),          /* 0x102 */
        T_LSLS_I(1, 1, 4),          /* 0x104: r1 = 0x200 */
        T_MOVS_I(2, 0x77),          /* 0x106 */
        T_MOVS_I(3, 0x20),          /* 0x108: r3 = 0x2077 = MOVS r0,#0x77 */
        T_LSLS_I(3, 3, 8),          /* 0x10a */
        T_ADDS_R(3, 3, 2),          /* 0x10c */
        T_STRH_I(3, 1, 0),          /* 0x10e: program flash at 0x200 */
        T_STRH_I(3, 1, 0),          /* 0x110 */
    };
    memcpy(flash + 0x100, code, sizeof code);
    hw_t at200[2] = { T_MOVS_I(0, 0x11), T_B(-4) };
    memcpy(flash + 0x200, at200, sizeof at200);
    hw_t bl[2];
    T_BL(bl, 0x200 - (0x112 + 4));
    memcpy(flash + 0x112, bl, 4);
    cpu_reset(&cpu);
    /* execute 0x200 once first so its old decoding is cached */
    cpu_set_reg(&cpu, 15, 0x200);
    cpu_step(&cpu);
    ck_assert_uint_eq(cpu_reg(&cpu, 0), 0x11);
    cpu_set_reg(&cpu, 15, 0x100);
    for (unsigned i = 0; i < 12; i++)
        cpu_step(&cpu);
    ck_assert_uint_eq(fc.writes, 2);
    ck_assert_uint_eq(fc.last_addr, 0x200);
    ck_assert_uint_eq(fc.last_value, 0x2077);
    ck_assert_uint_eq(cpu_reg(&cpu, 0), 0x77); /* the new code ran */
    ck_assert_uint_eq(cpu_fault_count(&cpu), 0);
    cpu_cleanup(&cpu);
}
END_TEST

START_TEST(test_self_modifying_ram_code)
{
    fx_t *f = fx_new(0, 0);
    uint32_t base = FX_RAM + 0x100;
    fx_word(f, 4, base | 1);
    fx_org(f, base);
    /* patches the instruction right after the STRH, then runs it; the
     * loop runs the patched place twice */
    fx_emit(f, T_MOVS_I(4, 2));                 /* +0  loop count */
    fx_emit(f, T_ADR(1, 12));                   /* +2  r1 = +16 */
    fx_emit(f, T_MOVS_I(3, 0x20));              /* +4 */
    fx_emit(f, T_LSLS_I(3, 3, 8));              /* +6 */
    fx_emit(f, T_ADDS_I8(3, 0x42));             /* +8  MOVS r0, #0x42 */
    fx_emit(f, T_NOP);                          /* +10 */
    fx_emit(f, T_NOP);                          /* +12 */
    fx_emit(f, T_STRH_I(3, 1, 0));              /* +14 */
    fx_emit(f, T_MOVS_I(0, 0x11));              /* +16 patched */
    fx_emit(f, T_ADDS_I8(3, 1));                /* +18 next: #0x43 */
    fx_emit(f, T_SUBS_I8(4, 1));                /* +20 */
    fx_emit(f, fx_bcc(CC_NE, base + 22, base + 14)); /* +22 */
    uint32_t end = fx_here(f);
    fx_emit(f, fx_b(end, end));
    fx_reset(f);
    ck_assert_uint_ne(fx_run_to(f, end, 100), UINT64_MAX);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), 0x43);
    ck_assert_uint_eq(cpu_fault_count(&f->cpu), 0);
    fx_free(f);
}
END_TEST

START_TEST(test_shared_page_regions)
{
    static uint8_t ram2[0x1000];
    fx_t *f = fx_new(0, 0);
    /* a second RAM in the same 64 KiB page as the fixture's RAM */
    cpu_map(&f->cpu, &(cpu_map_cfg_t){ .name = "ram2", .kind = CPU_MEM_RAM,
                                       .base = FX_RAM + 0x8000,
                                       .size = sizeof ram2, .host = ram2,
                                       .wait_states = 1 });
    fx_vector(f, CPU_EXC_HARDFAULT, HF);
    fx_org(f, HF);
    fx_emit(f, fx_b(HF, HF));
    fx_org(f, FX_CODE);
    fx_ldr_const(f, 0, POOL, FX_RAM + 0x8000);
    fx_ldr_const(f, 1, POOL + 4, FX_RAM);
    fx_emit(f, T_MOVS_I(2, 0x5C));
    fx_emit(f, T_STR_I(2, 0, 8));    /* ram2: 2 + 1 */
    fx_emit(f, T_STR_I(2, 1, 8));    /* ram: 2 */
    fx_emit(f, T_LDR_I(3, 0, 8));
    fx_ldr_const(f, 4, POOL + 8, FX_RAM + 0x6000);
    fx_emit(f, T_LDR_I(5, 4, 0));    /* the gap: bus error */
    fx_reset(f);
    fx_step(f);
    fx_step(f);
    fx_step(f);
    ck_assert_uint_eq(fx_step(f), 3);
    ck_assert_uint_eq(fx_step(f), 2);
    fx_step(f);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 3), 0x5C);
    ck_assert_uint_eq(ram2[8], 0x5C);
    ck_assert_uint_eq(f->ram[8], 0x5C);
    fx_step(f);
    fx_step(f);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_BUS_READ);
    ck_assert_uint_eq(cpu_last_fault(&f->cpu)->addr, FX_RAM + 0x6000);
    fx_free(f);
}
END_TEST

static unsigned semi_calls;

static bool semihost(void *ctx, cpu_t *cpu)
{
    (void)ctx;
    semi_calls++;
    if (cpu_reg(cpu, 0) == 0x18) { /* SYS_EXIT */
        cpu_halt(cpu);
        return true;
    }
    uint8_t buf[4];
    ck_assert(cpu_read_mem(cpu, cpu_reg(cpu, 1), buf, 4));
    cpu_set_reg(cpu, 0, buf[0] + 1u);
    return true;
}

START_TEST(test_semihosting)
{
    fx_t *f = fx_new(0, 0);
    cpu_set_semihost(&f->cpu, semihost, NULL);
    f->ram[0] = 41;
    fx_emit(f, T_MOVS_I(0, 3));
    fx_emit(f, T_MOVS_I(1, 0x20));
    fx_emit(f, T_LSLS_I(1, 1, 24));
    fx_emit(f, T_BKPT(0xAB));
    fx_emit(f, T_MOVS_I(2, 9));
    fx_emit(f, T_MOVS_I(0, 0x18));
    fx_emit(f, T_BKPT(0xAB));
    fx_emit(f, T_MOVS_I(2, 10));
    fx_reset(f);
    ck_assert_uint_lt(cpu_run_cycles(&f->cpu, 1000), 1000);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_HALTED);
    ck_assert_uint_eq(semi_calls, 2);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 2), 9);
    ck_assert_uint_eq(PC(f), FX_CODE + 14);
    ck_assert(!cpu_is_active(&f->cpu));
    /* a BKPT other than 0xAB faults even with a semihosting handler */
    cpu_resume(&f->cpu);
    fx_vector(f, CPU_EXC_HARDFAULT, HF);
    fx_patch(f, FX_CODE + 14, T_BKPT(1));
    fx_step(f);
    ck_assert_int_eq(cpu_last_fault(&f->cpu)->kind, CPU_FAULT_BKPT);
    fx_free(f);
}
END_TEST

START_TEST(test_debug_accessors)
{
    fx_t *f = fx_new(0, 0);
    fx_emit(f, T_MOVS_I(0, 1));
    fx_emit(f, T_MOVS_I(0, 2));
    fx_reset(f);
    fx_step(f);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), 1);
    /* rewrite the next instruction from the debugger: it is redecoded */
    hw_t h = T_MOVS_I(0, 0x33);
    ck_assert(cpu_write_mem(&f->cpu, FX_CODE + 2, &h, 2));
    fx_step(f);
    ck_assert_uint_eq(cpu_reg(&f->cpu, 0), 0x33);
    uint32_t w;
    ck_assert(cpu_read_mem(&f->cpu, 0, &w, 4));
    ck_assert_uint_eq(w, FX_SP);
    ck_assert(!cpu_read_mem(&f->cpu, 0x30000000u, &w, 4));
    ck_assert(!cpu_read_mem(&f->cpu, FX_RAM + FX_RAM_SIZE - 2, &w, 4));
    cpu_set_special(&f->cpu, CPU_SPECIAL_XPSR, 0x91000000u);
    ck_assert_uint_eq(cpu_special(&f->cpu, CPU_SPECIAL_XPSR), 0x91000000u);
    cpu_set_special(&f->cpu, CPU_SPECIAL_PSP, 0x20001003u);
    ck_assert_uint_eq(cpu_special(&f->cpu, CPU_SPECIAL_PSP), 0x20001000u);
    ck_assert_uint_eq(cpu_special(&f->cpu, CPU_SPECIAL_MSP), FX_SP);
    cpu_set_reg(&f->cpu, 15, 0x201);
    ck_assert_uint_eq(PC(f), 0x200);
    ck_assert_uint_eq(cpu_time(&f->cpu), cpu_cycles(&f->cpu) * 62500);
    ck_assert_str_eq(cpu_fault_name(CPU_FAULT_UNALIGNED), "unaligned access");
    fx_free(f);
}
END_TEST

START_TEST(test_reset_vector_errors)
{
    /* a reset vector pointing nowhere: the first fetch faults into
     * HardFault, whose vector is also bad: lockup */
    fx_t *f = fx_new(0, 0);
    fx_word(f, 4, 0x30000001u);
    fx_word(f, 12, 0x30000001u);
    fx_reset(f);
    fx_step(f);
    fx_step(f);
    fx_step(f);
    ck_assert_int_eq(cpu_state(&f->cpu), CPU_LOCKUP);
    fx_free(f);
    /* no memory at 0 at all: reset locks up at once */
    static cpu_t cpu;
    cpu_cfg_t cfg = { .name = "empty", .hz = 1000000 };
    cpu_init(&cpu, &cfg);
    cpu_reset(&cpu);
    ck_assert_int_eq(cpu_state(&cpu), CPU_LOCKUP);
    ck_assert_int_eq(cpu_last_fault(&cpu)->kind, CPU_FAULT_VECTOR);
    cpu_cleanup(&cpu);
}
END_TEST

Suite *make_cpu_mem_suite(void)
{
    Suite *s = suite_create("cpu_mem");
    TCase *tc = tcase_create("bus");
    tcase_add_test(tc, test_mmio_time_and_wait_states);
    tcase_add_test(tc, test_bus_errors);
    tcase_add_test(tc, test_rom_is_read_only);
    tcase_add_test(tc, test_flash_write_callback);
    tcase_add_test(tc, test_self_modifying_ram_code);
    tcase_add_test(tc, test_shared_page_regions);
    tcase_add_test(tc, test_semihosting);
    tcase_add_test(tc, test_debug_accessors);
    tcase_add_test(tc, test_reset_vector_errors);
    suite_add_tcase(s, tc);
    return s;
}
