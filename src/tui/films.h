/* films.h (private to src/tui): the films pane's lists, computed from the
 * panel (no ncurses): top films per score under a title filter. */
#ifndef FILMSEG_TUI_FILMS_H
#define FILMSEG_TUI_FILMS_H

#include "filter.h"

#include "filmseg/panel.h"
#include "filmseg/profile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The n films most often rated `score` by the users with labels[u] == segment
 * (labels NULL: everyone) among those whose title passes the filter (NULL:
 * all): count descending, ties by film id ascending, as profile_top_films.
 * Returns how many were written. */
size_t films_top(const Panel *panel, const int32_t *labels, int segment, int score,
                 const TitleFilter *filter, FilmCount *out, size_t n);

/* "Star Wars (1977)" -> "Star Wars" into out (size bytes); false, out
 * untouched, when the title does not end in a year in parentheses. */
bool films_title_without_year(const char *title, char *out, size_t size);

/* The narrowest column a score's list gets: a count and 22 characters of
 * title, enough for three titles in four (years dropped). */
#define FILMS_MIN_COLUMN 25

/* How many of the five score columns (one column of space between two) fit
 * side by side in `width` columns at FILMS_MIN_COLUMN or wider: 1 to 5. */
int films_columns_shown(int width);

#endif
