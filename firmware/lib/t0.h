/* SPDX-License-Identifier: MIT */
/* firmware/lib/t0.h - ISO/IEC 7816-3 T=0: the terminal's transport of one
 * short command APDU (cases 1, 2S, 3S, 4S) through procedure bytes, and
 * the card's helpers to answer a header (procedure byte, data, SW) with
 * GET RESPONSE served for it.
 *
 * Portable (docs/t1.md, "Portability"); event driven like t1.h: the caller
 * moves characters and measures time. Parity errors and character
 * repetition are the UART's business (T=0 error signal), not this layer's.
 *
 * Terminal, per command:
 *   t0_term_start(); loop { n = t0_term_next_tx(out, cap): send n bytes;
 *   arm t0_term_timeout_clocks() (WWT) if non-zero; each received byte ->
 *   t0_term_rx(); WWT expired -> t0_term_timeout(); } until the status is
 *   T0_DONE (response data ‖ SW1 SW2 in the caller's buffer) or T0_FAILED.
 * The terminal turns 61xx into GET RESPONSE (CLA 00, P3 = min(xx, what Le
 * still allows)) for cases 2 and 4, and a 6Cxx answering an incoming
 * transfer into the same header again with P3 = xx (at most 3 times).
 * Cases 1 and 3 get 61xx as their status word, untouched.
 *
 * Card: feed each received byte to t0_card_rx(); on T0_EV_HEADER the
 * application looks at t0_card_buf()[0..4] and either answers
 * (t0_card_respond) or, for a command with data (case 3/4), asks for the
 * data (t0_card_receive_data) and answers on T0_EV_DATA. t0_card_null()
 * sends a NULL byte (60) for more time. t0_card_next_tx() gives the bytes
 * to send. */
#ifndef FIRMWARE_LIB_T0_H
#define FIRMWARE_LIB_T0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define T0_NULL             0x60u
#define T0_INS_GET_RESPONSE 0xC0u
#define T0_MAX_REISSUE      3u

enum t0_err {
    T0_OK = 0,
    T0_ERR_APDU = -1,       /* not a short APDU (apdu_parse failed) */
    T0_ERR_INS = -2,        /* INS 6x or 9x cannot be sent in T=0 */
    T0_ERR_PROTOCOL = -3,   /* a byte that is no valid procedure byte */
    T0_ERR_TIMEOUT = -4,    /* WWT expired */
    T0_ERR_OVERFLOW = -5,   /* response larger than the caller's buffer */
    T0_ERR_STATE = -6,      /* call not allowed in this state */
    T0_ERR_PARAM = -7,
};

typedef enum t0_status {
    T0_IDLE,    /* no command */
    T0_BUSY,    /* drive it */
    T0_DONE,    /* response complete: t0_term_resp_len() bytes */
    T0_FAILED,  /* t0_term_error() says why */
} t0_status_t;

typedef struct t0_term {
    uint8_t state, ins, sw1, reissues;
    int8_t err;
    uint8_t wi;
    uint16_t fi;
    uint8_t hdr[5];         /* TPDU header being sent */
    uint8_t hdr_off;        /* its bytes already handed out */
    bool incoming;          /* the TPDU's data flows card -> terminal */
    const uint8_t *data;    /* command data (cases 3, 4) */
    uint16_t nc, data_off;  /* its length, bytes sent */
    uint16_t ne;            /* Le (256 for 00); 0 for cases 1, 3 */
    uint16_t tpdu_left;     /* incoming TPDU: bytes the card still owes */
    uint16_t now_left;      /* bytes of the current INS / INS^FF burst */
    uint8_t *resp;
    size_t resp_cap, resp_len;
} t0_term_t;

/* Waiting time parameters: WI (TC2, 10 by default) and the current Fi. */
void t0_term_init(t0_term_t *t, uint8_t wi, uint16_t fi);

/* Starts transporting `apdu` (kept by pointer until done); the response
 * (data ‖ SW1 SW2) goes to resp (resp_cap >= 2). T0_OK, T0_ERR_APDU,
 * T0_ERR_INS, T0_ERR_PARAM or T0_ERR_STATE (a command is in progress). */
int t0_term_start(t0_term_t *t, const uint8_t *apdu, size_t len,
                  uint8_t *resp, size_t resp_cap);
/* Bytes to send now (header or data), at most cap; 0 if none. */
size_t t0_term_next_tx(t0_term_t *t, uint8_t *out, size_t cap);
/* One byte from the card. Returns T0_OK or the failure it caused. */
int t0_term_rx(t0_term_t *t, uint8_t byte);
/* WWT expired while waiting for the card: the command fails. */
void t0_term_timeout(t0_term_t *t);
/* WWT in clocks while a byte from the card is awaited, else 0. */
uint32_t t0_term_timeout_clocks(const t0_term_t *t);
t0_status_t t0_term_status(const t0_term_t *t);
int t0_term_error(const t0_term_t *t);
size_t t0_term_resp_len(const t0_term_t *t);

/* Card ------------------------------------------------------------------- */

enum t0_event {
    T0_EV_NONE = 0,     /* nothing for the application */
    T0_EV_HEADER = 1,   /* a command header is in t0_card_buf()[0..4] */
    T0_EV_DATA = 2,     /* ... and its P3 data bytes follow it */
};

typedef struct t0_card {
    uint8_t state, after;
    uint8_t *buf;           /* header, then incoming data */
    size_t cap, got, want;
    bool data_in;           /* the current command's data were received */
    /* what to send: [procedure byte] [data] [SW1 SW2] */
    bool has_pre;
    uint8_t pre, sw[2], sw_left;
    const uint8_t *out;
    size_t out_len;
    /* response data left for GET RESPONSE (the caller's memory) */
    const uint8_t *rdata;
    size_t rlen;
    uint16_t rsw;
} t0_card_t;

/* buf (>= 5 + 255 bytes for any command) receives header and data. */
int t0_card_init(t0_card_t *c, uint8_t *buf, size_t cap);
/* One byte from the terminal: T0_EV_*, or T0_ERR_STATE if no byte was
 * expected now (it is dropped). */
int t0_card_rx(t0_card_t *c, uint8_t byte);
const uint8_t *t0_card_buf(const t0_card_t *c);
/* After T0_EV_HEADER: acknowledge with INS and receive P3 bytes (then
 * T0_EV_DATA). T0_ERR_PARAM if P3 is 0, T0_ERR_OVERFLOW if buf is too
 * small (answer SW_WRONG_LENGTH instead). */
int t0_card_receive_data(t0_card_t *c);
/* Answers the command. data (caller's memory, kept until the next command
 * header) is sent now if the header's P3 asked for exactly that much,
 * with 6Cxx if P3 asked for more, in part with 61xx if less, and after
 * 61xx through GET RESPONSE if the command carried data (case 4). */
int t0_card_respond(t0_card_t *c, const uint8_t *data, size_t len,
                    uint16_t sw);
/* Sends a NULL procedure byte (more time, WWT restarts at the terminal);
 * the command stays open: answer it once t0_card_next_tx has sent the
 * NULL. */
int t0_card_null(t0_card_t *c);
size_t t0_card_next_tx(t0_card_t *c, uint8_t *out, size_t cap);

#endif /* FIRMWARE_LIB_T0_H */
