/* SPDX-License-Identifier: MIT */
/* models/mcu.c - the BLE master MCU (see mcu.h): composition of the core
 * and memories, SYSCTL (sense inputs, traced MODE/ROUTE/SE_STATE), the
 * compare timer, the SPI master, the ISO 7816 master ports, and
 * power/reset.
 *
 * Reference: docs/mcu.md; firmware/include/regs/mcu_map.h, mcu_sysctl.h,
 * mcu_timer.h, mcu_spi.h, mcu_iso.h (the register contract).
 *
 * Notes:
 *  - every peripheral computes its state from the time of the access and
 *    schedules an event only for something that will happen (a compare
 *    match, the end of an SPI byte): nothing polls while the core sleeps;
 *  - TIMER.CNT counts core clock edges since the last reset (power-on or
 *    SYSRESETREQ), from the clock, not per instruction;
 *  - a chip reset (power off, SYSRESETREQ) resets every peripheral: the
 *    SPI releases CS, the ISO ports drive RST, CLK and VCC low (the SEs
 *    lose the power the MCU gave them), MODE returns to 0 (traced);
 *  - the ISO ports' TX FIFO is the port's send queue: TXNF while fewer than
 *    32 bytes wait in it (iso7816_port_queued() plus bytes written at this
 *    instant whose send action has not run yet). */
#include "models/mcu.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/include/regs/mcu_iso.h"
#include "firmware/include/regs/mcu_spi.h"
#include "firmware/include/regs/mcu_sysctl.h"
#include "firmware/include/regs/mcu_timer.h"
#include "sim/fatal.h"

#define MCU_NAME "mcu"
#define SENSE_DEFINED (MCU_SENSE_CONTACT_VCC | MCU_SENSE_BLE_LINK | \
                       MCU_SENSE_NFC_IRQ | MCU_SENSE_PADS_MASK)
#define MODE_MASK (MCU_MODE_CONTACT | MCU_MODE_NFC | MCU_MODE_BLE)
#define ISO_STICKY (MCU_ISO_STATUS_PERR | MCU_ISO_STATUS_OVR | \
                    MCU_ISO_STATUS_TXFAIL)
#define ISO_STATUS_ALL (MCU_ISO_STATUS_RXNE | MCU_ISO_STATUS_TXNF | \
                        MCU_ISO_STATUS_TXIDLE | ISO_STICKY)
#define SPI_STATUS_ALL (MCU_SPI_STATUS_BUSY | MCU_SPI_STATUS_RXNE | \
                        MCU_SPI_STATUS_OVR)
#define ETU_DEFAULT 372u
#define CNT_WRAP ((uint64_t)1 << 32)

static uint64_t cycle_at(const mcu_t *m, sim_time_t t)
{
    return sim_clock_edge_at_or_after(&m->cpu.clk, t);
}

/* ---- SYSCTL ---------------------------------------------------------- */

const char *mcu_mode_name(unsigned mode)
{
    static const char *const names[8] = {
        "none", "contact", "nfc", "contact+nfc",
        "ble", "contact+ble", "nfc+ble", "contact+nfc+ble",
    };
    return names[mode & MODE_MASK];
}

static void sense_update_irq(mcu_t *m)
{
    cpu_set_irq(&m->cpu, MCU_IRQ_SENSE,
                (m->sense_edge & m->sense_irqen) != 0);
}

static void trace_mode(mcu_t *m, sim_time_t t, const char *path,
                       const char *text)
{
    if (!trace_wants(m->bus, TRACE_MODE))
        return;
    trace_rec_t r = {
        .time = t, .start = t, .kind = TRACE_MODE, .source = MCU_NAME,
        .path = path, .text = text,
        .u.mode.mode = mcu_mode_name(m->mode),
    };
    trace_publish(m->bus, &r);
}

static void report(mcu_t *m, sim_time_t t, unsigned reg, uint32_t value)
{
    if (m->report)
        m->report(m->report_ctx, t, reg, value);
}

/* A MODE write (why == NULL) or a reset: traced when it changes. */
static void set_mode(mcu_t *m, sim_time_t t, uint32_t mode, const char *why)
{
    mode &= MODE_MASK;
    bool changed = mode != m->mode;
    m->mode = mode;
    if (changed)
        trace_mode(m, t, "mode", why);
    if (changed || !why)
        report(m, t, MCU_SYSCTL_MODE, mode);
}

/* "nfc>se1 session", "nfc no aid", ... (regs/mcu_sysctl.h ROUTE). */
void mcu_route_text(uint32_t v, char *buf, size_t len)
{
    static const char *const decisions[] = {
        [MCU_ROUTE_SESSION] = "session",
        [MCU_ROUTE_AID] = "aid",
        [MCU_ROUTE_REFUSED_CONTACT] = "refused: contact",
        [MCU_ROUTE_REFUSED_ABSENT] = "refused: absent",
        [MCU_ROUTE_CLOSED] = "closed",
        [MCU_ROUTE_ABORTED] = "aborted",
    };
    unsigned se = v & 0xFu, chan = (v >> 4) & 0xFu, dec = (v >> 8) & 0xFu;
    char ch[16];
    if (chan == MCU_CHAN_NFC)
        snprintf(ch, sizeof ch, "nfc");
    else if (chan == MCU_CHAN_BLE)
        snprintf(ch, sizeof ch, "ble");
    else
        snprintf(ch, sizeof ch, "chan%u", chan);
    if (dec == MCU_ROUTE_NO_AID)
        snprintf(buf, len, "%s no aid", ch);
    else if (dec >= MCU_ROUTE_SESSION && dec <= MCU_ROUTE_ABORTED)
        snprintf(buf, len, "%s>se%u %s", ch, se, decisions[dec]);
    else
        snprintf(buf, len, "%s>se%u decision %u", ch, se, dec);
}

/* "se1 loader v1", "se2 absent", ... (SE_STATE layout in mcu_sysctl.h). */
static void se_state_text(uint32_t v, char *buf, size_t len)
{
    unsigned st = v & 0xFFu, se = (v >> 8) & 0xFFu, ver = (v >> 16) & 0xFFu;
    switch (st) {
    case MCU_SE_ABSENT: snprintf(buf, len, "se%u absent", se); return;
    case MCU_SE_LOADER: snprintf(buf, len, "se%u loader v%u", se, ver); return;
    case MCU_SE_COS: snprintf(buf, len, "se%u cos v%u", se, ver); return;
    case MCU_SE_CONTACT: snprintf(buf, len, "se%u contact", se); return;
    case MCU_SE_UNKNOWN:
        snprintf(buf, len, "se%u unknown v%u", se, ver);
        return;
    default:
        snprintf(buf, len, "se%u state %u v%u", se, st, ver);
        return;
    }
}

static uint32_t sysctl_read(void *ctx, uint32_t addr, unsigned size,
                            sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    (void)t;
    if (size != 4) {
        *err = true;
        return 0;
    }
    switch (addr - MCU_SYSCTL_BASE) {
    case MCU_SYSCTL_CHIPID: return MCU_CHIPID_MAGIC | m->n_se;
    case MCU_SYSCTL_RESETCAUSE: return m->reset_cause;
    case MCU_SYSCTL_SENSE: return m->sense;
    case MCU_SYSCTL_SENSE_EDGE: return m->sense_edge;
    case MCU_SYSCTL_SENSE_IRQEN: return m->sense_irqen;
    case MCU_SYSCTL_MODE: return m->mode;
    case MCU_SYSCTL_ROUTE: /* write-only: reads as zero */
    case MCU_SYSCTL_SE_STATE: return 0;
    default:
        *err = true;
        return 0;
    }
}

static void sysctl_write(void *ctx, uint32_t addr, uint32_t value,
                         unsigned size, sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    if (size != 4) {
        *err = true;
        return;
    }
    switch (addr - MCU_SYSCTL_BASE) {
    case MCU_SYSCTL_CHIPID:
    case MCU_SYSCTL_SENSE:
        return; /* read-only */
    case MCU_SYSCTL_RESETCAUSE:
        m->reset_cause &= ~value;
        return;
    case MCU_SYSCTL_SENSE_EDGE:
        m->sense_edge &= ~value;
        sense_update_irq(m);
        return;
    case MCU_SYSCTL_SENSE_IRQEN:
        m->sense_irqen = value & SENSE_DEFINED;
        sense_update_irq(m);
        return;
    case MCU_SYSCTL_MODE:
        set_mode(m, t, value, NULL);
        return;
    case MCU_SYSCTL_ROUTE: {
        m->route = value;
        if (trace_wants(m->bus, TRACE_MODE)) {
            char text[64];
            mcu_route_text(value, text, sizeof text);
            trace_mode(m, t, "route", text);
        }
        report(m, t, MCU_SYSCTL_ROUTE, value);
        return;
    }
    case MCU_SYSCTL_SE_STATE: {
        unsigned se = (value >> 8) & 0xFFu;
        if (se < MCU_ISO_PORTS)
            m->se_state[se] = value;
        if (trace_wants(m->bus, TRACE_LOG)) {
            char text[64];
            se_state_text(value, text, sizeof text);
            trace_logf(m->bus, t, MCU_NAME, 0, "%s", text);
        }
        report(m, t, MCU_SYSCTL_SE_STATE, value);
        return;
    }
    default:
        *err = true;
    }
}

void mcu_set_sense(mcu_t *m, sim_time_t now, uint32_t mask, uint32_t levels)
{
    (void)now;
    mask &= SENSE_DEFINED;
    uint32_t nv = (m->sense & ~mask) | (levels & mask);
    uint32_t changed = nv ^ m->sense;
    m->sense = nv;
    if (!m->powered || !changed)
        return; /* an unpowered chip latches no edge */
    m->sense_edge |= changed;
    sense_update_irq(m);
}

void mcu_set_nfc_irq(mcu_t *m, sim_time_t now, bool level)
{
    m->nfc_irq = level;
    mcu_set_sense(m, now, MCU_SENSE_NFC_IRQ, level ? MCU_SENSE_NFC_IRQ : 0);
    cpu_set_irq(&m->cpu, MCU_IRQ_NFC, level);
}

void mcu_set_radio_irq(mcu_t *m, sim_time_t now, bool level)
{
    (void)now;
    cpu_set_irq(&m->cpu, MCU_IRQ_RADIO, level);
}

void mcu_sense_rx(void *ctx, const sim_msg_t *msg, sim_time_t now)
{
    mcu_t *m = ctx;
    switch (msg->kind) {
    case MCU_MSG_SENSE:
        mcu_set_sense(m, now, (uint32_t)(msg->value >> 32),
                      (uint32_t)msg->value);
        return;
    case MCU_MSG_POWER:
        mcu_power(m, now, msg->value != 0);
        return;
    default:
        sim_fatal(now, "mcu: unexpected message kind %" PRIu32 " on link "
                  "'%s'", msg->kind, msg->link ? msg->link->name : "?");
    }
}

/* ---- TIMER: free-running up-counter, one compare --------------------- */

static uint32_t timer_cnt(const mcu_t *m, sim_time_t t)
{
    return (uint32_t)(cycle_at(m, t) - m->reset_cycle);
}

static void timer_update_irq(mcu_t *m)
{
    cpu_set_irq(&m->cpu, MCU_IRQ_TIMER,
                (m->tm_status & MCU_TIMER_STATUS_MATCH) &&
                    (m->tm_ctrl & MCU_TIMER_CTRL_IRQEN));
}

/* The next edge at which CNT becomes CMP: the count reaches a value on
 * the edge that increments it to that value, so a CMP equal to the
 * present count matches one wrap later. */
static void timer_arm(mcu_t *m, sim_time_t t)
{
    sim_cancel(&m->node, &m->tm_ev);
    if (!(m->tm_ctrl & MCU_TIMER_CTRL_CMPEN))
        return;
    uint64_t now_c = cycle_at(m, t);
    uint64_t d = (uint32_t)(m->tm_cmp - (uint32_t)(now_c - m->reset_cycle));
    if (d == 0)
        d = CNT_WRAP;
    m->tm_match_cycle = now_c + d;
    sim_schedule(&m->node, &m->tm_ev,
                 sim_clock_edge(&m->cpu.clk, m->tm_match_cycle));
}

static void timer_fire(sim_event_t *ev, sim_time_t now)
{
    mcu_t *m = ev->ctx;
    (void)now;
    m->tm_status |= MCU_TIMER_STATUS_MATCH;
    timer_update_irq(m);
    m->tm_match_cycle += CNT_WRAP; /* matches again after a wrap */
    sim_schedule(&m->node, &m->tm_ev,
                 sim_clock_edge(&m->cpu.clk, m->tm_match_cycle));
}

static void timer_reset(mcu_t *m)
{
    m->tm_cmp = m->tm_ctrl = m->tm_status = 0;
    sim_cancel(&m->node, &m->tm_ev);
    timer_update_irq(m);
}

static uint32_t timer_read(void *ctx, uint32_t addr, unsigned size,
                           sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    if (size != 4) {
        *err = true;
        return 0;
    }
    switch (addr - MCU_TIMER_BASE) {
    case MCU_TIMER_CNT: return timer_cnt(m, t);
    case MCU_TIMER_CMP: return m->tm_cmp;
    case MCU_TIMER_CTRL: return m->tm_ctrl;
    case MCU_TIMER_STATUS: return m->tm_status;
    default:
        *err = true;
        return 0;
    }
}

static void timer_write(void *ctx, uint32_t addr, uint32_t value,
                        unsigned size, sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    if (size != 4) {
        *err = true;
        return;
    }
    switch (addr - MCU_TIMER_BASE) {
    case MCU_TIMER_CNT:
        return; /* read-only */
    case MCU_TIMER_CMP:
        m->tm_cmp = value;
        timer_arm(m, t);
        return;
    case MCU_TIMER_CTRL: {
        uint32_t old = m->tm_ctrl;
        m->tm_ctrl = value & (MCU_TIMER_CTRL_CMPEN | MCU_TIMER_CTRL_IRQEN);
        if ((old ^ m->tm_ctrl) & MCU_TIMER_CTRL_CMPEN)
            timer_arm(m, t);
        timer_update_irq(m);
        return;
    }
    case MCU_TIMER_STATUS:
        m->tm_status &= ~value;
        timer_update_irq(m);
        return;
    default:
        *err = true;
    }
}

/* ---- SPI master ------------------------------------------------------ */

static unsigned spi_div(uint32_t ctrl)
{
    unsigned d = (ctrl & MCU_SPI_CTRL_DIV_MASK) >> MCU_SPI_CTRL_DIV_SHIFT;
    return d == 0 ? 4 : d < 2 ? 2 : d;
}

static void spi_update_irq(mcu_t *m)
{
    cpu_set_irq(&m->cpu, MCU_IRQ_SPI, (m->spi_status & m->spi_irqen) != 0);
}

static void spi_set_cs(mcu_t *m, sim_time_t now, bool asserted)
{
    if (asserted == m->spi_cs)
        return;
    m->spi_cs = asserted;
    if (m->spi_slave.cs)
        m->spi_slave.cs(m->spi_slave.ctx, now, asserted);
}

static void spi_trace(mcu_t *m, sim_time_t now)
{
    if (!trace_wants(m->bus, TRACE_LINE_BYTE))
        return;
    trace_rec_t r = {
        .time = now, .start = m->spi_start, .kind = TRACE_LINE_BYTE,
        .source = "mcu.spi", .path = "spi", .dir = TRACE_DIR_CMD,
        .data = &m->spi_tx, .len = 1,
    };
    trace_publish(m->bus, &r);
    r.dir = TRACE_DIR_RSP;
    r.data = &m->spi_rx;
    trace_publish(m->bus, &r);
}

/* The 8th SCK period is over: the slave has the byte, MISO is latched. */
static void spi_fire(sim_event_t *ev, sim_time_t now)
{
    mcu_t *m = ev->ctx;
    uint8_t miso = 0xFF; /* MISO pulled up when no slave is selected */
    if (m->spi_cs && m->spi_slave.xfer)
        miso = m->spi_slave.xfer(m->spi_slave.ctx, now, m->spi_tx);
    m->spi_rx = miso;
    m->spi_status = (m->spi_status & ~MCU_SPI_STATUS_BUSY) |
                    MCU_SPI_STATUS_RXNE;
    m->spi_bytes++;
    spi_trace(m, now);
    spi_update_irq(m);
}

static void spi_abort(mcu_t *m)
{
    sim_cancel(&m->node, &m->spi_ev);
    m->spi_status &= ~MCU_SPI_STATUS_BUSY;
}

static void spi_reset(mcu_t *m, sim_time_t now)
{
    spi_abort(m);
    m->spi_ctrl = m->spi_status = m->spi_irqen = 0;
    m->spi_rx = m->spi_tx = 0;
    spi_set_cs(m, now, false);
    spi_update_irq(m);
}

static uint32_t spi_read(void *ctx, uint32_t addr, unsigned size,
                         sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    (void)t;
    if (size != 4) {
        *err = true;
        return 0;
    }
    switch (addr - MCU_SPI_BASE) {
    case MCU_SPI_CTRL: return m->spi_ctrl;
    case MCU_SPI_DATA:
        m->spi_status &= ~MCU_SPI_STATUS_RXNE;
        spi_update_irq(m);
        return m->spi_rx;
    case MCU_SPI_STATUS: return m->spi_status;
    case MCU_SPI_IRQEN: return m->spi_irqen;
    default:
        *err = true;
        return 0;
    }
}

static void spi_write(void *ctx, uint32_t addr, uint32_t value,
                      unsigned size, sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    if (size != 4) {
        *err = true;
        return;
    }
    switch (addr - MCU_SPI_BASE) {
    case MCU_SPI_CTRL: {
        m->spi_ctrl = value & (MCU_SPI_CTRL_EN | MCU_SPI_CTRL_CS |
                               MCU_SPI_CTRL_DIV_MASK);
        bool en = m->spi_ctrl & MCU_SPI_CTRL_EN;
        if (!en && (m->spi_status & MCU_SPI_STATUS_BUSY)) {
            sim_warn(t, "mcu.spi", "disabled during a transfer: aborted");
            spi_abort(m);
        }
        bool cs = en && (m->spi_ctrl & MCU_SPI_CTRL_CS);
        if (cs != m->spi_cs && (m->spi_status & MCU_SPI_STATUS_BUSY))
            sim_warn(t, "mcu.spi", "chip select changed during a transfer");
        spi_set_cs(m, t, cs);
        spi_update_irq(m);
        return;
    }
    case MCU_SPI_DATA: {
        if (!(m->spi_ctrl & MCU_SPI_CTRL_EN)) {
            sim_warn(t, "mcu.spi", "DATA written while disabled: ignored");
            return;
        }
        if (m->spi_status & MCU_SPI_STATUS_BUSY) {
            m->spi_status |= MCU_SPI_STATUS_OVR;
            spi_update_irq(m);
            return;
        }
        m->spi_tx = (uint8_t)value;
        m->spi_start = t;
        m->spi_status |= MCU_SPI_STATUS_BUSY;
        uint64_t end = cycle_at(m, t) + 8u * spi_div(m->spi_ctrl);
        sim_schedule(&m->node, &m->spi_ev, sim_clock_edge(&m->cpu.clk, end));
        spi_update_irq(m);
        return;
    }
    case MCU_SPI_STATUS:
        m->spi_status &= ~(value & MCU_SPI_STATUS_OVR);
        spi_update_irq(m);
        return;
    case MCU_SPI_IRQEN:
        m->spi_irqen = value & SPI_STATUS_ALL;
        spi_update_irq(m);
        return;
    default:
        *err = true;
    }
}

/* ---- ISO 7816 master ports ------------------------------------------- */

static size_t iso_tx_queued(const mcu_iso_t *io)
{
    return iso7816_port_queued(&io->port) + io->tx_pending;
}

static uint32_t iso_status(const mcu_iso_t *io)
{
    uint32_t st = io->sticky;
    if (io->rx_n)
        st |= MCU_ISO_STATUS_RXNE;
    if (iso_tx_queued(io) < MCU_ISO_FIFO)
        st |= MCU_ISO_STATUS_TXNF;
    if (io->tx_pending == 0 && iso7816_port_idle(&io->port))
        st |= MCU_ISO_STATUS_TXIDLE;
    return st;
}

static void iso_update(mcu_iso_t *io)
{
    if (io->port.tx_failed != io->tx_failed_seen) {
        io->tx_failed_seen = io->port.tx_failed;
        io->sticky |= MCU_ISO_STATUS_TXFAIL;
    }
    bool level = (iso_status(io) & io->irqen) != 0;
    io->irq = level;
    cpu_set_irq(&io->mcu->cpu, MCU_IRQ_ISO(io->index), level);
}

static uint64_t iso_clk_hz(const mcu_iso_t *io)
{
    if (!(io->ctrl & MCU_ISO_CTRL_CLKEN))
        return 0;
    unsigned d = io->clkdiv & 0xFFu;
    return MCU_CORE_HZ / (d == 0 ? 4 : d < 2 ? 2 : d);
}

static void iso_on_rx(void *ctx, sim_time_t now, uint8_t byte,
                      unsigned flags)
{
    mcu_iso_t *io = ctx;
    (void)now;
    if (flags & ISO7816_RX_PARITY)
        io->sticky |= MCU_ISO_STATUS_PERR;
    /* a character the port rejected under T=0 is repeated by the card:
     * only the repetition goes to the FIFO */
    if (!(flags & ISO7816_RX_NAKED)) {
        if (io->rx_n == MCU_ISO_FIFO) {
            io->sticky |= MCU_ISO_STATUS_OVR;
        } else {
            io->rx[(io->rx_head + io->rx_n) % MCU_ISO_FIFO] = byte;
            io->rx_n++;
        }
    }
    iso_update(io);
}

static void iso_on_idle(void *ctx, sim_time_t now)
{
    (void)now;
    iso_update(ctx);
}

/* Runs after the send actions of every DATA write so far (it is moved
 * behind each new one): the port has taken those bytes. */
static void iso_mark_fire(sim_event_t *ev, sim_time_t now)
{
    mcu_iso_t *io = ev->ctx;
    (void)now;
    io->tx_pending = 0;
    iso_update(io);
}

/* The line output of a port wired by mcu_connect_se(): a character
 * starting means a byte left the queue (TXNF may rise). */
static void iso_out(void *ctx, sim_time_t now, sim_time_t at, uint32_t kind,
                    uint64_t value)
{
    mcu_iso_t *io = ctx;
    iso7816_line_send(io->line, now, at, kind, value);
    if (kind == ISO7816_MSG_CHAR)
        iso_update(io);
}

/* Levels driven on CTRL changes, in the ISO 7816-3 orders: deactivation
 * RST, CLK, VCC (6.4); activation VCC, CLK, RST (6.2). */
static void iso_set_ctrl(mcu_iso_t *io, sim_time_t t, uint32_t v)
{
    iso7816_port_t *p = &io->port;
    uint32_t old = io->ctrl;
    io->ctrl = v & (MCU_ISO_CTRL_VCC | MCU_ISO_CTRL_RST |
                    MCU_ISO_CTRL_CLKEN | MCU_ISO_CTRL_T0);
    uint32_t fall = old & ~io->ctrl, rise = io->ctrl & ~old;
    if (fall & MCU_ISO_CTRL_RST)
        iso7816_port_set_rst(p, t, false);
    if (fall & MCU_ISO_CTRL_CLKEN)
        iso7816_port_set_clk(p, t, 0);
    if (fall & MCU_ISO_CTRL_VCC)
        iso7816_port_set_vcc(p, t, false);
    if (rise & MCU_ISO_CTRL_VCC)
        iso7816_port_set_vcc(p, t, true);
    if (rise & MCU_ISO_CTRL_CLKEN)
        iso7816_port_set_clk(p, t, iso_clk_hz(io));
    if (rise & MCU_ISO_CTRL_RST)
        iso7816_port_set_rst(p, t, true);
    if ((old ^ io->ctrl) & MCU_ISO_CTRL_T0)
        iso7816_port_set_t0(p, t, io->ctrl & MCU_ISO_CTRL_T0);
}

static void iso_reset(mcu_iso_t *io, sim_time_t now)
{
    iso7816_port_t *p = &io->port;
    iso7816_port_reset(p);
    iso7816_port_set_rst(p, now, false);
    iso7816_port_set_clk(p, now, 0);
    iso7816_port_set_vcc(p, now, false);
    io->ctrl = io->clkdiv = io->etu = io->gt = io->irqen = 0;
    io->sticky = 0;
    io->rx_head = io->rx_n = 0;
    io->tx_failed_seen = p->tx_failed;
    iso_update(io);
}

static mcu_iso_t *iso_of(mcu_t *m, uint32_t addr, uint32_t *off)
{
    uint32_t rel = addr - MCU_ISO_BASE;
    unsigned n = rel / MCU_ISO_STRIDE;
    if (n >= m->n_se)
        return NULL;
    *off = rel % MCU_ISO_STRIDE;
    return &m->iso[n];
}

static uint32_t iso_read(void *ctx, uint32_t addr, unsigned size,
                         sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    (void)t;
    uint32_t off;
    mcu_iso_t *io = iso_of(m, addr, &off);
    if (size != 4 || !io) {
        *err = true;
        return 0;
    }
    switch (off) {
    case MCU_ISO_CTRL: return io->ctrl;
    case MCU_ISO_CLKDIV: return io->clkdiv;
    case MCU_ISO_ETU: return io->etu;
    case MCU_ISO_GT: return io->gt;
    case MCU_ISO_DATA: {
        if (!io->rx_n)
            return 0;
        uint8_t b = io->rx[io->rx_head];
        io->rx_head = (io->rx_head + 1) % MCU_ISO_FIFO;
        io->rx_n--;
        iso_update(io);
        return b;
    }
    case MCU_ISO_STATUS:
        iso_update(io); /* folds in a TXFAIL the port reported */
        return iso_status(io);
    case MCU_ISO_IRQEN: return io->irqen;
    case MCU_ISO_RXCOUNT: return io->rx_n;
    default:
        *err = true;
        return 0;
    }
}

static void iso_write(void *ctx, uint32_t addr, uint32_t value,
                      unsigned size, sim_time_t t, bool *err)
{
    mcu_t *m = ctx;
    uint32_t off;
    mcu_iso_t *io = iso_of(m, addr, &off);
    if (size != 4 || !io) {
        *err = true;
        return;
    }
    iso7816_port_t *p = &io->port;
    switch (off) {
    case MCU_ISO_CTRL:
        iso_set_ctrl(io, t, value);
        break;
    case MCU_ISO_CLKDIV: {
        uint64_t old = iso_clk_hz(io);
        io->clkdiv = value & 0xFFu;
        uint64_t hz = iso_clk_hz(io);
        if (hz != old)
            iso7816_port_set_clk(p, t, hz);
        break;
    }
    case MCU_ISO_ETU:
        io->etu = value & 0xFFFFu;
        iso7816_port_set_etu(p, t, io->etu ? io->etu : ETU_DEFAULT);
        break;
    case MCU_ISO_GT:
        io->gt = value & 0xFFu;
        iso7816_port_set_guard(p, t, io->gt);
        break;
    case MCU_ISO_DATA: {
        if (iso_tx_queued(io) >= MCU_ISO_FIFO) {
            io->sticky |= MCU_ISO_STATUS_OVR;
            break;
        }
        uint8_t b = (uint8_t)value;
        iso7816_port_send(p, t, &b, 1);
        io->tx_pending++;
        sim_reschedule(&m->node, &io->tx_mark, t);
        break;
    }
    case MCU_ISO_STATUS:
        io->sticky &= ~(value & ISO_STICKY);
        break;
    case MCU_ISO_IRQEN:
        io->irqen = value & ISO_STATUS_ALL;
        break;
    case MCU_ISO_RXCOUNT:
        return; /* read-only */
    default:
        *err = true;
        return;
    }
    iso_update(io);
}

iso7816_port_t *mcu_port(mcu_t *m, unsigned n)
{
    if (n >= m->n_se)
        sim_fatal_plain("mcu: no ISO port %u (%u SEs)", n, m->n_se);
    return &m->iso[n].port;
}

void mcu_connect_se(mcu_t *m, unsigned n, iso7816_line_t *line, sim_t *sim,
                    const char *name, iso7816_end_t card)
{
    mcu_iso_t *io = &m->iso[n];
    iso7816_port_t *p = mcu_port(m, n);
    io->line = line;
    iso7816_line_init(line, sim, name, iso7816_port_end(p), card);
    iso7816_port_set_output(p, iso_out, io);
}

/* ---- the bus map ----------------------------------------------------- */

typedef struct mmio_ent {
    const char *name;
    uint32_t base;
    cpu_mmio_read_fn rd;
    cpu_mmio_write_fn wr;
    void *ctx;
} mmio_ent_t;

static size_t mmio_table(mcu_t *m, mmio_ent_t out[5])
{
    size_t n = 0;
    out[n++] = (mmio_ent_t){ "sysctl", MCU_SYSCTL_BASE, sysctl_read,
                             sysctl_write, m };
    out[n++] = (mmio_ent_t){ "timer", MCU_TIMER_BASE, timer_read,
                             timer_write, m };
    out[n++] = (mmio_ent_t){ "spi", MCU_SPI_BASE, spi_read, spi_write, m };
    out[n++] = (mmio_ent_t){ "iso", MCU_ISO_BASE, iso_read, iso_write, m };
    if (m->radio.read || m->radio.write)
        out[n++] = (mmio_ent_t){ "radio", MCU_RADIO_BASE, m->radio.read,
                                 m->radio.write, m->radio.ctx };
    return n;
}

static const mmio_ent_t *mmio_find(mcu_t *m, uint32_t addr,
                                   mmio_ent_t tab[5])
{
    size_t n = mmio_table(m, tab);
    for (size_t i = 0; i < n; i++)
        if (addr - tab[i].base < MCU_PERIPH_SIZE)
            return &tab[i];
    return NULL;
}

bool mcu_bus_read(mcu_t *m, uint32_t addr, sim_time_t t, uint32_t *value)
{
    mmio_ent_t tab[5];
    const mmio_ent_t *e = mmio_find(m, addr, tab);
    *value = 0;
    if (addr & 3)
        return false;
    if (!e)
        return cpu_read_mem(&m->cpu, addr, value, 4);
    if (!e->rd)
        return false;
    bool err = false;
    *value = e->rd(e->ctx, addr, 4, t, &err);
    return !err;
}

bool mcu_bus_write(mcu_t *m, uint32_t addr, uint32_t value, sim_time_t t)
{
    mmio_ent_t tab[5];
    const mmio_ent_t *e = mmio_find(m, addr, tab);
    if (addr & 3)
        return false;
    if (!e)
        return addr - MCU_RAM_BASE < MCU_RAM_SIZE &&
               cpu_write_mem(&m->cpu, addr, &value, 4);
    if (!e->wr)
        return false;
    bool err = false;
    e->wr(e->ctx, addr, value, 4, t, &err);
    return !err;
}

/* ---- reset and power ------------------------------------------------- */

/* Every peripheral and SYSCTL register back to its reset state (the reset
 * cause and the input levels excepted). */
static void chip_reset(mcu_t *m, sim_time_t now)
{
    timer_reset(m);
    spi_reset(m, now);
    for (unsigned i = 0; i < m->n_se; i++)
        iso_reset(&m->iso[i], now);
    if (m->radio.reset)
        m->radio.reset(m->radio.ctx, now);
    m->sense_edge = m->sense_irqen = 0;
    sense_update_irq(m);
    set_mode(m, now, 0, "reset");
    m->route = 0;
    for (unsigned i = 0; i < MCU_ISO_PORTS; i++)
        m->se_state[i] = MCU_SE_STATE_NONE;
    report(m, now, MCU_REPORT_RESET, 0);
}

static void core_start(mcu_t *m, sim_time_t now, uint32_t cause)
{
    m->reset_cause |= cause;
    m->reset_cycle = cycle_at(m, now);
    m->resets++;
    cpu_reset(&m->cpu);
}

void mcu_power(mcu_t *m, sim_time_t now, bool on)
{
    if (on == m->powered)
        return;
    m->powered = on;
    if (!on) {
        cpu_halt(&m->cpu);
        chip_reset(m, now);
        memset(m->ram, 0, MCU_RAM_SIZE);
        cpu_invalidate(&m->cpu, MCU_RAM_BASE, MCU_RAM_SIZE);
        m->reset_cause = 0;
        if (trace_wants(m->bus, TRACE_LOG))
            trace_logf(m->bus, now, MCU_NAME, 0, "power off");
        return;
    }
    core_start(m, now, MCU_RESETCAUSE_POR);
    if (trace_wants(m->bus, TRACE_LOG))
        trace_logf(m->bus, now, MCU_NAME, 0, "reset released (power-on)");
}

static void battery_fire(sim_event_t *ev, sim_time_t now)
{
    mcu_power(ev->ctx, now, true);
}

void mcu_battery_cut(mcu_t *m, sim_time_t now, sim_time_t off)
{
    if (trace_wants(m->bus, TRACE_LOG))
        trace_logf(m->bus, now, MCU_NAME, 1, "fault: battery cut");
    mcu_power(m, now, false);
    sim_reschedule(&m->node, &m->battery_ev, sim_time_add(now, off));
}

/* AIRCR.SYSRESETREQ: the whole chip resets, the inputs stay */
static void on_sysreset(void *ctx, cpu_t *cpu, sim_time_t t)
{
    mcu_t *m = ctx;
    (void)cpu;
    chip_reset(m, t);
    core_start(m, t, MCU_RESETCAUSE_SYSRESET);
    if (trace_wants(m->bus, TRACE_LOG))
        trace_logf(m->bus, t, MCU_NAME, 0, "system reset request");
}

static void on_fault(void *ctx, cpu_t *cpu, const cpu_fault_t *f)
{
    mcu_t *m = ctx;
    (void)cpu;
    if (!trace_wants(m->bus, TRACE_CPU_FAULT))
        return;
    char where[160];
    mcu_where(m, f->pc, where, sizeof where);
    trace_rec_t r = {
        .time = f->time, .start = f->time, .kind = TRACE_CPU_FAULT,
        .source = MCU_NAME, .text = cpu_fault_name(f->kind),
        .u.fault = { .pc = f->pc, .where = where },
    };
    trace_publish(m->bus, &r);
}

/* ---- composition ----------------------------------------------------- */

static int load_flash(mcu_t *m, const char *path, char *err, size_t errlen)
{
    if (elf_load(&m->elf, path, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < m->elf.nsegs; i++) {
        const elf_segment_t *s = &m->elf.segs[i];
        if (s->filesz == 0)
            continue; /* .bss: RAM the startup code zeroes */
        uint64_t end = (uint64_t)s->paddr + s->filesz;
        if (end > MCU_FLASH_BASE + MCU_FLASH_SIZE) {
            snprintf(err, errlen, "%s: segment %zu at 0x%08" PRIx32
                     "..0x%08" PRIx64 " does not fit the MCU's 256 KiB "
                     "flash at 0x00000000", path, i, s->paddr, end);
            elf_free(&m->elf);
            return -1;
        }
        memcpy(m->flash + s->paddr, s->data, s->filesz);
    }
    return 0;
}

int mcu_init(mcu_t *m, sim_t *sim, const mcu_cfg_t *cfg, char *err,
             size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (cfg->n_se > MCU_ISO_PORTS) {
        snprintf(err, errlen, "mcu: %u SEs, the MCU has %u ISO ports",
                 cfg->n_se, MCU_ISO_PORTS);
        return -1;
    }
    m->n_se = cfg->n_se;
    m->bus = cfg->bus;
    if (cfg->spi)
        m->spi_slave = *cfg->spi;
    if (cfg->radio)
        m->radio = *cfg->radio;
    m->report = cfg->report;
    m->report_ctx = cfg->report_ctx;
    m->flash = malloc(MCU_FLASH_SIZE);
    m->ram = calloc(1, MCU_RAM_SIZE);
    if (!m->flash || !m->ram)
        sim_fatal_plain("mcu: out of memory");
    memset(m->flash, 0xFF, MCU_FLASH_SIZE); /* erased NOR */
    if (load_flash(m, cfg->firmware_elf, err, errlen) != 0) {
        free(m->flash);
        free(m->ram);
        m->flash = m->ram = NULL;
        return -1;
    }

    sim_node_init(&m->node, sim, MCU_NAME, m);
    cpu_cfg_t cc = { .name = "mcu.cpu", .hz = MCU_CORE_HZ, .node = &m->node };
    cpu_init(&m->cpu, &cc);
    sim_cpu_hook_t hook;
    cpu_hook(&m->cpu, &hook);
    sim_node_set_cpu(&m->node, &hook);
    cpu_set_reset_request(&m->cpu, on_sysreset, m);
    cpu_set_fault_handler(&m->cpu, on_fault, m);

    cpu_map(&m->cpu, &(cpu_map_cfg_t){ .name = "flash", .kind = CPU_MEM_ROM,
        .base = MCU_FLASH_BASE, .size = MCU_FLASH_SIZE, .host = m->flash });
    cpu_map(&m->cpu, &(cpu_map_cfg_t){ .name = "ram", .kind = CPU_MEM_RAM,
        .base = MCU_RAM_BASE, .size = MCU_RAM_SIZE, .host = m->ram });
    /* the firmware never changes at run time: decode it once, here
     * (docs/performance.md) */
    for (size_t i = 0; i < m->elf.nsegs; i++) {
        const elf_segment_t *sg = &m->elf.segs[i];
        if (sg->filesz && sg->paddr < MCU_FLASH_BASE + MCU_FLASH_SIZE)
            cpu_predecode(&m->cpu, sg->paddr, (uint32_t)sg->filesz);
    }
    mmio_ent_t tab[5];
    size_t n = mmio_table(m, tab);
    for (size_t i = 0; i < n; i++)
        cpu_map(&m->cpu, &(cpu_map_cfg_t){ .name = tab[i].name,
            .kind = CPU_MEM_MMIO, .base = tab[i].base,
            .size = MCU_PERIPH_SIZE, .read = tab[i].rd, .write = tab[i].wr,
            .ctx = tab[i].ctx });

    sim_event_init(&m->tm_ev, "mcu.timer", timer_fire, m);
    sim_event_init(&m->battery_ev, "mcu.battery", battery_fire, m);
    sim_event_init(&m->spi_ev, "mcu.spi", spi_fire, m);
    for (unsigned i = 0; i < m->n_se; i++) {
        mcu_iso_t *io = &m->iso[i];
        io->mcu = m;
        io->index = i;
        snprintf(io->name, sizeof io->name, "mcu.iso%u", i);
        snprintf(io->path, sizeof io->path, "mcu-se%u", i);
        iso7816_port_cfg_t pc = { .name = io->name, .path = io->path,
                                  .node = &m->node, .bus = m->bus,
                                  .on_rx = iso_on_rx,
                                  .on_idle = iso_on_idle, .ctx = io };
        iso7816_port_init(&io->port, sim, &pc);
        sim_event_init(&io->tx_mark, "mcu.iso-tx", iso_mark_fire, io);
    }
    for (unsigned i = 0; i < MCU_ISO_PORTS; i++)
        m->se_state[i] = MCU_SE_STATE_NONE;

    /* battery powered: power-on reset at t = 0 */
    m->powered = true;
    core_start(m, 0, MCU_RESETCAUSE_POR);
    return 0;
}

void mcu_cleanup(mcu_t *m)
{
    sim_cancel(&m->node, &m->tm_ev);
    sim_cancel(&m->node, &m->spi_ev);
    for (unsigned i = 0; i < m->n_se; i++) {
        sim_cancel(&m->node, &m->iso[i].tx_mark);
        iso7816_port_cleanup(&m->iso[i].port);
    }
    cpu_cleanup(&m->cpu);
    elf_free(&m->elf);
    free(m->flash);
    free(m->ram);
    m->flash = m->ram = NULL;
}

/* ---- observers ------------------------------------------------------- */

sim_node_t *mcu_node(mcu_t *m)
{
    return &m->node;
}

unsigned mcu_mode(const mcu_t *m)
{
    return m->mode;
}

uint32_t mcu_route(const mcu_t *m)
{
    return m->route;
}

uint32_t mcu_se_state(const mcu_t *m, unsigned se)
{
    return se < MCU_ISO_PORTS ? m->se_state[se] : MCU_SE_STATE_NONE;
}

void mcu_where(const mcu_t *m, uint32_t pc, char *buf, size_t len)
{
    if (pc - MCU_FLASH_BASE < MCU_FLASH_SIZE)
        elf_symbolize(&m->elf, pc, buf, len);
    else
        snprintf(buf, len, "0x%08" PRIx32, pc);
}

uint64_t mcu_cycles(const mcu_t *m)
{
    return cpu_cycles(&m->cpu);
}

uint64_t mcu_instructions(const mcu_t *m)
{
    return cpu_instructions(&m->cpu);
}
