/* blob_handle.c -- encoding and bounds-checked decoding of value handles. */
#include "blob_handle.h"

#include "../util/coding.h"

size_t blob_handle_encode(const blob_handle *h, uint8_t *out) {
  size_t n = encode_varint64(out, h->blob_id);
  n += encode_varint64(out + n, h->offset);
  n += encode_varint64(out + n, h->size);
  n += encode_varint64(out + n, h->raw_size);
  return n;
}

strata_status *blob_handle_append(const blob_handle *h, buffer *out) {
  uint8_t tmp[BLOB_HANDLE_MAX_SIZE];
  return buffer_append(out, tmp, blob_handle_encode(h, tmp));
}

strata_status *blob_handle_decode(slice s, const char *what, blob_handle *out) {
  reader r = reader_make(s, what);
  strata_status *st = reader_varint64(&r, &out->blob_id);
  if (!st) st = reader_varint64(&r, &out->offset);
  if (!st) st = reader_varint64(&r, &out->size);
  if (!st) st = reader_varint64(&r, &out->raw_size);
  if (!st && reader_remaining(&r))
    st = status_new(STRATA_CORRUPTION, "%s: %zu bytes after a value handle", what, reader_remaining(&r));
  if (!st && (out->size < BLOB_RECORD_CHECKSUM_SIZE + 5 || out->offset > UINT64_MAX - out->size))
    st = status_new(STRATA_CORRUPTION, "%s: value handle with record size %llu at %llu", what,
                    (unsigned long long)out->size, (unsigned long long)out->offset);
  return st ? status_wrap(st, "decoding a value handle") : NULL;
}
