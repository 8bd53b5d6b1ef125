/* csv_rows.c: libcsv driven one physical line at a time (lines end in LF
 * or CRLF, or in CR alone in a file without an LF: text_line_end) so that
 * every row knows the line it started on; see csv_rows.h. A line that starts a row
 * and holds no quote and no carriage return but at its end (nearly every
 * line of the files filmseg reads) is split here instead, the way libcsv
 * splits it (fields at commas, spaces and tabs around each dropped, a
 * blank line no row): libcsv goes a byte at a time through a state machine
 * (reading uszips.csv took 20.7 ms that way, 10.8 ms split here). A unit
 * test compares the two on random lines. A field may not run over a line
 * break: none of the files filmseg reads has one, and an unclosed quote
 * (a typo in a title) would otherwise take the lines after it into the
 * field, up to the next quote anywhere in the file. */
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
    size_t start_line; /* the line of the row libcsv is in, or will begin */
    bool stop, oom;
    CsvRowFn row, dropped;
    void *ctx;
} RowState;

static void on_field(void *s, size_t len, void *data)
{
    RowState *st = data;
    if (st->n_fields == 0)
        st->row_line = st->start_line;
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

/* Hands the fields read to fn (the row's, or a dropped row's), then starts
 * the next row. */
static void hand_over(RowState *st, CsvRowFn fn)
{
    if (st->n_fields == 0)
        st->row_line = st->start_line;
    Field fields[CSV_MAX_FIELDS];
    size_t n = st->n_fields < CSV_MAX_FIELDS ? st->n_fields : CSV_MAX_FIELDS;
    for (size_t i = 0; i < n; i++)
        fields[i] = (Field){st->text + st->starts[i], st->lens[i]};
    if (fn && !st->stop && !st->oom && !fn(st->ctx, st->row_line, fields, st->n_fields))
        st->stop = true;
    st->n_fields = 0;
    st->text_len = 0;
}

static void on_row(int terminator, void *data)
{
    (void)terminator;
    RowState *st = data;
    hand_over(st, st->row);
}

static bool csv_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Whether line (n bytes, its '\n', or in a file of CR line ends its '\r',
 * included if any) can be split here. */
static bool plain_line(const char *line, size_t n)
{
    size_t body = n && line[n - 1] == '\n' ? n - 1 : n;
    if (body && line[body - 1] == '\r')
        body--;
    return !memchr(line, '"', body) && !memchr(line, '\r', body);
}

/* Splits a plain line (see plain_line) into fields, as libcsv would. */
static void split_plain_line(RowState *st, const char *line, size_t n)
{
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    size_t at = 0;
    while (at < n && csv_space(line[at]))
        at++;
    if (at == n)
        return; /* blank: libcsv reports no row */
    for (;;) {
        while (at < n && csv_space(line[at]))
            at++;
        const char *comma = memchr(line + at, ',', n - at);
        size_t end = comma ? (size_t)(comma - line) : n, stop = end;
        while (stop > at && csv_space(line[stop - 1]))
            stop--;
        on_field((void *)(line + at), stop - at, st);
        if (!comma)
            break;
        at = end + 1;
    }
    on_row('\n', st);
}

/* Whether libcsv is inside a quoted field (its FIELD_BEGUN state, 2). */
static bool in_open_quote(const struct csv_parser *parser)
{
    return parser->pstate == 2 && parser->quoted;
}

int csv_read_rows(const char *buf, size_t len, const char *file, Diag *diag, CsvRowFn row,
                  CsvRowFn dropped, void *ctx)
{
    return csv_read_rows_split(buf, len, file, diag, row, dropped, ctx, true);
}

int csv_read_rows_split(const char *buf, size_t len, const char *file, Diag *diag, CsvRowFn row,
                        CsvRowFn dropped, void *ctx, bool split_plain)
{
    struct csv_parser parser;
    if (csv_init(&parser, CSV_APPEND_NULL) != 0) {
        diag_fatal(diag, "%s: cannot start the CSV parser", file);
        return 2;
    }
    RowState st = {.row = row, .dropped = dropped, .ctx = ctx};
    size_t pos = 0;
    char line_end = text_line_end(buf, len); /* '\r' in a file of old Mac line ends */
    while (pos < len && !st.stop && !st.oom) {
        const char *nl = memchr(buf + pos, line_end, len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
        st.line++;
        /* pstate 0: libcsv's ROW_NOT_BEGUN, no part of a row held, so a row
         * read now starts on this line (its first field may end on a later
         * one, when quoted with a line break) */
        bool row_start = parser.pstate == 0;
        if (row_start)
            st.start_line = st.line;
        if (split_plain && row_start && plain_line(buf + pos, n))
            split_plain_line(&st, buf + pos, n);
        else if (csv_parse(&parser, buf + pos, n, on_field, on_row, &st) != n) {
            diag_fatal(diag, "%s:%zu: %s", file, st.line, csv_strerror(csv_error(&parser)));
            st.stop = true;
        }
        pos += n;
        /* a quote still open at the end of its line (or of the file): the
         * row is dropped and the next line read afresh */
        if (!st.stop && (nl || pos == len) && in_open_quote(&parser)) {
            if (!diag_bad_line(diag, file, st.start_line,
                               "a quote opened on this line is not closed on it"))
                st.stop = true;
            hand_over(&st, st.dropped);
            csv_free(&parser);
            if (csv_init(&parser, CSV_APPEND_NULL) != 0) {
                diag_fatal(diag, "%s: cannot start the CSV parser", file);
                free(st.text);
                return 2;
            }
        }
    }
    if (!st.stop && !st.oom)
        csv_fini(&parser, on_field, on_row, &st);
    csv_free(&parser);
    free(st.text);
    if (st.oom)
        diag_fatal(diag, "%s: out of memory", file);
    return st.stop || st.oom ? 2 : 0;
}
