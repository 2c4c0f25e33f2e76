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
 * index (for the answer). The tree only says which restart holds the first tag >= a target's
 * tag; equal tags (keys that agree beyond the tag's 8 bytes) are settled by the caller with
 * whole-key compares, as before.
 *
 * Memory: 12 bytes per restart rounded up to whole nodes, plus one line of alignment (reported
 * by restart_tree_bytes, charged with the block).
 */
#ifndef STRATA_TABLE_RESTART_TREE_H
#define STRATA_TABLE_RESTART_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/status.h"

#define RESTART_TREE_FANOUT 8     /* tags per node: 8 x 8 bytes, one cache line */
#define RESTART_TREE_MIN 64       /* blocks with fewer restarts are searched as before */

typedef struct restart_tree {
  void *mem;      /* the allocation holding both arrays */
  uint64_t *tags; /* nodes * FANOUT, node-major, 64-byte aligned; slots past `count` hold UINT64_MAX */
  uint32_t *pos;  /* the restart index of each slot (count for padding) */
  uint32_t nodes, count;
  size_t bytes;
} restart_tree;

/* Builds the tree over tags[0..count) (ascending). */
STRATA_MUST_USE strata_status *restart_tree_build(const uint64_t *tags, size_t stride, uint32_t count,
                                                  restart_tree *out);
void restart_tree_free(restart_tree *t);

/* The first restart whose tag is >= tag (count when none), its tag in *found (UINT64_MAX when
 * none). */
static inline uint32_t restart_tree_lower_bound(const restart_tree *t, uint64_t tag, uint64_t *found) {
  uint32_t answer = t->count, k = 0;
  *found = UINT64_MAX;
  while (k < t->nodes) {
    const uint64_t *node = t->tags + (size_t)k * RESTART_TREE_FANOUT;
    uint32_t i = 0;
    for (uint32_t j = 0; j < RESTART_TREE_FANOUT; j++) i += node[j] < tag; /* branch-free */
    if (i < RESTART_TREE_FANOUT) {
      answer = t->pos[(size_t)k * RESTART_TREE_FANOUT + i];
      *found = node[i];
    }
    k = k * (RESTART_TREE_FANOUT + 1) + 1 + i;
  }
  return answer;
}

#endif
