/* test_helper.c: the helper thread: each helper_run runs both jobs, the
 * helper's on another thread (or both on the caller's when paused or not
 * started), and returns only when both are done; many runs in a row. */
#include <pthread.h>
#include <stdatomic.h>

#include "test_util.h"

#include "filmseg/helper.h"

typedef struct {
    atomic_int count;
    pthread_t ran_on;
} Job;

static void job(void *arg)
{
    Job *j = arg;
    atomic_fetch_add(&j->count, 1);
    j->ran_on = pthread_self();
}

static void test_runs_both_jobs_on_two_threads(void **state)
{
    (void)state;
    Helper h;
    assert_true(helper_start(&h));
    Job mine, theirs;
    atomic_init(&mine.count, 0);
    atomic_init(&theirs.count, 0);
    for (int i = 1; i <= 10000; i++) {
        helper_run(&h, job, &theirs, job, &mine);
        /* both done when helper_run returns */
        assert_int_equal(atomic_load(&mine.count), i);
        assert_int_equal(atomic_load(&theirs.count), i);
    }
    assert_true(pthread_equal(mine.ran_on, pthread_self()));
    assert_false(pthread_equal(theirs.ran_on, pthread_self()));
    h.paused = true; /* both here */
    helper_run(&h, job, &theirs, job, &mine);
    assert_true(pthread_equal(theirs.ran_on, pthread_self()));
    assert_int_equal(atomic_load(&theirs.count), 10001);
    h.paused = false;
    helper_run(&h, job, &theirs, job, &mine);
    assert_false(pthread_equal(theirs.ran_on, pthread_self()));
    helper_stop(&h);
    assert_false(h.running);
    helper_stop(&h); /* again: nothing */
}

static void test_without_a_thread_runs_both_here(void **state)
{
    (void)state;
    Helper h = {0}; /* never started */
    Job mine, theirs;
    atomic_init(&mine.count, 0);
    atomic_init(&theirs.count, 0);
    helper_run(&h, job, &theirs, job, &mine);
    assert_int_equal(atomic_load(&mine.count), 1);
    assert_int_equal(atomic_load(&theirs.count), 1);
    assert_true(pthread_equal(theirs.ran_on, pthread_self()));
    helper_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_both_jobs_on_two_threads),
        cmocka_unit_test(test_without_a_thread_runs_both_here),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
