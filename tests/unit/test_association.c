/* test_association.c: unit tests of the adjusted mutual information
 * (against scikit-learn's adjusted_mutual_info_score on the same labels,
 * figures taken once with it) and of how much segments follow a small
 * panel's demographics. */
#include "test_util.h"

#include "filmseg/association.h"

#include <math.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void against_scikit_learn(void **state)
{
    (void)state;
    const int32_t a[] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2}, b[] = {0, 0, 1, 1, 1, 2, 2, 2, 0, 0};
    assert_true(fabs(adjusted_mutual_info(a, b, COUNT(a)) - 0.1715242354007287) < 1e-12);
    /* the same partition under other names */
    const int32_t c[] = {0, 0, 1, 1, 2, 2, 0, 1}, d[] = {1, 1, 0, 0, 3, 3, 1, 0};
    assert_true(fabs(adjusted_mutual_info(c, d, COUNT(c)) - 1.0) < 1e-12);
    /* worse than chance is negative */
    const int32_t e[] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
                  f[] = {0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2};
    assert_true(fabs(adjusted_mutual_info(e, f, COUNT(e)) - -0.1333839770615069) < 1e-12);
    /* 300 items: unrelated labels near 0, one in ten moved near 0.9 */
    int32_t x[300], y[300], z[300];
    for (int i = 0; i < 300; i++) {
        x[i] = (i * i + 3 * i) % 5;
        y[i] = (i * 7 + i / 3) % 7;
        z[i] = (x[i] + (i % 10 == 0)) % 5;
    }
    assert_true(fabs(adjusted_mutual_info(x, y, 300) - -0.01340621588794027) < 1e-12);
    assert_true(fabs(adjusted_mutual_info(x, z, 300) - 0.9028117386952784) < 1e-12);
    assert_true(fabs(adjusted_mutual_info(z, x, 300) - 0.9028117386952784) < 1e-12);
}

static void left_out_and_edge_cases(void **state)
{
    (void)state;
    /* negative labels leave items out: the same as the first case above */
    const int32_t a[] = {0, -1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 5},
                  b[] = {0, 3, 0, 1, 1, 1, 2, 2, 2, 0, 0, -1};
    assert_true(fabs(adjusted_mutual_info(a, b, COUNT(a)) - 0.1715242354007287) < 1e-12);
    const int32_t one[] = {4, 4, 4}, other[] = {0, 0, 0};
    assert_true(adjusted_mutual_info(one, other, 3) == 1.0);
    const int32_t none[] = {-1, -1};
    assert_true(isnan(adjusted_mutual_info(none, one, 2)));
    const int32_t huge[] = {ASSOCIATION_MAX_LABELS, 0};
    assert_true(isnan(adjusted_mutual_info(huge, other, 2)));
}

/* Six users: segment = gender exactly; ages and occupations cut across. */
static void segments_and_demographics(void **state)
{
    (void)state;
    Panel *p = ml100k_panel_of("1|20|M|writer|10027\n2|40|F|writer|10027\n3|20|M|artist|10027\n"
                               "4|40|F|artist|10027\n5|20|M|doctor|10027\n6|40|F|doctor|10027\n",
                               ITEM(1, "One (1990)"), "1\t1\t5\t1\n");
    int32_t labels[6];
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].gender == 'M';
    double ami[DEMOGRAPHIC_COUNT];
    segments_follow_demographics(p, labels, ami);
    assert_true(fabs(ami[DEMOGRAPHIC_GENDER] - 1) < 1e-12);
    assert_true(fabs(ami[DEMOGRAPHIC_AGE] - 1) < 1e-12); /* 20 are men, 40 women */
    /* one of each occupation in each segment: worse than chance (scikit-learn) */
    assert_true(fabs(ami[DEMOGRAPHIC_OCCUPATION] - -0.4481886872563356) < 1e-12);
    assert_true(fabs(ami[DEMOGRAPHIC_STATE]) < 1e-12); /* everyone in one state: it tells nothing */
    assert_string_equal(demographic_name(DEMOGRAPHIC_AGE), "age band");
    panel_free(p);
}

/* Ten users, user u rating u films: segments that are the quintiles of
 * how much users rate follow activity wholly; segments of odd and even
 * users much less; under 5 users there are no quintiles. */
static void segments_and_activity(void **state)
{
    (void)state;
    char users[512] = "", items[2048] = "", ratings[2048] = "";
    for (int u = 1; u <= 10; u++) {
        char line[96];
        snprintf(line, sizeof line, "%d|30|M|writer|10027\n", u);
        strcat(users, line);
        snprintf(line, sizeof line,
                 "%d|Film %d (1990)|01-Jan-1990||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n", u, u);
        strcat(items, line);
        for (int f = 1; f <= u; f++) {
            snprintf(line, sizeof line, "%d\t%d\t4\t1\n", u, f);
            strcat(ratings, line);
        }
    }
    Panel *p = ml100k_panel_of(users, items, ratings);
    assert_int_equal(p->n_users, 10);
    int32_t labels[10];
    for (size_t u = 0; u < 10; u++) {
        uint32_t n = p->user_start[u + 1] - p->user_start[u];
        labels[u] = (int32_t)(n - 1) / 2; /* 1-2, 3-4, ... 9-10: the quintiles */
    }
    assert_true(fabs(segments_follow_activity(p, labels) - 1) < 1e-12);
    for (size_t u = 0; u < 10; u++)
        labels[u] = (int32_t)(p->user_start[u + 1] - p->user_start[u]) % 2;
    assert_true(segments_follow_activity(p, labels) < 0.1);
    panel_free(p);
    p = ml100k_panel_of("1|20|M|writer|10027\n2|40|F|writer|10027\n", ITEM(1, "One (1990)"),
                        "1\t1\t5\t1\n2\t1\t5\t1\n");
    assert_true(isnan(segments_follow_activity(p, labels)));
    panel_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(against_scikit_learn),
        cmocka_unit_test(left_out_and_edge_cases),
        cmocka_unit_test(segments_and_demographics),
        cmocka_unit_test(segments_and_activity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
