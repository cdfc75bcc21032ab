/* SPDX-License-Identifier: MIT */
/* firmware/lib/t1.h - ISO/IEC 7816-3 T=1 block protocol for both ends of
 * the line: block coding (LRC or CRC), I/R/S blocks, N(S)/N(R), chaining
 * both ways under IFSC/IFSD, error recovery with R-blocks and retries,
 * S(IFS), S(WTX), S(RESYNCH), minimal S(ABORT).
 *
 * Portable (docs/t1.md, "Portability"): no allocation, no clock. The
 * caller owns the t1_t, the receive buffer and the APDU it sends; it moves
 * whole blocks, measures time and says when BWT expired. docs/t1.md has
 * the state machines, the driving loop and the limits.
 *
 * Driving (both roles): after every call that may change the state
 * (t1_send_apdu, t1_rx_block, t1_timeout, t1_request_*), call
 * t1_next_tx() and send the block it writes, if any; then, on the
 * terminal, arm t1_timeout_clocks() (BWT, or BWT x WTX) if it is non-zero.
 * When a block has been received (its LEN byte gives the length,
 * t1_block_size), call t1_rx_block(); a character error or a CWT expiry
 * inside the block is rx_error = true. t1_status() says what the
 * application has to do. */
#ifndef FIRMWARE_LIB_T1_H
#define FIRMWARE_LIB_T1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define T1_INF_MAX          254u
#define T1_BLOCK_MAX        (3u + T1_INF_MAX + 2u) /* NAD PCB LEN INF EDC */
#define T1_IFS_DEFAULT      32u
#define T1_MAX_RETRIES      3u  /* terminal: retransmissions before RESYNCH */
#define T1_MAX_RESYNCH      3u  /* terminal: S(RESYNCH) attempts */

/* PCB (PROTOCOLS.md) */
#define T1_PCB_I_NS         0x40u
#define T1_PCB_I_MORE       0x20u
#define T1_PCB_R            0x80u
#define T1_PCB_R_NR         0x10u
#define T1_PCB_S            0xC0u
#define T1_PCB_S_RESPONSE   0x20u
#define T1_IS_I(pcb)        (((pcb) & 0x80u) == 0)
#define T1_IS_R(pcb)        (((pcb) & 0xC0u) == 0x80u)
#define T1_IS_S(pcb)        (((pcb) & 0xC0u) == 0xC0u)

enum t1_s_type { T1_S_RESYNCH = 0, T1_S_IFS = 1, T1_S_ABORT = 2, T1_S_WTX = 3 };
enum t1_r_err { T1_R_OK = 0, T1_R_EDC = 1, T1_R_OTHER = 2 };
enum t1_edc { T1_EDC_LRC = 0, T1_EDC_CRC = 1 };
typedef enum t1_role { T1_TERMINAL = 0, T1_CARD = 1 } t1_role_t;

enum t1_err {
    T1_OK = 0,
    T1_ERR_EDC = -1,        /* received block: LRC/CRC wrong */
    T1_ERR_FORMAT = -2,     /* received block: length, LEN or PCB wrong */
    T1_ERR_RX = -3,         /* received block: character error (caller) */
    T1_ERR_PROTOCOL = -4,   /* received block: valid, unexpected here */
    T1_ERR_PARAM = -5,      /* bad argument (size, value) */
    T1_ERR_STATE = -6,      /* call not allowed in this state */
    T1_ERR_OVERFLOW = -7,   /* exchange failed: APDU larger than rx_cap */
    T1_ERR_ABORTED = -8,    /* exchange failed: the peer sent S(ABORT) */
    T1_ERR_RESYNCH = -9,    /* exchange failed: retries exhausted, link
                             * resynchronised (N(S) = 0, IFS = initial) */
    T1_ERR_DEAD = -10,      /* S(RESYNCH) unanswered: deactivate */
    T1_ERR_TIMEOUT = -11,   /* (reason recorded for a BWT expiry) */
};

typedef enum t1_status {
    T1_IDLE,        /* terminal: ready for t1_send_apdu / t1_request_*;
                     * card: waiting for a command */
    T1_BUSY,        /* an exchange is going on: drive it */
    T1_APDU,        /* a whole APDU is in rx_buf: t1_take_apdu() */
    T1_PROCESSING,  /* card: the command was taken; answer with
                     * t1_send_apdu (or t1_request_wtx / _ifs first) */
    T1_FAILED,      /* terminal: the exchange failed (t1_error()); a
                     * new one may start */
    T1_DEAD,        /* terminal: link lost; deactivate the card */
} t1_status_t;

typedef struct t1_params {
    uint8_t ifsc;       /* card's IFSC from the ATR (1..254; 0 = 32) */
    uint8_t edc;        /* T1_EDC_LRC / T1_EDC_CRC (ATR: TC of T=1) */
    uint8_t bwi;        /* terminal: BWT (ATR: TB of T=1) */
    uint16_t fi;        /* terminal: current Fi and Di for BWT in */
    uint8_t di;         /*   clocks (0, 0 = 372, 1) */
    uint8_t *rx_buf;    /* where received APDUs are assembled */
    size_t rx_cap;
} t1_params_t;

/* One decoded block; inf points into the decoded buffer. */
typedef struct t1_block {
    uint8_t nad, pcb, len;
    const uint8_t *inf;
} t1_block_t;

/* The protocol state: all of it is the caller's storage; treat the
 * fields as private. */
typedef struct t1 {
    uint8_t role, edc, state;
    uint8_t ifsc, ifsd, ifsc0;  /* current IFS each way; ATR's IFSC */
    uint8_t ns, nr;             /* N(S) of our current I-block; N(S)
                                 * expected in the peer's next one */
    bool i_out;                 /* our I-block is sent, not acknowledged */
    bool pending;               /* a block waits for t1_next_tx */
    bool waiting;               /* terminal: sent, the card's turn */
    bool resp_ready;            /* card: response set during an S request */
    uint8_t last_pcb, last_inf; /* the last block sent (retransmission) */
    uint8_t sreq, sreq_val;     /* our outstanding S request (type+1) */
    uint8_t retries, wtx;
    int8_t err;
    uint32_t bwt;               /* clocks */
    const uint8_t *tx;          /* the APDU being sent (caller's) */
    size_t tx_len, tx_off;
    uint8_t tx_chunk;           /* INF length of the current I-block */
    uint8_t *rx;
    size_t rx_cap, rx_len;
} t1_t;

/* Block layer ---------------------------------------------------------- */

uint8_t t1_lrc(const uint8_t *p, size_t n);
/* CRC-16 of ISO/IEC 13239 as T=1 readers compute it (OpenCT / CCID):
 * reflected polynomial 0x8408, initial FFFF, no final XOR; sent high
 * byte first. */
uint16_t t1_crc(const uint8_t *p, size_t n);
/* The size of a whole block whose LEN byte is `len_byte`. */
size_t t1_block_size(uint8_t len_byte, uint8_t edc);
/* Writes NAD 0, pcb, LEN, inf, EDC. Returns the length or T1_ERR_PARAM. */
int t1_block_encode(uint8_t *out, size_t cap, uint8_t pcb,
                    const uint8_t *inf, size_t len, uint8_t edc);
/* Checks length, LEN, EDC and that the PCB and INF make a valid I, R or S
 * block (R: no INF; S(IFS)/S(WTX): one byte; S(RESYNCH)/S(ABORT): none).
 * Returns T1_OK, T1_ERR_EDC or T1_ERR_FORMAT. */
int t1_block_decode(const uint8_t *buf, size_t len, uint8_t edc,
                    t1_block_t *b);

/* Protocol ----------------------------------------------------------------*/

/* Starts a T=1 session (right after the ATR or the PPS): N(S) = N(R) = 0,
 * IFSD = 32, IFSC = params->ifsc. Returns T1_OK or T1_ERR_PARAM. */
int t1_init(t1_t *t, t1_role_t role, const t1_params_t *params);

/* Terminal: starts an exchange with the command APDU (kept by pointer
 * until the status leaves T1_BUSY). Card: answers the command taken with
 * the response APDU (kept until the next command arrives; it may sit in
 * rx_buf). T1_ERR_STATE if not allowed now, T1_ERR_PARAM if len > 65535. */
int t1_send_apdu(t1_t *t, const uint8_t *apdu, size_t len);

/* Writes the next block to send into out (cap >= T1_BLOCK_MAX is always
 * enough). Returns its length, 0 if there is nothing to send now, or
 * T1_ERR_PARAM if cap is too small. */
int t1_next_tx(t1_t *t, uint8_t *out, size_t cap);

/* A block (or what arrived of it) was received. rx_error: the caller saw
 * a parity/framing error or CWT expired. Returns T1_OK if the block was
 * accepted, or why it was not (T1_ERR_EDC, ...): the protocol has then
 * already chosen its recovery. */
int t1_rx_block(t1_t *t, const uint8_t *buf, size_t len, bool rx_error);

/* Terminal: BWT (x WTX) expired without a block. Card: ignored. */
void t1_timeout(t1_t *t);

/* Terminal: the time-out to arm after the block just sent, in clocks; 0
 * when no answer is awaited. Card: always 0 (a card does not time out). */
uint32_t t1_timeout_clocks(const t1_t *t);

t1_status_t t1_status(const t1_t *t);
/* Why the last exchange failed (T1_ERR_*), T1_OK if it did not. */
int t1_error(const t1_t *t);

/* With T1_APDU: returns the APDU's length (its bytes are at the start of
 * rx_buf) and moves on: terminal to T1_IDLE, card to T1_PROCESSING. 0 in
 * any other state. */
size_t t1_take_apdu(t1_t *t);

/* Terminal, T1_IDLE or T1_FAILED: S(IFS request) announcing IFSD (1..254).
 * Card, T1_PROCESSING: S(IFS request) announcing a new IFSC. */
int t1_request_ifs(t1_t *t, uint8_t ifs);
/* Card, T1_PROCESSING: S(WTX request) for `mult` x BWT (1..255) for the
 * next block. */
int t1_request_wtx(t1_t *t, uint8_t mult);
/* Terminal, T1_IDLE or T1_FAILED: S(RESYNCH request). */
int t1_request_resynch(t1_t *t);

/* Current information field sizes (after S(IFS) or RESYNCH). */
uint8_t t1_ifsc(const t1_t *t);
uint8_t t1_ifsd(const t1_t *t);

#endif /* FIRMWARE_LIB_T1_H */
