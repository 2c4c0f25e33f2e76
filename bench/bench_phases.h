/*
 * bench_phases.h -- the phases of WORKLOAD.md over any engine, shared by bench/db_bench.c (one
 * peer per process, JSON lines for bench/run.mjs) and the `strata bench` command (wasi/cli_bench.c,
 * Strata only, natively and under WASI).
 *
 * A peer is a table of the few operations the workloads need. Each phase reports a bench_result
 * through the caller's callback; bench_print_json prints one as the JSON line WORKLOAD.md names.
 * Errors of a peer end the process (bench_die): a benchmark has no partial result to keep.
 */
#ifndef STRATA_BENCH_PHASES_H
#define STRATA_BENCH_PHASES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_BATCH_SIZE 1000
#define BENCH_MISS_READS 100000u
#define BENCH_SEEKS 100000u
#define BENCH_SEEK_NEXTS 10
#define BENCH_FILL_THREADS 4 /* fillrandom-mt (native builds only) */

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

/* Strata (bench/peer_strata.c): "strata" natively, "strata-wasi" in the WASI build. */
extern const peer_vt bench_peer_strata;
#ifndef __wasi__
/* Strata with key-value separation (the default threshold, 1 KiB): "strata-kv", native only. */
extern const peer_vt bench_peer_strata_kv;
extern const peer_vt bench_peer_strata_mmap;
#endif

/* One extra field of a result line: an integer, a real, or null (unknown on this platform). */
typedef enum bench_extra_kind { BENCH_INT, BENCH_REAL, BENCH_NULL } bench_extra_kind;
typedef struct bench_extra {
  const char *name;
  bench_extra_kind kind;
  long long i;
  double r;
} bench_extra;

#define BENCH_MAX_EXTRAS 10
typedef struct bench_result {
  const char *workload; /* fillseq ... readseq, or _info / _proc */
  double ops, secs;     /* ops_per_s = ops / secs when both are > 0 */
  double cpu_secs;      /* process CPU time (user + system, every thread) over the phase */
  bench_extra extras[BENCH_MAX_EXTRAS];
  int extra_count;
  const char *texts[3][2]; /* string extras: {name, value}, name NULL when unused (_info) */
} bench_result;

typedef void (*bench_report_fn)(void *ctx, const bench_result *res);

typedef struct bench_run {
  const peer_vt *peer;
  int rep;
  uint32_t n;
  const char *dir;  /* every phase's database is a folder in here */
  uint8_t *pool;    /* WL_POOL_SIZE bytes, filled */
  uint32_t *perm;   /* the random order of n */
  bench_report_fn report;
  void *report_ctx;
  uint32_t vlen;    /* value bytes, 2..2^20 (db_bench --values); 0 = WORKLOAD.md's WL_VALUE_LEN */
  bench_config cfg; /* passed to every open (db_bench --memtable); zero = the peers' defaults */
  const char *phases; /* "fillseq,readrandom,...": the phases to run (db_bench --phases); NULL = all */
} bench_run;

/* WORKLOAD.md's phases alone, for r->phases (fillrandom-mt is db_bench's addition, not the spec's). */
#define BENCH_WORKLOAD_PHASES "fillseq,fillbatch,fillrandom,readrandom,readmissing,seekrandom,readseq"

/* Every phase in the spec's order (fillseq, fillbatch, fillrandom, settle, readrandom,
 * readmissing, seekrandom, readseq; natively fillrandom-mt after fillbatch: fillrandom's puts from
 * BENCH_FILL_THREADS threads, with a read-back sample of them reported as `missing`), or those r->phases names (fillrandom and settle also run
 * for any read phase: the reads need their database); fillrandom's database is removed
 * afterwards unless keep. fillseq, fillrandom and readrandom also report per-operation latency
 * (p50_us, p99_us, p999_us, max_us: the gap between one clock read per operation and the last).
 * The settle line also reports write amplification: the bytes the process wrote to files from
 * the start of fillrandom to the end of settle (bench_io_written: journal, flushes, compactions,
 * blob files) over the user bytes (key + value per put); null where /proc is missing (WASI). */
void bench_run_phases(const bench_run *r, int keep);

/* The JSON line of WORKLOAD.md's Output section, flushed. */
void bench_print_json(FILE *out, const bench_run *r, const bench_result *res);

double bench_now(void); /* monotonic seconds */
/* CPU seconds of the whole process (under WASI: of its host process, compiler threads too). On a
 * loaded machine a phase's wall time includes waiting for a core; its CPU time does not. */
double bench_cpu_now(void);
void bench_die(const char *what, const char *msg);
void bench_remove_tree(const char *path);
/* du-like allocated bytes (-1 where the platform has no st_blocks, as WASI) and apparent bytes. */
void bench_disk_usage(const char *path, long long *allocated, long long *apparent);
/* Bytes of file pages this process dirtied so far (/proc/self/io write_bytes: write() calls and
 * stores into shared mappings alike -- wchar would miss Strata's mapped journal); -1 where
 * unavailable. */
long long bench_io_written(void);

#endif /* STRATA_BENCH_PHASES_H */
