/* SPDX-License-Identifier: MIT */
/* firmware/se/rom/rom_key.c - the issuer public key in ROM. It is the TEST
 * issuer key of tools/keys/ (its private half is public): a ROM for real
 * cards would include its own key header here instead. */
#include "rom_key.h"

#include "test-issuer-public.h"

_Static_assert(TEST_ISSUER_PUBLIC_KEY_LEN == 64, "P-256 x || y");

const uint8_t rom_issuer_key[64] = TEST_ISSUER_PUBLIC_KEY;
