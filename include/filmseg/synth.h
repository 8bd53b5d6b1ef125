/* synth.h: synthetic rating panels with planted audience segments, written in
 * the MovieLens 100K or 1M format, with the true segment of every user in
 * truth.csv (user_id,segment). They stand in for MovieLens, which may not be
 * redistributed: the built-in demo panel and the scale benchmarks are made
 * with it, and the tests check that the pipeline finds the planted segments.
 *
 * What is planted. Each segment has its own demographic mix (an age centre
 * and spread, a share of men, favoured occupations, favoured regions on top
 * of the states' populations) and its own taste: loved, liked and disliked
 * genres plus a set of signature films. Films have 1 to 3 genres (Drama and
 * Comedy the most common), a release year, a quality and a Zipf popularity.
 * A segment's opinion of a film comes from its genres, its own view of the
 * film and its signature films. Each user rates a heavy-tailed number of
 * films (at least 20 when the ratings allow it, as in MovieLens) chosen by
 * popularity times the segment's opinion (people watch what they expect to
 * like); some choices come from popularity alone and some from a second
 * segment, so segments overlap. Scores come from the film's quality, the
 * opinion, a personal bias and noise, cut into stars so that they are skewed
 * high as in MovieLens (about 6/11/27/34/21% for 1..5 stars, mean 3.6). Titles are invented from
 * word lists ("The Marmalade Conspiracy (1987)"); ZIP codes map to their states through the
 * built-in ZIP-prefix table (Alaska and Hawaii are rare, 1/20 of their population share).
 *
 * Determinism. Everything written is computed with integer arithmetic from
 * the shared RNG (rng.h), so the same options give byte-identical files on
 * every machine. Users are generated one at a time from their own RNG
 * stream and written as they are made: memory is O(users + segments x films),
 * whatever the number of ratings. Each file is written to a temporary name
 * and renamed into place. */
#ifndef FILMSEG_SYNTH_H
#define FILMSEG_SYNTH_H

#include "filmseg/zipmap.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { SYNTH_ML100K = 0, SYNTH_ML1M = 1 } SynthFormat;

enum { SYNTH_MAX_SEGMENTS = 64, SYNTH_MAX_USERS = 10000000, SYNTH_MAX_FILMS = 1000000 };

typedef struct {
    size_t n_users;     /* 1..SYNTH_MAX_USERS (default 943) */
    size_t n_films;     /* 1..SYNTH_MAX_FILMS (default 1682) */
    uint64_t n_ratings; /* n_users..(what the per-user cap allows) (default 100000) */
    int n_segments;     /* 1..SYNTH_MAX_SEGMENTS (default 5) */
    uint64_t seed;      /* default 1 */
    SynthFormat format; /* default SYNTH_ML100K */
    int separation;     /* taste strength in percent of the default, 0..400 (100):
                           0 = segments differ in demographics only */
    const ZipMap *zips; /* NULL: ZIP codes of the built-in prefix table's
                           prefixes (mostly not real codes); a ZIP list (exact):
                           each user's code drawn from its state's codes in it */
} SynthOptions;

/* What was written. */
typedef struct {
    size_t n_users, n_films;
    uint64_t n_ratings;
    uint64_t ratings_by_score[6]; /* [1..5] */
    size_t users_by_segment[SYNTH_MAX_SEGMENTS];
    uint32_t min_user_ratings, max_user_ratings;
    size_t users_zip_unlisted; /* with a ZIP list: users of a state it has no code for */
    uint64_t bytes_written;
} SynthSummary;

void synth_options_default(SynthOptions *opts);
/* The largest number of ratings one user may have with these options. */
uint64_t synth_max_user_ratings(const SynthOptions *opts);
/* Checks the options; returns 0, or -1 with the reason in error[]. */
int synth_options_check(const SynthOptions *opts, char *error, size_t error_size);
/* Whether synth may write into dir: a folder not there yet, or one without
 * a panel, or holding a panel synth wrote before (with truth.csv) in the
 * same format: a panel of the user's own is never overwritten, and two
 * formats never share a folder (the loaders would read the other). 0, or -1
 * with the reason in error. */
int synth_check_dir(const char *dir, SynthFormat format, char *error, size_t error_size);
/* Writes the panel into dir (created when absent): u.user, u.item, u.data,
 * u.genre (ml-100k) or users.dat, movies.dat, ratings.dat (ml-1m), and
 * truth.csv. Returns 0, or -1 with the reason in error[]. summary may be
 * NULL. */
int synth_write(const SynthOptions *opts, const char *dir, SynthSummary *summary, char *error,
                size_t error_size);

const char *synth_format_name(SynthFormat format);

#endif
