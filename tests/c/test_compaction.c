/*
 * Compaction: the garbage-collecting stream, the strategies (leveled, tiered, FIFO, major),
 * drop_range, and snapshots across compactions -- through the tree and through the public API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_iterator.h"
#include "compaction/compaction_internal.h"
#include "db/db_internal.h"
#include "harness.h"
#include "strata.h"
#include "util/clock.h"

/* --- the stream ------------------------------------------------------------------------ */

#define E(k, s, t, v) {{{(const uint8_t *)(k), sizeof(k) - 1}, (s), (t)}, {(const uint8_t *)(v), sizeof(v) - 1}}

/* Runs the stream over entries and prints what survives as "key@seqno:type=value ...". */
static void stream_out(const test_entry *e, size_t n, const uint64_t *snaps, size_t ns, uint64_t visible, int evict,
                       compaction_filter_fn filter, char *out, size_t cap) {
  compaction_stream_options o = {snaps, ns, visible, evict, filter, NULL, NULL, NULL};
  kv_iterator *s = NULL;
  out[0] = 0;
  strata_status *st = compaction_stream_new(array_iterator_new(e, n), &o, &s);
  if (st) {
    snprintf(out, cap, "<%s>", strata_status_message(st));
    strata_status_free(st);
    return;
  }
  size_t len = 0;
  for (kv_iterator_seek_first(s); kv_iterator_valid(s); kv_iterator_next(s)) {
    internal_key k = kv_iterator_key(s);
    slice v = kv_iterator_value(s);
    len += (size_t)snprintf(out + len, cap - len, "%s%.*s@%llu:%c=%.*s", len ? " " : "", (int)k.user_key.len,
                            (const char *)k.user_key.data, (unsigned long long)k.seqno, "VTW"[k.type], (int)v.len,
                            (const char *)v.data);
  }
  st = kv_iterator_status(s);
  if (st) {
    snprintf(out, cap, "<%s>", strata_status_message(st));
    strata_status_free(st);
  }
  kv_iterator_destroy(s);
}

#define CHECK_STR(got, want)                                                                   \
  do {                                                                                         \
    if (strcmp((got), (want))) {                                                               \
      harness_fail(__FILE__, __LINE__, "got '%s', want '%s'", (got), (want));                  \
      return;                                                                                  \
    }                                                                                          \
  } while (0)

static void stream_keeps_the_newest_version_per_snapshot_band(void) {
  const test_entry e[] = {E("a", 40, VALUE_TYPE_VALUE, "a40"), E("a", 35, VALUE_TYPE_VALUE, "a35"),
                          E("a", 20, VALUE_TYPE_VALUE, "a20"), E("a", 15, VALUE_TYPE_VALUE, "a15"),
                          E("a", 3, VALUE_TYPE_VALUE, "a3"),   E("b", 7, VALUE_TYPE_VALUE, "b7")};
  char out[512];
  /* snapshots at 10 and 30, latest 50: bands [0,10) [10,30) [30,50) */
  const uint64_t snaps[] = {10, 30};
  stream_out(e, 6, snaps, 2, 50, 0, NULL, out, sizeof out);
  CHECK_STR(out, "a@40:V=a40 a@20:V=a20 a@3:V=a3 b@7:V=b7");
  /* no snapshots: only the newest of each key */
  stream_out(e, 6, NULL, 0, 50, 0, NULL, out, sizeof out);
  CHECK_STR(out, "a@40:V=a40 b@7:V=b7");
}

static void stream_keeps_tombstones_unless_evicting(void) {
  const test_entry e[] = {E("a", 9, VALUE_TYPE_TOMBSTONE, ""), E("a", 4, VALUE_TYPE_VALUE, "a4"),
                          E("b", 8, VALUE_TYPE_VALUE, "b8"), E("c", 5, VALUE_TYPE_TOMBSTONE, "")};
  char out[512];
  stream_out(e, 4, NULL, 0, 20, 0, NULL, out, sizeof out);
  CHECK_STR(out, "a@9:T= b@8:V=b8 c@5:T=");
  stream_out(e, 4, NULL, 0, 20, 1, NULL, out, sizeof out);
  CHECK_STR(out, "b@8:V=b8");
  /* a snapshot at 6 still sees a4: the tombstone above it must stay even when evicting */
  const uint64_t snaps[] = {6};
  stream_out(e, 4, snaps, 1, 20, 1, NULL, out, sizeof out);
  CHECK_STR(out, "a@9:T= a@4:V=a4 b@8:V=b8");
}

static void stream_drops_a_weak_tombstone_with_the_value_it_cancels(void) {
  const test_entry e[] = {E("a", 9, VALUE_TYPE_WEAK_TOMBSTONE, ""), E("a", 4, VALUE_TYPE_VALUE, "a4"),
                          E("b", 9, VALUE_TYPE_WEAK_TOMBSTONE, ""), E("b", 4, VALUE_TYPE_VALUE, "b4")};
  char out[512];
  stream_out(e, 4, NULL, 0, 20, 0, NULL, out, sizeof out);
  CHECK_STR(out, ""); /* both pairs below the watermark: gone, even without eviction */
  const uint64_t snaps[] = {6}; /* a snapshot between the weak tombstone and its value keeps both */
  stream_out(e, 4, snaps, 1, 20, 0, NULL, out, sizeof out);
  CHECK_STR(out, "a@9:W= a@4:V=a4 b@9:W= b@4:V=b4");
}

/* Regression (found by the tiered model test): a merge above the last level keeps the delete
 * beneath a value, so a later single delete of that value cannot resurrect older data. */
static void stream_keeps_the_delete_beneath_a_value_for_a_later_single_delete(void) {
  const test_entry first[] = {E("a", 8, VALUE_TYPE_VALUE, "a8"), E("a", 5, VALUE_TYPE_TOMBSTONE, "")};
  char out[512];
  stream_out(first, 2, NULL, 0, 20, 0, NULL, out, sizeof out);
  CHECK_STR(out, "a@8:V=a8 a@5:T=");
  stream_out(first, 2, NULL, 0, 20, 1, NULL, out, sizeof out);
  CHECK_STR(out, "a@8:V=a8");
}

/* Regression (found by the tiered model test): the pair must not take the older delete with it. */
static void stream_weak_pair_leaves_the_delete_beneath_it(void) {
  const test_entry e[] = {E("a", 9, VALUE_TYPE_WEAK_TOMBSTONE, ""), E("a", 8, VALUE_TYPE_VALUE, "a8"),
                          E("a", 5, VALUE_TYPE_TOMBSTONE, ""), E("a", 2, VALUE_TYPE_VALUE, "a2")};
  char out[512];
  stream_out(e, 4, NULL, 0, 20, 0, NULL, out, sizeof out);
  CHECK_STR(out, "a@5:T="); /* a2 in an older run outside the merge stays hidden */
  stream_out(e, 4, NULL, 0, 20, 1, NULL, out, sizeof out);
  CHECK_STR(out, "");
}

static compaction_filter_verdict upper_or_drop(void *ctx, slice key, uint64_t seqno, slice value, buffer *repl) {
  (void)ctx, (void)seqno;
  if (key.data[0] == 'x') return COMPACTION_FILTER_REMOVE;
  for (size_t i = 0; i < value.len; i++) {
    char c = (char)value.data[i];
    strata_status_free(buffer_append_byte(repl, (uint8_t)(c >= 'a' && c <= 'z' ? c - 32 : c)));
  }
  return COMPACTION_FILTER_REPLACE;
}

static void stream_filter_sees_values_never_tombstones(void) {
  const test_entry e[] = {E("a", 5, VALUE_TYPE_VALUE, "abc"), E("d", 6, VALUE_TYPE_TOMBSTONE, ""),
                          E("x", 7, VALUE_TYPE_VALUE, "gone"), E("xd", 8, VALUE_TYPE_TOMBSTONE, "")};
  char out[512];
  stream_out(e, 4, NULL, 0, 20, 0, upper_or_drop, out, sizeof out);
  CHECK_STR(out, "a@5:V=ABC d@6:T= xd@8:T=");
}

/* --- tree-level helpers ------------------------------------------------------------------ */

static vfs *mem;
static tree *t;

static int open_tree(uint64_t target) {
  strata_status *st = vfs_memory_new(&mem);
  tree_options o;
  tree_options_default(&o);
  o.block_size = 512;
  o.table_target_size = target;
  if (!st) st = vfs_mkdir(mem, "db");
  if (!st) st = tree_open(mem, "db", &o, NULL, &t);
  if (st) {
    harness_fail(__FILE__, __LINE__, "open: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  return 1;
}

static void close_tree(void) {
  tree_unref(t);
  t = NULL;
  vfs_destroy(mem);
  mem = NULL;
}

static strata_status *flush_all(uint64_t next_seqno) {
  int sealed = 0, flushed = 1;
  STATUS_TRY(tree_rotate_memtable(t, next_seqno, 0, &sealed));
  while (flushed) STATUS_TRY(tree_flush_oldest(t, &flushed));
  return NULL;
}

static const char *tree_value(const char *key, uint64_t snapshot, char *buf, size_t cap) {
  buffer v;
  buffer_init(&v);
  int found = 0;
  strata_status *st = tree_get(t, NULL, slice_from_cstr(key), snapshot, &found, &v);
  if (st) snprintf(buf, cap, "<%s>", strata_status_message(st));
  else if (!found) snprintf(buf, cap, "<absent>");
  else snprintf(buf, cap, "%.*s", (int)v.len, (const char *)v.data);
  strata_status_free(st);
  buffer_free(&v);
  return buf;
}

/* Regression for lsm-tree #321: each of several snapshots reads exactly its version after a
 * major compaction rewrote every table, and versions nobody can see are gone. */
static void snapshots_read_their_own_versions_after_major_compaction(void) {
  if (!open_tree(4096)) return;
  const int keys = 20, versions = 30;
  char k[16], v[32], got[64];
  uint64_t seqno = 1;
  for (int n = 0; n < versions; n++) {
    for (int i = 0; i < keys; i++) {
      snprintf(k, sizeof k, "k%02d", i);
      snprintf(v, sizeof v, "k%02d-v%llu", i, (unsigned long long)seqno);
      CHECK_OK(tree_insert(t, slice_from_cstr(k), slice_from_cstr(v), seqno++));
    }
    if (n % 7 == 6) CHECK_OK(flush_all(seqno));
  }
  CHECK_OK(flush_all(seqno));
  /* snapshots at several seqnos, one below every write of some keys, one at the very top */
  const uint64_t snaps[] = {5, 47, 48, 300, 599, seqno};
  for (size_t s = 0; s < 6; s++) CHECK_OK(tree_snapshot_pin(t, snaps[s]));
  uint64_t before = tree_approximate_len(t);
  compactor *c = NULL;
  compaction_options co;
  compaction_options_default(&co);
  co.table_target_size = 4096;
  CHECK_OK(compactor_new(t, &co, &c));
  CHECK_OK(compactor_run_major(c, seqno));
  compaction_counters cc = compactor_get_counters(c);
  CHECK_EQ_U64(cc.merges, 1);
  uint64_t after = tree_approximate_len(t);
  CHECK(after < before && after <= (uint64_t)keys * 7); /* at most one version per band */
  for (size_t s = 0; s < 6; s++)
    for (int i = 0; i < keys; i++) {
      snprintf(k, sizeof k, "k%02d", i);
      /* key i is written at seqnos i+1, i+1+keys, ...: the newest below the snapshot */
      uint64_t want = 0;
      for (uint64_t q = (uint64_t)i + 1; q < snaps[s]; q += (uint64_t)keys) want = q;
      if (want == 0) snprintf(v, sizeof v, "<absent>");
      else snprintf(v, sizeof v, "k%02d-v%llu", i, (unsigned long long)want);
      tree_value(k, snaps[s], got, sizeof got);
      if (strcmp(got, v)) {
        harness_fail(__FILE__, __LINE__, "snapshot %llu: %s = %s, want %s", (unsigned long long)snaps[s], k, got, v);
        compactor_free(c);
        return;
      }
    }
  super_version *sv = tree_current(t);
  CHECK_EQ_U64(version_table_count(sv->version), version_level_table_count(sv->version, sv->version->level_count - 1));
  super_version_unref(sv);
  compactor_free(c);
  close_tree();
}

/* Tombstones sit in an intermediate level until a compaction reaches the last level. */
static void tombstones_stay_until_the_last_level(void) {
  if (!open_tree(1 << 20)) return;
  char k[16];
  uint64_t seqno = 1;
  for (int i = 0; i < 100; i++) {
    snprintf(k, sizeof k, "k%03d", i);
    CHECK_OK(tree_insert(t, slice_from_cstr(k), slice_from_cstr("old"), seqno++));
  }
  CHECK_OK(flush_all(seqno));
  compactor *c = NULL;
  CHECK_OK(compactor_new(t, NULL, &c));
  CHECK_OK(compactor_run_major(c, seqno)); /* the values now live in the last level */
  for (int i = 0; i < 100; i += 2) {
    snprintf(k, sizeof k, "k%03d", i);
    CHECK_OK(tree_remove(t, slice_from_cstr(k), seqno++));
  }
  CHECK_OK(flush_all(seqno));
  /* a merge of level 0 into an intermediate level keeps its tombstones: the values below need them */
  picked_job p = {NULL, NULL, NULL}; /* job, base, no progress */
  CHECK_OK(compaction_job_new(COMPACTION_MERGE, 3, PLACE_INTO_RUN, 1 << 20, "test", &p.job));
  super_version *sv = tree_current(t);
  CHECK_OK(strategy_add_run(p.job, &sv->version->levels[0].runs[0]));
  p.base = version_ref(sv->version);
  super_version_unref(sv);
  p.job->evict_tombstones = 0;
  compaction_counters done;
  CHECK_OK(compaction_run_job(c, &p, seqno, &done));
  version_unref(p.base);
  compaction_job_free(p.job);
  sv = tree_current(t);
  CHECK_EQ_U64(version_level_table_count(sv->version, 3), 1);
  CHECK_EQ_U64(sv->version->levels[3].runs[0].tables[0]->tombstone_count, 50);
  super_version_unref(sv);
  char got[32];
  CHECK_STR(tree_value("k000", SEQNO_READ_ALL, got, sizeof got), "<absent>");
  CHECK_STR(tree_value("k001", SEQNO_READ_ALL, got, sizeof got), "old");
  /* the major compaction reaches the last level: tombstones and what they hid are gone */
  CHECK_OK(compactor_run_major(c, seqno));
  CHECK_EQ_U64(tree_approximate_len(t), 50);
  CHECK_STR(tree_value("k000", SEQNO_READ_ALL, got, sizeof got), "<absent>");
  compactor_free(c);
  close_tree();
}

/* Many versions of a few keys spanning blocks: a point read at every snapshot finds its own. */
static void point_reads_find_their_version_among_many_in_a_table(void) {
  if (!open_tree(1 << 20)) return;
  char v[32], got[64];
  const char *keys[] = {"g01-0", "g01-1", "g01-2"};
  for (uint64_t s = 1; s <= 600; s++)
    for (int k = 0; k < 3; k++) {
      snprintf(v, sizeof v, "%08llu", (unsigned long long)s);
      CHECK_OK(tree_insert(t, slice_from_cstr(keys[k]), slice_from_cstr(v), s));
    }
  CHECK_OK(flush_all(601));
  super_version *sv = tree_current(t);
  for (uint64_t snap = 2; snap <= 601; snap++)
    for (int k = 0; k < 3; k++) {
      buffer b;
      buffer_init(&b);
      int found = 0;
      strata_status *st = tree_get(t, sv, slice_from_cstr(keys[k]), snap, &found, &b);
      snprintf(v, sizeof v, "%08llu", (unsigned long long)(snap - 1));
      snprintf(got, sizeof got, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
      buffer_free(&b);
      if (st || !found || strcmp(got, v)) {
        harness_fail(__FILE__, __LINE__, "%s at %llu: %s (%s)", keys[k], (unsigned long long)snap, got,
                     strata_status_message(st));
        strata_status_free(st);
        super_version_unref(sv);
        return;
      }
    }
  super_version_unref(sv);
  close_tree();
}

/* --- through the public API -------------------------------------------------------------- */

static vfs *fs;
static char *dir;

static strata_options *small_options(void) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  EXPECT_OK(strata_options_set_memtable_size(o, 8 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 512));
  EXPECT_OK(strata_options_set_table_target_size(o, 8 << 10));
  EXPECT_OK(strata_options_set_background_threads(o, 0));
  EXPECT_OK(strata_options_set_vfs(o, fs));
  return o;
}

static int setup(void) {
  fs = harness_open_fs(vfs_memory_new, "compaction", &dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

static strata_status *put_n(strata_db *db, int from, int to, const char *tag) {
  char k[32], v[64];
  for (int i = from; i < to; i++) {
    snprintf(k, sizeof k, "key%06d", i);
    snprintf(v, sizeof v, "%s-%06d-padding-padding", tag, i);
    STATUS_TRY(strata_put(db, k, strlen(k), v, strlen(v), 0));
  }
  return NULL;
}

static int value_is(strata_db *db, const strata_snapshot *snap, int i, const char *tag) {
  char k[32], want[64], buf[64];
  snprintf(k, sizeof k, "key%06d", i);
  if (tag) snprintf(want, sizeof want, "%s-%06d-padding-padding", tag, i);
  int found = 0;
  size_t vlen = 0;
  strata_status *st = strata_get_into(db, snap, k, strlen(k), &found, buf, sizeof buf, &vlen);
  int ok = !st && (tag ? found && vlen == strlen(want) && !memcmp(buf, want, vlen) : !found);
  if (!ok) harness_fail(__FILE__, __LINE__, "%s: found %d '%.*s', want %s", k, found, (int)vlen, buf, tag ? want : "absent");
  strata_status_free(st);
  return ok;
}

static void major_compaction_removes_deleted_keys(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(put_n(db, 0, 1000, "v"));
  CHECK_OK(strata_flush(db));
  char k[32];
  for (int i = 0; i < 1000; i += 2) {
    snprintf(k, sizeof k, "key%06d", i);
    CHECK_OK(strata_delete(db, k, strlen(k), 0));
  }
  CHECK_OK(strata_compact(db, 1));
  CHECK_EQ_U64(tree_approximate_len(db->tree), 500); /* no tombstone, no shadowed value left */
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  for (uint32_t l = 0; l + 1 < s.level_count; l++) CHECK_EQ_U64(s.levels[l].tables, 0);
  CHECK(s.levels[s.level_count - 1].tables > 1); /* split at the target size */
  CHECK(s.compactions >= 1 && s.bytes_written_compaction > 0);
  CHECK(value_is(db, NULL, 0, NULL) && value_is(db, NULL, 1, "v") && value_is(db, NULL, 999, "v"));
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_open(dir, o, &db)); /* the manifest says the same after a reopen */
  CHECK(value_is(db, NULL, 998, NULL) && value_is(db, NULL, 997, "v"));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void leveled_trivial_moves_land_whole_tables_in_the_last_level(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  /* ascending keys: every flush writes tables that overlap nothing else */
  uint64_t ids[64];
  size_t n = 0;
  for (int f = 0; f < 4; f++) {
    CHECK_OK(put_n(db, f * 100, f * 100 + 100, "v"));
    CHECK_OK(strata_flush(db));
  }
  super_version *sv = tree_current(db->tree);
  for (size_t r = 0; r < sv->version->levels[0].run_count; r++)
    for (size_t i = 0; i < sv->version->levels[0].runs[r].count && n < 64; i++) ids[n++] = sv->version->levels[0].runs[r].tables[i]->id;
  super_version_unref(sv);
  CHECK(n >= 4);
  CHECK_OK(strata_compact(db, 0));
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  CHECK_EQ_U64(s.levels[0].tables, 0);
  CHECK_EQ_U64(s.levels[s.level_count - 1].tables, n);
  CHECK_EQ_U64(s.bytes_written_compaction, 0); /* moved, not rewritten */
  CHECK(s.compactions >= 1);
  sv = tree_current(db->tree);
  for (size_t i = 0; i < n; i++) {
    unsigned level = 0;
    CHECK(version_find_table(sv->version, ids[i], &level) != NULL);
    CHECK_EQ_U64(level, sv->version->level_count - 1);
  }
  super_version_unref(sv);
  CHECK(value_is(db, NULL, 0, "v") && value_is(db, NULL, 399, "v"));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

/* Tables of ten keys each: key0000x0 .. key0000x9 for x = 0..9. */
static strata_status *ten_tables(strata_db *db) {
  for (int f = 0; f < 10; f++) {
    STATUS_TRY(put_n(db, f * 10, f * 10 + 10, "v"));
    STATUS_TRY(strata_flush(db));
  }
  return NULL;
}

static uint32_t table_total(strata_db *db) {
  strata_stats s;
  strata_status_free(strata_get_stats(db, &s));
  uint32_t n = 0;
  for (uint32_t l = 0; l < s.level_count; l++) n += s.levels[l].tables;
  return n;
}

static void drop_range_honours_bounds_and_old_snapshots(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  EXPECT_OK(strata_options_set_compaction_fifo(o, 0, 0)); /* nothing merges: one table per flush stays */
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(ten_tables(db));
  CHECK_EQ_U64(table_total(db), 10);
  strata_snapshot *snap = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  /* (key000020, key000050): the excluded low bound keeps table 2, the excluded high bound table 5 */
  strata_range r = {STRATA_EXCLUDED, "key000020", 9, STRATA_EXCLUDED, "key000050", 9};
  CHECK_OK(strata_drop_range(db, &r));
  CHECK_EQ_U64(table_total(db), 8);
  CHECK(value_is(db, NULL, 20, "v") && value_is(db, NULL, 35, NULL) && value_is(db, NULL, 49, NULL));
  CHECK(value_is(db, NULL, 50, "v"));
  /* [key000050, key000069]: both bounds included, two whole tables */
  strata_range r2 = {STRATA_INCLUDED, "key000050", 9, STRATA_INCLUDED, "key000069", 9};
  CHECK_OK(strata_drop_range(db, &r2));
  CHECK_EQ_U64(table_total(db), 6);
  CHECK(value_is(db, NULL, 50, NULL) && value_is(db, NULL, 69, NULL) && value_is(db, NULL, 70, "v"));
  /* a range inside one table drops nothing */
  strata_range r3 = {STRATA_INCLUDED, "key000072", 9, STRATA_INCLUDED, "key000075", 9};
  CHECK_OK(strata_drop_range(db, &r3));
  CHECK_EQ_U64(table_total(db), 6);
  /* the snapshot still reads everything it saw */
  for (int i = 0; i < 100; i++) CHECK(value_is(db, snap, i, "v"));
  strata_snapshot_release(snap);
  /* unbounded: everything */
  CHECK_OK(strata_drop_range(db, NULL));
  CHECK_EQ_U64(table_total(db), 0);
  CHECK(value_is(db, NULL, 0, NULL) && value_is(db, NULL, 99, NULL));
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_open(dir, o, &db));
  CHECK(value_is(db, NULL, 99, NULL));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void fifo_drops_the_oldest_tables_past_its_limit(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  EXPECT_OK(strata_options_set_compaction_fifo(o, 3000, 0));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(ten_tables(db)); /* each maintenance-free flush adds a table; the limit holds ~3 */
  CHECK_OK(strata_compact(db, 0));
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  uint64_t bytes = 0;
  for (uint32_t l = 0; l < s.level_count; l++) bytes += s.levels[l].bytes;
  CHECK(bytes <= 3000 && bytes > 0);
  CHECK(value_is(db, NULL, 0, NULL) && value_is(db, NULL, 99, "v")); /* the newest table stayed */
  CHECK(s.bytes_written_compaction == 0 && s.compactions >= 1);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void fifo_drops_tables_past_their_time_to_live(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  EXPECT_OK(strata_options_set_compaction_fifo(o, 0, 30));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(put_n(db, 0, 50, "old"));
  CHECK_OK(strata_flush(db));
  uint64_t start = clock_unix_ms();
  while (clock_unix_ms() < start + 40) {
  }
  CHECK_OK(put_n(db, 50, 100, "new"));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 0));
  CHECK(value_is(db, NULL, 0, NULL) && value_is(db, NULL, 49, NULL));
  CHECK(value_is(db, NULL, 50, "new") && value_is(db, NULL, 99, "new"));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void fifo_without_limits_changes_nothing_and_is_idempotent(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  EXPECT_OK(strata_options_set_compaction_fifo(o, 0, 0));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(ten_tables(db));
  for (int pass = 0; pass < 2; pass++) {
    CHECK_OK(strata_compact(db, 0));
    CHECK_EQ_U64(table_total(db), 10);
  }
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  CHECK_EQ_U64(s.compactions, 0);
  for (int i = 0; i < 100; i++) CHECK(value_is(db, NULL, i, "v"));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void fifo_tolerates_overlapping_level0_tables(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  EXPECT_OK(strata_options_set_compaction_fifo(o, 2500, 0));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  char tag[8];
  for (int f = 0; f < 6; f++) { /* the same 30 keys in every table */
    snprintf(tag, sizeof tag, "g%d", f);
    CHECK_OK(put_n(db, 0, 30, tag));
    CHECK_OK(strata_flush(db));
  }
  strata_stats s;
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.levels[0].runs == 6);
  CHECK_OK(strata_compact(db, 0));
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.levels[0].tables >= 1 && s.levels[0].tables < 6);
  for (int i = 0; i < 30; i++) CHECK(value_is(db, NULL, i, "g5")); /* the newest generation reads */
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static uint64_t run_count_beyond_l0(const strata_stats *s) {
  uint64_t n = 0;
  for (uint32_t l = 1; l < s->level_count; l++) n += s->levels[l].runs;
  return n;
}

static void tiered_merges_runs_of_similar_size(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  EXPECT_OK(strata_options_set_table_target_size(o, 1 << 20)); /* one table per run */
  EXPECT_OK(strata_options_set_compaction_tiered(o, 4, 1.0, 100000)); /* space amplification out of the way */
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  strata_stats s;
  for (int f = 0; f < 16; f++) {
    CHECK_OK(put_n(db, f * 50, f * 50 + 50, "v"));
    CHECK_OK(strata_flush(db));
    CHECK_OK(strata_compact(db, 0));
    CHECK_OK(strata_get_stats(db, &s));
    CHECK(s.levels[0].runs < 4);
    CHECK(run_count_beyond_l0(&s) < 4);
  }
  /* 16 flushes of similar size: four merges of four flushes, then those four runs into one */
  CHECK_OK(strata_get_stats(db, &s));
  CHECK(s.compactions >= 5);
  CHECK(s.bytes_written_compaction < 3 * s.bytes_written_flush); /* each byte rewritten about twice */
  for (int i = 0; i < 800; i += 7) CHECK(value_is(db, NULL, i, "v"));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static void tiered_bounds_space_amplification(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  EXPECT_OK(strata_options_set_table_target_size(o, 1 << 20));
  EXPECT_OK(strata_options_set_compaction_tiered(o, 8, 1.0, 100));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  char tag[8];
  strata_stats s;
  uint64_t live = 0;
  for (int f = 0; f < 12; f++) { /* overwrite the same keys: all but the newest copy is waste */
    snprintf(tag, sizeof tag, "g%02d", f);
    CHECK_OK(put_n(db, 0, 100, tag));
    CHECK_OK(strata_flush(db));
    CHECK_OK(strata_compact(db, 0));
    CHECK_OK(strata_get_stats(db, &s));
    uint64_t total = 0;
    for (uint32_t l = 0; l < s.level_count; l++) total += s.levels[l].bytes;
    if (f == 0) live = total;
    /* newer runs at most 100% of the oldest (the fully merged data), plus the flush just added */
    CHECK(total <= 3 * live + live / 2);
  }
  CHECK(value_is(db, NULL, 0, "g11") && value_is(db, NULL, 99, "g11"));
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

typedef struct filter_state {
  char out[64];
  int calls;
} filter_state;

/* Drops values of "drop-..." tags, rewrites the others' tag to "kept". */
static strata_filter_verdict tag_filter(void *ctx, const void *key, size_t klen, const void *value, size_t vlen,
                                        const void **new_value, size_t *new_len) {
  (void)key, (void)klen;
  filter_state *f = ctx;
  f->calls++;
  if (vlen >= 4 && !memcmp(value, "drop", 4)) return STRATA_FILTER_REMOVE;
  const char *dash = memchr(value, '-', vlen);
  if (!dash) return STRATA_FILTER_KEEP;
  int n = snprintf(f->out, sizeof f->out, "kept%.*s", (int)(vlen - (size_t)(dash - (const char *)value)), dash);
  *new_value = f->out;
  *new_len = (size_t)n;
  return STRATA_FILTER_REPLACE;
}

static void database_filter_rewrites_values_and_keeps_deletes(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  filter_state f = {{0}, 0};
  EXPECT_OK(strata_options_set_compaction_filter(o, tag_filter, &f));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(put_n(db, 0, 100, "v"));
  CHECK_OK(put_n(db, 100, 200, "drop"));
  CHECK_OK(strata_flush(db));
  char k[32];
  snprintf(k, sizeof k, "key%06d", 5);
  CHECK_OK(strata_delete(db, k, strlen(k), 0));
  strata_snapshot *snap = NULL; /* keeps the tombstone above a value a snapshot sees */
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  CHECK_OK(strata_compact(db, 1));
  CHECK(f.calls >= 199); /* every surviving value (key 5's went with its delete) */
  CHECK(value_is(db, NULL, 0, "kept") && value_is(db, NULL, 99, "kept"));
  CHECK(value_is(db, NULL, 5, NULL)); /* the delete was not filtered away */
  CHECK(value_is(db, NULL, 100, NULL) && value_is(db, NULL, 199, NULL));
  strata_snapshot_release(snap);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

static block_cache_stats cache_stats(strata_db *db) { return block_cache_get_stats(tree_block_cache(db->tree)); }

/* Compaction reads its inputs without filling the block cache (table_read_options.fill_cache):
 * the blocks readers cached stay, none are added, cached ones are still used. An open iterator
 * pins the inputs, so their blocks cannot be dropped with the files while this is checked. */
static void compaction_leaves_the_block_cache_as_readers_filled_it(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(put_n(db, 0, 1000, "a"));
  CHECK_OK(strata_flush(db));
  CHECK_OK(put_n(db, 0, 500, "b"));
  CHECK_OK(strata_flush(db));
  block_cache_stats flushed = cache_stats(db);
  for (int i = 0; i < 1000; i += 100) CHECK(value_is(db, NULL, i, i < 500 ? "b" : "a")); /* hot blocks */
  block_cache_stats hot = cache_stats(db);
  CHECK(hot.entries > flushed.entries);
  strata_iterator *pin = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &pin));
  strata_stats s0, s1;
  CHECK_OK(strata_get_stats(db, &s0));
  CHECK_OK(strata_compact(db, 1));
  CHECK_OK(strata_get_stats(db, &s1));
  block_cache_stats after = cache_stats(db);
  CHECK(s1.compactions > s0.compactions && s1.bytes_read_compaction > s0.bytes_read_compaction);
  CHECK_EQ_U64(after.entries, hot.entries);
  CHECK_EQ_U64(after.used_bytes, hot.used_bytes);
  CHECK_EQ_U64(s1.cache_bytes, s0.cache_bytes);
  CHECK_EQ_U64(after.inserts, hot.inserts);
  CHECK(after.hits > hot.hits); /* the hot blocks served the merge */
  strata_iterator_close(pin);
  int right = 1;
  for (int i = 0; i < 1000; i++) right &= value_is(db, NULL, i, i < 500 ? "b" : "a");
  CHECK(right);
  CHECK(cache_stats(db).inserts > hot.inserts + 10); /* readers fill it with the output's blocks */
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

/* With cache_written_blocks a flush caches the blocks it writes and a compaction moves the cached
 * ones to its output: every read after either hits, and nothing is evicted for it. Without it
 * (the default) the same reads all start with misses. */
static void written_blocks_warm_the_cache_when_asked(void) {
  for (int on = 0; on <= 1; on++) {
    if (!setup()) return;
    strata_options *o = small_options();
    CHECK_OK(strata_options_set_cache_written_blocks(o, on));
    strata_db *db = NULL;
    CHECK_OK(strata_open(dir, o, &db));
    CHECK_OK(put_n(db, 0, 1000, "a"));
    CHECK_OK(strata_flush(db));
    block_cache_stats flushed = cache_stats(db);
    CHECK(on ? flushed.entries > 10 : flushed.entries == 0);
    int right = 1;
    for (int i = 0; i < 1000; i++) right &= value_is(db, NULL, i, "a");
    CHECK(right);
    block_cache_stats read = cache_stats(db);
    CHECK(on ? read.misses == flushed.misses : read.misses > flushed.misses + 10);
    CHECK_OK(put_n(db, 0, 500, "b"));
    CHECK_OK(strata_flush(db));
    CHECK_OK(strata_compact(db, 1)); /* one table set replaces the two */
    block_cache_stats compacted = cache_stats(db);
    right = 1;
    for (int i = 0; i < 1000; i++) right &= value_is(db, NULL, i, i < 500 ? "b" : "a");
    CHECK(right);
    block_cache_stats after = cache_stats(db);
    CHECK(on ? after.misses == compacted.misses : after.misses > compacted.misses + 10);
    CHECK_EQ_U64(after.evictions, 0);
    CHECK(after.used_bytes <= after.capacity_bytes);
    CHECK_OK(strata_close(db));
    strata_options_free(o);
    teardown();
  }
}

/* Warming fills only the room the readers left: a cache full of blocks read stays as it was
 * through a flush and a compaction (no block of theirs evicted, nothing added beyond room). */
static void written_blocks_never_push_out_blocks_read(void) {
  if (!setup()) return;
  strata_options *o = small_options();
  CHECK_OK(strata_options_set_block_cache_size(o, 64 << 10));
  CHECK_OK(strata_options_set_cache_written_blocks(o, 1));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(put_n(db, 0, 4000, "a")); /* ~4x the cache */
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1));
  block_cache_stats written = cache_stats(db);
  CHECK(written.used_bytes <= written.capacity_bytes);
  /* the merge took its cached inputs out: the output's blocks had room (without that the
   * inputs would hold the room until deleted, and the cache would be left nearly empty) */
  CHECK(written.used_bytes > written.capacity_bytes / 2);
  CHECK_EQ_U64(written.evictions, 0);
  int right = 1;
  for (int i = 0; i < 4000; i++) right &= value_is(db, NULL, i, "a"); /* readers fill it */
  CHECK(right);
  block_cache_stats read = cache_stats(db);
  CHECK(read.evictions > 0);
  CHECK_OK(put_n(db, 4000, 6000, "c"));
  CHECK_OK(strata_flush(db));
  block_cache_stats flushed = cache_stats(db);
  CHECK_EQ_U64(flushed.evictions, read.evictions);
  CHECK(flushed.used_bytes <= flushed.capacity_bytes);
  right = 1;
  for (int i = 0; i < 6000; i++) right &= value_is(db, NULL, i, i < 4000 ? "a" : "c");
  CHECK(right);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
  teardown();
}

int main(void) {
  RUN(written_blocks_warm_the_cache_when_asked);
  RUN(written_blocks_never_push_out_blocks_read);
  RUN(stream_keeps_the_newest_version_per_snapshot_band);
  RUN(stream_keeps_tombstones_unless_evicting);
  RUN(stream_drops_a_weak_tombstone_with_the_value_it_cancels);
  RUN(stream_weak_pair_leaves_the_delete_beneath_it);
  RUN(stream_keeps_the_delete_beneath_a_value_for_a_later_single_delete);
  RUN(stream_filter_sees_values_never_tombstones);
  RUN(snapshots_read_their_own_versions_after_major_compaction);
  RUN(tombstones_stay_until_the_last_level);
  RUN(point_reads_find_their_version_among_many_in_a_table);
  RUN(major_compaction_removes_deleted_keys);
  RUN(leveled_trivial_moves_land_whole_tables_in_the_last_level);
  RUN(drop_range_honours_bounds_and_old_snapshots);
  RUN(fifo_drops_the_oldest_tables_past_its_limit);
  RUN(fifo_drops_tables_past_their_time_to_live);
  RUN(fifo_without_limits_changes_nothing_and_is_idempotent);
  RUN(fifo_tolerates_overlapping_level0_tables);
  RUN(tiered_merges_runs_of_similar_size);
  RUN(tiered_bounds_space_amplification);
  RUN(database_filter_rewrites_values_and_keeps_deletes);
  RUN(compaction_leaves_the_block_cache_as_readers_filled_it);
  return harness_finish();
}
