/* SPDX-License-Identifier: MIT */
/* firmware/testbed/testbed.h - memory map of the bare test machine that
 * `cardsim cpu-run` simulates (docs/firmware.md), for firmware and host.
 *
 * The linker script testbed.ld repeats these numbers (ld cannot include a C
 * header); keep the two in step. */
#ifndef FIRMWARE_TESTBED_TESTBED_H
#define FIRMWARE_TESTBED_TESTBED_H

#define TESTBED_FLASH_BASE  0x00000000u
#define TESTBED_FLASH_SIZE  0x00100000u     /* 1 MiB */
#define TESTBED_RAM_BASE    0x20000000u
#define TESTBED_RAM_SIZE    0x00040000u     /* 256 KiB */
#define TESTBED_STACK_TOP   (TESTBED_RAM_BASE + TESTBED_RAM_SIZE)
#define TESTBED_NUM_IRQ     32u

/* Exit codes of the default handlers (startup.c, vectors.c). */
#define TESTBED_EXIT_HARDFAULT   3
#define TESTBED_EXIT_UNEXPECTED  4

#endif /* FIRMWARE_TESTBED_TESTBED_H */
