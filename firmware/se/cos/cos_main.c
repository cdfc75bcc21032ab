/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_main.c - the COS's entry after the reset handler:
 * the one file built per version (-DCOS_VERSION=1 or 2; cos_v1.elf and
 * cos_v2.elf come from the same tree). Starts the HAL and the application,
 * serves the ISO 7816 line, and when that ends (INVALIDATE done, or RST
 * low without the SE having reset the core) requests a system reset: the
 * ROM then boots the loader, or this COS again. */
#include <stdint.h>

#include "cm0.h"
#include "cos.h"
#include "cos_link.h"
#include "cos_target.h"

#ifndef COS_VERSION
#error "build with -DCOS_VERSION=1 or -DCOS_VERSION=2"
#endif

/* The version in the image, for a debugger, the trace or a tool (by
 * symbol); the ATR and GET DATA report the same number. Read through a
 * volatile pointer so that it stays in the image as an object. */
const uint32_t cos_version = COS_VERSION;

static cos_t cos;
static cos_link_t cos_link;

void cos_main(void)
{
    cos_hal_se_init();
    cos_init(&cos, *(const volatile uint32_t *)&cos_version);
    cos_link_run(&cos_link, &cos);
    cm0_barrier();
    cm0_write32(SCB_AIRCR, SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ);
    for (;;)
        cm0_wfi();
}
