/* SPDX-License-Identifier: MIT */
/* viewer/render.c - placeholder, being written. */
typedef int view_render_placeholder_t;
