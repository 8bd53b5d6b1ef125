/* load_ml100k.c: the MovieLens 100K format: u.user and u.item '|'-separated,
 * u.data tab-separated, u.item titles in Latin-1, read as Windows-1252 (a
 * title that is valid UTF-8, as an edited file's may be, is kept as it is),
 * 19 genre flags (names from u.genre when present), release dates such as
 * 01-Jan-1995. */
#include "panel_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *DEFAULT_GENRES[] = {
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western",
};
enum { DEFAULT_GENRE_COUNT = 19 };

static bool parse_genres(PanelBuilder *b, const PanelFile *file)
{
    if (!file) {
        for (int g = 0; g < DEFAULT_GENRE_COUNT; g++)
            panel_build_genre(b, DEFAULT_GENRES[g], strlen(DEFAULT_GENRES[g]));
        return true;
    }
    /* u.genre: "name|index", indexes 0.. in order. */
    LineReader reader;
    Field line, f[3];
    bool ok = true;
    line_reader_init(&reader, file->data, file->len);
    FOR_EACH_LINE(reader, file, line, ok)
    {
        long index;
        if (text_split(line, "|", f, 3) != 2)
            ok = diag_bad_line(b->diag, file->path, reader.line_no,
                               "expected 2 fields 'name|index'");
        else if (!text_parse_long(f[1], 0, PANEL_MAX_GENRES - 1, &index) ||
                 (size_t)index != b->panel->n_genres)
            ok = diag_bad_line(b->diag, file->path, reader.line_no,
                               "genre index '%.*s' should be %zu", SHOW(f[1]), b->panel->n_genres);
        else if (panel_build_genre(b, f[0].s, f[0].len) < 0)
            ok = diag_bad_line(b->diag, file->path, reader.line_no, "too many genres");
    }
    if (ok && b->panel->n_genres == 0)
        return parse_genres(b, NULL);
    return ok;
}

static bool parse_users(PanelBuilder *b, const PanelFile *file)
{
    LineReader reader;
    Field line, f[6];
    bool ok = true;
    line_reader_init(&reader, file->data, file->len);
    FOR_EACH_LINE_OF_IDS(reader, file, line, ok, &b->skipped_users, "|")
    {
        size_t n = text_split(line, "|", f, 6), at = reader.line_no, before = b->panel->n_users;
        long id, age;
        Field gender = text_trim(f[2]), occupation = text_trim(f[3]), zip = text_trim(f[4]);
        /* scoring: a user whose line has other fields than five is scored
         * still (unless --strict), with the fields it lacks unknown, or all
         * of them when it has more (which are which is not known) */
        bool fields_ok = n <= 5, id_ok = text_parse_long(f[0], 1, INT32_MAX, &id);
        if (n != 5 && !(b->scoring && !b->diag->strict && id_ok))
            ok = diag_bad_line(b->diag, file->path, at,
                               "%zu field%s, expected 5 (id|age|gender|occupation|zip)", n,
                               n == 1 ? "" : "s");
        else if (!id_ok)
            ok = diag_bad_line(b->diag, file->path, at,
                               "user id '%.*s' is not a whole number 1..2147483647", SHOW(f[0]));
        else if (idindex_get(&b->panel->user_index, id) >= 0)
            ok = diag_bad_line(b->diag, file->path, at, "user id %ld appears twice", id);
        else if (b->scoring) {
            if (!fields_ok)
                gender = zip = occupation = (Field){"", 0};
            if (!panel_build_add_scored_person(
                    b, (int32_t)id,
                    fields_ok && text_parse_long(f[1], 1, 120, &age) ? (int)age : -1, gender, zip,
                    occupation, at))
                return false;
        } else if (!text_parse_long(f[1], 1, 120, &age))
            ok = diag_bad_line(b->diag, file->path, at, "age '%.*s' is not a number 1..120",
                               SHOW(f[1]));
        else if (!field_equals(gender, "M") && !field_equals(gender, "F"))
            ok =
                diag_bad_line(b->diag, file->path, at, "gender '%.*s' is not M or F", SHOW(gender));
        else if (occupation.len == 0 || occupation.len > 40)
            ok = diag_bad_line(b->diag, file->path, at, "occupation is empty or too long");
        else if (zip.len == 0 || zip.len >= sizeof((PanelUser *)0)->zip)
            ok = diag_bad_line(b->diag, file->path, at, "zip code '%.*s' is empty or too long",
                               SHOW(zip));
        else if (!panel_build_add_person(b, (int32_t)id, (int)age, gender.s[0], zip, occupation))
            return false;
        if (b->panel->n_users == before &&
            !panel_build_skipped(b, &b->skipped_users, file->path, f[0], at))
            return false;
    }
    return ok;
}

static bool parse_films(PanelBuilder *b, const PanelFile *file)
{
    size_t n_genres = b->panel->n_genres, expected = 5 + n_genres;
    LineReader reader;
    Field line, f[5 + PANEL_MAX_GENRES + 1];
    bool ok = true;
    line_reader_init(&reader, file->data, file->len);
    FOR_EACH_LINE_OF_IDS(reader, file, line, ok, &b->skipped_films, "|")
    {
        size_t n = text_split(line, "|", f, expected + 1), at = reader.line_no,
               before = b->panel->n_films;
        long id;
        int year;
        uint32_t genres = 0;
        bool flags_ok = true;
        for (size_t g = 0; n == expected && g < n_genres; g++) {
            Field flag = text_trim(f[5 + g]);
            if (field_equals(flag, "1"))
                genres |= 1u << g;
            else if (!field_equals(flag, "0"))
                flags_ok = false;
        }
        if (n != expected)
            ok = diag_bad_line(b->diag, file->path, at,
                               "%zu field%s, expected %zu (id|title|release date|video date|URL "
                               "and %zu genre flags)",
                               n, n == 1 ? "" : "s", expected, n_genres);
        else if (!text_parse_long(f[0], 1, INT32_MAX, &id))
            ok = diag_bad_line(b->diag, file->path, at,
                               "film id '%.*s' is not a whole number 1..2147483647", SHOW(f[0]));
        else if (idindex_get(&b->panel->film_index, id) >= 0)
            ok = diag_bad_line(b->diag, file->path, at, "film id %ld appears twice", id);
        else if (text_trim(f[1]).len == 0)
            ok = diag_bad_line(b->diag, file->path, at, "the title is empty");
        else if ((year = panel_build_release_year(b, f[2])) < 0)
            ok = diag_bad_line(b->diag, file->path, at,
                               "release date '%.*s' is not like 01-Jan-1995", SHOW(f[2]));
        else if (!flags_ok)
            ok = diag_bad_line(b->diag, file->path, at, "a genre flag is not 0 or 1");
        else {
            Field title = text_trim(f[1]);
            if (year == 0)
                year = panel_build_title_year(b, title);
            if (!panel_build_add_film(b, (int32_t)id, text_to_utf8(title), (int16_t)year, genres))
                return false;
        }
        if (b->panel->n_films == before &&
            !panel_build_skipped(b, &b->skipped_films, file->path, f[0], at))
            return false;
    }
    return ok;
}

static const RatingsFormat RATINGS = {"\t", "4 tab-separated (user, item, rating, time)", "item",
                                      "u.user", "u.item"};

int panel_parse_ml100k(PanelBuilder *b, const PanelFile *files, size_t n_files)
{
    b->panel->has_demographics = true;
    const PanelFile *users = panel_required_file(b, files, n_files, "u.user");
    const PanelFile *films = users ? panel_required_file(b, files, n_files, "u.item") : NULL;
    const PanelFile *ratings = films ? panel_required_file(b, files, n_files, "u.data") : NULL;
    const PanelFile *genres = panel_file(files, n_files, "u.genre");
    if (!ratings)
        return 2;
    if (genres && genres->len == 0)
        genres = NULL;
    bool ok = parse_genres(b, genres) && parse_users(b, users) && parse_films(b, films) &&
              panel_parse_ratings(b, ratings, &RATINGS);
    if (ok && !b->oom)
        ok = panel_build_require(b, users, films, ratings);
    return ok && !b->oom ? 0 : 2;
}

int panel_parse_users_ratings(PanelBuilder *b, const PanelFile *users, const PanelFile *ratings,
                              const int32_t *film_ids, size_t n_films)
{
    b->panel->has_demographics = true;
    b->scoring = true;
    b->users_name = users->path;
    if (!parse_genres(b, NULL) || !panel_build_add_model_films(b, film_ids, n_films))
        return 2;
    if (!parse_users(b, users) || !panel_parse_ratings(b, ratings, &RATINGS) || b->oom)
        return 2;
    /* no ratings at all is a batch of new users, scored on demographics; no
     * users at all, a batch of none (an hour without respondents) */
    return panel_build_require(b, users->len ? users : NULL, NULL, ratings->len ? ratings : NULL)
               ? 0
               : 2;
}
