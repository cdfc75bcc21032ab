/* SPDX-License-Identifier: MIT */
/* firmware/mcu/mcu_hal.h - everything the MCU firmware needs from the chip,
 * as plain functions over the registers of firmware/include/regs/mcu_*.h:
 * SYSCTL (chip id, sense inputs, the traced MODE/ROUTE/SE_STATE), the
 * free-running TIMER and its compare, the SPI master to the NFC front end,
 * the ISO 7816 master ports, and the interrupt handlers that turn the IRQ
 * lines into event bits for the main loop.
 *
 * Interrupt handlers do only what must happen at once: the ISO handler
 * moves received characters from the port's 32-byte FIFO into a software
 * ring (with the TIMER count at which it saw them) and feeds the TX FIFO
 * from the block being sent; the others acknowledge or mask their source
 * and set an event bit. Everything else runs in thread mode, in
 * mcu_main.c's loop, which sleeps with WFI while there is nothing to do.
 *
 * The radio handler acknowledges EVENT, keeps the bits for
 * mcu_hal_radio_take_events and wakes the loop for CONNECTED,
 * DISCONNECTED and RX; TXDONE interrupts only while the loop waits for a
 * free TX slot (mcu_hal_radio_tx_wait), so frames the radio acknowledges
 * wake nobody when there is nothing more to send.
 *
 * Only mcu_main.c, se_port.c and nfc_link.c call this; the router, card
 * manager and mode logic do not (they are host-tested). */
#ifndef FIRMWARE_MCU_MCU_HAL_H
#define FIRMWARE_MCU_MCU_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Event bits set by the interrupt handlers (mcu_hal_take_events). */
#define MCU_EV_TIMER        (1u << 0)
#define MCU_EV_NFC          (1u << 1)
#define MCU_EV_SENSE        (1u << 2)
#define MCU_EV_RADIO        (1u << 3)
#define MCU_EV_ISO(n)       (1u << (8u + (n)))
#define MCU_EV_ISO_MASK     0x0000FF00u

/* A received character as mcu_hal_iso_get returns it */
#define MCU_RX_NONE         (-1)
#define MCU_RX_ERR          0x100   /* or-ed in: parity/framing/overrun */

/* Core clock cycles per ISO CLK cycle (CLKDIV 4: 16 MHz / 4 = 4 MHz). */
#define MCU_ISO_CLKDIV_USED 4u

/* Start-up: TIMER free-running with its compare off, SPI enabled at
 * 4 MHz, SENSE edge interrupts for CONTACT_VCC, BLE_LINK and the pads
 * bits, NVIC lines enabled. Interrupts stay masked (PRIMASK) until
 * mcu_hal_irq_on(). */
void mcu_hal_init(void);
void mcu_hal_irq_on(void);

/* SYSCTL */
unsigned mcu_hal_nse(void);             /* CHIPID low nibble, at most 8 */
uint32_t mcu_hal_sense(void);
void mcu_hal_set_mode(uint32_t mode);
void mcu_hal_route(uint32_t route);
void mcu_hal_se_state(unsigned se, unsigned state, unsigned version);

/* TIMER (core cycles, wraps at 2^32: compare with mcu_hal_due) */
uint32_t mcu_hal_now(void);
/* Arms the compare for `when`; returns false if `when` is already due
 * (then nothing is armed and the caller handles it at once). */
bool mcu_hal_timer_arm(uint32_t when);
void mcu_hal_timer_off(void);
static inline bool mcu_hal_due(uint32_t when, uint32_t now)
{
    return (int32_t)(now - when) >= 0;
}

/* Events: returns and clears the bits the handlers set. */
uint32_t mcu_hal_take_events(void);
/* Sleeps (WFI) unless an event bit is set; returns after the handlers of
 * what woke it ran. The check and the WFI happen with PRIMASK set, so an
 * interrupt between them cannot be missed. */
void mcu_hal_sleep(void);
/* SENSE edges seen since the last call (SENSE_EDGE bits). */
uint32_t mcu_hal_take_sense_edges(void);
/* Re-enables the NFC pin's line after its events were read (the handler
 * masks it: the pin is a level). */
void mcu_hal_nfc_rearm(void);

/* SPI to the NFC front end: one transaction = begin, bytes, end. Each
 * byte waits for RXNE asleep (SPI interrupt, WFI). */
void mcu_hal_spi_begin(void);
uint8_t mcu_hal_spi_xfer(uint8_t out);
void mcu_hal_spi_end(void);

/* ISO 7816 port n */
void mcu_hal_iso_init(unsigned n);             /* CTRL 0, ETU 372, GT 0 */
void mcu_hal_iso_ctrl(unsigned n, uint32_t ctrl);
void mcu_hal_iso_etu(unsigned n, uint32_t clocks);
/* Queues buf[0..len) for sending; the buffer must stay unchanged until
 * the interrupt handler has moved it all into the TX FIFO (the next call
 * of mcu_hal_iso_send or _stop for the port). */
void mcu_hal_iso_send(unsigned n, const uint8_t *buf, size_t len);
/* Drops what waits to be sent and what was received. */
void mcu_hal_iso_stop(unsigned n);
/* The oldest received character (| MCU_RX_ERR), or MCU_RX_NONE. */
int mcu_hal_iso_get(unsigned n);
/* TIMER count at which the last character was taken from the FIFO. */
uint32_t mcu_hal_iso_last_rx(unsigned n);

/* BLE radio (regs/mcu_radio.h). Init: AdvData, interval (0.625 ms
 * units), IRQEN = CONNECTED | DISCONNECTED | RX, advertising on (CTRL.ADV:
 * the radio advertises whenever it is not connected). */
void mcu_hal_radio_init(const uint8_t *adv, size_t len, unsigned interval);
/* EVENT bits the handler saw since the last call. */
uint32_t mcu_hal_radio_take_events(void);
bool mcu_hal_radio_connected(void);         /* STATUS.CONNECTED */
/* The oldest received frame into buf (room for cap bytes, at least
 * MCU_RADIO_FRAME_MAX), popped; returns its length (cut to cap), 0 if
 * none. */
size_t mcu_hal_radio_rx(uint8_t *buf, size_t cap);
bool mcu_hal_radio_tx_free(void);           /* STATUS.TXFREE */
/* Queues frame[0..len) (4..MCU_RADIO_FRAME_MAX bytes); needs a free slot. */
void mcu_hal_radio_tx(const uint8_t *frame, size_t len);
/* No free slot: TXDONE is enabled to wake the loop (event RADIO) when one
 * frees. Returns true if one freed meanwhile (no wake-up will come: send
 * at once). */
bool mcu_hal_radio_tx_wait(void);
/* Nothing more to send: TXDONE no longer interrupts. */
void mcu_hal_radio_tx_idle(void);

/* Interrupt handlers (mcu_start.c's vector table) */
void mcu_hal_timer_irq(void);
void mcu_hal_spi_irq(void);
void mcu_hal_nfc_irq(void);
void mcu_hal_sense_irq(void);
void mcu_hal_radio_irq(void);
void mcu_hal_iso_irq0(void);
void mcu_hal_iso_irq1(void);
void mcu_hal_iso_irq2(void);
void mcu_hal_iso_irq3(void);
void mcu_hal_iso_irq4(void);
void mcu_hal_iso_irq5(void);
void mcu_hal_iso_irq6(void);
void mcu_hal_iso_irq7(void);

#endif /* FIRMWARE_MCU_MCU_HAL_H */
