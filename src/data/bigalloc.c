/* bigalloc.c: large arrays on huge pages; see bigalloc.h. */
#include "filmseg/bigalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

enum { HUGE_PAGE = 2 << 20 };

void *big_alloc(size_t bytes)
{
    if (bytes > SIZE_MAX - HUGE_PAGE)
        return NULL;
    if (bytes < BIG_ALLOC_MIN)
        return malloc(bytes ? bytes : 1);
    size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = aligned_alloc(HUGE_PAGE, size);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p)
        madvise(p, size, MADV_HUGEPAGE); /* only advice: refused, the pages are small */
#endif
    return p;
}

void *big_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t bytes = count * size;
    void *p = big_alloc(bytes);
    if (p && bytes > 0)
        memset(p, 0, bytes);
    return p;
}
