/* worker.h (private to src/tui): training in one background thread. The
 * worker runs pipeline_run (or, to save a model at another k of its sweep,
 * segmentation_train_classifier alone) and publishes progress through a small
 * mutex-guarded status (stage, step, loss curves); the UI copies it with
 * worker_snapshot and never waits on the worker except to join a thread that
 * has finished. The finished Segmentation is handed over by swapping one
 * pointer (worker_take_result), a classifier by worker_take_classifier. worker_cancel sets the
 * Progress cancel flag. */
#ifndef FILMSEG_TUI_WORKER_H
#define FILMSEG_TUI_WORKER_H

#include "filmseg/pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef enum {
    WORKER_IDLE, /* never started */
    WORKER_RUNNING,
    WORKER_DONE,   /* a result is waiting or was taken */
    WORKER_FAILED, /* error[] says why */
    WORKER_CANCELLED
} WorkerState;

typedef struct {
    double *v;
    int n, cap;
} Series;

/* What the UI draws; copied out under the lock. */
typedef struct {
    WorkerState state;
    int stage;                               /* STAGE_*, -1 before the first event */
    int step, steps;                         /* within the stage */
    double started, stage_started, finished; /* tui_now() seconds */
    Series ae_loss, ae_val, clf_loss, clf_val, clf_acc, clf_val_acc, inertia;
    PipelineOptions options;
    double stage_cost[STAGE_COUNT]; /* each stage's expected seconds (train_stage_costs) */
    bool classifier_only;           /* the job trains a classifier at options.k for the
                                       segmentation on screen; the other series are its */
    int stability_refits;           /* when done: the refits measured (fewer than
                                       options.stability: x stopped the stage) */
    bool points_missing;            /* out of memory: a curve lost points (its plot is short) */
    char error[256];
    unsigned version; /* bumped on every change */
} TrainStatus;

/* A classifier job's result. */
typedef struct {
    int k;
    Classifier classifier;
    ClassifierReport report;
    double seconds;
} ClassifierResult;

typedef struct {
    pthread_mutex_t lock;
    TrainStatus status;          /* guarded by lock */
    Segmentation *result;        /* guarded by lock: the finished result, until taken */
    ClassifierResult classifier; /* guarded by lock: a classifier job's, until taken */
    bool classifier_ready;       /* guarded by lock */
    atomic_int cancel;
    pthread_t thread;
    bool joinable; /* UI thread only */
    const Panel *panel;
    PipelineOptions options;
    const Segmentation *seg; /* a classifier job's segmentation (NULL: pipeline);
                                the UI must not change it while the job runs */
    unsigned delay_ms;       /* test hook: sleep per progress event */
} Worker;

void worker_init(Worker *w);
/* Starts training; false when a run is going or its result (or
 * classifier) has not been taken yet, and (with the reason in the status)
 * when the thread cannot be created. */
bool worker_start(Worker *w, const Panel *panel, const PipelineOptions *options);
/* Starts training a classifier at k (2..kmax) for seg's segments of panel
 * (segmentation_train_classifier); seg must stay as it is until the job ends.
 * The status keeps the autoencoder's and the sweep's series. */
bool worker_start_classifier(Worker *w, const Panel *panel, const Segmentation *seg, int k);
bool worker_running(Worker *w);
/* keep_done: a run in its stability stage keeps its segments and classifier
 * (pipeline_run's PROGRESS_KEEP_DONE); else the job's result is dropped. */
void worker_cancel(Worker *w, bool keep_done);
/* Copies the status into *copy (whose series buffers are reused). */
void worker_snapshot(Worker *w, TrainStatus *copy);
/* The finished result (the caller owns it) or NULL; joins a finished thread. */
Segmentation *worker_take_result(Worker *w);
/* A finished classifier job's network, moved into *out (true), or false. */
bool worker_take_classifier(Worker *w, ClassifierResult *out);
/* Joins the thread if it has finished (never blocks on a running one). */
void worker_reap(Worker *w);
/* Cancels, joins and frees everything. */
void worker_free(Worker *w);

void train_status_free(TrainStatus *s);
/* Fills a status from a finished segmentation's histories (a loaded model). */
void train_status_from_seg(TrainStatus *s, const Segmentation *seg);
/* Each stage's expected cost in seconds for a run of options on panel, from
 * what it grows with (epochs, hidden units, ratings or cells, restarts, kmax,
 * users, refits), scaled from ml-100k's at the default settings: only their
 * ratio matters, to weigh the stages in train_fraction. 0 for a stage that
 * does not run. */
void train_stage_costs(const Panel *panel, const PipelineOptions *options,
                       double cost[STAGE_COUNT]);
/* The share of the whole run done (0..1) from the stage and step, with the
 * stages weighted by their cost (stage_cost); and seconds left at this pace
 * (NAN when unknown). */
double train_fraction(const TrainStatus *s);
double train_seconds_left(const TrainStatus *s, double now);
/* The stage and its step: "autoencoder 12/100", "classifier" before its
 * first step (not "0/0"), "starting" before the first stage. */
void train_progress_text(const TrainStatus *s, char *buf, size_t size);

#endif
