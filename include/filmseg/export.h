/* export.h: a model's segments as CSV tables for other programs (what
 * `filmseg export` writes): a header line, then one record per line, fields
 * quoted as RFC 4180 says when they hold a comma, a quote or a line break;
 * numbers plain (no thousands separators, shares as fractions, not percent).
 *
 *   labels       user_id,segment                     every user of the model
 *   elbow        k,inertia,drop,silhouette,knee,chosen  (chosen: the model's k)
 *   segments     segment,users,share,ratings,mean_rating,male_share,age_mean,age_median,
 *                stability,liked_year_median,in_short  (the release year by
 *                which half of the films the segment likes came out; what
 *                sets it apart, profile_headline's line, empty for "all")
 *   profiles     segment,dimension,category,users,share,index
 *                (dimension gender, age, occupation or state; index 100 = as
 *                the whole sample)
 *   genres       segment,genre,ratings,likes,share,index  (every genre of the
 *                panel: ratings of its films, likes = those of 4 or 5 stars,
 *                share of the segment's likes, index against the whole
 *                sample's share; a film of several genres counts in each)
 *   top          segment,score,rank,film_id,title,count  (top 10 per score)
 *   heatmap      segment,film_id,title,ratings,share_1,...,share_5,lift
 *                (the study's seeded sample of films)
 *   distinctive  segment,rank,film_id,title,ratings,share_1,...,share_5,lift
 *                (each segment's films with the highest lift: liked far
 *                more often than by everyone)
 *
 * In the tables that describe segments, segment "all" is the whole sample
 * and the others are 0..k-1. */
#ifndef FILMSEG_EXPORT_H
#define FILMSEG_EXPORT_H

#include "filmseg/atomic_file.h"
#include "filmseg/panel.h"
#include "filmseg/pipeline.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum {
    EXPORT_LABELS,
    EXPORT_ELBOW,
    EXPORT_SEGMENTS,
    EXPORT_PROFILES,
    EXPORT_GENRES,
    EXPORT_TOP,
    EXPORT_HEATMAP,
    EXPORT_DISTINCTIVE,
    EXPORT_COUNT
} ExportTable;

const char *export_table_name(ExportTable table);
/* The table called name, or -1. */
int export_table_find(const char *name);
/* Whether the table describes the panel's users (and so needs the panel). */
bool export_table_needs_panel(ExportTable table);

/* Writes a field, quoted when it must be. */
void csv_write_field(FILE *out, const char *text);

/* Writes the table for segmentation k (1..kmax) of seg. For the tables that
 * need the panel, labels[u] is panel user u's segment (or -1 when the user is
 * not in the model: left out of the segments but in "all"). Returns FS_OK, or
 * FS_ERROR when memory runs out or k is out of range. */
int export_write(ExportTable table, const Segmentation *seg, int k, const Panel *panel,
                 const int32_t *labels, FILE *out);
/* export_write to path through a temporary file beside it, renamed into
 * place only when all of it was written (an earlier file of that name is
 * never left half-written). Returns FS_OK, or FS_ERROR with a message naming
 * the path in error[]. */
int export_save(ExportTable table, const Segmentation *seg, int k, const Panel *panel,
                const int32_t *labels, const char *path, char *error, size_t error_size);
/* The same, written and synced into a temporary file but not put in place:
 * atomic_file_commit(file) does that, atomic_file_discard drops it (for
 * writing several files all or none). On FS_ERROR nothing is left behind. */
int export_write_file(ExportTable table, const Segmentation *seg, int k, const Panel *panel,
                      const int32_t *labels, const char *path, AtomicFile *file, char *error,
                      size_t error_size);

#endif
