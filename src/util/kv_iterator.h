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
#include "slice.h"
#include "status.h"

typedef struct kv_iterator kv_iterator;

typedef struct kv_iterator_ops {
  void (*seek_first)(kv_iterator *it);
  void (*seek_last)(kv_iterator *it);
  void (*seek)(kv_iterator *it, const internal_key *target);          /* first entry >= target */
  void (*seek_for_prev)(kv_iterator *it, const internal_key *target); /* last entry <= target */
  void (*next)(kv_iterator *it);
  void (*prev)(kv_iterator *it);
  int (*valid)(const kv_iterator *it);
  internal_key (*key)(const kv_iterator *it);
  slice (*value)(const kv_iterator *it);
  strata_status *(*status)(kv_iterator *it);
  void (*destroy)(kv_iterator *it);
} kv_iterator_ops;

struct kv_iterator {
  const kv_iterator_ops *ops;
};

static inline void kv_iterator_seek_first(kv_iterator *it) { it->ops->seek_first(it); }
static inline void kv_iterator_seek_last(kv_iterator *it) { it->ops->seek_last(it); }
static inline void kv_iterator_seek(kv_iterator *it, const internal_key *t) { it->ops->seek(it, t); }
static inline void kv_iterator_seek_for_prev(kv_iterator *it, const internal_key *t) { it->ops->seek_for_prev(it, t); }
static inline void kv_iterator_next(kv_iterator *it) { it->ops->next(it); }
static inline void kv_iterator_prev(kv_iterator *it) { it->ops->prev(it); }
static inline int kv_iterator_valid(const kv_iterator *it) { return it->ops->valid(it); }
static inline internal_key kv_iterator_key(const kv_iterator *it) { return it->ops->key(it); }
static inline slice kv_iterator_value(const kv_iterator *it) { return it->ops->value(it); }
static inline strata_status *kv_iterator_status(kv_iterator *it) { return it->ops->status(it); }
static inline void kv_iterator_destroy(kv_iterator *it) {
  if (it) it->ops->destroy(it);
}

#endif
