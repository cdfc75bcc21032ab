/* SPDX-License-Identifier: MIT */
/* tests/se_rom/fake_hal.h - the host implementation of
 * firmware/se/rom/rom_hal.h for the ROM's unit tests: the flash as a RAM
 * array with NOR semantics (erase to FF, program = old AND new), power
 * cuts and FLASHC failures injected at the n-th flash operation, mbedTLS
 * for the crypto engine, settable SYSCTL values, and a UART whose other
 * end is the scripted terminal of fake_term.c.
 *
 * Notes
 *  - a power cut tears the operation it hits (program: only the even bits
 *    that were to clear have cleared; erase: only the even words are
 *    erased) and then longjmp()s to fake_cut_env: the test resumes as
 *    after a reset, with the flash as the cut left it;
 *  - the UART's CLK count is a counter that moves on every call, so the
 *    ROM's busy-waits end and the order of events can be checked, not
 *    their real time. */
#ifndef TESTS_SE_ROM_FAKE_HAL_H
#define TESTS_SE_ROM_FAKE_HAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regs/se_map.h"

#define FAKE_PAGES  (SE_FLASH_SIZE / SE_FLASH_PAGE)

typedef struct fake_hal {
    /* flash */
    uint8_t flash[SE_FLASH_SIZE];
    unsigned erases[FAKE_PAGES];    /* per page */
    long ops;                       /* erase + program operations so far */
    long cut_at;                    /* op index torn + longjmp; -1 never */
    long fail_at;                   /* op index that reports ERR; -1 */
    unsigned programs_unerased;     /* programs onto a non-FF word */
    /* crypto */
    unsigned sha_runs, ecdsa_runs;
    bool sha_active;
    /* SYSCTL */
    uint32_t reset_cause, portsrc;
    unsigned reset_cause_reads;
    /* UART */
    bool uart_started;
    unsigned uart_starts;
    uint32_t clk;                   /* CLKCNT */
    uint32_t etu;                   /* current ETU register */
    unsigned etu_writes;
    bool etu_write_unflushed;       /* set_etu while a byte was in flight */
    bool tx_in_flight;              /* put since the last flush */
    uint32_t first_tx_clk;          /* CLKCNT at the first put */
    bool any_tx;
    uint32_t last_rx_clk;           /* CLKCNT when the card took a byte */
    bool rx_since_tx;               /* a byte was taken since the last put */
    uint32_t min_turnaround;        /* smallest rx -> tx gap seen, clocks */
    unsigned tx_count;
    uint32_t tx_etu[64];            /* ETU in force at each of the first
                                     * 64 bytes the card sent */
} fake_hal_t;

extern fake_hal_t fake;
extern jmp_buf fake_cut_env;

/* Erased flash, counters zero, no cut or failure, ETU 372, CLK 0, the
 * terminal reset (fake_term_reset). portsrc = PADS, reset cause POR. */
void fake_reset(void);
/* A reset of the chip: UART and CLK counter back to their reset state
 * (the flash keeps its content). */
void fake_chip_reset(uint32_t cause);

/* Little-endian word of the flash array at a bus address. */
uint32_t fake_word(uint32_t addr);
uint8_t *fake_at(uint32_t addr);

#endif /* TESTS_SE_ROM_FAKE_HAL_H */
