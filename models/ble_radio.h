/* SPDX-License-Identifier: MIT */
/* models/ble_radio.h - the MCU's BLE radio: an LE 1M radio with its link
 * layer in hardware (a BLE controller, peripheral role), driven by the MCU
 * firmware through firmware/include/regs/mcu_radio.h as a host drives a
 * controller over HCI: it advertises, accepts a connection, runs the
 * connection events, acknowledges, retransmits, fragments and reassembles
 * L2CAP frames, answers the LL control procedures and supervises the link.
 *
 * Models:
 *  - advertising: ADV_IND (connectable undirected, TxAdd random) on
 *    channels 37, 38, 39; 512 us from the end of one ADV_IND to the start
 *    of the next (T_IFS + a CONNECT_IND + 10 us); advertising events every
 *    advInterval + advDelay, advDelay uniform in 0..10000 us from the
 *    node's RNG stream; a CONNECT_IND (AdvA ours, RxAdd 1) starting
 *    T_IFS +- 2 us after an ADV_IND's end, on its channel, connects;
 *  - the connection (peripheral): transmit window 1.25 ms + WinOffset
 *    after the CONNECT_IND's end, anchors every connInterval from the
 *    central's first packet, channel selection #1 per connection event,
 *    answers T_IFS after each central packet, SN/NESN acknowledgement
 *    and retransmission, MD, two CRC errors close an event; a missed
 *    window is tried again one interval later; supervision timeout (6
 *    intervals before the first packet, reason 0x3E);
 *  - L2CAP fragmentation (LLID start / continuation, at most the
 *    negotiated TX length) and reassembly by the L2CAP length; RX flow
 *    control: a data PDU that finds the RX queue full is not acknowledged;
 *  - LL control in hardware: LENGTH_REQ/RSP (251 octets, 2120 us), FEATURE
 *    (LE Data Packet Length Extension), VERSION_IND (5.3, company 0xFFFF),
 *    CONNECTION_UPDATE_IND and CHANNEL_MAP_IND at their instant,
 *    TERMINATE_IND both ways, UNKNOWN_RSP for anything else.
 *
 * Reference: Bluetooth Core Specification 5.3, Vol 6 Part B: 1.4 (the
 * advertising/connection states), 2.3.1.1 (ADV_IND), 2.3.3.1 (CONNECT_IND),
 * 2.4 (data PDUs), 2.4.2 (LL control PDUs), 4.4.2.2 (advertising events,
 * advDelay), 4.5.1 (connection events), 4.5.2 (supervision), 4.5.3
 * (transmit window), 4.5.6 (closing connection events, MD), 4.5.8.2
 * (CSA #1), 4.5.9 (acknowledgement and flow control), 5.1 (LL control
 * procedures). docs/ble-radio.md.
 *
 * Notes:
 *  - no clock drift: anchors are exact, a central packet must start
 *    within +- 2 us of the anchor (or in the transmit window), no window
 *    widening; peripheral latency is accepted but never used (the radio
 *    listens at every event);
 *  - passive scanning only: SCAN_REQ is ignored (no SCAN_RSP);
 *  - the radio never starts a procedure itself except TERMINATE;
 *  - a PDU is built when its transmission starts (firmware writes up to
 *    then are seen); the data length is applied once our LL_LENGTH_RSP is
 *    acknowledged;
 *  - reassembly happens in the RX slot the frame will occupy, so any new
 *    data PDU needs a free slot (else NESN stays: the central retries);
 *  - no encryption, no 2M/coded PHY, no CSA #2.
 *
 * Wiring: the radio lives in the MCU's node. The central -> radio link
 * (latency BLE_AIR_LATENCY, max_len BLE_PACKET_MAX) has ble_radio_air_rx
 * as its receive function (ctx = the radio); ble_radio_attach_air() gives
 * it the radio -> central link. The MCU maps ble_radio_read/_write/_reset
 * (ctx = the radio) at MCU_RADIO_BASE; cfg.irq drives its NVIC line. */
#ifndef MODELS_BLE_RADIO_H
#define MODELS_BLE_RADIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/include/regs/mcu_radio.h"
#include "models/ble_ll.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/time.h"
#include "sim/trace.h"

/* Accepted error on a central packet's start (anchor, T_IFS) */
#define BLE_RADIO_RX_TOL        SIM_US(2)
/* From the end of an ADV_IND to the start of the next one */
#define BLE_RADIO_ADV_GAP       SIM_US(512)
#define BLE_RADIO_ADV_DELAY_MAX_US 10000u
#define BLE_RADIO_LL_VERSION    0x0Cu   /* Core 5.3 */
#define BLE_RADIO_COMPANY       0xFFFFu
#define BLE_RADIO_SUBVERSION    0x0601u
#define BLE_RADIO_MAX_OCTETS    251u
#define BLE_RADIO_MAX_TIME      2120u   /* us */
#define BLE_RADIO_FEATURES0     0x20u   /* LE Data Packet Length Extension */
/* Error codes beyond ble_ll.h's */
#define BLE_ERR_INSTANT_PASSED  0x28u
#define BLE_ERR_CONN_FAILED     0x3Eu

typedef struct ble_radio_cfg {
    const char *name;           /* "radio": trace source */
    sim_node_t *node;           /* the MCU's node */
    trace_bus_t *bus;           /* may be NULL */
    uint8_t addr[6];            /* random static: top two bits of addr[5] */
    void (*irq)(void *ctx, sim_time_t now, bool level);
    void *irq_ctx;
} ble_radio_cfg_t;

typedef enum ble_radio_state {
    BLE_RADIO_IDLE,
    BLE_RADIO_ADV,
    BLE_RADIO_CONN,
} ble_radio_state_t;

typedef struct ble_radio_stats {
    uint64_t tx_packets;        /* every packet sent (adv and data) */
    uint64_t rx_packets;        /* packets taken with a good CRC */
    uint64_t retransmissions;   /* data PDUs sent again (NESN unchanged) */
    uint64_t crc_errors;        /* packets taken with a bad CRC */
    uint64_t connections;
    uint64_t l2cap_tx_bytes;    /* L2CAP payload (header excluded) of the
                                   frames wholly acknowledged */
    uint64_t l2cap_rx_bytes;    /* L2CAP payload of the frames received */
    uint64_t rx_nacked;         /* data PDUs refused, RX queue full */
} ble_radio_stats_t;

typedef struct ble_radio_frame {
    uint16_t len;
    uint8_t b[MCU_RADIO_FRAME_MAX];
} ble_radio_frame_t;

/* An LL control PDU waiting to be sent (payload: opcode + CtrData) */
typedef struct ble_radio_ctrl {
    uint8_t b[27];
    uint8_t n;
} ble_radio_ctrl_t;

#define BLE_RADIO_CTRL_Q        4u

typedef struct ble_radio {
    const char *name;
    sim_t *sim;
    sim_node_t *node;
    trace_bus_t *bus;
    uint8_t addr[6];
    void (*irq)(void *ctx, sim_time_t now, bool level);
    void *irq_ctx;
    sim_link_t *air;            /* radio -> central */

    /* registers */
    uint32_t ctrl, adv_int, adv_len, event, irqen, disc_reason;
    uint8_t adv_data[32];
    uint8_t txbuf[MCU_RADIO_BUF_SIZE];
    bool irq_level;

    /* frames: TX queue (head being sent) and RX queue (head = RXBUF) */
    ble_radio_frame_t tx[MCU_RADIO_TX_SLOTS];
    unsigned tx_head, tx_n;
    unsigned tx_off;            /* bytes of the head frame acknowledged */
    ble_radio_frame_t rx[MCU_RADIO_RX_SLOTS];
    unsigned rx_head, rx_n;
    bool rx_asm;                /* a frame is being reassembled in slot
                                   (rx_head + rx_n) % RX_SLOTS */
    unsigned rx_asm_len;

    ble_radio_state_t state;
    sim_event_t ev_adv;         /* next ADV_IND */
    sim_event_t ev_conn;        /* next connection event (or window) */
    sim_event_t ev_tx;          /* our answer T_IFS after a central packet */
    sim_event_t ev_sup;         /* supervision timeout / disconnect */

    /* advertising */
    unsigned adv_idx;           /* 0..2: channel 37 + idx next */
    sim_time_t adv_evt_start;

    /* listening: a packet starting in [lo, hi] on ch with aa is taken */
    bool rx_on;
    unsigned rx_ch;
    uint32_t rx_aa, rx_crc_init;
    sim_time_t rx_lo, rx_hi;

    /* connection */
    ble_conn_params_t conn;
    sim_time_t interval, timeout;   /* ps */
    bool established;
    bool window_mode;           /* waiting for the first packet in a window */
    sim_time_t win_start, win_len;
    sim_time_t evt_time;        /* nominal anchor (or window start) */
    bool anchored;              /* this event's first packet was taken */
    uint16_t counter;           /* connEventCounter of the current event */
    unsigned last_unmapped;
    unsigned ch;                /* data channel of the current event */
    unsigned sn, nesn;
    bool rx_md;                 /* MD of the central's last packet */
    unsigned crc_bad;           /* consecutive CRC errors in the event */
    unsigned tx_ch;
    /* the PDU in flight (unacknowledged) */
    uint8_t cur[2 + BLE_PAYLOAD_MAX];
    size_t cur_n;
    bool cur_valid;
    unsigned cur_frag;          /* L2CAP bytes it carries (data PDUs) */
    uint8_t cur_op;             /* its opcode (control PDUs), else 0xFF */
    ble_radio_ctrl_t ctrlq[BLE_RADIO_CTRL_Q];
    unsigned ctrlq_head, ctrlq_n;
    bool version_sent;
    bool terminating;           /* our TERMINATE_IND is queued or sent */
    bool peer_term;             /* the central's TERMINATE_IND was taken */
    uint8_t peer_reason;        /* its error code */
    uint8_t term_reason;        /* its error code */
    unsigned eff_tx, eff_rx;    /* octets in use each way */
    unsigned pend_tx, pend_rx;  /* after our LL_LENGTH_RSP is acked */
    bool upd_pending;
    uint16_t upd_instant;
    uint8_t upd_win_size;
    uint16_t upd_win_offset, upd_interval, upd_latency, upd_timeout;
    bool chm_pending;
    uint16_t chm_instant;
    uint8_t chm_new[5];
    uint8_t sup_reason;         /* reason when ev_sup fires */

    ble_radio_stats_t stats;
} ble_radio_t;

void ble_radio_init(ble_radio_t *r, sim_t *sim, const ble_radio_cfg_t *cfg);
void ble_radio_cleanup(ble_radio_t *r);
/* The radio -> central link (max_len >= BLE_PACKET_MAX). */
void ble_radio_attach_air(ble_radio_t *r, sim_link_t *to_central);
/* Receive function of the central -> radio link (ctx = the radio). */
void ble_radio_air_rx(void *ctx, const sim_msg_t *msg, sim_time_t now);

/* Register access (cpu_mmio_read_fn / _write_fn): addr is the full bus
 * address; registers take word accesses, ADV_DATA, TXBUF and RXBUF byte,
 * halfword and word accesses; anything else is a bus error. */
uint32_t ble_radio_read(void *ctx, uint32_t addr, unsigned size,
                        sim_time_t t, bool *err);
void ble_radio_write(void *ctx, uint32_t addr, uint32_t value, unsigned size,
                     sim_time_t t, bool *err);
/* Chip reset: registers and queues to their reset values, the link
 * dropped silently (the central times out), IRQ low. */
void ble_radio_reset(void *ctx, sim_time_t now);

bool ble_radio_connected(const ble_radio_t *r);

#endif /* MODELS_BLE_RADIO_H */
