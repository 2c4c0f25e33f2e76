/* version: table descriptors, versions and their builder, the two-slot manifest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "version/manifest.h"
#include "version/version.h"

static table_info *make_table(uint64_t id, const char *lo, const char *hi) {
  table_info_fields f = {0};
  f.id = id;
  f.file_size = 1000 + id;
  f.entry_count = 10 * id;
  f.tombstone_count = id % 3;
  f.seqno_min = id;
  f.seqno_max = id * 100;
  f.created_unix_ms = 1700000000000ull + id;
  f.file_checksum.low = id * 0x9E3779B97F4A7C15ull;
  f.file_checksum.high = ~id;
  f.key_min = slice_from_cstr(lo);
  f.key_max = slice_from_cstr(hi);
  table_info *t = NULL;
  strata_status *st = table_info_new(&f, &t);
  strata_status_free(st);
  return t;
}

typedef struct deleted_log {
  uint64_t ids[16];
  int count;
} deleted_log;

static void record_delete(void *ctx, uint64_t id) {
  deleted_log *log = ctx;
  if (log->count < 16) log->ids[log->count++] = id;
}

static void obsolete_table_is_deleted_on_last_release_only(void) {
  deleted_log log = {{0}, 0};
  table_info *kept = make_table(1, "a", "b"), *dropped = make_table(2, "c", "d");
  CHECK(kept && dropped);
  table_info_ref(dropped);
  table_info_mark_obsolete(dropped, record_delete, &log);
  table_info_unref(dropped);
  CHECK_EQ_U64(log.count, 0); /* still referenced */
  table_info_unref(dropped);
  CHECK_EQ_U64(log.count, 1);
  CHECK_EQ_U64(log.ids[0], 2);
  table_info_unref(kept); /* closing: no delete */
  CHECK_EQ_U64(log.count, 1);
}

static void inverted_key_range_is_rejected(void) {
  table_info_fields f = {0};
  f.key_min = slice_from_cstr("z");
  f.key_max = slice_from_cstr("a");
  table_info *t = NULL;
  CHECK_CODE(table_info_new(&f, &t), STRATA_INVALID_ARGUMENT);
}

static void builder_orders_runs_and_finds_tables(void) {
  version *v0 = NULL;
  CHECK_OK(version_new_empty(VERSION_DEFAULT_LEVELS, &v0));
  table_info *t[5] = {make_table(1, "a", "f"), make_table(2, "c", "k"), make_table(3, "a", "c"),
                      make_table(4, "d", "g"), make_table(5, "m", "p")};
  version_builder b;
  version_builder_init(&b, v0);
  version_builder_add_run(&b, 0, &t[0], 1); /* older flush */
  version_builder_add_run(&b, 0, &t[1], 1); /* newer flush comes first */
  version_builder_add_run(&b, 1, &t[2], 3); /* a..c, d..g, m..p */
  version *v1 = NULL;
  CHECK_OK(version_builder_finish(&b, &v1));
  CHECK_EQ_U64(v1->id, v0->id + 1);
  CHECK_EQ_U64(v1->levels[0].run_count, 2);
  CHECK_EQ_U64(v1->levels[0].runs[0].tables[0]->id, 2);
  CHECK_EQ_U64(version_table_count(v1), 5);
  CHECK_EQ_U64(version_level_table_count(v1, 1), 3);
  CHECK_EQ_U64(version_level_bytes(v1, 1), 1003 + 1004 + 1005);
  /* the levels a point read visits: those holding a run, top down */
  CHECK_EQ_U64(v0->run_level_count, 0);
  CHECK_EQ_U64(v1->run_level_count, 2);
  CHECK_EQ_U64(v1->run_levels[0], 0);
  CHECK_EQ_U64(v1->run_levels[1], 1);
  const version_run *run = &v1->levels[1].runs[0];
  CHECK(version_run_find(run, slice_from_cstr("b"))->id == 3);
  CHECK(version_run_find(run, slice_from_cstr("g"))->id == 4);
  CHECK(version_run_find(run, slice_from_cstr("h")) == NULL);
  CHECK(version_run_find(run, slice_from_cstr("")) == NULL);
  CHECK(version_run_find(run, slice_from_cstr("z")) == NULL);
  unsigned level = 9;
  CHECK(version_find_table(v1, 4, &level) && level == 1);
  CHECK(version_find_table(v1, 42, NULL) == NULL);
  /* the next version: compaction removes two tables and inserts one into the level-1 run */
  table_info *merged = make_table(6, "h", "l");
  version_builder_init(&b, v1);
  version_builder_remove_table(&b, 1);
  version_builder_remove_table(&b, 2);
  version_builder_insert_into_run(&b, 1, 0, &merged, 1);
  version *v2 = NULL;
  CHECK_OK(version_builder_finish(&b, &v2));
  CHECK_EQ_U64(v2->levels[0].run_count, 0); /* empty runs dropped */
  CHECK_EQ_U64(v2->run_level_count, 1);     /* ... and level 0 is no longer visited */
  CHECK_EQ_U64(v2->run_levels[0], 1);
  CHECK_EQ_U64(v2->levels[1].runs[0].count, 4);
  CHECK(version_run_find(&v2->levels[1].runs[0], slice_from_cstr("k"))->id == 6);
  /* the older version is untouched */
  CHECK_EQ_U64(version_table_count(v1), 5);
  for (int i = 0; i < 5; i++) table_info_unref(t[i]);
  table_info_unref(merged);
  version_unref(v0);
  version_unref(v1);
  version_unref(v2);
}

static void builder_rejects_overlaps_and_unknown_tables(void) {
  version *v0 = NULL;
  CHECK_OK(version_new_empty(3, &v0));
  table_info *t[2] = {make_table(1, "a", "f"), make_table(2, "e", "k")};
  version_builder b;
  version_builder_init(&b, v0);
  version_builder_add_run(&b, 1, t, 2);
  version *v = NULL;
  CHECK_CODE(version_builder_finish(&b, &v), STRATA_CORRUPTION);
  version_builder_init(&b, v0);
  version_builder_remove_table(&b, 77);
  CHECK_CODE(version_builder_finish(&b, &v), STRATA_INVALID_ARGUMENT);
  version_builder_init(&b, v0);
  version_builder_add_run(&b, 3, t, 1);
  CHECK_CODE(version_builder_finish(&b, &v), STRATA_INVALID_ARGUMENT);
  version_builder_init(&b, v0);
  version_builder_add_run(&b, 0, t, 1);
  version_builder_add_run(&b, 1, t, 1); /* the same table twice */
  CHECK_CODE(version_builder_finish(&b, &v), STRATA_CORRUPTION);
  CHECK_CODE(version_new_empty(1, &v), STRATA_INVALID_ARGUMENT);
  table_info_unref(t[0]);
  table_info_unref(t[1]);
  version_unref(v0);
}

/* A version with tables on three levels and two blob files. */
static version *sample_version(void) {
  version *v0 = NULL, *v = NULL;
  strata_status_free(version_new_empty(VERSION_DEFAULT_LEVELS, &v0));
  if (!v0) return NULL;
  table_info *t[4] = {make_table(7, "", "m"), make_table(8, "apple", "pear"), make_table(9, "a", "b"),
                      make_table(10, "x", "\xff\xff")};
  blob_meta *m[2] = {NULL, NULL};
  strata_status_free(blob_meta_new(11, 4096, 10, 4000, 9000, &m[0]));
  strata_status_free(blob_meta_new(12, 1 << 20, 300, 1000000, 1000000, &m[1]));
  if (!m[0] || !m[1]) return NULL;
  blob_file_info blobs[2] = {{m[0], 0, 0}, {m[1], 77, 2}};
  version_builder b;
  version_builder_init(&b, v0);
  version_builder_add_run(&b, 0, &t[0], 1);
  version_builder_add_run(&b, 0, &t[1], 1);
  version_builder_add_run(&b, 3, &t[2], 2);
  version_builder_set_blobs(&b, blobs, 2);
  strata_status_free(version_builder_finish(&b, &v));
  for (int i = 0; i < 4; i++) table_info_unref(t[i]);
  blob_meta_unref(m[0]);
  blob_meta_unref(m[1]);
  version_unref(v0);
  if (v) v->kv_separated = 1;
  return v;
}

static int same_table(const table_info *a, const table_info *b) {
  return a->id == b->id && a->file_size == b->file_size && checksum128_equal(a->file_checksum, b->file_checksum) &&
         a->entry_count == b->entry_count && a->tombstone_count == b->tombstone_count &&
         a->seqno_min == b->seqno_min && a->seqno_max == b->seqno_max && a->created_unix_ms == b->created_unix_ms &&
         slice_equal(a->key_min, b->key_min) && slice_equal(a->key_max, b->key_max);
}

static int same_version(const version *a, const version *b) {
  if (a->id != b->id || a->level_count != b->level_count || a->blob_count != b->blob_count) return 0;
  for (unsigned l = 0; l < a->level_count; l++) {
    if (a->levels[l].run_count != b->levels[l].run_count) return 0;
    for (size_t r = 0; r < a->levels[l].run_count; r++) {
      if (a->levels[l].runs[r].count != b->levels[l].runs[r].count) return 0;
      for (size_t i = 0; i < a->levels[l].runs[r].count; i++)
        if (!same_table(a->levels[l].runs[r].tables[i], b->levels[l].runs[r].tables[i])) return 0;
    }
  }
  if (a->kv_separated != b->kv_separated) return 0;
  for (size_t i = 0; i < a->blob_count; i++) {
    const blob_file_info *x = &a->blobs[i], *y = &b->blobs[i];
    if (x->file->id != y->file->id || x->file->file_size != y->file->file_size ||
        x->file->item_count != y->file->item_count || x->file->record_bytes != y->file->record_bytes ||
        x->file->raw_value_bytes != y->file->raw_value_bytes || x->garbage_bytes != y->garbage_bytes ||
        x->garbage_count != y->garbage_count)
      return 0;
  }
  return 1;
}

static void manifest_round_trips_through_both_slots(void) {
  vfs *fs = NULL;
  CHECK_OK(vfs_memory_new(&fs));
  CHECK_OK(vfs_mkdir(fs, "db"));
  manifest_state m = {100, 5000, 3, sample_version()};
  CHECK(m.version != NULL);
  manifest_state loaded = {0};
  int found = 1;
  CHECK_OK(manifest_read(fs, "db", &loaded, &found, NULL));
  CHECK(!found); /* a new tree */
  uint64_t epoch = 0;
  for (int i = 0; i < 3; i++) {
    m.next_file_id = 100 + (uint64_t)i;
    CHECK_OK(manifest_write(fs, "db", &epoch, &m));
    manifest_read_info info;
    CHECK_OK(manifest_read(fs, "db", &loaded, &found, &info));
    CHECK(found);
    CHECK_EQ_U64(info.epoch, epoch);
    CHECK_EQ_U64(loaded.next_file_id, 100 + (uint64_t)i);
    CHECK_EQ_U64(loaded.flushed_seqno, 5000);
    CHECK_EQ_U64(loaded.journal_min, 3);
    CHECK(same_version(loaded.version, m.version));
    CHECK(info.other_slot_invalid == (i == 0)); /* after the first write, both slots exist */
    manifest_state_clear(&loaded);
  }
  CHECK_EQ_U64(epoch, 3);
  manifest_state_clear(&m);
  vfs_destroy(fs);
}

static void torn_newest_slot_falls_back_to_previous_epoch(void) {
  vfs *fs = NULL;
  CHECK_OK(vfs_memory_new(&fs));
  CHECK_OK(vfs_mkdir(fs, "db"));
  manifest_state m = {10, 0, 0, sample_version()};
  uint64_t epoch = 0;
  CHECK_OK(manifest_write(fs, "db", &epoch, &m)); /* epoch 1 -> manifest-1 */
  m.next_file_id = 20;
  CHECK_OK(manifest_write(fs, "db", &epoch, &m)); /* epoch 2 -> manifest-0 */
  /* tear epoch 2's slot: cut it in half */
  vfs_file *f = NULL;
  uint64_t size = 0;
  CHECK_OK(vfs_open(fs, "db/manifest-0", VFS_OPEN_WRITE, &f));
  CHECK_OK(vfs_file_size(f, &size));
  CHECK_OK(vfs_file_truncate(f, size / 2));
  CHECK_OK(vfs_file_close(f));
  manifest_state loaded = {0};
  manifest_read_info info;
  int found = 0;
  CHECK_OK(manifest_read(fs, "db", &loaded, &found, &info));
  CHECK(found && info.epoch == 1 && info.other_slot_invalid);
  CHECK_EQ_U64(loaded.next_file_id, 10);
  manifest_state_clear(&loaded);
  /* the next write goes to the torn slot and wins */
  epoch = info.epoch;
  m.next_file_id = 30;
  CHECK_OK(manifest_write(fs, "db", &epoch, &m));
  CHECK_OK(manifest_read(fs, "db", &loaded, &found, &info));
  CHECK(found && info.epoch == 2 && loaded.next_file_id == 30);
  manifest_state_clear(&loaded);
  manifest_state_clear(&m);
  vfs_destroy(fs);
}

static void every_flipped_byte_is_detected(void) {
  vfs *fs = NULL;
  CHECK_OK(vfs_memory_new(&fs));
  CHECK_OK(vfs_mkdir(fs, "db"));
  manifest_state m = {10, 7, 1, sample_version()};
  uint64_t epoch = 0;
  CHECK_OK(manifest_write(fs, "db", &epoch, &m)); /* only manifest-1 exists */
  buffer good;
  buffer_init(&good);
  CHECK_OK(vfs_read_file(fs, "db/manifest-1", &good));
  for (size_t i = 0; i < good.len; i++) {
    good.data[i] ^= 0x01;
    CHECK_OK(vfs_replace(fs, "db/manifest-1", good.data, good.len));
    good.data[i] ^= 0x01;
    manifest_state loaded = {0};
    int found = 0;
    strata_status *st = manifest_read(fs, "db", &loaded, &found, NULL);
    if (!st) {
      manifest_state_clear(&loaded);
      harness_fail(__FILE__, __LINE__, "flipped byte %zu of %zu went unnoticed", i, good.len);
      return;
    }
    CHECK(strata_status_code(st) == STRATA_CORRUPTION);
    strata_status_free(st);
  }
  /* and every truncation */
  for (size_t n = 0; n < good.len; n++) {
    CHECK_OK(vfs_replace(fs, "db/manifest-1", good.data, n));
    manifest_state loaded = {0};
    int found = 0;
    CHECK_CODE(manifest_read(fs, "db", &loaded, &found, NULL), STRATA_CORRUPTION);
  }
  buffer_free(&good);
  manifest_state_clear(&m);
  vfs_destroy(fs);
}

static void payload_decoder_rejects_garbage(void) {
  manifest_state m = {10, 7, 1, sample_version()};
  buffer payload;
  buffer_init(&payload);
  CHECK_OK(manifest_encode(&m, &payload));
  manifest_state out = {0};
  for (size_t n = 0; n < payload.len; n++) {
    strata_status *st = manifest_decode(slice_make(payload.data, n), &out);
    if (!st) {
      manifest_state_clear(&out);
      harness_fail(__FILE__, __LINE__, "payload cut at %zu decoded", n);
      return;
    }
    strata_status_free(st);
  }
  /* random bytes: any answer but a crash; a success must still be a valid version */
  harness_rng rng = {0x1234567};
  for (int round = 0; round < 2000; round++) {
    buffer_clear(&payload);
    CHECK_OK(manifest_encode(&m, &payload));
    for (int k = 0; k < 3; k++) payload.data[harness_rng_next(&rng) % payload.len] = (uint8_t)harness_rng_next(&rng);
    strata_status *st = manifest_decode(buffer_slice(&payload), &out);
    if (!st) {
      CHECK_OK(version_check(out.version));
      manifest_state_clear(&out);
    }
    strata_status_free(st);
  }
  uint8_t future[] = {9};
  CHECK_CODE(manifest_decode(slice_make(future, 1), &out), STRATA_NOT_SUPPORTED);
  buffer_free(&payload);
  manifest_state_clear(&m);
}

static void manifest_on_real_files(void) {
  vfs *fs = NULL;
  CHECK_OK(vfs_posix_new(&fs));
  char *dir = harness_temp_dir(fs, "manifest");
  CHECK(dir != NULL);
  manifest_state m = {10, 7, 1, sample_version()};
  uint64_t epoch = 0;
  CHECK_OK(manifest_write(fs, dir, &epoch, &m));
  CHECK_OK(manifest_write(fs, dir, &epoch, &m));
  manifest_state loaded = {0};
  int found = 0;
  CHECK_OK(manifest_read(fs, dir, &loaded, &found, NULL));
  CHECK(found && same_version(loaded.version, m.version));
  manifest_state_clear(&loaded);
  manifest_state_clear(&m);
  harness_temp_dir_remove(fs, dir);
  vfs_destroy(fs);
}

int main(void) {
  RUN(obsolete_table_is_deleted_on_last_release_only);
  RUN(inverted_key_range_is_rejected);
  RUN(builder_orders_runs_and_finds_tables);
  RUN(builder_rejects_overlaps_and_unknown_tables);
  RUN(manifest_round_trips_through_both_slots);
  RUN(torn_newest_slot_falls_back_to_previous_epoch);
  RUN(every_flipped_byte_is_detected);
  RUN(payload_decoder_rejects_garbage);
  RUN(manifest_on_real_files);
  return harness_finish();
}
