#define _GNU_SOURCE /* mremap */
#include "pages.h"

#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAGES_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PAGES_ASAN 1
#endif
/* ThreadSanitizer intercepts mmap and munmap but not mremap (google/sanitizers#1099): a range that
 * mremap moves keeps the shadow of whichever thread last used those addresses, and a builder
 * growing there is reported as racing with it. Its builds map and copy instead. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PAGES_NO_MREMAP 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define PAGES_NO_MREMAP 1
#endif
#if !defined(__EMSCRIPTEN__) && !defined(__wasi__) && !defined(PAGES_ASAN)
#define PAGES_MMAP 1
#include <string.h>
#include <sys/mman.h>
#endif

void *pages_resize(void *p, size_t old, size_t bytes) {
#ifdef PAGES_MMAP
#if defined(__linux__) && !defined(PAGES_NO_MREMAP)
  if (p) {
    void *q = mremap(p, old, bytes, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
  }
#endif
  void *q = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (q == MAP_FAILED) return NULL;
  if (p) { /* no mremap: copy and unmap */
    memcpy(q, p, old < bytes ? old : bytes);
    munmap(p, old);
  }
  return q;
#else
  (void)old;
  return realloc(p, bytes);
#endif
}

void pages_free(void *p, size_t bytes) {
#ifdef PAGES_MMAP
  if (p) munmap(p, bytes);
#else
  (void)bytes;
  free(p);
#endif
}
