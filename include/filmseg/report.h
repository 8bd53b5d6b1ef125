/* report.h: the audience report of a panel (what `filmseg report` prints):
 * the sample and the rules that made it, the headline figures, the top films
 * per score, and the full age, occupation, state and rating tables, as plain
 * text or Markdown (the study's tables). */
#ifndef FILMSEG_REPORT_H
#define FILMSEG_REPORT_H

#include "filmseg/panel.h"
#include "filmseg/pipeline.h"
#include "filmseg/profile.h"
#include "filmseg/table.h"

#include <stdio.h>

/* Each of these returns false when memory ran out and a table is left out
 * (table_print): the caller must say the report is incomplete. */
bool report_print(const Panel *panel, const Profile *profile, OutputFormat format, FILE *out);
/* The top-N-per-score table alone (n_5 | title_5 | ... | n_1 | title_1). */
void report_top_films_table(const Panel *panel, const Profile *profile, Table *table);

/* What training produced: the autoencoder's errors, the variance each
 * feature block carries, the elbow table (inertia, silhouette, knee), the
 * segment sizes, the classifier's accuracy and confusion matrix, stage times.
 * panel: the panel trained on (or given to report --model); when its ratings
 * have no times (panel_has_rating_times), or at recency 0, the features are
 * said to weigh every rating alike, not to favour later ones; its likes are
 * named as panel_like_words has them. k_shown: the k of the sweep described
 * (the elbow's "chosen", the segment sizes): the model's seg->k, or another
 * (report --k); the classifier is the model's k's. */
bool report_training(const Segmentation *seg, int k_shown, const Panel *panel, OutputFormat format,
                     FILE *out);
/* The segments of a model on a panel (users matched by id): how much they
 * follow each demographic (association.h), the genres each likes against
 * everyone, and per segment a line in short (profile_headline), its size,
 * the median year of the films it likes, its demographics against the whole
 * sample (index, 100 = as everyone), its distinctive films and top 10 films
 * per score. labels[u] is panel user u's segment (0..k-1) or -1; everyone is
 * the whole panel's profile (the index's base). */
bool report_segments(const Panel *panel, int k, const int32_t *labels, const Profile *everyone,
                     OutputFormat format, FILE *out);
#endif
