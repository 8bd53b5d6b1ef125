/* layout.h (private to src/tui): screen geometry, free of ncurses so that it
 * can be tested: the screen's three areas, the tab bar's hit boxes, splitting
 * a pane into parts, and scroll windows. */
#ifndef FILMSEG_TUI_LAYOUT_H
#define FILMSEG_TUI_LAYOUT_H

#include <stdbool.h>

/* 80x23: an 80x24 terminal less the status line of a tmux or screen around
 * the explorer */
enum { TUI_MIN_COLS = 80, TUI_MIN_ROWS = 23 };

typedef struct {
    int y, x, h, w;
} Rect;

typedef struct {
    bool too_small; /* below 80x23: only a message is drawn */
    Rect tabs;      /* the top line */
    Rect pane;      /* between the tab bar and the status line */
    Rect status;    /* the bottom line */
} ScreenLayout;

ScreenLayout layout_screen(int rows, int cols);

/* The tab bar: tab i is drawn as " N name " starting at start[i] (n <= 16).
 * Returns the width used. */
int layout_tabs(const char *const *names, int n, int *start, int *width);
/* The tab under column x, or -1. */
int layout_tab_at(const char *const *names, int n, int x);

/* Cuts h rows off the top of *r (fewer when r is shorter) and returns them. */
Rect rect_take_top(Rect *r, int h);
/* Cuts w columns off the left of *r (and a gap after them). */
Rect rect_take_left(Rect *r, int w, int gap);

/* The first item of a window of `visible` items out of n that keeps `cursor`
 * in view, centred where possible. */
int layout_window(int n, int visible, int cursor);

/* Columns for a bar of value out of max in width w, in eighths of a cell
 * (0..8w); value <= 0 gives 0, value >= max gives 8w, any value > 0 at least 1. */
int layout_bar_eighths(double value, double max, int w);

#endif
