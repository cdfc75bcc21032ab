/* SPDX-License-Identifier: MIT */
/* models/iso14443.h - the ISO/IEC 14443-A air interface between the phone
 * (PCD) and the card's NFC front end (PICC), carried as kernel messages on
 * two links, and the protocol arithmetic both ends share: CRC_A, frame
 * durations, frame delay times, FWT, FSD/FSC.
 *
 * Models: 106 kbit/s both ways (one bit = 128 carrier cycles, fc = 13.56
 * MHz). The carrier starts when the PCD switches the field on; that
 * instant is carrier cycle 0 for both ends (each keeps a sim_clock_t at fc
 * from it, so every frame time is exact in fc). Messages:
 *  - ISO14443_MSG_FIELD: value 1 on / 0 off, sent at the instant of the
 *    change, delivered ISO14443_AIR_LATENCY later (the PICC's field
 *    detector); the PICC takes the message's `sent` as carrier cycle 0;
 *  - ISO14443_MSG_FRAME: data = the frame's bytes as on air (CRC_A
 *    included where the frame has one); value = the carrier cycle of its
 *    start of communication; sent at its start, delivered at its end;
 *  - ISO14443_MSG_SHORT: a 7-bit short frame (REQA 26, WUPA 52) in data[0].
 * Frame duration: (1 + 9 n) bit periods for n bytes (start bit, 8 data
 * bits + odd parity per byte), 8 bit periods for a short frame; the end of
 * communication is not counted (it falls inside the frame delay time).
 *
 * Reference: ISO/IEC 14443-2:2016 (bit rate fc/128), 14443-3:2018 6.1-6.2
 * (frames, odd parity, CRC_A, frame delay time: n * 128 + 84 fc after a
 * last bit 1, n * 128 + 20 fc after a 0, n = 9 for REQA, WUPA,
 * ANTICOLLISION and SELECT; the PCD waits at least 1172 fc after the PICC's
 * frame), 14443-4:2018 (FWT, SFGT, FSD/FSC). PROTOCOLS.md.
 *
 * Notes:
 *  - one PICC in the field: no collisions, so no bit-oriented anticollision
 *    frames (the PCD asks for the whole UID with NVB 0x20);
 *  - no load modulation physics: a frame is received whole and exact or
 *    not at all (fault injection may drop or corrupt it);
 *  - the air link latency is a modelling latency (the lookahead needs
 *    one); frames arrive at their exact end. */
#ifndef MODELS_ISO14443_H
#define MODELS_ISO14443_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

#define ISO14443_FC_HZ          13560000u
#define ISO14443_BIT_FC         128u        /* 106 kbit/s */
#define ISO14443_AIR_LATENCY    SIM_US(5)
#define ISO14443_FRAME_MAX      (256u + 2u) /* FSD 256 includes the CRC */

/* Delays in carrier cycles */
#define ISO14443_FDT_PCD_MIN_FC 1172u       /* PICC frame end -> PCD frame */
#define ISO14443_FDT_N_L3       9u          /* n for REQA/WUPA/AC/SELECT */
#define ISO14443_POWERUP_FC     67800u      /* 5 ms: unmodulated field before
                                             * the first command */

enum iso14443_msg_kind {
    ISO14443_MSG_FIELD = 1,
    ISO14443_MSG_FRAME,
    ISO14443_MSG_SHORT,
};

/* Layer 3 commands and answers */
#define ISO14443_REQA           0x26u
#define ISO14443_WUPA           0x52u
#define ISO14443_SEL_CL1        0x93u
#define ISO14443_SEL_CL2        0x95u
#define ISO14443_SEL_CL3        0x97u
#define ISO14443_NVB_ANTICOLL   0x20u
#define ISO14443_NVB_SELECT     0x70u
#define ISO14443_CASCADE_TAG    0x88u
#define ISO14443_HLTA           0x50u
#define ISO14443_SAK_ISO14443_4 0x20u
#define ISO14443_SAK_INCOMPLETE 0x04u
#define ISO14443_RATS           0xE0u

/* Layer 4 PCB (PROTOCOLS.md) */
#define ISO14443_PCB_I          0x02u   /* | block number */
#define ISO14443_PCB_CHAIN      0x10u
#define ISO14443_PCB_CID        0x08u
#define ISO14443_PCB_R_ACK      0xA2u   /* | block number */
#define ISO14443_PCB_R_NAK      0xB2u
#define ISO14443_PCB_S_DESELECT 0xC2u
#define ISO14443_PCB_S_WTX      0xF2u
#define ISO14443_IS_I(pcb)      (((pcb) & 0xE2u) == 0x02u)
#define ISO14443_IS_R(pcb)      (((pcb) & 0xE6u) == 0xA2u)
#define ISO14443_IS_S(pcb)      (((pcb) & 0xC7u) == 0xC2u)

/* CRC_A: CRC-16, reflected polynomial 0x8408, initial 0x6363, no final
 * XOR; sent low byte first. */
uint16_t iso14443_crc_a(const uint8_t *p, size_t n);
/* Writes the CRC_A of p[0..n) at p[n], p[n + 1]; returns n + 2. */
size_t iso14443_add_crc(uint8_t *p, size_t n);
/* n includes the two CRC bytes. */
bool iso14443_crc_ok(const uint8_t *p, size_t n);

/* Duration in carrier cycles of a standard frame of n bytes, or of a short
 * frame. */
uint64_t iso14443_frame_fc(size_t n);
#define ISO14443_SHORT_FRAME_FC (8u * ISO14443_BIT_FC)
/* The last bit sent: the odd parity bit of the last byte of a standard
 * frame; bit 6 of a short frame. */
unsigned iso14443_last_bit(const uint8_t *p, size_t n, bool short_frame);
/* Frame delay time PCD -> PICC: n * 128 + 84 (last bit 1) or + 20 (0). */
uint64_t iso14443_fdt_picc_fc(unsigned n, unsigned last_bit);

/* Frame waiting time 256 * 16 * 2^FWI fc (FWI 0..14), and SFGT for SFGI
 * the same way (0: none). */
uint64_t iso14443_fwt_fc(unsigned fwi);
uint64_t iso14443_sfgt_fc(unsigned sfgi);
/* FSDI/FSCI code -> bytes: 16, 24, 32, 40, 48, 64, 96, 128, 256 (codes
 * above 8 are read as 256). */
unsigned iso14443_fs_bytes(unsigned code);

#endif /* MODELS_ISO14443_H */
