/* SPDX-License-Identifier: MIT */
/* sim/rng.c - xoshiro256** with splitmix64 seeding and named streams. */
#include "sim/rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001B3ULL;
    }
    return h;
}

void sim_rng_seed(sim_rng_t *rng, uint64_t seed, const char *stream)
{
    uint64_t x = seed ^ fnv1a64(stream);
    /* splitmix64 never yields four zeros in a row, so the state is valid */
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_below(sim_rng_t *rng, uint64_t bound)
{
    /* rejection sampling: accept values below the largest multiple */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t v;
    do
        v = sim_rng_next(rng);
    while (v >= limit);
    return v % bound;
}

double sim_rng_unit(sim_rng_t *rng)
{
    return (double)(sim_rng_next(rng) >> 11) * 0x1.0p-53;
}
