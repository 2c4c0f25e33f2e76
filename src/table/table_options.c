/* Table writer options and the per-level policy. */
#include "table_options.h"

#include <string.h>

void table_writer_options_default(table_writer_options *o) {
  memset(o, 0, sizeof *o);
  o->block_size = TABLE_DEFAULT_BLOCK_SIZE;
  o->restart_interval = TABLE_DEFAULT_RESTART_INTERVAL;
  o->hash_index = 1;
  o->compression = COMPRESSION_NONE;
  o->index_partition_size = TABLE_DEFAULT_BLOCK_SIZE;
  o->filter_bits_per_key = TABLE_DEFAULT_FILTER_BITS_PER_KEY;
}

strata_status *table_writer_options_validate(const table_writer_options *o) {
  if (o->block_size < TABLE_MIN_BLOCK_SIZE || o->block_size > TABLE_MAX_BLOCK_SIZE)
    return status_new(STRATA_INVALID_ARGUMENT, "block size %zu outside %u..%u", o->block_size,
                      TABLE_MIN_BLOCK_SIZE, TABLE_MAX_BLOCK_SIZE);
  if (o->index_partition_size < TABLE_MIN_BLOCK_SIZE || o->index_partition_size > TABLE_MAX_BLOCK_SIZE)
    return status_new(STRATA_INVALID_ARGUMENT, "index partition size %zu outside %u..%u", o->index_partition_size,
                      TABLE_MIN_BLOCK_SIZE, TABLE_MAX_BLOCK_SIZE);
  if (o->restart_interval < 1 || o->restart_interval > TABLE_MAX_RESTART_INTERVAL)
    return status_new(STRATA_INVALID_ARGUMENT, "restart interval %u outside 1..%u", o->restart_interval,
                      TABLE_MAX_RESTART_INTERVAL);
  if (o->compression != COMPRESSION_NONE && o->compression != COMPRESSION_LZ4)
    return status_new(STRATA_INVALID_ARGUMENT, "unknown compression %d", (int)o->compression);
  if (!(o->filter_bits_per_key >= 0.0 && o->filter_bits_per_key <= STRATA_BLOOM_BITS_MAX))
    return status_new(STRATA_INVALID_ARGUMENT, "filter bits per key %g outside 0..100", o->filter_bits_per_key);
  if (o->partitioned_filter && !o->partitioned_index)
    return status_new(STRATA_INVALID_ARGUMENT, "a partitioned filter needs a partitioned index");
  return NULL;
}

table_level_policy table_level_policy_default(void) {
  table_level_policy p;
  memset(&p, 0, sizeof p);
  p.compression[0] = COMPRESSION_NONE;
  p.compression[1] = COMPRESSION_NONE;
  p.compression[2] = COMPRESSION_LZ4;
  p.compression_count = 3;
  p.partitioned_index_from_level = TABLE_PARTITION_NEVER;
  return p;
}

compression table_level_policy_compression(const table_level_policy *p, unsigned level) {
  if (p->compression_count == 0) return COMPRESSION_NONE;
  unsigned n = p->compression_count > TABLE_POLICY_MAX_LEVELS ? TABLE_POLICY_MAX_LEVELS : p->compression_count;
  return p->compression[level < n ? level : n - 1];
}

void table_writer_options_for_level(const table_level_policy *p, unsigned level, table_writer_options *o) {
  o->compression = table_level_policy_compression(p, level);
  o->partitioned_index = level >= p->partitioned_index_from_level;
  o->partitioned_filter = o->partitioned_index;
}
