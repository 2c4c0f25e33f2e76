/*
 * db_import.c -- a database created from an image (the layout: image/image_format.h).
 *
 * The folder must be missing (it is created) or empty; its lock is held throughout, so no open
 * sees it half-written. The image reader checks each part as it arrives; tables, blob files and
 * journals are written as their bytes come (each file verified against its checksum at its end,
 * a blob file also read back whole as blob_file_verify reads it), the manifest is kept in memory
 * and written last, once the trailer verified the whole image and the manifest was checked
 * against the files (it lists exactly the image's tables and blob files, with their sizes; no
 * journal lies below its journal_min; its slot is its epoch's): until then the folder holds no
 * manifest and is not a database. Any failure removes what the import made --
 * the folder, if it created it, or everything in it otherwise -- so nothing is left behind.
 * Folder entries are synced before the manifest is written, and the manifest before success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../blob/blob_file.h"
#include "../image/image_format.h"
#include "../util/db_files.h"
#include "../version/manifest.h"
#include "db_internal.h"

struct strata_importer {
  uint32_t tag;
  vfs *fs;
  int owns_fs;
  char *path;
  int taken;       /* the folder was found missing or empty: cleaning up may remove what is in it */
  int created_dir; /* the folder did not exist: cleaning up removes it */
  vfs_lock *lock;
  int had_lock; /* the lock was ours, so its file may be removed */
  image_reader *reader;
  vfs_file *file; /* the table or journal being written */
  char *file_path;
  int is_manifest;
  int made_blobs; /* blobs/ was created (at the first blob file) */
  buffer manifest;
  char manifest_name[DB_FILE_NAME_MAX + 1];
  uint64_t manifest_slot;
  uint32_t level_count;  /* the header's */
  image_entry *files;    /* the tables and journals written, in image order (ascending) */
  size_t file_count, file_cap;
  strata_status *error; /* the first failure: finish reports it */
};

static strata_status *make_dir(strata_importer *im, const char *name);

/* --- the reader's callbacks -------------------------------------------------------------- */

static strata_status *on_header(void *ctx, const image_header *h) {
  strata_importer *im = ctx;
  im->level_count = h->level_count;
  return NULL;
}

static strata_status *on_file_begin(void *ctx, const image_entry *e) {
  strata_importer *im = ctx;
  if (e->kind == DB_FILE_MANIFEST) {
    im->is_manifest = 1;
    memcpy(im->manifest_name, e->name, e->name_len + 1);
    im->manifest_slot = e->number;
    buffer_clear(&im->manifest);
    return NULL;
  }
  im->is_manifest = 0;
  if (im->file_count == im->file_cap) {
    size_t cap = im->file_cap ? im->file_cap * 2 : 16;
    image_entry *p = realloc(im->files, cap * sizeof *p);
    if (!p) return status_no_memory();
    im->files = p;
    im->file_cap = cap;
  }
  im->files[im->file_count++] = *e;
  if (e->kind == DB_FILE_BLOB && !im->made_blobs) { /* only a separated database has the folder */
    STATUS_TRY(make_dir(im, DB_DIR_BLOBS));
    im->made_blobs = 1;
  }
  im->file_path = vfs_path_join(im->path, e->name);
  if (!im->file_path) return status_no_memory();
  strata_status *st = vfs_open(im->fs, im->file_path, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &im->file);
  return st ? status_wrap(st, "import: creating %s", im->file_path) : NULL;
}

static strata_status *on_file_data(void *ctx, const void *data, size_t len) {
  strata_importer *im = ctx;
  if (im->is_manifest) return buffer_append(&im->manifest, data, len); /* grows as bytes arrive */
  strata_status *st = vfs_file_append(im->file, data, len);
  return st ? status_wrap(st, "import: writing %s", im->file_path) : NULL;
}

static strata_status *on_file_end(void *ctx, const image_entry *e) {
  strata_importer *im = ctx;
  if (im->is_manifest) return NULL;
  strata_status *st = vfs_file_sync(im->file);
  strata_status *cst = vfs_file_close(im->file);
  im->file = NULL;
  if (!st) st = cst;
  else strata_status_free(cst);
  if (st) st = status_wrap(st, "import: writing %s", im->file_path);
  /* a blob file is read back whole (trailer, every record, its id) before anything points into it */
  if (!st && e->kind == DB_FILE_BLOB) {
    st = blob_file_verify(im->fs, im->file_path, e->number, NULL);
    if (st) st = status_wrap(st, "database image: %s", e->name);
  }
  free(im->file_path);
  im->file_path = NULL;
  return st;
}

static const image_reader_callbacks import_callbacks = {on_header, on_file_begin, on_file_data, on_file_end};

/* The tables, blob files and journals in the image, in the reader's order (image_kind_rank, then
 * ascending): a binary search by (rank, number). */
static const image_entry *find_file(const strata_importer *im, db_file_kind kind, uint64_t id) {
  int rank = image_kind_rank(kind);
  size_t lo = 0, hi = im->file_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const image_entry *e = &im->files[mid];
    int r = image_kind_rank(e->kind);
    if (r == rank && e->number == id) return e;
    if (r < rank || (r == rank && e->number < id)) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* The manifest against the files: the version lists exactly the image's tables, with their sizes;
 * no journal is below journal_min; the slot is its epoch's; the level count is the header's. */
static strata_status *check_manifest(strata_importer *im) {
  manifest_state m;
  uint64_t epoch = 0;
  char what[64];
  snprintf(what, sizeof what, "database image: %s", im->manifest_name);
  STATUS_TRY(manifest_decode_slot(buffer_slice(&im->manifest), what, &epoch, &m));
  strata_status *st = NULL;
  const version *v = m.version;
  size_t listed = 0;
  if ((epoch & 1) != im->manifest_slot)
    st = status_new(STRATA_CORRUPTION, "%s holds epoch %llu, which belongs in the other slot", what,
                    (unsigned long long)epoch);
  if (!st && v->level_count != im->level_count)
    st = status_new(STRATA_CORRUPTION, "%s has %u levels; the image's header says %u", what, v->level_count,
                    im->level_count);
  for (unsigned l = 0; l < v->level_count && !st; l++)
    for (size_t r = 0; r < v->levels[l].run_count && !st; r++)
      for (size_t i = 0; i < v->levels[l].runs[r].count && !st; i++) {
        const table_info *t = v->levels[l].runs[r].tables[i];
        const image_entry *e = find_file(im, DB_FILE_TABLE, t->id);
        listed++;
        if (!e)
          st = status_new(STRATA_CORRUPTION, "%s lists table %llu, which the image does not hold", what,
                          (unsigned long long)t->id);
        else if (e->length != t->file_size)
          st = status_new(STRATA_CORRUPTION, "%s records %llu bytes for table %llu; the image holds %llu", what,
                          (unsigned long long)t->file_size, (unsigned long long)t->id, (unsigned long long)e->length);
      }
  for (size_t i = 0; i < v->blob_count && !st; i++) {
    const blob_meta *b = v->blobs[i].file;
    const image_entry *e = find_file(im, DB_FILE_BLOB, b->id);
    if (!e)
      st = status_new(STRATA_CORRUPTION, "%s lists blob file %llu, which the image does not hold", what,
                      (unsigned long long)b->id);
    else if (e->length != b->file_size)
      st = status_new(STRATA_CORRUPTION, "%s records %llu bytes for blob file %llu; the image holds %llu", what,
                      (unsigned long long)b->file_size, (unsigned long long)b->id, (unsigned long long)e->length);
  }
  size_t tables = 0, blobs = 0;
  for (size_t i = 0; i < im->file_count && !st; i++) {
    const image_entry *e = &im->files[i];
    if (e->kind == DB_FILE_TABLE) tables++;
    else if (e->kind == DB_FILE_BLOB) blobs++;
    else if (e->number < m.journal_min)
      st = status_new(STRATA_CORRUPTION, "database image: %s is below %s's journal_min %llu", e->name,
                      im->manifest_name, (unsigned long long)m.journal_min);
  }
  if (!st && blobs != v->blob_count)
    st = status_new(STRATA_CORRUPTION, "database image: %zu blob files, of which %s lists %zu", blobs,
                    im->manifest_name, v->blob_count);
  if (!st && tables != listed)
    st = status_new(STRATA_CORRUPTION, "database image: %zu tables, of which %s lists %zu", tables,
                    im->manifest_name, listed);
  manifest_state_clear(&m);
  return st;
}

/* --- the folder -------------------------------------------------------------------------- */

static strata_status *make_dir(strata_importer *im, const char *name) {
  char *p = vfs_path_join(im->path, name);
  if (!p) return status_no_memory();
  strata_status *st = vfs_mkdir(im->fs, p);
  free(p);
  return st;
}

static strata_status *sync_dir(strata_importer *im, const char *name) {
  char *p = name ? vfs_path_join(im->path, name) : NULL;
  if (name && !p) return status_no_memory();
  strata_status *st = vfs_sync_dir(im->fs, p ? p : im->path);
  free(p);
  return st;
}

static strata_status *remove_in(strata_importer *im, const char *name, int whole_tree) {
  char *p = vfs_path_join(im->path, name);
  if (!p) return status_no_memory();
  strata_status *st = whole_tree ? vfs_remove_tree(im->fs, p) : vfs_remove(im->fs, p);
  if (status_is(st, STRATA_NOT_FOUND)) {
    strata_status_free(st);
    st = NULL;
  }
  free(p);
  return st;
}

/* Removes everything the import made and frees the importer; returns `st` (with a cleanup
 * failure appended to its message). */
static strata_status *import_fail(strata_importer *im, strata_status *st) {
  strata_status_free(vfs_file_close(im->file));
  im->file = NULL;
  if (im->lock) strata_status_free(vfs_lock_release(im->fs, im->lock));
  im->lock = NULL;
  strata_status *clean = NULL;
  if (!im->taken) {
    /* the folder was not ours (not empty, a file, unreadable): nothing in it is touched */
  } else if (im->created_dir) {
    clean = vfs_remove_tree(im->fs, im->path);
  } else {
    clean = remove_in(im, DB_DIR_TABLES, 1);
    if (!clean) clean = remove_in(im, DB_DIR_BLOBS, 1);
    if (!clean) clean = remove_in(im, DB_DIR_JOURNAL, 1);
    for (unsigned s = 0; s < DB_MANIFEST_SLOTS && !clean; s++) clean = remove_in(im, db_files_manifest_slot(s), 0);
    if (!clean && im->had_lock) clean = remove_in(im, DB_FILE_LOCK, 0); /* a backend's release may leave it */
  }
  if (clean) {
    st = status_wrap(st, "import into %s failed and removing what it wrote failed too (%s)", im->path,
                     strata_status_message(clean));
    strata_status_free(clean);
  }
  return st;
}

static void importer_free(strata_importer *im) {
  image_reader_free(im->reader);
  if (im->owns_fs) vfs_destroy(im->fs);
  buffer_free(&im->manifest);
  free(im->files);
  free(im->file_path);
  free(im->path);
  strata_status_free(im->error);
  handle_retire(&im->tag);
  free(im);
}

/* Checks the folder is missing or empty and takes it: created, locked, tables/ and journal/. */
static strata_status *take_folder(strata_importer *im) {
  int exists = 0, is_dir = 0;
  STATUS_TRY(vfs_exists(im->fs, im->path, &exists, &is_dir));
  if (exists && !is_dir) return status_new(STRATA_INVALID_ARGUMENT, "import: %s is a file, not a folder", im->path);
  if (exists) {
    size_t entries = 0;
    STATUS_TRY(vfs_count_entries(im->fs, im->path, &entries));
    if (entries)
      return status_new(STRATA_EXISTS, "import: %s is not empty (%zu entries); an image is imported into a missing "
                                       "or empty folder", im->path, entries);
  } else {
    STATUS_TRY(vfs_mkdir(im->fs, im->path));
    im->created_dir = 1;
  }
  im->taken = 1;
  char *lock_path = vfs_path_join(im->path, DB_FILE_LOCK);
  if (!lock_path) return status_no_memory();
  strata_status *st = vfs_lock_acquire(im->fs, lock_path, &im->lock);
  free(lock_path);
  STATUS_TRY(st);
  im->had_lock = 1;
  STATUS_TRY(make_dir(im, DB_DIR_TABLES));
  return make_dir(im, DB_DIR_JOURNAL);
}

strata_status *strata_importer_begin(const char *path, const strata_options *opts, strata_importer **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  if (!path || !*path) return status_new(STRATA_INVALID_ARGUMENT, "import: the database path is empty");
  if (opts) HANDLE_CHECK(opts, HANDLE_OPTIONS);
  strata_importer *im = calloc(1, sizeof *im);
  if (!im) return status_no_memory();
  im->tag = HANDLE_IMPORTER;
  buffer_init(&im->manifest);
  strata_status *st = NULL;
  im->path = vfs_path_join(path, "");
  if (!im->path) st = status_no_memory();
  else {
    size_t len = strlen(im->path);
    if (len > 1) im->path[len - 1] = '\0'; /* drop the '/' the join added */
  }
  if (!st && opts && opts->fs) im->fs = opts->fs;
  else if (!st) {
    st = vfs_posix_new(&im->fs);
    im->owns_fs = st == NULL;
  }
  if (!st) st = image_reader_new(&import_callbacks, im, &im->reader);
  if (!st) {
    st = take_folder(im);
    if (st) st = import_fail(im, st);
  }
  if (st) {
    importer_free(im);
    return st;
  }
  *out = im;
  return NULL;
}

strata_status *strata_importer_write(strata_importer *im, const void *data, size_t len) {
  HANDLE_CHECK(im, HANDLE_IMPORTER);
  ARG_BYTES(data, len);
  if (im->error) return status_new(strata_status_code(im->error), "%s", strata_status_message(im->error));
  strata_status *st = image_reader_feed(im->reader, data, len);
  if (st) im->error = status_new(strata_status_code(st), "%s", strata_status_message(st));
  return st;
}

uint64_t strata_importer_done(const strata_importer *im) {
  HANDLE_GUARD(im, HANDLE_IMPORTER, 0);
  return image_reader_offset(im->reader);
}

uint64_t strata_importer_total(const strata_importer *im) {
  HANDLE_GUARD(im, HANDLE_IMPORTER, 0);
  return image_reader_total(im->reader);
}

/* The trailer verified: the manifest, then every folder entry made durable. */
static strata_status *write_manifest(strata_importer *im) {
  STATUS_TRY(sync_dir(im, DB_DIR_TABLES));
  if (im->made_blobs) STATUS_TRY(sync_dir(im, DB_DIR_BLOBS));
  STATUS_TRY(sync_dir(im, DB_DIR_JOURNAL));
  char *p = vfs_path_join(im->path, im->manifest_name);
  if (!p) return status_no_memory();
  vfs_file *f = NULL;
  strata_status *st = vfs_open(im->fs, p, VFS_OPEN_WRITE | VFS_OPEN_CREATE | VFS_OPEN_EXCLUSIVE, &f);
  if (!st) st = vfs_file_write(f, 0, im->manifest.data, im->manifest.len);
  if (!st) st = vfs_file_sync(f);
  strata_status *cst = vfs_file_close(f);
  if (!st) st = cst;
  else strata_status_free(cst);
  if (st) st = status_wrap(st, "import: writing %s", p);
  free(p);
  STATUS_TRY(st);
  return sync_dir(im, NULL);
}

strata_status *strata_importer_finish(strata_importer *im) {
  HANDLE_CHECK(im, HANDLE_IMPORTER);
  strata_status *st = im->error ? status_new(strata_status_code(im->error), "%s", strata_status_message(im->error))
                                : image_reader_finish(im->reader);
  if (!st) st = check_manifest(im);
  if (!st) st = write_manifest(im);
  if (st) st = import_fail(im, st);
  if (!st && im->lock) { /* the database is complete; a failed release leaves it so */
    st = vfs_lock_release(im->fs, im->lock);
    im->lock = NULL;
  }
  importer_free(im);
  return st;
}

void strata_importer_abort(strata_importer *im) {
  HANDLE_GUARD_VOID(im, HANDLE_IMPORTER);
  strata_status_free(import_fail(im, NULL));
  importer_free(im);
}

/* --- conveniences ------------------------------------------------------------------------ */

static strata_status *verify_only_begin(void *ctx, const image_entry *e) {
  (void)ctx;
  (void)e;
  return NULL;
}
static strata_status *verify_only_data(void *ctx, const void *data, size_t len) {
  (void)ctx;
  (void)data;
  (void)len;
  return NULL;
}

strata_status *strata_import(const char *path, const strata_options *opts, const void *image, size_t len) {
  ARG_BYTES(image, len);
  if (opts) HANDLE_CHECK(opts, HANDLE_OPTIONS);
  /* the whole image is at hand: verify it before touching the folder at all */
  static const image_reader_callbacks verify = {NULL, verify_only_begin, verify_only_data, verify_only_begin};
  image_reader *r = NULL;
  STATUS_TRY(image_reader_new(&verify, NULL, &r));
  strata_status *st = image_reader_feed(r, image, len);
  if (!st) st = image_reader_finish(r);
  image_reader_free(r);
  STATUS_TRY(st);
  strata_importer *im = NULL;
  STATUS_TRY(strata_importer_begin(path, opts, &im));
  st = strata_importer_write(im, image, len);
  if (st) {
    strata_importer_abort(im);
    return st;
  }
  return strata_importer_finish(im);
}

strata_status *strata_import_file(const char *image_file, const char *path, const strata_options *opts) {
  if (!image_file || !*image_file) return status_new(STRATA_INVALID_ARGUMENT, "import: the image file name is empty");
  if (opts) HANDLE_CHECK(opts, HANDLE_OPTIONS);
  vfs *fs = opts && opts->fs ? opts->fs : NULL;
  int owns = 0;
  if (!fs) {
    STATUS_TRY(vfs_posix_new(&fs));
    owns = 1;
  }
  vfs_file *f = NULL;
  uint64_t size = 0;
  strata_status *st = vfs_open(fs, image_file, VFS_OPEN_READ, &f);
  if (!st) st = vfs_file_size(f, &size);
  strata_importer *im = NULL;
  if (!st) st = strata_importer_begin(path, opts, &im);
  enum { CHUNK = 1 << 20 };
  uint8_t *buf = st ? NULL : malloc(CHUNK);
  if (!st && !buf) st = status_no_memory();
  for (uint64_t off = 0; !st && off < size;) {
    size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
    size_t got = 0;
    st = vfs_file_read(f, off, buf, want, &got);
    if (!st && got == 0) break; /* shorter than its size said: finish reports the truncation */
    if (!st) st = strata_importer_write(im, buf, got);
    off += got;
  }
  free(buf);
  if (im && st) strata_importer_abort(im);
  else if (im) st = strata_importer_finish(im);
  strata_status_free(vfs_file_close(f));
  if (owns) vfs_destroy(fs);
  return st ? status_wrap(st, "importing %s", image_file) : NULL;
}
