/* profile.h: the audience profile of a panel or of one segment of it: counts
 * by gender, age, occupation and state, the rating distribution, the genres
 * and release years of the films rated and liked, and the top films per
 * score (count descending, ties by film id ascending); and what sets a
 * segment apart from everyone, in a line. Category counts are ordered by
 * count descending, ties by first appearance. */
#ifndef FILMSEG_PROFILE_H
#define FILMSEG_PROFILE_H

#include "filmseg/panel.h"

enum { PROFILE_TOP_N = 10 };
/* Below this many ratings (or likes) a share says little (one rating is
 * 100% at one score): the heatmap draws such films dim, a distinctive film
 * needs this many of the segment's raters, a genre's index this many likes. */
enum { PROFILE_FEW_RATINGS = 10 };

typedef struct {
    int index; /* occupation or state index */
    size_t count;
} CategoryCount;

typedef struct {
    uint32_t film; /* film index */
    size_t count;
} FilmCount;

typedef struct {
    size_t n_users, n_ratings;
    bool has_demographics, ages_banded;
    size_t n_male, n_female;
    double age_mean, age_median;
    int age_min, age_max;
    size_t age_bands[AGE_BAND_COUNT];
    CategoryCount *occupations; /* non-zero counts only, sorted */
    size_t n_occupations;
    CategoryCount states[PANEL_MAX_STATES]; /* non-zero, sorted; may include unknown (0) */
    size_t n_states;
    size_t ratings_by_score[6]; /* [1..5] */
    double rating_mean;
    /* Genres (Panel.genres): ratings of films of genre g, and of those the
     * likes (4 or 5 stars). A film of several genres counts in each. */
    size_t n_likes; /* ratings of 4 or 5 stars */
    size_t genre_ratings[PANEL_MAX_GENRES], genre_likes[PANEL_MAX_GENRES];
    /* The release year by which half of the liked films (counted once per
     * like, year known) had come out; 0 when none is known. */
    int liked_year_median;
    FilmCount top[6][PROFILE_TOP_N]; /* top[score][rank] */
    size_t n_top[6];
} Profile;

/* Profiles the users u with labels[u] == segment, or everyone when labels is
 * NULL. Returns 0, or FS_ERROR when memory runs out. */
int profile_compute(const Panel *panel, const int32_t *labels, int segment, Profile *out);
void profile_free(Profile *profile);

/* A segment's share part/whole against the whole sample's share
 * all_part/all_whole, times 100 (100 = as everyone; 0 when the whole sample
 * has none). */
double profile_share_index(size_t part, size_t whole, size_t all_part, size_t all_whole);
/* The genres p's users liked at least min_likes times, most liked first
 * (ties by genre index); returns how many were written (at most
 * PANEL_MAX_GENRES). */
size_t profile_liked_genres(const Panel *panel, const Profile *p, size_t min_likes, int *out);
/* The marks of profile_headline's parts (the report says them). */
enum {
    HEADLINE_GENRE_INDEX = 120,      /* a genre liked this much above everyone */
    HEADLINE_YEARS_APART = 2,        /* newer or older films: median years apart */
    HEADLINE_AGE_APART = 3,          /* older or younger: mean age years apart */
    HEADLINE_GENDER_INDEX = 115,     /* more men or more women */
    HEADLINE_OCCUPATION_INDEX = 150, /* an occupation well above everyone's */
    HEADLINE_MAX_GENRES = 3,         /* genres named, at most */
    HEADLINE_MAX_OCCUPATIONS = 2,    /* occupations named, at most */
};

/* The genres and occupations profile_headline names (indexes into the
 * panel's genres and occupations, highest index first), so that the lists
 * beside it can show them. */
typedef struct {
    int genres[HEADLINE_MAX_GENRES], n_genres;
    int occupations[HEADLINE_MAX_OCCUPATIONS], n_occupations;
} HeadlinePicks;
void profile_headline_picks(const Panel *panel, const Profile *p, const Profile *everyone,
                            HeadlinePicks *picks);
bool headline_picks_genre(const HeadlinePicks *picks, int genre);
bool headline_picks_occupation(const HeadlinePicks *picks, int occupation);

/* What sets a segment apart from everyone, in a few words for a reader, into
 * out (size bytes): the genres it likes most above everyone (up to 3 with an
 * index of 120 or more, each liked 10 times or more), newer or older films
 * (half its likes' films out 2 years or more apart from everyone's), older
 * or younger (mean age 3 years or more apart), more men or more women (an
 * index of 115 or more), and up to 2 occupations (not "other" or "none")
 * with an index of 150 or more that hold 5% and 5 of its users or more;
 * "like everyone" when none of these holds. Parts are joined by "; ". */
void profile_headline(const Panel *panel, const Profile *p, const Profile *everyone, char *out,
                      size_t size);
/* The share of p's likes that went to the genre against everyone's share,
 * times 100; NAN when p liked the genre fewer than PROFILE_FEW_RATINGS
 * times (too few to say). */
double profile_genre_index(const Profile *p, const Profile *everyone, int genre);
/* The age band that holds the middle user (index into age_band_label()),
 * -1 with no users: the median of a panel whose ages are known only as
 * bands (ml-1m), where a mean of the bands' lower bounds would mislead. */
int profile_median_age_band(const Profile *p);
/* The profile's count of users of an occupation (0 when it has none). */
size_t profile_occupation_count(const Profile *p, int occupation);

/* The n films most often rated `score` by the selected users, in the
 * profile's order; returns how many were written. */
size_t profile_top_films(const Panel *panel, const int32_t *labels, int segment, int score,
                         FilmCount *out, size_t n);
/* The same among the films f for which keep(panel, f, ctx) is true. */
typedef bool (*FilmKeep)(const Panel *panel, uint32_t film, void *ctx);
size_t profile_top_films_kept(const Panel *panel, const int32_t *labels, int segment, int score,
                              FilmKeep keep, void *ctx, FilmCount *out, size_t n);

#endif
