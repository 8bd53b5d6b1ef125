/* heatmap.c: the numbers behind the rating heatmaps; see heatmap.h. */
#include "filmseg/heatmap.h"

#include "filmseg/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool selected(const int32_t *labels, int segment, uint32_t u)
{
    return !labels || labels[u] == segment;
}

static int by_count_then_id(const void *a, const void *b, void *ctx)
{
    const Panel *panel = ctx;
    const FilmCount *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int32_t ix = panel->films[x->film].id, iy = panel->films[y->film].id;
    return (ix > iy) - (ix < iy);
}

/* The likes (panel_liked) of the segment's users and of everyone, of any
 * film: a film's lift is its share of the one over its share of the other. */
static void count_likes(const Panel *panel, const int32_t *labels, int segment, uint64_t *seg,
                        uint64_t *all)
{
    *seg = *all = 0;
    for (size_t j = 0; j < panel->film_start[panel->n_films]; j++)
        if (panel_liked(panel->film_half_stars[j])) {
            (*all)++;
            *seg += selected(labels, segment, panel->film_user[j]);
        }
}

void heatmap_rows(const Panel *panel, const int32_t *labels, int segment, const uint32_t *films,
                  size_t n, HeatRow *rows)
{
    uint64_t seg_likes, every_like;
    count_likes(panel, labels, segment, &seg_likes, &every_like);
    for (size_t i = 0; i < n; i++) {
        uint32_t f = films[i];
        size_t by_score[6] = {0}, total = 0, likes = 0, all_likes = 0;
        for (uint32_t j = panel->film_start[f]; j < panel->film_start[f + 1]; j++) {
            bool liked = panel_liked(panel->film_half_stars[j]);
            all_likes += liked;
            if (selected(labels, segment, panel->film_user[j])) {
                by_score[panel_stars(panel->film_half_stars[j])]++;
                total++;
                likes += liked;
            }
        }
        HeatRow *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->film = f;
        r->ratings = total;
        for (int s = 1; s <= 5; s++)
            r->share[s] = total ? (double)by_score[s] / total : 0;
        /* (likes / seg_likes) / (all_likes / every_like) as one quotient of
         * exact products, so that lifts equal as fractions print alike (3.25
         * was 3.2 for one film and 3.3 for another); none for a segment
         * without likes */
        r->lift = seg_likes && all_likes
                      ? (double)((uint64_t)likes * every_like) / (double)(seg_likes * all_likes)
                      : NAN;
    }
}

static int by_id(const void *a, const void *b, void *ctx)
{
    const Panel *panel = ctx;
    int32_t x = panel->films[*(const uint32_t *)a].id, y = panel->films[*(const uint32_t *)b].id;
    return (x > y) - (x < y);
}

size_t heatmap_sample(const Panel *panel, size_t min_ratings, size_t count, uint64_t seed,
                      uint32_t *out)
{
    uint32_t *pool = malloc((panel->n_films + 1) * sizeof *pool);
    if (!pool)
        return 0;
    size_t m = 0;
    for (size_t f = 0; f < panel->n_films; f++)
        if (panel->film_start[f + 1] - panel->film_start[f] > min_ratings)
            pool[m++] = (uint32_t)f;
    size_t k;
    if (m >= count) {
        Rng rng;
        rng_seed_stream(&rng, seed, 0x4ea7);
        for (size_t i = 0; i < count; i++) { /* partial Fisher-Yates */
            size_t j = i + (size_t)rng_below(&rng, m - i);
            uint32_t t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        k = count;
    } else {
        /* too few qualify: the most-rated films */
        FilmCount *all = malloc((panel->n_films + 1) * sizeof *all);
        if (!all) {
            free(pool);
            return 0;
        }
        size_t n = 0;
        for (size_t f = 0; f < panel->n_films; f++) {
            size_t c = panel->film_start[f + 1] - panel->film_start[f];
            if (c)
                all[n++] = (FilmCount){(uint32_t)f, c};
        }
        qsort_r(all, n, sizeof *all, by_count_then_id, (void *)panel);
        k = n < count ? n : count;
        for (size_t i = 0; i < k; i++)
            pool[i] = all[i].film;
        free(all);
    }
    qsort_r(pool, k, sizeof *pool, by_id, (void *)panel);
    memcpy(out, pool, k * sizeof *out);
    free(pool);
    return k;
}

/* A film's likes in the segment (seg) and from everyone (all): its lift is
 * (seg / the segment's likes) / (all / everyone's likes), compared as
 * seg x all' against seg' x all, exactly (a tie in floating point can differ in its last bit,
 * and then the order by id did not hold). */
typedef struct {
    uint32_t film;
    uint64_t seg, all;
} Lift;

static int by_lift(const void *a, const void *b, void *ctx)
{
    const Panel *panel = ctx;
    const Lift *x = a, *y = b;
    uint64_t left = x->seg * y->all, right = y->seg * x->all;
    if (left != right)
        return left > right ? -1 : 1;
    int32_t ix = panel->films[x->film].id, iy = panel->films[y->film].id;
    return (ix > iy) - (ix < iy);
}

size_t heatmap_min_likers(size_t n)
{
    size_t five_percent = (n + 19) / 20; /* at least 5%, rounded up */
    return five_percent > PROFILE_FEW_RATINGS ? five_percent : PROFILE_FEW_RATINGS;
}

size_t heatmap_distinctive(const Panel *panel, const int32_t *labels, int segment, size_t count,
                           uint32_t *out)
{
    size_t seg_users = 0;
    for (size_t u = 0; u < panel->n_users; u++)
        seg_users += selected(labels, segment, (uint32_t)u);
    if (!seg_users)
        return 0;
    size_t min_likers = heatmap_min_likers(seg_users);
    Lift *lifts = malloc((panel->n_films + 1) * sizeof *lifts);
    if (!lifts)
        return 0;
    size_t m = 0;
    for (size_t f = 0; f < panel->n_films; f++) {
        size_t all = 0, seg = 0; /* likes of the film: everyone's, the segment's */
        for (uint32_t j = panel->film_start[f]; j < panel->film_start[f + 1]; j++)
            if (panel_liked(panel->film_half_stars[j])) {
                all++;
                seg += selected(labels, segment, panel->film_user[j]);
            }
        if (seg >= min_likers && all)
            lifts[m++] = (Lift){(uint32_t)f, seg, all};
    }
    qsort_r(lifts, m, sizeof *lifts, by_lift, (void *)panel);
    size_t k = m < count ? m : count;
    for (size_t i = 0; i < k; i++)
        out[i] = lifts[i].film;
    free(lifts);
    return k;
}
