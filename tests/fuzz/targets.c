/* targets.c: the fuzz targets (see targets.h). For the multi-file formats the
 * first byte picks which file the rest of the input replaces (the others stay
 * small and valid) and whether --strict is on; so for the files to score,
 * whose format follows the users file (or its absence). The model target takes a model
 * file's payload and gives it a right header and checksum, so that the
 * fuzzer reaches the fields behind them. */
#include "targets.h"

#include "filmseg/export.h"
#include "filmseg/model.h"
#include "filmseg/panel.h"
#include "filmseg/profile.h"
#include "filmseg/report.h"
#include "filmseg/zipmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void load(PanelFormat format, PanelFile *files, size_t n_files, const uint8_t *data,
                 size_t size)
{
    if (size < 1)
        return;
    size_t which = data[0] % n_files;
    bool strict = data[0] & 0x80;
    char *copy = malloc(size); /* an exact-size buffer so ASan sees overreads */
    if (!copy)
        return;
    memcpy(copy, data + 1, size - 1);
    files[which].data = copy;
    files[which].len = size - 1;
    PanelOptions options;
    panel_options_default(&options);
    options.strict = strict;
    Diag diag;
    diag_init(&diag, NULL, strict);
    Panel *panel = NULL;
    if (panel_load_files(format, files, n_files, NULL, &options, &diag, &panel) == 0) {
        /* touch what the loader built */
        for (size_t u = 0; u < panel->n_users; u++)
            for (uint32_t i = panel->user_start[u]; i < panel->user_start[u + 1]; i++)
                if (panel->user_film[i] >= panel->n_films || panel->user_half_stars[i] < 1 ||
                    panel->user_half_stars[i] > 10)
                    abort();
        for (size_t f = 0; f < panel->n_films; f++)
            if (strlen(panel->films[f].title) == 0)
                abort();
    }
    panel_free(panel);
    free(copy);
}

int fuzz_ml100k(const uint8_t *data, size_t size)
{
    static const char users[] = "1|23|M|technician|85711\n2|52|F|other|94043\n";
    static const char items[] = "1|A (1995)|01-Jan-1995||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                                "2|B|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n";
    static const char ratings[] = "1\t1\t5\t1\n2\t2\t3\t2\n";
    static const char genres[] = "unknown|0\nAction|1\n";
    PanelFile files[4] = {{"u.user", "f/u.user", users, sizeof users - 1},
                          {"u.item", "f/u.item", items, sizeof items - 1},
                          {"u.data", "f/u.data", ratings, sizeof ratings - 1},
                          {"u.genre", "f/u.genre", genres, 0}};
    load(PANEL_ML100K, files, 4, data, size);
    return 0;
}

int fuzz_ml1m(const uint8_t *data, size_t size)
{
    static const char users[] = "1::F::1::10::48104\n2::M::56::16::70112\n";
    static const char movies[] = "1::Toy Story (1995)::Animation|Children's\n2::B::Drama\n";
    static const char ratings[] = "1::1::5::978300760\n2::2::3::978302109\n";
    PanelFile files[3] = {{"users.dat", "f/users.dat", users, sizeof users - 1},
                          {"movies.dat", "f/movies.dat", movies, sizeof movies - 1},
                          {"ratings.dat", "f/ratings.dat", ratings, sizeof ratings - 1}};
    load(PANEL_ML1M, files, 3, data, size);
    return 0;
}

int fuzz_score(const uint8_t *data, size_t size)
{
    static const char users_100k[] = "7|23|M|technician|85711\n8|52|F||\n";
    static const char users_1m[] = "7::F::1::10::48104\n8::M::56::16::70112\n";
    static const char ratings_100k[] = "7\t1\t5\t1\n8\t3\t3\t2\n";
    static const char ratings_1m[] = "7::1::5::978300760\n8::2::3::978302109\n";
    static const char ratings_csv[] = "userId,movieId,rating,timestamp\n7,1,4.5,1\n8,9,2,1\n";
    static const int32_t films[3] = {1, 2, 3};
    if (size < 1)
        return 0;
    int layout = (data[0] & 3) % 3; /* 0: 100K, 1: 1M, 2: a ratings.csv alone */
    bool replace_users = data[0] & 4, strict = data[0] & 0x80;
    char *copy = malloc(size); /* an exact-size buffer so ASan sees overreads */
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    PanelFile users = {"u.user", "f/users", layout == 1 ? users_1m : users_100k,
                       layout == 1 ? sizeof users_1m - 1 : sizeof users_100k - 1};
    PanelFile ratings = {"u.data", "f/ratings",
                         layout == 0   ? ratings_100k
                         : layout == 1 ? ratings_1m
                                       : ratings_csv,
                         layout == 0   ? sizeof ratings_100k - 1
                         : layout == 1 ? sizeof ratings_1m - 1
                                       : sizeof ratings_csv - 1};
    PanelFile *fuzzed = replace_users && layout != 2 ? &users : &ratings;
    fuzzed->data = copy;
    fuzzed->len = size - 1;
    PanelOptions options;
    panel_options_default(&options);
    options.strict = strict;
    options.rules.keep_unknown_state = true; /* as score: no sample rules */
    options.rules.n_exclude = 0;
    Diag diag;
    diag_init(&diag, NULL, strict);
    Panel *panel = NULL;
    if (panel_parse_for_scoring(layout == 2 ? NULL : &users, &ratings, films, 3, &options, &diag,
                                &panel) == 0)
        for (size_t u = 0; u < panel->n_users; u++)
            for (uint32_t i = panel->user_start[u]; i < panel->user_start[u + 1]; i++)
                if (panel->user_film[i] >= panel->n_films || panel->user_half_stars[i] < 1 ||
                    panel->user_half_stars[i] > 10)
                    abort();
    panel_free(panel);
    free(copy);
    return 0;
}

int fuzz_mlcsv(const uint8_t *data, size_t size)
{
    static const char movies[] = "movieId,title,genres\n1,\"A, The (1995)\",Drama|Comedy\n";
    static const char ratings[] = "userId,movieId,rating,timestamp\n1,1,3.5,1\n";
    PanelFile files[2] = {{"ratings.csv", "f/ratings.csv", ratings, sizeof ratings - 1},
                          {"movies.csv", "f/movies.csv", movies, sizeof movies - 1}};
    load(PANEL_MLCSV, files, 2, data, size);
    return 0;
}

int fuzz_zips(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    Diag diag;
    diag_init(&diag, NULL, false);
    ZipMap map;
    if (zipmap_parse_csv(&map, copy, size, "f/zips.csv", &diag) == 0) {
        if (zipmap_state(&map, "02139") < 0)
            abort();
    }
    zipmap_free(&map);
    free(copy);
    return 0;
}

/* What score, report and export do with a model, on a small panel whose
 * users and films overlap the seed models' (ids 1..3). */
static void use_model(const Segmentation *seg)
{
    static const char users[] =
        "1|23|M|technician|85711\n2|52|F|other|94043\n3|30|M|nobody|00000\n";
    static const char items[] = "1|A (1995)|01-Jan-1995||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                                "2|B|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n"
                                "99|C|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n";
    static const char ratings[] = "1\t1\t5\t1\n1\t2\t2\t7\n2\t2\t3\t2\n3\t99\t4\t3\n";
    PanelFile files[3] = {{"u.user", "f/u.user", users, sizeof users - 1},
                          {"u.item", "f/u.item", items, sizeof items - 1},
                          {"u.data", "f/u.data", ratings, sizeof ratings - 1}};
    PanelOptions options;
    panel_options_default(&options);
    options.rules.keep_unknown_state = true;
    Diag diag;
    diag_init(&diag, NULL, false);
    Panel *panel = NULL;
    if (panel_load_files(PANEL_ML100K, files, 3, NULL, &options, &diag, &panel) != 0)
        abort(); /* the panel above is valid */
    FILE *sink = fopen("/dev/null", "w");
    size_t width = segmentation_classifier_width(seg);
    width = width > seg->dim ? width : seg->dim;
    float *row = malloc((width + 1) * sizeof *row), *proba = malloc((size_t)seg->k * sizeof *proba);
    uint32_t *col = malloc((seg->n_films + 1) * sizeof *col);
    float *value = malloc((seg->n_films + 1) * sizeof *value);
    uint32_t *time = malloc((seg->n_films + 1) * sizeof *time);
    int32_t *labels = malloc((panel->n_users + 1) * sizeof *labels);
    if (!sink || !row || !proba || !col || !value || !time || !labels)
        abort();
    const KmeansResult *km = &seg->sweep.results[seg->k - 1];
    for (size_t u = 0; u < panel->n_users; u++) {
        size_t n = segmentation_user_ratings(seg, panel, u, col, value, time);
        if (segmentation_feature_row(seg, panel, &panel->users[u], n, col, value, time, row) == 0) {
            int nearest = kmeans_assign_nearest(km->centroids, seg->k, seg->dim, row);
            if (nearest < -1 || nearest >= seg->k)
                abort();
        }
        segmentation_classifier_row(seg, panel, &panel->users[u], n, col, value, row);
        int segment = classifier_predict_proba(&seg->classifier, row, proba);
        if (segment < 0 || segment >= seg->k)
            abort();
    }
    for (int k = 1; k <= seg->sweep.kmax; k++) {
        if (segmentation_panel_labels(seg, k, panel, labels) < 0)
            abort();
        for (int t = 0; t < EXPORT_COUNT; t++)
            export_write((ExportTable)t, seg, k, panel, labels, sink);
    }
    Profile everyone;
    if (profile_compute(panel, NULL, 0, &everyone) == 0) {
        if (segmentation_panel_labels(seg, seg->k, panel, labels) < 0)
            abort();
        report_training(seg, seg->k, panel, FORMAT_TEXT, sink);
        report_segments(panel, seg->k, labels, &everyone, FORMAT_MARKDOWN, sink);
        profile_free(&everyone);
    }
    fclose(sink);
    free(row);
    free(proba);
    free(col);
    free(value);
    free(time);
    free(labels);
    panel_free(panel);
}

uint8_t *fuzz_model_file(const uint8_t *payload, size_t size, size_t *len)
{
    *len = 24 + size + 8;
    uint8_t *buf = malloc(*len); /* exact size, so that ASan sees overreads */
    if (!buf)
        return NULL;
    uint32_t version = MODEL_VERSION, reserved = 0;
    uint64_t length = size;
    memcpy(buf, "FILMSEG\x1a", 8);
    memcpy(buf + 8, &version, 4);
    memcpy(buf + 12, &reserved, 4);
    memcpy(buf + 16, &length, 8);
    if (size)
        memcpy(buf + 24, payload, size);
    uint64_t sum = model_checksum(buf, *len - 8);
    memcpy(buf + *len - 8, &sum, 8);
    return buf;
}

int fuzz_model(const uint8_t *data, size_t size)
{
    size_t len;
    uint8_t *buf = fuzz_model_file(data, size, &len);
    if (!buf)
        return 0;
    Segmentation seg;
    char error[512] = "";
    if (model_decode(&seg, buf, len, "f/model.fsm", error, sizeof error) == 0) {
        use_model(&seg);
        segmentation_free(&seg);
    } else if (!error[0]) {
        abort(); /* a refusal says why */
    }
    free(buf);
    return 0;
}
