/*
 * merge_iterator.h -- one sorted stream out of many (memtables, tables, runs).
 *
 * Yields every internal entry of every child in internal-key order, duplicates included; the
 * MVCC iterator above it decides which versions a reader sees. Children are few (the active and
 * sealed memtables, level-0 tables, one per deeper run), so the smallest child is found by a
 * linear scan, as LevelDB does; direction changes re-seek the other children.
 */
#ifndef STRATA_TREE_MERGE_ITERATOR_H
#define STRATA_TREE_MERGE_ITERATOR_H

#include <stddef.h>

#include "../util/kv_iterator.h"

/* Takes ownership of the children (destroyed with the merge iterator, also on failure); copies
 * the array. Taken from `arena` when it has room (util/iter_arena.h; NULL: malloc). */
STRATA_MUST_USE strata_status *merge_iterator_new(kv_iterator **children, size_t n, iter_arena *arena,
                                                  kv_iterator **out);

#endif
