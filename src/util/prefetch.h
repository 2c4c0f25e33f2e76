/*
 * prefetch.h -- a hint to start loading memory into the CPU cache before it is read.
 *
 * A point read follows a chain of pointers (cache bucket, handle, block, restart table, entry),
 * each address known only once the line before it has arrived. Where the bytes that will be read
 * next are known to lie together, loading them all at once turns one memory round trip per line
 * into one for all of them.
 */
#ifndef STRATA_UTIL_PREFETCH_H
#define STRATA_UTIL_PREFETCH_H

#include <stddef.h>

#define PREFETCH_LINE 64

/* Starts loading the line holding p, which is never read and need not lie inside an allocation
 * (the skiplist hints a node's possible second line before it knows the node's length): a
 * prefetch instruction natively, nothing under wasm, which has none. */
static inline void prefetch_hint(const void *p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

/* Starts loading [p, p + bytes), which must lie inside one allocation. Natively a prefetch
 * instruction; wasm has none, so there it is a load of each line whose value nothing waits for
 * (hence the in-bounds rule). No data is used either way. */
static inline void prefetch_bytes(const void *p, size_t bytes) {
  const char *c = (const char *)p;
  for (size_t off = 0; off < bytes; off += PREFETCH_LINE) {
#if defined(__wasm__)
    (void)*(const volatile char *)(c + off);
#else
    prefetch_hint(c + off);
#endif
  }
}

#endif
