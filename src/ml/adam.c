/* adam.c: the Adam optimiser over a flat parameter buffer; see adam.h. */
#include "filmseg/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "filmseg/bigalloc.h"

/* The update loop is the hot path of dense training (every parameter, every
 * mini-batch), so x86-64 gets AVX-512 and AVX versions picked at run time;
 * simd.h keeps every path bit-identical. */
#include "simd.h"

int adam_init(Adam *a, size_t n, float lr)
{
    memset(a, 0, sizeof *a);
    a->lr = lr > 0 ? lr : 1e-3f;
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    a->n = n;
    a->m = big_calloc(n ? n : 1, sizeof *a->m); /* few page faults: bigalloc.h */
    a->v = big_calloc(n ? n : 1, sizeof *a->v);
    if (!a->m || !a->v) {
        adam_free(a);
        return -1;
    }
    return 0;
}

void adam_free(Adam *a)
{
    free(a->m);
    free(a->v);
    memset(a, 0, sizeof *a);
}

void adam_begin_step(Adam *a)
{
    a->t++;
    double bc1 = 1.0 - pow((double)a->beta1, (double)a->t);
    double bc2 = 1.0 - pow((double)a->beta2, (double)a->t);
    a->step_size = (float)(a->lr / bc1);
    a->sqrt_bc2 = (float)sqrt(bc2);
}

AdamCoef adam_coef(const Adam *a)
{
    /* m / (sqrt(v)/sqrt(bc2) + eps) = sqrt(bc2) m / (sqrt(v) + eps sqrt(bc2)): one division */
    AdamCoef k = {a->beta1,
                  a->beta2,
                  1.0f - a->beta1,
                  1.0f - a->beta2,
                  a->step_size * a->sqrt_bc2,
                  a->eps * a->sqrt_bc2};
    return k;
}

#ifdef SIMD_X86
__attribute__((target("avx512f"))) static size_t
adam_avx512(const AdamCoef *k, float *p, const float *g, float *m, float *v, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = g ? _mm512_loadu_ps(g + i) : _mm512_setzero_ps();
        __m512 mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
        __m512 pi = adam_ps512(k, _mm512_loadu_ps(p + i), gi, &mi, &vi);
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        _mm512_storeu_ps(p + i, pi);
    }
    return i;
}

__attribute__((target("avx"))) static size_t adam_avx(const AdamCoef *k, float *p, const float *g,
                                                      float *m, float *v, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = g ? _mm256_loadu_ps(g + i) : _mm256_setzero_ps();
        __m256 mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        __m256 pi = adam_ps256(k, _mm256_loadu_ps(p + i), gi, &mi, &vi);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, pi);
    }
    return i;
}
#endif

/* Adam with constants k on params[offset .. offset+count), their gradients
 * g[0 .. count) (NULL: zero). */
static void apply(const Adam *a, const AdamCoef *k, float *params, const float *g, size_t offset,
                  size_t count)
{
    float *p = params + offset, *m = a->m + offset, *v = a->v + offset;
    size_t i = 0;
#ifdef SIMD_X86
    if (__builtin_cpu_supports("avx512f"))
        i = adam_avx512(k, p, g, m, v, count);
    else if (__builtin_cpu_supports("avx"))
        i = adam_avx(k, p, g, m, v, count);
#endif
    for (; i < count; i++)
        adam_scalar_one(k, p + i, g ? g[i] : 0.0f, m + i, v + i);
}

void adam_update(Adam *a, float *params, const float *grads, size_t offset, size_t count)
{
    AdamCoef k = adam_coef(a);
    apply(a, &k, params, grads ? grads + offset : NULL, offset, count);
}

void adam_update_range(Adam *a, float *params, const float *grads, size_t offset, size_t count)
{
    AdamCoef k = adam_coef(a);
    apply(a, &k, params, grads, offset, count);
}

void adam_update_rows(Adam *a, float *params, const float *grads, size_t offset,
                      const uint32_t *rows, size_t n_rows, size_t row_len)
{
    AdamCoef k = adam_coef(a);
    for (size_t r = 0; r < n_rows; r++) {
        size_t at = offset + (size_t)rows[r] * row_len;
        apply(a, &k, params, grads ? grads + at : NULL, at, row_len);
    }
}

void adam_step(Adam *a, float *params, const float *grads)
{
    adam_begin_step(a);
    adam_update(a, params, grads, 0, a->n);
}
