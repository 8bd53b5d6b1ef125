/* test_classifier.c: unit tests of the segment classifier: each layer's
 * gradient and the whole network's against finite differences, learning a
 * planted problem, early stopping, the learning-rate cut on a plateau,
 * determinism, save/restore of the parameter buffer, cancelling, argument
 * checks and memory running out while a row is scored. Set CLASSIFIER_BENCH=1 to also time training
 * at the study's shape. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test_util.h"

#include "filmseg/classifier.h"
#include "filmseg/clock.h"
#include "filmseg/rng.h"

/* ---------------------------------------------------------------- helpers */

static float *uniform_floats(size_t n, double lo, double hi, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * rng_uniform(&rng));
    return x;
}

/* Analytic vs numeric gradient: |a - n| <= abs_tol + rel_tol max(|a|, |n|). */
static void assert_grad_close(const char *what, size_t i, double analytic, double numeric)
{
    double tol = 2e-3 + 2e-2 * fmax(fabs(analytic), fabs(numeric));
    if (fabs(analytic - numeric) > tol)
        fail_msg("%s[%zu]: analytic %.6g, numeric %.6g", what, i, analytic, numeric);
}

/* sum(out .* weights) in double: a scalar objective whose gradient wrt out is weights. */
static double weighted_sum(const float *out, const float *weights, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * weights[i];
    return s;
}

/* Central difference of objective(ctx) over the variable v[i]. */
static double numeric_grad(float *v, size_t i, float h, double (*objective)(const void *ctx),
                           const void *ctx)
{
    float saved = v[i];
    v[i] = saved + h;
    double plus = objective(ctx);
    v[i] = saved - h;
    double minus = objective(ctx);
    v[i] = saved;
    return (plus - minus) / (2.0 * (double)h);
}

/* ---------------------------------------------------------------- layer gradients */

/* Shapes of the linear-layer checks: OC = 5 takes the plain loops, OC = 32
 * with 6 rows the blocked kernels (a 4-row block, 2 rows left over). */
typedef struct {
    size_t B, C, OC;
    const float *inp, *w, *b, *dout;
} LinearCase;

static double linear_objective(const void *ctx)
{
    const LinearCase *t = ctx;
    float *out = malloc(t->B * t->OC * sizeof *out);
    assert_non_null(out);
    clf_linear_forward(out, t->inp, t->w, t->b, t->B, t->C, t->OC);
    double s = weighted_sum(out, t->dout, t->B * t->OC);
    free(out);
    return s;
}

static void check_linear_gradients(size_t B, size_t C, size_t OC, uint64_t seed)
{
    float *inp = uniform_floats(B * C, -1, 1, seed), *w = uniform_floats(C * OC, -1, 1, seed + 1);
    float *b = uniform_floats(OC, -1, 1, seed + 2), *dout = uniform_floats(B * OC, -1, 1, seed + 3);
    inp[1] = 0.0f; /* a zero input is skipped by some paths */
    float *dinp = calloc(B * C, sizeof *dinp), *dw = calloc(C * OC, sizeof *dw);
    float *db = calloc(OC, sizeof *db), *dw2 = malloc(C * OC * sizeof *dw2);
    assert_true(dinp && dw && db && dw2);
    clf_linear_backward(dinp, dw, db, dout, inp, w, B, C, OC);
    const LinearCase t = {B, C, OC, inp, w, b, dout};
    const float h = 1e-2f;
    for (size_t i = 0; i < B * C; i++)
        assert_grad_close("dinp", i, dinp[i], numeric_grad(inp, i, h, linear_objective, &t));
    for (size_t i = 0; i < C * OC; i++)
        assert_grad_close("dw", i, dw[i], numeric_grad(w, i, h, linear_objective, &t));
    for (size_t i = 0; i < OC; i++)
        assert_grad_close("db", i, db[i], numeric_grad(b, i, h, linear_objective, &t));
    /* backward accumulates: a second call doubles every gradient */
    memcpy(dw2, dw, C * OC * sizeof *dw);
    clf_linear_backward(NULL, dw2, db, dout, inp, w, B, C, OC);
    for (size_t i = 0; i < C * OC; i++)
        assert_float_equal(dw2[i], 2 * dw[i], 1e-5);
    free(inp);
    free(w);
    free(b);
    free(dout);
    free(dinp);
    free(dw);
    free(db);
    free(dw2);
}

static void test_linear_gradients(void **state)
{
    (void)state;
    check_linear_gradients(4, 7, 5, 1);
    check_linear_gradients(6, 7, 32, 11);
    check_linear_gradients(9, 3, 48, 21); /* OC = 48: 32 blocked + 16 plain columns in dw */
}

/* A row's outputs and input gradient do not depend on the rows beside it,
 * and a batch's weight gradient is its rows' one after another, to the bit:
 * the blocked, the row-at-a-time and the narrow-output kernels do the same
 * operations in the same order (evaluation and training batches take
 * different kernels). */
static void check_rows_independent(size_t B, size_t C, size_t OC, uint64_t seed)
{
    float *inp = uniform_floats(B * C, -1, 1, seed), *w = uniform_floats(C * OC, -1, 1, seed + 1);
    float *b = uniform_floats(OC, -1, 1, seed + 2), *dout = uniform_floats(B * OC, -1, 1, seed + 3);
    for (size_t i = 0; i < B * C; i += 3)
        inp[i] = 0.0f; /* as after a ReLU */
    float *out = malloc(B * OC * sizeof *out), *one = malloc(OC * sizeof *one);
    float *dinp = calloc(B * C, sizeof *dinp), *dinp1 = calloc(C, sizeof *dinp1);
    float *dw = calloc(C * OC, sizeof *dw), *dw1 = calloc(C * OC, sizeof *dw1);
    float *db = calloc(OC, sizeof *db), *db1 = calloc(OC, sizeof *db1);
    assert_true(out && one && dinp && dinp1 && dw && dw1 && db && db1);
    clf_linear_forward(out, inp, w, b, B, C, OC);
    clf_linear_backward(dinp, dw, db, dout, inp, w, B, C, OC);
    for (size_t r = 0; r < B; r++) {
        clf_linear_forward(one, inp + r * C, w, b, 1, C, OC);
        assert_memory_equal(one, out + r * OC, OC * sizeof *one);
        memset(dinp1, 0, C * sizeof *dinp1);
        clf_linear_backward(dinp1, dw1, db1, dout + r * OC, inp + r * C, w, 1, C, OC);
        assert_memory_equal(dinp1, dinp + r * C, C * sizeof *dinp1);
    }
    assert_memory_equal(dw1, dw, C * OC * sizeof *dw);
    assert_memory_equal(db1, db, OC * sizeof *db);
    /* nor on the input's place: weights rotated by three rows move the first
     * inputs' gradients to the last places (taken one at a time) */
    float *w_rot = malloc(C * OC * sizeof *w_rot), *dinp_rot = calloc(B * C, sizeof *dinp_rot);
    assert_true(w_rot && dinp_rot);
    for (size_t i = 0; i < C; i++)
        memcpy(w_rot + i * OC, w + (i + 3) % C * OC, OC * sizeof *w);
    clf_linear_backward(dinp_rot, dw1, db1, dout, inp, w_rot, B, C, OC);
    for (size_t r = 0; r < B; r++)
        for (size_t i = 0; i < C; i++)
            assert_memory_equal(&dinp_rot[r * C + i], &dinp[r * C + (i + 3) % C], sizeof *dinp);
    free(w_rot);
    free(dinp_rot);
    free(inp);
    free(w);
    free(b);
    free(dout);
    free(out);
    free(one);
    free(dinp);
    free(dinp1);
    free(dw);
    free(dw1);
    free(db);
    free(db1);
}

static void test_linear_rows_independent(void **state)
{
    (void)state;
    /* 67 inputs: 64 eight at a time, 3 one at a time */
    check_rows_independent(10, 67, 5, 31);  /* the output layer: k < 8 */
    check_rows_independent(10, 67, 12, 41); /* 8 fused lanes and a tail of 4 */
    check_rows_independent(10, 67, 64, 51); /* the hidden layer */
    check_rows_independent(7, 19, 40, 61);  /* 32 blocked columns and 8 more */
}

/* The sparse first layer's outputs equal the dense layer's exactly at the
 * widths its vector kernels take (rows of unequal lengths, one empty, an odd
 * number of rows, repeated). */
static void check_sparse_forward_exact(size_t OC, uint64_t seed)
{
    enum { N = 7, C = 40 };
    float *x = uniform_floats(N * C, -1, 1, seed), *w = uniform_floats(C * OC, -1, 1, seed + 1);
    float *b = uniform_floats(OC, -1, 1, seed + 2);
    size_t row_start[N + 1], e = 0;
    uint32_t col[N * C];
    float value[N * C];
    for (size_t r = 0; r < N; r++) {
        row_start[r] = e;
        for (size_t j = 0; j < C; j++) {
            if (r == 3 || (j * 7 + r * 3) % (r + 2) != 0)
                x[r * C + j] = 0.0f; /* row 3 empty, the others thinned unequally */
            if (x[r * C + j] != 0.0f) {
                col[e] = (uint32_t)j;
                value[e++] = x[r * C + j];
            }
        }
    }
    row_start[N] = e;
    const uint32_t rows[5] = {6, 3, 0, 6, 1};
    float *dense = malloc(5 * OC * sizeof *dense), *sparse = malloc(5 * OC * sizeof *sparse);
    float xb[5 * C];
    assert_true(dense && sparse);
    for (size_t r = 0; r < 5; r++)
        memcpy(xb + r * C, x + rows[r] * C, C * sizeof *xb);
    clf_linear_forward(dense, xb, w, b, 5, C, OC);
    clf_sparse_linear_forward(sparse, row_start, col, value, rows, 5, w, b, OC);
    for (size_t i = 0; i < 5 * OC; i++)
        assert_true(sparse[i] == dense[i]);
    free(x);
    free(w);
    free(b);
    free(dense);
    free(sparse);
}

static void test_sparse_forward_exact(void **state)
{
    (void)state;
    check_sparse_forward_exact(64, 71);
    check_sparse_forward_exact(48, 81);
    check_sparse_forward_exact(16, 91);
}

enum { GB = 4, GC = 7, GOC = 5 };

/* The sparse first layer equals the dense one on a matrix with many zeros,
 * forward and backward, with a row list that repeats and reorders rows. */
static void test_sparse_linear_matches_dense(void **state)
{
    (void)state;
    enum { N = 6 };
    float *x = uniform_floats(N * GC, -1, 1, 5), *w = uniform_floats(GC * GOC, -1, 1, 6);
    float *b = uniform_floats(GOC, -1, 1, 7), *dout = uniform_floats(GB * GOC, -1, 1, 8);
    for (size_t i = 0; i < N * GC; i++)
        if (i % 3 != 0)
            x[i] = 0.0f;
    size_t row_start[N + 1], e = 0;
    uint32_t col[N * GC];
    float value[N * GC];
    for (size_t r = 0; r < N; r++) {
        row_start[r] = e;
        for (size_t j = 0; j < GC; j++)
            if (x[r * GC + j] != 0.0f) {
                col[e] = (uint32_t)j;
                value[e++] = x[r * GC + j];
            }
    }
    row_start[N] = e;
    const uint32_t rows[GB] = {4, 1, 4, 0};
    float xb[GB * GC];
    for (size_t r = 0; r < GB; r++)
        memcpy(xb + r * GC, x + rows[r] * GC, GC * sizeof *xb);
    float dense_out[GB * GOC], sparse_out[GB * GOC];
    clf_linear_forward(dense_out, xb, w, b, GB, GC, GOC);
    clf_sparse_linear_forward(sparse_out, row_start, col, value, rows, GB, w, b, GOC);
    for (size_t i = 0; i < GB * GOC; i++)
        assert_float_equal(sparse_out[i], dense_out[i], 1e-5);
    float dense_dw[GC * GOC] = {0}, dense_db[GOC] = {0};
    float sparse_dw[GC * GOC] = {0}, sparse_db[GOC] = {0};
    clf_linear_backward(NULL, dense_dw, dense_db, dout, xb, w, GB, GC, GOC);
    clf_sparse_linear_backward(sparse_dw, sparse_db, dout, row_start, col, value, rows, GB, GOC);
    for (size_t i = 0; i < GC * GOC; i++)
        assert_float_equal(sparse_dw[i], dense_dw[i], 1e-5);
    for (size_t i = 0; i < GOC; i++)
        assert_float_equal(sparse_db[i], dense_db[i], 1e-5);
    free(x);
    free(w);
    free(b);
    free(dout);
}

enum { RELU_N = 40 };

typedef struct {
    const float *inp, *dout;
} ReluCase;

static double relu_objective(const void *ctx)
{
    const ReluCase *t = ctx;
    float out[RELU_N];
    clf_relu_forward(out, t->inp, RELU_N);
    return weighted_sum(out, t->dout, RELU_N);
}

static void test_relu_gradients(void **state)
{
    (void)state;
    enum { N = RELU_N };
    float *inp = uniform_floats(N, -1, 1, 9), *dout = uniform_floats(N, -1, 1, 10);
    for (size_t i = 0; i < N; i++) /* keep clear of the kink at 0 */
        if (fabsf(inp[i]) < 0.05f)
            inp[i] = 0.5f;
    float out[N], dinp[N];
    for (size_t i = 0; i < N; i++)
        dinp[i] = 0.25f; /* backward accumulates onto this */
    clf_relu_forward(out, inp, N);
    clf_relu_backward(dinp, out, dout, N);
    const ReluCase t = {inp, dout};
    for (size_t i = 0; i < N; i++) {
        assert_true(out[i] >= 0.0f);
        assert_grad_close("dinp", i, dinp[i] - 0.25f,
                          numeric_grad(inp, i, 1e-2f, relu_objective, &t));
    }
    free(inp);
    free(dout);
}

enum { XB = 5, XK = 4 };

typedef struct {
    const float *logits;
    const int32_t *labels;
} XentCase;

static double xent_objective(const void *ctx)
{
    const XentCase *t = ctx;
    float probs[XB * XK];
    return clf_softmax_xent_forward(probs, t->logits, t->labels, XB, XK, NULL) / XB;
}

static void test_softmax_xent_gradients(void **state)
{
    (void)state;
    enum { B = XB, K = XK };
    float *logits = uniform_floats(B * K, -3, 3, 11);
    const int32_t labels[B] = {0, 3, 1, 1, 2};
    float probs[B * K], dlogits[B * K] = {0};
    double loss = clf_softmax_xent_forward(probs, logits, labels, B, K, NULL);
    double by_hand = 0.0;
    for (size_t r = 0; r < B; r++) {
        double sum = 0.0, row = 0.0;
        for (size_t j = 0; j < K; j++) {
            sum += exp(logits[r * K + j]);
            row += probs[r * K + j];
        }
        assert_float_equal(row, 1.0, 1e-6);
        by_hand += log(sum) - logits[r * K + (size_t)labels[r]];
    }
    assert_float_equal(loss, by_hand, 1e-6 * by_hand);
    clf_softmax_xent_backward(dlogits, probs, labels, B, K, 1.0f / B);
    const XentCase t = {logits, labels};
    for (size_t i = 0; i < B * K; i++)
        assert_grad_close("dlogits", i, dlogits[i],
                          numeric_grad(logits, i, 1e-2f, xent_objective, &t));
    /* huge logits stay finite */
    float big[K] = {1000.0f, -1000.0f, 999.0f, 0.0f}, p[K];
    const int32_t y = 1;
    assert_true(isfinite(clf_softmax_xent_forward(p, big, &y, 1, K, NULL)));
    assert_true(isfinite(p[0]) && p[1] == 0.0f);
    free(logits);
}

typedef struct {
    const float *p;
    size_t n;
    float l1, l2;
} PenaltyCase;

static double penalty_objective(const void *ctx)
{
    const PenaltyCase *t = ctx;
    return clf_penalty_forward(t->p, t->n, t->l1, t->l2);
}

static void test_penalty_gradients(void **state)
{
    (void)state;
    enum { N = 30 };
    const float l1 = 0.3f, l2 = 0.7f; /* large, so a wrong factor shows */
    float *p = uniform_floats(N, -1, 1, 12), grads[N];
    for (size_t i = 0; i < N; i++)
        if (fabsf(p[i]) < 0.05f)
            p[i] = -0.5f;
    clf_penalty_backward(grads, p, N, l1, l2);
    const PenaltyCase t = {p, N, l1, l2};
    for (size_t i = 0; i < N; i++)
        assert_grad_close("dpenalty", i, grads[i],
                          numeric_grad(p, i, 1e-2f, penalty_objective, &t));
    double by_hand = 0.0;
    for (size_t i = 0; i < N; i++)
        by_hand += l1 * fabs(p[i]) + l2 * (double)p[i] * p[i];
    assert_float_equal(clf_penalty_forward(p, N, l1, l2), by_hand, 1e-9);
    /* sign(0) = 0, as torch */
    float zero = 0.0f, g = 99.0f;
    clf_penalty_backward(&g, &zero, 1, l1, l2);
    assert_true(g == 0.0f);
    free(p);
}

typedef struct {
    const Classifier *c;
    const float *x;
    size_t B;
    const int32_t *labels;
    const ClassifierOptions *opt;
} NetworkCase;

static double network_objective(const void *ctx)
{
    const NetworkCase *t = ctx;
    return classifier_loss_and_grad(t->c, t->x, t->B, t->labels, t->opt, NULL);
}

/* The whole network: classifier_loss_and_grad (the wiring the training step
 * uses) against finite differences on every parameter. */
static void test_network_gradients(void **state)
{
    (void)state;
    enum { B = 6, N_IN = 5, K = 3 };
    Classifier c;
    assert_int_equal(classifier_init(&c, N_IN, K, 32, 16, 42), FS_OK); /* blocked kernels */
    float *x = uniform_floats(B * N_IN, -2, 2, 13);
    const int32_t labels[B] = {0, 1, 2, 2, 1, 0};
    ClassifierOptions opt;
    classifier_options_default(&opt);
    opt.l1 = 0.01f;
    opt.l2 = 0.02f;
    float *grads = malloc(c.n_params * sizeof *grads);
    assert_non_null(grads);
    double loss = classifier_loss_and_grad(&c, x, B, labels, &opt, grads);
    assert_true(isfinite(loss) && loss > 0);
    const NetworkCase t = {&c, x, B, labels, &opt};
    for (size_t i = 0; i < c.n_params; i++) {
        if (fabsf(c.params[i]) < 2e-3f)
            continue; /* the L1 kink */
        assert_grad_close("dparams", i, grads[i],
                          numeric_grad(c.params, i, 1e-3f, network_objective, &t));
    }
    free(grads);
    free(x);
    classifier_free(&c);
}

/* ---------------------------------------------------------------- training */

/* n rows around `clusters` centres in d dimensions (centres N(0, spread^2),
 * unit noise); row i belongs to i % clusters. */
static float *planted_blobs(size_t n, size_t d, int clusters, double spread, uint64_t seed,
                            int32_t **labels)
{
    Rng rng;
    rng_seed(&rng, seed);
    double *centres = malloc((size_t)clusters * d * sizeof *centres);
    float *x = malloc(n * d * sizeof *x);
    *labels = malloc(n * sizeof **labels);
    assert_non_null(centres);
    assert_non_null(x);
    assert_non_null(*labels);
    for (size_t i = 0; i < (size_t)clusters * d; i++)
        centres[i] = spread * rng_normal(&rng);
    for (size_t i = 0; i < n; i++) {
        int s = (int)(i % (size_t)clusters);
        (*labels)[i] = s;
        for (size_t t = 0; t < d; t++)
            x[i * d + t] = (float)(centres[(size_t)s * d + t] + rng_normal(&rng));
    }
    free(centres);
    return x;
}

/* Labels with no relation to the rows: the validation loss soon rises. */
static int32_t *random_labels(size_t n, int k, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    int32_t *y = malloc(n * sizeof *y);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++)
        y[i] = (int32_t)rng_below(&rng, (uint64_t)k);
    return y;
}

typedef struct {
    int events;
    int last_step;
    ProgressEvent log[64];
    int cancel_at; /* set the cancel flag at this step (0: never) */
    atomic_int cancel;
} Recorder;

static void record(void *ctx, const ProgressEvent *ev)
{
    Recorder *r = ctx;
    if (r->events < 64)
        r->log[r->events] = *ev;
    r->events++;
    r->last_step = ev->step;
    if (r->cancel_at && ev->step >= r->cancel_at)
        atomic_store(&r->cancel, 1);
}

static void test_learns_planted_blobs(void **state)
{
    (void)state;
    enum { N = 300, D = 20, K = 3 };
    int32_t *labels;
    float *x = planted_blobs(N, D, K, 1.5, 7, &labels);
    ClassifierOptions opt;
    classifier_options_default(&opt);
    opt.seed = 3;
    Recorder rec = {0};
    atomic_init(&rec.cancel, 0);
    Progress progress = {record, &rec, &rec.cancel};
    Classifier c;
    ClassifierReport rep;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, &progress, &rep), FS_OK);
    assert_true(rep.val_accuracy >= 0.95);
    assert_int_equal(rep.n_train + rep.n_val, N);
    assert_int_equal(rep.n_val, 90); /* 30% of each 100-row segment */
    int total = 0, diagonal = 0;
    for (int t = 0; t < K; t++)
        for (int p = 0; p < K; p++) {
            total += rep.confusion[t * K + p];
            diagonal += t == p ? rep.confusion[t * K + p] : 0;
        }
    assert_int_equal(total, (int)rep.n_val);
    assert_float_equal((double)diagonal / total, rep.val_accuracy, 1e-12);
    /* the confusion matrix and accuracy are those of the kept weights */
    float *xv = malloc(rep.n_val * D * sizeof *xv);
    int32_t *yv = malloc(rep.n_val * sizeof *yv);
    assert_non_null(xv);
    assert_non_null(yv);
    for (size_t i = 0; i < rep.n_val; i++) {
        memcpy(xv + i * D, x + (size_t)rep.val_rows[i] * D, D * sizeof *xv);
        yv[i] = labels[rep.val_rows[i]];
    }
    double loss, acc;
    int confusion[K * K];
    assert_int_equal(classifier_evaluate(&c, xv, rep.n_val, yv, &loss, &acc, confusion), FS_OK);
    assert_float_equal(acc, rep.val_accuracy, 1e-12);
    assert_memory_equal(confusion, rep.confusion, sizeof confusion);
    /* one progress event per epoch, carrying the history */
    assert_int_equal(rec.events, rep.epochs_run);
    for (int e = 0; e < rep.epochs_run && e < 64; e++) {
        assert_int_equal(rec.log[e].stage, STAGE_CLASSIFIER);
        assert_int_equal(rec.log[e].step, e + 1);
        assert_int_equal(rec.log[e].steps, opt.epochs);
        assert_true(rec.log[e].loss == rep.train_loss[e]);
        assert_true(rec.log[e].val_loss == rep.val_loss[e]);
        assert_true(rec.log[e].metric == rep.train_acc[e]);
        assert_true(rec.log[e].val_metric == rep.val_acc[e]);
    }
    /* training lowers the loss */
    assert_true(rep.train_loss[rep.epochs_run - 1] < 0.5 * rep.train_loss[0]);
    /* predictions: single rows, the batch form and probabilities agree */
    int32_t *pred = malloc(N * sizeof *pred);
    float *proba = malloc(N * K * sizeof *proba);
    assert_non_null(pred);
    assert_non_null(proba);
    assert_int_equal(classifier_predict_batch(&c, x, N, pred, proba), FS_OK);
    int right = 0;
    for (size_t i = 0; i < N; i++) {
        float p[K];
        /* one call gives the probabilities and their segment */
        assert_int_equal(classifier_predict_proba(&c, x + i * D, p), pred[i]);
        assert_int_equal(classifier_predict(&c, x + i * D), pred[i]);
        float sum = 0;
        for (int j = 0; j < K; j++) {
            assert_float_equal(p[j], proba[i * K + j], 1e-5);
            sum += p[j];
        }
        assert_float_equal(sum, 1.0, 1e-5);
        right += pred[i] == labels[i];
    }
    assert_true(right >= (int)(0.95 * N));
    free(pred);
    free(proba);
    free(xv);
    free(yv);
    classifier_report_free(&rep);
    classifier_free(&c);
    free(x);
    free(labels);
}

/* Sparse rows (mostly zeros, like ratings) take the CSR path: it must learn too. */
static void test_learns_sparse_rows(void **state)
{
    (void)state;
    enum { N = 240, D = 200, K = 4 };
    Rng rng;
    rng_seed(&rng, 21);
    float *x = calloc(N * D, sizeof *x);
    int32_t *labels = malloc(N * sizeof *labels);
    assert_non_null(x);
    assert_non_null(labels);
    for (size_t i = 0; i < N; i++) {
        int s = (int)(i % K);
        labels[i] = s;
        for (int e = 0; e < 12; e++) { /* 12 nonzeros, mostly from the segment's 30 columns */
            size_t j =
                rng_uniform(&rng) < 0.8 ? (size_t)s * 30 + rng_below(&rng, 30) : rng_below(&rng, D);
            x[i * D + j] = (float)(0.2 + 0.8 * rng_uniform(&rng));
        }
        x[i * D + D - 1] = 0.0f; /* an input no row has */
    }
    ClassifierOptions opt;
    classifier_options_default(&opt);
    Classifier c;
    ClassifierReport rep;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_OK);
    assert_true(rep.val_accuracy >= 0.9);
    /* lazy first layer: the row of the input no row has never moved (dense
     * Adam would have pulled it towards 0 with the penalties), the others did */
    Classifier fresh;
    assert_int_equal(classifier_init(&fresh, D, K, opt.hidden1, opt.hidden2, opt.seed), FS_OK);
    size_t h1 = (size_t)opt.hidden1;
    assert_memory_equal(c.w1 + (D - 1) * h1, fresh.w1 + (D - 1) * h1, h1 * sizeof(float));
    assert_memory_not_equal(c.w1, fresh.w1, h1 * sizeof(float));
    classifier_free(&fresh);
    /* the training-time validation loss (sparse path) equals the dense path's */
    float *xv = malloc(rep.n_val * D * sizeof *xv);
    int32_t *yv = malloc(rep.n_val * sizeof *yv);
    assert_non_null(xv);
    assert_non_null(yv);
    for (size_t i = 0; i < rep.n_val; i++) {
        memcpy(xv + i * D, x + (size_t)rep.val_rows[i] * D, D * sizeof *xv);
        yv[i] = labels[rep.val_rows[i]];
    }
    double loss, acc;
    assert_int_equal(classifier_evaluate(&c, xv, rep.n_val, yv, &loss, &acc, NULL), FS_OK);
    assert_float_equal(loss, rep.val_loss[rep.best_epoch - 1], 1e-5);
    /* the same rows given in CSR form train the very same network */
    size_t *row_start = malloc((N + 1) * sizeof *row_start), nnz = 0;
    uint32_t *col = malloc(N * D * sizeof *col);
    float *value = malloc(N * D * sizeof *value);
    assert_true(row_start && col && value);
    for (size_t i = 0; i < N; i++) {
        row_start[i] = nnz;
        for (size_t j = 0; j < D; j++)
            if (x[i * D + j] != 0.0f)
                col[nnz] = (uint32_t)j, value[nnz++] = x[i * D + j];
    }
    row_start[N] = nnz;
    Classifier csr;
    assert_int_equal(
        classifier_train_csr(&csr, row_start, col, value, N, D, labels, K, &opt, NULL, NULL),
        FS_OK);
    assert_memory_equal(csr.params, c.params, c.n_params * sizeof(float));
    classifier_free(&csr);
    /* the first layer step by step (penalty, backward, Adam per row) gives
     * the fused step's very bits, also for first layers that end in 3
     * chunks of 16 (48), or 4 then 1 (80) */
    for (int h = 48; h <= 80; h += 16) {
        Classifier fused;
        ClassifierOptions wide = opt;
        wide.hidden1 = h;
        assert_int_equal(
            classifier_train_csr(&fused, row_start, col, value, N, D, labels, K, &wide, NULL, NULL),
            FS_OK);
        wide.portable = true;
        assert_int_equal(
            classifier_train_csr(&csr, row_start, col, value, N, D, labels, K, &wide, NULL, NULL),
            FS_OK);
        assert_memory_equal(csr.params, fused.params, fused.n_params * sizeof(float));
        classifier_free(&csr);
        classifier_free(&fused);
    }
    col[0] = D; /* a column out of range is refused */
    assert_int_equal(
        classifier_train_csr(&csr, row_start, col, value, N, D, labels, K, &opt, NULL, NULL),
        FS_ERROR);
    free(row_start);
    free(col);
    free(value);
    free(xv);
    free(yv);
    classifier_report_free(&rep);
    classifier_free(&c);
    free(x);
    free(labels);
}

static void test_early_stop_restores_best(void **state)
{
    (void)state;
    enum { N = 200, D = 30, K = 3 };
    float *x = uniform_floats(N * D, -1, 1, 31);
    int32_t *labels = random_labels(N, K, 32);
    ClassifierOptions opt;
    classifier_options_default(&opt);
    opt.stop_patience = 4;
    opt.lr = 1e-2f; /* overfit fast */
    Classifier c;
    ClassifierReport rep;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_OK);
    assert_true(rep.epochs_run < opt.epochs);
    assert_int_equal(rep.epochs_run, rep.best_epoch + opt.stop_patience);
    int argmin = 0;
    for (int e = 1; e < rep.epochs_run; e++)
        if (rep.val_loss[e] < rep.val_loss[argmin])
            argmin = e;
    assert_int_equal(rep.best_epoch, argmin + 1);
    double best = rep.val_loss[rep.best_epoch - 1], last = rep.val_loss[rep.epochs_run - 1];
    assert_true(last - best > 1e-3); /* so that keeping the last weights would show */
    float *xv = malloc(rep.n_val * D * sizeof *xv);
    int32_t *yv = malloc(rep.n_val * sizeof *yv);
    assert_non_null(xv);
    assert_non_null(yv);
    for (size_t i = 0; i < rep.n_val; i++) {
        memcpy(xv + i * D, x + (size_t)rep.val_rows[i] * D, D * sizeof *xv);
        yv[i] = labels[rep.val_rows[i]];
    }
    double loss, acc;
    assert_int_equal(classifier_evaluate(&c, xv, rep.n_val, yv, &loss, &acc, NULL), FS_OK);
    assert_float_equal(loss, best, 1e-6);
    assert_float_equal(acc, rep.val_acc[rep.best_epoch - 1], 1e-12);
    assert_float_equal(acc, rep.val_accuracy, 1e-12);
    free(xv);
    free(yv);
    classifier_report_free(&rep);
    classifier_free(&c);
    free(x);
    free(labels);
}

/* PyTorch's ReduceLROnPlateau on a scripted loss sequence (patience 2). */
static void test_lr_plateau_rule(void **state)
{
    (void)state;
    LrPlateau p;
    lr_plateau_init(&p, 1e-3, 2);
    const double losses[] = {1.0,  0.9,  0.9, 0.95, 0.89995, /* 3 not better (threshold): cut */
                             0.95, 0.95, 0.5,                /* better: count restarts */
                             0.6,  0.6,  0.6};               /* 3 more: cut again */
    const bool cut[] = {false, false, false, false, true, false, false, false, false, false, true};
    for (size_t i = 0; i < sizeof losses / sizeof *losses; i++)
        if (lr_plateau_step(&p, losses[i]) != cut[i])
            fail_msg("epoch %zu: cut should be %d", i + 1, cut[i]);
    assert_float_equal(p.lr, 1e-5, 1e-12);
    /* no cut below PyTorch's eps: 1e-8 -> 1e-9 changes by less than 1e-8 */
    lr_plateau_init(&p, 1e-8, 0);
    assert_false(lr_plateau_step(&p, 1.0)); /* better */
    assert_false(lr_plateau_step(&p, 1.0)); /* would cut, too small a change */
    assert_float_equal(p.lr, 1e-8, 1e-20);
    /* NaN is never an improvement */
    lr_plateau_init(&p, 1.0, 0);
    assert_false(lr_plateau_step(&p, 1.0));
    assert_true(lr_plateau_step(&p, NAN));
}

/* In training, the per-epoch learning rate follows the rule on the recorded
 * validation losses, and a plateau does cut it. */
static void test_lr_cut_after_plateau(void **state)
{
    (void)state;
    enum { N = 150, D = 20, K = 3 };
    float *x = uniform_floats(N * D, -1, 1, 41);
    int32_t *labels = random_labels(N, K, 42);
    ClassifierOptions opt;
    classifier_options_default(&opt);
    opt.epochs = 25;
    opt.stop_patience = 0; /* never stop: see the cuts */
    opt.plateau_patience = 2;
    opt.lr = 1e-2f;
    Classifier c;
    ClassifierReport rep;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_OK);
    assert_int_equal(rep.epochs_run, opt.epochs);
    LrPlateau p;
    lr_plateau_init(&p, opt.lr, opt.plateau_patience);
    int cuts = 0;
    for (int e = 0; e < rep.epochs_run; e++) {
        assert_float_equal(rep.lr[e], (float)p.lr, 1e-12);
        cuts += lr_plateau_step(&p, rep.val_loss[e]);
    }
    assert_true(cuts >= 1);
    assert_float_equal(rep.lr[0], 1e-2f, 1e-12);
    assert_true(rep.lr[rep.epochs_run - 1] < 1e-2f * 0.5);
    /* the optimiser does use the cut rate: a run that never cuts has the same
     * history up to the first cut and another one from there on */
    int first_cut = 0;
    while (rep.lr[first_cut] == rep.lr[0])
        first_cut++;
    opt.plateau_patience = 1000;
    Classifier uncut;
    ClassifierReport rep_uncut;
    assert_int_equal(classifier_train(&uncut, x, N, D, labels, K, &opt, NULL, &rep_uncut), FS_OK);
    assert_memory_equal(rep.val_loss, rep_uncut.val_loss, (size_t)first_cut * sizeof(double));
    assert_true(rep.val_loss[first_cut] != rep_uncut.val_loss[first_cut]);
    classifier_report_free(&rep_uncut);
    classifier_free(&uncut);
    classifier_report_free(&rep);
    classifier_free(&c);
    free(x);
    free(labels);
}

static void test_same_seed_same_model(void **state)
{
    (void)state;
    enum { N = 120, D = 15, K = 3 };
    int32_t *labels;
    float *x = planted_blobs(N, D, K, 0.7, 51, &labels);
    ClassifierOptions opt;
    classifier_options_default(&opt);
    opt.epochs = 8;
    opt.seed = 99;
    Classifier a, b, other;
    ClassifierReport ra, rb, rother;
    assert_int_equal(classifier_train(&a, x, N, D, labels, K, &opt, NULL, &ra), FS_OK);
    assert_int_equal(classifier_train(&b, x, N, D, labels, K, &opt, NULL, &rb), FS_OK);
    assert_int_equal(a.n_params, b.n_params);
    assert_memory_equal(a.params, b.params, a.n_params * sizeof *a.params);
    assert_int_equal(ra.epochs_run, rb.epochs_run);
    size_t e = (size_t)ra.epochs_run;
    assert_memory_equal(ra.train_loss, rb.train_loss, e * sizeof(double));
    assert_memory_equal(ra.val_loss, rb.val_loss, e * sizeof(double));
    assert_memory_equal(ra.train_acc, rb.train_acc, e * sizeof(double));
    assert_memory_equal(ra.val_rows, rb.val_rows, ra.n_val * sizeof *ra.val_rows);
    /* another seed: another model */
    opt.seed = 100;
    assert_int_equal(classifier_train(&other, x, N, D, labels, K, &opt, NULL, &rother), FS_OK);
    assert_memory_not_equal(a.params, other.params, a.n_params * sizeof *a.params);
    classifier_report_free(&ra);
    classifier_report_free(&rb);
    classifier_report_free(&rother);
    classifier_free(&a);
    classifier_free(&b);
    classifier_free(&other);
    free(x);
    free(labels);
}

/* A network rebuilt from the exposed buffer predicts exactly as the original. */
static void test_restore_from_params(void **state)
{
    (void)state;
    enum { D = 9, K = 4 };
    Classifier c, copy, bad;
    assert_int_equal(classifier_init(&c, D, K, 8, 6, 5), FS_OK);
    assert_int_equal(c.n_params, classifier_n_params(D, K, 8, 6));
    assert_int_equal(c.n_params, D * 8 + 8 + 8 * 6 + 6 + 6 * K + K);
    assert_true(c.b3 + K == c.params + c.n_params);
    /* torch.nn.Linear's bounds */
    for (size_t i = 0; i < D * 8; i++)
        assert_true(fabsf(c.w1[i]) <= 1.0f / sqrtf(D));
    for (size_t i = 0; i < 6 * K + K; i++)
        assert_true(fabsf(c.w3[i]) <= 1.0f / sqrtf(6));
    assert_int_equal(classifier_init_from(&copy, D, K, 8, 6, c.params, c.n_params), FS_OK);
    assert_int_equal(classifier_init_from(&bad, D, K, 8, 6, c.params, c.n_params - 1), FS_ERROR);
    assert_null(bad.params);
    float *rows = uniform_floats(5 * D, -1, 1, 61);
    for (int r = 0; r < 5; r++) {
        float pa[K], pb[K];
        classifier_predict_proba(&c, rows + r * D, pa);
        classifier_predict_proba(&copy, rows + r * D, pb);
        assert_memory_equal(pa, pb, sizeof pa);
    }
    free(rows);
    classifier_free(&c);
    classifier_free(&copy);
}

static void test_cancel(void **state)
{
    (void)state;
    enum { N = 100, D = 10, K = 2 };
    int32_t *labels;
    float *x = planted_blobs(N, D, K, 0.5, 71, &labels);
    Recorder rec = {0};
    rec.cancel_at = 2;
    atomic_init(&rec.cancel, 0);
    Progress progress = {record, &rec, &rec.cancel};
    Classifier c;
    ClassifierReport rep;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, NULL, &progress, &rep), FS_CANCELLED);
    assert_int_equal(rec.events, 2);
    assert_null(c.params);
    assert_null(rep.train_loss);
    /* cancelled before starting */
    Recorder early = {0};
    atomic_init(&early.cancel, 1);
    Progress stopped = {record, &early, &early.cancel};
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, NULL, &stopped, &rep), FS_CANCELLED);
    assert_int_equal(early.events, 0);
    /* cancelled in the last epoch: no loop turn is left to see it, and the
     * run is cancelled all the same (the explorer kept such a run) */
    ClassifierOptions two;
    classifier_options_default(&two);
    two.epochs = 2;
    Recorder last = {0};
    last.cancel_at = 2;
    atomic_init(&last.cancel, 0);
    Progress at_end = {record, &last, &last.cancel};
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &two, &at_end, &rep), FS_CANCELLED);
    assert_int_equal(last.events, 2);
    assert_null(c.params);
    free(x);
    free(labels);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    enum { N = 40, D = 5, K = 3 };
    int32_t *labels;
    float *x = planted_blobs(N, D, K, 1.0, 81, &labels);
    ClassifierOptions opt;
    classifier_options_default(&opt);
    Classifier c;
    ClassifierReport rep;
    assert_int_equal(classifier_train(NULL, x, N, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    assert_int_equal(classifier_train(&c, NULL, N, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    assert_int_equal(classifier_train(&c, x, N, D, NULL, K, &opt, NULL, &rep), FS_ERROR);
    assert_int_equal(classifier_train(&c, x, N, D, labels, 1, &opt, NULL, &rep), FS_ERROR);
    assert_int_equal(classifier_train(&c, x, 1, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    assert_int_equal(classifier_train(&c, x, 0, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    assert_int_equal(classifier_train(&c, x, N, 0, labels, K, &opt, NULL, &rep), FS_ERROR);
    /* three rows of three segments: nothing left to validate on */
    assert_int_equal(classifier_train(&c, x, 3, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    labels[7] = K; /* out of range */
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    labels[7] = -1;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    labels[7] = 1;
    x[11] = NAN;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_ERROR);
    x[11] = 0.0f;
    ClassifierOptions o = opt;
    o.batch = 0;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &o, NULL, &rep), FS_ERROR);
    o = opt;
    o.val_share = 1.0;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &o, NULL, &rep), FS_ERROR);
    o = opt;
    o.lr = NAN;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &o, NULL, &rep), FS_ERROR);
    o = opt;
    o.hidden1 = 0;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &o, NULL, &rep), FS_ERROR);
    o = opt;
    o.epochs = 0;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &o, NULL, &rep), FS_ERROR);
    assert_null(c.params);
    assert_null(rep.confusion);
    /* the rest of the surface */
    assert_int_equal(classifier_init(&c, D, 1, 4, 4, 0), FS_ERROR);
    assert_int_equal(classifier_init(&c, 0, K, 4, 4, 0), FS_ERROR);
    assert_int_equal(classifier_init(NULL, D, K, 4, 4, 0), FS_ERROR);
    assert_int_equal(classifier_init_from(&c, D, K, 4, 4, NULL, 10), FS_ERROR);
    assert_int_equal(classifier_n_params(D, K, 0, 4), 0);
    assert_int_equal(classifier_n_params(SIZE_MAX / 2, K, 64, 64), 0);
    assert_int_equal(classifier_predict(NULL, x), -1);
    int32_t seg[N];
    double loss, acc;
    assert_int_equal(classifier_predict_batch(NULL, x, N, seg, NULL), FS_ERROR);
    assert_int_equal(classifier_init(&c, D, K, 4, 4, 0), FS_OK);
    assert_int_equal(classifier_predict(&c, NULL), -1);
    assert_int_equal(classifier_predict_batch(&c, NULL, N, seg, NULL), FS_ERROR);
    assert_int_equal(classifier_evaluate(&c, x, N, NULL, &loss, &acc, NULL), FS_ERROR);
    labels[0] = K;
    assert_int_equal(classifier_evaluate(&c, x, N, labels, &loss, &acc, NULL), FS_ERROR);
    assert_true(isnan(classifier_loss_and_grad(&c, x, 2, labels, &opt, NULL)));
    assert_int_equal(classifier_predict_proba(&c, NULL, NULL), -1); /* no crash */
    float p[K];
    assert_int_equal(classifier_predict_proba(NULL, x, p), -1);
    classifier_free(&c);
    classifier_free(NULL);
    classifier_report_free(NULL);
    free(x);
    free(labels);
}

/* A hand-made network that always says segment 0 with logits (1, 0): the
 * confusion matrix puts each true segment on its row, the loss is known. */
static void test_evaluate_known_network(void **state)
{
    (void)state;
    enum { D = 3, K = 2, N = 5 };
    Classifier c;
    assert_int_equal(classifier_init(&c, D, K, 4, 4, 1), FS_OK);
    memset(c.params, 0, c.n_params * sizeof *c.params);
    c.b3[0] = 1.0f;
    float *x = uniform_floats(N * D, -1, 1, 3);
    const int32_t labels[N] = {0, 1, 1, 0, 1};
    double loss, acc;
    int confusion[K * K];
    assert_int_equal(classifier_evaluate(&c, x, N, labels, &loss, &acc, confusion), FS_OK);
    assert_int_equal(confusion[0 * K + 0], 2); /* true 0, said 0 */
    assert_int_equal(confusion[1 * K + 0], 3); /* true 1, said 0 */
    assert_int_equal(confusion[0 * K + 1], 0);
    assert_int_equal(confusion[1 * K + 1], 0);
    assert_float_equal(acc, 0.4, 1e-12);
    double want = (2 * log(1 + exp(-1.0)) + 3 * log(1 + exp(1.0))) / N;
    assert_float_equal(loss, want, 1e-6);
    int32_t seg[N];
    float proba[N * K];
    assert_int_equal(classifier_predict_batch(&c, x, N, seg, proba), FS_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(seg[i], 0);
        assert_float_equal(proba[i * K], 1 / (1 + exp(-1.0)), 1e-6);
    }
    /* a tie goes to the first segment, as classifier_predict has it */
    c.b3[0] = 0.0f;
    float p[K];
    assert_int_equal(classifier_predict_proba(&c, x, p), 0);
    assert_true(p[0] == p[1]);
    c.b3[1] = 1.0f;
    assert_int_equal(classifier_predict_proba(&c, x, p), 1);
    free(x);
    classifier_free(&c);
}

/* Memory running out while a row is scored is said (-1), not a segment
 * (it was segment 0: the argmax of NaNs), and the probabilities are NaN. */
static void test_predict_out_of_memory(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* its allocator stops the program when memory runs out */
#else
    enum { D = 3, K = 4 };
    Classifier c;
    assert_int_equal(classifier_init(&c, D, K, 8, 8, 1), FS_OK);
    const float row[D] = {0.5f, -1.0f, 2.0f};
    float p[K];
    assert_true(classifier_predict_proba(&c, row, p) >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!memory_leave_only(0))
            _exit(3);
        if (classifier_predict(&c, row) != -1)
            _exit(4);
        if (classifier_predict_proba(&c, row, p) != -1)
            _exit(5);
        for (int j = 0; j < K; j++)
            if (!isnan(p[j]))
                _exit(6);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    classifier_free(&c);
#endif
}

/* Training without validation rows runs every epoch and keeps the last weights. */
static void test_no_validation(void **state)
{
    (void)state;
    enum { N = 60, D = 8, K = 2 };
    int32_t *labels;
    float *x = planted_blobs(N, D, K, 1.0, 91, &labels);
    ClassifierOptions opt;
    classifier_options_default(&opt);
    opt.val_share = 0.0;
    opt.epochs = 6;
    Classifier c;
    ClassifierReport rep;
    assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_OK);
    assert_int_equal(rep.n_val, 0);
    assert_int_equal(rep.n_train, N);
    assert_int_equal(rep.epochs_run, 6);
    assert_int_equal(rep.best_epoch, 6);
    assert_true(isnan(rep.val_accuracy) && isnan(rep.val_loss[0]));
    classifier_report_free(&rep);
    classifier_free(&c);
    free(x);
    free(labels);
}

/* ---------------------------------------------------------------- timing */

/* The study's shape: 872 users x 1,700 inputs (demographics dense, ~6% of the
 * rating columns set, like MovieLens 100K), k = 5, up to 50 epochs. Both the
 * sparse-looking panel and a fully dense matrix (no zero inputs to skip).
 * Opt-in (CLASSIFIER_BENCH=1): it times, it does not test. */
static void test_bench_study_shape(void **state)
{
    (void)state;
    const char *want = getenv("CLASSIFIER_BENCH");
    if (!want || !*want)
        skip();
    enum { N = 872, DEMO = 30, FILMS = 1670, D = DEMO + FILMS, K = 5 };
    Rng rng;
    rng_seed(&rng, 2024);
    float *x = calloc((size_t)N * D, sizeof *x);
    int32_t *labels = malloc(N * sizeof *labels);
    assert_non_null(x);
    assert_non_null(labels);
    for (size_t i = 0; i < N; i++) {
        int s = (int)rng_below(&rng, K);
        labels[i] = s;
        x[i * D] = (float)rng_normal(&rng);
        x[i * D + 1 + rng_below(&rng, DEMO - 1)] = 1.0f;
        for (int e = 0; e < 106; e++) { /* ~106 ratings per user, tilted by segment */
            size_t film = rng_uniform(&rng) < 0.3 ? (size_t)s * 300 + rng_below(&rng, 300)
                                                  : rng_below(&rng, FILMS);
            x[i * D + DEMO + film] = (float)(1 + rng_below(&rng, 5)) / 5.0f;
        }
    }
    for (int dense = 0; dense < 2; dense++) {
        if (dense)
            for (size_t i = 0; i < (size_t)N * D; i++)
                if (x[i] == 0.0f)
                    x[i] = (float)(0.01 * rng_uniform(&rng));
        ClassifierOptions opt;
        classifier_options_default(&opt);
        opt.stop_patience = 0; /* all 50 epochs: the worst case */
        Classifier c;
        ClassifierReport rep;
        double t0 = monotonic_seconds();
        assert_int_equal(classifier_train(&c, x, N, D, labels, K, &opt, NULL, &rep), FS_OK);
        double t = monotonic_seconds() - t0;
        printf("bench %s: %d x %d, k=%d, %d epochs: %.3f s (%.2f ms/epoch), val_acc %.3f\n",
               dense ? "dense " : "sparse", N, D, K, rep.epochs_run, t, 1e3 * t / rep.epochs_run,
               rep.val_accuracy);
        classifier_report_free(&rep);
        classifier_free(&c);
    }
    free(x);
    free(labels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_gradients),
        cmocka_unit_test(test_linear_rows_independent),
        cmocka_unit_test(test_sparse_forward_exact),
        cmocka_unit_test(test_sparse_linear_matches_dense),
        cmocka_unit_test(test_relu_gradients),
        cmocka_unit_test(test_softmax_xent_gradients),
        cmocka_unit_test(test_penalty_gradients),
        cmocka_unit_test(test_network_gradients),
        cmocka_unit_test(test_learns_planted_blobs),
        cmocka_unit_test(test_learns_sparse_rows),
        cmocka_unit_test(test_early_stop_restores_best),
        cmocka_unit_test(test_lr_plateau_rule),
        cmocka_unit_test(test_lr_cut_after_plateau),
        cmocka_unit_test(test_same_seed_same_model),
        cmocka_unit_test(test_restore_from_params),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_evaluate_known_network),
        cmocka_unit_test(test_predict_out_of_memory),
        cmocka_unit_test(test_no_validation),
        cmocka_unit_test(test_bench_study_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
