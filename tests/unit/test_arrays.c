/* test_arrays.c: the checks and fills over flat arrays: finite numbers
 * (NaN and both infinities anywhere refused), labels in 0..k-1, and the
 * uniform fill drawing each value in order from the generator, inside its
 * bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filmseg/arrays.h"

#include <math.h>
#include <string.h>

static void test_all_finite(void **state)
{
    (void)state;
    float x[5] = {0.0f, -1.5f, 3e38f, -3e38f, 1e-45f};
    assert_true(arrays_all_finite(x, 5));
    assert_true(arrays_all_finite(NULL, 0));
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (int b = 0; b < 3; b++)
        for (size_t at = 0; at < 5; at++) {
            float y[5];
            memcpy(y, x, sizeof y);
            y[at] = bad[b];
            assert_false(arrays_all_finite(y, 5));
            assert_true(arrays_all_finite(y, at)); /* only what is before it */
        }
}

static void test_labels_in_range(void **state)
{
    (void)state;
    int32_t labels[4] = {0, 2, 1, 2};
    assert_true(arrays_labels_in_range(labels, 4, 3));
    assert_false(arrays_labels_in_range(labels, 4, 2)); /* a 2 is past k 2 */
    assert_true(arrays_labels_in_range(labels, 1, 1));
    assert_true(arrays_labels_in_range(NULL, 0, 1));
    labels[3] = -1;
    assert_false(arrays_labels_in_range(labels, 4, 3));
    assert_true(arrays_labels_in_range(labels, 3, 3));
}

static void test_fill_uniform(void **state)
{
    (void)state;
    enum { N = 1000 };
    float p[N];
    Rng rng, same;
    rng_seed(&rng, 42);
    rng_seed(&same, 42);
    double bound = 1.0 / sqrt(7.0);
    arrays_fill_uniform(&rng, p, N, bound);
    double lowest = 1, highest = -1;
    for (size_t i = 0; i < N; i++) {
        assert_true(p[i] == (float)((2.0 * rng_uniform(&same) - 1.0) * bound));
        assert_true(p[i] >= -bound && p[i] <= bound);
        lowest = fmin(lowest, p[i]);
        highest = fmax(highest, p[i]);
    }
    assert_true(lowest < -0.9 * bound && highest > 0.9 * bound); /* spread over it */
    /* the generator moved on by exactly N draws; none for an empty fill */
    assert_memory_equal(&rng, &same, sizeof rng);
    arrays_fill_uniform(&rng, p, 0, bound);
    assert_memory_equal(&rng, &same, sizeof rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_finite),
        cmocka_unit_test(test_labels_in_range),
        cmocka_unit_test(test_fill_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
