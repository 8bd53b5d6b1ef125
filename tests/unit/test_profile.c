/* test_profile.c: unit tests of profiles: counts, age statistics, category
 * order (ties by first appearance), top films per score (ties by film id),
 * and profiles of one segment. */
#include "test_util.h"

#include "filmseg/profile.h"
#include "filmseg/states.h"

static const char *USERS = "1|20|M|writer|10027\n"  /* NY */
                           "2|31|F|student|60614\n" /* IL */
                           "3|40|M|student|10027\n" /* NY */
                           "4|17|F|writer|60614\n"  /* IL */
                           "5|60|M|artist|02139\n"; /* MA */
static const char *ITEMS = ITEM(10, "Ten (1990)") ITEM(5, "Five (1990)") ITEM(7, "Seven (1990)");

static Panel *panel(void)
{
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    const char *ratings = "1\t10\t5\t1\n2\t10\t5\t1\n1\t5\t5\t1\n2\t5\t5\t1\n3\t7\t5\t1\n"
                          "4\t7\t4\t1\n5\t5\t1\t1\n";
    assert_int_equal(load_ml100k_strings(USERS, ITEMS, ratings, NULL, &c, &p), 0);
    captured_diag_free(&c);
    return p;
}

static void whole_panel_profile(void **state)
{
    (void)state;
    Panel *p = panel();
    Profile pr;
    assert_int_equal(profile_compute(p, NULL, 0, &pr), 0);
    assert_int_equal(pr.n_users, 5);
    assert_int_equal(pr.n_ratings, 7);
    assert_int_equal(pr.n_male, 3);
    assert_int_equal(pr.n_female, 2);
    assert_true(pr.age_mean == 168.0 / 5);
    assert_true(pr.age_median == 31);
    assert_int_equal(pr.age_min, 17);
    assert_int_equal(pr.age_max, 60);
    assert_int_equal(pr.age_bands[0], 1); /* under 18 */
    assert_int_equal(pr.age_bands[6], 1); /* 56+ */
    /* writer 2 and student 2 tie: writer appeared first */
    assert_int_equal(pr.n_occupations, 3);
    assert_string_equal(p->occupations[pr.occupations[0].index], "writer");
    assert_string_equal(p->occupations[pr.occupations[1].index], "student");
    assert_int_equal(pr.occupations[2].count, 1);
    /* NY 2 and IL 2 tie: NY appeared first */
    assert_string_equal(state_info(pr.states[0].index)->code, "NY");
    assert_string_equal(state_info(pr.states[1].index)->code, "IL");
    assert_int_equal(pr.n_states, 3);
    assert_int_equal(pr.ratings_by_score[5], 5);
    assert_int_equal(pr.ratings_by_score[4], 1);
    assert_int_equal(pr.ratings_by_score[1], 1);
    /* 5 stars: films 10 and 5 both twice, 7 once: ties by id, so 5 before 10 */
    assert_int_equal(pr.n_top[5], 3);
    assert_int_equal(p->films[pr.top[5][0].film].id, 5);
    assert_int_equal(p->films[pr.top[5][1].film].id, 10);
    assert_int_equal(pr.top[5][1].count, 2);
    assert_int_equal(p->films[pr.top[5][2].film].id, 7);
    assert_int_equal(pr.n_top[3], 0);
    profile_free(&pr);
    panel_free(p);
}

static void segment_profile_and_even_median(void **state)
{
    (void)state;
    Panel *p = panel();
    int32_t labels[5] = {0, 1, 0, 1, 1};
    Profile pr;
    assert_int_equal(profile_compute(p, labels, 1, &pr), 0);
    assert_int_equal(pr.n_users, 3);
    assert_int_equal(pr.n_ratings, 4);
    assert_true(pr.age_median == 31);
    profile_free(&pr);
    assert_int_equal(profile_compute(p, labels, 0, &pr), 0);
    assert_int_equal(pr.n_users, 2);
    assert_true(pr.age_median == 30); /* (20 + 40) / 2 */
    assert_int_equal(pr.n_female, 0);
    profile_free(&pr);
    assert_int_equal(profile_compute(p, labels, 7, &pr), 0); /* an empty segment */
    assert_int_equal(pr.n_users, 0);
    assert_int_equal(pr.n_top[5], 0);
    profile_free(&pr);
    panel_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_panel_profile),
        cmocka_unit_test(segment_profile_and_even_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
