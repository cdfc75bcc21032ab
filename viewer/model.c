/* SPDX-License-Identifier: MIT */
/* viewer/model.c - placeholder, being written. */
typedef int view_model_placeholder_t;
