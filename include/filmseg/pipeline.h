/* pipeline.h: the segmentation pipeline, stage by stage, on a loaded panel:
 *   1. ratings matrix (rating/5 over the films anyone in the panel rated)
 *   2. autoencoder: taste embeddings
 *   3. features: embeddings (L1 or L2) joined with genre tastes and
 *      demographics, each block weighted
 *   4. k-means sweep k = 1..K: inertia (elbow), knee, silhouette, every k kept
 *   5. classifier at the chosen k: demographics + min-max-scaled ratings
 *   6. stability (options.stability resamples; 0: not run): k = 1..K fitted
 *      again on random samples of the users, each k's segments compared with
 *      the sweep's (kmeans_sweep_stability)
 * Every stage reports progress (as its STAGE_* number, progress.h) and stops
 * soon after a cancel (FS_CANCELLED), so that the explorer can run it in a
 * worker thread. The result holds everything needed to describe the segments
 * and to score new users; the model file (model.h) saves and loads it. */
#ifndef FILMSEG_PIPELINE_H
#define FILMSEG_PIPELINE_H

#include "filmseg/autoencoder.h"
#include "filmseg/classifier.h"
#include "filmseg/features.h"
#include "filmseg/kmeans.h"
#include "filmseg/panel.h"
#include "filmseg/progress.h"

typedef struct {
    AeOptions ae;
    FeatureOptions features;
    KmeansOptions kmeans;
    ClassifierOptions classifier;
    int k;         /* the segmentation used (classifier, labels) */
    int kmax;      /* the sweep: k = 1..kmax */
    int stability; /* resamples measuring each k's stability (kmeans_sweep_stability;
                      5); 0: not measured (the study's method) */
    uint64_t seed;
} PipelineOptions;

/* filmseg's defaults: rated-cell loss, L2 embeddings, weighted demographics. */
void pipeline_options_default(PipelineOptions *opts);
/* The study's method: MAE over every cell, L1 embeddings, unscaled join. */
void pipeline_options_study(PipelineOptions *opts);
/* Sets the seed of every stage. */
void pipeline_options_seed(PipelineOptions *opts, uint64_t seed);

/* The training settings a person gives: train's and explore's options (one
 * for each setting before TRAINING_RECENCY, in this order) and the
 * explorer's retrain form (every one). */
typedef enum {
    TRAINING_K,
    TRAINING_KMAX,
    TRAINING_EPOCHS,
    TRAINING_HIDDEN,
    TRAINING_DEMO_WEIGHT,
    TRAINING_SEED,
    TRAINING_STABILITY,
    TRAINING_GENRE_WEIGHT,
    TRAINING_RECENCY, /* the form's alone */
    TRAINING_SETTINGS
} TrainingSetting;

typedef struct {
    const char *name; /* the option's, --name */
    double lo, hi;    /* the values taken, lo..hi */
    bool whole;       /* whole numbers only */
} TrainingLimit;

/* The one table of the settings' bounds, which the command line and the
 * form both check against (k and kmax: 2..KMEANS_MAX_K). */
extern const TrainingLimit TRAINING_LIMITS[TRAINING_SETTINGS];

typedef struct {
    PipelineOptions options;
    /* the training panel's users and the films that are the model's columns */
    size_t n_users, n_films;
    int32_t *user_ids;
    int32_t *film_ids;
    IdIndex film_index; /* film id -> model column */
    float *film_min,
        *film_max;         /* classifier scaler (sklearn MinMaxScaler over rating/5, 0 = unrated) */
    uint32_t *film_genres; /* each film's genre bits (Panel.genres' order) */
    size_t n_genres;       /* the genre block's width (0: none) */
    Autoencoder ae;
    AeReport ae_report;
    DemoEncoding demo;
    FeatureScaling scaling;
    size_t dim;        /* feature columns (taste + genres + demographics) */
    KmeansSweep sweep; /* labels and centroids of every k */
    int k;
    Classifier classifier;
    ClassifierReport classifier_report;
    double seconds[STAGE_COUNT];
    /* a model file before version 7 saw a half star as the star above (3.5
     * as 4): it is fed ratings so, to score as it did */
    bool half_stars_rounded;
    /* a model file before version 8 kept not the autoencoder's and the
     * classifier's other settings (options holds the defaults for them): it
     * says so, and is saved again without them (as version 7) */
    bool settings_unrecorded;
    /* what the training panel's demographics were read with, for scoring
     * to compare (model files before version 6 do not say: known false) */
    struct {
        bool known;
        bool ages_banded;  /* ages known only as bands (ml-1m) */
        bool zip_list;     /* states from a ZIP list, not the built-in table */
        size_t zip_count;  /* that list's codes */
        char zip_name[64]; /* its file name, without the folder */
    } trained_with;
} Segmentation;

/* Runs the whole pipeline. Returns FS_OK, FS_CANCELLED or FS_ERROR (with a
 * reason in error[]); on anything but FS_OK *out is empty. A cancel with
 * PROGRESS_KEEP_DONE in the stability stage, the last, keeps the run with
 * the stability of the refits finished (none: not measured): FS_OK, and
 * segmentation_stability_stopped. */
int pipeline_run(const Panel *panel, const PipelineOptions *opts, const Progress *progress,
                 Segmentation *out, char *error, size_t error_size);
void segmentation_free(Segmentation *seg);
/* The stability refits measured (0: none), and whether they are fewer than
 * the options asked (the run's stability stage was stopped). */
int segmentation_stability_refits(const Segmentation *seg);
bool segmentation_stability_stopped(const Segmentation *seg);
/* Trains the classifier of seg's segments at k (2..kmax of its sweep) with
 * seg's classifier options, as pipeline_run does for its k: the same network
 * bit for bit when panel is the training panel. Each of the model's users is
 * found in panel by id (FS_ERROR when one is missing). Fills *classifier and
 * *report (free with classifier_free, classifier_report_free); returns FS_OK,
 * FS_CANCELLED or FS_ERROR (with the reason in error). */
int segmentation_train_classifier(const Segmentation *seg, const Panel *panel, int k,
                                  const Progress *progress, Classifier *classifier,
                                  ClassifierReport *report, char *error, size_t error_size);

/* What a stage (STAGE_*, progress.h) is called in progress lines and
 * reports: "ratings matrix", "autoencoder", "k-means sweep", ...; "?" for a
 * number out of range. */
const char *stage_name(int stage);
/* Builds film_index from film_ids (after loading a model). */
int segmentation_index_films(Segmentation *seg);
/* Labels at the chosen k (n_users), or at another k of the sweep. */
const int32_t *segmentation_labels(const Segmentation *seg, int k);
/* Panel user u's segment at k (1..kmax) into labels[u], matched by user id,
 * -1 for users not in the model. Returns how many matched, or -1 when k is
 * out of range. */
long segmentation_panel_labels(const Segmentation *seg, int k, const Panel *panel, int32_t *labels);
/* Whether the panel's states come from another source than the training
 * panel's (the model records it: trained_with; a model of version 5 or older
 * does not say, and a model without demographics has none): then users may be
 * in other states, and the sample rules keep other users. Fills trained and
 * now (size bytes each) with the two sources, e.g. "the ZIP list uszips.csv
 * (33,788 codes)" and "the built-in ZIP-prefix table". */
bool segmentation_zips_differ(const Segmentation *seg, const Panel *panel, char *trained, char *now,
                              size_t size);
/* What to do then: "give the training's --zips", or "leave --zips out, as
 * the training did". */
const char *segmentation_zips_advice(const Segmentation *seg);
/* Whether panel is the one seg was trained on, or one like it (whose
 * segments it can describe): at least 90% of the model's films in it by id,
 * with the same genres, at least one of its users in the model, and states
 * from a ZIP list if and only if the training's were (another list is the
 * caller's to warn of: segmentation_zips_differ). FS_OK, or FS_ERROR with the
 * reason in error. */
int segmentation_panel_check(const Segmentation *seg, const Panel *panel, char *error,
                             size_t error_size);

/* Panel user u's rated films as the model's columns (films matched by id):
 * col/value (rating/5), and time_out[] (when not NULL) when each was rated,
 * for the films the model knows; returns how many (at most the user's
 * ratings, and at most seg->n_films). */
size_t segmentation_user_ratings(const Segmentation *seg, const Panel *panel, size_t u,
                                 uint32_t *col, float *value, uint32_t *time_out);
/* The classifier's input row (demographics, then min-max-scaled ratings over
 * the model's films) of a user: width demo + n_films. */
size_t segmentation_classifier_width(const Segmentation *seg);
void segmentation_classifier_row(const Segmentation *seg, const Panel *panel, const PanelUser *user,
                                 size_t n, const uint32_t *col, const float *value, float *row);
/* The clustering feature row of a user: width seg->dim. time: when each
 * rating was made (NULL: unknown), for the model's recency weights. */
int segmentation_feature_row(const Segmentation *seg, const Panel *panel, const PanelUser *user,
                             size_t n, const uint32_t *col, const float *value,
                             const uint32_t *time, float *row);

#endif
