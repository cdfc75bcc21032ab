/* SPDX-License-Identifier: MIT */
/* viewer/model.h - what the bus viewer knows of the card: built only from
 * trace records (view_model_record is a trace sink's record callback), so
 * the simulation is the same with or without the viewer. No SDL here: the
 * model is plain data, tested on its own (tests/test_view_model.c), and
 * drawn by viewer/render.c.
 *
 * Mapping of the trace (docs/trace-format.md) to the model:
 *  - TRACE_LINE_BYTE on "contact" (the reader's port): lane "contact";
 *    on "mcu-se<i>" (the MCU's port i): lane "mcu-se<i>"; on "spi": lane
 *    "spi". dir CMD = from the terminal side (towards the SE / NFC chip).
 *  - TRACE_FRAME NFC_A (path "nfc"): lane "nfc"; events FC/FD = the field.
 *    TRACE_FRAME BLE_LL (path "ble"): lane "ble" (pdu type 3 = from the
 *    card). TRACE_FRAME SPI: lane "spi". TRACE_FRAME T1: not drawn (its
 *    bytes are).
 *  - TRACE_APDU: the APDU list (command on dir CMD, completed by the next
 *    response on the same path); TRACE_ATR on a path ending "SE<n>": SE n's
 *    state from the historical bytes ("CSLDR" vv: loader, "CSCOS" vv: COS
 *    version vv, else unknown).
 *  - TRACE_SIGNAL "contact.route" (level = SE), "contact.SE<i>" (the pads
 *    own SE i), "contact.VCC", "mcu-se<i>.VCC": routing and power.
 *  - TRACE_FLASH_OP from "se<i>.flash": lane "flash se<i>", SE i busy
 *    until the operation's end, programmed bytes into the image area
 *    (address >= 0x10004000) counted as update progress.
 *  - TRACE_MODE path "mode": the working mode; path "route": the MCU's last
 *    routing decision (text).
 * Every drawn item keeps its start and end time, so the renderer can show
 * any instant up to `now`: a byte is lit on its wire while start <= t <
 * end and moves along it. */
#ifndef VIEWER_MODEL_H
#define VIEWER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"
#include "sim/trace.h"

#define VIEW_MAX_SE         8
#define VIEW_SPANS          4096    /* kept per lane (a ring) */
#define VIEW_APDUS          64      /* kept in the APDU list (a ring) */

/* Channels: the colour of a wire or lane */
typedef enum view_chan {
    VIEW_CH_CONTACT,    /* the contact reader, the pads */
    VIEW_CH_NFC,        /* the phone's NFC air */
    VIEW_CH_BLE,        /* the phone's BLE air */
    VIEW_CH_MCU_SE,     /* an MCU port to an SE */
    VIEW_CH_SPI,        /* MCU <-> NFC front end */
    VIEW_CH_FLASH,      /* an SE's flash */
    VIEW_CH_COUNT,
} view_chan_t;

/* Where traffic runs on the card drawing */
typedef enum view_wire {
    VIEW_W_READER,      /* contact reader <-> pads */
    VIEW_W_PADS_SE,     /* pads <-> switch of SE `se` */
    VIEW_W_MCU_SE,      /* MCU port `se` <-> switch of SE `se` */
    VIEW_W_NFC_AIR,     /* phone <-> NFC front end */
    VIEW_W_BLE_AIR,     /* phone <-> MCU radio */
    VIEW_W_SPI,         /* NFC front end <-> MCU */
    VIEW_W_NONE,        /* a flash lane: no wire */
} view_wire_t;

typedef enum view_span_kind {
    VIEW_SPAN_BYTE,     /* a character / SPI byte */
    VIEW_SPAN_FRAME,    /* an NFC frame, a BLE packet */
    VIEW_SPAN_ERASE,    /* a flash erase */
    VIEW_SPAN_PROGRAM,  /* a flash program */
} view_span_kind_t;

/* One thing on a lane (and, if the lane has a wire, on that wire). */
typedef struct view_span {
    sim_time_t start, end;
    uint8_t kind;       /* view_span_kind_t */
    uint8_t to_card;    /* 1: terminal -> card (dir CMD), 0: card -> terminal */
    uint8_t se;         /* VIEW_W_PADS_SE: the SE routed when it ran */
    uint8_t byte;       /* first byte (a character, a frame's first byte) */
    uint16_t len;       /* bytes (frames, flash operations) */
    uint32_t apdu;      /* id of the APDU it belongs to, 0 if unknown */
} view_span_t;

typedef struct view_lane {
    char name[24];      /* "contact", "nfc", "ble", "spi", "mcu-se1",
                           "flash se1" */
    view_chan_t chan;
    view_wire_t wire;
    uint8_t se;         /* for per-SE lanes and wires */
    view_span_t span[VIEW_SPANS];
    size_t head, count; /* ring: oldest at (head - count) mod VIEW_SPANS */
    uint64_t total;     /* spans ever added */
} view_lane_t;

typedef enum view_se_state {
    VIEW_SE_OFF,        /* no VCC on either port */
    VIEW_SE_POWERED,    /* powered, no ATR seen yet */
    VIEW_SE_LOADER,
    VIEW_SE_COS,
    VIEW_SE_UNKNOWN,    /* an ATR we do not know */
} view_se_state_t;

typedef struct view_se {
    view_se_state_t state;
    unsigned version;       /* COS (or loader) version from the ATR */
    bool vcc_pads, vcc_mcu; /* VCC on each port */
    bool pads_own;          /* the switch: pads (true) or MCU port */
    sim_time_t busy_until;  /* a flash operation runs until then */
    uint64_t image_bytes;   /* bytes programmed into the image area */
    uint64_t erases, programs;
} view_se_t;

typedef struct view_apdu {
    uint32_t id;            /* 1, 2, ... */
    char path[24];          /* "NFC>MCU", "MCU>SE1", "CONTACT>SE0" */
    char name[24];          /* decoded command: "SELECT", "LOAD 12", ... */
    uint8_t cmd[8];         /* its first bytes */
    size_t cmd_len;         /* its whole length */
    sim_time_t start, cmd_end, end; /* end: response's end (answered) */
    bool answered;
    uint16_t sw;
    size_t rsp_len;         /* data bytes of the response */
} view_apdu_t;

typedef struct view_model {
    unsigned n_se;
    bool has_mcu;
    sim_time_t now;         /* time of the last record taken */
    view_lane_t *lanes;     /* n_lanes, allocated by init */
    size_t n_lanes;
    view_se_t se[VIEW_MAX_SE];
    unsigned route;         /* the SE the pads reach */
    bool field;             /* the NFC field is on */
    bool contact_vcc;
    char mode[32];          /* "none", "contact+nfc", ... ("" before any) */
    char route_text[64];    /* the MCU's last routing decision */
    view_apdu_t apdu[VIEW_APDUS]; /* ring */
    size_t apdu_head, apdu_count;
    uint32_t next_apdu_id;
    uint64_t records;       /* records taken */
} view_model_t;

/* Lanes, in drawing order: contact, nfc, ble, spi, mcu-se0..n-1 (if
 * has_mcu), flash se0..n-1. */
void view_model_init(view_model_t *m, unsigned n_se, bool has_mcu);
void view_model_cleanup(view_model_t *m);
/* A trace sink's record callback (ctx = the model). */
void view_model_record(void *ctx, const trace_rec_t *rec);

/* The lane named `name`, or NULL. */
view_lane_t *view_model_lane(view_model_t *m, const char *name);
/* Span i of a lane, 0 = the oldest kept. */
const view_span_t *view_lane_span(const view_lane_t *l, size_t i);
/* APDU i of the list, 0 = the oldest kept. */
const view_apdu_t *view_model_apdu(const view_model_t *m, size_t i);
/* The APDU with this id, or NULL if no longer kept. */
const view_apdu_t *view_model_apdu_by_id(const view_model_t *m, uint32_t id);

/* The command's name: "SELECT", "READ BINARY", "GET DATA", "VERIFY",
 * "CREDIT", "DEBIT", "BALANCE", "GET CHALLENGE", "BEGIN", "LOAD 12",
 * "STATUS", "COMMIT", "INVALIDATE", "LIST", "OPEN SE1", "RESET SE2",
 * "CLOSE", or "CLA INS" in hex. */
void view_apdu_name(const uint8_t *cmd, size_t len, char *out, size_t cap);
const char *view_chan_name(view_chan_t c);
const char *view_se_state_name(view_se_state_t s);

#endif /* VIEWER_MODEL_H */
