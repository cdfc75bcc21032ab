/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_hal.h - everything the SE boot ROM needs from the
 * chip, as plain functions: the flash (read, page erase, word program),
 * the crypto engine (SHA-256, ECDSA P-256 verify), SYSCTL and the ISO 7816
 * UART.
 *
 * Two implementations: rom_hal_mmio.c on the target (registers of
 * firmware/include/regs/), and tests/se_rom/fake_hal.c on the host (flash
 * as a RAM array with NOR semantics, mbedTLS for the engine, a scripted
 * terminal on the UART). The boot check (rom_boot.c), the update protocol
 * (rom_loader.c), the flash records (rom_store.c) and the ISO 7816 link
 * (rom_link.c) use only this header, so the host tests run them unchanged.
 *
 * Addresses are bus addresses (SE_FLASH_BASE + offset), as the core and
 * FLASHC see them. Every function returns when its operation is over. */
#ifndef FIRMWARE_SE_ROM_ROM_HAL_H
#define FIRMWARE_SE_ROM_ROM_HAL_H

#include <stddef.h>
#include <stdint.h>

/* Flash ------------------------------------------------------------------ */

/* Copies len bytes of the array at addr into buf (the core reads the
 * array directly). */
void rom_hal_flash_read(uint32_t addr, void *buf, uint32_t len);

/* Erases the page holding addr. 0, or -1 if FLASHC reported an error
 * (STATUS.ERR_*). */
int rom_hal_flash_erase_page(uint32_t addr);

/* Programs the word at addr (word-aligned; NOR: old AND value). 0, or -1
 * if FLASHC reported an error. The caller reads the word back. */
int rom_hal_flash_program_word(uint32_t addr, uint32_t value);

/* Crypto engine ------------------------------------------------------------ */

/* SHA-256 in three steps; data from memory (RAM or ROM) or from the flash
 * array. 0, or -1 if the engine reported ERR (the hash is then abandoned:
 * start again). final writes the digest as a byte string. */
int rom_hal_sha256_start(void);
int rom_hal_sha256_update(const void *data, uint32_t len);
int rom_hal_sha256_update_flash(uint32_t addr, uint32_t len);
int rom_hal_sha256_final(uint8_t digest[32]);

/* ECDSA P-256 verification of sig (r || s) over the digest hash with the
 * public key (x || y), all big-endian byte strings. 1 valid, 0 not valid,
 * -1 engine error. */
int rom_hal_ecdsa_verify(const uint8_t key[64], const uint8_t sig[64],
                         const uint8_t hash[32]);

/* SYSCTL ----------------------------------------------------------------- */

/* SYSCTL.RESETCAUSE, then cleared (write 1 to clear). */
uint32_t rom_hal_reset_cause(void);
/* SYSCTL.PORTSRC: SYSCTL_PORTSRC_PADS (contact) or _MCU (contactless). */
uint32_t rom_hal_portsrc(void);

/* ISO 7816 UART (card side) ---------------------------------------------- */

#define ROM_UART_TIMEOUT    (-1)  /* nothing within the time-out */
#define ROM_UART_ERROR      (-2)  /* a character arrived broken (parity,
                                   * framing, overrun): it is consumed */
#define ROM_UART_RESET      (-3)  /* RST is low: a warm reset is on */

/* Enables the UART (T=1 mode, ETU 372, no extra guard time, sticky bits
 * cleared) and returns once RST is high and CLK runs. */
void rom_hal_uart_start(void);
/* CLK cycles since RST rose (UART_CLKCNT; wraps, use differences). */
uint32_t rom_hal_uart_clkcnt(void);
/* New etu in CLK cycles (after a PPS); the caller has flushed. */
void rom_hal_uart_set_etu(uint32_t clocks);
/* Sends one character (waits until the UART takes it). */
void rom_hal_uart_put(uint8_t byte);
/* Waits until every character has left, guard time included. */
void rom_hal_uart_flush(void);
/* The next received character 0..255, or ROM_UART_*. timeout_clocks: CLK
 * cycles from the call; 0 waits for ever (asleep, on the target). */
int rom_hal_uart_get(uint32_t timeout_clocks);
/* The characters of a block: between open and close, each
 * rom_hal_uart_next() returns the next character 0..255 or ROM_UART_*,
 * with timeout_clocks (> 0) CLK cycles from that call, like
 * rom_hal_uart_get(timeout_clocks) but with the timer and the wake-up set
 * up once for the whole block instead of once per character. */
void rom_hal_uart_rx_open(uint32_t timeout_clocks);
int rom_hal_uart_next(void);
void rom_hal_uart_rx_close(void);

#endif /* FIRMWARE_SE_ROM_ROM_HAL_H */
