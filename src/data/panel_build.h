/* panel_build.h (private to src/data): what the format loaders share. A
 * loader parses its files into a PanelBuilder (users, films, raw ratings with
 * their line numbers); panel_build_finish() then maps ZIPs to states, applies
 * the sample rules, drops duplicate ratings and builds the CSR/CSC arrays. */
#ifndef FILMSEG_PANEL_BUILD_H
#define FILMSEG_PANEL_BUILD_H

#include "filmseg/panel.h"
#include "filmseg/text.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* printf arguments showing at most 40 bytes of a field: "%.*s", SHOW(f) */
#define SHOW(f) (int)((f).len > 40 ? 40 : (f).len), (f).s

/* Walks the lines of a file, skipping blank ones and reporting binary ones
 * (whose id, the first field up to `separator`, goes to `skipped` when that
 * is not NULL: panel_build_skipped); the statement after it runs for each
 * other line (needs a PanelBuilder *b). */
#define FOR_EACH_LINE_OF_IDS(reader, file, line, ok, skipped, separator)                           \
    while ((ok) && line_reader_next(&(reader), &(line)))                                           \
        if ((line).len == 0 || text_trim(line).len == 0)                                           \
            continue;                                                                              \
        else if (!(reader).clean && text_is_binary(line))                                          \
            (ok) = diag_bad_line(b->diag, (file)->path, (reader).line_no,                          \
                                 "binary data (control characters)") &&                            \
                   panel_build_skipped_line(b, (skipped), (file)->path, (line), (separator),       \
                                            (reader).line_no);                                     \
        else
#define FOR_EACH_LINE(reader, file, line, ok)                                                      \
    FOR_EACH_LINE_OF_IDS(reader, file, line, ok, NULL, NULL)

typedef struct {
    uint32_t user, film, time, line;
    uint8_t half_stars; /* 2..10 for 1..5 stars */
} RawRating;

/* Ids whose line in the users or films file was skipped as malformed: their
 * ratings are left out and said once (panel_build_note_left_out), not as a
 * malformed ratings line each. */
typedef struct {
    IdIndex lines;     /* id -> its line in that file */
    const char *file;  /* that file */
    size_t ratings;    /* ratings left out for them */
    long first_id;     /* the first such rating's */
    size_t first_line; /* and the line of its id in that file */
} SkippedIds;

typedef struct {
    Panel *panel;
    Diag *diag;
    SkippedIds skipped_users, skipped_films;
    size_t users_cap, films_cap, occupations_cap;
    RawRating *ratings;
    size_t n_ratings, ratings_cap;
    const char *ratings_path; /* for duplicate-rating messages */
    /* scoring users against a model: ratings of films the model does not
     * know are counted in panel->sample.ratings_unknown_film, not errors,
     * and every user is read (see panel_build_add_scored_person) */
    bool scoring;
    /* scoring: users who rated but have no line in the users file; their
     * ratings are left out and said once, not as a malformed line each
     * (--strict stops at the first) */
    struct {
        IdIndex ids;
        size_t users, ratings;
        long first_id;
        size_t first_line; /* in the ratings file */
    } unlisted;
    const char *users_name; /* the users file as ratings' messages name it */
    bool oom;
    /* PCRE2 patterns: a release date (01-Jan-1995) and a year at the end of a
     * title ("Toy Story (1995)"). */
    pcre2_code *date_re, *title_year_re;
    pcre2_match_data *match;
} PanelBuilder;

bool panel_build_init(PanelBuilder *b, PanelFormat format, Diag *diag);
void panel_build_abort(PanelBuilder *b);
/* Each add returns false only when memory ran out (b->oom). Callers check ids
 * for duplicates with idindex_get first. */
bool panel_build_add_user(PanelBuilder *b, const PanelUser *user);
/* A user as the MovieLens files describe one, every field checked by the
 * caller: age in years, gender 'M' or 'F', a ZIP shorter than PanelUser's
 * and an occupation label (added to the occupations when new). */
bool panel_build_add_person(PanelBuilder *b, int32_t id, int age, char gender, Field zip,
                            Field occupation);
/* A film; takes title (malloc'd; NULL: out of memory), whose control
 * characters (a tab, a carriage return inside CSV quotes) become spaces:
 * tables are cut at tabs, and a title is one line. */
bool panel_build_add_film(PanelBuilder *b, int32_t id, char *title, int16_t year, uint32_t genres);
bool panel_build_add_rating(PanelBuilder *b, uint32_t user, uint32_t film, uint8_t half_stars,
                            uint32_t time, uint32_t line);
/* A line of the users (or films) file whose id field reads as a new id
 * was skipped: its id is kept, so that its ratings are left out as one note
 * (false: out of memory). */
bool panel_build_skipped(PanelBuilder *b, SkippedIds *skipped, const char *file, Field id,
                         size_t line);
/* The same for a whole line whose first field, up to separator, is the id
 * (nothing when skipped is NULL). */
bool panel_build_skipped_line(PanelBuilder *b, SkippedIds *skipped, const char *file, Field line,
                              const char *separator, size_t line_no);
/* A rating of an id skipped so: counted, true; false for any other id. */
bool panel_build_left_out(SkippedIds *skipped, long id);
/* Says, once, how many ratings of the file were left out so (film: what
 * the format calls a film, "item", "movie"). */
void panel_build_note_left_out(PanelBuilder *b, const char *ratings_path, const char *film);
/* Index of an occupation label, added when new; -1 when out of memory. */
int panel_build_occupation(PanelBuilder *b, const char *label, size_t len);
/* Index of a genre name, added when new; -1 when the table is full. */
int panel_build_genre(PanelBuilder *b, const char *name, size_t len);
/* Year of "01-Jan-1995": 0 for an empty field, -1 when malformed. */
int panel_build_release_year(PanelBuilder *b, Field date);
/* Year at the end of a title, 0 when none. */
int panel_build_title_year(PanelBuilder *b, Field title);
/* Finishes the panel (see above) and frees the builder. */
int panel_build_finish(PanelBuilder *b, const ZipMap *zips, const SampleRules *rules, Panel **out);

/* A MovieLens 100K or 1M ratings file: user, film, rating 1..5 and time on
 * each line, split by `separator`. The other fields name things in the
 * messages as the format does. */
typedef struct {
    const char *separator; /* "\t", "::" */
    const char *layout;    /* the fields, for a line of the wrong shape */
    const char *film;      /* what the format calls a film: "item", "movie" */
    const char *users_file, *films_file;
} RatingsFormat;
/* Adds every rating of the file. A bad line is reported naming the file,
 * line and field (and ends the parse unless the diag keeps going); a film
 * the panel does not know is counted and left out when b->scoring.
 * Returns false on a bad line or when memory ran out (b->oom). */
bool panel_parse_ratings(PanelBuilder *b, const PanelFile *file, const RatingsFormat *format);

/* After parsing: false (fatal, in diag) when the users file (when given)
 * gave no user, the films file no film, or the ratings file no rating (its
 * ratings of films a model does not know aside): every line was malformed,
 * or the file is of another format. */
bool panel_build_require(PanelBuilder *b, const PanelFile *users, const PanelFile *films,
                         const PanelFile *ratings);

/* The format parsers. Each returns 0 or 2 (fatal, reason in diag). */
int panel_parse_ml100k(PanelBuilder *b, const PanelFile *files, size_t n_files);
int panel_parse_ml1m(PanelBuilder *b, const PanelFile *files, size_t n_files);
int panel_parse_mlcsv(PanelBuilder *b, const PanelFile *files, size_t n_files);
/* Users and ratings against a given list of film ids (scoring): u.user and
 * u.data, or in the 1M format users.dat and ratings.dat. */
/* A CSV release's ratings.csv alone against a model's films (scoring a
 * taste-only model): its users are those who rated. */
int panel_parse_ratings_mlcsv(PanelBuilder *b, const PanelFile *ratings, const int32_t *film_ids,
                              size_t n_films);
int panel_parse_users_ratings(PanelBuilder *b, const PanelFile *users, const PanelFile *ratings,
                              const int32_t *film_ids, size_t n_films);
int panel_parse_users_ratings_ml1m(PanelBuilder *b, const PanelFile *users,
                                   const PanelFile *ratings, const int32_t *film_ids,
                                   size_t n_films);
/* A user to score (from that line of the users file): production scores
 * everyone, so a demographic field that is missing or malformed is taken as
 * unknown (age < 0, gender '?', no occupation, no ZIP) and the user counted
 * in panel->sample.users_partial (the first one's line and field kept),
 * where a panel's loader skips the line. */
bool panel_build_add_scored_person(PanelBuilder *b, int32_t id, int age, Field gender, Field zip,
                                   Field occupation, size_t line);
/* The films of a model (their ids, "film ID" for titles), for scoring. */
bool panel_build_add_model_films(PanelBuilder *b, const int32_t *film_ids, size_t n_films);

/* The file of that name, or NULL. */
const PanelFile *panel_file(const PanelFile *files, size_t n_files, const char *name);
/* A required file: NULL (and a fatal diag) when absent or empty. */
const PanelFile *panel_required_file(PanelBuilder *b, const PanelFile *files, size_t n_files,
                                     const char *name);

#endif
