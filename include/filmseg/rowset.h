/* rowset.h: the distinct rows (films, inputs) a mini-batch touches, gathered in
 * first-seen order in time proportional to the touches and emptied in O(1)
 * with a stamp. Lazy Adam in the autoencoder and the classifier moves only
 * these rows, so a step costs what the batch uses, not the whole matrix. */
#ifndef FILMSEG_ROWSET_H
#define FILMSEG_ROWSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t *mark;  /* (capacity) stamp of the last emptying a row was added in */
    uint32_t *rows;  /* (capacity) the rows added, first-seen order */
    size_t n_rows;   /* rows added since the last rowset_empty */
    size_t capacity; /* rows are 0 .. capacity-1 */
    uint32_t stamp;
} RowSet;

/* An empty set of rows 0 .. capacity-1. Returns 0, or -1 when out of memory
 * (s is then zeroed). */
int rowset_init(RowSet *s, size_t capacity);
void rowset_free(RowSet *s);
/* Forgets every row (O(1), but for one pass over mark every 2^32 - 1 calls). */
void rowset_empty(RowSet *s);

/* Adds row (< capacity); returns true when it was not in the set yet. */
static inline bool rowset_add(RowSet *s, uint32_t row)
{
    if (s->mark[row] == s->stamp)
        return false;
    s->mark[row] = s->stamp;
    s->rows[s->n_rows++] = row;
    return true;
}

static inline bool rowset_has(const RowSet *s, uint32_t row)
{
    return s->mark[row] == s->stamp;
}

#endif
