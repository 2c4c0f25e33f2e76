/*
 * peer_strata.c -- Strata as a benchmark peer (bench_phases.h): journal on, no sync per write,
 * LZ4 below level 1, bloom 10 bits/key, 64 MiB block cache and memtable (or the run's --memtable).
 * Tables are read with pread (the default). strata-kv is the same with key-value separation at
 * the default threshold, strata-mmap the same with tables mapped (strata_options_set_map_tables
 * 1); both native only.
 *
 * Without threads (WASI) nothing flushes in the background: the peer runs maintenance steps
 * between writes, as a single-threaded host does (the JS package schedules them after writes), so
 * sealed memtables are flushed during the fills instead of piling up for settle or for the reads.
 */
#include <stdlib.h>

#include "bench_phases.h"
#include "strata.h"

#define CACHE_BYTES (64ull << 20)
#define BLOOM_BITS 10
/* Single-threaded builds: a maintenance step after this many writes, with this output budget
 * (a flush of a 64 MiB memtable is one unit and runs whole). */
#define MAINTAIN_EVERY 1024u
#define MAINTAIN_BUDGET (4ull << 20)

typedef struct st_db {
  strata_db *db;
  uint32_t writes; /* since the last maintenance step */
} st_db;

static void check(strata_status *st, const char *what) {
  if (st) bench_die(what, strata_status_message(st));
}

enum { ST_SEPARATE = 1, ST_MAPPED = 2 }; /* st_open_with's variants */

static void *st_open_with(const char *dir, const bench_config *cfg, unsigned flags) {
  strata_options *o;
  check(strata_options_new(&o), "strata_options_new");
  if (cfg->memtable) check(strata_options_set_memtable_size(o, cfg->memtable), "strata_options_set_memtable_size");
  if (flags & ST_SEPARATE)
    check(strata_options_set_kv_separation(o, STRATA_DEFAULT_KV_THRESHOLD, STRATA_DEFAULT_BLOB_FILE_TARGET_SIZE,
                                           STRATA_COMPRESSION_LZ4, STRATA_DEFAULT_BLOB_STALENESS,
                                           STRATA_DEFAULT_BLOB_AGE_CUTOFF),
          "strata_options_set_kv_separation");
  check(strata_options_set_block_cache_size(o, CACHE_BYTES), "strata_options_set_block_cache_size");
  check(strata_options_set_bloom_bits_per_key(o, BLOOM_BITS), "strata_options_set_bloom_bits_per_key");
  check(strata_options_set_sync(o, 0), "strata_options_set_sync");
  check(strata_options_set_compression(o, STRATA_COMPRESSION_LZ4), "strata_options_set_compression");
  check(strata_options_set_map_tables(o, (flags & ST_MAPPED) != 0), "strata_options_set_map_tables");
  st_db *d = calloc(1, sizeof *d);
  if (!d) bench_die("strata", "out of memory");
  check(strata_open(dir, o, &d->db), "strata_open");
  strata_options_free(o);
  return d;
}
static void *st_open(const char *dir, const bench_config *cfg) { return st_open_with(dir, cfg, 0); }

static void st_close(void *p) {
  st_db *d = p;
  check(strata_close(d->db), "strata_close");
  free(d);
}

static void maintain(st_db *d, uint32_t writes) {
#if STRATA_THREADS
  (void)d;
  (void)writes;
#else
  d->writes += writes;
  if (d->writes < MAINTAIN_EVERY) return;
  d->writes = 0;
  int more = 0;
  check(strata_maintenance_step(d->db, MAINTAIN_BUDGET, &more), "strata_maintenance_step");
#endif
}

static void st_put(void *p, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  st_db *d = p;
  check(strata_put(d->db, k, kl, v, vl, 0), "strata_put");
  maintain(d, 1);
}
static void *st_batch_new(void) {
  strata_batch *b;
  check(strata_batch_new(&b), "strata_batch_new");
  return b;
}
static void st_batch_put(void *b, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  check(strata_batch_put(b, k, kl, v, vl), "strata_batch_put");
}
static void st_batch_write(void *p, void *b) {
  st_db *d = p;
  check(strata_write(d->db, b, 0), "strata_write");
  maintain(d, (uint32_t)strata_batch_count(b));
  strata_batch_clear(b);
}
static void st_batch_free(void *b) { strata_batch_free(b); }
static long st_get(void *p, const char *k, size_t kl, uint8_t *buf, size_t cap) {
  st_db *d = p;
  int found;
  size_t vl;
  check(strata_get_into(d->db, NULL, k, kl, &found, buf, cap, &vl), "strata_get_into");
  return found ? (long)vl : -1;
}
static void st_settle(void *p) {
  st_db *d = p;
  check(strata_flush(d->db), "strata_flush");
  check(strata_compact(d->db, 1), "strata_compact");
}
static void *st_iter_new(void *p) {
  st_db *d = p;
  strata_iterator *it;
  check(strata_iterator_new(d->db, NULL, NULL, &it), "strata_iterator_new");
  return it;
}
static void st_iter_seek(void *it, const char *k, size_t kl) { strata_iterator_seek(it, k, kl); }
static void st_iter_first(void *it) { strata_iterator_seek_first(it); }
static int st_iter_valid(void *it) { return strata_iterator_valid(it); }
static void st_iter_next(void *it) { strata_iterator_next(it); }
static const char *st_iter_key(void *it, size_t *len) { return strata_iterator_key(it, len); }
static const char *st_iter_value(void *it, size_t *len) { return strata_iterator_value(it, len); }
static void st_iter_free(void *it) {
  check(strata_iterator_status(it), "strata iterator");
  strata_iterator_close(it);
}

#if STRATA_THREADS
#define STRATA_DESCRIBE_TARGET "native, background flush thread; "
#else
#define STRATA_DESCRIBE_TARGET "wasm32-wasi under node:wasi, single-threaded, a maintenance step every 1024 writes; "
#endif

/* The variants differ only in name, description and open. */
#define STRATA_PEER_METHODS                                                                           \
  st_close, st_put, st_batch_new, st_batch_put, st_batch_write, st_batch_free, st_get, st_settle,     \
      st_iter_new, st_iter_seek, st_iter_first, st_iter_valid, st_iter_next, st_iter_key, st_iter_value, \
      st_iter_free

const peer_vt bench_peer_strata = {
#ifdef __wasi__
    "strata-wasi", /* the same engine compiled to wasm32-wasi: named apart so tables can compare */
#else
    "strata",
#endif
    "strata (" STRATA_DESCRIBE_TARGET "journal on, no sync per write; LZ4 below L1, bloom 10 bits/key, "
    "64 MiB block cache, 64 MiB memtable; settle = flush + major compaction)",
    st_open, STRATA_PEER_METHODS};

#ifndef __wasi__
static void *st_open_kv(const char *dir, const bench_config *cfg) { return st_open_with(dir, cfg, ST_SEPARATE); }
static void *st_open_mmap(const char *dir, const bench_config *cfg) { return st_open_with(dir, cfg, ST_MAPPED); }

const peer_vt bench_peer_strata_kv = {
    "strata-kv",
    "strata with key-value separation (threshold 1 KiB, 64 MiB blob files, LZ4, GC at 25% stale among the "
    "oldest 25%; otherwise as strata)",
    st_open_kv, STRATA_PEER_METHODS};

const peer_vt bench_peer_strata_mmap = {
    "strata-mmap",
    "strata with tables mapped, not read (map_tables 1: no system call per block-cache miss, the table "
    "pages it touched in its RSS; otherwise as strata)",
    st_open_mmap, STRATA_PEER_METHODS};
#endif
