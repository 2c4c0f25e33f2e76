/*
 * db_bench.c -- the db_bench-style workloads of WORKLOAD.md against one peer, one repetition.
 *
 *   db_bench --peer strata|strata-kv|strata-mmap|rocksdb|rocksdb-blob|leveldb [--n N] [--rep R] [--dir D]
 *            [--values BYTES] [--memtable BYTES] [--phases a,b,...] [--self-test]
 *
 * --values: values of BYTES bytes instead of WORKLOAD.md's 100 (half pool bytes, half zeros);
 * --memtable: every peer's write buffer (so a small run still goes through several levels).
 * strata-kv is Strata with key-value separation (default threshold 1 KiB, peer_strata.c),
 * strata-mmap Strata mapping its tables instead of reading them with pread (map_tables 1),
 * rocksdb-blob RocksDB with BlobDB (enable_blob_files, min_blob_size 1 KiB, blob GC on). The
 * settle line reports write amplification (bench_phases.c: the file bytes the process wrote
 * from the start of fillrandom to the end of settle, /proc/self/io write_bytes, over the user bytes),
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
 * a 64 MiB block cache. The phases are bench_phases.c (shared with `strata bench`), Strata's peer
 * is peer_strata.c; this file adds RocksDB, LevelDB and the process around one run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_phases.h"
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

static void die(const char *what, const char *msg) { bench_die(what, msg); }

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

/* The peak of RssAnon (heap and other private memory, without the file pages a peer maps): a
 * thread samples it every 20 ms while the phases run, since /proc keeps no high-water mark of
 * it. VmHWM counts mapped table pages too (the page cache's, shared and evictable), which makes
 * the engines that map their tables (Strata natively, LevelDB) look larger than ones that read. */
#ifndef __wasi__
#include <pthread.h>
#include <time.h>

typedef struct anon_sampler {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;   /* under mu */
  long peak;  /* KiB, written by the thread only until joined */
} anon_sampler;

static void *anon_sampler_main(void *arg) {
  anon_sampler *s = arg;
  pthread_mutex_lock(&s->mu);
  while (!s->stop) {
    pthread_mutex_unlock(&s->mu);
    long kb = status_kb("RssAnon:");
    if (kb > s->peak) s->peak = kb;
    pthread_mutex_lock(&s->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 20 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    if (!s->stop) pthread_cond_timedwait(&s->cv, &s->mu, &until);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* 0 when the thread runs; the caller then calls anon_sampler_stop. */
static int anon_sampler_start(anon_sampler *s) {
  s->stop = 0;
  s->peak = status_kb("RssAnon:");
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  return pthread_create(&s->thread, NULL, anon_sampler_main, s);
}

static long anon_sampler_stop(anon_sampler *s) {
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  return s->peak;
}
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
 * main
 * ---------------------------------------------------------------------------------------------- */

static const peer_vt *find_peer(const char *name) {
  if (strcmp(name, "strata") == 0 || strcmp(name, bench_peer_strata.name) == 0) return &bench_peer_strata;
#ifndef __wasi__
  if (strcmp(name, "strata-kv") == 0) return &bench_peer_strata_kv;
  if (strcmp(name, "strata-mmap") == 0) return &bench_peer_strata_mmap;
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
#ifndef __wasi__
          "|strata-kv|strata-mmap"
#endif
#ifdef STRATA_BENCH_ROCKSDB
          "|rocksdb|rocksdb-blob"
#endif
#ifdef STRATA_BENCH_LEVELDB
          "|leveldb"
#endif
          " [--n N] [--rep R] [--dir D] [--values BYTES] [--memtable BYTES] [--keep]\n"
          "       [--phases fillseq,fillbatch,readrandom,...]\n"
          "       db_bench --self-test      (prints and checks the generator's check values)\n");
  exit(2);
}

static void print_line(void *ctx, const bench_result *res) { bench_print_json(stdout, ctx, res); }

int main(int argc, char **argv) {
  bench_run r = {NULL, 0, 1000000, "db_bench_data", NULL, NULL, print_line, NULL, WL_VALUE_LEN, {0}, NULL};
  r.report_ctx = &r;
  int keep = 0;
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
    } else if (strcmp(a, "--dir") == 0) {
      r.dir = argv[++i];
    } else if (strcmp(a, "--values") == 0) {
      r.vlen = (uint32_t)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(a, "--memtable") == 0) {
      r.cfg.memtable = strtoull(argv[++i], NULL, 10);
    } else if (strcmp(a, "--phases") == 0) {
      r.phases = argv[++i];
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

  /* _info first: the peer's describe string, the RSS after building the permutation */
  bench_result info = {.workload = "_info", .texts = {{"describe", r.peer->describe}}};
  long rss = status_kb("VmRSS:");
  info.extras[info.extra_count++] = (bench_extra){"rss_start_kb", rss >= 0 ? BENCH_INT : BENCH_NULL, rss, 0};
  info.texts[1][0] = "strata_version";
  info.texts[1][1] = strata_version_string();
  info.texts[2][0] = "target";
#ifdef __wasi__
  info.texts[2][1] = "wasm32-wasi";
#else
  info.texts[2][1] = "native";
#endif
  bench_print_json(stdout, &r, &info);

  double t0 = bench_now();
#ifndef __wasi__
  anon_sampler sampler;
  int sampling = anon_sampler_start(&sampler) == 0;
#endif
  bench_run_phases(&r, keep);
  long peak_anon = -1;
#ifndef __wasi__
  if (sampling) peak_anon = anon_sampler_stop(&sampler);
#endif
  if (!keep) rmdir(r.dir); /* only if empty: the caller may have put other things there */

  bench_result proc = {.workload = "_proc", .secs = bench_now() - t0};
  long peak = status_kb("VmHWM:");
  proc.extras[proc.extra_count++] = (bench_extra){"peak_rss_kb", peak >= 0 ? BENCH_INT : BENCH_NULL, peak, 0};
  proc.extras[proc.extra_count++] = (bench_extra){"peak_anon_kb", peak_anon >= 0 ? BENCH_INT : BENCH_NULL, peak_anon, 0};
  bench_print_json(stdout, &r, &proc);
  free(r.perm);
  free(r.pool);
  return 0;
}
