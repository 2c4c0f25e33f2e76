/* db_read.c -- point reads, snapshots, iterators, batches and statistics of the public API. */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* The super version and seqno a read uses: the snapshot's, or the latest. */
static super_version *read_view(strata_db *db, const strata_snapshot *snap, uint64_t *seqno) {
  if (snap) {
    *seqno = snap->seqno;
    return super_version_ref(snap->sv);
  }
  /* the version first, then the seqno: compaction kept every version visible at its install,
   * and the seqno read after it is at least as new, so nothing this read needs was dropped */
  super_version *sv = tree_current(db->tree);
  *seqno = atomic_u64_load(&db->visible_seqno);
  return sv;
}

/* A snapshot given to a read must be a live one of this database (`fn` names the caller). */
static strata_status *check_snapshot(const strata_db *db, const strata_snapshot *snap, const char *fn) {
  if (!snap) return NULL;
  STATUS_TRY(handle_check(snap, HANDLE_SNAPSHOT, fn));
  /* the same tree, or an earlier handle's on this folder (its tree stays alive with the snapshot) */
  if (snap->tree != db->tree && (snap->fs != db->fs || strcmp(snap->path, db->path) != 0))
    return status_new(STRATA_INVALID_ARGUMENT, "%s: the snapshot belongs to another database (%s, not %s)", fn,
                      snap->path, db->path);
  return NULL;
}

/* The caller (a public function) has checked db, snap and the pointers. */
static strata_status *get_value(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen, int *found,
                                buffer *value) {
  STATUS_TRY(db_check_key(klen));
  uint64_t seqno;
  super_version *sv = read_view(db, snap, &seqno);
  /* a snapshot reads through its own tree: it may come from an earlier handle on this folder */
  strata_status *st = tree_get(snap ? snap->tree : db->tree, sv, slice_make(key, klen), seqno, found, value);
  super_version_unref(sv);
  return st;
}

strata_status *strata_get(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen, int *found,
                          void **value, size_t *vlen) {
  ARG_NOT_NULL(found);
  ARG_NOT_NULL(value);
  ARG_NOT_NULL(vlen);
  *found = 0;
  *value = NULL;
  *vlen = 0;
  HANDLE_CHECK(db, HANDLE_DB);
  STATUS_TRY(check_snapshot(db, snap, __func__));
  ARG_BYTES(key, klen);
  STATUS_TRY(db_check_key(klen));
  ARG_IN_MEMORY(key, klen);
  buffer v;
  buffer_init(&v);
  strata_status *st = get_value(db, snap, key, klen, found, &v);
  if (!st && *found) {
    *value = v.data ? v.data : malloc(1); /* an empty value is still a non-NULL buffer */
    if (!*value) st = status_no_memory();
    *vlen = v.len;
  } else {
    buffer_free(&v);
  }
  return st;
}

strata_status *strata_get_into(strata_db *db, const strata_snapshot *snap, const void *key, size_t klen, int *found,
                               void *buf, size_t cap, size_t *vlen) {
  ARG_NOT_NULL(found);
  ARG_NOT_NULL(vlen);
  *found = 0;
  *vlen = 0;
  HANDLE_CHECK(db, HANDLE_DB);
  STATUS_TRY(check_snapshot(db, snap, __func__));
  ARG_BYTES(key, klen);
  ARG_BYTES(buf, cap);
  STATUS_TRY(db_check_key(klen));
  ARG_IN_MEMORY(key, klen);
  ARG_IN_MEMORY(buf, cap);
  strata_status *st = NULL;
  if (cap == 0) { /* a length query (JS has()): a handle answers it without reading its blob */
    uint64_t seqno, size = 0;
    super_version *sv = read_view(db, snap, &seqno);
    st = tree_size_of(snap ? snap->tree : db->tree, sv, slice_make(key, klen), seqno, found, &size);
    super_version_unref(sv);
    if (!st && *found) *vlen = (size_t)size;
    return st;
  }
  /* the value is read straight into buf; one that does not fit lands in an allocation of the
   * buffer's own, and its first cap bytes are copied */
  buffer v;
  buffer_init_borrowed(&v, buf, cap);
  st = get_value(db, snap, key, klen, found, &v);
  if (!st && *found) {
    *vlen = v.len;
    if (v.data != buf && v.len) memcpy(buf, v.data, v.len < cap ? v.len : cap);
  }
  buffer_free(&v);
  return st;
}

void strata_free(void *p) { free(p); }

/* --- snapshots --------------------------------------------------------------------------- */

strata_status *strata_snapshot_acquire(strata_db *db, strata_snapshot **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  HANDLE_CHECK(db, HANDLE_DB);
  size_t path_len = strlen(db->path);
  strata_snapshot *s = malloc(sizeof *s + path_len + 1);
  if (!s) return status_no_memory();
  s->tag = HANDLE_SNAPSHOT;
  s->fs = db->fs;
  memcpy(s->path, db->path, path_len + 1);
  /* under the write lock, so the seqno and the super version describe the same moment */
  sync_mutex_lock(&db->write_mu);
  s->seqno = atomic_u64_load(&db->visible_seqno);
  s->sv = tree_current(db->tree);
  strata_status *st = tree_snapshot_pin(db->tree, s->seqno);
  sync_mutex_unlock(&db->write_mu);
  if (st) {
    super_version_unref(s->sv);
    free(s);
    return st;
  }
  s->tree = tree_ref(db->tree);
  *out = s;
  return NULL;
}

void strata_snapshot_release(strata_snapshot *s) {
  HANDLE_GUARD_VOID(s, HANDLE_SNAPSHOT);
  tree_snapshot_unpin(s->tree, s->seqno);
  super_version_unref(s->sv);
  tree_unref(s->tree);
  handle_retire(&s->tag);
  free(s);
}

uint64_t strata_snapshot_seqno(const strata_snapshot *s) {
  HANDLE_GUARD(s, HANDLE_SNAPSHOT, 0);
  return s->seqno;
}

/* --- iterators --------------------------------------------------------------------------- */

/* An unbounded end ignores the key the caller left in it. */
static key_bound to_bound(strata_bound kind, const void *key, size_t len) {
  key_bound b = {kind == STRATA_INCLUDED ? BOUND_INCLUDED : kind == STRATA_EXCLUDED ? BOUND_EXCLUDED : BOUND_UNBOUNDED,
                 kind == STRATA_UNBOUNDED ? slice_make(NULL, 0) : slice_make(key, len)};
  return b;
}

static strata_status *new_iterator(strata_db *db, const strata_snapshot *snap, const key_range *r,
                                   strata_iterator **out) {
  strata_iterator *it = malloc(sizeof *it);
  if (!it) return status_no_memory();
  it->tag = HANDLE_ITERATOR;
  it->misuse = NULL;
  it->read_error = NULL;
  buffer_init(&it->value);
  iter_arena_init(&it->arena, it->region.bytes, sizeof it->region.bytes);
  uint64_t seqno;
  super_version *sv = read_view(db, snap, &seqno);
  tree *t = snap ? snap->tree : db->tree;
  strata_status *st = tree_iterator(t, sv, seqno, r, &it->arena, &it->it);
  super_version_unref(sv);
  if (st) {
    free(it);
    return st;
  }
  it->tree = tree_ref(t);
  *out = it;
  return NULL;
}

/* A range from the caller: known bound kinds, and keys whose pointers go with their lengths. */
strata_status *db_check_range(const strata_range *range, const char *fn) {
  if (!range) return NULL;
  if (!arg_in_memory(range, sizeof *range))
    return status_new(STRATA_INVALID_ARGUMENT, "%s: range points outside the module's memory", fn);
  const strata_bound kinds[2] = {range->lo_kind, range->hi_kind};
  const void *keys[2] = {range->lo, range->hi};
  const size_t lens[2] = {range->lo_len, range->hi_len};
  for (int i = 0; i < 2; i++) {
    const char *end = i ? "hi" : "lo";
    if (kinds[i] != STRATA_UNBOUNDED && kinds[i] != STRATA_INCLUDED && kinds[i] != STRATA_EXCLUDED)
      return status_new(STRATA_INVALID_ARGUMENT, "%s: range %s_kind %d is not a strata_bound", fn, end, (int)kinds[i]);
    if (kinds[i] != STRATA_UNBOUNDED && !keys[i] && lens[i])
      return status_new(STRATA_INVALID_ARGUMENT, "%s: range %s is NULL but %s_len is %zu", fn, end, end, lens[i]);
    if (kinds[i] != STRATA_UNBOUNDED) STATUS_TRY(db_check_key(lens[i]));
    if (kinds[i] != STRATA_UNBOUNDED && !arg_in_memory(keys[i], lens[i]))
      return status_new(STRATA_INVALID_ARGUMENT, "%s: range %s lies outside the module's memory", fn, end);
  }
  return NULL;
}

strata_status *strata_iterator_new(strata_db *db, const strata_snapshot *snap, const strata_range *range,
                                   strata_iterator **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  HANDLE_CHECK(db, HANDLE_DB);
  STATUS_TRY(check_snapshot(db, snap, __func__));
  STATUS_TRY(db_check_range(range, __func__));
  key_range r = key_range_all();
  if (range) {
    r.lo = to_bound(range->lo_kind, range->lo, range->lo_len);
    r.hi = to_bound(range->hi_kind, range->hi, range->hi_len);
  }
  return new_iterator(db, snap, &r, out);
}

strata_status *strata_iterator_new_prefix(strata_db *db, const strata_snapshot *snap, const void *prefix, size_t len,
                                          strata_iterator **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  HANDLE_CHECK(db, HANDLE_DB);
  STATUS_TRY(check_snapshot(db, snap, __func__));
  ARG_BYTES(prefix, len);
  STATUS_TRY(db_check_key(len));
  ARG_IN_MEMORY(prefix, len);
  buffer scratch;
  buffer_init(&scratch);
  key_range r;
  strata_status *st = key_range_for_prefix(slice_make(prefix, len), &scratch, &r);
  if (!st) st = new_iterator(db, snap, &r, out); /* the iterator copies the bounds */
  buffer_free(&scratch);
  return st;
}

/* Records the first misuse of a live iterator, for strata_iterator_status. Iterators are always
 * malloc'd, so writing through a pointer the caller declared const is defined. */
static void iterator_misuse(const strata_iterator *it, const char *fn, const char *what) {
  strata_iterator *m = (strata_iterator *)it;
  if (!m->misuse) m->misuse = status_new(STRATA_INVALID_ARGUMENT, "%s: %s", fn, what);
}

void strata_iterator_seek_first(strata_iterator *it) {
  HANDLE_GUARD_VOID(it, HANDLE_ITERATOR);
  mvcc_iterator_seek_first(it->it);
}
void strata_iterator_seek_last(strata_iterator *it) {
  HANDLE_GUARD_VOID(it, HANDLE_ITERATOR);
  mvcc_iterator_seek_last(it->it);
}
void strata_iterator_seek(strata_iterator *it, const void *key, size_t klen) {
  HANDLE_GUARD_VOID(it, HANDLE_ITERATOR);
  if (!key && klen) {
    iterator_misuse(it, __func__, "key is NULL with a non-zero klen; the iterator did not move");
    return;
  }
  if (!arg_in_memory(key, klen)) {
    iterator_misuse(it, __func__, "the key lies outside the module's memory; the iterator did not move");
    return;
  }
  mvcc_iterator_seek(it->it, slice_make(key, klen));
}
void strata_iterator_seek_for_prev(strata_iterator *it, const void *key, size_t klen) {
  HANDLE_GUARD_VOID(it, HANDLE_ITERATOR);
  if (!key && klen) {
    iterator_misuse(it, __func__, "key is NULL with a non-zero klen; the iterator did not move");
    return;
  }
  if (!arg_in_memory(key, klen)) {
    iterator_misuse(it, __func__, "the key lies outside the module's memory; the iterator did not move");
    return;
  }
  mvcc_iterator_seek_for_prev(it->it, slice_make(key, klen));
}
/* Stepping an invalid iterator does nothing (mvcc_iterator_next/prev check). */
void strata_iterator_next(strata_iterator *it) {
  HANDLE_GUARD_VOID(it, HANDLE_ITERATOR);
  mvcc_iterator_next(it->it);
}
void strata_iterator_prev(strata_iterator *it) {
  HANDLE_GUARD_VOID(it, HANDLE_ITERATOR);
  mvcc_iterator_prev(it->it);
}
int strata_iterator_valid(const strata_iterator *it) {
  HANDLE_GUARD(it, HANDLE_ITERATOR, 0);
  return mvcc_iterator_valid(it->it);
}

/* The key or the value of the current entry; NULL with *len = 0 when there is none to read.
 * The whole path, for every case: the accessors below take it only when their fast path does not
 * apply. noinline: under WebAssembly a function whose body passes structs by value (the blob read
 * below) reserves a frame on the linear-memory stack on every call, taken or not, and the
 * accessors run twice per scanned entry. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static const void *iterator_read(const strata_iterator *it, size_t *len, int value, const char *fn) {
  if (!arg_in_memory(len, sizeof *len)) len = NULL; /* treated as NULL: misuse */
  if (len) *len = 0;
  if (!handle_is(it, HANDLE_ITERATOR)) return NULL;
  if (!len) {
    iterator_misuse(it, fn, value ? "vlen is NULL" : "klen is NULL");
    return NULL;
  }
  if (!mvcc_iterator_valid(it->it)) {
    iterator_misuse(it, fn, "the iterator is not valid (check strata_iterator_valid before reading)");
    return NULL;
  }
  slice s = value ? mvcc_iterator_value(it->it) : mvcc_iterator_key(it->it);
  if (value && mvcc_iterator_value_is_handle(it->it)) {
    /* only a value asked for reads its blob (the iterator pins the version listing the file);
     * the iterator is malloc'd, so its buffer may change behind the const */
    strata_iterator *m = (strata_iterator *)it;
    strata_status *st = tree_resolve_value(m->tree, mvcc_iterator_key(it->it), s, 1, &m->value);
    if (st) {
      if (!m->read_error) m->read_error = st;
      else strata_status_free(st);
      return NULL;
    }
    s = buffer_slice(&m->value);
    if (!s.data) s.data = (const uint8_t *)""; /* an empty value is still a value */
  }
  *len = s.len;
  return s.data;
}

/* The accessors' common case, checked as iterator_read checks it: a live iterator on an entry, a
 * length pointer inside memory, and (for values) no blob to read. */
static inline const mvcc_iterator *iterator_on_entry(const strata_iterator *it, const size_t *len) {
  if (!len || !arg_in_memory(len, sizeof *len) || !handle_is(it, HANDLE_ITERATOR)) return NULL;
  return mvcc_iterator_valid(it->it) ? it->it : NULL;
}

const void *strata_iterator_key(const strata_iterator *it, size_t *klen) {
  const mvcc_iterator *m = iterator_on_entry(it, klen);
  if (!m) return iterator_read(it, klen, 0, __func__);
  slice s = mvcc_iterator_key(m);
  *klen = s.len;
  return s.data;
}
const void *strata_iterator_value(const strata_iterator *it, size_t *vlen) {
  const mvcc_iterator *m = iterator_on_entry(it, vlen);
  if (!m || mvcc_iterator_value_is_handle(m)) return iterator_read(it, vlen, 1, __func__);
  slice s = mvcc_iterator_value(m);
  *vlen = s.len;
  return s.data;
}
/* The engine's error first; a recorded misuse after it (one per call). */
strata_status *strata_iterator_status(strata_iterator *it) {
  HANDLE_CHECK(it, HANDLE_ITERATOR);
  strata_status *st = mvcc_iterator_status(it->it);
  if (st) return st;
  if ((st = it->read_error)) {
    it->read_error = NULL;
    return st;
  }
  st = it->misuse;
  it->misuse = NULL;
  return st;
}
void strata_iterator_close(strata_iterator *it) {
  HANDLE_GUARD_VOID(it, HANDLE_ITERATOR);
  mvcc_iterator_destroy(it->it);
  tree_unref(it->tree);
  buffer_free(&it->value);
  strata_status_free(it->read_error);
  strata_status_free(it->misuse);
  handle_retire(&it->tag);
  free(it);
}

/* --- batches ----------------------------------------------------------------------------- */

strata_status *strata_batch_new(strata_batch **out) {
  ARG_NOT_NULL(out);
  *out = NULL;
  strata_batch *b = malloc(sizeof *b);
  if (!b) return status_no_memory();
  b->tag = HANDLE_BATCH;
  write_batch_init(&b->batch);
  *out = b;
  return NULL;
}

void strata_batch_free(strata_batch *b) {
  HANDLE_GUARD_VOID(b, HANDLE_BATCH);
  write_batch_free(&b->batch);
  handle_retire(&b->tag);
  free(b);
}

strata_status *strata_batch_put(strata_batch *b, const void *key, size_t klen, const void *value, size_t vlen) {
  HANDLE_CHECK(b, HANDLE_BATCH);
  ARG_BYTES(key, klen);
  ARG_BYTES(value, vlen);
  STATUS_TRY(db_check_key(klen));
  STATUS_TRY(db_check_value(vlen));
  STATUS_TRY(db_check_batch_room(&b->batch, klen, vlen));
  ARG_IN_MEMORY(key, klen);
  ARG_IN_MEMORY(value, vlen);
  return write_batch_put(&b->batch, slice_make(key, klen), slice_make(value, vlen));
}

strata_status *strata_batch_delete(strata_batch *b, const void *key, size_t klen) {
  HANDLE_CHECK(b, HANDLE_BATCH);
  ARG_BYTES(key, klen);
  STATUS_TRY(db_check_key(klen));
  STATUS_TRY(db_check_batch_room(&b->batch, klen, 0));
  ARG_IN_MEMORY(key, klen);
  return write_batch_delete(&b->batch, slice_make(key, klen));
}

strata_status *strata_batch_single_delete(strata_batch *b, const void *key, size_t klen) {
  HANDLE_CHECK(b, HANDLE_BATCH);
  ARG_BYTES(key, klen);
  STATUS_TRY(db_check_key(klen));
  STATUS_TRY(db_check_batch_room(&b->batch, klen, 0));
  ARG_IN_MEMORY(key, klen);
  return write_batch_single_delete(&b->batch, slice_make(key, klen));
}

size_t strata_batch_count(const strata_batch *b) {
  HANDLE_GUARD(b, HANDLE_BATCH, 0);
  return write_batch_count(&b->batch);
}
void strata_batch_clear(strata_batch *b) {
  HANDLE_GUARD_VOID(b, HANDLE_BATCH);
  write_batch_clear(&b->batch);
}

/* --- statistics -------------------------------------------------------------------------- */

strata_status *strata_get_stats(strata_db *db, strata_stats *out) {
  HANDLE_CHECK(db, HANDLE_DB);
  ARG_NOT_NULL(out);
  memset(out, 0, sizeof *out);
  super_version *sv = tree_current(db->tree);
  const version *v = sv->version;
  out->level_count = v->level_count;
  for (unsigned l = 0; l < v->level_count && l < 16; l++) {
    out->levels[l].tables = (uint32_t)version_level_table_count(v, l);
    out->levels[l].runs = (uint32_t)v->levels[l].run_count;
    out->levels[l].bytes = version_level_bytes(v, l);
  }
  out->memtable_bytes = super_version_memtable_bytes(sv);
  for (size_t i = 0; i < v->blob_count; i++) {
    out->blob_files++;
    out->blob_bytes += v->blobs[i].file->file_size;
    out->blob_stale_bytes += v->blobs[i].garbage_bytes;
  }
  out->sealed_memtables = (uint32_t)sv->sealed_count;
  super_version_unref(sv);
  block_cache_stats cs = block_cache_get_stats(tree_block_cache(db->tree));
  out->cache_hits = cs.hits;
  out->cache_misses = cs.misses;
  out->cache_bytes = cs.used_bytes;
  tree_counters tc = tree_get_counters(db->tree);
  out->bytes_written_user = atomic_u64_load(&db->bytes_written_user);
  out->bytes_written_flush = tc.bytes_flushed;
  out->flushes = tc.flushes;
  scheduler_counters sc = scheduler_get_counters(db->sched);
  out->write_stalls = sc.write_stalls;
  out->write_slowdowns = sc.write_slowdowns;
  out->bytes_written_compaction = sc.compaction.bytes_written;
  out->bytes_read_compaction = sc.compaction.bytes_read;
  out->compactions = sc.compaction.compactions;
  if (out->bytes_written_user)
    out->write_amplification =
        (double)(out->bytes_written_flush + out->bytes_written_compaction) / (double)out->bytes_written_user;
  out->blob_reads = tc.blob_reads;
  out->blob_files_reclaimed = tc.blob_files_deleted;
  out->blob_bytes_reclaimed = tc.blob_bytes_reclaimed;
  out->blob_bytes_relocated = sc.compaction.blob_bytes_relocated;
  out->seqno = atomic_u64_load(&db->visible_seqno);
  out->snapshots_open = (uint32_t)tree_snapshot_count(db->tree);
  out->versions_alive = (uint32_t)tree_versions_alive(db->tree);
  return NULL;
}
