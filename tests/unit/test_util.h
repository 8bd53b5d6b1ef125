/* test_util.h: helpers the unit tests share: cmocka's headers, loading a
 * panel from strings, capturing diagnostics, the shared data folder. */
#ifndef FILMSEG_TEST_UTIL_H
#define FILMSEG_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filmseg/autoencoder.h"
#include "filmseg/panel.h"
#include "filmseg/text.h"

#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Diagnostics written to memory so that tests can read them. */
typedef struct {
    Diag diag;
    char *text;
    size_t len;
    FILE *stream;
} CapturedDiag;

static inline void captured_diag_init(CapturedDiag *c, bool strict)
{
    c->text = NULL;
    c->len = 0;
    c->stream = open_memstream(&c->text, &c->len);
    diag_init(&c->diag, c->stream, strict);
}

/* The messages so far (valid until the next call or free). */
static inline const char *captured_diag_text(CapturedDiag *c)
{
    fflush(c->stream);
    return c->text ? c->text : "";
}

static inline void captured_diag_free(CapturedDiag *c)
{
    fclose(c->stream);
    free(c->text);
}

/* Loads an ml-100k panel from three strings with every user kept (no sample
 * rules) unless rules is given. Returns the loader's status. */
static inline int load_ml100k_strings(const char *users, const char *items, const char *ratings,
                                      const SampleRules *rules, CapturedDiag *diag, Panel **out)
{
    PanelFile files[3] = {
        {"u.user", "t/u.user", users, strlen(users)},
        {"u.item", "t/u.item", items, strlen(items)},
        {"u.data", "t/u.data", ratings, strlen(ratings)},
    };
    PanelOptions options;
    panel_options_default(&options);
    options.strict = diag->diag.strict;
    if (rules)
        options.rules = *rules;
    else {
        options.rules.keep_unknown_state = true;
        options.rules.n_exclude = 0;
    }
    return panel_load_files(PANEL_ML100K, files, 3, NULL, &options, &diag->diag, out);
}

static inline const char *shared_dir(void)
{
    const char *s = getenv("SHARED");
    return s && *s ? s : "../shared";
}

/* ../shared's MovieLens 100K with the default sample rules, or NULL when it
 * is not there (the caller skips). */
static inline Panel *shared_ml100k_panel(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/ml-100k", shared_dir());
    PanelOptions o;
    panel_options_default(&o);
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    if (panel_load_dir(dir, &o, &c.diag, &p) != 0)
        p = NULL;
    captured_diag_free(&c);
    return p;
}

/* The file's text, or NULL when it cannot be read (free it). */
static inline char *file_text(const char *path)
{
    char *buf = NULL;
    size_t len;
    return text_read_file(path, &buf, &len) == 0 ? buf : NULL;
}

/* The 19 genre flags of a u.item line, all 0. */
#define NO_GENRES "|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0"
/* A u.item line for film `id` with a title and no genres. */
#define ITEM(id, title) #id "|" title "|01-Jan-1995||http://x" NO_GENRES "\n"

/* The ml-100k panel of three strings, which must load (every user kept). */
static inline Panel *ml100k_panel_of(const char *users, const char *items, const char *ratings)
{
    CapturedDiag c;
    captured_diag_init(&c, false);
    Panel *p = NULL;
    assert_int_equal(load_ml100k_strings(users, items, ratings, NULL, &c, &p), 0);
    captured_diag_free(&c);
    return p;
}

/* Five users and three films: film 10 rated 5, 5, 4 by users 1, 2, 3; film 5
 * rated 5, 5, 1 by users 1, 2, 5; film 7 rated 5, 4 by users 3, 4. The films
 * are items (u.item lines for films 10, 5 and 7). */
static inline Panel *three_film_panel_of(const char *items)
{
    const char *users = "1|20|M|writer|10027\n2|31|F|student|60614\n3|40|M|student|10027\n"
                        "4|17|F|writer|60614\n5|60|M|artist|02139\n";
    const char *ratings = "1\t10\t5\t1\n2\t10\t5\t1\n3\t10\t4\t1\n1\t5\t5\t1\n2\t5\t5\t1\n"
                          "5\t5\t1\t1\n3\t7\t5\t1\n4\t7\t4\t1\n";
    return ml100k_panel_of(users, items, ratings);
}

/* The three-film panel with titles Ten, Five and Seven and no genres. */
static inline Panel *three_film_panel(void)
{
    return three_film_panel_of(ITEM(10, "Ten (1990)") ITEM(5, "Five (1990)")
                                   ITEM(7, "Seven (1991)"));
}

/* A small deterministic pseudo-random value in [0, 1). */
static inline double wiggle(size_t i, size_t salt)
{
    double v = sin((double)(i * 7919 + salt * 104729) * 0.618034) * 43758.5453;
    return v - floor(v);
}

/* Sparse rows for the fused row steps' tests: TEST_USERS users with entries
 * in TEST_FILMS films, each user's in increasing order; film 0 has everyone,
 * the last film nobody, the rest about 3 in 10. Values are ratings / 5
 * (ratings) or in [-0.5, 0.5). */
enum { TEST_USERS = 24, TEST_FILMS = 41 };

typedef struct {
    uint32_t row_start[TEST_USERS + 1];
    uint32_t col[TEST_USERS * TEST_FILMS];
    float value[TEST_USERS * TEST_FILMS];
    SparseRows x;
} TestRows;

static inline void test_rows_make(TestRows *p, bool ratings)
{
    size_t n = 0;
    for (size_t u = 0; u < TEST_USERS; u++) {
        p->row_start[u] = (uint32_t)n;
        for (size_t j = 0; j + 1 < TEST_FILMS; j++)
            if (j == 0 || wiggle(u * TEST_FILMS + j, 1) < 0.3) {
                double w = wiggle(u * TEST_FILMS + j, 2);
                p->col[n] = (uint32_t)j;
                p->value[n++] = ratings ? (float)(1 + (int)(w * 5)) / 5.0f : (float)(w - 0.5);
            }
    }
    p->row_start[TEST_USERS] = (uint32_t)n;
    p->x = (SparseRows){TEST_USERS, TEST_FILMS, p->row_start, p->col, p->value};
}

/* Forks with a pipe from the child to the parent: *fd is its write end in
 * the child (fork_with_pipe returns 0 there), its read end in the parent
 * (which gets the child's pid). */
static inline pid_t fork_with_pipe(int *fd)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    close(fds[pid == 0 ? 0 : 1]);
    *fd = fds[pid == 0 ? 1 : 0];
    return pid;
}

/* For a forked child testing what happens when memory runs out: uses up
 * every free byte of the heap, then lets the address space grow by budget
 * bytes more, so that each allocation after it needs some of the budget.
 * False when the address space in use could not be read. Not under ASan,
 * whose allocator stops the program rather than return NULL. */
static inline bool memory_leave_only(size_t budget)
{
    mallopt(M_TOP_PAD, 0); /* the heap grows by what is asked, no more */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    struct rlimit limit;
    getrlimit(RLIMIT_AS, &limit);
    limit.rlim_cur = 0;
    setrlimit(RLIMIT_AS, &limit);
    /* large chunks, then every small size (the per-thread cache keeps a
     * few free chunks of each size for that size alone); a malloc failing
     * in one arena tries another (those of threads gone, which grow inside
     * space they hold already): passes until several in a row get nothing */
    for (int idle = 0; idle < 8;) {
        bool got = false;
        for (size_t chunk = (size_t)1 << 20; chunk > 1024; chunk /= 2)
            while (malloc(chunk))
                got = true;
        for (size_t size = 1024; size >= 8; size -= 8)
            while (malloc(size))
                got = true;
        idle = got ? 0 : idle + 1;
    }
    /* the address space in use now (statm's first field, in pages), read
     * without stdio, which would allocate */
    char statm[64] = {0};
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0 || read(fd, statm, sizeof statm - 1) <= 0)
        return false;
    close(fd);
    limit.rlim_cur = (rlim_t)strtoull(statm, NULL, 10) * (rlim_t)sysconf(_SC_PAGESIZE) + budget;
    return setrlimit(RLIMIT_AS, &limit) == 0;
}

#endif
