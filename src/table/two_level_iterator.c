/* Two-level iteration: an index iterator over block handles, a block iterator inside. */
#include "two_level_iterator.h"

#include <stdlib.h>
#include <string.h>

#include "../util/buffer.h"
#include "block_reader.h"

typedef struct two_level {
  kv_iterator base;
  kv_iterator *outer, *inner;
  two_level_load_fn load;
  void *ctx;
  void (*free_ctx)(void *ctx); /* NULL: the caller owns ctx */
  uint8_t inner_handle[32]; /* handle value the inner iterator was loaded from (2 varint64s) */
  size_t inner_handle_len;  /* 0: none (also for an overlong value, which never matches) */
  strata_status *st;
} two_level;

static void tl_fail(two_level *t, strata_status *st) {
  if (!st) return;
  if (!t->st) t->st = st;
  else strata_status_free(st);
}

static void tl_drop_inner(two_level *t) {
  kv_iterator_destroy(t->inner);
  t->inner = NULL;
  t->inner_handle_len = 0;
}

/* Loads the block the outer iterator points at (keeps the current one if it is the same). */
static int tl_load(two_level *t) {
  if (t->st) return 0;
  tl_fail(t, kv_iterator_status(t->outer));
  if (t->st || !kv_iterator_valid(t->outer)) {
    tl_drop_inner(t);
    return 0;
  }
  slice h = kv_iterator_value(t->outer);
  if (t->inner && t->inner_handle_len && slice_equal(h, slice_make(t->inner_handle, t->inner_handle_len))) return 1;
  t->inner_handle_len = 0;
  strata_status *st = t->load(t->ctx, h, &t->inner); /* reuses the previous block's iterator */
  if (!st && h.len <= sizeof t->inner_handle) {
    memcpy(t->inner_handle, h.data, h.len);
    t->inner_handle_len = h.len;
  }
  if (st) {
    tl_drop_inner(t);
    tl_fail(t, st);
    return 0;
  }
  return 1;
}

static int inner_ok(two_level *t) {
  if (!t->inner) return 0;
  if (kv_iterator_valid(t->inner)) return 1;
  tl_fail(t, kv_iterator_status(t->inner));
  return 0;
}

/* Takes the inner block's position (none after an error). */
static void tl_sync(two_level *t) {
  if (t->st) kv_iterator_set_invalid(&t->base);
  else kv_iterator_copy_position(&t->base, t->inner);
}

static void tl_skip_forward(two_level *t) {
  while (!t->st && !inner_ok(t) && !t->st) {
    if (!t->inner) break;
    kv_iterator_next(t->outer);
    if (!tl_load(t)) break;
    kv_iterator_seek_first(t->inner);
  }
  tl_sync(t);
}

static void tl_skip_backward(two_level *t) {
  while (!t->st && !inner_ok(t) && !t->st) {
    if (!t->inner) break;
    kv_iterator_prev(t->outer);
    if (!tl_load(t)) break;
    kv_iterator_seek_last(t->inner);
  }
  tl_sync(t);
}

static void tl_seek_first(kv_iterator *base) {
  two_level *t = (two_level *)base;
  kv_iterator_seek_first(t->outer);
  if (tl_load(t)) kv_iterator_seek_first(t->inner);
  tl_skip_forward(t);
}

static void tl_seek_last(kv_iterator *base) {
  two_level *t = (two_level *)base;
  kv_iterator_seek_last(t->outer);
  if (tl_load(t)) kv_iterator_seek_last(t->inner);
  tl_skip_backward(t);
}

static void tl_seek(kv_iterator *base, const internal_key *target) {
  two_level *t = (two_level *)base;
  kv_iterator_seek(t->outer, target);
  if (tl_load(t)) kv_iterator_seek(t->inner, target);
  tl_skip_forward(t);
}

static void tl_seek_for_prev(kv_iterator *base, const internal_key *target) {
  two_level *t = (two_level *)base;
  /* The first block whose last key >= target holds the answer or follows it. */
  kv_iterator_seek(t->outer, target);
  tl_fail(t, kv_iterator_status(t->outer));
  if (t->st) {
    tl_sync(t);
    return;
  }
  if (!kv_iterator_valid(t->outer)) kv_iterator_seek_last(t->outer);
  if (tl_load(t)) kv_iterator_seek_for_prev(t->inner, target);
  tl_skip_backward(t);
}

void two_level_iterator_next(kv_iterator *base) {
  two_level *t = (two_level *)base;
  if (!base->valid) return;
  /* the fast path of a scan: the next entry of the same block, by a direct call */
  kv_iterator *in = t->inner;
  if (in->ops == &block_iterator_ops) block_iterator_next(in);
  else kv_iterator_next(in);
  if (in->valid) {
    kv_iterator_set_position(base, in->key, in->value);
    return;
  }
  tl_skip_forward(t);
}

static void tl_prev(kv_iterator *base) {
  two_level *t = (two_level *)base;
  if (!base->valid) return;
  kv_iterator_prev(t->inner);
  tl_skip_backward(t);
}

static strata_status *tl_status(kv_iterator *base) {
  two_level *t = (two_level *)base;
  strata_status *st = t->st;
  t->st = NULL;
  if (st) { /* stays invalid until repositioned */
    tl_drop_inner(t);
    kv_iterator_set_invalid(base);
  }
  return st;
}

static void tl_destroy(kv_iterator *base) {
  two_level *t = (two_level *)base;
  kv_iterator_destroy(t->inner);
  kv_iterator_destroy(t->outer);
  strata_status_free(t->st);
  if (t->free_ctx) t->free_ctx(t->ctx);
  kv_iterator_free(&t->base);
}

const kv_iterator_ops two_level_iterator_ops = {tl_seek_first,            tl_seek_last, tl_seek,   tl_seek_for_prev,
                                                two_level_iterator_next, tl_prev,      tl_status, tl_destroy};

void two_level_iterator_own_ctx(kv_iterator *it, void (*free_ctx)(void *ctx)) {
  ((two_level *)it)->free_ctx = free_ctx;
}

strata_status *two_level_iterator_new(kv_iterator *outer, two_level_load_fn load, void *ctx, iter_arena *arena,
                                      kv_iterator **out) {
  *out = NULL;
  two_level *t = kv_iterator_alloc(arena, sizeof *t);
  if (!t) {
    kv_iterator_destroy(outer);
    return status_no_memory();
  }
  kv_iterator_init(&t->base, &two_level_iterator_ops);
  t->outer = outer;
  t->load = load;
  t->ctx = ctx;
  *out = &t->base;
  return NULL;
}
