/*
 * iter_arena.h -- one region for the objects of an iterator stack.
 *
 * A database iterator is built per seek: the MVCC layer, a merge, a run iterator per run, and
 * per table a two-level iterator, its block loader and two block iterators. Taken from malloc
 * they cost a malloc and a free each (about 130 instructions a pair in glibc, a tenth of a short
 * seek). The public iterator carries a region; the stack is carved from it and goes with it.
 *
 * An object from the region is never freed on its own: its owner frees it with iter_arena_free,
 * which does nothing for it. When the region is full (a stack over many runs, or the tables a
 * long scan moves through, each opening new iterators) or absent (NULL: compaction, tools,
 * tests), objects come from malloc and are freed as before. Single-threaded, like an iterator.
 */
#ifndef STRATA_UTIL_ITER_ARENA_H
#define STRATA_UTIL_ITER_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"

typedef struct iter_arena {
  unsigned char *next, *end; /* the free part: [next, end) */
} iter_arena;

/* The region mem[0, len); mem aligned for any object (malloc'd, or a max_align_t member). */
static inline void iter_arena_init(iter_arena *a, void *mem, size_t len) {
  a->next = mem;
  a->end = a->next + len;
}

/* n zero bytes, from the region when a is set and has room, else from malloc (NULL: out of
 * memory). *in_arena says which, for iter_arena_free. */
static inline void *iter_arena_alloc(iter_arena *a, size_t n, unsigned char *in_arena) {
  size_t rounded = (n + 15) & ~(size_t)15;
  if (a && rounded >= n && rounded <= (size_t)(a->end - a->next)) {
    void *p = a->next;
    a->next += rounded;
    memset(p, 0, n);
    *in_arena = 1;
    return p;
  }
  *in_arena = 0;
  return alloc_zeroed(n);
}

/* Frees what iter_arena_alloc returned, unless the region holds it. */
static inline void iter_arena_free(void *p, unsigned char in_arena) {
  if (!in_arena) free(p);
}

#endif
