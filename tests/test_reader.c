/* SPDX-License-Identifier: MIT */
/* tests/test_reader.c - the contact reader (models/terminals/reader.c) and
 * the COS update client (models/terminals/cos_update.c) against a card
 * behind the contact pads: power on (ATR, its 400..40 000 clock window,
 * PPS to Fi 512 / Di 32, S(IFS)), T=1 APDUs (STATUS, unknown INS, a
 * command chained under IFSC, a response chained under IFSD, WTX, bit
 * errors recovered with R-blocks), T=0, warm reset, power off, the traces,
 * and a whole COS update of an image signed with the test issuer key, with
 * its negative variants (skipped, repeated, short block, truncation,
 * resume).
 *
 * Two cards: the real SE model running its boot ROM
 * (CARDSIM_BUILD_ROOT/firmware/se_rom.elf, the loader), and a fake card
 * written here: the real card-side UART model driven by C code in its own
 * node, speaking the loader's line protocol (its ATR, PPS, T=1 as the card
 * through firmware/lib/t1, or T=0 through firmware/lib/t0) and a loader
 * that checks the header's signature and code hash like the ROM. The tests
 * of the "rom" case run the same bodies on the real SE; while its ROM
 * cannot be loaded they say so on stderr and pass. Misbehaviour (early,
 * late or no ATR, WTX, PPS ignored, long responses) is fake-only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "cardsim_config.h"
#include "firmware/include/cos_image.h"
#include "firmware/include/regs/iso7816_uart.h"
#include "firmware/lib/pps.h"
#include "firmware/lib/t0.h"
#include "firmware/lib/t1.h"
#include "models/iso7816_uart.h"
#include "models/pads.h"
#include "models/se.h"
#include "models/terminals/cos_update.h"
#include "models/terminals/reader.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "suites.h"
#include "tools/cos_image_host.h"

Suite *make_reader_suite(void);

#define ROM_ELF CARDSIM_BUILD_ROOT "/firmware/se_rom.elf"
#define KEY_PRIV CARDSIM_SOURCE_ROOT "/tools/keys/test-issuer-private.pem"
#define KEY_PUB CARDSIM_SOURCE_ROOT "/tools/keys/test-issuer-public.pem"
#define F_CLK 3571200ULL

/* The loader's ATR (docs/se.md). */
static const uint8_t loader_atr[] = { 0x3B, 0xF6, 0x96, 0x00, 0x00, 0x81,
                                      0x31, 0xFE, 0x45, 0x43, 0x53, 0x4C,
                                      0x44, 0x52, 0x01, 0x20 };
/* A T=0-only card with the same TA1 and historical bytes. */
static const uint8_t t0_atr[] = { 0x3B, 0x16, 0x96, 0x43, 0x53, 0x4C,
                                  0x44, 0x52, 0x01 };

/* Edge n of the reader's CLK (started at 0). */
static sim_time_t edge(uint64_t n)
{
    return (sim_time_t)(((unsigned __int128)n * 1000000000000ULL) / F_CLK);
}

/* ==== the fake card ================================================== */

/* Check records every passing ck_assert (a message to the runner): the
 * card's hot paths check with this instead. */
#define REQUIRE(x)                                                           \
    do {                                                                     \
        if (!(x))                                                            \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #x);               \
    } while (0)

enum { CARD_T1 = 0, CARD_T0 = 1 };

typedef struct fake {
    sim_node_t node;
    iso7816_uart_t uart;
    sim_event_t atr_ev, tx_ev, resp_ev;
    /* behaviour */
    int mode;               /* CARD_T1 / CARD_T0 */
    unsigned atr_delay;     /* clocks from RST high to the TS write; 0:
                             * silent */
    bool ignore_pps;        /* never answer a PPS */
    uint8_t wtx_ins;        /* ask S(WTX) x2 first, answer 1.5 BWT later */
    unsigned ignore_block;  /* this block received (1 = the first after
                             * the PPS) is dropped, as if lost */
    unsigned blocks_in;
    /* line */
    bool vcc, in_service, again;
    uint8_t tx[800];
    size_t tx_len, tx_off;
    bool tx_hold;
    bool after_atr, in_pps;
    uint8_t pps[8];
    size_t pps_len;
    unsigned etu_pending;
    sim_time_t last_rx;     /* end of the last character received */
    /* T=1 */
    t1_t t1;
    uint8_t blk[300];
    size_t blk_len, blk_want;
    bool blk_err, deferred, wtx_sent;
    uint8_t apdu[300];
    uint8_t resp[800];
    size_t resp_len;
    /* T=0 */
    t0_card_t t0;
    uint8_t t0buf[300];
    /* the loader */
    bool session;
    uint8_t hdr[COS_IMAGE_HEADER_LEN];
    uint32_t code_len, next, nblocks, version;
    uint8_t state;
    uint8_t code[4096];
    uint8_t pub[64];
    /* statistics */
    unsigned resets, apdus, commits, pps_answered;
} fake_t;

static uint32_t rd(fake_t *f, uint32_t off, sim_time_t now)
{
    bool err = false;
    uint32_t v = iso7816_uart_read(&f->uart, off, 4, now, &err);
    REQUIRE(!err);
    return v;
}

static void wr(fake_t *f, uint32_t off, uint32_t v, sim_time_t now)
{
    bool err = false;
    iso7816_uart_write(&f->uart, off, v, 4, now, &err);
    REQUIRE(!err);
}

static sim_time_t card_etus(fake_t *f, unsigned n)
{
    return iso7816_uart_etu(&f->uart) * n;
}

static void service(fake_t *f, sim_time_t now);

/* Bytes to send from time at (the card's turnaround). */
static void card_send(fake_t *f, sim_time_t now, sim_time_t at,
                      const uint8_t *b, size_t n)
{
    if (f->tx_off == f->tx_len)
        f->tx_off = f->tx_len = 0;
    REQUIRE(f->tx_len + n <= sizeof f->tx);
    memcpy(f->tx + f->tx_len, b, n);
    f->tx_len += n;
    f->tx_hold = true;
    sim_cancel(&f->node, &f->tx_ev);
    sim_schedule(&f->node, &f->tx_ev, at > now ? at : now);
}

static void tx_fire(sim_event_t *ev, sim_time_t now)
{
    fake_t *f = ev->ctx;
    f->tx_hold = false;
    service(f, now);
}

/* A loader like the ROM's, minus flash (docs/se.md "The update
 * protocol"). Writes the response data to out, returns the SW. */
static uint16_t loader_apdu(fake_t *f, const uint8_t *a, size_t len,
                            uint8_t *out, size_t *olen, bool *wtx)
{
    *olen = 0;
    *wtx = false;
    if (len < 4)
        return SW_WRONG_LENGTH;
    uint8_t cla = a[0], ins = a[1], p1 = a[2], p2 = a[3];
    size_t lc = len > 5 ? a[4] : 0;
    const uint8_t *data = a + 5;
    if (len > 5 && len != 5 + lc && len != 6 + lc)
        return SW_WRONG_LENGTH;
    if (cla != COS_CLA_PROPRIETARY)
        return SW_CLA_NOT_SUPPORTED;
    f->apdus++;
    *wtx = f->wtx_ins && ins == f->wtx_ins;
    switch (ins) {
    case COS_INS_STATUS:
        out[0] = f->state;
        out[1] = (uint8_t)(f->next >> 8);
        out[2] = (uint8_t)f->next;
        out[3] = (uint8_t)(f->version >> 24);
        out[4] = (uint8_t)(f->version >> 16);
        out[5] = (uint8_t)(f->version >> 8);
        out[6] = (uint8_t)f->version;
        *olen = 7;
        return SW_OK;
    case COS_INS_BEGIN: {
        if (lc != COS_IMAGE_HEADER_LEN)
            return SW_WRONG_LENGTH;
        cos_image_header_t h;
        memcpy(&h, data, sizeof h);
        if (h.magic != COS_IMAGE_MAGIC || h.format != COS_IMAGE_FORMAT ||
            h.load_addr != COS_IMAGE_HOST_AREA_BASE)
            return SW_WRONG_DATA;
        if (h.code_len == 0 || h.code_len > sizeof f->code)
            return SW_NO_MEMORY;
        uint8_t hh[32];
        cos_image_host_header_hash(data, hh);
        if (!cos_image_host_verify_hash(f->pub, hh, h.signature))
            return SW_SECURITY;
        if (f->session && memcmp(f->hdr, data, sizeof f->hdr) == 0) {
            /* resume at the first block of the first page (1 KiB, 8
             * blocks) not completely loaded, as the ROM does */
            f->next -= f->next % 8;
            return SW_OK;
        }
        memcpy(f->hdr, data, sizeof f->hdr);
        f->session = true;
        f->code_len = h.code_len;
        f->nblocks = (h.code_len + COS_BLOCK_LEN - 1) / COS_BLOCK_LEN;
        f->next = 0;
        f->state = 1;
        f->version = h.version;
        return SW_OK;
    }
    case COS_INS_LOAD: {
        if (!f->session)
            return SW_CONDITIONS;
        uint32_t n = (uint32_t)(p1 & 0x7F) << 8 | p2;
        if (n != f->next)
            return SW_WRONG_P1P2;
        if ((size_t)n * COS_BLOCK_LEN >= f->code_len)
            return SW_NO_MEMORY;
        size_t want = f->code_len - (size_t)n * COS_BLOCK_LEN;
        if (want > COS_BLOCK_LEN)
            want = COS_BLOCK_LEN;
        if (lc != want)
            return SW_WRONG_LENGTH;
        memcpy(f->code + (size_t)n * COS_BLOCK_LEN, data, lc);
        f->next++;
        if (f->next == f->nblocks)
            f->state = 2;
        return SW_OK;
    }
    case COS_INS_COMMIT: {
        if (f->state != 2)
            return SW_CONDITIONS;
        uint8_t sha[32];
        mbedtls_sha256_ret(f->code, f->code_len, sha, 0);
        if (memcmp(sha, f->hdr + 0x20, 32) != 0) {
            f->session = false;
            f->state = 0;
            return SW_WRONG_DATA;
        }
        f->session = false;
        f->state = 0;
        f->next = 0;
        f->commits++;
        return SW_OK;
    }
    case 0xB0: /* fake only: P1 P2 bytes of a counting pattern */
        *olen = (size_t)p1 << 8 | p2;
        for (size_t i = 0; i < *olen; i++)
            out[i] = (uint8_t)i;
        return SW_OK;
    default:
        return SW_INS_NOT_SUPPORTED;
    }
}

static void t1_card_pump(fake_t *f, sim_time_t now)
{
    uint8_t out[T1_BLOCK_MAX];
    int n = t1_next_tx(&f->t1, out, sizeof out);
    if (n > 0) /* BGT: 22 etu after the last start bit received */
        card_send(f, now, f->last_rx + card_etus(f, 12), out, (size_t)n);
}

static void resp_fire(sim_event_t *ev, sim_time_t now)
{
    fake_t *f = ev->ctx;
    f->deferred = false;
    REQUIRE(t1_send_apdu(&f->t1, f->resp, f->resp_len) == T1_OK);
    t1_card_pump(f, now);
}

static void t1_card_block(fake_t *f, sim_time_t now)
{
    if (++f->blocks_in == f->ignore_block) {
        f->blk_len = 0;
        f->blk_err = false;
        return;
    }
    int rc = t1_rx_block(&f->t1, f->blk, f->blk_len, f->blk_err);
    f->blk_len = 0;
    f->blk_err = false;
    if (f->deferred && f->wtx_sent && rc == T1_OK &&
        t1_status(&f->t1) == T1_PROCESSING) {
        /* the S(WTX response) is in: answer within BWT x 2 */
        f->wtx_sent = false;
        uint32_t bwt = atr_bwt_clocks(4, 512, 32);
        sim_schedule(&f->node, &f->resp_ev,
                     now + sim_clock_cycles(&f->uart.clk, bwt * 3ull / 2));
        return;
    }
    if (t1_status(&f->t1) == T1_APDU) {
        size_t len = t1_take_apdu(&f->t1);
        size_t dl;
        bool wtx;
        uint16_t sw = loader_apdu(f, f->apdu, len, f->resp, &dl, &wtx);
        f->resp[dl] = (uint8_t)(sw >> 8);
        f->resp[dl + 1] = (uint8_t)sw;
        f->resp_len = dl + 2;
        if (wtx) {
            REQUIRE(t1_request_wtx(&f->t1, 2) == T1_OK);
            f->deferred = true;
            f->wtx_sent = true;
        } else {
            REQUIRE(t1_send_apdu(&f->t1, f->resp, f->resp_len) == T1_OK);
        }
    }
    t1_card_pump(f, now);
}

static void t0_card_pump(fake_t *f, sim_time_t now)
{
    uint8_t out[300];
    size_t n = t0_card_next_tx(&f->t0, out, sizeof out);
    if (n) /* 16 etu between start bits in opposite directions */
        card_send(f, now, f->last_rx + card_etus(f, 6), out, n);
}

static void t0_card_byte(fake_t *f, sim_time_t now, uint8_t b)
{
    int ev = t0_card_rx(&f->t0, b);
    const uint8_t *h = t0_card_buf(&f->t0);
    if (ev == T0_EV_HEADER && (h[1] == COS_INS_BEGIN ||
                               h[1] == COS_INS_LOAD) && h[4]) {
        REQUIRE(t0_card_receive_data(&f->t0) == T0_OK);
    } else if (ev == T0_EV_HEADER || ev == T0_EV_DATA) {
        uint8_t a[300];
        size_t len = ev == T0_EV_DATA ? 5u + h[4] : 5u;
        memcpy(a, h, len);
        size_t dl;
        bool wtx;
        uint16_t sw = loader_apdu(f, a, len, f->resp, &dl, &wtx);
        REQUIRE(t0_card_respond(&f->t0, f->resp, dl, sw) == T0_OK);
    }
    t0_card_pump(f, now);
}

static void card_byte(fake_t *f, sim_time_t now, uint8_t b, bool pe)
{
    if (f->after_atr && !f->in_pps && b == PPS_PPSS) {
        f->in_pps = true;
        f->pps_len = 0;
    }
    f->after_atr = false;
    if (f->in_pps) {
        f->pps[f->pps_len++] = b;
        int n = pps_length(f->pps, f->pps_len);
        if (n == PPS_ERR_TRUNCATED || (n > 0 && f->pps_len < (size_t)n))
            return;
        f->in_pps = false;
        if (f->ignore_pps || n < 0)
            return;
        pps_card_caps_t caps = {
            .protocols = f->mode == CARD_T1 ? 2u : 1u, .ta1 = 0x96 };
        uint8_t ans[PPS_MAX_LEN];
        pps_t agreed;
        int m = pps_card_answer(f->pps, f->pps_len, &caps, ans, sizeof ans,
                                &agreed);
        if (m <= 0)
            return;
        f->pps_answered++;
        card_send(f, now, f->last_rx + card_etus(f, 6), ans, (size_t)m);
        if (agreed.present & PPS0_PPS1)
            f->etu_pending = atr_etu_clocks_round(
                atr_fi_value(agreed.pps1 >> 4),
                atr_di_value(agreed.pps1 & 0x0F));
        return;
    }
    if (f->mode == CARD_T0) {
        if (!pe)
            t0_card_byte(f, now, b);
        return;
    }
    if (f->blk_len == 0)
        f->blk_want = 3;
    if (pe)
        f->blk_err = true;
    if (f->blk_len < sizeof f->blk)
        f->blk[f->blk_len++] = b;
    if (f->blk_len == 3)
        f->blk_want = t1_block_size(f->blk[2], T1_EDC_LRC);
    if (f->blk_len >= f->blk_want)
        t1_card_block(f, now);
}

/* The UART's interrupt: receive, feed the transmitter, switch the etu once
 * a PPS answer is out; until the interrupt line is low again. */
static void service(fake_t *f, sim_time_t now)
{
    if (f->in_service) {
        f->again = true;
        return;
    }
    f->in_service = true;
    for (;;) {
        f->again = false;
        uint32_t st = rd(f, UART_STATUS, now);
        if (st & UART_STATUS_RXNE) {
            bool pe = (st & UART_STATUS_PE) != 0;
            if (pe)
                wr(f, UART_STATUS, UART_STATUS_PE, now);
            uint8_t b = (uint8_t)rd(f, UART_DATA, now);
            f->last_rx = now;
            card_byte(f, now, b, pe);
        }
        st = rd(f, UART_STATUS, now);
        bool pending = f->tx_off < f->tx_len && !f->tx_hold;
        if ((st & UART_STATUS_TXE) && pending) {
            wr(f, UART_DATA, f->tx[f->tx_off++], now);
            pending = f->tx_off < f->tx_len;
        }
        st = rd(f, UART_STATUS, now);
        if (f->etu_pending && f->tx_off == f->tx_len &&
            (st & UART_STATUS_TC)) {
            wr(f, UART_ETU, f->etu_pending, now);
            f->etu_pending = 0;
            if (f->mode == CARD_T0)
                wr(f, UART_CTRL, UART_CTRL_EN | UART_CTRL_T0, now);
        }
        bool switching = f->etu_pending && f->tx_off == f->tx_len;
        uint32_t en = UART_STATUS_RXNE | (pending ? UART_STATUS_TXE : 0) |
                      (switching ? UART_STATUS_TC : 0);
        wr(f, UART_IRQEN, en, now);
        if (!f->again && !(rd(f, UART_STATUS, now) & en))
            break;
    }
    f->in_service = false;
}

static void on_irq(void *ctx, sim_time_t now, bool level)
{
    if (level)
        service(ctx, now);
}

static void card_reset(fake_t *f, sim_time_t now)
{
    sim_cancel(&f->node, &f->atr_ev);
    sim_cancel(&f->node, &f->tx_ev);
    sim_cancel(&f->node, &f->resp_ev);
    f->tx_len = f->tx_off = 0;
    f->tx_hold = false;
    f->after_atr = f->in_pps = false;
    f->etu_pending = 0;
    f->blk_len = 0;
    f->deferred = f->wtx_sent = false;
    f->blocks_in = 0;
    if (f->vcc) {
        wr(f, UART_CTRL, 0, now);
        wr(f, UART_IRQEN, 0, now);
        wr(f, UART_ETU, UART_ETU_DEFAULT, now);
    }
}

static void on_power(void *ctx, sim_time_t now, bool vcc)
{
    fake_t *f = ctx;
    f->vcc = vcc;
    card_reset(f, now);
}

static void atr_fire(sim_event_t *ev, sim_time_t now)
{
    fake_t *f = ev->ctx;
    wr(f, UART_CTRL, UART_CTRL_EN, now);
    t1_params_t p = { .ifsc = 254, .edc = T1_EDC_LRC, .rx_buf = f->apdu,
                      .rx_cap = sizeof f->apdu };
    REQUIRE(t1_init(&f->t1, T1_CARD, &p) == T1_OK);
    REQUIRE(t0_card_init(&f->t0, f->t0buf, sizeof f->t0buf) == T0_OK);
    if (f->mode == CARD_T1)
        card_send(f, now, now, loader_atr, sizeof loader_atr);
    else
        card_send(f, now, now, t0_atr, sizeof t0_atr);
    f->after_atr = true;
}

static void on_reset_pin(void *ctx, sim_time_t now, bool level)
{
    fake_t *f = ctx;
    card_reset(f, now);
    if (!level || !f->vcc)
        return;
    f->resets++;
    if (f->atr_delay)
        sim_schedule(&f->node, &f->atr_ev,
                     now + sim_clock_cycles(&f->uart.clk, f->atr_delay));
}

static void fake_init(fake_t *f, sim_t *sim)
{
    sim_node_init(&f->node, sim, "fake-se0", f);
    iso7816_uart_cfg_t uc = { .name = "fake-se0.uart", .node = &f->node,
                              .base = 0, .ctx = f, .on_irq = on_irq,
                              .on_power = on_power,
                              .on_reset_pin = on_reset_pin };
    iso7816_uart_init(&f->uart, sim, &uc);
    sim_event_init(&f->atr_ev, "fake-atr", atr_fire, f);
    sim_event_init(&f->tx_ev, "fake-tx", tx_fire, f);
    sim_event_init(&f->resp_ev, "fake-resp", resp_fire, f);
    f->atr_delay = 400;
    char err[256];
    ck_assert_msg(cos_image_host_load_public(f->pub, KEY_PUB, err,
                                             sizeof err) == 0, "%s", err);
}

/* ==== the bench ====================================================== */

#define MAXREC 16384

typedef struct rec {
    trace_kind_t kind;
    sim_time_t time, start;
    trace_dir_t dir;
    char path[32], text[160];
    uint8_t data[300];
    size_t len;
    int level;
} rec_t;

typedef struct bench {
    sim_t sim;
    sim_node_t world;
    trace_bus_t bus;
    rec_t *rec;
    size_t nrec;
    pads_t pads;
    iso7816_line_t line;
    reader_t reader;
    bool real;
    se_t se;
    fake_t fake;
    sim_time_t now;
    /* the last result */
    bool done;
    unsigned ncalls;
    reader_result_t res;
    char error[200];
    uint8_t data[800];
    /* cos_update */
    bool up_done;
    cos_update_result_t up;
    char up_error[160];
} bench_t;

static void rec_sink(void *ctx, const trace_rec_t *r)
{
    bench_t *b = ctx;
    if (r->kind == TRACE_LINE_BYTE)
        return;
    if (b->nrec == MAXREC)
        return; /* the tests look at the first records */
    rec_t *x = &b->rec[b->nrec++];
    memset(x, 0, sizeof *x);
    x->kind = r->kind;
    x->time = r->time;
    x->start = r->start;
    x->dir = r->dir;
    if (r->path)
        snprintf(x->path, sizeof x->path, "%s", r->path);
    if (r->text)
        snprintf(x->text, sizeof x->text, "%s", r->text);
    x->len = r->len < sizeof x->data ? r->len : sizeof x->data;
    if (x->len)
        memcpy(x->data, r->data, x->len);
    if (r->kind == TRACE_SIGNAL)
        x->level = r->u.signal.level;
    if (r->kind == TRACE_LOG)
        x->level = r->u.log.level;
}

static void on_done(void *ctx, sim_time_t now, const reader_result_t *r)
{
    bench_t *b = ctx;
    (void)now;
    b->done = true;
    b->ncalls++;
    b->res = *r;
    snprintf(b->error, sizeof b->error, "%s", r->error);
    b->res.error = b->error;
    REQUIRE(r->len <= sizeof b->data);
    if (r->len)
        memcpy(b->data, r->data, r->len);
    b->res.data = b->data;
}

static bool rom_loadable(char *why, size_t len)
{
    sim_t sim;
    se_t se;
    sim_init(&sim, 1);
    se_cfg_t sc = { .index = 0, .rom_elf = ROM_ELF };
    int rc = se_init(&se, &sim, NULL, &sc, why, len);
    sim_cleanup(&sim);
    if (rc == 0)
        se_cleanup(&se);
    return rc == 0;
}

/* card: 0 the fake (T=1), 1 the real SE; returns NULL (and says why) if
 * the real SE's ROM cannot be loaded. */
static bench_t *bench_new_cfg(int card, const reader_cfg_t *rcfg)
{
    if (card == 1) {
        char why[512];
        if (!rom_loadable(why, sizeof why)) {
            fprintf(stderr, "reader: ROM case skipped (%s)\n", why);
            return NULL;
        }
    }
    bench_t *b = calloc(1, sizeof *b);
    b->rec = calloc(MAXREC, sizeof *b->rec);
    sim_init(&b->sim, 7);
    sim_node_init(&b->world, &b->sim, "world", b);
    trace_bus_init(&b->bus);
    trace_sink_t sink = { .name = "test", .mask = TRACE_MASK_ALL,
                          .record = rec_sink, .ctx = b };
    trace_bus_add_sink(&b->bus, &sink);
    trace_bus_attach(&b->bus, &b->sim);

    reader_cfg_t rc = rcfg ? *rcfg : (reader_cfg_t){ 0 };
    rc.node = &b->world;
    rc.bus = &b->bus;
    reader_init(&b->reader, &b->sim, &rc);
    pads_cfg_t pc = { .name = "pads", .path = "contact", .node = &b->world,
                      .bus = &b->bus, .n_se = 1 };
    pads_init(&b->pads, &b->sim, &pc);
    reader_attach_pads(&b->reader, &b->pads);
    b->real = card == 1;
    if (b->real) {
        char err[512];
        se_cfg_t sc = { .index = 0, .rom_elf = ROM_ELF };
        ck_assert_msg(se_init(&b->se, &b->sim, &b->bus, &sc, err,
                              sizeof err) == 0, "%s", err);
        pads_connect(&b->pads, 0, &b->line, &b->sim, "contact-se0",
                     se_port_end(&b->se, ISO7816_SRC_PADS));
        se_attach_line(&b->se, ISO7816_SRC_PADS, &b->line);
    } else {
        fake_init(&b->fake, &b->sim);
        pads_connect(&b->pads, 0, &b->line, &b->sim, "contact-se0",
                     iso7816_uart_end(&b->fake.uart, ISO7816_SRC_PADS));
        iso7816_uart_attach(&b->fake.uart, ISO7816_SRC_PADS, &b->line);
    }
    return b;
}

static bench_t *bench_new(int card)
{
    return bench_new_cfg(card, NULL);
}

static void bench_free(bench_t *b)
{
    char err[256];
    b->now = sim_run_until(&b->sim, b->now + SIM_MS(1));
    ck_assert_int_eq(trace_bus_close(&b->bus, err, sizeof err), 0);
    sim_cleanup(&b->sim);
    reader_cleanup(&b->reader);
    pads_cleanup(&b->pads);
    if (b->real)
        se_cleanup(&b->se);
    else
        iso7816_uart_cleanup(&b->fake.uart);
    free(b->rec);
    free(b);
}

/* Runs until the operation's callback (at most `limit` more). */
static void wait_done(bench_t *b, sim_time_t limit)
{
    sim_time_t end = b->now + limit;
    while (!b->done && b->now < end)
        b->now = sim_run_until(&b->sim, b->now + SIM_US(500));
    ck_assert_msg(b->done, "no completion within the limit");
}

static void power_on(bench_t *b)
{
    b->done = false;
    ck_assert_int_eq(reader_power_on(&b->reader, b->now, on_done, b),
                     READER_OK);
    wait_done(b, SIM_S(2));
}

static void transmit(bench_t *b, const uint8_t *apdu, size_t len)
{
    b->done = false;
    ck_assert_int_eq(reader_transmit(&b->reader, b->now, apdu, len, on_done,
                                     b),
                     READER_OK);
    wait_done(b, SIM_S(10));
}

static void power_off(bench_t *b)
{
    b->done = false;
    ck_assert_int_eq(reader_power_off(&b->reader, b->now, on_done, b),
                     READER_OK);
    wait_done(b, SIM_MS(10));
}

/* The i-th record of a kind (and path, if given), or NULL. */
static const rec_t *find(const bench_t *b, trace_kind_t kind,
                         const char *path, size_t i)
{
    for (size_t k = 0; k < b->nrec; k++) {
        const rec_t *x = &b->rec[k];
        if (x->kind == kind && (!path || strcmp(x->path, path) == 0) &&
            i-- == 0)
            return x;
    }
    return NULL;
}

static bool log_has(const bench_t *b, const char *needle)
{
    for (size_t k = 0; k < b->nrec; k++)
        if (b->rec[k].kind == TRACE_LOG && strstr(b->rec[k].text, needle))
            return true;
    return false;
}

#define NEW_BENCH(b, card)                                                   \
    bench_t *b = bench_new(card);                                            \
    if (!b)                                                                  \
        return

/* ==== activation ===================================================== */

START_TEST(power_on_atr_window_pps)
{
    NEW_BENCH(b, _i);
    power_on(b);
    const reader_result_t *r = &b->res;
    ck_assert_int_eq(r->status, READER_OK);
    ck_assert_str_eq(r->error, "");
    ck_assert_uint_eq(r->len, sizeof loader_atr);
    ck_assert_mem_eq(r->data, loader_atr, sizeof loader_atr);
    /* RST rose at CLK edge 500 */
    ck_assert_uint_eq(r->rst_rise, edge(500));
    ck_assert_uint_ge(r->atr_clocks, 400);
    ck_assert_uint_le(r->atr_clocks, 40000);
    /* TS starts on the card's CLK edge 500 + atr_clocks (its edges are
     * the reader's + 100 ns); 16 characters 12 etu apart, the last one
     * received 10 etu after its start */
    ck_assert_uint_eq(r->atr_start, edge(500 + r->atr_clocks) + SIM_NS(100));
    ck_assert_uint_eq(r->atr_end, edge(500 + r->atr_clocks + 15 * 12 * 372 +
                                       10 * 372) +
                                      SIM_NS(100));
    if (!b->real) {
        /* TS written 400 clocks after the card saw RST rise (edge 900 of
         * its CLK), started on its etu grid, which the card restarted
         * with an ETU write at the RST rise: edge 500 + 2 x 372 = 1244;
         * 16 characters 12 etu apart; the card's edges are the reader's
         * + 100 ns */
        ck_assert_uint_eq(r->atr_clocks, 744);
        ck_assert_uint_eq(r->atr_start, edge(1244) + SIM_NS(100));
        ck_assert_uint_eq(r->atr_end,
                          edge(1244 + 15 * 12 * 372 + 10 * 372) +
                              SIM_NS(100));
    }
    /* PPS to TA1 = 96: Fi 512, Di 32, etu 16 clocks; T=1 */
    ck_assert(r->pps);
    ck_assert_uint_eq(r->pps1, 0x96);
    ck_assert_uint_eq(r->fi, 512);
    ck_assert_uint_eq(r->di, 32);
    ck_assert_uint_eq(r->etu_clocks, 16);
    ck_assert_uint_eq(r->protocol, 1);
    ck_assert_uint_eq(iso7816_port_etu(reader_port(&b->reader)),
                      edge(16));
    /* IFSC from the ATR, IFSD 254 announced with S(IFS) */
    ck_assert_uint_eq(r->ifsc, 254);
    ck_assert_uint_eq(r->ifsd, 254);
    ck_assert_uint_eq(r->bwt_clocks, 11 * 16 + 16 * 960 * 372);
    ck_assert_uint_eq(r->cwt_etu, 11 + 32);
    ck_assert(reader_active(&b->reader));
    /* traced: the ATR on CONTACT>SE0, the PPS, the S(IFS) */
    const rec_t *atr = find(b, TRACE_ATR, "CONTACT>SE0", 0);
    ck_assert_ptr_nonnull(atr);
    ck_assert_uint_eq(atr->dir, TRACE_DIR_RSP);
    ck_assert_uint_eq(atr->len, sizeof loader_atr);
    ck_assert_mem_eq(atr->data, loader_atr, sizeof loader_atr);
    ck_assert_uint_eq(atr->start, r->atr_start);
    ck_assert_uint_eq(atr->time, r->atr_end);
    ck_assert(log_has(b, "PPS FF 11 96 78 answered FF 11 96 78: T=1, Fi 512, "
                         "Di 32, etu 16 clocks"));
    ck_assert(log_has(b, "IFSD 254 accepted"));
    /* the level sequence: VCC, CLK, RST high 500 clocks later */
    const rec_t *vcc = find(b, TRACE_SIGNAL, "contact.VCC", 0);
    const rec_t *clk = find(b, TRACE_SIGNAL, "contact.CLK", 0);
    const rec_t *rst = find(b, TRACE_SIGNAL, "contact.RST", 0);
    ck_assert_ptr_nonnull(vcc);
    ck_assert_ptr_nonnull(clk);
    ck_assert_ptr_nonnull(rst);
    ck_assert_uint_eq(vcc->time, 0);
    ck_assert_int_eq(vcc->level, 1);
    ck_assert_uint_eq(clk->time, 0);
    ck_assert_int_eq(clk->level, (int)F_CLK);
    ck_assert_uint_eq(rst->time, edge(500));
    ck_assert_int_eq(rst->level, 1);
    bench_free(b);
}
END_TEST

START_TEST(status_and_unknown_ins_t1)
{
    NEW_BENCH(b, _i);
    power_on(b);
    ck_assert_int_eq(b->res.status, READER_OK);
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, status, sizeof status);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert_uint_eq(b->res.sw, 0x9000);
    /* state 0 (idle), next block 0, version */
    ck_assert_uint_eq(b->res.len, 7);
    ck_assert_uint_eq(b->data[0], 0);
    ck_assert_uint_eq(b->data[1], 0);
    ck_assert_uint_eq(b->data[2], 0);
    ck_assert_uint_eq(b->res.blocks_sent, 1);
    ck_assert_uint_eq(b->res.blocks_received, 1);
    ck_assert_uint_eq(b->res.retransmissions, 0);
    ck_assert_uint_lt(b->res.cmd_start, b->res.cmd_end);
    ck_assert_uint_lt(b->res.cmd_end, b->res.rsp_start);
    ck_assert_uint_lt(b->res.rsp_start, b->res.end);
    /* the APDUs on the trace */
    const rec_t *c = find(b, TRACE_APDU, "CONTACT>SE0", 0);
    const rec_t *s = find(b, TRACE_APDU, "CONTACT>SE0", 1);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(c->dir, TRACE_DIR_CMD);
    ck_assert_uint_eq(c->len, sizeof status);
    ck_assert_mem_eq(c->data, status, sizeof status);
    ck_assert_uint_eq(c->start, b->res.cmd_start);
    ck_assert_uint_eq(c->time, b->res.cmd_end);
    ck_assert_uint_eq(s->dir, TRACE_DIR_RSP);
    ck_assert_uint_eq(s->len, 9);
    ck_assert_uint_eq(s->data[7], 0x90);
    ck_assert_uint_eq(s->data[8], 0x00);
    ck_assert_uint_eq(s->start, b->res.rsp_start);
    ck_assert_uint_eq(s->time, b->res.end);

    static const uint8_t unknown[] = { 0x80, 0x12, 0x00, 0x00 };
    transmit(b, unknown, sizeof unknown);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert_uint_eq(b->res.sw, 0x6D00);
    ck_assert_uint_eq(b->res.len, 0);
    static const uint8_t bad_cla[] = { 0x00, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, bad_cla, sizeof bad_cla);
    ck_assert_uint_eq(b->res.sw, 0x6E00);
    bench_free(b);
}
END_TEST

START_TEST(long_command_chained_under_ifsc)
{
    NEW_BENCH(b, _i);
    power_on(b);
    /* BEGIN with 255 bytes of data: 260 bytes, IFSC 254 -> two I-blocks
     * (254 + 6), the first acknowledged by an R-block; Lc != 128: 6700 */
    uint8_t apdu[5 + 255];
    apdu[0] = 0x80;
    apdu[1] = 0xE6;
    apdu[2] = 0x02;
    apdu[3] = 0x00;
    apdu[4] = 0xFF;
    for (int i = 0; i < 255; i++)
        apdu[5 + i] = (uint8_t)i;
    transmit(b, apdu, sizeof apdu);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert_uint_eq(b->res.sw, 0x6700);
    ck_assert_uint_eq(b->res.blocks_sent, 2);
    ck_assert_uint_eq(b->res.blocks_received, 2);
    ck_assert_uint_eq(b->res.chars_sent, (3 + 254 + 1) + (3 + 6 + 1));
    const rec_t *c = find(b, TRACE_APDU, "CONTACT>SE0", 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->len, sizeof apdu);
    /* the blocks: I(0, M) 254 bytes, R(1), I(1) 6 bytes, the answer; the
     * second I-block starts BGT (22 etu) after the R-block's start bit,
     * on the reader's etu grid (within one etu) */
    const rec_t *f[6];
    for (size_t i = 0; i < 6; i++) {
        f[i] = find(b, TRACE_FRAME, "contact", i);
        ck_assert_ptr_nonnull(f[i]);
    }
    ck_assert_uint_eq(f[2]->dir, TRACE_DIR_CMD);
    ck_assert_uint_eq(f[2]->data[1], 0x20);
    ck_assert_uint_eq(f[2]->data[2], 254);
    ck_assert_uint_eq(f[3]->dir, TRACE_DIR_RSP);
    ck_assert_uint_eq(f[3]->data[1], 0x90);
    ck_assert_uint_eq(f[4]->dir, TRACE_DIR_CMD);
    ck_assert_uint_eq(f[4]->data[1], 0x40);
    ck_assert_uint_eq(f[4]->data[2], 6);
    sim_time_t etu = edge(16);
    sim_time_t r_last = f[3]->time - 10 * etu;
    ck_assert_uint_ge(f[4]->start + 2, r_last + 22 * etu);
    ck_assert_uint_lt(f[4]->start, r_last + 23 * etu + 2);
    bench_free(b);
}
END_TEST

START_TEST(warm_reset_gives_atr_again)
{
    NEW_BENCH(b, _i);
    power_on(b);
    ck_assert_int_eq(b->res.status, READER_OK);
    sim_time_t t = b->now;
    b->done = false;
    ck_assert_int_eq(reader_warm_reset(&b->reader, t, on_done, b),
                     READER_OK);
    wait_done(b, SIM_MS(200));
    const reader_result_t *r = &b->res;
    ck_assert_int_eq(r->status, READER_OK);
    ck_assert_uint_eq(r->op, READER_OP_WARM_RESET);
    ck_assert_uint_eq(r->len, sizeof loader_atr);
    ck_assert_mem_eq(r->data, loader_atr, sizeof loader_atr);
    /* RST low from t for 500 clocks, counted from the next CLK edge */
    uint64_t e = (uint64_t)(((unsigned __int128)t * F_CLK +
                             1000000000000ULL - 1) / 1000000000000ULL);
    ck_assert_uint_eq(r->rst_rise, edge(e + 500));
    ck_assert_uint_ge(r->atr_clocks, 400);
    ck_assert_uint_le(r->atr_clocks, 40000);
    ck_assert(r->pps);
    ck_assert_uint_eq(r->etu_clocks, 16);
    ck_assert_ptr_nonnull(find(b, TRACE_ATR, "CONTACT>SE0", 1));
    /* and the card answers again */
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, status, sizeof status);
    ck_assert_uint_eq(b->res.sw, 0x9000);
    bench_free(b);
}
END_TEST

START_TEST(power_off_deactivation_order)
{
    NEW_BENCH(b, _i);
    power_on(b);
    sim_time_t t = b->now;
    size_t n0 = b->nrec;
    power_off(b);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert(!reader_active(&b->reader));
    b->now = sim_run_until(&b->sim, b->now + SIM_MS(1));
    /* RST low at t, CLK stopped 10 clocks later, VCC off 10 clocks after
     * that (counted from the first CLK edge at or after t) */
    uint64_t e = (uint64_t)(((unsigned __int128)t * F_CLK +
                             1000000000000ULL - 1) / 1000000000000ULL);
    const char *order[] = { "contact.RST", "contact.CLK", "contact.VCC" };
    sim_time_t when[] = { t, edge(e + 10), edge(e + 10) + edge(10) };
    size_t k = 0;
    for (size_t i = n0; i < b->nrec && k < 3; i++) {
        const rec_t *x = &b->rec[i];
        if (x->kind != TRACE_SIGNAL || strncmp(x->path, "contact.", 8) ||
            !strcmp(x->path, "contact.SE0"))
            continue;
        ck_assert_str_eq(x->path, order[k]);
        ck_assert_int_eq(x->level, 0);
        ck_assert_uint_eq(x->time, when[k]);
        k++;
    }
    ck_assert_uint_eq(k, 3);
    ck_assert_uint_eq(b->res.end, when[2]);
    /* a command now is refused through the callback */
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, status, sizeof status);
    ck_assert_int_eq(b->res.status, READER_ERR_STATE);
    ck_assert_str_eq(b->res.error, "card not active");
    bench_free(b);
}
END_TEST

/* ==== the COS update ================================================= */

static void on_update(void *ctx, sim_time_t now, const cos_update_result_t *r)
{
    bench_t *b = ctx;
    (void)now;
    b->up_done = true;
    b->up = *r;
    snprintf(b->up_error, sizeof b->up_error, "%s", r->error);
    b->up.error = b->up_error;
}

/* A signed image of `len` bytes of code (a pattern), version v. */
static uint8_t *make_image(size_t len, uint32_t v, size_t *img_len)
{
    mbedtls_pk_context pk;
    char err[256];
    ck_assert_msg(cos_image_host_load_private(&pk, KEY_PRIV, err,
                                              sizeof err) == 0, "%s", err);
    uint8_t *code = malloc(len);
    for (size_t i = 0; i < len; i++)
        code[i] = (uint8_t)(i * 7 + 3);
    uint8_t *img;
    ck_assert_msg(cos_image_host_build(&pk, v, code, len, COS_IMAGE_HOST_OK,
                                       &img, img_len, err, sizeof err) == 0,
                  "%s", err);
    mbedtls_pk_free(&pk);
    free(code);
    return img;
}

static void run_update(bench_t *b, const cos_update_cfg_t *cfg)
{
    cos_update_t u;
    cos_update_init(&u, cfg);
    b->up_done = false;
    ck_assert(cos_update_start(&u, b->now));
    sim_time_t end = b->now + SIM_S(60);
    while (!b->up_done && b->now < end)
        b->now = sim_run_until(&b->sim, b->now + SIM_MS(1));
    ck_assert_msg(b->up_done, "update did not end");
    ck_assert(!cos_update_running(&u));
}

static void update_cfg(bench_t *b, cos_update_cfg_t *c, const uint8_t *img,
                       size_t len)
{
    cos_update_cfg_default(c);
    c->bus = &b->bus;
    c->image = img;
    c->image_len = len;
    c->transmit = reader_update_transmit;
    c->chan = &b->reader;
    c->done = on_update;
    c->ctx = b;
}

START_TEST(cos_update_commits)
{
    NEW_BENCH(b, _i);
    power_on(b);
    ck_assert_int_eq(b->res.status, READER_OK);
    size_t len;
    uint8_t *img = make_image(300, 1, &len);
    ck_assert_uint_eq(len, 128 + 300);
    cos_update_cfg_t c;
    update_cfg(b, &c, img, len);
    run_update(b, &c);
    ck_assert_msg(b->up.status == COS_UPDATE_OK, "%s", b->up.error);
    ck_assert_uint_eq(b->up.step, COS_UPDATE_STEP_DONE);
    ck_assert_uint_eq(b->up.sw, 0x9000);
    ck_assert_uint_eq(b->up.blocks, 3);
    ck_assert_uint_eq(b->up.code_bytes, 300);
    ck_assert_uint_eq(b->up.apdus, 5); /* BEGIN, 3 LOAD, COMMIT */
    ck_assert_uint_eq(b->up.bytes_sent,
                      (5 + 128) + (5 + 128) * 2 + (5 + 44) + 4);
    /* LOAD P1 bit 7 on the last block only: the APDUs on the trace */
    const rec_t *l0 = find(b, TRACE_APDU, "CONTACT>SE0", 2);
    const rec_t *l2 = find(b, TRACE_APDU, "CONTACT>SE0", 6);
    ck_assert_ptr_nonnull(l0);
    ck_assert_ptr_nonnull(l2);
    ck_assert_uint_eq(l0->data[1], 0xE8);
    ck_assert_uint_eq(l0->data[2], 0x00);
    ck_assert_uint_eq(l0->data[3], 0x00);
    ck_assert_uint_eq(l2->data[1], 0xE8);
    ck_assert_uint_eq(l2->data[2], 0x80);
    ck_assert_uint_eq(l2->data[3], 0x02);
    ck_assert_uint_eq(l2->data[4], 44);
    if (!b->real)
        ck_assert_uint_eq(b->fake.commits, 1);
    free(img);
    bench_free(b);
}
END_TEST

START_TEST(cos_update_negative)
{
    NEW_BENCH(b, _i);
    power_on(b);
    size_t len;
    uint8_t *img = make_image(600, 2, &len); /* 5 blocks, last 88 */
    cos_update_cfg_t c;

    update_cfg(b, &c, img, len);
    c.skip_block = 2;
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_SW);
    ck_assert_uint_eq(b->up.step, COS_UPDATE_STEP_LOAD);
    ck_assert_uint_eq(b->up.block, 3);
    ck_assert_uint_eq(b->up.sw, 0x6A86);
    ck_assert_uint_eq(b->up.blocks, 2);
    ck_assert_str_eq(b->up.error, "LOAD block 3: SW 6A86");

    update_cfg(b, &c, img, len);
    c.repeat_block = 1;
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_SW);
    ck_assert_uint_eq(b->up.block, 1);
    ck_assert_uint_eq(b->up.sw, 0x6A86);
    ck_assert_uint_eq(b->up.blocks, 2);

    update_cfg(b, &c, img, len);
    c.wrong_len_block = 4;
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_SW);
    ck_assert_uint_eq(b->up.block, 4);
    ck_assert_uint_eq(b->up.sw, 0x6700);
    ck_assert_uint_eq(b->up.blocks, 4);

    update_cfg(b, &c, img, len);
    c.stop_after = 3;
    c.commit_after_stop = true;
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_SW);
    ck_assert_uint_eq(b->up.step, COS_UPDATE_STEP_COMMIT);
    ck_assert_uint_eq(b->up.sw, 0x6985);
    ck_assert_uint_eq(b->up.blocks, 3);

    update_cfg(b, &c, img, len);
    c.stop_after = 2;
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_TRUNCATED);
    ck_assert_uint_eq(b->up.step, COS_UPDATE_STEP_LOAD);
    ck_assert_uint_eq(b->up.blocks, 2);
    ck_assert_uint_eq(b->up.apdus, 3);

    /* every attempt above began again with the same header: the loader
     * resumed at the first block of page 0 each time. Resume over a page:
     * 16 blocks, stopped after 10; STATUS then says block 8 */
    size_t len2;
    uint8_t *img2 = make_image(2000, 3, &len2);
    update_cfg(b, &c, img2, len2);
    c.stop_after = 10;
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_TRUNCATED);
    ck_assert_uint_eq(b->up.blocks, 10);
    update_cfg(b, &c, img2, len2);
    c.resume = true;
    run_update(b, &c);
    ck_assert_msg(b->up.status == COS_UPDATE_OK, "%s", b->up.error);
    ck_assert_uint_eq(b->up.loader_state, 1);
    ck_assert_uint_eq(b->up.first_block, 8);
    ck_assert_uint_eq(b->up.blocks, 8);
    ck_assert_uint_eq(b->up.code_bytes, 7 * 128 + 80);
    ck_assert_uint_eq(b->up.apdus, 11); /* BEGIN STATUS 8 x LOAD COMMIT */
    free(img2);
    free(img);
    bench_free(b);
}
END_TEST

START_TEST(cos_update_bad_image)
{
    bench_t *b = bench_new(0);
    cos_update_cfg_t c;
    uint8_t img[100] = { 0 };
    update_cfg(b, &c, img, sizeof img);
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_BAD_IMAGE);
    ck_assert_uint_eq(b->up.apdus, 0);
    /* a card that is not powered: the channel reports it */
    size_t len;
    uint8_t *good = make_image(10, 1, &len);
    update_cfg(b, &c, good, len);
    run_update(b, &c);
    ck_assert_uint_eq(b->up.status, COS_UPDATE_CHANNEL);
    ck_assert_uint_eq(b->up.step, COS_UPDATE_STEP_BEGIN);
    ck_assert_str_eq(b->up.error, "BEGIN: card not active");
    free(good);
    bench_free(b);
}
END_TEST

/* ==== fake-only: misbehaving cards, WTX, T=0 ========================= */

START_TEST(atr_late_early_silent)
{
    static const struct {
        unsigned delay;
        const char *msg;
        uint64_t clocks;
    } cases[] = {
        { 45000, "ATR not started within 40000 clocks", 0 },
        { 0, "ATR not started within 40000 clocks", 0 },
        /* written at edge 600: grid 500 + 372 */
        { 100, "ATR started 372 clocks after RST rose, before the "
               "400-clock minimum", 372 },
        { 39400, NULL, 39432 }, /* written at 39 900: grid 500 + 106 x 372 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bench_t *b = bench_new(0);
        b->fake.atr_delay = cases[i].delay;
        power_on(b);
        if (!cases[i].msg) {
            ck_assert_int_eq(b->res.status, READER_OK);
            ck_assert_uint_eq(b->res.atr_clocks, cases[i].clocks);
            bench_free(b);
            continue;
        }
        ck_assert_int_eq(b->res.status, READER_ERR_ATR_TIMING);
        ck_assert_str_eq(b->res.error, cases[i].msg);
        ck_assert_uint_eq(b->res.atr_clocks, cases[i].clocks);
        /* deactivated before reporting */
        ck_assert(!reader_active(&b->reader));
        ck_assert(!b->reader.port.vcc);
        if (cases[i].delay != 100) {
            /* reported when VCC went off: deactivation started at the
             * time-out, 11 etu after edge 40 500 */
            sim_time_t tmo = edge(40500) + edge(11 * 372);
            uint64_t e = (uint64_t)(((unsigned __int128)tmo * F_CLK +
                                     1000000000000ULL - 1) /
                                    1000000000000ULL);
            ck_assert_uint_eq(b->res.end, edge(e + 10) + edge(10));
        }
        bench_free(b);
    }
}
END_TEST

START_TEST(pps_unanswered_and_pps_off)
{
    bench_t *b = bench_new(0);
    b->fake.ignore_pps = true;
    power_on(b);
    ck_assert_int_eq(b->res.status, READER_ERR_PPS);
    ck_assert_str_eq(b->res.error, "PPS not answered (0 bytes within 9600 "
                                   "etu)");
    bench_free(b);

    reader_cfg_t rc = { .pps = READER_PPS_OFF };
    b = bench_new_cfg(0, &rc);
    power_on(b);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert(!b->res.pps);
    ck_assert_uint_eq(b->res.etu_clocks, 372);
    ck_assert_uint_eq(b->res.pps1, 0x11);
    ck_assert_uint_eq(b->res.protocol, 1);
    ck_assert_uint_eq(b->fake.pps_answered, 0);
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, status, sizeof status);
    ck_assert_uint_eq(b->res.sw, 0x9000);
    bench_free(b);
}
END_TEST

START_TEST(wtx_extends_bwt)
{
    bench_t *b = bench_new(0);
    b->fake.wtx_ins = COS_INS_STATUS;
    power_on(b);
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, status, sizeof status);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert_uint_eq(b->res.sw, 0x9000);
    ck_assert_uint_eq(b->res.wtx, 1);
    ck_assert_uint_eq(b->res.timeouts, 0);
    /* I, S(WTX response) / S(WTX request), I */
    ck_assert_uint_eq(b->res.blocks_sent, 2);
    ck_assert_uint_eq(b->res.blocks_received, 2);
    /* the answer came 1.5 BWT after the S(WTX response) */
    uint64_t bwt = 11 * 16 + 16 * 960 * 372;
    ck_assert_uint_gt(b->res.rsp_start - b->res.cmd_end, edge(bwt));
    ck_assert(log_has(b, "S(WTX request) x2"));
    bench_free(b);
}
END_TEST

START_TEST(lost_block_bwt_recovery)
{
    bench_t *b = bench_new(0);
    b->fake.ignore_block = 2; /* 1 is the S(IFS request) */
    power_on(b);
    size_t nf = 0;
    while (find(b, TRACE_FRAME, "contact", nf))
        nf++;
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, status, sizeof status);
    ck_assert_msg(b->res.status == READER_OK, "%s", b->res.error);
    ck_assert_uint_eq(b->res.sw, 0x9000);
    ck_assert_uint_eq(b->res.len, 7);
    ck_assert_uint_eq(b->res.timeouts, 1);
    ck_assert_uint_eq(b->res.retransmissions, 2); /* R(0), the I-block */
    /* the I-block (9 characters), lost; R(0) with error 2 once BWT has
     * passed since its last start bit (the time-out fires 11 etu later) */
    const rec_t *i = find(b, TRACE_FRAME, "contact", nf);
    const rec_t *r = find(b, TRACE_FRAME, "contact", nf + 1);
    ck_assert_ptr_nonnull(i);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(i->data[1], 0x00);
    ck_assert_uint_eq(r->dir, TRACE_DIR_CMD);
    ck_assert_uint_eq(r->data[1], 0x82);
    uint64_t bwt = 11 * 16 + 16 * 960 * 372;
    sim_time_t last = i->start + edge(8 * 12 * 16);
    ck_assert_uint_ge(r->start + 2, last + edge(bwt + 11 * 16));
    ck_assert_uint_lt(r->start, last + edge(bwt + 12 * 16) + 2);
    ck_assert(log_has(b, "BWT expired"));
    bench_free(b);
}
END_TEST

START_TEST(chained_response_under_ifsd)
{
    bench_t *b = bench_new(0);
    power_on(b);
    static const uint8_t rd300[] = { 0x80, 0xB0, 0x01, 0x2C, 0x00 };
    transmit(b, rd300, sizeof rd300);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert_uint_eq(b->res.sw, 0x9000);
    ck_assert_uint_eq(b->res.len, 300);
    for (size_t i = 0; i < 300; i++)
        ck_assert_uint_eq(b->data[i], (uint8_t)i);
    /* 302 bytes with IFSD 254: two I-blocks, one R-block between */
    ck_assert_uint_eq(b->res.blocks_received, 2);
    ck_assert_uint_eq(b->res.blocks_sent, 2);
    bench_free(b);
}
END_TEST

START_TEST(bit_errors_recovered)
{
    bench_t *b = bench_new(0);
    power_on(b);
    reader_set_bit_errors(&b->reader, b->now, 0.005, 0.005);
    static const uint8_t rd[] = { 0x80, 0xB0, 0x00, 0x40, 0x00 };
    unsigned retrans = 0;
    for (int k = 0; k < 10; k++) {
        transmit(b, rd, sizeof rd);
        ck_assert_msg(b->res.status == READER_OK, "%s", b->res.error);
        ck_assert_uint_eq(b->res.sw, 0x9000);
        ck_assert_uint_eq(b->res.len, 64);
        for (size_t i = 0; i < 64; i++)
            ck_assert_uint_eq(b->data[i], (uint8_t)i);
        retrans += b->res.retransmissions;
    }
    ck_assert_uint_gt(retrans, 0);
    ck_assert(log_has(b, "R-block"));
    bench_free(b);
}
END_TEST

START_TEST(t0_card)
{
    bench_t *b = bench_new(0);
    b->fake.mode = CARD_T0;
    power_on(b);
    ck_assert_msg(b->res.status == READER_OK, "%s", b->res.error);
    ck_assert_uint_eq(b->res.len, sizeof t0_atr);
    ck_assert_mem_eq(b->res.data, t0_atr, sizeof t0_atr);
    ck_assert_uint_eq(b->res.protocol, 0);
    ck_assert(b->res.pps);
    ck_assert_uint_eq(b->res.etu_clocks, 16);
    ck_assert_uint_eq(b->res.wwt_clocks, 960 * 10 * 512);
    ck_assert(log_has(b, "PPS FF 10 96 79 answered FF 10 96 79"));
    /* Le 00 asks 256: the card says 6C07, the reader asks again */
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    transmit(b, status, sizeof status);
    ck_assert_msg(b->res.status == READER_OK, "%s", b->res.error);
    ck_assert_uint_eq(b->res.sw, 0x9000);
    ck_assert_uint_eq(b->res.len, 7);
    static const uint8_t unknown[] = { 0x80, 0x12, 0x00, 0x00 };
    transmit(b, unknown, sizeof unknown);
    ck_assert_uint_eq(b->res.sw, 0x6D00);
    /* a whole update over T=0 */
    size_t len;
    uint8_t *img = make_image(200, 1, &len);
    cos_update_cfg_t c;
    update_cfg(b, &c, img, len);
    run_update(b, &c);
    ck_assert_msg(b->up.status == COS_UPDATE_OK, "%s", b->up.error);
    ck_assert_uint_eq(b->fake.commits, 1);
    const rec_t *cmd = find(b, TRACE_APDU, "CONTACT>SE0", 0);
    ck_assert_ptr_nonnull(cmd);
    ck_assert_mem_eq(cmd->data, status, sizeof status);
    free(img);
    bench_free(b);
}
END_TEST

START_TEST(busy_and_state_refusals)
{
    bench_t *b = bench_new(0);
    ck_assert_int_eq(reader_power_on(&b->reader, b->now, on_done, b),
                     READER_OK);
    ck_assert_int_eq(reader_power_on(&b->reader, b->now, on_done, b),
                     READER_ERR_BUSY);
    static const uint8_t status[] = { 0x80, 0xF2, 0x00, 0x00, 0x00 };
    ck_assert_int_eq(reader_transmit(&b->reader, b->now, status,
                                     sizeof status, on_done, b),
                     READER_ERR_BUSY);
    ck_assert(!b->done); /* never from inside the call */
    wait_done(b, SIM_MS(200));
    ck_assert_int_eq(b->res.status, READER_OK);
    /* power on again while powered: refused through the callback */
    b->done = false;
    ck_assert_int_eq(reader_power_on(&b->reader, b->now, on_done, b),
                     READER_OK);
    ck_assert(!b->done);
    wait_done(b, SIM_MS(1));
    ck_assert_int_eq(b->res.status, READER_ERR_STATE);
    ck_assert_uint_eq(b->res.end, b->res.start);
    /* power off in the middle of a command: it ends as aborted first */
    b->done = false;
    b->ncalls = 0;
    ck_assert_int_eq(reader_transmit(&b->reader, b->now, status,
                                     sizeof status, on_done, b),
                     READER_OK);
    b->now = sim_run_until(&b->sim, b->now + SIM_US(100));
    ck_assert(!b->done);
    ck_assert_int_eq(reader_power_off(&b->reader, b->now, on_done, b),
                     READER_OK);
    ck_assert_uint_eq(b->ncalls, 1);
    ck_assert_int_eq(b->res.status, READER_ERR_ABORTED);
    b->done = false;
    wait_done(b, SIM_MS(1));
    ck_assert_uint_eq(b->ncalls, 2);
    ck_assert_int_eq(b->res.status, READER_OK);
    ck_assert_uint_eq(b->res.op, READER_OP_POWER_OFF);
    bench_free(b);
}
END_TEST

Suite *make_reader_suite(void)
{
    Suite *s = suite_create("reader");
    /* _i = 0: the fake card; 1: the real SE running its ROM */
    TCase *tc = tcase_create("card");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, power_on_atr_window_pps, 0, 2);
    tcase_add_loop_test(tc, status_and_unknown_ins_t1, 0, 2);
    tcase_add_loop_test(tc, long_command_chained_under_ifsc, 0, 2);
    tcase_add_loop_test(tc, warm_reset_gives_atr_again, 0, 2);
    tcase_add_loop_test(tc, power_off_deactivation_order, 0, 2);
    tcase_add_loop_test(tc, cos_update_commits, 0, 2);
    tcase_add_loop_test(tc, cos_update_negative, 0, 2);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("fake");
    tcase_set_timeout(tf, 600);
    tcase_add_test(tf, cos_update_bad_image);
    tcase_add_test(tf, atr_late_early_silent);
    tcase_add_test(tf, pps_unanswered_and_pps_off);
    tcase_add_test(tf, wtx_extends_bwt);
    tcase_add_test(tf, chained_response_under_ifsd);
    tcase_add_test(tf, lost_block_bwt_recovery);
    tcase_add_test(tf, bit_errors_recovered);
    tcase_add_test(tf, t0_card);
    tcase_add_test(tf, busy_and_state_refusals);
    suite_add_tcase(s, tf);
    return s;
}
