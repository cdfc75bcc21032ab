/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/fake_hal.h - the ISO-port and TIMER part of mcu_hal.h on
 * the host: time is a variable the test moves, characters the SE "sends"
 * are queued by the test, what the port sends is collected. */
#ifndef TESTS_MCU_FW_FAKE_HAL_H
#define TESTS_MCU_FW_FAKE_HAL_H

#include <stddef.h>
#include <stdint.h>

#define FAKE_PORTS 8u
#define FAKE_BUF   1024u

typedef struct fake_iso {
    uint32_t ctrl, etu;
    uint32_t ctrl_log[16];      /* every CTRL write */
    unsigned nctrl;
    uint8_t tx[FAKE_BUF];       /* what the port sent, since fake_reset */
    size_t ntx;
    int rx[FAKE_BUF];           /* queued for mcu_hal_iso_get */
    size_t rx_head, rx_tail;
    uint32_t last_rx;
    unsigned stops;
} fake_iso_t;

extern uint32_t fake_now;
extern fake_iso_t fake_iso[FAKE_PORTS];

void fake_reset(void);
/* The SE sends bytes: queued for the port, seen "now". */
void fake_rx(unsigned n, const uint8_t *b, size_t len);
/* Takes what the port sent since the last call. */
size_t fake_take_tx(unsigned n, uint8_t *out, size_t cap);

#endif /* TESTS_MCU_FW_FAKE_HAL_H */
