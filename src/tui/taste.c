/* taste.c: the segments pane's taste views (`g`). The segment's own: the
 * genres of its likes (3.5 stars or more) in the order of everyone's (the same rows
 * for every segment), each share against everyone's as an index (none under
 * PROFILE_FEW_RATINGS likes: too few to say), and the median release year of
 * the films it likes (on a short pane in place of the least liked genres), beside the films it
 * likes far more often than everyone (heatmap.h's distinctive films) with how many of it rated
 * each, the lift and the share of those ratings that were likes. Then every segment's genres side
 * by side, as `report --model` prints them. */
#include "app.h"
#include "crt.h"
#include "films.h"
#include "widgets.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>

static void draw_genres(Rect r, const Panel *panel, const Profile *p, const Profile *everyone)
{
    pane_title(rect_take_top(&r, 1), "Genres of its likes (share, index)");
    int genres[PANEL_MAX_GENRES];
    int n = (int)profile_liked_genres(panel, everyone, PROFILE_FEW_RATINGS, genres);
    if (n == 0 || p->n_likes == 0) {
        crt_set(CE_DIM);
        if (n)
            tui_textf(r.y, r.x, r.w, "No ratings of %s.", panel_like_words(panel));
        else
            tui_textf(r.y, r.x, r.w, "No genre liked %d times or more.", PROFILE_FEW_RATINGS);
        crt_set(CE_NORMAL);
        return;
    }
    BarRow rows[PANEL_MAX_GENRES];
    bool named[PANEL_MAX_GENRES]; /* what the segment's line in short names: always shown */
    HeadlinePicks picks;
    profile_headline_picks(panel, p, everyone, &picks);
    for (int i = 0; i < n; i++) {
        int g = genres[i];
        named[i] = headline_picks_genre(&picks, g);
        double idx = profile_genre_index(p, everyone, g);
        rows[i] = (BarRow){.label = panel->genres[g],
                           .value = (double)p->genre_likes[g],
                           .color = CE_BAR,
                           .note_color = isnan(idx) ? CE_DIM : index_color(idx)};
        double share = 100.0 * p->genre_likes[g] / p->n_likes;
        if (isnan(idx)) /* too few likes for an index */
            snprintf(rows[i].note, sizeof rows[i].note, "%5.1f%%    -", share);
        else
            snprintf(rows[i].note, sizeof rows[i].note, "%5.1f%% %4.0f", share, idx);
    }
    /* on a short pane the genres everyone likes least give way to the year */
    bool year = p->liked_year_median && everyone->liked_year_median && r.h >= 2;
    int room = r.h - (year ? 1 : 0);
    int shown = n <= room ? n : room - 1; /* the last line says how many more */
    shown = shown < 0 ? 0 : shown;
    bar_rows_keep(rows, named, n, shown);
    widget_bar_rows(r, rows, shown, 12, 12);
    widget_more_line(r.y + shown, r.x, r.w, n - shown, "filmseg report lists all");
    if (year) {
        crt_set(CE_LABEL);
        tui_textf(r.y + shown + (n > shown), r.x, r.w, "Median year liked: %d (all: %d)",
                  p->liked_year_median, everyone->liked_year_median);
        crt_set(CE_NORMAL);
    }
}

static void draw_distinctive(Rect r, const TuiApp *app)
{
    pane_title(rect_take_top(&r, 1), "Distinctive films (n, lift, liked)");
    HeatRow rows[HEATMAP_FILMS];
    size_t rows_free = r.h > 0 ? (size_t)r.h : 0;
    size_t n = app->n_distinctive < rows_free ? app->n_distinctive : rows_free;
    if (app->n_distinctive == 0) {
        crt_set(CE_DIM); /* on two lines where one is too narrow (it was cut) */
        char first[64], why[64];
        snprintf(first, sizeof first, "No film liked by %zu or more of it",
                 heatmap_min_likers(app->profiles[app->segment].n_users));
        snprintf(why, sizeof why, "(%d, and 5%% of its users).", PROFILE_FEW_RATINGS);
        if (text_columns(first, crt.utf8) + 1 + text_columns(why, crt.utf8) <= r.w || r.h < 2)
            tui_textf(r.y, r.x, r.w, "%s %s", first, why);
        else {
            tui_text(r.y, r.x, r.w, first);
            tui_text(r.y + 1, r.x, r.w, why);
        }
        crt_set(CE_NORMAL);
        return;
    }
    heatmap_rows(app->panel, app->labels, app->segment, app->distinctive, n, rows);
    enum { NUMBERS_W = 17 }; /* "  n  lift liked " */
    int title_w = r.w - NUMBERS_W;
    for (size_t i = 0; i < n; i++) {
        int y = r.y + (int)i;
        const HeatRow *row = &rows[i];
        crt_set(CE_LABEL);
        char lift[16];
        format_lift(row->lift, lift, sizeof lift);
        tui_textf(y, r.x, NUMBERS_W, "%4zu %5s %4.0f%%", row->ratings, lift,
                  100 * (row->share[4] + row->share[5]));
        const char *title = app->panel->films[row->film].title;
        char shortened[256];
        if (text_columns(title, crt.utf8) > title_w &&
            films_title_without_year(title, shortened, sizeof shortened))
            title = shortened;
        crt_set(CE_NORMAL);
        tui_text_cut(y, r.x + NUMBERS_W, title_w, title);
    }
}

void taste_draw(Rect r, const TuiApp *app)
{
    Rect left = rect_take_left(&r, (r.w - 2) / 2, 2);
    draw_genres(left, app->panel, &app->profiles[app->segment], &app->whole);
    draw_distinctive(r, app);
}

/* One cell of the genre table: a segment's index for the genre (dim "-"
 * under PROFILE_FEW_RATINGS likes), or everyone's share of likes. */
static void genre_cell(int y, int x, int w, const Profile *p, const Profile *everyone, int genre,
                       bool chosen)
{
    if (p == everyone) {
        crt_set(CE_LABEL);
        tui_textf(y, x, w, "%*.1f%%", w - 1,
                  100.0 * everyone->genre_likes[genre] / (double)everyone->n_likes);
        crt_set(CE_NORMAL);
        return;
    }
    double idx = profile_genre_index(p, everyone, genre);
    if (isnan(idx)) {
        crt_set(CE_DIM);
        tui_textf(y, x, w, "%*s", w, "-");
    } else {
        crt_set(index_color(idx));
        if (chosen)
            attron(A_BOLD | A_UNDERLINE);
        tui_textf(y, x, w, "%*.0f", w, idx);
        if (chosen)
            attroff(A_BOLD | A_UNDERLINE);
    }
    crt_set(CE_NORMAL);
}

void taste_all_draw(Rect r, const TuiApp *app)
{
    char title[128];
    snprintf(title, sizeof title,
             "Genres liked by every segment (index against everyone; - under %d likes)",
             PROFILE_FEW_RATINGS);
    pane_title(rect_take_top(&r, 1), title);
    int genres[PANEL_MAX_GENRES];
    int n = (int)profile_liked_genres(app->panel, &app->whole, PROFILE_FEW_RATINGS, genres);
    enum { LABEL_W = 12, ALL_W = 7, CELL_W = 5 };
    int shown = (r.w - LABEL_W - ALL_W) / CELL_W; /* segment columns that fit */
    if (shown > app->k)
        shown = app->k;
    int first = app->segment >= shown ? app->segment - shown + 1 : 0; /* keep it in view */
    crt_set(CE_TITLE);
    tui_text(r.y, r.x, LABEL_W, "genre");
    tui_textf(r.y, r.x + LABEL_W, ALL_W, "%*s", ALL_W, "likes");
    for (int c = 0; c < shown; c++) {
        int s = first + c;
        crt_set(s == app->segment ? CE_CHOSEN : CE_TITLE);
        tui_textf(r.y, r.x + LABEL_W + ALL_W + c * CELL_W, CELL_W, "%*d", CELL_W, s);
    }
    crt_set(CE_NORMAL);
    for (int i = 0; i < n && i + 1 < r.h; i++) {
        int y = r.y + 1 + i, g = genres[i];
        crt_set(CE_LABEL);
        tui_text_cut(y, r.x, LABEL_W - 1, app->panel->genres[g]);
        genre_cell(y, r.x + LABEL_W, ALL_W, &app->whole, &app->whole, g, false);
        for (int c = 0; c < shown; c++) {
            int s = first + c;
            genre_cell(y, r.x + LABEL_W + ALL_W + c * CELL_W, CELL_W, &app->profiles[s],
                       &app->whole, g, s == app->segment);
        }
    }
    if (shown < app->k && n + 1 < r.h) {
        crt_set(CE_DIM);
        tui_textf(r.y + n + 1, r.x, r.w, "segments %d-%d of %d ([ ] move)", first,
                  first + shown - 1, app->k);
        crt_set(CE_NORMAL);
    }
}
