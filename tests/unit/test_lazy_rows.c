/* test_lazy_rows.c: the rated loss's fused lazy row step (lazy_rows.h, AVX-512
 * and portable code) against the unfused passes the trainer ran before it:
 * each entry's coefficient times its user's vector added into a gradient
 * buffer with a fused multiply-add, weight decay added the same way, then the
 * library's Adam (adam_update) on each touched row and bias. The results must
 * be the same bits over several steps, for row lengths that take every path,
 * with and without a bias, per-user scales and weight decay; rows nobody in
 * the batch touched, and rows outside the lists' range, stay as they are. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "filmseg/adam.h"
#include "filmseg/lazy_rows.h"

enum { USERS = TEST_USERS, FILMS = TEST_FILMS, BATCH = 6 };

typedef struct {
    size_t H;
    bool bias, scaled, portable;
    float weight_decay;
    size_t from, to; /* the lists' range */
} Case;

/* One side's parameters, (FILMS, H) weights then (FILMS) biases, and Adam. */
typedef struct {
    float *params;
    Adam adam;
} Side;

static void side_init(Side *s, size_t H)
{
    size_t n = FILMS * H + FILMS;
    s->params = malloc(n * sizeof(float));
    assert_non_null(s->params);
    for (size_t c = 0; c < n; c++)
        s->params[c] = (float)(wiggle(c, 3) - 0.5);
    assert_int_equal(adam_init(&s->adam, n, 0.01f), 0);
}

static void side_free(Side *s)
{
    free(s->params);
    adam_free(&s->adam);
}

/* The unfused passes on the batch's entries in films [from, to). */
static void reference_step(const Case *c, Side *s, const SparseRows *x, const uint32_t *rows,
                           const float *src, const float *scale)
{
    size_t H = c->H, n = FILMS * H + FILMS;
    float *g = calloc(n, sizeof *g);
    bool *touched = calloc(FILMS, sizeof *touched);
    assert_non_null(g);
    assert_non_null(touched);
    for (size_t b = 0; b < BATCH; b++)
        for (uint32_t q = x->row_start[rows[b]]; q < x->row_start[rows[b] + 1]; q++) {
            size_t j = x->col[q];
            if (j < c->from || j >= c->to)
                continue;
            float a = scale ? scale[b] * x->value[q] : x->value[q];
            for (size_t i = 0; i < H; i++)
                g[j * H + i] = fmaf(a, src[b * H + i], g[j * H + i]);
            g[FILMS * H + j] += a;
            touched[j] = true;
        }
    for (size_t j = 0; j < FILMS; j++) {
        if (!touched[j])
            continue;
        for (size_t i = 0; i < H && c->weight_decay > 0.0f; i++)
            g[j * H + i] = fmaf(c->weight_decay, s->params[j * H + i], g[j * H + i]);
        adam_update(&s->adam, s->params, g, j * H, H);
        if (c->bias)
            adam_update(&s->adam, s->params, g, FILMS * H + j, 1);
    }
    free(g);
    free(touched);
}

static void assert_same_bits(const float *got, const float *want, size_t n, const char *what,
                             const Case *c)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], &want[i], sizeof *got) != 0)
            fail_msg("H=%zu bias=%d scaled=%d wd=%g %s %s[%zu]: got %.9g, want %.9g", c->H, c->bias,
                     c->scaled, (double)c->weight_decay, c->portable ? "portable" : "vector", what,
                     i, got[i], want[i]);
}

/* Six steps, the kernel and the reference side by side from the same start. */
static void check_steps(const Case *c)
{
    TestRows e;
    test_rows_make(&e, false);
    size_t H = c->H, n = FILMS * H + FILMS;
    Side fused, ref;
    side_init(&fused, H);
    side_init(&ref, H);
    float *src = malloc(BATCH * H * sizeof(float)), scale[BATCH];
    assert_non_null(src);
    FilmLists l;
    assert_int_equal(film_lists_alloc(&l, c->from, c->to, BATCH * FILMS), 0);
    uint32_t order[USERS];
    for (size_t u = 0; u < USERS; u++)
        order[u] = (uint32_t)((u * 7) % USERS);
    for (int step = 0; step < 6; step++) {
        const uint32_t *rows = order + (step * BATCH) % (USERS - BATCH);
        for (size_t i = 0; i < BATCH * H; i++)
            src[i] = wiggle(i + 100 * (size_t)step, 4) < 0.3 ? 0.0f : (float)(wiggle(i, 5) - 0.5);
        for (size_t b = 0; b < BATCH; b++)
            scale[b] = (float)(0.5 + wiggle(b + 10 * (size_t)step, 6));
        const float *scales = c->scaled ? scale : NULL;
        adam_begin_step(&fused.adam);
        adam_begin_step(&ref.adam);
        AdamCoef k = adam_coef(&fused.adam);
        assert_int_equal(film_lists_build(&l, &e.x, rows, BATCH), 0);
        float *p = fused.params, *m = fused.adam.m, *v = fused.adam.v;
        size_t ob = FILMS * H;
        LazyRows s = {H,
                      p,
                      m,
                      v,
                      c->bias ? p + ob : NULL,
                      c->bias ? m + ob : NULL,
                      c->bias ? v + ob : NULL,
                      src,
                      e.x.value,
                      scales,
                      c->weight_decay,
                      c->portable};
        lazy_rows_step(&s, &k, &l);
        reference_step(c, &ref, &e.x, rows, src, scales);
        assert_same_bits(fused.params, ref.params, n, "params", c);
        assert_same_bits(fused.adam.m, ref.adam.m, n, "m", c);
        assert_same_bits(fused.adam.v, ref.adam.v, n, "v", c);
    }
    film_lists_free(&l);
    side_free(&fused);
    side_free(&ref);
    free(src);
}

static void test_step_matches_unfused_passes(void **state)
{
    (void)state;
    /* 100: six chunks and a quad (the autoencoder's); 12: quads only; 48:
     * chunks only; 28: a chunk and three quads; 132: eight chunks and a quad;
     * in parts (not a multiple of 4, or past the registers): 37, 50, 3, 150
     * (a whole part and a remainder), 256 (two whole parts) */
    const size_t sizes[] = {100, 12, 48, 28, 132, 37, 50, 3, 150, 256};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int portable = 0; portable <= 1; portable++)
            for (int variant = 0; variant < 4; variant++) {
                Case c = {
                    sizes[i], variant & 1, variant & 2, portable != 0, variant == 3 ? 0.0f : 1e-2f,
                    0,        FILMS};
                check_steps(&c);
                c.from = 5; /* rows outside the range stay as they are */
                c.to = 30;
                check_steps(&c);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_matches_unfused_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
