/*
 * pages.h -- large, short-lived arrays taken from the system, not from malloc's heaps.
 *
 * A table writer's bloom builder keeps every key hash of the table it writes (8 MiB for a
 * million keys), grown by doubling and freed when the table is done. From malloc, once glibc's
 * mmap threshold has risen (it follows the largest mapped chunk freed so far), such arrays come
 * from the heap of whichever background thread writes the table and stay in it after the free:
 * glibc trims neither the top of a thread's heap below its trim threshold nor holes in the
 * middle. Measured at N = 1M, the flush and compaction threads' heaps kept about 7 MiB each,
 * resident through the read phases. The memtable's arena chunks come from here for the same
 * reason. Natively pages are mapped, grown with mremap (Linux) and unmapped; wasm has no unmap
 * (malloc there), AddressSanitizer builds keep malloc for its redzones and the
 * allocation-failure tests, and ThreadSanitizer builds map and copy (it does not follow mremap).
 */
#ifndef STRATA_UTIL_PAGES_H
#define STRATA_UTIL_PAGES_H

#include <stddef.h>

/* p (NULL, or from pages_resize with old bytes) resized to bytes > 0, contents kept up to the
 * smaller size; NULL on failure, p then unchanged. */
void *pages_resize(void *p, size_t old, size_t bytes);
/* Frees p (NULL: nothing) of `bytes`, the size it was last given. */
void pages_free(void *p, size_t bytes);

#endif
