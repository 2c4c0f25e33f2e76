/* The static search tree over restart tags (layout in restart_tree.h). */
#include "restart_tree.h"

#include <stdlib.h>
#include <string.h>

#define LINE 64

typedef struct fill_state {
  const uint8_t *tags; /* the caller's tags, `stride` bytes apart */
  size_t stride;
  restart_value_fn value_of;
  const void *ctx;
  uint32_t next;       /* the next tag, in order */
} fill_state;

/* In order: child 0, slot 0, child 1, slot 1, ..., child FANOUT. Depth is log9(count). */
static void fill(restart_tree *t, fill_state *s, uint32_t k) {
  if (k >= t->nodes) return;
  for (uint32_t i = 0; i <= RESTART_TREE_FANOUT; i++) {
    fill(t, s, k * (RESTART_TREE_FANOUT + 1) + 1 + i);
    if (i == RESTART_TREE_FANOUT) break;
    size_t slot = (size_t)k * RESTART_TREE_FANOUT + i;
    restart_tree_slot *sl = &t->slot[slot];
    sl->value_len = RESTART_TREE_NO_VALUE;
    if (s->next < t->count) {
      memcpy(&t->tags[slot], s->tags + (size_t)s->next * s->stride, sizeof(uint64_t));
      slice v = s->value_of(s->ctx, s->next);
      if (v.len <= RESTART_TREE_VALUE_MAX) {
        if (v.len) memcpy(sl->value, v.data, v.len);
        sl->value_len = (uint8_t)v.len;
      }
      sl->pos = s->next++;
    } else {
      t->tags[slot] = UINT64_MAX;
      sl->pos = t->count;
    }
  }
}

strata_status *restart_tree_build(const uint64_t *tags, size_t stride, uint32_t count, restart_value_fn value_of,
                                  const void *ctx, restart_tree *out) {
  memset(out, 0, sizeof *out);
  uint32_t nodes = (count + RESTART_TREE_FANOUT - 1) / RESTART_TREE_FANOUT;
  size_t slots = (size_t)nodes * RESTART_TREE_FANOUT;
  size_t bytes = LINE + slots * sizeof(uint64_t) + slots * sizeof(restart_tree_slot);
  uint8_t *mem = malloc(bytes);
  if (!mem) return status_no_memory();
  out->mem = mem;
  out->tags = (uint64_t *)(mem + (LINE - (uintptr_t)mem % LINE)); /* whole nodes on whole lines */
  out->slot = (restart_tree_slot *)(out->tags + slots);
  out->nodes = nodes;
  out->count = count;
  out->bytes = bytes;
  fill_state s = {(const uint8_t *)tags, stride, value_of, ctx, 0};
  fill(out, &s, 0);
  return NULL;
}

void restart_tree_free(restart_tree *t) {
  free(t->mem);
  memset(t, 0, sizeof *t);
}
