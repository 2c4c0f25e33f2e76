/*
 * wasi_memcmp.c -- memcmp for the WASI build only: wasi-libc's is musl's portable loop, one byte
 * per iteration, while every key comparison of the engine (skiplist inserts and seeks, block
 * searches, the iterators' key checks) goes through memcmp, on keys that often share long
 * prefixes (zero-padded numbers, "user/..." paths). Natively libc's memcmp is vectorised; this
 * one compares 8 bytes a step and finds the first differing byte in the differing word. Being
 * in libstrata.a, it is linked before wasi-libc, whose memcmp is then not pulled in.
 */
#if defined(__wasi__)
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v); /* one unaligned i64.load: wasm allows them */
  return v;
}

/* no_builtin: the compiler must not turn these loops back into a call to memcmp */
__attribute__((no_builtin("memcmp"))) int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  while (n >= 8) {
    uint64_t u = load64(x), v = load64(y);
    if (u != v) {
      /* little-endian: the lowest set bit of u ^ v is in the first differing byte */
      unsigned shift = (unsigned)__builtin_ctzll(u ^ v) & ~7u;
      return (int)((u >> shift) & 0xff) - (int)((v >> shift) & 0xff);
    }
    x += 8;
    y += 8;
    n -= 8;
  }
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}
#else
typedef int strata_wasi_memcmp_unused; /* ISO C: a translation unit must not be empty */
#endif
