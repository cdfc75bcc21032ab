/* SPDX-License-Identifier: MIT */
/* tests/cpu/test_cpu_diff.c - differential test of the core against
 * Unicorn's Cortex-M0 model on random instruction sequences.
 *
 * Usage: test_cpu_diff [--seed S] [--count N] [--report MAX] [--verbose]
 * Sequence i uses seed S + i; a mismatch prints that seed (rerun it alone
 * with --seed <that seed> --count 1), the sequence disassembled, the
 * initial state and both final states, and the run exits 1.
 *
 * Each sequence is 1..32 "items" drawn from every encoding that Unicorn
 * executes deterministically in Thread mode (see docs/cpu.md): data
 * processing with all flag effects, shifts by register (incl. >= 32),
 * loads/stores of every width and form into an 8 KiB RAM window (the base
 * and index are set up by instructions of the item, so addresses are
 * valid and aligned), LDM/STM/PUSH/POP, forward branches (B<cond>, B, BL,
 * BX, BLX, POP {PC}), REV*, SXT* and UXT*, MULS, ADR, ADD/SUB SP, high-register
 * MOV/ADD/CMP, MRS, MSR APSR, hints and barriers. Registers, flags and RAM
 * start random; r0-r14, NZCV and the RAM window must match at the end. */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>
#include <valgrind/valgrind.h>

#include "models/cpu/cpu.h"
#include "thumb.h"

#define CODE_SIZE 0x10000u
#define SEQ_ADDR 0x1000u
#define IMG_LEN 0x800u /* code + random tail (literal pool), per sequence */
#define RAM_BASE 0x20000000u
#define RAM_SIZE 0x2000u
#define SP_INIT 0x20001000u
#define SP_MIN 0x20000400u
#define SP_MAX 0x20001800u
#define MAX_ITEMS 32
#define MAX_STEPS 2000

typedef struct { uint64_t s; } rng_t;

static uint64_t rnd(rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned rn(rng_t *r, unsigned n) { return (unsigned)(rnd(r) % n); }

enum { IK_PLAIN, IK_BCOND, IK_B, IK_BL, IK_BXSEQ, IK_BLXSEQ, IK_POPPC };

typedef struct item {
    hw_t hw[8];
    unsigned n;
    int kind;
    unsigned cond, target, reg;
} item_t;

typedef struct seq {
    item_t it[MAX_ITEMS];
    unsigned n;
    uint32_t addr[MAX_ITEMS + 1];
    uint32_t r[15], apsr;
    uint8_t img[IMG_LEN];
    uint8_t ram[RAM_SIZE];
} seq_t;

typedef struct state {
    uint32_t r[15], apsr;
    uint8_t ram[RAM_SIZE];
    const char *err;
} state_t;

/* ------------------------------------------------------------------ */
/* Generator                                                           */

static uint32_t interesting(rng_t *g)
{
    static const uint32_t v[] = { 0, 1, 2, 31, 32, 33, 0x7F, 0x80, 0xFF,
                                  0x100, 0x7FFF, 0x8000, 0xFFFF,
                                  0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu,
                                  0xFFFFFFFEu, 0x80000001u };
    switch (rn(g, 4)) {
    case 0: return v[rn(g, sizeof v / sizeof v[0])];
    case 1: return rn(g, 300);
    default: return (uint32_t)rnd(g);
    }
}

static void emit(item_t *it, hw_t h) { it->hw[it->n++] = h; }

/* MOVS rb, #0x20; LSLS rb, rb, #24; ADDS rb, #off: rb = RAM_BASE + off */
static void set_base(item_t *it, unsigned rb, unsigned off)
{
    emit(it, T_MOVS_I(rb, 0x20));
    emit(it, T_LSLS_I(rb, rb, 24));
    emit(it, T_ADDS_I8(rb, off));
}

static unsigned lo(rng_t *g) { return rn(g, 8); }

/* r0-r12 or lr */
static unsigned anyreg(rng_t *g)
{
    unsigned r = rn(g, 14);
    return r == 13 ? 14 : r;
}

static void gen_item(rng_t *g, item_t *it, unsigned idx, unsigned n,
                     uint32_t *sp_lo, uint32_t *sp_hi)
{
    memset(it, 0, sizeof *it);
    it->kind = IK_PLAIN;
    unsigned cls = rn(g, 20);
    /* branches need a forward target: the end or a later item */
    if (cls >= 17 && idx + 1 > n)
        cls = 0;
    switch (cls) {
    case 0: case 1: case 2: /* data processing */
        emit(it, T_DP(rn(g, 16), lo(g), lo(g)));
        break;
    case 3: { /* shifts by immediate, moves, add/sub */
        unsigned rd = lo(g), rm = lo(g);
        switch (rn(g, 11)) {
        case 0: emit(it, T_LSLS_I(rd, rm, rn(g, 32))); break;
        case 1: emit(it, T_LSRS_I(rd, rm, rn(g, 32))); break;
        case 2: emit(it, T_ASRS_I(rd, rm, rn(g, 32))); break;
        case 3: emit(it, T_ADDS_R(rd, rm, lo(g))); break;
        case 4: emit(it, T_SUBS_R(rd, rm, lo(g))); break;
        case 5: emit(it, T_ADDS_I3(rd, rm, rn(g, 8))); break;
        case 6: emit(it, T_SUBS_I3(rd, rm, rn(g, 8))); break;
        case 7: emit(it, T_MOVS_I(rd, rn(g, 256))); break;
        case 8: emit(it, T_CMP_I(rd, rn(g, 256))); break;
        case 9: emit(it, T_ADDS_I8(rd, rn(g, 256))); break;
        default: emit(it, T_SUBS_I8(rd, rn(g, 256))); break;
        }
        break;
    }
    case 4: { /* shift by register, biased amounts */
        static const uint8_t amt[] = { 0, 1, 7, 31, 32, 33, 63, 64, 255 };
        static const uint8_t ops[] = { DP_LSL, DP_LSR, DP_ASR, DP_ROR };
        unsigned rs = lo(g), rd = lo(g);
        if (rn(g, 3))
            emit(it, T_MOVS_I(rs, rn(g, 2) ? amt[rn(g, 9)] : rn(g, 256)));
        emit(it, T_DP(ops[rn(g, 4)], rd, rs));
        break;
    }
    case 5: { /* high registers */
        unsigned op = rn(g, 3), rd, rm;
        do {
            rd = anyreg(g);
            rm = rn(g, 8) == 0 ? (rn(g, 2) ? 13 : 15) : anyreg(g);
            if (op == 1 && rm == 15)
                rm = 13; /* CMP with PC is UNPREDICTABLE */
        } while (op == 1 && rd < 8 && rm < 8); /* CMP lo,lo: UNPRED. */
        emit(it, op == 0 ? T_ADD_HI(rd, rm)
                 : op == 1 ? T_CMP_HI(rd, rm) : T_MOV_HI(rd, rm));
        break;
    }
    case 6: { /* extend, reverse, multiply, interesting values */
        unsigned rd = lo(g), rm = lo(g);
        switch (rn(g, 10)) {
        case 0: emit(it, T_SXTH(rd, rm)); break;
        case 1: emit(it, T_SXTB(rd, rm)); break;
        case 2: emit(it, T_UXTH(rd, rm)); break;
        case 3: emit(it, T_UXTB(rd, rm)); break;
        case 4: emit(it, T_REV(rd, rm)); break;
        case 5: emit(it, T_REV16(rd, rm)); break;
        case 6: emit(it, T_REVSH(rd, rm)); break;
        case 7: emit(it, T_DP(DP_MUL, rd, rm)); break;
        case 8: /* 0x80000000-ish, 0xFFFFFFFF-ish */
            emit(it, T_MOVS_I(rd, rn(g, 4)));
            emit(it, rn(g, 2) ? T_LSLS_I(rd, rd, 31) : T_DP(DP_MVN, rd, rd));
            break;
        default:
            emit(it, T_MOVS_I(rd, rn(g, 256)));
            break;
        }
        break;
    }
    case 7: case 8: case 9: { /* single loads and stores */
        unsigned f = rn(g, 17), rt = lo(g), rb = lo(g), ri;
        static const uint8_t rr_size[8] = { 4, 2, 1, 1, 4, 2, 1, 2 };
        if (f < 8) { /* [rb, ri] */
            unsigned sz = rr_size[f];
            do
                ri = lo(g);
            while (ri == rb);
            set_base(it, rb, rn(g, 256) & ~(sz - 1));
            emit(it, T_MOVS_I(ri, rn(g, 256) & ~(sz - 1)));
            emit(it, T_LS_R(f, rt, rb, ri));
        } else if (f < 14) { /* [rb, #imm] */
            static const uint8_t sz[6] = { 4, 4, 1, 1, 2, 2 };
            unsigned s = sz[f - 8], off = rn(g, 32) * s;
            set_base(it, rb, rn(g, 256) & ~(s - 1u));
            switch (f - 8) {
            case 0: emit(it, T_STR_I(rt, rb, off)); break;
            case 1: emit(it, T_LDR_I(rt, rb, off)); break;
            case 2: emit(it, T_STRB_I(rt, rb, off)); break;
            case 3: emit(it, T_LDRB_I(rt, rb, off)); break;
            case 4: emit(it, T_STRH_I(rt, rb, off)); break;
            default: emit(it, T_LDRH_I(rt, rb, off)); break;
            }
        } else if (f == 14) {
            emit(it, T_STR_SP(rt, rn(g, 256) * 4));
        } else if (f == 15) {
            emit(it, T_LDR_SP(rt, rn(g, 256) * 4));
        } else {
            emit(it, T_LDR_LIT(rt, rn(g, 256) * 4));
        }
        break;
    }
    case 10: { /* LDM / STM */
        unsigned rb = lo(g), list = 1 + rn(g, 255);
        bool store = rn(g, 2);
        if (store && (list & (1u << rb)))
            list &= ~((1u << rb) - 1); /* base in list: only lowest */
        set_base(it, rb, rn(g, 64) * 4);
        emit(it, store ? T_STM(rb, list) : T_LDM(rb, list));
        break;
    }
    case 11: case 12: { /* PUSH / POP / SP arithmetic / ADR */
        unsigned k = rn(g, 5);
        int32_t d;
        hw_t h;
        if (k == 0) {
            unsigned list = 1 + rn(g, 511);
            d = -4 * __builtin_popcount(list);
            h = T_PUSH(list);
        } else if (k == 1) {
            unsigned list = 1 + rn(g, 255);
            d = 4 * __builtin_popcount(list);
            h = T_POP(list);
        } else if (k == 2) {
            unsigned off = rn(g, 128) * 4;
            bool sub = rn(g, 2);
            d = sub ? -(int32_t)off : (int32_t)off;
            h = sub ? T_SUB_SP(off) : T_ADD_SP(off);
        } else if (k == 3) {
            emit(it, T_ADD_SPI(lo(g), rn(g, 256) * 4));
            break;
        } else {
            emit(it, T_ADR(lo(g), rn(g, 256) * 4));
            break;
        }
        uint32_t nlo = *sp_lo + (d < 0 ? (uint32_t)d : 0);
        uint32_t nhi = *sp_hi + (d > 0 ? (uint32_t)d : 0);
        if (nlo < SP_MIN || nhi > SP_MAX) {
            emit(it, T_NOP);
            break;
        }
        *sp_lo = nlo;
        *sp_hi = nhi;
        emit(it, h);
        break;
    }
    case 13: { /* system: MRS, MSR APSR, hints, barriers */
        static const uint8_t sysm[] = { SYSM_APSR, SYSM_IAPSR, SYSM_EAPSR,
                                        SYSM_XPSR, SYSM_IPSR, SYSM_EPSR,
                                        SYSM_IEPSR, SYSM_MSP, SYSM_PRIMASK,
                                        SYSM_CONTROL };
        hw_t w[2];
        switch (rn(g, 8)) {
        case 0: case 1: T_MRS(w, anyreg(g), sysm[rn(g, 10)]); break;
        case 2: case 3: {
            /* Unicorn quirk: its M0 keeps a Q flag (APSR[27]) that
             * ARMv6-M does not have, so the source has only bits 31:28 */
            unsigned rs = lo(g);
            emit(it, T_MOVS_I(rs, rn(g, 16)));
            emit(it, T_LSLS_I(rs, rs, 28));
            T_MSR(w, rn(g, 4), rs);
            break;
        }
        case 4: T_DSB(w); break;
        case 5: T_DMB(w); break;
        case 6: T_ISB(w); break;
        default: {
            static const hw_t hints[] = { T_NOP, T_YIELD, T_SEV };
            emit(it, hints[rn(g, 3)]);
            return;
        }
        }
        emit(it, w[0]);
        emit(it, w[1]);
        break;
    }
    case 14: case 15: case 16: /* more data processing with flags */
        emit(it, T_DP(rn(g, 16), lo(g), lo(g)));
        break;
    default: { /* branches, forward to a later item or the end */
        it->target = idx + 1 + rn(g, (n - idx) < 6 ? (n - idx) : 6);
        unsigned k = rn(g, 8);
        if (k < 3) {
            it->kind = IK_BCOND;
            it->cond = rn(g, 14);
            emit(it, 0);
        } else if (k == 3) {
            it->kind = IK_B;
            emit(it, 0);
        } else if (k == 4) {
            it->kind = IK_BL;
            emit(it, 0);
            emit(it, 0);
        } else {
            /* MOV rX, PC; ADDS rX, #k; BX/BLX rX  or  PUSH {rA, rX};
             * POP {rB, PC} */
            it->reg = 1 + rn(g, 7);
            it->kind = k == 5 ? IK_BXSEQ : k == 6 ? IK_BLXSEQ : IK_POPPC;
            emit(it, T_MOV_HI(it->reg, 15));
            emit(it, 0);
            if (it->kind == IK_POPPC) {
                if (*sp_lo - 8 < RAM_BASE) {
                    it->kind = IK_BXSEQ;
                    emit(it, T_BX(it->reg));
                } else {
                    emit(it, T_PUSH((1u << rn(g, it->reg)) | 1u << it->reg));
                    emit(it, T_POP(0x100 | 1u << lo(g)));
                }
            } else {
                emit(it, it->kind == IK_BXSEQ ? T_BX(it->reg)
                                              : T_BLX(it->reg));
            }
        }
        break;
    }
    }
}

static void gen_seq(uint64_t seed, seq_t *s)
{
    rng_t g = { seed };
    s->n = 1 + rn(&g, MAX_ITEMS);
    uint32_t sp_lo = SP_INIT, sp_hi = SP_INIT;
    for (unsigned i = 0; i < s->n; i++)
        gen_item(&g, &s->it[i], i, s->n, &sp_lo, &sp_hi);
    /* layout, then resolve branches */
    s->addr[0] = SEQ_ADDR;
    for (unsigned i = 0; i < s->n; i++)
        s->addr[i + 1] = s->addr[i] + 2 * s->it[i].n;
    for (unsigned i = 0; i < s->n; i++) {
        item_t *it = &s->it[i];
        int off = (int)s->addr[it->target] - (int)(s->addr[i] + 4);
        switch (it->kind) {
        case IK_BCOND: it->hw[0] = T_BCC(it->cond, off); break;
        case IK_B: it->hw[0] = T_B(off); break;
        case IK_BL: T_BL(it->hw, off); break;
        case IK_BXSEQ:
        case IK_BLXSEQ:
        case IK_POPPC:
            it->hw[1] = T_ADDS_I8(it->reg, (unsigned)(off + 1));
            break;
        default: break;
        }
    }
    for (unsigned i = 0; i < IMG_LEN; i++)
        s->img[i] = (uint8_t)rnd(&g);
    uint32_t a = 0;
    for (unsigned i = 0; i < s->n; i++)
        for (unsigned j = 0; j < s->it[i].n; j++, a += 2)
            memcpy(s->img + a, &s->it[i].hw[j], 2);
    for (unsigned i = 0; i < RAM_SIZE; i += 8) {
        uint64_t v = rnd(&g);
        memcpy(s->ram + i, &v, 8);
    }
    for (unsigned i = 0; i < 15; i++)
        s->r[i] = interesting(&g);
    s->r[13] = SP_INIT;
    s->apsr = (uint32_t)rn(&g, 16) << 28;
}

/* ------------------------------------------------------------------ */
/* The two cores                                                       */

static uint8_t flash[CODE_SIZE], ram[RAM_SIZE];
static cpu_t cpu;
static uc_engine *uc;

static void setup(void)
{
    cpu_cfg_t cfg = { .name = "diff", .hz = 16000000 };
    cpu_init(&cpu, &cfg);
    cpu_map(&cpu, &(cpu_map_cfg_t){ .name = "code", .kind = CPU_MEM_ROM,
                                    .base = 0, .size = CODE_SIZE,
                                    .host = flash });
    cpu_map(&cpu, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
                                    .base = RAM_BASE, .size = RAM_SIZE,
                                    .host = ram });
    uint32_t v[2] = { SP_INIT, SEQ_ADDR | 1 };
    memcpy(flash, v, sizeof v);
}

/* Unicorn quirk: after ~300 000 code rewrites and cache flushes one engine
 * crashes in its TB chaining (tb_set_jmp_target); a fresh engine every
 * UC_FRESH sequences avoids it. */
#define UC_FRESH 50000

static void uc_setup(void)
{
    if (uc)
        uc_close(uc);
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc) ||
        uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M0) ||
        uc_mem_map(uc, 0, CODE_SIZE, UC_PROT_ALL) ||
        uc_mem_map(uc, RAM_BASE, RAM_SIZE, UC_PROT_ALL)) {
        fprintf(stderr, "test_cpu_diff: cannot set up Unicorn\n");
        exit(2);
    }
    uc_mem_write(uc, 0, flash, 8);
}

static void run_ours(const seq_t *s, state_t *st)
{
    memcpy(flash + SEQ_ADDR, s->img, IMG_LEN);
    cpu_invalidate(&cpu, SEQ_ADDR, IMG_LEN);
    memcpy(ram, s->ram, RAM_SIZE);
    cpu_reset(&cpu);
    for (unsigned i = 0; i < 15; i++)
        cpu_set_reg(&cpu, i, s->r[i]);
    cpu_set_special(&cpu, CPU_SPECIAL_XPSR, s->apsr | 1u << 24);
    cpu_set_reg(&cpu, 15, SEQ_ADDR);
    uint64_t faults = cpu_fault_count(&cpu);
    uint32_t end = s->addr[s->n];
    st->err = NULL;
    for (unsigned k = 0; cpu_reg(&cpu, 15) != end; k++) {
        if (k == MAX_STEPS) {
            st->err = "did not reach the end";
            break;
        }
        cpu_step(&cpu);
        if (cpu_fault_count(&cpu) != faults) {
            st->err = cpu_fault_name(cpu_last_fault(&cpu)->kind);
            break;
        }
    }
    for (unsigned i = 0; i < 15; i++)
        st->r[i] = cpu_reg(&cpu, i);
    st->apsr = cpu_special(&cpu, CPU_SPECIAL_XPSR) & 0xF0000000u;
    memcpy(st->ram, ram, RAM_SIZE);
}

static const int uc_regs[15] = {
    UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
    UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
    UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
    UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR,
};

static void run_unicorn(const seq_t *s, state_t *st)
{
    uc_mem_write(uc, SEQ_ADDR, s->img, IMG_LEN);
    uc_ctl_remove_cache(uc, SEQ_ADDR, SEQ_ADDR + IMG_LEN);
    uc_mem_write(uc, RAM_BASE, s->ram, RAM_SIZE);
    for (unsigned i = 0; i < 15; i++)
        uc_reg_write(uc, uc_regs[i], &s->r[i]);
    uc_reg_write(uc, UC_ARM_REG_APSR, &s->apsr);
    uc_err e = uc_emu_start(uc, SEQ_ADDR | 1, s->addr[s->n], 0, MAX_STEPS);
    uint32_t pc;
    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    /* Unicorn quirk: YIELD leaves the emulation with "invalid
     * instruction" and PC already past it; carry on from there */
    for (unsigned k = 0; e == UC_ERR_INSN_INVALID && k < MAX_STEPS; k++) {
        uint16_t prev = 0;
        if (pc < SEQ_ADDR + 2 || pc > SEQ_ADDR + IMG_LEN ||
            uc_mem_read(uc, pc - 2, &prev, 2) || prev != T_YIELD)
            break;
        e = uc_emu_start(uc, pc | 1, s->addr[s->n], 0, MAX_STEPS);
        uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    }
    st->err = NULL;
    if (e || pc != s->addr[s->n]) {
        static char buf[128];
        snprintf(buf, sizeof buf, "%s at pc %08x",
                 e ? uc_strerror(e) : "did not reach the end", pc);
        st->err = buf;
    }
    for (unsigned i = 0; i < 15; i++)
        uc_reg_read(uc, uc_regs[i], &st->r[i]);
    uc_reg_read(uc, UC_ARM_REG_APSR, &st->apsr);
    st->apsr &= 0xF0000000u;
    uc_mem_read(uc, RAM_BASE, st->ram, RAM_SIZE);
}

/* ------------------------------------------------------------------ */
/* Reports                                                             */

static void print_seq(const seq_t *s)
{
    csh cs;
    cs_insn *insn;
    uint32_t len = s->addr[s->n] - SEQ_ADDR;
    if (cs_open(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS, &cs) ==
        CS_ERR_OK) {
        size_t n = cs_disasm(cs, s->img, len, SEQ_ADDR, 0, &insn);
        for (size_t i = 0; i < n; i++) {
            printf("  %08" PRIx64 ":  ", insn[i].address);
            for (unsigned b = 0; b < insn[i].size; b += 2)
                printf("%02x%02x ", insn[i].bytes[b + 1], insn[i].bytes[b]);
            printf("%*s%s %s\n", insn[i].size == 2 ? 5 : 0, "",
                   insn[i].mnemonic, insn[i].op_str);
        }
        if (n)
            cs_free(insn, n);
        cs_close(&cs);
    } else {
        for (uint32_t a = 0; a < len; a += 2)
            printf("  %08x:  %02x%02x\n", SEQ_ADDR + a, s->img[a + 1],
                   s->img[a]);
    }
    printf("  %08x:  (end)\n", s->addr[s->n]);
}

static void print_regs(const char *what, const uint32_t *r, uint32_t apsr)
{
    printf("  %-8s", what);
    for (unsigned i = 0; i < 15; i++)
        printf("%sr%u=%08x", i && i % 5 == 0 ? "\n          " : " ", i,
               r[i]);
    printf(" %c%c%c%c\n", apsr >> 31 ? 'N' : '-', (apsr >> 30) & 1 ? 'Z' : '-',
           (apsr >> 29) & 1 ? 'C' : '-', (apsr >> 28) & 1 ? 'V' : '-');
}

static bool compare(const state_t *a, const state_t *b)
{
    if (a->err || b->err)
        return false;
    if (memcmp(a->r, b->r, sizeof a->r) || a->apsr != b->apsr)
        return false;
    return memcmp(a->ram, b->ram, RAM_SIZE) == 0;
}

static void report(uint64_t seed, const seq_t *s, const state_t *ours,
                   const state_t *ref)
{
    printf("MISMATCH seed %" PRIu64 " (rerun: test_cpu_diff --seed %" PRIu64
           " --count 1)\n", seed, seed);
    print_seq(s);
    print_regs("initial", s->r, s->apsr);
    print_regs("ours", ours->r, ours->apsr);
    print_regs("unicorn", ref->r, ref->apsr);
    if (ours->err)
        printf("  ours: %s\n", ours->err);
    if (ref->err)
        printf("  unicorn: %s\n", ref->err);
    unsigned shown = 0;
    for (unsigned i = 0; i < RAM_SIZE && shown < 8; i++) {
        if (ours->ram[i] != ref->ram[i]) {
            printf("  ram %08x: ours %02x unicorn %02x (was %02x)\n",
                   RAM_BASE + i, ours->ram[i], ref->ram[i], s->ram[i]);
            shown++;
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, count = 1000;
    bool verbose = false;
    uint64_t max_reports = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--report") && i + 1 < argc)
            max_reports = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--verbose"))
            verbose = true;
        else {
            fprintf(stderr,
                    "usage: test_cpu_diff [--seed S] [--count N] "
                    "[--report MAX] [--verbose]\n");
            return 2;
        }
    }
    if (RUNNING_ON_VALGRIND && count > 2000) {
        /* memcheck over Unicorn's JIT is ~100x slower: a sample will do */
        printf("under valgrind: %" PRIu64 " sequences instead of %" PRIu64
               "\n", (uint64_t)2000, count);
        count = 2000;
    }
    setup();
    static seq_t s;
    static state_t ours, ref;
    uint64_t mismatches = 0, insns = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (i % UC_FRESH == 0)
            uc_setup();
        gen_seq(seed + i, &s);
        uint64_t before = cpu_instructions(&cpu);
        run_ours(&s, &ours);
        insns += cpu_instructions(&cpu) - before;
        run_unicorn(&s, &ref);
        if (verbose && i < 5) {
            print_seq(&s);
            print_regs("ours", ours.r, ours.apsr);
        }
        if (!compare(&ours, &ref)) {
            if (++mismatches <= max_reports)
                report(seed + i, &s, &ours, &ref);
        }
    }
    printf("%" PRIu64 " sequences, %" PRIu64 " mismatches (%" PRIu64
           " instructions, seeds %" PRIu64 "..%" PRIu64 ")\n",
           count, mismatches, insns, seed, seed + count - 1);
    cpu_cleanup(&cpu);
    uc_close(uc);
    return mismatches ? 1 : 0;
}
