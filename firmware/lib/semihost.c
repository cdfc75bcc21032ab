/* SPDX-License-Identifier: MIT */
/* firmware/lib/semihost.c - ARM semihosting calls through BKPT 0xAB. */
#include "semihost.h"

int semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* "memory": the host reads the parameter block and the buffers it points
     * to, so every store to them must be done before the BKPT. */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int)r0;
}

void semihost_putc(char c)
{
    semihost_call(SEMIHOST_SYS_WRITEC, &c);
}

void semihost_write0(const char *s)
{
    semihost_call(SEMIHOST_SYS_WRITE0, s);
}

void semihost_puts(const char *s)
{
    semihost_write0(s);
    semihost_putc('\n');
}

size_t semihost_write(int fd, const void *buf, size_t len)
{
    uint32_t block[3] = { (uint32_t)fd, (uint32_t)buf, (uint32_t)len };
    return (size_t)semihost_call(SEMIHOST_SYS_WRITE, block);
}

void semihost_exit(int code)
{
    if (code == 0) {
        /* On AArch32 SYS_EXIT takes the reason itself in r1, not a block. */
        semihost_call(SEMIHOST_SYS_EXIT,
                      (const void *)SEMIHOST_ADP_STOPPED_APPLICATION_EXIT);
    } else {
        uint32_t block[2] = { SEMIHOST_ADP_STOPPED_APPLICATION_EXIT,
                              (uint32_t)code };
        semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    }
    for (;;)
        __asm__ volatile("wfi");
}
