/* SPDX-License-Identifier: MIT */
/* tests/test_ble_ll.c - the BLE link-layer arithmetic of models/ble_ll.c:
 * packet air time, CRC-24 (its detection of any one-bit error, and the
 * advertising CRC of a packet tshark reported valid in tests/test_pcap.c),
 * CONNECT_IND coding, channel selection algorithm #1, access addresses,
 * whitening. */
#include "suites.h"

#include <string.h>

#include "models/ble_ll.h"

START_TEST(air_time)
{
    ck_assert_uint_eq(ble_packet_time(0), SIM_US(80));
    ck_assert_uint_eq(ble_packet_time(27), SIM_US(296));
    ck_assert_uint_eq(ble_packet_time(251), SIM_US(2088));
}
END_TEST

START_TEST(packet_crc)
{
    /* ADV_IND, AdvA 11 22 33 44 55 C6 (random), AdvData flags 06 */
    uint8_t pdu[] = { 0x40, 0x09, 0x11, 0x22, 0x33, 0x44, 0x55, 0xC6,
                      0x02, 0x01, 0x06 };
    uint8_t pkt[BLE_PACKET_MAX];
    size_t n = ble_packet_build(pkt, BLE_ADV_AA, pdu, sizeof pdu,
                                BLE_ADV_CRC_INIT);
    ck_assert_uint_eq(n, sizeof pdu + 7);
    ck_assert_uint_eq(pkt[0], 0xD6);
    ck_assert_uint_eq(pkt[3], 0x8E);
    ck_assert_uint_eq(ble_packet_aa(pkt), BLE_ADV_AA);
    /* tshark 4.0 computes this packet's CRC (pseudo-header flags without
     * "CRC checked") and finds it correct; one bit off, it reports
     * "Incorrect CRC" */
    ck_assert_uint_eq(pkt[n - 3], 0x55);
    ck_assert_uint_eq(pkt[n - 2], 0xD2);
    ck_assert_uint_eq(pkt[n - 1], 0x43);
    const uint8_t *p;
    size_t pn;
    ck_assert(ble_packet_check(pkt, n, BLE_ADV_CRC_INIT, &p, &pn));
    ck_assert_uint_eq(pn, sizeof pdu);
    ck_assert_mem_eq(p, pdu, sizeof pdu);
    /* every one-bit error of the PDU or the CRC is caught */
    for (size_t i = 4; i < n; i++)
        for (int b = 0; b < 8; b++) {
            if (i == 5)
                continue; /* the length byte: caught by the length check */
            pkt[i] ^= (uint8_t)(1u << b);
            ck_assert(!ble_packet_check(pkt, n, BLE_ADV_CRC_INIT, &p, &pn));
            pkt[i] ^= (uint8_t)(1u << b);
        }
    pkt[5] ^= 1;
    ck_assert(!ble_packet_check(pkt, n, BLE_ADV_CRC_INIT, &p, &pn));
    /* another CRC init gives another CRC */
    ck_assert_uint_ne(ble_crc24(pdu, sizeof pdu, 0x123456),
                      ble_crc24(pdu, sizeof pdu, BLE_ADV_CRC_INIT));
}
END_TEST

START_TEST(connect_ind_round_trip)
{
    ble_conn_params_t c = {
        .init_a = { 1, 2, 3, 4, 5, 6 }, .adv_a = { 7, 8, 9, 10, 11, 0xC0 },
        .aa = 0xAF9A9B4Cu, .crc_init = 0x7A3B21u, .win_size = 2,
        .win_offset = 3, .interval = 6, .latency = 0, .timeout = 100,
        .chm = { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F }, .hop = 7, .sca = 5,
    };
    uint8_t b[34];
    ble_connect_ind_encode(&c, b);
    ck_assert_uint_eq(b[12], 0x4C);
    ck_assert_uint_eq(b[16], 0x21);
    ck_assert_uint_eq(b[22], 6);
    ck_assert_uint_eq(b[33], 7 | 5 << 5);
    ble_conn_params_t d;
    ck_assert(ble_connect_ind_decode(b, &d));
    ck_assert_mem_eq(&d.init_a, &c.init_a, 6);
    ck_assert_uint_eq(d.aa, c.aa);
    ck_assert_uint_eq(d.crc_init, c.crc_init);
    ck_assert_uint_eq(d.interval, 6);
    ck_assert_uint_eq(d.timeout, 100);
    ck_assert_uint_eq(d.hop, 7);
    ck_assert_uint_eq(d.sca, 5);
    b[33] = 4; /* hop 4: invalid */
    ck_assert(!ble_connect_ind_decode(b, &d));
}
END_TEST

START_TEST(csa1)
{
    uint8_t all[5] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F };
    unsigned last = 0;
    static const unsigned want[] = { 7, 14, 21, 28, 35, 5, 12 };
    for (int i = 0; i < 7; i++)
        ck_assert_uint_eq(ble_csa1_next(&last, 7, all), want[i]);
    /* only channels 0..8 used: unmapped 14 -> 14 mod 9 = 5 */
    uint8_t few[5] = { 0xFF, 0x01, 0, 0, 0 };
    last = 0;
    ck_assert_uint_eq(ble_csa1_next(&last, 7, few), 7);
    ck_assert_uint_eq(ble_csa1_next(&last, 7, few), 5);
    ck_assert_uint_eq(last, 14);
}
END_TEST

START_TEST(access_addresses_and_whitening)
{
    for (uint32_t s = 1; s < 200; s++) {
        uint32_t aa = ble_ll_access_address(s);
        ck_assert_uint_ne(aa, BLE_ADV_AA);
        ck_assert_int_gt(__builtin_popcount(aa ^ BLE_ADV_AA), 1);
    }
    ck_assert_uint_eq(ble_ll_access_address(5), ble_ll_access_address(5));
    uint8_t d[20], w[20];
    for (int i = 0; i < 20; i++)
        d[i] = (uint8_t)(i * 37);
    memcpy(w, d, sizeof d);
    ble_ll_whiten(w, sizeof w, 37);
    ck_assert(memcmp(w, d, sizeof d) != 0);
    ble_ll_whiten(w, sizeof w, 37);
    ck_assert_mem_eq(w, d, sizeof d);
}
END_TEST

Suite *make_ble_ll_suite(void)
{
    Suite *s = suite_create("ble_ll");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, air_time);
    tcase_add_test(tc, packet_crc);
    tcase_add_test(tc, connect_ind_round_trip);
    tcase_add_test(tc, csa1);
    tcase_add_test(tc, access_addresses_and_whitening);
    suite_add_tcase(s, tc);
    return s;
}
