/* SPDX-License-Identifier: MIT */
/* models/cpu/cpu_exec.c - ARMv6-M decoder and interpreter loop.
 *
 * Reference: ARMv6-M Architecture Reference Manual (DDI 0419), chapter A5
 * (Thumb instruction set encoding) and A6 (instruction details); cycles
 * from the Cortex-M0 TRM r0p0 table 3-1 (see docs/cpu.md).
 *
 * Each halfword of an executable region is decoded once into a cpu_insn_t
 * (handler index, static cycle count, extracted fields; PC-relative values
 * and branch targets are absolute). The loop dispatches on the handler
 * index with computed goto, keeps PC as a pointer into the decoded array,
 * the flags and the cycle counter in locals, and compares the cycle
 * counter with c->stop once per instruction. Anything unusual (MMIO,
 * exceptions, sleep, faults) leaves the loop through c->stop = 0 or an
 * exit, and cpu.c's outer loop deals with it.
 *
 * Notes:
 *  - UNPREDICTABLE encodings execute as documented in docs/cpu.md (e.g.
 *    STM with the base in the list stores its original value; empty
 *    register lists and MRS/MSR with SP/PC are UNDEFINED here);
 *  - LDM/POP read everything before writing registers, so a faulting
 *    load-multiple leaves the registers unchanged. */
#include "models/cpu/cpu_int.h"

enum {
    OP_DECODE = 0, /* not decoded yet (all-zero entry) */
    OP_END,        /* sentinel past the end of a region */
    OP_FETCH_FAULT,
    OP_LSL_I, OP_LSR_I, OP_ASR_I, OP_MOVS_R,
    OP_ADD_R, OP_SUB_R, OP_ADD_I, OP_SUB_I, OP_MOV_I, OP_CMP_I,
    OP_AND, OP_EOR, OP_LSL_R, OP_LSR_R, OP_ASR_R, OP_ADC, OP_SBC, OP_ROR_R,
    OP_TST, OP_RSB, OP_CMP_R, OP_CMN, OP_ORR, OP_MUL, OP_BIC, OP_MVN,
    OP_ADD_HI, OP_MOV_HI, OP_CMP_HI, OP_HI_GEN, OP_ADD_K, OP_MOV_K,
    OP_BX, OP_BLX,
    OP_LDR_L,
    OP_STR_RR, OP_STRH_RR, OP_STRB_RR, OP_LDRSB_RR,
    OP_LDR_RR, OP_LDRH_RR, OP_LDRB_RR, OP_LDRSH_RR,
    OP_STR_I, OP_LDR_I, OP_STRB_I, OP_LDRB_I, OP_STRH_I, OP_LDRH_I,
    OP_STM, OP_LDM, OP_PUSH, OP_POP, OP_POP_PC,
    OP_SXTH, OP_SXTB, OP_UXTH, OP_UXTB, OP_REV, OP_REV16, OP_REVSH,
    OP_BEQ, OP_BNE, OP_BCS, OP_BCC, OP_BMI, OP_BPL, OP_BVS, OP_BVC,
    OP_BHI, OP_BLS, OP_BGE, OP_BLT, OP_BGT, OP_BLE,
    OP_B, OP_BL,
    OP_SVC, OP_BKPT, OP_UDF, OP_CPSIE, OP_CPSID, OP_NOP, OP_WFE, OP_WFI,
    OP_SEV, OP_MRS, OP_MSR, OP_NOP32,
    OP_BREAK,      /* a breakpoint's address (the real one: c->bp_insn) */
    OP_COUNT
};

/* ------------------------------------------------------------------ */
/* Decoder                                                             */

static void set(cpu_insn_t *o, unsigned op, unsigned cyc, unsigned a,
                unsigned b, uint32_t k)
{
    o->op = (uint8_t)op;
    o->cyc = (uint8_t)(cyc > 255 ? 255 : cyc);
    o->a = (uint8_t)a;
    o->b = (uint8_t)b;
    o->k = k;
}

static uint32_t sext(uint32_t v, unsigned bits)
{
    uint32_t m = 1u << (bits - 1);
    return (v ^ m) - m;
}

static void decode_misc(const cpu_t *c, uint32_t hw, unsigned fw,
                        cpu_insn_t *o)
{
    (void)c;
    unsigned rd = hw & 7, rm = (hw >> 3) & 7;
    if ((hw & 0x0F00) == 0x0000) { /* ADD/SUB SP, SP, #imm7*4 */
        uint32_t imm = (hw & 0x7F) << 2;
        set(o, OP_ADD_K, 1 + fw, 13, 13, (hw & 0x80) ? 0u - imm : imm);
    } else if ((hw & 0x0F00) == 0x0200) { /* extend */
        static const uint8_t ops[4] = { OP_SXTH, OP_SXTB, OP_UXTH, OP_UXTB };
        set(o, ops[(hw >> 6) & 3], 1 + fw, rd, 0, rm);
    } else if ((hw & 0x0E00) == 0x0400) { /* PUSH */
        uint32_t list = hw & 0x1FF;
        unsigned n = (unsigned)__builtin_popcount(list);
        if (n == 0)
            set(o, OP_UDF, 1 + fw, 0, 0, hw);
        else
            set(o, OP_PUSH, 1 + n + fw, 0, n, list);
    } else if ((hw & 0x0FE0) == 0x0660) { /* CPS */
        if (!(hw & 2))
            set(o, OP_NOP, 1 + fw, 0, 0, 0);
        else
            set(o, (hw & 0x10) ? OP_CPSID : OP_CPSIE, 1 + fw, 0, 0, 0);
    } else if ((hw & 0x0F00) == 0x0A00) { /* reverse */
        static const uint8_t ops[4] = { OP_REV, OP_REV16, OP_UDF, OP_REVSH };
        unsigned op = ops[(hw >> 6) & 3];
        set(o, op, 1 + fw, rd, 0, op == OP_UDF ? hw : rm);
    } else if ((hw & 0x0E00) == 0x0C00) { /* POP */
        uint32_t list = hw & 0xFF;
        unsigned n = (unsigned)__builtin_popcount(list);
        if (hw & 0x100)
            set(o, OP_POP_PC, 4 + n + fw, 0, n, list);
        else if (n == 0)
            set(o, OP_UDF, 1 + fw, 0, 0, hw);
        else
            set(o, OP_POP, 1 + n + fw, 0, n, list);
    } else if ((hw & 0x0F00) == 0x0E00) { /* BKPT */
        set(o, OP_BKPT, 1 + fw, 0, 0, hw & 0xFF);
    } else if ((hw & 0x0F00) == 0x0F00) { /* IT (v7 only) and hints */
        if (hw & 0xF) {
            set(o, OP_UDF, 1 + fw, 0, 0, hw);
        } else {
            switch ((hw >> 4) & 0xF) {
            case 2: set(o, OP_WFE, 2 + fw, 0, 0, 0); break;
            case 3: set(o, OP_WFI, 2 + fw, 0, 0, 0); break;
            case 4: set(o, OP_SEV, 1 + fw, 0, 0, 0); break;
            default: set(o, OP_NOP, 1 + fw, 0, 0, 0); break; /* NOP, YIELD,
                                                   unallocated hints */
            }
        }
    } else {
        set(o, OP_UDF, 1 + fw, 0, 0, hw); /* CBZ/CBNZ etc. are v7-M */
    }
}

static void decode_hi(uint32_t pc, uint32_t hw, unsigned fw, cpu_insn_t *o)
{
    unsigned op2 = (hw >> 8) & 3;
    unsigned rd = (hw & 7) | ((hw >> 4) & 8), rm = (hw >> 3) & 15;
    if (op2 == 3) { /* BX / BLX */
        if ((hw & 0x80) && rm == 15)
            set(o, OP_UDF, 1 + fw, 0, 0, hw);
        else if (rm == 15) /* BX PC: to an even address -> INVSTATE */
            set(o, OP_HI_GEN, 3 + fw, 3, 15, 15);
        else
            set(o, (hw & 0x80) ? OP_BLX : OP_BX, 3 + fw, 0, 0, rm);
        return;
    }
    if (rd == 15 || rm == 15 || (rd == 13 && op2 != 1)) {
        /* writes PC or SP, or reads PC: the generic (slower) handler */
        unsigned base = (rd == 15 && op2 != 1) ? 3 : 1;
        set(o, OP_HI_GEN, base + fw, op2, rd, rm);
        (void)pc;
        return;
    }
    static const uint8_t ops[3] = { OP_ADD_HI, OP_CMP_HI, OP_MOV_HI };
    set(o, ops[op2], 1 + fw, rd, 0, rm);
}

static void decode32(const cpu_t *c, const cpu_region_t *rg, uint32_t off,
                     uint32_t hw1, cpu_insn_t *o)
{
    (void)c;
    uint32_t pc = rg->base + off;
    unsigned fw = rg->ws; /* a 32-bit instruction always covers one
                             word-aligned halfword */
    if (off + 2 >= rg->size) {
        set(o, OP_FETCH_FAULT, 1 + fw, 0, 0, pc + 2);
        return;
    }
    uint32_t hw2 = cpu_ld16(rg->host + off + 2);
    uint32_t op1 = (hw1 >> 4) & 0x7F, op2 = (hw2 >> 12) & 7;
    if ((hw1 >> 11) == 0x1E) {
        if ((op2 & 5) == 5) { /* BL */
            uint32_t s = (hw1 >> 10) & 1;
            uint32_t j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
            uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
            uint32_t imm = (s << 24) | (i1 << 23) | (i2 << 22) |
                           ((hw1 & 0x3FF) << 12) | ((hw2 & 0x7FF) << 1);
            set(o, OP_BL, 4 + fw, 0, 0, pc + 4 + sext(imm, 25));
            return;
        }
        if ((op2 & 5) == 0) {
            if ((op1 & 0x7E) == 0x38) { /* MSR */
                unsigned rn = hw1 & 15;
                if (rn == 13 || rn == 15)
                    set(o, OP_UDF, 1 + fw, 0, 0, (hw1 << 16) | hw2);
                else
                    set(o, OP_MSR, 4 + fw, rn, 0, hw2 & 0xFF);
                return;
            }
            if (op1 == 0x3B) { /* DSB, DMB, ISB */
                unsigned opt = (hw2 >> 4) & 15;
                if (opt >= 4 && opt <= 6)
                    set(o, OP_NOP32, 4 + fw, 0, 0, 0);
                else
                    set(o, OP_UDF, 1 + fw, 0, 0, (hw1 << 16) | hw2);
                return;
            }
            if ((op1 & 0x7E) == 0x3E) { /* MRS */
                unsigned rd = (hw2 >> 8) & 15;
                if (rd == 13 || rd == 15)
                    set(o, OP_UDF, 1 + fw, 0, 0, (hw1 << 16) | hw2);
                else
                    set(o, OP_MRS, 4 + fw, rd, 0, hw2 & 0xFF);
                return;
            }
        }
    }
    set(o, OP_UDF, 1 + fw, 0, 0, (hw1 << 16) | hw2); /* incl. UDF.W */
}

void cpu__decode(const cpu_t *c, const cpu_region_t *rg, uint32_t off,
                 cpu_insn_t *o)
{
    uint32_t pc = rg->base + off;
    uint32_t hw = cpu_ld16(rg->host + off);
    unsigned fw = (pc & 2) ? 0 : rg->ws; /* word fetched with this insn */
    unsigned rd = hw & 7, rn = (hw >> 3) & 7, rm = (hw >> 6) & 7;
    unsigned imm5 = (hw >> 6) & 31, r8 = (hw >> 8) & 7, imm8 = hw & 0xFF;

    switch (hw >> 11) {
    case 0x00:
        if (imm5 == 0)
            set(o, OP_MOVS_R, 1 + fw, rd, rn, 0);
        else
            set(o, OP_LSL_I, 1 + fw, rd, rn, imm5);
        break;
    case 0x01: set(o, OP_LSR_I, 1 + fw, rd, rn, imm5 ? imm5 : 32); break;
    case 0x02: set(o, OP_ASR_I, 1 + fw, rd, rn, imm5 ? imm5 : 32); break;
    case 0x03:
        switch ((hw >> 9) & 3) {
        case 0: set(o, OP_ADD_R, 1 + fw, rd, rn, rm); break;
        case 1: set(o, OP_SUB_R, 1 + fw, rd, rn, rm); break;
        case 2: set(o, OP_ADD_I, 1 + fw, rd, rn, rm); break;
        default: set(o, OP_SUB_I, 1 + fw, rd, rn, rm); break;
        }
        break;
    case 0x04: set(o, OP_MOV_I, 1 + fw, r8, 0, imm8); break;
    case 0x05: set(o, OP_CMP_I, 1 + fw, r8, 0, imm8); break;
    case 0x06: set(o, OP_ADD_I, 1 + fw, r8, r8, imm8); break;
    case 0x07: set(o, OP_SUB_I, 1 + fw, r8, r8, imm8); break;
    case 0x08:
        if (hw & 0x0400) {
            decode_hi(pc, hw, fw, o);
        } else {
            static const uint8_t ops[16] = {
                OP_AND, OP_EOR, OP_LSL_R, OP_LSR_R, OP_ASR_R, OP_ADC,
                OP_SBC, OP_ROR_R, OP_TST, OP_RSB, OP_CMP_R, OP_CMN,
                OP_ORR, OP_MUL, OP_BIC, OP_MVN };
            unsigned op = ops[(hw >> 6) & 15];
            set(o, op, (op == OP_MUL ? c->mul_cycles : 1) + fw, rd, 0, rn);
        }
        break;
    case 0x09:
        set(o, OP_LDR_L, 2 + fw, r8, 0, ((pc + 4) & ~3u) + imm8 * 4);
        break;
    case 0x0A:
    case 0x0B: {
        static const uint8_t ops[8] = {
            OP_STR_RR, OP_STRH_RR, OP_STRB_RR, OP_LDRSB_RR,
            OP_LDR_RR, OP_LDRH_RR, OP_LDRB_RR, OP_LDRSH_RR };
        set(o, ops[(hw >> 9) & 7], 2 + fw, rd, rn, rm);
        break;
    }
    case 0x0C: set(o, OP_STR_I, 2 + fw, rd, rn, imm5 * 4); break;
    case 0x0D: set(o, OP_LDR_I, 2 + fw, rd, rn, imm5 * 4); break;
    case 0x0E: set(o, OP_STRB_I, 2 + fw, rd, rn, imm5); break;
    case 0x0F: set(o, OP_LDRB_I, 2 + fw, rd, rn, imm5); break;
    case 0x10: set(o, OP_STRH_I, 2 + fw, rd, rn, imm5 * 2); break;
    case 0x11: set(o, OP_LDRH_I, 2 + fw, rd, rn, imm5 * 2); break;
    case 0x12: set(o, OP_STR_I, 2 + fw, r8, 13, imm8 * 4); break;
    case 0x13: set(o, OP_LDR_I, 2 + fw, r8, 13, imm8 * 4); break;
    case 0x14: set(o, OP_MOV_K, 1 + fw, r8, 0, ((pc + 4) & ~3u) + imm8 * 4);
        break;
    case 0x15: set(o, OP_ADD_K, 1 + fw, r8, 13, imm8 * 4); break;
    case 0x16:
    case 0x17: decode_misc(c, hw, fw, o); break;
    case 0x18:
    case 0x19: {
        unsigned n = (unsigned)__builtin_popcount(imm8);
        if (n == 0)
            set(o, OP_UDF, 1 + fw, 0, 0, hw);
        else
            set(o, (hw & 0x0800) ? OP_LDM : OP_STM, 1 + n + fw, r8, n, imm8);
        break;
    }
    case 0x1A:
    case 0x1B: {
        unsigned cond = (hw >> 8) & 15;
        if (cond == 14)
            set(o, OP_UDF, 1 + fw, 0, 0, hw);
        else if (cond == 15)
            set(o, OP_SVC, 1 + fw, 0, 0, imm8);
        else
            set(o, OP_BEQ + cond, 1 + fw, 0, 2, pc + 4 + sext(imm8 << 1, 9));
        break;
    }
    case 0x1C:
        set(o, OP_B, 3 + fw, 0, 0, pc + 4 + sext((hw & 0x7FF) << 1, 12));
        break;
    default: /* 0x1D..0x1F: 32-bit */
        decode32(c, rg, off, hw, o);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Interpreter                                                         */

/* Data access fast paths: a direct region hit costs a page-table load, a
 * subtraction and a compare; everything else goes to cpu.c. */
static inline bool ld(cpu_t *c, uint32_t a, unsigned size, uint64_t *cycp,
                      uint64_t acc, uint32_t *out)
{
    const cpu_region_t *rg = &c->regions[c->page[a >> 16]];
    uint32_t off = a - rg->base;
    if (CPU_LIKELY(off < rg->rsize)) {
        const uint8_t *p = rg->host + off;
        *out = size == 4 ? cpu_ld32(p) : size == 2 ? cpu_ld16(p) : *p;
        *cycp += rg->ws;
        return true;
    }
    return cpu__read_slow(c, a, size, acc, cycp, out);
}

static inline bool st(cpu_t *c, uint32_t a, uint32_t v, unsigned size,
                      uint64_t *cycp, uint64_t acc)
{
    cpu_region_t *rg = &c->regions[c->page[a >> 16]];
    uint32_t off = a - rg->base;
    if (CPU_LIKELY(off < rg->wsize)) {
        uint8_t *p = rg->host + off;
        if (size == 4)
            cpu_st32(p, v);
        else if (size == 2)
            cpu_st16(p, (uint16_t)v);
        else
            *p = (uint8_t)v;
        *cycp += rg->ws;
        if (rg->icache)
            cpu_icache_drop(rg->icache, off, size);
        return true;
    }
    return cpu__write_slow(c, a, v, size, acc, cycp);
}

void cpu__exec(cpu_t *c)
{
    static const void *const labels[OP_COUNT] = {
        [OP_DECODE] = &&L_DECODE, [OP_END] = &&L_END,
        [OP_FETCH_FAULT] = &&L_FETCH_FAULT,
        [OP_LSL_I] = &&L_LSL_I, [OP_LSR_I] = &&L_LSR_I,
        [OP_ASR_I] = &&L_ASR_I, [OP_MOVS_R] = &&L_MOVS_R,
        [OP_ADD_R] = &&L_ADD_R, [OP_SUB_R] = &&L_SUB_R,
        [OP_ADD_I] = &&L_ADD_I, [OP_SUB_I] = &&L_SUB_I,
        [OP_MOV_I] = &&L_MOV_I, [OP_CMP_I] = &&L_CMP_I,
        [OP_AND] = &&L_AND, [OP_EOR] = &&L_EOR, [OP_LSL_R] = &&L_LSL_R,
        [OP_LSR_R] = &&L_LSR_R, [OP_ASR_R] = &&L_ASR_R, [OP_ADC] = &&L_ADC,
        [OP_SBC] = &&L_SBC, [OP_ROR_R] = &&L_ROR_R, [OP_TST] = &&L_TST,
        [OP_RSB] = &&L_RSB, [OP_CMP_R] = &&L_CMP_R, [OP_CMN] = &&L_CMN,
        [OP_ORR] = &&L_ORR, [OP_MUL] = &&L_MUL, [OP_BIC] = &&L_BIC,
        [OP_MVN] = &&L_MVN,
        [OP_ADD_HI] = &&L_ADD_HI, [OP_MOV_HI] = &&L_MOV_HI,
        [OP_CMP_HI] = &&L_CMP_HI, [OP_HI_GEN] = &&L_HI_GEN,
        [OP_ADD_K] = &&L_ADD_K, [OP_MOV_K] = &&L_MOV_K,
        [OP_BX] = &&L_BX, [OP_BLX] = &&L_BLX,
        [OP_LDR_L] = &&L_LDR_L,
        [OP_STR_RR] = &&L_STR_RR, [OP_STRH_RR] = &&L_STRH_RR,
        [OP_STRB_RR] = &&L_STRB_RR, [OP_LDRSB_RR] = &&L_LDRSB_RR,
        [OP_LDR_RR] = &&L_LDR_RR, [OP_LDRH_RR] = &&L_LDRH_RR,
        [OP_LDRB_RR] = &&L_LDRB_RR, [OP_LDRSH_RR] = &&L_LDRSH_RR,
        [OP_STR_I] = &&L_STR_I, [OP_LDR_I] = &&L_LDR_I,
        [OP_STRB_I] = &&L_STRB_I, [OP_LDRB_I] = &&L_LDRB_I,
        [OP_STRH_I] = &&L_STRH_I, [OP_LDRH_I] = &&L_LDRH_I,
        [OP_STM] = &&L_STM, [OP_LDM] = &&L_LDM, [OP_PUSH] = &&L_PUSH,
        [OP_POP] = &&L_POP, [OP_POP_PC] = &&L_POP_PC,
        [OP_SXTH] = &&L_SXTH, [OP_SXTB] = &&L_SXTB, [OP_UXTH] = &&L_UXTH,
        [OP_UXTB] = &&L_UXTB, [OP_REV] = &&L_REV, [OP_REV16] = &&L_REV16,
        [OP_REVSH] = &&L_REVSH,
        [OP_BEQ] = &&L_BEQ, [OP_BNE] = &&L_BNE, [OP_BCS] = &&L_BCS,
        [OP_BCC] = &&L_BCC, [OP_BMI] = &&L_BMI, [OP_BPL] = &&L_BPL,
        [OP_BVS] = &&L_BVS, [OP_BVC] = &&L_BVC, [OP_BHI] = &&L_BHI,
        [OP_BLS] = &&L_BLS, [OP_BGE] = &&L_BGE, [OP_BLT] = &&L_BLT,
        [OP_BGT] = &&L_BGT, [OP_BLE] = &&L_BLE,
        [OP_B] = &&L_B, [OP_BL] = &&L_BL,
        [OP_SVC] = &&L_SVC, [OP_BKPT] = &&L_BKPT, [OP_UDF] = &&L_UDF,
        [OP_CPSIE] = &&L_CPSIE, [OP_CPSID] = &&L_CPSID, [OP_NOP] = &&L_NOP,
        [OP_WFE] = &&L_WFE, [OP_WFI] = &&L_WFI, [OP_SEV] = &&L_SEV,
        [OP_MRS] = &&L_MRS, [OP_MSR] = &&L_MSR, [OP_NOP32] = &&L_NOP32,
        [OP_BREAK] = &&L_BREAK,
    };

    uint32_t *const r = c->r;
    /* N and Z in one value: N = (nz >= 2^31), Z = (low 32 bits == 0);
     * a 32-bit result is stored as is, and N=Z=1 (only MSR makes it) is
     * 2^63 */
    uint64_t nz;
    uint32_t fc = c->fc, fv = c->fv;
    uint64_t cyc = c->cycles, ninsn = 0;
    cpu_insn_t *icache = NULL, *ip = NULL, *in;
    const cpu_region_t *crg = NULL; /* the code region */
    uint32_t ibase = 0, isize = 0, iws = 0;
    uint32_t t = 0, fa = 0;        /* branch target, fault address */
    bool pen = false;              /* charge the target-fetch penalty */
    cpu_fault_kind_t fk = CPU_FAULT_NONE;

#define PC_OF(p) (ibase + ((uint32_t)((p) - icache) << 1))
#define DISPATCH()                                                        \
    do {                                                                  \
        if (CPU_UNLIKELY(cyc >= c->stop))                                 \
            goto out;                                                     \
        in = ip;                                                          \
        cyc += in->cyc;                                                   \
        ninsn++;                                                          \
        goto *labels[in->op];                                             \
    } while (0)
#define NEXT() do { ip++; DISPATCH(); } while (0)
#define NEXT32() do { ip += 2; DISPATCH(); } while (0)
#define NZ(v) (nz = (uint32_t)(v))
#define FLAG_N (nz >= 0x80000000u)
#define FLAG_Z ((uint32_t)nz == 0)
#define NZ_IN()                                                           \
    (nz = (c->fn >> 31) ? (c->fz == 0 ? 1ull << 63 : 0x80000000u)         \
                        : (c->fz == 0 ? 0 : 1))
#define NZ_OUT()                                                          \
    (c->fn = FLAG_N ? 0x80000000u : 0, c->fz = FLAG_Z ? 0 : 1)
/* Branch to t (bit 0 clear): a word fetched for a target in the middle
 * of a word costs that word's wait states (docs/cpu.md). */
#define JUMP(target)                                                      \
    do {                                                                  \
        t = (target);                                                     \
        if (CPU_LIKELY(t - ibase < isize)) {                              \
            ip = icache + ((t - ibase) >> 1);                             \
            cyc += (t & 2) ? iws : 0;                                     \
            DISPATCH();                                                   \
        }                                                                 \
        pen = true;                                                       \
        goto far;                                                         \
    } while (0)
#define SYNC()                                                            \
    do {                                                                  \
        NZ_OUT(); c->fc = fc; c->fv = fv;                                 \
        c->cycles = cyc; c->insns += ninsn; ninsn = 0;                    \
    } while (0)
#define RELOAD()                                                          \
    do {                                                                  \
        NZ_IN(); fc = c->fc; fv = c->fv;                                  \
        cyc = c->cycles;                                                  \
    } while (0)
#define FAULT(kind, addr) do { fk = (kind); fa = (addr); goto fault; } while (0)
#define ADD_FLAGS(x, y, v)                                                \
    do { fc = (v) < (x); fv = (((x) ^ (v)) & ((y) ^ (v))) >> 31; } while (0)
#define SUB_FLAGS(x, y, v)                                                \
    do { fc = (x) >= (y); fv = (((x) ^ (y)) & ((x) ^ (v))) >> 31; } while (0)

    NZ_IN();
    t = r[15] & ~1u;
    pen = false;
    goto far;

far: {
        /* enter a (new) code region at t */
        cpu_region_t *rg = &c->regions[c->page[t >> 16]];
        if (t - rg->base >= rg->size)
            rg = (cpu_region_t *)cpu__find(c, t);
        if (!rg || !cpu__exec_ok(rg, t)) {
            r[15] = t;
            SYNC();
            cpu__fault(c, CPU_FAULT_FETCH, t, t);
            return;
        }
        if (!rg->icache)
            cpu__alloc_icache(rg);
        crg = rg;
        icache = rg->icache;
        ibase = rg->base;
        isize = rg->size;
        iws = rg->ws;
        ip = icache + ((t - ibase) >> 1);
        if (pen && (t & 2))
            cyc += iws;
        pen = false;
        DISPATCH();
    }

L_DECODE: {
        cpu__decode(c, crg, PC_OF(ip) - ibase, ip);
        if (CPU_UNLIKELY(c->n_bp) && cpu__bp_index(c, PC_OF(ip)) >= 0) {
            *ip = (cpu_insn_t){ .op = OP_BREAK };
            goto L_BREAK;
        }
        cyc += ip->cyc;
        goto *labels[ip->op];
    }
L_BREAK: {
        /* before the instruction: not counted, no cycles yet */
        uint32_t pc = PC_OF(ip);
        ninsn--;
        bool stop = false;
        if (c->bp_skip == pc) {
            c->bp_skip = CPU_NO_BP;
        } else {
            r[15] = pc;
            SYNC();
            for (unsigned i = 0; i < c->n_bp; i++)
                if (c->bp[i].addr == pc &&
                    c->bp[i].fn(c->bp[i].ctx, c, pc))
                    stop = true;
            RELOAD();
        }
        if (stop) {
            c->bp_halted = true;
            c->state = CPU_HALTED;
            c->stop = 0;
            goto out;
        }
        cpu__decode(c, crg, pc - ibase, &c->bp_insn);
        in = &c->bp_insn;
        cyc += in->cyc;
        ninsn++;
        goto *labels[in->op];
    }
L_END:
    ninsn--;
    t = ibase + isize;
    pen = false;
    goto far;
L_FETCH_FAULT:
    FAULT(CPU_FAULT_FETCH, in->k);

    /* --- shifts, add/sub, moves --- */
L_LSL_I: {
        uint32_t v = r[in->b];
        unsigned s = in->k;
        fc = (v >> (32 - s)) & 1;
        v <<= s;
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_LSR_I: {
        uint64_t v = r[in->b];
        unsigned s = in->k;
        fc = (uint32_t)(v >> (s - 1)) & 1;
        v >>= s;
        r[in->a] = (uint32_t)v;
        NZ((uint32_t)v);
        NEXT();
    }
L_ASR_I: {
        int64_t v = (int32_t)r[in->b];
        unsigned s = in->k;
        fc = (uint32_t)(v >> (s - 1)) & 1;
        v >>= s;
        r[in->a] = (uint32_t)v;
        NZ((uint32_t)v);
        NEXT();
    }
L_MOVS_R: {
        uint32_t v = r[in->b];
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_ADD_R: {
        uint32_t x = r[in->b], y = r[in->k], v = x + y;
        ADD_FLAGS(x, y, v);
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_SUB_R: {
        uint32_t x = r[in->b], y = r[in->k], v = x - y;
        SUB_FLAGS(x, y, v);
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_ADD_I: {
        uint32_t x = r[in->b], y = in->k, v = x + y;
        ADD_FLAGS(x, y, v);
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_SUB_I: {
        uint32_t x = r[in->b], y = in->k, v = x - y;
        SUB_FLAGS(x, y, v);
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_MOV_I:
    r[in->a] = in->k;
    NZ(in->k);
    NEXT();
L_CMP_I: {
        uint32_t x = r[in->a], y = in->k, v = x - y;
        SUB_FLAGS(x, y, v);
        NZ(v);
        NEXT();
    }

    /* --- data processing (a = Rdn, k = Rm) --- */
L_AND: { uint32_t v = r[in->a] & r[in->k]; r[in->a] = v; NZ(v); NEXT(); }
L_EOR: { uint32_t v = r[in->a] ^ r[in->k]; r[in->a] = v; NZ(v); NEXT(); }
L_ORR: { uint32_t v = r[in->a] | r[in->k]; r[in->a] = v; NZ(v); NEXT(); }
L_BIC: { uint32_t v = r[in->a] & ~r[in->k]; r[in->a] = v; NZ(v); NEXT(); }
L_MVN: { uint32_t v = ~r[in->k]; r[in->a] = v; NZ(v); NEXT(); }
L_TST: { uint32_t v = r[in->a] & r[in->k]; NZ(v); NEXT(); }
L_MUL: { uint32_t v = r[in->a] * r[in->k]; r[in->a] = v; NZ(v); NEXT(); }
L_LSL_R: {
        uint32_t v = r[in->a], s = r[in->k] & 0xFF;
        if (s) {
            uint64_t w = (uint64_t)v << (s > 33 ? 33 : s);
            fc = (uint32_t)(w >> 32) & 1;
            v = (uint32_t)w;
        }
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_LSR_R: {
        uint32_t v = r[in->a], s = r[in->k] & 0xFF;
        if (s) {
            if (s > 33)
                s = 33;
            fc = (uint32_t)((uint64_t)v >> (s - 1)) & 1;
            v = (uint32_t)((uint64_t)v >> s);
        }
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_ASR_R: {
        uint32_t v = r[in->a], s = r[in->k] & 0xFF;
        if (s) {
            int64_t w = (int32_t)v;
            if (s > 32)
                s = 32;
            fc = (uint32_t)(w >> (s - 1)) & 1;
            v = (uint32_t)(w >> s);
        }
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_ROR_R: {
        uint32_t v = r[in->a], s = r[in->k] & 0xFF;
        if (s) {
            s &= 31;
            if (s)
                v = (v >> s) | (v << (32 - s));
            fc = v >> 31;
        }
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_ADC: {
        uint32_t x = r[in->a], y = r[in->k];
        uint64_t w = (uint64_t)x + y + fc;
        uint32_t v = (uint32_t)w;
        fc = (uint32_t)(w >> 32);
        fv = ((x ^ v) & (y ^ v)) >> 31;
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_SBC: {
        uint32_t x = r[in->a], y = r[in->k];
        uint64_t w = (uint64_t)x + (uint32_t)~y + fc;
        uint32_t v = (uint32_t)w;
        fc = (uint32_t)(w >> 32);
        fv = ((x ^ y) & (x ^ v)) >> 31;
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_RSB: {
        uint32_t y = r[in->k], v = 0u - y;
        SUB_FLAGS(0u, y, v);
        r[in->a] = v;
        NZ(v);
        NEXT();
    }
L_CMP_R:
L_CMP_HI: {
        uint32_t x = r[in->a], y = r[in->k], v = x - y;
        SUB_FLAGS(x, y, v);
        NZ(v);
        NEXT();
    }
L_CMN: {
        uint32_t x = r[in->a], y = r[in->k], v = x + y;
        ADD_FLAGS(x, y, v);
        NZ(v);
        NEXT();
    }
L_ADD_HI: r[in->a] += r[in->k]; NEXT();
L_MOV_HI: r[in->a] = r[in->k]; NEXT();
L_ADD_K: {
        uint32_t v = r[in->b] + in->k;
        r[in->a] = in->a == 13 ? v & ~3u : v;
        NEXT();
    }
L_MOV_K: r[in->a] = in->k; NEXT();
L_HI_GEN: {
        /* a = op (0 ADD, 1 CMP, 2 MOV, 3 BX PC), b = Rd/Rn, k = Rm */
        uint32_t pc4 = PC_OF(ip) + 4;
        unsigned rd = in->b, rm = in->k, op = in->a;
        uint32_t vm = rm == 15 ? pc4 : r[rm];
        uint32_t vd = rd == 15 ? pc4 : r[rd];
        if (op == 3) {
            t = vm;
            goto bxwrite;
        }
        if (op == 1) {
            uint32_t v = vd - vm;
            SUB_FLAGS(vd, vm, v);
            NZ(v);
            NEXT();
        }
        uint32_t v = op == 0 ? vd + vm : vm;
        if (rd == 15)
            JUMP(v & ~1u); /* ALUWritePC: no interworking */
        r[rd] = rd == 13 ? v & ~3u : v;
        NEXT();
    }

    /* --- branches --- */
L_BX:
    t = r[in->k];
    goto bxwrite;
L_BLX:
    t = r[in->k];
    r[14] = (PC_OF(ip) + 2) | 1;
    goto bxwrite;
L_B: JUMP(in->k);
L_BL:
    r[14] = (PC_OF(ip) + 4) | 1;
    JUMP(in->k);
#define BCOND(cond)                                                       \
    do {                                                                  \
        if (cond) {                                                       \
            cyc += in->b;                                                 \
            JUMP(in->k);                                                  \
        }                                                                 \
        NEXT();                                                           \
    } while (0)
L_BEQ: BCOND(FLAG_Z);
L_BNE: BCOND(!FLAG_Z);
L_BCS: BCOND(fc);
L_BCC: BCOND(!fc);
L_BMI: BCOND(FLAG_N);
L_BPL: BCOND(!FLAG_N);
L_BVS: BCOND(fv);
L_BVC: BCOND(!fv);
L_BHI: BCOND(fc && !FLAG_Z);
L_BLS: BCOND(!fc || FLAG_Z);
L_BGE: BCOND(FLAG_N == fv);
L_BLT: BCOND(FLAG_N != fv);
L_BGT: BCOND(!FLAG_Z && FLAG_N == fv);
L_BLE: BCOND(FLAG_Z || FLAG_N != fv);

bxwrite:
    /* BXWritePC/LoadWritePC: exception return in Handler mode, else
     * interworking (bit 0 must be 1: Thumb) */
    if (CPU_UNLIKELY(t >= 0xF0000000u) && c->handler) {
        r[15] = PC_OF(ip);
        SYNC();
        cpu__exc_return(c, t, cyc);
        return;
    }
    if (CPU_UNLIKELY(!(t & 1))) {
        c->tbit = false;
        r[15] = t;
        SYNC();
        cpu__fault(c, CPU_FAULT_INVSTATE, t, t);
        return;
    }
    JUMP(t & ~1u);

    /* --- loads and stores --- */
#define LOAD(size, addr, conv)                                            \
    do {                                                                  \
        uint32_t a_ = (addr), v_;                                         \
        unsigned rt_ = in->a;                                             \
        if (CPU_UNLIKELY(a_ & ((size) - 1)))                              \
            FAULT(CPU_FAULT_UNALIGNED, a_);                               \
        if (CPU_UNLIKELY(!ld(c, a_, size, &cyc, cyc - 1, &v_)))           \
            FAULT(CPU_FAULT_BUS_READ, a_);                                \
        r[rt_] = conv(v_);                                                \
        NEXT();                                                           \
    } while (0)
#define STORE(size, addr)                                                 \
    do {                                                                  \
        uint32_t a_ = (addr), v_ = r[in->a];                              \
        if (CPU_UNLIKELY(a_ & ((size) - 1)))                              \
            FAULT(CPU_FAULT_UNALIGNED, a_);                               \
        if (CPU_UNLIKELY(!st(c, a_, v_, size, &cyc, cyc - 1)))            \
            FAULT(CPU_FAULT_BUS_WRITE, a_);                               \
        NEXT();                                                           \
    } while (0)
#define U32(v) (v)
#define S8(v) ((uint32_t)(int32_t)(int8_t)(v))
#define S16(v) ((uint32_t)(int32_t)(int16_t)(v))
L_LDR_L: LOAD(4, in->k, U32);
L_STR_RR: STORE(4, r[in->b] + r[in->k]);
L_STRH_RR: STORE(2, r[in->b] + r[in->k]);
L_STRB_RR: STORE(1, r[in->b] + r[in->k]);
L_LDRSB_RR: LOAD(1, r[in->b] + r[in->k], S8);
L_LDR_RR: LOAD(4, r[in->b] + r[in->k], U32);
L_LDRH_RR: LOAD(2, r[in->b] + r[in->k], U32);
L_LDRB_RR: LOAD(1, r[in->b] + r[in->k], U32);
L_LDRSH_RR: LOAD(2, r[in->b] + r[in->k], S16);
L_STR_I: STORE(4, r[in->b] + in->k);
L_LDR_I: LOAD(4, r[in->b] + in->k, U32);
L_STRB_I: STORE(1, r[in->b] + in->k);
L_LDRB_I: LOAD(1, r[in->b] + in->k, U32);
L_STRH_I: STORE(2, r[in->b] + in->k);
L_LDRH_I: LOAD(2, r[in->b] + in->k, U32);

    /* --- multiple (access j of n happens at start + fetch + 1 + j plus
     * the wait states of the accesses before it) --- */
L_LDM: {
        unsigned rn = in->a, n = in->b;
        uint32_t list = in->k, a = r[rn], vals[8];
        if (CPU_UNLIKELY(a & 3))
            FAULT(CPU_FAULT_UNALIGNED, a);
        for (unsigned j = 0; j < n; j++)
            if (CPU_UNLIKELY(!ld(c, a + 4 * j, 4, &cyc, cyc - n + j,
                                 &vals[j])))
                FAULT(CPU_FAULT_BUS_READ, a + 4 * j);
        for (unsigned j = 0, l = list; l; l &= l - 1, j++)
            r[__builtin_ctz(l)] = vals[j];
        if (!(list & (1u << rn)))
            r[rn] = a + 4 * n;
        NEXT();
    }
L_STM: {
        unsigned rn = in->a, n = in->b;
        uint32_t list = in->k, a = r[rn], vals[8];
        if (CPU_UNLIKELY(a & 3))
            FAULT(CPU_FAULT_UNALIGNED, a);
        for (unsigned j = 0, l = list; l; l &= l - 1, j++)
            vals[j] = r[__builtin_ctz(l)];
        for (unsigned j = 0; j < n; j++)
            if (CPU_UNLIKELY(!st(c, a + 4 * j, vals[j], 4, &cyc,
                                 cyc - n + j)))
                FAULT(CPU_FAULT_BUS_WRITE, a + 4 * j);
        r[rn] = a + 4 * n;
        NEXT();
    }
L_PUSH: {
        unsigned n = in->b;
        uint32_t list = in->k, a = r[13] - 4 * n, vals[9];
        for (unsigned j = 0, l = list; l; l &= l - 1, j++) {
            unsigned i = (unsigned)__builtin_ctz(l);
            vals[j] = r[i == 8 ? 14 : i];
        }
        for (unsigned j = 0; j < n; j++)
            if (CPU_UNLIKELY(!st(c, a + 4 * j, vals[j], 4, &cyc,
                                 cyc - n + j)))
                FAULT(CPU_FAULT_BUS_WRITE, a + 4 * j);
        r[13] = a;
        NEXT();
    }
L_POP: {
        unsigned n = in->b;
        uint32_t list = in->k, a = r[13], vals[8];
        for (unsigned j = 0; j < n; j++)
            if (CPU_UNLIKELY(!ld(c, a + 4 * j, 4, &cyc, cyc - n + j,
                                 &vals[j])))
                FAULT(CPU_FAULT_BUS_READ, a + 4 * j);
        for (unsigned j = 0, l = list; l; l &= l - 1, j++)
            r[__builtin_ctz(l)] = vals[j];
        r[13] = a + 4 * n;
        NEXT();
    }
L_POP_PC: {
        unsigned n = in->b;
        uint32_t list = in->k, a = r[13], vals[9];
        for (unsigned j = 0; j <= n; j++)
            if (CPU_UNLIKELY(!ld(c, a + 4 * j, 4, &cyc, cyc - 3 - n + j,
                                 &vals[j])))
                FAULT(CPU_FAULT_BUS_READ, a + 4 * j);
        for (unsigned j = 0, l = list; l; l &= l - 1, j++)
            r[__builtin_ctz(l)] = vals[j];
        r[13] = a + 4 * (n + 1);
        t = vals[n];
        goto bxwrite;
    }

    /* --- extend, reverse --- */
L_SXTH: r[in->a] = S16(r[in->k]); NEXT();
L_SXTB: r[in->a] = S8(r[in->k]); NEXT();
L_UXTH: r[in->a] = r[in->k] & 0xFFFF; NEXT();
L_UXTB: r[in->a] = r[in->k] & 0xFF; NEXT();
L_REV: r[in->a] = __builtin_bswap32(r[in->k]); NEXT();
L_REV16: {
        uint32_t v = r[in->k];
        r[in->a] = ((v & 0x00FF00FFu) << 8) | ((v >> 8) & 0x00FF00FFu);
        NEXT();
    }
L_REVSH: {
        uint32_t v = r[in->k];
        r[in->a] = S16(((v & 0xFF) << 8) | ((v >> 8) & 0xFF));
        NEXT();
    }

    /* --- system --- */
L_SVC:
    r[15] = PC_OF(ip) + 2;
    SYNC();
    cpu__svc(c, PC_OF(ip));
    return;
L_BKPT:
    r[15] = PC_OF(ip);
    if (in->k == 0xAB && c->semihost) {
        r[15] += 2;
        SYNC();
        if (c->semihost(c->semihost_ctx, c))
            return; /* registers may have changed: restart from c */
        r[15] -= 2;
    }
    FAULT(CPU_FAULT_BKPT, 0);
L_UDF:
    FAULT(CPU_FAULT_UNDEF, 0);
L_CPSIE:
    c->primask = 0;
    cpu__exc_update(c);
    NEXT();
L_CPSID:
    c->primask = 1;
    cpu__exc_update(c);
    NEXT();
L_NOP: NEXT();
L_NOP32: NEXT32();
L_SEV:
    c->event_reg = true;
    NEXT();
L_WFE:
    ip++;
    r[15] = PC_OF(ip);
    SYNC();
    cpu__wfe(c);
    return;
L_WFI:
    ip++;
    r[15] = PC_OF(ip);
    SYNC();
    cpu__wfi(c);
    return;
L_MRS:
    NZ_OUT();
    c->fc = fc;
    c->fv = fv;
    r[in->a] = cpu__mrs(c, in->k);
    NEXT32();
L_MSR: {
        unsigned sysm = in->k;
        uint32_t v = r[in->a];
        r[15] = PC_OF(ip) + 4;
        SYNC();
        cpu__msr(c, sysm, v);
        RELOAD();
        NEXT32();
    }

fault:
    r[15] = PC_OF(ip);
    SYNC();
    cpu__fault(c, fk, r[15], fa);
    return;

out:
    r[15] = PC_OF(ip);
    SYNC();
    return;

#undef PC_OF
#undef DISPATCH
#undef NEXT
#undef NEXT32
#undef NZ
#undef FLAG_N
#undef FLAG_Z
#undef NZ_IN
#undef NZ_OUT
#undef JUMP
#undef SYNC
#undef RELOAD
#undef FAULT
#undef ADD_FLAGS
#undef SUB_FLAGS
#undef BCOND
#undef LOAD
#undef STORE
#undef U32
#undef S8
#undef S16
}
