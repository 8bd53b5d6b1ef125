/* features.h: what k-means clusters: each user's taste embedding (the
 * autoencoder's hidden layer, by default half of all the user's ratings and
 * half of the later ones, normalised L1 as the study did or L2) joined
 * with demographics encoded for distance (age standardised; male; occupation
 * and state one-hot). The study joined the blocks unscaled, so demographics
 * carried most of the variance; by default each block is scaled so that the
 * taste block carries a total variance of 1 and the demographic block
 * demo_weight (0 = taste only). The same encoding, fitted on the training
 * panel and saved in the model file, encodes new users. */
#ifndef FILMSEG_FEATURES_H
#define FILMSEG_FEATURES_H

#include "filmseg/panel.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { EMBED_NORM_L1 = 1, EMBED_NORM_L2 = 2 } EmbedNorm;

/* demo_weight < 0: the study's join (blocks unscaled). recency > 0: the taste
 * embedding blends that of all the user's ratings with that of their ratings
 * weighted by recency_weights (embeddings_blend_recent): segments then follow
 * both long-standing and current taste. On ml-100k's temporal split, recency
 * 12 raised the hit-rate lift at k = 5 from about +22% to +29%
 * (segment_quality.py, eight seeds). 0: all ratings alike, as the study. */
typedef struct {
    EmbedNorm norm;
    double demo_weight;
    double recency;
} FeatureOptions;

/* The demographic encoding: age, male, occupations, states (the columns, in
 * that order). Occupation and state lists are those of the training panel. */
typedef struct {
    double age_mean, age_std;
    size_t n_occupations;
    char **occupations; /* owned copies of the labels */
    size_t n_states;
    uint8_t *states; /* state indexes (states.h) */
    bool has_demographics;
} DemoEncoding;

typedef struct {
    EmbedNorm norm;
    double demo_weight;
    double taste_scale, demo_scale; /* multipliers applied to each block */
    double taste_variance_share;    /* share of the total variance after scaling */
    size_t taste_dim, demo_dim;
} FeatureScaling;

/* Fits the demographic encoding on a panel's users. */
int demo_encoding_fit(DemoEncoding *enc, const Panel *panel);
void demo_encoding_free(DemoEncoding *enc);
size_t demo_encoding_width(const DemoEncoding *enc);
/* One user's demographic row (width floats); unknown occupations and states
 * get all-zero one-hot columns. */
void demo_encode(const DemoEncoding *enc, const Panel *panel, const PanelUser *user, float *out);

/* Weights of one user's n ratings by when they were made: exp(recency (q - 1))
 * where q is the rating's place among the user's ratings in time, 0 for the
 * first and 1 for the last (equal times in their given order). All 1 when
 * recency is 0, when n < 2, when time is NULL or when every time is 0
 * (unknown). scratch: 2n uint32. */
void recency_weights(const uint32_t *time, size_t n, double recency, uint32_t *scratch,
                     float *weight);

/* Each row of emb (n x dim) becomes emb / |emb| + recent / |recent| (L2; recent
 * is normalised in place): half the user's whole history, half their recent
 * ratings (the embedding of their ratings weighted by recency_weights). */
void embeddings_blend_recent(float *emb, float *recent, size_t n, size_t dim);

/* Normalises embeddings (n x taste_dim, in place) by opts->norm. */
void embeddings_normalise(float *emb, size_t n, size_t taste_dim, EmbedNorm norm);

/* Builds the feature matrix (n x (taste_dim + demo_dim)) from normalised
 * embeddings and demographic rows, fitting the block scales (*scaling). */
int features_build(const float *emb, const float *demo, size_t n, size_t taste_dim, size_t demo_dim,
                   const FeatureOptions *opts, FeatureScaling *scaling, float **out);
/* One user's feature row with a fitted scaling. */
void features_row(const float *emb, const float *demo, const FeatureScaling *scaling, float *out);

#endif
