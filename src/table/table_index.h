/*
 * table_index.h -- the block index of a table: one entry per data block.
 *
 * An index block has the data-block format (block_writer.c) with restart interval 1 and no
 * hash index. Entry key = the LAST internal key of the block it points to; value = that block's
 * handle (varint64 offset, varint64 size). So the block holding the first entry >= K is the one
 * named by the first index entry >= K.
 *
 * Single-level: one top-level index block over all data blocks. Partitioned: index partitions
 * (type INDEX, same format) over data blocks, and a top-level index over the partitions, keyed by
 * each partition's last key. meta.index_partition_count says which one a table has.
 */
#ifndef STRATA_TABLE_TABLE_INDEX_H
#define STRATA_TABLE_TABLE_INDEX_H

#include <stdint.h>

#include "../util/buffer.h"
#include "../util/compress.h"
#include "../util/internal_key.h"
#include "../util/status.h"
#include "block_header.h"
#include "block_writer.h"

/* Writes one raw block payload to the file; returns its handle. */
typedef strata_status *(*table_block_sink)(void *ctx, block_type type, slice raw, block_handle *out);

typedef struct index_writer {
  block_writer top, part;
  int partitioned;
  size_t partition_size;
  buffer last_key;
  uint64_t last_trailer;
  uint64_t partitions;
  buffer handle_buf;
} index_writer;

void index_writer_init(index_writer *iw, int partitioned, size_t partition_size);
void index_writer_free(index_writer *iw);
/* Records a data block whose last key is last_key. May write a finished partition via sink. */
STRATA_MUST_USE strata_status *index_writer_add(index_writer *iw, const internal_key *last_key, block_handle h,
                                                table_block_sink sink, void *ctx);
/* Writes the remaining partition and the top-level index block. */
STRATA_MUST_USE strata_status *index_writer_finish(index_writer *iw, table_block_sink sink, void *ctx,
                                                   block_handle *top, uint64_t *partitions);

/* Decodes an index entry's value; trailing bytes are corruption. */
STRATA_MUST_USE strata_status *index_value_decode(slice value, const char *what, block_handle *out);

#endif
