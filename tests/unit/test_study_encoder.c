/* test_study_encoder.c: the fused study-loss encoder step (AVX-512 and
 * portable code) against the unfused passes written plainly here: each
 * row's gradient summed over the batch's users in order, then Adam on every
 * row of the range (rows nobody rated move along their momentum). The
 * results must be the same bits, over several steps, for hidden sizes that
 * take every path (whole chunks of 16, quads of 4 after them, sizes the
 * vector code leaves to the portable code). The film lists: test_film_lists.c. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "filmseg/adam.h"
#include "filmseg/study_encoder.h"

enum { USERS = TEST_USERS, FILMS = TEST_FILMS, BATCH = 6 };

/* The unfused passes over films [from, to): gradient, Adam. */
static void reference_step(size_t H, float *w, float *m, float *v, const float *dpre,
                           const AdamCoef *k, const SparseRows *x, const uint32_t *rows,
                           size_t from, size_t to)
{
    float *g = calloc(FILMS * H, sizeof *g);
    assert_non_null(g);
    for (size_t b = 0; b < BATCH; b++)
        for (uint32_t q = x->row_start[rows[b]]; q < x->row_start[rows[b] + 1]; q++)
            if (x->col[q] >= from && x->col[q] < to)
                for (size_t i = 0; i < H; i++) {
                    float *cell = &g[x->col[q] * H + i];
                    *cell = fmaf(x->value[q], dpre[b * H + i], *cell);
                }
    for (size_t c = from * H; c < to * H; c++) {
        float mi = k->b1 * m[c] + k->c1 * g[c];
        float vi = k->b2 * v[c] + k->c2 * (g[c] * g[c]);
        m[c] = mi;
        v[c] = vi;
        w[c] -= k->step_sbc2 * (mi / (sqrtf(vi) + k->eps_sbc2));
    }
    free(g);
}

static void assert_same_bits(const float *got, const float *want, size_t n, const char *what,
                             size_t H, bool portable)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof *got) != 0)
            fail_msg("H=%zu %s %s[%zu]: got %.9g, want %.9g", H, portable ? "portable" : "vector",
                     what, i, got[i], want[i]);
}

/* Eight steps over films [from, to), the kernel and the reference side by
 * side from the same start: every weight and moment the same bits. */
static void check_steps(size_t H, size_t from, size_t to, bool portable)
{
    TestRows p;
    test_rows_make(&p, true);
    size_t n = FILMS * H;
    float *w[2], *m[2], *v[2];
    for (int s = 0; s < 2; s++) {
        w[s] = malloc(n * sizeof(float));
        m[s] = calloc(n, sizeof(float));
        v[s] = calloc(n, sizeof(float));
        assert_non_null(w[s] && m[s] && v[s]);
        for (size_t c = 0; c < n; c++)
            w[s][c] = (float)(wiggle(c, 3) - 0.5);
    }
    float *dpre = malloc(BATCH * H * sizeof(float));
    assert_non_null(dpre);
    FilmLists batch;
    assert_int_equal(film_lists_alloc(&batch, from, to, BATCH * FILMS), 0);
    Adam adam;
    assert_int_equal(adam_init(&adam, 1, 0.01f), 0);
    uint32_t order[USERS];
    for (size_t u = 0; u < USERS; u++)
        order[u] = (uint32_t)((u * 7) % USERS);
    for (int step = 0; step < 8; step++) {
        const uint32_t *rows = order + (step * BATCH) % (USERS - BATCH);
        for (size_t c = 0; c < BATCH * H; c++)
            dpre[c] = wiggle(c + 100 * (size_t)step, 4) < 0.3 ? 0.0f : (float)(wiggle(c, 5) - 0.5);
        adam_begin_step(&adam);
        AdamCoef k = adam_coef(&adam);
        assert_int_equal(film_lists_build(&batch, &p.x, rows, BATCH), 0);
        StudyEncoder e = {H, w[0], m[0], v[0], dpre, portable};
        study_encoder_step(&e, &k, &batch);
        reference_step(H, w[1], m[1], v[1], dpre, &k, &p.x, rows, from, to);
        assert_same_bits(w[0], w[1], n, "w", H, portable);
        assert_same_bits(m[0], m[1], n, "m", H, portable);
        assert_same_bits(v[0], v[1], n, "v", H, portable);
    }
    film_lists_free(&batch);
    adam_free(&adam);
    for (int s = 0; s < 2; s++) {
        free(w[s]);
        free(m[s]);
        free(v[s]);
    }
    free(dpre);
}

static void test_step_matches_unfused_passes(void **state)
{
    (void)state;
    /* 100: six chunks and a quad (the study's); 12: quads only; 48: chunks
     * only; 28: a chunk and three quads; 132: eight chunks and a quad; in
     * parts (not a multiple of 4, or past the registers): 37, 50, 3, 150 (a
     * whole part and a remainder), 256 (two whole parts) */
    const size_t sizes[] = {100, 12, 48, 28, 132, 37, 50, 3, 150, 256};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int portable = 0; portable <= 1; portable++) {
            check_steps(sizes[s], 0, FILMS, portable);
            check_steps(sizes[s], 5, 30, portable); /* rows outside stay as they are */
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_matches_unfused_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
