/* tilemap.c: the US as a grid of two-letter tiles, each state roughly where
 * it lies (the NPR-style layout), shaded by a count or an index. */
#include "widgets.h"

#include "filmseg/states.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The layout: ".." is an empty cell. */
static const char *const TILE_GRID[TILE_ROWS] = {
    "AK .. .. .. .. .. .. .. .. .. ME", ".. .. .. .. .. .. .. .. .. VT NH",
    "WA ID MT ND MN IL WI MI NY RI MA", "OR NV WY SD IA IN OH PA NJ CT ..",
    "CA UT CO NE MO KY WV VA MD DE ..", ".. AZ NM KS AR TN NC SC DC .. ..",
    ".. .. .. OK LA MS AL GA .. .. ..", "HI .. .. TX .. .. .. .. FL .. ..",
};

bool tilemap_position(int state, int *row, int *col)
{
    if (state <= STATE_UNKNOWN || (size_t)state >= state_count())
        return false;
    const char *code = state_info(state)->code;
    for (int r = 0; r < TILE_ROWS; r++)
        for (int c = 0; c < TILE_COLS; c++) {
            const char *cell = TILE_GRID[r] + 3 * c;
            if (cell[0] == code[0] && cell[1] == code[1]) {
                *row = r;
                *col = c;
                return true;
            }
        }
    return false;
}

int tilemap_tiles(void)
{
    int n = 0;
    for (int r = 0; r < TILE_ROWS; r++)
        for (int c = 0; c < TILE_COLS; c++)
            n += TILE_GRID[r][3 * c] != '.';
    return n;
}

int tilemap_count_level(double count, double max)
{
    if (!(count > 0) || !(max > 0))
        return 0;
    double f = sqrt(count / max);
    int l = 1 + (int)(f * (HEAT_LEVELS - 1));
    return l > HEAT_LEVELS - 1 ? HEAT_LEVELS - 1 : l;
}

int tilemap_index_level(double index, bool present)
{
    if (!present)
        return 0;
    return index < 67 ? 1 : index < 90 ? 2 : index <= 111 ? 3 : index <= 150 ? 4 : 5;
}

void widget_tilemap_legend(int y, int x, int w, bool index)
{
    /* the levels of tilemap_index_level, or of tilemap_count_level (a
     * square-root scale from one user to the most: its ends named) */
    static const char *const INDEX[HEAT_LEVELS] = {"", "<67", "<90", "~100", ">111", ">150"};
    static const char *const COUNT[HEAT_LEVELS] = {"", "few", "", "", "", "most"};
    const char *const *label = index ? INDEX : COUNT;
    int cx = x;
    crt_set(CE_LABEL);
    cx += tui_text(y, cx, x + w - cx, index ? "index" : "users");
    for (int l = 1; l < HEAT_LEVELS && cx < x + w; l++) {
        cx += 1;
        crt_set((ColorElement)(CE_HEAT0 + l));
        tui_fill(y, cx, 1, crt.colour ? " " : crt.glyphs->shade[l]);
        cx += 1;
        crt_set(CE_LABEL);
        if (label[l][0])
            cx += tui_textf(y, cx, x + w - cx, " %s", label[l]);
    }
    if (index && x + w - cx >= 18) /* the states left blank */
        tui_textf(y, cx, x + w - cx, "  blank: <%d users", TILEMAP_INDEX_MIN_USERS);
    crt_set(CE_NORMAL);
}

int widget_tilemap(Rect r, const int *level, const double *value)
{
    int tile_w = r.w / TILE_COLS;
    if (tile_w > 8)
        tile_w = 8;
    if (tile_w < 3)
        return 0;
    bool values_inline = value && tile_w >= 7;
    int tile_h = r.h >= 2 * TILE_ROWS && tile_w >= 4 && !values_inline ? 2 : 1;
    for (size_t s = 1; s < state_count(); s++) {
        int row, col;
        if (!tilemap_position((int)s, &row, &col))
            continue;
        int y = r.y + row * tile_h, x = r.x + col * tile_w;
        if (row * tile_h >= r.h)
            continue;
        int l = level[s];
        char text[16];
        if (values_inline && l > 0)
            snprintf(text, sizeof text, "%s %.0f", state_info((int)s)->code, value[s]);
        else
            snprintf(text, sizeof text, "%s", state_info((int)s)->code);
        crt_set((ColorElement)(CE_HEAT0 + l));
        if (crt.colour) {
            for (int j = 0; j < tile_h; j++)
                tui_fill(y + j, x, tile_w - 1, " ");
            tui_text(y, x, tile_w - 1, text);
            if (tile_h == 2 && value && !values_inline && l > 0)
                tui_textf(y + 1, x, tile_w - 1, "%.0f", value[s]);
        } else {
            /* monochrome: the code, then the ramp glyph filling the tile
             * (the gap column included) */
            crt_set(l >= 4 ? CE_HEAT5 : CE_NORMAL);
            int used = tui_text(y, x, tile_w - 1, text);
            crt_set(CE_NORMAL);
            tui_fill(y, x + used, tile_w - used, crt.glyphs->shade[l]);
            if (tile_h == 2) {
                used = value && !values_inline && l > 0
                           ? tui_textf(y + 1, x, tile_w - 1, "%.0f", value[s])
                           : 0;
                tui_fill(y + 1, x + used, tile_w - used, crt.glyphs->shade[l]);
            }
        }
    }
    crt_set(CE_NORMAL);
    return TILE_ROWS * tile_h;
}
