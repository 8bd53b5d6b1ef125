/* study_encoder.h: the study loss's encoder step, fused. The encoder's input
 * is sparse (a user's ratings), so a batch's weight gradient lives in the rows
 * of the films its users rated; but the study trains with plain Adam, which
 * moves every row every step. One pass down a range of the encoder's rows
 * does, for each row: its gradient (from the batch's ratings of that film,
 * grouped by film in FilmLists, film_lists.h) and its Adam step; so each
 * weight and its moments are read and written once per batch, in order,
 * instead of a gradient scattered into a buffer and an Adam pass over
 * everything. The next batch's forward pass is the trainer's, user by user
 * with the user's sums in registers: folded into this pass (each moved row
 * added at once into the sums, in memory, of the next batch's users who rated
 * it), it cost a third of the pass over the popular films in a harness on
 * batches like ml-100k's (48k against 32k TSC a batch, the sums included).
 *
 * A row's gradient adds the batch's users in batch order, as the unfused
 * pass does. AVX-512 where the machine has it, portable C (with fused
 * multiply-adds) otherwise; the two give the same bits. */
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
    bool portable;     /* tests: the portable code even where AVX-512 is */
} StudyEncoder;

/* For each film j of the batch's range: row j's gradient, the sum over the
 * batch's entries (user b, input a) of a dpre[b]; its Adam step with
 * constants k (a zero gradient for films nobody in the batch rated). */
void study_encoder_step(const StudyEncoder *e, const AdamCoef *k, const FilmLists *batch);

#endif
