/* options.c -- strata_options: defaults and setters. */
#include <stdlib.h>

#include "../util/sync.h"
#include "db_internal.h"

strata_status *strata_options_new(strata_options **out) {
  strata_options *o = calloc(1, sizeof *o);
  if (!o) return status_no_memory();
  o->create_if_missing = 1;
  o->memtable_size = (uint64_t)64 << 20;
  o->block_cache_size = (uint64_t)16 << 20;
  o->block_size = 4096;
  o->compression = STRATA_COMPRESSION_LZ4;
  o->bloom_bits_per_key = 10;
  o->background_threads = sync_threads_available();
  o->max_sealed_memtables = 4;
  *out = o;
  return NULL;
}

void strata_options_free(strata_options *o) { free(o); }
void strata_options_set_create_if_missing(strata_options *o, int on) { o->create_if_missing = on != 0; }
void strata_options_set_error_if_exists(strata_options *o, int on) { o->error_if_exists = on != 0; }
void strata_options_set_memtable_size(strata_options *o, uint64_t bytes) { o->memtable_size = bytes; }
void strata_options_set_block_cache_size(strata_options *o, uint64_t bytes) { o->block_cache_size = bytes; }
void strata_options_set_block_size(strata_options *o, uint32_t bytes) { o->block_size = bytes; }
void strata_options_set_compression(strata_options *o, strata_compression c) { o->compression = c; }
void strata_options_set_bloom_bits_per_key(strata_options *o, double bits) { o->bloom_bits_per_key = bits; }
void strata_options_set_sync(strata_options *o, int on) { o->sync = on != 0; }
void strata_options_set_sync_interval_ms(strata_options *o, uint32_t ms) { o->sync_interval_ms = ms; }
void strata_options_set_background_threads(strata_options *o, int on) {
  o->background_threads = on && sync_threads_available();
}
void strata_options_set_max_sealed_memtables(strata_options *o, uint32_t n) { o->max_sealed_memtables = n; }
void strata_options_set_vfs(strata_options *o, struct vfs *v) { o->fs = v; }
