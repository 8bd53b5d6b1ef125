/* study_encoder.h: the study loss's encoder step, fused. The encoder's input
 * is sparse (a user's ratings), so a batch's weight gradient lives in the rows
 * of the films its users rated; but the study trains with plain Adam, which
 * moves every row every step. One pass down a range of the encoder's rows
 * does, for each row: its gradient (from the batch's ratings of that film,
 * grouped by film in FilmLists, film_lists.h), its Adam step, and its share of the next
 * batch's pre-activations from the row just moved; so each weight and its
 * moments are read and written once per batch, in order, instead of a
 * gradient scattered into a buffer, an Adam pass over everything and a
 * forward pass gathering rows again.
 *
 * The sums are those of the unfused passes, in the same order when each
 * user's films are in increasing order (as the panel's are): a row's gradient
 * adds the batch's users in batch order, and a user's pre-activation adds
 * their films in increasing order. AVX-512 where the machine has it, portable
 * C (with fused multiply-adds) otherwise; the two give the same bits. */
#ifndef FILMSEG_STUDY_ENCODER_H
#define FILMSEG_STUDY_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filmseg/adam.h"
#include "filmseg/autoencoder.h"
#include "filmseg/film_lists.h"

typedef struct {
    size_t H;          /* hidden units: the rows' length */
    float *w, *m, *v;  /* (films, H) the encoder's weights and their Adam moments */
    const float *dpre; /* (B, H) the loss's gradient at this batch's pre-activations */
    float *pre_next;   /* (next B, H) the next batch's pre-activations, to add to */
    bool portable;     /* tests: the portable code even where AVX-512 is */
} StudyEncoder;

/* For each film j of cur's range: row j's gradient sum over cur's entries
 * (user b, input a) of a dpre[b]; its Adam step with constants k (a zero
 * gradient for films nobody in the batch rated); then, with the row as
 * moved, for each of next's entries (b, a): pre_next[b] += a w[j]. next may
 * be NULL (no next batch); otherwise its range is cur's. */
void study_encoder_step(const StudyEncoder *e, const AdamCoef *k, const FilmLists *cur,
                        const FilmLists *next);

#endif
