/* test_sqdist.c: unit tests of the k-means distance (sqdist.h): every path
 * (AVX2, AVX-512 four at a time, batches of any shape, padded rows) gives the
 * portable sums bit for bit, and those sums are the squared distance. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filmseg/rng.h"
#include "filmseg/sqdist.h"

static float *random_rows(size_t n, size_t d, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    float *x = malloc((n * d + 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n * d; i++) /* mixed scales make rounding order matter */
        x[i] = (float)(rng_normal(&rng) * (i % 3 == 0 ? 1000.0 : 0.01));
    return x;
}

static void assert_same_bits(double a, double b)
{
    assert_memory_equal(&a, &b, sizeof a);
}

static void test_single_matches_portable_and_exact_sum(void **state)
{
    (void)state;
    for (size_t d = 1; d <= 300; d += (d < 40 ? 1 : 13)) {
        float *x = random_rows(2, d, d);
        double exact = 0.0;
        for (size_t t = 0; t < d; t++)
            exact += ((double)x[t] - x[d + t]) * ((double)x[t] - x[d + t]);
        double got = sqdist(x, x + d, d);
        assert_same_bits(got, sqdist_portable(x, x + d, d));
        assert_true(fabs(got - exact) <= 1e-5 * exact);
        assert_same_bits(sqdist(x, x, d), 0.0);
        free(x);
    }
}

static void test_padding_changes_nothing(void **state)
{
    (void)state;
    const size_t d = 37, dp = sqdist_padded_columns(d);
    assert_int_equal(dp, 48);
    assert_int_equal(sqdist_padded_columns(48), 48);
    float *x = random_rows(2, d, 7);
    float *pad = calloc(2 * dp, sizeof *pad);
    assert_non_null(pad);
    memcpy(pad, x, d * sizeof *x);
    memcpy(pad + dp, x + d, d * sizeof *x);
    assert_same_bits(sqdist(pad, pad + dp, dp), sqdist(x, x + d, d));
    free(pad);
    free(x);
}

/* Batches of every length 0..11 (four at a time plus a rest), one point
 * against rows, pairs chosen by index lists, on padded rows (the AVX-512
 * path) and unpadded ones: each entry the bits of sqdist_portable. */
static void test_batches_match_one_at_a_time(void **state)
{
    (void)state;
    const size_t widths[] = {16, 176, 256, 23};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const size_t d = widths[w], n = 12;
        float *a = random_rows(n, d, 100 + w), *b = random_rows(n, d, 200 + w);
        uint32_t a_which[12], b_which[12];
        for (size_t c = 0; c < n; c++) {
            a_which[c] = (uint32_t)((c * 5 + 3) % n);
            b_which[c] = (uint32_t)((c * 7 + 1) % n);
        }
        double out[12];
        for (size_t m = 0; m <= n; m++) {
            out[0] = -1.0;
            sqdist_batch(a, a_which, 1, b, b_which, d, m, out);
            for (size_t c = 0; c < m; c++)
                assert_same_bits(out[c],
                                 sqdist_portable(a + a_which[c] * d, b + b_which[c] * d, d));
            if (m == 0)
                assert_true(out[0] == -1.0); /* nothing written */
            sqdist_batch(a, NULL, 1, b, NULL, d, m, out);
            for (size_t c = 0; c < m; c++)
                assert_same_bits(out[c], sqdist_portable(a + c * d, b + c * d, d));
            sqdist_to_rows(a + 2 * d, b, b_which, d, m, out);
            for (size_t c = 0; c < m; c++)
                assert_same_bits(out[c], sqdist_portable(a + 2 * d, b + b_which[c] * d, d));
        }
        free(a);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_matches_portable_and_exact_sum),
        cmocka_unit_test(test_padding_changes_nothing),
        cmocka_unit_test(test_batches_match_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
