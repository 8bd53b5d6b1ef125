/* layout.c: screen geometry; see layout.h. */
#include "layout.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

ScreenLayout layout_screen(int rows, int cols)
{
    ScreenLayout l;
    memset(&l, 0, sizeof l);
    l.too_small = rows < TUI_MIN_ROWS || cols < TUI_MIN_COLS;
    l.tabs = (Rect){0, 0, 1, cols};
    l.status = (Rect){rows - 1, 0, 1, cols};
    l.pane = (Rect){1, 0, rows - 2, cols};
    return l;
}

int layout_tabs(const char *const *names, int n, int *start, int *width)
{
    int x = 0;
    for (int i = 0; i < n && i < 16; i++) {
        int w = (int)strlen(names[i]) + 4; /* " N name " */
        if (start)
            start[i] = x;
        if (width)
            width[i] = w;
        x += w + 1;
    }
    return x > 0 ? x - 1 : 0;
}

int layout_tab_at(const char *const *names, int n, int x)
{
    int start[16], width[16];
    if (n > 16)
        n = 16;
    layout_tabs(names, n, start, width);
    for (int i = 0; i < n; i++)
        if (x >= start[i] && x < start[i] + width[i])
            return i;
    return -1;
}

Rect rect_take_top(Rect *r, int h)
{
    if (h > r->h)
        h = r->h;
    if (h < 0)
        h = 0;
    Rect top = {r->y, r->x, h, r->w};
    r->y += h;
    r->h -= h;
    return top;
}

Rect rect_take_left(Rect *r, int w, int gap)
{
    if (w > r->w)
        w = r->w;
    if (w < 0)
        w = 0;
    Rect left = {r->y, r->x, r->h, w};
    int cut = w + gap > r->w ? r->w : w + gap;
    r->x += cut;
    r->w -= cut;
    return left;
}

int layout_window(int n, int visible, int cursor)
{
    if (visible <= 0 || n <= visible)
        return 0;
    if (cursor < 0)
        cursor = 0;
    if (cursor >= n)
        cursor = n - 1;
    int first = cursor - visible / 2;
    if (first < 0)
        first = 0;
    if (first > n - visible)
        first = n - visible;
    return first;
}

int layout_bar_eighths(double value, double max, int w)
{
    if (!(value > 0) || !(max > 0) || w <= 0)
        return 0;
    if (value >= max)
        return 8 * w;
    int e = (int)lround(value / max * 8 * w);
    return e < 1 ? 1 : e;
}
