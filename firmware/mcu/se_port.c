/* SPDX-License-Identifier: MIT */
/* firmware/mcu/se_port.c - the terminal side of one SE line (se_port.h).
 *
 * Reference: ISO/IEC 7816-3:2006 6.2 (cold and warm reset: RST low at
 * least 400 CLK, TS within 40 000 CLK), 8 (ATR), 9 (PPS), 11 (T=1: BWT,
 * CWT, BGT, S(IFS), S(WTX)); docs/t1.md for the driving loop, whose shape
 * models/terminals/reader.c follows too.
 *
 * Notes
 * - CLK is the core clock / 4 (4 MHz); one etu is (F/D) x 4 core cycles.
 * - Time-outs are measured from when the MCU saw a character (its RXNE,
 *   about 10 etu after the character started), so every bound is a little
 *   later than the standard's, never earlier.
 * - BGT: a block is sent SE_PORT_TURN_ETU after the last character's
 *   RXNE (>= 22 etu after its start). After a PPS the first block waits
 *   16 etu of the old rate, so the card has switched its rate first.
 * - A PPS that fails (no answer, refused) makes the port reset the card
 *   once more and keep the default rate (ISO 7816-3 9.3).
 * - A broken ATR or one without T=1 leaves the SE UNKNOWN and unusable;
 *   no ATR at all (or S(RESYNCH) unanswered) powers the line down: ABSENT.
 * - Only T=1 (the SEs' ATR offers nothing else); no clock stop. */
#include "se_port.h"

#include "mcu_hal.h"
#include "regs/mcu_iso.h"
#include "regs/mcu_sysctl.h"
#include "router.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

enum { TMO_NONE = 0, TMO_RST, TMO_RX, TMO_TX };

#define CHUNK_MAX (1u << 30)  /* longest single compare interval */

static const uint8_t hist_loader[5] = { 'C', 'S', 'L', 'D', 'R' };
static const uint8_t hist_cos[5] = { 'C', 'S', 'C', 'O', 'S' };

static void arm(se_port_t *p, uint8_t kind, uint32_t from, uint64_t cycles)
{
    uint32_t chunk = cycles > CHUNK_MAX ? CHUNK_MAX : (uint32_t)cycles;
    p->tmo = kind;
    p->deadline = from + chunk;
    p->tmo_rest = cycles - chunk;
}

static uint64_t clk(uint64_t clocks)
{
    return clocks * MCU_ISO_CLKDIV_USED;
}

static uint64_t etus(const se_port_t *p, uint32_t n)
{
    return (uint64_t)n * p->etu_core;
}

static void set_etu(se_port_t *p, uint32_t clocks)
{
    mcu_hal_iso_etu(p->n, clocks);
    p->etu_core = clocks * MCU_ISO_CLKDIV_USED;
}

static void power_down(se_port_t *p)
{
    mcu_hal_iso_ctrl(p->n, 0);
    mcu_hal_iso_stop(p->n);
    p->powered = false;
    p->phase = SE_PORT_OFF;
    p->tmo = TMO_NONE;
    p->tx_pending = false;
}

/* The activation is over: report state/version once. */
static unsigned activated(se_port_t *p)
{
    if (!p->activating)
        return 0;
    p->activating = false;
    return SE_PORT_EV_STATE;
}

void se_port_init(se_port_t *p, unsigned n)
{
    memset(p, 0, sizeof *p);
    p->n = (uint8_t)n;
    p->state = MCU_SE_ABSENT;
    p->etu_core = 372u * MCU_ISO_CLKDIV_USED;
    mcu_hal_iso_init(n);
}

void se_port_activate(se_port_t *p)
{
    uint32_t now = mcu_hal_now();
    mcu_hal_iso_stop(p->n);
    set_etu(p, ATR_FI_DEFAULT);
    p->fi = ATR_FI_DEFAULT;
    p->di = ATR_DI_DEFAULT;
    p->atr_len = 0;
    p->pps_req_len = p->pps_rsp_len = 0;
    p->blk_len = 0;
    p->blk_err = false;
    p->tx_pending = false;
    p->xfer = false;
    if (!p->powered) {
        /* ISO 7816-3 6.2.1: VCC, then CLK with RST low */
        mcu_hal_iso_ctrl(p->n, MCU_ISO_CTRL_VCC);
        p->powered = true;
    }
    mcu_hal_iso_ctrl(p->n, MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_CLKEN);
    p->phase = SE_PORT_RST_LOW;
    p->activating = true;
    p->activations++;
    arm(p, TMO_RST, now, clk(SE_PORT_RST_LOW_CLK));
}

void se_port_hold(se_port_t *p)
{
    power_down(p);
    p->phase = SE_PORT_HELD;
    p->state = MCU_SE_CONTACT;
    p->activating = false;
    p->xfer = false;
}

/* Sends tx[] once the turnaround time since the last character is over. */
static void schedule_tx(se_port_t *p, uint32_t now, uint32_t not_before)
{
    p->tx_pending = true;
    uint32_t when = mcu_hal_due(not_before, now) ? now : not_before;
    arm(p, TMO_TX, when, 0);
}

static uint32_t turn_from_last(const se_port_t *p)
{
    return mcu_hal_iso_last_rx(p->n) + (uint32_t)etus(p, SE_PORT_TURN_ETU);
}

static unsigned t1_finish(se_port_t *p, t1_status_t st)
{
    unsigned ev = 0;
    if (st == T1_DEAD) {
        power_down(p);
        p->state = MCU_SE_ABSENT;
        ev |= SE_PORT_EV_STATE;
        p->activating = false;
    }
    if (p->activating)
        return activated(p);   /* S(IFS) done (or refused: IFSD 32 stays) */
    if (p->xfer) {
        p->xfer = false;
        if (st == T1_APDU) {
            p->rsp_len = t1_take_apdu(&p->t1);
            p->result = ROUTER_SE_OK;
        } else {
            p->rsp_len = 0;
            p->result = ROUTER_SE_MUTE;
        }
        ev |= SE_PORT_EV_DONE;
    }
    return ev;
}

/* After every call into t1: send what it has, arm BWT, or finish. */
static unsigned t1_pump(se_port_t *p, uint32_t now)
{
    int k = t1_next_tx(&p->t1, p->tx, sizeof p->tx);
    if (k > 0) {
        p->tx_len = (size_t)k;
        schedule_tx(p, now, turn_from_last(p));
    }
    t1_status_t st = t1_status(&p->t1);
    if (st == T1_BUSY) {
        if (k <= 0)
            arm(p, TMO_RX, now, clk(t1_timeout_clocks(&p->t1)));
        return 0;
    }
    if (k <= 0)
        p->tmo = TMO_NONE;
    return t1_finish(p, st);
}

static unsigned t1_start(se_port_t *p, uint32_t now)
{
    t1_params_t tp = {
        .ifsc = p->ai.ifsc, .edc = p->ai.edc, .bwi = p->ai.bwi,
        .fi = p->fi, .di = p->di,
        .rx_buf = p->rsp, .rx_cap = sizeof p->rsp,
    };
    if (t1_init(&p->t1, T1_TERMINAL, &tp) != T1_OK ||
        t1_request_ifs(&p->t1, SE_PORT_IFSD) != T1_OK) {
        p->phase = SE_PORT_IDLE;
        return activated(p);
    }
    p->phase = SE_PORT_T1;
    p->blk_len = 0;
    return t1_pump(p, now);
}

static unsigned atr_done(se_port_t *p, uint32_t now)
{
    atr_t *a = &p->ai;
    p->tmo = TMO_NONE;
    if (atr_parse(p->atr, p->atr_len, a) != ATR_OK) {
        p->state = MCU_SE_UNKNOWN;
        p->version = 0;
        p->phase = SE_PORT_IDLE;
        return activated(p);
    }
    p->version = a->nhist ? a->hist[a->nhist - 1] : 0;
    if (a->nhist == 6 && memcmp(a->hist, hist_loader, 5) == 0)
        p->state = MCU_SE_LOADER;
    else if (a->nhist == 6 && memcmp(a->hist, hist_cos, 5) == 0)
        p->state = MCU_SE_COS;
    else
        p->state = MCU_SE_UNKNOWN;
    if (!(a->protocols & 2u)) {
        p->phase = SE_PORT_IDLE;
        return activated(p);
    }
    uint8_t ta1 = (a->g[0].present & ATR_TA) ? a->g[0].ta : 0x11;
    if (a->specific) {
        if (!a->specific_implicit) {
            p->fi = a->fi;
            p->di = a->di;
            set_etu(p, atr_etu_clocks_round(a->fi, a->di));
        }
        return t1_start(p, now);
    }
    if (ta1 != 0x11 && !p->no_pps) {
        p->pps_want = (pps_t){ .t = 1, .present = PPS0_PPS1, .pps1 = ta1 };
        int n = pps_build(&p->pps_want, p->pps_req, sizeof p->pps_req);
        if (n > 0) {
            p->pps_req_len = (uint8_t)n;
            p->pps_rsp_len = 0;
            p->phase = SE_PORT_PPS;
            schedule_tx(p, now, turn_from_last(p));
            return 0;
        }
    }
    return t1_start(p, now);
}

static unsigned pps_done(se_port_t *p, uint32_t now)
{
    pps_t agreed;
    p->tmo = TMO_NONE;
    if (pps_check_answer(&p->pps_want, p->pps_rsp, p->pps_rsp_len,
                         &agreed) != PPS_OK) {
        p->no_pps = true;       /* reset once more, default rate */
        se_port_activate(p);
        p->activations--;
        return 0;
    }
    uint32_t old_etu = p->etu_core;
    if (agreed.present & PPS0_PPS1) {
        uint16_t fi = atr_fi_value(agreed.pps1 >> 4);
        uint8_t di = atr_di_value(agreed.pps1 & 0x0Fu);
        if (fi && di) {
            p->fi = fi;
            p->di = di;
            set_etu(p, atr_etu_clocks_round(fi, di));
        }
    }
    unsigned ev = t1_start(p, now);
    /* the card switches its rate after its last PPS character's guard
     * time: the first block waits 16 etu of the old rate */
    if (p->tx_pending)
        schedule_tx(p, now, mcu_hal_iso_last_rx(p->n) + 16u * old_etu);
    return ev;
}

static unsigned block_in(se_port_t *p, uint32_t now)
{
    if (!p->blk_err && p->blk_len == 4 + 1 &&
        p->blk[1] == (T1_PCB_S | T1_S_WTX))
        p->wtx_seen++;
    (void)t1_rx_block(&p->t1, p->blk, p->blk_len, p->blk_err);
    p->blk_len = 0;
    p->blk_err = false;
    return t1_pump(p, now);
}

static unsigned rx_char(se_port_t *p, int c, uint32_t now)
{
    uint8_t b = (uint8_t)c;
    bool err = (c & MCU_RX_ERR) != 0;
    switch (p->phase) {
    case SE_PORT_ATR: {
        /* TS starts >= 400 CLK after RST rose and ends 10 etu later: a
         * character that ends sooner began before the reset (an SE that
         * reset itself and was cut off mid-character) */
        if (p->atr_len == 0 &&
            (uint32_t)(mcu_hal_iso_last_rx(p->n) - p->rst_rise) <
                clk(SE_PORT_ATR_MIN_CLK) + etus(p, 10u))
            return 0;
        if (p->atr_len < sizeof p->atr)
            p->atr[p->atr_len++] = b;
        int n = atr_length(p->atr, p->atr_len);
        if (n == ATR_ERR_TRUNCATED || (n > 0 && p->atr_len < (unsigned)n)) {
            arm(p, TMO_RX, now, etus(p, SE_PORT_WT_ETU + 12u));
            return 0;
        }
        return atr_done(p, now);    /* a bad ATR fails its parse */
    }
    case SE_PORT_PPS: {
        if (p->tx_pending)
            return 0;               /* not asked yet: noise */
        if (p->pps_rsp_len < sizeof p->pps_rsp)
            p->pps_rsp[p->pps_rsp_len++] = b;
        int n = pps_length(p->pps_rsp, p->pps_rsp_len);
        if (!err && (n == PPS_ERR_TRUNCATED ||
                     (n > 0 && p->pps_rsp_len < (unsigned)n))) {
            arm(p, TMO_RX, now, etus(p, SE_PORT_WT_ETU + 12u));
            return 0;
        }
        if (err)
            p->pps_rsp[0] = 0;      /* make the check fail */
        return pps_done(p, now);
    }
    case SE_PORT_T1: {
        if (p->tx_pending || t1_status(&p->t1) != T1_BUSY)
            return 0;               /* nobody asked: drop */
        if (p->blk_len == 0) {
            p->blk_want = 3;
            p->blk_err = false;
        }
        if (err)
            p->blk_err = true;
        if (p->blk_len < sizeof p->blk)
            p->blk[p->blk_len++] = b;
        else
            p->blk_err = true;
        if (p->blk_len == 3)
            p->blk_want = t1_block_size(p->blk[2], p->ai.edc);
        if (p->blk_len >= p->blk_want)
            return block_in(p, now);
        /* CWT between characters (+2 etu margin) */
        arm(p, TMO_RX, now, etus(p, atr_cwt_etu(p->ai.cwi) + 2u));
        return 0;
    }
    default:
        return 0;
    }
}

static unsigned expire(se_port_t *p, uint8_t kind, uint32_t now)
{
    switch (kind) {
    case TMO_RST:
        mcu_hal_iso_ctrl(p->n, MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_CLKEN |
                                   MCU_ISO_CTRL_RST);
        p->phase = SE_PORT_ATR;
        p->rst_rise = now;
        /* TS must start within 40 000 CLK; its RXNE is 10 etu later */
        arm(p, TMO_RX, now,
            clk(SE_PORT_ATR_MAX_CLK) + etus(p, 12u));
        return 0;
    case TMO_TX:
        p->tx_pending = false;
        if (p->phase == SE_PORT_PPS) {
            mcu_hal_iso_send(p->n, p->pps_req, p->pps_req_len);
            arm(p, TMO_RX, now,
                etus(p, SE_PORT_WT_ETU + 12u * p->pps_req_len + 12u));
            return 0;
        }
        if (p->phase != SE_PORT_T1)
            return 0;
        mcu_hal_iso_send(p->n, p->tx, p->tx_len);
        if (t1_status(&p->t1) == T1_BUSY)
            arm(p, TMO_RX, now, clk(t1_timeout_clocks(&p->t1)) +
                                    etus(p, 12u * (uint32_t)p->tx_len));
        return 0;
    case TMO_RX:
        switch (p->phase) {
        case SE_PORT_ATR:
            if (p->atr_len == 0) {
                power_down(p);
                p->state = MCU_SE_ABSENT;
                p->version = 0;
                return activated(p);
            }
            return atr_done(p, now);
        case SE_PORT_PPS:
            p->pps_rsp_len = 0;
            return pps_done(p, now);
        case SE_PORT_T1:
            if (p->blk_len > 0) {       /* CWT: the block is broken */
                p->blk_err = true;
                return block_in(p, now);
            }
            t1_timeout(&p->t1);
            return t1_pump(p, now);
        default:
            return 0;
        }
    default:
        return 0;
    }
}

int se_port_transmit(se_port_t *p, const uint8_t *apdu, size_t len)
{
    if (p->phase != SE_PORT_T1 || p->activating || p->xfer)
        return -1;
    t1_status_t st = t1_status(&p->t1);
    if (st != T1_IDLE && st != T1_FAILED)
        return -1;
    if (t1_send_apdu(&p->t1, apdu, len) != T1_OK)
        return -1;
    p->xfer = true;
    p->blk_len = 0;
    (void)t1_pump(p, mcu_hal_now());    /* a block to send: no event */
    return 0;
}

unsigned se_port_poll(se_port_t *p, uint32_t now)
{
    unsigned ev = 0;
    int c;
    while ((c = mcu_hal_iso_get(p->n)) != MCU_RX_NONE)
        ev |= rx_char(p, c, now);
    while (p->tmo != TMO_NONE && mcu_hal_due(p->deadline, now)) {
        if (p->tmo_rest) {
            uint32_t chunk = p->tmo_rest > CHUNK_MAX ? CHUNK_MAX
                                                     : (uint32_t)p->tmo_rest;
            p->deadline += chunk;
            p->tmo_rest -= chunk;
            continue;
        }
        uint8_t kind = p->tmo;
        p->tmo = TMO_NONE;
        ev |= expire(p, kind, now);
    }
    return ev;
}

bool se_port_deadline(const se_port_t *p, uint32_t *when)
{
    if (p->tmo == TMO_NONE)
        return false;
    *when = p->deadline;
    return true;
}
