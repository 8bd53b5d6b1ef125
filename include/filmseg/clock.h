/* clock.h: seconds on the monotonic clock, for timing stages and pacing
 * redraws (not the wall clock: it never jumps when the system time is set).
 * Only differences of two readings mean anything. */
#ifndef FILMSEG_CLOCK_H
#define FILMSEG_CLOCK_H

#include <time.h>

static inline double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
