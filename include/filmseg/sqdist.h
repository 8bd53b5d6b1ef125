/* sqdist.h: the squared Euclidean distance k-means measures everything with.
 * One fixed order of sums (float lanes, blocks added in double), so that every
 * caller, every instruction set and every batch shape gets the same number to
 * the last bit: plain Lloyd, Elkan, Hamerly and scoring a new user then agree
 * exactly, and results do not depend on the machine. */
#ifndef FILMSEG_SQDIST_H
#define FILMSEG_SQDIST_H

#include <stddef.h>
#include <stdint.h>

/* Rows padded with zeros to a multiple of this many floats give the same
 * distances as unpadded ones, only faster (and batches go four at a time). */
#define SQDIST_STEP_FLOATS 16

/* Squared distance between a and b (d floats each): 16 lanes of float
 * differences and squares, each lane summing at most 8 per block of 128
 * floats, blocks added in double; relative error about 1e-6 for any d. Uses
 * AVX2 where the CPU has it. */
double sqdist(const float *a, const float *b, size_t d);

/* The same sums with 4-lane vectors only: what sqdist and sqdist_batch must
 * equal bit for bit (the tests hold them to it). */
double sqdist_portable(const float *a, const float *b, size_t d);

/* d rounded up to a multiple of SQDIST_STEP_FLOATS. */
size_t sqdist_padded_columns(size_t d);

/* out[c] = sqdist(a row, b row, d) for c < m: the a row is a_which[c]
 * (NULL: row c * a_step, so a_step 0 measures one point against many), the
 * b row b_which[c] (NULL: row c); rows are d floats apart. Four distances at
 * a time with AVX-512 when d is a multiple of SQDIST_STEP_FLOATS: one
 * distance waits on its own chain of adds, four keep the vector units busy. */
void sqdist_batch(const float *a_rows, const uint32_t *a_which, size_t a_step, const float *b_rows,
                  const uint32_t *b_which, size_t d, size_t m, double *out);

/* One point x against m rows (rows[which[c]], or rows 0..m-1). */
static inline void sqdist_to_rows(const float *x, const float *rows, const uint32_t *which,
                                  size_t d, size_t m, double *out)
{
    sqdist_batch(x, NULL, 0, rows, which, d, m, out);
}

#endif
