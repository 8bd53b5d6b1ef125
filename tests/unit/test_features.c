/* test_features.c: unit tests of the clustering features: the demographic
 * encoding, embedding normalisation, and the block scaling that decides how
 * much of the variance taste and demographics carry. */
#include "test_util.h"

#include "filmseg/features.h"
#include "filmseg/states.h"

#include <math.h>

/* Weights by place in time, worked by hand: exp(4 (q - 1)), q = rank / (n-1). */
static void recency_weights_by_hand(void **state)
{
    (void)state;
    uint32_t scratch[8];
    float w[4];
    const uint32_t times[3] = {30, 10, 20}; /* places 2, 0, 1 */
    recency_weights(times, 3, 4.0, scratch, w);
    assert_true(fabsf(w[0] - 1.0f) < 1e-6f);
    assert_true(fabsf(w[1] - expf(-4.0f)) < 1e-6f);
    assert_true(fabsf(w[2] - expf(-2.0f)) < 1e-6f);
    const uint32_t ties[2] = {5, 5}; /* equal times: in their given order */
    recency_weights(ties, 2, 1.0, scratch, w);
    assert_true(fabsf(w[0] - expf(-1.0f)) < 1e-6f && w[1] == 1.0f);
    const uint32_t unknown[3] = {0, 0, 0};
    recency_weights(unknown, 3, 4.0, scratch, w);
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f);
    /* one time unknown (a survey's rating without one): not the oldest,
     * but no order at all */
    const uint32_t one_unknown[3] = {30, 0, 20};
    recency_weights(one_unknown, 3, 4.0, scratch, w);
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f);
    recency_weights(times, 3, 0.0, scratch, w); /* recency 0: all alike */
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f);
    recency_weights(NULL, 3, 4.0, scratch, w);
    assert_true(w[0] == 1.0f && w[1] == 1.0f && w[2] == 1.0f);
    recency_weights(times, 1, 4.0, scratch, w);
    assert_true(w[0] == 1.0f);
}

/* Blending: each row becomes emb / |emb| + recent / |recent|. */
static void blend_with_recent_embeddings(void **state)
{
    (void)state;
    float emb[4] = {3, 4, 0, 5}, recent[4] = {0, 2, 1, 0};
    embeddings_blend_recent(emb, recent, 2, 2);
    assert_true(fabsf(emb[0] - 0.6f) < 1e-6f && fabsf(emb[1] - 1.8f) < 1e-6f);
    assert_true(fabsf(emb[2] - 1.0f) < 1e-6f && fabsf(emb[3] - 1.0f) < 1e-6f);
}

static void demographic_encoding(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(load_ml100k_strings("1|20|M|writer|10027\n2|40|F|artist|60614\n"
                                         "3|30|M|writer|T8H1N\n",
                                         ITEM(1, "A (1990)"), "1\t1\t5\t1\n", NULL, &c, &p),
                     0);
    DemoEncoding enc;
    assert_int_equal(demo_encoding_fit(&enc, p), 0);
    assert_true(enc.has_demographics);
    assert_true(fabs(enc.age_mean - 30) < 1e-12);
    assert_true(fabs(enc.age_std - 10) < 1e-12); /* sample std (n - 1) */
    assert_int_equal(enc.n_occupations, 2);
    assert_int_equal(enc.n_states, 2); /* unknown state has no column */
    assert_int_equal(demo_encoding_width(&enc), 6);
    float row[6];
    demo_encode(&enc, p, &p->users[0], row);
    assert_true(row[0] == -1.0f && row[1] == 1.0f);
    assert_true(row[2] + row[3] == 1.0f && row[4] + row[5] == 1.0f);
    demo_encode(&enc, p, &p->users[2], row); /* no state: zero state columns */
    assert_true(row[0] == 0.0f && row[4] == 0.0f && row[5] == 0.0f);
    /* the state columns: New York's and Illinois's, in code order; none for
     * unknown or a state nobody lived in */
    int ny = demo_encoding_state(&enc, state_find("NY", 2)),
        il = demo_encoding_state(&enc, state_find("IL", 2));
    assert_true(ny >= 0 && il >= 0 && ny != il);
    demo_encode(&enc, p, &p->users[0], row);
    assert_true(row[4 + ny] == 1.0f && row[4 + il] == 0.0f);
    assert_int_equal(demo_encoding_state(&enc, STATE_UNKNOWN), -1);
    assert_int_equal(demo_encoding_state(&enc, state_find("AK", 2)), -1);
    /* a user to score with age and gender unknown: the mean age, half way */
    PanelUser unknown = p->users[0];
    unknown.age = -1;
    unknown.gender = '?';
    demo_encode(&enc, p, &unknown, row);
    assert_true(row[0] == 0.0f && row[1] == 0.5f);
    demo_encoding_free(&enc);
    panel_free(p);
    captured_diag_free(&c);
}

static void normalisation(void **state)
{
    (void)state;
    float e[6] = {3, 4, 0, 0, 0, 0};
    embeddings_normalise(e, 2, 3, EMBED_NORM_L2);
    assert_true(fabsf(e[0] - 0.6f) < 1e-6f && fabsf(e[1] - 0.8f) < 1e-6f);
    assert_true(e[3] == 0 && e[4] == 0); /* a zero row stays zero */
    float f[3] = {1, 3, 0};
    embeddings_normalise(f, 1, 3, EMBED_NORM_L1);
    assert_true(fabsf(f[0] - 0.25f) < 1e-6f && fabsf(f[1] - 0.75f) < 1e-6f);
}

static void block_weights_set_variance_shares(void **state)
{
    (void)state;
    enum { N = 50 };
    float emb[N * 2], demo[N];
    for (int i = 0; i < N; i++) {
        emb[2 * i] = (float)sin(i);
        emb[2 * i + 1] = (float)cos(3 * i);
        demo[i] = (float)(i % 7) * 10; /* large raw variance */
    }
    FeatureScaling sc;
    float *x;
    FeatureOptions study = {EMBED_NORM_L1, -1, 0, 0};
    assert_int_equal(features_build(emb, NULL, demo, N, 2, 0, 1, &study, &sc, &x), 0);
    assert_true(sc.taste_scale == 1 && sc.demo_scale == 1);
    assert_true(sc.taste_variance_share < 0.01); /* the study's join: demographics swamp taste */
    assert_true(x[2] == demo[0] && x[5] == demo[1]);
    free(x);
    FeatureOptions equal = {EMBED_NORM_L2, 1, 0, 0};
    assert_int_equal(features_build(emb, NULL, demo, N, 2, 0, 1, &equal, &sc, &x), 0);
    assert_true(fabs(sc.taste_variance_share - 0.5) < 1e-9);
    free(x);
    FeatureOptions taste = {EMBED_NORM_L2, 0, 0, 0};
    assert_int_equal(features_build(emb, NULL, demo, N, 2, 0, 1, &taste, &sc, &x), 0);
    assert_true(sc.taste_variance_share == 1);
    for (int i = 0; i < N; i++)
        assert_true(x[3 * i + 2] == 0);
    float row[3];
    features_row(emb + 2, NULL, demo + 1, &sc, row);
    assert_memory_equal(row, x + 3, sizeof row); /* one row as the matrix had it */
    free(x);
}

/* Two liked films (of the 4: the others got 3 stars): film 0 Drama and
 * Comedy, film 2 Drama. Whole history: Drama 2 of 3 genre likes, Comedy 1;
 * the later like (film 2) weighs 4 times the earlier: Drama (4 + 1) / 6,
 * Comedy 1 / 6; the taste is the mean of the two. */
static void genre_taste_by_hand(void **state)
{
    (void)state;
    enum { DRAMA = 1u << 0, COMEDY = 1u << 1, WAR = 1u << 2 };
    const uint32_t film_genres[4] = {DRAMA | COMEDY, WAR, DRAMA, WAR};
    const uint32_t col[4] = {0, 1, 2, 3};
    const float value[4] = {1.0f, 0.6f, 0.8f, 0.6f}, weight[4] = {1, 2, 4, 8};
    float out[3];
    genre_taste(film_genres, 3, 4, col, value, weight, out);
    assert_true(fabsf(out[0] - (2.0f / 3 + 5.0f / 6) / 2) < 1e-6f);
    assert_true(fabsf(out[1] - (1.0f / 3 + 1.0f / 6) / 2) < 1e-6f);
    assert_true(out[2] == 0); /* War only in films rated 3 */
    /* genres past the block's width are left out; no like: all 0 */
    const float dislikes[4] = {0.2f, 0.4f, 0.6f, 0.4f};
    genre_taste(film_genres, 3, 4, col, dislikes, weight, out);
    assert_true(out[0] == 0 && out[1] == 0 && out[2] == 0);
}

/* The genre block: each column standardised, the block's total variance the
 * genre weight against the taste block's 1; a column that never varies
 * counts for nothing. */
static void genre_block_scaled(void **state)
{
    (void)state;
    enum { N = 40, G = 3 };
    float emb[N * 2], genre[N * G];
    for (int i = 0; i < N; i++) {
        emb[2 * i] = (float)sin(i);
        emb[2 * i + 1] = (float)cos(3 * i);
        genre[G * i] = (float)(i % 5) / 4;
        genre[G * i + 1] = (float)((i * 7) % 3) / 10;
        genre[G * i + 2] = 0.25f; /* everyone alike */
    }
    FeatureScaling sc;
    float *x;
    FeatureOptions opts = {EMBED_NORM_L2, 0, 0, 0.6};
    assert_int_equal(features_build(emb, genre, NULL, N, 2, G, 0, &opts, &sc, &x), 0);
    assert_int_equal(sc.genre_dim, G);
    double var[G] = {0}, mean[G] = {0};
    for (int i = 0; i < N; i++)
        for (int g = 0; g < G; g++)
            mean[g] += x[(2 + G) * i + 2 + g] / N;
    for (int i = 0; i < N; i++)
        for (int g = 0; g < G; g++) {
            double d = x[(2 + G) * i + 2 + g] - mean[g];
            var[g] += d * d / N;
        }
    /* two columns vary: 0.3 of variance each, centred; the constant one is 0 */
    assert_true(fabs(var[0] - 0.3) < 1e-5 && fabs(var[1] - 0.3) < 1e-5 && var[2] == 0);
    assert_true(fabs(mean[0]) < 1e-6 && fabs(mean[1]) < 1e-6);
    assert_true(fabs(sc.genre_variance_share - 0.6 / 1.6) < 1e-9);
    assert_true(fabs(sc.taste_variance_share - 1 / 1.6) < 1e-9);
    float row[2 + G];
    features_row(emb + 2 * 7, genre + G * 7, NULL, &sc, row);
    assert_memory_equal(row, x + (2 + G) * 7, sizeof row);
    free(x);
    /* weight 0: the block is there but carries nothing */
    opts.genre_weight = 0;
    assert_int_equal(features_build(emb, genre, NULL, N, 2, G, 0, &opts, &sc, &x), 0);
    for (int i = 0; i < N; i++)
        assert_true(x[(2 + G) * i + 2] == 0);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recency_weights_by_hand),
        cmocka_unit_test(blend_with_recent_embeddings),
        cmocka_unit_test(demographic_encoding),
        cmocka_unit_test(normalisation),
        cmocka_unit_test(block_weights_set_variance_shares),
        cmocka_unit_test(genre_taste_by_hand),
        cmocka_unit_test(genre_block_scaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
