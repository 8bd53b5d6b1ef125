/* arrays.c: checks and fills over flat arrays; see arrays.h. */
#include "filmseg/arrays.h"

#include <math.h>

bool arrays_all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

bool arrays_labels_in_range(const int32_t *labels, size_t n, int k)
{
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= k)
            return false;
    return true;
}

void arrays_fill_uniform(Rng *rng, float *p, size_t n, double bound)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((2.0 * rng_uniform(rng) - 1.0) * bound);
}
