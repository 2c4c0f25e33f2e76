/* Key-value separation through the public API (strata.h): blob files written at flush, values
 * read lazily through handles, garbage collected and relocated by compaction, the mode fixed per
 * database, damage detected. lsm-tree's blob scenarios, ported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strata.h"
#include "blob/blob_file.h"
#include "util/db_files.h"
#include "util/status.h"
#include "vfs/vfs_fault.h"

static vfs *fs;
static char *dir;

static int setup_posix(void) {
  fs = harness_open_fs(vfs_posix_new, "blob", &dir);
  return fs != NULL;
}

static int setup_memory(void) {
  fs = harness_open_fs(vfs_memory_new, "blob", &dir);
  return fs != NULL;
}

static void teardown(void) {
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

#define THRESHOLD 100u

/* Options for a small separated database; threshold 0 = without separation. */
static strata_options *options(uint32_t threshold, uint64_t file_target, double staleness, double age_cutoff) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  EXPECT_OK(strata_options_set_memtable_size(o, 64 << 10));
  EXPECT_OK(strata_options_set_block_size(o, 512));
  EXPECT_OK(strata_options_set_background_threads(o, 0));
  EXPECT_OK(strata_options_set_vfs(o, fs));
  if (threshold)
    EXPECT_OK(strata_options_set_kv_separation(o, threshold, file_target, STRATA_COMPRESSION_LZ4, staleness, age_cutoff));
  return o;
}

static strata_status *open_sep(strata_db **db) {
  strata_options *o = options(THRESHOLD, 1 << 20, 0.25, 1.0);
  strata_status *st = strata_open(dir, o, db);
  strata_options_free(o);
  return st;
}

/* A value of `len` bytes for key k and generation g: letters, half of them random (so LZ4
 * saves a little, not everything). */
static void make_value(char *buf, size_t len, const char *k, int g) {
  harness_rng r = {0x9e3779b97f4a7c15ull ^ (uint64_t)g};
  for (const char *p = k; *p; p++) r.state = r.state * 131 + (unsigned char)*p;
  for (size_t i = 0; i < len; i++)
    buf[i] = (char)(i & 1 ? 'a' + harness_rng_next(&r) % 26 : 'a' + (i / 2) % 26);
}

static strata_status *put_gen(strata_db *db, const char *k, size_t len, int g) {
  char *v = malloc(len ? len : 1);
  if (!v) return NULL;
  make_value(v, len, k, g);
  strata_status *st = strata_put(db, k, strlen(k), v, len, 0);
  free(v);
  return st;
}

/* Generation g of keys k0 .. k<n-1>, each `len` bytes. */
static strata_status *put_keys(strata_db *db, int n, size_t len, int g) {
  char k[16];
  for (int i = 0; i < n; i++) {
    snprintf(k, sizeof k, "k%d", i);
    STATUS_TRY(put_gen(db, k, len, g));
  }
  return NULL;
}

/* 1 when k reads as generation g of length len (at snap). */
static int reads_gen(strata_db *db, const strata_snapshot *snap, const char *k, size_t len, int g) {
  void *v = NULL;
  size_t vlen = 0;
  int found = 0;
  strata_status *st = strata_get(db, snap, k, strlen(k), &found, &v, &vlen);
  if (st) {
    harness_fail(__FILE__, __LINE__, "get %s: %s", k, strata_status_message(st));
    strata_status_free(st);
    return 0;
  }
  char *want = malloc(len ? len : 1);
  int ok = want && found && vlen == len;
  if (ok) {
    make_value(want, len, k, g);
    ok = memcmp(v, want, len) == 0;
  }
  free(want);
  strata_free(v);
  return ok;
}

static strata_stats stats_of(strata_db *db) {
  strata_stats s;
  memset(&s, 0, sizeof s);
  EXPECT_OK(strata_get_stats(db, &s));
  return s;
}

/* --- options and mode ------------------------------------------------------------------- */

static void kv_separation_options_out_of_range_are_refused(void) {
  strata_options *o = NULL;
  CHECK_OK(strata_options_new(&o));
  CHECK_CODE(strata_options_set_kv_separation(o, STRATA_KV_THRESHOLD_MAX + 1, 1 << 20, STRATA_COMPRESSION_LZ4, 0.25, 0.25),
             STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_kv_separation(o, 1024, 512, STRATA_COMPRESSION_LZ4, 0.25, 0.25), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_kv_separation(o, 1024, 1 << 20, (strata_compression)7, 0.25, 0.25),
             STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_kv_separation(o, 1024, 1 << 20, STRATA_COMPRESSION_LZ4, 0, 0.25), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_kv_separation(o, 1024, 1 << 20, STRATA_COMPRESSION_LZ4, 1.5, 0.25),
             STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_kv_separation(o, 1024, 1 << 20, STRATA_COMPRESSION_LZ4, 0.0 / 0.0, 0.25),
             STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_kv_separation(o, 1024, 1 << 20, STRATA_COMPRESSION_LZ4, 0.25, 0), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_options_set_kv_separation(NULL, 1024, 1 << 20, STRATA_COMPRESSION_LZ4, 0.25, 0.25),
             STRATA_INVALID_ARGUMENT);
  /* the defaults are accepted, and 0 turns it off whatever the rest says */
  CHECK_OK(strata_options_set_kv_separation(o, STRATA_DEFAULT_KV_THRESHOLD, STRATA_DEFAULT_BLOB_FILE_TARGET_SIZE,
                                            STRATA_COMPRESSION_LZ4, STRATA_DEFAULT_BLOB_STALENESS,
                                            STRATA_DEFAULT_BLOB_AGE_CUTOFF));
  CHECK_OK(strata_options_set_kv_separation(o, 0, 0, (strata_compression)9, -1, -1));
  strata_options_free(o);
}

/* The mode is the database's: a separated database opened without the option stays separated
 * (the default threshold: a new large value goes to a blob file, a small one stays inline). */
static void a_separated_database_opened_without_the_option_stays_separated(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  CHECK_OK(put_gen(db, "k", 500, 1));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_close(db));
  strata_options *plain = options(0, 0, 0, 0);
  CHECK_OK(strata_open(dir, plain, &db));
  CHECK(reads_gen(db, NULL, "k", 500, 1));
  strata_stats before = stats_of(db);
  CHECK_EQ_U64(before.blob_files, 1);
  CHECK_OK(put_gen(db, "big", STRATA_DEFAULT_KV_THRESHOLD + 10, 2));
  CHECK_OK(put_gen(db, "small", 500, 2)); /* under the default threshold: inline */
  CHECK_OK(strata_flush(db));
  CHECK_EQ_U64(stats_of(db).blob_files, 2);
  CHECK_OK(strata_close(db));
  strata_options_free(plain);
  CHECK_OK(open_sep(&db));
  CHECK(reads_gen(db, NULL, "k", 500, 1));
  CHECK(reads_gen(db, NULL, "big", STRATA_DEFAULT_KV_THRESHOLD + 10, 2));
  CHECK(reads_gen(db, NULL, "small", 500, 2));
  CHECK_OK(strata_close(db));
}

static void a_plain_database_refuses_a_separating_open(void) {
  strata_db *db = NULL;
  strata_options *plain = options(0, 0, 0, 0);
  strata_status *st = NULL;
  CHECK_OK(strata_open(dir, plain, &db));
  CHECK_OK(put_gen(db, "k", 500, 1));
  CHECK_OK(strata_close(db));
  strata_options_free(plain);
  st = open_sep(&db);
  CHECK(strata_status_code(st) == STRATA_INVALID_ARGUMENT);
  CHECK(strstr(strata_status_message(st), "without key-value separation") != NULL);
  strata_status_free(st);
  /* refused before anything was made: no blob folder appears in the plain database */
  char blobs[512];
  snprintf(blobs, sizeof blobs, "%s/%s", dir, DB_DIR_BLOBS);
  int exists = 1, is_dir = 0;
  CHECK_OK(vfs_exists(fs, blobs, &exists, &is_dir));
  CHECK(!exists);
}

/* --- writing and reading ---------------------------------------------------------------- */

static void values_under_at_and_over_the_threshold_read_back(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  CHECK_OK(put_gen(db, "under", THRESHOLD - 1, 1));
  CHECK_OK(put_gen(db, "at", THRESHOLD, 1));
  CHECK_OK(put_gen(db, "over", THRESHOLD + 1, 1));
  CHECK_OK(put_gen(db, "empty", 0, 1));
  CHECK_OK(strata_flush(db));
  strata_stats s = stats_of(db);
  CHECK_EQ_U64(s.blob_files, 1);
  CHECK(s.blob_bytes > 2 * THRESHOLD / 4); /* two values (compressed) and a trailer */
  CHECK_EQ_U64(s.blob_stale_bytes, 0);
  uint64_t reads = s.blob_reads;
  CHECK(reads_gen(db, NULL, "under", THRESHOLD - 1, 1));
  CHECK(reads_gen(db, NULL, "empty", 0, 1));
  CHECK_EQ_U64(stats_of(db).blob_reads, reads); /* inline values read no blob */
  CHECK(reads_gen(db, NULL, "at", THRESHOLD, 1));
  CHECK_EQ_U64(stats_of(db).blob_reads, reads + 1);
  CHECK(reads_gen(db, NULL, "over", THRESHOLD + 1, 1));
  CHECK_EQ_U64(stats_of(db).blob_reads, reads + 2);
  CHECK(reads_gen(db, NULL, "over", THRESHOLD + 1, 1)); /* the blob cache has it now */
  CHECK_EQ_U64(stats_of(db).blob_reads, reads + 2);
  CHECK_OK(strata_close(db));
  /* reopened: the same, through the manifest's blob list */
  CHECK_OK(open_sep(&db));
  CHECK_EQ_U64(stats_of(db).blob_files, 1);
  CHECK(reads_gen(db, NULL, "under", THRESHOLD - 1, 1));
  CHECK(reads_gen(db, NULL, "at", THRESHOLD, 1));
  CHECK(reads_gen(db, NULL, "over", THRESHOLD + 1, 1));
  CHECK(reads_gen(db, NULL, "empty", 0, 1));
  CHECK_OK(strata_close(db));
}

static void length_queries_and_key_iteration_never_read_a_blob(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  char k[16];
  for (int i = 0; i < 50; i++) {
    snprintf(k, sizeof k, "k%03d", i);
    CHECK_OK(put_gen(db, k, 300 + (size_t)i, 1));
  }
  CHECK_OK(strata_flush(db));
  uint64_t reads = stats_of(db).blob_reads;
  /* a length query (cap 0: what JS has() does) answers from the handle */
  int found = 0;
  size_t vlen = 0;
  CHECK_OK(strata_get_into(db, NULL, "k007", 4, &found, NULL, 0, &vlen));
  CHECK(found);
  CHECK_EQ_U64(vlen, 307);
  CHECK_OK(strata_get_into(db, NULL, "nope", 4, &found, NULL, 0, &vlen));
  CHECK(!found);
  /* keys only, both directions */
  strata_iterator *it = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &it));
  int n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t kl = 0;
    CHECK(strata_iterator_key(it, &kl) != NULL);
    n++;
  }
  for (strata_iterator_seek_last(it); strata_iterator_valid(it); strata_iterator_prev(it)) n++;
  CHECK_OK(strata_iterator_status(it));
  CHECK_EQ_U64(n, 100);
  CHECK_EQ_U64(stats_of(db).blob_reads, reads);
  /* values asked for are read, forward and in reverse, and are right */
  char want[400];
  n = 0;
  for (strata_iterator_seek_last(it); strata_iterator_valid(it); strata_iterator_prev(it)) {
    size_t kl = 0, vl = 0;
    const char *kp = strata_iterator_key(it, &kl);
    char key[32];
    snprintf(key, sizeof key, "%.*s", (int)kl, kp);
    const void *v = strata_iterator_value(it, &vl);
    int i = atoi(key + 1);
    make_value(want, 300 + (size_t)i, key, 1);
    CHECK(v && vl == 300 + (size_t)i && memcmp(v, want, vl) == 0);
    n++;
  }
  CHECK_OK(strata_iterator_status(it));
  CHECK_EQ_U64(n, 50);
  CHECK_EQ_U64(stats_of(db).blob_reads, reads + 50);
  strata_iterator_close(it);
  CHECK_OK(strata_close(db));
}

static void overwrite_across_flushes_reads_the_newest(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  for (int g = 1; g <= 4; g++) {
    CHECK_OK(put_gen(db, "k", 400, g));
    CHECK_OK(put_gen(db, "small", 10, g));
    CHECK_OK(strata_flush(db));
    CHECK(reads_gen(db, NULL, "k", 400, g));
  }
  CHECK_EQ_U64(stats_of(db).blob_files, 4);
  /* an overwrite with a small value: the big one behind it is garbage after compaction */
  CHECK_OK(put_gen(db, "k", 20, 5));
  CHECK_OK(strata_flush(db));
  CHECK(reads_gen(db, NULL, "k", 20, 5));
  CHECK_OK(strata_compact(db, 1));
  CHECK(reads_gen(db, NULL, "k", 20, 5));
  CHECK(reads_gen(db, NULL, "small", 10, 4));
  strata_stats s = stats_of(db);
  CHECK_EQ_U64(s.blob_files, 0); /* every blob file dead, dropped */
  CHECK_EQ_U64(s.blob_files_reclaimed, 4);
  CHECK(s.blob_bytes_reclaimed > 0);
  CHECK_OK(strata_close(db));
  CHECK_OK(open_sep(&db));
  CHECK(reads_gen(db, NULL, "k", 20, 5));
  CHECK_EQ_U64(stats_of(db).blob_files, 0);
  CHECK_OK(strata_close(db));
}

static void blob_files_rotate_at_the_target_size(void) {
  strata_options *o = options(THRESHOLD, 4096, 0.25, 1.0);
  EXPECT_OK(strata_options_set_kv_separation(o, THRESHOLD, 4096, STRATA_COMPRESSION_NONE, 0.25, 1.0));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  char k[16];
  for (int i = 0; i < 40; i++) {
    snprintf(k, sizeof k, "k%03d", i);
    CHECK_OK(put_gen(db, k, 1000, i));
  }
  CHECK_OK(strata_flush(db));
  strata_stats s = stats_of(db);
  /* 40 KB of values in files finished once they hold >= 4 KiB: 5 values each, 8 files */
  CHECK_EQ_U64(s.blob_files, 8);
  for (int i = 0; i < 40; i++) {
    snprintf(k, sizeof k, "k%03d", i);
    CHECK(reads_gen(db, NULL, k, 1000, i));
  }
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

/* --- garbage collection ------------------------------------------------------------------ */

/* Stale counting, relocation, dead-file drop, each stage reopened. */
static void gc_counts_stale_bytes_relocates_and_drops_dead_files(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  char k[16];
  CHECK_OK(put_keys(db, 10, 500, 1));
  CHECK_OK(strata_flush(db));
  CHECK_OK(put_keys(db, 4, 500, 2)); /* 4 of 10 overwritten */
  CHECK_OK(strata_flush(db));
  strata_stats s = stats_of(db);
  CHECK_EQ_U64(s.blob_files, 2);
  CHECK_EQ_U64(s.blob_stale_bytes, 0); /* both versions still in tables */
  /* stage 1: compaction drops the old versions; their records are counted stale */
  CHECK_OK(strata_compact(db, 1));
  s = stats_of(db);
  CHECK_EQ_U64(s.blob_files, 2);
  CHECK(s.blob_stale_bytes > 0);
  uint64_t stale = s.blob_stale_bytes;
  CHECK_OK(strata_close(db));
  CHECK_OK(open_sep(&db));
  s = stats_of(db);
  CHECK_EQ_U64(s.blob_stale_bytes, stale); /* the fragmentation map is persisted */
  /* stage 2: the first file is 40% stale (>= 25%): the next compaction relocates its 6 live values */
  CHECK_OK(put_gen(db, "zz", 10, 1)); /* something to compact */
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1));
  s = stats_of(db);
  CHECK(s.blob_bytes_relocated > 0);
  CHECK_EQ_U64(s.blob_files_reclaimed, 1); /* the old file is dead and gone */
  CHECK_EQ_U64(s.blob_files, 2);           /* the second file and the relocation's output */
  CHECK_EQ_U64(s.blob_stale_bytes, 0);
  for (int i = 0; i < 10; i++) {
    snprintf(k, sizeof k, "k%d", i);
    CHECK(reads_gen(db, NULL, k, 500, i < 4 ? 2 : 1));
  }
  CHECK_OK(strata_close(db));
  /* stage 3: reopened, everything reads back; the deleted file is really gone */
  CHECK_OK(open_sep(&db));
  for (int i = 0; i < 10; i++) {
    snprintf(k, sizeof k, "k%d", i);
    CHECK(reads_gen(db, NULL, k, 500, i < 4 ? 2 : 1));
  }
  CHECK_EQ_U64(stats_of(db).blob_files, 2);
  CHECK_OK(strata_close(db));
}

/* Relocation reads the live values of a file about to die: it does not cache them (the blob
 * cache is the block cache, and compaction's reads never fill it). An iterator pins the dead
 * file, so cached values could not be dropped with it while this is checked. */
static void relocation_reads_values_without_caching_them(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  CHECK_OK(put_keys(db, 10, 500, 1));
  CHECK_OK(strata_flush(db));
  CHECK_OK(put_keys(db, 4, 500, 2));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1)); /* the first file is now 40% stale */
  CHECK_OK(put_gen(db, "zz", 10, 1));
  CHECK_OK(strata_flush(db));
  strata_iterator *pin = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &pin));
  strata_stats before = stats_of(db);
  CHECK_OK(strata_compact(db, 1)); /* relocates its 6 live values */
  strata_stats after = stats_of(db);
  CHECK(after.blob_bytes_relocated > before.blob_bytes_relocated);
  CHECK(after.blob_reads >= before.blob_reads + 6); /* read from the file ... */
  CHECK_EQ_U64(after.cache_bytes, before.cache_bytes); /* ... and not cached */
  strata_iterator_close(pin);
  char k[16];
  for (int i = 0; i < 10; i++) {
    snprintf(k, sizeof k, "k%d", i);
    CHECK(reads_gen(db, NULL, k, 500, i < 4 ? 2 : 1));
  }
  CHECK(stats_of(db).cache_bytes > after.cache_bytes); /* readers' values are cached */
  CHECK_OK(strata_close(db));
}

/* A snapshot (and an iterator) taken before a GC keep reading their values after it; the dead
 * file goes only when they let go. */
static void snapshot_before_gc_reads_its_values_after_it(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  const char *keys[4] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; i++) CHECK_OK(put_gen(db, keys[i], 600, 1));
  CHECK_OK(strata_flush(db));
  CHECK_OK(put_gen(db, "c", 600, 2));
  CHECK_OK(put_gen(db, "d", 600, 2));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1)); /* the first file is half stale */
  strata_snapshot *snap = NULL;
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  strata_iterator *it = NULL;
  CHECK_OK(strata_iterator_new(db, NULL, NULL, &it));
  CHECK_OK(put_gen(db, "a", 600, 3));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1)); /* relocates the first file's live values */
  strata_stats s = stats_of(db);
  CHECK(s.blob_bytes_relocated > 0);
  CHECK_EQ_U64(s.blob_files_reclaimed, 0); /* dead, but the snapshot's version still lists it */
  CHECK(reads_gen(db, snap, "a", 600, 1));
  CHECK(reads_gen(db, snap, "b", 600, 1));
  CHECK(reads_gen(db, snap, "c", 600, 2));
  CHECK(reads_gen(db, NULL, "a", 600, 3));
  CHECK(reads_gen(db, NULL, "b", 600, 1));
  int n = 0;
  char want[600];
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it), n++) {
    size_t kl = 0, vl = 0;
    const char *kp = strata_iterator_key(it, &kl);
    char key[32];
    snprintf(key, sizeof key, "%.*s", (int)kl, kp);
    const void *v = strata_iterator_value(it, &vl);
    make_value(want, 600, key, key[0] == 'a' || key[0] == 'b' ? 1 : 2);
    CHECK(v && vl == 600 && memcmp(v, want, 600) == 0);
  }
  CHECK_OK(strata_iterator_status(it));
  CHECK_EQ_U64(n, 4);
  strata_iterator_close(it);
  strata_snapshot_release(snap);
  /* the last reader let go: the file is deleted */
  CHECK_OK(put_gen(db, "e", 10, 1));
  CHECK_OK(strata_flush(db));
  CHECK_EQ_U64(stats_of(db).blob_files_reclaimed, 1);
  CHECK(reads_gen(db, NULL, "a", 600, 3));
  CHECK(reads_gen(db, NULL, "b", 600, 1));
  CHECK_OK(strata_close(db));
}

static uint8_t drop_all_filter_calls;
static strata_filter_verdict shorten_filter(void *ctx, const void *key, size_t klen, const void *value, size_t vlen,
                                            const void **new_value, size_t *new_len) {
  (void)ctx;
  drop_all_filter_calls++;
  /* the filter sees values, never handles: check the value is the one written */
  char want[500], k[32];
  if (vlen != 500 || klen >= sizeof k) return STRATA_FILTER_KEEP;
  memcpy(k, key, klen);
  k[klen] = 0;
  make_value(want, 500, k, 1);
  if (memcmp(value, want, 500) != 0) return STRATA_FILTER_KEEP;
  *new_value = "short";
  *new_len = 5;
  return STRATA_FILTER_REPLACE;
}

static void compaction_filter_sees_values_behind_handles(void) {
  strata_options *o = options(THRESHOLD, 1 << 20, 0.25, 1.0);
  EXPECT_OK(strata_options_set_compaction_filter(o, shorten_filter, NULL));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  CHECK_OK(put_gen(db, "a", 500, 1));
  CHECK_OK(put_gen(db, "b", 500, 1));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1));
  CHECK(drop_all_filter_calls >= 2);
  void *v = NULL;
  size_t vlen = 0;
  int found = 0;
  CHECK_OK(strata_get(db, NULL, "a", 1, &found, &v, &vlen));
  CHECK(found && vlen == 5 && memcmp(v, "short", 5) == 0);
  strata_free(v);
  CHECK_EQ_U64(stats_of(db).blob_files, 0); /* both values replaced inline: the file is dead */
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

static void fifo_counts_blob_bytes_against_its_limit(void) {
  strata_options *o = options(THRESHOLD, 1 << 20, 0.25, 1.0);
  EXPECT_OK(strata_options_set_compaction_fifo(o, 64 << 10, 0));
  strata_db *db = NULL;
  CHECK_OK(strata_open(dir, o, &db));
  char k[16];
  for (int f = 0; f < 20; f++) {
    for (int i = 0; i < 8; i++) {
      snprintf(k, sizeof k, "f%02d-%d", f, i);
      CHECK_OK(put_gen(db, k, 2000, f)); /* 16 KB of values a flush, a tiny table */
    }
    CHECK_OK(strata_flush(db));
    CHECK_OK(strata_compact(db, 0));
  }
  strata_stats s = stats_of(db);
  /* without the blob bytes the tables alone (a few KiB) would never reach 64 KiB */
  CHECK(s.blob_files_reclaimed > 0);
  CHECK(s.blob_bytes - s.blob_stale_bytes <= (64 << 10) + (32 << 10));
  CHECK(reads_gen(db, NULL, "f19-0", 2000, 19));
  int found = 1;
  size_t vlen = 0;
  CHECK_OK(strata_get_into(db, NULL, "f00-0", 5, &found, NULL, 0, &vlen));
  CHECK(!found);
  CHECK_OK(strata_close(db));
  strata_options_free(o);
}

typedef struct name_list {
  char names[8][32];
  int n;
} name_list;

static strata_status *collect(void *ctx, const char *name, int is_dir) {
  name_list *l = ctx;
  if (!is_dir && l->n < 8) snprintf(l->names[l->n++], sizeof l->names[0], "%s", name);
  else if (!is_dir) l->n++;
  return NULL;
}

/* --- bulk ingestion ---------------------------------------------------------------------- */

/* Ingestion into the last level, with and without separation: values in blob files or inline,
 * writes made meanwhile win, order is enforced, nothing shows before finish, reopen keeps it. */
static void ingest_loads_a_sorted_stream_into_the_last_level(void) {
  for (int sep = 0; sep < 2 && !harness_case_failed(); sep++) {
    harness_close_fs(fs, dir);
    fs = harness_open_fs(vfs_posix_new, "blob", &dir);
    CHECK(fs != NULL);
    strata_options *o = options(sep ? THRESHOLD : 0, 1 << 16, 0.25, 1.0);
    EXPECT_OK(strata_options_set_table_target_size(o, 8 << 10));
    strata_db *db = NULL;
    CHECK_OK(strata_open(dir, o, &db));
    CHECK_OK(put_gen(db, "k0005", 300, 9)); /* written before: newer than the ingest */
    strata_snapshot *before = NULL;
    CHECK_OK(strata_snapshot_acquire(db, &before));
    strata_ingest *in = NULL;
    CHECK_OK(strata_ingest_begin(db, &in));
    strata_ingest *second = NULL;
    CHECK_CODE(strata_ingest_begin(db, &second), STRATA_BUSY);
    char k[16], v[400];
    for (int i = 0; i < 200; i++) {
      snprintf(k, sizeof k, "k%04d", i);
      size_t len = i % 2 ? 300 : 20;
      make_value(v, len, k, 1);
      CHECK_OK(strata_ingest_add(in, k, strlen(k), v, len));
    }
    /* out of order and equal keys are refused, and the ingest goes on */
    CHECK_CODE(strata_ingest_add(in, "k0100", 5, "x", 1), STRATA_INVALID_ARGUMENT);
    CHECK_CODE(strata_ingest_add(in, "k0199", 5, "x", 1), STRATA_INVALID_ARGUMENT);
    int found = 1;
    size_t vlen = 0;
    CHECK_OK(strata_get_into(db, NULL, "k0001", 5, &found, NULL, 0, &vlen));
    CHECK(!found); /* nothing visible before finish */
    uint64_t entries = 0;
    CHECK_OK(strata_ingest_finish(in, &entries));
    CHECK_EQ_U64(entries, 200);
    strata_stats s = stats_of(db);
    /* all in the last level: several tables of inline values, or one of handles */
    CHECK(s.levels[s.level_count - 1].tables >= (sep ? 1u : 2u));
    CHECK_EQ_U64(s.levels[0].tables, 0);
    CHECK(sep ? s.blob_files >= 1 : s.blob_files == 0);
    CHECK(reads_gen(db, NULL, "k0001", 300, 1));
    CHECK(reads_gen(db, NULL, "k0002", 20, 1));
    CHECK(reads_gen(db, NULL, "k0005", 300, 9)); /* the earlier write wins */
    CHECK_OK(strata_get_into(db, before, "k0001", 5, &found, NULL, 0, &vlen));
    CHECK(!found); /* the snapshot from before never sees it */
    strata_snapshot_release(before);
    CHECK_OK(put_gen(db, "k0003", 300, 2)); /* a later write wins too */
    CHECK(reads_gen(db, NULL, "k0003", 300, 2));
    /* a second ingest is refused now that tables exist */
    CHECK_CODE(strata_ingest_begin(db, &second), STRATA_INVALID_ARGUMENT);
    CHECK_OK(strata_close(db));
    CHECK_OK(strata_open(dir, o, &db));
    CHECK(reads_gen(db, NULL, "k0199", 300, 1));
    CHECK(reads_gen(db, NULL, "k0003", 300, 2));
    CHECK_OK(strata_compact(db, 1));
    CHECK(reads_gen(db, NULL, "k0199", 300, 1));
    CHECK(reads_gen(db, NULL, "k0005", 300, 9));
    CHECK_OK(strata_close(db));
    strata_options_free(o);
  }
}

/* Abandoned or cut short by a close: nothing is installed and no file stays behind. */
static void an_abandoned_ingest_leaves_nothing(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  strata_ingest *in = NULL;
  CHECK_OK(strata_ingest_begin(db, &in));
  char v[300];
  make_value(v, 300, "a", 1);
  CHECK_OK(strata_ingest_add(in, "a", 1, v, 300));
  CHECK_OK(strata_ingest_add(in, "b", 1, v, 300));
  strata_ingest_abandon(in);
  CHECK_EQ_U64(stats_of(db).blob_files, 0);
  CHECK_OK(strata_ingest_begin(db, &in));
  CHECK_OK(strata_ingest_add(in, "a", 1, v, 300));
  CHECK_OK(strata_close(db)); /* abandons it */
  CHECK_CODE(strata_ingest_add(in, "b", 1, v, 300), STRATA_NOT_OPEN);
  CHECK_CODE(strata_ingest_finish(in, NULL), STRATA_NOT_OPEN);
  CHECK_OK(open_sep(&db));
  int found = 1;
  size_t vlen = 0;
  CHECK_OK(strata_get_into(db, NULL, "a", 1, &found, NULL, 0, &vlen));
  CHECK(!found);
  CHECK_OK(strata_close(db));
  char *tables = vfs_path_join(dir, DB_DIR_TABLES), *blobs = vfs_path_join(dir, DB_DIR_BLOBS);
  name_list l = {{{0}}, 0};
  CHECK_OK(vfs_list(fs, tables, collect, &l));
  CHECK_OK(vfs_list(fs, blobs, collect, &l));
  free(tables);
  free(blobs);
  CHECK_EQ_U64(l.n, 0);
}

/* --- crashes ----------------------------------------------------------------------------- */

/* A database on `faulty` whose next major compaction relocates a blob file (40% stale). */
static strata_status *relocation_ready(vfs *faulty, strata_db **db) {
  strata_options *o = options(THRESHOLD, 1 << 20, 0.25, 1.0);
  EXPECT_OK(strata_options_set_vfs(o, faulty));
  strata_status *st = strata_open("db", o, db);
  strata_options_free(o);
  char k[16];
  for (int i = 0; i < 10 && !st; i++) {
    snprintf(k, sizeof k, "k%d", i);
    st = put_gen(*db, k, 500, 1);
  }
  if (!st) st = strata_flush(*db);
  for (int i = 0; i < 4 && !st; i++) {
    snprintf(k, sizeof k, "k%d", i);
    st = put_gen(*db, k, 500, 2);
  }
  if (!st) st = strata_flush(*db);
  if (!st) st = strata_compact(*db, 1);
  if (!st) st = put_gen(*db, "zz", 10, 1);
  if (!st) st = strata_flush(*db);
  return st;
}

static int all_read_back(strata_db *db) {
  char k[16];
  for (int i = 0; i < 10; i++) {
    snprintf(k, sizeof k, "k%d", i);
    if (!reads_gen(db, NULL, k, 500, i < 4 ? 2 : 1)) return 0;
  }
  return reads_gen(db, NULL, "zz", 10, 1);
}

/* The power is cut at every I/O operation of a relocating compaction in turn; after the reboot
 * the database opens and every value reads back, and the dead file is gone or kept, never half. */
static void a_power_cut_at_every_step_of_a_relocation_loses_nothing(void) {
  vfs *mem = NULL, *faulty = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  CHECK_OK(vfs_fault_new(mem, &faulty));
  CHECK_OK(vfs_mkdir(faulty, "db"));
  strata_db *db = NULL;
  CHECK_OK(relocation_ready(faulty, &db));
  vfs_fault_counters before, after;
  vfs_fault_get_counters(faulty, &before);
  CHECK_OK(strata_compact(db, 1));
  vfs_fault_get_counters(faulty, &after);
  CHECK(stats_of(db).blob_bytes_relocated > 0);
  CHECK_OK(strata_close(db));
  vfs_destroy(faulty);
  vfs_destroy(mem);
  uint64_t steps = after.operations - before.operations, reopened = 0, relocated = 0;
  CHECK(steps > 10);
  for (uint64_t cut = 1; cut <= steps + 1 && !harness_case_failed(); cut++) {
    CHECK_OK(vfs_memory_new(&mem));
    CHECK_OK(vfs_fault_new(mem, &faulty));
    vfs_fault_set_volatile_removes(faulty, 1);
    CHECK_OK(vfs_mkdir(faulty, "db"));
    CHECK_OK(relocation_ready(faulty, &db));
    vfs_fault_power_cut_at(faulty, cut);
    strata_status_free(strata_compact(db, 1));
    vfs_fault_power_cut(faulty);
    strata_status_free(strata_close(db));
    CHECK_OK(vfs_fault_crash(faulty, cut * 0x9e3779b97f4a7c15ull | 1)); /* torn tails too */
    strata_options *o = options(THRESHOLD, 1 << 20, 0.25, 1.0);
    EXPECT_OK(strata_options_set_vfs(o, faulty));
    strata_status *st = strata_open("db", o, &db);
    strata_options_free(o);
    if (st) {
      harness_fail(__FILE__, __LINE__, "cut at %llu of %llu: %s", (unsigned long long)cut,
                   (unsigned long long)steps, strata_status_message(st));
      strata_status_free(st);
      break;
    }
    reopened++;
    if (!all_read_back(db)) harness_fail(__FILE__, __LINE__, "cut at %llu: a value is wrong", (unsigned long long)cut);
    relocated += stats_of(db).blob_stale_bytes == 0; /* installed: nothing stale left */
    /* and the next compaction finishes the job */
    CHECK_OK(strata_compact(db, 1));
    CHECK(all_read_back(db));
    CHECK_OK(strata_close(db));
    vfs_destroy(faulty);
    vfs_destroy(mem);
  }
  printf("relocation: power cut at each of %llu I/O operations; %llu reopened, %llu found it installed\n",
         (unsigned long long)steps + 1, (unsigned long long)reopened, (unsigned long long)relocated);
  CHECK_EQ_U64(reopened, steps + 1);
  CHECK(relocated > 0); /* the cuts late enough found the relocation installed */
}

/* --- damage ------------------------------------------------------------------------------ */

/* Every byte of a blob file flipped in turn: each read is right or an error, and each flip
 * makes at least one read fail. */
static void every_byte_flip_of_a_blob_file_is_detected(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  CHECK_OK(put_gen(db, "a", 150, 1));
  CHECK_OK(put_gen(db, "b", 200, 1));
  CHECK_OK(put_gen(db, "c", 120, 1));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_close(db));
  char *blobs = vfs_path_join(dir, DB_DIR_BLOBS);
  name_list l = {{{0}}, 0};
  CHECK_OK(vfs_list(fs, blobs, collect, &l));
  CHECK_EQ_U64(l.n, 1);
  char *path = vfs_path_join(blobs, l.names[0]);
  free(blobs);
  buffer orig;
  buffer_init(&orig);
  CHECK_OK(vfs_read_file(fs, path, &orig));
  uint64_t silent = 0, undetected = 0;
  for (size_t off = 0; off < orig.len; off++) {
    orig.data[off] ^= 0x20;
    CHECK_OK(vfs_replace(fs, path, orig.data, orig.len));
    orig.data[off] ^= 0x20;
    strata_status *st = open_sep(&db);
    if (st) { /* refused at open: detected */
      strata_status_free(st);
      continue;
    }
    const char *keys[3] = {"a", "b", "c"};
    const size_t lens[3] = {150, 200, 120};
    int errors = 0;
    for (int i = 0; i < 3; i++) {
      void *v = NULL;
      size_t vlen = 0;
      int found = 0;
      st = strata_get(db, NULL, keys[i], 1, &found, &v, &vlen);
      if (st) {
        errors += strata_status_code(st) == STRATA_CORRUPTION;
        strata_status_free(st);
        continue;
      }
      char want[200];
      make_value(want, lens[i], keys[i], 1);
      if (!found || vlen != lens[i] || memcmp(v, want, vlen) != 0) silent++;
      strata_free(v);
    }
    if (!errors) undetected++;
    strata_status_free(strata_close(db));
  }
  CHECK_OK(vfs_replace(fs, path, orig.data, orig.len));
  buffer_free(&orig);
  free(path);
  CHECK_EQ_U64(silent, 0);
  CHECK_EQ_U64(undetected, 0);
  CHECK_OK(open_sep(&db));
  CHECK(reads_gen(db, NULL, "b", 200, 1));
  CHECK_OK(strata_close(db));
}

static void a_missing_blob_file_fails_the_open(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  CHECK_OK(put_gen(db, "a", 150, 1));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_close(db));
  char *blobs = vfs_path_join(dir, DB_DIR_BLOBS);
  name_list l = {{{0}}, 0};
  CHECK_OK(vfs_list(fs, blobs, collect, &l));
  CHECK_EQ_U64(l.n, 1);
  char *path = vfs_path_join(blobs, l.names[0]);
  free(blobs);
  CHECK_OK(vfs_remove(fs, path));
  free(path);
  strata_status *st = open_sep(&db);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION);
  CHECK(strstr(strata_status_message(st), "blob file") != NULL);
  strata_status_free(st);
}

/* --- repair ---------------------------------------------------------------------------- */

/* strata_repair of the case's database with its options; rep (optional) receives the report. */
static strata_status *repair_quiet(strata_repair_report *rep) {
  strata_options *o = options(THRESHOLD, 1 << 20, 0.25, 1.0);
  strata_repair_report mine;
  strata_status *st = o ? strata_repair(dir, o, rep ? rep : &mine) : status_no_memory();
  strata_options_free(o);
  if (!st && !rep) strata_repair_report_clear(&mine);
  return st;
}

/* A case's next pass on a new, empty posix folder; 0 after recording a failure. */
static int fresh_folder(void) {
  harness_close_fs(fs, dir);
  fs = harness_open_fs(vfs_posix_new, "blob", &dir);
  return fs != NULL;
}

static strata_status *damage_file(const char *path, uint64_t at) {
  vfs_file *f = NULL;
  STATUS_TRY(vfs_open(fs, path, VFS_OPEN_READ | VFS_OPEN_WRITE, &f));
  uint8_t byte = 0;
  size_t got = 0;
  strata_status *st = vfs_file_read(f, at, &byte, 1, &got);
  byte ^= 0x5a;
  if (!st) st = vfs_file_write(f, at, &byte, 1);
  strata_status *cst = vfs_file_close(f);
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

static strata_status *damage_manifests(void) {
  for (unsigned s = 0; s < DB_MANIFEST_SLOTS; s++) {
    char *p = vfs_path_join(dir, db_files_manifest_slot(s));
    int exists = 0;
    strata_status *st = vfs_exists(fs, p, &exists, NULL);
    if (!st && exists) st = damage_file(p, 20);
    free(p);
    STATUS_TRY(st);
  }
  return NULL;
}

/* The blob file with the highest id (the newest), as a path; NULL when there is none. */
static char *newest_blob(void) {
  char *blobs = vfs_path_join(dir, DB_DIR_BLOBS);
  name_list l = {{{0}}, 0};
  strata_status_free(vfs_list(fs, blobs, collect, &l));
  const char *best = NULL;
  unsigned long long best_id = 0;
  for (int i = 0; i < l.n && i < 8; i++) {
    unsigned long long id = strtoull(l.names[i], NULL, 10);
    if (!best || id > best_id) best = l.names[i], best_id = id;
  }
  char *path = best ? vfs_path_join(blobs, best) : NULL;
  free(blobs);
  return path;
}

static uint64_t count_in(const char *sub) {
  char *p = vfs_path_join(dir, sub);
  name_list l = {{{0}}, 0};
  strata_status_free(vfs_list(fs, p, collect, &l));
  free(p);
  return (uint64_t)l.n;
}

/* Both manifest slots damaged: repair keeps every blob file that verifies, the tables' handles
 * still resolve, and the database reads as before, separated. */
static void repair_of_a_separated_database_keeps_blob_files_that_verify(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  char k[32];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 40; i++) {
      snprintf(k, sizeof k, "k%03d", i * 3 + round);
      CHECK_OK(put_gen(db, k, i % 4 ? 300 : 20, round));
    }
    CHECK_OK(strata_flush(db));
  }
  CHECK_OK(put_gen(db, "journal", 500, 9)); /* in the journal only: salvaged inline */
  uint64_t files = stats_of(db).blob_files;
  CHECK(files >= 1);
  CHECK_OK(strata_close(db));
  CHECK_OK(damage_manifests());
  strata_status *refused = open_sep(&db); /* no manifest slot verifies */
  CHECK(strata_status_code(refused) == STRATA_CORRUPTION);
  strata_status_free(refused);
  strata_repair_report rep;
  CHECK_OK(repair_quiet(&rep));
  CHECK_EQ_U64(rep.blob_files_found, files);
  CHECK_EQ_U64(rep.blob_files_kept, files);
  CHECK_EQ_U64(rep.blob_files_damaged + rep.blob_files_unreferenced + rep.tables_rewritten, 0);
  CHECK_EQ_U64(rep.blob_values_lost, 0);
  strata_repair_report_clear(&rep);
  CHECK_OK(open_sep(&db));
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 40; i++) {
      snprintf(k, sizeof k, "k%03d", i * 3 + round);
      if (!reads_gen(db, NULL, k, i % 4 ? 300 : 20, round)) harness_fail(__FILE__, __LINE__, "%s reads wrong", k);
    }
  CHECK(reads_gen(db, NULL, "journal", 500, 9));
  CHECK_EQ_U64(stats_of(db).blob_files, files);
  CHECK_OK(strata_close(db));
}

/*
 * A blob file missing or damaged: the table pointing into it is rewritten with those entries as
 * deletes (counted), the original goes to lost/, the values in other files and inline ones are
 * kept, and a key whose newest value was lost reads as absent -- never as its older value.
 */
static void repair_turns_values_in_a_lost_blob_file_into_deletes(void) {
  for (int damage = 0; damage < 2 && !harness_case_failed(); damage++) {
    if (damage) CHECK(fresh_folder());
    strata_db *db = NULL;
    CHECK_OK(open_sep(&db));
    char k[32];
    for (int i = 0; i < 50; i++) { /* generation 1 of every key: the older blob file */
      snprintf(k, sizeof k, "k%03d", i);
      CHECK_OK(put_gen(db, k, 300, 1));
    }
    CHECK_OK(strata_flush(db));
    for (int i = 0; i < 25; i++) { /* generation 2 of the first half: the newer blob file */
      snprintf(k, sizeof k, "k%03d", i);
      CHECK_OK(put_gen(db, k, 300, 2));
    }
    CHECK_OK(put_gen(db, "inline", 30, 2)); /* under the threshold: in the table itself */
    CHECK_OK(strata_flush(db));
    CHECK_EQ_U64(stats_of(db).blob_files, 2);
    CHECK_OK(strata_close(db));
    char *blob = newest_blob();
    CHECK(blob != NULL);
    if (!blob) return;
    if (damage) CHECK_OK(damage_file(blob, 40));
    else CHECK_OK(vfs_remove(fs, blob));
    free(blob);
    if (!damage) { /* a missing blob file stops the open; a damaged one shows when a value is read */
      strata_status *st = open_sep(&db);
      CHECK(strata_status_code(st) == STRATA_CORRUPTION);
      strata_status_free(st);
    } else {
      CHECK_OK(open_sep(&db));
      void *v = NULL;
      size_t vlen = 0;
      int found = 0;
      strata_status *st = strata_get(db, NULL, "k000", 4, &found, &v, &vlen);
      CHECK(strata_status_code(st) == STRATA_CORRUPTION);
      strata_status_free(st);
      strata_free(v);
      CHECK_OK(strata_close(db));
    }
    strata_repair_report rep;
    CHECK_OK(repair_quiet(&rep));
    CHECK_EQ_U64(rep.blob_files_found, damage ? 2 : 1);
    CHECK_EQ_U64(rep.blob_files_damaged, damage ? 1 : 0);
    CHECK_EQ_U64(rep.blob_files_kept, 1);
    CHECK_EQ_U64(rep.tables_rewritten, 1);
    CHECK_EQ_U64(rep.blob_values_lost, 25);
    CHECK(rep.log && strstr(rep.log, "missing or damaged blob files"));
    strata_repair_report_clear(&rep);
    CHECK_EQ_U64(count_in(DB_DIR_LOST), damage ? 2 : 1); /* the rewritten table (and the damaged file) */
    CHECK_OK(open_sep(&db));
    for (int i = 0; i < 50; i++) {
      snprintf(k, sizeof k, "k%03d", i);
      void *v = NULL;
      size_t vlen = 0;
      int found = 0;
      CHECK_OK(strata_get(db, NULL, k, strlen(k), &found, &v, &vlen));
      strata_free(v);
      if (i < 25 && found) harness_fail(__FILE__, __LINE__, "%s: its lost value came back as an older one", k);
      if (i >= 25 && !reads_gen(db, NULL, k, 300, 1)) harness_fail(__FILE__, __LINE__, "%s reads wrong", k);
    }
    CHECK(reads_gen(db, NULL, "inline", 30, 2));
    CHECK_OK(put_gen(db, "after", 400, 3)); /* and it takes separated writes again */
    CHECK_OK(strata_flush(db));
    CHECK(reads_gen(db, NULL, "after", 400, 3));
    CHECK_OK(strata_close(db));
  }
}

/* --- files the manifest does not list ------------------------------------------------------- */

#define UNLISTED_ID 1000u /* far above any id these small databases hand out */

/* A valid blob file blobs/<id> of one record that nothing points to: what a flush leaves when
 * the power goes before its manifest edit. Its bytes go to *bytes. */
static strata_status *write_unlisted_blob(uint64_t id, buffer *bytes) {
  char name[24];
  snprintf(name, sizeof name, "%llu", (unsigned long long)id);
  char *blobs = vfs_path_join(dir, DB_DIR_BLOBS), *path = blobs ? vfs_path_join(blobs, name) : NULL;
  free(blobs);
  if (!path) return status_no_memory();
  char v[400];
  make_value(v, sizeof v, "orphan", 7);
  blob_file_writer *w = NULL;
  blob_handle h;
  blob_file_summary sum;
  strata_status *st = blob_file_writer_open(fs, path, id, COMPRESSION_LZ4, &w);
  if (!st) st = blob_file_writer_add(w, slice_make("orphan", 6), 1, slice_make(v, sizeof v), &h);
  if (!st) st = blob_file_writer_finish(w, &sum);
  else if (w) blob_file_writer_abandon(w);
  if (!st) st = vfs_read_file(fs, path, bytes);
  free(path);
  return st;
}

/* 1 when `sub` (a path under the database) holds exactly `want`. */
static int file_holds(const char *sub, const buffer *want) {
  char *p = vfs_path_join(dir, sub);
  buffer got;
  buffer_init(&got);
  strata_status *st = p ? vfs_read_file(fs, p, &got) : status_no_memory();
  int same = !st && got.len == want->len && memcmp(got.data, want->data, got.len) == 0;
  strata_status_free(st);
  buffer_free(&got);
  free(p);
  return same;
}

static int file_there(const char *sub) {
  char *p = vfs_path_join(dir, sub);
  int exists = 0;
  strata_status_free(p ? vfs_exists(fs, p, &exists, NULL) : NULL);
  free(p);
  return exists;
}

static strata_status *fill_two_flushes(strata_db *db) {
  char k[16];
  strata_status *st = NULL;
  for (int i = 0; i < 30 && !st; i++) {
    snprintf(k, sizeof k, "k%03d", i);
    st = put_gen(db, k, i % 3 ? 300 : 20, 1);
  }
  if (!st) st = strata_flush(db);
  for (int i = 0; i < 30 && !st; i += 2) {
    snprintf(k, sizeof k, "k%03d", i);
    st = put_gen(db, k, 300, 2);
  }
  return st;
}

static int two_flushes_read_back(strata_db *db) {
  char k[16];
  for (int i = 0; i < 30; i++) {
    snprintf(k, sizeof k, "k%03d", i);
    if (!(i % 2 ? reads_gen(db, NULL, k, i % 3 ? 300 : 20, 1) : reads_gen(db, NULL, k, 300, 2))) {
      harness_fail(__FILE__, __LINE__, "%s reads wrong", k);
      return 0;
    }
  }
  return 1;
}

/* Two flushes of fill_two_flushes, closed, then an unlisted newer blob file (its bytes to *orphan). */
static strata_status *two_flushes_and_an_orphan(buffer *orphan) {
  strata_db *db = NULL;
  STATUS_TRY(open_sep(&db));
  strata_status *st = fill_two_flushes(db);
  if (!st) st = strata_flush(db);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  return st ? st : write_unlisted_blob(UNLISTED_ID, orphan);
}

/* An open sets a blob file newer than the version aside in lost/, byte for byte, as it does a
 * table (it may hold the only copy of newer data); the database reads as before. */
static void an_unlisted_newer_blob_file_is_kept_in_lost_at_open(void) {
  strata_db *db = NULL;
  buffer orphan;
  buffer_init(&orphan);
  CHECK_OK(two_flushes_and_an_orphan(&orphan));
  CHECK_OK(open_sep(&db));
  CHECK(!file_there(DB_DIR_BLOBS "/1000"));
  CHECK(file_holds(DB_DIR_LOST "/" DB_LOST_KIND_BLOB "-1000", &orphan));
  CHECK(two_flushes_read_back(db));
  CHECK_EQ_U64(stats_of(db).blob_files, 2);
  CHECK_OK(strata_close(db));
  buffer_free(&orphan);
}

/* Repair, with the manifest intact and with both slots damaged, sets a verified blob file no
 * table points into aside in lost/ (never deletes it), counts it, and changes no contents. */
static void repair_keeps_an_unlisted_newer_blob_file_in_lost(void) {
  for (int damaged = 0; damaged < 2 && !harness_case_failed(); damaged++) {
    if (damaged) CHECK(fresh_folder());
    strata_db *db = NULL;
    buffer orphan;
    buffer_init(&orphan);
    CHECK_OK(two_flushes_and_an_orphan(&orphan));
    if (damaged) CHECK_OK(damage_manifests());
    strata_repair_report rep;
    CHECK_OK(repair_quiet(&rep));
    CHECK_EQ_U64(rep.blob_files_found, 3);
    CHECK_EQ_U64(rep.blob_files_kept, 2);
    CHECK_EQ_U64(rep.blob_files_unreferenced, 1);
    CHECK_EQ_U64(rep.blob_files_obsolete + rep.blob_files_damaged + rep.blob_values_lost, 0);
    CHECK(rep.log && strstr(rep.log, "no table that verified points into it"));
    strata_repair_report_clear(&rep);
    CHECK(!file_there(DB_DIR_BLOBS "/1000"));
    CHECK(file_holds(DB_DIR_LOST "/" DB_LOST_KIND_BLOB "-1000", &orphan));
    CHECK_OK(open_sep(&db));
    CHECK(two_flushes_read_back(db));
    CHECK_EQ_U64(stats_of(db).blob_files, 2);
    CHECK_OK(strata_close(db));
    CHECK(file_holds(DB_DIR_LOST "/" DB_LOST_KIND_BLOB "-1000", &orphan)); /* the open leaves lost/ alone */
    buffer_free(&orphan);
  }
}

/* The manifest's last edit lost (both slots as they were before the second flush): the table and
 * blob file that flush wrote are newer than the version. An open would set them aside; repair
 * verifies them, keeps them listed, and their values read back. */
static void repair_keeps_a_newer_unlisted_table_and_the_blob_file_it_points_into(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  CHECK_OK(fill_two_flushes(db));
  CHECK_OK(strata_close(db)); /* the second generation in the journal only */
  buffer slot[DB_MANIFEST_SLOTS];
  int had[DB_MANIFEST_SLOTS];
  for (unsigned s = 0; s < DB_MANIFEST_SLOTS; s++) {
    buffer_init(&slot[s]);
    had[s] = file_there(db_files_manifest_slot(s));
    char *p = vfs_path_join(dir, db_files_manifest_slot(s));
    if (had[s]) CHECK_OK(vfs_read_file(fs, p, &slot[s]));
    free(p);
  }
  CHECK_OK(open_sep(&db));
  CHECK_OK(strata_flush(db)); /* the second flush: a new table and blob file, the journal spent */
  CHECK_EQ_U64(stats_of(db).blob_files, 2);
  CHECK_OK(strata_close(db));
  for (unsigned s = 0; s < DB_MANIFEST_SLOTS; s++) {
    char *p = vfs_path_join(dir, db_files_manifest_slot(s));
    if (had[s]) CHECK_OK(vfs_replace(fs, p, slot[s].data, slot[s].len));
    else strata_status_free(vfs_remove(fs, p));
    free(p);
    buffer_free(&slot[s]);
  }
  uint64_t lost_before = count_in(DB_DIR_LOST);
  strata_repair_report rep;
  CHECK_OK(repair_quiet(&rep));
  CHECK_EQ_U64(rep.blob_files_found, 2);
  CHECK_EQ_U64(rep.blob_files_kept, 2);
  CHECK_EQ_U64(rep.blob_files_obsolete + rep.blob_files_unreferenced + rep.blob_files_damaged, 0);
  CHECK_EQ_U64(rep.blob_values_lost, 0);
  strata_repair_report_clear(&rep);
  CHECK_EQ_U64(count_in(DB_DIR_LOST), lost_before);
  CHECK_OK(open_sep(&db));
  CHECK(two_flushes_read_back(db));
  CHECK_EQ_U64(stats_of(db).blob_files, 2);
  CHECK_OK(strata_close(db));
}

/* A blob file garbage collection dropped, back on disk (its removal was lost in a crash): older
 * than the version, so an open deletes it; with the manifest intact, repair sets it aside in
 * lost/ as obsolete (its values must not come back) and the newer values read. */
static void a_dropped_blob_file_back_on_disk_is_removed_by_open_and_set_aside_by_repair(void) {
  strata_db *db = NULL;
  CHECK_OK(open_sep(&db));
  char k[16];
  CHECK_OK(put_keys(db, 10, 500, 1));
  CHECK_OK(strata_flush(db));
  char *old = newest_blob();
  CHECK(old != NULL);
  if (!old) return;
  buffer bytes;
  buffer_init(&bytes);
  CHECK_OK(vfs_read_file(fs, old, &bytes));
  CHECK_OK(put_keys(db, 10, 500, 2)); /* every value overwritten: the first file's records all go stale */
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1));
  CHECK_EQ_U64(stats_of(db).blob_files_reclaimed, 1);
  CHECK_OK(strata_close(db));
  int exists = 1;
  CHECK_OK(vfs_exists(fs, old, &exists, NULL));
  CHECK(!exists);
  for (int pass = 0; pass < 2; pass++) {
    CHECK_OK(vfs_replace(fs, old, bytes.data, bytes.len)); /* back, as a lost removal leaves it */
    if (pass == 0) {
      CHECK_OK(open_sep(&db));
      strata_recovery_report r;
      CHECK_OK(strata_get_recovery_report(db, &r));
      CHECK(r.obsolete_files_removed >= 1);
      CHECK_EQ_U64(r.files_moved_to_lost, 0);
    } else {
      strata_repair_report rep;
      CHECK_OK(repair_quiet(&rep));
      CHECK_EQ_U64(rep.blob_files_obsolete, 1);
      CHECK_EQ_U64(rep.blob_files_kept, 1);
      CHECK_EQ_U64(rep.blob_values_lost, 0);
      strata_repair_report_clear(&rep);
      CHECK_EQ_U64(count_in(DB_DIR_LOST), 1);
      CHECK_OK(open_sep(&db));
    }
    CHECK_OK(vfs_exists(fs, old, &exists, NULL));
    CHECK(!exists);
    for (int i = 0; i < 10; i++) {
      snprintf(k, sizeof k, "k%d", i);
      if (!reads_gen(db, NULL, k, 500, 2)) harness_fail(__FILE__, __LINE__, "pass %d: %s reads wrong", pass, k);
    }
    CHECK_EQ_U64(stats_of(db).blob_files, 1);
    CHECK_OK(strata_close(db));
  }
  buffer_free(&bytes);
  free(old);
}

/* --- repair under power cuts ------------------------------------------------------------- */

#define CUT_KEYS 48

/* For every key of the database repair is cut in: the generation it reads as after the repair
 * (0: absent), its value length, and whether its newest value is in the damaged blob file. */
static int cut_gen[CUT_KEYS];
static int cut_written[CUT_KEYS]; /* the newest generation written (0: deleted), before any loss */
static size_t cut_len[CUT_KEYS];
static uint64_t cut_handles_lost; /* the handles into the damaged file */
static int cut_manifests_intact;   /* the variant: only the blob file is damaged */

static size_t cut_value_len(int i) { return i % 5 == 0 ? 30 : 300; } /* under / over the threshold */

/*
 * A separated database in `dir`: generation 1 of every key, then overwrites and deletes in two
 * more flushes (three blob files), then more of both in the journal only; then the middle blob
 * file is damaged, and both manifest slots unless cut_manifests_intact. The model: what repair
 * documents -- every value that verifies reads back, one whose newest version was in the damaged
 * file is a delete.
 */
static strata_status *build_cut_db(void) {
  strata_db *db = NULL;
  STATUS_TRY(open_sep(&db));
  int where[CUT_KEYS]; /* flush round of the newest version; 0 = inline, -1 = deleted */
  char k[16];
  char *middle = NULL;
  strata_status *st = NULL;
  cut_handles_lost = 0;
  for (int round = 1; round <= 4 && !st; round++) {
    for (int i = 0; i < CUT_KEYS && !st; i++) {
      snprintf(k, sizeof k, "k%03d", i);
      int put = round == 1 || (round == 2 && i % 3 == 0) || (round == 3 && i % 4 == 1) || (round == 4 && i % 6 == 2);
      int del = (round == 2 && i % 7 == 1) || (round == 4 && i % 11 == 3);
      if (put) {
        st = put_gen(db, k, cut_value_len(i), round);
        cut_gen[i] = round;
        cut_len[i] = cut_value_len(i);
        where[i] = cut_value_len(i) >= THRESHOLD && round < 4 ? round : 0;
        cut_handles_lost += where[i] == 2;
      } else if (del) {
        st = strata_delete(db, k, strlen(k), 0);
        cut_gen[i] = 0;
        where[i] = -1;
      }
    }
    if (round < 4 && !st) st = strata_flush(db);
    if (round == 2 && !st && !(middle = newest_blob())) st = status_new(STRATA_CORRUPTION, "no blob file");
  }
  if (!st) st = strata_close(db);
  else strata_status_free(strata_close(db));
  if (!st && !cut_manifests_intact) st = damage_manifests();
  if (!st) st = damage_file(middle, 40);
  free(middle);
  for (int i = 0; i < CUT_KEYS; i++) {
    cut_written[i] = cut_gen[i];
    if (where[i] == 2) cut_gen[i] = 0; /* its value is lost: a delete, never the older value */
  }
  return st;
}

/* 1 when the database reads as the model: each key by a get, and a scan shows nothing else.
 * damage_may_show: before the repair has replaced the damaged file's handles, a lost value may
 * still read -- as its own newest value (its record intact) or as STRATA_CORRUPTION (the damage
 * detected) -- but never as an older one. */
static int reads_cut_model(strata_db *db, uint64_t cut, const char *when, int damage_may_show) {
  char k[16];
  uint64_t live = 0;
  int damage_seen = 0;
  for (int i = 0; i < CUT_KEYS; i++) {
    snprintf(k, sizeof k, "k%03d", i);
    if (cut_gen[i]) {
      live++;
      if (!reads_gen(db, NULL, k, cut_len[i], cut_gen[i])) {
        harness_fail(__FILE__, __LINE__, "cut %llu, %s: %s does not read as generation %d", (unsigned long long)cut,
                     when, k, cut_gen[i]);
        return 0;
      }
      continue;
    }
    void *v = NULL;
    size_t vlen = 0;
    int found = 0;
    strata_status *st = strata_get(db, NULL, k, strlen(k), &found, &v, &vlen);
    int newest = 0; /* found, and it is the key's newest value written */
    if (!st && found && damage_may_show && cut_written[i] && vlen == cut_len[i]) {
      char *want = malloc(vlen ? vlen : 1);
      if (want) make_value(want, vlen, k, cut_written[i]);
      newest = want && memcmp(v, want, vlen) == 0;
      free(want);
    }
    strata_free(v);
    if (damage_may_show && (newest || strata_status_code(st) == STRATA_CORRUPTION)) {
      damage_seen = 1;
      strata_status_free(st);
      continue;
    }
    if (st || found) {
      harness_fail(__FILE__, __LINE__, "cut %llu, %s: %s %s", (unsigned long long)cut, when, k,
                   st ? strata_status_message(st) : "reads as a value it must not have (an older one)");
      strata_status_free(st);
      return 0;
    }
  }
  if (damage_seen) return 1; /* a scan lists the keys whose handles are still there */
  strata_iterator *it = NULL;
  uint64_t seen = 0;
  if (!EXPECT_OK(strata_iterator_new(db, NULL, NULL, &it))) return 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) seen++;
  int ok = EXPECT_OK(strata_iterator_status(it));
  strata_iterator_close(it);
  if (ok && seen != live)
    harness_fail(__FILE__, __LINE__, "cut %llu, %s: a scan shows %llu keys, not %llu", (unsigned long long)cut, when,
                 (unsigned long long)seen, (unsigned long long)live);
  return ok && seen == live;
}


/*
 * The power is cut at every I/O operation of a repair of a separated database in turn (a blob
 * file damaged, and both manifest slots or neither; removals not yet covered by a folder sync
 * undone, torn tails kept). After each reboot an open either refuses (STRATA_CORRUPTION: no
 * manifest yet, or one naming a file the repair set aside) or reads what the repair documents
 * (with intact manifests, a lost value may still be reported as damaged); a second repair then
 * completes, and the database reads exactly that: every value that verified, the lost ones as
 * deletes, never an older value, and it stays separated.
 */
static int cut_with_damaged_manifests(void) {
  cut_manifests_intact = 0;
  return 1;
}

static int cut_with_intact_manifests(void) {
  cut_manifests_intact = 1;
  return 1;
}

static void cut_done(void) {}

static void a_power_cut_at_every_step_of_a_separated_repair_shows_no_older_value(void) {
  vfs *mem = NULL;
  CHECK_OK(vfs_memory_new(&mem));
  vfs *saved_fs = fs;
  char *saved_dir = dir;
  static char pristine[] = "pristine", copy[] = "db";
  fs = mem;
  dir = pristine;
  strata_status *built = vfs_mkdir(fs, dir);
  if (!built) built = build_cut_db();
  uint64_t steps = 0, opened_at_once = 0, failed = 0;
  vfs *faulty = NULL;
  if (!built) built = harness_copy_tree(mem, "pristine", "db");
  if (!built) built = vfs_fault_new(mem, &faulty);
  if (!built) { /* one uninterrupted repair: the number of steps, and the model holds after it */
    fs = faulty;
    dir = copy;
    vfs_fault_counters before, after;
    vfs_fault_get_counters(faulty, &before);
    strata_repair_report rep;
    built = repair_quiet(&rep);
    vfs_fault_get_counters(faulty, &after);
    steps = after.operations - before.operations;
    if (!built && (rep.blob_files_found != 3 || rep.blob_files_damaged != 1 || rep.tables_rewritten != 1 ||
                   rep.blob_values_lost != cut_handles_lost || cut_handles_lost == 0))
      harness_fail(__FILE__, __LINE__, "the repair found %u blob files, %u damaged, rewrote %u tables, lost %llu of %llu values",
                   rep.blob_files_found, rep.blob_files_damaged, rep.tables_rewritten,
                   (unsigned long long)rep.blob_values_lost, (unsigned long long)cut_handles_lost);
    if (!built) strata_repair_report_clear(&rep);
    strata_db *db = NULL;
    if (!built) built = open_sep(&db);
    if (!built) {
      reads_cut_model(db, 0, "uninterrupted", 0);
      built = strata_close(db);
    }
    vfs_destroy(faulty);
  }
  for (uint64_t cut = 1; !built && cut <= steps + 1 && !harness_case_failed(); cut++) {
    fs = mem;
    built = vfs_remove_tree(mem, "db");
    if (!built) built = harness_copy_tree(mem, "pristine", "db");
    if (!built) built = vfs_fault_new(mem, &faulty);
    if (built) break;
    fs = faulty;
    vfs_fault_set_volatile_removes(faulty, 1);
    vfs_fault_power_cut_at(faulty, cut);
    strata_status *st = repair_quiet(NULL);
    failed += st != NULL;
    strata_status_free(st);
    vfs_fault_power_cut(faulty);
    built = vfs_fault_crash(faulty, cut * 0x9e3779b97f4a7c15ull | 1); /* torn tails too */
    strata_db *db = NULL;
    if (!built && !(st = open_sep(&db))) { /* the repair got as far as a manifest */
      opened_at_once++;
      reads_cut_model(db, cut, "opened after the cut", cut_manifests_intact);
      built = strata_close(db);
    } else if (!built) {
      if (strata_status_code(st) != STRATA_CORRUPTION)
        harness_fail(__FILE__, __LINE__, "cut %llu: the open failed with %s", (unsigned long long)cut,
                     strata_status_message(st));
      strata_status_free(st);
    }
    if (!built) built = repair_quiet(NULL);
    if (!built) built = open_sep(&db);
    if (!built) {
      reads_cut_model(db, cut, "repaired again", 0);
      if (stats_of(db).blob_files != 2) harness_fail(__FILE__, __LINE__, "cut %llu: not 2 blob files", (unsigned long long)cut);
      built = put_gen(db, "after", 400, 5); /* still separated: a new value goes to a blob file */
      if (!built) built = strata_flush(db);
      if (!built && stats_of(db).blob_files != 3)
        harness_fail(__FILE__, __LINE__, "cut %llu: the repaired database no longer separates", (unsigned long long)cut);
      strata_status *cst = strata_close(db);
      if (!built) built = cst;
      else strata_status_free(cst);
    }
    if (built) harness_fail(__FILE__, __LINE__, "cut %llu of %llu: %s", (unsigned long long)cut,
                            (unsigned long long)steps, strata_status_message(built));
    vfs_destroy(faulty);
  }
  fs = saved_fs;
  dir = saved_dir;
  vfs_destroy(mem);
  printf("separated repair (manifests %s): power cut at each of %llu I/O operations; %llu interrupted it, %llu opened "
         "at once\n",
         cut_manifests_intact ? "intact" : "damaged", (unsigned long long)steps + 1, (unsigned long long)failed, (unsigned long long)opened_at_once);
  CHECK_OK(built);
  CHECK(steps > 20);
  CHECK_EQ_U64(failed, steps); /* every cut but the one after the end interrupted it */
  CHECK(opened_at_once > 0);    /* the late cuts found the new manifest */
}

int main(void) {
  RUN(kv_separation_options_out_of_range_are_refused);
  harness_run_variant("a_separated_database_opened_without_the_option_stays_separated", "posix", setup_posix,
                      a_separated_database_opened_without_the_option_stays_separated, teardown);
  harness_run_variant("a_plain_database_refuses_a_separating_open", "posix", setup_posix,
                      a_plain_database_refuses_a_separating_open, teardown);
  harness_run_variant("values_under_at_and_over_the_threshold_read_back", "posix", setup_posix,
                      values_under_at_and_over_the_threshold_read_back, teardown);
  harness_run_variant("values_under_at_and_over_the_threshold_read_back", "memory", setup_memory,
                      values_under_at_and_over_the_threshold_read_back, teardown);
  harness_run_variant("length_queries_and_key_iteration_never_read_a_blob", "posix", setup_posix,
                      length_queries_and_key_iteration_never_read_a_blob, teardown);
  harness_run_variant("overwrite_across_flushes_reads_the_newest", "posix", setup_posix,
                      overwrite_across_flushes_reads_the_newest, teardown);
  harness_run_variant("blob_files_rotate_at_the_target_size", "posix", setup_posix,
                      blob_files_rotate_at_the_target_size, teardown);
  harness_run_variant("gc_counts_stale_bytes_relocates_and_drops_dead_files", "posix", setup_posix,
                      gc_counts_stale_bytes_relocates_and_drops_dead_files, teardown);
  harness_run_variant("relocation_reads_values_without_caching_them", "memory", setup_memory,
                      relocation_reads_values_without_caching_them, teardown);
  harness_run_variant("snapshot_before_gc_reads_its_values_after_it", "posix", setup_posix,
                      snapshot_before_gc_reads_its_values_after_it, teardown);
  harness_run_variant("compaction_filter_sees_values_behind_handles", "posix", setup_posix,
                      compaction_filter_sees_values_behind_handles, teardown);
  harness_run_variant("fifo_counts_blob_bytes_against_its_limit", "posix", setup_posix,
                      fifo_counts_blob_bytes_against_its_limit, teardown);
  harness_run_variant("ingest_loads_a_sorted_stream_into_the_last_level", "posix", setup_posix,
                      ingest_loads_a_sorted_stream_into_the_last_level, teardown);
  harness_run_variant("an_abandoned_ingest_leaves_nothing", "posix", setup_posix, an_abandoned_ingest_leaves_nothing,
                      teardown);
  RUN(a_power_cut_at_every_step_of_a_relocation_loses_nothing);
  harness_run_variant("every_byte_flip_of_a_blob_file_is_detected", "memory", setup_memory,
                      every_byte_flip_of_a_blob_file_is_detected, teardown);
  harness_run_variant("repair_of_a_separated_database_keeps_blob_files_that_verify", "posix", setup_posix,
                      repair_of_a_separated_database_keeps_blob_files_that_verify, teardown);
  harness_run_variant("repair_turns_values_in_a_lost_blob_file_into_deletes", "posix", setup_posix,
                      repair_turns_values_in_a_lost_blob_file_into_deletes, teardown);
  harness_run_variant("a_missing_blob_file_fails_the_open", "posix", setup_posix, a_missing_blob_file_fails_the_open,
                      teardown);
  harness_run_variant("an_unlisted_newer_blob_file_is_kept_in_lost_at_open", "posix", setup_posix,
                      an_unlisted_newer_blob_file_is_kept_in_lost_at_open, teardown);
  harness_run_variant("repair_keeps_an_unlisted_newer_blob_file_in_lost", "posix", setup_posix,
                      repair_keeps_an_unlisted_newer_blob_file_in_lost, teardown);
  harness_run_variant("repair_keeps_a_newer_unlisted_table_and_the_blob_file_it_points_into", "posix", setup_posix,
                      repair_keeps_a_newer_unlisted_table_and_the_blob_file_it_points_into, teardown);
  harness_run_variant("a_dropped_blob_file_back_on_disk_is_removed_by_open_and_set_aside_by_repair", "posix",
                      setup_posix, a_dropped_blob_file_back_on_disk_is_removed_by_open_and_set_aside_by_repair, teardown);
  harness_run_variant("a_power_cut_at_every_step_of_a_separated_repair_shows_no_older_value", "manifests damaged",
                      cut_with_damaged_manifests, a_power_cut_at_every_step_of_a_separated_repair_shows_no_older_value,
                      cut_done);
  harness_run_variant("a_power_cut_at_every_step_of_a_separated_repair_shows_no_older_value", "manifests intact",
                      cut_with_intact_manifests, a_power_cut_at_every_step_of_a_separated_repair_shows_no_older_value,
                      cut_done);
  return harness_finish();
}
