/*
 * run_iterator.h -- iterates a run (tables with disjoint, sorted key ranges) as one stream,
 * opening one table at a time through the tree's file cache, as lsm-tree's run reader does.
 * A long scan over a deep level thus holds one open table per run, not every table.
 */
#ifndef STRATA_TREE_RUN_ITERATOR_H
#define STRATA_TREE_RUN_ITERATOR_H

#include "../table/table_reader.h"
#include "tree.h"

/* The run (and its tables) must outlive the iterator: the caller pins the super version. Its
 * tables are read as ro says (copied): readers fill the block cache, compaction does not; the
 * iterator and its tables' iterators come from ro->arena while it has room. */
STRATA_MUST_USE strata_status *run_iterator_new(tree *t, const version_run *run, const table_read_options *ro,
                                                kv_iterator **out);

/* Its methods and next(), for the mvcc iterator's direct call over a single run (see
 * two_level_iterator.h). */
extern const kv_iterator_ops run_iterator_ops;
void run_iterator_next(kv_iterator *it);

#endif
