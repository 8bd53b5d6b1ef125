/* adam_floor.c: how long filmseg's Adam update alone takes over the study
 * autoencoder's parameters, for make bench. Every exact Adam step reads and
 * writes each parameter and its two moments, so this is a floor under the
 * autoencoder's time whatever its matrix products cost.
 *
 * usage: adam_floor FILMS HIDDEN STEPS
 * Prints the time of STEPS updates of all 2 * FILMS * HIDDEN + FILMS + HIDDEN
 * parameters (no gradient read: the least memory an exact step moves) on one
 * thread, then on two threads at once, each updating its half; with denormals
 * flushed to zero, as the autoencoder trains. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "filmseg/adam.h"
#include "filmseg/clock.h"

typedef struct {
    Adam *adam;
    float *params;
    size_t offset, count;
    long steps;
} Share;

/* The steps on one share; adam_begin_step only once per step of the whole,
 * so a share only updates (the step size is the same to within rounding). */
static void *run_share(void *arg)
{
    Share *s = arg;
    for (long t = 0; t < s->steps; t++)
        adam_update(s->adam, s->params, NULL, s->offset, s->count);
    return NULL;
}

static double timed(Share *shares, int n_shares)
{
    pthread_t threads[2];
    double start = monotonic_seconds();
    for (int i = 1; i < n_shares; i++)
        if (pthread_create(&threads[i], NULL, run_share, &shares[i]) != 0) {
            fprintf(stderr, "adam_floor: cannot start a thread\n");
            exit(1);
        }
    run_share(&shares[0]);
    for (int i = 1; i < n_shares; i++)
        pthread_join(threads[i], NULL);
    return monotonic_seconds() - start;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: adam_floor FILMS HIDDEN STEPS\n");
        return 2;
    }
    size_t films = strtoul(argv[1], NULL, 10), hidden = strtoul(argv[2], NULL, 10);
    long steps = strtol(argv[3], NULL, 10);
    size_t n = 2 * films * hidden + films + hidden;
    _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ, DAZ: the threads inherit them */
    float *params = calloc(n, sizeof *params);
    Adam adam;
    if (!params || adam_init(&adam, n, 1e-3f) != 0) {
        fprintf(stderr, "adam_floor: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) { /* moments as after some training */
        adam.m[i] = 1e-5f * (float)(i % 7);
        adam.v[i] = 1e-9f * (float)(1 + i % 5);
    }
    adam_begin_step(&adam);
    size_t half = n / 2 / 16 * 16; /* whole cache lines each */
    Share one[1] = {{&adam, params, 0, n, steps}};
    Share two[2] = {{&adam, params, 0, half, steps}, {&adam, params, half, n - half, steps}};
    run_share(&(Share){&adam, params, 0, n, 20}); /* warm the caches */
    double t1 = timed(one, 1), t2 = timed(two, 2);
    printf("Adam alone, %zu parameters x %ld steps: %.3fs on 1 thread (%.2f ns per 16), "
           "%.3fs on 2\n",
           n, steps, t1, t1 / (double)steps / ((double)n / 16.0) * 1e9, t2);
    adam_free(&adam);
    free(params);
    return 0;
}
