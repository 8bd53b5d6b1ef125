/* kmeans.c: k-means (greedy k-means++ seeding, Lloyd iterations with Elkan's
 * or Hamerly's bounds, restarts spread over worker threads), the k = 1..K
 * sweep, Kneedle, silhouette and adjusted Rand index; see kmeans.h for the
 * contract.
 *
 * Every distance is measured by sqdist.h, which sums the same terms in the
 * same order whether one or four at a time, so plain Lloyd, Elkan, Hamerly and
 * kmeans_assign_nearest agree to the last bit, and the bounds are widened by
 * BOUND_SLACK so that rounding can never make a pruned step skip a point
 * plain Lloyd would move. */
#include "filmseg/kmeans.h"

#include "filmseg/arrays.h"
#include "filmseg/bigalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define KMEANS_X86 1
#include <immintrin.h>
#endif

#include "filmseg/rng.h"
#include "filmseg/sqdist.h"

/* Relative widening of every bound; far above the distance rounding error
 * (about 1e-6 relative, see sqdist), far below anything that costs pruning. */
#define BOUND_SLACK 1e-5
#define MAX_THREADS 64
/* A sweep keeps the seeding distances (restarts x kmax x n doubles) when they
 * take at most this many, sparing each fit its first assignment pass. */
#define SEED_TABLE_MAX ((size_t)1 << 25)
/* Elkan measures its (point, centroid) pairs in runs of at most this many
 * (at least k: a point's candidates go in one run). */
#define ELKAN_PAIRS_MIN 1024
/* ... and their lists have this many entries of room past that, for the
 * vector code's whole-register stores (see elkan_pairs_avx512). */
#define ELKAN_PAIRS_ROOM 16

/* ------------------------------------------------------------ padding */

/* x (n x d) with every row zero-padded to dp columns; NULL if out of memory. */
static float *padded_copy(const float *x, size_t n, size_t d, size_t dp)
{
    if (n > SIZE_MAX / sizeof(float) / dp)
        return NULL;
    float *out = big_calloc(n * dp, sizeof *out);
    if (out)
        for (size_t i = 0; i < n; i++)
            memcpy(out + i * dp, x + i * d, d * sizeof(float));
    return out;
}

#define NEAREST_CHUNK 32 /* distances measured in one go */

/* Nearest centroid to point (lowest index on a tie). Fills *best_sq, and
 * *second_sq (INFINITY when k == 1) and lower[0..k) (distances, rounded
 * down) when not NULL. */
static int nearest(const float *point, const float *centroids, int k, size_t d, double *best_sq,
                   double *second_sq, float *lower)
{
    int best = 0;
    double b1 = INFINITY, b2 = INFINITY, chunk[NEAREST_CHUNK];
    for (int j = 0; j < k; j++) {
        if (j % NEAREST_CHUNK == 0)
            sqdist_to_rows(point, centroids + (size_t)j * d, NULL, d,
                           k - j < NEAREST_CHUNK ? (size_t)(k - j) : NEAREST_CHUNK, chunk);
        double v = chunk[j % NEAREST_CHUNK];
        if (lower)
            lower[j] = (float)(sqrt(v) * (1.0 - BOUND_SLACK));
        if (v < b1) {
            b2 = b1;
            b1 = v;
            best = j;
        } else if (v < b2) {
            b2 = v;
        }
    }
    *best_sq = b1;
    if (second_sq)
        *second_sq = b2;
    return best;
}

/* ------------------------------------------------------------- threads */

/* Runs job(ctx, worker, j) for j = 0..jobs-1 on up to `threads` threads (the
 * caller is worker 0). Jobs must not depend on which worker runs them. The
 * first job to fail stops the others; returns FS_ERROR if any job failed with
 * it, else FS_CANCELLED if any was cancelled, else FS_OK. */
typedef int (*PoolJob)(void *ctx, int worker, int job);

typedef struct {
    PoolJob job;
    void *ctx;
    int jobs;
    atomic_int next;
    atomic_int stop;
    int status[MAX_THREADS];
    struct PoolSeat {
        void *pool;
        int worker;
    } seats[MAX_THREADS];
} Pool;

static void *pool_thread(void *arg)
{
    struct PoolSeat *seat = arg;
    Pool *pool = seat->pool;
    for (;;) {
        if (atomic_load(&pool->stop))
            break;
        int j = atomic_fetch_add(&pool->next, 1);
        if (j >= pool->jobs)
            break;
        int status = pool->job(pool->ctx, seat->worker, j);
        if (status != FS_OK) {
            pool->status[seat->worker] = status;
            atomic_store(&pool->stop, 1);
            break;
        }
    }
    return NULL;
}

/* Worker threads for `jobs` jobs: requested, or one per CPU when 0. */
static int thread_count(int requested, int jobs)
{
    long t = requested;
    if (t <= 0)
        t = sysconf(_SC_NPROCESSORS_ONLN);
    if (t > jobs)
        t = jobs;
    if (t > MAX_THREADS)
        t = MAX_THREADS;
    return t < 1 ? 1 : (int)t;
}

static int pool_run(int threads, int jobs, PoolJob job, void *ctx)
{
    Pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return FS_ERROR;
    pool->job = job;
    pool->ctx = ctx;
    pool->jobs = jobs;
    atomic_init(&pool->next, 0);
    atomic_init(&pool->stop, 0);
    int n = thread_count(threads, jobs);
    pthread_t tids[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (int t = 0; t < n; t++)
        pool->seats[t] = (struct PoolSeat){pool, t};
    for (int t = 1; t < n; t++)
        started[t] = pthread_create(&tids[t], NULL, pool_thread, &pool->seats[t]) == 0;
    pool_thread(&pool->seats[0]); /* a thread that did not start costs only time */
    int status = FS_OK;
    for (int t = 0; t < n; t++) {
        if (t > 0 && started[t])
            pthread_join(tids[t], NULL);
        if (pool->status[t] == FS_ERROR)
            status = FS_ERROR;
        else if (pool->status[t] == FS_CANCELLED && status == FS_OK)
            status = FS_CANCELLED;
    }
    free(pool);
    return status;
}

/* ------------------------------------------------------- argument checks */

static bool options_valid(const KmeansOptions *opts)
{
    return opts->restarts >= 1 && opts->max_iter >= 1 && opts->threads >= 0 &&
           isfinite(opts->tol) && opts->tol >= 0.0 &&
           (opts->algorithm == KMEANS_ELKAN || opts->algorithm == KMEANS_HAMERLY ||
            opts->algorithm == KMEANS_LLOYD);
}

static bool shape_valid(const float *x, size_t n, size_t d)
{
    return x && n >= 1 && d >= 1 && n <= SIZE_MAX / d / sizeof(double) && n <= (size_t)INT32_MAX &&
           arrays_all_finite(x, n * d);
}

/* tol is relative to the data: scaled by the mean per-column variance. */
static double absolute_tolerance(const float *x, size_t n, size_t d, double tol)
{
    if (tol == 0.0)
        return 0.0;
    double total = 0.0;
    for (size_t c = 0; c < d; c++) {
        double mean = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += x[i * d + c];
        mean /= (double)n;
        double var = 0.0;
        for (size_t i = 0; i < n; i++) {
            double t = x[i * d + c] - mean;
            var += t * t;
        }
        total += var / (double)n;
    }
    return tol * total / (double)d;
}

void kmeans_options_default(KmeansOptions *opts)
{
    if (!opts)
        return;
    opts->k = 8;
    opts->restarts = 10;
    opts->max_iter = 300;
    opts->threads = 0;
    opts->tol = 1e-4;
    opts->seed = 42;
    opts->algorithm = KMEANS_ELKAN;
    opts->portable = false;
}

/* Whether the fits run k-means' own AVX-512 code (FitProblem.avx512). */
static bool use_avx512(const KmeansOptions *opts)
{
#ifdef KMEANS_X86
    return !opts->portable && __builtin_cpu_supports("avx512f");
#else
    (void)opts;
    return false;
#endif
}

void kmeans_result_free(KmeansResult *result)
{
    if (!result)
        return;
    free(result->labels);
    free(result->centroids);
    memset(result, 0, sizeof *result);
}

int kmeans_assign_nearest(const float *centroids, int k, size_t d, const float *point)
{
    if (!centroids || !point || k < 1 || d < 1)
        return -1;
    double best;
    return nearest(point, centroids, k, d, &best, NULL, NULL);
}

/* --------------------------------------------------------------- seeding */

typedef struct {
    const float *x; /* n rows of d floats, zero-padded (see sqdist) */
    size_t n, d;
    size_t columns; /* the data's own columns, <= d */
    int k;
    int max_iter;
    KmeansAlgorithm algorithm;
    bool avx512; /* k-means' own AVX-512 code: the machine has it, and
                    KmeansOptions.portable is off */
    uint64_t seed;
    double tol_shift; /* bound on the summed squared centroid shift */
    const Progress *progress;
    const uint32_t *seeds;   /* optional: row r holds restart r's seed points */
    int seeds_stride;        /* entries per row of seeds (>= k) */
    const double *seed_dist; /* optional: restart r's seed distance table (see
                                choose_seeds) at r * seeds_stride * n */
} FitProblem;

/* A point drawn with probability proportional to weight[i]. */
static size_t sample_by_weight(const double *weight, size_t n, double total, Rng *rng)
{
    if (!(total > 0.0) || !isfinite(total))
        return (size_t)rng_below(rng, n);
    double target = rng_uniform(rng) * total, acc = 0.0;
    size_t last_positive = 0;
    for (size_t i = 0; i < n; i++) {
        if (weight[i] > 0.0)
            last_positive = i;
        acc += weight[i];
        if (acc > target)
            return i;
    }
    return last_positive; /* rounding left target beyond the running sum */
}

/* Greedy k-means++ for restart `restart`: seeds[0..count) get point numbers.
 * Centre c >= 1 is the best (lowest resulting inertia) of 2 + ln(c + 1)
 * candidates drawn with probability proportional to D(x)^2. The first c
 * centres do not depend on count, so a sweep seeds once for kmax and every
 * k takes a prefix. table (count x n, may be NULL) gets the squared distance
 * of every point to every seed, which spares the first assignment step.
 * scratch holds 5 n doubles. */
static int choose_seeds(const FitProblem *p, int restart, int count, double *scratch,
                        uint32_t *seeds, double *table)
{
    const size_t n = p->n, d = p->d;
    double *dist = scratch, *cand = scratch + n, *cand_best = scratch + 2 * n;
    double *raw = scratch + 3 * n, *raw_best = scratch + 4 * n;
    Rng rng;
    rng_seed_stream(&rng, p->seed, (uint64_t)restart);
    seeds[0] = (uint32_t)rng_below(&rng, n);
    double potential = 0.0;
    sqdist_to_rows(p->x + (size_t)seeds[0] * d, p->x, NULL, d, n, dist);
    for (size_t i = 0; i < n; i++)
        potential += dist[i];
    if (table)
        memcpy(table, dist, n * sizeof *table);
    for (int c = 1; c < count; c++) {
        if (progress_cancelled(p->progress))
            return FS_CANCELLED;
        const int trials = 2 + (int)log((double)c + 1.0);
        double best_potential = INFINITY;
        size_t best = 0;
        for (int t = 0; t < trials; t++) {
            size_t idx = sample_by_weight(dist, n, potential, &rng);
            const float *xc = p->x + idx * d;
            double pot = 0.0;
            sqdist_to_rows(xc, p->x, NULL, d, n, raw);
            for (size_t i = 0; i < n; i++) {
                double v = raw[i];
                if (dist[i] < v)
                    v = dist[i];
                cand[i] = v;
                pot += v;
            }
            if (pot < best_potential) {
                best_potential = pot;
                best = idx;
                double *swap = cand_best;
                cand_best = cand;
                cand = swap;
                swap = raw_best;
                raw_best = raw;
                raw = swap;
            }
        }
        seeds[c] = (uint32_t)best;
        if (table)
            memcpy(table + (size_t)c * n, raw_best, n * sizeof *table);
        double *swap = dist;
        dist = cand_best;
        cand_best = swap;
        potential = best_potential;
    }
    return FS_OK;
}

/* ------------------------------------------------------- one k-means run */

/* Scratch of one run; labels and centroids hold the run's answer. */
typedef struct {
    int32_t *labels;         /* n */
    int32_t *sum_labels;     /* n: the labels that sums and counts describe */
    float *centroids;        /* k x d */
    float *old_centroids;    /* k x d */
    double *dist;            /* n: squared distance to own centroid (when valid) */
    double *upper;           /* n: upper bound on the distance to own centroid */
    double *lower;           /* Hamerly, n: lower bound on distance to any other */
    float *lower_each;       /* Elkan, n x k: lower bound on distance to each */
    double *scratch;         /* 5 n: seeding */
    double *seed_dist;       /* k x n: seeding, distances to the seeds (or NULL) */
    uint32_t *seeds;         /* k */
    double *sums;            /* k x d: sum of the points of each cluster */
    size_t *counts;          /* k */
    double *shift;           /* k: distance each centroid moved (widened) */
    float *shift_f;          /* Elkan, k: the same as float, rounded up */
    double *half_gap;        /* k: half the distance to the nearest other centroid */
    double *gap_sq;          /* k: scratch, squared distances between centroids */
    float *half_pair;        /* Elkan, k x k: half the distance between centroids
                                (rounded down; +inf on the diagonal) */
    uint32_t *candidates;    /* Elkan, k */
    uint32_t *pending;       /* Elkan, n: points whose bounds did not settle them */
    uint32_t *pending_label; /* Elkan, n: their labels, then their nearest so far */
    double *pending_root;    /* Elkan, n: square roots of their distances in dist */
    size_t pair_capacity;    /* Elkan: max(k, ELKAN_PAIRS_MIN) */
    uint32_t *pair_pending;  /* Elkan, pair_capacity + ELKAN_PAIRS_ROOM: (pending number, */
    uint32_t *pair_point;    /* point, */
    uint32_t *pair_centroid; /* centroid) pairs to measure, */
    double *pair_sq;         /* and their squared distances */
    double inertia;
    int iterations;
} FitWork;

static void fit_work_free(FitWork *w)
{
    free(w->labels);
    free(w->sum_labels);
    free(w->centroids);
    free(w->old_centroids);
    free(w->dist);
    free(w->upper);
    free(w->lower);
    free(w->lower_each);
    free(w->scratch);
    free(w->seed_dist);
    free(w->seeds);
    free(w->sums);
    free(w->counts);
    free(w->shift);
    free(w->shift_f);
    free(w->half_gap);
    free(w->gap_sq);
    free(w->half_pair);
    free(w->candidates);
    free(w->pending);
    free(w->pending_label);
    free(w->pending_root);
    free(w->pair_pending);
    free(w->pair_point);
    free(w->pair_centroid);
    free(w->pair_sq);
    memset(w, 0, sizeof *w);
}

static bool fit_work_alloc(FitWork *w, const FitProblem *p)
{
    const size_t n = p->n, k = (size_t)p->k, kd = k * p->d;
    memset(w, 0, sizeof *w);
    w->labels = malloc(n * sizeof *w->labels);
    w->sum_labels = malloc(n * sizeof *w->sum_labels);
    w->centroids = malloc(kd * sizeof *w->centroids);
    w->old_centroids = malloc(kd * sizeof *w->old_centroids);
    w->dist = malloc(n * sizeof *w->dist);
    w->upper = malloc(n * sizeof *w->upper);
    w->lower = malloc(n * sizeof *w->lower);
    w->seeds = malloc(k * sizeof *w->seeds);
    w->sums = malloc(kd * sizeof *w->sums);
    w->counts = malloc(k * sizeof *w->counts);
    w->shift = malloc(k * sizeof *w->shift);
    w->half_gap = malloc(k * sizeof *w->half_gap);
    w->gap_sq = malloc(k * sizeof *w->gap_sq);
    bool ok = w->labels && w->sum_labels && w->centroids && w->old_centroids && w->dist &&
              w->upper && w->lower && w->seeds && w->sums && w->counts && w->shift && w->half_gap &&
              w->gap_sq;
    if (ok && !p->seeds) {
        ok = (w->scratch = malloc(5 * n * sizeof *w->scratch)) != NULL;
        if (n <= SIZE_MAX / sizeof(double) / k) /* only a shortcut: may be NULL */
            w->seed_dist = malloc(k * n * sizeof *w->seed_dist);
    }
    if (ok && p->algorithm == KMEANS_ELKAN)
        ok = n <= SIZE_MAX / sizeof(float) / k &&
             (w->lower_each = malloc(n * k * sizeof *w->lower_each)) &&
             (w->half_pair = malloc(k * k * sizeof *w->half_pair)) &&
             (w->shift_f = malloc(k * sizeof *w->shift_f)) &&
             (w->candidates = malloc(k * sizeof *w->candidates)) &&
             (w->pending = malloc(n * sizeof *w->pending)) &&
             (w->pending_label = malloc(n * sizeof *w->pending_label)) &&
             (w->pending_root = malloc(n * sizeof *w->pending_root)) &&
             (w->pair_capacity = k > ELKAN_PAIRS_MIN ? k : ELKAN_PAIRS_MIN) &&
             (w->pair_pending =
                  malloc((w->pair_capacity + ELKAN_PAIRS_ROOM) * sizeof *w->pair_pending)) &&
             (w->pair_point =
                  malloc((w->pair_capacity + ELKAN_PAIRS_ROOM) * sizeof *w->pair_point)) &&
             (w->pair_centroid =
                  malloc((w->pair_capacity + ELKAN_PAIRS_ROOM) * sizeof *w->pair_centroid)) &&
             (w->pair_sq = malloc(w->pair_capacity * sizeof *w->pair_sq));
    if (!ok)
        fit_work_free(w);
    return ok;
}

/* Assignment by scanning every centroid; sets up the bounds as well.
 * Returns whether any label changed. */
static bool assign_full(const FitProblem *p, FitWork *w)
{
    bool changed = false;
    const size_t k = (size_t)p->k;
    for (size_t i = 0; i < p->n; i++) {
        double b1, b2;
        float *lower_each = w->lower_each ? w->lower_each + i * k : NULL;
        int j = nearest(p->x + i * p->d, w->centroids, p->k, p->d, &b1, &b2, lower_each);
        w->dist[i] = b1;
        w->upper[i] = sqrt(b1) * (1.0 + BOUND_SLACK);
        w->lower[i] = sqrt(b2) * (1.0 - BOUND_SLACK);
        if (w->labels[i] != j) {
            w->labels[i] = j;
            changed = true;
        }
    }
    return changed;
}

/* assign_from_table for point i. */
static void table_point(FitWork *w, const double *table, size_t n, size_t k, size_t i)
{
    int best = 0;
    double b1 = INFINITY, b2 = INFINITY;
    for (size_t j = 0; j < k; j++) {
        double v = table[j * n + i];
        if (w->lower_each)
            w->lower_each[i * k + j] = (float)(sqrt(v) * (1.0 - BOUND_SLACK));
        if (v < b1) {
            b2 = b1;
            b1 = v;
            best = (int)j;
        } else if (v < b2) {
            b2 = v;
        }
    }
    w->dist[i] = b1;
    w->upper[i] = sqrt(b1) * (1.0 + BOUND_SLACK);
    w->lower[i] = sqrt(b2) * (1.0 - BOUND_SLACK);
    w->labels[i] = best;
}

#ifdef KMEANS_X86
/* table_point for the 8 points i0 .. i0+8, one in each lane: the same
 * comparisons and roundings, with each centroid's row of the table read
 * 8 points at a time instead of one. */
__attribute__((target("avx512f"))) static void table_block_avx512(FitWork *w, const double *table,
                                                                  size_t n, size_t k, size_t i0)
{
    __m512d b1 = _mm512_set1_pd(INFINITY), b2 = b1;
    __m512i best = _mm512_setzero_si512();
    const __m512d shrink = _mm512_set1_pd(1.0 - BOUND_SLACK),
                  grow = _mm512_set1_pd(1.0 + BOUND_SLACK);
    float low[8];
    for (size_t j = 0; j < k; j++) {
        __m512d v = _mm512_loadu_pd(table + j * n + i0);
        if (w->lower_each) {
            _mm256_storeu_ps(low, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_sqrt_pd(v), shrink)));
            for (size_t l = 0; l < 8; l++)
                w->lower_each[(i0 + l) * k + j] = low[l];
        }
        __mmask8 first = _mm512_cmp_pd_mask(v, b1, _CMP_LT_OQ);
        __mmask8 second = _mm512_cmp_pd_mask(v, b2, _CMP_LT_OQ) & (__mmask8)~first;
        b2 = _mm512_mask_mov_pd(b2, first, b1);
        b2 = _mm512_mask_mov_pd(b2, second, v);
        b1 = _mm512_mask_mov_pd(b1, first, v);
        best = _mm512_mask_mov_epi32(best, first, _mm512_set1_epi32((int)j));
    }
    _mm512_storeu_pd(w->dist + i0, b1);
    _mm512_storeu_pd(w->upper + i0, _mm512_mul_pd(_mm512_sqrt_pd(b1), grow));
    _mm512_storeu_pd(w->lower + i0, _mm512_mul_pd(_mm512_sqrt_pd(b2), shrink));
    _mm512_mask_storeu_epi32(w->labels + i0, 0xFF, best);
}
#endif

/* The first assignment, from the distances measured while seeding: the very
 * numbers assign_full would compute, without computing them again. */
static bool assign_from_table(const FitProblem *p, FitWork *w, const double *table)
{
    const size_t n = p->n, k = (size_t)p->k;
    size_t i = 0;
#ifdef KMEANS_X86
    if (p->avx512)
        for (; i + 8 <= n; i += 8)
            table_block_avx512(w, table, n, k, i);
#endif
    for (; i < n; i++)
        table_point(w, table, n, k, i);
    return true;
}

/* Hamerly: a point whose upper bound is below both its lower bound and half
 * the gap from its centroid to the nearest other cannot have moved; only the
 * others are tightened or rescanned. Leaves w->dist stale. */
static bool assign_hamerly(const FitProblem *p, FitWork *w)
{
    bool changed = false;
    const size_t d = p->d;
    for (size_t i = 0; i < p->n; i++) {
        int a = w->labels[i];
        double m = w->half_gap[a] > w->lower[i] ? w->half_gap[a] : w->lower[i];
        if (w->upper[i] < m)
            continue;
        const float *xi = p->x + i * d;
        w->upper[i] = sqrt(sqdist(xi, w->centroids + (size_t)a * d, d)) * (1.0 + BOUND_SLACK);
        if (w->upper[i] < m)
            continue;
        double b1, b2;
        int j = nearest(xi, w->centroids, p->k, d, &b1, &b2, NULL);
        w->upper[i] = sqrt(b1) * (1.0 + BOUND_SLACK);
        w->lower[i] = sqrt(b2) * (1.0 - BOUND_SLACK);
        if (j != a) {
            w->labels[i] = j;
            changed = true;
        }
    }
    return changed;
}

/* Elkan's candidates for a point with upper bound u: the centroids j whose
 * bound max(lower[j], half[j]) does not rule them out (u >= bound), listed
 * in increasing order. */
static size_t elkan_candidates_portable(const float *lower, const float *half, float u, size_t k,
                                        uint32_t *cand)
{
    size_t m = 0;
    for (size_t j = 0; j < k; j++) {
        float z = lower[j] > half[j] ? lower[j] : half[j];
        cand[m] = (uint32_t)j;
        m += u >= z;
    }
    return m;
}

/* Elkan's first pass: the points with any candidate at all (their upper
 * bound reaches half the gap to the nearest other centroid and some
 * centroid's bound), into w->pending and w->pending_label; returns their
 * count. */
static size_t elkan_pending_portable(const FitProblem *p, FitWork *w)
{
    const size_t k = (size_t)p->k;
    size_t n_pending = 0;
    for (size_t i = 0; i < p->n; i++) {
        int a = w->labels[i];
        double u = w->upper[i];
        if (u >= w->half_gap[a] &&
            elkan_candidates_portable(w->lower_each + i * k, w->half_pair + (size_t)a * k, (float)u,
                                      k, w->candidates) > 0) {
            w->pending[n_pending] = (uint32_t)i;
            w->pending_label[n_pending++] = (uint32_t)a;
        }
    }
    return n_pending;
}

#ifdef KMEANS_X86
/* Which of centroids j .. j+16 (those below k) a point's bounds lower and
 * half (as in elkan_candidates_portable) leave as candidates under the
 * upper bound in every lane of uv. */
static inline __attribute__((always_inline, target("avx512f"))) __mmask16
elkan_keep16(const float *lower, const float *half, __m512 uv, size_t k, size_t j)
{
    __mmask16 live = k - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - j)) - 1);
    __m512 z = _mm512_max_ps(_mm512_maskz_loadu_ps(live, lower + j),
                             _mm512_maskz_loadu_ps(live, half + j));
    return _mm512_mask_cmp_ps_mask(live, uv, z, _CMP_GE_OQ);
}

/* elkan_pending_portable on AVX-512, without branches on the data (whether
 * a point is pending goes either way, unpredictably: a tenth of the sweep's
 * time went to the mispredictions): each point is written to the list,
 * which keeps it only when it qualifies. */
__attribute__((target("avx512f"))) static size_t elkan_pending_avx512(const FitProblem *p,
                                                                      FitWork *w)
{
    const size_t k = (size_t)p->k;
    size_t n_pending = 0;
    for (size_t i = 0; i < p->n; i++) {
        int a = w->labels[i];
        double u = w->upper[i];
        const float *lower = w->lower_each + i * k, *half = w->half_pair + (size_t)a * k;
        const __m512 uv = _mm512_set1_ps((float)u);
        __mmask16 any = 0;
        for (size_t j = 0; j < k; j += 16)
            any |= elkan_keep16(lower, half, uv, k, j);
        w->pending[n_pending] = (uint32_t)i;
        w->pending_label[n_pending] = (uint32_t)a;
        n_pending += (size_t)((u >= w->half_gap[a]) & (any != 0));
    }
    return n_pending;
}
#endif

static size_t elkan_pending(const FitProblem *p, FitWork *w)
{
#ifdef KMEANS_X86
    if (p->avx512)
        return elkan_pending_avx512(p, w);
#endif
    return elkan_pending_portable(p, w);
}

/* Elkan's measured pairs so far (w->pair_*): their distances, then each
 * applied to its point's bounds and best centroid, in the order listed. */
static void elkan_measure_pairs(const FitProblem *p, FitWork *w, size_t n_pairs)
{
    const size_t k = (size_t)p->k;
    sqdist_batch(p->x, w->pair_point, 1, w->centroids, w->pair_centroid, p->d, n_pairs, w->pair_sq);
    for (size_t c = 0; c < n_pairs; c++) {
        const uint32_t q = w->pair_pending[c], j = w->pair_centroid[c];
        const double v = w->pair_sq[c];
        w->lower_each[(size_t)w->pair_point[c] * k + j] = (float)(sqrt(v) * (1.0 - BOUND_SLACK));
        if (v < w->dist[q] || (v == w->dist[q] && j < w->pending_label[q])) {
            w->dist[q] = v;
            w->pending_label[q] = j;
        }
    }
}

/* Elkan's pairs to measure: for each pending point q (its own distance's
 * square root in root[q]), its own centroid's bound, then its candidates
 * under the tightened upper bound as (q, point, centroid) in w->pair_*,
 * measured whenever the lists could overflow; returns the pairs left. */
static size_t elkan_pairs_portable(const FitProblem *p, FitWork *w, size_t n_pending,
                                   const double *root)
{
    const size_t k = (size_t)p->k;
    size_t n_pairs = 0;
    for (size_t q = 0; q < n_pending; q++) {
        const size_t i = w->pending[q], was = (size_t)w->labels[i];
        float *lower = w->lower_each + i * k;
        lower[was] = (float)(root[q] * (1.0 - BOUND_SLACK));
        /* half_pair's diagonal is +inf: the own centroid is never listed */
        size_t m =
            elkan_candidates_portable(lower, w->half_pair + was * k,
                                      (float)(root[q] * (1.0 + BOUND_SLACK)), k, w->candidates);
        if (n_pairs + m > w->pair_capacity) {
            elkan_measure_pairs(p, w, n_pairs);
            n_pairs = 0;
        }
        for (size_t c = 0; c < m; c++) {
            w->pair_pending[n_pairs] = (uint32_t)q;
            w->pair_point[n_pairs] = (uint32_t)i;
            w->pair_centroid[n_pairs++] = w->candidates[c];
        }
    }
    return n_pairs;
}

#ifdef KMEANS_X86
/* elkan_pairs_portable on AVX-512, without branches on the data: a point's
 * candidates are compressed in a register and stored 16 lanes at a time
 * (the lists have ELKAN_PAIRS_ROOM entries of room past pair_capacity; a
 * point starts only with room for k more), its number and
 * point likewise, and the count moves on by the candidates kept. The own
 * centroid's bound is stored after its row's loads (its lane is never a
 * candidate): a vector load just after a store into it waits for the store. */
__attribute__((target("avx512f"))) static size_t
elkan_pairs_avx512(const FitProblem *p, FitWork *w, size_t n_pending, const double *root)
{
    const size_t k = (size_t)p->k;
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    uint32_t *pair_centroid = w->pair_centroid, *pair_point = w->pair_point,
             *pair_pending = w->pair_pending;
    size_t n_pairs = 0;
    for (size_t q = 0; q < n_pending; q++) {
        const size_t i = w->pending[q], was = (size_t)w->labels[i];
        float *lower = w->lower_each + i * k;
        const float *half = w->half_pair + was * k;
        if (n_pairs + k > w->pair_capacity) {
            elkan_measure_pairs(p, w, n_pairs);
            n_pairs = 0;
        }
        const __m512 uv = _mm512_set1_ps((float)(root[q] * (1.0 + BOUND_SLACK)));
        const __m512i point = _mm512_set1_epi32((int)i), number = _mm512_set1_epi32((int)q);
        for (size_t j = 0; j < k; j += 16) {
            __mmask16 keep = elkan_keep16(lower, half, uv, k, j);
            __m512i index = _mm512_add_epi32(lanes, _mm512_set1_epi32((int)j));
            _mm512_storeu_si512(pair_centroid + n_pairs, _mm512_maskz_compress_epi32(keep, index));
            _mm512_storeu_si512(pair_point + n_pairs, point);
            _mm512_storeu_si512(pair_pending + n_pairs, number);
            n_pairs += (size_t)__builtin_popcount(keep);
        }
        lower[was] = (float)(root[q] * (1.0 - BOUND_SLACK));
    }
    return n_pairs;
}
#endif

static size_t elkan_pairs(const FitProblem *p, FitWork *w, size_t n_pending, const double *root)
{
#ifdef KMEANS_X86
    if (p->avx512)
        return elkan_pairs_avx512(p, w, n_pending, root);
#endif
    return elkan_pairs_portable(p, w, n_pending, root);
}

/* Elkan: one lower bound per point and centroid. A centroid j is measured
 * only when neither its bound nor half its distance to the point's centroid
 * rules it out. In passes, so that distances are measured four at a time:
 * list the points with any candidate (elkan_pending; on the study's
 * features about three in five each iteration), measure their own centroids
 * (tightening the upper bound), list their candidates again under the
 * tighter bound as (point, centroid) pairs (elkan_pairs), measure those.
 * Squared distances are compared as plain Lloyd compares them, the lower
 * index winning a tie. Uses w->dist as scratch (leaves it stale). */
static bool assign_elkan(const FitProblem *p, FitWork *w)
{
    const size_t d = p->d;
    uint32_t *pending = w->pending;
    size_t n_pending = elkan_pending(p, w);
    sqdist_batch(p->x, pending, 1, w->centroids, w->pending_label, d, n_pending, w->dist);
    /* the square roots in a pass of their own (vector instructions), so that
     * the loop below does not wait on each one */
    double *root = w->pending_root;
    for (size_t q = 0; q < n_pending; q++)
        root[q] = sqrt(w->dist[q]);
    elkan_measure_pairs(p, w, elkan_pairs(p, w, n_pending, root));
    for (size_t q = 0; q < n_pending; q++)
        root[q] = sqrt(w->dist[q]);
    bool changed = false;
    for (size_t q = 0; q < n_pending; q++) {
        const size_t i = pending[q];
        w->upper[i] = root[q] * (1.0 + BOUND_SLACK);
        if ((int32_t)w->pending_label[q] != w->labels[i]) {
            w->labels[i] = (int32_t)w->pending_label[q];
            changed = true;
        }
    }
    return changed;
}

/* w->dist[i]: point i's squared distance to its own centroid (labels are
 * all set, so none is negative and they serve as row numbers). */
static void exact_distances(const FitProblem *p, FitWork *w)
{
    sqdist_batch(p->x, NULL, 1, w->centroids, (const uint32_t *)w->labels, p->d, p->n, w->dist);
}

static void add_point(double *sum, const float *x, size_t d, double sign)
{
    for (size_t c = 0; c < d; c++)
        sum[c] += sign * x[c];
}

/* Moves every centroid to the mean of its points; an empty cluster takes the
 * point farthest from its centroid (among clusters of 2 or more points).
 * The sums are kept from one iteration to the next and only the points that
 * changed cluster are moved (fresh = start from zero). Returns the summed
 * squared shift of the centroids and fills w->shift. */
static double update_centroids(const FitProblem *p, FitWork *w, bool fresh, bool dist_valid)
{
    const size_t n = p->n, d = p->d, k = (size_t)p->k;
    if (fresh) {
        memset(w->sums, 0, k * d * sizeof *w->sums);
        memset(w->counts, 0, k * sizeof *w->counts);
        for (size_t i = 0; i < n; i++) {
            int a = w->labels[i];
            w->counts[a]++;
            add_point(w->sums + (size_t)a * d, p->x + i * d, d, 1.0);
            w->sum_labels[i] = a;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            int a = w->labels[i], was = w->sum_labels[i];
            if (a == was)
                continue;
            w->counts[was]--;
            w->counts[a]++;
            add_point(w->sums + (size_t)was * d, p->x + i * d, d, -1.0);
            add_point(w->sums + (size_t)a * d, p->x + i * d, d, 1.0);
            w->sum_labels[i] = a;
        }
    }
    for (size_t j = 0; j < k; j++) {
        if (w->counts[j] != 0)
            continue;
        if (!dist_valid) {
            exact_distances(p, w);
            dist_valid = true;
        }
        size_t far = SIZE_MAX;
        double far_dist = -1.0;
        for (size_t i = 0; i < n; i++)
            if (w->counts[w->labels[i]] > 1 && w->dist[i] > far_dist) {
                far_dist = w->dist[i];
                far = i;
            }
        if (far == SIZE_MAX)
            break; /* cannot happen while k <= n */
        int from = w->labels[far];
        double *s_to = w->sums + j * d;
        add_point(w->sums + (size_t)from * d, p->x + far * d, d, -1.0);
        memset(s_to, 0, d * sizeof *s_to); /* no leftover rounding */
        add_point(s_to, p->x + far * d, d, 1.0);
        w->counts[from]--;
        w->counts[j] = 1;
        w->labels[far] = (int32_t)j;
        w->sum_labels[far] = (int32_t)j;
        w->dist[far] = -1.0;
        w->upper[far] = INFINITY; /* the moved point is rescanned */
        w->lower[far] = 0.0;
        if (w->lower_each)
            memset(w->lower_each + far * k, 0, k * sizeof *w->lower_each);
    }
    memcpy(w->old_centroids, w->centroids, k * d * sizeof(float));
    for (size_t j = 0; j < k; j++) {
        float *c = w->centroids + j * d;
        const double *s = w->sums + j * d;
        if (w->counts[j] > 0) {
            double count = (double)w->counts[j];
            for (size_t t = 0; t < d; t++)
                c[t] = (float)(s[t] / count);
        }
    }
    sqdist_batch(w->centroids, NULL, 1, w->old_centroids, NULL, d, k, w->shift);
    double total = 0.0;
    for (size_t j = 0; j < k; j++) {
        total += w->shift[j];
        w->shift[j] = sqrt(w->shift[j]) * (1.0 + BOUND_SLACK);
    }
    return total;
}

/* Moves the bounds by the centroid shifts; recomputes the centroid gaps. */
static void update_bounds(const FitProblem *p, FitWork *w)
{
    const size_t d = p->d, k = (size_t)p->k;
    for (size_t j = 0; j < k; j++) {
        w->half_gap[j] = INFINITY;
        if (w->half_pair)
            w->half_pair[j * k + j] = INFINITY;
    }
    double *gap_sq = w->gap_sq;
    for (size_t j = 0; j + 1 < k; j++) {
        sqdist_to_rows(w->centroids + j * d, w->centroids + (j + 1) * d, NULL, d, k - j - 1,
                       gap_sq);
        for (size_t t = j + 1; t < k; t++) {
            double g = 0.5 * sqrt(gap_sq[t - j - 1]) * (1.0 - BOUND_SLACK);
            if (w->half_pair) {
                w->half_pair[j * k + t] = (float)g;
                w->half_pair[t * k + j] = (float)g;
            }
            if (g < w->half_gap[j])
                w->half_gap[j] = g;
            if (g < w->half_gap[t])
                w->half_gap[t] = g;
        }
    }
    for (size_t i = 0; i < p->n; i++)
        w->upper[i] += w->shift[w->labels[i]];
    if (w->lower_each) {
        /* float arithmetic: shift is widened far beyond its rounding, and
         * the rounding of the subtraction is undone by the factor below 1 */
        for (size_t j = 0; j < k; j++)
            w->shift_f[j] = (float)w->shift[j];
        const float shrink = 1.0f - 0x1p-22f;
        for (size_t i = 0; i < p->n; i++) {
            float *lower = w->lower_each + i * k;
            for (size_t j = 0; j < k; j++) {
                float b = (lower[j] - w->shift_f[j]) * shrink;
                lower[j] = b > 0.0f ? b : 0.0f;
            }
        }
        return;
    }
    size_t far_j = 0;
    double max1 = 0.0, max2 = 0.0;
    for (size_t j = 0; j < k; j++) {
        if (w->shift[j] > max1) {
            max2 = max1;
            max1 = w->shift[j];
            far_j = j;
        } else if (w->shift[j] > max2) {
            max2 = w->shift[j];
        }
    }
    for (size_t i = 0; i < p->n; i++)
        w->lower[i] -= (size_t)w->labels[i] == far_j ? max2 : max1;
}

static bool assign_pruned(const FitProblem *p, FitWork *w)
{
    switch (p->algorithm) {
    case KMEANS_ELKAN: return assign_elkan(p, w);
    case KMEANS_HAMERLY: return assign_hamerly(p, w);
    default: return assign_full(p, w);
    }
}

/* One complete k-means run for restart number `restart`. */
static int fit_once(const FitProblem *p, FitWork *w, int restart)
{
    const size_t d = p->d;
    const uint32_t *seeds = w->seeds;
    const double *table;
    if (p->seeds) {
        seeds = p->seeds + (size_t)restart * (size_t)p->seeds_stride;
        table =
            p->seed_dist ? p->seed_dist + (size_t)restart * (size_t)p->seeds_stride * p->n : NULL;
    } else {
        table = w->seed_dist;
        int status = choose_seeds(p, restart, p->k, w->scratch, w->seeds, w->seed_dist);
        if (status != FS_OK)
            return status;
    }
    for (int c = 0; c < p->k; c++)
        memcpy(w->centroids + (size_t)c * d, p->x + (size_t)seeds[c] * d, d * sizeof(float));
    const bool plain = p->algorithm == KMEANS_LLOYD;
    for (size_t i = 0; i < p->n; i++)
        w->labels[i] = -1;
    bool converged = false;
    w->iterations = 0;
    for (int it = 0; it < p->max_iter; it++) {
        if (progress_cancelled(p->progress))
            return FS_CANCELLED;
        bool changed = it > 0  ? assign_pruned(p, w)
                       : table ? assign_from_table(p, w, table)
                               : assign_full(p, w);
        w->iterations = it + 1;
        if (!changed) {
            converged = true; /* centroids are already the means of these labels */
            break;
        }
        double shift = update_centroids(p, w, it == 0, plain || it == 0);
        if (!plain)
            update_bounds(p, w);
        if (shift <= p->tol_shift)
            break;
    }
    if (!converged) /* make the labels agree with the final centroids */
        assign_pruned(p, w);
    exact_distances(p, w);
    double inertia = 0.0;
    for (size_t i = 0; i < p->n; i++)
        inertia += w->dist[i];
    w->inertia = inertia;
    return FS_OK;
}

/* ------------------------------------------------------- fits in threads */

/* The best restart of one k so far (lowest inertia, then lowest restart),
 * and how many of its restarts have finished. */
typedef struct {
    pthread_mutex_t lock;
    int32_t *labels;  /* n */
    float *centroids; /* k_last x d, so that it swaps with a worker's */
    double inertia;
    int iterations;
    int restart; /* -1 while none */
    int done;
} BestFit;

/* Called once per k by the worker that finished its last restart, the k's
 * result already in place. */
typedef void (*KDone)(void *ctx, int k);

/* Every restart of every k in k_first..problem->k is one job, so that both
 * threads stay busy across the ks (not only within one). */
typedef struct {
    const FitProblem *problem; /* k: the last k */
    int k_first, restarts;
    BestFit *best;         /* per k from k_first */
    KmeansResult *results; /* per k from k_first */
    FitWork work[MAX_THREADS];
    bool ready[MAX_THREADS];
    KDone k_done;
    void *k_done_ctx;
} FitJobs;

/* The k's best restart as its result: labels moved, centroids unpadded. */
static int best_fit_result(const FitProblem *p, BestFit *b, KmeansResult *out)
{
    out->centroids = malloc((size_t)p->k * p->columns * sizeof *out->centroids);
    if (!out->centroids)
        return FS_ERROR;
    for (size_t j = 0; j < (size_t)p->k; j++)
        memcpy(out->centroids + j * p->columns, b->centroids + j * p->d,
               p->columns * sizeof(float));
    out->k = p->k;
    out->n = p->n;
    out->d = p->columns;
    out->labels = b->labels;
    out->inertia = b->inertia;
    out->iterations = b->iterations;
    b->labels = NULL;
    return FS_OK;
}

static int fit_job(void *ctx, int worker, int job)
{
    FitJobs *jobs = ctx;
    FitProblem p = *jobs->problem;
    p.k = jobs->k_first + job / jobs->restarts;
    const int restart = job % jobs->restarts;
    FitWork *w = &jobs->work[worker];
    if (!jobs->ready[worker]) {
        if (!fit_work_alloc(w, jobs->problem)) /* sized for the last k */
            return FS_ERROR;
        jobs->ready[worker] = true;
    }
    int status = fit_once(&p, w, restart);
    if (status != FS_OK)
        return status;
    BestFit *b = &jobs->best[p.k - jobs->k_first];
    pthread_mutex_lock(&b->lock);
    if (b->restart < 0 || w->inertia < b->inertia ||
        (w->inertia == b->inertia && restart < b->restart)) {
        int32_t *labels = b->labels;
        float *centroids = b->centroids;
        b->labels = w->labels;
        b->centroids = w->centroids;
        w->labels = labels;
        w->centroids = centroids;
        b->inertia = w->inertia;
        b->iterations = w->iterations;
        b->restart = restart;
    }
    const bool last = ++b->done == jobs->restarts;
    pthread_mutex_unlock(&b->lock);
    if (!last)
        return FS_OK;
    status = best_fit_result(&p, b, &jobs->results[p.k - jobs->k_first]);
    if (status == FS_OK && jobs->k_done)
        jobs->k_done(jobs->k_done_ctx, p.k);
    return status;
}

/* All restarts of every k from k_first to p->k into results[0 ..]. */
static int fit_all(const FitProblem *p, int k_first, int restarts, int threads,
                   KmeansResult *results, KDone k_done, void *k_done_ctx)
{
    const int ks = p->k - k_first + 1;
    FitJobs *jobs = calloc(1, sizeof *jobs);
    BestFit *best = calloc((size_t)ks, sizeof *best);
    int status = jobs && best ? FS_OK : FS_ERROR;
    int ready = 0; /* BestFits set up */
    for (; status == FS_OK && ready < ks; ready++) {
        BestFit *b = &best[ready];
        b->restart = -1;
        b->labels = malloc(p->n * sizeof *b->labels);
        b->centroids = malloc((size_t)p->k * p->d * sizeof *b->centroids);
        if (!b->labels || !b->centroids || pthread_mutex_init(&b->lock, NULL) != 0) {
            free(b->labels);
            free(b->centroids);
            status = FS_ERROR;
            break;
        }
    }
    if (status == FS_OK) {
        *jobs = (FitJobs){.problem = p,
                          .k_first = k_first,
                          .restarts = restarts,
                          .best = best,
                          .results = results,
                          .k_done = k_done,
                          .k_done_ctx = k_done_ctx};
        status = pool_run(threads, ks * restarts, fit_job, jobs);
    }
    for (int t = 0; jobs && t < MAX_THREADS; t++)
        fit_work_free(&jobs->work[t]);
    for (int i = 0; i < ready; i++) {
        free(best[i].labels);
        free(best[i].centroids);
        pthread_mutex_destroy(&best[i].lock);
    }
    free(best);
    free(jobs);
    return status;
}

int kmeans_fit(const float *x, size_t n, size_t d, const KmeansOptions *opts,
               const Progress *progress, KmeansResult *out)
{
    if (!out)
        return FS_ERROR;
    memset(out, 0, sizeof *out);
    if (!opts || !options_valid(opts) || !shape_valid(x, n, d) || opts->k < 1 ||
        (size_t)opts->k > n)
        return FS_ERROR;
    const size_t dp = sqdist_padded_columns(d);
    float *xp = padded_copy(x, n, d, dp);
    if (!xp)
        return FS_ERROR;
    FitProblem p = {.x = xp,
                    .n = n,
                    .d = dp,
                    .columns = d,
                    .k = opts->k,
                    .max_iter = opts->max_iter,
                    .algorithm = opts->algorithm,
                    .avx512 = use_avx512(opts),
                    .seed = opts->seed,
                    .tol_shift = absolute_tolerance(x, n, d, opts->tol),
                    .progress = progress};
    int status = fit_all(&p, opts->k, opts->restarts, opts->threads, out, NULL, NULL);
    free(xp);
    return status;
}

/* ------------------------------------------------------------ silhouette */

/* The points a silhouette is computed on: all of them, or a seeded sample. */
typedef struct {
    const float *x;
    size_t d;
    size_t m;         /* points used */
    uint32_t *index;  /* m row numbers, ascending; NULL = rows 0..m-1 */
    float *pair_dist; /* optional packed upper triangle of distances */
} SilhouetteSet;

static const float *silhouette_row(const SilhouetteSet *s, size_t a)
{
    return s->x + (size_t)(s->index ? s->index[a] : a) * s->d;
}

static float pair_distance(const SilhouetteSet *s, size_t a, size_t b)
{
    return (float)sqrt(sqdist(silhouette_row(s, a), silhouette_row(s, b), s->d));
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static bool silhouette_set_init(SilhouetteSet *s, const float *x, size_t n, size_t d, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->x = x;
    s->d = d;
    s->m = n;
    if (n <= KMEANS_SILHOUETTE_MAX_POINTS)
        return true;
    if (n > UINT32_MAX)
        return false;
    uint32_t *perm = malloc(n * sizeof *perm);
    if (!perm)
        return false;
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    Rng rng;
    rng_seed_stream(&rng, seed, KMEANS_SILHOUETTE_STREAM);
    rng_shuffle_u32(&rng, perm, n);
    qsort(perm, KMEANS_SILHOUETTE_MAX_POINTS, sizeof *perm, compare_u32);
    s->index = perm;
    s->m = KMEANS_SILHOUETTE_MAX_POINTS;
    return true;
}

static void silhouette_set_free(SilhouetteSet *s)
{
    free(s->index);
    free(s->pair_dist);
    s->index = NULL;
    s->pair_dist = NULL;
}

/* Offset of row a of the packed upper triangle (pairs (a, b), b > a). */
static size_t triangle_row(size_t m, size_t a)
{
    return a * (2 * m - a - 1) / 2;
}

enum { TRIANGLE_CHUNK = 256 }; /* pairs measured in one sqdist_batch */

static int triangle_row_job(void *ctx, int worker, int row)
{
    (void)worker;
    SilhouetteSet *s = ctx;
    size_t a = (size_t)row;
    float *out = s->pair_dist + triangle_row(s->m, a);
    double sq[TRIANGLE_CHUNK];
    for (size_t b0 = a + 1; b0 < s->m; b0 += TRIANGLE_CHUNK) {
        size_t n = s->m - b0 < TRIANGLE_CHUNK ? s->m - b0 : TRIANGLE_CHUNK;
        /* pair_distance's values (sqdist_batch gives sqdist's bits), four
         * pairs at a time where the machine can */
        sqdist_batch(silhouette_row(s, a), NULL, 0, s->index ? s->x : silhouette_row(s, b0),
                     s->index ? s->index + b0 : NULL, s->d, n, sq);
        for (size_t c = 0; c < n; c++)
            out[b0 - a - 1 + c] = (float)sqrt(sq[c]);
    }
    return FS_OK;
}

/* Precomputes all pair distances (for many silhouettes of the same points);
 * left NULL when memory is short, which only costs time. */
static void silhouette_set_precompute(SilhouetteSet *s, int threads)
{
    size_t pairs = s->m * (s->m - 1) / 2;
    if (pairs == 0 || !(s->pair_dist = big_alloc(pairs * sizeof *s->pair_dist)))
        return;
    if (pool_run(threads, (int)s->m - 1, triangle_row_job, s) != FS_OK) {
        free(s->pair_dist);
        s->pair_dist = NULL;
    }
}

static double silhouette_of(const SilhouetteSet *s, const int32_t *labels, int k)
{
    const size_t m = s->m;
    size_t *counts = calloc((size_t)k, sizeof *counts);
    int32_t *lab = malloc(m * sizeof *lab);
    double *sums =
        (m <= SIZE_MAX / sizeof(double) / (size_t)k) ? calloc(m * (size_t)k, sizeof *sums) : NULL;
    double result = NAN;
    if (!counts || !lab || !sums)
        goto done;
    int present = 0;
    for (size_t a = 0; a < m; a++) {
        lab[a] = labels[s->index ? s->index[a] : a];
        if (counts[lab[a]]++ == 0)
            present++;
    }
    if (present < 2)
        goto done;
    const float *dist = s->pair_dist;
    for (size_t a = 0; a < m; a++) {
        double *sa = sums + a * (size_t)k;
        int32_t la = lab[a];
        for (size_t b = a + 1; b < m; b++) {
            double v = dist ? *dist++ : pair_distance(s, a, b);
            sa[lab[b]] += v;
            sums[b * (size_t)k + la] += v;
        }
    }
    double total = 0.0;
    for (size_t a = 0; a < m; a++) {
        const double *sa = sums + a * (size_t)k;
        int32_t la = lab[a];
        if (counts[la] <= 1)
            continue; /* a point alone in its cluster scores 0 */
        double own = sa[la] / (double)(counts[la] - 1), other = INFINITY;
        for (int c = 0; c < k; c++)
            if (c != la && counts[c] > 0 && sa[c] / (double)counts[c] < other)
                other = sa[c] / (double)counts[c];
        double denom = own > other ? own : other;
        if (denom > 0.0)
            total += (other - own) / denom;
    }
    result = total / (double)m;
done:
    free(counts);
    free(lab);
    free(sums);
    return result;
}

double kmeans_silhouette(const float *x, size_t n, size_t d, const int32_t *labels, int k,
                         uint64_t seed)
{
    if (!labels || k < 2 || !shape_valid(x, n, d) || !arrays_labels_in_range(labels, n, k))
        return NAN;
    SilhouetteSet set;
    if (!silhouette_set_init(&set, x, n, d, seed))
        return NAN;
    double s = silhouette_of(&set, labels, k);
    silhouette_set_free(&set);
    return s;
}

/* ------------------------------------------------------------------ sweep */

int kmeans_knee(const double *inertia, int kmax)
{
    if (!inertia || kmax < 3)
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < kmax; i++) {
        if (!isfinite(inertia[i]))
            return 0;
        if (inertia[i] < lo)
            lo = inertia[i];
        if (inertia[i] > hi)
            hi = inertia[i];
    }
    if (!(hi > lo))
        return 0;
    int knee = 0;
    double best = 1e-9; /* the difference curve must rise above 0 */
    for (int i = 0; i < kmax; i++) {
        double xn = (double)i / (double)(kmax - 1);
        double yn = (inertia[i] - lo) / (hi - lo);
        double diff = (1.0 - yn) - xn;
        if (diff > best) {
            best = diff;
            knee = i + 1;
        }
    }
    return knee;
}

int kmeans_knee_focused(const double *inertia, int kmax)
{
    int range = kmax;
    int knee = kmeans_knee(inertia, range);
    while (knee > 0) {
        int next = 2 * knee > KNEE_MIN_RANGE ? 2 * knee : KNEE_MIN_RANGE;
        if (next >= range)
            break;
        int focused = kmeans_knee(inertia, next);
        if (focused == 0)
            break;
        range = next;
        knee = focused;
    }
    return knee;
}

typedef struct {
    const FitProblem *problem;
    uint32_t *seeds; /* restarts x problem->seeds_stride */
    double *table;   /* restarts x seeds_stride x n, or NULL */
} SeedJobs;

static int seed_job(void *ctx, int worker, int restart)
{
    (void)worker;
    SeedJobs *jobs = ctx;
    const FitProblem *p = jobs->problem;
    const size_t stride = (size_t)p->seeds_stride;
    double *scratch = malloc(5 * p->n * sizeof *scratch);
    if (!scratch)
        return FS_ERROR;
    int status =
        choose_seeds(p, restart, p->seeds_stride, scratch, jobs->seeds + (size_t)restart * stride,
                     jobs->table ? jobs->table + (size_t)restart * stride * p->n : NULL);
    free(scratch);
    return status;
}

void kmeans_sweep_free(KmeansSweep *sweep)
{
    if (!sweep)
        return;
    if (sweep->results)
        for (int i = 0; i < sweep->kmax; i++)
            kmeans_result_free(&sweep->results[i]);
    free(sweep->results);
    free(sweep->silhouette);
    free(sweep->stability);
    free(sweep->segment_stability);
    memset(sweep, 0, sizeof *sweep);
}

/* A sweep's work once a k is fitted: its silhouette, then the progress
 * report of every k finished so far in order (the elbow grows from k = 1). */
typedef struct {
    KmeansSweep *out;
    const SilhouetteSet *set; /* NULL when kmax is 1 */
    const Progress *progress;
    pthread_mutex_t lock; /* over finished, next and the reports */
    bool *finished;       /* kmax */
    int next;             /* k - 1 of the next report */
} SweepReport;

static void sweep_k_done(void *ctx, int k)
{
    SweepReport *r = ctx;
    KmeansSweep *out = r->out;
    out->silhouette[k - 1] =
        k >= 2 && r->set ? silhouette_of(r->set, out->results[k - 1].labels, k) : NAN;
    pthread_mutex_lock(&r->lock);
    r->finished[k - 1] = true;
    /* nothing more once cancelled: the caller gets FS_CANCELLED */
    for (; r->next < out->kmax && r->finished[r->next] && !progress_cancelled(r->progress);
         r->next++) {
        ProgressEvent ev = {.stage = STAGE_SWEEP,
                            .step = r->next + 1,
                            .steps = out->kmax,
                            .loss = NAN,
                            .val_loss = NAN,
                            .metric = out->results[r->next].inertia,
                            .val_metric = NAN};
        progress_report(r->progress, &ev);
    }
    pthread_mutex_unlock(&r->lock);
}

/* kmeans_sweep, with the silhouettes (NAN without) */
static int sweep_fits(const float *x, size_t n, size_t d, int kmax, const KmeansOptions *opts,
                      const Progress *progress, bool silhouettes, KmeansSweep *out)
{
    if (!out)
        return FS_ERROR;
    memset(out, 0, sizeof *out);
    if (!opts || !options_valid(opts) || !shape_valid(x, n, d) || kmax < 1 || (size_t)kmax > n)
        return FS_ERROR;
    out->kmax = kmax;
    out->results = calloc((size_t)kmax, sizeof *out->results);
    out->silhouette = malloc((size_t)kmax * sizeof *out->silhouette);
    double *inertia = malloc((size_t)kmax * sizeof *inertia);
    uint32_t *seeds = malloc((size_t)opts->restarts * (size_t)kmax * sizeof *seeds);
    double *seed_table = NULL;
    const size_t dp = sqdist_padded_columns(d);
    float *xp = padded_copy(x, n, d, dp);
    SilhouetteSet set;
    bool have_set = false;
    int status = FS_ERROR;
    if (!out->results || !out->silhouette || !inertia || !seeds || !xp)
        goto done;
    FitProblem p = {.x = xp,
                    .n = n,
                    .d = dp,
                    .columns = d,
                    .k = kmax,
                    .max_iter = opts->max_iter,
                    .algorithm = opts->algorithm,
                    .avx512 = use_avx512(opts),
                    .seed = opts->seed,
                    .tol_shift = absolute_tolerance(x, n, d, opts->tol),
                    .progress = progress,
                    .seeds_stride = kmax};
    /* k-means++ once per restart for kmax; every k uses a prefix */
    size_t table_size = (size_t)opts->restarts * (size_t)kmax; /* only a shortcut */
    if (n <= SEED_TABLE_MAX / table_size)
        seed_table = big_alloc(table_size * n * sizeof *seed_table);
    SeedJobs seed_jobs = {.problem = &p, .seeds = seeds, .table = seed_table};
    status = pool_run(opts->threads, opts->restarts, seed_job, &seed_jobs);
    if (status != FS_OK)
        goto done;
    status = FS_ERROR;
    p.seeds = seeds;
    p.seed_dist = seed_table;
    if (kmax >= 2 && silhouettes) {
        if (!silhouette_set_init(&set, xp, n, dp, opts->seed))
            goto done;
        have_set = true;
        silhouette_set_precompute(&set, opts->threads);
    }
    SweepReport report = {.out = out, .set = have_set ? &set : NULL, .progress = progress};
    if (pthread_mutex_init(&report.lock, NULL) != 0)
        goto done;
    report.finished = calloc((size_t)kmax, sizeof *report.finished);
    status = report.finished ? fit_all(&p, 1, opts->restarts, opts->threads, out->results,
                                       sweep_k_done, &report)
                             : FS_ERROR;
    free(report.finished);
    pthread_mutex_destroy(&report.lock);
    if (status == FS_OK && progress_cancelled(progress))
        status = FS_CANCELLED;
    if (status != FS_OK)
        goto done;
    for (int k = 1; k <= kmax; k++)
        inertia[k - 1] = out->results[k - 1].inertia;
    out->knee = kmeans_knee_focused(inertia, kmax);
    status = FS_OK;
done:
    if (have_set)
        silhouette_set_free(&set);
    free(inertia);
    free(seeds);
    free(seed_table);
    free(xp);
    if (status != FS_OK)
        kmeans_sweep_free(out);
    return status;
}

int kmeans_sweep(const float *x, size_t n, size_t d, int kmax, const KmeansOptions *opts,
                 const Progress *progress, KmeansSweep *out)
{
    return sweep_fits(x, n, d, kmax, opts, progress, true, out);
}

/* ---------------------------------------------------------------- stability */

size_t kmeans_stability_points(size_t n)
{
    size_t m = (size_t)(KMEANS_STABILITY_SHARE * (double)n + 0.5);
    return m < KMEANS_STABILITY_MAX_POINTS ? m : KMEANS_STABILITY_MAX_POINTS;
}

/* Resample r of kmeans_sweep_stability: index[0..m) the points it keeps (a
 * kmeans_stability_points(n), drawn without replacement, in index order),
 * *fit_seed the seed of its k-means. Returns m. */
static size_t resample_points(size_t n, uint64_t seed, int resample, uint32_t *index,
                              uint64_t *fit_seed)
{
    size_t m = kmeans_stability_points(n);
    Rng rng;
    rng_seed_stream(&rng, seed, KMEANS_STABILITY_STREAM + (uint64_t)resample);
    for (size_t i = 0; i < n; i++)
        index[i] = (uint32_t)i;
    for (size_t i = 0; i < m; i++) { /* a partial Fisher-Yates shuffle */
        size_t j = i + (size_t)rng_below(&rng, n - i);
        uint32_t t = index[i];
        index[i] = index[j];
        index[j] = t;
    }
    qsort(index, m, sizeof *index, compare_u32);
    *fit_seed = rng_next(&rng);
    return m;
}

static int compare_u64(const void *a, const void *b);

/* For each segment s of a (m points, labels in [0, k)), the best Jaccard
 * similarity |s & c| / |s | c| with a cluster c of b (labels in [0, k)) is
 * added to sum[s] and counted in seen[s] (segments with no point: nothing).
 * keys: m scratch; sizes: 2k scratch. */
static void add_best_jaccard(const int32_t *a, const int32_t *b, size_t m, int k, uint64_t *keys,
                             size_t *sizes, double *best, double *sum, int *seen)
{
    size_t *size_a = sizes, *size_b = sizes + k;
    memset(sizes, 0, 2 * (size_t)k * sizeof *sizes);
    for (size_t i = 0; i < m; i++) {
        size_a[a[i]]++;
        size_b[b[i]]++;
        keys[i] = (uint64_t)(uint32_t)a[i] << 32 | (uint32_t)b[i];
    }
    qsort(keys, m, sizeof *keys, compare_u64);
    for (int s = 0; s < k; s++)
        best[s] = 0;
    for (size_t i = 0, run = 1; i < m; i++, run++) {
        if (i + 1 < m && keys[i + 1] == keys[i])
            continue;
        size_t s = (size_t)(keys[i] >> 32), c = (size_t)(keys[i] & 0xffffffffu);
        double jaccard = (double)run / (double)(size_a[s] + size_b[c] - run);
        if (jaccard > best[s])
            best[s] = jaccard;
        run = 0;
    }
    for (int s = 0; s < k; s++)
        if (size_a[s] > 0) {
            sum[s] += best[s];
            seen[s]++;
        }
}

double kmeans_segment_stability(const KmeansSweep *sweep, int k, int segment)
{
    if (!sweep || !sweep->segment_stability || k < 1 || k > sweep->kmax || segment < 0 ||
        segment >= k)
        return NAN;
    return sweep->segment_stability[(size_t)k * (size_t)(k - 1) / 2 + (size_t)segment];
}

double kmeans_weakest_segment_stability(const KmeansSweep *sweep, int k)
{
    double weakest = NAN;
    for (int s = 0; sweep && s < k; s++) {
        double v = kmeans_segment_stability(sweep, k, s);
        if (isfinite(v) && !(v >= weakest))
            weakest = v;
    }
    return weakest;
}

int kmeans_stability_reading(double stability)
{
    if (!isfinite(stability))
        return -1;
    double printed = round(stability * 1000) / 1000;
    return printed < 0.6 ? 0 : printed < 0.75 ? 1 : printed < 0.85 ? 2 : 3;
}

int kmeans_best_silhouette_k(const KmeansSweep *sweep)
{
    int best = 0;
    for (int k = 2; sweep && sweep->silhouette && k <= sweep->kmax; k++)
        if (!isnan(sweep->silhouette[k - 1]) &&
            (!best || sweep->silhouette[k - 1] > sweep->silhouette[best - 1]))
            best = k;
    return best;
}

int kmeans_silhouette_reading(double silhouette)
{
    return silhouette < 0.25 ? 0 : silhouette < 0.5 ? 1 : 2;
}

int kmeans_sweep_stability(const float *x, size_t n, size_t d, const KmeansOptions *opts,
                           int resamples, const Progress *progress, KmeansSweep *sweep)
{
    if (!sweep || !sweep->results || sweep->kmax < 1 || !opts || !shape_valid(x, n, d) ||
        resamples < 1 || resamples > KMEANS_STABILITY_MAX_RESAMPLES)
        return FS_ERROR;
    int kmax = sweep->kmax;
    size_t m = kmeans_stability_points(n);
    if ((size_t)kmax > m || sweep->results[0].n != n)
        return FS_ERROR;
    size_t pairs = (size_t)kmax * (size_t)(kmax + 1) / 2; /* (k, segment) for k = 1..kmax */
    double *stability = calloc((size_t)kmax, sizeof *stability);
    double *segment_sum = calloc(pairs, sizeof *segment_sum), *best = malloc(kmax * sizeof *best);
    int *seen = calloc(pairs, sizeof *seen);
    size_t *sizes = malloc(2 * (size_t)kmax * sizeof *sizes);
    uint64_t *keys = malloc(m * sizeof *keys);
    uint32_t *index = malloc(n * sizeof *index);
    int32_t *chosen = malloc(m * sizeof *chosen);
    float *subset = m <= SIZE_MAX / sizeof(float) / d ? malloc(m * d * sizeof *subset) : NULL;
    /* the resamples report nothing of their own k-means, but stop on cancel */
    Progress quiet = {.report = NULL, .ctx = NULL, .cancel = progress ? progress->cancel : NULL};
    KmeansOptions sub_opts = *opts;
    int status =
        stability && segment_sum && best && seen && sizes && keys && index && chosen && subset
            ? FS_OK
            : FS_ERROR;
    int done = 0; /* resamples finished */
    for (int r = 0; status == FS_OK && r < resamples; r++) {
        resample_points(n, opts->seed, r, index, &sub_opts.seed);
        for (size_t i = 0; i < m; i++)
            memcpy(subset + i * d, x + (size_t)index[i] * d, d * sizeof *subset);
        KmeansSweep again;
        status = sweep_fits(subset, m, d, kmax, &sub_opts, &quiet, false, &again);
        for (int k = 1; status == FS_OK && k <= kmax; k++) {
            for (size_t i = 0; i < m; i++)
                chosen[i] = sweep->results[k - 1].labels[index[i]];
            const int32_t *found = again.results[k - 1].labels;
            double ari = kmeans_adjusted_rand(chosen, found, m);
            if (isnan(ari))
                status = FS_ERROR;
            stability[k - 1] += ari; /* summed: averaged below */
            size_t at = (size_t)k * (size_t)(k - 1) / 2;
            add_best_jaccard(chosen, found, m, k, keys, sizes, best, segment_sum + at, seen + at);
        }
        kmeans_sweep_free(&again);
        if (status == FS_OK)
            done = r + 1;
        if (status == FS_OK && progress_cancelled(progress))
            status = FS_CANCELLED;
        if (status == FS_OK) {
            ProgressEvent ev = {.stage = STAGE_STABILITY,
                                .step = r + 1,
                                .steps = resamples,
                                .loss = NAN,
                                .val_loss = NAN,
                                .metric = NAN,
                                .val_metric = NAN};
            progress_report(progress, &ev);
        }
    }
    free(best);
    free(sizes);
    free(keys);
    free(index);
    free(chosen);
    free(subset);
    /* a cancel keeps the resamples finished: a resample adds to the sums only
     * once all its k's are fitted, so they are those of a call for `done` */
    if (status != FS_OK && !(status == FS_CANCELLED && done > 0)) {
        free(stability);
        free(segment_sum);
        free(seen);
        return status;
    }
    /* the mean of indexes of at most 1 is at most 1 (a sum of many ari /
     * resamples could round above it, a value no model file holds) */
    for (int k = 1; k <= kmax; k++)
        stability[k - 1] = fmin(1.0, stability[k - 1] / done);
    for (size_t i = 0; i < pairs; i++)
        segment_sum[i] = seen[i] ? segment_sum[i] / seen[i] : NAN;
    free(seen);
    free(sweep->stability);
    free(sweep->segment_stability);
    sweep->stability = stability;
    sweep->segment_stability = segment_sum;
    sweep->stability_resamples = done;
    return status;
}

/* ------------------------------------------------------ adjusted Rand index */

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sum over runs of equal values in sorted keys of run * (run - 1) / 2. */
static uint64_t same_pairs(const uint64_t *sorted, size_t n)
{
    uint64_t pairs = 0;
    size_t run = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && sorted[i] == sorted[i - 1]) {
            run++;
        } else {
            pairs += (uint64_t)run * (run - 1) / 2;
            run = 1;
        }
    }
    return pairs;
}

static uint64_t label_key(int32_t v)
{
    return (uint64_t)((uint32_t)v ^ 0x80000000u); /* order-preserving */
}

double kmeans_adjusted_rand(const int32_t *a, const int32_t *b, size_t n)
{
    if (!a || !b)
        return NAN;
    if (n < 2)
        return 1.0;
    uint64_t *keys = malloc(n * sizeof *keys);
    if (!keys)
        return NAN;
    for (size_t i = 0; i < n; i++)
        keys[i] = label_key(a[i]) << 32 | label_key(b[i]);
    qsort(keys, n, sizeof *keys, compare_u64);
    uint64_t both = same_pairs(keys, n);
    for (size_t i = 0; i < n; i++)
        keys[i] = label_key(a[i]);
    qsort(keys, n, sizeof *keys, compare_u64);
    uint64_t same_a = same_pairs(keys, n);
    for (size_t i = 0; i < n; i++)
        keys[i] = label_key(b[i]);
    qsort(keys, n, sizeof *keys, compare_u64);
    uint64_t same_b = same_pairs(keys, n);
    free(keys);

    /* pair confusion counts (as scikit-learn), exact in integers */
    uint64_t all = (uint64_t)n * (n - 1) / 2;
    uint64_t only_a = same_a - both, only_b = same_b - both;
    if (only_a == 0 && only_b == 0)
        return 1.0;
    double tp = (double)both, fn = (double)only_a, fp = (double)only_b;
    double tn = (double)(all - both - only_a - only_b);
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}
