/* text.c: file reading, line walking, field splitting, number parsing and
 * character-set conversion (Windows-1252 to UTF-8) for the loaders; see
 * text.h. */
#include "filmseg/text.h"

#include "filmseg/bigalloc.h"

#include <errno.h>
#include <sys/stat.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has_control(const unsigned char *p, size_t n, bool line_breaks);

/* A C0 control byte other than tab (and, when line_breaks, CR and LF), or
 * DEL: what marks binary data. */
static inline bool is_control(unsigned char c, bool line_breaks)
{
    return (c < 0x20 && c != '\t' && !(line_breaks && (c == '\r' || c == '\n'))) || c == 0x7f;
}

/* Whether data starts with the magic number of a compressed file. */
static bool compressed(const char *data, size_t n)
{
    static const struct {
        const char *magic;
        size_t len;
    } formats[] = {{"\x1f\x8b", 2}, /* gzip */
                   {"\xfd"
                    "7zXZ\0",
                    6},                     /* xz */
                   {"\x28\xb5\x2f\xfd", 4}, /* zstd */
                   {"PK\x03\x04", 4}};      /* zip */
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (n >= formats[i].len && memcmp(data, formats[i].magic, formats[i].len) == 0)
            return true;
    /* bzip2: "BZh", a block size 1-9, then a block's magic or the end's
     * (text may start "BZh") */
    return n >= 10 && memcmp(data, "BZh", 3) == 0 && data[3] >= '1' && data[3] <= '9' &&
           (memcmp(data + 4, "1AY&SY", 6) == 0 || memcmp(data + 4, "\x17rE8P\x90", 6) == 0);
}

/* The share of a file's first MiB that is control bytes (as has_control
 * counts them, line breaks aside) past which it is binary, not text with a
 * stray control character: random bytes hold about 12%. */
enum { BINARY_CONTROLS_PER_MIB = TEXT_FIRST_LINES_MAX / 100 };

static size_t count_controls(const unsigned char *p, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += is_control(p[i], true);
    return count;
}

/* What the first MiB of a file says of it, once read: 0 when it may be text. */
static int first_mib_verdict(const char *data)
{
    if (!memchr(data, '\n', TEXT_FIRST_LINES_MAX) && !memchr(data, '\r', TEXT_FIRST_LINES_MAX))
        return TEXT_READ_NO_LINES;
    if (count_controls((const unsigned char *)data, TEXT_FIRST_LINES_MAX) > BINARY_CONTROLS_PER_MIB)
        return TEXT_READ_BINARY;
    return 0;
}

size_t text_read_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return SIZE_MAX;
    size_t half = (size_t)pages / 2 * (size_t)page;
    return half > ((size_t)1 << 30) ? half : (size_t)1 << 30;
}

int text_read_file(const char *path, char **buf, size_t *len)
{
    return text_read_file_max(path, text_read_limit(), buf, len);
}

int text_read_file_max(const char *path, size_t max, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    struct stat st;
    bool regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    if (regular && (uint64_t)st.st_size > max) {
        fclose(f);
        return TEXT_READ_TOO_LARGE;
    }
    size_t cap = regular ? (size_t)st.st_size + 1 /* one more: the read that sees the end */
                         : 1 << 16,
           n = 0;
    char *data = big_alloc(cap + 1);
    if (!data) {
        fclose(f);
        return ENOMEM;
    }
    for (;;) {
        if (n == cap) {
            cap = cap <= max / 2 ? cap * 2 : max + 1; /* max + 1: the byte that says "more" */
            char *bigger = realloc(data, cap + 1);
            if (!bigger) {
                free(data);
                fclose(f);
                return ENOMEM;
            }
            data = bigger;
        }
        size_t got = fread(data + n, 1, cap - n, f); /* a pipe's fread fills what it is given */
        /* a first MiB without a line end, or of binary bytes, is no panel
         * file, and one past max would not fit once parsed: said now, as an
         * endless one (/dev/zero, /dev/urandom, yes) would be read until
         * memory ran out */
        int verdict = n < TEXT_FIRST_LINES_MAX && n + got >= TEXT_FIRST_LINES_MAX
                          ? first_mib_verdict(data)
                          : 0;
        if (!verdict && n + got > max)
            verdict = TEXT_READ_TOO_LARGE;
        if (verdict) {
            free(data);
            fclose(f);
            return verdict;
        }
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (err) {
        free(data);
        return err;
    }
    if (n >= 2 && (memcmp(data, "\xff\xfe", 2) == 0 || memcmp(data, "\xfe\xff", 2) == 0)) {
        free(data); /* UTF-16, little- or big-endian: every other byte a NUL */
        return TEXT_READ_UTF16;
    }
    if (compressed(data, n)) {
        free(data);
        return TEXT_READ_COMPRESSED;
    }
    data[n] = '\0';
    if (n >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 byte-order mark */
        memmove(data, data + 3, n - 2);
        n -= 3;
    }
    *buf = data;
    *len = n;
    return 0;
}

char text_line_end(const char *buf, size_t len)
{
    return !memchr(buf, '\n', len) && memchr(buf, '\r', len) ? '\r' : '\n';
}

void line_reader_init(LineReader *reader, const char *buf, size_t len)
{
    reader->buf = buf;
    reader->len = len;
    reader->pos = 0;
    reader->line_no = 0;
    reader->clean = !has_control((const unsigned char *)buf, len, true);
    reader->end = text_line_end(buf, len);
}

bool line_reader_next(LineReader *reader, Field *line)
{
    if (reader->pos >= reader->len)
        return false;
    const char *start = reader->buf + reader->pos;
    size_t rest = reader->len - reader->pos;
    const char *nl = memchr(start, reader->end, rest);
    size_t n = nl ? (size_t)(nl - start) : rest;
    reader->pos += nl ? n + 1 : n;
    reader->line_no++;
    if (n > 0 && start[n - 1] == '\r') /* CRLF; in a file of CR line ends, none is left */
        n--;
    line->s = start;
    line->len = n;
    return true;
}

size_t text_split(Field line, const char *sep, Field *fields, size_t max)
{
    size_t seplen = strlen(sep), count = 0, start = 0;
    const char *end = line.s + line.len, *p = line.s;
    while (p + seplen <= end) {
        const char *hit = memchr(p, sep[0], (size_t)(end - p) - seplen + 1);
        if (!hit)
            break;
        if (memcmp(hit, sep, seplen) != 0) {
            p = hit + 1;
            continue;
        }
        if (count < max)
            fields[count] = (Field){line.s + start, (size_t)(hit - line.s) - start};
        count++;
        p = hit + seplen;
        start = (size_t)(p - line.s);
    }
    if (count < max)
        fields[count] = (Field){line.s + start, line.len - start};
    for (size_t i = count + 1; i < max; i++)
        fields[i] = (Field){"", 0}; /* callers may look at fields that are not there */
    return count + 1;
}

/* True when p[0..n) holds a C0 control byte other than tab (and, when
 * line_breaks, CR and LF) or DEL. 32 bytes at a time where AVX2 is there. */
static bool has_control(const unsigned char *p, size_t n, bool line_breaks)
{
    size_t i = 0;
#if defined(__AVX2__)
    const __m256i c1f = _mm256_set1_epi8(0x1f), del = _mm256_set1_epi8(0x7f),
                  tab = _mm256_set1_epi8('\t'), cr = _mm256_set1_epi8('\r'),
                  lf = _mm256_set1_epi8('\n');
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
        __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(v, c1f), v); /* v <= 0x1f */
        __m256i ok = _mm256_cmpeq_epi8(v, tab);
        if (line_breaks)
            ok = _mm256_or_si256(
                ok, _mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf)));
        ctl = _mm256_or_si256(_mm256_andnot_si256(ok, ctl), _mm256_cmpeq_epi8(v, del));
        if (!_mm256_testz_si256(ctl, ctl))
            return true;
    }
#endif
    for (; i < n; i++)
        if (is_control(p[i], line_breaks))
            return true;
    return false;
}

bool text_is_binary(Field line)
{
    return has_control((const unsigned char *)line.s, line.len, false);
}

Field text_trim(Field f)
{
    while (f.len && (f.s[0] == ' ' || f.s[0] == '\t')) {
        f.s++;
        f.len--;
    }
    while (f.len && (f.s[f.len - 1] == ' ' || f.s[f.len - 1] == '\t'))
        f.len--;
    return f;
}

bool field_equals(Field f, const char *s)
{
    size_t n = strlen(s);
    return f.len == n && memcmp(f.s, s, n) == 0;
}

bool text_parse_long(Field f, long min, long max, long *out)
{
    f = text_trim(f);
    size_t i = 0;
    bool negative = false;
    if (i < f.len && (f.s[i] == '-' || f.s[i] == '+'))
        negative = f.s[i++] == '-';
    if (i == f.len || f.len - i > 18)
        return false;
    long value = 0;
    for (; i < f.len; i++) {
        if (f.s[i] < '0' || f.s[i] > '9')
            return false;
        value = value * 10 + (f.s[i] - '0');
    }
    if (negative)
        value = -value;
    if (value < min || value > max)
        return false;
    *out = value;
    return true;
}

bool text_parse_double(Field f, double *out)
{
    f = text_trim(f);
    char tmp[64];
    if (f.len == 0 || f.len >= sizeof tmp)
        return false;
    size_t digits = 0, points = 0;
    for (size_t i = 0; i < f.len; i++) {
        char c = f.s[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (c == '.')
            points++;
        else if (!(i == 0 && (c == '-' || c == '+')))
            return false;
    }
    if (digits == 0 || points > 1)
        return false;
    memcpy(tmp, f.s, f.len);
    tmp[f.len] = '\0';
    *out = strtod(tmp, NULL);
    return true;
}

/* Windows-1252's bytes 0x80-0x9F (where ISO-8859-1 has C1 controls), as
 * Unicode; 0xFFFD for the five it leaves undefined (0x81 0x8D 0x8F 0x90
 * 0x9D). Its other bytes are ISO-8859-1's. */
static const uint16_t WINDOWS_1252_C1[32] = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

char *text_windows1252_to_utf8(Field f)
{
    char *out = malloc(f.len * 3 + 1); /* a byte becomes at most 3 (U+20AC, U+FFFD) */
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < f.len; i++) {
        unsigned char c = (unsigned char)f.s[i];
        uint32_t cp = c >= 0x80 && c <= 0x9f ? WINDOWS_1252_C1[c - 0x80] : c;
        if (cp < 0x80) {
            out[n++] = (char)cp;
        } else if (cp < 0x800) {
            out[n++] = (char)(0xc0 | (cp >> 6));
            out[n++] = (char)(0x80 | (cp & 0x3f));
        } else {
            out[n++] = (char)(0xe0 | (cp >> 12));
            out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    out[n] = '\0';
    return out;
}

bool text_is_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t extra;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= len)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

char *text_to_utf8(Field f)
{
    if (!text_is_utf8(f.s, f.len))
        return text_windows1252_to_utf8(f);
    char *out = malloc(f.len + 1);
    if (!out)
        return NULL;
    memcpy(out, f.s, f.len);
    out[f.len] = '\0';
    return out;
}

const char *text_read_error(int err)
{
    if (err == TEXT_READ_UTF16)
        return "the file is UTF-16; save it as UTF-8";
    if (err == TEXT_READ_COMPRESSED)
        return "the file is compressed (gzip, bzip2, xz, zstd or zip); decompress it first";
    if (err == TEXT_READ_NO_LINES)
        return "no line end in its first MiB: not a text file, or a line too long";
    if (err == TEXT_READ_BINARY)
        return "binary data (control characters) in its first MiB: not a text file";
    if (err == TEXT_READ_TOO_LARGE)
        return "larger than half of this machine's memory: not a panel file (an "
               "endless stream?), or too large to load here";
    return strerror(err);
}
