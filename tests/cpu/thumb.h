/* SPDX-License-Identifier: MIT */
/* tests/cpu/thumb.h - Thumb (ARMv6-M) instruction encoders for the CPU
 * tests, so test programs read as assembly. Encodings from the ARMv6-M
 * ARM (DDI 0419) chapter A6; registers are numbers, immediates raw field
 * values unless said otherwise (byte offsets are scaled here). */
#ifndef TESTS_CPU_THUMB_H
#define TESTS_CPU_THUMB_H

#include <stdint.h>

typedef uint16_t hw_t;

/* shifts and add/sub */
static inline hw_t T_LSLS_I(unsigned rd, unsigned rm, unsigned imm5)
{ return (hw_t)(0x0000 | (imm5 & 31) << 6 | rm << 3 | rd); }
static inline hw_t T_LSRS_I(unsigned rd, unsigned rm, unsigned imm5)
{ return (hw_t)(0x0800 | (imm5 & 31) << 6 | rm << 3 | rd); }
static inline hw_t T_ASRS_I(unsigned rd, unsigned rm, unsigned imm5)
{ return (hw_t)(0x1000 | (imm5 & 31) << 6 | rm << 3 | rd); }
static inline hw_t T_ADDS_R(unsigned rd, unsigned rn, unsigned rm)
{ return (hw_t)(0x1800 | rm << 6 | rn << 3 | rd); }
static inline hw_t T_SUBS_R(unsigned rd, unsigned rn, unsigned rm)
{ return (hw_t)(0x1A00 | rm << 6 | rn << 3 | rd); }
static inline hw_t T_ADDS_I3(unsigned rd, unsigned rn, unsigned imm3)
{ return (hw_t)(0x1C00 | imm3 << 6 | rn << 3 | rd); }
static inline hw_t T_SUBS_I3(unsigned rd, unsigned rn, unsigned imm3)
{ return (hw_t)(0x1E00 | imm3 << 6 | rn << 3 | rd); }
static inline hw_t T_MOVS_I(unsigned rd, unsigned imm8)
{ return (hw_t)(0x2000 | rd << 8 | (imm8 & 0xFF)); }
static inline hw_t T_CMP_I(unsigned rn, unsigned imm8)
{ return (hw_t)(0x2800 | rn << 8 | (imm8 & 0xFF)); }
static inline hw_t T_ADDS_I8(unsigned rdn, unsigned imm8)
{ return (hw_t)(0x3000 | rdn << 8 | (imm8 & 0xFF)); }
static inline hw_t T_SUBS_I8(unsigned rdn, unsigned imm8)
{ return (hw_t)(0x3800 | rdn << 8 | (imm8 & 0xFF)); }

/* data processing: op 0..15 = AND EOR LSL LSR ASR ADC SBC ROR TST RSB CMP
 * CMN ORR MUL BIC MVN */
static inline hw_t T_DP(unsigned op, unsigned rdn, unsigned rm)
{ return (hw_t)(0x4000 | op << 6 | rm << 3 | rdn); }
enum { DP_AND, DP_EOR, DP_LSL, DP_LSR, DP_ASR, DP_ADC, DP_SBC, DP_ROR,
       DP_TST, DP_RSB, DP_CMP, DP_CMN, DP_ORR, DP_MUL, DP_BIC, DP_MVN };

/* high registers and BX/BLX */
static inline hw_t T_ADD_HI(unsigned rdn, unsigned rm)
{ return (hw_t)(0x4400 | (rdn & 8) << 4 | rm << 3 | (rdn & 7)); }
static inline hw_t T_CMP_HI(unsigned rn, unsigned rm)
{ return (hw_t)(0x4500 | (rn & 8) << 4 | rm << 3 | (rn & 7)); }
static inline hw_t T_MOV_HI(unsigned rd, unsigned rm)
{ return (hw_t)(0x4600 | (rd & 8) << 4 | rm << 3 | (rd & 7)); }
static inline hw_t T_BX(unsigned rm) { return (hw_t)(0x4700 | rm << 3); }
static inline hw_t T_BLX(unsigned rm) { return (hw_t)(0x4780 | rm << 3); }

/* loads and stores (imm = byte offset) */
static inline hw_t T_LDR_LIT(unsigned rt, unsigned off)
{ return (hw_t)(0x4800 | rt << 8 | (off / 4)); }
/* op 0..7 = STR STRH STRB LDRSB LDR LDRH LDRB LDRSH */
static inline hw_t T_LS_R(unsigned op, unsigned rt, unsigned rn, unsigned rm)
{ return (hw_t)(0x5000 | op << 9 | rm << 6 | rn << 3 | rt); }
enum { LS_STR, LS_STRH, LS_STRB, LS_LDRSB, LS_LDR, LS_LDRH, LS_LDRB,
       LS_LDRSH };
static inline hw_t T_STR_I(unsigned rt, unsigned rn, unsigned off)
{ return (hw_t)(0x6000 | (off / 4) << 6 | rn << 3 | rt); }
static inline hw_t T_LDR_I(unsigned rt, unsigned rn, unsigned off)
{ return (hw_t)(0x6800 | (off / 4) << 6 | rn << 3 | rt); }
static inline hw_t T_STRB_I(unsigned rt, unsigned rn, unsigned off)
{ return (hw_t)(0x7000 | off << 6 | rn << 3 | rt); }
static inline hw_t T_LDRB_I(unsigned rt, unsigned rn, unsigned off)
{ return (hw_t)(0x7800 | off << 6 | rn << 3 | rt); }
static inline hw_t T_STRH_I(unsigned rt, unsigned rn, unsigned off)
{ return (hw_t)(0x8000 | (off / 2) << 6 | rn << 3 | rt); }
static inline hw_t T_LDRH_I(unsigned rt, unsigned rn, unsigned off)
{ return (hw_t)(0x8800 | (off / 2) << 6 | rn << 3 | rt); }
static inline hw_t T_STR_SP(unsigned rt, unsigned off)
{ return (hw_t)(0x9000 | rt << 8 | (off / 4)); }
static inline hw_t T_LDR_SP(unsigned rt, unsigned off)
{ return (hw_t)(0x9800 | rt << 8 | (off / 4)); }
static inline hw_t T_ADR(unsigned rd, unsigned off)
{ return (hw_t)(0xA000 | rd << 8 | (off / 4)); }
static inline hw_t T_ADD_SPI(unsigned rd, unsigned off)
{ return (hw_t)(0xA800 | rd << 8 | (off / 4)); }

/* miscellaneous */
static inline hw_t T_ADD_SP(unsigned off) { return (hw_t)(0xB000 | off / 4); }
static inline hw_t T_SUB_SP(unsigned off) { return (hw_t)(0xB080 | off / 4); }
static inline hw_t T_SXTH(unsigned rd, unsigned rm)
{ return (hw_t)(0xB200 | rm << 3 | rd); }
static inline hw_t T_SXTB(unsigned rd, unsigned rm)
{ return (hw_t)(0xB240 | rm << 3 | rd); }
static inline hw_t T_UXTH(unsigned rd, unsigned rm)
{ return (hw_t)(0xB280 | rm << 3 | rd); }
static inline hw_t T_UXTB(unsigned rd, unsigned rm)
{ return (hw_t)(0xB2C0 | rm << 3 | rd); }
static inline hw_t T_REV(unsigned rd, unsigned rm)
{ return (hw_t)(0xBA00 | rm << 3 | rd); }
static inline hw_t T_REV16(unsigned rd, unsigned rm)
{ return (hw_t)(0xBA40 | rm << 3 | rd); }
static inline hw_t T_REVSH(unsigned rd, unsigned rm)
{ return (hw_t)(0xBAC0 | rm << 3 | rd); }
/* list: bits 0-7 = r0-r7, bit 8 = LR (PUSH) or PC (POP) */
static inline hw_t T_PUSH(unsigned list) { return (hw_t)(0xB400 | list); }
static inline hw_t T_POP(unsigned list) { return (hw_t)(0xBC00 | list); }
static inline hw_t T_STM(unsigned rn, unsigned list)
{ return (hw_t)(0xC000 | rn << 8 | list); }
static inline hw_t T_LDM(unsigned rn, unsigned list)
{ return (hw_t)(0xC800 | rn << 8 | list); }
#define T_CPSIE ((hw_t)0xB662)
#define T_CPSID ((hw_t)0xB672)
static inline hw_t T_BKPT(unsigned imm8) { return (hw_t)(0xBE00 | imm8); }
#define T_NOP ((hw_t)0xBF00)
#define T_YIELD ((hw_t)0xBF10)
#define T_WFE ((hw_t)0xBF20)
#define T_WFI ((hw_t)0xBF30)
#define T_SEV ((hw_t)0xBF40)

/* branches: off = target - (address of the branch + 4), in bytes */
enum { CC_EQ, CC_NE, CC_CS, CC_CC, CC_MI, CC_PL, CC_VS, CC_VC, CC_HI,
       CC_LS, CC_GE, CC_LT, CC_GT, CC_LE };
static inline hw_t T_BCC(unsigned cond, int off)
{ return (hw_t)(0xD000 | cond << 8 | ((unsigned)(off / 2) & 0xFF)); }
static inline hw_t T_UDF(unsigned imm8) { return (hw_t)(0xDE00 | imm8); }
static inline hw_t T_SVC(unsigned imm8) { return (hw_t)(0xDF00 | imm8); }
static inline hw_t T_B(int off)
{ return (hw_t)(0xE000 | ((unsigned)(off / 2) & 0x7FF)); }

/* 32-bit: two halfwords, first at the lower address */
static inline void T_BL(hw_t out[2], int off)
{
    uint32_t imm = (uint32_t)off >> 1;
    uint32_t s = (imm >> 23) & 1, i1 = (imm >> 22) & 1, i2 = (imm >> 21) & 1;
    uint32_t j1 = (~(i1 ^ s)) & 1, j2 = (~(i2 ^ s)) & 1;
    out[0] = (hw_t)(0xF000 | s << 10 | ((imm >> 11) & 0x3FF));
    out[1] = (hw_t)(0xD000 | j1 << 13 | j2 << 11 | (imm & 0x7FF));
}
enum { SYSM_APSR = 0, SYSM_IAPSR = 1, SYSM_EAPSR = 2, SYSM_XPSR = 3,
       SYSM_IPSR = 5, SYSM_EPSR = 6, SYSM_IEPSR = 7, SYSM_MSP = 8,
       SYSM_PSP = 9, SYSM_PRIMASK = 16, SYSM_CONTROL = 20 };
static inline void T_MRS(hw_t out[2], unsigned rd, unsigned sysm)
{ out[0] = 0xF3EF; out[1] = (hw_t)(0x8000 | rd << 8 | sysm); }
static inline void T_MSR(hw_t out[2], unsigned sysm, unsigned rn)
{ out[0] = (hw_t)(0xF380 | rn); out[1] = (hw_t)(0x8800 | sysm); }
static inline void T_DSB(hw_t out[2]) { out[0] = 0xF3BF; out[1] = 0x8F4F; }
static inline void T_DMB(hw_t out[2]) { out[0] = 0xF3BF; out[1] = 0x8F5F; }
static inline void T_ISB(hw_t out[2]) { out[0] = 0xF3BF; out[1] = 0x8F6F; }
static inline void T_UDF_W(hw_t out[2]) { out[0] = 0xF7F0; out[1] = 0xA000; }

#endif /* TESTS_CPU_THUMB_H */
