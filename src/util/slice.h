/*
 * slice.h -- a borrowed view of bytes: pointer + length, never owning, never copied.
 */
#ifndef STRATA_UTIL_SLICE_H
#define STRATA_UTIL_SLICE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct slice {
  const uint8_t *data;
  size_t len;
} slice;

static inline slice slice_make(const void *data, size_t len) {
  slice s = {(const uint8_t *)data, len};
  return s;
}

/* A view of a NUL-terminated string, without the terminator. */
static inline slice slice_from_cstr(const char *s) {
  return slice_make(s, strlen(s));
}

static inline slice slice_empty(void) {
  return slice_make(NULL, 0);
}

/* Unsigned byte order; a proper prefix sorts first. Returns <0, 0, >0. */
static inline int slice_compare(slice a, slice b) {
  size_t n = a.len < b.len ? a.len : b.len;
  const uint8_t *p = a.data, *q = b.data;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* Inline, 8 bytes at a time: keys are short, and most compares (skiplist, block and index
   * searches) end within a few words, where a call to memcmp costs more than the compare. */
  for (; n >= 8; n -= 8, p += 8, q += 8) {
    uint64_t x, y;
    memcpy(&x, p, 8);
    memcpy(&y, q, 8);
    if (x != y) {
      /* the first differing byte is the lowest set byte of x ^ y (little-endian loads); a ctz
       * and a shift, where a byte swap is one instruction natively but ~20 under WebAssembly */
      unsigned sh = (unsigned)__builtin_ctzll(x ^ y) & ~7u;
      return (uint8_t)(x >> sh) < (uint8_t)(y >> sh) ? -1 : 1;
    }
  }
#endif
  for (; n; n--, p++, q++) {
    if (*p != *q) return *p < *q ? -1 : 1;
  }
  return (a.len > b.len) - (a.len < b.len);
}

static inline int slice_equal(slice a, slice b) {
  if (a.len != b.len) return 0;
#if defined(__GNUC__)
  /* inline for short keys (a scan asks once per entry whether the key changed); memcmp beyond */
  if (a.len <= 32) {
    size_t n = a.len;
    const uint8_t *p = a.data, *q = b.data;
    for (; n >= 8; n -= 8, p += 8, q += 8) {
      uint64_t x, y;
      memcpy(&x, p, 8);
      memcpy(&y, q, 8);
      if (x != y) return 0;
    }
    for (; n; n--, p++, q++)
      if (*p != *q) return 0;
    return 1;
  }
#endif
  return memcmp(a.data, b.data, a.len) == 0;
}

static inline int slice_starts_with(slice s, slice prefix) {
  return s.len >= prefix.len && (prefix.len == 0 || memcmp(s.data, prefix.data, prefix.len) == 0);
}

/* memcpy for the short copies of keys: inline word moves up to 64 bytes (under WebAssembly
 * wasi-libc's memcpy is a call into a byte-and-word loop), memcpy beyond. */
static inline void bytes_copy(void *dst, const void *src, size_t n) {
  if (n > 64) {
    memcpy(dst, src, n);
    return;
  }
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  for (; n >= 8; n -= 8, d += 8, s += 8) memcpy(d, s, 8);
  for (; n; n--) *d++ = *s++;
}

/* Drops the first n bytes; n must not exceed s.len. */
static inline slice slice_advance(slice s, size_t n) {
  return slice_make(s.data + n, s.len - n);
}

/* Length of the common prefix of a and b. */
static inline size_t slice_shared_prefix(slice a, slice b) {
  size_t n = a.len < b.len ? a.len : b.len, i = 0;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, a.data + i, 8);
    memcpy(&y, b.data + i, 8);
    if (x != y) return i + (size_t)__builtin_ctzll(x ^ y) / 8;
  }
#endif
  while (i < n && a.data[i] == b.data[i]) i++;
  return i;
}

#endif
