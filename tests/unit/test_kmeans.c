/* test_kmeans.c: unit tests of the k-means module (fit, Hamerly vs plain
 * Lloyd, determinism across threads, sweep, Kneedle, silhouette, stability,
 * adjusted Rand index, cancelling and argument checks). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filmseg/kmeans.h"
#include "filmseg/rng.h"

/* n points in d dimensions around `clusters` centres drawn uniformly in
 * [-spread, spread]^d, unit Gaussian noise; point i belongs to i % clusters. */
static float *planted_clusters(size_t n, size_t d, int clusters, double spread, uint64_t seed,
                               int32_t **truth)
{
    Rng rng;
    rng_seed(&rng, seed);
    double *centres = malloc((size_t)clusters * d * sizeof *centres);
    float *x = malloc(n * d * sizeof *x);
    *truth = malloc(n * sizeof **truth);
    assert_non_null(centres);
    assert_non_null(x);
    assert_non_null(*truth);
    for (size_t i = 0; i < (size_t)clusters * d; i++)
        centres[i] = (2.0 * rng_uniform(&rng) - 1.0) * spread;
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % (size_t)clusters);
        (*truth)[i] = c;
        for (size_t t = 0; t < d; t++)
            x[i * d + t] = (float)(centres[(size_t)c * d + t] + rng_normal(&rng));
    }
    free(centres);
    return x;
}

static float *uniform_data(size_t n, size_t d, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    float *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n * d; i++)
        x[i] = (float)rng_uniform(&rng);
    return x;
}

static KmeansOptions options(int k, int threads)
{
    KmeansOptions o;
    kmeans_options_default(&o);
    o.k = k;
    o.threads = threads;
    return o;
}

static void assert_same_result(const KmeansResult *a, const KmeansResult *b)
{
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->d, b->d);
    assert_memory_equal(a->labels, b->labels, a->n * sizeof *a->labels);
    assert_memory_equal(a->centroids, b->centroids, (size_t)a->k * a->d * sizeof(float));
    assert_true(a->inertia == b->inertia);
    assert_int_equal(a->iterations, b->iterations);
}

/* Two triangles far apart: centroids (1/3, 1/3) and (31/3, 31/3), each
 * cluster contributing 2/9 + 5/9 + 5/9 = 4/3 to the inertia. */
static void test_fit_hand_solved_two_clusters(void **state)
{
    (void)state;
    const float x[] = {0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10};
    KmeansOptions o = options(2, 1);
    KmeansResult r;
    assert_int_equal(kmeans_fit(x, 6, 2, &o, NULL, &r), FS_OK);
    assert_int_equal(r.k, 2);
    assert_int_equal(r.labels[0], r.labels[1]);
    assert_int_equal(r.labels[0], r.labels[2]);
    assert_int_equal(r.labels[3], r.labels[4]);
    assert_int_equal(r.labels[3], r.labels[5]);
    assert_int_not_equal(r.labels[0], r.labels[3]);
    const float *low = r.centroids + 2 * r.labels[0], *high = r.centroids + 2 * r.labels[3];
    assert_float_equal(low[0], 1.0 / 3.0, 1e-6);
    assert_float_equal(low[1], 1.0 / 3.0, 1e-6);
    assert_float_equal(high[0], 31.0 / 3.0, 1e-5);
    assert_float_equal(high[1], 31.0 / 3.0, 1e-5);
    assert_float_equal(r.inertia, 8.0 / 3.0, 1e-5);
    assert_true(r.iterations >= 1 && r.iterations <= o.max_iter);
    kmeans_result_free(&r);
}

static void test_fit_planted_gaussians_recovered(void **state)
{
    (void)state;
    int32_t *truth;
    float *x = planted_clusters(500, 10, 5, 20.0, 7, &truth);
    KmeansOptions o = options(5, 2);
    KmeansResult r;
    assert_int_equal(kmeans_fit(x, 500, 10, &o, NULL, &r), FS_OK);
    assert_float_equal(kmeans_adjusted_rand(truth, r.labels, 500), 1.0, 1e-12);
    /* unit noise in 10-D: about 10 per point */
    assert_true(r.inertia > 500 * 10 * 0.8 && r.inertia < 500 * 10 * 1.2);
    kmeans_result_free(&r);
    free(x);
    free(truth);
}

static void test_fit_same_seed_same_result_any_threads(void **state)
{
    (void)state;
    float *x = uniform_data(300, 8, 11);
    KmeansOptions o1 = options(6, 1), o2 = options(6, 2), o3 = options(6, 3), o0 = options(6, 0);
    KmeansResult r1, r2, r3, r0;
    assert_int_equal(kmeans_fit(x, 300, 8, &o1, NULL, &r1), FS_OK);
    assert_int_equal(kmeans_fit(x, 300, 8, &o2, NULL, &r2), FS_OK);
    assert_int_equal(kmeans_fit(x, 300, 8, &o3, NULL, &r3), FS_OK);
    assert_int_equal(kmeans_fit(x, 300, 8, &o0, NULL, &r0), FS_OK);
    assert_same_result(&r1, &r2);
    assert_same_result(&r1, &r3);
    assert_same_result(&r1, &r0);
    /* and a different seed gives a different run */
    KmeansOptions other = options(6, 2);
    other.seed = 43;
    KmeansResult r4;
    assert_int_equal(kmeans_fit(x, 300, 8, &other, NULL, &r4), FS_OK);
    assert_true(r4.inertia != r1.inertia ||
                memcmp(r4.labels, r1.labels, 300 * sizeof(int32_t)) != 0);
    kmeans_result_free(&r1);
    kmeans_result_free(&r2);
    kmeans_result_free(&r3);
    kmeans_result_free(&r0);
    kmeans_result_free(&r4);

    KmeansSweep s1, s2;
    KmeansOptions so1 = options(0, 1), so2 = options(0, 2);
    so1.restarts = so2.restarts = 3;
    assert_int_equal(kmeans_sweep(x, 300, 8, 6, &so1, NULL, &s1), FS_OK);
    assert_int_equal(kmeans_sweep(x, 300, 8, 6, &so2, NULL, &s2), FS_OK);
    for (int k = 1; k <= 6; k++) {
        assert_same_result(&s1.results[k - 1], &s2.results[k - 1]);
        if (k >= 2)
            assert_true(s1.silhouette[k - 1] == s2.silhouette[k - 1]);
    }
    assert_int_equal(s1.knee, s2.knee);
    kmeans_sweep_free(&s1);
    kmeans_sweep_free(&s2);
    free(x);
}

/* Unstructured data makes many points sit near cluster borders, the hard case
 * for the bounds; tol = 0 runs until the labels stop changing. Elkan and
 * Hamerly must give exactly what plain Lloyd gives from the same seeds. */
static void test_bounded_algorithms_match_plain_lloyd(void **state)
{
    (void)state;
    const size_t n = 600, d = 12;
    float *x = uniform_data(n, d, 5);
    const int ks[] = {1, 2, 5, 13, 40};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++)
        for (int tol_zero = 0; tol_zero <= 1; tol_zero++) {
            KmeansOptions plain = options(ks[t], 2);
            plain.restarts = 3;
            plain.algorithm = KMEANS_LLOYD;
            if (tol_zero)
                plain.tol = 0.0;
            KmeansResult want;
            assert_int_equal(kmeans_fit(x, n, d, &plain, NULL, &want), FS_OK);
            if (ks[t] >= 5 && tol_zero)
                assert_true(want.iterations > 5); /* the bounds really get used */
            const KmeansAlgorithm fast[] = {KMEANS_ELKAN, KMEANS_HAMERLY};
            for (int f = 0; f < 2; f++) {
                KmeansOptions o = plain;
                o.algorithm = fast[f];
                KmeansResult got;
                assert_int_equal(kmeans_fit(x, n, d, &o, NULL, &got), FS_OK);
                assert_same_result(&got, &want);
                kmeans_result_free(&got);
            }
            kmeans_result_free(&want);
        }
    /* and in high dimension (the study's shape class), with a sweep */
    float *y = uniform_data(300, 180, 6);
    KmeansSweep a, b;
    KmeansOptions o = options(0, 2);
    o.restarts = 2;
    assert_int_equal(kmeans_sweep(y, 300, 180, 12, &o, NULL, &a), FS_OK);
    o.algorithm = KMEANS_LLOYD;
    assert_int_equal(kmeans_sweep(y, 300, 180, 12, &o, NULL, &b), FS_OK);
    for (int k = 1; k <= 12; k++)
        assert_same_result(&a.results[k - 1], &b.results[k - 1]);
    kmeans_sweep_free(&a);
    kmeans_sweep_free(&b);
    free(y);
    free(x);
}

/* k-means' own AVX-512 code (the first assignment from the seeding table,
 * Elkan's candidate lists) gives what the portable code gives: a sweep on
 * points whose count is no multiple of the vector width, each k's labels,
 * centroids and inertia and the silhouettes. */
static void test_portable_code_matches_vector_code(void **state)
{
    (void)state;
    const size_t n = 301, d = 40;
    float *x = uniform_data(n, d, 7);
    KmeansSweep vec, port;
    KmeansOptions o = options(0, 2);
    o.restarts = 3;
    /* up to 34 clusters: Elkan's bounds in one, two and three blocks of 16 */
    assert_int_equal(kmeans_sweep(x, n, d, 34, &o, NULL, &vec), FS_OK);
    o.portable = true;
    assert_int_equal(kmeans_sweep(x, n, d, 34, &o, NULL, &port), FS_OK);
    for (int k = 1; k <= 34; k++) {
        assert_same_result(&vec.results[k - 1], &port.results[k - 1]);
        if (k >= 2)
            assert_true(vec.silhouette[k - 1] == port.silhouette[k - 1]);
    }
    kmeans_sweep_free(&vec);
    kmeans_sweep_free(&port);
    free(x);
}

static void test_knee_planted_curve(void **state)
{
    (void)state;
    const double elbow4[] = {1000, 600, 300, 100, 90, 80, 70, 60, 50, 40};
    assert_int_equal(kmeans_knee(elbow4, 10), 4);
    const double elbow2[] = {500, 100, 90, 85, 80, 76, 73};
    assert_int_equal(kmeans_knee(elbow2, 7), 2);
    /* 1/k: the Kneedle knee of y = 1/x on 1..10 is at 3 */
    double hyperbola[10];
    for (int k = 1; k <= 10; k++)
        hyperbola[k - 1] = 1.0 / k;
    assert_int_equal(kmeans_knee(hyperbola, 10), 3);
    const double line[] = {50, 40, 30, 20, 10, 0};
    assert_int_equal(kmeans_knee(line, 6), 0);
    const double flat[] = {5, 5, 5, 5};
    assert_int_equal(kmeans_knee(flat, 4), 0);
    assert_int_equal(kmeans_knee(elbow4, 2), 0);
    assert_int_equal(kmeans_knee(NULL, 10), 0);
    const double bad[] = {10, NAN, 1, 0.5};
    assert_int_equal(kmeans_knee(bad, 4), 0);
}

/* The inertia curve of a generated panel with 3 well-separated segments
 * (k = 1..29): three steep drops, then a long tail of small gains. Kneedle
 * over the whole range lands on 5; focused on 1..10 it lands on 3. */
static void test_knee_focused_ignores_the_long_tail(void **state)
{
    (void)state;
    const double curve3[] = {528.000, 317.074, 127.732, 104.346, 84.586, 67.415, 62.952, 58.661,
                             55.753,  54.410,  52.264,  50.654,  49.245, 47.964, 47.279, 46.201,
                             45.527,  44.953,  44.226,  43.591,  42.917, 42.709, 42.389, 41.904,
                             41.269,  40.949,  40.500,  40.312,  39.733};
    assert_int_equal(kmeans_knee(curve3, 29), 5);
    assert_int_equal(kmeans_knee_focused(curve3, 29), 3);
    /* 1/k has no real bend: the floor of the range keeps it at its 1..10 knee */
    double hyperbola[29];
    for (int k = 1; k <= 29; k++)
        hyperbola[k - 1] = 1.0 / k;
    assert_int_equal(kmeans_knee(hyperbola, 29), 5);
    assert_int_equal(kmeans_knee_focused(hyperbola, 29), 3);
    assert_int_equal(kmeans_knee_focused(hyperbola, 10), 3);
    /* a knee already found on a short range is kept; no knee stays none */
    const double elbow4[] = {1000, 600, 300, 100, 90, 80, 70, 60, 50, 40};
    assert_int_equal(kmeans_knee_focused(elbow4, 10), 4);
    const double line[] = {50, 40, 30, 20, 10, 0};
    assert_int_equal(kmeans_knee_focused(line, 6), 0);
    assert_int_equal(kmeans_knee_focused(NULL, 29), 0);
}

typedef struct {
    int calls;
    int last_step;
    int steps;
    double metric[16];
    int cancel_after; /* set *flag after this k, 0 = never */
    atomic_int *flag;
} ProgressLog;

static void log_progress(void *ctx, const ProgressEvent *ev)
{
    ProgressLog *log = ctx;
    assert_int_equal(ev->stage, STAGE_SWEEP);
    assert_int_equal(ev->step, log->last_step + 1);
    log->last_step = ev->step;
    log->steps = ev->steps;
    log->metric[log->calls++] = ev->metric;
    if (log->cancel_after && ev->step == log->cancel_after)
        atomic_store(log->flag, 1);
}

static void test_sweep_knee_four_planted_clusters(void **state)
{
    (void)state;
    int32_t *truth;
    float *x = planted_clusters(400, 6, 4, 15.0, 21, &truth);
    KmeansOptions o = options(0, 2);
    ProgressLog log = {0};
    Progress progress = {.report = log_progress, .ctx = &log};
    KmeansSweep s;
    assert_int_equal(kmeans_sweep(x, 400, 6, 10, &o, &progress, &s), FS_OK);
    assert_int_equal(s.kmax, 10);
    assert_int_equal(s.knee, 4);
    assert_int_equal(log.calls, 10);
    assert_int_equal(log.steps, 10);
    assert_true(isnan(s.silhouette[0]));
    int best_k = 2;
    for (int k = 1; k <= 10; k++) {
        const KmeansResult *r = &s.results[k - 1];
        assert_int_equal(r->k, k);
        assert_non_null(r->labels);
        assert_true(log.metric[k - 1] == r->inertia);
        if (k >= 2) {
            assert_true(s.silhouette[k - 1] >= -1.0 && s.silhouette[k - 1] <= 1.0);
            if (s.silhouette[k - 1] > s.silhouette[best_k - 1])
                best_k = k;
        }
    }
    assert_int_equal(best_k, 4);
    assert_true(s.silhouette[3] > 0.7);
    assert_float_equal(kmeans_adjusted_rand(truth, s.results[3].labels, 400), 1.0, 1e-12);
    kmeans_sweep_free(&s);
    free(x);
    free(truth);
}

static void test_sweep_results_match_fit(void **state)
{
    (void)state;
    float *x = uniform_data(200, 5, 3);
    KmeansOptions o = options(0, 2);
    o.restarts = 4;
    KmeansSweep s;
    assert_int_equal(kmeans_sweep(x, 200, 5, 7, &o, NULL, &s), FS_OK);
    for (int k = 1; k <= 7; k++) {
        KmeansOptions ok = o;
        ok.k = k;
        KmeansResult r;
        assert_int_equal(kmeans_fit(x, 200, 5, &ok, NULL, &r), FS_OK);
        assert_same_result(&r, &s.results[k - 1]);
        if (k >= 2)
            assert_true(kmeans_silhouette(x, 200, 5, r.labels, k, o.seed) == s.silhouette[k - 1]);
        kmeans_result_free(&r);
    }
    kmeans_sweep_free(&s);
    free(x);
}

/* More points than the silhouette takes: the sweep's (from its table of
 * pair distances over the seeded sample) equals kmeans_silhouette's (pair by
 * pair over the same sample). */
static void test_sweep_sampled_silhouette_matches(void **state)
{
    (void)state;
    const size_t n = KMEANS_SILHOUETTE_MAX_POINTS + 123;
    float *x = uniform_data(n, 5, 4);
    KmeansOptions o = options(0, 2);
    o.restarts = 2;
    KmeansSweep s;
    assert_int_equal(kmeans_sweep(x, n, 5, 3, &o, NULL, &s), FS_OK);
    for (int k = 2; k <= 3; k++)
        assert_true(kmeans_silhouette(x, n, 5, s.results[k - 1].labels, k, o.seed) ==
                    s.silhouette[k - 1]);
    kmeans_sweep_free(&s);
    free(x);
}

typedef struct {
    int calls, last_step, steps;
} StabilityLog;

static void log_stability(void *ctx, const ProgressEvent *ev)
{
    StabilityLog *log = ctx;
    assert_int_equal(ev->stage, STAGE_STABILITY); /* the resamples' own k-means say nothing */
    assert_int_equal(ev->step, log->last_step + 1);
    log->last_step = ev->step;
    log->steps = ev->steps;
    log->calls++;
}

/* Three well-separated planted clusters: every resample finds them again, so
 * k = 3 is perfectly stable; splitting a round cluster in two (k = 6) is
 * arbitrary and comes back different. */
static void test_stability_planted_clusters(void **state)
{
    (void)state;
    int32_t *truth;
    float *x = planted_clusters(300, 5, 3, 20.0, 7, &truth);
    KmeansOptions o = options(0, 2);
    KmeansSweep s;
    assert_int_equal(kmeans_sweep(x, 300, 5, 8, &o, NULL, &s), FS_OK);
    assert_null(s.stability); /* not measured by the sweep itself */
    assert_true(isnan(kmeans_segment_stability(&s, 3, 0)));
    assert_true(isnan(kmeans_weakest_segment_stability(&s, 3)));
    StabilityLog log = {0};
    Progress progress = {.report = log_stability, .ctx = &log};
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &o, 4, &progress, &s), FS_OK);
    assert_int_equal(log.calls, 4);
    assert_int_equal(log.steps, 4);
    assert_int_equal(s.stability_resamples, 4);
    assert_non_null(s.stability);
    assert_true(s.stability[0] == 1.0);
    assert_float_equal(s.stability[2], 1.0, 1e-12);
    assert_true(s.stability[5] < 0.9);
    for (int k = 1; k <= 8; k++)
        assert_true(s.stability[k - 1] >= -1.0 && s.stability[k - 1] <= 1.0);
    /* each segment's: the three planted ones come back whole every time; of
     * the six halves, some do not */
    assert_true(kmeans_segment_stability(&s, 1, 0) == 1.0);
    for (int seg = 0; seg < 3; seg++)
        assert_float_equal(kmeans_segment_stability(&s, 3, seg), 1.0, 1e-12);
    double weakest = 1.0;
    for (int seg = 0; seg < 6; seg++) {
        double st = kmeans_segment_stability(&s, 6, seg);
        assert_true(st > 0.0 && st <= 1.0);
        weakest = st < weakest ? st : weakest;
    }
    assert_true(weakest < 0.9);
    assert_true(kmeans_weakest_segment_stability(&s, 6) == weakest); /* the least of them */
    assert_float_equal(kmeans_weakest_segment_stability(&s, 3), 1.0, 1e-12);
    assert_true(isnan(kmeans_weakest_segment_stability(&s, 9)));
    assert_true(isnan(kmeans_segment_stability(&s, 6, 6)));
    assert_true(isnan(kmeans_segment_stability(&s, 9, 0)));
    assert_true(isnan(kmeans_segment_stability(&s, 0, 0)));

    /* many refits of segments that come back whole: 1, not a hair above (a
     * mean of ari / resamples summed 18 times made 1 + 2e-16, which no model
     * file may hold) */
    KmeansSweep many;
    assert_int_equal(kmeans_sweep(x, 300, 5, 4, &o, NULL, &many), FS_OK);
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &o, 18, NULL, &many), FS_OK);
    assert_true(many.stability[0] == 1.0);
    assert_true(many.stability[2] == 1.0);
    for (int k = 1; k <= 4; k++)
        assert_true(many.stability[k - 1] <= 1.0);
    kmeans_sweep_free(&many);

    /* the same seed gives the same figures whatever the threads */
    KmeansOptions one = options(0, 1);
    KmeansSweep s1;
    assert_int_equal(kmeans_sweep(x, 300, 5, 8, &one, NULL, &s1), FS_OK);
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &one, 4, NULL, &s1), FS_OK);
    assert_memory_equal(s.stability, s1.stability, 8 * sizeof *s.stability);
    assert_memory_equal(s.segment_stability, s1.segment_stability, 36 * sizeof(double));
    /* another seed draws other resamples */
    KmeansOptions other = o;
    other.seed = 43;
    KmeansSweep s2;
    assert_int_equal(kmeans_sweep(x, 300, 5, 8, &other, NULL, &s2), FS_OK);
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &other, 4, NULL, &s2), FS_OK);
    assert_memory_not_equal(s.stability + 3, s2.stability + 3, 5 * sizeof *s.stability);
    kmeans_sweep_free(&s);
    kmeans_sweep_free(&s1);
    kmeans_sweep_free(&s2);
    free(x);
    free(truth);
}

typedef struct {
    int cancel_at; /* the stability step whose event sets the cancel flag */
    atomic_int cancel;
} CancelAt;

static void cancel_at_step(void *ctx, const ProgressEvent *ev)
{
    CancelAt *c = ctx;
    if (ev->step == c->cancel_at)
        atomic_store(&c->cancel, 1);
}

/* A cancel keeps the resamples finished, the figures of a call for that
 * many; one before any leaves the sweep as it was. */
static void test_stability_cancel_keeps_finished(void **state)
{
    (void)state;
    int32_t *truth;
    float *x = planted_clusters(300, 5, 3, 20.0, 7, &truth);
    KmeansOptions o = options(0, 2);
    KmeansSweep stopped, asked;
    assert_int_equal(kmeans_sweep(x, 300, 5, 6, &o, NULL, &stopped), FS_OK);
    assert_int_equal(kmeans_sweep(x, 300, 5, 6, &o, NULL, &asked), FS_OK);
    CancelAt c = {.cancel_at = 2};
    atomic_init(&c.cancel, 0);
    Progress progress = {cancel_at_step, &c, &c.cancel};
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &o, 6, &progress, &stopped), FS_CANCELLED);
    assert_int_equal(stopped.stability_resamples, 2);
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &o, 2, NULL, &asked), FS_OK);
    assert_memory_equal(stopped.stability, asked.stability, 6 * sizeof *asked.stability);
    assert_memory_equal(stopped.segment_stability, asked.segment_stability, 21 * sizeof(double));
    /* cancelled before the first resample ends: the earlier figures stay */
    atomic_store(&c.cancel, 1);
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &o, 6, &progress, &stopped), FS_CANCELLED);
    assert_int_equal(stopped.stability_resamples, 2);
    assert_memory_equal(stopped.stability, asked.stability, 6 * sizeof *asked.stability);
    KmeansSweep fresh;
    assert_int_equal(kmeans_sweep(x, 300, 5, 6, &o, NULL, &fresh), FS_OK);
    assert_int_equal(kmeans_sweep_stability(x, 300, 5, &o, 6, &progress, &fresh), FS_CANCELLED);
    assert_null(fresh.stability);
    assert_null(fresh.segment_stability);
    assert_int_equal(fresh.stability_resamples, 0);
    kmeans_sweep_free(&stopped);
    kmeans_sweep_free(&asked);
    kmeans_sweep_free(&fresh);
    free(x);
    free(truth);
}

/* Uniform noise has no segments to find: no k beyond 1 is perfectly stable. */
static void test_stability_uniform_noise(void **state)
{
    (void)state;
    float *x = uniform_data(300, 8, 5);
    KmeansOptions o = options(0, 2);
    KmeansSweep s;
    assert_int_equal(kmeans_sweep(x, 300, 8, 8, &o, NULL, &s), FS_OK);
    assert_int_equal(kmeans_sweep_stability(x, 300, 8, &o, 3, NULL, &s), FS_OK);
    for (int k = 2; k <= 8; k++)
        assert_true(s.stability[k - 1] < 0.95);
    kmeans_sweep_free(&s);
    free(x);
}

static void test_stability_bad_arguments_and_cancel(void **state)
{
    (void)state;
    float *x = uniform_data(20, 3, 1);
    KmeansOptions o = options(0, 1);
    KmeansSweep s;
    assert_int_equal(kmeans_sweep(x, 20, 3, 17, &o, NULL, &s), FS_OK);
    /* 16 points in a resample: kmax 17 cannot be fitted again */
    assert_int_equal(kmeans_sweep_stability(x, 20, 3, &o, 2, NULL, &s), FS_ERROR);
    assert_null(s.stability);
    kmeans_sweep_free(&s);
    assert_int_equal(kmeans_sweep(x, 20, 3, 4, &o, NULL, &s), FS_OK);
    assert_int_equal(kmeans_sweep_stability(x, 20, 3, &o, 0, NULL, &s), FS_ERROR);
    assert_int_equal(
        kmeans_sweep_stability(x, 20, 3, &o, KMEANS_STABILITY_MAX_RESAMPLES + 1, NULL, &s),
        FS_ERROR);
    assert_int_equal(kmeans_sweep_stability(x, 19, 3, &o, 2, NULL, &s), FS_ERROR); /* other x */
    assert_int_equal(kmeans_sweep_stability(NULL, 20, 3, &o, 2, NULL, &s), FS_ERROR);
    assert_int_equal(kmeans_sweep_stability(x, 20, 3, NULL, 2, NULL, &s), FS_ERROR);
    assert_int_equal(kmeans_sweep_stability(x, 20, 3, &o, 2, NULL, NULL), FS_ERROR);
    atomic_int flag;
    atomic_init(&flag, 1);
    Progress cancelled = {.cancel = &flag};
    assert_int_equal(kmeans_sweep_stability(x, 20, 3, &o, 2, &cancelled, &s), FS_CANCELLED);
    assert_null(s.stability);
    assert_int_equal(kmeans_sweep_stability(x, 20, 3, &o, 2, NULL, &s), FS_OK);
    assert_non_null(s.stability);
    /* how many points a resample keeps: 80%, at most 10,000 */
    assert_int_equal(kmeans_stability_points(20), 16);
    assert_int_equal(kmeans_stability_points(872), 698);
    assert_int_equal(kmeans_stability_points(12500), 10000);
    assert_int_equal(kmeans_stability_points(100000), 10000);
    kmeans_sweep_free(&s);
    free(x);
}

static void test_adjusted_rand_sanity(void **state)
{
    (void)state;
    const int32_t a[] = {0, 0, 1, 1, 2, 2, 2};
    const int32_t relabelled[] = {7, 7, -3, -3, 5, 5, 5};
    assert_float_equal(kmeans_adjusted_rand(a, a, 7), 1.0, 1e-12);
    assert_float_equal(kmeans_adjusted_rand(a, relabelled, 7), 1.0, 1e-12);
    /* by hand: tp = 1, fn = 1, fp = 0, tn = 4 -> 4/7 (scikit-learn: 0.5714...) */
    const int32_t p[] = {0, 0, 1, 1}, q[] = {0, 0, 1, 2};
    assert_float_equal(kmeans_adjusted_rand(p, q, 4), 4.0 / 7.0, 1e-12);
    assert_float_equal(kmeans_adjusted_rand(q, p, 4), 4.0 / 7.0, 1e-12);
    /* crossed partitions: -0.5 */
    const int32_t r[] = {0, 1, 0, 1};
    assert_float_equal(kmeans_adjusted_rand(p, r, 4), -0.5, 1e-12);
    const int32_t one[] = {3, 3, 3, 3}, singles[] = {0, 1, 2, 3};
    assert_float_equal(kmeans_adjusted_rand(one, one, 4), 1.0, 1e-12);
    assert_float_equal(kmeans_adjusted_rand(singles, singles, 4), 1.0, 1e-12);
    assert_float_equal(kmeans_adjusted_rand(one, singles, 4), 0.0, 1e-12);
    assert_true(isnan(kmeans_adjusted_rand(NULL, a, 7)));
    assert_float_equal(kmeans_adjusted_rand(a, a, 1), 1.0, 1e-12);
    /* independent random labellings score near 0 */
    Rng rng;
    rng_seed(&rng, 99);
    int32_t *u = malloc(5000 * sizeof *u), *v = malloc(5000 * sizeof *v);
    assert_non_null(u);
    assert_non_null(v);
    for (int i = 0; i < 5000; i++) {
        u[i] = (int32_t)rng_below(&rng, 5);
        v[i] = (int32_t)rng_below(&rng, 5);
    }
    assert_true(fabs(kmeans_adjusted_rand(u, v, 5000)) < 0.01);
    free(u);
    free(v);
}

static void test_silhouette_hand_computed(void **state)
{
    (void)state;
    /* 1-D: {0, 1} and {4}: s = (4-1)/4, (3-1)/3, 0 (alone) -> mean 17/36 */
    const float x[] = {0, 1, 4};
    const int32_t labels[] = {0, 0, 1};
    assert_float_equal(kmeans_silhouette(x, 3, 1, labels, 2, 1), 17.0 / 36.0, 1e-7);
    /* {0, 2} and {10, 11}: a = 2, 2, 1, 1; b = 10.5, 8.5, 9, 10 */
    const float y[] = {0, 2, 10, 11};
    const int32_t ly[] = {0, 0, 1, 1};
    double expect = ((10.5 - 2) / 10.5 + (8.5 - 2) / 8.5 + (9.0 - 1) / 9.0 + (10.0 - 1) / 10.0) / 4;
    assert_float_equal(kmeans_silhouette(y, 4, 1, ly, 2, 1), expect, 1e-7);
    assert_true(isnan(kmeans_silhouette(y, 4, 1, ly, 1, 1)));
    const int32_t all_one[] = {1, 1, 1, 1};
    assert_true(isnan(kmeans_silhouette(y, 4, 1, all_one, 2, 1)));
    const int32_t out_of_range[] = {0, 0, 1, 2};
    assert_true(isnan(kmeans_silhouette(y, 4, 1, out_of_range, 2, 1)));

    /* above the sample cap: seeded, repeatable, and right for clear clusters */
    const size_t n = KMEANS_SILHOUETTE_MAX_POINTS + 500;
    int32_t *truth;
    float *z = planted_clusters(n, 2, 3, 50.0, 8, &truth);
    double s1 = kmeans_silhouette(z, n, 2, truth, 3, 77);
    double s2 = kmeans_silhouette(z, n, 2, truth, 3, 77);
    double s3 = kmeans_silhouette(z, n, 2, truth, 3, 78);
    assert_true(s1 == s2);
    assert_true(s1 != s3);
    assert_true(s1 > 0.8 && s1 <= 1.0);
    assert_float_equal(s1, s3, 0.01);
    free(z);
    free(truth);
}

/* Scoring a training point gives its training label back: in 7 columns and
 * at the study's width, where fitting measures padded rows four at a time
 * (AVX-512) and assign_nearest one unpadded row at a time. */
static void test_assign_nearest_returns_training_labels(void **state)
{
    (void)state;
    const struct {
        size_t n, d;
        int k;
    } shapes[] = {{300, 7, 9}, {400, 180, 29}};
    for (size_t s = 0; s < 2; s++) {
        const size_t n = shapes[s].n, d = shapes[s].d;
        float *x = uniform_data(n, d, 17 + s);
        KmeansOptions o = options(shapes[s].k, 2);
        KmeansResult r;
        assert_int_equal(kmeans_fit(x, n, d, &o, NULL, &r), FS_OK);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(kmeans_assign_nearest(r.centroids, r.k, d, x + i * d), r.labels[i]);
        assert_int_equal(kmeans_assign_nearest(NULL, r.k, d, x), -1);
        assert_int_equal(kmeans_assign_nearest(r.centroids, 0, d, x), -1);
        assert_int_equal(kmeans_assign_nearest(r.centroids, r.k, d, NULL), -1);
        kmeans_result_free(&r);
        free(x);
    }
}

static void test_degenerate_data(void **state)
{
    (void)state;
    /* k = 1: the mean, and the total sum of squares */
    const float line[] = {1, 2, 3, 6};
    KmeansOptions o = options(1, 1);
    KmeansResult r;
    assert_int_equal(kmeans_fit(line, 4, 1, &o, NULL, &r), FS_OK);
    assert_float_equal(r.centroids[0], 3.0, 1e-6);
    assert_float_equal(r.inertia, 4 + 1 + 0 + 9, 1e-9);
    kmeans_result_free(&r);

    /* k = n: every point its own cluster */
    o.k = 4;
    assert_int_equal(kmeans_fit(line, 4, 1, &o, NULL, &r), FS_OK);
    assert_float_equal(r.inertia, 0.0, 1e-12);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_int_not_equal(r.labels[i], r.labels[j]);
    kmeans_result_free(&r);

    /* more clusters than distinct points: empty clusters get re-seeded */
    const float dup[] = {0, 0, 0, 5, 5, 5, 9, 9};
    o.k = 5;
    for (int alg = 0; alg <= 1; alg++) {
        o.algorithm = alg ? KMEANS_LLOYD : KMEANS_HAMERLY;
        assert_int_equal(kmeans_fit(dup, 8, 1, &o, NULL, &r), FS_OK);
        assert_float_equal(r.inertia, 0.0, 1e-12);
        for (int i = 0; i < 8; i++)
            assert_true(r.labels[i] >= 0 && r.labels[i] < 5);
        kmeans_result_free(&r);
    }

    /* all points identical */
    float same[20];
    for (int i = 0; i < 20; i++)
        same[i] = 2.5f;
    o.k = 3;
    assert_int_equal(kmeans_fit(same, 10, 2, &o, NULL, &r), FS_OK);
    assert_float_equal(r.inertia, 0.0, 1e-12);
    kmeans_result_free(&r);
}

static void test_cancel_returns_cancelled(void **state)
{
    (void)state;
    float *x = uniform_data(200, 4, 2);
    atomic_int flag;
    atomic_init(&flag, 1);
    Progress cancelled = {.cancel = &flag};
    KmeansOptions o = options(3, 2);
    KmeansResult r;
    assert_int_equal(kmeans_fit(x, 200, 4, &o, &cancelled, &r), FS_CANCELLED);
    assert_null(r.labels);
    kmeans_result_free(&r);
    o.k = 1; /* a single centroid still runs a Lloyd iteration, which checks */
    assert_int_equal(kmeans_fit(x, 200, 4, &o, &cancelled, &r), FS_CANCELLED);

    KmeansSweep s;
    assert_int_equal(kmeans_sweep(x, 200, 4, 5, &o, &cancelled, &s), FS_CANCELLED);
    assert_null(s.results);
    kmeans_sweep_free(&s);

    /* cancelled from the progress callback after k = 2 */
    atomic_store(&flag, 0);
    ProgressLog log = {.cancel_after = 2, .flag = &flag};
    Progress midway = {.report = log_progress, .ctx = &log, .cancel = &flag};
    assert_int_equal(kmeans_sweep(x, 200, 4, 6, &o, &midway, &s), FS_CANCELLED);
    assert_int_equal(log.calls, 2);
    assert_null(s.results);
    kmeans_sweep_free(&s);
    free(x);
}

static void test_bad_arguments_return_error(void **state)
{
    (void)state;
    const float x[] = {0, 0, 1, 1, 2, 2};
    KmeansOptions o = options(2, 1);
    KmeansResult r;
    KmeansSweep s;
    assert_int_equal(kmeans_fit(NULL, 3, 2, &o, NULL, &r), FS_ERROR);
    assert_int_equal(kmeans_fit(x, 0, 2, &o, NULL, &r), FS_ERROR);
    assert_int_equal(kmeans_fit(x, 3, 0, &o, NULL, &r), FS_ERROR);
    assert_int_equal(kmeans_fit(x, 3, 2, NULL, NULL, &r), FS_ERROR);
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, NULL), FS_ERROR);
    o.k = 0;
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, &r), FS_ERROR);
    o.k = 4;
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, &r), FS_ERROR);
    assert_null(r.labels);
    o = options(2, 1);
    o.restarts = 0;
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, &r), FS_ERROR);
    o = options(2, 1);
    o.max_iter = 0;
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, &r), FS_ERROR);
    o = options(2, 1);
    o.tol = -1;
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, &r), FS_ERROR);
    o = options(2, 1);
    o.threads = -2;
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, &r), FS_ERROR);
    o = options(2, 1);
    o.algorithm = (KmeansAlgorithm)7;
    assert_int_equal(kmeans_fit(x, 3, 2, &o, NULL, &r), FS_ERROR);
    o = options(2, 1);
    const float with_nan[] = {0, 0, NAN, 1, 2, 2};
    assert_int_equal(kmeans_fit(with_nan, 3, 2, &o, NULL, &r), FS_ERROR);
    const float with_inf[] = {0, 0, INFINITY, 1, 2, 2};
    assert_int_equal(kmeans_fit(with_inf, 3, 2, &o, NULL, &r), FS_ERROR);
    kmeans_result_free(&r);
    kmeans_result_free(NULL);

    assert_int_equal(kmeans_sweep(x, 3, 2, 0, &o, NULL, &s), FS_ERROR);
    assert_int_equal(kmeans_sweep(x, 3, 2, 4, &o, NULL, &s), FS_ERROR);
    assert_int_equal(kmeans_sweep(NULL, 3, 2, 2, &o, NULL, &s), FS_ERROR);
    assert_int_equal(kmeans_sweep(x, 3, 2, 2, NULL, NULL, &s), FS_ERROR);
    assert_int_equal(kmeans_sweep(x, 3, 2, 2, &o, NULL, NULL), FS_ERROR);
    assert_null(s.results);
    kmeans_sweep_free(&s);
    kmeans_sweep_free(NULL);

    const int32_t labels[] = {0, 1, 1};
    assert_true(isnan(kmeans_silhouette(NULL, 3, 2, labels, 2, 1)));
    assert_true(isnan(kmeans_silhouette(x, 3, 2, NULL, 2, 1)));
    assert_true(isnan(kmeans_silhouette(x, 0, 2, labels, 2, 1)));
    kmeans_options_default(NULL);
}

/* Hennig's reading of a segment's stability, as printed to 3 decimals (the
 * report and the explorer read it so: 0.597 was "0.60 (doubtful)" on screen
 * and "not to be trusted" in the report) */
static void test_stability_reading(void **state)
{
    (void)state;
    assert_int_equal(kmeans_stability_reading(NAN), -1);
    assert_int_equal(kmeans_stability_reading(0.597), 0);
    assert_int_equal(kmeans_stability_reading(0.5994), 0);
    assert_int_equal(kmeans_stability_reading(0.5997), 1); /* printed 0.600 */
    assert_int_equal(kmeans_stability_reading(0.747), 1);
    assert_int_equal(kmeans_stability_reading(0.7496), 2); /* printed 0.750 */
    assert_int_equal(kmeans_stability_reading(0.849), 2);
    assert_int_equal(kmeans_stability_reading(0.85), 3);
    assert_int_equal(kmeans_stability_reading(1.0), 3);
}

/* The sweep's best silhouette (k >= 2, NAN skipped; 0 when none) and how
 * Kaufman and Rousseeuw read it (0 under 0.25, 1 under 0.5, 2 clear). */
static void test_best_silhouette(void **state)
{
    (void)state;
    double silhouette[5] = {NAN, 0.21, NAN, 0.33, 0.30};
    KmeansSweep sweep = {.kmax = 5, .silhouette = silhouette};
    assert_int_equal(kmeans_best_silhouette_k(&sweep), 4);
    silhouette[1] = 0.9; /* the best is k = 2's */
    assert_int_equal(kmeans_best_silhouette_k(&sweep), 2);
    sweep.kmax = 1; /* k = 1 has none */
    assert_int_equal(kmeans_best_silhouette_k(&sweep), 0);
    sweep.kmax = 5;
    sweep.silhouette = NULL;
    assert_int_equal(kmeans_best_silhouette_k(&sweep), 0);
    assert_int_equal(kmeans_silhouette_reading(0.145), 0);
    assert_int_equal(kmeans_silhouette_reading(0.25), 1);
    assert_int_equal(kmeans_silhouette_reading(0.499), 1);
    assert_int_equal(kmeans_silhouette_reading(0.5), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_silhouette),
        cmocka_unit_test(test_fit_hand_solved_two_clusters),
        cmocka_unit_test(test_fit_planted_gaussians_recovered),
        cmocka_unit_test(test_fit_same_seed_same_result_any_threads),
        cmocka_unit_test(test_bounded_algorithms_match_plain_lloyd),
        cmocka_unit_test(test_portable_code_matches_vector_code),
        cmocka_unit_test(test_knee_planted_curve),
        cmocka_unit_test(test_knee_focused_ignores_the_long_tail),
        cmocka_unit_test(test_sweep_knee_four_planted_clusters),
        cmocka_unit_test(test_sweep_results_match_fit),
        cmocka_unit_test(test_sweep_sampled_silhouette_matches),
        cmocka_unit_test(test_stability_planted_clusters),
        cmocka_unit_test(test_stability_cancel_keeps_finished),
        cmocka_unit_test(test_stability_uniform_noise),
        cmocka_unit_test(test_stability_bad_arguments_and_cancel),
        cmocka_unit_test(test_adjusted_rand_sanity),
        cmocka_unit_test(test_silhouette_hand_computed),
        cmocka_unit_test(test_assign_nearest_returns_training_labels),
        cmocka_unit_test(test_degenerate_data),
        cmocka_unit_test(test_cancel_returns_cancelled),
        cmocka_unit_test(test_bad_arguments_return_error),
        cmocka_unit_test(test_stability_reading),
    };
    return cmocka_run_group_tests_name("kmeans", tests, NULL, NULL);
}
