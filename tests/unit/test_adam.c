/* test_adam.c: the Adam optimiser against updates computed by hand (in double)
 * with PyTorch's formula, including the zero-gradient and partial-range forms. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filmseg/adam.h"

/* One PyTorch Adam step in double on one parameter. */
static void torch_adam(double *p, double *m, double *v, double g, long t, double lr)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    *m = b1 * *m + (1 - b1) * g;
    *v = b2 * *v + (1 - b2) * g * g;
    double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
    *p -= lr / bc1 * *m / (sqrt(*v) / sqrt(bc2) + eps);
}

static void assert_close(double got, double want, double rel)
{
    double tol = rel * fmax(1e-6, fabs(want));
    if (fabs(got - want) > tol)
        fail_msg("got %.9g, want %.9g (tolerance %.3g)", got, want, tol);
}

/* The first step moves every parameter by lr against the sign of its gradient
 * (m_hat / sqrt(v_hat) = g / |g|): checkable by eye. */
static void test_adam_first_step_by_hand(void **state)
{
    (void)state;
    float p[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.1f, -0.2f, 3.0f};
    Adam a;
    assert_int_equal(adam_init(&a, 3, 0.0f), 0); /* 0: the default lr 1e-3 */
    assert_true(a.lr == 1e-3f && a.beta1 == 0.9f && a.beta2 == 0.999f && a.eps == 1e-8f);
    adam_step(&a, p, g);
    assert_close(p[0], 1.0 - 1e-3, 1e-6);
    assert_close(p[1], -2.0 + 1e-3, 1e-6);
    assert_close(p[2], 0.5 - 1e-3, 1e-5);
    assert_close(a.m[1], 0.1 * -0.2, 1e-6);
    assert_close(a.v[1], 0.001 * 0.04, 1e-4); /* 1 - 0.999f is not exactly 0.001 */
    adam_free(&a);
}

/* Many steps on a vector long enough for the vector paths and their scalar
 * tail, with varying gradients, zero-gradient steps and a partial range. */
static void test_adam_matches_reference_over_steps(void **state)
{
    (void)state;
    enum { N = 53, STEPS = 40 };
    float p[N], g[N];
    double rp[N], rm[N] = {0}, rv[N] = {0};
    for (int i = 0; i < N; i++)
        rp[i] = p[i] = (float)sin(i + 1.0);
    Adam a;
    assert_int_equal(adam_init(&a, N, 0.01f), 0);
    for (int t = 1; t <= STEPS; t++) {
        for (int i = 0; i < N; i++)
            g[i] = (float)(cos(0.7 * i * t) * (i % 5 + 1) * 0.1);
        adam_begin_step(&a);
        if (t % 7 == 0) {
            /* zero gradient everywhere: momentum still moves the parameters */
            adam_update(&a, p, NULL, 0, N);
            for (int i = 0; i < N; i++)
                torch_adam(&rp[i], &rm[i], &rv[i], 0.0, t, 0.01);
        } else {
            /* two ranges, as the lazy and fused callers do, the second
             * with its gradients alone */
            adam_update(&a, p, g, 0, 21);
            adam_update_range(&a, p, g + 21, 21, N - 21);
            for (int i = 0; i < N; i++)
                torch_adam(&rp[i], &rm[i], &rv[i], g[i], t, 0.01);
        }
    }
    for (int i = 0; i < N; i++) {
        assert_close(p[i], rp[i], 1e-4);
        assert_close(a.m[i], rm[i], 1e-4);
        assert_close(a.v[i], rv[i], 1e-4);
    }
    assert_int_equal(a.t, STEPS);
    adam_free(&a);
}

/* A range update leaves everything outside the range alone. */
static void test_adam_update_touches_only_its_range(void **state)
{
    (void)state;
    float p[40], g[40];
    for (int i = 0; i < 40; i++) {
        p[i] = 1.0f;
        g[i] = 1.0f;
    }
    Adam a;
    assert_int_equal(adam_init(&a, 40, 0.0f), 0);
    adam_begin_step(&a);
    adam_update(&a, p, g, 5, 20);
    for (int i = 0; i < 40; i++) {
        int inside = i >= 5 && i < 25;
        assert_true(inside ? p[i] < 1.0f : p[i] == 1.0f);
        assert_true(inside ? a.m[i] != 0.0f : a.m[i] == 0.0f);
    }
    adam_free(&a);
}

/* adam_update_rows gives the same bits as adam_update row by row, with and
 * without gradients, on rows whose length leaves a vector tail; rows it is
 * not given stay as they are. */
static void test_adam_update_rows_matches_row_by_row(void **state)
{
    (void)state;
    enum { ROWS = 9, LEN = 37, N = 5 + ROWS * LEN };
    const uint32_t rows[] = {7, 2, 4, 0};
    float p[2][N], g[N];
    for (int i = 0; i < N; i++) {
        p[0][i] = p[1][i] = (float)sin(i * 0.7);
        g[i] = (float)cos(i * 1.3) * 1e-2f;
    }
    Adam a[2];
    for (int s = 0; s < 2; s++)
        assert_int_equal(adam_init(&a[s], N, 0.0f), 0);
    for (int step = 0; step < 6; step++) {
        const float *grads = step % 3 == 2 ? NULL : g;
        for (int s = 0; s < 2; s++)
            adam_begin_step(&a[s]);
        adam_update_rows(&a[0], p[0], grads, 5, rows, 4, LEN);
        for (int r = 0; r < 4; r++)
            adam_update(&a[1], p[1], grads, 5 + rows[r] * LEN, LEN);
        assert_memory_equal(p[0], p[1], sizeof p[0]);
        assert_memory_equal(a[0].m, a[1].m, N * sizeof(float));
        assert_memory_equal(a[0].v, a[1].v, N * sizeof(float));
    }
    for (int i = 0; i < N; i++) { /* the offset and rows 1, 3, 5.. untouched */
        int row = i < 5 ? -1 : (i - 5) / LEN;
        int moved = row == 7 || row == 2 || row == 4 || row == 0;
        assert_true(moved ? p[0][i] != (float)sin(i * 0.7) : p[0][i] == (float)sin(i * 0.7));
    }
    for (int s = 0; s < 2; s++)
        adam_free(&a[s]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_first_step_by_hand),
        cmocka_unit_test(test_adam_matches_reference_over_steps),
        cmocka_unit_test(test_adam_update_touches_only_its_range),
        cmocka_unit_test(test_adam_update_rows_matches_row_by_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
