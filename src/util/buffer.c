#include "buffer.h"

#include <stdlib.h>
#include <string.h>

#include "coding.h"

strata_status *buffer_reserve(buffer *b, size_t extra) {
  if (extra <= b->cap - b->len) return NULL;
  if (extra > SIZE_MAX - b->len) return status_no_memory();
  size_t need = b->len + extra;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (b->borrowed) { /* the caller's memory is too small: continue in an allocation of our own */
    uint8_t *own = malloc(cap);
    if (!own) return status_no_memory();
    if (b->len) memcpy(own, b->data, b->len);
    b->data = own;
    b->cap = cap;
    b->borrowed = 0;
    return NULL;
  }
  uint8_t *grown = realloc(b->data, cap);
  if (!grown) return status_no_memory();
  b->data = grown;
  b->cap = cap;
  return NULL;
}

strata_status *buffer_append_grow(buffer *b, const void *data, size_t len) {
  STATUS_TRY(buffer_reserve(b, len));
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return NULL;
}

strata_status *buffer_append_byte(buffer *b, uint8_t byte) {
  return buffer_append(b, &byte, 1);
}

strata_status *buffer_append_fixed32(buffer *b, uint32_t v) {
  uint8_t tmp[4];
  encode_fixed32(tmp, v);
  return buffer_append(b, tmp, sizeof tmp);
}

strata_status *buffer_append_fixed64(buffer *b, uint64_t v) {
  uint8_t tmp[8];
  encode_fixed64(tmp, v);
  return buffer_append(b, tmp, sizeof tmp);
}

strata_status *buffer_append_varint32(buffer *b, uint32_t v) {
  uint8_t tmp[VARINT32_MAX];
  return buffer_append(b, tmp, encode_varint32(tmp, v));
}

strata_status *buffer_append_varint64(buffer *b, uint64_t v) {
  uint8_t tmp[VARINT64_MAX];
  return buffer_append(b, tmp, encode_varint64(tmp, v));
}

strata_status *buffer_append_prefixed(buffer *b, slice s) {
  STATUS_TRY(buffer_append_varint64(b, s.len));
  return buffer_append(b, s.data, s.len);
}
