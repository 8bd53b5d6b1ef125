/* autoencoder.c: the rating autoencoder (sparse encoder, ReLU, decoder,
 * sigmoid), its two losses, training with Adam and the held-out evaluation;
 * see autoencoder.h for the model and the parameter layout. */
#include "filmseg/autoencoder.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filmseg/adam.h"
#include "filmseg/arrays.h"
#include "filmseg/bigalloc.h"
#include "filmseg/clock.h"
#include "filmseg/helper.h"
#include "filmseg/lazy_rows.h"
#include "filmseg/rng.h"
#include "filmseg/rowset.h"
#include "filmseg/study_decoder.h"
#include "filmseg/study_encoder.h"

/* The sigmoid runs on every output cell: x86-64 gets an AVX-512 / AVX2
 * version picked at run time, bit-identical to the scalar one (simd.h). */
#include "simd_rows.h"

enum {
    EVAL_CHUNK = 64, /* users per chunk when evaluating */
    LINE_BYTES = 64, /* a cache line */
    LINE_FLOATS = LINE_BYTES / (int)sizeof(float),
    PAGE_FLOATS = 4096 / (int)sizeof(float),
    CANCEL_EVERY = 16, /* mini-batches between looks at the cancel flag */
};

/* RATED: a user's offset from the film means is the sum of their input
 * ratings' departures over (count + this): shrunk towards 0 for users with
 * few ratings. */
#define OFFSET_SHRINK 2.0

/* RNG streams derived from the seed, one per purpose. */
enum {
    STREAM_INIT = 1,
    STREAM_SPLIT,
    STREAM_SHUFFLE,
    STREAM_SAMPLE,
    STREAM_HOLDOUT,
    STREAM_DROPOUT
};

void ae_options_default(AeOptions *opt)
{
    *opt = (AeOptions){
        .hidden = 100,
        .epochs = 100,
        .batch = 10,
        .lr = 1e-3f,
        .loss = AE_LOSS_RATED,
        .unrated_share = 0.0f,
        .unrated_weight = 0.1f,
        .val_share = 0.2,
        .seed = 0,
        .heldout_share = 0.2f,
        .input_dropout = 0.25f,
        .weight_decay = 1e-3f,
        .implicit_weight = 10.0f,
        .implicit_negatives = 1.0f,
    };
}

/* ---------------------------------------------------------------- model */

size_t ae_n_params(size_t n_in, size_t hidden)
{
    return ae_n_params_heads(n_in, hidden, 1);
}

size_t ae_n_params_heads(size_t n_in, size_t hidden, int heads)
{
    if (n_in == 0 || hidden == 0 || heads < 1 || heads > 2 ||
        n_in > SIZE_MAX / 8 / hidden / sizeof(float))
        return 0;
    return (size_t)(1 + heads) * n_in * hidden + hidden + (size_t)heads * n_in;
}

static int ae_alloc(Autoencoder *ae, size_t n_in, size_t hidden, int heads)
{
    memset(ae, 0, sizeof *ae);
    size_t n = ae_n_params_heads(n_in, hidden, heads);
    if (n == 0 || n_in > UINT32_MAX)
        return FS_ERROR;
    ae->params = big_alloc(n * sizeof *ae->params); /* big: see part_alloc */
    if (!ae->params)
        return FS_ERROR;
    ae->n_in = n_in;
    ae->hidden = hidden;
    ae->heads = heads;
    ae->n_params = n;
    ae->w_enc = ae->params;
    ae->b_enc = ae->w_enc + n_in * hidden;
    ae->w_dec = ae->b_enc + hidden;
    ae->b_dec = ae->w_dec + n_in * hidden;
    if (heads == 2) {
        ae->w_obs = ae->b_dec + n_in;
        ae->b_obs = ae->w_obs + n_in * hidden;
    }
    return FS_OK;
}

int ae_init(Autoencoder *ae, size_t n_in, size_t hidden, uint64_t seed)
{
    return ae_init_heads(ae, n_in, hidden, 1, seed);
}

int ae_init_heads(Autoencoder *ae, size_t n_in, size_t hidden, int heads, uint64_t seed)
{
    if (!ae || ae_alloc(ae, n_in, hidden, heads) != FS_OK)
        return FS_ERROR;
    Rng rng;
    rng_seed_stream(&rng, seed, STREAM_INIT);
    double enc_bound = 1.0 / sqrt((double)n_in), dec_bound = 1.0 / sqrt((double)hidden);
    arrays_fill_uniform(&rng, ae->w_enc, n_in * hidden, enc_bound);
    arrays_fill_uniform(&rng, ae->b_enc, hidden, enc_bound);
    arrays_fill_uniform(&rng, ae->w_dec, n_in * hidden, dec_bound);
    arrays_fill_uniform(&rng, ae->b_dec, n_in, dec_bound);
    if (heads == 2) { /* drawn last: the first head starts as it would alone */
        arrays_fill_uniform(&rng, ae->w_obs, n_in * hidden, dec_bound);
        arrays_fill_uniform(&rng, ae->b_obs, n_in, dec_bound);
    }
    return FS_OK;
}

int ae_init_from(Autoencoder *ae, size_t n_in, size_t hidden, const float *params, size_t n_params,
                 bool unit_input)
{
    if (!ae)
        return FS_ERROR;
    memset(ae, 0, sizeof *ae);
    int heads = n_params == ae_n_params_heads(n_in, hidden, 1)   ? 1
                : n_params == ae_n_params_heads(n_in, hidden, 2) ? 2
                                                                 : 0;
    if (!params || heads == 0 || n_params == 0)
        return FS_ERROR;
    if (ae_alloc(ae, n_in, hidden, heads) != FS_OK)
        return FS_ERROR;
    memcpy(ae->params, params, n_params * sizeof *params);
    ae->unit_input = unit_input;
    return FS_OK;
}

void ae_free(Autoencoder *ae)
{
    if (!ae)
        return;
    free(ae->params);
    memset(ae, 0, sizeof *ae);
}

void ae_report_free(AeReport *report)
{
    if (!report)
        return;
    free(report->train_loss);
    free(report->val_loss);
    memset(report, 0, sizeof *report);
}

/* --------------------------------------------------------------- layers */

static inline size_t row_of(const uint32_t *rows, size_t b)
{
    return rows ? rows[b] : b;
}

/* Short vector kernels for the sparse paths (one call per rated film, H
 * around 100): inline, so that they cost no library call per rating. */
static inline float vec_dot(const float *a, const float *b, size_t n)
{
    size_t i = 0;
    float sum = 0.0f;
#if defined(__AVX2__) && defined(__FMA__)
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    if (i + 4 <= n) { /* hidden sizes like 100 end in 4 */
        lo = _mm_fmadd_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i), lo);
        i += 4;
    }
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    sum = _mm_cvtss_f32(lo);
#endif
    for (; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

/* y += alpha x */
static inline void vec_axpy(float *y, float alpha, const float *x, size_t n)
{
    size_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
    __m256 a = _mm256_set1_ps(alpha);
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    if (i + 4 <= n) { /* hidden sizes like 100 end in 4 */
        _mm_storeu_ps(y + i, _mm_fmadd_ps(_mm256_castps256_ps128(a), _mm_loadu_ps(x + i),
                                          _mm_loadu_ps(y + i)));
        i += 4;
    }
#endif
    for (; i < n; i++)
        y[i] += alpha * x[i];
}

/* 1 / |row r| when the input is scaled to unit length, else 1. */
static float input_scale(const SparseRows *x, size_t r, bool unit)
{
    if (!unit)
        return 1.0f;
    double sq = 0.0;
    for (uint32_t k = x->row_start[r]; k < x->row_start[r + 1]; k++)
        sq += (double)x->value[k] * x->value[k];
    return sq > 0.0 ? (float)(1.0 / sqrt(sq)) : 1.0f;
}

#ifdef SIMD_X86
/* The sparse layers' sums over a user's entries with the user's row held in
 * registers (simd_rows.h): the same fused multiply-adds per float in the same
 * order as vec_axpy and vec_dot, so the same bits, without a store and a load
 * of the row for every film. */

ROWS_AVX512_INLINE void encoder_users(float *pre, const SparseRows *x, const uint32_t *rows,
                                      size_t B, const float *w_enc, const float *b_enc, size_t H,
                                      bool unit, size_t from, size_t to, const int F)
{
    int T = (int)(H % ROW_CHUNK) / 4;
    for (size_t b = 0; b < B; b++) {
        RowRegs acc;
        if (b_enc)
            row_load(&acc, b_enc, F, T);
        else
            row_zero(&acc, F);
        size_t r = row_of(rows, b);
        float scale = input_scale(x, r, unit);
        uint32_t lo, hi;
        sparse_row_range(x, r, from, to, &lo, &hi);
        for (uint32_t k = lo; k < hi; k++)
            row_fma(&acc, scale * x->value[k], w_enc + (size_t)x->col[k] * H, F, T);
        row_store(pre + b * H, &acc, F, T);
    }
}

ROWS_AVX512 static bool encoder_forward_avx512(float *pre, const SparseRows *x,
                                               const uint32_t *rows, size_t B, const float *w_enc,
                                               const float *b_enc, size_t H, bool unit, size_t from,
                                               size_t to)
{
#define ENCODER_CALL(F) encoder_users(pre, x, rows, B, w_enc, b_enc, H, unit, from, to, F)
    ROWS_SWITCH(H, ENCODER_CALL)
#undef ENCODER_CALL
    return false;
}

/* dh[b] += dout[k] w[qcol[k]] over user b's cells. */
ROWS_AVX512_INLINE void dh_users(float *dh, const float *dout, const uint32_t *qstart,
                                 const uint32_t *qcol, const float *w, size_t B, size_t H,
                                 const int F)
{
    int T = (int)(H % ROW_CHUNK) / 4;
    for (size_t b = 0; b < B; b++) {
        RowRegs acc;
        row_load(&acc, dh + b * H, F, T);
        for (uint32_t k = qstart[b]; k < qstart[b + 1]; k++)
            row_fma(&acc, dout[k], w + (size_t)qcol[k] * H, F, T);
        row_store(dh + b * H, &acc, F, T);
    }
}

ROWS_AVX512 static bool dh_avx512(float *dh, const float *dout, const uint32_t *qstart,
                                  const uint32_t *qcol, const float *w, size_t B, size_t H)
{
#define DH_CALL(F) dh_users(dh, dout, qstart, qcol, w, B, H, F)
    ROWS_SWITCH(H, DH_CALL)
#undef DH_CALL
    return false;
}

/* out[k] = h[b] . w[qcol[k]] + bias[qcol[k]] over user b's cells, with
 * vec_dot's sums: its two 8-float accumulators are a 16-float one here, then
 * the same reduction. Rows of 16 F floats, plus T <= 1 quad. */
ROWS_AVX512_INLINE void forward_users(float *out, const float *h, const uint32_t *qstart,
                                      const uint32_t *qcol, const float *w, const float *bias,
                                      size_t B, size_t H, const int F)
{
    int T = (int)(H % ROW_CHUNK) / 4;
    for (size_t b = 0; b < B; b++) {
        RowRegs hb;
        row_load(&hb, h + b * H, F, T);
        for (uint32_t k = qstart[b]; k < qstart[b + 1]; k++) {
            const float *wr = w + (size_t)qcol[k] * H;
            __m512 acc = _mm512_setzero_ps();
            for (int c = 0; c < F; c++)
                acc = _mm512_fmadd_ps(hb.chunk[c], _mm512_loadu_ps(wr + ROW_CHUNK * c), acc);
            __m256 halves =
                _mm256_add_ps(_mm512_castps512_ps256(acc),
                              _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
            __m128 lo =
                _mm_add_ps(_mm256_castps256_ps128(halves), _mm256_extractf128_ps(halves, 1));
            if (T)
                lo = _mm_fmadd_ps(hb.quad[0], _mm_loadu_ps(wr + ROW_CHUNK * F), lo);
            lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
            lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
            out[k] = _mm_cvtss_f32(lo) + bias[qcol[k]];
        }
    }
}

ROWS_AVX512 static bool forward_avx512(float *out, const float *h, const uint32_t *qstart,
                                       const uint32_t *qcol, const float *w, const float *bias,
                                       size_t B, size_t H)
{
    if (H % ROW_CHUNK >= 8) /* vec_dot adds an 8-float chunk there */
        return false;
#define FORWARD_CALL(F) forward_users(out, h, qstart, qcol, w, bias, B, H, F)
    ROWS_SWITCH(H, FORWARD_CALL)
#undef FORWARD_CALL
    return false;
}

static bool rows_in_registers(void)
{
#ifdef SIMD_X86_FMA
    return rows_avx512_cpu();
#else
    return false; /* vec_dot and vec_axpy do not fuse here (simd.h) */
#endif
}
#endif

/* The encoder's pre-activations from the films from <= j < to only, plus
 * b_enc (NULL: none); rows as sparse_row_range takes them. */
static void encoder_forward_films(float *pre, const SparseRows *x, const uint32_t *rows, size_t B,
                                  const float *w_enc, const float *b_enc, size_t H, bool unit,
                                  size_t from, size_t to)
{
#ifdef SIMD_X86
    if (rows_in_registers() &&
        encoder_forward_avx512(pre, x, rows, B, w_enc, b_enc, H, unit, from, to))
        return;
#endif
    for (size_t b = 0; b < B; b++) {
        float *out = pre + b * H;
        if (b_enc)
            memcpy(out, b_enc, H * sizeof *out);
        else
            memset(out, 0, H * sizeof *out);
        size_t r = row_of(rows, b);
        float scale = input_scale(x, r, unit);
        uint32_t lo, hi;
        sparse_row_range(x, r, from, to, &lo, &hi);
        for (uint32_t k = lo; k < hi; k++)
            vec_axpy(out, scale * x->value[k], w_enc + (size_t)x->col[k] * H, H);
    }
}

void ae_encoder_forward(float *pre, const SparseRows *x, const uint32_t *rows, size_t B,
                        const float *w_enc, const float *b_enc, size_t H, bool unit)
{
    // pre is (B,H), w_enc is (N,H), b_enc is (H)
    encoder_forward_films(pre, x, rows, B, w_enc, b_enc, H, unit, 0, x->n_cols);
}

static void encoder_backward_bias(float *db_enc, const float *dpre, size_t B, size_t H)
{
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < H; i++)
            db_enc[i] += dpre[b * H + i];
}

void ae_encoder_backward(float *dw_enc, float *db_enc, const float *dpre, const SparseRows *x,
                         const uint32_t *rows, size_t B, size_t H, bool unit)
{
    // dpre is (B,H); only the rows of dw_enc (N,H) of films in the batch change
    for (size_t b = 0; b < B; b++) {
        size_t r = row_of(rows, b);
        float scale = input_scale(x, r, unit);
        for (uint32_t k = x->row_start[r]; k < x->row_start[r + 1]; k++)
            vec_axpy(dw_enc + (size_t)x->col[k] * H, scale * x->value[k], dpre + b * H, H);
    }
    encoder_backward_bias(db_enc, dpre, B, H);
}

void ae_relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void ae_relu_backward(float *dinp, const float *out, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (out[i] > 0.0f)
            dinp[i] += dout[i];
}

void ae_sparse_decoder_forward(float *out, const float *h, const uint32_t *qstart,
                               const uint32_t *qcol, const float *w_dec, const float *b_dec,
                               size_t B, size_t H)
{
    // out[k] = h[b] . w_dec[qcol[k]] + b_dec[qcol[k]], k in qstart[b] .. qstart[b+1]
#ifdef SIMD_X86
    if (rows_in_registers() && forward_avx512(out, h, qstart, qcol, w_dec, b_dec, B, H))
        return;
#endif
    for (size_t b = 0; b < B; b++)
        for (uint32_t k = qstart[b]; k < qstart[b + 1]; k++)
            out[k] = vec_dot(h + b * H, w_dec + (size_t)qcol[k] * H, H) + b_dec[qcol[k]];
}

void ae_sparse_decoder_backward(float *dh, float *dw_dec, float *db_dec, const float *dout,
                                const float *h, const uint32_t *qstart, const uint32_t *qcol,
                                const float *w_dec, size_t B, size_t H)
{
#ifdef SIMD_X86
    if (!dw_dec && rows_in_registers() && dh_avx512(dh, dout, qstart, qcol, w_dec, B, H))
        return;
#endif
    for (size_t b = 0; b < B; b++)
        for (uint32_t k = qstart[b]; k < qstart[b + 1]; k++) {
            size_t j = qcol[k];
            vec_axpy(dh + b * H, dout[k], w_dec + j * H, H);
            if (dw_dec) {
                vec_axpy(dw_dec + j * H, dout[k], h + b * H, H);
                db_dec[j] += dout[k];
            }
        }
}

#ifdef SIMD_X86
__attribute__((target("avx512f"))) static size_t sigmoid_avx512(float *out, const float *inp,
                                                                size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i, sigmoid_ps512(_mm512_loadu_ps(inp + i)));
    return i;
}

__attribute__((target("avx2"))) static size_t sigmoid_avx2(float *out, const float *inp, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, sigmoid_ps256(_mm256_loadu_ps(inp + i)));
    return i;
}
#endif

void ae_sigmoid_forward(float *out, const float *inp, size_t n)
{
    size_t i = 0;
#ifdef SIMD_X86
    if (__builtin_cpu_supports("avx512f"))
        i = sigmoid_avx512(out, inp, n);
    else if (__builtin_cpu_supports("avx2"))
        i = sigmoid_avx2(out, inp, n);
#endif
    for (; i < n; i++)
        out[i] = sigmoid_scalar(inp[i]);
}

void ae_sigmoid_backward(float *dinp, const float *out, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += dout[i] * (out[i] * (1.0f - out[i]));
}

double ae_sq_forward(const float *s, const float *target, const float *weight, size_t n,
                     float scale)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        double d = (double)s[k] - target[k];
        sum += (weight ? weight[k] : 1.0f) * d * d;
    }
    return sum * scale;
}

void ae_sq_backward(float *ds, const float *s, const float *target, const float *weight, size_t n,
                    float scale)
{
    for (size_t k = 0; k < n; k++)
        ds[k] += 2.0f * scale * (weight ? weight[k] : 1.0f) * (s[k] - target[k]);
}

/* log of the sum of exp(z[k]) over cells a..e-1 (a < e), computed from the
 * largest, whose own term is 1 */
static double log_sum_exp(const float *z, uint32_t a, uint32_t e)
{
    uint32_t top = a;
    for (uint32_t k = a; k < e; k++)
        top = z[k] > z[top] ? k : top;
    double sum = 1.0;
    for (uint32_t k = a; k < e; k++)
        if (k != top)
            sum += exp((double)(z[k] - z[top]));
    return (double)z[top] + log(sum);
}

double ae_softmax_forward(const float *z, const float *target, const uint32_t *qstart, size_t B,
                          float scale)
{
    double loss = 0.0;
    for (size_t b = 0; b < B; b++) {
        uint32_t a = qstart[b], e = qstart[b + 1];
        if (a == e)
            continue;
        double log_norm = log_sum_exp(z, a, e);
        for (uint32_t k = a; k < e; k++)
            loss -= target[k] * ((double)z[k] - log_norm);
    }
    return scale * loss;
}

void ae_softmax_backward(float *dz, const float *z, const float *target, const uint32_t *qstart,
                         size_t B, float scale)
{
    for (size_t b = 0; b < B; b++) {
        uint32_t a = qstart[b], e = qstart[b + 1];
        if (a == e)
            continue;
        double log_norm = log_sum_exp(z, a, e), total = 0.0;
        for (uint32_t k = a; k < e; k++)
            total += target[k];
        for (uint32_t k = a; k < e; k++)
            dz[k] += scale * (float)(exp((double)z[k] - log_norm) * total - target[k]);
    }
}

/* ------------------------------------------------------------ checking */

static int check_rows(const SparseRows *x, size_t n_cols)
{
    if (!x || !x->row_start || x->n_cols != n_cols || x->n_rows > UINT32_MAX ||
        x->row_start[0] != 0)
        return FS_ERROR;
    size_t nnz = x->row_start[x->n_rows];
    if (nnz && (!x->col || !x->value))
        return FS_ERROR;
    for (size_t r = 0; r < x->n_rows; r++)
        if (x->row_start[r + 1] < x->row_start[r])
            return FS_ERROR;
    for (size_t k = 0; k < nnz; k++)
        if (x->col[k] >= n_cols || !(x->value[k] > 0.0f && x->value[k] <= 1.0f))
            return FS_ERROR;
    return FS_OK;
}

/* A copy of a matrix with each row's entries in increasing column order. */
typedef struct {
    SparseRows x;
    uint32_t *col;
    float *value;
} SortedRows;

typedef struct {
    uint32_t col;
    float value;
} Entry;

static int by_col(const void *a, const void *b)
{
    uint32_t x = ((const Entry *)a)->col, y = ((const Entry *)b)->col;
    return (x > y) - (x < y);
}

static bool rows_ascending(const SparseRows *x)
{
    for (size_t r = 0; r < x->n_rows; r++)
        for (uint32_t k = x->row_start[r] + 1; k < x->row_start[r + 1]; k++)
            if (x->col[k] < x->col[k - 1])
                return false;
    return true;
}

static int sort_rows(const SparseRows *x, SortedRows *s)
{
    size_t nnz = x->row_start[x->n_rows];
    Entry *e = malloc((nnz ? nnz : 1) * sizeof *e);
    s->col = malloc((nnz ? nnz : 1) * sizeof *s->col);
    s->value = malloc((nnz ? nnz : 1) * sizeof *s->value);
    if (!e || !s->col || !s->value) {
        free(e);
        return FS_ERROR;
    }
    for (size_t k = 0; k < nnz; k++)
        e[k] = (Entry){x->col[k], x->value[k]};
    for (size_t r = 0; r < x->n_rows; r++)
        qsort(e + x->row_start[r], x->row_start[r + 1] - x->row_start[r], sizeof *e, by_col);
    for (size_t k = 0; k < nnz; k++) {
        s->col[k] = e[k].col;
        s->value[k] = e[k].value;
    }
    free(e);
    s->x = (SparseRows){x->n_rows, x->n_cols, x->row_start, s->col, s->value};
    return FS_OK;
}

/* No film twice in a row (a repeated column would count twice in the encoder
 * and give the rated loss two targets for one cell). mark is (n_cols), zeroed. */
static int check_no_repeats(const SparseRows *x, RowSet *cols)
{
    for (size_t r = 0; r < x->n_rows; r++) {
        rowset_empty(cols);
        for (uint32_t k = x->row_start[r]; k < x->row_start[r + 1]; k++)
            if (!rowset_add(cols, x->col[k]))
                return FS_ERROR;
    }
    rowset_empty(cols);
    return FS_OK;
}

/* ------------------------------------------------------------ encoding */

int ae_encode(const Autoencoder *ae, const SparseRows *x, float *out)
{
    if (!ae || !ae->params || !out || check_rows(x, ae->n_in) != FS_OK)
        return FS_ERROR;
    size_t H = ae->hidden;
    ae_encoder_forward(out, x, NULL, x->n_rows, ae->w_enc, ae->b_enc, H, ae->unit_input);
    ae_relu_forward(out, out, x->n_rows * H);
    return FS_OK;
}

int ae_encode_one(const Autoencoder *ae, size_t n, const uint32_t *col, const float *value,
                  float *out)
{
    if (!ae || !ae->params || !out || n > UINT32_MAX || (n && (!col || !value)))
        return FS_ERROR;
    for (size_t k = 0; k < n; k++)
        if (col[k] >= ae->n_in || !isfinite(value[k]))
            return FS_ERROR;
    uint32_t rs[2] = {0, (uint32_t)n};
    SparseRows one = {1, ae->n_in, rs, col, value};
    ae_encoder_forward(out, &one, NULL, 1, ae->w_enc, ae->b_enc, ae->hidden, ae->unit_input);
    ae_relu_forward(out, out, ae->hidden);
    return FS_OK;
}

/* ------------------------------------------------------------ training */

/* STUDY: one part's decoder columns, films [from, to), in memory of its own
 * (see Trainer): rows of ld floats, column c holding film from + c. */
typedef struct {
    size_t from, to, ld;     /* ld: to - from rounded up to whole cache lines */
    float *xd;               /* (max(B, EVAL_CHUNK), ld) dense batch, zero between batches */
    float *wt, *wt_m, *wt_v; /* (H, ld) the weights transposed, their Adam moments */
    float *dz;               /* (max(B, EVAL_CHUNK), ld) the fused step's scratch */
    float *g;                /* (ld) the fused step's scratch */
    float *block;            /* the memory of all the above (part_alloc) */
} StudyColumns;

/* RATED: a batch's query cells (the arrays of Trainer's qstart .. ot), and
 * their numbers: all, and rated. */
typedef struct {
    uint32_t *start, *col;
    float *target, *weight, *liked;
    size_t n, n_rated;
} CellSet;

typedef struct {
    const SparseRows *x;
    const AeOptions *opt;
    Autoencoder *ae;
    size_t N, H, B;
    Adam adam;
    float *bias_grad;           /* (H) the encoder bias's gradient */
    float *pre, *h, *dh, *dpre; /* (B,H) */
    float *z, *s, *ds, *dz;     /* (qcap) the query cells */
    uint32_t *qstart, *qcol;    /* RATED: (B+1), (qcap) query columns per user */
    float *qt, *qw;             /* RATED: (qcap) target and weight per query cell */
    float *ot;                  /* RATED, two heads: (qcap) the likes head's target per
                                   query cell (1 liked, 0 rated lower or sampled) */
    size_t n_cells, n_rated;    /* RATED: the batch's cells in qstart .. ot, rated ones */
    /* RATED: room for the next batch's cells, built while this batch's are in
     * use (see rated_step), then swapped with qstart .. ot */
    CellSet next_cells;
    bool next_ready;             /* next_cells holds the next batch's */
    RowSet enc_rows;             /* scratch for the input check */
    FilmLists cell_lists;        /* RATED: the batch's query cells by film (lazy_rows.h) */
    float *z2, *dz2;             /* RATED, two heads: (qcap) the likes head's z and dz: its
                                    passes and rows run on the helper thread when there
                                    are two (see rated_step) */
    FilmLists input_lists;       /* RATED: the encoder's inputs by film */
    float *input_scale;          /* RATED: (B) each user's input scale */
    RowSet user_films;           /* one user's rated and sampled films */
    uint32_t *in_start, *in_col; /* RATED with dropout: the batch's kept inputs (B+1), (in_cap) */
    float *in_value;
    Rng sample_rng, dropout_rng;
    /* STUDY trains the decoder with the fused step of study_decoder.h, on the
     * weights transposed (copied back to w_dec once trained) with their own
     * Adam moments. It splits each batch's dense work in two fixed parts
     * (decoder columns, encoder rows); part 1 has its own dh and pre and runs
     * on a helper thread when there are two, else after part 0: the same
     * arithmetic either way, so results do not depend on the thread count.
     * Each part's decoder columns live in arrays of their own (StudyColumns):
     * on rows shared by the parts, each part took twice as long on two
     * threads as on one (see study_decoder.h). What
     * must still cross between the cores every batch (h, pre, dh, dpre) can
     * cost more than the second core saves on some hosts: see ThreadProbe. */
    StudyColumns cols[2];
    float *dh1;             /* (B,H) part 1's share of dh */
    float *pre1;            /* (max(B, EVAL_CHUNK),H) part 1's share of pre */
    size_t enc_split;       /* first encoder row of part 1 */
    FilmLists enc_lists[2]; /* each part's encoder rows' film lists (study_encoder.h) */
    /* the batch whose pre and pre1 the last encoder step already holds (see
     * encoder_part_step), NULL when none */
    const uint32_t *pre_rows;
    size_t pre_B;
    Helper helper;
    bool probe_threads; /* the thread count is ours to choose: see ThreadProbe */
    /* RATED: the rating head adds each user's offset from the film means (see
     * add_user_offsets) */
    const double *film_mean; /* (N) over the training users */
    float *offset_slope;     /* (N) 1 / (m (1 - m)), m the film's mean clamped as for
                                its bias: a rating offset as a logit at the mean */
    float *offset;           /* (max(B, EVAL_CHUNK)) the batch's users' offsets */
} Trainer;

static void trainer_free(Trainer *t)
{
    helper_stop(&t->helper);
    free(t->offset);
    free(t->offset_slope);
    for (int p = 0; p < 2; p++)
        free(t->cols[p].block);
    for (int p = 0; p < 2; p++)
        film_lists_free(&t->enc_lists[p]);
    free(t->dh1);
    free(t->pre1);
    adam_free(&t->adam);
    rowset_free(&t->enc_rows);
    film_lists_free(&t->cell_lists);
    film_lists_free(&t->input_lists);
    free(t->input_scale);
    free(t->next_cells.start);
    free(t->next_cells.col);
    free(t->next_cells.target);
    free(t->next_cells.weight);
    free(t->next_cells.liked);
    free(t->z2);
    free(t->dz2);
    rowset_free(&t->user_films);
    void *bufs[] = {t->ot, t->bias_grad, t->pre,      t->h,      t->dh,      t->dpre,
                    t->z,  t->s,         t->ds,       t->dz,     t->qstart,  t->qcol,
                    t->qt, t->qw,        t->in_start, t->in_col, t->in_value};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
}

/* n zeroed floats on whole cache lines of their own. NULL when out of memory. */
static float *alloc_lines(size_t n)
{
    size_t bytes = (n * sizeof(float) + LINE_BYTES - 1) / LINE_BYTES * LINE_BYTES;
    float *p = aligned_alloc(LINE_BYTES, bytes ? bytes : LINE_BYTES);
    if (p)
        memset(p, 0, bytes);
    return p;
}

/* STUDY: part c's arrays, zeroed, in one block on 2 MiB pages where the
 * kernel allows (bigalloc.h): each on whole 4 KiB pages with a page of room
 * after it, so that a prefetcher reading past an array's end never reaches
 * another's lines. One block instead of six arrays on 4 KiB pages:
 * in this project's virtual machines each first touch of a 4 KiB page is a
 * costly fault, and the six took about 700 of them. */
static int part_alloc(StudyColumns *c, size_t rows, size_t H)
{
    size_t floats[6] = {rows * c->ld, H * c->ld, H * c->ld, H * c->ld, rows * c->ld, c->ld};
    size_t at[6], total = 0;
    for (int k = 0; k < 6; k++) {
        at[k] = total;
        total += (floats[k] + PAGE_FLOATS - 1) / PAGE_FLOATS * PAGE_FLOATS + PAGE_FLOATS;
    }
    float *b = c->block = big_calloc(total, sizeof(float));
    if (!b)
        return FS_ERROR;
    c->xd = b + at[0];
    c->wt = b + at[1];
    c->wt_m = b + at[2];
    c->wt_v = b + at[3];
    c->dz = b + at[4];
    c->g = b + at[5];
    return FS_OK;
}

static int cmp_size_desc(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x < y) - (x > y);
}

/* Unrated films sampled for a user with m ratings: for the rating head
 * (unrated_share) and, with two heads, as the likes head's negatives. */
static size_t n_sampled(const Trainer *t, size_t m)
{
    double share = t->opt->unrated_share;
    if (t->ae->heads == 2 && t->opt->implicit_negatives > share)
        share = t->opt->implicit_negatives;
    double want = floor(share * (double)m + 0.5);
    size_t k = want > (double)t->N ? t->N : (size_t)want;
    return k > t->N - m ? t->N - m : k;
}

/* STUDY: the first encoder row of part 1, chosen so that the two parts take
 * about as long. In units of a row's Adam update, which each row costs every
 * batch: a film rated by n of the n_train training users is rated in a share
 * 1 - (1 - n/n_train)^B of the batches, which cost about one unit more (the
 * row's gradient, the loop's branches), and has n B / n_train ratings a
 * batch, each about 0.2 more (its part of the gradient and of the next
 * forward pass). Fitted on ml-100k, one thread timing each part: they came
 * within 5% of each other at the split this gives (665); at 594 part 1 took
 * 18% longer, at 706 part 0 10% longer. Popular films come first in some panels
 * (ml-100k), so half the films is not half the work. N / 2 when out of
 * memory. */
static size_t encoder_split(const SparseRows *x, const uint32_t *train, size_t n_train, size_t B)
{
    size_t N = x->n_cols;
    double *cost = calloc(N ? N : 1, sizeof *cost);
    if (!cost)
        return N / 2;
    for (size_t i = 0; i < n_train; i++) /* ratings per film, then cost */
        for (uint32_t k = x->row_start[train[i]]; k < x->row_start[train[i] + 1]; k++)
            cost[x->col[k]] += 1.0;
    double total = 0.0;
    for (size_t j = 0; j < N; j++) {
        double share = cost[j] / (double)n_train;
        cost[j] = 2.0 - pow(1.0 - share, (double)B) + 0.2 * share * (double)B;
        total += cost[j];
    }
    size_t split = 0;
    for (double sum = 0.0; split < N && sum + cost[split] <= total / 2.0; split++)
        sum += cost[split];
    free(cost);
    return split;
}

static int trainer_alloc(Trainer *t, const uint32_t *train, size_t n_train)
{
    size_t N = t->N, H = t->H, B = t->B;
    size_t qcap = 1;
    if (t->opt->loss == AE_LOSS_RATED) {
        /* the B users with the most rated + sampled cells bound a batch's queries */
        size_t *q = malloc((n_train ? n_train : 1) * sizeof *q);
        if (!q)
            return FS_ERROR;
        for (size_t i = 0; i < n_train; i++) {
            size_t m = t->x->row_start[train[i] + 1] - t->x->row_start[train[i]];
            q[i] = m + n_sampled(t, m);
        }
        qsort(q, n_train, sizeof *q, cmp_size_desc);
        qcap = 1;
        for (size_t i = 0; i < n_train && i < B; i++)
            qcap += q[i];
        free(q);
    }
    size_t most = 0; /* evaluation decodes the rated cells of EVAL_CHUNK users */
    for (size_t r = 0; r < t->x->n_rows; r++) {
        size_t m = t->x->row_start[r + 1] - t->x->row_start[r];
        most = m > most ? m : most;
    }
    if (qcap < most * EVAL_CHUNK + 1)
        qcap = most * EVAL_CHUNK + 1;
    t->in_start = malloc((B + 1) * sizeof(uint32_t));
    t->in_col = malloc((B * most + 1) * sizeof(uint32_t));
    t->in_value = malloc((B * most + 1) * sizeof(float));
    size_t bh = (B > EVAL_CHUNK ? B : EVAL_CHUNK) * H;
    t->bias_grad = malloc(H * sizeof *t->bias_grad);
    t->pre = malloc(bh * sizeof(float));
    t->h = malloc(bh * sizeof(float));
    t->dh = malloc(bh * sizeof(float));
    t->dpre = malloc(bh * sizeof(float));
    t->z = malloc(qcap * sizeof(float));
    t->s = malloc(qcap * sizeof(float));
    t->ds = malloc(qcap * sizeof(float));
    t->dz = malloc(qcap * sizeof(float));
    t->qstart = malloc(((B > EVAL_CHUNK ? B : EVAL_CHUNK) + 1) * sizeof(uint32_t));
    t->qcol = malloc(qcap * sizeof(uint32_t));
    t->qt = malloc(qcap * sizeof(float));
    t->qw = malloc(qcap * sizeof(float));
    t->ot = malloc(qcap * sizeof(float));
    if (t->opt->loss == AE_LOSS_RATED) {
        CellSet *c = &t->next_cells;
        c->start = malloc(((B > EVAL_CHUNK ? B : EVAL_CHUNK) + 1) * sizeof(uint32_t));
        c->col = malloc(qcap * sizeof(uint32_t));
        c->target = malloc(qcap * sizeof(float));
        c->weight = malloc(qcap * sizeof(float));
        c->liked = malloc(qcap * sizeof(float));
        if (!c->start || !c->col || !c->target || !c->weight || !c->liked)
            return FS_ERROR;
    }
    t->offset = malloc((B > EVAL_CHUNK ? B : EVAL_CHUNK) * sizeof(float));
    t->offset_slope = malloc((N + 1) * sizeof(float));
    if (!t->bias_grad || !t->pre || !t->h || !t->dh || !t->dpre || !t->z || !t->s || !t->ds ||
        !t->dz || !t->qstart || !t->qcol || !t->qt || !t->qw || !t->ot || !t->offset ||
        !t->offset_slope || !t->in_start || !t->in_col || !t->in_value ||
        rowset_init(&t->enc_rows, N) != 0 || rowset_init(&t->user_films, N) != 0)
        return FS_ERROR;
    if (t->opt->loss == AE_LOSS_RATED &&
        (film_lists_alloc(&t->cell_lists, 0, N, qcap) != 0 ||
         film_lists_alloc(&t->input_lists, 0, N, B * most + 1) != 0 ||
         !(t->input_scale = malloc(B * sizeof(float))) || !(t->z2 = malloc(qcap * sizeof(float))) ||
         !(t->dz2 = malloc(qcap * sizeof(float)))))
        return FS_ERROR;
    if (adam_init(&t->adam, t->ae->n_params, t->opt->lr) != 0)
        return FS_ERROR;
    if (t->opt->loss == AE_LOSS_STUDY) {
        size_t split = (N / 2 + 31) / 32 * 32; /* whole blocks of the fused step */
        if (split > N)
            split = N;
        t->enc_split = encoder_split(t->x, train, n_train, B);
        size_t rows = B > EVAL_CHUNK ? B : EVAL_CHUNK;
        for (int p = 0; p < 2; p++) {
            StudyColumns *c = &t->cols[p];
            c->from = p == 0 ? 0 : split;
            c->to = p == 0 ? split : N;
            c->ld = (c->to - c->from + LINE_FLOATS - 1) / LINE_FLOATS * LINE_FLOATS;
            if (part_alloc(c, rows, H) != FS_OK)
                return FS_ERROR;
        }
        t->dh1 = alloc_lines(B * H);
        t->pre1 = alloc_lines(rows * H);
        if (!t->dh1 || !t->pre1)
            return FS_ERROR;
        for (int p = 0; p < 2; p++)
            if (film_lists_alloc(&t->enc_lists[p], p == 0 ? 0 : t->enc_split,
                                 p == 0 ? t->enc_split : N, B * most) != 0)
                return FS_ERROR;
    }
    if (t->opt->loss == AE_LOSS_STUDY || t->ae->heads == 2) {
        int threads = t->opt->threads;
        if (threads <= 0) {
            long cpus = sysconf(_SC_NPROCESSORS_ONLN);
            threads = cpus > 1 ? 2 : 1;
        }
        if (threads > 1 && !helper_start(&t->helper))
            return FS_ERROR;
        t->probe_threads = t->opt->threads <= 0 && t->helper.running;
    }
    return FS_OK;
}

/* Scatters (scatter = 1) or clears (0) the batch's ratings of the films of
 * part c in its dense xd (each row's films in the part found by bisection:
 * the rows are sorted, ae_train). */
static void dense_batch(const Trainer *t, const StudyColumns *c, const uint32_t *rows, size_t B,
                        int scatter)
{
    const SparseRows *x = t->x;
    for (size_t b = 0; b < B; b++) {
        uint32_t lo, hi;
        sparse_row_range(x, rows[b], c->from, c->to, &lo, &hi);
        float *xd = c->xd + b * c->ld;
        for (uint32_t k = lo; k < hi; k++)
            xd[x->col[k] - c->from] = scatter ? x->value[k] : 0.0f;
    }
}

/* STUDY: the fused decoder of part c on the batch's h (B users) and dense
 * ratings: its columns 0 .. to - from are the part's films. */
static StudyDecoder study_decoder(Trainer *t, const StudyColumns *c, size_t B)
{
    Autoencoder *ae = t->ae;
    size_t off_b = (size_t)(ae->b_dec - ae->params) + c->from;
    StudyDecoder d = {B,
                      t->H,
                      c->ld,
                      t->h,
                      c->xd,
                      c->wt,
                      ae->b_dec + c->from,
                      c->wt_m,
                      c->wt_v,
                      t->adam.m + off_b,
                      t->adam.v + off_b,
                      c->dz,
                      c->g,
                      false};
    return d;
}

/* Copies the decoder's weights between w_dec (N,H) and the parts' wt (H,ld). */
static void decoder_transpose(Trainer *t, bool to_trainer)
{
    float *w = t->ae->w_dec;
    for (int p = 0; p < 2; p++) {
        const StudyColumns *c = &t->cols[p];
        for (size_t j = c->from; j < c->to; j++)
            for (size_t i = 0; i < t->H; i++) {
                float *cell = &c->wt[i * c->ld + j - c->from];
                if (to_trainer)
                    *cell = w[j * t->H + i];
                else
                    w[j * t->H + i] = *cell;
            }
    }
}

typedef struct {
    Trainer *t;
    const uint32_t *rows; /* the batch */
    const StudyColumns *cols;
    StudyDecoder dec;
    bool train;
    AdamCoef coef;
    float scale;
    float *dh; /* (B,H) this part's share */
    double sum;
} StudyPart;

static void study_part(void *arg)
{
    StudyPart *p = arg;
    size_t n = p->cols->to - p->cols->from;
    dense_batch(p->t, p->cols, p->rows, p->dec.B, 1);
    p->sum = p->train ? study_decoder_step(&p->dec, 0, n, p->scale, &p->coef, p->dh)
                      : study_decoder_loss(&p->dec, 0, n);
    dense_batch(p->t, p->cols, p->rows, p->dec.B, 0);
}

/* STUDY: the sum of |s - x| over the B users rows (h holds their hidden
 * activations) and every film; when training, also the decoder's Adam step
 * (the step begun) and dh (B,H). The columns are done in two parts (see
 * Trainer). */
static double study_decoder_run(Trainer *t, const uint32_t *rows, size_t B, bool train)
{
    AdamCoef coef = adam_coef(&t->adam);
    float scale = 1.0f / (float)(B * t->N);
    const StudyColumns *c0 = &t->cols[0], *c1 = &t->cols[1];
    StudyPart p0 = {t, rows, c0, study_decoder(t, c0, B), train, coef, scale, t->dh, 0.0};
    StudyPart p1 = {t, rows, c1, study_decoder(t, c1, B), train, coef, scale, t->dh1, 0.0};
    helper_run(&t->helper, study_part, &p1, study_part, &p0);
    if (train)
        for (size_t i = 0; i < B * t->H; i++)
            t->dh[i] += t->dh1[i];
    return p0.sum + p1.sum;
}

/* STUDY: one batch's decoder step; returns the batch's mean |s - x|. */
static double study_batch_step(Trainer *t, const uint32_t *rows, size_t B)
{
    return study_decoder_run(t, rows, B, true) / (double)(B * t->N);
}

/* Each film's mean rating (input scale, rating / 5) among the training
 * users, the mean of all their ratings for a film none of them rated (3 stars
 * when there are none at all): the baseline the held-out error is compared
 * with, and where the rating head starts. NULL when out of memory. */
static double *film_means(const SparseRows *x, const uint32_t *train, size_t n_train)
{
    double *mean = calloc(x->n_cols ? x->n_cols : 1, sizeof *mean);
    uint32_t *count = calloc(x->n_cols ? x->n_cols : 1, sizeof *count);
    if (!mean || !count) {
        free(mean);
        free(count);
        return NULL;
    }
    double all = 0.0;
    size_t n_all = 0;
    for (size_t i = 0; i < n_train; i++)
        for (uint32_t k = x->row_start[train[i]]; k < x->row_start[train[i] + 1]; k++) {
            mean[x->col[k]] += x->value[k];
            count[x->col[k]]++;
            all += x->value[k];
            n_all++;
        }
    double mean_all = n_all ? all / (double)n_all : 0.6;
    for (size_t j = 0; j < x->n_cols; j++)
        mean[j] = count[j] ? mean[j] / count[j] : mean_all;
    free(count);
    return mean;
}

/* A film's mean rating (rating / 5) kept off 0 and 1, where logits run off. */
static double clamped_mean(double m)
{
    return m < 0.05 ? 0.05 : m > 0.95 ? 0.95 : m;
}

/* RATED: starts the rating head at the film-mean baseline: each film's
 * decoder bias is the logit of its mean rating (clamped to 0.05..0.95), so
 * the network learns each user's departures from it rather than the means. */
static void rated_bias_init(Autoencoder *ae, const double *film_mean)
{
    for (size_t j = 0; j < ae->n_in; j++) {
        double m = clamped_mean(film_mean[j]);
        ae->b_dec[j] = (float)log(m / (1.0 - m));
    }
}

/* A user's offset from the film means (rating / 5 units) over their n input
 * ratings (each value times value_scale, which undoes input dropout's
 * scaling), shrunk by OFFSET_SHRINK. */
static float user_offset(const double *film_mean, size_t n, const uint32_t *col, const float *value,
                         float value_scale)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += (double)value[k] * value_scale - film_mean[col[k]];
    return (float)(sum / ((double)n + OFFSET_SHRINK));
}

/* The rating head's logits z (cells qstart[b]..qstart[b+1] of user b) plus
 * each user's offset, turned into a logit at the film's mean (slope: see
 * Trainer), so that the head starts from the film mean plus the user's
 * offset and learns what departs from that. A constant for the gradients:
 * nothing to learn in it. */
static void add_user_offsets(const float *slope, const float *offset, const uint32_t *qstart,
                             const uint32_t *qcol, size_t B, float *z)
{
    for (size_t b = 0; b < B; b++)
        for (uint32_t k = qstart[b]; k < qstart[b + 1]; k++)
            z[k] += offset[b] * slope[qcol[k]];
}

/* offset[b] for each user of a batch from the rows the encoder saw (rows
 * NULL: x's rows 0..B-1, input dropout's batch). */
static void batch_offsets(Trainer *t, const SparseRows *x, const uint32_t *rows, size_t B,
                          float value_scale)
{
    for (size_t b = 0; b < B; b++) {
        size_t r = rows ? rows[b] : b;
        uint32_t from = x->row_start[r];
        t->offset[b] = user_offset(t->film_mean, x->row_start[r + 1] - from, x->col + from,
                                   x->value + from, value_scale);
    }
}

/* The encoder's backward pass to its pre-activations (dpre, from dh) and
 * Adam on its bias. */
static void encoder_bias_step(Trainer *t, size_t B)
{
    Autoencoder *ae = t->ae;
    size_t H = t->H, off_b = (size_t)(ae->b_enc - ae->params);
    memset(t->dpre, 0, B * H * sizeof(float));
    ae_relu_backward(t->dpre, t->h, t->dh, B * H);
    memset(t->bias_grad, 0, H * sizeof(float));
    encoder_backward_bias(t->bias_grad, t->dpre, B, H);
    adam_update_range(&t->adam, ae->params, t->bias_grad, off_b, H);
}

/* The query cells of users rows[0 .. B) into c: each user's rated films,
 * then a sample of unrated ones (from sample_rng, which only this draws
 * from, batch after batch in order). */
static void cells_build(Trainer *t, const uint32_t *rows, size_t B, CellSet *c)
{
    const SparseRows *x = t->x;
    size_t nq = 0, nr = 0;
    for (size_t b = 0; b < B; b++) {
        size_t r = rows[b], m = x->row_start[r + 1] - x->row_start[r];
        rowset_empty(&t->user_films);
        c->start[b] = (uint32_t)nq;
        for (uint32_t k = x->row_start[r]; k < x->row_start[r + 1]; k++) {
            uint32_t j = x->col[k];
            rowset_add(&t->user_films, j);
            c->col[nq] = j;
            c->target[nq] = x->value[k];
            c->liked[nq] = ae_is_like(x->value[k]) ? 1.0f : 0.0f;
            c->weight[nq++] = 1.0f;
        }
        /* sampled unrated films: pushed to 0 by the rating head with
         * unrated_weight (only up to unrated_share of them), and the likes
         * head's negatives */
        size_t for_rating = (size_t)floor((double)t->opt->unrated_share * (double)m + 0.5);
        size_t want = n_sampled(t, m), got = 0;
        for (size_t tries = 0; got < want && tries < 4 * want + 16; tries++) {
            uint32_t j = (uint32_t)rng_below(&t->sample_rng, t->N);
            if (!rowset_add(&t->user_films, j))
                continue;
            c->col[nq] = j;
            c->target[nq] = 0.0f;
            c->liked[nq] = 0.0f;
            c->weight[nq++] = got < for_rating ? t->opt->unrated_weight : 0.0f;
            got++;
        }
        nr += m;
    }
    c->start[B] = (uint32_t)nq;
    c->n = nq;
    c->n_rated = nr;
}

/* The trainer's current cells (qstart .. ot) as a CellSet. */
static CellSet current_cells(const Trainer *t)
{
    return (CellSet){t->qstart, t->qcol, t->qt, t->qw, t->ot, t->n_cells, t->n_rated};
}

static void cells_make_current(Trainer *t, const CellSet *c)
{
    t->qstart = c->start;
    t->qcol = c->col;
    t->qt = c->target;
    t->qw = c->weight;
    t->ot = c->liked;
    t->n_cells = c->n;
    t->n_rated = c->n_rated;
}

/* Makes next_cells the current cells, and the current ones the room for the
 * next batch's. */
static void cells_swap(Trainer *t)
{
    CellSet next = t->next_cells;
    t->next_cells = current_cells(t);
    cells_make_current(t, &next);
}

/* RATED, one decoder head's share of a batch's step: the rating head on this
 * thread, the likes head on the helper (when there are two), each reading and
 * writing only its own rows (a row moved by one core and read by the other
 * the next batch crosses between them, which cost more than the second core
 * saved); what crosses is a batch's h, cells, dh and lists. */
typedef struct {
    Trainer *t;
    size_t B, nq;  /* users and query cells */
    float scale;   /* the head's loss scale */
    AdamCoef coef; /* this step's Adam constants */
    /* the rating head's part: the next batch of the epoch (NULL: none), whose
     * cells it builds into next_cells after its forward pass */
    const uint32_t *next_rows;
    size_t next_B;
} HeadPart;

/* The batch's cells by film (their values, unused, the targets: nothing
 * writes those while the lists are built). */
static void film_lists_build_cells(Trainer *t, size_t B)
{
    SparseRows cells = {B, t->N, t->qstart, t->qcol, t->qt};
    (void)film_lists_build(&t->cell_lists, &cells, NULL, B); /* qcap cells fit */
}

/* The rating head's forward and backward passes, squared error (weight 1 on
 * rated cells, unrated_weight on sampled ones, scaled by 1 / the batch's
 * ratings): s, dz, and dh from its rows. */
static void rating_forward(void *arg)
{
    HeadPart *p = arg;
    Trainer *t = p->t;
    Autoencoder *ae = t->ae;
    size_t B = p->B, H = t->H, nq = p->nq;
    ae_sparse_decoder_forward(t->z, t->h, t->qstart, t->qcol, ae->w_dec, ae->b_dec, B, H);
    add_user_offsets(t->offset_slope, t->offset, t->qstart, t->qcol, B, t->z);
    ae_sigmoid_forward(t->s, t->z, nq);
    memset(t->ds, 0, nq * sizeof(float));
    ae_sq_backward(t->ds, t->s, t->qt, t->qw, nq, p->scale);
    memset(t->dz, 0, nq * sizeof(float));
    ae_sigmoid_backward(t->dz, t->s, t->ds, nq);
    memset(t->dh, 0, B * H * sizeof(float));
    ae_sparse_decoder_backward(t->dh, NULL, NULL, t->dz, t->h, t->qstart, t->qcol, ae->w_dec, B, H);
    if (p->next_rows) /* while the likes head's softmax takes longer */
        cells_build(t, p->next_rows, p->next_B, &t->next_cells);
}

/* Lazy Adam on a head's rows (weights w, biases b) that the cells used, the
 * cells' gradient dz. */
static void head_rows(const HeadPart *p, float *w, float *b, const float *dz)
{
    Trainer *t = p->t;
    const float *params = t->ae->params;
    float *m = t->adam.m, *v = t->adam.v;
    size_t ow = (size_t)(w - params), ob = (size_t)(b - params);
    LazyRows rows = {
        t->H, w, m + ow, v + ow, b, m + ob, v + ob, t->h, dz, NULL, t->opt->weight_decay, false};
    lazy_rows_step(&rows, &p->coef, &t->cell_lists);
}

static void rating_rows(void *arg)
{
    HeadPart *p = arg;
    head_rows(p, p->t->ae->w_dec, p->t->ae->b_dec, p->t->dz);
}

/* The likes head's forward pass and softmax over each user's cells (liked
 * films first): dz2; and the cells' lists, for both heads' rows. */
static void likes_forward(void *arg)
{
    HeadPart *p = arg;
    Trainer *t = p->t;
    Autoencoder *ae = t->ae;
    ae_sparse_decoder_forward(t->z2, t->h, t->qstart, t->qcol, ae->w_obs, ae->b_obs, p->B, t->H);
    memset(t->dz2, 0, p->nq * sizeof(float));
    ae_softmax_backward(t->dz2, t->z2, t->ot, t->qstart, p->B, p->scale);
    film_lists_build_cells(t, p->B);
}

/* The likes head's share of dh (after the rating head's: the order of the
 * sums) and lazy Adam on its rows. */
static void likes_backward(void *arg)
{
    HeadPart *p = arg;
    Trainer *t = p->t;
    Autoencoder *ae = t->ae;
    ae_sparse_decoder_backward(t->dh, NULL, NULL, t->dz2, t->h, t->qstart, t->qcol, ae->w_obs, p->B,
                               t->H);
    head_rows(p, ae->w_obs, ae->b_obs, t->dz2);
}

/* RATED: a batch's step after the encoder's forward pass (in: its input):
 * the decoder on each user's rated films plus a sample of unrated ones,
 * backward to the encoder, and lazy Adam on the rows used. The batch's
 * cells are those the last step built, or built here when it built none;
 * this step builds the next batch's (next_rows, next_B; NULL: none in this
 * epoch). Returns the batch's sum of squared errors on rated cells, and
 * their number in *n_rated. */
static double rated_step(Trainer *t, const SparseRows *in, const uint32_t *in_rows,
                         const uint32_t *rows, size_t B, const uint32_t *next_rows, size_t next_B,
                         size_t *n_rated)
{
    Autoencoder *ae = t->ae;
    size_t H = t->H;
    if (!t->next_ready) {
        CellSet c = current_cells(t);
        cells_build(t, rows, B, &c);
        cells_make_current(t, &c);
    }
    size_t nq = t->n_cells, nr = t->n_rated;
    float scale = nr ? 1.0f / (float)nr : 1.0f;
    HeadPart rating = {t, B, nq, scale, adam_coef(&t->adam), NULL, 0};
    HeadPart likes = rating;
    likes.scale = t->opt->implicit_weight * scale;
    rating.next_rows = next_rows;
    rating.next_B = next_B;
    if (ae->heads == 2) {
        helper_run(&t->helper, likes_forward, &likes, rating_forward, &rating);
        helper_run(&t->helper, likes_backward, &likes, rating_rows, &rating);
    } else {
        film_lists_build_cells(t, B);
        rating_forward(&rating);
        rating_rows(&rating);
    }
    double sse = 0.0;
    for (size_t k = 0; k < nq; k++)
        if (t->qt[k] > 0.0f) {
            double d = (double)t->s[k] - t->qt[k];
            sse += d * d;
        }

    encoder_bias_step(t, B);
    (void)film_lists_build(&t->input_lists, in, in_rows, B); /* room for B fullest rows */
    for (size_t b = 0; b < B; b++)
        t->input_scale[b] = input_scale(in, row_of(in_rows, b), ae->unit_input);
    size_t oe = (size_t)(ae->w_enc - ae->params);
    LazyRows input = {H,       ae->w_enc, t->adam.m + oe, t->adam.v + oe,       NULL, NULL, NULL,
                      t->dpre, in->value, t->input_scale, t->opt->weight_decay, false};
    lazy_rows_step(&input, &rating.coef, &t->input_lists);
    t->next_ready = next_rows != NULL;
    if (t->next_ready)
        cells_swap(t);
    *n_rated = nr;
    return sse;
}

/* RATED with input dropout (a denoising autoencoder): the batch's inputs with
 * each rating dropped with probability p and the rest scaled by 1/(1-p); the
 * loss still covers every rating, so the model learns to fill in ratings it
 * does not see, which is what held-out prediction and new users need. */
static SparseRows dropout_batch(Trainer *t, const uint32_t *rows, size_t B)
{
    const SparseRows *x = t->x;
    double p = t->opt->input_dropout;
    float keep_scale = (float)(1.0 / (1.0 - p));
    size_t n = 0;
    for (size_t b = 0; b < B; b++) {
        t->in_start[b] = (uint32_t)n;
        for (uint32_t k = x->row_start[rows[b]]; k < x->row_start[rows[b] + 1]; k++)
            if (rng_uniform(&t->dropout_rng) >= p) {
                t->in_col[n] = x->col[k];
                t->in_value[n++] = x->value[k] * keep_scale;
            }
    }
    t->in_start[B] = (uint32_t)n;
    return (SparseRows){B, t->N, t->in_start, t->in_col, t->in_value};
}

/* STUDY: a part of the encoder's work on a batch, on the rows of films
 * [from, to) of w_enc, which only this part reads and writes (part 0 on this
 * thread, part 1 on the helper), so that they stay in that core's cache. */
typedef struct {
    Trainer *t;
    const SparseRows *x;
    const uint32_t *rows; /* the batch */
    size_t B, from, to;
    float *pre;                /* (B,H) this part's share of pre, b_enc in part 0's */
    const uint32_t *next_rows; /* step: the next batch, whose pre to find (NULL: none) */
    size_t next_B;
} EncoderPart;

/* This part's share of the forward pass of users rows[0 .. B). */
static void encoder_part_sums(const EncoderPart *p, const uint32_t *rows, size_t B)
{
    Autoencoder *ae = p->t->ae;
    encoder_forward_films(p->pre, p->x, rows, B, ae->w_enc, p->from == 0 ? ae->b_enc : NULL,
                          p->t->H, ae->unit_input, p->from, p->to);
}

static void encoder_part_forward(void *arg)
{
    EncoderPart *p = arg;
    encoder_part_sums(p, p->rows, p->B);
}

/* pre and h (B,H) of the batch: STUDY in two parts, summed here. */
static void encoder_forward(Trainer *t, const SparseRows *x, const uint32_t *rows, size_t B)
{
    size_t H = t->H;
    if (t->opt->loss == AE_LOSS_STUDY) {
        EncoderPart p0 = {t, x, rows, B, 0, t->enc_split, t->pre, NULL, 0};
        EncoderPart p1 = {t, x, rows, B, t->enc_split, t->N, t->pre1, NULL, 0};
        if (t->pre_rows != rows || t->pre_B != B)
            helper_run(&t->helper, encoder_part_forward, &p1, encoder_part_forward, &p0);
        t->pre_rows = NULL;
        for (size_t i = 0; i < B * H; i++)
            t->pre[i] += t->pre1[i];
    } else {
        ae_encoder_forward(t->pre, x, rows, B, t->ae->w_enc, t->ae->b_enc, H, t->ae->unit_input);
    }
    ae_relu_forward(t->h, t->pre, B * H);
}

/* STUDY, one part of the encoder's step (study_encoder.h): each row's
 * gradient and Adam step (plain Adam: rows the batch did not touch move too,
 * along their momentum); then, when the next batch is given, its share of
 * the next forward pass from the rows just moved, while they are in this
 * core's cache. */
static void encoder_part_step(void *arg)
{
    EncoderPart *p = arg;
    Trainer *t = p->t;
    Autoencoder *ae = t->ae;
    size_t H = t->H, off_w = (size_t)(ae->w_enc - ae->params);
    FilmLists *lists = &t->enc_lists[p->from != 0];
    /* the lists have room for any batch (B users of the most ratings), and
     * the rows are sorted (ae_train) */
    (void)film_lists_build(lists, p->x, p->rows, p->B);
    StudyEncoder e = {H, ae->w_enc, t->adam.m + off_w, t->adam.v + off_w, t->dpre, false};
    AdamCoef coef = adam_coef(&t->adam);
    study_encoder_step(&e, &coef, lists);
    if (p->next_rows)
        encoder_part_sums(p, p->next_rows, p->next_B);
}

/* STUDY: the encoder's backward pass and Adam on w_enc/b_enc. It moves every
 * row (plain Adam, like PyTorch), in two parts, which also start the forward
 * pass of the next batch (next_rows, next_B; NULL: none), saving a hand-over
 * between the threads. */
static void encoder_step(Trainer *t, const SparseRows *x, const uint32_t *rows, size_t B,
                         const uint32_t *next_rows, size_t next_B)
{
    encoder_bias_step(t, B);
    EncoderPart p0 = {t, x, rows, B, 0, t->enc_split, t->pre, next_rows, next_B};
    EncoderPart p1 = {t, x, rows, B, t->enc_split, t->N, t->pre1, next_rows, next_B};
    helper_run(&t->helper, encoder_part_step, &p1, encoder_part_step, &p0);
    t->pre_rows = next_rows;
    t->pre_B = next_B;
}

/* Evaluation over users rows[0..n): fills the study MAE over all cells (when
 * want_cells), and the squared / absolute error over rated cells with their
 * count (when want_rated). Works in chunks of EVAL_CHUNK users. */
typedef struct {
    double abs_cells, sq_rated, abs_rated;
    size_t n_cells, n_rated;
} EvalSums;

static void evaluate(Trainer *t, const uint32_t *rows, size_t n, bool want_cells, bool want_rated,
                     EvalSums *e)
{
    Autoencoder *ae = t->ae;
    const SparseRows *x = t->x;
    size_t N = t->N, H = t->H;
    memset(e, 0, sizeof *e);
    for (size_t i0 = 0; i0 < n; i0 += EVAL_CHUNK) {
        size_t C = n - i0 < EVAL_CHUNK ? n - i0 : EVAL_CHUNK;
        const uint32_t *r = rows + i0;
        encoder_forward(t, x, r, C);
        if (want_cells) {
            e->abs_cells += study_decoder_run(t, r, C, false);
            e->n_cells += C * N;
        }
        if (!want_rated)
            continue;
        size_t nq = 0;
        for (size_t b = 0; b < C; b++) {
            t->qstart[b] = (uint32_t)nq;
            for (uint32_t k = x->row_start[r[b]]; k < x->row_start[r[b] + 1]; k++) {
                t->qcol[nq] = x->col[k];
                t->qt[nq++] = x->value[k];
            }
        }
        t->qstart[C] = (uint32_t)nq;
        ae_sparse_decoder_forward(t->z, t->h, t->qstart, t->qcol, ae->w_dec, ae->b_dec, C, H);
        if (t->opt->loss == AE_LOSS_RATED) {
            batch_offsets(t, x, r, C, 1.0f);
            add_user_offsets(t->offset_slope, t->offset, t->qstart, t->qcol, C, t->z);
        }
        ae_sigmoid_forward(t->s, t->z, nq);
        for (size_t k = 0; k < nq; k++) {
            double d = (double)t->s[k] - t->qt[k];
            e->sq_rated += d * d;
            e->abs_rated += fabs(d);
        }
        e->n_rated += nq;
    }
}

/* Held-out error in stars on validation users: hide a seeded share of each
 * user's ratings, encode the rest, compare the reconstruction of the hidden
 * cells with the ratings; the baseline predicts the film's mean over training
 * users. */
static int heldout_eval(Trainer *t, const double *film_mean, const uint32_t *val, size_t n_val,
                        AeReport *rep)
{
    Autoencoder *ae = t->ae;
    const SparseRows *x = t->x;
    size_t H = t->H;
    size_t most = 0;
    for (size_t i = 0; i < n_val; i++) {
        size_t m = x->row_start[val[i] + 1] - x->row_start[val[i]];
        most = m > most ? m : most;
    }
    uint32_t *idx = malloc((most + 1) * sizeof *idx), *vis_col = malloc((most + 1) * sizeof *idx);
    uint32_t *hid_col = malloc((most + 1) * sizeof *idx);
    float *vis_val = malloc((most + 1) * sizeof(float)),
          *hid_val = malloc((most + 1) * sizeof(float));
    float *pred = malloc((most + 1) * sizeof(float)), *h = malloc(H * sizeof(float));
    int rc = FS_ERROR;
    if (!idx || !vis_col || !hid_col || !vis_val || !hid_val || !pred || !h)
        goto done;
    Rng rng;
    rng_seed_stream(&rng, t->opt->seed, STREAM_HOLDOUT);
    double err = 0.0, base = 0.0;
    size_t cells = 0;
    for (size_t i = 0; i < n_val; i++) {
        uint32_t r0 = x->row_start[val[i]];
        size_t m = x->row_start[val[i] + 1] - r0;
        if (m == 0)
            continue;
        size_t k_hide = (size_t)floor((double)t->opt->heldout_share * (double)m + 0.5);
        k_hide = k_hide < 1 ? 1 : k_hide > m ? m : k_hide;
        for (size_t k = 0; k < m; k++)
            idx[k] = (uint32_t)k;
        for (size_t k = 0; k < k_hide; k++) { /* partial Fisher-Yates: idx[0..k_hide) hidden */
            size_t j = k + (size_t)rng_below(&rng, m - k);
            uint32_t tmp = idx[k];
            idx[k] = idx[j];
            idx[j] = tmp;
        }
        for (size_t k = 0; k < m; k++) {
            uint32_t e = r0 + idx[k];
            if (k < k_hide) {
                hid_col[k] = x->col[e];
                hid_val[k] = x->value[e];
            } else {
                vis_col[k - k_hide] = x->col[e];
                vis_val[k - k_hide] = x->value[e];
            }
        }
        if (ae_encode_one(ae, m - k_hide, vis_col, vis_val, h) != FS_OK)
            goto done; /* (the columns are the matrix's own: it cannot refuse them) */
        uint32_t qs[2] = {0, (uint32_t)k_hide};
        ae_sparse_decoder_forward(pred, h, qs, hid_col, ae->w_dec, ae->b_dec, 1, H);
        if (t->opt->loss == AE_LOSS_RATED) {
            float offset = user_offset(film_mean, m - k_hide, vis_col, vis_val, 1.0f);
            add_user_offsets(t->offset_slope, &offset, qs, hid_col, 1, pred);
        }
        ae_sigmoid_forward(pred, pred, k_hide);
        for (size_t k = 0; k < k_hide; k++) {
            uint32_t j = hid_col[k];
            double truth = hid_val[k] * 5.0;
            err += fabs(pred[k] * 5.0 - truth);
            base += fabs(film_mean[j] * 5.0 - truth);
            cells++;
        }
    }
    rep->heldout_cells = cells;
    rep->heldout_mae_stars = cells ? err / (double)cells : NAN;
    rep->heldout_baseline_stars = cells ? base / (double)cells : NAN;
    rc = FS_OK;
done:
    free(idx);
    free(vis_col);
    free(hid_col);
    free(vis_val);
    free(hid_val);
    free(pred);
    free(h);
    return rc;
}

/* With the thread count left to us (STUDY, RATED with two heads): after a
 * first epoch on two threads to warm up, the next epochs alternate between
 * this thread alone and two threads, PROBE_ROUNDS each, and training goes on
 * whichever way took less time. One more round (an epoch each way) checks
 * again when the way chosen may no longer be the faster, as a host's other
 * load comes and goes (the arithmetic is the same either way): on two
 * threads, as soon as an epoch takes more than NEAR_ONE of the last round's
 * epoch on one thread (epochs on two threads took about half as long on
 * ml-100k, so the host's usual jitter does not trigger it, and a busy second
 * core does); on one thread,
 * every REPROBE_EVERY epochs (nothing shows there when the second core is
 * free again). Two whole cores win clearly (0.60-0.70 s against 1.16 s for
 * the study's autoencoder on ml-100k), but where the second core is busy
 * with other work, the steps wait for it (the two threads go in step every
 * batch), and one thread wins. Whole epochs, not shorter rounds: each switch
 * moves half the weights from one core's cache to the other's, which rounds
 * of 25 batches paid for as much as the difference they were to measure. */
enum { PROBE_ROUNDS = 1, REPROBE_EVERY = 20 };
#define NEAR_ONE 0.85

typedef struct {
    double seconds[2]; /* the current round's time: [0] on one thread, [1] on two */
    double one_epoch;  /* the last round's epoch on one thread, seconds */
    double started;
    int window; /* first epoch of the next round, -1 none */
    int way;    /* this epoch's in a round (0 one thread, 1 two), -1 outside */
    bool two;   /* the way the last round chose */
} ThreadProbe;

/* Epoch `epoch`'s way in a round (0 one thread first, then 1 two), -1
 * outside the rounds; *last is set on a round's final epoch. */
static int probe_way(const ThreadProbe *p, int epoch, bool *last)
{
    bool first = epoch <= 2 * PROBE_ROUNDS;
    int start = first ? 1 : p->window;
    int length = first ? 2 * PROBE_ROUNDS : 2;
    int at = epoch - start;
    *last = at == length - 1;
    return start < 0 || at < 0 || at >= length ? -1 : at % 2;
}

/* Before epoch `epoch`: which way to run it. */
static void probe_begin(Trainer *t, ThreadProbe *p, int epoch)
{
    bool last;
    p->way = probe_way(p, epoch, &last);
    t->helper.paused = p->way < 0 ? !p->two : p->way == 0;
    p->started = monotonic_seconds();
}

/* After epoch `epoch`: at the end of a round, keeps the faster way; outside
 * the rounds, decides whether to look again. */
static void probe_end(Trainer *t, ThreadProbe *p, int epoch)
{
    bool last;
    double took = monotonic_seconds() - p->started;
    if (p->way < 0) {
        if (p->two ? took > NEAR_ONE * p->one_epoch : (epoch + 1) % REPROBE_EVERY == 0)
            p->window = epoch + 1;
        return;
    }
    p->seconds[p->way] += took;
    probe_way(p, epoch, &last);
    if (!last)
        return;
    int rounds = epoch <= 2 * PROBE_ROUNDS ? PROBE_ROUNDS : 1;
    p->two = p->seconds[1] <= p->seconds[0];
    p->one_epoch = p->seconds[0] / rounds;
    p->seconds[0] = p->seconds[1] = 0.0;
    p->window = -1;
    t->helper.paused = !p->two;
}

bool ae_options_valid(const AeOptions *o)
{
    return o->hidden >= 1 && o->epochs >= 0 && o->batch >= 1 && o->lr > 0.0f && isfinite(o->lr) &&
           (o->loss == AE_LOSS_RATED || o->loss == AE_LOSS_STUDY) && o->unrated_share >= 0.0f &&
           o->unrated_share <= 1e6f && o->unrated_weight >= 0.0f && isfinite(o->unrated_weight) &&
           o->val_share >= 0.0 && o->val_share < 1.0 && o->heldout_share >= 0.0f &&
           o->heldout_share <= 1.0f && o->input_dropout >= 0.0f && o->input_dropout < 1.0f &&
           o->weight_decay >= 0.0f && isfinite(o->weight_decay) && o->implicit_weight >= 0.0f &&
           isfinite(o->implicit_weight) && o->implicit_negatives >= 0.0f &&
           o->implicit_negatives <= 1e6f;
}

int ae_train(Autoencoder *ae, const SparseRows *x, const AeOptions *opt, const Progress *progress,
             AeReport *report)
{
    AeReport rep = {0};
    if (report)
        memset(report, 0, sizeof *report);
    if (!ae)
        return FS_ERROR;
    memset(ae, 0, sizeof *ae);
    if (!x || !opt || !ae_options_valid(opt) || x->n_rows < 2 || x->n_cols == 0 ||
        check_rows(x, x->n_cols) != FS_OK)
        return FS_ERROR;

    size_t n = x->n_rows, N = x->n_cols, H = (size_t)opt->hidden, B = (size_t)opt->batch;
    size_t n_val = (size_t)ceil(opt->val_share * (double)n);
    if (opt->val_share > 0.0 && n_val < 1)
        n_val = 1;
    if (n_val > n - 1)
        n_val = n - 1;
    size_t n_train = n - n_val;
    if (B > n_train)
        B = n_train;

    /* the study loss's parts take ranges of films (sparse_row_range): each
     * row's films in increasing order, in a sorted copy when they are not */
    SortedRows sorted = {0};
    if (!rows_ascending(x)) {
        if (sort_rows(x, &sorted) != FS_OK) {
            free(sorted.col);
            free(sorted.value);
            return FS_ERROR;
        }
        x = &sorted.x;
    }
    Trainer t = {.x = x, .opt = opt, .ae = ae, .N = N, .H = H, .B = B};
    int rc = FS_ERROR;
#ifdef SIMD_X86
    /* denormals flushed to zero (FTZ, DAZ) while training, in this thread and
     * the helper, which inherits it: tiny gradients and Adam moments otherwise
     * fall into denormals, which are slow (the default training on ml-100k
     * took 3.5-4.0 s with them, 2.65 s without; same labels either way) */
    unsigned int saved_mxcsr = _mm_getcsr();
    _mm_setcsr(saved_mxcsr | 0x8040);
#endif
    double *film_mean = NULL; /* (N) over the training users */
    uint32_t *users = malloc(n * sizeof *users);
    rep.train_loss = malloc(((size_t)opt->epochs + 1) * sizeof(double));
    rep.val_loss = malloc(((size_t)opt->epochs + 1) * sizeof(double));
    int heads = opt->loss == AE_LOSS_RATED && opt->implicit_weight > 0.0f ? 2 : 1;
    if (!users || !rep.train_loss || !rep.val_loss ||
        ae_init_heads(ae, N, H, heads, opt->seed) != FS_OK)
        goto done;
    ae->unit_input = opt->loss == AE_LOSS_RATED;
    for (size_t i = 0; i < n; i++)
        users[i] = (uint32_t)i;
    Rng split_rng, shuffle_rng;
    rng_seed_stream(&split_rng, opt->seed, STREAM_SPLIT);
    rng_seed_stream(&shuffle_rng, opt->seed, STREAM_SHUFFLE);
    rng_seed_stream(&t.sample_rng, opt->seed, STREAM_SAMPLE);
    rng_seed_stream(&t.dropout_rng, opt->seed, STREAM_DROPOUT);
    rng_shuffle_u32(&split_rng, users, n);
    uint32_t *train = users, *val = users + n_train;
    if (trainer_alloc(&t, train, n_train) != FS_OK || check_no_repeats(x, &t.enc_rows) != FS_OK ||
        !(film_mean = film_means(x, train, n_train)))
        goto done;
    t.film_mean = film_mean;
    for (size_t j = 0; j < N; j++) {
        double m = clamped_mean(film_mean[j]);
        t.offset_slope[j] = (float)(1.0 / (m * (1.0 - m)));
    }
    if (opt->loss == AE_LOSS_RATED)
        rated_bias_init(ae, film_mean);
    else
        decoder_transpose(&t, true);

    int study = opt->loss == AE_LOSS_STUDY;
    size_t batches = 0;
    ThreadProbe probe = {.two = true, .window = -1};
    for (int epoch = 0; epoch < opt->epochs; epoch++) {
        if (t.probe_threads)
            probe_begin(&t, &probe, epoch);
        rng_shuffle_u32(&shuffle_rng, train, n_train);
        double loss_sum = 0.0;
        size_t loss_n = 0;
        for (size_t i0 = 0; i0 < n_train; i0 += B, batches++) {
            if (batches % CANCEL_EVERY == 0 && progress_cancelled(progress)) {
                rc = FS_CANCELLED;
                goto done;
            }
            size_t Bc = n_train - i0 < B ? n_train - i0 : B;
            const uint32_t *rows = train + i0;
            /* the encoder's input: the batch's rows, or a dropout copy of them */
            SparseRows in = *x;
            const uint32_t *in_rows = rows;
            if (!study && opt->input_dropout > 0.0f) {
                in = dropout_batch(&t, rows, Bc);
                in_rows = NULL;
            }
            encoder_forward(&t, &in, in_rows, Bc);
            if (!study) /* from what the encoder saw, dropout's scaling undone */
                batch_offsets(&t, &in, in_rows, Bc, in_rows ? 1.0f : 1.0f - opt->input_dropout);
            adam_begin_step(&t.adam);
            /* the next batch of the epoch (NULL: none), which the step starts
             * on: STUDY its forward pass, RATED its cells */
            size_t next_B = n_train - (i0 + Bc) < B ? n_train - (i0 + Bc) : B;
            const uint32_t *next_rows = next_B > 0 ? rows + Bc : NULL;
            if (study) {
                loss_sum += study_batch_step(&t, rows, Bc) * (double)(Bc * N);
                loss_n += Bc * N;
                encoder_step(&t, &in, in_rows, Bc, next_rows, next_B);
            } else {
                size_t nr;
                loss_sum += rated_step(&t, &in, in_rows, rows, Bc, next_rows, next_B, &nr);
                loss_n += nr;
            }
        }
        EvalSums e;
        evaluate(&t, val, n_val, study, !study, &e); /* what the epoch's loss needs */
        if (t.probe_threads)
            probe_end(&t, &probe, epoch);
        rep.train_loss[epoch] = loss_n ? loss_sum / (double)loss_n : NAN;
        rep.val_loss[epoch] = n_val == 0  ? NAN
                              : study     ? e.abs_cells / (double)e.n_cells
                              : e.n_rated ? e.sq_rated / (double)e.n_rated
                                          : NAN;
        rep.epochs_run = epoch + 1;
        ProgressEvent ev = {STAGE_AUTOENCODER,   epoch + 1, opt->epochs, rep.train_loss[epoch],
                            rep.val_loss[epoch], NAN,       NAN};
        progress_report(progress, &ev);
        if (progress_cancelled(progress)) {
            rc = FS_CANCELLED;
            goto done;
        }
    }

    if (study) /* the rated cells' error reads w_dec, which STUDY kept transposed */
        decoder_transpose(&t, false);
    EvalSums e; /* every cell only for STUDY: it costs users x films */
    evaluate(&t, val, n_val, study, true, &e);
    rep.val_mae_cells = e.n_cells ? e.abs_cells / (double)e.n_cells : NAN;
    rep.val_mae_rated_stars = e.n_rated ? e.abs_rated / (double)e.n_rated * 5.0 : NAN;
    rep.heldout_mae_stars = rep.heldout_baseline_stars = NAN;
    if (heldout_eval(&t, film_mean, val, n_val, &rep) != FS_OK)
        goto done;
    rep.n_train = n_train;
    rep.n_val = n_val;
    rc = FS_OK;
done:
    trainer_free(&t);
#ifdef SIMD_X86
    _mm_setcsr(saved_mxcsr);
#endif
    free(sorted.col);
    free(sorted.value);
    free(users);
    free(film_mean);
    if (rc == FS_OK && report) {
        *report = rep;
    } else {
        ae_report_free(&rep);
        if (rc != FS_OK)
            ae_free(ae);
    }
    return rc;
}
