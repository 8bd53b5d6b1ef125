/* widgets.h (private to src/tui): the small drawing pieces panes are made of
 * (bars, vertical histogram, line plot, heatmap cells, US tile map) and the
 * pure arithmetic behind them (plot scales, number formats, tile positions,
 * shade levels), which has no ncurses in it and is unit-tested. */
#ifndef FILMSEG_TUI_WIDGETS_H
#define FILMSEG_TUI_WIDGETS_H

#include "crt.h"
#include "layout.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- numbers ---- */

/* A number in at most 6 columns: 12345 -> "12.3k", 0.5 -> "0.5", 2e6 -> "2M". */
void format_compact(double v, char *buf, size_t size);
/* A lift in at most 5 columns: "3.2x", "496x" from 100 on, ">9999" beyond. */
void format_lift(double lift, char *buf, size_t size);
/* A column of n counts in one unit picked by the largest (whole, k, M), each
 * into out[i] ("19.8k", "25.0k", "0.4k"). */
void format_count_column(const size_t *counts, int n, char out[][16]);

/* ---- bars (bars.c) ---- */

/* A horizontal bar of value/max in w columns (eighths on UTF-8 terminals). */
void widget_bar(int y, int x, int w, double value, double max, ColorElement color);

typedef struct {
    const char *label;
    double value;            /* bar length, against the max of the rows */
    char note[40];           /* right-hand text */
    ColorElement color;      /* the bar */
    ColorElement note_color; /* the note */
} BarRow;

/* One row per item from the top of r: label (label_w), bar, note (note_w). */
void widget_bar_rows(Rect r, const BarRow *rows, int n, int label_w, int note_w);
/* Reorders rows[0..n) (at most 64) so that the first `shown` hold every
 * row marked keep (what the segment's line in short names), the last rows
 * not kept giving way to them; both keep their order. */
void bar_rows_keep(BarRow *rows, const bool *keep, int n, int shown);
/* Rows of a list that did not fit: "+N more (WHERE)", dim, on line y
 * (nothing when more is 0); where: what lists them all. */
void widget_more_line(int y, int x, int w, int more, const char *where);

/* ---- histogram (histogram.c) ---- */

/* Where an age falls on the band axis: band index + the fraction of the band
 * (bands as panel.h's age bands; the last band is taken to end at 75). */
double age_band_position(double age);
/* Heights in eighths of a cell of n columns of values, rows tall (0..8 rows). */
void histogram_heights(const double *values, int n, int rows, int *eighths);
/* Vertical bars of n values (col_w columns each, a gap of 1), a value row
 * and a label row under them, and a marker row with up to two one-glyph marks
 * at band positions (mark_pos < 0: none). */
void widget_histogram(Rect r, const char *const *labels, const double *values,
                      const char *const *value_text, int n, int col_w, double mark1_pos,
                      const char *mark1, double mark2_pos, const char *mark2);

/* ---- line plot (plot.c) ---- */

typedef struct {
    double lo, hi, step; /* nice bounds, lo + i * step are the ticks */
    int ticks;
} PlotScale;

/* A nice scale over [lo, hi] with about `ticks` ticks (1, 2 or 5 x 10^n). */
PlotScale plot_scale(double lo, double hi, int ticks);
/* The label of tick v on scale s: format_compact's, with as many decimals as
 * the step needs (up to 4) so that neighbouring ticks read differently
 * ("0.026", "0.028" where format_compact gives "0.03" twice). */
void plot_tick_label(const PlotScale *s, double v, char *buf, size_t size);
/* The row (0 = top) of value v in a plot rows tall; clamped. */
int plot_row(const PlotScale *s, double v, int rows);
/* The column of x in [x0, x1] over cols columns; clamped. */
int plot_col(double x, double x0, double x1, int cols);

typedef struct {
    const double *y; /* y[i] at x = x0 + i; NAN points are skipped */
    int n;
    const char *glyph;
    ColorElement color;
    const char *name; /* for the legend, may be NULL */
} PlotSeries;

typedef struct {
    const PlotSeries *series;
    int n_series;
    double x0, x1;     /* the x axis */
    bool y_from_zero;  /* the y scale starts at 0 */
    double y_lo, y_hi; /* fixed y range when y_lo < y_hi */
    double mark_x;     /* a vertical line at this x (NAN: none) */
    double point_x;    /* a marked point of series 0 at this x (NAN: none) */
    const char *point_label;
    const char *x_label;
} PlotSpec;

/* Axes with tick labels on the left and below, then the series. */
void widget_plot(Rect r, const PlotSpec *spec);

/* ---- heatmap cells (heatmap_widget.c) ---- */

/* The shade level (0..HEAT_LEVELS-1) of a share in [0, 1]: 0 exactly 0, then
 * by the whole percentage the cell prints: under 10, under 20, under 35, up
 * to 50, and above. */
int heat_level(double share);
/* One cell w wide: the share in percent on a colour ramp (colour terminals),
 * or with the character ramp (monochrome); dim and unshaded when `few`
 * (fewer than PROFILE_FEW_RATINGS ratings). */
void widget_heat_cell(int y, int x, int w, double share, bool few);
/* The legend on one line. */
void widget_heat_legend(int y, int x, int w);

/* ---- US tile map (tilemap.c) ---- */

enum { TILE_ROWS = 8, TILE_COLS = 11 };

/* Where a state (states.h index) sits in the tile grid; false when it has no
 * tile (unknown, territories). */
bool tilemap_position(int state, int *row, int *col);
/* How many states have tiles. */
int tilemap_tiles(void);
/* Shade level of a count against the largest count (square-root scale):
 * 0 for 0, else 1..HEAT_LEVELS-1. */
int tilemap_count_level(double count, double max);
/* Shade level of an index (100 = as everyone): 1 well under, 5 well over;
 * 0 when the state has nobody in the sample. */
int tilemap_index_level(double index, bool present);
/* The tiles in r; level[s] and value[s] per state index (value shown when
 * the tiles are wide enough; NULL: none). Returns the rows used. */
int widget_tilemap(Rect r, const int *level, const double *value);
/* The fewest users of everyone's in a state whose index a map shades (a
 * segment's 1 user of everyone's 2 is an index of 400, and noise). */
#define TILEMAP_INDEX_MIN_USERS 10
/* One line saying what the tile map's shades are: index bands (index, and
 * the states left blank), or users from few to most. */
void widget_tilemap_legend(int y, int x, int w, bool index);

#endif
