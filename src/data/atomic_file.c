/* atomic_file.c: a temporary file renamed into place; see atomic_file.h. */
#include "filmseg/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- temporary files removed when a signal ends the program ---- */

enum { PENDING_MAX = 16 };
static char pending_path[PENDING_MAX][sizeof((AtomicFile *)0)->tmp];
static volatile sig_atomic_t pending_used[PENDING_MAX];
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;

static void remove_pending_and_die(int sig)
{
    for (int i = 0; i < PENDING_MAX; i++)
        if (pending_used[i])
            unlink(pending_path[i]);
    raise(sig); /* the handler was reset to the default: this ends the program */
}

/* The signals that end the program while its files wait to be put in place:
 * SIGINT, SIGTERM and SIGHUP, and SIGPIPE, which ends a command whose
 * standard output was closed (`train --labels - | head`). */
static const int ENDING_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
enum { N_ENDING_SIGNALS = sizeof ENDING_SIGNALS / sizeof ENDING_SIGNALS[0] };

/* Catches them where nobody else does (the explorer's terminal library may
 * have its own); run once. */
static void catch_signals_once(void)
{
    for (size_t i = 0; i < N_ENDING_SIGNALS; i++) {
        struct sigaction now;
        if (sigaction(ENDING_SIGNALS[i], NULL, &now) != 0 || now.sa_handler != SIG_DFL)
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_pending_and_die;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(ENDING_SIGNALS[i], &sa, NULL);
    }
}

/* Registers a temporary file; returns 1 + its slot, 0 when all are taken
 * (the file is then only left behind by a signal). */
static int pending_add(const char *tmp)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, catch_signals_once);
    int slot = 0;
    pthread_mutex_lock(&pending_lock);
    for (int i = 0; i < PENDING_MAX && !slot; i++)
        if (!pending_used[i]) {
            snprintf(pending_path[i], sizeof pending_path[i], "%s", tmp);
            pending_used[i] = 1;
            slot = i + 1;
        }
    pthread_mutex_unlock(&pending_lock);
    return slot;
}

static void pending_remove(int slot)
{
    if (slot <= 0)
        return;
    pthread_mutex_lock(&pending_lock);
    pending_used[slot - 1] = 0;
    pthread_mutex_unlock(&pending_lock);
}

/* ---- paths ---- */

/* Where writing path lands: path, or the end of its chain of symbolic links
 * (for a link to a missing file, that file). False (errno set) on a loop or
 * a name too long. */
static bool write_target(const char *path, char *out, size_t size)
{
    char current[4096], link[4096];
    if (snprintf(current, sizeof current, "%s", path) >= (int)sizeof current) {
        errno = ENAMETOOLONG;
        return false;
    }
    for (int hops = 0; hops < 40; hops++) {
        ssize_t n = readlink(current, link, sizeof link - 1);
        if (n < 0) { /* not a link (or not there): written as it is */
            if (snprintf(out, size, "%s", current) >= (int)size) {
                errno = ENAMETOOLONG;
                return false;
            }
            return true;
        }
        link[n] = '\0';
        const char *slash = strrchr(current, '/');
        int dir_len = link[0] == '/' || !slash ? 0 : (int)(slash - current) + 1;
        char next[4096];
        if (snprintf(next, sizeof next, "%.*s%s", dir_len, current, link) >= (int)sizeof next) {
            errno = ENAMETOOLONG;
            return false;
        }
        memcpy(current, next, sizeof current);
    }
    errno = ELOOP;
    return false;
}

/* Creates a new file named tmp + six random characters for writing, with
 * the permissions of a new file (0666 less the umask); -1 (errno set) when
 * it cannot. */
static int create_temporary(char *tmp, size_t size, const char *target)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned long counter;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned long long x =
            (unsigned long long)getpid() * 0x9E3779B97F4A7C15ull ^
            (unsigned long long)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) *
                0xBF58476D1CE4E5B9ull ^
            (unsigned long long)time(NULL);
        char suffix[7];
        for (int i = 0; i < 6; i++, x /= 62)
            suffix[i] = letters[x % 62];
        suffix[6] = '\0';
        if (snprintf(tmp, size, "%s.tmp.%s", target, suffix) >= (int)size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* The folder path is in ("." for a bare name, "/" for one at the root);
 * false for a bare name. */
static bool folder_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, size, ".");
    else
        snprintf(out, size, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return slash != NULL;
}

/* path's folder resolved (realpath) and its last name: one spelling for
 * paths to the same place that may not exist yet. */
static void canonical(const char *path, char *out, size_t size)
{
    char dir[4096], real[PATH_MAX];
    bool in_folder = folder_of(path, dir, sizeof dir);
    const char *name = in_folder ? strrchr(path, '/') + 1 : path;
    snprintf(out, size, "%s/%s", realpath(dir, real) ? real : dir, name);
}

/* Whether target's folder is sticky (/tmp, a shared drop folder) and the
 * file there another user's: renaming over it is then refused (EPERM) though
 * the file itself may be writable, as the shell's > would write it. */
static bool sticky_refuses(const char *target, const struct stat *file)
{
    char folder[4096];
    folder_of(target, folder, sizeof folder);
    struct stat st;
    uid_t me = geteuid();
    return stat(folder, &st) == 0 && (st.st_mode & S_ISVTX) && me != 0 && file->st_uid != me &&
           st.st_uid != me;
}

/* The file whose permissions this thread's last atomic_file_open could not
 * give the temporary file (fchmod refused), for atomic_file_strerror to say
 * so; target "" when it could. */
static _Thread_local struct {
    char target[4096];
    mode_t mode;
} mode_refused;

const char *atomic_file_strerror(const char *path, int err)
{
    static _Thread_local char why[4400];
    char target[4096];
    if (mode_refused.target[0] && write_target(path, target, sizeof target) &&
        strcmp(target, mode_refused.target) == 0) {
        snprintf(why, sizeof why,
                 "the new file could not be given the permissions of the one it would replace "
                 "(%04o: %s), which is left as it was",
                 (unsigned)mode_refused.mode, strerror(err));
        return why;
    }
    bool permission = err == EACCES || err == EPERM || err == EROFS;
    struct stat file;
    if (err == EPERM && write_target(path, target, sizeof target) && stat(target, &file) == 0 &&
        sticky_refuses(target, &file)) {
        snprintf(why, sizeof why,
                 "its folder is sticky, and the file another user's: it cannot be replaced (%s)",
                 strerror(err));
        return why;
    }
    if (!permission || !write_target(path, target, sizeof target) ||
        (access(target, F_OK) == 0 && access(target, W_OK) != 0))
        return strerror(err); /* not permission, or the file's own */
    char folder[4096];
    bool in_folder = folder_of(target, folder, sizeof folder);
    if (access(folder, F_OK) != 0 && errno == EACCES) { /* a folder above it is closed */
        snprintf(why, sizeof why, "its folder %s cannot be reached (%s)", folder, strerror(err));
        return why;
    }
    if (access(folder, W_OK) == 0)
        return strerror(err);
    snprintf(why, sizeof why, "%s%s is not writable (%s)", in_folder ? "its folder " : "",
             in_folder ? folder : "the current folder", strerror(err));
    return why;
}

bool atomic_file_same(const char *a, const char *b)
{
    char ta[4096], tb[4096];
    if (!write_target(a, ta, sizeof ta) || !write_target(b, tb, sizeof tb))
        return false;
    struct stat sa, sb;
    bool ea = stat(ta, &sa) == 0, eb = stat(tb, &sb) == 0;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb)
        return false;
    char ca[8300], cb[8300];
    canonical(ta, ca, sizeof ca);
    canonical(tb, cb, sizeof cb);
    return strcmp(ca, cb) == 0;
}

FileStamp file_stamp(const char *path)
{
    FileStamp stamp = {0};
    struct stat st;
    if (stat(path, &st) != 0)
        return stamp;
    stamp.exists = true;
    stamp.regular = S_ISREG(st.st_mode);
    stamp.pipe = S_ISFIFO(st.st_mode);
    stamp.dev = st.st_dev;
    stamp.ino = st.st_ino;
    stamp.size = st.st_size;
    stamp.changed = st.st_mtim;
    return stamp;
}

bool file_stamp_same(const FileStamp *a, const FileStamp *b)
{
    return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->changed.tv_sec == b->changed.tv_sec && a->changed.tv_nsec == b->changed.tv_nsec;
}

/* ---- writing ---- */

bool atomic_file_open(AtomicFile *a, const char *path)
{
    memset(a, 0, sizeof *a);
    mode_refused.target[0] = '\0';
    snprintf(a->path, sizeof a->path, "%s", path); /* named in messages even on failure */
    if (!*path) {
        errno = ENOENT;
        return false;
    }
    if (strlen(path) >= sizeof a->path) {
        errno = ENAMETOOLONG;
        return false;
    }
    struct stat existing;
    bool exists = stat(path, &existing) == 0; /* through its links */
    if (exists && S_ISDIR(existing.st_mode)) {
        errno = EISDIR;
        return false;
    }
    if (exists && !S_ISREG(existing.st_mode)) {
        /* a device or a pipe (/dev/stdout, a fifo): written to as it is;
         * renaming over it would replace the device with a file */
        snprintf(a->target, sizeof a->target, "%s", path);
        a->f = fopen(path, "w");
        return a->f != NULL;
    }
    /* a file this user may not write (read-only, or another's) is not
     * replaced behind its back, as the shell's > would not write it */
    if (exists && access(path, W_OK) != 0)
        return false;
    if (!write_target(path, a->target, sizeof a->target))
        return false;
    if (exists && sticky_refuses(a->target, &existing)) {
        errno = EPERM; /* what the rename would say, after all the work */
        return false;
    }
    int fd = create_temporary(a->tmp, sizeof a->tmp, a->target);
    if (fd < 0) {
        a->tmp[0] = '\0';
        return false;
    }
    a->pending = pending_add(a->tmp);
    if (exists) { /* keep the owner and permissions of the file it replaces */
        if (fchown(fd, existing.st_uid, existing.st_gid) != 0) /* not root: its group, if ours */
            (void)!fchown(fd, (uid_t)-1, existing.st_gid);
        /* a file it cannot give them (a private 0600 one would come back
         * 0666 less the umask) is not replaced; one that has them already
         * (a mount where chmod always fails, a 0644 file) is */
        struct stat made;
        if (fchmod(fd, existing.st_mode & 07777) != 0 &&
            !(fstat(fd, &made) == 0 && (made.st_mode & 07777) == (existing.st_mode & 07777))) {
            int err = errno;
            snprintf(mode_refused.target, sizeof mode_refused.target, "%s", a->target);
            mode_refused.mode = existing.st_mode & 07777;
            close(fd);
            atomic_file_discard(a);
            errno = err;
            return false;
        }
    }
    a->f = fdopen(fd, "w");
    if (!a->f) {
        int err = errno;
        close(fd);
        atomic_file_discard(a);
        errno = err;
        return false;
    }
    return true;
}

bool atomic_file_probe(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return access(path, W_OK) == 0; /* a pipe is not opened: it would wait for a reader */
    AtomicFile a;
    if (!atomic_file_open(&a, path))
        return false;
    atomic_file_discard(&a);
    return true;
}

bool atomic_file_finish(AtomicFile *a)
{
    if (a->finished)
        return true;
    if (!a->f)
        return false;
    errno = 0;
    bool direct = !a->tmp[0]; /* a device or a pipe: nothing to sync or rename */
    bool ok = fflush(a->f) == 0 && !ferror(a->f) && (direct || fsync(fileno(a->f)) == 0);
    int err = ok ? 0 : errno ? errno : EIO;
    if (fclose(a->f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    a->f = NULL;
    if (!ok) {
        atomic_file_discard(a);
        errno = err;
        return false;
    }
    a->finished = true;
    return true;
}

/* Syncs the folder holding path, so that a rename in it outlives a crash
 * (where the file system cannot, nothing is lost but that promise). */
static void sync_folder_of(const char *path)
{
    char dir[sizeof((AtomicFile *)0)->target];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

bool atomic_file_commit(AtomicFile *a)
{
    if (!atomic_file_finish(a))
        return false;
    if (a->tmp[0]) {
        if (rename(a->tmp, a->target) != 0) {
            int err = errno;
            atomic_file_discard(a);
            errno = err;
            return false;
        }
        sync_folder_of(a->target);
    }
    pending_remove(a->pending);
    a->pending = 0;
    a->tmp[0] = '\0';
    a->finished = false;
    return true;
}

size_t atomic_file_commit_all(AtomicFile *const *files, size_t n)
{
    /* the signals that would end the program between two renames wait until
     * all are done (or one failed): then they end it, with every file placed */
    sigset_t ending, before;
    sigemptyset(&ending);
    for (size_t i = 0; i < N_ENDING_SIGNALS; i++)
        sigaddset(&ending, ENDING_SIGNALS[i]);
    pthread_sigmask(SIG_BLOCK, &ending, &before);
    size_t done = 0;
    while (done < n && atomic_file_commit(files[done]))
        done++;
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    errno = err;
    return done;
}

void atomic_file_discard(AtomicFile *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp[0])
        unlink(a->tmp);
    pending_remove(a->pending);
    a->pending = 0;
    a->tmp[0] = '\0';
    a->finished = false;
}
