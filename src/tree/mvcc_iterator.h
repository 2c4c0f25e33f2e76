/*
 * mvcc_iterator.h -- what a reader at a snapshot sees: one value per live user key.
 *
 * Wraps a raw stream of internal entries (usually a merge_iterator) and yields, for each user key
 * inside the range, the newest version with seqno < snapshot -- unless that version is a
 * tombstone or weak tombstone, in which case the key is skipped. Double-ended, with any mix of
 * next() and prev(); the algorithm follows LevelDB's DBIter: forward positions sit on the inner
 * entry, reverse positions keep a copy of the key and value because the inner iterator has
 * already walked past them.
 */
#ifndef STRATA_TREE_MVCC_ITERATOR_H
#define STRATA_TREE_MVCC_ITERATOR_H

#include <stdint.h>

#include "../util/kv_iterator.h"
#include "key_range.h"

typedef struct mvcc_iterator mvcc_iterator;

/* The current entry, kept by every move at the start of the iterator so that reading it is a
 * field read, not a call (valid/key/value are asked once or more per entry of every scan). */
typedef struct mvcc_position {
  int valid;
  int value_is_handle;
  slice key, value; /* meaningful while valid; stay so until the iterator moves */
} mvcc_position;

/* Takes ownership of `inner` (also on failure). The range's key bytes are copied. Taken from
 * `arena` when it has room (util/iter_arena.h; NULL: malloc). */
STRATA_MUST_USE strata_status *mvcc_iterator_new(kv_iterator *inner, uint64_t snapshot, const key_range *range,
                                                 iter_arena *arena, mvcc_iterator **out);
void mvcc_iterator_destroy(mvcc_iterator *it);
/* Calls release(a, b) on destroy, after the inner stream is gone: what keeps the stream's sources
 * alive (the tree's super version) rides on the iterator instead of an extra forwarding layer. */
void mvcc_iterator_set_release(mvcc_iterator *it, void (*release)(void *a, void *b), void *a, void *b);

void mvcc_iterator_seek_first(mvcc_iterator *it);
void mvcc_iterator_seek_last(mvcc_iterator *it);
void mvcc_iterator_seek(mvcc_iterator *it, slice user_key);          /* first key >= user_key */
void mvcc_iterator_seek_for_prev(mvcc_iterator *it, slice user_key); /* last key <= user_key */
void mvcc_iterator_next(mvcc_iterator *it);
void mvcc_iterator_prev(mvcc_iterator *it);
/* (an mvcc_iterator begins with its mvcc_position) */
static inline int mvcc_iterator_valid(const mvcc_iterator *it) { return ((const mvcc_position *)it)->valid; }
static inline slice mvcc_iterator_key(const mvcc_iterator *it) { return ((const mvcc_position *)it)->key; }
static inline slice mvcc_iterator_value(const mvcc_iterator *it) { return ((const mvcc_position *)it)->value; }
/* Whether the value is a blob handle (key-value separation): resolve it with tree_resolve_value. */
static inline int mvcc_iterator_value_is_handle(const mvcc_iterator *it) {
  return ((const mvcc_position *)it)->value_is_handle;
}
/* The first error met (ownership moves to the caller); the iterator is invalid after one. */
strata_status *mvcc_iterator_status(mvcc_iterator *it);

#endif
