/* SPDX-License-Identifier: MIT */
/* models/testbench/testbench.h - the "testbench" scenario section: a set of
 * test nodes (testnode.h) joined by links, and the "ping" action. */
#ifndef MODELS_TESTBENCH_TESTBENCH_H
#define MODELS_TESTBENCH_TESTBENCH_H

#include "models/registry.h"

extern const scn_section_def_t testbench_section_def;
extern const model_section_t testbench_section;
extern const scn_action_def_t *const testbench_actions[];

#endif /* MODELS_TESTBENCH_TESTBENCH_H */
