/*
 * The limits of strata_limits.h at the API edge: keys, values and batches at their limit are
 * accepted and survive a reopen (journal replay), a flush, a major compaction and a read back;
 * one byte or one operation beyond is STRATA_INVALID_ARGUMENT naming the size and the limit, and
 * nothing of a refused write reaches the journal.
 *
 * Refusals are tested with a huge length over a 16-byte heap buffer: the edge must look at the
 * length before it reads a byte, and under AddressSanitizer a read past the buffer fails the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"

static vfs *fs;
static char *dir;

static int setup(void) {
  fs = harness_open_fs(vfs_memory_new, "limits", &dir);
  return fs != NULL;
}

/* The cases that store values at the limit use files: the memory backend would hold every
 * journal and table in memory beside the engine's copies. */
static int setup_posix(void) {
  fs = harness_open_fs(vfs_posix_new, "limits", &dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

static strata_status *open_db(strata_db **db) {
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  EXPECT_OK(strata_options_set_vfs(o, fs));
  EXPECT_OK(strata_options_set_background_threads(o, 0));
  char path[512];
  snprintf(path, sizeof path, "%s/db", dir);
  strata_status *st = strata_open(path, o, db);
  strata_options_free(o);
  return st;
}

/* Expects `code` with a message containing each of `a` and `b`; frees the status. */
#define CHECK_MSG2(expr, code, a, b)                                                               \
  do {                                                                                             \
    strata_status *msg_st_ = (expr);                                                               \
    const char *msg_ = strata_status_message(msg_st_);                                             \
    if (strata_status_code(msg_st_) != (code) || !strstr(msg_, (a)) || !strstr(msg_, (b))) {       \
      harness_fail(__FILE__, __LINE__, "%s: expected %s with \"%s\" and \"%s\", got %s (%s)", #expr, \
                   strata_code_name(code), a, b, strata_code_name(strata_status_code(msg_st_)), msg_); \
      strata_status_free(msg_st_);                                                                 \
      return;                                                                                      \
    }                                                                                              \
    strata_status_free(msg_st_);                                                                   \
  } while (0)

/* A value of n bytes with a pattern a wrong offset would break; compressible, as real data is. */
static uint8_t *pattern(size_t n, uint8_t seed) {
  uint8_t *p = malloc(n ? n : 1);
  if (!p) return NULL;
  /* a 251-byte cycle, shifted by one at each MiB (built a MiB at a time: the big cases stay quick) */
  size_t mib = (size_t)1 << 20;
  for (size_t i = 0; i < n && i < mib; i++) p[i] = (uint8_t)(seed + i % 251);
  for (size_t at = mib; at < n; at += mib) {
    size_t len = n - at < mib ? n - at : mib;
    memcpy(p + at, p + at - mib + 1, len < mib - 1 ? len : mib - 1);
    if (len == mib) p[at + mib - 1] = (uint8_t)(p[at + mib - 2] + 1);
  }
  return p;
}

/* The stored value of `key` has length n and equals `want` (checked with a full read). */
static strata_status *expect_value(strata_db *db, const void *key, size_t klen, const uint8_t *want, size_t n,
                                   int *ok) {
  int found = 0;
  void *v = NULL;
  size_t vlen = 0;
  *ok = 0;
  STATUS_TRY(strata_get(db, NULL, key, klen, &found, &v, &vlen));
  *ok = found && vlen == n && (n == 0 || memcmp(v, want, n) == 0);
  strata_free(v);
  return NULL;
}

static char numbuf[2][32];
static const char *num(int i, uint64_t n) {
  snprintf(numbuf[i], sizeof numbuf[i], "%llu", (unsigned long long)n);
  return numbuf[i];
}

/* The limits are the same on every build, and one put at the limits fits in a batch. */
static void limits_are_build_independent(void) {
  CHECK_EQ_U64(STRATA_KEY_MAX, 65535);
  CHECK_EQ_U64(STRATA_VALUE_MAX, (uint64_t)128 << 20);
  CHECK_EQ_U64(STRATA_BATCH_BYTES_MAX, (uint64_t)256 << 20);
  CHECK(STRATA_BATCH_ITEM_BYTES(STRATA_KEY_MAX, STRATA_VALUE_MAX) <= STRATA_BATCH_BYTES_MAX);
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  /* the defaults of strata_limits.h are what a fresh options set holds: each setter's range check
   * accepts them, and the level-0 rule between them holds (strata_open checks it) */
  strata_status *st = strata_options_set_memtable_size(o, STRATA_DEFAULT_MEMTABLE_SIZE);
  if (!st) st = strata_options_set_block_size(o, STRATA_DEFAULT_BLOCK_SIZE);
  if (!st) st = strata_options_set_bloom_bits_per_key(o, STRATA_DEFAULT_BLOOM_BITS_PER_KEY);
  if (!st) st = strata_options_set_table_target_size(o, STRATA_DEFAULT_TABLE_TARGET_SIZE);
  if (!st) st = strata_options_set_level0_stall(o, STRATA_DEFAULT_LEVEL0_SLOWDOWN, STRATA_DEFAULT_LEVEL0_STOP);
  strata_options_free(o);
  CHECK_OK(st);
  CHECK(STRATA_DEFAULT_LEVEL0_TRIGGER <= STRATA_DEFAULT_LEVEL0_SLOWDOWN);
}

static void key_at_max_accepted_max_plus_one_refused(void) {
  strata_db *db = NULL;
  CHECK_OK(open_db(&db));
  uint8_t *key = pattern(STRATA_KEY_MAX, 7);
  uint8_t *small = malloc(16);
  strata_batch *b = NULL;
  strata_status *st = strata_batch_new(&b);
  int ok = 0;
  if (!st && key && small) {
    memset(small, 'k', 16);
    st = strata_put(db, key, STRATA_KEY_MAX, "v", 1, 0);
    if (!st) st = expect_value(db, key, STRATA_KEY_MAX, (const uint8_t *)"v", 1, &ok);
  }
  if (st || !key || !small) {
    free(key);
    free(small);
    strata_batch_free(b);
    strata_close(db);
    CHECK_OK(st);
    CHECK(!"out of memory");
  }
  free(key);
  const size_t over = (size_t)STRATA_KEY_MAX + 1;
  int found = 1;
  size_t vlen = 0;
  strata_status *refusals[6] = {
      strata_put(db, small, over, "v", 1, 0),
      strata_delete(db, small, over, 0),
      strata_single_delete(db, small, over, 0),
      strata_batch_put(b, small, over, "v", 1),
      strata_batch_delete(b, small, over),
      strata_get_into(db, NULL, small, over, &found, NULL, 0, &vlen),
  };
  free(small);
  size_t count = strata_batch_count(b);
  strata_batch_free(b);
  strata_stats stats;
  st = strata_get_stats(db, &stats);
  strata_status *cst = strata_close(db);
  for (int i = 0; i < 6; i++) CHECK_MSG2(refusals[i], STRATA_INVALID_ARGUMENT, num(0, over), num(1, STRATA_KEY_MAX));
  CHECK_OK(st);
  CHECK_OK(cst);
  CHECK(ok);
  CHECK_EQ_U64(count, 0);
  CHECK_EQ_U64(stats.seqno, 2); /* the one accepted put: nothing refused took a seqno */
}

/* A put of 2^31 + 16 bytes was acknowledged, journaled, then failed every flush (the block
 * writer refuses entries over 2 GiB, the block envelope over 1 GiB) and was replayed at every
 * open. Now it is refused at put, and nothing reaches the journal. */
static void value_over_block_limit_refused_at_put(void) {
  const size_t huge = ((size_t)1 << 31) + 16;
  strata_db *db = NULL;
  CHECK_OK(open_db(&db));
  uint8_t *small = malloc(16);
  strata_batch *b = NULL;
  strata_status *st = strata_batch_new(&b);
  if (st || !small) {
    free(small);
    strata_close(db);
    CHECK_OK(st);
    CHECK(!"out of memory");
  }
  memset(small, 'v', 16);
  strata_status *put = strata_put(db, "k", 1, small, huge, 1);
  strata_status *bput = strata_batch_put(b, "k", 1, small, huge);
  strata_status *beyond = strata_put(db, "k", 1, small, (size_t)STRATA_VALUE_MAX + 1, 1);
  free(small);
  size_t count = strata_batch_count(b);
  strata_batch_free(b);
  st = strata_flush(db);
  strata_status *cst = strata_close(db);
  CHECK_MSG2(put, STRATA_INVALID_ARGUMENT, num(0, huge), num(1, STRATA_VALUE_MAX));
  CHECK_MSG2(bput, STRATA_INVALID_ARGUMENT, num(0, huge), num(1, STRATA_VALUE_MAX));
  CHECK_MSG2(beyond, STRATA_INVALID_ARGUMENT, num(0, (uint64_t)STRATA_VALUE_MAX + 1), num(1, STRATA_VALUE_MAX));
  CHECK_OK(st);
  CHECK_OK(cst);
  CHECK_EQ_U64(count, 0);
  /* the reopen replays nothing and finds nothing */
  CHECK_OK(open_db(&db));
  strata_recovery_report r;
  st = strata_get_recovery_report(db, &r);
  int found = 1;
  size_t vlen = 0;
  if (!st) st = strata_get_into(db, NULL, "k", 1, &found, NULL, 0, &vlen);
  cst = strata_close(db);
  CHECK_OK(st);
  CHECK_OK(cst);
  CHECK_EQ_U64(r.batches_replayed, 0);
  CHECK(!found);
}

/* A value of exactly STRATA_VALUE_MAX bytes (with a key at its limit) is replayed from the
 * journal, flushed, compacted into the last level (compressed) and read back whole. */
static void value_at_max_round_trips(void) {
  const size_t n = STRATA_VALUE_MAX;
  uint8_t *value = pattern(n, 3), *key = pattern(STRATA_KEY_MAX, 9);
  strata_db *db = NULL;
  strata_status *st = value && key ? open_db(&db) : NULL;
  if (!st && value && key) st = strata_put(db, key, STRATA_KEY_MAX, value, n, 0);
  if (!st && db) st = strata_put(db, "after", 5, "small", 5, 0);
  strata_status *cst = db ? strata_close(db) : NULL;
  db = NULL;
  int replayed = 0, flushed = 0, compacted = 0;
  strata_recovery_report r;
  memset(&r, 0, sizeof r);
  if (!st && !cst && value && key) {
    st = open_db(&db);
    if (!st) st = strata_get_recovery_report(db, &r);
    if (!st) st = expect_value(db, key, STRATA_KEY_MAX, value, n, &replayed);
    if (!st) st = strata_flush(db);
    if (!st) st = expect_value(db, key, STRATA_KEY_MAX, value, n, &flushed);
    if (!st) st = strata_compact(db, 1);
    if (!st) st = expect_value(db, key, STRATA_KEY_MAX, value, n, &compacted);
    cst = db ? strata_close(db) : NULL;
  }
  free(value);
  free(key);
  CHECK(value && key);
  CHECK_OK(st);
  CHECK_OK(cst);
  CHECK_EQ_U64(r.batches_replayed, 2);
  CHECK(replayed);
  CHECK(flushed);
  CHECK(compacted);
}

/* A batch's encoded items may reach STRATA_BATCH_BYTES_MAX exactly; one more operation is refused
 * and leaves the batch as it was; the batch at the limit is written and replayed. */
static void batch_bytes_at_limit_accepted_beyond_refused(void) {
  const size_t first = STRATA_VALUE_MAX;
  /* two puts with empty keys: 7 + first + 7 + second = the limit */
  const size_t second = (size_t)(STRATA_BATCH_BYTES_MAX - 2 * STRATA_BATCH_ITEM_OVERHEAD - first);
  uint8_t *value = pattern(first, 1);
  strata_batch *b = NULL;
  strata_db *db = NULL;
  strata_status *st = value ? strata_batch_new(&b) : NULL;
  if (!st && value) st = strata_batch_put(b, "", 0, value, first);
  if (!st && value) st = strata_batch_put(b, "2", 0, value, second);
  strata_status *del = NULL, *put = NULL;
  size_t count = 0;
  if (!st && value) {
    del = strata_batch_delete(b, "", 0);        /* 7 more bytes */
    put = strata_batch_put(b, "x", 1, value, 0); /* 8 more bytes */
    count = strata_batch_count(b);
    st = open_db(&db);
    if (!st) st = strata_write(db, b, 0);
  }
  strata_batch_free(b);
  strata_status *cst = db ? strata_close(db) : NULL;
  db = NULL;
  int found = 0;
  size_t vlen = 0;
  strata_recovery_report r;
  memset(&r, 0, sizeof r);
  if (!st && !cst && value) {
    st = open_db(&db);
    if (!st) st = strata_get_recovery_report(db, &r);
    if (!st) st = strata_get_into(db, NULL, "", 0, &found, NULL, 0, &vlen);
    cst = strata_close(db);
  }
  free(value);
  CHECK(value);
  CHECK_OK(st);
  CHECK_OK(cst);
  CHECK_MSG2(del, STRATA_INVALID_ARGUMENT, num(0, STRATA_BATCH_BYTES_MAX), "plus an operation of 7 bytes");
  CHECK_MSG2(put, STRATA_INVALID_ARGUMENT, num(0, STRATA_BATCH_BYTES_MAX), "plus an operation of 8 bytes");
  CHECK_EQ_U64(count, 2);
  CHECK_EQ_U64(r.batches_replayed, 1);
  CHECK(found);
  /* the later put of the same (empty) key in the batch wins */
  CHECK_EQ_U64(vlen, second);
}

/* A batch may hold STRATA_BATCH_COUNT_MAX operations; one more is refused. */
static void batch_count_at_limit_accepted_beyond_refused(void) {
  strata_batch *b = NULL;
  CHECK_OK(strata_batch_new(&b));
  strata_status *st = NULL;
  /* one key throughout: the write applies one entry (the newest), so the case stays quick */
  for (uint32_t i = 0; i < STRATA_BATCH_COUNT_MAX && !st; i++) st = strata_batch_delete(b, "k", 1);
  strata_status *more = st ? NULL : strata_batch_delete(b, "k", 1);
  strata_status *more_put = st ? NULL : strata_batch_put(b, "k", 1, "v", 1);
  size_t count = strata_batch_count(b);
  strata_db *db = NULL;
  if (!st) st = open_db(&db);
  if (!st) st = strata_write(db, b, 0);
  strata_stats stats;
  memset(&stats, 0, sizeof stats);
  if (!st) st = strata_get_stats(db, &stats);
  strata_batch_free(b);
  strata_status *cst = db ? strata_close(db) : NULL;
  CHECK_OK(st);
  CHECK_OK(cst);
  CHECK_MSG2(more, STRATA_INVALID_ARGUMENT, num(0, STRATA_BATCH_COUNT_MAX), "STRATA_BATCH_COUNT_MAX");
  CHECK_MSG2(more_put, STRATA_INVALID_ARGUMENT, num(0, STRATA_BATCH_COUNT_MAX), "STRATA_BATCH_COUNT_MAX");
  CHECK_EQ_U64(count, STRATA_BATCH_COUNT_MAX);
  CHECK_EQ_U64(stats.seqno, 2);
}

int main(void) {
  RUN(limits_are_build_independent);
  harness_run_variant("key_at_max_accepted_max_plus_one_refused", "memory", setup,
                      key_at_max_accepted_max_plus_one_refused, teardown);
  harness_run_variant("value_over_block_limit_refused_at_put", "memory", setup, value_over_block_limit_refused_at_put,
                      teardown);
  harness_run_variant("value_at_max_round_trips", "posix", setup_posix, value_at_max_round_trips, teardown);
  harness_run_variant("batch_bytes_at_limit_accepted_beyond_refused", "posix", setup_posix,
                      batch_bytes_at_limit_accepted_beyond_refused, teardown);
  harness_run_variant("batch_count_at_limit_accepted_beyond_refused", "memory", setup,
                      batch_count_at_limit_accepted_beyond_refused, teardown);
  return harness_finish();
}
