/*
 * arena.h -- a bump allocator for the memtable: many small allocations, freed all at once.
 *
 * Memory comes from chunks (ARENA_CHUNK_SIZE by default); an allocation takes the next aligned
 * bytes of the current chunk from its front (arena_alloc) or its back (arena_alloc_back). A request larger than a quarter of a chunk gets a chunk of its own,
 * so a big value neither wastes the rest of the current chunk nor forces huge chunks.
 *
 * Threads: one writer allocates; readers never allocate, they only read memory the writer
 * published (the skiplist's release stores order the writes into arena memory). Only the usage
 * counter is read concurrently, hence atomic.
 */
#ifndef STRATA_MEMTABLE_ARENA_H
#define STRATA_MEMTABLE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"
#include "util/sync.h"

#define ARENA_CHUNK_SIZE ((size_t)64 * 1024)

typedef struct arena_chunk arena_chunk;

typedef struct arena {
  arena_chunk *chunks;     /* every chunk, newest first (writer only) */
  uint8_t *pos;            /* next free byte of the current chunk (writer only) */
  size_t remaining;        /* bytes left after pos (writer only) */
  size_t chunk_size;
  atomic_u64 memory_usage; /* bytes taken from malloc, headers included */
} arena;

/* chunk_size 0 means ARENA_CHUNK_SIZE. Allocates nothing until the first request. */
void arena_init(arena *a, size_t chunk_size);

/* Frees every chunk; the arena may be initialised again. */
void arena_destroy(arena *a);

/* size > 0 bytes aligned to `align` (a power of two). The memory is uninitialised and lives
 * until arena_destroy. NO_MEMORY when malloc fails or the size cannot be represented. */
STRATA_MUST_USE strata_status *arena_alloc(arena *a, size_t size, size_t align, void **out);

/* size > 0 unaligned bytes from the other end of the current chunk: the skiplist keeps its
 * nodes (links and keys, what a search reads) packed from the front and the values from the
 * back, so a search walks a third of the cache lines it would with values in the nodes.
 * Counts against arena_reserve like arena_alloc. */
STRATA_MUST_USE strata_status *arena_alloc_back(arena *a, size_t size, void **out);

/* Makes the next allocations totalling `bytes` (each with its alignment padding counted in) come
 * from the current chunk, so they cannot fail: a new chunk of at least `bytes` when the current
 * one has less room. Lets a caller do everything that can fail before a step that must not. */
STRATA_MUST_USE strata_status *arena_reserve(arena *a, size_t bytes);

/* Bytes the arena holds from the system (safe to call from any thread). */
static inline uint64_t arena_memory_usage(const arena *a) {
  return atomic_u64_load(&a->memory_usage);
}

#endif
