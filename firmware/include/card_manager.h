/* SPDX-License-Identifier: MIT */
/* firmware/include/card_manager.h - the card manager application of the
 * MCU firmware: its AID, commands and status words (docs/mcu-firmware.md).
 * Shared by the firmware and the phone's scenario actions. */
#ifndef FIRMWARE_INCLUDE_CARD_MANAGER_H
#define FIRMWARE_INCLUDE_CARD_MANAGER_H

/* SELECT 00 A4 04 00 0A <AID>: "CSMGR" under our RID */
#define CM_AID                  { 0xA0, 0x00, 0x00, 0x09, 0x99, 0x43, \
                                  0x53, 0x4D, 0x47, 0x52 }
#define CM_AID_LEN              10u

#define CM_CLA                  0x80u
/* LIST: 80 10 00 00 00 -> one CM_REC_LEN record per SE, 9000 */
#define CM_INS_LIST             0x10u
/* OPEN: 80 12 <se> 00 -> 9000; later APDUs go to that SE until CLOSE, a
 * card manager SELECT, or the end of the NFC/BLE session */
#define CM_INS_OPEN             0x12u
/* RESET: 80 14 <se> 00 00 -> the SE is reset (RST low, then its ATR and
 * PPS again); returns its new record, 9000 */
#define CM_INS_RESET            0x14u
/* CLOSE: 80 16 00 00 -> 9000 */
#define CM_INS_CLOSE            0x16u

/* LIST / RESET record: se, state (MCU_SE_* of regs/mcu_sysctl.h), version
 * (the ATR's last historical byte: COS version or loader version), flags */
#define CM_REC_LEN              4u
#define CM_FLAG_SESSION         (1u << 0)   /* the session's SE */

/* Status words of the card manager and the router */
#define CM_SW_OK                0x9000u
#define CM_SW_CONTACT           0x6985u /* the pads own that SE: refused */
#define CM_SW_NO_SE             0x6A82u /* no such SE, or no SE has the AID */
#define CM_SW_WRONG_P1P2        0x6A86u
#define CM_SW_NO_SESSION        0x6A88u /* not routed: no session, SELECT an
                                         * AID or OPEN first */
#define CM_SW_SE_MUTE           0x6F00u /* the SE does not answer (T=1 dead,
                                         * no ATR) */
#define CM_SW_INS               0x6D00u
#define CM_SW_CLA               0x6E00u
#define CM_SW_LENGTH            0x6700u

#endif /* FIRMWARE_INCLUDE_CARD_MANAGER_H */
