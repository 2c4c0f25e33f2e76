/*
 * cli_bench.c -- `strata bench [--n N] [--dir D] [--json] [--keep]`: the phases of WORKLOAD.md
 * (bench/bench_phases.c, the code bench/db_bench runs) on Strata in this build, natively or under
 * WASI, with each phase's correctness check. The folder must not exist or be empty; it is removed
 * afterwards (with --keep, fillrandom's database stays in it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_phases.h"
#include "cli.h"
#include "util/status.h"
#include "vfs/vfs.h"
#include "workload.h"

typedef struct bench_report {
  const cli_args *a;
  const bench_run *run;
  int failed; /* checks that failed */
} bench_report;

/* The folder: absent (made here) or an empty folder. */
static strata_status *prepare_dir(vfs *fs, const char *dir) {
  int exists = 0, is_dir = 0;
  size_t entries = 0;
  STATUS_TRY(vfs_exists(fs, dir, &exists, &is_dir));
  if (!exists) return vfs_mkdir(fs, dir);
  if (!is_dir) return status_new(STRATA_EXISTS, "bench: %s exists and is not a folder; pass another --dir", dir);
  STATUS_TRY(vfs_count_entries(fs, dir, &entries));
  if (entries) return status_new(STRATA_EXISTS, "bench: %s is not empty; pass an empty or new --dir", dir);
  return NULL;
}

static const bench_extra *extra(const bench_result *res, const char *name) {
  for (int i = 0; i < res->extra_count; i++)
    if (!strcmp(res->extras[i].name, name)) return &res->extras[i];
  return NULL;
}

/* The entries seekrandom must read: 10 per seek, fewer for a seek within 10 keys of the end. */
static uint64_t seek_entries(uint32_t n) {
  wl_rng rng = wl_rng_make(WL_SEED_SEEK);
  uint64_t total = 0;
  for (uint32_t i = 0; i < BENCH_SEEKS; i++) {
    uint32_t k = wl_next(&rng) % n;
    total += n - k < BENCH_SEEK_NEXTS ? n - k : BENCH_SEEK_NEXTS;
  }
  return total;
}

/* The checks of bench/check.mjs: what each read phase must have found. "" when it passed. */
static const char *check_result(const bench_result *res, uint32_t n, char *why, size_t cap) {
  const bench_extra *e;
  why[0] = '\0';
  if (!strcmp(res->workload, "readrandom") && (e = extra(res, "hit_rate")) && e->r != 1.0)
    snprintf(why, cap, "hit rate %.4f, not 1", e->r);
  if (!strcmp(res->workload, "readrandom") && (e = extra(res, "bad_values")) && e->i)
    snprintf(why, cap, "%lld values of the wrong length", e->i);
  if (!strcmp(res->workload, "readmissing") && (e = extra(res, "found")) && e->i)
    snprintf(why, cap, "%lld absent keys found", e->i);
  if (!strcmp(res->workload, "seekrandom") && (e = extra(res, "misplaced")) && e->i)
    snprintf(why, cap, "%lld seeks misplaced", e->i);
  if (!strcmp(res->workload, "seekrandom") && (e = extra(res, "entries")) && e->i != (long long)seek_entries(n))
    snprintf(why, cap, "%lld entries read, not %llu", e->i, (unsigned long long)seek_entries(n));
  if (!strcmp(res->workload, "readseq") && (e = extra(res, "entries")) && e->i != (long long)n)
    snprintf(why, cap, "%lld entries, not %u", e->i, n);
  if (!strcmp(res->workload, "readseq") && (e = extra(res, "unordered")) && e->i)
    snprintf(why, cap, "%lld keys out of order", e->i);
  return why;
}

static void report(void *ctx, const bench_result *res) {
  bench_report *r = ctx;
  char why[96], a[32], b[32], c[48];
  check_result(res, r->run->n, why, sizeof why);
  if (why[0]) r->failed++;
  if (r->a->json) {
    bench_print_json(stdout, r->run, res);
    if (why[0]) fprintf(stderr, "strata: bench: %s: %s\n", res->workload, why);
    return;
  }
  const bench_extra *e;
  if (!strcmp(res->workload, "settle")) {
    e = extra(res, "disk_apparent_bytes");
    snprintf(c, sizeof c, "%s on disk", e && e->kind == BENCH_INT ? cli_bytes((uint64_t)e->i, a) : "?");
    printf("%-12s  %10s  %9.3f  %9.3f  %12s  %s\n", res->workload, "", res->secs, res->cpu_secs, "", c);
    return;
  }
  snprintf(c, sizeof c, "%s", why[0] ? "CHECK FAILED: " : "ok");
  printf("%-12s  %10s  %9.3f  %9.3f  %12s  %s%s\n", res->workload, cli_num((uint64_t)res->ops, a), res->secs,
         res->cpu_secs, cli_num(res->secs > 0 ? (uint64_t)(res->ops / res->secs + 0.5) : 0, b), c, why);
}

int cli_run_bench(const cli_args *a) {
  vfs *fs = NULL;
  strata_status *st = vfs_posix_new(&fs);
  if (!st) st = prepare_dir(fs, a->dir);
  if (st) {
    vfs_destroy(fs);
    return cli_report(st);
  }
  bench_report rep = {a, NULL, 0};
  bench_run run = {&bench_peer_strata, 0, (uint32_t)a->count, a->dir, NULL, NULL, report, &rep, 0, {0}, NULL}; /* 100-byte values, default options */
  rep.run = &run;
  run.phases = BENCH_WORKLOAD_PHASES; /* the spec's phases: the tool measures those only */
  run.pool = malloc(WL_POOL_SIZE);
  if (run.pool) wl_pool_fill(run.pool);
  run.perm = run.pool ? wl_permutation(run.n) : NULL;
  if (!run.perm || wl_self_test(NULL) != 0) {
    free(run.pool);
    vfs_destroy(fs);
    return cli_report(run.perm ? status_new(STRATA_CORRUPTION, "bench: the generator fails its self-test")
                               : status_no_memory());
  }
  char n1[32];
  if (!a->json) {
    printf("strata bench: the WORKLOAD.md phases, N=%s, in %s\n%s\n\n", cli_num(run.n, n1), a->dir,
           bench_peer_strata.describe);
    printf("%-12s  %10s  %9s  %9s  %12s  %s\n", "phase", "ops", "seconds", "cpu s", "ops/s", "check");
  }
  double t0 = bench_now();
  bench_run_phases(&run, a->keep);
  if (!a->json) printf("\ntotal %.2f s\n", bench_now() - t0);
  free(run.perm);
  free(run.pool);
  if (!a->keep) st = vfs_remove_tree(fs, a->dir);
  vfs_destroy(fs);
  if (st) return cli_report(st);
  if (rep.failed) {
    fflush(stdout);
    fprintf(stderr, "strata: bench: %d checks failed\n", rep.failed);
    return 1;
  }
  return 0;
}
