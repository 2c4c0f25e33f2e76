/*
 * table_chain.h -- one forward stream over tables whose key ranges are disjoint and sorted,
 * opening one table at a time, without a tree or caches (for `strata repair`, which merges
 * tables that no version lists yet). A merge of many such chains holds one open table per
 * chain, not one per table.
 *
 * Forward only: seek_first and next. The other moves make the iterator invalid with
 * STRATA_NOT_SUPPORTED. Entries with any seqno are read (SEQNO_READ_ALL).
 */
#ifndef STRATA_TABLE_TABLE_CHAIN_H
#define STRATA_TABLE_TABLE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "../util/kv_iterator.h"
#include "../vfs/vfs.h"

/* The table with id ids[i] is the file paths[i]; both arrays are copied. may_map: as for
 * table_reader_open_mapping. */
STRATA_MUST_USE strata_status *table_chain_iterator_new(vfs *v, const char *const *paths, const uint64_t *ids,
                                                        size_t n, int may_map, kv_iterator **out);

#endif
