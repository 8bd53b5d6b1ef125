/* study_encoder.c: the study loss's encoder step, fused; see study_encoder.h.
 * The AVX-512 code takes the rows nobody in this batch or the next rated in
 * runs (Adam with a zero gradient), and each other row in registers: its
 * gradient, its Adam step, then its share of the next batch's
 * pre-activations. The portable code goes along each row the same way, one
 * hidden unit at a time. */
#include "filmseg/study_encoder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"

enum { CHUNK = 16 };

int film_lists_alloc(FilmLists *l, size_t from, size_t to, size_t cap)
{
    memset(l, 0, sizeof *l);
    size_t n = to > from ? to - from : 0;
    l->from = from;
    l->to = from + n;
    l->cap = cap;
    l->start = calloc(n + 1, sizeof *l->start);
    l->fill = malloc((n ? n : 1) * sizeof *l->fill);
    l->user = malloc((cap ? cap : 1) * sizeof *l->user);
    l->value = malloc((cap ? cap : 1) * sizeof *l->value);
    if (!l->start || !l->fill || !l->user || !l->value) {
        film_lists_free(l);
        return -1;
    }
    return 0;
}

void film_lists_free(FilmLists *l)
{
    free(l->start);
    free(l->fill);
    free(l->user);
    free(l->value);
    memset(l, 0, sizeof *l);
}

int film_lists_build(FilmLists *l, const SparseRows *x, const uint32_t *rows, size_t B)
{
    size_t n = l->to - l->from;
    memset(l->start, 0, (n + 1) * sizeof *l->start);
    for (size_t b = 0; b < B; b++) {
        size_t r = rows ? rows[b] : b;
        for (uint32_t k = x->row_start[r]; k < x->row_start[r + 1]; k++)
            if (x->col[k] >= l->from && x->col[k] < l->to)
                l->start[x->col[k] - l->from + 1]++;
    }
    for (size_t f = 0; f < n; f++)
        l->start[f + 1] += l->start[f];
    if (l->start[n] > l->cap)
        return -1;
    memcpy(l->fill, l->start, n * sizeof *l->fill);
    for (size_t b = 0; b < B; b++) {
        size_t r = rows ? rows[b] : b;
        for (uint32_t k = x->row_start[r]; k < x->row_start[r + 1]; k++)
            if (x->col[k] >= l->from && x->col[k] < l->to) {
                uint32_t at = l->fill[x->col[k] - l->from]++;
                l->user[at] = (uint32_t)b;
                l->value[at] = x->value[k];
            }
    }
    return 0;
}

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
#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE static inline __attribute__((always_inline, target("avx512f")))

/* A row here is F chunks of 16 floats, then T quads of 4 (H = 16 F + 4 T,
 * T < 4): no masked stores, which cost a lot on some machines. */
enum { MAX_CHUNKS = 8, MAX_QUADS = 3 };

/* Adam with a zero gradient on n floats (a multiple of 4) from w: whole
 * rows that no user of this batch or the next rated, in one run. */
AVX512_INLINE void zero_gradient_run(const AdamCoef *k, float *w, float *m, float *v, size_t n)
{
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
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
AVX512_INLINE void rated_row(const StudyEncoder *e, const AdamCoef *k, size_t j,
                             const FilmLists *cur, const FilmLists *next, const int F, int T)
{
    size_t H = e->H, f = j - cur->from, q0 = (size_t)F * CHUNK;
    float *w = e->w + j * H, *m = e->m + j * H, *v = e->v + j * H;
    __m512 g[MAX_CHUNKS];
    __m128 g4[MAX_QUADS];
    for (int c = 0; c < F; c++)
        g[c] = _mm512_setzero_ps();
    for (int c = 0; c < MAX_QUADS; c++)
        g4[c] = _mm_setzero_ps();
    for (uint32_t q = cur->start[f]; q < cur->start[f + 1]; q++) {
        const float *d = e->dpre + cur->user[q] * H;
        __m512 a = _mm512_set1_ps(cur->value[q]);
        for (int c = 0; c < F; c++)
            g[c] = _mm512_fmadd_ps(a, _mm512_loadu_ps(d + CHUNK * c), g[c]);
        for (int c = 0; c < MAX_QUADS; c++)
            if (c < T)
                g4[c] =
                    _mm_fmadd_ps(_mm512_castps512_ps128(a), _mm_loadu_ps(d + q0 + 4 * c), g4[c]);
    }
    for (int c = 0; c < F; c++) {
        __m512 mi = _mm512_loadu_ps(m + CHUNK * c), vi = _mm512_loadu_ps(v + CHUNK * c);
        g[c] = adam_ps512(k, _mm512_loadu_ps(w + CHUNK * c), g[c], &mi, &vi); /* the row moved */
        _mm512_storeu_ps(w + CHUNK * c, g[c]);
        _mm512_storeu_ps(m + CHUNK * c, mi);
        _mm512_storeu_ps(v + CHUNK * c, vi);
    }
    for (int c = 0; c < MAX_QUADS; c++)
        if (c < T) {
            size_t at = q0 + 4 * (size_t)c;
            __m128 mi = _mm_loadu_ps(m + at), vi = _mm_loadu_ps(v + at);
            g4[c] = adam_ps128(k, _mm_loadu_ps(w + at), g4[c], &mi, &vi);
            _mm_storeu_ps(w + at, g4[c]);
            _mm_storeu_ps(m + at, mi);
            _mm_storeu_ps(v + at, vi);
        }
    if (!next)
        return;
    for (uint32_t q = next->start[f]; q < next->start[f + 1]; q++) {
        float *out = e->pre_next + next->user[q] * H;
        __m512 a = _mm512_set1_ps(next->value[q]);
        for (int c = 0; c < F; c++)
            _mm512_storeu_ps(out + CHUNK * c,
                             _mm512_fmadd_ps(a, g[c], _mm512_loadu_ps(out + CHUNK * c)));
        for (int c = 0; c < MAX_QUADS; c++)
            if (c < T)
                _mm_storeu_ps(out + q0 + 4 * c, _mm_fmadd_ps(_mm512_castps512_ps128(a), g4[c],
                                                             _mm_loadu_ps(out + q0 + 4 * c)));
    }
}

static inline bool no_entries(const FilmLists *l, size_t f)
{
    return !l || l->start[f] == l->start[f + 1];
}

/* The rows of cur's range: runs of rows nobody rated in one go, the others
 * one by one. */
AVX512_INLINE void rows_avx512(const StudyEncoder *e, const AdamCoef *k, const FilmLists *cur,
                               const FilmLists *next, const int F)
{
    size_t H = e->H;
    int T = (int)(H % CHUNK) / 4;
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

#define ROWS_CASE(n)                                                                               \
    case n: rows_avx512(e, k, cur, next, n); return true;

/* Returns false for rows this code does not take (hidden units not a
 * multiple of 4, or more than 128). */
AVX512 static bool step_avx512(const StudyEncoder *e, const AdamCoef *k, const FilmLists *cur,
                               const FilmLists *next)
{
    if (e->H % 4 != 0)
        return false;
    switch (e->H / CHUNK) {
        ROWS_CASE(0)
        ROWS_CASE(1)
        ROWS_CASE(2)
        ROWS_CASE(3)
        ROWS_CASE(4)
        ROWS_CASE(5)
        ROWS_CASE(6)
        ROWS_CASE(7)
        ROWS_CASE(8)
    default: return false;
    }
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
