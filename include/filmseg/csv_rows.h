/* csv_rows.h: reads a CSV buffer (RFC 4180 quoting, via libcsv) row by row,
 * handing each row's fields to a callback with the line number where the row
 * starts, so that errors can name file:line. A row is one line: a quote not
 * closed on its line is a malformed line (reported to the diag, skipped,
 * fatal when strict), and reading goes on at the next line. */
#ifndef FILMSEG_CSV_ROWS_H
#define FILMSEG_CSV_ROWS_H

#include "filmseg/diag.h"
#include "filmseg/text.h"

#define CSV_MAX_FIELDS 64

/* Return false to stop reading (a fatal problem). */
typedef bool (*CsvRowFn)(void *ctx, size_t line, const Field *fields, size_t n_fields);

/* Returns 0, or 2 when a callback or the CSV parser stopped it (the diag
 * then says why). Rows with more than CSV_MAX_FIELDS fields are passed with
 * n_fields > CSV_MAX_FIELDS and only the first CSV_MAX_FIELDS filled.
 * dropped (NULL: none) is told of each row skipped for a quote not closed on
 * its line, with the fields complete before that quote (so that a loader can
 * say what became of the ratings of a film whose line it was). */
int csv_read_rows(const char *buf, size_t len, const char *file, Diag *diag, CsvRowFn row,
                  CsvRowFn dropped, void *ctx);
/* The same, with split_plain false: every line through libcsv (for the test
 * that compares the two ways of splitting). */
int csv_read_rows_split(const char *buf, size_t len, const char *file, Diag *diag, CsvRowFn row,
                        CsvRowFn dropped, void *ctx, bool split_plain);

#endif
