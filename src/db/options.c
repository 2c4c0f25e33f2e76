/*
 * options.c -- strata_options: defaults, setters, and the checks behind both.
 *
 * Each range comes from the code that uses the value: block sizes from the table format
 * (TABLE_MIN/MAX_BLOCK_SIZE), bloom bits from the filter builder, compression from the codecs
 * there are. A setter refuses what is out of range and leaves the option as it was; strata_open
 * runs options_validate() over the whole struct, which also checks the rules between options.
 */
#include <stdlib.h>

#include "../table/bloom.h"
#include "../table/table_options.h"
#include "../util/sync.h"
#include "db_internal.h"

/* The public bounds must be the ones the engine enforces below them. */
_Static_assert(STRATA_BLOCK_SIZE_MIN == TABLE_MIN_BLOCK_SIZE, "block size floor");
_Static_assert(STRATA_BLOCK_SIZE_MAX == TABLE_MAX_BLOCK_SIZE, "block size ceiling");

strata_status *strata_options_new(strata_options **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  strata_options *o = calloc(1, sizeof *o);
  if (!o) return status_no_memory();
  o->tag = HANDLE_OPTIONS;
  o->create_if_missing = 1;
  o->memtable_size = STRATA_DEFAULT_MEMTABLE_SIZE;
  o->block_cache_size = STRATA_DEFAULT_BLOCK_CACHE_SIZE;
  o->map_tables = STRATA_DEFAULT_MAP_TABLES;
  o->cache_written_blocks = STRATA_DEFAULT_CACHE_WRITTEN_BLOCKS;
  o->block_size = STRATA_DEFAULT_BLOCK_SIZE;
  o->compression = STRATA_COMPRESSION_LZ4;
  o->bloom_bits_per_key = STRATA_DEFAULT_BLOOM_BITS_PER_KEY;
  o->background_threads = sync_threads_available();
  o->max_sealed_memtables = STRATA_DEFAULT_MAX_SEALED_MEMTABLES;
  compaction_options_default(&o->compaction);
  o->l0_slowdown = STRATA_DEFAULT_LEVEL0_SLOWDOWN;
  o->l0_stop = STRATA_DEFAULT_LEVEL0_STOP;
  o->blob_file_target_size = STRATA_DEFAULT_BLOB_FILE_TARGET_SIZE;
  o->blob_compression = STRATA_COMPRESSION_LZ4;
  o->blob_staleness = STRATA_DEFAULT_BLOB_STALENESS;
  o->blob_age_cutoff = STRATA_DEFAULT_BLOB_AGE_CUTOFF;
  *out = o;
  return NULL;
}

/* A NULL or foreign handle is left alone (nothing to report it to); see handle.h. */
void strata_options_free(strata_options *o) {
  HANDLE_GUARD_VOID(o, HANDLE_OPTIONS);
  handle_retire(&o->tag);
  free(o);
}

/* --- single values ---------------------------------------------------------------------------- */

static strata_status *check_memtable_size(uint64_t bytes) {
  if (bytes < STRATA_MEMTABLE_SIZE_MIN || bytes > STRATA_MEMTABLE_SIZE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "memtable size %llu outside %llu..%llu bytes",
                      (unsigned long long)bytes, (unsigned long long)STRATA_MEMTABLE_SIZE_MIN,
                      (unsigned long long)STRATA_MEMTABLE_SIZE_MAX);
  return NULL;
}

static strata_status *check_block_cache_size(uint64_t bytes) {
  if (bytes > STRATA_BLOCK_CACHE_SIZE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "block cache size %llu outside 0..%llu bytes (this build's SIZE_MAX)",
                      (unsigned long long)bytes, (unsigned long long)STRATA_BLOCK_CACHE_SIZE_MAX);
  return NULL;
}

static strata_status *check_block_size(uint64_t bytes) {
  if (bytes < STRATA_BLOCK_SIZE_MIN || bytes > STRATA_BLOCK_SIZE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "block size %llu outside %u..%u bytes", (unsigned long long)bytes,
                      STRATA_BLOCK_SIZE_MIN, STRATA_BLOCK_SIZE_MAX);
  return NULL;
}

static strata_status *check_compression(strata_compression c) {
  if (c != STRATA_COMPRESSION_NONE && c != STRATA_COMPRESSION_LZ4)
    return status_new(STRATA_INVALID_ARGUMENT, "compression %d is not STRATA_COMPRESSION_NONE (0) or _LZ4 (1)", (int)c);
  return NULL;
}

static strata_status *check_bloom_bits(double bits) {
  /* the filter builder takes (0, BLOOM_MAX_BITS_PER_KEY]; 0 means no filter */
  if (!(bits >= 0.0 && bits <= STRATA_BLOOM_BITS_MAX && bits <= BLOOM_MAX_BITS_PER_KEY))
    return status_new(STRATA_INVALID_ARGUMENT, "bloom bits per key %g outside 0..%g (0 = no filter)", bits,
                      STRATA_BLOOM_BITS_MAX);
  return NULL;
}

static strata_status *check_max_sealed(uint64_t n) {
  if (n > STRATA_MAX_SEALED_MEMTABLES_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "max sealed memtables %llu outside 0..%u", (unsigned long long)n,
                      STRATA_MAX_SEALED_MEMTABLES_MAX);
  return NULL;
}

static strata_status *check_level_ratio(double r) {
  if (!(r > 1.0 && r <= STRATA_LEVEL_RATIO_MAX))
    return status_new(STRATA_INVALID_ARGUMENT, "leveled compaction: level ratio %g outside (1, %g]", r,
                      STRATA_LEVEL_RATIO_MAX);
  return NULL;
}

static strata_status *check_size_ratio(double r) {
  if (!(r >= 0.0 && r <= STRATA_SIZE_RATIO_MAX))
    return status_new(STRATA_INVALID_ARGUMENT, "tiered compaction: size ratio %g outside 0..%g (-1 keeps it)", r,
                      STRATA_SIZE_RATIO_MAX);
  return NULL;
}

static strata_status *check_table_target_size(uint64_t bytes) {
  if (bytes < STRATA_TABLE_TARGET_SIZE_MIN || bytes > STRATA_TABLE_TARGET_SIZE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "table target size %llu outside %llu..%llu bytes",
                      (unsigned long long)bytes, (unsigned long long)STRATA_TABLE_TARGET_SIZE_MIN,
                      (unsigned long long)STRATA_TABLE_TARGET_SIZE_MAX);
  return NULL;
}

static strata_status *check_nonzero(const char *what, uint64_t n) {
  if (n == 0) return status_new(STRATA_INVALID_ARGUMENT, "%s is 0; it must be at least 1", what);
  return NULL;
}

static strata_status *check_stall(uint64_t slowdown, uint64_t stop) {
  if (stop < slowdown)
    return status_new(STRATA_INVALID_ARGUMENT, "level-0 stall: stop (%llu) must be >= slowdown (%llu)",
                      (unsigned long long)stop, (unsigned long long)slowdown);
  return NULL;
}

/* --- setters ---------------------------------------------------------------------------------- */

/* A bad handle is refused like everywhere else (handle.h), before the value is looked at. */
#define SETTER_PROLOGUE(o) HANDLE_CHECK((o), HANDLE_OPTIONS)

strata_status *strata_options_set_create_if_missing(strata_options *o, int on) {
  SETTER_PROLOGUE(o);
  o->create_if_missing = on != 0;
  return NULL;
}

strata_status *strata_options_set_error_if_exists(strata_options *o, int on) {
  SETTER_PROLOGUE(o);
  o->error_if_exists = on != 0;
  return NULL;
}

strata_status *strata_options_set_memtable_size(strata_options *o, uint64_t bytes) {
  SETTER_PROLOGUE(o);
  STATUS_TRY(check_memtable_size(bytes));
  o->memtable_size = bytes;
  return NULL;
}

strata_status *strata_options_set_block_cache_size(strata_options *o, uint64_t bytes) {
  SETTER_PROLOGUE(o);
  STATUS_TRY(check_block_cache_size(bytes));
  o->block_cache_size = bytes;
  return NULL;
}

strata_status *strata_options_set_block_size(strata_options *o, uint32_t bytes) {
  SETTER_PROLOGUE(o);
  STATUS_TRY(check_block_size(bytes));
  o->block_size = bytes;
  return NULL;
}

strata_status *strata_options_set_compression(strata_options *o, strata_compression c) {
  SETTER_PROLOGUE(o);
  STATUS_TRY(check_compression(c));
  o->compression = c;
  return NULL;
}

strata_status *strata_options_set_bloom_bits_per_key(strata_options *o, double bits) {
  SETTER_PROLOGUE(o);
  STATUS_TRY(check_bloom_bits(bits));
  o->bloom_bits_per_key = bits;
  return NULL;
}

strata_status *strata_options_set_map_tables(strata_options *o, int on) {
  SETTER_PROLOGUE(o);
  o->map_tables = on != 0;
  return NULL;
}

strata_status *strata_options_set_cache_written_blocks(strata_options *o, int on) {
  SETTER_PROLOGUE(o);
  o->cache_written_blocks = on != 0;
  return NULL;
}

strata_status *strata_options_set_sync(strata_options *o, int on) {
  SETTER_PROLOGUE(o);
  o->sync = on != 0;
  return NULL;
}

strata_status *strata_options_set_sync_interval_ms(strata_options *o, uint32_t ms) {
  SETTER_PROLOGUE(o);
  o->sync_interval_ms = ms;
  return NULL;
}

strata_status *strata_options_set_background_threads(strata_options *o, int on) {
  SETTER_PROLOGUE(o);
  o->background_threads = on && sync_threads_available();
  return NULL;
}

strata_status *strata_options_set_max_sealed_memtables(strata_options *o, uint32_t n) {
  SETTER_PROLOGUE(o);
  STATUS_TRY(check_max_sealed(n));
  o->max_sealed_memtables = n;
  return NULL;
}

strata_status *strata_options_set_vfs(strata_options *o, struct strata_vfs *v) {
  SETTER_PROLOGUE(o);
  o->fs = v;
  return NULL;
}

strata_status *strata_options_set_compaction_leveled(strata_options *o, uint32_t l0_trigger, double level_ratio) {
  SETTER_PROLOGUE(o);
  if (level_ratio != 0) STATUS_TRY(check_level_ratio(level_ratio));
  o->compaction.strategy = COMPACTION_LEVELED;
  if (l0_trigger) o->compaction.l0_trigger = l0_trigger;
  if (level_ratio != 0) o->compaction.level_ratio = level_ratio;
  return NULL;
}

strata_status *strata_options_set_compaction_tiered(strata_options *o, uint32_t run_trigger, double size_ratio,
                                                    uint32_t max_space_amp_pct) {
  SETTER_PROLOGUE(o);
  int keep_ratio = size_ratio == -1.0;
  if (!keep_ratio) STATUS_TRY(check_size_ratio(size_ratio));
  o->compaction.strategy = COMPACTION_TIERED;
  if (run_trigger) o->compaction.l0_trigger = run_trigger;
  if (!keep_ratio) o->compaction.tiered_size_ratio = size_ratio;
  if (max_space_amp_pct) o->compaction.tiered_max_space_amp_pct = max_space_amp_pct;
  return NULL;
}

strata_status *strata_options_set_compaction_fifo(strata_options *o, uint64_t limit_bytes, uint64_t ttl_ms) {
  SETTER_PROLOGUE(o);
  o->compaction.strategy = COMPACTION_FIFO;
  o->compaction.fifo_limit_bytes = limit_bytes ? limit_bytes : UINT64_MAX;
  o->compaction.fifo_ttl_ms = ttl_ms;
  return NULL;
}

strata_status *strata_options_set_level0_trigger(strata_options *o, uint32_t tables) {
  SETTER_PROLOGUE(o);
  if (tables) o->compaction.l0_trigger = tables;
  return NULL;
}

strata_status *strata_options_set_level0_stall(strata_options *o, uint32_t slowdown, uint32_t stop) {
  SETTER_PROLOGUE(o);
  uint32_t s = slowdown ? slowdown : o->l0_slowdown, t = stop ? stop : o->l0_stop;
  STATUS_TRY(check_stall(s, t));
  o->l0_slowdown = s;
  o->l0_stop = t;
  return NULL;
}

strata_status *strata_options_set_table_target_size(strata_options *o, uint64_t bytes) {
  SETTER_PROLOGUE(o);
  if (bytes) STATUS_TRY(check_table_target_size(bytes));
  if (bytes) o->compaction.table_target_size = bytes;
  return NULL;
}

strata_status *strata_options_set_compaction_filter(strata_options *o, strata_compaction_filter fn, void *ctx) {
  SETTER_PROLOGUE(o);
  o->filter_fn = fn;
  o->filter_ctx = ctx;
  return NULL;
}

/* Key-value separation: every knob in range (threshold 0 = off, the rest then unchecked). */
static strata_status *check_kv_separation(uint32_t threshold, uint64_t file_target_size, strata_compression c,
                                          double staleness, double age_cutoff) {
  if (threshold == 0) return NULL;
  if (threshold < STRATA_KV_THRESHOLD_MIN || threshold > STRATA_KV_THRESHOLD_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "kv separation threshold %u outside %u..%u bytes (0 = off)", threshold,
                      STRATA_KV_THRESHOLD_MIN, (unsigned)STRATA_KV_THRESHOLD_MAX);
  if (file_target_size < STRATA_BLOB_FILE_TARGET_SIZE_MIN || file_target_size > STRATA_BLOB_FILE_TARGET_SIZE_MAX)
    return status_new(STRATA_INVALID_ARGUMENT, "kv separation file target size %llu outside %llu..%llu bytes",
                      (unsigned long long)file_target_size, (unsigned long long)STRATA_BLOB_FILE_TARGET_SIZE_MIN,
                      (unsigned long long)STRATA_BLOB_FILE_TARGET_SIZE_MAX);
  if (c != STRATA_COMPRESSION_NONE && c != STRATA_COMPRESSION_LZ4)
    return status_new(STRATA_INVALID_ARGUMENT, "kv separation compression %d is not NONE (0) or LZ4 (1)", (int)c);
  if (!(staleness > 0 && staleness <= 1))
    return status_new(STRATA_INVALID_ARGUMENT, "kv separation staleness threshold %g outside (0, 1]", staleness);
  if (!(age_cutoff > 0 && age_cutoff <= 1))
    return status_new(STRATA_INVALID_ARGUMENT, "kv separation age cutoff %g outside (0, 1]", age_cutoff);
  return NULL;
}

strata_status *strata_options_set_kv_separation(strata_options *o, uint32_t threshold, uint64_t file_target_size,
                                                strata_compression blob_compression, double staleness_threshold,
                                                double age_cutoff) {
  SETTER_PROLOGUE(o);
  STATUS_TRY(check_kv_separation(threshold, file_target_size, blob_compression, staleness_threshold, age_cutoff));
  o->kv_threshold = threshold;
  if (threshold) {
    o->blob_file_target_size = file_target_size;
    o->blob_compression = blob_compression;
    o->blob_staleness = staleness_threshold;
    o->blob_age_cutoff = age_cutoff;
  }
  return NULL;
}

/* --- the whole set ---------------------------------------------------------------------------- */

strata_status *options_validate(const strata_options *o) {
  HANDLE_CHECK(o, HANDLE_OPTIONS);
  STATUS_TRY(check_memtable_size(o->memtable_size));
  STATUS_TRY(check_block_cache_size(o->block_cache_size));
  STATUS_TRY(check_block_size(o->block_size));
  STATUS_TRY(check_compression(o->compression));
  STATUS_TRY(check_bloom_bits(o->bloom_bits_per_key));
  STATUS_TRY(check_max_sealed(o->max_sealed_memtables));
  STATUS_TRY(check_kv_separation(o->kv_threshold, o->blob_file_target_size, o->blob_compression, o->blob_staleness,
                                 o->blob_age_cutoff));
  if (o->fs) STATUS_TRY(vfs_check_table(o->fs)); /* a plugged-in backend: its contract version */
  if (o->recovery_mode != STRATA_RECOVERY_STRICT && o->recovery_mode != STRATA_RECOVERY_POINT_IN_TIME)
    return status_new(STRATA_INVALID_ARGUMENT, "recovery mode %d is unknown (0 = strict, 1 = point-in-time)",
                      (int)o->recovery_mode);
  const compaction_options *c = &o->compaction;
  if (c->strategy != COMPACTION_LEVELED && c->strategy != COMPACTION_TIERED && c->strategy != COMPACTION_FIFO)
    return status_new(STRATA_INVALID_ARGUMENT, "unknown compaction strategy %d", (int)c->strategy);
  STATUS_TRY(check_table_target_size(c->table_target_size));
  STATUS_TRY(check_level_ratio(c->level_ratio));
  STATUS_TRY(check_size_ratio(c->tiered_size_ratio));
  STATUS_TRY(check_nonzero("tiered compaction: max space amplification percent", c->tiered_max_space_amp_pct));
  STATUS_TRY(check_nonzero("level-0 trigger", c->l0_trigger));
  STATUS_TRY(check_nonzero("level-0 slowdown", o->l0_slowdown));
  STATUS_TRY(check_stall(o->l0_slowdown, o->l0_stop));
  /* writers slow down and then stop at these marks, waiting for compaction: if it only started
   * above them, a stopped writer would wait for work that never comes (FIFO never stalls) */
  if (c->strategy != COMPACTION_FIFO && c->l0_trigger > o->l0_slowdown)
    return status_new(STRATA_INVALID_ARGUMENT,
                      "level-0 trigger (%u) must be <= the level-0 slowdown mark (%u): writers would slow down "
                      "and stop before compaction starts",
                      c->l0_trigger, o->l0_slowdown);
  return NULL;
}

strata_status *strata_options_set_recovery_mode(strata_options *o, strata_recovery_mode mode) {
  HANDLE_CHECK(o, HANDLE_OPTIONS);
  if (mode != STRATA_RECOVERY_STRICT && mode != STRATA_RECOVERY_POINT_IN_TIME)
    return status_new(STRATA_INVALID_ARGUMENT,
                      "recovery mode %d is unknown (0 = strict, 1 = point-in-time)", (int)mode);
  o->recovery_mode = mode;
  return NULL;
}

/* The public filter behind the internal one: the replacement bytes are the filter's own. */
static compaction_filter_verdict public_filter(void *ctx, slice key, uint64_t seqno, slice value, buffer *replacement) {
  (void)seqno;
  const strata_options *o = ctx;
  const void *bytes = NULL;
  size_t len = 0;
  strata_filter_verdict v =
      o->filter_fn(o->filter_ctx, key.data, key.len, value.data, value.len, &bytes, &len);
  if (v == STRATA_FILTER_REMOVE) return COMPACTION_FILTER_REMOVE;
  if (v != STRATA_FILTER_REPLACE) return COMPACTION_FILTER_KEEP;
  /* on a failed copy the value is kept as it was: a filter cannot report errors */
  strata_status *st = buffer_append(replacement, bytes, len);
  if (!st) return COMPACTION_FILTER_REPLACE;
  strata_status_free(st);
  return COMPACTION_FILTER_KEEP;
}

compaction_options options_compaction(const strata_options *o) {
  compaction_options c = o->compaction;
  if (o->filter_fn) {
    c.filter = public_filter;
    c.filter_ctx = (void *)o;
  }
  return c;
}
