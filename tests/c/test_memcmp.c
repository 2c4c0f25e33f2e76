/*
 * test_memcmp.c -- memcmp orders bytes as unsigned and stops at the first difference, for every
 * length and every position of the difference, aligned or not. Natively this checks libc's; in
 * the WASI build it checks src/util/wasi_memcmp.c, which replaces wasi-libc's there.
 */
#include <string.h>

#include "harness.h"

static int sign(int v) { return (v > 0) - (v < 0); }

/* The definition, one byte at a time. */
static int reference(const unsigned char *a, const unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

static void memcmp_matches_bytewise_order(void) {
  unsigned char a[80], b[80];
  for (size_t off = 0; off < 8; off++) {
    for (size_t n = 0; n <= 64; n++) {
      for (size_t i = 0; i < n + off; i++) a[i] = b[i] = (unsigned char)(i * 37 + 11);
      volatile size_t len = n; /* a call, not a compile-time comparison */
      CHECK(memcmp(a + off, b + off, len) == 0);
      for (size_t d = 0; d < n; d++) {
        static const unsigned char pairs[][2] = {{0x00, 0x01}, {0x7f, 0x80}, {0x01, 0xff}, {0xfe, 0xff}};
        for (size_t p = 0; p < 4; p++) {
          a[off + d] = pairs[p][0];
          b[off + d] = pairs[p][1];
          if (d + 1 < n) b[off + d + 1] ^= 0x55; /* a later difference must not matter */
          CHECK(sign(memcmp(a + off, b + off, len)) == reference(a + off, b + off, n));
          CHECK(sign(memcmp(b + off, a + off, len)) == reference(b + off, a + off, n));
          CHECK(sign(memcmp(a + off, b + off, len)) == -1);
          if (d + 1 < n) b[off + d + 1] ^= 0x55;
          a[off + d] = b[off + d] = (unsigned char)((off + d) * 37 + 11);
        }
      }
    }
  }
}

int main(void) {
  RUN(memcmp_matches_bytewise_order);
  return harness_finish();
}
