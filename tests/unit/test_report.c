/* test_report.c: unit tests of tables and the report: Markdown and aligned
 * text, thousands separators, UTF-8 widths, and the report of a taste-only
 * panel, which says so instead of failing. */
#include "test_util.h"

#include "filmseg/profile.h"
#include "filmseg/report.h"
#include "filmseg/table.h"

static char *render(const Table *t, OutputFormat format)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    table_print(t, format, out);
    fclose(out);
    return text;
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
    char *md = render(&t, FORMAT_MARKDOWN);
    assert_string_equal(md, "| title | n |\n|---|---|\n| Caf\xc3\xa9 | 7 |\n| Ab | 123 |\n");
    free(md);
    char *text = render(&t, FORMAT_TEXT);
    assert_string_equal(text, "title    n\n----------\nCaf\xc3\xa9     7\nAb     123\n");
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
    report_print(p, &pr, FORMAT_MARKDOWN, out);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(markdown_and_text_tables),
        cmocka_unit_test(numbers_and_widths),
        cmocka_unit_test(taste_only_report_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
