/* simd.h (internal to src/ml): the per-element maths of the hot loops, written
 * once as scalar code and once per x86 vector width, doing the same IEEE
 * operations in the same order (no FMA), so that every path gives
 * bit-identical results: the sigmoid of the autoencoder's outputs and Adam's
 * update. The vector versions carry target attributes: call them only from
 * functions with the same target, picked at run time. */
#ifndef FILMSEG_ML_SIMD_H
#define FILMSEG_ML_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "filmseg/adam.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SIMD_X86 1
#endif

/* Some AVX-512 code (the autoencoder's and the classifier's sparse layers) is
 * written to give the bits of the AVX2 + FMA code beside it, fused
 * multiply-adds in the same order. That code is compiled in only where the
 * build may assume FMA (-march=x86-64-v3, the Makefile's default); a build for
 * an older CPU (ARCH_FLAGS=-march=x86-64) has plain multiplies and adds there
 * instead, which no fused path matches, so it leaves that AVX-512 code off and
 * gives the same results on every machine, more slowly. */
#if defined(SIMD_X86) && defined(__AVX2__) && defined(__FMA__)
#define SIMD_X86_FMA 1
#endif

/* sigmoid(z) = 1 / (1 + exp(-z)) with exp(x) = 2^n p(r), x = n ln2 + r,
 * |r| <= ln2/2, p a degree-6 Taylor polynomial (about 2 ulp; glibc's expf is a
 * scalar call that would dominate the study loss). */
#define EXP_LOG2E 1.44269504f
#define EXP_ROUND 12582912.0f /* 1.5 * 2^23: adding and subtracting it rounds */
#define EXP_LN2_HI 0.693145752f
#define EXP_LN2_LO 1.42860677e-6f
#define EXP_P2 0.5f
#define EXP_P3 0.166666672f
#define EXP_P4 0.0416666679f
#define EXP_P5 0.00833333377f
#define EXP_P6 0.00138888892f

static inline float sigmoid_scalar(float z)
{
    float x = -z;
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    float n = (x * EXP_LOG2E + EXP_ROUND) - EXP_ROUND;
    float r = (x - n * EXP_LN2_HI) - n * EXP_LN2_LO;
    float p =
        1.0f + r * (1.0f + r * (EXP_P2 + r * (EXP_P3 + r * (EXP_P4 + r * (EXP_P5 + r * EXP_P6)))));
    int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return 1.0f / (1.0f + p * scale);
}

/* One Adam step on one parameter (see adam.h): the reference for the vector
 * versions below. */
static inline void adam_scalar_one(const AdamCoef *k, float *p, float g, float *m, float *v)
{
    float mi = k->b1 * *m + k->c1 * g;
    float vi = k->b2 * *v + k->c2 * (g * g);
    *m = mi;
    *v = vi;
    *p -= k->step_sbc2 * (mi / (sqrtf(vi) + k->eps_sbc2));
}

#ifdef SIMD_X86
#define SIMD_SIGMOID(PS, SI, W, set1, add, sub, mul, div, max, min, cvt, addi, slli, cast)         \
    PS x = sub(set1(0.0f), z);                                                                     \
    x = min(max(x, set1(-87.0f)), set1(88.0f));                                                    \
    PS nn = sub(add(mul(x, set1(EXP_LOG2E)), set1(EXP_ROUND)), set1(EXP_ROUND));                   \
    PS r = sub(sub(x, mul(nn, set1(EXP_LN2_HI))), mul(nn, set1(EXP_LN2_LO)));                      \
    PS p = add(set1(EXP_P5), mul(r, set1(EXP_P6)));                                                \
    p = add(set1(EXP_P4), mul(r, p));                                                              \
    p = add(set1(EXP_P3), mul(r, p));                                                              \
    p = add(set1(EXP_P2), mul(r, p));                                                              \
    p = add(set1(1.0f), mul(r, p));                                                                \
    p = add(set1(1.0f), mul(r, p));                                                                \
    SI bits = slli(addi(cvt(nn), _mm##W##_set1_epi32(127)), 23);                                   \
    PS e = mul(p, cast(bits));                                                                     \
    return div(set1(1.0f), add(set1(1.0f), e));

__attribute__((target("avx512f"))) static inline __m512 sigmoid_ps512(__m512 z)
{
    SIMD_SIGMOID(__m512, __m512i, 512, _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps,
                 _mm512_div_ps, _mm512_max_ps, _mm512_min_ps, _mm512_cvttps_epi32, _mm512_add_epi32,
                 _mm512_slli_epi32, _mm512_castsi512_ps)
}

__attribute__((target("avx2"))) static inline __m256 sigmoid_ps256(__m256 z)
{
    SIMD_SIGMOID(__m256, __m256i, 256, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps,
                 _mm256_div_ps, _mm256_max_ps, _mm256_min_ps, _mm256_cvttps_epi32, _mm256_add_epi32,
                 _mm256_slli_epi32, _mm256_castsi256_ps)
}

/* Adam on one vector of parameters: returns the new p; *m, *v get the new
 * moments. */
#define SIMD_ADAM(PS, W)                                                                           \
    PS mi = _mm##W##_add_ps(_mm##W##_mul_ps(_mm##W##_set1_ps(k->b1), *m),                          \
                            _mm##W##_mul_ps(_mm##W##_set1_ps(k->c1), g));                          \
    PS vi = _mm##W##_add_ps(_mm##W##_mul_ps(_mm##W##_set1_ps(k->b2), *v),                          \
                            _mm##W##_mul_ps(_mm##W##_set1_ps(k->c2), _mm##W##_mul_ps(g, g)));      \
    *m = mi;                                                                                       \
    *v = vi;                                                                                       \
    PS den = _mm##W##_add_ps(_mm##W##_sqrt_ps(vi), _mm##W##_set1_ps(k->eps_sbc2));                 \
    return _mm##W##_sub_ps(                                                                        \
        p, _mm##W##_mul_ps(_mm##W##_set1_ps(k->step_sbc2), _mm##W##_div_ps(mi, den)));

__attribute__((target("avx512f"))) static inline __m512 adam_ps512(const AdamCoef *k, __m512 p,
                                                                   __m512 g, __m512 *m, __m512 *v)
{
    SIMD_ADAM(__m512, 512)
}

__attribute__((target("avx"))) static inline __m256 adam_ps256(const AdamCoef *k, __m256 p,
                                                               __m256 g, __m256 *m, __m256 *v)
{
    SIMD_ADAM(__m256, 256)
}

static inline __m128 adam_ps128(const AdamCoef *k, __m128 p, __m128 g, __m128 *m, __m128 *v)
{
    SIMD_ADAM(__m128, )
}
#endif

#endif
