/* SPDX-License-Identifier: MIT */
/* sim/pcap_sink.h - trace sinks writing pcap files (apdu.pcap, nfc.pcap,
 * ble.pcap) through libpcap, nanosecond timestamps = sim time.
 *
 * Packet layouts follow PROTOCOLS.md (pcap section) exactly:
 *  - PCAP_SINK_APDU, LINKTYPE_WIRESHARK_UPPER_PDU (252): TRACE_APDU and
 *    TRACE_ATR records. Exported-PDU TLVs (tag u16 BE, length u16 BE = the
 *    value's length padded to a multiple of 4, value zero-padded): 12
 *    dissector "iso7816" or "iso7816.atr"; 35 P2P direction u32 BE, 0 for a
 *    command, 1 for a response (an ATR without a direction counts as a
 *    response); 33 protocol column = the record's path (left out if it has
 *    none); 36 info column = the record's text (only if it has one); 0 end
 *    (length 0); then the APDU or ATR bytes.
 *  - PCAP_SINK_NFC, LINKTYPE_ISO_14443 (264): TRACE_FRAME records with
 *    proto TRACE_PROTO_NFC_A. Header version 0, event (u.frame.nfc_event;
 *    0 is taken as "not set": 0xFE for a command, 0xFF otherwise), length
 *    u16 BE of what follows, then the frame bytes (none for field on/off).
 *  - PCAP_SINK_BLE, LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR (256): TRACE_FRAME
 *    records with proto TRACE_PROTO_BLE_LL. 10-byte little-endian header:
 *    RF channel (from the channel index u.frame.ble_channel: advertising
 *    37, 38, 39 are RF 0, 12, 39; data 0..10 are RF 1..11, 11..36 are RF
 *    13..38), signal PCAP_SINK_BLE_SIGNAL_DBM, noise 0 (not valid), AA
 *    offenses 0, reference AA = the first 4 data bytes, flags dewhitened |
 *    signal valid | ref AA valid (only with >= 4 data bytes) | pdu type << 7
 *    | CRC checked | CRC good if crc_ok; then the record's bytes (AA,
 *    header, payload, CRC).
 * Packets longer than the snap length (65535) are cut to it, with their
 * full length in the record header.
 *
 * Host I/O stays here: models never include this file. */
#ifndef SIM_PCAP_SINK_H
#define SIM_PCAP_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/trace.h"

typedef enum pcap_sink_format {
    PCAP_SINK_APDU, /* apdu.pcap */
    PCAP_SINK_NFC,  /* nfc.pcap */
    PCAP_SINK_BLE,  /* ble.pcap */
    PCAP_SINK_FORMAT_COUNT
} pcap_sink_format_t;

#define PCAP_SINK_SNAPLEN 65535
/* No RF is modelled: every BLE packet is "received" at this level. */
#define PCAP_SINK_BLE_SIGNAL_DBM (-40)

struct pcap;
struct pcap_dumper;
typedef struct pcap_sink_fmt pcap_sink_fmt_t;

typedef struct pcap_sink {
    const pcap_sink_fmt_t *fmt;
    struct pcap *pcap;          /* a dead handle: linktype, precision */
    struct pcap_dumper *dumper;
    FILE *f;
    char *path;                 /* for error messages */
    char *iobuf;                /* large stdio buffer */
    uint8_t *pkt;               /* packet under construction, reused */
    size_t pkt_cap;
    uint64_t packets;           /* packets written */
} pcap_sink_t;

/* Creates (truncates) the pcap file at path for fmt and writes its file
 * header. Returns 0, or -1 with a message naming the path in err. */
int pcap_sink_open(pcap_sink_t *ps, pcap_sink_format_t fmt, const char *path,
                   char *err, size_t errlen);

/* Fills out with a sink for ps: the kinds its format takes; its close is
 * pcap_sink_close. */
void pcap_sink_sink(pcap_sink_t *ps, trace_sink_t *out);

/* Writes rec as one packet if the format takes it (kind, and protocol for
 * frames); other records are ignored. */
void pcap_sink_write(pcap_sink_t *ps, const trace_rec_t *rec);

/* Flushes and closes; frees ps's storage. Idempotent. Returns 0, or -1
 * with a message naming the file in err if a write failed. */
int pcap_sink_close(pcap_sink_t *ps, char *err, size_t errlen);

/* Conventional file name of a format ("apdu.pcap"), its pcap linktype,
 * and the trace kinds it takes. */
const char *pcap_sink_file_name(pcap_sink_format_t fmt);
int pcap_sink_linktype(pcap_sink_format_t fmt);
uint32_t pcap_sink_mask(pcap_sink_format_t fmt);

#endif /* SIM_PCAP_SINK_H */
