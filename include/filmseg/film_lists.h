/* film_lists.h: a batch's sparse entries grouped by film, for the fused steps
 * that go down a range of weight rows (one row per film) and need, for each
 * row, the batch's entries in that film's column: the study encoder
 * (study_encoder.h) and the rated loss's lazy rows (lazy_rows.h). A counting
 * sort: entries keep their batch order within a film. */
#ifndef FILMSEG_FILM_LISTS_H
#define FILMSEG_FILM_LISTS_H

#include <stddef.h>
#include <stdint.h>

#include "filmseg/autoencoder.h"

/* A batch's entries in the films [from, to), grouped by film: film from + f
 * has entries start[f] .. start[f+1], each a user's place in the batch, the
 * entry's value, and its index in the matrix the lists were built from
 * (x->col and x->value's index), users in batch order. */
typedef struct {
    size_t from, to;
    uint32_t *start; /* (to - from + 1) */
    uint32_t *user;  /* (cap) */
    float *value;    /* (cap) */
    uint32_t *entry; /* (cap) */
    uint32_t *fill;  /* (to - from) scratch */
    size_t cap;      /* entries room */
} FilmLists;

/* Room for films [from, to) and cap entries. Returns 0, or -1 when out of
 * memory (l is then zeroed). */
int film_lists_alloc(FilmLists *l, size_t from, size_t to, size_t cap);
void film_lists_free(FilmLists *l);

/* Groups the entries of rows rows[0 .. B) (rows NULL: rows 0 .. B) of x by
 * column, their values as they are. The rows' columns must be in increasing
 * order unless the lists take every column (see sparse_row_range). Returns
 * 0, or -1 when they do not fit in cap or a row is found out of order. */
int film_lists_build(FilmLists *l, const SparseRows *x, const uint32_t *rows, size_t B);

#endif
