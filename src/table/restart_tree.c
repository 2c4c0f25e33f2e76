/* The static search tree over restart tags (layout in restart_tree.h). */
#include "restart_tree.h"

#include <stdlib.h>
#include <string.h>

#define LINE 64

typedef struct fill_state {
  const uint8_t *tags; /* the caller's tags, `stride` bytes apart */
  size_t stride;
  uint32_t next;       /* the next tag, in order */
} fill_state;

/* In order: child 0, slot 0, child 1, slot 1, ..., child FANOUT. Depth is log9(count). */
static void fill(restart_tree *t, fill_state *s, uint32_t k) {
  if (k >= t->nodes) return;
  for (uint32_t i = 0; i <= RESTART_TREE_FANOUT; i++) {
    fill(t, s, k * (RESTART_TREE_FANOUT + 1) + 1 + i);
    if (i == RESTART_TREE_FANOUT) break;
    size_t slot = (size_t)k * RESTART_TREE_FANOUT + i;
    if (s->next < t->count) {
      memcpy(&t->tags[slot], s->tags + (size_t)s->next * s->stride, sizeof(uint64_t));
      t->pos[slot] = s->next++;
    } else {
      t->tags[slot] = UINT64_MAX;
      t->pos[slot] = t->count;
    }
  }
}

strata_status *restart_tree_build(const uint64_t *tags, size_t stride, uint32_t count, restart_tree *out) {
  memset(out, 0, sizeof *out);
  uint32_t nodes = (count + RESTART_TREE_FANOUT - 1) / RESTART_TREE_FANOUT;
  size_t slots = (size_t)nodes * RESTART_TREE_FANOUT;
  size_t bytes = LINE + slots * sizeof(uint64_t) + slots * sizeof(uint32_t);
  uint8_t *mem = malloc(bytes);
  if (!mem) return status_no_memory();
  out->mem = mem;
  out->tags = (uint64_t *)(mem + (LINE - (uintptr_t)mem % LINE)); /* whole nodes on whole lines */
  out->pos = (uint32_t *)(out->tags + slots);
  out->nodes = nodes;
  out->count = count;
  out->bytes = bytes;
  fill_state s = {(const uint8_t *)tags, stride, 0};
  fill(out, &s, 0);
  return NULL;
}

void restart_tree_free(restart_tree *t) {
  free(t->mem);
  memset(t, 0, sizeof *t);
}
