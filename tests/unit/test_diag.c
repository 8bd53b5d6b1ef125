/* test_diag.c: unit tests of the loaders' diagnostics: a malformed line said
 * as file:line and skipped, at most max_per_file messages a file and then
 * only the count, each file counted apart, strict mode's first malformed
 * line fatal, a fatal problem kept, and diag_merge adding what a diag saw
 * in a buffer (a second thread's) to another. */
#include "test_util.h"

#include "filmseg/diag.h"

static void bad_lines_said_and_counted(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    assert_true(diag_bad_line(&c.diag, "u.data", 3, "%d fields, expected %d", 2, 4));
    assert_true(diag_bad_line(&c.diag, "u.item", 7, "bad date"));
    assert_true(diag_bad_line(&c.diag, "u.data", 9, "bad rating"));
    assert_string_equal(captured_diag_text(&c),
                        "filmseg: u.data:3: 2 fields, expected 4; line skipped\n"
                        "filmseg: u.item:7: bad date; line skipped\n"
                        "filmseg: u.data:9: bad rating; line skipped\n");
    assert_false(c.diag.failed);
    assert_int_equal(c.diag.n_files, 2);
    assert_int_equal(diag_total_skipped(&c.diag), 3);
    diag_print_summary(&c.diag);
    assert_non_null(strstr(captured_diag_text(&c), "filmseg: u.data: 2 malformed lines skipped\n"
                                                   "filmseg: u.item: 1 malformed line skipped\n"));
    captured_diag_free(&c);
    /* quiet (out NULL): counted all the same */
    Diag quiet;
    diag_init(&quiet, NULL, false);
    assert_true(diag_bad_line(&quiet, "f", 1, "x"));
    diag_note(&quiet, "nothing to say it on");
    diag_print_summary(&quiet);
    assert_int_equal(diag_total_skipped(&quiet), 1);
}

/* Past max_per_file messages a file goes quiet after saying so once; its
 * count goes on, and another file has its own cap. */
static void messages_capped_per_file(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, false);
    assert_int_equal(c.diag.max_per_file, 20);
    c.diag.max_per_file = 3;
    for (size_t line = 1; line <= 10; line++)
        assert_true(diag_bad_line(&c.diag, "a.csv", line, "bad"));
    assert_string_equal(captured_diag_text(&c),
                        "filmseg: a.csv:1: bad; line skipped\n"
                        "filmseg: a.csv:2: bad; line skipped\n"
                        "filmseg: a.csv:3: bad; line skipped\n"
                        "filmseg: a.csv: more malformed lines; only the count follows\n");
    assert_true(diag_bad_line(&c.diag, "b.csv", 4, "worse"));
    assert_non_null(strstr(captured_diag_text(&c), "filmseg: b.csv:4: worse; line skipped\n"));
    assert_int_equal(diag_total_skipped(&c.diag), 11);
    assert_int_equal(c.diag.files[0].skipped, 10);
    assert_int_equal(c.diag.files[1].skipped, 1);
    captured_diag_free(&c);
}

static void strict_mode_stops_at_the_first(void **state)
{
    (void)state;
    CapturedDiag c;
    captured_diag_init(&c, true);
    assert_false(diag_bad_line(&c.diag, "u.user", 12, "age %s", "x"));
    assert_true(c.diag.failed);
    assert_string_equal(c.diag.fatal_message, "u.user:12: age x (--strict)");
    assert_string_equal(captured_diag_text(&c), "filmseg: u.user:12: age x (--strict)\n");
    captured_diag_free(&c);
    /* a fatal problem with a whole file, strict or not */
    captured_diag_init(&c, false);
    diag_note(&c.diag, "reading %s", "u.data");
    diag_fatal(&c.diag, "%s: empty", "u.data");
    assert_true(c.diag.failed);
    assert_string_equal(c.diag.fatal_message, "u.data: empty");
    assert_string_equal(captured_diag_text(&c),
                        "filmseg: reading u.data\nfilmseg: u.data: empty\n");
    captured_diag_free(&c);
}

/* What a diag saw while printing into a buffer (the ZIP list read on a
 * second thread) is added to another: the messages printed as they were,
 * each file's count added to the same file's, a failure taken unless the
 * other has one of its own already. */
static void merge_adds_what_another_saw(void **state)
{
    (void)state;
    CapturedDiag into, from;
    captured_diag_init(&into, false);
    captured_diag_init(&from, false);
    assert_true(diag_bad_line(&into.diag, "u.data", 1, "one"));
    assert_true(diag_bad_line(&from.diag, "zips.csv", 5, "two"));
    assert_true(diag_bad_line(&from.diag, "u.data", 8, "three"));
    assert_true(diag_bad_line(&from.diag, "zips.csv", 6, "four"));
    diag_fatal(&from.diag, "zips.csv: no ZIP code read");
    const char *text = captured_diag_text(&from);
    diag_merge(&into.diag, &from.diag, text, from.len);
    assert_string_equal(captured_diag_text(&into), "filmseg: u.data:1: one; line skipped\n"
                                                   "filmseg: zips.csv:5: two; line skipped\n"
                                                   "filmseg: u.data:8: three; line skipped\n"
                                                   "filmseg: zips.csv:6: four; line skipped\n"
                                                   "filmseg: zips.csv: no ZIP code read\n");
    assert_int_equal(into.diag.n_files, 2);
    assert_int_equal(into.diag.files[0].skipped, 2); /* u.data: its own and the other's */
    assert_int_equal(into.diag.files[1].skipped, 2); /* zips.csv */
    assert_true(into.diag.failed);
    assert_string_equal(into.diag.fatal_message, "zips.csv: no ZIP code read");
    /* a failure of its own is kept */
    Diag first, second;
    diag_init(&first, NULL, false);
    diag_init(&second, NULL, false);
    diag_fatal(&first, "first");
    diag_fatal(&second, "second");
    diag_merge(&first, &second, "", 0);
    assert_string_equal(first.fatal_message, "first");
    captured_diag_free(&from);
    captured_diag_free(&into);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_lines_said_and_counted),
        cmocka_unit_test(messages_capped_per_file),
        cmocka_unit_test(strict_mode_stops_at_the_first),
        cmocka_unit_test(merge_adds_what_another_saw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
