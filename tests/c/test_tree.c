/* tree: the lsm-tree behaviours, through the tree API with explicit seqnos. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tree/tree.h"
#include "vfs/vfs_fault.h"

static vfs *fs;
static tree *t;

static tree_options small_options(void) {
  tree_options o;
  tree_options_default(&o);
  o.block_size = 256; /* many blocks even for small tests */
  o.block_cache_bytes = 1 << 20;
  return o;
}

static int open_fresh(void) {
  strata_status *st = vfs_memory_new(&fs);
  if (!st) st = vfs_mkdir(fs, "db");
  tree_options o = small_options();
  if (!st) st = tree_open(fs, "db", &o, NULL, &t);
  if (st) {
    harness_fail(__FILE__, __LINE__, "open: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  return 1;
}

static void close_all(void) {
  tree_unref(t);
  t = NULL;
  vfs_destroy(fs);
  fs = NULL;
}

static strata_status *put(const char *k, const char *v, uint64_t seqno) {
  return tree_insert(t, slice_from_cstr(k), slice_from_cstr(v), seqno);
}

static strata_status *flush_all(uint64_t next_seqno) {
  int sealed = 0, flushed = 1;
  STATUS_TRY(tree_rotate_memtable(t, next_seqno, 0, &sealed));
  while (flushed) STATUS_TRY(tree_flush_oldest(t, &flushed));
  return NULL;
}

/* "value" if present at the snapshot, "" if absent. */
static const char *get(const char *k, uint64_t snapshot, char *buf, size_t cap) {
  buffer v;
  buffer_init(&v);
  int found = 0;
  strata_status *st = tree_get(t, NULL, slice_from_cstr(k), snapshot, &found, &v);
  if (st) {
    snprintf(buf, cap, "<error %s>", strata_status_message(st));
    strata_status_free(st);
  } else if (!found) {
    snprintf(buf, cap, "<absent>");
  } else {
    snprintf(buf, cap, "%.*s", (int)v.len, (const char *)v.data);
  }
  buffer_free(&v);
  return buf;
}

#define CHECK_GET(key, snap, expect)                               \
  do {                                                             \
    char got_[256];                                                \
    get(key, snap, got_, sizeof got_);                             \
    if (strcmp(got_, expect) != 0) {                               \
      harness_fail(__FILE__, __LINE__, "get(%s @%llu) = %s, want %s", key, \
                   (unsigned long long)(snap), got_, expect);      \
      return;                                                      \
    }                                                              \
  } while (0)

/* Concatenates the keys an iterator yields ("a,b,c"), forward or reverse. */
static void scan(const key_range *r, uint64_t snapshot, int reverse, char *out, size_t cap) {
  mvcc_iterator *it = NULL;
  out[0] = 0;
  strata_status *st = tree_iterator(t, NULL, snapshot, r, NULL, &it);
  if (st) {
    snprintf(out, cap, "<error>");
    strata_status_free(st);
    return;
  }
  size_t len = 0;
  for (reverse ? mvcc_iterator_seek_last(it) : mvcc_iterator_seek_first(it); mvcc_iterator_valid(it);
       reverse ? mvcc_iterator_prev(it) : mvcc_iterator_next(it)) {
    slice k = mvcc_iterator_key(it);
    len += (size_t)snprintf(out + len, cap - len, "%s%.*s", len ? "," : "", (int)k.len, (const char *)k.data);
  }
  strata_status_free(mvcc_iterator_status(it));
  mvcc_iterator_destroy(it);
}

static void reads_see_only_seqnos_below_the_snapshot(void) {
  if (!open_fresh()) return;
  CHECK_OK(put("a", "v1", 1));
  CHECK_OK(put("a", "v2", 2));
  CHECK_OK(flush_all(3));
  CHECK_OK(put("a", "v3", 3));
  CHECK_GET("a", 1, "<absent>");
  CHECK_GET("a", 2, "v1");
  CHECK_GET("a", 3, "v2");
  CHECK_GET("a", 4, "v3");
  CHECK_GET("a", SEQNO_READ_ALL, "v3");
  CHECK_OK(flush_all(4));
  CHECK_GET("a", 2, "v1"); /* both versions survive the flushes */
  CHECK_GET("a", 3, "v2");
  CHECK_GET("a", 4, "v3");
  close_all();
}

static void delete_shadows_across_memtable_sealed_and_table(void) {
  if (!open_fresh()) return;
  CHECK_OK(put("k", "table", 1));
  CHECK_OK(flush_all(2));
  CHECK_OK(tree_remove(t, slice_from_cstr("k"), 2));
  int sealed = 0;
  CHECK_OK(tree_rotate_memtable(t, 3, 0, &sealed)); /* the tombstone sits in a sealed memtable */
  CHECK(sealed);
  CHECK_GET("k", 10, "<absent>");
  CHECK_GET("k", 2, "table");
  CHECK_OK(put("k", "again", 3));
  CHECK_GET("k", 10, "again");
  CHECK_OK(tree_remove(t, slice_from_cstr("k"), 4));
  CHECK_GET("k", 10, "<absent>");
  CHECK_OK(flush_all(5));
  CHECK_GET("k", 10, "<absent>");
  CHECK_GET("k", 4, "again");
  key_range all = key_range_all();
  char keys[64];
  scan(&all, 10, 0, keys, sizeof keys);
  CHECK(!strcmp(keys, ""));
  scan(&all, 4, 1, keys, sizeof keys);
  CHECK(!strcmp(keys, "k"));
  close_all();
}

static void weak_delete_hides_the_value_it_cancels(void) {
  if (!open_fresh()) return;
  CHECK_OK(put("w", "once", 1));
  CHECK_OK(tree_remove_weak(t, slice_from_cstr("w"), 2));
  CHECK_GET("w", 10, "<absent>");
  CHECK_GET("w", 2, "once");
  CHECK_OK(flush_all(3));
  CHECK_GET("w", 10, "<absent>");
  close_all();
}

static void ranges_and_prefixes_skip_tombstones_both_ways(void) {
  if (!open_fresh()) return;
  const char *keys[] = {"a", "ab", "abc", "b", "ba", "c", "\xff", "\xff\xff"};
  uint64_t seq = 1;
  for (int i = 0; i < 8; i++) CHECK_OK(put(keys[i], "v", seq++));
  CHECK_OK(flush_all(seq));
  CHECK_OK(tree_remove(t, slice_from_cstr("ab"), seq++));
  CHECK_OK(tree_remove(t, slice_from_cstr("c"), seq++));
  char out[128];
  key_range r = key_range_all();
  scan(&r, SEQNO_READ_ALL, 0, out, sizeof out);
  CHECK(!strcmp(out, "a,abc,b,ba,\xff,\xff\xff"));
  scan(&r, SEQNO_READ_ALL, 1, out, sizeof out);
  CHECK(!strcmp(out, "\xff\xff,\xff,ba,b,abc,a"));
  r.lo.kind = BOUND_EXCLUDED;
  r.lo.key = slice_from_cstr("a");
  r.hi.kind = BOUND_INCLUDED;
  r.hi.key = slice_from_cstr("b");
  scan(&r, SEQNO_READ_ALL, 0, out, sizeof out);
  CHECK(!strcmp(out, "abc,b"));
  scan(&r, SEQNO_READ_ALL, 1, out, sizeof out);
  CHECK(!strcmp(out, "b,abc"));
  buffer scratch;
  buffer_init(&scratch);
  CHECK_OK(key_range_for_prefix(slice_from_cstr("a"), &scratch, &r));
  scan(&r, SEQNO_READ_ALL, 0, out, sizeof out);
  CHECK(!strcmp(out, "a,abc"));
  CHECK_OK(key_range_for_prefix(slice_from_cstr("\xff"), &scratch, &r));
  scan(&r, SEQNO_READ_ALL, 1, out, sizeof out);
  CHECK(!strcmp(out, "\xff\xff,\xff"));
  CHECK_OK(key_range_for_prefix(slice_from_cstr("abc"), &scratch, &r));
  scan(&r, 3, 0, out, sizeof out); /* before "abc" was written */
  CHECK(!strcmp(out, ""));
  buffer_free(&scratch);
  close_all();
}

static void mixed_directions_over_disjoint_tables(void) {
  if (!open_fresh()) return;
  char k[16];
  uint64_t seq = 1;
  for (int table = 0; table < 4; table++) {
    for (int i = 0; i < 50; i++) {
      snprintf(k, sizeof k, "%03d", table * 50 + i);
      CHECK_OK(put(k, k, seq++));
    }
    CHECK_OK(flush_all(seq));
  }
  key_range all = key_range_all();
  mvcc_iterator *it = NULL;
  CHECK_OK(tree_iterator(t, NULL, SEQNO_READ_ALL, &all, NULL, &it));
  mvcc_iterator_seek(it, slice_from_cstr("049"));
  int pos = 49;
  harness_rng rng = {99};
  for (int step = 0; step < 400; step++) {
    snprintf(k, sizeof k, "%03d", pos);
    CHECK(mvcc_iterator_valid(it) && slice_equal(mvcc_iterator_key(it), slice_from_cstr(k)));
    CHECK(slice_equal(mvcc_iterator_value(it), slice_from_cstr(k)));
    if ((harness_rng_next(&rng) % 2 && pos < 199) || pos == 0) {
      mvcc_iterator_next(it);
      pos++;
    } else {
      mvcc_iterator_prev(it);
      pos--;
    }
  }
  CHECK_OK(mvcc_iterator_status(it));
  mvcc_iterator_destroy(it);
  close_all();
}

static void iterator_keeps_its_version_across_flush_and_clear(void) {
  if (!open_fresh()) return;
  CHECK_OK(put("x", "1", 1));
  CHECK_OK(put("y", "2", 2));
  key_range all = key_range_all();
  mvcc_iterator *it = NULL;
  CHECK_OK(tree_iterator(t, NULL, 3, &all, NULL, &it));
  CHECK_OK(put("z", "3", 3)); /* after the iterator's snapshot */
  CHECK_OK(flush_all(4));
  CHECK_OK(tree_clear(t, 4, 0));
  CHECK_GET("x", SEQNO_READ_ALL, "<absent>");
  int n = 0;
  for (mvcc_iterator_seek_first(it); mvcc_iterator_valid(it); mvcc_iterator_next(it)) n++;
  CHECK_EQ_U64(n, 2);
  CHECK_OK(mvcc_iterator_status(it));
  mvcc_iterator_destroy(it);
  close_all();
}

static void drop_range_removes_only_tables_inside(void) {
  if (!open_fresh()) return;
  CHECK_OK(put("a", "1", 1));
  CHECK_OK(put("b", "1", 2));
  CHECK_OK(flush_all(3)); /* table [a, b] */
  CHECK_OK(put("c", "1", 3));
  CHECK_OK(put("e", "1", 4));
  CHECK_OK(flush_all(5)); /* table [c, e] */
  CHECK_OK(put("d", "mem", 5)); /* memtable: never dropped */
  super_version *before = tree_current(t);
  key_range r = key_range_all();
  r.lo.kind = BOUND_INCLUDED;
  r.lo.key = slice_from_cstr("b");
  r.hi.kind = BOUND_INCLUDED;
  r.hi.key = slice_from_cstr("e");
  CHECK_OK(tree_drop_range(t, &r, 6)); /* [a, b] sticks out of the range: kept */
  CHECK_GET("a", SEQNO_READ_ALL, "1");
  CHECK_GET("c", SEQNO_READ_ALL, "<absent>");
  CHECK_GET("d", SEQNO_READ_ALL, "mem");
  /* a reader that pinned the version before the drop still reads the dropped keys */
  buffer v;
  buffer_init(&v);
  int found = 0;
  CHECK_OK(tree_get(t, before, slice_from_cstr("c"), 6, &found, &v));
  CHECK(found && v.len == 1);
  buffer_free(&v);
  super_version_unref(before);
  r.lo.key = slice_from_cstr("a"); /* now [a, b] is inside */
  CHECK_OK(tree_drop_range(t, &r, 6));
  CHECK_GET("a", SEQNO_READ_ALL, "<absent>");
  uint64_t n = 0;
  CHECK_OK(tree_len(t, SEQNO_READ_ALL, &n));
  CHECK_EQ_U64(n, 1);
  CHECK_EQ_U64(tree_get_counters(t).tables_deleted, 2);
  close_all();
}

static void first_last_len_and_sizes(void) {
  if (!open_fresh()) return;
  buffer k, v;
  buffer_init(&k);
  buffer_init(&v);
  int found = 1;
  CHECK_OK(tree_first_key_value(t, SEQNO_READ_ALL, &found, &k, &v));
  CHECK(!found);
  CHECK_OK(put("m", "middle", 1));
  CHECK_OK(put("", "empty key", 2));
  CHECK_OK(flush_all(3));
  CHECK_OK(put("z", "last", 3));
  CHECK_OK(tree_first_key_value(t, SEQNO_READ_ALL, &found, &k, &v));
  CHECK(found && k.len == 0 && v.len == 9);
  CHECK_OK(tree_last_key_value(t, SEQNO_READ_ALL, &found, &k, &v));
  CHECK(found && k.len == 1 && k.data[0] == 'z');
  uint64_t n = 0, size = 0;
  CHECK_OK(tree_len(t, SEQNO_READ_ALL, &n));
  CHECK_EQ_U64(n, 3);
  CHECK_EQ_U64(tree_approximate_len(t), 3);
  CHECK_OK(tree_size_of(t, NULL, slice_from_cstr("m"), SEQNO_READ_ALL, &found, &size));
  CHECK(found && size == 6);
  CHECK_OK(tree_contains_key(t, slice_from_cstr("q"), SEQNO_READ_ALL, &found));
  CHECK(!found);
  buffer_free(&k);
  buffer_free(&v);
  close_all();
}

static void reopen_keeps_flushed_data_and_sets_orphans_aside(void) {
  vfs *disk = NULL;
  CHECK_OK(vfs_posix_new(&disk));
  char *dir = harness_temp_dir(disk, "tree");
  CHECK(dir != NULL);
  tree_options o = small_options();
  tree_open_info info;
  CHECK_OK(tree_open(disk, dir, &o, &info, &t));
  CHECK(info.created);
  char k[16];
  for (int i = 0; i < 300; i++) {
    snprintf(k, sizeof k, "key%04d", i);
    CHECK_OK(tree_insert(t, slice_from_cstr(k), slice_from_cstr(k), (uint64_t)i + 1));
  }
  int sealed = 0, flushed = 0;
  CHECK_OK(tree_rotate_memtable(t, 301, 7, &sealed));
  CHECK_OK(tree_flush_oldest(t, &flushed));
  CHECK(flushed);
  CHECK_EQ_U64(tree_flushed_seqno(t), 301);
  CHECK_EQ_U64(tree_journal_min(t), 7);
  tree_unref(t);
  /* an orphan from an interrupted flush, and a stray file */
  char path[512];
  snprintf(path, sizeof path, "%s/tables/999999", dir);
  CHECK_OK(vfs_replace(disk, path, "junk", 4));
  snprintf(path, sizeof path, "%s/tables/notes.txt", dir);
  CHECK_OK(vfs_replace(disk, path, "hello", 5));
  CHECK_OK(tree_open(disk, dir, &o, &info, &t));
  CHECK(!info.created);
  /* 999999 is above the manifest's next_file_id: maybe newer data, so set aside, not deleted */
  CHECK_EQ_U64(info.moved_to_lost, 1);
  CHECK_EQ_U64(info.obsolete_removed, 0);
  CHECK_EQ_U64(info.strays_ignored, 1);
  int exists = 0;
  snprintf(path, sizeof path, "%s/lost/table-999999", dir);
  CHECK_OK(vfs_exists(disk, path, &exists, NULL));
  CHECK(exists);
  snprintf(path, sizeof path, "%s/tables/999999", dir);
  CHECK_OK(vfs_exists(disk, path, &exists, NULL));
  CHECK(!exists);
  CHECK_EQ_U64(tree_flushed_seqno(t), 301);
  CHECK_GET("key0000", SEQNO_READ_ALL, "key0000");
  CHECK_GET("key0299", SEQNO_READ_ALL, "key0299");
  uint64_t n = 0;
  CHECK_OK(tree_len(t, SEQNO_READ_ALL, &n));
  CHECK_EQ_U64(n, 300);
  tree_unref(t);
  t = NULL;
  harness_temp_dir_remove(disk, dir);
  vfs_destroy(disk);
}

static void corrupt_table_is_reported_not_returned(void) {
  if (!open_fresh()) return;
  for (int i = 0; i < 50; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%02d", i);
    CHECK_OK(put(k, "some value bytes", (uint64_t)i + 1));
  }
  CHECK_OK(flush_all(51));
  super_version *sv = tree_current(t);
  uint64_t id = sv->version->levels[0].runs[0].tables[0]->id;
  super_version_unref(sv);
  char path[64];
  snprintf(path, sizeof path, "db/tables/%llu", (unsigned long long)id);
  buffer file;
  buffer_init(&file);
  CHECK_OK(vfs_read_file(fs, path, &file));
  file.data[40] ^= 0xff; /* inside the first data block */
  CHECK_OK(vfs_replace(fs, path, file.data, file.len));
  buffer_free(&file);
  /* a fresh tree on the same files, so no cached block hides the damage */
  tree_unref(t);
  tree_options o = small_options();
  CHECK_OK(tree_open(fs, "db", &o, NULL, &t));
  buffer v;
  buffer_init(&v);
  int found = 0;
  CHECK_CODE(tree_get(t, NULL, slice_from_cstr("k00"), SEQNO_READ_ALL, &found, &v), STRATA_CORRUPTION);
  buffer_free(&v);
  key_range all = key_range_all();
  mvcc_iterator *it = NULL;
  CHECK_OK(tree_iterator(t, NULL, SEQNO_READ_ALL, &all, NULL, &it));
  mvcc_iterator_seek_first(it);
  CHECK(!mvcc_iterator_valid(it));
  CHECK_CODE(mvcc_iterator_status(it), STRATA_CORRUPTION);
  mvcc_iterator_destroy(it);
  close_all();
}

/* --- tree_apply_edit: the one install path ------------------------------------------------ */

static vfs *inner;

/* A fresh tree on a fault-injecting memory VFS (fs is the wrapper). */
static int open_faulty(void) {
  strata_status *st = vfs_memory_new(&inner);
  if (!st) st = vfs_fault_new(inner, &fs);
  if (!st) st = vfs_mkdir(fs, "db");
  tree_options o = small_options();
  if (!st) st = tree_open(fs, "db", &o, NULL, &t);
  if (st) {
    harness_fail(__FILE__, __LINE__, "open: %s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  return 1;
}

static void close_faulty(void) {
  close_all();
  vfs_destroy(inner);
  inner = NULL;
}

static uint64_t version_id(void) {
  super_version *sv = tree_current(t);
  uint64_t id = sv->version->id;
  super_version_unref(sv);
  return id;
}

static uint64_t writes_so_far(void) {
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  return c.writes;
}

static void edit_that_changes_nothing_writes_no_manifest(void) {
  if (!open_faulty()) return;
  CHECK_OK(put("a", "1", 1));
  CHECK_OK(flush_all(2));
  uint64_t id = version_id(), writes = writes_so_far();
  tree_edit e;
  tree_edit_init(&e);
  int installed = 1;
  CHECK_OK(tree_apply_edit(t, &e, &installed));
  CHECK_EQ_U64(installed, 0);
  /* watermarks only rise: lower ones are no change either */
  CHECK_OK(tree_advance_watermarks(t, 1, 0));
  CHECK_EQ_U64(writes_so_far(), writes);
  CHECK_EQ_U64(version_id(), id);
  CHECK_EQ_U64(tree_flushed_seqno(t), 2);
  /* a higher one is written: the same tables under new counters */
  e.flushed_seqno = 9;
  e.journal_min = 3;
  e.raise_only = 1;
  CHECK_OK(tree_apply_edit(t, &e, &installed));
  CHECK_EQ_U64(installed, 1);
  CHECK(writes_so_far() > writes);
  CHECK_EQ_U64(version_id(), id);
  CHECK_EQ_U64(tree_flushed_seqno(t), 9);
  CHECK_EQ_U64(tree_journal_min(t), 3);
  CHECK_GET("a", SEQNO_READ_ALL, "1");
  close_faulty();
}

static void edit_failing_its_manifest_write_changes_nothing(void) {
  if (!open_faulty()) return;
  CHECK_OK(put("a", "table", 1));
  CHECK_OK(flush_all(2));
  CHECK_OK(put("b", "memtable", 2));
  uint64_t id = version_id();
  vfs_fault_fail_from(fs, VFS_FAULT_WRITE, 1);
  /* a clear whose manifest cannot be written keeps the tables and the memtables */
  CHECK_CODE(tree_clear(t, 3, 0), STRATA_IO);
  vfs_fault_clear(fs);
  CHECK_EQ_U64(version_id(), id);
  CHECK_EQ_U64(tree_flushed_seqno(t), 2);
  CHECK_GET("a", SEQNO_READ_ALL, "table");
  CHECK_GET("b", SEQNO_READ_ALL, "memtable");
  /* so does an edit removing a table the version does not list, before anything is written */
  uint64_t writes = writes_so_far(), missing = 999;
  tree_edit e;
  tree_edit_init(&e);
  e.remove_ids = &missing;
  e.remove_count = 1;
  CHECK_CODE(tree_apply_edit(t, &e, NULL), STRATA_INVALID_ARGUMENT);
  CHECK_EQ_U64(writes_so_far(), writes);
  CHECK_EQ_U64(version_id(), id);
  CHECK_GET("a", SEQNO_READ_ALL, "table");
  /* and the clear succeeds once the disk works */
  CHECK_OK(tree_clear(t, 3, 0));
  CHECK_GET("a", SEQNO_READ_ALL, "<absent>");
  CHECK_GET("b", SEQNO_READ_ALL, "<absent>");
  CHECK_EQ_U64(version_id(), id + 1);
  close_faulty();
}

static void edit_adds_into_a_level_s_only_run(void) {
  if (!open_faulty()) return;
  CHECK_OK(put("a", "1", 1));
  CHECK_OK(flush_all(2));
  CHECK_OK(put("c", "1", 2));
  CHECK_OK(flush_all(3));
  super_version *sv = tree_current(t);
  table_info *first = sv->version->levels[0].runs[1].tables[0], *second = sv->version->levels[0].runs[0].tables[0];
  uint64_t ids[2] = {first->id, second->id};
  /* both tables to level 1, into its run: one run of two tables */
  table_info *moved[2] = {first, second};
  tree_edit e;
  tree_edit_init(&e);
  e.remove_ids = ids;
  e.remove_count = 2;
  e.add = moved;
  e.add_count = 2;
  e.add_level = 1;
  e.add_placement = TREE_PLACE_INTO_RUN;
  CHECK_OK(tree_apply_edit(t, &e, NULL));
  super_version_unref(sv);
  sv = tree_current(t);
  CHECK_EQ_U64(sv->version->levels[0].run_count, 0);
  CHECK_EQ_U64(sv->version->levels[1].run_count, 1);
  CHECK_EQ_U64(sv->version->levels[1].runs[0].count, 2);
  super_version_unref(sv);
  CHECK_GET("a", SEQNO_READ_ALL, "1");
  CHECK_GET("c", SEQNO_READ_ALL, "1");
  /* a level that does not exist is refused */
  e.remove_count = 0;
  e.add_count = 0;
  e.add_level = 99;
  CHECK_OK(tree_apply_edit(t, &e, NULL)); /* adds nothing: no change */
  sv = tree_current(t);
  table_info *one = sv->version->levels[1].runs[0].tables[0];
  e.remove_ids = &one->id;
  e.remove_count = 1;
  e.add = &one;
  e.add_count = 1;
  CHECK_CODE(tree_apply_edit(t, &e, NULL), STRATA_INVALID_ARGUMENT);
  super_version_unref(sv);
  close_faulty();
}

int main(void) {
  RUN(reads_see_only_seqnos_below_the_snapshot);
  RUN(delete_shadows_across_memtable_sealed_and_table);
  RUN(weak_delete_hides_the_value_it_cancels);
  RUN(ranges_and_prefixes_skip_tombstones_both_ways);
  RUN(mixed_directions_over_disjoint_tables);
  RUN(iterator_keeps_its_version_across_flush_and_clear);
  RUN(drop_range_removes_only_tables_inside);
  RUN(first_last_len_and_sizes);
  RUN(reopen_keeps_flushed_data_and_sets_orphans_aside);
  RUN(corrupt_table_is_reported_not_returned);
  RUN(edit_that_changes_nothing_writes_no_manifest);
  RUN(edit_failing_its_manifest_write_changes_nothing);
  RUN(edit_adds_into_a_level_s_only_run);
  return harness_finish();
}
