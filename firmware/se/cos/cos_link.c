/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_link.c - ATR, PPS and T=1 (card role) of the COS on
 * the SE's ISO 7816 UART (see cos_link.h; registers in
 * regs/iso7816_uart.h, behaviour in docs/iso7816.md).
 *
 * Waiting for a character with no time-out sleeps (WFI on the UART line,
 * PRIMASK set, as cos_hal_se.c does); waits with a time-out (inside a
 * block, PPS characters, BGT) poll UART_CLKCNT: there is no CLK-based
 * timer to wake on. */
#include "cos_link.h"

#include "atr.h"
#include "cm0.h"
#include "cos_target.h"
#include "pps.h"
#include "regs/iso7816_uart.h"
#include "regs/se_map.h"
#include "str.h"

#define UART(r)     (SE_UART_BASE + (r))
#define NO_BYTE     (-100)  /* rx_block: read the first byte itself */
#define RX_TIMEOUT  (-1)
#define RX_ERROR    (-2)    /* parity/framing error or overrun */
#define RX_RESET    (-3)    /* RST is low */

static inline uint32_t rd(uint32_t a) { return cm0_read32(a); }
static inline void wr(uint32_t a, uint32_t v) { cm0_write32(a, v); }

/* UART ------------------------------------------------------------------- */

/* Waits until one of `mask` is set in STATUS, asleep on the UART line. */
static void uart_wait(uint32_t mask)
{
    while (!(rd(UART(UART_STATUS)) & mask)) {
        wr(UART(UART_IRQEN), mask);
        wr(NVIC_ICPR, 1u << SE_IRQ_UART);
        if (!(rd(UART(UART_STATUS)) & mask))
            cm0_wfi();
    }
    wr(UART(UART_IRQEN), 0);
    wr(NVIC_ICPR, 1u << SE_IRQ_UART);
}

static void uart_start(void)
{
    wr(UART(UART_CTRL), 0);
    wr(UART(UART_IRQEN), 0);
    wr(UART(UART_ETU), UART_ETU_DEFAULT);
    wr(UART(UART_GT), 0);
    wr(UART(UART_STATUS), UART_STATUS_W1C);
    wr(UART(UART_CTRL), UART_CTRL_EN);
    /* The core runs only while RST is high; CLK may start later. */
    while ((rd(UART(UART_STATUS)) & (UART_STATUS_RST | UART_STATUS_CLKON)) !=
           (UART_STATUS_RST | UART_STATUS_CLKON))
        ;
    wr(UART(UART_STATUS), UART_STATUS_RSTEDGE);
}

static uint32_t clkcnt(void)
{
    return rd(UART(UART_CLKCNT));
}

static uint32_t since(uint32_t t0)
{
    return clkcnt() - t0;
}

static void uart_put(uint8_t b)
{
    uart_wait(UART_STATUS_TXE);
    wr(UART(UART_DATA), b);
}

/* Returns once every character has left, guard time included. */
static void uart_flush(void)
{
    uart_wait(UART_STATUS_TC);
}

/* The next character 0..255 or RX_*. timeout: CLK cycles, 0 = none. */
static int uart_get(uint32_t timeout)
{
    uint32_t t0 = clkcnt();
    for (;;) {
        uint32_t st = rd(UART(UART_STATUS));
        if (!(st & UART_STATUS_RST))
            return RX_RESET;
        if (st & UART_STATUS_RXNE) {
            uint32_t b = rd(UART(UART_DATA));
            if (st & (UART_STATUS_PE | UART_STATUS_OVR)) {
                wr(UART(UART_STATUS), UART_STATUS_PE | UART_STATUS_OVR);
                return RX_ERROR;
            }
            return (int)(b & 0xFFu);
        }
        if (!timeout)
            uart_wait(UART_STATUS_RXNE);
        else if (since(t0) >= timeout)
            return RX_TIMEOUT;
    }
}

/* The link ---------------------------------------------------------------- */

int cos_link_atr(uint32_t version, uint8_t *out, size_t cap)
{
    static const uint8_t name[5] = { 'C', 'S', 'C', 'O', 'S' };
    atr_t a;
    memset(&a, 0, sizeof a);
    a.ts = ATR_TS_DIRECT;
    a.ngroups = 3;
    /* TA1 TB1 TC1; TD1 -> T=1; TD2 -> T=1 with TA3 (IFSC), TB3 (BWI/CWI) */
    a.g[0] = (atr_group_t){ .t = 0, .present = ATR_TA | ATR_TB | ATR_TC,
                            .ta = COS_ATR_TA1, .tb = 0, .tc = 0 };
    a.g[1] = (atr_group_t){ .t = 1, .present = 0 };
    a.g[2] = (atr_group_t){ .t = 1, .present = ATR_TA | ATR_TB,
                            .ta = COS_ATR_IFSC, .tb = COS_ATR_TB3 };
    a.nhist = sizeof name + 1;
    memcpy(a.hist, name, sizeof name);
    a.hist[sizeof name] = (uint8_t)version;
    return atr_build(&a, out, cap);
}

static void set_rate(cos_link_t *l, uint8_t pps1)
{
    uint16_t fi = atr_fi_value(pps1 >> 4);
    uint8_t di = atr_di_value(pps1 & 0x0Fu);
    l->pps1 = pps1;
    l->etu = atr_etu_clocks_round(fi, di);
    l->bwt = atr_bwt_clocks(COS_ATR_BWI, fi, di);
}

static void send(cos_link_t *l, const uint8_t *p, size_t n)
{
    (void)l;
    for (size_t i = 0; i < n; i++)
        uart_put(p[i]);
}

/* Receives a T=1 block into l->rx. first: a byte already read, or
 * NO_BYTE. Returns RX_RESET, or 0 with *len bytes and *err set when a
 * character was broken or CWT ended the block early. */
static int rx_block(cos_link_t *l, int first, size_t *len, bool *err)
{
    uint32_t cwt = (atr_cwt_etu(COS_ATR_CWI) + 2u) * l->etu;
    size_t n = 0, want = 3;
    *err = false;
    for (;;) {
        int c = first;
        first = NO_BYTE;
        if (c == NO_BYTE)
            c = uart_get(n == 0 ? 0 : cwt);
        if (c == RX_RESET)
            return RX_RESET;
        if (c == RX_TIMEOUT) {
            *err = true;
            break;
        }
        l->last_rx = clkcnt();
        if (c == RX_ERROR) {
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
    }
    *len = n < sizeof l->rx ? n : sizeof l->rx;
    l->blocks_rx++;
    return 0;
}

/* Sends the block T=1 has queued, if any, BGT after the start of the last
 * character received (l->last_rx is ~10 etu after that start). */
static void tx_pending(cos_link_t *l)
{
    int n = t1_next_tx(&l->t1, l->tx, sizeof l->tx);
    if (n <= 0)
        return;
    uint32_t bgt = (ATR_BGT_ETU - 10u + 1u) * l->etu;
    while (since(l->last_rx) < bgt)
        ;
    send(l, l->tx, (size_t)n);
    l->blocks_tx++;
}

/* The HAL's hook before each long operation: past BWT / COS_LINK_WTX_DIV
 * since the terminal's last character, S(WTX request) and wait for the
 * response (t1 repeats the request after a broken or unexpected block,
 * rule 7.3); the response's arrival starts a new BWT. */
static void link_hook(void *ctx)
{
    cos_link_t *l = ctx;
    if (!l->in_cmd || l->dead || since(l->last_rx) < l->bwt / COS_LINK_WTX_DIV)
        return;
    if (t1_request_wtx(&l->t1, 1) != T1_OK)
        return;
    l->wtx_count++;
    for (;;) {
        size_t n;
        bool err;
        tx_pending(l);
        if (rx_block(l, NO_BYTE, &n, &err) == RX_RESET) {
            l->dead = true;
            return;
        }
        if (t1_rx_block(&l->t1, l->rx, n, err) == T1_OK)
            return;
    }
}

/* PPSS (FF) has arrived: read the rest, answer if accepted, switch the
 * etu. Returns RX_RESET or 0. */
static int pps(cos_link_t *l)
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
        int c = uart_get(COS_PPS_WAIT_ETU * l->etu);
        if (c == RX_RESET)
            return c;
        if (c < 0)
            return 0;  /* broken or missing character: silent */
        l->last_rx = clkcnt();
        req[n++] = (uint8_t)c;
    }
    pps_card_caps_t caps = { .protocols = 1u << 1, .ta1 = COS_ATR_TA1 };
    pps_t agreed;
    int m = pps_card_answer(req, n, &caps, ans, sizeof ans, &agreed);
    if (m <= 0)
        return 0;
    send(l, ans, (size_t)m);
    uart_flush();
    if (agreed.present & PPS0_PPS1) {
        set_rate(l, agreed.pps1);
        wr(UART(UART_ETU), l->etu);
    }
    return 0;
}

static void serve_apdu(cos_link_t *l)
{
    size_t len = t1_take_apdu(&l->t1);
    l->apdus++;
    l->in_cmd = true;
    size_t rl = cos_process(l->cos, l->apdu, len, l->resp);
    l->in_cmd = false;
    if (!l->dead)
        (void)t1_send_apdu(&l->t1, l->resp, rl);
}

void cos_link_run(cos_link_t *l, cos_t *cos)
{
    memset(l, 0, sizeof *l);
    l->cos = cos;
    set_rate(l, 0x11);
    cos_hal_se_set_hook(link_hook, l);

    uart_start();
    while (clkcnt() < COS_ATR_MIN_CLK)
        ;
    uint8_t atr[ATR_MAX_LEN];
    int an = cos_link_atr(cos->version, atr, sizeof atr);
    send(l, atr, an > 0 ? (size_t)an : 0);

    int first = uart_get(0);
    if (first == RX_RESET)
        return;
    if (first == PPS_PPSS) {
        l->last_rx = clkcnt();
        if (pps(l) == RX_RESET)
            return;
        first = NO_BYTE;
    } else {
        l->last_rx = clkcnt();
    }

    t1_params_t p = { .ifsc = COS_ATR_IFSC, .edc = T1_EDC_LRC,
                      .rx_buf = l->apdu, .rx_cap = sizeof l->apdu };
    (void)t1_init(&l->t1, T1_CARD, &p);
    for (;;) {
        tx_pending(l);
        if (cos_reset_requested(cos)) {
            uart_flush();  /* the 9000 is out: now the reset */
            return;
        }
        if (t1_status(&l->t1) == T1_APDU) {
            serve_apdu(l);
            if (l->dead)
                return;
            continue;
        }
        size_t n;
        bool err;
        if (rx_block(l, first, &n, &err) == RX_RESET)
            return;
        first = NO_BYTE;
        (void)t1_rx_block(&l->t1, l->rx, n, err);
    }
}
