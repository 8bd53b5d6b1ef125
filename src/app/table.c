/* table.c: Markdown and plain-text tables; see table.h. */
#include "filmseg/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void table_init(Table *t, size_t n_cols, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    t->n_cols = n_cols;
    char line[1024] = "";
    size_t used = 0; /* headers past the line's size are cut, never overrun it */
    for (size_t c = 0; c < n_cols && used < sizeof line - 1; c++)
        used += (size_t)snprintf(line + used, sizeof line - used, c + 1 < n_cols ? "%s\t" : "%s",
                                 headers[c]);
    table_row(t, "%s", line);
}

void table_row(Table *t, const char *fmt, ...)
{
    char *line;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->incomplete = true;
        return;
    }
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        char **bigger = realloc(t->cells, cap * t->n_cols * sizeof *bigger);
        if (!bigger) {
            free(line);
            t->incomplete = true;
            return;
        }
        t->cells = bigger;
        t->cap_rows = cap;
    }
    char **row = t->cells + t->n_rows * t->n_cols, *rest = line;
    for (size_t c = 0; c < t->n_cols; c++) {
        char *tab = rest ? strchr(rest, '\t') : NULL;
        if (tab)
            *tab = '\0';
        row[c] = strdup(rest ? rest : "");
        if (!row[c]) { /* the row left out whole: no cell of it is NULL in the table */
            while (c > 0)
                free(row[--c]);
            free(line);
            t->incomplete = true;
            return;
        }
        rest = tab ? tab + 1 : NULL;
    }
    free(line);
    t->n_rows++;
}

size_t utf8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

/* A Markdown cell: '|' (in a title) would end the cell, so it is escaped. */
static void put_markdown_cell(const char *cell, FILE *out)
{
    for (const char *c = cell; *c; c++) {
        if (*c == '|')
            fputc('\\', out);
        fputc(*c, out);
    }
}

bool table_print(const Table *t, OutputFormat format, FILE *out)
{
    if (t->incomplete)
        return false;
    if (format == FORMAT_MARKDOWN) {
        for (size_t r = 0; r < t->n_rows; r++) {
            fputc('|', out);
            for (size_t c = 0; c < t->n_cols; c++) {
                fputc(' ', out);
                put_markdown_cell(t->cells[r * t->n_cols + c], out);
                fputs(" |", out);
            }
            fputc('\n', out);
            if (r == 0) {
                fputc('|', out);
                for (size_t c = 0; c < t->n_cols; c++)
                    fputs("---|", out);
                fputc('\n', out);
            }
        }
        return true;
    }
    size_t width[TABLE_MAX_TEXT_COLS] = {0};
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < t->n_cols && c < TABLE_MAX_TEXT_COLS; c++) {
            size_t w = utf8_width(t->cells[r * t->n_cols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->n_cols && c < TABLE_MAX_TEXT_COLS; c++) {
            const char *cell = t->cells[r * t->n_cols + c];
            size_t gap = width[c] - utf8_width(cell);
            bool right = t->right_align[c];
            if (right)
                pad(out, gap);
            fputs(cell, out);
            if (c + 1 < t->n_cols) {
                if (!right)
                    pad(out, gap);
                fputs("  ", out);
            }
        }
        fputc('\n', out);
        if (r == 0) {
            size_t total = 0;
            for (size_t c = 0; c < t->n_cols && c < TABLE_MAX_TEXT_COLS; c++)
                total += width[c] + (c + 1 < t->n_cols ? 2 : 0);
            for (size_t i = 0; i < total; i++)
                fputc('-', out);
            fputc('\n', out);
        }
    }
    return true;
}

void table_free(Table *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

const char *format_thousands(size_t value, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", value);
    size_t k = 0;
    for (int i = 0; i < n && k + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = '\0';
    return buf;
}
