/* SPDX-License-Identifier: MIT */
/* tests/test_sim.c - the scheduler: lookahead causality with busy and
 * sleeping nodes, exact round trips, CPU slices shortened by MMIO-made
 * events, idle skipping, refusal of the past. */
#include <stdlib.h>
#include <string.h>

#include "sim/clock.h"
#include "sim/sim.h"
#include "suites.h"

/* A stand-in CPU: busy until end_cycle, then runs `action` at that edge. */
typedef struct fake_cpu {
    sim_clock_t clk;
    bool busy;
    uint64_t cycle, end_cycle;
    void (*action)(void *owner, sim_time_t now);
    void *owner;
} fake_cpu_t;

static sim_time_t fake_run(void *cpu, sim_time_t now, const sim_time_t *limit)
{
    fake_cpu_t *c = cpu;
    (void)now;
    sim_time_t end = sim_clock_edge(&c->clk, c->end_cycle);
    if (end < *limit) {
        c->cycle = c->end_cycle;
        c->busy = false;
        c->action(c->owner, end);
        return end;
    }
    c->cycle = sim_clock_edge_at_or_after(&c->clk, *limit);
    return sim_clock_edge(&c->clk, c->cycle);
}

static bool fake_active(void *cpu)
{
    return ((fake_cpu_t *)cpu)->busy;
}

static void fake_start(fake_cpu_t *c, sim_time_t now, uint64_t cycles)
{
    uint64_t first = sim_clock_edge_at_or_after(&c->clk, now);
    if (first > c->cycle)
        c->cycle = first;
    c->end_cycle = c->cycle + cycles;
    c->busy = true;
}

/* ---- ping-pong over links with latency L ----------------------------- */

#define L SIM_NS(250)
#define PA 50000ULL  /* A: 20 MHz */
#define PB 62500ULL  /* B: 16 MHz */
#define WA 7ULL      /* A works 7 cycles before each request (not the 1st) */
#define WB 40ULL     /* B works 40 cycles before each reply */
#define ROUNDS 200

typedef struct pp {
    sim_t sim;
    sim_node_t a, b;
    sim_link_t ab, ba;
    fake_cpu_t ca, cb;
    sim_event_t wake;
    sim_time_t sent[ROUNDS + 1], rtt[ROUNDS + 1];
    int n;
    int violations;
} pp_t;

static sim_time_t sleep_of(int i)
{
    /* irregular sleeps so arrivals fall between clock edges */
    return SIM_NS(1000) + (sim_time_t)i * 7919ULL;
}

static void check_delivery(pp_t *p, const sim_msg_t *m, sim_time_t now)
{
    if (now != m->sent + L)
        p->violations++;
}

static void a_send(void *owner, sim_time_t now)
{
    pp_t *p = owner;
    if (p->b.done > now + L)
        p->violations++; /* B would already be past the arrival */
    p->sent[p->n] = now;
    sim_link_send(&p->ab, now, 0, (uint64_t)p->n, NULL, 0);
}

static void b_reply(void *owner, sim_time_t now)
{
    pp_t *p = owner;
    if (p->a.done > now + L)
        p->violations++;
    sim_link_send(&p->ba, now, 0, 0, NULL, 0);
}

static void b_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    pp_t *p = ctx;
    check_delivery(p, m, now);
    fake_start(&p->cb, now, WB);
}

static void a_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    pp_t *p = ctx;
    check_delivery(p, m, now);
    p->rtt[p->n] = now - p->sent[p->n];
    p->n++;
    if (p->n < ROUNDS)
        sim_schedule(&p->a, &p->wake, now + sleep_of(p->n)); /* sleep */
}

static void a_wake(sim_event_t *ev, sim_time_t now)
{
    pp_t *p = ev->ctx;
    fake_start(&p->ca, now, WA); /* busy phase, then send */
}

static void pp_init(pp_t *p)
{
    memset(p, 0, sizeof *p);
    sim_init(&p->sim, 1);
    sim_node_init(&p->a, &p->sim, "a", p);
    sim_node_init(&p->b, &p->sim, "b", p);
    sim_clock_init(&p->ca.clk, "a", 20000000, 0);
    sim_clock_init(&p->cb.clk, "b", 16000000, 0);
    p->ca.action = a_send;
    p->cb.action = b_reply;
    p->ca.owner = p->cb.owner = p;
    sim_cpu_hook_t ha = { fake_run, fake_active, &p->ca };
    sim_cpu_hook_t hb = { fake_run, fake_active, &p->cb };
    sim_node_set_cpu(&p->a, &ha);
    sim_node_set_cpu(&p->b, &hb);
    sim_link_init(&p->ab, &p->sim, "a>b", &p->a, &p->b, L, 0, b_rx, p);
    sim_link_init(&p->ba, &p->sim, "b>a", &p->b, &p->a, L, 0, a_rx, p);
    sim_event_init(&p->wake, "a.wake", a_wake, p);
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

START_TEST(ping_pong_round_trips_are_exact)
{
    pp_t *p = malloc(sizeof *p);
    pp_init(p);
    a_send(p, 0);
    sim_run_until(&p->sim, SIM_MS(10));
    ck_assert_int_eq(p->n, ROUNDS);
    ck_assert_int_eq(p->violations, 0);
    /* the analytical schedule, in integer picoseconds */
    sim_time_t t = 0;
    for (int i = 0; i < ROUNDS; i++) {
        ck_assert_uint_eq(p->sent[i], t);
        sim_time_t arrive = t + L;
        sim_time_t done = (ceil_div(arrive, PB) + WB) * PB;
        sim_time_t back = done + L;
        ck_assert_uint_eq(p->rtt[i], back - t);
        sim_time_t wake = back + sleep_of(i + 1);
        t = (ceil_div(wake, PA) + WA) * PA;
    }
    /* the first round trip, by hand: arrive 250 ns = edge 4 of B, done at
     * edge 44 = 2.75 us, back at 3 us */
    ck_assert_uint_eq(p->rtt[0], SIM_US(3));
    sim_cleanup(&p->sim);
    free(p);
}
END_TEST

/* Rounds stay few: B is busy while A sleeps, so A's horizon is bound by
 * B's time + 2L, never by a fixed quantum. */
START_TEST(lookahead_rounds_follow_activity)
{
    pp_t *p = malloc(sizeof *p);
    pp_init(p);
    a_send(p, 0);
    sim_run_until(&p->sim, SIM_MS(10));
    /* 200 round trips of ~3 us + ~1.5 us sleep + A's work: each round
     * advances by at least 2L = 500 ns of simulated time */
    ck_assert_uint_lt(p->sim.rounds, 200 * 20);
    ck_assert_uint_eq(p->sim.watermark, SIM_MS(10));
    sim_cleanup(&p->sim);
    free(p);
}
END_TEST

/* A truthful lookahead on B's replies (B works WB cycles before each
 * one, so nothing comes on b>a before B's eot + WB cycles + L) changes
 * nothing in the schedule and cuts the rounds; sim_link_inflight follows
 * the message in flight. */
static sim_time_t b_reply_lookahead(void *ctx, const sim_link_t *l,
                                    sim_time_t src_eot)
{
    pp_t *p = ctx;
    if (p->cb.busy)
        return sim_clock_edge(&p->cb.clk, p->cb.end_cycle) + l->latency;
    return sim_time_add(src_eot, WB * PB + l->latency);
}

START_TEST(link_lookahead_keeps_the_schedule)
{
    pp_t *p = malloc(sizeof *p);
    pp_init(p);
    a_send(p, 0);
    sim_run_until(&p->sim, SIM_MS(10));
    sim_time_t rtt[ROUNDS];
    memcpy(rtt, p->rtt, sizeof rtt);
    uint64_t plain = p->sim.rounds;
    sim_cleanup(&p->sim);

    pp_init(p);
    sim_link_set_lookahead(&p->ba, b_reply_lookahead, p);
    ck_assert_uint_eq(sim_link_inflight(&p->ab), SIM_NEVER);
    a_send(p, 0);
    ck_assert_uint_eq(sim_link_inflight(&p->ab), L);
    sim_run_until(&p->sim, SIM_MS(10));
    ck_assert_uint_eq(sim_link_inflight(&p->ab), SIM_NEVER);
    ck_assert_int_eq(p->n, ROUNDS);
    ck_assert_int_eq(p->violations, 0);
    ck_assert_mem_eq(p->rtt, rtt, sizeof rtt);
    ck_assert_uint_lt(p->sim.rounds, plain);
    sim_cleanup(&p->sim);
    free(p);
}
END_TEST

/* ---- a CPU slice shortened by an event it schedules ------------------- */

typedef struct mmio_cpu {
    sim_node_t node;
    sim_clock_t clk;
    uint64_t cycle;
    sim_event_t irq;
    uint64_t seen_at_cycle;
    uint64_t max_overshoot;
    int slices;
} mmio_cpu_t;

static void irq_fire(sim_event_t *ev, sim_time_t now)
{
    mmio_cpu_t *m = ev->ctx;
    (void)now;
    m->seen_at_cycle = m->cycle;
}

/* executes 1-cycle instructions; at cycle 10 an "MMIO write" schedules an
 * event 10 cycles later, which must cut the slice there */
static sim_time_t mmio_run(void *cpu, sim_time_t now, const sim_time_t *limit)
{
    mmio_cpu_t *m = cpu;
    m->slices++;
    if (sim_clock_edge(&m->clk, m->cycle) < now)
        m->cycle = sim_clock_edge_at_or_after(&m->clk, now);
    while (sim_clock_edge(&m->clk, m->cycle) < *limit) {
        sim_time_t t = sim_clock_edge(&m->clk, m->cycle);
        if (m->cycle == 10)
            sim_schedule(&m->node, &m->irq, t + sim_clock_cycles(&m->clk, 10));
        m->cycle++;
        if (m->cycle == 1000)
            return sim_clock_edge(&m->clk, m->cycle);
    }
    return sim_clock_edge(&m->clk, m->cycle);
}

static bool mmio_active(void *cpu)
{
    return ((mmio_cpu_t *)cpu)->cycle < 1000;
}

START_TEST(mmio_event_shortens_slice)
{
    sim_t sim;
    sim_init(&sim, 1);
    mmio_cpu_t m;
    memset(&m, 0, sizeof m);
    sim_node_init(&m.node, &sim, "cpu", &m);
    sim_clock_init(&m.clk, "cpu", 16000000, 0);
    sim_event_init(&m.irq, "irq", irq_fire, &m);
    sim_cpu_hook_t h = { mmio_run, mmio_active, &m };
    sim_node_set_cpu(&m.node, &h);
    sim_run_until(&sim, SIM_MS(1));
    /* the event at cycle 20 fired before instruction 20 ran */
    ck_assert_uint_eq(m.seen_at_cycle, 20);
    ck_assert_int_eq(m.slices, 2);
    ck_assert_uint_eq(m.cycle, 1000);
    sim_cleanup(&sim);
}
END_TEST

/* ---- idle skipping --------------------------------------------------- */

static int fired;
static void count_fire(sim_event_t *ev, sim_time_t now)
{
    (void)ev;
    (void)now;
    fired++;
}

START_TEST(idle_nodes_jump_to_next_event)
{
    sim_t sim;
    sim_init(&sim, 1);
    sim_node_t a, b;
    sim_link_t ab, ba;
    sim_node_init(&a, &sim, "a", NULL);
    sim_node_init(&b, &sim, "b", NULL);
    sim_link_init(&ab, &sim, "a>b", &a, &b, SIM_NS(1), 0, NULL, NULL);
    sim_link_init(&ba, &sim, "b>a", &b, &a, SIM_NS(1), 0, NULL, NULL);
    sim_event_t e1, e2;
    sim_event_init(&e1, "e1", count_fire, NULL);
    sim_event_init(&e2, "e2", count_fire, NULL);
    fired = 0;
    sim_schedule(&a, &e1, SIM_S(1));
    sim_schedule(&b, &e2, SIM_S(2));
    sim_run_until(&sim, SIM_S(3));
    ck_assert_int_eq(fired, 2);
    /* with 1 ns links, a fixed quantum would need 3e9 rounds */
    ck_assert_uint_le(sim.rounds, 4);
    ck_assert_uint_eq(sim.watermark, SIM_S(3));
    ck_assert_uint_eq(a.done, SIM_S(3));
    sim_cleanup(&sim);
}
END_TEST

START_TEST(scheduling_into_the_past_is_fatal)
{
    SKIP_WITHOUT_FORK();
    sim_t sim;
    sim_init(&sim, 1);
    sim_node_t a;
    sim_node_init(&a, &sim, "a", NULL);
    sim_run_until(&sim, SIM_US(5));
    sim_event_t e;
    sim_event_init(&e, "late", count_fire, NULL);
    sim_schedule(&a, &e, SIM_US(4)); /* exits with status 3 */
}
END_TEST

START_TEST(zero_latency_link_is_fatal)
{
    SKIP_WITHOUT_FORK();
    sim_t sim;
    sim_init(&sim, 1);
    sim_node_t a, b;
    sim_link_t l;
    sim_node_init(&a, &sim, "a", NULL);
    sim_node_init(&b, &sim, "b", NULL);
    sim_link_init(&l, &sim, "a>b", &a, &b, 0, 0, NULL, NULL);
}
END_TEST

Suite *make_sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("scheduler");
    tcase_add_test(tc, ping_pong_round_trips_are_exact);
    tcase_add_test(tc, lookahead_rounds_follow_activity);
    tcase_add_test(tc, link_lookahead_keeps_the_schedule);
    tcase_add_test(tc, mmio_event_shortens_slice);
    tcase_add_test(tc, idle_nodes_jump_to_next_event);
    tcase_add_exit_test(tc, scheduling_into_the_past_is_fatal, 3);
    tcase_add_exit_test(tc, zero_latency_link_is_fatal, 3);
    suite_add_tcase(s, tc);
    return s;
}
