/* export.c: a model's segments as CSV tables; see export.h. */
#include "filmseg/export.h"

#include "filmseg/atomic_file.h"
#include "filmseg/heatmap.h"
#include "filmseg/profile.h"
#include "filmseg/states.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const TABLE_NAMES[EXPORT_COUNT] = {"labels", "elbow", "segments", "profiles",
                                                      "genres", "top",   "heatmap",  "distinctive"};

const char *export_table_name(ExportTable table)
{
    return table >= 0 && table < EXPORT_COUNT ? TABLE_NAMES[table] : "?";
}

int export_table_find(const char *name)
{
    for (int t = 0; t < EXPORT_COUNT; t++)
        if (name && strcmp(name, TABLE_NAMES[t]) == 0)
            return t;
    return -1;
}

bool export_table_needs_panel(ExportTable table)
{
    return table != EXPORT_LABELS && table != EXPORT_ELBOW;
}

void csv_write_field(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

/* A number, or an empty field when it is not finite. */
static void write_number(FILE *out, const char *fmt, double value)
{
    if (isfinite(value))
        fprintf(out, fmt, value);
}

static double share(size_t part, size_t whole)
{
    return whole ? (double)part / (double)whole : NAN;
}

/* The segment's share of a category over everyone's, times 100. */
static double index_of(size_t part, size_t whole, size_t all_part, size_t all_whole)
{
    double a = share(part, whole), b = share(all_part, all_whole);
    return b > 0 ? 100 * a / b : NAN;
}

/* "all" for the whole sample (segment -1), else the segment number. */
static void write_segment(FILE *out, int segment)
{
    if (segment < 0)
        fputs("all", out);
    else
        fprintf(out, "%d", segment);
}

/* ---- tables that need only the model ---- */

static void write_labels(const Segmentation *seg, const int32_t *labels, FILE *out)
{
    fputs("user_id,segment\n", out);
    for (size_t u = 0; u < seg->n_users; u++)
        fprintf(out, "%d,%d\n", seg->user_ids[u], labels[u]);
}

/* chosen: k, the segmentation the other tables of an export describe (the
 * model's k, or the one asked for); the weakest segment's stability last
 * (added after the others: a column's place does not change) */
static void write_elbow(const Segmentation *seg, int k, FILE *out)
{
    fputs("k,inertia,drop,silhouette,stability,knee,chosen,weakest_segment_stability\n", out);
    for (int j = 1; j <= seg->sweep.kmax; j++) {
        double inertia = seg->sweep.results[j - 1].inertia;
        double prev = j > 1 ? seg->sweep.results[j - 2].inertia : NAN;
        fprintf(out, "%d,%.6f,", j, inertia);
        write_number(out, "%.6f", prev > 0 ? (prev - inertia) / prev : NAN);
        fputc(',', out);
        write_number(out, "%.6f", seg->sweep.silhouette[j - 1]);
        fputc(',', out);
        write_number(out, "%.6f", seg->sweep.stability ? seg->sweep.stability[j - 1] : NAN);
        fprintf(out, ",%d,%d,", j == seg->sweep.knee, j == k);
        write_number(out, "%.6f", kmeans_weakest_segment_stability(&seg->sweep, j));
        fputc('\n', out);
    }
}

/* ---- tables that describe the panel's users ---- */

/* stability: the segment's (kmeans_segment_stability), NAN for the whole
 * sample or when not measured */
static void write_segment_row(FILE *out, const Panel *panel, int segment, const Profile *p,
                              const Profile *all, double stability)
{
    write_segment(out, segment);
    fprintf(out, ",%zu,", p->n_users);
    write_number(out, "%.6f", share(p->n_users, all->n_users));
    fprintf(out, ",%zu,", p->n_ratings);
    write_number(out, "%.4f", p->n_ratings ? p->rating_mean : NAN);
    fputc(',', out);
    bool demo = p->has_demographics && p->n_users;
    write_number(out, "%.6f", demo ? share(p->n_male, p->n_users) : NAN);
    fputc(',', out);
    bool ages = demo && !p->ages_banded;
    write_number(out, "%.4f", ages ? p->age_mean : NAN);
    fputc(',', out);
    write_number(out, "%g", ages ? p->age_median : NAN);
    fputc(',', out);
    write_number(out, "%.6f", stability);
    fputc(',', out);
    if (p->liked_year_median)
        fprintf(out, "%d", p->liked_year_median);
    fputc(',', out);
    if (segment >= 0) {
        char headline[512];
        profile_headline(panel, p, all, headline, sizeof headline);
        csv_write_field(out, headline);
    }
    fputc('\n', out);
}

static void write_category(FILE *out, int segment, const char *dimension, const char *category,
                           size_t count, const Profile *p, size_t all_count, const Profile *all)
{
    write_segment(out, segment);
    fprintf(out, ",%s,", dimension);
    csv_write_field(out, category);
    fprintf(out, ",%zu,", count);
    write_number(out, "%.6f", share(count, p->n_users));
    fputc(',', out);
    write_number(out, "%.1f", index_of(count, p->n_users, all_count, all->n_users));
    fputc('\n', out);
}

static size_t state_count_of(const Profile *p, int index)
{
    for (size_t i = 0; i < p->n_states; i++)
        if (p->states[i].index == index)
            return p->states[i].count;
    return 0;
}

/* Every category of the whole sample, in its order, so that each segment
 * lists the same categories (zero counts included). */
static void write_profile_rows(FILE *out, const Panel *panel, int segment, const Profile *p,
                               const Profile *all)
{
    if (!all->has_demographics)
        return;
    write_category(out, segment, "gender", "M", p->n_male, p, all->n_male, all);
    write_category(out, segment, "gender", "F", p->n_female, p, all->n_female, all);
    for (int b = 0; b < AGE_BAND_COUNT; b++)
        write_category(out, segment, "age", age_band_label(b), p->age_bands[b], p,
                       all->age_bands[b], all);
    for (size_t i = 0; i < all->n_occupations; i++) {
        int o = all->occupations[i].index;
        write_category(out, segment, "occupation", panel->occupations[o],
                       profile_occupation_count(p, o), p, all->occupations[i].count, all);
    }
    for (size_t i = 0; i < all->n_states; i++) {
        int s = all->states[i].index;
        write_category(out, segment, "state", state_info(s)->name, state_count_of(p, s), p,
                       all->states[i].count, all);
    }
}

static void write_genre_rows(FILE *out, const Panel *panel, int segment, const Profile *p,
                             const Profile *all)
{
    for (size_t g = 0; g < panel->n_genres && g < PANEL_MAX_GENRES; g++) {
        write_segment(out, segment);
        fputc(',', out);
        csv_write_field(out, panel->genres[g]);
        fprintf(out, ",%zu,%zu,", p->genre_ratings[g], p->genre_likes[g]);
        write_number(out, "%.6f", share(p->genre_likes[g], p->n_likes));
        fputc(',', out);
        /* empty under PROFILE_FEW_RATINGS likes, as the report's "-": too few to say */
        write_number(out, "%.1f", profile_genre_index(p, all, (int)g));
        fputc('\n', out);
    }
}

static void write_top_rows(FILE *out, const Panel *panel, int segment, const Profile *p)
{
    for (int score = 5; score >= 1; score--)
        for (size_t r = 0; r < p->n_top[score]; r++) {
            const FilmCount *fc = &p->top[score][r];
            write_segment(out, segment);
            fprintf(out, ",%d,%zu,%d,", score, r + 1, panel->films[fc->film].id);
            csv_write_field(out, panel->films[fc->film].title);
            fprintf(out, ",%zu\n", fc->count);
        }
}

/* rank 0: no rank column (the heatmap sample) */
static void write_heat_row(FILE *out, const Panel *panel, int segment, size_t rank,
                           const HeatRow *row)
{
    write_segment(out, segment);
    if (rank)
        fprintf(out, ",%zu", rank);
    fprintf(out, ",%d,", panel->films[row->film].id);
    csv_write_field(out, panel->films[row->film].title);
    fprintf(out, ",%zu", row->ratings);
    for (int s = 1; s <= 5; s++)
        fprintf(out, ",%.6f", row->share[s]);
    fputc(',', out);
    write_number(out, "%.4f", row->lift);
    fputc('\n', out);
}

static int write_heat_rows(FILE *out, ExportTable table, const Panel *panel, const int32_t *labels,
                           int segment, const uint32_t *sample, size_t n_sample)
{
    uint32_t films[HEATMAP_FILMS];
    const uint32_t *list = sample;
    size_t n = n_sample;
    if (table == EXPORT_DISTINCTIVE) {
        if (segment < 0)
            return FS_OK; /* the whole sample has no distinctive films */
        n = heatmap_distinctive(panel, labels, segment, HEATMAP_FILMS, films);
        list = films;
    }
    HeatRow rows[HEATMAP_FILMS];
    heatmap_rows(panel, segment < 0 ? NULL : labels, segment, list, n, rows);
    for (size_t i = 0; i < n; i++)
        write_heat_row(out, panel, segment, table == EXPORT_DISTINCTIVE ? i + 1 : 0, &rows[i]);
    return FS_OK;
}

static const char *panel_header(ExportTable table)
{
    switch (table) {
    case EXPORT_SEGMENTS:
        return "segment,users,share,ratings,mean_rating,male_share,age_mean,age_median,"
               "stability,liked_year_median,in_short\n";
    case EXPORT_PROFILES: return "segment,dimension,category,users,share,index\n";
    case EXPORT_GENRES: return "segment,genre,ratings,likes,share,index\n";
    case EXPORT_TOP: return "segment,score,rank,film_id,title,count\n";
    case EXPORT_HEATMAP:
        return "segment,film_id,title,ratings,share_1,share_2,share_3,share_4,share_5,lift\n";
    default:
        return "segment,rank,film_id,title,ratings,share_1,share_2,share_3,share_4,share_5,"
               "lift\n";
    }
}

/* A segment's stability as the tables give it: none for a segment of one
 * training user (an outlier, not a segment: it comes back "whole" by
 * itself, a 1 that reads as highly stable), as the report reads it. */
static double segment_stability(const KmeansSweep *sweep, int k, int segment)
{
    const KmeansResult *r = &sweep->results[k - 1];
    size_t n = 0;
    for (size_t u = 0; u < r->n && n < 2; u++)
        n += r->labels[u] == segment;
    return n == 1 ? NAN : kmeans_segment_stability(sweep, k, segment);
}

/* The whole sample first (segment -1), then each segment. */
static int write_panel_table(ExportTable table, const KmeansSweep *sweep, int k, const Panel *panel,
                             const int32_t *labels, FILE *out)
{
    Profile all;
    if (profile_compute(panel, NULL, 0, &all) != FS_OK)
        return FS_ERROR;
    uint32_t sample[HEATMAP_FILMS];
    size_t n_sample = table == EXPORT_HEATMAP ? heatmap_sample(panel, HEATMAP_MIN_RATINGS,
                                                               HEATMAP_FILMS, HEATMAP_SEED, sample)
                                              : 0;
    fputs(panel_header(table), out);
    int status = FS_OK;
    for (int segment = -1; segment < k && status == FS_OK; segment++) {
        Profile p;
        if (segment >= 0 && profile_compute(panel, labels, segment, &p) != FS_OK) {
            status = FS_ERROR;
            break;
        }
        const Profile *cur = segment < 0 ? &all : &p;
        switch (table) {
        case EXPORT_SEGMENTS:
            write_segment_row(out, panel, segment, cur, &all, segment_stability(sweep, k, segment));
            break;
        case EXPORT_PROFILES: write_profile_rows(out, panel, segment, cur, &all); break;
        case EXPORT_GENRES: write_genre_rows(out, panel, segment, cur, &all); break;
        case EXPORT_TOP: write_top_rows(out, panel, segment, cur); break;
        default:
            status = write_heat_rows(out, table, panel, labels, segment, sample, n_sample);
            break;
        }
        if (segment >= 0)
            profile_free(&p);
    }
    profile_free(&all);
    return status;
}

int export_write(ExportTable table, const Segmentation *seg, int k, const Panel *panel,
                 const int32_t *labels, FILE *out)
{
    const int32_t *model_labels = segmentation_labels(seg, k);
    if (!model_labels || table < 0 || table >= EXPORT_COUNT)
        return FS_ERROR;
    if (table == EXPORT_LABELS) {
        write_labels(seg, model_labels, out);
        return FS_OK;
    }
    if (table == EXPORT_ELBOW) {
        write_elbow(seg, k, out);
        return FS_OK;
    }
    if (!panel || !labels)
        return FS_ERROR;
    return write_panel_table(table, &seg->sweep, k, panel, labels, out);
}

int export_write_file(ExportTable table, const Segmentation *seg, int k, const Panel *panel,
                      const int32_t *labels, const char *path, AtomicFile *file, char *error,
                      size_t error_size)
{
    memset(file, 0, sizeof *file);
    if (!segmentation_labels(seg, k)) {
        snprintf(error, error_size, "%s: k=%d is not in the model's sweep (1..%d)", path, k,
                 seg->sweep.kmax);
        return FS_ERROR;
    }
    if (export_table_needs_panel(table) && (!panel || !labels)) {
        snprintf(error, error_size, "%s: the %s table needs the panel", path,
                 export_table_name(table));
        return FS_ERROR;
    }
    if (!atomic_file_open(file, path)) {
        snprintf(error, error_size, "%s: cannot write: %s", path,
                 atomic_file_strerror(path, errno));
        return FS_ERROR;
    }
    if (export_write(table, seg, k, panel, labels, file->f) != FS_OK) {
        atomic_file_discard(file);
        snprintf(error, error_size, "%s: cannot write: out of memory", path);
        return FS_ERROR;
    }
    if (!atomic_file_finish(file)) {
        snprintf(error, error_size, "%s: cannot write: %s", path,
                 atomic_file_strerror(path, errno));
        return FS_ERROR;
    }
    return FS_OK;
}

int export_save(ExportTable table, const Segmentation *seg, int k, const Panel *panel,
                const int32_t *labels, const char *path, char *error, size_t error_size)
{
    AtomicFile file;
    int rc = export_write_file(table, seg, k, panel, labels, path, &file, error, error_size);
    if (rc == FS_OK && !atomic_file_commit(&file)) {
        snprintf(error, error_size, "%s: cannot write: %s", path,
                 atomic_file_strerror(path, errno));
        rc = FS_ERROR;
    }
    return rc;
}
