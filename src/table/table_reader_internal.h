/* table_reader_internal.h -- the reader's state, shared by table_reader.c and table_iterator.c. */
#ifndef STRATA_TABLE_TABLE_READER_INTERNAL_H
#define STRATA_TABLE_TABLE_READER_INTERNAL_H

#include "block_header.h"
#include "block_reader.h"
#include "table_reader.h"
#include "table_trailer.h"

struct table_reader {
  vfs_file *file;
  char *what; /* "table <id> (<path>)" */
  uint64_t id;
  block_cache *cache;
  uint64_t file_size;
  table_trailer trailer;
  table_toc toc;
  table_meta meta;
  block *index; /* top-level index, always in memory */
  uint8_t *filter; /* a single filter block, or NULL */
  size_t filter_len;
  block *filter_index; /* partitioned filter: last key -> filter partition handle, or NULL */
};

/* A data block or index partition, from the cache or the file; release through owner. */
STRATA_MUST_USE strata_status *table_reader_load_block(table_reader *r, block_handle h, block_type type,
                                                       const block **blk, block_owner *owner);

#endif
