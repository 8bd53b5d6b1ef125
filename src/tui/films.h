/* films.h (private to src/tui): the film lists of the films and heatmap
 * panes, computed from the panel (no ncurses): top films per score under a
 * title filter, the share of each score among a segment's ratings of a film,
 * the study's heatmap sample and a segment's most distinctive films. */
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

typedef struct {
    uint32_t film;
    size_t ratings;  /* the segment's ratings of the film */
    double share[6]; /* [1..5]: share of those ratings at each score */
    double lift;     /* share of the segment rating it / share of everyone (NAN if unknown) */
} HeatRow;

/* Fills rows[i] for films[i]. */
void films_heat_rows(const Panel *panel, const int32_t *labels, int segment, const uint32_t *films,
                     size_t n, HeatRow *rows);
/* The study's sample: `count` films with more than min_ratings ratings, drawn
 * with the seed, in film id order; when fewer qualify, the most-rated films.
 * Returns how many were written (at most count). */
size_t films_heat_sample(const Panel *panel, size_t min_ratings, size_t count, uint64_t seed,
                         uint32_t *out);
/* The segment's most distinctive films: the highest lift (the share of the
 * segment who rated the film over the share of everyone who did) among films
 * rated by at least max(3, 5% of the segment) of its users, lift descending,
 * ties by film id. Returns how many were written. */
size_t films_distinctive(const Panel *panel, const int32_t *labels, int segment, size_t count,
                         uint32_t *out);

#endif
