/* SPDX-License-Identifier: MIT */
/* firmware/tests/irq_nested.c - NVIC priorities, preemption, tail-chaining
 * and PRIMASK, observed as the order in which handlers run.
 *
 * Handlers log "+n" on entry and "-n" on exit (n = IRQ number, P = PendSV),
 * main logs "m" at its checkpoints. Priorities (2 bits on the Cortex-M0):
 *   IRQ4 0x00 > IRQ1 0x40 > IRQ0 = IRQ3 = IRQ5 0x80 > IRQ2 = PendSV 0xC0
 * 1. PRIMASK set, IRQ2 pended: nothing runs until CPSIE.      m +2 -2 m
 * 2. main pends IRQ0; IRQ0 pends IRQ5, IRQ2, IRQ3 (none can preempt it) and
 *    IRQ1, which preempts at once; IRQ1 pends IRQ4, which preempts IRQ1;
 *    IRQ4 pends PendSV. When IRQ0 returns the pending ones tail-chain by
 *    priority, equal priorities by exception number (ARMv6-M ARM B1.5.4):
 *    +0 +1 +4 -4 -1 -0 +3 -3 +5 -5 +P -P +2 -2 m
 * Every handler also checks that IPSR holds its own exception number. */
#include <stdint.h>

#include "cm0.h"
#include "fmt.h"
#include "str.h"
#include "vectors.h"

static const char expected[] =
    "m +2 -2 m +0 +1 +4 -4 -1 -0 +3 -3 +5 -5 +P -P +2 -2 m";

static char order[128];
static unsigned order_len;
static volatile int ipsr_wrong;

static void log_token(char sign, char what)
{
    if (order_len + 4 > sizeof order)
        return;
    if (order_len > 0)
        order[order_len++] = ' ';
    if (sign)
        order[order_len++] = sign;
    order[order_len++] = what;
    order[order_len] = '\0';
}

static void enter(char what, uint32_t exc)
{
    log_token('+', what);
    if (cm0_ipsr() != exc)
        ipsr_wrong = 1;
}

static void pend(unsigned irq)
{
    cm0_nvic_pend(irq);
    cm0_barrier();
}

void IRQ0_Handler(void)
{
    enter('0', EXC_IRQ0 + 0);
    pend(5);
    pend(2);
    pend(3);
    pend(1);
    log_token('-', '0');
}

void IRQ1_Handler(void)
{
    enter('1', EXC_IRQ0 + 1);
    pend(4);
    log_token('-', '1');
}

void IRQ2_Handler(void)
{
    enter('2', EXC_IRQ0 + 2);
    log_token('-', '2');
}

void IRQ3_Handler(void)
{
    enter('3', EXC_IRQ0 + 3);
    log_token('-', '3');
}

void IRQ4_Handler(void)
{
    enter('4', EXC_IRQ0 + 4);
    cm0_write32(SCB_ICSR, SCB_ICSR_PENDSVSET);
    cm0_barrier();
    log_token('-', '4');
}

void IRQ5_Handler(void)
{
    enter('5', EXC_IRQ0 + 5);
    log_token('-', '5');
}

void PendSV_Handler(void)
{
    enter('P', EXC_PENDSV);
    log_token('-', 'P');
}

int main(void)
{
    static const uint8_t prio[6] = { 0x80, 0x40, 0xC0, 0x80, 0x00, 0x80 };
    for (unsigned irq = 0; irq < 6; irq++) {
        cm0_nvic_set_priority(irq, prio[irq]);
        cm0_nvic_enable(irq);
    }
    uint32_t shpr3 = cm0_read32(SCB_SHPR3);
    cm0_write32(SCB_SHPR3, (shpr3 & ~0x00FF0000u) | (0xC0u << 16));

    cm0_irq_disable();
    pend(2);
    log_token(0, 'm');
    cm0_irq_enable();
    cm0_barrier();
    log_token(0, 'm');

    pend(0);
    log_token(0, 'm');

    fmt_put_str("order: ");
    fmt_put_str(order);
    fmt_put_str("\n");
    if (ipsr_wrong)
        fmt_put_str("irq_nested: FAIL IPSR did not match the handler\n");
    if (strcmp(order, expected) != 0) {
        fmt_put_str("irq_nested: FAIL expected ");
        fmt_put_str(expected);
        fmt_put_str("\n");
        return 1;
    }
    if (ipsr_wrong)
        return 1;
    fmt_put_str("irq_nested: ok\n");
    return 0;
}
