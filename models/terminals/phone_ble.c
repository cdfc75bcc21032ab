/* SPDX-License-Identifier: MIT */
/* models/terminals/phone_ble.c - placeholder, being written. */
typedef int phone_ble_placeholder_t;
