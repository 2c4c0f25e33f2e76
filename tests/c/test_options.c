/*
 * Validation at the edge: every strata_options_set_* accepts its boundary values and refuses
 * the ones just outside with STRATA_INVALID_ARGUMENT naming the option (keeping the old value);
 * strata_open re-checks the whole set and the rules between options; range bound kinds are
 * checked. And the hangs that bad-but-accepted options caused are fixed at their roots.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if STRATA_THREADS
#include <pthread.h>
#include <time.h>
#endif

#include "db/db_internal.h"
#include "harness.h"
#include "strata.h"
#include "util/clock.h"

/* Expects INVALID_ARGUMENT whose message contains `name`. */
#define CHECK_REFUSED(expr, name)                                                                      \
  do {                                                                                               \
    strata_status *refused_ = (expr);                                                                \
    int refused_ok_ = strata_status_code(refused_) == STRATA_INVALID_ARGUMENT &&                     \
                      strstr(strata_status_message(refused_), (name)) != NULL;                       \
    if (!refused_ok_)                                                                                \
      harness_fail(__FILE__, __LINE__, "%s: expected STRATA_INVALID_ARGUMENT naming \"%s\", got %s (%s)", #expr, \
                   (name), strata_code_name(strata_status_code(refused_)), strata_status_message(refused_)); \
    strata_status_free(refused_);                                                                    \
    if (!refused_ok_) return;                                                                        \
  } while (0)

static strata_options *fresh(void) {
  strata_options *o = NULL;
  EXPECT_OK(strata_options_new(&o));
  return o;
}

static void map_tables_is_a_flag_off_by_default(void) {
  strata_options *o = fresh();
  CHECK(o);
  CHECK(o->map_tables == STRATA_DEFAULT_MAP_TABLES && o->map_tables == 0);
  CHECK_OK(strata_options_set_map_tables(o, 7)); /* any nonzero is on */
  CHECK(o->map_tables == 1);
  CHECK_OK(strata_options_set_map_tables(o, 0));
  CHECK(o->map_tables == 0);
  strata_options_free(o);
}

static void sizes_accept_their_bounds_and_refuse_beyond(void) {
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_memtable_size(o, STRATA_MEMTABLE_SIZE_MIN));
  CHECK_OK(strata_options_set_memtable_size(o, STRATA_MEMTABLE_SIZE_MAX));
  CHECK_REFUSED(strata_options_set_memtable_size(o, STRATA_MEMTABLE_SIZE_MIN - 1), "memtable size");
  CHECK_REFUSED(strata_options_set_memtable_size(o, 0), "memtable size");
  CHECK_REFUSED(strata_options_set_memtable_size(o, STRATA_MEMTABLE_SIZE_MAX + 1), "memtable size");
  CHECK_EQ_U64(o->memtable_size, STRATA_MEMTABLE_SIZE_MAX); /* refused: the old value stays */

  CHECK_OK(strata_options_set_block_cache_size(o, 0));
  CHECK_OK(strata_options_set_block_cache_size(o, STRATA_BLOCK_CACHE_SIZE_MAX));
  if (STRATA_BLOCK_CACHE_SIZE_MAX < UINT64_MAX) /* 32-bit builds */
    CHECK_REFUSED(strata_options_set_block_cache_size(o, STRATA_BLOCK_CACHE_SIZE_MAX + 1), "block cache size");

  CHECK_OK(strata_options_set_block_size(o, STRATA_BLOCK_SIZE_MIN));
  CHECK_OK(strata_options_set_block_size(o, STRATA_BLOCK_SIZE_MAX));
  CHECK_REFUSED(strata_options_set_block_size(o, 0), "block size");
  CHECK_REFUSED(strata_options_set_block_size(o, 1), "block size");
  CHECK_REFUSED(strata_options_set_block_size(o, STRATA_BLOCK_SIZE_MIN - 1), "block size");
  CHECK_REFUSED(strata_options_set_block_size(o, STRATA_BLOCK_SIZE_MAX + 1), "block size");
  CHECK_REFUSED(strata_options_set_block_size(o, 1u << 31), "block size");
  CHECK_EQ_U64(o->block_size, STRATA_BLOCK_SIZE_MAX);

  CHECK_OK(strata_options_set_table_target_size(o, STRATA_TABLE_TARGET_SIZE_MIN));
  CHECK_OK(strata_options_set_table_target_size(o, STRATA_TABLE_TARGET_SIZE_MAX));
  CHECK_OK(strata_options_set_table_target_size(o, 0)); /* keeps it */
  CHECK_EQ_U64(o->compaction.table_target_size, STRATA_TABLE_TARGET_SIZE_MAX);
  CHECK_REFUSED(strata_options_set_table_target_size(o, STRATA_TABLE_TARGET_SIZE_MIN - 1), "table target size");
  CHECK_REFUSED(strata_options_set_table_target_size(o, STRATA_TABLE_TARGET_SIZE_MAX + 1), "table target size");
  CHECK_EQ_U64(o->compaction.table_target_size, STRATA_TABLE_TARGET_SIZE_MAX);

  CHECK_OK(strata_options_set_max_sealed_memtables(o, 0));
  CHECK_OK(strata_options_set_max_sealed_memtables(o, STRATA_MAX_SEALED_MEMTABLES_MAX));
  CHECK_REFUSED(strata_options_set_max_sealed_memtables(o, STRATA_MAX_SEALED_MEMTABLES_MAX + 1), "max sealed memtables");
  CHECK_EQ_U64(o->max_sealed_memtables, STRATA_MAX_SEALED_MEMTABLES_MAX);
  strata_options_free(o);
}

static void compression_and_bloom_bits_are_checked(void) {
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_compression(o, STRATA_COMPRESSION_NONE));
  CHECK_OK(strata_options_set_compression(o, STRATA_COMPRESSION_LZ4));
  CHECK_REFUSED(strata_options_set_compression(o, (strata_compression)2), "compression");
  CHECK_REFUSED(strata_options_set_compression(o, (strata_compression)9), "compression");
  CHECK_REFUSED(strata_options_set_compression(o, (strata_compression)-1), "compression");
  CHECK_EQ_U64(o->compression, STRATA_COMPRESSION_LZ4);

  CHECK_OK(strata_options_set_bloom_bits_per_key(o, 0));
  CHECK_OK(strata_options_set_bloom_bits_per_key(o, 0.5));
  CHECK_OK(strata_options_set_bloom_bits_per_key(o, STRATA_BLOOM_BITS_MAX));
  CHECK_REFUSED(strata_options_set_bloom_bits_per_key(o, nextafter(STRATA_BLOOM_BITS_MAX, 1e9)), "bloom bits");
  CHECK_REFUSED(strata_options_set_bloom_bits_per_key(o, -5), "bloom bits");
  CHECK_REFUSED(strata_options_set_bloom_bits_per_key(o, -0.001), "bloom bits");
  CHECK_REFUSED(strata_options_set_bloom_bits_per_key(o, NAN), "bloom bits");
  CHECK_REFUSED(strata_options_set_bloom_bits_per_key(o, INFINITY), "bloom bits");
  CHECK_REFUSED(strata_options_set_bloom_bits_per_key(o, 1e6), "bloom bits");
  CHECK(o->bloom_bits_per_key == STRATA_BLOOM_BITS_MAX);
  strata_options_free(o);
}

static void compaction_knobs_are_checked(void) {
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_compaction_leveled(o, 1, nextafter(1.0, 2.0)));
  CHECK_OK(strata_options_set_compaction_leveled(o, 3, STRATA_LEVEL_RATIO_MAX));
  CHECK_OK(strata_options_set_compaction_leveled(o, 0, 0)); /* keeps both */
  CHECK_EQ_U64(o->compaction.l0_trigger, 3);
  CHECK(o->compaction.level_ratio == STRATA_LEVEL_RATIO_MAX);
  CHECK_REFUSED(strata_options_set_compaction_leveled(o, 4, 1.0), "level ratio");
  CHECK_REFUSED(strata_options_set_compaction_leveled(o, 4, -1), "level ratio");
  CHECK_REFUSED(strata_options_set_compaction_leveled(o, 4, NAN), "level ratio");
  CHECK_REFUSED(strata_options_set_compaction_leveled(o, 4, nextafter(STRATA_LEVEL_RATIO_MAX, 1e9)), "level ratio");
  CHECK_EQ_U64(o->compaction.l0_trigger, 3); /* a refused call changes nothing, not even the trigger */

  CHECK_OK(strata_options_set_compaction_tiered(o, 1, 0, 1));
  CHECK(o->compaction.strategy == COMPACTION_TIERED && o->compaction.l0_trigger == 1);
  CHECK_OK(strata_options_set_compaction_tiered(o, 0, STRATA_SIZE_RATIO_MAX, 0));
  CHECK_OK(strata_options_set_compaction_tiered(o, 0, -1, 0)); /* -1 keeps the ratio */
  CHECK(o->compaction.tiered_size_ratio == STRATA_SIZE_RATIO_MAX);
  CHECK_REFUSED(strata_options_set_compaction_tiered(o, 4, -0.5, 0), "size ratio");
  CHECK_REFUSED(strata_options_set_compaction_tiered(o, 4, NAN, 0), "size ratio");
  CHECK_REFUSED(strata_options_set_compaction_tiered(o, 4, nextafter(STRATA_SIZE_RATIO_MAX, 1e9), 0), "size ratio");
  CHECK(o->compaction.tiered_size_ratio == STRATA_SIZE_RATIO_MAX);

  CHECK_OK(strata_options_set_level0_stall(o, 10, 10));
  CHECK_REFUSED(strata_options_set_level0_stall(o, 11, 10), "stop (10) must be >= slowdown (11)");
  CHECK_REFUSED(strata_options_set_level0_stall(o, 11, 0), "level-0 stall"); /* against the kept stop */
  CHECK(o->l0_slowdown == 10 && o->l0_stop == 10);
  CHECK_OK(strata_options_set_level0_stall(o, 0, 12));
  CHECK(o->l0_slowdown == 10 && o->l0_stop == 12);

  CHECK_OK(strata_options_set_compaction_fifo(o, 0, UINT64_MAX)); /* every value is meaningful */
  CHECK_REFUSED(strata_options_set_memtable_size(NULL, 1 << 20), "the options handle is NULL");
  strata_options_free(o);
}

/* strata_open checks the set as a whole: the rules between options, and a struct whose fields
 * were set without the setters. */
static void open_revalidates_the_whole_set(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_vfs(o, mem));
  CHECK_OK(strata_options_set_background_threads(o, 0));
  strata_db *db = NULL;
  CHECK_OK(strata_options_set_level0_trigger(o, 21)); /* above the slowdown mark of 20 */
  CHECK_REFUSED(strata_open("optdb", o, &db), "level-0 trigger (21) must be <= the level-0 slowdown mark (20)");
  CHECK_OK(strata_options_set_level0_stall(o, 21, 0)); /* the stop mark of 30 stays above */
  CHECK_OK(strata_open("optdb", o, &db));
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_options_set_compaction_fifo(o, 0, 0)); /* FIFO never stalls: its trigger is moot */
  CHECK_OK(strata_options_set_level0_stall(o, 5, 6));
  CHECK_OK(strata_open("optdb", o, &db));
  CHECK_OK(strata_close(db));

  strata_options bad = *o; /* built around the setters */
  bad.block_size = 0;
  CHECK_REFUSED(strata_open("optdb", &bad, &db), "block size");
  bad = *o;
  bad.bloom_bits_per_key = NAN;
  CHECK_REFUSED(strata_open("optdb", &bad, &db), "bloom bits");
  bad = *o;
  bad.compression = (strata_compression)9;
  CHECK_REFUSED(strata_open("optdb", &bad, &db), "compression");
  bad = *o;
  bad.l0_stop = bad.l0_slowdown - 1;
  CHECK_REFUSED(strata_open("optdb", &bad, &db), "level-0 stall");
  bad = *o;
  bad.compaction.strategy = (compaction_strategy_kind)7;
  CHECK_REFUSED(strata_open("optdb", &bad, &db), "compaction strategy");
  bad = *o;
  bad.recovery_mode = (strata_recovery_mode)5;
  CHECK_REFUSED(strata_open("optdb", &bad, &db), "recovery mode 5");
  bad = *o;
  bad.compaction.tiered_max_space_amp_pct = 0;
  CHECK_REFUSED(strata_open("optdb", &bad, &db), "max space amplification");
  strata_options_free(o);
  vfs_destroy(mem);
}

static void unknown_bound_kinds_are_refused(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_vfs(o, mem));
  strata_db *db = NULL;
  CHECK_OK(strata_open("rangedb", o, &db));
  CHECK_OK(strata_put(db, "k", 1, "v", 1, 0));
  strata_iterator *it = NULL;
  strata_range r = {(strata_bound)3, "a", 1, STRATA_UNBOUNDED, NULL, 0};
  CHECK_REFUSED(strata_iterator_new(db, NULL, &r, &it), "range lo_kind 3 is not a strata_bound");
  r.lo_kind = STRATA_INCLUDED;
  r.hi_kind = (strata_bound)-1;
  CHECK_REFUSED(strata_iterator_new(db, NULL, &r, &it), "range hi_kind -1 is not a strata_bound");
  CHECK_REFUSED(strata_drop_range(db, &r), "range hi_kind -1 is not a strata_bound");
  r.hi_kind = STRATA_EXCLUDED;
  static char long_key[STRATA_KEY_MAX + 1];
  r.hi = long_key;
  r.hi_len = sizeof long_key;
  CHECK_REFUSED(strata_iterator_new(db, NULL, &r, &it), "longer than the limit");
  CHECK_REFUSED(strata_drop_range(db, &r), "longer than the limit");
  r.hi = "z";
  r.hi_len = 1;
  CHECK_OK(strata_iterator_new(db, NULL, &r, &it));
  strata_iterator_seek_first(it);
  CHECK(strata_iterator_valid(it));
  strata_iterator_close(it);
  CHECK_OK(strata_drop_range(db, &r));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  vfs_destroy(mem);
}

/* --- the hangs, at their roots -------------------------------------------------------------- */

typedef struct job {
  void (*fn)(struct job *);
  strata_db *db;
  strata_status *st;
  int done;
} job;

/* Runs j->fn, failing the case (and the binary: a stuck thread cannot be stopped) if it takes
 * longer than limit_ms. Without threads it just runs (ctest's timeout is the guard). */
#if STRATA_THREADS
static void *job_main(void *arg) {
  job *j = arg;
  j->fn(j);
  __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
  return NULL;
}
#endif

static int run_guarded(job *j, uint64_t limit_ms) {
#if STRATA_THREADS
  pthread_t t;
  if (pthread_create(&t, NULL, job_main, j) != 0) return 0;
  uint64_t start = clock_monotonic_ms();
  while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
    if (clock_monotonic_ms() - start > limit_ms) {
      fprintf(stderr, "  still running after %llu ms: a hang\n", (unsigned long long)limit_ms);
      fprintf(stdout, "FAIL (hang)\n0 passed, 1 failed\n");
      exit(1);
    }
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  pthread_join(t, NULL);
#else
  (void)limit_ms;
  j->fn(j);
#endif
  return 1;
}

static strata_status *put_range(strata_db *db, int from, int to, size_t vlen) {
  char key[32], value[512];
  memset(value, 'v', sizeof value);
  for (int i = from; i < to; i++) {
    snprintf(key, sizeof key, "key%06d", i);
    STATUS_TRY(strata_put(db, key, strlen(key), value, vlen, 0));
  }
  return NULL;
}

static void compact_job(job *j) { j->st = strata_compact(j->db, 0); }

/* run_trigger = 1 merged the one remaining run into itself for ever: strata_compact never returned. */
static void tiered_run_trigger_one_compacts_and_returns(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_vfs(o, mem));
  CHECK_OK(strata_options_set_background_threads(o, 0));
  CHECK_OK(strata_options_set_compaction_tiered(o, 1, 0, 1));
  strata_db *db = NULL;
  CHECK_OK(strata_open("tier1db", o, &db));
  for (int f = 0; f < 3; f++) {
    CHECK_OK(put_range(db, f * 100, f * 100 + 150, 40)); /* overlapping flushes */
    CHECK_OK(strata_flush(db));
  }
  job j = {compact_job, db, NULL, 0};
  CHECK(run_guarded(&j, 10000));
  CHECK_OK(j.st);
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.compactions >= 1);
  uint32_t runs = 0;
  for (uint32_t l = 0; l < s.level_count; l++) runs += s.levels[l].runs;
  CHECK_EQ_U64(runs, 1); /* everything merged, and then it stopped */
  CHECK_EQ_U64(s.levels[0].runs, 0);
  int more = 1;
  CHECK_OK(strata_maintenance_step(db, 1 << 20, &more));
  CHECK(!more);
  for (int i = 0; i < 350; i += 17) {
    char key[32];
    snprintf(key, sizeof key, "key%06d", i);
    int found = 0;
    size_t vlen = 0;
    char buf[64];
    CHECK_OK(strata_get_into(db, NULL, key, strlen(key), &found, buf, sizeof buf, &vlen));
    CHECK(found && vlen == 40);
  }
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  vfs_destroy(mem);
}

static void write_job(job *j) { j->st = put_range(j->db, 0, 400, 500); }

/* Tiered compaction with small output tables: one flush writes many level-0 tables as one run.
 * The stall counted tables and stopped writers while the strategy, counting runs, saw no work. */
static void tiered_stall_counts_runs_not_tables(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_vfs(o, mem));
  CHECK_OK(strata_options_set_memtable_size(o, 64 << 10));
  CHECK_OK(strata_options_set_table_target_size(o, 1 << 10));
  CHECK_OK(strata_options_set_compaction_tiered(o, 4, -1, 0));
  CHECK_OK(strata_options_set_level0_stall(o, 4, 5));
  strata_db *db = NULL;
  CHECK_OK(strata_open("tierstalldb", o, &db));
  job j = {write_job, db, NULL, 0};
  CHECK(run_guarded(&j, 20000));
  CHECK_OK(j.st);
  CHECK_OK(strata_flush(db));
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.flushes >= 2);
  uint64_t tables = 0, runs = 0;
  for (uint32_t l = 0; l < s.level_count; l++) tables += s.levels[l].tables, runs += s.levels[l].runs;
  CHECK(tables > 2 * runs); /* runs of many tables: what the stall used to count */
  char buf[8];
  int found = 0;
  size_t vlen = 0;
  CHECK_OK(strata_get_into(db, NULL, "key000399", 9, &found, buf, sizeof buf, &vlen));
  CHECK(found && vlen == 500);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  vfs_destroy(mem);
}

/* A huge time-to-live wrapped around (created + ttl) and dropped every table at once. */
static void fifo_huge_ttl_drops_nothing(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  strata_options *o = fresh();
  CHECK(o);
  CHECK_OK(strata_options_set_vfs(o, mem));
  CHECK_OK(strata_options_set_background_threads(o, 0));
  CHECK_OK(strata_options_set_compaction_fifo(o, 0, UINT64_MAX));
  strata_db *db = NULL;
  CHECK_OK(strata_open("fifottldb", o, &db));
  CHECK_OK(put_range(db, 0, 50, 40));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 0));
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  CHECK_EQ_U64(s.compactions, 0);
  CHECK_EQ_U64(s.levels[0].tables, 1);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  vfs_destroy(mem);
}

int main(void) {
  RUN(sizes_accept_their_bounds_and_refuse_beyond);
  RUN(map_tables_is_a_flag_off_by_default);
  RUN(compression_and_bloom_bits_are_checked);
  RUN(compaction_knobs_are_checked);
  RUN(open_revalidates_the_whole_set);
  RUN(unknown_bound_kinds_are_refused);
  RUN(tiered_run_trigger_one_compacts_and_returns);
  RUN(tiered_stall_counts_runs_not_tables);
  RUN(fifo_huge_ttl_drops_nothing);
  return harness_finish();
}
