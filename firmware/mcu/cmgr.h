/* SPDX-License-Identifier: MIT */
/* firmware/mcu/cmgr.h - the card manager application's command decoding
 * and records (firmware/include/card_manager.h has the AID, INS codes,
 * record layout and status words; docs/mcu-firmware.md the behaviour).
 * What the commands do to sessions and SEs is router.c's.
 *
 * Portable: no register access (host-tested in tests/mcu_fw/). */
#ifndef FIRMWARE_MCU_CMGR_H
#define FIRMWARE_MCU_CMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_manager.h"

/* SELECT by DF name: 00 A4 04 xx Lc AID [Le], a well-formed short APDU.
 * Returns the AID's length (and *aid points at it), or 0. */
size_t cmgr_select_aid(const uint8_t *apdu, size_t len, const uint8_t **aid);

/* The card manager's own SELECT (00 A4 04 00 0A CM_AID [Le]). */
bool cmgr_is_select(const uint8_t *apdu, size_t len);

/* CLA 80 with one of the card manager's INS (LIST, OPEN, RESET, CLOSE):
 * what the router intercepts even inside a session opened with OPEN. */
bool cmgr_is_command(const uint8_t *apdu, size_t len);

typedef struct cmgr_cmd {
    uint8_t ins;        /* CM_INS_* */
    uint8_t se;         /* OPEN, RESET: P1 */
} cmgr_cmd_t;

/* Checks a command for the card manager. Returns CM_SW_OK with *cmd
 * filled, or the status word to answer: CM_SW_CLA (CLA not 80),
 * CM_SW_INS (unknown INS), CM_SW_LENGTH (not a short APDU of case 1 or
 * 2: the commands carry no data), CM_SW_WRONG_P1P2 (LIST/CLOSE: P1 P2
 * not 00 00; OPEN/RESET: P2 not 00), CM_SW_NO_SE (OPEN/RESET: P1 >= nse). */
uint16_t cmgr_decode(const uint8_t *apdu, size_t len, unsigned nse,
                     cmgr_cmd_t *cmd);

/* One LIST/RESET record: se, state (MCU_SE_*), version, flags. */
void cmgr_record(uint8_t out[CM_REC_LEN], unsigned se, unsigned state,
                 unsigned version, bool session);

#endif /* FIRMWARE_MCU_CMGR_H */
