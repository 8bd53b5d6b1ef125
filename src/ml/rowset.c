/* rowset.c: the set of rows a mini-batch touches; see rowset.h. */
#include "filmseg/rowset.h"

#include <stdlib.h>
#include <string.h>

int rowset_init(RowSet *s, size_t capacity)
{
    memset(s, 0, sizeof *s);
    s->mark = calloc(capacity ? capacity : 1, sizeof *s->mark);
    s->rows = malloc((capacity ? capacity : 1) * sizeof *s->rows);
    if (!s->mark || !s->rows) {
        rowset_free(s);
        return -1;
    }
    s->capacity = capacity;
    s->stamp = 1; /* marks start at 0: nothing is in the set */
    return 0;
}

void rowset_free(RowSet *s)
{
    free(s->mark);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

void rowset_empty(RowSet *s)
{
    s->n_rows = 0;
    if (++s->stamp == 0) { /* wrapped: forget every old stamp */
        memset(s->mark, 0, s->capacity * sizeof *s->mark);
        s->stamp = 1;
    }
}
