/* SPDX-License-Identifier: MIT */
/* firmware/mcu/mcu_main.c - the MCU firmware's main loop: activates the
 * SEs, follows the sense inputs (contact VCC, the pads' switch pins, the
 * BLE link stub), the NFC front end's events and the BLE radio's, routes
 * the phone's APDUs from either channel (router.c) to the card manager
 * or an SE (se_port.c), and sleeps (WFI) whenever nothing is due
 * (docs/mcu-firmware.md).
 *
 * Notes
 * - The SEs are activated concurrently: each port runs its own state
 *   machine, so start-up takes one activation's time, not NSE of them.
 * - One C-APDU is handled at a time for the whole card: each channel
 *   sends no new APDU before its answer; an APDU of one channel waits
 *   while the other's (or a cut exchange) is on an SE. When both wait,
 *   the channel not served last goes first.
 * - BLE: the radio advertises from start-up; its frames go through
 *   ble_host.c (L2CAP, ATT, the APDU transport). The TX slots are filled
 *   as long as frames wait; TXDONE wakes the loop only while some wait. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ble_host.h"
#include "mcu_hal.h"
#include "mode.h"
#include "nfc_link.h"
#include "regs/mcu_map.h"
#include "regs/mcu_radio.h"
#include "regs/mcu_sysctl.h"
#include "router.h"
#include "se_port.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

typedef struct mcu_fw {
    unsigned nse;
    uint32_t pads;              /* SENSE.PADS bits as last handled */
    bool field;                 /* NFC field on (FIELD_ON..FIELD_OFF) */
    mode_state_t mode;
    router_t router;
    se_port_t port[MCU_ISO_PORTS];
    uint8_t nfc_rx[NFC_APDU_MAX];   /* READ_EVENT data */
    uint8_t nfc_cmd[NFC_APDU_MAX];  /* the C-APDU being routed */
    size_t nfc_cmd_len;
    bool nfc_held;              /* nfc_cmd waits for the router */
    bool nfc_waiting;           /* the front end awaits our RESPONSE */
    uint8_t last_chan;          /* the channel routed last */
    ble_host_t ble;
    uint8_t ble_frame[BLE_HOST_FRAME_MAX];  /* a frame to or from the radio */
    uint8_t ble_cmd[BLE_APDU_MSG_MAX];      /* the BLE C-APDU being routed */
    uint32_t apdus;             /* counters for a debugger */
} mcu_fw_t;

/* The firmware's state, one object (a debugger finds it by name). */
mcu_fw_t mcu_fw;

void mcu_main(void) __attribute__((noreturn));

static void route_cb(void *ctx, uint32_t route)
{
    (void)ctx;
    mcu_hal_route(route);
}

static void mode_refresh(mcu_fw_t *fw)
{
    if (mode_update(&fw->mode, mcu_hal_sense(), fw->field,
                    fw->ble.connected))
        mcu_hal_set_mode(fw->mode.value);
}

static void do_act(mcu_fw_t *fw, router_act_t *act)
{
    while (act->kind != ROUTER_ACT_NONE) {
        switch (act->kind) {
        case ROUTER_ACT_REPLY:
            if (act->chan == MCU_CHAN_NFC && fw->nfc_waiting) {
                nfc_link_respond(act->data, act->len);
                fw->nfc_waiting = false;
            }
            if (act->chan == MCU_CHAN_BLE)
                ble_host_respond(&fw->ble, act->data, act->len);
            return;
        case ROUTER_ACT_SEND: {
            unsigned se = act->se;
            if (se_port_transmit(&fw->port[se], act->data, act->len) == 0)
                return;
            router_se_done(&fw->router, se, ROUTER_SE_MUTE, 0, 0, act);
            continue;
        }
        case ROUTER_ACT_RESET:
            se_port_activate(&fw->port[act->se]);
            return;
        default:
            return;
        }
    }
}

/* Tells SYSCTL (traced) and the router what SE n is now. */
static void se_state(mcu_fw_t *fw, unsigned n)
{
    se_port_t *p = &fw->port[n];
    router_act_t act;
    mcu_hal_se_state(n, p->state, p->version);
    router_set_se(&fw->router, n, p->state, p->version, &act);
    do_act(fw, &act);
}

static void sense_changed(mcu_fw_t *fw)
{
    uint32_t edges = mcu_hal_take_sense_edges();
    uint32_t sense = mcu_hal_sense();
    for (unsigned n = 0; n < fw->nse; n++) {
        uint32_t bit = MCU_SENSE_PADS_SE(n);
        bool owned = (sense & bit) != 0;
        bool was = (fw->pads & bit) != 0;
        bool pulse = !owned && !was && (edges & bit);   /* up and down */
        if ((owned && !was) || pulse) {
            se_port_hold(&fw->port[n]);
            se_state(fw, n);
        }
        if ((!owned && was) || pulse)
            se_port_activate(&fw->port[n]);
    }
    fw->pads = sense & MCU_SENSE_PADS_MASK;
    mode_refresh(fw);
}

static void nfc_events(mcu_fw_t *fw)
{
    for (;;) {
        nfc_event_t ev;
        nfc_link_read_event(&ev, fw->nfc_rx, sizeof fw->nfc_rx);
        if (ev.type == NFC_EVT_NONE)
            break;
        switch (ev.type) {
        case NFC_EVT_FIELD_ON:
            fw->field = true;
            mode_refresh(fw);
            break;
        case NFC_EVT_FIELD_OFF:
            fw->field = false;
            fw->nfc_held = false;
            fw->nfc_waiting = false;
            router_end(&fw->router, MCU_CHAN_NFC);
            mode_refresh(fw);
            break;
        case NFC_EVT_DESELECTED:
        case NFC_EVT_HALTED:
            fw->nfc_held = false;
            fw->nfc_waiting = false;
            router_end(&fw->router, MCU_CHAN_NFC);
            break;
        case NFC_EVT_APDU:
            memcpy(fw->nfc_cmd, fw->nfc_rx, ev.kept);
            fw->nfc_cmd_len = ev.kept;
            fw->nfc_held = true;
            fw->nfc_waiting = true;
            fw->apdus++;
            break;
        default:    /* ACTIVATED, ERROR: nothing to do */
            break;
        }
    }
    mcu_hal_nfc_rearm();
}

/* The link went down: the host forgets the connection, the router ends
 * BLE's session and cuts its exchange. */
static void ble_down(mcu_fw_t *fw)
{
    ble_host_disconnected(&fw->ble);
    router_end(&fw->router, MCU_CHAN_BLE);
}

static void radio_events(mcu_fw_t *fw)
{
    uint32_t e = mcu_hal_radio_take_events();
    if (e & (MCU_RADIO_EV_CONNECTED | MCU_RADIO_EV_DISCONNECTED)) {
        if ((e & MCU_RADIO_EV_DISCONNECTED) && fw->ble.connected)
            ble_down(fw);
        if (e & MCU_RADIO_EV_CONNECTED) {
            if (fw->ble.connected)      /* a disconnection we did not see */
                ble_down(fw);
            ble_host_connected(&fw->ble);
        }
        /* both in one look, connected then gone */
        if (fw->ble.connected && !mcu_hal_radio_connected())
            ble_down(fw);
        mode_refresh(fw);
    }
    size_t n;
    while ((n = mcu_hal_radio_rx(fw->ble_frame, sizeof fw->ble_frame))) {
        unsigned ev = ble_host_rx(&fw->ble, fw->ble_frame, n, mcu_hal_now());
        if (ev & BLE_XPORT_EV_CANCEL)
            router_cancel(&fw->router, MCU_CHAN_BLE);
        if (ev & BLE_XPORT_EV_MSG)
            fw->apdus++;
    }
}

/* Fills the radio's free TX slots with what the host has to send. */
static void ble_tx(mcu_fw_t *fw)
{
    while (ble_host_tx_ready(&fw->ble)) {
        if (!mcu_hal_radio_tx_free() && !mcu_hal_radio_tx_wait())
            return;     /* TXDONE will wake the loop */
        size_t n = ble_host_next_tx(&fw->ble, fw->ble_frame);
        if (n == 0)
            break;
        mcu_hal_radio_tx(fw->ble_frame, n);
    }
    mcu_hal_radio_tx_idle();
}

/* Routes a waiting APDU of chan; false if it had none. */
static bool route_held(mcu_fw_t *fw, unsigned chan)
{
    router_act_t act;
    if (chan == MCU_CHAN_NFC) {
        if (!fw->nfc_held)
            return false;
        fw->nfc_held = false;
        router_apdu(&fw->router, MCU_CHAN_NFC, fw->nfc_cmd, fw->nfc_cmd_len,
                    &act);
    } else {
        const uint8_t *a;
        size_t n;
        if (!ble_host_take(&fw->ble, &a, &n))
            return false;
        /* the transport's buffer is reused after a CANCEL while the SE
         * may still be reading this one */
        memcpy(fw->ble_cmd, a, n);
        router_apdu(&fw->router, MCU_CHAN_BLE, fw->ble_cmd, n, &act);
    }
    fw->last_chan = (uint8_t)chan;
    do_act(fw, &act);
    return true;
}

static void route_waiting(mcu_fw_t *fw)
{
    unsigned first = fw->last_chan == MCU_CHAN_NFC ? MCU_CHAN_BLE
                                                   : MCU_CHAN_NFC;
    unsigned second = first == MCU_CHAN_NFC ? MCU_CHAN_BLE : MCU_CHAN_NFC;
    if (router_busy(&fw->router))
        return;
    route_held(fw, first);
    if (!router_busy(&fw->router))
        route_held(fw, second);
}

static void ports_poll(mcu_fw_t *fw)
{
    uint32_t now = mcu_hal_now();
    for (unsigned n = 0; n < fw->nse; n++) {
        se_port_t *p = &fw->port[n];
        unsigned ev = se_port_poll(p, now);
        if (ev & SE_PORT_EV_DONE) {
            router_act_t act;
            router_se_done(&fw->router, n, p->result, p->rsp, p->rsp_len,
                           &act);
            do_act(fw, &act);
        }
        if (ev & SE_PORT_EV_STATE)
            se_state(fw, n);
    }
}

/* Arms TIMER for the earliest port or BLE transport deadline. false: one
 * is already due. */
static bool timer_arm(mcu_fw_t *fw)
{
    uint32_t now = mcu_hal_now();
    uint32_t best = 0;
    bool any = ble_host_deadline(&fw->ble, &best);
    for (unsigned n = 0; n < fw->nse; n++) {
        uint32_t when;
        if (!se_port_deadline(&fw->port[n], &when))
            continue;
        if (!any || (int32_t)(when - now) < (int32_t)(best - now))
            best = when;
        any = true;
    }
    if (!any) {
        mcu_hal_timer_off();
        return true;
    }
    if (mcu_hal_due(best, now))
        return false;
    return mcu_hal_timer_arm(best);
}

void mcu_main(void)
{
    mcu_fw_t *fw = &mcu_fw;
    mcu_hal_init();
    fw->nse = mcu_hal_nse();
    router_init(&fw->router, fw->nse, route_cb, 0);
    ble_host_init(&fw->ble);
    {
        uint8_t adv[BLE_HOST_ADV_LEN];
        size_t n = ble_host_adv_data(adv);
        mcu_hal_radio_init(adv, n, BLE_HOST_ADV_INT);
    }
    uint32_t sense = mcu_hal_sense();
    fw->pads = sense & MCU_SENSE_PADS_MASK;
    for (unsigned n = 0; n < fw->nse; n++) {
        se_port_init(&fw->port[n], n);
        if (sense & MCU_SENSE_PADS_SE(n)) {
            se_port_hold(&fw->port[n]);
            se_state(fw, n);
        } else {
            se_port_activate(&fw->port[n]);
        }
    }
    mode_refresh(fw);
    mcu_hal_irq_on();
    for (;;) {
        uint32_t ev = mcu_hal_take_events();
        if (ev & MCU_EV_SENSE)
            sense_changed(fw);
        if (ev & MCU_EV_NFC)
            nfc_events(fw);
        if (ev & MCU_EV_RADIO)
            radio_events(fw);
        ports_poll(fw);
        route_waiting(fw);
        ble_host_poll(&fw->ble, mcu_hal_now());
        ble_tx(fw);
        if (!timer_arm(fw))
            continue;
        mcu_hal_sleep();
    }
}
