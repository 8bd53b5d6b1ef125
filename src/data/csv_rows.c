/* csv_rows.c: libcsv driven one physical line at a time so that every row
 * knows the line it started on; see csv_rows.h. */
#include "filmseg/csv_rows.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text; /* the row's field bytes, back to back */
    size_t text_len, text_cap;
    size_t starts[CSV_MAX_FIELDS], lens[CSV_MAX_FIELDS];
    size_t n_fields;
    size_t line, row_line;
    bool stop, oom;
    CsvRowFn row;
    void *ctx;
} RowState;

static void on_field(void *s, size_t len, void *data)
{
    RowState *st = data;
    if (st->n_fields == 0)
        st->row_line = st->line;
    if (st->n_fields < CSV_MAX_FIELDS) {
        if (st->text_len + len + 1 > st->text_cap) {
            size_t cap = (st->text_len + len + 1) * 2;
            char *bigger = realloc(st->text, cap);
            if (!bigger) {
                st->oom = true;
                return;
            }
            st->text = bigger;
            st->text_cap = cap;
        }
        if (len)
            memcpy(st->text + st->text_len, s, len);
        st->starts[st->n_fields] = st->text_len;
        st->lens[st->n_fields] = len;
        st->text_len += len;
    }
    st->n_fields++;
}

static void on_row(int terminator, void *data)
{
    (void)terminator;
    RowState *st = data;
    if (st->n_fields == 0)
        st->row_line = st->line;
    Field fields[CSV_MAX_FIELDS];
    size_t n = st->n_fields < CSV_MAX_FIELDS ? st->n_fields : CSV_MAX_FIELDS;
    for (size_t i = 0; i < n; i++)
        fields[i] = (Field){st->text + st->starts[i], st->lens[i]};
    if (!st->stop && !st->oom && !st->row(st->ctx, st->row_line, fields, st->n_fields))
        st->stop = true;
    st->n_fields = 0;
    st->text_len = 0;
}

int csv_read_rows(const char *buf, size_t len, const char *file, Diag *diag, CsvRowFn row,
                  void *ctx)
{
    struct csv_parser parser;
    if (csv_init(&parser, CSV_APPEND_NULL) != 0) {
        diag_fatal(diag, "%s: cannot start the CSV parser", file);
        return 2;
    }
    RowState st = {.row = row, .ctx = ctx};
    size_t pos = 0;
    while (pos < len && !st.stop && !st.oom) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
        st.line++;
        if (csv_parse(&parser, buf + pos, n, on_field, on_row, &st) != n) {
            diag_fatal(diag, "%s:%zu: %s", file, st.line, csv_strerror(csv_error(&parser)));
            st.stop = true;
        }
        pos += n;
    }
    if (!st.stop && !st.oom)
        csv_fini(&parser, on_field, on_row, &st);
    csv_free(&parser);
    free(st.text);
    if (st.oom)
        diag_fatal(diag, "%s: out of memory", file);
    return st.stop || st.oom ? 2 : 0;
}
