/* SPDX-License-Identifier: MIT */
/* tests/se_rom/fake_term.c - the scripted terminal (see fake_term.h). */
#include "fake_term.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apdu.h"
#include "rom_hal.h"

enum { PH_ATR, PH_PPS, PH_T1, PH_END };

fake_term_t term;

void fake_term_reset(void)
{
    memset(&term, 0, sizeof term);
    term.cfg.pps_t = 1;
    term.cfg.pps1 = 0x96;
    term.cfg.corrupt_block = -1;
    term.cfg.truncate_block = -1;
    term.cfg.broken_char_block = -1;
    term.phase = PH_ATR;
}

void fake_term_add(const uint8_t *apdu, size_t len)
{
    if (term.ncmd >= FAKE_TERM_CMDS || len > FAKE_TERM_APDU)
        return;
    memcpy(term.cmd[term.ncmd], apdu, len);
    term.cmd_len[term.ncmd++] = len;
}

uint16_t fake_term_sw(size_t i)
{
    return i < term.nresp ? apdu_sw(term.resp[i], term.resp_len[i]) : 0;
}

bool fake_term_in_t1(void)
{
    return term.phase == PH_T1;
}

static void fail(const char *fmt, ...)
{
    if (!term.err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(term.err, sizeof term.err, fmt, ap);
        va_end(ap);
    }
    term.phase = PH_END;
    term.ended = true;
}

void fake_term_from_card(uint8_t byte)
{
    if (term.out_len < sizeof term.out)
        term.out[term.out_len++] = byte;
    else
        fail("card sent more than %zu bytes in one go", sizeof term.out);
}

static void queue(int c)
{
    if (term.in_len < sizeof term.in / sizeof term.in[0])
        term.in[term.in_len++] = c;
}

static void queue_block(const uint8_t *b, size_t n)
{
    int k = (int)term.term_blocks++;
    term.in_len = term.in_off = 0;
    for (size_t i = 0; i < n; i++) {
        int c = b[i];
        if (k == term.cfg.corrupt_block && i == n - 1)
            c ^= 0x01;  /* LRC off by one bit */
        if (k == term.cfg.broken_char_block && i == 1)
            c = ROM_UART_ERROR;
        if (k == term.cfg.truncate_block && i + 2 >= n)
            break;      /* the last two characters never come */
        queue(c);
    }
}

/* Hands out responses and commands until the terminal has a block to
 * send, then queues it. */
static void t1_drive(void)
{
    for (;;) {
        t1_status_t st = t1_status(&term.t1);
        if (st == T1_APDU) {
            size_t n = t1_take_apdu(&term.t1);
            if (term.nresp < FAKE_TERM_CMDS) {
                memcpy(term.resp[term.nresp], term.rbuf, n);
                term.resp_len[term.nresp++] = n;
            }
            continue;
        }
        if (st == T1_IDLE) {
            if (term.next_cmd >= term.ncmd) {
                term.phase = PH_END;
                term.ended = true;
                return;
            }
            size_t i = term.next_cmd++;
            if (t1_send_apdu(&term.t1, term.cmd[i], term.cmd_len[i]) != T1_OK)
                return fail("t1_send_apdu refused command %zu", i);
            continue;
        }
        if (st != T1_BUSY)
            return fail("T=1 exchange failed: status %d, error %d", (int)st,
                        t1_error(&term.t1));
        break;
    }
    int n = t1_next_tx(&term.t1, term.blk, sizeof term.blk);
    if (n <= 0)
        return fail("terminal has nothing to send while the card waits");
    queue_block(term.blk, (size_t)n);
}

static void t1_start(void)
{
    uint16_t fi = ATR_FI_DEFAULT;
    uint8_t di = ATR_DI_DEFAULT;
    if (term.pps_agreed.present & PPS0_PPS1) {
        fi = atr_fi_value(term.pps_agreed.pps1 >> 4);
        di = atr_di_value(term.pps_agreed.pps1 & 0x0F);
    }
    t1_params_t p = {
        .ifsc = term.cfg.ifsc ? term.cfg.ifsc : term.parsed.ifsc,
        .edc = term.parsed.edc,
        .bwi = term.parsed.bwi,
        .fi = fi,
        .di = di,
        .rx_buf = term.rbuf,
        .rx_cap = sizeof term.rbuf,
    };
    if (t1_init(&term.t1, T1_TERMINAL, &p) != T1_OK)
        return fail("t1_init");
    term.phase = PH_T1;
    if (term.cfg.ifsd && t1_request_ifs(&term.t1, term.cfg.ifsd) != T1_OK)
        return fail("t1_request_ifs");
    t1_drive();
}

static void step(void)
{
    switch (term.phase) {
    case PH_ATR:
        memcpy(term.atr, term.out, term.out_len);
        term.atr_len = term.out_len;
        term.out_len = 0;
        term.atr_rc = atr_parse(term.atr, term.atr_len, &term.parsed);
        if (term.atr_rc != ATR_OK)
            return fail("ATR does not parse: %d", term.atr_rc);
        if (term.cfg.pps) {
            uint8_t req[PPS_MAX_LEN];
            term.pps_req = (pps_t){ .t = term.cfg.pps_t,
                                    .present = PPS0_PPS1,
                                    .pps1 = term.cfg.pps1 };
            int n = pps_build(&term.pps_req, req, sizeof req);
            term.in_len = term.in_off = 0;
            for (int i = 0; i < n; i++)
                queue(req[i]);
            term.pps_sent = true;
            term.phase = PH_PPS;
            return;
        }
        t1_start();
        return;
    case PH_PPS:
        memcpy(term.pps_ans, term.out, term.out_len);
        term.pps_ans_len = term.out_len;
        term.out_len = 0;
        if (term.pps_ans_len == 0) {  /* refused: the card stays silent */
            term.phase = PH_END;
            term.ended = true;
            return;
        }
        if (pps_check_answer(&term.pps_req, term.pps_ans, term.pps_ans_len,
                             &term.pps_agreed) != PPS_OK)
            return fail("PPS answer does not match the request");
        t1_start();
        return;
    case PH_T1:
        if (term.out_len == 0)
            return fail("the card waits without having answered");
        if (term.out_len >= 2 && term.ncard_pcb < FAKE_TERM_PCBS)
            term.card_pcb[term.ncard_pcb++] = term.out[1];
        if (term.out_len >= 2 && term.out[1] == (T1_PCB_S | T1_S_WTX))
            term.card_wtx++;
        (void)t1_rx_block(&term.t1, term.out, term.out_len, false);
        term.out_len = 0;
        t1_drive();
        return;
    default:
        return;
    }
}

int fake_term_to_card(bool may_step)
{
    if (term.in_off < term.in_len)
        return term.in[term.in_off++];
    if (!may_step)
        return ROM_UART_TIMEOUT;
    term.in_len = term.in_off = 0;
    step();
    if (term.in_off < term.in_len)
        return term.in[term.in_off++];
    term.ended = true;
    return ROM_UART_RESET;
}
