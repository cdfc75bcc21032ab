/* SPDX-License-Identifier: MIT */
/* viewer/app.c - placeholder, being written. */
typedef int view_app_placeholder_t;
