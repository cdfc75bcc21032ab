/* SPDX-License-Identifier: MIT */
/* models/card_mcu.c - the card's contactless side and its actions:
 *
 *   "card": {
 *     "ses": [ ... ],
 *     "mcu": { "firmware": "my_mcu.elf" },
 *     "nfc": { "uid": "04A1B2C3D4E5F6", "fwi": 7, "fsci": 8, "wtxm": 1 },
 *     "phone": { "fsdi": 8, "cid": 0, "retries": 2 }
 *   }
 *
 * Composition: the MCU (node "mcu", its real firmware, default
 * build/firmware/mcu.elf) with the NFC front end on its SPI bus and the BLE
 * radio (models/ble_radio.c) on its bus, both in the same node; one ISO 7816 line from each MCU master port to its SE, watched by a
 * protocol analyser (models/t1_tap.h) that gives apdu.pcap its "MCU>SEn"
 * hop; the phone's NFC reader (PCD) and BLE central in the world node
 * with their air links both ways;
 * the sense link (world -> MCU: contact VCC and the switch pins, from the
 * pads; the BLE link input); the report link (MCU -> world: every write of
 * SYSCTL MODE / ROUTE / SE_STATE), through which the scenario sees what
 * the firmware decided, 100 ns later, without reading another node's
 * state.
 *
 * Actions: nfc.field, nfc.activate, nfc.apdu, nfc.deselect,
 * nfc.update_cos (SELECT the card manager, OPEN the SE, then the update
 * client of cos_update.c through the phone), nfc.join (the outcome of a
 * detached NFC operation), mcu.expect (waits until the MCU has reported
 * the mode / route / SE state given), mcu.wait_forwarded. The phone's
 * own actions are in card_phone.c. */
#include "models/card_mcu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardsim_config.h"
#include "firmware/include/card_manager.h"
#include "firmware/include/regs/mcu_sysctl.h"
#include "models/ble_ll.h"
#include "models/ble_radio.h"
#include "models/iso14443.h"
#include "models/mcu.h"
#include "models/nfc.h"
#include "models/t1_tap.h"
#include "models/terminals/phone.h"
#include "models/terminals/phone_ble.h"
#include "sim/fatal.h"

#define MCU_ELF CARDSIM_BUILD_ROOT "/firmware/mcu.elf"
/* The report link is a probe for the scenario, not a wire: 10 us late is
 * invisible at the scale of APDUs. The sense inputs pass a synchronizer
 * and filter on a real MCU; 5 us is well inside what VCC detection on the
 * pads and the switch pins need (activation takes milliseconds). Both
 * bound how far the MCU may run ahead of the world per scheduling round. */
#define REPORT_LATENCY SIM_US(10)
#define SENSE_LATENCY SIM_US(5)

struct mcu_part {
    card_t *cd;
    mcu_t mcu;
    nfc_t nfc;
    phone_t *phone;
    mcu_spi_slave_t spi;
    sim_link_t air_down, air_up, sense, report;
    ble_radio_t radio;
    mcu_mmio_t radio_mmio;
    phone_ble_t *pble;
    sim_link_t ble_down, ble_up;
    iso7816_line_t lines[CARD_MAX_SE];
    t1_tap_t tap[CARD_MAX_SE];
    char line_name[CARD_MAX_SE][24], tap_src[CARD_MAX_SE][24],
        tap_bus[CARD_MAX_SE][24], tap_path[CARD_MAX_SE][24];
    struct tap_ctx { mcu_part_t *mp; unsigned se; } tap_ctx[CARD_MAX_SE];
    /* commands the MCU forwarded to each SE, as the world learnt of them */
    uint64_t forwarded[CARD_MAX_SE];
    bool fwd_waiting;
    unsigned fwd_se;
    uint64_t fwd_target;
    /* the MCU's reports as they reached the world */
    unsigned mode;
    uint32_t route;
    uint32_t se_state[CARD_MAX_SE];
    uint64_t reports;
    bool expect_waiting;
};

/* ---- configuration --------------------------------------------------- */

const scn_field_t card_mcu_fields[] = {
    { .key = "firmware", .type = SCN_T_STRING,
      .help = "the MCU's firmware ELF (default: the built "
              "firmware/mcu.elf)" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

const scn_field_t card_nfc_fields[] = {
    { .key = "uid", .type = SCN_T_HEX, .min = 4, .max = 10,
      .help = "the UID: 4, 7 or 10 bytes (default 08A1B2C3, a random-ID "
              "style single UID)" },
    { .key = "fsci", .type = SCN_T_INT, .min = 0, .max = 8,
      .help = "FSCI of the ATS (default 8: 256 bytes)" },
    { .key = "fwi", .type = SCN_T_INT, .min = 0, .max = 14,
      .help = "FWI of the ATS (default: docs/nfc.md)" },
    { .key = "sfgi", .type = SCN_T_INT, .min = 0, .max = 14,
      .help = "SFGI of the ATS (default 0)" },
    { .key = "historical", .type = SCN_T_HEX, .max = 15,
      .help = "historical bytes of the ATS (default none)" },
    { .key = "wtxm", .type = SCN_T_INT, .min = 1, .max = 59,
      .help = "WTXM of the front end's automatic S(WTX) (default 1)" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

const scn_field_t card_phone_fields[] = {
    { .key = "fsdi", .type = SCN_T_INT, .min = 0, .max = 8,
      .help = "FSDI sent in RATS (default 8: 256 bytes)" },
    { .key = "cid", .type = SCN_T_INT, .min = -1, .max = 14,
      .help = "CID sent in RATS and used if the card supports it (-1: "
              "none; default 0)" },
    { .key = "retries", .type = SCN_T_INT, .min = -1, .max = 10,
      .help = "recovery attempts per block (default 2, -1 none)" },
    { .key = "ble_mtu", .type = SCN_T_INT, .min = 23, .max = 517,
      .help = "the ATT MTU the phone asks over BLE (default 517)" },
    { .key = "turnaround_fc", .type = SCN_T_INT, .min = 1172,
      .max = 13560000, .help = "carrier cycles from the card's frame to "
                               "the phone's next one (default 1172)" },
    { .key = "comment", .type = SCN_T_STRING },
    { 0 },
};

/* ---- wiring ---------------------------------------------------------- */

static void nfc_irq(void *ctx, sim_time_t now, bool level)
{
    mcu_part_t *mp = ctx;
    mcu_set_nfc_irq(&mp->mcu, now, level);
}

static void tap_event(void *ctx, iso7816_tap_event_t ev, bool from_card,
                      uint8_t byte, sim_time_t start, sim_time_t end,
                      unsigned flags)
{
    t1_tap_t *t = ctx;
    if (ev == ISO7816_TAP_CHAR)
        t1_tap_char(t, from_card, byte, start, end,
                    (flags & (ISO7816_RX_PARITY | ISO7816_RX_FRAMING)) != 0);
    else if (!byte) /* RST low or VCC off */
        t1_tap_reset(t);
}

/* The pads' VCC and switch pins -> the MCU's sense inputs. */
static void pads_changed(void *ctx, sim_time_t now, bool vcc, uint32_t st)
{
    mcu_part_t *mp = ctx;
    uint32_t mask = MCU_SENSE_CONTACT_VCC | MCU_SENSE_PADS_MASK;
    uint32_t lv = (vcc ? MCU_SENSE_CONTACT_VCC : 0) | (st & 0xFFu) << 8;
    sim_link_send(&mp->sense, now, MCU_MSG_SENSE,
                  (uint64_t)mask << 32 | lv, NULL, 0);
}

static void check_expect(mcu_part_t *mp, sim_time_t now);

/* Report link message kind: a command APDU went out on SE n's line
 * (value n), reported when its last character ends. */
#define REPORT_FORWARDED 0x1000u

/* In the MCU node: the tap of SE n's line saw a whole APDU. */
static void tap_apdu(void *ctx, bool from_card, sim_time_t now,
                     sim_time_t end)
{
    struct tap_ctx *tc = ctx;
    if (from_card)
        return;
    sim_link_send_at(&tc->mp->report, now, sim_time_add(end, REPORT_LATENCY),
                     REPORT_FORWARDED, tc->se, NULL, 0);
}

static void check_forwarded(mcu_part_t *mp, sim_time_t now);

/* In the MCU node: a SYSCTL report register was written. */
static void mcu_reported(void *ctx, sim_time_t now, unsigned reg,
                         uint32_t value)
{
    mcu_part_t *mp = ctx;
    sim_link_send(&mp->report, now, reg, value, NULL, 0);
}

/* In the world node, 100 ns later. */
static void report_rx(void *ctx, const sim_msg_t *m, sim_time_t now)
{
    mcu_part_t *mp = ctx;
    mp->reports++;
    switch (m->kind) {
    case MCU_SYSCTL_MODE:
        mp->mode = (unsigned)m->value;
        break;
    case MCU_SYSCTL_ROUTE:
        mp->route = (uint32_t)m->value;
        break;
    case MCU_SYSCTL_SE_STATE: {
        unsigned se = (unsigned)(m->value >> 8) & 0xFFu;
        if (se < CARD_MAX_SE)
            mp->se_state[se] = (uint32_t)m->value;
        break;
    }
    case MCU_REPORT_RESET: /* what the MCU reported is gone with it */
        for (unsigned i = 0; i < CARD_MAX_SE; i++)
            mp->se_state[i] = MCU_SE_STATE_NONE;
        break;
    case REPORT_FORWARDED:
        if (m->value < CARD_MAX_SE)
            mp->forwarded[m->value]++;
        if (mp->fwd_waiting)
            check_forwarded(mp, now);
        return;
    default:
        break;
    }
    if (mp->expect_waiting)
        check_expect(mp, now);
}

static void radio_irq(void *ctx, sim_time_t now, bool level)
{
    mcu_part_t *mp = ctx;
    mcu_set_radio_irq(&mp->mcu, now, level);
}

/* Both ends only send BLE packets, delivered at their end: none is
 * shorter than an empty PDU (80 us). */
static sim_time_t ble_air_lookahead(void *ctx, const sim_link_t *l,
                                    sim_time_t src_eot)
{
    (void)ctx;
    (void)l;
    return sim_time_add(src_eot, ble_packet_time(0));
}

/* The card only ever sends frames to the phone, delivered at their end:
 * no frame is shorter than one byte. */
static sim_time_t air_up_lookahead(void *ctx, const sim_link_t *l,
                                   sim_time_t src_eot)
{
    (void)ctx;
    (void)l;
    return sim_time_add(src_eot, (sim_time_t)(iso14443_frame_fc(1) *
                                              SIM_PS_PER_S / ISO14443_FC_HZ));
}

int card_mcu_build(card_t *cd, const cJSON *sec, char *err, size_t errlen)
{
    scn_run_t *run = cd->run;
    mcu_part_t *mp = calloc(1, sizeof *mp);
    if (!mp)
        sim_fatal_plain("out of memory");
    cd->mp = mp;
    mp->cd = cd;
    for (size_t i = 0; i < CARD_MAX_SE; i++)
        mp->se_state[i] = MCU_SE_STATE_NONE;

    /* the phone, in the world node */
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(sec, "phone");
    mp->phone = calloc(1, sizeof *mp->phone);
    if (!mp->phone)
        sim_fatal_plain("out of memory");
    phone_cfg_t pc = {
        .name = "phone", .path = "nfc", .apdu_path = "NFC>MCU",
        .node = &run->world, .bus = cd->bus,
        .fsdi = pj ? (unsigned)scn_get_int(pj, "fsdi", 0) : 0,
        .cid = pj ? (int)scn_get_int(pj, "cid", 0) : 0,
        .retries = pj ? (int)scn_get_int(pj, "retries", 0) : 0,
        .turnaround_fc = pj ? (unsigned)scn_get_int(pj, "turnaround_fc", 0)
                            : 0,
    };
    phone_init(mp->phone, run->sim, &pc);
    cd->nfc = (card_chan_t){ .name = "nfc", .tx = phone_update_transmit,
                             .term = mp->phone };
    mp->pble = calloc(1, sizeof *mp->pble);
    if (!mp->pble)
        sim_fatal_plain("out of memory");
    phone_ble_cfg_t bc = {
        .name = "phone.ble", .path = "ble", .apdu_path = "BLE>MCU",
        .node = &run->world, .bus = cd->bus,
        .mtu = pj ? (unsigned)scn_get_int(pj, "ble_mtu", 0) : 0,
    };
    phone_ble_init(mp->pble, run->sim, &bc);
    cd->ble = (card_chan_t){ .name = "ble", .tx = phone_ble_update_transmit,
                             .term = mp->pble };

    /* the MCU */
    const cJSON *mj = cJSON_GetObjectItemCaseSensitive(sec, "mcu");
    char elf[4200];
    const char *fw = mj ? scn_get_string(mj, "firmware", NULL) : NULL;
    if (fw)
        card_resolve(cd, fw, elf, sizeof elf);
    else
        snprintf(elf, sizeof elf, "%s", MCU_ELF);
    mp->spi = (mcu_spi_slave_t){ .cs = nfc_spi_cs, .xfer = nfc_spi_xfer,
                                 .ctx = &mp->nfc };
    mp->radio_mmio = (mcu_mmio_t){ .read = ble_radio_read,
                                   .write = ble_radio_write,
                                   .reset = ble_radio_reset,
                                   .ctx = &mp->radio };
    mcu_cfg_t mc = {
        .firmware_elf = elf, .n_se = (unsigned)cd->n_se, .bus = cd->bus,
        .spi = &mp->spi, .radio = &mp->radio_mmio, .report = mcu_reported,
        .report_ctx = mp,
    };
    char sub[512];
    if (mcu_init(&mp->mcu, run->sim, &mc, sub, sizeof sub) != 0) {
        snprintf(err, errlen, "%s: $.card.mcu: %s", run->scn->file, sub);
        return -1;
    }

    /* the NFC front end, in the MCU's node */
    const cJSON *nj = cJSON_GetObjectItemCaseSensitive(sec, "nfc");
    nfc_cfg_t nc;
    nfc_cfg_default(&nc);
    nc.name = "nfc";
    nc.node = mcu_node(&mp->mcu);
    nc.bus = cd->bus;
    nc.irq = nfc_irq;
    nc.irq_ctx = mp;
    if (nj) {
        uint8_t uid[10];
        size_t n = scn_get_hex(nj, "uid", uid, sizeof uid);
        if (n) {
            if (n != 4 && n != 7 && n != 10) {
                snprintf(err, errlen, "%s: $.card.nfc.uid: expected 4, 7 or "
                         "10 bytes, got %zu", run->scn->file, n);
                return -1;
            }
            memcpy(nc.uid, uid, n);
            nc.uid_len = (unsigned)n;
        }
        nc.fsci = (unsigned)scn_get_int(nj, "fsci", nc.fsci);
        nc.fwi = (unsigned)scn_get_int(nj, "fwi", nc.fwi);
        nc.sfgi = (unsigned)scn_get_int(nj, "sfgi", nc.sfgi);
        nc.wtxm = (unsigned)scn_get_int(nj, "wtxm", nc.wtxm);
        nc.hist_len = (unsigned)scn_get_hex(nj, "historical", nc.hist,
                                            sizeof nc.hist);
    }
    if (nfc_cfg_check(&nc, sub, sizeof sub) != 0) {
        snprintf(err, errlen, "%s: $.card.nfc: %s", run->scn->file, sub);
        return -1;
    }
    nfc_init(&mp->nfc, run->sim, &nc);

    /* the BLE radio, in the MCU's node; its address from the MCU's
     * config (a random static address: top bits of the last byte set) */
    ble_radio_cfg_t rc = { .name = "radio", .node = mcu_node(&mp->mcu),
                           .bus = cd->bus, .irq = radio_irq, .irq_ctx = mp,
                           .addr = { 0x01, 0x53, 0x4D, 0x44, 0x52, 0xC3 } };
    ble_radio_init(&mp->radio, run->sim, &rc);

    /* links between the world and the MCU's node */
    sim_node_t *mn = mcu_node(&mp->mcu);
    sim_link_init(&mp->ble_down, run->sim, "ble-air.down", &run->world, mn,
                  BLE_AIR_LATENCY, BLE_PACKET_MAX, ble_radio_air_rx,
                  &mp->radio);
    sim_link_init(&mp->ble_up, run->sim, "ble-air.up", mn, &run->world,
                  BLE_AIR_LATENCY, BLE_PACKET_MAX, phone_ble_air_rx,
                  mp->pble);
    sim_link_set_lookahead(&mp->ble_down, ble_air_lookahead, NULL);
    sim_link_set_lookahead(&mp->ble_up, ble_air_lookahead, NULL);
    phone_ble_attach_air(mp->pble, &mp->ble_down);
    ble_radio_attach_air(&mp->radio, &mp->ble_up);
    sim_link_init(&mp->air_down, run->sim, "nfc-air.down", &run->world, mn,
                  ISO14443_AIR_LATENCY, ISO14443_FRAME_MAX, nfc_air_rx,
                  &mp->nfc);
    sim_link_init(&mp->air_up, run->sim, "nfc-air.up", mn, &run->world,
                  ISO14443_AIR_LATENCY, ISO14443_FRAME_MAX, phone_air_rx,
                  mp->phone);
    sim_link_set_lookahead(&mp->air_up, air_up_lookahead, NULL);
    phone_attach_air(mp->phone, &mp->air_down);
    nfc_attach_air(&mp->nfc, &mp->air_up);
    sim_link_init(&mp->sense, run->sim, "mcu-sense", &run->world, mn,
                  SENSE_LATENCY, 0, mcu_sense_rx, &mp->mcu);
    sim_link_init(&mp->report, run->sim, "mcu-report", mn, &run->world,
                  REPORT_LATENCY, 0, report_rx, mp);
    pads_set_observer(&cd->pads, pads_changed, mp);
    return 0;
}

void card_mcu_wire(card_t *cd)
{
    mcu_part_t *mp = cd->mp;
    for (size_t i = 0; i < cd->n_se; i++) {
        unsigned k = (unsigned)i % CARD_MAX_SE;
        snprintf(mp->line_name[i], sizeof mp->line_name[i], "mcu-se%u", k);
        snprintf(mp->tap_src[i], sizeof mp->tap_src[i], "mcu.iso%u", k);
        snprintf(mp->tap_bus[i], sizeof mp->tap_bus[i], "mcu-se%u", k);
        snprintf(mp->tap_path[i], sizeof mp->tap_path[i], "MCU>SE%u", k);
        mcu_connect_se(&mp->mcu, (unsigned)i, &mp->lines[i], cd->run->sim,
                       mp->line_name[i],
                       se_port_end(&cd->se[i], ISO7816_SRC_MCU));
        se_attach_line(&cd->se[i], ISO7816_SRC_MCU, &mp->lines[i]);
        t1_tap_init(&mp->tap[i], mp->tap_src[i], mp->tap_bus[i],
                    mp->tap_path[i], cd->bus);
        iso7816_port_set_tap(mcu_port(&mp->mcu, (unsigned)i), tap_event,
                             &mp->tap[i]);
        mp->tap_ctx[i] = (struct tap_ctx){ .mp = mp, .se = (unsigned)i };
        mp->tap[i].on_apdu = tap_apdu;
        mp->tap[i].on_apdu_ctx = &mp->tap_ctx[i];
    }
}

void card_mcu_destroy(card_t *cd)
{
    mcu_part_t *mp = cd->mp;
    if (!mp)
        return;
    if (mp->phone) {
        phone_cleanup(mp->phone);
        free(mp->phone);
    }
    if (mp->pble) {
        phone_ble_cleanup(mp->pble);
        free(mp->pble);
    }
    ble_radio_cleanup(&mp->radio);
    nfc_cleanup(&mp->nfc);
    mcu_cleanup(&mp->mcu);
    free(mp);
    cd->mp = NULL;
}

void card_mcu_stats(const card_t *cd, cJSON *out)
{
    const mcu_part_t *mp = cd->mp;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "mcu");
    cJSON_AddNumberToObject(o, "events",
                            (double)mp->mcu.node.events_fired);
    cJSON_AddNumberToObject(o, "cpu_slices", (double)mp->mcu.node.cpu_slices);
    cJSON_AddNumberToObject(o, "cycles", (double)mcu_cycles(&mp->mcu));
    cJSON_AddNumberToObject(o, "instructions",
                            (double)mcu_instructions(&mp->mcu));
    cJSON_AddStringToObject(o, "mode", mcu_mode_name(mp->mode));
    cJSON_AddItemToArray(out, o);
    const phone_stats_t *ps = phone_stats(mp->phone);
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "phone");
    cJSON_AddNumberToObject(o, "apdus", (double)ps->apdus);
    cJSON_AddNumberToObject(o, "frames_sent", (double)ps->frames_sent);
    cJSON_AddNumberToObject(o, "frames_received",
                            (double)ps->frames_received);
    cJSON_AddNumberToObject(o, "wtx", (double)ps->wtx);
    cJSON_AddNumberToObject(o, "retries", (double)ps->retries);
    cJSON_AddItemToArray(out, o);
    const phone_ble_stats_t *bs = phone_ble_stats(mp->pble);
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "phone.ble");
    cJSON_AddNumberToObject(o, "apdus", (double)bs->apdus);
    cJSON_AddNumberToObject(o, "packets_sent", (double)bs->packets_sent);
    cJSON_AddNumberToObject(o, "packets_received",
                            (double)bs->packets_received);
    cJSON_AddNumberToObject(o, "retransmissions",
                            (double)bs->retransmissions);
    cJSON_AddNumberToObject(o, "keepalives", (double)bs->keepalives);
    cJSON_AddItemToArray(out, o);
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "radio");
    cJSON_AddNumberToObject(o, "packets_sent",
                            (double)mp->radio.stats.tx_packets);
    cJSON_AddNumberToObject(o, "packets_received",
                            (double)mp->radio.stats.rx_packets);
    cJSON_AddItemToArray(out, o);
}

uint32_t card_mcu_se_state(const card_t *cd, unsigned se)
{
    if (!cd->mp || se >= CARD_MAX_SE)
        return MCU_SE_STATE_NONE;
    return cd->mp->se_state[se];
}

static void field_off_done(void *ctx, sim_time_t now, const phone_result_t *r)
{
    (void)ctx;
    (void)now;
    (void)r;
}

void card_mcu_drop(card_t *cd, sim_time_t now)
{
    mcu_part_t *mp = cd->mp;
    if (!mp)
        return;
    /* the phone leaves: its field off (an exchange in flight ends,
     * ignored), the BLE link dropped silently (the radio times out) */
    if (phone_field_on(mp->phone))
        phone_field(mp->phone, now, false, field_off_done, NULL);
    phone_ble_reset(mp->pble);
}

bool card_mcu_power_cut(card_t *cd, sim_time_t now, sim_time_t off)
{
    mcu_part_t *mp = cd->mp;
    if (!mp)
        return false;
    sim_link_send(&mp->sense, now, MCU_MSG_POWER, 0, NULL, 0);
    sim_link_send_at(&mp->sense, now,
                     sim_time_add(now, off > SENSE_LATENCY ? off
                                                           : SENSE_LATENCY),
                     MCU_MSG_POWER, 1, NULL, 0);
    return true;
}

struct mcu *card_mcu_chip(card_t *cd)
{
    return cd->mp ? &cd->mp->mcu : NULL;
}

void card_mcu_channels(const card_t *cd, cJSON *out)
{
    const phone_stats_t *ps = phone_stats(cd->mp->phone);
    cJSON *o = cJSON_AddObjectToObject(out, "nfc");
    cJSON_AddNumberToObject(o, "apdus", (double)ps->apdus);
    cJSON_AddNumberToObject(o, "bytes", (double)ps->apdu_bytes);
    const phone_ble_stats_t *bs = phone_ble_stats(cd->mp->pble);
    o = cJSON_AddObjectToObject(out, "ble");
    cJSON_AddNumberToObject(o, "apdus", (double)bs->apdus);
    cJSON_AddNumberToObject(o, "bytes", (double)bs->apdu_bytes);
}

static mcu_part_t *part(scn_run_t *run)
{
    return ((card_t *)run->model)->mp;
}

/* ---- MCU expectations ------------------------------------------------ */

static const char *const se_states[] = { "absent", "loader", "cos",
                                         "contact", "unknown", NULL };

static const scn_field_t expect_fields[] = {
    { .key = "mode", .type = SCN_T_STRING,
      .help = "the working mode the MCU reports: \"none\", \"contact\", "
              "\"nfc\", \"ble\" or a '+' list (\"contact+nfc\")" },
    { .key = "route", .type = SCN_T_STRING,
      .help = "the MCU's last routing decision, e.g. \"nfc>se1 session\", "
              "\"nfc>se0 refused: contact\" (docs/mcu.md)" },
    { .key = "se", .type = SCN_T_INT, .min = 0, .max = CARD_MAX_SE - 1,
      .help = "with state/version: the SE whose state is expected" },
    { .key = "state", .type = SCN_T_ENUM, .choices = se_states,
      .help = "the state of SE se the MCU reports" },
    { .key = "version", .type = SCN_T_INT, .min = 0, .max = 255,
      .help = "the version the MCU reports for SE se" },
    { 0 },
};

/* Empty if the MCU's last reports meet the current step; else what
 * differs. */
static bool expect_met(mcu_part_t *mp, const cJSON *j, char *why, size_t n)
{
    const char *mode = scn_get_string(j, "mode", NULL);
    if (mode && strcmp(mode, mcu_mode_name(mp->mode)) != 0) {
        snprintf(why, n, "mode %s, expected %s", mcu_mode_name(mp->mode),
                 mode);
        return false;
    }
    const char *route = scn_get_string(j, "route", NULL);
    if (route) {
        char got[80];
        mcu_route_text(mp->route, got, sizeof got);
        if (strcmp(route, got) != 0) {
            snprintf(why, n, "route \"%s\", expected \"%s\"", got, route);
            return false;
        }
    }
    if (cJSON_GetObjectItemCaseSensitive(j, "se")) {
        unsigned se = (unsigned)scn_get_int(j, "se", 0);
        uint32_t v = mp->se_state[se];
        const char *state = scn_get_string(j, "state", NULL);
        unsigned s = v == MCU_SE_STATE_NONE ? 99u : v & 0xFFu;
        if (state) {
            const char *got = s < 5 ? se_states[s] : "none";
            if (strcmp(state, got) != 0) {
                snprintf(why, n, "SE%u %s, expected %s", se, got, state);
                return false;
            }
        }
        if (cJSON_GetObjectItemCaseSensitive(j, "version") &&
            (v == MCU_SE_STATE_NONE ||
             ((v >> 16) & 0xFFu) != (uint32_t)scn_get_int(j, "version", 0))) {
            snprintf(why, n, "SE%u version %u, expected %d", se,
                     (unsigned)(v >> 16) & 0xFFu,
                     (int)scn_get_int(j, "version", 0));
            return false;
        }
    }
    return true;
}

static void check_expect(mcu_part_t *mp, sim_time_t now)
{
    scn_run_t *run = mp->cd->run;
    char why[160];
    if (!expect_met(mp, scn_run_current(run)->json, why, sizeof why))
        return;
    mp->expect_waiting = false;
    scn_step_complete(run, now, true, "mode %s", mcu_mode_name(mp->mode));
}

static bool expect_check(scn_ctx_t *c, const cJSON *step, const char *path)
{
    bool se = cJSON_GetObjectItemCaseSensitive(step, "se") != NULL;
    bool sv = cJSON_GetObjectItemCaseSensitive(step, "state") ||
              cJSON_GetObjectItemCaseSensitive(step, "version");
    if (se != sv)
        return scn_error(c, path, "expected \"se\" together with \"state\" "
                                  "or \"version\"");
    return true;
}

static scn_status_t expect_start(scn_run_t *run, scn_step_t *st,
                                 sim_time_t now)
{
    mcu_part_t *mp = part(run);
    char why[160];
    if (expect_met(mp, st->json, why, sizeof why))
        return SCN_STEP_DONE;
    /* wait for the MCU's next reports; the step's timeout ends the wait */
    (void)now;
    mp->expect_waiting = true;
    return SCN_STEP_PENDING;
}

static const scn_field_t forwarded_fields[] = {
    { .key = "se", .type = SCN_T_INT, .required = true, .min = 0,
      .max = CARD_MAX_SE - 1, .help = "the SE" },
    { .key = "apdus", .type = SCN_T_INT, .required = true, .min = 1,
      .max = 1000000, .help = "how many more command APDUs" },
    { 0 },
};

static void check_forwarded(mcu_part_t *mp, sim_time_t now)
{
    if (mp->forwarded[mp->fwd_se] < mp->fwd_target)
        return;
    mp->fwd_waiting = false;
    scn_step_complete(mp->cd->run, now, true, "%llu commands sent to SE%u",
                      (unsigned long long)mp->forwarded[mp->fwd_se],
                      mp->fwd_se);
}

static scn_status_t forwarded_start(scn_run_t *run, scn_step_t *st,
                                    sim_time_t now)
{
    mcu_part_t *mp = part(run);
    (void)now;
    mp->fwd_se = (unsigned)scn_get_int(st->json, "se", 0);
    mp->fwd_target = mp->forwarded[mp->fwd_se] +
                     (uint64_t)scn_get_int(st->json, "apdus", 1);
    mp->fwd_waiting = true;
    return SCN_STEP_PENDING;
}

static const scn_action_def_t expect_action = {
    .name = "mcu.expect",
    .help = "wait until the MCU's firmware has reported the working mode, "
            "routing decision or SE state given (fails at the step's "
            "timeout)",
    .fields = expect_fields, .check = expect_check, .start = expect_start,
};
static const scn_action_def_t forwarded_action = {
    .name = "mcu.wait_forwarded",
    .help = "wait until the MCU has sent this many more command APDUs to "
            "an SE (seen on its line, as the MCU>SEn hop of apdu.pcap): an "
            "instant inside a transfer to act on",
    .fields = forwarded_fields, .start = forwarded_start,
};

const scn_action_def_t *const card_mcu_actions[] = {
    &expect_action, &forwarded_action, NULL,
};
