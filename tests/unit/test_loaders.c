/* test_loaders.c: unit tests of the panel loaders (ml-100k, ml-1m, CSV):
 * the bad inputs the foundation issue lists, the CSR/CSC layout, the sample
 * rules, and the real ml-100k files when the shared folder is there. */
#include "test_util.h"

#include "filmseg/states.h"
#include "filmseg/text.h"
#include "filmseg/zipmap.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *USERS = "1|23|M|technician|85711\n"
                           "2|52|F|other|94043\n"
                           "3|22|M|writer|32067\n";
static const char *ITEMS =
    ITEM(1, "Toy Story (1995)") ITEM(2, "GoldenEye (1995)") ITEM(3, "Four Rooms (1995)");

static Panel *load_ok(const char *users, const char *items, const char *ratings, CapturedDiag *diag)
{
    Panel *p = NULL;
    assert_int_equal(load_ml100k_strings(users, items, ratings, NULL, diag, &p), 0);
    assert_non_null(p);
    return p;
}

static size_t skipped(CapturedDiag *c)
{
    return diag_total_skipped(&c->diag);
}

static void csr_and_csc_hold_every_rating(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p =
        load_ok(USERS, ITEMS, "2\t3\t4\t100\n1\t2\t5\t101\n2\t1\t3\t102\n1\t1\t1\t103\n", &c);
    assert_int_equal(p->n_users, 3);
    assert_int_equal(p->n_films, 3);
    assert_int_equal(p->n_ratings, 4);
    /* user 1 (index 0): films 1, 2 sorted by film index */
    assert_int_equal(p->user_start[1] - p->user_start[0], 2);
    assert_int_equal(p->user_film[0], 0);
    assert_int_equal(p->user_half_stars[0], 2);
    assert_int_equal(p->user_film[1], 1);
    assert_int_equal(p->user_half_stars[1], 10);
    assert_int_equal(p->user_time[1], 101);
    /* film 1 (index 0): users 1 and 2 */
    assert_int_equal(p->film_start[1] - p->film_start[0], 2);
    assert_int_equal(p->film_user[0], 0);
    assert_int_equal(p->film_user[1], 1);
    assert_int_equal(p->film_half_stars[1], 6);
    assert_int_equal(p->user_start[3] - p->user_start[2], 0); /* user 3 rated nothing */
    assert_int_equal(panel_film_index(p, 3), 2);
    assert_int_equal(panel_user_index(p, 2), 1);
    assert_int_equal(panel_user_index(p, 99), -1);
    assert_int_equal(skipped(&c), 0);
    panel_free(p);
    captured_diag_free(&c);
}

static void users_get_bands_occupations_and_states(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = load_ok(USERS, ITEMS, "1\t1\t4\t1\n", &c);
    assert_int_equal(p->users[0].age, 23);
    assert_string_equal(age_band_label(p->users[0].age_band), "18-24");
    assert_string_equal(age_band_label(p->users[1].age_band), "50-55");
    assert_string_equal(p->occupations[p->users[2].occupation], "writer");
    assert_string_equal(state_info(p->users[0].state)->code, "AZ"); /* 857xx */
    assert_string_equal(state_info(p->users[1].state)->code, "CA"); /* 940xx */
    assert_string_equal(state_info(p->users[2].state)->code, "FL"); /* 320xx */
    assert_true(p->has_demographics);
    panel_free(p);
    captured_diag_free(&c);
}

static void films_titles_dates_and_genres(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    const char *items =
        "1|Caf\xe9 Society (1995)|01-Jan-1995||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n"
        "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
        "3|No Date (1987)||||0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    Panel *p = load_ok(USERS, items, "1\t1\t4\t1\n", &c);
    assert_int_equal(p->n_films, 3);
    assert_string_equal(p->films[0].title, "Caf\xc3\xa9 Society (1995)");
    assert_int_equal(p->films[0].year, 1995);
    assert_int_equal(p->films[0].genres, (1u << 1) | (1u << 18));
    assert_string_equal(p->genres[18], "Western");
    assert_int_equal(p->films[1].id, 267);
    assert_int_equal(p->films[1].year, 0);    /* no date, no year in the title */
    assert_int_equal(p->films[2].year, 1987); /* from the title */
    panel_free(p);
    /* a title already in UTF-8 (an edited u.item) is kept, not encoded twice */
    const char *utf8_items = "1|Caf\xc3\xa9 \xe2\x98\x85 (1995)|01-Jan-1995||u|"
                             "0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    p = load_ok(USERS, utf8_items, "1\t1\t4\t1\n", &c);
    assert_string_equal(p->films[0].title, "Caf\xc3\xa9 \xe2\x98\x85 (1995)");
    panel_free(p);
    /* a tab in a title is a space (as any control character): the
     * report's tables are cut at tabs */
    const char *tab_items = "1|Tab\there (1995)|01-Jan-1995||u|"
                            "0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    p = load_ok(USERS, tab_items, "1\t1\t4\t1\n", &c);
    assert_string_equal(p->films[0].title, "Tab here (1995)");
    panel_free(p);
    /* so in an occupation, and the same occupation with a tab and with a
     * space is one (the report's table rows are cut at tabs) */
    p = load_ok("1|24|M|tech\tnician|85711\n2|30|F|tech nician|10027\n", tab_items, "1\t1\t4\t1\n",
                &c);
    assert_int_equal(p->n_occupations, 1);
    assert_string_equal(p->occupations[0], "tech nician");
    assert_int_equal(p->users[0].occupation, p->users[1].occupation);
    panel_free(p);
    captured_diag_free(&c);
}

static void malformed_lines_are_reported_skipped_and_counted(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    const char *ratings = "1\t1\t4\t1\n"    /* 1 fine */
                          "1\t2\t4\n"       /* 2 wrong number of fields */
                          "x\t2\t4\t1\n"    /* 3 non-numeric user */
                          "1\t2\t6\t1\n"    /* 4 rating outside 1..5 */
                          "1\t2\t0\t1\n"    /* 5 rating outside 1..5 */
                          "9\t2\t4\t1\n"    /* 6 unknown user */
                          "1\t99\t4\t1\n"   /* 7 unknown film */
                          "1\t1\t2\t5\n"    /* 8 duplicate of line 1 */
                          "1\t2\t4.5\t1\n"  /* 9 not whole */
                          "2\t3\n"          /* 10 truncated line */
                          "1\t2\t.0\t1\n"   /* 11 no stars */
                          "1\t2\t4.\t1\n"   /* 12 a point and nothing after */
                          "1\t3\t3.00\t1\n" /* 13 fine: a database's 3.00 */
                          "2\t1\t5.0\t1";   /* 14 fine */
    Panel *p = load_ok(USERS, ITEMS, ratings, &c);
    const char *text = captured_diag_text(&c);
    assert_int_equal(p->n_ratings, 3);
    assert_int_equal(p->user_half_stars[0], 8); /* the first of the duplicates is kept */
    assert_int_equal(skipped(&c), 11);
    assert_non_null(strstr(text, "t/u.data:11: rating '.0'"));
    assert_non_null(strstr(text, "t/u.data:12: rating '4.'"));
    assert_non_null(strstr(text, "t/u.data:2: 3 fields, expected 4"));
    assert_non_null(strstr(text, "t/u.data:3: user id 'x' is not a whole number"));
    assert_non_null(strstr(text, "t/u.data:4: rating '6' is not a whole number 1..5"));
    assert_non_null(strstr(text, "t/u.data:5: rating '0'"));
    assert_non_null(strstr(text, "t/u.data:6: user 9 is not in u.user"));
    assert_non_null(strstr(text, "t/u.data:7: item 99 is not in u.item"));
    assert_non_null(strstr(text, "t/u.data:8: user 1 already rated film 1 (line 1)"));
    assert_non_null(strstr(text, "t/u.data:9: rating '4.5'"));
    assert_non_null(strstr(text, "t/u.data:10: 2 fields"));
    panel_free(p);
    captured_diag_free(&c);
}

/* Rows come out by film whatever the order of the lines, and of a repeated
 * (user, film) pair the first line is kept, also when other films lie
 * between the two. */
static void rows_by_film_first_duplicate_kept(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p =
        load_ok(USERS, ITEMS, "1\t3\t2\t1\n2\t3\t1\t1\n1\t1\t4\t1\n1\t3\t5\t1\n1\t2\t3\t1\n", &c);
    assert_int_equal(p->user_start[1] - p->user_start[0], 3);
    const uint32_t films[3] = {0, 1, 2};
    const uint8_t half_stars[3] = {8, 6, 4}; /* 4, 3 and 2 stars */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p->user_film[i], films[i]);
        assert_int_equal(p->user_half_stars[i], half_stars[i]);
    }
    assert_int_equal(skipped(&c), 1);
    assert_non_null(
        strstr(captured_diag_text(&c), "t/u.data:4: user 1 already rated film 3 (line 1)"));
    panel_free(p);
    captured_diag_free(&c);
}

/* Repeated ratings are said in line order, though they are found user by
 * user (user 2's repeat on line 3 before user 1's on line 4). */
static void repeated_ratings_said_in_line_order(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = load_ok(USERS, ITEMS, "1\t1\t4\t1\n2\t1\t4\t1\n2\t1\t3\t1\n1\t1\t2\t1\n", &c);
    const char *text = captured_diag_text(&c);
    const char *second = strstr(text, "t/u.data:3: user 2 already rated film 1 (line 2)");
    const char *first = strstr(text, "t/u.data:4: user 1 already rated film 1 (line 1)");
    assert_non_null(second);
    assert_non_null(first);
    assert_true(second < first);
    panel_free(p);
    captured_diag_free(&c);
}

static void malformed_users_and_items(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    const char *users = "1|23|M|technician|85711\n"
                        "1|30|F|other|94043\n"  /* duplicate id */
                        "2|abc|F|other|94043\n" /* age */
                        "3|30|X|other|94043\n"  /* gender */
                        "4|30|F|other\n"        /* fields */
                        "5|30|F||94043\n";      /* occupation */
    const char *items =
        ITEM(1, "A (1990)") "2|B|31-Foo-1990||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                            "3|C|01-Jan-1990||u|0|0|2|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                            "x|D|01-Jan-1990||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                            "5||01-Jan-1990||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    Panel *p = load_ok(users, items, "1\t1\t4\t1\n", &c);
    const char *text = captured_diag_text(&c);
    assert_int_equal(p->n_users, 1);
    assert_int_equal(p->n_films, 1);
    assert_int_equal(skipped(&c), 9);
    assert_non_null(strstr(text, "t/u.user:2: user id 1 appears twice"));
    assert_non_null(strstr(text, "t/u.user:3: age 'abc'"));
    assert_non_null(strstr(text, "t/u.user:4: gender 'X'"));
    assert_non_null(strstr(text, "t/u.user:5: 4 fields, expected 5"));
    assert_non_null(strstr(text, "t/u.user:6: occupation is empty"));
    assert_non_null(strstr(text, "t/u.item:2: release date '31-Foo-1990'"));
    assert_non_null(strstr(text, "t/u.item:3: a genre flag is not 0 or 1"));
    assert_non_null(strstr(text, "t/u.item:4: film id 'x'"));
    assert_non_null(strstr(text, "t/u.item:5: the title is empty"));
    panel_free(p);
    captured_diag_free(&c);
}

/* The ratings of a user or film whose line was skipped are left out and
 * said once for the file, not as a malformed line each (a bad gender made
 * every rating of the user "user 3 is not in u.user"); a rating of an id
 * the file never had is still a malformed line; a duplicate id's ratings
 * are the first line's. A line of another separator is taken to be of the
 * user its number begins with (its ratings, each a malformed line, hid the
 * ratings file's own bad lines past the 20 said). */
static void ratings_of_skipped_lines_said_once(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    const char *users = "1|23|M|technician|85711\n"
                        "1|30|F|other|94043\n" /* duplicate: user 1's ratings are the first's */
                        "2|abc|F|other|94043\n"
                        "3|30|X|other|94043\n"
                        "4|30|F|oth\001er|94043\n"    /* binary data */
                        "5;30;F;lawyer;90703\n"       /* another separator: user 5 */
                        "7.5|30|F|other|94043\n"      /* no id */
                        "8 Smith|30|F|other|94043\n"; /* nor here: a space is no separator */
    const char *items =
        ITEM(1, "A (1990)") "2|B|31-Foo-1990||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    const char *ratings = "1\t1\t4\t1\n"  /* kept */
                          "2\t1\t3\t1\n"  /* user 2, skipped at line 3 */
                          "3\t1\t5\t1\n"  /* user 3, line 4 */
                          "1\t2\t4\t1\n"  /* film 2, skipped at line 2 */
                          "9\t1\t4\t1\n"  /* user 9 was never there */
                          "4\t1\t2\t1\n"  /* user 4, line 5 */
                          "5\t1\t2\t1\n"  /* user 5, line 6 */
                          "7\t1\t2\t1\n"  /* user 7 was never there */
                          "8\t1\t2\t1\n"; /* nor user 8 */
    Panel *p = load_ok(users, items, ratings, &c);
    const char *text = captured_diag_text(&c);
    assert_int_equal(p->n_ratings, 1);
    assert_int_equal(skipped(&c), 11); /* 7 users' lines, a film's, users 9, 7, 8's ratings */
    assert_null(strstr(text, "t/u.data:7:"));
    assert_non_null(strstr(text, "t/u.data:8: user 7 is not in u.user"));
    assert_non_null(strstr(text, "t/u.data:9: user 8 is not in u.user"));
    assert_null(strstr(text, "t/u.data:6:"));
    assert_non_null(strstr(text, "t/u.data:5: user 9 is not in u.user"));
    for (int line = 2; line <= 4; line++) {
        char at[32];
        snprintf(at, sizeof at, "t/u.data:%d:", line);
        assert_null(strstr(text, at));
    }
    assert_non_null(strstr(text, "t/u.data: 4 ratings left out: their users' lines in u.user were "
                                 "skipped (the first: user 2, line 3)"));
    assert_non_null(strstr(text, "t/u.data: 1 rating left out: its item's line in u.item was "
                                 "skipped (the first: item 2, line 2)"));
    panel_free(p);
    captured_diag_free(&c);
    /* strict: the first bad line stops the load, as before */
    captured_diag_init(&c, true);
    Panel *none = NULL;
    assert_int_equal(load_ml100k_strings(users, items, ratings, NULL, &c, &none), 2);
    assert_null(none);
    captured_diag_free(&c);
}

static void crlf_files_load_like_lf_files(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p =
        load_ok("1|23|M|technician|85711\r\n2|52|F|other|94043\r\n",
                "1|Toy Story (1995)|02-Jan-1995||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\r\n",
                "1\t1\t4\t1\r\n2\t1\t5\t2\r\n", &c);
    assert_int_equal(skipped(&c), 0);
    assert_int_equal(p->n_ratings, 2);
    assert_string_equal(p->users[1].zip, "94043");
    assert_string_equal(p->films[0].title, "Toy Story (1995)");
    assert_int_equal(p->films[0].genres, 1u << 18);
    panel_free(p);
    captured_diag_free(&c);
}

static void binary_garbage_never_crashes(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    char garbage[512];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char)((i * 7919u + 13u) % 251u + 1u);
    garbage[sizeof garbage - 1] = '\0';
    Panel *p = NULL;
    /* garbage as ratings: every garbage line is skipped, and no rating is fatal */
    assert_int_equal(load_ml100k_strings(USERS, ITEMS, garbage, NULL, &c, &p), 2);
    assert_null(p);
    assert_true(skipped(&c) > 0);
    assert_non_null(strstr(captured_diag_text(&c), "binary data"));
    assert_non_null(strstr(captured_diag_text(&c), "no valid ratings"));
    /* garbage as users: no valid users is fatal */
    p = NULL;
    assert_int_equal(load_ml100k_strings(garbage, ITEMS, "1\t1\t1\t1\n", NULL, &c, &p), 2);
    assert_null(p);
    captured_diag_free(&c);
}

static void strict_mode_stops_at_the_first_malformed_line(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, true);
    Panel *p = NULL;
    assert_int_equal(load_ml100k_strings(USERS, ITEMS, "1\t1\t4\t1\n1\t1\t9\t1\n", NULL, &c, &p),
                     2);
    assert_null(p);
    assert_non_null(strstr(captured_diag_text(&c), "t/u.data:2: rating '9'"));
    assert_non_null(strstr(captured_diag_text(&c), "--strict"));
    captured_diag_free(&c);
    /* a duplicate is found after parsing; strict stops there too */
    captured_diag_init(&c, true);
    assert_int_equal(load_ml100k_strings(USERS, ITEMS, "1\t1\t4\t1\n1\t1\t4\t1\n", NULL, &c, &p),
                     2);
    assert_null(p);
    captured_diag_free(&c);
}

static void empty_required_files_are_fatal(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(load_ml100k_strings(USERS, ITEMS, "", NULL, &c, &p), 2);
    assert_null(p);
    assert_non_null(strstr(captured_diag_text(&c), "t/u.data: required file is empty"));
    captured_diag_free(&c);
}

/* A file none of whose lines could be read (another format, another
 * separator) is an error, not an empty panel. */
static void files_without_one_valid_line_are_fatal(void **state)
{
    (void)state;
    const struct {
        const char *users, *items, *ratings, *message;
    } cases[] = {
        {USERS, ITEMS, "1 1 4 1\n2 2 3 1\n", "t/u.data: no valid ratings"},
        {USERS, "1|A|||u|0|1\n2|B|||u|1|0\n", "1\t1\t4\t1\n", "t/u.item: no valid films"},
        {"1::F::1::10::48104\n", ITEMS, "1\t1\t4\t1\n", "t/u.user: no valid users"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CapturedDiag c;
        captured_diag_init(&c, false);
        Panel *p = NULL;
        assert_int_equal(
            load_ml100k_strings(cases[i].users, cases[i].items, cases[i].ratings, NULL, &c, &p), 2);
        assert_null(p);
        assert_non_null(strstr(captured_diag_text(&c), cases[i].message));
        captured_diag_free(&c);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Writes the users and ratings files to score (in dir) and loads them
 * against films 10 and 20, with no sample rules (as score does). */
static int load_scoring(const char *dir, const char *users, const char *ratings, CapturedDiag *c,
                        Panel **p)
{
    char users_path[256], ratings_path[256];
    snprintf(users_path, sizeof users_path, "%s/users", dir);
    snprintf(ratings_path, sizeof ratings_path, "%s/ratings", dir);
    write_file(users_path, users);
    write_file(ratings_path, ratings);
    PanelOptions options;
    panel_options_default(&options);
    options.rules.keep_unknown_state = true; /* as score: no sample rules */
    options.rules.n_exclude = 0;
    const int32_t films[2] = {10, 20};
    int rc = panel_load_for_scoring(users_path, ratings_path, films, 2, &options, &c->diag, p);
    unlink(users_path);
    unlink(ratings_path);
    return rc;
}

/* Users to score, in either format, against a model's films: the format
 * from the users file's first line; ratings of other films left out and
 * counted; 1M's codes as the 100K labels and bands. */
static void scoring_files_in_either_format(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;

    assert_int_equal(load_scoring(dir, "7::F::1::10::02139\n8::M::56::16::10027\n",
                                  "7::10::5::1\n7::30::4::1\n8::20::3::1\n", &c, &p),
                     0);
    assert_int_equal(p->format, PANEL_ML1M);
    assert_true(p->ages_banded);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->n_ratings, 2); /* film 30 is not the model's */
    assert_int_equal(p->sample.ratings_unknown_film, 1);
    assert_string_equal(age_band_label(p->users[0].age_band), "Under 18");
    assert_string_equal(p->occupations[p->users[0].occupation], "student");
    panel_free(p);

    assert_int_equal(
        load_scoring(dir, "7|23|F|student|02139\n", "7\t10\t5\t1\n7\t20\t4\t1\n", &c, &p), 0);
    assert_int_equal(p->format, PANEL_ML100K);
    assert_false(p->ages_banded);
    assert_int_equal(p->n_ratings, 2);
    panel_free(p);
    /* new users' ratings without times (a survey's): of no known time, 0 */
    assert_int_equal(load_scoring(dir, "7|23|F|student|02139\n", "7\t10\t5\n7\t20\t4\t9\n", &c, &p),
                     0);
    assert_int_equal(p->n_ratings, 2);
    assert_int_equal(p->user_time[p->user_start[0]], 0); /* film 10's: no time */
    assert_int_equal(p->user_time[p->user_start[0] + 1], 9);
    panel_free(p);

    /* batches all the same: ratings of users not listed only (another
     * feed's), blank files (an export of no rows), no users with ratings */
    assert_int_equal(load_scoring(dir, "7|23|F|student|02139\n", "9\t10\t5\t1\n", &c, &p), 0);
    assert_int_equal(p->n_users, 1);
    assert_int_equal(p->n_ratings, 0);
    panel_free(p);
    assert_int_equal(load_scoring(dir, "7|23|F|student|02139\n", "\r\n \n", &c, &p), 0);
    assert_int_equal(p->n_users, 1);
    assert_true(p->sample.ratings_file_empty);
    panel_free(p);
    assert_int_equal(load_scoring(dir, "\n", "9\t10\t5\t1\n", &c, &p), 0);
    assert_int_equal(p->n_users, 0);
    assert_true(p->sample.users_file_empty);
    panel_free(p);
    /* a users file that tells no layout takes the ratings' (1M's here: it
     * was read as 100K and refused as another format than the ratings) */
    assert_int_equal(load_scoring(dir, "", "9::10::5::1\n", &c, &p), 0);
    assert_int_equal(p->format, PANEL_ML1M);
    assert_int_equal(p->n_users, 0);
    panel_free(p);
    /* but a ratings file of malformed lines only is no batch */
    assert_int_equal(load_scoring(dir, "7|23|F|student|02139\n", "x\n", &c, &p), 2);
    assert_null(p);

    /* a 1M users file with 100K ratings: the layouts named at once (not a
     * malformed line for each rating), nothing read */
    assert_int_equal(load_scoring(dir, "7::F::1::10::02139\n", "\n7\t10\t5\t1\n", &c, &p), 2);
    assert_null(p);
    assert_non_null(strstr(captured_diag_text(&c), "ratings: its lines look like MovieLens 100K's "
                                                   "u.data"));
    assert_non_null(strstr(captured_diag_text(&c), "is MovieLens 1M; give users and ratings in one "
                                                   "format"));
    assert_null(strstr(captured_diag_text(&c), "fields, expected"));
    /* and a 100K users file with 1M ratings */
    assert_int_equal(load_scoring(dir, "7|23|F|student|02139\n", "7::10::5::1\n", &c, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "look like MovieLens 1M's ratings.dat"));
    /* production scores everyone: a demographic field missing or malformed
     * is unknown, counted, and the user kept; in either format */
    assert_int_equal(load_scoring(dir,
                                  "7|0|M|student|02139\n8|30|X|writer|\n9|30|F||abcde\n"
                                  "10|40|M|writer|10027\n",
                                  "7\t10\t5\t1\n", &c, &p),
                     0);
    assert_int_equal(p->n_users, 4);
    assert_int_equal(p->sample.users_partial, 3);
    assert_int_equal(p->sample.users_partial_line, 1); /* the first: line 1's age */
    assert_string_equal(p->sample.users_partial_field, "age");
    assert_int_equal(p->users[0].age, -1);
    assert_int_equal(p->users[1].gender, '?');
    assert_string_equal(p->users[1].zip, "");
    assert_string_equal(p->occupations[p->users[2].occupation], "");
    assert_int_equal(p->users[3].age, 40);
    panel_free(p);
    /* a line with fewer fields than five: those it lacks unknown; with more:
     * all unknown; without a user id: skipped; in either format */
    assert_int_equal(
        load_scoring(dir, "7\n8|30|F|writer\n9|30|M|writer|10027|x\nnobody|30\n", "", &c, &p), 0);
    assert_int_equal(p->n_users, 3);
    assert_int_equal(p->sample.users_partial, 3);
    assert_int_equal(p->users[0].age, -1);
    assert_int_equal(p->users[1].age, 30);
    assert_int_equal(p->users[1].gender, 'F');
    assert_string_equal(p->occupations[p->users[1].occupation], "writer");
    assert_string_equal(p->users[1].zip, "");
    assert_int_equal(p->users[2].age, -1);
    assert_int_equal(p->users[2].gender, '?');
    assert_non_null(strstr(captured_diag_text(&c), "users:4: 2 fields, expected 5"));
    panel_free(p);
    assert_int_equal(load_scoring(dir, "7\n8::M::25::4::10027\n", "", &c, &p), 0);
    assert_int_equal(p->format, PANEL_ML1M); /* a first line of an id alone: the next decides */
    assert_int_equal(p->n_users, 2);
    panel_free(p);
    assert_int_equal(load_scoring(dir, "7::F\n8::M::25::4::10027::x\n", "", &c, &p), 0);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->users[0].gender, 'F');
    assert_int_equal(p->users[0].age, -1);
    assert_int_equal(p->users[1].gender, '?');
    panel_free(p);
    assert_int_equal(load_scoring(dir, "7::F::2::10::02139\n8::M::25::99::10027\n", "", &c, &p), 0);
    assert_int_equal(p->n_users, 2); /* and no ratings yet: new users */
    assert_int_equal(p->users[0].age, -1);
    assert_string_equal(p->occupations[p->users[1].occupation], "");
    assert_int_equal(p->sample.users_partial, 2);
    assert_int_equal(p->sample.users_partial_line, 1);
    assert_string_equal(p->sample.users_partial_field, "age");
    panel_free(p);
    /* ratings of users the users file lacks: said once, naming that file and
     * how many users are not scored (20 lines of them hid the others) */
    assert_int_equal(load_scoring(dir, "7|23|F|student|02139\n",
                                  "7\t10\t5\t1\n8\t10\t5\t1\n9\t10\t5\t1\n8\t20\t4\t1\n", &c, &p),
                     0);
    assert_non_null(strstr(captured_diag_text(&c), "ratings: 3 ratings of 2 users not in "));
    assert_non_null(strstr(captured_diag_text(&c), "users left out: those users are not scored "
                                                   "(the first: user 8, line 2)"));
    assert_null(strstr(captured_diag_text(&c), "is not in"));
    assert_int_equal(p->n_users, 1);
    panel_free(p);
    /* a CSV release's ratings.csv alone (a taste-only model): its users are
     * those who rated, a rating of an unknown film counted and its user kept */
    char csv_path[256];
    snprintf(csv_path, sizeof csv_path, "%s/ratings.csv", dir);
    write_file(csv_path, "userId,movieId,rating,timestamp\n5,20,4.5,1\n3,10,2,1\n4,99,5,1\n");
    PanelOptions options;
    panel_options_default(&options);
    const int32_t films[2] = {10, 20};
    assert_int_equal(panel_load_for_scoring(NULL, csv_path, films, 2, &options, &c.diag, &p), 0);
    unlink(csv_path);
    assert_false(p->has_demographics);
    assert_int_equal(p->n_users, 3);
    assert_int_equal(p->users[0].id, 3);
    assert_int_equal(p->n_ratings, 2);
    assert_int_equal(p->sample.ratings_unknown_film, 1);
    assert_int_equal(p->user_start[3] - p->user_start[2], 1); /* user 5's half star */
    panel_free(p);
    /* ratings only of films the model does not know: read, left out, no error */
    assert_int_equal(load_scoring(dir, "7|23|F|student|02139\n", "7\t30\t5\t1\n", &c, &p), 0);
    assert_int_equal(p->n_ratings, 0);
    assert_int_equal(p->sample.ratings_unknown_film, 1);
    panel_free(p);
    captured_diag_free(&c);
    rmdir(dir);
}

static void folders_missing_unreadable_or_unknown(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-test-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    PanelOptions options;
    panel_options_default(&options);
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(panel_load_dir("/nonexistent/panel", &options, &c.diag, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "/nonexistent/panel: No such file"));
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "no panel found"));
    snprintf(path, sizeof path, "%s/u.user", dir);
    write_file(path, USERS);
    snprintf(path, sizeof path, "%s/u.item", dir);
    write_file(path, ITEMS);
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "u.data: cannot read: No such file"));
    snprintf(path, sizeof path, "%s/u.data", dir);
    write_file(path, "1\t1\t5\t1\n3\t2\t4\t1\n");
    options.rules.keep_unknown_state = true;
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 0);
    assert_int_equal(p->n_ratings, 2);
    assert_string_equal(p->source, dir);
    panel_free(p);
    if (geteuid() != 0) { /* root reads everything */
        chmod(path, 0);
        assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 2);
    }
    unlink(path);
    snprintf(path, sizeof path, "%s/u.user", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/u.item", dir);
    unlink(path);
    rmdir(dir);
    captured_diag_free(&c);
}

/* The ZIP list loads beside the panel's files (on a thread of its own), yet
 * the messages come out as in a load in turn: the list's first, then the
 * files' in order, then the summary in the same order; a list that fails in
 * strict mode stops the load with its own message alone. */
static void zips_messages_come_first(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-test-XXXXXX", path[256], zips[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/u.user", dir);
    write_file(path, "1|23|M|technician|85711\nbad user line\n2|52|F|other|94043\n");
    snprintf(path, sizeof path, "%s/u.item", dir);
    write_file(path, ITEMS);
    snprintf(path, sizeof path, "%s/u.data", dir);
    write_file(path, "1\t1\t5\t1\n2\t2\tx\t1\n2\t3\t4\t1\n");
    snprintf(zips, sizeof zips, "%s/zips.csv", dir);
    write_file(zips, "zip,state_id\n85711,AZ\nnot-a-zip,CA\n94043,CA\n");
    PanelOptions options;
    panel_options_default(&options);
    options.zips_path = zips;
    options.rules.n_exclude = 0;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 0);
    diag_print_summary(&c.diag);
    const char *text = captured_diag_text(&c);
    const char *zip_line = strstr(text, "zips.csv:3:"), *user_line = strstr(text, "u.user:2:");
    const char *data_line = strstr(text, "u.data:2:");
    const char *zip_sum = strstr(text, "zips.csv: 1 malformed line skipped");
    const char *data_sum = strstr(text, "u.data: 1 malformed line skipped");
    assert_true(zip_line && user_line && data_line && zip_sum && data_sum);
    assert_true(zip_line < user_line && user_line < data_line && data_line < zip_sum &&
                zip_sum < data_sum);
    assert_int_equal(diag_total_skipped(&c.diag), 3);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->users[1].state, state_find("CA", 2));
    panel_free(p);
    captured_diag_free(&c);

    options.strict = true; /* the list's bad line is fatal: nothing of the files' */
    captured_diag_init(&c, true);
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 2);
    assert_null(p);
    text = captured_diag_text(&c);
    assert_non_null(strstr(text, "zips.csv:3:"));
    assert_null(strstr(text, "u.user"));
    assert_true(c.diag.failed);
    captured_diag_free(&c);

    write_file(zips, "zip,state_id\n85711,AZ\n94043,CA\n"); /* now the files' is */
    captured_diag_init(&c, true);
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 2);
    assert_null(p);
    assert_non_null(strstr(captured_diag_text(&c), "u.user:2:"));
    assert_true(c.diag.failed);
    captured_diag_free(&c);
    const char *names[] = {"u.user", "u.item", "u.data", "zips.csv"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void sample_rules_drop_users_and_their_ratings(void **state)
{
    (void)state;
    const char *users = "1|23|M|technician|85711\n" /* AZ */
                        "2|53|F|other|99501\n"      /* AK */
                        "3|23|M|writer|96813\n"     /* HI */
                        "4|23|M|writer|T8H1N\n"     /* not US */
                        "5|40|F|writer|10027\n";    /* NY */
    const char *ratings =
        "1\t1\t4\t1\n2\t1\t4\t1\n3\t1\t4\t1\n4\t1\t4\t1\n4\t2\t4\t1\n5\t2\t1\t1\n";
    PanelOptions options;
    panel_options_default(&options); /* the study's rules */
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(load_ml100k_strings(users, ITEMS, ratings, &options.rules, &c, &p), 0);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->users[1].id, 5);
    assert_int_equal(p->n_ratings, 2);
    assert_int_equal(p->sample.users_dropped, 3);
    assert_int_equal(p->sample.ratings_dropped, 4);
    assert_int_equal(p->sample.dropped_by_state[STATE_UNKNOWN], 1);
    assert_int_equal(p->sample.dropped_by_state[state_find("AK", 2)], 1);
    assert_int_equal(p->sample.dropped_by_state[state_find("HI", 2)], 1);
    assert_int_equal(p->film_start[1] - p->film_start[0], 1); /* only user 1's rating of film 1 */
    panel_free(p);

    char bad[32];
    SampleRules rules = {0};
    assert_true(sample_rules_parse_states(&rules, "New York, az", bad, sizeof bad));
    assert_int_equal(rules.n_exclude, 2);
    rules.keep_unknown_state = true;
    assert_int_equal(load_ml100k_strings(users, ITEMS, ratings, &rules, &c, &p), 0);
    assert_int_equal(p->n_users, 3); /* AK, HI and the unknown one stay */
    panel_free(p);
    assert_false(sample_rules_parse_states(&rules, "AK,Atlantis", bad, sizeof bad));
    assert_string_equal(bad, "Atlantis");
    /* rules that drop everyone: an error that says so, not an empty report */
    assert_true(sample_rules_parse_states(&rules, "AZ,NY,AK,HI", bad, sizeof bad));
    rules.keep_unknown_state = false;
    assert_int_equal(load_ml100k_strings(users, ITEMS, ratings, &rules, &c, &p), 2);
    assert_null(p);
    assert_non_null(strstr(captured_diag_text(&c),
                           "no users left: the sample rules dropped all 5 (1 of them of unknown"));
    captured_diag_free(&c);
}

static int load_ml1m(const char *users, const char *movies, const char *ratings, CapturedDiag *c,
                     Panel **p)
{
    PanelFile files[3] = {
        {"users.dat", "m/users.dat", users, strlen(users)},
        {"movies.dat", "m/movies.dat", movies, strlen(movies)},
        {"ratings.dat", "m/ratings.dat", ratings, strlen(ratings)},
    };
    PanelOptions options;
    panel_options_default(&options);
    options.rules.keep_unknown_state = true;
    options.rules.n_exclude = 0;
    return panel_load_files(PANEL_ML1M, files, 3, NULL, &options, &c->diag, p);
}

static void ml1m_codes_become_100k_labels(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    const char *users = "1::F::1::10::48104\n2::M::56::16::70112\n3::M::25::15::55117-1234\n"
                        "4::M::26::15::55117\n5::M::25::21::55117\n";
    const char *movies = "1::Toy Story (1995)::Animation|Children's|Comedy\n"
                         "2::Caf\xe9 (2000)::Drama\n3::Bad line\n";
    const char *ratings = "1::1::5::978300760\n2::2::3::978302109\n3::1::4::1\n1::3::4::1\n";
    assert_int_equal(load_ml1m(users, movies, ratings, &c, &p), 0);
    assert_true(p->ages_banded);
    assert_int_equal(p->n_users, 3);
    assert_string_equal(age_band_label(p->users[0].age_band), "Under 18");
    assert_string_equal(age_band_label(p->users[1].age_band), "56+");
    assert_string_equal(p->occupations[p->users[0].occupation], "student");
    assert_string_equal(p->occupations[p->users[2].occupation], "scientist");
    assert_string_equal(state_info(p->users[2].state)->code, "MN"); /* ZIP+4 */
    assert_string_equal(p->films[0].title, "Toy Story (1995)");
    assert_int_equal(p->films[0].year, 1995);
    assert_string_equal(p->films[1].title, "Caf\xc3\xa9 (2000)");
    assert_int_equal(p->n_genres, 4);
    assert_int_equal(p->films[0].genres, 7);
    assert_int_equal(p->n_ratings, 3);
    const char *text = captured_diag_text(&c);
    assert_non_null(strstr(text, "m/users.dat:4: age code '26'"));
    assert_non_null(strstr(text, "m/users.dat:5: occupation code '21'"));
    assert_non_null(strstr(text, "m/movies.dat:3: 2 fields, expected 3"));
    /* movie 3's line was skipped: its rating is left out, said once */
    assert_null(strstr(text, "m/ratings.dat:4:"));
    assert_non_null(strstr(text, "m/ratings.dat: 1 rating left out: its movie's line in movies.dat "
                                 "was skipped (the first: movie 3, line 3)"));
    panel_free(p);
    captured_diag_free(&c);
}

static int load_csv(const char *ratings, const char *movies, CapturedDiag *c, Panel **p)
{
    PanelFile files[2] = {
        {"ratings.csv", "c/ratings.csv", ratings, strlen(ratings)},
        {"movies.csv", "c/movies.csv", movies, strlen(movies)},
    };
    PanelOptions options;
    panel_options_default(&options); /* the rules must not drop taste-only users */
    return panel_load_files(PANEL_MLCSV, files, 2, NULL, &options, &c->diag, p);
}

static void csv_release_is_taste_only_with_quoted_titles(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    const char *movies = "movieId,title,genres\n"
                         "1,Toy Story (1995),Adventure|Animation\n"
                         "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
                         "12,\"Two\nLines (2001)\",Drama\n"
                         "13,No Genres (2002),(no genres listed)\n"
                         "x,Bad,Drama\n"
                         "14,,Drama\n";
    const char *ratings = "userId,movieId,rating,timestamp\r\n"
                          "7,1,4.0,964982703\r\n"
                          "7,11,3.5,964982703\r\n"
                          "9,11,0.5,1\r\n"
                          "9,1,5.5,1\r\n"
                          "9,99,3,1\r\n"
                          "9,14,3,1\r\n"
                          "9,12,4,1\r\n";
    assert_int_equal(load_csv(ratings, movies, &c, &p), 0);
    assert_false(p->has_demographics);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->n_films, 3); /* the title with an unclosed quote is not one */
    assert_string_equal(p->films[1].title, "American President, The (1995)");
    assert_int_equal(p->films[2].id, 13);
    assert_int_equal(p->films[2].genres, 0);
    assert_int_equal(p->n_ratings, 3);
    assert_int_equal(p->user_half_stars[1], 7);              /* 3.5 as rated */
    assert_int_equal(panel_stars(p->user_half_stars[1]), 4); /* as 4 in the counts by star */
    assert_int_equal(p->user_half_stars[2], 1);
    assert_int_equal(panel_stars(p->user_half_stars[2]), 1); /* 0.5 as 1 */
    assert_int_equal(p->sample.ratings_half_star, 2);
    assert_int_equal(p->sample.users_dropped, 0);
    const char *text = captured_diag_text(&c);
    assert_non_null(strstr(text, "c/movies.csv:4: a quote opened on this line is not closed"));
    assert_non_null(strstr(text, "c/movies.csv:7: movieId 'x'"));
    assert_non_null(strstr(text, "c/ratings.csv:5: rating '5.5'"));
    assert_non_null(strstr(text, "c/ratings.csv:6: movieId 99 is not in movies.csv"));
    assert_non_null(strstr(text, "c/movies.csv:8: the title is empty"));
    /* movie 12's line, dropped for its open quote, is one of those lines */
    assert_non_null(strstr(text, "c/ratings.csv: 2 ratings left out: their movies' lines in "
                                 "movies.csv were skipped (the first: movie 14, line 8)"));
    assert_null(strstr(text, "movieId 12"));
    panel_free(p);
    /* users in id order, not in the order of their first rating */
    assert_int_equal(
        load_csv("userId,movieId,rating,timestamp\n9,11,2,1\n7,1,5,1\n3,11,4,1\n", movies, &c, &p),
        0);
    assert_int_equal(p->n_users, 3);
    assert_int_equal(p->users[0].id, 3);
    assert_int_equal(p->users[1].id, 7);
    assert_int_equal(p->users[2].id, 9);
    assert_int_equal(p->user_half_stars[p->user_start[0]], 8);
    assert_int_equal(p->user_half_stars[p->user_start[1]], 10);
    assert_int_equal(p->user_half_stars[p->user_start[2]], 4);
    assert_int_equal(panel_user_index(p, 9), 2);
    panel_free(p);
    assert_int_equal(load_csv("user,movie\n1,1\n", movies, &c, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "has no 'userId' column"));
    /* a column named twice: which one is meant cannot be told */
    assert_int_equal(load_csv("userId,movieId,rating,rating\n1,1,4,5\n", movies, &c, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "the header names 'rating' twice"));
    /* another separator than commas is named */
    assert_int_equal(load_csv("userId\tmovieId\trating\n1\t1\t4\n", movies, &c, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "header's fields are separated by tabs"));
    assert_int_equal(load_csv("userId;movieId;rating\n1;1;4\n", movies, &c, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "header's fields are separated by semicolons"));
    captured_diag_free(&c);
}

/* A CSV row of another number of fields than the header's is malformed: an
 * unquoted comma in a title would otherwise cut the title short and make a
 * genre of the rest, and a decimal comma in a rating would read its
 * fraction as the rating and the rating's neighbour as the timestamp. In
 * training, in strict mode and when scoring a ratings.csv alone. */
static void csv_rows_need_the_header_s_field_count(void **state)
{
    (void)state;
    const char *movies = "movieId,title,genres\n"
                         "1,Invented Film 1, The Sequel (1961),Drama\n"
                         "2,Invented Film 2 (1962),Comedy\n"
                         "3,Invented Film 3 (1963)\n";
    const char *ratings = "userId,movieId,rating,timestamp\n"
                          "61,2,3,5,978300102\n"
                          "61,2,4,978300102\n"
                          "62,2\n";
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(load_csv(ratings, movies, &c, &p), 0);
    assert_int_equal(p->n_films, 1);
    assert_int_equal(p->films[0].id, 2);
    assert_int_equal(p->n_genres, 1); /* no genre "The Sequel (1961)" */
    assert_int_equal(p->n_users, 1);
    assert_int_equal(p->n_ratings, 1);
    assert_int_equal(p->user_half_stars[0], 8);
    assert_int_equal(p->user_time[0], 978300102);
    const char *text = captured_diag_text(&c);
    assert_non_null(strstr(text, "c/movies.csv:2: 4 fields, the header has 3; line skipped"));
    assert_non_null(strstr(text, "c/movies.csv:4: 2 fields, the header has 3; line skipped"));
    assert_non_null(strstr(text, "c/ratings.csv:2: 5 fields, the header has 4; line skipped"));
    assert_non_null(strstr(text, "c/ratings.csv:4: 2 fields, the header has 4; line skipped"));
    panel_free(p);
    captured_diag_free(&c);

    captured_diag_init(&c, true);
    assert_int_equal(load_csv(ratings, movies, &c, &p), 2);
    assert_null(p);
    assert_non_null(
        strstr(captured_diag_text(&c), "c/movies.csv:2: 4 fields, the header has 3 (--strict)"));
    captured_diag_free(&c);

    char dir[] = "/tmp/filmseg-test-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ratings.csv", dir);
    write_file(path, ratings);
    PanelOptions options;
    panel_options_default(&options);
    const int32_t films[2] = {2, 3};
    captured_diag_init(&c, false);
    assert_int_equal(panel_load_for_scoring(NULL, path, films, 2, &options, &c.diag, &p), 0);
    assert_int_equal(p->n_users, 1);
    assert_int_equal(p->n_ratings, 1);
    assert_int_equal(p->user_half_stars[0], 8);
    assert_non_null(strstr(captured_diag_text(&c), "ratings.csv:2: 5 fields, the header has 4"));
    panel_free(p);
    captured_diag_free(&c);
    unlink(path);
    rmdir(dir);
}

/* Titles that are not UTF-8 are read as Windows-1252 in every loader's
 * films file (u.item, movies.dat, movies.csv): 0x92 is a right quote, not
 * an invisible control character. */
static void titles_not_in_utf8_are_windows_1252(void **state)
{
    (void)state;
    const char *expected = "Don\xe2\x80\x99t Look Now \xe2\x80\x93 Caf\xc3\xa9 (1973)";
    CapturedDiag c;
    captured_diag_init(&c, true);
    Panel *p = load_ok(USERS, ITEM(1, "Don\x92t Look Now \x96 Caf\xe9 (1973)"), "1\t1\t4\t1\n", &c);
    assert_string_equal(p->films[0].title, expected);
    panel_free(p);
    assert_int_equal(load_ml1m("1::F::1::10::48104\n",
                               "1::Don\x92t Look Now \x96 Caf\xe9 (1973)::Thriller\n",
                               "1::1::5::978300760\n", &c, &p),
                     0);
    assert_string_equal(p->films[0].title, expected);
    panel_free(p);
    assert_int_equal(load_csv("userId,movieId,rating,timestamp\n1,1,4,1\n",
                              "movieId,title,genres\n"
                              "1,\"Don\x92t Look Now \x96 Caf\xe9 (1973)\",Thriller\n",
                              &c, &p),
                     0);
    assert_string_equal(p->films[0].title, expected);
    panel_free(p);
    captured_diag_free(&c);
}

/* Writes n bytes (NULs and all) to path. */
static void write_bytes(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* A panel in dir of the files names (up to 3, NULL-ended), the odd one
 * holding bytes (len) and the others "1": loading it fails with exactly
 * "filmseg: DIR/ODD: said" (the files are removed after). */
static void panel_refused_for_one_file(const char *dir, const char *const *names, int odd,
                                       const char *bytes, size_t len, const char *said)
{
    char path[300], expected[400];
    for (int f = 0; f < 3 && names[f]; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        if (f == odd)
            write_bytes(path, bytes, len);
        else
            write_file(path, "1\n");
    }
    PanelOptions options;
    panel_options_default(&options);
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 2);
    assert_null(p);
    snprintf(expected, sizeof expected, "filmseg: %s/%s: %s\n", dir, names[odd], said);
    assert_string_equal(captured_diag_text(&c), expected);
    captured_diag_free(&c);
    for (int f = 0; f < 3 && names[f]; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        unlink(path);
    }
}

/* A file that starts with a UTF-16 byte-order mark (a spreadsheet's or an
 * editor's "Unicode"), little- or big-endian, is named as such, whichever
 * file of whichever format it is (and the ZIP list, and the files score
 * reads), not taken for binary data or a header without its columns. */
static void utf16_files_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *names[3], *utf16;
    } panels[] = {
        {{"u.user", "u.item", "u.data"}, "u.user"},
        {{"u.user", "u.item", "u.data"}, "u.item"},
        {{"u.user", "u.item", "u.data"}, "u.data"},
        {{"users.dat", "movies.dat", "ratings.dat"}, "users.dat"},
        {{"users.dat", "movies.dat", "ratings.dat"}, "movies.dat"},
        {{"users.dat", "movies.dat", "ratings.dat"}, "ratings.dat"},
        {{"ratings.csv", "movies.csv", NULL}, "ratings.csv"},
        {{"ratings.csv", "movies.csv", NULL}, "movies.csv"},
    };
    /* "1,2" in UTF-16, each way round */
    static const char little[] = "\xff\xfe"
                                 "1\0,\0"
                                 "2\0\n\0",
                      big[] = "\xfe\xff"
                              "\0"
                              "1\0,\0"
                              "2\0\n";
    char dir[] = "/tmp/filmseg-test-XXXXXX", expected[400];
    assert_non_null(mkdtemp(dir));
    PanelOptions options;
    panel_options_default(&options);
    for (size_t i = 0; i < sizeof panels / sizeof panels[0]; i++)
        for (int endian = 0; endian < 2; endian++) {
            int odd = 0;
            while (strcmp(panels[i].names[odd], panels[i].utf16) != 0)
                odd++;
            panel_refused_for_one_file(dir, panels[i].names, odd, endian ? big : little,
                                       sizeof little - 1, "the file is UTF-16; save it as UTF-8");
        }

    /* the ZIP list, and the users and ratings files score reads */
    char zips[300], users[300], ratings[300];
    snprintf(zips, sizeof zips, "%s/zips.csv", dir);
    snprintf(users, sizeof users, "%s/new.user", dir);
    snprintf(ratings, sizeof ratings, "%s/ratings.csv", dir);
    write_bytes(zips, little, sizeof little - 1);
    write_bytes(users, big, sizeof big - 1);
    write_bytes(ratings, little, sizeof little - 1);
    CapturedDiag c;
    captured_diag_init(&c, false);
    ZipMap map;
    assert_int_equal(zipmap_load_csv(&map, zips, &c.diag), 2);
    snprintf(expected, sizeof expected, "%s: the file is UTF-16; save it as UTF-8", zips);
    assert_non_null(strstr(captured_diag_text(&c), expected));
    captured_diag_free(&c);
    const int32_t films[1] = {2};
    Panel *p = NULL;
    const char *scored[2][2] = {{users, users}, {NULL, ratings}}; /* users file, file named */
    for (int i = 0; i < 2; i++) {
        captured_diag_init(&c, false);
        assert_int_equal(
            panel_load_for_scoring(scored[i][0], ratings, films, 1, &options, &c.diag, &p), 2);
        assert_null(p);
        snprintf(expected, sizeof expected, "%s: the file is UTF-16; save it as UTF-8",
                 scored[i][1]);
        assert_non_null(strstr(captured_diag_text(&c), expected));
        captured_diag_free(&c);
    }
    unlink(zips);
    unlink(users);
    unlink(ratings);
    rmdir(dir);
}

/* A compressed file (gzip, bzip2, xz, zstd, zip: told by its magic number)
 * is named as such, in every format's place, the ZIP list's and score's,
 * not read as lines of binary data or taken for another layout. */
static void compressed_files_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } kinds[] = {{"\x1f\x8b\x08\x00", 4},
                 {"BZh91AY&SY", 10},
                 {"\xfd"
                  "7zXZ\0\0",
                  7},
                 {"\x28\xb5\x2f\xfd\x00", 5},
                 {"PK\x03\x04\x14\x00", 6}};
    static const char *const panels[][3] = {{"u.user", "u.item", "u.data"},
                                            {"users.dat", "movies.dat", "ratings.dat"},
                                            {"ratings.csv", "movies.csv", NULL}};
    static const char said[] =
        "the file is compressed (gzip, bzip2, xz, zstd or zip); decompress it first";
    char dir[] = "/tmp/filmseg-test-XXXXXX", expected[400];
    assert_non_null(mkdtemp(dir));
    PanelOptions options;
    panel_options_default(&options);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t i = 0; i < sizeof panels / sizeof panels[0]; i++)
            for (int packed = 0; packed < 3 && panels[i][packed]; packed++)
                panel_refused_for_one_file(dir, panels[i], packed, kinds[k].bytes, kinds[k].len,
                                           said);
        /* the ZIP list, and each of the files score reads */
        char zips[300], users[300], ratings[300];
        snprintf(zips, sizeof zips, "%s/zips.csv", dir);
        snprintf(users, sizeof users, "%s/new.user", dir);
        snprintf(ratings, sizeof ratings, "%s/new.data", dir);
        write_bytes(zips, kinds[k].bytes, kinds[k].len);
        CapturedDiag c;
        captured_diag_init(&c, false);
        ZipMap map;
        assert_int_equal(zipmap_load_csv(&map, zips, &c.diag), 2);
        snprintf(expected, sizeof expected, "%s: %s", zips, said);
        assert_non_null(strstr(captured_diag_text(&c), expected));
        captured_diag_free(&c);
        const int32_t films[1] = {1};
        for (int which = 0; which < 2; which++) {
            write_file(users, "1|23|M|technician|85711\n");
            write_file(ratings, "1\t1\t4\t1\n");
            write_bytes(which ? ratings : users, kinds[k].bytes, kinds[k].len);
            captured_diag_init(&c, false);
            Panel *p = NULL;
            assert_int_equal(
                panel_load_for_scoring(users, ratings, films, 1, &options, &c.diag, &p), 2);
            assert_null(p);
            snprintf(expected, sizeof expected, "filmseg: %s: %s\n", which ? ratings : users, said);
            assert_string_equal(captured_diag_text(&c), expected);
            captured_diag_free(&c);
        }
        unlink(zips);
        unlink(users);
        unlink(ratings);
    }
    rmdir(dir);
}

/* Files whose lines end in CR alone (old Mac line ends) load as LF files do,
 * in every format, their malformed lines named by their own numbers. */
static void cr_only_files_load_like_lf_files(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = load_ok("1|23|M|technician|85711\r2|52|F|other|94043\r",
                       "1|Toy Story (1995)|02-Jan-1995||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\r",
                       "1\t1\t4\t1\r2\t1\t5\t2\r2\t1\t9\t3\r", &c);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->n_ratings, 2);
    assert_string_equal(p->users[1].zip, "94043");
    assert_string_equal(p->films[0].title, "Toy Story (1995)");
    assert_non_null(strstr(captured_diag_text(&c), "t/u.data:3: rating '9'"));
    panel_free(p);
    assert_int_equal(load_ml1m("1::F::1::10::48104\r2::M::56::16::70112\r",
                               "1::A (1995)::Drama\r2::B (1996)::Comedy\r",
                               "1::1::5::978300760\r2::2::3::978302109\r\r2::7::3::1\r", &c, &p),
                     0);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->n_films, 2);
    assert_int_equal(p->n_ratings, 2);
    assert_non_null(
        strstr(captured_diag_text(&c), "m/ratings.dat:4: movie 7 is not in movies.dat"));
    panel_free(p);
    assert_int_equal(load_csv("userId,movieId,rating,timestamp\r7,1,4,1\r7,2,3.5,2\r8,1,6,3\r",
                              "movieId,title,genres\r1,A (1995),Drama\r2,\"B, The (1996)\",Comedy\r"
                              "x,C,Drama\r",
                              &c, &p),
                     0);
    assert_int_equal(p->n_films, 2);
    assert_string_equal(p->films[1].title, "B, The (1996)");
    assert_int_equal(p->n_ratings, 2);
    assert_non_null(strstr(captured_diag_text(&c), "c/movies.csv:4: movieId 'x'"));
    assert_non_null(strstr(captured_diag_text(&c), "c/ratings.csv:4: rating '6'"));
    panel_free(p);
    captured_diag_free(&c);
}

/* A quoted title never runs over a line break (its row is dropped, named by
 * its line, and the next line read afresh); a tab or a carriage return
 * inside quotes becomes a space. */
static void csv_titles_stay_on_their_line(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(load_csv("userId,movieId,rating,timestamp\n1,1,4,1\n",
                              "movieId,title,genres\n"
                              "1,\"Tab\tand\rreturn (2003)\",Drama\n"
                              "2,\"Two\n"
                              "3,Lines (2004)\",Drama\n",
                              &c, &p),
                     0);
    assert_int_equal(p->n_films, 2);
    assert_string_equal(p->films[0].title, "Tab and return (2003)");
    assert_int_equal(p->films[0].year, 2003);
    assert_int_equal(p->films[1].id, 3); /* line 4 read afresh, not as film 2's title */
    assert_non_null(strstr(captured_diag_text(&c),
                           "c/movies.csv:3: a quote opened on this line is not closed"));
    panel_free(p);
    captured_diag_free(&c);
}

/* Ids outside 1..2147483647 in a ratings file, in every format: the message
 * gives the range, as the users and films files' do. */
static void ratings_ids_out_of_range_say_the_range(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p =
        load_ok(USERS, ITEMS, "1\t1\t4\t1\n3000000000\t1\t4\t1\n0\t1\t4\t1\n1\t-3\t4\t1\n", &c);
    const char *text = captured_diag_text(&c);
    assert_non_null(
        strstr(text, "t/u.data:2: user id '3000000000' is not a whole number 1..2147483647"));
    assert_non_null(strstr(text, "t/u.data:3: user id '0' is not a whole number 1..2147483647"));
    assert_non_null(strstr(text, "t/u.data:4: item id '-3' is not a whole number 1..2147483647"));
    panel_free(p);
    assert_int_equal(load_ml1m("1::F::1::10::48104\n", "1::A (1995)::Drama\n",
                               "1::1::5::1\n1::2147483648::5::1\n", &c, &p),
                     0);
    assert_non_null(strstr(captured_diag_text(&c),
                           "m/ratings.dat:2: movie id '2147483648' is not a whole number "
                           "1..2147483647"));
    panel_free(p);
    assert_int_equal(load_csv("userId,movieId,rating,timestamp\n1,1,4,1\n1,3000000000,4,1\n"
                              "1,0,4,1\n",
                              "movieId,title,genres\n1,A (1995),Drama\n", &c, &p),
                     0);
    text = captured_diag_text(&c);
    assert_non_null(
        strstr(text, "c/ratings.csv:3: movieId '3000000000' is not a whole number 1..2147483647"));
    assert_non_null(
        strstr(text, "c/ratings.csv:4: movieId '0' is not a whole number 1..2147483647"));
    panel_free(p);
    captured_diag_free(&c);
}

/* ratings.csv's timestamp column is optional (times only feed recency):
 * without it every rating has time 0, as a rating without a time, in
 * training and in score; the columns may come in any order. */
static void csv_ratings_need_no_timestamp(void **state)
{
    (void)state;
    const char *movies = "movieId,title,genres\n1,A (1995),Drama\n2,B (1996),Comedy\n";
    CapturedDiag c;
    captured_diag_init(&c, true);
    Panel *p = NULL;
    assert_int_equal(load_csv("userId,movieId,rating\n7,1,4\n7,2,3.5\n8,1,2\n", movies, &c, &p), 0);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->n_ratings, 3);
    for (size_t i = 0; i < p->n_ratings; i++)
        assert_int_equal(p->user_time[i], 0);
    assert_int_equal(p->user_half_stars[1], 7); /* 3.5 */
    panel_free(p);
    assert_int_equal(load_csv("rating,timestamp,movieId,userId\n4,99,2,7\n", movies, &c, &p), 0);
    assert_int_equal(p->users[0].id, 7);
    assert_int_equal(p->user_film[0], 1);
    assert_int_equal(p->user_time[0], 99);
    panel_free(p);
    assert_int_equal(load_csv("userId,movieId,timestamp\n7,1,1\n", movies, &c, &p), 2);
    assert_non_null(strstr(captured_diag_text(&c), "the header has no 'rating' column"));
    captured_diag_free(&c);

    char dir[] = "/tmp/filmseg-test-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ratings.csv", dir);
    write_file(path, "movieId,userId,rating\n1,5,4\n2,5,5\n9,6,3\n");
    PanelOptions options;
    panel_options_default(&options);
    const int32_t films[2] = {1, 2};
    captured_diag_init(&c, true);
    assert_int_equal(panel_load_for_scoring(NULL, path, films, 2, &options, &c.diag, &p), 0);
    assert_int_equal(p->n_users, 2);
    assert_int_equal(p->n_ratings, 2);
    assert_int_equal(p->user_time[0], 0);
    assert_int_equal(p->sample.ratings_unknown_film, 1);
    panel_free(p);
    captured_diag_free(&c);
    unlink(path);
    rmdir(dir);
}

static void real_ml100k_loads_whole(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/ml-100k", shared_dir());
    PanelOptions options;
    panel_options_default(&options);
    options.rules.keep_unknown_state = true;
    options.rules.n_exclude = 0;
    CapturedDiag c;
    captured_diag_init(&c, true);
    Panel *p = NULL;
    assert_int_equal(panel_load_dir(dir, &options, &c.diag, &p), 0);
    assert_int_equal(p->n_users, 943);
    assert_int_equal(p->n_films, 1682);
    assert_int_equal(p->n_ratings, 100000);
    assert_int_equal(p->user_start[p->n_users], 100000);
    assert_int_equal(p->film_start[p->n_films], 100000);
    long unknown = panel_film_index(p, 267);
    assert_true(unknown >= 0);
    assert_string_equal(p->films[unknown].title, "unknown");
    size_t non_ascii = 0;
    for (size_t f = 0; f < p->n_films; f++) {
        assert_true(text_is_utf8(p->films[f].title, strlen(p->films[f].title)));
        for (const char *s = p->films[f].title; *s; s++)
            if ((unsigned char)*s >= 0x80) {
                non_ascii++;
                break;
            }
    }
    assert_int_equal(non_ascii, 9);
    panel_free(p);
    captured_diag_free(&c);
}

/* An output path that would replace an input: a file of a panel (of any
 * format, by another name too: a link) or the ZIP list; said which. */
static void outputs_that_replace_inputs(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-inputs-XXXXXX", path[300], link[300], zips[300], why[600];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ratings.dat", dir);
    write_file(path, "1::1::5::1\n");
    snprintf(link, sizeof link, "%s/other-name.dat", dir);
    assert_int_equal(symlink("ratings.dat", link), 0);
    snprintf(zips, sizeof zips, "%s/zips.csv", dir);
    write_file(zips, "zip,state_id\n");
    assert_true(panel_output_replaces_input(path, dir, NULL, why, sizeof why));
    assert_non_null(strstr(why, "a file of the panel in "));
    assert_true(panel_output_replaces_input(link, dir, NULL, why, sizeof why));
    assert_true(panel_output_replaces_input(zips, NULL, zips, why, sizeof why));
    assert_string_equal(why, "the ZIP list (--zips)");
    assert_false(panel_output_replaces_input(zips, dir, NULL, why, sizeof why));
    snprintf(path, sizeof path, "%s/model.fsm", dir);
    assert_false(panel_output_replaces_input(path, dir, zips, why, sizeof why));
    assert_false(panel_output_replaces_input(path, NULL, NULL, why, sizeof why));
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

#if !defined(__SANITIZE_ADDRESS__)
/* panel_load_demo with budget bytes of memory to spare, in a child: its
 * status (0 loaded, 1 refused, else it died) and its messages into text. */
static int load_demo_with_memory(size_t budget, char *text, size_t size)
{
    int fd;
    pid_t pid = fork_with_pipe(&fd);
    if (pid == 0) {
        static char buffer[8192]; /* the messages' stream allocates nothing later */
        FILE *out = fdopen(fd, "w");
        if (!out || setvbuf(out, buffer, _IOFBF, sizeof buffer) != 0)
            _exit(5);
        Diag diag;
        diag_init(&diag, out, false);
        PanelOptions options;
        panel_options_default(&options);
        if (!memory_leave_only(budget))
            _exit(3);
        Panel *p = NULL;
        int rc = panel_load_demo(&options, &diag, &p);
        fflush(out);
        _exit(rc == 0 ? 0 : 1);
    }
    size_t n = 0;
    ssize_t got;
    while (n + 1 < size && (got = read(fd, text + n, size - 1 - n)) > 0)
        n += (size_t)got;
    text[n] = '\0';
    close(fd);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#endif

/* Memory running out while a panel is read is said (it ended the command
 * with status 2 and not a word): the demo panel loaded with ever more
 * memory to spare, each failure saying so, until it loads. */
static void out_of_memory_is_said(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan's allocator aborts where malloc would return NULL */
#else
    int failures = 0;
    bool loaded = false;
    for (size_t budget = 0; budget <= (size_t)64 << 20 && !loaded; budget += 32 << 10) {
        char text[4096];
        int rc = load_demo_with_memory(budget, text, sizeof text);
        if (rc == 0)
            loaded = true;
        else if (rc != 1)
            fail_msg("with %zu bytes to spare the loader died (%d): '%s'", budget, rc, text);
        else if (!strstr(text, "out of memory") && !strstr(text, "Cannot allocate memory"))
            fail_msg("with %zu bytes to spare, refused without saying why: '%s'", budget, text);
        else
            failures++;
    }
    assert_true(loaded);
    assert_true(failures > 2);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csr_and_csc_hold_every_rating),
        cmocka_unit_test(users_get_bands_occupations_and_states),
        cmocka_unit_test(films_titles_dates_and_genres),
        cmocka_unit_test(malformed_lines_are_reported_skipped_and_counted),
        cmocka_unit_test(malformed_users_and_items),
        cmocka_unit_test(ratings_of_skipped_lines_said_once),
        cmocka_unit_test(crlf_files_load_like_lf_files),
        cmocka_unit_test(cr_only_files_load_like_lf_files),
        cmocka_unit_test(binary_garbage_never_crashes),
        cmocka_unit_test(scoring_files_in_either_format),
        cmocka_unit_test(out_of_memory_is_said),
        cmocka_unit_test(outputs_that_replace_inputs),
        cmocka_unit_test(strict_mode_stops_at_the_first_malformed_line),
        cmocka_unit_test(empty_required_files_are_fatal),
        cmocka_unit_test(files_without_one_valid_line_are_fatal),
        cmocka_unit_test(folders_missing_unreadable_or_unknown),
        cmocka_unit_test(zips_messages_come_first),
        cmocka_unit_test(rows_by_film_first_duplicate_kept),
        cmocka_unit_test(repeated_ratings_said_in_line_order),
        cmocka_unit_test(sample_rules_drop_users_and_their_ratings),
        cmocka_unit_test(ml1m_codes_become_100k_labels),
        cmocka_unit_test(csv_release_is_taste_only_with_quoted_titles),
        cmocka_unit_test(csv_rows_need_the_header_s_field_count),
        cmocka_unit_test(titles_not_in_utf8_are_windows_1252),
        cmocka_unit_test(utf16_files_are_named),
        cmocka_unit_test(compressed_files_are_named),
        cmocka_unit_test(csv_titles_stay_on_their_line),
        cmocka_unit_test(ratings_ids_out_of_range_say_the_range),
        cmocka_unit_test(csv_ratings_need_no_timestamp),
        cmocka_unit_test(real_ml100k_loads_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
