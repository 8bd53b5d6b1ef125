/* table.h: a grid of strings printed as a Markdown table or as aligned plain
 * text (column widths in terminal cells, so UTF-8 titles line up). */
#ifndef FILMSEG_TABLE_H
#define FILMSEG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { FORMAT_TEXT, FORMAT_MARKDOWN } OutputFormat;

/* Plain text lines up at most this many columns (Markdown has no limit). */
enum { TABLE_MAX_TEXT_COLS = 64 };

typedef struct {
    size_t n_cols, n_rows, cap_rows;
    char **cells;                          /* row-major, row 0 is the header */
    bool right_align[TABLE_MAX_TEXT_COLS]; /* per column, plain text only */
    bool incomplete;                       /* memory ran out: a row is missing */
} Table;

void table_init(Table *t, size_t n_cols, const char *const *headers);
/* Appends a row of n_cols printf-formatted cells separated by '\t'. When
 * memory runs out the row is left out whole and the table marked
 * incomplete (table_print then refuses it). */
void table_row(Table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the table; false, printing nothing, when it is incomplete (memory
 * ran out as it was filled): the caller must say so. */
bool table_print(const Table *t, OutputFormat format, FILE *out)
    __attribute__((warn_unused_result));
void table_free(Table *t);

/* Terminal cells a UTF-8 string takes (one per code point). */
size_t utf8_width(const char *s);
/* 92826 -> "92,826" into buf. */
const char *format_thousands(size_t value, char *buf, size_t size);

#endif
