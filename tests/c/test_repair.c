/* strata_repair through the public API: damaged manifests, tables and journals, the lock, a
 * healthy database, tables whose ranges overlap, bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "journal/journal_format.h"
#include "journal/journal_writer.h"
#include "table/table_chain.h"
#include "table/table_writer.h"
#include "util/status.h"
#include "vfs/vfs.h"
#include "vfs/vfs_fault.h"

static vfs *fs;
static char *dir;

static int setup(void) {
  fs = harness_open_fs(vfs_posix_new, "repair", &dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

static strata_options *options(uint64_t memtable) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  strata_options_set_memtable_size(o, memtable);
  strata_options_set_block_size(o, 512);
  strata_options_set_table_target_size(o, 16 << 10);
  strata_options_set_background_threads(o, 0);
  strata_options_set_vfs(o, fs);
  return o;
}

static strata_status *repair(strata_repair_report *rep) {
  strata_options *o = options(64 << 10);
  strata_status *st = strata_repair(dir, o, rep);
  strata_options_free(o);
  return st;
}

static char *child(const char *name) { return vfs_path_join(dir, name); }

static int file_exists(const char *name) {
  char *p = child(name);
  int exists = 0;
  strata_status_free(vfs_exists(fs, p, &exists, NULL));
  free(p);
  return exists;
}

/* XORs one byte of dir/name at `offset` (from the end when negative). */
static strata_status *flip_byte(const char *name, long offset) {
  char *p = child(name);
  buffer b;
  buffer_init(&b);
  strata_status *st = vfs_read_file(fs, p, &b);
  if (!st) {
    size_t at = offset < 0 ? b.len - (size_t)-offset : (size_t)offset;
    if (at >= b.len) st = status_new(STRATA_INVALID_ARGUMENT, "%s has no byte %zu", p, at);
    else {
      b.data[at] ^= 0x5a;
      st = vfs_replace(fs, p, b.data, b.len);
    }
  }
  buffer_free(&b);
  free(p);
  return st;
}

/* The value of a key as a string, "<absent>" or "<error ...>". */
static const char *get_str(strata_db *db, const char *k, char *buf, size_t cap) {
  int found = 0;
  size_t vlen = 0;
  strata_status *st = strata_get_into(db, NULL, k, strlen(k), &found, buf, cap - 1, &vlen);
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

#define CHECK_VALUE(db, key, expect)                                                            \
  do {                                                                                          \
    char got_[256];                                                                             \
    get_str(db, key, got_, sizeof got_);                                                        \
    if (strcmp(got_, expect)) {                                                                 \
      harness_fail(__FILE__, __LINE__, "get %s = '%s', want '%s'", key, got_, expect);          \
      return;                                                                                   \
    }                                                                                           \
  } while (0)

/* Live entries seen by a full scan, and a checksum of them in order. */
static strata_status *scan_all(strata_db *db, uint64_t *count, uint64_t *sum) {
  strata_iterator *it = NULL;
  *count = 0;
  *sum = 0;
  strata_status *st = strata_iterator_new(db, NULL, NULL, &it);
  if (st) return st;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t kl, vl;
    const void *k = strata_iterator_key(it, &kl);
    const void *v = strata_iterator_value(it, &vl);
    *sum = *sum * 1000003u ^ strata_xxh3_64(k, kl) ^ (strata_xxh3_64(v, vl) << 1);
    (*count)++;
  }
  st = strata_iterator_status(it);
  strata_iterator_close(it);
  return st;
}

/* --- the model: 3,000 keys, overwritten and deleted in several tables and the journal ------- */

#define KEYS 3000
static char model[KEYS][24]; /* "" = deleted or never written */

static void key_of(int i, char *buf) { snprintf(buf, 16, "key%05d", i); }

static strata_status *model_put(strata_db *db, int i, const char *tag) {
  char k[16];
  key_of(i, k);
  snprintf(model[i], sizeof model[i], "%s-%d", tag, i);
  return strata_put(db, k, strlen(k), model[i], strlen(model[i]), 0);
}

static strata_status *model_del(strata_db *db, int i) {
  char k[16];
  key_of(i, k);
  model[i][0] = 0;
  return strata_delete(db, k, strlen(k), 0);
}

/* Several flushed tables (one compaction among them), then writes that stay in the journal. */
static strata_status *build_model_db(int compact) {
  memset(model, 0, sizeof model);
  strata_options *o = options(64 << 10);
  strata_db *db = NULL;
  strata_status *st = strata_open(dir, o, &db);
  strata_options_free(o);
  for (int i = 0; i < KEYS && !st; i++) st = model_put(db, i, "v1");
  if (!st) st = strata_flush(db);
  for (int i = 0; i < KEYS && !st; i += 3) st = model_put(db, i, "v2");
  if (!st) st = strata_flush(db);
  if (!st && compact) st = strata_compact(db, 0);
  for (int i = 0; i < KEYS && !st; i += 7) st = model_del(db, i); /* tombstones in a newer table */
  if (!st) st = strata_flush(db);
  for (int i = 1; i < KEYS && !st; i += 10) st = model_put(db, i, "v3");
  if (!st) st = strata_flush(db);
  /* journal only: a few hundred small writes stay below the 64 KiB memtable */
  for (int i = 2; i < KEYS && !st; i += 25) st = model_put(db, i, "v4");
  for (int i = 4; i < KEYS && !st; i += 50) st = model_del(db, i);
  strata_status *cst = db ? strata_close(db) : NULL;
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

/* Every key reads as the model says, and a scan sees exactly the live ones. */
#define CHECK_MODEL(db)                                                                         \
  do {                                                                                          \
    uint64_t live_ = 0, n_ = 0, sum_ = 0;                                                       \
    for (int i_ = 0; i_ < KEYS; i_++) {                                                         \
      char k_[16];                                                                              \
      key_of(i_, k_);                                                                           \
      CHECK_VALUE(db, k_, model[i_][0] ? model[i_] : "<absent>");                               \
      live_ += model[i_][0] != 0;                                                               \
    }                                                                                           \
    CHECK_OK(scan_all(db, &n_, &sum_));                                                         \
    CHECK_EQ_U64(n_, live_);                                                                    \
  } while (0)

/* The ids of tables/, ascending (at most cap). */
typedef struct ids {
  uint64_t v[64];
  size_t n;
} ids;

static strata_status *collect(void *ctx, const char *name, int is_dir) {
  ids *l = ctx;
  if (!is_dir && l->n < 64) l->v[l->n++] = strtoull(name, NULL, 10);
  return NULL;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static strata_status *list_tables(ids *l) {
  l->n = 0;
  char *p = child("tables");
  strata_status *st = vfs_list(fs, p, collect, l);
  free(p);
  qsort(l->v, l->n, sizeof *l->v, cmp_u64);
  return st;
}

static void repair_restores_database_with_both_manifest_slots_damaged(void) {
  CHECK_OK(build_model_db(1));
  CHECK(file_exists("manifest-0") && file_exists("manifest-1"));
  /* and a copy of the oldest table under a new id, as a compaction's uncommitted output beside
   * its input would be: the two must be merged, each entry written once */
  ids l;
  CHECK_OK(list_tables(&l));
  CHECK(l.n >= 3);
  char from_name[64], to_name[64];
  snprintf(from_name, sizeof from_name, "tables/%llu", (unsigned long long)l.v[0]);
  snprintf(to_name, sizeof to_name, "tables/%llu", (unsigned long long)l.v[l.n - 1] + 100);
  char *from = child(from_name), *to = child(to_name);
  CHECK_OK(vfs_copy_file(fs, from, to));
  free(from);
  free(to);
  CHECK_OK(flip_byte("manifest-0", 40));
  CHECK_OK(flip_byte("manifest-1", 40));
  strata_options *o = options(64 << 10);
  strata_db *db = NULL;
  CHECK_CODE(strata_open(dir, o, &db), STRATA_CORRUPTION);

  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.manifest_slots_damaged, 2);
  CHECK_EQ_U64(rep.tables_damaged, 0);
  CHECK_EQ_U64(rep.tables_found, l.n + 1);
  CHECK_EQ_U64(rep.tables_kept + rep.tables_merged, rep.tables_found);
  CHECK(rep.tables_merged >= 2);
  CHECK(rep.journal_batches_salvaged >= 150);
  CHECK_EQ_U64(rep.journal_bytes_lost, 0);
  CHECK(rep.files_moved_to_lost >= 2); /* the two slots, and the journals */
  CHECK(file_exists("lost/manifest-0") && file_exists("lost/manifest-1"));
  CHECK(rep.log && strstr(rep.log, "manifest"));
  uint64_t highest = rep.highest_seqno;
  CHECK(highest >= KEYS);
  strata_repair_report_clear(&rep);
  CHECK(rep.log == NULL);

  CHECK_OK(strata_open(dir, o, &db));
  CHECK_MODEL(db);
  /* writes continue above every seqno found: a new write wins over everything repaired */
  CHECK_OK(model_put(db, 7, "after")); /* key 7 was deleted in a table */
  CHECK_OK(model_put(db, 2, "after")); /* key 2 was overwritten in the journal */
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "key00007", "after-7");
  CHECK_VALUE(db, "key00002", "after-2");
  CHECK_MODEL(db);
  CHECK_OK(strata_compact(db, 0)); /* compaction takes the repaired level 0 apart correctly */
  CHECK_MODEL(db);
  CHECK_OK(strata_compact(db, 1));
  CHECK_MODEL(db);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

static void repair_of_a_healthy_database_changes_no_contents(void) {
  CHECK_OK(build_model_db(1));
  strata_options *o = options(64 << 10);
  strata_db *db = NULL;
  uint64_t before_n = 0, before_sum = 0, after_n = 0, after_sum = 0;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(scan_all(db, &before_n, &before_sum));
  CHECK_OK(strata_close(db));

  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.manifest_slots_damaged, 0);
  CHECK_EQ_U64(rep.tables_damaged, 0);
  CHECK_EQ_U64(rep.journal_batches_lost, 0);
  CHECK_EQ_U64(rep.journal_bytes_lost, 0);
  CHECK(rep.journal_batches_salvaged > 0);
  strata_repair_report_clear(&rep);

  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(scan_all(db, &after_n, &after_sum));
  CHECK_EQ_U64(after_n, before_n);
  CHECK_EQ_U64(after_sum, before_sum);
  CHECK_MODEL(db);
  CHECK_OK(strata_close(db));
  /* a second repair of the repaired database changes nothing either */
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.tables_damaged, 0);
  CHECK_EQ_U64(rep.tables_merged, 0);
  strata_repair_report_clear(&rep);
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(scan_all(db, &after_n, &after_sum));
  CHECK_EQ_U64(after_sum, before_sum);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

static void repair_moves_damaged_table_to_lost_and_keeps_the_rest(void) {
  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  const char *prefixes[3] = {"a", "b", "c"}; /* one table each, disjoint keys */
  for (int t = 0; t < 3; t++) {
    for (int i = 0; i < 200; i++) {
      char k[16], v[16];
      snprintf(k, sizeof k, "%s%04d", prefixes[t], i);
      snprintf(v, sizeof v, "val%d", i);
      CHECK_OK(strata_put(db, k, strlen(k), v, strlen(v), 0));
    }
    CHECK_OK(strata_flush(db));
  }
  CHECK_OK(strata_close(db));
  ids l;
  CHECK_OK(list_tables(&l));
  CHECK_EQ_U64(l.n, 3);
  char name[64];
  snprintf(name, sizeof name, "tables/%llu", (unsigned long long)l.v[1]); /* the "b" keys */
  CHECK_OK(flip_byte(name, 100));

  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.tables_found, 3);
  CHECK_EQ_U64(rep.tables_damaged, 1);
  CHECK_EQ_U64(rep.tables_kept, 2);
  CHECK_EQ_U64(rep.tables_merged, 0);
  snprintf(name, sizeof name, "lost/table-%llu", (unsigned long long)l.v[1]);
  CHECK(file_exists(name));
  snprintf(name, sizeof name, "tables/%llu", (unsigned long long)l.v[1]);
  CHECK(!file_exists(name));
  CHECK(rep.log && strstr(rep.log, "lost/table-"));
  strata_repair_report_clear(&rep);

  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "a0000", "val0");
  CHECK_VALUE(db, "c0199", "val199");
  CHECK_VALUE(db, "b0005", "<absent>");
  uint64_t n = 0, sum = 0;
  CHECK_OK(scan_all(db, &n, &sum));
  CHECK_EQ_U64(n, 400);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

/* A table compaction made obsolete, left on disk (a snapshot held it when the process died):
 * with both slots intact the manifest proves it obsolete, and its deleted key stays deleted. */
static void repair_moves_tables_the_intact_manifest_dropped_to_lost(void) {
  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(strata_put(db, "x", 1, "old", 3, 0));
  CHECK_OK(strata_put(db, "y", 1, "kept", 4, 0));
  CHECK_OK(strata_flush(db));
  ids before;
  CHECK_OK(list_tables(&before));
  CHECK_EQ_U64(before.n, 1);
  char name[64];
  snprintf(name, sizeof name, "tables/%llu", (unsigned long long)before.v[0]);
  char *table = child(name), *saved = child("saved-table");
  CHECK_OK(vfs_copy_file(fs, table, saved));
  CHECK_OK(strata_delete(db, "x", 1, 0));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1)); /* major: one new table, the tombstone and "old" dropped */
  CHECK_OK(strata_close(db));
  CHECK(!file_exists(name));
  CHECK_OK(vfs_copy_file(fs, saved, table)); /* the file a crash would have left */

  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.tables_obsolete, 1);
  CHECK_EQ_U64(rep.tables_damaged, 0);
  CHECK_EQ_U64(rep.manifest_slots_damaged, 0);
  CHECK(!file_exists(name));
  snprintf(name, sizeof name, "lost/table-%llu", (unsigned long long)before.v[0]);
  CHECK(file_exists(name));
  strata_repair_report_clear(&rep);
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "x", "<absent>");
  CHECK_VALUE(db, "y", "kept");
  CHECK_OK(strata_close(db));
  free(table);
  free(saved);
  strata_options_free(o);
}

/* 100 synced one-put batches of 54 bytes each (25 start + 20 item + 9 end) in one journal. */
#define BATCH_BYTES 54
static void repair_salvages_journal_records_after_damage(void) {
  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  for (int i = 0; i < 100; i++) {
    char k[8], v[16];
    snprintf(k, sizeof k, "k%03d", i);
    snprintf(v, sizeof v, "value-%03d", i);
    CHECK_OK(strata_put(db, k, 4, v, 9, 1));
  }
  CHECK_OK(strata_close(db));
  uint64_t number = 0;
  int found = 0;
  for (uint64_t n = 0; n < 8 && !found; n++) { /* the journal holding the batches */
    char name[32];
    snprintf(name, sizeof name, "journal/%llu", (unsigned long long)n);
    char *p = child(name);
    buffer b;
    buffer_init(&b);
    strata_status *st = vfs_read_file(fs, p, &b);
    if (!st && b.len == 8 + 100 * BATCH_BYTES) {
      found = 1;
      number = n;
    }
    strata_status_free(st);
    buffer_free(&b);
    free(p);
  }
  CHECK(found);
  char name[48]; /* "lost/journal-" and up to 20 digits */
  snprintf(name, sizeof name, "journal/%llu", (unsigned long long)number);
  CHECK_OK(flip_byte(name, 8 + 30 * BATCH_BYTES + 25 + 12)); /* batch 30's body: its start still verifies */
  CHECK_OK(flip_byte(name, 8 + 60 * BATCH_BYTES + 3));       /* batch 60's start record */

  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.journals_read >= 1, 1);
  CHECK_EQ_U64(rep.journal_batches_salvaged, 98);
  CHECK_EQ_U64(rep.journal_batches_lost, 1);
  CHECK_EQ_U64(rep.journal_bytes_lost, 2 * BATCH_BYTES);
  CHECK_EQ_U64(rep.journal_torn_bytes, 0);
  CHECK_EQ_U64(rep.tables_written, 1);
  snprintf(name, sizeof name, "lost/journal-%llu", (unsigned long long)number);
  CHECK(file_exists(name));
  strata_repair_report_clear(&rep);

  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "k000", "value-000");
  CHECK_VALUE(db, "k029", "value-029");
  CHECK_VALUE(db, "k030", "<absent>");
  CHECK_VALUE(db, "k031", "value-031"); /* after the damage */
  CHECK_VALUE(db, "k060", "<absent>");
  CHECK_VALUE(db, "k061", "value-061");
  CHECK_VALUE(db, "k099", "value-099");
  uint64_t n = 0, sum = 0;
  CHECK_OK(scan_all(db, &n, &sum));
  CHECK_EQ_U64(n, 98);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

/* The path of the one journal holding data (the newest), malloc'd. */
static char *data_journal(void) {
  char *found = NULL;
  for (uint64_t n = 0; n < 16; n++) {
    char name[32];
    snprintf(name, sizeof name, "journal/%llu", (unsigned long long)n);
    char *p = child(name);
    buffer b;
    buffer_init(&b);
    strata_status *st = vfs_read_file(fs, p, &b);
    if (!st && b.len > 8) {
      free(found);
      found = p;
      p = NULL;
    }
    strata_status_free(st);
    buffer_free(&b);
    free(p);
  }
  return found;
}

/* A value that is itself a valid journal batch (seqno 2, put ghost=boo). Scanning after
 * damage finds it inside the value; its seqno, below the last batch taken, gives it away. */
static void repair_skips_a_journal_image_inside_a_value(void) {
  uint8_t image[JOURNAL_START_SIZE + 15 + JOURNAL_END_SIZE];
  uint8_t *body = image + JOURNAL_START_SIZE;
  body[0] = VALUE_TYPE_VALUE;
  body[1] = 5, body[2] = 0;                         /* key length */
  body[3] = 3, body[4] = 0, body[5] = 0, body[6] = 0; /* value length */
  memcpy(body + 7, "ghost", 5);
  memcpy(body + 12, "boo", 3);
  journal_encode_start(image, 2, 1, 15);
  uint8_t *end = body + 15;
  end[0] = JOURNAL_TAG_END;
  uint64_t sum = journal_batch_checksum(image, body, 15);
  for (int i = 0; i < 8; i++) end[1 + i] = (uint8_t)(sum >> (8 * i));

  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(strata_put(db, "a", 1, "1", 1, 1));
  CHECK_OK(strata_put(db, "b", 1, "2", 1, 1));
  CHECK_OK(strata_put(db, "c", 1, "3", 1, 1));
  CHECK_OK(strata_put(db, "carrier", 7, image, sizeof image, 1));
  CHECK_OK(strata_put(db, "d", 1, "5", 1, 1));
  CHECK_OK(strata_close(db));
  char *journal = data_journal();
  CHECK(journal != NULL);
  const char *name = journal + strlen(dir) + 1;
  size_t one = JOURNAL_START_SIZE + 7 + 2 + JOURNAL_END_SIZE; /* a batch of a 1-byte key and value */
  CHECK_OK(flip_byte(name, (long)(JOURNAL_HEADER_SIZE + 3 * one + 2))); /* the carrier's start record */

  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.journal_batches_salvaged, 4);
  CHECK_EQ_U64(rep.journal_bytes_lost, JOURNAL_START_SIZE + 7 + 7 + sizeof image + JOURNAL_END_SIZE);
  strata_repair_report_clear(&rep);
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "a", "1");
  CHECK_VALUE(db, "c", "3");
  CHECK_VALUE(db, "d", "5");
  CHECK_VALUE(db, "carrier", "<absent>");
  CHECK_VALUE(db, "ghost", "<absent>");
  CHECK_OK(strata_close(db));
  free(journal);
  strata_options_free(o);
}

/* An incomplete last batch is torn, not damage; a zero-filled tail is neither (it held nothing). */
static void repair_counts_a_torn_tail_as_torn_not_lost(void) {
  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  for (int i = 0; i < 10; i++) {
    char k[8];
    snprintf(k, sizeof k, "k%d", i);
    CHECK_OK(strata_put(db, k, strlen(k), "value", 5, 1));
  }
  CHECK_OK(strata_close(db));
  char *journal = data_journal();
  CHECK(journal != NULL);
  buffer b;
  buffer_init(&b);
  CHECK_OK(vfs_read_file(fs, journal, &b));
  b.len -= 4; /* the last batch loses its end */
  uint8_t zeros[512] = {0};
  CHECK_OK(vfs_replace(fs, journal, b.data, b.len));
  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.journal_batches_salvaged, 9);
  CHECK_EQ_U64(rep.journal_bytes_lost, 0);
  CHECK(rep.journal_torn_bytes > 0);
  strata_repair_report_clear(&rep);
  /* the repaired database's journal, with a zero-filled tail after a batch */
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(strata_put(db, "z", 1, "zz", 2, 1));
  CHECK_OK(strata_close(db));
  free(journal);
  journal = data_journal();
  CHECK(journal != NULL);
  CHECK_OK(vfs_read_file(fs, journal, &b));
  CHECK_OK(buffer_append(&b, zeros, sizeof zeros));
  CHECK_OK(vfs_replace(fs, journal, b.data, b.len));
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.journal_batches_salvaged, 1);
  CHECK_EQ_U64(rep.journal_torn_bytes, 0); /* zeros after the last batch held nothing: not torn */
  CHECK_EQ_U64(rep.journal_bytes_lost, 0);
  strata_repair_report_clear(&rep);
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "k8", "value");
  CHECK_VALUE(db, "k9", "<absent>");
  CHECK_VALUE(db, "z", "zz");
  CHECK_OK(strata_close(db));
  buffer_free(&b);
  free(journal);
  strata_options_free(o);
}

/* Journals written by an open that skipped a damaged journal once (before strict recovery):
 * later writes reused its seqnos. Repair cannot tell which write came last; it says so. */
static strata_status *write_journal(const char *jdir, uint64_t number, uint64_t first_seqno, const char *value) {
  journal_writer_options jo = {JOURNAL_SYNC_NONE, 0, NULL, NULL};
  journal_writer *w = NULL;
  STATUS_TRY(journal_writer_open(fs, jdir, number, &jo, &w));
  write_batch b;
  write_batch_init(&b);
  strata_status *st = NULL;
  for (uint64_t i = 0; i < 3 && !st; i++) {
    char k[8];
    snprintf(k, sizeof k, "k%llu", (unsigned long long)i);
    write_batch_clear(&b);
    st = write_batch_put(&b, slice_make(k, strlen(k)), slice_make(value, strlen(value)));
    if (!st) st = journal_writer_append(w, first_seqno + i, &b, 0);
  }
  write_batch_free(&b);
  strata_status *cst = journal_writer_close(w);
  if (st) strata_status_free(cst);
  return st ? st : cst;
}

static void repair_warns_when_journals_reuse_seqnos(void) {
  char *jdir = child("journal");
  CHECK_OK(vfs_mkdir(fs, jdir));
  CHECK_OK(write_journal(jdir, 1, 10, "first"));  /* seqnos 10..12 */
  CHECK_OK(write_journal(jdir, 2, 11, "second")); /* seqnos 11..13: 11 and 12 again */
  free(jdir);
  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.journal_batches_salvaged, 6);
  CHECK(rep.log && strstr(rep.log, "warning: seqnos from 11 repeat"));
  CHECK_EQ_U64(rep.highest_seqno, 13);
  strata_repair_report_clear(&rep);
  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "k0", "second"); /* k0@11 beats k0@10 */
  CHECK_VALUE(db, "k2", "second"); /* k2@13 beats k2@12 */
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

static void repair_refuses_locked_database(void) {
  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(strata_put(db, "k", 1, "v", 1, 1));
  strata_repair_report rep;
  CHECK_CODE(strata_repair(dir, o, &rep), STRATA_LOCKED);
  CHECK_VALUE(db, "k", "v");
  CHECK_OK(strata_close(db));
  CHECK_OK(strata_repair(dir, o, &rep));
  CHECK_EQ_U64(rep.journal_batches_salvaged, 1);
  strata_repair_report_clear(&rep);
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "k", "v");
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

/* --- tables crafted to overlap: what a point read would get wrong without merging ---------- */

typedef struct entry {
  const char *key;
  uint64_t seqno;
  value_type type;
  const char *value;
} entry;

static strata_status *craft_table(uint64_t id, const entry *e, size_t n) {
  char name[32];
  snprintf(name, sizeof name, "tables/%llu", (unsigned long long)id);
  char *p = child(name);
  table_writer *w = NULL;
  strata_status *st = table_writer_open(fs, p, NULL, &w);
  free(p);
  for (size_t i = 0; i < n && !st; i++) {
    internal_key k = internal_key_make(slice_make(e[i].key, strlen(e[i].key)), e[i].seqno, e[i].type);
    st = table_writer_add(w, &k, slice_make(e[i].value, strlen(e[i].value)));
  }
  if (st) {
    if (w) table_writer_abandon(w);
    return st;
  }
  return table_writer_finish(w, NULL, NULL);
}

static void repair_orders_overlapping_tables_so_the_newest_version_wins(void) {
  char *tables = child("tables");
  CHECK_OK(vfs_mkdir(fs, tables));
  free(tables);
  /* 10 spans seqnos 5..200, as compaction output does; 11 holds a newer version of "a" inside
   * that span. Ordered by highest seqno alone, 10 would answer "a" first with the old value. */
  const entry t10[] = {{"a", 5, VALUE_TYPE_VALUE, "a-old"},
                       {"b", 6, VALUE_TYPE_VALUE, "b-old"},
                       {"z", 200, VALUE_TYPE_VALUE, "z"}};
  const entry t11[] = {{"a", 9, VALUE_TYPE_VALUE, "a-new"}};
  const entry t12[] = {{"b", 300, VALUE_TYPE_TOMBSTONE, ""}}; /* newer than all: kept as it is */
  const entry t14[] = {{"m", 7, VALUE_TYPE_VALUE, "m"}, {"n", 8, VALUE_TYPE_VALUE, "n"}}; /* chained after 11 */
  CHECK_OK(craft_table(10, t10, 3));
  CHECK_OK(craft_table(11, t11, 1));
  CHECK_OK(craft_table(12, t12, 1));
  CHECK_OK(craft_table(14, t14, 2));
  char *from = child("tables/11"), *to = child("tables/13"); /* an exact copy: a duplicate */
  CHECK_OK(vfs_copy_file(fs, from, to));
  free(from);
  free(to);

  strata_repair_report rep;
  CHECK_OK(repair(&rep));
  CHECK_EQ_U64(rep.tables_found, 5);
  CHECK_EQ_U64(rep.tables_kept, 1);
  CHECK_EQ_U64(rep.tables_merged, 4);
  CHECK_EQ_U64(rep.tables_written, 1);
  CHECK_EQ_U64(rep.entries, 6 + 1); /* a@9, a@5, b@6, m@7, n@8, z@200 once each, and the tombstone */
  CHECK_EQ_U64(rep.highest_seqno, 300);
  CHECK(!file_exists("tables/10") && !file_exists("tables/13"));
  strata_repair_report_clear(&rep);

  strata_options *o = options(1 << 20);
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_VALUE(db, "a", "a-new");
  CHECK_VALUE(db, "b", "<absent>");
  CHECK_VALUE(db, "m", "m");
  CHECK_VALUE(db, "n", "n");
  CHECK_VALUE(db, "z", "z");
  CHECK_OK(strata_put(db, "z", 1, "z2", 2, 0)); /* seqno above 300 */
  CHECK_VALUE(db, "z", "z2");
  CHECK_OK(strata_compact(db, 1));
  CHECK_VALUE(db, "a", "a-new");
  CHECK_VALUE(db, "b", "<absent>");
  CHECK_VALUE(db, "z", "z2");
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

/* --- interrupted repairs: an I/O failure and a power cut at every point, then a rerun ------- */

static vfs *inner_fs;
static char *root_dir;

static int setup_fault(void) {
  inner_fs = harness_open_fs(vfs_memory_new, "repair-fault", &root_dir);
  if (!inner_fs) return 0;
  strata_status *st = vfs_fault_new(inner_fs, &fs);
  if (st) {
    harness_fail(__FILE__, __LINE__, "%s", strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  dir = vfs_path_join(root_dir, "db");
  return dir != NULL;
}

static void teardown_fault(void) {
  vfs_destroy(fs);
  free(dir);
  harness_close_fs(inner_fs, root_dir);
  fs = inner_fs = NULL;
  dir = root_dir = NULL;
}

/* map_tables 0 reaches repair too: it reads every table without asking the backend to map one
 * (the fault wrapper counts map() calls, mapping or not), while the default asks; either way the
 * repaired database reads as the model says. */
static void repair_honours_map_tables(void) {
  CHECK_OK(build_model_db(1));
  for (int map = 0; map <= 1; map++) {
    strata_options *o = options(64 << 10);
    CHECK_OK(strata_options_set_map_tables(o, map));
    vfs_fault_reset_counters(fs);
    strata_repair_report rep;
    CHECK_OK(strata_repair(dir, o, &rep));
    CHECK_EQ_U64(rep.tables_damaged, 0);
    strata_repair_report_clear(&rep);
    vfs_fault_counters c;
    vfs_fault_get_counters(fs, &c);
    if (map) CHECK(c.maps > 0);
    else CHECK_EQ_U64(c.maps, 0);
    strata_db *db = NULL;
    CHECK_OK(strata_open(dir, o, &db));
    CHECK_MODEL(db);
    CHECK_OK(strata_close(db));
    vfs_fault_get_counters(fs, &c);
    if (!map) CHECK_EQ_U64(c.maps, 0); /* the database's reads did not ask either */
    strata_options_free(o);
  }
}

#define MUTATING (VFS_FAULT_WRITE | VFS_FAULT_SYNC | VFS_FAULT_REMOVE | VFS_FAULT_REPLACE | VFS_FAULT_TRUNCATE)

static void repair_interrupted_anywhere_completes_when_rerun(void) {
  vfs *wrapper = fs;
  fs = inner_fs; /* the database is built and damaged without faults */
  CHECK_OK(build_model_db(0));
  CHECK_OK(flip_byte("manifest-0", 40));
  CHECK_OK(flip_byte("manifest-1", 40));
  char *pristine = vfs_path_join(root_dir, "pristine");
  CHECK_OK(harness_copy_tree(inner_fs, dir, pristine));
  fs = wrapper;

  strata_repair_report rep;
  vfs_fault_reset_counters(fs);
  CHECK_OK(repair(&rep));
  strata_repair_report_clear(&rep);
  vfs_fault_counters c;
  vfs_fault_get_counters(fs, &c);
  uint64_t ops = c.writes + c.syncs + c.dir_syncs + c.removes + c.replaces + c.truncates;
  CHECK(ops > 10);
  uint64_t failed = 0;
  for (uint64_t n = 1; n <= ops; n++) {
    CHECK_OK(vfs_remove_tree(fs, dir)); /* through the wrapper, which forgets what it tracked */
    CHECK_OK(harness_copy_tree(inner_fs, pristine, dir));
    vfs_fault_fail_from(fs, MUTATING, n); /* the disk is gone from the nth write on ... */
    strata_status *st = repair(&rep);
    failed += st != NULL;
    strata_status_free(st);
    strata_repair_report_clear(&rep);
    CHECK_OK(vfs_fault_crash(fs, n)); /* ... and the power goes: unsynced bytes torn or lost */
    strata_status *again = repair(&rep);
    if (again) {
      harness_fail(__FILE__, __LINE__, "rerun after a cut at write %llu: %s", (unsigned long long)n,
                   strata_status_message(again));
      strata_status_free(again);
      return;
    }
    strata_repair_report_clear(&rep);
    strata_options *o = options(64 << 10);
    strata_db *db = NULL;
    CHECK_OK(strata_open(dir, o, &db));
    strata_options_free(o);
    CHECK_MODEL(db);
    CHECK_OK(strata_close(db));
  }
  CHECK_EQ_U64(failed, ops); /* every cut interrupted it */
  free(pristine);
}

/* The chain iterator repair merges with: tables in order, one at a time, forward only. */
static void table_chain_reads_tables_in_order_and_refuses_to_move_back(void) {
  char *tables = child("tables");
  CHECK_OK(vfs_mkdir(fs, tables));
  free(tables);
  const entry t1[] = {{"a", 1, VALUE_TYPE_VALUE, "1"}, {"b", 2, VALUE_TYPE_TOMBSTONE, ""}};
  const entry t2[] = {{"c", 3, VALUE_TYPE_VALUE, "3"}};
  CHECK_OK(craft_table(1, t1, 2));
  CHECK_OK(craft_table(2, t2, 1));
  char *p1 = child("tables/1"), *p2 = child("tables/2"), *missing = child("tables/3");
  const char *paths[3] = {p1, p2, missing};
  const uint64_t idv[3] = {1, 2, 3};
  kv_iterator *it = NULL;
  CHECK_OK(table_chain_iterator_new(fs, paths, idv, 2, 1, &it));
  const char *want = "abc";
  size_t n = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it), n++) {
    internal_key k = kv_iterator_key(it);
    CHECK(n < 3 && k.user_key.len == 1 && k.user_key.data[0] == (uint8_t)want[n] && k.seqno == n + 1);
  }
  CHECK_EQ_U64(n, 3);
  CHECK_OK(kv_iterator_status(it));
  kv_iterator_seek_first(it);
  kv_iterator_prev(it);
  CHECK(!kv_iterator_valid(it));
  CHECK_CODE(kv_iterator_status(it), STRATA_NOT_SUPPORTED);
  kv_iterator_destroy(it);
  CHECK_OK(table_chain_iterator_new(fs, paths, idv, 3, 1, &it)); /* a table that is gone: an error, no crash */
  n = 0;
  for (kv_iterator_seek_first(it); kv_iterator_valid(it); kv_iterator_next(it)) n++;
  CHECK_EQ_U64(n, 3);
  CHECK_CODE(kv_iterator_status(it), STRATA_NOT_FOUND);
  kv_iterator_destroy(it);
  free(p1);
  free(p2);
  free(missing);
}

static void repair_reports_bad_input(void) {
  strata_repair_report rep;
  strata_options *o = options(1 << 20);
  char *missing = child("nothing-here");
  CHECK_CODE(strata_repair(missing, o, &rep), STRATA_NOT_FOUND);
  CHECK_CODE(strata_repair(dir, o, &rep), STRATA_NOT_FOUND); /* an empty folder holds no database */
  char *file = child("a-file");
  CHECK_OK(vfs_replace(fs, file, "x", 1));
  CHECK_CODE(strata_repair(file, o, &rep), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_repair("", o, &rep), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_repair(NULL, o, &rep), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_repair(dir, o, NULL), STRATA_INVALID_ARGUMENT);
  strata_batch *not_options = NULL;
  CHECK_OK(strata_batch_new(&not_options));
  CHECK_CODE(strata_repair(dir, (const strata_options *)(const void *)not_options, &rep), STRATA_INVALID_ARGUMENT);
  strata_batch_free(not_options);
  CHECK(rep.log == NULL);
  free(missing);
  free(file);
  strata_options_free(o);
}

int main(void) {
  harness_run_variant("repair_restores_database_with_both_manifest_slots_damaged", "posix", setup,
                      repair_restores_database_with_both_manifest_slots_damaged, teardown);
  harness_run_variant("repair_of_a_healthy_database_changes_no_contents", "posix", setup,
                      repair_of_a_healthy_database_changes_no_contents, teardown);
  harness_run_variant("repair_moves_damaged_table_to_lost_and_keeps_the_rest", "posix", setup,
                      repair_moves_damaged_table_to_lost_and_keeps_the_rest, teardown);
  harness_run_variant("repair_moves_tables_the_intact_manifest_dropped_to_lost", "posix", setup,
                      repair_moves_tables_the_intact_manifest_dropped_to_lost, teardown);
  harness_run_variant("repair_salvages_journal_records_after_damage", "posix", setup,
                      repair_salvages_journal_records_after_damage, teardown);
  harness_run_variant("repair_skips_a_journal_image_inside_a_value", "posix", setup,
                      repair_skips_a_journal_image_inside_a_value, teardown);
  harness_run_variant("repair_counts_a_torn_tail_as_torn_not_lost", "posix", setup,
                      repair_counts_a_torn_tail_as_torn_not_lost, teardown);
  harness_run_variant("repair_warns_when_journals_reuse_seqnos", "posix", setup,
                      repair_warns_when_journals_reuse_seqnos, teardown);
  harness_run_variant("repair_refuses_locked_database", "posix", setup, repair_refuses_locked_database, teardown);
  harness_run_variant("repair_orders_overlapping_tables_so_the_newest_version_wins", "posix", setup,
                      repair_orders_overlapping_tables_so_the_newest_version_wins, teardown);
  harness_run_variant("repair_interrupted_anywhere_completes_when_rerun", "memory+fault", setup_fault,
                      repair_interrupted_anywhere_completes_when_rerun, teardown_fault);
  harness_run_variant("repair_honours_map_tables", "memory+fault", setup_fault, repair_honours_map_tables,
                      teardown_fault);
  harness_run_variant("table_chain_reads_tables_in_order_and_refuses_to_move_back", "posix", setup,
                      table_chain_reads_tables_in_order_and_refuses_to_move_back, teardown);
  harness_run_variant("repair_reports_bad_input", "posix", setup, repair_reports_bad_input, teardown);
  return harness_finish();
}
