/* test_film_lists.c: a batch's entries grouped by film (film_lists.h): each
 * film's entries in batch order, with their users, values and places in the
 * matrix; a film range; a batch too big for the room refused. Also a row's
 * entries in a range of films (sparse_row_range, autoencoder.h), which the
 * lists take. */
#include <stdbool.h>
#include <stdint.h>

#include "test_util.h"

#include "filmseg/film_lists.h"

static void test_lists_group_by_film_in_batch_order(void **state)
{
    (void)state;
    /* user 0: films 1, 3; user 1: films 0, 3; user 2: film 3 */
    const uint32_t row_start[] = {0, 2, 4, 5};
    const uint32_t col[] = {1, 3, 0, 3, 3};
    const float value[] = {0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
    SparseRows x = {3, 5, row_start, col, value};
    FilmLists l;
    assert_int_equal(film_lists_alloc(&l, 1, 4, 8), 0);
    const uint32_t rows[] = {2, 0, 1}; /* batch order: users 2, 0, 1 */
    assert_int_equal(film_lists_build(&l, &x, rows, 3), 0);
    /* film 1: user 0 (place 1); film 2: nobody; film 3: users 2, 0, 1 */
    const uint32_t start[] = {0, 1, 1, 4};
    const uint32_t user[] = {1, 0, 1, 2};
    const float got_value[] = {0.2f, 1.0f, 0.4f, 0.8f};
    const uint32_t entry[] = {0, 4, 1, 3}; /* where each came from in x */
    for (size_t f = 0; f < 4; f++)
        assert_int_equal(l.start[f], start[f]);
    for (size_t q = 0; q < 4; q++) {
        assert_int_equal(l.user[q], user[q]);
        assert_true(l.value[q] == got_value[q]);
        assert_int_equal(l.entry[q], entry[q]);
    }
    /* rows NULL: users 0 .. B in order */
    assert_int_equal(film_lists_build(&l, &x, NULL, 2), 0);
    assert_int_equal(l.start[3], 3);
    assert_int_equal(l.user[1], 0);
    assert_int_equal(l.user[2], 1);
    /* a row out of order, in a range that is not every film: refused */
    const uint32_t one_row[] = {0, 3}, unsorted_col[] = {0, 4, 1}; /* film 4 bisected in */
    SparseRows unsorted = {1, 5, one_row, unsorted_col, value};
    assert_int_equal(film_lists_build(&l, &unsorted, NULL, 1), -1);
    film_lists_free(&l);
    /* too many entries for the room: refused */
    assert_int_equal(film_lists_alloc(&l, 0, 5, 4), 0);
    assert_int_equal(film_lists_build(&l, &x, NULL, 3), -1);
    film_lists_free(&l);
}

static void test_row_range_bisects_sorted_rows(void **state)
{
    (void)state;
    /* row 0: films 2, 4, 5, 9; row 1: none; row 2: films 7, 1, 3 (unsorted) */
    const uint32_t row_start[] = {0, 4, 4, 7};
    const uint32_t col[] = {2, 4, 5, 9, 7, 1, 3};
    const float value[] = {0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f};
    SparseRows x = {3, 10, row_start, col, value};
    const struct {
        size_t r, from, to;
        uint32_t lo, hi;
    } cases[] = {
        {0, 0, 10, 0, 4}, {0, 3, 6, 1, 3}, {0, 4, 5, 1, 2}, {0, 0, 2, 0, 0},  {0, 6, 9, 3, 3},
        {0, 9, 10, 3, 4}, {0, 5, 3, 2, 2}, {1, 2, 8, 4, 4}, {2, 0, 10, 4, 7}, /* all, as is */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t lo, hi;
        sparse_row_range(&x, cases[i].r, cases[i].from, cases[i].to, &lo, &hi);
        if (lo != cases[i].lo || hi != cases[i].hi)
            fail_msg("row %zu films [%zu, %zu): got %u .. %u, want %u .. %u", cases[i].r,
                     cases[i].from, cases[i].to, lo, hi, cases[i].lo, cases[i].hi);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_group_by_film_in_batch_order),
        cmocka_unit_test(test_row_range_bisects_sorted_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
