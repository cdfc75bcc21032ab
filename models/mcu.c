/* SPDX-License-Identifier: MIT */
/* models/mcu.c - placeholder, being written. */
typedef int mcu_placeholder_t;
