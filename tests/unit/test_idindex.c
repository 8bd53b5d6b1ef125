/* test_idindex.c: unit tests of the id -> index hash map (open addressing,
 * linear probing): inserts and lookups, a duplicate refused, ids absent,
 * growth from the smallest table to 100,000 ids, many ids on one probe
 * chain, and the ids at the ends of the range (1 and 2147483647, 0 and
 * negative ones too). */
#include "test_util.h"

#include "filmseg/idindex.h"

static void puts_and_gets(void **state)
{
    (void)state;
    IdIndex index;
    assert_true(idindex_init(&index, 4));
    bool oom = false;
    assert_true(idindex_put(&index, 42, 7, &oom));
    assert_true(idindex_put(&index, 1, 0, &oom));
    assert_true(idindex_put(&index, 2147483647, 1, &oom));
    assert_true(idindex_put(&index, 0, 2, &oom));
    assert_true(idindex_put(&index, -5, 3, &oom));
    assert_true(idindex_put(&index, (int64_t)1 << 40, UINT32_MAX, &oom));
    assert_int_equal(index.count, 6);
    assert_int_equal(idindex_get(&index, 42), 7);
    assert_int_equal(idindex_get(&index, 1), 0);
    assert_int_equal(idindex_get(&index, 2147483647), 1);
    assert_int_equal(idindex_get(&index, 0), 2);
    assert_int_equal(idindex_get(&index, -5), 3);
    assert_int_equal(idindex_get(&index, (int64_t)1 << 40), (long)UINT32_MAX);
    /* absent ids */
    assert_int_equal(idindex_get(&index, 2), -1);
    assert_int_equal(idindex_get(&index, 2147483646), -1);
    assert_int_equal(idindex_get(&index, -1), -1);
    /* a duplicate is refused, its value kept, and it is not out of memory */
    assert_false(idindex_put(&index, 42, 99, &oom));
    assert_false(oom);
    assert_int_equal(idindex_get(&index, 42), 7);
    assert_int_equal(index.count, 6);
    assert_true(idindex_put(&index, 43, 8, NULL)); /* oom may be NULL */
    assert_false(idindex_put(&index, 43, 8, NULL));
    idindex_free(&index);
    /* a freed (or zeroed) index finds nothing */
    assert_int_equal(idindex_get(&index, 42), -1);
    IdIndex zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    assert_int_equal(idindex_get(&zeroed, 1), -1);
}

/* From the smallest table (16 slots) up: every id put is found with its
 * value after all the growth, the table at most half full. */
static void grows_keeping_everything(void **state)
{
    (void)state;
    IdIndex index;
    assert_true(idindex_init(&index, 0));
    assert_int_equal(index.cap, 16);
    enum { N = 100000 };
    bool oom = false;
    for (uint32_t i = 0; i < N; i++) /* ids spread out, and the range's end */
        assert_true(idindex_put(&index, i == N - 1 ? 2147483647 : 1 + (int64_t)i * 7919, i, &oom));
    assert_false(oom);
    assert_int_equal(index.count, N);
    assert_true(index.cap >= 2 * (size_t)N);
    assert_true((index.cap & (index.cap - 1)) == 0); /* a power of two */
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(idindex_get(&index, i == N - 1 ? 2147483647 : 1 + (int64_t)i * 7919),
                         (long)i);
    for (int64_t id = 2; id < 7919; id++) /* between the ids: none */
        assert_int_equal(idindex_get(&index, id), -1);
    idindex_free(&index);
    /* init for many leaves room for them: no growth on the way */
    assert_true(idindex_init(&index, 1000));
    size_t cap = index.cap;
    for (uint32_t i = 0; i < 1000; i++)
        assert_true(idindex_put(&index, 2147483647 - (int64_t)i, i, NULL));
    assert_int_equal(index.cap, cap);
    assert_int_equal(idindex_get(&index, 2147483647 - 999), 999);
    assert_int_equal(idindex_get(&index, 2147483647 - 1000), -1);
    idindex_free(&index);
}

/* Multiples of 2^40 all hash to slot 0 while the table has at most 2^11
 * slots (their product with the odd constant, and its shift by 29, have no
 * low bits set): 1,000 of them make one probe chain, slots 0 to 999 of the
 * table; each is found, the ids next to them are not, and a duplicate deep
 * in the chain is still refused. */
static void many_colliding_ids(void **state)
{
    (void)state;
    IdIndex index;
    assert_true(idindex_init(&index, 0));
    enum { N = 1000 };
    for (uint32_t j = 1; j <= N; j++)
        assert_true(idindex_put(&index, (int64_t)j << 40, j, NULL));
    assert_true(index.cap <= 2048);
    /* one chain: the slots from 0 on are full, and then one is empty */
    for (size_t s = 0; s < N; s++)
        assert_true(index.keys[s] != INT64_MIN);
    assert_true(index.keys[N] == INT64_MIN);
    for (uint32_t j = 1; j <= N; j++) {
        assert_int_equal(idindex_get(&index, (int64_t)j << 40), (long)j);
        assert_int_equal(idindex_get(&index, ((int64_t)j << 40) + 1), -1);
    }
    assert_int_equal(idindex_get(&index, (int64_t)(N + 1) << 40), -1); /* end of the chain */
    assert_false(idindex_put(&index, (int64_t)N << 40, 0, NULL));
    assert_int_equal(idindex_get(&index, (int64_t)N << 40), N);
    idindex_free(&index);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(puts_and_gets),
        cmocka_unit_test(grows_keeping_everything),
        cmocka_unit_test(many_colliding_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
