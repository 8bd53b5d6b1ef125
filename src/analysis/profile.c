/* profile.c: audience profiles of a panel or a segment; see profile.h. */
#include "filmseg/profile.h"

#include "filmseg/progress.h"
#include "filmseg/states.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t count, first_seen; /* first_seen: order of first appearance */
    int index;
} Tally;

static int compare_tally(const void *pa, const void *pb)
{
    const Tally *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return (a->first_seen > b->first_seen) - (a->first_seen < b->first_seen);
}

static int compare_int16(const void *pa, const void *pb)
{
    int16_t a = *(const int16_t *)pa, b = *(const int16_t *)pb;
    return (a > b) - (a < b);
}

static bool selected(const int32_t *labels, int segment, size_t u)
{
    return !labels || labels[u] == segment;
}

/* Sorts the tallies with a non-zero count into out; returns how many. */
static size_t sorted_counts(Tally *tally, size_t n, CategoryCount *out)
{
    qsort(tally, n, sizeof *tally, compare_tally);
    size_t k = 0;
    for (size_t i = 0; i < n && tally[i].count; i++)
        out[k++] = (CategoryCount){tally[i].index, tally[i].count};
    return k;
}

typedef struct {
    uint32_t film;
    int32_t id;
    size_t count;
} FilmTally;

static int compare_film_tally(const void *pa, const void *pb)
{
    const FilmTally *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

size_t profile_top_films(const Panel *panel, const int32_t *labels, int segment, int score,
                         FilmCount *out, size_t n)
{
    return profile_top_films_kept(panel, labels, segment, score, NULL, NULL, out, n);
}

size_t profile_top_films_kept(const Panel *panel, const int32_t *labels, int segment, int score,
                              FilmKeep keep, void *ctx, FilmCount *out, size_t n)
{
    FilmTally *tally = calloc(panel->n_films + 1, sizeof *tally);
    if (!tally)
        return 0;
    size_t m = 0;
    for (size_t f = 0; f < panel->n_films; f++) {
        if (keep && !keep(panel, (uint32_t)f, ctx))
            continue;
        FilmTally *t = &tally[m++];
        t->film = (uint32_t)f;
        t->id = panel->films[f].id;
        for (uint32_t i = panel->film_start[f]; i < panel->film_start[f + 1]; i++)
            if (panel_stars(panel->film_half_stars[i]) == score &&
                selected(labels, segment, panel->film_user[i]))
                t->count++;
    }
    qsort(tally, m, sizeof *tally, compare_film_tally);
    size_t k = 0;
    for (size_t f = 0; f < m && k < n && tally[f].count; f++)
        out[k++] = (FilmCount){tally[f].film, tally[f].count};
    free(tally);
    return k;
}

int profile_compute(const Panel *panel, const int32_t *labels, int segment, Profile *out)
{
    memset(out, 0, sizeof *out);
    out->has_demographics = panel->has_demographics;
    out->ages_banded = panel->ages_banded;
    Tally *occ = calloc(panel->n_occupations + 1, sizeof *occ);
    Tally states[PANEL_MAX_STATES] = {0};
    int16_t *ages = malloc((panel->n_users + 1) * sizeof *ages);
    out->occupations = calloc(panel->n_occupations + 1, sizeof *out->occupations);
    if (!occ || !ages || !out->occupations) {
        free(occ);
        free(ages);
        profile_free(out);
        return FS_ERROR;
    }
    for (size_t i = 0; i < panel->n_occupations; i++)
        occ[i].index = (int)i;
    for (size_t i = 0; i < PANEL_MAX_STATES; i++)
        states[i].index = (int)i;

    double age_sum = 0, rating_sum = 0;
    size_t seen = 0;
    enum { FIRST_YEAR = 1870, YEARS = 256 }; /* the first films to 2125 */
    size_t liked_by_year[YEARS] = {0}, liked_dated = 0;
    for (size_t u = 0; u < panel->n_users; u++) {
        if (!selected(labels, segment, u))
            continue;
        const PanelUser *user = &panel->users[u];
        seen++;
        out->n_users++;
        for (uint32_t i = panel->user_start[u]; i < panel->user_start[u + 1]; i++) {
            int half_stars = panel->user_half_stars[i];
            bool liked = panel_liked(half_stars);
            out->ratings_by_score[panel_stars(half_stars)]++;
            rating_sum += half_stars / 2.0; /* the mean as rated */
            out->n_likes += liked;
            int year = panel->films[panel->user_film[i]].year;
            if (liked && year >= FIRST_YEAR && year < FIRST_YEAR + YEARS) {
                liked_by_year[year - FIRST_YEAR]++;
                liked_dated++;
            }
            for (uint32_t g = panel->films[panel->user_film[i]].genres; g; g &= g - 1) {
                int genre = __builtin_ctz(g);
                out->genre_ratings[genre]++;
                out->genre_likes[genre] += liked;
            }
        }
        out->n_ratings += panel->user_start[u + 1] - panel->user_start[u];
        if (!panel->has_demographics)
            continue;
        out->n_male += user->gender == 'M';
        out->n_female += user->gender == 'F';
        ages[out->n_users - 1] = user->age;
        age_sum += user->age;
        out->age_bands[user->age_band]++;
        Tally *o = &occ[user->occupation], *s = &states[user->state];
        if (o->count++ == 0)
            o->first_seen = seen;
        if (s->count++ == 0)
            s->first_seen = seen;
    }
    if (panel->has_demographics && out->n_users) {
        qsort(ages, out->n_users, sizeof *ages, compare_int16);
        size_t n = out->n_users;
        out->age_mean = age_sum / (double)n;
        out->age_median = n % 2 ? ages[n / 2] : (ages[n / 2 - 1] + ages[n / 2]) / 2.0;
        out->age_min = ages[0];
        out->age_max = ages[n - 1];
        out->n_occupations = sorted_counts(occ, panel->n_occupations, out->occupations);
        out->n_states = sorted_counts(states, state_count(), out->states);
    }
    out->rating_mean = out->n_ratings ? rating_sum / (double)out->n_ratings : 0;
    for (size_t y = 0, count = 0; liked_dated && y < YEARS; y++) {
        count += liked_by_year[y];
        if (2 * count >= liked_dated) {
            out->liked_year_median = FIRST_YEAR + (int)y;
            break;
        }
    }
    free(occ);
    free(ages);
    for (int score = 1; score <= 5; score++)
        out->n_top[score] =
            profile_top_films(panel, labels, segment, score, out->top[score], PROFILE_TOP_N);
    return FS_OK;
}

void profile_free(Profile *profile)
{
    free(profile->occupations);
    profile->occupations = NULL;
}

double profile_share_index(size_t part, size_t whole, size_t all_part, size_t all_whole)
{
    double a = whole ? (double)part / whole : 0, b = all_whole ? (double)all_part / all_whole : 0;
    return b > 0 ? 100 * a / b : 0;
}

static int by_likes_then_genre(const void *a, const void *b, void *ctx)
{
    const Profile *p = ctx;
    int x = *(const int *)a, y = *(const int *)b;
    if (p->genre_likes[x] != p->genre_likes[y])
        return p->genre_likes[x] > p->genre_likes[y] ? -1 : 1;
    return x - y;
}

size_t profile_liked_genres(const Panel *panel, const Profile *p, size_t min_likes, int *out)
{
    size_t n = 0;
    for (size_t g = 0; g < panel->n_genres && g < PANEL_MAX_GENRES; g++)
        if (p->genre_likes[g] >= min_likes && p->genre_likes[g] > 0)
            out[n++] = (int)g;
    qsort_r(out, n, sizeof *out, by_likes_then_genre, (void *)p);
    return n;
}

double profile_genre_index(const Profile *p, const Profile *everyone, int genre)
{
    if (p->genre_likes[genre] < PROFILE_FEW_RATINGS)
        return NAN;
    return profile_share_index(p->genre_likes[genre], p->n_likes, everyone->genre_likes[genre],
                               everyone->n_likes);
}

int profile_median_age_band(const Profile *p)
{
    size_t total = 0, seen = 0;
    for (int b = 0; b < AGE_BAND_COUNT; b++)
        total += p->age_bands[b];
    for (int b = 0; b < AGE_BAND_COUNT; b++) {
        seen += p->age_bands[b];
        if (total && 2 * seen >= total)
            return b;
    }
    return -1;
}

size_t profile_occupation_count(const Profile *p, int occupation)
{
    for (size_t i = 0; i < p->n_occupations; i++)
        if (p->occupations[i].index == occupation)
            return p->occupations[i].count;
    return 0;
}

/* Appends text to out (size bytes), after "; " when out holds a part. */
static void headline_part(char *out, size_t size, const char *text)
{
    size_t len = strlen(out);
    snprintf(out + len, size - len, "%s%s", len ? "; " : "", text);
}

typedef struct {
    int index; /* genre or occupation */
    double value;
} Ranked;

static int by_value_desc(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->index - y->index;
}

void profile_headline_picks(const Panel *panel, const Profile *p, const Profile *everyone,
                            HeadlinePicks *picks)
{
    memset(picks, 0, sizeof *picks);
    Ranked ranked[64] = {{0}}; /* genres (at most 32), then occupations (at most 64) */
    size_t n = 0;
    for (size_t g = 0; g < panel->n_genres && g < PANEL_MAX_GENRES; g++) {
        double idx = profile_genre_index(p, everyone, (int)g);
        if (idx >= HEADLINE_GENRE_INDEX) /* NAN: too few likes */
            ranked[n++] = (Ranked){(int)g, idx};
    }
    qsort(ranked, n, sizeof *ranked, by_value_desc);
    for (size_t i = 0; i < n && i < HEADLINE_MAX_GENRES; i++)
        picks->genres[picks->n_genres++] = ranked[i].index;
    if (!p->has_demographics || !p->n_users || !everyone->n_users)
        return;
    n = 0;
    for (size_t i = 0; i < p->n_occupations && n < 64; i++) {
        const CategoryCount *c = &p->occupations[i];
        double idx = profile_share_index(
            c->count, p->n_users, profile_occupation_count(everyone, c->index), everyone->n_users);
        const char *name = panel->occupations[c->index];
        bool says_nothing = strcmp(name, "other") == 0 || strcmp(name, "none") == 0;
        if (!says_nothing && idx >= HEADLINE_OCCUPATION_INDEX && c->count >= 5 &&
            20 * c->count >= p->n_users)
            ranked[n++] = (Ranked){c->index, idx};
    }
    qsort(ranked, n, sizeof *ranked, by_value_desc);
    for (size_t i = 0; i < n && i < HEADLINE_MAX_OCCUPATIONS; i++)
        picks->occupations[picks->n_occupations++] = ranked[i].index;
}

bool headline_picks_genre(const HeadlinePicks *picks, int genre)
{
    for (int i = 0; i < picks->n_genres; i++)
        if (picks->genres[i] == genre)
            return true;
    return false;
}

bool headline_picks_occupation(const HeadlinePicks *picks, int occupation)
{
    for (int i = 0; i < picks->n_occupations; i++)
        if (picks->occupations[i] == occupation)
            return true;
    return false;
}

/* "A, B, C": the names of n picked items. */
static void picked_names(char *buf, size_t size, const int *picked, int n, char *const *names)
{
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", i ? ", " : "", names[picked[i]]);
    }
}

void profile_headline(const Panel *panel, const Profile *p, const Profile *everyone, char *out,
                      size_t size)
{
    char part[256];
    out[0] = '\0';
    HeadlinePicks picks;
    profile_headline_picks(panel, p, everyone, &picks);
    picked_names(part, sizeof part, picks.genres, picks.n_genres, panel->genres);
    if (picks.n_genres)
        headline_part(out, size, part);
    if (p->liked_year_median && everyone->liked_year_median) {
        int apart = p->liked_year_median - everyone->liked_year_median;
        if (apart >= HEADLINE_YEARS_APART || apart <= -HEADLINE_YEARS_APART)
            headline_part(out, size, apart > 0 ? "newer films" : "older films");
    }
    if (p->has_demographics && p->n_users && everyone->n_users) {
        if (fabs(p->age_mean - everyone->age_mean) >= HEADLINE_AGE_APART)
            headline_part(out, size, p->age_mean > everyone->age_mean ? "older" : "younger");
        if (profile_share_index(p->n_male, p->n_users, everyone->n_male, everyone->n_users) >=
            HEADLINE_GENDER_INDEX)
            headline_part(out, size, "more men");
        else if (profile_share_index(p->n_female, p->n_users, everyone->n_female,
                                     everyone->n_users) >= HEADLINE_GENDER_INDEX)
            headline_part(out, size, "more women");
        picked_names(part, sizeof part, picks.occupations, picks.n_occupations, panel->occupations);
        if (picks.n_occupations)
            headline_part(out, size, part);
    }
    if (!out[0])
        snprintf(out, size, "like everyone");
}
