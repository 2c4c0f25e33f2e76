/*
 * coding.h -- the byte encodings of every Strata file format.
 *
 * fixed32/fixed64: little-endian, 4 and 8 bytes.
 * varint32/varint64: LEB128, 7 bits per byte, low group first, high bit = "more follows";
 *   at most 5 and 10 bytes. Decoders reject overlong and overflowing encodings.
 *
 * Decoding works on a `reader` cursor over untrusted bytes: every read is bounds-checked and
 * a failure returns a corruption status naming what was being read, never reading past the end.
 */
#ifndef STRATA_UTIL_CODING_H
#define STRATA_UTIL_CODING_H

#include <stddef.h>
#include <stdint.h>

#include "hot.h"
#include "slice.h"
#include "status.h"

#define VARINT32_MAX 5
#define VARINT64_MAX 10

static inline void encode_fixed32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static inline void encode_fixed64(uint8_t *p, uint64_t v) {
  encode_fixed32(p, (uint32_t)v);
  encode_fixed32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t decode_fixed32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t decode_fixed64(const uint8_t *p) {
  return (uint64_t)decode_fixed32(p) | (uint64_t)decode_fixed32(p + 4) << 32;
}

/* Writes v at p (room for VARINT*_MAX bytes); returns the number of bytes written. */
size_t encode_varint32(uint8_t *p, uint32_t v);
size_t encode_varint64(uint8_t *p, uint64_t v);
size_t varint_length(uint64_t v);

/* A cursor over untrusted bytes. `what` names the structure for error messages. */
typedef struct reader {
  const uint8_t *pos;
  const uint8_t *end;
  const char *what;
} reader;

static inline reader reader_make(slice s, const char *what) {
  reader r = {s.data, s.data + s.len, what};
  return r;
}

static inline size_t reader_remaining(const reader *r) {
  return (size_t)(r->end - r->pos);
}

STRATA_MUST_USE strata_status *reader_u8(reader *r, uint8_t *out);
STRATA_MUST_USE strata_status *reader_fixed32(reader *r, uint32_t *out);
STRATA_MUST_USE strata_status *reader_fixed64(reader *r, uint64_t *out);
STRATA_MUST_USE strata_status *reader_varint32(reader *r, uint32_t *out);
STRATA_MUST_USE strata_status *reader_varint64(reader *r, uint64_t *out);
/* A view of the next n bytes (no copy). */
STRATA_MUST_USE strata_status *reader_bytes(reader *r, size_t n, slice *out);
/* A varint64 length followed by that many bytes. */
STRATA_MUST_USE strata_status *reader_prefixed(reader *r, slice *out);

/*
 * Varint decoders for hot loops: return the position after the varint, or NULL if it is
 * truncated, overlong or overflows. Never read at or beyond `end`. The one-byte case (most
 * lengths in a block) is inline, and so is a varint64 of up to 8 bytes (entry trailers); longer
 * encodings go to the checked out-of-line decoder.
 */
const uint8_t *decode_varint32_slow(const uint8_t *p, const uint8_t *end, uint32_t *out);
const uint8_t *decode_varint64_slow(const uint8_t *p, const uint8_t *end, uint64_t *out);

/* The slow decoders write a temporary, never `out` itself: handing the caller's variable to an
 * out-of-line call would keep it in memory on the fast path too (under WebAssembly a store and a
 * load in linear memory per decoded field of every block entry). Like them, `out` is written
 * only on success. */
static inline const uint8_t *decode_varint32(const uint8_t *p, const uint8_t *end, uint32_t *out) {
  if (p < end && *p < 0x80) {
    *out = *p;
    return p + 1;
  }
  uint32_t v;
  const uint8_t *next = decode_varint32_slow(p, end, &v);
  if (next) *out = v;
  return next;
}

/* Bytes 1..n-1 (n <= 8) of a varint whose byte 0 has its high bit set: the position after it
 * when one of them ends it (NULL: overlong), else p itself -- undecided, for the slow decoder. */
static inline const uint8_t *decode_varint64_short(const uint8_t *p, size_t n, uint64_t *out) {
  uint64_t v = p[0] & 0x7f;
  for (size_t i = 1; i < n; i++) {
    uint64_t byte = p[i];
    v |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      if (byte == 0) return NULL; /* overlong */
      *out = v;
      return p + i + 1;
    }
  }
  return p;
}

/* The 7-bit groups of the little-endian bytes of w (high bits ignored), packed: three steps of
 * pairwise merges instead of a loop over the bytes. */
static inline uint64_t varint_gather(uint64_t w) {
  w &= 0x7f7f7f7f7f7f7f7full;
  w = (w & 0x007f007f007f007full) | (w & 0x7f007f007f007f00ull) >> 1;
  w = (w & 0x00003fff00003fffull) | (w & 0x3fff00003fff0000ull) >> 2;
  return (w & 0x000000000fffffffull) | (w & 0x0fffffff00000000ull) >> 4;
}

/* Always inlined: an out-of-line copy (which GCC made of the plain `inline` one) cost a call
 * per trailer of every entry a block search decodes. */
static STRATA_HOT const uint8_t *decode_varint64(const uint8_t *p, const uint8_t *end, uint64_t *out) {
  if (p < end && *p < 0x80) {
    *out = *p;
    return p + 1;
  }
  /* Trailers (seqno << 8 | type) take 2-5 bytes and are followed by the entry's key and value;
   * a varint that ends its buffer (a block handle's size ends an index value) has fewer than 8
   * bytes after it: both are decoded inline. */
  size_t left = p < end ? (size_t)(end - p) : 0;
#if defined(__GNUC__)
  if (left >= 8) { /* one load: the first byte with its high bit clear ends the varint */
    uint64_t w = decode_fixed64(p), stops = ~w & 0x8080808080808080ull;
    if (stops) {
      unsigned last = (unsigned)__builtin_ctzll(stops) >> 3; /* 1..7: byte 0 was handled above */
      if (last < 7) w &= (1ull << (8 * (last + 1))) - 1;
      if ((w >> (8 * last)) == 0) return NULL; /* overlong */
      *out = varint_gather(w);
      return p + last + 1;
    }
  } else
#endif
  if (left > 1) {
    const uint8_t *next = decode_varint64_short(p, left < 8 ? left : 8, out);
    if (next != p) return next;
  }
  uint64_t v;
  const uint8_t *next = decode_varint64_slow(p, end, &v);
  if (next) *out = v;
  return next;
}

#endif
