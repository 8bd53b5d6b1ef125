/* pane_audience.c: pane 1, the whole sample: occupation bars, the age
 * histogram with mean and median marked, the gender split, the US tile map
 * shaded by users, and the rating distribution. demographics_draw is shared
 * with the segments pane, which shows the same figures as indexes. */
#include "app.h"
#include "crt.h"
#include "widgets.h"

#include "filmseg/states.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double pct(size_t part, size_t whole)
{
    return whole ? 100.0 * part / whole : 0;
}

ColorElement index_color(double index)
{
    return index >= 120 ? CE_HIGH : index <= 80 ? CE_LOW : CE_LABEL;
}

static void draw_occupations(Rect r, const Panel *panel, const Profile *p, const Profile *base)
{
    pane_title(rect_take_top(&r, 1), base ? "Occupations (share, index)" : "Occupations");
    BarRow rows[64];
    bool named[64] = {false}; /* what the segment's line in short names: always shown */
    HeadlinePicks picks = {0};
    if (base)
        profile_headline_picks(panel, p, base, &picks);
    int n = 0, fit = r.h; /* on a short pane the last line says how many more there are */
    if (p->n_occupations > (size_t)r.h && r.h >= 2)
        fit = r.h - 1;
    for (size_t i = 0; i < p->n_occupations && n < 64; i++, n++) {
        const CategoryCount *c = &p->occupations[i];
        named[n] = headline_picks_occupation(&picks, c->index);
        BarRow *row = &rows[n];
        row->label = panel->occupations[c->index];
        row->value = (double)c->count;
        row->color = CE_BAR;
        row->note_color = CE_LABEL;
        if (base) {
            double idx = profile_share_index(
                c->count, p->n_users, profile_occupation_count(base, c->index), base->n_users);
            snprintf(row->note, sizeof row->note, "%5.1f%% %4.0f", pct(c->count, p->n_users), idx);
            row->note_color = index_color(idx);
        } else {
            snprintf(row->note, sizeof row->note, "%4zu %5.1f%%", c->count,
                     pct(c->count, p->n_users));
        }
    }
    int shown = n < fit ? n : fit;
    bar_rows_keep(rows, named, n, shown);
    widget_bar_rows(r, rows, shown, 13, 12);
    /* the report lists every occupation of the sample; a segment's, export's profiles */
    widget_more_line(r.y + shown, r.x, r.w, (int)p->n_occupations - shown,
                     base ? "export --table profiles" : "filmseg report lists all");
}

static void draw_ages(Rect r, const Profile *p, const Profile *base)
{
    const Glyphs *g = crt.glyphs;
    char title[160];
    bool banded = p->ages_banded; /* bands only: the median band, no mean */
    int median_band = profile_median_age_band(p);
    if (banded)
        snprintf(title, sizeof title, "Age (bands%s)  %s median band %s", base ? ", index" : "",
                 g->point_alt, median_band >= 0 ? age_band_label(median_band) : "-");
    else
        snprintf(title, sizeof title, "Age%s  %s mean %.1f  %s median %g", base ? " (index)" : "",
                 g->mark, p->age_mean, g->point_alt, p->age_median);
    pane_title(rect_take_top(&r, 1), title);
    /* narrow columns: each band by the age it starts at ("18+" would read
     * as 18 and over) */
    static const char *const SHORT[AGE_BAND_COUNT] = {"<18", "18", "25", "35", "45", "50", "56+"};
    static const char *const LONG[AGE_BAND_COUNT] = {"<18",   "18-24", "25-34", "35-44",
                                                     "45-49", "50-55", "56+"};
    int col_w = (r.w + 1) / AGE_BAND_COUNT - 1;
    if (col_w > 9)
        col_w = 9;
    double values[AGE_BAND_COUNT];
    char text[AGE_BAND_COUNT][16];
    const char *value_text[AGE_BAND_COUNT];
    for (int b = 0; b < AGE_BAND_COUNT; b++) {
        values[b] = (double)p->age_bands[b];
        if (base) { /* a segment: the bars are the index too, as the figures */
            double idx =
                profile_share_index(p->age_bands[b], p->n_users, base->age_bands[b], base->n_users);
            values[b] = isfinite(idx) ? idx : 0;
            snprintf(text[b], sizeof text[b], isfinite(idx) ? "%.0f" : "-", idx);
        } else
            snprintf(text[b], sizeof text[b], "%.0f%%", pct(p->age_bands[b], p->n_users));
        value_text[b] = text[b];
    }
    widget_histogram(r, col_w >= 5 ? LONG : SHORT, values, value_text, AGE_BAND_COUNT, col_w,
                     banded ? -1 : age_band_position(p->age_mean), g->mark,
                     banded ? median_band + 0.5 : age_band_position(p->age_median), g->point_alt);
}

static void draw_states(Rect r, const Profile *p, const Profile *base)
{
    double counts[PANEL_MAX_STATES], base_counts[PANEL_MAX_STATES], value[PANEL_MAX_STATES];
    int level[PANEL_MAX_STATES];
    profile_state_counts(p, counts);
    if (base)
        profile_state_counts(base, base_counts);
    double max = 0;
    for (int s = 1; s < PANEL_MAX_STATES; s++)
        max = counts[s] > max ? counts[s] : max;
    for (int s = 0; s < PANEL_MAX_STATES; s++) {
        if (base) {
            value[s] = profile_share_index((size_t)counts[s], p->n_users, (size_t)base_counts[s],
                                           base->n_users);
            /* a state of a few users: its index (a user of 2 there: 400) is
             * noise, so it is left blank, as a state without users */
            level[s] = tilemap_index_level(value[s], base_counts[s] >= TILEMAP_INDEX_MIN_USERS);
        } else {
            value[s] = counts[s];
            level[s] = tilemap_count_level(counts[s], max);
        }
    }
    int top = 0;
    for (int s = 1; s < PANEL_MAX_STATES; s++)
        if (counts[s] > counts[top] || top == 0)
            top = counts[s] > 0 ? s : top;
    char title[120];
    if (base)
        snprintf(title, sizeof title, "States (index vs everyone)");
    else if (top > 0)
        snprintf(title, sizeof title, "States (users; most: %s %.0f, %zu states)",
                 state_info(top)->code, counts[top], p->n_states);
    else
        snprintf(title, sizeof title, "States (users)");
    pane_title(rect_take_top(&r, 1), title);
    int used = widget_tilemap(r, level, value);
    if (used > 0 && used < r.h) /* what the shades mean, on the row below */
        widget_tilemap_legend(r.y + used, r.x, r.w, base != NULL);
}

static void draw_gender(Rect r, const Profile *p, const Profile *base)
{
    pane_title(rect_take_top(&r, 1), base ? "Gender (share, index)" : "Gender");
    BarRow rows[2] = {{.label = "male", .value = (double)p->n_male, .color = CE_BAR},
                      {.label = "female", .value = (double)p->n_female, .color = CE_BAR_ALT}};
    size_t all[2] = {base ? base->n_male : 0, base ? base->n_female : 0};
    for (int i = 0; i < 2; i++) {
        size_t n = i ? p->n_female : p->n_male;
        rows[i].note_color = CE_LABEL;
        if (base) {
            double idx = profile_share_index(n, p->n_users, all[i], base->n_users);
            snprintf(rows[i].note, sizeof rows[i].note, "%5.1f%% %4.0f", pct(n, p->n_users), idx);
            rows[i].note_color = index_color(idx);
        } else {
            snprintf(rows[i].note, sizeof rows[i].note, "%4zu %5.1f%%", n, pct(n, p->n_users));
        }
    }
    widget_bar_rows(r, rows, 2, 13, 12);
}

static void draw_ratings(Rect r, const Profile *p, const Profile *base)
{
    char title[80];
    snprintf(title, sizeof title, "Ratings (mean %.2f%s)", p->rating_mean,
             base ? "; share, index" : "");
    pane_title(rect_take_top(&r, 1), title);
    BarRow rows[5];
    char labels[5][16], counts[5][16];
    size_t by_score[5];
    for (int i = 0; i < 5; i++)
        by_score[i] = p->ratings_by_score[5 - i];
    format_count_column(by_score, 5, counts);
    for (int i = 0; i < 5; i++) {
        int score = 5 - i;
        size_t n = p->ratings_by_score[score];
        snprintf(labels[i], sizeof labels[i], "%d %s", score, crt.glyphs->star);
        rows[i] = (BarRow){
            .label = labels[i], .value = (double)n, .color = CE_BAR, .note_color = CE_LABEL};
        if (base) {
            double idx = profile_share_index(n, p->n_ratings, base->ratings_by_score[score],
                                             base->n_ratings);
            snprintf(rows[i].note, sizeof rows[i].note, "%5.1f%% %4.0f", pct(n, p->n_ratings), idx);
            rows[i].note_color = index_color(idx);
        } else {
            snprintf(rows[i].note, sizeof rows[i].note, "%5s %5.1f%%", counts[i],
                     pct(n, p->n_ratings));
        }
    }
    widget_bar_rows(r, rows, 5, 13, 12);
}

void demographics_draw(Rect r, const Panel *panel, const Profile *p, const Profile *base)
{
    Rect left = rect_take_left(&r, (r.w - 2) / 2, 2), right = r;
    if (!p->has_demographics) {
        crt_set(CE_DIM);
        tui_text(left.y, left.x, left.w, "No demographics: a taste-only panel.");
        crt_set(CE_NORMAL);
        draw_ratings(right, p, base);
        return;
    }
    /* left: occupations over the age histogram; on a tall screen the
     * occupations take the rows they need (a title, a row each, a gap) and
     * the histogram grows to at most AGE_ROWS_MAX below them */
    enum { AGE_ROWS_MAX = 20 };
    int age_h = left.h * 2 / 5 < 8 ? 8 : left.h * 2 / 5;
    if (age_h > 14)
        age_h = 14;
    int occ_h = left.h - age_h, occ_needed = (int)p->n_occupations + 2;
    if (occ_h > occ_needed)
        occ_h = occ_needed;
    Rect occ = rect_take_top(&left, occ_h);
    if (left.h > AGE_ROWS_MAX)
        left.h = AGE_ROWS_MAX;
    draw_occupations(occ, panel, p, base);
    draw_ages(left, p, base);
    /* right: states, gender, ratings */
    /* the map at double height when the gender (a gap and 3 rows) and the
     * ratings (a title and 5 rows) still fit below it */
    int map_h = right.h >= 2 * TILE_ROWS + 1 + 4 + 6 && right.w / TILE_COLS < 7 ? 2 * TILE_ROWS + 1
                                                                                : TILE_ROWS + 1;
    /* the map's legend only where the gender and the ratings still fit
     * whole below it (a segment's pane at 80x23, or with a two-line "In
     * short", is a row short: the ratings lost their last row) */
    int legend = right.h >= map_h + 1 + 3 + 6 ? 1 : 0;
    draw_states(rect_take_top(&right, map_h + legend), p, base);
    draw_gender(rect_take_top(&right, 3), p, base);
    rect_take_top(&right, right.h > 7 ? 1 : 0);
    draw_ratings(right, p, base);
}

static void audience_draw(TuiApp *app, Rect r)
{
    const Profile *p = &app->whole;
    char title[400];
    char ratings[16];
    format_compact((double)p->n_ratings, ratings, sizeof ratings);
    char dropped[64] = ""; /* the sample rules' doing, as report says */
    if (app->panel->sample.users_dropped)
        snprintf(dropped, sizeof dropped, " (%zu dropped)", app->panel->sample.users_dropped);
    snprintf(title, sizeof title, "Audience: %zu users%s, %s ratings of %zu films (%s)", p->n_users,
             dropped, ratings, panel_films_rated(app->panel), app->panel->source);
    pane_title(rect_take_top(&r, 1), title);
    rect_take_top(&r, 1);
    demographics_draw(r, app->panel, p, NULL);
}

const Pane PANE_AUDIENCE_DEF = {
    .name = "Audience", .draw = audience_draw, .hints = "Tab pane", .hints_untrained = "Tab pane"};
