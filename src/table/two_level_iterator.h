/*
 * two_level_iterator.h -- iterates the entries of blocks named by another iterator.
 *
 * The outer iterator yields (last key of a block, block handle); `load` turns a handle into an
 * iterator over that block. Used twice for partitioned indexes (top index -> partitions ->
 * data blocks) and once for single-level ones. Double-ended; errors of either level surface
 * through status().
 */
#ifndef STRATA_TABLE_TWO_LEVEL_ITERATOR_H
#define STRATA_TABLE_TWO_LEVEL_ITERATOR_H

#include "../util/kv_iterator.h"
#include "../util/status.h"

/* *inout is NULL or the iterator of the previous block, which the function may reuse for the new
 * one; on failure it leaves *inout as it was (the caller destroys it). */
typedef strata_status *(*two_level_load_fn)(void *ctx, slice handle_value, kv_iterator **inout);

/* Takes ownership of outer (destroyed on failure too). Taken from `arena` when it has room
 * (util/iter_arena.h; NULL: malloc). */
STRATA_MUST_USE strata_status *two_level_iterator_new(kv_iterator *outer, two_level_load_fn load, void *ctx,
                                                      iter_arena *arena, kv_iterator **out);

/* Gives the iterator its load context: free_ctx(ctx) runs when it is destroyed. */
void two_level_iterator_own_ctx(kv_iterator *it, void (*free_ctx)(void *ctx));

/* Its methods and next(), for a caller that makes a direct call when its inner iterator is a
 * two-level one (a run over table iterators; see block_iterator_ops). */
extern const kv_iterator_ops two_level_iterator_ops;
void two_level_iterator_next(kv_iterator *it);

#endif
