/* load_mlcsv.c: the MovieLens CSV releases (ml-latest, ml-25m, ...):
 * movies.csv (movieId,title,genres; quoted titles with commas) and
 * ratings.csv (userId,movieId,rating and optionally timestamp; half stars),
 * read with libcsv by their header names, in any order. A ratings.csv
 * without timestamps gives every rating time 0, as a rating without a time
 * (times only feed recency). There are no demographics: the panel is
 * taste-only. Ratings are kept in half stars (panel.h); the counts by star
 * take a half star as the star above (panel_stars). */
#include "panel_build.h"

#include "filmseg/csv_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    PanelBuilder *b;
    const PanelFile *file;
    const char *names[4];
    int columns[4];       /* where the header has each name; -1: not there */
    size_t n_columns;     /* names to look for */
    size_t n_required;    /* the first n_required names must be there */
    size_t header_fields; /* every row must have as many */
    bool header_seen;
    size_t data_rows; /* rows after the header, blank lines aside */
} CsvFile;

enum { RATING_USER, RATING_FILM, RATING_SCORE, RATING_TIME };

/* ratings.csv's columns: userId, movieId and rating; timestamp if there. */
static CsvFile ratings_csv(PanelBuilder *b, const PanelFile *file)
{
    return (CsvFile){.b = b,
                     .file = file,
                     .names = {"userId", "movieId", "rating", "timestamp"},
                     .n_columns = 4,
                     .n_required = 3};
}

static bool read_header(CsvFile *c, size_t line, const Field *fields, size_t n)
{
    c->header_seen = true;
    c->header_fields = n;
    for (size_t k = 0; k < c->n_columns; k++) {
        c->columns[k] = -1;
        for (size_t i = 0; i < n && i < CSV_MAX_FIELDS; i++) {
            if (!field_equals(text_trim(fields[i]), c->names[k]))
                continue;
            if (c->columns[k] >= 0) { /* which one is meant cannot be told */
                diag_fatal(c->b->diag, "%s:%zu: the header names '%s' twice", c->file->path, line,
                           c->names[k]);
                return false;
            }
            c->columns[k] = (int)i;
        }
        if (k < c->n_required && c->columns[k] < 0) {
            /* one field holding tabs or semicolons: another separator than commas */
            char separator = n == 1 && memchr(fields[0].s, '\t', fields[0].len)  ? '\t'
                             : n == 1 && memchr(fields[0].s, ';', fields[0].len) ? ';'
                                                                                 : 0;
            if (separator)
                diag_fatal(c->b->diag,
                           "%s:%zu: the header's fields are separated by %s, not commas",
                           c->file->path, line, separator == ';' ? "semicolons" : "tabs");
            else
                diag_fatal(c->b->diag, "%s:%zu: the header has no '%s' column", c->file->path, line,
                           c->names[k]);
            return false;
        }
    }
    return true;
}

/* Like text_is_binary, but a quoted field may hold a carriage return (a
 * lone one, in a file whose lines end in LF). It never holds a line feed:
 * csv_rows.c refuses a quoted field that runs over a line break. */
static bool csv_field_is_binary(Field f)
{
    for (size_t i = 0; i < f.len; i++) {
        unsigned char c = (unsigned char)f.s[i];
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return true;
    }
    return false;
}

/* Checks the row's shape; false means "skip it" (*ok says whether to go on).
 * A row of more fields than the header's is malformed too: an unquoted comma
 * in a title or a decimal comma in a rating would otherwise shift the fields
 * after it, and the row be read wrong without a word. */
static bool row_is_usable(CsvFile *c, size_t line, const Field *fields, size_t n, bool *ok)
{
    *ok = true;
    if (n == 1 && text_trim(fields[0]).len == 0)
        return false; /* blank line */
    c->data_rows++;
    if (n != c->header_fields) {
        *ok = diag_bad_line(c->b->diag, c->file->path, line, "%zu field%s, the header has %zu", n,
                            n == 1 ? "" : "s", c->header_fields);
        return false;
    }
    for (size_t i = 0; i < n && i < CSV_MAX_FIELDS; i++)
        if (csv_field_is_binary(fields[i])) {
            *ok = diag_bad_line(c->b->diag, c->file->path, line, "binary data in field %zu", i + 1);
            return false;
        }
    return true;
}

static bool add_film_row(CsvFile *c, size_t line, const Field *fields, size_t n)
{
    PanelBuilder *b = c->b;
    bool ok;
    if (!row_is_usable(c, line, fields, n, &ok))
        return ok;
    Field id_field = fields[c->columns[0]], title = text_trim(fields[c->columns[1]]);
    long id;
    if (!text_parse_long(id_field, 1, INT32_MAX, &id))
        return diag_bad_line(b->diag, c->file->path, line,
                             "movieId '%.*s' is not a whole number 1..2147483647", SHOW(id_field));
    if (idindex_get(&b->panel->film_index, id) >= 0)
        return diag_bad_line(b->diag, c->file->path, line, "movieId %ld appears twice", id);
    if (title.len == 0)
        return diag_bad_line(b->diag, c->file->path, line, "the title is empty");
    uint32_t genres = 0;
    Field names[PANEL_MAX_GENRES + 1];
    size_t count = text_split(fields[c->columns[2]], "|", names, PANEL_MAX_GENRES + 1);
    for (size_t g = 0; g < count && g <= PANEL_MAX_GENRES; g++) {
        Field name = text_trim(names[g]);
        if (name.len == 0 || field_equals(name, "(no genres listed)"))
            continue;
        int index = panel_build_genre(b, name.s, name.len);
        if (index >= 0)
            genres |= 1u << index;
    }
    /* (panel_build_add_film makes a tab, or a carriage return inside quotes,
     * a space; a title never spans lines: csv_rows.c drops a row whose quote
     * is not closed on its line) */
    char *utf8 = text_to_utf8(title);
    int year = utf8 ? panel_build_title_year(b, (Field){utf8, strlen(utf8)}) : 0;
    return panel_build_add_film(b, (int32_t)id, utf8, (int16_t)year, genres);
}

static bool on_film_row(void *ctx, size_t line, const Field *fields, size_t n)
{
    CsvFile *c = ctx;
    PanelBuilder *b = c->b;
    if (!c->header_seen)
        return read_header(c, line, fields, n);
    size_t before = b->panel->n_films;
    bool ok = add_film_row(c, line, fields, n);
    if (b->panel->n_films == before && (size_t)c->columns[0] < n && !b->oom &&
        !panel_build_skipped(b, &b->skipped_films, c->file->path, fields[c->columns[0]], line))
        return false;
    return ok;
}

/* A movies.csv line dropped for a quote not closed on it (a typo in a
 * title): its movieId, when read before the quote, is kept, so that its
 * ratings are left out as one note. */
static bool on_film_dropped(void *ctx, size_t line, const Field *fields, size_t n)
{
    CsvFile *c = ctx;
    if (!c->header_seen || (size_t)c->columns[0] >= n)
        return true;
    return panel_build_skipped(c->b, &c->b->skipped_films, c->file->path, fields[c->columns[0]],
                               line);
}

static bool on_rating_row(void *ctx, size_t line, const Field *fields, size_t n)
{
    CsvFile *c = ctx;
    PanelBuilder *b = c->b;
    bool ok;
    if (!c->header_seen)
        return read_header(c, line, fields, n);
    if (!row_is_usable(c, line, fields, n, &ok))
        return ok;
    Field fu = fields[c->columns[RATING_USER]], ff = fields[c->columns[RATING_FILM]],
          fr = fields[c->columns[RATING_SCORE]];
    long user_id, film_id, time = 0, film; /* 0: a rating without a time */
    double rating;
    if (!text_parse_long(fu, 1, INT32_MAX, &user_id))
        return diag_bad_line(b->diag, c->file->path, line,
                             "userId '%.*s' is not a whole number 1..2147483647", SHOW(fu));
    if (!text_parse_long(ff, 1, INT32_MAX, &film_id)) /* as movies.csv's */
        return diag_bad_line(b->diag, c->file->path, line,
                             "movieId '%.*s' is not a whole number 1..2147483647", SHOW(ff));
    if (!text_parse_double(fr, &rating) || rating < 0.5 || rating > 5.0 ||
        rating * 2 != floor(rating * 2))
        return diag_bad_line(b->diag, c->file->path, line,
                             "rating '%.*s' is not 0.5..5 in half stars", SHOW(fr));
    Field ft = c->columns[RATING_TIME] >= 0 ? fields[c->columns[RATING_TIME]] : (Field){"0", 1};
    if (!text_parse_long(ft, 0, UINT32_MAX, &time))
        return diag_bad_line(b->diag, c->file->path, line,
                             "timestamp '%.*s' is not a whole number 0..4294967295", SHOW(ft));
    if ((film = idindex_get(&b->panel->film_index, film_id)) < 0 && !b->scoring &&
        panel_build_left_out(&b->skipped_films, film_id))
        return true;
    if (film < 0 && !b->scoring)
        return diag_bad_line(b->diag, c->file->path, line, "movieId %ld is not in movies.csv",
                             film_id);
    long user = idindex_get(&b->panel->user_index, user_id);
    if (user < 0) {
        PanelUser fresh = {.id = (int32_t)user_id, .gender = '?'};
        if (!panel_build_add_user(b, &fresh))
            return false;
        user = (long)b->panel->n_users - 1;
    }
    if (film < 0) { /* scoring: a film the model does not know (the user is scored still) */
        b->panel->sample.ratings_unknown_film++;
        return true;
    }
    if (rating != floor(rating))
        b->panel->sample.ratings_half_star++;
    return panel_build_add_rating(b, (uint32_t)user, (uint32_t)film, (uint8_t)(rating * 2),
                                  (uint32_t)time, (uint32_t)line);
}

int panel_parse_ratings_mlcsv(PanelBuilder *b, const PanelFile *ratings, const int32_t *film_ids,
                              size_t n_films)
{
    b->panel->has_demographics = false;
    b->scoring = true;
    if (panel_build_occupation(b, "unknown", 7) < 0 ||
        !panel_build_add_model_films(b, film_ids, n_films))
        return 2;
    CsvFile rows = ratings_csv(b, ratings);
    b->ratings_path = ratings->path;
    if (csv_read_rows(ratings->data, ratings->len, ratings->path, b->diag, on_rating_row, NULL,
                      &rows) != 0 ||
        b->oom)
        return 2;
    if (rows.data_rows == 0) /* empty, or a header alone: a batch of no users */
        return 0;
    return panel_build_require(b, NULL, NULL, ratings) ? 0 : 2;
}

int panel_parse_mlcsv(PanelBuilder *b, const PanelFile *files, size_t n_files)
{
    b->panel->has_demographics = false;
    const PanelFile *ratings = panel_required_file(b, files, n_files, "ratings.csv");
    const PanelFile *films = ratings ? panel_required_file(b, files, n_files, "movies.csv") : NULL;
    if (!films)
        return 2;
    if (panel_build_occupation(b, "unknown", 7) < 0)
        return 2;
    CsvFile movies = {.b = b,
                      .file = films,
                      .names = {"movieId", "title", "genres"},
                      .n_columns = 3,
                      .n_required = 3};
    CsvFile rows = ratings_csv(b, ratings);
    b->ratings_path = ratings->path;
    if (csv_read_rows(films->data, films->len, films->path, b->diag, on_film_row, on_film_dropped,
                      &movies) != 0 ||
        csv_read_rows(ratings->data, ratings->len, ratings->path, b->diag, on_rating_row, NULL,
                      &rows) != 0 ||
        b->oom)
        return 2;
    panel_build_note_left_out(b, ratings->path, "movie");
    if (b->panel->n_users == 0) {
        diag_fatal(b->diag, "%s: no valid ratings", ratings->path);
        return 2;
    }
    return 0;
}
