/*
 * table_meta.h -- what a table knows about itself, stored in its META block.
 *
 * META block payload (inside the block envelope), all varint64 unless noted:
 *   format_version, entry_count, tombstone_count, weak_tombstone_count, value_count,
 *   data_block_count, index_partition_count (0 = single-level index),
 *   min_seqno, max_seqno,
 *   min_key (varint length + bytes), max_key (varint length + bytes)   -- user keys
 *   data_size (stored bytes of data blocks incl. headers), raw_data_size (uncompressed payloads),
 *   index_size, filter_size,
 *   compression u8, restart_interval varint, block_size varint, filter_hashes varint,
 *   filter_partition_count varint (0 = one filter block or none)
 * An empty table has entry_count 0, empty keys and min_seqno = max_seqno = 0.
 */
#ifndef STRATA_TABLE_TABLE_META_H
#define STRATA_TABLE_TABLE_META_H

#include <stdint.h>

#include "../util/buffer.h"
#include "../util/compress.h"
#include "../util/slice.h"
#include "../util/status.h"

#define TABLE_FORMAT_VERSION 1

typedef struct table_meta {
  uint64_t format_version;
  uint64_t entry_count, tombstone_count, weak_tombstone_count, value_count;
  uint64_t data_block_count, index_partition_count;
  uint64_t min_seqno, max_seqno;
  buffer min_key, max_key;
  uint64_t data_size, raw_data_size, index_size, filter_size;
  compression compression;
  uint64_t restart_interval, block_size, filter_hashes, filter_partition_count;
  uint64_t file_size; /* not stored in META: known from the trailer */
} table_meta;

void table_meta_init(table_meta *m);
void table_meta_free(table_meta *m);
STRATA_MUST_USE strata_status *table_meta_copy(table_meta *dst, const table_meta *src); /* dst initialised */
STRATA_MUST_USE strata_status *table_meta_encode(const table_meta *m, buffer *out);
/* m must be initialised; `what` names the file for messages. */
STRATA_MUST_USE strata_status *table_meta_decode(slice payload, const char *what, table_meta *m);

#endif
