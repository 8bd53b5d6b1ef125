/* study_decoder.h: the study loss's decoder, fused for training. For a
 * mini-batch's hidden activations h and a range of films it does, in two
 * passes over the decoder's weights: the forward pass (z = h Wt + b,
 * s = sigmoid(z)), the absolute error against the dense ratings, its gradient,
 * dh for the encoder, and the Adam step of the weights and biases; instead of
 * three matrix products, a sigmoid pass and an optimiser pass, each over all
 * the weights (at a batch of 10 users the products are too thin for a BLAS to
 * run near the machine's peak).
 *
 * While training, the weights are kept transposed, Wt (hidden, films), so that
 * neighbouring films are neighbours in memory. Two calls on disjoint film
 * ranges touch disjoint memory (except their own dh), so they can run on two
 * threads; but to run fast there, each thread needs arrays of its own (the
 * trainer gives each its own StudyDecoder): on rows shared between two
 * cores, each half took twice as long on two threads as on one (most likely
 * each core's prefetcher, reading past the end of its range, pulls over lines
 * the other core is writing). AVX-512 where the machine has it (batches of
 * up to STUDY_FAST_BATCH users), portable C otherwise; the two agree within
 * rounding. */
#ifndef FILMSEG_STUDY_DECODER_H
#define FILMSEG_STUDY_DECODER_H

#include <stdbool.h>
#include <stddef.h>

#include "filmseg/adam.h"

enum { STUDY_FAST_BATCH = 16 };

typedef struct {
    size_t B, H;                    /* users in the batch, hidden units */
    size_t ld;                      /* row length of x, wt and dz: at least the films, N */
    const float *h;                 /* (B, H) hidden activations */
    const float *x;                 /* (B, ld) targets: rating / 5, 0 when unrated */
    float *wt, *b;                  /* (H, ld) weights, (N) biases */
    float *wt_m, *wt_v, *b_m, *b_v; /* their Adam moments, same layouts */
    float *dz;                      /* (B, ld) scratch */
    float *g;                       /* (N) scratch */
    bool portable;                  /* tests: the portable code even where AVX-512 is */
} StudyDecoder;

/* Forward only: the sum over users b and films j in [from, to) of
 * |sigmoid(z[b][j]) - x[b][j]|. */
double study_decoder_loss(const StudyDecoder *d, size_t from, size_t to);

/* One training step over films [from, to) for the loss scale * sum |s - x|:
 * returns the sum of |s - x| there (before the step), sets dh (B, H) to this
 * range's share of dloss/dh (with the weights before the step), and moves
 * wt[., from..to) and b[from..to) by Adam with constants k. */
double study_decoder_step(const StudyDecoder *d, size_t from, size_t to, float scale,
                          const AdamCoef *k, float *dh);

#endif
