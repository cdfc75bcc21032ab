/* SPDX-License-Identifier: MIT */
/* models/ble_radio.c - placeholder, being written. */
typedef int ble_radio_placeholder_t;
