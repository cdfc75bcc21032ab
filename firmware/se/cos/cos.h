/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos.h - the COS application: one command APDU in, one
 * response APDU out (docs/se.md "The COS", docs/se-cos.md for every
 * command's bytes and status words). Portable: the chip is reached only
 * through cos_hal.h, so the host tests run this file as it is.
 *
 * Version 1 and 2 are the same code; cos_init's version decides what GET
 * DATA reports and whether BALANCE returns the transaction counter. */
#ifndef FIRMWARE_SE_COS_COS_H
#define FIRMWARE_SE_COS_COS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cos_store.h"

/* Instruction bytes (CLA 00 or 80; INVALIDATE is in cos_image.h) */
#define COS_INS_SELECT          0xA4u   /* CLA 00 */
#define COS_INS_READ_BINARY     0xB0u   /* CLA 00 */
#define COS_INS_UPDATE_BINARY   0xD6u   /* CLA 00 */
#define COS_INS_VERIFY          0x20u   /* CLA 00 */
#define COS_INS_GET_CHALLENGE   0x84u   /* CLA 00 */
#define COS_INS_GET_DATA        0xCAu   /* CLA 80 */
#define COS_INS_CREDIT          0x30u   /* CLA 80 */
#define COS_INS_DEBIT           0x32u   /* CLA 80 */
#define COS_INS_BALANCE         0x34u   /* CLA 80 */

#define COS_GET_DATA_VERSION    0x0001u
#define COS_GET_DATA_SERIAL     0x0002u

#define COS_AID                 { 0xA0, 0x00, 0x00, 0x09, 0x99, 0x01 }
#define COS_AID_LEN             6u
#define COS_PIN                 { '1', '2', '3', '4' }  /* test value */
#define COS_PIN_LEN             4u
#define COS_PIN_MIN             4u      /* Lc accepted by VERIFY */
#define COS_PIN_MAX             8u
#define COS_CHALLENGE_LEN       8u
#define COS_SIG_LEN             64u
#define COS_INVALIDATE_LABEL    "INVALIDATE"

#define COS_RESP_MAX            (256u + 2u)  /* data + SW1 SW2 */

typedef struct cos {
    uint32_t version;
    bool store_ready;           /* the data area has been read */
    cos_store_t store;
    bool challenge_valid;       /* set by GET CHALLENGE, used once */
    uint8_t challenge[COS_CHALLENGE_LEN];
    bool reset_requested;       /* INVALIDATE done: send, then reset */
} cos_t;

/* Starts the application. No flash access: the data area is read at the
 * first command (the ATR must leave within 40 000 CLK cycles of RST). */
void cos_init(cos_t *c, uint32_t version);

/* Runs one command APDU (len bytes) and writes the response (data, SW1,
 * SW2) into resp, which holds COS_RESP_MAX bytes and must not overlap the
 * command. Returns the response length (>= 2). */
size_t cos_process(cos_t *c, const uint8_t *apdu, size_t len, uint8_t *resp);

/* True once an INVALIDATE succeeded: the transport sends the response,
 * then requests a system reset. */
bool cos_reset_requested(const cos_t *c);

#endif /* FIRMWARE_SE_COS_COS_H */
