/* targets.c: the fuzz targets (see targets.h). For the multi-file formats the
 * first byte picks which file the rest of the input replaces (the others stay
 * small and valid) and whether --strict is on. */
#include "targets.h"

#include "filmseg/panel.h"
#include "filmseg/zipmap.h"

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
                if (panel->user_film[i] >= panel->n_films || panel->user_score[i] < 1 ||
                    panel->user_score[i] > 5)
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
    static const char users[] = "1::F::1::10::48067\n2::M::56::16::70072\n";
    static const char movies[] = "1::Toy Story (1995)::Animation|Children's\n2::B::Drama\n";
    static const char ratings[] = "1::1::5::978300760\n2::2::3::978302109\n";
    PanelFile files[3] = {{"users.dat", "f/users.dat", users, sizeof users - 1},
                          {"movies.dat", "f/movies.dat", movies, sizeof movies - 1},
                          {"ratings.dat", "f/ratings.dat", ratings, sizeof ratings - 1}};
    load(PANEL_ML1M, files, 3, data, size);
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
