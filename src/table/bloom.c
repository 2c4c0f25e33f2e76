/*
 * bloom.c -- blocked bloom filter: build, serialize, probe.
 *
 * Bytes of a filter (little-endian):
 *
 *   +--------+---+--------------+----------------+--------------------------------------+
 *   | format | k | reserved (6) | bit count (8)  | blocks: bit count / 8 bytes          |
 *   +--------+---+--------------+----------------+--------------------------------------+
 *     u8 = 1   u8  zero bytes     fixed64           block j = bytes [64 j, 64 j + 64)
 *
 *   format     1 = blocked bloom with 512-bit blocks (BLOOM_FORMAT_BLOCKED_512)
 *   k          probes per key, 1..30
 *   bit count  a multiple of 512, fewer than 2^32 blocks; 0 for a filter of no keys
 *   bit b of a block is bit (b % 8) of its byte b / 8
 *   the filter is exactly 16 + bit count / 8 bytes long
 *
 * Probing a 64-bit hash h (the same on build and read):
 *   block  = ((h >> 32) * block count) >> 32            (multiply-shift instead of a modulo)
 *   a      = low 32 bits of h,  b = (h >> 32) * 0x9E3779B9 (mod 2^32, an odd remix)
 *   probe i (0 <= i < k) sets/tests bit ((a + i * b) mod 2^32) >> 23 of the block
 * i.e. double hashing h1 + i*h2, taking the top 9 bits of each sum so all 32 bits contribute.
 *
 * Why blocked: a plain filter touches k random cache lines per probe; one 64-byte block costs
 * one. The price is a slightly higher false-positive rate at equal size (keys spread unevenly
 * over blocks), which bloom_bits_per_key_for_fp_rate() compensates for.
 */
#include "bloom.h"

#include <stdlib.h>
#include <string.h>

#include "../util/coding.h"
#include "../util/pages.h"

#define LN2 0.69314718055994530942

struct bloom_builder {
  double bits_per_key;
  uint64_t *hashes;
  size_t count;
  size_t cap;
};

/* Natural logarithm for sizing only (keeps the engine free of libm). x > 0. */
static double bloom_ln(double x) {
  int e = 0;
  while (x >= 2.0) { x /= 2.0; e++; }
  while (x < 1.0) { x *= 2.0; e--; }
  /* ln x = 2 atanh((x-1)/(x+1)), |z| <= 1/3 so the series converges fast */
  double z = (x - 1.0) / (x + 1.0), z2 = z * z, term = z, sum = 0.0;
  for (int n = 1; n < 60; n += 2) {
    sum += term / n;
    term *= z2;
  }
  return 2.0 * sum + e * LN2;
}

unsigned bloom_optimal_k(double bits_per_key) {
  double k = bits_per_key * LN2 + 0.5;
  if (k < 1.0) return 1;
  if (k > BLOOM_MAX_K) return BLOOM_MAX_K;
  return (unsigned)k;
}

double bloom_bits_per_key_for_fp_rate(double fp_rate) {
  /* plain bloom: -ln p / ln^2 2. Blocking costs more the lower the rate (uneven block loads
   * matter more when few bits per block are clear): about 1% extra per bit, fitted to the
   * rates the tests measure over 100k keys at 1% and 0.1%. */
  double plain = -bloom_ln(fp_rate) / (LN2 * LN2);
  double bpk = plain * (1.0 + 0.01 * plain);
  if (bpk > BLOOM_MAX_BITS_PER_KEY) bpk = BLOOM_MAX_BITS_PER_KEY;
  return bpk;
}

strata_status *bloom_builder_new(double bits_per_key, bloom_builder **out) {
  *out = NULL;
  if (!(bits_per_key > 0.0 && bits_per_key <= BLOOM_MAX_BITS_PER_KEY)) {
    return status_new(STRATA_INVALID_ARGUMENT, "bloom filter: bits per key %g outside (0, %g]", bits_per_key,
                      BLOOM_MAX_BITS_PER_KEY);
  }
  bloom_builder *b = calloc(1, sizeof *b);
  if (!b) return status_no_memory();
  b->bits_per_key = bits_per_key;
  *out = b;
  return NULL;
}

strata_status *bloom_builder_new_fp_rate(double fp_rate, bloom_builder **out) {
  *out = NULL;
  if (!(fp_rate > 0.0 && fp_rate < 1.0)) {
    return status_new(STRATA_INVALID_ARGUMENT, "bloom filter: false-positive rate %g outside (0, 1)", fp_rate);
  }
  return bloom_builder_new(bloom_bits_per_key_for_fp_rate(fp_rate), out);
}

void bloom_builder_free(bloom_builder *b) {
  if (!b) return;
  pages_free(b->hashes, b->cap * sizeof *b->hashes);
  free(b);
}

strata_status *bloom_builder_add(bloom_builder *b, uint64_t hash) {
  if (b->count && b->hashes[b->count - 1] == hash) return NULL;
  if (b->count == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 512; /* a page of hashes first: pages_resize maps pages natively */
    uint64_t *grown = pages_resize(b->hashes, b->cap * sizeof *grown, cap * sizeof *grown);
    if (!grown) return status_no_memory();
    b->hashes = grown;
    b->cap = cap;
  }
  b->hashes[b->count++] = hash;
  return NULL;
}

size_t bloom_builder_count(const bloom_builder *b) { return b->count; }

strata_status *bloom_builder_finish(bloom_builder *b, buffer *out) {
  uint64_t blocks = 0;
  if (b->count) {
    double bits = (double)b->count * b->bits_per_key;
    blocks = (uint64_t)(bits / BLOOM_BLOCK_BITS) + 1;
    if (blocks > UINT32_MAX) {
      return status_new(STRATA_INVALID_ARGUMENT, "bloom filter: %zu keys need too many blocks", b->count);
    }
  }
  unsigned k = bloom_optimal_k(b->bits_per_key);
  size_t start = out->len;
  STATUS_TRY(buffer_reserve(out, BLOOM_HEADER_SIZE + (size_t)blocks * BLOOM_BLOCK_BYTES));
  uint8_t *p = out->data + start;
  memset(p, 0, BLOOM_HEADER_SIZE + (size_t)blocks * BLOOM_BLOCK_BYTES);
  p[0] = BLOOM_FORMAT_BLOCKED_512;
  p[1] = (uint8_t)k;
  encode_fixed64(p + 8, blocks * BLOOM_BLOCK_BITS);
  uint8_t *bits = p + BLOOM_HEADER_SIZE;
  for (size_t n = 0; n < b->count; n++) {
    uint64_t h = b->hashes[n];
    uint8_t *block = bits + bloom_block_of(h, blocks) * BLOOM_BLOCK_BYTES;
    uint32_t a = (uint32_t)h, step = bloom_step_of(h);
    for (unsigned i = 0; i < k; i++, a += step) {
      uint32_t bit = a >> 23;
      block[bit >> 3] |= (uint8_t)(1u << (bit & 7));
    }
  }
  out->len = start + BLOOM_HEADER_SIZE + (size_t)blocks * BLOOM_BLOCK_BYTES;
  b->count = 0;
  return NULL;
}

/* Parses the header; 0 when malformed. */
static int bloom_parse(slice filter, unsigned *k, uint64_t *blocks) {
  if (filter.len < BLOOM_HEADER_SIZE) return 0;
  const uint8_t *p = filter.data;
  if (p[0] != BLOOM_FORMAT_BLOCKED_512 || p[1] < 1 || p[1] > BLOOM_MAX_K) return 0;
  for (int i = 2; i < 8; i++) {
    if (p[i]) return 0;
  }
  uint64_t bit_count = decode_fixed64(p + 8);
  if (bit_count % BLOOM_BLOCK_BITS) return 0;
  uint64_t n = bit_count / BLOOM_BLOCK_BITS;
  if (n > UINT32_MAX || n != (filter.len - BLOOM_HEADER_SIZE) / BLOOM_BLOCK_BYTES ||
      (filter.len - BLOOM_HEADER_SIZE) % BLOOM_BLOCK_BYTES) {
    return 0;
  }
  *k = p[1];
  *blocks = n;
  return 1;
}

strata_status *bloom_open(slice filter, bloom_filter *out) {
  unsigned k;
  uint64_t blocks;
  out->blocks = NULL;
  out->block_count = 0;
  out->k = 1;
  if (!bloom_parse(filter, &k, &blocks)) {
    return status_new(STRATA_CORRUPTION, "bloom filter: malformed (%zu bytes, format byte %d)", filter.len,
                      filter.len ? filter.data[0] : -1);
  }
  out->blocks = filter.data + BLOOM_HEADER_SIZE;
  out->block_count = blocks;
  out->k = k;
  return NULL;
}

strata_status *bloom_validate(slice filter) {
  bloom_filter f;
  return bloom_open(filter, &f);
}

int bloom_may_contain(slice filter, uint64_t hash) {
  bloom_filter f;
  unsigned k;
  uint64_t blocks;
  if (!bloom_parse(filter, &k, &blocks)) return 1;
  f.blocks = filter.data + BLOOM_HEADER_SIZE;
  f.block_count = blocks;
  f.k = k;
  return bloom_filter_may_contain(&f, hash);
}

bloom_policy bloom_policy_default(void) {
  bloom_policy p;
  memset(&p, 0, sizeof p);
  p.bits_per_key[0] = BLOOM_DEFAULT_BITS_PER_KEY;
  p.count = 1;
  return p;
}

double bloom_policy_bits_for_level(const bloom_policy *p, unsigned level, int is_last_level) {
  if (p->skip_last_level && is_last_level) return 0.0;
  if (p->count == 0) return BLOOM_DEFAULT_BITS_PER_KEY;
  unsigned n = p->count > BLOOM_POLICY_MAX_LEVELS ? BLOOM_POLICY_MAX_LEVELS : p->count;
  double bpk = p->bits_per_key[level < n ? level : n - 1];
  return bpk > 0.0 ? bpk : 0.0;
}
