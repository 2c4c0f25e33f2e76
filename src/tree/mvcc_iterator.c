#include "mvcc_iterator.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/buffer.h"
#include "run_iterator.h"

enum direction { FORWARD, REVERSE };

struct mvcc_iterator {
  mvcc_position pos; /* first: the header's inline readers cast to it */
  kv_iterator *inner;
  uint64_t snapshot;
  key_range range;
  buffer range_keys; /* owns the bound keys of `range` */
  enum direction dir;
  strata_status *error;
  buffer saved_key; /* forward: the key being skipped; reverse: the current key */
  buffer saved_value;
  int saved_handle; /* reverse: saved_value is a blob handle */
  void (*release)(void *a, void *b);
  void *release_a, *release_b;
  unsigned char in_arena;
};

static void fail(mvcc_iterator *it, strata_status *st) {
  it->pos.valid = 0;
  if (!st) return;
  if (it->error) strata_status_free(st);
  else it->error = st;
}

/* Picks up an error from the inner iterator; 1 if there was one. */
static int inner_failed(mvcc_iterator *it) {
  strata_status *st = kv_iterator_status(it->inner);
  if (!st) return 0;
  fail(it, st);
  return 1;
}

static int save(buffer *b, slice s, mvcc_iterator *it) {
  if (s.len <= b->cap) { /* the common case, once the buffer has grown: no call */
    bytes_copy(b->data, s.data, s.len);
    b->len = s.len;
    return 1;
  }
  buffer_clear(b);
  strata_status *st = buffer_append(b, s.data, s.len);
  if (st) fail(it, st);
  return st == NULL;
}

/* Forward: the entry the inner iterator sits on is the position. */
static void set_forward_position(mvcc_iterator *it, const internal_key *k) {
  it->pos.valid = 1;
  it->pos.key = k->user_key;
  it->pos.value = kv_iterator_value(it->inner);
  it->pos.value_is_handle = k->type == VALUE_TYPE_INDIRECTION;
}

/*
 * From the inner position forward: the first user key whose newest visible version is a value.
 * With `skipping`, entries of saved_key are passed over first (the key already yielded).
 */
/* The inner iterator's next: a direct call over a single run (a settled tree), see run_iterator.h. */
static inline void inner_next(kv_iterator *in) {
  if (in->ops == &run_iterator_ops) run_iterator_next(in);
  else kv_iterator_next(in);
}

static void find_next_user_entry(mvcc_iterator *it, int skipping) {
  it->dir = FORWARD;
  for (; kv_iterator_valid(it->inner); inner_next(it->inner)) {
    internal_key k = kv_iterator_key(it->inner);
    if (!key_range_below_hi(&it->range, k.user_key)) break;
    if (k.seqno >= it->snapshot) continue; /* written after the snapshot */
    if (skipping && slice_equal(k.user_key, buffer_slice(&it->saved_key))) continue;
    if (!key_range_above_lo(&it->range, k.user_key)) continue;
    if (value_type_is_tombstone(k.type)) {
      /* the key is deleted at this snapshot: skip its older versions */
      if (!save(&it->saved_key, k.user_key, it)) return;
      skipping = 1;
      continue;
    }
    set_forward_position(it, &k);
    return;
  }
  it->pos.valid = 0;
  inner_failed(it);
}

/*
 * From the inner position backward: versions of one key arrive oldest first, so the newest
 * visible one is the last seen before the key changes. It is copied, since the inner iterator
 * moves on to the previous key to find that boundary.
 */
static void find_prev_user_entry(mvcc_iterator *it) {
  it->dir = REVERSE;
  int have_value = 0;
  for (; kv_iterator_valid(it->inner); kv_iterator_prev(it->inner)) {
    internal_key k = kv_iterator_key(it->inner);
    if (!key_range_above_lo(&it->range, k.user_key)) break;
    if (k.seqno >= it->snapshot) continue;
    if (!key_range_below_hi(&it->range, k.user_key)) continue;
    if (have_value && slice_compare(k.user_key, buffer_slice(&it->saved_key)) < 0) break;
    if (value_type_is_tombstone(k.type)) {
      have_value = 0;
      buffer_clear(&it->saved_key);
      continue;
    }
    if (!save(&it->saved_key, k.user_key, it) || !save(&it->saved_value, kv_iterator_value(it->inner), it)) return;
    it->saved_handle = k.type == VALUE_TYPE_INDIRECTION;
    have_value = 1;
  }
  if (inner_failed(it)) return;
  it->pos.valid = have_value;
  if (have_value) {
    it->pos.key = buffer_slice(&it->saved_key);
    it->pos.value = buffer_slice(&it->saved_value);
    it->pos.value_is_handle = it->saved_handle;
  }
}

void mvcc_iterator_seek_first(mvcc_iterator *it) {
  if (it->range.lo.kind == BOUND_UNBOUNDED) kv_iterator_seek_first(it->inner);
  else {
    internal_key target = internal_key_seek_target(it->range.lo.key, it->snapshot);
    kv_iterator_seek(it->inner, &target);
  }
  find_next_user_entry(it, 0);
}

/* Puts the inner iterator on the last entry whose user key is <= key (or < key when strict). */
static void inner_seek_last_at_or_before(mvcc_iterator *it, slice key, int strict) {
  /* (key, seqno 0, type 0) is the largest internal key of user key `key` */
  internal_key target = internal_key_make(key, 0, VALUE_TYPE_VALUE);
  kv_iterator_seek_for_prev(it->inner, &target);
  while (strict && kv_iterator_valid(it->inner) && slice_compare(kv_iterator_key(it->inner).user_key, key) >= 0)
    kv_iterator_prev(it->inner);
}

void mvcc_iterator_seek_last(mvcc_iterator *it) {
  if (it->range.hi.kind == BOUND_UNBOUNDED) kv_iterator_seek_last(it->inner);
  else inner_seek_last_at_or_before(it, it->range.hi.key, it->range.hi.kind == BOUND_EXCLUDED);
  find_prev_user_entry(it);
}

void mvcc_iterator_seek(mvcc_iterator *it, slice user_key) {
  if (!key_range_above_lo(&it->range, user_key)) {
    mvcc_iterator_seek_first(it);
    return;
  }
  internal_key target = internal_key_seek_target(user_key, it->snapshot);
  kv_iterator_seek(it->inner, &target);
  find_next_user_entry(it, 0);
}

void mvcc_iterator_seek_for_prev(mvcc_iterator *it, slice user_key) {
  if (!key_range_below_hi(&it->range, user_key)) {
    mvcc_iterator_seek_last(it);
    return;
  }
  inner_seek_last_at_or_before(it, user_key, 0);
  find_prev_user_entry(it);
}

void mvcc_iterator_next(mvcc_iterator *it) {
  if (!it->pos.valid) return;
  if (it->dir == REVERSE) {
    /* the inner iterator sits before the current key's entries (saved_key holds the key) */
    if (kv_iterator_valid(it->inner)) kv_iterator_next(it->inner);
    else kv_iterator_seek_first(it->inner);
  } else {
    if (!save(&it->saved_key, it->pos.key, it)) return;
    inner_next(it->inner);
  }
  find_next_user_entry(it, 1);
}

void mvcc_iterator_prev(mvcc_iterator *it) {
  if (!it->pos.valid) return;
  if (it->dir == FORWARD) {
    /* step back over every entry of the current key */
    if (!save(&it->saved_key, kv_iterator_key(it->inner).user_key, it)) return;
    do kv_iterator_prev(it->inner);
    while (kv_iterator_valid(it->inner) &&
           slice_compare(kv_iterator_key(it->inner).user_key, buffer_slice(&it->saved_key)) >= 0);
  }
  /* in reverse the inner iterator already sits before the current key */
  find_prev_user_entry(it);
}

strata_status *mvcc_iterator_status(mvcc_iterator *it) {
  strata_status *st = it->error;
  it->error = NULL;
  return st;
}

void mvcc_iterator_destroy(mvcc_iterator *it) {
  if (!it) return;
  kv_iterator_destroy(it->inner);
  if (it->release) it->release(it->release_a, it->release_b);
  strata_status_free(it->error);
  buffer_free(&it->range_keys);
  buffer_free(&it->saved_key);
  buffer_free(&it->saved_value);
  iter_arena_free(it, it->in_arena);
}

void mvcc_iterator_set_release(mvcc_iterator *it, void (*release)(void *a, void *b), void *a, void *b) {
  it->release = release;
  it->release_a = a;
  it->release_b = b;
}

strata_status *mvcc_iterator_new(kv_iterator *inner, uint64_t snapshot, const key_range *range,
                                 iter_arena *arena, mvcc_iterator **out) {
  unsigned char in_arena;
  mvcc_iterator *it = iter_arena_alloc(arena, sizeof *it, &in_arena);
  if (!it) {
    kv_iterator_destroy(inner);
    return status_no_memory();
  }
  it->in_arena = in_arena;
  it->inner = inner;
  it->snapshot = snapshot;
  it->range = *range;
  buffer_init(&it->range_keys);
  buffer_init(&it->saved_key);
  buffer_init(&it->saved_value);
  /* copy the bound keys so the caller's buffers may go away */
  strata_status *st = buffer_reserve(&it->range_keys, range->lo.key.len + range->hi.key.len);
  if (st) {
    mvcc_iterator_destroy(it);
    return st;
  }
  st = buffer_append(&it->range_keys, range->lo.key.data, range->lo.key.len);
  if (!st) st = buffer_append(&it->range_keys, range->hi.key.data, range->hi.key.len);
  if (st) {
    mvcc_iterator_destroy(it);
    return st;
  }
  it->range.lo.key = slice_make(it->range_keys.data, range->lo.key.len);
  /* no bound keys at all leave the buffer unallocated: NULL + 0 is undefined behaviour */
  it->range.hi.key = slice_make(it->range_keys.data ? it->range_keys.data + range->lo.key.len : NULL, range->hi.key.len);
  *out = it;
  return NULL;
}
