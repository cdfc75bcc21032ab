/* SPDX-License-Identifier: MIT */
/* tests/test_pcap.c - the pcap sinks: every byte re-read through libpcap,
 * then decoded by tshark (when installed) to prove Wireshark agrees. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "sim/pcap_sink.h"
#include "sim/trace.h"
#include "suites.h"
#include "test_tmp.h"


/* ---- checksums, written from the standards, independent of the sim ---- */

/* ISO 14443-3 CRC_A: reflected 0x8408, init 0x6363; sent low byte first. */
static uint16_t crc_a(const uint8_t *d, size_t n)
{
    uint16_t crc = 0x6363;
    for (size_t i = 0; i < n; i++) {
        crc ^= d[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : crc >> 1;
    }
    return crc;
}

/* BLE CRC-24 (Core spec Vol 6 Part B 3.1.1): polynomial 0x00065B, data
 * LSB first. Run as a right-shifting register holding the spec's register
 * bit-reversed (0x65B reversed in 24 bits is 0xDA6000); the 3 CRC bytes
 * are that register's bytes, low first. */
static uint32_t rev24(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 24; i++)
        if (v & (1u << i))
            r |= 1u << (23 - i);
    return r;
}

static uint32_t ble_crc24(const uint8_t *d, size_t n, uint32_t init)
{
    uint32_t state = rev24(init);
    for (size_t i = 0; i < n; i++) {
        uint8_t byte = d[i];
        for (int b = 0; b < 8; b++) {
            uint32_t bit = (state ^ byte) & 1;
            byte >>= 1;
            state >>= 1;
            if (bit)
                state ^= 0xDA6000;
        }
    }
    return state;
}

/* ---- reading back ---- */

typedef struct pkt {
    long sec, nsec;
    uint32_t caplen, len;
    uint8_t b[512];
} pkt_t;

static int read_pcap(const char *path, int *linktype, pkt_t *out, int max)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(
        path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    ck_assert_msg(p != NULL, "%s: %s", path, errbuf);
    *linktype = pcap_datalink(p);
    ck_assert_int_eq(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
    ck_assert_int_eq(pcap_snapshot(p), 65535);
    int n = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        ck_assert_int_lt(n, max);
        ck_assert_uint_le(h->caplen, sizeof out[n].b);
        out[n].sec = (long)h->ts.tv_sec;
        out[n].nsec = (long)h->ts.tv_usec;
        out[n].caplen = h->caplen;
        out[n].len = h->len;
        memcpy(out[n].b, data, h->caplen);
        n++;
    }
    ck_assert_int_eq(rc, PCAP_ERROR_BREAK); /* clean end of file */
    pcap_close(p);
    return n;
}

static void check_pkt(const pkt_t *got, long sec, long nsec,
                      const uint8_t *want, size_t n)
{
    ck_assert_int_eq(got->sec, sec);
    ck_assert_int_eq(got->nsec, nsec);
    ck_assert_uint_eq(got->len, n);
    ck_assert_uint_eq(got->caplen, n);
    ck_assert_mem_eq(got->b, want, n);
}

#define CHECK_PKT(got, sec, nsec, arr) check_pkt(got, sec, nsec, arr, sizeof arr)

/* ---- the records ---- */

static const uint8_t atr[] = { 0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C,
                               0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00,
                               0x01, 0x00, 0x00, 0x00, 0x00, 0x6A };
static const uint8_t select_aid[] = { 0x00, 0xA4, 0x04, 0x00, 0x07,
                                      0xA0, 0x00, 0x00, 0x00, 0x03,
                                      0x10, 0x10, 0x00 };
static const uint8_t sw_ok[] = { 0x90, 0x00 };
static const uint8_t read_binary[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
static const uint8_t read_rsp[] = { 0x01, 0x02, 0x03, 0x04, 0x90, 0x00 };

/* NFC frames are built with their CRC_A at setup */
static uint8_t reqa[] = { 0x26 };
static uint8_t atqa[] = { 0x04, 0x00 };
static uint8_t rats[2 + 2] = { 0xE0, 0x80 };  /* FSDI 8, CID 0 */
/* ATS: TL 5, T0 TA+TB+TC FSCI 8, TA1, TB1 FWI 7, TC1 CID supported */
static uint8_t ats[5 + 2] = { 0x05, 0x78, 0x80, 0x70, 0x02 };
static uint8_t iblock_cmd[13 + 1 + 2]; /* PCB + SELECT + CRC_A */
static uint8_t iblock_rsp[1 + 2 + 2];  /* PCB + 90 00 + CRC_A */

/* BLE ADV_IND: AA, header (ADV_IND, TxAdd random, length 15), AdvA,
 * AD flags 06, AD complete local name "card", CRC */
static uint8_t adv_ind[4 + 2 + 15 + 3] = {
    0xD6, 0xBE, 0x89, 0x8E, 0x40, 0x0F,
    0x11, 0x22, 0x33, 0x44, 0x55, 0xC6,
    0x02, 0x01, 0x06, 0x05, 0x09, 'c', 'a', 'r', 'd',
};
/* empty data PDU (LLID 1) on a connection */
static uint8_t ll_empty[4 + 2 + 3] = { 0x2B, 0x4A, 0x65, 0x50, 0x01, 0x00 };

static void append_crc_a(uint8_t *f, size_t n_without)
{
    uint16_t c = crc_a(f, n_without);
    f[n_without] = (uint8_t)c;
    f[n_without + 1] = (uint8_t)(c >> 8);
}

static void append_crc24(uint8_t *p, size_t n_without, uint32_t init)
{
    uint32_t c = ble_crc24(p + 4, n_without - 4, init);
    p[n_without] = (uint8_t)c;
    p[n_without + 1] = (uint8_t)(c >> 8);
    p[n_without + 2] = (uint8_t)(c >> 16);
}

static void build_frames(void)
{
    append_crc_a(rats, 2);
    append_crc_a(ats, 5);
    iblock_cmd[0] = 0x02;
    memcpy(iblock_cmd + 1, select_aid, sizeof select_aid);
    append_crc_a(iblock_cmd, 1 + sizeof select_aid);
    iblock_rsp[0] = 0x02;
    memcpy(iblock_rsp + 1, sw_ok, sizeof sw_ok);
    append_crc_a(iblock_rsp, 1 + sizeof sw_ok);
    append_crc24(adv_ind, sizeof adv_ind - 3, 0x555555);
    append_crc24(ll_empty, sizeof ll_empty - 3, 0x123456);
}

static trace_rec_t apdu_rec(sim_time_t t, trace_kind_t kind, trace_dir_t dir,
                            const char *path, const char *text,
                            const uint8_t *d, size_t n)
{
    trace_rec_t r = { .time = t, .start = t, .kind = kind,
                      .source = "test", .path = path, .dir = dir,
                      .data = d, .len = n, .text = text };
    return r;
}

static trace_rec_t nfc_rec(sim_time_t t, uint8_t ev, trace_dir_t dir,
                           const uint8_t *d, size_t n)
{
    trace_rec_t r = { .time = t, .start = t, .kind = TRACE_FRAME,
                      .source = "reader", .path = "nfc", .dir = dir,
                      .data = d, .len = n,
                      .u.frame = { .proto = TRACE_PROTO_NFC_A,
                                   .nfc_event = ev, .crc_ok = true } };
    return r;
}

static trace_rec_t ble_rec(sim_time_t t, uint8_t ch, uint8_t pdu, bool ok,
                           const uint8_t *d, size_t n)
{
    trace_rec_t r = { .time = t, .start = t, .kind = TRACE_FRAME,
                      .source = "phone", .path = "ble", .dir = TRACE_DIR_CMD,
                      .data = d, .len = n,
                      .u.frame = { .proto = TRACE_PROTO_BLE_LL,
                                   .ble_channel = ch, .ble_pdu_type = pdu,
                                   .crc_ok = ok } };
    return r;
}

/* Publishes everything on one bus feeding the three writers (plus records
 * none of them takes) and closes it. */
static void write_all(void)
{
    static const pcap_sink_format_t fmts[] = { PCAP_SINK_APDU, PCAP_SINK_NFC,
                                               PCAP_SINK_BLE };
    pcap_sink_t ps[3];
    trace_bus_t bus;
    char err[256] = "";
    trace_bus_init(&bus);
    for (int i = 0; i < 3; i++) {
        trace_sink_t s;
        const char *path = test_tmp_path(pcap_sink_file_name(fmts[i]));
        ck_assert_int_eq(pcap_sink_open(&ps[i], fmts[i], path, err,
                                        sizeof err), 0);
        pcap_sink_sink(&ps[i], &s);
        trace_bus_add_sink(&bus, &s);
    }
    static const uint8_t junk[] = { 0xFF, 0xEE };
    const trace_rec_t recs[] = {
        /* apdu.pcap */
        apdu_rec(SIM_US(100) + 1999, TRACE_ATR, TRACE_DIR_RSP, "CONTACT>SE0",
                 NULL, atr, sizeof atr),
        apdu_rec(SIM_MS(1), TRACE_APDU, TRACE_DIR_CMD, "CONTACT>SE0",
                 "SELECT AID", select_aid, sizeof select_aid),
        apdu_rec(SIM_S(2) + SIM_NS(5) + 999, TRACE_APDU, TRACE_DIR_RSP,
                 "CONTACT>SE0", NULL, sw_ok, sizeof sw_ok),
        apdu_rec(SIM_S(3), TRACE_APDU, TRACE_DIR_CMD, "NFC>MCU>SE1", "READ",
                 read_binary, sizeof read_binary),
        apdu_rec(SIM_S(3) + SIM_US(500) + 1, TRACE_APDU, TRACE_DIR_RSP,
                 "NFC>MCU>SE1", NULL, read_rsp, sizeof read_rsp),
        /* nfc.pcap; the field-off record's bytes must not be written, and
         * event 0 on a response means PICC -> PCD */
        nfc_rec(SIM_US(10), TRACE_NFC_EV_FIELD_ON, TRACE_DIR_NONE, NULL, 0),
        nfc_rec(SIM_US(20), TRACE_NFC_EV_PCD_TO_PICC, TRACE_DIR_CMD, reqa,
                sizeof reqa),
        nfc_rec(SIM_US(30), TRACE_NFC_EV_PICC_TO_PCD, TRACE_DIR_RSP, atqa,
                sizeof atqa),
        nfc_rec(SIM_US(32), TRACE_NFC_EV_PCD_TO_PICC, TRACE_DIR_CMD, rats,
                sizeof rats),
        nfc_rec(SIM_US(34), TRACE_NFC_EV_PICC_TO_PCD, TRACE_DIR_RSP, ats,
                sizeof ats),
        nfc_rec(SIM_US(40), TRACE_NFC_EV_PCD_TO_PICC, TRACE_DIR_CMD,
                iblock_cmd, sizeof iblock_cmd),
        nfc_rec(SIM_US(50), 0, TRACE_DIR_RSP, iblock_rsp, sizeof iblock_rsp),
        nfc_rec(SIM_US(60), TRACE_NFC_EV_FIELD_OFF, TRACE_DIR_NONE, junk,
                sizeof junk),
        /* ble.pcap */
        ble_rec(SIM_MS(5) + 123456, 37, 0, true, adv_ind, sizeof adv_ind),
        ble_rec(SIM_MS(6), 10, 2, true, ll_empty, sizeof ll_empty),
        /* nobody's: a T=1 frame, a log line */
        { .time = SIM_US(70), .kind = TRACE_FRAME, .source = "mcu",
          .data = junk, .len = sizeof junk,
          .u.frame.proto = TRACE_PROTO_T1 },
        { .time = SIM_US(80), .kind = TRACE_LOG, .source = "x", .text = "y" },
    };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
        trace_publish(&bus, &recs[i]);
    ck_assert_uint_eq(bus.n_heap, 16); /* the LOG was not wanted */
    ck_assert_int_eq(trace_bus_close(&bus, err, sizeof err), 0);
    ck_assert_str_eq(err, "");
}

/* ---- byte-exact checks ---- */

START_TEST(test_formats_table)
{
    ck_assert_str_eq(pcap_sink_file_name(PCAP_SINK_APDU), "apdu.pcap");
    ck_assert_str_eq(pcap_sink_file_name(PCAP_SINK_NFC), "nfc.pcap");
    ck_assert_str_eq(pcap_sink_file_name(PCAP_SINK_BLE), "ble.pcap");
    ck_assert_int_eq(pcap_sink_linktype(PCAP_SINK_APDU), 252);
    ck_assert_int_eq(pcap_sink_linktype(PCAP_SINK_NFC), 264);
    ck_assert_int_eq(pcap_sink_linktype(PCAP_SINK_BLE), 256);
    ck_assert_uint_eq(pcap_sink_mask(PCAP_SINK_APDU),
                      TRACE_MASK(TRACE_APDU) | TRACE_MASK(TRACE_ATR));
    ck_assert_uint_eq(pcap_sink_mask(PCAP_SINK_NFC), TRACE_MASK(TRACE_FRAME));
    ck_assert_uint_eq(pcap_sink_mask(PCAP_SINK_BLE), TRACE_MASK(TRACE_FRAME));
}
END_TEST

START_TEST(test_checksums)
{
    /* published vectors: CRC_A of 00 00 is A0 1E, of HLTA 50 00 is 57 CD */
    static const uint8_t z[] = { 0x00, 0x00 }, hlta[] = { 0x50, 0x00 };
    ck_assert_uint_eq(crc_a(z, 2), 0x1EA0);
    ck_assert_uint_eq(crc_a(hlta, 2), 0xCD57);
    /* the ATR's TCK makes T0..TCK XOR to zero */
    uint8_t x = 0;
    for (size_t i = 1; i < sizeof atr; i++)
        x ^= atr[i];
    ck_assert_uint_eq(x, 0);
}
END_TEST

START_TEST(test_apdu_bytes)
{
    write_all();
    pkt_t p[8];
    int lt;
    ck_assert_int_eq(read_pcap(test_tmp_path("apdu.pcap"), &lt, p, 8), 5);
    ck_assert_int_eq(lt, 252);

    static const uint8_t w0[] = {
        0x00, 0x0C, 0x00, 0x0C, 'i', 's', 'o', '7', '8', '1', '6', '.',
        'a', 't', 'r', 0x00,
        0x00, 0x23, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x21, 0x00, 0x0C, 'C', 'O', 'N', 'T', 'A', 'C', 'T', '>',
        'S', 'E', '0', 0x00,
        0x00, 0x00, 0x00, 0x00,
        0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03,
        0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6A,
    };
    static const uint8_t w1[] = {
        0x00, 0x0C, 0x00, 0x08, 'i', 's', 'o', '7', '8', '1', '6', 0x00,
        0x00, 0x23, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x21, 0x00, 0x0C, 'C', 'O', 'N', 'T', 'A', 'C', 'T', '>',
        'S', 'E', '0', 0x00,
        0x00, 0x24, 0x00, 0x0C, 'S', 'E', 'L', 'E', 'C', 'T', ' ', 'A',
        'I', 'D', 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
        0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x03, 0x10,
        0x10, 0x00,
    };
    static const uint8_t w2[] = {
        0x00, 0x0C, 0x00, 0x08, 'i', 's', 'o', '7', '8', '1', '6', 0x00,
        0x00, 0x23, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x21, 0x00, 0x0C, 'C', 'O', 'N', 'T', 'A', 'C', 'T', '>',
        'S', 'E', '0', 0x00,
        0x00, 0x00, 0x00, 0x00,
        0x90, 0x00,
    };
    static const uint8_t w3[] = {
        0x00, 0x0C, 0x00, 0x08, 'i', 's', 'o', '7', '8', '1', '6', 0x00,
        0x00, 0x23, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x21, 0x00, 0x0C, 'N', 'F', 'C', '>', 'M', 'C', 'U', '>',
        'S', 'E', '1', 0x00,
        0x00, 0x24, 0x00, 0x04, 'R', 'E', 'A', 'D',
        0x00, 0x00, 0x00, 0x00,
        0x00, 0xB0, 0x00, 0x00, 0x04,
    };
    static const uint8_t w4[] = {
        0x00, 0x0C, 0x00, 0x08, 'i', 's', 'o', '7', '8', '1', '6', 0x00,
        0x00, 0x23, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x21, 0x00, 0x0C, 'N', 'F', 'C', '>', 'M', 'C', 'U', '>',
        'S', 'E', '1', 0x00,
        0x00, 0x00, 0x00, 0x00,
        0x01, 0x02, 0x03, 0x04, 0x90, 0x00,
    };
    CHECK_PKT(&p[0], 0, 100001, w0);
    CHECK_PKT(&p[1], 0, 1000000, w1);
    CHECK_PKT(&p[2], 2, 5, w2);
    CHECK_PKT(&p[3], 3, 0, w3);
    CHECK_PKT(&p[4], 3, 500000, w4);
}
END_TEST

START_TEST(test_nfc_bytes)
{
    write_all();
    pkt_t p[10];
    int lt;
    ck_assert_int_eq(read_pcap(test_tmp_path("nfc.pcap"), &lt, p, 10), 8);
    ck_assert_int_eq(lt, 264);

    /* CRC_A bytes written out (tshark confirms them, test_tshark_nfc) */
    static const uint8_t w0[] = { 0x00, 0xFC, 0x00, 0x00 };
    static const uint8_t w1[] = { 0x00, 0xFE, 0x00, 0x01, 0x26 };
    static const uint8_t w2[] = { 0x00, 0xFF, 0x00, 0x02, 0x04, 0x00 };
    static const uint8_t w3[] = { 0x00, 0xFE, 0x00, 0x04, 0xE0, 0x80,
                                  0x31, 0x73 };
    static const uint8_t w4[] = { 0x00, 0xFF, 0x00, 0x07, 0x05, 0x78,
                                  0x80, 0x70, 0x02, 0xA5, 0x46 };
    static const uint8_t w5[] = { 0x00, 0xFE, 0x00, 0x10, 0x02, 0x00, 0xA4,
                                  0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x00,
                                  0x03, 0x10, 0x10, 0x00, 0x56, 0x3F };
    static const uint8_t w6[] = { 0x00, 0xFF, 0x00, 0x05, 0x02, 0x90, 0x00,
                                  0xF1, 0x09 };
    static const uint8_t w7[] = { 0x00, 0xFD, 0x00, 0x00 };
    CHECK_PKT(&p[0], 0, 10000, w0);
    CHECK_PKT(&p[1], 0, 20000, w1);
    CHECK_PKT(&p[2], 0, 30000, w2);
    CHECK_PKT(&p[3], 0, 32000, w3);
    CHECK_PKT(&p[4], 0, 34000, w4);
    CHECK_PKT(&p[5], 0, 40000, w5);
    CHECK_PKT(&p[6], 0, 50000, w6);
    CHECK_PKT(&p[7], 0, 60000, w7);
}
END_TEST

START_TEST(test_ble_bytes)
{
    write_all();
    pkt_t p[8];
    int lt;
    ck_assert_int_eq(read_pcap(test_tmp_path("ble.pcap"), &lt, p, 8), 2);
    ck_assert_int_eq(lt, 256);

    /* advertising channel 37 = RF channel 0, -40 dBm, noise 0, 0 offenses,
     * AA 8E89BED6 LE, flags 0x0C13 = dewhitened, signal valid, ref AA
     * valid, CRC checked, CRC good; then AA, header, AdvA, AD, CRC-24 */
    static const uint8_t w0[] = {
        0x00, 0xD8, 0x00, 0x00, 0xD6, 0xBE, 0x89, 0x8E, 0x13, 0x0C,
        0xD6, 0xBE, 0x89, 0x8E, 0x40, 0x0F,
        0x11, 0x22, 0x33, 0x44, 0x55, 0xC6,
        0x02, 0x01, 0x06, 0x05, 0x09, 'c', 'a', 'r', 'd',
        0xC2, 0x8C, 0xF4,
    };
    /* data channel 10 = RF channel 11; PDU type 2 (master -> slave):
     * flags 0x0D13 */
    static const uint8_t w1[] = {
        0x0B, 0xD8, 0x00, 0x00, 0x2B, 0x4A, 0x65, 0x50, 0x13, 0x0D,
        0x2B, 0x4A, 0x65, 0x50, 0x01, 0x00, 0x48, 0xDC, 0x8A,
    };
    CHECK_PKT(&p[0], 0, 5000123, w0);
    CHECK_PKT(&p[1], 0, 6000000, w1);
}
END_TEST

START_TEST(test_ble_crc_bad_and_short)
{
    pcap_sink_t ps;
    char err[256] = "";
    const char *path = test_tmp_path("ble-bad.pcap");
    ck_assert_int_eq(pcap_sink_open(&ps, PCAP_SINK_BLE, path, err,
                                    sizeof err), 0);
    trace_rec_t bad = ble_rec(SIM_NS(7), 39, 0, false, adv_ind,
                              sizeof adv_ind);
    trace_rec_t tiny = ble_rec(SIM_NS(8), 38, 3, true, adv_ind, 3);
    pcap_sink_write(&ps, &bad);
    pcap_sink_write(&ps, &tiny);
    ck_assert_int_eq(pcap_sink_close(&ps, err, sizeof err), 0);
    ck_assert_int_eq(pcap_sink_close(&ps, err, sizeof err), 0); /* again */

    pkt_t p[4];
    int lt;
    ck_assert_int_eq(read_pcap(path, &lt, p, 4), 2);
    /* channel 39 = RF 39; CRC checked, not good */
    static const uint8_t h0[] = { 39, 0xD8, 0, 0, 0xD6, 0xBE, 0x89, 0x8E,
                                  0x13, 0x04 };
    ck_assert_uint_eq(p[0].len, sizeof h0 + sizeof adv_ind);
    ck_assert_mem_eq(p[0].b, h0, sizeof h0);
    /* channel 38 = RF 12; under 4 bytes: no reference AA; PDU type 3 */
    static const uint8_t w1[] = { 12, 0xD8, 0, 0, 0, 0, 0, 0, 0x83, 0x0D,
                                  0xD6, 0xBE, 0x89 };
    CHECK_PKT(&p[1], 0, 8, w1);
}
END_TEST

START_TEST(test_long_packet_is_cut)
{
    pcap_sink_t ps;
    char err[256] = "";
    const char *path = test_tmp_path("long.pcap");
    ck_assert_int_eq(pcap_sink_open(&ps, PCAP_SINK_APDU, path, err,
                                    sizeof err), 0);
    size_t n = 70000;
    uint8_t *big = calloc(n, 1);
    ck_assert_ptr_nonnull(big);
    trace_rec_t r = apdu_rec(0, TRACE_APDU, TRACE_DIR_CMD, NULL, NULL, big, n);
    pcap_sink_write(&ps, &r);
    free(big);
    ck_assert_int_eq(pcap_sink_close(&ps, err, sizeof err), 0);

    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(
        path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    ck_assert_ptr_nonnull(p);
    struct pcap_pkthdr *h;
    const u_char *d;
    ck_assert_int_eq(pcap_next_ex(p, &h, &d), 1);
    /* no path, no text: dissector (12), direction (8), end (4) */
    ck_assert_uint_eq(h->len, 12 + 8 + 4 + n);
    ck_assert_uint_eq(h->caplen, 65535);
    pcap_close(p);
}
END_TEST

START_TEST(test_open_and_write_errors)
{
    pcap_sink_t ps;
    char err[256] = "", want[256];
    const char *path = test_tmp_path("no/such/dir/apdu.pcap");
    ck_assert_int_eq(pcap_sink_open(&ps, PCAP_SINK_APDU, path, err,
                                    sizeof err), -1);
    snprintf(want, sizeof want, "%s: cannot create: No such file or directory",
             path);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(pcap_sink_close(&ps, err, sizeof err), 0);

    ck_assert_int_eq(pcap_sink_open(&ps, PCAP_SINK_NFC, "/dev/full", err,
                                    sizeof err), 0);
    trace_rec_t r = nfc_rec(0, TRACE_NFC_EV_FIELD_ON, TRACE_DIR_NONE, NULL, 0);
    pcap_sink_write(&ps, &r);
    ck_assert_int_eq(pcap_sink_close(&ps, err, sizeof err), -1);
    ck_assert_str_eq(err, "/dev/full: write failed: No space left on device");
}
END_TEST

/* ---- tshark ---- */

static bool have_tshark(void)
{
    if (system("command -v tshark >/dev/null 2>&1") == 0)
        return true;
    printf("pcap: tshark not on PATH: decode test skipped\n");
    return false;
}

/* Runs cmd with a shell; returns its stdout (caller frees) and status. */
static char *run(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "popen %s", cmd);
    size_t n = 0, cap = 4096;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 1024) {
            cap *= 2;
            s = realloc(s, cap);
            ck_assert_ptr_nonnull(s);
        }
    }
    s[n] = '\0';
    int st = pclose(f);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return s;
}

static void expect_output(const char *cmd, const char *want)
{
    int st;
    char *got = run(cmd, &st);
    ck_assert_msg(st == 0, "'%s' exited %d", cmd, st);
    ck_assert_msg(strcmp(got, want) == 0, "'%s' printed:\n%s\nwanted:\n%s",
                  cmd, got, want);
    free(got);
}

/* No malformed packet, no expert info of warning level or above. */
static void expect_clean(const char *file)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -Y '_ws.malformed || _ws.expert.severity >= "
             "6291456' -T fields -e frame.number 2>/dev/null",
             file);
    expect_output(cmd, "");
    /* and the expert summary has nothing of warning level or above */
    snprintf(cmd, sizeof cmd, "tshark -r %s -q -z expert,warn 2>/dev/null",
             file);
    expect_output(cmd, "");
}

START_TEST(test_tshark_apdu)
{
    if (!have_tshark())
        return;
    write_all();
    const char *f = test_tmp_path("apdu.pcap");
    expect_clean(f);
    char cmd[512];
    /* The path rides in tag 33 (exported_pdu.col_proto_str). tshark puts
     * it in the Protocol column before calling the payload's dissector;
     * the ATR dissector leaves it there, the APDU dissector (Wireshark
     * 4.0) overwrites it with "ISO 7816". */
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -T fields -e _ws.col.Protocol "
             "-e exported_pdu.col_proto_str -e exported_pdu.p2p_dir "
             "-e iso7816.atr.init_char -e iso7816.atr.tck "
             "-e iso7816.apdu.ins -e iso7816.apdu.lc -e iso7816.apdu.sw1 "
             "-e iso7816.apdu.sw2 -e iso7816.resp_to 2>/dev/null",
             f);
    expect_output(cmd,
                  "CONTACT>SE0\tCONTACT>SE0\t1\t0x3b\t0x6a\t\t\t\t\t\n"
                  "ISO 7816\tCONTACT>SE0\t0\t\t\t0xa4\t0x07\t\t\t\n"
                  "ISO 7816\tCONTACT>SE0\t1\t\t\t\t\t0x90\t0x00\t2\n"
                  "ISO 7816\tNFC>MCU>SE1\t0\t\t\t0xb0\t\t\t\t\n"
                  "ISO 7816\tNFC>MCU>SE1\t1\t\t\t\t\t0x90\t0x00\t4\n");
    /* the command is a SELECT by AID with the right body; the responses
     * are matched to their commands */
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -Y 'frame.number >= 2' -T fields "
             "-e iso7816.apdu.p1 -e iso7816.apdu.body -e _ws.col.Info "
             "2>/dev/null",
             f);
    expect_output(cmd, "0x04\ta0000000031010\tSelect file\n"
                       "\t\tResponse APDU (to Select file)\n"
                       "0x00\t\tRead binary, offset 0\n"
                       "\t01020304\tResponse APDU (to Read binary)\n");
}
END_TEST

START_TEST(test_tshark_nfc)
{
    if (!have_tshark())
        return;
    write_all();
    const char *f = test_tmp_path("nfc.pcap");
    expect_clean(f);
    char cmd[512];
    /* CRC status 1 = good: Wireshark recomputed every CRC_A (it knows the
     * I-blocks are type A once it has seen the ATS) */
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -T fields -e iso14443.event "
             "-e iso14443.short_frame -e iso14443.uid_size -e iso14443.fsd "
             "-e iso14443.fsc -e iso14443.block_type -e iso14443.crc.status "
             "-e _ws.col.Info 2>/dev/null",
             f);
    expect_output(cmd,
                  "0xfc\t\t\t\t\t\t\tField on\n"
                  "0xfe\t0x26\t\t\t\t\t\tREQA\n"
                  "0xff\t\t4\t\t\t\t\tATQA\n"
                  "0xfe\t\t\t256\t\t\t1\tRATS\n"
                  "0xff\t\t\t\t256\t\t1\tATS\n"
                  "0xfe\t\t\t\t\t0x00\t1\t"
                  "I-block, No chaining, Block number 0\n"
                  "0xff\t\t\t\t\t0x00\t1\t"
                  "I-block, No chaining, Block number 0\n"
                  "0xfd\t\t\t\t\t\t\tField off\n");
}
END_TEST

START_TEST(test_tshark_ble)
{
    if (!have_tshark())
        return;
    write_all();
    const char *f = test_tmp_path("ble.pcap");
    expect_clean(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -T fields -E separator=/s -e btle_rf.channel "
             "-e btle_rf.flags.crc_valid -e btle.access_address "
             "-e btle.advertising_header.pdu_type -e btle.crc.incorrect "
             "-e _ws.col.Info 2>/dev/null",
             f);
    expect_output(cmd, "0 1 0x8e89bed6 0x00  ADV_IND\n"
                       "11 1 0x50654a2b   Empty PDU\n");

    /* With "CRC checked" cleared, Wireshark computes the advertising CRC
     * itself: proves the test's CRC-24 (hence the bytes above) is right. */
    const char *g = test_tmp_path("ble-unchecked.pcap");
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        256, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = pcap_dump_open(dead, g);
    ck_assert_ptr_nonnull(d);
    uint8_t pkt[10 + sizeof adv_ind] = { 0x00, 0xD8, 0x00, 0x00, 0xD6,
                                         0xBE, 0x89, 0x8E, 0x13, 0x00 };
    memcpy(pkt + 10, adv_ind, sizeof adv_ind);
    struct pcap_pkthdr h = { .caplen = sizeof pkt, .len = sizeof pkt };
    pcap_dump((u_char *)d, &h, pkt);
    pkt[sizeof pkt - 1] ^= 0x01; /* and a broken one must be caught */
    pcap_dump((u_char *)d, &h, pkt);
    pcap_dump_close(d);
    pcap_close(dead);
    snprintf(cmd, sizeof cmd,
             "tshark -r %s -T fields -e frame.number "
             "-Y 'btle.crc.incorrect || btle.crc.indeterminate' 2>/dev/null",
             g);
    expect_output(cmd, "2\n");
}
END_TEST

/* tests/tshark_check.sh passes the sink's files and refuses a broken one. */
START_TEST(test_tshark_check_script)
{
    if (!have_tshark())
        return;
    write_all();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh %s/tshark_check.sh %s %s %s 2>&1",
             TESTS_DIR, test_tmp_path("apdu.pcap"), test_tmp_path("nfc.pcap"),
             test_tmp_path("ble.pcap"));
    char want[1024];
    snprintf(want, sizeof want,
             "%s: 5 packets, no malformed packet, no expert error\n"
             "%s: 8 packets, no malformed packet, no expert error\n"
             "%s: 2 packets, no malformed packet, no expert error\n",
             test_tmp_path("apdu.pcap"), test_tmp_path("nfc.pcap"),
             test_tmp_path("ble.pcap"));
    expect_output(cmd, want);

    /* an upper-PDU packet whose TLV runs past its end is malformed */
    const char *bad = test_tmp_path("bad.pcap");
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        252, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *d = pcap_dump_open(dead, bad);
    ck_assert_ptr_nonnull(d);
    static const uint8_t pkt[] = { 0x00, 0x0C, 0x00, 0x08, 'i', 's', 'o',
                                   '7', '8', '1', '6', 0x00, 0x00, 0x21,
                                   0x00, 0x40, 'X' };
    struct pcap_pkthdr h = { .caplen = sizeof pkt, .len = sizeof pkt };
    pcap_dump((u_char *)d, &h, pkt);
    pcap_dump_close(d);
    pcap_close(dead);
    snprintf(cmd, sizeof cmd, "sh %s/tshark_check.sh %s >/dev/null 2>&1",
             TESTS_DIR, bad);
    int st = system(cmd);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 1);
}
END_TEST

Suite *make_pcap_suite(void)
{
    Suite *s = suite_create("pcap");
    TCase *bytes = tcase_create("bytes");
    tcase_add_unchecked_fixture(bytes, build_frames, NULL);
    tcase_add_unchecked_fixture(bytes, test_tmp_setup, test_tmp_teardown);
    tcase_add_test(bytes, test_formats_table);
    tcase_add_test(bytes, test_checksums);
    tcase_add_test(bytes, test_apdu_bytes);
    tcase_add_test(bytes, test_nfc_bytes);
    tcase_add_test(bytes, test_ble_bytes);
    tcase_add_test(bytes, test_ble_crc_bad_and_short);
    tcase_add_test(bytes, test_long_packet_is_cut);
    tcase_add_test(bytes, test_open_and_write_errors);
    suite_add_tcase(s, bytes);

    TCase *ts = tcase_create("tshark");
    tcase_add_unchecked_fixture(ts, build_frames, NULL);
    tcase_add_unchecked_fixture(ts, test_tmp_setup, test_tmp_teardown);
    tcase_set_timeout(ts, 120);
    tcase_add_test(ts, test_tshark_apdu);
    tcase_add_test(ts, test_tshark_nfc);
    tcase_add_test(ts, test_tshark_ble);
    tcase_add_test(ts, test_tshark_check_script);
    suite_add_tcase(s, ts);
    return s;
}
