/* SPDX-License-Identifier: MIT */
/* firmware/lib/str.h - the C string functions the firmware has (no libc).
 *
 * Declared here rather than through <string.h> so the firmware builds with
 * gcc-arm-none-eabi alone, without newlib's headers. */
#ifndef FIRMWARE_LIB_STR_H
#define FIRMWARE_LIB_STR_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif /* FIRMWARE_LIB_STR_H */
