/* sqdist.c: the squared distance of k-means (see sqdist.h): one order of
 * sums, written for 4-lane vectors (portable), 8 lanes (AVX2) and 16 lanes
 * four rows at a time (AVX-512), all giving the same bits. */
#include "filmseg/sqdist.h"

#include <string.h>

/* Float lanes: GCC and Clang emit SSE, AVX or NEON instructions for these;
 * every lane does the same arithmetic whatever the instruction set, so the
 * results do not depend on the machine. */
typedef float Lanes4 __attribute__((vector_size(16)));

#define BLOCK_FLOATS 128 /* each lane sums 8 squares in float, then double */

static inline Lanes4 load4(const float *p)
{
    Lanes4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* A row's last count (< SQDIST_STEP_FLOATS) floats, zero-filled to a step. */
static inline const float *padded_step(const float *row, size_t count, float *pad)
{
    memset(pad, 0, SQDIST_STEP_FLOATS * sizeof *pad);
    memcpy(pad, row, count * sizeof *pad);
    return pad;
}

/* Squared Euclidean distance between a and b (d floats). Differences and
 * squares are float, each of 16 lanes sums at most 8 of them per block of
 * 128 floats and blocks add up in double: relative error about 1e-6 for any
 * d. A last partial step is zero-padded, so rows padded with zeros to a
 * multiple of 16 floats (as the fitting code keeps them) give the very same
 * result as the unpadded rows, only faster. */
double sqdist_portable(const float *a, const float *b, size_t d)
{
    float pad_a[SQDIST_STEP_FLOATS], pad_b[SQDIST_STEP_FLOATS];
    double total = 0.0;
    size_t i = 0;
    while (i < d) {
        size_t end = d - i > BLOCK_FLOATS ? i + BLOCK_FLOATS : d;
        Lanes4 c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
        for (; i < end; i += SQDIST_STEP_FLOATS) {
            const float *ra = a + i, *rb = b + i;
            if (end - i < SQDIST_STEP_FLOATS) { /* the zero padding ends the row */
                ra = padded_step(ra, end - i, pad_a);
                rb = padded_step(rb, end - i, pad_b);
                end = d = i + SQDIST_STEP_FLOATS;
            }
            Lanes4 t0 = load4(ra) - load4(rb), t1 = load4(ra + 4) - load4(rb + 4);
            Lanes4 t2 = load4(ra + 8) - load4(rb + 8), t3 = load4(ra + 12) - load4(rb + 12);
            c0 += t0 * t0;
            c1 += t1 * t1;
            c2 += t2 * t2;
            c3 += t3 * t3;
        }
        Lanes4 s = (c0 + c1) + (c2 + c3);
        total += ((double)s[0] + s[1]) + ((double)s[2] + s[3]);
    }
    return total;
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define SQDIST_X86 1
#include <immintrin.h>
typedef float Lanes8 __attribute__((vector_size(32)));

/* sqdist_portable with 8-lane vectors: lanes 0-3 of v0 and v1 are c0 and c2
 * above, lanes 4-7 are c1 and c3, and the sums are formed in the same order,
 * so the result is bit for bit the same (no FMA: only AVX2 is enabled). */
__attribute__((target("avx2"))) static double sqdist_avx2(const float *a, const float *b, size_t d)
{
    float pad_a[SQDIST_STEP_FLOATS], pad_b[SQDIST_STEP_FLOATS];
    double total = 0.0;
    size_t i = 0;
    while (i < d) {
        size_t end = d - i > BLOCK_FLOATS ? i + BLOCK_FLOATS : d;
        Lanes8 v0 = {0}, v1 = {0};
        for (; i < end; i += SQDIST_STEP_FLOATS) {
            const float *ra = a + i, *rb = b + i;
            if (end - i < SQDIST_STEP_FLOATS) { /* the zero padding ends the row */
                ra = padded_step(ra, end - i, pad_a);
                rb = padded_step(rb, end - i, pad_b);
                end = d = i + SQDIST_STEP_FLOATS;
            }
            Lanes8 xa0, xb0, xa1, xb1;
            memcpy(&xa0, ra, sizeof xa0);
            memcpy(&xb0, rb, sizeof xb0);
            memcpy(&xa1, ra + 8, sizeof xa1);
            memcpy(&xb1, rb + 8, sizeof xb1);
            Lanes8 t0 = xa0 - xb0, t1 = xa1 - xb1;
            v0 += t0 * t0;
            v1 += t1 * t1;
        }
        Lanes4 c0 = {v0[0], v0[1], v0[2], v0[3]}, c1 = {v0[4], v0[5], v0[6], v0[7]};
        Lanes4 c2 = {v1[0], v1[1], v1[2], v1[3]}, c3 = {v1[4], v1[5], v1[6], v1[7]};
        Lanes4 s = (c0 + c1) + (c2 + c3);
        total += ((double)s[0] + s[1]) + ((double)s[2] + s[3]);
    }
    return total;
}

#define AVX512_INLINE static inline __attribute__((always_inline, target("avx512f")))

/* The four pairs' block sums, each as sqdist_portable sums its c0..c3
 * (lanes 0-3, 4-7, 8-11, 12-15 of v[c]): s = (c0 + c1) + (c2 + c3) in float,
 * then ((double)s[0] + s[1]) + ((double)s[2] + s[3]); added to total (pair
 * c in lane c). The four pairs go through these steps side by side. */
AVX512_INLINE __m256d block_sums4(const __m512 v[4], __m256d total)
{
    /* per pair, (c0 + c1) and (c2 + c3): lanes 0-3 and 4-7 of v01 for pair 0,
     * 8-11 and 12-15 for pair 1 (likewise v23) */
    __m512 v01 = _mm512_add_ps(_mm512_shuffle_f32x4(v[0], v[1], _MM_SHUFFLE(2, 0, 2, 0)),
                               _mm512_shuffle_f32x4(v[0], v[1], _MM_SHUFFLE(3, 1, 3, 1)));
    __m512 v23 = _mm512_add_ps(_mm512_shuffle_f32x4(v[2], v[3], _MM_SHUFFLE(2, 0, 2, 0)),
                               _mm512_shuffle_f32x4(v[2], v[3], _MM_SHUFFLE(3, 1, 3, 1)));
    /* s of pair c in lanes 4c .. 4c+3 */
    __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(v01, v23, _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(v01, v23, _MM_SHUFFLE(3, 1, 3, 1)));
    /* as doubles, pairs 0-1 and 2-3: s[0] + s[1] and s[2] + s[3] in each
     * 128-bit lane's first double, then their sum in each pair's first */
    __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(s));
    __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
    lo = _mm512_add_pd(lo, _mm512_permute_pd(lo, 0x55));
    hi = _mm512_add_pd(hi, _mm512_permute_pd(hi, 0x55));
    lo = _mm512_add_pd(lo, _mm512_shuffle_f64x2(lo, lo, _MM_SHUFFLE(2, 3, 0, 1)));
    hi = _mm512_add_pd(hi, _mm512_shuffle_f64x2(hi, hi, _MM_SHUFFLE(2, 3, 0, 1)));
    /* doubles 0 and 4 of lo (pairs 0, 1) and of hi (pairs 2, 3) */
    const __m512i pick = _mm512_setr_epi64(0, 4, 8, 12, 0, 0, 0, 0);
    __m512d sums = _mm512_permutex2var_pd(lo, pick, hi);
    return _mm256_add_pd(total, _mm512_castpd512_pd256(sums));
}

/* Squared distances of four pairs of rows (a[c], b[c]), each summed exactly
 * as sqdist_portable sums it; d a multiple of SQDIST_STEP_FLOATS. */
__attribute__((target("avx512f"))) static void
sqdist4_avx512(const float *const a[4], const float *const b[4], size_t d, double out[4])
{
    __m256d total = _mm256_setzero_pd();
    for (size_t i = 0; i < d; i += BLOCK_FLOATS) {
        size_t end = d - i > BLOCK_FLOATS ? i + BLOCK_FLOATS : d;
        __m512 v[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                       _mm512_setzero_ps()};
        for (size_t s = i; s < end; s += SQDIST_STEP_FLOATS)
            for (int c = 0; c < 4; c++) {
                __m512 t = _mm512_sub_ps(_mm512_loadu_ps(a[c] + s), _mm512_loadu_ps(b[c] + s));
                v[c] = _mm512_add_ps(v[c], _mm512_mul_ps(t, t));
            }
        total = block_sums4(v, total);
    }
    _mm256_storeu_pd(out, total);
}
#endif

double sqdist(const float *a, const float *b, size_t d)
{
#ifdef SQDIST_X86
    if (__builtin_cpu_supports("avx2"))
        return sqdist_avx2(a, b, d);
#endif
    return sqdist_portable(a, b, d);
}

void sqdist_batch(const float *a_rows, const uint32_t *a_which, size_t a_step, const float *b_rows,
                  const uint32_t *b_which, size_t d, size_t m, double *out)
{
    size_t c = 0;
#ifdef SQDIST_X86
    if (d % SQDIST_STEP_FLOATS == 0 && __builtin_cpu_supports("avx512f"))
        for (; c + 4 <= m; c += 4) {
            const float *a[4], *b[4];
            for (size_t t = 0; t < 4; t++) {
                a[t] = a_rows + (a_which ? a_which[c + t] : (c + t) * a_step) * d;
                b[t] = b_rows + (b_which ? b_which[c + t] : c + t) * d;
            }
            sqdist4_avx512(a, b, d, out + c);
        }
#endif
    for (; c < m; c++)
        out[c] = sqdist(a_rows + (a_which ? a_which[c] : c * a_step) * d,
                        b_rows + (b_which ? b_which[c] : c) * d, d);
}

size_t sqdist_padded_columns(size_t d)
{
    return (d + SQDIST_STEP_FLOATS - 1) / SQDIST_STEP_FLOATS * SQDIST_STEP_FLOATS;
}
