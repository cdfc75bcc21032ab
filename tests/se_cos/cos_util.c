/* SPDX-License-Identifier: MIT */
/* tests/se_cos/cos_util.c - helpers of the COS host tests (cos_util.h). */
#include "cos_util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "tools/cos_image_host.h"

#ifndef TOOLS_KEYS_DIR
#error "TOOLS_KEYS_DIR must be defined by the build"
#endif

cos_t tcos;
static uint32_t tcos_version;
static uint8_t last_resp[COS_RESP_MAX];
static size_t last_len;

static char *rot_buf(void)
{
    static char bufs[8][2 * 1100 + 1];
    static unsigned i;
    return bufs[i++ % 8];
}

void tu_fresh(uint32_t version)
{
    fake_reset();
    tu_reboot(version);
}

void tu_reboot(uint32_t version)
{
    tcos_version = version;
    cos_init(&tcos, version);
}

const char *tu_norm(const char *s)
{
    char *o = rot_buf(), *p = o;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            *p++ = (char)toupper((unsigned char)*s);
    *p = 0;
    return o;
}

const char *tu_hex(const uint8_t *p, size_t n)
{
    char *o = rot_buf();
    for (size_t i = 0; i < n && i < 1100; i++)
        sprintf(o + 2 * i, "%02X", p[i]);
    o[2 * (n < 1100 ? n : 1100)] = 0;
    return o;
}

size_t tu_unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        if (isspace((unsigned char)*s))
            continue;
        int v = isdigit((unsigned char)*s) ? *s - '0'
                                           : toupper((unsigned char)*s) -
                                                 'A' + 10;
        if (v < 0 || v > 15)
            ck_abort_msg("bad hex '%c'", *s);
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap)
                ck_abort_msg("hex longer than %zu bytes", cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    ck_assert_msg(hi < 0, "odd number of hex digits");
    return n;
}

const char *tu_tx_bytes(const uint8_t *apdu, size_t len)
{
    last_len = cos_process(&tcos, apdu, len, last_resp);
    if (last_len < 2 || last_len > COS_RESP_MAX)
        ck_abort_msg("response length %zu", last_len);
    return tu_hex(last_resp, last_len);
}

const char *tu_tx(const char *apdu_hex)
{
    uint8_t a[300];
    size_t n = tu_unhex(apdu_hex, a, sizeof a);
    return tu_tx_bytes(a, n);
}

uint16_t tu_sw(void)
{
    return (uint16_t)(last_resp[last_len - 2] << 8 | last_resp[last_len - 1]);
}

void tu_probe(tu_state_t *st)
{
    cos_t save = tcos;
    uint32_t save_version = tcos_version;
    long ops = fake.ops;
    tu_reboot(2);
    memset(st, 0, sizeof *st);
    tu_tx("00200001");
    uint16_t sw = tu_sw();
    ck_assert_msg(sw == 0x6983 || (sw & 0xFFF0) == 0x63C0, "probe VERIFY %04X",
                  sw);
    st->tries = sw == 0x6983 ? 0 : sw & 0xF;
    tu_tx("8034000000");
    ck_assert_uint_eq(tu_sw(), 0x9000);
    ck_assert_uint_eq(last_len, 8);
    st->balance = (uint32_t)last_resp[0] << 24 | (uint32_t)last_resp[1] << 16 |
                  (uint32_t)last_resp[2] << 8 | last_resp[3];
    st->counter = (uint16_t)(last_resp[4] << 8 | last_resp[5]);
    for (unsigned off = 0; off < COS_FILE_SIZE; off += 256) {
        char cmd[16];
        snprintf(cmd, sizeof cmd, "00B0%04X00", off);
        tu_tx(cmd);
        if (tu_sw() != 0x9000 || last_len != 258)
            ck_abort_msg("probe READ BINARY %04X: %s", off,
                         tu_hex(last_resp, last_len));
        memcpy(st->file + off, last_resp, 256);
    }
    if (fake.ops != ops)
        ck_abort_msg("the probe wrote to flash");
    tcos = save;
    tcos_version = save_version;
}

void tu_state_eq(const tu_state_t *a, const tu_state_t *b, const char *what)
{
    ck_assert_msg(a->tries == b->tries, "%s: tries %u, expected %u", what,
                  a->tries, b->tries);
    ck_assert_msg(a->balance == b->balance,
                  "%s: balance %08X, expected %08X", what, a->balance,
                  b->balance);
    ck_assert_msg(a->counter == b->counter, "%s: counter %u, expected %u",
                  what, a->counter, b->counter);
    /* one check per call, not per byte: Check reports every assertion
     * to its parent process in fork mode */
    for (unsigned i = 0; i < COS_FILE_SIZE; i++)
        if (a->file[i] != b->file[i])
            ck_abort_msg("%s: file byte %u is %02X, expected %02X", what, i,
                         a->file[i], b->file[i]);
}

static void load_key(mbedtls_pk_context *pk)
{
    char err[256];
    int rc = cos_image_host_load_private(
        pk, TOOLS_KEYS_DIR "/test-issuer-private.pem", err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
}

void tu_sign_invalidate(const uint8_t serial[8], const uint8_t chal[8],
                        uint8_t sig[64])
{
    uint8_t msg[26], hash[32];
    memcpy(msg, "INVALIDATE", 10);
    memcpy(msg + 10, serial, 8);
    memcpy(msg + 18, chal, 8);
    ck_assert_int_eq(mbedtls_sha256_ret(msg, sizeof msg, hash, 0), 0);
    mbedtls_pk_context pk;
    load_key(&pk);
    char err[256];
    int rc = cos_image_host_sign_hash(&pk, hash, sig, err, sizeof err);
    mbedtls_pk_free(&pk);
    ck_assert_msg(rc == 0, "%s", err);
}

void tu_issuer_public(uint8_t pub[64])
{
    mbedtls_pk_context pk;
    load_key(&pk);
    int rc = cos_image_host_public_of(&pk, pub);
    mbedtls_pk_free(&pk);
    ck_assert_int_eq(rc, 0);
}
