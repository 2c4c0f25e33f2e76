/*
 * Errors that heal: a full disk or a failing device under the database (the fault VFS), with
 * background threads and with maintenance steps. A background error from STRATA_IO is retried
 * with backoff and clears once the cause is gone; strata_resume retries at once; corruption stays.
 * A failed file creation blocks nothing later, and a write that fails was not applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "journal/journal_format.h"
#include "strata.h"
#include "util/clock.h"
#include "vfs/vfs_fault.h"

#define DB_DIR "healdb"
#define BIG 6000 /* three values of this size fill the 16 KiB memtable */

static vfs *mem, *faulty;
static int threads; /* the variant: background threads, or maintenance steps */

static int setup_threads(void) {
  threads = 1;
  strata_status *st = vfs_memory_new(&mem);
  if (!st) st = vfs_fault_new(mem, &faulty);
  if (st) harness_fail(__FILE__, __LINE__, "setup: %s", strata_status_message(st));
  strata_status_free(st);
  return faulty != NULL;
}

static int setup_steps(void) {
  int ok = setup_threads();
  threads = 0;
  return ok;
}

static void teardown(void) {
  if (faulty) vfs_destroy(faulty);
  if (mem) vfs_destroy(mem);
  faulty = mem = NULL;
}

static strata_options *heal_options(uint32_t max_sealed) {
  strata_options *o = NULL;
  if (!EXPECT_OK(strata_options_new(&o))) return NULL;
  EXPECT_OK(strata_options_set_vfs(o, faulty));
  EXPECT_OK(strata_options_set_memtable_size(o, 16 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 512));
  EXPECT_OK(strata_options_set_compression(o, STRATA_COMPRESSION_NONE));
  EXPECT_OK(strata_options_set_background_threads(o, threads));
  EXPECT_OK(strata_options_set_max_sealed_memtables(o, max_sealed));
  return o;
}

/* A put of a BIG value whose bytes name the key. */
static strata_status *put_big(strata_db *db, const char *key) {
  static char value[BIG];
  memset(value, key[0], sizeof value);
  return strata_put(db, key, strlen(key), value, sizeof value, 0);
}

/* 1 when key holds its BIG value, 0 when absent; -1 (recorded) otherwise. */
static int has_big(strata_db *db, const char *key) {
  int found = 0;
  void *v = NULL;
  size_t len = 0;
  strata_status *st = strata_get(db, NULL, key, strlen(key), &found, &v, &len);
  if (st) {
    harness_fail(__FILE__, __LINE__, "get %s: %s", key, strata_status_message(st));
    strata_status_free(st);
    return -1;
  }
  int ok = found && len == BIG && ((const char *)v)[0] == key[0] && ((const char *)v)[BIG - 1] == key[0];
  strata_free(v);
  if (found && !ok) harness_fail(__FILE__, __LINE__, "%s holds a wrong value", key);
  return found ? (ok ? 1 : -1) : 0;
}

/* The bytes one more put_big appends to the journal, measured on a put of the same size. */
static uint64_t probe_put(strata_db *db, const char *key) {
  vfs_fault_counters before, after;
  vfs_fault_get_counters(faulty, &before);
  if (!EXPECT_OK(put_big(db, key))) return 0;
  vfs_fault_get_counters(faulty, &after);
  return after.bytes_written - before.bytes_written;
}

static uint64_t flushes(strata_db *db) {
  strata_stats s;
  memset(&s, 0, sizeof s);
  EXPECT_OK(strata_get_stats(db, &s));
  return s.flushes;
}

static int message_has(const strata_status *st, const char *what) {
  return strstr(strata_status_message(st), what) != NULL;
}

static void sleep_ms(uint64_t ms) {
  uint64_t until = clock_monotonic_ms() + ms;
  while (clock_monotonic_ms() < until) {
  }
}

/* Opens, writes a and b, then leaves room for c and the next journal's header only: c fills
 * the memtable and seals it, and the flush of it cannot be written. */
static strata_status *fill_until_flush_fails(strata_db *db) {
  uint64_t record = probe_put(db, "a");
  if (!record) return strata_put(db, "", 0, "", 0, 0); /* recorded already */
  strata_status *st = put_big(db, "b");
  if (st) return st;
  vfs_fault_enospc(faulty, record + JOURNAL_HEADER_SIZE);
  return put_big(db, "c");
}

/* After ENOSPC the flush fails; once space is back it succeeds by itself (threads: the retry
 * timer; steps: the host's next step), and every acknowledged write is there. */
static void background_flush_error_heals_after_space_returns(void) {
  strata_options *o = heal_options(threads ? 0 : 4); /* threads: the next writer waits for the flush */
  strata_db *db = NULL;
  CHECK_OK(strata_open(DB_DIR, o, &db));
  CHECK_OK(fill_until_flush_fails(db));
  CHECK(has_big(db, "c") == 1);
  if (threads) {
    /* d waits for the failing flush: it must get the error, not hang */
    strata_status *st = put_big(db, "d");
    CHECK(st != NULL);
    int from_flush = message_has(st, "background flush failed");
    strata_status_free(st);
    CHECK(from_flush);
    sleep_ms(100); /* retries meanwhile fail: the disk is still full */
    st = put_big(db, "d");
    CHECK(strata_status_code(st) == STRATA_IO && message_has(st, "retrying"));
    strata_status_free(st);
  } else {
    int more = 0;
    CHECK_CODE(strata_maintenance_step(db, 1 << 20, &more), STRATA_IO);
    CHECK_CODE(strata_maintenance_step(db, 1 << 20, &more), STRATA_IO);
    CHECK_CODE(put_big(db, "d"), STRATA_IO); /* the journal has no room either */
  }
  CHECK(has_big(db, "d") == 0); /* failed writes were not applied */
  CHECK_EQ_U64(flushes(db), 0);

  vfs_fault_clear(faulty); /* space is back */
  uint64_t start = clock_monotonic_ms();
  if (threads) {
    strata_status *st = NULL;
    while ((st = put_big(db, "e")) != NULL && clock_monotonic_ms() - start < 3000) {
      strata_status_free(st);
      sleep_ms(5);
    }
    CHECK_OK(st);
    CHECK(clock_monotonic_ms() - start < 1500); /* within the 1 s backoff cap, and some */
  } else {
    int more = 1;
    while (more) CHECK_OK(strata_maintenance_step(db, 1 << 20, &more));
    CHECK_OK(put_big(db, "e"));
  }
  CHECK_OK(strata_flush(db));
  CHECK(flushes(db) >= 1);
  CHECK_OK(put_big(db, "f"));
  CHECK_OK(strata_close(db));

  CHECK_OK(strata_open(DB_DIR, o, &db));
  const char *kept[] = {"a", "b", "c", "e", "f"};
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) CHECK(has_big(db, kept[i]) == 1);
  CHECK(has_big(db, "d") == 0);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

static strata_status *count_name(void *ctx, const char *name, int is_dir) {
  (void)name;
  if (!is_dir) (*(int *)ctx)++;
  return NULL;
}

/* The next journal's creation fails on a full disk, and so does removing the half-made file:
 * the write that sealed the memtable stands, the next one fails unapplied, and once the disk
 * works again rotation gets past the leftover (it used to fail with STRATA_EXISTS for ever). */
static void rotation_after_failed_journal_creation_succeeds(void) {
  strata_options *o = heal_options(4);
  strata_db *db = NULL;
  CHECK_OK(strata_open(DB_DIR, o, &db));
  uint64_t record = probe_put(db, "a");
  CHECK(record > 0);
  CHECK_OK(put_big(db, "b"));
  vfs_fault_enospc(faulty, record);               /* c fits; the next journal's header does not */
  vfs_fault_fail_from(faulty, VFS_FAULT_REMOVE, 1); /* nor can the empty file be removed */
  CHECK_OK(put_big(db, "c"));                      /* applied: sealing is retried later */
  CHECK(has_big(db, "c") == 1);
  int files = 0;
  CHECK_OK(vfs_list(mem, DB_DIR "/journal", count_name, &files));
  CHECK_EQ_U64(files, 2); /* journal 0 and the leftover 1 */
  strata_status *st = put_big(db, "d");            /* seals first: fails, so d is not applied */
  CHECK(st != NULL);
  strata_status_free(st);
  CHECK(has_big(db, "d") == 0);

  vfs_fault_clear(faulty);
  CHECK_OK(put_big(db, "d")); /* rotation removes the leftover and starts journal 1 */
  if (!threads) {
    int more = 1;
    while (more) CHECK_OK(strata_maintenance_step(db, 1 << 20, &more));
  }
  CHECK_OK(strata_flush(db));
  CHECK(flushes(db) >= 1);
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_open(DB_DIR, o, &db));
  const char *kept[] = {"a", "b", "c", "d"};
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) CHECK(has_big(db, kept[i]) == 1);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

/* strata_resume retries now: while the disk is full it returns the I/O error, once it is not
 * it returns NULL and writes go on at once, without waiting for the backoff. */
static void resume_forces_retry(void) {
  strata_options *o = heal_options(threads ? 0 : 4);
  strata_db *db = NULL;
  CHECK_OK(strata_open(DB_DIR, o, &db));
  CHECK_OK(strata_resume(db)); /* healthy: nothing to retry */
  CHECK_OK(fill_until_flush_fails(db));
  if (threads) {
    strata_status *st = put_big(db, "d"); /* waits for the flush, which fails */
    CHECK(st != NULL);
    strata_status_free(st);
    sleep_ms(400); /* the backoff grows past 100 ms: the timer will not retry for a while */
  }
  CHECK_CODE(strata_resume(db), STRATA_IO); /* the retry ran, and failed: still full */
  CHECK_EQ_U64(flushes(db), 0);
  vfs_fault_clear(faulty);
  uint64_t start = clock_monotonic_ms();
  CHECK_OK(strata_resume(db));
  CHECK_EQ_U64(flushes(db), 1);
  CHECK_OK(put_big(db, "d"));
  CHECK(clock_monotonic_ms() - start < 100);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

/* Flips bytes in the middle of every table file: their blocks fail their checksums. */
typedef struct corrupt_ctx {
  int tables;
  strata_status *st;
} corrupt_ctx;

static strata_status *corrupt_one(void *ctx, const char *name, int is_dir) {
  corrupt_ctx *c = ctx;
  if (is_dir) return NULL;
  char path[256];
  snprintf(path, sizeof path, "%s/tables/%s", DB_DIR, name);
  vfs_file *f = NULL;
  uint64_t size = 0;
  STATUS_TRY(vfs_open(mem, path, VFS_OPEN_READ | VFS_OPEN_WRITE, &f));
  strata_status *st = vfs_file_size(f, &size);
  static const char junk[64] = "this is not a block; this is not a block; this is not a block";
  if (!st && size > 200) st = vfs_file_write(f, 100, junk, sizeof junk);
  strata_status *cst = vfs_file_close(f);
  if (st) strata_status_free(cst);
  else st = cst;
  c->tables++;
  return st;
}

/* Corruption found by compaction is not retried away: writes keep failing with it, resume
 * returns it, until the database is reopened. */
static void corruption_stays_sticky(void) {
  strata_options *o = heal_options(4);
  EXPECT_OK(strata_options_set_compaction_leveled(o, 2, 0)); /* two level-0 tables merge */
  EXPECT_OK(strata_options_set_block_cache_size(o, 0));       /* every read goes to the file */
  strata_db *db = NULL;
  CHECK_OK(strata_open(DB_DIR, o, &db));
  CHECK_OK(put_big(db, "a"));
  CHECK_OK(put_big(db, "c"));
  CHECK_OK(strata_flush(db));
  corrupt_ctx c = {0, NULL};
  CHECK_OK(vfs_list(mem, DB_DIR "/tables", corrupt_one, &c));
  CHECK(c.tables >= 1);
  CHECK_OK(put_big(db, "b"));
  CHECK_OK(strata_flush(db)); /* b lies inside [a, c]: a merge is due, and reads the bad table */
  if (!threads) {
    int more = 0;
    CHECK_CODE(strata_maintenance_step(db, 1 << 20, &more), STRATA_CORRUPTION);
  }
  strata_status *st = NULL;
  uint64_t start = clock_monotonic_ms();
  while ((st = put_big(db, "x")) == NULL && clock_monotonic_ms() - start < 3000) sleep_ms(5);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION && message_has(st, "reopen"));
  strata_status_free(st);
  sleep_ms(150); /* many backoff periods: nothing retries it away */
  CHECK_CODE(put_big(db, "d"), STRATA_CORRUPTION);
  CHECK_CODE(strata_resume(db), STRATA_CORRUPTION);
  int more = 0;
  CHECK_CODE(strata_maintenance_step(db, 1 << 20, &more), STRATA_CORRUPTION);
  CHECK_CODE(put_big(db, "d"), STRATA_CORRUPTION);
  CHECK(has_big(db, "d") == 0);
  strata_status_free(strata_close(db));
  strata_options_free(o);
}

#define BOTH(fn)                                                     \
  do {                                                               \
    if (STRATA_THREADS) harness_run_variant(#fn, "threads", setup_threads, fn, teardown); \
    harness_run_variant(#fn, "steps", setup_steps, fn, teardown);    \
  } while (0)

int main(void) {
  BOTH(background_flush_error_heals_after_space_returns);
  BOTH(rotation_after_failed_journal_creation_succeeds);
  BOTH(resume_forces_retry);
  BOTH(corruption_stays_sticky);
  return harness_finish();
}
