/*
 * table_bench.c -- micro-benchmarks of the table layer (not a test): block encode/decode,
 * table write, point lookups through a block cache, bloom filter probes and scan throughput.
 * Runs on the memory VFS so it measures the engine, not the disk.
 *
 *   table_bench [entries]   (default 200000; 16-byte keys, 100-byte values)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/block_cache.h"
#include "table/block_reader.h"
#include "table/block_writer.h"
#include "table/table_reader.h"
#include "table/table_writer.h"
#include "util/checksum.h"
#include "vfs/vfs.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int check(strata_status *st, const char *what) {
  if (!st) return 0;
  fprintf(stderr, "table_bench: %s: %s\n", what, strata_status_message(st));
  strata_status_free(st);
  return 1;
}

static void make_key(char *buf, uint64_t i) { snprintf(buf, 17, "key%013llu", (unsigned long long)i); }

static void report(const char *name, double secs, double ops, double bytes) {
  printf("%-34s %10.0f ops/s  %8.1f ns/op", name, ops / secs, secs * 1e9 / ops);
  if (bytes > 0) printf("  %8.1f MB/s", bytes / secs / 1e6);
  printf("\n");
}

int main(int argc, char **argv) {
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
  if (n < 1000) n = 1000;
  char key[32], value[100];
  memset(value, 'v', sizeof value);

  /* block encode / decode */
  {
    block_writer bw;
    block_writer_init(&bw, 16, 1);
    int blocks = 20000;
    double t0 = now(), t_dec = 0;
    uint64_t entries = 0, bytes = 0;
    for (int b = 0; b < blocks; b++) {
      block_writer_reset(&bw);
      for (uint64_t i = 0; block_writer_estimated_size(&bw) < 4096; i++) {
        make_key(key, (uint64_t)b * 1000 + i);
        internal_key k = internal_key_make(slice_make(key, 16), 5, VALUE_TYPE_VALUE);
        if (check(block_writer_add(&bw, &k, slice_make(value, 40), checksum64(key, 16)), "block add")) return 1;
        entries++;
      }
      slice raw;
      if (check(block_writer_finish(&bw, &raw), "block finish")) return 1;
      bytes += raw.len;
      double d0 = now();
      uint8_t *copy = malloc(raw.len);
      if (!copy) return 1;
      memcpy(copy, raw.data, raw.len);
      block *blk;
      if (check(block_open(copy, raw.len, "bench", &blk), "block open")) return 1;
      kv_iterator *it;
      block_owner none = {NULL, NULL, NULL};
      if (check(block_iterator_new(blk, none, NULL, &it), "block iterator")) return 1;
      for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) (void)kv_iterator_key(it);
      kv_iterator_destroy(it);
      block_free(blk);
      t_dec += now() - d0;
    }
    double total = now() - t0;
    report("block encode (4 KiB, per entry)", total - t_dec, (double)entries, (double)bytes);
    report("block decode + scan (per entry)", t_dec, (double)entries, (double)bytes);
    block_writer_free(&bw);
  }

  vfs *v;
  if (check(vfs_memory_new(&v), "vfs")) return 1;
  /* write */
  {
    table_writer_options o;
    table_writer_options_default(&o);
    table_writer *w;
    if (check(table_writer_open(v, "bench.sst", &o, &w), "open writer")) return 1;
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
      make_key(key, i * 2);
      internal_key k = internal_key_make(slice_make(key, 16), i + 1, VALUE_TYPE_VALUE);
      if (check(table_writer_add(w, &k, slice_make(value, sizeof value)), "add")) return 1;
    }
    if (check(table_writer_finish(w, NULL, NULL), "finish")) return 1;
    report("table write (per entry)", now() - t0, (double)n, (double)n * 116);
  }
  block_cache *cache;
  if (check(block_cache_new((size_t)64 << 20, 0, &cache), "cache")) return 1;
  table_reader *r;
  if (check(table_reader_open(v, "bench.sst", 1, cache, &r), "open reader")) return 1;
  printf("table: %llu entries, %llu data blocks, %llu bytes\n",
         (unsigned long long)table_reader_meta(r)->entry_count,
         (unsigned long long)table_reader_meta(r)->data_block_count,
         (unsigned long long)table_reader_meta(r)->file_size);
  buffer val;
  buffer_init(&val);
  uint64_t rng = 88172645463325252ull, lookups = 200000;
  /* warm the cache, then measure hits */
  for (int pass = 0; pass < 2; pass++) {
    double t0 = now();
    uint64_t hits = 0;
    for (uint64_t i = 0; i < lookups; i++) {
      rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
      make_key(key, (rng % n) * 2);
      int found;
      internal_key k;
      if (check(table_reader_get(r, slice_make(key, 16), checksum64(key, 16), SEQNO_READ_ALL, &found, &k, &val),
                "get"))
        return 1;
      hits += (uint64_t)found;
    }
    if (hits != lookups) fprintf(stderr, "table_bench: %llu of %llu keys missing\n", (unsigned long long)(lookups - hits), (unsigned long long)lookups);
    if (pass) report("point lookup, cached table", now() - t0, (double)lookups, 0);
  }
  {
    double t0 = now();
    uint64_t maybe = 0;
    for (uint64_t i = 0; i < lookups; i++) {
      make_key(key, i * 2 + 1); /* odd keys were never written */
      int may;
      if (check(table_reader_may_contain(r, slice_make(key, 16), checksum64(key, 16), &may), "filter")) return 1;
      maybe += (uint64_t)may;
    }
    report("filter probe, absent keys (+hash)", now() - t0, (double)lookups, 0);
    printf("%-34s %10.4f\n", "filter false-positive rate", (double)maybe / (double)lookups);
  }
  {
    kv_iterator *it;
    if (check(table_reader_iterator(r, &(table_read_options){.snapshot = SEQNO_READ_ALL, .fill_cache = 1}, &it), "iterator")) return 1;
    double t0 = now();
    uint64_t count = 0;
    for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) count++;
    report("full scan (per entry)", now() - t0, (double)count, (double)count * 116);
    if (check(kv_iterator_status(it), "scan")) return 1;
    kv_iterator_destroy(it);
  }
  block_cache_stats s = block_cache_get_stats(cache);
  printf("cache: %llu hits, %llu misses\n", (unsigned long long)s.hits, (unsigned long long)s.misses);
  buffer_free(&val);
  table_reader_close(r);
  block_cache_free(cache);
  vfs_destroy(v);
  return 0;
}
