/* study_decoder.c: the study loss's decoder step, fused; see study_decoder.h.
 *
 * Pass 1 (per block of 32 films): z = b + h Wt for the batch, kept in
 * registers for up to 6 users at a time, then s = sigmoid(z), |s - x| and
 * dz = scale sign(s - x) s (1 - s) into the scratch; the bias gradient and
 * its Adam step follow for the block. Pass 2 (per hidden unit k, along its row
 * of Wt): dh[b][k] = dz[b] . Wt[k] with the old weights, the row's gradient
 * sum_b h[b][k] dz[b], and its Adam step, so each weight and its moments are
 * read and written once per batch. */
#include "filmseg/study_decoder.h"

#include <math.h>

#include "simd.h"

static float loss_slope(float diff, float scale)
{
    return diff > 0.0f ? scale : diff < 0.0f ? -scale : 0.0f;
}

/* Portable pass 1 over [from, to): z in dz's cells, then (train) dz there. */
static double pass1_portable(const StudyDecoder *d, size_t from, size_t to, float scale, bool train,
                             const AdamCoef *k)
{
    size_t N = d->ld, H = d->H, M = to - from;
    double sum = 0.0;
    for (size_t u = 0; u < d->B; u++) {
        float *z = d->dz + u * N + from;
        const float *x = d->x + u * N + from;
        for (size_t j = 0; j < M; j++)
            z[j] = d->b[from + j];
        for (size_t i = 0; i < H; i++) {
            float hu = d->h[u * H + i];
            const float *w = d->wt + i * N + from;
            if (hu != 0.0f)
                for (size_t j = 0; j < M; j++)
                    z[j] += hu * w[j];
        }
        float part = 0.0f;
        for (size_t j = 0; j < M; j++) {
            float s = sigmoid_scalar(z[j]), diff = s - x[j];
            part += fabsf(diff);
            if (train)
                z[j] = loss_slope(diff, scale) * (s * (1.0f - s));
        }
        sum += part;
    }
    if (train)
        for (size_t j = from; j < to; j++) {
            float gb = 0.0f;
            for (size_t u = 0; u < d->B; u++)
                gb += d->dz[u * N + j];
            adam_scalar_one(k, d->b + j, gb, d->b_m + j, d->b_v + j);
        }
    return sum;
}

/* Portable pass 2 over [from, to). */
static void pass2_portable(const StudyDecoder *d, size_t from, size_t to, const AdamCoef *k,
                           float *dh)
{
    size_t N = d->ld, H = d->H;
    float *g = d->g;
    for (size_t i = 0; i < H; i++) {
        float *w = d->wt + i * N;
        for (size_t j = from; j < to; j++)
            g[j] = 0.0f;
        for (size_t u = 0; u < d->B; u++) {
            const float *dz = d->dz + u * N;
            float dot = 0.0f, hu = d->h[u * H + i];
            for (size_t j = from; j < to; j++)
                dot += dz[j] * w[j];
            dh[u * H + i] = dot;
            if (hu != 0.0f)
                for (size_t j = from; j < to; j++)
                    g[j] += hu * dz[j];
        }
        for (size_t j = from; j < to; j++)
            adam_scalar_one(k, w + j, g[j], d->wt_m + i * N + j, d->wt_v + i * N + j);
    }
}

#ifdef SIMD_X86
#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE static inline __attribute__((always_inline, target("avx512f")))

enum { P1_USERS = 6 }; /* users whose z stay in registers in pass 1 */

AVX512_INLINE __mmask16 lanes(size_t left)
{
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}

/* Loads and stores of 16 films, masked only at the end of a range (masked
 * stores are slow on some machines): full is a constant where inlined. */
AVX512_INLINE __m512 load16(const float *p, __mmask16 mk, bool full)
{
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(mk, p);
}

AVX512_INLINE void store16(float *p, __m512 v, __mmask16 mk, bool full)
{
    if (full)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, mk, v);
}

/* Pass 1 for users u0 .. u0+NU and films j0 .. j0+32 (masks mk[2]): returns
 * their sum of |s - x|; (train) dz into the scratch, zero outside the masks. */
AVX512_INLINE float pass1_block(const StudyDecoder *d, size_t u0, size_t j0, const __mmask16 mk[2],
                                bool full, float scale, bool train, const int NU)
{
    size_t N = d->ld, H = d->H;
    __m512 z[P1_USERS][2];
    __m512 b0 = load16(d->b + j0, mk[0], full), b1 = load16(d->b + j0 + 16, mk[1], full);
    for (int u = 0; u < NU; u++) {
        z[u][0] = b0;
        z[u][1] = b1;
    }
    const float *h = d->h + u0 * H;
    for (size_t i = 0; i < H; i++) {
        const float *w = d->wt + i * N + j0;
        __m512 w0 = load16(w, mk[0], full), w1 = load16(w + 16, mk[1], full);
        for (int u = 0; u < NU; u++) {
            __m512 hu = _mm512_set1_ps(h[(size_t)u * H + i]);
            z[u][0] = _mm512_fmadd_ps(hu, w0, z[u][0]);
            z[u][1] = _mm512_fmadd_ps(hu, w1, z[u][1]);
        }
    }
    __m512 total = _mm512_setzero_ps();
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int u = 0; u < NU; u++)
        for (int c = 0; c < 2; c++) {
            size_t at = (u0 + (size_t)u) * N + j0 + 16 * (size_t)c;
            __m512 s = sigmoid_ps512(z[u][c]);
            __m512 diff = _mm512_sub_ps(s, load16(d->x + at, mk[c], full));
            total = _mm512_mask_add_ps(total, mk[c], total, _mm512_abs_ps(diff));
            if (train) {
                __mmask16 pos =
                    _mm512_mask_cmp_ps_mask(mk[c], diff, _mm512_setzero_ps(), _CMP_GT_OQ);
                __mmask16 neg =
                    _mm512_mask_cmp_ps_mask(mk[c], diff, _mm512_setzero_ps(), _CMP_LT_OQ);
                __m512 slope = _mm512_maskz_mov_ps(pos, _mm512_set1_ps(scale));
                slope = _mm512_mask_mov_ps(slope, neg, _mm512_set1_ps(-scale));
                __m512 dz = _mm512_mul_ps(slope, _mm512_mul_ps(s, _mm512_sub_ps(one, s)));
                store16(d->dz + at, dz, mk[c], full);
            }
        }
    return _mm512_reduce_add_ps(total);
}

AVX512 static double pass1_avx512(const StudyDecoder *d, size_t from, size_t to, float scale,
                                  bool train, const AdamCoef *k)
{
    double sum = 0.0;
    for (size_t j0 = from; j0 < to; j0 += 32) {
        __mmask16 mk[2] = {lanes(to - j0), to - j0 > 16 ? lanes(to - j0 - 16) : 0};
        bool full = to - j0 >= 32;
        for (size_t u0 = 0; u0 < d->B; u0 += P1_USERS) {
            size_t nu = d->B - u0 < P1_USERS ? d->B - u0 : P1_USERS;
            if (full && nu == P1_USERS)
                sum += pass1_block(d, u0, j0, mk, true, scale, train, P1_USERS);
            else if (full && nu == 4)
                sum += pass1_block(d, u0, j0, mk, true, scale, train, 4);
            else
                switch (nu) {
                case 1: sum += pass1_block(d, u0, j0, mk, false, scale, train, 1); break;
                case 2: sum += pass1_block(d, u0, j0, mk, false, scale, train, 2); break;
                case 3: sum += pass1_block(d, u0, j0, mk, false, scale, train, 3); break;
                case 4: sum += pass1_block(d, u0, j0, mk, false, scale, train, 4); break;
                case 5: sum += pass1_block(d, u0, j0, mk, false, scale, train, 5); break;
                default: sum += pass1_block(d, u0, j0, mk, false, scale, train, 6); break;
                }
        }
        if (!train)
            continue;
        for (int c = 0; c < 2; c++) {
            size_t j = j0 + 16 * (size_t)c;
            __m512 gb = _mm512_setzero_ps();
            for (size_t u = 0; u < d->B; u++)
                gb = _mm512_add_ps(gb, _mm512_maskz_loadu_ps(mk[c], d->dz + u * d->ld + j));
            __m512 m = _mm512_maskz_loadu_ps(mk[c], d->b_m + j);
            __m512 v = _mm512_maskz_loadu_ps(mk[c], d->b_v + j);
            __m512 p = adam_ps512(k, _mm512_maskz_loadu_ps(mk[c], d->b + j), gb, &m, &v);
            _mm512_mask_storeu_ps(d->b + j, mk[c], p);
            _mm512_mask_storeu_ps(d->b_m + j, mk[c], m);
            _mm512_mask_storeu_ps(d->b_v + j, mk[c], v);
        }
    }
    return sum;
}

/* Pass 2 on films j .. j+16 of one row of Wt (w, its moments wm, wv). The
 * gradient is summed over the batch in four chains (user u in chain u % 4),
 * added at the end: one chain of 10 dependent multiply-adds held each
 * chunk's Adam step back (the decoder's step alone 43.4 to 41.5 us, the
 * study autoencoder 0.653 to 0.639 s, medians of 7 alternated runs). */
AVX512_INLINE void pass2_chunk(const float *dz0, size_t ld, float *w, float *wm, float *wv,
                               size_t j, __mmask16 mk, bool full, const AdamCoef *k,
                               const __m512 *hu, __m512 *acc, const int NB)
{
    __m512 p = load16(w + j, mk, full), chain[4];
    for (int c = 0; c < 4; c++)
        chain[c] = _mm512_setzero_ps();
    for (int u = 0; u < NB; u++) {
        __m512 dz = load16(dz0 + (size_t)u * ld + j, mk, full);
        __asm__("" : "+v"(dz)); /* one load for both products */
        acc[u] = _mm512_fmadd_ps(dz, p, acc[u]);
        chain[u % 4] = _mm512_fmadd_ps(hu[u], dz, chain[u % 4]);
    }
    __m512 g = _mm512_add_ps(_mm512_add_ps(chain[0], chain[1]), _mm512_add_ps(chain[2], chain[3]));
    __m512 m = load16(wm + j, mk, full), v = load16(wv + j, mk, full);
    p = adam_ps512(k, p, g, &m, &v);
    store16(w + j, p, mk, full);
    store16(wm + j, m, mk, full);
    store16(wv + j, v, mk, full);
}

/* Pass 2 along row i of Wt over [from, to), for a batch of NB users. */
AVX512_INLINE void pass2_row(const StudyDecoder *d, size_t i, size_t from, size_t to,
                             const AdamCoef *k, float *dh, const int NB)
{
    size_t N = d->ld, H = d->H;
    float *w = d->wt + i * N, *wm = d->wt_m + i * N, *wv = d->wt_v + i * N;
    const AdamCoef kc = *k;
    __m512 acc[STUDY_FAST_BATCH], hu[STUDY_FAST_BATCH];
    for (int u = 0; u < NB; u++) {
        acc[u] = _mm512_setzero_ps();
        hu[u] = _mm512_set1_ps(d->h[(size_t)u * H + i]);
    }
    const float *dz0 = d->dz;
    size_t j = from;
    for (; j + 16 <= to; j += 16)
        pass2_chunk(dz0, N, w, wm, wv, j, 0xFFFF, true, &kc, hu, acc, NB);
    if (j < to)
        pass2_chunk(dz0, N, w, wm, wv, j, lanes(to - j), false, &kc, hu, acc, NB);
    for (int u = 0; u < NB; u++)
        dh[(size_t)u * H + i] = _mm512_reduce_add_ps(acc[u]);
}

#define PASS2_CASE(n)                                                                              \
    case n:                                                                                        \
        for (size_t i = 0; i < d->H; i++)                                                          \
            pass2_row(d, i, from, to, k, dh, n);                                                   \
        break;

AVX512 static void pass2_avx512(const StudyDecoder *d, size_t from, size_t to, const AdamCoef *k,
                                float *dh)
{
    switch (d->B) {
        PASS2_CASE(1)
        PASS2_CASE(2)
        PASS2_CASE(3)
        PASS2_CASE(4)
        PASS2_CASE(5)
        PASS2_CASE(6)
        PASS2_CASE(7)
        PASS2_CASE(8)
        PASS2_CASE(9)
        PASS2_CASE(10)
        PASS2_CASE(11)
        PASS2_CASE(12)
        PASS2_CASE(13)
        PASS2_CASE(14)
        PASS2_CASE(15)
        PASS2_CASE(16)
    default: break; /* study_decoder_step sends larger batches to the portable code */
    }
}
#endif

static bool use_avx512(const StudyDecoder *d)
{
#ifdef SIMD_X86
    return !d->portable && __builtin_cpu_supports("avx512f");
#else
    (void)d;
    return false;
#endif
}

double study_decoder_loss(const StudyDecoder *d, size_t from, size_t to)
{
    const AdamCoef unused = {0}; /* no step */
#ifdef SIMD_X86
    if (use_avx512(d))
        return pass1_avx512(d, from, to, 0.0f, false, &unused);
#endif
    /* the portable pass keeps z in dz's cells: a scratch is needed here */
    return pass1_portable(d, from, to, 0.0f, false, &unused);
}

double study_decoder_step(const StudyDecoder *d, size_t from, size_t to, float scale,
                          const AdamCoef *k, float *dh)
{
#ifdef SIMD_X86
    if (use_avx512(d) && d->B <= STUDY_FAST_BATCH) {
        double sum = pass1_avx512(d, from, to, scale, true, k);
        pass2_avx512(d, from, to, k, dh);
        return sum;
    }
#endif
    double sum = pass1_portable(d, from, to, scale, true, k);
    pass2_portable(d, from, to, k, dh);
    return sum;
}
