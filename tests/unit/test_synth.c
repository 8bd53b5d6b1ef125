/* test_synth.c: unit tests of the synthetic panel generator: same seed, same
 * bytes; the files load strictly in both formats; the shape of a real panel
 * (exact totals, at least 20 ratings a user, heavy tail, popularity skew,
 * scores skewed high); with a ZIP list, codes from it and the same panel
 * otherwise; and the default pipeline finds the planted segments (adjusted
 * Rand index >= 0.9 at the true k, the knee on the true k). */
#include "test_util.h"

#include "filmseg/pipeline.h"
#include "filmseg/states.h"
#include "filmseg/synth.h"
#include "filmseg/text.h"
#include "filmseg/zipmap.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *ML100K_FILES[] = {"u.user", "u.item", "u.data", "u.genre", "truth.csv"};
static const char *ML1M_FILES[] = {"users.dat", "movies.dat", "ratings.dat", "truth.csv"};

static void make_temp_dir(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/test_synth.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
}

/* Removes the generated files and the folder. */
static void remove_dir(const char *dir)
{
    char path[4096];
    for (size_t i = 0; i < N_ELEMS(ML100K_FILES); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, ML100K_FILES[i]);
        unlink(path);
    }
    for (size_t i = 0; i < N_ELEMS(ML1M_FILES); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, ML1M_FILES[i]);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0); /* fails if anything else (a temporary) was left */
}

static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *buf = NULL;
    assert_int_equal(text_read_file(path, &buf, len), 0);
    return buf;
}

static void generate(const SynthOptions *opts, const char *dir, SynthSummary *sum)
{
    char error[512] = "";
    int rc = synth_write(opts, dir, sum, error, sizeof error);
    if (rc != 0)
        fail_msg("synth_write: %s", error);
}

static SynthOptions small_options(SynthFormat format, uint64_t seed)
{
    SynthOptions o;
    synth_options_default(&o);
    o.n_users = 300;
    o.n_films = 250;
    o.n_ratings = 18000;
    o.n_segments = 4;
    o.seed = seed;
    o.format = format;
    return o;
}

static Panel *load_strict(const char *dir, CapturedDiag *diag)
{
    PanelOptions options;
    panel_options_default(&options); /* the study's rules: drop AK, HI, unknown state */
    options.strict = true;
    captured_diag_init(diag, true);
    Panel *p = NULL;
    int rc = panel_load_dir(dir, &options, &diag->diag, &p);
    if (rc != 0)
        fail_msg("panel_load_dir(%s): %s", dir, captured_diag_text(diag));
    assert_int_equal(diag_total_skipped(&diag->diag), 0);
    return p;
}

/* truth.csv as segment by user id (ids 1..n_users), checking its shape. */
static int32_t *read_truth(const char *dir, size_t n_users, int n_segments)
{
    size_t len;
    char *text = read_file(dir, "truth.csv", &len);
    assert_true(strncmp(text, "user_id,segment\n", 16) == 0);
    int32_t *seg = malloc((n_users + 1) * sizeof *seg);
    for (size_t u = 0; u <= n_users; u++)
        seg[u] = -1;
    const char *at = text + 16;
    size_t rows = 0;
    long id, s;
    int used;
    while (sscanf(at, "%ld,%ld\n%n", &id, &s, &used) == 2) {
        assert_in_range(id, 1, (long)n_users);
        assert_in_range(s, 0, n_segments - 1);
        assert_int_equal(seg[id], -1);
        seg[id] = (int32_t)s;
        at += used;
        rows++;
    }
    assert_int_equal(*at, '\0');
    assert_int_equal(rows, n_users);
    free(text);
    return seg;
}

static void same_seed_gives_identical_files(void **state)
{
    (void)state;
    for (int format = 0; format < 2; format++) {
        char a[512], b[512], c[512];
        make_temp_dir(a, sizeof a);
        make_temp_dir(b, sizeof b);
        make_temp_dir(c, sizeof c);
        SynthOptions o = small_options((SynthFormat)format, 42);
        generate(&o, a, NULL);
        generate(&o, b, NULL);
        o.seed = 43;
        generate(&o, c, NULL);
        const char **names = format == 0 ? ML100K_FILES : ML1M_FILES;
        size_t n = format == 0 ? N_ELEMS(ML100K_FILES) : N_ELEMS(ML1M_FILES);
        size_t differ = 0;
        for (size_t i = 0; i < n; i++) {
            size_t la, lb, lc;
            char *fa = read_file(a, names[i], &la), *fb = read_file(b, names[i], &lb),
                 *fc = read_file(c, names[i], &lc);
            assert_true(la > 0);
            assert_int_equal(la, lb);
            assert_memory_equal(fa, fb, la);
            differ += la != lc || memcmp(fa, fc, la) != 0;
            free(fa);
            free(fb);
            free(fc);
        }
        assert_true(differ >= 3); /* another seed: another panel (u.genre is fixed) */
        remove_dir(a);
        remove_dir(b);
        remove_dir(c);
    }
}

/* synth_write with files limited to max_bytes each (a full disk, as
 * RLIMIT_FSIZE makes a write past it fail), in a child process: its answer. */
static int synth_write_limited(const SynthOptions *o, const char *dir, rlim_t max_bytes)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
        struct rlimit limit = {max_bytes, max_bytes};
        char error[512];
        _exit(setrlimit(RLIMIT_FSIZE, &limit) != 0                  ? 3
              : synth_write(o, dir, NULL, error, sizeof error) == 0 ? 0
                                                                    : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* A run that cannot write every file leaves the panel there as it was, all
 * its files (one whose ratings failed left new users and truth beside the old
 * ratings), and no folder it made. */
static void a_failed_write_leaves_the_old_panel(void **state)
{
    (void)state;
    char dir[512];
    make_temp_dir(dir, sizeof dir);
    SynthOptions o = small_options(SYNTH_ML100K, 42);
    generate(&o, dir, NULL);
    size_t len[N_ELEMS(ML100K_FILES)];
    char *before[N_ELEMS(ML100K_FILES)];
    for (size_t i = 0; i < N_ELEMS(ML100K_FILES); i++)
        before[i] = read_file(dir, ML100K_FILES[i], &len[i]);
    o.seed = 43;
    o.n_users = 600; /* its users and truth fit in 64 KiB, its ratings not */
    o.n_ratings = 40000;
    assert_int_equal(synth_write_limited(&o, dir, 64 << 10), 1);
    for (size_t i = 0; i < N_ELEMS(ML100K_FILES); i++) {
        size_t n;
        char *after = read_file(dir, ML100K_FILES[i], &n);
        assert_int_equal(n, len[i]);
        assert_memory_equal(after, before[i], n);
        free(after);
        free(before[i]);
    }
    remove_dir(dir); /* and no temporary file left */
    char fresh[600];
    snprintf(fresh, sizeof fresh, "%s.new", dir);
    assert_int_equal(synth_write_limited(&o, fresh, 64 << 10), 1);
    assert_int_equal(access(fresh, F_OK), -1);
}

static void ml100k_loads_strictly_and_keeps_its_users(void **state)
{
    (void)state;
    char dir[512];
    make_temp_dir(dir, sizeof dir);
    SynthOptions o = small_options(SYNTH_ML100K, 7);
    o.n_users = 2000;
    o.n_ratings = 120000;
    SynthSummary sum;
    generate(&o, dir, &sum);
    assert_int_equal(sum.n_ratings, o.n_ratings);

    /* u.item: 24 '|' fields, a date like 01-Jan-1995, 19 genre flags */
    size_t len;
    char *items = read_file(dir, "u.item", &len);
    size_t lines = 0;
    for (char *line = items; *line; lines++) {
        char *end = strchr(line, '\n');
        assert_non_null(end);
        size_t bars = 0;
        for (char *c = line; c < end; c++)
            bars += *c == '|';
        assert_int_equal(bars, 23);
        line = end + 1;
    }
    assert_int_equal(lines, o.n_films);
    assert_non_null(strstr(items, "-19")); /* release years */
    free(items);

    CapturedDiag diag;
    Panel *p = load_strict(dir, &diag);
    assert_int_equal(p->format, PANEL_ML100K);
    assert_int_equal(p->n_films, o.n_films);
    assert_int_equal(p->n_genres, 19);
    /* Every ZIP maps to a state through the built-in table; Alaska and
     * Hawaii are rare, so the default rules keep almost everyone. */
    assert_int_equal(p->sample.users_read, o.n_users);
    assert_int_equal(p->sample.dropped_by_state[STATE_UNKNOWN], 0);
    assert_true(p->sample.users_dropped <= o.n_users / 100);
    assert_int_equal(p->n_ratings + p->sample.ratings_dropped, o.n_ratings);
    for (size_t u = 0; u < p->n_users; u++) {
        const char *code = state_info(p->users[u].state)->code;
        assert_true(strcmp(code, "AK") != 0 && strcmp(code, "HI") != 0 && strcmp(code, "PR") != 0);
        assert_in_range(p->users[u].age, 10, 73);
    }
    /* Titles are invented and carry their year. */
    assert_non_null(strstr(p->films[0].title, " ("));
    assert_true(p->films[0].year >= 1930 && p->films[0].year <= 1998);
    panel_free(p);
    captured_diag_free(&diag);
    remove_dir(dir);
}

/* With a ZIP list, a user of a state the list has codes for gets one of
 * them (of that state); the others keep their invented codes; every other
 * file and field is the same as without the list. */
static void zip_list_gives_listed_codes(void **state)
{
    (void)state;
    const char *csv = "zip,state_id\n10027,NY\n12401,NY\n14850,NY\n"
                      "94043,CA\n90210,CA\n02139,MA\n";
    CapturedDiag diag;
    captured_diag_init(&diag, false);
    ZipMap list, builtin;
    assert_int_equal(zipmap_parse_csv(&list, csv, strlen(csv), "z.csv", &diag.diag), 0);
    zipmap_builtin(&builtin);
    char plain[512], listed[512];
    make_temp_dir(plain, sizeof plain);
    make_temp_dir(listed, sizeof listed);
    SynthOptions o = small_options(SYNTH_ML100K, 5);
    generate(&o, plain, NULL);
    o.zips = &list;
    SynthSummary listed_sum;
    generate(&o, listed, &listed_sum);
    for (size_t i = 0; i < N_ELEMS(ML100K_FILES); i++) {
        if (strcmp(ML100K_FILES[i], "u.user") == 0)
            continue;
        size_t la, lb;
        char *a = read_file(plain, ML100K_FILES[i], &la),
             *b = read_file(listed, ML100K_FILES[i], &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(a);
        free(b);
    }
    size_t la, lb, replaced = 0, kept = 0;
    char *a = read_file(plain, "u.user", &la), *b = read_file(listed, "u.user", &lb);
    char *line_a = a, *line_b = b;
    for (size_t u = 0; u < o.n_users; u++) {
        char *end_a = strchr(line_a, '\n'), *end_b = strchr(line_b, '\n');
        assert_non_null(end_a);
        assert_non_null(end_b);
        *end_a = *end_b = 0;
        char *zip_a = strrchr(line_a, '|') + 1, *zip_b = strrchr(line_b, '|') + 1;
        assert_int_equal(zip_a - line_a, zip_b - line_b); /* the fields before: the same */
        assert_memory_equal(line_a, line_b, (size_t)(zip_a - line_a));
        const char *st = state_info(zipmap_state(&builtin, zip_a))->code;
        if (strcmp(st, "NY") == 0 || strcmp(st, "CA") == 0 || strcmp(st, "MA") == 0) {
            assert_string_equal(state_info(zipmap_state(&list, zip_b))->code, st);
            replaced++;
        } else {
            assert_string_equal(zip_a, zip_b);
            kept++;
        }
        line_a = end_a + 1;
        line_b = end_b + 1;
    }
    assert_true(replaced > 0 && kept > 0);
    assert_int_equal(listed_sum.users_zip_unlisted, kept); /* counted for synth to say */
    free(a);
    free(b);
    remove_dir(plain);
    remove_dir(listed);
    zipmap_free(&list);
    zipmap_free(&builtin);
    captured_diag_free(&diag);
}

static void ml1m_loads_strictly_with_codes(void **state)
{
    (void)state;
    char dir[512];
    make_temp_dir(dir, sizeof dir);
    SynthOptions o = small_options(SYNTH_ML1M, 9);
    generate(&o, dir, NULL);
    size_t len;
    char *users = read_file(dir, "users.dat", &len);
    long id, age, occ;
    char gender;
    int used;
    const char *at = users;
    size_t rows = 0;
    while (sscanf(at, "%ld::%c::%ld::%ld::%*5[0-9]\n%n", &id, &gender, &age, &occ, &used) == 4) {
        assert_true(age == 1 || age == 18 || age == 25 || age == 35 || age == 45 || age == 50 ||
                    age == 56);
        assert_in_range(occ, 0, 20);
        assert_true(gender == 'M' || gender == 'F');
        at += used;
        rows++;
    }
    assert_int_equal(rows, o.n_users);
    free(users);

    CapturedDiag diag;
    Panel *p = load_strict(dir, &diag);
    assert_int_equal(p->format, PANEL_ML1M);
    assert_true(p->ages_banded);
    assert_int_equal(p->n_films, o.n_films);
    assert_int_equal(p->n_ratings + p->sample.ratings_dropped, o.n_ratings);
    assert_int_equal(p->sample.dropped_by_state[STATE_UNKNOWN], 0);
    panel_free(p);
    captured_diag_free(&diag);
    remove_dir(dir);
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void panel_has_the_shape_of_a_real_one(void **state)
{
    (void)state;
    char dir[512];
    make_temp_dir(dir, sizeof dir);
    SynthOptions o;
    synth_options_default(&o); /* the shape of MovieLens 100K */
    SynthSummary sum;
    generate(&o, dir, &sum);
    CapturedDiag diag;
    PanelOptions options;
    panel_options_default(&options);
    options.rules.n_exclude = 0; /* keep everyone: exact totals */
    options.strict = true;
    captured_diag_init(&diag, true);
    Panel *p = NULL;
    assert_int_equal(panel_load_dir(dir, &options, &diag.diag, &p), 0);
    assert_int_equal(p->n_users, o.n_users);
    assert_int_equal(p->n_ratings, o.n_ratings); /* exactly, no duplicates */

    /* ratings per user: at least 20, heavy-tailed */
    uint32_t *per_user = malloc(p->n_users * sizeof *per_user);
    for (size_t u = 0; u < p->n_users; u++)
        per_user[u] = p->user_start[u + 1] - p->user_start[u];
    qsort(per_user, p->n_users, sizeof *per_user, compare_u32);
    uint32_t median = per_user[p->n_users / 2], most = per_user[p->n_users - 1];
    assert_int_equal(per_user[0], 20);
    assert_int_equal(sum.min_user_ratings, 20);
    assert_int_equal(most, sum.max_user_ratings);
    assert_true(most <= synth_max_user_ratings(&o));
    assert_true(median >= 40 && median <= 90); /* MovieLens 100K: 65 */
    assert_true(most >= 6 * median);           /* a long tail (100K: 737) */
    free(per_user);

    /* popularity: the top 10% of films hold at least 40% of the ratings */
    uint32_t *per_film = malloc(p->n_films * sizeof *per_film);
    for (size_t f = 0; f < p->n_films; f++)
        per_film[f] = p->film_start[f + 1] - p->film_start[f];
    qsort(per_film, p->n_films, sizeof *per_film, compare_u32);
    uint64_t top = 0;
    for (size_t f = p->n_films - p->n_films / 10; f < p->n_films; f++)
        top += per_film[f];
    assert_true(top * 100 >= 40 * p->n_ratings);
    free(per_film);

    /* scores skewed high: mean 3.3..3.8 stars, 4 and 5 at least half */
    uint64_t by_score[6] = {0}, total = 0;
    for (size_t i = 0; i < p->n_ratings; i++)
        by_score[panel_stars(p->user_half_stars[i])]++;
    for (int s = 1; s <= 5; s++) {
        total += (uint64_t)s * by_score[s];
        assert_int_equal(by_score[s], sum.ratings_by_score[s]);
        assert_true(by_score[s] * 100 >= 3 * p->n_ratings); /* every score is used */
    }
    assert_true(total * 10 >= 33 * p->n_ratings && total * 10 <= 38 * p->n_ratings);
    assert_true((by_score[4] + by_score[5]) * 2 >= p->n_ratings);
    assert_true(by_score[4] > by_score[3] && by_score[3] > by_score[2] &&
                by_score[2] > by_score[1]);

    /* each segment has users, and its own demographic mix */
    int32_t *truth = read_truth(dir, o.n_users, o.n_segments);
    for (int s = 0; s < o.n_segments; s++)
        assert_true(sum.users_by_segment[s] >= o.n_users / 20);
    double age_mean[SYNTH_MAX_SEGMENTS] = {0};
    for (size_t u = 0; u < p->n_users; u++)
        age_mean[truth[p->users[u].id]] += p->users[u].age;
    double lo = 1e9, hi = 0;
    for (int s = 0; s < o.n_segments; s++) {
        double mean = age_mean[s] / (double)sum.users_by_segment[s];
        lo = mean < lo ? mean : lo;
        hi = mean > hi ? mean : hi;
    }
    assert_true(hi - lo >= 8); /* segments are of different ages */
    free(truth);
    panel_free(p);
    captured_diag_free(&diag);
    remove_dir(dir);
}

static void bad_options_are_refused(void **state)
{
    (void)state;
    char error[512];
    SynthOptions o;
    synth_options_default(&o);
    assert_int_equal(synth_options_check(&o, error, sizeof error), 0);
    o.n_ratings = o.n_users - 1; /* someone would rate nothing */
    assert_int_equal(synth_options_check(&o, error, sizeof error), -1);
    assert_non_null(strstr(error, "ratings"));
    o.n_ratings = (uint64_t)o.n_users * synth_max_user_ratings(&o) + 1;
    assert_int_equal(synth_options_check(&o, error, sizeof error), -1);
    synth_options_default(&o);
    o.n_segments = 0;
    assert_int_equal(synth_options_check(&o, error, sizeof error), -1);
    o.n_segments = 10;
    o.n_users = 9;
    o.n_ratings = 100;
    assert_int_equal(synth_options_check(&o, error, sizeof error), -1);
    synth_options_default(&o);
    o.n_films = 0;
    assert_int_equal(synth_options_check(&o, error, sizeof error), -1);
    /* a path that is a file, not a folder */
    synth_options_default(&o);
    assert_int_equal(synth_write(&o, "/dev/null", NULL, error, sizeof error), -1);
    assert_non_null(strstr(error, "not a folder"));
    /* a tiny panel: every user rates every film */
    char dir[512];
    make_temp_dir(dir, sizeof dir);
    o.n_users = 3;
    o.n_films = 4;
    o.n_ratings = 12;
    o.n_segments = 2;
    SynthSummary sum;
    generate(&o, dir, &sum);
    assert_int_equal(sum.min_user_ratings, 4);
    assert_int_equal(sum.max_user_ratings, 4);
    remove_dir(dir);
}

/* Runs the default pipeline (fewer epochs for speed; the sweep k = 1..kmax)
 * on a generated panel and compares it with truth.csv. */
static void check_recovery(const SynthOptions *o, int kmax, double *ari, int *knee)
{
    char dir[512];
    make_temp_dir(dir, sizeof dir);
    generate(o, dir, NULL);
    CapturedDiag diag;
    Panel *p = load_strict(dir, &diag);
    int32_t *truth_by_id = read_truth(dir, o->n_users, o->n_segments);
    PipelineOptions opts;
    pipeline_options_default(&opts);
    opts.ae.epochs = 30;
    opts.kmax = kmax;
    opts.k = o->n_segments;
    char error[512];
    Segmentation seg;
    assert_int_equal(pipeline_run(p, &opts, NULL, &seg, error, sizeof error), FS_OK);
    int32_t *truth = malloc(seg.n_users * sizeof *truth);
    for (size_t u = 0; u < seg.n_users; u++)
        truth[u] = truth_by_id[seg.user_ids[u]];
    *ari = kmeans_adjusted_rand(segmentation_labels(&seg, o->n_segments), truth, seg.n_users);
    *knee = seg.sweep.knee;
    print_message("%d segments, separation %d: ARI %.3f at k = %d, knee %d\n", o->n_segments,
                  o->separation, *ari, o->n_segments, *knee);
    free(truth);
    free(truth_by_id);
    segmentation_free(&seg);
    panel_free(p);
    captured_diag_free(&diag);
    remove_dir(dir);
}

static void default_pipeline_recovers_planted_segments(void **state)
{
    (void)state;
    SynthOptions o;
    synth_options_default(&o); /* default separation, popularity skew, heavy tail */
    o.n_users = 500;
    o.n_films = 400;
    o.n_ratings = 40000;
    o.n_segments = 5;
    o.seed = 11;
    double ari;
    int knee;
    check_recovery(&o, 29, &ari, &knee);
    assert_true(ari >= 0.9);
}

/* On well-separated panels the knee falls on the true k, over the default
 * sweep k = 1..29. (Plain Kneedle over 1..29 lands on 5 or 6 for 3 or 4
 * segments: a second structure, light and heavy raters within each segment,
 * leaves a long tail of gains; the focused knee does not.) */
static void knee_falls_on_the_true_k_when_well_separated(void **state)
{
    (void)state;
    static const struct {
        int segments, kmax;
    } CASES[] = {{3, 29}, {4, 29}, {5, 29}, {6, 29}};
    for (size_t i = 0; i < N_ELEMS(CASES); i++) {
        SynthOptions o;
        synth_options_default(&o);
        o.n_users = 480;
        o.n_films = 300;
        o.n_ratings = 36000;
        o.n_segments = CASES[i].segments;
        o.separation = 200;
        o.seed = 100 + i;
        double ari;
        int knee;
        check_recovery(&o, CASES[i].kmax, &ari, &knee);
        assert_int_equal(knee, o.n_segments);
        assert_true(ari >= 0.9);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_gives_identical_files),
        cmocka_unit_test(a_failed_write_leaves_the_old_panel),
        cmocka_unit_test(ml100k_loads_strictly_and_keeps_its_users),
        cmocka_unit_test(ml1m_loads_strictly_with_codes),
        cmocka_unit_test(zip_list_gives_listed_codes),
        cmocka_unit_test(panel_has_the_shape_of_a_real_one),
        cmocka_unit_test(bad_options_are_refused),
        cmocka_unit_test(default_pipeline_recovers_planted_segments),
        cmocka_unit_test(knee_falls_on_the_true_k_when_well_separated),
    };
    return cmocka_run_group_tests_name("synth", tests, NULL, NULL);
}
