#include "table_info.h"

#include <stdlib.h>
#include <string.h>

strata_status *table_info_new(const table_info_fields *f, table_info **out) {
  if (slice_compare(f->key_min, f->key_max) > 0)
    return status_new(STRATA_INVALID_ARGUMENT, "table %llu: key range is inverted", (unsigned long long)f->id);
  for (size_t i = 1; i < f->blob_ref_count; i++)
    if (f->blob_refs[i - 1].blob_id >= f->blob_refs[i].blob_id)
      return status_new(STRATA_INVALID_ARGUMENT, "table %llu: blob references unsorted", (unsigned long long)f->id);
  size_t refs = f->blob_ref_count * sizeof(table_blob_ref);
  table_info *t = malloc(sizeof *t + refs + f->key_min.len + f->key_max.len + 1);
  if (!t) return status_no_memory();
  t->blob_refs = (table_blob_ref *)(t + 1);
  t->blob_ref_count = f->blob_ref_count;
  if (refs) memcpy(t->blob_refs, f->blob_refs, refs);
  uint8_t *keys = (uint8_t *)(t + 1) + refs;
  if (f->key_min.len) memcpy(keys, f->key_min.data, f->key_min.len);
  if (f->key_max.len) memcpy(keys + f->key_min.len, f->key_max.data, f->key_max.len);
  t->id = f->id;
  t->file_size = f->file_size;
  t->file_checksum = f->file_checksum;
  t->entry_count = f->entry_count;
  t->tombstone_count = f->tombstone_count;
  t->seqno_min = f->seqno_min;
  t->seqno_max = f->seqno_max;
  t->created_unix_ms = f->created_unix_ms;
  t->key_min = slice_make(keys, f->key_min.len);
  t->key_max = slice_make(keys + f->key_min.len, f->key_max.len);
  atomic_u64_init(&t->refs, 1);
  atomic_flag_set(&t->obsolete, 0);
  t->on_release = NULL;
  t->release_ctx = NULL;
  *out = t;
  return NULL;
}

table_info *table_info_ref(table_info *t) {
  atomic_u64_fetch_add(&t->refs, 1);
  return t;
}

void table_info_unref(table_info *t) {
  if (!t || atomic_u64_fetch_sub(&t->refs, 1) != 1) return;
  if (atomic_flag_get(&t->obsolete) && t->on_release) t->on_release(t->release_ctx, t->id);
  free(t);
}

void table_info_mark_obsolete(table_info *t, table_release_fn fn, void *ctx) {
  t->on_release = fn;
  t->release_ctx = ctx;
  atomic_flag_set(&t->obsolete, 1);
}

int table_info_overlaps(const table_info *t, const slice *lo, const slice *hi) {
  if (lo && slice_compare(t->key_max, *lo) < 0) return 0;
  if (hi && slice_compare(t->key_min, *hi) > 0) return 0;
  return 1;
}

/*
 * Encoding (inside the manifest, which checksums it as a whole):
 *   varint id | varint file_size | fixed64 checksum.low | fixed64 checksum.high
 *   | varint entry_count | varint tombstone_count | varint seqno_min | varint seqno_max
 *   | varint created_unix_ms | varint len + key_min | varint len + key_max
 *   | varint blob ref count | per ref: varint blob id, varint count, varint bytes   (format 2)
 */
strata_status *table_info_encode(const table_info *t, buffer *out) {
  STATUS_TRY(buffer_append_varint64(out, t->id));
  STATUS_TRY(buffer_append_varint64(out, t->file_size));
  STATUS_TRY(buffer_append_fixed64(out, t->file_checksum.low));
  STATUS_TRY(buffer_append_fixed64(out, t->file_checksum.high));
  STATUS_TRY(buffer_append_varint64(out, t->entry_count));
  STATUS_TRY(buffer_append_varint64(out, t->tombstone_count));
  STATUS_TRY(buffer_append_varint64(out, t->seqno_min));
  STATUS_TRY(buffer_append_varint64(out, t->seqno_max));
  STATUS_TRY(buffer_append_varint64(out, t->created_unix_ms));
  STATUS_TRY(buffer_append_prefixed(out, t->key_min));
  STATUS_TRY(buffer_append_prefixed(out, t->key_max));
  STATUS_TRY(buffer_append_varint64(out, t->blob_ref_count));
  for (size_t i = 0; i < t->blob_ref_count; i++) {
    STATUS_TRY(buffer_append_varint64(out, t->blob_refs[i].blob_id));
    STATUS_TRY(buffer_append_varint64(out, t->blob_refs[i].count));
    STATUS_TRY(buffer_append_varint64(out, t->blob_refs[i].bytes));
  }
  return NULL;
}

strata_status *table_info_decode(reader *r, int with_blob_refs, table_info **out) {
  table_info_fields f;
  f.blob_refs = NULL;
  f.blob_ref_count = 0;
  STATUS_TRY(reader_varint64(r, &f.id));
  STATUS_TRY(reader_varint64(r, &f.file_size));
  STATUS_TRY(reader_fixed64(r, &f.file_checksum.low));
  STATUS_TRY(reader_fixed64(r, &f.file_checksum.high));
  STATUS_TRY(reader_varint64(r, &f.entry_count));
  STATUS_TRY(reader_varint64(r, &f.tombstone_count));
  STATUS_TRY(reader_varint64(r, &f.seqno_min));
  STATUS_TRY(reader_varint64(r, &f.seqno_max));
  STATUS_TRY(reader_varint64(r, &f.created_unix_ms));
  STATUS_TRY(reader_prefixed(r, &f.key_min));
  STATUS_TRY(reader_prefixed(r, &f.key_max));
  if (f.key_min.len > STRATA_KEY_MAX || f.key_max.len > STRATA_KEY_MAX)
    return status_new(STRATA_CORRUPTION, "%s: table %llu has a key longer than the %u-byte limit", r->what,
                      (unsigned long long)f.id, STRATA_KEY_MAX);
  if (f.seqno_min > f.seqno_max)
    return status_new(STRATA_CORRUPTION, "%s: table %llu has an inverted seqno range", r->what,
                      (unsigned long long)f.id);
  table_blob_ref *refs = NULL;
  strata_status *st = NULL;
  if (with_blob_refs) {
    uint64_t n = 0;
    STATUS_TRY(reader_varint64(r, &n));
    if (n > reader_remaining(r) / 3)
      return status_new(STRATA_CORRUPTION, "%s: table %llu: %llu blob references exceed the bytes left", r->what,
                        (unsigned long long)f.id, (unsigned long long)n);
    if (n && !(refs = malloc((size_t)n * sizeof *refs))) return status_no_memory();
    for (uint64_t i = 0; i < n && !st; i++) {
      st = reader_varint64(r, &refs[i].blob_id);
      if (!st) st = reader_varint64(r, &refs[i].count);
      if (!st) st = reader_varint64(r, &refs[i].bytes);
    }
    f.blob_refs = refs;
    f.blob_ref_count = (size_t)n;
  }
  if (!st) st = table_info_new(&f, out);
  free(refs);
  if (status_is(st, STRATA_INVALID_ARGUMENT)) {
    strata_status_free(st);
    return status_new(STRATA_CORRUPTION, "%s: table %llu has an inverted key range or unsorted blob references",
                      r->what, (unsigned long long)f.id);
  }
  return st;
}
