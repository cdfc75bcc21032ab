/* SPDX-License-Identifier: MIT */
/* firmware/testbed/startup.c - reset handler of the test machine: copy
 * .data from flash, zero .bss, run main(), exit with its return value. */
#include <stdint.h>

#include "semihost.h"
#include "vectors.h"

/* Defined by testbed.ld; word-aligned there, so word copies are exact. */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);

void Reset_Handler(void)
{
    const uint32_t *src = __data_load;
    uint32_t *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++)
        *dst = 0;
    semihost_exit(main());
}
