/* tree_read.c -- point reads and iterators over a super version. */
#include <stdlib.h>
#include <string.h>

#include "../blob/blob_handle.h"
#include "../table/bloom.h"
#include "../util/check.h"
#include "../util/hot.h"
#include "merge_iterator.h"
#include "run_iterator.h"
#include "tree_internal.h"

super_version *tree_current(tree *t) { return version_history_current(&t->history); }

super_version *tree_for_snapshot(tree *t, uint64_t seqno) {
  return seqno >= SEQNO_READ_ALL ? version_history_current(&t->history)
                                 : version_history_for_snapshot(&t->history, seqno);
}

/* What a lookup found in one layer: nothing yet, a value, or a delete that hides older layers. */
enum lookup { LOOKUP_MISS, LOOKUP_VALUE, LOOKUP_HANDLE, LOOKUP_DELETED }; /* HANDLE: the value is in a blob file */

static enum lookup found_type(value_type type) {
  if (value_type_is_tombstone(type)) return LOOKUP_DELETED;
  return type == VALUE_TYPE_INDIRECTION ? LOOKUP_HANDLE : LOOKUP_VALUE;
}

static enum lookup memtable_lookup(const memtable *mt, slice key, uint64_t snapshot, slice *value) {
  int found = 0;
  value_type type = VALUE_TYPE_VALUE;
  memtable_get(mt, key, snapshot, &found, &type, value);
  if (!found) return LOOKUP_MISS;
  return found_type(type);
}

static strata_status *table_lookup(tree *t, const table_info *ti, slice key, uint64_t hash, uint64_t snapshot,
                                   buffer *value, enum lookup *out) {
  *out = LOOKUP_MISS;
  if (ti->seqno_min >= snapshot) return NULL; /* everything in it is newer than the snapshot */
  file_cache_handle *h = NULL;
  table_reader *r = NULL;
  STATUS_TRY(tree_table_reader(t, ti->id, &h, &r));
  int found = 0;
  internal_key k;
  /* version_run_find placed the key inside the table's range */
  strata_status *st = table_reader_get_in_range(r, key, hash, snapshot, &found, &k, value);
  file_cache_release(t->tables, h);
  if (!st && found) *out = found_type(k.type);
  return st;
}

/* Newest layer first: active memtable, sealed ones, level-0 runs, then each deeper level. */
static strata_status *lookup(tree *t, super_version *sv, slice key, uint64_t snapshot, buffer *value,
                             enum lookup *result) {
  slice v;
  enum lookup r = memtable_lookup(sv->active, key, snapshot, &v);
  for (size_t i = 0; r == LOOKUP_MISS && i < sv->sealed_count; i++) r = memtable_lookup(sv->sealed[i], key, snapshot, &v);
  if (r != LOOKUP_MISS) {
    *result = r;
    if (r != LOOKUP_DELETED && value) {
      buffer_clear(value);
      return buffer_append(value, v.data, v.len);
    }
    return NULL;
  }
  buffer scratch; /* only for a caller that wants no value (tree_contains_key) */
  buffer *out = value;
  if (!out) {
    buffer_init(&scratch);
    out = &scratch;
  }
  uint64_t hash = bloom_key_hash(key);
  const version *ver = sv->version;
  strata_status *st = NULL;
  for (unsigned i = 0; !st && r == LOOKUP_MISS && i < ver->run_level_count; i++) {
    const version_level *lv = &ver->levels[ver->run_levels[i]];
    for (size_t run = 0; !st && r == LOOKUP_MISS && run < lv->run_count; run++) {
      const table_info *ti = version_run_find(&lv->runs[run], key);
      if (ti) st = table_lookup(t, ti, key, hash, snapshot, out, &r);
    }
  }
  if (out == &scratch) buffer_free(&scratch);
  *result = r;
  return st;
}

/* The stored entry: a value, or a handle left unresolved (*handle = 1). Always inlined:
 * binaryen stopped inlining it once the buffer calls became inline (util/hot.h). */
static STRATA_HOT strata_status *get_stored(tree *t, super_version *sv, slice key, uint64_t snapshot, int *found,
                                            int *handle, buffer *value) {
  super_version *own = sv ? NULL : tree_for_snapshot(t, snapshot);
  enum lookup r = LOOKUP_MISS;
  strata_status *st = lookup(t, sv ? sv : own, key, snapshot, value, &r);
  if (own) super_version_unref(own);
  *found = !st && (r == LOOKUP_VALUE || r == LOOKUP_HANDLE);
  *handle = r == LOOKUP_HANDLE;
  return st;
}

strata_status *tree_get(tree *t, super_version *sv, slice key, uint64_t snapshot, int *found, buffer *value) {
  int handle = 0;
  /* one super version for both steps: it keeps the blob file listed (and on disk) while it reads */
  super_version *own = sv ? NULL : tree_for_snapshot(t, snapshot);
  strata_status *st = get_stored(t, sv ? sv : own, key, snapshot, found, &handle, value);
  if (!st && *found && handle) { /* the handle moves aside: the value replaces it in the caller's buffer */
    uint8_t h[BLOB_HANDLE_MAX_SIZE];
    size_t len = value->len;
    if (len > sizeof h) {
      st = status_new(STRATA_CORRUPTION, "a value handle of %zu bytes (at most %u)", len, BLOB_HANDLE_MAX_SIZE);
    } else {
      if (len) memcpy(h, value->data, len);
      st = tree_resolve_value(t, key, slice_make(h, len), 1, value);
    }
  }
  if (own) super_version_unref(own);
  return st;
}

/* Neither reads a blob: a handle answers both. */
strata_status *tree_contains_key(tree *t, slice key, uint64_t snapshot, int *found) {
  super_version *sv = tree_for_snapshot(t, snapshot);
  enum lookup r = LOOKUP_MISS;
  strata_status *st = lookup(t, sv, key, snapshot, NULL, &r);
  super_version_unref(sv);
  *found = !st && (r == LOOKUP_VALUE || r == LOOKUP_HANDLE);
  return st;
}

strata_status *tree_size_of(tree *t, super_version *sv, slice key, uint64_t snapshot, int *found, uint64_t *size) {
  buffer value;
  buffer_init(&value);
  int handle = 0;
  strata_status *st = get_stored(t, sv, key, snapshot, found, &handle, &value);
  *size = value.len;
  if (!st && *found && handle) {
    blob_handle h;
    st = blob_handle_decode(buffer_slice(&value), "a table entry", &h);
    *size = st ? 0 : h.raw_size;
  }
  buffer_free(&value);
  return st;
}

/* --- iterators --------------------------------------------------------------------------- */

/* What an iterator's sources need: the super version (its memtables and tables) and the tree. */
static void release_pins(void *sv, void *t) {
  super_version_unref(sv);
  tree_unref(t);
}

/* A memtable with nothing below the snapshot now (empty, or only newer writes: a snapshot's super
 * version keeps the memtable that was active, which goes on taking writes) holds nothing the
 * iterator can see, now or later: whatever lands in it afterwards has a seqno at or above every
 * snapshot taken so far. (SEQNO_READ_ALL sees later writes: kept.) */
static int memtable_needed(const memtable *mt, uint64_t snapshot) {
  if (snapshot >= SEQNO_READ_ALL) return 1;
  int needed = memtable_holds_below(mt, snapshot);
  STRATA_TESTCASE(!needed && !memtable_is_empty(mt)); /* skipped: it holds only newer writes */
  return needed;
}

/* How many child streams a super version can have: memtables, then one per run. */
static size_t children_bound(const super_version *sv) {
  size_t n = 1 + sv->sealed_count;
  const version *v = sv->version;
  for (unsigned l = 0; l < v->level_count; l++) n += v->levels[l].run_count;
  return n;
}

/* Every child stream of a super version into kids (children_bound of them fit): memtables, then
 * one per run, newest first. */
static strata_status *collect_children(tree *t, super_version *sv, uint64_t snapshot, iter_arena *arena,
                                       kv_iterator **kids, size_t *count) {
  const version *v = sv->version;
  size_t k = 0;
  strata_status *st = NULL;
  if (memtable_needed(sv->active, snapshot)) {
    st = memtable_iterator_new(sv->active, arena, &kids[k]);
    if (!st) k++;
  }
  for (size_t i = 0; !st && i < sv->sealed_count; i++) {
    if (!memtable_needed(sv->sealed[i], snapshot)) continue;
    st = memtable_iterator_new(sv->sealed[i], arena, &kids[k]);
    if (!st) k++;
  }
  table_read_options ro = {.snapshot = snapshot, .fill_cache = 1, .arena = arena};
  for (unsigned l = 0; !st && l < v->level_count; l++)
    for (size_t r = 0; !st && r < v->levels[l].run_count; r++) {
      st = run_iterator_new(t, &v->levels[l].runs[r], &ro, &kids[k]);
      if (!st) k++;
    }
  if (st) {
    for (size_t i = 0; i < k; i++) kv_iterator_destroy(kids[i]);
    return st;
  }
  *count = k;
  return NULL;
}

strata_status *tree_iterator(tree *t, super_version *sv, uint64_t snapshot, const key_range *range,
                             iter_arena *arena, mvcc_iterator **out) {
  super_version *pinned = sv ? super_version_ref(sv) : tree_for_snapshot(t, snapshot);
  kv_iterator *local[16]; /* the children's list until the merge copies it: no allocation when they fit */
  size_t bound = children_bound(pinned), n = 0;
  kv_iterator **kids = bound <= sizeof local / sizeof local[0] ? local : malloc(bound * sizeof *kids);
  kv_iterator *merged = NULL;
  strata_status *st = kids ? collect_children(t, pinned, snapshot, arena, kids, &n) : status_no_memory();
  /* one stream needs no merging (a settled tree: one run, empty memtables) */
  if (!st && n == 1) merged = kids[0];
  else if (!st) st = merge_iterator_new(kids, n, arena, &merged); /* takes the children */
  if (kids != local) free(kids);
  if (!st) st = mvcc_iterator_new(merged, snapshot, range, arena, out); /* destroys merged on failure */
  if (st) {
    super_version_unref(pinned);
    return st;
  }
  mvcc_iterator_set_release(*out, release_pins, pinned, tree_ref(t));
  return NULL;
}

static strata_status *edge_key_value(tree *t, uint64_t snapshot, int last, int *found, buffer *key,
                                     buffer *value) {
  key_range all = key_range_all();
  mvcc_iterator *it = NULL;
  STATUS_TRY(tree_iterator(t, NULL, snapshot, &all, NULL, &it));
  if (last) mvcc_iterator_seek_last(it);
  else mvcc_iterator_seek_first(it);
  *found = mvcc_iterator_valid(it);
  strata_status *st = mvcc_iterator_status(it);
  if (!st && *found) {
    slice k = mvcc_iterator_key(it), v = mvcc_iterator_value(it);
    buffer_clear(key);
    buffer_clear(value);
    st = buffer_append(key, k.data, k.len);
    if (!st && mvcc_iterator_value_is_handle(it)) st = tree_resolve_value(t, k, v, 1, value);
    else if (!st) st = buffer_append(value, v.data, v.len);
  }
  mvcc_iterator_destroy(it);
  return st;
}

strata_status *tree_first_key_value(tree *t, uint64_t snapshot, int *found, buffer *key, buffer *value) {
  return edge_key_value(t, snapshot, 0, found, key, value);
}

strata_status *tree_last_key_value(tree *t, uint64_t snapshot, int *found, buffer *key, buffer *value) {
  return edge_key_value(t, snapshot, 1, found, key, value);
}

strata_status *tree_len(tree *t, uint64_t snapshot, uint64_t *out) {
  key_range all = key_range_all();
  mvcc_iterator *it = NULL;
  STATUS_TRY(tree_iterator(t, NULL, snapshot, &all, NULL, &it));
  uint64_t n = 0;
  for (mvcc_iterator_seek_first(it); mvcc_iterator_valid(it); mvcc_iterator_next(it)) n++;
  strata_status *st = mvcc_iterator_status(it);
  mvcc_iterator_destroy(it);
  *out = n;
  return st;
}

uint64_t tree_approximate_len(tree *t) {
  super_version *sv = tree_current(t);
  uint64_t n = memtable_entry_count(sv->active);
  for (size_t i = 0; i < sv->sealed_count; i++) n += memtable_entry_count(sv->sealed[i]);
  const version *v = sv->version;
  for (unsigned l = 0; l < v->level_count; l++)
    for (size_t r = 0; r < v->levels[l].run_count; r++)
      for (size_t i = 0; i < v->levels[l].runs[r].count; i++) n += v->levels[l].runs[r].tables[i]->entry_count;
  super_version_unref(sv);
  return n;
}
