/* SPDX-License-Identifier: MIT */
/* firmware/tests/semihost_io.c - every semihosting output call the testbed
 * supports: SYS_WRITEC, SYS_WRITE0, SYS_WRITE to stdout and to stderr. */
#include "semihost.h"
#include "str.h"

int main(void)
{
    static const char out[] = "SYS_WRITE to stdout\n";
    static const char err[] = "SYS_WRITE to stderr\n";
    const char *writec = "SYS_WRITEC\n";

    while (*writec)
        semihost_putc(*writec++);
    semihost_write0("SYS_WRITE0\n");
    semihost_puts("semihost_puts");
    if (semihost_write(SEMIHOST_STDOUT, out, strlen(out)) != 0)
        return 1;
    if (semihost_write(SEMIHOST_STDERR, err, strlen(err)) != 0)
        return 1;
    semihost_write0("semihost_io: ok\n");
    return 0;
}
