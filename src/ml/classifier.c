/* classifier.c: the segment classifier (MLP n_in-64-64-k, softmax), its
 * training loop (Adam, L1+L2 penalty, LR cut on plateau, early stopping) and
 * prediction; see classifier.h. */
#include "filmseg/classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filmseg/adam.h"
#include "filmseg/arrays.h"
#include "filmseg/kmeans.h"
#include "filmseg/rng.h"
#include "filmseg/rowset.h"

#if defined(__AVX__) || defined(__FMA__)
#include <immintrin.h>
#endif

/* Adam's update, the same operations at every vector width (simd.h) */
#include "simd.h"

/* Seeded streams of options.seed, one per kind of random choice. */
enum { STREAM_INIT = 0, STREAM_SPLIT = 1, STREAM_SHUFFLE = 2 };
/* Rows per forward pass when evaluating or predicting. */
enum { EVAL_ROWS = 128 };

void classifier_options_default(ClassifierOptions *opt)
{
    *opt = (ClassifierOptions){.hidden1 = 64,
                               .hidden2 = 64,
                               .epochs = 50,
                               .batch = 10,
                               .plateau_patience = 5,
                               .stop_patience = 10,
                               .lr = 1e-3f,
                               .l1 = 1e-4f,
                               .l2 = 1e-4f,
                               .val_share = 0.3,
                               .seed = 0,
                               .portable = false};
}

/* ---------------------------------------------------------------- model */

size_t classifier_n_params(size_t n_in, int k, int hidden1, int hidden2)
{
    if (n_in == 0 || k < 2 || k > KMEANS_MAX_K || hidden1 < 1 || hidden2 < 1 || hidden1 > 65536 ||
        hidden2 > 65536)
        return 0;
    size_t h1 = (size_t)hidden1, h2 = (size_t)hidden2, kk = (size_t)k;
    if (n_in > (SIZE_MAX / sizeof(float) - (1u << 30)) / h1)
        return 0;
    return n_in * h1 + h1 + h1 * h2 + h2 + h2 * kk + kk;
}

static void classifier_bind(Classifier *c)
{
    size_t h1 = (size_t)c->hidden1, h2 = (size_t)c->hidden2;
    c->w1 = c->params;
    c->b1 = c->w1 + c->n_in * h1;
    c->w2 = c->b1 + h1;
    c->b2 = c->w2 + h1 * h2;
    c->w3 = c->b2 + h2;
    c->b3 = c->w3 + h2 * (size_t)c->k;
}

static int classifier_alloc(Classifier *c, size_t n_in, int k, int hidden1, int hidden2)
{
    memset(c, 0, sizeof *c);
    size_t n_params = classifier_n_params(n_in, k, hidden1, hidden2);
    if (n_params == 0)
        return FS_ERROR;
    c->params = malloc(n_params * sizeof *c->params);
    if (!c->params)
        return FS_ERROR;
    c->n_in = n_in;
    c->k = k;
    c->hidden1 = hidden1;
    c->hidden2 = hidden2;
    c->n_params = n_params;
    classifier_bind(c);
    return FS_OK;
}

int classifier_init(Classifier *c, size_t n_in, int k, int hidden1, int hidden2, uint64_t seed)
{
    if (!c)
        return FS_ERROR;
    if (classifier_alloc(c, n_in, k, hidden1, hidden2) != FS_OK)
        return FS_ERROR;
    Rng rng;
    rng_seed_stream(&rng, seed, STREAM_INIT);
    size_t h1 = (size_t)hidden1, h2 = (size_t)hidden2, kk = (size_t)k;
    double bound1 = 1.0 / sqrt((double)n_in), bound2 = 1.0 / sqrt((double)h1),
           bound3 = 1.0 / sqrt((double)h2);
    arrays_fill_uniform(&rng, c->w1, n_in * h1, bound1);
    arrays_fill_uniform(&rng, c->b1, h1, bound1);
    arrays_fill_uniform(&rng, c->w2, h1 * h2, bound2);
    arrays_fill_uniform(&rng, c->b2, h2, bound2);
    arrays_fill_uniform(&rng, c->w3, h2 * kk, bound3);
    arrays_fill_uniform(&rng, c->b3, kk, bound3);
    return FS_OK;
}

int classifier_init_from(Classifier *c, size_t n_in, int k, int hidden1, int hidden2,
                         const float *params, size_t n_params)
{
    if (!c)
        return FS_ERROR;
    memset(c, 0, sizeof *c);
    if (!params || n_params != classifier_n_params(n_in, k, hidden1, hidden2))
        return FS_ERROR;
    if (classifier_alloc(c, n_in, k, hidden1, hidden2) != FS_OK)
        return FS_ERROR;
    memcpy(c->params, params, n_params * sizeof *params);
    return FS_OK;
}

void classifier_free(Classifier *c)
{
    if (!c)
        return;
    free(c->params);
    memset(c, 0, sizeof *c);
}

void classifier_report_free(ClassifierReport *report)
{
    if (!report)
        return;
    free(report->train_loss);
    free(report->train_acc);
    free(report->val_loss);
    free(report->val_acc);
    free(report->lr);
    free(report->confusion);
    free(report->val_rows);
    memset(report, 0, sizeof *report);
}

/* ---------------------------------------------------------------- layers */

/* The layers are hand-written AVX2/FMA loops rather than calls to sgemm: at
 * these shapes (10 rows x 64 units) OpenBLAS's call overhead and its
 * busy-waiting worker threads cost more than the arithmetic (measured: 2.0 s vs
 * 0.2 s for the study's 50 epochs), zero inputs (unrated films, units cut by
 * ReLU) can be skipped, and results do not depend on a BLAS thread count. */

/* y (n) += a x (n) */
static inline void axpy(float *restrict y, float a, const float *restrict x, size_t n)
{
    size_t j = 0;
#ifdef __FMA__
    __m256 va = _mm256_set1_ps(a);
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(y + j,
                         _mm256_fmadd_ps(va, _mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j)));
#endif
    for (; j < n; j++)
        y[j] += a * x[j];
}

/* x (n) . y (n) */
static inline float dot(const float *x, const float *y, size_t n)
{
    size_t j = 0;
    float sum = 0.0f;
#ifdef __FMA__
    __m256 acc = _mm256_setzero_ps();
    for (; j + 8 <= n; j += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j), acc);
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_movehdup_ps(half));
    sum = _mm_cvtss_f32(half);
#endif
    for (; j < n; j++)
        sum += x[j] * y[j];
    return sum;
}

static void column_sums_add(float *db, const float *dout, size_t B, size_t OC)
{
    for (size_t b = 0; b < B; b++)
        axpy(db, 1.0f, dout + b * OC, OC);
}

#ifdef __FMA__
/* out rows r0..r0+3, columns j0..j0+15 = b + x W, kept in 8 registers while
 * the C inputs stream by: 2 loads of W feed 8 FMAs. */
static void linear_forward_block4x16(float *out, const float *inp, const float *w, const float *b,
                                     size_t r0, size_t j0, size_t C, size_t OC)
{
    __m256 acc[4][2];
    for (int r = 0; r < 4; r++) {
        acc[r][0] = _mm256_loadu_ps(b + j0);
        acc[r][1] = _mm256_loadu_ps(b + j0 + 8);
    }
    const float *x0 = inp + r0 * C;
    for (size_t i = 0; i < C; i++) {
        const float *wi = w + i * OC + j0;
        __m256 w0 = _mm256_loadu_ps(wi), w1 = _mm256_loadu_ps(wi + 8);
        for (int r = 0; r < 4; r++) {
            __m256 xr = _mm256_broadcast_ss(x0 + (size_t)r * C + i);
            acc[r][0] = _mm256_fmadd_ps(xr, w0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(xr, w1, acc[r][1]);
        }
    }
    for (int r = 0; r < 4; r++) {
        _mm256_storeu_ps(out + (r0 + (size_t)r) * OC + j0, acc[r][0]);
        _mm256_storeu_ps(out + (r0 + (size_t)r) * OC + j0 + 8, acc[r][1]);
    }
}

/* Lanes j0 .. j0+7 below end, as a mask. */
static inline __m256 lanes_below(size_t j0, size_t end)
{
    __m256i at =
        _mm256_add_epi32(_mm256_set1_epi32((int)j0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)end), at));
}

/* y + a x on the lanes of an axpy's chunk as axpy computes them: a fused
 * multiply-add in its whole 8-wide groups (lanes in fused), a multiply then an
 * add in its tail; and y itself where a is zero (the callers skip zero
 * inputs). */
static inline __m256 axpy_lanes(__m256 y, __m256 a, __m256 x, __m256 fused)
{
    __m256 sum =
        _mm256_blendv_ps(_mm256_add_ps(y, _mm256_mul_ps(a, x)), _mm256_fmadd_ps(a, x, y), fused);
    return _mm256_blendv_ps(y, sum, _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_NEQ_UQ));
}

/* One output row o (OC) = b + x W, skipping zero inputs: the same operations
 * as memcpy and an axpy per nonzero input, 8 outputs at a time in a register. */
static void linear_forward_row(float *o, const float *x, const float *w, const float *b, size_t C,
                               size_t OC)
{
    const size_t fused_end = OC / 8 * 8;
    for (size_t j0 = 0; j0 < OC; j0 += 8) {
        __m256i live = _mm256_castps_si256(lanes_below(j0, OC));
        __m256 fused = lanes_below(j0, fused_end), acc = _mm256_maskload_ps(b + j0, live);
        for (size_t i = 0; i < C; i++)
            acc = axpy_lanes(acc, _mm256_set1_ps(x[i]), _mm256_maskload_ps(w + i * OC + j0, live),
                             fused);
        _mm256_maskstore_ps(o + j0, live, acc);
    }
}

/* The sum of dot(g, w[i0 + lane]) in each lane, col[j] holding the eight
 * w[..][j]: for OC < 8 dot's scalar sum 0 + p0 + p1 + ...; for OC a multiple
 * of 8, its eight partial sums (lane l: fused multiply-adds over j = l, l+8,
 * ...) and their reduction ((s0+s4) + (s2+s6)) + ((s1+s5) + (s3+s7)). */
static __m256 dot_lanes(const float *g, const __m256 *col, size_t OC)
{
    if (OC < 8) {
        __m256 sum = _mm256_setzero_ps();
        for (size_t j = 0; j < OC; j++)
            sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_set1_ps(g[j]), col[j]));
        return sum;
    }
    __m256 s[8];
    for (int l = 0; l < 8; l++)
        s[l] = _mm256_setzero_ps();
    for (size_t j = 0; j < OC; j += 8)
        for (int l = 0; l < 8; l++)
            s[l] = _mm256_fmadd_ps(_mm256_set1_ps(g[j + (size_t)l]), col[j + (size_t)l], s[l]);
    __m256 h0 = _mm256_add_ps(s[0], s[4]), h1 = _mm256_add_ps(s[1], s[5]);
    __m256 h2 = _mm256_add_ps(s[2], s[6]), h3 = _mm256_add_ps(s[3], s[7]);
    return _mm256_add_ps(_mm256_add_ps(h0, h2), _mm256_add_ps(h1, h3));
}

/* dinp[r][i] += dot(dout[r], w[i]) eight inputs i at a time, in dot's own
 * operations (dot_lanes), for OC < 8 or OC a multiple of 8 up to
 * LINEAR_DINP_WIDE; returns the inputs done (the rest are left to dot). */
enum { LINEAR_DINP_WIDE = 64 };
static size_t linear_dinp_lanes(float *dinp, const float *dout, const float *w, size_t B, size_t C,
                                size_t OC)
{
    if (!(OC < 8 || (OC % 8 == 0 && OC <= LINEAR_DINP_WIDE)))
        return 0;
    const __m256i rows =
        _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)OC));
    size_t i0 = 0;
    for (; i0 + 8 <= C; i0 += 8) {
        __m256 col[LINEAR_DINP_WIDE]; /* col[j]: w[i0 .. i0+7][j] */
        for (size_t j = 0; j < OC; j++)
            col[j] = _mm256_i32gather_ps(w + i0 * OC + j, rows, 4);
        for (size_t r = 0; r < B; r++) {
            float *d = dinp + r * C + i0;
            _mm256_storeu_ps(d,
                             _mm256_add_ps(_mm256_loadu_ps(d), dot_lanes(dout + r * OC, col, OC)));
        }
    }
    return i0;
}

/* dw[i] (columns j0..j0+31) += sum over rows of inp[r][i] dout[r] */
static void linear_dw_row32(float *dw_i, const float *dout, const float *inp, size_t i, size_t B,
                            size_t C, size_t OC)
{
    __m256 a0 = _mm256_loadu_ps(dw_i), a1 = _mm256_loadu_ps(dw_i + 8);
    __m256 a2 = _mm256_loadu_ps(dw_i + 16), a3 = _mm256_loadu_ps(dw_i + 24);
    for (size_t r = 0; r < B; r++) {
        float x = inp[r * C + i];
        if (x == 0.0f)
            continue;
        __m256 xr = _mm256_set1_ps(x);
        const float *d = dout + r * OC;
        a0 = _mm256_fmadd_ps(xr, _mm256_loadu_ps(d), a0);
        a1 = _mm256_fmadd_ps(xr, _mm256_loadu_ps(d + 8), a1);
        a2 = _mm256_fmadd_ps(xr, _mm256_loadu_ps(d + 16), a2);
        a3 = _mm256_fmadd_ps(xr, _mm256_loadu_ps(d + 24), a3);
    }
    _mm256_storeu_ps(dw_i, a0);
    _mm256_storeu_ps(dw_i + 8, a1);
    _mm256_storeu_ps(dw_i + 16, a2);
    _mm256_storeu_ps(dw_i + 24, a3);
}
#endif

void clf_linear_forward(float *out, const float *inp, const float *w, const float *b, size_t B,
                        size_t C, size_t OC)
{
    size_t r = 0;
#ifdef __FMA__
    if (OC % 16 == 0)
        for (; r + 4 <= B; r += 4)
            for (size_t j0 = 0; j0 < OC; j0 += 16)
                linear_forward_block4x16(out, inp, w, b, r, j0, C, OC);
#endif
    for (; r < B; r++) { /* the remaining rows, or any OC: skip zero inputs */
        float *o = out + r * OC;
        const float *x = inp + r * C;
#ifdef __FMA__
        linear_forward_row(o, x, w, b, C, OC);
#else
        memcpy(o, b, OC * sizeof *o);
        for (size_t i = 0; i < C; i++)
            if (x[i] != 0.0f)
                axpy(o, x[i], w + i * OC, OC);
#endif
    }
}

void clf_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                         const float *w, size_t B, size_t C, size_t OC)
{
    if (dinp) {
        size_t i0 = 0; /* inputs done eight at a time */
#ifdef __FMA__
        i0 = linear_dinp_lanes(dinp, dout, w, B, C, OC);
#endif
        for (size_t r = 0; r < B; r++)
            for (size_t i = i0; i < C; i++)
                dinp[r * C + i] += dot(dout + r * OC, w + i * OC, OC);
    }
    size_t j0 = 0;
#ifdef __FMA__
    for (; j0 + 32 <= OC; j0 += 32)
        for (size_t i = 0; i < C; i++)
            linear_dw_row32(dw + i * OC + j0, dout + j0, inp, i, B, C, OC);
    /* the columns left: each row i of dw in a register over the rows r, the
     * same operations as an axpy per nonzero input in the loop below */
    const size_t n = OC - j0, fused_end = n / 8 * 8;
    for (size_t i = 0; i < C; i++)
        for (size_t c0 = 0; c0 < n; c0 += 8) {
            __m256i live = _mm256_castps_si256(lanes_below(c0, n));
            __m256 fused = lanes_below(c0, fused_end);
            float *d = dw + i * OC + j0 + c0;
            __m256 acc = _mm256_maskload_ps(d, live);
            for (size_t r = 0; r < B; r++)
                acc = axpy_lanes(acc, _mm256_set1_ps(inp[r * C + i]),
                                 _mm256_maskload_ps(dout + r * OC + j0 + c0, live), fused);
            _mm256_maskstore_ps(d, live, acc);
        }
#else
    for (size_t r = 0; r < B; r++) {
        const float *x = inp + r * C;
        for (size_t i = 0; i < C; i++)
            if (x[i] != 0.0f)
                axpy(dw + i * OC + j0, x[i], dout + r * OC + j0, OC - j0);
    }
#endif
    column_sums_add(db, dout, B, OC);
}

#ifdef SIMD_X86_FMA
/* clf_sparse_linear_forward for OC = 16 NQ: all the outputs in NQ registers
 * over the row's inputs, two rows side by side (independent chains), the
 * same multiply-adds in the same order as the 8-wide loop below. */
static inline __attribute__((always_inline, target("avx512f"))) void
sparse_forward_rows(float *out, const size_t *row_start, const uint32_t *col, const float *value,
                    const uint32_t *rows, size_t B, const float *w, const float *b, const int NQ)
{
    const size_t OC = 16 * (size_t)NQ;
    for (size_t r = 0; r < B; r += 2) {
        const int NR = r + 1 < B ? 2 : 1;
        __m512 acc[2][4];
        size_t e[2], end[2];
        for (int q = 0; q < NR; q++) {
            size_t row = rows ? rows[r + (size_t)q] : r + (size_t)q;
            e[q] = row_start[row];
            end[q] = row_start[row + 1];
            for (int c = 0; c < NQ; c++)
                acc[q][c] = _mm512_loadu_ps(b + 16 * c);
        }
        if (NR == 2)
            for (; e[0] < end[0] && e[1] < end[1]; e[0]++, e[1]++)
                for (int q = 0; q < 2; q++) {
                    __m512 a = _mm512_set1_ps(value[e[q]]);
                    const float *wr = w + (size_t)col[e[q]] * OC;
                    for (int c = 0; c < NQ; c++)
                        acc[q][c] = _mm512_fmadd_ps(a, _mm512_loadu_ps(wr + 16 * c), acc[q][c]);
                }
        for (int q = 0; q < NR; q++) {
            for (; e[q] < end[q]; e[q]++) {
                __m512 a = _mm512_set1_ps(value[e[q]]);
                const float *wr = w + (size_t)col[e[q]] * OC;
                for (int c = 0; c < NQ; c++)
                    acc[q][c] = _mm512_fmadd_ps(a, _mm512_loadu_ps(wr + 16 * c), acc[q][c]);
            }
            for (int c = 0; c < NQ; c++)
                _mm512_storeu_ps(out + (r + (size_t)q) * OC + 16 * c, acc[q][c]);
        }
    }
}

__attribute__((target("avx512f"))) static bool
sparse_forward_avx512(float *out, const size_t *row_start, const uint32_t *col, const float *value,
                      const uint32_t *rows, size_t B, const float *w, const float *b, size_t OC)
{
    switch (OC) {
    case 16: sparse_forward_rows(out, row_start, col, value, rows, B, w, b, 1); return true;
    case 32: sparse_forward_rows(out, row_start, col, value, rows, B, w, b, 2); return true;
    case 48: sparse_forward_rows(out, row_start, col, value, rows, B, w, b, 3); return true;
    case 64: sparse_forward_rows(out, row_start, col, value, rows, B, w, b, 4); return true;
    default: return false;
    }
}
#endif

void clf_sparse_linear_forward(float *out, const size_t *row_start, const uint32_t *col,
                               const float *value, const uint32_t *rows, size_t B, const float *w,
                               const float *b, size_t OC)
{
#ifdef SIMD_X86_FMA /* the 8-wide loop below fuses its multiply-adds only then */
    if (__builtin_cpu_supports("avx512f") &&
        sparse_forward_avx512(out, row_start, col, value, rows, B, w, b, OC))
        return;
#endif
    for (size_t r = 0; r < B; r++) {
        size_t row = rows ? rows[r] : r, j0 = 0;
        float *o = out + r * OC;
#ifdef __FMA__
        /* 32 outputs at a time in registers over the row's inputs: the same
         * multiply-adds as axpy's, in the same order */
        for (; j0 + 32 <= OC; j0 += 32) {
            __m256 acc[4];
            for (int q = 0; q < 4; q++)
                acc[q] = _mm256_loadu_ps(b + j0 + 8 * q);
            for (size_t e = row_start[row]; e < row_start[row + 1]; e++) {
                __m256 a = _mm256_set1_ps(value[e]);
                const float *wr = w + (size_t)col[e] * OC + j0;
                for (int q = 0; q < 4; q++)
                    acc[q] = _mm256_fmadd_ps(a, _mm256_loadu_ps(wr + 8 * q), acc[q]);
            }
            for (int q = 0; q < 4; q++)
                _mm256_storeu_ps(o + j0 + 8 * q, acc[q]);
        }
#endif
        if (j0 == OC)
            continue;
        memcpy(o + j0, b + j0, (OC - j0) * sizeof *o);
        for (size_t e = row_start[row]; e < row_start[row + 1]; e++)
            axpy(o + j0, value[e], w + (size_t)col[e] * OC + j0, OC - j0);
    }
}

void clf_sparse_linear_backward(float *dw, float *db, const float *dout, const size_t *row_start,
                                const uint32_t *col, const float *value, const uint32_t *rows,
                                size_t B, size_t OC)
{
    for (size_t r = 0; r < B; r++) {
        size_t row = rows ? rows[r] : r;
        const float *d = dout + r * OC;
        for (size_t e = row_start[row]; e < row_start[row + 1]; e++)
            axpy(dw + (size_t)col[e] * OC, value[e], d, OC);
    }
    column_sums_add(db, dout, B, OC);
}

void clf_relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void clf_relu_backward(float *dinp, const float *out, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
}

double clf_softmax_xent_forward(float *probs, const float *logits, const int32_t *labels, size_t B,
                                size_t K, size_t *correct)
{
    double loss = 0.0;
    size_t right = 0;
    for (size_t r = 0; r < B; r++) {
        const float *z = logits + r * K;
        float *p = probs + r * K;
        size_t arg = 0;
        for (size_t j = 1; j < K; j++)
            if (z[j] > z[arg])
                arg = j;
        double max = z[arg], sum = 1.0; /* exp(z[arg] - max) */
        for (size_t j = 0; j < K; j++)
            if (j != arg)
                sum += exp((double)z[j] - max);
        for (size_t j = 0; j < K; j++)
            p[j] = (float)(exp((double)z[j] - max) / sum);
        size_t y = (size_t)labels[r];
        loss += log(sum) + max - (double)z[y];
        right += arg == y;
    }
    if (correct)
        *correct = right;
    return loss;
}

void clf_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *labels, size_t B,
                               size_t K, float scale)
{
    for (size_t r = 0; r < B; r++) {
        for (size_t j = 0; j < K; j++)
            dlogits[r * K + j] +=
                scale * (probs[r * K + j] - (j == (size_t)labels[r] ? 1.0f : 0.0f));
    }
}

double clf_penalty_forward(const float *params, size_t n, float l1, float l2)
{
    double abs_sum = 0.0, sq_sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        abs_sum += fabs((double)params[i]);
        sq_sum += (double)params[i] * params[i];
    }
    return l1 * abs_sum + l2 * sq_sum;
}

void clf_penalty_backward(float *grads, const float *params, size_t n, float l1, float l2)
{
    const float two_l2 = 2.0f * l2;
    size_t i = 0;
#ifdef __AVX__
    /* l1 sign(p) = (p > 0 ? l1 : 0) - (p < 0 ? l1 : 0), without branches */
    const __m256 vl1 = _mm256_set1_ps(l1), v2l2 = _mm256_set1_ps(two_l2),
                 zero = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) {
        __m256 p = _mm256_loadu_ps(params + i);
        __m256 pos = _mm256_and_ps(_mm256_cmp_ps(p, zero, _CMP_GT_OQ), vl1);
        __m256 neg = _mm256_and_ps(_mm256_cmp_ps(p, zero, _CMP_LT_OQ), vl1);
        _mm256_storeu_ps(grads + i, _mm256_add_ps(_mm256_sub_ps(pos, neg), _mm256_mul_ps(v2l2, p)));
    }
#endif
    for (; i < n; i++) {
        float p = params[i];
        float sign = p > 0.0f ? 1.0f : (p < 0.0f ? -1.0f : 0.0f);
        grads[i] = l1 * sign + two_l2 * p;
    }
}

/* ---------------------------------------------------------------- passes */

/* The rows as the first layer sees them: dense (n, n_in), plus a CSR copy when
 * they are mostly zeros (then the first layer costs O(nonzeros x hidden1)). */
typedef struct {
    const float *x;
    size_t n, n_in;
    size_t *row_start; /* (n+1) or NULL: dense */
    uint32_t *col;
    float *value;
    bool borrowed; /* the CSR arrays are the caller's (classifier_train_csr) */
} Inputs;

static void inputs_free(Inputs *in)
{
    if (in->borrowed)
        return;
    free(in->row_start);
    free(in->col);
    free(in->value);
    in->row_start = NULL;
    in->col = NULL;
    in->value = NULL;
}

/* Builds the CSR copy when at most a quarter of the cells are nonzero.
 * Returns FS_OK (sparse or not) or FS_ERROR (out of memory). */
static int inputs_make_sparse(Inputs *in)
{
    size_t cells = in->n * in->n_in, nnz = 0;
    for (size_t i = 0; i < cells; i++)
        nnz += in->x[i] != 0.0f;
    if (nnz > cells / 4 || in->n_in > UINT32_MAX)
        return FS_OK;
    in->row_start = malloc((in->n + 1) * sizeof *in->row_start);
    in->col = malloc((nnz ? nnz : 1) * sizeof *in->col);
    in->value = malloc((nnz ? nnz : 1) * sizeof *in->value);
    if (!in->row_start || !in->col || !in->value) {
        inputs_free(in);
        return FS_ERROR;
    }
    size_t e = 0;
    for (size_t r = 0; r < in->n; r++) {
        in->row_start[r] = e;
        const float *row = in->x + r * in->n_in;
        for (size_t j = 0; j < in->n_in; j++)
            if (row[j] != 0.0f) {
                in->col[e] = (uint32_t)j;
                in->value[e++] = row[j];
            }
    }
    in->row_start[in->n] = e;
    return FS_OK;
}

/* Activations and their gradients for up to `cap` rows. */
typedef struct {
    size_t cap;
    float *xb;                                     /* (cap, n_in) gathered dense rows */
    float *pre1, *h1, *pre2, *h2, *logits, *probs; /* (cap, H1) (cap, H1) (cap, H2) .. (cap, K) */
    float *dh1, *dpre1, *dh2, *dpre2, *dlogits;
    int32_t *yb; /* (cap) labels of the rows */
    /* the rows of the last forward pass, for the first layer's backward */
    const float *inp1;
    const uint32_t *rows;
    size_t first;
} Workspace;

static void workspace_free(Workspace *w)
{
    free(w->xb);
    free(w->pre1);
    free(w->yb);
    memset(w, 0, sizeof *w);
}

static int workspace_alloc(Workspace *w, const Classifier *c, size_t cap, bool dense)
{
    memset(w, 0, sizeof *w);
    size_t h1 = (size_t)c->hidden1, h2 = (size_t)c->hidden2, k = (size_t)c->k;
    w->cap = cap;
    w->xb = dense ? malloc(cap * c->n_in * sizeof *w->xb) : NULL;
    /* one block for the small per-layer buffers */
    w->pre1 = malloc(cap * (4 * h1 + 4 * h2 + 3 * k) * sizeof *w->pre1);
    w->yb = malloc(cap * sizeof *w->yb);
    if ((dense && !w->xb) || !w->pre1 || !w->yb) {
        workspace_free(w);
        return FS_ERROR;
    }
    w->h1 = w->pre1 + cap * h1;
    w->dh1 = w->h1 + cap * h1;
    w->dpre1 = w->dh1 + cap * h1;
    w->pre2 = w->dpre1 + cap * h1;
    w->h2 = w->pre2 + cap * h2;
    w->dh2 = w->h2 + cap * h2;
    w->dpre2 = w->dh2 + cap * h2;
    w->logits = w->dpre2 + cap * h2;
    w->probs = w->logits + cap * k;
    w->dlogits = w->probs + cap * k;
    return FS_OK;
}

/* Forward pass of B rows: rows[0..B) of in, or rows first..first+B-1 when rows
 * is NULL. Leaves w->probs (B, K) and the labels (when given) in w->yb. */
static void forward(Workspace *w, const Classifier *c, const Inputs *in, const uint32_t *rows,
                    size_t first, size_t B, const int32_t *labels)
{
    size_t h1 = (size_t)c->hidden1, h2 = (size_t)c->hidden2, k = (size_t)c->k;
    w->rows = rows;
    w->first = first;
    if (in->row_start) {
        clf_sparse_linear_forward(w->pre1, rows ? in->row_start : in->row_start + first, in->col,
                                  in->value, rows, B, c->w1, c->b1, h1);
    } else {
        if (rows) {
            for (size_t r = 0; r < B; r++)
                memcpy(w->xb + r * in->n_in, in->x + (size_t)rows[r] * in->n_in,
                       in->n_in * sizeof *w->xb);
            w->inp1 = w->xb;
        } else {
            w->inp1 = in->x + first * in->n_in;
        }
        clf_linear_forward(w->pre1, w->inp1, c->w1, c->b1, B, in->n_in, h1);
    }
    clf_relu_forward(w->h1, w->pre1, B * h1);
    clf_linear_forward(w->pre2, w->h1, c->w2, c->b2, B, h1, h2);
    clf_relu_forward(w->h2, w->pre2, B * h2);
    clf_linear_forward(w->logits, w->h2, c->w3, c->b3, B, h2, k);
    if (labels)
        for (size_t r = 0; r < B; r++)
            w->yb[r] = labels[rows ? rows[r] : first + r];
}

/* Backward pass of the last forward's B rows from the cross-entropy (mean over
 * the rows): accumulates into grads (laid out like c->params); with sparse
 * inputs and first_weights false, all but the first layer's weights (left to
 * first_layer_step). */
static void backward(Workspace *w, const Classifier *c, const Inputs *in, size_t B, float *grads,
                     bool first_weights)
{
    size_t h1 = (size_t)c->hidden1, h2 = (size_t)c->hidden2, k = (size_t)c->k;
    /* gradient pointers: same offsets as the parameters */
    float *dw1 = grads + (c->w1 - c->params), *db1 = grads + (c->b1 - c->params);
    float *dw2 = grads + (c->w2 - c->params), *db2 = grads + (c->b2 - c->params);
    float *dw3 = grads + (c->w3 - c->params), *db3 = grads + (c->b3 - c->params);
    memset(w->dlogits, 0, B * k * sizeof *w->dlogits);
    memset(w->dh2, 0, B * h2 * sizeof *w->dh2);
    memset(w->dpre2, 0, B * h2 * sizeof *w->dpre2);
    memset(w->dh1, 0, B * h1 * sizeof *w->dh1);
    memset(w->dpre1, 0, B * h1 * sizeof *w->dpre1);
    clf_softmax_xent_backward(w->dlogits, w->probs, w->yb, B, k, 1.0f / (float)B);
    clf_linear_backward(w->dh2, dw3, db3, w->dlogits, w->h2, c->w3, B, h2, k);
    clf_relu_backward(w->dpre2, w->h2, w->dh2, B * h2);
    clf_linear_backward(w->dh1, dw2, db2, w->dpre2, w->h1, c->w2, B, h1, h2);
    clf_relu_backward(w->dpre1, w->h1, w->dh1, B * h1);
    if (in->row_start && !first_weights)
        column_sums_add(db1, w->dpre1, B, h1);
    else if (in->row_start)
        clf_sparse_linear_backward(dw1, db1, w->dpre1,
                                   w->rows ? in->row_start : in->row_start + w->first, in->col,
                                   in->value, w->rows, B, h1);
    else
        clf_linear_backward(NULL, dw1, db1, w->dpre1, w->inp1, c->w1, B, in->n_in, h1);
}

/* Cross-entropy (mean), accuracy and confusion (may be NULL, (k,k) added to) of
 * n rows (rows[0..n), or 0..n-1 when rows is NULL). */
static void evaluate_rows(Workspace *w, const Classifier *c, const Inputs *in, const uint32_t *rows,
                          size_t n, const int32_t *labels, double *loss, double *accuracy,
                          int *confusion)
{
    size_t k = (size_t)c->k;
    double sum = 0.0;
    size_t right = 0;
    for (size_t at = 0; at < n; at += w->cap) {
        size_t B = n - at < w->cap ? n - at : w->cap;
        forward(w, c, in, rows ? rows + at : NULL, at, B, labels);
        size_t correct;
        sum += clf_softmax_xent_forward(w->probs, w->logits, w->yb, B, k, &correct);
        right += correct;
        if (confusion)
            for (size_t r = 0; r < B; r++) {
                const float *z = w->logits + r * k;
                size_t arg = 0;
                for (size_t j = 1; j < k; j++)
                    if (z[j] > z[arg])
                        arg = j;
                confusion[(size_t)w->yb[r] * k + arg]++;
            }
    }
    *loss = n ? sum / (double)n : NAN;
    *accuracy = n ? (double)right / (double)n : NAN;
}

/* ---------------------------------------------------------------- checks */

bool classifier_options_valid(const ClassifierOptions *o)
{
    return o->hidden1 >= 1 && o->hidden2 >= 1 && o->epochs >= 1 && o->batch >= 1 &&
           o->batch <= 1 << 20 && o->plateau_patience >= 0 && o->stop_patience >= 0 &&
           isfinite(o->lr) && o->lr > 0.0f && isfinite(o->l1) && o->l1 >= 0.0f && isfinite(o->l2) &&
           o->l2 >= 0.0f && o->val_share >= 0.0 && o->val_share < 1.0;
}

/* ---------------------------------------------------------------- training */

/* Stratified split: in each segment, round(share * size) shuffled rows (at
 * most size - 1) go to validation. Both lists come out ascending. */
static void split_rows(const int32_t *labels, size_t n, int k, double share, uint64_t seed,
                       uint32_t *train, size_t *n_train, uint32_t *val, size_t *n_val,
                       uint32_t *scratch, bool *is_val)
{
    Rng rng;
    rng_seed_stream(&rng, seed, STREAM_SPLIT);
    memset(is_val, 0, n * sizeof *is_val);
    for (int s = 0; s < k; s++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (labels[i] == s)
                scratch[m++] = (uint32_t)i;
        if (m == 0)
            continue;
        rng_shuffle_u32(&rng, scratch, m);
        size_t take = (size_t)floor(share * (double)m + 0.5);
        if (take > m - 1)
            take = m - 1;
        for (size_t i = 0; i < take; i++)
            is_val[scratch[i]] = true;
    }
    *n_train = *n_val = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_val[i])
            val[(*n_val)++] = (uint32_t)i;
        else
            train[(*n_train)++] = (uint32_t)i;
    }
}

void lr_plateau_init(LrPlateau *p, double lr, int patience)
{
    p->lr = lr;
    p->best = INFINITY;
    p->patience = patience;
    p->bad_epochs = 0;
}

bool lr_plateau_step(LrPlateau *p, double val_loss)
{
    if (val_loss < p->best * (1.0 - 1e-4)) {
        p->best = val_loss;
        p->bad_epochs = 0;
    } else {
        p->bad_epochs++;
    }
    if (p->bad_epochs > p->patience) {
        p->bad_epochs = 0;
        double cut = p->lr * 0.1;
        if (p->lr - cut > 1e-8) {
            p->lr = cut;
            return true;
        }
    }
    return false;
}

/* Everything one training run owns besides the model and the report. */
typedef struct {
    Inputs in;
    Workspace batch_ws, eval_ws;
    Adam adam;
    float *grads, *best_params;
    uint32_t *train, *val, *scratch;
    bool *is_val;
    RowSet w1_rows; /* sparse inputs: the first-layer rows a batch touches */
    /* and the batch's inputs of each (first_layer_step): the entries of
     * w1_rows.rows[s] are w1_start[s] .. w1_start[s+1], each a batch row and
     * its input, rows in batch order */
    uint32_t *w1_slot;  /* (n_in) a touched row's place in w1_rows.rows */
    uint32_t *w1_start; /* (n_in + 1) */
    uint32_t *w1_fill;  /* (n_in) scratch */
    uint32_t *w1_entry_row;
    float *w1_entry_value; /* (w1_cap) */
    size_t w1_cap;
} Trainer;

static void trainer_free(Trainer *t)
{
    inputs_free(&t->in);
    workspace_free(&t->batch_ws);
    workspace_free(&t->eval_ws);
    adam_free(&t->adam);
    free(t->grads);
    free(t->best_params);
    free(t->train);
    free(t->val);
    free(t->scratch);
    free(t->is_val);
    rowset_free(&t->w1_rows);
    free(t->w1_slot);
    free(t->w1_start);
    free(t->w1_fill);
    free(t->w1_entry_row);
    free(t->w1_entry_value);
    memset(t, 0, sizeof *t);
}

static int report_alloc(ClassifierReport *r, int epochs, int k, size_t n_val)
{
    memset(r, 0, sizeof *r);
    size_t e = (size_t)epochs;
    r->train_loss = malloc(e * sizeof *r->train_loss);
    r->train_acc = malloc(e * sizeof *r->train_acc);
    r->val_loss = malloc(e * sizeof *r->val_loss);
    r->val_acc = malloc(e * sizeof *r->val_acc);
    r->lr = malloc(e * sizeof *r->lr);
    r->confusion = calloc((size_t)k * (size_t)k, sizeof *r->confusion);
    r->val_rows = malloc((n_val ? n_val : 1) * sizeof *r->val_rows);
    r->k = k;
    r->val_accuracy = NAN;
    if (!r->train_loss || !r->train_acc || !r->val_loss || !r->val_acc || !r->lr || !r->confusion ||
        !r->val_rows) {
        classifier_report_free(r);
        return FS_ERROR;
    }
    return FS_OK;
}

/* Whether first_layer_step (AVX-512) takes a first layer this wide here. */
static bool fused_first_layer(size_t h1)
{
#ifdef SIMD_X86_FMA /* the portable code fuses its multiply-adds (simd.h) */
    return h1 % 16 == 0 && __builtin_cpu_supports("avx512f");
#else
    (void)h1;
    return false;
#endif
}

#ifdef SIMD_X86
/* NC chunks of 16 units of a first-layer row p (moments m, v) from unit j0
 * on: the penalty's gradient, the batch's entries q0 .. q1 in order, Adam. */
static inline __attribute__((always_inline, target("avx512f"))) void
first_layer_chunks(const Trainer *t, const ClassifierOptions *opt, const AdamCoef *k, float *p,
                   float *m, float *v, size_t h1, size_t j0, uint32_t q0, uint32_t q1,
                   const float *dpre1, const int NC)
{
    const __m512 l1 = _mm512_set1_ps(opt->l1), two_l2 = _mm512_set1_ps(2.0f * opt->l2),
                 zero = _mm512_setzero_ps();
    __m512 g[4], pj[4];
    for (int c = 0; c < NC; c++) {
        pj[c] = _mm512_loadu_ps(p + j0 + 16 * (size_t)c);
        __m512 pos = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(pj[c], zero, _CMP_GT_OQ), l1);
        __m512 neg = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(pj[c], zero, _CMP_LT_OQ), l1);
        g[c] = _mm512_add_ps(_mm512_sub_ps(pos, neg), _mm512_mul_ps(two_l2, pj[c]));
    }
    for (uint32_t q = q0; q < q1; q++) {
        __m512 a = _mm512_set1_ps(t->w1_entry_value[q]);
        const float *d = dpre1 + t->w1_entry_row[q] * h1 + j0;
        for (int c = 0; c < NC; c++)
            g[c] = _mm512_fmadd_ps(a, _mm512_loadu_ps(d + 16 * c), g[c]);
    }
    for (int c = 0; c < NC; c++) {
        size_t at = j0 + 16 * (size_t)c;
        __m512 mj = _mm512_loadu_ps(m + at), vj = _mm512_loadu_ps(v + at);
        _mm512_storeu_ps(p + at, adam_ps512(k, pj[c], g[c], &mj, &vj));
        _mm512_storeu_ps(m + at, mj);
        _mm512_storeu_ps(v + at, vj);
    }
}

/* Sparse inputs, after adam_begin_step: each first-layer row the batch
 * touched moves by its own gradient in one pass while in registers, up to 64
 * units at a time: the L1 + L2 penalty's (as clf_penalty_backward), plus the
 * batch's inputs times dpre1 in batch order (as clf_sparse_linear_backward),
 * then Adam (as adam_update): the same operations, so the same bits, without
 * the gradient rows' round trips through memory. h1 % 16 == 0. */
__attribute__((target("avx512f"))) static void first_layer_step(Trainer *t, Classifier *c,
                                                                const ClassifierOptions *opt,
                                                                const uint32_t *rows, size_t B,
                                                                const float *dpre1)
{
    size_t h1 = (size_t)c->hidden1;
    const RowSet *used = &t->w1_rows;
    const Inputs *in = &t->in;
    memset(t->w1_start, 0, (used->n_rows + 1) * sizeof *t->w1_start);
    for (size_t r = 0; r < B; r++)
        for (size_t e = in->row_start[rows[r]]; e < in->row_start[rows[r] + 1]; e++)
            t->w1_start[t->w1_slot[in->col[e]] + 1]++;
    for (size_t s = 0; s < used->n_rows; s++)
        t->w1_start[s + 1] += t->w1_start[s];
    memcpy(t->w1_fill, t->w1_start, used->n_rows * sizeof *t->w1_fill);
    for (size_t r = 0; r < B; r++)
        for (size_t e = in->row_start[rows[r]]; e < in->row_start[rows[r] + 1]; e++) {
            uint32_t at = t->w1_fill[t->w1_slot[in->col[e]]]++;
            t->w1_entry_row[at] = (uint32_t)r;
            t->w1_entry_value[at] = in->value[e];
        }
    AdamCoef k = adam_coef(&t->adam);
    for (size_t s = 0; s < used->n_rows; s++) {
        size_t at = (size_t)used->rows[s] * h1;
        float *p = c->params + at, *m = t->adam.m + at, *v = t->adam.v + at;
        uint32_t q0 = t->w1_start[s], q1 = t->w1_start[s + 1];
        for (size_t j0 = 0; j0 < h1; j0 += 64)
            switch ((h1 - j0) / 16) {
            case 1: first_layer_chunks(t, opt, &k, p, m, v, h1, j0, q0, q1, dpre1, 1); break;
            case 2: first_layer_chunks(t, opt, &k, p, m, v, h1, j0, q0, q1, dpre1, 2); break;
            case 3: first_layer_chunks(t, opt, &k, p, m, v, h1, j0, q0, q1, dpre1, 3); break;
            default: first_layer_chunks(t, opt, &k, p, m, v, h1, j0, q0, q1, dpre1, 4); break;
            }
    }
}
#endif

/* One mini-batch: forward, penalty + cross-entropy gradient, Adam step at lr.
 * Returns the batch's summed cross-entropy; *correct gets its right rows. */
static double train_batch(Trainer *t, Classifier *c, const ClassifierOptions *opt,
                          const uint32_t *rows, size_t B, const int32_t *labels, float lr,
                          size_t *correct)
{
    Workspace *w = &t->batch_ws;
    forward(w, c, &t->in, rows, 0, B, labels);
    double loss = clf_softmax_xent_forward(w->probs, w->logits, w->yb, B, (size_t)c->k, correct);
    t->adam.lr = lr;
    if (!t->in.row_start) {
        clf_penalty_backward(t->grads, c->params, c->n_params, opt->l1, opt->l2);
        backward(w, c, &t->in, B, t->grads, true);
        adam_step(&t->adam, c->params, t->grads);
        return loss;
    }
    /* sparse inputs: the first layer's rows whose input is zero in every row
     * of the batch are left as they are (lazy Adam, penalties included), so a
     * batch costs its nonzeros x hidden1, not inputs x hidden1 */
    size_t h1 = (size_t)c->hidden1;
    RowSet *used = &t->w1_rows;
    rowset_empty(used);
    for (size_t r = 0; r < B; r++)
        for (size_t e = t->in.row_start[rows[r]]; e < t->in.row_start[rows[r] + 1]; e++)
            if (rowset_add(used, t->in.col[e]))
                t->w1_slot[t->in.col[e]] = (uint32_t)(used->n_rows - 1);
    size_t rest = (size_t)(c->b1 - c->params); /* b1 onwards: every step */
    clf_penalty_backward(t->grads + rest, c->params + rest, c->n_params - rest, opt->l1, opt->l2);
#ifdef SIMD_X86
    if (fused_first_layer(h1) && !opt->portable) {
        backward(w, c, &t->in, B, t->grads, false);
        adam_begin_step(&t->adam);
        first_layer_step(t, c, opt, rows, B, w->dpre1);
        adam_update(&t->adam, c->params, t->grads, rest, c->n_params - rest);
        return loss;
    }
#endif
    for (size_t i = 0; i < used->n_rows; i++)
        clf_penalty_backward(t->grads + used->rows[i] * h1, c->params + used->rows[i] * h1, h1,
                             opt->l1, opt->l2);
    backward(w, c, &t->in, B, t->grads, true);
    adam_begin_step(&t->adam);
    adam_update_rows(&t->adam, c->params, t->grads, 0, used->rows, used->n_rows, h1);
    adam_update(&t->adam, c->params, t->grads, rest, c->n_params - rest);
    return loss;
}

/* The training loop proper; c and report are allocated, t is set up. */
static int train_epochs(Trainer *t, Classifier *c, const int32_t *labels,
                        const ClassifierOptions *opt, const Progress *progress, ClassifierReport *r)
{
    Rng rng;
    rng_seed_stream(&rng, opt->seed, STREAM_SHUFFLE);
    LrPlateau plateau;
    lr_plateau_init(&plateau, opt->lr, opt->plateau_patience);
    double best = INFINITY;
    int bad = 0;
    size_t batch = (size_t)opt->batch;
    for (int epoch = 1; epoch <= opt->epochs; epoch++) {
        if (progress_cancelled(progress))
            return FS_CANCELLED;
        float lr = (float)plateau.lr;
        rng_shuffle_u32(&rng, t->train, r->n_train);
        double loss_sum = 0.0;
        size_t right = 0;
        for (size_t at = 0; at < r->n_train; at += batch) {
            size_t B = r->n_train - at < batch ? r->n_train - at : batch, correct;
            loss_sum += train_batch(t, c, opt, t->train + at, B, labels, lr, &correct);
            right += correct;
            if (progress_cancelled(progress))
                return FS_CANCELLED;
        }
        size_t e = (size_t)epoch - 1;
        r->train_loss[e] = loss_sum / (double)r->n_train;
        r->train_acc[e] = (double)right / (double)r->n_train;
        r->lr[e] = lr;
        evaluate_rows(&t->eval_ws, c, &t->in, t->val, r->n_val, labels, &r->val_loss[e],
                      &r->val_acc[e], NULL);
        r->epochs_run = epoch;
        ProgressEvent ev = {.stage = STAGE_CLASSIFIER,
                            .step = epoch,
                            .steps = opt->epochs,
                            .loss = r->train_loss[e],
                            .val_loss = r->val_loss[e],
                            .metric = r->train_acc[e],
                            .val_metric = r->val_acc[e]};
        progress_report(progress, &ev);
        if (progress_cancelled(progress)) /* the last epoch's too, as the autoencoder */
            return FS_CANCELLED;
        if (r->n_val == 0) {
            r->best_epoch = epoch;
            continue;
        }
        if (r->val_loss[e] < best) {
            best = r->val_loss[e];
            bad = 0;
            r->best_epoch = epoch;
            memcpy(t->best_params, c->params, c->n_params * sizeof *c->params);
        } else {
            bad++;
        }
        lr_plateau_step(&plateau, r->val_loss[e]);
        if (opt->stop_patience > 0 && bad >= opt->stop_patience)
            break;
    }
    if (r->n_val > 0 && r->best_epoch > 0)
        memcpy(c->params, t->best_params, c->n_params * sizeof *c->params);
    if (r->n_val > 0) {
        double loss;
        evaluate_rows(&t->eval_ws, c, &t->in, t->val, r->n_val, labels, &loss, &r->val_accuracy,
                      r->confusion);
    }
    return FS_OK;
}

static int train_inputs(Classifier *c, Inputs in, const int32_t *labels, int k,
                        const ClassifierOptions *opt, const Progress *progress,
                        ClassifierReport *report)
{
    size_t n = in.n, n_in = in.n_in;
    Trainer t;
    memset(&t, 0, sizeof t);
    t.in = in;
    ClassifierReport r;
    memset(&r, 0, sizeof r);
    int status = FS_ERROR;
    t.train = malloc(n * sizeof *t.train);
    t.val = malloc(n * sizeof *t.val);
    t.scratch = malloc(n * sizeof *t.scratch);
    t.is_val = malloc(n * sizeof *t.is_val);
    if (!t.train || !t.val || !t.scratch || !t.is_val)
        goto done;
    size_t n_train, n_val;
    split_rows(labels, n, k, opt->val_share, opt->seed, t.train, &n_train, t.val, &n_val, t.scratch,
               t.is_val);
    if (n_train == 0 || (opt->val_share > 0.0 && n_val == 0))
        goto done; /* too few rows for the split */
    if (report_alloc(&r, opt->epochs, k, n_val) != FS_OK)
        goto done;
    r.n_train = n_train;
    r.n_val = n_val;
    memcpy(r.val_rows, t.val, n_val * sizeof *t.val);

    if (classifier_init(c, n_in, k, opt->hidden1, opt->hidden2, opt->seed) != FS_OK)
        goto done;
    if (!t.in.row_start && inputs_make_sparse(&t.in) != FS_OK)
        goto done;
    bool dense = t.in.row_start == NULL;
    size_t eval_rows = n_val < EVAL_ROWS ? (n_val ? n_val : 1) : EVAL_ROWS;
    if (workspace_alloc(&t.batch_ws, c, (size_t)opt->batch < n ? (size_t)opt->batch : n, dense) !=
            FS_OK ||
        workspace_alloc(&t.eval_ws, c, eval_rows, dense) != FS_OK ||
        adam_init(&t.adam, c->n_params, opt->lr) != 0)
        goto done;
    t.grads = malloc(c->n_params * sizeof *t.grads);
    t.best_params = malloc(c->n_params * sizeof *t.best_params);
    if (!t.grads || !t.best_params)
        goto done;
    if (!dense) {
        size_t most = 0; /* a batch's inputs: at most its rows x the fullest row */
        for (size_t i = 0; i < n; i++) {
            size_t m = t.in.row_start[i + 1] - t.in.row_start[i];
            most = m > most ? m : most;
        }
        t.w1_cap = (size_t)opt->batch * most + 1;
        t.w1_slot = malloc(n_in * sizeof *t.w1_slot);
        t.w1_start = malloc((n_in + 1) * sizeof *t.w1_start);
        t.w1_fill = malloc(n_in * sizeof *t.w1_fill);
        t.w1_entry_row = malloc(t.w1_cap * sizeof *t.w1_entry_row);
        t.w1_entry_value = malloc(t.w1_cap * sizeof *t.w1_entry_value);
        if (rowset_init(&t.w1_rows, n_in) != 0 || !t.w1_slot || !t.w1_start || !t.w1_fill ||
            !t.w1_entry_row || !t.w1_entry_value)
            goto done;
    }
    status = train_epochs(&t, c, labels, opt, progress, &r);

done:
    trainer_free(&t);
    if (status != FS_OK) {
        classifier_free(c);
        classifier_report_free(&r);
    } else if (report) {
        *report = r;
    } else {
        classifier_report_free(&r);
    }
    return status;
}

/* What both entry points check and do first: outputs zeroed, options (the
 * defaults when opt is NULL, copied to *defaults) and the arguments the two
 * share. Returns the options to use, or NULL on bad arguments. */
static const ClassifierOptions *begin_training(Classifier *c, ClassifierReport *report,
                                               const ClassifierOptions *opt,
                                               ClassifierOptions *defaults, size_t n, size_t n_in,
                                               const int32_t *labels, int k)
{
    if (c)
        memset(c, 0, sizeof *c);
    if (report)
        memset(report, 0, sizeof *report);
    if (!opt) {
        classifier_options_default(defaults);
        opt = defaults;
    }
    if (!c || !labels || n < 2 || n > UINT32_MAX || n_in == 0 || n_in > UINT32_MAX || k < 2 ||
        k > KMEANS_MAX_K || !classifier_options_valid(opt) || !arrays_labels_in_range(labels, n, k))
        return NULL;
    return opt;
}

int classifier_train(Classifier *c, const float *x, size_t n, size_t n_in, const int32_t *labels,
                     int k, const ClassifierOptions *opt, const Progress *progress,
                     ClassifierReport *report)
{
    ClassifierOptions defaults;
    opt = begin_training(c, report, opt, &defaults, n, n_in, labels, k);
    if (!opt || !x || n > SIZE_MAX / sizeof(float) / n_in || !arrays_all_finite(x, n * n_in))
        return FS_ERROR;
    return train_inputs(c, (Inputs){x, n, n_in, NULL, NULL, NULL, false}, labels, k, opt, progress,
                        report);
}

int classifier_train_csr(Classifier *c, const size_t *row_start, const uint32_t *col,
                         const float *value, size_t n, size_t n_in, const int32_t *labels, int k,
                         const ClassifierOptions *opt, const Progress *progress,
                         ClassifierReport *report)
{
    ClassifierOptions defaults;
    opt = begin_training(c, report, opt, &defaults, n, n_in, labels, k);
    if (!opt || !row_start || !col || !value || row_start[0] != 0)
        return FS_ERROR;
    for (size_t r = 0; r < n; r++) {
        if (row_start[r + 1] < row_start[r])
            return FS_ERROR;
        for (size_t e = row_start[r]; e < row_start[r + 1]; e++)
            if (col[e] >= n_in || !isfinite(value[e]))
                return FS_ERROR;
    }
    /* the CSR arrays are only read: the const is cast away for the shared struct */
    return train_inputs(
        c, (Inputs){NULL, n, n_in, (size_t *)row_start, (uint32_t *)col, (float *)value, true},
        labels, k, opt, progress, report);
}

/* ---------------------------------------------------------------- prediction */

static int argmax(const float *p, int k)
{
    int arg = 0;
    for (int j = 1; j < k; j++)
        if (p[j] > p[arg])
            arg = j;
    return arg;
}

int classifier_predict_proba(const Classifier *c, const float *row, float *proba)
{
    if (!c || !c->params || !row || !proba)
        return -1;
    size_t h1 = (size_t)c->hidden1, h2 = (size_t)c->hidden2, k = (size_t)c->k;
    float *a1 = malloc((h1 + h2 + k) * sizeof *a1);
    if (!a1) {
        for (size_t j = 0; j < k; j++)
            proba[j] = NAN;
        return -1;
    }
    float *a2 = a1 + h1, *logits = a2 + h2;
    /* first layer row by row, skipping zero inputs (rating rows are sparse) */
    memcpy(a1, c->b1, h1 * sizeof *a1);
    for (size_t i = 0; i < c->n_in; i++)
        if (row[i] != 0.0f)
            axpy(a1, row[i], c->w1 + i * h1, h1);
    clf_relu_forward(a1, a1, h1);
    clf_linear_forward(a2, a1, c->w2, c->b2, 1, h1, h2);
    clf_relu_forward(a2, a2, h2);
    clf_linear_forward(logits, a2, c->w3, c->b3, 1, h2, k);
    int32_t any_label = 0;
    clf_softmax_xent_forward(proba, logits, &any_label, 1, k, NULL);
    free(a1);
    return argmax(proba, c->k);
}

int classifier_predict(const Classifier *c, const float *row)
{
    if (!c || !c->params || !row)
        return -1;
    float stack[64], *proba = c->k <= 64 ? stack : malloc((size_t)c->k * sizeof *proba);
    if (!proba)
        return -1;
    int best = classifier_predict_proba(c, row, proba);
    if (proba != stack)
        free(proba);
    return best;
}

int classifier_predict_batch(const Classifier *c, const float *x, size_t n, int32_t *segments,
                             float *proba)
{
    if (!c || !c->params || !x || !segments)
        return FS_ERROR;
    if (n == 0)
        return FS_OK;
    Inputs in = {x, n, c->n_in, NULL, NULL, NULL, false};
    Workspace w;
    if (workspace_alloc(&w, c, n < EVAL_ROWS ? n : EVAL_ROWS, false) != FS_OK)
        return FS_ERROR;
    size_t k = (size_t)c->k;
    for (size_t at = 0; at < n; at += w.cap) {
        size_t B = n - at < w.cap ? n - at : w.cap;
        forward(&w, c, &in, NULL, at, B, NULL);
        memset(w.yb, 0, B * sizeof *w.yb);
        clf_softmax_xent_forward(w.probs, w.logits, w.yb, B, k, NULL);
        for (size_t r = 0; r < B; r++) {
            segments[at + r] = argmax(w.probs + r * k, c->k);
            if (proba)
                memcpy(proba + (at + r) * k, w.probs + r * k, k * sizeof *proba);
        }
    }
    workspace_free(&w);
    return FS_OK;
}

int classifier_evaluate(const Classifier *c, const float *x, size_t n, const int32_t *labels,
                        double *loss, double *accuracy, int *confusion)
{
    if (!c || !c->params || !x || !labels || !loss || !accuracy ||
        !arrays_labels_in_range(labels, n, c->k))
        return FS_ERROR;
    if (confusion)
        memset(confusion, 0, (size_t)c->k * (size_t)c->k * sizeof *confusion);
    Inputs in = {x, n, c->n_in, NULL, NULL, NULL, false};
    Workspace w;
    if (workspace_alloc(&w, c, n == 0 ? 1 : (n < EVAL_ROWS ? n : EVAL_ROWS), false) != FS_OK)
        return FS_ERROR;
    evaluate_rows(&w, c, &in, NULL, n, labels, loss, accuracy, confusion);
    workspace_free(&w);
    return FS_OK;
}

double classifier_loss_and_grad(const Classifier *c, const float *x, size_t B,
                                const int32_t *labels, const ClassifierOptions *opt, float *grads)
{
    if (!c || !c->params || !x || !labels || !opt || B == 0 ||
        !arrays_labels_in_range(labels, B, c->k))
        return NAN;
    Inputs in = {x, B, c->n_in, NULL, NULL, NULL, false};
    Workspace w;
    if (workspace_alloc(&w, c, B, false) != FS_OK)
        return NAN;
    forward(&w, c, &in, NULL, 0, B, labels);
    double loss =
        clf_softmax_xent_forward(w.probs, w.logits, w.yb, B, (size_t)c->k, NULL) / (double)B +
        clf_penalty_forward(c->params, c->n_params, opt->l1, opt->l2);
    if (grads) {
        clf_penalty_backward(grads, c->params, c->n_params, opt->l1, opt->l2);
        backward(&w, c, &in, B, grads, true);
    }
    workspace_free(&w);
    return loss;
}
