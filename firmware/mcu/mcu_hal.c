/* SPDX-License-Identifier: MIT */
/* firmware/mcu/mcu_hal.c - the MCU's registers behind mcu_hal.h, and its
 * interrupt handlers.
 *
 * Reference: firmware/include/regs/mcu_*.h (docs/mcu.md), ARMv6-M ARM
 * B3.4 (NVIC), B1.5.16 (WFI with PRIMASK set wakes on a pending enabled
 * interrupt).
 *
 * Notes
 * - One static instance (mcu_hal) holds what handlers and thread mode
 *   share: the event bits, per port a receive ring and the block being
 *   sent. Rings are single producer (handler) / single consumer (thread).
 * - A PERR/OVR seen by the ISO handler marks the character it takes next
 *   (STATUS is sticky, not per character): enough for T=1, which only
 *   needs to know that a block arrived broken. */
#include "mcu_hal.h"

#include "cm0.h"
#include "regs/mcu_iso.h"
#include "regs/mcu_map.h"
#include "regs/mcu_radio.h"
#include "regs/mcu_spi.h"
#include "regs/mcu_sysctl.h"
#include "regs/mcu_timer.h"

#define RING 64u    /* a power of two; two FIFO loads */

typedef struct hal_iso {
    uint16_t ring[RING];
    volatile uint8_t head;      /* written by the handler */
    volatile uint8_t tail;      /* written by thread mode */
    volatile uint32_t last_rx;
    const uint8_t *volatile tx;
    volatile uint16_t tx_len, tx_off;
} hal_iso_t;

typedef struct mcu_hal {
    volatile uint32_t events;
    volatile uint32_t sense_edges;
    volatile uint32_t radio_events;     /* EVENT bits seen */
    volatile uint32_t radio_irqen;      /* IRQEN as written */
    hal_iso_t iso[MCU_ISO_PORTS];
} mcu_hal_t;

static mcu_hal_t mcu_hal;

#define SYS(r)      (MCU_SYSCTL_BASE + (r))
#define TIM(r)      (MCU_TIMER_BASE + (r))
#define SPI(r)      (MCU_SPI_BASE + (r))
#define ISO(n, r)   (MCU_ISO_PORT_BASE(n) + (r))
#define RAD(r)      (MCU_RADIO_BASE + (r))

#define RADIO_IRQEN (MCU_RADIO_EV_CONNECTED | MCU_RADIO_EV_DISCONNECTED | \
                     MCU_RADIO_EV_RX)

/* SCK = 16 MHz / 2 = 8 MHz, the front end's maximum (nfc_spi.h) */
#define MCU_SPI_DIV 2u

static void set_event(uint32_t bits)
{
    /* handlers of one priority do not preempt each other; thread mode
     * takes the bits with interrupts masked */
    mcu_hal.events |= bits;
}

void mcu_hal_init(void)
{
    cm0_irq_disable();
    cm0_write32(TIM(MCU_TIMER_CTRL), 0);
    cm0_write32(TIM(MCU_TIMER_STATUS), MCU_TIMER_STATUS_MATCH);
    cm0_write32(SPI(MCU_SPI_IRQEN), 0);
    cm0_write32(SPI(MCU_SPI_STATUS), MCU_SPI_STATUS_OVR);
    cm0_write32(SPI(MCU_SPI_CTRL),
                MCU_SPI_CTRL_EN | (MCU_SPI_DIV << MCU_SPI_CTRL_DIV_SHIFT));
    cm0_write32(SYS(MCU_SYSCTL_SENSE_EDGE), 0xFFFFFFFFu);
    cm0_write32(RAD(MCU_RADIO_IRQEN), 0);
    cm0_write32(RAD(MCU_RADIO_EVENT), 0xFFFFFFFFu);
    cm0_write32(SYS(MCU_SYSCTL_SENSE_IRQEN), MCU_SENSE_CONTACT_VCC |
                MCU_SENSE_BLE_LINK | MCU_SENSE_PADS_MASK);
    uint32_t lines = (1u << MCU_IRQ_TIMER) | (1u << MCU_IRQ_SPI) |
                     (1u << MCU_IRQ_NFC) | (1u << MCU_IRQ_SENSE) |
                     (1u << MCU_IRQ_RADIO);
    for (unsigned n = 0; n < MCU_ISO_PORTS; n++)
        lines |= 1u << MCU_IRQ_ISO(n);
    cm0_write32(NVIC_ICPR, lines);
    cm0_write32(NVIC_ISER, lines);
}

void mcu_hal_irq_on(void)
{
    cm0_irq_enable();
}

unsigned mcu_hal_nse(void)
{
    unsigned n = cm0_read32(SYS(MCU_SYSCTL_CHIPID)) & MCU_CHIPID_NSE_MASK;
    return n > MCU_ISO_PORTS ? MCU_ISO_PORTS : n;
}

uint32_t mcu_hal_sense(void)
{
    return cm0_read32(SYS(MCU_SYSCTL_SENSE));
}

void mcu_hal_set_mode(uint32_t mode)
{
    cm0_write32(SYS(MCU_SYSCTL_MODE), mode);
}

void mcu_hal_route(uint32_t route)
{
    cm0_write32(SYS(MCU_SYSCTL_ROUTE), route);
}

void mcu_hal_se_state(unsigned se, unsigned state, unsigned version)
{
    cm0_write32(SYS(MCU_SYSCTL_SE_STATE),
                (version & 0xFFu) << 16 | (se & 0xFu) << 8 | (state & 0xFFu));
}

/* TIMER ------------------------------------------------------------------ */

uint32_t mcu_hal_now(void)
{
    return cm0_read32(TIM(MCU_TIMER_CNT));
}

bool mcu_hal_timer_arm(uint32_t when)
{
    cm0_write32(TIM(MCU_TIMER_CMP), when);
    cm0_write32(TIM(MCU_TIMER_STATUS), MCU_TIMER_STATUS_MATCH);
    cm0_write32(TIM(MCU_TIMER_CTRL),
                MCU_TIMER_CTRL_CMPEN | MCU_TIMER_CTRL_IRQEN);
    /* CMP matches on equality only: a time already passed would wait for
     * the counter to wrap */
    if (mcu_hal_due(when, mcu_hal_now()) &&
        !(cm0_read32(TIM(MCU_TIMER_STATUS)) & MCU_TIMER_STATUS_MATCH)) {
        mcu_hal_timer_off();
        return false;
    }
    return true;
}

void mcu_hal_timer_off(void)
{
    cm0_write32(TIM(MCU_TIMER_CTRL), 0);
    cm0_write32(TIM(MCU_TIMER_STATUS), MCU_TIMER_STATUS_MATCH);
    cm0_write32(NVIC_ICPR, 1u << MCU_IRQ_TIMER);
}

void mcu_hal_timer_irq(void)
{
    cm0_write32(TIM(MCU_TIMER_CTRL), 0);
    cm0_write32(TIM(MCU_TIMER_STATUS), MCU_TIMER_STATUS_MATCH);
    set_event(MCU_EV_TIMER);
}

/* Events and sleep -------------------------------------------------------- */

uint32_t mcu_hal_take_events(void)
{
    cm0_irq_disable();
    uint32_t e = mcu_hal.events;
    mcu_hal.events = 0;
    cm0_irq_enable();
    return e;
}

/* Sleeps until a handler has set an event bit. Interrupts that only
 * refill a TX FIFO set none: the core goes back to sleep at once instead
 * of running a pass of the main loop for every character sent. */
void mcu_hal_sleep(void)
{
    cm0_irq_disable();
    while (mcu_hal.events == 0) {
        cm0_wfi();
        cm0_irq_enable();   /* what woke the core is handled here */
        cm0_irq_disable();
    }
    cm0_irq_enable();
}

uint32_t mcu_hal_take_sense_edges(void)
{
    cm0_irq_disable();
    uint32_t e = mcu_hal.sense_edges;
    mcu_hal.sense_edges = 0;
    cm0_irq_enable();
    return e;
}

void mcu_hal_sense_irq(void)
{
    uint32_t e = cm0_read32(SYS(MCU_SYSCTL_SENSE_EDGE));
    cm0_write32(SYS(MCU_SYSCTL_SENSE_EDGE), e);
    mcu_hal.sense_edges |= e;
    set_event(MCU_EV_SENSE);
}

void mcu_hal_nfc_irq(void)
{
    /* a level: masked until thread mode has read the events */
    cm0_write32(NVIC_ICER, 1u << MCU_IRQ_NFC);
    set_event(MCU_EV_NFC);
}

void mcu_hal_nfc_rearm(void)
{
    cm0_write32(NVIC_ISER, 1u << MCU_IRQ_NFC);
}

/* SPI -------------------------------------------------------------------- */

void mcu_hal_spi_begin(void)
{
    cm0_write32(SPI(MCU_SPI_CTRL), MCU_SPI_CTRL_EN | MCU_SPI_CTRL_CS |
                                       (MCU_SPI_DIV << MCU_SPI_CTRL_DIV_SHIFT));
}

void mcu_hal_spi_end(void)
{
    cm0_write32(SPI(MCU_SPI_CTRL),
                MCU_SPI_CTRL_EN | (MCU_SPI_DIV << MCU_SPI_CTRL_DIV_SHIFT));
}

uint8_t mcu_hal_spi_xfer(uint8_t out)
{
    cm0_write32(SPI(MCU_SPI_DATA), out);
    /* 8 SCK at 8 MHz = 16 core cycles: shorter than a sleep and a wake-up
     * (exception entry and return alone are 32), so wait awake */
    while (!(cm0_read32(SPI(MCU_SPI_STATUS)) & MCU_SPI_STATUS_RXNE))
        ;
    return (uint8_t)cm0_read32(SPI(MCU_SPI_DATA));
}

void mcu_hal_spi_irq(void)
{
    /* RXNE is a level: the waiting thread reads DATA */
    cm0_write32(SPI(MCU_SPI_IRQEN), 0);
}

/* ISO 7816 ports ---------------------------------------------------------- */

void mcu_hal_iso_init(unsigned n)
{
    cm0_write32(ISO(n, MCU_ISO_IRQEN), 0);
    cm0_write32(ISO(n, MCU_ISO_CTRL), 0);
    cm0_write32(ISO(n, MCU_ISO_CLKDIV), MCU_ISO_CLKDIV_USED);
    cm0_write32(ISO(n, MCU_ISO_ETU), 372);
    cm0_write32(ISO(n, MCU_ISO_GT), 0);
    mcu_hal_iso_stop(n);
}

void mcu_hal_iso_ctrl(unsigned n, uint32_t ctrl)
{
    cm0_write32(ISO(n, MCU_ISO_CTRL), ctrl);
}

void mcu_hal_iso_etu(unsigned n, uint32_t clocks)
{
    cm0_write32(ISO(n, MCU_ISO_ETU), clocks);
}

static void iso_service(unsigned n)
{
    hal_iso_t *h = &mcu_hal.iso[n];
    uint32_t st = cm0_read32(ISO(n, MCU_ISO_STATUS));
    uint16_t err = 0;
    if (st & (MCU_ISO_STATUS_PERR | MCU_ISO_STATUS_OVR)) {
        cm0_write32(ISO(n, MCU_ISO_STATUS),
                    st & (MCU_ISO_STATUS_PERR | MCU_ISO_STATUS_OVR));
        err = MCU_RX_ERR;
    }
    bool got = false;
    while (cm0_read32(ISO(n, MCU_ISO_RXCOUNT)) != 0) {
        uint16_t b = (uint16_t)(cm0_read32(ISO(n, MCU_ISO_DATA)) & 0xFFu);
        uint8_t head = h->head;
        if ((uint8_t)(head - h->tail) < RING) {
            h->ring[head % RING] = b | err;
            h->head = (uint8_t)(head + 1);
        }
        err = 0;
        got = true;
    }
    if (got) {
        h->last_rx = mcu_hal_now();
        set_event(MCU_EV_ISO(n));
    }
    while (h->tx && h->tx_off < h->tx_len &&
           (cm0_read32(ISO(n, MCU_ISO_STATUS)) & MCU_ISO_STATUS_TXNF)) {
        cm0_write32(ISO(n, MCU_ISO_DATA), h->tx[h->tx_off]);
        h->tx_off++;
    }
    uint32_t en = MCU_ISO_STATUS_RXNE;
    if (h->tx && h->tx_off < h->tx_len)
        en |= MCU_ISO_STATUS_TXNF;
    else
        h->tx = 0;
    cm0_write32(ISO(n, MCU_ISO_IRQEN), en);
}

void mcu_hal_iso_send(unsigned n, const uint8_t *buf, size_t len)
{
    cm0_irq_disable();
    hal_iso_t *h = &mcu_hal.iso[n];
    h->tx = buf;
    h->tx_len = (uint16_t)len;
    h->tx_off = 0;
    iso_service(n);
    cm0_irq_enable();
}

void mcu_hal_iso_stop(unsigned n)
{
    cm0_irq_disable();
    hal_iso_t *h = &mcu_hal.iso[n];
    h->tx = 0;
    h->tx_len = h->tx_off = 0;
    while (cm0_read32(ISO(n, MCU_ISO_RXCOUNT)) != 0)
        (void)cm0_read32(ISO(n, MCU_ISO_DATA));
    cm0_write32(ISO(n, MCU_ISO_STATUS), MCU_ISO_STATUS_PERR |
                MCU_ISO_STATUS_OVR | MCU_ISO_STATUS_TXFAIL);
    h->tail = h->head;
    cm0_write32(ISO(n, MCU_ISO_IRQEN), MCU_ISO_STATUS_RXNE);
    cm0_write32(NVIC_ICPR, 1u << MCU_IRQ_ISO(n));
    cm0_irq_enable();
}

int mcu_hal_iso_get(unsigned n)
{
    hal_iso_t *h = &mcu_hal.iso[n];
    uint8_t tail = h->tail;
    if (tail == h->head)
        return MCU_RX_NONE;
    int b = h->ring[tail % RING];
    h->tail = (uint8_t)(tail + 1);
    return b;
}

uint32_t mcu_hal_iso_last_rx(unsigned n)
{
    return mcu_hal.iso[n].last_rx;
}

#define ISO_HANDLER(k) \
    void mcu_hal_iso_irq##k(void) { iso_service(k); }
ISO_HANDLER(0)
ISO_HANDLER(1)
ISO_HANDLER(2)
ISO_HANDLER(3)
ISO_HANDLER(4)
ISO_HANDLER(5)
ISO_HANDLER(6)
ISO_HANDLER(7)

/* BLE radio -------------------------------------------------------------- */

void mcu_hal_radio_init(const uint8_t *adv, size_t len, unsigned interval)
{
    for (size_t i = 0; i < len; i += 4) {
        uint32_t w = 0;
        for (size_t k = 0; k < 4 && i + k < len; k++)
            w |= (uint32_t)adv[i + k] << (8 * k);
        cm0_write32(RAD(MCU_RADIO_ADV_DATA + i), w);
    }
    cm0_write32(RAD(MCU_RADIO_ADV_LEN), len);
    cm0_write32(RAD(MCU_RADIO_ADV_INT), interval);
    cm0_write32(RAD(MCU_RADIO_EVENT), 0xFFFFFFFFu);
    mcu_hal.radio_irqen = RADIO_IRQEN;
    cm0_write32(RAD(MCU_RADIO_IRQEN), RADIO_IRQEN);
    cm0_write32(RAD(MCU_RADIO_CTRL), MCU_RADIO_CTRL_ADV);
}

void mcu_hal_radio_irq(void)
{
    uint32_t e = cm0_read32(RAD(MCU_RADIO_EVENT));
    cm0_write32(RAD(MCU_RADIO_EVENT), e);
    mcu_hal.radio_events |= e;
    bool wake = (e & RADIO_IRQEN) != 0;
    if ((e & MCU_RADIO_EV_TXDONE) &&
        (mcu_hal.radio_irqen & MCU_RADIO_EV_TXDONE)) {
        /* the loop waited for a slot: once is enough */
        mcu_hal.radio_irqen = RADIO_IRQEN;
        cm0_write32(RAD(MCU_RADIO_IRQEN), RADIO_IRQEN);
        wake = true;
    }
    if (wake)
        set_event(MCU_EV_RADIO);
}

uint32_t mcu_hal_radio_take_events(void)
{
    cm0_irq_disable();
    uint32_t e = mcu_hal.radio_events;
    mcu_hal.radio_events = 0;
    cm0_irq_enable();
    return e;
}

bool mcu_hal_radio_connected(void)
{
    return (cm0_read32(RAD(MCU_RADIO_STATUS)) &
            MCU_RADIO_STATUS_CONNECTED) != 0;
}

size_t mcu_hal_radio_rx(uint8_t *buf, size_t cap)
{
    size_t len = cm0_read32(RAD(MCU_RADIO_RX_LEN));
    if (len == 0)
        return 0;
    if (len > cap)
        len = cap;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t w = cm0_read32(RAD(MCU_RADIO_RXBUF + i));
        for (size_t k = 0; k < 4 && i + k < len; k++)
            buf[i + k] = (uint8_t)(w >> (8 * k));
    }
    cm0_write32(RAD(MCU_RADIO_RX_POP), 1);
    return len;
}

bool mcu_hal_radio_tx_free(void)
{
    return (cm0_read32(RAD(MCU_RADIO_STATUS)) &
            MCU_RADIO_STATUS_TXFREE) != 0;
}

void mcu_hal_radio_tx(const uint8_t *frame, size_t len)
{
    for (size_t i = 0; i < len; i += 4) {
        uint32_t w = 0;
        for (size_t k = 0; k < 4 && i + k < len; k++)
            w |= (uint32_t)frame[i + k] << (8 * k);
        cm0_write32(RAD(MCU_RADIO_TXBUF + i), w);
    }
    cm0_write32(RAD(MCU_RADIO_TX_LEN), len);
}

bool mcu_hal_radio_tx_wait(void)
{
    cm0_irq_disable();
    mcu_hal.radio_irqen = RADIO_IRQEN | MCU_RADIO_EV_TXDONE;
    cm0_write32(RAD(MCU_RADIO_IRQEN), mcu_hal.radio_irqen);
    cm0_irq_enable();
    /* a slot freed before TXDONE was enabled raises nothing: look again */
    return mcu_hal_radio_tx_free();
}

void mcu_hal_radio_tx_idle(void)
{
    if (!(mcu_hal.radio_irqen & MCU_RADIO_EV_TXDONE))
        return;
    cm0_irq_disable();
    mcu_hal.radio_irqen = RADIO_IRQEN;
    cm0_write32(RAD(MCU_RADIO_IRQEN), RADIO_IRQEN);
    cm0_irq_enable();
}
