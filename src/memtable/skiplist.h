/*
 * skiplist.h -- a sorted list of internal entries in an arena, for one writer and many readers.
 *
 * Order is internal_key_compare: user key ascending, then seqno descending (then type
 * descending, since seqno and type share the trailer). A node is one arena allocation from the
 * front of a chunk; the node pointer points at its level-0 link, the higher links lie below it:
 *
 *   +--------------------+---------+---------+-----------+-----------+----------+----------+
 *   | next[height-1..1]  | next[0] | trailer | key_len   | value_len | value    | user key |
 *   | atomic pointers    | <- node | u64     | u32       | u32       | pointer  | key_len  |
 *   +--------------------+---------+---------+-----------+-----------+----------+----------+
 *
 * and its value comes from the back of the chunk (arena_alloc_back), so the nodes a search walks
 * are packed together: a comparison reads 48 bytes for a 16-byte key, whatever the height. An
 * insert copies the caller's bytes once and calls malloc only when a chunk runs out.
 *
 * Concurrency (STRATA_THREADS=1): inserts must be serialised by the caller; lookups and
 * iterators may run at the same time on any thread. A node is filled completely, then linked
 * bottom-up with release stores; readers follow links with acquire loads, so a reader either
 * misses a new node or sees all of its bytes. Nodes are never unlinked or changed after that.
 * Single-threaded builds compile the same code to plain loads and stores.
 *
 * Backward steps search from the head for the last node before the current one (as LevelDB
 * does) instead of keeping back links: O(log n) per step, but no extra pointer per node and no
 * second link that a reader could see out of step with the forward one.
 */
#ifndef STRATA_MEMTABLE_SKIPLIST_H
#define STRATA_MEMTABLE_SKIPLIST_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "util/internal_key.h"
#include "util/slice.h"
#include "util/status.h"
#include "util/sync.h"

#define SKIPLIST_MAX_HEIGHT 12 /* with branching 4: ~4^12 = 16M entries before it degrades */

typedef struct skiplist_node skiplist_node;

typedef struct skiplist {
  arena *arena;             /* borrowed; must outlive the list */
  skiplist_node *head;      /* sentinel with SKIPLIST_MAX_HEIGHT links, no key */
  atomic_u64 max_height;    /* height of the tallest node so far, >= 1 */
  atomic_u64 count;         /* entries linked */
  uint64_t rng;             /* height PRNG state (writer only) */
  /* Writer only: the last node inserted and the links an insert right after it would splice
   * (that node on its levels, its predecessors above), so that ascending inserts skip the search. */
  skiplist_node *last;
  skiplist_node *last_splice[SKIPLIST_MAX_HEIGHT];
} skiplist;

/* Allocates the head node from `a`. `seed` makes node heights reproducible. */
STRATA_MUST_USE strata_status *skiplist_init(skiplist *list, arena *a, uint64_t seed);

/*
 * Copies the entry into the arena and links it. INVALID_ARGUMENT when an entry with the same
 * user key and seqno is already present (a batch gives each key one seqno: the layer above
 * keeps the last write of a key per batch) -- the list would otherwise hold two answers for one
 * snapshot. Bytes of the node (key + value + links) added go to *node_bytes if not NULL.
 */
STRATA_MUST_USE strata_status *skiplist_insert(skiplist *list, const internal_key *key, slice value,
                                               size_t *node_bytes);

/* The most arena bytes one insert of this key and value can take (tallest node, worst padding):
 * what to arena_reserve so that the inserts cannot fail. SIZE_MAX when it does not fit. */
size_t skiplist_node_bound(size_t key_len, size_t value_len);

static inline uint64_t skiplist_count(const skiplist *list) {
  return atomic_u64_load(&list->count);
}

/* A position in the list; plain value, no resources. */
typedef struct skiplist_iter {
  const skiplist *list;
  const skiplist_node *node; /* NULL: not valid */
} skiplist_iter;

void skiplist_iter_init(skiplist_iter *it, const skiplist *list);
static inline int skiplist_iter_valid(const skiplist_iter *it) { return it->node != NULL; }
void skiplist_iter_seek_first(skiplist_iter *it);
void skiplist_iter_seek_last(skiplist_iter *it);
void skiplist_iter_seek(skiplist_iter *it, const internal_key *target);          /* first >= */
void skiplist_iter_seek_for_prev(skiplist_iter *it, const internal_key *target); /* last <= */
void skiplist_iter_next(skiplist_iter *it);
void skiplist_iter_prev(skiplist_iter *it);
/* Views into the arena; the iterator must be valid. */
internal_key skiplist_iter_key(const skiplist_iter *it);
slice skiplist_iter_value(const skiplist_iter *it);

#endif
