/* histogram.c: a vertical histogram with labels, values and marks under it
 * (the age bands with the mean and median marked). */
#include "widgets.h"

#include "filmseg/panel.h"

#include <curses.h>
#include <math.h>

static const double BAND_FROM[AGE_BAND_COUNT + 1] = {0, 18, 25, 35, 45, 50, 56, 75};

double age_band_position(double age)
{
    if (!isfinite(age))
        return -1;
    int band = age_band_of((int)floor(age));
    double lo = BAND_FROM[band], hi = BAND_FROM[band + 1];
    double f = (age - lo) / (hi - lo);
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    return band + f;
}

void histogram_heights(const double *values, int n, int rows, int *eighths)
{
    double max = 0;
    for (int i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    for (int i = 0; i < n; i++)
        eighths[i] = layout_bar_eighths(values[i], max, rows);
}

void widget_histogram(Rect r, const char *const *labels, const double *values,
                      const char *const *value_text, int n, int col_w, double mark1_pos,
                      const char *mark1, double mark2_pos, const char *mark2)
{
    int bar_rows = r.h - 3;
    if (bar_rows < 1 || n <= 0 || n > 16)
        return;
    int eighths[16];
    histogram_heights(values, n, bar_rows, eighths);
    const Glyphs *g = crt.glyphs;
    /* in eighths of a row upwards */
    static const char *const UP_UTF8[8] = {NULL,     "\u2581", "\u2582", "\u2583",
                                           "\u2584", "\u2585", "\u2586", "\u2587"};
    for (int i = 0; i < n; i++) {
        int x = r.x + i * (col_w + 1);
        int e = eighths[i], full = e / 8, rest = e % 8;
        const char *partial = rest ? UP_UTF8[rest] : NULL;
        if (!crt.utf8) { /* whole rows; less than half a row: a line at the bottom */
            full = (e + 4) / 8;
            partial = full == 0 && e > 0 ? "_" : NULL;
        }
        crt_set(i % 2 ? CE_BAR_ALT : CE_BAR);
        for (int j = 0; j < full; j++)
            tui_fill(r.y + bar_rows - 1 - j, x, col_w, g->block);
        if (partial && full < bar_rows)
            tui_fill(r.y + bar_rows - 1 - full, x, col_w, partial);
        crt_set(CE_LABEL);
        if (value_text)
            tui_text(r.y + bar_rows, x, col_w, value_text[i]);
        tui_text(r.y + bar_rows + 1, x, col_w, labels[i]);
    }
    /* a mark (one glyph) at band position p sits under column floor(p), a
     * fraction f along it */
    crt_set(CE_KNEE);
    double pos[2] = {mark1_pos, mark2_pos};
    const char *text[2] = {mark1, mark2};
    int placed = -1;
    for (int m = 0; m < 2; m++) {
        if (!(pos[m] >= 0) || !text[m])
            continue;
        int band = (int)pos[m];
        if (band >= n)
            band = n - 1;
        int x = r.x + band * (col_w + 1) + (int)((pos[m] - band) * (col_w - 1) + 0.5);
        if (x == placed) /* two marks in one place: side by side */
            x++;
        tui_text(r.y + bar_rows + 2, x, 1, text[m]);
        placed = x;
    }
    crt_set(CE_NORMAL);
}
