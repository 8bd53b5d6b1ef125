/* study_encoder.c: the study loss's encoder step, fused; see study_encoder.h.
 * The AVX-512 code takes the rows nobody in the batch rated in runs (Adam
 * with a zero gradient), and each other row in registers: its gradient, then
 * its Adam step. The portable code goes along each row the same way, one
 * hidden unit at a time. */
#include "filmseg/study_encoder.h"

#include <math.h>

#include "simd_rows.h"

/* Portable: one row, a hidden unit at a time, with the same operations as the vector
 * code (a fused multiply-add per input, Adam as simd.h has it). */
static void row_portable(const StudyEncoder *e, const AdamCoef *k, size_t j, const FilmLists *batch)
{
    size_t H = e->H, f = j - batch->from;
    float *w = e->w + j * H, *m = e->m + j * H, *v = e->v + j * H;
    for (size_t i = 0; i < H; i++) {
        float g = 0.0f;
        for (uint32_t q = batch->start[f]; q < batch->start[f + 1]; q++)
            g = fmaf(batch->value[q], e->dpre[batch->user[q] * H + i], g);
        adam_scalar_one(k, w + i, g, m + i, v + i);
    }
}

#ifdef SIMD_X86
/* Adam with a zero gradient on n floats from w (the last n % 4 one by one):
 * whole rows that no user of the batch rated, in one run. */
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
    for (; i + 4 <= n; i += 4) {
        __m128 mi = _mm_loadu_ps(m + i), vi = _mm_loadu_ps(v + i);
        __m128 p = adam_ps128(k, _mm_loadu_ps(w + i), _mm_setzero_ps(), &mi, &vi);
        _mm_storeu_ps(w + i, p);
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
    }
    for (; i < n; i++)
        adam_scalar_one(k, w + i, 0.0f, m + i, v + i);
}

/* Row j, which someone in the batch rated, in registers: gradient, Adam. */
ROWS_AVX512_INLINE void rated_row(const StudyEncoder *e, const AdamCoef *k, size_t j,
                                  const FilmLists *batch, const int F, int T)
{
    size_t H = e->H, f = j - batch->from;
    RowRegs g;
    row_zero(&g, F);
    for (uint32_t q = batch->start[f]; q < batch->start[f + 1]; q++)
        row_fma(&g, batch->value[q], e->dpre + batch->user[q] * H, F, T);
    row_adam(k, &g, e->w + j * H, e->m + j * H, e->v + j * H, F, T);
}

/* Rows that do not fit the registers, or of a length not a multiple of 4:
 * row j's columns [at, at + 16 F + 4 T + R), the R < 4 last ones one by one
 * with the portable code's operations (per weight: the same bits). */
ROWS_AVX512_INLINE void rated_row_part(const StudyEncoder *e, const AdamCoef *k, size_t j,
                                       const FilmLists *batch, size_t at, const int F, int T, int R)
{
    size_t H = e->H, f = j - batch->from, rest = ROW_CHUNK * (size_t)F + 4 * (size_t)T;
    RowRegs g;
    row_zero(&g, F);
    float tail[3] = {0.0f, 0.0f, 0.0f};
    for (uint32_t q = batch->start[f]; q < batch->start[f + 1]; q++) {
        const float *x = e->dpre + batch->user[q] * H + at;
        row_fma(&g, batch->value[q], x, F, T);
        for (int r = 0; r < R; r++)
            tail[r] = fmaf(batch->value[q], x[rest + (size_t)r], tail[r]);
    }
    float *w = e->w + j * H + at, *m = e->m + j * H + at, *v = e->v + j * H + at;
    row_adam(k, &g, w, m, v, F, T);
    for (int r = 0; r < R; r++)
        adam_scalar_one(k, w + rest + r, tail[r], m + rest + r, v + rest + r);
}

/* The part of row j from column at on, of n <= ROW_MAX_CHUNKS chunks' worth
 * of columns: one copy of rated_row_part per count of whole chunks. */
ROWS_AVX512_INLINE void rated_row_part_any(const StudyEncoder *e, const AdamCoef *k, size_t j,
                                           const FilmLists *batch, size_t at, size_t n)
{
    int T = (int)(n % ROW_CHUNK) / 4, R = (int)(n % 4);
    switch (n / ROW_CHUNK) {
    case 0: rated_row_part(e, k, j, batch, at, 0, T, R); break;
    case 1: rated_row_part(e, k, j, batch, at, 1, T, R); break;
    case 2: rated_row_part(e, k, j, batch, at, 2, T, R); break;
    case 3: rated_row_part(e, k, j, batch, at, 3, T, R); break;
    case 4: rated_row_part(e, k, j, batch, at, 4, T, R); break;
    case 5: rated_row_part(e, k, j, batch, at, 5, T, R); break;
    case 6: rated_row_part(e, k, j, batch, at, 6, T, R); break;
    case 7: rated_row_part(e, k, j, batch, at, 7, T, R); break;
    default: rated_row_part(e, k, j, batch, at, 8, T, R); break;
    }
}

/* The rows of the batch's range: runs of rows nobody rated in one go, the
 * others one by one, in registers (F chunks), or in parts of at most
 * ROW_MAX_CHUNKS chunks (F = ROWS_IN_PARTS). */
enum { ROWS_IN_PARTS = -1 };
ROWS_AVX512_INLINE void rows_avx512(const StudyEncoder *e, const AdamCoef *k,
                                    const FilmLists *batch, const int F)
{
    enum { PART = ROW_CHUNK * ROW_MAX_CHUNKS };
    size_t H = e->H;
    int T = (int)(H % ROW_CHUNK) / 4;
    for (size_t j = batch->from; j < batch->to;) {
        size_t run = j;
        while (run < batch->to &&
               batch->start[run - batch->from] == batch->start[run - batch->from + 1])
            run++;
        if (run > j)
            zero_gradient_run(k, e->w + j * H, e->m + j * H, e->v + j * H, (run - j) * H);
        if (run < batch->to && F != ROWS_IN_PARTS)
            rated_row(e, k, run, batch, F, T);
        for (size_t at = 0; run < batch->to && F == ROWS_IN_PARTS && at < H; at += PART)
            rated_row_part_any(e, k, run, batch, at, H - at < PART ? H - at : PART);
        j = run + 1;
    }
}

/* Rows held in registers (ROWS_SWITCH), or else in parts. */
ROWS_AVX512 static bool step_avx512(const StudyEncoder *e, const AdamCoef *k,
                                    const FilmLists *batch)
{
#define ROWS_CALL(F) rows_avx512(e, k, batch, F)
    ROWS_SWITCH(e->H, ROWS_CALL)
#undef ROWS_CALL
    rows_avx512(e, k, batch, ROWS_IN_PARTS);
    return true;
}
#endif

void study_encoder_step(const StudyEncoder *e, const AdamCoef *k, const FilmLists *batch)
{
#ifdef SIMD_X86
    if (!e->portable && rows_avx512_cpu() && step_avx512(e, k, batch))
        return;
#endif
    for (size_t j = batch->from; j < batch->to; j++)
        row_portable(e, k, j, batch);
}
