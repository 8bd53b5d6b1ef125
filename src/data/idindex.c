/* idindex.c: id -> index hash map; see idindex.h. */
#include "filmseg/idindex.h"

#include <stdlib.h>

static size_t slot_of(int64_t id, size_t cap)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

bool idindex_init(IdIndex *index, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2)
        cap *= 2;
    index->keys = malloc(cap * sizeof *index->keys);
    index->values = malloc(cap * sizeof *index->values);
    index->cap = cap;
    index->count = 0;
    if (!index->keys || !index->values) {
        idindex_free(index);
        return false;
    }
    for (size_t i = 0; i < cap; i++)
        index->keys[i] = INT64_MIN;
    return true;
}

static bool grow(IdIndex *index)
{
    IdIndex bigger;
    if (!idindex_init(&bigger, index->cap))
        return false;
    for (size_t i = 0; i < index->cap; i++)
        if (index->keys[i] != INT64_MIN) {
            size_t s = slot_of(index->keys[i], bigger.cap);
            while (bigger.keys[s] != INT64_MIN)
                s = (s + 1) & (bigger.cap - 1);
            bigger.keys[s] = index->keys[i];
            bigger.values[s] = index->values[i];
        }
    bigger.count = index->count;
    idindex_free(index);
    *index = bigger;
    return true;
}

bool idindex_put(IdIndex *index, int64_t id, uint32_t value, bool *oom)
{
    if ((index->count + 1) * 2 > index->cap && !grow(index)) {
        if (oom)
            *oom = true;
        return false;
    }
    size_t s = slot_of(id, index->cap);
    while (index->keys[s] != INT64_MIN) {
        if (index->keys[s] == id)
            return false;
        s = (s + 1) & (index->cap - 1);
    }
    index->keys[s] = id;
    index->values[s] = value;
    index->count++;
    return true;
}

long idindex_get(const IdIndex *index, int64_t id)
{
    if (!index->cap)
        return -1;
    size_t s = slot_of(id, index->cap);
    while (index->keys[s] != INT64_MIN) {
        if (index->keys[s] == id)
            return (long)index->values[s];
        s = (s + 1) & (index->cap - 1);
    }
    return -1;
}

void idindex_free(IdIndex *index)
{
    free(index->keys);
    free(index->values);
    index->keys = NULL;
    index->values = NULL;
    index->cap = index->count = 0;
}
