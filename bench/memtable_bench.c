/* memtable_bench: insert, point lookup and scan cost of the memtable, in ns per operation.
 * Not a test; build with -DSTRATA_BENCH=ON and run build/<dir>/memtable_bench [entries] [value_len].
 *
 * The keys are db_bench's (bench/workload.h: decimal 2*i, 16 digits) inserted in the random order
 * of its permutation, values of value_len bytes (default 100, the workload's); so with the
 * defaults (N = 450,000, 100-byte values: about the 64 MiB of a full memtable) the insert loop is
 * what fillrandom's memtable does between two flushes. Prints wall and CPU time per insert. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memtable/memtable.h"
#include "workload.h"

static double now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int fail(strata_status *st) {
  fprintf(stderr, "memtable_bench: %s\n", strata_status_message(st));
  strata_status_free(st);
  return 1;
}

/* Out of line, so `valgrind --tool=callgrind --toggle-collect=insert_all` profiles the inserts. */
__attribute__((noinline)) static strata_status *insert_all(memtable *mt, const uint32_t *perm, size_t n,
                                                           const uint8_t *pool, size_t value_len) {
  uint8_t value[4096];
  for (size_t i = 0; i < n; i++) {
    char key[WL_KEY_LEN];
    wl_key(key, perm[i]);
    wl_value_len(pool, perm[i], value_len, value);
    /* as the database does before each write: reserve, then insert */
    strata_status *st = memtable_reserve(mt, memtable_entry_bound(WL_KEY_LEN, value_len));
    if (st) return st;
    st = memtable_insert(mt, slice_make(key, WL_KEY_LEN), i + 1, VALUE_TYPE_VALUE,
                                        slice_make(value, value_len));
    if (st) return st;
  }
  return NULL;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 450000;
  size_t value_len = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : WL_VALUE_LEN;
  if (n == 0 || n > UINT32_MAX || value_len > 4096) {
    fprintf(stderr, "usage: memtable_bench [entries 1..2^32-1] [value_len 0..4096]\n");
    return 2;
  }
  uint8_t *pool = malloc(WL_POOL_SIZE);
  uint32_t *perm = wl_permutation((uint32_t)n);
  if (!pool || !perm) return 1;
  wl_pool_fill(pool);

  memtable *mt;
  strata_status *st = memtable_new(&mt);
  if (st) return fail(st);
  double t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  st = insert_all(mt, perm, n, pool, value_len);
  if (st) return fail(st);
  double t1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  size_t hits = 0;
  wl_rng r = wl_rng_make(WL_SEED_READ);
  for (size_t i = 0; i < n; i++) {
    char key[WL_KEY_LEN];
    wl_key(key, wl_next(&r) % n);
    int found;
    memtable_get(mt, slice_make(key, WL_KEY_LEN), SEQNO_READ_ALL, &found, NULL, NULL);
    hits += (size_t)found;
  }
  double t2 = now_ns(CLOCK_MONOTONIC), c2 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  kv_iterator *it;
  st = memtable_iterator_new(mt, NULL, &it);
  if (st) return fail(st);
  size_t scanned = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) scanned++;
  double t3 = now_ns(CLOCK_MONOTONIC);
  size_t back = 0;
  size_t back_n = n < 100000 ? n : 100000; /* prev searches from the head: sample it */
  for (kv_iterator_seek_last(it); kv_iterator_valid(it) && back < back_n; kv_iterator_prev(it)) back++;
  double t4 = now_ns(CLOCK_MONOTONIC);
  kv_iterator_destroy(it);

  printf("entries %zu (db_bench keys in random order, %zu-byte values)\n", n, value_len);
  printf("insert   %8.1f ns/op  (cpu %.1f ns/op)\n", (t1 - t0) / (double)n, (c1 - c0) / (double)n);
  printf("get      %8.1f ns/op  (cpu %.1f ns/op, %zu hits)\n", (t2 - t1) / (double)n, (c2 - c1) / (double)n, hits);
  printf("next     %8.1f ns/entry (%zu)\n", (t3 - t2) / (double)scanned, scanned);
  printf("prev     %8.1f ns/entry (%zu)\n", (t4 - t3) / (double)(back ? back : 1), back);
  printf("size     %llu bytes approximate, %llu bytes arena\n",
         (unsigned long long)memtable_approximate_size(mt), (unsigned long long)memtable_memory_usage(mt));
  if (getenv("MB_SMAPS")) { char cmd[96]; snprintf(cmd, sizeof cmd, "grep -E 'AnonHuge|Rss' /proc/%d/smaps_rollup", (int)getpid()); if (system(cmd)) {} }
  memtable_unref(mt);
  free(perm);
  free(pool);
  return hits == n && scanned == n ? 0 : 1;
}
