/*
 * strata_js.c -- flat entry points for the JS package (see strata_js.h).
 *
 * Database calls go through these wrappers rather than straight to strata.h so that JS passes
 * numbers only: options as arguments instead of a struct, ranges as (kind, pointer, length)
 * triples, results through a small out-area of 32-bit words. Sizes and budgets cross as doubles
 * (the module is built with WASM_BIGINT, where a uint64_t would be a BigInt).
 *
 * Iterator pages: strata_js_iter_page() copies up to `max` entries into the caller's buffer,
 * each as
 *     u32 key length | key bytes | u32 value length | value bytes      (little-endian lengths)
 * (the key or the value part left out when not wanted), so a page of entries costs one call.
 */
#include <stdlib.h>
#include <string.h>

#include "strata_js.h"
#include "util/coding.h"
#include "vfs_js.h"

/* ---- storage backends ----------------------------------------------------------------------- */

vfs *strata_js_vfs_new(int kind) {
  vfs *v = NULL;
  strata_status *st = kind == 1 ? vfs_memory_new(&v) : vfs_js_new(&v);
  if (st) {
    strata_status_free(st);
    return NULL;
  }
  return v;
}

void strata_js_vfs_free(vfs *v) {
  vfs_destroy(v);
}

strata_status *strata_js_vfs_lock(vfs *v, const char *path, vfs_lock **out) {
  return vfs_lock_acquire(v, path, out);
}

strata_status *strata_js_vfs_unlock(vfs *v, vfs_lock *lock) {
  return vfs_lock_release(v, lock);
}

/* ---- databases -------------------------------------------------------------------------------- */

static uint64_t size_arg(double d, uint64_t fallback) {
  return d > 0 ? (uint64_t)d : fallback;
}

/*
 * Compaction options as 8 doubles (the JS side has validated them; -1 = unset, the engine's default):
 *   [0] strategy: 0 default (leveled with the engine's defaults), 1 leveled, 2 tiered, 3 FIFO
 *   [1..3] leveled: l0_trigger, level_ratio; tiered: run_trigger, size_ratio, max_space_amp_pct;
 *          FIFO: limit_bytes, ttl_ms
 *   [4] table_target_size   [5] level-0 slowdown   [6] level-0 stop   [7] level-0 trigger
 */
static uint32_t u32_arg(double d) {
  return d > 0 ? (d > 4294967295.0 ? UINT32_MAX : (uint32_t)d) : 0;
}

static strata_status *apply_compaction(strata_options *o, const double *c) {
  strata_status *st = NULL;
  switch ((int)c[0]) {
    case 1: st = strata_options_set_compaction_leveled(o, u32_arg(c[1]), c[2] > 0 ? c[2] : 0); break;
    case 2: st = strata_options_set_compaction_tiered(o, u32_arg(c[1]), c[2] >= 0 ? c[2] : -1, u32_arg(c[3])); break;
    case 3: st = strata_options_set_compaction_fifo(o, size_arg(c[1], 0), size_arg(c[2], 0)); break;
    default: break;
  }
  if (!st && c[4] > 0) st = strata_options_set_table_target_size(o, size_arg(c[4], 0));
  if (!st && (c[5] > 0 || c[6] > 0)) st = strata_options_set_level0_stall(o, u32_arg(c[5]), u32_arg(c[6]));
  if (!st && c[7] > 0) st = strata_options_set_level0_trigger(o, u32_arg(c[7]));
  return st;
}

/* The option ranges of strata.h, for the JS side to check the same bounds (see index.js):
 * out[0..1] memtable size, [2] block cache max, [3..4] block size, [5] bloom bits max,
 * [6] max sealed memtables max, [7] level ratio max, [8] size ratio max, [9..10] table target size. */
void strata_js_option_limits(double *out) {
  out[0] = (double)STRATA_MEMTABLE_SIZE_MIN;
  out[1] = (double)STRATA_MEMTABLE_SIZE_MAX;
  out[2] = (double)STRATA_BLOCK_CACHE_SIZE_MAX;
  out[3] = STRATA_BLOCK_SIZE_MIN;
  out[4] = STRATA_BLOCK_SIZE_MAX;
  out[5] = STRATA_BLOOM_BITS_MAX;
  out[6] = STRATA_MAX_SEALED_MEMTABLES_MAX;
  out[7] = STRATA_LEVEL_RATIO_MAX;
  out[8] = STRATA_SIZE_RATIO_MAX;
  out[9] = (double)STRATA_TABLE_TARGET_SIZE_MIN;
  out[10] = (double)STRATA_TABLE_TARGET_SIZE_MAX;
}

/* The JS side validated every option; the setters check again, and name what they refuse. */
strata_status *strata_js_open(const char *path, vfs *v, int create_if_missing, int error_if_exists,
                              double memtable_size, double block_cache_size, int compression,
                              double bloom_bits_per_key, int sync, int background_threads,
                              const double *compaction, int recovery_mode, strata_db **out) {
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_recovery_mode(o, (strata_recovery_mode)recovery_mode);
  if (!st) st = strata_options_set_create_if_missing(o, create_if_missing);
  if (!st) st = strata_options_set_error_if_exists(o, error_if_exists);
  if (!st && memtable_size >= 0) st = strata_options_set_memtable_size(o, (uint64_t)memtable_size);
  if (!st && block_cache_size >= 0) st = strata_options_set_block_cache_size(o, (uint64_t)block_cache_size);
  if (!st && compression >= 0) st = strata_options_set_compression(o, (strata_compression)compression);
  if (!st && bloom_bits_per_key >= 0) st = strata_options_set_bloom_bits_per_key(o, bloom_bits_per_key);
  if (!st) st = strata_options_set_sync(o, sync);
  if (!st && background_threads >= 0) st = strata_options_set_background_threads(o, background_threads);
  if (!st) st = strata_options_set_vfs(o, v);
  if (!st && compaction) st = apply_compaction(o, compaction);
  if (!st) st = strata_open(path, o, out);
  strata_options_free(o);
  return st;
}

strata_status *strata_js_resume(strata_db *db) {
  return strata_resume(db);
}

strata_status *strata_js_close(strata_db *db) {
  return strata_close(db);
}

strata_status *strata_js_put(strata_db *db, const void *key, size_t klen, const void *value, size_t vlen,
                             int sync) {
  return strata_put(db, key, klen, value, vlen, sync);
}

strata_status *strata_js_delete(strata_db *db, const void *key, size_t klen, int sync) {
  return strata_delete(db, key, klen, sync);
}

/* out[0] = found, out[1] = the value's full length (only min(length, cap) bytes were copied). */
strata_status *strata_js_get(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen, void *buf,
                             size_t cap, uint32_t *out) {
  int found = 0;
  size_t vlen = 0;
  strata_status *st = strata_get_into(db, snap, key, klen, &found, buf, cap, &vlen);
  out[0] = (uint32_t)found;
  out[1] = (uint32_t)vlen;
  return st;
}

/*
 * An encoded batch: `count` operations, each
 *     u8 type (0 put, 1 delete) | u32 key length | key | (put only) u32 value length | value
 * applied atomically with one seqno.
 */
strata_status *strata_js_write(strata_db *db, const uint8_t *ops, size_t len, uint32_t count, int sync) {
  strata_batch *b = NULL;
  STATUS_TRY(strata_batch_new(&b));
  strata_status *st = NULL;
  size_t pos = 0;
  for (uint32_t i = 0; i < count && !st; i++) {
    if (len - pos < 5) {
      st = status_new(STRATA_INVALID_ARGUMENT, "batch: operation %u is truncated", (unsigned)i);
      break;
    }
    uint8_t type = ops[pos];
    uint32_t klen = decode_fixed32(ops + pos + 1);
    pos += 5;
    if (len - pos < klen) {
      st = status_new(STRATA_INVALID_ARGUMENT, "batch: operation %u: key is truncated", (unsigned)i);
      break;
    }
    const uint8_t *key = ops + pos;
    pos += klen;
    if (type == 0) {
      if (len - pos < 4) {
        st = status_new(STRATA_INVALID_ARGUMENT, "batch: operation %u: value is truncated", (unsigned)i);
        break;
      }
      uint32_t vlen = decode_fixed32(ops + pos);
      pos += 4;
      if (len - pos < vlen) {
        st = status_new(STRATA_INVALID_ARGUMENT, "batch: operation %u: value is truncated", (unsigned)i);
        break;
      }
      st = strata_batch_put(b, key, klen, ops + pos, vlen);
      pos += vlen;
    } else if (type == 1) {
      st = strata_batch_delete(b, key, klen);
    } else {
      st = status_new(STRATA_INVALID_ARGUMENT, "batch: operation %u has unknown type %u", (unsigned)i, type);
    }
  }
  if (!st) st = strata_write(db, b, sync);
  strata_batch_free(b);
  return st;
}

strata_status *strata_js_snapshot(strata_db *db, strata_snapshot **out) {
  return strata_snapshot_acquire(db, out);
}

void strata_js_snapshot_release(strata_snapshot *snap) {
  strata_snapshot_release(snap);
}

strata_status *strata_js_flush(strata_db *db) {
  return strata_flush(db);
}

/* major = 0: the strategy's pending compactions; 1: everything into one run in the last level. */
strata_status *strata_js_compact(strata_db *db, int major) {
  return strata_compact(db, major);
}

strata_status *strata_js_maintenance_step(strata_db *db, double budget_bytes, uint32_t *more) {
  int m = 0;
  strata_status *st = strata_maintenance_step(db, size_arg(budget_bytes, 1), &m);
  *more = (uint32_t)m;
  return st;
}

/*
 * Statistics as doubles, in this order: level_count; 16 x (tables, runs, bytes); memtable_bytes,
 * sealed_memtables, cache_hits, cache_misses, cache_bytes, bytes_written_user, bytes_written_flush,
 * bytes_written_compaction, flushes, compactions, write_stalls, seqno, snapshots_open,
 * versions_alive, bytes_read_compaction, write_slowdowns, write_amplification (69 numbers).
 */
strata_status *strata_js_stats(strata_db *db, double *out) {
  strata_stats s;
  memset(&s, 0, sizeof s);
  STATUS_TRY(strata_get_stats(db, &s));
  size_t i = 0;
  out[i++] = s.level_count;
  for (int l = 0; l < 16; l++) {
    out[i++] = s.levels[l].tables;
    out[i++] = s.levels[l].runs;
    out[i++] = (double)s.levels[l].bytes;
  }
  out[i++] = (double)s.memtable_bytes;
  out[i++] = s.sealed_memtables;
  out[i++] = (double)s.cache_hits;
  out[i++] = (double)s.cache_misses;
  out[i++] = (double)s.cache_bytes;
  out[i++] = (double)s.bytes_written_user;
  out[i++] = (double)s.bytes_written_flush;
  out[i++] = (double)s.bytes_written_compaction;
  out[i++] = (double)s.flushes;
  out[i++] = (double)s.compactions;
  out[i++] = (double)s.write_stalls;
  out[i++] = (double)s.seqno;
  out[i++] = s.snapshots_open;
  out[i++] = s.versions_alive;
  out[i++] = (double)s.bytes_read_compaction;
  out[i++] = (double)s.write_slowdowns;
  out[i++] = s.write_amplification;
  return NULL;
}

/*
 * The recovery report of the open as doubles, in this order: journals_replayed, batches_replayed,
 * torn_bytes_cut, damaged, damaged_journal, damaged_offset, batches_discarded, highest_seqno_seen,
 * manifest_fallback, files_moved_to_lost, obsolete_files_removed (11 numbers).
 */
strata_status *strata_js_recovery_report(strata_db *db, double *out) {
  strata_recovery_report r;
  memset(&r, 0, sizeof r);
  STATUS_TRY(strata_get_recovery_report(db, &r));
  size_t i = 0;
  out[i++] = r.journals_replayed;
  out[i++] = (double)r.batches_replayed;
  out[i++] = (double)r.torn_bytes_cut;
  out[i++] = r.damaged;
  out[i++] = (double)r.damaged_journal;
  out[i++] = (double)r.damaged_offset;
  out[i++] = (double)r.batches_discarded;
  out[i++] = (double)r.highest_seqno_seen;
  out[i++] = r.manifest_fallback;
  out[i++] = r.files_moved_to_lost;
  out[i++] = (double)r.obsolete_files_removed;
  return NULL;
}

/* ---- iterators ---------------------------------------------------------------------------------- */

struct js_iter {
  strata_iterator *it;
  int reverse;
  int positioned; /* 0 until the first page or a seek */
};

/* Bound kinds as in strata_bound: 0 unbounded, 1 included, 2 excluded. */
strata_status *strata_js_iter_new(strata_db *db, const strata_snapshot *snap, int lo_kind, const void *lo,
                                  size_t lo_len, int hi_kind, const void *hi, size_t hi_len, int reverse,
                                  js_iter **out) {
  if (lo_kind < 0 || lo_kind > 2 || hi_kind < 0 || hi_kind > 2)
    return status_new(STRATA_INVALID_ARGUMENT, "iterator: bad bound kind");
  js_iter *j = calloc(1, sizeof *j);
  if (!j) return status_no_memory();
  strata_range r = {(strata_bound)lo_kind, lo, lo_len, (strata_bound)hi_kind, hi, hi_len};
  strata_status *st = strata_iterator_new(db, snap, &r, &j->it);
  if (st) {
    free(j);
    return st;
  }
  j->reverse = reverse;
  *out = j;
  return NULL;
}

/* Positions at the first entry >= target (forward) or the last entry <= target (reverse). */
void strata_js_iter_seek(js_iter *j, const void *key, size_t klen) {
  if (!j) return; /* the iterator calls below check the rest (API armour) */
  if (j->reverse) strata_iterator_seek_for_prev(j->it, key, klen);
  else strata_iterator_seek(j->it, key, klen);
  j->positioned = 1;
}

/*
 * Copies up to `max` entries (want: 1 keys, 2 values, 3 both) into buf and steps past them.
 * out[0] = entries written, out[1] = bytes used, out[2] = 1 when the iterator is exhausted,
 * out[3] = when nothing fit, the bytes the next entry needs (the caller grows buf and calls again).
 */
strata_status *strata_js_iter_page(js_iter *j, uint8_t *buf, size_t cap, uint32_t max, int want, uint32_t *out) {
  if (!j || !out || (!buf && cap)) return status_new(STRATA_INVALID_ARGUMENT, "iterator page: NULL iterator or buffer");
  if (!j->positioned) {
    if (j->reverse) strata_iterator_seek_last(j->it);
    else strata_iterator_seek_first(j->it);
    j->positioned = 1;
  }
  uint32_t count = 0;
  size_t used = 0;
  out[3] = 0;
  while (count < max && strata_iterator_valid(j->it)) {
    size_t klen = 0, vlen = 0;
    const void *k = strata_iterator_key(j->it, &klen);
    const void *v = (want & 2) ? strata_iterator_value(j->it, &vlen) : NULL;
    size_t need = ((want & 1) ? 4 + klen : 0) + ((want & 2) ? 4 + vlen : 0);
    if (need > cap - used) {
      if (count == 0) out[3] = (uint32_t)need;
      break;
    }
    if (want & 1) {
      encode_fixed32(buf + used, (uint32_t)klen);
      if (klen) memcpy(buf + used + 4, k, klen);
      used += 4 + klen;
    }
    if (want & 2) {
      encode_fixed32(buf + used, (uint32_t)vlen);
      if (vlen) memcpy(buf + used + 4, v, vlen);
      used += 4 + vlen;
    }
    count++;
    if (j->reverse) strata_iterator_prev(j->it);
    else strata_iterator_next(j->it);
  }
  out[0] = count;
  out[1] = (uint32_t)used;
  out[2] = !strata_iterator_valid(j->it);
  return out[2] ? strata_iterator_status(j->it) : NULL;
}

void strata_js_iter_close(js_iter *j) {
  if (!j) return;
  strata_iterator_close(j->it);
  free(j);
}

/* ---- repair ------------------------------------------------------------------------------------ */

strata_status *strata_js_repair(const char *path, vfs *v, double *out, char **log) {
  *log = NULL;
  strata_options *o = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_repair_report r;
  strata_status *st = strata_options_set_vfs(o, v);
  if (!st) st = strata_repair(path, o, &r);
  strata_options_free(o);
  if (st) return st;
  const double fields[STRATA_JS_REPAIR_FIELDS] = {
      r.tables_found, r.tables_kept, r.tables_damaged, r.tables_obsolete, r.tables_merged, r.tables_written,
      r.journals_read, (double)r.journal_batches_salvaged, (double)r.journal_batches_lost,
      (double)r.journal_bytes_lost, (double)r.journal_torn_bytes, r.manifest_slots_damaged,
      r.files_moved_to_lost, (double)r.entries, (double)r.highest_seqno};
  memcpy(out, fields, sizeof fields);
  *log = r.log; /* the caller frees it */
  r.log = NULL;
  return NULL;
}
