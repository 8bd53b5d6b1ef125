/* pane_films.c: pane 4, the top 10 films per score (5 down to 1) for the
 * segment or the whole sample, as the study's tables; `/` filters titles
 * with a PCRE2 pattern, `a` switches segment / whole sample. As many score
 * columns as fit readably are shown (all five from 129 columns);
 * Left/Right bring in the others (the pane's second line says so when some
 * are left out: the status line's hints do not). */
#include "app.h"
#include "crt.h"
#include "films.h"
#include "widgets.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

static void films_draw(TuiApp *app, Rect r)
{
    bool whole = app->films_whole || !app->seg || !app->profiles;
    const int32_t *labels = whole ? NULL : app->labels;
    char title[256];
    if (whole)
        snprintf(title, sizeof title, "Top %d films per score: the whole sample (%zu users)%s",
                 PROFILE_TOP_N, app->whole.n_users, app->seg ? "; a: segment" : "");
    else
        snprintf(title, sizeof title, "Top %d films per score: segment %d (k=%d, %zu %s); a: all",
                 PROFILE_TOP_N, app->segment, app->k, app->profiles[app->segment].n_users,
                 app->profiles[app->segment].n_users == 1 ? "user" : "users");
    pane_title(rect_take_top(&r, 1), title);

    /* as many score columns as fit readably; Left/Right bring in the others
     * (a key may move past the last window: it is brought back here) */
    int shown = films_columns_shown(r.w);
    if (app->films_first > 5 - shown)
        app->films_first = 5 - shown;
    int cw = (r.w - (shown - 1)) / shown;

    Rect line = rect_take_top(&r, 1);
    if (shown < 5) {
        char more[64];
        snprintf(more, sizeof more, "%s%s%s", app->films_first > 0 ? crt.glyphs->mark_left : " ",
                 " Left/Right: scores ",
                 app->films_first + shown < 5 ? crt.glyphs->mark_right : " ");
        int more_w = text_columns(more, crt.utf8);
        crt_set(CE_KNEE);
        tui_text(line.y, line.x + line.w - more_w, more_w, more);
        line.w -= more_w + 1;
    }
    if (title_filter_active(&app->filter)) {
        crt_set(CE_KNEE);
        char text[600]; /* the note on / goes first when the pattern is long */
        snprintf(text, sizeof text, "titles matching /%s/ (/ changes, empty clears)",
                 app->filter.pattern);
        if (text_columns(text, crt.utf8) > line.w)
            snprintf(text, sizeof text, "titles matching /%s/", app->filter.pattern);
        tui_text_cut(line.y, line.x, line.w, text);
    } else {
        crt_set(CE_DIM);
        tui_text(line.y, line.x, line.w, "all titles (/ filters them by pattern, e.g. star|trek)");
    }
    crt_set(CE_NORMAL);

    FilmCount top[5][PROFILE_TOP_N];
    size_t n_top[5], max_count = 0;
    for (int c = 0; c < shown; c++) {
        int score = 5 - app->films_first - c;
        n_top[c] =
            films_top(app->panel, labels, app->segment, score, &app->filter, top[c], PROFILE_TOP_N);
        for (size_t i = 0; i < n_top[c]; i++)
            max_count = top[c][i].count > max_count ? top[c][i].count : max_count;
    }
    int nw = max_count >= 10000 ? 5 : max_count >= 1000 ? 4 : max_count >= 100 ? 3 : 2;
    int rows = r.h - 1 < PROFILE_TOP_N ? r.h - 1 : PROFILE_TOP_N;
    for (int c = 0; c < shown; c++) {
        int score = 5 - app->films_first - c, x = r.x + c * (cw + 1);
        size_t n = n_top[c];
        crt_set(CE_TITLE);
        tui_textf(r.y, x, cw, "%d%s films", score, crt.glyphs->star);
        for (int i = 0; i < rows; i++) {
            int y = r.y + 1 + i;
            if ((size_t)i >= n) {
                crt_set(CE_DIM);
                if (i == 0)
                    tui_text(y, x, cw, "(none)");
                continue;
            }
            crt_set(CE_LABEL);
            int used = tui_textf(y, x, nw, "%*zu", nw, top[c][i].count);
            crt_set(CE_NORMAL);
            const char *title = app->panel->films[top[c][i].film].title;
            char shortened[256];
            if (cw < 32 && films_title_without_year(title, shortened, sizeof shortened))
                title = shortened;
            tui_text_cut(y, x + used + 1, cw - used - 1, title);
        }
    }
    crt_set(CE_NORMAL);
}

static bool films_key(TuiApp *app, int ch)
{
    switch (ch) {
    case '/': app_open_prompt(app); return true;
    case 'a': app->films_whole = !app->films_whole; return true;
    case KEY_LEFT:
    case 'h':
        if (app->films_first > 0)
            app->films_first--;
        return true;
    case KEY_RIGHT:
    case 'l':
        if (app->films_first < 4)
            app->films_first++;
        return true;
    }
    return false;
}

const Pane PANE_FILMS_DEF = {.name = "Films",
                             .draw = films_draw,
                             .key = films_key,
                             .hints = "/ filter  a whole/segment  [ ] segment",
                             .hints_untrained = "/ filter"};
