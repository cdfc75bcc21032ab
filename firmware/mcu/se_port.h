/* SPDX-License-Identifier: MIT */
/* firmware/mcu/se_port.h - one SE line seen from the MCU's ISO 7816
 * master port: activation (cold or warm), ATR, PPS, T=1 with S(IFS), and
 * APDU exchanges, as a non-blocking state machine driven by received
 * characters and one deadline (docs/mcu-firmware.md, "SE ports").
 *
 * Driving: se_port_poll() after any ISO event or timer expiry (it takes
 * what the port's receive ring holds and handles its deadline); it
 * returns SE_PORT_EV_* bits. se_port_deadline() says when it must be
 * polled next at the latest. */
#ifndef FIRMWARE_MCU_SE_PORT_H
#define FIRMWARE_MCU_SE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atr.h"
#include "pps.h"
#include "t1.h"

#define SE_PORT_RSP_MAX     (256u + 2u + 2u)   /* R-APDU: 256 data + SW */

#define SE_PORT_RST_LOW_CLK 500u     /* RST low (>= 400, ISO 7816-3 6.2) */
#define SE_PORT_ATR_MIN_CLK 400u     /* TS starts no sooner (ISO 6.2.2) */
#define SE_PORT_ATR_MAX_CLK 40000u   /* TS starts within (ISO 6.2.2) */
#define SE_PORT_WT_ETU      9600u    /* initial waiting time (ATR, PPS) */
#define SE_PORT_TURN_ETU    13u      /* last byte's RXNE to our first:
                                      * with its 10 etu, >= BGT (22) */
#define SE_PORT_IFSD        254u

/* se_port_poll events */
#define SE_PORT_EV_STATE    (1u << 0)   /* activation over: state, version */
#define SE_PORT_EV_DONE     (1u << 1)   /* exchange over: result, rsp */

enum se_port_phase {
    SE_PORT_OFF = 0,    /* not powered (or deactivated: no ATR) */
    SE_PORT_RST_LOW,    /* RST held low for SE_PORT_RST_LOW_CLK */
    SE_PORT_ATR,        /* RST high, receiving the ATR */
    SE_PORT_PPS,        /* PPS request out / answer coming */
    SE_PORT_T1,         /* T=1 (S(IFS) while activating, then APDUs) */
    SE_PORT_IDLE,       /* activated without a usable protocol */
    SE_PORT_HELD,       /* the pads own the SE: hands off */
};

typedef struct se_port {
    uint8_t n;
    uint8_t phase;
    uint8_t state, version;     /* MCU_SE_*, last historical byte */
    bool powered;
    bool activating;            /* EV_STATE not yet given */
    bool no_pps;                /* PPS failed: next activation keeps 372 */
    bool xfer;                  /* an APDU exchange is going on */
    int result;                 /* ROUTER_SE_* of the last exchange */
    /* timing */
    uint8_t tmo;                /* what the deadline is for (se_port.c) */
    uint32_t deadline;          /* TIMER count */
    uint32_t rst_rise;          /* TIMER count when RST last rose */
    uint64_t tmo_rest;          /* core cycles still to wait beyond it */
    uint32_t etu_core;          /* core cycles per etu now */
    /* ATR and PPS */
    uint8_t atr[ATR_MAX_LEN];
    uint8_t atr_len;
    atr_t ai;
    pps_t pps_want;
    uint8_t pps_req[PPS_MAX_LEN], pps_rsp[PPS_MAX_LEN];
    uint8_t pps_req_len, pps_rsp_len;
    uint16_t fi;
    uint8_t di;
    /* T=1 */
    t1_t t1;
    uint8_t blk[T1_BLOCK_MAX];
    size_t blk_len, blk_want;
    bool blk_err;
    uint8_t tx[T1_BLOCK_MAX];
    size_t tx_len;
    bool tx_pending;            /* tx waits for the turnaround time */
    uint8_t rsp[SE_PORT_RSP_MAX];
    size_t rsp_len;
    /* counters (debugger, trace) */
    uint16_t activations, wtx_seen;
} se_port_t;

void se_port_init(se_port_t *p, unsigned n);

/* Starts an activation: cold (VCC, CLK, RST low) if the port is not
 * powered, else a warm reset (RST low). Ends with SE_PORT_EV_STATE. */
void se_port_activate(se_port_t *p);

/* The pads took the SE: everything going on is dropped (no event), the
 * port stops driving the line's protocol; state becomes MCU_SE_CONTACT. */
void se_port_hold(se_port_t *p);

/* Starts an APDU exchange (the APDU is kept by pointer until
 * SE_PORT_EV_DONE). -1 if the port cannot (not activated with T=1, busy):
 * then the caller answers for it. */
int se_port_transmit(se_port_t *p, const uint8_t *apdu, size_t len);

/* Handles received characters and the deadline if due; returns events. */
unsigned se_port_poll(se_port_t *p, uint32_t now);

/* The next deadline (TIMER count); false if none. */
bool se_port_deadline(const se_port_t *p, uint32_t *when);

#endif /* FIRMWARE_MCU_SE_PORT_H */
