/* SPDX-License-Identifier: MIT */
/* firmware/lib/t1.c - the T=1 block protocol, terminal and card ends
 * (ISO/IEC 7816-3:2006 section 11, rules 1-9 of 11.6; PROTOCOLS.md).
 * docs/t1.md describes the state machines this file implements.
 *
 * One idea carries the recovery: the last block sent is kept as a PCB
 * (plus one INF byte for S(IFS)/S(WTX); an I-block's INF is re-read from
 * the caller's APDU), so "send it again" is just marking it pending. */
#include "t1.h"

#include "atr.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

enum {
    ST_IDLE,    /* terminal: no exchange; card: receiving commands */
    ST_XFER,    /* terminal: exchange going on; card: sending a chained
                 * response (waiting for each R-block) */
    ST_SX,      /* terminal: S exchange started from idle */
    ST_DONE,    /* an APDU is complete in rx, not taken yet */
    ST_PROC,    /* card: command taken, the card has the turn */
    ST_FAILED,  /* terminal */
    ST_DEAD,    /* terminal */
};

#define PCB_NONE 0xFFu  /* "nothing sent yet" (an S response, so an error
                         * before anything is sent answers R(0): rule 7.5) */

/* Block layer ------------------------------------------------------------ */

uint8_t t1_lrc(const uint8_t *p, size_t n)
{
    uint8_t x = 0;
    while (n--)
        x ^= *p++;
    return x;
}

uint16_t t1_crc(const uint8_t *p, size_t n)
{
    uint16_t v = 0xFFFF;
    while (n--) {
        v ^= *p++;
        for (unsigned k = 0; k < 8; k++)
            v = (v & 1) ? (uint16_t)((v >> 1) ^ 0x8408u) : (uint16_t)(v >> 1);
    }
    return v;
}

size_t t1_block_size(uint8_t len_byte, uint8_t edc)
{
    return 3u + len_byte + (edc == T1_EDC_CRC ? 2u : 1u);
}

int t1_block_encode(uint8_t *out, size_t cap, uint8_t pcb,
                    const uint8_t *inf, size_t len, uint8_t edc)
{
    if (len > T1_INF_MAX || (len && !inf) ||
        cap < t1_block_size((uint8_t)len, edc))
        return T1_ERR_PARAM;
    out[0] = 0;  /* NAD: no addressing */
    out[1] = pcb;
    out[2] = (uint8_t)len;
    if (len)
        memcpy(out + 3, inf, len);
    size_t n = 3 + len;
    if (edc == T1_EDC_CRC) {
        uint16_t c = t1_crc(out, n);
        out[n++] = (uint8_t)(c >> 8);
        out[n++] = (uint8_t)c;
    } else {
        uint8_t x = t1_lrc(out, n);
        out[n++] = x;
    }
    return (int)n;
}

int t1_block_decode(const uint8_t *buf, size_t len, uint8_t edc,
                    t1_block_t *b)
{
    size_t el = edc == T1_EDC_CRC ? 2 : 1;
    if (len < 3 + el || buf[2] == 0xFF || len != t1_block_size(buf[2], edc))
        return T1_ERR_FORMAT;
    if (el == 1) {
        if (t1_lrc(buf, len) != 0)
            return T1_ERR_EDC;
    } else {
        uint16_t c = t1_crc(buf, len - 2);
        if (buf[len - 2] != (uint8_t)(c >> 8) || buf[len - 1] != (uint8_t)c)
            return T1_ERR_EDC;
    }
    uint8_t pcb = buf[1], n = buf[2];
    b->nad = buf[0];
    b->pcb = pcb;
    b->len = n;
    b->inf = buf + 3;
    if (T1_IS_I(pcb))
        return (pcb & 0x1F) ? T1_ERR_FORMAT : T1_OK;
    if (T1_IS_R(pcb))
        return ((pcb & 0x2C) || (pcb & 3) == 3 || n) ? T1_ERR_FORMAT : T1_OK;
    uint8_t type = pcb & 0x1F;
    if (type > T1_S_WTX)
        return T1_ERR_FORMAT;
    return n == (type == T1_S_IFS || type == T1_S_WTX) ? T1_OK : T1_ERR_FORMAT;
}

/* Protocol: helpers ------------------------------------------------------- */

static bool i_more(const t1_t *t)
{
    return t->tx_off + t->tx_chunk < t->tx_len;
}

static uint8_t i_pcb(const t1_t *t)
{
    return (uint8_t)((t->ns ? T1_PCB_I_NS : 0) | (i_more(t) ? T1_PCB_I_MORE : 0));
}

static void queue(t1_t *t, uint8_t pcb, uint8_t inf)
{
    t->last_pcb = pcb;
    t->last_inf = inf;
    t->pending = true;
}

static void queue_r(t1_t *t, uint8_t err)
{
    queue(t, (uint8_t)(T1_PCB_R | (t->nr ? T1_PCB_R_NR : 0) | err), 0);
}

static void queue_s(t1_t *t, uint8_t type, bool resp, uint8_t v)
{
    queue(t, (uint8_t)(T1_PCB_S | (resp ? T1_PCB_S_RESPONSE : 0) | type), v);
}

static void queue_sreq(t1_t *t, uint8_t type, uint8_t v)
{
    t->sreq = (uint8_t)(type + 1);
    t->sreq_val = v;
    queue_s(t, type, false, v);
}

/* Queues the I-block carrying the APDU from tx_off: at most IFSC bytes
 * towards the card, IFSD towards the terminal. */
static void send_chunk(t1_t *t)
{
    size_t left = t->tx_len - t->tx_off;
    uint8_t max = t->role == T1_TERMINAL ? t->ifsc : t->ifsd;
    t->tx_chunk = (uint8_t)(left > max ? max : left);
    t->i_out = true;
    queue(t, i_pcb(t), 0);
    if (t->role == T1_CARD)
        t->state = i_more(t) ? ST_XFER : ST_IDLE;
}

static void fail(t1_t *t, int err)
{
    t->state = ST_FAILED;
    t->err = (int8_t)err;
    t->i_out = false;
    t->sreq = 0;
}

/* Back to the state right after the ATR (RESYNCH, both ends). */
static void reset_link(t1_t *t)
{
    t->ns = t->nr = 0;
    t->ifsc = t->ifsc0;
    t->ifsd = T1_IFS_DEFAULT;
    t->i_out = false;
    t->retries = 0;
    t->wtx = 1;
    t->sreq = 0;
}

/* Card: forget the exchange (S(ABORT), RESYNCH). */
static void card_drop(t1_t *t)
{
    t->state = ST_IDLE;
    t->rx_len = 0;
    t->i_out = false;
    t->resp_ready = false;
    t->sreq = 0;
}

/* Card: its S request was answered; go on with the response if the
 * application gave it meanwhile. */
static void card_resume(t1_t *t)
{
    if (t->resp_ready) {
        t->resp_ready = false;
        send_chunk(t);
    }
}

static void start_resynch(t1_t *t)
{
    t->retries = 0;
    t->err = T1_ERR_RESYNCH;  /* the exchange fails even if it works */
    queue_sreq(t, T1_S_RESYNCH, 0);
}

/* Counts one retransmission. The terminal gives up after T1_MAX_RETRIES
 * and resynchronises instead (rule 7.4); the card never gives up. */
static bool count_retry(t1_t *t)
{
    if (t->role == T1_TERMINAL && t->retries >= T1_MAX_RETRIES) {
        start_resynch(t);
        return false;
    }
    if (t->retries < 0xFF)
        t->retries++;
    return true;
}

/* An invalid block, or (terminal) no block within BWT: rules 7.1-7.4. */
static void recover(t1_t *t, int why)
{
    if (t->role == T1_TERMINAL && t->sreq == T1_S_RESYNCH + 1) {
        if (++t->retries >= T1_MAX_RESYNCH) {
            fail(t, T1_ERR_DEAD);
            t->state = ST_DEAD;
            t->pending = false;
        } else {
            t->pending = true;
        }
        return;
    }
    if (!count_retry(t))
        return;
    if (T1_IS_S(t->last_pcb) && !(t->last_pcb & T1_PCB_S_RESPONSE))
        t->pending = true;  /* rule 7.3: the S request again */
    else  /* rules 7.1, 7.2: an R-block asking for the block expected.
           * After an R-block this is that R-block again (N(R) only moves
           * when an I-block is accepted), now saying what went wrong. */
        queue_r(t, why == T1_ERR_EDC || why == T1_ERR_RX ? T1_R_EDC
                                                         : T1_R_OTHER);
}

/* Protocol: received blocks ----------------------------------------------- */

static int on_i(t1_t *t, const t1_block_t *b)
{
    bool term = t->role == T1_TERMINAL;
    bool can = term ? t->state == ST_XFER && !(t->i_out && i_more(t))
                    : t->state == ST_IDLE;
    if (!can || ((b->pcb & T1_PCB_I_NS) != 0) != t->nr ||
        b->len > (term ? t->ifsd : t->ifsc))
        return T1_ERR_PROTOCOL;
    if (t->i_out) {  /* rule 2.1: the peer's I-block acknowledges ours */
        t->i_out = false;
        t->ns ^= 1;
    }
    if (b->len > t->rx_cap - t->rx_len) {
        /* Not accepted (N(R) unchanged): abort the chain (rule 9) */
        t->rx_len = 0;
        t->err = T1_ERR_OVERFLOW;
        queue_sreq(t, T1_S_ABORT, 0);
        return T1_ERR_OVERFLOW;
    }
    if (b->len)
        memcpy(t->rx + t->rx_len, b->inf, b->len);
    t->rx_len += b->len;
    t->nr ^= 1;
    t->retries = 0;
    if (b->pcb & T1_PCB_I_MORE)
        queue_r(t, T1_R_OK);  /* rule 2.2 */
    else
        t->state = ST_DONE;
    return T1_OK;
}

static int on_r(t1_t *t, uint8_t pcb)
{
    uint8_t n = (pcb & T1_PCB_R_NR) ? 1 : 0;
    if (t->i_out && n == t->ns) {  /* retransmission asked for */
        if (count_retry(t))
            queue(t, i_pcb(t), 0);
        return T1_OK;
    }
    if (t->i_out && i_more(t)) {  /* chained block acknowledged */
        t->i_out = false;
        t->ns ^= 1;
        t->tx_off += t->tx_chunk;
        t->retries = 0;
        send_chunk(t);
        return T1_OK;
    }
    return T1_ERR_PROTOCOL;  /* answered by resending our last block */
}

static int on_s(t1_t *t, const t1_block_t *b)
{
    bool term = t->role == T1_TERMINAL;
    uint8_t type = b->pcb & 0x1F, v = b->len ? b->inf[0] : 0;

    if (b->pcb & T1_PCB_S_RESPONSE) {
        if (t->sreq != type + 1 ||
            ((type == T1_S_IFS || type == T1_S_WTX) && v != t->sreq_val))
            return T1_ERR_PROTOCOL;
        t->sreq = 0;
        t->retries = 0;
        switch (type) {
        case T1_S_RESYNCH:  /* terminal: only it asks */
            reset_link(t);
            if (t->err)
                fail(t, t->err);
            else
                t->state = ST_IDLE;
            break;
        case T1_S_IFS:
            if (term) {
                t->ifsd = v;
                t->state = ST_IDLE;
            } else {
                t->ifsc = v;
                card_resume(t);
            }
            break;
        case T1_S_ABORT:
            if (term)
                fail(t, t->err ? t->err : T1_ERR_ABORTED);
            else
                card_drop(t);
            break;
        default:  /* T1_S_WTX: card only */
            card_resume(t);
            break;
        }
        return T1_OK;
    }

    switch (type) {  /* a request from the peer */
    case T1_S_RESYNCH:
        if (term)
            return T1_ERR_PROTOCOL;
        reset_link(t);
        card_drop(t);
        break;
    case T1_S_IFS:
        if (v == 0 || v == 0xFF)
            return T1_ERR_PROTOCOL;
        if (term)
            t->ifsc = v;
        else
            t->ifsd = v;
        break;
    case T1_S_ABORT:
        if (term)
            fail(t, T1_ERR_ABORTED);
        else
            card_drop(t);
        break;
    default:  /* T1_S_WTX */
        if (!term || v == 0)
            return T1_ERR_PROTOCOL;
        t->wtx = v;  /* BWT x v for the next block only */
        break;
    }
    t->retries = 0;
    queue_s(t, type, true, v);
    return T1_OK;
}

/* Protocol: API ----------------------------------------------------------- */

int t1_init(t1_t *t, t1_role_t role, const t1_params_t *p)
{
    if ((role != T1_TERMINAL && role != T1_CARD) || p->ifsc == 0xFF ||
        p->edc > T1_EDC_CRC || (p->rx_cap && !p->rx_buf))
        return T1_ERR_PARAM;
    memset(t, 0, sizeof *t);
    t->role = (uint8_t)role;
    t->edc = p->edc;
    t->ifsc0 = p->ifsc ? p->ifsc : T1_IFS_DEFAULT;
    t->rx = p->rx_buf;
    t->rx_cap = p->rx_cap;
    t->bwt = atr_bwt_clocks(p->bwi, p->fi ? p->fi : ATR_FI_DEFAULT,
                            p->di ? p->di : ATR_DI_DEFAULT);
    t->state = ST_IDLE;
    t->last_pcb = PCB_NONE;
    reset_link(t);
    return T1_OK;
}

int t1_send_apdu(t1_t *t, const uint8_t *apdu, size_t len)
{
    if (len > 0xFFFF || (len && !apdu))
        return T1_ERR_PARAM;
    if (t->role == T1_TERMINAL) {
        if ((t->state != ST_IDLE && t->state != ST_FAILED) || t->pending)
            return T1_ERR_STATE;
        t->state = ST_XFER;
        t->err = T1_OK;
        t->retries = 0;
    } else if (t->state != ST_PROC) {
        return T1_ERR_STATE;
    }
    t->rx_len = 0;
    t->tx = apdu;
    t->tx_len = len;
    t->tx_off = 0;
    t->tx_chunk = 0;
    if (t->role == T1_CARD && t->sreq)
        t->resp_ready = true;  /* sent once the S response is in */
    else
        send_chunk(t);
    return T1_OK;
}

int t1_next_tx(t1_t *t, uint8_t *out, size_t cap)
{
    if (!t->pending)
        return 0;
    uint8_t pcb = t->last_pcb, type = pcb & 0x1F;
    const uint8_t *inf = NULL;
    size_t len = 0;
    if (T1_IS_I(pcb)) {
        inf = t->tx ? t->tx + t->tx_off : NULL;
        len = t->tx_chunk;
    } else if (T1_IS_S(pcb) && (type == T1_S_IFS || type == T1_S_WTX)) {
        inf = &t->last_inf;
        len = 1;
    }
    int n = t1_block_encode(out, cap, pcb, inf, len, t->edc);
    if (n < 0)
        return n;
    t->pending = false;
    /* After S(ABORT response) the terminal keeps the turn (docs/t1.md). */
    t->waiting = t->role == T1_TERMINAL &&
                 pcb != (T1_PCB_S | T1_PCB_S_RESPONSE | T1_S_ABORT);
    return n;
}

int t1_rx_block(t1_t *t, const uint8_t *buf, size_t len, bool rx_error)
{
    t1_block_t b;
    int rc = rx_error ? T1_ERR_RX : t1_block_decode(buf, len, t->edc, &b);
    if (t->role == T1_TERMINAL) {
        if (!t->waiting)
            return T1_ERR_STATE;  /* not the card's turn: ignored */
        t->waiting = false;
        t->wtx = 1;
    } else if ((t->state == ST_PROC || t->state == ST_DONE) && !t->sreq) {
        /* The card has the turn (it is working on a command): a terminal
         * that timed out gets its answer when the card is done; only
         * S(RESYNCH request) is obeyed. */
        if (rc == T1_OK && b.pcb == (T1_PCB_S | T1_S_RESYNCH)) {
            reset_link(t);
            card_drop(t);
            queue_s(t, T1_S_RESYNCH, true, 0);
            return T1_OK;
        }
        return rc ? rc : T1_ERR_STATE;
    }
    if (rc == T1_OK) {
        /* With our S request outstanding only its response will do. */
        if (t->sreq && !(T1_IS_S(b.pcb) && (b.pcb & T1_PCB_S_RESPONSE)))
            rc = T1_ERR_PROTOCOL;
        else if (T1_IS_I(b.pcb))
            rc = on_i(t, &b);
        else if (T1_IS_R(b.pcb))
            rc = on_r(t, b.pcb);
        else
            rc = on_s(t, &b);
    }
    if (rc == T1_ERR_EDC || rc == T1_ERR_FORMAT || rc == T1_ERR_RX ||
        rc == T1_ERR_PROTOCOL)
        recover(t, rc);
    return rc;
}

void t1_timeout(t1_t *t)
{
    if (t->role != T1_TERMINAL || !t->waiting)
        return;
    t->waiting = false;
    t->wtx = 1;
    recover(t, T1_ERR_TIMEOUT);
}

uint32_t t1_timeout_clocks(const t1_t *t)
{
    if (t->role != T1_TERMINAL || !t->waiting)
        return 0;
    if (t->wtx > 1 && t->bwt > UINT32_MAX / t->wtx)
        return UINT32_MAX;
    return t->bwt * t->wtx;
}

t1_status_t t1_status(const t1_t *t)
{
    switch (t->state) {
    case ST_DONE:
        return T1_APDU;
    case ST_PROC:
        return T1_PROCESSING;
    case ST_FAILED:
        return T1_FAILED;
    case ST_DEAD:
        return T1_DEAD;
    case ST_IDLE:
        if (t->role == T1_TERMINAL || (!t->pending && !t->rx_len))
            return T1_IDLE;
        return T1_BUSY;
    default:
        return T1_BUSY;
    }
}

int t1_error(const t1_t *t)
{
    return t->state == ST_FAILED || t->state == ST_DEAD ? t->err : T1_OK;
}

size_t t1_take_apdu(t1_t *t)
{
    if (t->state != ST_DONE)
        return 0;
    t->state = t->role == T1_TERMINAL ? ST_IDLE : ST_PROC;
    return t->rx_len;
}

/* The terminal may start an S exchange when no exchange is going on. */
static bool term_can_start(const t1_t *t)
{
    return t->role == T1_TERMINAL && !t->pending &&
           (t->state == ST_IDLE || t->state == ST_FAILED);
}

int t1_request_ifs(t1_t *t, uint8_t ifs)
{
    if (ifs == 0 || ifs == 0xFF)
        return T1_ERR_PARAM;
    if (term_can_start(t)) {
        t->state = ST_SX;
        t->err = T1_OK;
        t->retries = 0;
    } else if (t->role != T1_CARD || t->state != ST_PROC || t->sreq) {
        return T1_ERR_STATE;
    }
    queue_sreq(t, T1_S_IFS, ifs);
    return T1_OK;
}

int t1_request_wtx(t1_t *t, uint8_t mult)
{
    if (mult == 0)
        return T1_ERR_PARAM;
    if (t->role != T1_CARD || t->state != ST_PROC || t->sreq)
        return T1_ERR_STATE;
    queue_sreq(t, T1_S_WTX, mult);
    return T1_OK;
}

int t1_request_resynch(t1_t *t)
{
    if (!term_can_start(t))
        return T1_ERR_STATE;
    t->state = ST_SX;
    t->err = T1_OK;
    t->retries = 0;
    queue_sreq(t, T1_S_RESYNCH, 0);
    return T1_OK;
}

uint8_t t1_ifsc(const t1_t *t) { return t->ifsc; }
uint8_t t1_ifsd(const t1_t *t) { return t->ifsd; }
