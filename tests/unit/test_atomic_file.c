/* test_atomic_file.c: unit tests of writing through a temporary file: a
 * commit replaces the file whole (mode 0644, nothing left behind), a discard
 * leaves an earlier file as it was, and a folder that is not there fails
 * with errno set and the path named; a probe tells a writable path from a
 * folder or a missing one and leaves nothing behind; a write through a
 * symbolic link replaces the file it points to, a replaced file keeps its
 * permissions and owner, a file its user may not write is refused, and a
 * new one follows the umask; paths to the same file are
 * told apart from others; a signal that ends the program removes the
 * temporary file; a device or a pipe is written to, not replaced; files
 * finished first and committed after are put in place only on the commit,
 * and a finished one discarded leaves the earlier file. */
#include "test_util.h"

#include "filmseg/atomic_file.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* fchmod as a mount that refuses every chmod has it, while chmod_refused:
 * this definition takes the place of the C library's for atomic_file.c. */
static bool chmod_refused;
int fchmod(int fd, mode_t mode);
int fchmod(int fd, mode_t mode)
{
    if (chmod_refused) {
        errno = EPERM;
        return -1;
    }
    return (int)syscall(SYS_fchmod, fd, mode);
}

/* Files in dir other than . and .. */
static int entries(const char *dir)
{
    char command[512];
    snprintf(command, sizeof command, "exit $(ls -A %s | wc -l)", dir);
    return WEXITSTATUS(system(command));
}

static void commit_discard_and_failure(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-atomic-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.txt", dir);

    AtomicFile a;
    assert_true(atomic_file_open(&a, path));
    fputs("first\n", a.f);
    assert_int_equal(access(path, F_OK), -1); /* not there until the commit */
    assert_true(atomic_file_commit(&a));
    char *text = file_text(path);
    assert_string_equal(text, "first\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    assert_int_equal(entries(dir), 1);
    atomic_file_discard(&a); /* after a commit: nothing to do */
    assert_int_equal(entries(dir), 1);

    assert_true(atomic_file_open(&a, path));
    fputs("second, never committed\n", a.f);
    assert_int_equal(entries(dir), 2);
    atomic_file_discard(&a);
    text = file_text(path);
    assert_string_equal(text, "first\n");
    free(text);
    assert_int_equal(entries(dir), 1);

    char missing[300];
    snprintf(missing, sizeof missing, "%s/no/such/x.txt", dir);
    errno = 0;
    assert_false(atomic_file_open(&a, missing));
    assert_int_equal(errno, ENOENT);
    assert_string_equal(a.path, missing);
    assert_false(atomic_file_commit(&a));
    atomic_file_discard(&a);

    unlink(path);
    rmdir(dir);
}

static void probe(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-probe-XXXXXX", path[256], missing[300];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(missing, sizeof missing, "%s/no/such/x.txt", dir);

    assert_true(atomic_file_probe(path)); /* a new file: nothing left behind */
    assert_int_equal(entries(dir), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("kept\n", f);
    fclose(f);
    assert_true(atomic_file_probe(path)); /* an existing file: left as it was */
    char *text = file_text(path);
    assert_string_equal(text, "kept\n");
    free(text);
    assert_int_equal(entries(dir), 1);

    errno = 0;
    assert_false(atomic_file_probe(dir));
    assert_int_equal(errno, EISDIR);
    errno = 0;
    assert_false(atomic_file_probe(missing));
    assert_int_equal(errno, ENOENT);
    assert_int_equal(entries(dir), 1);

    unlink(path);
    rmdir(dir);
}

static void write_text(const char *path, const char *text)
{
    AtomicFile a;
    assert_true(atomic_file_open(&a, path));
    fputs(text, a.f);
    assert_true(atomic_file_commit(&a));
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode;
}

static void links_and_permissions(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-links-XXXXXX", target[256], symlink_path[256], dangling[256],
         gone[256], fresh[256];
    assert_non_null(mkdtemp(dir));
    snprintf(target, sizeof target, "%s/target.csv", dir);
    snprintf(symlink_path, sizeof symlink_path, "%s/link.csv", dir);
    snprintf(dangling, sizeof dangling, "%s/dangling.csv", dir);
    snprintf(gone, sizeof gone, "%s/gone.csv", dir);
    snprintf(fresh, sizeof fresh, "%s/fresh.csv", dir);

    write_text(target, "old\n");
    assert_int_equal(chmod(target, 0600), 0);
    assert_int_equal(symlink("target.csv", symlink_path), 0); /* relative, as ln -s makes them */
    write_text(symlink_path, "new\n");
    assert_true(S_ISLNK(mode_of(symlink_path))); /* the link stays a link */
    char *text = file_text(target);
    assert_string_equal(text, "new\n");
    free(text);
    assert_int_equal(mode_of(target) & 0777, 0600); /* the replaced file's permissions */

    assert_int_equal(symlink(gone, dangling), 0); /* a link to a file not there yet */
    write_text(dangling, "made\n");
    assert_true(S_ISLNK(mode_of(dangling)));
    text = file_text(gone);
    assert_string_equal(text, "made\n");
    free(text);

    /* a new file follows the umask (read once per process: in a child) */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        umask(077);
        AtomicFile c;
        _exit(atomic_file_open(&c, fresh) && fputs("private\n", c.f) >= 0 && atomic_file_commit(&c)
                  ? 0
                  : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(mode_of(fresh) & 0777, 0600);

    errno = 0;
    AtomicFile a;
    assert_false(atomic_file_open(&a, ""));
    assert_int_equal(errno, ENOENT);
    assert_false(atomic_file_probe(""));

    assert_true(atomic_file_same(symlink_path, target));
    assert_true(atomic_file_same(dangling, gone));
    assert_false(atomic_file_same(fresh, target));
    char spelled[300], missing_a[300], missing_b[300];
    snprintf(spelled, sizeof spelled, "%s/./../%s/target.csv", dir, strrchr(dir, '/') + 1);
    assert_true(atomic_file_same(spelled, target));
    snprintf(missing_a, sizeof missing_a, "%s/new.fsm", dir);
    snprintf(missing_b, sizeof missing_b, "%s/./new.fsm", dir);
    assert_true(atomic_file_same(missing_a, missing_b)); /* neither there yet */
    assert_false(atomic_file_same(missing_a, fresh));
    char hard[300];
    snprintf(hard, sizeof hard, "%s/hard.csv", dir);
    assert_int_equal(link(fresh, hard), 0);
    assert_true(atomic_file_same(hard, fresh));

    const char *names[] = {target, symlink_path, dangling, gone, fresh, hard};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(names[i]);
    assert_int_equal(entries(dir), 0);
    rmdir(dir);
}

/* A stamp tells a file unchanged from one replaced (a rename over it) or
 * changed in place, and a device from a file. */
static void stamps_tell_a_file_changed_since(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-stamp-XXXXXX", path[256], other[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.fsm", dir);
    snprintf(other, sizeof other, "%s/nightly.fsm", dir);
    FileStamp none = file_stamp(path);
    assert_false(none.exists);
    assert_false(file_stamp_same(&none, &none)); /* nothing there is nobody's file */

    write_text(path, "model one");
    FileStamp written = file_stamp(path), again = file_stamp(path);
    assert_true(written.exists && written.regular);
    assert_true(file_stamp_same(&written, &again));
    assert_false(file_stamp_same(&none, &written));

    write_text(other, "model two");
    assert_int_equal(rename(other, path), 0); /* another program's new file */
    FileStamp replaced = file_stamp(path);
    assert_false(file_stamp_same(&written, &replaced));

    FILE *f = fopen(path, "a"); /* changed in place: same file, other size */
    assert_non_null(f);
    fputs(" edited", f);
    fclose(f);
    FileStamp edited = file_stamp(path);
    assert_false(file_stamp_same(&replaced, &edited));

    FileStamp device = file_stamp("/dev/null");
    assert_true(device.exists);
    assert_false(device.regular);
    char command[300];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

/* A device or a pipe is written to, never renamed over: /dev/null stays a
 * device, a fifo a fifo (its reader gets the bytes), and probing a fifo
 * does not wait for a reader. */
static void devices_and_pipes_are_written_to(void **state)
{
    (void)state;
    AtomicFile a;
    assert_true(atomic_file_probe("/dev/null"));
    assert_true(atomic_file_open(&a, "/dev/null"));
    fputs("gone\n", a.f);
    assert_true(atomic_file_commit(&a));
    assert_true(S_ISCHR(mode_of("/dev/null")));

    char dir[] = "/tmp/filmseg-fifo-XXXXXX", fifo[256];
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_true(atomic_file_probe(fifo)); /* at once: nobody reads it yet */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        AtomicFile w;
        _exit(atomic_file_open(&w, fifo) && fputs("through\n", w.f) >= 0 && atomic_file_commit(&w)
                  ? 0
                  : 1);
    }
    FILE *r = fopen(fifo, "r");
    assert_non_null(r);
    char line[32] = "";
    assert_non_null(fgets(line, sizeof line, r));
    fclose(r);
    assert_string_equal(line, "through\n");
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(S_ISFIFO(mode_of(fifo)));
    assert_int_equal(entries(dir), 1); /* no temporary file beside it */
    unlink(fifo);
    rmdir(dir);
}

/* A child that opens a file, writes and is ended by sig: nothing may stay. */
/* Writes path's replacement as the current user: 0 when it was written,
 * else errno. */
static int replace_as_this_user(const char *path)
{
    AtomicFile a;
    if (!atomic_file_open(&a, path))
        return errno;
    fputs("new\n", a.f);
    int err = atomic_file_commit(&a) ? 0 : errno;
    atomic_file_discard(&a);
    return err;
}

/* A replaced file keeps its owner and group (a root job's retrain left a
 * service's model root's, unreadable to it), and a file its user may not
 * write is refused, as the shell's > refuses it (run as nobody when the
 * tests run as root, who may write anything). */
static void owner_kept_and_read_only_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-owner-XXXXXX", owned[256], read_only[256];
    assert_non_null(mkdtemp(dir));
    snprintf(owned, sizeof owned, "%s/service.fsm", dir);
    snprintf(read_only, sizeof read_only, "%s/precious.data", dir);
    write_text(owned, "old\n");
    write_text(read_only, "keep\n");
    assert_int_equal(chmod(read_only, 0444), 0);
    const uid_t nobody = 65534;
    if (getuid() == 0) {
        assert_int_equal(chown(dir, nobody, nobody), 0);
        assert_int_equal(chown(owned, nobody, nobody), 0);
        assert_int_equal(chmod(owned, 0600), 0);
        assert_int_equal(chown(read_only, nobody, nobody), 0);
        assert_int_equal(replace_as_this_user(owned), 0); /* root replaces it: still nobody's */
        struct stat st;
        assert_int_equal(stat(owned, &st), 0);
        assert_int_equal(st.st_uid, nobody);
        assert_int_equal(st.st_gid, nobody);
        assert_int_equal(st.st_mode & 07777, 0600);
        pid_t child = fork(); /* nobody may not write its read-only file */
        assert_true(child >= 0);
        if (child == 0)
            _exit(setgid(nobody) == 0 && setuid(nobody) == 0 ? replace_as_this_user(read_only)
                                                             : 255);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), EACCES);
    } else {
        assert_int_equal(replace_as_this_user(owned), 0);
        struct stat st;
        assert_int_equal(stat(owned, &st), 0);
        assert_int_equal(st.st_uid, getuid());
        assert_int_equal(replace_as_this_user(read_only), EACCES);
    }
    FILE *f = fopen(read_only, "r");
    char line[16] = "";
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "keep\n");
    assert_int_equal(entries(dir), 2); /* no temporary file left */
    unlink(owned);
    unlink(read_only);
    rmdir(dir);
}

/* 0 when writing file fails with EACCES and the message names what must
 * change: `want` ("folder" for the folder, "file" for the file itself). */
static int refused_for(const char *file, const char *folder, const char *want)
{
    AtomicFile a;
    if (atomic_file_open(&a, file)) {
        atomic_file_discard(&a);
        return 1;
    }
    if (errno != EACCES)
        return 2;
    char expected[512];
    if (strcmp(want, "folder") == 0)
        snprintf(expected, sizeof expected, "its folder %s is not writable (%s)", folder,
                 strerror(EACCES));
    else if (strcmp(want, "closed") == 0)
        snprintf(expected, sizeof expected, "its folder %s cannot be reached (%s)", folder,
                 strerror(EACCES));
    else
        snprintf(expected, sizeof expected, "%s", strerror(EACCES));
    return strcmp(atomic_file_strerror(file, EACCES), expected) == 0 ? 0 : 3;
}

/* A file refused because its folder is read-only is said to be the
 * folder's doing (it was "Permission denied", as if the file were read-only);
 * a read-only file, or another error, is said as strerror says it. */
static void read_only_folder_named(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-rofolder-XXXXXX", writable[256], fresh[256], read_only[256];
    char closed[256], open_inside[300], beyond[340];
    assert_non_null(mkdtemp(dir));
    /* a writable folder inside one closed to this user: the closed one said */
    snprintf(closed, sizeof closed, "%s/closed", dir);
    snprintf(open_inside, sizeof open_inside, "%s/open", closed);
    snprintf(beyond, sizeof beyond, "%s/x.csv", open_inside);
    assert_int_equal(mkdir(closed, 0700), 0);
    assert_int_equal(mkdir(open_inside, 0777), 0);
    assert_int_equal(chmod(open_inside, 0777), 0);
    if (getuid() != 0)
        assert_int_equal(chmod(closed, 0), 0); /* root's 0700 closes it to nobody */
    snprintf(writable, sizeof writable, "%s/writable.csv", dir);
    snprintf(fresh, sizeof fresh, "%s/new.csv", dir);
    snprintf(read_only, sizeof read_only, "%s/read-only.csv", dir);
    write_text(writable, "old\n");
    write_text(read_only, "old\n");
    assert_int_equal(chmod(writable, 0666), 0);
    assert_int_equal(chmod(read_only, 0444), 0);
    assert_int_equal(chmod(dir, 0555), 0);
    assert_string_equal(atomic_file_strerror(fresh, ENOSPC), strerror(ENOSPC));
    pid_t child = fork(); /* as nobody when root, who may write anything */
    assert_true(child >= 0);
    if (child == 0) {
        const uid_t nobody = 65534;
        if (getuid() == 0 && (setgid(nobody) != 0 || setuid(nobody) != 0))
            _exit(255);
        int rc = refused_for(writable, dir, "folder");
        if (rc == 0)
            rc = refused_for(fresh, dir, "folder");
        if (rc == 0)
            rc = refused_for(read_only, dir, "file");
        if (rc == 0)
            rc = refused_for(beyond, open_inside, "closed") ? 4 : 0;
        _exit(rc);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(chmod(closed, 0700), 0);
    rmdir(open_inside);
    rmdir(closed);
    unlink(writable);
    unlink(read_only);
    rmdir(dir);
}

/* Another user's writable file in a sticky folder (/tmp, a shared drop
 * folder): the rename over it would fail after all the work, so opening it
 * is refused at once, and said so (only as root can the test make another
 * user's file: it runs the open as nobody). */
static void sticky_folder_refused_at_open(void **state)
{
    (void)state;
    if (getuid() != 0)
        skip();
    char dir[] = "/tmp/filmseg-sticky-XXXXXX", file[256];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 01777), 0);
    snprintf(file, sizeof file, "%s/shared.csv", dir);
    write_text(file, "root's\n");
    assert_int_equal(chmod(file, 0666), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(255);
        AtomicFile a;
        if (atomic_file_open(&a, file))
            _exit(1);
        if (errno != EPERM)
            _exit(2);
        _exit(strstr(atomic_file_strerror(file, EPERM), "its folder is sticky") ? 0 : 3);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(entries(dir), 1); /* no temporary file left */
    unlink(file);
    rmdir(dir);
}

static void signal_removes_temporary(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-signal-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/big.csv", dir);
    const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (int i = 0; i < 4; i++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            AtomicFile a;
            if (!atomic_file_open(&a, path))
                _exit(3);
            fputs("half", a.f);
            fflush(a.f);
            raise(signals[i]);
            _exit(4); /* not reached when the signal ends the child */
        }
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), signals[i]);
        assert_int_equal(entries(dir), 0);
    }
    rmdir(dir);
}

/* Two files written all or none: finished (written, synced, closed), then
 * committed together (signals held back meanwhile); a finished file
 * discarded instead leaves the earlier one. */
static void finish_then_commit(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-atomic-XXXXXX", a_path[256], b_path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(a_path, sizeof a_path, "%s/a.txt", dir);
    snprintf(b_path, sizeof b_path, "%s/b.txt", dir);
    AtomicFile a, b;
    assert_true(atomic_file_open(&a, a_path));
    assert_true(atomic_file_open(&b, b_path));
    fputs("a\n", a.f);
    fputs("b\n", b.f);
    assert_true(atomic_file_finish(&a));
    assert_true(atomic_file_finish(&b));
    assert_true(atomic_file_finish(&a)); /* again: nothing more to do */
    assert_null(a.f);
    assert_int_equal(access(a_path, F_OK), -1); /* not in place before the commits */
    assert_int_equal(entries(dir), 2);
    AtomicFile *const both[] = {&a, &b};
    assert_int_equal(atomic_file_commit_all(both, 2), 2);
    sigset_t mask; /* the signals held back meanwhile are let through again */
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    assert_false(sigismember(&mask, SIGTERM));
    char *text = file_text(a_path);
    assert_string_equal(text, "a\n");
    free(text);
    text = file_text(b_path);
    assert_string_equal(text, "b\n");
    free(text);
    assert_int_equal(entries(dir), 2);

    assert_true(atomic_file_open(&a, a_path));
    fputs("never in place\n", a.f);
    assert_true(atomic_file_finish(&a));
    assert_int_equal(entries(dir), 3);
    atomic_file_discard(&a);
    assert_int_equal(entries(dir), 2);
    text = file_text(a_path);
    assert_string_equal(text, "a\n");
    free(text);
    assert_false(atomic_file_commit(&a));                 /* discarded: nothing to commit */
    assert_int_equal(atomic_file_commit_all(both, 2), 0); /* the first fails: none placed */

    /* a write error shows at the finish, which removes the temporary file */
    assert_true(atomic_file_open(&a, a_path));
    fputs("x", a.f);
    fclose(a.f); /* what a failed write leaves: a stream that cannot flush */
    a.f = fopen("/dev/full", "w");
    assert_non_null(a.f);
    for (int i = 0; i < 10000; i++)
        fputs("more than a buffer holds ", a.f);
    assert_false(atomic_file_finish(&a));
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(entries(dir), 2);
    unlink(a_path);
    unlink(b_path);
    assert_int_equal(rmdir(dir), 0);
}

/* A file whose permissions the new one cannot be given (chmod refused) is
 * not replaced: a private 0600 one would come back 0644; one whose
 * permissions the new file has already (0644 under the umask 022) is. */
static void permissions_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/filmseg-chmod-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.txt", dir);
    write_text(path, "old\n");
    assert_int_equal(chmod(path, 0600), 0);
    mode_t mask = umask(022);
    chmod_refused = true;
    AtomicFile a;
    assert_false(atomic_file_open(&a, path));
    assert_non_null(strstr(atomic_file_strerror(path, errno), "permissions"));
    char *text = file_text(path);
    assert_string_equal(text, "old\n");
    free(text);
    assert_int_equal(entries(dir), 1); /* no temporary file left */
    chmod_refused = false;
    assert_int_equal(chmod(path, 0644), 0);
    chmod_refused = true;
    assert_true(atomic_file_open(&a, path));
    assert_true(fputs("new\n", a.f) >= 0);
    assert_true(atomic_file_commit(&a));
    chmod_refused = false;
    umask(mask);
    text = file_text(path);
    assert_string_equal(text, "new\n");
    free(text);
    assert_int_equal(mode_of(path) & 0777, 0644);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_discard_and_failure),
        cmocka_unit_test(finish_then_commit),
        cmocka_unit_test(probe),
        cmocka_unit_test(links_and_permissions),
        cmocka_unit_test(permissions_refused),
        cmocka_unit_test(owner_kept_and_read_only_refused),
        cmocka_unit_test(read_only_folder_named),
        cmocka_unit_test(sticky_folder_refused_at_open),
        cmocka_unit_test(signal_removes_temporary),
        cmocka_unit_test(devices_and_pipes_are_written_to),
        cmocka_unit_test(stamps_tell_a_file_changed_since),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
