/* progress.h: how long-running stages (training, sweeps) report progress and
 * learn that they should stop. Every stage takes a `const Progress *` (may be
 * NULL), calls progress_report() at least once per epoch or iteration, and
 * returns FS_CANCELLED soon after progress_cancelled() becomes true. */
#ifndef FILMSEG_PROGRESS_H
#define FILMSEG_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>

enum { FS_OK = 0, FS_ERROR = 1, FS_CANCELLED = 3 };

/* The stages of training, in the order the pipeline runs them (pipeline.h):
 * each long-running stage says which it is by number; the words for each are
 * stage_name()'s (pipeline.h). */
enum {
    STAGE_MATRIX,
    STAGE_AUTOENCODER,
    STAGE_FEATURES,
    STAGE_SWEEP,
    STAGE_CLASSIFIER,
    STAGE_STABILITY,
    STAGE_COUNT
};

typedef struct {
    int stage;         /* STAGE_AUTOENCODER, STAGE_SWEEP, ... */
    int step;          /* 1-based epoch / k / iteration just finished */
    int steps;         /* how many there will be (0 when unknown) */
    double loss;       /* training loss, or NAN */
    double val_loss;   /* validation loss, or NAN */
    double metric;     /* stage-specific figure (accuracy, inertia), or NAN */
    double val_metric; /* validation side of metric, or NAN */
} ProgressEvent;

/* What the cancel flag holds: any nonzero value stops the stage running;
 * PROGRESS_KEEP_DONE also asks a pipeline to keep what it has finished
 * (pipeline_run: a run stopped in its stability stage). */
enum { PROGRESS_CANCEL = 1, PROGRESS_KEEP_DONE = 2 };

typedef struct {
    void (*report)(void *ctx, const ProgressEvent *event); /* may be NULL */
    void *ctx;
    const atomic_int *cancel; /* may be NULL; nonzero asks the stage to stop */
} Progress;

static inline void progress_report(const Progress *p, const ProgressEvent *ev)
{
    if (p && p->report)
        p->report(p->ctx, ev);
}

static inline bool progress_cancelled(const Progress *p)
{
    return p && p->cancel && atomic_load(p->cancel) != 0;
}

/* Cancelled with PROGRESS_KEEP_DONE. */
static inline bool progress_keep_done(const Progress *p)
{
    return p && p->cancel && atomic_load(p->cancel) == PROGRESS_KEEP_DONE;
}

#endif
