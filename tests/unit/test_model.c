/* test_model.c: unit tests of the pipeline and the model file: a small
 * pipeline on the demo panel; save, load and score give identical output;
 * truncated, bit-flipped, wrong-version and foreign files are refused, and
 * memory running out while loading is said as that;
 * files of older versions load; cancelling stops the pipeline; a model
 * describes only a panel like the one it was trained on; k as large as the
 * panel is refused before training, and a kmax past KMEANS_MAX_K in training
 * or in a file; a classifier trained later at another k of the sweep is the
 * one pipeline_run trains at that k. */
#include "test_util.h"

#include "filmseg/model.h"
#include "filmseg/pipeline.h"
#include "filmseg/report.h"

#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

static Panel *demo_panel(void)
{
    PanelOptions options;
    panel_options_default(&options);
    Diag diag;
    diag_init(&diag, NULL, true);
    Panel *p = NULL;
    assert_int_equal(panel_load_demo(&options, &diag, &p), 0);
    return p;
}

static void small_options(PipelineOptions *o)
{
    pipeline_options_default(o);
    pipeline_options_seed(o, 7);
    o->ae.epochs = 5;
    o->ae.hidden = 8;
    o->kmax = 6;
    o->k = 3;
    o->kmeans.restarts = 2;
    o->classifier.epochs = 5;
}

static int setup(void **state)
{
    Panel *p = demo_panel();
    PipelineOptions o;
    small_options(&o);
    Segmentation *seg = calloc(1, sizeof *seg);
    char error[256];
    assert_int_equal(pipeline_run(p, &o, NULL, seg, error, sizeof error), FS_OK);
    void **pair = calloc(2, sizeof *pair);
    pair[0] = p;
    pair[1] = seg;
    *state = pair;
    return 0;
}

static int teardown(void **state)
{
    void **pair = *state;
    panel_free(pair[0]);
    segmentation_free(pair[1]);
    free(pair[1]);
    free(pair);
    return 0;
}

static void pipeline_keeps_every_k(void **state)
{
    void **pair = *state;
    const Panel *p = pair[0];
    const Segmentation *seg = pair[1];
    assert_int_equal(seg->n_users, p->n_users);
    assert_int_equal(seg->sweep.kmax, 6);
    for (int k = 1; k <= 6; k++) {
        const int32_t *labels = segmentation_labels(seg, k);
        assert_non_null(labels);
        int seen[6] = {0};
        for (size_t u = 0; u < seg->n_users; u++) {
            assert_true(labels[u] >= 0 && labels[u] < k);
            seen[labels[u]] = 1;
        }
        int distinct = 0;
        for (int s = 0; s < k; s++)
            distinct += seen[s];
        assert_int_equal(distinct, k);
        if (k > 1)
            assert_true(seg->sweep.results[k - 1].inertia <= seg->sweep.results[k - 2].inertia);
    }
    assert_null(segmentation_labels(seg, 7));
    /* the stability of every k, measured last */
    assert_non_null(seg->sweep.stability);
    assert_int_equal(seg->sweep.stability_resamples, seg->options.stability);
    assert_true(seg->sweep.stability[0] == 1.0);
    for (int k = 2; k <= 6; k++)
        assert_true(seg->sweep.stability[k - 1] > -1.0 && seg->sweep.stability[k - 1] <= 1.0);
    assert_true(seg->seconds[STAGE_STABILITY] > 0);
    for (int s = 0; s < 3; s++) {
        double st = kmeans_segment_stability(&seg->sweep, 3, s);
        assert_true(st > 0 && st <= 1.0);
    }
    assert_int_equal(seg->classifier.k, 3);
    /* the demo panel's 19 genres make the genre block */
    assert_int_equal(seg->scaling.genre_dim, 19);
    assert_int_equal(seg->dim,
                     seg->scaling.taste_dim + seg->scaling.genre_dim + seg->scaling.demo_dim);
}

/* The study's method measures no stability; a panel too small to refit kmax
 * on 80% of its users is refused before any training. */
static void stability_settings(void **state)
{
    void **pair = *state;
    const Panel *p = pair[0];
    PipelineOptions o;
    small_options(&o);
    o.ae.loss = AE_LOSS_STUDY;
    o.stability = 0;
    Segmentation seg;
    char error[256];
    assert_int_equal(pipeline_run(p, &o, NULL, &seg, error, sizeof error), FS_OK);
    assert_null(seg.sweep.stability);
    assert_true(seg.seconds[STAGE_STABILITY] == 0.0);
    segmentation_free(&seg);
    PipelineOptions study;
    pipeline_options_study(&study);
    assert_int_equal(study.stability, 0);

    small_options(&o);
    o.kmax = (int)p->n_users; /* refits of 80% of the users cannot reach it */
    assert_int_equal(pipeline_run(p, &o, NULL, &seg, error, sizeof error), FS_ERROR);
    char want[128];
    snprintf(want, sizeof want, "too few to measure stability up to kmax %zu on %zu of them",
             p->n_users, (size_t)(0.8 * (double)p->n_users + 0.5));
    assert_non_null(strstr(error, want));
    o.stability = KMEANS_STABILITY_MAX_RESAMPLES + 1;
    o.kmax = 6;
    assert_int_equal(pipeline_run(p, &o, NULL, &seg, error, sizeof error), FS_ERROR);
    assert_non_null(strstr(error, "stability resamples must be 0..100"));
}

static void score_rows(const Segmentation *seg, const Panel *p, float *proba, int32_t *nearest)
{
    size_t width = segmentation_classifier_width(seg);
    float *row = malloc(width * sizeof *row), *feat = malloc(seg->dim * sizeof *feat);
    uint32_t *col = malloc(seg->n_films * sizeof *col);
    float *value = malloc(seg->n_films * sizeof *value);
    uint32_t *time = malloc(seg->n_films * sizeof *time);
    for (size_t u = 0; u < p->n_users; u++) {
        size_t n = segmentation_user_ratings(seg, p, u, col, value, time);
        segmentation_classifier_row(seg, p, &p->users[u], n, col, value, row);
        classifier_predict_proba(&seg->classifier, row, proba + u * (size_t)seg->k);
        assert_int_equal(segmentation_feature_row(seg, p, &p->users[u], n, col, value, time, feat),
                         0);
        nearest[u] =
            kmeans_assign_nearest(seg->sweep.results[seg->k - 1].centroids, seg->k, seg->dim, feat);
    }
    free(row);
    free(feat);
    free(col);
    free(value);
    free(time);
}

static void save_load_and_score_give_identical_output(void **state)
{
    void **pair = *state;
    const Panel *p = pair[0];
    const Segmentation *seg = pair[1];
    char path[] = "/tmp/filmseg-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char error[256];
    assert_int_equal(model_save(seg, path, error, sizeof error), 0);
    Segmentation loaded;
    assert_int_equal(model_load(&loaded, path, error, sizeof error), 0);
    assert_int_equal(loaded.k, seg->k);
    assert_int_equal(loaded.n_films, seg->n_films);
    assert_memory_equal(loaded.ae.params, seg->ae.params, seg->ae.n_params * sizeof(float));
    assert_memory_equal(loaded.classifier.params, seg->classifier.params,
                        seg->classifier.n_params * sizeof(float));
    for (int k = 1; k <= seg->sweep.kmax; k++)
        assert_memory_equal(segmentation_labels(&loaded, k), segmentation_labels(seg, k),
                            seg->n_users * sizeof(int32_t));
    assert_int_equal(loaded.sweep.stability_resamples, seg->options.stability);
    assert_memory_equal(loaded.sweep.stability, seg->sweep.stability,
                        (size_t)seg->sweep.kmax * sizeof(double));
    for (int k = 1; k <= seg->sweep.kmax; k++)
        for (int s = 0; s < k; s++)
            assert_true(kmeans_segment_stability(&loaded.sweep, k, s) ==
                        kmeans_segment_stability(&seg->sweep, k, s));
    size_t n = p->n_users;
    float *a = malloc(n * (size_t)seg->k * sizeof *a), *b = malloc(n * (size_t)seg->k * sizeof *b);
    int32_t *na = malloc(n * sizeof *na), *nb = malloc(n * sizeof *nb);
    score_rows(seg, p, a, na);
    score_rows(&loaded, p, b, nb);
    assert_memory_equal(a, b, n * (size_t)seg->k * sizeof *a);
    assert_memory_equal(na, nb, n * sizeof *na);
    /* a training user scored by nearest centroid gets its training label back */
    const int32_t *labels = segmentation_labels(seg, seg->k);
    size_t same = 0;
    for (size_t u = 0; u < n; u++)
        same += na[u] == labels[u];
    assert_int_equal(same, n);
    free(a);
    free(b);
    free(na);
    free(nb);
    segmentation_free(&loaded);
    unlink(path);
}

/* seg encoded into *buf (*len bytes), and decoded again into *s. */
static void encode_and_decode(const Segmentation *seg, uint8_t **buf, size_t *len, Segmentation *s)
{
    assert_int_equal(model_encode(seg, buf, len), 0);
    char error[256];
    assert_int_equal(model_decode(s, *buf, *len, "m.fsm", error, sizeof error), 0);
}

static void broken_files_are_refused(void **state)
{
    void **pair = *state;
    const Segmentation *seg = pair[1];
    uint8_t *buf;
    size_t len;
    Segmentation s;
    char error[256];
    encode_and_decode(seg, &buf, &len, &s);
    segmentation_free(&s);
    /* truncated anywhere */
    size_t cuts[] = {0, 4, 20, 31, len / 3, len / 2, len - 9, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        assert_int_equal(model_decode(&s, buf, cuts[i], "m.fsm", error, sizeof error), -1);
    assert_int_equal(model_decode(&s, buf, len - 1, "m.fsm", error, sizeof error), -1);
    assert_non_null(strstr(error, "truncated"));
    /* padded: said so */
    uint8_t *padded = malloc(len + 3);
    memcpy(padded, buf, len);
    memset(padded + len, 0, 3);
    assert_int_equal(model_decode(&s, padded, len + 3, "m.fsm", error, sizeof error), -1);
    assert_non_null(strstr(error, "goes on past the"));
    free(padded);
    /* one flipped bit anywhere after the magic */
    for (size_t pos = 8; pos < len; pos += len / 97 + 1) {
        buf[pos] ^= 0x10;
        assert_int_equal(model_decode(&s, buf, len, "m.fsm", error, sizeof error), -1);
        buf[pos] ^= 0x10;
    }
    buf[len / 2] ^= 1;
    model_decode(&s, buf, len, "m.fsm", error, sizeof error);
    assert_non_null(strstr(error, "checksum mismatch"));
    buf[len / 2] ^= 1;
    /* another version, with a valid checksum: refused by its version */
    uint32_t versions[2] = {MODEL_VERSION + 1, MODEL_OLDEST_VERSION - 1};
    for (int i = 0; i < 2; i++) {
        memcpy(buf + 8, &versions[i], 4);
        uint64_t sum = model_checksum(buf, len - 8);
        memcpy(buf + len - 8, &sum, 8);
        assert_int_equal(model_decode(&s, buf, len, "m.fsm", error, sizeof error), -1);
        char want[64];
        snprintf(want, sizeof want, "version %u, this filmseg reads versions 2 to %d", versions[i],
                 MODEL_VERSION);
        assert_non_null(strstr(error, want));
    }
    /* not a model at all */
    assert_int_equal(model_decode(&s, (const uint8_t *)"u.user\n", 7, "x", error, sizeof error),
                     -1);
    assert_non_null(strstr(error, "not a filmseg model"));
    free(buf);
    assert_int_equal(model_load(&s, "/nonexistent/m.fsm", error, sizeof error), -1);
    assert_non_null(strstr(error, "cannot open"));
    /* a file whose header claims a terabyte: read to its end, no further
     * (nothing allocated for the claim) */
    char huge[] = "/tmp/filmseg-huge-XXXXXX";
    int fd = mkstemp(huge);
    assert_true(fd >= 0);
    uint8_t head[64] = {0};
    memcpy(head, "FILMSEG\x1a", 8);
    uint32_t v = MODEL_VERSION;
    uint64_t claim = (uint64_t)1 << 40;
    memcpy(head + 8, &v, 4);
    memcpy(head + 16, &claim, 8);
    assert_int_equal(write(fd, head, sizeof head), (ssize_t)sizeof head);
    close(fd);
    assert_int_equal(model_load(&s, huge, error, sizeof error), -1);
    assert_non_null(strstr(error, "model file size 64 does not match its header"));
    unlink(huge);
    /* an endless stream that is no model is refused by its first bytes (it
     * was read whole: score --model /dev/zero took all the memory) */
    assert_int_equal(model_load(&s, "/dev/zero", error, sizeof error), -1);
    assert_non_null(strstr(error, "/dev/zero: not a filmseg model file"));
}

/* Rewrites n bytes at payload offset at of a copy of the file, with a right
 * checksum, and decodes it: the refusal's message in error[]. */
static int decode_with(const uint8_t *file, size_t len, size_t at, const void *bytes, size_t n,
                       char *error, size_t size)
{
    uint8_t *copy = malloc(len);
    memcpy(copy, file, len);
    memcpy(copy + 24 + at, bytes, n);
    uint64_t sum = model_checksum(copy, len - 8);
    memcpy(copy + len - 8, &sum, 8);
    Segmentation s;
    int rc = model_decode(&s, copy, len, "m.fsm", error, size);
    if (rc == 0)
        segmentation_free(&s);
    free(copy);
    return rc;
}

/* Where n bytes first occur in an encoded model, from the start of the file. */
static size_t find_bytes(const uint8_t *buf, size_t len, const void *bytes, size_t n)
{
    for (size_t i = 24; i + n <= len; i++)
        if (memcmp(buf + i, bytes, n) == 0)
            return i;
    fail_msg("the bytes are not in the file");
    return 0;
}

/* Where the sweep's kmax, knee and k are in an encoded model (found by their
 * values; the settings hold k and kmax in another order), from the start of
 * the file. */
static size_t sweep_offset(const Segmentation *seg, const uint8_t *buf, size_t len)
{
    uint32_t want[3] = {(uint32_t)seg->sweep.kmax, (uint32_t)seg->sweep.knee, (uint32_t)seg->k};
    return find_bytes(buf, len, want, sizeof want);
}

/* A file with a right checksum whose settings or knee are out of range, or
 * whose settings' k and kmax are not its sweep's (a writer's bug, or a
 * crafted file) is refused too. Offsets in the payload:
 * the settings open it (hidden 16, loss 28, norm 40, demographics weight 44,
 * recency 80, stability resamples 88, genre weight 92). */
static void out_of_range_settings_are_refused(void **state)
{
    void **pair = *state;
    const Segmentation *seg = pair[1];
    uint8_t *buf;
    size_t len;
    assert_int_equal(model_encode(seg, &buf, &len), 0);
    char error[256];
    uint32_t loss = 7, norm = 0, hidden = (uint32_t)seg->options.ae.hidden + 1;
    double nan = NAN, negative = -1.0;
    assert_int_equal(decode_with(buf, len, 28, &loss, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "a setting is out of range: loss 7"));
    assert_int_equal(decode_with(buf, len, 40, &norm, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "norm 0"));
    assert_int_equal(decode_with(buf, len, 44, &nan, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "demographics weight nan"));
    assert_int_equal(decode_with(buf, len, 80, &negative, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "recency -1"));
    assert_int_equal(decode_with(buf, len, 16, &hidden, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "hidden units, its settings say"));
    uint32_t too_many = KMEANS_STABILITY_MAX_RESAMPLES + 1;
    assert_int_equal(decode_with(buf, len, 88, &too_many, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "stability resamples 101"));
    assert_int_equal(decode_with(buf, len, 92, &negative, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "genre weight -1"));
    /* the knee follows kmax in the sweep, then the stability's resamples,
     * then each k's inertia, silhouette and stability */
    size_t at = sweep_offset(seg, buf, len) - 24;
    uint32_t knee = (uint32_t)seg->sweep.kmax + 1;
    assert_int_equal(decode_with(buf, len, at + 4, &knee, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "knee"));
    assert_int_equal(decode_with(buf, len, at + 12, &too_many, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "101 stability resamples is out of range"));
    double above = 1.5;
    assert_int_equal(decode_with(buf, len, at + 16 + 16, &above, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "the stability at k 1 is out of range"));
    assert_int_equal(decode_with(buf, len, at + 16 + 16, &nan, 8, error, sizeof error), -1);
    assert_int_equal(decode_with(buf, len, at + 16 + 24, &above, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "the stability of segment 0 at k 1 is out of range"));
    /* the feature scales a new user is encoded with: an age spread of 0 or
     * a NaN scale would give every user infinite or NaN distances */
    double pair_of[2] = {seg->demo.age_mean, seg->demo.age_std}, zero = 0.0;
    size_t demo_at = find_bytes(buf, len, pair_of, sizeof pair_of) - 24;
    assert_int_equal(decode_with(buf, len, demo_at + 8, &zero, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "a feature scale is not a finite number"));
    double scales[2] = {seg->scaling.taste_scale, seg->scaling.demo_scale};
    size_t scale_at = find_bytes(buf, len, scales, sizeof scales) - 24;
    assert_int_equal(decode_with(buf, len, scale_at, &nan, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "a feature scale is not a finite number"));
    /* a NaN weight (the autoencoder's, the classifier's) or centroid */
    float nan_f = NAN;
    size_t ae_at = find_bytes(buf, len, seg->ae.params, 4 * sizeof(float)) - 24;
    assert_int_equal(decode_with(buf, len, ae_at, &nan_f, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "an autoencoder weight is not a finite number"));
    size_t clf_at = find_bytes(buf, len, seg->classifier.params, 4 * sizeof(float)) - 24;
    assert_int_equal(decode_with(buf, len, clf_at, &nan_f, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "a classifier weight is not a finite number"));
    const float *centroids = seg->sweep.results[seg->k - 1].centroids;
    size_t c_at = find_bytes(buf, len, centroids, seg->dim * sizeof(float)) - 24;
    assert_int_equal(decode_with(buf, len, c_at, &nan_f, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "is not finite"));
    /* ids that do not fit: a user id twice, a film id not positive */
    size_t users_at = find_bytes(buf, len, seg->user_ids, seg->n_users * sizeof(int32_t)) - 24;
    assert_int_equal(decode_with(buf, len, users_at + 4, &seg->user_ids[0], 4, error, sizeof error),
                     -1);
    assert_non_null(strstr(error, "malformed model file (a user id appears twice)"));
    int32_t minus = -3;
    size_t films_at = users_at + seg->n_users * sizeof(int32_t) + 8; /* past the film count */
    assert_memory_equal(buf + 24 + films_at, seg->film_ids, seg->n_films * sizeof(int32_t));
    assert_int_equal(decode_with(buf, len, films_at, &minus, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "malformed model file (a film id is not positive)"));
    /* the classifier's best epoch past its epochs (after its weights) */
    size_t epochs_at = clf_at + seg->classifier.n_params * sizeof(float);
    uint32_t epochs_best[2] = {(uint32_t)seg->classifier_report.epochs_run,
                               (uint32_t)seg->classifier_report.best_epoch};
    assert_memory_equal(buf + 24 + epochs_at, epochs_best, sizeof epochs_best);
    uint32_t late = epochs_best[0] + 1;
    assert_int_equal(decode_with(buf, len, epochs_at + 4, &late, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "best epoch"));
    /* the two copies of k and of kmax, the settings' (the payload's first
     * two numbers) and the sweep's, must agree: nothing writes them apart
     * (the explorer sets both k when it puts in another k's classifier),
     * and a retrain from the file would take the settings' */
    uint32_t settings[2] = {(uint32_t)seg->options.k, (uint32_t)seg->options.kmax};
    assert_memory_equal(buf + 24, settings, sizeof settings);
    uint32_t other_k = (uint32_t)seg->k + 1, other_kmax = (uint32_t)seg->sweep.kmax - 1;
    assert_true(other_k <= other_kmax); /* within range: only the disagreement is wrong */
    assert_int_equal(decode_with(buf, len, 0, &other_k, 4, error, sizeof error), -1);
    char want[160];
    snprintf(want, sizeof want,
             "m.fsm: malformed model file (its settings say k %u and kmax %d, its sweep k %d and "
             "kmax %d)",
             other_k, seg->sweep.kmax, seg->k, seg->sweep.kmax);
    assert_string_equal(error, want);
    assert_int_equal(decode_with(buf, len, 4, &other_kmax, 4, error, sizeof error), -1);
    assert_non_null(strstr(error, "its sweep k"));
    /* the unchanged file still loads */
    uint32_t same_knee = (uint32_t)seg->sweep.knee;
    assert_int_equal(decode_with(buf, len, at + 4, &same_knee, 4, error, sizeof error), 0);
    free(buf);
}

#if !defined(__SANITIZE_ADDRESS__) /* (its allocator stops the program when memory runs out) */
/* Decodes buf in a child process whose heap is used up and whose address
 * space may grow by budget bytes: the child's return code and message go
 * to *rc and error. False when the child died (a crash on the way out). */
static bool decode_with_memory(const uint8_t *buf, size_t len, size_t budget, int *rc, char *error,
                               size_t size)
{
    int fd;
    pid_t pid = fork_with_pipe(&fd);
    if (pid == 0) {
        if (!memory_leave_only(budget))
            _exit(3);
        Segmentation s;
        char message[512] = "";
        int got = model_decode(&s, buf, len, "m.fsm", message, sizeof message);
        if (write(fd, &got, sizeof got) != (ssize_t)sizeof got ||
            write(fd, message, sizeof message) != (ssize_t)sizeof message)
            _exit(4);
        _exit(0);
    }
    char message[512] = "";
    bool read_all = read(fd, rc, sizeof *rc) == (ssize_t)sizeof *rc &&
                    read(fd, message, sizeof message) == (ssize_t)sizeof message;
    close(fd);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    snprintf(error, size, "%s", message);
    return read_all && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

/* Memory running out while a model loads is said as that, never as a
 * fault of the file: the loading is tried with ever more memory, so that
 * each allocation on its way fails in one try or another, until it loads. */
static void out_of_memory_is_not_a_corrupt_file(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)state;
    skip();
#else
    void **pair = *state;
    const Segmentation *seg = pair[1];
    uint8_t *buf;
    size_t len;
    assert_int_equal(model_encode(seg, &buf, &len), 0);
    int failures = 0;
    bool loaded = false;
    enum { STEP = 4096, MOST = 16 << 20 };
    for (size_t budget = 0; budget <= MOST && !loaded; budget += STEP) {
        int rc = 1;
        char error[512];
        if (!decode_with_memory(buf, len, budget, &rc, error, sizeof error))
            fail_msg("the child loading with %zu bytes to spare died", budget);
        if (rc == 0) {
            loaded = true;
            continue;
        }
        failures++;
        if (strcmp(error, "m.fsm: out of memory loading the model") != 0)
            fail_msg("with %zu bytes to spare: '%s'", budget, error);
    }
    assert_true(loaded);
    assert_true(failures > 2); /* failed at several allocations, not only the first */
    free(buf);
#endif
}

/* The bytes version 8 added at the end of the payload: the other training
 * settings (8 of the autoencoder's as f64; the classifier's batch and two
 * patiences as u32, its learning rate, penalties and validation share as
 * f64). */
enum { V8_TAIL = 8 * 8 + 3 * 4 + 4 * 8 };

/* The bytes version 6 added before them: what the training panel's
 * demographics were read with. */
static size_t v6_tail(const Segmentation *seg)
{
    return 1 + 1 + 8 + 4 + strlen(seg->trained_with.zip_name);
}

/* The model as a file of an older version (2, 3 or 4) would hold it: the
 * current encoding without the fields that came later (version 3: the
 * recency, last of the settings; version 4: the stability's resamples after
 * the settings and after the sweep's k, each k's stability and its
 * segments' after its silhouette, and the stability stage's time, last
 * before the checksum; version 5: the genre weight after the resamples,
 * each film's genres after the rating scalers, and the genre block's
 * variance share, width and scales before the feature width). seg must
 * have no genre block: older files' centroids have no such columns. */
static uint8_t *older_file(const Segmentation *seg, uint32_t version, size_t *old_len)
{
    assert_int_equal(seg->scaling.genre_dim, 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal(model_encode(seg, &buf, &len), 0);
    uint8_t *old = malloc(len);
    assert_non_null(old);
    size_t to = 0;
#define KEEP(from, n)                                                                              \
    do {                                                                                           \
        memcpy(old + to, buf + (from), (n));                                                       \
        to += (n);                                                                                 \
    } while (0)
    const size_t settings = 24, recency = settings + 80, resamples = settings + 88;
    const size_t after_settings = settings + 100; /* past the genre weight */
    KEEP(0, recency);
    if (version >= 3)
        KEEP(recency, 8);
    if (version >= 4)
        KEEP(resamples, 4);
    size_t genres = after_settings + 8 + 4 * seg->n_users + 8 + 12 * seg->n_films;
    KEEP(after_settings, genres - after_settings);
    size_t sweep = sweep_offset(seg, buf, len);
    size_t genre_scales = sweep - 8 - 16; /* variance share, width 0, then the feature width */
    KEEP(genres + 4 * seg->n_films, genre_scales - (genres + 4 * seg->n_films));
    KEEP(genre_scales + 16, sweep + 12 - (genre_scales + 16));
    size_t at = sweep + 12,
           end = len - 8 - V8_TAIL - v6_tail(seg); /* version 6's and 8's not kept */
    if (version >= 4) {
        KEEP(at, end - at); /* the rest as it is */
        at = end;
    } else {
        at += 4; /* past kmax, knee, k and the resamples */
        for (int k = 1; k <= seg->sweep.kmax; k++) {
            size_t rest = 4 + 4 * seg->n_users + 4 * (size_t)k * seg->dim;
            size_t stability = 8 + 8 * (size_t)k; /* the k's, then its segments' */
            KEEP(at, 16);                         /* inertia, silhouette */
            KEEP(at + 16 + stability, rest);
            at += 16 + stability + rest;
        }
        KEEP(at, end - 8 - at); /* up to the stability's time */
    }
#undef KEEP
    uint64_t payload = to - 24, sum;
    memcpy(old + 8, &version, 4);
    memcpy(old + 16, &payload, 8);
    sum = model_checksum(old, to);
    memcpy(old + to, &sum, 8);
    *old_len = to + 8;
    free(buf);
    return old;
}

/* Files of versions 2, 3 and 4 still load: version 2 (settings without the
 * recency, which came in version 3) as recency 0, which is how its
 * embeddings were made; 2 and 3 without a measured stability; all without a
 * genre block (version 5). The model is made again without one, as such
 * files were. */
static void older_versions_load(void **state)
{
    void **pair = *state;
    PipelineOptions o;
    small_options(&o);
    o.features.genre_weight = 0;
    Segmentation made, *seg = &made;
    char error[256];
    assert_int_equal(pipeline_run(pair[0], &o, NULL, seg, error, sizeof error), FS_OK);
    assert_true(seg->options.features.recency > 0);
    assert_non_null(seg->sweep.stability);
    for (uint32_t version = 2; version <= 4; version++) {
        size_t len;
        uint8_t *buf = older_file(seg, version, &len);
        Segmentation s;
        assert_int_equal(model_decode(&s, buf, len, "old.fsm", error, sizeof error), 0);
        assert_true(s.options.features.recency ==
                    (version >= 3 ? seg->options.features.recency : 0.0));
        assert_true(s.options.features.genre_weight == 0);
        assert_int_equal(s.scaling.genre_dim, 0);
        if (version < 4) {
            assert_int_equal(s.options.stability, 0);
            assert_null(s.sweep.stability);
            assert_true(s.seconds[STAGE_STABILITY] == 0.0);
        } else {
            assert_int_equal(s.options.stability, seg->options.stability);
            assert_true(s.sweep.stability[2] == seg->sweep.stability[2]);
        }
        assert_true(s.seconds[STAGE_CLASSIFIER] == seg->seconds[STAGE_CLASSIFIER]);
        assert_int_equal(s.k, seg->k);
        for (int k = 1; k <= seg->sweep.kmax; k++) {
            assert_memory_equal(segmentation_labels(&s, k), segmentation_labels(seg, k),
                                seg->n_users * sizeof(int32_t));
            assert_true(s.sweep.silhouette[k - 1] == seg->sweep.silhouette[k - 1] ||
                        (isnan(s.sweep.silhouette[k - 1]) && isnan(seg->sweep.silhouette[k - 1])));
        }
        assert_memory_equal(s.ae.params, seg->ae.params, seg->ae.n_params * sizeof(float));
        segmentation_free(&s);
        free(buf);
    }
    segmentation_free(seg);
}

/* Version 6 keeps what the training panel's demographics were read with;
 * a version 5 file (the same without them) loads, not knowing it. */
static void version_6_keeps_the_training_panels_facts(void **state)
{
    void **pair = *state;
    const Segmentation *seg = pair[1];
    assert_true(seg->trained_with.known);
    assert_false(seg->trained_with.zip_list); /* the demo panel: the built-in table */
    uint8_t *buf;
    size_t len;
    Segmentation s;
    char error[256];
    encode_and_decode(seg, &buf, &len, &s);
    assert_true(s.trained_with.known);
    assert_int_equal(s.trained_with.zip_list, seg->trained_with.zip_list);
    assert_int_equal(s.trained_with.zip_count, seg->trained_with.zip_count);
    assert_int_equal(s.trained_with.ages_banded, seg->trained_with.ages_banded);
    assert_string_equal(s.trained_with.zip_name, seg->trained_with.zip_name);
    segmentation_free(&s);
    size_t v5_len = len - V8_TAIL - v6_tail(seg); /* the payload as it was before both */
    uint32_t five = 5;
    uint64_t payload = v5_len - 8 - 24, sum;
    memcpy(buf + 8, &five, 4);
    memcpy(buf + 16, &payload, 8);
    sum = model_checksum(buf, v5_len - 8);
    memcpy(buf + v5_len - 8, &sum, 8);
    assert_int_equal(model_decode(&s, buf, v5_len, "v5.fsm", error, sizeof error), 0);
    assert_false(s.trained_with.known);
    assert_int_equal(s.k, seg->k);
    segmentation_free(&s);
    free(buf);
}

/* A model of version 6 saw a half star as the star above: it is fed ratings
 * so, and saved again it says so still; one of today's takes 3.5 as 3.5. */
static void version_6_models_see_half_stars_rounded(void **state)
{
    void **pair = *state;
    Panel *p = pair[0];
    const Segmentation *seg = pair[1];
    uint8_t *buf, *again;
    size_t len, again_len;
    Segmentation now, v6;
    char error[256];
    encode_and_decode(seg, &buf, &len, &now);
    assert_false(now.half_stars_rounded);
    uint32_t version = 6;
    memcpy(buf + 8, &version, 4);
    len -= V8_TAIL; /* version 8's settings, which version 6 had not */
    uint64_t payload = len - 8 - 24, sum;
    memcpy(buf + 16, &payload, 8);
    sum = model_checksum(buf, len - 8);
    memcpy(buf + len - 8, &sum, 8);
    assert_int_equal(model_decode(&v6, buf, len, "m.fsm", error, sizeof error), 0);
    assert_true(v6.half_stars_rounded);

    uint8_t kept = p->user_half_stars[p->user_start[0]];
    p->user_half_stars[p->user_start[0]] = 7; /* 3.5 stars */
    uint32_t col[4096], time[4096];
    float value[4096];
    assert_true(seg->n_films < 4096);
    size_t n = segmentation_user_ratings(&now, p, 0, col, value, time);
    assert_true(n > 0);
    assert_true(value[0] == 0.7f);
    segmentation_user_ratings(&v6, p, 0, col, value, time);
    assert_true(value[0] == 0.8f);
    p->user_half_stars[p->user_start[0]] = kept;

    assert_int_equal(model_encode(&v6, &again, &again_len), 0);
    memcpy(&version, again + 8, 4);
    assert_int_equal(version, 6);
    assert_int_equal(again_len, len); /* and without version 8's settings */
    free(again);
    free(buf);
    segmentation_free(&now);
    segmentation_free(&v6);
}

/* Version 8 keeps every training setting, so that a retrain from the file
 * is the run it came from (the explorer's retrain of a model trained with
 * the likes head off turned it on: the file did not say); a version 7 file
 * reads the defaults, the likes head off where the autoencoder has one
 * head; a setting out of range, or heads its settings do not give, are
 * refused. */
static void version_8_keeps_every_setting(void **state)
{
    void **pair = *state;
    PipelineOptions o;
    small_options(&o);
    o.ae.implicit_weight = 0;
    o.ae.unrated_share = 0.5f;
    o.ae.unrated_weight = 0.25f;
    o.ae.input_dropout = 0.1f;
    o.ae.weight_decay = 0.002f;
    o.ae.heldout_share = 0.3f;
    o.ae.val_share = 0.25;
    o.classifier.batch = 12;
    o.classifier.plateau_patience = 4;
    o.classifier.stop_patience = 9;
    o.classifier.lr = 0.002f;
    o.classifier.l1 = 0.0005f;
    o.classifier.l2 = 0.0003f;
    o.classifier.val_share = 0.25;
    Segmentation made;
    char error[256];
    assert_int_equal(pipeline_run(pair[0], &o, NULL, &made, error, sizeof error), FS_OK);
    assert_int_equal(made.ae.heads, 1);
    uint8_t *buf;
    size_t len;
    Segmentation s;
    encode_and_decode(&made, &buf, &len, &s);
    const AeOptions *a = &s.options.ae;
    assert_true(a->implicit_weight == 0 && a->unrated_share == 0.5f && a->unrated_weight == 0.25f &&
                a->input_dropout == 0.1f && a->weight_decay == 0.002f && a->heldout_share == 0.3f &&
                a->val_share == 0.25);
    const ClassifierOptions *c = &s.options.classifier;
    assert_int_equal(c->batch, 12);
    assert_int_equal(c->plateau_patience, 4);
    assert_int_equal(c->stop_patience, 9);
    assert_true(c->lr == 0.002f && c->l1 == 0.0005f && c->l2 == 0.0003f && c->val_share == 0.25);
    segmentation_free(&s);

    /* out of range, or at odds with the heads, under a right checksum */
    size_t tail = len - 8 - 24 - V8_TAIL;
    double share = 1.5, weight = 10.0;
    assert_int_equal(decode_with(buf, len, tail + 16, &share, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "an autoencoder or classifier setting is out of range"));
    assert_int_equal(decode_with(buf, len, tail + 48, &weight, 8, error, sizeof error), -1);
    assert_non_null(strstr(error, "the autoencoder has 1 head, its settings say 2"));

    /* the same as a version 7 file */
    uint32_t seven = 7;
    memcpy(buf + 8, &seven, 4);
    len -= V8_TAIL;
    uint64_t payload = len - 8 - 24, sum;
    memcpy(buf + 16, &payload, 8);
    sum = model_checksum(buf, len - 8);
    memcpy(buf + len - 8, &sum, 8);
    assert_int_equal(model_decode(&s, buf, len, "v7.fsm", error, sizeof error), 0);
    PipelineOptions defaults;
    pipeline_options_default(&defaults);
    assert_true(s.options.ae.implicit_weight == 0); /* its one head says it */
    assert_true(s.options.ae.unrated_share == defaults.ae.unrated_share);
    assert_int_equal(s.options.classifier.batch, defaults.classifier.batch);
    assert_true(s.settings_unrecorded);
    /* saved again: as version 7, without the defaults as though its own */
    uint8_t *again;
    size_t again_len;
    assert_int_equal(model_encode(&s, &again, &again_len), 0);
    uint32_t version;
    memcpy(&version, again + 8, 4);
    assert_int_equal(version, 7);
    assert_int_equal(again_len, len);
    free(again);
    segmentation_free(&s);
    free(buf);
    /* the fixture's model has the likes head: read as on */
    encode_and_decode(pair[1], &buf, &len, &s);
    assert_true(s.options.ae.implicit_weight ==
                ((Segmentation *)pair[1])->options.ae.implicit_weight);
    assert_true(s.options.ae.implicit_weight > 0);
    segmentation_free(&s);
    free(buf);
    segmentation_free(&made);
}

static void saving_never_leaves_a_half_written_file(void **state)
{
    void **pair = *state;
    char error[256];
    assert_int_equal(model_save(pair[1], "/nonexistent-dir/m.fsm", error, sizeof error), -1);
    assert_non_null(strstr(error, "/nonexistent-dir/m.fsm"));
    /* an existing file is replaced whole */
    char path[] = "/tmp/filmseg-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(write(fd, "old", 3) == 3);
    close(fd);
    assert_int_equal(model_save(pair[1], path, error, sizeof error), 0);
    Segmentation s;
    assert_int_equal(model_load(&s, path, error, sizeof error), 0);
    segmentation_free(&s);
    unlink(path);
}

static void cancel_on_first_event(void *ctx, const ProgressEvent *ev)
{
    (void)ev;
    atomic_store((atomic_int *)ctx, 1);
}

static void cancelled_pipeline_returns_cancelled(void **state)
{
    void **pair = *state;
    atomic_int cancel = 0;
    Progress progress = {cancel_on_first_event, &cancel, &cancel};
    PipelineOptions o;
    small_options(&o);
    Segmentation seg;
    char error[256];
    assert_int_equal(pipeline_run(pair[0], &o, &progress, &seg, error, sizeof error), FS_CANCELLED);
    assert_null(seg.sweep.results);
    o.k = 9; /* above kmax */
    assert_int_equal(pipeline_run(pair[0], &o, NULL, &seg, error, sizeof error), FS_ERROR);
    assert_non_null(strstr(error, "kmax"));
}

/* What report --model prints of seg's training on panel p (free() it). */
static char *training_report(const Segmentation *seg, const Panel *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_true(report_training(seg, seg->k, p, FORMAT_TEXT, out));
    fclose(out);
    return text;
}

typedef struct {
    int stage; /* the event of this stage (STAGE_*) and step cancels */
    int cancel_step;
    int how; /* PROGRESS_CANCEL or PROGRESS_KEEP_DONE */
    atomic_int cancel;
} StageCancel;

static void cancel_in_stage(void *ctx, const ProgressEvent *ev)
{
    StageCancel *c = ctx;
    if (ev->stage == c->stage && ev->step == c->cancel_step)
        atomic_store(&c->cancel, c->how);
}

/* A cancel keeping what is done, in the stability stage, keeps the run: the
 * segments and classifier of the uncancelled run, the stability of the
 * refits finished (as a run asking that many), and the model says it was
 * stopped; it saves and loads. A plain cancel there, or one in the
 * classifier's last epoch, cancels the run. */
static void cancel_in_stability_keeps_the_run(void **state)
{
    void **pair = *state;
    const Segmentation *full = pair[1];
    StageCancel c = {.stage = STAGE_STABILITY, .cancel_step = 2, .how = PROGRESS_KEEP_DONE};
    atomic_init(&c.cancel, 0);
    Progress progress = {cancel_in_stage, &c, &c.cancel};
    PipelineOptions o;
    small_options(&o);
    assert_int_equal(o.stability, 5);
    Segmentation seg, two;
    char error[256];
    assert_int_equal(pipeline_run(pair[0], &o, &progress, &seg, error, sizeof error), FS_OK);
    assert_int_equal(segmentation_stability_refits(&seg), 2);
    assert_true(segmentation_stability_stopped(&seg));
    assert_false(segmentation_stability_stopped(full));
    assert_int_equal(segmentation_stability_refits(full), 5);
    assert_memory_equal(segmentation_labels(&seg, 3), segmentation_labels(full, 3),
                        full->n_users * sizeof(int32_t));
    o.stability = 2;
    assert_int_equal(pipeline_run(pair[0], &o, NULL, &two, error, sizeof error), FS_OK);
    assert_false(segmentation_stability_stopped(&two));
    assert_memory_equal(seg.sweep.stability, two.sweep.stability, 6 * sizeof(double));
    char path[] = "/tmp/filmseg-stopped-XXXXXX";
    close(mkstemp(path));
    assert_int_equal(model_save(&seg, path, error, sizeof error), 0);
    Segmentation back;
    assert_int_equal(model_load(&back, path, error, sizeof error), 0);
    unlink(path);
    assert_true(segmentation_stability_stopped(&back));
    assert_int_equal(segmentation_stability_refits(&back), 2);
    assert_int_equal(back.options.stability, 5);
    char *text = training_report(&back, pair[0]);
    assert_non_null(strstr(text, "segments made again from 2 random samples"));
    assert_non_null(strstr(text, "The training's stability stage was stopped at 2 of the 5 "
                                 "refits asked: the figures are of those done.\n"));
    free(text);
    segmentation_free(&back);
    segmentation_free(&two);
    segmentation_free(&seg);
    /* cancelled as the stage starts: kept with no stability measured */
    c.cancel_step = 0;
    atomic_store(&c.cancel, 0);
    o.stability = 5;
    assert_int_equal(pipeline_run(pair[0], &o, &progress, &seg, error, sizeof error), FS_OK);
    assert_null(seg.sweep.stability);
    assert_int_equal(segmentation_stability_refits(&seg), 0);
    assert_true(segmentation_stability_stopped(&seg));
    text = training_report(&seg, pair[0]);
    assert_non_null(strstr(text, "stopped at 0 of the 5 refits asked, before any was done.\n"));
    free(text);
    text = training_report(full, pair[0]); /* a run not stopped says nothing of it */
    assert_null(strstr(text, "was stopped"));
    free(text);
    segmentation_free(&seg);
    /* a plain cancel in the stability stage: the run is cancelled */
    c.how = PROGRESS_CANCEL;
    c.cancel_step = 2;
    atomic_store(&c.cancel, 0);
    assert_int_equal(pipeline_run(pair[0], &o, &progress, &seg, error, sizeof error), FS_CANCELLED);
    /* and in the classifier's last epoch (one epoch: the first is the last) */
    c.stage = STAGE_CLASSIFIER;
    c.cancel_step = 1;
    atomic_store(&c.cancel, 0);
    o.classifier.epochs = 1;
    assert_int_equal(pipeline_run(pair[0], &o, &progress, &seg, error, sizeof error), FS_CANCELLED);
}

/* Its own panel passes; one whose films have other genres (another panel
 * of the same ids: the demo panel for an ml-100k model), or none of whose
 * users are in the model, is refused with the reason. */
static void model_describes_only_its_panel(void **state)
{
    void **pair = *state;
    Panel *p = pair[0];
    Segmentation *seg = pair[1];
    char error[512];
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_OK);

    size_t changed = p->n_films / 3;             /* a third re-tagged: another panel */
    for (size_t f = 0; f < p->n_films / 20; f++) /* a few: still the same panel */
        p->films[f].genres ^= 1u;
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_OK);
    for (size_t f = 0; f < p->n_films / 20; f++)
        p->films[f].genres ^= 1u;
    for (size_t f = 0; f < changed; f++)
        p->films[f].genres ^= 1u;
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_ERROR);
    assert_non_null(strstr(error, "is not the one the model was trained on"));
    assert_non_null(strstr(error, "with the same genres"));
    for (size_t f = 0; f < changed; f++)
        p->films[f].genres ^= 1u;

    /* the same genres numbered otherwise (a 1M or CSV films file listed in
     * another order): the same panel */
    uint32_t *kept = malloc(p->n_films * sizeof *kept);
    assert_non_null(kept);
    for (size_t f = 0; f < p->n_films; f++) {
        kept[f] = p->films[f].genres;
        uint32_t renumbered = 0;
        for (uint32_t bits = kept[f]; bits; bits &= bits - 1)
            renumbered |= 1u << (31 - __builtin_ctz(bits));
        p->films[f].genres = renumbered;
    }
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_OK);
    for (size_t f = 0; f < p->n_films; f++)
        p->films[f].genres = kept[f];

    /* two genres on exactly the same films, in model and panel alike: still
     * its panel (both were taken for one of them) */
    uint32_t *model_kept = malloc(seg->n_films * sizeof *model_kept);
    assert_non_null(model_kept);
    memcpy(model_kept, seg->film_genres, seg->n_films * sizeof *model_kept);
    for (size_t j = 0; j < seg->n_films; j++) {
        long f = panel_film_index(p, seg->film_ids[j]);
        if (f >= 0 && f % 2 == 0) {
            seg->film_genres[j] |= 3u << 29;
            p->films[f].genres |= 3u << 29;
        }
    }
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_OK);
    memcpy(seg->film_genres, model_kept, seg->n_films * sizeof *model_kept);
    free(model_kept);
    for (size_t f = 0; f < p->n_films; f++)
        p->films[f].genres = kept[f];

    /* two genres merged into one in the panel (one renamed as the other): not
     * its panel when they tag enough films */
    size_t count[32] = {0};
    for (size_t f = 0; f < p->n_films; f++)
        for (uint32_t bits = p->films[f].genres; bits; bits &= bits - 1)
            count[__builtin_ctz(bits)]++;
    int most = 0, next = 1;
    for (int g = 0; g < 32; g++)
        if (count[g] > count[most]) {
            next = most;
            most = g;
        } else if (g != most && count[g] > count[next]) {
            next = g;
        }
    for (size_t f = 0; f < p->n_films; f++)
        if (p->films[f].genres & (1u << next))
            p->films[f].genres = (p->films[f].genres & ~(1u << next)) | (1u << most);
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_ERROR);
    for (size_t f = 0; f < p->n_films; f++)
        p->films[f].genres = kept[f];
    free(kept);

    for (size_t i = 0; i < seg->n_users; i++)
        seg->user_ids[i] += 1000000;
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_ERROR);
    assert_non_null(strstr(error, "none of the"));
    for (size_t i = 0; i < seg->n_users; i++)
        seg->user_ids[i] -= 1000000;
    assert_int_equal(segmentation_panel_check(seg, p, error, sizeof error), FS_OK);
}

static void k_as_large_as_the_panel_is_refused(void **state)
{
    void **pair = *state;
    const Panel *p = pair[0];
    PipelineOptions o;
    small_options(&o);
    o.stability = 0;
    o.kmax = o.k = (int)p->n_users;
    Segmentation seg;
    char error[256];
    assert_int_equal(pipeline_run(p, &o, NULL, &seg, error, sizeof error), FS_ERROR);
    char want[64];
    snprintf(want, sizeof want, "choose k below %zu", p->n_users);
    assert_non_null(strstr(error, want));
}

/* One most k for everything: the pipeline refuses a kmax past KMEANS_MAX_K
 * before any training, the loader a file whose sweep goes past it (it took
 * up to 10000, and a k past the classifier's 1000 then read as a classifier
 * of the wrong shape), and the command line and the form take k and kmax
 * up to it. */
static void k_past_the_most_is_refused(void **state)
{
    void **pair = *state;
    const Panel *p = pair[0];
    const Segmentation *seg = pair[1];
    assert_true(p->n_users > KMEANS_MAX_K + 1); /* the panel is not what stops it */
    PipelineOptions o;
    small_options(&o);
    o.stability = 0;
    o.kmax = KMEANS_MAX_K + 1;
    Segmentation out;
    char error[256];
    assert_int_equal(pipeline_run(p, &o, NULL, &out, error, sizeof error), FS_ERROR);
    assert_string_equal(error, "kmax must be at most 255 (256)");
    uint8_t *buf;
    size_t len;
    assert_int_equal(model_encode(seg, &buf, &len), 0);
    uint32_t kmax = KMEANS_MAX_K + 1;
    size_t at = sweep_offset(seg, buf, len) - 24;
    assert_int_equal(decode_with(buf, len, at, &kmax, 4, error, sizeof error), -1);
    assert_string_equal(error, "m.fsm: the model's sweep goes to kmax 256, past the most segments "
                               "filmseg makes (255)");
    free(buf);
    assert_true(TRAINING_LIMITS[TRAINING_K].hi == KMEANS_MAX_K);
    assert_true(TRAINING_LIMITS[TRAINING_KMAX].hi == KMEANS_MAX_K);
    assert_int_equal(classifier_n_params(10, KMEANS_MAX_K + 1, 4, 4), 0);
    assert_true(classifier_n_params(10, KMEANS_MAX_K, 4, 4) > 0);
}

/* The explorer saves a model at another k of the sweep by training its
 * classifier alone: the same network, bit for bit, and the same report as
 * the whole pipeline run at that k; k outside 2..kmax and a panel lacking
 * one of the model's users are refused with the reason. */
static void classifier_at_another_k_is_the_pipelines(void **state)
{
    void **pair = *state;
    const Panel *p = pair[0];
    Segmentation *seg = pair[1];
    PipelineOptions o = seg->options;
    o.k = 4;
    Segmentation at4;
    char error[256];
    assert_int_equal(pipeline_run(p, &o, NULL, &at4, error, sizeof error), FS_OK);
    Classifier c;
    ClassifierReport report;
    assert_int_equal(
        segmentation_train_classifier(seg, p, 4, NULL, &c, &report, error, sizeof error), FS_OK);
    assert_int_equal(c.k, 4);
    assert_int_equal(c.n_params, at4.classifier.n_params);
    assert_memory_equal(c.params, at4.classifier.params, c.n_params * sizeof *c.params);
    assert_int_equal(report.epochs_run, at4.classifier_report.epochs_run);
    assert_int_equal(report.best_epoch, at4.classifier_report.best_epoch);
    assert_memory_equal(report.confusion, at4.classifier_report.confusion, 16 * sizeof(int));
    assert_int_equal(seg->classifier.k, 3); /* seg itself untouched */
    classifier_free(&c);
    classifier_report_free(&report);
    segmentation_free(&at4);

    assert_int_equal(
        segmentation_train_classifier(seg, p, 1, NULL, &c, &report, error, sizeof error), FS_ERROR);
    assert_non_null(strstr(error, "k must be 2..6 (k 1)"));
    assert_int_equal(
        segmentation_train_classifier(seg, p, 7, NULL, &c, &report, error, sizeof error), FS_ERROR);
    seg->user_ids[1] += 1000000;
    assert_int_equal(
        segmentation_train_classifier(seg, p, 4, NULL, &c, &report, error, sizeof error), FS_ERROR);
    seg->user_ids[1] -= 1000000;
    char want[96];
    snprintf(want, sizeof want, "the panel lacks 1 of the model's %zu users", seg->n_users);
    assert_non_null(strstr(error, want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pipeline_keeps_every_k),
        cmocka_unit_test(save_load_and_score_give_identical_output),
        cmocka_unit_test(broken_files_are_refused),
        cmocka_unit_test(out_of_memory_is_not_a_corrupt_file),
        cmocka_unit_test(out_of_range_settings_are_refused),
        cmocka_unit_test(older_versions_load),
        cmocka_unit_test(stability_settings),
        cmocka_unit_test(saving_never_leaves_a_half_written_file),
        cmocka_unit_test(cancelled_pipeline_returns_cancelled),
        cmocka_unit_test(cancel_in_stability_keeps_the_run),
        cmocka_unit_test(model_describes_only_its_panel),
        cmocka_unit_test(version_6_keeps_the_training_panels_facts),
        cmocka_unit_test(version_6_models_see_half_stars_rounded),
        cmocka_unit_test(version_8_keeps_every_setting),
        cmocka_unit_test(k_as_large_as_the_panel_is_refused),
        cmocka_unit_test(k_past_the_most_is_refused),
        cmocka_unit_test(classifier_at_another_k_is_the_pipelines),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
