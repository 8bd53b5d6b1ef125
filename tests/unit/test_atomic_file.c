/* test_atomic_file.c: unit tests of writing through a temporary file: a
 * commit replaces the file whole (mode 0644, nothing left behind), a discard
 * leaves an earlier file as it was, and a folder that is not there fails
 * with errno set and the path named; a probe tells a writable path from a
 * folder or a missing one and leaves nothing behind. */
#include "test_util.h"

#include "filmseg/atomic_file.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

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
    assert_int_equal(st.st_mode & 0777, 0644);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_discard_and_failure),
        cmocka_unit_test(probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
