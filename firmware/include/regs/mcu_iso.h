/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/mcu_iso.h - one ISO 7816-3 master (terminal-side)
 * port of the MCU per SE: it drives the SE's VCC, RST and CLK (core clock /
 * CLKDIV) and sends and receives characters on I/O at F/D CLK cycles per
 * etu with N extra guard etu, through 32-byte FIFOs each way. T=0 error
 * signalling and repetition when CTRL.T0 is set. Offsets from
 * MCU_ISO_PORT_BASE(n); word access. */
#ifndef FIRMWARE_INCLUDE_REGS_MCU_ISO_H
#define FIRMWARE_INCLUDE_REGS_MCU_ISO_H

#define MCU_ISO_CTRL            0x00u   /* RW: levels driven */
#define MCU_ISO_CLKDIV          0x04u   /* RW: CLK = core / CLKDIV (2..255;
                                         * 0 = 4, i.e. 4 MHz) */
#define MCU_ISO_ETU             0x08u   /* RW: F/D in CLK cycles (0 = 372);
                                         * the etu grid restarts at the write */
#define MCU_ISO_GT              0x0Cu   /* RW: extra guard time N (etu) */
#define MCU_ISO_DATA            0x10u   /* W: queue a byte (dropped, OVR, if
                                         * the TX FIFO is full); R: oldest
                                         * received byte (0 if none) */
#define MCU_ISO_STATUS          0x14u   /* RO, sticky bits W1C */
#define MCU_ISO_IRQEN           0x18u   /* RW: STATUS bits that raise the IRQ */
#define MCU_ISO_RXCOUNT         0x1Cu   /* RO: bytes in the RX FIFO */

#define MCU_ISO_FIFO            32u

#define MCU_ISO_CTRL_VCC        (1u << 0)
#define MCU_ISO_CTRL_RST        (1u << 1)   /* RST level (1 = high) */
#define MCU_ISO_CTRL_CLKEN      (1u << 2)
#define MCU_ISO_CTRL_T0         (1u << 3)

#define MCU_ISO_STATUS_RXNE     (1u << 0)   /* RX FIFO not empty */
#define MCU_ISO_STATUS_TXNF     (1u << 1)   /* TX FIFO not full */
#define MCU_ISO_STATUS_TXIDLE   (1u << 2)   /* nothing queued, last guard over */
#define MCU_ISO_STATUS_PERR     (1u << 3)   /* sticky: a character came with a
                                             * parity/framing error (it is in
                                             * the FIFO as received) */
#define MCU_ISO_STATUS_OVR      (1u << 4)   /* sticky: RX or TX FIFO overflow */
#define MCU_ISO_STATUS_TXFAIL   (1u << 5)   /* sticky: T=0 repetitions ran out */

#endif /* FIRMWARE_INCLUDE_REGS_MCU_ISO_H */
