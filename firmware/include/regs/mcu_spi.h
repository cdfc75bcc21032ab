/* SPDX-License-Identifier: MIT */
/* firmware/include/regs/mcu_spi.h - the SPI master wired to the NFC front
 * end (mode 0, MSB first, 8-bit transfers, one chip select). A write to
 * DATA starts a transfer of 8 SCK periods; the byte clocked in is read from
 * DATA once STATUS.RXNE is set. Offsets from MCU_SPI_BASE; word access. */
#ifndef FIRMWARE_INCLUDE_REGS_MCU_SPI_H
#define FIRMWARE_INCLUDE_REGS_MCU_SPI_H

#define MCU_SPI_CTRL            0x00u   /* RW */
#define MCU_SPI_DATA            0x04u   /* W: start a transfer; R: byte in
                                         * (clears RXNE) */
#define MCU_SPI_STATUS          0x08u   /* RO (OVR W1C) */
#define MCU_SPI_IRQEN           0x0Cu   /* RW: STATUS bits that raise IRQ_SPI */

#define MCU_SPI_CTRL_EN         (1u << 0)
#define MCU_SPI_CTRL_CS         (1u << 1)   /* 1: chip select asserted (low) */
#define MCU_SPI_CTRL_DIV_SHIFT  8u          /* SCK = core / DIV, DIV even */
#define MCU_SPI_CTRL_DIV_MASK   (0xFFu << 8) /* 2..254; 0 = 4 (4 MHz) */

#define MCU_SPI_STATUS_BUSY     (1u << 0)   /* a transfer is going on */
#define MCU_SPI_STATUS_RXNE     (1u << 1)   /* DATA holds a received byte */
#define MCU_SPI_STATUS_OVR      (1u << 2)   /* DATA written while BUSY:
                                             * ignored, sticky */

#endif /* FIRMWARE_INCLUDE_REGS_MCU_SPI_H */
