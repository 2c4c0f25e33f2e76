/*
 * bloom.h -- blocked bloom filters over 64-bit key hashes, one per table.
 *
 * The caller hashes a user key once (bloom_key_hash = checksum64) and probes every table's
 * filter with that same hash, so a point read costs one hash however many tables it visits.
 * All k probes of a key fall in one 64-byte block: one cache miss per probe of a filter.
 *
 * The serialized form (bloom.c draws its bytes) is untrusted on read: bloom_open() parses and
 * checks it once (a table reader does so when it loads the filter) and bloom_filter_may_contain()
 * probes the result without looking at the header again; bloom_validate() only reports
 * corruption, and bloom_may_contain() on malformed bytes answers "may contain" (never wrong,
 * never out of bounds).
 */
#ifndef STRATA_TABLE_BLOOM_H
#define STRATA_TABLE_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buffer.h"
#include "../util/checksum.h"
#include "../util/slice.h"
#include "../util/status.h"

#define BLOOM_FORMAT_BLOCKED_512 1   /* the only format so far */
#define BLOOM_HEADER_SIZE 16
#define BLOOM_BLOCK_BITS 512
#define BLOOM_BLOCK_BYTES 64
#define BLOOM_MAX_K 30
#define BLOOM_DEFAULT_BITS_PER_KEY 10.0
#define BLOOM_MAX_BITS_PER_KEY STRATA_BLOOM_BITS_MAX

/* The hash every filter is built from and probed with. */
static inline uint64_t bloom_key_hash(slice user_key) {
  return checksum64(user_key.data, user_key.len);
}

/* Optimal probe count for a plain bloom filter: round(bits_per_key * ln 2), in [1, BLOOM_MAX_K]. */
unsigned bloom_optimal_k(double bits_per_key);
/* Bits per key that reach false-positive rate p (0 < p < 1) with the blocked layout. */
double bloom_bits_per_key_for_fp_rate(double fp_rate);

typedef struct bloom_builder bloom_builder;

/* bits_per_key in (0, BLOOM_MAX_BITS_PER_KEY]; anything else is INVALID_ARGUMENT. */
STRATA_MUST_USE strata_status *bloom_builder_new(double bits_per_key, bloom_builder **out);
/* Sized for a target false-positive rate in (0, 1). */
STRATA_MUST_USE strata_status *bloom_builder_new_fp_rate(double fp_rate, bloom_builder **out);
void bloom_builder_free(bloom_builder *b);

/* Adds one key's hash. Repeats of the previous hash (versions of one key) are skipped. */
STRATA_MUST_USE strata_status *bloom_builder_add(bloom_builder *b, uint64_t hash);
size_t bloom_builder_count(const bloom_builder *b); /* hashes kept so far */
/* Appends the serialized filter to out and empties the builder for the next table. */
STRATA_MUST_USE strata_status *bloom_builder_finish(bloom_builder *b, buffer *out);

/* A filter whose header bloom_open() has checked: what a probe needs, pointing into its bytes
 * (valid as long as they are). */
typedef struct bloom_filter {
  const uint8_t *blocks; /* block_count * BLOOM_BLOCK_BYTES bytes */
  uint64_t block_count;  /* < 2^32; 0 for a filter of no keys */
  unsigned k;            /* 1..BLOOM_MAX_K */
} bloom_filter;

/* CORRUPTION when `filter` is not a well-formed filter; *out is then a filter of no keys. */
STRATA_MUST_USE strata_status *bloom_open(slice filter, bloom_filter *out);
/* CORRUPTION when `filter` is not a well-formed filter. */
STRATA_MUST_USE strata_status *bloom_validate(slice filter);

/* Where a hash's probes go (the same on build and read; bloom.c draws the layout). */
static inline uint64_t bloom_block_of(uint64_t hash, uint64_t blocks) { return ((hash >> 32) * blocks) >> 32; }
static inline uint32_t bloom_step_of(uint64_t hash) { return (uint32_t)(hash >> 32) * 0x9E3779B9u; }

/* 0 only when the key whose hash this is was certainly never added to the opened filter. */
static inline int bloom_filter_may_contain(const bloom_filter *f, uint64_t hash) {
  if (f->block_count == 0) return 0;
  const uint8_t *line = f->blocks + bloom_block_of(hash, f->block_count) * BLOOM_BLOCK_BYTES;
  uint32_t a = (uint32_t)hash, step = bloom_step_of(hash);
  for (unsigned i = 0; i < f->k; i++, a += step) {
    uint32_t bit = a >> 23;
    if (!(line[bit >> 3] & (1u << (bit & 7)))) return 0;
  }
  return 1;
}
/* 0 only when the key whose hash this is was certainly never added; 1 on malformed bytes. */
int bloom_may_contain(slice filter, uint64_t hash);

/*
 * Per-level filter policy: bits_per_key[i] applies to level i, the last entry repeats for deeper
 * levels, 0 means no filter. skip_last_level drops the filter of the tree's last level, where
 * most point reads for present keys end anyway (lsm-tree's "expect point read hits").
 */
#define BLOOM_POLICY_MAX_LEVELS 8
typedef struct bloom_policy {
  double bits_per_key[BLOOM_POLICY_MAX_LEVELS];
  unsigned count; /* entries in use; 0 behaves as one entry of BLOOM_DEFAULT_BITS_PER_KEY */
  int skip_last_level;
} bloom_policy;

bloom_policy bloom_policy_default(void); /* 10 bits per key on every level */
/* Bits per key for a table on `level`; 0 = build no filter. */
double bloom_policy_bits_for_level(const bloom_policy *p, unsigned level, int is_last_level);

#endif
