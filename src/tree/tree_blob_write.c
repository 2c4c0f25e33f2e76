/*
 * tree_blob_write.c -- key-value separation while tables are written (flush, compaction, ingest).
 *
 * The sink sits between the entry stream and the table writer: a value of at least the threshold
 * goes to the current blob file (a new one once it holds file_target_size bytes) and the entry
 * becomes a VALUE_TYPE_INDIRECTION holding its handle; a handle into a file being collected is
 * resolved and its value copied forward (relocation); every handle is counted into the table's
 * references. The finished blob files go into the batch beside the tables.
 */
#include <stdlib.h>
#include <string.h>

#include "../blob/blob_file.h"
#include "tree_internal.h"

void blob_sink_init(blob_sink *s, tree *t, const uint64_t *relocate, size_t relocate_count, table_batch *out) {
  memset(s, 0, sizeof *s);
  s->t = t;
  s->relocate = relocate;
  s->relocate_count = relocate_count;
  s->out = out;
  buffer_init(&s->handle);
  buffer_init(&s->value);
}

static int relocating(const blob_sink *s, uint64_t id) {
  size_t lo = 0, hi = s->relocate_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->relocate[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < s->relocate_count && s->relocate[lo] == id;
}

static strata_status *count_ref(blob_sink *s, const blob_handle *h) {
  size_t i = 0;
  while (i < s->ref_count && s->refs[i].blob_id < h->blob_id) i++;
  if (i == s->ref_count || s->refs[i].blob_id != h->blob_id) {
    if (s->ref_count == s->ref_cap) {
      size_t cap = s->ref_cap ? s->ref_cap * 2 : 4;
      table_blob_ref *grown = realloc(s->refs, cap * sizeof *grown);
      if (!grown) return status_no_memory();
      s->refs = grown;
      s->ref_cap = cap;
    }
    memmove(&s->refs[i + 1], &s->refs[i], (s->ref_count - i) * sizeof *s->refs);
    s->refs[i].blob_id = h->blob_id;
    s->refs[i].count = s->refs[i].bytes = 0;
    s->ref_count++;
  }
  s->refs[i].count++;
  s->refs[i].bytes += h->size;
  return NULL;
}

static strata_status *push_blob(table_batch *b, blob_meta *m) {
  if (b->blob_count == b->blob_cap) {
    size_t cap = b->blob_cap ? b->blob_cap * 2 : 4;
    blob_meta **grown = realloc(b->blobs, cap * sizeof *grown);
    if (!grown) {
      blob_meta_unref(m);
      return status_no_memory();
    }
    b->blobs = grown;
    b->blob_cap = cap;
  }
  b->blobs[b->blob_count++] = m;
  return NULL;
}

static strata_status *finish_blob(blob_sink *s) {
  blob_file_writer *w = s->w;
  s->w = NULL;
  blob_file_summary sum;
  STATUS_TRY(blob_file_writer_finish(w, &sum));
  blob_meta *m = NULL;
  strata_status *st = blob_meta_new(sum.id, sum.file_size, sum.item_count, sum.records_end, sum.raw_value_bytes, &m);
  if (!st) st = push_blob(s->out, m);
  if (st) { /* the finished file is an orphan now */
    char *path = tree_blob_path(s->t, sum.id);
    if (path) strata_status_free(vfs_remove(s->t->fs, path));
    free(path);
    return st;
  }
  s->out->blob_bytes += sum.file_size;
  return NULL;
}

/* Writes the value to the current blob file and points the entry at it. */
static strata_status *separate(blob_sink *s, internal_key *k, slice value, slice *out) {
  tree *t = s->t;
  if (s->w && blob_file_writer_size(s->w) >= t->opts.blob.file_target_size) STATUS_TRY(finish_blob(s));
  if (!s->w) {
    uint64_t id = tree_allocate_file_id(t);
    char *path = tree_blob_path(t, id);
    if (!path) return status_no_memory();
    strata_status *st = blob_file_writer_open(t->fs, path, id, (compression)t->opts.blob.compression, &s->w);
    free(path);
    if (st) return st;
  }
  blob_handle h;
  STATUS_TRY(blob_file_writer_add(s->w, k->user_key, k->seqno, value, &h));
  STATUS_TRY(count_ref(s, &h));
  buffer_clear(&s->handle);
  STATUS_TRY(blob_handle_append(&h, &s->handle));
  k->type = VALUE_TYPE_INDIRECTION;
  *out = buffer_slice(&s->handle);
  return NULL;
}

strata_status *blob_sink_entry(blob_sink *s, internal_key *k, slice *value) {
  if (!tree_kv_separated(s->t)) {
    if (k->type == VALUE_TYPE_INDIRECTION)
      return status_new(STRATA_CORRUPTION, "a value handle in a tree that does not separate values");
    return NULL;
  }
  if (k->type == VALUE_TYPE_VALUE && value->len >= s->t->opts.blob.threshold) return separate(s, k, *value, value);
  if (k->type != VALUE_TYPE_INDIRECTION) return NULL;
  blob_handle h;
  STATUS_TRY(blob_handle_decode(*value, "a table entry", &h));
  if (!relocating(s, h.blob_id)) return count_ref(s, &h);
  STATUS_TRY(tree_resolve_value(s->t, k->user_key, *value, 0, &s->value));
  s->out->relocated_bytes += h.size;
  k->type = VALUE_TYPE_VALUE;
  return separate(s, k, buffer_slice(&s->value), value);
}

void blob_sink_take_refs(blob_sink *s, table_blob_ref **refs, size_t *count) {
  *refs = s->refs;
  *count = s->ref_count;
  s->refs = NULL;
  s->ref_count = s->ref_cap = 0;
}

strata_status *blob_sink_finish(blob_sink *s) {
  if (s->w) STATUS_TRY(finish_blob(s));
  if (s->out->blob_count) STATUS_TRY(vfs_sync_dir(s->t->fs, s->t->blobs_dir));
  return NULL;
}

void blob_sink_free(blob_sink *s) {
  blob_file_writer_abandon(s->w);
  s->w = NULL;
  free(s->refs);
  buffer_free(&s->handle);
  buffer_free(&s->value);
}
