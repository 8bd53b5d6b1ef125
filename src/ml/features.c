/* features.c: taste embeddings joined with demographics for clustering; see
 * features.h. */
#include "filmseg/features.h"

#include "filmseg/progress.h"
#include "filmseg/states.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int demo_encoding_fit(DemoEncoding *enc, const Panel *panel)
{
    memset(enc, 0, sizeof *enc);
    enc->has_demographics = panel->has_demographics;
    enc->age_std = 1;
    if (!panel->has_demographics)
        return FS_OK;
    double sum = 0, sum_sq = 0;
    size_t n = panel->n_users;
    bool occ_used[UINT16_MAX + 1] = {0}, state_used[PANEL_MAX_STATES] = {0};
    for (size_t u = 0; u < n; u++) {
        sum += panel->users[u].age;
        occ_used[panel->users[u].occupation] = true;
        state_used[panel->users[u].state] = true;
    }
    enc->age_mean = n ? sum / (double)n : 0;
    for (size_t u = 0; u < n; u++)
        sum_sq += (panel->users[u].age - enc->age_mean) * (panel->users[u].age - enc->age_mean);
    /* pandas' std (n - 1), as the study's peer standardises */
    enc->age_std = n > 1 ? sqrt(sum_sq / (double)(n - 1)) : 1;
    if (!(enc->age_std > 0))
        enc->age_std = 1;
    enc->occupations = calloc(panel->n_occupations + 1, sizeof *enc->occupations);
    enc->states = calloc(PANEL_MAX_STATES, 1);
    if (!enc->occupations || !enc->states) {
        demo_encoding_free(enc);
        return FS_ERROR;
    }
    for (size_t i = 0; i < panel->n_occupations; i++)
        if (occ_used[i] &&
            !(enc->occupations[enc->n_occupations++] = strdup(panel->occupations[i]))) {
            demo_encoding_free(enc);
            return FS_ERROR;
        }
    /* states in code order, unknown (0) left out: its users get zeros */
    for (size_t s = 1; s < state_count() && s < PANEL_MAX_STATES; s++)
        if (state_used[s])
            enc->states[enc->n_states++] = (uint8_t)s;
    return FS_OK;
}

void demo_encoding_free(DemoEncoding *enc)
{
    for (size_t i = 0; enc->occupations && i < enc->n_occupations; i++)
        free(enc->occupations[i]);
    free(enc->occupations);
    free(enc->states);
    memset(enc, 0, sizeof *enc);
}

size_t demo_encoding_width(const DemoEncoding *enc)
{
    return enc->has_demographics ? 2 + enc->n_occupations + enc->n_states : 0;
}

int demo_encoding_occupation(const DemoEncoding *enc, const char *occupation)
{
    int alike = -1;
    for (size_t i = 0; i < enc->n_occupations; i++) {
        if (strcmp(enc->occupations[i], occupation) == 0)
            return (int)i;
        if (alike < 0 && strcasecmp(enc->occupations[i], occupation) == 0)
            alike = (int)i;
    }
    return alike;
}

int demo_encoding_state(const DemoEncoding *enc, int state)
{
    for (size_t s = 0; s < enc->n_states; s++)
        if (enc->states[s] == state)
            return (int)s;
    return -1;
}

void demo_encode(const DemoEncoding *enc, const Panel *panel, const PanelUser *user, float *out)
{
    size_t width = demo_encoding_width(enc);
    if (!width)
        return;
    memset(out, 0, width * sizeof *out);
    /* unknown (a user to score with that field missing): the mean age, and
     * half way between the genders */
    out[0] = user->age < 0 ? 0.0f : (float)((user->age - enc->age_mean) / enc->age_std);
    out[1] = user->gender == 'M' ? 1.0f : user->gender == 'F' ? 0.0f : 0.5f;
    const char *occupation =
        user->occupation < panel->n_occupations ? panel->occupations[user->occupation] : "";
    int column = *occupation ? demo_encoding_occupation(enc, occupation) : -1;
    if (column >= 0)
        out[2 + column] = 1;
    int state = demo_encoding_state(enc, user->state);
    if (state >= 0)
        out[2 + enc->n_occupations + (size_t)state] = 1;
}

/* qsort's comparison for recency_weights: (time, index) pairs, in order. */
static int cmp_time_index(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

void recency_weights(const uint32_t *time, size_t n, double recency, uint32_t *scratch,
                     float *weight)
{
    /* a rating of no known time (0: a scored survey's, a release without
     * times) has no place in the order: then all weigh alike */
    bool known = time != NULL;
    for (size_t i = 0; known && i < n; i++)
        known = time[i] != 0;
    if (recency == 0 || n < 2 || !known) {
        for (size_t i = 0; i < n; i++)
            weight[i] = 1.0f;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        scratch[2 * i] = time[i];
        scratch[2 * i + 1] = (uint32_t)i;
    }
    qsort(scratch, n, 2 * sizeof *scratch, cmp_time_index);
    for (size_t rank = 0; rank < n; rank++) {
        double q = (double)rank / (double)(n - 1);
        weight[scratch[2 * rank + 1]] = (float)exp(recency * (q - 1.0));
    }
}

void embeddings_blend_recent(float *emb, float *recent, size_t n, size_t dim)
{
    embeddings_normalise(emb, n, dim, EMBED_NORM_L2);
    embeddings_normalise(recent, n, dim, EMBED_NORM_L2);
    for (size_t i = 0; i < n * dim; i++)
        emb[i] += recent[i];
}

void embeddings_normalise(float *emb, size_t n, size_t dim, EmbedNorm norm)
{
    for (size_t i = 0; i < n; i++) {
        float *row = emb + i * dim;
        double total = 0;
        for (size_t j = 0; j < dim; j++)
            total += norm == EMBED_NORM_L1 ? fabs(row[j]) : (double)row[j] * row[j];
        if (norm == EMBED_NORM_L2)
            total = sqrt(total);
        if (total > 0)
            for (size_t j = 0; j < dim; j++)
                row[j] = (float)(row[j] / total);
    }
}

/* The mean and variance of column j of a block (n rows, row stride ld). */
static void column_moments(const float *x, size_t n, size_t ld, size_t j, double *mean,
                           double *variance)
{
    double m = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i * ld + j];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (x[i * ld + j] - m) * (x[i * ld + j] - m);
    *mean = m;
    *variance = sq / (double)n;
}

/* Sum of the column variances of a block (n x dim, row stride ld). */
static double total_variance(const float *x, size_t n, size_t dim, size_t ld)
{
    double total = 0, mean, variance;
    for (size_t j = 0; j < dim; j++) {
        column_moments(x, n, ld, j, &mean, &variance);
        total += variance;
    }
    return total;
}

void genre_taste(const uint32_t *film_genres, size_t n_genres, size_t n, const uint32_t *col,
                 const float *value, const float *weight, float *out)
{
    double all[PANEL_MAX_GENRES] = {0}, recent[PANEL_MAX_GENRES] = {0}, all_sum = 0, recent_sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (value[i] * 10 < 6.5f) /* below 3.5 stars: not a like */
            continue;
        for (uint32_t bits = film_genres[col[i]]; bits; bits &= bits - 1) {
            int g = __builtin_ctz(bits);
            if ((size_t)g >= n_genres)
                continue;
            all[g] += 1;
            recent[g] += weight[i];
            all_sum += 1;
            recent_sum += weight[i];
        }
    }
    for (size_t g = 0; g < n_genres; g++)
        out[g] = (float)(((all_sum > 0 ? all[g] / all_sum : 0) +
                          (recent_sum > 0 ? recent[g] / recent_sum : 0)) /
                         2);
}

int features_build(const float *emb, const float *genre, const float *demo, size_t n,
                   size_t taste_dim, size_t genre_dim, size_t demo_dim, const FeatureOptions *opts,
                   FeatureScaling *scaling, float **out)
{
    *out = NULL;
    if (n == 0 || genre_dim > PANEL_MAX_GENRES)
        return FS_ERROR;
    size_t d = taste_dim + genre_dim + demo_dim;
    double v_taste = total_variance(emb, n, taste_dim, taste_dim);
    double v_demo = demo_dim ? total_variance(demo, n, demo_dim, demo_dim) : 0;
    memset(scaling, 0, sizeof *scaling);
    scaling->norm = opts->norm;
    scaling->demo_weight = opts->demo_weight;
    scaling->taste_dim = taste_dim;
    scaling->genre_dim = genre_dim;
    scaling->demo_dim = demo_dim;
    if (opts->demo_weight < 0) { /* the study's join */
        scaling->taste_scale = scaling->demo_scale = 1;
    } else {
        scaling->taste_scale = v_taste > 0 ? 1 / sqrt(v_taste) : 1;
        scaling->demo_scale = v_demo > 0 ? sqrt(opts->demo_weight / v_demo) : 0;
    }
    /* genre columns standardised, the block's total variance genre_weight */
    size_t varied = 0;
    double sd[PANEL_MAX_GENRES] = {0};
    for (size_t g = 0; g < genre_dim; g++) {
        double mean, variance;
        column_moments(genre, n, genre_dim, g, &mean, &variance);
        scaling->genre_mean[g] = (float)mean;
        sd[g] = sqrt(variance);
        varied += sd[g] > 0;
    }
    double v_genre = 0;
    for (size_t g = 0; g < genre_dim; g++)
        if (sd[g] > 0 && opts->genre_weight > 0) {
            scaling->genre_scale[g] = (float)(sqrt(opts->genre_weight / (double)varied) / sd[g]);
            v_genre += opts->genre_weight / (double)varied;
        }
    double t = v_taste * scaling->taste_scale * scaling->taste_scale;
    double dm = v_demo * scaling->demo_scale * scaling->demo_scale;
    scaling->taste_variance_share = t + v_genre + dm > 0 ? t / (t + v_genre + dm) : 1;
    scaling->genre_variance_share = t + v_genre + dm > 0 ? v_genre / (t + v_genre + dm) : 0;
    float *x = malloc(n * d * sizeof *x);
    if (!x)
        return FS_ERROR;
    for (size_t i = 0; i < n; i++)
        features_row(emb + i * taste_dim, genre_dim ? genre + i * genre_dim : NULL,
                     demo_dim ? demo + i * demo_dim : NULL, scaling, x + i * d);
    *out = x;
    return FS_OK;
}

void features_row(const float *emb, const float *genre, const float *demo,
                  const FeatureScaling *scaling, float *out)
{
    for (size_t j = 0; j < scaling->taste_dim; j++)
        out[j] = (float)(emb[j] * scaling->taste_scale);
    out += scaling->taste_dim;
    for (size_t g = 0; g < scaling->genre_dim; g++)
        out[g] = (genre[g] - scaling->genre_mean[g]) * scaling->genre_scale[g];
    out += scaling->genre_dim;
    for (size_t j = 0; j < scaling->demo_dim; j++)
        out[j] = (float)(demo[j] * scaling->demo_scale);
}
