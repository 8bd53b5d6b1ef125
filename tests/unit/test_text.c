/* test_text.c: unit tests of text.h (lines, fields, numbers, charsets). */
#include "test_util.h"

#include "filmseg/text.h"

#include <unistd.h>

/* buf holds the lines "a|b", "c", "" and "last", whatever ends them. */
static void reads_four_lines(const char *buf)
{
    LineReader r;
    Field line;
    line_reader_init(&r, buf, strlen(buf));
    assert_true(line_reader_next(&r, &line));
    assert_int_equal(line.len, 3);
    assert_memory_equal(line.s, "a|b", 3);
    assert_true(line_reader_next(&r, &line));
    assert_int_equal(line.len, 1);
    assert_memory_equal(line.s, "c", 1);
    assert_true(line_reader_next(&r, &line));
    assert_int_equal(line.len, 0);
    assert_true(line_reader_next(&r, &line));
    assert_int_equal(r.line_no, 4);
    assert_int_equal(line.len, 4);
    assert_memory_equal(line.s, "last", 4);
    assert_false(line_reader_next(&r, &line));
}

static void lines_split_on_lf_and_crlf(void **state)
{
    (void)state;
    reads_four_lines("a|b\r\nc\n\nlast");
}

/* A file whose lines end in CR alone (old Mac files: no LF anywhere) is
 * read line by line too; where the file has an LF, a lone CR stays in its
 * line as before. */
static void lines_split_on_cr_alone(void **state)
{
    (void)state;
    reads_four_lines("a|b\rc\r\rlast");
    LineReader r;
    Field line;
    const char *mixed = "a\rb\nc";
    line_reader_init(&r, mixed, strlen(mixed));
    assert_true(line_reader_next(&r, &line));
    assert_int_equal(line.len, 3);
    assert_true(line_reader_next(&r, &line));
    assert_memory_equal(line.s, "c", 1);
    assert_false(line_reader_next(&r, &line));
}

static void split_counts_every_field(void **state)
{
    (void)state;
    Field f[3];
    Field line = {"1::two::::4", 11};
    assert_int_equal(text_split(line, "::", f, 3), 4);
    assert_memory_equal(f[1].s, "two", 3);
    assert_int_equal(f[2].len, 0);
    Field empty = {"", 0};
    assert_int_equal(text_split(empty, "|", f, 3), 1);
    assert_int_equal(f[0].len, 0);
    /* fields past the last are empty, never stale (a crash the fuzzer found) */
    f[2] = (Field){"stale", 5};
    assert_int_equal(text_split((Field){"a|b", 3}, "|", f, 3), 2);
    assert_int_equal(f[2].len, 0);
    assert_non_null(f[2].s);
}

static void numbers_are_strict(void **state)
{
    (void)state;
    long v;
    assert_true(text_parse_long((Field){" 42", 3}, 0, 100, &v));
    assert_int_equal(v, 42);
    assert_false(text_parse_long((Field){"4x", 2}, 0, 100, &v));
    assert_false(text_parse_long((Field){"", 0}, 0, 100, &v));
    assert_false(text_parse_long((Field){"101", 3}, 0, 100, &v));
    assert_false(text_parse_long((Field){"-", 1}, -5, 100, &v));
    assert_false(text_parse_long((Field){"99999999999999999999", 20}, 0, 100, &v));
    double d;
    assert_true(text_parse_double((Field){"3.5", 3}, &d));
    assert_true(d == 3.5);
    assert_false(text_parse_double((Field){"3.5.1", 5}, &d));
    assert_false(text_parse_double((Field){"nan", 3}, &d));
    assert_false(text_parse_double((Field){"1e5", 3}, &d));
}

static void latin1_becomes_utf8(void **state)
{
    (void)state;
    char *s = text_windows1252_to_utf8((Field){"Caf\xe9", 4});
    assert_string_equal(s, "Caf\xc3\xa9");
    free(s);
    s = text_to_utf8((Field){"Caf\xc3\xa9", 5}); /* already UTF-8: unchanged */
    assert_string_equal(s, "Caf\xc3\xa9");
    free(s);
    s = text_to_utf8((Field){"\xe9t\xe9", 3}); /* not UTF-8: read as Latin-1 (Windows-1252) */
    assert_string_equal(s, "\xc3\xa9t\xc3\xa9");
    assert_true(text_is_utf8(s, strlen(s)));
    free(s);
    assert_false(text_is_utf8("\xc3", 1));
    assert_false(text_is_utf8("\xc0\x80", 2));     /* overlong */
    assert_false(text_is_utf8("\xed\xa0\x80", 3)); /* surrogate */
}

/* A title that is not UTF-8 is read as Windows-1252, not as ISO-8859-1:
 * files said to be Latin-1 nearly always are, and their bytes 0x80-0x9F
 * are its punctuation (’ “ ” – … €), which Latin-1 makes invisible C1
 * controls; the five bytes Windows-1252 leaves undefined become U+FFFD. */
static void c1_bytes_are_windows_1252(void **state)
{
    (void)state;
    const char *cp1252 = "Don\x92t \x93Go\x94 \x96 Now\x85 \x80 5";
    char *s = text_to_utf8((Field){cp1252, strlen(cp1252)});
    assert_string_equal(s,
                        "Don\xe2\x80\x99t \xe2\x80\x9cGo\xe2\x80\x9d \xe2\x80\x93 Now\xe2\x80\xa6"
                        " \xe2\x82\xac 5");
    free(s);
    s = text_to_utf8((Field){"\x81\x8d\x8f\x90\x9d", 5});
    assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    /* every byte 0x80-0x9F: valid UTF-8, and never a C1 control (C2 80..C2 9F) */
    for (int c = 0x80; c <= 0x9f; c++) {
        char in[2] = {(char)c, 'x'};
        s = text_to_utf8((Field){in, 2});
        assert_true(text_is_utf8(s, strlen(s)));
        assert_false((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] < 0xa0);
        free(s);
    }
    s = text_to_utf8((Field){"\xa0\xe9\xff", 3}); /* above 0x9F: as Latin-1 */
    assert_string_equal(s, "\xc2\xa0\xc3\xa9\xc3\xbf");
    free(s);
}

static void binary_lines_are_recognised(void **state)
{
    (void)state;
    assert_true(text_is_binary((Field){"a\0b", 3}));
    assert_true(text_is_binary((Field){"\x01", 1}));
    assert_false(text_is_binary((Field){"a\tb \xe9", 5}));
}

static void read_file_reports_errno(void **state)
{
    (void)state;
    char *buf;
    size_t len;
    assert_int_not_equal(text_read_file("/nonexistent/file", &buf, &len), 0);
    assert_null(buf);
}

/* A spreadsheet's "CSV UTF-8" starts with a byte-order mark: it is not part
 * of the first header name; one elsewhere is left alone. */
static void read_file_drops_a_leading_byte_order_mark(void **state)
{
    (void)state;
    char path[] = "/tmp/filmseg-bom-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "\xef\xbb\xbfzip,state_id\n\xef\xbb\xbf\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char *buf;
    size_t len;
    assert_int_equal(text_read_file(path, &buf, &len), 0);
    assert_int_equal(len, sizeof text - 1 - 3);
    assert_string_equal(buf, "zip,state_id\n\xef\xbb\xbf\n");
    free(buf);
    unlink(path);
}

/* Compressed files are told by their whole magic number: text that starts
 * like one ("BZh_id", "PK") is text. */
static void read_file_tells_compressed_from_text(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        int answer;
    } files[] = {{"BZh_id,lat\n1,2\n", 15, 0},
                 {"BZh1 a text\n", 12, 0},
                 {"PK,name\n1,a\n", 12, 0},
                 {"BZh91AY&SY\x01\x02", 12, TEXT_READ_COMPRESSED},
                 {"BZh9\x17rE8P\x90\0\0\0\0", 14, TEXT_READ_COMPRESSED},
                 {"\x1f\x8b\x08\0", 4, TEXT_READ_COMPRESSED}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[] = "/tmp/filmseg-magic-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, files[i].bytes, files[i].len), (ssize_t)files[i].len);
        close(fd);
        char *buf;
        size_t len;
        assert_int_equal(text_read_file(path, &buf, &len), files[i].answer);
        free(buf);
        unlink(path);
    }
}

/* A file without a line end in its first MiB is no text: refused there,
 * before an endless one (/dev/zero) is read until memory runs out; one line
 * end in that MiB, or a shorter file without any, is read whole. */
static void read_file_refuses_a_first_mib_without_lines(void **state)
{
    (void)state;
    char *buf;
    size_t len;
    assert_int_equal(text_read_file("/dev/zero", &buf, &len), TEXT_READ_NO_LINES);
    assert_null(buf);
    size_t size = TEXT_FIRST_LINES_MAX + TEXT_FIRST_LINES_MAX / 2;
    char *bytes = malloc(size);
    assert_non_null(bytes);
    memset(bytes, 'a', size);
    for (int with_line = 0; with_line < 2; with_line++) {
        bytes[TEXT_FIRST_LINES_MAX - 1] = with_line ? '\n' : 'a';
        char path[] = "/tmp/filmseg-lines-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, bytes, size), (ssize_t)size);
        close(fd);
        assert_int_equal(text_read_file(path, &buf, &len), with_line ? 0 : TEXT_READ_NO_LINES);
        assert_int_equal(len, with_line ? size : 0);
        free(buf);
        unlink(path);
    }
    char path[] = "/tmp/filmseg-lines-XXXXXX"; /* a short file of one unended line */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, 1000), 1000);
    close(fd);
    assert_int_equal(text_read_file(path, &buf, &len), 0);
    assert_int_equal(len, 1000);
    free(buf);
    unlink(path);
    free(bytes);
}

/* Writes n bytes to a new temporary file; its path into path. */
static void write_temp(char path[static 32], const char *bytes, size_t n)
{
    strcpy(path, "/tmp/filmseg-read-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    close(fd);
}

/* text_read_file_max's answer for the output of a shell command (its
 * buffer, if any, freed). */
static int read_pipe(const char *command, size_t max)
{
    FILE *p = popen(command, "r");
    assert_non_null(p);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fileno(p));
    char *buf;
    size_t len;
    int answer = text_read_file_max(path, max, &buf, &len);
    free(buf);
    pclose(p);
    return answer;
}

/* A first MiB more than 1% control bytes is binary, refused (/dev/urandom
 * has line ends); at 1% it is text with stray control bytes, read whole. */
static void read_file_refuses_a_binary_first_mib(void **state)
{
    (void)state;
    char *buf;
    size_t len;
    size_t size = TEXT_FIRST_LINES_MAX + 4096;
    char *bytes = malloc(size);
    assert_non_null(bytes);
    for (size_t i = 0; i < size; i++)
        bytes[i] = i % 64 == 63 ? '\n' : 'a';
    for (int over = 0; over < 2; over++) {
        size_t controls = TEXT_FIRST_LINES_MAX / 100 + (size_t)over;
        for (size_t c = 0; c < controls; c++)
            bytes[c * 64 + 5] = c % 2 ? '\0' : '\x1b';
        char path[32];
        write_temp(path, bytes, size);
        assert_int_equal(text_read_file(path, &buf, &len), over ? TEXT_READ_BINARY : 0);
        assert_int_equal(len, over ? 0 : size);
        free(buf);
        unlink(path);
    }
    free(bytes);
    /* through a pipe too: the verdict comes after the first MiB */
    assert_int_equal(read_pipe("head -c 3000000 /dev/urandom", text_read_limit()),
                     TEXT_READ_BINARY);
    assert_string_equal(text_read_error(TEXT_READ_BINARY),
                        "binary data (control characters) in its first MiB: not a text file");
}

/* A file past max bytes is refused: a regular one before it is read, a
 * stream (yes, an endless pipe) once max bytes have come; max bytes exactly
 * are read. text_read_file's own limit is half of the memory, at least
 * 1 GiB. */
static void read_file_refuses_more_than_max(void **state)
{
    (void)state;
    char *buf;
    size_t len;
    char text[200];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = i % 10 == 9 ? '\n' : 'y';
    char path[32];
    write_temp(path, text, sizeof text);
    assert_int_equal(text_read_file_max(path, sizeof text - 1, &buf, &len), TEXT_READ_TOO_LARGE);
    assert_null(buf);
    assert_int_equal(text_read_file_max(path, sizeof text, &buf, &len), 0);
    assert_int_equal(len, sizeof text);
    free(buf);
    unlink(path);
    assert_int_equal(read_pipe("yes", (size_t)3 << 20), TEXT_READ_TOO_LARGE);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t half = (size_t)pages * (size_t)page / 2;
    assert_true(text_read_limit() >= half - (size_t)page && text_read_limit() >= (size_t)1 << 30);
    assert_true(text_read_limit() <= (half > (size_t)1 << 30 ? half : (size_t)1 << 30));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_split_on_lf_and_crlf),
        cmocka_unit_test(lines_split_on_cr_alone),
        cmocka_unit_test(split_counts_every_field),
        cmocka_unit_test(numbers_are_strict),
        cmocka_unit_test(latin1_becomes_utf8),
        cmocka_unit_test(c1_bytes_are_windows_1252),
        cmocka_unit_test(binary_lines_are_recognised),
        cmocka_unit_test(read_file_reports_errno),
        cmocka_unit_test(read_file_drops_a_leading_byte_order_mark),
        cmocka_unit_test(read_file_tells_compressed_from_text),
        cmocka_unit_test(read_file_refuses_a_first_mib_without_lines),
        cmocka_unit_test(read_file_refuses_a_binary_first_mib),
        cmocka_unit_test(read_file_refuses_more_than_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
