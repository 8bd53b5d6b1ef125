/* simd_rows.h (internal to src/ml): a weight row of H floats held in AVX-512
 * registers, for the fused steps that go down the rows one film at a time
 * (study_encoder.c, lazy_rows.c): F chunks of 16 floats, then T quads of 4
 * (H = 16 F + 4 T, T < 4), so that no store is masked (masked stores cost a
 * lot on some machines). F is a constant where the functions are inlined
 * (ROWS_SWITCH makes one copy of the caller per F). */
#ifndef FILMSEG_ML_SIMD_ROWS_H
#define FILMSEG_ML_SIMD_ROWS_H

#include <stdbool.h>

#include "simd.h"

#ifdef SIMD_X86
/* The quads' fused multiply-adds (_mm_fmadd_ps, 128-bit) are FMA3, which
 * AVX-512F does not include: these functions are compiled for both, whatever
 * -march the build has, and run only where the CPU has both (rows_avx512_cpu).
 * The functions calling the inline ones carry ROWS_AVX512 (an always_inline
 * function's target must be within its caller's). */
#define ROWS_AVX512 __attribute__((target("avx512f,fma")))
#define ROWS_AVX512_INLINE static inline __attribute__((always_inline, target("avx512f,fma")))

static inline bool rows_avx512_cpu(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}

enum { ROW_CHUNK = 16, ROW_MAX_CHUNKS = 8, ROW_MAX_QUADS = 3 };

typedef struct {
    __m512 chunk[ROW_MAX_CHUNKS];
    __m128 quad[ROW_MAX_QUADS];
} RowRegs;

ROWS_AVX512_INLINE void row_zero(RowRegs *r, const int F)
{
    for (int c = 0; c < F; c++)
        r->chunk[c] = _mm512_setzero_ps();
    for (int c = 0; c < ROW_MAX_QUADS; c++)
        r->quad[c] = _mm_setzero_ps();
}

ROWS_AVX512_INLINE void row_load(RowRegs *r, const float *x, const int F, int T)
{
    for (int c = 0; c < F; c++)
        r->chunk[c] = _mm512_loadu_ps(x + ROW_CHUNK * c);
    for (int c = 0; c < ROW_MAX_QUADS; c++)
        r->quad[c] = c < T ? _mm_loadu_ps(x + ROW_CHUNK * F + 4 * c) : _mm_setzero_ps();
}

ROWS_AVX512_INLINE void row_store(float *x, const RowRegs *r, const int F, int T)
{
    for (int c = 0; c < F; c++)
        _mm512_storeu_ps(x + ROW_CHUNK * c, r->chunk[c]);
    for (int c = 0; c < ROW_MAX_QUADS; c++)
        if (c < T)
            _mm_storeu_ps(x + ROW_CHUNK * F + 4 * c, r->quad[c]);
}

/* r += a x (a fused multiply-add per float), x a row in memory. */
ROWS_AVX512_INLINE void row_fma(RowRegs *r, float a, const float *x, const int F, int T)
{
    __m512 a16 = _mm512_set1_ps(a);
    for (int c = 0; c < F; c++)
        r->chunk[c] = _mm512_fmadd_ps(a16, _mm512_loadu_ps(x + ROW_CHUNK * c), r->chunk[c]);
    for (int c = 0; c < ROW_MAX_QUADS; c++)
        if (c < T)
            r->quad[c] = _mm_fmadd_ps(_mm512_castps512_ps128(a16),
                                      _mm_loadu_ps(x + ROW_CHUNK * F + 4 * c), r->quad[c]);
}

/* Adam with constants k on the row w (moments m, v) with gradient g: w, m, v
 * are stored, and g becomes the moved row. */
ROWS_AVX512_INLINE void row_adam(const AdamCoef *k, RowRegs *g, float *w, float *m, float *v,
                                 const int F, int T)
{
    for (int c = 0; c < F; c++) {
        size_t at = ROW_CHUNK * (size_t)c;
        __m512 mi = _mm512_loadu_ps(m + at), vi = _mm512_loadu_ps(v + at);
        g->chunk[c] = adam_ps512(k, _mm512_loadu_ps(w + at), g->chunk[c], &mi, &vi);
        _mm512_storeu_ps(w + at, g->chunk[c]);
        _mm512_storeu_ps(m + at, mi);
        _mm512_storeu_ps(v + at, vi);
    }
    for (int c = 0; c < ROW_MAX_QUADS; c++)
        if (c < T) {
            size_t at = ROW_CHUNK * (size_t)F + 4 * (size_t)c;
            __m128 mi = _mm_loadu_ps(m + at), vi = _mm_loadu_ps(v + at);
            g->quad[c] = adam_ps128(k, _mm_loadu_ps(w + at), g->quad[c], &mi, &vi);
            _mm_storeu_ps(w + at, g->quad[c]);
            _mm_storeu_ps(m + at, mi);
            _mm_storeu_ps(v + at, vi);
        }
}

/* Returns CALL(F) (a statement) for rows of H floats with F = H / 16 up to
 * ROW_MAX_CHUNKS and H a multiple of 4; falls through (to the caller's
 * portable code) otherwise. */
#define ROWS_SWITCH(H, CALL)                                                                       \
    if ((H) % 4 == 0)                                                                              \
        switch ((H) / ROW_CHUNK) {                                                                 \
        case 0: CALL(0); return true;                                                              \
        case 1: CALL(1); return true;                                                              \
        case 2: CALL(2); return true;                                                              \
        case 3: CALL(3); return true;                                                              \
        case 4: CALL(4); return true;                                                              \
        case 5: CALL(5); return true;                                                              \
        case 6: CALL(6); return true;                                                              \
        case 7: CALL(7); return true;                                                              \
        case 8: CALL(8); return true;                                                              \
        default: break;                                                                            \
        }
#endif

#endif
