/* report.h: the audience report of a panel (what `filmseg report` prints):
 * the sample and the rules that made it, the headline figures, the top films
 * per score, and the full age, occupation, state and rating tables, as plain
 * text or Markdown (the study's tables). */
#ifndef FILMSEG_REPORT_H
#define FILMSEG_REPORT_H

#include "filmseg/panel.h"
#include "filmseg/profile.h"
#include "filmseg/table.h"

#include <stdio.h>

void report_print(const Panel *panel, const Profile *profile, OutputFormat format, FILE *out);
/* The top-N-per-score table alone (n_5 | title_5 | ... | n_1 | title_1). */
void report_top_films_table(const Panel *panel, const Profile *profile, Table *table);

#endif
