/* SPDX-License-Identifier: MIT */
/* tests/se_cos/fake_hal.c - the COS HAL on the host (see fake_hal.h). */
#include "fake_hal.h"

#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "cos_hal.h"
#include "tools/cos_image_host.h"

fake_hal_t fake;
jmp_buf fake_cut_env;

void fake_reset(void)
{
    memset(&fake, 0, sizeof fake);
    memset(fake.flash, 0xFF, sizeof fake.flash);
    fake.cut_at = -1;
    fake.fail_at = -1;
    fake.prng = 1;
    static const uint8_t serial[8] = { 0x01, 0x23, 0x45, 0x67,
                                       0x89, 0xAB, 0xCD, 0xEF };
    memcpy(fake.serial, serial, 8);
    for (unsigned i = 0; i < 8; i++)
        fake.random[i] = (uint8_t)(0x11 * (i + 1));
}

void fake_cut(long index, fake_cut_mode_t mode, double p, uint64_t seed)
{
    fake.cut_at = index;
    fake.cut_mode = mode;
    fake.cut_p = p;
    fake.prng = seed ? seed : 1;
}

static bool in_array(uint32_t addr, uint32_t len)
{
    return addr >= SE_FLASH_BASE && addr - SE_FLASH_BASE <= FAKE_FLASH_SIZE &&
           len <= FAKE_FLASH_SIZE - (addr - SE_FLASH_BASE);
}

uint8_t *fake_at(uint32_t addr)
{
    return fake.flash + (addr - SE_FLASH_BASE);
}

uint32_t fake_word(uint32_t addr)
{
    const uint8_t *p = fake_at(addr);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void set_word(uint32_t addr, uint32_t v)
{
    uint8_t *p = fake_at(addr);
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static double unit(void)
{
    uint64_t x = fake.prng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    fake.prng = x;
    return (double)(x >> 11) / (double)(1ull << 53);
}

/* Which of the bits in `change` (those the operation flips) have flipped
 * when the cut falls; *first tracks the lowest candidate in the whole
 * operation (for ALL_BUT_ONE / ONE: one bit per operation). */
static uint32_t torn_bits(uint32_t change, bool *first)
{
    uint32_t done = 0;
    for (unsigned b = 0; b < 32; b++) {
        uint32_t m = 1u << b;
        if (!(change & m))
            continue;
        bool flip;
        switch (fake.cut_mode) {
        case FAKE_CUT_RANDOM: flip = unit() < fake.cut_p; break;
        case FAKE_CUT_ALL_BUT_ONE: flip = !*first; break;
        case FAKE_CUT_ONE: flip = *first; break;
        default: flip = false; break;
        }
        *first = false;
        if (flip)
            done |= m;
    }
    return done;
}

/* Starts operation number fake.ops: returns true if it is the one cut
 * (the caller then tears it and calls cut()). */
static bool op_start(uint8_t op, uint32_t addr, uint32_t value)
{
    if (fake.nlog < FAKE_LOG_MAX)
        fake.log[fake.nlog++] = (fake_op_rec_t){ op, addr, value };
    return fake.ops++ == fake.cut_at;
}

static void cut(void)
{
    fake.cut_at = -1;
    fake.cut_happened = true;
    longjmp(fake_cut_env, 1);
}

int cos_hal_flash_erase(uint32_t addr)
{
    addr &= ~(SE_FLASH_PAGE - 1u);
    if (!in_array(addr, SE_FLASH_PAGE)) {
        fake.bad_access++;
        return -1;
    }
    long index = fake.ops;
    bool is_cut = op_start(FAKE_OP_ERASE, addr, 0);
    fake.erases++;
    if (is_cut && fake.cut_mode != FAKE_CUT_AFTER) {
        bool first = true;
        for (uint32_t a = addr; a < addr + SE_FLASH_PAGE; a += 4) {
            uint32_t w = fake_word(a);
            set_word(a, w | torn_bits(~w, &first));
        }
        cut();
    }
    if (index == fake.fail_at) {  /* a half erase, reported */
        for (uint32_t a = addr; a < addr + SE_FLASH_PAGE; a += 8)
            set_word(a, 0xFFFFFFFFu);
        return -1;
    }
    memset(fake_at(addr), 0xFF, SE_FLASH_PAGE);
    if (is_cut)
        cut();
    return 0;
}

int cos_hal_flash_program(uint32_t addr, uint32_t value)
{
    if (!in_array(addr, 4) || (addr & 3u)) {
        fake.bad_access++;
        return -1;
    }
    long index = fake.ops;
    bool is_cut = op_start(FAKE_OP_PROGRAM, addr, value);
    fake.programs++;
    uint32_t old = fake_word(addr);
    if (old != 0xFFFFFFFFu)
        fake.unerased++;
    if (is_cut && fake.cut_mode != FAKE_CUT_AFTER) {
        bool first = true;
        set_word(addr, old & ~torn_bits(old & ~value, &first));
        cut();
    }
    if (index == fake.fail_at)  /* the array unchanged, reported */
        return -1;
    set_word(addr, old & value);
    if (is_cut)
        cut();
    return 0;
}

uint32_t cos_hal_flash_read(uint32_t addr)
{
    if (!in_array(addr, 4) || (addr & 3u)) {
        fake.bad_access++;
        return 0;
    }
    return fake_word(addr);
}

void cos_hal_serial(uint8_t out[8])
{
    memcpy(out, fake.serial, 8);
}

int cos_hal_random(uint8_t out[8])
{
    fake.random_runs++;
    if (fake.random_fail)
        return -1;
    memcpy(out, fake.random, 8);
    for (unsigned i = 0; i < 8; i++)
        fake.random[i]++;
    return 0;
}

int cos_hal_sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
    fake.sha_runs++;
    if (fake.sha_fail)
        return -1;
    return mbedtls_sha256_ret(msg, len, out, 0) == 0 ? 0 : -1;
}

int cos_hal_ecdsa_verify(const uint8_t key[64], const uint8_t digest[32],
                         const uint8_t sig[64])
{
    fake.ecdsa_runs++;
    if (fake.ecdsa_fail)
        return -1;
    return cos_image_host_verify_hash(key, digest, sig);
}
