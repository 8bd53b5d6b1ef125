/* films.h (private to src/tui): the films pane's lists, computed from the
 * panel (no ncurses): top films per score under a title filter. */
#ifndef FILMSEG_TUI_FILMS_H
#define FILMSEG_TUI_FILMS_H

#include "filter.h"

#include "filmseg/panel.h"
#include "filmseg/profile.h"

#include <stddef.h>
#include <stdint.h>

/* The n films most often rated `score` by the users with labels[u] == segment
 * (labels NULL: everyone) among those whose title passes the filter (NULL:
 * all): count descending, ties by film id ascending, as profile_top_films.
 * Returns how many were written. */
size_t films_top(const Panel *panel, const int32_t *labels, int segment, int score,
                 const TitleFilter *filter, FilmCount *out, size_t n);

#endif
