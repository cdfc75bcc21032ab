/* SPDX-License-Identifier: MIT */
/* models/nfc.h - the card's NFC front end: an ISO/IEC 14443-A card
 * emulation chip (in the spirit of an NXP PN7150 or ST25R in card
 * emulation, simpler) that runs layers 3 and 4 in hardware and hands the
 * MCU whole APDUs and field events over SPI (firmware/include/nfc_spi.h).
 *
 * Models:
 *  - the air side (models/iso14443.h): field on/off, the carrier clock
 *    (cycle 0 = the `sent` time of the FIELD on message), frames received
 *    whole at their end, answers sent at exact carrier edges;
 *  - ISO 14443-3 type A: states POWER-OFF, IDLE, READY(*), ACTIVE(*),
 *    HALT; REQA/WUPA -> ATQA, anticollision (NVB 0x20) and SELECT (NVB
 *    0x70) over 1, 2 or 3 cascade levels, HLTA; answers at FDT
 *    n = 9 (1172 or 1236 fc after the PCD frame's end);
 *  - ISO 14443-4: RATS/ATS, I-blocks with chaining both ways, R(ACK) and
 *    R(NAK) with the block-number rules of 14443-4 7.5.4, CID, automatic
 *    S(WTX) while the MCU works on an APDU, S(DESELECT); layer-4 answers
 *    at the first slot n * 128 + 84/20 fc (n >= 9) after the PCD frame's
 *    end that is not before the answer is ready;
 *  - the SPI slave (one transaction per chip-select period), the event
 *    queue and the IRQ pin (high while the queue is not empty).
 *
 * Reference: ISO/IEC 14443-3:2018 6.2-6.5 (frames, FDT, states, ATQA,
 * anticollision, SAK), 14443-4:2018 5 (RATS, ATS), 7 (blocks, CID,
 * chaining, WTX, block handling rules, DESELECT). docs/nfc.md.
 *
 * Notes:
 *  - one PICC in the field: anticollision answers the whole UID (NVB 0x20
 *    only; bit-oriented anticollision frames are treated as unexpected);
 *  - 106 kbit/s only (TA1 = 0x00); no PPS; SFGT is announced but the chip
 *    does not enforce it on the PCD; NAD is not supported;
 *  - blocks longer than the PCD's frame would allow are accepted up to
 *    ISO14443_FRAME_MAX (FSC is not enforced on received blocks);
 *  - HLTA is honoured in layer 4 too (a 50 00 frame cannot be a valid
 *    block), with NFC_EVT_HALTED; REQA/WUPA are ignored in layer 4;
 *  - STATUS is sampled at the end of the transaction's first byte.
 *
 * Wiring: the chip lives in the MCU's node. The PCD -> PICC link has
 * nfc_air_rx as its receive function (ctx = the nfc_t); nfc_attach_air()
 * gives it the PICC -> PCD link (max_len >= ISO14443_FRAME_MAX). The MCU
 * calls nfc_spi_cs() and nfc_spi_xfer() with ctx = the nfc_t. */
#ifndef MODELS_NFC_H
#define MODELS_NFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/include/nfc_spi.h"
#include "models/iso14443.h"
#include "sim/clock.h"
#include "sim/event.h"
#include "sim/sim.h"
#include "sim/time.h"
#include "sim/trace.h"

/* Defaults (nfc_cfg_default) */
#define NFC_DEFAULT_FSCI        8u      /* FSC 256 */
#define NFC_DEFAULT_FWI         7u      /* FWT 524288 fc = 38.66 ms */
#define NFC_DEFAULT_SFGI        0u
#define NFC_DEFAULT_WTXM        1u
/* The automatic S(WTX) is decided this many carrier cycles before the
 * (extended) FWT runs out, and sent at the first slot from then on. */
#define NFC_WTX_MARGIN_FC       1024u
/* SW the chip answers by itself to a C-APDU longer than NFC_APDU_MAX. */
#define NFC_SW_OVERFLOW         0x6700u

typedef struct nfc_cfg {
    const char *name;       /* trace source and messages: "nfc" */
    sim_node_t *node;       /* the MCU's node */
    trace_bus_t *bus;       /* may be NULL */
    uint8_t uid[10];
    unsigned uid_len;       /* 4, 7 or 10 */
    unsigned fsci;          /* 0..8 */
    unsigned fwi;           /* 0..14 */
    unsigned sfgi;          /* 0..14 */
    uint8_t hist[15];       /* historical bytes of the ATS */
    unsigned hist_len;
    unsigned wtxm;          /* 1..59 */
    void (*irq)(void *ctx, sim_time_t now, bool level); /* may be NULL */
    void *irq_ctx;
} nfc_cfg_t;

/* ISO 14443-3 states (layer 4 is ACTIVE with `l4` set) */
typedef enum nfc_l3_state {
    NFC_POWER_OFF,
    NFC_IDLE,
    NFC_READY,
    NFC_ACTIVE,
    NFC_HALT,
} nfc_l3_state_t;

typedef struct nfc_event_slot {
    uint8_t type;
    uint16_t len;
    uint8_t data[NFC_APDU_MAX];
} nfc_event_slot_t;

typedef struct nfc {
    /* configuration */
    const char *name;
    sim_node_t *node;
    trace_bus_t *bus;
    uint8_t uid[10];
    unsigned uid_len, fsci, fwi, sfgi, wtxm;
    uint8_t hist[15];
    unsigned hist_len;
    void (*irq)(void *ctx, sim_time_t now, bool level);
    void *irq_ctx;
    sim_link_t *to_pcd;

    /* field and layer 3 */
    bool field;
    sim_clock_t fc;         /* carrier, edge 0 = field on */
    nfc_l3_state_t state;
    bool from_halt;         /* READY* / ACTIVE* */
    unsigned level;         /* cascade level being resolved, 0.. */
    uint64_t last_end;      /* carrier cycle: end of the last PCD frame */
    unsigned last_bit;      /* its last bit */

    /* layer 4 */
    bool l4;
    unsigned fsd;           /* bytes, from RATS */
    uint8_t cid;            /* from RATS */
    bool blk_cid;           /* the PCD's last block carried a CID */
    unsigned bn;            /* PICC block number */
    uint8_t rx_apdu[NFC_APDU_MAX];
    size_t rx_len, rx_total; /* stored, received (> MAX: overflow) */
    bool rx_chaining;
    bool waiting;           /* APDU handed over, response awaited */
    bool wtx_pending;       /* S(WTX) sent, its response awaited */
    uint8_t resp[NFC_APDU_MAX];
    size_t resp_len, resp_off;
    bool resp_ready;        /* RESPONSE taken (STATUS.TX) */
    bool tx_chaining;       /* a chained I-block sent, R(ACK) awaited */
    uint8_t last_blk[ISO14443_FRAME_MAX]; /* for retransmission */
    size_t last_blk_len;
    int last_kind;

    /* the frame to send */
    uint8_t tx[ISO14443_FRAME_MAX];
    size_t tx_len;
    uint64_t tx_cycle;
    int tx_kind;
    sim_event_t tx_ev;

    /* events */
    nfc_event_slot_t q[NFC_EVENT_QUEUE];
    unsigned q_head, q_len;
    bool q_lost;
    bool irq_level;

    /* SPI transaction */
    bool cs;
    sim_time_t cs_time;
    size_t spi_n;           /* bytes transferred */
    uint8_t spi_cmd;
    bool spi_evt_latched, spi_evt_some;
    uint8_t mosi[3 + NFC_APDU_MAX];

    /* statistics */
    uint64_t frames_in, frames_out, frames_bad, apdus, responses,
        wtx_sent, retransmits, spi_transactions, events_lost;
} nfc_t;

/* Fills cfg with the defaults: name "nfc", UID 08 12 34 56, FSCI 8, FWI
 * 7, SFGI 0, no historical bytes, WTXM 1; node, bus and irq NULL. */
void nfc_cfg_default(nfc_cfg_t *cfg);
/* Returns 0 if cfg's values are in range, else -1 with a message in err
 * (for loaders, which must report input errors rather than die). */
int nfc_cfg_check(const nfc_cfg_t *cfg, char *err, size_t errlen);
/* Values nfc_cfg_check() refuses are fatal here. */
void nfc_init(nfc_t *n, sim_t *sim, const nfc_cfg_t *cfg);
void nfc_cleanup(nfc_t *n);
void nfc_attach_air(nfc_t *n, sim_link_t *to_pcd);

/* The receive function of the PCD -> PICC link (ctx = the nfc_t). */
void nfc_air_rx(void *ctx, const sim_msg_t *msg, sim_time_t now);

/* SPI slave. cs: asserted = chip select low (a transaction starts) or
 * high (it ends). xfer: called at the end of each byte with the byte the
 * MCU sent; returns the byte the chip shifted out during it. */
void nfc_spi_cs(void *ctx, sim_time_t now, bool asserted);
uint8_t nfc_spi_xfer(void *ctx, sim_time_t now, uint8_t mosi);

/* Observers. */
uint8_t nfc_status(const nfc_t *n);
unsigned nfc_events_queued(const nfc_t *n);

#endif /* MODELS_NFC_H */
