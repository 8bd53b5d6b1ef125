/* adam.c: the Adam optimiser over a flat parameter buffer; see adam.h. */
#include "filmseg/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The update loop is the hot path of dense training (every parameter, every
 * mini-batch), so x86-64 gets AVX-512 and AVX versions picked at run time. They
 * do the same IEEE operations in the same order as the scalar loop (no FMA), so
 * every path gives bit-identical results. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ADAM_X86 1
#endif

int adam_init(Adam *a, size_t n, float lr)
{
    memset(a, 0, sizeof *a);
    a->lr = lr > 0 ? lr : 1e-3f;
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    a->n = n;
    a->m = calloc(n ? n : 1, sizeof *a->m);
    a->v = calloc(n ? n : 1, sizeof *a->v);
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

typedef struct {
    float b1, b2, c1, c2, step_sbc2, eps_sbc2;
} AdamCoef;

/* i in [from, n): m, v, p as documented in adam.h; g NULL is a zero gradient. */
static void adam_scalar(const AdamCoef *k, float *p, const float *g, float *m, float *v,
                        size_t from, size_t n)
{
    for (size_t i = from; i < n; i++) {
        float gi = g ? g[i] : 0.0f;
        float mi = k->b1 * m[i] + k->c1 * gi;
        float vi = k->b2 * v[i] + k->c2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        p[i] -= k->step_sbc2 * (mi / (sqrtf(vi) + k->eps_sbc2));
    }
}

#ifdef ADAM_X86
__attribute__((target("avx512f"))) static size_t
adam_avx512(const AdamCoef *k, float *p, const float *g, float *m, float *v, size_t n)
{
    const __m512 b1 = _mm512_set1_ps(k->b1), b2 = _mm512_set1_ps(k->b2);
    const __m512 c1 = _mm512_set1_ps(k->c1), c2 = _mm512_set1_ps(k->c2);
    const __m512 step = _mm512_set1_ps(k->step_sbc2), eps = _mm512_set1_ps(k->eps_sbc2);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = g ? _mm512_loadu_ps(g + i) : _mm512_setzero_ps();
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(c1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(v + i)),
                                  _mm512_mul_ps(c2, _mm512_mul_ps(gi, gi)));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        __m512 den = _mm512_add_ps(_mm512_sqrt_ps(vi), eps);
        __m512 pi =
            _mm512_sub_ps(_mm512_loadu_ps(p + i), _mm512_mul_ps(step, _mm512_div_ps(mi, den)));
        _mm512_storeu_ps(p + i, pi);
    }
    return i;
}

__attribute__((target("avx"))) static size_t adam_avx(const AdamCoef *k, float *p, const float *g,
                                                      float *m, float *v, size_t n)
{
    const __m256 b1 = _mm256_set1_ps(k->b1), b2 = _mm256_set1_ps(k->b2);
    const __m256 c1 = _mm256_set1_ps(k->c1), c2 = _mm256_set1_ps(k->c2);
    const __m256 step = _mm256_set1_ps(k->step_sbc2), eps = _mm256_set1_ps(k->eps_sbc2);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = g ? _mm256_loadu_ps(g + i) : _mm256_setzero_ps();
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)),
                                  _mm256_mul_ps(c2, _mm256_mul_ps(gi, gi)));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 den = _mm256_add_ps(_mm256_sqrt_ps(vi), eps);
        __m256 pi =
            _mm256_sub_ps(_mm256_loadu_ps(p + i), _mm256_mul_ps(step, _mm256_div_ps(mi, den)));
        _mm256_storeu_ps(p + i, pi);
    }
    return i;
}
#endif

void adam_update(Adam *a, float *params, const float *grads, size_t offset, size_t count)
{
    /* m / (sqrt(v)/sqrt(bc2) + eps) = sqrt(bc2) m / (sqrt(v) + eps sqrt(bc2)): one division */
    AdamCoef k = {a->beta1,
                  a->beta2,
                  1.0f - a->beta1,
                  1.0f - a->beta2,
                  a->step_size * a->sqrt_bc2,
                  a->eps * a->sqrt_bc2};
    float *p = params + offset, *m = a->m + offset, *v = a->v + offset;
    const float *g = grads ? grads + offset : NULL;
    size_t done = 0;
#ifdef ADAM_X86
    if (__builtin_cpu_supports("avx512f"))
        done = adam_avx512(&k, p, g, m, v, count);
    else if (__builtin_cpu_supports("avx"))
        done = adam_avx(&k, p, g, m, v, count);
#endif
    adam_scalar(&k, p, g, m, v, done, count);
}

void adam_step(Adam *a, float *params, const float *grads)
{
    adam_begin_step(a);
    adam_update(a, params, grads, 0, a->n);
}
