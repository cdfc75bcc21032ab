/* SPDX-License-Identifier: MIT */
/* tests/test_ble_radio.c - the MCU's BLE radio (models/ble_radio.c)
 * against a scripted central in its own node ("world") and a fake
 * firmware writing registers from events in the radio's node ("mcu"):
 * ADV_IND on 37/38/39 and their spacing, advDelay from the node's RNG,
 * CONNECT_IND -> CONNECTED + IRQ, the first anchor and the CSA #1
 * channels, T_IFS answers, SN/NESN acknowledgement and retransmission,
 * fragmentation (27 then 104 octets after LL_LENGTH), reassembly, RX flow
 * control, LL_FEATURE/VERSION/LENGTH/UNKNOWN, LL_TERMINATE_IND both ways,
 * supervision timeouts and a connection update at its instant. Every
 * packet's start is checked to the microsecond. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/include/regs/mcu_map.h"
#include "firmware/include/regs/mcu_radio.h"
#include "models/ble_ll.h"
#include "models/ble_radio.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "suites.h"

Suite *make_ble_radio_suite(void);

#define SEED 7u
#define T_ADV SIM_US(100)
#define MAX_PKT 400
#define MAX_OPS 64

static const uint8_t ADDR[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0xC6 };
static const uint8_t INITA[6] = { 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xE6 };
static const uint8_t ADVDATA[3] = { 0x02, 0x01, 0x06 };

typedef struct pkt {
    sim_time_t start, end;
    unsigned ch;
    uint8_t b[BLE_PACKET_MAX];
    size_t len;
} pkt_t;

typedef struct tb tb_t;

enum op_kind { OP_WRITE, OP_FRAME, OP_ADV };

typedef struct fw_op {
    sim_event_t ev;
    enum op_kind kind;
    uint32_t off, val;
    uint8_t data[600];
    size_t n;
} fw_op_t;

typedef struct act {
    sim_event_t ev;
    uint8_t pdu[2 + BLE_PAYLOAD_MAX];
    size_t n;
    unsigned ch;
    bool connect;
} act_t;

struct tb {
    sim_t sim;
    sim_node_t world, mcu;
    sim_link_t down, up;
    ble_radio_t r;
    trace_bus_t bus;
    pkt_t rx[MAX_PKT];          /* from the radio */
    size_t n_rx;
    pkt_t tx[MAX_PKT];          /* from the central */
    size_t n_tx;
    fw_op_t ops[MAX_OPS];
    size_t n_ops;
    act_t acts[8];
    size_t n_acts;
    /* the central */
    bool conn;
    ble_conn_params_t cp;
    sim_time_t anchor0, anchor, interval;
    unsigned last_unmapped, ch;
    uint16_t counter;
    sim_event_t ev_evt, ev_tx;
    unsigned sn, nesn;
    bool cur_valid;
    uint8_t cur[2 + BLE_PAYLOAD_MAX];
    size_t cur_n;
    uint8_t q[16][2 + BLE_PAYLOAD_MAX];
    size_t qn[16];
    unsigned qh, qc;
    unsigned skip_from;         /* stop sending from this event on */
    unsigned nak_next;          /* refuse the radio's next n packets */
    unsigned in_event;          /* packets sent in this event */
    bool last_md;               /* MD of the central's last packet */
    unsigned corrupt;           /* break the CRC of the next n packets */
    bool upd;
    uint16_t upd_instant, upd_interval, upd_offset;
    uint8_t rxdata[2048];       /* L2CAP bytes received by the central */
    size_t rxdata_n;
    /* the IRQ line */
    bool irq;
    int irq_changes;
    sim_time_t irq_time;
    char logs[16384];
    sim_time_t disc_time;       /* of the last "disconnected" log */
};

static tb_t *tb;

/* ---- the central ------------------------------------------------------- */

static void c_send(sim_time_t now, unsigned ch, uint32_t aa, uint32_t crc,
                   const uint8_t *pdu, size_t n)
{
    ck_assert_uint_lt(tb->n_tx, MAX_PKT);
    pkt_t *p = &tb->tx[tb->n_tx++];
    p->len = ble_packet_build(p->b, aa, pdu, n, crc);
    p->start = now;
    p->end = now + ble_packet_time(n - 2);
    p->ch = ch;
    if (tb->corrupt) {
        tb->corrupt--;
        p->b[p->len - 1] ^= 0x01;
    }
    sim_link_send_at(&tb->down, now, p->end, BLE_MSG_PACKET, ch, p->b,
                     p->len);
}

/* Queues a data-channel PDU for the central. */
static void c_queue(uint8_t llid, const uint8_t *d, size_t n)
{
    ck_assert_uint_lt(tb->qc, 16);
    unsigned i = (tb->qh + tb->qc++) % 16;
    tb->q[i][0] = llid;
    tb->q[i][1] = (uint8_t)n;
    memcpy(tb->q[i] + 2, d, n);
    tb->qn[i] = 2 + n;
}

static void c_xmit(sim_time_t now)
{
    if (!tb->cur_valid) {
        if (tb->qc) {
            memcpy(tb->cur, tb->q[tb->qh], tb->qn[tb->qh]);
            tb->cur_n = tb->qn[tb->qh];
            tb->qh = (tb->qh + 1) % 16;
            tb->qc--;
        } else {
            tb->cur[0] = BLE_LLID_CONT;
            tb->cur[1] = 0;
            tb->cur_n = 2;
        }
        tb->cur_valid = true;
    }
    tb->last_md = tb->qc != 0;
    tb->cur[0] = (uint8_t)((tb->cur[0] & 3u) | (tb->nesn ? BLE_HDR_NESN : 0) |
                           (tb->sn ? BLE_HDR_SN : 0) |
                           (tb->last_md ? BLE_HDR_MD : 0));
    tb->in_event++;
    c_send(now, tb->ch, tb->cp.aa, tb->cp.crc_init, tb->cur, tb->cur_n);
}

static void c_evt_fire(sim_event_t *ev, sim_time_t now)
{
    (void)ev;
    tb->counter++;
    sim_time_t t = now;
    if (tb->upd && tb->counter == tb->upd_instant) {
        tb->upd = false;
        t = now + tb->upd_offset * SIM_US(1250);
        tb->interval = tb->upd_interval * SIM_US(1250);
    }
    tb->anchor = t;
    tb->ch = ble_csa1_next(&tb->last_unmapped, tb->cp.hop, tb->cp.chm);
    tb->in_event = 0;
    sim_schedule(&tb->world, &tb->ev_evt, t + tb->interval);
    if (tb->counter >= tb->skip_from)
        return;
    if (t == now)
        c_xmit(now);
    else
        sim_schedule(&tb->world, &tb->ev_tx, t);
}

static void c_tx_fire(sim_event_t *ev, sim_time_t now)
{
    (void)ev;
    c_xmit(now);
}

static void c_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    (void)ctx;
    ck_assert_uint_eq(m->kind, BLE_MSG_PACKET);
    ck_assert_uint_lt(tb->n_rx, MAX_PKT);
    pkt_t *p = &tb->rx[tb->n_rx++];
    p->start = m->sent;
    p->end = now;
    p->ch = (unsigned)m->value;
    memcpy(p->b, m->data, m->len);
    p->len = m->len;
    ck_assert_uint_eq(now, m->sent + ble_packet_time(m->len - 9));
    if (!tb->conn || m->value >= 37)
        return;
    const uint8_t *pdu;
    size_t n;
    ck_assert(ble_packet_check(m->data, m->len, tb->cp.crc_init, &pdu, &n));
    unsigned h = pdu[0];
    if (((h & BLE_HDR_NESN) != 0) != (tb->sn != 0)) {
        tb->sn ^= 1u;
        tb->cur_valid = false;
    }
    if (((h & BLE_HDR_SN) != 0) == (tb->nesn != 0)) {
        if (tb->nak_next) {
            tb->nak_next--;
        } else {
            tb->nesn ^= 1u;
            if ((h & 3u) != BLE_LLID_CTRL && n > 2) {
                memcpy(tb->rxdata + tb->rxdata_n, pdu + 2, n - 2);
                tb->rxdata_n += n - 2;
            }
        }
    }
    /* the event goes on while either side set MD (4.5.6) */
    if (((h & BLE_HDR_MD) || tb->last_md) && tb->in_event < 12 &&
        now + SIM_MS(3) < tb->anchor + tb->interval)
        sim_schedule(&tb->world, &tb->ev_tx, now + BLE_T_IFS);
}

static void act_fire(sim_event_t *ev, sim_time_t now)
{
    act_t *a = ev->ctx;
    c_send(now, a->ch, BLE_ADV_AA, BLE_ADV_CRC_INIT, a->pdu, a->n);
    if (a->connect) {
        tb->conn = true;
        tb->interval = tb->cp.interval * SIM_US(1250);
        sim_schedule(&tb->world, &tb->ev_evt, tb->anchor0);
    }
}

/* A CONNECT_IND at t on ch; the central's first anchor at anchor0. */
static void c_connect(sim_time_t t, unsigned ch, sim_time_t anchor0)
{
    act_t *a = &tb->acts[tb->n_acts++];
    sim_event_init(&a->ev, "central.act", act_fire, a);
    a->pdu[0] = BLE_CONNECT_IND | BLE_ADV_TXADD | BLE_ADV_RXADD;
    a->pdu[1] = BLE_CONNECT_IND_LEN;
    ble_connect_ind_encode(&tb->cp, a->pdu + 2);
    a->n = 2 + BLE_CONNECT_IND_LEN;
    a->ch = ch;
    a->connect = true;
    tb->anchor0 = anchor0;
    tb->counter = 0xFFFF;
    sim_schedule(&tb->world, &a->ev, t);
}

/* ---- the firmware ------------------------------------------------------ */

static void op_fire(sim_event_t *ev, sim_time_t now)
{
    fw_op_t *o = ev->ctx;
    bool err = false;
    ble_radio_t *r = &tb->r;
    switch (o->kind) {
    case OP_WRITE:
        ble_radio_write(r, MCU_RADIO_BASE + o->off, o->val, 4, now, &err);
        break;
    case OP_FRAME:
        for (size_t i = 0; i < o->n; i++)
            ble_radio_write(r, MCU_RADIO_BASE + MCU_RADIO_TXBUF + i,
                            o->data[i], 1, now, &err);
        ble_radio_write(r, MCU_RADIO_BASE + MCU_RADIO_TX_LEN,
                        (uint32_t)o->n, 4, now, &err);
        break;
    case OP_ADV:
        for (size_t i = 0; i < o->n; i++)
            ble_radio_write(r, MCU_RADIO_BASE + MCU_RADIO_ADV_DATA + i,
                            o->data[i], 1, now, &err);
        ble_radio_write(r, MCU_RADIO_BASE + MCU_RADIO_ADV_LEN,
                        (uint32_t)o->n, 4, now, &err);
        ble_radio_write(r, MCU_RADIO_BASE + MCU_RADIO_IRQEN, 0x3F, 4, now,
                        &err);
        ble_radio_write(r, MCU_RADIO_BASE + MCU_RADIO_CTRL,
                        MCU_RADIO_CTRL_ADV, 4, now, &err);
        break;
    }
    ck_assert(!err);
}

static fw_op_t *new_op(sim_time_t t, enum op_kind k)
{
    ck_assert_uint_lt(tb->n_ops, MAX_OPS);
    fw_op_t *o = &tb->ops[tb->n_ops++];
    sim_event_init(&o->ev, "fw.op", op_fire, o);
    o->kind = k;
    sim_schedule(&tb->mcu, &o->ev, t);
    return o;
}

static void fw_write(sim_time_t t, uint32_t off, uint32_t v)
{
    fw_op_t *o = new_op(t, OP_WRITE);
    o->off = off;
    o->val = v;
}

/* An L2CAP frame on CID 4 with n bytes of payload (i & 0xFF). */
static size_t l2cap_frame(uint8_t *b, size_t n, uint8_t seed)
{
    b[0] = (uint8_t)n;
    b[1] = (uint8_t)(n >> 8);
    b[2] = 4;
    b[3] = 0;
    for (size_t i = 0; i < n; i++)
        b[4 + i] = (uint8_t)(seed + i);
    return n + 4;
}

static void fw_frame(sim_time_t t, size_t payload, uint8_t seed)
{
    fw_op_t *o = new_op(t, OP_FRAME);
    o->n = l2cap_frame(o->data, payload, seed);
}

static uint32_t reg(uint32_t off)
{
    bool err = false;
    uint32_t v = ble_radio_read(&tb->r, MCU_RADIO_BASE + off, 4, 0, &err);
    ck_assert(!err);
    return v;
}

/* ---- fixture ------------------------------------------------------------ */

static void irq_cb(void *ctx, sim_time_t now, bool level)
{
    (void)ctx;
    ck_assert(level != tb->irq);
    tb->irq = level;
    tb->irq_time = now;
    tb->irq_changes++;
}

static void sink_rec(void *ctx, const trace_rec_t *r)
{
    (void)ctx;
    if (r->kind == TRACE_LOG) {
        size_t k = strlen(tb->logs);
        snprintf(tb->logs + k, sizeof tb->logs - k, "%s|", r->text);
        if (strstr(r->text, "disconnected"))
            tb->disc_time = r->time;
    } else if (r->kind == TRACE_FRAME) {
        ck_assert_int_eq(r->u.frame.proto, TRACE_PROTO_BLE_LL);
        ck_assert_str_eq(r->source, "radio");
        ck_assert_str_eq(r->path, "ble");
        ck_assert_int_eq(r->dir, TRACE_DIR_RSP);
        ck_assert(r->u.frame.crc_ok);
        ck_assert_uint_eq(r->u.frame.ble_pdu_type,
                          r->u.frame.ble_channel >= 37 ? BLE_TRACE_ADV
                                                       : BLE_TRACE_S2M);
        ck_assert_uint_eq(r->time - r->start, ble_packet_time(r->len - 9));
    }
}

static void setup(void)
{
    tb = calloc(1, sizeof *tb);
    ck_assert_ptr_nonnull(tb);
    sim_init(&tb->sim, SEED);
    sim_node_init(&tb->world, &tb->sim, "world", tb);
    sim_node_init(&tb->mcu, &tb->sim, "mcu", tb);
    trace_bus_init(&tb->bus);
    trace_bus_attach(&tb->bus, &tb->sim);
    trace_sink_t sk = {
        .name = "test",
        .mask = TRACE_MASK(TRACE_LOG) | TRACE_MASK(TRACE_FRAME),
        .record = sink_rec,
    };
    trace_bus_add_sink(&tb->bus, &sk);
    ble_radio_cfg_t cfg = {
        .name = "radio", .node = &tb->mcu, .bus = &tb->bus,
        .irq = irq_cb, .irq_ctx = tb,
    };
    memcpy(cfg.addr, ADDR, 6);
    ble_radio_init(&tb->r, &tb->sim, &cfg);
    sim_link_init(&tb->down, &tb->sim, "central>radio", &tb->world,
                  &tb->mcu, BLE_AIR_LATENCY, BLE_PACKET_MAX, ble_radio_air_rx,
                  &tb->r);
    sim_link_init(&tb->up, &tb->sim, "radio>central", &tb->mcu, &tb->world,
                  BLE_AIR_LATENCY, BLE_PACKET_MAX, c_rx, tb);
    ble_radio_attach_air(&tb->r, &tb->up);
    sim_event_init(&tb->ev_evt, "central.evt", c_evt_fire, tb);
    sim_event_init(&tb->ev_tx, "central.tx", c_tx_fire, tb);
    tb->skip_from = 0xFFFFFu;
    /* the connection the central asks for */
    memcpy(tb->cp.init_a, INITA, 6);
    memcpy(tb->cp.adv_a, ADDR, 6);
    tb->cp.aa = ble_ll_access_address(1);
    tb->cp.crc_init = 0x123456;
    tb->cp.win_size = 2;
    tb->cp.win_offset = 1;
    tb->cp.interval = 24;           /* 30 ms */
    tb->cp.latency = 0;
    tb->cp.timeout = 100;           /* 1 s */
    memcpy(tb->cp.chm, (const uint8_t[]){ 0xFF, 0xFF, 0xFF, 0xFF, 0x1F }, 5);
    tb->cp.hop = 7;
    tb->cp.sca = 0;
}

static void teardown(void)
{
    char err[128];
    trace_bus_close(&tb->bus, err, sizeof err);
    ble_radio_cleanup(&tb->r);
    sim_cleanup(&tb->sim);
    free(tb);
    tb = NULL;
}

static void run(sim_time_t t)
{
    sim_run_until(&tb->sim, t);
}

static void start_adv(void)
{
    fw_op_t *o = new_op(T_ADV, OP_ADV);
    memcpy(o->data, ADVDATA, 3);
    o->n = 3;
}

/* ADV_IND: 9 bytes of payload, 152 us */
#define ADV_TIME SIM_US(152)
#define ADV_STEP (ADV_TIME + BLE_RADIO_ADV_GAP)
#define CI_START (T_ADV + ADV_TIME + BLE_T_IFS)
#define CI_END (CI_START + ble_packet_time(BLE_CONNECT_IND_LEN))
/* transmit window: 1.25 ms + 1 * 1.25 ms after the CONNECT_IND */
#define WIN_START (CI_END + SIM_US(2500))
#define ANCHOR0 (WIN_START + SIM_US(500))
#define INTERVAL SIM_MS(30)
#define EMPTY_TIME SIM_US(80)

/* Connects (CONNECT_IND on 37 after the first ADV_IND). */
static void connect(void)
{
    start_adv();
    c_connect(CI_START, 37, ANCHOR0);
    /* the firmware clears CONNECTED: the IRQ line falls */
    fw_write(CI_END + SIM_US(10), MCU_RADIO_EVENT, MCU_RADIO_EV_CONNECTED);
}

/* Connects and runs through event 0. */
static void connect_run(void)
{
    connect();
    run(ANCHOR0 + SIM_MS(1));
}

static void dump(void)
{
    for (size_t i = 0; i < tb->n_tx; i++)
        fprintf(stderr, "C %zu %llu ch%u %02X %02X\n", i,
                (unsigned long long)tb->tx[i].start / 1000000, tb->tx[i].ch,
                tb->tx[i].b[4], tb->tx[i].b[5]);
    for (size_t i = 0; i < tb->n_rx; i++)
        fprintf(stderr, "R %zu %llu ch%u %02X %02X\n", i,
                (unsigned long long)tb->rx[i].start / 1000000, tb->rx[i].ch,
                tb->rx[i].b[4], tb->rx[i].b[5]);
    fprintf(stderr, "%s\n", tb->logs);
}

static const pkt_t *rx_at(size_t i)
{
    ck_assert_uint_lt(i, tb->n_rx);
    return &tb->rx[i];
}

static const uint8_t *pdu_of(const pkt_t *p)
{
    return p->b + 4;
}

/* Index of the radio's first packet at or after t. */
static size_t rx_from(sim_time_t t)
{
    for (size_t i = 0; i < tb->n_rx; i++)
        if (tb->rx[i].start >= t)
            return i;
    dump();
    ck_abort_msg("no packet from the radio after %llu",
                 (unsigned long long)t);
    return 0;
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(advertising)
{
    setup();
    start_adv();
    run(T_ADV + SIM_MS(250));
    ck_assert(reg(MCU_RADIO_STATUS) & MCU_RADIO_STATUS_ADVERTISING);
    ck_assert_uint_eq(reg(MCU_RADIO_ADDR_LO), 0x44332211u);
    ck_assert_uint_eq(reg(MCU_RADIO_ADDR_HI), 0xC655u);
    /* the advDelays drawn from the node's stream */
    sim_rng_t rng;
    sim_rng_seed(&rng, SEED, "mcu");
    sim_time_t ev = T_ADV;
    size_t k = 0;
    for (int e = 0; e < 3; e++) {
        for (unsigned c = 0; c < 3; c++, k++) {
            const pkt_t *p = rx_at(k);
            ck_assert_uint_eq(p->start, ev + c * ADV_STEP);
            ck_assert_uint_eq(p->ch, 37 + c);
            const uint8_t *pdu;
            size_t n;
            ck_assert(ble_packet_check(p->b, p->len, BLE_ADV_CRC_INIT, &pdu,
                                       &n));
            ck_assert_uint_eq(ble_packet_aa(p->b), BLE_ADV_AA);
            uint8_t want[11] = { 0x40, 9, 0x11, 0x22, 0x33, 0x44, 0x55,
                                 0xC6, 0x02, 0x01, 0x06 };
            ck_assert_uint_eq(n, 11);
            ck_assert_mem_eq(pdu, want, 11);
        }
        ev += SIM_MS(100) + SIM_US(sim_rng_below(&rng, 10001));
    }
    ck_assert_uint_eq(tb->n_rx, 9);
    /* a known CRC: computed independently of the radio */
    uint8_t pkt[32];
    size_t n = ble_packet_build(pkt, BLE_ADV_AA, pdu_of(rx_at(0)), 11,
                                BLE_ADV_CRC_INIT);
    ck_assert_uint_eq(n, rx_at(0)->len);
    ck_assert_mem_eq(pkt, rx_at(0)->b, n);
    /* stopping */
    fw_write(ev - SIM_MS(1), MCU_RADIO_CTRL, 0);
    run(ev + SIM_MS(300));
    ck_assert_uint_eq(tb->n_rx, 9);
    ck_assert_uint_eq(reg(MCU_RADIO_STATUS), 0);
    ck_assert_uint_eq(tb->r.stats.tx_packets, 9);
    teardown();
}
END_TEST

START_TEST(connect_and_anchor)
{
    setup();
    connect();
    run(CI_END + SIM_US(1));
    ck_assert(ble_radio_connected(&tb->r));
    ck_assert_uint_eq(reg(MCU_RADIO_EVENT), MCU_RADIO_EV_CONNECTED);
    ck_assert(tb->irq);
    ck_assert_uint_eq(tb->irq_time, CI_END);
    ck_assert_uint_eq(reg(MCU_RADIO_STATUS),
                      MCU_RADIO_STATUS_CONNECTED | MCU_RADIO_STATUS_TXFREE);
    ck_assert_uint_eq(reg(MCU_RADIO_CONN_INT), 24);
    ck_assert_uint_eq(reg(MCU_RADIO_DATA_LEN), 27);
    run(ANCHOR0 + 5 * INTERVAL + SIM_MS(1));
    ck_assert(!tb->irq);
    /* one ADV_IND only: the CONNECT_IND came before channel 38 */
    ck_assert_uint_eq(rx_at(0)->ch, 37);
    static const unsigned chans[6] = { 7, 14, 21, 28, 35, 5 };
    for (unsigned e = 0; e < 6; e++) {
        const pkt_t *c = &tb->tx[1 + e];
        ck_assert_uint_eq(c->start, ANCHOR0 + e * INTERVAL);
        ck_assert_uint_eq(c->ch, chans[e]);
        const pkt_t *p = rx_at(1 + e);
        ck_assert_uint_eq(p->start, c->end + BLE_T_IFS);
        ck_assert_uint_eq(p->ch, chans[e]);
        ck_assert_uint_eq(ble_packet_aa(p->b), tb->cp.aa);
        const uint8_t *pdu;
        size_t n;
        ck_assert(ble_packet_check(p->b, p->len, 0x123456, &pdu, &n));
        ck_assert_uint_eq(n, 2);
        /* empty PDU: SN alternates, NESN acknowledges */
        ck_assert_uint_eq(pdu[0], BLE_LLID_CONT |
                                  ((e & 1) ? BLE_HDR_SN : BLE_HDR_NESN));
        ck_assert_uint_eq(pdu[1], 0);
    }
    ck_assert_uint_eq(tb->n_rx, 7);
    ck_assert_ptr_nonnull(strstr(tb->logs, "connected: AA"));
    ck_assert_uint_eq(tb->r.stats.connections, 1);
    teardown();
}
END_TEST

START_TEST(retransmission_on_nak)
{
    setup();
    connect_run();
    /* the central refuses the radio's answer at event 1: the radio sends
     * the same SN again at event 2 */
    tb->nak_next = 1;
    run(ANCHOR0 + 2 * INTERVAL + SIM_MS(1));
    const pkt_t *p1 = rx_at(2), *p2 = rx_at(3);
    ck_assert_uint_eq(p1->start, ANCHOR0 + INTERVAL + EMPTY_TIME + BLE_T_IFS);
    /* event 1: SN 1 (event 0's was acked), NESN 0 */
    ck_assert_uint_eq(pdu_of(p1)[0], BLE_LLID_CONT | BLE_HDR_SN);
    /* central did not take it: its NESN stays 1 in event 2; the radio
     * repeats SN 1 */
    ck_assert_uint_eq(pdu_of(p2)[0] & BLE_HDR_SN, BLE_HDR_SN);
    ck_assert_uint_eq(tb->r.stats.retransmissions, 1);
    teardown();
}
END_TEST

static void check_frag(const pkt_t *p, uint8_t llid, bool md, size_t n)
{
    ck_assert_uint_eq(pdu_of(p)[0] & (BLE_LLID_MASK | BLE_HDR_MD),
                      llid | (md ? BLE_HDR_MD : 0));
    ck_assert_uint_eq(pdu_of(p)[1], n);
}

START_TEST(fragmentation_and_length)
{
    setup();
    connect();
    sim_time_t a2 = ANCHOR0 + 2 * INTERVAL;
    fw_frame(a2 - SIM_MS(5), 100, 0x30);
    run(a2 + SIM_MS(5));
    size_t i = rx_from(a2);
    /* 104 bytes in 27, 27, 27, 23, MD on all but the last, each T_IFS
     * after the central's acknowledgement */
    check_frag(rx_at(i), BLE_LLID_START, true, 27);
    check_frag(rx_at(i + 1), BLE_LLID_CONT, true, 27);
    check_frag(rx_at(i + 2), BLE_LLID_CONT, true, 27);
    check_frag(rx_at(i + 3), BLE_LLID_CONT, false, 23);
    sim_time_t t = a2 + EMPTY_TIME + BLE_T_IFS;
    for (unsigned k = 0; k < 4; k++) {
        ck_assert_uint_eq(rx_at(i + k)->start, t);
        t += ble_packet_time(k < 3 ? 27 : 23) + BLE_T_IFS + EMPTY_TIME +
             BLE_T_IFS;
    }
    uint8_t want[104];
    l2cap_frame(want, 100, 0x30);
    ck_assert_uint_eq(tb->rxdata_n, 104);
    ck_assert_mem_eq(tb->rxdata, want, 104);
    /* TXDONE once the last fragment is acknowledged: it had MD clear, so
     * by the central's first packet of the next event */
    ck_assert(!(reg(MCU_RADIO_EVENT) & MCU_RADIO_EV_TXDONE));
    ck_assert_uint_eq(tb->r.stats.l2cap_tx_bytes, 0);

    /* LL_LENGTH_REQ 251/2120 both ways at event 3 */
    uint8_t lreq[9] = { BLE_LL_LENGTH_REQ, 251, 0, 0x48, 0x08, 251, 0,
                        0x48, 0x08 };
    c_queue(BLE_LLID_CTRL, lreq, 9);
    sim_time_t a3 = a2 + INTERVAL;
    run(a3 + SIM_MS(5));
    ck_assert(reg(MCU_RADIO_EVENT) & MCU_RADIO_EV_TXDONE);
    ck_assert_uint_eq(tb->r.stats.l2cap_tx_bytes, 100);
    i = rx_from(a3);
    const pkt_t *rsp = rx_at(i);
    ck_assert_uint_eq(pdu_of(rsp)[0] & BLE_LLID_MASK, BLE_LLID_CTRL);
    ck_assert_uint_eq(pdu_of(rsp)[1], 9);
    static const uint8_t lrsp[9] = { BLE_LL_LENGTH_RSP, 251, 0, 0x48, 0x08,
                                     251, 0, 0x48, 0x08 };
    ck_assert_mem_eq(pdu_of(rsp) + 2, lrsp, 9);
    ck_assert_uint_eq(rsp->start, a3 + ble_packet_time(9) + BLE_T_IFS);
    /* in use once the central acknowledged the LL_LENGTH_RSP (MD clear:
     * at the next event) */
    ck_assert_uint_eq(reg(MCU_RADIO_DATA_LEN), 27);
    /* the next frame goes in one PDU */
    sim_time_t a4 = a3 + INTERVAL;
    fw_frame(a4 - SIM_MS(5), 100, 0x50);
    run(a4 + SIM_MS(5));
    i = rx_from(a4);
    ck_assert_uint_eq(reg(MCU_RADIO_DATA_LEN), 251);
    ck_assert(reg(MCU_RADIO_EVENT) & MCU_RADIO_EV_PARAMS);
    check_frag(rx_at(i), BLE_LLID_START, false, 104);
    ck_assert_uint_eq(rx_at(i)->start, a4 + EMPTY_TIME + BLE_T_IFS);
    ck_assert_ptr_nonnull(strstr(tb->logs, "data length: TX 251 RX 251"));
    teardown();
}
END_TEST

START_TEST(reassembly_and_flow_control)
{
    setup();
    connect_run();
    /* a 60-byte frame in 27 + 27 + 6 */
    uint8_t f[64];
    l2cap_frame(f, 56, 0x70);
    c_queue(BLE_LLID_START, f, 27);
    c_queue(BLE_LLID_CONT, f + 27, 27);
    c_queue(BLE_LLID_CONT, f + 54, 6);
    sim_time_t a1 = ANCHOR0 + INTERVAL;
    run(a1 + SIM_MS(5));
    ck_assert_uint_eq(reg(MCU_RADIO_RX_LEN), 60);
    ck_assert(reg(MCU_RADIO_STATUS) & MCU_RADIO_STATUS_RXAVAIL);
    ck_assert(reg(MCU_RADIO_EVENT) & MCU_RADIO_EV_RX);
    for (unsigned k = 0; k < 60; k++) {
        bool err = false;
        ck_assert_uint_eq(ble_radio_read(&tb->r, MCU_RADIO_BASE +
                                         MCU_RADIO_RXBUF + k, 1, 0, &err),
                          f[k]);
    }
    bool err = false;
    ck_assert_uint_eq(ble_radio_read(&tb->r, MCU_RADIO_BASE + MCU_RADIO_RXBUF,
                                     4, 0, &err), 0x00040038u);
    ck_assert_uint_eq(tb->r.stats.l2cap_rx_bytes, 56);
    /* four more frames: the queue (4 slots) holds 3 of them; the 4th is
     * refused, NESN unchanged, and the central repeats it */
    for (uint8_t k = 0; k < 4; k++) {
        uint8_t g[16];
        l2cap_frame(g, 8, (uint8_t)(0x10 * k));
        c_queue(BLE_LLID_START, g, 12);
    }
    sim_time_t a2 = a1 + INTERVAL;
    run(a2 + SIM_MS(5));
    ck_assert_uint_eq(tb->r.rx_n, 4);
    ck_assert_uint_ge(tb->r.stats.rx_nacked, 1);
    /* the radio's answers to the refused packet keep NESN */
    size_t i = rx_from(a2);
    ck_assert_uint_eq(tb->n_rx, i + 4);
    unsigned nesn_last = pdu_of(rx_at(i + 2))[0] & BLE_HDR_NESN;
    ck_assert_uint_eq(pdu_of(rx_at(i + 3))[0] & BLE_HDR_NESN, nesn_last);
    ck_assert(tb->cur_valid);
    /* the firmware pops one: the repeat is taken at the next event */
    fw_write(a2 + SIM_MS(10), MCU_RADIO_RX_POP, 1);
    run(a2 + INTERVAL + SIM_MS(5));
    ck_assert_uint_eq(tb->r.rx_n, 4);
    ck_assert(!tb->cur_valid || tb->qc == 0);
    ck_assert_uint_eq(reg(MCU_RADIO_RX_LEN), 12);
    ck_assert_uint_eq(ble_radio_read(&tb->r, MCU_RADIO_BASE + MCU_RADIO_RXBUF
                                     + 4, 1, 0, &err), 0x00);
    teardown();
}
END_TEST

START_TEST(ll_control)
{
    setup();
    connect_run();
    uint8_t freq[9] = { BLE_LL_FEATURE_REQ, 0xFF, 0x01, 0, 0, 0, 0, 0, 0 };
    uint8_t vind[6] = { BLE_LL_VERSION_IND, 0x0C, 0x0F, 0x00, 0x34, 0x12 };
    uint8_t unk[3] = { 0x30, 1, 2 };
    c_queue(BLE_LLID_CTRL, freq, 9);
    c_queue(BLE_LLID_CTRL, vind, 6);
    c_queue(BLE_LLID_CTRL, unk, 3);
    sim_time_t a1 = ANCHOR0 + INTERVAL;
    run(a1 + SIM_MS(5));
    size_t i = rx_from(a1);
    /* first answer: empty (the request is taken as the packet arrives;
     * the response goes out with the next packet), or the response */
    static const uint8_t frsp[9] = { BLE_LL_FEATURE_RSP, 0x20, 0, 0, 0, 0,
                                     0, 0, 0 };
    static const uint8_t vrsp[6] = { BLE_LL_VERSION_IND, 0x0C, 0xFF, 0xFF,
                                     0x01, 0x06 };
    static const uint8_t ursp[2] = { BLE_LL_UNKNOWN_RSP, 0x30 };
    const pkt_t *p = rx_at(i);
    ck_assert_uint_eq(pdu_of(p)[0] & 3u, BLE_LLID_CTRL);
    ck_assert_uint_eq(pdu_of(p)[1], 9);
    ck_assert_mem_eq(pdu_of(p) + 2, frsp, 9);
    p = rx_at(i + 1);
    ck_assert_uint_eq(pdu_of(p)[1], 6);
    ck_assert_mem_eq(pdu_of(p) + 2, vrsp, 6);
    p = rx_at(i + 2);
    ck_assert_uint_eq(pdu_of(p)[1], 2);
    ck_assert_mem_eq(pdu_of(p) + 2, ursp, 2);
    ck_assert_ptr_nonnull(strstr(tb->logs, "LL_FEATURE_REQ: LL_FEATURE_RSP"));
    ck_assert_ptr_nonnull(strstr(tb->logs, "LL opcode 0x30 unknown"));
    teardown();
}
END_TEST

START_TEST(terminate_by_central)
{
    setup();
    connect_run();
    uint8_t t[2] = { BLE_LL_TERMINATE_IND, 0x13 };
    c_queue(BLE_LLID_CTRL, t, 2);
    sim_time_t a1 = ANCHOR0 + INTERVAL;
    run(a1 + SIM_MS(2));
    /* the radio acknowledges and leaves at its packet's end */
    size_t i = rx_from(a1);
    const pkt_t *ack = rx_at(i);
    ck_assert_uint_eq(ack->start, a1 + ble_packet_time(2) + BLE_T_IFS);
    ck_assert_uint_eq(pdu_of(ack)[0] & BLE_HDR_NESN, 0); /* 1 -> 0 */
    ck_assert(!ble_radio_connected(&tb->r));
    ck_assert_uint_eq(reg(MCU_RADIO_DISC_REASON), 0x13);
    ck_assert(reg(MCU_RADIO_EVENT) & MCU_RADIO_EV_DISCONNECTED);
    /* advertising again from the disconnection */
    const pkt_t *adv = rx_at(i + 1);
    ck_assert_uint_eq(adv->ch, 37);
    ck_assert_uint_eq(adv->start, ack->end);
    ck_assert(reg(MCU_RADIO_STATUS) & MCU_RADIO_STATUS_ADVERTISING);
    ck_assert_ptr_nonnull(strstr(tb->logs, "disconnected, reason 0x13"));
    teardown();
}
END_TEST

START_TEST(terminate_by_host)
{
    setup();
    connect_run();
    sim_time_t a1 = ANCHOR0 + INTERVAL;
    fw_write(a1 - SIM_MS(1), MCU_RADIO_CTRL,
             MCU_RADIO_CTRL_ADV | MCU_RADIO_CTRL_TERMINATE);
    run(a1 + SIM_MS(2));
    size_t i = rx_from(a1);
    const pkt_t *p = rx_at(i);
    ck_assert_uint_eq(pdu_of(p)[0] & 3u, BLE_LLID_CTRL);
    ck_assert_uint_eq(pdu_of(p)[1], 2);
    ck_assert_uint_eq(pdu_of(p)[2], BLE_LL_TERMINATE_IND);
    ck_assert_uint_eq(pdu_of(p)[3], 0x13);   /* remote user terminated */
    /* MD clear: the central acknowledges at the next event */
    ck_assert(ble_radio_connected(&tb->r));
    run(a1 + INTERVAL + SIM_MS(2));
    ck_assert(!ble_radio_connected(&tb->r));
    ck_assert_uint_eq(reg(MCU_RADIO_DISC_REASON), 0x16);
    /* no answer to the acknowledging packet */
    size_t k = rx_from(a1 + INTERVAL);
    ck_assert_uint_eq(rx_at(k)->ch, 37);
    ck_assert_uint_eq(rx_at(k)->start, a1 + INTERVAL + EMPTY_TIME);
    ck_assert_uint_eq(tb->disc_time, a1 + INTERVAL + EMPTY_TIME);
    teardown();
}
END_TEST

START_TEST(supervision_timeout)
{
    setup();
    connect();
    tb->skip_from = 3;  /* the central goes silent after event 2 */
    run(ANCHOR0 + SIM_S(2));
    sim_time_t last = ANCHOR0 + 2 * INTERVAL + EMPTY_TIME;
    ck_assert_uint_eq(reg(MCU_RADIO_DISC_REASON), BLE_ERR_CONN_TIMEOUT);
    ck_assert_uint_eq(tb->irq_time, last + SIM_S(1));
    ck_assert_uint_eq(tb->disc_time, last + SIM_S(1));
    /* advertising resumed at the timeout */
    size_t i = rx_from(last + SIM_MS(1));
    ck_assert_uint_eq(rx_at(i)->start, last + SIM_S(1));
    ck_assert_uint_eq(rx_at(i)->ch, 37);
    teardown();
}
END_TEST

START_TEST(connection_never_established)
{
    setup();
    connect();
    tb->skip_from = 0;
    run(CI_END + SIM_MS(300));
    ck_assert_uint_eq(reg(MCU_RADIO_DISC_REASON), BLE_ERR_CONN_FAILED);
    ck_assert_uint_eq(tb->irq_time, CI_END + 6 * INTERVAL);
    ck_assert_uint_eq(tb->disc_time, CI_END + 6 * INTERVAL);
    ck_assert_uint_eq(rx_at(1)->start, CI_END + 6 * INTERVAL);
    teardown();
}
END_TEST

START_TEST(connection_update)
{
    setup();
    connect();
    /* at event 1: new interval 40 (50 ms), offset 2, window 1, timeout 200,
     * instant 4 */
    uint8_t u[12] = { BLE_LL_CONNECTION_UPDATE_IND, 1, 2, 0, 40, 0, 0, 0,
                      200, 0, 4, 0 };
    c_queue(BLE_LLID_CTRL, u, 12);
    tb->upd = true;
    tb->upd_instant = 4;
    tb->upd_interval = 40;
    tb->upd_offset = 2;
    sim_time_t a4 = ANCHOR0 + 4 * INTERVAL + SIM_US(2500);
    run(a4 + 3 * SIM_MS(50) + SIM_MS(1));
    ck_assert_uint_eq(reg(MCU_RADIO_CONN_INT), 40);
    ck_assert(reg(MCU_RADIO_EVENT) & MCU_RADIO_EV_PARAMS);
    static const unsigned chans[4] = { 35, 5, 12, 19 };
    for (unsigned e = 0; e < 4; e++) {
        size_t i = rx_from(a4 + e * SIM_MS(50));
        const pkt_t *p = rx_at(i);
        ck_assert_uint_eq(p->start, a4 + e * SIM_MS(50) + EMPTY_TIME +
                                    BLE_T_IFS);
        ck_assert_uint_eq(p->ch, chans[e]);
    }
    ck_assert_ptr_nonnull(strstr(tb->logs, "connection update at instant 4"));
    /* supervision with the new timeout: 2 s */
    tb->skip_from = 8;
    run(a4 + SIM_S(3));
    ck_assert_uint_eq(reg(MCU_RADIO_DISC_REASON), BLE_ERR_CONN_TIMEOUT);
    ck_assert_uint_eq(tb->disc_time,
                      a4 + 3 * SIM_MS(50) + EMPTY_TIME + SIM_S(2));
    teardown();
}
END_TEST

START_TEST(crc_error)
{
    setup();
    connect_run();
    /* event 1's first packet is corrupted: the radio answers without
     * acknowledging it (NESN stays) and repeats its own PDU (the central
     * did not acknowledge it either) */
    tb->corrupt = 1;
    sim_time_t a1 = ANCHOR0 + INTERVAL;
    run(a1 + SIM_MS(5));
    size_t i = rx_from(a1);
    ck_assert_uint_eq(rx_at(i)->start, a1 + EMPTY_TIME + BLE_T_IFS);
    /* event 0's answer was SN 0 NESN 1; unchanged */
    ck_assert_uint_eq(pdu_of(rx_at(i))[0], BLE_LLID_CONT | BLE_HDR_NESN);
    ck_assert_uint_eq(tb->r.stats.crc_errors, 1);
    ck_assert_uint_eq(tb->r.stats.retransmissions, 1);
    /* both MD clear: the central closes the event */
    ck_assert_uint_eq(tb->n_rx, i + 1);
    /* two CRC errors in a row close the event: no answer to the second */
    tb->corrupt = 2;
    sim_time_t a2 = a1 + INTERVAL;
    tb->nak_next = 0;
    c_queue(BLE_LLID_START, (const uint8_t[]){ 1, 0, 4, 0, 9 }, 5);
    run(a2 + SIM_MS(5));
    i = rx_from(a2);
    ck_assert_uint_eq(tb->n_rx, i + 1);
    ck_assert_uint_eq(tb->n_tx, 5);
    ck_assert_uint_eq(tb->tx[4].start, rx_at(i)->end + BLE_T_IFS);
    ck_assert_uint_eq(tb->r.stats.crc_errors, 3);
    ck_assert(ble_radio_connected(&tb->r));
    teardown();
}
END_TEST

START_TEST(registers)
{
    setup();
    bool err = false;
    /* registers are word-only, buffers take bytes */
    ble_radio_read(&tb->r, MCU_RADIO_BASE + MCU_RADIO_STATUS, 1, 0, &err);
    ck_assert(err);
    err = false;
    ble_radio_read(&tb->r, MCU_RADIO_BASE + 0x40, 4, 0, &err);
    ck_assert(err);
    err = false;
    ck_assert_uint_eq(reg(MCU_RADIO_RX_LEN), 0);
    /* TX_LEN without a link: OVR */
    fw_write(SIM_US(10), MCU_RADIO_IRQEN, MCU_RADIO_EV_OVR);
    fw_write(SIM_US(20), MCU_RADIO_TX_LEN, 8);
    run(SIM_US(30));
    ck_assert_uint_eq(reg(MCU_RADIO_EVENT), MCU_RADIO_EV_OVR);
    ck_assert(tb->irq);
    ck_assert_uint_eq(tb->irq_time, SIM_US(20));
    fw_write(SIM_US(40), MCU_RADIO_EVENT, MCU_RADIO_EV_OVR);
    run(SIM_US(50));
    ck_assert(!tb->irq);
    ck_assert_uint_eq(reg(MCU_RADIO_EVENT), 0);
    teardown();
}
END_TEST

Suite *make_ble_radio_suite(void)
{
    Suite *s = suite_create("ble_radio");
    TCase *tc = tcase_create("radio");
    tcase_add_test(tc, registers);
    tcase_add_test(tc, advertising);
    tcase_add_test(tc, connect_and_anchor);
    tcase_add_test(tc, retransmission_on_nak);
    tcase_add_test(tc, fragmentation_and_length);
    tcase_add_test(tc, reassembly_and_flow_control);
    tcase_add_test(tc, ll_control);
    tcase_add_test(tc, terminate_by_central);
    tcase_add_test(tc, terminate_by_host);
    tcase_add_test(tc, supervision_timeout);
    tcase_add_test(tc, connection_never_established);
    tcase_add_test(tc, connection_update);
    tcase_add_test(tc, crc_error);
    suite_add_tcase(s, tc);
    return s;
}
