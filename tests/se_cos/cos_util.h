/* SPDX-License-Identifier: MIT */
/* tests/se_cos/cos_util.h - helpers of the COS host tests: one COS on the
 * fake HAL, APDUs and responses as hex strings, the observable state of
 * the data area (a "probe" through commands that write nothing), and
 * issuer signatures for INVALIDATE (mbedTLS, tools/keys/ TEST key). */
#ifndef TESTS_SE_COS_COS_UTIL_H
#define TESTS_SE_COS_COS_UTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cos.h"
#include "fake_hal.h"

/* The COS under test. */
extern cos_t tcos;

/* Fresh erased flash (fake_reset) and a COS of `version`. */
void tu_fresh(uint32_t version);
/* A reboot: the COS state re-read from the flash as it is. */
void tu_reboot(uint32_t version);

/* Runs the command APDU given in hex (spaces ignored) and returns the
 * response in upper-case hex without spaces (a static buffer, rotating
 * among 8). */
const char *tu_tx(const char *apdu_hex);
/* The same for an APDU in bytes. */
const char *tu_tx_bytes(const uint8_t *apdu, size_t len);
/* The status word of the last response. */
uint16_t tu_sw(void);

/* s without spaces, upper case (a static rotating buffer). */
const char *tu_norm(const char *s);
/* Bytes as upper-case hex (static rotating buffer). */
const char *tu_hex(const uint8_t *p, size_t n);
size_t tu_unhex(const char *s, uint8_t *out, size_t cap);

#define TU_EXPECT(cmd, resp) ck_assert_str_eq(tu_tx(cmd), tu_norm(resp))

/* What the data area holds, read through a fresh COS (version 2) with
 * commands that never write: VERIFY without data, BALANCE, READ BINARY.
 * Checks that nothing was written meanwhile. */
typedef struct tu_state {
    unsigned tries;
    uint32_t balance;
    uint16_t counter;
    uint8_t file[COS_FILE_SIZE];
} tu_state_t;

void tu_probe(tu_state_t *st);
/* Asserts a == b, naming the field that differs and `what`. */
void tu_state_eq(const tu_state_t *a, const tu_state_t *b, const char *what);

/* The INVALIDATE signature over SHA-256("INVALIDATE" || serial ||
 * challenge) by the TEST issuer key. */
void tu_sign_invalidate(const uint8_t serial[8], const uint8_t chal[8],
                        uint8_t sig[64]);
/* The public key of tools/keys/test-issuer-private.pem (x || y). */
void tu_issuer_public(uint8_t pub[64]);

#endif /* TESTS_SE_COS_COS_UTIL_H */
