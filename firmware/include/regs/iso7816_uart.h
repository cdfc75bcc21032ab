/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/iso7816_uart.h - the ISO 7816-3 card-side UART
 * (models/iso7816_uart.c): one I/O line, character timing from the
 * external CLK pin and ETU, even parity, direct convention.
 * Offsets from the UART's base; 32-bit registers, word access.
 *
 * TX: write DATA when STATUS.TXE; the character (start, 8 data, parity)
 * starts at the next etu boundary after the guard time of the previous one
 * (12 etu + GT per character). RX: STATUS.RXNE when a character's parity
 * bit has ended; read DATA. With CTRL.T0 a parity error is signalled on the
 * line (the sender repeats) and a received error signal makes the UART
 * repeat its own character (up to 4 times, then STATUS.TXERR). */
#ifndef FIRMWARE_INCLUDE_REGS_ISO7816_UART_H
#define FIRMWARE_INCLUDE_REGS_ISO7816_UART_H

#define UART_CTRL           0x00u   /* RW */
#define UART_ETU            0x04u   /* RW: etu in CLK cycles (F/D), 1..2048 */
#define UART_STATUS         0x08u   /* R; W1C for the sticky bits */
#define UART_DATA           0x0Cu   /* R: received byte; W: byte to send */
#define UART_GT             0x10u   /* RW: extra guard time in etu (N) */
#define UART_IRQEN          0x14u   /* RW: same bits as STATUS */
#define UART_CLKCNT         0x18u   /* RO: CLK cycles since RST rose */

#define UART_CTRL_EN        (1u << 0)
#define UART_CTRL_T0        (1u << 1)   /* T=0 error signalling/repetition */

#define UART_STATUS_RXNE    (1u << 0)   /* a received byte waits in DATA */
#define UART_STATUS_TXE     (1u << 1)   /* DATA can take the next byte */
#define UART_STATUS_TC      (1u << 2)   /* all sent, guard time over */
#define UART_STATUS_PE      (1u << 3)   /* sticky: parity error received */
#define UART_STATUS_OVR     (1u << 4)   /* sticky: byte lost (RXNE was set) */
#define UART_STATUS_TXERR   (1u << 5)   /* sticky: T=0 repetitions exhausted */
#define UART_STATUS_RST     (1u << 8)   /* level of the RST pin */
#define UART_STATUS_RSTEDGE (1u << 9)   /* sticky: RST rose */
#define UART_STATUS_CLKON   (1u << 10)  /* CLK is running */
#define UART_STATUS_W1C     (UART_STATUS_PE | UART_STATUS_OVR | \
                             UART_STATUS_TXERR | UART_STATUS_RSTEDGE)

#define UART_ETU_DEFAULT    372u

#endif /* FIRMWARE_INCLUDE_REGS_ISO7816_UART_H */
