/* test_study_decoder.c: the fused study-loss decoder step (AVX-512 and
 * portable code) against the same maths done step by step in double: forward,
 * sigmoid, absolute error, gradients, dh and PyTorch's Adam, over several
 * steps, with batches and film ranges that exercise every tail. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "filmseg/adam.h"
#include "filmseg/study_decoder.h"

#define LR 0.01

static void assert_near(double got, double want, double tol, const char *what, size_t at)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s[%zu]: got %.9g, want %.9g (tolerance %.3g)", what, at, got, want, tol);
}

/* Reference state in double, the decoder untransposed (N, H) as torch keeps it. */
typedef struct {
    size_t B, H, N;
    double *w, *b, *wm, *wv, *bm, *bv; /* (N,H), (N) */
} Reference;

static void torch_adam(double *p, double *m, double *v, double g, long t)
{
    *m = 0.9 * *m + 0.1 * g;
    *v = 0.999 * *v + 0.001 * g * g;
    double bc1 = 1 - pow(0.9, (double)t), bc2 = 1 - pow(0.999, (double)t);
    *p -= LR / bc1 * *m / (sqrt(*v) / sqrt(bc2) + 1e-8);
}

/* One reference step (x has rows ld long): returns sum |s - x|, fills dh
 * (B,H), moves w, b. */
static double reference_step(Reference *r, const float *h, const float *x, size_t ld, double scale,
                             long t, double *dh)
{
    size_t B = r->B, H = r->H, N = r->N;
    double *dz = calloc(B * N, sizeof *dz), sum = 0.0;
    for (size_t u = 0; u < B; u++)
        for (size_t j = 0; j < N; j++) {
            double z = r->b[j];
            for (size_t i = 0; i < H; i++)
                z += h[u * H + i] * r->w[j * H + i];
            double s = 1.0 / (1.0 + exp(-z)), diff = s - x[u * ld + j];
            sum += fabs(diff);
            dz[u * N + j] = (diff > 0 ? scale : diff < 0 ? -scale : 0.0) * s * (1 - s);
        }
    for (size_t u = 0; u < B; u++)
        for (size_t i = 0; i < H; i++) {
            dh[u * H + i] = 0.0;
            for (size_t j = 0; j < N; j++)
                dh[u * H + i] += dz[u * N + j] * r->w[j * H + i];
        }
    for (size_t j = 0; j < N; j++) {
        double gb = 0.0;
        for (size_t u = 0; u < B; u++)
            gb += dz[u * N + j];
        torch_adam(&r->b[j], &r->bm[j], &r->bv[j], gb, t);
        for (size_t i = 0; i < H; i++) {
            double g = 0.0;
            for (size_t u = 0; u < B; u++)
                g += dz[u * N + j] * h[u * H + i];
            torch_adam(&r->w[j * H + i], &r->wm[j * H + i], &r->wv[j * H + i], g, t);
        }
    }
    free(dz);
    return sum;
}

/* Trains `steps` batches through the fused step on films [0, split) and
 * [split, N) and through the reference, comparing the loss, dh, and at the
 * end every weight, bias and moment. Rows are ld long (ld >= N); the cells
 * past N hold NaN, which would spread if they were read. */
static void check_against_reference(size_t B, size_t N, size_t ld, size_t H, size_t split,
                                    bool portable)
{
    enum { STEPS = 3 };
    float *h = calloc(B * H, sizeof *h), *x = calloc(B * ld, sizeof *x);
    float *wt = calloc(H * ld, sizeof *wt), *b = calloc(N, sizeof *b);
    float *wt_m = calloc(H * ld, sizeof *wt_m), *wt_v = calloc(H * ld, sizeof *wt_v);
    float *b_m = calloc(N, sizeof *b_m), *b_v = calloc(N, sizeof *b_v);
    float *dz = calloc(B * ld, sizeof *dz), *g = calloc(N, sizeof *g);
    float *dh0 = calloc(B * H, sizeof *dh0), *dh1 = calloc(B * H, sizeof *dh1);
    double *dh_ref = calloc(B * H, sizeof *dh_ref);
    Reference r = {B,
                   H,
                   N,
                   calloc(N * H, 8),
                   calloc(N, 8),
                   calloc(N * H, 8),
                   calloc(N * H, 8),
                   calloc(N, 8),
                   calloc(N, 8)};
    for (size_t j = 0; j < N; j++) {
        r.b[j] = b[j] = (float)(wiggle(j, 1) - 0.5);
        for (size_t i = 0; i < H; i++)
            r.w[j * H + i] = wt[i * ld + j] = (float)(wiggle(j * H + i, 2) - 0.5);
    }
    for (size_t u = 0; u < B; u++) /* half unrated (0), the rest 1..5 stars / 5 */
        for (size_t j = 0; j < N; j++) {
            size_t c = u * N + j;
            x[u * ld + j] = wiggle(c, 3) < 0.5 ? 0.0f : (float)(1 + (int)(wiggle(c, 4) * 5)) / 5.0f;
        }
    for (size_t j = N; j < ld; j++) {
        for (size_t u = 0; u < B; u++)
            x[u * ld + j] = NAN;
        for (size_t i = 0; i < H; i++)
            wt[i * ld + j] = wt_m[i * ld + j] = wt_v[i * ld + j] = NAN;
    }
    Adam adam;
    assert_int_equal(adam_init(&adam, 1, (float)LR), 0);
    StudyDecoder d = {B, H, ld, h, x, wt, b, wt_m, wt_v, b_m, b_v, dz, g, portable};
    float scale = 1.0f / (float)(B * N);
    for (long t = 1; t <= STEPS; t++) {
        for (size_t c = 0; c < B * H; c++) /* ReLU outputs: some exactly 0 */
            h[c] = wiggle(c, 10 + (size_t)t) < 0.3 ? 0.0f : (float)wiggle(c, 20 + (size_t)t);
        double before = study_decoder_loss(&d, 0, N);
        adam_begin_step(&adam);
        AdamCoef k = adam_coef(&adam);
        double sum = study_decoder_step(&d, 0, split, scale, &k, dh0) +
                     study_decoder_step(&d, split, N, scale, &k, dh1);
        double want = reference_step(&r, h, x, ld, scale, t, dh_ref);
        assert_near(sum, want, 1e-4 * want, "loss", (size_t)t);
        assert_near(before, want, 1e-4 * want, "loss before the step", (size_t)t);
        for (size_t c = 0; c < B * H; c++)
            assert_near((double)dh0[c] + dh1[c], dh_ref[c], 1e-6 + 1e-4 * fabs(dh_ref[c]), "dh", c);
    }
    for (size_t j = 0; j < N; j++) {
        assert_near(b[j], r.b[j], 2e-5, "b", j);
        assert_near(b_m[j], r.bm[j], 1e-6 + 1e-3 * fabs(r.bm[j]), "b moment 1", j);
        for (size_t i = 0; i < H; i++) {
            assert_near(wt[i * ld + j], r.w[j * H + i], 2e-5, "w", j * H + i);
            assert_near(wt_m[i * ld + j], r.wm[j * H + i], 1e-6 + 1e-3 * fabs(r.wm[j * H + i]),
                        "w moment 1", j * H + i);
            assert_near(wt_v[i * ld + j], r.wv[j * H + i], 1e-9 + 1e-3 * fabs(r.wv[j * H + i]),
                        "w moment 2", j * H + i);
        }
    }
    adam_free(&adam);
    void *bufs[] = {h,   x,   wt,     b,   wt_m, wt_v, b_m,  b_v,  dz,  g,
                    dh0, dh1, dh_ref, r.w, r.b,  r.wm, r.wv, r.bm, r.bv};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
}

/* The study's shape in small: 10 users, a split inside a 32-film block. */
static void test_step_matches_reference_batch_10(void **state)
{
    (void)state;
    check_against_reference(10, 70, 70, 9, 32, false);
    check_against_reference(10, 70, 70, 9, 37, true);
    check_against_reference(10, 70, 80, 9, 32, false); /* rows padded to whole cache lines */
    check_against_reference(10, 70, 80, 9, 32, true);
}

/* One user, a range shorter than a vector, and an empty first range. */
static void test_step_matches_reference_small(void **state)
{
    (void)state;
    check_against_reference(1, 17, 17, 3, 5, false);
    check_against_reference(1, 17, 17, 3, 0, true);
}

/* The largest batch the AVX-512 code takes, and one more (portable). */
static void test_step_matches_reference_large_batches(void **state)
{
    (void)state;
    check_against_reference(STUDY_FAST_BATCH, 45, 48, 5, 16, false);
    check_against_reference(STUDY_FAST_BATCH + 1, 40, 40, 4, 20, false);
    check_against_reference(STUDY_FAST_BATCH + 1, 40, 40, 4, 20, true);
}

/* Adam constants that make a step move each parameter by minus its gradient
 * (m = g, v = g^2, p -= 1e6 g / (|g| + 1e6)): reads the step's gradients. */
static const AdamCoef GRADIENT_STEP = {0.0f, 0.0f, 1.0f, 1.0f, 1e6f, 1e6f};

/* The loss a step minimises, scale * sum |s - x|, in double. */
static double scaled_loss(const StudyDecoder *d, size_t N, float scale)
{
    return scale * study_decoder_loss(d, 0, N);
}

/* The gradients of a step (dh, and the weights' and biases' read through
 * GRADIENT_STEP) against central differences of study_decoder_loss, on both
 * code paths. Targets are 0 or 1, which the sigmoid never reaches: no kink
 * of |s - x| lies near. */
static void test_step_gradients_match_finite_differences(void **state)
{
    (void)state;
    enum { B = 3, H = 4, N = 21 };
    const float scale = 1.0f / (B * N);
    for (int portable = 0; portable <= 1; portable++) {
        float h[B * H], x[B * N], wt[H * N], b[N], dz[B * N], g[N], dh[B * H];
        float wt_m[H * N] = {0}, wt_v[H * N] = {0}, b_m[N] = {0}, b_v[N] = {0};
        for (size_t c = 0; c < B * H; c++)
            h[c] = (float)wiggle(c, 30);
        for (size_t c = 0; c < B * N; c++)
            x[c] = wiggle(c, 31) < 0.5 ? 0.0f : 1.0f;
        for (size_t c = 0; c < H * N; c++)
            wt[c] = (float)(2 * wiggle(c, 32) - 1);
        for (size_t j = 0; j < N; j++)
            b[j] = (float)(wiggle(j, 33) - 0.5);
        StudyDecoder d = {B, H, N, h, x, wt, b, wt_m, wt_v, b_m, b_v, dz, g, portable};
        float wt0[H * N], b0[N];
        memcpy(wt0, wt, sizeof wt);
        memcpy(b0, b, sizeof b);
        study_decoder_step(&d, 0, N, scale, &GRADIENT_STEP, dh);
        float gw[H * N], gb[N];
        for (size_t c = 0; c < H * N; c++)
            gw[c] = wt0[c] - wt[c];
        for (size_t j = 0; j < N; j++)
            gb[j] = b0[j] - b[j];
        memcpy(wt, wt0, sizeof wt);
        memcpy(b, b0, sizeof b);
        const float step = 1e-2f;
        float *params[3] = {h, wt, b};
        const float *grads[3] = {dh, gw, gb};
        const size_t counts[3] = {B * H, H * N, N};
        const char *names[3] = {"dh", "w", "b"};
        for (int p = 0; p < 3; p++)
            for (size_t i = 0; i < counts[p]; i++) {
                float keep = params[p][i];
                params[p][i] = keep + step;
                double up = scaled_loss(&d, N, scale);
                params[p][i] = keep - step;
                double down = scaled_loss(&d, N, scale);
                params[p][i] = keep;
                double num = (up - down) / (2.0 * step);
                assert_near(grads[p][i], num, 1e-5 + 1e-3 * fabs(num), names[p], i);
            }
    }
}

/* A step on a range of films leaves the other films' weights, biases and
 * moments as they were. */
static void test_step_touches_only_its_range(void **state)
{
    (void)state;
    enum { B = 3, H = 4, N = 50, FROM = 13, TO = 41 };
    float h[B * H], x[B * N], wt[H * N], b[N], wt_m[H * N] = {0}, wt_v[H * N] = {0};
    float b_m[N] = {0}, b_v[N] = {0}, dz[B * N], g[N], dh[B * H];
    for (size_t c = 0; c < B * H; c++)
        h[c] = (float)wiggle(c, 5);
    for (size_t c = 0; c < B * N; c++)
        x[c] = (float)(wiggle(c, 6) < 0.5 ? 0.0 : 0.8);
    for (size_t c = 0; c < H * N; c++)
        wt[c] = (float)(wiggle(c, 7) - 0.5);
    for (size_t j = 0; j < N; j++)
        b[j] = 0.25f;
    float wt0[H * N];
    memcpy(wt0, wt, sizeof wt);
    Adam adam;
    assert_int_equal(adam_init(&adam, 1, 0.0f), 0);
    adam_begin_step(&adam);
    AdamCoef k = adam_coef(&adam);
    for (int portable = 0; portable <= 1; portable++) {
        StudyDecoder d = {B, H, N, h, x, wt, b, wt_m, wt_v, b_m, b_v, dz, g, portable};
        study_decoder_step(&d, FROM, TO, 1.0f / (B * N), &k, dh);
        for (size_t j = 0; j < N; j++) {
            bool inside = j >= FROM && j < TO;
            assert_true(inside ? b[j] != 0.25f : b[j] == 0.25f);
            assert_true(inside ? b_v[j] > 0.0f : b_v[j] == 0.0f);
            for (size_t i = 0; i < H; i++) {
                assert_true(inside ? wt[i * N + j] != wt0[i * N + j]
                                   : wt[i * N + j] == wt0[i * N + j]);
                assert_true(inside || wt_m[i * N + j] == 0.0f);
            }
        }
    }
    adam_free(&adam);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_matches_reference_batch_10),
        cmocka_unit_test(test_step_matches_reference_small),
        cmocka_unit_test(test_step_matches_reference_large_batches),
        cmocka_unit_test(test_step_touches_only_its_range),
        cmocka_unit_test(test_step_gradients_match_finite_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
