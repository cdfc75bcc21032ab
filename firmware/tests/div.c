/* SPDX-License-Identifier: MIT */
/* firmware/tests/div.c - integer division: a software 32/32 and 64/32
 * long division written here, and the compiler's own division (libgcc's
 * __aeabi_uidiv, __aeabi_uidivmod, __aeabi_idiv, __aeabi_idivmod,
 * __aeabi_uldivmod, __aeabi_ldivmod: the Cortex-M0 has no divide
 * instruction), both checked against results computed on the host. */
#include <stdint.h>

#include "cm0.h"
#include "fmt.h"

/* Generated with Python (exact integers; C truncates toward zero). */
static const struct { uint32_t n, d, q, r; } u32_cases[] = {
    { 0x00000000u, 0x00000001u, 0x00000000u, 0x00000000u },
    { 0x00000001u, 0x00000001u, 0x00000001u, 0x00000000u },
    { 0x00000007u, 0x00000003u, 0x00000002u, 0x00000001u },
    { 0x00000064u, 0x00000007u, 0x0000000Eu, 0x00000002u },
    { 0xFFFFFFFFu, 0x00000001u, 0xFFFFFFFFu, 0x00000000u },
    { 0xFFFFFFFFu, 0xFFFFFFFFu, 0x00000001u, 0x00000000u },
    { 0xFFFFFFFFu, 0x00000002u, 0x7FFFFFFFu, 0x00000001u },
    { 0x80000000u, 0x00000003u, 0x2AAAAAAAu, 0x00000002u },
    { 0x3B9ACA07u, 0x00000061u, 0x009D4E9Eu, 0x00000029u },
    { 0x00BC614Eu, 0x00010000u, 0x000000BCu, 0x0000614Eu },
    { 0x00000005u, 0xFFFFFFFEu, 0x00000000u, 0x00000005u },
    { 0xDEADBEEFu, 0x00001234u, 0x000C3BA5u, 0x0000076Bu },
    { 0x7FFFFFFFu, 0x80000000u, 0x00000000u, 0x7FFFFFFFu },
    { 0xFFFFFFFFu, 0x00010001u, 0x0000FFFFu, 0x00000000u },
};

static const struct { int32_t n, d, q, r; } s32_cases[] = {
    { -7, 2, -3, -1 },
    { 7, -2, -3, 1 },
    { -7, -2, 3, -1 },
    { INT32_MIN, 1, INT32_MIN, 0 },
    { INT32_MIN, 2, -1073741824, 0 },
    { INT32_MIN, 2147483647, -1, -1 },
    { 2147483647, -1, -2147483647, 0 },
    { -1, 2147483647, 0, -1 },
    { -1000000007, 97, -10309278, -41 },
    { 123456789, -1000, -123456, 789 },
};

static const struct { uint64_t n; uint32_t d; uint64_t q; uint32_t r; } u64_cases[] = {
    { 0xFFFFFFFFFFFFFFFFULL, 0x00000001u, 0xFFFFFFFFFFFFFFFFULL, 0x00000000u },
    { 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFu, 0x0000000100000001ULL, 0x00000000u },
    { 0x123456789ABCDEF0ULL, 0x00012345u, 0x0000100005B00205ULL, 0x0000A497u },
    { 0x0DE0B6B3A7640000ULL, 0x3B9ACA07u, 0x000000003B9AC9F9ULL, 0x00000031u },
    { 0x8000000000000000ULL, 0x00000003u, 0x2AAAAAAAAAAAAAAAULL, 0x00000002u },
    { 0x0000000100000000ULL, 0x00000002u, 0x0000000080000000ULL, 0x00000000u },
    { 0x0000000000003039ULL, 0x80000000u, 0x0000000000000000ULL, 0x00003039u },
    { 0xFFFFFFFF00000000ULL, 0xFFFFFFFFu, 0x0000000100000000ULL, 0x00000000u },
};

static const struct { int64_t n, d, q, r; } s64_cases[] = {
    { -1000000000000000000LL, 7LL, -142857142857142857LL, -1LL },
    { 1000000000000000000LL, -1000003LL, -999997000008LL, 999976LL },
    { INT64_MIN, 3LL, -3074457345618258602LL, -2LL },
    { -1099511627781LL, -1048576LL, 1048576LL, -5LL },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Restoring long division, one quotient bit per step. */
static uint32_t soft_udiv32(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0, r = 0;
    for (int bit = 31; bit >= 0; bit--) {
        /* r < d <= 2^32 - 1, so r can exceed 32 bits after the shift only
         * when its top bit is set; then it is certainly >= d. */
        uint32_t top = r >> 31;
        r = (r << 1) | ((n >> bit) & 1u);
        if (top || r >= d) {
            r -= d;
            q |= 1u << bit;
        }
    }
    *rem = r;
    return q;
}

static uint64_t soft_udiv64_32(uint64_t n, uint32_t d, uint32_t *rem)
{
    uint64_t q = 0, r = 0;
    for (int bit = 63; bit >= 0; bit--) {
        r = (r << 1) | ((n >> bit) & 1u);
        if (r >= d) {
            r -= d;
            q |= (uint64_t)1 << bit;
        }
    }
    *rem = (uint32_t)r;
    return q;
}

static int32_t soft_sdiv32(int32_t n, int32_t d, int32_t *rem)
{
    uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    uint32_t ur, uq = soft_udiv32(un, ud, &ur);
    /* C: the quotient truncates toward zero, the remainder takes n's sign. */
    *rem = (int32_t)(n < 0 ? 0u - ur : ur);
    return (int32_t)((n < 0) != (d < 0) ? 0u - uq : uq);
}

static int failures;

static void fail(const char *what, unsigned index)
{
    fmt_put_str("div: FAIL ");
    fmt_put_str(what);
    fmt_put_str(" case ");
    fmt_put_u32(index);
    fmt_put_str("\n");
    failures++;
}

static void report(const char *what, unsigned n)
{
    fmt_put_str("div: ");
    fmt_put_str(what);
    fmt_put_str(" ");
    fmt_put_u32(n);
    fmt_put_str(" cases checked\n");
}

int main(void)
{
    for (unsigned i = 0; i < COUNT(u32_cases); i++) {
        uint32_t n = cm0_opaque32(u32_cases[i].n);
        uint32_t d = cm0_opaque32(u32_cases[i].d);
        uint32_t r, q = soft_udiv32(n, d, &r);
        if (q != u32_cases[i].q || r != u32_cases[i].r)
            fail("soft u32", i);
        /* Quotient alone -> __aeabi_uidiv; both -> __aeabi_uidivmod. */
        if (n / d != u32_cases[i].q)
            fail("libgcc u32 quotient", i);
        n = cm0_opaque32(n);
        d = cm0_opaque32(d);
        if (n / d != u32_cases[i].q || n % d != u32_cases[i].r)
            fail("libgcc u32 divmod", i);
    }
    report("u32/u32", COUNT(u32_cases));

    for (unsigned i = 0; i < COUNT(s32_cases); i++) {
        int32_t n = (int32_t)cm0_opaque32((uint32_t)s32_cases[i].n);
        int32_t d = (int32_t)cm0_opaque32((uint32_t)s32_cases[i].d);
        int32_t r, q = soft_sdiv32(n, d, &r);
        if (q != s32_cases[i].q || r != s32_cases[i].r)
            fail("soft s32", i);
        if (n / d != s32_cases[i].q)
            fail("libgcc s32 quotient", i);
        n = (int32_t)cm0_opaque32((uint32_t)n);
        d = (int32_t)cm0_opaque32((uint32_t)d);
        if (n / d != s32_cases[i].q || n % d != s32_cases[i].r)
            fail("libgcc s32 divmod", i);
    }
    report("s32/s32", COUNT(s32_cases));

    for (unsigned i = 0; i < COUNT(u64_cases); i++) {
        uint64_t n = cm0_opaque64(u64_cases[i].n);
        uint32_t d = cm0_opaque32(u64_cases[i].d);
        uint32_t r;
        uint64_t q = soft_udiv64_32(n, d, &r);
        if (q != u64_cases[i].q || r != u64_cases[i].r)
            fail("soft u64/u32", i);
        if (n / d != u64_cases[i].q || n % d != u64_cases[i].r)
            fail("libgcc u64", i);
    }
    report("u64/u32", COUNT(u64_cases));

    for (unsigned i = 0; i < COUNT(s64_cases); i++) {
        int64_t n = (int64_t)cm0_opaque64((uint64_t)s64_cases[i].n);
        int64_t d = (int64_t)cm0_opaque64((uint64_t)s64_cases[i].d);
        if (n / d != s64_cases[i].q || n % d != s64_cases[i].r)
            fail("libgcc s64", i);
    }
    report("s64/s64", COUNT(s64_cases));

    /* One result printed in full, through fmt_u64 (itself __aeabi_uldivmod). */
    uint32_t r;
    uint64_t q = soft_udiv64_32(cm0_opaque64(1000000000000000000ULL),
                                cm0_opaque32(1000000007u), &r);
    fmt_put_str("div: 1000000000000000000 / 1000000007 = ");
    fmt_put_u64(q);
    fmt_put_str(" r ");
    fmt_put_u32(r);
    fmt_put_str("\n");

    fmt_put_str(failures ? "div: FAIL\n" : "div: ok\n");
    return failures != 0;
}
