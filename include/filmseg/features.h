/* features.h: what k-means clusters: each user's taste embedding (the
 * autoencoder's hidden layer, by default half of all the user's ratings and
 * half of the later ones, normalised L1 as the study did or L2), their genre
 * taste (the genres of the films they liked, as shares, blended the same
 * way, each genre standardised) and demographics encoded for distance (age
 * standardised; male; occupation and state one-hot). The study joined
 * embedding and demographics unscaled, so demographics carried most of the
 * variance; by default each block is scaled so that the taste block carries
 * a total variance of 1, the genre block genre_weight and the demographic
 * block demo_weight (0 = none). The same encoding, fitted on the training
 * panel and saved in the model file, encodes new users. */
#ifndef FILMSEG_FEATURES_H
#define FILMSEG_FEATURES_H

#include "filmseg/panel.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { EMBED_NORM_L1 = 1, EMBED_NORM_L2 = 2 } EmbedNorm;

/* genre_weight: on ml-100k's temporal split 0.6 raised the lift at k = 5
 * from +28.3% to +30.6% (16 seeds; 0.35 to 0.7 all above +30%).
 * demo_weight < 0: the study's join (blocks unscaled). recency > 0: the taste
 * embedding blends that of all the user's ratings with that of their ratings
 * weighted by recency_weights (embeddings_blend_recent): segments then follow
 * both long-standing and current taste. On ml-100k's temporal split, recency
 * 12 raised the hit-rate lift at k = 5 from about +22% to +29%
 * (segment_quality.py, eight seeds). 0: all ratings alike, as the study. */
typedef struct {
    EmbedNorm norm;
    double demo_weight;
    double recency;
    double genre_weight; /* the genre block's total variance (0: no block) */
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
    double genre_variance_share;
    size_t taste_dim, genre_dim, demo_dim;
    /* the genre block: column g is (share - genre_mean[g]) * genre_scale[g] */
    float genre_mean[PANEL_MAX_GENRES], genre_scale[PANEL_MAX_GENRES];
} FeatureScaling;

/* Fits the demographic encoding on a panel's users. */
int demo_encoding_fit(DemoEncoding *enc, const Panel *panel);
void demo_encoding_free(DemoEncoding *enc);
size_t demo_encoding_width(const DemoEncoding *enc);
/* The one-hot column of an occupation: its own, else one spelled alike but
 * for case ("Student" is a student); -1 when the encoding has none. */
int demo_encoding_occupation(const DemoEncoding *enc, const char *occupation);
/* The one-hot column of a state (states.h index) among the state columns;
 * -1 when the encoding has none (unknown, or no user of the training panel's
 * lived there). */
int demo_encoding_state(const DemoEncoding *enc, int state);
/* One user's demographic row (width floats); unknown occupations and states
 * get all-zero one-hot columns. */
void demo_encode(const DemoEncoding *enc, const Panel *panel, const PanelUser *user, float *out);

/* Weights of one user's n ratings by when they were made: exp(recency (q - 1))
 * where q is the rating's place among the user's ratings in time, 0 for the
 * first and 1 for the last (equal times in their given order). All 1 when
 * recency is 0, when n < 2, when time is NULL or when any time is 0
 * (unknown: that rating has no place in the order). scratch: 2n uint32. */
void recency_weights(const uint32_t *time, size_t n, double recency, uint32_t *scratch,
                     float *weight);

/* Each row of emb (n x dim) becomes emb / |emb| + recent / |recent| (L2; recent
 * is normalised in place): half the user's whole history, half their recent
 * ratings (the embedding of their ratings weighted by recency_weights). */
void embeddings_blend_recent(float *emb, float *recent, size_t n, size_t dim);

/* Normalises embeddings (n x taste_dim, in place) by opts->norm. */
void embeddings_normalise(float *emb, size_t n, size_t taste_dim, EmbedNorm norm);

/* One user's genre taste (n_genres floats): the genres of the films they
 * liked (value, rating/5, of 4 stars or more), each like counting in each
 * of its film's genres, as shares; half of all their likes, half of their
 * likes weighted by weight[] (recency_weights), as the taste embedding
 * blends them. film_genres[col] holds a film's genre bits. All 0 without
 * a like. */
void genre_taste(const uint32_t *film_genres, size_t n_genres, size_t n, const uint32_t *col,
                 const float *value, const float *weight, float *out);

/* Builds the feature matrix (n x (taste_dim + genre_dim + demo_dim)) from
 * normalised embeddings, genre tastes and demographic rows, fitting the
 * block scales (*scaling): each genre column standardised, the genre block
 * carrying a total variance of opts->genre_weight against the taste
 * block's 1. */
int features_build(const float *emb, const float *genre, const float *demo, size_t n,
                   size_t taste_dim, size_t genre_dim, size_t demo_dim, const FeatureOptions *opts,
                   FeatureScaling *scaling, float **out);
/* One user's feature row with a fitted scaling. */
void features_row(const float *emb, const float *genre, const float *demo,
                  const FeatureScaling *scaling, float *out);

#endif
