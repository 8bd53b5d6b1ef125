/* bars.c: horizontal bars and rows of labelled bars; compact numbers. */
#include "widgets.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void format_lift(double lift, char *buf, size_t size)
{
    /* a lift of 100 or more: a segment that likes little, most of it one film */
    if (lift < 99.95)
        snprintf(buf, size, "%.1fx", lift);
    else if (lift < 9999.5)
        snprintf(buf, size, "%.0fx", lift);
    else
        snprintf(buf, size, ">9999");
}

void format_compact(double v, char *buf, size_t size)
{
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (a >= 999500) /* what rounds to 1000k is 1M */
        snprintf(buf, size, "%.*fM", a >= 1e7 ? 0 : 1, v / 1e6);
    else if (a >= 1e4)
        snprintf(buf, size, "%.*fk", a >= 1e5 ? 0 : 1, v / 1e3);
    else if (a >= 100 || v == floor(v))
        snprintf(buf, size, "%.0f", v);
    else if (a >= 10)
        snprintf(buf, size, "%.1f", v);
    else if (a >= 0.01)
        snprintf(buf, size, "%.2f", v);
    else
        snprintf(buf, size, "%.0e", v);
    /* "1.0k" -> "1k", "2.50" -> "2.5" */
    char *dot = strchr(buf, '.');
    if (dot && !strchr(buf, 'e')) {
        char *end = dot + strcspn(dot, "kM");
        char *p = end;
        while (p > dot + 1 && p[-1] == '0')
            p--;
        if (p == dot + 1)
            p = dot;
        memmove(p, end, strlen(end) + 1);
    }
}

void widget_bar(int y, int x, int w, double value, double max, ColorElement color)
{
    int e = layout_bar_eighths(value, max, w);
    const Glyphs *g = crt.glyphs;
    crt_set(color);
    int full = e / 8, rest = e % 8;
    if (!g->eighths[1]) { /* ASCII: whole cells, at least one when value > 0 */
        full = (e + 4) / 8;
        if (full == 0 && e > 0)
            full = 1;
        rest = 0;
    }
    tui_fill(y, x, full, g->block);
    if (rest && full < w)
        mvaddstr(y, x + full, g->eighths[rest]);
    crt_set(CE_NORMAL);
}

void widget_bar_rows(Rect r, const BarRow *rows, int n, int label_w, int note_w)
{
    double max = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].value > max)
            max = rows[i].value;
    int bar_w = r.w - label_w - note_w - 2;
    for (int i = 0; i < n && i < r.h; i++) {
        int y = r.y + i;
        crt_set(CE_LABEL);
        tui_text(y, r.x, label_w, rows[i].label);
        if (bar_w > 0)
            widget_bar(y, r.x + label_w + 1, bar_w, rows[i].value, max, rows[i].color);
        crt_set(rows[i].note_color);
        int nw = text_columns(rows[i].note, crt.utf8);
        tui_text(y, r.x + r.w - (nw < note_w ? nw : note_w), note_w, rows[i].note);
        crt_set(CE_NORMAL);
    }
}

void bar_rows_keep(BarRow *rows, const bool *keep, int n, int shown)
{
    enum { MAX_ROWS = 64 };
    if (n > MAX_ROWS || shown >= n || shown <= 0)
        return;
    bool in[MAX_ROWS]; /* shown */
    int hidden = 0, freed = 0;
    for (int i = 0; i < n; i++) {
        in[i] = i < shown;
        hidden += i >= shown && keep[i];
    }
    for (int i = shown - 1; i >= 0 && freed < hidden; i--)
        if (!keep[i]) { /* the last rows not kept give way */
            in[i] = false;
            freed++;
        }
    for (int i = shown; i < n && freed > 0; i++)
        if (keep[i]) {
            in[i] = true;
            freed--;
        }
    BarRow order[MAX_ROWS] = {{0}};
    int at = 0;
    for (int pass = 0; pass < 2; pass++) /* the rows shown, then the others */
        for (int i = 0; i < n; i++)
            if (in[i] == (pass == 0))
                order[at++] = rows[i];
    memcpy(rows, order, (size_t)n * sizeof *rows);
}

void widget_more_line(int y, int x, int w, int more, const char *where)
{
    if (more <= 0)
        return;
    crt_set(CE_DIM);
    tui_textf(y, x, w, "+%d more (%s)", more, where);
    crt_set(CE_NORMAL);
}

/* A column of counts in one unit, picked by its largest: whole below 10,000,
 * then thousands with one decimal, whole thousands from 100,000, millions
 * with two decimals ("25.0k" beside "19.8k", not "25k" beside "5673"); a
 * count too small for that many decimals gets more, up to three ("0.4k",
 * not "0k"). */
void format_count_column(const size_t *counts, int n, char out[][16])
{
    size_t most = 0;
    for (int i = 0; i < n; i++)
        most = counts[i] > most ? counts[i] : most;
    double unit = most >= 999500 ? 1e6 : most >= 10000 ? 1e3 : 1;
    int decimals = most >= 999500 ? 2 : most >= 100000 ? 0 : most >= 10000 ? 1 : 0;
    const char *suffix = unit == 1e6 ? "M" : unit == 1e3 ? "k" : "";
    for (int i = 0; i < n; i++) {
        double v = (double)counts[i] / unit;
        int d = decimals;
        while (counts[i] > 0 && d < 3 && v * pow(10, d) < 0.5)
            d++;
        snprintf(out[i], 16, "%.*f%s", d, v, suffix);
    }
}
