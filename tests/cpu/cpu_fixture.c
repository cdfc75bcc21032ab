/* SPDX-License-Identifier: MIT */
/* tests/cpu/cpu_fixture.c - see cpu_fixture.h. */
#include "cpu_fixture.h"

#include <stdlib.h>
#include <string.h>

fx_t *fx_new_cfg(const cpu_cfg_t *cfg, unsigned flash_ws, unsigned ram_ws)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f)
        abort();
    cpu_init(&f->cpu, cfg);
    f->flash_rg = cpu_map(&f->cpu, &(cpu_map_cfg_t){
        .name = "flash", .kind = CPU_MEM_FLASH, .base = FX_FLASH,
        .size = FX_FLASH_SIZE, .host = f->flash, .wait_states = flash_ws });
    f->ram_rg = cpu_map(&f->cpu, &(cpu_map_cfg_t){
        .name = "ram", .kind = CPU_MEM_RAM, .base = FX_RAM,
        .size = FX_RAM_SIZE, .host = f->ram, .wait_states = ram_ws });
    fx_word(f, 0, FX_SP);
    fx_word(f, 4, FX_CODE | 1);
    f->at = FX_CODE;
    return f;
}

fx_t *fx_new(unsigned flash_ws, unsigned ram_ws)
{
    cpu_cfg_t cfg = { .name = "fx", .hz = 16000000 };
    return fx_new_cfg(&cfg, flash_ws, ram_ws);
}

void fx_free(fx_t *f)
{
    cpu_cleanup(&f->cpu);
    free(f);
}

static uint8_t *host(fx_t *f, uint32_t addr)
{
    if (addr - FX_FLASH < FX_FLASH_SIZE)
        return f->flash + (addr - FX_FLASH);
    if (addr - FX_RAM < FX_RAM_SIZE)
        return f->ram + (addr - FX_RAM);
    abort();
}

void fx_org(fx_t *f, uint32_t addr) { f->at = addr; }
uint32_t fx_here(const fx_t *f) { return f->at; }

uint32_t fx_emit(fx_t *f, hw_t h)
{
    uint32_t a = f->at;
    memcpy(host(f, a), &h, 2);
    cpu_invalidate(&f->cpu, a, 2);
    f->at += 2;
    return a;
}

uint32_t fx_emit2(fx_t *f, const hw_t h[2])
{
    uint32_t a = fx_emit(f, h[0]);
    fx_emit(f, h[1]);
    return a;
}

void fx_word(fx_t *f, uint32_t addr, uint32_t v)
{
    memcpy(host(f, addr), &v, 4);
    cpu_invalidate(&f->cpu, addr, 4);
}

uint32_t fx_rd32(const fx_t *f, uint32_t addr)
{
    uint32_t v;
    memcpy(&v, host((fx_t *)f, addr), 4);
    return v;
}

void fx_vector(fx_t *f, unsigned exc, uint32_t handler)
{
    fx_word(f, 4 * exc, handler | 1);
}

hw_t fx_b(uint32_t from, uint32_t to)
{
    int off = (int)to - (int)(from + 4);
    if (off < -2048 || off > 2046)
        abort(); /* out of B range */
    return T_B(off);
}

hw_t fx_bcc(unsigned cond, uint32_t from, uint32_t to)
{
    int off = (int)to - (int)(from + 4);
    if (off < -256 || off > 254)
        abort(); /* out of B<cond> range */
    return T_BCC(cond, off);
}

void fx_patch(fx_t *f, uint32_t addr, hw_t h)
{
    memcpy(host(f, addr), &h, 2);
    cpu_invalidate(&f->cpu, addr, 2);
}

void fx_ldr_const(fx_t *f, unsigned rt, uint32_t pool, uint32_t v)
{
    uint32_t a = f->at, base = (a + 4) & ~3u;
    if (pool < base || pool - base > 1020 || (pool & 3))
        abort(); /* out of LDR (literal) range */
    fx_word(f, pool, v);
    fx_emit(f, T_LDR_LIT(rt, pool - base));
}

void fx_reset(fx_t *f) { cpu_reset(&f->cpu); }

uint64_t fx_run_to(fx_t *f, uint32_t addr, unsigned max)
{
    uint64_t start = cpu_cycles(&f->cpu);
    for (unsigned i = 0; i < max; i++) {
        if (cpu_reg(&f->cpu, 15) == addr && i > 0)
            return cpu_cycles(&f->cpu) - start;
        if (cpu_step(&f->cpu) == 0 && cpu_state(&f->cpu) != CPU_RUNNING)
            return UINT64_MAX;
    }
    return cpu_reg(&f->cpu, 15) == addr ? cpu_cycles(&f->cpu) - start
                                        : UINT64_MAX;
}

unsigned fx_step(fx_t *f) { return cpu_step(&f->cpu); }
