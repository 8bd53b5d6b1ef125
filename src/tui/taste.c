/* taste.c: the segments pane's taste view (`g`): the genres of the
 * segment's likes (4-5 stars) in the order of everyone's (the same rows for
 * every segment), each share against everyone's as an index (none under
 * PROFILE_FEW_RATINGS likes: too few to say), and the median release year of
 * the films it likes, beside the films it rates far
 * more often than everyone (heatmap.h's distinctive films) with how many of
 * it rated each, the lift and the share of those ratings that were likes. */
#include "app.h"
#include "crt.h"
#include "films.h"
#include "widgets.h"

#include <stdio.h>

static void draw_genres(Rect r, const Panel *panel, const Profile *p, const Profile *everyone)
{
    pane_title(rect_take_top(&r, 1), "Genres of its likes (share, index)");
    int genres[PANEL_MAX_GENRES];
    int n = (int)profile_liked_genres(panel, everyone, PROFILE_FEW_RATINGS, genres);
    if (n == 0 || p->n_likes == 0) {
        crt_set(CE_DIM);
        if (n)
            tui_text(r.y, r.x, r.w, "No ratings of 4 or 5 stars.");
        else
            tui_textf(r.y, r.x, r.w, "No genre liked %d times or more.", PROFILE_FEW_RATINGS);
        crt_set(CE_NORMAL);
        return;
    }
    BarRow rows[PANEL_MAX_GENRES];
    for (int i = 0; i < n; i++) {
        int g = genres[i];
        double idx = profile_share_index(p->genre_likes[g], p->n_likes, everyone->genre_likes[g],
                                         everyone->n_likes);
        rows[i] = (BarRow){.label = panel->genres[g],
                           .value = (double)p->genre_likes[g],
                           .color = CE_BAR,
                           .note_color = index_color(idx)};
        double share = 100.0 * p->genre_likes[g] / p->n_likes;
        if (p->genre_likes[g] < PROFILE_FEW_RATINGS) { /* too few likes for an index */
            rows[i].note_color = CE_DIM;
            snprintf(rows[i].note, sizeof rows[i].note, "%5.1f%%    -", share);
        } else {
            snprintf(rows[i].note, sizeof rows[i].note, "%5.1f%% %4.0f", share, idx);
        }
    }
    widget_bar_rows(r, rows, n < r.h ? n : r.h, 12, 12);
    if (n < r.h && p->liked_year_median && everyone->liked_year_median) {
        crt_set(CE_LABEL);
        tui_textf(r.y + n, r.x, r.w, "Median year liked: %d (all: %d)", p->liked_year_median,
                  everyone->liked_year_median);
        crt_set(CE_NORMAL);
    }
}

static void draw_distinctive(Rect r, const TuiApp *app)
{
    pane_title(rect_take_top(&r, 1), "Distinctive films (n, lift, liked)");
    uint32_t films[HEATMAP_FILMS];
    HeatRow rows[HEATMAP_FILMS];
    size_t want = r.h < HEATMAP_FILMS ? (size_t)(r.h > 0 ? r.h : 0) : HEATMAP_FILMS;
    size_t n = heatmap_distinctive(app->panel, app->labels, app->segment, want, films);
    if (n == 0) {
        crt_set(CE_DIM);
        tui_textf(r.y, r.x, r.w, "No film rated by %d or more of it.", PROFILE_FEW_RATINGS);
        crt_set(CE_NORMAL);
        return;
    }
    heatmap_rows(app->panel, app->labels, app->segment, films, n, rows);
    enum { NUMBERS_W = 17 }; /* "  n  lift liked " */
    int title_w = r.w - NUMBERS_W;
    for (size_t i = 0; i < n; i++) {
        int y = r.y + (int)i;
        const HeatRow *row = &rows[i];
        crt_set(CE_LABEL);
        tui_textf(y, r.x, NUMBERS_W, "%4zu %4.1fx %4.0f%%", row->ratings, row->lift,
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
