/* SPDX-License-Identifier: MIT */
/* firmware/tests/fault_udf.c - executes UDF inside do_bad_thing(), so the
 * simulator's fault report can be checked to name that function. The
 * default HardFault_Handler then prints "HardFault" and exits with 3. */
#include "fmt.h"

/* noinline: the UDF must stay inside a function of this name. */
__attribute__((noinline)) void do_bad_thing(void);

void do_bad_thing(void)
{
    __asm__ volatile("udf #0");
}

int main(void)
{
    fmt_put_str("fault_udf: calling do_bad_thing\n");
    do_bad_thing();
    fmt_put_str("fault_udf: FAIL survived UDF\n");
    return 1;
}
