/* progress_print.c: training progress on stderr for the headless commands: a
 * bar redrawn in place on a terminal, plain lines (every tenth step) when
 * stderr is a file or a pipe, or a terminal that cannot clear a line
 * (TERM=dumb, or no TERM: an editor's shell buffer, a serial console). */
#include "progress_print.h"

#include "filmseg/clock.h"
#include "filmseg/pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void progress_printer_init(ProgressPrinter *p)
{
    memset(p, 0, sizeof *p);
    p->stage = -1;
    const char *term = getenv("TERM");
    p->tty = isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb") != 0;
}

/* The bar's line, redrawn in place, no longer than the terminal is wide (a
 * longer one wraps, and each redraw then adds a line): on a narrow one the
 * figures go first, then the bar narrows, then goes; the count stays. */
static void draw_line(ProgressPrinter *p)
{
    struct winsize ws;
    int columns = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    char count[32], line[320];
    snprintf(count, sizeof count, "%d/%d", p->step, p->steps);
    /* the stages' counts aligned: each name padded to the longest's width */
    int name_width = 0;
    for (int s = 0; s < STAGE_COUNT; s++)
        if ((int)strlen(stage_name(s)) > name_width)
            name_width = (int)strlen(stage_name(s));
    const char *name = stage_name(p->stage);
    int fixed = 2 + name_width + 1 + (int)strlen(count); /* "  stage count" */
    int room = columns - 1 - fixed, figures = (int)strlen(p->figures);
    if (room - figures - 3 < 8) /* the figures would leave the bar under 8 */
        figures = 0;
    int width = room - figures - 3; /* "[" bar "] " */
    width = width > 24 ? 24 : width;
    char bar[32] = "";
    if (width >= 4) {
        int filled = p->steps ? p->step * width / p->steps : 0;
        bar[0] = '[';
        for (int i = 0; i < width; i++)
            bar[1 + i] = i < filled ? '#' : '.';
        snprintf(bar + 1 + width, sizeof bar - 1 - (size_t)width, "] ");
    }
    int pad = room >= 0 ? name_width : 0; /* aligned when they fit */
    int len =
        snprintf(line, sizeof line, "  %-*s %s%s%.*s", pad, name, bar, count, figures, p->figures);
    if (len > columns - 1)
        len = columns - 1 > 0 ? columns - 1 : 0;
    fprintf(stderr, "\r%.*s\033[K", len, line);
    fflush(stderr);
    p->open_line = true;
    p->line_pending = false;
    p->drawn_at = monotonic_seconds();
}

static void end_line(ProgressPrinter *p)
{
    if (p->tty && p->line_pending)
        draw_line(p); /* where the stage ended */
    if (p->tty && p->open_line)
        fputc('\n', stderr);
    p->open_line = false;
}

void progress_print(void *ctx, const ProgressEvent *ev)
{
    ProgressPrinter *p = ctx;
    if (p->stage != ev->stage) {
        end_line(p);
        p->stage = ev->stage;
        if (ev->step == 0) {
            fprintf(stderr, "filmseg: %s...\n", stage_name(ev->stage));
            return;
        }
    }
    if (ev->step == 0)
        return;
    char figures[160] = "";
    size_t len = 0;
    if (!isnan(ev->loss))
        len += (size_t)snprintf(figures + len, sizeof figures - len, " loss %.4f", ev->loss);
    if (!isnan(ev->val_loss))
        len += (size_t)snprintf(figures + len, sizeof figures - len, " val %.4f", ev->val_loss);
    if (!isnan(ev->metric))
        len += (size_t)snprintf(figures + len, sizeof figures - len, " %s %.4g",
                                ev->stage == STAGE_SWEEP ? "inertia" : "acc", ev->metric);
    if (!isnan(ev->val_metric))
        snprintf(figures + len, sizeof figures - len, " val acc %.4f", ev->val_metric);
    if (p->tty) {
        p->step = ev->step;
        p->steps = ev->steps;
        snprintf(p->figures, sizeof p->figures, "%s", figures);
        p->line_pending = true;
        if (ev->step == ev->steps)
            end_line(p);
        else if (!p->open_line || monotonic_seconds() - p->drawn_at >= 0.25)
            draw_line(p);
    } else if (ev->steps <= 10 || ev->step % (ev->steps / 10) == 0 || ev->step == ev->steps) {
        fprintf(stderr, "  %s %d/%d%s\n", stage_name(ev->stage), ev->step, ev->steps, figures);
    }
}

void progress_printer_finish(ProgressPrinter *p)
{
    end_line(p);
}
