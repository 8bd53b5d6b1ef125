/* lazy_rows.c: the rated loss's fused lazy Adam step on the rows a batch
 * touched; see lazy_rows.h. The AVX-512 code takes a bias's gradient from
 * its row's loop and the biases' Adam steps 16 films at a time (the step
 * 46-48 to 39-44 us a call on ml-100k's default training, the same bits);
 * the portable code one bias after its row. */
#include "filmseg/lazy_rows.h"

#include <math.h>

#include "simd_rows.h"

static inline float entry_coef(const LazyRows *s, const FilmLists *l, uint32_t q)
{
    float a = s->coef[l->entry[q]];
    return s->scale ? s->scale[l->user[q]] * a : a;
}

/* The bias of film j: its gradient, the sum of the entries' coefficients. */
static void bias_step(const LazyRows *s, const AdamCoef *k, const FilmLists *l, size_t j)
{
    size_t f = j - l->from;
    float g = 0.0f;
    for (uint32_t q = l->start[f]; q < l->start[f + 1]; q++)
        g += entry_coef(s, l, q);
    adam_scalar_one(k, s->b + j, g, s->b_m + j, s->b_v + j);
}

/* Portable: row j one weight at a time, with the same operations as the
 * vector code. */
static void row_portable(const LazyRows *s, const AdamCoef *k, const FilmLists *l, size_t j)
{
    size_t H = s->H, f = j - l->from;
    float *w = s->w + j * H, *m = s->m + j * H, *v = s->v + j * H;
    for (size_t i = 0; i < H; i++) {
        float g = 0.0f;
        for (uint32_t q = l->start[f]; q < l->start[f + 1]; q++)
            g = fmaf(entry_coef(s, l, q), s->src[l->user[q] * H + i], g);
        if (s->weight_decay > 0.0f)
            g = fmaf(s->weight_decay, w[i], g);
        adam_scalar_one(k, w + i, g, m + i, v + i);
    }
}

#ifdef SIMD_X86
/* The biases of a block of 16 films (those the batch touched, in mask),
 * gradients g: Adam on them in one vector, the same bits as one by one (a
 * square root or division costs the same whatever its width). */
typedef struct {
    size_t block; /* first film of the block */
    __mmask16 mask;
    float g[16];
} BiasBlock;

ROWS_AVX512_INLINE void bias_block_step(const LazyRows *s, const AdamCoef *k, BiasBlock *bb)
{
    if (!bb->mask)
        return;
    float *b = s->b + bb->block, *m = s->b_m + bb->block, *v = s->b_v + bb->block;
    __m512 mi = _mm512_maskz_loadu_ps(bb->mask, m), vi = _mm512_maskz_loadu_ps(bb->mask, v);
    __m512 p = adam_ps512(k, _mm512_maskz_loadu_ps(bb->mask, b),
                          _mm512_maskz_loadu_ps(bb->mask, bb->g), &mi, &vi);
    _mm512_mask_storeu_ps(b, bb->mask, p);
    _mm512_mask_storeu_ps(m, bb->mask, mi);
    _mm512_mask_storeu_ps(v, bb->mask, vi);
    bb->mask = 0;
}

/* Row j's step in registers; returns its bias's gradient (the entries'
 * coefficients, summed in order as bias_step does) from the same loop. */
ROWS_AVX512_INLINE float row_avx512(const LazyRows *s, const AdamCoef *k, const FilmLists *l,
                                    size_t j, const int F, int T)
{
    size_t H = s->H, f = j - l->from;
    RowRegs g;
    row_zero(&g, F);
    float gb = 0.0f;
    for (uint32_t q = l->start[f]; q < l->start[f + 1]; q++) {
        float a = entry_coef(s, l, q);
        gb += a;
        row_fma(&g, a, s->src + l->user[q] * H, F, T);
    }
    float *w = s->w + j * H;
    if (s->weight_decay > 0.0f)
        row_fma(&g, s->weight_decay, w, F, T);
    row_adam(k, &g, w, s->m + j * H, s->v + j * H, F, T);
    return gb;
}

/* Rows that do not fit the registers, or of a length not a multiple of 4:
 * row j's columns [at, at + 16 F + 4 T + R), the R < 4 last ones one by one
 * with the portable code's operations (every operation is per weight, so the
 * bits are the same). Returns the bias's gradient (the entries'
 * coefficients summed in order). */
ROWS_AVX512_INLINE float row_part_avx512(const LazyRows *s, const AdamCoef *k, const FilmLists *l,
                                         size_t j, size_t at, const int F, int T, int R)
{
    size_t H = s->H, f = j - l->from, rest = ROW_CHUNK * (size_t)F + 4 * (size_t)T;
    RowRegs g;
    row_zero(&g, F);
    float tail[3] = {0.0f, 0.0f, 0.0f}, gb = 0.0f;
    for (uint32_t q = l->start[f]; q < l->start[f + 1]; q++) {
        float a = entry_coef(s, l, q);
        const float *x = s->src + l->user[q] * H + at;
        gb += a;
        row_fma(&g, a, x, F, T);
        for (int r = 0; r < R; r++)
            tail[r] = fmaf(a, x[rest + (size_t)r], tail[r]);
    }
    float *w = s->w + j * H + at, *m = s->m + j * H + at, *v = s->v + j * H + at;
    if (s->weight_decay > 0.0f) {
        row_fma(&g, s->weight_decay, w, F, T);
        for (int r = 0; r < R; r++)
            tail[r] = fmaf(s->weight_decay, w[rest + (size_t)r], tail[r]);
    }
    row_adam(k, &g, w, m, v, F, T);
    for (int r = 0; r < R; r++)
        adam_scalar_one(k, w + rest + r, tail[r], m + rest + r, v + rest + r);
    return gb;
}

/* The part of row j from column at on, of n <= ROW_MAX_CHUNKS chunks' worth
 * of columns: one copy of row_part_avx512 per count of whole chunks. */
ROWS_AVX512_INLINE float row_part_any(const LazyRows *s, const AdamCoef *k, const FilmLists *l,
                                      size_t j, size_t at, size_t n)
{
    int T = (int)(n % ROW_CHUNK) / 4, R = (int)(n % 4);
    switch (n / ROW_CHUNK) {
    case 0: return row_part_avx512(s, k, l, j, at, 0, T, R);
    case 1: return row_part_avx512(s, k, l, j, at, 1, T, R);
    case 2: return row_part_avx512(s, k, l, j, at, 2, T, R);
    case 3: return row_part_avx512(s, k, l, j, at, 3, T, R);
    case 4: return row_part_avx512(s, k, l, j, at, 4, T, R);
    case 5: return row_part_avx512(s, k, l, j, at, 5, T, R);
    case 6: return row_part_avx512(s, k, l, j, at, 6, T, R);
    case 7: return row_part_avx512(s, k, l, j, at, 7, T, R);
    default: return row_part_avx512(s, k, l, j, at, 8, T, R);
    }
}

/* The rows the batch touched, each in registers (F chunks) or in parts of
 * at most ROW_MAX_CHUNKS chunks (F = ROWS_IN_PARTS); with biases, each
 * row's bias gradient into bb, whose block's step is taken when the rows
 * leave it. */
enum { ROWS_IN_PARTS = -1 };
ROWS_AVX512_INLINE void rows_avx512(const LazyRows *s, const AdamCoef *k, const FilmLists *l,
                                    const int F)
{
    enum { PART = ROW_CHUNK * ROW_MAX_CHUNKS };
    int T = (int)(s->H % ROW_CHUNK) / 4;
    BiasBlock bb = {l->from / 16 * 16, 0, {0}};
    for (size_t j = l->from; j < l->to; j++) {
        size_t f = j - l->from;
        if (l->start[f] == l->start[f + 1])
            continue;
        float gb = 0.0f;
        if (F != ROWS_IN_PARTS)
            gb = row_avx512(s, k, l, j, F, T);
        for (size_t at = 0; F == ROWS_IN_PARTS && at < s->H; at += PART) {
            float part_gb = row_part_any(s, k, l, j, at, s->H - at < PART ? s->H - at : PART);
            gb = at == 0 ? part_gb : gb;
        }
        if (s->b) {
            if (j - bb.block >= 16) {
                bias_block_step(s, k, &bb);
                bb.block = j / 16 * 16;
            }
            bb.g[j - bb.block] = gb;
            bb.mask |= (__mmask16)(1u << (j - bb.block));
        }
    }
    if (s->b)
        bias_block_step(s, k, &bb);
}

/* Rows held in registers (ROWS_SWITCH), or else in parts. */
ROWS_AVX512 static bool step_avx512(const LazyRows *s, const AdamCoef *k, const FilmLists *l)
{
#define ROWS_CALL(F) rows_avx512(s, k, l, F)
    ROWS_SWITCH(s->H, ROWS_CALL)
#undef ROWS_CALL
    rows_avx512(s, k, l, ROWS_IN_PARTS);
    return true;
}
#endif

void lazy_rows_step(const LazyRows *s, const AdamCoef *k, const FilmLists *l)
{
#ifdef SIMD_X86
    if (!s->portable && rows_avx512_cpu() && step_avx512(s, k, l))
        return;
#endif
    for (size_t j = l->from; j < l->to; j++) {
        size_t f = j - l->from;
        if (l->start[f] == l->start[f + 1])
            continue;
        row_portable(s, k, l, j);
        if (s->b)
            bias_step(s, k, l, j);
    }
}
