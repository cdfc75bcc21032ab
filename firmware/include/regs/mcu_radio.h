/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/mcu_radio.h - the MCU's BLE radio (models/
 * ble_radio.c): an LE 1M radio with its link layer in hardware, as a BLE
 * controller is to its host. The radio advertises, accepts a connection,
 * runs its connection events, acknowledges and retransmits, answers the
 * LL control procedures (data length, features, version, connection and
 * channel map updates, terminate) and supervises the link. The firmware is
 * the host: it sees connection events and whole L2CAP basic frames (4-byte
 * header included), as over HCI ACL, through the registers below
 * (docs/ble.md). Offsets from MCU_RADIO_BASE; word access (the buffers
 * take byte accesses too). */
#ifndef FIRMWARE_INCLUDE_REGS_MCU_RADIO_H
#define FIRMWARE_INCLUDE_REGS_MCU_RADIO_H

#define MCU_RADIO_CTRL          0x000u  /* RW */
#define MCU_RADIO_ADV_INT       0x004u  /* RW: advertising interval, 0.625 ms
                                         * units (32..16384; 0 = 160, 100 ms) */
#define MCU_RADIO_ADDR_LO       0x008u  /* RO: device address bytes 0..3
                                         * (random static, LSB first) */
#define MCU_RADIO_ADDR_HI       0x00Cu  /* RO: bytes 4..5 */
#define MCU_RADIO_ADV_LEN       0x010u  /* RW: AdvData length, 0..31 */
#define MCU_RADIO_STATUS        0x014u  /* RO */
#define MCU_RADIO_EVENT         0x018u  /* RW1C: what happened (below) */
#define MCU_RADIO_IRQEN         0x01Cu  /* RW: EVENT bits that raise IRQ_RADIO */
#define MCU_RADIO_CONN_INT      0x020u  /* RO: connection interval, 1.25 ms */
#define MCU_RADIO_DISC_REASON   0x024u  /* RO: error code of the last
                                         * disconnection (0x08 supervision
                                         * timeout, 0x13 peer terminated,
                                         * 0x16 we terminated) */
#define MCU_RADIO_TX_LEN        0x028u  /* W: queue TXBUF[0..len) as one
                                         * L2CAP frame (4..MCU_RADIO_FRAME_MAX);
                                         * ignored, EVENT.OVR, without a free
                                         * slot or link */
#define MCU_RADIO_RX_LEN        0x02Cu  /* RO: length of the oldest received
                                         * frame in RXBUF, 0 if none */
#define MCU_RADIO_RX_POP        0x030u  /* W: done with RXBUF: the next frame */
#define MCU_RADIO_DATA_LEN      0x034u  /* RO: LL payload length in use each
                                         * way (27 until LL_LENGTH, up to 251) */
#define MCU_RADIO_ADV_DATA      0x100u  /* RW: 32 bytes of AdvData */
#define MCU_RADIO_TXBUF         0x200u  /* RW: 1 KiB, the frame to queue */
#define MCU_RADIO_RXBUF         0x600u  /* RO: 1 KiB, the oldest frame */
#define MCU_RADIO_BUF_SIZE      0x400u

#define MCU_RADIO_FRAME_MAX     (4u + 517u)  /* L2CAP header + ATT MTU 517 */
#define MCU_RADIO_TX_SLOTS      4u
#define MCU_RADIO_RX_SLOTS      4u

#define MCU_RADIO_CTRL_ADV      (1u << 0)   /* advertise while not connected */
#define MCU_RADIO_CTRL_TERMINATE (1u << 1)  /* W1: end the connection
                                             * (LL_TERMINATE_IND 0x13 to the peer,
                                             * DISC_REASON 0x16 here);
                                             * reads 0 */

#define MCU_RADIO_STATUS_CONNECTED (1u << 0)
#define MCU_RADIO_STATUS_ADVERTISING (1u << 1)
#define MCU_RADIO_STATUS_TXFREE (1u << 2)   /* a TX slot is free */
#define MCU_RADIO_STATUS_RXAVAIL (1u << 3)  /* RXBUF holds a frame */

#define MCU_RADIO_EV_CONNECTED  (1u << 0)
#define MCU_RADIO_EV_DISCONNECTED (1u << 1)
#define MCU_RADIO_EV_RX         (1u << 2)   /* a frame arrived */
#define MCU_RADIO_EV_TXDONE     (1u << 3)   /* a queued frame was wholly
                                             * acknowledged by the peer */
#define MCU_RADIO_EV_PARAMS     (1u << 4)   /* interval or data length changed */
#define MCU_RADIO_EV_OVR        (1u << 5)   /* TX_LEN refused */

#endif /* FIRMWARE_INCLUDE_REGS_MCU_RADIO_H */
