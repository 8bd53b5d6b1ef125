/* test_heatmap.c: unit tests of the heatmap numbers: score shares and lift
 * (of likes) per segment, the study's seeded film sample, a segment's
 * distinctive films (liked far more often than by everyone). */
#include "test_util.h"

#include "filmseg/heatmap.h"

#include <math.h>

static void heat_shares(void **state)
{
    (void)state;
    Panel *p = three_film_panel();
    uint32_t films[3] = {(uint32_t)panel_film_index(p, 10), (uint32_t)panel_film_index(p, 5),
                         (uint32_t)panel_film_index(p, 7)};
    HeatRow rows[3];
    heatmap_rows(p, NULL, 0, films, 3, rows);
    assert_int_equal(rows[0].ratings, 3);
    assert_true(fabs(rows[0].share[5] - 2.0 / 3) < 1e-12);
    assert_true(fabs(rows[0].share[4] - 1.0 / 3) < 1e-12);
    assert_true(rows[0].share[1] == 0);
    double sum = 0;
    for (int s = 1; s <= 5; s++)
        sum += rows[1].share[s];
    assert_true(fabs(sum - 1) < 1e-12);
    assert_true(fabs(rows[0].lift - 1) < 1e-12); /* everyone: lift 1 */
    /* a segment: users 1 and 2 (indexes by id) */
    int32_t labels[5];
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id <= 2 ? 0 : 1;
    heatmap_rows(p, labels, 0, films, 3, rows);
    assert_int_equal(rows[0].ratings, 2);
    assert_true(rows[0].share[5] == 1);
    assert_int_equal(rows[2].ratings, 0); /* film 7: nobody in segment 0 */
    assert_true(rows[2].share[5] == 0);
    /* lift of film 10 in segment 0: 2 of the segment's 4 likes vs 3 of
     * everyone's 7 (users 1 and 2 like all they rate: not 2/2 of the
     * segment vs 3/5 of everyone, 1.67) */
    assert_true(fabs(rows[0].lift - 7.0 / 6) < 1e-12);
    /* a segment nobody is in: no lift (not 0) */
    heatmap_rows(p, labels, 7, films, 3, rows);
    assert_int_equal(rows[0].ratings, 0);
    assert_true(isnan(rows[0].lift));
    panel_free(p);
}

static void heat_sample(void **state)
{
    (void)state;
    Panel *p = three_film_panel();
    uint32_t out[30];
    /* no film has more than 100 ratings: the most-rated, in id order */
    size_t n = heatmap_sample(p, 100, 30, 1, out);
    assert_int_equal(n, 3);
    assert_int_equal(p->films[out[0]].id, 5);
    assert_int_equal(p->films[out[2]].id, 10);
    /* films with more than 2 ratings: 10 and 5; draw one */
    n = heatmap_sample(p, 2, 1, 1, out);
    assert_int_equal(n, 1);
    assert_true(p->films[out[0]].id == 10 || p->films[out[0]].id == 5);
    panel_free(p);
}

static void study_sample_on_ml100k(void **state)
{
    (void)state;
    Panel *p = shared_ml100k_panel();
    if (!p)
        skip();
    uint32_t a[30], b[30], a2[30];
    assert_int_equal(heatmap_sample(p, 100, 30, 1, a), 30);
    assert_int_equal(heatmap_sample(p, 100, 30, 1, a2), 30);
    assert_int_equal(heatmap_sample(p, 100, 30, 2, b), 30);
    assert_memory_equal(a, a2, sizeof a);    /* the same seed, the same films */
    assert_memory_not_equal(a, b, sizeof a); /* `r` draws another */
    for (int i = 0; i < 30; i++) {
        assert_true(p->film_start[a[i] + 1] - p->film_start[a[i]] > 100);
        if (i)
            assert_true(p->films[a[i - 1]].id < p->films[a[i]].id);
    }
    panel_free(p);
}

/* 40 users (ids 1..40; segment 1 is users 1..20) and four films: film 1
 * rated by users 1..12, film 2 by 1..9, film 3 by 1..10, film 4 by all. */
static Panel *forty_user_panel(int32_t *labels)
{
    char users[40 * 32], ratings[100 * 16];
    size_t u_len = 0, r_len = 0;
    static const int raters[5] = {0, 12, 9, 10, 40};
    for (int u = 1; u <= 40; u++)
        u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|30|M|writer|10027\n", u);
    for (int f = 1; f <= 4; f++)
        for (int u = 1; u <= raters[f]; u++)
            r_len +=
                (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t%d\t4\t1\n", u, f);
    const char *items =
        ITEM(1, "One (1990)") ITEM(2, "Two (1990)") ITEM(3, "Three (1990)") ITEM(4, "Four (1990)");
    Panel *p = ml100k_panel_of(users, items, ratings);
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id <= 20 ? 1 : 0;
    return p;
}

static void distinctive_films(void **state)
{
    (void)state;
    int32_t labels[40];
    Panel *p = forty_user_panel(labels);
    uint32_t out[4];
    /* segment 1 (20 users, 51 likes of 71): film 1 has lift (12/51) /
     * (12/71), film 3 the same with 10 raters (the minimum), film 4 (20/51) /
     * (40/71); film 2's 9 raters are too few to say anything */
    size_t n = heatmap_distinctive(p, labels, 1, 4, out);
    assert_int_equal(n, 3);
    assert_int_equal(p->films[out[0]].id, 1); /* a tie: by id */
    assert_int_equal(p->films[out[1]].id, 3);
    assert_int_equal(p->films[out[2]].id, 4);
    /* segment 0 (users 21..40) rated only film 4 */
    n = heatmap_distinctive(p, labels, 0, 4, out);
    assert_int_equal(n, 1);
    assert_int_equal(p->films[out[0]].id, 4);
    /* the 3-film panel's segments are too small for any film */
    Panel *small = three_film_panel();
    for (size_t u = 0; u < small->n_users; u++)
        labels[u] = 0;
    assert_int_equal(heatmap_distinctive(small, labels, 0, 3, out), 0);
    panel_free(small);
    panel_free(p);
}

/* Distinctive films are those a segment likes far more often than
 * everyone, not those it rates more often: of 40 users (segment 1: users
 * 1..20), film 1 rated 2 stars by all of segment 1 (a lift of ratings of 2,
 * no like), film 2 rated by everyone, 5 stars by segment 1 and 1 star by
 * the others (a lift of ratings of 1), film 3 liked by users 1..12, film 4
 * liked by the others: films 2 and 3 take 20 and 12 of the segment's 32
 * likes, of everyone's 52 (lift 52/32). */
static void distinctive_films_are_liked(void **state)
{
    (void)state;
    char users[40 * 32], ratings[120 * 16];
    size_t u_len = 0, r_len = 0;
    for (int u = 1; u <= 40; u++)
        u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|30|M|writer|10027\n", u);
    for (int u = 1; u <= 40; u++) {
        if (u <= 20)
            r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t1\t2\t1\n", u);
        r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t2\t%d\t1\n", u,
                                  u <= 20 ? 5 : 1);
        if (u <= 12)
            r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t3\t4\t1\n", u);
        if (u > 20)
            r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t4\t5\t1\n", u);
    }
    Panel *p = ml100k_panel_of(users,
                               ITEM(1, "Watched (1990)") ITEM(2, "Loved (1990)")
                                   ITEM(3, "Liked (1990)") ITEM(4, "Theirs (1990)"),
                               ratings);
    int32_t labels[40];
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id <= 20 ? 1 : 0;
    uint32_t out[3];
    assert_int_equal(heatmap_distinctive(p, labels, 1, 3, out), 2);
    assert_int_equal(p->films[out[0]].id, 2); /* a tie: by id */
    assert_int_equal(p->films[out[1]].id, 3);
    HeatRow rows[3];
    uint32_t films[3] = {(uint32_t)panel_film_index(p, 1), (uint32_t)panel_film_index(p, 2),
                         (uint32_t)panel_film_index(p, 3)};
    heatmap_rows(p, labels, 1, films, 3, rows);
    assert_true(isnan(rows[0].lift)); /* nobody liked it: no lift */
    assert_int_equal(rows[0].ratings, 20);
    assert_true(fabs(rows[1].lift - 52.0 / 32) < 1e-12);
    assert_true(fabs(rows[2].lift - 52.0 / 32) < 1e-12);
    panel_free(p);
}

/* Lifts equal as fractions are a tie, ordered by film id, whatever their
 * floating-point quotients: of 872 users (segment: the first 151), film 1
 * liked by 21 of it and 42 in all, film 2 by 10 and 20, film 3 by 50 others
 * (the segment's 31 likes of everyone's 112); as quotients of quotients,
 * (21/31)/(42/112) can compute a bit apart from (10/31)/(20/112) (with
 * users for likes, (21/151)/(42/872) computed below (10/151)/(20/872),
 * which put film 2 first and printed the two lifts apart). */
static void distinctive_ties_are_exact(void **state)
{
    (void)state;
    enum { USERS = 872, SEGMENT = 151 };
    static char users[USERS * 32], ratings[128 * 16];
    size_t u_len = 0, r_len = 0;
    for (int u = 1; u <= USERS; u++)
        u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|30|M|writer|10027\n", u);
    static const int liked_in[3] = {0, 21, 10}; /* of the segment; as many again outside */
    for (int f = 1; f <= 2; f++)
        for (int i = 0; i < liked_in[f]; i++)
            r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len,
                                      "%d\t%d\t5\t1\n%d\t%d\t5\t1\n", 1 + i, f, SEGMENT + 1 + i, f);
    for (int u = SEGMENT + 1; u <= SEGMENT + 50; u++)
        r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t3\t5\t1\n", u);
    Panel *p = ml100k_panel_of(
        users, ITEM(1, "One (1990)") ITEM(2, "Two (1990)") ITEM(3, "Three (1990)"), ratings);
    static int32_t labels[USERS];
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id <= SEGMENT ? 0 : 1;
    uint32_t out[2];
    assert_int_equal(heatmap_distinctive(p, labels, 0, 2, out), 2);
    assert_int_equal(p->films[out[0]].id, 1);
    assert_int_equal(p->films[out[1]].id, 2);
    HeatRow rows[2]; /* and the same lift to the last bit, so that they print alike */
    heatmap_rows(p, labels, 0, out, 2, rows);
    assert_true(rows[0].lift == rows[1].lift);
    assert_true(fabs(rows[0].lift - 112.0 / 62) < 1e-12);
    panel_free(p);
}

/* At least 5% of the segment, rounded up: of 221 users (5% = 11.05), a
 * film 11 of them rated is too few, one 12 rated is enough. */
static void distinctive_films_need_five_percent(void **state)
{
    (void)state;
    enum { USERS = 221 };
    static char users[USERS * 32], ratings[32 * 16];
    size_t u_len = 0, r_len = 0;
    for (int u = 1; u <= USERS; u++)
        u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|30|M|writer|10027\n", u);
    for (int f = 1; f <= 2; f++)
        for (int u = 1; u <= 10 + f; u++)
            r_len +=
                (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t%d\t4\t1\n", u, f);
    Panel *p = ml100k_panel_of(users, ITEM(1, "Eleven (1990)") ITEM(2, "Twelve (1990)"), ratings);
    int32_t labels[USERS] = {0};
    uint32_t out[2];
    assert_int_equal(heatmap_distinctive(p, labels, 0, 2, out), 1);
    assert_int_equal(p->films[out[0]].id, 2);
    panel_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heat_shares),
        cmocka_unit_test(heat_sample),
        cmocka_unit_test(study_sample_on_ml100k),
        cmocka_unit_test(distinctive_films),
        cmocka_unit_test(distinctive_films_need_five_percent),
        cmocka_unit_test(distinctive_films_are_liked),
        cmocka_unit_test(distinctive_ties_are_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
