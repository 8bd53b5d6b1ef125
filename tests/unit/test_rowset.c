/* test_rowset.c: the set of rows a mini-batch touches: distinct rows in
 * first-seen order, emptied by a stamp, and still right after the stamp wraps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filmseg/rowset.h"

static void test_distinct_rows_in_first_seen_order(void **state)
{
    (void)state;
    RowSet s;
    assert_int_equal(rowset_init(&s, 10), 0);
    const uint32_t touches[] = {7, 2, 7, 9, 2, 0, 9};
    const bool is_new[] = {true, true, false, true, false, true, false};
    for (size_t i = 0; i < sizeof touches / sizeof touches[0]; i++)
        assert_int_equal(rowset_add(&s, touches[i]), is_new[i]);
    assert_int_equal(s.n_rows, 4);
    const uint32_t want[] = {7, 2, 9, 0};
    assert_memory_equal(s.rows, want, sizeof want);
    assert_true(rowset_has(&s, 9));
    assert_false(rowset_has(&s, 3));
    rowset_empty(&s);
    assert_int_equal(s.n_rows, 0);
    assert_false(rowset_has(&s, 7));
    assert_true(rowset_add(&s, 7));
    assert_int_equal(s.rows[0], 7);
    rowset_free(&s);
}

/* After 2^32 - 1 emptyings the stamp wraps to 0, which every untouched mark
 * holds: rowset_empty must clear the marks then, or old rows would reappear. */
static void test_stamp_wrap_forgets_old_rows(void **state)
{
    (void)state;
    RowSet s;
    assert_int_equal(rowset_init(&s, 4), 0);
    assert_true(rowset_add(&s, 1));
    s.stamp = UINT32_MAX; /* as if emptied 2^32 - 2 times */
    assert_true(rowset_add(&s, 2));
    rowset_empty(&s); /* wraps */
    assert_int_equal(s.stamp, 1);
    for (uint32_t r = 0; r < 4; r++)
        assert_false(rowset_has(&s, r));
    assert_true(rowset_add(&s, 1));
    assert_true(rowset_add(&s, 2));
    assert_int_equal(s.n_rows, 2);
    rowset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distinct_rows_in_first_seen_order),
        cmocka_unit_test(test_stamp_wrap_forgets_old_rows),
    };
    return cmocka_run_group_tests_name("rowset", tests, NULL, NULL);
}
