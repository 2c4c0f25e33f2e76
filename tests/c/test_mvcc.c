/* merge + MVCC iterators: randomized against a model, plus the edge cases lsm-tree tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_iterator.h"
#include "harness.h"
#include "tree/merge_iterator.h"
#include "tree/mvcc_iterator.h"

static const char *const KEYS[] = {"", "a", "ab", "abc", "b", "ba", "c", "d\x00z", "e", "\xff", "\xff\xff", "\xff\xff\x01"};
static const size_t KEY_LENS[] = {0, 1, 2, 3, 1, 2, 1, 3, 1, 1, 2, 3};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])
#define MAX_ENTRIES 200
#define MAX_CHILDREN 5

typedef struct world {
  test_entry all[MAX_ENTRIES];
  size_t n;
  test_entry child[MAX_CHILDREN][MAX_ENTRIES];
  size_t child_n[MAX_CHILDREN];
  size_t children;
  char values[MAX_ENTRIES][24];
} world;

static int entry_cmp(const void *a, const void *b) {
  return internal_key_compare(&((const test_entry *)a)->key, &((const test_entry *)b)->key);
}

static void build_world(world *w, harness_rng *rng) {
  w->n = 1 + harness_rng_next(rng) % MAX_ENTRIES;
  w->children = 1 + harness_rng_next(rng) % MAX_CHILDREN;
  memset(w->child_n, 0, sizeof w->child_n);
  for (size_t i = 0; i < w->n; i++) {
    size_t k = harness_rng_next(rng) % NKEYS;
    uint64_t r = harness_rng_next(rng) % 10;
    value_type t = r < 7 ? VALUE_TYPE_VALUE : r < 9 ? VALUE_TYPE_TOMBSTONE : VALUE_TYPE_WEAK_TOMBSTONE;
    snprintf(w->values[i], sizeof w->values[i], "v%zu", i + 1);
    test_entry e = {internal_key_make(slice_make(KEYS[k], KEY_LENS[k]), i + 1, t),
                    t == VALUE_TYPE_VALUE ? slice_from_cstr(w->values[i]) : slice_empty()};
    w->all[i] = e;
    size_t c = harness_rng_next(rng) % w->children;
    w->child[c][w->child_n[c]++] = e;
  }
  qsort(w->all, w->n, sizeof w->all[0], entry_cmp);
  for (size_t c = 0; c < w->children; c++) qsort(w->child[c], w->child_n[c], sizeof w->child[c][0], entry_cmp);
}

/* The model: live (key, value) pairs at a snapshot within a range, ascending. */
static size_t model(const world *w, uint64_t snapshot, const key_range *r, test_entry *out) {
  size_t n = 0;
  for (size_t i = 0; i < w->n; i++) {
    const test_entry *e = &w->all[i];
    if (e->key.seqno >= snapshot || !key_range_contains(r, e->key.user_key)) continue;
    if (n > 0 && slice_equal(out[n - 1].key.user_key, e->key.user_key)) continue; /* older version */
    int newest_visible = 1;
    for (size_t j = 0; j < i; j++)
      if (slice_equal(w->all[j].key.user_key, e->key.user_key) && w->all[j].key.seqno < snapshot) newest_visible = 0;
    if (!newest_visible) continue;
    out[n++] = *e; /* tombstones are kept here to block older versions, dropped below */
  }
  size_t live = 0;
  for (size_t i = 0; i < n; i++)
    if (out[i].key.type == VALUE_TYPE_VALUE) out[live++] = out[i];
  return live;
}

static mvcc_iterator *open_view(const world *w, uint64_t snapshot, const key_range *r) {
  kv_iterator *kids[MAX_CHILDREN];
  for (size_t c = 0; c < w->children; c++) kids[c] = array_iterator_new(w->child[c], w->child_n[c]);
  kv_iterator *merged = NULL;
  mvcc_iterator *it = NULL;
  strata_status *st = merge_iterator_new(kids, w->children, NULL, &merged);
  if (!st) st = mvcc_iterator_new(merged, snapshot, r, NULL, &it);
  strata_status_free(st);
  return it;
}

static int at(const mvcc_iterator *it, const test_entry *e) {
  return mvcc_iterator_valid(it) && slice_equal(mvcc_iterator_key(it), e->key.user_key) &&
         slice_equal(mvcc_iterator_value(it), e->value);
}

static key_range random_range(harness_rng *rng, buffer *scratch) {
  key_range r = key_range_all();
  uint64_t kind = harness_rng_next(rng) % 4;
  size_t a = harness_rng_next(rng) % NKEYS, b = harness_rng_next(rng) % NKEYS;
  if (kind == 1) {
    r.lo.kind = harness_rng_next(rng) % 2 ? BOUND_INCLUDED : BOUND_EXCLUDED;
    r.lo.key = slice_make(KEYS[a], KEY_LENS[a]);
    r.hi.kind = harness_rng_next(rng) % 2 ? BOUND_INCLUDED : BOUND_EXCLUDED;
    r.hi.key = slice_make(KEYS[b], KEY_LENS[b]);
  } else if (kind == 2) {
    strata_status_free(key_range_for_prefix(slice_make(KEYS[a], KEY_LENS[a] ? 1 : 0), scratch, &r));
  } else if (kind == 3) {
    r.hi.kind = BOUND_INCLUDED;
    r.hi.key = slice_make(KEYS[b], KEY_LENS[b]);
  }
  return r;
}

static void views_match_the_model(void) {
  harness_rng rng = {0x5EED};
  world *w = malloc(sizeof *w);
  test_entry expect[MAX_ENTRIES];
  buffer scratch;
  buffer_init(&scratch);
  CHECK(w != NULL);
  for (int round = 0; round < 1500; round++) {
    build_world(w, &rng);
    uint64_t snapshot = harness_rng_next(&rng) % (w->n + 2);
    if (round % 7 == 0) snapshot = SEQNO_READ_ALL;
    key_range r = random_range(&rng, &scratch);
    size_t n = model(w, snapshot, &r, expect);
    mvcc_iterator *it = open_view(w, snapshot, &r);
    CHECK(it != NULL);
    /* forward */
    size_t i = 0;
    for (mvcc_iterator_seek_first(it); mvcc_iterator_valid(it); mvcc_iterator_next(it), i++)
      CHECK(i < n && at(it, &expect[i]));
    CHECK_EQ_U64(i, n);
    /* reverse */
    i = n;
    for (mvcc_iterator_seek_last(it); mvcc_iterator_valid(it); mvcc_iterator_prev(it)) {
      CHECK(i > 0);
      CHECK(at(it, &expect[--i]));
    }
    CHECK_EQ_U64(i, 0);
    /* a random walk mixing directions, starting from a seek */
    size_t k = harness_rng_next(&rng) % NKEYS;
    slice target = slice_make(KEYS[k], KEY_LENS[k]);
    long pos;
    if (harness_rng_next(&rng) % 2) {
      mvcc_iterator_seek(it, target);
      pos = 0;
      while ((size_t)pos < n && slice_compare(expect[pos].key.user_key, target) < 0) pos++;
    } else {
      mvcc_iterator_seek_for_prev(it, target);
      pos = (long)n - 1;
      while (pos >= 0 && slice_compare(expect[pos].key.user_key, target) > 0) pos--;
    }
    for (int step = 0; step < 12 && pos >= 0 && (size_t)pos < n; step++) {
      CHECK(at(it, &expect[pos]));
      if (harness_rng_next(&rng) % 2) {
        mvcc_iterator_next(it);
        pos++;
      } else {
        mvcc_iterator_prev(it);
        pos--;
      }
    }
    if (pos < 0 || (size_t)pos >= n) CHECK(!mvcc_iterator_valid(it));
    CHECK_OK(mvcc_iterator_status(it));
    mvcc_iterator_destroy(it);
  }
  buffer_free(&scratch);
  free(w);
}

static void snapshot_boundary_is_exclusive(void) {
  test_entry e[] = {{internal_key_make(slice_from_cstr("k"), 5, VALUE_TYPE_VALUE), slice_from_cstr("new")},
                    {internal_key_make(slice_from_cstr("k"), 2, VALUE_TYPE_VALUE), slice_from_cstr("old")}};
  key_range all = key_range_all();
  kv_iterator *inner = array_iterator_new(e, 2);
  mvcc_iterator *it = NULL;
  CHECK_OK(mvcc_iterator_new(inner, 5, &all, NULL, &it));
  mvcc_iterator_seek_first(it);
  CHECK(mvcc_iterator_valid(it) && slice_equal(mvcc_iterator_value(it), slice_from_cstr("old")));
  mvcc_iterator_destroy(it);
  inner = array_iterator_new(e, 2);
  CHECK_OK(mvcc_iterator_new(inner, 6, &all, NULL, &it));
  mvcc_iterator_seek_last(it);
  CHECK(mvcc_iterator_valid(it) && slice_equal(mvcc_iterator_value(it), slice_from_cstr("new")));
  mvcc_iterator_destroy(it);
  inner = array_iterator_new(e, 2);
  CHECK_OK(mvcc_iterator_new(inner, 2, &all, NULL, &it));
  mvcc_iterator_seek_first(it);
  CHECK(!mvcc_iterator_valid(it));
  mvcc_iterator_destroy(it);
}

static void prefix_of_ff_bytes_is_open_above(void) {
  buffer scratch;
  buffer_init(&scratch);
  key_range r;
  CHECK_OK(key_range_for_prefix(slice_from_cstr("\xff\xff"), &scratch, &r));
  CHECK(r.lo.kind == BOUND_INCLUDED && r.hi.kind == BOUND_UNBOUNDED);
  CHECK_OK(key_range_for_prefix(slice_from_cstr("a\xff"), &scratch, &r));
  CHECK(r.hi.kind == BOUND_EXCLUDED && slice_equal(r.hi.key, slice_from_cstr("b")));
  CHECK(key_range_contains(&r, slice_from_cstr("a\xff\xff")));
  CHECK(!key_range_contains(&r, slice_from_cstr("b")));
  CHECK(!key_range_contains(&r, slice_from_cstr("a")));
  CHECK_OK(key_range_for_prefix(slice_empty(), &scratch, &r));
  CHECK(key_range_contains(&r, slice_empty()) && r.hi.kind == BOUND_UNBOUNDED);
  buffer_free(&scratch);
}

static void empty_merge_is_never_valid(void) {
  kv_iterator *m = NULL;
  CHECK_OK(merge_iterator_new(NULL, 0, NULL, &m));
  kv_iterator_seek_first(m);
  CHECK(!kv_iterator_valid(m));
  kv_iterator_seek_last(m);
  CHECK(!kv_iterator_valid(m));
  CHECK_OK(kv_iterator_status(m));
  kv_iterator_destroy(m);
}

int main(void) {
  RUN(views_match_the_model);
  RUN(snapshot_boundary_is_exclusive);
  RUN(prefix_of_ff_bytes_is_open_above);
  RUN(empty_merge_is_never_valid);
  return harness_finish();
}
