/* SPDX-License-Identifier: MIT */
/* tests/cpu/cpu_fixture.h - a core with 64 KiB of flash at 0x00000000 and
 * 16 KiB of RAM at 0x20000000, a vector table, and an assembly cursor that
 * writes Thumb halfwords into either. Each test makes a fresh one. */
#ifndef TESTS_CPU_CPU_FIXTURE_H
#define TESTS_CPU_CPU_FIXTURE_H

#include <stdint.h>

#include "models/cpu/cpu.h"
#include "thumb.h"

#define FX_FLASH 0x00000000u
#define FX_FLASH_SIZE 0x10000u
#define FX_RAM 0x20000000u
#define FX_RAM_SIZE 0x4000u
#define FX_SP 0x20004000u
#define FX_CODE 0x100u   /* reset handler (word-aligned) */

typedef struct fx {
    cpu_t cpu;
    uint8_t flash[FX_FLASH_SIZE];
    uint8_t ram[FX_RAM_SIZE];
    uint32_t at;          /* assembly cursor */
    int flash_rg, ram_rg; /* region indices */
} fx_t;

/* hz 16 MHz; flash as CPU_MEM_FLASH with no write callback. */
fx_t *fx_new(unsigned flash_ws, unsigned ram_ws);
fx_t *fx_new_cfg(const cpu_cfg_t *cfg, unsigned flash_ws, unsigned ram_ws);
void fx_free(fx_t *f);

void fx_org(fx_t *f, uint32_t addr);
uint32_t fx_here(const fx_t *f);
uint32_t fx_emit(fx_t *f, hw_t h);           /* returns its address */
uint32_t fx_emit2(fx_t *f, const hw_t h[2]);
void fx_word(fx_t *f, uint32_t addr, uint32_t v);
uint32_t fx_rd32(const fx_t *f, uint32_t addr);
void fx_vector(fx_t *f, unsigned exc, uint32_t handler); /* thumb bit set */
/* Branch helpers: offsets from the branch at `from` to `to`. */
hw_t fx_b(uint32_t from, uint32_t to);
hw_t fx_bcc(unsigned cond, uint32_t from, uint32_t to);
void fx_patch(fx_t *f, uint32_t addr, hw_t h);
/* A literal: LDR rt, [pc, #x] at the cursor reading `v` from a pool at
 * pool (word-aligned, after the code). */
void fx_ldr_const(fx_t *f, unsigned rt, uint32_t pool, uint32_t v);

void fx_reset(fx_t *f);
/* Steps until PC == addr (at most max steps); returns the cycles taken,
 * or UINT64_MAX if not reached. */
uint64_t fx_run_to(fx_t *f, uint32_t addr, unsigned max);
/* Steps once; returns cycles. */
unsigned fx_step(fx_t *f);

#endif /* TESTS_CPU_CPU_FIXTURE_H */
