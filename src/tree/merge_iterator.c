#include "merge_iterator.h"

#include <stdlib.h>
#include <string.h>

#include "../util/buffer.h"

enum direction { FORWARD, REVERSE };

typedef struct merge_iterator {
  kv_iterator base;
  kv_iterator **children;
  unsigned char children_in_arena;
  size_t n;
  kv_iterator *current; /* the child whose entry is the merge's position; NULL = invalid */
  size_t current_index;
  enum direction dir;
  strata_status *error;
  buffer saved_key; /* the current user key, kept across child moves during a direction switch */
} merge_iterator;

/* Moves the first child error into the merge iterator; the merge becomes invalid. */
static void collect_errors(merge_iterator *m) {
  for (size_t i = 0; i < m->n; i++) {
    strata_status *st = kv_iterator_status(m->children[i]);
    if (!st) continue;
    if (m->error) strata_status_free(st);
    else m->error = st;
  }
  if (m->error) m->current = NULL;
}

/* Picks the child with the smallest (sign 1) or largest (sign -1) key; ties go to the earlier
 * child. The children's positions are fields (kv_iterator.h): no call per child. */
static void pick(merge_iterator *m, int sign) {
  size_t best = m->n;
  for (size_t i = 0; i < m->n; i++) {
    const kv_iterator *c = m->children[i];
    if (!c->valid) continue;
    if (best == m->n || sign * internal_key_compare(&c->key, &m->children[best]->key) < 0) best = i;
  }
  m->current = best < m->n ? m->children[best] : NULL;
  m->current_index = best;
  collect_errors(m);
  kv_iterator_copy_position(&m->base, m->current);
}

static void find_smallest(merge_iterator *m) { pick(m, 1); }
static void find_largest(merge_iterator *m) { pick(m, -1); }

static void merge_seek_first(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek_first(m->children[i]);
  m->dir = FORWARD;
  find_smallest(m);
}

static void merge_seek_last(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek_last(m->children[i]);
  m->dir = REVERSE;
  find_largest(m);
}

static void merge_seek(kv_iterator *it, const internal_key *target) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek(m->children[i], target);
  m->dir = FORWARD;
  find_smallest(m);
}

static void merge_seek_for_prev(kv_iterator *it, const internal_key *target) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek_for_prev(m->children[i], target);
  m->dir = REVERSE;
  find_largest(m);
}

/* Copies the current key so children can move; on allocation failure the iterator fails. */
static int save_current(merge_iterator *m, internal_key *out) {
  internal_key k = kv_iterator_key(m->current);
  buffer_clear(&m->saved_key);
  strata_status *st = buffer_append(&m->saved_key, k.user_key.data, k.user_key.len);
  if (st) {
    m->error = st;
    m->current = NULL;
    kv_iterator_set_invalid(&m->base);
    return 0;
  }
  *out = internal_key_make(buffer_slice(&m->saved_key), k.seqno, k.type);
  return 1;
}

static void merge_next(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  if (!m->current) return;
  if (m->dir != FORWARD) {
    /* Every other child sits at or before the current key: put each at its first entry after it. */
    internal_key key;
    if (!save_current(m, &key)) return;
    for (size_t i = 0; i < m->n; i++) {
      kv_iterator *c = m->children[i];
      if (c == m->current) continue;
      kv_iterator_seek(c, &key);
      if (kv_iterator_valid(c)) {
        internal_key ck = kv_iterator_key(c);
        if (internal_key_compare(&ck, &key) == 0) kv_iterator_next(c);
      }
    }
    m->dir = FORWARD;
  }
  kv_iterator_next(m->current);
  find_smallest(m);
}

static void merge_prev(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  if (!m->current) return;
  if (m->dir != REVERSE) {
    internal_key key;
    if (!save_current(m, &key)) return;
    for (size_t i = 0; i < m->n; i++) {
      kv_iterator *c = m->children[i];
      if (c == m->current) continue;
      kv_iterator_seek_for_prev(c, &key);
      if (kv_iterator_valid(c)) {
        internal_key ck = kv_iterator_key(c);
        if (internal_key_compare(&ck, &key) == 0) kv_iterator_prev(c);
      }
    }
    m->dir = REVERSE;
  }
  kv_iterator_prev(m->current);
  find_largest(m);
}

static strata_status *merge_status(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  strata_status *st = m->error;
  m->error = NULL;
  return st;
}

static void merge_destroy(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_destroy(m->children[i]);
  iter_arena_free(m->children, m->children_in_arena);
  strata_status_free(m->error);
  buffer_free(&m->saved_key);
  kv_iterator_free(&m->base);
}

static const kv_iterator_ops merge_ops = {
  merge_seek_first, merge_seek_last, merge_seek, merge_seek_for_prev,
  merge_next,       merge_prev,      merge_status, merge_destroy,
};

strata_status *merge_iterator_new(kv_iterator **children, size_t n, iter_arena *arena, kv_iterator **out) {
  merge_iterator *m = kv_iterator_alloc(arena, sizeof *m);
  unsigned char copy_in_arena = 0;
  kv_iterator **copy = m ? iter_arena_alloc(arena, (n ? n : 1) * sizeof *copy, &copy_in_arena) : NULL;
  if (!m || !copy) {
    if (m) kv_iterator_free(&m->base);
    for (size_t i = 0; i < n; i++) kv_iterator_destroy(children[i]);
    return status_no_memory();
  }
  if (n) memcpy(copy, children, n * sizeof *copy);
  kv_iterator_init(&m->base, &merge_ops);
  m->children = copy;
  m->children_in_arena = copy_in_arena;
  m->n = n;
  buffer_init(&m->saved_key);
  *out = &m->base;
  return NULL;
}
