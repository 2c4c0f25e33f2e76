/*
 * table_reader.h -- reads a table file: open, verify, point lookups, iterators.
 *
 * Open reads and checks the trailer (magic, checksum, format version), the TOC (bounds), the
 * META block, the top-level index and the filter; each block's header and payload checksums
 * are verified on every read. A mismatch anywhere is STRATA_CORRUPTION naming the table and
 * the offset. The whole-file checksum is checked by table_reader_verify() only (it reads
 * everything).
 *
 * Data blocks and index partitions go through the block cache when one is given (keyed by
 * table id and block offset; the caller keeps table ids unique per cache).
 */
#ifndef STRATA_TABLE_TABLE_READER_H
#define STRATA_TABLE_TABLE_READER_H

#include <stdint.h>

#include "../cache/block_cache.h"
#include "../util/buffer.h"
#include "../util/checksum.h"
#include "../util/internal_key.h"
#include "../util/kv_iterator.h"
#include "../util/status.h"
#include "../vfs/vfs.h"
#include "table_meta.h"

typedef struct table_reader table_reader;

/* cache may be NULL (no caching). The reader keeps the file open until closed, mapped when the
 * backend can map it (table_reader_open_mapping with may_map 1). */
STRATA_MUST_USE strata_status *table_reader_open(vfs *v, const char *path, uint64_t table_id, block_cache *cache,
                                                 table_reader **out);
/* As table_reader_open; may_map 0 never maps the file, so every block is read (a system call
 * and a copy per cache miss, and no table pages counted in the process's resident memory). */
STRATA_MUST_USE strata_status *table_reader_open_mapping(vfs *v, const char *path, uint64_t table_id,
                                                         block_cache *cache, int may_map, table_reader **out);
void table_reader_close(table_reader *r); /* every iterator must have been destroyed */

const table_meta *table_reader_meta(const table_reader *r);
uint64_t table_reader_id(const table_reader *r);
/* The whole-file checksum the trailer records (what table_reader_verify() checks against). */
checksum128 table_reader_file_checksum(const table_reader *r);

/* Reads the whole file and checks it against the checksum in the trailer. */
STRATA_MUST_USE strata_status *table_reader_verify(table_reader *r);

/*
 * The newest entry of user_key with seqno < snapshot (tombstones included, so the caller sees
 * deletes). key_hash = checksum64(user_key) (bloom_key_hash), computed once per lookup and
 * reused across tables. On a hit *found = 1, *key_out = (user_key, seqno, type) and the value
 * is copied into value_out (replacing its contents).
 */
STRATA_MUST_USE strata_status *table_reader_get(table_reader *r, slice user_key, uint64_t key_hash,
                                                uint64_t snapshot, int *found, internal_key *key_out,
                                                buffer *value_out);
/* The same, without its first test (user_key against the table's smallest and largest key), for
 * a caller that found the table by that range (a tree's run: version_run_find). The test only
 * saves the filter and index for a key outside the table: the results are the same. */
STRATA_MUST_USE strata_status *table_reader_get_in_range(table_reader *r, slice user_key, uint64_t key_hash,
                                                         uint64_t snapshot, int *found, internal_key *key_out,
                                                         buffer *value_out);

/*
 * *may = 0 when the filter proves user_key absent, 1 otherwise (also without a filter). With a
 * partitioned filter this reads one filter partition (through the cache).
 */
STRATA_MUST_USE strata_status *table_reader_may_contain(table_reader *r, slice user_key, uint64_t key_hash,
                                                        int *may);

/* How an iterator reads. */
typedef struct table_read_options {
  uint64_t snapshot; /* entries with seqno >= snapshot are skipped; SEQNO_READ_ALL: none */
  /* 0 (compaction inputs): a block already cached is used, but one read from the file is owned
   * by the iterator and freed when it moves on, not inserted, so a merge that reads every block
   * once neither fills the cache nor evicts the readers' hot blocks (LevelDB's fill_cache). */
  int fill_cache;
  /* Where the iterator's objects come from (util/iter_arena.h); NULL: malloc. It must outlive
   * every iterator opened with these options. */
  iter_arena *arena;
  /* With fill_cache = 0: a data block found in the cache is taken out of it (block_cache_take),
   * for a compaction whose output warms the cache (table_writer_options.warm_cache): the blocks
   * it merges make room for the ones it writes. */
  int take_cached;
} table_read_options;

/* A double-ended iterator over the table's raw internal entries (ro is copied). The iterator
 * must not outlive the reader. */
STRATA_MUST_USE strata_status *table_reader_iterator(table_reader *r, const table_read_options *ro,
                                                     kv_iterator **out);

#endif
