/* pane_training.c: pane 6, training: the stage, the step, elapsed time and
 * an estimate of what is left, and live curves of the autoencoder's loss and
 * the classifier's loss and accuracy from the worker's progress events (or
 * the histories saved in a loaded model). `t` opens the retrain form. */
#include "app.h"
#include "crt.h"
#include "widgets.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The run's settings the form does not show that differ from its method's
 * preset, as train's options ("--norm l1 --implicit-weight 0"): "" when
 * none do. */
static void settings_not_in_form(const PipelineOptions *o, char *buf, size_t size)
{
    PipelineOptions preset;
    if (o->ae.loss == AE_LOSS_STUDY)
        pipeline_options_study(&preset);
    else
        pipeline_options_default(&preset);
    char one[48];
    buf[0] = '\0';
    if (o->features.norm != preset.features.norm) {
        snprintf(one, sizeof one, " --norm %s", o->features.norm == EMBED_NORM_L1 ? "l1" : "l2");
        strncat(buf, one, size - strlen(buf) - 1);
    }
    if (o->kmeans.restarts != preset.kmeans.restarts) {
        snprintf(one, sizeof one, " --restarts %d", o->kmeans.restarts);
        strncat(buf, one, size - strlen(buf) - 1);
    }
    if (o->ae.loss == AE_LOSS_STUDY)
        return; /* its loss uses none of the others */
    const struct {
        const char *option;
        float value, preset;
    } others[] = {{"implicit-weight", o->ae.implicit_weight, preset.ae.implicit_weight},
                  {"implicit-negatives", o->ae.implicit_negatives, preset.ae.implicit_negatives},
                  {"unrated-share", o->ae.unrated_share, preset.ae.unrated_share},
                  {"unrated-weight", o->ae.unrated_weight, preset.ae.unrated_weight}};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (others[i].value != others[i].preset) {
            snprintf(one, sizeof one, " --%s %g", others[i].option, others[i].value);
            strncat(buf, one, size - strlen(buf) - 1);
        }
}

static void training_draw(TuiApp *app, Rect r)
{
    const TrainStatus *t = &app->train;
    const PipelineOptions *o = &t->options;
    char title[400];
    double now = tui_now();
    if (t->state == WORKER_RUNNING) {
        double left = train_seconds_left(t, now);
        char eta[48] = "estimating what is left";
        if (isfinite(left))
            snprintf(eta, sizeof eta, "about %.0fs left", ceil(left));
        if (t->classifier_only)
            snprintf(title, sizeof title,
                     "Training the classifier for k=%d: epoch %d/%d, %.1fs elapsed, %s", o->k,
                     t->step, t->steps, now - t->started, eta);
        else {
            char progress[64];
            train_progress_text(t, progress, sizeof progress);
            snprintf(title, sizeof title, "Training: %s, %.1fs elapsed, %s", progress,
                     now - t->started, eta);
        }
    } else if (t->state == WORKER_DONE && t->classifier_only) {
        snprintf(title, sizeof title, "The classifier for k=%d trained in %.2fs", o->k,
                 t->finished - t->started);
    } else if (t->state == WORKER_DONE && t->stability_refits < o->stability) {
        snprintf(title, sizeof title,
                 "Training finished in %.1fs, its stability stopped at %d of %d refits",
                 t->finished - t->started, t->stability_refits, o->stability);
    } else if (t->state == WORKER_DONE) {
        snprintf(title, sizeof title, "Training finished in %.1fs", t->finished - t->started);
    } else if (t->state == WORKER_CANCELLED && t->classifier_only) {
        snprintf(title, sizeof title, "The classifier for k=%d cancelled after %.1fs", o->k,
                 t->finished - t->started);
    } else if (t->state == WORKER_CANCELLED) {
        snprintf(title, sizeof title, "Training cancelled after %.1fs%s", t->finished - t->started,
                 app->seg ? ": its run below, not the model shown" : "");
    } else if (t->state == WORKER_FAILED) {
        snprintf(title, sizeof title, "Training failed: %s", t->error);
    } else {
        snprintf(title, sizeof title, "Training: not started (t opens the form)");
    }
    if (t->points_missing)
        snprintf(title + strlen(title), sizeof title - strlen(title),
                 " (out of memory: the curves below miss points)");
    crt_set(t->state == WORKER_FAILED || t->points_missing ? CE_ERROR : CE_TITLE);
    tui_text(r.y, r.x, r.w, title);
    rect_take_top(&r, 1);
    if (t->state != WORKER_IDLE) {
        /* every setting of the form, on two lines when one is too narrow */
        char settings[2][200], weight[32];
        if (!app->panel->has_demographics)
            snprintf(weight, sizeof weight, "none (no demographics)");
        else if (o->features.demo_weight < 0)
            snprintf(weight, sizeof weight, "unscaled");
        else
            snprintf(weight, sizeof weight, "%g", o->features.demo_weight);
        snprintf(settings[0], sizeof settings[0], "%s  k=%d  K=%d  epochs %d  hidden %d  seed %llu",
                 o->ae.loss == AE_LOSS_STUDY ? "study's method" : "filmseg", o->k, o->kmax,
                 o->ae.epochs, o->ae.hidden, (unsigned long long)o->seed);
        char refits[40];
        if (t->state == WORKER_DONE && t->stability_refits < o->stability)
            snprintf(refits, sizeof refits, "%d/%d", t->stability_refits, o->stability);
        else
            snprintf(refits, sizeof refits, "%d", o->stability);
        snprintf(settings[1], sizeof settings[1],
                 "demographics weight %s  genre weight %g  recency %g  stability refits %s", weight,
                 o->features.genre_weight, o->features.recency, refits);
        crt_set(CE_DIM);
        Rect line = rect_take_top(&r, 1);
        int first = tui_text(line.y, line.x, line.w, settings[0]);
        if (first + 2 + text_columns(settings[1], crt.utf8) <= line.w) {
            tui_text(line.y, line.x + first + 2, line.w - first - 2, settings[1]);
        } else {
            line = rect_take_top(&r, 1);
            tui_text(line.y, line.x, line.w, settings[1]);
        }
        char others[200];
        settings_not_in_form(o, others, sizeof others);
        if (t->state == WORKER_DONE && app->seg && app->seg->settings_unrecorded) {
            line = rect_take_top(&r, 1);
            tui_text(line.y, line.x, line.w,
                     "the others not recorded in this model file (before version 8): defaults");
        } else if (others[0]) { /* kept by a retrain from the form, which does not show them */
            /* as many lines as it takes, each option whole */
            line = rect_take_top(&r, 1);
            int x = line.x + tui_text(line.y, line.x, line.w, "and, not in the form:");
            for (char *option = others; *option;) {
                char *next = strstr(option + 1, " --");
                int len = next ? (int)(next - option) : (int)strlen(option);
                bool wrap = x + len > line.x + line.w;
                if (wrap)
                    line = rect_take_top(&r, 1);
                if (wrap) /* a new line: without the space before the option */
                    x = line.x + tui_textf(line.y, line.x, line.w, "%.*s", len - 1, option + 1);
                else
                    x += tui_textf(line.y, x, line.x + line.w - x, "%.*s", len, option);
                option += len;
            }
        }
        /* the stages, the current one marked (short names: all six fit in 80 columns) */
        static const char *const STAGE_LABEL[STAGE_COUNT] = {"matrix", "autoencoder", "features",
                                                             "sweep",  "classifier",  "stability"};
        line = rect_take_top(&r, 1);
        int x = line.x;
        for (int s = 0; s < STAGE_COUNT; s++) {
            if (s == STAGE_STABILITY && o->stability == 0)
                continue;
            bool done = t->state == WORKER_DONE || s < t->stage;
            if (s == STAGE_STABILITY && t->state == WORKER_DONE &&
                t->stability_refits < o->stability) {
                crt_set(CE_LABEL);
                /* cut short by x: how far, in the title and the settings (the
                 * refits' count would not fit 80 columns here) */
                x += tui_textf(line.y, x, line.x + line.w - x, "%s cut", STAGE_LABEL[s]) + 2;
                continue;
            }
            crt_set(s == t->stage && t->state == WORKER_RUNNING ? CE_CHOSEN
                    : done                                      ? CE_OK
                                                                : CE_DIM);
            bool stopped = t->state == WORKER_CANCELLED || t->state == WORKER_FAILED;
            x += tui_textf(line.y, x, line.x + line.w - x, "%s %s", STAGE_LABEL[s],
                           done                       ? "ok"
                           : s == t->stage && stopped ? "stopped"
                           : s == t->stage            ? "..."
                                                      : "") +
                 2;
        }
        line = rect_take_top(&r, 1);
        double f = train_fraction(t);
        widget_bar(line.y, line.x, line.w - 6, f, 1, CE_BAR);
        crt_set(CE_LABEL);
        tui_textf(line.y, line.x + line.w - 5, 5, "%3.0f%%", 100 * f);
    }
    crt_set(CE_NORMAL);
    Rect hint = {r.y + r.h - 1, r.x, 1, r.w};
    r.h -= 1;
    crt_set(CE_DIM);
    tui_textf(hint.y, hint.x, hint.w,
              "%s train  %s validation    t retrain with other settings  %s", crt.glyphs->point,
              crt.glyphs->point_alt, t->state == WORKER_RUNNING ? "x cancel  s save" : "s save");
    crt_set(CE_NORMAL);
    if (r.h < 6)
        return;
    Rect left = rect_take_left(&r, (r.w - 2) / 2, 2), right = r;
    pane_title(rect_take_top(&left, 1), "Autoencoder loss by epoch");
    PlotSeries ae[2] = {{t->ae_loss.v, t->ae_loss.n, crt.glyphs->point, CE_CURVE, NULL},
                        {t->ae_val.v, t->ae_val.n, crt.glyphs->point_alt, CE_CURVE_ALT, NULL}};
    PlotSpec spec = {.series = ae,
                     .n_series = 2,
                     .x0 = 1,
                     .x1 = o->ae.epochs > t->ae_loss.n ? o->ae.epochs : t->ae_loss.n,
                     .mark_x = NAN,
                     .point_x = NAN,
                     .x_label = "epoch"};
    widget_plot(left, &spec);
    Rect top = rect_take_top(&right, right.h / 2);
    pane_title(rect_take_top(&top, 1), "Classifier loss");
    /* the epochs to come while it trains, those it ran once done (early
     * stopping ends most runs well before the most allowed) */
    bool clf_done = t->state == WORKER_DONE || (t->state == WORKER_RUNNING && !t->classifier_only &&
                                                t->stage > STAGE_CLASSIFIER);
    int clf_epochs = clf_done && t->clf_loss.n > 0 ? (t->clf_loss.n > 2 ? t->clf_loss.n : 2)
                     : o->classifier.epochs > t->clf_loss.n ? o->classifier.epochs
                                                            : t->clf_loss.n;
    PlotSeries cl[2] = {{t->clf_loss.v, t->clf_loss.n, crt.glyphs->point, CE_CURVE, NULL},
                        {t->clf_val.v, t->clf_val.n, crt.glyphs->point_alt, CE_CURVE_ALT, NULL}};
    spec = (PlotSpec){.series = cl,
                      .n_series = 2,
                      .x0 = 1,
                      .x1 = clf_epochs,
                      .mark_x = NAN,
                      .point_x = NAN,
                      .x_label = "epoch"};
    widget_plot(top, &spec);
    char acc_title[96];
    if (t->state == WORKER_DONE && app->seg) /* the weights kept: the best epoch's, as train says */
        snprintf(acc_title, sizeof acc_title, "Classifier accuracy (kept: val %.1f%%)",
                 100 * app->seg->classifier_report.val_accuracy);
    else if (t->clf_val_acc.n > 0 && isfinite(t->clf_val_acc.v[t->clf_val_acc.n - 1]))
        snprintf(acc_title, sizeof acc_title, "Classifier accuracy (val %.1f%%)",
                 100 * t->clf_val_acc.v[t->clf_val_acc.n - 1]);
    else
        snprintf(acc_title, sizeof acc_title, "Classifier accuracy");
    pane_title(rect_take_top(&right, 1), acc_title);
    PlotSeries ac[2] = {
        {t->clf_acc.v, t->clf_acc.n, crt.glyphs->point, CE_CURVE, NULL},
        {t->clf_val_acc.v, t->clf_val_acc.n, crt.glyphs->point_alt, CE_CURVE_ALT, NULL}};
    spec = (PlotSpec){.series = ac,
                      .n_series = 2,
                      .x0 = 1,
                      .x1 = clf_epochs,
                      .y_lo = 0,
                      .y_hi = 1,
                      .mark_x = NAN,
                      .point_x = NAN,
                      .x_label = "epoch"};
    widget_plot(right, &spec);
}

const Pane PANE_TRAINING_DEF = {.name = "Training",
                                .draw = training_draw,
                                .hints = "t retrain  s save",
                                .hints_untrained = "t train",
                                .hints_running = "x cancel  s save"};
