/* progress_print.h (private to src/cli): a Progress that prints to stderr. */
#ifndef FILMSEG_PROGRESS_PRINT_H
#define FILMSEG_PROGRESS_PRINT_H

#include "filmseg/progress.h"

typedef struct {
    bool tty, open_line;
    char stage[32];
} ProgressPrinter;

void progress_printer_init(ProgressPrinter *p);
void progress_print(void *ctx, const ProgressEvent *event); /* Progress.report */
void progress_printer_finish(ProgressPrinter *p);

#endif
