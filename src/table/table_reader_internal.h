/* table_reader_internal.h -- the reader's state, shared by table_reader.c and table_iterator.c. */
#ifndef STRATA_TABLE_TABLE_READER_INTERNAL_H
#define STRATA_TABLE_TABLE_READER_INTERNAL_H

#include "block_header.h"
#include "block_reader.h"
#include "bloom.h"
#include "table_reader.h"
#include "table_trailer.h"

struct table_reader {
  vfs_file *file;
  /* The whole file mapped read-only (native builds whose backend maps, vfs_file_try_map), or
   * NULL: blocks are then read with the backend's read(). Every access is bounds-checked against
   * file_size, the size mapped, exactly as a read is; the mapping dies with the file's close. */
  const uint8_t *map;
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
  bloom_filter bloom; /* `filter` parsed once at open (a probe does not re-read its header) */
  block *filter_index; /* partitioned filter: last key -> filter partition handle, or NULL */
};

/* A data block or index partition, from the cache or the file; release through owner. */
STRATA_MUST_USE strata_status *table_reader_load_block(table_reader *r, block_handle h, block_type type,
                                                       const block **blk, block_owner *owner);

/*
 * Scan readahead: a table iterator that loads data blocks one after another (a scan, not a seek)
 * reads TABLE_READAHEAD_BYTES of the file at once on a cache miss and takes the following blocks
 * from that window, so a long scan makes one read per window instead of one per block (under
 * WASI a read is a host call that costs about twice a native pread). Seeks never read ahead,
 * and neither does a mapped table (its blocks need no read at all).
 */
#define TABLE_READAHEAD_AFTER 2                   /* blocks that followed their predecessor before */
#define TABLE_READAHEAD_BYTES ((size_t)64 << 10) /* the window */
typedef struct table_readahead {
  uint8_t *data;       /* the window: bytes [offset, offset + len) of the file */
  size_t cap, len;
  uint64_t offset;
  uint64_t next;       /* where the block after the last one loaded starts (UINT64_MAX: none yet) */
  unsigned sequential; /* consecutive blocks loaded so far */
} table_readahead;

/* How a load uses the cache (table_read_options): FILL inserts a block read from the file; USE
 * returns it owned instead; TAKE does that and takes a cached data block out of the cache. */
typedef enum table_cache_use { TABLE_CACHE_USE = 0, TABLE_CACHE_FILL = 1, TABLE_CACHE_TAKE = 2 } table_cache_use;
table_cache_use table_read_options_cache_use(const table_read_options *ro);

/* As table_reader_load_block, reading ahead when `ra` has seen a sequential pattern. */
STRATA_MUST_USE strata_status *table_reader_load_block_ahead(table_reader *r, block_handle h, block_type type,
                                                             table_readahead *ra, table_cache_use use,
                                                             const block **blk, block_owner *owner);

/* "table <id> (<path>)", malloc'd (NULL when out of memory): how messages name a table. */
char *table_what_new(uint64_t table_id, const char *path);

/*
 * Offers a data block just written (raw: its payload, uncompressed, at h in the file) to the
 * cache in the form a reader keeps it, keyed by the table's id, so that the first reads of a
 * new table find it cached (block_cache_offer_embedded: only into room, never evicting). The
 * cache may refuse it; a block that cannot be built (out of memory) is not offered. Either way
 * the table is unaffected.
 */
void table_cache_offer_data_block(block_cache *c, uint64_t table_id, const char *what, block_handle h, slice raw,
                                  uint32_t entries, unsigned restart_interval);
void table_readahead_free(table_readahead *ra);

#endif
