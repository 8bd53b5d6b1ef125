/* bigalloc.h: large arrays on 2 MiB pages where the kernel allows it (Linux
 * transparent huge pages on request: madvise). k-means walks arrays of
 * megabytes at random (its table of seed distances, the silhouette's pair
 * distances, the padded points): on 4 KiB pages each 1024 floats take a TLB
 * entry, and in a virtual machine a TLB miss walks two sets of page tables.
 * The loaders and the model's reader fill megabytes once: in a
 * virtual machine each first touch of a 4 KiB page is a costly fault.
 * Measured on ml-100k: the study-settings sweep 0.126-0.131 s against
 * 0.136-0.142 s (five alternating runs each), the report 43 ms against 77 ms
 * (30 runs each), report --model 69.5 ms against 88 ms. The autoencoder's
 * steps run no faster on them, but its parameters, Adam moments and the
 * study loss's part arrays are first touched on them (about 1,100 faults
 * fewer: the study autoencoder 0.862 s to 0.838 s, medians of 7 alternating
 * runs). Arrays of at least
 * BIG_ALLOC_MIN bytes go on whole 2 MiB pages (the size rounded up: a huge
 * page is backed whole), smaller ones come from malloc. Free either with
 * free(). */
#ifndef FILMSEG_BIGALLOC_H
#define FILMSEG_BIGALLOC_H

#include <stddef.h>

enum { BIG_ALLOC_MIN = 512 << 10 };

/* bytes uninitialised, or NULL when out of memory. */
void *big_alloc(size_t bytes);
/* count * size zeroed bytes, or NULL when out of memory or on overflow. */
void *big_calloc(size_t count, size_t size);

#endif
