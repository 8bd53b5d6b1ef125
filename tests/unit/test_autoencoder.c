/* test_autoencoder.c: the autoencoder's layers against finite differences,
 * both losses end to end, seeding, learning on a synthetic low-rank panel,
 * cancellation, bad arguments and the encode / load surface. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filmseg/autoencoder.h"
#include "filmseg/study_decoder.h"
#include "filmseg/rng.h"

/* ------------------------------------------------------------- helpers */

static float *rand_buf(Rng *rng, size_t n, double lo, double hi)
{
    float *p = malloc(n * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(lo + (hi - lo) * rng_uniform(rng));
    return p;
}

static float *zeros(size_t n)
{
    float *p = calloc(n, sizeof *p);
    assert_non_null(p);
    return p;
}

/* A random CSR matrix: each cell rated with probability density, values k/5. */
typedef struct {
    SparseRows x;
    uint32_t *row_start, *col;
    float *value;
} Csr;

static void csr_random(Csr *c, Rng *rng, size_t rows, size_t cols, double density)
{
    c->row_start = malloc((rows + 1) * sizeof(uint32_t));
    c->col = malloc((rows * cols + 1) * sizeof(uint32_t));
    c->value = malloc((rows * cols + 1) * sizeof(float));
    assert_true(c->row_start && c->col && c->value);
    size_t nnz = 0;
    c->row_start[0] = 0;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++)
            if (rng_uniform(rng) < density) {
                c->col[nnz] = (uint32_t)j;
                c->value[nnz++] = (float)(1 + rng_below(rng, 5)) / 5.0f;
            }
        c->row_start[i + 1] = (uint32_t)nnz;
    }
    c->x = (SparseRows){rows, cols, c->row_start, c->col, c->value};
}

static void csr_free(Csr *c)
{
    free(c->row_start);
    free(c->col);
    free(c->value);
}

/* |analytic - numeric| <= rel * max(|analytic|, |numeric|) + abs_floor */
static void assert_grad(const char *what, size_t i, double analytic, double numeric, double rel,
                        double abs_floor)
{
    double tol = rel * fmax(fabs(analytic), fabs(numeric)) + abs_floor;
    if (fabs(analytic - numeric) > tol)
        fail_msg("%s[%zu]: analytic %.7g, finite difference %.7g", what, i, analytic, numeric);
}

static double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* Central difference of f at p[i] with step h; f reads p. */
#define CENTRAL_DIFF(out, p, i, h, expr)                                                           \
    do {                                                                                           \
        float keep_ = (p)[i];                                                                      \
        (p)[i] = keep_ + (h);                                                                      \
        double up_ = (expr);                                                                       \
        (p)[i] = keep_ - (h);                                                                      \
        double down_ = (expr);                                                                     \
        (p)[i] = keep_;                                                                            \
        (out) = (up_ - down_) / (2.0 * (double)(h));                                               \
    } while (0)

enum { B = 3, N = 7, H = 5 };

/* --------------------------------------------- layer gradient checks */

/* L = <g, pre(x; w_enc, b_enc)>: the encoder is linear in its parameters. */
static double enc_objective(const Csr *c, const float *w, const float *b, const float *g, bool unit)
{
    float pre[B * H];
    ae_encoder_forward(pre, &c->x, NULL, B, w, b, H, unit);
    return dot_d(pre, g, B * H);
}

static void check_encoder_gradients(bool unit)
{
    Rng rng;
    rng_seed(&rng, 11);
    Csr c;
    csr_random(&c, &rng, B, N, 0.5);
    float *w = rand_buf(&rng, N * H, -1, 1), *b = rand_buf(&rng, H, -1, 1);
    float *g = rand_buf(&rng, B * H, -1, 1);
    float *dw = zeros(N * H), *db = zeros(H);
    ae_encoder_backward(dw, db, g, &c.x, NULL, B, H, unit);
    for (size_t i = 0; i < N * H; i++) {
        double num;
        CENTRAL_DIFF(num, w, i, 1e-2f, enc_objective(&c, w, b, g, unit));
        assert_grad("dw_enc", i, dw[i], num, 1e-3, 1e-5);
    }
    for (size_t i = 0; i < H; i++) {
        double num;
        CENTRAL_DIFF(num, b, i, 1e-2f, enc_objective(&c, w, b, g, unit));
        assert_grad("db_enc", i, db[i], num, 1e-3, 1e-5);
    }
    /* rows selected through a row list: same as the matrix's own rows */
    uint32_t rows[B] = {2, 0, 1};
    float pre_sel[B * H], pre_all[B * H];
    ae_encoder_forward(pre_sel, &c.x, rows, B, w, b, H, unit);
    ae_encoder_forward(pre_all, &c.x, NULL, B, w, b, H, unit);
    for (size_t k = 0; k < H; k++)
        assert_true(pre_sel[k] == pre_all[2 * H + k]);
    if (unit) { /* unit length: doubling every rating changes nothing */
        Csr twice;
        csr_random(&twice, &rng, B, N, 0.5);
        memcpy(twice.col, c.col, c.row_start[B] * sizeof *c.col);
        memcpy(twice.row_start, c.row_start, (B + 1) * sizeof *c.row_start);
        for (uint32_t k = 0; k < c.row_start[B]; k++)
            twice.value[k] = 2.0f * c.value[k];
        float pre_twice[B * H];
        ae_encoder_forward(pre_twice, &twice.x, NULL, B, w, b, H, true);
        for (size_t k = 0; k < B * H; k++)
            assert_true(fabsf(pre_twice[k] - pre_all[k]) < 1e-5f);
        csr_free(&twice);
    }
    free(w), free(b), free(g), free(dw), free(db);
    csr_free(&c);
}

static void test_encoder_gradients(void **state)
{
    (void)state;
    check_encoder_gradients(false);
    check_encoder_gradients(true);
}

static void test_relu_gradients(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 12);
    enum { M = 40 };
    float inp[M], out[M], g[M], dinp[M] = {0};
    for (size_t i = 0; i < M; i++) { /* keep clear of the kink at 0 */
        double u = rng_uniform(&rng);
        inp[i] = (float)((u < 0.5 ? -1 : 1) * (0.1 + u));
        g[i] = (float)(2 * rng_uniform(&rng) - 1);
    }
    ae_relu_forward(out, inp, M);
    ae_relu_backward(dinp, out, g, M);
    for (size_t i = 0; i < M; i++) {
        double num;
        CENTRAL_DIFF(num, inp, i, 1e-2f, (ae_relu_forward(out, inp, M), dot_d(out, g, M)));
        assert_grad("relu", i, dinp[i], num, 1e-3, 1e-5);
    }
}

/* The sparse decoder at listed columns equals h . w + b there, and its
 * gradients match finite differences (columns repeat across users). */
static void test_sparse_decoder_gradients(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 14);
    uint32_t qstart[B + 1] = {0, 3, 4, 7}, qcol[7] = {0, 4, 6, 4, 1, 4, 2};
    float *h = rand_buf(&rng, B * H, 0, 1), *w = rand_buf(&rng, N * H, -1, 1);
    float *b = rand_buf(&rng, N, -1, 1), *g = rand_buf(&rng, 7, -1, 1);
    float out[7];
    ae_sparse_decoder_forward(out, h, qstart, qcol, w, b, B, H);
    for (size_t bb = 0; bb < B; bb++)
        for (uint32_t k = qstart[bb]; k < qstart[bb + 1]; k++) {
            double want = b[qcol[k]];
            for (size_t i = 0; i < H; i++)
                want += (double)h[bb * H + i] * w[qcol[k] * H + i];
            assert_true(fabs(out[k] - want) < 1e-5);
        }
    float *dh = zeros(B * H), *dw = zeros(N * H), *db = zeros(N);
    ae_sparse_decoder_backward(dh, dw, db, g, h, qstart, qcol, w, B, H);
#define SPARSE_OBJ (ae_sparse_decoder_forward(out, h, qstart, qcol, w, b, B, H), dot_d(out, g, 7))
    for (size_t i = 0; i < B * H; i++) {
        double num;
        CENTRAL_DIFF(num, h, i, 1e-2f, SPARSE_OBJ);
        assert_grad("dh", i, dh[i], num, 1e-3, 1e-5);
    }
    for (size_t i = 0; i < N * H; i++) {
        double num;
        CENTRAL_DIFF(num, w, i, 1e-2f, SPARSE_OBJ);
        assert_grad("dw_dec", i, dw[i], num, 1e-3, 1e-5);
    }
    for (size_t i = 0; i < N; i++) {
        double num;
        CENTRAL_DIFF(num, b, i, 1e-2f, SPARSE_OBJ);
        assert_grad("db_dec", i, db[i], num, 1e-3, 1e-5);
    }
#undef SPARSE_OBJ
    free(h), free(w), free(b), free(g), free(dh), free(dw), free(db);
}

/* Values against the C library, and gradients; n covers vector paths + tail. */
/* Whether vec_axpy and vec_dot (autoencoder.c) fuse their multiply-adds: in
 * builds that may assume AVX2 and FMA (the default -march=x86-64-v3), not in
 * a build for an older CPU (the test is built with the library's flags). */
#if defined(__AVX2__) && defined(__FMA__) /* as in vec_dot and vec_axpy */
#define VEC_FUSED 1
#else
#define VEC_FUSED 0
#endif

/* vec_dot's sum of a[i] b[i] (autoencoder.c), written out lane by lane: two
 * accumulators of 8 over chunks of 16, an 8-chunk into the first, their sum
 * folded to 4 lanes, a 4-chunk, then lanes (0+2) + (1+3) and the rest; or
 * where it does not fuse, a plain sum in order. */
static float dot_in_vec_dot_order(const float *a, const float *b, size_t n)
{
    float acc0[8] = {0}, acc1[8] = {0}, lo[4];
    size_t i = 0;
    if (!VEC_FUSED) {
        float sum = 0.0f;
        for (; i < n; i++)
            sum += a[i] * b[i];
        return sum;
    }
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 8; l++) {
            acc0[l] = fmaf(a[i + l], b[i + l], acc0[l]);
            acc1[l] = fmaf(a[i + 8 + l], b[i + 8 + l], acc1[l]);
        }
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++)
            acc0[l] = fmaf(a[i + l], b[i + l], acc0[l]);
    for (int l = 0; l < 4; l++)
        lo[l] = (acc0[l] + acc1[l]) + (acc0[l + 4] + acc1[l + 4]);
    if (i + 4 <= n) {
        for (int l = 0; l < 4; l++)
            lo[l] = fmaf(a[i + l], b[i + l], lo[l]);
        i += 4;
    }
    float sum = (lo[0] + lo[2]) + (lo[1] + lo[3]);
    for (; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

static void assert_same_floats(const float *got, const float *want, size_t n, const char *what,
                               size_t H)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof *got) != 0)
            fail_msg("H=%zu %s[%zu]: got %.9g, want %.9g", H, what, i, got[i], want[i]);
}

/* The sparse layers sum a user's films with the user's row in registers
 * where the machine has AVX-512: the bits must be those of the plain sums,
 * one multiply-add per film and float in the user's order, as vec_axpy does
 * it (the decoder's dot products in vec_dot's order), for row lengths that
 * take the vector code and lengths that do not. */
static void test_sparse_layers_sum_in_the_plain_order(void **state)
{
    (void)state;
    const size_t sizes[] = {100, 64, 20, 12, 24, 37, 132};
    enum { B = 7, N = 50 };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t H = sizes[si];
        Rng rng;
        rng_seed(&rng, 40 + H);
        Csr c;
        csr_random(&c, &rng, B, N, 0.3);
        size_t nnz = c.row_start[B];
        float *w = rand_buf(&rng, N * H, -1, 1), *bias = rand_buf(&rng, N > H ? N : H, -1, 1);
        float *h = rand_buf(&rng, B * H, 0, 1), *dout = rand_buf(&rng, nnz + 1, -1, 1);
        float *got = zeros(B * H + nnz + 1), *want = zeros(B * H + nnz + 1);

        /* encoder: bias plus each rated film's row times its input over |row| */
        ae_encoder_forward(got, &c.x, NULL, B, w, bias, H, true);
        for (size_t b = 0; b < B; b++) {
            double sq = 0.0;
            for (uint32_t k = c.row_start[b]; k < c.row_start[b + 1]; k++)
                sq += (double)c.value[k] * c.value[k];
            float scale = sq > 0.0 ? (float)(1.0 / sqrt(sq)) : 1.0f;
            for (size_t i = 0; i < H; i++) {
                float sum = bias[i];
                for (uint32_t k = c.row_start[b]; k < c.row_start[b + 1]; k++) {
                    float a = scale * c.value[k], x = w[c.col[k] * H + i];
                    /* vec_axpy: fused in groups of 4 floats, the rest not */
                    sum = VEC_FUSED && i < H / 4 * 4 ? fmaf(a, x, sum) : sum + a * x;
                }
                want[b * H + i] = sum;
            }
        }
        assert_same_floats(got, want, B * H, "pre", H);

        /* decoder: each rated cell's h . w + bias */
        ae_sparse_decoder_forward(got, h, c.row_start, c.col, w, bias, B, H);
        for (size_t b = 0; b < B; b++)
            for (uint32_t k = c.row_start[b]; k < c.row_start[b + 1]; k++)
                want[k] = dot_in_vec_dot_order(h + b * H, w + c.col[k] * H, H) + bias[c.col[k]];
        assert_same_floats(got, want, nnz, "z", H);

        /* dh alone (training's call) against dh beside the weights' gradient */
        float *dw = zeros(N * H), *db = zeros(N);
        for (size_t i = 0; i < B * H; i++)
            got[i] = want[i] = (float)(rng_uniform(&rng) - 0.5);
        ae_sparse_decoder_backward(got, NULL, NULL, dout, h, c.row_start, c.col, w, B, H);
        ae_sparse_decoder_backward(want, dw, db, dout, h, c.row_start, c.col, w, B, H);
        assert_same_floats(got, want, B * H, "dh", H);
        free(dw);
        free(db);
        free(w);
        free(bias);
        free(h);
        free(dout);
        free(got);
        free(want);
        csr_free(&c);
    }
}

static void test_sigmoid_values_and_gradients(void **state)
{
    (void)state;
    enum { M = 203 };
    float z[M], s[M], g[M], dz[M] = {0};
    for (size_t i = 0; i < M; i++) {
        z[i] = -30.0f + 60.0f * (float)i / (M - 1);
        g[i] = (float)sin((double)i);
    }
    ae_sigmoid_forward(s, z, M);
    for (size_t i = 0; i < M; i++) {
        double want = 1.0 / (1.0 + exp(-(double)z[i]));
        if (fabs(s[i] - want) > 4e-7 * want + 1e-30)
            fail_msg("sigmoid(%g) = %.9g, want %.9g", z[i], s[i], want);
    }
    float big[3] = {-200.0f, 200.0f, 0.0f}, sb[3];
    ae_sigmoid_forward(sb, big, 3);
    assert_true(sb[0] >= 0.0f && sb[0] < 1e-30f && sb[1] == 1.0f && sb[2] == 0.5f);
    ae_sigmoid_backward(dz, s, g, M);
    for (size_t i = 0; i < M; i++) {
        if (fabsf(z[i]) > 8.0f) /* saturated: the difference drowns in rounding */
            continue;
        double num;
        CENTRAL_DIFF(num, z, i, 1e-2f, (ae_sigmoid_forward(s, z, M), dot_d(s, g, M)));
        assert_grad("sigmoid", i, dz[i], num, 1e-3, 1e-5);
    }
}

static void test_loss_gradients(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 15);
    /* weighted squared error (the study loss's absolute error is checked
     * with its fused decoder, test_study_decoder.c) */
    float q[9], t[9], wt[9], dq[9] = {0};
    for (size_t i = 0; i < 9; i++) {
        q[i] = (float)rng_uniform(&rng);
        t[i] = i % 3 ? (float)rng_uniform(&rng) : 0.0f;
        wt[i] = i % 3 ? 1.0f : 0.1f;
    }
    ae_sq_backward(dq, q, t, wt, 9, 0.25f);
    for (size_t i = 0; i < 9; i++) {
        double num;
        CENTRAL_DIFF(num, q, i, 1e-2f, ae_sq_forward(q, t, wt, 9, 0.25f));
        assert_grad("sq", i, dq[i], num, 1e-3, 1e-6);
    }
    /* the likes head's softmax: two users (cells 0..3 and 4..8), one liked
     * film and two liked films, and a user with no cells */
    uint32_t qs[4] = {0, 4, 9, 9};
    float zs[9], ts[9] = {1, 0, 0, 0, 0, 1, 0, 1, 0}, dzs[9] = {0};
    for (size_t i = 0; i < 9; i++)
        zs[i] = (float)(4.0 * rng_uniform(&rng) - 2.0);
    ae_softmax_backward(dzs, zs, ts, qs, 3, 0.5f);
    double sum0 = 0;
    for (size_t i = 0; i < 4; i++)
        sum0 += dzs[i];
    assert_true(fabs(sum0) < 1e-6); /* the gradient over a softmax sums to 0 */
    for (size_t i = 0; i < 9; i++) {
        double num;
        CENTRAL_DIFF(num, zs, i, 1e-2f, ae_softmax_forward(zs, ts, qs, 3, 0.5f));
        assert_grad("softmax", i, dzs[i], num, 1e-3, 1e-6);
    }
    /* a liked film ranked far above the rest costs almost nothing */
    float sure[3] = {30, 0, 0}, one[3] = {1, 0, 0};
    uint32_t qs1[2] = {0, 3};
    assert_true(ae_softmax_forward(sure, one, qs1, 1, 1.0f) < 1e-9);
}

/* The likes head's likes are the panel's: 3.5 stars and up, on inputs as
 * the pipeline makes them (half stars / 10, or whole stars / 5). */
static void test_likes_are_three_and_a_half_stars_and_up(void **state)
{
    (void)state;
    for (int half_stars = 1; half_stars <= 10; half_stars++)
        assert_int_equal(ae_is_like(half_stars / 10.0f), half_stars >= 7);
    for (int stars = 1; stars <= 5; stars++)
        assert_int_equal(ae_is_like(stars / 5.0f), stars >= 4);
}

/* --------------------------------------- both losses, end to end */

typedef struct {
    const Csr *c;
    Autoencoder *ae;
    AeLoss loss;
    uint32_t *qstart, *qcol; /* RATED: rated columns then sampled unrated ones */
    float *qt, *qw;
    float *ot;             /* RATED: the likes head's targets (1 liked, else 0) */
    float scale, implicit; /* implicit: the likes head's weight (two heads) */
} Chain;

/* Adam constants that make a step move each parameter by minus its gradient
 * (m = g, v = g^2, p -= 1e6 g / (|g| + 1e6)): reads the fused decoder's
 * gradients. */
static const AdamCoef GRADIENT_STEP = {0.0f, 0.0f, 1.0f, 1.0f, 1e6f, 1e6f};

/* Forward (and backward into grads when non-NULL) through every layer, the
 * way the trainer composes them. Returns the loss in double. */
static double chain_loss(const Chain *ch, float *grads)
{
    Autoencoder *ae = ch->ae;
    const SparseRows *x = &ch->c->x;
    float pre[B * H], h[B * H], dh[B * H] = {0}, dpre[B * H] = {0};
    ae_encoder_forward(pre, x, NULL, B, ae->w_enc, ae->b_enc, H, ae->unit_input);
    ae_relu_forward(h, pre, B * H);
    double loss;
    float *g_w_enc = grads, *g_b_enc = grads ? grads + N * H : NULL;
    float *g_w_dec = grads ? g_b_enc + H : NULL, *g_b_dec = grads ? g_w_dec + N * H : NULL;
    if (ch->loss == AE_LOSS_STUDY) {
        /* the fused decoder on a transposed copy; its Adam step with
         * GRADIENT_STEP moves each weight by minus its gradient */
        float xd[B * N] = {0}, wt[H * N], b[N], m[H * N] = {0}, v[H * N] = {0}, bm[N] = {0};
        float bv[N] = {0}, dz[B * N], g[N];
        for (size_t bb = 0; bb < B; bb++)
            for (uint32_t k = x->row_start[bb]; k < x->row_start[bb + 1]; k++)
                xd[bb * N + x->col[k]] = x->value[k];
        for (size_t j = 0; j < N; j++)
            for (size_t i = 0; i < H; i++)
                wt[i * N + j] = ae->w_dec[j * H + i];
        memcpy(b, ae->b_dec, sizeof b);
        StudyDecoder d = {B, H, N, h, xd, wt, b, m, v, bm, bv, dz, g, false};
        loss = study_decoder_loss(&d, 0, N) / (B * N);
        if (grads) {
            study_decoder_step(&d, 0, N, 1.0f / (B * N), &GRADIENT_STEP, dh);
            for (size_t j = 0; j < N; j++) {
                g_b_dec[j] = ae->b_dec[j] - b[j];
                for (size_t i = 0; i < H; i++)
                    g_w_dec[j * H + i] = ae->w_dec[j * H + i] - wt[i * N + j];
            }
        }
    } else {
        size_t nq = ch->qstart[B];
        float z[B * N], s[B * N], ds[B * N] = {0}, dz[B * N] = {0};
        ae_sparse_decoder_forward(z, h, ch->qstart, ch->qcol, ae->w_dec, ae->b_dec, B, H);
        ae_sigmoid_forward(s, z, nq);
        loss = ae_sq_forward(s, ch->qt, ch->qw, nq, ch->scale);
        if (grads) {
            ae_sq_backward(ds, s, ch->qt, ch->qw, nq, ch->scale);
            ae_sigmoid_backward(dz, s, ds, nq);
            ae_sparse_decoder_backward(dh, g_w_dec, g_b_dec, dz, h, ch->qstart, ch->qcol, ae->w_dec,
                                       B, H);
        }
    }
    if (ae->heads == 2) {
        size_t nq = ch->qstart[B];
        float zo[B * N], dzo[B * N];
        ae_sparse_decoder_forward(zo, h, ch->qstart, ch->qcol, ae->w_obs, ae->b_obs, B, H);
        loss += ae_softmax_forward(zo, ch->ot, ch->qstart, B, ch->implicit * ch->scale);
        if (grads) {
            memset(dzo, 0, nq * sizeof(float));
            ae_softmax_backward(dzo, zo, ch->ot, ch->qstart, B, ch->implicit * ch->scale);
            float *g_w_obs = g_b_dec + N, *g_b_obs = g_w_obs + N * H;
            ae_sparse_decoder_backward(dh, g_w_obs, g_b_obs, dzo, h, ch->qstart, ch->qcol,
                                       ae->w_obs, B, H);
        }
    }
    if (!grads)
        return loss;
    ae_relu_backward(dpre, h, dh, B * H);
    ae_encoder_backward(g_w_enc, g_b_enc, dpre, x, NULL, B, H, ae->unit_input);
    return loss;
}

static void check_chain(AeLoss loss, int heads, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    Csr c;
    csr_random(&c, &rng, B, N, 0.6);
    Autoencoder ae;
    assert_int_equal(ae_init_heads(&ae, N, H, heads, seed), FS_OK);
    ae.unit_input = loss == AE_LOSS_RATED; /* as ae_train sets it */
    /* larger weights than the default init so every path carries signal */
    for (size_t i = 0; i < ae.n_params; i++)
        ae.params[i] *= 3.0f;
    uint32_t qstart[B + 1], qcol[B * N];
    float qt[B * N], qw[B * N], ot[B * N];
    size_t nq = 0, nr = 0;
    for (size_t bb = 0; bb < B; bb++) {
        qstart[bb] = (uint32_t)nq;
        uint8_t rated[N] = {0};
        for (uint32_t k = c.row_start[bb]; k < c.row_start[bb + 1]; k++) {
            rated[c.col[k]] = 1;
            ot[nq] = ae_is_like(c.value[k]) ? 1.0f : 0.0f;
            qcol[nq] = c.col[k], qt[nq] = c.value[k], qw[nq++] = 1.0f, nr++;
        }
        for (uint32_t j = 0; j < N; j += 2) /* "sampled" unrated: every other one */
            if (!rated[j])
                ot[nq] = 0.0f, qcol[nq] = j, qt[nq] = 0.0f, qw[nq++] = 0.1f;
    }
    qstart[B] = (uint32_t)nq;
    Chain ch = {&c, &ae, loss, qstart, qcol, qt, qw, ot, 1.0f / (float)(nr ? nr : 1), 0.7f};
    float *grads = zeros(ae.n_params);
    chain_loss(&ch, grads);
    float pre[B * H];
    ae_encoder_forward(pre, &c.x, NULL, B, ae.w_enc, ae.b_enc, H, ae.unit_input);
    size_t checked = 0;
    for (size_t i = 0; i < ae.n_params; i++) {
        double num;
        CENTRAL_DIFF(num, ae.params, i, 1e-3f, chain_loss(&ch, NULL));
        /* skip the rare parameter whose nudge crosses a ReLU or |.| kink */
        double up, down;
        float keep = ae.params[i];
        ae.params[i] = keep + 2e-3f, up = chain_loss(&ch, NULL);
        ae.params[i] = keep - 2e-3f, down = chain_loss(&ch, NULL);
        ae.params[i] = keep;
        double wide = (up - down) / 4e-3;
        if (fabs(wide - num) > 0.05 * fabs(num) + 1e-4)
            continue;
        assert_grad(loss == AE_LOSS_STUDY ? "study chain" : "rated chain", i, grads[i], num, 2e-2,
                    2e-4);
        checked++;
    }
    assert_true(checked > ae.n_params * 9 / 10);
    free(grads);
    ae_free(&ae);
    csr_free(&c);
}

static void test_study_loss_gradients(void **state)
{
    (void)state;
    check_chain(AE_LOSS_STUDY, 1, 21);
    check_chain(AE_LOSS_STUDY, 1, 22);
}

static void test_rated_loss_gradients(void **state)
{
    (void)state;
    check_chain(AE_LOSS_RATED, 1, 23);
    check_chain(AE_LOSS_RATED, 1, 24);
    check_chain(AE_LOSS_RATED, 2, 25); /* with the likes head */
    check_chain(AE_LOSS_RATED, 2, 26);
}

/* ------------------------------------------------------------- training */

static AeOptions small_options(AeLoss loss)
{
    AeOptions o;
    ae_options_default(&o);
    o.hidden = 8;
    o.epochs = 5;
    o.batch = 4;
    o.loss = loss;
    o.seed = 5;
    o.unrated_share = 1.0f; /* exercise the sampled unrated cells too */
    return o;
}

static void test_same_seed_same_parameters(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 31);
    Csr c;
    csr_random(&c, &rng, 50, 30, 0.2);
    for (int l = 0; l < 2; l++) {
        AeOptions o = small_options(l ? AE_LOSS_STUDY : AE_LOSS_RATED);
        Autoencoder a1, a2, a3;
        AeReport r1, r2;
        assert_int_equal(ae_train(&a1, &c.x, &o, NULL, &r1), FS_OK);
        assert_int_equal(ae_train(&a2, &c.x, &o, NULL, &r2), FS_OK);
        assert_int_equal(a1.n_params, a2.n_params);
        assert_memory_equal(a1.params, a2.params, a1.n_params * sizeof(float));
        assert_memory_equal(r1.train_loss, r2.train_loss, (size_t)o.epochs * sizeof(double));
        assert_true(r1.heldout_mae_stars == r2.heldout_mae_stars);
        o.seed = 6;
        assert_int_equal(ae_train(&a3, &c.x, &o, NULL, NULL), FS_OK);
        assert_memory_not_equal(a1.params, a3.params, a1.n_params * sizeof(float));
        ae_free(&a1), ae_free(&a2), ae_free(&a3);
        ae_report_free(&r1), ae_report_free(&r2);
    }
    csr_free(&c);
}

/* Trains with o on one thread and on `threads`: the parameters must match to
 * the bit. */
static void assert_same_as_one_thread(const Csr *c, AeOptions o, int threads)
{
    Autoencoder one, other;
    o.threads = 1;
    assert_int_equal(ae_train(&one, &c->x, &o, NULL, NULL), FS_OK);
    o.threads = threads;
    assert_int_equal(ae_train(&other, &c->x, &o, NULL, NULL), FS_OK);
    assert_memory_equal(one.params, other.params, one.n_params * sizeof(float));
    ae_free(&one);
    ae_free(&other);
}

/* The study loss splits each batch over two threads or runs both halves on
 * one: the parameters must come out bit-identical either way, and when the
 * choice is left to training. */
static void test_study_loss_same_with_one_or_two_threads(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 32);
    Csr c;
    csr_random(&c, &rng, 40, 600, 0.05);
    AeOptions o = small_options(AE_LOSS_STUDY);
    assert_same_as_one_thread(&c, o, 2);
    /* left to it (0), training times both ways over its first epochs, goes
     * on with the faster and looks again every 20 epochs: 40 epochs take in
     * the first window (epochs 1-4) and a second (20-21) */
    o.epochs = 40;
    assert_same_as_one_thread(&c, o, 0);
    csr_free(&c);
}

/* Each row's films in another order: the same model for either loss (the
 * study loss's two parts take ranges of films from rows sorted by film, so
 * training sorts a copy of rows that are not), on one thread and two. */
static void test_unsorted_rows_train_as_sorted(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 34);
    Csr c;
    csr_random(&c, &rng, 40, 600, 0.05);
    Csr r = c; /* the same entries, each row reversed */
    r.col = malloc((c.row_start[40] + 1) * sizeof(uint32_t));
    r.value = malloc((c.row_start[40] + 1) * sizeof(float));
    assert_true(r.col && r.value);
    for (size_t i = 0; i < 40; i++)
        for (uint32_t k = c.row_start[i], e = c.row_start[i + 1]; k < e; k++) {
            r.col[e - 1 - (k - c.row_start[i])] = c.col[k];
            r.value[e - 1 - (k - c.row_start[i])] = c.value[k];
        }
    r.x = (SparseRows){40, 600, c.row_start, r.col, r.value};
    for (int l = 0; l < 2; l++)
        for (int threads = 1; threads <= 2; threads++) {
            AeOptions o = small_options(l ? AE_LOSS_STUDY : AE_LOSS_RATED);
            o.threads = threads;
            Autoencoder sorted, reversed;
            assert_int_equal(ae_train(&sorted, &c.x, &o, NULL, NULL), FS_OK);
            assert_int_equal(ae_train(&reversed, &r.x, &o, NULL, NULL), FS_OK);
            assert_memory_equal(sorted.params, reversed.params, sorted.n_params * sizeof(float));
            ae_free(&sorted);
            ae_free(&reversed);
        }
    free(r.col);
    free(r.value);
    csr_free(&c);
}

/* The rated loss runs its likes head on a second thread (or after the rating
 * head on one): the same bits either way, with input dropout and sampled
 * unrated cells. */
static void test_rated_loss_same_with_one_or_two_threads(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 33);
    Csr c;
    csr_random(&c, &rng, 40, 300, 0.1);
    AeOptions o = small_options(AE_LOSS_RATED);
    assert_true(o.implicit_weight > 0.0f && o.input_dropout > 0.0f);
    assert_same_as_one_thread(&c, o, 2);
    o.epochs = 40;
    assert_same_as_one_thread(&c, o, 0);
    csr_free(&c);
}

/* Ratings from a rank-2 taste model: rating = round(3 + 1.6 u.v), 1..5. The
 * film mean cannot see a user's taste; the autoencoder can. */
/* Ratings of rank 2 (taste scales the user x film factors), plus, with bias,
 * a per-user offset uniform in [-bias, bias] stars; density of rated cells. */
static void make_rated(Csr *c, size_t users, size_t films, double density, uint64_t seed,
                       double taste, double bias)
{
    Rng rng;
    rng_seed(&rng, seed);
    double *u = malloc(users * 2 * sizeof *u), *f = malloc(films * 2 * sizeof *f);
    assert_true(u && f);
    for (size_t i = 0; i < users * 2; i++)
        u[i] = rng_normal(&rng);
    for (size_t i = 0; i < films * 2; i++)
        f[i] = rng_normal(&rng) * 0.7;
    double *user_bias = malloc(users * sizeof *user_bias);
    assert_non_null(user_bias);
    for (size_t i = 0; i < users; i++)
        user_bias[i] = bias != 0.0 ? 2.0 * rng_uniform(&rng) - 1.0 : 0.0;
    c->row_start = malloc((users + 1) * sizeof(uint32_t));
    c->col = malloc(users * films * sizeof(uint32_t));
    c->value = malloc(users * films * sizeof(float));
    assert_true(c->row_start && c->col && c->value);
    size_t nnz = 0;
    c->row_start[0] = 0;
    for (size_t i = 0; i < users; i++) {
        for (size_t j = 0; j < films; j++)
            if (rng_uniform(&rng) < density) {
                double r = floor(3.0 + taste * (u[2 * i] * f[2 * j] + u[2 * i + 1] * f[2 * j + 1]) +
                                 bias * user_bias[i] + 0.5);
                r = r < 1 ? 1 : r > 5 ? 5 : r;
                c->col[nnz] = (uint32_t)j;
                c->value[nnz++] = (float)(r / 5.0);
            }
        c->row_start[i + 1] = (uint32_t)nnz;
    }
    c->x = (SparseRows){users, films, c->row_start, c->col, c->value};
    free(u), free(f), free(user_bias);
}

static void make_low_rank(Csr *c, size_t users, size_t films, double density, uint64_t seed)
{
    make_rated(c, users, films, density, seed, 1.6, 0.0);
}

/* The default loss trained on c with these settings; prints the held-out
 * error beside the film-mean baseline's. */
static void train_rated(const Csr *c, int hidden, int epochs, uint64_t seed, float implicit_weight,
                        Autoencoder *ae, AeReport *r)
{
    AeOptions o;
    ae_options_default(&o);
    o.hidden = hidden;
    o.epochs = epochs;
    o.seed = seed;
    o.implicit_weight = implicit_weight;
    assert_int_equal(ae_train(ae, &c->x, &o, NULL, r), FS_OK);
    print_message("held-out MAE %.3f stars vs film mean %.3f (%zu cells)\n", r->heldout_mae_stars,
                  r->heldout_baseline_stars, r->heldout_cells);
}

static void test_rated_loss_beats_film_mean(void **state)
{
    (void)state;
    Csr c;
    make_low_rank(&c, 1000, 60, 0.5, 41);
    Autoencoder ae;
    AeReport r;
    /* with the likes head (two heads, two threads), and the rating head alone
     * (one thread), which helps less (0.745 against 0.824 stars here) */
    for (int heads = 2; heads >= 1; heads--) {
        train_rated(&c, 16, 30, 3, heads == 2 ? 10.0f : 0.0f, &ae, &r);
        assert_int_equal(ae.heads, heads);
        assert_int_equal(r.n_val, 200);
        assert_true(r.heldout_cells >= 200);
        assert_true(r.heldout_mae_stars < (heads == 2 ? 0.8 : 0.95) * r.heldout_baseline_stars);
        assert_true(r.val_loss[r.epochs_run - 1] < r.val_loss[0]);
        ae_free(&ae);
        ae_report_free(&r);
    }
    csr_free(&c);
}

/* Users who rate everything higher or lower than others: unit-length input
 * hides that level, the user offset brings it back (film means alone are
 * off by the user's bias on every cell). */
static void test_rated_loss_learns_user_offsets(void **state)
{
    (void)state;
    Csr c;
    make_rated(&c, 600, 40, 0.5, 43, 0.0, 1.5);
    Autoencoder ae;
    AeReport r;
    train_rated(&c, 8, 10, 4, 10.0f, &ae, &r);
    assert_true(r.heldout_baseline_stars > 0.5);
    assert_true(r.heldout_mae_stars < 0.6 * r.heldout_baseline_stars);
    ae_free(&ae);
    ae_report_free(&r);
    csr_free(&c);
}

/* The rating head starts from the film-mean baseline: with a learning rate
 * too small to move anything, each film's output for a user with no input
 * is its mean rating among the training users (clamped to 0.05..0.95). The
 * every-cell MAE, which costs users x films, is the study loss's alone. */
static void test_rated_loss_starts_at_the_film_means(void **state)
{
    (void)state;
    Csr c;
    make_low_rank(&c, 200, 30, 0.5, 7);
    AeOptions o;
    ae_options_default(&o);
    o.hidden = 8;
    o.epochs = 1;
    o.lr = 1e-12f;
    o.val_share = 0.0;
    Autoencoder ae;
    AeReport r;
    assert_int_equal(ae_train(&ae, &c.x, &o, NULL, &r), FS_OK);
    assert_true(isnan(r.val_mae_cells));
    for (size_t j = 0; j < c.x.n_cols; j++) {
        double sum = 0;
        size_t n = 0;
        for (size_t u = 0; u < c.x.n_rows; u++)
            for (uint32_t k = c.x.row_start[u]; k < c.x.row_start[u + 1]; k++)
                if (c.x.col[k] == j) {
                    sum += c.x.value[k];
                    n++;
                }
        double mean = n ? sum / n : 0.5;
        mean = mean < 0.05 ? 0.05 : mean > 0.95 ? 0.95 : mean;
        assert_float_equal(1.0 / (1.0 + exp(-ae.b_dec[j])), mean, 1e-4);
    }
    ae_free(&ae);
    ae_report_free(&r);
    csr_free(&c);
}

/* The study loss on the same panel learns too (its loss falls) and reports
 * every figure. */
static void test_study_loss_trains(void **state)
{
    (void)state;
    Csr c;
    make_low_rank(&c, 200, 40, 0.5, 42);
    AeOptions o = small_options(AE_LOSS_STUDY);
    o.epochs = 20;
    Autoencoder ae;
    AeReport r;
    assert_int_equal(ae_train(&ae, &c.x, &o, NULL, &r), FS_OK);
    assert_int_equal(r.epochs_run, 20);
    assert_true(r.train_loss[19] < r.train_loss[0]);
    assert_true(r.val_loss[19] < r.val_loss[0]);
    assert_true(fabs(r.val_mae_cells - r.val_loss[19]) < 1e-9);
    assert_true(isfinite(r.val_mae_rated_stars) && isfinite(r.heldout_mae_stars) &&
                isfinite(r.heldout_baseline_stars));
    ae_free(&ae);
    ae_report_free(&r);
    csr_free(&c);
}

typedef struct {
    int events, last_step, cancel_after;
    atomic_int cancel;
} Watch;

static void on_progress(void *ctx, const ProgressEvent *ev)
{
    Watch *w = ctx;
    assert_int_equal(ev->stage, STAGE_AUTOENCODER);
    assert_int_equal(ev->step, w->last_step + 1);
    assert_true(isfinite(ev->loss) && isfinite(ev->val_loss));
    w->last_step = ev->step;
    if (++w->events == w->cancel_after)
        atomic_store(&w->cancel, 1);
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 51);
    Csr c;
    csr_random(&c, &rng, 60, 25, 0.2);
    AeOptions o = small_options(AE_LOSS_RATED);
    o.epochs = 6;
    Watch w = {0};
    w.cancel_after = -1;
    Progress p = {on_progress, &w, &w.cancel};
    Autoencoder ae;
    AeReport r;
    assert_int_equal(ae_train(&ae, &c.x, &o, &p, &r), FS_OK);
    assert_int_equal(w.events, 6);
    ae_free(&ae);
    ae_report_free(&r);

    /* cancelled from the callback after two epochs */
    w = (Watch){0};
    w.cancel_after = 2;
    assert_int_equal(ae_train(&ae, &c.x, &o, &p, &r), FS_CANCELLED);
    assert_int_equal(w.events, 2);
    assert_null(ae.params);
    assert_null(r.train_loss);
    /* cancelled before it starts */
    w = (Watch){0};
    atomic_store(&w.cancel, 1);
    o.loss = AE_LOSS_STUDY;
    assert_int_equal(ae_train(&ae, &c.x, &o, &p, &r), FS_CANCELLED);
    assert_int_equal(w.events, 0);
    csr_free(&c);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    uint32_t rs[4] = {0, 2, 3, 4}, col[4] = {0, 2, 1, 3};
    float val[4] = {0.2f, 1.0f, 0.6f, 0.8f};
    SparseRows x = {3, 4, rs, col, val};
    AeOptions o = small_options(AE_LOSS_RATED);
    Autoencoder ae;
    AeReport r;
    assert_int_equal(ae_train(&ae, &x, &o, NULL, &r), FS_OK); /* the good case */
    ae_free(&ae);
    ae_report_free(&r);

    assert_int_equal(ae_train(NULL, &x, &o, NULL, NULL), FS_ERROR);
    assert_int_equal(ae_train(&ae, NULL, &o, NULL, NULL), FS_ERROR);
    assert_int_equal(ae_train(&ae, &x, NULL, NULL, NULL), FS_ERROR);
#define BAD_OPTION(field, bad)                                                                     \
    do {                                                                                           \
        AeOptions b_ = o;                                                                          \
        b_.field = bad;                                                                            \
        assert_int_equal(ae_train(&ae, &x, &b_, NULL, &r), FS_ERROR);                              \
        assert_null(ae.params);                                                                    \
    } while (0)
    BAD_OPTION(hidden, 0);
    BAD_OPTION(batch, 0);
    BAD_OPTION(epochs, -1);
    BAD_OPTION(lr, 0.0f);
    BAD_OPTION(lr, NAN);
    BAD_OPTION(val_share, 1.0);
    BAD_OPTION(val_share, -0.1);
    BAD_OPTION(unrated_share, -1.0f);
    BAD_OPTION(unrated_weight, -1.0f);
    BAD_OPTION(loss, (AeLoss)7);
    BAD_OPTION(input_dropout, 1.0f);
    BAD_OPTION(weight_decay, -1.0f);
    BAD_OPTION(heldout_share, 2.0f);
#undef BAD_OPTION
#define BAD_INPUT(stmt, undo)                                                                      \
    do {                                                                                           \
        stmt;                                                                                      \
        assert_int_equal(ae_train(&ae, &x, &o, NULL, &r), FS_ERROR);                               \
        undo;                                                                                      \
    } while (0)
    BAD_INPUT(col[1] = 4, col[1] = 2);       /* film out of range */
    BAD_INPUT(col[1] = 0, col[1] = 2);       /* film twice in a row */
    BAD_INPUT(val[2] = 0.0f, val[2] = 0.6f); /* not a rating */
    BAD_INPUT(val[2] = 1.5f, val[2] = 0.6f);
    BAD_INPUT(val[2] = NAN, val[2] = 0.6f);
    BAD_INPUT(rs[2] = 1, rs[2] = 3); /* rows going backwards */
    BAD_INPUT(rs[0] = 1, rs[0] = 0);
    BAD_INPUT(x.n_rows = 1, x.n_rows = 3); /* no room for a validation user */
    BAD_INPUT(x.n_cols = 0, x.n_cols = 4);
#undef BAD_INPUT
    assert_int_equal(ae_train(&ae, &x, &o, NULL, &r), FS_OK); /* all undone */

    float h[8], params[10];
    SparseRows wrong = {3, 5, rs, col, val};
    assert_int_equal(ae_encode(&ae, &wrong, h), FS_ERROR);
    uint32_t far = 9;
    assert_int_equal(ae_encode_one(&ae, 1, &far, val, h), FS_ERROR);
    Autoencoder bad;
    assert_int_equal(ae_init_from(&bad, 4, 8, params, 10, true), FS_ERROR);
    assert_null(bad.params);
    assert_int_equal(ae_init(&bad, 0, 8, 1), FS_ERROR);
    assert_int_equal(ae_init(&bad, 4, 0, 1), FS_ERROR);
    assert_int_equal(ae_n_params(SIZE_MAX / 2, 100), 0);
    ae_free(&ae);
    ae_report_free(&r);
}

/* Embeddings for all users equal the single-user form; a model rebuilt from
 * its parameter buffer encodes the same; layout and init bounds hold. */
static void test_encode_and_rebuild(void **state)
{
    (void)state;
    Rng rng;
    rng_seed(&rng, 61);
    Csr c;
    csr_random(&c, &rng, 40, 20, 0.3);
    AeOptions o = small_options(AE_LOSS_RATED);
    Autoencoder ae, copy;
    assert_int_equal(ae_train(&ae, &c.x, &o, NULL, NULL), FS_OK);
    /* the default rated loss has the likes head, on unit-length input */
    assert_int_equal(ae.heads, 2);
    assert_true(ae.unit_input);
    assert_int_equal(ae.n_params, ae_n_params_heads(20, 8, 2));
    assert_int_equal(ae.n_params, 3 * 20 * 8 + 8 + 2 * 20);
    assert_ptr_equal(ae.b_enc, ae.params + 20 * 8);
    assert_ptr_equal(ae.w_dec, ae.b_enc + 8);
    assert_ptr_equal(ae.b_dec, ae.w_dec + 20 * 8);
    assert_ptr_equal(ae.w_obs, ae.b_dec + 20);
    assert_ptr_equal(ae.b_obs, ae.w_obs + 20 * 8);
    assert_int_equal(ae_n_params(20, 8), 2 * 20 * 8 + 8 + 20);
    assert_int_equal(ae_init_from(&copy, 20, 8, ae.params, ae.n_params, ae.unit_input), FS_OK);
    float *all = zeros(40 * 8), *again = zeros(40 * 8), one[8];
    assert_int_equal(ae_encode(&ae, &c.x, all), FS_OK);
    assert_int_equal(ae_encode(&copy, &c.x, again), FS_OK);
    assert_memory_equal(all, again, 40 * 8 * sizeof(float));
    for (size_t i = 0; i < 40; i++) {
        uint32_t k0 = c.row_start[i];
        assert_int_equal(
            ae_encode_one(&copy, c.row_start[i + 1] - k0, c.col + k0, c.value + k0, one), FS_OK);
        assert_memory_equal(one, all + i * 8, sizeof one);
        for (size_t k = 0; k < 8; k++)
            assert_true(one[k] >= 0.0f);
    }
    Autoencoder fresh;
    assert_int_equal(ae_init(&fresh, 20, 8, 1), FS_OK);
    for (size_t i = 0; i < 20 * 8; i++) {
        assert_true(fabsf(fresh.w_enc[i]) <= 1.0f / sqrtf(20.0f));
        assert_true(fabsf(fresh.w_dec[i]) <= 1.0f / sqrtf(8.0f));
    }
    ae_free(&fresh);
    free(all), free(again);
    ae_free(&ae), ae_free(&copy);
    csr_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder_gradients),
        cmocka_unit_test(test_likes_are_three_and_a_half_stars_and_up),
        cmocka_unit_test(test_relu_gradients),
        cmocka_unit_test(test_sparse_decoder_gradients),
        cmocka_unit_test(test_sparse_layers_sum_in_the_plain_order),
        cmocka_unit_test(test_sigmoid_values_and_gradients),
        cmocka_unit_test(test_loss_gradients),
        cmocka_unit_test(test_study_loss_gradients),
        cmocka_unit_test(test_rated_loss_gradients),
        cmocka_unit_test(test_same_seed_same_parameters),
        cmocka_unit_test(test_study_loss_same_with_one_or_two_threads),
        cmocka_unit_test(test_rated_loss_same_with_one_or_two_threads),
        cmocka_unit_test(test_unsorted_rows_train_as_sorted),
        cmocka_unit_test(test_rated_loss_beats_film_mean),
        cmocka_unit_test(test_rated_loss_learns_user_offsets),
        cmocka_unit_test(test_rated_loss_starts_at_the_film_means),
        cmocka_unit_test(test_study_loss_trains),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_encode_and_rebuild),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
