/* SPDX-License-Identifier: MIT */
/* firmware/mcu/router.c - APDU routing and sessions (router.h).
 *
 * Reference: ISO/IEC 7816-4 11.2.2 (SELECT by DF name: the application
 * that answers 9000 becomes current); card_manager.h and
 * docs/mcu-firmware.md for the card manager's rules.
 *
 * Notes
 * - One session per channel (NFC, BLE): OPEN, CLOSE, the card manager's
 *   SELECT and an AID session on one channel leave the other's alone.
 *   Both may hold a session on the same SE; its APDUs then interleave on
 *   the SE (no logical channels).
 * - One exchange at a time for the whole card: the caller holds the other
 *   channel's APDU while router_busy() (NFC is kept alive by the front
 *   end's S(WTX), BLE by the transport's KEEPALIVE).
 * - Forwarding an APDU inside a session is not a new decision and writes
 *   no ROUTE; opening, closing, refusing and aborting do.
 * - A SELECT by AID inside a session goes to the session's SE like any
 *   other APDU; only without a session are the SEs searched. */
#include "router.h"

#include "apdu.h"
#include "cmgr.h"
#include "regs/mcu_sysctl.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

static void route(router_t *r, unsigned se, unsigned chan, unsigned dec)
{
    if (r->route)
        r->route(r->ctx, MCU_ROUTE(se, chan, dec));
}

static void act_none(router_act_t *act)
{
    act->kind = ROUTER_ACT_NONE;
    act->chan = 0;
    act->se = 0;
    act->data = 0;
    act->len = 0;
}

/* A reply built in r->rsp: data[0..len) already there, then the SW. */
static void reply_sw(router_t *r, router_act_t *act, unsigned chan,
                     size_t len, uint16_t sw)
{
    r->rsp[len] = APDU_SW1(sw);
    r->rsp[len + 1] = APDU_SW2(sw);
    act->kind = ROUTER_ACT_REPLY;
    act->chan = (uint8_t)chan;
    act->se = 0;
    act->data = r->rsp;
    act->len = len + 2;
}

static void send_to(router_t *r, router_act_t *act, unsigned op, unsigned se,
                    unsigned chan, const uint8_t *cmd, size_t len)
{
    r->op = (uint8_t)op;
    r->op_se = (uint8_t)se;
    r->op_chan = (uint8_t)chan;
    r->op_cmd = cmd;
    r->op_len = len;
    act->kind = ROUTER_ACT_SEND;
    act->chan = (uint8_t)chan;
    act->se = (uint8_t)se;
    act->data = cmd;
    act->len = len;
}

static router_chan_t *chan_of(router_t *r, unsigned chan)
{
    return &r->ch[chan < ROUTER_CHANS ? chan : 0];
}

static void end_session(router_t *r, unsigned chan)
{
    router_chan_t *c = chan_of(r, chan);
    if (c->sess == ROUTER_SESS_NONE)
        return;
    route(r, c->sess_se, chan, MCU_ROUTE_CLOSED);
    c->sess = ROUTER_SESS_NONE;
}

static bool sess_on(router_t *r, unsigned chan, unsigned se)
{
    router_chan_t *c = chan_of(r, chan);
    return c->sess != ROUTER_SESS_NONE && c->sess_se == se;
}

void router_init(router_t *r, unsigned nse, router_route_fn fn, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->nse = (uint8_t)(nse > ROUTER_MAX_SE ? ROUTER_MAX_SE : nse);
    for (unsigned i = 0; i < ROUTER_MAX_SE; i++)
        r->state[i] = MCU_SE_ABSENT;
    r->route = fn;
    r->ctx = ctx;
}

bool router_busy(const router_t *r)
{
    return r->op != ROUTER_OP_NONE;
}

/* The next SE from `from` on that may have the AID: a COS. */
static unsigned next_candidate(const router_t *r, unsigned from)
{
    for (unsigned i = from; i < r->nse; i++)
        if (r->state[i] == MCU_SE_COS)
            return i;
    return ROUTER_NO_SE;
}

static void cm_command(router_t *r, unsigned chan, const uint8_t *apdu,
                       size_t len, router_act_t *act)
{
    router_chan_t *ch = chan_of(r, chan);
    cmgr_cmd_t c;
    uint16_t sw = cmgr_decode(apdu, len, r->nse, &c);
    if (sw != CM_SW_OK) {
        reply_sw(r, act, chan, 0, sw);
        return;
    }
    switch (c.ins) {
    case CM_INS_LIST: {
        for (unsigned i = 0; i < r->nse; i++)
            cmgr_record(&r->rsp[i * CM_REC_LEN], i, r->state[i],
                        r->version[i], sess_on(r, chan, i));
        reply_sw(r, act, chan, r->nse * CM_REC_LEN, CM_SW_OK);
        return;
    }
    case CM_INS_OPEN:
        if (r->state[c.se] == MCU_SE_CONTACT) {
            route(r, c.se, chan, MCU_ROUTE_REFUSED_CONTACT);
            reply_sw(r, act, chan, 0, CM_SW_CONTACT);
            return;
        }
        if (r->state[c.se] == MCU_SE_ABSENT) {
            route(r, c.se, chan, MCU_ROUTE_REFUSED_ABSENT);
            reply_sw(r, act, chan, 0, CM_SW_SE_MUTE);
            return;
        }
        end_session(r, chan);
        ch->sess = ROUTER_SESS_OPEN;
        ch->sess_se = c.se;
        route(r, c.se, chan, MCU_ROUTE_SESSION);
        reply_sw(r, act, chan, 0, CM_SW_OK);
        return;
    case CM_INS_RESET:
        if (r->state[c.se] == MCU_SE_CONTACT) {
            route(r, c.se, chan, MCU_ROUTE_REFUSED_CONTACT);
            reply_sw(r, act, chan, 0, CM_SW_CONTACT);
            return;
        }
        r->op = ROUTER_OP_RESET;
        r->op_se = c.se;
        r->op_chan = (uint8_t)chan;
        act->kind = ROUTER_ACT_RESET;
        act->chan = (uint8_t)chan;
        act->se = c.se;
        act->data = 0;
        act->len = 0;
        return;
    default: /* CM_INS_CLOSE */
        end_session(r, chan);
        reply_sw(r, act, chan, 0, CM_SW_OK);
        return;
    }
}

void router_apdu(router_t *r, unsigned chan, const uint8_t *apdu, size_t len,
                 router_act_t *act)
{
    router_chan_t *ch = chan_of(r, chan);
    act_none(act);
    if (router_busy(r)) {
        /* the caller holds APDUs while busy; this is its mistake */
        reply_sw(r, act, chan, 0, CM_SW_SE_MUTE);
        return;
    }
    if (cmgr_is_select(apdu, len)) {
        end_session(r, chan);
        ch->cm_selected = true;
        reply_sw(r, act, chan, 0, CM_SW_OK);
        return;
    }
    if (ch->sess == ROUTER_SESS_OPEN && cmgr_is_command(apdu, len)) {
        cm_command(r, chan, apdu, len, act);
        return;
    }
    if (ch->sess != ROUTER_SESS_NONE) {
        unsigned se = ch->sess_se;
        if (r->state[se] == MCU_SE_CONTACT) {
            route(r, se, chan, MCU_ROUTE_REFUSED_CONTACT);
            reply_sw(r, act, chan, 0, CM_SW_CONTACT);
            return;
        }
        if (r->state[se] == MCU_SE_ABSENT) {
            route(r, se, chan, MCU_ROUTE_REFUSED_ABSENT);
            reply_sw(r, act, chan, 0, CM_SW_SE_MUTE);
            return;
        }
        send_to(r, act, ROUTER_OP_FORWARD, se, chan, apdu, len);
        return;
    }
    const uint8_t *aid;
    if (cmgr_select_aid(apdu, len, &aid) > 0) {
        unsigned se = next_candidate(r, 0);
        if (se == ROUTER_NO_SE) {
            route(r, ROUTER_NO_SE, chan, MCU_ROUTE_NO_AID);
            reply_sw(r, act, chan, 0, CM_SW_NO_SE);
            return;
        }
        send_to(r, act, ROUTER_OP_SELECT, se, chan, apdu, len);
        return;
    }
    if (ch->cm_selected && len >= 1 && apdu[0] == CM_CLA) {
        cm_command(r, chan, apdu, len, act);
        return;
    }
    reply_sw(r, act, chan, 0, CM_SW_NO_SESSION);
}

void router_se_done(router_t *r, unsigned se, int result, const uint8_t *rsp,
                    size_t len, router_act_t *act)
{
    act_none(act);
    if (r->op == ROUTER_OP_NONE || r->op == ROUTER_OP_RESET || r->op_se != se)
        return;
    unsigned chan = r->op_chan;
    unsigned op = r->op;
    if (chan == 0) {            /* cut meanwhile: nobody to answer */
        r->op = ROUTER_OP_NONE;
        return;
    }
    if (op == ROUTER_OP_FORWARD) {
        r->op = ROUTER_OP_NONE;
        if (result != ROUTER_SE_OK || len < 2) {
            route(r, se, chan, MCU_ROUTE_REFUSED_ABSENT);
            reply_sw(r, act, chan, 0, CM_SW_SE_MUTE);
            return;
        }
        act->kind = ROUTER_ACT_REPLY;
        act->chan = (uint8_t)chan;
        act->data = rsp;
        act->len = len;
        return;
    }
    /* ROUTER_OP_SELECT */
    if (result == ROUTER_SE_OK && apdu_sw(rsp, len) == CM_SW_OK) {
        router_chan_t *ch = chan_of(r, chan);
        r->op = ROUTER_OP_NONE;
        ch->sess = ROUTER_SESS_AID;
        ch->sess_se = (uint8_t)se;
        ch->cm_selected = false;
        route(r, se, chan, MCU_ROUTE_AID);
        act->kind = ROUTER_ACT_REPLY;
        act->chan = (uint8_t)chan;
        act->data = rsp;
        act->len = len;
        return;
    }
    unsigned next = next_candidate(r, se + 1);
    if (next == ROUTER_NO_SE) {
        r->op = ROUTER_OP_NONE;
        route(r, ROUTER_NO_SE, chan, MCU_ROUTE_NO_AID);
        reply_sw(r, act, chan, 0, CM_SW_NO_SE);
        return;
    }
    send_to(r, act, ROUTER_OP_SELECT, next, chan, r->op_cmd, r->op_len);
}

void router_set_se(router_t *r, unsigned se, unsigned state, unsigned version,
                   router_act_t *act)
{
    act_none(act);
    if (se >= r->nse)
        return;
    unsigned prev = r->state[se];
    r->state[se] = (uint8_t)state;
    r->version[se] = (uint8_t)version;
    bool op_here = r->op != ROUTER_OP_NONE && r->op_se == se;
    if (state == MCU_SE_CONTACT) {
        if (op_here) {
            unsigned chan = r->op_chan;
            r->op = ROUTER_OP_NONE;
            if (chan != 0) {
                route(r, se, chan, MCU_ROUTE_ABORTED);
                reply_sw(r, act, chan, 0, CM_SW_CONTACT);
            }
        }
        return;
    }
    /* back from the pads, the SE was reset: sessions on it have lost
     * their application state */
    if (prev == MCU_SE_CONTACT)
        for (unsigned c = 1; c < ROUTER_CHANS; c++)
            if (sess_on(r, c, se))
                end_session(r, c);
    if (op_here && r->op == ROUTER_OP_RESET) {
        unsigned chan = r->op_chan;
        r->op = ROUTER_OP_NONE;
        if (chan == 0)
            return;
        cmgr_record(r->rsp, se, state, version, sess_on(r, chan, se));
        reply_sw(r, act, chan, CM_REC_LEN, CM_SW_OK);
    }
}

void router_end(router_t *r, unsigned chan)
{
    end_session(r, chan);
    chan_of(r, chan)->cm_selected = false;
    router_cancel(r, chan);
}

void router_cancel(router_t *r, unsigned chan)
{
    if (r->op != ROUTER_OP_NONE && r->op_chan == chan && chan != 0) {
        route(r, r->op_se, chan, MCU_ROUTE_ABORTED);
        r->op_chan = 0;
    }
}
