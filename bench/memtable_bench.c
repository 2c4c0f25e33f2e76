/* memtable_bench: insert, point lookup and scan cost of the memtable, in ns per operation.
 * Not a test; build with -DSTRATA_BENCH=ON and run build/<dir>/memtable_bench [entries]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memtable/memtable.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t next_random(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * UINT64_C(2685821657736338717);
}

static int fail(strata_status *st) {
  fprintf(stderr, "memtable_bench: %s\n", strata_status_message(st));
  strata_status_free(st);
  return 1;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
  enum { KEY = 16, VALUE = 16 };
  uint8_t *keys = malloc(n * KEY);
  if (!keys) return 1;
  uint64_t rng = 0x243F6A8885A308D3u;
  for (size_t i = 0; i < n * KEY; i += 8) {
    uint64_t r = next_random(&rng);
    memcpy(keys + i, &r, 8);
  }
  uint8_t value[VALUE];
  memset(value, 'v', sizeof value);

  memtable *mt;
  strata_status *st = memtable_new(&mt);
  if (st) return fail(st);
  double t0 = now_ns();
  for (size_t i = 0; i < n; i++) {
    st = memtable_insert(mt, slice_make(keys + i * KEY, KEY), i + 1, VALUE_TYPE_VALUE, slice_make(value, VALUE));
    if (st) return fail(st);
  }
  double t1 = now_ns();
  size_t hits = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = (size_t)(next_random(&rng) % n);
    int found;
    memtable_get(mt, slice_make(keys + j * KEY, KEY), SEQNO_READ_ALL, &found, NULL, NULL);
    hits += (size_t)found;
  }
  double t2 = now_ns();
  kv_iterator *it;
  st = memtable_iterator_new(mt, &it);
  if (st) return fail(st);
  size_t scanned = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) scanned++;
  double t3 = now_ns();
  size_t back = 0;
  size_t back_n = n < 100000 ? n : 100000; /* prev searches from the head: sample it */
  for (kv_iterator_seek_last(it); kv_iterator_valid(it) && back < back_n; kv_iterator_prev(it)) back++;
  double t4 = now_ns();
  kv_iterator_destroy(it);

  printf("entries %zu (16-byte random keys, 16-byte values)\n", n);
  printf("insert   %8.1f ns/op\n", (t1 - t0) / (double)n);
  printf("get      %8.1f ns/op (%zu hits)\n", (t2 - t1) / (double)n, hits);
  printf("next     %8.1f ns/entry (%zu)\n", (t3 - t2) / (double)scanned, scanned);
  printf("prev     %8.1f ns/entry (%zu)\n", (t4 - t3) / (double)(back ? back : 1), back);
  printf("size     %llu bytes approximate, %llu bytes arena\n",
         (unsigned long long)memtable_approximate_size(mt), (unsigned long long)memtable_memory_usage(mt));
  memtable_unref(mt);
  free(keys);
  return hits == n && scanned == n ? 0 : 1;
}
