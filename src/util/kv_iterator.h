/*
 * kv_iterator.h -- the iterator interface over sorted internal entries.
 *
 * Memtables, blocks, tables, merged views and the MVCC stream all implement it, so the tree can
 * stack them. Double-ended: any mix of next() and prev() on one iterator is allowed.
 *
 * key() and value() stay valid until the iterator moves or is destroyed. When an iterator hits
 * an error (a corrupt block, an I/O failure) it becomes invalid and status() hands the error to
 * the caller (ownership moves; later calls return NULL until another error).
 */
#ifndef STRATA_UTIL_KV_ITERATOR_H
#define STRATA_UTIL_KV_ITERATOR_H

#include "internal_key.h"
#include "iter_arena.h"
#include "slice.h"
#include "status.h"

typedef struct kv_iterator kv_iterator;

/*
 * The moves are virtual; the position is not. Every iterator keeps its current entry in the base
 * struct (valid, key, value), set by each move, so valid()/key()/value() are field reads: a scan
 * through a stack of iterators (mvcc -> merge -> run -> two-level -> block) costs one indirect
 * call per layer per step instead of a call per layer for every question asked of the position
 * (under WebAssembly each call_indirect is a table and signature check V8 does not inline).
 * A layer that forwards to an inner iterator copies its position after moving it
 * (kv_iterator_copy_position). key and value are meaningful only while valid is 1.
 */
typedef struct kv_iterator_ops {
  void (*seek_first)(kv_iterator *it);
  void (*seek_last)(kv_iterator *it);
  void (*seek)(kv_iterator *it, const internal_key *target);          /* first entry >= target */
  void (*seek_for_prev)(kv_iterator *it, const internal_key *target); /* last entry <= target */
  void (*next)(kv_iterator *it);
  void (*prev)(kv_iterator *it);
  strata_status *(*status)(kv_iterator *it);
  void (*destroy)(kv_iterator *it);
} kv_iterator_ops;

struct kv_iterator {
  const kv_iterator_ops *ops;
  int valid;
  unsigned char in_arena; /* set by kv_iterator_alloc, for kv_iterator_free; init leaves it */
  internal_key key;
  slice value;
};

/* For implementations: n zero bytes for an iterator whose base leads them, from the stack's
 * region when it has room (util/iter_arena.h), else malloc'd; NULL when out of memory. */
static inline void *kv_iterator_alloc(iter_arena *a, size_t n) {
  unsigned char in_arena;
  kv_iterator *it = iter_arena_alloc(a, n, &in_arena);
  if (it) it->in_arena = in_arena;
  return it;
}

/* For implementations' destroy: gives back what kv_iterator_alloc took (nothing from a region). */
static inline void kv_iterator_free(kv_iterator *it) { iter_arena_free(it, it->in_arena); }

/* Sets up the base of a new iterator: unpositioned. */
static inline void kv_iterator_init(kv_iterator *it, const kv_iterator_ops *ops) {
  it->ops = ops;
  it->valid = 0;
  it->key = internal_key_make(slice_empty(), 0, VALUE_TYPE_VALUE);
  it->value = slice_empty();
}

/* For implementations: the entry the iterator now sits on, or none. */
static inline void kv_iterator_set_position(kv_iterator *it, internal_key key, slice value) {
  it->valid = 1;
  it->key = key;
  it->value = value;
}
static inline void kv_iterator_set_invalid(kv_iterator *it) { it->valid = 0; }
/* A forwarding layer takes its inner iterator's position (src NULL = none). */
static inline void kv_iterator_copy_position(kv_iterator *dst, const kv_iterator *src) {
  if (src && src->valid) kv_iterator_set_position(dst, src->key, src->value);
  else dst->valid = 0;
}

static inline void kv_iterator_seek_first(kv_iterator *it) { it->ops->seek_first(it); }
static inline void kv_iterator_seek_last(kv_iterator *it) { it->ops->seek_last(it); }
static inline void kv_iterator_seek(kv_iterator *it, const internal_key *t) { it->ops->seek(it, t); }
static inline void kv_iterator_seek_for_prev(kv_iterator *it, const internal_key *t) { it->ops->seek_for_prev(it, t); }
static inline void kv_iterator_next(kv_iterator *it) { it->ops->next(it); }
static inline void kv_iterator_prev(kv_iterator *it) { it->ops->prev(it); }
static inline int kv_iterator_valid(const kv_iterator *it) { return it->valid; }
static inline internal_key kv_iterator_key(const kv_iterator *it) { return it->key; }
static inline slice kv_iterator_value(const kv_iterator *it) { return it->value; }
static inline strata_status *kv_iterator_status(kv_iterator *it) { return it->ops->status(it); }
static inline void kv_iterator_destroy(kv_iterator *it) {
  if (it) it->ops->destroy(it);
}

#endif
