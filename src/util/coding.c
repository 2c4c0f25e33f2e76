#include "coding.h"

#include <stddef.h>

size_t encode_varint32(uint8_t *p, uint32_t v) {
  return encode_varint64(p, v);
}

size_t encode_varint64(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

size_t varint_length(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/*
 * Shared by both widths: max_bytes bounds the length, the top byte's spare bits must be zero.
 * The loop body is branch-light (the checks that only the last byte needs happen once, after
 * it): trailers of 3 to 5 bytes are decoded for every entry a block search visits.
 */
static const uint8_t *decode_varint(const uint8_t *p, const uint8_t *end, unsigned max_bytes, unsigned bits,
                                    uint64_t *out) {
  const uint8_t *limit = (size_t)(end - p) < max_bytes ? end : p + max_bytes;
  const uint8_t *start = p;
  uint64_t v = 0;
  unsigned shift = 0;
  while (p < limit) {
    uint8_t byte = *p++;
    v |= (uint64_t)(byte & 0x7f) << shift;
    if (byte < 0x80) {
      if (byte == 0 && p - start > 1) return NULL;                        /* overlong: a trailing zero group */
      if (p - start == (ptrdiff_t)max_bytes && (byte >> (bits - shift)) != 0) return NULL; /* overflows */
      *out = v;
      return p;
    }
    shift += 7;
  }
  return NULL; /* truncated, or too many continuation bytes */
}

const uint8_t *decode_varint32_slow(const uint8_t *p, const uint8_t *end, uint32_t *out) {
  uint64_t v;
  const uint8_t *next = decode_varint(p, end, VARINT32_MAX, 32, &v);
  if (next) *out = (uint32_t)v;
  return next;
}

const uint8_t *decode_varint64_slow(const uint8_t *p, const uint8_t *end, uint64_t *out) {
  if (end - p < VARINT64_MAX) return decode_varint(p, end, VARINT64_MAX, 64, out);
  /* Ten bytes are readable: no bounds checks inside. Byte 0 has the high bit set (the inline
   * caller handled the one-byte case). */
  uint64_t v = p[0] & 0x7f;
  for (unsigned i = 1; i < VARINT64_MAX; i++) {
    uint64_t byte = p[i];
    v |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      if (byte == 0 || (i == VARINT64_MAX - 1 && byte > 1)) return NULL; /* overlong / overflows */
      *out = v;
      return p + i + 1;
    }
  }
  return NULL;
}

static strata_status *truncated(const reader *r, const char *field) {
  return status_new(STRATA_CORRUPTION, "%s: truncated or malformed %s (%zu bytes left)",
                    r->what ? r->what : "record", field, reader_remaining(r));
}

strata_status *reader_u8(reader *r, uint8_t *out) {
  if (reader_remaining(r) < 1) return truncated(r, "byte");
  *out = *r->pos++;
  return NULL;
}

strata_status *reader_fixed32(reader *r, uint32_t *out) {
  if (reader_remaining(r) < 4) return truncated(r, "fixed32");
  *out = decode_fixed32(r->pos);
  r->pos += 4;
  return NULL;
}

strata_status *reader_fixed64(reader *r, uint64_t *out) {
  if (reader_remaining(r) < 8) return truncated(r, "fixed64");
  *out = decode_fixed64(r->pos);
  r->pos += 8;
  return NULL;
}

strata_status *reader_varint32(reader *r, uint32_t *out) {
  const uint8_t *next = decode_varint32(r->pos, r->end, out);
  if (!next) return truncated(r, "varint32");
  r->pos = next;
  return NULL;
}

strata_status *reader_varint64(reader *r, uint64_t *out) {
  const uint8_t *next = decode_varint64(r->pos, r->end, out);
  if (!next) return truncated(r, "varint64");
  r->pos = next;
  return NULL;
}

strata_status *reader_bytes(reader *r, size_t n, slice *out) {
  if (reader_remaining(r) < n) return truncated(r, "byte string");
  *out = slice_make(r->pos, n);
  r->pos += n;
  return NULL;
}

strata_status *reader_prefixed(reader *r, slice *out) {
  uint64_t n = 0; /* gcc -O2 cannot see through the inlined varint decoder (maybe-uninitialized) */
  STATUS_TRY(reader_varint64(r, &n));
  if (n > reader_remaining(r)) return truncated(r, "length-prefixed bytes");
  return reader_bytes(r, (size_t)n, out);
}
