/* association.h: how much the segments follow the users' demographics: the
 * adjusted mutual information between the segment and each of gender, age
 * band, occupation and state (0: no more than chance, 1: the segments are
 * that demographic). The study's segments on ml-100k follow age bands by
 * about 0.5; segments of taste should follow none by much. */
#ifndef FILMSEG_ASSOCIATION_H
#define FILMSEG_ASSOCIATION_H

#include "filmseg/panel.h"

#include <stddef.h>
#include <stdint.h>

/* The adjusted mutual information of two labellings of n items (Vinh, Epps
 * and Bailey 2010, normalised by the mean of the two entropies), over the
 * items labelled in both (labels 0..ASSOCIATION_MAX_LABELS-1; a negative
 * label leaves the item out). 1 when both put every item in one class;
 * NAN when no item is labelled in both, a label is too large or memory runs
 * out. */
enum { ASSOCIATION_MAX_LABELS = 4096 };
double adjusted_mutual_info(const int32_t *a, const int32_t *b, size_t n);

typedef enum {
    DEMOGRAPHIC_GENDER,
    DEMOGRAPHIC_AGE,
    DEMOGRAPHIC_OCCUPATION,
    DEMOGRAPHIC_STATE,
    DEMOGRAPHIC_COUNT
} Demographic;

/* "gender", "age band", "occupation", "state". */
const char *demographic_name(Demographic d);
/* The adjusted mutual information between labels[u] (panel user u's
 * segment, or -1 to leave the user out) and each demographic, into
 * ami[DEMOGRAPHIC_COUNT]; all NAN on a taste-only panel (no demographics). */
void segments_follow_demographics(const Panel *panel, const int32_t *labels, double *ami);
/* The same for how much users rate: the quintile of their number of ratings
 * in the panel (users of as many ratings share one); NAN under 5 users. */
double segments_follow_activity(const Panel *panel, const int32_t *labels);
/* The AMI from which segments are said to follow a demographic, or how much
 * their users rate. */
#define SEGMENTS_FOLLOW_AMI 0.1

#endif
