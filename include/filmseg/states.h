/* states.h: the US states and territories filmseg knows, by index. Index 0 is
 * "unknown" (no US state: a foreign postal code or a ZIP not in the list). */
#ifndef FILMSEG_STATES_H
#define FILMSEG_STATES_H

#include <stddef.h>

enum { STATE_UNKNOWN = 0 };

typedef struct {
    const char *code; /* USPS two-letter code, "??" for unknown */
    const char *name;
} StateInfo;

size_t state_count(void); /* including the unknown entry */
const StateInfo *state_info(int index);
/* Index of a two-letter code or a full name (case-insensitive); 0 if none. */
int state_find(const char *code_or_name, size_t len);

#endif
