/* SPDX-License-Identifier: MIT */
/* sim/pcap_sink.c - pcap trace sinks: one static table entry per linktype,
 * one writer. Layouts: pcap_sink.h and PROTOCOLS.md. */
#include "sim/pcap_sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "sim/fatal.h"

#define IOBUF_SIZE ((size_t)1 << 20)

/* Packet under construction (grows; reused between packets). */
typedef struct pkt {
    uint8_t *b;
    size_t len, cap;
} pkt_t;

static void pkt_reserve(pkt_t *p, size_t more)
{
    if (p->len + more <= p->cap)
        return;
    size_t cap = p->cap ? p->cap : 512;
    while (cap < p->len + more)
        cap *= 2;
    uint8_t *b = realloc(p->b, cap);
    if (!b)
        sim_fatal_plain("pcap sink: out of memory (%zu byte packet)", cap);
    p->b = b;
    p->cap = cap;
}

static void pkt_put(pkt_t *p, const void *d, size_t n)
{
    if (!n)
        return;
    pkt_reserve(p, n);
    memcpy(p->b + p->len, d, n);
    p->len += n;
}

static void pkt_u8(pkt_t *p, uint8_t v)
{
    pkt_put(p, &v, 1);
}

static void pkt_u16be(pkt_t *p, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    pkt_put(p, b, 2);
}

static void pkt_u16le(pkt_t *p, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    pkt_put(p, b, 2);
}

static size_t rec_len(const trace_rec_t *rec)
{
    return rec->data ? rec->len : 0;
}

/* ---- LINKTYPE_WIRESHARK_UPPER_PDU ---- */

enum {
    EXP_PDU_TAG_END = 0,
    EXP_PDU_TAG_DISSECTOR_NAME = 12,
    EXP_PDU_TAG_COL_PROT_TEXT = 33,
    EXP_PDU_TAG_P2P_DIRECTION = 35,
    EXP_PDU_TAG_COL_INFO_TEXT = 36,
};

/* tshark skips exactly `length` bytes to the next tag, so the length field
 * carries the padded size, not the string's (PROTOCOLS.md). */
static void exp_tlv(pkt_t *p, uint16_t tag, const void *v, size_t n)
{
    static const uint8_t zeros[4];
    if (n > 0xFFFC)
        n = 0xFFFC;
    size_t padded = (n + 3) & ~(size_t)3;
    pkt_u16be(p, tag);
    pkt_u16be(p, (uint16_t)padded);
    pkt_put(p, v, n);
    pkt_put(p, zeros, padded - n);
}

static void exp_tlv_str(pkt_t *p, uint16_t tag, const char *s)
{
    exp_tlv(p, tag, s, strlen(s));
}

static void build_upper_pdu(pkt_t *p, const trace_rec_t *rec)
{
    bool atr = rec->kind == TRACE_ATR;
    bool rsp = rec->dir == TRACE_DIR_RSP || (atr && rec->dir == TRACE_DIR_NONE);
    uint8_t dir[4] = { 0, 0, 0, rsp ? 1 : 0 };
    exp_tlv_str(p, EXP_PDU_TAG_DISSECTOR_NAME, atr ? "iso7816.atr" : "iso7816");
    exp_tlv(p, EXP_PDU_TAG_P2P_DIRECTION, dir, sizeof dir);
    if (rec->path && rec->path[0])
        exp_tlv_str(p, EXP_PDU_TAG_COL_PROT_TEXT, rec->path);
    if (rec->text && rec->text[0])
        exp_tlv_str(p, EXP_PDU_TAG_COL_INFO_TEXT, rec->text);
    exp_tlv(p, EXP_PDU_TAG_END, NULL, 0);
    pkt_put(p, rec->data, rec_len(rec));
}

/* ---- LINKTYPE_ISO_14443 ---- */

static void build_iso14443(pkt_t *p, const trace_rec_t *rec)
{
    uint8_t ev = rec->u.frame.nfc_event;
    if (ev == 0)
        ev = rec->dir == TRACE_DIR_CMD ? TRACE_NFC_EV_PCD_TO_PICC
                                       : TRACE_NFC_EV_PICC_TO_PCD;
    bool field = ev == TRACE_NFC_EV_FIELD_ON || ev == TRACE_NFC_EV_FIELD_OFF;
    size_t n = field ? 0 : rec_len(rec);
    if (n > 0xFFFF)
        n = 0xFFFF;
    pkt_u8(p, 0); /* version */
    pkt_u8(p, ev);
    pkt_u16be(p, (uint16_t)n);
    pkt_put(p, rec->data, n);
}

/* ---- LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR ---- */

enum {
    BLE_FLAG_DEWHITENED = 0x0001,
    BLE_FLAG_SIGNAL_VALID = 0x0002,
    BLE_FLAG_REF_AA_VALID = 0x0010,
    BLE_FLAG_PDU_SHIFT = 7,
    BLE_FLAG_PDU_MASK = 0x0380,
    BLE_FLAG_CRC_CHECKED = 0x0400,
    BLE_FLAG_CRC_GOOD = 0x0800,
};

/* The pseudo-header wants the RF channel (2402 + 2k MHz), on which the
 * three advertising channels sit at 0, 12 and 39; records carry the
 * channel index of the Core spec (data 0..36, advertising 37..39). */
static uint8_t ble_rf_channel(uint8_t index)
{
    switch (index) {
    case 37:
        return 0;
    case 38:
        return 12;
    case 39:
        return 39;
    default:
        return index <= 10 ? (uint8_t)(index + 1) : (uint8_t)(index + 2);
    }
}

static void build_ble_ll(pkt_t *p, const trace_rec_t *rec)
{
    size_t n = rec_len(rec);
    uint16_t flags = BLE_FLAG_DEWHITENED | BLE_FLAG_SIGNAL_VALID |
                     BLE_FLAG_CRC_CHECKED;
    flags |= (uint16_t)(rec->u.frame.ble_pdu_type << BLE_FLAG_PDU_SHIFT) &
             BLE_FLAG_PDU_MASK;
    if (rec->u.frame.crc_ok)
        flags |= BLE_FLAG_CRC_GOOD;
    static const uint8_t no_aa[4];
    const uint8_t *aa = no_aa;
    if (n >= 4) {
        aa = rec->data; /* on air LSB first: already little-endian */
        flags |= BLE_FLAG_REF_AA_VALID;
    }
    pkt_u8(p, ble_rf_channel(rec->u.frame.ble_channel));
    pkt_u8(p, (uint8_t)(int8_t)PCAP_SINK_BLE_SIGNAL_DBM);
    pkt_u8(p, 0); /* noise: not valid */
    pkt_u8(p, 0); /* access-address offenses */
    pkt_put(p, aa, 4);
    pkt_u16le(p, flags);
    pkt_put(p, rec->data, n);
}

/* ---- the table ---- */

struct pcap_sink_fmt {
    const char *file;
    int linktype;
    uint32_t mask;
    trace_proto_t frame_proto; /* TRACE_FRAME records: only this protocol */
    void (*build)(pkt_t *p, const trace_rec_t *rec);
};

static const pcap_sink_fmt_t formats[PCAP_SINK_FORMAT_COUNT] = {
    [PCAP_SINK_APDU] = { "apdu.pcap", 252,
                         TRACE_MASK(TRACE_APDU) | TRACE_MASK(TRACE_ATR),
                         TRACE_PROTO_NONE, build_upper_pdu },
    [PCAP_SINK_NFC] = { "nfc.pcap", 264, TRACE_MASK(TRACE_FRAME),
                        TRACE_PROTO_NFC_A, build_iso14443 },
    [PCAP_SINK_BLE] = { "ble.pcap", 256, TRACE_MASK(TRACE_FRAME),
                        TRACE_PROTO_BLE_LL, build_ble_ll },
};

static const pcap_sink_fmt_t *format(pcap_sink_format_t fmt)
{
    if ((unsigned)fmt >= PCAP_SINK_FORMAT_COUNT)
        sim_fatal_plain("pcap sink: no format %d", (int)fmt);
    return &formats[fmt];
}

const char *pcap_sink_file_name(pcap_sink_format_t fmt)
{
    return format(fmt)->file;
}

int pcap_sink_linktype(pcap_sink_format_t fmt)
{
    return format(fmt)->linktype;
}

uint32_t pcap_sink_mask(pcap_sink_format_t fmt)
{
    return format(fmt)->mask;
}

/* ---- the writer ---- */

int pcap_sink_open(pcap_sink_t *ps, pcap_sink_format_t fmt, const char *path,
                   char *err, size_t errlen)
{
    memset(ps, 0, sizeof *ps);
    const pcap_sink_fmt_t *f = format(fmt);
    ps->fmt = f;
    ps->path = strdup(path);
    ps->iobuf = malloc(IOBUF_SIZE);
    if (!ps->path || !ps->iobuf) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    ps->f = fopen(path, "wb");
    if (!ps->f) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        goto fail;
    }
    setvbuf(ps->f, ps->iobuf, _IOFBF, IOBUF_SIZE);
    ps->pcap = pcap_open_dead_with_tstamp_precision(
        f->linktype, PCAP_SINK_SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
    if (!ps->pcap) {
        snprintf(err, errlen, "%s: libpcap cannot make a linktype %d handle",
                 path, f->linktype);
        goto fail;
    }
    ps->dumper = pcap_dump_fopen(ps->pcap, ps->f);
    if (!ps->dumper) {
        snprintf(err, errlen, "%s: %s", path, pcap_geterr(ps->pcap));
        goto fail;
    }
    return 0;

fail:
    if (ps->f)
        fclose(ps->f);
    if (ps->pcap)
        pcap_close(ps->pcap);
    free(ps->path);
    free(ps->iobuf);
    memset(ps, 0, sizeof *ps);
    return -1;
}

void pcap_sink_write(pcap_sink_t *ps, const trace_rec_t *rec)
{
    const pcap_sink_fmt_t *f = ps->fmt;
    if (!ps->dumper || !(f->mask & TRACE_MASK(rec->kind)))
        return;
    if (rec->kind == TRACE_FRAME && rec->u.frame.proto != f->frame_proto)
        return;
    pkt_t p = { ps->pkt, 0, ps->pkt_cap };
    f->build(&p, rec);
    ps->pkt = p.b;
    ps->pkt_cap = p.cap;

    uint64_t ns = rec->time / 1000u; /* ps -> ns */
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(ns / 1000000000u);
    /* a nanosecond-precision handle takes nanoseconds in tv_usec */
    h.ts.tv_usec = (suseconds_t)(ns % 1000000000u);
    h.len = (bpf_u_int32)p.len;
    h.caplen = p.len > PCAP_SINK_SNAPLEN ? PCAP_SINK_SNAPLEN : h.len;
    pcap_dump((u_char *)ps->dumper, &h, p.b);
    ps->packets++;
}

static void sink_record(void *ctx, const trace_rec_t *rec)
{
    pcap_sink_write(ctx, rec);
}

static int sink_close(void *ctx, char *err, size_t errlen)
{
    return pcap_sink_close(ctx, err, errlen);
}

void pcap_sink_sink(pcap_sink_t *ps, trace_sink_t *out)
{
    memset(out, 0, sizeof *out);
    out->name = ps->fmt ? ps->fmt->file : "pcap";
    out->mask = ps->fmt ? ps->fmt->mask : 0;
    out->record = sink_record;
    out->close = sink_close;
    out->ctx = ps;
}

int pcap_sink_close(pcap_sink_t *ps, char *err, size_t errlen)
{
    if (!ps->dumper)
        return 0;
    int e = 0;
    /* pcap_dump() reports nothing: the stream's error state tells. The
     * final fclose() inside pcap_dump_close() cannot report, but after a
     * successful flush there is nothing left for it to write. */
    errno = 0;
    if (pcap_dump_flush(ps->dumper) != 0)
        e = errno ? errno : EIO;
    if (!e && ferror(ps->f))
        e = EIO;
    pcap_dump_close(ps->dumper); /* closes ps->f */
    pcap_close(ps->pcap);
    int rc = 0;
    if (e) {
        snprintf(err, errlen, "%s: write failed: %s", ps->path, strerror(e));
        rc = -1;
    }
    free(ps->path);
    free(ps->iobuf);
    free(ps->pkt);
    memset(ps, 0, sizeof *ps);
    return rc;
}
