/* The invariant macros (src/util/check.h) and the lock-held assertions (src/util/sync.h).
 *
 * check.h is included here as a release build includes it (NDEBUG is defined just before), so the
 * defensive checks of this file take their release branch whatever the build; everything else,
 * sync.h's types included, is seen as the library was built (LIB_DEBUG). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "util/sync.h"

#ifdef NDEBUG
#define LIB_DEBUG 0
#else
#define LIB_DEBUG 1
#define NDEBUG 1
#endif
#include "util/check.h"

#if LIB_DEBUG && defined(__linux__) && !defined(__EMSCRIPTEN__) && !defined(__wasi__)
#define HAVE_FORK 1
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#else
#define HAVE_FORK 0
#endif

static int checks_passed;
static int guard_line;

static strata_status *guarded_divide(int num, int den, int *out) {
  guard_line = __LINE__ + 1;
  STRATA_DEFENSIVE(den != 0);
  *out = num / den;
  checks_passed++;
  return NULL;
}

static void defensive_check_returns_corruption_naming_file_and_line_in_release(void) {
  int q = 0;
  CHECK_OK(guarded_divide(7, 2, &q));
  CHECK_EQ_U64(q, 3);
  int line = guard_line;
  strata_status *st = guarded_divide(1, 0, &q);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION);
  char where[64];
  snprintf(where, sizeof where, "tests/c/test_check.c:%d", line);
  int named = strstr(strata_status_message(st), where) != NULL;
  int says_what = strstr(strata_status_message(st), "den != 0") != NULL;
  if (!named || !says_what) harness_fail(__FILE__, __LINE__, "message: %s", strata_status_message(st));
  strata_status_free(st);
  CHECK_EQ_U64(checks_passed, 1); /* the guarded code did not run */
}

static void never_and_always_take_the_defensive_branch_in_release(void) {
  int n = 5, taken = 0;
  if (STRATA_NEVER(n > 3)) taken |= 1;
  if (!STRATA_ALWAYS(n < 3)) taken |= 2;
  if (STRATA_NEVER(n > 10)) taken |= 4;
  if (!STRATA_ALWAYS(n > 1)) taken |= 8;
  CHECK_EQ_U64(taken, 3);
}

#if HAVE_FORK
/* Runs fn in a child; 1 when it died of SIGABRT (a debug check firing). */
static int aborts(void (*fn)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    fclose(stderr); /* the expected failure message is noise here */
    fn();
    _exit(0);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 0;
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void unlock_unheld(void) {
  sync_mutex m;
  strata_status_free(sync_mutex_init(&m));
  sync_mutex_unlock(&m);
}
static void assert_held_unheld(void) {
  sync_mutex m;
  strata_status_free(sync_mutex_init(&m));
  sync_mutex_assert_held(&m);
}
static void assert_not_held_while_held(void) {
  sync_mutex m;
  strata_status_free(sync_mutex_init(&m));
  sync_mutex_lock(&m);
  sync_mutex_assert_not_held(&m);
}
static void held_assertions_pass(void) {
  sync_mutex m;
  strata_status_free(sync_mutex_init(&m));
  sync_mutex_assert_not_held(&m);
  sync_mutex_lock(&m);
  sync_mutex_assert_held(&m);
  sync_mutex_unlock(&m);
  sync_mutex_assert_not_held(&m);
  if (sync_mutex_trylock(&m)) {
    sync_mutex_assert_held(&m);
    sync_mutex_unlock(&m);
  }
  sync_mutex_destroy(&m);
}
static void internal_abort(void) { check_abort(__FILE__, __LINE__, "test"); }

static void lock_held_assertions_fire_in_debug_builds(void) {
  CHECK(!aborts(held_assertions_pass));
  CHECK(aborts(unlock_unheld));
  CHECK(aborts(assert_held_unheld));
  CHECK(aborts(assert_not_held_while_held));
  CHECK(aborts(internal_abort));
}
#endif

#if STRATA_TESTCASES
/* The boundaries the scenario below must reach: a file and the boundary's expression. */
static const struct {
  const char *file;
  const char *expr;
} boundaries[] = {
    {"src/memtable/skiplist.c", "height > max_height"},
    {"src/table/block_writer.c", "bw->counter == bw->interval"},
    {"src/table/table_writer.c", "!new_key && block_writer_empty"},
    {"src/table/table_reader.c", "slice_equal(user_key, buffer_slice(&r->meta.max_key))"},
    {"src/version/version_history.c", "kept < h->count"},
    {"src/version/version_history.c", "kept > 1"},
    {"src/tree/tree.c", "t->sealed_count == t->sealed_cap"},
    {"src/tree/tree_read.c", "!needed && !memtable_is_empty(mt)"},
};
#define BOUNDARIES (sizeof boundaries / sizeof boundaries[0])
static unsigned long hits[BOUNDARIES];
static unsigned long unknown_hits;

/* Called by the library's STRATA_TESTCASE (a weak reference there, defined here). */
void strata_testcase_hit(const char *where) {
  for (size_t i = 0; i < BOUNDARIES; i++)
    if (strstr(where, boundaries[i].file) && strstr(where, boundaries[i].expr)) {
      hits[i]++;
      return;
    }
  unknown_hits++;
}

static strata_status *scenario(strata_db *db) {
  char k[32], v[64];
  /* versions of one key span blocks: many overwrites of "hot" between flushes */
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 400; i++) {
      snprintf(k, sizeof k, "key%05d", i);
      snprintf(v, sizeof v, "value-%d-%d", round, i);
      STATUS_TRY(strata_put(db, k, strlen(k), v, strlen(v), 0));
      snprintf(v, sizeof v, "hot-%d-%d", round, i);
      STATUS_TRY(strata_put(db, "hot", 3, v, strlen(v), 0));
    }
    STATUS_TRY(strata_flush(db));
  }
  /* installs while snapshots pin older super versions: one, then two */
  strata_snapshot *snap = NULL, *snap2 = NULL;
  STATUS_TRY(strata_snapshot_acquire(db, &snap));
  strata_status *st = strata_put(db, "after", 5, "x", 1, 0);
  if (!st) st = strata_flush(db);
  if (!st) st = strata_snapshot_acquire(db, &snap2);
  if (!st) st = strata_put(db, "after2", 6, "y", 1, 0);
  if (!st) st = strata_flush(db);
  if (snap2) strata_snapshot_release(snap2);
  /* an iterator at snap skips the memtable that was active then: it holds only newer writes */
  strata_iterator *it = NULL;
  if (!st) st = strata_iterator_new(db, snap, NULL, &it);
  if (!st) {
    unsigned long n = 0;
    for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) n++;
    st = strata_iterator_status(it);
    if (!st && n != 401) st = status_new(STRATA_CORRUPTION, "%lu entries at the snapshot, not 401", n);
  }
  strata_iterator_close(it);
  /* the last key of a table, read from it */
  int found = 0;
  void *val = NULL;
  size_t vlen = 0;
  if (!st) st = strata_get(db, snap, "key00399", 8, &found, &val, &vlen);
  strata_free(val);
  if (!st && !found) st = status_new(STRATA_NOT_FOUND, "key00399 missing");
  strata_snapshot_release(snap);
  return st;
}

static void named_boundaries_are_reached(void) {
  vfs *fs = NULL;
  CHECK_OK(vfs_memory_new(&fs));
  strata_options *o = NULL;
  strata_status *st = strata_options_new(&o);
  strata_db *db = NULL;
  if (!st) {
    st = strata_options_set_vfs(o, fs);
    if (!st) st = strata_options_set_background_threads(o, 0);
    if (!st) st = strata_options_set_block_size(o, 256);
    if (!st) st = strata_options_set_memtable_size(o, 4 << 10); /* several sealed memtables per flush */
    if (!st) st = strata_options_set_max_sealed_memtables(o, 16);
    if (!st) st = strata_open("db", o, &db);
  }
  strata_options_free(o);
  if (!st) st = scenario(db);
  strata_status *cst = strata_close(db);
  vfs_destroy(fs);
  CHECK_OK(st);
  CHECK_OK(cst);
  for (size_t i = 0; i < BOUNDARIES; i++)
    if (!hits[i]) harness_fail(__FILE__, __LINE__, "boundary not reached: %s: %s", boundaries[i].file, boundaries[i].expr);
  /* every STRATA_TESTCASE in the engine is listed above, so a new one gets a scenario too */
  CHECK_EQ_U64(unknown_hits, 0);
}
#endif

int main(void) {
  RUN(defensive_check_returns_corruption_naming_file_and_line_in_release);
  RUN(never_and_always_take_the_defensive_branch_in_release);
#if HAVE_FORK
  RUN(lock_held_assertions_fire_in_debug_builds);
#endif
#if STRATA_TESTCASES
  RUN(named_boundaries_are_reached);
#endif
  return harness_finish();
}
