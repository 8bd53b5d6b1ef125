/* test_profile.c: unit tests of profiles: counts, age statistics, category
 * order (ties by first appearance), top films per score (ties by film id),
 * and profiles of one segment. */
#include "test_util.h"

#include "filmseg/profile.h"
#include "filmseg/states.h"

#include <math.h>
#include <string.h>

static const char *USERS = "1|20|M|writer|10027\n"  /* NY */
                           "2|31|F|student|60614\n" /* IL */
                           "3|40|M|student|10027\n" /* NY */
                           "4|17|F|writer|60614\n"  /* IL */
                           "5|60|M|artist|02139\n"; /* MA */
static const char *ITEMS = ITEM(10, "Ten (1990)") ITEM(5, "Five (1990)") ITEM(7, "Seven (1990)");

static Panel *panel(void)
{
    return ml100k_panel_of(USERS, ITEMS,
                           "1\t10\t5\t1\n2\t10\t5\t1\n1\t5\t5\t1\n2\t5\t5\t1\n3\t7\t5\t1\n"
                           "4\t7\t4\t1\n5\t5\t1\t1\n");
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

static int genre_named(const Panel *p, const char *name)
{
    for (size_t g = 0; g < p->n_genres; g++)
        if (strcmp(p->genres[g], name) == 0)
            return (int)g;
    fail_msg("no genre %s", name);
    return -1;
}

/* Film 1 is Action and Comedy, film 2 Drama, film 3 of unknown genre; user 1
 * rates them 5, 3, -, user 2 4, 5, 2, user 3 1, -, -. */
static void genre_counts(void **state)
{
    (void)state;
    const char *items = "1|A (1990)|01-Jan-1990||u|0|1|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                        "2|B (1990)|01-Jan-1990||u|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
                        "3|C (1990)|01-Jan-1990||u|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    const char *ratings = "1\t1\t5\t1\n1\t2\t3\t1\n2\t1\t4\t1\n2\t2\t5\t1\n2\t3\t2\t1\n"
                          "3\t1\t1\t1\n";
    Panel *p = ml100k_panel_of(USERS, items, ratings);
    int action = genre_named(p, "Action"), comedy = genre_named(p, "Comedy"),
        drama = genre_named(p, "Drama"), unknown = genre_named(p, "unknown");
    Profile all, two;
    assert_int_equal(profile_compute(p, NULL, 0, &all), 0);
    assert_int_equal(all.n_likes, 3); /* 5 and 4 of film 1, 5 of film 2 */
    assert_int_equal(all.genre_ratings[action], 3);
    assert_int_equal(all.genre_ratings[comedy], 3); /* a film counts in each of its genres */
    assert_int_equal(all.genre_ratings[drama], 2);
    assert_int_equal(all.genre_ratings[unknown], 1);
    assert_int_equal(all.genre_likes[action], 2);
    assert_int_equal(all.genre_likes[comedy], 2);
    assert_int_equal(all.genre_likes[drama], 1);
    assert_int_equal(all.genre_likes[unknown], 0);
    assert_int_equal(all.genre_likes[genre_named(p, "Western")], 0);
    /* user 2 alone: half of their 2 likes are Drama, against a third of everyone's */
    int32_t labels[5];
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id == 2;
    assert_int_equal(profile_compute(p, labels, 1, &two), 0);
    assert_int_equal(two.n_likes, 2);
    assert_int_equal(two.genre_ratings[unknown], 1);
    assert_int_equal(two.genre_likes[drama], 1);
    assert_true(fabs(profile_share_index(two.genre_likes[drama], two.n_likes,
                                         all.genre_likes[drama], all.n_likes) -
                     150) < 1e-9);
    /* nobody liked the genre: no index */
    assert_true(profile_share_index(0, 2, 0, 3) == 0);
    profile_free(&all);
    profile_free(&two);
    panel_free(p);
}

/* Likes counted once each by their film's release year: everyone liked films
 * of 1990 three times, of 1991 twice and of 1995 twice (1991 is the 4th of
 * 7); users 1 and 2 liked 1990 twice and 1995 twice (1990 holds half). */
static void liked_year_median(void **state)
{
    (void)state;
    Panel *p = three_film_panel_of("10|Ten|01-Jan-1990||u" NO_GENRES "\n"
                                   "5|Five|01-Jan-1995||u" NO_GENRES "\n"
                                   "7|Seven|01-Jan-1991||u" NO_GENRES "\n");
    int32_t labels[5];
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id <= 2 ? 0 : 1;
    Profile all, first;
    assert_int_equal(profile_compute(p, NULL, 0, &all), 0);
    assert_int_equal(profile_compute(p, labels, 0, &first), 0);
    assert_int_equal(all.liked_year_median, 1991);
    assert_int_equal(first.liked_year_median, 1990);
    profile_free(&all);
    profile_free(&first);
    panel_free(p);
    /* no year known (no date, no year in the title) */
    p = three_film_panel_of("10|Ten|||u" NO_GENRES "\n5|Five|||u" NO_GENRES "\n"
                            "7|Seven|||u" NO_GENRES "\n");
    assert_int_equal(profile_compute(p, NULL, 0, &all), 0);
    assert_int_equal(all.liked_year_median, 0);
    profile_free(&all);
    panel_free(p);
}

/* 40 users: 1..20 women of 20, artists, who like film 1 (Horror, 1998) and
 * give film 3 (Comedy, 1995) 3 stars; 21..40 men of 40 (writers, then
 * "other"), who like film 2 (Drama, 1980) and film 3. */
static void headlines(void **state)
{
    (void)state;
    char users[40 * 40], ratings[100 * 16];
    size_t u_len = 0, r_len = 0;
    for (int u = 1; u <= 40; u++) {
        bool young = u <= 20;
        u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|%d|%s|%s|10027\n", u,
                                  young ? 20 : 40, young ? "F" : "M",
                                  young     ? "artist"
                                  : u <= 30 ? "writer"
                                            : "other");
        r_len +=
            (size_t)snprintf(ratings + r_len, sizeof ratings - r_len,
                             "%d\t%d\t5\t1\n%d\t3\t%d\t1\n", u, young ? 1 : 2, u, young ? 3 : 4);
    }
    Panel *p = ml100k_panel_of(users,
                               "1|H (1998)|01-Jan-1998||u|0|0|0|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0\n"
                               "2|D (1980)|01-Jan-1980||u|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
                               "3|C (1995)|01-Jan-1995||u|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n",
                               ratings);
    int32_t labels[40];
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id <= 20;
    Profile all, men, women;
    assert_int_equal(profile_compute(p, NULL, 0, &all), 0);
    assert_int_equal(profile_compute(p, labels, 0, &men), 0);
    assert_int_equal(profile_compute(p, labels, 1, &women), 0);
    char text[256];
    /* Horror: all of their 20 likes, a third of everyone's 60 (index 300);
     * half their likes' films by 1998 against everyone's by 1995 */
    assert_true(fabs(profile_genre_index(&women, &all, genre_named(p, "Horror")) - 300) < 1e-9);
    /* none of their likes is Drama: fewer than PROFILE_FEW_RATINGS, no index */
    assert_true(isnan(profile_genre_index(&women, &all, genre_named(p, "Drama"))));
    profile_headline(p, &women, &all, text, sizeof text);
    assert_string_equal(text, "Horror; newer films; younger; more women; artist");
    /* Comedy and Drama both index 150 (ties by genre order); "other" says nothing */
    profile_headline(p, &men, &all, text, sizeof text);
    assert_string_equal(text, "Comedy, Drama; older films; older; more men; writer");
    profile_headline(p, &all, &all, text, sizeof text);
    assert_string_equal(text, "like everyone");
    /* the picks behind the words, for the lists beside them to show */
    HeadlinePicks picks;
    profile_headline_picks(p, &men, &all, &picks);
    assert_int_equal(picks.n_genres, 2);
    assert_int_equal(picks.genres[0], genre_named(p, "Comedy"));
    assert_true(headline_picks_genre(&picks, genre_named(p, "Drama")));
    assert_false(headline_picks_genre(&picks, genre_named(p, "Horror")));
    assert_int_equal(picks.n_occupations, 1);
    assert_string_equal(p->occupations[picks.occupations[0]], "writer");
    assert_true(headline_picks_occupation(&picks, picks.occupations[0]));
    profile_headline_picks(p, &all, &all, &picks);
    assert_int_equal(picks.n_genres + picks.n_occupations, 0);
    profile_free(&all);
    profile_free(&men);
    profile_free(&women);
    panel_free(p);
}

/* The band that holds the middle user: with 1, 2 and 2 users in bands 1, 3
 * and 5, the third user is in band 3; none: -1. */
static void median_age_band(void **state)
{
    (void)state;
    Profile p;
    memset(&p, 0, sizeof p);
    assert_int_equal(profile_median_age_band(&p), -1);
    p.age_bands[1] = 1;
    p.age_bands[3] = 2;
    p.age_bands[5] = 2;
    assert_int_equal(profile_median_age_band(&p), 3);
    p.age_bands[5] = 3; /* 6 users: the third and fourth are in band 3 and 5 */
    assert_int_equal(profile_median_age_band(&p), 3);
    p.age_bands[5] = 4;
    assert_int_equal(profile_median_age_band(&p), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_panel_profile), cmocka_unit_test(segment_profile_and_even_median),
        cmocka_unit_test(genre_counts),        cmocka_unit_test(liked_year_median),
        cmocka_unit_test(headlines),           cmocka_unit_test(median_age_band),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
