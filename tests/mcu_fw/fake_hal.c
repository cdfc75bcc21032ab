/* SPDX-License-Identifier: MIT */
/* tests/mcu_fw/fake_hal.c - host stand-in for the parts of mcu_hal.h that
 * se_port.c uses (fake_hal.h). */
#include "fake_hal.h"

#include <string.h>

#include "mcu_hal.h"

uint32_t fake_now;
fake_iso_t fake_iso[FAKE_PORTS];

void fake_reset(void)
{
    fake_now = 0;
    memset(fake_iso, 0, sizeof fake_iso);
}

void fake_rx(unsigned n, const uint8_t *b, size_t len)
{
    fake_iso_t *f = &fake_iso[n];
    for (size_t i = 0; i < len && f->rx_tail < FAKE_BUF; i++)
        f->rx[f->rx_tail++] = b[i];
    f->last_rx = fake_now;
}

size_t fake_take_tx(unsigned n, uint8_t *out, size_t cap)
{
    fake_iso_t *f = &fake_iso[n];
    size_t k = f->ntx < cap ? f->ntx : cap;
    memcpy(out, f->tx, k);
    f->ntx = 0;
    return k;
}

uint32_t mcu_hal_now(void)
{
    return fake_now;
}

void mcu_hal_iso_init(unsigned n)
{
    fake_iso[n].ctrl = 0;
    fake_iso[n].etu = 372;
}

void mcu_hal_iso_ctrl(unsigned n, uint32_t ctrl)
{
    fake_iso_t *f = &fake_iso[n];
    f->ctrl = ctrl;
    if (f->nctrl < 16)
        f->ctrl_log[f->nctrl++] = ctrl;
}

void mcu_hal_iso_etu(unsigned n, uint32_t clocks)
{
    fake_iso[n].etu = clocks;
}

void mcu_hal_iso_send(unsigned n, const uint8_t *buf, size_t len)
{
    fake_iso_t *f = &fake_iso[n];
    for (size_t i = 0; i < len && f->ntx < FAKE_BUF; i++)
        f->tx[f->ntx++] = buf[i];
}

void mcu_hal_iso_stop(unsigned n)
{
    fake_iso_t *f = &fake_iso[n];
    f->rx_head = f->rx_tail = 0;
    f->stops++;
}

int mcu_hal_iso_get(unsigned n)
{
    fake_iso_t *f = &fake_iso[n];
    if (f->rx_head == f->rx_tail)
        return MCU_RX_NONE;
    return f->rx[f->rx_head++];
}

uint32_t mcu_hal_iso_last_rx(unsigned n)
{
    return fake_iso[n].last_rx;
}
