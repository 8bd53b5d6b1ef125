/* plot.c: line plots with axes (the elbow curve, training curves) and the
 * scale arithmetic behind them. */
#include "widgets.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

PlotScale plot_scale(double lo, double hi, int ticks)
{
    PlotScale s = {0, 1, 1, 2};
    if (!isfinite(lo) || !isfinite(hi))
        return s;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi == lo) {
        double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= pad;
        hi += pad;
    }
    if (ticks < 2)
        ticks = 2;
    double raw = (hi - lo) / (ticks - 1);
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    s.step = step;
    s.lo = floor(lo / step + 1e-9) * step;
    s.hi = ceil(hi / step - 1e-9) * step;
    if (s.hi <= s.lo)
        s.hi = s.lo + step;
    s.ticks = (int)llround((s.hi - s.lo) / step) + 1;
    return s;
}

void plot_tick_label(const PlotScale *s, double v, char *buf, size_t size)
{
    int decimals = s->step < 1 && s->step > 0 ? (int)ceil(-log10(s->step) - 1e-9) : 0;
    if (decimals == 0 || decimals > 4 || fabs(v) >= 1e4) {
        format_compact(v, buf, size);
        return;
    }
    if (fabs(v) < s->step * 1e-6) /* a tick at zero, not "-0.000" */
        v = 0;
    snprintf(buf, size, "%.*f", decimals, v);
}

int plot_row(const PlotScale *s, double v, int rows)
{
    if (rows <= 1 || !(s->hi > s->lo))
        return 0;
    double f = (s->hi - v) / (s->hi - s->lo);
    int r = (int)lround(f * (rows - 1));
    return r < 0 ? 0 : r >= rows ? rows - 1 : r;
}

int plot_col(double x, double x0, double x1, int cols)
{
    if (cols <= 1 || !(x1 > x0))
        return 0;
    int c = (int)lround((x - x0) / (x1 - x0) * (cols - 1));
    return c < 0 ? 0 : c >= cols ? cols - 1 : c;
}

/* The y labels' column: at least Y_LABEL_W wide, wider when a tick's label is
 * (a step of 0.0005 reads "0.0305"), then a blank column and the axis. */
enum { Y_LABEL_W = 5, Y_LABEL_MAX = 10 };

void widget_plot(Rect r, const PlotSpec *spec)
{
    int rows = r.h - 2;
    if (rows < 2)
        return;
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < spec->n_series; s++)
        for (int i = 0; i < spec->series[s].n; i++) {
            double v = spec->series[s].y[i];
            if (isfinite(v)) {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
    if (spec->y_lo < spec->y_hi) {
        lo = spec->y_lo;
        hi = spec->y_hi;
    }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    if (spec->y_from_zero && lo > 0)
        lo = 0;
    PlotScale ys = plot_scale(lo, hi, rows / 3 + 1);
    char buf[32];
    int label_w = Y_LABEL_W;
    for (int t = 0; t < ys.ticks; t++) {
        plot_tick_label(&ys, ys.lo + t * ys.step, buf, sizeof buf);
        int w = (int)strlen(buf);
        label_w = w > label_w ? (w < Y_LABEL_MAX ? w : Y_LABEL_MAX) : label_w;
    }
    int px = r.x + label_w + 2; /* the plot's left column */
    int cols = r.x + r.w - px;
    if (cols < 4)
        return;
    const Glyphs *g = crt.glyphs;
    /* y axis and its ticks */
    crt_set(CE_AXIS);
    for (int y = 0; y < rows; y++)
        mvaddstr(r.y + y, px - 1, g->vline);
    mvaddstr(r.y + rows, px - 1, g->corner);
    tui_fill(r.y + rows, px, cols, g->hline);
    int last_row = -2;
    for (int t = ys.ticks - 1; t >= 0; t--) {
        double v = ys.lo + t * ys.step;
        int y = plot_row(&ys, v, rows);
        if (y - last_row < 2 && t != ys.ticks - 1)
            continue;
        last_row = y;
        plot_tick_label(&ys, v, buf, sizeof buf);
        int w = (int)strlen(buf);
        w = w < label_w ? w : label_w;
        tui_text(r.y + y, px - 2 - w, w, buf);
    }
    /* x ticks */
    double x0 = spec->x0, x1 = spec->x1 > spec->x0 ? spec->x1 : spec->x0 + 1;
    PlotScale xs = plot_scale(x0, x1, cols / 7 + 1);
    if (xs.step < 1)
        xs = (PlotScale){floor(x0), ceil(x1), 1, (int)(ceil(x1) - floor(x0)) + 1};
    int last_end = -1;
    for (int t = 0; t < xs.ticks; t++) {
        double v = xs.lo + t * xs.step;
        if (v < x0 - 1e-9 || v > x1 + 1e-9)
            continue;
        int c = plot_col(v, x0, x1, cols);
        plot_tick_label(&xs, v, buf, sizeof buf);
        int w = (int)strlen(buf), start = px + c - w / 2;
        if (start <= last_end + 1 || start + w > r.x + r.w)
            continue;
        tui_text(r.y + rows + 1, start, w, buf);
        last_end = start + w - 1;
    }
    if (spec->x_label) {
        int w = text_columns(spec->x_label, crt.utf8);
        if (last_end + 2 < r.x + r.w - w)
            tui_text(r.y + rows + 1, r.x + r.w - w, w, spec->x_label);
    }
    /* the chosen x */
    if (isfinite(spec->mark_x)) {
        int c = plot_col(spec->mark_x, x0, x1, cols);
        crt_set(CE_CHOSEN);
        for (int y = 0; y < rows; y++)
            mvaddstr(r.y + y, px + c, g->vline);
        format_compact(spec->mark_x, buf, sizeof buf);
        int w = (int)strlen(buf), start = px + c;
        if (start + w > r.x + r.w) /* at the right edge: ends there, not beyond */
            start = r.x + r.w - w;
        tui_text(r.y + rows, start, w, buf);
    }
    /* the series: points, and the columns between them interpolated */
    for (int s = 0; s < spec->n_series; s++) {
        const PlotSeries *ser = &spec->series[s];
        crt_set(ser->color);
        int prev_c = -1;
        double prev_v = NAN;
        for (int i = 0; i < ser->n; i++) {
            double v = ser->y[i];
            if (!isfinite(v))
                continue;
            int c = plot_col(x0 + i, x0, x1, cols);
            if (prev_c >= 0 && c - prev_c > 1)
                for (int cc = prev_c + 1; cc < c; cc++) {
                    double f = (double)(cc - prev_c) / (c - prev_c);
                    mvaddstr(r.y + plot_row(&ys, prev_v + f * (v - prev_v), rows), px + cc,
                             crt.utf8 ? "\u00b7" : ".");
                }
            mvaddstr(r.y + plot_row(&ys, v, rows), px + c, ser->glyph);
            prev_c = c;
            prev_v = v;
        }
    }
    /* the marked point */
    if (isfinite(spec->point_x) && spec->n_series > 0) {
        const PlotSeries *ser = &spec->series[0];
        int i = (int)lround(spec->point_x - x0);
        if (i >= 0 && i < ser->n && isfinite(ser->y[i])) {
            int c = plot_col(spec->point_x, x0, x1, cols), y = plot_row(&ys, ser->y[i], rows);
            crt_set(CE_KNEE);
            mvaddstr(r.y + y, px + c, g->knee);
            if (spec->point_label) {
                /* right of the point, else left of it; never across the
                 * chosen x's line (the label then goes: the title says it) */
                int w = text_columns(spec->point_label, crt.utf8), ly = y > 0 ? y - 1 : y + 1;
                int mark = isfinite(spec->mark_x) ? px + plot_col(spec->mark_x, x0, x1, cols) : -1;
                int right = px + c + 2 + w <= r.x + r.w ? px + c + 2 : r.x + r.w - w;
                int left = px + c - 2 - w;
                bool right_ok = !(mark >= right && mark < right + w);
                bool left_ok = left >= px && !(mark >= left && mark < left + w);
                if (right_ok || left_ok)
                    tui_text(r.y + ly, right_ok ? right : left, w, spec->point_label);
            }
        }
    }
    /* legend, top right */
    int lx = r.x + r.w;
    for (int s = spec->n_series - 1; s >= 0; s--) {
        const PlotSeries *ser = &spec->series[s];
        if (!ser->name)
            continue;
        int w = text_columns(ser->name, crt.utf8) + 2;
        lx -= w + 1;
        if (lx < px)
            break;
        crt_set(ser->color);
        mvaddstr(r.y, lx, ser->glyph);
        crt_set(CE_LABEL);
        tui_text(r.y, lx + 2, w - 2, ser->name);
    }
    crt_set(CE_NORMAL);
}
