/*
 * blob_meta.h -- what a version knows about one blob file (key-value separation), shared.
 *
 * Like table_info: reference-counted by every version that lists the file; when the last
 * reference goes and the file was marked obsolete (garbage collection found it dead, or a clear
 * dropped everything), `on_release` deletes it. The per-version part, how much of the file is
 * garbage, lives in the version's blob_file_info beside the pointer.
 */
#ifndef STRATA_VERSION_BLOB_META_H
#define STRATA_VERSION_BLOB_META_H

#include <stdint.h>

#include "../util/status.h"
#include "../util/sync.h"

typedef void (*blob_release_fn)(void *ctx, uint64_t blob_id, uint64_t file_size);

typedef struct blob_meta {
  uint64_t id;
  uint64_t file_size;
  uint64_t item_count;
  uint64_t record_bytes;    /* bytes of records: what handles point into, what GC counts */
  uint64_t raw_value_bytes; /* the values uncompressed */
  /* runtime only */
  atomic_u64 refs;
  atomic_flag_int obsolete;
  blob_release_fn on_release;
  void *release_ctx;
} blob_meta;

/* One reference. */
STRATA_MUST_USE strata_status *blob_meta_new(uint64_t id, uint64_t file_size, uint64_t item_count,
                                             uint64_t record_bytes, uint64_t raw_value_bytes, blob_meta **out);
blob_meta *blob_meta_ref(blob_meta *m);
void blob_meta_unref(blob_meta *m);
void blob_meta_mark_obsolete(blob_meta *m, blob_release_fn fn, void *ctx);

#endif
