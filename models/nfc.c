/* SPDX-License-Identifier: MIT */
/* models/nfc.c - placeholder, being written. */
typedef int nfc_placeholder_t;
