/* SPDX-License-Identifier: MIT */
/* firmware/tests/exit_code.c - main() returns 42, which Reset_Handler
 * passes to semihost_exit() (SYS_EXIT_EXTENDED). */
#include "fmt.h"

int main(void)
{
    fmt_put_str("exit_code: returning 42\n");
    return 42;
}
