/* lazy_rows.c: the rated loss's fused lazy Adam step on the rows a batch
 * touched; see lazy_rows.h. */
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
ROWS_AVX512_INLINE void row_avx512(const LazyRows *s, const AdamCoef *k, const FilmLists *l,
                                   size_t j, const int F, int T)
{
    size_t H = s->H, f = j - l->from;
    RowRegs g;
    row_zero(&g, F);
    for (uint32_t q = l->start[f]; q < l->start[f + 1]; q++)
        row_fma(&g, entry_coef(s, l, q), s->src + l->user[q] * H, F, T);
    float *w = s->w + j * H;
    if (s->weight_decay > 0.0f)
        row_fma(&g, s->weight_decay, w, F, T);
    row_adam(k, &g, w, s->m + j * H, s->v + j * H, F, T);
}

ROWS_AVX512_INLINE void rows_avx512(const LazyRows *s, const AdamCoef *k, const FilmLists *l,
                                    const int F)
{
    int T = (int)(s->H % ROW_CHUNK) / 4;
    for (size_t j = l->from; j < l->to; j++) {
        size_t f = j - l->from;
        if (l->start[f] == l->start[f + 1])
            continue;
        row_avx512(s, k, l, j, F, T);
        if (s->b)
            bias_step(s, k, l, j);
    }
}

/* Returns false for rows this code does not take (see ROWS_SWITCH). */
__attribute__((target("avx512f"))) static bool step_avx512(const LazyRows *s, const AdamCoef *k,
                                                           const FilmLists *l)
{
#define ROWS_CALL(F) rows_avx512(s, k, l, F)
    ROWS_SWITCH(s->H, ROWS_CALL)
#undef ROWS_CALL
    return false;
}
#endif

void lazy_rows_step(const LazyRows *s, const AdamCoef *k, const FilmLists *l)
{
#ifdef SIMD_X86
    if (!s->portable && __builtin_cpu_supports("avx512f") && step_avx512(s, k, l))
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
