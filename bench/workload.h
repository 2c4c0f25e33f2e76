/*
 * workload.h -- the db_bench-style data generator of /work/shared/bench/WORKLOAD.md.
 *
 * Every peer (native C, WASI, Node) must see the same keys, values and orders, so everything here
 * is derived from xorshift32 with fixed seeds; wl_self_test() checks the published check values.
 * No global state: the value pool and permutations are buffers the caller owns.
 */
#ifndef STRATA_BENCH_WORKLOAD_H
#define STRATA_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WL_KEY_LEN 16
#define WL_VALUE_LEN 100
#define WL_POOL_SIZE (1u << 20)

/* FNV-1a 64 of the pool as specified (WORKLOAD.md prints a different value: see workload.c). */
#define WL_POOL_FNV1A64 0x1846d3257d44728cull

#define WL_SEED_POOL 0x9E3779B9u
#define WL_SEED_PERM 0x2545F491u
#define WL_SEED_READ 0x01234567u
#define WL_SEED_MISS 0x07654321u
#define WL_SEED_SEEK 0x0BADC0DEu

typedef struct wl_rng {
  uint32_t x;
} wl_rng;

static inline wl_rng wl_rng_make(uint32_t seed) {
  wl_rng r = {seed};
  return r;
}

/* xorshift32 (Marsaglia): the step the spec names, nothing else. */
static inline uint32_t wl_next(wl_rng *r) {
  uint32_t x = r->x;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  r->x = x;
  return x;
}

/* key(i) = decimal 2*i, zero padded to 16 digits; absent key(j) = 2*j+1 (between two keys). */
void wl_key(char out[WL_KEY_LEN], uint64_t i);
void wl_absent_key(char out[WL_KEY_LEN], uint64_t j);

/* Fills the 1 MiB value pool: byte j = low byte of the j-th output of xorshift32(0x9E3779B9). */
void wl_pool_fill(uint8_t pool[WL_POOL_SIZE]);
/* value(i) = 50 pool bytes at (i*50) mod (2^20-50), then 50 zero bytes. */
void wl_value(const uint8_t *pool, uint64_t i, uint8_t out[WL_VALUE_LEN]);
/* The same rule for a value of `len` bytes (the --values variant): len/2 pool bytes at
 * (i*(len/2)) mod (2^20-len/2), then zeros; wl_value_len(pool, i, 100, out) == wl_value. */
void wl_value_len(const uint8_t *pool, uint64_t i, size_t len, uint8_t *out);

/* Fisher-Yates over 0..n-1 with seed 0x2545F491; malloc'd (NULL when out of memory). */
uint32_t *wl_permutation(uint32_t n);

uint64_t wl_fnv1a64(const void *data, size_t len);

/* Computes the check values, prints them to `out` (may be NULL) and returns the number of
 * mismatches (0 = the generator is right). */
int wl_self_test(FILE *out);

#endif /* STRATA_BENCH_WORKLOAD_H */
