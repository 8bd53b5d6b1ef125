/* diag.c: file:line diagnostics for the loaders; see diag.h. */
#include "filmseg/diag.h"

#include <stdarg.h>
#include <string.h>

void diag_init(Diag *diag, FILE *out, bool strict)
{
    memset(diag, 0, sizeof *diag);
    diag->out = out;
    diag->strict = strict;
    diag->max_per_file = 20;
}

static size_t *skipped_counter(Diag *diag, const char *file)
{
    for (size_t i = 0; i < diag->n_files; i++)
        if (strcmp(diag->files[i].file, file) == 0)
            return &diag->files[i].skipped;
    if (diag->n_files == DIAG_MAX_FILES)
        return &diag->files[DIAG_MAX_FILES - 1].skipped;
    size_t i = diag->n_files++;
    snprintf(diag->files[i].file, sizeof diag->files[i].file, "%s", file);
    diag->files[i].skipped = 0;
    return &diag->files[i].skipped;
}

bool diag_bad_line(Diag *diag, const char *file, size_t line, const char *fmt, ...)
{
    size_t *count = skipped_counter(diag, file);
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (diag->strict) {
        diag->failed = true;
        snprintf(diag->fatal_message, sizeof diag->fatal_message, "%s:%zu: %s (--strict)", file,
                 line, what);
        if (diag->out)
            fprintf(diag->out, "filmseg: %s\n", diag->fatal_message);
        return false;
    }
    if (diag->out && *count < diag->max_per_file)
        fprintf(diag->out, "filmseg: %s:%zu: %s; line skipped\n", file, line, what);
    else if (diag->out && *count == diag->max_per_file)
        fprintf(diag->out, "filmseg: %s: more malformed lines; only the count follows\n", file);
    (*count)++;
    return true;
}

void diag_fatal(Diag *diag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->fatal_message, sizeof diag->fatal_message, fmt, ap);
    va_end(ap);
    diag->failed = true;
    if (diag->out)
        fprintf(diag->out, "filmseg: %s\n", diag->fatal_message);
}

void diag_note(Diag *diag, const char *fmt, ...)
{
    if (!diag->out)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("filmseg: ", diag->out);
    vfprintf(diag->out, fmt, ap);
    fputc('\n', diag->out);
    va_end(ap);
}

void diag_merge(Diag *into, const Diag *from, const char *text, size_t len)
{
    if (into->out && len)
        fwrite(text, 1, len, into->out);
    for (size_t i = 0; i < from->n_files; i++)
        *skipped_counter(into, from->files[i].file) += from->files[i].skipped;
    if (from->failed && !into->failed) {
        into->failed = true;
        memcpy(into->fatal_message, from->fatal_message, sizeof into->fatal_message);
    }
}

size_t diag_total_skipped(const Diag *diag)
{
    size_t total = 0;
    for (size_t i = 0; i < diag->n_files; i++)
        total += diag->files[i].skipped;
    return total;
}

void diag_print_summary(const Diag *diag)
{
    if (!diag->out)
        return;
    for (size_t i = 0; i < diag->n_files; i++)
        if (diag->files[i].skipped)
            fprintf(diag->out, "filmseg: %s: %zu malformed line%s skipped\n", diag->files[i].file,
                    diag->files[i].skipped, diag->files[i].skipped == 1 ? "" : "s");
}
