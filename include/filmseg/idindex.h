/* idindex.h: a hash map from an external id (user id, film id) to its dense
 * index in the panel's arrays. Open addressing, linear probing. */
#ifndef FILMSEG_IDINDEX_H
#define FILMSEG_IDINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t *keys; /* INT64_MIN marks an empty slot */
    uint32_t *values;
    size_t cap, count; /* cap is a power of two */
} IdIndex;

bool idindex_init(IdIndex *index, size_t expected);
/* Adds id -> value; false when id is already present (value untouched) or
 * memory ran out (*oom set). */
bool idindex_put(IdIndex *index, int64_t id, uint32_t value, bool *oom);
/* The value of id, or -1. */
long idindex_get(const IdIndex *index, int64_t id);
void idindex_free(IdIndex *index);

#endif
