/*
 * table_info.h -- what a version knows about one table file, without opening it.
 *
 * Shared (reference-counted) by every version that lists the table. When the last reference
 * goes, the file is deleted only if the table was marked obsolete (a compaction or drop removed
 * it from the current version); closing a database drops references without deleting anything.
 */
#ifndef STRATA_VERSION_TABLE_INFO_H
#define STRATA_VERSION_TABLE_INFO_H

#include <stdint.h>

#include "../util/buffer.h"
#include "../util/checksum.h"
#include "../util/coding.h"
#include "../util/slice.h"
#include "../util/sync.h"

typedef struct table_info table_info;

/* A table's references into one blob file (key-value separation): how many handles, how many
 * record bytes. When the table leaves the tree without a compaction reading it (drop_range, FIFO,
 * clear) these count as garbage of the blob file. */
typedef struct table_blob_ref {
  uint64_t blob_id;
  uint64_t count;
  uint64_t bytes;
} table_blob_ref;

/* Called when an obsolete table's last reference is dropped: delete the file. */
typedef void (*table_release_fn)(void *ctx, uint64_t table_id);

struct table_info {
  uint64_t id;
  uint64_t file_size;
  checksum128 file_checksum;
  uint64_t entry_count;
  uint64_t tombstone_count;
  uint64_t seqno_min;
  uint64_t seqno_max;
  uint64_t created_unix_ms; /* for FIFO time-to-live */
  slice key_min;            /* smallest and largest user key, stored after the struct */
  slice key_max;
  table_blob_ref *blob_refs; /* sorted by blob id, stored after the keys */
  size_t blob_ref_count;
  /* runtime only, not persisted */
  atomic_u64 refs;
  atomic_flag_int obsolete;
  table_release_fn on_release;
  void *release_ctx;
};

typedef struct table_info_fields {
  uint64_t id, file_size, entry_count, tombstone_count, seqno_min, seqno_max, created_unix_ms;
  checksum128 file_checksum;
  slice key_min, key_max;
  const table_blob_ref *blob_refs; /* sorted by blob id, ids distinct */
  size_t blob_ref_count;
} table_info_fields;

/* A new descriptor with one reference; copies the keys. */
STRATA_MUST_USE strata_status *table_info_new(const table_info_fields *f, table_info **out);
table_info *table_info_ref(table_info *t);
void table_info_unref(table_info *t);
/* Marks the table for deletion once unreferenced; `fn(ctx, id)` then deletes the file. */
void table_info_mark_obsolete(table_info *t, table_release_fn fn, void *ctx);

/* 1 if the table's key range intersects [lo, hi] (NULL bound = unbounded). */
int table_info_overlaps(const table_info *t, const slice *lo, const slice *hi);

STRATA_MUST_USE strata_status *table_info_encode(const table_info *t, buffer *out);
/* with_blob_refs: the manifest format has the blob reference list (format 2 and later). */
STRATA_MUST_USE strata_status *table_info_decode(reader *r, int with_blob_refs, table_info **out);

#endif
