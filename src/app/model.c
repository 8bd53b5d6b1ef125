/* model.c: writing and reading the model file; see model.h for the layout.
 * The payload is a flat sequence of fields; Writer appends them to a growing
 * buffer and Reader takes them back with a bounds check on every read. */
#include "filmseg/model.h"

#include "filmseg/arrays.h"
#include "filmseg/atomic_file.h"
#include "filmseg/bigalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t MAGIC[8] = {'F', 'I', 'L', 'M', 'S', 'E', 'G', 0x1a};
enum { HEADER_SIZE = 24, TRAILER_SIZE = 8 };

uint64_t model_checksum(const uint8_t *buf, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= buf[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- writing ---- */

/* A buffer of cap bytes, or (counting) only the length it would take: the
 * encoder runs once to size the file, then fills one buffer on 2 MiB pages
 * (big_alloc), each first touch of a 4 KiB page being a costly fault here. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
    bool oom, counting;
} Writer;

static void put(Writer *w, const void *data, size_t n)
{
    if (!w->counting && !w->oom && n > w->cap - w->len)
        w->oom = true; /* more than the first pass counted: cannot happen */
    if (!w->counting && !w->oom && n)
        memcpy(w->buf + w->len, data, n);
    w->len += n;
}

/* x86-64 and every target we build for are little-endian: fields are stored
 * as they are in memory. */
static void put_u8(Writer *w, uint8_t v)
{
    put(w, &v, 1);
}
static void put_u32(Writer *w, uint32_t v)
{
    put(w, &v, 4);
}
static void put_u64(Writer *w, uint64_t v)
{
    put(w, &v, 8);
}
static void put_f64(Writer *w, double v)
{
    put(w, &v, 8);
}
static void put_f32s(Writer *w, const float *v, size_t n)
{
    put(w, v, n * sizeof *v);
}
static void put_f64s(Writer *w, const double *v, size_t n)
{
    put(w, v, n * sizeof *v);
}
static void put_i32s(Writer *w, const int32_t *v, size_t n)
{
    put(w, v, n * sizeof *v);
}
static void put_string(Writer *w, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    put_u32(w, n);
    put(w, s, n);
}

static void put_settings(Writer *w, const PipelineOptions *o)
{
    put_u32(w, (uint32_t)o->k);
    put_u32(w, (uint32_t)o->kmax);
    put_u64(w, o->seed);
    put_u32(w, (uint32_t)o->ae.hidden);
    put_u32(w, (uint32_t)o->ae.epochs);
    put_u32(w, (uint32_t)o->ae.batch);
    put_u32(w, (uint32_t)o->ae.loss);
    put_f64(w, o->ae.lr);
    put_u32(w, (uint32_t)o->features.norm);
    put_f64(w, o->features.demo_weight);
    put_u32(w, (uint32_t)o->kmeans.restarts);
    put_u32(w, (uint32_t)o->kmeans.max_iter);
    put_f64(w, o->kmeans.tol);
    put_u32(w, (uint32_t)o->classifier.hidden1);
    put_u32(w, (uint32_t)o->classifier.hidden2);
    put_u32(w, (uint32_t)o->classifier.epochs);
    put_f64(w, o->features.recency);
    put_u32(w, (uint32_t)o->stability);
    put_f64(w, o->features.genre_weight);
}

/* The version a model is saved as: the one it was read as when the
 * newer one would say more than it knows (half stars rounded: 6; the other
 * settings not recorded: 7). */
static uint32_t model_version_written(const Segmentation *seg)
{
    return seg->half_stars_rounded    ? MODEL_VERSION_HALF_STARS_ROUNDED
           : seg->settings_unrecorded ? MODEL_VERSION_SETTINGS_UNRECORDED
                                      : MODEL_VERSION;
}

/* The settings version 8 added, last in the file: the autoencoder's and the
 * classifier's others, so that a retrain from the file is the same run. */
static void put_other_settings(Writer *w, const PipelineOptions *o)
{
    const AeOptions *ae = &o->ae;
    put_f64(w, ae->unrated_share);
    put_f64(w, ae->unrated_weight);
    put_f64(w, ae->val_share);
    put_f64(w, ae->heldout_share);
    put_f64(w, ae->input_dropout);
    put_f64(w, ae->weight_decay);
    put_f64(w, ae->implicit_weight);
    put_f64(w, ae->implicit_negatives);
    const ClassifierOptions *c = &o->classifier;
    put_u32(w, (uint32_t)c->batch);
    put_u32(w, (uint32_t)c->plateau_patience);
    put_u32(w, (uint32_t)c->stop_patience);
    put_f64(w, c->lr);
    put_f64(w, c->l1);
    put_f64(w, c->l2);
    put_f64(w, c->val_share);
}

/* The model file but for its checksum. */
static void encode_body(Writer *w, const Segmentation *seg)
{
    put(w, MAGIC, 8);
    put_u32(w, model_version_written(seg));
    put_u32(w, 0);
    put_u64(w, 0); /* payload length, filled in below */

    put_settings(w, &seg->options);
    /* users and films */
    put_u64(w, seg->n_users);
    put_i32s(w, seg->user_ids, seg->n_users);
    put_u64(w, seg->n_films);
    put_i32s(w, seg->film_ids, seg->n_films);
    put_f32s(w, seg->film_min, seg->n_films);
    put_f32s(w, seg->film_max, seg->n_films);
    put(w, seg->film_genres, seg->n_films * sizeof *seg->film_genres);
    /* autoencoder */
    put_u64(w, seg->ae.hidden);
    put_u64(w, seg->ae.n_params);
    put_f32s(w, seg->ae.params, seg->ae.n_params);
    const AeReport *ar = &seg->ae_report;
    put_u32(w, (uint32_t)ar->epochs_run);
    put_f64s(w, ar->train_loss, (size_t)ar->epochs_run);
    put_f64s(w, ar->val_loss, (size_t)ar->epochs_run);
    put_f64(w, ar->val_mae_cells);
    put_f64(w, ar->val_mae_rated_stars);
    put_f64(w, ar->heldout_mae_stars);
    put_f64(w, ar->heldout_baseline_stars);
    /* demographic encoding and feature scales */
    const DemoEncoding *d = &seg->demo;
    put_u8(w, d->has_demographics);
    put_f64(w, d->age_mean);
    put_f64(w, d->age_std);
    put_u32(w, (uint32_t)d->n_occupations);
    for (size_t i = 0; i < d->n_occupations; i++)
        put_string(w, d->occupations[i]);
    put_u32(w, (uint32_t)d->n_states);
    put(w, d->states, d->n_states);
    const FeatureScaling *s = &seg->scaling;
    put_f64(w, s->taste_scale);
    put_f64(w, s->demo_scale);
    put_f64(w, s->taste_variance_share);
    put_f64(w, s->genre_variance_share);
    put_u64(w, s->genre_dim);
    put_f32s(w, s->genre_mean, s->genre_dim);
    put_f32s(w, s->genre_scale, s->genre_dim);
    put_u64(w, seg->dim);
    /* the sweep: every k */
    put_u32(w, (uint32_t)seg->sweep.kmax);
    put_u32(w, (uint32_t)seg->sweep.knee);
    put_u32(w, (uint32_t)seg->k);
    bool stable = seg->sweep.stability != NULL;
    put_u32(w, stable ? (uint32_t)seg->sweep.stability_resamples : 0);
    for (int k = 1; k <= seg->sweep.kmax; k++) {
        const KmeansResult *r = &seg->sweep.results[k - 1];
        put_f64(w, r->inertia);
        put_f64(w, seg->sweep.silhouette[k - 1]);
        put_f64(w, stable ? seg->sweep.stability[k - 1] : NAN);
        for (int s = 0; stable && s < k; s++)
            put_f64(w, kmeans_segment_stability(&seg->sweep, k, s));
        put_u32(w, (uint32_t)r->iterations);
        put_i32s(w, r->labels, seg->n_users);
        put_f32s(w, r->centroids, (size_t)k * seg->dim);
    }
    /* classifier */
    const Classifier *c = &seg->classifier;
    put_u64(w, c->n_in);
    put_u32(w, (uint32_t)c->hidden1);
    put_u32(w, (uint32_t)c->hidden2);
    put_u64(w, c->n_params);
    put_f32s(w, c->params, c->n_params);
    const ClassifierReport *cr = &seg->classifier_report;
    put_u32(w, (uint32_t)cr->epochs_run);
    put_u32(w, (uint32_t)cr->best_epoch);
    put_f64s(w, cr->train_loss, (size_t)cr->epochs_run);
    put_f64s(w, cr->train_acc, (size_t)cr->epochs_run);
    put_f64s(w, cr->val_loss, (size_t)cr->epochs_run);
    put_f64s(w, cr->val_acc, (size_t)cr->epochs_run);
    put_f64(w, cr->val_accuracy);
    put_u64(w, cr->n_train);
    put_u64(w, cr->n_val);
    for (int i = 0; i < seg->k * seg->k; i++)
        put_u32(w, cr->confusion ? (uint32_t)cr->confusion[i] : 0);
    put_f64s(w, seg->seconds, STAGE_COUNT);
    put_u8(w, seg->trained_with.ages_banded);
    put_u8(w, seg->trained_with.zip_list);
    put_u64(w, seg->trained_with.zip_count);
    put_string(w, seg->trained_with.zip_name);
    if (model_version_written(seg) > MODEL_VERSION_SETTINGS_UNRECORDED)
        put_other_settings(w, &seg->options);
}

int model_encode(const Segmentation *seg, uint8_t **buf, size_t *len)
{
    Writer w = {.counting = true};
    encode_body(&w, seg);
    size_t size = w.len + 8; /* and the checksum */
    w = (Writer){.buf = big_alloc(size), .cap = size};
    w.oom = w.buf == NULL;
    encode_body(&w, seg);
    if (w.oom) {
        free(w.buf);
        return -1;
    }
    uint64_t payload = w.len - HEADER_SIZE;
    memcpy(w.buf + 16, &payload, 8);
    put_u64(&w, model_checksum(w.buf, w.len));
    if (w.oom) {
        free(w.buf);
        return -1;
    }
    *buf = w.buf;
    *len = w.len;
    return 0;
}

int model_write_file(const Segmentation *seg, const char *path, AtomicFile *file, char *error,
                     size_t error_size)
{
    uint8_t *buf;
    size_t len;
    memset(file, 0, sizeof *file);
    if (model_encode(seg, &buf, &len) != 0) {
        snprintf(error, error_size, "%s: out of memory encoding the model", path);
        return -1;
    }
    bool ok = atomic_file_open(file, path) && fwrite(buf, 1, len, file->f) == len &&
              atomic_file_finish(file);
    int err = errno;
    free(buf);
    if (!ok) {
        atomic_file_discard(file);
        snprintf(error, error_size, "%s: cannot write the model: %s", path,
                 atomic_file_strerror(path, err));
        return -1;
    }
    return 0;
}

int model_save(const Segmentation *seg, const char *path, char *error, size_t error_size)
{
    AtomicFile file;
    if (model_write_file(seg, path, &file, error, error_size) != 0)
        return -1;
    if (!atomic_file_commit(&file)) {
        snprintf(error, error_size, "%s: cannot write the model: %s", path,
                 atomic_file_strerror(path, errno));
        return -1;
    }
    return 0;
}

/* ---- reading ---- */

typedef struct {
    const uint8_t *buf;
    size_t len, pos;
    bool bad;
    const char *what;   /* the first field that did not fit */
    bool out_of_memory; /* bad for want of memory, not for the file's fault */
} Reader;

static bool take(Reader *r, void *out, size_t n, const char *what)
{
    if (r->bad || n > r->len - r->pos) {
        if (!r->bad)
            r->what = what;
        r->bad = true;
        if (out && n < 64)
            memset(out, 0, n);
        return false;
    }
    if (out)
        memcpy(out, r->buf + r->pos, n);
    r->pos += n;
    return true;
}

static uint8_t get_u8(Reader *r, const char *what)
{
    uint8_t v = 0;
    take(r, &v, 1, what);
    return v;
}
static uint32_t get_u32(Reader *r, const char *what)
{
    uint32_t v = 0;
    take(r, &v, 4, what);
    return v;
}
static uint64_t get_u64(Reader *r, const char *what)
{
    uint64_t v = 0;
    take(r, &v, 8, what);
    return v;
}
static double get_f64(Reader *r, const char *what)
{
    double v = 0;
    take(r, &v, 8, what);
    return v;
}

/* p, an allocation made while reading; NULL stops the read (r->bad) as out
 * of memory, which model_decode says as such, not as a fault of the file. */
static void *got_memory(Reader *r, void *p)
{
    if (!p) {
        r->bad = true;
        r->out_of_memory = true;
    }
    return p;
}

/* An array of n items (big_alloc'd: free with free()), read whole; NULL (and
 * r->bad) when it does not fit in what is left of the file, or when memory
 * runs out (r->out_of_memory). */
static void *get_array(Reader *r, size_t n, size_t size, const char *what)
{
    if (r->bad || (size && n > (r->len - r->pos) / size)) {
        if (!r->bad)
            r->what = what;
        r->bad = true;
        return NULL;
    }
    void *out = got_memory(r, big_alloc(n * size + 1));
    if (!out)
        return NULL;
    take(r, out, n * size, what);
    return out;
}

static char *get_string(Reader *r, const char *what)
{
    uint32_t n = get_u32(r, what);
    char *s = get_array(r, n, 1, what);
    if (s)
        s[n] = '\0';
    return s;
}

static void get_settings(Reader *r, uint32_t version, PipelineOptions *o)
{
    pipeline_options_default(o);
    o->k = (int)get_u32(r, "settings");
    o->kmax = (int)get_u32(r, "settings");
    pipeline_options_seed(o, get_u64(r, "settings"));
    o->ae.hidden = (int)get_u32(r, "settings");
    o->ae.epochs = (int)get_u32(r, "settings");
    o->ae.batch = (int)get_u32(r, "settings");
    o->ae.loss = (AeLoss)get_u32(r, "settings");
    o->ae.lr = (float)get_f64(r, "settings");
    o->features.norm = (EmbedNorm)get_u32(r, "settings");
    o->features.demo_weight = get_f64(r, "settings");
    o->kmeans.restarts = (int)get_u32(r, "settings");
    o->kmeans.max_iter = (int)get_u32(r, "settings");
    o->kmeans.tol = get_f64(r, "settings");
    o->classifier.hidden1 = (int)get_u32(r, "settings");
    o->classifier.hidden2 = (int)get_u32(r, "settings");
    o->classifier.epochs = (int)get_u32(r, "settings");
    /* version 2 files predate the recency weights: their embeddings had none */
    o->features.recency = version >= 3 ? get_f64(r, "settings") : 0.0;
    o->stability = version >= 4 ? (int)get_u32(r, "settings") : 0;
    o->features.genre_weight = version >= 5 ? get_f64(r, "settings") : 0.0; /* no block before */
}

static void get_other_settings(Reader *r, PipelineOptions *o)
{
    AeOptions *ae = &o->ae;
    ae->unrated_share = (float)get_f64(r, "settings");
    ae->unrated_weight = (float)get_f64(r, "settings");
    ae->val_share = get_f64(r, "settings");
    ae->heldout_share = (float)get_f64(r, "settings");
    ae->input_dropout = (float)get_f64(r, "settings");
    ae->weight_decay = (float)get_f64(r, "settings");
    ae->implicit_weight = (float)get_f64(r, "settings");
    ae->implicit_negatives = (float)get_f64(r, "settings");
    ClassifierOptions *c = &o->classifier;
    c->batch = (int)get_u32(r, "settings");
    c->plateau_patience = (int)get_u32(r, "settings");
    c->stop_patience = (int)get_u32(r, "settings");
    c->lr = (float)get_f64(r, "settings");
    c->l1 = (float)get_f64(r, "settings");
    c->l2 = (float)get_f64(r, "settings");
    c->val_share = get_f64(r, "settings");
}

/* The settings the model is used with (the rest are only shown): the loss
 * decides how a user's ratings are encoded, the norm and weights how the
 * features are built. */
static bool settings_valid(const PipelineOptions *o)
{
    return (o->ae.loss == AE_LOSS_RATED || o->ae.loss == AE_LOSS_STUDY) &&
           (o->features.norm == EMBED_NORM_L1 || o->features.norm == EMBED_NORM_L2) &&
           isfinite(o->features.demo_weight) && isfinite(o->features.recency) &&
           o->features.recency >= 0 && isfinite(o->features.genre_weight) &&
           o->features.genre_weight >= 0 && o->ae.hidden > 0 && o->stability >= 0 &&
           o->stability <= KMEANS_STABILITY_MAX_RESAMPLES;
}

/* The numbers a new user's features are made with: a checksum only proves
 * they are what was written, so a writer's bug (an age spread of 0, a NaN
 * scale) would give every user infinite or NaN distances. */
static bool scales_valid(const DemoEncoding *d, const FeatureScaling *s)
{
    bool ok = isfinite(s->taste_scale) && s->taste_scale >= 0 && isfinite(s->demo_scale) &&
              s->demo_scale >= 0;
    if (d->has_demographics)
        ok = ok && isfinite(d->age_mean) && isfinite(d->age_std) && d->age_std > 0;
    for (size_t g = 0; g < s->genre_dim && ok; g++)
        ok = isfinite(s->genre_mean[g]) && isfinite(s->genre_scale[g]) && s->genre_scale[g] >= 0;
    return ok;
}

static int refuse(Segmentation *seg, char *error, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
    segmentation_free(seg);
    return -1;
}

static int compare_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* What is wrong with ids[0..n) as a model's user or film ids ("is not
 * positive", "appears twice"), or NULL when nothing is, or when memory ran
 * out (*out_of_memory set: they could not be checked). */
static const char *ids_unfit(const int32_t *ids, size_t n, bool *out_of_memory)
{
    if (n == 0)
        return NULL;
    int32_t *sorted = malloc(n * sizeof *sorted);
    if (!sorted) {
        *out_of_memory = true;
        return NULL;
    }
    memcpy(sorted, ids, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_i32);
    const char *wrong = sorted[0] < 1 ? "is not positive" : NULL;
    for (size_t i = 1; i < n && !wrong; i++)
        if (sorted[i] == sorted[i - 1])
            wrong = "appears twice";
    free(sorted);
    return wrong;
}

int model_decode(Segmentation *seg, const uint8_t *buf, size_t len, const char *name, char *error,
                 size_t error_size)
{
    memset(seg, 0, sizeof *seg);
    if (len < 8 || memcmp(buf, MAGIC, 8) != 0)
        return refuse(seg, error, error_size, "%s: not a filmseg model file (wrong magic)", name);
    if (len < HEADER_SIZE + TRAILER_SIZE)
        return refuse(seg, error, error_size, "%s: truncated model file (%zu bytes)", name, len);
    uint32_t version;
    uint64_t payload;
    memcpy(&version, buf + 8, 4);
    memcpy(&payload, buf + 16, 8);
    if (version < MODEL_OLDEST_VERSION || version > MODEL_VERSION)
        return refuse(seg, error, error_size,
                      "%s: model file version %u, this filmseg reads versions %d to %d", name,
                      version, MODEL_OLDEST_VERSION, MODEL_VERSION);
    /* (model_load reads one byte past the size the header gives, no more) */
    if (payload < len - HEADER_SIZE - TRAILER_SIZE)
        return refuse(seg, error, error_size,
                      "%s: the model file goes on past the %llu bytes its header gives: padded, "
                      "or joined to other data",
                      name, (unsigned long long)(payload + HEADER_SIZE + TRAILER_SIZE));
    if (payload > len - HEADER_SIZE - TRAILER_SIZE)
        return refuse(seg, error, error_size,
                      "%s: model file size %zu does not match its header (%llu expected): "
                      "truncated",
                      name, len, (unsigned long long)(payload + HEADER_SIZE + TRAILER_SIZE));
    uint64_t stored;
    memcpy(&stored, buf + len - TRAILER_SIZE, 8);
    if (stored != model_checksum(buf, len - TRAILER_SIZE))
        return refuse(seg, error, error_size, "%s: checksum mismatch: the model file is corrupted",
                      name);

    Reader r = {buf, len - TRAILER_SIZE, HEADER_SIZE, false, NULL, false};
    seg->half_stars_rounded = version <= MODEL_VERSION_HALF_STARS_ROUNDED;
    seg->settings_unrecorded = version <= MODEL_VERSION_SETTINGS_UNRECORDED;
    get_settings(&r, version, &seg->options);
    seg->n_users = get_u64(&r, "users");
    seg->user_ids = get_array(&r, seg->n_users, sizeof *seg->user_ids, "users");
    seg->n_films = get_u64(&r, "films");
    seg->film_ids = get_array(&r, seg->n_films, sizeof *seg->film_ids, "films");
    seg->film_min = get_array(&r, seg->n_films, sizeof *seg->film_min, "films");
    seg->film_max = get_array(&r, seg->n_films, sizeof *seg->film_max, "films");
    seg->film_genres = version >= 5
                           ? get_array(&r, seg->n_films, sizeof *seg->film_genres, "films")
                           : got_memory(&r, calloc(seg->n_films + 1, sizeof *seg->film_genres));

    const PipelineOptions *o = &seg->options;
    if (!r.bad && !settings_valid(o))
        return refuse(seg, error, error_size,
                      "%s: malformed model file (a setting is out of range: loss %d, norm %d, "
                      "demographics weight %g, recency %g, stability resamples %d, genre weight "
                      "%g)",
                      name, (int)o->ae.loss, (int)o->features.norm, o->features.demo_weight,
                      o->features.recency, o->stability, o->features.genre_weight);
    size_t hidden = get_u64(&r, "autoencoder"), n_params = get_u64(&r, "autoencoder");
    if (!r.bad && hidden != (size_t)o->ae.hidden)
        return refuse(seg, error, error_size,
                      "%s: malformed model file (the autoencoder has %zu hidden units, its "
                      "settings say %d)",
                      name, hidden, o->ae.hidden);
    float *params = get_array(&r, n_params, sizeof *params, "autoencoder");
    bool unit_input = seg->options.ae.loss == AE_LOSS_RATED; /* as ae_train set it */
    if (params && !arrays_all_finite(params, n_params)) {
        free(params);
        return refuse(seg, error, error_size,
                      "%s: malformed model file (an autoencoder weight is not a finite number)",
                      name);
    }
    /* the shape first (one head or two), as ae_init_from checks it: its
     * failure after that is memory running out */
    bool ae_fits = n_params != 0 && seg->n_films <= UINT32_MAX &&
                   (n_params == ae_n_params_heads(seg->n_films, hidden, 1) ||
                    n_params == ae_n_params_heads(seg->n_films, hidden, 2));
    if (params && !ae_fits) {
        free(params);
        return refuse(seg, error, error_size, "%s: the autoencoder's shape is inconsistent", name);
    }
    if (params &&
        ae_init_from(&seg->ae, seg->n_films, hidden, params, n_params, unit_input) != FS_OK)
        got_memory(&r, NULL);
    free(params);
    AeReport *ar = &seg->ae_report;
    ar->epochs_run = (int)get_u32(&r, "autoencoder history");
    ar->train_loss = get_array(&r, (size_t)ar->epochs_run, sizeof(double), "autoencoder history");
    ar->val_loss = get_array(&r, (size_t)ar->epochs_run, sizeof(double), "autoencoder history");
    ar->val_mae_cells = get_f64(&r, "autoencoder history");
    ar->val_mae_rated_stars = get_f64(&r, "autoencoder history");
    ar->heldout_mae_stars = get_f64(&r, "autoencoder history");
    ar->heldout_baseline_stars = get_f64(&r, "autoencoder history");

    DemoEncoding *d = &seg->demo;
    d->has_demographics = get_u8(&r, "demographics");
    d->age_mean = get_f64(&r, "demographics");
    d->age_std = get_f64(&r, "demographics");
    uint32_t n_occ = get_u32(&r, "demographics");
    if (!r.bad && n_occ > 65536)
        return refuse(seg, error, error_size, "%s: %u occupations is too many", name, n_occ);
    d->occupations = r.bad ? NULL : got_memory(&r, calloc(n_occ + 1, sizeof *d->occupations));
    for (uint32_t i = 0; d->occupations && i < n_occ && !r.bad; i++) {
        d->occupations[i] = get_string(&r, "demographics");
        d->n_occupations = i + 1;
    }
    d->n_states = get_u32(&r, "demographics");
    d->states = get_array(&r, d->n_states, 1, "demographics");
    FeatureScaling *s = &seg->scaling;
    s->norm = seg->options.features.norm;
    s->demo_weight = seg->options.features.demo_weight;
    s->taste_scale = get_f64(&r, "feature scales");
    s->demo_scale = get_f64(&r, "feature scales");
    s->taste_variance_share = get_f64(&r, "feature scales");
    if (version >= 5) {
        s->genre_variance_share = get_f64(&r, "feature scales");
        s->genre_dim = get_u64(&r, "feature scales");
        if (!r.bad && s->genre_dim > PANEL_MAX_GENRES)
            return refuse(seg, error, error_size, "%s: %zu genres is too many (at most %d)", name,
                          s->genre_dim, PANEL_MAX_GENRES);
        float *mean = get_array(&r, s->genre_dim, sizeof(float), "feature scales");
        float *scale = get_array(&r, s->genre_dim, sizeof(float), "feature scales");
        if (mean && scale) {
            memcpy(s->genre_mean, mean, s->genre_dim * sizeof(float));
            memcpy(s->genre_scale, scale, s->genre_dim * sizeof(float));
        }
        free(mean);
        free(scale);
    }
    seg->n_genres = s->genre_dim;
    if (!r.bad && !scales_valid(d, s))
        return refuse(seg, error, error_size,
                      "%s: malformed model file (a feature scale is not a finite number of the "
                      "right sign)",
                      name);
    seg->dim = get_u64(&r, "feature scales");
    s->taste_dim = hidden;
    s->demo_dim = demo_encoding_width(d);
    if (!r.bad && (seg->dim != s->taste_dim + s->genre_dim + s->demo_dim || !d->occupations))
        return refuse(seg, error, error_size, "%s: feature width %zu does not match its parts",
                      name, seg->dim);

    KmeansSweep *sw = &seg->sweep;
    uint32_t kmax = get_u32(&r, "sweep");
    sw->knee = (int)get_u32(&r, "sweep");
    seg->k = (int)get_u32(&r, "sweep");
    if (!r.bad && kmax > KMEANS_MAX_K)
        return refuse(seg, error, error_size,
                      "%s: the model's sweep goes to kmax %u, past the most segments filmseg "
                      "makes (%d)",
                      name, kmax, KMEANS_MAX_K);
    if (!r.bad && (kmax < 1 || seg->k < 1 || (uint32_t)seg->k > kmax || sw->knee < 0 ||
                   (uint32_t)sw->knee > kmax))
        return refuse(seg, error, error_size, "%s: k %d, knee %d and kmax %u are out of range",
                      name, seg->k, sw->knee, kmax);
    /* the settings' k and kmax are the sweep's: the pipeline sets them so, and
     * the explorer, putting another k's classifier in, sets both k (the k
     * it only views is its own, never saved); a retrain from the file
     * takes the settings' */
    if (!r.bad && (seg->options.k != seg->k || seg->options.kmax != (int)kmax))
        return refuse(seg, error, error_size,
                      "%s: malformed model file (its settings say k %d and kmax %d, its sweep k "
                      "%d and kmax %u)",
                      name, seg->options.k, seg->options.kmax, seg->k, kmax);
    uint32_t resamples = version >= 4 ? get_u32(&r, "sweep") : 0;
    if (!r.bad && resamples > KMEANS_STABILITY_MAX_RESAMPLES)
        return refuse(seg, error, error_size, "%s: %u stability resamples is out of range", name,
                      resamples);
    sw->results = r.bad ? NULL : got_memory(&r, calloc(kmax, sizeof *sw->results));
    sw->silhouette = r.bad ? NULL : got_memory(&r, calloc(kmax, sizeof *sw->silhouette));
    if (resamples > 0 && !r.bad) {
        sw->stability = got_memory(&r, calloc(kmax, sizeof *sw->stability));
        sw->segment_stability =
            got_memory(&r, calloc((size_t)kmax * (kmax + 1) / 2, sizeof *sw->segment_stability));
        sw->stability_resamples = (int)resamples;
    }
    if (sw->results && sw->silhouette)
        sw->kmax = (int)kmax;
    for (int k = 1; k <= sw->kmax && !r.bad; k++) {
        KmeansResult *res = &sw->results[k - 1];
        res->k = k;
        res->n = seg->n_users;
        res->d = seg->dim;
        res->inertia = get_f64(&r, "sweep");
        sw->silhouette[k - 1] = get_f64(&r, "sweep");
        if (version >= 4) {
            double stability = get_f64(&r, "sweep");
            /* a hair above 1: a mean rounded so by an earlier version (18 or more refits) */
            if (stability > 1.0 && stability <= 1.0 + 1e-9)
                stability = 1.0;
            if (sw->stability && !r.bad && !(stability >= -1.0 && stability <= 1.0))
                return refuse(seg, error, error_size, "%s: the stability at k %d is out of range",
                              name, k);
            if (sw->stability)
                sw->stability[k - 1] = stability;
            for (int s = 0; sw->segment_stability && s < k && !r.bad; s++) {
                double st = get_f64(&r, "sweep");
                if (!r.bad && !(isnan(st) || (st >= 0.0 && st <= 1.0)))
                    return refuse(seg, error, error_size,
                                  "%s: the stability of segment %d at k %d is out of range", name,
                                  s, k);
                sw->segment_stability[(size_t)k * (k - 1) / 2 + s] = st;
            }
        }
        res->iterations = (int)get_u32(&r, "sweep");
        res->labels = get_array(&r, seg->n_users, sizeof *res->labels, "sweep labels");
        if (!seg->dim || (size_t)k > SIZE_MAX / 4 / seg->dim)
            r.bad = true;
        res->centroids = get_array(&r, (size_t)k * seg->dim, sizeof(float), "sweep centroids");
        if (res->centroids && !arrays_all_finite(res->centroids, (size_t)k * seg->dim))
            return refuse(seg, error, error_size,
                          "%s: malformed model file (a centroid at k %d is not finite)", name, k);
        for (size_t u = 0; res->labels && u < seg->n_users; u++)
            if (res->labels[u] < 0 || res->labels[u] >= k)
                return refuse(seg, error, error_size, "%s: a label is out of range at k %d", name,
                              k);
    }

    size_t n_in = get_u64(&r, "classifier");
    int h1 = (int)get_u32(&r, "classifier"), h2 = (int)get_u32(&r, "classifier");
    n_params = get_u64(&r, "classifier");
    params = get_array(&r, n_params, sizeof *params, "classifier");
    if (params && !arrays_all_finite(params, n_params)) {
        free(params);
        return refuse(seg, error, error_size,
                      "%s: malformed model file (a classifier weight is not a finite number)",
                      name);
    }
    /* the shape first, as classifier_init_from checks it: its failure after
     * that is memory running out */
    if (params && (n_in != segmentation_classifier_width(seg) || n_params == 0 ||
                   n_params != classifier_n_params(n_in, seg->k, h1, h2))) {
        free(params);
        return refuse(seg, error, error_size, "%s: the classifier's shape is inconsistent", name);
    }
    if (params &&
        classifier_init_from(&seg->classifier, n_in, seg->k, h1, h2, params, n_params) != FS_OK)
        got_memory(&r, NULL);
    free(params);
    ClassifierReport *cr = &seg->classifier_report;
    cr->epochs_run = (int)get_u32(&r, "classifier history");
    cr->best_epoch = (int)get_u32(&r, "classifier history");
    size_t epochs = (size_t)cr->epochs_run;
    cr->train_loss = get_array(&r, epochs, sizeof(double), "classifier history");
    cr->train_acc = get_array(&r, epochs, sizeof(double), "classifier history");
    cr->val_loss = get_array(&r, epochs, sizeof(double), "classifier history");
    cr->val_acc = get_array(&r, epochs, sizeof(double), "classifier history");
    cr->val_accuracy = get_f64(&r, "classifier history");
    cr->n_train = get_u64(&r, "classifier history");
    cr->n_val = get_u64(&r, "classifier history");
    cr->k = seg->k;
    cr->confusion = get_array(&r, (size_t)seg->k * (size_t)seg->k, sizeof(int), "confusion");
    int stages = version >= 4 ? STAGE_COUNT : STAGE_STABILITY; /* older files: no stability */
    for (int i = 0; i < stages; i++)
        seg->seconds[i] = get_f64(&r, "timings");
    if (version >= 6) {
        seg->trained_with.known = true;
        seg->trained_with.ages_banded = get_u8(&r, "training panel") != 0;
        seg->trained_with.zip_list = get_u8(&r, "training panel") != 0;
        seg->trained_with.zip_count = get_u64(&r, "training panel");
        char *name = get_string(&r, "training panel");
        snprintf(seg->trained_with.zip_name, sizeof seg->trained_with.zip_name, "%s",
                 name ? name : "");
        free(name);
    }
    if (version > MODEL_VERSION_SETTINGS_UNRECORDED) {
        get_other_settings(&r, &seg->options);
        if (!r.bad && (!ae_options_valid(&seg->options.ae) ||
                       !classifier_options_valid(&seg->options.classifier)))
            return refuse(seg, error, error_size,
                          "%s: malformed model file (an autoencoder or classifier setting is "
                          "out of range)",
                          name);
        int heads =
            seg->options.ae.loss == AE_LOSS_RATED && seg->options.ae.implicit_weight > 0 ? 2 : 1;
        if (!r.bad && seg->ae.heads != heads)
            return refuse(seg, error, error_size,
                          "%s: malformed model file (the autoencoder has %d head%s, its settings "
                          "say %d)",
                          name, seg->ae.heads, seg->ae.heads == 1 ? "" : "s", heads);
    } else if (seg->options.ae.loss == AE_LOSS_RATED && seg->ae.heads == 1) {
        seg->options.ae.implicit_weight = 0; /* not recorded: its one head says it */
    }
    if (r.out_of_memory)
        return refuse(seg, error, error_size, "%s: out of memory loading the model", name);
    if (r.bad)
        return refuse(seg, error, error_size,
                      "%s: malformed model file (a field of its %s does not fit)", name,
                      r.what ? r.what : "a field");
    if (r.pos != r.len)
        return refuse(seg, error, error_size, "%s: malformed model file (%zu bytes left over)",
                      name, r.len - r.pos);
    /* fields that do not fit together, though each reads (a writer's bug
     * under a right checksum): ids, and the classifier's best epoch */
    bool no_memory = false;
    const char *ids_wrong = ids_unfit(seg->user_ids, seg->n_users, &no_memory);
    if (ids_wrong)
        return refuse(seg, error, error_size, "%s: malformed model file (a user id %s)", name,
                      ids_wrong);
    ids_wrong = ids_unfit(seg->film_ids, seg->n_films, &no_memory);
    if (ids_wrong)
        return refuse(seg, error, error_size, "%s: malformed model file (a film id %s)", name,
                      ids_wrong);
    if (no_memory)
        return refuse(seg, error, error_size, "%s: out of memory loading the model", name);
    if (cr->best_epoch < 0 || cr->best_epoch > cr->epochs_run)
        return refuse(seg, error, error_size,
                      "%s: malformed model file (the classifier's best epoch %d is not among its "
                      "%d)",
                      name, cr->best_epoch, cr->epochs_run);
    if (segmentation_index_films(seg) != FS_OK)
        return refuse(seg, error, error_size, "%s: out of memory loading the model", name);
    return 0;
}

/* A model file's bytes from f, read no further than its header says: the
 * header first, then, when it begins with the magic, its payload and
 * trailer and one byte more (so that padding shows), so that a stream that
 * is no model (/dev/zero, an endless pipe) is refused after 24 bytes, not
 * read into memory whole. A regular file is read no further than its size
 * (a header claiming a terabyte allocates nothing), a stream into a buffer
 * that grows with what comes. model_decode then checks what was read. NULL
 * (errno set) on a read error or when out of memory. */
static uint8_t *read_model_bytes(FILE *f, size_t *len)
{
    uint8_t header[HEADER_SIZE];
    size_t n = fread(header, 1, sizeof header, f);
    uint64_t payload = 0;
    if (n == sizeof header && memcmp(header, MAGIC, 8) == 0)
        memcpy(&payload, header + 16, 8);
    /* a header of an impossible size reads nothing more: the size check refuses it */
    size_t want = n == sizeof header && payload <= SIZE_MAX / 2
                      ? HEADER_SIZE + (size_t)payload + TRAILER_SIZE + 1
                      : n;
    struct stat st;
    bool sized = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    if (sized && want > (size_t)st.st_size + 1)
        want = (size_t)st.st_size + 1; /* EOF comes first: no need to make room past it */
    size_t cap = sized || want <= (1u << 20) ? want : (1u << 20);
    uint8_t *buf = cap > (1u << 20) ? big_alloc(cap) : malloc(cap ? cap : 1);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(buf, header, n);
    while (n < want && !feof(f) && !ferror(f)) {
        if (n == cap) { /* a stream: room for what came, doubled, up to want */
            size_t more = cap * 2 < want ? cap * 2 : want;
            uint8_t *bigger = realloc(buf, more);
            if (!bigger) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = bigger;
            cap = more;
        }
        n += fread(buf + n, 1, cap - n, f);
    }
    if (ferror(f)) {
        int err = errno ? errno : EIO;
        free(buf);
        errno = err;
        return NULL;
    }
    *len = n;
    return buf;
}

int model_load(Segmentation *seg, const char *path, char *error, size_t error_size)
{
    memset(seg, 0, sizeof *seg);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(error, error_size, "%s: cannot open the model: %s", path, strerror(errno));
        return -1;
    }
    size_t len = 0;
    errno = 0;
    uint8_t *buf = read_model_bytes(f, &len);
    int err = errno;
    fclose(f);
    if (!buf) {
        snprintf(error, error_size, "%s: cannot read the model: %s", path, strerror(err));
        return -1;
    }
    if (len == 0) {
        free(buf);
        snprintf(error, error_size, "%s: the model file is empty", path);
        return -1;
    }
    int rc = model_decode(seg, buf, len, path, error, error_size);
    free(buf);
    return rc;
}
