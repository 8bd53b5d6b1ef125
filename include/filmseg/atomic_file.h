/* atomic_file.h: writing a file so that it is never seen half-written: the
 * bytes go to a temporary file beside it (PATH.tmp.XXXXXX), which is synced
 * and renamed over PATH only when everything was written. On any failure the
 * temporary file is removed and an earlier file of that name is left as it
 * was; so it is when SIGINT, SIGTERM, SIGHUP or SIGPIPE ends the program
 * meanwhile.
 * When PATH is a symbolic link, the file it points to is replaced (the link
 * stays); the file keeps the permissions and owner (as far as this user may
 * give them: root, or a group of theirs) of the one it replaces (when the
 * permissions cannot be given, that file is left as it was), a file this
 * user may not write is refused (EACCES), and so is another user's file in a
 * sticky folder, which the rename could not replace (EPERM); a new one gets
 * 0666 less the umask. A PATH that is a device or a pipe
 * (/dev/stdout, a fifo) is written to as it is: renaming over it would put a
 * file in its place. The model file, `export` tables and `synth` panels are
 * written this way. */
#ifndef FILMSEG_ATOMIC_FILE_H
#define FILMSEG_ATOMIC_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

typedef struct {
    FILE *f;           /* write here between open and commit */
    char path[4096];   /* as given, for messages */
    char target[4096]; /* path, or where its symbolic links lead */
    char tmp[4200];
    int pending;   /* registered for removal by a signal: 1 + slot, or 0 */
    bool finished; /* written, synced and closed; the rename to come */
} AtomicFile;

/* Creates the temporary file for path (a->path names it even on failure);
 * false (errno set) when it cannot, ENOENT for an empty path. */
bool atomic_file_open(AtomicFile *a, const char *path);
/* Flushes, syncs and closes the temporary file, where any write error shows;
 * false (errno set, the temporary file removed) on any error. For writing
 * several files all or none: finish each, then commit each. */
bool atomic_file_finish(AtomicFile *a);
/* Finishes (unless done), renames into place and syncs the folder; false
 * (errno set, the temporary file removed) on any error, including an earlier
 * write error. */
bool atomic_file_commit(AtomicFile *a);
/* Commits files[0..n) in order, with SIGINT, SIGTERM, SIGHUP and SIGPIPE
 * held back meanwhile, so that a signal cannot leave some of them new and
 * the others old (a model beside another run's labels); returns how many
 * were committed (n, or the index of the one that failed, errno set). */
size_t atomic_file_commit_all(AtomicFile *const *files, size_t n);
/* Closes and removes the temporary file unless it was committed; safe to call
 * after commit or on a zeroed AtomicFile. */
void atomic_file_discard(AtomicFile *a);
/* Whether path can be written this way now: creates and removes a temporary
 * file beside it (a device or a pipe: whether it may be written), and
 * refuses a directory (EISDIR); false (errno set) when not. For commands
 * that work a long time before they write. */
bool atomic_file_probe(const char *path);
/* Why writing path failed with err, in words for a message: strerror(err),
 * or, when permission was refused and the file itself is missing or
 * writable, "its folder DIR is not writable (...)" (or "cannot be reached",
 * when a folder above it is closed to this user): the folder is what must
 * change. The text is this thread's until its next call. */
const char *atomic_file_strerror(const char *path, int err);
/* Whether writing a would replace the file b names (the same file, through
 * symbolic or hard links, or the same place when neither exists yet). */
bool atomic_file_same(const char *a, const char *b);

/* What the file at a path was when it was read or written (which file, its
 * size and the time of its last change), to tell later whether another
 * program has replaced or changed it since. */
typedef struct {
    bool exists;  /* a file was there */
    bool regular; /* a regular file, not a device, a pipe or a folder */
    bool pipe;    /* a named pipe (a fifo) */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec changed;
} FileStamp;
/* The stamp of the file at path now (following symbolic links). */
FileStamp file_stamp(const char *path);
/* Whether both stamps are of one file, unchanged between them. */
bool file_stamp_same(const FileStamp *a, const FileStamp *b);

#endif
