/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos_target.h - target-only parts of the COS: the entry
 * from the reset handler (cos_main.c), the fault sink (cos_start.c), the
 * SE HAL's set-up and its hook before long operations (cos_hal_se.c). */
#ifndef FIRMWARE_SE_COS_COS_TARGET_H
#define FIRMWARE_SE_COS_COS_TARGET_H

#include <stdint.h>

/* Masks interrupts (PRIMASK stays set: the COS never takes one) and
 * enables the FLASHC, UART and CRYPTO lines in the NVIC so that their
 * events wake WFI. */
void cos_hal_se_init(void);

/* fn(ctx) runs before every flash operation and crypto command, so the
 * link can ask the terminal for more time (S(WTX)) while a command runs
 * long. NULL: nothing. */
void cos_hal_se_set_hook(void (*fn)(void *ctx), void *ctx);

__attribute__((noreturn)) void cos_main(void);
__attribute__((noreturn)) void cos_fault(void);

#endif /* FIRMWARE_SE_COS_COS_TARGET_H */
