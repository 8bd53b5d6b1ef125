/* test_csv_rows.c: unit tests of reading CSV rows: quoted fields (commas,
 * doubled quotes; a quote left open drops its line only, whose fields
 * before the quote go to the caller's `dropped`) and the line each
 * row starts on, CRLF, blank
 * lines, spaces around fields, rows wider than CSV_MAX_FIELDS, a last line
 * without its line break; and, on thousands of random buffers, the same
 * rows whether plain lines are split by csv_rows.c or every line goes
 * through libcsv. */
#include "test_util.h"

#include "filmseg/csv_rows.h"
#include "filmseg/diag.h"

/* Every row read, as text: "line|field|field|...\n" (each field in [...]),
 * and a row's field count when it has more than CSV_MAX_FIELDS. */
typedef struct {
    char *text;
    size_t len, cap;
} Rows;

static void rows_add(Rows *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->text = realloc(r->text, r->cap);
        assert_non_null(r->text);
    }
    memcpy(r->text + r->len, s, n);
    r->len += n;
    r->text[r->len] = '\0';
}

static bool collect(void *ctx, size_t line, const Field *fields, size_t n)
{
    Rows *r = ctx;
    char head[64];
    int len = snprintf(head, sizeof head, "%zu:%zu", line, n);
    rows_add(r, head, (size_t)len);
    for (size_t i = 0; i < n && i < CSV_MAX_FIELDS; i++) {
        rows_add(r, "|[", 2);
        rows_add(r, fields[i].s, fields[i].len);
        rows_add(r, "]", 1);
    }
    rows_add(r, "\n", 1);
    return true;
}

/* The rows read and the rows dropped, apart. */
typedef struct {
    Rows *kept, *dropped;
} DroppedRows;

static bool collect_kept(void *ctx, size_t line, const Field *fields, size_t n)
{
    return collect(((DroppedRows *)ctx)->kept, line, fields, n);
}

static bool collect_dropped(void *ctx, size_t line, const Field *fields, size_t n)
{
    return collect(((DroppedRows *)ctx)->dropped, line, fields, n);
}

/* The rows of buf, split_plain as given. */
static char *read_rows(const char *buf, size_t len, bool split_plain)
{
    Rows r = {0};
    rows_add(&r, "", 0);
    Diag diag;
    diag_init(&diag, NULL, false);
    assert_int_equal(
        csv_read_rows_split(buf, len, "test.csv", &diag, collect, NULL, &r, split_plain), 0);
    return r.text;
}

static void assert_rows(const char *csv, const char *expected)
{
    for (int split = 0; split < 2; split++) {
        char *got = read_rows(csv, strlen(csv), split);
        assert_string_equal(got, expected);
        free(got);
    }
}

static void known_cases(void **state)
{
    (void)state;
    assert_rows("a,b,c\n1,2,3\n", "1:3|[a]|[b]|[c]\n2:3|[1]|[2]|[3]\n");
    /* spaces and tabs around unquoted fields dropped; empty fields kept */
    assert_rows("  a , b\t,,c ,\n", "1:5|[a]|[b]|[]|[c]|[]\n");
    /* blank lines are no rows; CRLF; the last line without its break */
    assert_rows("a\r\n\r\n  \n\nb,c\r\nd", "1:1|[a]\n5:2|[b]|[c]\n6:1|[d]\n");
    /* quoted: commas, doubled quotes; a quote not closed on its line drops
     * that line, and the next is read afresh (it would have taken the lines
     * up to the next quote in the file) */
    assert_rows("x,\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",y\nz\n",
                "1:3|[x]|[a,b]|[say \"hi\"]\n3:2|[lines\"]|[y]\n4:1|[z]\n");
    assert_rows("1,\"Broken (1995),Drama\n2,Fine (1996),Comedy\n3,\"Quoted, The\",Drama\n",
                "2:3|[2]|[Fine (1996)]|[Comedy]\n3:3|[3]|[Quoted, The]|[Drama]\n");
    assert_rows("a\n\"open at the end", "1:1|[a]\n");
    /* a lone carriage return ends a row, as libcsv has it */
    assert_rows("a,b\rc\n", "1:2|[a]|[b]\n1:1|[c]\n");
    /* in a file without a line feed (old Mac line ends) each carriage return
     * ends a line, so rows get their own line numbers; a quote left open at
     * one drops that line only */
    assert_rows("a,b\r1,\"x,y\"\r\r2,\"open\r3,z", "1:2|[a]|[b]\n2:2|[1]|[x,y]\n5:2|[3]|[z]\n");
    /* wider than CSV_MAX_FIELDS: the count is all of them */
    char wide[4 * (CSV_MAX_FIELDS + 10)] = "", expected[8 * (CSV_MAX_FIELDS + 10)];
    int at = snprintf(expected, sizeof expected, "1:%d", CSV_MAX_FIELDS + 5);
    for (int i = 0; i < CSV_MAX_FIELDS + 5; i++) {
        strcat(wide, i ? ",f" : "f");
        if (i < CSV_MAX_FIELDS)
            at += snprintf(expected + at, sizeof expected - (size_t)at, "|[f]");
    }
    strcat(wide, "\n");
    strcat(expected, "\n");
    assert_rows(wide, expected);
}

/* Random buffers, mostly plain lines, some with quotes, carriage returns,
 * blank lines, spaces and tabs: the rows must not depend on who splits
 * the plain lines. */
/* The dropped line is reported as file:line, and strict reading stops. */
static void open_quote_reported(void **state)
{
    (void)state;
    const char *csv = "a\n\"b,c\nd\n";
    CapturedDiag c;
    captured_diag_init(&c, false);
    Rows r = {0};
    rows_add(&r, "", 0);
    assert_int_equal(csv_read_rows(csv, strlen(csv), "m.csv", &c.diag, collect, NULL, &r), 0);
    assert_string_equal(r.text, "1:1|[a]\n3:1|[d]\n");
    /* the dropped row's fields before its open quote go to `dropped` */
    const char *ids = "a,b\n5,\"c,d\n6, e ,\"f\"\n\"g\n7,h\n";
    Rows kept = {0}, dropped = {0};
    rows_add(&kept, "", 0);
    rows_add(&dropped, "", 0);
    DroppedRows both = {&kept, &dropped};
    assert_int_equal(
        csv_read_rows(ids, strlen(ids), "m.csv", &c.diag, collect_kept, collect_dropped, &both), 0);
    assert_string_equal(kept.text, "1:2|[a]|[b]\n3:3|[6]|[e]|[f]\n5:2|[7]|[h]\n");
    assert_string_equal(dropped.text, "2:1|[5]\n4:0\n");
    free(kept.text);
    free(dropped.text);
    assert_non_null(
        strstr(captured_diag_text(&c), "m.csv:2: a quote opened on this line is not closed on it"));
    captured_diag_free(&c);
    free(r.text);
    captured_diag_init(&c, true);
    Rows strict = {0};
    rows_add(&strict, "", 0);
    assert_int_equal(csv_read_rows(csv, strlen(csv), "m.csv", &c.diag, collect, NULL, &strict), 2);
    assert_string_equal(strict.text, "1:1|[a]\n");
    captured_diag_free(&c);
    free(strict.text);
}

static void plain_lines_split_as_libcsv_does(void **state)
{
    (void)state;
    static const char alphabet[] = "ab1,,,   \t\t\"\r\n\n\n";
    unsigned seed = 12345;
    size_t plain_rows = 0;
    for (int round = 0; round < 3000; round++) {
        char buf[200];
        size_t n = 0, len = (size_t)(round % 150) + 1;
        bool quotes = round % 4 == 0;
        while (n < len) {
            seed = seed * 1103515245u + 12345u;
            char c = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
            if (!quotes && (c == '"' || (c == '\r' && (seed >> 8) % 4)))
                c = 'x';
            buf[n++] = c;
        }
        char *plain = read_rows(buf, n, true), *libcsv = read_rows(buf, n, false);
        if (strcmp(plain, libcsv) != 0)
            fail_msg("round %d: %.*s\nsplit here:\n%s\nlibcsv:\n%s", round, (int)n, buf, plain,
                     libcsv);
        for (const char *p = plain; *p; p++)
            plain_rows += *p == '\n';
        free(plain);
        free(libcsv);
    }
    assert_true(plain_rows > 10000); /* the rounds did read rows */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_cases),
        cmocka_unit_test(open_quote_reported),
        cmocka_unit_test(plain_lines_split_as_libcsv_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
