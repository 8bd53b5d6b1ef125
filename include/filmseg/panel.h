/* panel.h: the rating panel in memory (users with demographics, films,
 * ratings in CSR by user and CSC by film) and how it is loaded: the format is
 * detected from the files in a folder (MovieLens 100K, 1M, or the CSV
 * releases), ZIP codes become states, and the study's sample rules drop users
 * (Alaska, Hawaii, unknown state by default) with their ratings. */
#ifndef FILMSEG_PANEL_H
#define FILMSEG_PANEL_H

#include "filmseg/diag.h"
#include "filmseg/idindex.h"
#include "filmseg/zipmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PANEL_ML100K, PANEL_ML1M, PANEL_MLCSV } PanelFormat;

enum { AGE_BAND_COUNT = 7, PANEL_MAX_GENRES = 32, PANEL_MAX_STATES = 64 };

typedef struct {
    int32_t id;
    int16_t age;         /* years; on banded panels (ml-1m) the band's lower bound;
                            -1 unknown (scoring only) */
    uint8_t age_band;    /* index into age_band_label() */
    char gender;         /* 'M', 'F'; '?' unknown (scoring only) */
    uint16_t occupation; /* index into Panel.occupations */
    uint8_t state;       /* index into states.h, 0 = unknown */
    char zip[12];
} PanelUser;

typedef struct {
    int32_t id;
    char *title;     /* UTF-8 */
    int16_t year;    /* release year, 0 when unknown */
    uint32_t genres; /* bit g set: genre Panel.genres[g] */
} PanelFilm;

/* What the sample rules did. */
typedef struct {
    size_t users_read, ratings_read;
    size_t users_dropped, ratings_dropped;
    size_t dropped_by_state[PANEL_MAX_STATES]; /* [0]: unknown state */
    int rule_states[PANEL_MAX_STATES];         /* excluded states, in the order given */
    int n_rule_states;
    bool dropped_unknown_rule;       /* unknown state was a rule */
    size_t ratings_half_star;        /* half-star ratings (CSV releases) */
    size_t ratings_unknown_film;     /* scoring: ratings of films not in the model */
    size_t users_partial;            /* scoring: users with a demographic field unknown */
    size_t users_partial_line;       /* the first such user's line in the users file */
    const char *users_partial_field; /* and what it lacked: "age", "gender", ... */
    bool ratings_file_empty;         /* scoring: the ratings file held no bytes at all */
    bool users_file_empty;           /* scoring: the users file held no bytes at all */
} SampleSummary;

typedef struct {
    PanelFormat format;
    char source[256];      /* folder, or "built-in demo panel" */
    char zip_source[256];  /* where states came from */
    bool zip_list;         /* states from a ZIP list (--zips), not the built-in table */
    size_t zip_count;      /* the ZIP list's codes (0 for the built-in table) */
    bool has_demographics; /* false: taste-only panel (CSV releases) */
    bool ages_banded;      /* ages known only as bands (ml-1m) */

    size_t n_users, n_films, n_ratings;
    PanelUser *users;
    PanelFilm *films;
    char **occupations;
    size_t n_occupations;
    char *genres[PANEL_MAX_GENRES];
    size_t n_genres;

    /* CSR by user: ratings of user u are [user_start[u], user_start[u+1]),
     * sorted by film index. */
    uint32_t *user_start;
    uint32_t *user_film;
    uint8_t *user_half_stars; /* the rating in half stars: 2..10 for 1..5 stars,
                                 odd for a CSV release's half star (panel_stars) */
    uint32_t *user_time;      /* Unix time, 0 when unknown */
    /* CSC by film: ratings of film f are [film_start[f], film_start[f+1]),
     * sorted by user index. */
    uint32_t *film_start;
    uint32_t *film_user;
    uint8_t *film_half_stars;

    IdIndex user_index, film_index; /* id -> index */
    SampleSummary sample;
} Panel;

/* A rating in whole stars for the per-star tables (ratings by star, top 10
 * per score, the heatmap): a half star counts as the star above (3.5 -> 4).
 * Means and the models take ratings as rated. */
static inline int panel_stars(uint8_t half_stars)
{
    return (half_stars + 1) / 2;
}

/* A like: a rating of 3.5 stars or more (profile.c, the heatmap, the
 * autoencoder's likes). The words for it in reports and on screen: a panel of
 * whole stars has "4 or 5 stars", one with half stars "3.5 stars or more". */
static inline bool panel_liked(uint8_t half_stars)
{
    return half_stars >= 7;
}

static inline const char *panel_like_words(const Panel *p)
{
    return p->sample.ratings_half_star ? "3.5 stars or more" : "4 or 5 stars";
}

/* Which users to keep. */
typedef struct {
    bool keep_unknown_state;
    int exclude[PANEL_MAX_STATES]; /* state indexes, in the order given */
    int n_exclude;
} SampleRules;

typedef struct {
    const char *zips_path; /* NULL: built-in ZIP-prefix table */
    SampleRules rules;
    bool strict;
} PanelOptions;

/* One input file held in memory. */
typedef struct {
    const char *name; /* u.user, ratings.dat, ... */
    const char *path; /* for messages */
    const char *data;
    size_t len;
} PanelFile;

void panel_options_default(PanelOptions *options); /* the study's rules */
/* Parses "AK,HI" or "Alaska,Hawaii" into rules->exclude; returns false and
 * names the bad entry in *bad when a state is unknown. */
bool sample_rules_parse_states(SampleRules *rules, const char *list, char *bad, size_t bad_size);

/* Loads a panel folder; the format is detected from its files. Returns 0, or
 * 2 with the reason in diag (missing/empty files, --strict errors). */
int panel_load_dir(const char *dir, const PanelOptions *options, Diag *diag, Panel **out);
/* Loads the built-in demo panel. */
int panel_load_demo(const PanelOptions *options, Diag *diag, Panel **out);
/* Loads a panel from files in memory (what the two above and the fuzzers
 * call). zips may be NULL (built-in table). */
int panel_load_files(PanelFormat format, const PanelFile *files, size_t n_files, const ZipMap *zips,
                     const PanelOptions *options, Diag *diag, Panel **out);
/* Loads users and ratings to score (u.user and u.data, or 1M's users.dat and
 * ratings.dat when the users file's first line is '::'-separated; with
 * users_path NULL, a CSV release's ratings.csv, whose users are those who
 * rated) against a model's films: ratings of other films are counted, not
 * errors; the films get placeholder titles. */
int panel_load_for_scoring(const char *users_path, const char *ratings_path,
                           const int32_t *film_ids, size_t n_films, const PanelOptions *options,
                           Diag *diag, Panel **out);
/* The same on files in memory (users NULL: ratings is a ratings.csv). */
int panel_parse_for_scoring(const PanelFile *users, const PanelFile *ratings,
                            const int32_t *film_ids, size_t n_films, const PanelOptions *options,
                            Diag *diag, Panel **out);
void panel_free(Panel *panel);
/* The formats of which folder dir holds any file, as bits 1 << PanelFormat. */
unsigned panel_dir_formats(const char *dir);
/* Whether writing path would replace a file that a panel in folder dir is
 * read from (of any format). */
bool panel_dir_holds(const char *dir, const char *path);
/* Whether writing path would replace an input: a file of the panel in
 * folder data_dir, or the ZIP list zips_path (either may be NULL); what it
 * would replace into why ("a file of the panel in DIR", "the ZIP list
 * (--zips)"). The commands' --out and the explorer's save-as check so. */
bool panel_output_replaces_input(const char *path, const char *data_dir, const char *zips_path,
                                 char *why, size_t size);

const char *panel_format_name(PanelFormat format);
const char *age_band_label(int band);
int age_band_of(int age);
/* Index of a film by its id, -1 when absent. */
long panel_film_index(const Panel *panel, int32_t film_id);
long panel_user_index(const Panel *panel, int32_t user_id);
/* Whether any rating has a time (a CSV release's ratings.csv without its
 * timestamp column has none): without times recency has nothing to weigh. */
bool panel_has_rating_times(const Panel *panel);
/* The films the kept users rated (the catalogue, n_films, may hold more). */
size_t panel_films_rated(const Panel *panel);

#endif
