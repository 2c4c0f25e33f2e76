/*
 * db_bench.c -- the db_bench-style workloads of WORKLOAD.md against one peer, one repetition.
 *
 *   db_bench --peer strata|strata-kv|rocksdb|rocksdb-blob|leveldb [--n N] [--rep R] [--dir D]
 *            [--values BYTES] [--memtable BYTES] [--self-test]
 *
 * --values: values of BYTES bytes instead of WORKLOAD.md's 100 (half pool bytes, half zeros);
 * --memtable: every peer's write buffer (so a small run still goes through several levels).
 * strata-kv is Strata with key-value separation (default threshold 1 KiB), rocksdb-blob RocksDB
 * with BlobDB (enable_blob_files, min_blob_size 1 KiB, blob GC on). The settle line reports the
 * bytes the process passed to write() from the start of fillrandom to the end of settle
 * (/proc/self/io wchar: journal, flushes, compactions) over the user bytes: write amplification
 * measured the same way for every peer.
 *
 * One process runs one peer once (the driver, bench/run.mjs, starts a process per peer and
 * repetition so that caches, allocators and RSS do not leak between them). Phases, in the spec's
 * order: fillseq, fillbatch, fillrandom, settle, readrandom, readmissing, seekrandom, readseq.
 * Output: one JSON line per phase on stdout, plus "_info" first and "_proc" last.
 *
 * The same file builds natively (peers: strata always; rocksdb/leveldb with STRATA_BENCH_ROCKSDB /
 * STRATA_BENCH_LEVELDB) and for wasm32-wasi (strata only; no /proc, so RSS is reported as null).
 * Every peer runs with its journal on and no sync per write, bloom filters of 10 bits per key and
 * a 64 MiB block cache.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"
#include "workload.h"

#ifdef STRATA_BENCH_ROCKSDB
#include <rocksdb/c.h>
#endif
#ifdef STRATA_BENCH_LEVELDB
#include <leveldb/c.h>
#endif

#define CACHE_BYTES (64ull << 20)
#define BLOOM_BITS 10
#define BATCH_SIZE 1000
#define MISS_READS 100000u
#define SEEKS 100000u
#define SEEK_NEXTS 10

/* ------------------------------------------------------------------------------------------------
 * Helpers: time, fatal errors, folders, RSS
 * ---------------------------------------------------------------------------------------------- */

/* Phases stay functions of their own, so a profile can be limited to one
 * (valgrind --tool=callgrind --toggle-collect=read_random). */
#if defined(__GNUC__)
#define PHASE static __attribute__((noinline))
#else
#define PHASE static
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (every thread: the engines' background work counts), or -1.
 * On a shared machine ops per CPU second varies far less than ops per wall second. */
static double cpu_now(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return -1;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double phase_cpu0 = -1, phase_cpu1 = -1; /* CPU time at the start and end of the timed part */

static double phase_start(void) {
  phase_cpu0 = cpu_now();
  phase_cpu1 = -1;
  return now();
}

static double phase_end(double t0) {
  double secs = now() - t0;
  phase_cpu1 = cpu_now();
  return secs;
}

static void die(const char *what, const char *msg) {
  fprintf(stderr, "db_bench: %s: %s\n", what, msg ? msg : "failed");
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Per-operation latency: one clock read per operation, the gap to the previous read (so the
 * loop's own work -- key and value generation -- is in it, as it is in ops/s). Sorted after the
 * timed loop; the largest gap of a fill is its longest write stall.
 */
typedef struct lat {
  uint32_t *ns; /* one per op, saturating at ~4.3 s */
  uint32_t n, cap;
  uint64_t last;
} lat;

static void lat_init(lat *l, uint32_t cap) {
  l->ns = malloc((size_t)cap * sizeof *l->ns);
  if (!l->ns) die("latency", "out of memory");
  l->n = 0;
  l->cap = cap;
  l->last = now_ns();
}

static inline void lat_tick(lat *l) {
  uint64_t t = now_ns(), d = t - l->last;
  l->last = t;
  if (l->n < l->cap) l->ns[l->n++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Appends ,"p50_us",... ,"max_us" to the current line and frees the samples. */
static void lat_emit(lat *l) {
  if (l->n) qsort(l->ns, l->n, sizeof *l->ns, cmp_u32);
  static const struct { const char *name; double q; } qs[] = {{"p50_us", 0.5}, {"p99_us", 0.99}, {"p999_us", 0.999}};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    uint32_t idx = l->n ? (uint32_t)((double)(l->n - 1) * qs[i].q) : 0;
    printf(",\"%s\":%.3f", qs[i].name, l->n ? l->ns[idx] / 1000.0 : 0.0);
  }
  printf(",\"max_us\":%.1f", l->n ? l->ns[l->n - 1] / 1000.0 : 0.0);
  free(l->ns);
  l->ns = NULL;
}

/* Removes a folder tree (engines create sub-folders); missing is fine. */
static void remove_tree(const char *path) {
  struct stat stbuf;
  if (lstat(path, &stbuf) != 0) return;
  if (S_ISDIR(stbuf.st_mode)) {
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        remove_tree(child);
      }
      closedir(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* du-like allocated bytes (st_blocks; -1 where the platform has none, as in WASI) and apparent
 * bytes (st_size) of a folder tree. */
static void disk_usage(const char *path, long long *allocated, long long *apparent) {
  struct stat stbuf;
  if (lstat(path, &stbuf) != 0) return;
  if (S_ISDIR(stbuf.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char child[4096];
      snprintf(child, sizeof child, "%s/%s", path, e->d_name);
      disk_usage(child, allocated, apparent);
    }
    closedir(d);
  } else {
    *apparent += (long long)stbuf.st_size;
#ifdef __wasi__
    *allocated = -1;
#else
    if (*allocated >= 0) *allocated += (long long)stbuf.st_blocks * 512;
#endif
  }
}

/* A "VmRSS:"/"VmHWM:" field of /proc/self/status in KiB; -1 when unavailable (WASI). */
static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  size_t flen = strlen(field);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, flen) == 0) {
      kb = strtol(line + flen, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kb;
}

/* ------------------------------------------------------------------------------------------------
 * The peer interface: the few operations the workloads need, one implementation per engine
 * ---------------------------------------------------------------------------------------------- */

/* What a run changes in every peer's options. */
typedef struct bench_config {
  uint64_t memtable; /* write buffer bytes; 0 = the peer's default */
} bench_config;

typedef struct peer_vt {
  const char *name;
  const char *describe;
  void *(*open)(const char *dir, const bench_config *cfg);
  void (*close)(void *db);
  void (*put)(void *db, const char *k, size_t kl, const uint8_t *v, size_t vl);
  void *(*batch_new)(void);
  void (*batch_put)(void *b, const char *k, size_t kl, const uint8_t *v, size_t vl);
  void (*batch_write)(void *db, void *b); /* writes and clears */
  void (*batch_free)(void *b);
  /* Copies the value into buf (cap bytes); returns its length, or -1 when absent. */
  long (*get)(void *db, const char *k, size_t kl, uint8_t *buf, size_t cap);
  void (*settle)(void *db);
  void *(*iter_new)(void *db);
  void (*iter_seek)(void *it, const char *k, size_t kl);
  void (*iter_first)(void *it);
  int (*iter_valid)(void *it);
  void (*iter_next)(void *it);
  const char *(*iter_key)(void *it, size_t *len);
  const char *(*iter_value)(void *it, size_t *len);
  void (*iter_free)(void *it);
} peer_vt;

/* --- Strata ------------------------------------------------------------------------------------ */

static void strata_check(strata_status *st, const char *what) {
  if (st) die(what, strata_status_message(st));
}

static void *st_open_with(const char *dir, const bench_config *cfg, int separate) {
  strata_options *o;
  strata_check(strata_options_new(&o), "strata_options_new");
  if (cfg->memtable) strata_check(strata_options_set_memtable_size(o, cfg->memtable), "strata_options_set_memtable_size");
  if (separate)
    strata_check(strata_options_set_kv_separation(o, STRATA_DEFAULT_KV_THRESHOLD, STRATA_DEFAULT_BLOB_FILE_TARGET_SIZE,
                                                  STRATA_COMPRESSION_LZ4, STRATA_DEFAULT_BLOB_STALENESS,
                                                  STRATA_DEFAULT_BLOB_AGE_CUTOFF),
                 "strata_options_set_kv_separation");
  strata_check(strata_options_set_block_cache_size(o, CACHE_BYTES), "strata_options_set_block_cache_size");
  strata_check(strata_options_set_bloom_bits_per_key(o, BLOOM_BITS), "strata_options_set_bloom_bits_per_key");
  strata_check(strata_options_set_sync(o, 0), "strata_options_set_sync");
  strata_check(strata_options_set_compression(o, STRATA_COMPRESSION_LZ4), "strata_options_set_compression");
  strata_db *db;
  strata_check(strata_open(dir, o, &db), "strata_open");
  strata_options_free(o);
  return db;
}
static void *st_open(const char *dir, const bench_config *cfg) { return st_open_with(dir, cfg, 0); }
static void *st_open_kv(const char *dir, const bench_config *cfg) { return st_open_with(dir, cfg, 1); }
static void st_close(void *db) { strata_check(strata_close(db), "strata_close"); }
static void st_put(void *db, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  strata_check(strata_put(db, k, kl, v, vl, 0), "strata_put");
}
static void *st_batch_new(void) {
  strata_batch *b;
  strata_check(strata_batch_new(&b), "strata_batch_new");
  return b;
}
static void st_batch_put(void *b, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  strata_check(strata_batch_put(b, k, kl, v, vl), "strata_batch_put");
}
static void st_batch_write(void *db, void *b) {
  strata_check(strata_write(db, b, 0), "strata_write");
  strata_batch_clear(b);
}
static void st_batch_free(void *b) { strata_batch_free(b); }
static long st_get(void *db, const char *k, size_t kl, uint8_t *buf, size_t cap) {
  int found;
  size_t vl;
  strata_check(strata_get_into(db, NULL, k, kl, &found, buf, cap, &vl), "strata_get_into");
  return found ? (long)vl : -1;
}
static void st_settle(void *db) {
  strata_check(strata_flush(db), "strata_flush");
#ifdef STRATA_BENCH_HAVE_COMPACT
  strata_check(strata_compact(db, 1), "strata_compact");
#endif
}
static void *st_iter_new(void *db) {
  strata_iterator *it;
  strata_check(strata_iterator_new(db, NULL, NULL, &it), "strata_iterator_new");
  return it;
}
static void st_iter_seek(void *it, const char *k, size_t kl) { strata_iterator_seek(it, k, kl); }
static void st_iter_first(void *it) { strata_iterator_seek_first(it); }
static int st_iter_valid(void *it) { return strata_iterator_valid(it); }
static void st_iter_next(void *it) { strata_iterator_next(it); }
static const char *st_iter_key(void *it, size_t *len) { return strata_iterator_key(it, len); }
static const char *st_iter_value(void *it, size_t *len) { return strata_iterator_value(it, len); }
static void st_iter_free(void *it) {
  strata_check(strata_iterator_status(it), "strata iterator");
  strata_iterator_close(it);
}

#ifdef __wasi__
/* Single-threaded: no maintenance steps run during the fills, so up to 4 sealed memtables wait for
 * settle's flush (the engine flushes inline only past that limit). */
#define STRATA_DESCRIBE_TARGET \
  "wasm32-wasi under node:wasi, single-threaded, no maintenance steps during fills; "
#else
#define STRATA_DESCRIBE_TARGET "native, background flush thread; "
#endif
#ifdef STRATA_BENCH_HAVE_COMPACT
#define STRATA_DESCRIBE_SETTLE "settle = flush + major compaction"
#else
#define STRATA_DESCRIBE_SETTLE "settle = flush only: this build's strata.h has no strata_compact"
#endif

static const peer_vt peer_strata = {
#ifdef __wasi__
    "strata-wasi", /* the same engine compiled to wasm32-wasi: named apart so tables can compare */
#else
    "strata",
#endif
    "strata (" STRATA_DESCRIBE_TARGET "journal on, no sync per write; LZ4 below L1, bloom 10 bits/key, "
    "64 MiB block cache, 64 MiB memtable; " STRATA_DESCRIBE_SETTLE ")",
    st_open, st_close, st_put, st_batch_new, st_batch_put, st_batch_write, st_batch_free, st_get,
    st_settle, st_iter_new, st_iter_seek, st_iter_first, st_iter_valid, st_iter_next, st_iter_key,
    st_iter_value, st_iter_free};

#ifndef __wasi__
static const peer_vt peer_strata_kv = {
    "strata-kv",
    "strata with key-value separation (threshold 1 KiB, 64 MiB blob files, LZ4, GC at 25% stale among the "
    "oldest 25%; otherwise as strata)",
    st_open_kv, st_close, st_put, st_batch_new, st_batch_put, st_batch_write, st_batch_free, st_get,
    st_settle, st_iter_new, st_iter_seek, st_iter_first, st_iter_valid, st_iter_next, st_iter_key,
    st_iter_value, st_iter_free};
#endif

/* --- RocksDB ----------------------------------------------------------------------------------- */
#ifdef STRATA_BENCH_ROCKSDB

typedef struct rdb {
  rocksdb_t *db;
  rocksdb_options_t *opts;
  rocksdb_block_based_table_options_t *table;
  rocksdb_cache_t *cache;
  rocksdb_writeoptions_t *wo;
  rocksdb_readoptions_t *ro;
} rdb;

static void rdb_check(char *err, const char *what) {
  if (err) die(what, err);
}

static void *rdb_open_with(const char *dir, const bench_config *cfg, int blobs) {
  rdb *r = calloc(1, sizeof *r);
  if (!r) die("rocksdb", "out of memory");
  r->opts = rocksdb_options_create();
  rocksdb_options_set_create_if_missing(r->opts, 1);
  if (cfg->memtable) rocksdb_options_set_write_buffer_size(r->opts, (size_t)cfg->memtable);
  if (blobs) { /* BlobDB: the integrated blob files */
    rocksdb_options_set_enable_blob_files(r->opts, 1);
    rocksdb_options_set_min_blob_size(r->opts, 1024);
    rocksdb_options_set_blob_compression_type(r->opts, rocksdb_lz4_compression);
    rocksdb_options_set_enable_blob_gc(r->opts, 1);
  }
  rocksdb_options_set_compression(r->opts, rocksdb_lz4_compression);
  r->table = rocksdb_block_based_options_create();
  r->cache = rocksdb_cache_create_lru(CACHE_BYTES);
  rocksdb_block_based_options_set_block_cache(r->table, r->cache);
  rocksdb_block_based_options_set_filter_policy(r->table, rocksdb_filterpolicy_create_bloom(BLOOM_BITS));
  rocksdb_options_set_block_based_table_factory(r->opts, r->table);
  r->wo = rocksdb_writeoptions_create(); /* sync = false, WAL on: the defaults */
  r->ro = rocksdb_readoptions_create();
  char *err = NULL;
  r->db = rocksdb_open(r->opts, dir, &err);
  rdb_check(err, "rocksdb_open");
  return r;
}
static void *rdb_open(const char *dir, const bench_config *cfg) { return rdb_open_with(dir, cfg, 0); }
static void *rdb_open_blob(const char *dir, const bench_config *cfg) { return rdb_open_with(dir, cfg, 1); }
static void rdb_close(void *p) {
  rdb *r = p;
  rocksdb_close(r->db);
  rocksdb_writeoptions_destroy(r->wo);
  rocksdb_readoptions_destroy(r->ro);
  rocksdb_options_destroy(r->opts);
  rocksdb_block_based_options_destroy(r->table);
  rocksdb_cache_destroy(r->cache);
  free(r);
}
static void rdb_put(void *p, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  rdb *r = p;
  char *err = NULL;
  rocksdb_put(r->db, r->wo, k, kl, (const char *)v, vl, &err);
  rdb_check(err, "rocksdb_put");
}
static void *rdb_batch_new(void) { return rocksdb_writebatch_create(); }
static void rdb_batch_put(void *b, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  rocksdb_writebatch_put(b, k, kl, (const char *)v, vl);
}
static void rdb_batch_write(void *p, void *b) {
  rdb *r = p;
  char *err = NULL;
  rocksdb_write(r->db, r->wo, b, &err);
  rdb_check(err, "rocksdb_write");
  rocksdb_writebatch_clear(b);
}
static void rdb_batch_free(void *b) { rocksdb_writebatch_destroy(b); }
/* get_pinned + memcpy: RocksDB's cheapest copy-out (rocksdb_get would add a malloc per read). */
static long rdb_get(void *p, const char *k, size_t kl, uint8_t *buf, size_t cap) {
  rdb *r = p;
  char *err = NULL;
  rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(r->db, r->ro, k, kl, &err);
  rdb_check(err, "rocksdb_get_pinned");
  if (!ps) return -1;
  size_t vl;
  const char *v = rocksdb_pinnableslice_value(ps, &vl);
  memcpy(buf, v, vl < cap ? vl : cap);
  rocksdb_pinnableslice_destroy(ps);
  return (long)vl;
}
static void rdb_settle(void *p) {
  rdb *r = p;
  char *err = NULL;
  rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
  rocksdb_flushoptions_set_wait(fo, 1);
  rocksdb_flush(r->db, fo, &err);
  rocksdb_flushoptions_destroy(fo);
  rdb_check(err, "rocksdb_flush");
  rocksdb_compact_range(r->db, NULL, 0, NULL, 0);
}
static void *rdb_iter_new(void *p) {
  rdb *r = p;
  return rocksdb_create_iterator(r->db, r->ro);
}
static void rdb_iter_seek(void *it, const char *k, size_t kl) { rocksdb_iter_seek(it, k, kl); }
static void rdb_iter_first(void *it) { rocksdb_iter_seek_to_first(it); }
static int rdb_iter_valid(void *it) { return rocksdb_iter_valid(it); }
static void rdb_iter_next(void *it) { rocksdb_iter_next(it); }
static const char *rdb_iter_key(void *it, size_t *len) { return rocksdb_iter_key(it, len); }
static const char *rdb_iter_value(void *it, size_t *len) { return rocksdb_iter_value(it, len); }
static void rdb_iter_free(void *it) {
  char *err = NULL;
  rocksdb_iter_get_error(it, &err);
  rdb_check(err, "rocksdb iterator");
  rocksdb_iter_destroy(it);
}

static const peer_vt peer_rocksdb = {
    "rocksdb",
    "RocksDB 7.8.3 (-O2 -DNDEBUG, built from Debian source by scripts/peers.sh; WAL on, sync=false; LZ4, bloom 10 bits/key, 64 MiB LRU block cache, default 64 MiB "
    "write buffer; settle = flush + CompactRange)",
    rdb_open, rdb_close, rdb_put, rdb_batch_new, rdb_batch_put, rdb_batch_write, rdb_batch_free, rdb_get,
    rdb_settle, rdb_iter_new, rdb_iter_seek, rdb_iter_first, rdb_iter_valid, rdb_iter_next, rdb_iter_key,
    rdb_iter_value, rdb_iter_free};
static const peer_vt peer_rocksdb_blob = {
    "rocksdb-blob",
    "rocksdb with BlobDB (enable_blob_files, min_blob_size 1 KiB, LZ4 blobs, blob GC on; otherwise as rocksdb)",
    rdb_open_blob, rdb_close, rdb_put, rdb_batch_new, rdb_batch_put, rdb_batch_write, rdb_batch_free, rdb_get,
    rdb_settle, rdb_iter_new, rdb_iter_seek, rdb_iter_first, rdb_iter_valid, rdb_iter_next, rdb_iter_key,
    rdb_iter_value, rdb_iter_free};
#endif

/* --- LevelDB ----------------------------------------------------------------------------------- */
#ifdef STRATA_BENCH_LEVELDB

typedef struct ldb {
  leveldb_t *db;
  leveldb_options_t *opts;
  leveldb_cache_t *cache;
  leveldb_filterpolicy_t *filter;
  leveldb_writeoptions_t *wo;
  leveldb_readoptions_t *ro;
} ldb;

static void ldb_check(char *err, const char *what) {
  if (err) die(what, err);
}

static void *ldb_open(const char *dir, const bench_config *cfg) {
  ldb *l = calloc(1, sizeof *l);
  if (!l) die("leveldb", "out of memory");
  l->opts = leveldb_options_create();
  leveldb_options_set_create_if_missing(l->opts, 1);
  if (cfg->memtable) leveldb_options_set_write_buffer_size(l->opts, (size_t)cfg->memtable);
  l->cache = leveldb_cache_create_lru(CACHE_BYTES);
  leveldb_options_set_cache(l->opts, l->cache);
  l->filter = leveldb_filterpolicy_create_bloom(BLOOM_BITS);
  leveldb_options_set_filter_policy(l->opts, l->filter);
  /* LevelDB 1.23 offers Snappy or nothing; Snappy is its default. */
  leveldb_options_set_compression(l->opts, leveldb_snappy_compression);
  l->wo = leveldb_writeoptions_create(); /* sync = false: the default */
  l->ro = leveldb_readoptions_create();
  char *err = NULL;
  l->db = leveldb_open(l->opts, dir, &err);
  ldb_check(err, "leveldb_open");
  return l;
}
static void ldb_close(void *p) {
  ldb *l = p;
  leveldb_close(l->db);
  leveldb_writeoptions_destroy(l->wo);
  leveldb_readoptions_destroy(l->ro);
  leveldb_options_destroy(l->opts);
  leveldb_filterpolicy_destroy(l->filter);
  leveldb_cache_destroy(l->cache);
  free(l);
}
static void ldb_put(void *p, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  ldb *l = p;
  char *err = NULL;
  leveldb_put(l->db, l->wo, k, kl, (const char *)v, vl, &err);
  ldb_check(err, "leveldb_put");
}
static void *ldb_batch_new(void) { return leveldb_writebatch_create(); }
static void ldb_batch_put(void *b, const char *k, size_t kl, const uint8_t *v, size_t vl) {
  leveldb_writebatch_put(b, k, kl, (const char *)v, vl);
}
static void ldb_batch_write(void *p, void *b) {
  ldb *l = p;
  char *err = NULL;
  leveldb_write(l->db, l->wo, b, &err);
  ldb_check(err, "leveldb_write");
  leveldb_writebatch_clear(b);
}
static void ldb_batch_free(void *b) { leveldb_writebatch_destroy(b); }
/* LevelDB's C API only has a malloc'ing get: that copy is the copy-out. */
static long ldb_get(void *p, const char *k, size_t kl, uint8_t *buf, size_t cap) {
  ldb *l = p;
  char *err = NULL;
  size_t vl;
  char *v = leveldb_get(l->db, l->ro, k, kl, &vl, &err);
  ldb_check(err, "leveldb_get");
  if (!v) return -1;
  memcpy(buf, v, vl < cap ? vl : cap);
  leveldb_free(v);
  return (long)vl;
}
/* CompactRange over everything flushes the memtable first, then compacts every level. */
static void ldb_settle(void *p) {
  ldb *l = p;
  leveldb_compact_range(l->db, NULL, 0, NULL, 0);
}
static void *ldb_iter_new(void *p) {
  ldb *l = p;
  return leveldb_create_iterator(l->db, l->ro);
}
static void ldb_iter_seek(void *it, const char *k, size_t kl) { leveldb_iter_seek(it, k, kl); }
static void ldb_iter_first(void *it) { leveldb_iter_seek_to_first(it); }
static int ldb_iter_valid(void *it) { return leveldb_iter_valid(it); }
static void ldb_iter_next(void *it) { leveldb_iter_next(it); }
static const char *ldb_iter_key(void *it, size_t *len) { return leveldb_iter_key(it, len); }
static const char *ldb_iter_value(void *it, size_t *len) { return leveldb_iter_value(it, len); }
static void ldb_iter_free(void *it) {
  char *err = NULL;
  leveldb_iter_get_error(it, &err);
  ldb_check(err, "leveldb iterator");
  leveldb_iter_destroy(it);
}

static const peer_vt peer_leveldb = {
    "leveldb",
    "LevelDB 1.23 (-O2 -DNDEBUG, built from Debian source by scripts/peers.sh; log on, sync=false; Snappy, bloom 10 bits/key, 64 MiB LRU block cache, default 4 MiB "
    "write buffer; settle = CompactRange)",
    ldb_open, ldb_close, ldb_put, ldb_batch_new, ldb_batch_put, ldb_batch_write, ldb_batch_free, ldb_get,
    ldb_settle, ldb_iter_new, ldb_iter_seek, ldb_iter_first, ldb_iter_valid, ldb_iter_next, ldb_iter_key,
    ldb_iter_value, ldb_iter_free};
#endif

/* ------------------------------------------------------------------------------------------------
 * Output: one JSON line per phase
 * ---------------------------------------------------------------------------------------------- */

typedef struct run {
  const peer_vt *peer;
  int rep;
  uint32_t n;
  const char *dir;
  uint8_t *pool;
  uint32_t *perm;
  uint32_t vlen;     /* value bytes (WL_VALUE_LEN unless --values) */
  bench_config cfg;
  uint8_t *value;    /* vlen bytes: the value being written */
  uint8_t *buf;      /* 2 * vlen bytes: values read back */
  long long wchar0;  /* /proc/self/io wchar at the start of fillrandom */
} run;

/* Bytes this process passed to write() so far (/proc/self/io wchar); -1 where unavailable. */
static long long io_wchar(void) {
  FILE *f = fopen("/proc/self/io", "r");
  if (!f) return -1;
  char line[128];
  long long v = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "wchar:", 6) == 0) v = strtoll(line + 6, NULL, 10);
  fclose(f);
  return v;
}

/* Prints the common fields; the caller appends extras (each starting with ',') and ends the line. */
static void emit_head(const run *r, const char *workload, double ops, double secs) {
  printf("{\"peer\":\"%s\",\"rep\":%d,\"n\":%u,\"workload\":\"%s\",\"ops\":%.0f,\"secs\":%.6f,\"ops_per_s\":",
         r->peer->name, r->rep, r->n, workload, ops, secs);
  if (ops > 0 && secs > 0)
    printf("%.1f", ops / secs);
  else
    printf("null");
  if (workload[0] != '_' && phase_cpu0 >= 0 && phase_cpu1 >= phase_cpu0) {
    printf(",\"cpu_secs\":%.6f", phase_cpu1 - phase_cpu0);
    phase_cpu0 = phase_cpu1 = -1;
  }
}

static void emit_end(void) {
  printf("}\n");
  fflush(stdout);
}

static void print_kb_or_null(const char *name, long kb) {
  if (kb >= 0)
    printf(",\"%s\":%ld", name, kb);
  else
    printf(",\"%s\":null", name);
}

static void print_bytes_or_null(const char *name, long long bytes) {
  if (bytes >= 0)
    printf(",\"%s\":%lld", name, bytes);
  else
    printf(",\"%s\":null", name);
}

/* ------------------------------------------------------------------------------------------------
 * The phases
 * ---------------------------------------------------------------------------------------------- */

static void phase_path(const run *r, const char *phase, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", r->dir, phase);
}

PHASE void fill_seq(const run *r) {
  char path[4096];
  phase_path(r, "fillseq", path, sizeof path);
  remove_tree(path);
  void *db = r->peer->open(path, &r->cfg);
  char key[WL_KEY_LEN];
  uint8_t *value = r->value;
  lat l;
  lat_init(&l, r->n);
  double t0 = phase_start();
  for (uint32_t i = 0; i < r->n; i++) {
    wl_key(key, i);
    wl_value_len(r->pool, i, r->vlen, value);
    r->peer->put(db, key, WL_KEY_LEN, value, r->vlen);
    lat_tick(&l);
  }
  double secs = phase_end(t0);
  r->peer->close(db);
  remove_tree(path);
  emit_head(r, "fillseq", r->n, secs);
  lat_emit(&l);
  emit_end();
}

PHASE void fill_batch(const run *r) {
  char path[4096];
  phase_path(r, "fillbatch", path, sizeof path);
  remove_tree(path);
  void *db = r->peer->open(path, &r->cfg);
  void *b = r->peer->batch_new();
  char key[WL_KEY_LEN];
  uint8_t *value = r->value;
  double t0 = phase_start();
  for (uint32_t i = 0; i < r->n; i++) {
    uint32_t k = r->perm[i];
    wl_key(key, k);
    wl_value_len(r->pool, k, r->vlen, value);
    r->peer->batch_put(b, key, WL_KEY_LEN, value, r->vlen);
    if ((i + 1) % BATCH_SIZE == 0 || i + 1 == r->n) r->peer->batch_write(db, b);
  }
  double secs = phase_end(t0);
  r->peer->batch_free(b);
  r->peer->close(db);
  remove_tree(path);
  emit_head(r, "fillbatch", r->n, secs);
  emit_end();
}

/* fillrandom builds the database every later phase reads; it stays open for them. */
PHASE void *fill_random(run *r) {
  char path[4096];
  phase_path(r, "fillrandom", path, sizeof path);
  remove_tree(path);
  void *db = r->peer->open(path, &r->cfg);
  char key[WL_KEY_LEN];
  uint8_t *value = r->value;
  lat l;
  lat_init(&l, r->n);
  r->wchar0 = io_wchar();
  double t0 = phase_start();
  for (uint32_t i = 0; i < r->n; i++) {
    uint32_t k = r->perm[i];
    wl_key(key, k);
    wl_value_len(r->pool, k, r->vlen, value);
    r->peer->put(db, key, WL_KEY_LEN, value, r->vlen);
    lat_tick(&l);
  }
  double secs = phase_end(t0);
  emit_head(r, "fillrandom", r->n, secs);
  lat_emit(&l);
  emit_end();
  return db;
}

PHASE void settle(run *r, void *db) {
  char path[4096];
  phase_path(r, "fillrandom", path, sizeof path);
  long long alloc_before = 0, apparent_before = 0, alloc_after = 0, apparent_after = 0;
  disk_usage(path, &alloc_before, &apparent_before);
  double t0 = phase_start();
  r->peer->settle(db);
  double secs = phase_end(t0);
  disk_usage(path, &alloc_after, &apparent_after);
  long long wchar1 = io_wchar();
  emit_head(r, "settle", 0, secs);
  double user = (double)r->n * (WL_KEY_LEN + r->vlen);
  if (r->wchar0 >= 0 && wchar1 >= r->wchar0)
    printf(",\"value_bytes\":%u,\"user_bytes\":%.0f,\"io_write_bytes\":%lld,\"write_amp\":%.3f", r->vlen, user,
           wchar1 - r->wchar0, (double)(wchar1 - r->wchar0) / user);
  else
    printf(",\"value_bytes\":%u,\"user_bytes\":%.0f,\"io_write_bytes\":null,\"write_amp\":null", r->vlen, user);
  print_bytes_or_null("disk_bytes", alloc_after);
  print_bytes_or_null("disk_apparent_bytes", apparent_after);
  print_bytes_or_null("disk_bytes_before", alloc_before);
  print_bytes_or_null("disk_apparent_bytes_before", apparent_before);
  emit_end();
}

PHASE void read_random(const run *r, void *db) {
  char key[WL_KEY_LEN];
  uint8_t *buf = r->buf;
  wl_rng rng = wl_rng_make(WL_SEED_READ);
  uint32_t hits = 0, bad_len = 0;
  lat l;
  lat_init(&l, r->n);
  double t0 = phase_start();
  for (uint32_t i = 0; i < r->n; i++) {
    wl_key(key, wl_next(&rng) % r->n);
    long vl = r->peer->get(db, key, WL_KEY_LEN, buf, 2 * (size_t)r->vlen);
    if (vl >= 0) {
      hits++;
      bad_len += vl != (long)r->vlen;
    }
    lat_tick(&l);
  }
  double secs = phase_end(t0);
  emit_head(r, "readrandom", r->n, secs);
  printf(",\"hit_rate\":%.6f,\"bad_values\":%u", r->n ? (double)hits / r->n : 0.0, bad_len);
  lat_emit(&l);
  emit_end();
}

PHASE void read_missing(const run *r, void *db) {
  char key[WL_KEY_LEN];
  uint8_t *buf = r->buf;
  wl_rng rng = wl_rng_make(WL_SEED_MISS);
  uint32_t found = 0;
  double t0 = phase_start();
  for (uint32_t i = 0; i < MISS_READS; i++) {
    wl_absent_key(key, wl_next(&rng) % r->n);
    found += r->peer->get(db, key, WL_KEY_LEN, buf, 2 * (size_t)r->vlen) >= 0;
  }
  double secs = phase_end(t0);
  emit_head(r, "readmissing", MISS_READS, secs);
  printf(",\"found\":%u", found);
  emit_end();
}

PHASE void seek_random(const run *r, void *db) {
  char key[WL_KEY_LEN];
  wl_rng rng = wl_rng_make(WL_SEED_SEEK);
  uint64_t entries = 0, bytes = 0;
  uint32_t misplaced = 0;
  double t0 = phase_start();
  for (uint32_t i = 0; i < SEEKS; i++) {
    wl_key(key, wl_next(&rng) % r->n);
    void *it = r->peer->iter_new(db);
    r->peer->iter_seek(it, key, WL_KEY_LEN);
    /* The sought key exists, so the first entry must be it. */
    size_t kl, vl;
    if (!r->peer->iter_valid(it) || (r->peer->iter_key(it, &kl), kl != WL_KEY_LEN) ||
        memcmp(r->peer->iter_key(it, &kl), key, WL_KEY_LEN) != 0)
      misplaced++;
    for (int j = 0; j < SEEK_NEXTS && r->peer->iter_valid(it); j++) {
      r->peer->iter_key(it, &kl);
      const char *v = r->peer->iter_value(it, &vl);
      bytes += kl + vl + (vl ? (uint8_t)v[0] : 0); /* touch the value */
      entries++;
      r->peer->iter_next(it);
    }
    r->peer->iter_free(it);
  }
  double secs = phase_end(t0);
  emit_head(r, "seekrandom", SEEKS, secs);
  printf(",\"entries\":%llu,\"misplaced\":%u", (unsigned long long)entries, misplaced);
  emit_end();
  (void)bytes;
}

PHASE void read_seq(const run *r, void *db) {
  uint64_t entries = 0, bytes = 0;
  uint32_t unordered = 0;
  char prev[WL_KEY_LEN] = {0};
  double t0 = phase_start();
  void *it = r->peer->iter_new(db);
  for (r->peer->iter_first(it); r->peer->iter_valid(it); r->peer->iter_next(it)) {
    size_t kl, vl;
    const char *k = r->peer->iter_key(it, &kl);
    const char *v = r->peer->iter_value(it, &vl);
    if (kl == WL_KEY_LEN) {
      unordered += entries > 0 && memcmp(prev, k, WL_KEY_LEN) >= 0;
      memcpy(prev, k, WL_KEY_LEN);
    }
    bytes += kl + vl + (uint8_t)v[0];
    entries++;
  }
  r->peer->iter_free(it);
  double secs = phase_end(t0);
  emit_head(r, "readseq", (double)entries, secs);
  printf(",\"entries\":%llu,\"unordered\":%u", (unsigned long long)entries, unordered);
  emit_end();
  (void)bytes;
}

/* ------------------------------------------------------------------------------------------------
 * main
 * ---------------------------------------------------------------------------------------------- */

/* --phases a,b,...: the phases to run (fillrandom and settle also run for any read phase: the
 * reads need their database); NULL runs every phase. */
static int phase_on(const char *phases, const char *name) {
  if (!phases) return 1;
  size_t n = strlen(name);
  for (const char *p = phases; (p = strstr(p, name)) != NULL; p += n) {
    if ((p == phases || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) return 1;
  }
  return 0;
}

static const peer_vt *find_peer(const char *name) {
  if (strcmp(name, "strata") == 0 || strcmp(name, peer_strata.name) == 0) return &peer_strata;
#ifndef __wasi__
  if (strcmp(name, "strata-kv") == 0) return &peer_strata_kv;
#endif
#ifdef STRATA_BENCH_ROCKSDB
  if (strcmp(name, "rocksdb") == 0) return &peer_rocksdb;
  if (strcmp(name, "rocksdb-blob") == 0) return &peer_rocksdb_blob;
#endif
#ifdef STRATA_BENCH_LEVELDB
  if (strcmp(name, "leveldb") == 0) return &peer_leveldb;
#endif
  return NULL;
}

static void usage(void) {
  fprintf(stderr,
          "usage: db_bench --peer strata"
#ifdef STRATA_BENCH_ROCKSDB
          "|rocksdb"
#endif
#ifdef STRATA_BENCH_LEVELDB
          "|leveldb"
#endif
          " [--n N] [--rep R] [--dir D] [--values BYTES] [--memtable BYTES] [--keep]\n"
          "       [--phases fillseq,fillbatch,readrandom,...]\n"
          "       db_bench --self-test      (prints and checks the generator's check values)\n");
  exit(2);
}

int main(int argc, char **argv) {
  run r = {NULL, 0, 1000000, "db_bench_data", NULL, NULL, WL_VALUE_LEN, {0}, NULL, NULL, -1};
  int keep = 0;
  const char *phases = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--self-test") == 0) return wl_self_test(stdout) ? 1 : 0;
    if (strcmp(a, "--keep") == 0) {
      keep = 1;
      continue;
    }
    if (i + 1 >= argc) usage();
    if (strcmp(a, "--peer") == 0) {
      r.peer = find_peer(argv[++i]);
      if (!r.peer) {
        fprintf(stderr, "db_bench: peer %s is not built in\n", argv[i]);
        usage();
      }
    } else if (strcmp(a, "--n") == 0) {
      r.n = (uint32_t)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(a, "--rep") == 0) {
      r.rep = atoi(argv[++i]);
    } else if (strcmp(a, "--phases") == 0) {
      phases = argv[++i];
    } else if (strcmp(a, "--dir") == 0) {
      r.dir = argv[++i];
    } else if (strcmp(a, "--values") == 0) {
      r.vlen = (uint32_t)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(a, "--memtable") == 0) {
      r.cfg.memtable = strtoull(argv[++i], NULL, 10);
    } else {
      usage();
    }
  }
  if (!r.peer || r.n == 0 || r.n > 0x7FFFFFFFu || r.vlen < 2 || r.vlen > (1u << 20)) usage();
  if (wl_self_test(NULL) != 0) die("workload", "the generator fails its self-test");
  if (mkdir(r.dir, 0755) != 0 && errno != EEXIST) die(r.dir, strerror(errno));

  r.pool = malloc(WL_POOL_SIZE);
  if (!r.pool) die("pool", "out of memory");
  wl_pool_fill(r.pool);
  r.perm = wl_permutation(r.n);
  if (!r.perm) die("permutation", "out of memory");
  r.value = malloc(r.vlen);
  r.buf = malloc(2 * (size_t)r.vlen);
  if (!r.value || !r.buf) die("values", "out of memory");

  emit_head(&r, "_info", 0, 0);
  printf(",\"describe\":\"%s\"", r.peer->describe);
  print_kb_or_null("rss_start_kb", status_kb("VmRSS:"));
  printf(",\"strata_version\":\"%s\"", strata_version_string());
#ifdef __wasi__
  printf(",\"target\":\"wasm32-wasi\"");
#else
  printf(",\"target\":\"native\"");
#endif
  emit_end();

  double t0 = now();
  if (phase_on(phases, "fillseq")) fill_seq(&r);
  if (phase_on(phases, "fillbatch")) fill_batch(&r);
  int reads = phase_on(phases, "readrandom") || phase_on(phases, "readmissing") || phase_on(phases, "seekrandom") ||
              phase_on(phases, "readseq");
  if (reads || phase_on(phases, "fillrandom")) {
    void *db = fill_random(&r);
    settle(&r, db);
    if (phase_on(phases, "readrandom")) read_random(&r, db);
    if (phase_on(phases, "readmissing")) read_missing(&r, db);
    if (phase_on(phases, "seekrandom")) seek_random(&r, db);
    if (phase_on(phases, "readseq")) read_seq(&r, db);
    r.peer->close(db);
  }
  char path[4096];
  phase_path(&r, "fillrandom", path, sizeof path);
  if (!keep) {
    remove_tree(path);
    rmdir(r.dir); /* only if empty: the caller may have put other things there */
  }

  emit_head(&r, "_proc", 0, now() - t0);
  print_kb_or_null("peak_rss_kb", status_kb("VmHWM:"));
  emit_end();
  free(r.perm);
  free(r.pool);
  free(r.value);
  free(r.buf);
  return 0;
}
