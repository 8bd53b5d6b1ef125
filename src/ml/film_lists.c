/* film_lists.c: a batch's entries grouped by film; see film_lists.h. */
#include "filmseg/film_lists.h"

#include <stdlib.h>
#include <string.h>

int film_lists_alloc(FilmLists *l, size_t from, size_t to, size_t cap)
{
    memset(l, 0, sizeof *l);
    size_t n = to > from ? to - from : 0;
    l->from = from;
    l->to = from + n;
    l->cap = cap;
    l->start = calloc(n + 1, sizeof *l->start);
    l->fill = malloc((n ? n : 1) * sizeof *l->fill);
    l->user = malloc((cap ? cap : 1) * sizeof *l->user);
    l->value = malloc((cap ? cap : 1) * sizeof *l->value);
    l->entry = malloc((cap ? cap : 1) * sizeof *l->entry);
    if (!l->start || !l->fill || !l->user || !l->value || !l->entry) {
        film_lists_free(l);
        return -1;
    }
    return 0;
}

void film_lists_free(FilmLists *l)
{
    free(l->start);
    free(l->fill);
    free(l->user);
    free(l->value);
    free(l->entry);
    memset(l, 0, sizeof *l);
}

int film_lists_build(FilmLists *l, const SparseRows *x, const uint32_t *rows, size_t B)
{
    size_t n = l->to - l->from;
    memset(l->start, 0, (n + 1) * sizeof *l->start);
    for (size_t b = 0; b < B; b++) {
        uint32_t lo, hi;
        sparse_row_range(x, rows ? rows[b] : b, l->from, l->to, &lo, &hi);
        for (uint32_t k = lo; k < hi; k++) {
            size_t f = (size_t)x->col[k] - l->from;
            if (f >= n) /* the row is not sorted by film */
                return -1;
            l->start[f + 1]++;
        }
    }
    for (size_t f = 0; f < n; f++)
        l->start[f + 1] += l->start[f];
    if (l->start[n] > l->cap)
        return -1;
    memcpy(l->fill, l->start, n * sizeof *l->fill);
    for (size_t b = 0; b < B; b++) {
        uint32_t lo, hi;
        sparse_row_range(x, rows ? rows[b] : b, l->from, l->to, &lo, &hi);
        for (uint32_t k = lo; k < hi; k++) {
            uint32_t at = l->fill[x->col[k] - l->from]++;
            l->user[at] = (uint32_t)b;
            l->value[at] = x->value[k];
            l->entry[at] = k;
        }
    }
    return 0;
}
