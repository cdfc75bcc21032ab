/* SPDX-License-Identifier: MIT */
/* firmware/tests/systick.c - SysTick on the processor clock: reload 999
 * (one tick every 1000 cycles), main sleeps in WFI until TICKS ticks.
 *
 * The wait runs with PRIMASK set, so no tick can slip in between the check
 * of `ticks` and the WFI: WFI still wakes on the pending SysTick (ARMv6-M
 * ARM B1.5.19), the handler runs in the short CPSIE window. Hence exactly
 * one wake-up per tick, on any correct core; a WFI modelled as a NOP
 * (architecturally allowed, but not what cardsim wants) shows up as a
 * larger wake-up count. The run takes about TICKS * 1000 cycles. */
#include <stdint.h>

#include "cm0.h"
#include "fmt.h"
#include "vectors.h"

#define TICKS 10u
#define RELOAD 999u

static volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
}

int main(void)
{
    uint32_t wakeups = 0;

    cm0_write32(SYST_CSR, 0);
    cm0_write32(SYST_RVR, RELOAD);
    cm0_write32(SYST_CVR, 0);       /* any write clears the counter */
    cm0_write32(SYST_CSR,
                SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE);

    cm0_irq_disable();
    while (ticks < TICKS) {
        cm0_wfi();
        wakeups++;
        cm0_irq_enable();
        cm0_barrier();      /* the pending SysTick is taken here */
        cm0_irq_disable();
    }
    cm0_irq_enable();
    cm0_write32(SYST_CSR, 0);

    uint32_t reload = cm0_read32(SYST_RVR);
    fmt_put_str("systick: reload=");
    fmt_put_u32(reload);
    fmt_put_str(" ticks=");
    fmt_put_u32(ticks);
    fmt_put_str(" wakeups=");
    fmt_put_u32(wakeups);
    fmt_put_str("\n");
    if (reload != RELOAD || ticks != TICKS) {
        fmt_put_str("systick: FAIL\n");
        return 1;
    }
    fmt_put_str("systick: ok\n");
    return 0;
}
