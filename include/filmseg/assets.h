/* assets.h: files from assets/ that are built into the program, so that it
 * runs with no data folder and no network: the ZIP-prefix table and the demo
 * panel (an ml-100k style folder of invented users and films). */
#ifndef FILMSEG_ASSETS_H
#define FILMSEG_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *data; /* NUL-terminated */
    size_t len;
} Asset;

Asset asset_zip3_states(void);
/* A file of the built-in demo panel by name (u.user, u.item, u.data,
 * u.genre); len 0 when there is no such file. */
Asset asset_demo_file(const char *name);

#endif
