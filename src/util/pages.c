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
#if defined(__linux__) && !defined(__EMSCRIPTEN__) && !defined(__wasi__) && !defined(PAGES_ASAN)
#define PAGES_MMAP 1
#include <sys/mman.h>
#endif

void *pages_resize(void *p, size_t old, size_t bytes) {
#ifdef PAGES_MMAP
  void *q = p ? mremap(p, old, bytes, MREMAP_MAYMOVE) : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return q == MAP_FAILED ? NULL : q;
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
