/* zipmap.c: ZIP to state from a CSV list or the built-in prefix table; see
 * zipmap.h. */
#include "filmseg/zipmap.h"

#include "filmseg/assets.h"
#include "filmseg/csv_rows.h"
#include "filmseg/states.h"
#include "filmseg/text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ZipMap *map;
    Diag *diag;
    const char *file;
    int col_zip, col_state_id, col_state_name;
    bool header_seen;
} ZipCsv;

static int find_column(const Field *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n && i < CSV_MAX_FIELDS; i++)
        if (field_equals(text_trim(fields[i]), name))
            return (int)i;
    return -1;
}

static bool on_zip_row(void *ctx, size_t line, const Field *fields, size_t n)
{
    ZipCsv *z = ctx;
    if (!z->header_seen) {
        z->header_seen = true;
        z->col_zip = find_column(fields, n, "zip");
        z->col_state_id = find_column(fields, n, "state_id");
        z->col_state_name = find_column(fields, n, "state_name");
        if (z->col_zip < 0 || (z->col_state_id < 0 && z->col_state_name < 0)) {
            diag_fatal(z->diag,
                       "%s:%zu: the header must name a 'zip' column and a 'state_id' or "
                       "'state_name' column",
                       z->file, line);
            return false;
        }
        return true;
    }
    int need = z->col_zip;
    if (z->col_state_id > need)
        need = z->col_state_id;
    if (z->col_state_name > need)
        need = z->col_state_name;
    if (n <= (size_t)need)
        return diag_bad_line(z->diag, z->file, line, "%zu field%s, the header asks for at least %d",
                             n, n == 1 ? "" : "s", need + 1);
    int used[3] = {z->col_zip, z->col_state_id, z->col_state_name}; /* the rest is not read */
    for (int u = 0; u < 3; u++)
        if (used[u] >= 0 && used[u] < CSV_MAX_FIELDS && text_is_binary(fields[used[u]]))
            return diag_bad_line(z->diag, z->file, line, "binary data in field %d", used[u] + 1);
    long zip;
    if (!text_parse_long(fields[z->col_zip], 0, 99999, &zip))
        return diag_bad_line(z->diag, z->file, line, "zip '%.*s' is not a number 0..99999",
                             (int)(fields[z->col_zip].len > 40 ? 40 : fields[z->col_zip].len),
                             fields[z->col_zip].s);
    int state = STATE_UNKNOWN;
    Field id = z->col_state_id >= 0 ? text_trim(fields[z->col_state_id]) : (Field){"", 0};
    if (id.len)
        state = state_find(id.s, id.len);
    if (state == STATE_UNKNOWN && z->col_state_name >= 0) {
        Field name = text_trim(fields[z->col_state_name]);
        state = state_find(name.s, name.len);
    }
    if (state == STATE_UNKNOWN)
        return diag_bad_line(z->diag, z->file, line, "unknown state '%.*s'",
                             (int)(id.len > 40 ? 40 : id.len), id.s);
    z->map->by_zip[zip] = (uint8_t)state;
    z->map->n_zips++;
    return true;
}

int zipmap_parse_csv(ZipMap *map, const char *buf, size_t len, const char *file, Diag *diag)
{
    memset(map, 0, sizeof *map);
    map->exact = true;
    snprintf(map->source, sizeof map->source, "%s", file);
    map->by_zip = calloc(100000, 1);
    if (!map->by_zip) {
        diag_fatal(diag, "%s: out of memory", file);
        return 2;
    }
    ZipCsv z = {.map = map, .diag = diag, .file = file};
    if (csv_read_rows(buf, len, file, diag, on_zip_row, NULL, &z) != 0)
        return 2;
    if (map->n_zips == 0) {
        diag_fatal(diag, "%s: no ZIP codes in the file", file);
        return 2;
    }
    return 0;
}

int zipmap_load_csv(ZipMap *map, const char *path, Diag *diag)
{
    memset(map, 0, sizeof *map);
    char *buf;
    size_t len;
    int err = text_read_file(path, &buf, &len);
    if (err) {
        diag_fatal(diag, err < 0 ? "%s: %s" : "%s: cannot read the ZIP list: %s", path,
                   text_read_error(err));
        return 2;
    }
    if (len == 0) {
        free(buf);
        diag_fatal(diag, "%s: the ZIP list is empty", path);
        return 2;
    }
    int rc = zipmap_parse_csv(map, buf, len, path, diag);
    free(buf);
    return rc;
}

int zipmap_builtin(ZipMap *map)
{
    memset(map, 0, sizeof *map);
    snprintf(map->source, sizeof map->source, "built-in ZIP-prefix table");
    Asset table = asset_zip3_states();
    LineReader reader;
    line_reader_init(&reader, table.data, table.len);
    Field line, f[3];
    while (line_reader_next(&reader, &line)) {
        if (line.len == 0 || line.s[0] == '#')
            continue;
        long first, last;
        int state;
        if (text_split(line, " ", f, 3) != 3 || !text_parse_long(f[0], 0, 999, &first) ||
            !text_parse_long(f[1], first, 999, &last) ||
            (state = state_find(f[2].s, f[2].len)) == STATE_UNKNOWN)
            continue; /* the table is checked by a unit test */
        for (long p = first; p <= last; p++)
            map->by_prefix[p] = (uint8_t)state;
    }
    return 0;
}

int zipmap_state(const ZipMap *map, const char *zip)
{
    /* Five digits, optionally followed by "-dddd" (ZIP+4). */
    for (int i = 0; i < 5; i++)
        if (zip[i] < '0' || zip[i] > '9')
            return STATE_UNKNOWN;
    if (zip[5] != '\0' && zip[5] != '-')
        return STATE_UNKNOWN;
    int code = (zip[0] - '0') * 10000 + (zip[1] - '0') * 1000 + (zip[2] - '0') * 100 +
               (zip[3] - '0') * 10 + (zip[4] - '0');
    return map->exact ? map->by_zip[code] : map->by_prefix[code / 100];
}

void zipmap_free(ZipMap *map)
{
    free(map->by_zip);
    map->by_zip = NULL;
}
