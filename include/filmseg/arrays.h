/* arrays.h: small checks and fills over the flat arrays the modelling
 * pieces pass around, kept in one place so that k-means, the classifier,
 * the autoencoder and the model loader check and fill them the same way. */
#ifndef FILMSEG_ARRAYS_H
#define FILMSEG_ARRAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filmseg/rng.h"

/* Whether every one of x[0..n) is a finite number (no NaN, no infinity). */
bool arrays_all_finite(const float *x, size_t n);

/* Whether every one of labels[0..n) is a segment of k, 0..k-1. */
bool arrays_labels_in_range(const int32_t *labels, size_t n, int k);

/* p[0..n) drawn uniform in [-bound, bound), in order, one rng_uniform each:
 * (2u - 1) bound rounded to float, torch.nn.Linear's initialisation. */
void arrays_fill_uniform(Rng *rng, float *p, size_t n, double bound);

#endif
