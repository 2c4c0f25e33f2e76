/*
 * restart_tree.h -- a static search tree over the restart tags of a large block (a table's
 * top-level index), built once when the block is opened by its owner.
 *
 * A binary search over the block's restart table touches one cache line per probe: for a table
 * of 8,000 data blocks that is 13 probes, the last 7 or so on lines no other search shares
 * (misses). This tree holds the same 64-bit tags (block_restart.tag) in nodes of
 * RESTART_TREE_FANOUT, each node one 64-byte line, children of node k at k * (FANOUT + 1) + 1 +
 * i (breadth first, an "S-tree"): a search reads one line per level, log9(n) levels, the top
 * two or three of which stay in the CPU cache across searches. Beside each tag its restart
 * index (for the answer) and, when it is short, a copy of that restart entry's value: a table's
 * index answers with the data block's handle from the tree's own line, without reading the
 * restart array or the entry (two cache misses on a large index). The tree only says which
 * restart holds the first tag >= a target's tag; equal tags (keys that agree beyond the tag's 8
 * bytes) are settled by the caller with whole-key compares, as before.
 *
 * Memory: 24 bytes per restart rounded up to whole nodes, plus one line of alignment (in
 * restart_tree.bytes, charged with the block).
 */
#ifndef STRATA_TABLE_RESTART_TREE_H
#define STRATA_TABLE_RESTART_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/slice.h"
#include "../util/status.h"

#define RESTART_TREE_FANOUT 8     /* tags per node: 8 x 8 bytes, one cache line */
#define RESTART_TREE_MIN 64       /* blocks with fewer restarts are searched as before */

#define RESTART_TREE_VALUE_MAX 11   /* longer values are not copied (a block handle takes 3-9) */
#define RESTART_TREE_NO_VALUE 0xff  /* restart_tree_slot.value_len of a value not copied */

typedef struct restart_tree_slot {
  uint32_t pos;      /* the restart index (count for padding) */
  uint8_t value_len; /* or RESTART_TREE_NO_VALUE */
  uint8_t value[RESTART_TREE_VALUE_MAX];
} restart_tree_slot;

typedef struct restart_tree {
  void *mem;               /* the allocation holding both arrays */
  uint64_t *tags;          /* nodes * FANOUT, node-major, 64-byte aligned; slots past `count` hold UINT64_MAX */
  restart_tree_slot *slot; /* beside each tag */
  uint32_t nodes, count;
  size_t bytes;
} restart_tree;

/* The value of restart i, for the tree to copy when it is short (restart_tree_build). */
typedef slice (*restart_value_fn)(const void *ctx, uint32_t i);

/* Builds the tree over tags[0..count) (ascending), with the restarts' values from value_of. */
STRATA_MUST_USE strata_status *restart_tree_build(const uint64_t *tags, size_t stride, uint32_t count,
                                                  restart_value_fn value_of, const void *ctx, restart_tree *out);
void restart_tree_free(restart_tree *t);

/* The slot of the first restart whose tag is >= tag, or NULL when none; its tag in *found
 * (UINT64_MAX when none). */
static inline const restart_tree_slot *restart_tree_lower_bound(const restart_tree *t, uint64_t tag,
                                                                uint64_t *found) {
  size_t slot = SIZE_MAX; /* the answer's slot: read once, at the end */
  uint32_t k = 0;
  *found = UINT64_MAX;
  while (k < t->nodes) {
    const uint64_t *node = t->tags + (size_t)k * RESTART_TREE_FANOUT;
    uint32_t i = 0;
    for (uint32_t j = 0; j < RESTART_TREE_FANOUT; j++) i += node[j] < tag; /* branch-free */
    if (i < RESTART_TREE_FANOUT) {
      slot = (size_t)k * RESTART_TREE_FANOUT + i;
      *found = node[i];
    }
    k = k * (RESTART_TREE_FANOUT + 1) + 1 + i;
  }
  return slot == SIZE_MAX ? NULL : &t->slot[slot];
}

#endif
