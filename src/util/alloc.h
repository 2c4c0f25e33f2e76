/*
 * alloc.h -- a zeroed allocation that stays malloc + memset.
 *
 * glibc's calloc never serves a request from the thread cache, so on paths that build objects
 * per call (an iterator stack per seek) it costs several times a malloc. GCC's strlen pass (and
 * LLVM) turn a malloc followed by a memset of the whole block back into calloc; the empty asm
 * hides where the pointer came from, so the memset stays one. (Emscripten's and WASI's
 * allocators have no thread cache: there the compiler may do as it likes.)
 */
#ifndef STRATA_UTIL_ALLOC_H
#define STRATA_UTIL_ALLOC_H

#include <stdlib.h>
#include <string.h>

/* n zero bytes from malloc, or NULL. */
static inline void *alloc_zeroed(size_t n) {
  void *p = malloc(n);
  if (!p) return NULL;
#if defined(__GNUC__) && !defined(__wasm__)
  __asm__("" : "+r"(p));
#endif
  memset(p, 0, n);
  return p;
}

#endif
