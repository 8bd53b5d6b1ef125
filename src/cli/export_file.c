/* export_file.c: an export table to a file (see export_save) or to stdout,
 * with what went wrong on stderr. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int write_export(const char *command, const char *path, ExportTable table, const Segmentation *seg,
                 int k, const Panel *panel, const int32_t *labels)
{
    if (path && strcmp(path, "-") != 0) {
        char error[4200];
        if (export_save(table, seg, k, panel, labels, path, error, sizeof error) == FS_OK)
            return 0;
        fprintf(stderr, "filmseg %s: %s\n", command, error);
        return -1;
    }
    int status = export_write(table, seg, k, panel, labels, stdout);
    if (status == FS_OK && fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    fprintf(stderr, "filmseg %s: cannot write the %s table: %s\n", command,
            export_table_name(table), status == FS_OK ? strerror(errno) : "out of memory");
    clearerr(stdout); /* said here: not again on the way out */
    return -1;
}
