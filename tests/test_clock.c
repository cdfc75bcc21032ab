/* SPDX-License-Identifier: MIT */
/* tests/test_clock.c - exact clock edges: no drift over 10^9 cycles. */
#include "sim/clock.h"
#include "suites.h"

START_TEST(edge_exact_after_1e9_cycles_13_56mhz)
{
    sim_clock_t c;
    sim_clock_init(&c, "nfc", 13560000, 0);
    /* floor(10^9 * 10^12 / 13 560 000) ps, computed independently */
    ck_assert_uint_eq(sim_clock_edge(&c, 1000000000ULL), 73746312684365ULL);
    ck_assert_uint_eq(sim_clock_edge(&c, 123456789ULL), 9104482964601ULL);
    /* a naive accumulator of the rounded period (73 746 ps) would be off by
     * 312 684 365 ps after 10^9 cycles; ours equals the formula */
    ck_assert_uint_eq(sim_clock_edge(&c, 1), 73746);
}
END_TEST

START_TEST(edge_exact_3_5712mhz_with_offset)
{
    sim_clock_t c;
    sim_clock_init(&c, "contact", 3571200, SIM_NS(5));
    ck_assert_uint_eq(sim_clock_edge(&c, 0), 5000);
    ck_assert_uint_eq(sim_clock_edge(&c, 1000000000ULL),
                      280017921146953ULL + 5000);
    /* 372 clocks = one etu at Fi=372, Di=1: 104.1666... us */
    ck_assert_uint_eq(sim_clock_cycles(&c, 372), 104166666ULL);
}
END_TEST

START_TEST(edges_through_and_after_are_inverse)
{
    sim_clock_t c;
    sim_clock_init(&c, "x", 13560000, 0);
    for (uint64_t n = 0; n < 2000000000ULL; n = n * 3 + 7) {
        sim_time_t e = sim_clock_edge(&c, n);
        ck_assert_uint_eq(sim_clock_edges_through(&c, e), n + 1);
        ck_assert_uint_eq(sim_clock_edge_at_or_after(&c, e), n);
        if (n > 0) {
            ck_assert_uint_eq(sim_clock_edges_through(&c, e - 1), n);
            ck_assert_uint_eq(sim_clock_edge_at_or_after(&c, e + 1), n + 1);
        }
    }
}
END_TEST

START_TEST(before_t0_and_overflow)
{
    sim_clock_t c;
    sim_clock_init(&c, "x", 16000000, SIM_US(1));
    ck_assert_uint_eq(sim_clock_edges_through(&c, 0), 0);
    ck_assert_uint_eq(sim_clock_edge_at_or_after(&c, 0), 0);
    ck_assert_uint_eq(sim_clock_edge(&c, UINT64_MAX), SIM_NEVER);
    sim_clock_restart(&c, 1000000, SIM_US(3));
    ck_assert_uint_eq(sim_clock_edge(&c, 2), SIM_US(5));
}
END_TEST

/* A clock whose period is a whole number of ps (32 MHz: 31 250) takes the
 * 64-bit short cut; the same clock with the short cut off (period 0) takes
 * the 128-bit path: both give the same edges, near 0, near the 64-bit
 * limits and at spread-out points. */
START_TEST(short_cut_agrees_with_the_general_path)
{
    static const uint64_t hzs[] = { 32000000, 16000000, 1000000, 4000000,
                                    1 };
    for (size_t i = 0; i < sizeof hzs / sizeof hzs[0]; i++) {
        sim_clock_t fast, slow;
        sim_clock_init(&fast, "f", hzs[i], SIM_NS(7));
        ck_assert_uint_eq(fast.period, SIM_PS_PER_S / hzs[i]);
        slow = fast;
        slow.period = 0;
        uint64_t x = 0x9E3779B97F4A7C15ULL;
        for (int k = 0; k < 2000; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint64_t n = k < 4 ? (uint64_t)k : x >> (k % 64);
            sim_time_t t = k < 4 ? SIM_NS(7) + (uint64_t)k
                         : k < 8 ? SIM_NEVER - (uint64_t)(k - 4)
                                 : x >> ((k * 7) % 64);
            ck_assert_uint_eq(sim_clock_edge(&fast, n),
                              sim_clock_edge(&slow, n));
            ck_assert_uint_eq(sim_clock_edges_through(&fast, t),
                              sim_clock_edges_through(&slow, t));
            ck_assert_uint_eq(sim_clock_edge_at_or_after(&fast, t),
                              sim_clock_edge_at_or_after(&slow, t));
        }
    }
    sim_clock_t c;
    sim_clock_init(&c, "contact", 3571200, 0); /* 280 017.92 ps */
    ck_assert_uint_eq(c.period, 0);
}
END_TEST

Suite *make_clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("edges");
    tcase_add_test(tc, edge_exact_after_1e9_cycles_13_56mhz);
    tcase_add_test(tc, edge_exact_3_5712mhz_with_offset);
    tcase_add_test(tc, edges_through_and_after_are_inverse);
    tcase_add_test(tc, before_t0_and_overflow);
    tcase_add_test(tc, short_cut_agrees_with_the_general_path);
    suite_add_tcase(s, tc);
    return s;
}
