/* load_ml1m.c: the MovieLens 1M format: users.dat, movies.dat, ratings.dat,
 * '::'-separated. Age and occupation codes become the 100K panel's bands and
 * labels; genres are names separated by '|'. */
#include "panel_build.h"

#include <stdlib.h>
#include <string.h>

/* ml-1m occupation codes 0..20 as the 100K panel's labels. */
static const char *OCCUPATIONS_1M[21] = {
    "other",     "educator",  "artist",    "administrator", "student", "other",      "healthcare",
    "executive", "other",     "homemaker", "student",       "lawyer",  "programmer", "retired",
    "marketing", "scientist", "other",     "technician",    "other",   "none",       "writer",
};

/* 1M's age codes: the lower bounds of its seven bands. */
static bool age_code_valid(long age)
{
    return age == 1 || age == 18 || age == 25 || age == 35 || age == 45 || age == 50 || age == 56;
}

static bool parse_users(PanelBuilder *b, const PanelFile *file)
{
    LineReader reader;
    Field line, f[6];
    bool ok = true;
    line_reader_init(&reader, file->data, file->len);
    FOR_EACH_LINE_OF_IDS(reader, file, line, ok, &b->skipped_users, "::")
    {
        size_t n = text_split(line, "::", f, 6), at = reader.line_no, before = b->panel->n_users;
        long id, age, occ;
        Field gender = text_trim(f[1]), zip = text_trim(f[4]);
        /* scoring: a user whose line has other fields than five is scored
         * still (unless --strict), with the fields it lacks unknown, or all
         * of them when it has more (which are which is not known) */
        bool fields_ok = n <= 5, id_ok = text_parse_long(f[0], 1, INT32_MAX, &id);
        if (n != 5 && !(b->scoring && !b->diag->strict && id_ok))
            ok = diag_bad_line(b->diag, file->path, at,
                               "%zu field%s, expected 5 (id::gender::age::occupation::zip)", n,
                               n == 1 ? "" : "s");
        else if (!id_ok)
            ok = diag_bad_line(b->diag, file->path, at,
                               "user id '%.*s' is not a whole number 1..2147483647", SHOW(f[0]));
        else if (idindex_get(&b->panel->user_index, id) >= 0)
            ok = diag_bad_line(b->diag, file->path, at, "user id %ld appears twice", id);
        else if (b->scoring) {
            bool age_ok = fields_ok && text_parse_long(f[2], 1, 56, &age) && age_code_valid(age),
                 occupation_ok = fields_ok && text_parse_long(f[3], 0, 20, &occ);
            if (!fields_ok)
                gender = zip = (Field){"", 0};
            Field occupation = occupation_ok
                                   ? (Field){OCCUPATIONS_1M[occ], strlen(OCCUPATIONS_1M[occ])}
                                   : (Field){"", 0};
            if (!panel_build_add_scored_person(b, (int32_t)id, age_ok ? (int)age : -1, gender, zip,
                                               occupation, at))
                return false;
        } else if (!field_equals(gender, "M") && !field_equals(gender, "F"))
            ok =
                diag_bad_line(b->diag, file->path, at, "gender '%.*s' is not M or F", SHOW(gender));
        else if (!text_parse_long(f[2], 1, 56, &age) || !age_code_valid(age))
            ok = diag_bad_line(b->diag, file->path, at,
                               "age code '%.*s' is not one of 1, 18, 25, 35, 45, 50, 56",
                               SHOW(f[2]));
        else if (!text_parse_long(f[3], 0, 20, &occ))
            ok = diag_bad_line(b->diag, file->path, at,
                               "occupation code '%.*s' is not a number 0..20", SHOW(f[3]));
        else if (zip.len == 0 || zip.len >= sizeof((PanelUser *)0)->zip)
            ok = diag_bad_line(b->diag, file->path, at, "zip code '%.*s' is empty or too long",
                               SHOW(zip));
        else if (!panel_build_add_person(b, (int32_t)id, (int)age, gender.s[0], zip,
                                         (Field){OCCUPATIONS_1M[occ], strlen(OCCUPATIONS_1M[occ])}))
            return false;
        if (b->panel->n_users == before &&
            !panel_build_skipped(b, &b->skipped_users, file->path, f[0], at))
            return false;
    }
    return ok;
}

static bool parse_films(PanelBuilder *b, const PanelFile *file)
{
    LineReader reader;
    Field line, f[4];
    bool ok = true;
    line_reader_init(&reader, file->data, file->len);
    FOR_EACH_LINE_OF_IDS(reader, file, line, ok, &b->skipped_films, "::")
    {
        size_t n = text_split(line, "::", f, 4), at = reader.line_no, before = b->panel->n_films;
        long id;
        Field title = text_trim(f[1]);
        if (n != 3)
            ok = diag_bad_line(b->diag, file->path, at,
                               "%zu field%s, expected 3 (id::title::genres)", n, n == 1 ? "" : "s");
        else if (!text_parse_long(f[0], 1, INT32_MAX, &id))
            ok = diag_bad_line(b->diag, file->path, at,
                               "film id '%.*s' is not a whole number 1..2147483647", SHOW(f[0]));
        else if (idindex_get(&b->panel->film_index, id) >= 0)
            ok = diag_bad_line(b->diag, file->path, at, "film id %ld appears twice", id);
        else if (title.len == 0)
            ok = diag_bad_line(b->diag, file->path, at, "the title is empty");
        else {
            uint32_t genres = 0;
            Field names[PANEL_MAX_GENRES + 1];
            size_t count = text_split(f[2], "|", names, PANEL_MAX_GENRES + 1);
            for (size_t g = 0; g < count && g <= PANEL_MAX_GENRES; g++) {
                Field name = text_trim(names[g]);
                int index = name.len ? panel_build_genre(b, name.s, name.len) : -1;
                if (index >= 0)
                    genres |= 1u << index;
            }
            char *utf8 = text_to_utf8(title);
            Field converted = {utf8, utf8 ? strlen(utf8) : 0};
            int year = utf8 ? panel_build_title_year(b, converted) : 0;
            if (!panel_build_add_film(b, (int32_t)id, utf8, (int16_t)year, genres))
                return false;
        }
        if (b->panel->n_films == before &&
            !panel_build_skipped(b, &b->skipped_films, file->path, f[0], at))
            return false;
    }
    return ok;
}

static const RatingsFormat RATINGS = {"::", "4 (user::movie::rating::time)", "movie", "users.dat",
                                      "movies.dat"};

int panel_parse_users_ratings_ml1m(PanelBuilder *b, const PanelFile *users,
                                   const PanelFile *ratings, const int32_t *film_ids,
                                   size_t n_films)
{
    b->panel->has_demographics = true;
    b->panel->ages_banded = true;
    b->scoring = true;
    b->users_name = users->path;
    if (!panel_build_add_model_films(b, film_ids, n_films) || !parse_users(b, users) ||
        !panel_parse_ratings(b, ratings, &RATINGS) || b->oom)
        return 2;
    /* no ratings at all is a batch of new users, scored on demographics; no
     * users at all, a batch of none (an hour without respondents) */
    return panel_build_require(b, users->len ? users : NULL, NULL, ratings->len ? ratings : NULL)
               ? 0
               : 2;
}

int panel_parse_ml1m(PanelBuilder *b, const PanelFile *files, size_t n_files)
{
    b->panel->has_demographics = true;
    b->panel->ages_banded = true;
    const PanelFile *users = panel_required_file(b, files, n_files, "users.dat");
    const PanelFile *films = users ? panel_required_file(b, files, n_files, "movies.dat") : NULL;
    const PanelFile *ratings = films ? panel_required_file(b, files, n_files, "ratings.dat") : NULL;
    if (!ratings)
        return 2;
    bool ok =
        parse_users(b, users) && parse_films(b, films) && panel_parse_ratings(b, ratings, &RATINGS);
    if (ok && !b->oom)
        ok = panel_build_require(b, users, films, ratings);
    return ok && !b->oom ? 0 : 2;
}
