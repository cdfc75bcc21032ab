/* SPDX-License-Identifier: MIT */
/* firmware/lib/semihost.h - target side of ARM semihosting (BKPT 0xAB).
 *
 * Reference: ARM "Semihosting for AArch32 and AArch64", version 3.0.
 * Only the calls the cardsim testbed implements are wrapped here: SYS_WRITEC,
 * SYS_WRITE0, SYS_WRITE on the pre-opened handles 1 (stdout) and 2 (stderr),
 * SYS_EXIT and SYS_EXIT_EXTENDED. */
#ifndef FIRMWARE_LIB_SEMIHOST_H
#define FIRMWARE_LIB_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

#define SEMIHOST_SYS_WRITEC         0x03u
#define SEMIHOST_SYS_WRITE0         0x04u
#define SEMIHOST_SYS_WRITE          0x05u
#define SEMIHOST_SYS_EXIT           0x18u
#define SEMIHOST_SYS_EXIT_EXTENDED  0x20u

#define SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define SEMIHOST_ADP_STOPPED_RUNTIME_ERROR    0x20023u

#define SEMIHOST_STDOUT 1
#define SEMIHOST_STDERR 2

/* Raw call: r0 = op, r1 = arg; returns the host's r0. */
int semihost_call(uint32_t op, const void *arg);

/* One character to stdout (SYS_WRITEC). */
void semihost_putc(char c);

/* s as is, no newline added (SYS_WRITE0). */
void semihost_write0(const char *s);

/* s followed by a newline, like C's puts(). */
void semihost_puts(const char *s);

/* len bytes to fd (SEMIHOST_STDOUT or SEMIHOST_STDERR) with SYS_WRITE.
 * Returns the number of bytes NOT written (0 on success), as the host says. */
size_t semihost_write(int fd, const void *buf, size_t len);

/* Ends the program with an exit code. 0 uses SYS_EXIT with
 * ADP_Stopped_ApplicationExit (understood by every semihosting host); any
 * other code uses SYS_EXIT_EXTENDED {ApplicationExit, code}. Never returns:
 * if the host ignores the call, the core spins on WFI. */
__attribute__((noreturn)) void semihost_exit(int code);

#endif /* FIRMWARE_LIB_SEMIHOST_H */
