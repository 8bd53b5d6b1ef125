/* progress_print.c: training progress on stderr for the headless commands: a
 * bar redrawn in place on a terminal, plain lines (every tenth step) when
 * stderr is a file or a pipe, or a terminal that cannot clear a line
 * (TERM=dumb, or no TERM: an editor's shell buffer, a serial console). */
#include "progress_print.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void progress_printer_init(ProgressPrinter *p)
{
    memset(p, 0, sizeof *p);
    const char *term = getenv("TERM");
    p->tty = isatty(STDERR_FILENO) && term && *term && strcmp(term, "dumb") != 0;
}

static void end_line(ProgressPrinter *p)
{
    if (p->tty && p->open_line)
        fputc('\n', stderr);
    p->open_line = false;
}

void progress_print(void *ctx, const ProgressEvent *ev)
{
    ProgressPrinter *p = ctx;
    if (strcmp(p->stage, ev->stage) != 0) {
        end_line(p);
        snprintf(p->stage, sizeof p->stage, "%s", ev->stage);
        if (ev->step == 0) {
            fprintf(stderr, "filmseg: %s...\n", ev->stage);
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
                                strcmp(ev->stage, "kmeans") == 0 ? "inertia" : "acc", ev->metric);
    if (!isnan(ev->val_metric))
        snprintf(figures + len, sizeof figures - len, " val acc %.4f", ev->val_metric);
    if (p->tty) {
        int width = 24, filled = ev->steps ? ev->step * width / ev->steps : 0;
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r  %-12s [%s] %d/%d%s\033[K", ev->stage, bar, ev->step, ev->steps,
                figures);
        fflush(stderr);
        p->open_line = true;
        if (ev->step == ev->steps)
            end_line(p);
    } else if (ev->steps <= 10 || ev->step % (ev->steps / 10) == 0 || ev->step == ev->steps) {
        fprintf(stderr, "  %s %d/%d%s\n", ev->stage, ev->step, ev->steps, figures);
    }
}

void progress_printer_finish(ProgressPrinter *p)
{
    end_line(p);
}
