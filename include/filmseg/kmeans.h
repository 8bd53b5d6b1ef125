/* kmeans.h: k-means clustering of a float feature matrix (n rows x d columns,
 * row-major) into audience segments, plus the measures used to choose k: the
 * k = 1..K sweep with its inertia (elbow) curve, the Kneedle knee, the
 * silhouette, the stability of each k over resamples of the points, and the
 * adjusted Rand index for comparing two segmentations.
 *
 * Algorithm: greedy k-means++ seeding (centre c >= 1 is the best of
 * 2 + ln(c + 1) D^2-sampled candidates, so the seeds for k are a prefix of
 * those for any larger k and a sweep seeds once), then Lloyd iterations
 * pruned with Elkan's bounds (default) or Hamerly's; plain Lloyd is kept as
 * a reference and all three give bit-identical results. A run stops when the
 * labels no longer change, when the squared centroid shift summed over all
 * centres is <= tol * (mean per-column variance of x) (scikit-learn's rule),
 * or after max_iter iterations; a final assignment step then makes the labels
 * agree with the returned centroids. A cluster that becomes empty is
 * re-seeded with the point farthest from its centroid. The best of
 * `restarts` runs (lowest inertia, the earlier run on a tie) is kept.
 *
 * Determinism: restart r draws from rng_seed_stream(seed, r) whatever k is,
 * every distance is computed the same way (float lanes of fixed layout summed
 * in double; the AVX2 and SSE code paths agree to the bit), reductions run in
 * a fixed order with double accumulators, and worker threads only ever run
 * whole restarts, so the same seed gives bit-identical labels, centroids and
 * inertia for any number of threads. The results of a sweep at k are the same
 * as those of kmeans_fit with that k.
 *
 * Memory: about n x k floats for Elkan's bounds per worker thread, plus a
 * zero-padded copy of x; a sweep also keeps restarts x kmax x n doubles of
 * seeding distances when that is at most 256 MiB.
 *
 * Errors: functions returning int return FS_OK, FS_ERROR (bad arguments: NULL
 * pointers, n, d or k out of range, non-finite data or options; or out of
 * memory) or FS_CANCELLED (the Progress cancel flag was seen; it is checked at
 * least once per Lloyd iteration of every restart). On any error the output
 * struct is left empty and is safe to pass to its _free function. */
#ifndef FILMSEG_KMEANS_H
#define FILMSEG_KMEANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filmseg/progress.h"

/* Silhouette is exact (O(m^2 d)) on at most this many points; larger inputs
 * use a seeded uniform sample of this many points (stream
 * KMEANS_SILHOUETTE_STREAM of the seed), the score being the mean silhouette
 * of the sampled points computed within the sample (as scikit-learn's
 * silhouette_score with sample_size). */
#define KMEANS_SILHOUETTE_MAX_POINTS 4000
#define KMEANS_SILHOUETTE_STREAM 0x5111ULL

/* All three give bit-identical results; they differ in speed only. */
typedef enum {
    KMEANS_ELKAN = 0,   /* Lloyd with Elkan's k bounds per point (default; best
                           in high dimension, n x k floats of memory) */
    KMEANS_HAMERLY = 1, /* Lloyd with Hamerly's 2 bounds per point (low d) */
    KMEANS_LLOYD = 2    /* plain Lloyd; for checking the other two */
} KmeansAlgorithm;

typedef struct {
    int k;         /* clusters for kmeans_fit (ignored by kmeans_sweep) */
    int restarts;  /* independent k-means++ runs, best kept (default 10) */
    int max_iter;  /* Lloyd iteration cap per run (default 300) */
    int threads;   /* worker threads across restarts; 0 = one per CPU (default) */
    double tol;    /* relative centroid-shift tolerance (default 1e-4) */
    uint64_t seed; /* default 42 */
    KmeansAlgorithm algorithm;
    bool portable; /* tests: k-means' own AVX-512 code off where the machine has
                      it (the distances keep theirs, see sqdist.h); same results */
} KmeansOptions;

void kmeans_options_default(KmeansOptions *opts);

typedef struct {
    int k;
    size_t n, d;
    int32_t *labels;  /* n, each in [0, k) */
    float *centroids; /* k x d, row-major */
    double inertia;   /* sum of squared distances to the assigned centroid */
    int iterations;   /* Lloyd iterations of the kept restart */
} KmeansResult;

/* Clusters x (n x d) into opts->k clusters, 1 <= k <= n. progress may be NULL;
 * it is used for cancelling only (kmeans_sweep reports per k). */
int kmeans_fit(const float *x, size_t n, size_t d, const KmeansOptions *opts,
               const Progress *progress, KmeansResult *out);
void kmeans_result_free(KmeansResult *result);

/* Index of the centroid nearest to point (d floats), as kmeans_fit would
 * assign it (lowest index on a tie); -1 on bad arguments. For scoring new
 * users: a training point gets its training label back. */
int kmeans_assign_nearest(const float *centroids, int k, size_t d, const float *point);

typedef struct {
    int kmax;
    KmeansResult *results;     /* kmax entries, results[k-1] is the fit at k */
    double *silhouette;        /* kmax entries, silhouette[k-1]; NAN at k = 1 */
    int knee;                  /* kmeans_knee_focused of the inertia curve, 0 if none */
    double *stability;         /* kmax entries by kmeans_sweep_stability; NULL if not measured */
    double *segment_stability; /* each segment's, kmax (kmax + 1) / 2 entries: k's segments
                                  from k (k - 1) / 2 on (kmeans_segment_stability) */
    int stability_resamples;
} KmeansSweep;

/* The most segments filmseg makes or reads: train's and explore's --k and
 * --kmax and the explorer's form (pipeline.h's TRAINING_LIMITS), the
 * pipeline, the model loader (a sweep past it is refused), the classifier
 * (one output per segment) and the explorer's panes take it from here. */
#define KMEANS_MAX_K 255

/* Fits k = 1..kmax (1 <= kmax <= n) with opts (opts->k ignored), computes the
 * silhouette of every k >= 2 and the knee. Every restart of every k is one
 * job for the threads. Reports once per k, in order of k and one report at a
 * time, from whichever thread finished it: stage STAGE_SWEEP, step k, steps
 * kmax, metric = inertia at k. */
int kmeans_sweep(const float *x, size_t n, size_t d, int kmax, const KmeansOptions *opts,
                 const Progress *progress, KmeansSweep *out);
void kmeans_sweep_free(KmeansSweep *sweep);

/* Stability: how much of a sweep's segmentation at each k comes back when the
 * segmentation is made again from part of the points, as it would be after a
 * refresh of the panel. For each of `resamples` random subsets of the points
 * (kmeans_stability_points of them, drawn from stream KMEANS_STABILITY_STREAM
 * + r of opts->seed), k = 1..kmax are fitted again with opts (their own
 * k-means++ seeds), and the labels at k are compared with the sweep's labels
 * at k on the same points by the adjusted Rand index. Fills
 * sweep->stability[k-1] with the mean over the resamples (1 at k = 1: one
 * segment is always the same), sweep->segment_stability (below) and
 * sweep->stability_resamples. x, n and d must be those the sweep was fitted
 * on. Reports once per resample: stage STAGE_STABILITY, step r, steps
 * resamples. Costs about resamples x 0.8 sweeps (no silhouettes; less from
 * 12,500 points on, where the subsets stop growing). FS_ERROR also when
 * kmax exceeds the points of a subset or resamples is not
 * 1..KMEANS_STABILITY_MAX_RESAMPLES. A cancel returns FS_CANCELLED and keeps
 * the resamples finished, as a call for that many would have made them
 * (sweep->stability_resamples says how many; none: the sweep is left as it
 * was). */
#define KMEANS_STABILITY_SHARE 0.8
#define KMEANS_STABILITY_MAX_POINTS 10000
#define KMEANS_STABILITY_STREAM 0x57ab000ULL
#define KMEANS_STABILITY_MAX_RESAMPLES 100
int kmeans_sweep_stability(const float *x, size_t n, size_t d, const KmeansOptions *opts,
                           int resamples, const Progress *progress, KmeansSweep *sweep);
/* How many of n points each resample keeps: KMEANS_STABILITY_SHARE of them,
 * at most KMEANS_STABILITY_MAX_POINTS (enough to find kmax segments again;
 * a sweep on 80% of a 100,000-user panel would take minutes). */
size_t kmeans_stability_points(size_t n);
/* Each segment's stability, also measured by kmeans_sweep_stability (as
 * Hennig's clusterwise stability): the best Jaccard similarity between the
 * segment's points in a resample and a segment found again there (the share
 * of the two segments' points they have in common), averaged over the
 * resamples. 1: the segment always comes back whole; below about 0.6 it
 * does not really exist. NAN when not measured or out of range (or when the
 * segment had no point in any resample). */
double kmeans_segment_stability(const KmeansSweep *sweep, int k, int segment);
/* The least of k's segments' stabilities (those measured): whether every
 * segment of a k comes back, which the k's own stability (an adjusted Rand
 * index over all its users) can hide. NAN when none was measured. */
double kmeans_weakest_segment_stability(const KmeansSweep *sweep, int k);
/* How Hennig reads a segment's stability, taken as printed to 3 decimals
 * (0.5997 reads as 0.600): 0 not to be trusted (under 0.6), 1 a pattern whose
 * members are doubtful (under 0.75), 2 valid (under 0.85), 3 highly stable;
 * -1 when not measured (NAN). The report and the explorer read it so. */
int kmeans_stability_reading(double stability);
/* The k of the sweep's highest silhouette (2..kmax), 0 when none was
 * measured. */
int kmeans_best_silhouette_k(const KmeansSweep *sweep);
/* How Kaufman and Rousseeuw read a best silhouette: 0 no substantial
 * structure (under 0.25: a continuum divided), 1 a weak one (under 0.5), 2 a
 * clear one. The report and the explorer read it so. */
int kmeans_silhouette_reading(double silhouette);

/* Kneedle knee of a decreasing convex curve inertia[0..kmax-1] (at k = 1..kmax):
 * x and y are normalised to [0, 1], the difference curve (1 - y) - x is
 * formed and the knee is the k where it is largest (the smallest such k on a
 * tie). Returns 0 when there is no knee: kmax < 3, a flat or non-finite curve,
 * or a difference curve that never rises above 0 (a straight line). */
int kmeans_knee(const double *inertia, int kmax);

/* The knee with its range focused, after Salvador and Chan's L-method:
 * Kneedle over k = 1..kmax, then again over 1..max(2 x knee, KNEE_MIN_RANGE)
 * while that range is narrower, until it stops narrowing. Kneedle normalises
 * over the whole range, so a long tail of small gains (structure inside the
 * segments) pulls its knee to the right; focusing removes that pull, and the
 * floor keeps a curve without a clear bend (1/k) from drifting to k = 2. */
#define KNEE_MIN_RANGE 10
int kmeans_knee_focused(const double *inertia, int kmax);

/* Mean silhouette (Euclidean) of labels (n, in [0, k)); a point alone in its
 * cluster scores 0. NAN when k < 2, fewer than 2 clusters are present, or on
 * bad arguments. seed only matters when n > KMEANS_SILHOUETTE_MAX_POINTS. */
double kmeans_silhouette(const float *x, size_t n, size_t d, const int32_t *labels, int k,
                         uint64_t seed);

/* Adjusted Rand index of two labellings of n items (any int32 label values):
 * 1 for identical partitions up to relabelling, about 0 for independent ones.
 * 1 when n < 2 or both are trivially equal (one cluster, all singletons);
 * NAN on NULL arguments or out of memory. */
double kmeans_adjusted_rand(const int32_t *a, const int32_t *b, size_t n);

#endif
