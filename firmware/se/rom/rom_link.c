/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_link.c - ATR, PPS and T=1 (card role) of the SE
 * loader over the HAL's UART (see rom_link.h). */
#include "rom_link.h"

#include "atr.h"
#include "pps.h"
#include "regs/iso7816_uart.h"
#include "rom_hal.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

#define NO_BYTE     (-100)  /* rx_block: read the first byte itself */

static const uint8_t hist[] = { 'C', 'S', 'L', 'D', 'R', 0x01 };

int rom_link_atr(uint8_t *out, size_t cap)
{
    atr_t a;
    memset(&a, 0, sizeof a);
    a.ts = ATR_TS_DIRECT;
    a.ngroups = 3;
    /* TA1 TB1 TC1; TD1 -> T=1; TD2 -> T=1 with TA3 (IFSC), TB3 (BWI/CWI) */
    a.g[0] = (atr_group_t){ .t = 0, .present = ATR_TA | ATR_TB | ATR_TC,
                            .ta = ROM_ATR_TA1, .tb = 0, .tc = 0 };
    a.g[1] = (atr_group_t){ .t = 1, .present = 0 };
    a.g[2] = (atr_group_t){ .t = 1, .present = ATR_TA | ATR_TB,
                            .ta = ROM_ATR_IFSC, .tb = ROM_ATR_TB3 };
    a.nhist = sizeof hist;
    memcpy(a.hist, hist, sizeof hist);
    return atr_build(&a, out, cap);
}

static uint32_t since(uint32_t t0)
{
    return rom_hal_uart_clkcnt() - t0;
}

static void send(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rom_hal_uart_put(p[i]);
}

/* Receives a T=1 block into l->rx. first: a byte already read, or
 * NO_BYTE. Returns ROM_UART_RESET, or 0 with *len bytes and *err set when
 * a character was broken or CWT ended the block early. */
static int rx_block(rom_link_t *l, int first, size_t *len, bool *err)
{
    uint32_t cwt = (atr_cwt_etu(ROM_ATR_CWI) + 2u) * l->etu;
    size_t n = 0, want = 3;
    *err = false;
    int c = first;
    if (c == NO_BYTE)
        c = rom_hal_uart_get(0);
    rom_hal_uart_rx_open(cwt);
    for (;;) {
        if (c == ROM_UART_RESET) {
            rom_hal_uart_rx_close();
            return ROM_UART_RESET;
        }
        if (c == ROM_UART_TIMEOUT) {
            *err = true;
            break;
        }
        if (c == ROM_UART_ERROR) {
            *err = true;
            c = 0;
        }
        if (n < sizeof l->rx)
            l->rx[n] = (uint8_t)c;
        n++;
        if (n == 3)
            want = t1_block_size(l->rx[2], T1_EDC_LRC);
        if (n >= want)
            break;
        c = rom_hal_uart_next();
    }
    rom_hal_uart_rx_close();
    /* BGT counts from here: at or after the last character's end */
    l->last_rx = rom_hal_uart_clkcnt();
    *len = n < sizeof l->rx ? n : sizeof l->rx;
    l->blocks_rx++;
    return 0;
}

/* Sends the block T=1 has queued, if any, BGT after the last character
 * received. */
static void tx_pending(rom_link_t *l)
{
    int n = t1_next_tx(&l->t1, l->tx, sizeof l->tx);
    if (n <= 0)
        return;
    uint32_t bgt = ATR_BGT_ETU * l->etu;
    while (since(l->last_rx) < bgt)
        ;
    send(l->tx, (size_t)n);
    l->blocks_tx++;
}

/* The loader's WTX callback: S(WTX request), then blocks until the
 * terminal's S(WTX response) is in (t1 repeats the request after a broken
 * or unexpected block, rule 7.3). */
static void link_wtx(void *ctx, uint8_t mult)
{
    rom_link_t *l = ctx;
    if (l->dead || t1_request_wtx(&l->t1, mult) != T1_OK)
        return;
    l->wtx_count++;
    for (;;) {
        size_t n;
        bool err;
        tx_pending(l);
        if (rx_block(l, NO_BYTE, &n, &err) == ROM_UART_RESET) {
            l->dead = true;
            return;
        }
        if (t1_rx_block(&l->t1, l->rx, n, err) == T1_OK)
            return;
    }
}

/* PPSS (FF) has arrived: read the rest, answer if accepted, switch the
 * etu. Returns ROM_UART_RESET or 0. */
static int pps(rom_link_t *l)
{
    uint8_t req[PPS_MAX_LEN], ans[PPS_MAX_LEN];
    size_t n = 1;
    req[0] = PPS_PPSS;
    for (;;) {
        int need = pps_length(req, n);
        if (need == PPS_ERR_FORMAT)
            return 0;  /* not a PPS: stay silent */
        if (need > 0 && n >= (size_t)need)
            break;
        int c = rom_hal_uart_get(ROM_PPS_WAIT_ETU * l->etu);
        if (c == ROM_UART_RESET)
            return c;
        if (c < 0)
            return 0;  /* broken or missing character: silent */
        l->last_rx = rom_hal_uart_clkcnt();
        req[n++] = (uint8_t)c;
    }
    pps_card_caps_t caps = { .protocols = 1u << 1, .ta1 = ROM_ATR_TA1 };
    pps_t agreed;
    int m = pps_card_answer(req, n, &caps, ans, sizeof ans, &agreed);
    if (m <= 0)
        return 0;
    send(ans, (size_t)m);
    rom_hal_uart_flush();
    if (agreed.present & PPS0_PPS1) {
        l->pps1 = agreed.pps1;
        l->etu = atr_etu_clocks_round(atr_fi_value(agreed.pps1 >> 4),
                                      atr_di_value(agreed.pps1 & 0x0Fu));
        rom_hal_uart_set_etu(l->etu);
    }
    return 0;
}

static void serve_apdu(rom_link_t *l)
{
    size_t len = t1_take_apdu(&l->t1), dl = 0;
    l->apdus++;
    uint16_t sw = rom_loader_apdu(l->ld, l->apdu, len, l->resp, &dl);
    if (l->dead)
        return;
    l->resp[dl] = APDU_SW1(sw);
    l->resp[dl + 1] = APDU_SW2(sw);
    (void)t1_send_apdu(&l->t1, l->resp, dl + 2);
}

void rom_link_run(rom_link_t *l, rom_loader_t *ld)
{
    memset(l, 0, sizeof *l);
    l->ld = ld;
    l->etu = UART_ETU_DEFAULT;
    l->pps1 = 0x11;
    ld->wtx = link_wtx;
    ld->wtx_ctx = l;

    rom_hal_uart_start();
    while (rom_hal_uart_clkcnt() < ROM_ATR_MIN_CLK)
        ;
    uint8_t atr[ATR_MAX_LEN];
    int an = rom_link_atr(atr, sizeof atr);
    l->atr_clk = rom_hal_uart_clkcnt();
    send(atr, an > 0 ? (size_t)an : 0);

    int first = rom_hal_uart_get(0);
    if (first == ROM_UART_RESET)
        return;
    if (first == PPS_PPSS) {
        l->last_rx = rom_hal_uart_clkcnt();
        if (pps(l) == ROM_UART_RESET)
            return;
        first = NO_BYTE;
    }

    t1_params_t p = { .ifsc = ROM_ATR_IFSC, .edc = T1_EDC_LRC,
                      .rx_buf = l->apdu, .rx_cap = sizeof l->apdu };
    (void)t1_init(&l->t1, T1_CARD, &p);
    for (;;) {
        tx_pending(l);
        if (t1_status(&l->t1) == T1_APDU) {
            serve_apdu(l);
            if (l->dead)
                return;
            continue;
        }
        size_t n;
        bool err;
        if (rx_block(l, first, &n, &err) == ROM_UART_RESET)
            return;
        first = NO_BYTE;
        (void)t1_rx_block(&l->t1, l->rx, n, err);
    }
}
