/*
 * buffer.h -- a growable, owned byte array for writers (blocks, records, manifests).
 *
 * Appends report allocation failure through the status; a buffer whose append failed keeps
 * its previous contents, so the caller can still free it.
 */
#ifndef STRATA_UTIL_BUFFER_H
#define STRATA_UTIL_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slice.h"
#include "status.h"

typedef struct buffer {
  uint8_t *data;
  size_t len;
  size_t cap;
  int borrowed; /* data is the caller's memory (buffer_init_borrowed): never freed or reallocated */
} buffer;

/* (init, free and the fitting append are inline: a point read makes several of each, and under
 * WebAssembly each call cost more than the stores) */
static inline void buffer_init(buffer *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->borrowed = 0;
}
/* An empty buffer writing into the caller's cap bytes at mem; growing past them moves it (and
 * what it held) to an allocation of its own, which buffer_free frees; the caller's memory is
 * never freed or reallocated. Lets a reader fill the caller's memory without a copy: after the
 * writes, data == mem when everything fitted. */
static inline void buffer_init_borrowed(buffer *b, void *mem, size_t cap) {
  b->data = mem;
  b->len = 0;
  b->cap = mem ? cap : 0;
  b->borrowed = 1;
}
static inline void buffer_free(buffer *b) {
  if (!b->borrowed) free(b->data);
  buffer_init(b);
}
static inline void buffer_clear(buffer *b) { b->len = 0; }
static inline slice buffer_slice(const buffer *b) { return slice_make(b->data, b->len); }

/* Makes room for `extra` more bytes without changing len. */
STRATA_MUST_USE strata_status *buffer_reserve(buffer *b, size_t extra);
STRATA_MUST_USE strata_status *buffer_append_grow(buffer *b, const void *data, size_t len); /* the rest */
STRATA_MUST_USE static inline strata_status *buffer_append(buffer *b, const void *data, size_t len) {
  if (len == 0) return NULL;
  if (len > b->cap - b->len) return buffer_append_grow(b, data, len);
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return NULL;
}
STRATA_MUST_USE strata_status *buffer_append_byte(buffer *b, uint8_t byte);
STRATA_MUST_USE strata_status *buffer_append_fixed32(buffer *b, uint32_t v);
STRATA_MUST_USE strata_status *buffer_append_fixed64(buffer *b, uint64_t v);
STRATA_MUST_USE strata_status *buffer_append_varint32(buffer *b, uint32_t v);
STRATA_MUST_USE strata_status *buffer_append_varint64(buffer *b, uint64_t v);
/* varint length followed by the bytes */
STRATA_MUST_USE strata_status *buffer_append_prefixed(buffer *b, slice s);

#endif
