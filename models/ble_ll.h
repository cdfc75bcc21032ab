/* SPDX-License-Identifier: MIT */
/* models/ble_ll.h - the Bluetooth LE air between the phone (central) and
 * the card's radio (peripheral), carried as kernel messages on two links,
 * and the link-layer arithmetic both ends share: packet air time, CRC-24,
 * data whitening, channel selection algorithm #1, PDU and LL control
 * codes, the CONNECT_IND payload.
 *
 * Models: the LE 1M PHY, 1 us per bit; a packet is preamble (1 byte),
 * access address (4), PDU header (2), payload (0..251), CRC (3): (10 +
 * len) * 8 us. One message per packet (BLE_MSG_PACKET): data = the packet
 * as on air from the access address on, dewhitened (AA, header, payload,
 * CRC), exactly what ble.pcap stores after its pseudo-header; value = the
 * channel index (0..39) it is sent on; sent when its preamble starts,
 * delivered when its CRC ends. A receiver takes a packet only if it is
 * listening on that channel, with that access address, when the packet
 * starts (its own business); the CRC is computed by the sender and checked
 * by the receiver (fault injection may corrupt it).
 *
 * Reference: Bluetooth Core Specification 5.3, Vol 6 Part B: 2.1 (packet
 * format, 1M PHY), 2.3 (advertising PDUs: ADV_IND, CONNECT_IND and its
 * LLData), 2.4 (data PDU header: LLID, NESN, SN, MD, length), 2.4.2 (LL
 * control PDUs), 3.1.1 (CRC-24, polynomial x^24 + x^10 + x^9 + x^6 + x^4
 * + x^3 + x + 1, LSB first; 0x555555 on advertising channels), 3.2 (data
 * whitening, x^7 + x^4 + 1 seeded with the channel index), 4.5.8.2
 * (channel selection algorithm #1), 4.1.1 (T_IFS = 150 us). PROTOCOLS.md.
 *
 * Notes:
 *  - no RF: no path loss, no collisions between the one central and the
 *    one peripheral, no clock drift (both ends keep exact time, so no
 *    window widening is needed; the scenario may still inject loss);
 *  - whitening is computed (ble_ll_whiten) but packets travel dewhitened,
 *    as ble.pcap records them;
 *  - the air link latency is a modelling latency: packets arrive at their
 *    exact end, at least 80 us after their start. */
#ifndef MODELS_BLE_LL_H
#define MODELS_BLE_LL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

#define BLE_AIR_LATENCY         SIM_US(5)
#define BLE_ADV_AA              0x8E89BED6u
#define BLE_ADV_CRC_INIT        0x555555u
#define BLE_T_IFS               SIM_US(150)
#define BLE_US_PER_BYTE         8u
#define BLE_PAYLOAD_MAX         251u
/* AA + header + payload + CRC: the bytes of a BLE_MSG_PACKET */
#define BLE_PACKET_MAX          (4u + 2u + BLE_PAYLOAD_MAX + 3u)
#define BLE_DATA_LEN_DEFAULT    27u

enum ble_msg_kind {
    BLE_MSG_PACKET = 1,
};

/* Air time of a packet with `len` payload bytes (1M PHY). */
static inline sim_time_t ble_packet_time(size_t len)
{
    return SIM_US((10u + (uint64_t)len) * BLE_US_PER_BYTE);
}

/* Advertising channel PDU types (header bits 0-3) */
#define BLE_ADV_IND             0x0u
#define BLE_ADV_DIRECT_IND      0x1u
#define BLE_ADV_NONCONN_IND     0x2u
#define BLE_SCAN_REQ            0x3u
#define BLE_SCAN_RSP            0x4u
#define BLE_CONNECT_IND         0x5u
#define BLE_ADV_SCAN_IND        0x6u
#define BLE_ADV_TXADD           (1u << 6)   /* advertiser address random */
#define BLE_ADV_RXADD           (1u << 7)

/* Data channel PDU header, byte 0 */
#define BLE_LLID_MASK           0x03u
#define BLE_LLID_CONT           0x01u   /* L2CAP continuation, or empty */
#define BLE_LLID_START          0x02u   /* L2CAP start (or complete) */
#define BLE_LLID_CTRL           0x03u   /* LL control PDU */
#define BLE_HDR_NESN            (1u << 2)
#define BLE_HDR_SN              (1u << 3)
#define BLE_HDR_MD              (1u << 4)

/* LL control opcodes */
#define BLE_LL_CONNECTION_UPDATE_IND 0x00u
#define BLE_LL_CHANNEL_MAP_IND  0x01u
#define BLE_LL_TERMINATE_IND    0x02u
#define BLE_LL_UNKNOWN_RSP      0x07u
#define BLE_LL_FEATURE_REQ      0x08u
#define BLE_LL_FEATURE_RSP      0x09u
#define BLE_LL_VERSION_IND      0x0Cu
#define BLE_LL_PERIPHERAL_FEATURE_REQ 0x0Eu
#define BLE_LL_LENGTH_REQ       0x14u
#define BLE_LL_LENGTH_RSP       0x15u

/* Error codes (Vol 1 Part F) used in LL_TERMINATE_IND */
#define BLE_ERR_REMOTE_USER_TERMINATED 0x13u
#define BLE_ERR_CONN_TIMEOUT    0x08u
#define BLE_ERR_LOCAL_HOST_TERMINATED 0x16u

/* pcap pseudo-header PDU type (trace_rec_t.u.frame.ble_pdu_type) */
#define BLE_TRACE_ADV           0u
#define BLE_TRACE_M2S           2u
#define BLE_TRACE_S2M           3u

/* CONNECT_IND payload (34 bytes): InitA, AdvA, then LLData. */
#define BLE_CONNECT_IND_LEN     34u
typedef struct ble_conn_params {
    uint8_t init_a[6], adv_a[6];
    uint32_t aa;
    uint32_t crc_init;          /* 24 bits */
    uint8_t win_size;           /* 1.25 ms units */
    uint16_t win_offset;        /* 1.25 ms units */
    uint16_t interval;          /* 1.25 ms units, 6..3200 */
    uint16_t latency;
    uint16_t timeout;           /* 10 ms units */
    uint8_t chm[5];             /* channel map, bit i = data channel i */
    uint8_t hop;                /* 5..16 */
    uint8_t sca;
} ble_conn_params_t;

void ble_connect_ind_encode(const ble_conn_params_t *c, uint8_t out[34]);
/* false if a field is out of range (interval, hop, no channel used). */
bool ble_connect_ind_decode(const uint8_t in[34], ble_conn_params_t *c);

/* CRC-24 of a PDU (header + payload) from init (24 bits). The three CRC
 * bytes go on air in the order crc & 0xFF, crc >> 8, crc >> 16. */
uint32_t ble_crc24(const uint8_t *pdu, size_t n, uint32_t init);
/* Builds a packet: AA (LE), the PDU (header + payload) and its CRC.
 * Returns the packet's length (n + 7). */
size_t ble_packet_build(uint8_t *out, uint32_t aa, const uint8_t *pdu,
                        size_t n, uint32_t crc_init);
/* Checks a packet's length against its header and its CRC; *pdu/ *n the
 * PDU inside. */
bool ble_packet_check(const uint8_t *pkt, size_t len, uint32_t crc_init,
                      const uint8_t **pdu, size_t *n);
/* The access address of a packet. */
uint32_t ble_packet_aa(const uint8_t *pkt);

/* Data whitening in place (or de-whitening: the same), LFSR seeded with
 * the channel index. */
void ble_ll_whiten(uint8_t *p, size_t n, unsigned channel);

/* Channel selection algorithm #1: the next data channel from the last
 * unmapped one. *last holds lastUnmappedChannel (0 before the first
 * event). */
unsigned ble_csa1_next(unsigned *last, unsigned hop, const uint8_t chm[5]);

/* A random-looking but valid access address for a connection (Vol 6 Part
 * B 2.1.2 rules), from a 32-bit seed. */
uint32_t ble_ll_access_address(uint32_t seed);

#endif /* MODELS_BLE_LL_H */
