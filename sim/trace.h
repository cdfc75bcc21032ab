/* SPDX-License-Identifier: MIT */
/* sim/trace.h - the trace bus: typed, time-stamped records from models to
 * sinks (text log, pcap writers, viewer, scenario expectations).
 *
 * Models publish records as things happen. Because nodes advance in
 * lookahead slices, records arrive out of time order across nodes; the bus
 * copies each record into a reorder buffer and hands them to sinks in
 * (time, publication sequence) order once the kernel's watermark has passed
 * them (sim.h: nothing earlier can be published any more). Publication order
 * is deterministic, so sink output is byte-identical across runs.
 *
 * A record is stamped with the time at which what it describes is complete
 * (the last bit of a frame, the stop bit of a character, the end of an
 * APDU); records that span time also carry their start. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/time.h"

typedef enum trace_kind {
    TRACE_LINE_BYTE, /* one character on a serial line (7816 I/O, SPI byte) */
    TRACE_FRAME,     /* one frame/packet/block on a bus (NFC, BLE, T=1) */
    TRACE_APDU,      /* a complete command or response APDU on a path */
    TRACE_ATR,       /* a complete answer-to-reset */
    TRACE_SIGNAL,    /* a level change on a named wire (RST, VCC, field) */
    TRACE_FLASH_OP,  /* a flash erase/program, with address and outcome */
    TRACE_MODE,      /* a working-mode change (claim 5) */
    TRACE_CPU_FAULT, /* a core faulted (HardFault, lockup) */
    TRACE_LOG,       /* free text from a model, the kernel or a scenario */
    TRACE_KIND_COUNT
} trace_kind_t;

#define TRACE_MASK(kind) (1u << (kind))
#define TRACE_MASK_ALL ((1u << TRACE_KIND_COUNT) - 1u)

/* Direction of APDUs, ATRs, frames and bytes. */
typedef enum trace_dir {
    TRACE_DIR_NONE = 0,
    TRACE_DIR_CMD,  /* terminal/host -> card (phone->card, reader->card,
                       MCU->SE, BLE central->peripheral) */
    TRACE_DIR_RSP,  /* card -> terminal/host */
} trace_dir_t;

/* Protocol of a TRACE_FRAME. */
typedef enum trace_proto {
    TRACE_PROTO_NONE = 0,
    TRACE_PROTO_NFC_A,  /* ISO 14443-A frame incl. CRC_A (nfc.pcap) */
    TRACE_PROTO_BLE_LL, /* BLE LL packet: AA, header, payload, CRC (ble.pcap) */
    TRACE_PROTO_T1,     /* ISO 7816-3 T=1 block incl. EDC */
    TRACE_PROTO_SPI,    /* a framed SPI transfer (MCU <-> NFC front end) */
    TRACE_PROTO_TEST,   /* test-node messages of the platform's own bench */
} trace_proto_t;

/* ISO 14443 pcap pseudo-events (PROTOCOLS.md, LINKTYPE 264). */
enum {
    TRACE_NFC_EV_FIELD_ON = 0xFC,
    TRACE_NFC_EV_FIELD_OFF = 0xFD,
    TRACE_NFC_EV_PCD_TO_PICC = 0xFE,
    TRACE_NFC_EV_PICC_TO_PCD = 0xFF,
};

typedef enum trace_flash_op {
    TRACE_FLASH_ERASE,
    TRACE_FLASH_PROGRAM,
} trace_flash_op_t;

typedef struct trace_rec {
    sim_time_t time;    /* completion time (see above) */
    sim_time_t start;   /* start of what it describes; == time if instant */
    trace_kind_t kind;
    const char *source; /* who published: "se0", "reader", "mcu.iso0" */
    const char *path;   /* APDU/ATR path "CONTACT>SE0"; bus of a frame or
                           byte ("contact", "nfc", "ble", "mcu-se1", "spi");
                           wire of a signal ("contact.RST"); may be NULL */
    trace_dir_t dir;
    const uint8_t *data; /* bytes of the APDU/ATR/frame/byte; may be NULL */
    size_t len;
    const char *text;   /* log text, or a short annotation; may be NULL */
    union {
        struct {
            trace_proto_t proto;
            uint8_t nfc_event;  /* TRACE_NFC_EV_* for TRACE_PROTO_NFC_A */
            uint8_t ble_channel; /* BLE channel index 0..39 (37..39 =
                                    advertising); ble.pcap writes the
                                    RF channel it maps to */
            uint8_t ble_pdu_type; /* pcap flags bits 7-9: 0 adv, 2 M->S, 3 S->M */
            bool crc_ok;
        } frame;
        struct {
            int level;          /* new level: 0/1, or a value */
        } signal;
        struct {
            trace_flash_op_t op;
            uint32_t addr;
            uint32_t len;
            int torn;           /* 1 if cut by power loss */
        } flash;
        struct {
            const char *mode;   /* "contact", "contactless-nfc", ... */
        } mode;
        struct {
            uint32_t pc;
            const char *where;  /* "function+0x12" */
        } fault;
        struct {
            int level;          /* 0 info, 1 warning, 2 error */
        } log;
    } u;
} trace_rec_t;

typedef struct trace_sink {
    const char *name;
    uint32_t mask; /* kinds it wants */
    /* Called in time order. Must not keep pointers into rec. */
    void (*record)(void *ctx, const trace_rec_t *rec);
    /* Called once by trace_bus_close(). Returns 0, or -1 with a message in
     * err (e.g. a write failed). */
    int (*close)(void *ctx, char *err, size_t errlen);
    void *ctx;
} trace_sink_t;

#define TRACE_MAX_SINKS 16

typedef struct trace_pending trace_pending_t;

/* Size classes of recycled pending records (trace.c): 128 B << class. */
#define TRACE_FREE_CLASSES 10

typedef struct trace_bus {
    trace_sink_t sinks[TRACE_MAX_SINKS];
    size_t n_sinks;
    uint32_t mask;          /* union of the sinks' masks */
    uint64_t next_seq;
    trace_pending_t **heap; /* reorder buffer, min-heap on (time, seq) */
    size_t n_heap, cap_heap;
    uint64_t published[TRACE_KIND_COUNT]; /* records buffered, per kind */
    sim_time_t last_time;   /* last record released (order check) */
    /* released records kept for reuse, so a steady run does not malloc */
    trace_pending_t *free_list[TRACE_FREE_CLASSES];
    bool warn_hooked;       /* sim_warn() routed here by trace_bus_attach */
    bool closed;            /* trace_bus_close() ran: releases are no-ops */
} trace_bus_t;

void trace_bus_init(trace_bus_t *bus);
/* Hooks the bus to the kernel: releases records at each round's watermark,
 * and routes sim_warn() into TRACE_LOG records (level 1, source and text of
 * the warning; stamped no earlier than the last record released, so a late
 * warning is never fatal) until trace_bus_close(). The bus must outlive
 * every later sim_run_until() of that sim. */
void trace_bus_attach(trace_bus_t *bus, sim_t *sim);
void trace_bus_add_sink(trace_bus_t *bus, const trace_sink_t *sink);

/* True if some sink wants this kind: lets models skip building records. */
static inline bool trace_wants(const trace_bus_t *bus, trace_kind_t kind)
{
    return bus && (bus->mask & TRACE_MASK(kind));
}

/* Copies rec (its data and strings too) into the reorder buffer; does
 * nothing if no sink wants rec->kind. A record earlier than one already
 * released breaks the watermark contract: sim_fatal(). */
void trace_publish(trace_bus_t *bus, const trace_rec_t *rec);

/* Convenience for TRACE_LOG records. */
void trace_logf(trace_bus_t *bus, sim_time_t now, const char *source,
                int level, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Hands every buffered record with time < watermark to the sinks. */
void trace_bus_release(trace_bus_t *bus, sim_time_t watermark);

/* Drops every buffered record without handing it to the sinks, and
 * returns how many. For the end of a run at a time limit: records past the
 * end depend on how far each node ran ahead, so writing them would make
 * outputs differ with the slicing. */
size_t trace_bus_discard(trace_bus_t *bus);

/* Releases everything, closes every sink, frees the buffer. Returns 0, or
 * -1 with the first sink error in err. */
int trace_bus_close(trace_bus_t *bus, char *err, size_t errlen);

/* Name of a kind as written in events.log: "BYTE", "FRAME", "APDU", ... */
const char *trace_kind_name(trace_kind_t kind);

#endif /* SIM_TRACE_H */
