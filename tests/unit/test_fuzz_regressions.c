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
    if (strncmp(name, "model", 5) == 0)
        return fuzz_model;
    if (strncmp(name, "score", 5) == 0)
        return fuzz_score;
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
        replay("tests/fuzz/seeds/mlcsv", "mlcsv") + replay("tests/fuzz/seeds/zips", "zips") +
        replay("tests/fuzz/seeds/model", "model") + replay("tests/fuzz/seeds/score", "score");
    assert_true(seeds >= 10);
}

/* The model seeds decode, so that replaying them runs score, report and
 * export on a model (under ASan in the sanitizer build). When the format
 * changes, make them again: filmseg synth --out T --users 24 --films 12
 * --ratings 150 --segments 2, then filmseg train --data T --k 2 --kmax 3
 * --epochs 3 --hidden 3 --restarts 1 --out m.fsm (and --loss study for
 * the second); a seed is its model file without the first 24 bytes (the
 * header) and the last 8 (the checksum). */
static void model_seeds_decode(void **state)
{
    (void)state;
    const char *seeds[] = {"tests/fuzz/seeds/model/rated", "tests/fuzz/seeds/model/study"};
    for (size_t i = 0; i < 2; i++) {
        char *payload;
        size_t size, len;
        assert_int_equal(text_read_file(seeds[i], &payload, &size), 0);
        uint8_t *file = fuzz_model_file((const uint8_t *)payload, size, &len);
        Segmentation seg;
        char error[512] = "";
        assert_int_equal(model_decode(&seg, file, len, seeds[i], error, sizeof error), 0);
        assert_int_equal(seg.n_films, 12);
        segmentation_free(&seg);
        free(file);
        free(payload);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(regressions_and_seeds_replay_cleanly),
                                       cmocka_unit_test(model_seeds_decode)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
