/* SPDX-License-Identifier: MIT */
/* tests/se_cos/fake_hal.h - the host implementation of
 * firmware/se/cos/cos_hal.h for the COS's unit tests: flash pages 0..15
 * as a RAM array with NOR semantics (erase sets every bit, program = old
 * AND new), power cuts and controller errors injected at the n-th flash
 * operation, mbedTLS for SHA-256 and ECDSA, a settable serial and a
 * scripted random generator.
 *
 * A power cut tears the operation it hits and longjmp()s to
 * fake_cut_env: the test resumes as after a power loss, with the array as
 * the cut left it, and "reboots" the COS (cos_init) from it. How the
 * operation is torn:
 *  - FAKE_CUT_BEFORE: it never started;
 *  - FAKE_CUT_AFTER: it completed (the cut falls before the next one);
 *  - FAKE_CUT_RANDOM: each bit it was to change (program: 1 -> 0; erase:
 *    0 -> 1) has changed with probability cut_p (seeded, repeatable);
 *  - FAKE_CUT_ALL_BUT_ONE: all but the lowest such bit have changed;
 *  - FAKE_CUT_ONE: only the lowest such bit has changed.
 * Monotonic as in models/flash.c: a torn program only clears bits, a torn
 * erase only sets them. */
#ifndef TESTS_SE_COS_FAKE_HAL_H
#define TESTS_SE_COS_FAKE_HAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regs/se_map.h"

#define FAKE_PAGES      16u     /* pages 0..15: ROM records + COS data */
#define FAKE_FLASH_SIZE (FAKE_PAGES * SE_FLASH_PAGE)
#define FAKE_LOG_MAX    4096u

typedef enum fake_cut_mode {
    FAKE_CUT_BEFORE,
    FAKE_CUT_AFTER,
    FAKE_CUT_RANDOM,
    FAKE_CUT_ALL_BUT_ONE,
    FAKE_CUT_ONE,
    FAKE_CUT_MODES
} fake_cut_mode_t;

enum fake_op { FAKE_OP_ERASE = 1, FAKE_OP_PROGRAM = 2 };

typedef struct fake_op_rec {
    uint8_t op;         /* FAKE_OP_* */
    uint32_t addr;      /* page start or word */
    uint32_t value;     /* the word programmed */
} fake_op_rec_t;

typedef struct fake_hal {
    uint8_t flash[FAKE_FLASH_SIZE];
    long ops;                   /* flash operations started so far */
    long cut_at;                /* op index torn + longjmp; -1 never */
    fake_cut_mode_t cut_mode;
    double cut_p;               /* FAKE_CUT_RANDOM */
    uint64_t prng;              /* xorshift64 state of the tears */
    long fail_at;               /* op index reporting an error; -1 */
    bool cut_happened;
    unsigned unerased;          /* programs onto a word not 0xFFFFFFFF */
    unsigned bad_access;        /* accesses outside the array/unaligned */
    unsigned erases, programs;
    fake_op_rec_t log[FAKE_LOG_MAX];
    unsigned nlog;              /* operations logged (since fake_reset) */
    /* SYSCTL, CRYPTO */
    uint8_t serial[8];
    uint8_t random[8];          /* the next GET CHALLENGE bytes */
    unsigned random_runs;
    bool random_fail, sha_fail, ecdsa_fail;
    unsigned sha_runs, ecdsa_runs;
} fake_hal_t;

extern fake_hal_t fake;
extern jmp_buf fake_cut_env;

/* Erased flash, counters zero, no cut or failure, serial
 * 01 23 45 67 89 AB CD EF, random bytes 11 22 .. 88 (then each draw adds
 * 1 to every byte). */
void fake_reset(void);

/* Arms a cut at operation `index` (counted in fake.ops). */
void fake_cut(long index, fake_cut_mode_t mode, double p, uint64_t seed);

/* The little-endian word at a bus address; a pointer to a byte. */
uint32_t fake_word(uint32_t addr);
uint8_t *fake_at(uint32_t addr);

#endif /* TESTS_SE_COS_FAKE_HAL_H */
