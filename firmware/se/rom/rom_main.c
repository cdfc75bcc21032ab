/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_main.c - the SE ROM on the chip after every reset
 * (docs/se.md, "Boot"; docs/se-rom.md): HAL set-up, rom_run() (reset
 * cause, COS check, else the loader), then the jump into the COS, or a
 * system reset once the loader has seen RST fall. */
#include <stdint.h>

#include "cm0.h"
#include "rom_run.h"
#include "rom_target.h"

/* VTOR = the image, MSP = its word 0, branch to its word 1 with the reset
 * cause in r0 (a COS may ignore it: RESETCAUSE is already cleared). The
 * ROM's interrupt set-up is undone first: the COS starts as from reset. */
__attribute__((noreturn)) static void start_cos(uint32_t image,
                                                uint32_t cause)
{
    uint32_t sp = cm0_read32(image);
    uint32_t pc = cm0_read32(image + 4u);
    rom_hal_quiesce();
    cm0_write32(SCB_VTOR, image);
    cm0_barrier();
    register uint32_t r0 __asm__("r0") = cause;
    __asm__ volatile("msr msp, %0\n\t"
                     "bx %1"
                     :
                     : "r"(sp), "r"(pc), "r"(r0)
                     : "memory");
    __builtin_unreachable();
}

void rom_main(void)
{
    rom_hal_init();
    uint32_t image = rom_run();
    if (image)
        start_cos(image, rom_reset_cause);

    /* RST fell. The SE normally holds the core in reset by then; if it
     * did not, reset the core so that the boot runs again. */
    cm0_write32(SCB_AIRCR, SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ);
    for (;;)
        cm0_wfi();
}
