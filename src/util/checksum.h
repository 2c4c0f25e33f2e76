/*
 * checksum.h -- xxhash, the checksum of every block, record and file in Strata.
 *
 * xxh3-64 for records and bloom-filter hashing, xxh3-128 for blocks and whole files.
 * Natively this links the system libxxhash; the wasm builds inline the same header.
 */
#ifndef STRATA_UTIL_CHECKSUM_H
#define STRATA_UTIL_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

typedef struct checksum128 {
  uint64_t low;
  uint64_t high;
} checksum128;

uint64_t checksum64(const void *data, size_t len);
uint64_t checksum64_seeded(const void *data, size_t len, uint64_t seed);
checksum128 checksum128_of(const void *data, size_t len);

static inline int checksum128_equal(checksum128 a, checksum128 b) {
  return a.low == b.low && a.high == b.high;
}

/* Streaming xxh3-128 for checksums of whole files written in pieces. */
typedef struct checksum128_stream checksum128_stream;
checksum128_stream *checksum128_stream_new(void); /* NULL when out of memory */
void checksum128_stream_update(checksum128_stream *s, const void *data, size_t len);
checksum128 checksum128_stream_digest(const checksum128_stream *s);
void checksum128_stream_free(checksum128_stream *s);

#endif
