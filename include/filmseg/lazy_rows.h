/* lazy_rows.h: the rated loss's lazy Adam step on the weight rows (one per
 * film) that a batch touched, fused. A row's gradient is a sum over the
 * batch's entries in that film's column, each a coefficient times a vector of
 * the entry's user: for the decoder's rows, each rated or sampled cell's dz
 * times the user's h; for the encoder's, each input rating times the user's
 * dpre. One pass over the films with entries (FilmLists, film_lists.h) sums
 * each row's gradient in registers, adds the weight decay, and takes the
 * row's Adam step (and its bias's, when given), instead of scattering the
 * gradients into a buffer, an Adam call per row and clearing the buffer.
 *
 * The operations are those of the unfused passes, in the same order: the
 * gradient starts at zero and adds the film's entries in batch order with a
 * fused multiply-add each, then weight_decay w (another), then Adam as
 * adam.h; a bias adds the coefficients in batch order. So the bits are the
 * same. AVX-512 where the machine has it, portable C otherwise. */
#ifndef FILMSEG_LAZY_ROWS_H
#define FILMSEG_LAZY_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "filmseg/adam.h"
#include "filmseg/film_lists.h"

typedef struct {
    size_t H;             /* the rows' length */
    float *w, *m, *v;     /* (films, H) weights and their Adam moments; film j's row at j H */
    float *b, *b_m, *b_v; /* (films) biases and their moments, or NULL: no bias */
    const float *src;     /* (users, H) the vector each entry's coefficient multiplies */
    const float *coef;    /* the entries' coefficients, by FilmLists.entry */
    const float *scale;   /* (users) a factor of each user's coefficients, or NULL:
                             coefficient = scale[user] * coef[entry] */
    float weight_decay;   /* 0: none; else its gradient weight_decay w is added */
    bool portable;        /* tests: the portable code even where AVX-512 is */
} LazyRows;

/* For each film j of l's range with entries: g = sum over its entries e (in
 * order) of a_e src[user_e], a_e = scale[user_e] * coef[entry_e], plus
 * weight_decay w[j]; Adam with constants k on row j; and when b is given,
 * Adam on b[j] with gradient sum_e a_e. Rows without entries are left as
 * they are. */
void lazy_rows_step(const LazyRows *s, const AdamCoef *k, const FilmLists *l);

#endif
