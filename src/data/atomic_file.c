/* atomic_file.c: a temporary file renamed into place; see atomic_file.h. */
#include "filmseg/atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool atomic_file_open(AtomicFile *a, const char *path)
{
    memset(a, 0, sizeof *a);
    snprintf(a->path, sizeof a->path, "%s", path); /* named in messages even on failure */
    if (strlen(path) >= sizeof a->path) {
        errno = ENAMETOOLONG;
        return false;
    }
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        a->tmp[0] = '\0';
        return false;
    }
    fchmod(fd, 0644); /* mkstemp makes it 0600; what filmseg writes is for everyone to read */
    a->f = fdopen(fd, "w");
    if (!a->f) {
        int err = errno;
        close(fd);
        unlink(a->tmp);
        a->tmp[0] = '\0';
        errno = err;
        return false;
    }
    return true;
}

bool atomic_file_probe(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return false;
    }
    AtomicFile a;
    if (!atomic_file_open(&a, path))
        return false;
    atomic_file_discard(&a);
    return true;
}

bool atomic_file_commit(AtomicFile *a)
{
    if (!a->f)
        return false;
    errno = 0;
    bool ok = fflush(a->f) == 0 && !ferror(a->f) && fsync(fileno(a->f)) == 0;
    int err = ok ? 0 : errno ? errno : EIO;
    if (fclose(a->f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    a->f = NULL;
    if (ok && rename(a->tmp, a->path) != 0) {
        ok = false;
        err = errno;
    }
    if (ok) {
        a->tmp[0] = '\0';
        return true;
    }
    unlink(a->tmp);
    a->tmp[0] = '\0';
    errno = err;
    return false;
}

void atomic_file_discard(AtomicFile *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp[0])
        unlink(a->tmp);
    a->tmp[0] = '\0';
}
