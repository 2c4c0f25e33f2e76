/*
 * Compaction under load: concurrent writers, readers and compactions (threaded builds; run it
 * under ThreadSanitizer), level 0 bounded under random writes with and without threads, and a
 * crash at every I/O step of a compaction.
 *
 * Sizes: the random-write run writes 1,000,000 keys in optimised native builds, 100,000 under
 * the sanitizers (Debug) and 60,000 in the WebAssembly builds; STRATA_STRESS_KEYS overrides.
 *
 * Known failure (not compaction's): the concurrent test sometimes finds a snapshot that reads a
 * batch torn -- some keys at a round newer than the snapshot. It happens on main without any
 * compaction too (STRATA_STRESS_NO_COMPACTION=1 runs it with FIFO and no compacting thread), so
 * it sits in the write/flush/read path; the test is kept to catch it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "strata.h"
#include "util/sync.h"
#include "vfs/vfs_fault.h"

#if defined(__EMSCRIPTEN__) || defined(__wasi__)
#define DEFAULT_KEYS 60000
#elif defined(NDEBUG)
#define DEFAULT_KEYS 1000000
#else
#define DEFAULT_KEYS 100000
#endif

static strata_options *options(vfs *fs, int background) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  EXPECT_OK(strata_options_set_memtable_size(o, 64 << 10));
  EXPECT_OK(strata_options_set_table_target_size(o, 64 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 1024));
  EXPECT_OK(strata_options_set_background_threads(o, background));
  EXPECT_OK(strata_options_set_vfs(o, fs));
  return o;
}

/* --- level 0 stays bounded ------------------------------------------------------------- */

static void random_writes_keep_level0_bounded(int background) {
  const char *env = getenv("STRATA_STRESS_KEYS");
  long keys = env ? strtol(env, NULL, 0) : DEFAULT_KEYS;
  vfs *fs = NULL;
  CHECK_OK(vfs_memory_new(&fs));
  strata_options *o = options(fs, background);
  strata_db *db = NULL;
  CHECK_OK(strata_open("l0db", o, &db));
  harness_rng rng = {0x9e3779b97f4a7c15ull};
  char k[24], v[40];
  uint32_t max_l0 = 0;
  strata_stats s;
  for (long i = 0; i < keys; i++) {
    uint64_t r = harness_rng_next(&rng);
    snprintf(k, sizeof k, "%016llx", (unsigned long long)(r % (uint64_t)(keys * 4)));
    snprintf(v, sizeof v, "value-%ld-%llu", i, (unsigned long long)(r >> 40));
    CHECK_OK(strata_put(db, k, strlen(k), v, strlen(v), 0));
    if (!background && i % 500 == 499) { /* the host's share of work between requests */
      int more = 0;
      CHECK_OK(strata_maintenance_step(db, 256 << 10, &more));
    }
    if (i % 1000 == 999) {
      CHECK_OK(strata_get_stats(db, &s));
      if (s.levels[0].tables > max_l0) max_l0 = s.levels[0].tables;
    }
  }
  CHECK_OK(strata_get_stats(db, &s));
  printf("%s: %ld random writes, level 0 at most %u tables, write amplification %.2f, %llu compactions, "
         "%llu stalls, %llu slowdowns; levels:",
         background ? "threaded" : "maintenance steps", keys, max_l0, s.write_amplification,
         (unsigned long long)s.compactions, (unsigned long long)s.write_stalls, (unsigned long long)s.write_slowdowns);
  for (uint32_t l = 0; l < s.level_count; l++) printf(" %u", s.levels[l].tables);
  printf("\n");
  CHECK(max_l0 <= 30); /* the stop mark: writers wait for compaction beyond it */
  CHECK(s.compactions > 0);
  /* the last write of a few keys reads back */
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_open("l0db", o, &db));
  rng.state = 0x9e3779b97f4a7c15ull;
  for (long i = 0; i < keys; i++) {
    uint64_t r = harness_rng_next(&rng);
    if (i < keys - 100) continue;
    snprintf(k, sizeof k, "%016llx", (unsigned long long)(r % (uint64_t)(keys * 4)));
    void *got = NULL;
    size_t len = 0;
    int found = 0;
    CHECK_OK(strata_get(db, NULL, k, strlen(k), &found, &got, &len));
    CHECK(found);
    strata_free(got);
  }
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  vfs_destroy(fs);
}

static void level0_stays_bounded_with_maintenance_steps(void) { random_writes_keep_level0_bounded(0); }

static void level0_stays_bounded_with_background_threads(void) {
  if (!sync_threads_available()) {
    printf("single-threaded build: the maintenance-step variant covers this\n");
    CHECK(!sync_threads_available());
    return;
  }
  random_writes_keep_level0_bounded(1);
}

/* --- a crash at every step of a compaction ----------------------------------------------- */

#define CRASH_KEYS 300

/* A database whose data sits in several level-0 tables, every write acknowledged durably. */
static strata_status *crash_setup(vfs *faulty, const char *name, strata_options *o, strata_db **db) {
  STATUS_TRY(strata_open(name, o, db));
  char k[24], v[40];
  for (int f = 0; f < 5; f++) {
    for (int i = f; i < CRASH_KEYS; i += 3) {
      snprintf(k, sizeof k, "key%05d", i);
      snprintf(v, sizeof v, "gen%d-%05d", f, i);
      STATUS_TRY(strata_put(*db, k, strlen(k), v, strlen(v), 0));
    }
    snprintf(k, sizeof k, "key%05d", f * 7);
    STATUS_TRY(strata_delete(*db, k, strlen(k), 1)); /* synced: everything before it is durable */
    STATUS_TRY(strata_flush(*db));
  }
  (void)faulty;
  return NULL;
}

/* What crash_setup left: the newest generation that wrote each key, or deleted. */
static void expected_value(int i, char *out, size_t cap) {
  int last = -1, deleted_at = -1;
  for (int f = 0; f < 5; f++) {
    if (i >= f && (i - f) % 3 == 0) last = f;
    if (i == f * 7) deleted_at = f;
  }
  if (deleted_at >= 0 && deleted_at >= last) snprintf(out, cap, "<absent>");
  else if (last < 0) snprintf(out, cap, "<absent>");
  else snprintf(out, cap, "gen%d-%05d", last, i);
}

static int check_all(strata_db *db, uint64_t step) {
  char k[24], want[40], buf[40];
  for (int i = 0; i < CRASH_KEYS; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    expected_value(i, want, sizeof want);
    int found = 0;
    size_t len = 0;
    strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, buf, sizeof buf - 1, &len);
    if (st) {
      harness_fail(__FILE__, __LINE__, "step %llu: get %s: %s", (unsigned long long)step, k, strata_status_message(st));
      strata_status_free(st);
      return 0;
    }
    if (found) buf[len < sizeof buf - 1 ? len : sizeof buf - 1] = 0;
    else snprintf(buf, sizeof buf, "<absent>");
    if (strcmp(buf, want)) {
      harness_fail(__FILE__, __LINE__, "step %llu: %s = %s, want %s", (unsigned long long)step, k, buf, want);
      return 0;
    }
  }
  return 1;
}

static uint64_t op_total(const vfs_fault_counters *c) {
  return c->opens + c->reads + c->writes + c->truncates + c->removes + c->replaces + c->meta + c->syncs + c->dir_syncs;
}

static void crash_at_every_step_of_a_compaction_keeps_acknowledged_data(void) {
  vfs *mem = NULL, *faulty = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_OK(vfs_fault_new(mem, &faulty));
  strata_options *o = options(faulty, 0);
  EXPECT_OK(strata_options_set_memtable_size(o, 1 << 20));
  EXPECT_OK(strata_options_set_table_target_size(o, 2048)); /* several output tables */
  EXPECT_OK(strata_options_set_block_size(o, 256));
  EXPECT_OK(strata_options_set_block_cache_size(o, 0));
  /* a dry run counts the operations of one major compaction */
  strata_db *db = NULL;
  CHECK_OK(crash_setup(faulty, "dry", o, &db));
  vfs_fault_reset_counters(faulty);
  CHECK_OK(strata_compact(db, 1));
  vfs_fault_counters c;
  vfs_fault_get_counters(faulty, &c);
  uint64_t total = op_total(&c);
  CHECK(check_all(db, 0));
  CHECK_OK(strata_close(db));
  CHECK(total > 10);
  uint64_t failed_runs = 0;
  char name[32];
  for (uint64_t n = 1; n <= total + 1; n++) {
    snprintf(name, sizeof name, "crash%llu", (unsigned long long)n);
    CHECK_OK(crash_setup(faulty, name, o, &db));
    vfs_fault_fail_from(faulty, VFS_FAULT_ALL, n); /* the machine dies at operation n */
    strata_status *st = strata_compact(db, 1);
    failed_runs += st != NULL;
    strata_status_free(st);
    CHECK_OK(vfs_fault_crash(faulty, n)); /* unsynced bytes lost or torn */
    strata_status_free(strata_close(db));
    CHECK_OK(strata_open(name, o, &db));
    if (!check_all(db, n)) break;
    /* the database still works: compact again and check once more */
    CHECK_OK(strata_compact(db, 1));
    if (!check_all(db, n)) break;
    CHECK_OK(strata_close(db));
  }
  printf("%llu crash points, %llu compactions cut short\n", (unsigned long long)total + 1,
         (unsigned long long)failed_runs);
  /* failures after the manifest names the new tables (deleting the old files) are swallowed: the
   * compaction has happened, the files are orphans for the next open */
  CHECK(failed_runs > total / 2 && failed_runs <= total);
  strata_options_free(o);
  vfs_destroy(faulty);
  vfs_destroy(mem);
}

/* --- concurrent writers, readers and compactions ---------------------------------------- */

#if STRATA_THREADS
#define GROUP 8
#define ROUNDS 3000

typedef struct shared {
  strata_db *db;
  atomic_flag_int done;
  atomic_flag_int failed;
} shared;

static void note_failure(shared *s, strata_status *st, const char *what) {
  if (!st) return;
  fprintf(stderr, "%s: %s\n", what, strata_status_message(st));
  strata_status_free(st);
  atomic_flag_set(&s->failed, 1);
}

/* Writes groups of keys in one batch, all with the round number, so readers can check atomicity. */
static void *writer(void *arg) {
  shared *s = arg;
  strata_batch *b = NULL;
  note_failure(s, strata_batch_new(&b), "batch");
  char k[24], v[24];
  for (int round = 1; b && round <= ROUNDS && !atomic_flag_get(&s->failed); round++) {
    strata_batch_clear(b);
    int group = round % 16;
    for (int j = 0; j < GROUP; j++) {
      snprintf(k, sizeof k, "g%02d-%d", group, j);
      snprintf(v, sizeof v, "%08d", round);
      note_failure(s, strata_batch_put(b, k, strlen(k), v, strlen(v)), "put");
    }
    if (round % 5 == 0) { /* and a delete that compaction must honour */
      snprintf(k, sizeof k, "d%05d", round - 5);
      note_failure(s, strata_batch_delete(b, k, strlen(k)), "delete");
    }
    snprintf(k, sizeof k, "d%05d", round);
    note_failure(s, strata_batch_put(b, k, strlen(k), "x", 1), "put");
    note_failure(s, strata_write(s->db, b, 0), "write");
  }
  strata_batch_free(b);
  atomic_flag_set(&s->done, 1);
  return NULL;
}

/* Takes snapshots and checks each group reads as one batch, twice, across compactions. */
static void *reader(void *arg) {
  shared *s = arg;
  char k[24], first[24], buf[24];
  while (!atomic_flag_get(&s->done) && !atomic_flag_get(&s->failed)) {
    strata_snapshot *snap = NULL;
    note_failure(s, strata_snapshot_acquire(s->db, &snap), "snapshot");
    if (!snap) break;
    for (int pass = 0; pass < 2; pass++)
      for (int group = 0; group < 16; group++) {
        for (int j = 0; j < GROUP; j++) {
          snprintf(k, sizeof k, "g%02d-%d", group, j);
          int found = 0;
          size_t len = 0;
          note_failure(s, strata_get_into(s->db, snap, k, strlen(k), &found, buf, sizeof buf - 1, &len), "get");
          buf[found ? (len < sizeof buf - 1 ? len : sizeof buf - 1) : 0] = 0;
          if (j == 0) strcpy(first, buf);
          else if (strcmp(first, buf)) {
            fprintf(stderr, "group %d torn at snapshot %llu: %s vs %s\n", group,
                    (unsigned long long)strata_snapshot_seqno(snap), first, buf);
            atomic_flag_set(&s->failed, 1);
          }
        }
      }
    strata_snapshot_release(snap);
  }
  return NULL;
}

static void *compacter(void *arg) {
  shared *s = arg;
  if (getenv("STRATA_STRESS_NO_COMPACTION")) return NULL;
  for (int i = 0; !atomic_flag_get(&s->done) && !atomic_flag_get(&s->failed); i++)
    note_failure(s, strata_compact(s->db, i % 10 == 9), "compact");
  return NULL;
}
#endif

static void compaction_under_concurrent_writers_and_readers(void) {
#if STRATA_THREADS
  vfs *fs = NULL;
  CHECK_OK(vfs_memory_new(&fs));
  strata_options *o = options(fs, 1);
  EXPECT_OK(strata_options_set_memtable_size(o, 8 << 10));
  EXPECT_OK(strata_options_set_table_target_size(o, 4 << 10));
  if (getenv("STRATA_STRESS_NO_COMPACTION")) EXPECT_OK(strata_options_set_compaction_fifo(o, 0, 0));
  shared s;
  memset(&s, 0, sizeof s);
  CHECK_OK(strata_open("concurrent", o, &s.db));
  sync_thread threads[4];
  void *(*fns[4])(void *) = {writer, reader, reader, compacter};
  for (int i = 0; i < 4; i++) CHECK_OK(sync_thread_start(&threads[i], fns[i], &s));
  for (int i = 0; i < 4; i++) sync_thread_join(&threads[i]);
  CHECK(!atomic_flag_get(&s.failed));
  /* everything settles to what the writer wrote last */
  CHECK_OK(strata_compact(s.db, 1));
  char k[24], buf[24];
  for (int round = ROUNDS - 15; round <= ROUNDS; round++) {
    snprintf(k, sizeof k, "g%02d-%d", round % 16, GROUP - 1);
    int found = 0;
    size_t len = 0;
    CHECK_OK(strata_get_into(s.db, NULL, k, strlen(k), &found, buf, sizeof buf - 1, &len));
    buf[found && len < sizeof buf ? len : 0] = 0;
    CHECK(found && len == 8 && atoi(buf) == round);
  }
  for (int round = 1; round <= ROUNDS; round++) {
    snprintf(k, sizeof k, "d%05d", round);
    int found = 0;
    size_t len = 0;
    CHECK_OK(strata_get_into(s.db, NULL, k, strlen(k), &found, buf, sizeof buf, &len));
    CHECK(found == !(round + 5 <= ROUNDS && (round + 5) % 5 == 0));
  }
  strata_stats st;
  CHECK_OK(strata_get_stats(s.db, &st));
  printf("concurrent: %llu compactions, %llu stalls, %llu slowdowns\n", (unsigned long long)st.compactions,
         (unsigned long long)st.write_stalls, (unsigned long long)st.write_slowdowns);
  CHECK(st.compactions > 0);
  CHECK_OK(strata_close(s.db));
  strata_options_free(o);
  vfs_destroy(fs);
#else
  printf("single-threaded build: no concurrent threads to run\n");
  CHECK(!sync_threads_available());
#endif
}

/* --- a writer stalled on level 0 wakes whichever thread empties it ----------------------- */

#if STRATA_THREADS
/* Holds the merge of the thread that arms it at a gate until the test opens it. */
typedef struct gate {
  sync_mutex mu;
  sync_cond cv;
  int entered, open;
} gate;

static _Thread_local int merges_wait_at_gate; /* set by the thread whose merge is held */

static strata_filter_verdict gate_filter(void *ctx, const void *key, size_t klen, const void *value, size_t vlen,
                                         const void **new_value, size_t *new_len) {
  (void)key, (void)klen, (void)value, (void)vlen, (void)new_value, (void)new_len;
  gate *g = ctx;
  if (!merges_wait_at_gate) return STRATA_FILTER_KEEP;
  sync_mutex_lock(&g->mu);
  g->entered = 1;
  sync_cond_broadcast(&g->cv);
  while (!g->open) sync_cond_wait(&g->cv, &g->mu);
  sync_mutex_unlock(&g->mu);
  return STRATA_FILTER_KEEP;
}

typedef struct stall_run {
  strata_db *db;
  atomic_flag_int finished;
  strata_status *st;
} stall_run;

static void *major_at_gate(void *arg) {
  stall_run *r = arg;
  merges_wait_at_gate = 1;
  r->st = strata_compact(r->db, 1);
  atomic_flag_set(&r->finished, 1);
  return NULL;
}

static void *stalled_put(void *arg) {
  stall_run *r = arg;
  r->st = strata_put(r->db, "late", 4, "v", 1, 0);
  atomic_flag_set(&r->finished, 1);
  return NULL;
}

static strata_status *put_and_flush(strata_db *db, int n) {
  char k[16];
  snprintf(k, sizeof k, "key%03d", n);
  STATUS_TRY(strata_put(db, k, strlen(k), "v", 1, 0));
  return strata_flush(db);
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Waits for a flag that the code under test must set; the bound only turns a hang into a failure. */
static int wait_flag(const atomic_flag_int *f, long bound_ms) {
  for (long waited = 0; !atomic_flag_get(f); waited++) {
    if (waited >= bound_ms) return 0;
    pause_ms(1);
  }
  return 1;
}
#endif

/*
 * A writer stops at the level-0 stop mark while a major compaction holds level 0's older tables;
 * the compaction thread has no job (level 0 is busy). When the major compaction installs, level 0
 * is under the stop mark and under the trigger, so the compaction thread still has nothing to do:
 * the writer must be woken by the manual compaction itself (it slept for ever, the hang of
 * compaction_under_concurrent_writers_and_readers on a loaded machine).
 */
static void writer_stalled_on_level0_wakes_when_a_manual_compaction_empties_it(void) {
#if STRATA_THREADS
  vfs *fs = NULL;
  CHECK_OK(vfs_memory_new(&fs));
  strata_options *o = options(fs, 1);
  gate g;
  memset(&g, 0, sizeof g);
  CHECK_OK(sync_mutex_init(&g.mu));
  CHECK_OK(sync_cond_init(&g.cv));
  EXPECT_OK(strata_options_set_memtable_size(o, 1 << 20)); /* tables come from explicit flushes only */
  EXPECT_OK(strata_options_set_level0_trigger(o, 4));
  EXPECT_OK(strata_options_set_level0_stall(o, 4, 4));
  EXPECT_OK(strata_options_set_compaction_filter(o, gate_filter, &g));
  strata_db *db = NULL;
  CHECK_OK(strata_open("stall", o, &db));
  CHECK_OK(put_and_flush(db, 0));
  CHECK_OK(put_and_flush(db, 1)); /* two level-0 tables: under the trigger */
  stall_run major = {db, {0}, NULL}, writer = {db, {0}, NULL};
  atomic_flag_set(&major.finished, 0);
  atomic_flag_set(&writer.finished, 0);
  sync_thread major_thread, writer_thread;
  CHECK_OK(sync_thread_start(&major_thread, major_at_gate, &major));
  sync_mutex_lock(&g.mu);
  while (!g.entered) sync_cond_wait(&g.cv, &g.mu); /* the major merge holds both tables */
  sync_mutex_unlock(&g.mu);
  CHECK_OK(put_and_flush(db, 2));
  CHECK_OK(put_and_flush(db, 3)); /* level 0 at the stop mark, its old tables busy */
  strata_stats st;
  CHECK_OK(strata_get_stats(db, &st));
  CHECK_EQ_U64(st.levels[0].tables, 4);
  uint64_t stalls_before = st.write_stalls;
  CHECK_OK(sync_thread_start(&writer_thread, stalled_put, &writer));
  for (long waited = 0; st.write_stalls == stalls_before && waited < 60000; waited++) { /* the writer stops */
    pause_ms(1);
    CHECK_OK(strata_get_stats(db, &st));
  }
  CHECK(st.write_stalls > stalls_before);
  CHECK(!atomic_flag_get(&writer.finished));
  pause_ms(50); /* into its wait */
  sync_mutex_lock(&g.mu);
  g.open = 1;
  sync_cond_broadcast(&g.cv);
  sync_mutex_unlock(&g.mu);
  sync_thread_join(&major_thread);
  CHECK_OK(major.st);
  if (!wait_flag(&writer.finished, 60000)) {
    /* the writer sleeps holding the write lock: nothing can close the database */
    harness_fail(__FILE__, __LINE__, "the writer stalled on level 0 was never woken");
    printf("FAIL %s (stopping here: its writer sleeps for ever)\n", __func__);
    exit(1);
  }
  sync_thread_join(&writer_thread);
  CHECK_OK(writer.st);
  CHECK_OK(strata_get_stats(db, &st));
  CHECK(st.levels[0].tables < 4);
  char buf[4];
  size_t len = 0;
  int found = 0;
  CHECK_OK(strata_get_into(db, NULL, "late", 4, &found, buf, sizeof buf, &len));
  CHECK(found && len == 1 && buf[0] == 'v');
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  sync_cond_destroy(&g.cv);
  sync_mutex_destroy(&g.mu);
  vfs_destroy(fs);
#else
  printf("single-threaded build: a writer at the stop mark compacts inline\n");
  CHECK(!sync_threads_available());
#endif
}

int main(void) {
  RUN(writer_stalled_on_level0_wakes_when_a_manual_compaction_empties_it);
  RUN(crash_at_every_step_of_a_compaction_keeps_acknowledged_data);
  RUN(compaction_under_concurrent_writers_and_readers);
  RUN(level0_stays_bounded_with_maintenance_steps);
  RUN(level0_stays_bounded_with_background_threads);
  return harness_finish();
}
