/* heatmap.h: the numbers behind the rating heatmaps (the explorer's heatmap
 * pane and `filmseg export`): the share of each score among a segment's
 * ratings of a film, the study's sample of films, and a segment's most
 * distinctive films. */
#ifndef FILMSEG_HEATMAP_H
#define FILMSEG_HEATMAP_H

#include "filmseg/panel.h"
#include "filmseg/profile.h"

#include <stddef.h>
#include <stdint.h>

/* The study's heatmap: this many films with more than HEATMAP_MIN_RATINGS
 * ratings, drawn with a seed (HEATMAP_SEED unless the user draws again). */
enum { HEATMAP_FILMS = 30, HEATMAP_MIN_RATINGS = 100, HEATMAP_SEED = 1 };

typedef struct {
    uint32_t film;
    size_t ratings;  /* the segment's ratings of the film */
    double share[6]; /* [1..5]: share of those ratings at each score */
    double lift;     /* its share of the segment's likes / of everyone's (NAN if none liked it) */
} HeatRow;

/* Fills rows[i] for films[i]. */
void heatmap_rows(const Panel *panel, const int32_t *labels, int segment, const uint32_t *films,
                  size_t n, HeatRow *rows);
/* The study's sample: `count` films with more than min_ratings ratings, drawn
 * with the seed, in film id order; when fewer qualify, the most-rated films.
 * Returns how many were written (at most count). */
size_t heatmap_sample(const Panel *panel, size_t min_ratings, size_t count, uint64_t seed,
                      uint32_t *out);
/* The segment's most distinctive films: the highest lift (the film's share
 * of the likes, panel_liked, of the segment's users over its share of
 * everyone's likes: a segment that rates more films does not lift them all,
 * as a share of users liking it did) among films liked by at least
 * max(PROFILE_FEW_RATINGS, 5% of the segment) of its users, lift
 * descending, ties by film id: the films it likes far more often than
 * everyone (a lift of ratings found films it watched more and rated 1 to 3
 * stars). Returns how many were written. */
size_t heatmap_distinctive(const Panel *panel, const int32_t *labels, int segment, size_t count,
                           uint32_t *out);
/* How many of a segment of n users must like a film for it to be among
 * its distinctive films: max(PROFILE_FEW_RATINGS, 5% of n rounded up). */
size_t heatmap_min_likers(size_t n);

#endif
