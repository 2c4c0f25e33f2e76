#include "merge_iterator.h"

#include <stdlib.h>
#include <string.h>

#include "../util/buffer.h"

enum direction { FORWARD, REVERSE };

typedef struct merge_iterator {
  kv_iterator base;
  kv_iterator **children;
  size_t n;
  /* Each child's current key (valid until that child moves) and validity: choosing the next
   * entry compares cached keys instead of calling every child through its table again. */
  internal_key *keys;
  unsigned char *live;
  kv_iterator *current;
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

/* Re-reads child i's position after it moved. */
static void refresh(merge_iterator *m, size_t i) {
  m->live[i] = (unsigned char)kv_iterator_valid(m->children[i]);
  if (m->live[i]) m->keys[i] = kv_iterator_key(m->children[i]);
}

static void refresh_all(merge_iterator *m) {
  for (size_t i = 0; i < m->n; i++) refresh(m, i);
}

/* Picks the smallest (sign 1) or largest (sign -1) cached key; ties go to the earlier child. */
static void pick(merge_iterator *m, int sign) {
  size_t best = m->n;
  for (size_t i = 0; i < m->n; i++) {
    if (!m->live[i]) continue;
    if (best == m->n || sign * internal_key_compare(&m->keys[i], &m->keys[best]) < 0) best = i;
  }
  m->current = best < m->n ? m->children[best] : NULL;
  m->current_index = best;
  collect_errors(m);
}

static void find_smallest(merge_iterator *m) { pick(m, 1); }
static void find_largest(merge_iterator *m) { pick(m, -1); }

static void merge_seek_first(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek_first(m->children[i]);
  m->dir = FORWARD;
  refresh_all(m);
  find_smallest(m);
}

static void merge_seek_last(kv_iterator *it) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek_last(m->children[i]);
  m->dir = REVERSE;
  refresh_all(m);
  find_largest(m);
}

static void merge_seek(kv_iterator *it, const internal_key *target) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek(m->children[i], target);
  m->dir = FORWARD;
  refresh_all(m);
  find_smallest(m);
}

static void merge_seek_for_prev(kv_iterator *it, const internal_key *target) {
  merge_iterator *m = (merge_iterator *)it;
  for (size_t i = 0; i < m->n; i++) kv_iterator_seek_for_prev(m->children[i], target);
  m->dir = REVERSE;
  refresh_all(m);
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
      refresh(m, i);
    }
    m->dir = FORWARD;
  }
  kv_iterator_next(m->current);
  refresh(m, m->current_index);
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
      refresh(m, i);
    }
    m->dir = REVERSE;
  }
  kv_iterator_prev(m->current);
  refresh(m, m->current_index);
  find_largest(m);
}

static int merge_valid(const kv_iterator *it) {
  return ((const merge_iterator *)it)->current != NULL;
}

static internal_key merge_key(const kv_iterator *it) {
  const merge_iterator *m = (const merge_iterator *)it;
  return m->keys[m->current_index];
}

static slice merge_value(const kv_iterator *it) {
  return kv_iterator_value(((const merge_iterator *)it)->current);
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
  free(m->children);
  free(m->keys);
  free(m->live);
  strata_status_free(m->error);
  buffer_free(&m->saved_key);
  free(m);
}

static const kv_iterator_ops merge_ops = {
  merge_seek_first, merge_seek_last, merge_seek, merge_seek_for_prev, merge_next, merge_prev,
  merge_valid, merge_key, merge_value, merge_status, merge_destroy,
};

strata_status *merge_iterator_new(kv_iterator **children, size_t n, kv_iterator **out) {
  merge_iterator *m = calloc(1, sizeof *m);
  kv_iterator **copy = malloc((n ? n : 1) * sizeof *copy);
  internal_key *keys = malloc((n ? n : 1) * sizeof *keys);
  unsigned char *live = calloc(n ? n : 1, 1);
  if (!m || !copy || !keys || !live) {
    free(m);
    free(copy);
    free(keys);
    free(live);
    for (size_t i = 0; i < n; i++) kv_iterator_destroy(children[i]);
    return status_no_memory();
  }
  if (n) memcpy(copy, children, n * sizeof *copy);
  m->base.ops = &merge_ops;
  m->children = copy;
  m->keys = keys;
  m->live = live;
  m->n = n;
  buffer_init(&m->saved_key);
  *out = &m->base;
  return NULL;
}
