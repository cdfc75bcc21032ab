/* SPDX-License-Identifier: MIT */
/* tests/test_rng.c - seeded streams: reproducible, independent, unbiased. */
#include "sim/rng.h"
#include "suites.h"

START_TEST(same_seed_same_stream)
{
    sim_rng_t a, b;
    sim_rng_seed(&a, 42, "se0");
    sim_rng_seed(&b, 42, "se0");
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(sim_rng_next(&a), sim_rng_next(&b));
}
END_TEST

START_TEST(streams_and_seeds_differ)
{
    sim_rng_t a, b, c;
    sim_rng_seed(&a, 42, "se0");
    sim_rng_seed(&b, 42, "se1");
    sim_rng_seed(&c, 43, "se0");
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sim_rng_next(&a);
        same_ab += x == sim_rng_next(&b);
        same_ac += x == sim_rng_next(&c);
    }
    ck_assert_int_eq(same_ab, 0);
    ck_assert_int_eq(same_ac, 0);
}
END_TEST

START_TEST(known_first_values)
{
    /* pins the generator (values from an independent Python model of
     * splitmix64 + xoshiro256**): a change here changes every seeded fault
     * ever reported */
    sim_rng_t a;
    sim_rng_seed(&a, 0, "");
    ck_assert_uint_eq(sim_rng_next(&a), 0x21382ef092ed7068ULL);
    ck_assert_uint_eq(sim_rng_next(&a), 0x5b54c052757adf62ULL);
    ck_assert_uint_eq(sim_rng_next(&a), 0xa64cb2cf68795072ULL);
    sim_rng_seed(&a, 42, "se0");
    ck_assert_uint_eq(sim_rng_next(&a), 0x6d5b478664426973ULL);
}
END_TEST

START_TEST(below_is_in_range_and_covers_it)
{
    sim_rng_t a;
    sim_rng_seed(&a, 7, "x");
    int hist[10] = { 0 };
    for (int i = 0; i < 100000; i++) {
        uint64_t v = sim_rng_below(&a, 10);
        ck_assert_uint_lt(v, 10);
        hist[v]++;
    }
    for (int i = 0; i < 10; i++) {
        ck_assert_int_gt(hist[i], 9500);
        ck_assert_int_lt(hist[i], 10500);
    }
    for (int i = 0; i < 1000; i++) {
        double u = sim_rng_unit(&a);
        ck_assert(u >= 0.0 && u < 1.0);
    }
}
END_TEST

Suite *make_rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("streams");
    tcase_add_test(tc, same_seed_same_stream);
    tcase_add_test(tc, streams_and_seeds_differ);
    tcase_add_test(tc, known_first_values);
    tcase_add_test(tc, below_is_in_range_and_covers_it);
    suite_add_tcase(s, tc);
    return s;
}
