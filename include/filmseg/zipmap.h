/* zipmap.h: US ZIP code to state. Either exact, from a simplemaps-style CSV
 * read by its header names (zip plus state_id or state_name), or by the first
 * three digits from the built-in prefix table (assets/zip3_states.txt). */
#ifndef FILMSEG_ZIPMAP_H
#define FILMSEG_ZIPMAP_H

#include "filmseg/diag.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool exact;              /* true: by_zip holds every listed ZIP */
    uint8_t by_prefix[1000]; /* state index by first three digits */
    uint8_t *by_zip;         /* 100000 entries when exact, else NULL */
    size_t n_zips;           /* ZIPs read from the CSV */
    char source[256];        /* file name, or "built-in ZIP-prefix table" */
} ZipMap;

/* Returns 0, or 2 with the reason in diag. Malformed rows are skipped and
 * reported through diag. */
int zipmap_load_csv(ZipMap *map, const char *path, Diag *diag);
int zipmap_parse_csv(ZipMap *map, const char *buf, size_t len, const char *file, Diag *diag);
/* The built-in prefix table; returns 0 (the table is tested). */
int zipmap_builtin(ZipMap *map);
/* State index for a user's postal code ("02139", "02139-4307"); 0 when it
 * is not a US ZIP or is absent from the map. */
int zipmap_state(const ZipMap *map, const char *zip);
void zipmap_free(ZipMap *map);

#endif
