/* worker.c: the background training thread; see worker.h. */
#include "worker.h"

#include "filmseg/tui.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool series_push(Series *s, double v)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        double *p = realloc(s->v, (size_t)cap * sizeof *p);
        if (!p)
            return false;
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return true;
}

/* A point for a curve of s: one that cannot be stored (out of memory)
 * marks the status, whose pane says its curves miss points; the training
 * goes on, as a plot is no reason to stop it. */
static void status_push(TrainStatus *s, Series *series, double v)
{
    if (!series_push(series, v))
        s->points_missing = true;
}

/* false (dst emptied) when memory runs out */
static bool series_copy(Series *dst, const Series *src)
{
    if (dst->cap < src->n) {
        double *p = realloc(dst->v, (size_t)src->n * sizeof *p);
        if (!p) {
            dst->n = 0;
            return false;
        }
        dst->v = p;
        dst->cap = src->n;
    }
    if (src->n)
        memcpy(dst->v, src->v, (size_t)src->n * sizeof *dst->v);
    dst->n = src->n;
    return true;
}

#define ALL_SERIES(s)                                                                              \
    &(s)->ae_loss, &(s)->ae_val, &(s)->clf_loss, &(s)->clf_val, &(s)->clf_acc, &(s)->clf_val_acc,  \
        &(s)->inertia

void train_status_free(TrainStatus *s)
{
    Series *all[] = {ALL_SERIES(s)};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]->v);
    memset(s, 0, sizeof *s);
    s->stage = -1;
}

static void series_reset(TrainStatus *s)
{
    Series *all[] = {ALL_SERIES(s)};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        all[i]->n = 0;
    s->points_missing = false;
}

void worker_init(Worker *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    atomic_init(&w->cancel, 0);
    w->status.stage = -1;
    const char *delay = getenv("FILMSEG_TUI_TRAIN_DELAY_MS");
    if (delay)
        w->delay_ms = (unsigned)strtoul(delay, NULL, 10);
}

static void on_progress(void *ctx, const ProgressEvent *ev)
{
    Worker *w = ctx;
    int stage = ev->stage >= 0 && ev->stage < STAGE_COUNT ? ev->stage : -1;
    pthread_mutex_lock(&w->lock);
    TrainStatus *s = &w->status;
    if (stage >= 0 && stage != s->stage) {
        s->stage = stage;
        s->stage_started = tui_now();
        s->step = 0;
        s->steps = 0;
    }
    if (ev->step > 0) {
        s->step = ev->step;
        s->steps = ev->steps;
        if (stage == STAGE_AUTOENCODER) {
            status_push(s, &s->ae_loss, ev->loss);
            status_push(s, &s->ae_val, ev->val_loss);
        } else if (stage == STAGE_CLASSIFIER) {
            status_push(s, &s->clf_loss, ev->loss);
            status_push(s, &s->clf_val, ev->val_loss);
            status_push(s, &s->clf_acc, ev->metric);
            status_push(s, &s->clf_val_acc, ev->val_metric);
        } else if (stage == STAGE_SWEEP) {
            status_push(s, &s->inertia, ev->metric);
        }
    }
    s->version++;
    pthread_mutex_unlock(&w->lock);
    if (w->delay_ms && ev->step > 0) {
        struct timespec ts = {(time_t)(w->delay_ms / 1000), (long)(w->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void *run(void *arg)
{
    Worker *w = arg;
    Progress progress = {on_progress, w, &w->cancel};
    Segmentation *seg = NULL;
    ClassifierResult clf = {.k = w->options.k};
    char error[256] = "out of memory";
    int rc;
    double started = tui_now();
    if (w->seg) {
        rc = segmentation_train_classifier(w->seg, w->panel, clf.k, &progress, &clf.classifier,
                                           &clf.report, error, sizeof error);
        clf.seconds = tui_now() - started;
    } else {
        seg = calloc(1, sizeof *seg);
        rc = seg ? pipeline_run(w->panel, &w->options, &progress, seg, error, sizeof error)
                 : FS_ERROR;
    }
    pthread_mutex_lock(&w->lock);
    TrainStatus *s = &w->status;
    s->finished = tui_now();
    if (rc == FS_OK) {
        s->state = WORKER_DONE;
        if (w->seg) {
            w->classifier = clf;
            w->classifier_ready = true;
        } else {
            s->stability_refits = segmentation_stability_refits(seg);
            w->result = seg;
            seg = NULL;
        }
    } else {
        s->state = rc == FS_CANCELLED ? WORKER_CANCELLED : WORKER_FAILED;
        snprintf(s->error, sizeof s->error, "%s", error);
    }
    s->version++;
    pthread_mutex_unlock(&w->lock);
    free(seg);
    return NULL;
}

static bool start(Worker *w, const Panel *panel, const PipelineOptions *options,
                  const Segmentation *seg)
{
    worker_reap(w);
    if (w->joinable)
        return false; /* still running */
    pthread_mutex_lock(&w->lock);
    TrainStatus *s = &w->status;
    if (w->result || w->classifier_ready) { /* the last job's, not taken yet */
        pthread_mutex_unlock(&w->lock);
        return false;
    }
    if (seg) { /* the other stages' curves are seg's (a loaded model's too) */
        train_status_from_seg(s, seg);
        s->clf_loss.n = s->clf_val.n = s->clf_acc.n = s->clf_val_acc.n = 0;
    } else {
        series_reset(s);
    }
    s->state = WORKER_RUNNING;
    s->classifier_only = seg != NULL;
    s->stage = seg ? STAGE_CLASSIFIER : -1;
    s->step = s->steps = 0;
    s->stability_refits = seg ? segmentation_stability_refits(seg) : 0;
    s->started = s->stage_started = tui_now();
    s->finished = 0;
    s->options = *options;
    train_stage_costs(panel, options, s->stage_cost);
    s->error[0] = 0;
    s->version++;
    pthread_mutex_unlock(&w->lock);
    atomic_store(&w->cancel, 0);
    w->panel = panel;
    w->options = *options;
    w->seg = seg;
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_mutex_lock(&w->lock);
        s->state = WORKER_FAILED;
        snprintf(s->error, sizeof s->error, "cannot start the training thread");
        s->version++;
        pthread_mutex_unlock(&w->lock);
        return false;
    }
    w->joinable = true;
    return true;
}

bool worker_start(Worker *w, const Panel *panel, const PipelineOptions *options)
{
    return start(w, panel, options, NULL);
}

bool worker_start_classifier(Worker *w, const Panel *panel, const Segmentation *seg, int k)
{
    PipelineOptions options = seg->options;
    options.k = k;
    return start(w, panel, &options, seg);
}

bool worker_running(Worker *w)
{
    pthread_mutex_lock(&w->lock);
    bool running = w->status.state == WORKER_RUNNING;
    pthread_mutex_unlock(&w->lock);
    return running;
}

void worker_cancel(Worker *w, bool keep_done)
{
    atomic_store(&w->cancel, keep_done ? PROGRESS_KEEP_DONE : PROGRESS_CANCEL);
}

void worker_snapshot(Worker *w, TrainStatus *copy)
{
    pthread_mutex_lock(&w->lock);
    const TrainStatus *s = &w->status;
    Series *dst[] = {ALL_SERIES(copy)};
    const Series *src[] = {ALL_SERIES(s)};
    copy->points_missing = s->points_missing;
    for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
        if (!series_copy(dst[i], src[i]))
            copy->points_missing = true;
    copy->state = s->state;
    copy->stage = s->stage;
    copy->step = s->step;
    copy->steps = s->steps;
    copy->started = s->started;
    copy->stage_started = s->stage_started;
    copy->finished = s->finished;
    copy->options = s->options;
    copy->stability_refits = s->stability_refits;
    memcpy(copy->stage_cost, s->stage_cost, sizeof copy->stage_cost);
    copy->classifier_only = s->classifier_only;
    memcpy(copy->error, s->error, sizeof copy->error);
    copy->version = s->version;
    pthread_mutex_unlock(&w->lock);
}

bool worker_take_classifier(Worker *w, ClassifierResult *out)
{
    pthread_mutex_lock(&w->lock);
    bool ready = w->classifier_ready;
    if (ready)
        *out = w->classifier;
    w->classifier_ready = false;
    pthread_mutex_unlock(&w->lock);
    worker_reap(w);
    return ready;
}

void worker_reap(Worker *w)
{
    if (!w->joinable)
        return;
    pthread_mutex_lock(&w->lock);
    bool finished = w->status.state != WORKER_RUNNING;
    pthread_mutex_unlock(&w->lock);
    if (finished) { /* the thread has published and is returning */
        pthread_join(w->thread, NULL);
        w->joinable = false;
    }
}

Segmentation *worker_take_result(Worker *w)
{
    pthread_mutex_lock(&w->lock);
    Segmentation *seg = w->result;
    w->result = NULL;
    pthread_mutex_unlock(&w->lock);
    worker_reap(w);
    return seg;
}

void worker_free(Worker *w)
{
    if (w->joinable) {
        worker_cancel(w, false);
        pthread_join(w->thread, NULL);
        w->joinable = false;
    }
    if (w->result) {
        segmentation_free(w->result);
        free(w->result);
    }
    if (w->classifier_ready) {
        classifier_free(&w->classifier.classifier);
        classifier_report_free(&w->classifier.report);
    }
    train_status_free(&w->status);
    pthread_mutex_destroy(&w->lock);
}

void train_status_from_seg(TrainStatus *s, const Segmentation *seg)
{
    series_reset(s);
    const AeReport *ae = &seg->ae_report;
    for (int i = 0; i < ae->epochs_run; i++) {
        status_push(s, &s->ae_loss, ae->train_loss ? ae->train_loss[i] : NAN);
        status_push(s, &s->ae_val, ae->val_loss ? ae->val_loss[i] : NAN);
    }
    const ClassifierReport *c = &seg->classifier_report;
    for (int i = 0; i < c->epochs_run; i++) {
        status_push(s, &s->clf_loss, c->train_loss ? c->train_loss[i] : NAN);
        status_push(s, &s->clf_val, c->val_loss ? c->val_loss[i] : NAN);
        status_push(s, &s->clf_acc, c->train_acc ? c->train_acc[i] : NAN);
        status_push(s, &s->clf_val_acc, c->val_acc ? c->val_acc[i] : NAN);
    }
    for (int k = 1; k <= seg->sweep.kmax; k++)
        status_push(s, &s->inertia, seg->sweep.results[k - 1].inertia);
    s->state = WORKER_DONE;
    s->classifier_only = false;
    s->stage = STAGE_CLASSIFIER;
    s->step = s->steps = c->epochs_run;
    s->options = seg->options;
    s->stability_refits = segmentation_stability_refits(seg);
    s->started = 0;
    s->finished = 0;
    for (int i = 0; i < STAGE_COUNT; i++)
        s->finished += seg->seconds[i];
    s->version++;
}

void train_stage_costs(const Panel *panel, const PipelineOptions *o, double cost[STAGE_COUNT])
{
    /* ml-100k's sample at the default settings: 872 users, 1,668 films,
     * 92,826 ratings; 1.17 s autoencoder, 0.11 s sweep, 0.05 s classifier,
     * 0.36 s for 5 stability refits (the stage times in the Time section
     * of one `filmseg train` report on it, 1.71 s in all: only their
     * ratios matter) */
    double users = panel->n_users / 872.0, films = panel->n_films / 1668.0;
    double ratings = panel->n_ratings / 92826.0;
    double epochs = o->ae.epochs / 100.0, hidden = o->ae.hidden / 100.0;
    double kmax = o->kmax / 29.0, restarts = o->kmeans.restarts / 10.0;
    cost[STAGE_MATRIX] = 0.001 * ratings;
    cost[STAGE_AUTOENCODER] = epochs * hidden *
                              (o->ae.loss == AE_LOSS_STUDY ? 0.9 * users * films /* every cell */
                                                           : 1.17 * ratings);
    cost[STAGE_FEATURES] = 0.008 * users;
    /* k-means over k = 1..kmax: each k's Lloyd steps cost k distances a user */
    cost[STAGE_SWEEP] = 0.11 * restarts * kmax * kmax * users;
    cost[STAGE_CLASSIFIER] = 0.05 * (o->classifier.epochs / 50.0) * users * films;
    /* a refit: the sweep again on 80% of the users, and the comparisons */
    cost[STAGE_STABILITY] = 0.65 * o->stability * cost[STAGE_SWEEP];
}

double train_fraction(const TrainStatus *s)
{
    if (s->state == WORKER_DONE)
        return 1;
    if (s->stage < 0)
        return 0;
    if (s->classifier_only)
        return s->steps > 0 ? (double)s->step / s->steps : 0;
    double f = 0, all = 0;
    for (int i = 0; i < STAGE_COUNT; i++) {
        all += s->stage_cost[i];
        if (i < s->stage)
            f += s->stage_cost[i];
        else if (i == s->stage && s->steps > 0)
            f += s->stage_cost[i] * (double)s->step / s->steps;
    }
    if (!(all > 0))
        return 0;
    f /= all;
    return f > 1 ? 1 : f;
}

double train_seconds_left(const TrainStatus *s, double now)
{
    if (s->state != WORKER_RUNNING)
        return NAN;
    double f = train_fraction(s), elapsed = now - s->started;
    if (f < 0.02 || elapsed <= 0)
        return NAN;
    return elapsed * (1 - f) / f;
}

void train_progress_text(const TrainStatus *s, char *buf, size_t size)
{
    if (s->stage < 0)
        snprintf(buf, size, "starting");
    else if (s->steps <= 0)
        snprintf(buf, size, "%s", stage_name(s->stage));
    else
        snprintf(buf, size, "%s %d/%d", stage_name(s->stage), s->step, s->steps);
}
