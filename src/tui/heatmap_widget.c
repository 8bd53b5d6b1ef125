/* heatmap_widget.c: heatmap cells and their legend: a colour ramp on colour
 * terminals, a character ramp on monochrome ones; rows of few ratings dim. */
#include "widgets.h"

#include "filmseg/heatmap.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int heat_level(double share)
{
    if (!(share > 0))
        return 0;
    /* from the percentage as the cell prints it, so that two cells saying
     * 35 are shaded alike (34.6% and 35.4% were not), each level from the
     * lower bound of its legend's range: <10, 10-20, 20-35, 35-50, >50 */
    char printed[16];
    snprintf(printed, sizeof printed, "%.0f", 100 * share);
    int percent = atoi(printed);
    return percent < 10 ? 1 : percent < 20 ? 2 : percent < 35 ? 3 : percent <= 50 ? 4 : 5;
}

void widget_heat_cell(int y, int x, int w, double share, bool few)
{
    int level = heat_level(share);
    char buf[16];
    if (share > 0)
        snprintf(buf, sizeof buf, "%3.0f", 100 * share);
    else
        snprintf(buf, sizeof buf, "  -");
    if (few) {
        crt_set(CE_DIM);
        tui_fill(y, x, w, " ");
        tui_text(y, x + (w - 4) / 2, 3, buf);
    } else if (crt.colour) {
        crt_set((ColorElement)(CE_HEAT0 + level));
        tui_fill(y, x, w, " ");
        tui_text(y, x + (w - 4) / 2, 3, buf);
    } else {
        /* the ramp glyph fills the cell around the number */
        crt_set((ColorElement)(CE_HEAT0 + level));
        tui_fill(y, x, w, crt.glyphs->shade[level]);
        crt_set(CE_NORMAL);
        tui_text(y, x + (w - 4) / 2, 3, buf);
    }
    crt_set(CE_NORMAL);
}

void widget_heat_legend(int y, int x, int w)
{
    static const char *const LABEL[HEAT_LEVELS] = {"- none", "<10%",  "10-20",
                                                   "20-35",  "35-50", ">50%"};
    int cx = x;
    crt_set(CE_LABEL);
    cx += tui_text(y, cx, x + w - cx, "share: ");
    for (int l = 0; l < HEAT_LEVELS && cx < x + w; l++) {
        crt_set((ColorElement)(CE_HEAT0 + l));
        tui_fill(y, cx, 2, crt.colour ? " " : crt.glyphs->shade[l]);
        cx += 2;
        crt_set(CE_LABEL);
        cx += tui_textf(y, cx, x + w - cx, " %s ", LABEL[l]);
    }
    crt_set(CE_DIM);
    tui_textf(y, cx + 1, x + w - cx - 1, "dim: n<%d", PROFILE_FEW_RATINGS);
    crt_set(CE_NORMAL);
}
