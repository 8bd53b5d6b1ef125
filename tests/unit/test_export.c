/* test_export.c: unit tests of the CSV export: field quoting, table names,
 * the model-only tables (labels, elbow) on a sweep built by hand, and the
 * panel tables (segments, profiles, genres, top, heatmap, distinctive) on a panel
 * small enough to count by hand, with a user the model does not know, and
 * saving to a file (all or nothing). */
#include "test_util.h"

#include "filmseg/export.h"

#include <math.h>
#include <unistd.h>

/* What fn wrote to a memory stream (free it). */
static char *captured(int (*fn)(void *ctx, FILE *out), void *ctx, int *status)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    *status = fn(ctx, f);
    fclose(f);
    return text;
}

typedef struct {
    ExportTable table;
    const Segmentation *seg;
    int k;
    const Panel *panel;
    const int32_t *labels;
    const char *field;
} Job;

static int run_export(void *ctx, FILE *out)
{
    const Job *j = ctx;
    return export_write(j->table, j->seg, j->k, j->panel, j->labels, out);
}

static int run_field(void *ctx, FILE *out)
{
    csv_write_field(out, ((const Job *)ctx)->field);
    return 0;
}

static char *field_text(const char *field)
{
    Job j = {.field = field};
    int status;
    return captured(run_field, &j, &status);
}

static void quoting(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {{"Fargo (1996)", "Fargo (1996)"},
                 {"Godfather, The (1972)", "\"Godfather, The (1972)\""},
                 {"a \"quoted\" word", "\"a \"\"quoted\"\" word\""},
                 {"two\nlines", "\"two\nlines\""},
                 {"", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = field_text(cases[i].in);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void table_names(void **state)
{
    (void)state;
    for (int t = 0; t < EXPORT_COUNT; t++)
        assert_int_equal(export_table_find(export_table_name((ExportTable)t)), t);
    assert_int_equal(export_table_find("nonsense"), -1);
    assert_int_equal(export_table_find(NULL), -1);
    assert_false(export_table_needs_panel(EXPORT_LABELS));
    assert_false(export_table_needs_panel(EXPORT_ELBOW));
    assert_true(export_table_needs_panel(EXPORT_TOP));
}

/* A model of users 1..4 with a sweep k = 1..3 (k = 2 chosen, knee at 2). The
 * panel's user 5 is not in it. */
static void small_model(Segmentation *seg)
{
    memset(seg, 0, sizeof *seg);
    seg->n_users = 4;
    seg->user_ids = malloc(4 * sizeof *seg->user_ids);
    for (int u = 0; u < 4; u++)
        seg->user_ids[u] = u + 1;
    seg->k = 2;
    seg->sweep.kmax = 3;
    seg->sweep.knee = 2;
    seg->sweep.results = calloc(3, sizeof *seg->sweep.results);
    seg->sweep.silhouette = malloc(3 * sizeof *seg->sweep.silhouette);
    static const int32_t labels[3][4] = {{0, 0, 0, 0}, {0, 0, 1, 1}, {0, 1, 2, 2}};
    static const double inertia[3] = {10, 4, 3};
    static const double silhouette[3] = {NAN, 0.5, 0.25};
    for (int k = 1; k <= 3; k++) {
        KmeansResult *r = &seg->sweep.results[k - 1];
        r->k = k;
        r->n = 4;
        r->labels = malloc(4 * sizeof *r->labels);
        memcpy(r->labels, labels[k - 1], sizeof labels[k - 1]);
        r->inertia = inertia[k - 1];
        seg->sweep.silhouette[k - 1] = silhouette[k - 1];
    }
}

static char *export_text(ExportTable table, const Segmentation *seg, int k, const Panel *panel,
                         const int32_t *labels)
{
    Job j = {table, seg, k, panel, labels, NULL};
    int status;
    char *text = captured(run_export, &j, &status);
    assert_int_equal(status, FS_OK);
    return text;
}

static void model_tables(void **state)
{
    (void)state;
    Segmentation seg;
    small_model(&seg);
    char *text = export_text(EXPORT_LABELS, &seg, 2, NULL, NULL);
    assert_string_equal(text, "user_id,segment\n1,0\n2,0\n3,1\n4,1\n");
    free(text);
    text = export_text(EXPORT_LABELS, &seg, 3, NULL, NULL); /* another k of the sweep */
    assert_string_equal(text, "user_id,segment\n1,0\n2,1\n3,2\n4,2\n");
    free(text);
    /* chosen: the k exported, as the other tables of the export have it */
    text = export_text(EXPORT_ELBOW, &seg, 3, NULL, NULL);
    assert_string_equal(text, "k,inertia,drop,silhouette,stability,knee,chosen,"
                              "weakest_segment_stability\n"
                              "1,10.000000,,,,0,0,\n"
                              "2,4.000000,0.600000,0.500000,,1,0,\n"
                              "3,3.000000,0.250000,0.250000,,0,1,\n");
    free(text);
    /* with the stability measured */
    seg.sweep.stability = malloc(3 * sizeof *seg.sweep.stability);
    seg.sweep.stability_resamples = 5;
    for (int k = 1; k <= 3; k++)
        seg.sweep.stability[k - 1] = 1.0 / k;
    /* each segment's: the weakest of k's is the last column */
    seg.sweep.segment_stability = malloc(6 * sizeof *seg.sweep.segment_stability);
    const double segments[6] = {1.0, 0.9, 0.7, 0.8, 0.4, 0.95}; /* k = 1; 2; 3 */
    memcpy(seg.sweep.segment_stability, segments, sizeof segments);
    text = export_text(EXPORT_ELBOW, &seg, 2, NULL, NULL);
    assert_string_equal(text, "k,inertia,drop,silhouette,stability,knee,chosen,"
                              "weakest_segment_stability\n"
                              "1,10.000000,,,1.000000,0,0,1.000000\n"
                              "2,4.000000,0.600000,0.500000,0.500000,1,1,0.700000\n"
                              "3,3.000000,0.250000,0.250000,0.333333,0,0,0.400000\n");
    free(text);
    /* k outside the sweep, or a panel table without the panel */
    char *none = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&none, &len);
    assert_int_equal(export_write(EXPORT_LABELS, &seg, 4, NULL, NULL, f), FS_ERROR);
    assert_int_equal(export_write(EXPORT_LABELS, &seg, 0, NULL, NULL, f), FS_ERROR);
    assert_int_equal(export_write(EXPORT_TOP, &seg, 2, NULL, NULL, f), FS_ERROR);
    fclose(f);
    assert_int_equal(len, 0);
    free(none);
    segmentation_free(&seg);
}

/* The three-film panel's labels at k = 2 through the model (user 5 unknown). */
static void panel_labels(const Segmentation *seg, const Panel *p, int32_t *labels)
{
    assert_int_equal(segmentation_panel_labels(seg, 2, p, labels), 4);
    for (size_t u = 0; u < p->n_users; u++)
        if (p->users[u].id == 5)
            assert_int_equal(labels[u], -1);
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *s = text; (s = strstr(s, line)); s++)
        if ((s == text || s[-1] == '\n') && s[n] == '\n')
            return true;
    return false;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void panel_tables(void **state)
{
    (void)state;
    Segmentation seg;
    small_model(&seg);
    Panel *p = three_film_panel();
    int32_t labels[5];
    panel_labels(&seg, p, labels);

    /* segment 0 = users 1 (20 M) and 2 (31 F), 4 ratings, mean 5; segment 1 =
     * users 3 (40 M) and 4 (17 F), 3 ratings (5, 4, 4); all: 5 users, 8 ratings */
    char *text = export_text(EXPORT_SEGMENTS, &seg, 2, p, labels);
    assert_true(has_line(text, "segment,users,share,ratings,mean_rating,male_share,age_mean,"
                               "age_median,stability,liked_year_median,in_short"));
    /* every film came out in 1995 (the ITEM lines' date) */
    /* in short: both segments are 5 or more years younger than everyone (33.6)
     * and half women against 40%; their occupations hold fewer than 5 users */
    assert_true(has_line(text, "all,5,1.000000,8,4.2500,0.600000,33.6000,31,,1995,"));
    assert_true(
        has_line(text, "0,2,0.400000,4,5.0000,0.500000,25.5000,25.5,,1995,younger; more women"));
    assert_true(
        has_line(text, "1,2,0.400000,3,4.3333,0.500000,28.5000,28.5,,1995,younger; more women"));
    assert_int_equal(count_lines(text), 4);
    free(text);
    /* with each segment's stability measured: k = 2's are entries 1 and 2 */
    seg.sweep.segment_stability = calloc(6, sizeof(double));
    seg.sweep.segment_stability[1] = 0.75;
    seg.sweep.segment_stability[2] = 0.5;
    text = export_text(EXPORT_SEGMENTS, &seg, 2, p, labels);
    assert_true(has_line(text, "all,5,1.000000,8,4.2500,0.600000,33.6000,31,,1995,"));
    assert_true(has_line(
        text, "0,2,0.400000,4,5.0000,0.500000,25.5000,25.5,0.750000,1995,younger; more women"));
    assert_true(has_line(
        text, "1,2,0.400000,3,4.3333,0.500000,28.5000,28.5,0.500000,1995,younger; more women"));
    free(text);
    /* k = 3: segments 0 and 1 hold one training user each, an outlier each:
     * no stability (a 1 read as highly stable), segment 2's as measured */
    seg.sweep.segment_stability[3] = seg.sweep.segment_stability[4] = 1.0;
    seg.sweep.segment_stability[5] = 0.9;
    int32_t labels3[5];
    assert_int_equal(segmentation_panel_labels(&seg, 3, p, labels3), 4);
    text = export_text(EXPORT_SEGMENTS, &seg, 3, p, labels3);
    for (int s = 0; s < 3; s++) {
        char start[16];
        snprintf(start, sizeof start, "\n%d,", s);
        const char *row = strstr(text, start);
        assert_non_null(row);
        const char *end = strchr(row + 1, '\n');
        size_t len = end ? (size_t)(end - row) : strlen(row);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)len, row + 1);
        assert_non_null(strstr(line, s < 2 ? ",,1995," : ",0.900000,1995,"));
    }
    free(text);

    /* writers: everyone 2 of 5 (users 1, 4); segment 0 has user 1: 1 of 2,
     * index (1/2) / (2/5) * 100 = 125 */
    text = export_text(EXPORT_PROFILES, &seg, 2, p, labels);
    assert_true(has_line(text, "all,occupation,writer,2,0.400000,100.0"));
    assert_true(has_line(text, "0,occupation,writer,1,0.500000,125.0"));
    assert_true(has_line(text, "1,occupation,artist,0,0.000000,0.0")); /* zero rows kept */
    assert_true(has_line(text, "0,gender,M,1,0.500000,83.3"));
    free(text);

    /* top: film 10 and film 5 both have two 5-star ratings in segment 0; ties by id */
    text = export_text(EXPORT_TOP, &seg, 2, p, labels);
    assert_true(has_line(text, "segment,score,rank,film_id,title,count"));
    assert_true(has_line(text, "0,5,1,5,Five (1990),2"));
    assert_true(has_line(text, "0,5,2,10,Ten (1990),2"));
    assert_true(has_line(text, "1,4,1,7,Seven (1991),1"));
    assert_true(has_line(text, "all,1,1,5,Five (1990),1"));
    free(text);

    /* heatmap: no film has over 100 ratings, so the sample is the most-rated
     * films (all three), in id order; segment 1 rated film 10 once (4 stars):
     * one of its 3 likes against 3 of everyone's 7, a lift of 7/9 */
    text = export_text(EXPORT_HEATMAP, &seg, 2, p, labels);
    assert_true(has_line(text, "all,10,Ten (1990),3,0.000000,0.000000,0.000000,0.333333,"
                               "0.666667,1.0000"));
    assert_true(has_line(text, "1,10,Ten (1990),1,0.000000,0.000000,0.000000,1.000000,"
                               "0.000000,0.7778"));
    assert_int_equal(count_lines(text), 1 + 3 * 3);
    free(text);

    /* distinctive: a 2-user segment needs films rated by 3 of its users: none */
    text = export_text(EXPORT_DISTINCTIVE, &seg, 2, p, labels);
    assert_string_equal(text, "segment,rank,film_id,title,ratings,share_1,share_2,share_3,"
                              "share_4,share_5,lift\n");
    free(text);
    panel_free(p);
    segmentation_free(&seg);
}

/* The three-film panel with genres: film 10 Drama, film 5 Comedy and Drama,
 * film 7 Action. Everyone's likes: film 10 three, film 5 two (user 5's 1
 * star is not one), film 7 two: 7, of them Drama 5, Comedy 2, Action 2. */
static void genre_table(void **state)
{
    (void)state;
    Segmentation seg;
    small_model(&seg);
    Panel *p = three_film_panel_of(
        "10|Ten (1990)|01-Jan-1990||u|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
        "5|Five (1990)|01-Jan-1990||u|0|0|0|0|0|1|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
        "7|Seven (1991)|01-Jan-1991||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
    int32_t labels[5];
    panel_labels(&seg, p, labels);
    char *text = export_text(EXPORT_GENRES, &seg, 2, p, labels);
    assert_true(has_line(text, "segment,genre,ratings,likes,share,index"));
    /* every index here is empty: under 10 likes, too few to say, as the
     * report's "-" (test_profile checks the index where there are enough) */
    assert_true(has_line(text, "all,Drama,6,5,0.714286,"));
    assert_true(has_line(text, "all,Western,0,0,0.000000,"));
    /* segment 0 (users 1, 2): 4 likes, all Drama, half Comedy */
    assert_true(has_line(text, "0,Drama,4,4,1.000000,"));
    assert_true(has_line(text, "0,Comedy,2,2,0.500000,"));
    assert_true(has_line(text, "0,Action,0,0,0.000000,"));
    /* segment 1 (users 3, 4): 3 likes, one Drama, two Action */
    assert_true(has_line(text, "1,Drama,1,1,0.333333,"));
    assert_true(has_line(text, "1,Action,2,2,0.666667,"));
    assert_int_equal(count_lines(text), 1 + 3 * p->n_genres);
    free(text);
    panel_free(p);
    segmentation_free(&seg);
}

static void saved_files(void **state)
{
    (void)state;
    Segmentation seg;
    small_model(&seg);
    char dir[] = "/tmp/filmseg-export-XXXXXX", path[256], error[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/elbow.csv", dir);
    assert_int_equal(export_save(EXPORT_ELBOW, &seg, 2, NULL, NULL, path, error, sizeof error),
                     FS_OK);
    char *text = file_text(path), *want = export_text(EXPORT_ELBOW, &seg, 2, NULL, NULL);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
    free(want);
    /* refused before anything is written: the earlier file stays */
    assert_int_equal(export_save(EXPORT_LABELS, &seg, 9, NULL, NULL, path, error, sizeof error),
                     FS_ERROR);
    assert_non_null(strstr(error, "k=9 is not in the model's sweep (1..3)"));
    assert_int_equal(export_save(EXPORT_TOP, &seg, 2, NULL, NULL, path, error, sizeof error),
                     FS_ERROR);
    assert_non_null(strstr(error, "needs the panel"));
    text = file_text(path);
    assert_non_null(strstr(text, "k,inertia"));
    free(text);
    /* a folder that is not there: the message names the path */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.csv", dir);
    assert_int_equal(export_save(EXPORT_ELBOW, &seg, 2, NULL, NULL, missing, error, sizeof error),
                     FS_ERROR);
    assert_non_null(strstr(error, missing));
    assert_non_null(strstr(error, "cannot write"));
    /* nothing but the one file is left in the folder (no temporary files) */
    char command[512];
    snprintf(command, sizeof command, "test \"$(ls -A %s)\" = elbow.csv", dir);
    assert_int_equal(system(command), 0);
    unlink(path);
    rmdir(dir);
    segmentation_free(&seg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quoting),      cmocka_unit_test(table_names),
        cmocka_unit_test(model_tables), cmocka_unit_test(panel_tables),
        cmocka_unit_test(genre_table),  cmocka_unit_test(saved_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
