/* rng.h: the one seeded random number generator (xoshiro256**, seeded by
 * splitmix64). Every random choice in filmseg goes through it so that the same
 * seed gives the same result on every machine. */
#ifndef FILMSEG_RNG_H
#define FILMSEG_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} Rng;

void rng_seed(Rng *rng, uint64_t seed);
/* An independent stream derived from a seed and a stream number. */
void rng_seed_stream(Rng *rng, uint64_t seed, uint64_t stream);
uint64_t rng_next(Rng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(Rng *rng, uint64_t n);
/* Uniform double in [0, 1). */
double rng_uniform(Rng *rng);
/* Standard normal (Box-Muller). */
double rng_normal(Rng *rng);
/* Fisher-Yates shuffle of n uint32 values. */
void rng_shuffle_u32(Rng *rng, uint32_t *values, size_t n);

#endif
