/* The database through the public API (strata.h): writes, reads, batches, snapshots, iterators,
 * rotation and flushing, reopening, the lock, recovery from a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "util/clock.h"
#include "vfs/vfs_fault.h"

static vfs *fs;
static char *dir;

static int setup_posix(void) {
  fs = harness_open_fs(vfs_posix_new, "db", &dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

static strata_options *small_options(int background) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  EXPECT_OK(strata_options_set_memtable_size(o, 16 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 512));
  EXPECT_OK(strata_options_set_background_threads(o, background));
  return o;
}

static strata_status *open_db(strata_options *o, strata_db **db) {
  EXPECT_OK(strata_options_set_vfs(o, fs));
  return strata_open(dir, o, db);
}

static strata_status *put_str(strata_db *db, const char *k, const char *v) {
  return strata_put(db, k, strlen(k), v, strlen(v), 0);
}

/* The value of k as a string, "<absent>" or "<error>". */
static const char *get_str(strata_db *db, const strata_snapshot *snap, const char *k, char *buf, size_t cap) {
  int found = 0;
  size_t vlen = 0;
  strata_status *st = strata_get_into(db, snap, k, strlen(k), &found, buf, cap - 1, &vlen);
  if (st) {
    snprintf(buf, cap, "<error %s>", strata_status_message(st));
    strata_status_free(st);
  } else if (!found) {
    snprintf(buf, cap, "<absent>");
  } else {
    buf[vlen < cap - 1 ? vlen : cap - 1] = 0;
  }
  return buf;
}

#define CHECK_VALUE(db, snap, key, expect)                                                      \
  do {                                                                                          \
    char got_[512];                                                                             \
    get_str(db, snap, key, got_, sizeof got_);                                                  \
    if (strcmp(got_, expect)) {                                                                 \
      harness_fail(__FILE__, __LINE__, "get %s = '%s', want '%s'", key, got_, expect);          \
      return;                                                                                   \
    }                                                                                           \
  } while (0)

static void writes_and_reads_round_trip(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(1);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  CHECK_OK(put_str(db, "alpha", "1"));
  CHECK_OK(strata_put(db, "", 0, "empty key", 9, 0));
  CHECK_OK(strata_put(db, "nothing", 7, "", 0, 0));
  CHECK_VALUE(db, NULL, "alpha", "1");
  CHECK_VALUE(db, NULL, "", "empty key");
  CHECK_VALUE(db, NULL, "nothing", "");
  CHECK_VALUE(db, NULL, "missing", "<absent>");
  CHECK_OK(strata_delete(db, "alpha", 5, 0));
  CHECK_VALUE(db, NULL, "alpha", "<absent>");
  CHECK_OK(put_str(db, "once", "x"));
  CHECK_OK(strata_single_delete(db, "once", 4, 1));
  CHECK_VALUE(db, NULL, "once", "<absent>");
  void *value = NULL;
  size_t vlen = 0;
  int found = 0;
  CHECK_OK(strata_get(db, NULL, "", 0, &found, &value, &vlen));
  CHECK(found && vlen == 9 && !memcmp(value, "empty key", 9));
  strata_free(value);
  CHECK_OK(strata_get(db, NULL, "nothing", 7, &found, &value, &vlen));
  CHECK(found && vlen == 0 && value != NULL);
  strata_free(value);
  /* get_into reports the full length even when the buffer is short */
  char small[2];
  CHECK_OK(strata_get_into(db, NULL, "", 0, &found, small, sizeof small, &vlen));
  CHECK(found && vlen == 9 && small[0] == 'e' && small[1] == 'm');
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

/* strata_get_into reads into the caller's buffer (in place when the value fits): from the
 * memtable, a table and a blob file, a value that fits exactly, one a byte too long for the
 * buffer (its full length and the buffer's worth of its bytes) and one into a zero-filled buffer
 * of the exact size, read twice so a reused buffer shows nothing stale. */
static void get_into_fits_in_place_or_reports_the_length_from_every_layer(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  CHECK_OK(strata_options_set_kv_separation(o, 1024, 1 << 20, STRATA_COMPRESSION_LZ4, 0.25, 0.25));
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  size_t lens[3] = {40, 300, 5000}; /* inline values, and one past the 1 KiB threshold: a blob */
  char *want = malloc(5000), *buf = malloc(5001);
  CHECK(want && buf);
  for (int layer = 0; layer < 2 && want && buf; layer++) { /* 0: memtable, 1: after a flush */
    for (size_t i = 0; i < 3; i++) {
      char k[8];
      snprintf(k, sizeof k, "k%zu", i);
      for (size_t j = 0; j < lens[i]; j++) want[j] = (char)('a' + (j * 7 + i) % 26);
      if (layer == 0) CHECK_OK(strata_put(db, k, strlen(k), want, lens[i], 0));
    }
    if (layer == 1) CHECK_OK(strata_flush(db));
    for (size_t i = 0; i < 3; i++) {
      char k[8];
      snprintf(k, sizeof k, "k%zu", i);
      for (size_t j = 0; j < lens[i]; j++) want[j] = (char)('a' + (j * 7 + i) % 26);
      int found = 0;
      size_t vlen = 0;
      for (int round = 0; round < 2; round++) {
        memset(buf, 0, 5001);
        CHECK_OK(strata_get_into(db, NULL, k, strlen(k), &found, buf, lens[i], &vlen));
        CHECK(found && vlen == lens[i] && memcmp(buf, want, lens[i]) == 0);
      }
      memset(buf, '#', 5001);
      CHECK_OK(strata_get_into(db, NULL, k, strlen(k), &found, buf, lens[i] - 1, &vlen));
      CHECK(found && vlen == lens[i] && memcmp(buf, want, lens[i] - 1) == 0);
      CHECK(buf[lens[i] - 1] == '#'); /* nothing written past cap */
      memset(buf, '#', 5001);
      CHECK_OK(strata_get_into(db, NULL, k, strlen(k), &found, buf, 1, &vlen));
      CHECK(found && vlen == lens[i] && buf[0] == want[0] && buf[1] == '#');
      CHECK_OK(strata_get_into(db, NULL, "absent", 6, &found, buf, 5001, &vlen));
      CHECK(!found && vlen == 0);
    }
  }
  free(want);
  free(buf);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void bad_input_is_rejected_with_clear_errors(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  char *big = calloc(1, STRATA_KEY_MAX + 2);
  CHECK(big != NULL);
  CHECK_CODE(strata_put(db, big, STRATA_KEY_MAX + 1, "v", 1, 0), STRATA_INVALID_ARGUMENT);
  CHECK_OK(strata_put(db, big, STRATA_KEY_MAX, "v", 1, 0)); /* the largest key is fine */
  int found = 0;
  size_t vlen = 0;
  char buf[4];
  CHECK_CODE(strata_get_into(db, NULL, big, STRATA_KEY_MAX + 1, &found, buf, 4, &vlen), STRATA_INVALID_ARGUMENT);
  strata_batch *b = NULL;
  CHECK_OK(strata_batch_new(&b));
  CHECK_CODE(strata_batch_put(b, big, STRATA_KEY_MAX + 1, "v", 1), STRATA_INVALID_ARGUMENT);
  CHECK_EQ_U64(strata_batch_count(b), 0);
  strata_batch_free(b);
  free(big);
  CHECK_CODE(strata_put(NULL, "k", 1, "v", 1, 0), STRATA_NOT_OPEN);
  strata_db *other = db; /* a failed open sets its out-parameter to NULL */
  CHECK_CODE(strata_open("", o, &other), STRATA_INVALID_ARGUMENT);
  CHECK(other == NULL);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void batch_is_atomic_and_last_write_wins(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(1);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  CHECK_OK(put_str(db, "gone", "before"));
  strata_snapshot *before = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &before));
  strata_batch *b = NULL;
  CHECK_OK(strata_batch_new(&b));
  CHECK_OK(strata_batch_put(b, "a", 1, "1", 1));
  CHECK_OK(strata_batch_put(b, "k", 1, "first", 5));
  CHECK_OK(strata_batch_delete(b, "k", 1));
  CHECK_OK(strata_batch_put(b, "k", 1, "last", 4));
  CHECK_OK(strata_batch_delete(b, "gone", 4));
  CHECK_EQ_U64(strata_batch_count(b), 5);
  CHECK_OK(strata_write(db, b, 0));
  CHECK_VALUE(db, NULL, "k", "last");
  CHECK_VALUE(db, NULL, "a", "1");
  CHECK_VALUE(db, NULL, "gone", "<absent>");
  CHECK_VALUE(db, before, "a", "<absent>"); /* none of the batch before it */
  CHECK_VALUE(db, before, "gone", "before");
  strata_snapshot *after = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &after));
  CHECK_EQ_U64(strata_snapshot_seqno(after), strata_snapshot_seqno(before) + 1); /* one seqno */
  strata_batch_clear(b);
  CHECK_OK(strata_write(db, b, 0)); /* empty: nothing happens */
  strata_batch_free(b);
  strata_snapshot_release(before);
  strata_snapshot_release(after);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void snapshot_is_stable_across_writes_and_flushes(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(1);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  char k[32], v[32];
  for (int i = 0; i < 200; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    CHECK_OK(put_str(db, k, "old"));
  }
  strata_snapshot *snap = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 200; i++) {
      snprintf(k, sizeof k, "key%05d", i);
      snprintf(v, sizeof v, "new%d", round);
      CHECK_OK(i % 10 ? put_str(db, k, v) : strata_delete(db, k, strlen(k), 0));
    }
    CHECK_OK(strata_flush(db));
  }
  for (int i = 0; i < 200; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    CHECK_VALUE(db, snap, k, "old");
    CHECK_VALUE(db, NULL, k, i % 10 ? "new2" : "<absent>");
  }
  strata_iterator *it = NULL;
  CHECK_OK(strata_iterator_new(db, snap, NULL, &it));
  int n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t vl = 0;
    const void *val = strata_iterator_value(it, &vl);
    CHECK(vl == 3 && !memcmp(val, "old", 3));
    n++;
  }
  CHECK_EQ_U64(n, 200);
  CHECK_OK(strata_iterator_status(it));
  strata_iterator_close(it);
  strata_stats stats;
  CHECK_OK(strata_get_stats(db, &stats));
  uint32_t tables = 0; /* background compaction may already have moved them below level 0 */
  for (uint32_t l = 0; l < stats.level_count; l++) tables += stats.levels[l].tables;
  CHECK(stats.flushes >= 3 && tables >= 1);
  CHECK_EQ_U64(stats.snapshots_open, 1);
  strata_snapshot_release(snap);
  CHECK_OK(strata_get_stats(db, &stats));
  CHECK_EQ_U64(stats.snapshots_open, 0);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

/* --- iterators at an old snapshot over a memtable with newer writes ----------------------- */

/* A small model of the keys k00..k19 and n00..n05 (sorted as listed): each one's value or absent. */
enum { MODEL_KEYS = 26 };
typedef struct model {
  char value[MODEL_KEYS][16]; /* "" = absent */
} model;

static void model_key(int i, char *k, size_t cap) {
  if (i < 20) snprintf(k, cap, "k%02d", i);
  else snprintf(k, cap, "n%02d", i - 20);
}

static strata_status *model_put(strata_db *db, model *m, int i, const char *v) {
  char k[8];
  model_key(i, k, sizeof k);
  snprintf(m->value[i], sizeof m->value[i], "%s", v);
  return put_str(db, k, v);
}

static strata_status *model_delete(strata_db *db, model *m, int i) {
  char k[8];
  model_key(i, k, sizeof k);
  m->value[i][0] = 0;
  return strata_delete(db, k, strlen(k), 0);
}

/* "key=value;" for each present key, forward or (reverse) backward. */
static void model_str(const model *m, int reverse, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (int j = 0; j < MODEL_KEYS && n < cap; j++) {
    int i = reverse ? MODEL_KEYS - 1 - j : j;
    char k[8];
    model_key(i, k, sizeof k);
    if (m->value[i][0]) n += (size_t)snprintf(out + n, cap - n, "%s=%s;", k, m->value[i]);
  }
}

/* The same for what a full iterator at `snap` shows; an error ends it with "<error ...>". */
static void scan_str(strata_db *db, const strata_snapshot *snap, int reverse, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  strata_iterator *it = NULL;
  strata_status *st = strata_iterator_new(db, snap, NULL, &it);
  if (!st) {
    if (reverse) strata_iterator_seek_last(it);
    else strata_iterator_seek_first(it);
    for (; strata_iterator_valid(it) && n < cap; reverse ? strata_iterator_prev(it) : strata_iterator_next(it)) {
      size_t kl = 0, vl = 0;
      const char *k = strata_iterator_key(it, &kl), *v = strata_iterator_value(it, &vl);
      n += (size_t)snprintf(out + n, cap - n, "%.*s=%.*s;", (int)kl, k, (int)vl, v);
    }
    st = strata_iterator_status(it);
    strata_iterator_close(it);
  }
  if (st && n < cap) snprintf(out + n, cap - n, "<error %s>", strata_status_message(st));
  strata_status_free(st);
}

/* 1 when an iterator at `snap` shows exactly m, both ways; else fails the case naming `what`. */
static int scan_matches(strata_db *db, const strata_snapshot *snap, const model *m, const char *what) {
  char got[1024], want[1024];
  for (int reverse = 0; reverse < 2; reverse++) {
    scan_str(db, snap, reverse, got, sizeof got);
    model_str(m, reverse, want, sizeof want);
    if (strcmp(got, want)) {
      harness_fail(__FILE__, __LINE__, "%s, %s: got %s, want %s", what, reverse ? "backward" : "forward", got, want);
      return 0;
    }
  }
  return 1;
}

/* A snapshot taken while the memtable was empty keeps that memtable in its view, and it goes on
 * taking writes; an iterator at the snapshot skips it once it holds only newer ones (tree_read.c's
 * memtable_needed) and still shows exactly the snapshot's entries both ways: overwrites, deletes
 * and new keys after it stay out, the first of them (whose seqno is the snapshot's) included; a
 * snapshot one write later shows that write; and a snapshot of a memtable holding older and newer
 * entries shows exactly its own. Unchanged after the memtable is flushed. */
static void iterator_at_an_old_snapshot_shows_exactly_its_entries_over_newer_memtable_writes(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  model now;
  memset(&now, 0, sizeof now);
  char v[16];
  for (int i = 0; i < 20; i++) {
    snprintf(v, sizeof v, "v0-%02d", i);
    CHECK_OK(model_put(db, &now, i, v));
  }
  CHECK_OK(strata_flush(db)); /* the memtable is empty again */
  strata_snapshot *snap0 = NULL, *snap1 = NULL, *snap2 = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &snap0));
  model at0 = now;
  CHECK_OK(model_put(db, &now, 0, "v1-00")); /* seqno = snap0's: not visible at snap0 */
  CHECK_OK(strata_snapshot_acquire(db, &snap1));
  CHECK_EQ_U64(strata_snapshot_seqno(snap1), strata_snapshot_seqno(snap0) + 1);
  model at1 = now;
  for (int i = 1; i < 10; i++) {
    snprintf(v, sizeof v, "v1-%02d", i);
    CHECK_OK(model_put(db, &now, i, v));
  }
  for (int i = 10; i < 15; i++) CHECK_OK(model_delete(db, &now, i));
  for (int i = 20; i < 23; i++) CHECK_OK(model_put(db, &now, i, "v1-new"));
  CHECK(scan_matches(db, snap0, &at0, "snapshot before every write in the memtable"));
  CHECK(scan_matches(db, snap1, &at1, "snapshot after the memtable's first write"));
  CHECK(scan_matches(db, NULL, &now, "latest"));
  /* the memtable holds older entries and then newer ones */
  CHECK_OK(strata_snapshot_acquire(db, &snap2));
  model at2 = now;
  CHECK_OK(model_put(db, &now, 1, "v2-01"));
  CHECK_OK(model_delete(db, &now, 20));
  CHECK_OK(model_put(db, &now, 25, "v2-new"));
  CHECK_OK(model_put(db, &now, 12, "v2-12"));
  CHECK(scan_matches(db, snap2, &at2, "snapshot of a memtable with older and newer writes"));
  CHECK_OK(strata_flush(db));
  CHECK(scan_matches(db, snap0, &at0, "snapshot before every write, after the flush"));
  CHECK(scan_matches(db, snap1, &at1, "snapshot after the first write, after the flush"));
  CHECK(scan_matches(db, snap2, &at2, "snapshot of older and newer writes, after the flush"));
  CHECK(scan_matches(db, NULL, &now, "latest, after the flush"));
  strata_snapshot_release(snap0);
  strata_snapshot_release(snap1);
  strata_snapshot_release(snap2);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void iterators_honour_bounds_prefixes_and_directions(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  const char *keys[] = {"a", "b", "ba", "bb", "c", "d"};
  for (int i = 0; i < 6; i++) CHECK_OK(put_str(db, keys[i], keys[i]));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_delete(db, "c", 1, 0));
  strata_range r = {STRATA_EXCLUDED, "a", 1, STRATA_INCLUDED, "c", 1};
  strata_iterator *it = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, &r, &it));
  char seen[64] = "";
  for (strata_iterator_seek_last(it); strata_iterator_valid(it); strata_iterator_prev(it)) {
    size_t kl;
    const char *key = strata_iterator_key(it, &kl);
    strncat(seen, key, kl);
    strcat(seen, ",");
  }
  CHECK(!strcmp(seen, "bb,ba,b,"));
  strata_iterator_seek(it, "b\x01", 2);
  size_t kl;
  CHECK(strata_iterator_valid(it) && !memcmp(strata_iterator_key(it, &kl), "ba", 2));
  strata_iterator_close(it);
  CHECK_OK(strata_iterator_new_prefix(db, NULL, "b", 1, &it));
  int n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) n++;
  CHECK_EQ_U64(n, 3);
  strata_iterator_close(it);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

/* Iterator stacks larger than the handle's region (util/iter_arena.h): 24 level-0 runs under a
 * non-empty memtable, then one run of many small tables that a scan walks through (every table
 * it opens takes new iterators). Forward, backward and seeks read as the model either way. */

/* Keys in index order. */
static void scan_key(int i, char *k, size_t cap) { snprintf(k, cap, "k%05d", i); }

static void check_scans_match(strata_db *db, const int *latest, int n) {
  strata_iterator *it = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &it));
  for (int back = 0; back < 2; back++) {
    int i = back ? n - 1 : 0, seen = 0;
    if (back) strata_iterator_seek_last(it);
    else strata_iterator_seek_first(it);
    for (; strata_iterator_valid(it); back ? strata_iterator_prev(it) : strata_iterator_next(it)) {
      while (i >= 0 && i < n && latest[i] < 0) i += back ? -1 : 1;
      char k[16], v[16];
      scan_key(i, k, sizeof k);
      snprintf(v, sizeof v, "v%d", latest[i]);
      size_t kl, vl;
      const char *key = strata_iterator_key(it, &kl), *val = strata_iterator_value(it, &vl);
      CHECK(kl == strlen(k) && !memcmp(key, k, kl));
      CHECK(vl == strlen(v) && !memcmp(val, v, vl));
      seen++;
      i += back ? -1 : 1;
    }
    CHECK_OK(strata_iterator_status(it));
    int live = 0;
    for (int j = 0; j < n; j++) live += latest[j] >= 0;
    CHECK_EQ_U64(seen, live);
  }
  for (int j = 0; j < n; j += 37) { /* a seek lands on the first live key at or after j */
    char k[16];
    scan_key(j, k, sizeof k);
    strata_iterator_seek(it, k, strlen(k));
    int want = j;
    while (want < n && latest[want] < 0) want++;
    CHECK(strata_iterator_valid(it) == (want < n));
    if (want < n) {
      char w[16];
      scan_key(want, w, sizeof w);
      size_t kl;
      const char *key = strata_iterator_key(it, &kl);
      CHECK(kl == strlen(w) && !memcmp(key, w, kl));
    }
  }
  strata_iterator_close(it);
}

static void iterators_over_more_runs_and_tables_than_their_region_read_as_the_model(void) {
  if (!setup_posix()) return;
  enum { N = 3000, RUNS = 24 };
  strata_options *o = small_options(0);
  CHECK_OK(strata_options_set_level0_stall(o, 60, 80));
  CHECK_OK(strata_options_set_level0_trigger(o, 50));
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  static int latest[N];
  for (int i = 0; i < N; i++) latest[i] = -1;
  for (int r = 0; r <= RUNS; r++) { /* run RUNS stays in the memtable */
    for (int i = r % 7; i < N; i += 5 + r % 3) {
      char k[16], v[16];
      scan_key(i, k, sizeof k);
      if ((i + r) % 11 == 0) {
        CHECK_OK(strata_delete(db, k, strlen(k), 0));
        latest[i] = -1;
      } else {
        snprintf(v, sizeof v, "v%d", r);
        CHECK_OK(put_str(db, k, v));
        latest[i] = r;
      }
    }
    if (r < RUNS) CHECK_OK(strata_flush(db));
  }
  strata_stats stats;
  CHECK_OK(strata_get_stats(db, &stats));
  CHECK(stats.levels[0].runs >= RUNS);
  check_scans_match(db, latest, N);
  CHECK_OK(strata_close(db)); /* reopened to split the major compaction's output finely */
  CHECK_OK(strata_options_set_table_target_size(o, 1 << 10));
  CHECK_OK(open_db(o, &db));
  CHECK_OK(strata_compact(db, 1));
  CHECK_OK(strata_get_stats(db, &stats));
  uint32_t tables = 0;
  for (uint32_t l = 0; l < stats.level_count; l++) tables += stats.levels[l].tables;
  CHECK(tables >= 10); /* one run of small tables */
  check_scans_match(db, latest, N);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void reopen_keeps_journaled_and_flushed_writes(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(1);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  char k[32];
  for (int i = 0; i < 3000; i++) { /* several rotations at 16 KiB memtables */
    snprintf(k, sizeof k, "key%05d", i);
    CHECK_OK(put_str(db, k, k));
  }
  CHECK_OK(strata_delete(db, "key00007", 8, 0));
  strata_stats before;
  CHECK_OK(strata_get_stats(db, &before));
  CHECK(before.flushes > 0);
  CHECK_OK(strata_close(db));
  CHECK_OK(open_db(o, &db));
  for (int i = 0; i < 3000; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    CHECK_VALUE(db, NULL, k, i == 7 ? "<absent>" : k);
  }
  strata_stats after;
  CHECK_OK(strata_get_stats(db, &after));
  CHECK_EQ_U64(after.seqno, before.seqno); /* seqnos continue where they stopped */
  CHECK_OK(put_str(db, "later", "x"));
  CHECK_OK(strata_close(db));
  CHECK_OK(open_db(o, &db));
  CHECK_VALUE(db, NULL, "later", "x");
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void second_open_is_locked_out(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  strata_db *db = NULL, *other = NULL;
  CHECK_OK(open_db(o, &db));
  CHECK_CODE(open_db(o, &other), STRATA_LOCKED);
  CHECK_OK(strata_close(db));
  CHECK_OK(open_db(o, &other));
  CHECK_OK(strata_close(other));
  EXPECT_OK(strata_options_set_error_if_exists(o, 1));
  CHECK_CODE(open_db(o, &db), STRATA_EXISTS);
  EXPECT_OK(strata_options_set_error_if_exists(o, 0));
  EXPECT_OK(strata_options_set_create_if_missing(o, 0));
  char missing[600];
  snprintf(missing, sizeof missing, "%s/nope", dir);
  EXPECT_OK(strata_options_set_vfs(o, fs));
  CHECK_CODE(strata_open(missing, o, &db), STRATA_NOT_FOUND);
  strata_options_free(o);
  teardown();
}

static strata_status *count_entry(void *ctx, const char *name, int is_dir) {
  (void)name;
  (void)is_dir;
  ++*(size_t *)ctx;
  return NULL;
}

/* createIfMissing off: a missing folder and an existing folder without a database are both
 * STRATA_NOT_FOUND naming the folder, and neither gains a file; a database is still opened. */
static void create_if_missing_off_refuses_a_folder_without_a_database(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  EXPECT_OK(strata_options_set_create_if_missing(o, 0));
  strata_db *db = NULL;
  strata_status *st = open_db(o, &db); /* dir exists and is empty */
  CHECK(strata_status_code(st) == STRATA_NOT_FOUND);
  CHECK(st && strstr(strata_status_message(st), dir) && strstr(strata_status_message(st), "does not exist") &&
        strstr(strata_status_message(st), "holds no database"));
  strata_status_free(st);
  CHECK(db == NULL);
  size_t count = 0;
  CHECK_OK(vfs_list(fs, dir, count_entry, &count));
  CHECK(count == 0); /* nothing was created: no LOCK, no manifest */
  char file[600];
  snprintf(file, sizeof file, "%s/other.txt", dir); /* a folder of someone else's files */
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, file, STRATA_VFS_OPEN_CREATE | STRATA_VFS_OPEN_WRITE, &f));
  CHECK_OK(vfs_file_close(f));
  CHECK_CODE(open_db(o, &db), STRATA_NOT_FOUND);
  /* once a database is there, the same options open it */
  EXPECT_OK(strata_options_set_create_if_missing(o, 1));
  CHECK_OK(open_db(o, &db));
  CHECK_OK(put_str(db, "k", "v"));
  CHECK_OK(strata_close(db));
  EXPECT_OK(strata_options_set_create_if_missing(o, 0));
  CHECK_OK(open_db(o, &db));
  CHECK_VALUE(db, NULL, "k", "v");
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

typedef struct progress_log {
  uint64_t calls, last_done, last_total;
  int went_back; /* done decreased, or exceeded total */
} progress_log;

static void log_progress(void *ctx, uint64_t done, uint64_t total) {
  progress_log *l = ctx;
  if (done < l->last_done || done > total) l->went_back = 1;
  l->calls++;
  l->last_done = done;
  l->last_total = total;
}

/* strata_compact_with_progress: done never goes back or past total, and ends equal to it; the
 * total of a major compaction is its input tables' bytes (what the stats count as read). */
static void compact_reports_progress_up_to_its_total(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  EXPECT_OK(strata_options_set_max_sealed_memtables(o, 100));
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  char k[32];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 3000; i++) {
      snprintf(k, sizeof k, "key%05d", i * 3 + round);
      CHECK_OK(put_str(db, k, "value value value value"));
    }
    CHECK_OK(strata_flush(db));
  }
  strata_stats before, after;
  CHECK_OK(strata_get_stats(db, &before));
  progress_log l = {0, 0, 0, 0};
  CHECK_OK(strata_compact_with_progress(db, 1, log_progress, &l));
  CHECK_OK(strata_get_stats(db, &after));
  CHECK(l.calls >= 3 && !l.went_back); /* the first, at least one per 1024 entries, the last */
  CHECK(l.last_total > 0 && l.last_done == l.last_total);
  CHECK(l.last_total == after.bytes_read_compaction - before.bytes_read_compaction);
  progress_log none = {0, 0, 0, 0};
  CHECK_OK(strata_compact_with_progress(db, 0, log_progress, &none)); /* nothing pending */
  CHECK(none.calls == 1 && none.last_done == 0 && none.last_total == 0);
  CHECK_OK(strata_compact_with_progress(db, 1, NULL, NULL)); /* no callback: strata_compact */
  CHECK_VALUE(db, NULL, "key00004", "value value value value");
  CHECK_OK(strata_close(db));
  CHECK_CODE(strata_compact_with_progress(NULL, 1, log_progress, &l), STRATA_NOT_OPEN);
  strata_options_free(o);
  teardown();
}

static void maintenance_steps_flush_without_threads(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  EXPECT_OK(strata_options_set_max_sealed_memtables(o, 100));
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  char k[32];
  for (int i = 0; i < 2000; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    CHECK_OK(put_str(db, k, "value value value"));
  }
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.sealed_memtables > 0 && s.flushes == 0);
  int more = 1, steps = 0;
  while (more) { /* a budget of one byte: one unit of work (a flush or a compaction job) per step */
    CHECK_OK(strata_maintenance_step(db, 1, &more));
    steps++;
  }
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.sealed_memtables == 0 && s.flushes > 0 && (int)(s.flushes + s.compactions) == steps);
  uint64_t tables = 0;
  for (uint32_t l = 0; l < s.level_count; l++) tables += s.levels[l].tables;
  CHECK(tables > 0 && s.levels[0].tables < 4); /* level 0 was compacted down at its trigger */
  CHECK_VALUE(db, NULL, "key01999", "value value value");
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

/* strata_maintenance_events moves exactly when a step may find new work: a sealed memtable, an
 * installed version (flush, compaction, range drop); reads and writes that seal nothing leave it. */
static void maintenance_events_move_when_steps_have_work(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  EXPECT_OK(strata_options_set_max_sealed_memtables(o, 100));
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  uint64_t e0 = 0, e1 = 0, e2 = 0, e3 = 0, e4 = 0;
  CHECK_OK(strata_maintenance_events(db, &e0));
  CHECK_OK(put_str(db, "a", "1"));
  CHECK_VALUE(db, NULL, "a", "1");
  CHECK_OK(strata_maintenance_events(db, &e1));
  CHECK(e1 == e0); /* nothing sealed: a step would find nothing */
  char k[32];
  strata_stats s;
  for (int i = 0; i < 2000; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    CHECK_OK(put_str(db, k, "value value value"));
  }
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.sealed_memtables > 0);
  CHECK_OK(strata_maintenance_events(db, &e2));
  CHECK(e2 >= e1 + s.sealed_memtables); /* one per sealed memtable */
  int more = 1;
  while (more) CHECK_OK(strata_maintenance_step(db, 1 << 20, &more));
  CHECK_OK(strata_maintenance_events(db, &e3));
  CHECK(e3 > e2); /* the flushes installed versions */
  CHECK_OK(strata_maintenance_step(db, 1 << 20, &more)); /* nothing left: no event */
  CHECK(more == 0);
  CHECK_OK(strata_maintenance_events(db, &e4));
  CHECK(e4 == e3);
  CHECK_OK(strata_compact(db, 1));
  CHECK_OK(strata_maintenance_events(db, &e4));
  CHECK(e4 > e3);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void iterator_outlives_its_database(void) {
  if (!setup_posix()) return;
  strata_options *o = small_options(1);
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  CHECK_OK(put_str(db, "k1", "v1"));
  CHECK_OK(strata_flush(db));
  CHECK_OK(put_str(db, "k2", "v2"));
  strata_iterator *it = NULL;
  strata_snapshot *snap = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &it));
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  CHECK_OK(strata_close(db));
  int n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) n++;
  CHECK_EQ_U64(n, 2);
  strata_iterator_close(it);
  strata_snapshot_release(snap);
  strata_options_free(o);
  teardown();
}

/* Synced writes survive a crash that drops everything unsynced; the rest is all-or-nothing. */
static void synced_writes_survive_a_crash(void) {
  vfs *mem = NULL, *faulty = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_OK(vfs_fault_new(mem, &faulty));
  strata_options *o = small_options(0);
  EXPECT_OK(strata_options_set_vfs(o, faulty));
  int seeds_with_loss = 0;
  for (uint64_t seed = 0; seed < 12; seed++) {
    strata_db *db = NULL;
    CHECK_OK(strata_open("crashdb", o, &db));
    char k[32];
    for (int i = 0; i < 400; i++) {
      snprintf(k, sizeof k, "s%llu-%04d", (unsigned long long)seed, i);
      CHECK_OK(strata_put(db, k, strlen(k), k, strlen(k), i % 50 == 49 && i < 350)); /* every 50th is synced, up to 349 */
      if (i == 250) {
        int more = 1;
        while (more) CHECK_OK(strata_maintenance_step(db, 1 << 20, &more));
      }
    }
    CHECK_OK(vfs_fault_crash(faulty, seed)); /* power cut: unsynced bytes lost or torn */
    /* the handle's files are dead now; free it as a crashed process would have: not at all */
    strata_status_free(strata_close(db));
    CHECK_OK(strata_open("crashdb", o, &db));
    int lost_any = 0;
    for (int i = 0; i < 400; i++) {
      snprintf(k, sizeof k, "s%llu-%04d", (unsigned long long)seed, i);
      char got[64];
      get_str(db, NULL, k, got, sizeof got);
      if (i < 350 && strcmp(got, k) != 0) {
        harness_fail(__FILE__, __LINE__, "seed %llu: synced write %s lost (%s)", (unsigned long long)seed, k, got);
        return;
      }
      if (strcmp(got, k) != 0) lost_any = 1;
      else if (lost_any) { /* a later write survived where an earlier one did not: a hole */
        harness_fail(__FILE__, __LINE__, "seed %llu: %s survived after a lost write", (unsigned long long)seed, k);
        return;
      }
    }
    seeds_with_loss += lost_any;
    CHECK_OK(strata_close(db));
  }
  CHECK(seeds_with_loss > 0); /* the crash really dropped unsynced writes */
  strata_options_free(o);
  vfs_destroy(faulty);
  vfs_destroy(mem);
}

/* With an interval policy, a write after the interval syncs the journal: it survives a crash. */
static void interval_sync_makes_earlier_writes_durable(void) {
  vfs *mem = NULL, *faulty = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_OK(vfs_fault_new(mem, &faulty));
  strata_options *o = small_options(0);
  EXPECT_OK(strata_options_set_vfs(o, faulty));
  EXPECT_OK(strata_options_set_sync_interval_ms(o, 2));
  strata_db *db = NULL;
  CHECK_OK(strata_open("intervaldb", o, &db));
  CHECK_OK(put_str(db, "first", "1"));
  uint64_t start = clock_monotonic_ms();
  while (clock_monotonic_ms() < start + 5) {
  }
  CHECK_OK(put_str(db, "second", "2")); /* the interval has passed: this append syncs */
  CHECK_OK(vfs_fault_crash(faulty, 0));
  strata_status_free(strata_close(db));
  CHECK_OK(strata_open("intervaldb", o, &db));
  CHECK_VALUE(db, NULL, "first", "1");
  CHECK_VALUE(db, NULL, "second", "2");
  CHECK_OK(strata_close(db));
  /* without the interval, nothing unsynced survives the crash */
  EXPECT_OK(strata_options_set_sync_interval_ms(o, 0));
  CHECK_OK(strata_open("intervaldb", o, &db));
  CHECK_OK(put_str(db, "third", "3"));
  CHECK_OK(vfs_fault_crash(faulty, 0));
  strata_status_free(strata_close(db));
  CHECK_OK(strata_open("intervaldb", o, &db));
  CHECK_VALUE(db, NULL, "third", "<absent>");
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  vfs_destroy(faulty);
  vfs_destroy(mem);
}

/* Collects the largest file of a folder (the table the test damages). */
typedef struct largest_file {
  vfs *v;
  const char *dir;
  char name[64];
  uint64_t size;
} largest_file;

static strata_status *note_largest(void *ctx, const char *name, int is_dir) {
  largest_file *lf = ctx;
  if (is_dir || strlen(name) >= sizeof lf->name) return NULL;
  char *path = vfs_path_join(lf->dir, name);
  if (!path) return strata_vfs_error(STRATA_NO_MEMORY, "path");
  vfs_file *f = NULL;
  uint64_t size = 0;
  strata_status *st = vfs_open(lf->v, path, VFS_OPEN_READ, &f);
  if (!st) st = vfs_file_size(f, &size);
  strata_status_free(vfs_file_close(f));
  free(path);
  if (!st && size > lf->size) {
    lf->size = size;
    strcpy(lf->name, name);
  }
  return st;
}

/* 1 when the process maps a file whose path ends with `suffix` (Linux; elsewhere -1). */
static int process_maps(const char *suffix) {
#ifdef __linux__
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return -1;
  char line[4096];
  int found = 0;
  size_t sl = strlen(suffix);
  while (!found && fgets(line, sizeof line, f)) {
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == ' ')) line[--n] = 0;
    found = n >= sl && strcmp(line + n - sl, suffix) == 0;
  }
  fclose(f);
  return found;
#else
  (void)suffix;
  return -1;
#endif
}

/* Reads every key: *errors counts failed reads, *named those whose message names `file`,
 * *wrong the reads that returned something other than the key's value without an error. */
static void read_all_keys(strata_db *db, int n, const char *file, int *errors, int *named, int *wrong) {
  char k[32], want[64], buf[128];
  *errors = *named = *wrong = 0;
  for (int i = 0; i < n; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    snprintf(want, sizeof want, "value-%05d-of-some-length-to-fill-blocks", i);
    int found = 0;
    size_t vlen = 0;
    strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, buf, sizeof buf, &vlen);
    if (st) {
      (*errors)++;
      *named += strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), file) != NULL;
      strata_status_free(st);
    } else if (!found || vlen != strlen(want) || memcmp(buf, want, vlen) != 0) {
      (*wrong)++;
    }
  }
}

/* Natively the posix backend maps tables (contract version 2) when map_tables is on (-1: the
 * options' default, off); either way a byte flipped in a table's data or the table cut short
 * reads as STRATA_CORRUPTION naming the file, never a wrong value or a crash. */
static void damaged_table_reads_as_corruption_naming_the_file(int map_tables) {
  if (!setup_posix()) return;
  strata_options *o = small_options(0);
  EXPECT_OK(strata_options_set_memtable_size(o, 1 << 20));
  if (map_tables >= 0) EXPECT_OK(strata_options_set_map_tables(o, map_tables));
  else map_tables = 0; /* what the default must be */
  strata_db *db = NULL;
  CHECK_OK(open_db(o, &db));
  const int n = 3000;
  char k[32], v[64];
  for (int i = 0; i < n; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    snprintf(v, sizeof v, "value-%05d-of-some-length-to-fill-blocks", i);
    CHECK_OK(strata_put(db, k, strlen(k), v, strlen(v), 0));
  }
  CHECK_OK(strata_flush(db));
  int errors, named, wrong;
  read_all_keys(db, n, "", &errors, &named, &wrong);
  CHECK(errors == 0 && wrong == 0);
  char *tables = vfs_path_join(dir, "tables");
  largest_file lf = {fs, tables, "", 0};
  CHECK_OK(vfs_list(fs, tables, note_largest, &lf));
  CHECK(lf.size > 16 * 1024);
  char *table = vfs_path_join(tables, lf.name);
  int maps = process_maps(table);
  if (map_tables) CHECK(maps != 0); /* read through its mapping (or not Linux: -1) */
  else CHECK(maps != 1);            /* read with pread: never mapped */
  CHECK_OK(strata_close(db));

  buffer file;
  buffer_init(&file);
  CHECK_OK(vfs_read_file(fs, table, &file));
  for (size_t at = file.len / 4; at < file.len / 2; at += file.len / 16) file.data[at] ^= 0x20;
  vfs_file *f = NULL;
  CHECK_OK(vfs_open(fs, table, VFS_OPEN_WRITE, &f));
  CHECK_OK(vfs_file_write(f, 0, file.data, file.len));
  CHECK_OK(vfs_file_close(f));
  CHECK_OK(open_db(o, &db));
  read_all_keys(db, n, table, &errors, &named, &wrong);
  CHECK(errors > 0);
  CHECK_EQ_U64(named, errors);
  CHECK_EQ_U64(wrong, 0);
  CHECK_OK(strata_close(db));

  CHECK_OK(vfs_open(fs, table, VFS_OPEN_WRITE, &f));
  CHECK_OK(vfs_file_truncate(f, file.len / 2));
  CHECK_OK(vfs_file_close(f));
  strata_status *st = open_db(o, &db);
  if (st) { /* found at open: also corruption naming the file */
    int named_at_open = strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), table);
    if (!named_at_open) fprintf(stderr, "open: %s\n", strata_status_message(st));
    strata_status_free(st);
    CHECK(named_at_open);
  } else {
    read_all_keys(db, n, table, &errors, &named, &wrong);
    CHECK(errors > 0);
    CHECK_EQ_U64(named, errors);
    CHECK_EQ_U64(wrong, 0);
    CHECK_OK(strata_close(db));
  }
  buffer_free(&file);
  free(table);
  free(tables);
  strata_options_free(o);
  teardown();
}

static void a_damaged_mapped_table_reads_as_corruption_naming_the_file(void) {
  damaged_table_reads_as_corruption_naming_the_file(1);
}

static void with_map_tables_off_a_table_is_read_not_mapped_and_damage_reads_the_same(void) {
  damaged_table_reads_as_corruption_naming_the_file(0);
}

static void by_default_a_table_is_read_not_mapped(void) { damaged_table_reads_as_corruption_naming_the_file(-1); }

int main(void) {
  RUN(writes_and_reads_round_trip);
  RUN(get_into_fits_in_place_or_reports_the_length_from_every_layer);
  RUN(bad_input_is_rejected_with_clear_errors);
  RUN(batch_is_atomic_and_last_write_wins);
  RUN(snapshot_is_stable_across_writes_and_flushes);
  RUN(iterator_at_an_old_snapshot_shows_exactly_its_entries_over_newer_memtable_writes);
  RUN(iterators_honour_bounds_prefixes_and_directions);
  RUN(iterators_over_more_runs_and_tables_than_their_region_read_as_the_model);
  RUN(reopen_keeps_journaled_and_flushed_writes);
  RUN(second_open_is_locked_out);
  RUN(create_if_missing_off_refuses_a_folder_without_a_database);
  RUN(compact_reports_progress_up_to_its_total);
  RUN(maintenance_steps_flush_without_threads);
  RUN(maintenance_events_move_when_steps_have_work);
  RUN(iterator_outlives_its_database);
  RUN(synced_writes_survive_a_crash);
  RUN(interval_sync_makes_earlier_writes_durable);
  RUN(a_damaged_mapped_table_reads_as_corruption_naming_the_file);
  RUN(with_map_tables_off_a_table_is_read_not_mapped_and_damage_reads_the_same);
  RUN(by_default_a_table_is_read_not_mapped);
  return harness_finish();
}
