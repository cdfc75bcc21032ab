/* SPDX-License-Identifier: MIT */
/* firmware/mcu/router.h - where each C-APDU from the phone goes: the card
 * manager, the session's SE, or the SE that has the AID it selects; what
 * happens to sessions when the pads take an SE, the field goes or the
 * phone deselects (docs/mcu-firmware.md, "Routing").
 *
 * Portable: no register access, no time (host-tested in tests/mcu_fw/).
 * The router decides; the caller (mcu_main.c) acts: each call fills a
 * router_act_t saying what to do now, and the caller reports back:
 *
 *   ROUTER_ACT_REPLY  send data[0..len) to channel `chan` as the R-APDU
 *   ROUTER_ACT_SEND   send the C-APDU data[0..len) to SE `se` over T=1,
 *                     then call router_se_done() with its answer
 *   ROUTER_ACT_RESET  warm-reset SE `se`, then router_set_se() with its
 *                     new state (the reply comes from that call)
 *   ROUTER_ACT_NONE   nothing
 *
 * Every routing decision is reported through the `route` callback as a
 * MCU_ROUTE(se, chan, decision) word (SYSCTL.ROUTE on the target). A
 * command buffer passed to router_apdu must stay unchanged until the
 * router has answered it (ROUTER_ACT_REPLY): SEND actions point into it. */
#ifndef FIRMWARE_MCU_ROUTER_H
#define FIRMWARE_MCU_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_manager.h"

#define ROUTER_MAX_SE       8u
#define ROUTER_NO_SE        15u     /* MCU_ROUTE's se for "none" */
#define ROUTER_RSP_MAX      (ROUTER_MAX_SE * CM_REC_LEN + 2u)
#define ROUTER_CHANS        3u      /* indexed by MCU_CHAN_* (0 unused) */

enum router_act_kind {
    ROUTER_ACT_NONE = 0,
    ROUTER_ACT_REPLY,
    ROUTER_ACT_SEND,
    ROUTER_ACT_RESET,
};

typedef struct router_act {
    uint8_t kind;           /* enum router_act_kind */
    uint8_t chan;           /* REPLY: MCU_CHAN_* */
    uint8_t se;             /* SEND, RESET */
    const uint8_t *data;    /* REPLY: R-APDU; SEND: C-APDU */
    size_t len;
} router_act_t;

enum router_sess {
    ROUTER_SESS_NONE = 0,
    ROUTER_SESS_OPEN,       /* opened with the card manager's OPEN: its
                             * commands are still intercepted */
    ROUTER_SESS_AID,        /* opened by a SELECT the SE answered 9000:
                             * everything but the CM SELECT goes to it */
};

enum router_op {
    ROUTER_OP_NONE = 0,
    ROUTER_OP_FORWARD,      /* an APDU to the session's SE */
    ROUTER_OP_SELECT,       /* SELECT by AID, trying the SEs in order */
    ROUTER_OP_RESET,        /* card manager RESET */
};

/* Outcome of an SE exchange (router_se_done) */
enum router_se_result {
    ROUTER_SE_OK = 0,       /* a response APDU came back */
    ROUTER_SE_MUTE,         /* T=1 failed or the SE is gone */
};

typedef void (*router_route_fn)(void *ctx, uint32_t route);

/* What one channel (NFC, BLE) has open: each has its own, so an OPEN or a
 * SELECT on one leaves the other's session alone. */
typedef struct router_chan {
    bool cm_selected;               /* the card manager is current */
    uint8_t sess, sess_se;          /* enum router_sess, its SE */
} router_chan_t;

typedef struct router {
    uint8_t nse;
    uint8_t state[ROUTER_MAX_SE];   /* MCU_SE_* */
    uint8_t version[ROUTER_MAX_SE];
    router_chan_t ch[ROUTER_CHANS]; /* by MCU_CHAN_* */
    /* the one exchange in flight for the whole card (SE exchanges are
     * serialised: the other channel's APDU waits) */
    uint8_t op, op_se, op_chan;     /* op_chan 0: answer discarded */
    const uint8_t *op_cmd;
    size_t op_len;
    uint8_t rsp[ROUTER_RSP_MAX];
    router_route_fn route;
    void *ctx;
} router_t;

/* nse SEs (at most ROUTER_MAX_SE), all ABSENT until router_set_se. */
void router_init(router_t *r, unsigned nse, router_route_fn route, void *ctx);

/* An exchange with an SE (or a reset) is going on, for either channel:
 * the caller holds new APDUs of every channel until it is over. */
bool router_busy(const router_t *r);

/* A C-APDU from channel chan (MCU_CHAN_NFC / _BLE), routed in that
 * channel's session. */
void router_apdu(router_t *r, unsigned chan, const uint8_t *apdu, size_t len,
                 router_act_t *act);

/* The answer of SE se to the last SEND (result ROUTER_SE_*). */
void router_se_done(router_t *r, unsigned se, int result, const uint8_t *rsp,
                    size_t len, router_act_t *act);

/* The MCU's view of SE se changed (activation done, pads took it or gave
 * it back, reset done). May answer the phone (an aborted exchange, the
 * end of a RESET). */
void router_set_se(router_t *r, unsigned se, unsigned state, unsigned version,
                   router_act_t *act);

/* The channel's link ended (NFC field off, DESELECT, HLTA): its session
 * ends, the card manager is no longer current, an exchange in flight for
 * it is cut (its answer will be dropped). */
void router_end(router_t *r, unsigned chan);

/* The channel gave up the APDU in flight (BLE CANCEL): the exchange is cut
 * (ROUTE ABORTED, its answer will be dropped: it finishes on the SE and
 * the next APDU waits until it has), the session stays. Nothing happens
 * when no exchange of that channel is in flight. */
void router_cancel(router_t *r, unsigned chan);

#endif /* FIRMWARE_MCU_ROUTER_H */
