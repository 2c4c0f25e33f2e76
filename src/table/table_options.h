/*
 * table_options.h -- how a table is written, and the per-level policy that picks it.
 *
 * Per-level policy as in lsm-tree: compression is a list whose last entry repeats for deeper
 * levels (default none for L0-L1, LZ4 below). A partitioned index and filter can start at a
 * level (lsm-tree: level 3); Strata's default is never: with tables up to the 64 MiB target the
 * whole index stays in memory, and partitions cost a point read ~55% more instructions (two
 * more block-cache lookups and index searches; callgrind, 100k keys).
 */
#ifndef STRATA_TABLE_TABLE_OPTIONS_H
#define STRATA_TABLE_TABLE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "../util/compress.h"
#include "../util/status.h"

#define TABLE_DEFAULT_BLOCK_SIZE STRATA_DEFAULT_BLOCK_SIZE
#define TABLE_MIN_BLOCK_SIZE STRATA_BLOCK_SIZE_MIN
#define TABLE_MAX_BLOCK_SIZE STRATA_BLOCK_SIZE_MAX
#define TABLE_DEFAULT_FILTER_BITS_PER_KEY STRATA_DEFAULT_BLOOM_BITS_PER_KEY
/* Entries between two full keys in a data block, as LevelDB's and RocksDB's. Intervals of 4 and
 * 8 cut a cached point read's instructions by 12 % and 9 % natively but were no faster in Node,
 * and cost disk and cache space (bench/README.md, "Measured and not adopted"). */
#define TABLE_DEFAULT_RESTART_INTERVAL 16u
#define TABLE_MAX_RESTART_INTERVAL 65535u

typedef struct table_writer_options {
  uint64_t table_id;          /* names the table in messages */
  size_t block_size;          /* target size of a data block, 64 B .. 4 MiB (default 4 KiB) */
  unsigned restart_interval;  /* data blocks, 1..TABLE_MAX_RESTART_INTERVAL; index blocks use 1 */
  int hash_index;             /* per-data-block hash index for point reads (default on) */
  compression compression;    /* data and index blocks (default none) */
  int partitioned_index;      /* top-level index over index partitions (default off) */
  size_t index_partition_size;/* target size of an index partition (default block_size) */
  double filter_bits_per_key; /* bloom filter bits per key, 0 = no filter (default 10) */
  int partitioned_filter;     /* one filter per index partition (needs partitioned_index) */
  /* When set, each data block written is offered to this cache under table_id, as a reader
   * would cache it (table_cache_offer_data_block): the first reads of the table then hit. */
  struct block_cache *warm_cache;
} table_writer_options;

void table_writer_options_default(table_writer_options *o);
STRATA_MUST_USE strata_status *table_writer_options_validate(const table_writer_options *o);

#define TABLE_POLICY_MAX_LEVELS 8
#define TABLE_PARTITION_NEVER 0xFFFFFFFFu

typedef struct table_level_policy {
  compression compression[TABLE_POLICY_MAX_LEVELS]; /* last entry repeats */
  unsigned compression_count;                       /* 0 behaves as {none} */
  unsigned partitioned_index_from_level;            /* default never; filters are partitioned alike */
} table_level_policy;

table_level_policy table_level_policy_default(void);
compression table_level_policy_compression(const table_level_policy *p, unsigned level);
/* Sets the level-dependent fields of o (compression, partitioned index and filter). */
void table_writer_options_for_level(const table_level_policy *p, unsigned level, table_writer_options *o);

#endif
