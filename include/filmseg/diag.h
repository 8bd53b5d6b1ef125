/* diag.h: diagnostics for input files. Every malformed line is reported as
 * "file:line: problem", skipped and counted; a summary per file comes at the
 * end. In strict mode the first malformed line is fatal. Missing, unreadable
 * or empty required files are always fatal (exit status 2). */
#ifndef FILMSEG_DIAG_H
#define FILMSEG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DIAG_MAX_FILES 8

typedef struct {
    FILE *out;           /* where messages go (stderr), NULL to stay quiet */
    bool strict;         /* first malformed line is fatal */
    size_t max_per_file; /* messages printed per file before going silent */
    bool failed;         /* a fatal problem happened */
    char fatal_message[512];
    struct {
        char file[256];
        size_t skipped; /* malformed lines skipped */
    } files[DIAG_MAX_FILES];
    size_t n_files;
} Diag;

void diag_init(Diag *diag, FILE *out, bool strict);
/* A malformed line: printed, counted; returns true when loading may go on
 * (false in strict mode, where it also marks the diag failed). */
bool diag_bad_line(Diag *diag, const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A fatal problem with a whole file (missing, empty, unreadable). */
void diag_fatal(Diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Something the user should know that is not an error ("filmseg: ..."). */
void diag_note(Diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t diag_total_skipped(const Diag *diag);
/* Adds to `into` what `from` saw while it printed into a buffer (text, len):
 * the messages, printed now; each file's count of skipped lines; a failure. */
void diag_merge(Diag *into, const Diag *from, const char *text, size_t len);
/* Prints "file: N malformed lines skipped" for each file with problems. */
void diag_print_summary(const Diag *diag);

#endif
