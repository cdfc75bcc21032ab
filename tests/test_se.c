/* SPDX-License-Identifier: MIT */
/* tests/test_se.c - the SE chip running its real boot ROM: a terminal
 * port activates it (VCC, CLK, RST low then high) and the ROM's loader
 * answers with its ATR inside the ISO 7816-3 window. */
#include <stdlib.h>
#include <string.h>

#include "cardsim_config.h"
#include "models/iso7816_port.h"
#include "models/se.h"
#include "suites.h"

#define CLK_HZ 3571200u
#define ROM_ELF CARDSIM_BUILD_ROOT "/firmware/se_rom.elf"

typedef struct bench {
    sim_t sim;
    sim_node_t term;
    iso7816_port_t port;
    iso7816_line_t line;
    se_t se;
    uint8_t rx[64];
    sim_time_t rx_t[64];
    size_t n_rx;
} bench_t;

static void on_rx(void *ctx, sim_time_t now, uint8_t byte, unsigned flags)
{
    bench_t *b = ctx;
    (void)flags;
    if (b->n_rx < sizeof b->rx) {
        b->rx_t[b->n_rx] = now;
        b->rx[b->n_rx++] = byte;
    }
}

static bench_t *bench_new(void)
{
    bench_t *b = calloc(1, sizeof *b);
    sim_init(&b->sim, 1);
    sim_node_init(&b->term, &b->sim, "reader", b);
    iso7816_port_cfg_t pc = { .name = "reader", .path = "contact",
                              .node = &b->term, .on_rx = on_rx, .ctx = b };
    iso7816_port_init(&b->port, &b->sim, &pc);
    char err[512];
    se_cfg_t sc = { .index = 0, .rom_elf = ROM_ELF };
    ck_assert_msg(se_init(&b->se, &b->sim, NULL, &sc, err, sizeof err) == 0,
                  "%s", err);
    iso7816_port_connect(&b->port, &b->line, &b->sim, "contact",
                         se_port_end(&b->se, ISO7816_SRC_MCU));
    se_attach_line(&b->se, ISO7816_SRC_MCU, &b->line);
    return b;
}

static void bench_free(bench_t *b)
{
    sim_cleanup(&b->sim);
    se_cleanup(&b->se);
    iso7816_port_cleanup(&b->port);
    free(b);
}

/* The loader's ATR (docs/se.md), as built by firmware/lib/atr. */
static const uint8_t loader_atr[] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81,
                                      0x31, 0xFE, 0x45, 0x43, 0x53, 0x4C,
                                      0x44, 0x52, 0x01, 0x20 };

START_TEST(empty_se_answers_loader_atr_in_window)
{
    bench_t *b = bench_new();
    /* cold reset: VCC, CLK, RST low for 500 clocks, RST high */
    sim_time_t t_rst = (sim_time_t)500 * 1000000000000ULL / CLK_HZ;
    iso7816_port_set_vcc(&b->port, 0, true);
    iso7816_port_set_clk(&b->port, 0, CLK_HZ);
    iso7816_port_set_rst(&b->port, 0, false);
    iso7816_port_set_rst(&b->port, t_rst, true);
    sim_run_until(&b->sim, SIM_MS(50));

    ck_assert_uint_eq(b->n_rx, sizeof loader_atr);
    ck_assert_mem_eq(b->rx, loader_atr, sizeof loader_atr);
    /* ISO 7816-3: the ATR's first character starts 400..40 000 clocks
     * after RST rises; a character is received 10 etu after its start */
    sim_time_t etu = (sim_time_t)372 * 1000000000000ULL / CLK_HZ;
    sim_time_t start = b->rx_t[0] - 10 * etu;
    uint64_t clocks = (start - t_rst) * CLK_HZ / 1000000000000ULL;
    ck_assert_uint_ge(clocks, 400);
    ck_assert_uint_le(clocks, 40000);
    ck_assert_uint_eq(b->se.resets, 1);
    bench_free(b);
}
END_TEST

START_TEST(no_power_no_atr)
{
    bench_t *b = bench_new();
    iso7816_port_set_clk(&b->port, 0, CLK_HZ);
    iso7816_port_set_rst(&b->port, SIM_US(200), true);
    sim_run_until(&b->sim, SIM_MS(20));
    ck_assert_uint_eq(b->n_rx, 0);
    ck_assert_uint_eq(b->se.resets, 0);
    bench_free(b);
}
END_TEST

Suite *make_se_suite(void)
{
    Suite *s = suite_create("se");
    TCase *tc = tcase_create("boot");
    tcase_add_test(tc, empty_se_answers_loader_atr_in_window);
    tcase_add_test(tc, no_power_no_atr);
    suite_add_tcase(s, tc);
    return s;
}
