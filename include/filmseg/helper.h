/* helper.h: a helper thread that runs one job per call of helper_run, in step
 * with the caller: the caller hands it a job, does its own share, and waits
 * for the helper's. For work split in two fixed halves many times a second
 * (a mini-batch's), where a pool's wake-ups would cost more than the work:
 * handing a job over and waiting for it spin for a short while first, then
 * sleep on a condition variable. */
#ifndef FILMSEG_HELPER_H
#define FILMSEG_HELPER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct Helper {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_uint posted, finished; /* job counters */
    bool running, quit;
    bool paused; /* helper_run runs both jobs on the caller's thread */
    void (*job)(void *arg);
    void *arg;
} Helper;

/* Starts the thread; false (h not running) when it cannot. */
bool helper_start(Helper *h);

/* Runs job(arg) on the helper while the caller runs mine(mine_arg), and
 * returns when both are done; without a running helper (or paused), runs
 * both here, mine first. */
void helper_run(Helper *h, void (*job)(void *), void *arg, void (*mine)(void *), void *mine_arg);

/* Stops and joins the thread (nothing when it is not running). */
void helper_stop(Helper *h);

#endif
