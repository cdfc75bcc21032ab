/* SPDX-License-Identifier: MIT */
/* models/t1_tap.h - a protocol analyser on one ISO 7816 line: from the
 * characters both ways and the RST/VCC levels it recovers the ATR, the PPS
 * exchange, the T=1 blocks and the APDUs they carry, and publishes them as
 * trace records (TRACE_ATR and TRACE_APDU on an APDU path such as
 * "MCU>SE1", TRACE_FRAME T=1 blocks on the line's bus such as "mcu-se1").
 * It is how apdu.pcap shows the MCU -> SE hop: the MCU's firmware is real
 * and keeps no trace, so the trace is taken on the wire, as a logic
 * analyser's decoder would.
 *
 * Models nothing of the card: it only listens (iso7816_port_set_tap).
 *
 * Reference: ISO/IEC 7816-3:2006 clauses 8 (ATR), 9 (PPS), 11 (T=1: block
 * frame, N(S), chaining with the M bit, S(RESYNCH)).
 *
 * Notes:
 *  - a block is taken whole by its LEN byte; a block with a character
 *    error or a wrong EDC is traced (crc_ok false) and carries no APDU
 *    data; an I-block whose N(S) is not the next one expected that way is
 *    a retransmission and is not counted twice;
 *  - T=0 is not decoded (the MCU speaks T=1 to its SEs). */
#ifndef MODELS_T1_TAP_H
#define MODELS_T1_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/lib/t1.h"
#include "sim/time.h"
#include "sim/trace.h"

#define T1_TAP_APDU_MAX 4096u

typedef struct t1_tap_dir {
    uint8_t blk[T1_BLOCK_MAX];
    size_t blk_len;
    bool blk_err;
    sim_time_t blk_start;
    uint8_t ns;              /* N(S) expected next */
    uint8_t apdu[T1_TAP_APDU_MAX];
    size_t apdu_len;
    bool apdu_open, apdu_overflow;
    sim_time_t apdu_start;
} t1_tap_dir_t;

/* Told of each whole APDU the tap sees (from_card: a response): now is
 * when the tap learnt of its last character (the start of a character the
 * terminal sends, the end of one it receives: the port's present), end
 * when that character ends. */
typedef void (*t1_tap_apdu_fn)(void *ctx, bool from_card, sim_time_t now,
                               sim_time_t end);

typedef struct t1_tap {
    const char *source;      /* "mcu.iso1" */
    t1_tap_apdu_fn on_apdu;  /* may be NULL */
    void *on_apdu_ctx;
    const char *bus_path;    /* "mcu-se1" */
    const char *apdu_path;   /* "MCU>SE1" */
    trace_bus_t *bus;
    int phase;
    uint8_t atr[33];
    size_t atr_len;
    sim_time_t atr_start;
    uint8_t edc;
    uint8_t pps[6];
    size_t pps_len;
    bool pps_from_card;
    t1_tap_dir_t dir[2];     /* 0: terminal -> card, 1: card -> terminal */
    uint64_t apdus, blocks, bad_blocks;
} t1_tap_t;

void t1_tap_init(t1_tap_t *t, const char *source, const char *bus_path,
                 const char *apdu_path, trace_bus_t *bus);
/* RST low or VCC off: back to waiting for an ATR. */
void t1_tap_reset(t1_tap_t *t);
/* One character: from_card says its direction; start/end are its start
 * bit and the end of its parity bit; err: parity or framing error. */
void t1_tap_char(t1_tap_t *t, bool from_card, uint8_t b, sim_time_t start,
                 sim_time_t end, bool err);

#endif /* MODELS_T1_TAP_H */
