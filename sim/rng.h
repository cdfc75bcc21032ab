/* SPDX-License-Identifier: MIT */
/* sim/rng.h - seeded deterministic random numbers, one stream per user.
 *
 * xoshiro256** (Blackman & Vigna) seeded through splitmix64 from the
 * scenario seed and a stream name. Naming a stream (e.g. the node name,
 * "se1.flash") instead of numbering it keeps each stream's sequence the
 * same when other nodes are added to a card, so a fault found with one card
 * layout stays reproducible in another. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng_t;

void sim_rng_seed(sim_rng_t *rng, uint64_t seed, const char *stream);
uint64_t sim_rng_next(sim_rng_t *rng);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t sim_rng_below(sim_rng_t *rng, uint64_t bound);
/* Uniform double in [0, 1). */
double sim_rng_unit(sim_rng_t *rng);

#endif /* SIM_RNG_H */
