/* test_report.c: unit tests of tables and the report: Markdown and aligned
 * text, thousands separators, UTF-8 widths, the report of a taste-only
 * panel, which says so instead of failing, and the segments' genres and
 * distinctive films worked out by hand; a table whose row met the end of
 * memory is refused whole. */
#include "test_util.h"

#include "filmseg/profile.h"
#include "filmseg/report.h"
#include "filmseg/table.h"

/* This program's strdup (the table's cells are strdup'ed): it fails, as
 * when memory runs out, when strdup_fails_in counts down to 0 (-1: never). */
static int strdup_fails_in = -1;
char *strdup(const char *s)
{
    if (strdup_fails_in >= 0 && strdup_fails_in-- == 0)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    return copy ? memcpy(copy, s, n) : NULL;
}

static char *render(const Table *t, OutputFormat format)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_true(table_print(t, format, out));
    fclose(out);
    return text;
}

/* A row whose second cell cannot be copied is left out whole (its first cell
 * freed, no NULL cell kept), and the table, incomplete, is not printed. */
static void table_out_of_memory_is_refused(void **state)
{
    (void)state;
    static const char *const headers[] = {"title", "n"};
    Table t;
    table_init(&t, 2, headers);
    table_row(&t, "%s\t%d", "A", 1);
    assert_false(t.incomplete);
    strdup_fails_in = 1;
    table_row(&t, "%s\t%d", "B", 2);
    strdup_fails_in = -1;
    assert_true(t.incomplete);
    assert_int_equal(t.n_rows, 2);
    table_row(&t, "%s\t%d", "C", 3); /* later rows go in; the table stays incomplete */
    assert_int_equal(t.n_rows, 3);
    assert_string_equal(t.cells[2 * 2], "C");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_false(table_print(&t, FORMAT_TEXT, out));
    assert_false(table_print(&t, FORMAT_MARKDOWN, out));
    fclose(out);
    assert_int_equal(len, 0);
    free(text);
    table_free(&t);
}

static void markdown_and_text_tables(void **state)
{
    (void)state;
    static const char *const headers[] = {"title", "n"};
    Table t;
    table_init(&t, 2, headers);
    t.right_align[1] = true;
    table_row(&t, "%s\t%d", "Caf\xc3\xa9", 7);
    table_row(&t, "%s\t%d", "Ab", 123);
    table_row(&t, "%s\t%d", "A|B", 4); /* a '|' in a title stays in its cell */
    char *md = render(&t, FORMAT_MARKDOWN);
    assert_string_equal(md, "| title | n |\n|---|---|\n| Caf\xc3\xa9 | 7 |\n| Ab | 123 |\n"
                            "| A\\|B | 4 |\n");
    free(md);
    char *text = render(&t, FORMAT_TEXT);
    assert_string_equal(text,
                        "title    n\n----------\nCaf\xc3\xa9     7\nAb     123\nA|B      4\n");
    free(text);
    table_free(&t);
}

static void numbers_and_widths(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(format_thousands(0, buf, sizeof buf), "0");
    assert_string_equal(format_thousands(999, buf, sizeof buf), "999");
    assert_string_equal(format_thousands(92826, buf, sizeof buf), "92,826");
    assert_string_equal(format_thousands(1000000, buf, sizeof buf), "1,000,000");
    assert_int_equal(utf8_width("5\xe2\x98\x85"), 2); /* 5★ */
}

static void taste_only_report_says_so(void **state)
{
    (void)state;
    const char *movies = "movieId,title,genres\n1,A (1999),Drama\n2,B (2000),Comedy\n";
    const char *ratings = "userId,movieId,rating,timestamp\n1,1,5,1\n2,1,4,1\n2,2,5,1\n";
    PanelFile files[2] = {{"ratings.csv", "c/ratings.csv", ratings, strlen(ratings)},
                          {"movies.csv", "c/movies.csv", movies, strlen(movies)}};
    PanelOptions options;
    panel_options_default(&options);
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(panel_load_files(PANEL_MLCSV, files, 2, NULL, &options, &c.diag, &p), 0);
    Profile pr;
    assert_int_equal(profile_compute(p, NULL, 0, &pr), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_true(report_print(p, &pr, FORMAT_MARKDOWN, out));
    fclose(out);
    assert_non_null(strstr(text, "| users kept | 2 |"));
    assert_non_null(strstr(text, "| demographics | not in this panel (taste-only"));
    assert_non_null(strstr(text, "| 1 | A (1999) | 1 | A (1999) |"));
    assert_null(strstr(text, "## Occupations"));
    assert_null(strstr(text, "male / female"));
    free(text);
    profile_free(&pr);
    panel_free(p);
    captured_diag_free(&c);
}

/* The report of two segments of panel p: users 1..10 in segment 0, the rest
 * in 1 (text; free() it). */
static char *two_segments_report(const Panel *p)
{
    int32_t labels[64];
    assert_true(p->n_users <= 64);
    for (size_t u = 0; u < p->n_users; u++)
        labels[u] = p->users[u].id <= 10 ? 0 : 1;
    Profile everyone;
    assert_int_equal(profile_compute(p, NULL, 0, &everyone), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_true(report_segments(p, 2, labels, &everyone, FORMAT_TEXT, out));
    fclose(out);
    profile_free(&everyone);
    return text;
}

/* 20 users: segment 0 (users 1..10) rate film 1 (Action) 5 and film 2
 * (Drama) 4; segment 1 (users 11..20) rate film 2 5 and film 3 (Comedy) 2. */
static void segments_genres_and_distinctive_films(void **state)
{
    (void)state;
    char users[20 * 32], ratings[60 * 16];
    size_t u_len = 0, r_len = 0;
    for (int u = 1; u <= 20; u++) {
        u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|30|M|writer|10027\n", u);
        r_len += (size_t)snprintf(
            ratings + r_len, sizeof ratings - r_len,
            u <= 10 ? "%d\t1\t5\t1\n%d\t2\t4\t1\n" : "%d\t2\t5\t1\n%d\t3\t2\t1\n", u, u);
    }
    const char *items = "1|Act (1990)|01-Jan-1990||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                        "2|Dra (1990)|01-Jan-1990||u|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
                        "3|Com (1990)|01-Jan-1990||u|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    Panel *p = ml100k_panel_of(users, items, ratings);
    char *text = two_segments_report(p);
    /* likes: Action 10 (all segment 0's), Drama 20 (10 each), Comedy none.
     * Segment 0: half its 20 likes Action (a third of everyone's: 150), half
     * Drama (two thirds: 75); segment 1: all 10 Drama (150), no Action (-). */
    assert_non_null(strstr(text, "genre   likes    0    1\n"));
    assert_non_null(strstr(text, "Drama   66.7%   75  150\n"));
    assert_non_null(strstr(text, "Action  33.3%  150    -\n"));
    assert_null(strstr(text, "Comedy "));
    /* distinctive films are liked far more often than by everyone: segment
     * 0 gave film 1 half its 20 likes, against a third of everyone's 30 (lift
     * 1.5, as Action's index), film 2 half (against two thirds: 0.75);
     * segment 1 gave film 2 all its likes (1.5), and film 3, which all of it
     * rated and none liked, is not one of its films */
    const char *seg1 = strstr(text, "Segment 1");
    assert_non_null(seg1);
    const char *act = strstr(text, "    10  1.50   100%  Act (1990)\n");
    assert_true(act && act < seg1);
    assert_null(strstr(seg1, "%  Com (1990)"));
    assert_non_null(strstr(seg1, "    10  1.50   100%  Dra (1990)\n"));
    free(text);
    panel_free(p);
}

/* The conclusion under the AMI table follows the figures: segments that
 * are the users' gender are said to follow it; segments that no demographic
 * tells apart are said to follow none. */
static void what_segments_follow_is_said_from_the_figures(void **state)
{
    (void)state;
    const char *items = "1|Act (1990)|01-Jan-1990||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    for (int by_gender = 0; by_gender < 2; by_gender++) {
        char users[20 * 32], ratings[20 * 16];
        size_t u_len = 0, r_len = 0;
        for (int u = 1; u <= 20; u++) {
            /* ages and occupations alternate, so that neither is the segment */
            u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|%d|%c|%s|10027\n", u,
                                      u % 2 ? 25 : 45, by_gender && u <= 10 ? 'F' : 'M',
                                      u % 2 ? "writer" : "artist");
            r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t1\t4\t1\n", u);
        }
        Panel *p = ml100k_panel_of(users, items, ratings);
        char *text = two_segments_report(p);
        if (by_gender)
            assert_non_null(strstr(text, "These segments follow gender most (1.000): in part they "
                                         "are that demographic"));
        else
            assert_non_null(strstr(text, "These segments follow no demographic much (at most"));
        free(text);
        panel_free(p);
    }
}

/* A segment of one user is "1 user", not "1 users". */
static void one_user_in_the_singular(void **state)
{
    (void)state;
    char users[11 * 32], ratings[11 * 16];
    size_t u_len = 0, r_len = 0;
    for (int u = 1; u <= 11; u++) {
        u_len += (size_t)snprintf(users + u_len, sizeof users - u_len, "%d|30|M|writer|10027\n", u);
        r_len += (size_t)snprintf(ratings + r_len, sizeof ratings - r_len, "%d\t1\t4\t1\n", u);
    }
    Panel *p = ml100k_panel_of(
        users, "1|Act (1990)|01-Jan-1990||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n", ratings);
    char *text = two_segments_report(p); /* users 1..10, and user 11 alone */
    assert_non_null(strstr(text, "\n10 users (90.9% of the sample)"));
    assert_non_null(strstr(text, "\n1 user (9.1% of the sample)"));
    free(text);
    panel_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(markdown_and_text_tables),
        cmocka_unit_test(table_out_of_memory_is_refused),
        cmocka_unit_test(numbers_and_widths),
        cmocka_unit_test(taste_only_report_says_so),
        cmocka_unit_test(segments_genres_and_distinctive_films),
        cmocka_unit_test(what_segments_follow_is_said_from_the_figures),
        cmocka_unit_test(one_user_in_the_singular),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
