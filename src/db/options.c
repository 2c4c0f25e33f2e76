/* options.c -- strata_options: defaults and setters. */
#include <stdlib.h>

#include "../util/sync.h"
#include "db_internal.h"

strata_status *strata_options_new(strata_options **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  strata_options *o = calloc(1, sizeof *o);
  if (!o) return status_no_memory();
  o->tag = HANDLE_OPTIONS;
  o->create_if_missing = 1;
  o->memtable_size = (uint64_t)64 << 20;
  o->block_cache_size = (uint64_t)16 << 20;
  o->block_size = 4096;
  o->compression = STRATA_COMPRESSION_LZ4;
  o->bloom_bits_per_key = 10;
  o->background_threads = sync_threads_available();
  o->max_sealed_memtables = 4;
  compaction_options_default(&o->compaction);
  o->l0_slowdown = 20;
  o->l0_stop = 30;
  *out = o;
  return NULL;
}

/* A NULL or foreign handle is left alone (nothing to report it to); see handle.h. */
void strata_options_free(strata_options *o) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  handle_retire(&o->tag);
  free(o);
}
void strata_options_set_create_if_missing(strata_options *o, int on) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->create_if_missing = on != 0;
}
void strata_options_set_error_if_exists(strata_options *o, int on) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->error_if_exists = on != 0;
}
void strata_options_set_memtable_size(strata_options *o, uint64_t bytes) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->memtable_size = bytes;
}
void strata_options_set_block_cache_size(strata_options *o, uint64_t bytes) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->block_cache_size = bytes;
}
void strata_options_set_block_size(strata_options *o, uint32_t bytes) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->block_size = bytes;
}
void strata_options_set_compression(strata_options *o, strata_compression c) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->compression = c;
}
void strata_options_set_bloom_bits_per_key(strata_options *o, double bits) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->bloom_bits_per_key = bits;
}
void strata_options_set_sync(strata_options *o, int on) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->sync = on != 0;
}
void strata_options_set_sync_interval_ms(strata_options *o, uint32_t ms) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->sync_interval_ms = ms;
}
void strata_options_set_background_threads(strata_options *o, int on) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->background_threads = on && sync_threads_available();
}
void strata_options_set_max_sealed_memtables(strata_options *o, uint32_t n) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->max_sealed_memtables = n;
}
void strata_options_set_vfs(strata_options *o, struct vfs *v) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->fs = v;
}

void strata_options_set_compaction_leveled(strata_options *o, uint32_t l0_trigger, double level_ratio) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->compaction.strategy = COMPACTION_LEVELED;
  if (l0_trigger) o->compaction.l0_trigger = l0_trigger;
  if (level_ratio > 1) o->compaction.level_ratio = level_ratio;
}

void strata_options_set_compaction_tiered(strata_options *o, uint32_t run_trigger, double size_ratio,
                                          uint32_t max_space_amp_pct) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->compaction.strategy = COMPACTION_TIERED;
  if (run_trigger) o->compaction.l0_trigger = run_trigger;
  if (size_ratio >= 0) o->compaction.tiered_size_ratio = size_ratio;
  if (max_space_amp_pct) o->compaction.tiered_max_space_amp_pct = max_space_amp_pct;
}

void strata_options_set_compaction_fifo(strata_options *o, uint64_t limit_bytes, uint64_t ttl_ms) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->compaction.strategy = COMPACTION_FIFO;
  o->compaction.fifo_limit_bytes = limit_bytes ? limit_bytes : UINT64_MAX;
  o->compaction.fifo_ttl_ms = ttl_ms;
}

void strata_options_set_level0_trigger(strata_options *o, uint32_t tables) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  if (tables) o->compaction.l0_trigger = tables;
}

void strata_options_set_level0_stall(strata_options *o, uint32_t slowdown, uint32_t stop) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  if (slowdown) o->l0_slowdown = slowdown;
  if (stop) o->l0_stop = stop;
  if (o->l0_stop < o->l0_slowdown) o->l0_stop = o->l0_slowdown;
}

void strata_options_set_table_target_size(strata_options *o, uint64_t bytes) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  if (bytes) o->compaction.table_target_size = bytes;
}

void strata_options_set_compaction_filter(strata_options *o, strata_compaction_filter fn, void *ctx) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  o->filter_fn = fn;
  o->filter_ctx = ctx;
}

strata_status *strata_options_set_recovery_mode(strata_options *o, strata_recovery_mode mode) {
  HANDLE_CHECK(o, HANDLE_OPTIONS);
  if (mode != STRATA_RECOVERY_STRICT && mode != STRATA_RECOVERY_POINT_IN_TIME)
    return status_new(STRATA_INVALID_ARGUMENT,
                      "recovery mode %d is unknown (0 = strict, 1 = point-in-time)", (int)mode);
  o->recovery_mode = mode;
  return NULL;
}
