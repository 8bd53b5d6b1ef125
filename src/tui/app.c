/* app.c: explorer state that every pane sees (segmentation, k, segment,
 * profiles, heatmap films, messages, training and saving); see app.h. */
#include "app.h"

#include "crt.h"
#include "films.h"

#include "filmseg/atomic_file.h"
#include "filmseg/export.h"
#include "filmseg/model.h"

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static void free_profiles(TuiApp *app)
{
    if (app->profiles)
        for (int s = 0; s < app->k; s++)
            profile_free(&app->profiles[s]);
    free(app->profiles);
    app->profiles = NULL;
}

/* The segment of `after` (labels 0..to-1 of the same n users as `before`)
 * that holds most of segment from_segment's users in `before` (the lowest on
 * a tie; from_segment when none does): where a person following one group
 * finds it after changing k or retraining. */
static int segment_followed(const int32_t *before, int from_segment, const int32_t *after, int to,
                            size_t n)
{
    size_t shared[KMEANS_MAX_K] = {0};
    if (!before || !after || to > KMEANS_MAX_K)
        return from_segment;
    for (size_t u = 0; u < n; u++)
        if (before[u] == from_segment && after[u] >= 0 && after[u] < to)
            shared[after[u]]++;
    int best = 0;
    for (int s = 1; s < to; s++)
        if (shared[s] > shared[best])
            best = s;
    return shared[best] > 0 ? best : from_segment;
}

void app_set_k(TuiApp *app, int k)
{
    if (!app->seg)
        return;
    if (k < 2)
        k = 2;
    if (k > app->seg->sweep.kmax)
        k = app->seg->sweep.kmax;
    if (!segmentation_labels(app->seg, k))
        return;
    int followed = app->k >= 2 && app->k != k
                       ? segment_followed(segmentation_labels(app->seg, app->k), app->segment,
                                          segmentation_labels(app->seg, k), k, app->seg->n_users)
                       : app->segment;
    app->matched = (size_t)segmentation_panel_labels(app->seg, k, app->panel, app->labels);
    Profile *profiles = calloc((size_t)k, sizeof *profiles);
    bool profiled = profiles != NULL;
    for (int s = 0; profiled && s < k; s++)
        profiled = profile_compute(app->panel, app->labels, s, &profiles[s]) == FS_OK;
    if (!profiled) { /* out of memory */
        for (int s = 0; profiles && s < k; s++)
            profile_free(&profiles[s]);
        free(profiles);
        profiles = NULL;
        app_message(app, true, "out of memory: the segments at k=%d could not be profiled", k);
        if (app->k >= 2 && app->profiles) { /* the k shown stays, with its labels */
            app->matched =
                (size_t)segmentation_panel_labels(app->seg, app->k, app->panel, app->labels);
            return;
        }
    }
    free_profiles(app);
    app->k = k;
    app->profiles = profiles; /* NULL only for a new segmentation: the panes wait */
    segments_follow_demographics(app->panel, app->labels, app->follows);
    app->follows_activity = segments_follow_activity(app->panel, app->labels);
    app->segment = followed < k ? followed : k - 1;
    app_refresh_heat(app);
}

void app_set_segmentation(TuiApp *app, Segmentation *seg, int k)
{
    /* a retrain's segments: the one shown follows the users of the one shown before */
    size_t n = app->panel->n_users;
    int32_t *before = app->seg && app->labels ? malloc((n + 1) * sizeof *before) : NULL;
    int before_segment = app->segment;
    if (before)
        memcpy(before, app->labels, n * sizeof *before);
    free_profiles(app);
    if (app->seg) {
        segmentation_free(app->seg);
        free(app->seg);
    }
    app->seg = seg;
    if (!app->labels)
        app->labels = malloc((app->panel->n_users + 1) * sizeof *app->labels);
    if (!seg || !app->labels || !seg->sweep.results) {
        app->seg = NULL;
        if (seg) {
            segmentation_free(seg);
            free(seg);
        }
        free(before);
        return;
    }
    app->model_number++;
    app->k = 0;
    app->segment = 0;
    app_set_k(app, k > 0 ? k : seg->k >= 2 ? seg->k : 2);
    if (before) {
        app->segment = segment_followed(before, before_segment, app->labels, app->k, n);
        if (app->segment >= app->k)
            app->segment = 0;
        app_refresh_heat(app);
        free(before);
    }
}

void app_move_segment(TuiApp *app, int delta)
{
    if (!app->seg || app->k <= 0)
        return;
    app->segment = ((app->segment + delta) % app->k + app->k) % app->k;
    app_refresh_heat(app);
}

void app_refresh_heat(TuiApp *app)
{
    app->heat_scroll = 0;
    app->n_distinctive = app->seg ? heatmap_distinctive(app->panel, app->labels, app->segment,
                                                        HEATMAP_FILMS, app->distinctive)
                                  : 0;
    if (app->heat_mode == HEAT_DISTINCTIVE && app->seg) {
        memcpy(app->heat_films, app->distinctive, app->n_distinctive * sizeof *app->distinctive);
        app->n_heat_films = app->n_distinctive;
    } else
        app->n_heat_films = heatmap_sample(app->panel, HEATMAP_MIN_RATINGS, HEATMAP_FILMS,
                                           app->heat_seed, app->heat_films);
}

/* A text cut short by a buffer ends in whole UTF-8 characters: the bytes of
 * one cut in the middle are dropped. */
static void drop_partial_character(char *s)
{
    size_t len = strlen(s), lead = len;
    while (lead > 0 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
        lead--;
    if (lead == 0)
        return;
    if (len - (lead - 1) < utf8_sequence_length((unsigned char)s[lead - 1]))
        s[lead - 1] = '\0';
}

void app_message(TuiApp *app, bool error, const char *fmt, ...)
{
    /* a question is answered by the next key only while it is on screen */
    app->asked = ASK_NONE;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(app->message, sizeof app->message, fmt, ap) >= (int)sizeof app->message)
        drop_partial_character(app->message);
    va_end(ap);
    app->message_error = error;
    app->message_at = tui_now();
    app->message_seconds = 6;
}

void app_cancel_training(TuiApp *app, bool in_form)
{
    /* the stage as last seen: the worker is there or past it, never before */
    bool keep = app->train.stage == STAGE_STABILITY && !app->train.classifier_only;
    worker_cancel(&app->worker, keep);
    if (keep)
        app_message(app, false,
                    "stopping the stability: the segments and classifier are kept, with the "
                    "refits done%s",
                    in_form ? "; Enter then asks before training over them" : "");
    else
        app_message(app, false, "cancelling the run%s",
                    in_form ? ": Enter then starts this one" : "");
}

bool app_train(TuiApp *app, const PipelineOptions *options)
{
    if (worker_running(&app->worker)) {
        app_message(app, true, "training is already running (x cancels it)");
        return false;
    }
    bool started = worker_start(&app->worker, app->panel, options);
    if (started) {
        app_message(app, false, "training started: %s, k=%d, K=%d, %d epoch%s",
                    options->ae.loss == AE_LOSS_STUDY ? "the study's method" : "filmseg's method",
                    options->k, options->kmax, options->ae.epochs,
                    options->ae.epochs == 1 ? "" : "s");
        app->message_seconds = 3; /* then the status line shows the progress */
    } else {
        app_message(app, true, "training could not start");
    }
    worker_snapshot(&app->worker, &app->train);
    /* seen as running until the UI has picked up the end, however quick it was */
    if (app->train.state != WORKER_FAILED)
        app->train.state = WORKER_RUNNING;
    return started;
}

/* Writes the model on screen, at the k its classifier is for. */
static void save_now(TuiApp *app)
{
    char error[512];
    const char *path = app->save_path;
    if (model_save(app->seg, path, error, sizeof error) != 0) {
        app_message(app, true, "%s", error);
        return;
    }
    app->save_stamp = file_stamp(path);
    app->saved_k = app->seg->k;
    app->saved_number = app->model_number;
    if (app->trained_here) /* the file holds this session's model now */
        app->opened_there = false;
    app->unsaved = false;
    app_message(app, false, "model saved to %s (k=%d%s)", path, app->seg->k,
                worker_running(&app->worker) ? "; the model shown, not the one training" : "");
}

void app_save(TuiApp *app, bool confirmed)
{
    if (!app->seg) {
        app_message(app, true, "nothing to save yet: %s",
                    worker_running(&app->worker) ? "training has not finished"
                                                 : "no model trained (t trains one)");
        return;
    }
    const char *path = app->save_path;
    bool other_k = app->k != app->seg->k; /* the sweep keeps every k; the classifier is for one */
    if (app->save_when_trained) {
        app_message(app, false,
                    "the classifier for k=%d is training; the model is saved when it "
                    "finishes (x cancels)",
                    app->train.options.k);
        return;
    }
    if (other_k && worker_running(&app->worker)) {
        app_message(app, true,
                    "training is running (x cancels it): a classifier for k=%d can be trained "
                    "after it",
                    app->k);
        return;
    }
    if (other_k && app->matched < app->seg->n_users) { /* refused before any question */
        app_message(app, true,
                    "the model's classifier is for k=%d, and this panel lacks %zu of its "
                    "users: a classifier for k=%d needs them all (t retrains)",
                    app->seg->k, app->seg->n_users - app->matched, app->k);
        return;
    }
    FileStamp there = file_stamp(path);
    if (there.pipe) { /* its open would wait for a reader, and the screen with it */
        app_message(app, true,
                    "%s is a named pipe: the explorer would wait for its reader; s writes to "
                    "files and devices",
                    path);
        return;
    }
    if (!confirmed && there.exists && !file_stamp_same(&there, &app->save_stamp)) {
        app_message(app, true, "%s %s: s again %s it, any other key keeps it", path,
                    !there.regular           ? "is not a file"
                    : app->save_stamp.exists ? "has changed since it was opened or saved here"
                                             : "exists",
                    there.regular ? "replaces" : "writes to");
        app->asked = ASK_SAVE;
        return;
    }
    if (!confirmed && there.exists && app->saved_number && app->saved_number != app->model_number) {
        /* the model opened, or one saved before a retrain, is replaced by
         * another run of this session's (comparing two methods, say): asked
         * once, as q asks */
        app_message(app, true,
                    "%s holds the model %s (k=%d): s again replaces it with the one trained %s, "
                    "at k=%d, any other key keeps it",
                    path, app->opened_there ? "opened" : "saved before", app->saved_k,
                    app->opened_there ? "here" : "since", app->k);
        app->asked = ASK_SAVE;
        return;
    }
    if (!confirmed && there.exists && there.regular && app->saved_k && app->k != app->saved_k) {
        /* a k looked at, then s: the file's k (what score assigns) changes */
        app_message(app, true,
                    "%s holds a model at k=%d: s again saves this one at k=%d%s, any other key "
                    "keeps it",
                    path, app->saved_k, app->k, other_k ? " (training its classifier)" : "");
        app->asked = ASK_SAVE;
        return;
    }
    if (other_k) {
        if (!worker_start_classifier(&app->worker, app->panel, app->seg, app->k)) {
            app_message(app, true, "training could not start");
            return;
        }
        worker_snapshot(&app->worker, &app->train);
        app->train.state = WORKER_RUNNING; /* until the UI has picked up the end */
        app->save_when_trained = true;
        app_message(app, false, "training the classifier for k=%d, then saving to %s", app->k,
                    path);
        return;
    }
    save_now(app);
}

void app_install_classifier(TuiApp *app, ClassifierResult *result, bool then_save)
{
    Segmentation *seg = app->seg;
    classifier_free(&seg->classifier);
    classifier_report_free(&seg->classifier_report);
    seg->classifier = result->classifier;
    seg->classifier_report = result->report;
    seg->k = seg->options.k = result->k;
    seg->seconds[STAGE_CLASSIFIER] = result->seconds;
    app->unsaved = true;
    if (then_save) { /* at the k s asked for, wherever the view has gone since */
        save_now(app);
    } else {
        app_message(app, false, "the classifier for k=%d is trained", seg->k);
    }
}

/* model.fsm -> model-csv: the save path without its extension, plus "-csv";
 * false when that does not fit size bytes */
static bool export_folder(const char *save_path, char *out, size_t size)
{
    const char *slash = strrchr(save_path, '/'), *dot = strrchr(save_path, '.');
    size_t len = dot && (!slash || dot > slash + 1) ? (size_t)(dot - save_path) : strlen(save_path);
    return len < size && snprintf(out, size, "%.*s-csv", (int)len, save_path) < (int)size;
}

/* Where e writes table t: DIR/NAME.csv */
static void table_path(const char *dir, int t, char *out, size_t size)
{
    snprintf(out, size, "%s/%s.csv", dir, export_table_name((ExportTable)t));
}

void app_export(TuiApp *app, bool confirmed)
{
    if (!app->seg) {
        app_message(app, true, "nothing to export yet: training has not finished");
        return;
    }
    if (app->matched == 0) {
        app_message(app, true, "nothing to export: none of the panel's users is in the model");
        return;
    }
    FileStamp save_there = file_stamp(app->save_path);
    if (save_there.exists && !save_there.regular) {
        app_message(app, true, "%s is not a file: e writes beside a model file (--out FILE)",
                    app->save_path);
        return;
    }
    char dir[PATH_MAX], path[PATH_MAX + 32], error[PATH_MAX + 400]; /* path: DIR/NAME.csv */
    if (!export_folder(app->save_path, dir, sizeof dir)) {
        app_message(app, true,
                    "cannot export: the folder beside the model file would have a name over %d "
                    "bytes (%s)",
                    PATH_MAX - 1, app->save_path);
        return;
    }
    bool replaces = false; /* a table there that this explorer did not write, as it is */
    for (int t = 0; t < EXPORT_COUNT && !replaces; t++) {
        table_path(dir, t, path, sizeof path);
        FileStamp there = file_stamp(path);
        replaces = there.exists && !file_stamp_same(&there, &app->export_stamps[t]);
    }
    if (replaces && !confirmed) {
        app_message(app, true,
                    "%s/ holds CSV files this explorer did not write: e again replaces them, any "
                    "other key keeps them",
                    dir);
        app->asked = ASK_EXPORT;
        return;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        app_message(app, true, "%s: cannot make the folder: %s", dir,
                    atomic_file_strerror(dir, errno));
        return;
    }
    /* all the tables or none: each written beside its place, then all put there */
    AtomicFile files[EXPORT_COUNT];
    memset(files, 0, sizeof files);
    bool ok = true;
    for (int t = 0; t < EXPORT_COUNT && ok; t++) {
        table_path(dir, t, path, sizeof path);
        ok = export_write_file((ExportTable)t, app->seg, app->k, app->panel, app->labels, path,
                               &files[t], error, sizeof error) == FS_OK;
    }
    AtomicFile *each[EXPORT_COUNT];
    for (int t = 0; t < EXPORT_COUNT; t++)
        each[t] = &files[t];
    size_t placed = ok ? atomic_file_commit_all(each, EXPORT_COUNT) : 0;
    if (ok && placed < EXPORT_COUNT) {
        snprintf(error, sizeof error, "%s: cannot write: %s", files[placed].path,
                 atomic_file_strerror(files[placed].path, errno));
        ok = false;
    }
    for (int t = 0; t < EXPORT_COUNT; t++)
        atomic_file_discard(&files[t]);
    if (!ok) {
        app_message(app, true, "%s", error);
        return;
    }
    for (int t = 0; t < EXPORT_COUNT; t++) {
        table_path(dir, t, path, sizeof path);
        app->export_stamps[t] = file_stamp(path);
    }
    bool other_films = app->heat_seed != HEATMAP_SEED || app->heat_mode == HEAT_DISTINCTIVE;
    /* the tables beside a model file that does not hold their model (yet) */
    app_message(app, false, "k=%d exported to %s/ (CSV%s%s)", app->k, dir,
                other_films ? "; heatmap.csv: the study's films, not those shown" : "",
                app->unsaved ? "; the model is not saved: s saves it" : "");
}

/* ---- drawing helpers the panes share ---- */

void pane_title(Rect r, const char *title)
{
    crt_set(CE_TITLE);
    tui_text_cut(r.y, r.x, r.w, title);
    crt_set(CE_NORMAL);
}

void pane_waiting(TuiApp *app, Rect r, const char *what)
{
    char line[400];
    const TrainStatus *t = &app->train;
    char progress[64];
    train_progress_text(t, progress, sizeof progress);
    if (t->state == WORKER_RUNNING)
        snprintf(line, sizeof line, "Training: %s. %s appear when it finishes.", progress, what);
    else if (t->state == WORKER_FAILED)
        snprintf(line, sizeof line, "Training failed: %s. Press t to train again.", t->error);
    else if (t->state == WORKER_CANCELLED)
        snprintf(line, sizeof line, "Training was cancelled. Press t to train again.");
    else
        snprintf(line, sizeof line, "No segments yet. Press t to train.");
    /* centred; too wide, a sentence a line (the second cut with an ellipsis) */
    char *second = text_columns(line, crt.utf8) > r.w ? strstr(line, ". ") : NULL;
    if (second) {
        second[1] = '\0';
        second += 2;
    }
    crt_set(CE_DIM);
    const char *lines[2] = {line, second};
    for (int i = 0; i < 2 && lines[i]; i++) {
        int w = text_columns(lines[i], crt.utf8);
        tui_text_cut(r.y + r.h / 2 + i, r.x + (w < r.w ? (r.w - w) / 2 : 0), r.w, lines[i]);
    }
    crt_set(CE_NORMAL);
}

void profile_state_counts(const Profile *p, double *counts)
{
    for (int s = 0; s < PANEL_MAX_STATES; s++)
        counts[s] = 0;
    for (size_t i = 0; i < p->n_states; i++)
        if (p->states[i].index >= 0 && p->states[i].index < PANEL_MAX_STATES)
            counts[p->states[i].index] = (double)p->states[i].count;
}
