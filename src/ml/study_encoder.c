/* study_encoder.c: the study loss's encoder step, fused; see study_encoder.h.
 * The AVX-512 code takes the rows nobody in this batch or the next rated in
 * runs (Adam with a zero gradient), and each other row in registers: its
 * gradient, its Adam step, then its share of the next batch's
 * pre-activations. The portable code goes along each row the same way, one
 * hidden unit at a time. */
#include "filmseg/study_encoder.h"

#include <math.h>

#include "simd_rows.h"

/* Portable: one row, a hidden unit at a time, with the same operations as the vector
 * code (a fused multiply-add per input, Adam as simd.h has it). */
static void row_portable(const StudyEncoder *e, const AdamCoef *k, size_t j, const FilmLists *cur,
                         const FilmLists *next)
{
    size_t H = e->H, f = j - cur->from;
    float *w = e->w + j * H, *m = e->m + j * H, *v = e->v + j * H;
    for (size_t i = 0; i < H; i++) {
        float g = 0.0f;
        for (uint32_t q = cur->start[f]; q < cur->start[f + 1]; q++)
            g = fmaf(cur->value[q], e->dpre[cur->user[q] * H + i], g);
        adam_scalar_one(k, w + i, g, m + i, v + i);
        if (next)
            for (uint32_t q = next->start[f]; q < next->start[f + 1]; q++) {
                float *out = e->pre_next + next->user[q] * H + i;
                *out = fmaf(next->value[q], w[i], *out);
            }
    }
}

#ifdef SIMD_X86
/* Adam with a zero gradient on n floats (a multiple of 4) from w: whole
 * rows that no user of this batch or the next rated, in one run. */
ROWS_AVX512_INLINE void zero_gradient_run(const AdamCoef *k, float *w, float *m, float *v, size_t n)
{
    size_t i = 0;
    for (; i + ROW_CHUNK <= n; i += ROW_CHUNK) {
        __m512 mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
        __m512 p = adam_ps512(k, _mm512_loadu_ps(w + i), _mm512_setzero_ps(), &mi, &vi);
        _mm512_storeu_ps(w + i, p);
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
    }
    for (; i < n; i += 4) {
        __m128 mi = _mm_loadu_ps(m + i), vi = _mm_loadu_ps(v + i);
        __m128 p = adam_ps128(k, _mm_loadu_ps(w + i), _mm_setzero_ps(), &mi, &vi);
        _mm_storeu_ps(w + i, p);
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
    }
}

/* Row j, which someone in this batch or the next rated, in registers:
 * gradient, Adam, the next batch's sums. */
ROWS_AVX512_INLINE void rated_row(const StudyEncoder *e, const AdamCoef *k, size_t j,
                                  const FilmLists *cur, const FilmLists *next, const int F, int T)
{
    size_t H = e->H, f = j - cur->from, q0 = (size_t)F * ROW_CHUNK;
    RowRegs g;
    row_zero(&g, F);
    for (uint32_t q = cur->start[f]; q < cur->start[f + 1]; q++)
        row_fma(&g, cur->value[q], e->dpre + cur->user[q] * H, F, T);
    row_adam(k, &g, e->w + j * H, e->m + j * H, e->v + j * H, F, T); /* g: the row moved */
    if (!next)
        return;
    for (uint32_t q = next->start[f]; q < next->start[f + 1]; q++) {
        float *out = e->pre_next + next->user[q] * H;
        __m512 a = _mm512_set1_ps(next->value[q]);
        for (int c = 0; c < F; c++)
            _mm512_storeu_ps(out + ROW_CHUNK * c,
                             _mm512_fmadd_ps(a, g.chunk[c], _mm512_loadu_ps(out + ROW_CHUNK * c)));
        for (int c = 0; c < ROW_MAX_QUADS; c++)
            if (c < T)
                _mm_storeu_ps(out + q0 + 4 * c, _mm_fmadd_ps(_mm512_castps512_ps128(a), g.quad[c],
                                                             _mm_loadu_ps(out + q0 + 4 * c)));
    }
}

static inline bool no_entries(const FilmLists *l, size_t f)
{
    return !l || l->start[f] == l->start[f + 1];
}

/* The rows of cur's range: runs of rows nobody rated in one go, the others
 * one by one. */
ROWS_AVX512_INLINE void rows_avx512(const StudyEncoder *e, const AdamCoef *k, const FilmLists *cur,
                                    const FilmLists *next, const int F)
{
    size_t H = e->H;
    int T = (int)(H % ROW_CHUNK) / 4;
    for (size_t j = cur->from; j < cur->to;) {
        size_t run = j;
        while (run < cur->to && no_entries(cur, run - cur->from) &&
               no_entries(next, run - cur->from))
            run++;
        if (run > j)
            zero_gradient_run(k, e->w + j * H, e->m + j * H, e->v + j * H, (run - j) * H);
        if (run < cur->to)
            rated_row(e, k, run, cur, next, F, T);
        j = run + 1;
    }
}

/* Returns false for rows this code does not take (see ROWS_SWITCH). */
__attribute__((target("avx512f"))) static bool
step_avx512(const StudyEncoder *e, const AdamCoef *k, const FilmLists *cur, const FilmLists *next)
{
#define ROWS_CALL(F) rows_avx512(e, k, cur, next, F)
    ROWS_SWITCH(e->H, ROWS_CALL)
#undef ROWS_CALL
    return false;
}
#endif

void study_encoder_step(const StudyEncoder *e, const AdamCoef *k, const FilmLists *cur,
                        const FilmLists *next)
{
#ifdef SIMD_X86
    if (!e->portable && __builtin_cpu_supports("avx512f") && step_avx512(e, k, cur, next))
        return;
#endif
    for (size_t j = cur->from; j < cur->to; j++)
        row_portable(e, k, j, cur, next);
}
