/* test_bench_workload: the benchmark generator (bench/workload.c) against WORKLOAD.md's check
 * values, so every build (native, wasm, WASI) proves it generates the same data. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "workload.h"

static void permutation_matches_the_check_values(void) {
  uint32_t *p = wl_permutation(1000);
  CHECK(p != NULL);
  static const uint32_t want[5] = {140, 702, 701, 323, 529};
  int ok = 1;
  for (int i = 0; i < 5; i++) ok &= p[i] == want[i];
  char key[WL_KEY_LEN];
  wl_key(key, p[0]);
  free(p);
  CHECK(ok);
  CHECK(memcmp(key, "0000000000000280", WL_KEY_LEN) == 0);
}

static void permutation_is_a_permutation(void) {
  uint32_t n = 10007;
  uint32_t *p = wl_permutation(n);
  CHECK(p != NULL);
  uint8_t *seen = calloc(n, 1);
  uint32_t dup = 0;
  for (uint32_t i = 0; i < n; i++) dup += p[i] >= n || seen[p[i]]++;
  free(seen);
  free(p);
  CHECK_EQ_U64(dup, 0);
}

static void keys_sort_like_their_indexes(void) {
  char a[WL_KEY_LEN], b[WL_KEY_LEN], miss[WL_KEY_LEN];
  wl_key(a, 41);
  wl_key(b, 42);
  wl_absent_key(miss, 41);
  CHECK(memcmp(a, "0000000000000082", WL_KEY_LEN) == 0);
  CHECK(memcmp(miss, "0000000000000083", WL_KEY_LEN) == 0);
  CHECK(memcmp(a, miss, WL_KEY_LEN) < 0 && memcmp(miss, b, WL_KEY_LEN) < 0);
  wl_key(a, 999999);
  CHECK(memcmp(a, "0000000001999998", WL_KEY_LEN) == 0);
}

static void value_pool_and_values_match_the_check_values(void) {
  uint8_t *pool = malloc(WL_POOL_SIZE);
  CHECK(pool != NULL);
  wl_pool_fill(pool);
  uint64_t h = wl_fnv1a64(pool, WL_POOL_SIZE);
  uint8_t v[WL_VALUE_LEN];
  wl_value(pool, 123457, v);
  free(pool);
  CHECK_EQ_U64(h, WL_POOL_FNV1A64);
  static const uint8_t want[4] = {0xe3, 0x72, 0xb3, 0xaf};
  CHECK(memcmp(v, want, 4) == 0);
  for (int i = 50; i < WL_VALUE_LEN; i++) CHECK(v[i] == 0);
}

/* The --values variant follows the same rule: at 100 bytes it is WORKLOAD.md's value. */
static void sized_values_at_100_bytes_are_the_workload_values(void) {
  uint8_t *pool = malloc(WL_POOL_SIZE);
  CHECK(pool != NULL);
  wl_pool_fill(pool);
  int same = 1;
  uint8_t a[WL_VALUE_LEN], b[WL_VALUE_LEN], big[4096];
  for (uint64_t i = 0; i < 100000; i += 997) {
    wl_value(pool, i, a);
    wl_value_len(pool, i, WL_VALUE_LEN, b);
    same &= memcmp(a, b, WL_VALUE_LEN) == 0;
  }
  wl_value_len(pool, 7, sizeof big, big);
  int zeros = 1;
  for (size_t i = 2048; i < sizeof big; i++) zeros &= big[i] == 0;
  int pooled = memcmp(big, pool + 7 * 2048, 2048) == 0;
  free(pool);
  CHECK(same);
  CHECK(zeros && pooled);
}

static void fnv1a64_matches_the_reference_vector(void) {
  CHECK_EQ_U64(wl_fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  CHECK_EQ_U64(wl_fnv1a64("", 0), 0xcbf29ce484222325ull);
}

static void self_test_passes(void) { CHECK_EQ_U64(wl_self_test(stdout), 0); }

int main(void) {
  RUN(permutation_matches_the_check_values);
  RUN(permutation_is_a_permutation);
  RUN(keys_sort_like_their_indexes);
  RUN(value_pool_and_values_match_the_check_values);
  RUN(sized_values_at_100_bytes_are_the_workload_values);
  RUN(fnv1a64_matches_the_reference_vector);
  RUN(self_test_passes);
  return harness_finish();
}
