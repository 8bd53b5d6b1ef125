/* pipeline.c: the segmentation pipeline, stage by stage; see pipeline.h. */
#include "filmseg/pipeline.h"

#include "filmseg/clock.h"
#include "filmseg/table.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *STAGE_NAMES[STAGE_COUNT] = {"ratings matrix", "autoencoder", "features",
                                               "k-means sweep",  "classifier",  "stability"};

const char *stage_name(int stage)
{
    return stage >= 0 && stage < STAGE_COUNT ? STAGE_NAMES[stage] : "?";
}

void pipeline_options_seed(PipelineOptions *opts, uint64_t seed)
{
    opts->seed = seed;
    opts->ae.seed = seed;
    opts->kmeans.seed = seed;
    opts->classifier.seed = seed;
}

void pipeline_options_study(PipelineOptions *opts)
{
    memset(opts, 0, sizeof *opts);
    ae_options_default(&opts->ae);
    opts->ae.loss = AE_LOSS_STUDY;
    kmeans_options_default(&opts->kmeans);
    classifier_options_default(&opts->classifier);
    opts->features.norm = EMBED_NORM_L1;
    opts->features.demo_weight = -1;
    opts->k = 5;
    opts->kmax = 29;
    pipeline_options_seed(opts, 0);
}

const TrainingLimit TRAINING_LIMITS[TRAINING_SETTINGS] = {
    [TRAINING_K] = {"k", 2, KMEANS_MAX_K, true},
    [TRAINING_KMAX] = {"kmax", 2, KMEANS_MAX_K, true},
    [TRAINING_EPOCHS] = {"epochs", 1, 100000, true},
    [TRAINING_HIDDEN] = {"hidden", 2, 4096, true},
    [TRAINING_DEMO_WEIGHT] = {"demo-weight", 0, 1000, false},
    [TRAINING_SEED] = {"seed", 0, 2147483647.0, true},
    [TRAINING_STABILITY] = {"stability", 0, KMEANS_STABILITY_MAX_RESAMPLES, true},
    [TRAINING_GENRE_WEIGHT] = {"genre-weight", 0, 1000, false},
    [TRAINING_RECENCY] = {"recency", 0, 1000, false},
};

void pipeline_options_default(PipelineOptions *opts)
{
    pipeline_options_study(opts);
    opts->ae.loss = AE_LOSS_RATED;
    opts->features.norm = EMBED_NORM_L2;
    opts->features.demo_weight = 0.1;
    opts->features.recency = 12;
    opts->features.genre_weight = 0.6;
    opts->stability = 5;
}

static int fail(char *error, size_t size, int rc, const char *fmt, ...)
{
    if (rc == FS_CANCELLED) {
        snprintf(error, size, "cancelled");
        return rc;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
    return rc;
}

/* The ratings as model columns: the films anyone in the panel rated. */
typedef struct {
    uint32_t *row_start, *col;
    float *value;
    SparseRows rows;
} RatingMatrix;

static int build_matrix(const Panel *panel, Segmentation *seg, RatingMatrix *m)
{
    uint32_t *column_of = malloc((panel->n_films + 1) * sizeof *column_of);
    if (!column_of)
        return FS_ERROR;
    size_t n_films = 0;
    for (size_t f = 0; f < panel->n_films; f++)
        column_of[f] =
            panel->film_start[f + 1] > panel->film_start[f] ? (uint32_t)n_films++ : UINT32_MAX;
    seg->n_films = n_films;
    seg->n_users = panel->n_users;
    seg->film_ids = malloc((n_films + 1) * sizeof *seg->film_ids);
    seg->film_min = calloc(n_films + 1, sizeof *seg->film_min);
    seg->film_max = calloc(n_films + 1, sizeof *seg->film_max);
    seg->film_genres = calloc(n_films + 1, sizeof *seg->film_genres);
    seg->user_ids = malloc((panel->n_users + 1) * sizeof *seg->user_ids);
    m->row_start = malloc((panel->n_users + 1) * sizeof *m->row_start);
    m->col = malloc((panel->n_ratings + 1) * sizeof *m->col);
    m->value = malloc((panel->n_ratings + 1) * sizeof *m->value);
    if (!seg->film_ids || !seg->film_min || !seg->film_max || !seg->film_genres || !seg->user_ids ||
        !m->row_start || !m->col || !m->value) {
        free(column_of);
        return FS_ERROR;
    }
    for (size_t f = 0; f < panel->n_films; f++)
        if (column_of[f] != UINT32_MAX) {
            uint32_t j = column_of[f];
            seg->film_ids[j] = panel->films[f].id;
            seg->film_genres[j] = panel->films[f].genres;
            /* MinMaxScaler over the filled matrix: unrated cells are 0 */
            float lo = 1, hi = 0;
            size_t raters = panel->film_start[f + 1] - panel->film_start[f];
            for (uint32_t i = panel->film_start[f]; i < panel->film_start[f + 1]; i++) {
                float v = panel->film_half_stars[i] / 10.0f;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            seg->film_min[j] = raters < panel->n_users ? 0 : lo;
            seg->film_max[j] = hi;
        }
    for (size_t u = 0; u < panel->n_users; u++) {
        seg->user_ids[u] = panel->users[u].id;
        m->row_start[u] = panel->user_start[u];
        for (uint32_t i = panel->user_start[u]; i < panel->user_start[u + 1]; i++) {
            m->col[i] = column_of[panel->user_film[i]];
            m->value[i] = panel->user_half_stars[i] / 10.0f; /* rating / 5 */
        }
    }
    m->row_start[panel->n_users] = panel->user_start[panel->n_users];
    free(column_of);
    if (segmentation_index_films(seg) != FS_OK)
        return FS_ERROR;
    m->rows = (SparseRows){panel->n_users, n_films, m->row_start, m->col, m->value};
    return FS_OK;
}

/* Scratch for user_taste, for users of at most n ratings. */
typedef struct {
    float *recent;   /* (hidden) */
    float *weight;   /* (n) the ratings' recency weights */
    float *weighted; /* (n) the ratings times their weights */
    uint32_t *order; /* (2n) */
} TasteScratch;

static int taste_scratch_init(TasteScratch *s, size_t hidden, size_t n)
{
    s->recent = malloc((hidden + 1) * sizeof *s->recent);
    s->weight = malloc((n + 1) * sizeof *s->weight);
    s->weighted = malloc((n + 1) * sizeof *s->weighted);
    s->order = malloc((2 * n + 1) * sizeof *s->order);
    return s->recent && s->weight && s->weighted && s->order ? FS_OK : FS_ERROR;
}

static void taste_scratch_free(TasteScratch *s)
{
    free(s->recent);
    free(s->weight);
    free(s->weighted);
    free(s->order);
}

/* One user's taste from their n ratings: the embedding (hidden floats, not
 * yet normalised), the encoding of the ratings and, with a recency, blended
 * with the encoding of the same ratings weighted by recency_weights
 * (embeddings_blend_recent); and the genre taste (seg->n_genres floats,
 * features.h's genre_taste, with the same weights). The panel's users at
 * training and new users when scored go through here. */
static int user_taste(const Segmentation *seg, size_t n, const uint32_t *col, const float *value,
                      const uint32_t *time, TasteScratch *s, float *emb, float *genre)
{
    double recency = seg->options.features.recency;
    recency_weights(time, n, recency, s->order, s->weight); /* all 1 without a recency */
    if (seg->n_genres)
        genre_taste(seg->film_genres, seg->n_genres, n, col, value, s->weight, genre);
    int rc = ae_encode_one(&seg->ae, n, col, value, emb);
    if (rc != FS_OK || recency == 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        s->weighted[i] = s->weight[i] * value[i];
    rc = ae_encode_one(&seg->ae, n, col, s->weighted, s->recent);
    if (rc == FS_OK)
        embeddings_blend_recent(emb, s->recent, 1, seg->ae.hidden);
    return rc;
}

/* Every panel user's embedding (n_users x hidden) and genre taste (n_users x
 * n_genres), by user_taste. */
static int encode_panel(const Segmentation *seg, const Panel *panel, const RatingMatrix *m,
                        float *emb, float *genre)
{
    size_t most = 0; /* a user's ratings, at most */
    for (size_t u = 0; u < panel->n_users; u++) {
        size_t count = panel->user_start[u + 1] - panel->user_start[u];
        most = count > most ? count : most;
    }
    TasteScratch s = {0};
    int rc = taste_scratch_init(&s, seg->ae.hidden, most);
    for (size_t u = 0; rc == FS_OK && u < panel->n_users; u++) {
        uint32_t from = panel->user_start[u];
        rc = user_taste(seg, panel->user_start[u + 1] - from, m->col + from, m->value + from,
                        panel->user_time + from, &s, emb + u * seg->ae.hidden,
                        genre + u * seg->n_genres);
    }
    taste_scratch_free(&s);
    return rc;
}

static void free_matrix(RatingMatrix *m)
{
    free(m->row_start);
    free(m->col);
    free(m->value);
}

size_t segmentation_classifier_width(const Segmentation *seg)
{
    return demo_encoding_width(&seg->demo) + seg->n_films;
}

void segmentation_classifier_row(const Segmentation *seg, const Panel *panel, const PanelUser *user,
                                 size_t n, const uint32_t *col, const float *value, float *row)
{
    size_t demo = demo_encoding_width(&seg->demo);
    memset(row, 0, segmentation_classifier_width(seg) * sizeof *row);
    demo_encode(&seg->demo, panel, user, row);
    float *ratings = row + demo;
    for (size_t j = 0; j < seg->n_films; j++) /* unrated films: (0 - min) / range */
        if (seg->film_min[j] > 0 && seg->film_max[j] > seg->film_min[j])
            ratings[j] = -seg->film_min[j] / (seg->film_max[j] - seg->film_min[j]);
    for (size_t i = 0; i < n; i++) {
        uint32_t j = col[i];
        float range = seg->film_max[j] - seg->film_min[j];
        float v = range > 0 ? (value[i] - seg->film_min[j]) / range : 0;
        ratings[j] = v < 0 ? 0 : v > 1 ? 1 : v; /* new users may exceed the training range */
    }
}

int segmentation_feature_row(const Segmentation *seg, const Panel *panel, const PanelUser *user,
                             size_t n, const uint32_t *col, const float *value,
                             const uint32_t *time, float *row)
{
    size_t hidden = seg->ae.hidden, demo_w = demo_encoding_width(&seg->demo);
    float *emb = malloc((hidden + seg->n_genres + demo_w + 1) * sizeof *emb);
    TasteScratch s = {0};
    int rc = emb && taste_scratch_init(&s, hidden, n) == FS_OK ? FS_OK : FS_ERROR;
    float *genre = rc == FS_OK ? emb + hidden : NULL;
    if (rc == FS_OK)
        rc = user_taste(seg, n, col, value, time, &s, emb, genre);
    if (rc == FS_OK) {
        float *demo = genre + seg->n_genres;
        embeddings_normalise(emb, 1, hidden, seg->scaling.norm);
        demo_encode(&seg->demo, panel, user, demo);
        features_row(emb, genre, demo, &seg->scaling, row);
    }
    taste_scratch_free(&s);
    free(emb);
    return rc;
}

size_t segmentation_user_ratings(const Segmentation *seg, const Panel *panel, size_t u,
                                 uint32_t *col, float *value, uint32_t *time_out)
{
    size_t n = 0;
    for (uint32_t i = panel->user_start[u]; i < panel->user_start[u + 1]; i++) {
        long j = idindex_get(&seg->film_index, panel->films[panel->user_film[i]].id);
        if (j >= 0) {
            if (time_out)
                time_out[n] = panel->user_time[i];
            col[n] = (uint32_t)j;
            value[n++] = seg->half_stars_rounded ? panel_stars(panel->user_half_stars[i]) / 5.0f
                                                 : panel->user_half_stars[i] / 10.0f;
        }
    }
    return n;
}

int segmentation_index_films(Segmentation *seg)
{
    idindex_free(&seg->film_index);
    if (!idindex_init(&seg->film_index, seg->n_films))
        return FS_ERROR;
    for (size_t j = 0; j < seg->n_films; j++)
        idindex_put(&seg->film_index, seg->film_ids[j], (uint32_t)j, NULL);
    return FS_OK;
}

const int32_t *segmentation_labels(const Segmentation *seg, int k)
{
    if (!seg->sweep.results || k < 1 || k > seg->sweep.kmax)
        return NULL;
    return seg->sweep.results[k - 1].labels;
}

long segmentation_panel_labels(const Segmentation *seg, int k, const Panel *panel, int32_t *labels)
{
    const int32_t *model_labels = segmentation_labels(seg, k);
    if (!model_labels)
        return -1;
    for (size_t u = 0; u < panel->n_users; u++)
        labels[u] = -1;
    long matched = 0;
    for (size_t i = 0; i < seg->n_users; i++) {
        long u = panel_user_index(panel, seg->user_ids[i]);
        if (u >= 0) {
            labels[u] = model_labels[i];
            matched++;
        }
    }
    return matched;
}

/* The model numbers genres as its training panel did, and the 1M and CSV
 * loaders number them in the order the films file first names them, so the
 * same panel with its films listed in another order numbers them otherwise.
 * Model and panel genres are paired one to one, the pairs whose films (of
 * those in both) are most nearly the same first, by Jaccard index, a tie
 * going to the same number (two genres on the same films stay apart; two
 * merged into one leave one unpaired): match[g] is the panel genre of model
 * genre g, -1 when none is left with a film in common. */
static void genres_matched(const Segmentation *seg, const Panel *panel, int match[32])
{
    double both[32][32] = {{0}}, model_count[32] = {0}, panel_count[32] = {0};
    for (size_t j = 0; j < seg->n_films; j++) {
        long f = panel_film_index(panel, seg->film_ids[j]);
        if (f < 0)
            continue;
        for (uint32_t m = seg->film_genres[j]; m; m &= m - 1) {
            model_count[__builtin_ctz(m)]++;
            for (uint32_t p = panel->films[f].genres; p; p &= p - 1)
                both[__builtin_ctz(m)][__builtin_ctz(p)]++;
        }
        for (uint32_t p = panel->films[f].genres; p; p &= p - 1)
            panel_count[__builtin_ctz(p)]++;
    }
    double jaccard[32][32];
    for (int g = 0; g < 32; g++)
        for (int h = 0; h < 32; h++)
            jaccard[g][h] =
                both[g][h] > 0 ? both[g][h] / (model_count[g] + panel_count[h] - both[g][h]) : 0;
    bool panel_taken[32] = {false};
    for (int g = 0; g < 32; g++)
        match[g] = -1;
    for (;;) { /* the best pair left, until none has a film in common */
        int best_g = -1, best_h = -1;
        for (int g = 0; g < 32; g++)
            for (int h = 0; h < 32; h++) {
                if (match[g] >= 0 || panel_taken[h] || jaccard[g][h] <= 0)
                    continue;
                double j = jaccard[g][h], best = best_g < 0 ? 0 : jaccard[best_g][best_h];
                if (best_g < 0 || j > best || (j == best && g == h && best_g != best_h)) {
                    best_g = g;
                    best_h = h;
                }
            }
        if (best_g < 0)
            break;
        match[best_g] = best_h;
        panel_taken[best_h] = true;
    }
}

bool segmentation_zips_differ(const Segmentation *seg, const Panel *panel, char *trained, char *now,
                              size_t size)
{
    if (!seg->trained_with.known || !seg->demo.has_demographics)
        return false;
    if (seg->trained_with.zip_list == panel->zip_list &&
        (!panel->zip_list || seg->trained_with.zip_count == panel->zip_count))
        return false;
    char count[32];
    if (seg->trained_with.zip_list)
        snprintf(trained, size, "the ZIP list %s (%s codes)", seg->trained_with.zip_name,
                 format_thousands(seg->trained_with.zip_count, count, sizeof count));
    else
        snprintf(trained, size, "the built-in ZIP-prefix table");
    if (panel->zip_list)
        snprintf(now, size, "a list of %s codes",
                 format_thousands(panel->zip_count, count, sizeof count));
    else
        snprintf(now, size, "the built-in table");
    return true;
}

const char *segmentation_zips_advice(const Segmentation *seg)
{
    return seg->trained_with.zip_list ? "give the training's --zips"
                                      : "leave --zips out, as the training did";
}

int segmentation_panel_check(const Segmentation *seg, const Panel *panel, char *error,
                             size_t error_size)
{
    bool model_has_genres = false;
    for (size_t j = 0; j < seg->n_films && !model_has_genres; j++)
        model_has_genres = seg->film_genres[j] != 0;
    int match[32];
    genres_matched(seg, panel, match);
    size_t same = 0;
    for (size_t j = 0; j < seg->n_films; j++) {
        long f = panel_film_index(panel, seg->film_ids[j]);
        if (f < 0)
            continue;
        uint32_t genres = 0; /* the model's genres of the film, in the panel's numbering */
        for (uint32_t m = seg->film_genres[j]; m; m &= m - 1) {
            int h = match[__builtin_ctz(m)];
            genres |= h >= 0 ? 1u << h : 0;
        }
        if (!model_has_genres || panel->films[f].genres == genres)
            same++;
    }
    /* a film or two re-tagged is the same panel; a panel of other films is not */
    if (same * 10 < seg->n_films * 9) {
        snprintf(error, error_size,
                 "the panel (%s) is not the one the model was trained on: %zu of the model's "
                 "%zu films are in it%s; give the training panel with --data (and `filmseg "
                 "score` assigns new users)",
                 panel->source, same, seg->n_films,
                 model_has_genres ? " with the same genres" : "");
        return FS_ERROR;
    }
    /* states from a list in training and from the built-in table now, or
     * the other way round (a --zips forgotten or added): other users kept,
     * other states, so other figures under the model's segments */
    char trained[160], now[160];
    if (segmentation_zips_differ(seg, panel, trained, now, sizeof trained) &&
        seg->trained_with.zip_list != panel->zip_list) {
        snprintf(error, error_size,
                 "its users' states came from %s in training, this panel's from %s: the "
                 "segments would be described with other states and other users; %s",
                 trained, now, segmentation_zips_advice(seg));
        return FS_ERROR;
    }
    size_t matched = 0;
    for (size_t i = 0; i < seg->n_users; i++)
        matched += panel_user_index(panel, seg->user_ids[i]) >= 0;
    if (matched == 0) {
        snprintf(error, error_size,
                 "none of the %zu users of the panel (%s) is in the model (users are matched by "
                 "id); give the training panel with --data (and `filmseg score` assigns new "
                 "users)",
                 panel->n_users, panel->source);
        return FS_ERROR;
    }
    return FS_OK;
}

/* Whether k segments of n users leave the classifier a segment of two users
 * to hold one out for validation; false with the reason in error. */
static bool k_leaves_validation(size_t n, int k, char *error, size_t error_size)
{
    if ((size_t)k < n)
        return true;
    snprintf(error, error_size,
             "the panel has %zu users: k %d leaves the classifier no segment of two users "
             "to hold one out for validation (choose k below %zu)",
             n, k, n);
    return false;
}

/* The classifier's inputs of the model's users, in CSR form (one dense row at
 * a time: a users x films matrix of floats would not fit for large panels),
 * each user found in the panel by id; FS_ERROR (with the reason) when the
 * panel lacks one or memory runs out. */
static int classifier_inputs(const Segmentation *seg, const Panel *panel, size_t **row_start_out,
                             uint32_t **col_out, float **value_out, char *error, size_t error_size)
{
    size_t n = seg->n_users, width = segmentation_classifier_width(seg), nnz = 0;
    size_t cap = panel->n_ratings + n * 8 + 16, most = seg->n_films; /* ratings a user has */
    float *row = malloc(width * sizeof *row), *value = malloc(cap * sizeof *value);
    float *rated_value = malloc((most + 1) * sizeof *rated_value);
    uint32_t *col = malloc(cap * sizeof *col), *rated_col = malloc((most + 1) * sizeof *rated_col);
    size_t *row_start = malloc((n + 1) * sizeof *row_start), missing = 0;
    int rc = row && value && rated_value && col && rated_col && row_start ? FS_OK : FS_ERROR;
    if (rc != FS_OK)
        snprintf(error, error_size, "out of memory building the classifier's inputs");
    for (size_t i = 0; rc == FS_OK && i < n; i++) {
        long u = panel_user_index(panel, seg->user_ids[i]);
        row_start[i] = nnz;
        if (u < 0) {
            missing++;
            continue;
        }
        size_t count =
            segmentation_user_ratings(seg, panel, (size_t)u, rated_col, rated_value, NULL);
        segmentation_classifier_row(seg, panel, &panel->users[u], count, rated_col, rated_value,
                                    row);
        for (size_t j = 0; j < width; j++) {
            if (row[j] == 0.0f)
                continue;
            if (nnz == cap) {
                cap *= 2;
                float *v2 = realloc(value, cap * sizeof *value);
                if (v2)
                    value = v2;
                uint32_t *c2 = realloc(col, cap * sizeof *col);
                if (c2)
                    col = c2;
                if (!v2 || !c2) {
                    snprintf(error, error_size, "out of memory building the classifier's inputs");
                    rc = FS_ERROR;
                    break;
                }
            }
            col[nnz] = (uint32_t)j;
            value[nnz++] = row[j];
        }
    }
    if (rc == FS_OK && missing > 0) {
        snprintf(error, error_size,
                 "the panel lacks %zu of the model's %zu users: their classifier inputs are "
                 "unknown",
                 missing, n);
        rc = FS_ERROR;
    }
    free(row);
    free(rated_value);
    free(rated_col);
    if (rc != FS_OK) {
        free(value);
        free(col);
        free(row_start);
        return rc;
    }
    row_start[n] = nnz;
    *row_start_out = row_start;
    *col_out = col;
    *value_out = value;
    return FS_OK;
}

int segmentation_train_classifier(const Segmentation *seg, const Panel *panel, int k,
                                  const Progress *progress, Classifier *classifier,
                                  ClassifierReport *report, char *error, size_t error_size)
{
    memset(classifier, 0, sizeof *classifier);
    memset(report, 0, sizeof *report);
    const int32_t *labels = segmentation_labels(seg, k);
    if (!labels || k < 2) {
        snprintf(error, error_size, "k must be 2..%d (k %d)", seg->sweep.kmax, k);
        return FS_ERROR;
    }
    if (!k_leaves_validation(seg->n_users, k, error, error_size))
        return FS_ERROR;
    size_t *row_start;
    uint32_t *col;
    float *value;
    if (classifier_inputs(seg, panel, &row_start, &col, &value, error, error_size) != FS_OK)
        return FS_ERROR;
    int rc = classifier_train_csr(classifier, row_start, col, value, seg->n_users,
                                  segmentation_classifier_width(seg), labels, k,
                                  &seg->options.classifier, progress, report);
    free(row_start);
    free(col);
    free(value);
    return rc == FS_OK ? rc : fail(error, error_size, rc, "the classifier could not be trained");
}

static void report_stage(const Progress *progress, int stage)
{
    ProgressEvent ev = {.stage = stage,
                        .step = 0,
                        .steps = 0,
                        .loss = NAN,
                        .val_loss = NAN,
                        .metric = NAN,
                        .val_metric = NAN};
    progress_report(progress, &ev);
}

int pipeline_run(const Panel *panel, const PipelineOptions *opts, const Progress *progress,
                 Segmentation *seg, char *error, size_t error_size)
{
    memset(seg, 0, sizeof *seg);
    seg->options = *opts;
    seg->trained_with.known = true;
    seg->trained_with.ages_banded = panel->ages_banded;
    seg->trained_with.zip_list = panel->zip_list;
    seg->trained_with.zip_count = panel->zip_count;
    const char *slash = strrchr(panel->zip_source, '/');
    snprintf(seg->trained_with.zip_name, sizeof seg->trained_with.zip_name, "%.63s",
             slash ? slash + 1 : panel->zip_source);
    int rc;
    if (opts->kmax < 1 || opts->k < 2 || opts->k > opts->kmax) {
        snprintf(error, error_size, "k must be 2..kmax (k %d, kmax %d)", opts->k, opts->kmax);
        return FS_ERROR;
    }
    if (panel->n_users < 10) {
        snprintf(error, error_size, "the panel has %zu users: training needs at least 10",
                 panel->n_users);
        return FS_ERROR;
    }
    if ((size_t)opts->kmax > panel->n_users) {
        snprintf(error, error_size, "the panel has %zu users: too few for kmax %d", panel->n_users,
                 opts->kmax);
        return FS_ERROR;
    }
    if (!k_leaves_validation(panel->n_users, opts->k, error, error_size))
        return FS_ERROR;
    if (opts->stability < 0 || opts->stability > KMEANS_STABILITY_MAX_RESAMPLES) {
        snprintf(error, error_size, "stability resamples must be 0..%d (%d)",
                 KMEANS_STABILITY_MAX_RESAMPLES, opts->stability);
        return FS_ERROR;
    }
    if (opts->stability > 0 && (size_t)opts->kmax > kmeans_stability_points(panel->n_users)) {
        snprintf(error, error_size,
                 "the panel has %zu users: too few to measure stability up to kmax %d on %zu "
                 "of them (lower kmax, or no stability)",
                 panel->n_users, opts->kmax, kmeans_stability_points(panel->n_users));
        return FS_ERROR;
    }
    /* (after what the panel allows, which says more on a small one) */
    if (opts->kmax > KMEANS_MAX_K) {
        snprintf(error, error_size, "kmax must be at most %d (%d)", KMEANS_MAX_K, opts->kmax);
        return FS_ERROR;
    }

    double t = monotonic_seconds();
    report_stage(progress, STAGE_MATRIX);
    RatingMatrix m = {0};
    float *features = NULL; /* the users' feature rows, until the stability is measured */
    if (build_matrix(panel, seg, &m) != FS_OK) {
        rc = fail(error, error_size, FS_ERROR, "out of memory building the ratings matrix");
        goto done;
    }
    seg->seconds[STAGE_MATRIX] = monotonic_seconds() - t;

    t = monotonic_seconds();
    report_stage(progress, STAGE_AUTOENCODER);
    rc = ae_train(&seg->ae, &m.rows, &opts->ae, progress, &seg->ae_report);
    if (rc != FS_OK) {
        rc = fail(error, error_size, rc, "the autoencoder could not be trained");
        goto done;
    }
    seg->seconds[STAGE_AUTOENCODER] = monotonic_seconds() - t;

    t = monotonic_seconds();
    report_stage(progress, STAGE_FEATURES);
    size_t n = panel->n_users, hidden = seg->ae.hidden;
    seg->n_genres = opts->features.genre_weight > 0 ? panel->n_genres : 0;
    float *emb = malloc(n * hidden * sizeof *emb), *demo = NULL;
    float *genre = malloc((n * seg->n_genres + 1) * sizeof *genre);
    rc = emb && genre && demo_encoding_fit(&seg->demo, panel) == FS_OK ? FS_OK : FS_ERROR;
    size_t demo_w = demo_encoding_width(&seg->demo);
    if (rc == FS_OK && (demo = malloc((n * demo_w + 1) * sizeof *demo)) == NULL)
        rc = FS_ERROR;
    if (rc == FS_OK)
        rc = encode_panel(seg, panel, &m, emb, genre);
    if (rc == FS_OK) {
        embeddings_normalise(emb, n, hidden, opts->features.norm);
        for (size_t u = 0; u < n; u++)
            demo_encode(&seg->demo, panel, &panel->users[u], demo + u * demo_w);
        rc = features_build(emb, genre, demo, n, hidden, seg->n_genres, demo_w, &opts->features,
                            &seg->scaling, &features);
    }
    free(emb);
    free(genre);
    free(demo);
    if (rc != FS_OK) {
        rc = fail(error, error_size, rc, "out of memory building the features");
        goto done;
    }
    seg->dim = hidden + seg->n_genres + demo_w;
    seg->seconds[STAGE_FEATURES] = monotonic_seconds() - t;

    t = monotonic_seconds();
    report_stage(progress, STAGE_SWEEP);
    rc = kmeans_sweep(features, n, seg->dim, opts->kmax, &opts->kmeans, progress, &seg->sweep);
    if (rc != FS_OK) {
        rc = fail(error, error_size, rc, "the k-means sweep failed");
        goto done;
    }
    seg->k = opts->k;
    seg->seconds[STAGE_SWEEP] = monotonic_seconds() - t;

    t = monotonic_seconds();
    report_stage(progress, STAGE_CLASSIFIER);
    rc = segmentation_train_classifier(seg, panel, seg->k, progress, &seg->classifier,
                                       &seg->classifier_report, error, error_size);
    if (rc != FS_OK)
        goto done;
    seg->seconds[STAGE_CLASSIFIER] = monotonic_seconds() - t;

    if (opts->stability > 0) {
        t = monotonic_seconds();
        report_stage(progress, STAGE_STABILITY);
        rc = kmeans_sweep_stability(features, n, seg->dim, &opts->kmeans, opts->stability, progress,
                                    &seg->sweep);
        if (rc == FS_CANCELLED && progress_keep_done(progress))
            rc = FS_OK; /* the run is done but for its stability: kept */
        if (rc != FS_OK) {
            rc = fail(error, error_size, rc, "the stability of the segments could not be measured");
            goto done;
        }
        seg->seconds[STAGE_STABILITY] = monotonic_seconds() - t;
    }

done:
    free(features);
    free_matrix(&m);
    if (rc != FS_OK)
        segmentation_free(seg);
    return rc;
}

int segmentation_stability_refits(const Segmentation *seg)
{
    return seg->sweep.stability ? seg->sweep.stability_resamples : 0;
}

bool segmentation_stability_stopped(const Segmentation *seg)
{
    return segmentation_stability_refits(seg) < seg->options.stability;
}

void segmentation_free(Segmentation *seg)
{
    free(seg->user_ids);
    free(seg->film_ids);
    free(seg->film_min);
    free(seg->film_genres);
    free(seg->film_max);
    idindex_free(&seg->film_index);
    ae_free(&seg->ae);
    ae_report_free(&seg->ae_report);
    demo_encoding_free(&seg->demo);
    kmeans_sweep_free(&seg->sweep);
    classifier_free(&seg->classifier);
    classifier_report_free(&seg->classifier_report);
    memset(seg, 0, sizeof *seg);
}
