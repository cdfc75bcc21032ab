/* SPDX-License-Identifier: MIT */
/* tests/test_heap.c - event heap: order, tie-breaking, cancel, reschedule. */
#include <stdlib.h>

#include "sim/event.h"
#include "sim/rng.h"
#include "suites.h"

static void nop(sim_event_t *ev, sim_time_t now)
{
    (void)ev;
    (void)now;
}

START_TEST(pops_in_time_order)
{
    sim_heap_t h;
    sim_heap_init(&h);
    sim_event_t ev[5];
    const sim_time_t t[5] = { 50, 10, 40, 20, 30 };
    for (int i = 0; i < 5; i++) {
        sim_event_init(&ev[i], "e", nop, NULL);
        sim_heap_push(&h, &ev[i], t[i]);
    }
    ck_assert_uint_eq(sim_heap_min_time(&h), 10);
    const int order[5] = { 1, 3, 4, 2, 0 };
    for (int i = 0; i < 5; i++) {
        sim_event_t *e = sim_heap_pop(&h);
        ck_assert_ptr_eq(e, &ev[order[i]]);
        ck_assert(!sim_event_scheduled(e));
    }
    ck_assert_ptr_null(sim_heap_pop(&h));
    ck_assert_uint_eq(sim_heap_min_time(&h), SIM_NEVER);
    sim_heap_cleanup(&h);
}
END_TEST

START_TEST(equal_times_keep_insertion_order)
{
    sim_heap_t h;
    sim_heap_init(&h);
    enum { N = 300 };
    sim_event_t ev[N];
    /* three times, interleaved insertions */
    for (int i = 0; i < N; i++) {
        sim_event_init(&ev[i], "e", nop, NULL);
        sim_heap_push(&h, &ev[i], (sim_time_t)(100 * (i % 3)));
    }
    for (int k = 0; k < 3; k++)
        for (int i = k; i < N; i += 3)
            ck_assert_ptr_eq(sim_heap_pop(&h), &ev[i]);
    sim_heap_cleanup(&h);
}
END_TEST

START_TEST(cancel_and_reschedule)
{
    sim_heap_t h;
    sim_heap_init(&h);
    sim_event_t a, b, c, d;
    sim_event_init(&a, "a", nop, NULL);
    sim_event_init(&b, "b", nop, NULL);
    sim_event_init(&c, "c", nop, NULL);
    sim_event_init(&d, "d", nop, NULL);
    sim_heap_push(&h, &a, 10);
    sim_heap_push(&h, &b, 20);
    sim_heap_push(&h, &c, 30);
    sim_heap_push(&h, &d, 20);
    ck_assert(sim_heap_remove(&h, &b));
    ck_assert(!sim_heap_remove(&h, &b));  /* not scheduled any more */
    sim_heap_move(&h, &c, 5);             /* earlier */
    sim_heap_move(&h, &a, 20);            /* later, ties with d: after it */
    sim_heap_move(&h, &b, 1);             /* not scheduled: schedules it */
    ck_assert_ptr_eq(sim_heap_pop(&h), &b);
    ck_assert_ptr_eq(sim_heap_pop(&h), &c);
    ck_assert_ptr_eq(sim_heap_pop(&h), &d);
    ck_assert_ptr_eq(sim_heap_pop(&h), &a);
    ck_assert_ptr_null(sim_heap_pop(&h));
    sim_heap_cleanup(&h);
}
END_TEST

static int cmp_key(const void *x, const void *y)
{
    const sim_heap_entry_t *a = x, *b = y;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Random schedule/cancel/reschedule against a sorted reference. */
START_TEST(random_operations_match_reference)
{
    enum { N = 2000 };
    sim_heap_t h;
    sim_heap_init(&h);
    sim_event_t *ev = calloc(N, sizeof *ev);
    sim_heap_entry_t *ref = calloc(N, sizeof *ref);
    uint64_t *seq = calloc(N, sizeof *seq);
    sim_rng_t r;
    sim_rng_seed(&r, 99, "heap");
    uint64_t next_seq = 0;
    for (int i = 0; i < N; i++)
        sim_event_init(&ev[i], "e", nop, NULL);
    for (int op = 0; op < 200000; op++) {
        int i = (int)sim_rng_below(&r, N);
        sim_time_t t = sim_rng_below(&r, 5000);
        switch (sim_rng_below(&r, 3)) {
        case 0:
            if (!sim_event_scheduled(&ev[i])) {
                sim_heap_push(&h, &ev[i], t);
                seq[i] = next_seq++;
            }
            break;
        case 1:
            sim_heap_remove(&h, &ev[i]);
            break;
        default:
            sim_heap_move(&h, &ev[i], t);
            seq[i] = next_seq++;
            break;
        }
    }
    size_t n = 0;
    for (int i = 0; i < N; i++)
        if (sim_event_scheduled(&ev[i]))
            ref[n++] = (sim_heap_entry_t){ ev[i].time, seq[i], &ev[i] };
    ck_assert_uint_eq(n, h.n);
    qsort(ref, n, sizeof *ref, cmp_key);
    for (size_t k = 0; k < n; k++)
        ck_assert_ptr_eq(sim_heap_pop(&h), ref[k].ev);
    sim_heap_cleanup(&h);
    free(ev);
    free(ref);
    free(seq);
}
END_TEST

/* The scheduler's firing protocol: the fired entry is reused when its
 * handler schedules it again, dropped otherwise, and an event moved to
 * another heap by its handler keeps its new index. */
START_TEST(fire_protocol_reuse_drop_and_move)
{
    sim_heap_t h, other;
    sim_heap_init(&h);
    sim_heap_init(&other);
    sim_event_t a, b, c;
    sim_event_init(&a, "a", nop, NULL);
    sim_event_init(&b, "b", nop, NULL);
    sim_event_init(&c, "c", nop, NULL);
    sim_heap_push(&h, &a, 10);
    sim_heap_push(&h, &b, 20);
    sim_heap_push(&h, &c, 30);

    /* a fires and is rescheduled after b: reused in place */
    sim_event_t *e = sim_heap_fire_begin(&h);
    ck_assert_ptr_eq(e, &a);
    ck_assert(!sim_event_scheduled(&a));
    sim_heap_push(&h, &a, 25);
    sim_heap_fire_end(&h);
    ck_assert_uint_eq(h.n, 3);
    ck_assert_uint_eq(sim_heap_min_time(&h), 20);

    /* b fires, schedules nothing: dropped; min_time settles it */
    e = sim_heap_fire_begin(&h);
    ck_assert_ptr_eq(e, &b);
    ck_assert_uint_eq(sim_heap_min_time(&h), 25);
    sim_heap_fire_end(&h);
    ck_assert_uint_eq(h.n, 2);

    /* a fires and its handler moves it to another heap, then cancels c */
    e = sim_heap_fire_begin(&h);
    ck_assert_ptr_eq(e, &a);
    sim_heap_push(&other, &a, 5);
    ck_assert(sim_heap_remove(&h, &c));
    sim_heap_fire_end(&h);
    ck_assert_uint_eq(h.n, 0);
    ck_assert(sim_event_scheduled(&a));
    ck_assert_ptr_eq(sim_heap_pop(&other), &a);
    sim_heap_cleanup(&h);
    sim_heap_cleanup(&other);
}
END_TEST

START_TEST(double_schedule_is_fatal)
{
    SKIP_WITHOUT_FORK();
    sim_heap_t h;
    sim_heap_init(&h);
    sim_event_t a;
    sim_event_init(&a, "a", nop, NULL);
    sim_heap_push(&h, &a, 1);
    sim_heap_push(&h, &a, 2); /* exits with status 3 */
}
END_TEST

Suite *make_heap_suite(void)
{
    Suite *s = suite_create("heap");
    TCase *tc = tcase_create("heap");
    tcase_add_test(tc, pops_in_time_order);
    tcase_add_test(tc, equal_times_keep_insertion_order);
    tcase_add_test(tc, cancel_and_reschedule);
    tcase_add_test(tc, random_operations_match_reference);
    tcase_add_test(tc, fire_protocol_reuse_drop_and_move);
    tcase_add_exit_test(tc, double_schedule_is_fatal, 3);
    suite_add_tcase(s, tc);
    return s;
}
