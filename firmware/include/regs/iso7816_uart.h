/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/iso7816_uart.h - the ISO 7816-3 card-side UART
 * (models/iso7816_uart.c, docs/iso7816.md): one I/O line, character timing
 * from the external CLK pin and ETU, even parity, direct convention.
 * Offsets from the UART's base; 32-bit registers, word access only (other
 * sizes, and offsets past CLKCNT, are bus errors).
 *
 * Reset (power-on, VCC loss, iso7816_uart_reset): CTRL 0, ETU 372, GT 0,
 * IRQEN 0, STATUS TXE | TC (plus the RST/CLKON levels), DATA 0.
 *
 * etu = ETU CLK cycles, exact from CLK edges. The simulated line refuses an
 * etu below 2 us (fatal): at 5 MHz, ETU >= 10.
 *
 * TX: write DATA when STATUS.TXE (CTRL.EN set; otherwise the byte is
 * dropped with a warning). The character (start, 8 data, parity) starts
 * on the etu grid - CLK edges a multiple of ETU cycles after the grid
 * origin, the first CLK edge at or after the last CLK (re)start, ETU write
 * or UART reset - at the first grid edge at or after both the DATA write
 * and the end of the previous character's guard time (12 etu + GT per
 * character). TXE is set again when the character starts; TC when no
 * byte waits and the last guard time is over. Clearing CTRL.EN drops a
 * waiting byte.
 *
 * RX (while CTRL.EN is set and CLK runs): STATUS.RXNE when a character's
 * parity bit has ended; reading DATA clears RXNE. A byte arriving while
 * RXNE is set is lost (OVR; DATA keeps the older byte). A parity error -
 * or a framing error: the sender's etu differs from ours by more than
 * 1/5, DATA is then garbage - sets PE; without CTRL.T0 the byte is still
 * stored (RXNE), with CTRL.T0 it is dropped and an error signal is put on
 * the line (the sender repeats). With CTRL.T0 a received error signal
 * makes the UART repeat its own character 12 + max(GT, 1) etu after its
 * start (13 with GT = 0), up to 4 times; a 5th rejection drops it and
 * sets STATUS.TXERR.
 *
 * The interrupt line is (STATUS & IRQEN) != 0, a level. */
#ifndef FIRMWARE_INCLUDE_REGS_ISO7816_UART_H
#define FIRMWARE_INCLUDE_REGS_ISO7816_UART_H

#define UART_CTRL           0x00u   /* RW */
#define UART_ETU            0x04u   /* RW: etu in CLK cycles (F/D), 1..2048 */
#define UART_STATUS         0x08u   /* R; W1C for the sticky bits */
#define UART_DATA           0x0Cu   /* R: received byte; W: byte to send */
#define UART_GT             0x10u   /* RW: extra guard time N in etu, 0..255
                                       (255 is not special) */
#define UART_IRQEN          0x14u   /* RW: same bits as STATUS */
#define UART_CLKCNT         0x18u   /* RO: CLK rising edges after RST rose
                                       (or power-on with RST high); 0 while
                                       RST is low; wraps at 2^32 */

#define UART_CTRL_EN        (1u << 0)
#define UART_CTRL_T0        (1u << 1)   /* T=0 error signalling/repetition */

#define UART_STATUS_RXNE    (1u << 0)   /* a received byte waits in DATA */
#define UART_STATUS_TXE     (1u << 1)   /* DATA can take the next byte */
#define UART_STATUS_TC      (1u << 2)   /* all sent, guard time over */
#define UART_STATUS_PE      (1u << 3)   /* sticky: parity or framing error */
#define UART_STATUS_OVR     (1u << 4)   /* sticky: byte lost (RXNE was set) */
#define UART_STATUS_TXERR   (1u << 5)   /* sticky: T=0 repetitions exhausted */
#define UART_STATUS_RST     (1u << 8)   /* level of the RST pin */
#define UART_STATUS_RSTEDGE (1u << 9)   /* sticky: RST rose */
#define UART_STATUS_CLKON   (1u << 10)  /* CLK is running */
#define UART_STATUS_W1C     (UART_STATUS_PE | UART_STATUS_OVR | \
                             UART_STATUS_TXERR | UART_STATUS_RSTEDGE)

#define UART_ETU_DEFAULT    372u

#endif /* FIRMWARE_INCLUDE_REGS_ISO7816_UART_H */
