/* test_bigalloc.c: large arrays on whole 2 MiB pages, small ones from malloc;
 * big_calloc zeroes and refuses sizes that overflow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#include "filmseg/bigalloc.h"

static void test_large_arrays_start_on_a_huge_page(void **state)
{
    (void)state;
    size_t bytes = (size_t)BIG_ALLOC_MIN * 5 + 3; /* not a whole number of pages */
    unsigned char *p = big_alloc(bytes);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % (2u << 20), 0);
    memset(p, 0xAB, bytes); /* all of it is ours */
    assert_int_equal(p[bytes - 1], 0xAB);
    free(p);
}

static void test_small_arrays_and_zeroing(void **state)
{
    (void)state;
    unsigned char *small = big_alloc(100);
    assert_non_null(small);
    free(small);
    assert_non_null(small = big_alloc(0)); /* like malloc(1): freeable */
    free(small);
    for (size_t bytes = 64; bytes <= (size_t)BIG_ALLOC_MIN * 3; bytes *= 7) {
        unsigned char *z = big_calloc(bytes, 1);
        assert_non_null(z);
        for (size_t i = 0; i < bytes; i++)
            if (z[i] != 0)
                fail_msg("byte %zu of %zu not zero", i, bytes);
        free(z);
    }
    float *f = big_calloc(BIG_ALLOC_MIN, sizeof *f);
    assert_non_null(f);
    assert_true(f[0] == 0.0f && f[BIG_ALLOC_MIN - 1] == 0.0f);
    free(f);
}

static void test_calloc_overflow_refused(void **state)
{
    (void)state;
    assert_null(big_calloc(SIZE_MAX / 2, 3));
    assert_null(big_alloc(SIZE_MAX - 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_arrays_start_on_a_huge_page),
        cmocka_unit_test(test_small_arrays_and_zeroing),
        cmocka_unit_test(test_calloc_overflow_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
