/* pane_elbow.c: pane 2, the elbow: inertia for k = 1..K as a plot with
 * axes, the knee marked and the chosen k drawn as a line, the silhouette and
 * stability of each k and of its weakest segment in a table beside it (a k
 * whose every segment comes back is one to choose), and how much the chosen k's
 * segments follow each demographic (association.h). Left/Right choose k;
 * every pane follows. */
#include "app.h"
#include "crt.h"
#include "widgets.h"

#include "filmseg/association.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* v rounded to two decimals, and a value that rounds to zero as 0, not -0 */
static double hundredths(double v)
{
    double shown = round(v * 100) / 100;
    return shown == 0 ? 0 : shown;
}

/* An AMI as printed: two decimals, "-" when not measured (too few users). */
static const char *ami_text(double ami, char buf[static 8])
{
    if (isfinite(ami))
        snprintf(buf, 8, "%.2f", hundredths(ami));
    else
        snprintf(buf, 8, "-");
    return buf;
}

/* The text that fits w columns: full, else brief (ASCII both), else brief cut. */
static void text_that_fits(Rect at, const char *full, const char *brief)
{
    tui_text(at.y, at.x, at.w, (int)strlen(full) <= at.w ? full : brief);
}

/* Under the title: how much the chosen k's segments follow each demographic
 * and how much their users rate (AMI), what the sweep's best silhouette
 * says (as the report reads it: kmeans_silhouette_reading) and, when they follow
 * how much users rate, that too: what tells a segmentation of taste from
 * one of demographics or of heavy and light raters. Takes its lines off the
 * top of r. */
static void elbow_readings(const TuiApp *app, Rect *r)
{
    char full[240], brief[240], a[5][8];
    ami_text(app->follows_activity, a[4]);
    if (app->panel->has_demographics) {
        ami_text(app->follows[DEMOGRAPHIC_GENDER], a[0]);
        ami_text(app->follows[DEMOGRAPHIC_AGE], a[1]);
        ami_text(app->follows[DEMOGRAPHIC_OCCUPATION], a[2]);
        ami_text(app->follows[DEMOGRAPHIC_STATE], a[3]);
        snprintf(full, sizeof full,
                 "k=%d follows (AMI): gender %s, age band %s, occupation %s, state %s, ratings "
                 "count %s",
                 app->k, a[0], a[1], a[2], a[3], a[4]);
        snprintf(brief, sizeof brief,
                 "AMI k=%d: gender %s age band %s occupation %s state %s ratings %s", app->k, a[0],
                 a[1], a[2], a[3], a[4]);
    } else {
        snprintf(full, sizeof full, "k=%d follows (AMI): ratings count %s", app->k, a[4]);
        snprintf(brief, sizeof brief, "AMI k=%d: ratings count %s", app->k, a[4]);
    }
    crt_set(CE_LABEL);
    text_that_fits(rect_take_top(r, 1), full, brief);
    Rect line = rect_take_top(r, 1);
    int best = kmeans_best_silhouette_k(&app->seg->sweep);
    if (best) {
        double top = app->seg->sweep.silhouette[best - 1];
        static const char *const READING[] = {"a continuum divided, no separate groups",
                                              "a weak structure", "a clear structure"};
        tui_textf(line.y, line.x, line.w, "Silhouette at most %.3f (k=%d): %s", top, best,
                  READING[kmeans_silhouette_reading(top)]);
    }
    if (app->follows_activity >= SEGMENTS_FOLLOW_AMI) {
        snprintf(full, sizeof full,
                 "k=%d follows how much users rate (AMI %s): in part it sets heavy raters apart "
                 "from light ones",
                 app->k, a[4]);
        snprintf(brief, sizeof brief, "k=%d in part sets heavy raters apart from light ones",
                 app->k);
        text_that_fits(rect_take_top(r, 1), full, brief);
    }
    crt_set(CE_NORMAL);
}

static void elbow_draw(TuiApp *app, Rect r)
{
    const Segmentation *seg = app->seg;
    const double *inertia;
    double buf[KMEANS_MAX_K];
    int kmax;
    if (seg) { /* (a model of a larger kmax is refused when loaded) */
        kmax = seg->sweep.kmax < KMEANS_MAX_K ? seg->sweep.kmax : KMEANS_MAX_K;
        for (int k = 1; k <= kmax; k++)
            buf[k - 1] = seg->sweep.results[k - 1].inertia;
        inertia = buf;
    } else if (app->train.inertia.n > 0) { /* the sweep as it runs */
        inertia = app->train.inertia.v;
        kmax = app->train.inertia.n;
    } else {
        pane_title(r, "Elbow: inertia by k");
        pane_waiting(app, r, "The elbow and the segments");
        return;
    }
    int knee = seg ? seg->sweep.knee : 0;
    char title[200];
    if (seg) {
        char model_k[48] = ""; /* browsing away from the k the classifier is for */
        if (app->k != seg->k)
            snprintf(model_k, sizeof model_k, " (the model's k=%d)", seg->k);
        char knee_text[24] = "no knee"; /* a sweep to K < 3, or a straight curve */
        if (knee > 0)
            snprintf(knee_text, sizeof knee_text, "knee k=%d", knee);
        snprintf(title, sizeof title, "Elbow: inertia by k (1..%d); %s; chosen k=%d%s", kmax,
                 knee_text, app->k, model_k);
    } else {
        snprintf(title, sizeof title, "Elbow: inertia by k, the sweep so far (k=1..%d)", kmax);
    }
    pane_title(rect_take_top(&r, 1), title);
    if (seg)
        elbow_readings(app, &r);
    else
        rect_take_top(&r, 2); /* where they will be */
    const KmeansSweep *sweep = seg ? &seg->sweep : NULL;
    const double *stability = sweep ? sweep->stability : NULL; /* NULL: not measured */
    bool measured = stability != NULL;
    int table_w = measured ? 44 : 36;
    Rect plot = rect_take_left(&r, r.w - table_w - 2, 2), table = r;
    char knee_label[32];
    snprintf(knee_label, sizeof knee_label, "knee k=%d", knee);
    PlotSeries series = {inertia, kmax, crt.glyphs->point, CE_CURVE, NULL};
    PlotSpec spec = {.series = &series,
                     .n_series = 1,
                     .x0 = 1,
                     .x1 = kmax > 1 ? kmax : 2,
                     .y_from_zero = true,
                     .mark_x = seg ? app->k : NAN,
                     .point_x = knee > 0 ? knee : NAN,
                     .point_label = knee_label,
                     .x_label = "k"};
    widget_plot(plot, &spec);
    /* the table: k, inertia, silhouette, stability, a window around the chosen k */
    crt_set(CE_TITLE);
    tui_text(table.y, table.x, table.w,
             measured ? "  k   inertia silhouette stability weakest"
                      : "  k   inertia silhouette stability");
    /* a window of the k's that fit, with a line for those above and below */
    int rows = table.h - 1, cursor = seg ? app->k - 1 : kmax - 1, shown = rows, first = 0;
    for (; shown > 0; shown--) {
        first = layout_window(kmax, shown, cursor);
        if (shown + (first > 0) + (first + shown < kmax) <= rows)
            break;
    }
    int y = table.y + 1;
    crt_set(CE_DIM);
    if (first > 0)
        tui_textf(y++, table.x, table.w, "    k 1-%d above (Left)", first);
    if (first + shown < kmax) /* the window follows k: where to go to see them */
        tui_textf(y + shown, table.x, table.w, "    k %d-%d below (Right)", first + shown + 1,
                  kmax);
    for (int i = 0; i < shown && first + i < kmax; i++, y++) {
        int k = first + i + 1;
        double sil = seg && seg->sweep.silhouette ? seg->sweep.silhouette[k - 1] : NAN;
        double stable = measured ? stability[k - 1] : NAN;
        double weakest = kmeans_weakest_segment_stability(sweep, k); /* NAN: not measured */
        char inert[16], silh[16], stab[16], weak[16] = "";
        format_compact(inertia[k - 1], inert, sizeof inert);
        snprintf(silh, sizeof silh, isfinite(sil) ? "%10.3f" : "         -", sil);
        snprintf(stab, sizeof stab, isfinite(stable) ? "%9.2f" : "        -", stable);
        if (measured) { /* marked as the segments pane reads it: ! untrustworthy, ? doubtful;
                           three decimals, as the marks read them (0.597 is under 0.6) */
            int reading = kmeans_stability_reading(weakest);
            snprintf(weak, sizeof weak, isfinite(weakest) ? " %6.3f%c" : "       - ", weakest,
                     reading == 0   ? '!'
                     : reading == 1 ? '?'
                                    : ' ');
        }
        crt_set(seg && k == app->k ? CE_CHOSEN : k == knee ? CE_KNEE : CE_LABEL);
        tui_textf(y, table.x, table.w, "%3d %9s %s %s%s %s", k, inert, silh, stab, weak,
                  k == knee ? crt.glyphs->knee : " ");
    }
    crt_set(CE_NORMAL);
}

static bool elbow_key(TuiApp *app, int ch)
{
    if (!app->seg)
        return false;
    switch (ch) {
    case KEY_LEFT:
    case 'h': app_set_k(app, app->k - 1); return true;
    case KEY_RIGHT:
    case 'l': app_set_k(app, app->k + 1); return true;
    case KEY_HOME:
    case 'g': app_set_k(app, 2); return true;
    case KEY_END:
    case 'G': app_set_k(app, app->seg->sweep.kmax); return true;
    case 'n':
        if (app->seg->sweep.knee >= 2 && app->k == app->seg->sweep.knee)
            app_message(app, false, "k=%d is the knee", app->k);
        else if (app->seg->sweep.knee >= 2)
            app_set_k(app, app->seg->sweep.knee);
        else
            app_message(app, true, "no knee: the inertia curve has no bend to find%s",
                        app->seg->sweep.kmax < 3 ? " (K is under 3)" : "");
        return true;
    }
    return false;
}

const Pane PANE_ELBOW_DEF = {.name = "Elbow",
                             .draw = elbow_draw,
                             .key = elbow_key,
                             .hints = "Left/Right k  n knee",
                             .hints_untrained = "t train"};
