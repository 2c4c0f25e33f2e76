/* blob_meta.c -- the shared, reference-counted descriptor of a blob file. */
#include "blob_meta.h"

#include <stdlib.h>

strata_status *blob_meta_new(uint64_t id, uint64_t file_size, uint64_t item_count, uint64_t record_bytes,
                             uint64_t raw_value_bytes, blob_meta **out) {
  blob_meta *m = calloc(1, sizeof *m);
  if (!m) return status_no_memory();
  m->id = id;
  m->file_size = file_size;
  m->item_count = item_count;
  m->record_bytes = record_bytes;
  m->raw_value_bytes = raw_value_bytes;
  atomic_u64_init(&m->refs, 1);
  atomic_flag_set(&m->obsolete, 0);
  *out = m;
  return NULL;
}

blob_meta *blob_meta_ref(blob_meta *m) {
  atomic_u64_fetch_add(&m->refs, 1);
  return m;
}

void blob_meta_unref(blob_meta *m) {
  if (!m || atomic_u64_fetch_sub(&m->refs, 1) != 1) return;
  if (atomic_flag_get(&m->obsolete) && m->on_release) m->on_release(m->release_ctx, m->id, m->file_size);
  free(m);
}

void blob_meta_mark_obsolete(blob_meta *m, blob_release_fn fn, void *ctx) {
  m->on_release = fn;
  m->release_ctx = ctx;
  atomic_flag_set(&m->obsolete, 1);
}
