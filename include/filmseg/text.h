/* text.h: small, bounds-checked helpers the loaders share: reading a whole
 * file, walking its lines (LF, CRLF, or CR alone), splitting a line into fields, strict
 * number parsing and Latin-1 (Windows-1252) to UTF-8 conversion. Nothing
 * here trusts its input: fields are (pointer, length) views, never
 * NUL-terminated in place. */
#ifndef FILMSEG_TEXT_H
#define FILMSEG_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *s;
    size_t len;
} Field;

typedef struct {
    const char *buf;
    size_t len, pos;
    size_t line_no; /* 1-based number of the line last returned */
    bool clean;     /* no line holds binary data (checked once for the buffer) */
    char end;       /* what ends a line: text_line_end of the buffer */
} LineReader;

/* Reads a whole file, without the UTF-8 byte-order mark a spreadsheet may
 * put at its start. Returns 0, an errno value (ENOENT, EACCES, ...), or one
 * of the TEXT_READ_ values below for a file no loader could read, told by
 * its first bytes (every file of a panel, the ZIP list and the files score
 * reads come through here): text_read_error says why. The buffer is
 * NUL-terminated (not counted in *len); free() it. */
int text_read_file(const char *path, char **buf, size_t *len);
/* text_read_file refusing a file of more than max bytes (TEXT_READ_TOO_LARGE);
 * text_read_file's max is text_read_limit(): half of the machine's memory
 * (its text and what the loaders make of it must fit), at least 1 GiB. */
int text_read_file_max(const char *path, size_t max, char **buf, size_t *len);
size_t text_read_limit(void);
/* not errno values: those are positive */
#define TEXT_READ_UTF16                                                                            \
    (-1)                          /* a UTF-16 byte-order mark (FF FE or FE FF): a                  \
                                     spreadsheet's "Unicode text" */
#define TEXT_READ_COMPRESSED (-2) /* gzip, bzip2, xz, zstd or zip */
#define TEXT_READ_NO_LINES                                                                         \
    (-3) /* no line end in its first TEXT_FIRST_LINES_MAX bytes: not text (/dev/zero, a            \
            binary), told before reading on */
#define TEXT_READ_BINARY                                                                           \
    (-4) /* more than 1% of its first TEXT_FIRST_LINES_MAX bytes are control characters */
#define TEXT_READ_TOO_LARGE (-5) /* more bytes than text_read_file_max's max */
enum { TEXT_FIRST_LINES_MAX = 1 << 20 };
/* What to say after the file's name for text_read_file's answer err: for a
 * TEXT_READ_ value, what the file is and what to do; else strerror(err). */
const char *text_read_error(int err);

/* The byte that ends a line of buf: '\r' when it holds a CR and no LF (a
 * file with old Mac line ends), otherwise '\n' (LF or CRLF; a CR elsewhere
 * in such a file is part of its line). Cheap: a file with an LF is searched
 * up to its first one. */
char text_line_end(const char *buf, size_t len);

void line_reader_init(LineReader *reader, const char *buf, size_t len);
/* Next line without its LF, CRLF or (in a file of CR line ends) CR; false at
 * the end. */
bool line_reader_next(LineReader *reader, Field *line);

/* Splits on a separator string (e.g. "|", "\t", "::"). Stores up to max
 * fields (empty ones past the last) and returns how many there are in all
 * (may exceed max). */
size_t text_split(Field line, const char *sep, Field *fields, size_t max);

/* True when the line holds bytes no text file has (NUL, other C0 controls
 * except tab, DEL). */
bool text_is_binary(Field line);
Field text_trim(Field f);
bool field_equals(Field f, const char *s);

/* Whole field must be a decimal integer in [min, max]. */
bool text_parse_long(Field f, long min, long max, long *out);
/* Whole field must be a decimal number (digits, optional sign and point). */
bool text_parse_double(Field f, double *out);

/* Copies a field as a NUL-terminated string: bytes >= 0x80 are read as
 * Windows-1252 and written as UTF-8. Windows-1252 is ISO-8859-1 but for
 * 0x80-0x9F, where it has punctuation (0x92 ’, 0x93 “, 0x94 ”, 0x96 –,
 * 0x85 …, 0x80 €) and Latin-1 invisible C1 controls: files said to be
 * Latin-1 nearly always mean it. Its five undefined bytes (0x81 0x8D 0x8F
 * 0x90 0x9D) become U+FFFD. */
char *text_windows1252_to_utf8(Field f);
/* Copies a field that is already UTF-8; when it is not valid UTF-8 it is
 * read as Latin-1/Windows-1252 instead (text_windows1252_to_utf8), so the
 * result is always valid UTF-8. */
char *text_to_utf8(Field f);
/* True when the bytes form valid UTF-8. */
bool text_is_utf8(const char *s, size_t len);

#endif
