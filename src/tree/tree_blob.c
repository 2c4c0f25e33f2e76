/*
 * tree_blob.c -- the tree's blob files (key-value separation): their folder and readers, values
 * resolved through the blob cache, the files retired when no version lists them, and which files
 * garbage collection relocates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../blob/blob_file.h"
#include "../util/db_files.h"
#include "tree_internal.h"

char *tree_blob_path(const tree *t, uint64_t id) {
  char name[24];
  snprintf(name, sizeof name, "%llu", (unsigned long long)id);
  return vfs_path_join(t->blobs_dir, name);
}

int tree_kv_separated(tree *t) { return t->opts.blob.threshold > 0; }

static strata_status *open_blob_reader(void *ctx, uint64_t id, void **out) {
  tree *t = ctx;
  char *path = tree_blob_path(t, id);
  if (!path) return status_no_memory();
  blob_file_reader *r = NULL;
  strata_status *st = blob_file_reader_open(t->fs, path, id, &r);
  free(path);
  if (!st) *out = r;
  return st;
}

static void close_blob_reader(void *ctx, uint64_t id, void *object) {
  (void)ctx, (void)id;
  blob_file_reader_close(object);
}

strata_status *tree_blob_open(tree *t) {
  t->blobs_dir = vfs_path_join(t->dir, DB_DIR_BLOBS);
  if (!t->blobs_dir) return status_no_memory();
  atomic_u64_init(&t->blob_reads, 0);
  atomic_u64_init(&t->blob_files_deleted, 0);
  atomic_u64_init(&t->blob_bytes_reclaimed, 0);
  return file_cache_new(t->opts.max_open_tables, open_blob_reader, close_blob_reader, t, &t->blob_files);
}

void tree_keep_blobs_open(tree *t, const version *v) {
  if (!t->blob_files) return;
  for (size_t i = 0; i < v->blob_count; i++) {
    uint64_t id = v->blobs[i].file->id;
    int held = 0;
    for (size_t k = 0; k < t->kept_blob_count && !held; k++) held = t->kept_blob_ids[k] == id;
    if (held) continue;
    file_cache_handle **grown = realloc(t->kept_blobs, (t->kept_blob_count + 1) * sizeof *grown);
    if (grown) t->kept_blobs = grown;
    uint64_t *ids = grown ? realloc(t->kept_blob_ids, (t->kept_blob_count + 1) * sizeof *ids) : NULL;
    if (!ids) return; /* best effort, as for tables */
    t->kept_blob_ids = ids;
    file_cache_handle *h = NULL;
    strata_status *st = file_cache_get(t->blob_files, id, &h);
    if (st) {
      strata_status_free(st);
      continue;
    }
    t->kept_blobs[t->kept_blob_count] = h;
    t->kept_blob_ids[t->kept_blob_count++] = id;
  }
}

void tree_blob_close(tree *t) {
  for (size_t i = 0; i < t->kept_blob_count; i++) file_cache_release(t->blob_files, t->kept_blobs[i]);
  free(t->kept_blobs);
  free(t->kept_blob_ids);
  if (t->blob_files) file_cache_free(t->blob_files);
  free(t->blobs_dir);
}

strata_status *tree_verify_blobs(tree *t, const version *v) {
  if (v->blob_count && !t->blobs_dir)
    return status_new(STRATA_CORRUPTION, "the version lists %zu blob files but the tree does not separate values",
                      v->blob_count);
  for (size_t i = 0; i < v->blob_count; i++) {
    const blob_meta *m = v->blobs[i].file;
    char *path = tree_blob_path(t, m->id);
    if (!path) return status_no_memory();
    vfs_file *f = NULL;
    uint64_t size = 0;
    strata_status *st = vfs_open(t->fs, path, VFS_OPEN_READ, &f);
    if (status_is(st, STRATA_NOT_FOUND)) {
      strata_status_free(st);
      st = status_new(STRATA_CORRUPTION, "blob file %llu (%s) is missing; the version lists it with %llu bytes",
                      (unsigned long long)m->id, path, (unsigned long long)m->file_size);
    } else if (!st) {
      st = vfs_file_size(f, &size);
      strata_status *cst = vfs_file_close(f);
      if (!st) st = cst;
      else strata_status_free(cst);
      if (!st && size != m->file_size)
        st = status_new(STRATA_CORRUPTION, "blob file %llu (%s) is %llu bytes; the version records %llu",
                        (unsigned long long)m->id, path, (unsigned long long)size, (unsigned long long)m->file_size);
    }
    free(path);
    if (st) return st;
  }
  return NULL;
}

/* A dead blob file's last reader is gone: forget its values and delete it. */
static void delete_blob_file(void *ctx, uint64_t id, uint64_t file_size) {
  tree *t = ctx;
  file_cache_evict(t->blob_files, id);
  block_cache_erase_file(t->cache, id);
  char *path = tree_blob_path(t, id);
  if (path) strata_status_free(vfs_remove(t->fs, path));
  free(path);
  atomic_u64_fetch_add(&t->blob_files_deleted, 1); /* no mutex: this may run inside an install */
  atomic_u64_fetch_add(&t->blob_bytes_reclaimed, file_size);
}

void tree_retire_blobs(tree *t, const version *old, const version *next) {
  for (size_t i = 0; i < old->blob_count; i++) {
    blob_meta *m = old->blobs[i].file;
    if (!version_find_blob(next, m->id)) blob_meta_mark_obsolete(m, delete_blob_file, t);
  }
}

/* --- values ----------------------------------------------------------------------------- */

typedef struct cached_value {
  size_t len;
  uint8_t data[];
} cached_value;

static void free_cached(void *v) { free(v); }

strata_status *tree_resolve_value(tree *t, slice key, slice handle, int fill_cache, buffer *out) {
  blob_handle h;
  STATUS_TRY(blob_handle_decode(handle, "a table entry", &h));
  cache_handle *ch = block_cache_lookup(t->cache, h.blob_id, h.offset);
  if (ch) {
    const cached_value *cv = cache_handle_value(ch);
    buffer_clear(out);
    strata_status *st = buffer_append(out, cv->data, cv->len);
    block_cache_release(t->cache, ch);
    return st;
  }
  if (!t->blob_files)
    return status_new(STRATA_CORRUPTION, "a value handle into blob file %llu, but the tree does not separate values",
                      (unsigned long long)h.blob_id);
  file_cache_handle *fh = NULL;
  STATUS_TRY(file_cache_get(t->blob_files, h.blob_id, &fh));
  strata_status *st = blob_file_reader_read(file_cache_handle_object(fh), &h, key, out);
  file_cache_release(t->blob_files, fh);
  if (st) return st;
  atomic_u64_fetch_add(&t->blob_reads, 1);
  if (!fill_cache) return NULL;
  cached_value *cv = malloc(sizeof *cv + out->len + 1);
  if (!cv) return NULL; /* the read succeeded; only caching failed */
  cv->len = out->len;
  if (out->len) memcpy(cv->data, out->data, out->len);
  if (block_cache_insert(t->cache, h.blob_id, h.offset, cv, sizeof *cv + out->len, free_cached, 0, &ch)) {
    free(cv); /* nothing was taken */
    return NULL;
  }
  block_cache_release(t->cache, ch);
  return NULL;
}

/* --- garbage collection ----------------------------------------------------------------- */

strata_status *tree_blob_gc_candidates(tree *t, const version *v, uint64_t **ids, size_t *count) {
  *ids = NULL;
  *count = 0;
  if (!tree_kv_separated(t) || v->blob_count == 0) return NULL;
  /* the oldest files (lowest ids) first; lsm-tree's age cutoff: only the oldest fraction */
  size_t oldest = (size_t)((double)v->blob_count * t->opts.blob.age_cutoff + 0.999999);
  if (oldest > v->blob_count) oldest = v->blob_count;
  uint64_t *out = malloc((oldest ? oldest : 1) * sizeof *out);
  if (!out) return status_no_memory();
  size_t n = 0;
  for (size_t i = 0; i < oldest; i++) {
    const blob_file_info *bf = &v->blobs[i];
    if (bf->file->record_bytes == 0) continue;
    double stale = (double)bf->garbage_bytes / (double)bf->file->record_bytes;
    if (bf->garbage_bytes && stale >= t->opts.blob.staleness_threshold) out[n++] = bf->file->id;
  }
  if (!n) {
    free(out);
    return NULL;
  }
  *ids = out;
  *count = n;
  return NULL;
}
