/* panel.c: panel building (shared by the format loaders), the sample rules,
 * format detection and loading from a folder or the built-in demo; see
 * panel.h and panel_build.h. */
#include "panel_build.h"

#include "filmseg/assets.h"
#include "filmseg/atomic_file.h"
#include "filmseg/bigalloc.h"
#include "filmseg/states.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- age bands (ml-1m's codes; 100K ages are banded the same way) ---- */

static const struct {
    int from;
    const char *label;
} AGE_BANDS[AGE_BAND_COUNT] = {
    {0, "Under 18"}, {18, "18-24"}, {25, "25-34"}, {35, "35-44"},
    {45, "45-49"},   {50, "50-55"}, {56, "56+"},
};

const char *age_band_label(int band)
{
    return band >= 0 && band < AGE_BAND_COUNT ? AGE_BANDS[band].label : "?";
}

int age_band_of(int age)
{
    int band = 0;
    for (int i = 0; i < AGE_BAND_COUNT; i++)
        if (age >= AGE_BANDS[i].from)
            band = i;
    return band;
}

const char *panel_format_name(PanelFormat format)
{
    switch (format) {
    case PANEL_ML100K: return "MovieLens 100K";
    case PANEL_ML1M: return "MovieLens 1M";
    case PANEL_MLCSV: return "MovieLens CSV";
    }
    return "?";
}

/* ---- sample rules ---- */

void panel_options_default(PanelOptions *options)
{
    memset(options, 0, sizeof *options);
    options->rules.exclude[0] = state_find("AK", 2);
    options->rules.exclude[1] = state_find("HI", 2);
    options->rules.n_exclude = 2;
}

bool sample_rules_parse_states(SampleRules *rules, const char *list, char *bad, size_t bad_size)
{
    rules->n_exclude = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        Field item = text_trim((Field){p, len});
        if (item.len) {
            int state = state_find(item.s, item.len);
            if (state == STATE_UNKNOWN || rules->n_exclude == PANEL_MAX_STATES) {
                snprintf(bad, bad_size, "%.*s", (int)item.len, item.s);
                return false;
            }
            rules->exclude[rules->n_exclude++] = state;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return true;
}

/* ---- the builder ---- */

bool panel_build_init(PanelBuilder *b, PanelFormat format, Diag *diag)
{
    memset(b, 0, sizeof *b);
    b->diag = diag;
    b->panel = calloc(1, sizeof *b->panel);
    if (!b->panel)
        return false;
    b->panel->format = format;
    int err;
    PCRE2_SIZE offset;
    b->date_re = pcre2_compile(
        (PCRE2_SPTR) "^([0-9]{1,2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-([0-9]{4})$",
        PCRE2_ZERO_TERMINATED, 0, &err, &offset, NULL);
    b->title_year_re =
        pcre2_compile((PCRE2_SPTR) "\\(([0-9]{4})(?:[-\\x{2013}][0-9]{0,4})?\\)\\s*$",
                      PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &offset, NULL);
    b->match = pcre2_match_data_create(8, NULL);
    if (!b->date_re || !b->title_year_re || !b->match ||
        !idindex_init(&b->panel->user_index, 1024) || !idindex_init(&b->panel->film_index, 1024) ||
        !idindex_init(&b->skipped_users.lines, 16) || !idindex_init(&b->skipped_films.lines, 16)) {
        panel_build_abort(b);
        return false;
    }
    return true;
}

static void free_patterns(PanelBuilder *b)
{
    idindex_free(&b->skipped_users.lines);
    idindex_free(&b->unlisted.ids);
    idindex_free(&b->skipped_films.lines);
    pcre2_code_free(b->date_re);
    pcre2_code_free(b->title_year_re);
    pcre2_match_data_free(b->match);
    b->date_re = b->title_year_re = NULL;
    b->match = NULL;
}

void panel_build_abort(PanelBuilder *b)
{
    /* memory ran out while parsing: said here, where every parser's way
     * out meets (it ended the command with status 2 and not a word) */
    if (b->oom && b->diag && !b->diag->failed)
        diag_fatal(b->diag, "%s: out of memory reading it",
                   b->panel && b->panel->source[0] ? b->panel->source : "the panel");
    free_patterns(b);
    free(b->ratings);
    b->ratings = NULL;
    panel_free(b->panel);
    b->panel = NULL;
}

/* Room for need items: doubling, large arrays on huge pages (bigalloc.h). */
static bool grow(void **array, size_t *cap, size_t need, size_t item_size)
{
    if (need <= *cap)
        return true;
    size_t new_cap = *cap ? *cap * 2 : 256;
    while (new_cap < need)
        new_cap *= 2;
    void *bigger;
    if (new_cap * item_size < BIG_ALLOC_MIN) {
        bigger = realloc(*array, new_cap * item_size);
    } else if ((bigger = big_alloc(new_cap * item_size)) != NULL) {
        if (*cap)
            memcpy(bigger, *array, *cap * item_size);
        free(*array);
    }
    if (!bigger)
        return false;
    *array = bigger;
    *cap = new_cap;
    return true;
}

bool panel_build_add_user(PanelBuilder *b, const PanelUser *user)
{
    Panel *p = b->panel;
    bool oom = false;
    if (!grow((void **)&p->users, &b->users_cap, p->n_users + 1, sizeof *p->users) ||
        (!idindex_put(&p->user_index, user->id, (uint32_t)p->n_users, &oom) && oom)) {
        b->oom = true;
        return false;
    }
    p->users[p->n_users++] = *user;
    return true;
}

bool panel_build_add_person(PanelBuilder *b, int32_t id, int age, char gender, Field zip,
                            Field occupation)
{
    PanelUser user = {
        .id = id, .age = (int16_t)age, .age_band = (uint8_t)age_band_of(age), .gender = gender};
    int index = panel_build_occupation(b, occupation.s, occupation.len);
    if (index < 0)
        return false;
    memcpy(user.zip, zip.s, zip.len);
    user.occupation = (uint16_t)index;
    return panel_build_add_user(b, &user);
}

bool panel_build_add_scored_person(PanelBuilder *b, int32_t id, int age, Field gender, Field zip,
                                   Field occupation, size_t line)
{
    char sex = gender.len == 1 ? (char)toupper((unsigned char)gender.s[0]) : '?';
    bool gender_ok = sex == 'M' || sex == 'F', /* a survey's "m" is M */
        occupation_ok = occupation.len > 0 && occupation.len <= 40,
         zip_ok = zip.len > 0 && zip.len < sizeof((PanelUser *)0)->zip;
    SampleSummary *sample = &b->panel->sample;
    if ((age < 0 || !gender_ok || !occupation_ok || !zip_ok) && sample->users_partial++ == 0) {
        sample->users_partial_line = line;
        sample->users_partial_field = age < 0          ? "age"
                                      : !gender_ok     ? "gender"
                                      : !occupation_ok ? "occupation"
                                                       : "ZIP code";
    }
    return panel_build_add_person(b, id, age < 0 ? -1 : age, gender_ok ? sex : '?',
                                  zip_ok ? zip : (Field){"", 0},
                                  occupation_ok ? occupation : (Field){"", 0});
}

bool panel_build_add_model_films(PanelBuilder *b, const int32_t *film_ids, size_t n_films)
{
    for (size_t f = 0; f < n_films; f++) {
        if (idindex_get(&b->panel->film_index, film_ids[f]) >= 0)
            continue;
        char *title;
        if (asprintf(&title, "film %d", film_ids[f]) < 0 ||
            !panel_build_add_film(b, film_ids[f], title, 0, 0))
            return false;
    }
    return true;
}

/* Control characters in s as spaces: a tab would cut a report's table row
 * (its columns are tab-separated), and a name is one line. */
static void blank_controls(char *s)
{
    for (char *c = s; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
}

/* A name read from a file (an occupation, a genre) as the panel keeps it:
 * UTF-8, control characters as spaces; NULL when memory ran out. */
static char *name_from_file(Field f)
{
    char *name = text_to_utf8(f);
    blank_controls(name);
    return name;
}

bool panel_build_add_film(PanelBuilder *b, int32_t id, char *title, int16_t year, uint32_t genres)
{
    Panel *p = b->panel;
    bool oom = false;
    blank_controls(title);
    if (!title || !grow((void **)&p->films, &b->films_cap, p->n_films + 1, sizeof *p->films) ||
        (!idindex_put(&p->film_index, id, (uint32_t)p->n_films, &oom) && oom)) {
        free(title);
        b->oom = true;
        return false;
    }
    p->films[p->n_films++] = (PanelFilm){id, title, year, genres};
    return true;
}

bool panel_build_add_rating(PanelBuilder *b, uint32_t user, uint32_t film, uint8_t half_stars,
                            uint32_t time, uint32_t line)
{
    if (!grow((void **)&b->ratings, &b->ratings_cap, b->n_ratings + 1, sizeof *b->ratings)) {
        b->oom = true;
        return false;
    }
    b->ratings[b->n_ratings++] = (RawRating){user, film, time, line, half_stars};
    return true;
}

/* The id a skipped line's first field holds: the field, or, where another
 * separator left the line in one field ("10;53;M;lawyer;90703"), the number
 * it begins with, followed by such a separator (';', ',', ':' or a tab; not
 * a space: "12 Angry Men", its id lost, is not film 12). */
static bool skipped_line_id(Field id, long *value)
{
    id = text_trim(id);
    if (text_parse_long(id, 1, INT32_MAX, value))
        return true;
    size_t digits = 0;
    while (digits < id.len && isdigit((unsigned char)id.s[digits]))
        digits++;
    if (digits == 0 || digits == id.len || !id.s[digits] || !strchr(";,:\t", id.s[digits]))
        return false;
    return text_parse_long((Field){id.s, digits}, 1, INT32_MAX, value);
}

bool panel_build_skipped(PanelBuilder *b, SkippedIds *skipped, const char *file, Field id,
                         size_t line)
{
    long value;
    const IdIndex *known =
        skipped == &b->skipped_users ? &b->panel->user_index : &b->panel->film_index;
    if (!skipped_line_id(id, &value) || idindex_get(known, value) >= 0)
        return true; /* no id, or one that appears twice: its ratings are the first's */
    bool oom = false;
    skipped->file = file;
    idindex_put(&skipped->lines, value, (uint32_t)line, &oom);
    b->oom |= oom;
    return !oom;
}

bool panel_build_skipped_line(PanelBuilder *b, SkippedIds *skipped, const char *file, Field line,
                              const char *separator, size_t line_no)
{
    if (!skipped || !separator)
        return true;
    Field id;
    text_split(line, separator, &id, 1);
    return panel_build_skipped(b, skipped, file, id, line_no);
}

bool panel_build_left_out(SkippedIds *skipped, long id)
{
    long line = idindex_get(&skipped->lines, id);
    if (line < 0)
        return false;
    if (skipped->ratings++ == 0) {
        skipped->first_id = id;
        skipped->first_line = (size_t)line;
    }
    return true;
}

void panel_build_note_left_out(PanelBuilder *b, const char *ratings_path, const char *film)
{
    const SkippedIds *kinds[] = {&b->skipped_users, &b->skipped_films};
    const char *what[] = {"user", film};
    for (int i = 0; i < 2; i++) {
        const SkippedIds *s = kinds[i];
        if (s->ratings == 0)
            continue;
        const char *name = strrchr(s->file, '/') ? strrchr(s->file, '/') + 1 : s->file;
        bool one = s->ratings == 1;
        diag_note(b->diag,
                  "%s: %zu rating%s left out: %s %s%s line%s in %s %s skipped (the first: %s %ld, "
                  "line %zu)",
                  ratings_path, s->ratings, one ? "" : "s", one ? "its" : "their", what[i],
                  one ? "'s" : "s'", one ? "" : "s", name, one ? "was" : "were", what[i],
                  s->first_id, s->first_line);
    }
}

/* A rating, to score, of a user the users file does not have: counted. */
static bool panel_build_unlisted(PanelBuilder *b, long user_id, size_t line)
{
    if (b->unlisted.ratings++ == 0) {
        b->unlisted.first_id = user_id;
        b->unlisted.first_line = line;
    }
    if (idindex_get(&b->unlisted.ids, user_id) >= 0)
        return true;
    bool oom = false;
    idindex_put(&b->unlisted.ids, user_id, 1, &oom);
    b->unlisted.users++;
    b->oom |= oom;
    return !oom;
}

/* A rating of these formats: a whole number of stars 1..5, written as one
 * ("4") or with zeros after a point ("4.0": a database's export). */
static bool whole_stars(Field f, long *stars)
{
    Field t = text_trim(f);
    const char *point = memchr(t.s, '.', t.len);
    if (point) {
        size_t whole = (size_t)(point - t.s);
        if (whole + 1 == t.len)
            return false; /* "4." */
        for (size_t i = whole + 1; i < t.len; i++)
            if (t.s[i] != '0')
                return false; /* "4.5": stars in halves are the CSV format's */
        t.len = whole;
    }
    return text_parse_long(t, 1, 5, stars);
}

bool panel_parse_ratings(PanelBuilder *b, const PanelFile *file, const RatingsFormat *format)
{
    LineReader reader;
    Field line, f[5];
    bool ok = true;
    b->ratings_path = file->path;
    line_reader_init(&reader, file->data, file->len);
    size_t lines = 0; /* room for a rating a line, in one go */
    for (const char *p = file->data, *end = p + file->len; p < end; lines++) {
        const char *nl = memchr(p, reader.end, (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    if (!grow((void **)&b->ratings, &b->ratings_cap, b->n_ratings + lines, sizeof *b->ratings)) {
        b->oom = true;
        return false;
    }
    FOR_EACH_LINE(reader, file, line, ok)
    {
        size_t n = text_split(line, format->separator, f, 5), at = reader.line_no;
        long user_id, film_id, score, time = 0, user = -1, film = -1;
        /* new users to score may come without times (a survey's: no fourth
         * field, or an empty one): 0, none known, which weighs their ratings
         * alike */
        bool timeless = b->scoring && (n == 3 || (n == 4 && text_trim(f[3]).len == 0));
        if (n != 4 && !timeless)
            ok = diag_bad_line(b->diag, file->path, at, "%zu field%s, expected %s%s", n,
                               n == 1 ? "" : "s", format->layout,
                               b->scoring ? ", or 3 without the time" : "");
        else if (!text_parse_long(f[0], 1, INT32_MAX, &user_id)) /* as the users files' */
            ok = diag_bad_line(b->diag, file->path, at,
                               "user id '%.*s' is not a whole number 1..2147483647", SHOW(f[0]));
        else if (!text_parse_long(f[1], 1, INT32_MAX, &film_id)) /* as the films files' */
            ok = diag_bad_line(b->diag, file->path, at,
                               "%s id '%.*s' is not a whole number 1..2147483647", format->film,
                               SHOW(f[1]));
        else if (!whole_stars(f[2], &score))
            ok = diag_bad_line(b->diag, file->path, at, "rating '%.*s' is not a whole number 1..5",
                               SHOW(f[2]));
        else if (!timeless && !text_parse_long(f[3], 0, UINT32_MAX, &time))
            ok = diag_bad_line(b->diag, file->path, at,
                               "timestamp '%.*s' is not a whole number 0..4294967295", SHOW(f[3]));
        else if ((user = idindex_get(&b->panel->user_index, user_id)) < 0 &&
                 panel_build_left_out(&b->skipped_users, user_id))
            continue;
        else if (user < 0 && b->scoring && !b->diag->strict)
            ok = panel_build_unlisted(b, user_id, at);
        else if (user < 0)
            ok = diag_bad_line(b->diag, file->path, at, "user %ld is not in %s", user_id,
                               b->users_name ? b->users_name : format->users_file);
        else if ((film = idindex_get(&b->panel->film_index, film_id)) < 0 && b->scoring)
            b->panel->sample.ratings_unknown_film++;
        else if (film < 0 && panel_build_left_out(&b->skipped_films, film_id))
            continue;
        else if (film < 0)
            ok = diag_bad_line(b->diag, file->path, at, "%s %ld is not in %s", format->film,
                               film_id, format->films_file);
        else if (!panel_build_add_rating(b, (uint32_t)user, (uint32_t)film, (uint8_t)(2 * score),
                                         (uint32_t)time, (uint32_t)at))
            return false;
    }
    panel_build_note_left_out(b, file->path, format->film);
    if (b->unlisted.ratings)
        diag_note(b->diag,
                  "%s: %zu rating%s of %zu user%s not in %s left out: %s not scored (the first: "
                  "user %ld, line %zu)",
                  file->path, b->unlisted.ratings, b->unlisted.ratings == 1 ? "" : "s",
                  b->unlisted.users, b->unlisted.users == 1 ? "" : "s",
                  b->users_name ? b->users_name : format->users_file,
                  b->unlisted.users == 1 ? "that user is" : "those users are", b->unlisted.first_id,
                  b->unlisted.first_line);
    return ok;
}

int panel_build_occupation(PanelBuilder *b, const char *label, size_t len)
{
    Panel *p = b->panel;
    char *copy = name_from_file((Field){label, len}); /* compared as kept */
    for (size_t i = 0; copy && i < p->n_occupations; i++)
        if (strcmp(p->occupations[i], copy) == 0) {
            free(copy);
            return (int)i;
        }
    if (!copy || p->n_occupations >= UINT16_MAX ||
        !grow((void **)&p->occupations, &b->occupations_cap, p->n_occupations + 1,
              sizeof *p->occupations)) {
        free(copy);
        b->oom = true;
        return -1;
    }
    p->occupations[p->n_occupations] = copy;
    return (int)p->n_occupations++;
}

int panel_build_genre(PanelBuilder *b, const char *name, size_t len)
{
    Panel *p = b->panel;
    char *copy = name_from_file((Field){name, len}); /* compared as kept */
    if (!copy) {
        b->oom = true;
        return -1;
    }
    for (size_t i = 0; i < p->n_genres; i++)
        if (strcmp(p->genres[i], copy) == 0) {
            free(copy);
            return (int)i;
        }
    if (p->n_genres == PANEL_MAX_GENRES) {
        free(copy);
        return -1;
    }
    p->genres[p->n_genres] = copy;
    return (int)p->n_genres++;
}

static long captured_number(PanelBuilder *b, Field subject, int group)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(b->match);
    long value;
    Field f = {subject.s + ov[2 * group], ov[2 * group + 1] - ov[2 * group]};
    return text_parse_long(f, 0, 9999, &value) ? value : -1;
}

int panel_build_release_year(PanelBuilder *b, Field date)
{
    date = text_trim(date);
    if (date.len == 0)
        return 0;
    if (pcre2_match(b->date_re, (PCRE2_SPTR)date.s, date.len, 0, 0, b->match, NULL) < 0)
        return -1;
    long day = captured_number(b, date, 1), year = captured_number(b, date, 3);
    if (day < 1 || day > 31 || year < 1800 || year > 2200)
        return -1;
    return (int)year;
}

int panel_build_title_year(PanelBuilder *b, Field title)
{
    if (pcre2_match(b->title_year_re, (PCRE2_SPTR)title.s, title.len, 0, PCRE2_NO_UTF_CHECK,
                    b->match, NULL) < 0)
        return 0;
    long year = captured_number(b, title, 1);
    return year >= 1800 && year <= 2200 ? (int)year : 0;
}

/* ---- finishing: states, sample rules, duplicates, CSR and CSC ---- */

/* A rating of a film its user had rated on an earlier line. */
typedef struct {
    uint32_t line, first_line;
    int32_t user, film; /* ids */
} Repeat;

static int by_line(const void *a, const void *b)
{
    uint32_t x = ((const Repeat *)a)->line, y = ((const Repeat *)b)->line;
    return (x > y) - (x < y);
}

static bool user_is_kept(const Panel *p, const PanelUser *u, const SampleRules *rules)
{
    if (!p->has_demographics)
        return true;
    if (u->state == STATE_UNKNOWN)
        return rules->keep_unknown_state;
    for (int i = 0; i < rules->n_exclude; i++)
        if (rules->exclude[i] == u->state)
            return false;
    return true;
}

bool panel_build_require(PanelBuilder *b, const PanelFile *users, const PanelFile *films,
                         const PanelFile *ratings)
{
    /* scoring: a rating of a film the model does not know, or of a user the
     * users file does not list, is a line read, not a malformed one */
    bool none_read =
        b->n_ratings == 0 &&
        !(b->scoring && (b->panel->sample.ratings_unknown_film || b->unlisted.ratings));
    const PanelFile *empty = users && b->panel->n_users == 0   ? users
                             : films && b->panel->n_films == 0 ? films
                             : ratings && none_read            ? ratings
                                                               : NULL;
    if (!empty)
        return true;
    diag_fatal(b->diag, "%s: no valid %s", empty->path,
               empty == users   ? "users"
               : empty == films ? "films"
                                : "ratings");
    return false;
}

static int finish_failed(PanelBuilder *b, const char *why)
{
    diag_fatal(b->diag, "%s: %s", b->panel->source, why);
    panel_build_abort(b);
    return 2;
}

static int compare_user_ids(const void *a, const void *b, void *users)
{
    int32_t x = ((const PanelUser *)users)[*(const uint32_t *)a].id,
            y = ((const PanelUser *)users)[*(const uint32_t *)b].id;
    return (x > y) - (x < y);
}

/* Puts the n kept users in id order, whatever the order of the files (a CSV
 * release's users come in the order of their first rating, and the
 * segments must not depend on it), and new_index (over the n_read users
 * read) with them. False when memory ran out. */
static bool users_in_id_order(PanelUser *users, size_t n, uint32_t *new_index, size_t n_read)
{
    bool sorted = true;
    for (size_t u = 1; u < n && sorted; u++)
        sorted = users[u - 1].id < users[u].id;
    if (sorted)
        return true;
    uint32_t *order = malloc(n * sizeof *order), *rank = malloc(n * sizeof *rank);
    PanelUser *copy = malloc(n * sizeof *copy);
    if (!order || !rank || !copy) {
        free(order);
        free(rank);
        free(copy);
        return false;
    }
    for (size_t u = 0; u < n; u++)
        order[u] = (uint32_t)u;
    qsort_r(order, n, sizeof *order, compare_user_ids, users);
    for (size_t u = 0; u < n; u++) {
        copy[u] = users[order[u]];
        rank[order[u]] = (uint32_t)u;
    }
    memcpy(users, copy, n * sizeof *copy);
    for (size_t u = 0; u < n_read; u++)
        if (new_index[u] != UINT32_MAX)
            new_index[u] = rank[new_index[u]];
    free(order);
    free(rank);
    free(copy);
    return true;
}

int panel_build_finish(PanelBuilder *b, const ZipMap *zips, const SampleRules *rules, Panel **out)
{
    Panel *p = b->panel;
    SampleSummary *s = &p->sample;
    free_patterns(b);
    if (b->oom)
        return finish_failed(b, "out of memory");
    s->users_read = p->n_users;
    s->ratings_read = b->n_ratings;
    s->dropped_unknown_rule = p->has_demographics && !rules->keep_unknown_state;
    s->n_rule_states = p->has_demographics ? rules->n_exclude : 0;
    memcpy(s->rule_states, rules->exclude, sizeof s->rule_states);
    snprintf(p->zip_source, sizeof p->zip_source, "%s", zips->source);
    p->zip_list = zips->exact;
    p->zip_count = zips->exact ? zips->n_zips : 0;

    /* States and the sample rules: new_index[u] is the kept user's index. */
    uint32_t *new_index = malloc((p->n_users + 1) * sizeof *new_index);
    if (!new_index)
        return finish_failed(b, "out of memory");
    size_t kept = 0;
    for (size_t u = 0; u < p->n_users; u++) {
        PanelUser *user = &p->users[u];
        user->state = p->has_demographics ? (uint8_t)zipmap_state(zips, user->zip) : STATE_UNKNOWN;
        if (user_is_kept(p, user, rules)) {
            new_index[u] = (uint32_t)kept;
            p->users[kept++] = *user;
        } else {
            new_index[u] = UINT32_MAX;
            s->dropped_by_state[user->state]++;
            s->users_dropped++;
        }
    }
    if (kept == 0 && s->users_dropped > 0) {
        free(new_index);
        diag_fatal(b->diag,
                   "no users left: the sample rules dropped all %zu (%zu of them of unknown "
                   "state; --keep-unknown-state, --exclude-states and --zips decide)",
                   s->users_dropped, s->dropped_by_state[STATE_UNKNOWN]);
        panel_build_abort(b);
        return 2;
    }
    if (!users_in_id_order(p->users, kept, new_index, p->n_users)) {
        free(new_index);
        return finish_failed(b, "out of memory");
    }
    p->n_users = kept;
    idindex_free(&p->user_index);
    if (!idindex_init(&p->user_index, kept)) {
        free(new_index);
        return finish_failed(b, "out of memory");
    }
    for (size_t u = 0; u < kept; u++)
        idindex_put(&p->user_index, p->users[u].id, (uint32_t)u, NULL);

    /* Counting sort of the kept ratings by user, then each row by film. */
    p->user_start = calloc(kept + 1, sizeof *p->user_start);
    p->film_start = calloc(p->n_films + 1, sizeof *p->film_start);
    RawRating *sorted = big_alloc((b->n_ratings + 1) * sizeof *sorted);
    if (!p->user_start || !p->film_start || !sorted) {
        free(new_index);
        free(sorted);
        return finish_failed(b, "out of memory");
    }
    for (size_t i = 0; i < b->n_ratings; i++) {
        uint32_t u = new_index[b->ratings[i].user];
        if (u == UINT32_MAX)
            s->ratings_dropped++;
        else
            p->user_start[u + 1]++;
    }
    for (size_t u = 0; u < kept; u++)
        p->user_start[u + 1] += p->user_start[u];
    uint32_t *fill = malloc((kept + 1) * sizeof *fill);
    if (!fill) {
        free(new_index);
        free(sorted);
        return finish_failed(b, "out of memory");
    }
    memcpy(fill, p->user_start, (kept + 1) * sizeof *fill);
    /* Two stable counting sorts, by film and then by user, leave each user's
     * ratings by film and, within a film, in line order (the ratings were
     * added line by line from one file). */
    uint32_t *film_at = calloc(p->n_films + 1, sizeof *film_at);
    if (!film_at) {
        free(fill);
        free(new_index);
        free(sorted);
        return finish_failed(b, "out of memory");
    }
    for (size_t i = 0; i < b->n_ratings; i++)
        if (new_index[b->ratings[i].user] != UINT32_MAX)
            film_at[b->ratings[i].film + 1]++;
    for (size_t f = 0; f < p->n_films; f++)
        film_at[f + 1] += film_at[f];
    for (size_t i = 0; i < b->n_ratings; i++) {
        uint32_t u = new_index[b->ratings[i].user];
        if (u != UINT32_MAX) {
            RawRating *r = &sorted[film_at[b->ratings[i].film]++];
            *r = b->ratings[i];
            r->user = u;
        }
    }
    free(film_at);
    RawRating *by_film = sorted;
    sorted = b->ratings; /* as many or more: the dropped users' are gone */
    b->ratings = NULL;
    for (size_t i = 0; i < p->user_start[kept]; i++)
        sorted[fill[by_film[i].user]++] = by_film[i];
    free(fill);
    free(by_film);

    /* Drop repeated (user, film) pairs, keeping the first; each is said in
     * line order (they are found user by user). */
    Repeat *repeats = NULL;
    size_t n_repeats = 0, cap_repeats = 0, n = 0;
    for (size_t u = 0; u < kept; u++) {
        size_t from = p->user_start[u], to = p->user_start[u + 1];
        p->user_start[u] = (uint32_t)n;
        for (size_t i = from; i < to; i++) {
            if (i > from && sorted[i].film == sorted[i - 1].film) {
                if (n_repeats == cap_repeats) {
                    cap_repeats = cap_repeats ? 2 * cap_repeats : 64;
                    Repeat *more = realloc(repeats, cap_repeats * sizeof *repeats);
                    if (!more) {
                        free(repeats);
                        free(new_index);
                        free(sorted);
                        return finish_failed(b, "out of memory");
                    }
                    repeats = more;
                }
                repeats[n_repeats++] = (Repeat){sorted[i].line, sorted[i - 1].line, p->users[u].id,
                                                p->films[sorted[i].film].id};
                continue;
            }
            sorted[n++] = sorted[i];
        }
    }
    if (n_repeats)
        qsort(repeats, n_repeats, sizeof *repeats, by_line);
    for (size_t r = 0; r < n_repeats; r++)
        if (!diag_bad_line(b->diag, b->ratings_path, repeats[r].line,
                           "user %d already rated film %d (line %u)", repeats[r].user,
                           repeats[r].film, repeats[r].first_line)) {
            free(repeats);
            free(new_index);
            free(sorted);
            panel_build_abort(b);
            return 2;
        }
    free(repeats);
    p->user_start[kept] = (uint32_t)n;
    free(new_index);

    p->n_ratings = n;
    p->user_film = malloc((n + 1) * sizeof *p->user_film);
    p->user_half_stars = malloc(n + 1);
    p->user_time = malloc((n + 1) * sizeof *p->user_time);
    p->film_user = malloc((n + 1) * sizeof *p->film_user);
    p->film_half_stars = malloc(n + 1);
    if (!p->user_film || !p->user_half_stars || !p->user_time || !p->film_user ||
        !p->film_half_stars) {
        free(sorted);
        return finish_failed(b, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p->user_film[i] = sorted[i].film;
        p->user_half_stars[i] = sorted[i].half_stars;
        p->user_time[i] = sorted[i].time;
        p->film_start[sorted[i].film + 1]++;
    }
    free(sorted);
    for (size_t f = 0; f < p->n_films; f++)
        p->film_start[f + 1] += p->film_start[f];
    uint32_t *film_fill = malloc((p->n_films + 1) * sizeof *film_fill);
    if (!film_fill)
        return finish_failed(b, "out of memory");
    memcpy(film_fill, p->film_start, (p->n_films + 1) * sizeof *film_fill);
    for (size_t u = 0; u < kept; u++)
        for (uint32_t i = p->user_start[u]; i < p->user_start[u + 1]; i++) {
            uint32_t at = film_fill[p->user_film[i]]++;
            p->film_user[at] = (uint32_t)u;
            p->film_half_stars[at] = p->user_half_stars[i];
        }
    free(film_fill);
    *out = p;
    b->panel = NULL;
    return 0;
}

/* ---- files ---- */

/* Why text_read_file could not give the file at path (err, its answer). */
static void report_unreadable(Diag *diag, const char *path, int err)
{
    if (err < 0) /* a file of another kind than text */
        diag_fatal(diag, "%s: %s", path, text_read_error(err));
    else
        diag_fatal(diag, "%s: cannot read: %s", path, text_read_error(err));
}

const PanelFile *panel_file(const PanelFile *files, size_t n_files, const char *name)
{
    for (size_t i = 0; i < n_files; i++)
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    return NULL;
}

const PanelFile *panel_required_file(PanelBuilder *b, const PanelFile *files, size_t n_files,
                                     const char *name)
{
    const PanelFile *f = panel_file(files, n_files, name);
    if (!f)
        diag_fatal(b->diag, "%s/%s: required file is missing", b->panel->source, name);
    else if (f->len == 0)
        diag_fatal(b->diag, "%s: required file is empty", f->path);
    else
        return f;
    return NULL;
}

/* The files parsed into b: 0, or 2 with b given up. */
static int parse_files(PanelBuilder *b, PanelFormat format, const PanelFile *files, size_t n_files,
                       Diag *diag)
{
    if (!panel_build_init(b, format, diag)) {
        diag_fatal(diag, "out of memory");
        return 2;
    }
    snprintf(b->panel->source, sizeof b->panel->source, "%s",
             n_files && files[0].path && strrchr(files[0].path, '/') ? files[0].path : "panel");
    char *slash = strrchr(b->panel->source, '/');
    if (slash)
        *slash = '\0';
    int rc = format == PANEL_ML100K ? panel_parse_ml100k(b, files, n_files)
             : format == PANEL_ML1M ? panel_parse_ml1m(b, files, n_files)
                                    : panel_parse_mlcsv(b, files, n_files);
    if (rc != 0) {
        panel_build_abort(b);
        return 2;
    }
    return 0;
}

int panel_load_files(PanelFormat format, const PanelFile *files, size_t n_files, const ZipMap *zips,
                     const PanelOptions *options, Diag *diag, Panel **out)
{
    *out = NULL;
    ZipMap builtin;
    if (!zips) {
        zipmap_builtin(&builtin);
        zips = &builtin;
    }
    PanelBuilder b;
    if (parse_files(&b, format, files, n_files, diag) != 0)
        return 2;
    return panel_build_finish(&b, zips, &options->rules, out);
}

/* ---- folders ---- */

static const struct {
    PanelFormat format;
    const char *required[3];
    const char *optional[1];
} FORMATS[] = {
    {PANEL_ML100K, {"u.user", "u.item", "u.data"}, {"u.genre"}},
    {PANEL_ML1M, {"users.dat", "movies.dat", "ratings.dat"}, {NULL}},
    {PANEL_MLCSV, {"ratings.csv", "movies.csv", NULL}, {NULL}},
};

static bool file_exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* File j (0..3) of format i: its required ones (NULL past the last), then
 * its optional one (or NULL). */
static const char *format_file(size_t i, int j)
{
    return j < 3 ? FORMATS[i].required[j] : FORMATS[i].optional[0];
}

unsigned panel_dir_formats(const char *dir)
{
    unsigned formats = 0;
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
        for (int j = 0; j < 4; j++)
            if (format_file(i, j) && file_exists(dir, format_file(i, j)))
                formats |= 1u << FORMATS[i].format;
    return formats;
}

bool panel_output_replaces_input(const char *path, const char *data_dir, const char *zips_path,
                                 char *why, size_t size)
{
    if (data_dir && panel_dir_holds(data_dir, path))
        snprintf(why, size, "a file of the panel in %s", data_dir);
    else if (zips_path && atomic_file_same(path, zips_path))
        snprintf(why, size, "the ZIP list (--zips)");
    else
        return false;
    return true;
}

bool panel_dir_holds(const char *dir, const char *path)
{
    char file[4096];
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
        for (int j = 0; j < 4; j++) {
            if (!format_file(i, j))
                continue;
            snprintf(file, sizeof file, "%s/%s", dir, format_file(i, j));
            if (atomic_file_same(path, file))
                return true;
        }
    return false;
}

static int load_zips(const PanelOptions *options, Diag *diag, ZipMap *zips)
{
    return options->zips_path ? zipmap_load_csv(zips, options->zips_path, diag)
                              : zipmap_builtin(zips);
}

/* A Diag whose messages are held in a buffer until merged (diag_merge). */
typedef struct {
    Diag diag;
    FILE *stream; /* NULL: quiet, as the Diag it stands for */
    char *text;
    size_t len;
} HeldDiag;

static bool held_diag_init(HeldDiag *h, const Diag *like)
{
    memset(h, 0, sizeof *h);
    if (like->out && !(h->stream = open_memstream(&h->text, &h->len)))
        return false;
    diag_init(&h->diag, h->stream, like->strict);
    h->diag.max_per_file = like->max_per_file;
    return true;
}

/* Closes the buffer; merges it into `into` first when given. */
static void held_diag_end(HeldDiag *h, Diag *into)
{
    if (h->stream)
        fclose(h->stream);
    if (into)
        diag_merge(into, &h->diag, h->text, h->len);
    free(h->text);
}

typedef struct {
    const PanelOptions *options;
    HeldDiag held;
    ZipMap zips;
    int rc;
} ZipsLoad;

static void *zips_load_run(void *arg)
{
    ZipsLoad *z = arg;
    z->rc = load_zips(z->options, &z->held.diag, &z->zips);
    return NULL;
}

/* The ZIP list (when one is given) loaded on a thread of its own while the
 * panel's files are parsed, as the list is only needed once the users'
 * states are set (with uszips.csv it was a third of loading ml-100k: 13 of
 * 36 ms). Both hold their messages, which then come out as in a load in
 * turn: the list's first, and when the list fails, nothing of the files'. */
static int load_files_and_zips(PanelFormat format, const PanelFile *files, size_t n_files,
                               const PanelOptions *options, Diag *diag, Panel **out)
{
    *out = NULL;
    ZipsLoad z = {.options = options};
    HeldDiag parse;
    pthread_t thread;
    bool threaded = options->zips_path && held_diag_init(&z.held, diag);
    if (threaded && !held_diag_init(&parse, diag)) {
        held_diag_end(&z.held, NULL);
        threaded = false;
    }
    if (threaded && pthread_create(&thread, NULL, zips_load_run, &z) != 0) {
        held_diag_end(&z.held, NULL);
        held_diag_end(&parse, NULL);
        threaded = false;
    }
    if (!threaded) { /* in turn */
        int rc = load_zips(options, diag, &z.zips);
        if (rc == 0)
            rc = panel_load_files(format, files, n_files, &z.zips, options, diag, out);
        zipmap_free(&z.zips);
        return rc;
    }
    PanelBuilder b;
    int rc = parse_files(&b, format, files, n_files, &parse.diag);
    pthread_join(thread, NULL);
    held_diag_end(&z.held, diag);
    held_diag_end(&parse, z.rc == 0 ? diag : NULL);
    if (z.rc != 0) {
        if (rc == 0)
            panel_build_abort(&b);
        rc = z.rc;
    } else if (rc == 0) {
        b.diag = diag;
        rc = panel_build_finish(&b, &z.zips, &options->rules, out);
    }
    zipmap_free(&z.zips);
    return rc;
}

int panel_load_dir(const char *dir, const PanelOptions *options, Diag *diag, Panel **out)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        diag_fatal(diag, "%s: %s", dir, stat(dir, &st) != 0 ? strerror(errno) : "not a folder");
        return 2;
    }
    int which = -1;
    for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0] && which < 0; i++)
        if (file_exists(dir, FORMATS[i].required[0]))
            which = (int)i;
    for (size_t i = (size_t)which + 1; which >= 0 && i < sizeof FORMATS / sizeof FORMATS[0]; i++)
        if (file_exists(dir, FORMATS[i].required[0]))
            diag_note(diag, "%s holds a %s panel and a %s one: the %s one is read", dir,
                      panel_format_name(FORMATS[which].format),
                      panel_format_name(FORMATS[i].format),
                      panel_format_name(FORMATS[which].format));
    if (which < 0) {
        diag_fatal(diag,
                   "%s: no panel found: expected u.user/u.item/u.data (MovieLens 100K), "
                   "users.dat/movies.dat/ratings.dat (1M) or ratings.csv/movies.csv",
                   dir);
        return 2;
    }
    PanelFile files[4];
    char paths[4][4096];
    char *buffers[4] = {0};
    size_t n = 0;
    int rc = 0;
    const char *names[4] = {format_file((size_t)which, 0), format_file((size_t)which, 1),
                            format_file((size_t)which, 2), format_file((size_t)which, 3)};
    for (int i = 0; i < 4 && rc == 0; i++) {
        if (!names[i])
            continue;
        snprintf(paths[n], sizeof paths[n], "%s/%s", dir, names[i]);
        size_t len;
        int err = text_read_file(paths[n], &buffers[n], &len);
        if (err == ENOENT && i == 3)
            continue;
        if (err) {
            report_unreadable(diag, paths[n], err);
            rc = 2;
            break;
        }
        if (len == 0 && i < 3) {
            diag_fatal(diag, "%s: required file is empty", paths[n]);
            rc = 2;
        }
        files[n] = (PanelFile){names[i], paths[n], buffers[n], len};
        n++;
    }
    if (rc == 0) {
        rc = load_files_and_zips(FORMATS[which].format, files, n, options, diag, out);
        if (*out)
            snprintf((*out)->source, sizeof(*out)->source, "%s", dir);
        const SampleSummary *sample = *out ? &(*out)->sample : NULL;
        if (sample && options->zips_path && file_exists(dir, "truth.csv") &&
            2 * sample->dropped_by_state[STATE_UNKNOWN] > sample->users_read)
            diag_note(diag,
                      "%s looks like a panel of filmseg synth (it has truth.csv): the ZIP list "
                      "finds no state for %zu of its %zu users; synth's codes are invented unless "
                      "it was given this list (read the panel without --zips, or write it with "
                      "synth --zips and this list)",
                      dir, sample->dropped_by_state[STATE_UNKNOWN], sample->users_read);
    }
    for (size_t i = 0; i < 4; i++)
        free(buffers[i]);
    return rc;
}

/* The layout of a ratings file by its first line that is not blank: '::'
 * the 1M format's, a comma a CSV release's, else 100K's u.data (tabs);
 * false when every line is blank (a batch of no users in any layout) or the
 * first one is binary data. */
static bool ratings_layout(const PanelFile *ratings, PanelFormat *layout)
{
    LineReader reader;
    Field line;
    line_reader_init(&reader, ratings->data, ratings->len);
    while (line_reader_next(&reader, &line)) {
        if (text_trim(line).len == 0)
            continue;
        if (text_is_binary(line))
            return false; /* not text: the loader says so, line by line */
        *layout = memmem(line.s, line.len, "::", 2) ? PANEL_ML1M
                  : memchr(line.s, ',', line.len)   ? PANEL_MLCSV
                                                    : PANEL_ML100K;
        return true;
    }
    return false;
}

static const char *ratings_layout_name(PanelFormat layout)
{
    return layout == PANEL_ML1M     ? "MovieLens 1M's ratings.dat (user::movie::rating::time)"
           : layout == PANEL_ML100K ? "MovieLens 100K's u.data (user, item, rating, time)"
                                    : "a CSV ratings.csv (userId,movieId,rating,...)";
}

int panel_parse_for_scoring(const PanelFile *users, const PanelFile *ratings,
                            const int32_t *film_ids, size_t n_films, const PanelOptions *options,
                            Diag *diag, Panel **out)
{
    *out = NULL;
    /* the 1M format when the users file's first line with a separator is
     * '::'-separated (a line of an id alone is either); a CSV release's
     * ratings.csv when there is no users file */
    PanelFormat format = users ? PANEL_ML100K : PANEL_MLCSV;
    bool told = false; /* by a line of the users file */
    LineReader reader;
    Field line;
    if (users)
        line_reader_init(&reader, users->data, users->len);
    while (users && !told && line_reader_next(&reader, &line)) {
        if (memmem(line.s, line.len, "::", 2))
            format = PANEL_ML1M;
        told = format == PANEL_ML1M || memchr(line.s, '|', line.len);
    }
    /* users and ratings in one layout (each parser reads both), said
     * before a line of the ratings is read as another layout's; a users
     * file that tells nothing (no users: an empty batch) takes the
     * ratings' 100K or 1M layout */
    PanelFormat layout;
    bool ratings_told = ratings_layout(ratings, &layout);
    if (users && !told && ratings_told && layout != PANEL_MLCSV)
        format = layout;
    if (ratings_told && layout != format) {
        if (users)
            diag_fatal(diag,
                       "%s: its lines look like %s, but the users file %s is %s; give users and "
                       "ratings in one format",
                       ratings->path, ratings_layout_name(layout), users->path,
                       panel_format_name(format));
        else
            diag_fatal(diag,
                       "%s: its lines look like %s; a model without demographics reads a CSV "
                       "ratings.csv (userId,movieId,rating[,timestamp]) alone",
                       ratings->path, ratings_layout_name(layout));
        return 2;
    }
    ZipMap zips = {0};
    PanelBuilder b;
    int rc = load_zips(options, diag, &zips);
    if (rc == 0 && !panel_build_init(&b, format, diag)) {
        diag_fatal(diag, "out of memory");
        rc = 2;
    } else if (rc == 0) {
        snprintf(b.panel->source, sizeof b.panel->source, "%s",
                 users ? users->path : ratings->path);
        rc = format == PANEL_MLCSV ? panel_parse_ratings_mlcsv(&b, ratings, film_ids, n_films)
             : format == PANEL_ML1M
                 ? panel_parse_users_ratings_ml1m(&b, users, ratings, film_ids, n_films)
                 : panel_parse_users_ratings(&b, users, ratings, film_ids, n_films);
        if (rc != 0)
            panel_build_abort(&b);
        else
            rc = panel_build_finish(&b, &zips, &options->rules, out);
    }
    zipmap_free(&zips);
    return rc;
}

/* Whether buf holds nothing but blanks and line ends. */
static bool only_line_ends(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", buf[i]) || buf[i] == '\0')
            return false;
    return true;
}

int panel_load_for_scoring(const char *users_path, const char *ratings_path,
                           const int32_t *film_ids, size_t n_films, const PanelOptions *options,
                           Diag *diag, Panel **out)
{
    *out = NULL;
    const char *paths[2] = {users_path, ratings_path};
    char *buffers[2] = {0};
    PanelFile files[2] = {{0}};
    int rc = 0;
    for (int i = users_path ? 0 : 1; i < 2 && rc == 0; i++) {
        size_t len;
        int err = text_read_file(paths[i], &buffers[i], &len);
        if (err)
            report_unreadable(diag, paths[i], err);
        rc = err ? 2 : 0; /* empty: a batch of no users, or of users none of whom rated */
        if (!err && only_line_ends(buffers[i], len))
            len = 0; /* a blank line (an export of no rows) is an empty file too */
        files[i] = (PanelFile){i ? "u.data" : "u.user", paths[i], buffers[i], len};
    }
    if (rc == 0)
        rc = panel_parse_for_scoring(users_path ? &files[0] : NULL, &files[1], film_ids, n_films,
                                     options, diag, out);
    if (*out) {
        (*out)->sample.ratings_file_empty = files[1].len == 0;
        (*out)->sample.users_file_empty = users_path && files[0].len == 0;
    }
    free(buffers[0]);
    free(buffers[1]);
    return rc;
}

int panel_load_demo(const PanelOptions *options, Diag *diag, Panel **out)
{
    static const char *names[] = {"u.user", "u.item", "u.data", "u.genre"};
    static const char *paths[] = {"demo/u.user", "demo/u.item", "demo/u.data", "demo/u.genre"};
    PanelFile files[4];
    for (int i = 0; i < 4; i++) {
        Asset a = asset_demo_file(names[i]);
        files[i] = (PanelFile){names[i], paths[i], a.data, a.len};
    }
    int rc = load_files_and_zips(PANEL_ML100K, files, 4, options, diag, out);
    if (*out)
        snprintf((*out)->source, sizeof(*out)->source, "built-in demo panel");
    return rc;
}

void panel_free(Panel *panel)
{
    if (!panel)
        return;
    for (size_t f = 0; f < panel->n_films; f++)
        free(panel->films[f].title);
    for (size_t i = 0; i < panel->n_occupations; i++)
        free(panel->occupations[i]);
    for (size_t g = 0; g < panel->n_genres; g++)
        free(panel->genres[g]);
    free(panel->occupations);
    free(panel->users);
    free(panel->films);
    free(panel->user_start);
    free(panel->user_film);
    free(panel->user_half_stars);
    free(panel->user_time);
    free(panel->film_start);
    free(panel->film_user);
    free(panel->film_half_stars);
    idindex_free(&panel->user_index);
    idindex_free(&panel->film_index);
    free(panel);
}

long panel_film_index(const Panel *panel, int32_t film_id)
{
    return idindex_get(&panel->film_index, film_id);
}

long panel_user_index(const Panel *panel, int32_t user_id)
{
    return idindex_get(&panel->user_index, user_id);
}

size_t panel_films_rated(const Panel *panel)
{
    size_t rated = 0;
    for (size_t f = 0; f < panel->n_films; f++)
        rated += panel->film_start[f + 1] > panel->film_start[f];
    return rated;
}

bool panel_has_rating_times(const Panel *panel)
{
    for (size_t i = 0; i < panel->n_ratings; i++)
        if (panel->user_time[i] != 0)
            return true;
    return false;
}
