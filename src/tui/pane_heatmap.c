/* pane_heatmap.c: pane 5, films by score 1..5 for the segment (or everyone
 * before there are segments), each cell shaded by the share of the
 * segment's ratings of that film at that score. The films are the study's
 * sample (30 films with more than 100 ratings; `r` draws another) or the
 * segment's most distinctive films (`d`). Rows of fewer than 10 of the
 * segment's ratings are dim: their shares say little. */
#include "app.h"
#include "crt.h"
#include "films.h"
#include "widgets.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>

static void heatmap_draw(TuiApp *app, Rect r)
{
    bool seg = app->seg != NULL;
    char title[256], who[96];
    if (seg)
        snprintf(who, sizeof who, "segment %d (k=%d)", app->segment, app->k);
    else
        snprintf(who, sizeof who, "everyone");
    size_t eligible = 0;
    for (size_t f = 0; f < app->panel->n_films; f++)
        eligible += app->panel->film_start[f + 1] - app->panel->film_start[f] > HEATMAP_MIN_RATINGS;
    if (app->heat_mode == HEAT_DISTINCTIVE && seg && app->n_heat_films == 0)
        snprintf(title, sizeof title,
                 "Heatmap, %s: no film liked by %zu or more of it, so none distinctive (d: sample)",
                 who, heatmap_min_likers(app->profiles ? app->profiles[app->segment].n_users : 0));
    else if (app->heat_mode == HEAT_DISTINCTIVE && seg)
        snprintf(title, sizeof title, "Heatmap, %s: its %zu most distinctive films (d: sample)",
                 who, app->n_heat_films);
    else if (eligible >= HEATMAP_FILMS)
        snprintf(title, sizeof title, "Heatmap, %s: %zu of the %zu films with >%d ratings", who,
                 app->n_heat_films, eligible, HEATMAP_MIN_RATINGS);
    else
        snprintf(title, sizeof title, "Heatmap, %s: the %zu most rated films", who,
                 app->n_heat_films);
    pane_title(rect_take_top(&r, 1), title);
    Rect legend = {r.y + r.h - 1, r.x, 1, r.w};
    r.h -= 2;
    HeatRow rows[HEATMAP_FILMS];
    heatmap_rows(app->panel, seg ? app->labels : NULL, app->segment, app->heat_films,
                 app->n_heat_films, rows);
    int cw = (r.w - 40) / 5;
    if (cw > 8)
        cw = 8;
    if (cw < 5)
        cw = 5;
    int extra_w = 12; /* ratings and lift */
    int title_w = r.w - 5 * cw - extra_w - 1;
    /* no wider than the longest title: on a wide terminal a row's shares
     * stay beside its title, not a hundred blank columns away */
    int longest = 4; /* "film", or the header that says what the cells are when there is room */
    for (size_t i = 0; i < app->n_heat_films; i++) {
        int w = text_columns(app->panel->films[rows[i].film].title, crt.utf8);
        longest = w > longest ? w : longest;
    }
    if (title_w > longest + 1)
        title_w = longest + 1;
    /* header */
    crt_set(CE_TITLE);
    static const char FILM_HEADER[] = "film (% of its n by score)";
    tui_text(r.y, r.x, title_w, title_w > (int)sizeof FILM_HEADER - 1 ? FILM_HEADER : "film");
    for (int s = 1; s <= 5; s++)
        tui_textf(r.y, r.x + title_w + 1 + (s - 1) * cw, cw, "%*d%s", cw / 2, s, crt.glyphs->star);
    tui_text(r.y, r.x + title_w + 1 + 5 * cw, extra_w,
             app->heat_mode == HEAT_DISTINCTIVE ? "    n  lift" : "    n");
    crt_set(CE_NORMAL);
    int visible = r.h - 1;
    if (app->heat_scroll > (int)app->n_heat_films - visible)
        app->heat_scroll = (int)app->n_heat_films - visible;
    if (app->heat_scroll < 0)
        app->heat_scroll = 0;
    for (int i = 0; i < visible && app->heat_scroll + i < (int)app->n_heat_films; i++) {
        const HeatRow *row = &rows[app->heat_scroll + i];
        int y = r.y + 1 + i;
        bool few = row->ratings < PROFILE_FEW_RATINGS;
        const char *film = app->panel->films[row->film].title;
        char shortened[256];
        if (text_columns(film, crt.utf8) > title_w &&
            films_title_without_year(film, shortened, sizeof shortened))
            film = shortened;
        crt_set(few ? CE_DIM : CE_LABEL);
        tui_text_cut(y, r.x, title_w, film);
        for (int s = 1; s <= 5; s++)
            widget_heat_cell(y, r.x + title_w + 1 + (s - 1) * cw, cw - 1, row->share[s], few);
        crt_set(few ? CE_DIM : CE_LABEL);
        char lift[16];
        format_lift(row->lift, lift, sizeof lift);
        if (app->heat_mode == HEAT_DISTINCTIVE && isfinite(row->lift))
            tui_textf(y, r.x + title_w + 1 + 5 * cw, extra_w, "%5zu %6s", row->ratings, lift);
        else
            tui_textf(y, r.x + title_w + 1 + 5 * cw, extra_w, "%5zu", row->ratings);
    }
    if ((int)app->n_heat_films > visible) {
        crt_set(CE_DIM);
        tui_textf(legend.y - 1, legend.x, legend.w, "films %d-%d of %zu (Up/Down scroll)",
                  app->heat_scroll + 1, app->heat_scroll + visible, app->n_heat_films);
    }
    widget_heat_legend(legend.y, legend.x, legend.w);
}

static bool heatmap_key(TuiApp *app, int ch)
{
    switch (ch) {
    case 'r':
        app->heat_seed++;
        if (app->heat_mode != HEAT_SAMPLE)
            app->heat_mode = HEAT_SAMPLE;
        app_refresh_heat(app);
        return true;
    case 'd':
        if (!app->seg)
            return true;
        app->heat_mode = app->heat_mode == HEAT_SAMPLE ? HEAT_DISTINCTIVE : HEAT_SAMPLE;
        app_refresh_heat(app);
        return true;
    case KEY_UP:
    case 'k': app->heat_scroll--; return true;
    case KEY_DOWN:
    case 'j': app->heat_scroll++; return true;
    case KEY_HOME: app->heat_scroll = 0; return true;
    case KEY_END: app->heat_scroll = HEATMAP_FILMS; return true; /* drawing clamps it */
    case KEY_LEFT:
    case 'h': app_move_segment(app, -1); return app->seg != NULL;
    case KEY_RIGHT:
    case 'l': app_move_segment(app, +1); return app->seg != NULL;
    }
    return false;
}

const Pane PANE_HEATMAP_DEF = {.name = "Heatmap",
                               .draw = heatmap_draw,
                               .key = heatmap_key,
                               .hints = "r sample  d distinctive  [ ] segment",
                               .hints_untrained = "r sample"};
