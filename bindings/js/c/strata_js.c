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
#include "util/sync.h"
#include "vfs_js.h"

/* ---- storage backends ----------------------------------------------------------------------- */

vfs *strata_js_vfs_new(int kind, int host) {
  vfs *v = NULL;
  strata_status *st = kind == 1 ? vfs_memory_new(&v) : vfs_js_new(host, &v);
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

static uint32_t u32_arg(double d) {
  return d > 0 ? (d > 4294967295.0 ? UINT32_MAX : (uint32_t)d) : 0;
}

static strata_status *apply_compaction(strata_options *o, const strata_js_compaction *c) {
  strata_status *st = NULL;
  switch ((int)c->strategy) {
    case STRATA_JS_STRATEGY_LEVELED:
      st = strata_options_set_compaction_leveled(o, u32_arg(c->level0_trigger), c->level_ratio > 0 ? c->level_ratio : 0);
      break;
    case STRATA_JS_STRATEGY_TIERED:
      st = strata_options_set_compaction_tiered(o, u32_arg(c->run_trigger), c->size_ratio >= 0 ? c->size_ratio : -1,
                                                u32_arg(c->max_space_amplification_percent));
      break;
    case STRATA_JS_STRATEGY_FIFO:
      st = strata_options_set_compaction_fifo(o, size_arg(c->limit_bytes, 0), size_arg(c->ttl_ms, 0));
      break;
    default: break;
  }
  if (!st && c->table_target_size > 0) st = strata_options_set_table_target_size(o, size_arg(c->table_target_size, 0));
  if (!st && (c->level0_slowdown > 0 || c->level0_stop > 0))
    st = strata_options_set_level0_stall(o, u32_arg(c->level0_slowdown), u32_arg(c->level0_stop));
  if (!st && c->kv_threshold > 0) /* unset knobs (-1) take the defaults of strata_limits.h */
    st = strata_options_set_kv_separation(
        o, u32_arg(c->kv_threshold),
        c->kv_file_target_size > 0 ? size_arg(c->kv_file_target_size, 0) : STRATA_DEFAULT_BLOB_FILE_TARGET_SIZE,
        c->kv_compression >= 0 ? (strata_compression)(int)c->kv_compression : STRATA_COMPRESSION_LZ4,
        c->kv_staleness_threshold >= 0 ? c->kv_staleness_threshold : STRATA_DEFAULT_BLOB_STALENESS,
        c->kv_age_cutoff >= 0 ? c->kv_age_cutoff : STRATA_DEFAULT_BLOB_AGE_CUTOFF);
  return st;
}

/* ---- calls into JS (library_strata_host.js) ------------------------------------------------------ */

/* Runs the JS filter registered for `filter` (Module.strataFilters) on the entry: the verdict,
 * and for a replacement the bytes JS malloc'd (out[0] = pointer, out[1] = length). */
extern int strata_js_host_filter(const strata_js_filter *filter, const void *key, size_t klen, const void *value, size_t vlen, uint32_t *out);
/* Runs Module.strataProgress(done, total). */
extern void strata_js_host_progress(double done, double total);

/*
 * A replacement value belongs to the filter until its next call on the same thread (the engine
 * copies it at once). Compactions may run on two threads at a time in the pthreads build (the
 * compaction thread and a strata_compact caller), so each thread has its own slot.
 */
enum { FILTER_SLOTS = 4 };
struct strata_js_filter {
  sync_mutex mu;
  struct {
    int used;
#if STRATA_THREADS
    pthread_t thread;
#endif
    void *replacement;
  } slot[FILTER_SLOTS]; /* guarded by mu */
};

strata_js_filter *strata_js_filter_new(void) {
  strata_js_filter *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  strata_status *st = sync_mutex_init(&f->mu);
  if (st) {
    strata_status_free(st);
    free(f);
    return NULL;
  }
  return f;
}

void strata_js_filter_free(strata_js_filter *f) {
  if (!f) return;
  for (int i = 0; i < FILTER_SLOTS; i++) free(f->slot[i].replacement);
  sync_mutex_destroy(&f->mu);
  free(f);
}

/* This thread's slot, its previous replacement freed; -1 when every slot is another thread's. */
static int filter_slot(strata_js_filter *f) {
  int found = -1;
  sync_mutex_lock(&f->mu);
  for (int i = 0; i < FILTER_SLOTS && found < 0; i++) {
#if STRATA_THREADS
    if (f->slot[i].used && pthread_equal(f->slot[i].thread, pthread_self())) found = i;
#else
    if (f->slot[i].used) found = i;
#endif
  }
  for (int i = 0; i < FILTER_SLOTS && found < 0; i++) {
    if (f->slot[i].used) continue;
    f->slot[i].used = 1;
#if STRATA_THREADS
    f->slot[i].thread = pthread_self();
#endif
    found = i;
  }
  if (found >= 0) {
    free(f->slot[found].replacement);
    f->slot[found].replacement = NULL;
  }
  sync_mutex_unlock(&f->mu);
  return found;
}

static strata_filter_verdict js_filter(void *ctx, const void *key, size_t klen, const void *value, size_t vlen,
                                       const void **new_value, size_t *new_len) {
  strata_js_filter *f = ctx;
  int slot = filter_slot(f);
  uint32_t out[2] = {0, 0};
  int v = strata_js_host_filter(f, key, klen, value, vlen, out);
  void *bytes = (void *)(uintptr_t)out[0];
  if (v == STRATA_FILTER_REMOVE) return STRATA_FILTER_REMOVE;
  if (v != STRATA_FILTER_REPLACE || slot < 0) { /* JS reports what it could not do; no slot: keep */
    free(bytes);
    return STRATA_FILTER_KEEP;
  }
  sync_mutex_lock(&f->mu);
  f->slot[slot].replacement = bytes;
  sync_mutex_unlock(&f->mu);
  *new_value = bytes ? bytes : (const void *)"";
  *new_len = out[1];
  return STRATA_FILTER_REPLACE;
}

static void js_progress(void *ctx, uint64_t done, uint64_t total) {
  (void)ctx;
  strata_js_host_progress((double)done, (double)total);
}

/* The JS side validated every option; the setters check again, and name what they refuse. */
strata_status *strata_js_open(const char *path, vfs *v, int create_if_missing, int error_if_exists,
                              double memtable_size, double block_cache_size, int compression,
                              double bloom_bits_per_key, int sync, int cache_written_blocks,
                              int background_threads, double max_sealed_memtables,
                              const strata_js_compaction *compaction, int recovery_mode, strata_db **out) {
  return strata_js_open_filtered(path, v, create_if_missing, error_if_exists, memtable_size, block_cache_size,
                                 compression, bloom_bits_per_key, sync, cache_written_blocks, background_threads,
                                 max_sealed_memtables, compaction, recovery_mode, NULL, out);
}

strata_status *strata_js_open_filtered(const char *path, vfs *v, int create_if_missing, int error_if_exists,
                                       double memtable_size, double block_cache_size, int compression,
                                       double bloom_bits_per_key, int sync, int cache_written_blocks,
                                       int background_threads, double max_sealed_memtables,
                                       const strata_js_compaction *compaction, int recovery_mode,
                                       strata_js_filter *filter, strata_db **out) {
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
  if (!st) st = strata_options_set_cache_written_blocks(o, cache_written_blocks);
  if (!st && background_threads >= 0) st = strata_options_set_background_threads(o, background_threads);
  if (!st && max_sealed_memtables >= 0) {
    /* beyond uint32 the setter still refuses it (and names the option) */
    uint32_t n = max_sealed_memtables > UINT32_MAX ? UINT32_MAX : (uint32_t)max_sealed_memtables;
    st = strata_options_set_max_sealed_memtables(o, n);
  }
  if (!st) st = strata_options_set_vfs(o, v);
  if (!st && compaction) st = apply_compaction(o, compaction);
  if (!st && filter) st = strata_options_set_compaction_filter(o, js_filter, filter);
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

strata_status *strata_js_single_delete(strata_db *db, const void *key, size_t klen, int sync) {
  return strata_single_delete(db, key, klen, sync);
}

strata_status *strata_js_drop_range(strata_db *db, int lo_kind, const void *lo, size_t lo_len, int hi_kind,
                                    const void *hi, size_t hi_len) {
  strata_range r = {(strata_bound)lo_kind, lo, lo_len, (strata_bound)hi_kind, hi, hi_len};
  return strata_drop_range(db, &r); /* it checks the kinds and lengths */
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
 * Point reads of `count` keys, encoded back to back as u32 key length | key (little-endian), in
 * one call: per key answered, into buf,
 *     u32 found (0 or 1) | u32 value length | value bytes (when found)
 * in key order. Stops before a key whose answer does not fit in what is left of buf (the caller
 * calls again from that key, with a bigger buf when none fit). out[0] = keys answered,
 * out[1] = bytes used, out[2] = when no key fit, the bytes the first one's answer needs. A read
 * error stops the call with that status (the keys before it were answered in buf).
 */
strata_status *strata_js_get_many(strata_db *db, const strata_snapshot *snap, const uint8_t *keys, size_t len,
                                  uint32_t count, uint8_t *buf, size_t cap, uint32_t *out) {
  if (!out || (!keys && len) || (!buf && cap))
    return status_new(STRATA_INVALID_ARGUMENT, "getMany: NULL keys, buffer or out-area");
  out[0] = out[1] = out[2] = 0;
  size_t pos = 0, used = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (len - pos < 4) return status_new(STRATA_INVALID_ARGUMENT, "getMany: key %u is truncated", (unsigned)i);
    uint32_t klen = decode_fixed32(keys + pos);
    if (len - pos - 4 < klen) return status_new(STRATA_INVALID_ARGUMENT, "getMany: key %u is truncated", (unsigned)i);
    if (cap - used < 8) {
      if (i == 0) out[2] = 8;
      break;
    }
    int found = 0;
    size_t vlen = 0;
    STATUS_TRY(strata_get_into(db, snap, keys + pos + 4, klen, &found, buf + used + 8, cap - used - 8, &vlen));
    if (found && vlen > cap - used - 8) { /* only part of it was copied: this key again, next call */
      if (i == 0) out[2] = (uint32_t)(8 + vlen);
      break;
    }
    encode_fixed32(buf + used, (uint32_t)found);
    encode_fixed32(buf + used + 4, found ? (uint32_t)vlen : 0);
    used += 8 + (found ? vlen : 0);
    pos += 4 + klen;
    out[0] = i + 1;
    out[1] = (uint32_t)used;
  }
  return NULL;
}

/*
 * An encoded batch: `count` operations, each
 *     u8 type (STRATA_JS_OP_PUT, _DELETE, _SINGLE_DELETE) | u32 key length | key | (put only) u32 value length | value
 * applied atomically with one seqno.
 */
/* The next operation of an encoded batch at *pos (bounds-checked); `what` names the caller. */
static strata_status *next_op(const uint8_t *ops, size_t len, size_t *pos, uint32_t i, const char *what, uint8_t *type,
                              slice *key, slice *value) {
  if (len - *pos < 5) return status_new(STRATA_INVALID_ARGUMENT, "%s: operation %u is truncated", what, (unsigned)i);
  *type = ops[*pos];
  uint32_t klen = decode_fixed32(ops + *pos + 1);
  *pos += 5;
  if (len - *pos < klen)
    return status_new(STRATA_INVALID_ARGUMENT, "%s: operation %u: key is truncated", what, (unsigned)i);
  *key = slice_make(ops + *pos, klen);
  *pos += klen;
  *value = slice_make(NULL, 0);
  if (*type == STRATA_JS_OP_DELETE || *type == STRATA_JS_OP_SINGLE_DELETE) return NULL;
  if (*type != STRATA_JS_OP_PUT)
    return status_new(STRATA_INVALID_ARGUMENT, "%s: operation %u has unknown type %u", what, (unsigned)i, *type);
  if (len - *pos < 4) return status_new(STRATA_INVALID_ARGUMENT, "%s: operation %u: value is truncated", what, (unsigned)i);
  uint32_t vlen = decode_fixed32(ops + *pos);
  *pos += 4;
  if (len - *pos < vlen)
    return status_new(STRATA_INVALID_ARGUMENT, "%s: operation %u: value is truncated", what, (unsigned)i);
  *value = slice_make(ops + *pos, vlen);
  *pos += vlen;
  return NULL;
}

strata_status *strata_js_write(strata_db *db, const uint8_t *ops, size_t len, uint32_t count, int sync) {
  strata_batch *b = NULL;
  STATUS_TRY(strata_batch_new(&b));
  strata_status *st = NULL;
  size_t pos = 0;
  for (uint32_t i = 0; i < count && !st; i++) {
    uint8_t type = 0;
    slice key, value;
    st = next_op(ops, len, &pos, i, "batch", &type, &key, &value);
    if (!st && type == STRATA_JS_OP_PUT) st = strata_batch_put(b, key.data, key.len, value.data, value.len);
    else if (!st && type == STRATA_JS_OP_DELETE) st = strata_batch_delete(b, key.data, key.len);
    else if (!st) st = strata_batch_single_delete(b, key.data, key.len);
  }
  if (!st) st = strata_write(db, b, sync);
  strata_batch_free(b);
  return st;
}

/* Bulk ingestion: out[0] = the ingest handle. */
strata_status *strata_js_ingest_begin(strata_db *db, uint32_t *out) {
  strata_ingest *in = NULL;
  strata_status *st = strata_ingest_begin(db, &in);
  out[0] = (uint32_t)(uintptr_t)in;
  return st;
}

/* `count` put operations in the batch wire format, keys ascending. */
strata_status *strata_js_ingest_add(strata_ingest *in, const uint8_t *ops, size_t len, uint32_t count,
                                    uint32_t *added) {
  strata_status *st = NULL;
  size_t pos = 0;
  *added = 0;
  for (uint32_t i = 0; i < count && !st; i++) {
    uint8_t type = 0;
    slice key, value;
    st = next_op(ops, len, &pos, i, "ingest", &type, &key, &value);
    if (!st && type != STRATA_JS_OP_PUT)
      st = status_new(STRATA_INVALID_ARGUMENT, "ingest: operation %u is not a put", (unsigned)i);
    if (!st) st = strata_ingest_add(in, key.data, key.len, value.data, value.len);
    if (!st) *added = i + 1;
  }
  return st;
}

/* out[0], out[1] = the entries installed (low, high 32 bits). */
strata_status *strata_js_ingest_finish(strata_ingest *in, uint32_t *out) {
  uint64_t n = 0;
  strata_status *st = strata_ingest_finish(in, &n);
  out[0] = (uint32_t)n;
  out[1] = (uint32_t)(n >> 32);
  return st;
}

void strata_js_ingest_abandon(strata_ingest *in) { strata_ingest_abandon(in); }

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

strata_status *strata_js_compact_progress(strata_db *db, int major) {
  return strata_compact_with_progress(db, major, js_progress, NULL);
}

strata_status *strata_js_maintenance_step(strata_db *db, double budget_bytes, uint32_t *more) {
  int m = 0;
  strata_status *st = strata_maintenance_step(db, size_arg(budget_bytes, 1), &m);
  *more = (uint32_t)m;
  return st;
}

strata_status *strata_js_stats(strata_db *db, strata_stats *out) {
  return strata_get_stats(db, out);
}

strata_status *strata_js_recovery_report(strata_db *db, strata_recovery_report *out) {
  return strata_get_recovery_report(db, out);
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

strata_status *strata_js_repair(const char *path, vfs *v, strata_repair_report *out) {
  strata_options *o = NULL;
  memset(out, 0, sizeof *out);
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_vfs(o, v);
  if (!st) st = strata_repair(path, o, out);
  strata_options_free(o);
  return st; /* out->log is the caller's to free */
}

/* ---- database images (docs/IMAGE.md) ------------------------------------------------------- */

strata_status *strata_js_export_begin(strata_db *db, strata_export **out, double *total) {
  STATUS_TRY(strata_export_begin(db, out));
  *total = (double)strata_export_total(*out);
  return NULL;
}

strata_status *strata_js_export_read(strata_export *e, void *buf, size_t cap, uint32_t *n) {
  size_t got = 0;
  strata_status *st = strata_export_read(e, buf, cap, &got);
  *n = (uint32_t)got;
  return st;
}

void strata_js_export_end(strata_export *e) {
  strata_export_end(e);
}

strata_status *strata_js_import_begin(const char *path, vfs *v, strata_importer **out) {
  strata_options *o = NULL;
  *out = NULL;
  STATUS_TRY(strata_options_new(&o));
  strata_status *st = strata_options_set_vfs(o, v);
  if (!st) st = strata_importer_begin(path, o, out);
  strata_options_free(o);
  return st;
}

strata_status *strata_js_import_write(strata_importer *im, const void *data, size_t len, double *total) {
  strata_status *st = strata_importer_write(im, data, len);
  *total = (double)strata_importer_total(im);
  return st;
}

strata_status *strata_js_import_finish(strata_importer *im) {
  return strata_importer_finish(im);
}

void strata_js_import_abort(strata_importer *im) {
  strata_importer_abort(im);
}
