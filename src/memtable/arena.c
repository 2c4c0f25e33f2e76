#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>

#include "../util/check.h"

struct arena_chunk {
  arena_chunk *next;
  size_t size; /* usable bytes after the header */
  alignas(max_align_t) uint8_t data[];
};

void arena_init(arena *a, size_t chunk_size) {
  a->chunks = NULL;
  a->pos = NULL;
  a->remaining = 0;
  a->chunk_size = chunk_size ? chunk_size : ARENA_CHUNK_SIZE;
  atomic_u64_init(&a->memory_usage, 0);
}

void arena_destroy(arena *a) {
  arena_chunk *c = a->chunks;
  while (c) {
    arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  a->chunks = NULL;
  a->pos = NULL;
  a->remaining = 0;
  atomic_u64_store(&a->memory_usage, 0);
}

static strata_status *arena_new_chunk(arena *a, size_t size, arena_chunk **out) {
  if (size > SIZE_MAX - sizeof(arena_chunk)) {
    return status_new(STRATA_NO_MEMORY, "arena: a chunk of %zu bytes cannot be allocated", size);
  }
  arena_chunk *c = malloc(sizeof *c + size);
  if (!c) return status_no_memory();
  c->size = size;
  c->next = a->chunks;
  a->chunks = c;
  atomic_u64_fetch_add(&a->memory_usage, sizeof *c + size);
  *out = c;
  return NULL;
}

strata_status *arena_reserve(arena *a, size_t bytes) {
  if (a->remaining >= bytes) return NULL;
  arena_chunk *c;
  STATUS_TRY(arena_new_chunk(a, bytes > a->chunk_size ? bytes : a->chunk_size, &c));
  a->pos = c->data;
  a->remaining = c->size;
  return NULL;
}

/* Padding that brings p up to a multiple of align. */
static size_t arena_padding(const uint8_t *p, size_t align) {
  return (size_t)(-(uintptr_t)p & (uintptr_t)(align - 1));
}

strata_status *arena_alloc(arena *a, size_t size, size_t align, void **out) {
  STRATA_ASSERT(size > 0);
  STRATA_ASSERT(align > 0 && (align & (align - 1)) == 0);
  size_t pad = a->remaining ? arena_padding(a->pos, align) : 0;
  if (a->remaining >= pad && a->remaining - pad >= size) {
    *out = a->pos + pad;
    a->pos += pad + size;
    a->remaining -= pad + size;
    return NULL;
  }
  /* The worst-case padding of a chunk start that is only max_align_t aligned. */
  size_t slack = align > alignof(max_align_t) ? align - 1 : 0;
  if (size > SIZE_MAX - slack) {
    return status_new(STRATA_NO_MEMORY, "arena: %zu bytes cannot be allocated", size);
  }
  arena_chunk *c;
  if (size + slack > a->chunk_size / 4) {
    /* Its own chunk; the current chunk stays current for the small allocations to come. */
    STATUS_TRY(arena_new_chunk(a, size + slack, &c));
    *out = c->data + arena_padding(c->data, align);
    return NULL;
  }
  STATUS_TRY(arena_new_chunk(a, a->chunk_size, &c));
  pad = arena_padding(c->data, align);
  *out = c->data + pad;
  a->pos = c->data + pad + size;
  a->remaining = c->size - pad - size;
  return NULL;
}

strata_status *arena_alloc_back(arena *a, size_t size, void **out) {
  STRATA_ASSERT(size > 0);
  if (a->remaining >= size) {
    a->remaining -= size;
    *out = a->pos + a->remaining;
    return NULL;
  }
  arena_chunk *c;
  if (size > a->chunk_size / 4) {
    STATUS_TRY(arena_new_chunk(a, size, &c)); /* its own chunk, as in arena_alloc */
    *out = c->data;
    return NULL;
  }
  STATUS_TRY(arena_new_chunk(a, a->chunk_size, &c));
  a->pos = c->data;
  a->remaining = c->size - size;
  *out = c->data + a->remaining;
  return NULL;
}
