/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/mcu_sysctl.h - MCU system control: chip id,
 * reset cause, the sense inputs (contact VCC, the per-SE switch pins, the
 * BLE link, the NFC IRQ pin) and two traced status registers through which
 * the firmware reports its working mode and routing decisions (docs/mcu.md).
 * Offsets from MCU_SYSCTL_BASE; 32-bit registers, word access only. */
#ifndef FIRMWARE_INCLUDE_REGS_MCU_SYSCTL_H
#define FIRMWARE_INCLUDE_REGS_MCU_SYSCTL_H

#define MCU_SYSCTL_CHIPID       0x00u   /* RO: 0x4D430000 | number of SEs */
#define MCU_SYSCTL_RESETCAUSE   0x04u   /* RW1C: bit 0 POR, bit 2 SYSRESET */
#define MCU_SYSCTL_SENSE        0x08u   /* RO: input levels (below) */
#define MCU_SYSCTL_SENSE_EDGE   0x0Cu   /* RW1C: bits of SENSE that changed */
#define MCU_SYSCTL_SENSE_IRQEN  0x10u   /* RW: EDGE bits that raise IRQ_SENSE */
#define MCU_SYSCTL_MODE         0x14u   /* RW: detected working mode; every
                                         * write that changes it is traced
                                         * (TRACE_MODE "mode ...") */
#define MCU_SYSCTL_ROUTE        0x18u   /* WO: a routing decision, traced
                                         * (TRACE_MODE "route ...") */
#define MCU_SYSCTL_SE_STATE     0x1Cu   /* WO: (version << 16) | (se << 8) |
                                         * state, traced as the MCU's view
                                         * of an SE */

#define MCU_CHIPID_MAGIC        0x4D430000u
#define MCU_CHIPID_NSE_MASK     0x0000000Fu

#define MCU_RESETCAUSE_POR      (1u << 0)
#define MCU_RESETCAUSE_SYSRESET (1u << 2)

/* SENSE bits */
#define MCU_SENSE_CONTACT_VCC   (1u << 0)   /* the reader powers the pads */
#define MCU_SENSE_BLE_LINK      (1u << 1)   /* BLE connected (scenario stub
                                             * input until the radio exists) */
#define MCU_SENSE_NFC_IRQ       (1u << 2)   /* the NFC front end's IRQ pin */
#define MCU_SENSE_PADS_SE(n)    (1u << (8u + (n))) /* switch of SE n: the
                                             * pads drive it (its status pin) */
#define MCU_SENSE_PADS_MASK     0x0000FF00u

/* MODE value: one bit per channel seen active (0 = no activity). */
#define MCU_MODE_CONTACT        (1u << 0)
#define MCU_MODE_NFC            (1u << 1)
#define MCU_MODE_BLE            (1u << 2)

/* ROUTE value: what the MCU decided for the APDU or session at hand.
 * bits 0-3 SE index, bits 4-7 channel (MCU_CHAN_*), bits 8-11 decision. */
#define MCU_ROUTE(se, chan, dec) \
    ((se) & 0xFu) | (((chan) & 0xFu) << 4) | (((dec) & 0xFu) << 8)
#define MCU_CHAN_NFC            1u
#define MCU_CHAN_BLE            2u
#define MCU_ROUTE_SESSION       1u  /* session opened to SE n */
#define MCU_ROUTE_AID           2u  /* SELECT by AID routed to SE n */
#define MCU_ROUTE_REFUSED_CONTACT 3u /* refused: the pads own SE n */
#define MCU_ROUTE_REFUSED_ABSENT  4u /* refused: SE n does not answer */
#define MCU_ROUTE_CLOSED        5u  /* session to SE n closed */
#define MCU_ROUTE_ABORTED       6u  /* transfer to SE n cut (pads took it,
                                     * field lost) */
#define MCU_ROUTE_NO_AID        7u  /* no SE has the AID (se = 15) */

/* SE_STATE state values (the card manager's view, docs/mcu-firmware.md) */
#define MCU_SE_ABSENT           0u  /* no ATR */
#define MCU_SE_LOADER           1u  /* ATR "CSLDR" vv */
#define MCU_SE_COS              2u  /* ATR "CSCOS" vv */
#define MCU_SE_CONTACT          3u  /* the pads own it */
#define MCU_SE_UNKNOWN          4u  /* an ATR we do not know */

#endif /* FIRMWARE_INCLUDE_REGS_MCU_SYSCTL_H */
