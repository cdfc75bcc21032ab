/* SPDX-License-Identifier: MIT */
typedef int phone_placeholder_t;
