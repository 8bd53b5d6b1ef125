/* progress_print.h (private to src/cli): a Progress that prints to stderr. */
#ifndef FILMSEG_PROGRESS_PRINT_H
#define FILMSEG_PROGRESS_PRINT_H

#include "filmseg/progress.h"

typedef struct {
    bool tty, open_line;
    int stage; /* the stage reported last (STAGE_*), -1 before the first */
    /* on a terminal: the bar's line, drawn at most 4 times a second (the
     * last one of a stage always), cut to the terminal's width */
    int step, steps;   /* the last step reported */
    char figures[160]; /* and its losses, accuracies */
    bool line_pending; /* it is not drawn yet */
    double drawn_at;   /* when the last was */
} ProgressPrinter;

void progress_printer_init(ProgressPrinter *p);
void progress_print(void *ctx, const ProgressEvent *event); /* Progress.report */
void progress_printer_finish(ProgressPrinter *p);

#endif
