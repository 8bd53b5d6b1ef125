/* pane_segments.c: pane 3, one segment at a time ([ and ], PgUp/PgDn): its
 * size and the audience pane's demographics, each against the whole sample
 * as an index (100 = as everyone), or with `g` its taste, then every
 * segment's genres side by side (taste.c). */
#include "app.h"
#include "crt.h"
#include "widgets.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The title of segment s in form (0 the longest, each next one shorter: how
 * many ratings a user gives, beside everyone's, as much as the width
 * allows; the last, for a segment whose stability warns, without them):
 * true when it fits w columns or no shorter form is left. */
/* The warning on segment s's stability, "" when none. */
static const char *stability_warning(const TuiApp *app, int s)
{
    /* read as the report reads it (Hennig) */
    int reading = kmeans_stability_reading(kmeans_segment_stability(&app->seg->sweep, app->k, s));
    return app->profiles[s].n_users == 1 ? " (one user)"
           : reading == 0                ? " (untrustworthy)"
           : reading == 1                ? " (doubtful)"
                                         : "";
}

static bool segment_warned(const TuiApp *app, int s)
{
    return *stability_warning(app, s) != '\0';
}

static bool segment_title(const TuiApp *app, int s, int form, int w, char *title, size_t size)
{
    const Profile *p = &app->profiles[s];
    char stable[48] = "";
    double stability = kmeans_segment_stability(&app->seg->sweep, app->k, s);
    /* with the report's three decimals when it warns (0.597 is
     * untrustworthy, where 0.60 would not be) */
    const char *warning = stability_warning(app, s);
    if (isfinite(stability))
        snprintf(stable, sizeof stable, *warning ? ", stability %.3f%s" : ", stability %.2f%s",
                 stability, warning);
    else if (*warning)
        snprintf(stable, sizeof stable, "%s", warning);
    /* how many ratings a user, beside everyone's (a segment of light raters
     * rates fewer films, which is not a taste) */
    double each = p->n_users ? (double)p->n_ratings / p->n_users : 0;
    double everyone_each =
        app->whole.n_users ? (double)app->whole.n_ratings / app->whole.n_users : 0;
    char ratings[80] = ""; /* the last form: none, so that a warning on stability fits */
    int last = *warning ? 4 : 3;
    if (form > last)
        form = last;
    if (form == 0)
        snprintf(ratings, sizeof ratings, "%zu ratings (%.0f each, everyone %.0f), ", p->n_ratings,
                 each, everyone_each);
    else if (form == 1)
        snprintf(ratings, sizeof ratings, "%.0f ratings each (everyone %.0f), ", each,
                 everyone_each);
    else if (form == 2)
        snprintf(ratings, sizeof ratings, "%.0f ratings each (all %.0f), ", each, everyone_each);
    else if (form == 3)
        snprintf(ratings, sizeof ratings, "%.0f ratings each, ", each);
    int n = snprintf(title, size, "Segment %d (k=%d): %zu %s (%.1f%%), %smean %.2f%s", s, app->k,
                     p->n_users, p->n_users == 1 ? "user" : "users",
                     app->whole.n_users ? 100.0 * p->n_users / app->whole.n_users : 0, ratings,
                     p->rating_mean, stable);
    /* a title cut short by the buffer (only absurd figures, a mean of 1e300,
     * would do it: the compiler cannot rule them out) counts as too wide, so
     * that a shorter form is tried; the last is shown cut */
    return (n >= 0 && (size_t)n < size && text_columns(title, crt.utf8) <= w) || form == last;
}

static void segments_draw(TuiApp *app, Rect r)
{
    if (!app->seg || !app->profiles) {
        pane_title(r, "Segments");
        pane_waiting(app, r, "Segments");
        return;
    }
    /* the form the title of every segment without a warning on its
     * stability fits in at this width, so that [ and ] compare them in the
     * same words (it changed from one to the next); one with a warning, whose
     * words are longer, goes shorter where it must */
    int form = 0;
    char title[400];
    for (int s = 0; s < app->k; s++) {
        int need = 0;
        while (!segment_title(app, s, need, r.w, title, sizeof title))
            need++;
        if (!segment_warned(app, s))
            form = need > form ? need : form;
    }
    for (int need = form; !segment_title(app, app->segment, need, r.w, title, sizeof title);)
        need++;
    const Profile *p = &app->profiles[app->segment];
    pane_title(rect_take_top(&r, 1), title);
    /* the sizes of every segment on one line; when they do not all fit, the
     * ones around the chosen segment, an ellipsis where some are left out */
    Rect sizes = rect_take_top(&r, 1);
    int x = sizes.x, end = sizes.x + sizes.w;
    char item[KMEANS_MAX_K][32];
    int width[KMEANS_MAX_K] = {0}, total = 6; /* "sizes:" */
    int k = app->k < KMEANS_MAX_K ? app->k : KMEANS_MAX_K;
    for (int s = 0; s < k; s++) {
        width[s] = snprintf(item[s], sizeof item[s], "%d:%zu", s, app->profiles[s].n_users);
        total += 1 + width[s];
    }
    int first = 0;
    if (total > sizes.w) {    /* drop segments from the front until the chosen one fits */
        int upto = 6 + 2 + 2; /* "sizes:", a leading and a trailing " …" */
        for (int s = 0; s <= app->segment && s < k; s++)
            upto += 1 + width[s];
        while (first < app->segment && upto > sizes.w)
            upto -= 1 + width[first++];
    }
    crt_set(CE_LABEL);
    x += tui_text(sizes.y, x, sizes.w, "sizes:");
    if (first > 0)
        x += 1 + tui_text(sizes.y, x + 1, end - x - 1, crt.glyphs->ellipsis);
    int s = first;
    for (; s < k; s++) {
        bool last = s == k - 1;
        if (x + 1 + width[s] + (last ? 0 : 2) > end)
            break;
        crt_set(s == app->segment ? CE_CHOSEN : CE_LABEL);
        x += 1 + tui_text(sizes.y, x + 1, end - x - 1, item[s]);
    }
    if (s < k) {
        crt_set(CE_LABEL);
        x += 1 + tui_text(sizes.y, x + 1, end - x - 1, crt.glyphs->ellipsis);
    }
    crt_set(CE_NORMAL);
    if (app->matched < app->panel->n_users) {
        crt_set(CE_DIM);
        tui_textf(sizes.y, x + 2, sizes.x + sizes.w - x - 2, "(%zu of %zu users in the model)",
                  app->matched, app->panel->n_users);
        crt_set(CE_NORMAL);
    }
    if (app->segments_view == SEGMENTS_GENRES) { /* every segment: no line on this one */
        taste_all_draw(r, app);
        return;
    }
    char headline[512];
    profile_headline(app->panel, p, &app->whole, headline, sizeof headline);
    /* a line too long for the width goes on to a second at its last "; "
     * that fits (when the pane has rows to spare), not cut mid-name */
    char *rest = NULL;
    if (text_columns(headline, crt.utf8) > r.w - 10 && r.h >= 16)
        for (char *at = strstr(headline, "; "); at; at = strstr(at + 2, "; ")) {
            *at = '\0';
            bool fits = text_columns(headline, crt.utf8) <= r.w - 10;
            *at = ';';
            if (!fits)
                break;
            rest = at;
        }
    if (rest)
        *rest = '\0';
    Rect in_short = rect_take_top(&r, 1);
    crt_set(CE_LABEL);
    tui_text_cut(in_short.y, in_short.x, in_short.w, "In short: ");
    crt_set(CE_NORMAL);
    tui_text_cut(in_short.y, in_short.x + 10, in_short.w - 10, headline);
    if (rest) {
        Rect more = rect_take_top(&r, 1);
        tui_text_cut(more.y, more.x + 10, more.w - 10, rest + 2);
    }
    if (app->segments_view == SEGMENTS_TASTE)
        taste_draw(r, app);
    else
        demographics_draw(r, app->panel, p, &app->whole);
}

static bool segments_key(TuiApp *app, int ch)
{
    switch (ch) {
    case KEY_LEFT:
    case 'h': app_move_segment(app, -1); return app->seg != NULL;
    case KEY_RIGHT:
    case 'l': app_move_segment(app, +1); return app->seg != NULL;
    case 'g': app->segments_view = (app->segments_view + 1) % SEGMENTS_VIEWS; return true;
    }
    return false;
}

const Pane PANE_SEGMENTS_DEF = {.name = "Segments",
                                .draw = segments_draw,
                                .key = segments_key,
                                .hints = "[ ] segment  g taste  e export  +/- k",
                                .hints_untrained = "t train"};
