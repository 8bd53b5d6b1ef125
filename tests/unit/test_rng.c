/* test_rng.c: unit tests of the seeded RNG: its first outputs against
 * xoshiro256** and splitmix64 computed elsewhere (the same seed gives the
 * same numbers on every machine), a seed or a stream replayed gives the same
 * sequence, other seeds and streams give other ones, and every draw stays in
 * its range with the spread it should have. */
#include "test_util.h"

#include "filmseg/rng.h"

/* The reference values: a Python transcription of the published
 * xoshiro256** and splitmix64, the state seeded as rng_seed does. */
static void known_first_outputs(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 0);
    assert_true(rng_next(&r) == 0x99ec5f36cb75f2b4ULL);
    assert_true(rng_next(&r) == 0xbf6e1f784956452aULL);
    assert_true(rng_next(&r) == 0x1a5f849d4933e6e0ULL);
    rng_seed(&r, 2024);
    assert_true(rng_next(&r) == 0x0e48715a13d7772eULL);
    assert_true(rng_next(&r) == 0xc837f3ee8a7a1065ULL);
    rng_seed_stream(&r, 7, 3);
    assert_true(rng_next(&r) == 0xc01276a9b27c3286ULL);
    assert_true(rng_next(&r) == 0xff4d29458c38cbaaULL);
}

enum { LONG_RUN = 10000 };

static void seeded_streams_replay(void **state)
{
    (void)state;
    Rng a, b;
    rng_seed(&a, 12345);
    rng_seed(&b, 12345);
    for (int i = 0; i < LONG_RUN; i++)
        assert_true(rng_next(&a) == rng_next(&b));
    rng_seed_stream(&a, 12345, 9);
    rng_seed_stream(&b, 12345, 9);
    for (int i = 0; i < LONG_RUN; i++)
        assert_true(rng_next(&a) == rng_next(&b));
    /* every kind of draw too */
    rng_seed_stream(&a, 1, 2);
    rng_seed_stream(&b, 1, 2);
    for (int i = 0; i < 100; i++) {
        assert_true(rng_below(&a, 1000) == rng_below(&b, 1000));
        assert_true(rng_uniform(&a) == rng_uniform(&b));
        assert_true(rng_normal(&a) == rng_normal(&b));
    }
}

/* How many of LONG_RUN draws of a and b agree at the same place. */
static int agreements(Rng *a, Rng *b)
{
    int same = 0;
    for (int i = 0; i < LONG_RUN; i++)
        same += rng_next(a) == rng_next(b);
    return same;
}

static void other_seeds_and_streams_differ(void **state)
{
    (void)state;
    Rng a, b;
    /* neighbouring seeds, streams and seed-and-stream pairs: never the same
     * 64-bit draw at the same place */
    for (uint64_t s = 0; s < 4; s++) {
        rng_seed(&a, s);
        rng_seed(&b, s + 1);
        assert_int_equal(agreements(&a, &b), 0);
        rng_seed_stream(&a, 42, s);
        rng_seed_stream(&b, 42, s + 1);
        assert_int_equal(agreements(&a, &b), 0);
        rng_seed_stream(&a, s, 0);
        rng_seed_stream(&b, s + 1, 0);
        assert_int_equal(agreements(&a, &b), 0);
    }
    /* a stream is not its seed's plain sequence */
    rng_seed(&a, 42);
    rng_seed_stream(&b, 42, 0);
    assert_int_equal(agreements(&a, &b), 0);
    /* nor a shifted copy of another stream: stream 1's first draw is not
     * among stream 0's first LONG_RUN */
    rng_seed_stream(&b, 42, 1);
    uint64_t first = rng_next(&b);
    rng_seed_stream(&a, 42, 0);
    for (int i = 0; i < LONG_RUN; i++)
        assert_true(rng_next(&a) != first);
}

static void draws_stay_in_their_ranges(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 99);
    enum { N = 70000, BUCKETS = 7 };
    size_t count[BUCKETS] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t x = rng_below(&r, BUCKETS);
        assert_true(x < BUCKETS);
        count[x]++;
    }
    for (int b = 0; b < BUCKETS; b++) /* 10,000 each expected; sd about 93 */
        assert_true(count[b] > 9500 && count[b] < 10500);
    for (int i = 0; i < 1000; i++) {
        assert_true(rng_below(&r, 1) == 0);
        assert_true(rng_below(&r, 2) < 2);
        /* n past half the range: most draws are kept, none reaches n */
        uint64_t big = (UINT64_MAX / 4) * 3;
        assert_true(rng_below(&r, big) < big);
    }
    double sum = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        double u = rng_uniform(&r);
        assert_true(u >= 0 && u < 1);
        sum += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    assert_true(fabs(sum / N - 0.5) < 0.01); /* sd of the mean about 0.001 */
    assert_true(lo < 0.001 && hi > 0.999);
    double s1 = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        double z = rng_normal(&r);
        assert_true(isfinite(z));
        s1 += z;
        s2 += z * z;
    }
    double mean = s1 / N, var = s2 / N - mean * mean;
    assert_true(fabs(mean) < 0.02 && fabs(var - 1) < 0.03);
}

static void shuffle_is_a_permutation(void **state)
{
    (void)state;
    enum { N = 1000 };
    uint32_t v[N], seen[N] = {0};
    for (uint32_t i = 0; i < N; i++)
        v[i] = i;
    Rng r;
    rng_seed(&r, 5);
    rng_shuffle_u32(&r, v, N);
    size_t moved = 0;
    for (uint32_t i = 0; i < N; i++) {
        assert_true(v[i] < N);
        seen[v[i]]++;
        moved += v[i] != i;
    }
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_true(moved > N * 9 / 10); /* about 999 expected */
    rng_shuffle_u32(&r, v, 0);       /* nothing to do, nothing touched */
    rng_shuffle_u32(&r, v, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_first_outputs),
        cmocka_unit_test(seeded_streams_replay),
        cmocka_unit_test(other_seeds_and_streams_differ),
        cmocka_unit_test(draws_stay_in_their_ranges),
        cmocka_unit_test(shuffle_is_a_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
