/* SPDX-License-Identifier: MIT */
/* firmware/se/cos/cos.c - the COS commands (cos.h): a table of (CLA, INS)
 * to handlers; each handler checks P1-P2, then Lc/Le, then the data, and
 * writes nothing to flash before its checks pass. docs/se-cos.md lists
 * every command's bytes and status words.
 *
 * Order of the checks for every APDU: fewer than 4 bytes 6700; CLA other
 * than 00/80 6E00; (CLA, INS) not in the table 6D00; a length byte that
 * does not match the APDU 6700; then the handler's own (P1-P2 6A86/6B00,
 * Lc/Le 6700, ...). */
#include "cos.h"

#include "apdu.h"
#include "cos_hal.h"
#include "test-issuer-public.h"

#if __STDC_HOSTED__
#include <string.h>
#else
#include "str.h"
#endif

typedef uint16_t cos_cmd_fn(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                            size_t *n);

static const uint8_t cos_aid[COS_AID_LEN] = COS_AID;
static const uint8_t cos_pin[COS_PIN_LEN] = COS_PIN;
static const uint8_t issuer_key[TEST_ISSUER_PUBLIC_KEY_LEN] =
    TEST_ISSUER_PUBLIC_KEY;

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static uint16_t p1p2(const apdu_cmd_t *a)
{
    return (uint16_t)(a->p1 << 8 | a->p2);
}

/* Data out of a command that returns a fixed length: an Le shorter than
 * the data asks for 6Cxx (ISO/IEC 7816-4 5.6: "wrong Le, xx available");
 * no Le, 00 or a longer one gets the data. */
static uint16_t fixed_out(const apdu_cmd_t *a, size_t len, size_t *n)
{
    if (a->ne && a->ne < len)
        return SW_WRONG_LE(len);
    *n = len;
    return SW_OK;
}

static bool has_data(const apdu_cmd_t *a)
{
    return a->apdu_case == APDU_CASE_3S || a->apdu_case == APDU_CASE_4S;
}

static uint16_t store_sw(int rc)
{
    return rc == COS_STORE_OK ? SW_OK : SW_MEMORY_FAILURE;
}

/* SELECT by DF name: 00 A4 04 00|0C Lc AID [Le] */
static uint16_t cmd_select(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                           size_t *n)
{
    (void)c, (void)out, (void)n;
    if (a->p1 != 0x04 || (a->p2 != 0x00 && a->p2 != 0x0C))
        return SW_WRONG_P1P2;
    if (!has_data(a) || a->nc < 5 || a->nc > 16)
        return SW_WRONG_LENGTH;
    if (a->nc != COS_AID_LEN || memcmp(a->data, cos_aid, COS_AID_LEN) != 0)
        return SW_NOT_FOUND;
    return SW_OK;
}

/* GET DATA: 80 CA 00 01 (version, 4 bytes BE) / 00 02 (serial, 8 bytes) */
static uint16_t cmd_get_data(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                             size_t *n)
{
    uint16_t tag = p1p2(a);
    if (tag != COS_GET_DATA_VERSION && tag != COS_GET_DATA_SERIAL)
        return SW_WRONG_P1P2;
    if (has_data(a))
        return SW_WRONG_LENGTH;
    if (tag == COS_GET_DATA_VERSION) {
        put_be32(out, c->version);
        return fixed_out(a, 4, n);
    }
    cos_hal_serial(out);
    return fixed_out(a, 8, n);
}

/* The file offset of READ/UPDATE BINARY: P1 bit 8 would be a short file
 * identifier (not supported: 6A86); an offset at or past the end 6B00. */
static uint16_t binary_offset(const apdu_cmd_t *a, uint32_t *off)
{
    if (a->p1 & 0x80)
        return SW_WRONG_P1P2;
    *off = p1p2(a);
    return *off >= COS_FILE_SIZE ? SW_WRONG_P1P2_NO_INFO : SW_OK;
}

/* READ BINARY: 00 B0 P1 P2 [Le]: min(Le, rest of the file) bytes; fewer
 * than Le 6282 (end of file reached, ISO/IEC 7816-4 7.2.3). No Le reads
 * as Le = 00 (256). */
static uint16_t cmd_read_binary(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                                size_t *n)
{
    uint32_t off;
    uint16_t sw = binary_offset(a, &off);
    if (sw != SW_OK)
        return sw;
    if (has_data(a))
        return SW_WRONG_LENGTH;
    uint32_t want = a->ne ? a->ne : 256u, len = COS_FILE_SIZE - off;
    if (len > want)
        len = want;
    int rc = cos_store_file_read(&c->store, off, out, len);
    if (rc != COS_STORE_OK)
        return SW_MEMORY_FAILURE;
    *n = len;
    return len < want ? SW_END_OF_FILE : SW_OK;
}

/* UPDATE BINARY: 00 D6 P1 P2 Lc data: past the end of the file 6A84. */
static uint16_t cmd_update_binary(cos_t *c, const apdu_cmd_t *a,
                                  uint8_t *out, size_t *n)
{
    (void)out, (void)n;
    uint32_t off;
    uint16_t sw = binary_offset(a, &off);
    if (sw != SW_OK)
        return sw;
    if (!has_data(a))
        return SW_WRONG_LENGTH;
    if (off + a->nc > COS_FILE_SIZE)
        return SW_NO_MEMORY;
    return store_sw(cos_store_file_write(&c->store, off, a->data, a->nc));
}

/* Same length and bytes, in time independent of where they differ. */
static bool pin_matches(const uint8_t *p, size_t len)
{
    uint8_t diff = len != COS_PIN_LEN;
    for (size_t i = 0; i < COS_PIN_LEN; i++)
        diff |= (uint8_t)((i < len ? p[i] : 0) ^ cos_pin[i]);
    return diff == 0;
}

/* VERIFY: 00 20 00 01 Lc PIN (4..8 bytes). No data: 63Cx / 6983 (the
 * tries left, nothing written). The decrement is in flash before the
 * comparison; a right PIN then writes the counter back to 3. */
static uint16_t cmd_verify(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                           size_t *n)
{
    (void)out, (void)n;
    if (p1p2(a) != 0x0001)
        return SW_WRONG_P1P2;
    unsigned tries = cos_store_pin_tries(&c->store);
    if (!has_data(a))
        return tries ? SW_PIN_TRIES(tries) : SW_PIN_BLOCKED;
    if (a->nc < COS_PIN_MIN || a->nc > COS_PIN_MAX)
        return SW_WRONG_LENGTH;
    if (tries == 0)
        return SW_PIN_BLOCKED;
    if (cos_store_pin_set(&c->store, tries - 1) != COS_STORE_OK)
        return SW_MEMORY_FAILURE;
    if (!pin_matches(a->data, a->nc))
        return SW_PIN_TRIES(tries - 1);
    return store_sw(cos_store_pin_set(&c->store, COS_PIN_TRIES_MAX));
}

/* The purse's common checks: P1-P2 00 00, Lc 4, an amount above 0. */
static uint16_t purse_amount(const apdu_cmd_t *a, uint32_t *amount)
{
    if (p1p2(a) != 0)
        return SW_WRONG_P1P2;
    if (!has_data(a) || a->nc != 4)
        return SW_WRONG_LENGTH;
    *amount = get_be32(a->data);
    return *amount ? SW_OK : SW_WRONG_DATA;
}

static uint16_t purse_write(cos_t *c, uint32_t balance)
{
    uint16_t ctr = cos_store_counter(&c->store);
    if (ctr == 0xFFFFu)
        return SW_CONDITIONS;  /* the transaction counter is exhausted */
    return store_sw(cos_store_purse_set(&c->store, balance, ctr + 1u));
}

/* CREDIT: 80 30 00 00 04 amount (BE); over 2^32 - 1 6985 */
static uint16_t cmd_credit(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                           size_t *n)
{
    (void)out, (void)n;
    uint32_t amount, bal = cos_store_balance(&c->store);
    uint16_t sw = purse_amount(a, &amount);
    if (sw != SW_OK)
        return sw;
    if (amount > UINT32_MAX - bal)
        return SW_CONDITIONS;
    return purse_write(c, bal + amount);
}

/* DEBIT: 80 32 00 00 04 amount; more than the balance 6985 */
static uint16_t cmd_debit(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                          size_t *n)
{
    (void)out, (void)n;
    uint32_t amount, bal = cos_store_balance(&c->store);
    uint16_t sw = purse_amount(a, &amount);
    if (sw != SW_OK)
        return sw;
    if (amount > bal)
        return SW_CONDITIONS;
    return purse_write(c, bal - amount);
}

/* BALANCE: 80 34 00 00 [Le]: v1 balance (4, BE); v2 balance and the
 * transaction counter (2, BE). */
static uint16_t cmd_balance(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                            size_t *n)
{
    if (p1p2(a) != 0)
        return SW_WRONG_P1P2;
    if (has_data(a))
        return SW_WRONG_LENGTH;
    put_be32(out, cos_store_balance(&c->store));
    if (c->version < 2)
        return fixed_out(a, 4, n);
    uint16_t ctr = cos_store_counter(&c->store);
    out[4] = (uint8_t)(ctr >> 8);
    out[5] = (uint8_t)ctr;
    return fixed_out(a, 6, n);
}

/* GET CHALLENGE: 00 84 00 00 08 -> 8 random bytes, kept for INVALIDATE */
static uint16_t cmd_get_challenge(cos_t *c, const apdu_cmd_t *a,
                                  uint8_t *out, size_t *n)
{
    if (p1p2(a) != 0)
        return SW_WRONG_P1P2;
    if (a->apdu_case != APDU_CASE_2S || a->ne != COS_CHALLENGE_LEN)
        return SW_WRONG_LENGTH;
    c->challenge_valid = false;
    if (cos_hal_random(c->challenge) != 0)
        return SW_UNKNOWN;
    c->challenge_valid = true;
    memcpy(out, c->challenge, COS_CHALLENGE_LEN);
    *n = COS_CHALLENGE_LEN;
    return SW_OK;
}

/* INVALIDATE: 80 E4 00 00 40 r||s over SHA-256("INVALIDATE" || serial ||
 * challenge). No challenge 6985; each attempt uses the challenge up; a
 * signature that does not verify 6982. Then the identifier record is
 * erased and, once 9000 is sent, the chip resets into the loader. */
static uint16_t cmd_invalidate(cos_t *c, const apdu_cmd_t *a, uint8_t *out,
                               size_t *n)
{
    (void)out, (void)n;
    if (p1p2(a) != 0)
        return SW_WRONG_P1P2;
    if (!has_data(a) || a->nc != COS_SIG_LEN)
        return SW_WRONG_LENGTH;
    if (!c->challenge_valid)
        return SW_CONDITIONS;
    c->challenge_valid = false;

    uint8_t msg[sizeof COS_INVALIDATE_LABEL - 1 + 8 + COS_CHALLENGE_LEN];
    uint8_t digest[32];
    size_t l = sizeof COS_INVALIDATE_LABEL - 1;
    memcpy(msg, COS_INVALIDATE_LABEL, l);
    cos_hal_serial(msg + l);
    memcpy(msg + l + 8, c->challenge, COS_CHALLENGE_LEN);
    if (cos_hal_sha256(msg, sizeof msg, digest) != 0)
        return SW_UNKNOWN;
    int v = cos_hal_ecdsa_verify(issuer_key, digest, a->data);
    if (v < 0)
        return SW_UNKNOWN;
    if (v == 0)
        return SW_SECURITY;
    if (cos_store_erase_id() != COS_STORE_OK)
        return SW_MEMORY_FAILURE;
    c->reset_requested = true;
    return SW_OK;
}

static const struct cos_cmd {
    uint8_t cla, ins;
    cos_cmd_fn *fn;
} cos_cmds[] = {
    { 0x00, COS_INS_SELECT, cmd_select },
    { 0x00, COS_INS_READ_BINARY, cmd_read_binary },
    { 0x00, COS_INS_UPDATE_BINARY, cmd_update_binary },
    { 0x00, COS_INS_VERIFY, cmd_verify },
    { 0x00, COS_INS_GET_CHALLENGE, cmd_get_challenge },
    { 0x80, COS_INS_GET_DATA, cmd_get_data },
    { 0x80, COS_INS_CREDIT, cmd_credit },
    { 0x80, COS_INS_DEBIT, cmd_debit },
    { 0x80, COS_INS_BALANCE, cmd_balance },
    { 0x80, COS_INS_INVALIDATE, cmd_invalidate },
};

void cos_init(cos_t *c, uint32_t version)
{
    memset(c, 0, sizeof *c);
    c->version = version;
}

static uint16_t dispatch(cos_t *c, const uint8_t *apdu, size_t len,
                         uint8_t *out, size_t *n)
{
    if (len < APDU_HEADER_LEN)
        return SW_WRONG_LENGTH;
    if (apdu[0] != 0x00 && apdu[0] != COS_CLA_PROPRIETARY)
        return SW_CLA_NOT_SUPPORTED;
    const struct cos_cmd *cmd = NULL;
    for (size_t i = 0; i < sizeof cos_cmds / sizeof cos_cmds[0]; i++)
        if (cos_cmds[i].cla == apdu[0] && cos_cmds[i].ins == apdu[1])
            cmd = &cos_cmds[i];
    if (!cmd)
        return SW_INS_NOT_SUPPORTED;
    apdu_cmd_t a;
    if (apdu_parse(apdu, len, &a) != APDU_OK)
        return SW_WRONG_LENGTH;
    return cmd->fn(c, &a, out, n);
}

size_t cos_process(cos_t *c, const uint8_t *apdu, size_t len, uint8_t *resp)
{
    size_t n = 0;
    if (!c->store_ready) {
        cos_store_init(&c->store);
        c->store_ready = true;
    }
    uint16_t sw = dispatch(c, apdu, len, resp, &n);
    if ((sw >> 8) != 0x90 && (sw >> 8) != 0x62)
        n = 0;  /* errors carry no data */
    resp[n] = APDU_SW1(sw);
    resp[n + 1] = APDU_SW2(sw);
    return n + 2;
}

bool cos_reset_requested(const cos_t *c)
{
    return c->reset_requested;
}
