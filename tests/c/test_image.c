/* Database images (strata_export_* / strata_import*, docs/IMAGE.md) through the public API:
 * round trips with tables, journal-only data and deletes; a pin that excludes later writes;
 * every byte flip and every truncation refused with nothing created; non-empty targets refused;
 * I/O failures midway leave nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "image/image_format.h"
#include "strata.h"
#include "util/coding.h"
#include "vfs/vfs.h"
#include "vfs/vfs_fault.h"

static vfs *fs;
static char *dir;
static uint32_t kv_threshold; /* nonzero: the databases are key-value separated (values over it in blob files) */

static int setup_memory(void) {
  fs = harness_open_fs(vfs_memory_new, "image", &dir);
  return fs != NULL;
}

static int setup_posix(void) {
  fs = harness_open_fs(vfs_posix_new, "image", &dir);
  return fs != NULL;
}

static void teardown(void) {
  kv_threshold = 0;
  harness_close_fs(fs, dir);
  fs = NULL;
  dir = NULL;
}

static char *child(const char *name) { return vfs_path_join(dir, name); }

static int path_exists(vfs *v, const char *path) {
  int exists = 0;
  strata_status_free(vfs_exists(v, path, &exists, NULL));
  return exists;
}

static strata_options *options_on(vfs *v) {
  strata_options *o = NULL;
  strata_status_free(strata_options_new(&o));
  if (!o) return NULL;
  strata_options_set_memtable_size(o, 16 << 10);
  strata_options_set_block_size(o, 512);
  strata_options_set_table_target_size(o, 8 << 10);
  strata_options_set_background_threads(o, 0);
  strata_options_set_vfs(o, v);
  if (kv_threshold)
    strata_status_free(strata_options_set_kv_separation(o, kv_threshold, 4 << 10, STRATA_COMPRESSION_LZ4, 0.25, 1.0));
  return o;
}

static strata_status *open_on(vfs *v, const char *path, strata_db **db) {
  strata_options *o = options_on(v);
  strata_status *st = strata_open(path, o, db);
  strata_options_free(o);
  return st;
}

/* A hash of every live entry (key and value, in order) and their count. */
static strata_status *content_hash(strata_db *db, const strata_snapshot *snap, uint64_t *hash, uint64_t *count) {
  strata_iterator *it = NULL;
  strata_status *st = strata_iterator_new(db, snap, NULL, &it);
  if (st) return st;
  uint64_t h = 0x9e3779b97f4a7c15ull, n = 0;
  for (strata_iterator_seek_first(it); strata_iterator_valid(it); strata_iterator_next(it)) {
    size_t kl = 0, vl = 0;
    const void *k = strata_iterator_key(it, &kl);
    const void *v = strata_iterator_value(it, &vl);
    uint64_t mix[5] = {h, strata_xxh3_64(k, kl), strata_xxh3_64(v, vl), kl, vl};
    h = strata_xxh3_64(mix, sizeof mix);
    n++;
  }
  st = strata_iterator_status(it);
  strata_iterator_close(it);
  *hash = h;
  *count = n;
  return st;
}

static strata_status *put_str(strata_db *db, const char *k, const char *v) {
  return strata_put(db, k, strlen(k), v, strlen(v), 0);
}

/* Tables (flushed), then deletes, overwrites and new keys left in the journal only. */
static strata_status *fill(strata_db *db, int n) {
  char k[32], v[64];
  for (int i = 0; i < n; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    snprintf(v, sizeof v, "value-%d-%0*d", i, 20, i * 7);
    STATUS_TRY(put_str(db, k, v));
  }
  STATUS_TRY(strata_flush(db));
  for (int i = 0; i < n; i += 3) {
    snprintf(k, sizeof k, "key%05d", i);
    STATUS_TRY(strata_delete(db, k, strlen(k), 0));
  }
  for (int i = 1; i < n; i += 5) {
    snprintf(k, sizeof k, "key%05d", i);
    STATUS_TRY(put_str(db, k, "overwritten, journal only"));
  }
  STATUS_TRY(put_str(db, "journal-only", "not in any table"));
  STATUS_TRY(put_str(db, "single", "x"));
  return strata_single_delete(db, "single", 6, 0);
}

typedef struct mem_sink {
  uint8_t *data;
  size_t len, cap;
} mem_sink;

static int to_memory(void *ctx, const void *data, size_t len) {
  mem_sink *s = ctx;
  if (s->len + len > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4096;
    while (cap < s->len + len) cap *= 2;
    uint8_t *p = realloc(s->data, cap);
    if (!p) return 1;
    s->data = p;
    s->cap = cap;
  }
  memcpy(s->data + s->len, data, len);
  s->len += len;
  return 0;
}

/* Opens path on v and compares its contents with the expected hash and count. */
static strata_status *expect_contents(vfs *v, const char *path, uint64_t want_hash, uint64_t want_count, int *same) {
  strata_db *db = NULL;
  STATUS_TRY(open_on(v, path, &db));
  uint64_t h = 0, n = 0;
  strata_status *st = content_hash(db, NULL, &h, &n);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  *same = h == want_hash && n == want_count;
  if (!*same) fprintf(stderr, "  %s: %llu entries (hash %llx), expected %llu (%llx)\n", path, (unsigned long long)n,
                      (unsigned long long)h, (unsigned long long)want_count, (unsigned long long)want_hash);
  return st;
}

static void image_round_trip_keeps_tables_journal_data_and_deletes(void) {
  char *a = child("a"), *b = child("b");
  strata_db *db = NULL;
  CHECK_OK(open_on(fs, a, &db));
  CHECK_OK(fill(db, 400));
  strata_stats stats;
  CHECK_OK(strata_get_stats(db, &stats));
  CHECK(stats.levels[0].tables + stats.levels[1].tables > 0); /* tables ... */
  CHECK(stats.memtable_bytes > 0);                              /* ... and journal-only data */
  strata_snapshot *snap = NULL; /* an older view: the image must not carry it */
  CHECK_OK(strata_snapshot_acquire(db, &snap));
  CHECK_OK(put_str(db, "after-snapshot", "in the image (before the export)"));
  uint64_t h = 0, n = 0;
  CHECK_OK(content_hash(db, NULL, &h, &n));
  mem_sink image = {0};
  CHECK_OK(strata_export_to(db, to_memory, &image));
  strata_snapshot_release(snap);
  CHECK_OK(strata_close(db));

  strata_options *o = options_on(fs);
  strata_status *st = strata_import(b, o, image.data, image.len);
  strata_options_free(o);
  CHECK_OK(st);
  CHECK_OK(open_on(fs, b, &db));
  uint64_t h2 = 0, n2 = 0;
  CHECK_OK(content_hash(db, NULL, &h2, &n2));
  CHECK_EQ_U64(n2, n);
  CHECK_EQ_U64(h2, h);
  int found = 0;
  void *val = NULL;
  size_t vlen = 0;
  CHECK_OK(strata_get(db, NULL, "journal-only", 12, &found, &val, &vlen));
  CHECK(found && vlen == 16 && memcmp(val, "not in any table", 16) == 0);
  strata_free(val);
  CHECK_OK(strata_get(db, NULL, "key00000", 8, &found, &val, &vlen));
  CHECK(!found); /* deleted in the journal, present in a table */
  CHECK_OK(strata_get(db, NULL, "single", 6, &found, &val, &vlen));
  CHECK(!found);
  /* one version: no snapshot came along, and the copy takes writes and keeps them */
  CHECK_OK(strata_get_stats(db, &stats));
  CHECK_EQ_U64(stats.snapshots_open, 0);
  CHECK_OK(put_str(db, "new in the copy", "kept"));
  CHECK_OK(strata_close(db));
  CHECK_OK(open_on(fs, b, &db));
  CHECK_OK(strata_get(db, NULL, "new in the copy", 15, &found, &val, &vlen));
  CHECK(found);
  strata_free(val);
  strata_recovery_report rep;
  CHECK_OK(strata_get_recovery_report(db, &rep));
  CHECK_EQ_U64(rep.manifest_fallback, 0);
  CHECK_OK(strata_close(db));
  free(image.data);
  free(a);
  free(b);
}

static void image_excludes_writes_after_the_pin(void) {
  char *a = child("a"), *b = child("b");
  strata_db *db = NULL;
  CHECK_OK(open_on(fs, a, &db));
  CHECK_OK(fill(db, 300));
  uint64_t h = 0, n = 0;
  CHECK_OK(content_hash(db, NULL, &h, &n));
  strata_export *e = NULL;
  CHECK_OK(strata_export_begin(db, &e));
  uint64_t total = strata_export_total(e);
  CHECK(total > 0);
  /* after the pin: new keys, a delete, a flush that spends the pinned journals, a major
   * compaction that retires every pinned table */
  for (int i = 0; i < 200; i++) {
    char k[32];
    snprintf(k, sizeof k, "later%04d", i);
    CHECK_OK(put_str(db, k, "written after the pin"));
  }
  CHECK_OK(strata_delete(db, "key00001", 8, 0));
  CHECK_OK(strata_flush(db));
  CHECK_OK(strata_compact(db, 1));
  mem_sink image = {0};
  uint8_t buf[777]; /* an odd size: pieces end anywhere */
  for (size_t got = 1; got > 0;) {
    CHECK_OK(strata_export_read(e, buf, sizeof buf, &got));
    CHECK(to_memory(&image, buf, got) == 0);
  }
  strata_export_end(e);
  CHECK_EQ_U64(image.len, total);
  CHECK_OK(strata_close(db));
  strata_options *o = options_on(fs);
  strata_status *st = strata_import(b, o, image.data, image.len);
  strata_options_free(o);
  CHECK_OK(st);
  int same = 0;
  CHECK_OK(expect_contents(fs, b, h, n, &same));
  CHECK(same);
  free(image.data);
  free(a);
  free(b);
}

/* With the background threads flushing and compacting while the image is read (threaded
 * builds; others run maintenance steps), the image still holds the pinned moment. */
static void image_export_while_background_work_runs(void) {
  char *a = child("a"), *b = child("b");
  strata_options *o = options_on(fs);
  strata_options_set_background_threads(o, 1);
  strata_db *db = NULL;
  strata_status *st = strata_open(a, o, &db);
  strata_options_free(o);
  CHECK_OK(st);
  CHECK_OK(fill(db, 1500));
  uint64_t h = 0, n = 0;
  CHECK_OK(content_hash(db, NULL, &h, &n));
  strata_export *e = NULL;
  CHECK_OK(strata_export_begin(db, &e));
  mem_sink image = {0};
  uint8_t buf[1000];
  int round = 0;
  for (size_t got = 1; got > 0; round++) {
    for (int i = 0; i < 40; i++) { /* enough to fill memtables: flushes and compactions follow */
      char k[32], v[64];
      snprintf(k, sizeof k, "key%05d", (round * 40 + i) % 1500);
      snprintf(v, sizeof v, "rewritten in round %d, %032d", round, i);
      CHECK_OK(put_str(db, k, v));
    }
    int more = 0;
    CHECK_OK(strata_maintenance_step(db, 1 << 20, &more));
    CHECK_OK(strata_export_read(e, buf, sizeof buf, &got));
    CHECK(to_memory(&image, buf, got) == 0);
  }
  strata_export_end(e);
  strata_stats stats;
  CHECK_OK(strata_get_stats(db, &stats));
  CHECK(stats.flushes > 1); /* the tables and journals changed under the export */
  CHECK_OK(strata_close(db));
  o = options_on(fs);
  st = strata_import(b, o, image.data, image.len);
  strata_options_free(o);
  CHECK_OK(st);
  int same = 0;
  CHECK_OK(expect_contents(fs, b, h, n, &same));
  CHECK(same);
  free(image.data);
  free(a);
  free(b);
}

/* A small image: one table and a journal. */
static strata_status *small_image(mem_sink *image, uint64_t *h, uint64_t *n) {
  char *a = child("small");
  strata_db *db = NULL;
  strata_status *st = open_on(fs, a, &db);
  free(a);
  STATUS_TRY(st);
  st = put_str(db, "apple", "red");
  if (!st) st = put_str(db, "banana", "yellow");
  if (!st) st = strata_flush(db);
  if (!st) st = strata_delete(db, "apple", 5, 0);
  if (!st) st = put_str(db, "cherry", "dark red, journal only");
  if (!st) st = content_hash(db, NULL, h, n);
  if (!st) st = strata_export_to(db, to_memory, image);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

static strata_status *import_streamed(vfs *v, const char *path, const uint8_t *data, size_t len, size_t piece) {
  strata_options *o = options_on(v);
  strata_importer *im = NULL;
  strata_status *st = strata_importer_begin(path, o, &im);
  strata_options_free(o);
  STATUS_TRY(st);
  for (size_t off = 0; off < len && !st; off += piece)
    st = strata_importer_write(im, data + off, len - off < piece ? len - off : piece);
  if (st) {
    strata_importer_abort(im);
    return st;
  }
  return strata_importer_finish(im);
}

static void image_byte_flip_is_refused(void) {
  mem_sink image = {0};
  uint64_t h = 0, n = 0;
  CHECK_OK(small_image(&image, &h, &n));
  CHECK(image.len > 200 && image.len < 20000);
  char *c = child("c");
  strata_options *o = options_on(fs);
  for (size_t i = 0; i < image.len; i++) {
    image.data[i] ^= 0x5a;
    strata_status *st = strata_import(c, o, image.data, image.len);
    if (strata_status_code(st) != STRATA_CORRUPTION || path_exists(fs, c)) {
      harness_fail(__FILE__, __LINE__, "flip at byte %zu of %zu: %s, folder %s", i, image.len,
                   strata_status_message(st), path_exists(fs, c) ? "created" : "absent");
      strata_status_free(st);
      break;
    }
    strata_status_free(st);
    /* streamed, the files are written as they come: every one must be gone again */
    if (i % 3 == 0) {
      st = import_streamed(fs, c, image.data, image.len, 61);
      if (strata_status_code(st) != STRATA_CORRUPTION || path_exists(fs, c)) {
        harness_fail(__FILE__, __LINE__, "streamed flip at byte %zu: %s, folder %s", i, strata_status_message(st),
                     path_exists(fs, c) ? "left" : "absent");
        strata_status_free(st);
        break;
      }
      strata_status_free(st);
    }
    image.data[i] ^= 0x5a;
  }
  strata_options_free(o);
  if (!harness_case_failed()) {
    CHECK_OK(import_streamed(fs, c, image.data, image.len, 61)); /* the intact image still imports */
    int same = 0;
    CHECK_OK(expect_contents(fs, c, h, n, &same));
    CHECK(same);
  }
  free(c);
  free(image.data);
}

static void image_truncated_at_every_length_is_refused(void) {
  mem_sink image = {0};
  uint64_t h = 0, n = 0;
  CHECK_OK(small_image(&image, &h, &n));
  char *c = child("c");
  strata_options *o = options_on(fs);
  for (size_t len = 0; len < image.len; len++) {
    strata_status *st = strata_import(c, o, image.data, len);
    strata_status *st2 = strata_status_code(st) == STRATA_CORRUPTION && !path_exists(fs, c)
                             ? import_streamed(fs, c, image.data, len, 97)
                             : NULL;
    if (strata_status_code(st) != STRATA_CORRUPTION || strata_status_code(st2) != STRATA_CORRUPTION ||
        path_exists(fs, c)) {
      harness_fail(__FILE__, __LINE__, "cut at %zu of %zu bytes: %s / %s, folder %s", len, image.len,
                   strata_status_message(st), strata_status_message(st2), path_exists(fs, c) ? "left" : "absent");
      strata_status_free(st);
      strata_status_free(st2);
      break;
    }
    if (len == image.len - 1 && !strstr(strata_status_message(st), "truncated"))
      harness_fail(__FILE__, __LINE__, "a truncation is named: %s", strata_status_message(st));
    strata_status_free(st);
    strata_status_free(st2);
  }
  /* one byte too many is refused too */
  CHECK(to_memory(&image, "", 1) == 0);
  strata_status *st = strata_import(c, o, image.data, image.len);
  strata_options_free(o);
  CHECK_CODE(st, STRATA_CORRUPTION);
  CHECK(!path_exists(fs, c));
  free(c);
  free(image.data);
}

/* The files of an image the engine wrote (trusted: no checks), and an image rebuilt from them
 * with valid checksums throughout: what a faulty writer could produce. */
typedef struct image_part {
  db_file_kind kind;
  uint64_t number;
  const uint8_t *data;
  uint64_t len;
} image_part;

static size_t split_image(const mem_sink *img, image_part *parts, size_t cap) {
  size_t n = decode_fixed32(img->data + 36), pos = IMAGE_HEADER_SIZE;
  for (size_t i = 0; i < n && i < cap; i++) {
    uint32_t name_len = decode_fixed32(img->data + pos + 4);
    parts[i].kind = (db_file_kind)decode_fixed32(img->data + pos);
    parts[i].len = decode_fixed64(img->data + pos + 8);
    db_file_kind k;
    db_files_parse_relative((const char *)img->data + pos + IMAGE_ENTRY_FIXED, name_len, &k, &parts[i].number);
    pos += IMAGE_ENTRY_FIXED + name_len + IMAGE_ENTRY_SUM;
    parts[i].data = img->data + pos;
    pos += parts[i].len + IMAGE_DATA_SUM;
  }
  return n;
}

static void build_image(const mem_sink *from, const image_part *parts, size_t n, mem_sink *out) {
  image_header h;
  image_header_init(&h);
  h.level_count = decode_fixed32(from->data + 32);
  h.seqno = decode_fixed64(from->data + 48);
  h.file_count = (uint32_t)n;
  h.image_length = IMAGE_HEADER_SIZE + IMAGE_TRAILER_SIZE;
  uint8_t entry[IMAGE_ENTRY_HEADER_MAX];
  for (size_t i = 0; i < n; i++)
    h.image_length += image_entry_encode(parts[i].kind, parts[i].number, parts[i].len, entry, sizeof entry) +
                      parts[i].len + IMAGE_DATA_SUM;
  uint8_t head[IMAGE_HEADER_SIZE];
  image_header_encode(&h, head);
  to_memory(out, head, sizeof head);
  for (size_t i = 0; i < n; i++) {
    size_t k = image_entry_encode(parts[i].kind, parts[i].number, parts[i].len, entry, sizeof entry);
    to_memory(out, entry, k);
    to_memory(out, parts[i].data, parts[i].len);
    checksum128 sum = checksum128_of(parts[i].data, parts[i].len);
    uint8_t s[IMAGE_DATA_SUM];
    encode_fixed64(s, sum.low);
    encode_fixed64(s + 8, sum.high);
    to_memory(out, s, sizeof s);
  }
  uint8_t t[IMAGE_TRAILER_SIZE];
  image_trailer_encode((uint32_t)n, h.image_length, (checksum128){0, 0}, t);
  to_memory(out, t, 24);
  checksum128 all = checksum128_of(out->data, out->len);
  image_trailer_encode((uint32_t)n, h.image_length, all, t);
  to_memory(out, t + 24, 16);
}

/* Every checksum right, but the manifest and the files disagree: refused, nothing left. */
static void image_whose_manifest_disagrees_with_its_files_is_refused(void) {
  mem_sink image = {0};
  uint64_t h = 0, n = 0;
  CHECK_OK(small_image(&image, &h, &n));
  image_part parts[16], edited[16];
  size_t count = split_image(&image, parts, 16);
  CHECK(count >= 3 && count <= 16 && parts[0].kind == DB_FILE_TABLE && parts[count - 1].kind == DB_FILE_MANIFEST);
  char *c = child("c");
  strata_options *o = options_on(fs);
  mem_sink same = {0}; /* the rebuilder itself is right: the unchanged parts import */
  build_image(&image, parts, count, &same);
  CHECK(same.len == image.len && memcmp(same.data, image.data, image.len) == 0);
  /* a table the manifest lists is missing */
  memcpy(edited, parts + 1, (count - 1) * sizeof *parts);
  mem_sink missing = {0};
  build_image(&image, edited, count - 1, &missing);
  strata_status *st = strata_import(c, o, missing.data, missing.len);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), "does not hold"));
  strata_status_free(st);
  CHECK(!path_exists(fs, c));
  /* a table the manifest does not list */
  memcpy(edited, parts, count * sizeof *parts);
  edited[0].number += 1000;
  mem_sink extra = {0};
  build_image(&image, edited, count, &extra);
  CHECK_CODE(import_streamed(fs, c, extra.data, extra.len, 333), STRATA_CORRUPTION);
  CHECK(!path_exists(fs, c));
  /* a table of another size than the manifest records */
  memcpy(edited, parts, count * sizeof *parts);
  edited[0].len -= 1;
  mem_sink shorter = {0};
  build_image(&image, edited, count, &shorter);
  st = strata_import(c, o, shorter.data, shorter.len);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), "records"));
  strata_status_free(st);
  CHECK(!path_exists(fs, c));
  strata_options_free(o);
  free(same.data);
  free(missing.data);
  free(extra.data);
  free(shorter.data);
  free(image.data);
  free(c);
}

static void image_import_into_non_empty_folder_is_refused(void) {
  mem_sink image = {0};
  uint64_t h = 0, n = 0;
  CHECK_OK(small_image(&image, &h, &n));
  strata_options *o = options_on(fs);
  /* a folder holding something else */
  char *d = child("d"), *f = child("d/notes.txt");
  CHECK_OK(vfs_mkdir(fs, d));
  CHECK_OK(vfs_replace(fs, f, "mine", 4));
  CHECK_CODE(strata_import(d, o, image.data, image.len), STRATA_EXISTS);
  CHECK_CODE(import_streamed(fs, d, image.data, image.len, 1000), STRATA_EXISTS);
  buffer kept;
  buffer_init(&kept);
  CHECK_OK(vfs_read_file(fs, f, &kept));
  CHECK(kept.len == 4 && memcmp(kept.data, "mine", 4) == 0);
  buffer_free(&kept);
  /* an existing database */
  char *small = child("small");
  CHECK_CODE(strata_import(small, o, image.data, image.len), STRATA_EXISTS);
  int same = 0;
  CHECK_OK(expect_contents(fs, small, h, n, &same));
  CHECK(same);
  /* a file, and bad arguments */
  CHECK_CODE(strata_import(f, o, image.data, image.len), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_import("", o, image.data, image.len), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_import(d, o, NULL, 10), STRATA_INVALID_ARGUMENT);
  CHECK_CODE(strata_importer_write(NULL, "x", 1), STRATA_INVALID_ARGUMENT);
  /* an empty folder is fine */
  char *e = child("empty");
  CHECK_OK(vfs_mkdir(fs, e));
  CHECK_OK(strata_import(e, o, image.data, image.len));
  CHECK_OK(expect_contents(fs, e, h, n, &same));
  CHECK(same);
  strata_options_free(o);
  free(d);
  free(f);
  free(small);
  free(e);
  free(image.data);
}

/* Every I/O operation of an import failing in turn: the import fails and nothing is left. */
static void image_import_io_error_midway_leaves_nothing(void) {
  mem_sink image = {0};
  uint64_t h = 0, n = 0;
  CHECK_OK(small_image(&image, &h, &n));
  vfs *fault = NULL;
  CHECK_OK(vfs_fault_new(fs, &fault));
  char *c = child("c"), *e = child("e");
  CHECK_OK(vfs_mkdir(fs, e));
  int succeeded = 0;
  for (uint64_t nth = 1; nth < 400 && !succeeded && !harness_case_failed(); nth++) {
    for (int pass = 0; pass < 2 && !harness_case_failed(); pass++) {
      const char *target = pass ? e : c; /* a missing folder, then an empty one */
      vfs_fault_fail_nth(fault, VFS_FAULT_ALL, nth);
      strata_status *st = import_streamed(fault, target, image.data, image.len, 50);
      vfs_fault_clear(fault);
      if (st) {
        int left = pass ? 0 : path_exists(fs, c);
        if (pass) {
          const char *names[] = {"tables", "journal", "manifest-0", "manifest-1", "LOCK"};
          for (size_t i = 0; i < 5; i++) {
            char *p = vfs_path_join(e, names[i]);
            left |= path_exists(fs, p);
            free(p);
          }
        }
        if (left) harness_fail(__FILE__, __LINE__, "operation %llu failed (%s): files were left", (unsigned long long)nth,
                               strata_status_message(st));
        strata_status_free(st);
      } else {
        succeeded = 1;
        int same = 0;
        CHECK_OK(expect_contents(fs, target, h, n, &same));
        CHECK(same);
      }
    }
  }
  CHECK(succeeded); /* the sweep reached past the import's last operation */
  vfs_destroy(fault);
  free(c);
  free(e);
  free(image.data);
}

static void image_file_round_trip_and_refusals(void) {
  char *a = child("a"), *b = child("b"), *file = child("a.image");
  strata_db *db = NULL;
  CHECK_OK(open_on(fs, a, &db));
  CHECK_OK(fill(db, 200));
  uint64_t h = 0, n = 0;
  CHECK_OK(content_hash(db, NULL, &h, &n));
  CHECK_OK(strata_export_file(db, file));
  CHECK_CODE(strata_export_file(db, file), STRATA_EXISTS); /* never overwrites */
  CHECK_OK(strata_close(db));
  strata_options *o = options_on(fs);
  CHECK_OK(strata_import_file(file, b, o));
  int same = 0;
  CHECK_OK(expect_contents(fs, b, h, n, &same));
  CHECK(same);
  char *missing = child("no-such.image"), *c = child("c");
  CHECK_CODE(strata_import_file(missing, c, o), STRATA_NOT_FOUND);
  CHECK(!path_exists(fs, c));
  strata_options_free(o);
  /* an export handle after its end, and a NULL buffer */
  CHECK_OK(open_on(fs, b, &db));
  strata_export *e = NULL;
  CHECK_OK(strata_export_begin(db, &e));
  size_t got = 0;
  CHECK_CODE(strata_export_read(e, NULL, 10, &got), STRATA_INVALID_ARGUMENT);
  strata_export_end(e);
  CHECK_CODE(strata_export_begin(NULL, &e), STRATA_NOT_OPEN);
  CHECK_OK(strata_close(db));
  free(a);
  free(b);
  free(file);
  free(missing);
  free(c);
}

/* --- key-value separated databases: blob files travel in the image ------------------------ */

static size_t count_entries_in(vfs *v, const char *path) {
  size_t n = 0;
  strata_status *st = vfs_count_entries(v, path, &n);
  strata_status_free(st);
  return n;
}

/* Values over the threshold live in blob files; the image carries every one the version lists,
 * and the copy reads the same values (tables pointing into blob files, journal-only values). */
static void image_round_trip_of_a_separated_database_carries_its_blob_files(void) {
  kv_threshold = 64;
  char *a = child("a"), *b = child("b");
  strata_db *db = NULL;
  CHECK_OK(open_on(fs, a, &db));
  char k[32], v[400];
  for (int i = 0; i < 300; i++) {
    snprintf(k, sizeof k, "key%05d", i);
    int len = i % 2 ? 300 : 20; /* every other value separated */
    for (int j = 0; j < len; j++) v[j] = (char)('a' + (i * 7 + j * 13) % 26);
    CHECK_OK(strata_put(db, k, strlen(k), v, (size_t)len, 0));
  }
  CHECK_OK(strata_flush(db));
  CHECK_OK(fill(db, 100)); /* small values, deletes and journal-only writes over it */
  memset(v, 'z', 200);
  CHECK_OK(strata_put(db, "journal-only big", 16, v, 200, 0));
  strata_stats stats;
  CHECK_OK(strata_get_stats(db, &stats));
  CHECK(stats.blob_files >= 1);
  uint64_t blob_files = stats.blob_files;
  uint64_t h = 0, n = 0;
  CHECK_OK(content_hash(db, NULL, &h, &n));
  mem_sink image = {0};
  CHECK_OK(strata_export_to(db, to_memory, &image));
  CHECK_OK(strata_close(db));
  CHECK_EQ_U64(decode_fixed32(image.data + 8), IMAGE_FORMAT);

  strata_options *o = options_on(fs);
  strata_status *st = strata_import(b, o, image.data, image.len);
  strata_options_free(o);
  CHECK_OK(st);
  char *blobs = vfs_path_join(b, "blobs");
  CHECK_EQ_U64(count_entries_in(fs, blobs), blob_files);
  free(blobs);
  int same = 0;
  CHECK_OK(expect_contents(fs, b, h, n, &same));
  CHECK(same);
  CHECK_OK(open_on(fs, b, &db));
  int found = 0;
  void *val = NULL;
  size_t vlen = 0;
  CHECK_OK(strata_get(db, NULL, "key00201", 8, &found, &val, &vlen)); /* a value in a blob file */
  CHECK(found && vlen == 300);
  strata_free(val);
  CHECK_OK(strata_close(db));
  free(image.data);
  free(a);
  free(b);
}

/* One table, one blob file, a journal. */
static strata_status *small_separated_image(mem_sink *image, uint64_t *h, uint64_t *n) {
  kv_threshold = 16;
  char *a = child("small-sep");
  strata_db *db = NULL;
  strata_status *st = open_on(fs, a, &db);
  free(a);
  STATUS_TRY(st);
  st = put_str(db, "apple", "red, and long enough for a blob file");
  if (!st) st = put_str(db, "banana", "yellow");
  if (!st) st = strata_flush(db);
  if (!st) st = put_str(db, "cherry", "dark red, journal only, also long");
  if (!st) st = content_hash(db, NULL, h, n);
  if (!st) st = strata_export_to(db, to_memory, image);
  strata_status *cst = strata_close(db);
  if (!st) st = cst;
  else strata_status_free(cst);
  return st;
}

static void image_of_a_separated_database_byte_flip_is_refused(void) {
  mem_sink image = {0};
  uint64_t h = 0, n = 0;
  CHECK_OK(small_separated_image(&image, &h, &n));
  CHECK(image.len > 200 && image.len < 20000);
  char *c = child("c");
  strata_options *o = options_on(fs);
  for (size_t i = 0; i < image.len; i++) {
    image.data[i] ^= 0x5a;
    strata_status *st = strata_import(c, o, image.data, image.len);
    if (strata_status_code(st) != STRATA_CORRUPTION || path_exists(fs, c)) {
      harness_fail(__FILE__, __LINE__, "flip at byte %zu of %zu: %s, folder %s", i, image.len,
                   strata_status_message(st), path_exists(fs, c) ? "created" : "absent");
      strata_status_free(st);
      break;
    }
    strata_status_free(st);
    if (i % 3 == 0) {
      st = import_streamed(fs, c, image.data, image.len, 61);
      if (strata_status_code(st) != STRATA_CORRUPTION || path_exists(fs, c)) {
        harness_fail(__FILE__, __LINE__, "streamed flip at byte %zu: %s, folder %s", i, strata_status_message(st),
                     path_exists(fs, c) ? "left" : "absent");
        strata_status_free(st);
        break;
      }
      strata_status_free(st);
    }
    image.data[i] ^= 0x5a;
  }
  strata_options_free(o);
  if (!harness_case_failed()) {
    CHECK_OK(import_streamed(fs, c, image.data, image.len, 61));
    int same = 0;
    CHECK_OK(expect_contents(fs, c, h, n, &same));
    CHECK(same);
  }
  free(c);
  free(image.data);
}

/* Every checksum right, but the blob files and the manifest disagree, or a blob file is not one. */
static void image_whose_blob_files_disagree_with_its_manifest_is_refused(void) {
  mem_sink image = {0};
  uint64_t h = 0, n = 0;
  CHECK_OK(small_separated_image(&image, &h, &n));
  image_part parts[16], edited[16];
  size_t count = split_image(&image, parts, 16);
  size_t blob = count;
  for (size_t i = 0; i < count; i++)
    if (parts[i].kind == DB_FILE_BLOB) blob = i;
  CHECK(count >= 4 && count <= 16 && blob < count && parts[blob - 1].kind == DB_FILE_TABLE &&
        parts[blob + 1].kind == DB_FILE_JOURNAL);
  if (harness_case_failed()) {
    free(image.data);
    return;
  }
  char *c = child("c");
  strata_options *o = options_on(fs);
  /* the blob file the manifest lists is missing */
  memcpy(edited, parts, blob * sizeof *parts);
  memcpy(edited + blob, parts + blob + 1, (count - blob - 1) * sizeof *parts);
  mem_sink missing = {0};
  build_image(&image, edited, count - 1, &missing);
  strata_status *st = strata_import(c, o, missing.data, missing.len);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), "blob file") &&
        strstr(strata_status_message(st), "does not hold"));
  strata_status_free(st);
  CHECK(!path_exists(fs, c));
  /* a blob file under another id than its own: its trailer names the real one */
  memcpy(edited, parts, count * sizeof *parts);
  edited[blob].number += 1000;
  mem_sink renamed = {0};
  build_image(&image, edited, count, &renamed);
  CHECK_CODE(import_streamed(fs, c, renamed.data, renamed.len, 97), STRATA_CORRUPTION);
  CHECK(!path_exists(fs, c));
  /* a blob file with one byte changed and its image checksums made right again */
  uint8_t *bad = malloc(parts[blob].len);
  memcpy(bad, parts[blob].data, parts[blob].len);
  bad[parts[blob].len / 3] ^= 1;
  memcpy(edited, parts, count * sizeof *parts);
  edited[blob].data = bad;
  mem_sink damaged = {0};
  build_image(&image, edited, count, &damaged);
  st = import_streamed(fs, c, damaged.data, damaged.len, 97);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), "blobs/"));
  strata_status_free(st);
  CHECK(!path_exists(fs, c));
  /* out of order: the blob file after the journal */
  memcpy(edited, parts, count * sizeof *parts);
  edited[blob] = parts[blob + 1];
  edited[blob + 1] = parts[blob];
  mem_sink order = {0};
  build_image(&image, edited, count, &order);
  st = strata_import(c, o, order.data, order.len);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), "out of order"));
  strata_status_free(st);
  CHECK(!path_exists(fs, c));
  strata_options_free(o);
  free(bad);
  free(missing.data);
  free(renamed.data);
  free(damaged.data);
  free(order.data);
  free(image.data);
  free(c);
}

/* Rewrites the header's format field (and its checksum) and the whole-image checksum. */
static void set_format(mem_sink *img, uint32_t format) {
  encode_fixed32(img->data + 8, format);
  encode_fixed64(img->data + 72, checksum64(img->data, 72));
  size_t t = img->len - IMAGE_TRAILER_SIZE;
  checksum128 all = checksum128_of(img->data, t + 24);
  encode_fixed64(img->data + t + 24, all.low);
  encode_fixed64(img->data + t + 32, all.high);
}

/* Format 1 (before blob files) is still read; it cannot hold a blob file; a later one is refused. */
static void image_format_1_is_read_and_holds_no_blob_files(void) {
  mem_sink plain = {0}, sep = {0};
  uint64_t h = 0, n = 0, hs = 0, ns = 0;
  CHECK_OK(small_image(&plain, &h, &n));
  set_format(&plain, 1);
  char *c = child("c"), *d = child("d"), *e = child("e");
  strata_options *o = options_on(fs);
  CHECK_OK(strata_import(c, o, plain.data, plain.len));
  int same = 0;
  CHECK_OK(expect_contents(fs, c, h, n, &same));
  CHECK(same);
  CHECK_OK(small_separated_image(&sep, &hs, &ns));
  set_format(&sep, 1);
  strata_status *st = strata_import(d, o, sep.data, sep.len);
  CHECK(strata_status_code(st) == STRATA_CORRUPTION && strstr(strata_status_message(st), "format 1"));
  strata_status_free(st);
  CHECK(!path_exists(fs, d));
  set_format(&sep, IMAGE_FORMAT + 1);
  st = strata_import(e, o, sep.data, sep.len);
  CHECK(strata_status_code(st) == STRATA_NOT_SUPPORTED && strstr(strata_status_message(st), "offset 8"));
  strata_status_free(st);
  CHECK(!path_exists(fs, e));
  strata_options_free(o);
  free(plain.data);
  free(sep.data);
  free(c);
  free(d);
  free(e);
}

int main(void) {
  harness_run_variant("image_round_trip_keeps_tables_journal_data_and_deletes", "memory", setup_memory,
                      image_round_trip_keeps_tables_journal_data_and_deletes, teardown);
  harness_run_variant("image_round_trip_keeps_tables_journal_data_and_deletes", "posix", setup_posix,
                      image_round_trip_keeps_tables_journal_data_and_deletes, teardown);
  harness_run_variant("image_excludes_writes_after_the_pin", "memory", setup_memory,
                      image_excludes_writes_after_the_pin, teardown);
  harness_run_variant("image_export_while_background_work_runs", "posix", setup_posix,
                      image_export_while_background_work_runs, teardown);
  harness_run_variant("image_byte_flip_is_refused", "memory", setup_memory, image_byte_flip_is_refused, teardown);
  harness_run_variant("image_truncated_at_every_length_is_refused", "memory", setup_memory,
                      image_truncated_at_every_length_is_refused, teardown);
  harness_run_variant("image_whose_manifest_disagrees_with_its_files_is_refused", "memory", setup_memory,
                      image_whose_manifest_disagrees_with_its_files_is_refused, teardown);
  harness_run_variant("image_import_into_non_empty_folder_is_refused", "memory", setup_memory,
                      image_import_into_non_empty_folder_is_refused, teardown);
  harness_run_variant("image_import_io_error_midway_leaves_nothing", "memory+fault", setup_memory,
                      image_import_io_error_midway_leaves_nothing, teardown);
  harness_run_variant("image_file_round_trip_and_refusals", "posix", setup_posix, image_file_round_trip_and_refusals,
                      teardown);
  harness_run_variant("image_round_trip_of_a_separated_database_carries_its_blob_files", "memory", setup_memory,
                      image_round_trip_of_a_separated_database_carries_its_blob_files, teardown);
  harness_run_variant("image_round_trip_of_a_separated_database_carries_its_blob_files", "posix", setup_posix,
                      image_round_trip_of_a_separated_database_carries_its_blob_files, teardown);
  harness_run_variant("image_of_a_separated_database_byte_flip_is_refused", "memory", setup_memory,
                      image_of_a_separated_database_byte_flip_is_refused, teardown);
  harness_run_variant("image_whose_blob_files_disagree_with_its_manifest_is_refused", "memory", setup_memory,
                      image_whose_blob_files_disagree_with_its_manifest_is_refused, teardown);
  harness_run_variant("image_format_1_is_read_and_holds_no_blob_files", "memory", setup_memory,
                      image_format_1_is_read_and_holds_no_blob_files, teardown);
  return harness_finish();
}
