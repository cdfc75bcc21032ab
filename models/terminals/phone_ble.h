/* SPDX-License-Identifier: MIT */
/* models/terminals/phone_ble.h - the phone as a Bluetooth LE central: it
 * scans for the card's advertising, connects, runs the connection as the
 * central (anchors, CSA #1, SN/NESN, MD), negotiates the data length and
 * the ATT MTU, discovers the card's APDU service over GATT and exchanges
 * APDUs in the FIDO-like framing of firmware/include/ble_apdu.h.
 *
 * Models: the central side of the air of models/ble_ll.h, living in the
 * scenario's world node. It sends packets on a link to the peripheral
 * (phone_ble_attach_air) and receives the peripheral's packets through
 * phone_ble_air_rx (the rx function of the peripheral -> central link).
 * Every operation is asynchronous, like the NFC side's (phone.h): it takes
 * the present time and a completion callback, called once, in the phone's
 * node, never from inside the call:
 *  - connect: scan 37, 38, 39 (PHONE_BLE_SCAN_WINDOW each, continuously),
 *    CONNECT_IND T_IFS after a connectable ADV_IND's end on its channel,
 *    the first anchor at the start of the transmit window, LL_LENGTH_REQ
 *    (251 octets), ATT Exchange MTU, Read By Group Type (primary services,
 *    whole range), Read By Type (characteristics of the APDU service), Find
 *    Information (APDU-out's CCCD), Read (length characteristic), Write
 *    Request 01 00 to the CCCD; done when the APDU service is ready;
 *  - transmit: one command APDU as MSG fragments of min(length, MTU - 3)
 *    bytes, each a Write Request to APDU-in (its Write Response is the
 *    flow control), then the response collected from APDU-out
 *    notifications (KEEPALIVE restarts the wait, ERROR fails);
 *  - set_interval: LL_CONNECTION_UPDATE_IND, instant 6 events after the
 *    event that first carries it; done at the instant;
 *  - disconnect: LL_TERMINATE_IND (0x13); done when it is acknowledged.
 * Connection parameters drawn from the node's RNG in this order: the
 * access address seed (ble_ll_access_address), CRCInit (24 bits), hop
 * (5..16). WinSize 2, WinOffset 0, latency 0, all 37 channels, SCA 7,
 * supervision timeout cfg.supervision_ms or 100 x interval (bounded to
 * 100 ms .. 32 s).
 * Timing: the central's packets start at the anchor (connection event
 * start) or T_IFS after the end of the peripheral's answer (MD); the
 * answer must start T_IFS (+-2 us) after the end of the central's packet;
 * no answer by then + the air time of the longest allowed packet + 2 us
 * closes the event (the packet is sent again at the next one). The event
 * also closes when the next exchange (our packet and a longest answer)
 * would not end T_IFS before the next anchor. Supervision: the link is
 * lost when no valid packet arrived for the supervision timeout (6
 * intervals after the first anchor before the first one).
 * Traces (only what sinks want): every packet the phone SENDS as
 * TRACE_FRAME (proto BLE_LL, source cfg.name, path cfg.path, dir CMD, data
 * AA..CRC, ble_channel, ble_pdu_type ADV for CONNECT_IND and M2S for
 * data); each whole APDU as TRACE_APDU on cfg.apdu_path: CMD from the
 * start of the first packet of its first fragment to the end of the first
 * transmission of the last packet of its last fragment (published when
 * that packet starts), RSP from the start of the first packet of the
 * first MSG notification to the end of the last one; TRACE_LOG for the
 * connection, the data length, the MTU, the discovery, the disconnection
 * and failures.
 *
 * Reference: Bluetooth Core Specification 5.3: Vol 6 Part B 2.3.3.1
 * (CONNECT_IND), 4.4.2 (scanning, initiating), 4.5.1 (connection setup,
 * transmit window), 4.5.2 (supervision timeout), 4.5.6 (closing connection
 * events, MD), 4.5.8.2 (CSA #1), 4.5.9 (acknowledgement and flow control,
 * SN/NESN), 5.1.1 (connection update), 5.1.3 (termination), 5.1.9 (data
 * length update); Vol 3 Part A 3.1 (L2CAP basic frames), Part F (ATT:
 * 3.4.2 MTU, 3.4.3.1 Find Information, 3.4.4.1 Read By Type, 3.4.4.3
 * Read, 3.4.4.9 Read By Group Type, 3.4.5.1 Write Request, 3.4.7.1
 * Notification), Part G 4.4.1, 4.6.1, 4.7.1 (GATT discovery); CTAP 2.1
 * 11.4 (the framing). docs/phone-ble.md, firmware/include/ble_apdu.h.
 *
 * Notes:
 *  - no RF, exact clocks on both sides (no window widening, no drift);
 *  - a packet that starts in a scan window is received even if it ends in
 *    the next one; ADV_IND only (no ADV_DIRECT_IND, no active scanning);
 *    any connectable advertiser is taken (cfg.peer filters by address);
 *  - a packet with a bad CRC closes the connection event (the spec allows
 *    one more exchange);
 *  - LL_FEATURE_REQ / LL_VERSION_IND are answered, not started; other LL
 *    control PDUs of the peripheral get LL_UNKNOWN_RSP; no encryption, no
 *    channel map update, no PHY update;
 *  - L2CAP: CID 4 only (signalling and other CIDs are dropped);
 *  - the ATT request timeout is 30 s; the APDU response timeout
 *    (cfg.timeout_ms) runs from the Write Response of the last fragment,
 *    restarted by every notification; no CANCEL is sent;
 *  - the acknowledgement of the peripheral's LL_TERMINATE_IND is the next
 *    packet: the link ends at that packet's end;
 *  - fault injection: phone_ble_drop_rx() ignores the next n packets of
 *    the peripheral, phone_ble_set_loss() drops each with a probability
 *    drawn from the node's RNG (only drawn when the probability is > 0). */
#ifndef MODELS_TERMINALS_PHONE_BLE_H
#define MODELS_TERMINALS_PHONE_BLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/include/ble_apdu.h"
#include "models/ble_ll.h"
#include "models/terminals/cos_update.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/trace.h"

#define PHONE_BLE_SCAN_WINDOW     SIM_MS(10)   /* per advertising channel */
#define PHONE_BLE_SCAN_MS_DEFAULT 10000u       /* connect: scan limit */
#define PHONE_BLE_INTERVAL_DEFAULT 6u          /* 7.5 ms */
#define PHONE_BLE_WIN_SIZE        2u
#define PHONE_BLE_SCA             7u
#define PHONE_BLE_DATA_LEN        251u         /* LL_LENGTH_REQ octets */
#define PHONE_BLE_DATA_TIME_US    2120u        /* and time: (14 + 251) x 8 */
#define PHONE_BLE_ATT_TIMEOUT     SIM_S(30)
#define PHONE_BLE_IFS_TOL         SIM_US(2)
#define PHONE_BLE_CTRL_QUEUE      4u
#define PHONE_BLE_SDU_MAX         (4u + ATT_MTU_MAX)
#define PHONE_BLE_APDU_MAX        BLE_APDU_MSG_MAX

typedef struct phone_ble phone_ble_t;
typedef struct phone_ble_result phone_ble_result_t;

typedef enum phone_ble_op {
    PHONE_BLE_OP_NONE = 0,
    PHONE_BLE_OP_CONNECT,
    PHONE_BLE_OP_DISCONNECT,
    PHONE_BLE_OP_SET_INTERVAL,
    PHONE_BLE_OP_TRANSMIT,
} phone_ble_op_t;

typedef enum phone_ble_status {
    PHONE_BLE_OK = 0,
    PHONE_BLE_ERR_BUSY,     /* another operation runs (returned by the
                             * call; the callback is not called) */
    PHONE_BLE_ERR_STATE,    /* not allowed now: no air link, connected
                             * (connect), not connected, APDU empty or
                             * over PHONE_BLE_APDU_MAX, interval out of
                             * 6..3200 */
    PHONE_BLE_ERR_TIMEOUT,  /* no advertiser in the scan time, no ATT
                             * response, no APDU response in time */
    PHONE_BLE_ERR_NOT_FOUND,/* no APDU service, characteristic or CCCD */
    PHONE_BLE_ERR_PROTOCOL, /* ATT error response, bad framing, response
                             * without SW */
    PHONE_BLE_ERR_CARD,     /* the card answered ERROR (card_error) */
    PHONE_BLE_ERR_DISCONNECTED, /* the link was lost or terminated */
} phone_ble_status_t;

/* Completion of an operation; r (and the bytes it points to) is valid
 * only during the call. The callback may start the next operation. */
typedef void (*phone_ble_done_fn)(void *ctx, sim_time_t now,
                                  const phone_ble_result_t *r);

struct phone_ble_result {
    phone_ble_op_t op;
    phone_ble_status_t status;
    const char *error;      /* "" when status == PHONE_BLE_OK */
    const uint8_t *data;    /* transmit: response data without the SW */
    size_t len;
    uint16_t sw;            /* transmit: SW1 SW2 (0 if none) */
    uint8_t card_error;     /* ERROR's code (PHONE_BLE_ERR_CARD) */
    uint8_t reason;         /* disconnection reason (DISCONNECTED, or the
                             * disconnect operation: 0x13) */
    sim_time_t start, end;

    /* connect */
    unsigned adv_channel;
    sim_time_t adv_end;             /* end of the ADV_IND taken */
    sim_time_t connect_ind_start;
    sim_time_t first_anchor;
    ble_conn_params_t params;
    unsigned mtu;                   /* effective ATT MTU */
    unsigned tx_octets, rx_octets;  /* effective data lengths */
    uint16_t svc_start, svc_end, in_handle, out_handle, cccd_handle,
        len_handle;
    uint16_t len_char;              /* the length characteristic */
    unsigned frag;                  /* fragment size used */

    /* transmit */
    sim_time_t cmd_start, cmd_end, rsp_start;
    unsigned frags_sent, frags_received, keepalives;
};

typedef struct phone_ble_cfg {
    const char *name;       /* trace source: "phone.ble" */
    const char *path;       /* air bus: "ble" */
    const char *apdu_path;  /* APDU path: "BLE>MCU" */
    sim_node_t *node;       /* the world node */
    trace_bus_t *bus;       /* may be NULL */
    uint8_t addr[6];        /* random static address, LSB first as on
                             * air (the top two bits of addr[5] are set);
                             * all zero: C0:45:4E:4F:48:50 */
    const uint8_t *peer;    /* if set: connect only to this AdvA (6) */
    unsigned interval;      /* 1.25 ms units; 0 = 6 (7.5 ms) */
    unsigned mtu;           /* ATT MTU asked; 0 = 517 (23..517) */
    unsigned timeout_ms;    /* APDU response timeout; 0 =
                             * BLE_APDU_REQ_TIMEOUT_MS */
    unsigned supervision_ms;/* 0 = 100 x interval, 100 ms .. 32 s */
    unsigned scan_ms;       /* 0 = PHONE_BLE_SCAN_MS_DEFAULT */
} phone_ble_cfg_t;

typedef struct phone_ble_stats {
    uint64_t packets_sent, packets_received, retransmissions, keepalives,
        apdus, bytes_sent, bytes_received, events, no_answer, crc_errors,
        dropped, duplicates, stray, connections, disconnects;
    uint64_t apdu_bytes;    /* command and response APDUs, SW included */
} phone_ble_stats_t;

/* a data PDU of the central (in flight or queued) */
typedef struct phone_ble_pdu {
    uint8_t llid;
    uint8_t len;
    uint8_t d[BLE_PAYLOAD_MAX];
    bool sdu_first, sdu_last;   /* L2CAP: first / last packet of the SDU */
    int tag;                    /* phone_ble.c's kind of the SDU */
} phone_ble_pdu_t;

struct phone_ble {
    bool tx_md;             /* MD bit of our last packet sent */
    /* configuration */
    const char *name, *path, *apdu_path;
    sim_node_t *node;
    trace_bus_t *bus;
    uint8_t addr[6];
    uint8_t peer[6];
    bool use_peer;
    unsigned interval_default, mtu_asked, supervision_ms;
    sim_time_t rsp_timeout, scan_time;
    sim_link_t *air;        /* central -> peripheral */

    /* link layer */
    int ll;                 /* phone_ble.c's state */
    sim_time_t scan_t0;
    ble_conn_params_t cp;
    uint8_t peer_addr[6];
    bool peer_random;
    sim_time_t anchor0, anchor, interval_t, sup_t;
    uint16_t counter;       /* connEventCounter of the present event */
    bool first_event;
    unsigned csa_last, channel;
    bool in_event;
    int tx_kind;
    sim_time_t tx_end;
    bool got_rx;
    sim_time_t last_rx;
    unsigned sn, nesn;
    phone_ble_pdu_t cur;
    bool cur_valid, cur_sent;
    phone_ble_pdu_t ctrl[PHONE_BLE_CTRL_QUEUE];
    unsigned n_ctrl;
    unsigned tx_octets, rx_octets;
    bool upd_pending, upd_sent;     /* connection update */
    uint16_t upd_interval, upd_timeout, upd_instant;
    bool term_sent;                 /* LL_TERMINATE_IND queued */
    bool term_ack;                  /* peer terminated: ack then end */
    uint8_t term_reason;
    uint8_t last_reason;
    unsigned drop_rx;
    double loss;

    /* L2CAP */
    uint8_t sdu[PHONE_BLE_SDU_MAX];
    size_t sdu_len, sdu_off;
    int sdu_tag;
    uint8_t rsdu[PHONE_BLE_SDU_MAX + 8];
    size_t rsdu_len, rsdu_want;
    bool rsdu_on;
    sim_time_t rsdu_start;

    /* ATT / GATT */
    unsigned mtu;
    int att;                /* the request awaited */
    uint16_t svc_start, svc_end, in_handle, out_handle, cccd_handle,
        len_handle, out_decl, next_decl, len_char;
    bool ready;
    unsigned frag;

    /* the operation in progress */
    phone_ble_op_t op;
    phone_ble_done_fn done;
    void *done_ctx;
    phone_ble_result_t res;
    char msg[200];
    bool in_call;
    sim_event_t seq_ev, tx_ev, rx_tmo_ev, sup_ev, op_tmo_ev;
    bool op_tmo_rsp;        /* op_tmo_ev is the APDU response timeout */

    /* the APDU exchange */
    uint8_t cmd[PHONE_BLE_APDU_MAX + 3];
    size_t msg_len, msg_off;
    unsigned seq_tx;
    bool cmd_sent;
    uint8_t rsp[PHONE_BLE_APDU_MAX];
    size_t rsp_len, rsp_want;
    bool rsp_on;
    unsigned seq_rx;

    cos_update_rsp_fn chan_done;
    void *chan_ctx;

    phone_ble_stats_t stats;
};

void phone_ble_init(phone_ble_t *p, sim_t *sim, const phone_ble_cfg_t *cfg);
/* Cancels the operation in progress (no callback) and drops the link
 * silently (nothing sent). */
void phone_ble_reset(phone_ble_t *p);
void phone_ble_cleanup(phone_ble_t *p);

/* The link that carries the phone's packets to the peripheral (created by
 * the composition or the test, src = the phone's node). */
void phone_ble_attach_air(phone_ble_t *p, sim_link_t *to_peripheral);
/* The rx function of the peripheral -> central link (rx_ctx = the phone). */
void phone_ble_air_rx(void *ctx, const sim_msg_t *msg, sim_time_t now);

/* Operations: PHONE_BLE_OK when started (done is then called exactly
 * once, never from inside the call), PHONE_BLE_ERR_BUSY when another
 * operation runs (done not called). Other refusals come through done. */
/* interval: 1.25 ms units (6..3200), 0 = cfg's. */
phone_ble_status_t phone_ble_connect(phone_ble_t *p, sim_time_t now,
                                     unsigned interval,
                                     phone_ble_done_fn done, void *ctx);
phone_ble_status_t phone_ble_disconnect(phone_ble_t *p, sim_time_t now,
                                        phone_ble_done_fn done, void *ctx);
phone_ble_status_t phone_ble_set_interval(phone_ble_t *p, sim_time_t now,
                                          unsigned interval,
                                          phone_ble_done_fn done, void *ctx);
/* One command APDU (copied, 1..PHONE_BLE_APDU_MAX bytes); needs the APDU
 * service ready (phone_ble_connect done). */
phone_ble_status_t phone_ble_transmit(phone_ble_t *p, sim_time_t now,
                                      const uint8_t *apdu, size_t len,
                                      phone_ble_done_fn done, void *ctx);

/* The phone as a cos_update channel (cos_update_transmit_fn; chan = the
 * phone_ble_t). Non-zero if busy. */
int phone_ble_update_transmit(void *chan, sim_time_t now,
                              const uint8_t *apdu, size_t len,
                              cos_update_rsp_fn done, void *ctx);

/* Fault injection. */
void phone_ble_drop_rx(phone_ble_t *p, unsigned n);
void phone_ble_set_loss(phone_ble_t *p, double probability);

/* Observers. */
bool phone_ble_busy(const phone_ble_t *p);
bool phone_ble_connected(const phone_ble_t *p);   /* link up */
bool phone_ble_ready(const phone_ble_t *p);       /* APDU service ready */
/* The present connection's parameters (NULL when not connected). */
const ble_conn_params_t *phone_ble_params(const phone_ble_t *p);
unsigned phone_ble_mtu(const phone_ble_t *p);
/* The reason of the last disconnection (0 if none yet). */
uint8_t phone_ble_last_reason(const phone_ble_t *p);
const phone_ble_stats_t *phone_ble_stats(const phone_ble_t *p);
const char *phone_ble_status_name(phone_ble_status_t s);
const char *phone_ble_op_name(phone_ble_op_t op);

#endif /* MODELS_TERMINALS_PHONE_BLE_H */
