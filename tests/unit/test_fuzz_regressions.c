/* test_fuzz_regressions.c: replays every input kept in tests/fuzz/regressions
 * (crashes the fuzzers once found, named TARGET-...) and the fuzz seeds
 * through their targets, so that a fixed crash stays fixed. */
#include "test_util.h"

#include "../fuzz/targets.c"
#include "filmseg/text.h"

#include <dirent.h>

typedef int (*Target)(const uint8_t *, size_t);

static Target target_of(const char *name)
{
    if (strncmp(name, "ml100k", 6) == 0)
        return fuzz_ml100k;
    if (strncmp(name, "ml1m", 4) == 0)
        return fuzz_ml1m;
    if (strncmp(name, "mlcsv", 5) == 0)
        return fuzz_mlcsv;
    if (strncmp(name, "zips", 4) == 0)
        return fuzz_zips;
    return NULL;
}

static size_t replay(const char *dir, const char *target_name)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        Target t = target_of(target_name ? target_name : e->d_name);
        assert_non_null(t);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *buf;
        size_t len;
        assert_int_equal(text_read_file(path, &buf, &len), 0);
        t((const uint8_t *)buf, len);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void regressions_and_seeds_replay_cleanly(void **state)
{
    (void)state;
    replay("tests/fuzz/regressions", NULL);
    size_t seeds =
        replay("tests/fuzz/seeds/ml100k", "ml100k") + replay("tests/fuzz/seeds/ml1m", "ml1m") +
        replay("tests/fuzz/seeds/mlcsv", "mlcsv") + replay("tests/fuzz/seeds/zips", "zips");
    assert_true(seeds >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(regressions_and_seeds_replay_cleanly)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
